//! `kubectl logs`: container output kept by the simulated kubelet, with kubectl's container
//! defaulting, `--previous`, `--tail`, `--timestamps`, `--all-containers`, `-l` and
//! `TYPE/NAME` targets, the apiserver's errors, and `-f` (a [`LogFollow`] the session polls
//! as virtual time passes; it ends by itself when every followed container stops, as the
//! kubelet closes the stream then).

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
pub(super) fn pods_of(session: &Session, ns: &str, target: &str) -> Result<Vec<Value>, String> {
    let (kind, name) = match target.split_once('/') {
        Some((k, n)) => (k, n),
        None => ("pod", target),
    };
    let owner_kind = match kind {
        "pod" | "pods" | "po" => {
            let api = session.sim.api();
            api.authorize("get", Kind::Pod, ns, name)
                .map_err(|e| super::api_error(&e, None))?;
            let pod = api
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
    let api = session.sim.api();
    api.authorize("get", owner_kind.0, ns, name)
        .map_err(|e| super::api_error(&e, None))?;
    let owner = api
        .get_ref(owner_kind.0, ns, name)
        .map_err(|_| not_found(owner_kind.1, name))?
        .to_json();
    // The owner's first pod comes from a list of pods by its selector.
    super::check(session, "list", Kind::Pod, ns, "")?;
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
                    p.pointer("/metadata/labels")
                        .and_then(|labels| labels.get(k))
                        .and_then(Value::as_str)
                        == Some(v)
                })
        })
        .collect();
    tidepool_core::stable_sort::sort_by(&mut pods, |a, b| {
        s(a, "/metadata/name").cmp(s(b, "/metadata/name"))
    });
    if pods.is_empty() {
        return Err("error: timed out waiting for the condition\n".to_owned());
    }
    Ok(pods)
}

#[derive(Debug, Clone)]
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
        .chain(arr(pod, "/status/ephemeralContainerStatuses"))
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
    Ok(format_lines(&lines[skip..], name, container, o))
}

fn format_lines(
    lines: &[(VirtualTime, String)],
    pod: &str,
    container: &str,
    o: &Options,
) -> String {
    let mut out = String::new();
    for (at, line) in lines {
        if o.prefix {
            out.push_str(&format!("[pod/{pod}/{container}] "));
        }
        if o.timestamps {
            out.push_str(&stamp(*at));
            out.push(' ');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Where a followed container's log was read up to: the stamp of the last line shown and how
/// many lines with that stamp were shown (stamps repeat, and the kubelet's buffer rotates, so
/// a plain line count would not do).
#[derive(Debug, Clone, Default)]
struct Cursor {
    last: Option<VirtualTime>,
    at_last: usize,
}

impl Cursor {
    fn after(lines: &[(VirtualTime, String)]) -> Self {
        let mut cursor = Self::default();
        cursor.advance(lines);
        cursor
    }

    /// The lines not shown yet.
    fn unseen<'a>(&self, lines: &'a [(VirtualTime, String)]) -> &'a [(VirtualTime, String)] {
        let Some(last) = self.last else {
            return lines;
        };
        let start = lines.partition_point(|(at, _)| *at < last);
        let same = lines[start..]
            .iter()
            .take_while(|(at, _)| *at == last)
            .count();
        &lines[start + same.min(self.at_last)..]
    }

    fn advance(&mut self, shown: &[(VirtualTime, String)]) {
        for (at, _) in shown {
            if Some(*at) == self.last {
                self.at_last += 1;
            } else {
                self.last = Some(*at);
                self.at_last = 1;
            }
        }
    }
}

/// One container a `kubectl logs -f` streams.
#[derive(Debug, Clone)]
struct FollowedContainer {
    namespace: String,
    pod: String,
    container: String,
    /// The container instance followed; a restart ends the stream, as in Kubernetes.
    container_id: String,
    cursor: Cursor,
    done: bool,
}

/// A running `kubectl logs -f`.
#[derive(Debug, Clone)]
pub struct LogFollow {
    streams: Vec<FollowedContainer>,
    options: Options,
}

fn container_id(pod: &Value, container: &str) -> Option<String> {
    arr(pod, "/status/containerStatuses")
        .iter()
        .chain(arr(pod, "/status/initContainerStatuses"))
        .chain(arr(pod, "/status/ephemeralContainerStatuses"))
        .find(|st| s(st, "/name") == container)
        .map(|st| s(st, "/containerID").to_owned())
}

/// New log lines of a running `kubectl logs -f` since the last poll. The follow ends (and
/// the session drops it) once every followed container has terminated, restarted or gone.
pub fn poll_logs(session: &mut Session) -> Option<Res> {
    let mut follow = session.log_follow.take()?;
    let mut out = String::new();
    for stream in follow.streams.iter_mut().filter(|st| !st.done) {
        let pod = session
            .sim
            .api()
            .get_ref(Kind::Pod, &stream.namespace, &stream.pod)
            .ok()
            .map(Object::to_json);
        let status = pod.as_ref().and_then(|p| {
            arr(p, "/status/containerStatuses")
                .iter()
                .chain(arr(p, "/status/initContainerStatuses"))
                .chain(arr(p, "/status/ephemeralContainerStatuses"))
                .find(|st| s(st, "/name") == stream.container)
                .cloned()
        });
        let same_instance = status
            .as_ref()
            .is_some_and(|st| s(st, "/containerID") == stream.container_id);
        // After a restart the followed instance's lines are the "previous" log.
        let lines = session
            .sim
            .container_logs(
                &stream.namespace,
                &stream.pod,
                &stream.container,
                !same_instance,
            )
            .unwrap_or_default();
        let fresh = stream.cursor.unseen(&lines);
        out.push_str(&format_lines(
            fresh,
            &stream.pod,
            &stream.container,
            &follow.options,
        ));
        stream.cursor.advance(fresh);
        let terminated = status
            .as_ref()
            .is_some_and(|st| st.pointer("/state/terminated").is_some());
        if !same_instance || terminated {
            stream.done = true;
        }
    }
    if follow.streams.iter().any(|st| !st.done) {
        session.log_follow = Some(follow);
    }
    Some(Res::out(out))
}

pub fn logs(session: &mut Session, args: &[String]) -> KResult {
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
                    "Error: invalid argument \"{t}\" for \"--tail\" flag: strconv.ParseInt: parsing \"{t}\": invalid syntax\nSee 'kubectl logs --help' for usage.\n"
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
        super::check(session, "list", Kind::Pod, &ns, "")?;
        let mut pods: Vec<Value> = session
            .sim
            .api()
            .store()
            .list(Kind::Pod, Some(&ns))
            .map(Object::to_json)
            .filter(|p| selector_matches(&reqs, p))
            .collect();
        tidepool_core::stable_sort::sort_by(&mut pods, |a, b| {
            s(a, "/metadata/name").cmp(s(b, "/metadata/name"))
        });
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
    for pod in &pods {
        session
            .sim
            .api()
            .authorize_subresource("get", Kind::Pod, &ns, s(pod, "/metadata/name"), "log")
            .map_err(|e| super::api_error(&e, None))?;
    }
    let mut res = Res::ok();
    let mut followed = Vec::new();
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
        // `kubectl debug`'s ephemeral containers have logs too.
        let ephemeral: Vec<&str> = arr(pod, "/spec/ephemeralContainers")
            .iter()
            .map(|c| s(c, "/name"))
            .collect();
        let chosen: Vec<String> = if all_containers {
            inits
                .iter()
                .chain(apps.iter())
                .chain(ephemeral.iter())
                .map(|c| (*c).to_owned())
                .collect()
        } else {
            match flags
                .get("container")
                .or(flags.args.get(1).map(String::as_str))
            {
                Some(c) => {
                    if !apps.contains(&c) && !inits.contains(&c) && !ephemeral.contains(&c) {
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
                    if apps.len() + inits.len() + ephemeral.len() > 1 && pods.len() == 1 {
                        let all: Vec<String> = apps
                            .iter()
                            .map(|c| (*c).to_owned())
                            .chain(ephemeral.iter().map(|c| format!("{c} (ephem)")))
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
            if flags.has("follow") {
                let ns = s(pod, "/metadata/namespace");
                let lines = session
                    .sim
                    .container_logs(ns, name, c, options.previous)
                    .unwrap_or_default();
                let id = container_id(pod, c).unwrap_or_default();
                followed.push(FollowedContainer {
                    namespace: ns.to_owned(),
                    pod: name.to_owned(),
                    container: c.clone(),
                    done: options.previous
                        || pod.pointer("/status/phase").and_then(Value::as_str)
                            == Some("Succeeded")
                        || arr(pod, "/status/containerStatuses")
                            .iter()
                            .chain(arr(pod, "/status/initContainerStatuses"))
                            .chain(arr(pod, "/status/ephemeralContainerStatuses"))
                            .any(|st| {
                                s(st, "/name") == c.as_str()
                                    && st.pointer("/state/terminated").is_some()
                            }),
                    container_id: id,
                    cursor: Cursor::after(&lines),
                });
            }
        }
    }
    // `-f` on a finished container (or with `--previous`) prints the log and returns.
    if followed.iter().any(|st| !st.done) {
        res.effects.push(crate::Effect::Follow);
        session.log_follow = Some(LogFollow {
            streams: followed,
            options,
        });
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(stamps: &[u64]) -> Vec<(VirtualTime, String)> {
        stamps
            .iter()
            .enumerate()
            .map(|(i, ms)| (VirtualTime::from_millis(*ms), format!("line {i}")))
            .collect()
    }

    #[test]
    fn follow_cursor_shows_each_line_once_across_equal_stamps_and_rotation() {
        let first = lines(&[1, 2, 2]);
        let mut cursor = Cursor::after(&first);
        // Another line with the same stamp as the last one shown, then a later one.
        let more = lines(&[1, 2, 2, 2, 3]);
        let fresh = cursor.unseen(&more);
        assert_eq!(fresh.len(), 2);
        cursor.advance(fresh);
        assert!(cursor.unseen(&more).is_empty());
        // The buffer rotated: older lines dropped, one new line appended.
        let rotated = vec![
            more[3].clone(),
            more[4].clone(),
            (VirtualTime::from_millis(4), "new".to_owned()),
        ];
        let fresh = cursor.unseen(&rotated);
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0].1, "new");
    }
}
