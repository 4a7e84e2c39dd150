//! The resumable interpreter: a program counter, frames, an fd stack and a pending blocking
//! operation, all plain data. [`Shell::run`] executes until the program blocks (`sleep`,
//! `tail -f`, `wait`), exits, or spends its instruction budget, then returns; calling it again
//! later continues exactly where it stopped.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::compile::{Instr, Program};
use super::parse::{Flavor, ParamOp, Part, Redir, RedirOp, Word};
use crate::fs::{FileKind, MountedFs, normalize};
use crate::host::{Host, Millis};
use crate::image::Image;
use crate::process::{CPU_SLICE_MS, Output, ProcessState, Signal, Stream};

/// Longest variable value / expanded word, in bytes.
pub const MAX_WORD_BYTES: usize = 1024 * 1024;
/// Deepest frame stack (functions calling themselves, nested substitutions).
pub const MAX_FRAMES: usize = 200;

/// Everything a running shell touches outside itself.
pub struct Cx<'x, 'a> {
    /// The container's filesystem view.
    pub fs: &'x mut MountedFs<'a>,
    /// The world.
    pub host: &'x mut dyn Host,
    /// Where stdout/stderr of the process go.
    pub out: &'x mut Output,
    /// Virtual now (host time plus the time an exec already slept).
    pub now: Millis,
}

/// A shell variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Var {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// In the environment of commands (`export`).
    pub exported: bool,
}

/// Where output goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Sink {
    /// The process's stdout.
    Out,
    /// The process's stderr.
    Err,
    /// Captured by frame `n` (substitution or pipeline stage).
    Capture(usize),
    /// Appended to a file (already truncated when the redirection was applied).
    File(String),
    /// `/dev/null`.
    Null,
}

/// Where input comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Input {
    pub data: String,
    pub pos: usize,
}

/// One level of the fd stack; `None` inherits from the level below.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Fds {
    pub stdin: Option<Input>,
    pub stdout: Option<Sink>,
    pub stderr: Option<Sink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum FrameKind {
    Subst {
        slot: u16,
    },
    Stage {
        stages: Vec<u32>,
        index: usize,
    },
    Subshell,
    Function,
    Trap {
        saved_status: i32,
    },
    /// `eval` and `.`: no variable isolation.
    Eval,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Frame {
    kind: FrameKind,
    ret_prog: usize,
    ret_pc: u32,
    saved_vars: Option<Vec<Var>>,
    saved_positional: Option<Vec<String>>,
    saved_cwd: Option<String>,
    fd_depth: usize,
    for_depth: usize,
    /// Substitution results for the command being expanded in this frame.
    slots: Vec<String>,
    capture: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ForState {
    var: String,
    values: Vec<String>,
    next: usize,
}

/// A blocking operation the shell is waiting on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Pending {
    /// Finish the current command at `until` with this status and output (`sleep`, timeouts).
    Delay {
        until: Millis,
        status: i32,
        stdout: String,
        stderr: String,
        temp_fd: bool,
    },
    /// `tail -f`: print what was appended to `path` past `offset`, poll every second.
    Tail {
        path: String,
        offset: usize,
        temp_fd: bool,
    },
    /// `wait`: until every background job has finished.
    Wait { temp_fd: bool },
    /// An interactive shell waits for its next input line.
    Input,
    /// `exec`/a server program run by PID 1: the process becomes that program.
    Become(Vec<String>),
}

/// A background job (`sleep 3600 &`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Job {
    pub pid: u32,
    pub until: Option<Millis>,
    pub status: i32,
    pub command: String,
}

/// What a builtin asks the VM to do next.
pub(crate) enum Outcome {
    /// Finished with a status.
    Done(i32),
    /// Finish later (`sleep`).
    Delay { until: Millis, status: i32 },
    /// Follow a file.
    Tail { path: String, offset: usize },
    /// Wait for background jobs.
    Wait,
    /// `exit N`.
    Exit(i32),
    /// `return N`.
    Return(i32),
    /// Run parsed source in an Eval frame (`eval`, `.`).
    Eval(Arc<Program>),
    /// Call a function.
    Call {
        prog: usize,
        start: u32,
        args: Vec<String>,
    },
    /// Replace the process (`exec nginx`, a server binary run by PID 1).
    Become(Vec<String>),
}

/// Buffers a builtin writes to; routed through the fd stack when it finishes.
#[derive(Debug, Default)]
pub(crate) struct Io {
    pub out: String,
    pub err: String,
}

/// The interpreter's complete state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shell {
    pub(crate) flavor: Flavor,
    /// `$0` and the prefix of error messages (`sh`, `bash`).
    pub(crate) name: String,
    pub(crate) image: Image,
    pub(crate) programs: Vec<Arc<Program>>,
    prog: usize,
    pc: u32,
    frames: Vec<Frame>,
    pub(crate) vars: Vec<Var>,
    pub(crate) positional: Vec<String>,
    pub(crate) functions: Vec<(String, usize, u32)>,
    pub(crate) status: i32,
    fds: Vec<Fds>,
    for_stack: Vec<ForState>,
    slots: Vec<String>,
    pub(crate) pending: Option<Pending>,
    pub(crate) traps: Vec<(String, String)>,
    pending_signals: Vec<Signal>,
    pub(crate) jobs: Vec<Job>,
    pub(crate) next_pid: u32,
    pub(crate) pid: u32,
    pub(crate) cwd: String,
    pub(crate) hostname: String,
    exited: Option<i32>,
    last_instructions: u32,
    /// Reads input lines (exec sessions, `stdin: true`), prompting between them.
    pub(crate) interactive: bool,
    /// Input lines not yet run.
    input_lines: Vec<String>,
    /// Virtual time an exec spent sleeping (exec runs to completion without moving the clock).
    pub(crate) time_offset: Millis,
    pub(crate) errexit: bool,
    pub(crate) xtrace: bool,
    /// Other processes `ps` shows (PID 1 for an exec'd shell).
    pub(crate) ps_table: Vec<(u32, String)>,
    /// Signals `kill` sent to PID 1 from an exec'd shell; the Process applies them.
    pub(crate) outgoing_signals: Vec<(u32, Signal)>,
    /// Bytes the program holds (variables, captured output): the memory estimate.
    pub(crate) line: usize,
}

impl Shell {
    /// A shell that runs `program` with these variables (exported) and positional parameters.
    pub(crate) fn new(
        flavor: Flavor,
        name: &str,
        image: Image,
        program: Program,
        env: &[(String, String)],
        cwd: &str,
    ) -> Shell {
        let hostname = env
            .iter()
            .find(|(k, _)| k == "HOSTNAME")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        Shell {
            flavor,
            name: name.to_string(),
            image,
            programs: vec![Arc::new(program)],
            prog: 0,
            pc: 0,
            frames: Vec::new(),
            vars: env
                .iter()
                .map(|(k, v)| Var {
                    name: k.clone(),
                    value: v.clone(),
                    exported: true,
                })
                .collect(),
            positional: Vec::new(),
            functions: Vec::new(),
            status: 0,
            fds: vec![Fds {
                stdin: None,
                stdout: Some(Sink::Out),
                stderr: Some(Sink::Err),
            }],
            for_stack: Vec::new(),
            slots: Vec::new(),
            pending: None,
            traps: Vec::new(),
            pending_signals: Vec::new(),
            jobs: Vec::new(),
            next_pid: 7,
            pid: 1,
            cwd: cwd.to_string(),
            hostname,
            exited: None,
            last_instructions: 0,
            interactive: false,
            input_lines: Vec::new(),
            time_offset: 0,
            errexit: false,
            xtrace: false,
            ps_table: Vec::new(),
            outgoing_signals: Vec::new(),
            line: 1,
        }
    }

    /// Instructions executed by the last `run`.
    pub fn last_instructions(&self) -> u32 {
        self.last_instructions
    }

    /// The exit code, once exited.
    pub fn exit_code(&self) -> Option<i32> {
        self.exited
    }

    /// A rough resident-memory estimate.
    pub fn memory_bytes(&self) -> u64 {
        let vars: usize = self
            .vars
            .iter()
            .map(|v| v.name.len() + v.value.len() + 32)
            .sum();
        let captured: usize = self
            .frames
            .iter()
            .map(|f| f.capture.as_ref().map_or(0, String::len))
            .sum();
        let baseline = match self.flavor {
            Flavor::Ash => 420 * 1024,
            Flavor::Dash => 380 * 1024,
            Flavor::Bash => 3 * 1024 * 1024,
        };
        (baseline + vars + captured) as u64
    }

    /// Queues a signal. A trapped signal runs its handler after the current command (a `wait`
    /// is interrupted at once); an untrapped TERM/INT/QUIT/HUP is ignored by PID 1 and kills
    /// any other shell.
    pub fn deliver(&mut self, signal: Signal) {
        if self.exited.is_some() {
            return;
        }
        if signal == Signal::Kill {
            self.exited = Some(signal.exit_code());
            return;
        }
        let trapped = self.trap_for(signal).is_some();
        if trapped {
            self.pending_signals.push(signal);
            if matches!(self.pending, Some(Pending::Wait { .. })) {
                self.pending = None;
                self.status = signal.exit_code();
                self.advance();
            }
        } else if self.pid != 1 && signal != Signal::Winch {
            self.exited = Some(signal.exit_code());
        }
    }

    /// Ctrl-C at the shell's terminal. An interactive shell ignores SIGINT itself: its
    /// foreground command stops (status 130, subshell and function state unwound, lines typed
    /// ahead dropped) and it waits for the next line. A shell running a script (`sh -c`) gets
    /// the signal like [`Shell::deliver`] gives it.
    pub(crate) fn interrupt(&mut self) {
        if !self.interactive {
            self.deliver(Signal::Int);
            return;
        }
        if self.exited.is_some() {
            return;
        }
        while let Some(frame) = self.frames.pop() {
            if let Some(vars) = frame.saved_vars {
                self.vars = vars;
            }
            if let Some(positional) = frame.saved_positional {
                self.positional = positional;
            }
            if let Some(cwd) = frame.saved_cwd {
                self.cwd = cwd;
            }
        }
        self.fds.truncate(1);
        self.for_stack.clear();
        self.slots.clear();
        self.input_lines.clear();
        // Resume at the line's `End` (every compiled program ends with one), so the next
        // line typed is loaded instead of the rest of this one.
        if let Some(program) = self.programs.get(self.prog) {
            self.pc = program.code.len().saturating_sub(1) as u32;
        }
        self.pending = Some(Pending::Input);
        self.status = Signal::Int.exit_code();
    }

    pub(crate) fn trap_for(&self, signal: Signal) -> Option<&str> {
        self.traps
            .iter()
            .find(|(s, _)| s == signal.name())
            .map(|(_, a)| a.as_str())
    }

    /// Queues an input line for an interactive shell.
    pub(crate) fn push_input(&mut self, line: &str) {
        self.input_lines.push(line.to_string());
        if matches!(self.pending, Some(Pending::Input)) {
            self.pending = None;
        }
    }

    /// Whether an interactive shell is idle, waiting for a line.
    pub(crate) fn waiting_for_input(&self) -> bool {
        matches!(self.pending, Some(Pending::Input)) && self.input_lines.is_empty()
    }

    /// Takes a pending `exec`-style replacement request.
    pub(crate) fn take_become(&mut self) -> Option<Vec<String>> {
        match self.pending.take() {
            Some(Pending::Become(argv)) => Some(argv),
            other => {
                self.pending = other;
                None
            }
        }
    }

    fn advance(&mut self) {
        self.pc += 1;
    }

    /// Runs until blocked, exited or out of budget.
    pub fn run(
        &mut self,
        fs: &mut MountedFs<'_>,
        host: &mut dyn Host,
        out: &mut Output,
        budget: u32,
    ) -> ProcessState {
        let now = host.now() + self.time_offset;
        let mut cx = Cx { fs, host, out, now };
        self.last_instructions = 0;
        loop {
            if let Some(code) = self.exited {
                return ProcessState::Exited { code };
            }
            if self.pending.is_some() {
                match self.resume_pending(&mut cx) {
                    // `sleep infinity` and friends: nothing to wake for.
                    Some(wake_at) => {
                        return ProcessState::Running {
                            wake_at: wake_at.filter(|t| *t != Millis::MAX),
                        };
                    }
                    None => continue,
                }
            }
            if let Some(signal) = self.pending_signals.first().copied() {
                self.pending_signals.remove(0);
                self.start_trap(signal);
                continue;
            }
            if self.last_instructions >= budget {
                return ProcessState::Running {
                    wake_at: Some(cx.now + CPU_SLICE_MS),
                };
            }
            self.last_instructions += 1;
            self.step(&mut cx);
        }
    }

    /// Returns `Some(wake_at)` while still blocked, `None` once the pending operation finished.
    fn resume_pending(&mut self, cx: &mut Cx<'_, '_>) -> Option<Option<Millis>> {
        let pending = self.pending.take()?;
        match pending {
            Pending::Delay {
                until,
                status,
                stdout,
                stderr,
                temp_fd,
            } => {
                if cx.now < until {
                    self.pending = Some(Pending::Delay {
                        until,
                        status,
                        stdout,
                        stderr,
                        temp_fd,
                    });
                    return Some(Some(until));
                }
                self.finish_command(
                    cx,
                    Io {
                        out: stdout,
                        err: stderr,
                    },
                    status,
                    temp_fd,
                );
                None
            }
            Pending::Tail {
                path,
                offset,
                temp_fd,
            } => {
                let (text, new_offset) = match cx.fs.read(&path) {
                    Ok(content) if content.len() > offset && content.is_char_boundary(offset) => {
                        (content[offset..].to_string(), content.len())
                    }
                    Ok(content) if content.len() < offset => (content.to_string(), content.len()),
                    _ => (String::new(), offset),
                };
                if !text.is_empty() {
                    self.write(cx, 1, &text);
                }
                self.pending = Some(Pending::Tail {
                    path,
                    offset: new_offset,
                    temp_fd,
                });
                Some(Some(cx.now + 1000))
            }
            Pending::Wait { temp_fd } => {
                self.reap_jobs(cx.now);
                if self.jobs.iter().all(|j| j.until.is_none()) {
                    let status = self.jobs.last().map_or(0, |j| j.status);
                    self.jobs.clear();
                    self.finish_command(cx, Io::default(), status, temp_fd);
                    return None;
                }
                let next = self.jobs.iter().filter_map(|j| j.until).min();
                self.pending = Some(Pending::Wait { temp_fd });
                // A job with no end (`sleep infinity &`) waits until a signal.
                Some(next)
            }
            Pending::Input => {
                if self.input_lines.is_empty() {
                    self.pending = Some(Pending::Input);
                    return Some(None);
                }
                let line = self.input_lines.remove(0);
                self.load_line(&line, cx);
                None
            }
            Pending::Become(argv) => {
                self.pending = Some(Pending::Become(argv));
                Some(None)
            }
        }
    }

    /// Marks finished background jobs.
    pub(crate) fn reap_jobs(&mut self, now: Millis) {
        for job in &mut self.jobs {
            if job.until.is_some_and(|t| now >= t) {
                job.until = None;
            }
        }
    }

    /// Parses and starts an interactive input line.
    fn load_line(&mut self, line: &str, cx: &mut Cx<'_, '_>) {
        match super::parse::parse_program(line) {
            Ok(parsed) => {
                let program = super::compile::compile(parsed);
                // Keep earlier lines that define functions still in use.
                let keep = self
                    .functions
                    .iter()
                    .map(|(_, p, _)| p + 1)
                    .max()
                    .unwrap_or(1)
                    .max(1);
                self.programs.truncate(keep);
                self.programs.push(Arc::new(program));
                self.prog = self.programs.len() - 1;
                self.pc = 0;
            }
            Err(error) => {
                let message = error.message(self.flavor, &self.name);
                self.write(cx, 2, &message);
                self.status = 2;
                self.pending = Some(Pending::Input);
            }
        }
    }

    fn start_trap(&mut self, signal: Signal) {
        let Some(action) = self.trap_for(signal).map(str::to_string) else {
            return;
        };
        if action.is_empty() {
            return;
        }
        if let Ok(parsed) = super::parse::parse_program(&action) {
            let program = Arc::new(super::compile::compile(parsed));
            let saved_status = self.status;
            self.enter_program(program, FrameKind::Trap { saved_status });
        }
    }

    /// Runs another program as a frame (traps, eval, `.`).
    fn enter_program(&mut self, program: Arc<Program>, kind: FrameKind) {
        self.programs.push(program);
        let prog = self.programs.len() - 1;
        self.push_frame(kind, false, None);
        self.prog = prog;
        self.pc = 0;
    }

    fn push_frame(&mut self, kind: FrameKind, isolate: bool, capture: Option<String>) {
        let frame = Frame {
            kind,
            ret_prog: self.prog,
            ret_pc: self.pc + 1,
            saved_vars: isolate.then(|| self.vars.clone()),
            saved_positional: None,
            saved_cwd: isolate.then(|| self.cwd.clone()),
            fd_depth: self.fds.len(),
            for_depth: self.for_stack.len(),
            slots: Vec::new(),
            capture,
        };
        self.frames.push(frame);
        if self.frames[self.frames.len() - 1].capture.is_some() {
            let index = self.frames.len() - 1;
            self.fds.push(Fds {
                stdin: None,
                stdout: Some(Sink::Capture(index)),
                stderr: None,
            });
        }
    }

    fn step(&mut self, cx: &mut Cx<'_, '_>) {
        let program = Arc::clone(&self.programs[self.prog]);
        let Some(instr) = program.code.get(self.pc as usize) else {
            self.end_of_program(cx);
            return;
        };
        match instr {
            Instr::Simple(index) => {
                if let Some(simple) = program.simples.get(*index as usize) {
                    self.exec_simple(cx, &program, simple, false);
                }
            }
            Instr::Background(index) => {
                if let Some(simple) = program.simples.get(*index as usize) {
                    self.exec_simple(cx, &program, simple, true);
                }
            }
            Instr::Subst { start, slot } => {
                if self.frames.len() >= MAX_FRAMES {
                    self.write(cx, 2, &format!("{}: stack overflow\n", self.name));
                    self.set_slot(*slot, String::new());
                    self.advance();
                    return;
                }
                self.push_frame(FrameKind::Subst { slot: *slot }, true, Some(String::new()));
                self.pc = *start;
            }
            Instr::Pipe { stages } => {
                self.start_stage(stages.clone(), 0, None);
            }
            Instr::Subshell { start } => {
                self.push_frame(FrameKind::Subshell, true, None);
                self.pc = *start;
            }
            Instr::Jump(target) => self.pc = *target,
            Instr::JumpIfFail(target) => {
                if self.status != 0 {
                    self.pc = *target;
                } else {
                    self.advance();
                }
            }
            Instr::JumpIfOk(target) => {
                if self.status == 0 {
                    self.pc = *target;
                } else {
                    self.advance();
                }
            }
            Instr::Not => {
                self.status = i32::from(self.status == 0);
                self.advance();
            }
            Instr::ForInit { var, words } => {
                let values = match words {
                    Some(words) => {
                        let mut fields = Vec::new();
                        for word in words {
                            if let Err(message) = self.expand_fields(cx, word, &mut fields) {
                                self.write(cx, 2, &message);
                            }
                        }
                        fields
                    }
                    None => self.positional.clone(),
                };
                self.clear_slots();
                self.for_stack.push(ForState {
                    var: var.clone(),
                    values,
                    next: 0,
                });
                self.advance();
            }
            Instr::ForNext { exit } => {
                let next = self.for_stack.last_mut().and_then(|state| {
                    let value = state.values.get(state.next).cloned();
                    state.next += 1;
                    value.map(|v| (state.var.clone(), v))
                });
                match next {
                    Some((var, value)) => {
                        self.set_var(&var, &value);
                        self.advance();
                    }
                    None => {
                        self.for_stack.pop();
                        self.pc = *exit;
                    }
                }
            }
            Instr::PopFor(n) => {
                let keep = self.for_stack.len().saturating_sub(*n as usize);
                self.for_stack.truncate(keep);
                self.advance();
            }
            Instr::Case { word, arms, end } => {
                let subject = self.expand_string(cx, word).unwrap_or_default();
                let mut target = *end;
                'arms: for (patterns, start) in arms {
                    for pattern in patterns {
                        let pattern = self.expand_pattern(cx, pattern);
                        if glob_match(&pattern, &subject) {
                            target = *start;
                            break 'arms;
                        }
                    }
                }
                self.clear_slots();
                self.status = 0;
                self.pc = target;
            }
            Instr::Redirect(redirs) => {
                match self.apply_redirs(cx, &program, redirs) {
                    Ok(fds) => self.fds.push(fds),
                    Err(message) => {
                        self.write(cx, 2, &message);
                        // Keep the stack balanced for the matching Unredirect.
                        self.fds.push(Fds {
                            stdin: None,
                            stdout: Some(Sink::Null),
                            stderr: None,
                        });
                        self.status = 1;
                    }
                }
                self.clear_slots();
                self.advance();
            }
            Instr::Unredirect => {
                if self.fds.len() > 1 {
                    self.fds.pop();
                }
                self.advance();
            }
            Instr::DefineFunction { name, start } => {
                let prog = self.prog;
                self.functions.retain(|(n, _, _)| n != name);
                self.functions.push((name.clone(), prog, *start));
                self.status = 0;
                self.advance();
            }
            Instr::SetStatus(status) => {
                self.status = *status;
                self.advance();
            }
            Instr::Return => self.finish_frame(self.status),
            Instr::End => self.end_of_program(cx),
        }
    }

    fn end_of_program(&mut self, cx: &mut Cx<'_, '_>) {
        if !self.frames.is_empty() {
            // An eval/trap program ran to its end.
            self.finish_frame(self.status);
            return;
        }
        if self.interactive {
            self.pending = Some(Pending::Input);
            return;
        }
        self.exit_process(cx, self.status);
    }

    fn exit_process(&mut self, cx: &mut Cx<'_, '_>, code: i32) {
        if let Some(pos) = self.traps.iter().position(|(s, _)| s == "EXIT") {
            let (_, action) = self.traps.remove(pos);
            // Run the EXIT trap synchronously (bounded) before exiting.
            if let Ok(parsed) = super::parse::parse_program(&action) {
                let program = Arc::new(super::compile::compile(parsed));
                self.programs.push(program);
                self.prog = self.programs.len() - 1;
                self.pc = 0;
                self.frames.clear();
                self.status = code;
                let mut steps = 0;
                while self.exited.is_none() && steps < 10_000 {
                    let program = Arc::clone(&self.programs[self.prog]);
                    match program.code.get(self.pc as usize) {
                        Some(Instr::End) | None => break,
                        _ => self.step(cx),
                    }
                    if self.pending.is_some() {
                        self.pending = None;
                        self.advance();
                    }
                    steps += 1;
                }
                if self.exited.is_some() {
                    return;
                }
            }
        }
        self.exited = Some(code);
    }

    fn start_stage(&mut self, stages: Vec<u32>, index: usize, stdin: Option<String>) {
        let last = index + 1 == stages.len();
        let start = stages[index];
        let ret_pc_base = self.pc;
        self.push_frame(
            FrameKind::Stage { stages, index },
            true,
            if last { None } else { Some(String::new()) },
        );
        if let Some(frame) = self.frames.last_mut() {
            frame.ret_pc = ret_pc_base + 1;
        }
        // Stage stdin: the previous stage's output (the first stage inherits).
        if let Some(data) = stdin {
            self.fds.push(Fds {
                stdin: Some(Input { data, pos: 0 }),
                stdout: None,
                stderr: None,
            });
        } else if index > 0 {
            self.fds.push(Fds {
                stdin: Some(Input {
                    data: String::new(),
                    pos: 0,
                }),
                stdout: None,
                stderr: None,
            });
        }
        self.pc = start;
    }

    /// Pops the top frame with `status`, continuing after the instruction that pushed it.
    fn finish_frame(&mut self, status: i32) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        self.fds.truncate(frame.fd_depth.max(1));
        self.for_stack.truncate(frame.for_depth);
        if let Some(vars) = frame.saved_vars {
            self.vars = vars;
        }
        if let Some(positional) = frame.saved_positional {
            self.positional = positional;
        }
        if let Some(cwd) = frame.saved_cwd {
            self.cwd = cwd;
        }
        if matches!(frame.kind, FrameKind::Eval | FrameKind::Trap { .. }) {
            // Programs pushed for eval/traps are discarded with their frame.
            let defines_functions = self.functions.iter().any(|(_, p, _)| *p == self.prog);
            if self.programs.len() > 1
                && self.prog == self.programs.len() - 1
                && self.prog != frame.ret_prog
                && !defines_functions
            {
                self.programs.pop();
            }
        }
        self.prog = frame.ret_prog;
        self.pc = frame.ret_pc;
        self.status = status;
        match frame.kind {
            FrameKind::Subst { slot } => {
                let mut text = frame.capture.unwrap_or_default();
                while text.ends_with('\n') {
                    text.pop();
                }
                self.set_slot(slot, text);
            }
            FrameKind::Stage { stages, index } => {
                if index + 1 < stages.len() {
                    // Re-point the pc at the Pipe instruction and start the next stage.
                    self.pc -= 1;
                    self.start_stage(stages, index + 1, frame.capture);
                }
            }
            FrameKind::Trap { saved_status } => self.status = saved_status,
            FrameKind::Subshell | FrameKind::Function | FrameKind::Eval => {}
        }
    }

    fn set_slot(&mut self, slot: u16, text: String) {
        let slots = match self.frames.last_mut() {
            Some(frame) => &mut frame.slots,
            None => &mut self.slots,
        };
        let index = slot as usize;
        if slots.len() <= index {
            slots.resize(index + 1, String::new());
        }
        slots[index] = text;
    }

    fn slot(&self, slot: u16) -> &str {
        let slots = match self.frames.last() {
            Some(frame) => &frame.slots,
            None => &self.slots,
        };
        slots.get(slot as usize).map_or("", String::as_str)
    }

    fn clear_slots(&mut self) {
        match self.frames.last_mut() {
            Some(frame) => frame.slots.clear(),
            None => self.slots.clear(),
        }
    }

    /// `exit N`: leaves the innermost subshell-like frame, or the process.
    fn do_exit(&mut self, cx: &mut Cx<'_, '_>, code: i32) {
        let target = self.frames.iter().rposition(|f| {
            matches!(
                f.kind,
                FrameKind::Subst { .. } | FrameKind::Stage { .. } | FrameKind::Subshell
            )
        });
        match target {
            Some(index) => {
                while self.frames.len() > index + 1 {
                    self.frames.pop();
                }
                self.pending = None;
                self.finish_frame(code);
            }
            None => self.exit_process(cx, code),
        }
    }

    fn do_return(&mut self, code: i32) {
        match self
            .frames
            .iter()
            .rposition(|f| matches!(f.kind, FrameKind::Function | FrameKind::Eval))
        {
            Some(index) => {
                while self.frames.len() > index + 1 {
                    self.frames.pop();
                }
                self.finish_frame(code);
            }
            None => {
                self.status = code;
                self.advance();
            }
        }
    }

    // ---- variables ----

    /// A variable's value.
    pub(crate) fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }

    pub(crate) fn set_var(&mut self, name: &str, value: &str) {
        let mut value = value.to_string();
        if value.len() > MAX_WORD_BYTES {
            let mut cut = MAX_WORD_BYTES;
            while !value.is_char_boundary(cut) {
                cut -= 1;
            }
            value.truncate(cut);
        }
        match self.vars.iter_mut().find(|v| v.name == name) {
            Some(var) => var.value = value,
            None => self.vars.push(Var {
                name: name.to_string(),
                value,
                exported: false,
            }),
        }
    }

    fn special(&self, name: &str) -> Option<String> {
        Some(match name {
            "?" => self.status.to_string(),
            "$" => self.pid.to_string(),
            "!" => self
                .jobs
                .last()
                .map(|j| j.pid.to_string())
                .unwrap_or_default(),
            "#" => self.positional.len().to_string(),
            "0" => self.name.clone(),
            "@" | "*" => self.positional.join(" "),
            "-" => String::new(),
            _ if name.bytes().all(|b| b.is_ascii_digit()) => {
                let n: usize = name.parse().ok()?;
                self.positional
                    .get(n.checked_sub(1)?)
                    .cloned()
                    .unwrap_or_default()
            }
            _ => return None,
        })
    }

    fn param_value(&self, name: &str) -> Option<String> {
        if self.special_is_set(name) {
            return self.special(name);
        }
        if name.bytes().all(|b| b.is_ascii_digit()) || "?$!#@*-".contains(name) {
            return None;
        }
        self.var(name).map(str::to_string)
    }

    fn special_is_set(&self, name: &str) -> bool {
        match name {
            "?" | "$" | "#" | "0" | "@" | "*" | "-" => true,
            "!" => !self.jobs.is_empty(),
            _ if name.bytes().all(|b| b.is_ascii_digit()) => name
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .is_some_and(|n| n < self.positional.len()),
            _ => false,
        }
    }

    // ---- expansion ----

    /// Expands one part to text (no splitting).
    fn expand_part(&mut self, cx: &mut Cx<'_, '_>, part: &Part) -> Result<String, String> {
        Ok(match part {
            Part::Lit(s) | Part::Quoted(s) => s.clone(),
            Part::Slot { slot, .. } => self.slot(*slot).to_string(),
            Part::Subst { .. } => String::new(),
            Part::Arith { expr, .. } => {
                let text = self.expand_string(cx, expr)?;
                match super::arith::eval(&text, self) {
                    Ok(n) => n.to_string(),
                    Err(message) => return Err(self.arith_error(&text, &message)),
                }
            }
            Part::Param { name, op, .. } => {
                if name.is_empty() {
                    return Ok(String::new());
                }
                let value = self.param_value(name);
                match op {
                    None => value.unwrap_or_default(),
                    Some((op, operand)) => self.param_op(cx, name, value, *op, operand)?,
                }
            }
        })
    }

    fn arith_error(&self, text: &str, message: &str) -> String {
        match self.flavor {
            Flavor::Ash => format!("{}: arithmetic syntax error\n", self.name),
            Flavor::Dash => format!(
                "{}: {}: arithmetic expression: {message}: \"{text}\"\n",
                self.name, self.line
            ),
            Flavor::Bash => format!("{}: {text}: {message}\n", self.name),
        }
    }

    fn param_op(
        &mut self,
        cx: &mut Cx<'_, '_>,
        name: &str,
        value: Option<String>,
        op: ParamOp,
        operand: &Word,
    ) -> Result<String, String> {
        let unset_or_empty = |colon: bool, v: &Option<String>| match v {
            None => true,
            Some(s) => colon && s.is_empty(),
        };
        Ok(match op {
            ParamOp::Length => value.unwrap_or_default().chars().count().to_string(),
            ParamOp::Default { colon } => {
                if unset_or_empty(colon, &value) {
                    self.expand_string(cx, operand)?
                } else {
                    value.unwrap_or_default()
                }
            }
            ParamOp::Assign { colon } => {
                if unset_or_empty(colon, &value) {
                    let new = self.expand_string(cx, operand)?;
                    self.set_var(name, &new);
                    new
                } else {
                    value.unwrap_or_default()
                }
            }
            ParamOp::Alternative { colon } => {
                if unset_or_empty(colon, &value) {
                    String::new()
                } else {
                    self.expand_string(cx, operand)?
                }
            }
            ParamOp::Error { colon } => {
                if unset_or_empty(colon, &value) {
                    let message = self.expand_string(cx, operand)?;
                    let message = if message.is_empty() {
                        "parameter not set".to_string()
                    } else {
                        message
                    };
                    return Err(format!("{}: {name}: {message}\n", self.name));
                }
                value.unwrap_or_default()
            }
            ParamOp::RemovePrefix { longest } => {
                let value = value.unwrap_or_default();
                let pattern = self.expand_pattern(cx, operand);
                let cuts: Vec<usize> = value
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain(std::iter::once(value.len()))
                    .collect();
                let mut found = None;
                for &cut in &cuts {
                    if glob_match(&pattern, &value[..cut]) {
                        found = Some(cut);
                        if !longest {
                            break;
                        }
                    }
                }
                found.map_or(value.clone(), |cut| value[cut..].to_string())
            }
            ParamOp::RemoveSuffix { longest } => {
                let value = value.unwrap_or_default();
                let pattern = self.expand_pattern(cx, operand);
                let cuts: Vec<usize> = value
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain(std::iter::once(value.len()))
                    .collect();
                let mut found = None;
                for &cut in cuts.iter().rev() {
                    if glob_match(&pattern, &value[cut..]) {
                        found = Some(cut);
                        if !longest {
                            break;
                        }
                    }
                }
                found.map_or(value.clone(), |cut| value[..cut].to_string())
            }
        })
    }

    /// Expands a word to one string (assignments, redirection targets, case subjects).
    pub(crate) fn expand_string(
        &mut self,
        cx: &mut Cx<'_, '_>,
        word: &Word,
    ) -> Result<String, String> {
        let mut text = String::new();
        for part in word {
            let piece = self.expand_part(cx, part)?;
            text.push_str(&piece);
            if text.len() > MAX_WORD_BYTES {
                return Err(format!("{}: out of memory\n", self.name));
            }
        }
        Ok(text)
    }

    /// Expands a pattern word: quoted characters are escaped so they match literally.
    fn expand_pattern(&mut self, cx: &mut Cx<'_, '_>, word: &Word) -> String {
        let mut pattern = String::new();
        for part in word {
            let quoted = match part {
                Part::Lit(_) => false,
                Part::Quoted(_) => true,
                Part::Param { quoted, .. }
                | Part::Slot { quoted, .. }
                | Part::Arith { quoted, .. }
                | Part::Subst { quoted, .. } => *quoted,
            };
            let text = self.expand_part(cx, part).unwrap_or_default();
            if quoted {
                for ch in text.chars() {
                    if "*?[]\\".contains(ch) {
                        pattern.push('\\');
                    }
                    pattern.push(ch);
                }
            } else {
                pattern.push_str(&text);
            }
        }
        pattern
    }

    /// Expands a word into fields: unquoted expansions are split on IFS, unquoted globs match
    /// files.
    pub(crate) fn expand_fields(
        &mut self,
        cx: &mut Cx<'_, '_>,
        word: &Word,
        fields: &mut Vec<String>,
    ) -> Result<(), String> {
        // "$@" alone: one field per positional parameter.
        if let [
            Part::Param {
                name,
                op: None,
                quoted: true,
            },
        ] = word.as_slice()
            && name == "@"
        {
            fields.extend(self.positional.iter().cloned());
            return Ok(());
        }
        // Fast path: a literal word (most words, every exec probe argument).
        match word.as_slice() {
            [Part::Quoted(s)] => {
                fields.push(s.clone());
                return Ok(());
            }
            [Part::Lit(s)] if !s.contains(['*', '?', '[']) => {
                fields.push(s.clone());
                return Ok(());
            }
            _ => {}
        }
        let ifs = self.var("IFS").unwrap_or(" \t\n").to_string();
        let mut current = String::new();
        let mut has_field = false;
        let mut glob = false;
        let start = fields.len();
        for part in word {
            let (text, split) = match part {
                Part::Lit(s) => {
                    if s.contains(['*', '?', '[']) {
                        glob = true;
                    }
                    (s.clone(), false)
                }
                Part::Quoted(s) => (s.clone(), false),
                Part::Param { quoted, .. }
                | Part::Slot { quoted, .. }
                | Part::Arith { quoted, .. }
                | Part::Subst { quoted, .. } => (self.expand_part(cx, part)?, !*quoted),
            };
            let quoted_part = !matches!(part, Part::Lit(_)) && !split;
            if split && !ifs.is_empty() {
                let pieces = text.split(|c: char| ifs.contains(c)).peekable();
                let starts_with_sep = text.starts_with(|c: char| ifs.contains(c));
                let mut first = true;
                for piece in pieces {
                    if (!first || starts_with_sep) && (has_field || !current.is_empty()) {
                        fields.push(std::mem::take(&mut current));
                        has_field = false;
                    }
                    first = false;
                    if !piece.is_empty() {
                        current.push_str(piece);
                        has_field = true;
                    }
                }
            } else {
                current.push_str(&text);
                if quoted_part || !text.is_empty() {
                    has_field = true;
                }
            }
            if current.len() > MAX_WORD_BYTES {
                return Err(format!("{}: out of memory\n", self.name));
            }
        }
        if has_field || !current.is_empty() {
            fields.push(current);
        }
        if glob && fields.len() == start + 1 {
            let pattern = fields[start].clone();
            let matches = self.glob_files(cx, &pattern);
            if !matches.is_empty() {
                fields.truncate(start);
                fields.extend(matches);
            }
        }
        Ok(())
    }

    /// Pathname expansion of the last component of `pattern`.
    fn glob_files(&self, cx: &mut Cx<'_, '_>, pattern: &str) -> Vec<String> {
        let (dir, file_pattern) = match pattern.rsplit_once('/') {
            Some((dir, file)) => (if dir.is_empty() { "/" } else { dir }, file),
            None => ("", pattern),
        };
        if dir.contains(['*', '?', '[']) {
            return Vec::new();
        }
        let Ok(abs_dir) = normalize(&self.cwd, if dir.is_empty() { "." } else { dir }) else {
            return Vec::new();
        };
        let Ok(entries) = cx.fs.list(&abs_dir) else {
            return Vec::new();
        };
        let mut out: Vec<String> = entries
            .into_iter()
            .filter(|(name, _)| {
                (!name.starts_with('.') || file_pattern.starts_with('.'))
                    && glob_match(file_pattern, name)
            })
            .map(|(name, _)| match pattern.rsplit_once('/') {
                Some((d, _)) => format!("{d}/{name}"),
                None => name,
            })
            .collect();
        out.sort();
        out
    }

    // ---- output ----

    fn resolve_sink(&self, fd: u32) -> Sink {
        for level in self.fds.iter().rev() {
            let sink = if fd == 2 {
                &level.stderr
            } else {
                &level.stdout
            };
            if let Some(sink) = sink {
                return sink.clone();
            }
        }
        if fd == 2 { Sink::Err } else { Sink::Out }
    }

    /// Writes to fd 1 or 2 through the redirection stack.
    pub(crate) fn write(&mut self, cx: &mut Cx<'_, '_>, fd: u32, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.resolve_sink(fd) {
            Sink::Out => cx.out.push(Stream::Stdout, text),
            Sink::Err => cx.out.push(Stream::Stderr, text),
            Sink::Null => {}
            Sink::Capture(index) => {
                if let Some(capture) = self.frames.get_mut(index).and_then(|f| f.capture.as_mut())
                    && capture.len() + text.len() <= MAX_WORD_BYTES
                {
                    capture.push_str(text);
                }
            }
            Sink::File(path) => {
                if let Err(e) = cx.fs.write(&path, text, true) {
                    let message = format!("{}: write error: {e}\n", self.name);
                    if fd != 2 {
                        self.write(cx, 2, &message);
                    }
                }
            }
        }
    }

    /// Reads all remaining stdin (None when there is none at all).
    pub(crate) fn read_stdin_all(&mut self) -> Option<String> {
        let level = self.fds.iter_mut().rev().find_map(|l| l.stdin.as_mut())?;
        let rest = level.data.get(level.pos..).unwrap_or("").to_string();
        level.pos = level.data.len();
        Some(rest)
    }

    /// Reads one line of stdin (without its newline); None at EOF.
    pub(crate) fn read_stdin_line(&mut self) -> Option<String> {
        let level = self.fds.iter_mut().rev().find_map(|l| l.stdin.as_mut())?;
        let rest = level.data.get(level.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let (line, used) = match rest.find('\n') {
            Some(i) => (rest[..i].to_string(), i + 1),
            None => (rest.to_string(), rest.len()),
        };
        level.pos += used;
        Some(line)
    }

    fn apply_redirs(
        &mut self,
        cx: &mut Cx<'_, '_>,
        program: &Program,
        redirs: &[Redir],
    ) -> Result<Fds, String> {
        let mut fds = Fds::default();
        for redir in redirs {
            let target = if redir.op == RedirOp::HereDoc {
                let index = match redir.target.as_slice() {
                    [Part::Lit(n)] => n.parse::<usize>().unwrap_or(usize::MAX),
                    _ => usize::MAX,
                };
                let body = program.heredocs.get(index).cloned().unwrap_or_default();
                self.expand_string(cx, &body)?
            } else {
                self.expand_string(cx, &redir.target)?
            };
            let sink_for = |shell: &Shell, fds: &Fds, fd: u32| -> Sink {
                let own = if fd == 2 { &fds.stderr } else { &fds.stdout };
                own.clone().unwrap_or_else(|| shell.resolve_sink(fd))
            };
            match redir.op {
                RedirOp::Out | RedirOp::Append | RedirOp::OutErr => {
                    let sink = self.open_for_write(cx, &target, redir.op == RedirOp::Append)?;
                    if redir.op == RedirOp::OutErr {
                        fds.stdout = Some(sink.clone());
                        fds.stderr = Some(sink);
                    } else if redir.fd == 2 {
                        fds.stderr = Some(sink);
                    } else if redir.fd == 1 {
                        fds.stdout = Some(sink);
                    }
                }
                RedirOp::DupOut => {
                    let source: u32 = match target.as_str() {
                        "1" => 1,
                        "2" => 2,
                        "-" => {
                            if redir.fd == 2 {
                                fds.stderr = Some(Sink::Null);
                            } else {
                                fds.stdout = Some(Sink::Null);
                            }
                            continue;
                        }
                        other if redir.fd == 0 => {
                            let _ = other;
                            continue;
                        }
                        other => {
                            // `>&file` (bash): like &>.
                            let sink = self.open_for_write(cx, other, false)?;
                            fds.stdout = Some(sink.clone());
                            fds.stderr = Some(sink);
                            continue;
                        }
                    };
                    let sink = sink_for(self, &fds, source);
                    if redir.fd == 2 {
                        fds.stderr = Some(sink);
                    } else if redir.fd == 1 {
                        fds.stdout = Some(sink);
                    }
                }
                RedirOp::In => {
                    let path =
                        normalize(&self.cwd, &target).map_err(|e| self.open_error(&target, e))?;
                    if path == "/dev/null" {
                        fds.stdin = Some(Input {
                            data: String::new(),
                            pos: 0,
                        });
                        continue;
                    }
                    let data = cx
                        .fs
                        .read(&path)
                        .map_err(|e| self.open_error(&target, e))?
                        .to_string();
                    if redir.fd == 0 {
                        fds.stdin = Some(Input { data, pos: 0 });
                    }
                }
                RedirOp::HereDoc => {
                    fds.stdin = Some(Input {
                        data: target,
                        pos: 0,
                    });
                }
            }
        }
        Ok(fds)
    }

    fn open_error(&self, target: &str, error: crate::fs::FsError) -> String {
        match self.flavor {
            Flavor::Ash => format!("{}: can't open '{target}': {error}\n", self.name),
            Flavor::Dash => format!(
                "{}: {}: cannot open {target}: {error}\n",
                self.name, self.line
            ),
            Flavor::Bash => format!("{}: {target}: {error}\n", self.name),
        }
    }

    fn open_for_write(
        &mut self,
        cx: &mut Cx<'_, '_>,
        target: &str,
        append: bool,
    ) -> Result<Sink, String> {
        let path = normalize(&self.cwd, target).map_err(|e| self.create_error(target, e))?;
        match path.as_str() {
            "/dev/null" => return Ok(Sink::Null),
            "/dev/stdout" | "/proc/self/fd/1" | "/proc/1/fd/1" => return Ok(Sink::Out),
            "/dev/stderr" | "/proc/self/fd/2" | "/proc/1/fd/2" => return Ok(Sink::Err),
            _ => {}
        }
        let result = if append {
            match cx.fs.kind(&path) {
                Some(FileKind::File) => Ok(()),
                _ => cx.fs.write(&path, "", true),
            }
        } else {
            cx.fs.write(&path, "", false)
        };
        result.map_err(|e| self.create_error(target, e))?;
        Ok(Sink::File(path))
    }

    fn create_error(&self, target: &str, error: crate::fs::FsError) -> String {
        match self.flavor {
            Flavor::Ash => {
                let detail = if error == crate::fs::FsError::NotFound {
                    "nonexistent directory".to_string()
                } else {
                    error.to_string()
                };
                format!("{}: can't create {target}: {detail}\n", self.name)
            }
            Flavor::Dash => format!(
                "{}: {}: cannot create {target}: {error}\n",
                self.name, self.line
            ),
            Flavor::Bash => format!("{}: {target}: {error}\n", self.name),
        }
    }

    // ---- commands ----

    fn exec_simple(
        &mut self,
        cx: &mut Cx<'_, '_>,
        program: &Arc<Program>,
        simple: &super::parse::Simple,
        background: bool,
    ) {
        let had_subst = !self
            .frames
            .last()
            .map_or(&self.slots, |f| &f.slots)
            .is_empty();
        let mut argv = Vec::new();
        for word in &simple.words {
            if let Err(message) = self.expand_fields(cx, word, &mut argv) {
                self.write(cx, 2, &message);
                self.clear_slots();
                self.status = 1;
                if !self.interactive {
                    self.do_exit(cx, 1);
                } else {
                    self.advance();
                }
                return;
            }
        }
        let mut assigns = Vec::new();
        for (name, value) in &simple.assigns {
            match self.expand_string(cx, value) {
                Ok(v) => assigns.push((name.clone(), v)),
                Err(message) => {
                    self.write(cx, 2, &message);
                    self.status = 1;
                }
            }
        }
        let fds = match self.apply_redirs(cx, program, &simple.redirs) {
            Ok(fds) => fds,
            Err(message) => {
                self.write(cx, 2, &message);
                self.clear_slots();
                self.status = 1;
                self.advance();
                return;
            }
        };
        self.clear_slots();
        if argv.is_empty() {
            for (name, value) in &assigns {
                self.set_var(name, value);
            }
            if !had_subst {
                self.status = 0;
            }
            self.advance();
            return;
        }
        for (name, value) in &assigns {
            self.set_var(name, value);
        }
        if self.xtrace {
            let line = format!("+ {}\n", argv.join(" "));
            self.write(cx, 2, &line);
        }
        if background {
            self.start_job(cx, argv);
            self.advance();
            return;
        }
        let temp_fd = fds != Fds::default();
        if temp_fd {
            self.fds.push(fds);
        }
        let mut io = Io::default();
        let outcome = self.command(cx, &argv, &mut io);
        let cost = (io.out.len() + io.err.len()) / 1024;
        self.last_instructions = self.last_instructions.saturating_add(cost as u32);
        match outcome {
            Outcome::Done(status) => {
                self.finish_command(cx, io, status, temp_fd);
                if self.errexit && status != 0 && !self.in_condition() {
                    self.do_exit(cx, status);
                }
            }
            Outcome::Delay { until, status } => {
                self.pending = Some(Pending::Delay {
                    until,
                    status,
                    stdout: io.out,
                    stderr: io.err,
                    temp_fd,
                });
            }
            Outcome::Tail { path, offset } => {
                self.flush_io(cx, io);
                self.pending = Some(Pending::Tail {
                    path,
                    offset,
                    temp_fd,
                });
            }
            Outcome::Wait => {
                self.flush_io(cx, io);
                self.pending = Some(Pending::Wait { temp_fd });
            }
            Outcome::Exit(code) => {
                self.flush_io(cx, io);
                if temp_fd {
                    self.fds.pop();
                }
                self.do_exit(cx, code);
            }
            Outcome::Return(code) => {
                self.flush_io(cx, io);
                if temp_fd {
                    self.fds.pop();
                }
                self.do_return(code);
            }
            Outcome::Eval(program) => {
                self.flush_io(cx, io);
                if temp_fd {
                    self.fds.pop();
                }
                if self.frames.len() >= MAX_FRAMES {
                    self.write(cx, 2, &format!("{}: stack overflow\n", self.name));
                    self.status = 2;
                    self.advance();
                    return;
                }
                self.enter_program(program, FrameKind::Eval);
            }
            Outcome::Call { prog, start, args } => {
                self.flush_io(cx, io);
                if temp_fd {
                    self.fds.pop();
                }
                if self.frames.len() >= MAX_FRAMES {
                    self.write(cx, 2, &format!("{}: stack overflow\n", self.name));
                    self.status = 2;
                    self.advance();
                    return;
                }
                self.push_frame(FrameKind::Function, false, None);
                if let Some(frame) = self.frames.last_mut() {
                    frame.saved_positional = Some(std::mem::replace(&mut self.positional, args));
                }
                self.prog = prog;
                self.pc = start;
            }
            Outcome::Become(argv) => {
                self.flush_io(cx, io);
                self.pending = Some(Pending::Become(argv));
            }
        }
    }

    /// Whether the instruction after the current one consumes `$?` as a condition.
    fn in_condition(&self) -> bool {
        let program = &self.programs[self.prog];
        matches!(
            program.code.get(self.pc as usize),
            Some(Instr::JumpIfFail(_) | Instr::JumpIfOk(_) | Instr::Not)
        ) || self.pc > 0
            && matches!(
                program.code.get(self.pc as usize - 1),
                Some(Instr::JumpIfFail(_) | Instr::JumpIfOk(_))
            )
    }

    /// Routes a finished command's output: stdout first, then stderr (commands here write
    /// their diagnostics after their regular output, as nslookup does).
    fn flush_io(&mut self, cx: &mut Cx<'_, '_>, io: Io) {
        self.write(cx, 1, &io.out);
        self.write(cx, 2, &io.err);
    }

    fn finish_command(&mut self, cx: &mut Cx<'_, '_>, io: Io, status: i32, temp_fd: bool) {
        self.flush_io(cx, io);
        if temp_fd && self.fds.len() > 1 {
            self.fds.pop();
        }
        self.status = status;
        self.advance();
    }

    fn start_job(&mut self, cx: &mut Cx<'_, '_>, argv: Vec<String>) {
        let pid = self.next_pid;
        self.next_pid += 1;
        let command = argv.join(" ");
        let mut io = Io::default();
        let (until, status) = match self.command(cx, &argv, &mut io) {
            Outcome::Delay { until, status } => (Some(until), status),
            Outcome::Done(status) => (None, status),
            // Blocking forever (`tail -f`, `sleep infinity`): a job that never ends.
            Outcome::Tail { .. } | Outcome::Wait => (Some(Millis::MAX), 0),
            _ => (None, 0),
        };
        self.flush_io(cx, io);
        self.jobs.push(Job {
            pid,
            until,
            status,
            command,
        });
        self.status = 0;
    }

    /// Looks up and runs one command (function, builtin, or image program).
    fn command(&mut self, cx: &mut Cx<'_, '_>, argv: &[String], io: &mut Io) -> Outcome {
        let name = argv[0].as_str();
        if let Some((_, prog, start)) = self.functions.iter().find(|(n, _, _)| n == name).cloned() {
            return Outcome::Call {
                prog,
                start,
                args: argv[1..].to_vec(),
            };
        }
        self.run_command(cx, argv, io)
    }
}

/// Shell pattern matching (`*`, `?`, `[...]`, `\` escapes).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some(pi);
                    mark = ti;
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class_match(&p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                '\\' if pi + 1 < p.len() && p[pi + 1] == t[ti] => {
                    pi += 2;
                    ti += 1;
                    continue;
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some(s) => {
                pi = s + 1;
                mark += 1;
                ti = mark;
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn class_match(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// Routes a literal word list (for direct applet execution) into a one-command program.
pub(crate) fn literal_word(text: &str) -> Word {
    vec![Part::Quoted(text.to_string())]
}
