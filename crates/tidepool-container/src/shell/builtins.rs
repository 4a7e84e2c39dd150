//! Commands: shell builtins and the busybox applets / coreutils programs the images ship.
//!
//! Each command writes to an [`Io`] buffer and returns an [`Outcome`]; blocking commands
//! (`sleep`, `tail -f`, `wait`, network timeouts) return a delay or follow state instead of
//! blocking. Error texts follow busybox for busybox/alpine images and GNU coreutils for Debian
//! images.

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::parse::Flavor;
use super::vm::{Cx, Io, Outcome, Shell};
use crate::fs::{FileKind, normalize};
use crate::host::{DateTime, HttpRequest, Millis, NetError};
use crate::image::Toolbox;
use crate::process::Signal;

/// Builtins every shell has, whatever the image ships.
const SHELL_BUILTINS: &[&str] = &[
    ":", "true", "false", "echo", "printf", "test", "[", "exit", "export", "unset", "cd", "pwd",
    "set", "shift", "trap", "kill", "wait", "read", "eval", ".", "source", "return", "local",
    "type", "command", "exec", "readonly", "umask", "ulimit", "hash", "alias", "times",
];

/// Programs in every userland that has one (busybox applets, coreutils).
const CORE: &[&str] = &[
    "cat", "cp", "date", "echo", "env", "expr", "false", "grep", "head", "hostname", "id", "kill",
    "ls", "mkdir", "mv", "printenv", "printf", "pwd", "rm", "rmdir", "seq", "sleep", "sort",
    "tail", "tee", "test", "[", "touch", "tr", "true", "uname", "uniq", "wc", "basename",
    "dirname", "cut", "whoami", "ln", "chmod", "yes", "sh", "sed", "base64",
];
/// Busybox-only applets we implement.
const BUSYBOX_EXTRA: &[&str] = &[
    "ash", "nslookup", "wget", "nc", "ps", "free", "uptime", "which",
];
/// Debian extras.
const DEBIAN_EXTRA: &[&str] = &["bash", "dash"];

/// The command names a toolbox provides.
pub fn available_commands(toolbox: Toolbox) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = match toolbox {
        Toolbox::Distroless => return Vec::new(),
        Toolbox::Busybox | Toolbox::Alpine => CORE.iter().chain(BUSYBOX_EXTRA).copied().collect(),
        Toolbox::Debian => CORE.iter().chain(DEBIAN_EXTRA).copied().collect(),
        Toolbox::DebianCurl => CORE
            .iter()
            .chain(DEBIAN_EXTRA)
            .chain(&["curl"])
            .copied()
            .collect(),
        Toolbox::DebianFull => CORE
            .iter()
            .chain(DEBIAN_EXTRA)
            .chain(&["curl", "wget"])
            .copied()
            .collect(),
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether a toolbox provides `name` (no allocation: this runs on every exec).
pub fn has_command(toolbox: Toolbox, name: &str) -> bool {
    let extra: &[&str] = match toolbox {
        Toolbox::Distroless => return false,
        Toolbox::Busybox | Toolbox::Alpine => BUSYBOX_EXTRA,
        Toolbox::Debian => DEBIAN_EXTRA,
        Toolbox::DebianCurl => &["bash", "dash", "curl"],
        Toolbox::DebianFull => &["bash", "dash", "curl", "wget"],
    };
    CORE.contains(&name) || extra.contains(&name)
}

/// The directories a toolbox installs `name` in, if it has it.
pub fn command_dirs(toolbox: Toolbox, name: &str) -> Option<&'static [&'static str]> {
    if name.is_empty() || !has_command(toolbox, name) {
        return None;
    }
    Some(match toolbox {
        Toolbox::Busybox => &["/bin"],
        Toolbox::Alpine => &["/bin", "/usr/bin"],
        // merged /usr: /bin is a symlink to /usr/bin.
        _ => &["/bin", "/usr/bin"],
    })
}

fn busybox(shell: &Shell) -> bool {
    matches!(
        shell.image.repository().toolbox,
        Toolbox::Busybox | Toolbox::Alpine
    )
}

/// Parses `sleep` durations: `5`, `0.5`, `2m`, `1h`, `infinity`.
fn parse_duration(text: &str) -> Option<Option<Millis>> {
    if text == "inf" || text == "infinity" {
        return Some(None);
    }
    let (number, factor) = match text.chars().last()? {
        's' => (&text[..text.len() - 1], 1000.0),
        'm' => (&text[..text.len() - 1], 60_000.0),
        'h' => (&text[..text.len() - 1], 3_600_000.0),
        'd' => (&text[..text.len() - 1], 86_400_000.0),
        _ => (text, 1000.0),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    Some(Some((value * factor).min(1e15) as Millis))
}

fn unescape(text: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('e') => out.push('\u{1b}'),
            Some('\\') => out.push('\\'),
            Some('c') => return (out, true),
            Some('0') => {
                let mut value = 0u32;
                for _ in 0..3 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(value).unwrap_or('?'));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

impl Shell {
    fn path(&self, arg: &str) -> String {
        normalize(&self.cwd, arg).unwrap_or_else(|_| "/".to_string())
    }

    fn not_found(&self, name: &str, io: &mut Io) -> Outcome {
        io.err.push_str(&match self.flavor {
            Flavor::Ash => format!("{}: {name}: not found\n", self.name),
            Flavor::Dash => format!("{}: {}: {name}: not found\n", self.name, self.line),
            Flavor::Bash => format!(
                "{}: line {}: {name}: command not found\n",
                self.name, self.line
            ),
        });
        Outcome::Done(127)
    }

    /// Runs a builtin or an image program.
    pub(crate) fn run_command(
        &mut self,
        cx: &mut Cx<'_, '_>,
        argv: &[String],
        io: &mut Io,
    ) -> Outcome {
        let full = argv[0].as_str();
        let name = full.rsplit('/').next().unwrap_or(full);
        let is_builtin = SHELL_BUILTINS.contains(&full);
        if !is_builtin {
            let path_var = self
                .var("PATH")
                .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            match self.image.find_executable(full, path_var) {
                Some(exe) => {
                    if self.image.repository().programs.contains(&exe.as_str()) {
                        // A server program: PID 1 becomes it; elsewhere it never returns.
                        return Outcome::Become(argv.to_vec());
                    }
                }
                None => {
                    if full.contains('/') {
                        let path = self.path(full);
                        if cx.fs.kind(&path) == Some(FileKind::File) {
                            return self.source_file(cx, &path, io, true);
                        }
                        io.err.push_str(&match self.flavor {
                            Flavor::Ash => format!("{}: {full}: not found\n", self.name),
                            Flavor::Dash => {
                                format!("{}: {}: {full}: not found\n", self.name, self.line)
                            }
                            Flavor::Bash => format!(
                                "{}: line {}: {full}: No such file or directory\n",
                                self.name, self.line
                            ),
                        });
                        return Outcome::Done(127);
                    }
                    return self.not_found(full, io);
                }
            }
        }
        let args = &argv[1..];
        match name {
            ":" | "true" => Outcome::Done(0),
            "false" => Outcome::Done(1),
            "echo" => self.echo(args, io),
            "printf" => self.printf(args, io),
            "test" => self.test(cx, args, io, false),
            "[" => self.test(cx, args, io, true),
            "exit" => {
                let code = match args.first() {
                    None => self.status,
                    Some(n) => match n.parse::<i64>() {
                        Ok(n) => (n & 0xff) as i32,
                        Err(_) => {
                            io.err
                                .push_str(&format!("{}: exit: Illegal number: {n}\n", self.name));
                            2
                        }
                    },
                };
                Outcome::Exit(code)
            }
            "return" => Outcome::Return(
                args.first()
                    .and_then(|n| n.parse::<i32>().ok())
                    .unwrap_or(self.status),
            ),
            "export" | "readonly" | "local" => self.export(args, io, name == "export"),
            "unset" => {
                for arg in args.iter().filter(|a| !a.starts_with('-')) {
                    self.vars.retain(|v| &v.name != arg);
                    self.functions.retain(|(n, _, _)| n != arg);
                }
                Outcome::Done(0)
            }
            "cd" => {
                let target = args
                    .first()
                    .cloned()
                    .unwrap_or_else(|| self.var("HOME").unwrap_or("/").to_string());
                let path = self.path(&target);
                match cx.fs.kind(&path) {
                    Some(FileKind::Dir) => {
                        self.cwd = path.clone();
                        self.set_var("PWD", &path);
                        Outcome::Done(0)
                    }
                    Some(_) => {
                        io.err.push_str(&format!(
                            "{}: cd: can't cd to {target}: Not a directory\n",
                            self.name
                        ));
                        Outcome::Done(if self.flavor == Flavor::Ash { 1 } else { 2 })
                    }
                    None => {
                        io.err.push_str(&match self.flavor {
                            Flavor::Bash => {
                                format!("{}: cd: {target}: No such file or directory\n", self.name)
                            }
                            Flavor::Dash => {
                                format!("{}: {}: cd: can't cd to {target}\n", self.name, self.line)
                            }
                            Flavor::Ash => format!(
                                "{}: cd: can't cd to {target}: No such file or directory\n",
                                self.name
                            ),
                        });
                        Outcome::Done(if self.flavor == Flavor::Dash { 2 } else { 1 })
                    }
                }
            }
            "pwd" => {
                io.out.push_str(&format!("{}\n", self.cwd));
                Outcome::Done(0)
            }
            "set" => self.set_builtin(args, io),
            "shift" => {
                let n = args
                    .first()
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(1);
                if n > self.positional.len() {
                    io.err
                        .push_str(&format!("{}: shift: can't shift that many\n", self.name));
                    return Outcome::Done(1);
                }
                self.positional.drain(..n);
                Outcome::Done(0)
            }
            "trap" => self.trap(args, io),
            "kill" => self.kill(cx, args, io),
            "wait" => {
                self.reap_jobs(cx.now);
                if self.jobs.iter().all(|j| j.until.is_none()) {
                    let status = self.jobs.last().map_or(0, |j| j.status);
                    self.jobs.clear();
                    Outcome::Done(status)
                } else {
                    Outcome::Wait
                }
            }
            "read" => {
                let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
                match self.read_stdin_line() {
                    None => {
                        for name in &names {
                            self.set_var(name, "");
                        }
                        Outcome::Done(1)
                    }
                    Some(line) => {
                        let raw = args.iter().any(|a| a == "-r");
                        let line = if raw { line } else { line.replace("\\", "") };
                        if names.is_empty() {
                            self.set_var("REPLY", &line);
                        } else {
                            let mut rest = line.trim_start();
                            for (i, name) in names.iter().enumerate() {
                                if i + 1 == names.len() {
                                    self.set_var(name, rest.trim_end());
                                } else {
                                    let (word, tail) =
                                        rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                                    self.set_var(name, word);
                                    rest = tail.trim_start();
                                }
                            }
                        }
                        Outcome::Done(0)
                    }
                }
            }
            "eval" => match super::parse(&args.join(" ")) {
                Ok(program) => Outcome::Eval(Arc::new(program)),
                Err(error) => {
                    io.err.push_str(&error.message(self.flavor, &self.name));
                    Outcome::Done(2)
                }
            },
            "." | "source" => match args.first() {
                Some(file) => {
                    let path = self.path(file);
                    self.source_file(cx, &path, io, false)
                }
                None => Outcome::Done(0),
            },
            "type" | "command" | "which" => self.type_builtin(name, args, io),
            "exec" => {
                if args.is_empty() {
                    return Outcome::Done(0);
                }
                let path_var = self.var("PATH").unwrap_or("/bin").to_string();
                match self.image.find_executable(&args[0], &path_var) {
                    Some(exe) if self.image.repository().programs.contains(&exe.as_str()) => {
                        Outcome::Become(args.to_vec())
                    }
                    Some(_) => match self.run_command(cx, args, io) {
                        Outcome::Done(code) => Outcome::Exit(code),
                        other => other,
                    },
                    None => {
                        io.err
                            .push_str(&format!("{}: exec: {}: not found\n", self.name, args[0]));
                        Outcome::Exit(127)
                    }
                }
            }
            "umask" | "ulimit" | "hash" | "alias" | "times" => Outcome::Done(0),
            "sleep" => self.sleep(cx, args, io),
            "cat" => self.cat(cx, args, io),
            "touch" => self.touch(cx, args, io),
            "rm" => self.rm(cx, args, io),
            "rmdir" => {
                let mut status = 0;
                for arg in args.iter().filter(|a| !a.starts_with('-')) {
                    let path = self.path(arg);
                    if let Err(e) = cx.fs.remove(&path, false) {
                        io.err.push_str(&if busybox(self) {
                            format!("rmdir: '{arg}': {e}\n")
                        } else {
                            format!("rmdir: failed to remove '{arg}': {e}\n")
                        });
                        status = 1;
                    }
                }
                Outcome::Done(status)
            }
            "mkdir" => self.mkdir(cx, args, io),
            "ls" => self.ls(cx, args, io),
            "cp" | "mv" | "ln" => self.copy(cx, name, args, io),
            "chmod" => Outcome::Done(0),
            "date" => self.date(cx, args, io),
            "hostname" => {
                if args.first().is_some_and(|a| a == "-i") {
                    let ip = cx.fs.read("/etc/hosts").ok().and_then(|hosts| {
                        hosts
                            .lines()
                            .find(|l| l.split_whitespace().nth(1) == Some(self.hostname.as_str()))
                            .and_then(|l| l.split_whitespace().next())
                            .map(str::to_string)
                    });
                    io.out.push_str(&format!("{}\n", ip.unwrap_or_default()));
                } else {
                    io.out.push_str(&format!("{}\n", self.hostname));
                }
                Outcome::Done(0)
            }
            "env" | "printenv" => self.env(cx, name, args, io),
            "id" => {
                io.out.push_str(if busybox(self) {
                    "uid=0(root) gid=0(root) groups=0(root),10(wheel)\n"
                } else {
                    "uid=0(root) gid=0(root) groups=0(root)\n"
                });
                Outcome::Done(0)
            }
            "whoami" => {
                io.out.push_str("root\n");
                Outcome::Done(0)
            }
            "uname" => {
                let all = args.iter().any(|a| a == "-a");
                io.out.push_str(&if all {
                    format!(
                        "Linux {} 6.8.0-tidepool #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n",
                        self.hostname
                    )
                } else if args.iter().any(|a| a == "-r") {
                    "6.8.0-tidepool\n".to_string()
                } else if args.iter().any(|a| a == "-m") {
                    "x86_64\n".to_string()
                } else {
                    "Linux\n".to_string()
                });
                Outcome::Done(0)
            }
            "basename" => {
                let Some(path) = args.first() else {
                    return self.missing_operand(name, io);
                };
                let mut base = path
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string();
                if base.is_empty() {
                    base = "/".into();
                }
                if let Some(suffix) = args.get(1)
                    && base.len() > suffix.len()
                    && let Some(stripped) = base.strip_suffix(suffix.as_str())
                {
                    base = stripped.to_string();
                }
                io.out.push_str(&format!("{base}\n"));
                Outcome::Done(0)
            }
            "dirname" => {
                let Some(path) = args.first() else {
                    return self.missing_operand(name, io);
                };
                let trimmed = path.trim_end_matches('/');
                let dir = match trimmed.rfind('/') {
                    Some(0) => "/".to_string(),
                    Some(i) => trimmed[..i].to_string(),
                    None if path.starts_with('/') => "/".to_string(),
                    None => ".".to_string(),
                };
                io.out.push_str(&format!("{dir}\n"));
                Outcome::Done(0)
            }
            "expr" => self.expr(args, io),
            "seq" => self.seq(args, io),
            "wc" => self.text_tool(cx, name, args, io),
            "head" | "tail" | "grep" | "sort" | "uniq" | "tr" | "cut" | "tee" => {
                if name == "tail"
                    && args.iter().any(|a| {
                        a == "-f"
                            || a == "-F"
                            || (a.starts_with('-')
                                && !a.starts_with("--")
                                && a.contains('f')
                                && !a.contains('n'))
                    })
                {
                    return self.tail_follow(cx, args, io);
                }
                self.text_tool(cx, name, args, io)
            }
            "sed" => self.sed(cx, args, io),
            "yes" => {
                // `yes` never ends; emit one budget's worth and keep the process busy.
                let word = if args.is_empty() {
                    "y".to_string()
                } else {
                    args.join(" ")
                };
                for _ in 0..1000 {
                    io.out.push_str(&word);
                    io.out.push('\n');
                }
                Outcome::Delay {
                    until: cx.now + crate::process::CPU_SLICE_MS,
                    status: 0,
                }
            }
            "sh" | "ash" | "bash" | "dash" => self.subshell_program(cx, name, args, io),
            "nslookup" => self.nslookup(cx, args, io),
            "base64" => self.base64(cx, args, io),
            "wget" => self.wget(cx, args, io),
            "curl" => self.curl(cx, args, io),
            "nc" => self.nc(cx, args, io),
            "ps" => {
                io.out.push_str("PID   USER     TIME  COMMAND\n");
                let mut rows = self.ps_table.clone();
                rows.push((
                    self.pid,
                    format!("{} {}", self.name, self.positional.join(" "))
                        .trim_end()
                        .to_string(),
                ));
                for job in &self.jobs {
                    if job.until.is_some() {
                        rows.push((job.pid, job.command.clone()));
                    }
                }
                rows.push((self.next_pid + 50, "ps".to_string()));
                rows.sort();
                rows.dedup_by_key(|r| r.0);
                for (pid, command) in rows {
                    io.out
                        .push_str(&format!("{pid:>5} root      0:00 {command}\n"));
                }
                Outcome::Done(0)
            }
            "free" => {
                io.out.push_str("              total        used        free      shared  buff/cache   available\nMem:        8131508     1850324     4105024        2948     2176160     6006040\nSwap:             0           0           0\n");
                Outcome::Done(0)
            }
            "uptime" => {
                let t = DateTime::from_millis(cx.now);
                io.out.push_str(&format!(" {:02}:{:02}:{:02} up 1 day,  0:00,  0 users,  load average: 0.08, 0.04, 0.01\n", t.hour, t.minute, t.second));
                Outcome::Done(0)
            }
            other => self.not_found(other, io),
        }
    }

    fn missing_operand(&self, name: &str, io: &mut Io) -> Outcome {
        if busybox(self) {
            io.err.push_str(&format!(
                "BusyBox v{} multi-call binary.\n\nUsage: {name} ...\n",
                self.image.version()
            ));
        } else {
            io.err.push_str(&format!(
                "{name}: missing operand\nTry '{name} --help' for more information.\n"
            ));
        }
        Outcome::Done(1)
    }

    fn source_file(
        &mut self,
        cx: &mut Cx<'_, '_>,
        path: &str,
        io: &mut Io,
        as_script: bool,
    ) -> Outcome {
        let source = match cx.fs.read(path) {
            Ok(s) => s.to_string(),
            Err(e) => {
                io.err.push_str(&match self.flavor {
                    Flavor::Ash => format!("{}: can't open '{path}': {e}\n", self.name),
                    Flavor::Dash => {
                        format!("{}: {}: cannot open {path}: {e}\n", self.name, self.line)
                    }
                    Flavor::Bash => format!("{}: {path}: {e}\n", self.name),
                });
                return Outcome::Done(if self.flavor == Flavor::Bash { 127 } else { 2 });
            }
        };
        match super::parse(&source) {
            Ok(program) => {
                let _ = as_script;
                Outcome::Eval(Arc::new(program))
            }
            Err(error) => {
                io.err
                    .push_str(&error.message(self.flavor, &format!("{}: {path}", self.name)));
                Outcome::Done(2)
            }
        }
    }

    /// `sh -c '...'` run as a command inside a script: runs in this shell as an isolated eval.
    fn subshell_program(
        &mut self,
        cx: &mut Cx<'_, '_>,
        name: &str,
        args: &[String],
        io: &mut Io,
    ) -> Outcome {
        match args {
            [flag, script, ..] if flag == "-c" => match super::parse(script) {
                Ok(program) => Outcome::Eval(Arc::new(program)),
                Err(error) => {
                    io.err.push_str(&error.message(self.flavor, name));
                    Outcome::Done(2)
                }
            },
            [file, ..] => {
                let path = self.path(file);
                self.source_file(cx, &path, io, true)
            }
            [] => {
                // Reads stdin as a script.
                let source = self.read_stdin_all().unwrap_or_default();
                match super::parse(&source) {
                    Ok(program) => Outcome::Eval(Arc::new(program)),
                    Err(error) => {
                        io.err.push_str(&error.message(self.flavor, name));
                        Outcome::Done(2)
                    }
                }
            }
        }
    }

    fn echo(&self, args: &[String], io: &mut Io) -> Outcome {
        let mut newline = true;
        let mut escapes = self.flavor == Flavor::Dash;
        let mut start = 0;
        for arg in args {
            let flags = arg
                .strip_prefix('-')
                .filter(|f| !f.is_empty() && f.chars().all(|c| matches!(c, 'n' | 'e' | 'E')));
            let Some(flags) = flags else { break };
            if self.flavor == Flavor::Dash && flags != "n" {
                break;
            }
            for c in flags.chars() {
                match c {
                    'n' => newline = false,
                    'e' => escapes = true,
                    _ => escapes = false,
                }
            }
            start += 1;
        }
        let text = args[start..].join(" ");
        if escapes {
            let (text, stop) = unescape(&text);
            io.out.push_str(&text);
            if stop {
                return Outcome::Done(0);
            }
        } else {
            io.out.push_str(&text);
        }
        if newline {
            io.out.push('\n');
        }
        Outcome::Done(0)
    }

    fn printf(&self, args: &[String], io: &mut Io) -> Outcome {
        let Some(format) = args.first() else {
            io.err
                .push_str("printf: usage: printf format [arguments]\n");
            return Outcome::Done(2);
        };
        let mut rest = args[1..].iter();
        let mut status = 0;
        loop {
            let mut consumed = false;
            let chars: Vec<char> = format.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                let c = chars[i];
                if c == '\\' {
                    let end = (i + 2).min(chars.len());
                    let (text, _) = unescape(&chars[i..end].iter().collect::<String>());
                    io.out.push_str(&text);
                    i = end;
                    continue;
                }
                if c != '%' {
                    io.out.push(c);
                    i += 1;
                    continue;
                }
                let mut j = i + 1;
                while j < chars.len() && "-+ #0123456789.".contains(chars[j]) {
                    j += 1;
                }
                let Some(&conv) = chars.get(j) else {
                    io.out.push('%');
                    break;
                };
                let spec: String = chars[i + 1..j].iter().collect();
                let (left, width, precision) = parse_spec(&spec);
                let arg = if conv == '%' {
                    None
                } else {
                    consumed = true;
                    rest.next()
                };
                let text = match conv {
                    '%' => "%".to_string(),
                    's' => {
                        let s = arg.cloned().unwrap_or_default();
                        match precision {
                            Some(p) => s.chars().take(p).collect(),
                            None => s,
                        }
                    }
                    'b' => unescape(arg.map_or("", String::as_str)).0,
                    'c' => arg
                        .and_then(|a| a.chars().next())
                        .map(String::from)
                        .unwrap_or_default(),
                    'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
                        let raw = arg.map_or("0", String::as_str);
                        let value = raw.trim().parse::<i64>().unwrap_or_else(|_| {
                            io.err
                                .push_str(&format!("printf: invalid number '{raw}'\n"));
                            status = 1;
                            0
                        });
                        let body = match conv {
                            'x' => format!("{value:x}"),
                            'X' => format!("{value:X}"),
                            'o' => format!("{value:o}"),
                            _ => value.to_string(),
                        };
                        if spec.starts_with('0') && !left {
                            format!("{body:0>width$}", width = width.unwrap_or(0))
                        } else {
                            body
                        }
                    }
                    'f' | 'e' | 'g' => {
                        let value = arg.and_then(|a| a.parse::<f64>().ok()).unwrap_or(0.0);
                        format!("{value:.prec$}", prec = precision.unwrap_or(6))
                    }
                    other => format!("%{spec}{other}"),
                };
                let padded = match width {
                    Some(w) if left => format!("{text:<w$}"),
                    Some(w) => format!("{text:>w$}"),
                    None => text,
                };
                io.out.push_str(&padded);
                i = j + 1;
            }
            if !consumed || rest.len() == 0 {
                break;
            }
        }
        Outcome::Done(status)
    }

    fn test(&self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io, bracket: bool) -> Outcome {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let args = if bracket {
            match args.split_last() {
                Some((&"]", rest)) => rest.to_vec(),
                _ => {
                    io.err.push_str(&match self.flavor {
                        Flavor::Ash => format!("{}: [: missing ]\n", self.name),
                        Flavor::Dash => format!("{}: {}: [: missing ]\n", self.name, self.line),
                        Flavor::Bash => format!("{}: [: missing `]'\n", self.name),
                    });
                    return Outcome::Done(2);
                }
            }
        } else {
            args
        };
        match self.test_expr(cx, &args, io) {
            Ok(true) => Outcome::Done(0),
            Ok(false) => Outcome::Done(1),
            Err(()) => Outcome::Done(2),
        }
    }

    fn test_expr(&self, cx: &mut Cx<'_, '_>, args: &[&str], io: &mut Io) -> Result<bool, ()> {
        // -o has the lowest precedence, then -a, then !.
        if let Some(i) = args
            .iter()
            .rposition(|a| *a == "-o")
            .filter(|&i| i > 0 && i + 1 < args.len())
        {
            return Ok(
                self.test_expr(cx, &args[..i], io)? || self.test_expr(cx, &args[i + 1..], io)?
            );
        }
        if let Some(i) = args
            .iter()
            .rposition(|a| *a == "-a")
            .filter(|&i| i > 0 && i + 1 < args.len())
        {
            return Ok(
                self.test_expr(cx, &args[..i], io)? && self.test_expr(cx, &args[i + 1..], io)?
            );
        }
        match args {
            [] => Ok(false),
            ["!", rest @ ..] => Ok(!self.test_expr(cx, rest, io)?),
            ["(", inner @ .., ")"] => self.test_expr(cx, inner, io),
            [single] => Ok(!single.is_empty()),
            [op, operand] => match *op {
                "-z" => Ok(operand.is_empty()),
                "-n" => Ok(!operand.is_empty()),
                "-e" | "-f" | "-d" | "-s" | "-r" | "-w" | "-x" | "-L" | "-h" | "-p" | "-S"
                | "-b" | "-c" => Ok(self.file_test(cx, op, operand)),
                _ => {
                    io.err
                        .push_str(&format!("{}: {op}: unary operator expected\n", self.name));
                    Err(())
                }
            },
            [a, op, b] => match *op {
                "=" | "==" => Ok(a == b),
                "!=" => Ok(a != b),
                "<" => Ok(a < b),
                ">" => Ok(a > b),
                "-eq" | "-ne" | "-lt" | "-gt" | "-le" | "-ge" => {
                    let x = self.test_number(a, io)?;
                    let y = self.test_number(b, io)?;
                    Ok(match *op {
                        "-eq" => x == y,
                        "-ne" => x != y,
                        "-lt" => x < y,
                        "-gt" => x > y,
                        "-le" => x <= y,
                        _ => x >= y,
                    })
                }
                _ => {
                    io.err
                        .push_str(&format!("{}: {op}: binary operator expected\n", self.name));
                    Err(())
                }
            },
            _ => {
                io.err.push_str(&format!(
                    "{}: syntax error: {}\n",
                    self.name,
                    args.join(" ")
                ));
                Err(())
            }
        }
    }

    fn test_number(&self, text: &str, io: &mut Io) -> Result<i64, ()> {
        text.trim().parse::<i64>().map_err(|_| {
            io.err.push_str(&match self.flavor {
                Flavor::Ash => format!("{}: {text}: bad number\n", self.name),
                Flavor::Dash => {
                    format!("{}: {}: [: Illegal number: {text}\n", self.name, self.line)
                }
                Flavor::Bash => format!("{}: [: {text}: integer expression expected\n", self.name),
            });
        })
    }

    fn file_test(&self, cx: &mut Cx<'_, '_>, op: &str, operand: &str) -> bool {
        let path = self.path(operand);
        let kind = cx.fs.kind(&path);
        match op {
            "-e" | "-r" | "-w" => kind.is_some(),
            "-f" => matches!(kind, Some(FileKind::File | FileKind::ImageBinary)),
            "-d" => kind == Some(FileKind::Dir),
            "-s" => match kind {
                Some(FileKind::File) => cx.fs.read(&path).is_ok_and(|c| !c.is_empty()),
                Some(_) => true,
                None => false,
            },
            "-x" => matches!(kind, Some(FileKind::ImageBinary | FileKind::Dir)),
            _ => false,
        }
    }

    fn export(&mut self, args: &[String], io: &mut Io, export: bool) -> Outcome {
        if args.is_empty() || args.iter().all(|a| a == "-p") {
            for var in self.vars.iter().filter(|v| v.exported) {
                io.out.push_str(&format!(
                    "export {}='{}'\n",
                    var.name,
                    var.value.replace('\'', "'\"'\"'")
                ));
            }
            return Outcome::Done(0);
        }
        for arg in args.iter().filter(|a| !a.starts_with('-')) {
            let (name, value) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (arg.as_str(), None),
            };
            if let Some(value) = value {
                self.set_var(name, value);
            } else if self.var(name).is_none() && !export {
                self.set_var(name, "");
            }
            if export {
                match self.vars.iter_mut().find(|v| v.name == name) {
                    Some(var) => var.exported = true,
                    None => self.vars.push(super::vm::Var {
                        name: name.to_string(),
                        value: String::new(),
                        exported: true,
                    }),
                }
            }
        }
        Outcome::Done(0)
    }

    fn set_builtin(&mut self, args: &[String], io: &mut Io) -> Outcome {
        if args.is_empty() {
            for var in &self.vars {
                io.out.push_str(&format!("{}='{}'\n", var.name, var.value));
            }
            return Outcome::Done(0);
        }
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if arg == "--" {
                self.positional = iter.cloned().collect();
                break;
            }
            let (on, flags) = match arg.as_bytes().first() {
                Some(b'-') => (true, &arg[1..]),
                Some(b'+') => (false, &arg[1..]),
                _ => {
                    self.positional = std::iter::once(arg.clone()).chain(iter.cloned()).collect();
                    break;
                }
            };
            if flags == "o" {
                if let Some(option) = iter.next() {
                    match option.as_str() {
                        "errexit" => self.errexit = on,
                        "xtrace" => self.xtrace = on,
                        _ => {}
                    }
                }
                continue;
            }
            for flag in flags.chars() {
                match flag {
                    'e' => self.errexit = on,
                    'x' => self.xtrace = on,
                    _ => {}
                }
            }
        }
        Outcome::Done(0)
    }

    fn trap(&mut self, args: &[String], io: &mut Io) -> Outcome {
        if args.is_empty() || args[0] == "-p" {
            for (signal, action) in &self.traps {
                io.out.push_str(&format!("trap -- '{action}' {signal}\n"));
            }
            return Outcome::Done(0);
        }
        if args[0] == "-l" {
            io.out
                .push_str(" 1) HUP\n 2) INT\n 3) QUIT\n 9) KILL\n10) USR1\n15) TERM\n28) WINCH\n");
            return Outcome::Done(0);
        }
        let (action, signals) =
            if args.len() == 1 || args[0].parse::<u32>().is_ok() && args.len() == 1 {
                ("-".to_string(), args)
            } else {
                (args[0].clone(), &args[1..])
            };
        let mut status = 0;
        for signal in signals {
            let name = match signal.to_ascii_uppercase().trim_start_matches("SIG") {
                "0" | "EXIT" => "EXIT".to_string(),
                other => match Signal::parse(other) {
                    Some(s) => s.name().to_string(),
                    None => {
                        io.err
                            .push_str(&format!("{}: trap: {signal}: bad trap\n", self.name));
                        status = 1;
                        continue;
                    }
                },
            };
            self.traps.retain(|(s, _)| *s != name);
            if action != "-" {
                self.traps.push((name, action.clone()));
            }
        }
        Outcome::Done(status)
    }

    fn kill(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let mut signal = Signal::Term;
        let mut pids = Vec::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if arg == "-l" {
                io.out.push_str("HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH POLL PWR SYS\n");
                return Outcome::Done(0);
            } else if arg == "-s" || arg == "-n" {
                match iter.next().and_then(|s| Signal::parse(s)) {
                    Some(s) => signal = s,
                    None => {
                        io.err
                            .push_str(&format!("{}: kill: bad signal\n", self.name));
                        return Outcome::Done(1);
                    }
                }
            } else if let Some(spec) = arg.strip_prefix('-').filter(|_| pids.is_empty()) {
                match Signal::parse(spec) {
                    Some(s) => signal = s,
                    None => {
                        io.err
                            .push_str(&format!("{}: kill: bad signal name '{spec}'\n", self.name));
                        return Outcome::Done(1);
                    }
                }
            } else {
                pids.push(arg.clone());
            }
        }
        if pids.is_empty() {
            io.err.push_str(&format!("{}: kill: usage: kill [-s sigspec | -signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n", self.name));
            return Outcome::Done(1);
        }
        let mut status = 0;
        for pid_text in pids {
            let pid = match pid_text.trim_start_matches('%').parse::<u32>() {
                Ok(p) => p,
                Err(_) => {
                    io.err.push_str(&format!(
                        "{}: kill: invalid number '{pid_text}'\n",
                        self.name
                    ));
                    status = 1;
                    continue;
                }
            };
            if pid == self.pid {
                self.deliver(signal);
            } else if let Some(job) = self
                .jobs
                .iter_mut()
                .find(|j| j.pid == pid && j.until.is_some())
            {
                job.until = None;
                job.status = signal.exit_code();
            } else if pid == 1 || self.ps_table.iter().any(|(p, _)| *p == pid) {
                self.outgoing_signals.push((pid, signal));
            } else {
                io.err.push_str(&format!(
                    "{}: kill: can't kill pid {pid}: No such process\n",
                    self.name
                ));
                status = 1;
            }
        }
        let _ = cx;
        Outcome::Done(status)
    }

    fn type_builtin(&self, name: &str, args: &[String], io: &mut Io) -> Outcome {
        let (quiet_v, names): (bool, Vec<&String>) = if name == "command" {
            let v = args.iter().any(|a| a == "-v" || a == "-V");
            (v, args.iter().filter(|a| !a.starts_with('-')).collect())
        } else {
            (false, args.iter().filter(|a| !a.starts_with('-')).collect())
        };
        if name == "command" && !quiet_v {
            // `command foo args`: run without functions; rarely used in containers.
            return Outcome::Done(0);
        }
        let path_var = self.var("PATH").unwrap_or("/bin").to_string();
        let mut status = 0;
        for n in names {
            let found = self.image.find_executable(n, &path_var);
            if name == "type" {
                if SHELL_BUILTINS.contains(&n.as_str()) {
                    io.out.push_str(&format!("{n} is a shell builtin\n"));
                } else if let Some(path) = found {
                    io.out.push_str(&format!("{n} is {path}\n"));
                } else {
                    io.out.push_str(&format!("{n}: not found\n"));
                    status = 1;
                }
            } else if name == "command" && SHELL_BUILTINS.contains(&n.as_str()) {
                io.out.push_str(&format!("{n}\n"));
            } else if let Some(path) = found {
                io.out.push_str(&format!("{path}\n"));
            } else {
                status = 1;
            }
        }
        Outcome::Done(status)
    }

    fn sleep(&self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        if args.is_empty() {
            return self.missing_operand("sleep", io);
        }
        let mut total: Millis = 0;
        for arg in args {
            match parse_duration(arg) {
                Some(Some(ms)) => total = total.saturating_add(ms),
                Some(None) => {
                    return Outcome::Delay {
                        until: Millis::MAX,
                        status: 0,
                    };
                }
                None => {
                    io.err.push_str(&if busybox(self) {
                        format!("sleep: invalid number '{arg}'\n")
                    } else {
                        format!("sleep: invalid time interval '{arg}'\nTry 'sleep --help' for more information.\n")
                    });
                    return Outcome::Done(1);
                }
            }
        }
        Outcome::Delay {
            until: cx.now.saturating_add(total),
            status: 0,
        }
    }

    fn cat(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let files: Vec<&String> = args
            .iter()
            .filter(|a| !a.starts_with('-') || *a == "-")
            .collect();
        if files.is_empty() {
            if let Some(data) = self.read_stdin_all() {
                io.out.push_str(&data);
            }
            return Outcome::Done(0);
        }
        let mut status = 0;
        for file in files {
            if file == "-" {
                if let Some(data) = self.read_stdin_all() {
                    io.out.push_str(&data);
                }
                continue;
            }
            if !cat_file(
                cx.fs,
                &self.cwd,
                busybox(self),
                file,
                &mut io.out,
                &mut io.err,
            ) {
                status = 1;
            }
        }
        Outcome::Done(status)
    }

    fn touch(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let files: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        if files.is_empty() {
            return self.missing_operand("touch", io);
        }
        let mut status = 0;
        for file in files {
            let path = self.path(file);
            if cx.fs.kind(&path).is_some() {
                continue;
            }
            if let Err(e) = cx.fs.write(&path, "", true) {
                io.err.push_str(&if busybox(self) {
                    format!("touch: {file}: {e}\n")
                } else {
                    format!("touch: cannot touch '{file}': {e}\n")
                });
                status = 1;
            }
        }
        Outcome::Done(status)
    }

    fn rm(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let mut force = false;
        let mut recursive = false;
        let mut files = Vec::new();
        for arg in args {
            match arg
                .strip_prefix('-')
                .filter(|f| !f.is_empty() && !arg.starts_with("--"))
            {
                Some(flags) => {
                    force |= flags.contains('f');
                    recursive |= flags.contains('r') || flags.contains('R');
                }
                None if arg == "--recursive" => recursive = true,
                None if arg == "--force" => force = true,
                None => files.push(arg),
            }
        }
        if files.is_empty() && !force {
            return self.missing_operand("rm", io);
        }
        let mut status = 0;
        for file in files {
            let path = self.path(file);
            match cx.fs.kind(&path) {
                None if force => {}
                Some(FileKind::Dir) if !recursive => {
                    io.err.push_str(&if busybox(self) {
                        format!("rm: '{file}' is a directory\n")
                    } else {
                        format!("rm: cannot remove '{file}': Is a directory\n")
                    });
                    status = 1;
                }
                _ => {
                    if let Err(e) = cx.fs.remove(&path, recursive)
                        && !(force && e == crate::fs::FsError::NotFound)
                    {
                        io.err.push_str(&if busybox(self) {
                            format!("rm: can't remove '{file}': {e}\n")
                        } else {
                            format!("rm: cannot remove '{file}': {e}\n")
                        });
                        status = 1;
                    }
                }
            }
        }
        Outcome::Done(status)
    }

    fn mkdir(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let parents = args.iter().any(|a| a == "-p" || a == "--parents");
        let dirs: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        if dirs.is_empty() {
            return self.missing_operand("mkdir", io);
        }
        let mut status = 0;
        for dir in dirs {
            let path = self.path(dir);
            if let Err(e) = cx.fs.mkdir(&path, parents) {
                io.err.push_str(&if busybox(self) {
                    format!("mkdir: can't create directory '{dir}': {e}\n")
                } else {
                    format!("mkdir: cannot create directory '{dir}': {e}\n")
                });
                status = 1;
            }
        }
        Outcome::Done(status)
    }

    fn ls(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let mut long = false;
        let mut all = false;
        let mut targets = Vec::new();
        for arg in args {
            match arg.strip_prefix('-').filter(|f| !f.is_empty()) {
                Some(flags) => {
                    long |= flags.contains('l');
                    all |= flags.contains('a') || flags.contains('A');
                }
                None => targets.push(arg.clone()),
            }
        }
        if targets.is_empty() {
            targets.push(".".into());
        }
        let many = targets.len() > 1;
        let mut status = 0;
        let stamp = "Jan  1 00:00";
        for (index, target) in targets.iter().enumerate() {
            let path = self.path(target);
            let line = |name: &str, kind: FileKind, size: usize| -> String {
                if !long {
                    return format!("{name}\n");
                }
                let (mode, links) = match kind {
                    FileKind::Dir => ("drwxr-xr-x", 2),
                    FileKind::ImageBinary => ("-rwxr-xr-x", 1),
                    FileKind::File => ("-rw-r--r--", 1),
                };
                format!("{mode}    {links} root     root     {size:>9} {stamp} {name}\n")
            };
            match cx.fs.kind(&path) {
                None => {
                    io.err.push_str(&if busybox(self) {
                        format!("ls: {target}: No such file or directory\n")
                    } else {
                        format!("ls: cannot access '{target}': No such file or directory\n")
                    });
                    status = if busybox(self) { 1 } else { 2 };
                }
                Some(FileKind::Dir) => {
                    if many {
                        io.out
                            .push_str(&format!("{}{target}:\n", if index > 0 { "\n" } else { "" }));
                    }
                    let entries = cx.fs.list(&path).unwrap_or_default();
                    if long {
                        io.out.push_str(&format!("total {}\n", entries.len() * 4));
                    }
                    if all {
                        io.out.push_str(&line(".", FileKind::Dir, 4096));
                        io.out.push_str(&line("..", FileKind::Dir, 4096));
                    }
                    for (name, kind) in entries {
                        if name.starts_with('.') && !all {
                            continue;
                        }
                        let child = if path == "/" {
                            format!("/{name}")
                        } else {
                            format!("{path}/{name}")
                        };
                        let size = match kind {
                            FileKind::File => cx.fs.read(&child).map_or(0, str::len),
                            FileKind::Dir => 4096,
                            FileKind::ImageBinary => 1_062_320,
                        };
                        io.out.push_str(&line(&name, kind, size));
                    }
                }
                Some(kind) => {
                    let size = cx.fs.read(&path).map_or(0, str::len);
                    io.out.push_str(&line(target, kind, size));
                }
            }
        }
        Outcome::Done(status)
    }

    fn copy(&mut self, cx: &mut Cx<'_, '_>, name: &str, args: &[String], io: &mut Io) -> Outcome {
        let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        if operands.len() < 2 {
            return self.missing_operand(name, io);
        }
        let (dest, sources) = operands
            .split_last()
            .map(|(d, s)| (*d, s.to_vec()))
            .unwrap_or((operands[0], Vec::new()));
        let dest_path = self.path(dest);
        let dest_is_dir = cx.fs.kind(&dest_path) == Some(FileKind::Dir);
        let mut status = 0;
        for source in sources {
            let src_path = self.path(source);
            let content = match cx.fs.read(&src_path) {
                Ok(c) => c.to_string(),
                Err(crate::fs::FsError::IsDir) => {
                    io.err
                        .push_str(&format!("{name}: omitting directory '{source}'\n"));
                    status = 1;
                    continue;
                }
                Err(e) => {
                    io.err.push_str(&if busybox(self) {
                        format!("{name}: can't stat '{source}': {e}\n")
                    } else {
                        format!("{name}: cannot stat '{source}': {e}\n")
                    });
                    status = 1;
                    continue;
                }
            };
            let target = if dest_is_dir {
                let base = src_path.rsplit('/').next().unwrap_or("");
                if dest_path == "/" {
                    format!("/{base}")
                } else {
                    format!("{dest_path}/{base}")
                }
            } else {
                dest_path.clone()
            };
            if let Err(e) = cx.fs.write(&target, &content, false) {
                io.err
                    .push_str(&format!("{name}: can't create '{dest}': {e}\n"));
                status = 1;
                continue;
            }
            if name == "mv" {
                let _ = cx.fs.remove(&src_path, false);
            }
        }
        Outcome::Done(status)
    }

    fn date(&self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let t = DateTime::from_millis(cx.now);
        let format = args.iter().find_map(|a| a.strip_prefix('+'));
        let Some(format) = format else {
            io.out.push_str(&format!("{}\n", t.date_command()));
            return Outcome::Done(0);
        };
        let unix = crate::host::EPOCH_UNIX_SECONDS + (cx.now / 1000) as i64;
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        let mut out = String::new();
        let mut chars = format.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('Y') => out.push_str(&t.year.to_string()),
                Some('m') => out.push_str(&format!("{:02}", t.month)),
                Some('d') => out.push_str(&format!("{:02}", t.day)),
                Some('e') => out.push_str(&format!("{:>2}", t.day)),
                Some('H') => out.push_str(&format!("{:02}", t.hour)),
                Some('M') => out.push_str(&format!("{:02}", t.minute)),
                Some('S') => out.push_str(&format!("{:02}", t.second)),
                Some('s') => out.push_str(&unix.to_string()),
                Some('N') => out.push_str(&format!("{:09}", (cx.now % 1000) * 1_000_000)),
                Some('T') => {
                    out.push_str(&format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second));
                }
                Some('F') => out.push_str(&format!("{}-{:02}-{:02}", t.year, t.month, t.day)),
                Some('D') => {
                    out.push_str(&format!("{:02}/{:02}/{:02}", t.month, t.day, t.year % 100));
                }
                Some('Z') => out.push_str("UTC"),
                Some('z') => out.push_str("+0000"),
                Some('a') => out.push_str(days[t.weekday as usize]),
                Some('b') | Some('h') => out.push_str(months[(t.month - 1) as usize]),
                Some('y') => out.push_str(&format!("{:02}", t.year % 100)),
                Some('%') => out.push('%'),
                Some('n') => out.push('\n'),
                Some(other) => {
                    out.push('%');
                    out.push(other);
                }
                None => out.push('%'),
            }
        }
        io.out.push_str(&out);
        io.out.push('\n');
        Outcome::Done(0)
    }

    fn env(&mut self, cx: &mut Cx<'_, '_>, name: &str, args: &[String], io: &mut Io) -> Outcome {
        if name == "printenv" && !args.is_empty() {
            let mut status = 0;
            for key in args {
                match self.vars.iter().find(|v| v.exported && &v.name == key) {
                    Some(var) => io.out.push_str(&format!("{}\n", var.value)),
                    None => status = 1,
                }
            }
            return Outcome::Done(status);
        }
        // `env NAME=value cmd args`: run cmd with extra variables.
        let mut extra = Vec::new();
        let mut rest = args.iter().filter(|a| *a != "-" && *a != "-i").peekable();
        while let Some(arg) = rest.peek() {
            match arg.split_once('=') {
                Some((k, v)) if !k.is_empty() => {
                    extra.push((k.to_string(), v.to_string()));
                    rest.next();
                }
                _ => break,
            }
        }
        let command: Vec<String> = rest.cloned().collect();
        if !command.is_empty() {
            let saved = self.vars.clone();
            for (k, v) in &extra {
                self.set_var(k, v);
                if let Some(var) = self.vars.iter_mut().find(|x| &x.name == k) {
                    var.exported = true;
                }
            }
            let outcome = self.run_command(cx, &command, io);
            self.vars = saved;
            return outcome;
        }
        for var in self.vars.iter().filter(|v| v.exported) {
            if extra.iter().any(|(k, _)| *k == var.name) {
                continue;
            }
            io.out.push_str(&format!("{}={}\n", var.name, var.value));
        }
        for (k, v) in extra {
            io.out.push_str(&format!("{k}={v}\n"));
        }
        Outcome::Done(0)
    }

    fn expr(&self, args: &[String], io: &mut Io) -> Outcome {
        let value = match args {
            [a] => a.clone(),
            [a, op, b] => {
                let numbers = (a.parse::<i64>(), b.parse::<i64>());
                match (op.as_str(), numbers) {
                    ("+", (Ok(x), Ok(y))) => x.wrapping_add(y).to_string(),
                    ("-", (Ok(x), Ok(y))) => x.wrapping_sub(y).to_string(),
                    ("*", (Ok(x), Ok(y))) => x.wrapping_mul(y).to_string(),
                    ("/" | "%", (Ok(_), Ok(0))) => {
                        io.err.push_str("expr: division by zero\n");
                        return Outcome::Done(2);
                    }
                    ("/", (Ok(x), Ok(y))) => x.wrapping_div(y).to_string(),
                    ("%", (Ok(x), Ok(y))) => x.wrapping_rem(y).to_string(),
                    ("=" | "==", _) => i32::from(a == b).to_string(),
                    ("!=", _) => i32::from(a != b).to_string(),
                    ("<" | ">" | "<=" | ">=", (Ok(x), Ok(y))) => i32::from(match op.as_str() {
                        "<" => x < y,
                        ">" => x > y,
                        "<=" => x <= y,
                        _ => x >= y,
                    })
                    .to_string(),
                    ("+" | "-" | "*" | "/" | "%", _) => {
                        io.err.push_str("expr: non-numeric argument\n");
                        return Outcome::Done(2);
                    }
                    _ => {
                        io.err.push_str("expr: syntax error\n");
                        return Outcome::Done(2);
                    }
                }
            }
            [kw, s] if kw == "length" => s.chars().count().to_string(),
            _ => {
                io.err.push_str("expr: syntax error\n");
                return Outcome::Done(2);
            }
        };
        io.out.push_str(&value);
        io.out.push('\n');
        Outcome::Done(i32::from(value == "0" || value.is_empty()))
    }

    fn seq(&self, args: &[String], io: &mut Io) -> Outcome {
        let numbers: Result<Vec<i64>, _> = args.iter().map(|a| a.parse::<i64>()).collect();
        let Ok(numbers) = numbers else {
            let bad = args
                .iter()
                .find(|a| a.parse::<i64>().is_err())
                .cloned()
                .unwrap_or_default();
            io.err.push_str(&if busybox(self) { format!("seq: invalid number '{bad}'\n") } else { format!("seq: invalid floating point argument: '{bad}'\nTry 'seq --help' for more information.\n") });
            return Outcome::Done(1);
        };
        let (first, step, last) = match numbers.as_slice() {
            [last] => (1, 1, *last),
            [first, last] => (*first, 1, *last),
            [first, step, last] => (*first, *step, *last),
            _ => return self.missing_operand("seq", io),
        };
        if step == 0 {
            return Outcome::Done(1);
        }
        let mut n = first;
        while (step > 0 && n <= last) || (step < 0 && n >= last) {
            io.out.push_str(&n.to_string());
            io.out.push('\n');
            if io.out.len() > crate::process::OUTPUT_BYTES_PER_RUN {
                break;
            }
            n = n.saturating_add(step);
        }
        Outcome::Done(0)
    }

    fn read_inputs(
        &mut self,
        cx: &mut Cx<'_, '_>,
        tool: &str,
        files: &[String],
        io: &mut Io,
    ) -> (Vec<(String, String)>, i32) {
        if files.is_empty() {
            return (
                vec![(String::new(), self.read_stdin_all().unwrap_or_default())],
                0,
            );
        }
        let mut out = Vec::new();
        let mut status = 0;
        for file in files {
            if file == "-" {
                out.push((file.clone(), self.read_stdin_all().unwrap_or_default()));
                continue;
            }
            let path = self.path(file);
            match cx.fs.read(&path) {
                Ok(content) => out.push((file.clone(), content.to_string())),
                Err(e) => {
                    io.err.push_str(&if busybox(self) {
                        format!("{tool}: {file}: {e}\n")
                    } else {
                        match tool {
                            "head" | "tail" => {
                                format!("{tool}: cannot open '{file}' for reading: {e}\n")
                            }
                            _ => format!("{tool}: {file}: {e}\n"),
                        }
                    });
                    status = if tool == "grep" { 2 } else { 1 };
                }
            }
        }
        (out, status)
    }

    /// `sed` (see `crate::sed`): GNU's options, script language and error texts in every
    /// userland (busybox's own messages differ slightly).
    fn sed(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let invocation = match crate::sed::parse_args(args) {
            Ok(invocation) => invocation,
            Err(text) => {
                io.err.push_str(&text);
                return Outcome::Done(1);
            }
        };
        let script = match crate::sed::parse(&invocation.expressions, invocation.extended) {
            Ok(script) => script,
            Err(message) => {
                io.err.push_str(&format!("sed: {message}\n"));
                return Outcome::Done(1);
            }
        };
        let mut status = 0;
        let mut read = |shell: &mut Self, cx: &mut Cx<'_, '_>, name: &str, io: &mut Io| {
            if name == "-" {
                return Some(shell.read_stdin_all().unwrap_or_default());
            }
            match cx.fs.read(&shell.path(name)) {
                Ok(text) => Some(text.to_string()),
                Err(e) => {
                    io.err.push_str(&format!("sed: can't read {name}: {e}\n"));
                    status = 2;
                    None
                }
            }
        };
        let mut quit = None;
        if let Some(suffix) = &invocation.in_place {
            for name in &invocation.files {
                let Some(text) = read(self, cx, name, io) else {
                    continue;
                };
                let outcome = script.run(&text, invocation.quiet);
                let path = self.path(name);
                if !suffix.is_empty()
                    && let Err(e) = cx.fs.write(&format!("{path}{suffix}"), &text, false)
                {
                    io.err
                        .push_str(&format!("sed: couldn't open file {name}{suffix}: {e}\n"));
                    return Outcome::Done(4);
                }
                if let Err(e) = cx.fs.write(&path, &outcome.output, false) {
                    io.err
                        .push_str(&format!("sed: couldn't edit {name}: {e}\n"));
                    return Outcome::Done(4);
                }
                if outcome.exit.is_some() {
                    quit = outcome.exit;
                    break;
                }
            }
        } else {
            let mut input = String::new();
            if invocation.files.is_empty() {
                input = self.read_stdin_all().unwrap_or_default();
            }
            for name in &invocation.files {
                if let Some(text) = read(self, cx, name, io) {
                    input.push_str(&text);
                }
            }
            let outcome = script.run(&input, invocation.quiet);
            io.out.push_str(&outcome.output);
            quit = outcome.exit;
        }
        Outcome::Done(match quit {
            Some(code) if status == 0 => code,
            _ => status,
        })
    }

    fn text_tool(
        &mut self,
        cx: &mut Cx<'_, '_>,
        tool: &str,
        args: &[String],
        io: &mut Io,
    ) -> Outcome {
        let mut flags = String::new();
        let mut count: Option<String> = None;
        let mut operands = Vec::new();
        let mut iter = args.iter();
        let takes_value = |tool: &str, flag: char| {
            matches!(
                (tool, flag),
                ("head" | "tail", 'n') | ("cut", 'd') | ("cut", 'f') | ("grep", 'e')
            )
        };
        let mut delimiter = "\t".to_string();
        let mut fields_spec = String::new();
        while let Some(arg) = iter.next() {
            if arg.len() > 1
                && arg.starts_with('-')
                && !arg.starts_with("--")
                && operands.is_empty()
            {
                let body = &arg[1..];
                if (tool == "head" || tool == "tail") && body.bytes().all(|b| b.is_ascii_digit()) {
                    count = Some(body.to_string());
                    continue;
                }
                let chars = body.char_indices();
                for (i, flag) in chars {
                    if takes_value(tool, flag) {
                        let value = if i + 1 < body.len() {
                            body[i + 1..].to_string()
                        } else {
                            iter.next().cloned().unwrap_or_default()
                        };
                        match flag {
                            'n' => count = Some(value),
                            'd' => delimiter = value,
                            'f' => fields_spec = value,
                            _ => operands.push(value),
                        }
                        break;
                    }
                    flags.push(flag);
                }
            } else {
                operands.push(arg.clone());
            }
        }
        match tool {
            "grep" => {
                if operands.is_empty() {
                    io.err
                        .push_str("Usage: grep [-HhnlLoqvsrRiwFE] PATTERN [FILE]...\n");
                    return Outcome::Done(2);
                }
                let pattern = operands.remove(0);
                let (inputs, mut status) = self.read_inputs(cx, tool, &operands, io);
                let ignore_case = flags.contains('i');
                let regex = crate::regex::Regex::new(
                    &pattern,
                    flags.contains('E'),
                    flags.contains('F'),
                    ignore_case,
                );
                let Some(regex) = regex else {
                    io.err.push_str(&format!("grep: bad regex '{pattern}'\n"));
                    return Outcome::Done(2);
                };
                let mut matched = 0usize;
                let many = inputs.len() > 1;
                for (name, content) in &inputs {
                    let mut file_count = 0;
                    for (n, line) in content.lines().enumerate() {
                        if regex.is_match(line) != flags.contains('v') {
                            matched += 1;
                            file_count += 1;
                            if flags.contains('q') || flags.contains('c') || flags.contains('l') {
                                continue;
                            }
                            if many {
                                io.out.push_str(name);
                                io.out.push(':');
                            }
                            if flags.contains('n') {
                                io.out.push_str(&format!("{}:", n + 1));
                            }
                            io.out.push_str(line);
                            io.out.push('\n');
                        }
                    }
                    if flags.contains('c') {
                        io.out.push_str(&if many {
                            format!("{name}:{file_count}\n")
                        } else {
                            format!("{file_count}\n")
                        });
                    }
                    if flags.contains('l') && file_count > 0 {
                        io.out.push_str(&format!("{name}\n"));
                    }
                }
                if status == 0 && matched == 0 {
                    status = 1;
                }
                if flags.contains('q') && matched > 0 {
                    status = 0;
                }
                Outcome::Done(status)
            }
            "head" | "tail" => {
                let (inputs, status) = self.read_inputs(cx, tool, &operands, io);
                let spec = count.unwrap_or_else(|| "10".into());
                let from_start = spec.starts_with('+');
                let n: usize = spec.trim_start_matches(['+', '-']).parse().unwrap_or(10);
                let many = inputs.len() > 1;
                for (index, (name, content)) in inputs.iter().enumerate() {
                    if many {
                        io.out.push_str(&format!(
                            "{}==> {name} <==\n",
                            if index > 0 { "\n" } else { "" }
                        ));
                    }
                    let lines: Vec<&str> = content.split_inclusive('\n').collect();
                    let selected: &[&str] = if tool == "head" {
                        &lines[..n.min(lines.len())]
                    } else if from_start {
                        &lines[n.saturating_sub(1).min(lines.len())..]
                    } else {
                        &lines[lines.len().saturating_sub(n)..]
                    };
                    for line in selected {
                        io.out.push_str(line);
                    }
                }
                Outcome::Done(status)
            }
            "wc" => {
                let (inputs, status) = self.read_inputs(cx, tool, &operands, io);
                let (l, w, c) = (
                    flags.contains('l'),
                    flags.contains('w'),
                    flags.contains('c'),
                );
                let all = !l && !w && !c;
                for (name, content) in &inputs {
                    let mut cols = Vec::new();
                    if l || all {
                        cols.push(content.matches('\n').count());
                    }
                    if w || all {
                        cols.push(content.split_whitespace().count());
                    }
                    if c || all {
                        cols.push(content.len());
                    }
                    let text = if cols.len() == 1 {
                        cols[0].to_string()
                    } else if busybox(self) {
                        cols.iter()
                            .map(|n| format!("{n:>9}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    } else {
                        let width = cols.iter().map(|n| n.to_string().len()).max().unwrap_or(1);
                        cols.iter()
                            .map(|n| format!("{n:>width$}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    if name.is_empty() {
                        io.out.push_str(&format!("{text}\n"));
                    } else {
                        io.out.push_str(&format!("{text} {name}\n"));
                    }
                }
                Outcome::Done(status)
            }
            "sort" | "uniq" | "tr" | "cut" | "tee" => {
                if tool == "tee" {
                    let data = self.read_stdin_all().unwrap_or_default();
                    let append = flags.contains('a');
                    let mut status = 0;
                    for file in &operands {
                        let path = self.path(file);
                        if let Err(e) = cx.fs.write(&path, &data, append) {
                            io.err.push_str(&format!("tee: {file}: {e}\n"));
                            status = 1;
                        }
                    }
                    io.out.push_str(&data);
                    return Outcome::Done(status);
                }
                if tool == "tr" {
                    let data = self.read_stdin_all().unwrap_or_default();
                    let set1 = expand_tr_set(operands.first().map_or("", String::as_str));
                    let set2 = expand_tr_set(operands.get(1).map_or("", String::as_str));
                    let delete = flags.contains('d');
                    for ch in data.chars() {
                        match set1.iter().position(|c| *c == ch) {
                            Some(_) if delete => {}
                            Some(i) if !set2.is_empty() => io.out.push(set2[i.min(set2.len() - 1)]),
                            _ => io.out.push(ch),
                        }
                    }
                    return Outcome::Done(0);
                }
                let (inputs, status) = self.read_inputs(cx, tool, &operands, io);
                let content: String = inputs.into_iter().map(|(_, c)| c).collect();
                let mut lines: Vec<String> = content.lines().map(str::to_string).collect();
                match tool {
                    "sort" => {
                        if flags.contains('n') {
                            lines.sort_by_key(|l| {
                                l.split_whitespace()
                                    .next()
                                    .and_then(|n| n.parse::<i64>().ok())
                                    .unwrap_or(0)
                            });
                        } else {
                            lines.sort();
                        }
                        if flags.contains('r') {
                            lines.reverse();
                        }
                        if flags.contains('u') {
                            lines.dedup();
                        }
                    }
                    "uniq" => {
                        let mut counted: Vec<(usize, String)> = Vec::new();
                        for line in lines {
                            match counted.last_mut() {
                                Some((n, last)) if *last == line => *n += 1,
                                _ => counted.push((1, line)),
                            }
                        }
                        lines = counted
                            .into_iter()
                            .map(|(n, l)| {
                                if flags.contains('c') {
                                    format!("{n:>7} {l}")
                                } else {
                                    l
                                }
                            })
                            .collect();
                    }
                    _ => {
                        // cut -d D -f LIST
                        let wanted = parse_field_list(&fields_spec);
                        lines = lines
                            .into_iter()
                            .map(|line| {
                                if !line.contains(delimiter.as_str()) {
                                    return line;
                                }
                                line.split(delimiter.as_str())
                                    .enumerate()
                                    .filter(|(i, _)| {
                                        wanted.iter().any(|(a, b)| (*a..=*b).contains(&(i + 1)))
                                    })
                                    .map(|(_, f)| f)
                                    .collect::<Vec<_>>()
                                    .join(&delimiter)
                            })
                            .collect();
                    }
                }
                for line in lines {
                    io.out.push_str(&line);
                    io.out.push('\n');
                }
                Outcome::Done(status)
            }
            _ => self.not_found(tool, io),
        }
    }

    fn tail_follow(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let mut n = 10usize;
        let mut file = None;
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if arg == "-n" {
                n = iter
                    .next()
                    .and_then(|v| v.trim_start_matches('+').parse().ok())
                    .unwrap_or(10);
            } else if let Some(v) = arg.strip_prefix("-n") {
                n = v.parse().unwrap_or(10);
            } else if !arg.starts_with('-') {
                file = Some(arg.clone());
            }
        }
        let Some(file) = file else {
            // `tail -f` on stdin: print it and wait forever.
            let data = self.read_stdin_all().unwrap_or_default();
            io.out.push_str(&data);
            return Outcome::Delay {
                until: Millis::MAX,
                status: 0,
            };
        };
        let path = self.path(&file);
        let content = match cx.fs.read(&path) {
            Ok(c) => c.to_string(),
            Err(e) => {
                io.err.push_str(&if busybox(self) {
                    format!("tail: can't open '{file}': {e}\n")
                } else {
                    format!("tail: cannot open '{file}' for reading: {e}\n")
                });
                String::new()
            }
        };
        let lines: Vec<&str> = content.split_inclusive('\n').collect();
        for line in &lines[lines.len().saturating_sub(n)..] {
            io.out.push_str(line);
        }
        Outcome::Tail {
            path,
            offset: content.len(),
        }
    }

    // ---- network ----

    /// Resolves a name like the container's resolver: /etc/hosts, then DNS with resolv.conf's
    /// search list and ndots. Returns (answered name, addresses).
    pub(crate) fn resolve_name(
        &self,
        cx: &mut Cx<'_, '_>,
        name: &str,
    ) -> Option<(String, Vec<Ipv4Addr>)> {
        if let Ok(ip) = name.parse::<Ipv4Addr>() {
            return Some((name.to_string(), vec![ip]));
        }
        if let Ok(hosts) = cx.fs.read("/etc/hosts") {
            for line in hosts.lines() {
                let mut fields = line.split_whitespace();
                let Some(ip) = fields.next().and_then(|ip| ip.parse::<Ipv4Addr>().ok()) else {
                    continue;
                };
                if fields.any(|n| n == name) {
                    return Some((name.to_string(), vec![ip]));
                }
            }
        }
        let resolv = cx.fs.read("/etc/resolv.conf").unwrap_or("").to_string();
        let search: Vec<&str> = resolv
            .lines()
            .find_map(|l| l.strip_prefix("search "))
            .map(|s| s.split_whitespace().collect())
            .unwrap_or_default();
        let ndots: usize = resolv
            .split_whitespace()
            .find_map(|w| w.strip_prefix("ndots:"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let absolute = name.ends_with('.');
        let bare = name.trim_end_matches('.');
        let mut candidates = Vec::new();
        if absolute {
            candidates.push(bare.to_string());
        } else {
            let dots = bare.matches('.').count();
            if dots >= ndots {
                candidates.push(bare.to_string());
            }
            for domain in &search {
                candidates.push(format!("{bare}.{domain}"));
            }
            if dots < ndots {
                candidates.push(bare.to_string());
            }
        }
        for candidate in candidates {
            let ips = cx.host.lookup(&candidate);
            if !ips.is_empty() {
                return Some((candidate, ips));
            }
        }
        None
    }

    fn nameserver(&self, cx: &mut Cx<'_, '_>) -> String {
        cx.fs
            .read("/etc/resolv.conf")
            .ok()
            .and_then(|r| {
                r.lines()
                    .find_map(|l| l.strip_prefix("nameserver "))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| "10.96.0.10".to_string())
    }

    /// `base64` (see `crate::base64`): BusyBox's options and texts in busybox and Alpine
    /// images, GNU coreutils' in Debian ones.
    fn base64(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let flavor = if busybox(self) {
            crate::base64::Flavor::Busybox(self.image.version())
        } else {
            crate::base64::Flavor::Gnu
        };
        let options = match crate::base64::parse(flavor, args) {
            Ok(options) => options,
            Err(usage) => {
                io.err.push_str(&usage);
                return Outcome::Done(1);
            }
        };
        let files: Vec<String> = options.file.iter().cloned().collect();
        let (mut inputs, status) = self.read_inputs(cx, "base64", &files, io);
        if status != 0 {
            return Outcome::Done(status);
        }
        let input = inputs.pop().map(|(_, content)| content).unwrap_or_default();
        let (out, error) = crate::base64::run(&options, &input);
        io.out.push_str(&out);
        match error {
            Some(error) => {
                io.err.push_str(error);
                Outcome::Done(1)
            }
            None => Outcome::Done(0),
        }
    }

    fn nslookup(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let Some(name) = args.iter().find(|a| !a.starts_with('-')).cloned() else {
            io.err.push_str(&format!("BusyBox v{} multi-call binary.\n\nUsage: nslookup [HOST] [SERVER]\n\nQuery the nameserver for the IP address of the given HOST\noptionally using a specified DNS server\n", self.image.version()));
            return Outcome::Done(1);
        };
        let server = self.nameserver(cx);
        if !self.image.old_busybox() && !cx.host.dns_reachable() {
            io.out
                .push_str(";; connection timed out; no servers could be reached\n\n");
            return Outcome::Done(1);
        }
        let answer = self.resolve_name(cx, &name);
        if self.image.old_busybox() {
            let server_name = server
                .parse::<Ipv4Addr>()
                .ok()
                .and_then(|ip| cx.host.reverse_lookup(ip));
            io.out.push_str(&format!(
                "Server:    {server}\nAddress 1: {server}{}\n\n",
                server_name.map(|n| format!(" {n}")).unwrap_or_default()
            ));
            match answer {
                Some((fqdn, ips)) => {
                    io.out.push_str(&format!("Name:      {fqdn}\n"));
                    for (i, ip) in ips.iter().enumerate() {
                        let reverse = cx.host.reverse_lookup(*ip).unwrap_or_else(|| fqdn.clone());
                        io.out
                            .push_str(&format!("Address {}: {ip} {reverse}\n", i + 1));
                    }
                    Outcome::Done(0)
                }
                None => {
                    let shown = match self.resolve_display(cx, &name) {
                        Some(fqdn) => fqdn,
                        None => name.clone(),
                    };
                    io.err
                        .push_str(&format!("nslookup: can't resolve '{shown}'\n"));
                    Outcome::Done(1)
                }
            }
        } else {
            io.out
                .push_str(&format!("Server:\t\t{server}\nAddress:\t{server}:53\n\n"));
            match answer {
                Some((fqdn, ips)) => {
                    for ip in ips {
                        io.out.push_str(&format!("Name:\t{fqdn}\nAddress: {ip}\n"));
                    }
                    io.out.push('\n');
                    Outcome::Done(0)
                }
                None => {
                    io.out.push_str(&format!("** server can't find {name}: NXDOMAIN\n\n** server can't find {name}: NXDOMAIN\n\n"));
                    Outcome::Done(1)
                }
            }
        }
    }

    /// busybox 1.28 reports a failed name with its first search domain applied when the name
    /// has enough dots to be tried as-is last.
    fn resolve_display(&self, _cx: &mut Cx<'_, '_>, name: &str) -> Option<String> {
        Some(name.to_string())
    }

    fn split_url(url: &str) -> (String, u16, String) {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        let default_port = if url.starts_with("https://") { 443 } else { 80 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().unwrap_or(default_port)),
            None => (authority.to_string(), default_port),
        };
        (host, port, path)
    }

    fn client_ip(&self, cx: &mut Cx<'_, '_>) -> Ipv4Addr {
        let hosts = cx.fs.read("/etc/hosts").unwrap_or("");
        // The pod's own line in /etc/hosts (the kubelet writes "<pod ip>\t<hostname>" last).
        let own = |l: &&str| l.split_whitespace().nth(1) == Some(self.hostname.as_str());
        let ip_of = |l: &str| {
            l.split_whitespace()
                .next()
                .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
        };
        hosts
            .lines()
            .find(own)
            .and_then(ip_of)
            .or_else(|| {
                hosts
                    .lines()
                    .rev()
                    .filter_map(ip_of)
                    .find(|ip| !ip.is_loopback())
            })
            .unwrap_or(Ipv4Addr::LOCALHOST)
    }

    fn wget(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let mut quiet = false;
        let mut output: Option<String> = None;
        let mut spider = false;
        let mut timeout_s: Millis = 900;
        let mut url = None;
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            match arg.as_str() {
                "-q" | "--quiet" => quiet = true,
                "-O" => output = iter.next().cloned(),
                "--spider" => spider = true,
                "-T" | "--timeout" => {
                    timeout_s = iter.next().and_then(|t| t.parse().ok()).unwrap_or(900);
                }
                a if a.starts_with("-O") => output = Some(a[2..].to_string()),
                a if a.starts_with("--timeout=") => timeout_s = a[10..].parse().unwrap_or(900),
                a if a.starts_with("-q") && a.len() > 2 => {
                    quiet = true;
                    if let Some(o) = a[2..].strip_prefix('O') {
                        output = Some(if o.is_empty() {
                            iter.next().cloned().unwrap_or_default()
                        } else {
                            o.to_string()
                        });
                    }
                }
                a if a.starts_with('-') => {}
                a => url = Some(a.to_string()),
            }
        }
        let Some(url) = url else {
            io.err.push_str("wget: missing URL\n");
            return Outcome::Done(1);
        };
        let (host, port, path) = Self::split_url(&url);
        let Some((_, ips)) = self.resolve_name(cx, &host) else {
            io.err.push_str(&format!("wget: bad address '{host}'\n"));
            return Outcome::Done(1);
        };
        let ip = ips[0];
        if !quiet {
            io.err.push_str(&format!(
                "Connecting to {host}{} ({ip}:{port})\n",
                if port == 80 {
                    String::new()
                } else {
                    format!(":{port}")
                }
            ));
        }
        let request = HttpRequest {
            method: "GET".into(),
            path: path.clone(),
            host: host.clone(),
            user_agent: "Wget".into(),
            client_ip: self.client_ip(cx),
        };
        match cx.host.http_from(cx.fs, ip, port, &request) {
            Ok(response) if response.status < 400 => {
                if spider {
                    if !quiet {
                        io.err.push_str("remote file exists\n");
                    }
                    return Outcome::Done(0);
                }
                let target = output.unwrap_or_else(|| {
                    let base = path.rsplit('/').next().unwrap_or("");
                    if base.is_empty() {
                        "index.html".to_string()
                    } else {
                        base.to_string()
                    }
                });
                let size = response.body.len();
                if target == "-" {
                    if !quiet {
                        io.err.push_str("writing to stdout\n");
                    }
                    io.out.push_str(&response.body);
                    if !quiet {
                        io.err.push_str(&format!("-                    100% |********************************| {size:>5}  0:00:00 ETA\nwritten to stdout\n"));
                    }
                } else {
                    let file = self.path(&target);
                    if let Err(e) = cx.fs.write(&file, &response.body, false) {
                        io.err
                            .push_str(&format!("wget: can't open '{target}': {e}\n"));
                        return Outcome::Done(1);
                    }
                    if !quiet {
                        io.err.push_str(&format!("saving to '{target}'\n{target:<20} 100% |********************************| {size:>5}  0:00:00 ETA\n'{target}' saved\n"));
                    }
                }
                if response.service_ms > 0 {
                    // The server worked on it that long: a wget loop is paced by it.
                    return Outcome::Delay {
                        until: cx.now + response.service_ms,
                        status: 0,
                    };
                }
                Outcome::Done(0)
            }
            Ok(response) => {
                io.err.push_str(&format!(
                    "wget: server returned error: HTTP/1.1 {} {}\n",
                    response.status,
                    response.reason()
                ));
                Outcome::Done(1)
            }
            Err(NetError::Refused) => {
                io.err.push_str(&format!(
                    "wget: can't connect to remote host ({ip}): Connection refused\n"
                ));
                Outcome::Done(1)
            }
            Err(NetError::Unreachable) => {
                io.err.push_str(&format!(
                    "wget: can't connect to remote host ({ip}): No route to host\n"
                ));
                Outcome::Done(1)
            }
            Err(NetError::TimedOut) => {
                // Blocks until its timeout, then fails.
                io.err.push_str("wget: download timed out\n");
                Outcome::Delay {
                    until: cx.now + timeout_s * 1000,
                    status: 1,
                }
            }
        }
    }

    fn curl(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let mut silent = false;
        let mut show_error = false;
        let mut include = false;
        let mut head = false;
        let mut fail = false;
        let mut output: Option<String> = None;
        let mut max_time: Option<Millis> = None;
        let mut write_out: Option<String> = None;
        let mut url = None;
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            match arg.as_str() {
                "-o" | "--output" => output = iter.next().cloned(),
                "-m" | "--max-time" | "--connect-timeout" => {
                    max_time = iter
                        .next()
                        .and_then(|t| t.parse::<f64>().ok())
                        .map(|s| (s * 1000.0) as Millis);
                }
                "-w" | "--write-out" => write_out = iter.next().cloned(),
                "-H" | "-X" | "-d" | "--data" | "-A" => {
                    iter.next();
                }
                "--silent" => silent = true,
                "--include" => include = true,
                "--head" => head = true,
                "--fail" => fail = true,
                a if a.starts_with("--") => {}
                a if a.starts_with('-') && a.len() > 1 => {
                    for flag in a[1..].chars() {
                        match flag {
                            's' => silent = true,
                            'S' => show_error = true,
                            'i' => include = true,
                            'I' => head = true,
                            'f' => fail = true,
                            _ => {}
                        }
                    }
                }
                a => url = Some(a.to_string()),
            }
        }
        let Some(url) = url else {
            io.err
                .push_str("curl: try 'curl --help' or 'curl --manual' for more information\n");
            return Outcome::Done(2);
        };
        let report = |io: &mut Io, text: String| {
            if !silent || show_error {
                io.err.push_str(&text);
            }
        };
        let (host, port, path) = Self::split_url(&url);
        let Some((_, ips)) = self.resolve_name(cx, &host) else {
            report(io, format!("curl: (6) Could not resolve host: {host}\n"));
            return Outcome::Done(6);
        };
        let ip = ips[0];
        let request = HttpRequest {
            method: if head { "HEAD".into() } else { "GET".into() },
            path,
            host: if port == 80 {
                host.clone()
            } else {
                format!("{host}:{port}")
            },
            user_agent: "curl/7.88.1".into(),
            client_ip: self.client_ip(cx),
        };
        match cx.host.http_from(cx.fs, ip, port, &request) {
            Ok(response) => {
                if fail && response.status >= 400 {
                    report(
                        io,
                        format!(
                            "curl: (22) The requested URL returned error: {}\n",
                            response.status
                        ),
                    );
                    return Outcome::Done(22);
                }
                let mut text = String::new();
                if include || head {
                    text.push_str(&format!(
                        "HTTP/1.1 {} {}\r\n",
                        response.status,
                        response.reason()
                    ));
                    for (k, v) in &response.headers {
                        text.push_str(&format!("{k}: {v}\r\n"));
                    }
                    text.push_str(&format!("Content-Length: {}\r\n\r\n", response.body.len()));
                }
                if !head {
                    text.push_str(&response.body);
                }
                if let Some(format) = write_out {
                    text.push_str(
                        &format
                            .replace("%{http_code}", &response.status.to_string())
                            .replace("\\n", "\n"),
                    );
                }
                match output {
                    Some(file) if file != "-" => {
                        let path = self.path(&file);
                        if let Err(e) = cx.fs.write(&path, &text, false) {
                            report(
                                io,
                                format!("curl: (23) Failure writing output to destination: {e}\n"),
                            );
                            return Outcome::Done(23);
                        }
                    }
                    _ => io.out.push_str(&text),
                }
                if response.service_ms > 0 {
                    return Outcome::Delay {
                        until: cx.now + response.service_ms,
                        status: 0,
                    };
                }
                Outcome::Done(0)
            }
            Err(NetError::Refused) => {
                report(
                    io,
                    format!(
                        "curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server\n"
                    ),
                );
                Outcome::Done(7)
            }
            Err(NetError::Unreachable) => {
                report(
                    io,
                    format!(
                        "curl: (7) Failed to connect to {host} port {port} after 3 ms: No route to host\n"
                    ),
                );
                Outcome::Done(7)
            }
            Err(NetError::TimedOut) => {
                let wait = max_time.unwrap_or(130_000);
                report(
                    io,
                    format!(
                        "curl: (28) Failed to connect to {host} port {port} after {wait} ms: Timeout was reached\n"
                    ),
                );
                Outcome::Delay {
                    until: cx.now + wait,
                    status: 28,
                }
            }
        }
    }

    fn nc(&mut self, cx: &mut Cx<'_, '_>, args: &[String], io: &mut Io) -> Outcome {
        let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let verbose = args.iter().any(|a| a.starts_with('-') && a.contains('v'));
        let (Some(host), Some(port)) = (
            positional.first(),
            positional.get(1).and_then(|p| p.parse::<u16>().ok()),
        ) else {
            io.err.push_str(&format!(
                "BusyBox v{} multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect\n",
                self.image.version()
            ));
            return Outcome::Done(1);
        };
        let Some((_, ips)) = self.resolve_name(cx, host) else {
            io.err.push_str(&format!("nc: bad address '{host}'\n"));
            return Outcome::Done(1);
        };
        match cx.host.tcp_connect(ips[0], port) {
            Ok(()) => {
                if verbose {
                    io.err
                        .push_str(&format!("{host} ({}:{port}) open\n", ips[0]));
                }
                Outcome::Done(0)
            }
            Err(NetError::TimedOut) => {
                let wait = args
                    .iter()
                    .position(|a| a == "-w")
                    .and_then(|i| args.get(i + 1))
                    .and_then(|w| w.parse::<Millis>().ok())
                    .unwrap_or(10)
                    * 1000;
                Outcome::Delay {
                    until: cx.now + wait,
                    status: 1,
                }
            }
            Err(e) => {
                if verbose {
                    io.err
                        .push_str(&format!("nc: {host} ({}:{port}): {e}\n", ips[0]));
                }
                Outcome::Done(1)
            }
        }
    }
}

/// `cat FILE` for one file: appends its content to `out` or the tool's error to `err`.
/// Shared by the `cat` builtin and the exec-probe fast path so both print the same.
pub(crate) fn cat_file(
    fs: &crate::fs::MountedFs<'_>,
    cwd: &str,
    busybox: bool,
    file: &str,
    out: &mut String,
    err: &mut String,
) -> bool {
    let path = match normalize(cwd, file) {
        Ok(path) => path,
        Err(e) => {
            err.push_str(&cat_open_error(busybox, file, e));
            return false;
        }
    };
    match fs.read(&path) {
        Ok(content) => {
            out.push_str(content);
            true
        }
        Err(crate::fs::FsError::IsDir) => {
            err.push_str(&if busybox {
                "cat: read error: Is a directory\n".to_string()
            } else {
                format!("cat: {file}: Is a directory\n")
            });
            false
        }
        Err(e) => {
            err.push_str(&cat_open_error(busybox, file, e));
            false
        }
    }
}

fn cat_open_error(busybox: bool, file: &str, e: crate::fs::FsError) -> String {
    if busybox {
        format!("cat: can't open '{file}': {e}\n")
    } else {
        format!("cat: {file}: {e}\n")
    }
}

fn parse_spec(spec: &str) -> (bool, Option<usize>, Option<usize>) {
    let left = spec.contains('-');
    let digits: String = spec
        .trim_start_matches(['-', '+', ' ', '#', '0'])
        .to_string();
    let (width, precision) = match digits.split_once('.') {
        Some((w, p)) => (w.parse().ok(), Some(p.parse().unwrap_or(0))),
        None => (digits.parse().ok(), None),
    };
    (left, width, precision)
}

fn expand_tr_set(set: &str) -> Vec<char> {
    let named = match set {
        "[:lower:]" => Some(('a'..='z').collect()),
        "[:upper:]" => Some(('A'..='Z').collect()),
        "[:digit:]" => Some(('0'..='9').collect()),
        "[:space:]" => Some(vec![' ', '\t', '\n', '\r']),
        _ => None,
    };
    if let Some(chars) = named {
        return chars;
    }
    let chars: Vec<char> = unescape(set).0.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' && chars[i] <= chars[i + 2] {
            out.extend(chars[i]..=chars[i + 2]);
            i += 3;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn parse_field_list(spec: &str) -> Vec<(usize, usize)> {
    spec.split(',')
        .filter_map(|part| match part.split_once('-') {
            Some((a, b)) => Some((a.parse().unwrap_or(1), b.parse().unwrap_or(usize::MAX))),
            None => part.parse().ok().map(|n| (n, n)),
        })
        .collect()
}
