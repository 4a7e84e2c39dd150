//! Terminal line editing as a pure state machine: xterm.js hands us the bytes a key produced
//! (`onData`), we return what to write back and what to send to the worker. No DOM here, so it
//! is tested natively.

/// What the editor asks its host to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorOut {
    /// Write these bytes (text and ANSI sequences) to the terminal.
    Write(String),
    /// The user pressed Enter on this line.
    Submit(String),
    /// The user pressed Tab: ask for completions of `line` at byte `cursor`.
    Complete { line: String, cursor: usize },
    /// Ctrl-L: clear the screen.
    Clear,
    /// Ctrl-C while a command runs: ask the worker to stop it (`get -w`, `logs -f`).
    Interrupt,
}

/// Most lines kept in history.
const HISTORY_LIMIT: usize = 1_000;

/// Most type-ahead kept while a command runs (a huge paste beyond it is dropped).
const TYPEAHEAD_LIMIT: usize = 1 << 20;

/// One prompt line being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineEditor {
    prompt: String,
    line: Vec<char>,
    /// Cursor position in chars.
    cursor: usize,
    history: Vec<String>,
    /// Index into `history` while browsing with Up/Down; the draft line is kept aside.
    browsing: Option<(usize, Vec<char>)>,
    /// A submitted line is running: keys wait until the next prompt.
    busy: bool,
    /// What was typed or pasted while busy, replayed at the next prompt (a terminal's
    /// type-ahead). Ctrl-C drops it, as a tty flushes its input on SIGINT.
    typeahead: String,
    /// Terminal width in columns, for redrawing lines that wrap.
    columns: usize,
    /// Row of the cursor relative to the prompt's first row, as last drawn.
    cursor_row: usize,
}

impl LineEditor {
    pub fn new(prompt: &str) -> Self {
        Self {
            prompt: prompt.to_owned(),
            line: Vec::new(),
            cursor: 0,
            history: Vec::new(),
            browsing: None,
            busy: true,
            typeahead: String::new(),
            columns: 80,
            cursor_row: 0,
        }
    }

    /// The terminal was resized.
    /// Replaces the history (a restored terminal's), keeping the newest [`HISTORY_LIMIT`].
    pub fn set_history(&mut self, lines: &[String]) {
        let start = lines.len().saturating_sub(HISTORY_LIMIT);
        self.history = lines[start..].to_vec();
        self.browsing = None;
    }

    pub fn set_columns(&mut self, columns: usize) {
        self.columns = columns.max(1);
    }

    pub fn line(&self) -> String {
        self.line.iter().collect()
    }

    pub fn is_busy(&self) -> bool {
        self.busy
    }

    /// A command finished (or the worker first answered): show `prompt` and accept keys.
    pub fn ready(&mut self, prompt: &str) -> Vec<EditorOut> {
        self.prompt = prompt.to_owned();
        self.line.clear();
        self.cursor = 0;
        self.browsing = None;
        self.busy = false;
        self.cursor_row = width(prompt) / self.columns;
        let mut out = vec![EditorOut::Write(prompt.to_owned())];
        let typed = std::mem::take(&mut self.typeahead);
        if !typed.is_empty() {
            out.extend(self.input(&typed));
        }
        out
    }

    /// Feeds what one key press or paste produced.
    pub fn input(&mut self, data: &str) -> Vec<EditorOut> {
        if self.busy {
            // Only Ctrl-C reaches a running command; the prompt comes back with its end.
            if data.contains('\x03') {
                self.typeahead.clear();
                return vec![EditorOut::Write("^C\r\n".to_owned()), EditorOut::Interrupt];
            }
            if self.typeahead.len() + data.len() <= TYPEAHEAD_LIMIT {
                self.typeahead.push_str(data);
            }
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut rest = data;
        while let Some(c) = rest.chars().next() {
            let (key, len) = Key::parse(rest);
            rest = &rest[len.max(c.len_utf8())..];
            self.key(key, &mut out);
            if self.busy {
                // A pasted newline submitted the line; the rest waits for the next prompt.
                self.typeahead.insert_str(0, rest);
                break;
            }
        }
        out
    }

    fn key(&mut self, key: Key, out: &mut Vec<EditorOut>) {
        match key {
            Key::Char(c) => {
                self.line.insert(self.cursor, c);
                self.cursor += 1;
                self.redraw(out);
            }
            Key::Enter => {
                let line = self.line();
                // Leave the cursor below the whole line, however many rows it wraps to.
                let end_row = (width(&self.prompt) + width(&line)) / self.columns;
                let down = end_row.saturating_sub(self.cursor_row);
                let mut text = String::new();
                if down > 0 {
                    text.push_str(&format!("\x1b[{down}B"));
                }
                text.push_str("\r\n");
                out.push(EditorOut::Write(text));
                if !line.trim().is_empty() && self.history.last() != Some(&line) {
                    self.history.push(line.clone());
                    if self.history.len() > HISTORY_LIMIT {
                        self.history.remove(0);
                    }
                }
                self.busy = true;
                out.push(EditorOut::Submit(line));
            }
            Key::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.line.remove(self.cursor);
                self.redraw(out);
            }
            Key::Delete if self.cursor < self.line.len() => {
                self.line.remove(self.cursor);
                self.redraw(out);
            }
            Key::Left if self.cursor > 0 => {
                self.cursor -= 1;
                self.redraw(out);
            }
            Key::Right if self.cursor < self.line.len() => {
                self.cursor += 1;
                self.redraw(out);
            }
            Key::Home => {
                self.cursor = 0;
                self.redraw(out);
            }
            Key::End => {
                self.cursor = self.line.len();
                self.redraw(out);
            }
            Key::KillToStart => {
                self.line.drain(..self.cursor);
                self.cursor = 0;
                self.redraw(out);
            }
            Key::KillToEnd => {
                self.line.truncate(self.cursor);
                self.redraw(out);
            }
            Key::KillWord => {
                let mut start = self.cursor;
                while start > 0 && self.line[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && self.line[start - 1] != ' ' {
                    start -= 1;
                }
                self.line.drain(start..self.cursor);
                self.cursor = start;
                self.redraw(out);
            }
            Key::Up => self.browse_back(out),
            Key::Down => self.browse_forward(out),
            Key::Tab => {
                let line = self.line();
                let cursor = self.line[..self.cursor].iter().map(|c| c.len_utf8()).sum();
                out.push(EditorOut::Complete { line, cursor });
            }
            Key::Interrupt => {
                // Like bash: show ^C, drop the line, fresh prompt.
                out.push(EditorOut::Write("^C\r\n".to_owned()));
                out.extend(self.ready(&self.prompt.clone()));
            }
            Key::ClearScreen => {
                out.push(EditorOut::Clear);
                self.redraw(out);
            }
            Key::Ignored | Key::Backspace | Key::Delete | Key::Left | Key::Right => {}
        }
    }

    fn browse_back(&mut self, out: &mut Vec<EditorOut>) {
        let index = match &self.browsing {
            Some((0, _)) => return,
            Some((i, _)) => i - 1,
            None if self.history.is_empty() => return,
            None => {
                self.browsing = Some((self.history.len(), self.line.clone()));
                self.history.len() - 1
            }
        };
        if let Some((i, _)) = &mut self.browsing {
            *i = index;
        }
        self.line = self.history[index].chars().collect();
        self.cursor = self.line.len();
        self.redraw(out);
    }

    fn browse_forward(&mut self, out: &mut Vec<EditorOut>) {
        let Some((index, draft)) = self.browsing.take() else {
            return;
        };
        if index + 1 < self.history.len() {
            self.browsing = Some((index + 1, draft));
            self.line = self.history[index + 1].chars().collect();
        } else {
            self.line = draft;
        }
        self.cursor = self.line.len();
        self.redraw(out);
    }

    /// Applies completion candidates for the current line (the answer to `Complete`).
    pub fn complete_with(&mut self, line: &str, candidates: &[String]) -> Vec<EditorOut> {
        if self.busy || line != self.line() {
            return Vec::new(); // the line changed meanwhile: stale answer
        }
        let before: String = self.line[..self.cursor].iter().collect();
        let word_start = before.rfind(' ').map_or(0, |i| i + 1);
        let word = &before[word_start..];
        let mut out = Vec::new();
        match candidates {
            [] => {}
            [only] => {
                let suffix = only.strip_prefix(word).unwrap_or(only);
                let insert: String = if only.ends_with('/') {
                    suffix.to_owned()
                } else {
                    format!("{suffix} ")
                };
                for c in insert.chars() {
                    self.line.insert(self.cursor, c);
                    self.cursor += 1;
                }
                self.redraw(&mut out);
            }
            many => {
                let common = common_prefix(many);
                if common.len() > word.len() && common.starts_with(word) {
                    for c in common[word.len()..].chars() {
                        self.line.insert(self.cursor, c);
                        self.cursor += 1;
                    }
                    self.redraw(&mut out);
                } else {
                    out.push(EditorOut::Write(format!("\r\n{}\r\n", many.join("  "))));
                    self.redraw(&mut out);
                }
            }
        }
        out
    }

    /// Rewrites the prompt and line (which may wrap over several rows) and puts the cursor
    /// where it belongs.
    fn redraw(&mut self, out: &mut Vec<EditorOut>) {
        let columns = self.columns;
        let line = self.line();
        let mut text = String::new();
        if self.cursor_row > 0 {
            text.push_str(&format!("\x1b[{}A", self.cursor_row));
        }
        text.push_str(&format!("\r\x1b[J{}{line}", self.prompt));
        let end = width(&self.prompt) + width(&line);
        if end > 0 && end.is_multiple_of(columns) {
            // xterm holds the cursor in the last column until the next character: force the
            // wrap so the row arithmetic below holds.
            text.push_str(" \r");
        }
        let target: usize = width(&self.prompt)
            + self.line[..self.cursor]
                .iter()
                .map(|c| char_width(*c))
                .sum::<usize>();
        let (end_row, target_row, target_col) = (end / columns, target / columns, target % columns);
        if end_row > target_row {
            text.push_str(&format!("\x1b[{}A", end_row - target_row));
        }
        text.push('\r');
        if target_col > 0 {
            text.push_str(&format!("\x1b[{target_col}C"));
        }
        self.cursor_row = target_row;
        out.push(EditorOut::Write(text));
    }
}

/// Columns a character takes in the terminal: East Asian wide characters take two.
fn char_width(c: char) -> usize {
    let wide = matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF);
    if wide { 2 } else { 1 }
}

fn width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut end = first.len();
    for word in &words[1..] {
        end = first
            .char_indices()
            .zip(word.chars())
            .take_while(|((_, a), b)| a == b)
            .count()
            .min(end);
    }
    first.chars().take(end).collect()
}

/// A decoded key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Char(char),
    Enter,
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    Tab,
    Interrupt,
    ClearScreen,
    KillToStart,
    KillToEnd,
    KillWord,
    Ignored,
}

impl Key {
    /// The key at the start of `data` and how many bytes it used.
    fn parse(data: &str) -> (Self, usize) {
        const SEQUENCES: [(&str, Key); 12] = [
            ("\x1b[A", Key::Up),
            ("\x1b[B", Key::Down),
            ("\x1b[C", Key::Right),
            ("\x1b[D", Key::Left),
            ("\x1b[H", Key::Home),
            ("\x1b[F", Key::End),
            ("\x1bOH", Key::Home),
            ("\x1bOF", Key::End),
            ("\x1b[1~", Key::Home),
            ("\x1b[4~", Key::End),
            ("\x1b[3~", Key::Delete),
            ("\x1b", Key::Ignored),
        ];
        for (sequence, key) in SEQUENCES {
            if data.starts_with(sequence) {
                if key == Key::Ignored {
                    // An unknown escape sequence: skip ESC [ and its parameters.
                    let len = data[1..]
                        .char_indices()
                        .find(|(i, c)| *i > 0 && c.is_ascii_alphabetic() || *c == '~')
                        .map_or(data.len(), |(i, c)| 1 + i + c.len_utf8());
                    return (Key::Ignored, len);
                }
                return (key, sequence.len());
            }
        }
        let c = data.chars().next().unwrap_or('\0');
        let key = match c {
            '\r' | '\n' => Key::Enter,
            '\x7f' | '\x08' => Key::Backspace,
            '\t' => Key::Tab,
            '\x03' => Key::Interrupt,
            '\x0c' => Key::ClearScreen,
            '\x01' => Key::Home,
            '\x05' => Key::End,
            '\x15' => Key::KillToStart,
            '\x0b' => Key::KillToEnd,
            '\x17' => Key::KillWord,
            '\x02' => Key::Left,
            '\x06' => Key::Right,
            c if c.is_control() => Key::Ignored,
            c => Key::Char(c),
        };
        (key, c.len_utf8())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> LineEditor {
        let mut editor = LineEditor::new("$ ");
        editor.ready("$ ");
        editor
    }

    fn submitted(out: &[EditorOut]) -> Option<&str> {
        out.iter().find_map(|o| match o {
            EditorOut::Submit(line) => Some(line.as_str()),
            _ => None,
        })
    }

    #[test]
    fn typing_and_enter_submits_the_line() {
        let mut editor = ready();
        editor.input("kubectl get po");
        let out = editor.input("\r");
        assert_eq!(submitted(&out), Some("kubectl get po"));
        assert!(editor.is_busy());
        assert!(
            editor.input("x").is_empty(),
            "keys wait while a command runs"
        );
    }

    #[test]
    fn cursor_movement_and_kills_edit_in_place() {
        let mut editor = ready();
        editor.input("get pods");
        editor.input("\x01"); // Ctrl-A
        editor.input("kubectl ");
        assert_eq!(editor.line(), "kubectl get pods");
        editor.input("\x1b[D\x1b[C\x05\x17"); // left, right, Ctrl-E, Ctrl-W
        assert_eq!(editor.line(), "kubectl get ");
        editor.input("\x1b[D\x1b[D\x1b[D\x1b[D\x0b"); // 4 x left, Ctrl-K
        assert_eq!(editor.line(), "kubectl ");
        editor.input("\x15"); // Ctrl-U
        assert_eq!(editor.line(), "");
    }

    #[test]
    fn redraw_places_the_cursor() {
        let mut editor = ready();
        editor.input("abc");
        let out = editor.input("\x1b[D");
        assert_eq!(
            out,
            vec![EditorOut::Write("\r\x1b[J$ abc\r\x1b[4C".to_owned())]
        );
    }

    #[test]
    fn wrapped_lines_redraw_from_their_first_row() {
        let mut editor = ready();
        editor.set_columns(10);
        editor.input("abcdefghij"); // "$ " + 10 chars = 12 columns: two rows
        let out = editor.input("k");
        // The cursor was on row 1: go up one row, clear, redraw, cursor at column 3 of row 1.
        assert_eq!(
            out,
            vec![EditorOut::Write(
                "\x1b[1A\r\x1b[J$ abcdefghijk\r\x1b[3C".to_owned()
            )]
        );
        let out = editor.input("\x01"); // Ctrl-A: cursor to row 0, column 2
        assert_eq!(
            out,
            vec![EditorOut::Write(
                "\x1b[1A\r\x1b[J$ abcdefghijk\x1b[1A\r\x1b[2C".to_owned()
            )]
        );
        let out = editor.input("\r");
        assert_eq!(out[0], EditorOut::Write("\x1b[1B\r\n".to_owned()));
    }

    #[test]
    fn a_line_ending_exactly_at_the_edge_forces_the_wrap() {
        let mut editor = ready();
        editor.set_columns(5);
        let out = editor.input("abc"); // "$ abc" fills the row exactly
        assert_eq!(
            out.last(),
            Some(&EditorOut::Write("\r\x1b[J$ abc \r\r".to_owned()))
        );
        let out = editor.input("d"); // now on row 1
        assert_eq!(
            out,
            vec![EditorOut::Write(
                "\x1b[1A\r\x1b[J$ abcd\r\x1b[1C".to_owned()
            )]
        );
        assert_eq!(width("한글a"), 5);
    }

    #[test]
    fn history_browses_back_and_restores_the_draft() {
        let mut editor = ready();
        for line in ["one", "two"] {
            editor.input(line);
            editor.input("\r");
            editor.ready("$ ");
        }
        editor.input("dra");
        editor.input("\x1b[A");
        assert_eq!(editor.line(), "two");
        editor.input("\x1b[A\x1b[A");
        assert_eq!(editor.line(), "one");
        editor.input("\x1b[B\x1b[B");
        assert_eq!(editor.line(), "dra");
    }

    #[test]
    fn ctrl_c_drops_the_line_and_ctrl_l_clears() {
        let mut editor = ready();
        editor.input("oops");
        let out = editor.input("\x03");
        assert_eq!(out[0], EditorOut::Write("^C\r\n".to_owned()));
        assert_eq!(editor.line(), "");
        assert!(editor.input("\x0c").contains(&EditorOut::Clear));
    }

    #[test]
    fn pasting_several_lines_submits_them_one_prompt_at_a_time() {
        let mut editor = ready();
        let out = editor.input("echo a\necho b\n");
        assert_eq!(submitted(&out), Some("echo a"));
        let out = editor.ready("$ ");
        assert_eq!(submitted(&out), Some("echo b"));
        assert!(editor.is_busy());
        assert_eq!(submitted(&editor.ready("$ ")), None);
    }

    #[test]
    fn keys_typed_while_a_command_runs_wait_for_the_prompt() {
        let mut editor = ready();
        editor.input("sleep 5\r");
        assert_eq!(editor.input("ls\r"), Vec::new());
        let out = editor.ready("$ ");
        assert_eq!(out[0], EditorOut::Write("$ ".to_owned()));
        assert_eq!(submitted(&out), Some("ls"));
        // Ctrl-C drops what was typed ahead.
        editor.input("pwd");
        editor.input("\x03");
        assert_eq!(submitted(&editor.ready("$ ")), None);
        assert_eq!(editor.line(), "");
    }

    #[test]
    fn completion_inserts_a_single_candidate_or_lists_many() {
        let mut editor = ready();
        editor.input("kubectl ge");
        let out = editor.input("\t");
        assert_eq!(
            out,
            vec![EditorOut::Complete {
                line: "kubectl ge".to_owned(),
                cursor: 10
            }]
        );
        editor.complete_with("kubectl ge", &["get".to_owned()]);
        assert_eq!(editor.line(), "kubectl get ");
        editor.input("d");
        let out = editor.complete_with(
            "kubectl get d",
            &["daemonsets".to_owned(), "deployments".to_owned()],
        );
        assert!(
            matches!(&out[0], EditorOut::Write(text) if text.contains("daemonsets  deployments"))
        );
        assert_eq!(editor.line(), "kubectl get d");
        editor.complete_with(
            "kubectl get d",
            &["deploy".to_owned(), "deployments".to_owned()],
        );
        assert_eq!(editor.line(), "kubectl get deploy");
    }

    #[test]
    fn stale_completions_are_ignored_and_unknown_escapes_skipped() {
        let mut editor = ready();
        editor.input("abc");
        assert!(editor.complete_with("ab", &["abz".to_owned()]).is_empty());
        editor.input("\x1b[15~x");
        assert_eq!(editor.line(), "abcx");
        editor.input("한글");
        assert_eq!(editor.line(), "abcx한글");
    }

    #[test]
    fn ctrl_c_while_a_command_runs_asks_to_interrupt_it() {
        let mut editor = LineEditor::new("$ ");
        editor.ready("$ ");
        editor.input("kubectl get pods -w\r");
        assert!(editor.is_busy());
        assert_eq!(editor.input("x"), Vec::new());
        assert_eq!(
            editor.input("\x03"),
            vec![EditorOut::Write("^C\r\n".to_owned()), EditorOut::Interrupt]
        );
        assert!(
            editor.is_busy(),
            "the prompt comes back with the worker's answer"
        );
    }
}
