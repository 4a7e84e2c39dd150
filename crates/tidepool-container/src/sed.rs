//! `sed` scripts as GNU sed 4.9 reads and runs them: addresses (`N`, `$`, `/re/`, `\cREc`,
//! `first~step`, `0,/re/`), ranges (`a,b`, `a,+N`), `!`, `{ }` blocks, and the commands
//! `s///` (flags g, p, N, I), `p`, `d`, `q`/`Q` [exit], `=`, `y///` and one-line `a`/`i`/`c`.
//! Errors carry GNU's texts and character positions (`-e expression #1, char 3: ...`).
//! Shared by the controlplane shell (`tidepool-shell`) and the containers' shells.

use regex_lite::Regex;

/// Where a command applies.
#[derive(Debug, Clone)]
enum Addr {
    Line(usize),
    Last,
    Regex(Regex),
    /// `first~step`.
    Step(usize, usize),
    /// `addr1,+N` (second address only).
    Plus(usize),
}

#[derive(Debug, Clone)]
enum Cmd {
    /// `{`: index of the matching `}`.
    Block(usize),
    BlockEnd,
    Print,
    Delete,
    LineNumber,
    Quit {
        code: i32,
        print: bool,
    },
    Subst(Box<Subst>),
    Translate(Vec<(char, char)>),
    Append(String),
    Insert(String),
    Change(String),
}

#[derive(Debug, Clone)]
struct Subst {
    re: Regex,
    /// In `regex_lite::Captures::expand` syntax (`${1}`, `$$`).
    replacement: String,
    global: bool,
    /// Replace only from this occurrence on (1 = the first).
    occurrence: usize,
    print: bool,
}

#[derive(Debug, Clone)]
struct Command {
    addr1: Option<Addr>,
    addr2: Option<Addr>,
    negate: bool,
    cmd: Cmd,
}

/// A parsed script.
#[derive(Debug, Clone, Default)]
pub struct Script {
    commands: Vec<Command>,
}

/// Reads one `-e` expression; `Err` is the message after `sed: `.
struct Parser<'a> {
    chars: Vec<char>,
    /// Characters consumed so far: GNU reports errors at this position.
    pos: usize,
    expression: usize,
    extended: bool,
    last_regex: &'a mut Option<Regex>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn error(&self, what: &str) -> String {
        format!(
            "-e expression #{}, char {}: {what}",
            self.expression, self.pos
        )
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
            self.pos += 1;
        }
    }

    fn number(&mut self) -> usize {
        let mut n: usize = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            n = n.saturating_mul(10).saturating_add(d as usize);
            self.pos += 1;
        }
        n
    }

    /// Text up to an unescaped `delim`, with `\delim` meaning the delimiter and `\n` a newline
    /// (other escapes kept for the regex); `None` at the end of the script.
    fn delimited(&mut self, delim: char) -> Option<String> {
        let mut out = String::new();
        loop {
            match self.next()? {
                '\\' => match self.next()? {
                    c if c == delim => out.push(c),
                    'n' => out.push('\n'),
                    c => {
                        out.push('\\');
                        out.push(c);
                    }
                },
                c if c == delim => return Some(out),
                c => out.push(c),
            }
        }
    }

    fn regex(&mut self, pattern: &str, case_insensitive: bool) -> Result<Regex, String> {
        if pattern.is_empty() {
            return self
                .last_regex
                .clone()
                .ok_or_else(|| self.error("no previous regular expression"));
        }
        let mut source = if self.extended {
            pattern.to_owned()
        } else {
            basic_to_extended(pattern)
        };
        if case_insensitive {
            source.insert_str(0, "(?i)");
        }
        let re = Regex::new(&source).map_err(|_| self.error(regex_problem(&source)))?;
        *self.last_regex = Some(re.clone());
        Ok(re)
    }

    fn address(&mut self) -> Result<Option<Addr>, String> {
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                let first = self.number();
                if self.peek() == Some('~') {
                    self.pos += 1;
                    let step = self.number();
                    return Ok(Some(Addr::Step(first, step)));
                }
                Ok(Some(Addr::Line(first)))
            }
            Some('$') => {
                self.pos += 1;
                Ok(Some(Addr::Last))
            }
            Some(open @ ('/' | '\\')) => {
                self.pos += 1;
                let delim = if open == '\\' {
                    self.next()
                        .ok_or_else(|| self.error("unexpected end of file"))?
                } else {
                    '/'
                };
                let Some(pattern) = self.delimited(delim) else {
                    return Err(self.error("unterminated address regex"));
                };
                let mut case_insensitive = false;
                while let Some(flag @ ('I' | 'M')) = self.peek() {
                    self.pos += 1;
                    case_insensitive |= flag == 'I';
                }
                Ok(Some(Addr::Regex(self.regex(&pattern, case_insensitive)?)))
            }
            _ => Ok(None),
        }
    }

    /// Text of `a`, `i`, `c`: `a text`, `a\text` or `a\` newline `text`, to the end of line.
    fn text_argument(&mut self) -> String {
        self.skip_blanks();
        if self.peek() == Some('\\') {
            self.pos += 1;
            if self.peek() == Some('\n') {
                self.pos += 1;
            }
        }
        let mut text = String::new();
        while let Some(c) = self.next() {
            match c {
                '\n' => break,
                '\\' => {
                    if let Some(n) = self.next() {
                        text.push(n);
                    }
                }
                c => text.push(c),
            }
        }
        text
    }

    /// After a command: blanks, then the end, `;`, a newline, `}` or a `#` comment.
    fn end_of_command(&mut self) -> Result<(), String> {
        self.skip_blanks();
        match self.peek() {
            None | Some(';' | '\n' | '}' | '#') => Ok(()),
            Some(_) => {
                self.pos += 1;
                Err(self.error("extra characters after command"))
            }
        }
    }

    fn substitution(&mut self) -> Result<Cmd, String> {
        let unterminated = |p: &Self| p.error("unterminated `s' command");
        let delim = match self.next() {
            Some(c) if c != '\n' && c != '\\' => c,
            _ => return Err(unterminated(self)),
        };
        let pattern = self.delimited(delim).ok_or_else(|| unterminated(self))?;
        let raw_replacement = self.delimited(delim).ok_or_else(|| unterminated(self))?;
        let (mut global, mut print, mut occurrence, mut case_insensitive) =
            (false, false, 0usize, false);
        loop {
            match self.peek() {
                Some('g') => global = true,
                Some('p') => print = true,
                Some('i' | 'I') => case_insensitive = true,
                Some('m' | 'M') => {}
                Some(c) if c.is_ascii_digit() => {
                    if occurrence != 0 {
                        self.pos += 1;
                        return Err(self.error("multiple number options to `s' command"));
                    }
                    occurrence = self.number();
                    if occurrence == 0 {
                        return Err(self.error("number option to `s' command may not be zero"));
                    }
                    continue;
                }
                None | Some(';' | '\n' | '}' | '#' | ' ' | '\t') => break,
                Some(_) => {
                    self.pos += 1;
                    return Err(self.error("unknown option to `s'"));
                }
            }
            self.pos += 1;
        }
        let re = self.regex(&pattern, case_insensitive)?;
        Ok(Cmd::Subst(Box::new(Subst {
            re,
            replacement: expand_syntax(&raw_replacement),
            global,
            occurrence: occurrence.max(1),
            print,
        })))
    }

    fn translate(&mut self) -> Result<Cmd, String> {
        let unterminated = |p: &Self| p.error("unterminated `y' command");
        let delim = self.next().ok_or_else(|| unterminated(self))?;
        let from = self.delimited(delim).ok_or_else(|| unterminated(self))?;
        let to = self.delimited(delim).ok_or_else(|| unterminated(self))?;
        let unescape = |s: &str| s.replace("\\\\", "\\");
        let (from, to): (Vec<char>, Vec<char>) = (
            unescape(&from).chars().collect(),
            unescape(&to).chars().collect(),
        );
        if from.len() != to.len() {
            return Err(self.error("strings for `y' command are different lengths"));
        }
        Ok(Cmd::Translate(from.into_iter().zip(to).collect()))
    }
}

/// A POSIX basic regular expression in `regex_lite`'s (extended) syntax: `\(`, `\{`, `\|`,
/// `\+`, `\?` are the operators and the bare characters are literals.
pub fn basic_to_extended(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ ('|' | '+' | '?' | '(' | ')' | '{' | '}')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push_str("\\\\"),
            },
            '|' | '+' | '?' | '(' | ')' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A `sed` command line: options, the script's expressions and the input files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Invocation {
    pub quiet: bool,
    pub extended: bool,
    /// `-i[SUFFIX]`: rewrite the files, keeping a backup with SUFFIX when it is not empty.
    pub in_place: Option<String>,
    pub expressions: Vec<String>,
    pub files: Vec<String>,
}

const USAGE: &str = "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n";

/// Parses `sed`'s arguments (GNU's options: `-n`, `-E`/`-r`, `-s`, `-i[SUFFIX]`, `-e SCRIPT`,
/// their long forms, bundles like `-ne`); `Err` is the whole stderr text (exit status 1).
pub fn parse_args(args: &[String]) -> Result<Invocation, String> {
    let mut inv = Invocation::default();
    let mut operands: Vec<String> = Vec::new();
    let mut i = 0;
    let mut options_done = false;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if options_done || a == "-" || !a.starts_with('-') {
            operands.push(a.clone());
            continue;
        }
        if a == "--" {
            options_done = true;
            continue;
        }
        if let Some(long) = a.strip_prefix("--") {
            match long.split_once('=') {
                Some(("expression", e)) => inv.expressions.push(e.to_owned()),
                Some(("in-place", suffix)) => inv.in_place = Some(suffix.to_owned()),
                None if long == "expression" => match args.get(i) {
                    Some(e) => {
                        inv.expressions.push(e.clone());
                        i += 1;
                    }
                    None => {
                        return Err(format!(
                            "sed: option '--expression' requires an argument\n{USAGE}"
                        ));
                    }
                },
                None if long == "quiet" || long == "silent" => inv.quiet = true,
                None if long == "regexp-extended" => inv.extended = true,
                None if long == "in-place" => inv.in_place = Some(String::new()),
                None if long == "separate" || long == "posix" => {}
                _ => return Err(format!("sed: unrecognized option '{a}'\n{USAGE}")),
            }
            continue;
        }
        let flags: Vec<char> = a.chars().skip(1).collect();
        for (k, flag) in flags.iter().enumerate() {
            let rest: String = flags[k + 1..].iter().collect();
            match flag {
                'n' => inv.quiet = true,
                'E' | 'r' => inv.extended = true,
                's' => {}
                'i' => {
                    inv.in_place = Some(rest);
                    break;
                }
                'e' => {
                    if !rest.is_empty() {
                        inv.expressions.push(rest);
                    } else if let Some(e) = args.get(i) {
                        inv.expressions.push(e.clone());
                        i += 1;
                    } else {
                        return Err(format!("sed: option requires an argument -- 'e'\n{USAGE}"));
                    }
                    break;
                }
                other => return Err(format!("sed: invalid option -- '{other}'\n{USAGE}")),
            }
        }
    }
    if inv.expressions.is_empty() {
        if operands.is_empty() {
            return Err(USAGE.to_owned());
        }
        inv.expressions.push(operands.remove(0));
    }
    if inv.in_place.is_some() && operands.is_empty() {
        return Err("sed: no input files\n".to_owned());
    }
    inv.files = operands;
    Ok(inv)
}

/// GNU regcomp's message for a pattern `regex_lite` refuses.
fn regex_problem(source: &str) -> &'static str {
    let (mut parens, mut brackets, mut escaped) = (0i32, false, false);
    for c in source.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' => brackets = true,
            ']' => brackets = false,
            '(' if !brackets => parens += 1,
            ')' if !brackets => parens -= 1,
            _ => {}
        }
    }
    if brackets {
        "unterminated address regex"
    } else if parens > 0 {
        "Unmatched ( or \\("
    } else if parens < 0 {
        "Unmatched ) or \\)"
    } else {
        "Invalid preceding regular expression"
    }
}

/// sed's replacement (`&`, `\1`..`\9`, `\n`, `\&`) in `Captures::expand` syntax.
fn expand_syntax(raw: &str) -> String {
    let mut out = String::new();
    let mut it = raw.chars();
    while let Some(c) = it.next() {
        match c {
            '&' => out.push_str("${0}"),
            '$' => out.push_str("$$"),
            '\\' => match it.next() {
                Some(d) if d.is_ascii_digit() => out.push_str(&format!("${{{d}}}")),
                Some('n') | Some('\n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('$') => out.push_str("$$"),
                Some(o) => out.push(o),
                None => {}
            },
            c => out.push(c),
        }
    }
    out
}

/// Parses the `-e` expressions (or the one script argument) into one script. `extended` is
/// `-E`/`-r`. `Err` is the message after `sed: `.
pub fn parse(expressions: &[String], extended: bool) -> Result<Script, String> {
    let mut commands: Vec<Command> = Vec::new();
    let mut open_blocks: Vec<usize> = Vec::new();
    let mut last_regex = None;
    for (i, text) in expressions.iter().enumerate() {
        let mut p = Parser {
            chars: text.chars().collect(),
            pos: 0,
            expression: i + 1,
            extended,
            last_regex: &mut last_regex,
        };
        loop {
            while p.peek().is_some_and(|c| c.is_whitespace() || c == ';') {
                p.pos += 1;
            }
            if p.peek().is_none() {
                break;
            }
            if p.peek() == Some('#') {
                while p.next().is_some_and(|c| c != '\n') {}
                continue;
            }
            let addr1 = p.address()?;
            let mut addr2 = None;
            if addr1.is_some() {
                p.skip_blanks();
                if p.peek() == Some(',') {
                    p.pos += 1;
                    p.skip_blanks();
                    addr2 = match p.peek() {
                        Some('+') => {
                            p.pos += 1;
                            if !p.peek().is_some_and(|c| c.is_ascii_digit()) {
                                return Err(p.error("expected newer version of sed"));
                            }
                            Some(Addr::Plus(p.number()))
                        }
                        _ => match p.address()? {
                            Some(Addr::Step(n, _)) => Some(Addr::Line(n)),
                            Some(a) => Some(a),
                            None => return Err(p.error("unexpected `,'")),
                        },
                    };
                }
            }
            p.skip_blanks();
            let mut negate = false;
            while p.peek() == Some('!') {
                p.pos += 1;
                negate = true;
                p.skip_blanks();
            }
            let Some(letter) = p.next() else {
                return Err(p.error("missing command"));
            };
            let line_zero = matches!(addr1, Some(Addr::Line(0)));
            if line_zero && !matches!(addr2, Some(Addr::Regex(_))) {
                return Err(p.error("invalid usage of line address 0"));
            }
            let cmd = match letter {
                '{' => {
                    open_blocks.push(commands.len());
                    Cmd::Block(0)
                }
                '}' => {
                    if addr1.is_some() {
                        return Err(p.error("} doesn't want any addresses"));
                    }
                    let Some(start) = open_blocks.pop() else {
                        return Err(p.error("unexpected `}'"));
                    };
                    let end = commands.len();
                    commands[start].cmd = Cmd::Block(end);
                    p.end_of_command()?;
                    Cmd::BlockEnd
                }
                'p' => {
                    p.end_of_command()?;
                    Cmd::Print
                }
                'd' => {
                    p.end_of_command()?;
                    Cmd::Delete
                }
                '=' => {
                    p.end_of_command()?;
                    Cmd::LineNumber
                }
                'q' | 'Q' => {
                    if addr2.is_some() {
                        return Err(p.error("command only uses one address"));
                    }
                    p.skip_blanks();
                    let code = i32::try_from(p.number()).unwrap_or(i32::MAX);
                    p.end_of_command()?;
                    Cmd::Quit {
                        code,
                        print: letter == 'q',
                    }
                }
                's' => {
                    let s = p.substitution()?;
                    p.end_of_command()?;
                    s
                }
                'y' => {
                    let y = p.translate()?;
                    p.end_of_command()?;
                    y
                }
                'a' => Cmd::Append(p.text_argument()),
                'i' => Cmd::Insert(p.text_argument()),
                'c' => Cmd::Change(p.text_argument()),
                other => return Err(p.error(&format!("unknown command: `{other}'"))),
            };
            commands.push(Command {
                addr1,
                addr2,
                negate,
                cmd,
            });
        }
    }
    if !open_blocks.is_empty() {
        // GNU finds it only after the whole script, and reports char 0.
        return Err(format!(
            "-e expression #{}, char 0: unmatched `{{'",
            expressions.len().max(1)
        ));
    }
    Ok(Script { commands })
}

/// What running a script produced.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub output: String,
    /// `q`/`Q`'s exit status, when one ran.
    pub exit: Option<i32>,
}

/// Output that remembers whether the last line written lacked its newline (the input's last
/// line without one): GNU adds it back before writing anything more.
struct Writer {
    out: String,
    missing_newline: bool,
}

impl Writer {
    fn line(&mut self, text: &str, newline: bool) {
        if self.missing_newline {
            self.out.push('\n');
        }
        self.out.push_str(text);
        if newline {
            self.out.push('\n');
        }
        self.missing_newline = !newline;
    }
}

fn matches_one(addr: &Addr, line: usize, last: bool, text: &str) -> bool {
    match addr {
        Addr::Line(n) => line == *n,
        Addr::Last => last,
        Addr::Regex(re) => re.is_match(text),
        Addr::Step(first, 0) => line == *first,
        Addr::Step(first, step) => line >= *first && (line - first).is_multiple_of(*step),
        Addr::Plus(_) => false,
    }
}

impl Script {
    /// Runs the script over `input` (one stream: `$` is its last line). `quiet` is `-n`.
    pub fn run(&self, input: &str, quiet: bool) -> Outcome {
        let mut out = Writer {
            out: String::new(),
            missing_newline: false,
        };
        // Per command: the line a `N`/`+N` range ends on, or usize::MAX for an open
        // regex/`$` range; None when inactive.
        let mut ranges: Vec<Option<usize>> = vec![None; self.commands.len()];
        let lines: Vec<&str> = input.split_inclusive('\n').collect();
        let mut exit = None;
        for (index, raw) in lines.iter().enumerate() {
            let line_no = index + 1;
            let last = index + 1 == lines.len();
            let (body, chomped) = match raw.strip_suffix('\n') {
                Some(b) => (b, true),
                None => (*raw, false),
            };
            let mut space = body.to_owned();
            let mut appended: Vec<&str> = Vec::new();
            let mut autoprint = !quiet;
            let mut pc = 0;
            while pc < self.commands.len() {
                let command = &self.commands[pc];
                let (selected, range_ended) = self.selects(pc, &mut ranges, line_no, last, &space);
                if selected == command.negate {
                    pc = match command.cmd {
                        Cmd::Block(end) => end + 1,
                        _ => pc + 1,
                    };
                    continue;
                }
                pc += 1;
                match &command.cmd {
                    Cmd::Block(_) | Cmd::BlockEnd => {}
                    Cmd::Print => out.line(&space, chomped),
                    Cmd::Delete => {
                        autoprint = false;
                        break;
                    }
                    Cmd::LineNumber => out.line(&line_no.to_string(), true),
                    Cmd::Quit { code, print } => {
                        exit = Some(*code);
                        autoprint &= *print;
                        break;
                    }
                    Cmd::Subst(s) => {
                        if let Some(new) = substitute(s, &space) {
                            space = new;
                            if s.print {
                                out.line(&space, chomped);
                            }
                        }
                    }
                    Cmd::Translate(pairs) => {
                        space = space
                            .chars()
                            .map(|c| pairs.iter().find(|(f, _)| *f == c).map_or(c, |p| p.1))
                            .collect();
                    }
                    Cmd::Append(text) => appended.push(text),
                    Cmd::Insert(text) => out.line(text, true),
                    Cmd::Change(text) => {
                        // With a range, the text replaces the whole range: once, at its end.
                        if command.addr2.is_none() || command.negate || range_ended {
                            out.line(text, true);
                        }
                        autoprint = false;
                        break;
                    }
                }
            }
            if autoprint {
                out.line(&space, chomped);
            }
            for text in appended {
                out.line(text, true);
            }
            if exit.is_some() {
                break;
            }
        }
        Outcome {
            output: out.out,
            exit,
        }
    }

    /// Whether command `pc` selects this line (before `!`), and whether a range ended on it.
    fn selects(
        &self,
        pc: usize,
        ranges: &mut [Option<usize>],
        line: usize,
        last: bool,
        text: &str,
    ) -> (bool, bool) {
        let command = &self.commands[pc];
        let Some(addr1) = &command.addr1 else {
            return (true, false);
        };
        let Some(addr2) = &command.addr2 else {
            return (matches_one(addr1, line, last, text), false);
        };
        if let Some(end) = ranges[pc] {
            let ended = match addr2 {
                Addr::Line(_) | Addr::Plus(_) => line >= end,
                Addr::Last => last,
                Addr::Regex(re) => re.is_match(text),
                Addr::Step(..) => true,
            };
            if ended {
                ranges[pc] = None;
            }
            return (true, ended);
        }
        let starts = match addr1 {
            // `0,/re/`: the range is open before line 1, so the regex may end it there.
            Addr::Line(0) => line == 1,
            a => matches_one(a, line, last, text),
        };
        if !starts {
            return (false, false);
        }
        let end = match addr2 {
            Addr::Line(n) => (*n > line).then_some(*n),
            Addr::Plus(n) => (*n > 0).then_some(line.saturating_add(*n)),
            Addr::Last => (!last).then_some(usize::MAX),
            Addr::Regex(re) => {
                let closes_now = matches!(addr1, Addr::Line(0)) && re.is_match(text);
                (!closes_now).then_some(usize::MAX)
            }
            Addr::Step(..) => None,
        };
        ranges[pc] = end;
        (true, end.is_none())
    }
}

/// `s///` on one pattern space: `None` when nothing was replaced.
fn substitute(s: &Subst, space: &str) -> Option<String> {
    let mut out = String::new();
    let mut kept_to = 0;
    let mut replaced = false;
    for (n, caps) in s.re.captures_iter(space).enumerate() {
        let occurrence = n + 1;
        if occurrence < s.occurrence {
            continue;
        }
        if occurrence > s.occurrence && !s.global {
            break;
        }
        let Some(whole) = caps.get(0) else {
            continue;
        };
        out.push_str(&space[kept_to..whole.start()]);
        caps.expand(&s.replacement, &mut out);
        kept_to = whole.end();
        replaced = true;
    }
    if !replaced {
        return None;
    }
    out.push_str(&space[kept_to..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABCD: &str = "a\nb\nc\nd\n";

    fn sed(script: &str, input: &str, quiet: bool) -> Result<String, String> {
        parse(&[script.to_owned()], false).map(|s| s.run(input, quiet).output)
    }

    #[test]
    fn line_number_and_last_line_addresses() {
        assert_eq!(sed("2p", ABCD, true).unwrap(), "b\n");
        assert_eq!(sed("1d", ABCD, false).unwrap(), "b\nc\nd\n");
        assert_eq!(sed("$d", ABCD, false).unwrap(), "a\nb\nc\n");
        assert_eq!(sed("1d;$d", ABCD, false).unwrap(), "b\nc\n");
        assert_eq!(sed("$!d", ABCD, false).unwrap(), "d\n");
        assert_eq!(sed("2!d", ABCD, false).unwrap(), "b\n");
        assert_eq!(sed("1~2d", ABCD, false).unwrap(), "b\nd\n");
        assert_eq!(sed("=", "x\n", false).unwrap(), "1\nx\n");
    }

    #[test]
    fn ranges_of_lines_and_regexes() {
        assert_eq!(sed("2,4p", ABCD, true).unwrap(), "b\nc\nd\n");
        assert_eq!(sed("2,4p;", ABCD, false).unwrap(), "a\nb\nb\nc\nc\nd\nd\n");
        assert_eq!(sed("3,1p", ABCD, true).unwrap(), "c\n");
        assert_eq!(sed("/b/,/c/d", ABCD, false).unwrap(), "a\nd\n");
        // The end regex is looked for only from the line after the start.
        assert_eq!(sed("/a/,/[a-d]/p", ABCD, true).unwrap(), "a\nb\n");
        assert_eq!(sed("2,/d/d", ABCD, false).unwrap(), "a\n");
        assert_eq!(sed("/c/,$d", ABCD, false).unwrap(), "a\nb\n");
        assert_eq!(sed("1,+1d", ABCD, false).unwrap(), "c\nd\n");
        assert_eq!(sed("0,/a/d", ABCD, false).unwrap(), "b\nc\nd\n");
        assert_eq!(sed("1,/a/d", "a\nb\na\nc\n", false).unwrap(), "c\n");
        // A range restarts when its start matches again.
        assert_eq!(sed("/x/,/y/d", "x\n1\ny\n2\nx\n3\n", false).unwrap(), "2\n");
        assert_eq!(
            sed("/a/,/b/{p}", ABCD, false).unwrap(),
            "a\na\nb\nb\nc\nd\n"
        );
        assert_eq!(sed("/^#/d", "#c\nx\n  #y\n", false).unwrap(), "x\n  #y\n");
    }

    #[test]
    fn substitution_flags_and_addresses() {
        assert_eq!(sed("s/a/X/g", "aaa\n", false).unwrap(), "XXX\n");
        assert_eq!(sed("s/a/X/2", "aaa\n", false).unwrap(), "aXa\n");
        assert_eq!(sed("s/a/X/2g", "aaa\n", false).unwrap(), "aXX\n");
        assert_eq!(sed("s/A/x/I", "aA\n", false).unwrap(), "xA\n");
        assert_eq!(sed("2,3s/^/> /", ABCD, false).unwrap(), "a\n> b\n> c\nd\n");
        assert_eq!(sed("/b/s/.*/[&]/p", ABCD, true).unwrap(), "[b]\n");
        assert_eq!(sed(r"s/\(a\)\(b\)/\2\1/", "ab\n", false).unwrap(), "ba\n");
        assert_eq!(sed("s|/|:|g", "/a/b\n", false).unwrap(), ":a:b\n");
        let extended = parse(&["s/(a+)/<\\1>/".to_owned()], true).unwrap();
        assert_eq!(extended.run("caat\n", false).output, "c<aa>t\n");
    }

    #[test]
    fn quit_translate_and_text_commands() {
        let three = parse(&["3q".to_owned()], false).unwrap().run(ABCD, false);
        assert_eq!(
            three,
            Outcome {
                output: "a\nb\nc\n".to_owned(),
                exit: Some(0)
            }
        );
        assert_eq!(
            parse(&["2Q5".to_owned()], false)
                .unwrap()
                .run(ABCD, false)
                .exit,
            Some(5)
        );
        assert_eq!(sed("2Q", ABCD, false).unwrap(), "a\n");
        assert_eq!(sed("y/ab/xy/", ABCD, false).unwrap(), "x\ny\nc\nd\n");
        assert_eq!(sed("1i top", "x\n", false).unwrap(), "top\nx\n");
        assert_eq!(sed("$a end", "x\ny\n", false).unwrap(), "x\ny\nend\n");
        assert_eq!(sed("2,3c gone", ABCD, false).unwrap(), "a\ngone\nd\n");
    }

    #[test]
    fn a_last_line_without_newline_stays_so() {
        assert_eq!(sed("p", "a\nb", false).unwrap(), "a\na\nb\nb");
        assert_eq!(sed("s/b/c/", "a\nb", false).unwrap(), "a\nc");
    }

    #[test]
    fn arguments_bundle_and_take_values() {
        let args = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let inv = parse_args(&args(&["-ne", "2p", "-E", "f"])).unwrap();
        assert!(inv.quiet && inv.extended);
        assert_eq!((inv.expressions, inv.files), (args(&["2p"]), args(&["f"])));
        let inv = parse_args(&args(&["-i.bak", "1d", "f"])).unwrap();
        assert_eq!(inv.in_place.as_deref(), Some(".bak"));
        assert_eq!(inv.expressions, args(&["1d"]));
        assert!(
            parse_args(&args(&["-x", "p"]))
                .unwrap_err()
                .starts_with("sed: invalid option -- 'x'\n")
        );
        assert_eq!(
            parse_args(&args(&["-i", "p"])).unwrap_err(),
            "sed: no input files\n"
        );
        assert_eq!(parse_args(&[]).unwrap_err(), USAGE);
    }

    #[test]
    fn several_expressions_form_one_script() {
        let s = parse(&["1d".to_owned(), "s/c/C/".to_owned()], false).unwrap();
        assert_eq!(s.run(ABCD, false).output, "b\nC\nd\n");
    }

    #[test]
    fn errors_have_gnu_texts_and_positions() {
        for (script, message) in [
            ("k", "-e expression #1, char 1: unknown command: `k'"),
            ("1,5k", "-e expression #1, char 4: unknown command: `k'"),
            (
                "s/a/b",
                "-e expression #1, char 5: unterminated `s' command",
            ),
            ("s/a/b/z", "-e expression #1, char 7: unknown option to `s'"),
            ("1,", "-e expression #1, char 2: unexpected `,'"),
            (
                "/abc",
                "-e expression #1, char 4: unterminated address regex",
            ),
            (
                "p x",
                "-e expression #1, char 3: extra characters after command",
            ),
            (
                "0p",
                "-e expression #1, char 2: invalid usage of line address 0",
            ),
            ("1", "-e expression #1, char 1: missing command"),
            (r"s/\(/x/", "-e expression #1, char 7: Unmatched ( or \\("),
            (
                "y/ab/x/",
                "-e expression #1, char 7: strings for `y' command are different lengths",
            ),
            ("}", "-e expression #1, char 1: unexpected `}'"),
            ("{p", "-e expression #1, char 0: unmatched `{'"),
            (
                "1,2q",
                "-e expression #1, char 4: command only uses one address",
            ),
        ] {
            assert_eq!(sed(script, ABCD, false).unwrap_err(), message, "{script}");
        }
        // Huge numbers saturate instead of overflowing.
        assert_eq!(sed("1,+99999999999999999999999d", ABCD, false).unwrap(), "");
        let second = parse(&["p".to_owned(), "k".to_owned()], false).unwrap_err();
        assert_eq!(second, "-e expression #2, char 1: unknown command: `k'");
        let extended = parse(&["s/(/x/".to_owned()], true).unwrap_err();
        assert_eq!(extended, "-e expression #1, char 6: Unmatched ( or \\(");
    }
}
