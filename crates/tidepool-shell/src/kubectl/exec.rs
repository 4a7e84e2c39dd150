//! `kubectl exec POD [-c CONTAINER] -- COMMAND...`: runs a one-off command in a running
//! container through the simulated kubelet, with kubectl's messages and exit codes.
//! [`attach`] serves `kubectl run -i` and `kubectl debug -i` (`kubectl/debug.rs`).
//! `-i` from the terminal opens an [`Interactive`] session: the [`Session`] sends each typed
//! line to the container's shell and shows its prompt (`/ # `, `root@POD:/# `; none without
//! `-t`) until the shell exits. `-i` with piped input runs the piped lines and returns.

use super::json::{arr, s};
use super::{KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use std::time::Duration;
use tidepool_container::{ExecSession, SessionState};
use tidepool_core::ExecError;

/// A running `kubectl exec -i` (or `run -i`): where its shell lives and the shell itself.
#[derive(Debug, Clone)]
pub struct Interactive {
    namespace: String,
    pod: String,
    container: String,
    tty: bool,
    shell: ExecSession,
    /// Set for `kubectl run -i[t] [--rm]`: what happens when the session ends.
    attached: Option<Attach>,
}

/// `kubectl run -i[t] [--rm] NAME ... -- CMD`: the pod was created with `stdin: true`.
#[derive(Debug, Clone)]
pub struct Attach {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub argv: Vec<String>,
    pub tty: bool,
    pub remove: bool,
    pub restart_always: bool,
    /// Restart policy OnFailure: only success ends kubectl's wait after the session.
    pub restart_on_failure: bool,
    /// `kubectl debug`: only attach's part (the resume hint) follows the session, none of
    /// `run`'s (no wait for the pod, no verdict, no `--rm`).
    pub attach_only: bool,
}

/// How long `kubectl run -i` waits for the pod to run (`--pod-running-timeout`, 1 minute).
const POD_RUNNING_TIMEOUT_S: u64 = 60;

/// Waits for the created pod to run, then attaches. The simulation has no attach to a main
/// process's stdin, so the session is a shell exec'd in the container (same image, files and
/// hostname); the pod's own `sh` waits on its stdin meanwhile.
pub fn attach(session: &mut Session, a: Attach) -> Res {
    let mut res = Res::ok();
    let mut shell = None;
    for _ in 0..=POD_RUNNING_TIMEOUT_S {
        match session
            .sim
            .open_exec_session(&a.namespace, &a.pod, &a.container, &a.argv)
        {
            Ok(s) => {
                shell = Some(s);
                break;
            }
            Err(ExecError::NotRunning) => {
                if let Some(done) = completed_container(session, &a) {
                    return attach_completed(session, &a, &done);
                }
                session.sim.advance(Duration::from_secs(1));
            }
            Err(e) => return exec_error(res, &a.container, e),
        }
    }
    let Some(shell) = shell else {
        res.push_err("error: timed out waiting for the condition\n");
        res.code = 1;
        return res;
    };
    if a.tty {
        res.push_err("If you don't see a command prompt, try pressing enter.\n");
    }
    let it = Interactive {
        namespace: a.namespace.clone(),
        pod: a.pod.clone(),
        container: a.container.clone(),
        tty: a.tty,
        shell,
        attached: Some(a),
    };
    start_attached(session, it, res)
}

/// Runs a fresh attached session until it waits for input (it stays the session's
/// interactive one) or ends (then what follows an attach).
fn start_attached(session: &mut Session, mut it: Interactive, mut res: Res) -> Res {
    let (first, ended) = drive(session, &mut it, None);
    res.chunks.extend(first.chunks);
    match ended {
        Some(code) => {
            let end = end_attach(session, &it, code);
            res.chunks.extend(end.chunks);
            res.code = end.code;
        }
        None => session.interactive = Some(it),
    }
    res
}

/// How a `kubectl run -i` pod that ran to completion ended (phase and its container's exit).
struct Completed {
    failed: bool,
    exit_code: i32,
    reason: String,
    message: String,
}

/// The pod's end when it is Succeeded or Failed (kubectl's `podRunningAndReady` gives up with
/// `ErrPodCompleted` then): commands like `nslookup` finish before there is anything to attach to.
fn completed_container(session: &Session, a: &Attach) -> Option<Completed> {
    let pod = session
        .sim
        .api()
        .get_ref(tidepool_core::Kind::Pod, &a.namespace, &a.pod)
        .ok()?;
    let status = pod.as_pod()?.status.as_ref()?;
    let failed = match status.phase.as_deref() {
        Some("Succeeded") => false,
        Some("Failed") => true,
        _ => return None,
    };
    let terminated = status
        .container_statuses
        .iter()
        .flatten()
        .find(|c| c.name == a.container)
        .and_then(|c| c.state.as_ref())
        .and_then(|s| s.terminated.as_ref());
    Some(Completed {
        failed,
        exit_code: terminated.map_or(0, |t| t.exit_code),
        reason: terminated
            .and_then(|t| t.reason.clone())
            .unwrap_or_default(),
        message: terminated
            .and_then(|t| t.message.clone())
            .unwrap_or_default(),
    })
}

/// As kubectl's `handleAttachPod` for a completed pod: the container's logs, then `--rm`'s
/// deletion, then (restart policy Never or OnFailure) the pod's failure as the exit code.
fn attach_completed(session: &mut Session, a: &Attach, done: &Completed) -> Res {
    let args: Vec<String> = ["logs", &a.pod, "-c", &a.container, "-n", &a.namespace]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut res = super::run(session, &args, "");
    res.code = 0;
    if a.remove {
        let end = end_attach_delete(session, &a.pod, &a.namespace);
        res.chunks.extend(end.chunks);
    }
    if !a.restart_always {
        push_completion(&mut res, &a.namespace, &a.pod, done);
    }
    res
}

/// kubectl run's verdict on a pod that ran to completion: nothing for Succeeded, else
/// `pod NS/NAME terminated (REASON)` and the container's exit code as kubectl's own.
fn push_completion(res: &mut Res, ns: &str, pod: &str, done: &Completed) {
    if !done.failed {
        return;
    }
    if done.exit_code == 0 {
        res.push_err(format!(
            "error: pod {ns}/{pod} failed with unknown exit code\n"
        ));
        res.code = 1;
    } else {
        res.push_err(format!(
            "pod {ns}/{pod} terminated ({})\n{}",
            done.reason, done.message
        ));
        if !done.message.is_empty() && !done.message.ends_with('\n') {
            res.push_err("\n");
        }
        res.code = done.exit_code;
    }
}

/// After the attached session of a `kubectl run -i` pod with restart policy Never or
/// OnFailure, kubectl waits (up to `--pod-running-timeout`) for the pod to complete (Never)
/// or succeed (OnFailure). `None`: it timed out.
fn wait_for_completion(session: &mut Session, a: &Attach) -> Option<Completed> {
    for _ in 0..=POD_RUNNING_TIMEOUT_S {
        if let Some(done) = completed_container(session, a)
            && (!done.failed || !a.restart_on_failure)
        {
            return Some(done);
        }
        session.sim.advance(Duration::from_secs(1));
    }
    None
}

/// `--rm`: deletes the pod without waiting, as kubectl's deferred removal does.
fn end_attach_delete(session: &mut Session, pod: &str, namespace: &str) -> Res {
    let args: Vec<String> = ["delete", "pod", pod, "-n", namespace, "--wait=false"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    super::run(session, &args, "")
}

/// The end of a `kubectl run -i` session: the container's main process ends with the
/// session's status (the session stands for it), then what kubectl's `run` does after attach:
/// attach's resume hint, the wait for the pod to complete (restart policy Never or
/// OnFailure), `--rm`'s deletion (deferred in kubectl, so printed first), and the verdict.
fn end_attach(session: &mut Session, it: &Interactive, code: i32) -> Res {
    let mut res = Res::ok();
    res.code = code;
    let Some(end) = it.attached.clone() else {
        return res;
    };
    session
        .sim
        .end_attached_process(&it.namespace, &it.pod, &it.container, code);
    res.code = 0;
    if end.restart_always && it.tty {
        res.push_out(format!(
            "Session ended, resume using 'kubectl attach {} -c {} -i -t' command when the pod is running\n",
            it.pod, it.container
        ));
    }
    if end.attach_only {
        return res;
    }
    let outcome = (!end.restart_always).then(|| wait_for_completion(session, &end));
    if end.remove {
        let deleted = end_attach_delete(session, &it.pod, &it.namespace);
        res.chunks.extend(deleted.chunks);
    }
    match outcome {
        None => {}
        Some(Some(done)) => push_completion(&mut res, &it.namespace, &it.pod, &done),
        Some(None) => {
            res.push_err("error: timed out waiting for the condition\n");
            res.code = 1;
        }
    }
    res
}

impl Interactive {
    /// The container shell's prompt; a shell without a TTY shows none.
    pub fn prompt(&self) -> String {
        if self.tty {
            self.shell.prompt()
        } else {
            String::new()
        }
    }
}

/// Most sleeps one typed line may wait through (`while true; do sleep 1; done` is cut off).
const MAX_WAKEUPS: usize = 600;

/// Feeds `input` (one typed line, or `None` to just run) to the session and runs it until it
/// waits for input. Sleeps in the container move virtual time, as `sleep` does at the prompt.
/// Returns the output and, when the shell ended, kubectl's exit status.
fn drive(session: &mut Session, it: &mut Interactive, input: Option<&str>) -> (Res, Option<i32>) {
    if let Some(line) = input {
        it.shell.feed_line(line);
    }
    let mut res = Res::ok();
    for _ in 0..MAX_WAKEUPS {
        let Some((state, out)) =
            session
                .sim
                .run_exec_session(&it.namespace, &it.pod, &it.container, &mut it.shell)
        else {
            // The container stopped under the session: the stream closes.
            res.push_err("command terminated with exit code 137\n");
            return (res, Some(137));
        };
        for (stream, text) in out.chunks {
            match stream {
                tidepool_container::Stream::Stdout => res.push_out(text),
                tidepool_container::Stream::Stderr => res.push_err(text),
            }
        }
        match state {
            SessionState::Ready | SessionState::Busy { wake_at: None } => return (res, None),
            SessionState::Busy {
                wake_at: Some(wake),
            } => {
                let now = session.sim.now().as_millis();
                session
                    .sim
                    .advance(Duration::from_millis(wake.saturating_sub(now).max(1)));
            }
            SessionState::Exited { code } => {
                if code != 0 && it.attached.is_none() {
                    res.push_err(format!("command terminated with exit code {code}\n"));
                }
                return (res, Some(code));
            }
        }
    }
    (res, None)
}

/// One line typed while an interactive exec runs.
pub fn interactive_line(session: &mut Session, line: &str) -> Res {
    let Some(mut it) = session.interactive.take() else {
        return Res::ok();
    };
    let (mut res, ended) = drive(session, &mut it, Some(line));
    match ended {
        Some(code) if it.attached.is_some() => {
            let end = end_attach(session, &it, code);
            res.chunks.extend(end.chunks);
            res.code = end.code;
        }
        Some(code) => res.code = code,
        None => session.interactive = Some(it),
    }
    res
}

/// Ctrl-C while an interactive exec or `run -i` runs: the container's shell drops its
/// foreground command and prompts again, or, for a command (`run -it ... -- sh -c LOOP`), the
/// command dies of SIGINT and the session ends as it would by itself (`--rm` deletes the pod).
pub fn interactive_interrupt(session: &mut Session) -> Option<Res> {
    let mut it = session.interactive.take()?;
    it.shell.interrupt();
    let (mut res, ended) = drive(session, &mut it, None);
    match ended {
        Some(code) if it.attached.is_some() => {
            let end = end_attach(session, &it, code);
            res.chunks.extend(end.chunks);
            res.code = end.code;
        }
        Some(code) => res.code = code,
        None => {
            res.code = 130;
            session.interactive = Some(it);
        }
    }
    Some(res)
}

pub fn exec(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    let flags = parse_flags(
        args,
        &[
            f("container", Some('c'), true),
            f("stdin", Some('i'), false),
            f("tty", Some('t'), false),
            f("quiet", Some('q'), false),
        ],
        "exec",
    )?;
    let ns = namespace(session, &flags);
    let mut res = Res::ok();
    let (target, command): (String, Vec<String>) = if flags.saw_dash {
        let Some(t) = flags.args.first() else {
            return Err(
                "error: you must specify at least one command for the container\n".to_owned(),
            );
        };
        (t.clone(), flags.dash_args.clone())
    } else {
        let Some((t, rest)) = flags.args.split_first() else {
            return Err("error: expected 'exec (POD | TYPE/NAME) COMMAND [ARG1] [ARG2] ... [ARGN]'.\nPOD or TYPE/NAME is a required argument for the exec command\nSee 'kubectl exec -h' for help and examples\n".to_owned());
        };
        res.push_err("kubectl exec [POD] [COMMAND] is DEPRECATED and will be removed in a future version. Use kubectl exec [POD] -- [COMMAND] instead.\n");
        (t.clone(), rest.to_vec())
    };
    if command.is_empty() {
        return Err("error: you must specify at least one command for the container\n".to_owned());
    }
    // `deploy/web` and friends stand for their first pod, as in `kubectl logs`.
    let pod = super::logs::pods_of(session, &ns, &target)?
        .into_iter()
        .next()
        .ok_or_else(|| "error: timed out waiting for the condition\n".to_owned())?;
    let name = s(&pod, "/metadata/name").to_owned();
    session
        .sim
        .api()
        .authorize_subresource("create", tidepool_core::Kind::Pod, &ns, &name, "exec")
        .map_err(|e| super::api_error(&e, None))?;
    let phase = s(&pod, "/status/phase");
    if matches!(phase, "Succeeded" | "Failed") {
        return Err(format!(
            "error: cannot exec into a container in a completed pod; current phase is {phase}\n"
        ));
    }
    let container = pick_container(&pod, flags.get("container"), flags.has("quiet"), &mut res);
    if flags.has("stdin") {
        let piped = !stdin.is_empty();
        let tty = flags.has("tty") && !piped;
        if piped && flags.has("tty") && !flags.has("quiet") {
            res.push_err(
                "Unable to use a TTY - input is not a terminal or the right kind of file\n",
            );
        }
        let shell = match session
            .sim
            .open_exec_session(&ns, &name, &container, &command)
        {
            Ok(shell) => shell,
            Err(e) => return Ok(exec_error(res, &container, e)),
        };
        let mut it = Interactive {
            namespace: ns,
            pod: name,
            container,
            tty,
            shell,
            attached: None,
        };
        let (first, mut ended) = drive(session, &mut it, None);
        res.chunks.extend(first.chunks);
        if piped {
            for line in stdin.lines() {
                if ended.is_some() {
                    break;
                }
                let (more, end) = drive(session, &mut it, Some(line));
                res.chunks.extend(more.chunks);
                ended = end;
            }
            // End of input closes the shell's stdin: it exits with its last status.
            if ended.is_none() {
                let (more, end) = drive(session, &mut it, Some("exit"));
                res.chunks.extend(more.chunks);
                ended = end;
            }
        }
        match ended {
            Some(code) => res.code = code,
            None => session.interactive = Some(it),
        }
        return Ok(res);
    }
    match session
        .sim
        .exec_in_container(&ns, &name, &container, &command)
    {
        Ok(out) => {
            res.push_out(out.stdout);
            res.push_err(out.stderr);
            let code = out.exit_code.unwrap_or(137);
            if code != 0 {
                res.push_err(format!("command terminated with exit code {code}\n"));
                res.code = code;
            }
            Ok(res)
        }
        Err(e) => Ok(exec_error(res, &container, e)),
    }
}

/// kubectl's report of an exec the runtime refused.
/// `kubectl attach (POD | TYPE/NAME) [-c C] [-i] [-t]`: with `-i` to a container that keeps
/// stdin open, an interactive session standing for its PID 1 (as `kubectl run -it`); else
/// the container's output from now on (`logs -f --tail=0`), until Ctrl-C or it stops.
pub fn attach_command(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(
        args,
        &[
            f("container", Some('c'), true),
            f("stdin", Some('i'), false),
            f("tty", Some('t'), false),
            f("quiet", Some('q'), false),
            f("pod-running-timeout", None, true),
        ],
        "attach",
    )?;
    let target = match flags.args.as_slice() {
        [] => return Err("error: at least 1 argument is required for attach\n".to_owned()),
        [one] => one.clone(),
        [ty, name] => format!("{ty}/{name}"),
        more => {
            return Err(format!(
                "error: expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw {}: [{}]\n",
                more.len(),
                more.join(" ")
            ));
        }
    };
    let ns = namespace(session, &flags);
    let quiet = flags.has("quiet");
    let pod = super::logs::pods_of(session, &ns, &target)?
        .into_iter()
        .next()
        .ok_or_else(|| "error: timed out waiting for the condition\n".to_owned())?;
    let name = s(&pod, "/metadata/name").to_owned();
    let phase = s(&pod, "/status/phase");
    if matches!(phase, "Succeeded" | "Failed") {
        return Err(format!(
            "error: cannot attach a container in a completed pod; current phase is {phase}\n"
        ));
    }
    let mut res = Res::ok();
    let container = pick_container(&pod, flags.get("container"), quiet, &mut res);
    let Some(spec) = arr(&pod, "/spec/containers")
        .iter()
        .find(|c| s(c, "/name") == container)
        .cloned()
    else {
        return Err(format!(
            "error: cannot attach to the container: container {container} not found in pod {name}\n"
        ));
    };
    session
        .sim
        .api()
        .authorize_subresource("create", tidepool_core::Kind::Pod, &ns, &name, "attach")
        .map_err(|e| super::api_error(&e, None))?;
    let container_tty = spec.get("tty").and_then(serde_json::Value::as_bool) == Some(true);
    let container_stdin = spec.get("stdin").and_then(serde_json::Value::as_bool) == Some(true);
    let mut tty = flags.has("tty");
    if tty && !container_tty {
        tty = false;
        if !quiet {
            res.push_err(format!(
                "error: Unable to use a TTY - container {container} did not allocate one\n"
            ));
        }
    } else if !tty && container_tty {
        tty = true;
    }
    if !quiet {
        res.push_err("If you don't see a command prompt, try pressing enter.\n");
    }
    if flags.has("stdin") && container_stdin {
        // The session stands for PID 1: its argv is the container's command line.
        let argv: Vec<String> = arr(&spec, "/command")
            .iter()
            .chain(arr(&spec, "/args"))
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect();
        let argv = if argv.is_empty() {
            vec!["sh".to_owned()]
        } else {
            argv
        };
        let shell = match session.sim.open_exec_session(&ns, &name, &container, &argv) {
            Ok(shell) => shell,
            Err(e) => return Ok(exec_error(res, &container, e)),
        };
        let restart_always = s(&pod, "/spec/restartPolicy") == "Always";
        let attach = Attach {
            namespace: ns.clone(),
            pod: name.clone(),
            container: container.clone(),
            argv,
            tty,
            remove: false,
            // attach's reattach message: stdin, a raw terminal, restart policy Always.
            restart_always: restart_always && !quiet,
            restart_on_failure: false,
            attach_only: true,
        };
        let it = Interactive {
            namespace: ns,
            pod: name,
            container,
            tty,
            shell,
            attached: Some(attach),
        };
        return Ok(start_attached(session, it, res));
    }
    // Output only: the container's new lines until Ctrl-C or its end.
    let follow: Vec<String> = ["-f", &name, "-c", &container, "--tail=0", "-n", &ns]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    let streamed = super::logs::logs(session, &follow)?;
    res.chunks.extend(streamed.chunks);
    res.effects.extend(streamed.effects);
    res.code = streamed.code;
    Ok(res)
}

/// The container a command that execs (`exec`, `cp`) works in: `-c`, else the first, with
/// kubectl's `Defaulted container` notice when the pod has more than one.
pub(super) fn pick_container(
    pod: &serde_json::Value,
    requested: Option<&str>,
    quiet: bool,
    res: &mut Res,
) -> String {
    if let Some(c) = requested {
        return c.to_owned();
    }
    let apps: Vec<&str> = arr(pod, "/spec/containers")
        .iter()
        .map(|c| s(c, "/name"))
        .collect();
    let first = apps.first().copied().unwrap_or_default().to_owned();
    let inits = arr(pod, "/spec/initContainers");
    let ephemeral = arr(pod, "/spec/ephemeralContainers");
    if apps.len() + inits.len() + ephemeral.len() > 1 && !quiet {
        let all: Vec<String> = apps
            .iter()
            .map(|c| (*c).to_owned())
            .chain(
                ephemeral
                    .iter()
                    .map(|c| format!("{} (ephem)", s(c, "/name"))),
            )
            .chain(inits.iter().map(|c| format!("{} (init)", s(c, "/name"))))
            .collect();
        res.push_err(format!(
            "Defaulted container \"{first}\" out of: {}\n",
            all.join(", ")
        ));
    }
    first
}

pub(super) fn exec_error(mut res: Res, container: &str, e: ExecError) -> Res {
    match e {
        ExecError::NotRunning => {
            res.push_err(format!(
                "error: unable to upgrade connection: container not found (\"{container}\")\n"
            ));
            res.code = 1;
        }
        ExecError::Runtime(text) => {
            res.push_out(format!("{text}\n"));
            res.push_err("command terminated with exit code 126\n");
            res.code = 126;
        }
    }
    res
}
