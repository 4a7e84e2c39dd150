//! Running parsed command lines: expansion (variables, field splitting, tilde, globs, aliases),
//! pipes and redirections over the VFS, and the coreutils subset learners use.

use crate::parse::{Join, List, Part, Redir, Simple, Word};
use crate::vfs::{basename, resolve};
use crate::{CommandOutput, Effect, Session, Stream};
use std::time::Duration;

/// What one command produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Res {
    pub chunks: Vec<(Stream, String)>,
    pub code: i32,
    pub effects: Vec<Effect>,
}

impl Res {
    pub fn ok() -> Self {
        Self::default()
    }
    pub fn out(text: impl Into<String>) -> Self {
        let mut r = Self::default();
        r.push_out(text);
        r
    }
    pub fn err(text: impl Into<String>, code: i32) -> Self {
        let mut r = Self::default();
        r.push_err(text);
        r.code = code;
        r
    }
    pub fn push_out(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !text.is_empty() {
            self.chunks.push((Stream::Stdout, text));
        }
    }
    pub fn push_err(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !text.is_empty() {
            self.chunks.push((Stream::Stderr, text));
        }
    }
    pub fn stdout(&self) -> String {
        self.chunks
            .iter()
            .filter(|(s, _)| *s == Stream::Stdout)
            .map(|(_, t)| t.as_str())
            .collect()
    }
}

pub fn error_output(text: &str, code: i32) -> CommandOutput {
    CommandOutput {
        chunks: vec![(Stream::Stderr, text.to_owned())],
        exit_code: code,
        effects: Vec::new(),
    }
}

/// Most aliases expanded for one command (guards against alias loops).
const MAX_ALIAS_DEPTH: usize = 16;
/// Most fields one command may expand to (guards against runaway globs and variables).
const MAX_FIELDS: usize = 100_000;

/// Runs a parsed line; `text` is the line as typed (for the command text of `&` jobs).
pub fn run_list(session: &mut Session, list: &List, text: &str) -> CommandOutput {
    let mut out = CommandOutput::default();
    let mut status = 0;
    let mut backgrounds = 0;
    for item in list {
        let run = match item.join {
            Join::Seq => true,
            Join::And => status == 0,
            Join::Or => status != 0,
        };
        if item.background {
            backgrounds += 1;
        }
        if !run {
            continue;
        }
        let res = if item.background {
            let command = background_text(text, backgrounds - 1);
            crate::jobs::run_background(session, &item.pipeline, command)
        } else {
            run_pipeline(session, &item.pipeline)
        };
        status = res.code;
        session.last_status = status;
        out.chunks.extend(res.chunks);
        out.effects.extend(res.effects);
        if out.effects.contains(&Effect::Exit) {
            break;
        }
    }
    out.exit_code = status;
    out
}

/// The text of the `n`th pipeline ended by a lone `&` in `line` (what `jobs` shows): the
/// words between the previous separator and that `&`.
fn background_text(line: &str, n: usize) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut quote: Option<char> = None;
    let mut start = 0;
    let mut seen = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '\\' => i += 1,
                ';' | '\n' => start = i + 1,
                '|' if chars.get(i + 1) == Some(&'|') => {
                    start = i + 2;
                    i += 1;
                }
                '&' if chars.get(i + 1) == Some(&'&') => {
                    start = i + 2;
                    i += 1;
                }
                '&' if i > 0 && chars[i - 1] == '>' || chars.get(i + 1) == Some(&'>') => {}
                '&' => {
                    if seen == n {
                        return chars[start..i].iter().collect::<String>().trim().to_owned();
                    }
                    seen += 1;
                    start = i + 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    chars[start.min(chars.len())..]
        .iter()
        .collect::<String>()
        .trim()
        .to_owned()
}

pub(crate) fn run_pipeline(session: &mut Session, pipeline: &[Simple]) -> Res {
    let mut total = Res::ok();
    let mut input: Option<String> = None;
    let last = pipeline.len().saturating_sub(1);
    for (i, cmd) in pipeline.iter().enumerate() {
        session.tty = i == last
            && !cmd.redirs.iter().any(|r| {
                matches!(
                    r,
                    Redir::Out { fd: 1, .. } | Redir::Both { .. } | Redir::ErrToOut
                )
            });
        let mut res = run_simple(session, cmd, input.take());
        // Background jobs write to the terminal, never into this pipeline's pipe.
        total
            .chunks
            .extend(session.job_output.drain(..).map(|t| (Stream::Stdout, t)));
        let side: Vec<(Stream, String)> = session
            .side_stderr
            .drain(..)
            .map(|e| (Stream::Stderr, e))
            .collect();
        res.chunks.splice(0..0, side);
        total.effects.append(&mut res.effects);
        if i == last {
            total.chunks.append(&mut res.chunks);
            total.code = res.code;
        } else {
            let mut piped = String::new();
            for (stream, text) in res.chunks {
                match stream {
                    Stream::Stdout => piped.push_str(&text),
                    Stream::Stderr => total.chunks.push((stream, text)),
                }
            }
            input = Some(piped);
        }
    }
    total
}

pub(crate) fn expand_word(session: &mut Session, word: &Word) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut started = false;
    let mut glob = false;
    for (i, part) in word.iter().enumerate() {
        match part {
            Part::Lit(s) => {
                let s = if i == 0 && (s == "~" || s.starts_with("~/")) {
                    format!("/root{}", &s[1..])
                } else {
                    s.clone()
                };
                glob |= s.contains('*') || s.contains('?');
                current.push_str(&s);
                started = true;
            }
            Part::Quoted(s) => {
                current.push_str(s);
                started = true;
            }
            Part::QVar(name) => {
                current.push_str(&var(session, name));
                started = true;
            }
            Part::QCmd(text) => {
                current.push_str(&substitute(session, text));
                started = true;
            }
            Part::ProcSub(text) => {
                current.push_str(&process_substitution(session, text));
                started = true;
            }
            Part::Var(_) | Part::Cmd(_) => {
                let value = match part {
                    Part::Var(name) => var(session, name),
                    Part::Cmd(text) => substitute(session, text),
                    _ => String::new(),
                };
                let mut pieces = value.split_whitespace();
                if value.starts_with(char::is_whitespace) && started {
                    fields.push(std::mem::take(&mut current));
                    started = false;
                }
                if let Some(first) = pieces.next() {
                    current.push_str(first);
                    started = true;
                    for piece in pieces {
                        fields.push(std::mem::take(&mut current));
                        current.push_str(piece);
                    }
                }
                if value.ends_with(char::is_whitespace) && started {
                    fields.push(std::mem::take(&mut current));
                    started = false;
                }
            }
        }
    }
    if started {
        fields.push(current);
    }
    if glob {
        fields = fields
            .into_iter()
            .flat_map(|f| expand_glob(session, &f))
            .collect();
    }
    fields
}

/// Deepest `$(...)` nesting allowed (guards against runaway recursion).
const MAX_SUBST_DEPTH: usize = 8;

/// `$(command)`: runs it and returns its stdout without trailing newlines. Its stderr goes to
/// the terminal ahead of the outer command's output.
fn substitute(session: &mut Session, text: &str) -> String {
    if session.subst_depth >= MAX_SUBST_DEPTH {
        session
            .side_stderr
            .push("bash: command substitution nested too deeply\n".to_owned());
        return String::new();
    }
    let list = match crate::parse::parse(text, Vec::new()) {
        Ok(list) => list,
        Err(e) => {
            session.side_stderr.push(format!("bash: {e}\n"));
            return String::new();
        }
    };
    let tty = session.tty;
    session.subst_depth += 1;
    let out = run_list(session, &list, text);
    session.subst_depth -= 1;
    session.tty = tty;
    let mut stdout = String::new();
    for (stream, chunk) in out.chunks {
        match stream {
            Stream::Stdout => stdout.push_str(&chunk),
            Stream::Stderr => session.side_stderr.push(chunk),
        }
    }
    stdout.trim_end_matches('\n').to_owned()
}

/// Where bash's process substitutions appear; the line that used them cleans them up.
pub(crate) const PROC_SUBST_DIR: &str = "/dev/fd";

/// `<(command)`: runs it and names a file with its whole stdout, as bash's `/dev/fd/63`
/// (then 62, ...) for the command reading it.
fn process_substitution(session: &mut Session, text: &str) -> String {
    let out = {
        let list = match crate::parse::parse(text, Vec::new()) {
            Ok(list) => list,
            Err(e) => {
                session.side_stderr.push(format!("bash: {e}\n"));
                return String::new();
            }
        };
        if session.subst_depth >= MAX_SUBST_DEPTH {
            session
                .side_stderr
                .push("bash: command substitution nested too deeply\n".to_owned());
            return String::new();
        }
        let tty = session.tty;
        session.tty = false;
        session.subst_depth += 1;
        let out = run_list(session, &list, text);
        session.subst_depth -= 1;
        session.tty = tty;
        out
    };
    let mut stdout = String::new();
    for (stream, chunk) in out.chunks {
        match stream {
            Stream::Stdout => stdout.push_str(&chunk),
            Stream::Stderr => session.side_stderr.push(chunk),
        }
    }
    let _ = session.vfs.mkdir(PROC_SUBST_DIR, true);
    let path = (10..=63)
        .rev()
        .map(|fd| format!("{PROC_SUBST_DIR}/{fd}"))
        .find(|p| !session.vfs.exists(p))
        .unwrap_or_else(|| format!("{PROC_SUBST_DIR}/10"));
    let _ = session.vfs.write(&path, &stdout, false);
    path
}

fn var(session: &Session, name: &str) -> String {
    if name == "?" {
        return session.last_status.to_string();
    }
    if name == "PWD" {
        return session.cwd.clone();
    }
    if name == "HOSTNAME" {
        return session.host.clone();
    }
    session.env.get(name).cloned().unwrap_or_default()
}

/// `*` and `?` wildcards in one path component.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn expand_glob(session: &Session, field: &str) -> Vec<String> {
    let (dir, pattern) = match field.rfind('/') {
        Some(i) => (&field[..=i], &field[i + 1..]),
        None => ("", field),
    };
    if dir.contains('*') || dir.contains('?') {
        return vec![field.to_owned()];
    }
    let abs = resolve(&session.cwd, if dir.is_empty() { "." } else { dir });
    let matches: Vec<String> = session
        .vfs
        .children(&abs)
        .into_iter()
        .filter(|(name, _)| !name.starts_with('.') && glob_match(pattern, name))
        .map(|(name, _)| format!("{dir}{name}"))
        .collect();
    if matches.is_empty() {
        vec![field.to_owned()]
    } else {
        matches
    }
}

fn expand_aliases(session: &Session, cmd: &Simple) -> Vec<Word> {
    let mut words = cmd.words.clone();
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..MAX_ALIAS_DEPTH {
        let Some(first) = words.first() else { break };
        let [Part::Lit(name)] = first.as_slice() else {
            break;
        };
        if seen.contains(name) {
            break;
        }
        let Some(value) = session.aliases.get(name) else {
            break;
        };
        seen.push(name.clone());
        let Ok(list) = crate::parse::parse(value, Vec::new()) else {
            break;
        };
        let Some(simple) = list.first().and_then(|item| item.pipeline.first()) else {
            words.remove(0);
            continue;
        };
        let mut new_words = simple.words.clone();
        new_words.extend(words.into_iter().skip(1));
        words = new_words;
    }
    words
}

fn run_simple(session: &mut Session, cmd: &Simple, input: Option<String>) -> Res {
    let words = expand_aliases(session, cmd);
    let mut args: Vec<String> = Vec::new();
    for w in &words {
        args.extend(expand_word(session, w));
        if args.len() > MAX_FIELDS {
            return Res::err("bash: argument list too long\n", 126);
        }
    }
    let assigns: Vec<(String, String)> = cmd
        .assigns
        .iter()
        .map(|(k, w)| (k.clone(), expand_word(session, w).join(" ")))
        .collect();
    if args.is_empty() {
        for (k, v) in assigns {
            session.env.insert(k, v);
        }
        // Redirections alone still create files (`> file`).
        for r in &cmd.redirs {
            if let Redir::Out { target, append, .. } | Redir::Both { target, append } = r {
                let target = expand_word(session, target).join(" ");
                let path = resolve(&session.cwd, &target);
                if let Err(e) = session.vfs.write(&path, "", *append) {
                    return Res::err(format!("bash: {target}: {e}\n"), 1);
                }
            }
        }
        return Res::ok();
    }
    // Input redirections.
    let mut stdin = input;
    for r in &cmd.redirs {
        match r {
            Redir::In(target) => {
                let target = expand_word(session, target).join(" ");
                match session.vfs.read(&resolve(&session.cwd, &target)) {
                    Ok(text) => stdin = Some(text),
                    Err(e) => return Res::err(format!("bash: {target}: {e}\n"), 1),
                }
            }
            Redir::Heredoc { body, expand } => {
                stdin = Some(if *expand {
                    expand_heredoc(session, body)
                } else {
                    body.clone()
                });
            }
            _ => {}
        }
    }
    let saved: Vec<(String, Option<String>)> = assigns
        .iter()
        .map(|(k, v)| (k.clone(), session.env.insert(k.clone(), v.clone())))
        .collect();
    let mut res = run_command(session, &args, stdin.as_deref().unwrap_or(""));
    for (k, old) in saved {
        match old {
            Some(v) => session.env.insert(k, v),
            None => session.env.remove(&k),
        };
    }
    // Output redirections, in order.
    for r in &cmd.redirs {
        match r {
            Redir::ErrToOut => {
                for c in &mut res.chunks {
                    c.0 = Stream::Stdout;
                }
            }
            Redir::Out { fd, append, target } => {
                let stream = if *fd == 2 {
                    Stream::Stderr
                } else {
                    Stream::Stdout
                };
                let target = expand_word(session, target).join(" ");
                let text: String = res
                    .chunks
                    .iter()
                    .filter(|(s, _)| *s == stream)
                    .map(|(_, t)| t.as_str())
                    .collect();
                res.chunks.retain(|(s, _)| *s != stream);
                if target == "/dev/null" {
                    continue;
                }
                if let Err(e) = session
                    .vfs
                    .write(&resolve(&session.cwd, &target), &text, *append)
                {
                    return Res::err(format!("bash: {target}: {e}\n"), 1);
                }
            }
            Redir::Both { append, target } => {
                let target = expand_word(session, target).join(" ");
                let text: String = res.chunks.iter().map(|(_, t)| t.as_str()).collect();
                res.chunks.clear();
                if target == "/dev/null" {
                    continue;
                }
                if let Err(e) = session
                    .vfs
                    .write(&resolve(&session.cwd, &target), &text, *append)
                {
                    return Res::err(format!("bash: {target}: {e}\n"), 1);
                }
            }
            _ => {}
        }
    }
    res
}

fn expand_heredoc(session: &Session, body: &str) -> String {
    let chars: Vec<char> = body.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && matches!(chars.get(i + 1), Some('$' | '\\' | '`')) {
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if chars[i] == '$' {
            let (name, next) = read_heredoc_var(&chars, i);
            if let Some(name) = name {
                out.push_str(&var(session, &name));
                i = next;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn read_heredoc_var(chars: &[char], i: usize) -> (Option<String>, usize) {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    match chars.get(i + 1) {
        Some('{') => match chars[i + 2..].iter().position(|&c| c == '}') {
            Some(end) => (
                Some(chars[i + 2..i + 2 + end].iter().collect()),
                i + 3 + end,
            ),
            None => (None, i + 1),
        },
        Some('?') => (Some("?".to_owned()), i + 2),
        Some(&c) if is_name(c) && !c.is_ascii_digit() => {
            let mut j = i + 1;
            while j < chars.len() && is_name(chars[j]) {
                j += 1;
            }
            (Some(chars[i + 1..j].iter().collect()), j)
        }
        _ => (None, i + 1),
    }
}

// One line per group; rustfmt would put every name on its own line once one is over 10 chars.
#[rustfmt::skip]
const BUILTINS: &[&str] = &[
    "alias", "awk", "cat", "cd", "clear", "cp", "curl", "cut", "echo", "env", "exit", "export",
    "false", "grep", "head", "help", "history", "hostname", "kubectl", "ls", "mkdir", "mv", "nano",
    "printenv", "pwd", "rm", "sed", "sleep", "sort", "ssh", "tail", "touch", "true", "unalias",
    "jobs", "fg", "kill", "uniq", "unset", "vi", "vim", "watch", "wc", "wget", "which", "whoami",
    "systemctl", "base64", "source", "complete",
];

fn run_command(session: &mut Session, args: &[String], stdin: &str) -> Res {
    let name = args[0].as_str();
    let rest = &args[1..];
    match name {
        "kubectl" => crate::kubectl::run(session, rest, stdin),
        "echo" => echo(rest),
        "true" | ":" => Res::ok(),
        "false" => Res {
            code: 1,
            ..Res::ok()
        },
        "pwd" => Res::out(format!("{}\n", session.cwd)),
        "cd" => cd(session, rest),
        "ls" => ls(session, rest),
        "cat" => cat(session, rest, stdin),
        "mkdir" => mkdir(session, rest),
        "rm" => rm(session, rest),
        "cp" | "mv" => cp_mv(session, name, rest),
        "touch" => touch(session, rest),
        "head" | "tail" => head_tail(session, name, rest, stdin),
        "grep" => grep(session, rest, stdin),
        "wc" => wc(session, rest, stdin),
        "base64" => base64_command(session, rest, stdin),
        "sort" => sort(session, rest, stdin),
        "uniq" => uniq(session, rest, stdin),
        "cut" => cut(session, rest, stdin),
        "sed" => sed(session, rest, stdin),
        "awk" => awk(session, rest, stdin),
        "sleep" => sleep(session, rest),
        "clear" => Res {
            effects: vec![Effect::Clear],
            ..Res::ok()
        },
        "vi" | "vim" | "nano" => match rest.iter().find(|a| !a.starts_with('-')) {
            Some(file) => Res {
                effects: vec![Effect::OpenEditor {
                    path: resolve(&session.cwd, file),
                }],
                ..Res::ok()
            },
            None => Res::err(
                format!("{name}: a file name is needed in this terminal\n"),
                1,
            ),
        },
        "export" => {
            for a in rest {
                if let Some((k, v)) = a.split_once('=') {
                    session.env.insert(k.to_owned(), v.to_owned());
                }
            }
            Res::ok()
        }
        "unset" => {
            for a in rest {
                session.env.remove(a);
            }
            Res::ok()
        }
        "env" | "printenv" => {
            let mut out = String::new();
            for (k, v) in &session.env {
                out.push_str(&format!("{k}={v}\n"));
            }
            Res::out(out)
        }
        "alias" => alias(session, rest),
        "source" | "." => source(session, name, rest),
        // Tab completion already follows kubectl and its aliases (`complete -F
        // __start_kubectl k` from the usual setup lines changes nothing here).
        "complete" => Res::ok(),
        "unalias" => {
            for a in rest {
                if session.aliases.remove(a).is_none() {
                    return Res::err(format!("bash: unalias: {a}: not found\n"), 1);
                }
            }
            Res::ok()
        }
        "history" => {
            let mut out = String::new();
            for (i, line) in session.history.iter().enumerate() {
                out.push_str(&format!("{:>5}  {line}\n", i + 1));
            }
            Res::out(out)
        }
        "whoami" => Res::out("root\n"),
        "hostname" => Res::out(format!("{}\n", session.host)),
        "which" => {
            let mut r = Res::ok();
            for a in rest {
                if a == "kubectl" {
                    r.push_out("/usr/bin/kubectl\n");
                } else if BUILTINS.contains(&a.as_str()) {
                    r.push_out(format!("/usr/bin/{a}\n"));
                } else {
                    r.code = 1;
                }
            }
            r
        }
        "ssh" => ssh(session, rest),
        "systemctl" => systemctl(session, rest),
        "curl" => crate::net::curl(session, rest),
        "wget" => crate::net::wget(session, rest),
        "exit" | "logout" => {
            // `ssh` from this terminal's host returns there; on its own host `exit` ends the
            // terminal.
            if session.host != session.home {
                let node = std::mem::replace(&mut session.host, session.home.clone());
                Res::out(format!("logout\nConnection to {node} closed.\n"))
            } else {
                Res {
                    effects: vec![Effect::Exit],
                    ..Res::ok()
                }
            }
        }
        "help" => Res::out(HELP),
        "watch" => watch(session, rest),
        "jobs" => crate::jobs::jobs(session, rest),
        "fg" => crate::jobs::fg(session, rest),
        "kill" => crate::jobs::kill(session, rest),
        _ => Res::err(format!("bash: {name}: command not found\n"), 127),
    }
}

const HELP: &str =
    "Tidepool terminal: a simulated Kubernetes v1.32 cluster (controlplane, node01, node02).

  kubectl ...          talk to the cluster (get, describe, create, apply, delete, run, ...)
  ls cd pwd cat echo mkdir rm cp mv touch head tail grep wc sort uniq cut sed awk
  vi/vim/nano FILE     edit a file        sleep N      let N seconds of cluster time pass
  alias k=kubectl      aliases            export A=1   variables
  cat <<EOF > f.yaml   heredocs           history, !!, clear, ssh node01, exit
";

/// A running `watch`: the command, its interval and when the next frame is due.
#[derive(Debug, Clone)]
pub(crate) struct WatchState {
    command: String,
    interval: Duration,
    title: bool,
    next_at: tidepool_core::VirtualTime,
}

/// `watch [-n SECS] [-t] COMMAND...`: like procps watch, a frame every interval of virtual
/// time (the header, a blank line, the command's output) drawn on a cleared screen, until
/// Ctrl-C. The session streams it ([`Effect::Follow`]); each frame carries [`Effect::Clear`].
fn watch(session: &mut Session, args: &[String]) -> Res {
    let mut interval = Duration::from_secs(2);
    let mut title = true;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "-n" || a == "--interval" {
            i += 1;
            match args.get(i).and_then(|v| parse_sleep(v)) {
                Some(d) if d >= Duration::from_millis(100) => interval = d,
                _ => {
                    return Res::err(
                        format!(
                            "watch: failed to parse argument: '{}'\n",
                            args.get(i).map_or("", String::as_str)
                        ),
                        1,
                    );
                }
            }
        } else if let Some(v) = a.strip_prefix("--interval=") {
            match parse_sleep(v) {
                Some(d) if d >= Duration::from_millis(100) => interval = d,
                _ => return Res::err(format!("watch: failed to parse argument: '{v}'\n"), 1),
            }
        } else if let Some(v) = a.strip_prefix("-n") {
            match parse_sleep(v) {
                Some(d) if d >= Duration::from_millis(100) => interval = d,
                _ => return Res::err(format!("watch: failed to parse argument: '{v}'\n"), 1),
            }
        } else if a == "-t" || a == "--no-title" {
            title = false;
        } else if a.starts_with('-') {
            // Other options (-d, -x, ...) change only how frames are drawn.
        } else {
            break;
        }
        i += 1;
    }
    let command = args[i.min(args.len())..].join(" ");
    if command.is_empty() {
        return Res::err("Usage:\n watch [options] command\n", 1);
    }
    let mut state = WatchState {
        command,
        interval,
        title,
        next_at: session.sim.now(),
    };
    let mut res = frame(session, &mut state);
    res.effects.push(Effect::Follow);
    session.watch = Some(state);
    res
}

/// One watch frame: run the command (its output is a pipe, as under `sh -c`), then the
/// header and output, with [`Effect::Clear`] first.
fn frame(session: &mut Session, state: &mut WatchState) -> Res {
    let tty = session.tty;
    session.tty = false;
    let output = match crate::parse::parse(&state.command, Vec::new()) {
        Ok(list) => run_list(session, &list, &state.command).text(),
        Err(e) => format!("sh: 1: {e}\n"),
    };
    session.tty = tty;
    // The command ran to completion; nothing it started keeps streaming.
    session.follow = None;
    session.log_follow = None;
    session.drain = None;
    session.forward = None;
    let now = session.sim.now();
    state.next_at = now.saturating_add(state.interval);
    let mut text = String::new();
    if state.title {
        let left = format!(
            "Every {:.1}s: {}",
            state.interval.as_secs_f64(),
            state.command
        );
        let right = format!(
            "{}: {}",
            session.host,
            tidepool_core::api::timestamp(now)
                .0
                .format("%a %b %e %H:%M:%S %Y")
        );
        let width = session
            .env
            .get("COLUMNS")
            .and_then(|c| c.parse::<usize>().ok())
            .unwrap_or(80);
        let gap = width.saturating_sub(left.chars().count() + right.chars().count());
        text.push_str(&format!("{left}{}{right}\n\n", " ".repeat(gap.max(1))));
    }
    text.push_str(&output);
    Res {
        chunks: vec![(Stream::Stdout, text)],
        code: 0,
        effects: vec![Effect::Clear],
    }
}

/// A due frame of the running watch (`Some(empty)` between frames, `None` without a watch).
pub(crate) fn poll_watch(session: &mut Session) -> Option<Res> {
    let mut state = session.watch.take()?;
    let res = if session.sim.now() >= state.next_at {
        frame(session, &mut state)
    } else {
        Res::ok()
    };
    session.watch = Some(state);
    Some(res)
}

fn echo(args: &[String]) -> Res {
    let mut newline = true;
    let mut escapes = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-n" => newline = false,
            "-e" => escapes = true,
            "-E" => escapes = false,
            "-ne" | "-en" => {
                newline = false;
                escapes = true;
            }
            _ => break,
        }
        i += 1;
    }
    let mut text = args[i..].join(" ");
    if escapes {
        text = text.replace("\\n", "\n").replace("\\t", "\t");
    }
    if newline {
        text.push('\n');
    }
    Res::out(text)
}

fn cd(session: &mut Session, args: &[String]) -> Res {
    let target = args.first().map_or("/root", String::as_str);
    let path = resolve(&session.cwd, target);
    if session.vfs.is_dir(&path) {
        session.cwd = path;
        Res::ok()
    } else if session.vfs.exists(&path) {
        Res::err(format!("bash: cd: {target}: Not a directory\n"), 1)
    } else {
        Res::err(
            format!("bash: cd: {target}: No such file or directory\n"),
            1,
        )
    }
}

fn split_flags(args: &[String]) -> (String, Vec<&String>) {
    let mut flags = String::new();
    let mut rest = Vec::new();
    for a in args {
        if a.len() > 1 && a.starts_with('-') && !a.starts_with("--") {
            flags.push_str(&a[1..]);
        } else if !a.starts_with("--") {
            rest.push(a);
        }
    }
    (flags, rest)
}

/// GNU ls column layout for an 80-column terminal.
fn columns(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let n = names.len();
    for cols in (1..=n).rev() {
        let rows = n.div_ceil(cols);
        let cols = n.div_ceil(rows);
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                names[c * rows..((c + 1) * rows).min(n)]
                    .iter()
                    .map(String::len)
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let total: usize = widths.iter().sum::<usize>() + 2 * (cols - 1);
        if total < 80 || cols == 1 {
            let mut out = String::new();
            for r in 0..rows {
                let mut line = String::new();
                for (c, w) in widths.iter().enumerate() {
                    if let Some(name) = names.get(c * rows + r) {
                        if c + 1 < cols && names.get((c + 1) * rows + r).is_some() {
                            line.push_str(&format!("{name:<w$}  "));
                        } else {
                            line.push_str(name);
                        }
                    }
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
            return out;
        }
    }
    String::new()
}

fn ls(session: &Session, args: &[String]) -> Res {
    let (flags, targets) = split_flags(args);
    let all = flags.contains('a');
    let long = flags.contains('l');
    let one = flags.contains('1') || !session.tty;
    let targets: Vec<String> = if targets.is_empty() {
        vec![".".to_owned()]
    } else {
        targets.into_iter().cloned().collect()
    };
    let mut res = Res::ok();
    let size_of = |path: &str| session.vfs.read(path).map_or(4096, |s| s.len());
    let render = |entries: &[(String, String)]| -> String {
        // (shown name, absolute path)
        if long {
            // GNU ls right-aligns sizes to the widest one in the listing.
            let width = entries
                .iter()
                .map(|(_, p)| size_of(p).to_string().len())
                .max()
                .unwrap_or(1);
            entries
                .iter()
                .map(|(name, path)| {
                    let dir = session.vfs.is_dir(path);
                    let mode = if dir { "drwxr-xr-x 2" } else { "-rw-r--r-- 1" };
                    format!(
                        "{mode} root root {:>width$} Jan  1 00:00 {name}\n",
                        size_of(path)
                    )
                })
                .collect()
        } else {
            let names: Vec<String> = entries.iter().map(|(n, _)| n.clone()).collect();
            if one {
                names.iter().map(|n| format!("{n}\n")).collect()
            } else {
                columns(&names)
            }
        }
    };
    // GNU ls lists the file operands first, then each directory.
    let mut files: Vec<(String, String)> = Vec::new();
    let mut dirs: Vec<(String, String)> = Vec::new();
    for t in &targets {
        let path = resolve(&session.cwd, t);
        if !session.vfs.exists(&path) {
            res.push_err(format!(
                "ls: cannot access '{t}': No such file or directory\n"
            ));
            res.code = 2;
        } else if session.vfs.is_dir(&path) {
            dirs.push((t.clone(), path));
        } else {
            files.push((t.clone(), path));
        }
    }
    tidepool_core::stable_sort::sort(&mut files);
    tidepool_core::stable_sort::sort(&mut dirs);
    let mut out = render(&files);
    let headers = targets.len() > 1;
    for (i, (name, path)) in dirs.iter().enumerate() {
        if !out.is_empty() || i > 0 {
            out.push('\n');
        }
        if headers {
            out.push_str(&format!("{name}:\n"));
        }
        let entries: Vec<(String, String)> = session
            .vfs
            .children(path)
            .into_iter()
            .filter(|(n, _)| all || !n.starts_with('.'))
            .map(|(n, _)| {
                let p = format!("{}/{n}", path.trim_end_matches('/'));
                (n, p)
            })
            .collect();
        if long {
            out.push_str(&format!("total {}\n", entries.len() * 4));
        }
        out.push_str(&render(&entries));
    }
    res.chunks.insert(0, (Stream::Stdout, out));
    res.chunks.retain(|(_, t)| !t.is_empty());
    res
}

fn read_inputs(
    session: &Session,
    cmd: &str,
    files: &[&String],
    stdin: &str,
    res: &mut Res,
) -> Vec<String> {
    if files.is_empty() {
        return vec![stdin.to_owned()];
    }
    let mut out = Vec::new();
    for f in files {
        if f.as_str() == "-" {
            out.push(stdin.to_owned());
            continue;
        }
        match session.vfs.read(&resolve(&session.cwd, f)) {
            Ok(t) => out.push(t),
            Err(e) => {
                res.push_err(format!("{cmd}: {f}: {e}\n"));
                res.code = if cmd == "grep" { 2 } else { 1 };
            }
        }
    }
    out
}

fn cat(session: &Session, args: &[String], stdin: &str) -> Res {
    let (_, files) = split_flags(args);
    let mut res = Res::ok();
    if files.is_empty() {
        res.push_out(stdin);
        return res;
    }
    for f in files {
        if f.as_str() == "-" {
            res.push_out(stdin);
            continue;
        }
        match session.vfs.read(&resolve(&session.cwd, f)) {
            Ok(t) => res.push_out(t),
            Err(e) => {
                res.push_err(format!("cat: {f}: {e}\n"));
                res.code = 1;
            }
        }
    }
    res
}

fn mkdir(session: &mut Session, args: &[String]) -> Res {
    let (flags, dirs) = split_flags(args);
    let mut res = Res::ok();
    if dirs.is_empty() {
        return Res::err("mkdir: missing operand\n", 1);
    }
    for d in dirs {
        let path = resolve(&session.cwd, d);
        if let Err(e) = session.vfs.mkdir(&path, flags.contains('p')) {
            res.push_err(format!("mkdir: cannot create directory '{d}': {e}\n"));
            res.code = 1;
        }
    }
    res
}

fn rm(session: &mut Session, args: &[String]) -> Res {
    let (flags, files) = split_flags(args);
    let recursive = flags.contains('r') || flags.contains('R');
    let force = flags.contains('f');
    let mut res = Res::ok();
    if files.is_empty() && !force {
        return Res::err("rm: missing operand\n", 1);
    }
    for f in files {
        let path = resolve(&session.cwd, f);
        if !session.vfs.exists(&path) {
            if !force {
                res.push_err(format!(
                    "rm: cannot remove '{f}': No such file or directory\n"
                ));
                res.code = 1;
            }
        } else if session.vfs.is_dir(&path) && !recursive {
            res.push_err(format!("rm: cannot remove '{f}': Is a directory\n"));
            res.code = 1;
        } else {
            session.vfs.remove(&path);
        }
    }
    res
}

fn cp_mv(session: &mut Session, cmd: &str, args: &[String]) -> Res {
    let (_, files) = split_flags(args);
    if files.len() < 2 {
        return Res::err(
            format!(
                "{cmd}: missing destination file operand after '{}'\n",
                files.first().map_or("", |f| f.as_str())
            ),
            1,
        );
    }
    let (dest, sources) = files
        .split_last()
        .map_or((files[0], &[][..]), |(d, s)| (*d, s));
    let dest_path = resolve(&session.cwd, dest);
    let mut res = Res::ok();
    for src in sources {
        let src_path = resolve(&session.cwd, src);
        let text = match session.vfs.read(&src_path) {
            Ok(t) => t,
            Err(e) => {
                let e = if e == "Is a directory" {
                    format!("-r not specified; omitting directory '{src}'")
                } else {
                    format!("cannot stat '{src}': {e}")
                };
                res.push_err(format!("{cmd}: {e}\n"));
                res.code = 1;
                continue;
            }
        };
        let target = if session.vfs.is_dir(&dest_path) {
            format!("{dest_path}/{}", basename(&src_path))
        } else {
            dest_path.clone()
        };
        if let Err(e) = session.vfs.write(&target, &text, false) {
            res.push_err(format!("{cmd}: cannot create regular file '{dest}': {e}\n"));
            res.code = 1;
            continue;
        }
        if cmd == "mv" && target != src_path {
            session.vfs.remove(&src_path);
        }
    }
    res
}

fn touch(session: &mut Session, args: &[String]) -> Res {
    let mut res = Res::ok();
    for f in args.iter().filter(|a| !a.starts_with('-')) {
        let path = resolve(&session.cwd, f);
        if !session.vfs.exists(&path)
            && let Err(e) = session.vfs.write(&path, "", false)
        {
            res.push_err(format!("touch: cannot touch '{f}': {e}\n"));
            res.code = 1;
        }
    }
    res
}

fn lines_of(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn head_tail(session: &Session, cmd: &str, args: &[String], stdin: &str) -> Res {
    let mut n: usize = 10;
    let mut from_start = false;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-n" {
            i += 1;
            let v = args.get(i).map_or("", String::as_str);
            if let Some(v) = v.strip_prefix('+') {
                from_start = true;
                n = v.parse().unwrap_or(1);
            } else if let Ok(v) = v.parse() {
                n = v;
            } else {
                return Res::err(format!("{cmd}: invalid number of lines: '{v}'\n"), 1);
            }
        } else if let Some(v) = a.strip_prefix("-n") {
            n = v.parse().unwrap_or(n);
        } else if let Some(v) = a.strip_prefix('-').filter(|v| v.parse::<usize>().is_ok()) {
            n = v.parse().unwrap_or(n);
        } else if !a.starts_with('-') || a == "-" {
            files.push(a);
        }
        i += 1;
    }
    let mut res = Res::ok();
    for text in read_inputs(session, cmd, &files, stdin, &mut res) {
        let lines = lines_of(&text);
        let picked: String = if cmd == "head" {
            lines.iter().take(n).copied().collect()
        } else if from_start {
            lines.iter().skip(n.saturating_sub(1)).copied().collect()
        } else {
            lines[lines.len().saturating_sub(n)..].concat()
        };
        res.push_out(picked);
    }
    res
}

fn grep(session: &Session, args: &[String], stdin: &str) -> Res {
    let mut pattern: Option<String> = None;
    let mut files = Vec::new();
    let (mut ignore, mut invert, mut count, mut number, mut quiet, mut word) =
        (false, false, false, false, false, false);
    let mut extended = false;
    let (mut after, mut before) = (0usize, 0usize);
    let usage =
        "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n";
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a.starts_with('-') && a.len() > 1 && pattern.is_none() || a.starts_with("--") {
            let flags: Vec<char> = a.trim_start_matches('-').chars().collect();
            let mut j = 0;
            while j < flags.len() {
                let c = flags[j];
                j += 1;
                match c {
                    'i' => ignore = true,
                    'v' => invert = true,
                    'c' => count = true,
                    'n' => number = true,
                    'q' => quiet = true,
                    'w' => word = true,
                    'E' => extended = true,
                    'F' | 'h' | 's' => {}
                    'A' | 'B' | 'C' => {
                        let rest: String = flags[j..].iter().collect();
                        j = flags.len();
                        let value = if rest.is_empty() {
                            i += 1;
                            args.get(i - 1).cloned().unwrap_or_default()
                        } else {
                            rest
                        };
                        let Ok(n) = value.parse::<usize>() else {
                            return Res::err(
                                format!("grep: {value}: invalid context length argument\n"),
                                2,
                            );
                        };
                        if c != 'B' {
                            after = n;
                        }
                        if c != 'A' {
                            before = n;
                        }
                    }
                    _ => {
                        return Res::err(format!("grep: invalid option -- '{c}'\n{usage}"), 2);
                    }
                }
            }
        } else if pattern.is_none() {
            pattern = Some(a.clone());
        } else {
            files.push(a);
        }
    }
    let Some(pattern) = pattern else {
        return Res::err(usage, 2);
    };
    let mut re = if extended {
        pattern
    } else {
        tidepool_container::sed::basic_to_extended(&pattern)
    };
    if word {
        re = format!(r"\b(?:{re})\b");
    }
    if ignore {
        re = format!("(?i){re}");
    }
    let Ok(re) = regex_lite::Regex::new(&re) else {
        return Res::err("grep: Unmatched ( or \\(\n", 2);
    };
    let mut res = Res::ok();
    let inputs = read_inputs(session, "grep", &files, stdin, &mut res);
    let mut matched_any = false;
    let many = files.len() > 1;
    let mut out = String::new();
    let mut last_printed: Option<usize> = None;
    for (fi, text) in inputs.iter().enumerate() {
        let lines: Vec<&str> = text.lines().collect();
        let hits: Vec<bool> = lines.iter().map(|l| re.is_match(l) != invert).collect();
        let c = hits.iter().filter(|h| **h).count();
        matched_any |= c > 0;
        if count && !quiet {
            if many {
                out.push_str(&format!("{}:", files[fi]));
            }
            out.push_str(&format!("{c}\n"));
            continue;
        }
        if quiet {
            continue;
        }
        let mut show = vec![false; lines.len()];
        for (n, hit) in hits.iter().enumerate() {
            if *hit {
                for s in show
                    .iter_mut()
                    .take((n + after + 1).min(lines.len()))
                    .skip(n.saturating_sub(before))
                {
                    *s = true;
                }
            }
        }
        for (n, line) in lines.iter().enumerate() {
            if !show[n] {
                continue;
            }
            if (after > 0 || before > 0)
                && let Some(prev) = last_printed
                && n > prev + 1
            {
                out.push_str("--\n");
            }
            last_printed = Some(n);
            let sep = if hits[n] { ':' } else { '-' };
            if many {
                out.push_str(&format!("{}{sep}", files[fi]));
            }
            if number {
                out.push_str(&format!("{}{sep}", n + 1));
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    res.chunks.insert(0, (Stream::Stdout, out));
    res.chunks.retain(|(_, t)| !t.is_empty());
    if res.code == 0 && !matched_any {
        res.code = 1;
    }
    res
}

/// GNU coreutils' `base64 [-d] [-i] [-w COLS] [FILE]` (`tidepool_container::base64`, shared
/// with the containers' shells).
fn base64_command(session: &Session, args: &[String], stdin: &str) -> Res {
    use tidepool_container::base64;
    let options = match base64::parse(base64::Flavor::Gnu, args) {
        Ok(options) => options,
        Err(usage) => return Res::err(usage, 1),
    };
    let input = match options.file.as_deref() {
        None | Some("-") => stdin.to_owned(),
        Some(f) => match session.vfs.read(&resolve(&session.cwd, f)) {
            Ok(text) => text,
            Err(e) => return Res::err(format!("base64: {f}: {e}\n"), 1),
        },
    };
    let (out, error) = base64::run(&options, &input);
    let mut res = Res::out(out);
    if let Some(error) = error {
        res.push_err(error.to_owned());
        res.code = 1;
    }
    res
}

fn wc(session: &Session, args: &[String], stdin: &str) -> Res {
    let (flags, files) = split_flags(args);
    let mut res = Res::ok();
    let inputs = read_inputs(session, "wc", &files, stdin, &mut res);
    let text: String = inputs.concat();
    let l = text.matches('\n').count();
    let w = text.split_whitespace().count();
    let c = text.len();
    let picked: Vec<usize> = if flags.is_empty() {
        vec![l, w, c]
    } else {
        let mut v = Vec::new();
        if flags.contains('l') {
            v.push(l);
        }
        if flags.contains('w') {
            v.push(w);
        }
        if flags.contains('c') || flags.contains('m') {
            v.push(c);
        }
        v
    };
    let name = files.first().map(|f| format!(" {f}")).unwrap_or_default();
    let line = if picked.len() == 1 && files.is_empty() {
        picked[0].to_string()
    } else {
        let width = picked.iter().max().map_or(1, |m| m.to_string().len());
        let width = if files.is_empty() {
            width.max(7)
        } else {
            width
        };
        picked
            .iter()
            .map(|v| format!("{v:>width$}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    res.chunks
        .insert(0, (Stream::Stdout, format!("{line}{name}\n")));
    res
}

fn sort(session: &Session, args: &[String], stdin: &str) -> Res {
    let (flags, files) = split_flags(args);
    let mut res = Res::ok();
    let text = read_inputs(session, "sort", &files, stdin, &mut res).concat();
    let mut lines: Vec<&str> = text.lines().collect();
    if flags.contains('n') {
        let key = |s: &str| -> f64 {
            let t = s.trim_start();
            let end = t
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                .unwrap_or(t.len());
            t[..end].parse().unwrap_or(0.0)
        };
        tidepool_core::stable_sort::sort_by(&mut lines, |a, b| {
            key(a).total_cmp(&key(b)).then(a.cmp(b))
        });
    } else {
        lines.sort_unstable();
    }
    if flags.contains('r') {
        lines.reverse();
    }
    if flags.contains('u') {
        lines.dedup();
    }
    res.push_out(lines.iter().map(|l| format!("{l}\n")).collect::<String>());
    res
}

fn uniq(session: &Session, args: &[String], stdin: &str) -> Res {
    let (flags, files) = split_flags(args);
    let mut res = Res::ok();
    let text = read_inputs(session, "uniq", &files, stdin, &mut res).concat();
    let mut groups: Vec<(usize, &str)> = Vec::new();
    for line in text.lines() {
        match groups.last_mut() {
            Some((n, l)) if *l == line => *n += 1,
            _ => groups.push((1, line)),
        }
    }
    let mut out = String::new();
    for (n, l) in groups {
        if flags.contains('d') && n < 2 {
            continue;
        }
        if flags.contains('c') {
            out.push_str(&format!("{n:>7} {l}\n"));
        } else {
            out.push_str(&format!("{l}\n"));
        }
    }
    res.push_out(out);
    res
}

fn cut(session: &Session, args: &[String], stdin: &str) -> Res {
    let mut delim = "\t".to_owned();
    let mut fields: Option<String> = None;
    let mut chars_spec: Option<String> = None;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let take = |prefix: &str, i: &mut usize| -> Option<String> {
            if a == prefix {
                *i += 1;
                args.get(*i).cloned()
            } else {
                a.strip_prefix(prefix).map(str::to_owned)
            }
        };
        if let Some(d) = take("-d", &mut i) {
            delim = d;
        } else if let Some(f) = take("-f", &mut i) {
            fields = Some(f);
        } else if let Some(c) = take("-c", &mut i) {
            chars_spec = Some(c);
        } else {
            files.push(a);
        }
        i += 1;
    }
    let spec = match (fields.as_deref(), chars_spec.as_deref()) {
        (Some(f), _) | (None, Some(f)) => f.to_owned(),
        (None, None) => {
            return Res::err(
                "cut: you must specify a list of bytes, characters, or fields\nTry 'cut --help' for more information.\n",
                1,
            );
        }
    };
    let Some(ranges) = parse_ranges(&spec) else {
        return Res::err(
            format!("cut: invalid field value '{spec}'\nTry 'cut --help' for more information.\n"),
            1,
        );
    };
    let mut res = Res::ok();
    let text = read_inputs(session, "cut", &files, stdin, &mut res).concat();
    let mut out = String::new();
    for line in text.lines() {
        if fields.is_some() {
            if !line.contains(delim.as_str()) {
                out.push_str(line);
            } else {
                let parts: Vec<&str> = line.split(delim.as_str()).collect();
                let picked: Vec<&str> = parts
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| ranges.iter().any(|(a, b)| i + 1 >= *a && i < b))
                    .map(|(_, p)| *p)
                    .collect();
                out.push_str(&picked.join(&delim));
            }
        } else {
            let picked: String = line
                .chars()
                .enumerate()
                .filter(|(i, _)| ranges.iter().any(|(a, b)| i + 1 >= *a && i < b))
                .map(|(_, c)| c)
                .collect();
            out.push_str(&picked);
        }
        out.push('\n');
    }
    res.push_out(out);
    res
}

/// `1,3-5,7-` as inclusive 1-based (start, end) pairs.
fn parse_ranges(spec: &str) -> Option<Vec<(usize, usize)>> {
    spec.split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => Some((
                if a.is_empty() { 1 } else { a.parse().ok()? },
                if b.is_empty() {
                    usize::MAX
                } else {
                    b.parse().ok()?
                },
            )),
            None => {
                let n: usize = r.parse().ok()?;
                (n > 0).then_some((n, n))
            }
        })
        .collect()
}

/// One input of `sed` (`-` is stdin); a missing file is reported as GNU sed does.
fn sed_input(session: &Session, name: &str, stdin: &str, res: &mut Res) -> Option<String> {
    if name == "-" {
        return Some(stdin.to_owned());
    }
    match session.vfs.read(&resolve(&session.cwd, name)) {
        Ok(text) => Some(text),
        Err(e) => {
            res.push_err(format!("sed: can't read {name}: {e}\n"));
            res.code = 2;
            None
        }
    }
}

/// `sed [-n] [-E|-r] [-i[SUFFIX]] [-e SCRIPT]... [SCRIPT] [FILE]...`
/// (`tidepool_container::sed`, shared with the containers' shells).
fn sed(session: &mut Session, args: &[String], stdin: &str) -> Res {
    use tidepool_container::sed;
    let invocation = match sed::parse_args(args) {
        Ok(invocation) => invocation,
        Err(text) => return Res::err(text, 1),
    };
    let script = match sed::parse(&invocation.expressions, invocation.extended) {
        Ok(script) => script,
        Err(message) => return Res::err(format!("sed: {message}\n"), 1),
    };
    let mut res = Res::ok();
    let mut quit = None;
    if let Some(suffix) = &invocation.in_place {
        // Each file is its own stream (`$` is its last line) and is rewritten.
        for name in &invocation.files {
            let Some(text) = sed_input(session, name, stdin, &mut res) else {
                continue;
            };
            let outcome = script.run(&text, invocation.quiet);
            let path = resolve(&session.cwd, name);
            if !suffix.is_empty() {
                let _ = session.vfs.write(&format!("{path}{suffix}"), &text, false);
            }
            let _ = session.vfs.write(&path, &outcome.output, false);
            if outcome.exit.is_some() {
                quit = outcome.exit;
                break;
            }
        }
    } else {
        let mut input = String::new();
        if invocation.files.is_empty() {
            input.push_str(stdin);
        }
        for name in &invocation.files {
            if let Some(text) = sed_input(session, name, stdin, &mut res) {
                input.push_str(&text);
            }
        }
        let outcome = script.run(&input, invocation.quiet);
        res.chunks.insert(0, (Stream::Stdout, outcome.output));
        quit = outcome.exit;
    }
    if let Some(code) = quit.filter(|_| res.code == 0) {
        res.code = code;
    }
    res.chunks.retain(|(_, t)| !t.is_empty());
    res
}

fn awk(session: &Session, args: &[String], stdin: &str) -> Res {
    let mut sep: Option<String> = None;
    let mut program: Option<&String> = None;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-F" {
            i += 1;
            sep = args.get(i).cloned();
        } else if let Some(s) = a.strip_prefix("-F") {
            sep = Some(s.to_owned());
        } else if program.is_none() {
            program = Some(a);
        } else {
            files.push(a);
        }
        i += 1;
    }
    let Some(program) = program else {
        return Res::err("usage: awk [-F fs] 'program' [file ...]\n", 2);
    };
    // The supported subset: optional `/re/` or `NR>1` guard, then `{print $1, $3}`.
    let prog = program.trim();
    let (guard, body) = match prog.find('{') {
        Some(i) => (prog[..i].trim(), prog[i..].trim()),
        None => (prog, "{print $0}"),
    };
    let Some(inner) = body.strip_prefix('{').and_then(|b| b.strip_suffix('}')) else {
        return Res::err(format!("awk: syntax error in program: {prog}\n"), 2);
    };
    let inner = inner.trim().trim_end_matches(';').trim();
    let Some(items) = inner.strip_prefix("print") else {
        return Res::err(
            format!("awk: only '{{print ...}}' programs are supported here: {prog}\n"),
            2,
        );
    };
    let items: Vec<String> = if items.trim().is_empty() {
        vec!["$0".to_owned()]
    } else {
        items.split(',').map(|s| s.trim().to_owned()).collect()
    };
    let guard_re = guard
        .strip_prefix('/')
        .and_then(|g| g.strip_suffix('/'))
        .and_then(|g| regex_lite::Regex::new(g).ok());
    let nr_min: Option<usize> = guard
        .strip_prefix("NR>")
        .or_else(|| guard.strip_prefix("NR >"))
        .and_then(|n| n.trim().parse().ok());
    let mut res = Res::ok();
    let text = read_inputs(session, "awk", &files, stdin, &mut res).concat();
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(re) = &guard_re
            && !re.is_match(line)
        {
            continue;
        }
        if let Some(min) = nr_min
            && n < min
        {
            continue;
        }
        let fields: Vec<&str> = match &sep {
            Some(s) if !s.is_empty() && s != " " => line.split(s.as_str()).collect(),
            _ => line.split_whitespace().collect(),
        };
        let values: Vec<String> = items
            .iter()
            .map(|item| {
                item.split_whitespace()
                    .map(|tok| {
                        if let Some(n) = tok.strip_prefix('$') {
                            if n == "NF" {
                                return fields.last().copied().unwrap_or("").to_owned();
                            }
                            match n.parse::<usize>() {
                                Ok(0) => line.to_owned(),
                                Ok(i) => fields.get(i - 1).copied().unwrap_or("").to_owned(),
                                Err(_) => String::new(),
                            }
                        } else if tok == "NR" {
                            (n + 1).to_string()
                        } else if tok == "NF" {
                            fields.len().to_string()
                        } else {
                            tok.trim_matches('"').to_owned()
                        }
                    })
                    .collect::<String>()
            })
            .collect();
        out.push_str(&values.join(" "));
        out.push('\n');
    }
    res.chunks.insert(0, (Stream::Stdout, out));
    res.chunks.retain(|(_, t)| !t.is_empty());
    res
}

/// `30`, `1.5`, `2m`, `1h`, `10s`.
pub fn parse_sleep(arg: &str) -> Option<Duration> {
    let (num, mult) = match arg.chars().last()? {
        's' => (&arg[..arg.len() - 1], 1.0),
        'm' => (&arg[..arg.len() - 1], 60.0),
        'h' => (&arg[..arg.len() - 1], 3600.0),
        'd' => (&arg[..arg.len() - 1], 86400.0),
        _ => (arg, 1.0),
    };
    let v: f64 = num.parse().ok()?;
    if !v.is_finite() || v < 0.0 || v * mult > 1.0e9 {
        return None;
    }
    Some(Duration::from_millis((v * mult * 1000.0) as u64))
}

fn sleep(session: &mut Session, args: &[String]) -> Res {
    if args.is_empty() {
        return Res::err(
            "sleep: missing operand\nTry 'sleep --help' for more information.\n",
            1,
        );
    }
    let mut total = Duration::ZERO;
    for a in args {
        match parse_sleep(a) {
            Some(d) => total += d,
            None => {
                return Res::err(
                    format!(
                        "sleep: invalid time interval '{a}'\nTry 'sleep --help' for more information.\n"
                    ),
                    1,
                );
            }
        }
    }
    session.sim.advance(total);
    Res::ok()
}

/// Deepest `source` nesting (a file that sources itself stops here, as bash's recursion
/// limit would).
const MAX_SOURCE_DEPTH: usize = 16;

/// `source FILE` / `. FILE`: runs the file's commands in this shell (aliases and variables
/// stay), e.g. `source ~/.bashrc` or `source <(kubectl completion bash)`.
fn source(session: &mut Session, name: &str, args: &[String]) -> Res {
    let Some(file) = args.first() else {
        return Res::err(
            format!(
                "bash: {name}: filename argument required\n{name}: usage: {name} filename [arguments]\n"
            ),
            2,
        );
    };
    let path = resolve(&session.cwd, file);
    let text = match session.vfs.read(&path) {
        Ok(text) => text,
        Err(_) if session.vfs.is_dir(&path) => {
            return Res::err(format!("bash: {file}: is a directory\n"), 1);
        }
        Err(_) => return Res::err(format!("bash: {file}: No such file or directory\n"), 1),
    };
    if session.subst_depth >= MAX_SOURCE_DEPTH {
        return Res::err(format!("bash: {file}: maximum nesting level exceeded\n"), 1);
    }
    let list = match crate::parse::parse(&text, Vec::new()) {
        Ok(list) => list,
        Err(e) => return Res::err(format!("bash: {file}: {e}\n"), 2),
    };
    session.subst_depth += 1;
    let out = run_list(session, &list, &text);
    session.subst_depth -= 1;
    let mut res = Res::ok();
    res.chunks = out.chunks;
    res.code = out.exit_code;
    res.effects = out.effects;
    res
}

fn alias(session: &mut Session, args: &[String]) -> Res {
    let mut res = Res::ok();
    if args.is_empty() || args == ["-p"] {
        for (k, v) in &session.aliases {
            res.push_out(format!("alias {k}='{v}'\n"));
        }
        return res;
    }
    for a in args {
        match a.split_once('=') {
            Some((k, v)) => {
                session.aliases.insert(k.to_owned(), v.to_owned());
            }
            None => match session.aliases.get(a) {
                Some(v) => res.push_out(format!("alias {a}='{v}'\n")),
                None => {
                    res.push_err(format!("bash: alias: {a}: not found\n"));
                    res.code = 1;
                }
            },
        }
    }
    res
}

fn ssh(session: &mut Session, args: &[String]) -> Res {
    let Some(target) = args.iter().find(|a| !a.starts_with('-')) else {
        return Res::err("usage: ssh destination\n", 255);
    };
    let host = target.rsplit('@').next().unwrap_or(target);
    let known = session
        .sim
        .api()
        .list(tidepool_core::Kind::Node, None)
        .iter()
        .any(|n| n.name() == host);
    if !known {
        return Res::err(
            format!("ssh: Could not resolve hostname {host}: Name or service not known\n"),
            255,
        );
    }
    session.host = host.to_owned();
    Res::ok()
}

/// `systemctl stop|start|restart kubelet` on the host this terminal is on: the node's kubelet
/// stops (or resumes) reporting, so the node goes NotReady and its pods are evicted later.
/// Like systemctl run as root, success prints nothing.
fn systemctl(session: &mut Session, args: &[String]) -> Res {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (Some(&verb), Some(&unit)) = (words.first(), words.get(1)) else {
        return Res::err(
            "systemctl: this playground supports stop, start and restart of kubelet\n",
            1,
        );
    };
    let reporting = match verb {
        "stop" => false,
        "start" | "restart" => true,
        _ => {
            return Res::err(
                format!(
                    "systemctl: '{verb}' is not available in this playground (use stop, start or restart)\n"
                ),
                1,
            );
        }
    };
    let service = unit.strip_suffix(".service").unwrap_or(unit);
    if service != "kubelet" {
        return Res::err(
            format!("Failed to {verb} {service}.service: Unit {service}.service not loaded.\n"),
            5,
        );
    }
    match session
        .sim
        .set_node_reporting(&session.host.clone(), reporting)
    {
        Ok(()) => Res::ok(),
        Err(e) => Res::err(format!("systemctl: {}\n", e.message), 1),
    }
}

/// Tab completion: commands and aliases first, then kubectl words, then file paths.
pub fn complete(session: &Session, line: &str, cursor: usize) -> Vec<String> {
    let upto = line.get(..cursor.min(line.len())).unwrap_or(line);
    let words: Vec<&str> = upto.split_whitespace().collect();
    let current = if upto.ends_with(char::is_whitespace) || words.is_empty() {
        ""
    } else {
        words.last().copied().unwrap_or("")
    };
    let before: Vec<&str> = if current.is_empty() {
        words.clone()
    } else {
        words[..words.len() - 1].to_vec()
    };
    let mut out: Vec<String> = if before.is_empty() {
        BUILTINS
            .iter()
            .map(|s| (*s).to_owned())
            .chain(session.aliases.keys().cloned())
            .filter(|c| c.starts_with(current))
            .collect()
    } else {
        let first = before[0];
        let is_kubectl = first == "kubectl"
            || session
                .aliases
                .get(first)
                .is_some_and(|v| v.split_whitespace().next() == Some("kubectl"));
        if is_kubectl {
            crate::kubectl::complete(session, &before[1..], current)
        } else {
            Vec::new()
        }
    };
    if out.is_empty() && !before.is_empty() {
        let (dir, prefix) = match current.rfind('/') {
            Some(i) => (&current[..=i], &current[i + 1..]),
            None => ("", current),
        };
        let abs = resolve(&session.cwd, if dir.is_empty() { "." } else { dir });
        out = session
            .vfs
            .children(&abs)
            .into_iter()
            .filter(|(n, _)| n.starts_with(prefix))
            .map(|(n, is_dir)| format!("{dir}{n}{}", if is_dir { "/" } else { "" }))
            .collect();
    }
    tidepool_core::stable_sort::sort(&mut out);
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*.yaml", "a.yaml"));
        assert!(!glob_match("*.yaml", "a.yml"));
        assert!(glob_match("a?c*", "abcdef"));
    }

    #[test]
    fn sleep_units() {
        assert_eq!(parse_sleep("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_sleep("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_sleep("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_sleep("x"), None);
        assert_eq!(parse_sleep("-1"), None);
    }
}
