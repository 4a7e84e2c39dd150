//! Job control for `COMMAND &`: `jobs`, `fg`, `kill`, and bash's `[1]+  Done ...` notices.
//!
//! The shell is sans-IO and runs one command at a time, so a background job is data the
//! session checks as virtual time passes, not a concurrent process:
//! - `kubectl port-forward ... &` keeps its forward ([`PortForward`]) in the job: `curl`/`wget`
//!   to its local port reach the pod (`net.rs`), each connection printing kubectl's
//!   `Handling connection for PORT`. When the pod goes away the job prints
//!   `error: lost connection to pod` and exits 1, as kubectl does.
//! - `sleep N &` ends when N seconds of virtual time have passed.
//! - Anything else runs to completion at once (its output shows right after `[1] PID`), and
//!   bash's `Done` notice follows the next command line, as in a terminal where the job ends
//!   while the learner types.
//!
//! `kubectl get -w` and `logs -f` need the terminal to stream into, so they stay foreground
//! commands. Jobs are not saved with the session ([`crate::SessionState`]).

use crate::Session;
use crate::exec::Res;
use crate::kubectl::PortForward;
use crate::parse::Simple;
use std::time::Duration;
use tidepool_core::VirtualTime;

/// What a job is doing.
#[derive(Debug, Clone)]
pub(crate) enum JobState {
    /// A `kubectl port-forward` whose forward is active.
    Forward(PortForward),
    /// `sleep N &`, ending at this virtual time.
    Sleep { until: VirtualTime },
    /// Finished with bash's status word (`Done`, `Exit 1`, `Terminated`); the notice is
    /// printed after the next command line, or after this one when `now` is set (`kill`).
    Ended { status: String, now: bool },
}

#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub number: usize,
    pub pid: u32,
    /// The command as typed, without the `&`.
    pub command: String,
    pub state: JobState,
}

/// The session's jobs, oldest first (the last one is bash's current job, `+`).
#[derive(Debug, Clone)]
pub(crate) struct Jobs {
    pub list: Vec<Job>,
    next_pid: u32,
}

impl Default for Jobs {
    fn default() -> Self {
        // Process ids as a freshly booted node hands them out; deterministic.
        Self {
            list: Vec::new(),
            next_pid: 2741,
        }
    }
}

impl Jobs {
    fn start(&mut self, command: String, state: JobState) -> (usize, u32) {
        let number = self.list.iter().map(|j| j.number).max().unwrap_or(0) + 1;
        let pid = self.next_pid;
        self.next_pid += 1;
        self.list.push(Job {
            number,
            pid,
            command,
            state,
        });
        (number, pid)
    }

    /// `+` for the current job, `-` for the previous one, else a space.
    fn marker(&self, index: usize) -> char {
        let n = self.list.len();
        if index + 1 == n {
            '+'
        } else if index + 2 == n {
            '-'
        } else {
            ' '
        }
    }

    /// The pid the next process started here gets (a foreground kubectl's, for klog).
    pub fn next_pid(&self) -> u32 {
        self.next_pid
    }

    /// Forwards of running jobs, with their kubectl's pid.
    pub fn forwards(&self) -> impl Iterator<Item = (u32, &PortForward)> {
        self.list.iter().filter_map(|j| match &j.state {
            JobState::Forward(f) => Some((j.pid, f)),
            _ => None,
        })
    }
}

/// bash's `[1]+  Running                 sleep 100 &` line.
fn status_line(jobs: &Jobs, index: usize, status: &str, suffix: &str) -> String {
    let job = &jobs.list[index];
    format!(
        "[{}]{}  {status:<24}{}{suffix}\n",
        job.number,
        jobs.marker(index),
        job.command
    )
}

/// Before and after a command line runs: jobs whose time has come end (a background sleep, a
/// forward whose pod went away). Returns what their processes print meanwhile (kubectl's
/// error).
pub(crate) fn check(session: &mut Session) -> String {
    let now = session.sim.now();
    let mut printed = String::new();
    for i in 0..session.jobs.list.len() {
        let ended = match &session.jobs.list[i].state {
            JobState::Sleep { until } if *until <= now => Some("Done".to_owned()),
            JobState::Forward(forward) if !forward.pod_alive(session) => {
                printed.push_str(crate::kubectl::LOST_CONNECTION);
                Some("Exit 1".to_owned())
            }
            _ => None,
        };
        if let Some(status) = ended {
            session.jobs.list[i].state = JobState::Ended { status, now: true };
        }
    }
    printed
}

/// Marks jobs that ended before the line so their notices follow it.
pub(crate) fn arm_notices(session: &mut Session) {
    for job in &mut session.jobs.list {
        if let JobState::Ended { now, .. } = &mut job.state {
            *now = true;
        }
    }
}

/// After a command line: bash's notices for jobs that ended, which are then forgotten.
pub(crate) fn notices(session: &mut Session) -> String {
    let mut out = String::new();
    for i in 0..session.jobs.list.len() {
        if let JobState::Ended { status, now: true } = &session.jobs.list[i].state {
            out.push_str(&status_line(&session.jobs, i, status, ""));
        }
    }
    session
        .jobs
        .list
        .retain(|j| !matches!(j.state, JobState::Ended { now: true, .. }));
    out
}

/// Runs a pipeline followed by `&`. `command` is its text for `jobs`.
pub(crate) fn run_background(session: &mut Session, pipeline: &[Simple], command: String) -> Res {
    // `sleep N &` waits in virtual time instead of moving it.
    if let [simple] = pipeline {
        let args: Vec<String> = simple
            .words
            .iter()
            .flat_map(|w| crate::exec::expand_word(session, w))
            .collect();
        if let [name, secs] = args.as_slice()
            && name == "sleep"
            && let Some(d) = crate::exec::parse_sleep(secs)
        {
            let until = session.sim.now().saturating_add(d);
            let (number, pid) = session.jobs.start(command, JobState::Sleep { until });
            return Res::err(format!("[{number}] {pid}\n"), 0);
        }
    }
    session.background = true;
    let mut res = crate::exec::run_pipeline(session, pipeline);
    session.background = false;
    let forward = session.started_forward.take();
    let state = match forward {
        Some(forward) => JobState::Forward(forward),
        None => {
            let status = if res.effects.contains(&crate::Effect::Follow) {
                // A stream needs the terminal: it stops at once.
                session.follow = None;
                session.log_follow = None;
                session.drain = None;
                session.watch = None;
                res.push_err(
                    "tidepool: streaming commands (kubectl get -w, logs -f, watch) run in the foreground only\n",
                );
                "Exit 1".to_owned()
            } else if res.code == 0 {
                "Done".to_owned()
            } else {
                format!("Exit {}", res.code)
            };
            JobState::Ended { status, now: false }
        }
    };
    res.effects.retain(|e| *e != crate::Effect::Follow);
    let (number, pid) = session.jobs.start(command, state);
    res.chunks
        .insert(0, (crate::Stream::Stderr, format!("[{number}] {pid}\n")));
    res.code = 0;
    res
}

/// `jobs [-l]`. Jobs it reports as ended are forgotten (no notice follows).
pub(crate) fn jobs(session: &mut Session, args: &[String]) -> Res {
    let long = args.iter().any(|a| a == "-l");
    let mut out = String::new();
    for (i, job) in session.jobs.list.iter().enumerate() {
        let (status, suffix) = match &job.state {
            JobState::Ended { status, .. } => (status.as_str(), ""),
            _ => ("Running", " &"),
        };
        let line = status_line(&session.jobs, i, status, suffix);
        if long {
            // `[1]+  2741 Running ...`: the pid goes after the marker.
            let (head, tail) = line.split_at(line.find("  ").unwrap_or(0) + 2);
            out.push_str(&format!("{head}{} {tail}", job.pid));
        } else {
            out.push_str(&line);
        }
    }
    session
        .jobs
        .list
        .retain(|j| !matches!(j.state, JobState::Ended { .. }));
    Res::out(out)
}

/// Which job a `%N`, `%+`, `%-`, `%%` or `%NAME` spec names.
fn find(session: &Session, spec: &str) -> Option<usize> {
    let list = &session.jobs.list;
    match spec {
        "%%" | "%+" | "%" => list.len().checked_sub(1),
        "%-" => list.len().checked_sub(2),
        _ => {
            let rest = spec.strip_prefix('%')?;
            if let Ok(n) = rest.parse::<usize>() {
                list.iter().position(|j| j.number == n)
            } else {
                list.iter().position(|j| j.command.starts_with(rest))
            }
        }
    }
}

/// `kill [-SIGNAL] %JOB|PID ...`.
pub(crate) fn kill(session: &mut Session, args: &[String]) -> Res {
    let mut signal = "TERM".to_owned();
    let mut targets = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        if a == "-s" || a == "-n" {
            match iter.next() {
                Some(s) => signal = s.trim_start_matches("SIG").to_uppercase(),
                None => {
                    return Res::err(format!("bash: kill: {a}: option requires an argument\n"), 2);
                }
            }
        } else if a == "-l" {
            return Res::out(" 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 9) SIGKILL\t15) SIGTERM\n");
        } else if let Some(s) = a.strip_prefix('-')
            && targets.is_empty()
            && !s.is_empty()
        {
            signal = s.trim_start_matches("SIG").to_uppercase();
        } else {
            targets.push(a.clone());
        }
    }
    let status = match signal.as_str() {
        "TERM" | "15" => "Terminated",
        "KILL" | "9" => "Killed",
        "INT" | "2" => "Interrupt",
        "HUP" | "1" => "Hangup",
        other => {
            return Res::err(
                format!("bash: kill: {other}: invalid signal specification\n"),
                1,
            );
        }
    };
    if targets.is_empty() {
        return Res::err(
            "kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n",
            2,
        );
    }
    let mut res = Res::ok();
    for target in targets {
        let index = if target.starts_with('%') {
            match find(session, &target) {
                Some(i) => Some(i),
                None => {
                    res.push_err(format!("bash: kill: {target}: no such job\n"));
                    res.code = 1;
                    continue;
                }
            }
        } else if let Ok(pid) = target.parse::<u32>() {
            match session.jobs.list.iter().position(|j| j.pid == pid) {
                Some(i) => Some(i),
                None => {
                    res.push_err(format!("bash: kill: ({pid}) - No such process\n"));
                    res.code = 1;
                    continue;
                }
            }
        } else {
            res.push_err(format!(
                "bash: kill: {target}: arguments must be process or job IDs\n"
            ));
            res.code = 1;
            continue;
        };
        if let Some(i) = index {
            let job = &mut session.jobs.list[i];
            if !matches!(job.state, JobState::Ended { .. }) {
                job.state = JobState::Ended {
                    status: status.to_owned(),
                    now: true,
                };
            }
        }
    }
    res
}

/// `fg [%JOB]`: the job's command comes back to the terminal. A forward streams again (Ctrl-C
/// ends it); a sleep waits out its time.
pub(crate) fn fg(session: &mut Session, args: &[String]) -> Res {
    let spec = args.first().map_or("%+", String::as_str);
    let Some(index) = find(session, spec) else {
        let shown = if args.is_empty() { "current" } else { spec };
        return Res::err(format!("bash: fg: {shown}: no such job\n"), 1);
    };
    let job = session.jobs.list.remove(index);
    let mut res = Res::out(format!("{}\n", job.command));
    match job.state {
        JobState::Forward(forward) => {
            session.forward = Some(forward);
            res.effects.push(crate::Effect::Follow);
        }
        JobState::Sleep { until } => {
            let now = session.sim.now();
            if until > now {
                session
                    .sim
                    .advance(Duration::from_millis(until.as_millis() - now.as_millis()));
            }
        }
        JobState::Ended { status, .. } => {
            res = Res::err("bash: fg: job has terminated\n", 1);
            session.jobs.list.insert(
                index,
                Job {
                    state: JobState::Ended { status, now: true },
                    ..job
                },
            );
        }
    }
    res
}
