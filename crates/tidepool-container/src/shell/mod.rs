//! A resumable POSIX-shell interpreter for container commands and `kubectl exec`.
//!
//! Source is parsed once ([`parse`]) into an AST and compiled into a flat instruction list
//! ([`Program`]); [`Shell`] executes it as an explicit state machine (program counter, frames,
//! fd stack, pending blocking operation), so it can stop at any `sleep`, `tail -f` or `wait`, or
//! when its instruction budget runs out, and resume later in virtual time. Everything is bounded:
//! script size, nesting depth, frame depth, word length, output per run, instructions per run.
//!
//! Three shells are modelled for their error texts: busybox ash (busybox, alpine), dash
//! (`/bin/sh` on Debian/Ubuntu) and bash. Commands are builtins that behave like busybox or GNU
//! coreutils depending on the image (see [`builtins`]).

mod arith;
pub mod builtins;
pub mod compile;
pub mod parse;
pub(crate) mod vm;

use std::sync::Arc;

pub use compile::Program;
pub use parse::{Flavor, SyntaxError, SyntaxErrorKind};
pub use vm::{Shell, glob_match};

use crate::image::{Image, Toolbox};
use parse::{Command, Part, Simple};

/// Parses and compiles a script.
pub fn parse(source: &str) -> Result<Program, SyntaxError> {
    Ok(compile::compile(parse::parse_program(source)?))
}

/// Scripts compiled so far, shared by every shell that runs the same source (10,000 replicas
/// of one pod template compile their `command` once). A memo of [`parse`], a pure function, so
/// it changes no outcome; bounded, and per thread.
const PARSED_MEMO_LIMIT: usize = 256;

thread_local! {
    static PARSED: std::cell::RefCell<Vec<(String, Arc<Program>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// [`parse`], sharing the compiled program with earlier shells that ran the same source.
pub fn parse_shared(source: &str) -> Result<Arc<Program>, SyntaxError> {
    let known = PARSED.with_borrow(|memo| {
        memo.iter()
            .find(|(s, _)| s == source)
            .map(|(_, program)| Arc::clone(program))
    });
    if let Some(program) = known {
        return Ok(program);
    }
    let program = Arc::new(parse(source)?);
    PARSED.with_borrow_mut(|memo| {
        if memo.len() >= PARSED_MEMO_LIMIT {
            memo.remove(0);
        }
        memo.push((source.to_string(), Arc::clone(&program)));
    });
    Ok(program)
}

impl Flavor {
    /// The flavour of `/bin/sh` in an image.
    pub fn for_image(image: Image) -> Flavor {
        match image.repository().toolbox {
            Toolbox::Debian | Toolbox::DebianCurl | Toolbox::DebianFull => Flavor::Dash,
            _ => Flavor::Ash,
        }
    }
}

/// The words of `sh -c '<one simple command>'` when the script is a single literal simple
/// command without redirections (shells exec such a command directly).
pub fn single_exec_command(argv: &[String]) -> Option<Vec<String>> {
    let script = match argv {
        [_, flag, script, ..] if flag == "-c" => script,
        _ => return None,
    };
    let parsed = parse::parse_program(script).ok()?;
    let [(and_or, false)] = parsed.list.as_slice() else {
        return None;
    };
    if !and_or.rest.is_empty() || and_or.first.negate || and_or.first.commands.len() != 1 {
        return None;
    }
    let Command::Simple(Simple {
        assigns,
        words,
        redirs,
    }) = &and_or.first.commands[0]
    else {
        return None;
    };
    if !assigns.is_empty() || !redirs.is_empty() || words.is_empty() {
        return None;
    }
    words
        .iter()
        .map(|word| {
            word.iter()
                .map(|part| match part {
                    Part::Lit(s) if !s.contains(['*', '?', '[']) => Some(s.as_str()),
                    Part::Quoted(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect::<Option<String>>()
        })
        .collect()
}

/// A one-command program running `argv` literally (an applet run without a shell).
pub fn direct_program(argv: &[String]) -> Program {
    Program {
        code: vec![compile::Instr::Simple(0), compile::Instr::End],
        simples: vec![Simple {
            assigns: Vec::new(),
            words: argv.iter().map(|a| vm::literal_word(a)).collect(),
            redirs: Vec::new(),
        }],
        ..Program::default()
    }
}

fn shell_name(argv0: &str) -> String {
    argv0.rsplit('/').next().unwrap_or(argv0).to_string()
}

impl Shell {
    /// A shell started as `argv` (`sh -c SCRIPT [NAME ARGS...]`, `sh FILE ARGS...`, or `sh`).
    /// `stdin`: whether a bare shell keeps reading input (pod `stdin: true`) instead of exiting
    /// at EOF.
    pub fn from_argv(
        flavor: Flavor,
        image: Image,
        argv: &[String],
        env: &[(String, String)],
        cwd: &str,
        stdin: bool,
    ) -> Shell {
        let name = shell_name(argv.first().map_or("sh", String::as_str));
        let mut args = argv.iter().skip(1);
        let mut errexit = false;
        let mut xtrace = false;
        let mut script = None;
        let mut rest = Vec::new();
        while let Some(arg) = args.next() {
            if arg.starts_with('-') && arg.len() > 1 && script.is_none() && rest.is_empty() {
                if arg == "--" {
                    continue;
                }
                let mut wants_script = false;
                for flag in arg[1..].chars() {
                    match flag {
                        'c' => wants_script = true,
                        'e' => errexit = true,
                        'x' => xtrace = true,
                        _ => {}
                    }
                }
                if wants_script {
                    script = Some(args.next().cloned().unwrap_or_default());
                }
                continue;
            }
            rest.push(arg.clone());
        }
        let mut shell = match script {
            Some(source) => {
                let mut shell = match parse_shared(&source) {
                    Ok(program) => Shell::with_program(flavor, &name, image, program, env, cwd),
                    Err(error) => Shell::failing(
                        flavor,
                        &name,
                        image,
                        env,
                        cwd,
                        &error.message(flavor, &name),
                        2,
                    ),
                };
                let mut positional = rest.into_iter();
                if let Some(zero) = positional.next() {
                    shell.name = zero;
                }
                shell.positional = positional.collect();
                shell
            }
            None if !rest.is_empty() => {
                // `sh FILE ARGS`: read the file when it runs.
                let mut words = vec![vm::literal_word("."), vm::literal_word(&rest[0])];
                words.truncate(2);
                let program = Program {
                    code: vec![compile::Instr::Simple(0), compile::Instr::End],
                    simples: vec![Simple {
                        assigns: Vec::new(),
                        words,
                        redirs: Vec::new(),
                    }],
                    ..Program::default()
                };
                let mut shell = Shell::new(flavor, &name, image, program, env, cwd);
                shell.positional = rest[1..].to_vec();
                shell
            }
            None => {
                let mut shell = Shell::new(flavor, &name, image, Program::default(), env, cwd);
                shell.interactive = stdin;
                shell
            }
        };
        shell.errexit = errexit;
        shell.xtrace = xtrace;
        shell
    }

    /// A busybox applet / coreutils binary run directly as the process (`["sleep", "3600"]`).
    pub fn direct(
        flavor: Flavor,
        image: Image,
        argv: &[String],
        env: &[(String, String)],
        cwd: &str,
    ) -> Shell {
        Shell::new(flavor, "sh", image, direct_program(argv), env, cwd)
    }

    /// A shell that runs an already-compiled program (exec probes reuse one `Arc<Program>`).
    pub fn with_program(
        flavor: Flavor,
        name: &str,
        image: Image,
        program: Arc<Program>,
        env: &[(String, String)],
        cwd: &str,
    ) -> Shell {
        let mut shell = Shell::new(flavor, name, image, Program::default(), env, cwd);
        shell.programs[0] = program;
        shell
    }

    /// An interactive shell (`kubectl exec -it POD -- sh`): reads lines pushed with
    /// [`Shell::feed_line`].
    pub fn interactive(
        flavor: Flavor,
        name: &str,
        image: Image,
        env: &[(String, String)],
        cwd: &str,
    ) -> Shell {
        let mut shell = Shell::new(flavor, name, image, Program::default(), env, cwd);
        shell.interactive = true;
        shell
    }

    /// A shell that prints `message` to stderr and exits with `code` when run.
    fn failing(
        flavor: Flavor,
        name: &str,
        image: Image,
        env: &[(String, String)],
        cwd: &str,
        message: &str,
        code: i32,
    ) -> Shell {
        let mut shell = Shell::new(flavor, name, image, Program::default(), env, cwd);
        shell.pending = Some(vm::Pending::Delay {
            until: 0,
            status: code,
            stdout: String::new(),
            stderr: message.to_string(),
            temp_fd: false,
        });
        shell
    }

    /// Queues one input line for an interactive shell.
    pub fn feed_line(&mut self, line: &str) {
        self.push_input(line);
    }

    /// Whether an interactive shell has run everything it was given and waits for a line.
    pub fn is_waiting_for_input(&self) -> bool {
        self.waiting_for_input()
    }

    /// Ctrl-C at this shell's terminal (see `Shell::interrupt` in the VM).
    pub fn interrupt_foreground(&mut self) {
        self.interrupt();
    }

    /// The PID this shell reports as `$$`.
    pub fn set_pid(&mut self, pid: u32) {
        self.pid = pid;
    }

    /// The current working directory.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// Adds time an exec already slept (exec runs to completion without moving the clock).
    pub(crate) fn add_time_offset(&mut self, by: crate::host::Millis) {
        self.time_offset = self.time_offset.saturating_add(by);
    }

    /// Takes the signals this shell's `kill` sent to other PIDs (exec sessions signalling PID 1).
    pub fn take_outgoing_signals(&mut self) -> Vec<(u32, crate::process::Signal)> {
        std::mem::take(&mut self.outgoing_signals)
    }

    /// Processes `ps` lists besides this shell and its jobs.
    pub fn set_ps_table(&mut self, table: Vec<(u32, String)>) {
        self.ps_table = table;
    }

    /// Joins a PID namespace shared with other processes (`kubectl debug --target`, a pod's
    /// `shareProcessNamespace`): `commands` take PIDs from 1 and this container's own rows
    /// follow them.
    pub fn share_pids_with(&mut self, commands: Vec<String>) {
        let shift = commands.len() as u32;
        let own = std::mem::take(&mut self.ps_table);
        self.ps_table = (1..)
            .zip(commands)
            .chain(own.into_iter().map(|(pid, c)| (pid + shift, c)))
            .collect();
    }

    /// When the main process's shell ran a server program in the foreground (or `exec`), the
    /// argv it wants to become.
    pub fn take_exec_request(&mut self) -> Option<Vec<String>> {
        self.take_become()
    }
}
