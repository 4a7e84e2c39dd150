//! `kubectl logs`: container output kept by the simulated kubelet, with kubectl's container
//! defaulting, `--previous`, `--tail`, `--timestamps`, `--all-containers`, `-l` and
//! `TYPE/NAME` targets, and the apiserver's errors.

use super::json::{arr, parse_selector, s, selector_matches};
use super::{KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::Value;
use tidepool_core::{Kind, Object, VirtualTime};

/// `2026-01-01T00:00:05.000000000Z`, the kubelet's RFC 3339 nanosecond stamp.
fn stamp(at: VirtualTime) -> String {
    let t = tidepool_core::api::timestamp(at);
    let ms = at.as_millis() % 1000;
    let base = t.0.format("%Y-%m-%dT%H:%M:%S").to_string();
    format!("{base}.{ms:03}000000Z")
}

fn not_found(kind: &str, name: &str) -> String {
    format!("Error from server (NotFound): {kind} \"{name}\" not found\n")
}

/// Pods a `TYPE/NAME` target stands for (kubectl picks the first).
fn pods_of(session: &Session, ns: &str, target: &str) -> Result<Vec<Value>, String> {
    let (kind, name) = match target.split_once('/') {
        Some((k, n)) => (k, n),
        None => ("pod", target),
    };
    let owner_kind = match kind {
        "pod" | "pods" | "po" => {
            let pod = session
                .sim
                .api()
                .get_ref(Kind::Pod, ns, name)
                .map_err(|_| not_found("pods", name))?;
            return Ok(vec![pod.to_json()]);
        }
        "deployment" | "deployments" | "deploy" => (Kind::Deployment, "deployments.apps"),
        "replicaset" | "replicasets" | "rs" => (Kind::ReplicaSet, "replicasets.apps"),
        "statefulset" | "statefulsets" | "sts" => (Kind::StatefulSet, "statefulsets.apps"),
        "daemonset" | "daemonsets" | "ds" => (Kind::DaemonSet, "daemonsets.apps"),
        "job" | "jobs" => (Kind::Job, "jobs.batch"),
        "replicationcontroller" | "rc" => (Kind::ReplicationController, "replicationcontrollers"),
        other => {
            return Err(format!(
                "error: cannot attach to *v1.{other}: selector for *v1.{other} not implemented\n"
            ));
        }
    };
    let owner = session
        .sim
        .api()
        .get_ref(owner_kind.0, ns, name)
        .map_err(|_| not_found(owner_kind.1, name))?
        .to_json();
    let labels = owner
        .pointer("/spec/selector/matchLabels")
        .or_else(|| owner.pointer("/spec/selector"))
        .cloned()
        .unwrap_or(Value::Null);
    let wanted: Vec<(String, String)> = labels
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let mut pods: Vec<Value> = session
        .sim
        .api()
        .store()
        .list(Kind::Pod, Some(ns))
        .map(Object::to_json)
        .filter(|p| {
            !wanted.is_empty()
                && wanted.iter().all(|(k, v)| {
                    p.pointer(&format!("/metadata/labels/{k}"))
                        .and_then(Value::as_str)
                        == Some(v)
                })
        })
        .collect();
    pods.sort_by(|a, b| s(a, "/metadata/name").cmp(s(b, "/metadata/name")));
    if pods.is_empty() {
        return Err("error: timed out waiting for the condition\n".to_owned());
    }
    Ok(pods)
}

struct Options {
    previous: bool,
    timestamps: bool,
    tail: Option<usize>,
    prefix: bool,
}

/// The log text of one container, or the apiserver's error.
fn container_logs(
    session: &Session,
    pod: &Value,
    container: &str,
    o: &Options,
) -> Result<String, String> {
    let ns = s(pod, "/metadata/namespace");
    let name = s(pod, "/metadata/name");
    let status = arr(pod, "/status/containerStatuses")
        .iter()
        .chain(arr(pod, "/status/initContainerStatuses"))
        .find(|st| s(st, "/name") == container)
        .cloned();
    let lines = if o.previous {
        session.sim.container_logs(ns, name, container, true).ok_or_else(|| {
            format!(
                "Error from server (BadRequest): previous terminated container \"{container}\" in pod \"{name}\" not found\n"
            )
        })?
    } else {
        let waiting = status
            .as_ref()
            .map(|st| s(st, "/state/waiting/reason").to_owned())
            .unwrap_or_else(|| "ContainerCreating".to_owned());
        let never_ran = status.as_ref().is_none_or(|st| {
            s(st, "/containerID").is_empty() && st.pointer("/lastState/terminated").is_none()
        });
        if !waiting.is_empty() && never_ran {
            // The apiserver words image-pull failures differently from other waits.
            let why = match waiting.as_str() {
                "ErrImagePull" | "ImagePullBackOff" => "trying and failing to pull image",
                other => other,
            };
            return Err(format!(
                "Error from server (BadRequest): container \"{container}\" in pod \"{name}\" is waiting to start: {why}\n"
            ));
        }
        session
            .sim
            .container_logs(ns, name, container, false)
            .unwrap_or_default()
    };
    let skip = o.tail.map_or(0, |n| lines.len().saturating_sub(n));
    let mut out = String::new();
    for (at, line) in lines.iter().skip(skip) {
        if o.prefix {
            out.push_str(&format!("[pod/{name}/{container}] "));
        }
        if o.timestamps {
            out.push_str(&stamp(*at));
            out.push(' ');
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

pub fn logs(session: &Session, args: &[String]) -> KResult {
    let flags = parse_flags(
        args,
        &[
            f("container", Some('c'), true),
            f("follow", Some('f'), false),
            f("previous", Some('p'), false),
            f("tail", None, true),
            f("timestamps", None, false),
            f("all-containers", None, false),
            f("since", None, true),
            f("selector", Some('l'), true),
            f("prefix", None, false),
        ],
        "logs",
    )?;
    let ns = namespace(session, &flags);
    let tail = match flags.get("tail") {
        None => None,
        Some(t) => match t.parse::<i64>() {
            Ok(n) if n < 0 => None,
            Ok(n) => Some(n as usize),
            Err(_) => {
                return Err(format!(
                    "error: invalid argument \"{t}\" for \"--tail\" flag: strconv.ParseInt: parsing \"{t}\": invalid syntax\nSee 'kubectl logs --help' for usage.\n"
                ));
            }
        },
    };
    let mut options = Options {
        previous: flags.has("previous"),
        timestamps: flags.has("timestamps"),
        tail,
        prefix: flags.has("prefix"),
    };
    let all_containers = flags.has("all-containers");
    let pods: Vec<Value> = if let Some(sel) = flags.get("selector") {
        let reqs = parse_selector(sel).map_err(|e| format!("error: {e}\n"))?;
        let mut pods: Vec<Value> = session
            .sim
            .api()
            .store()
            .list(Kind::Pod, Some(&ns))
            .map(Object::to_json)
            .filter(|p| selector_matches(&reqs, p))
            .collect();
        pods.sort_by(|a, b| s(a, "/metadata/name").cmp(s(b, "/metadata/name")));
        if pods.is_empty() {
            return Ok(Res::err(
                format!("No resources found in {ns} namespace.\n"),
                0,
            ));
        }
        if flags.get("selector").is_some() && tail.is_none() {
            // kubectl limits selector logs to the last 10 lines per container.
            options.tail = Some(10);
        }
        pods
    } else {
        let Some(target) = flags.args.first() else {
            return Err("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples\n".to_owned());
        };
        let pods = pods_of(session, &ns, target)?;
        pods.into_iter().take(1).collect()
    };
    let mut res = Res::ok();
    for pod in &pods {
        let name = s(pod, "/metadata/name");
        let apps: Vec<&str> = arr(pod, "/spec/containers")
            .iter()
            .map(|c| s(c, "/name"))
            .collect();
        let inits: Vec<&str> = arr(pod, "/spec/initContainers")
            .iter()
            .map(|c| s(c, "/name"))
            .collect();
        let chosen: Vec<String> = if all_containers {
            inits
                .iter()
                .chain(apps.iter())
                .map(|c| (*c).to_owned())
                .collect()
        } else {
            match flags
                .get("container")
                .or(flags.args.get(1).map(String::as_str))
            {
                Some(c) => {
                    if !apps.contains(&c) && !inits.contains(&c) {
                        return Err(format!(
                            "Error from server (BadRequest): container {c} is not valid for pod {name}\n"
                        ));
                    }
                    vec![c.to_owned()]
                }
                None => {
                    let default = pod
                        .pointer("/metadata/annotations/kubectl.kubernetes.io~1default-container")
                        .and_then(Value::as_str)
                        .filter(|d| apps.contains(d))
                        .or(apps.first().copied())
                        .unwrap_or_default()
                        .to_owned();
                    if apps.len() + inits.len() > 1 && pods.len() == 1 {
                        let all: Vec<String> = apps
                            .iter()
                            .map(|c| (*c).to_owned())
                            .chain(inits.iter().map(|c| format!("{c} (init)")))
                            .collect();
                        res.push_err(format!(
                            "Defaulted container \"{default}\" out of: {}\n",
                            all.join(", ")
                        ));
                    }
                    vec![default]
                }
            }
        };
        for c in &chosen {
            match container_logs(session, pod, c, &options) {
                Ok(text) => res.push_out(text),
                Err(e) => {
                    res.push_err(e);
                    res.code = 1;
                    return Ok(res);
                }
            }
        }
    }
    Ok(res)
}
