//! `kubectl exec POD [-c CONTAINER] -- COMMAND...`: runs a one-off command in a running
//! container through the simulated kubelet, with kubectl's messages and exit codes.

use super::json::{arr, s};
use super::{KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use tidepool_core::{ExecError, Kind};

pub fn exec(session: &mut Session, args: &[String]) -> KResult {
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
    let name = target.strip_prefix("pod/").unwrap_or(&target).to_owned();
    let pod = session
        .sim
        .api()
        .get_ref(Kind::Pod, &ns, &name)
        .map_err(|_| format!("Error from server (NotFound): pods \"{name}\" not found\n"))?
        .to_json();
    let phase = s(&pod, "/status/phase");
    if matches!(phase, "Succeeded" | "Failed") {
        return Err(format!(
            "error: cannot exec into a container in a completed pod; current phase is {phase}\n"
        ));
    }
    let apps: Vec<&str> = arr(&pod, "/spec/containers")
        .iter()
        .map(|c| s(c, "/name"))
        .collect();
    let container = match flags.get("container") {
        Some(c) => c.to_owned(),
        None => {
            let first = apps.first().copied().unwrap_or_default().to_owned();
            let inits = arr(&pod, "/spec/initContainers");
            if apps.len() + inits.len() > 1 && !flags.has("quiet") {
                let all: Vec<String> = apps
                    .iter()
                    .map(|c| (*c).to_owned())
                    .chain(inits.iter().map(|c| format!("{} (init)", s(c, "/name"))))
                    .collect();
                res.push_err(format!(
                    "Defaulted container \"{first}\" out of: {}\n",
                    all.join(", ")
                ));
            }
            first
        }
    };
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
        }
        Err(ExecError::NotRunning) => {
            res.push_err(format!(
                "error: unable to upgrade connection: container not found (\"{container}\")\n"
            ));
            res.code = 1;
        }
        Err(ExecError::Runtime(text)) => {
            res.push_out(format!("{text}\n"));
            res.push_err("command terminated with exit code 126\n");
            res.code = 126;
        }
    }
    Ok(res)
}
