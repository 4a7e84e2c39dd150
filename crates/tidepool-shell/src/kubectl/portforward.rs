//! `kubectl port-forward TYPE/NAME [LOCAL:]REMOTE ...`: kubectl's target resolution (a pod, or
//! the most active pod a Service, Deployment, ReplicaSet, ... selects), its port translation
//! (named pod ports, a Service port to its targetPort), client-go's address and port parsing
//! and listener errors, and its output. The forward itself is a [`PortForward`] the session
//! keeps: in the foreground a streaming command (Ctrl-C ends it), with `&` a background job
//! (`crate::jobs`) whose local port `curl`/`wget` reach (`crate::net`).

use super::json::{arr, s};
use super::{KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::Value;
use std::net::Ipv4Addr;
use std::time::Duration;
use tidepool_core::{Kind, Object};

/// What kubectl prints when the forwarded pod goes away (client-go's `ErrLostConnectionToPod`).
pub const LOST_CONNECTION: &str = "error: lost connection to pod\n";

const USAGE: &str = "error: TYPE/NAME and list of ports are required for port-forward\nSee 'kubectl port-forward -h' for help and examples\n";

/// An active forward: local ports on addresses of the node the command ran on, to one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortForward {
    /// The node whose shell ran kubectl (its loopback is where the ports listen).
    pub host: String,
    /// `127.0.0.1`, `::1`, `0.0.0.0`, or a node IP, as client-go listens.
    pub addresses: Vec<String>,
    /// (local, remote) pairs.
    pub ports: Vec<(u16, u16)>,
    pub namespace: String,
    pub pod: String,
    pub uid: String,
}

impl PortForward {
    /// The pod the forward was opened to still exists and runs.
    pub fn pod_alive(&self, session: &Session) -> bool {
        session
            .sim
            .api()
            .get_ref(Kind::Pod, &self.namespace, &self.pod)
            .ok()
            .map(Object::to_json)
            .is_some_and(|p| {
                s(&p, "/metadata/uid") == self.uid && s(&p, "/status/phase") == "Running"
            })
    }

    /// The pod's IP, where forwarded connections go.
    pub fn pod_ip(&self, session: &Session) -> Option<Ipv4Addr> {
        let pod = session
            .sim
            .api()
            .get_ref(Kind::Pod, &self.namespace, &self.pod)
            .ok()?
            .to_json();
        s(&pod, "/status/podIP").parse().ok()
    }

    /// The (local, remote) ports a connection from a shell on `from_host` to `address:port`
    /// lands on, when this forward listens there. `host_ip` is the IP of the forward's node.
    pub fn accepts(
        &self,
        from_host: &str,
        address: &str,
        port: u16,
        host_ip: Option<Ipv4Addr>,
    ) -> Option<(u16, u16)> {
        let pair = self.ports.iter().copied().find(|(l, _)| *l == port)?;
        let local = from_host == self.host;
        let listens = self.addresses.iter().any(|a| match a.as_str() {
            "0.0.0.0" => {
                (local && address.starts_with("127."))
                    || host_ip.is_some_and(|ip| ip.to_string() == address)
            }
            "::" => local && address == "::1",
            "127.0.0.1" | "::1" => local && a == address,
            other => other == address,
        });
        listens.then_some(pair)
    }
}

/// `kubectl port-forward`.
pub fn port_forward(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(
        args,
        &[
            f("address", None, true),
            f("pod-running-timeout", None, true),
        ],
        "port-forward",
    )?;
    if flags.args.len() < 2 {
        return Err(USAGE.to_owned());
    }
    let timeout = match flags.get("pod-running-timeout") {
        None => Duration::from_secs(60),
        Some(t) => match crate::duration::parse_go_duration(t) {
            Some(d) if !d.is_zero() => d,
            Some(_) => {
                return Err("error: --pod-running-timeout must be higher than zero\nSee 'kubectl port-forward -h' for help and examples\n".to_owned());
            }
            None => {
                return Err(format!(
                    "Error: invalid argument \"{t}\" for \"--pod-running-timeout\" flag: time: invalid duration \"{t}\"\nSee 'kubectl port-forward --help' for usage.\n"
                ));
            }
        },
    };
    let ns = namespace(session, &flags);
    let (target, specs) = (&flags.args[0], &flags.args[1..]);
    let (owner, pod) = target_pod(session, &ns, target, timeout)?;
    let pod_name = s(&pod, "/metadata/name").to_owned();
    let specs = match &owner {
        Some(svc) if s(svc, "/kind") == "Service" => translate_service_ports(specs, svc, &pod)?,
        _ => named_pod_ports(specs, &pod)?,
    };
    let phase = s(&pod, "/status/phase");
    if phase != "Running" {
        return Err(format!(
            "error: unable to forward port because pod is not running. Current status={phase}\n"
        ));
    }
    let addresses = parse_addresses(&flags.all("address"))?;
    let ports = parse_ports(&specs)?;
    super::check_subresource(session, "create", Kind::Pod, &ns, &pod_name, "portforward")?;
    let Listening {
        addresses,
        ports,
        out: mut res,
    } = listen(session, &addresses, &ports)?;
    let forward = PortForward {
        host: session.host.clone(),
        addresses,
        ports,
        namespace: ns,
        pod: pod_name,
        uid: s(&pod, "/metadata/uid").to_owned(),
    };
    if session.background {
        session.started_forward = Some(forward);
    } else {
        session.forward = Some(forward);
        res.effects.push(crate::Effect::Follow);
    }
    Ok(res)
}

/// The pod a target stands for, and the object that selected it (for Services' ports).
fn target_pod(
    session: &mut Session,
    ns: &str,
    target: &str,
    timeout: Duration,
) -> Result<(Option<Value>, Value), String> {
    let (kind, name) = target.split_once('/').unwrap_or(("pod", target));
    let owner_kind = match kind {
        "pod" | "pods" | "po" => {
            super::check(session, "get", Kind::Pod, ns, name)?;
            let pod = session
                .sim
                .api()
                .get_ref(Kind::Pod, ns, name)
                .map_err(|e| super::api_error(&e, None))?
                .to_json();
            return Ok((None, pod));
        }
        "service" | "services" | "svc" => Kind::Service,
        "deployment" | "deployments" | "deploy" => Kind::Deployment,
        "replicaset" | "replicasets" | "rs" => Kind::ReplicaSet,
        "statefulset" | "statefulsets" | "sts" => Kind::StatefulSet,
        "daemonset" | "daemonsets" | "ds" => Kind::DaemonSet,
        "job" | "jobs" => Kind::Job,
        "replicationcontroller" | "replicationcontrollers" | "rc" => Kind::ReplicationController,
        other => {
            return Err(match super::resolve_type(other) {
                Some(t) => format!(
                    "error: cannot attach to *v1.{kind}: selector for *v1.{kind} not implemented\n",
                    kind = t.kind.name()
                ),
                None => format!("error: the server doesn't have a resource type \"{other}\"\n"),
            });
        }
    };
    super::check(session, "get", owner_kind, ns, name)?;
    let owner = session
        .sim
        .api()
        .get_ref(owner_kind, ns, name)
        .map_err(|e| super::api_error(&e, None))?
        .to_json();
    // The owner's first pod comes from a list of pods by its selector.
    super::check(session, "list", Kind::Pod, ns, "")?;
    let selector = owner
        .pointer("/spec/selector/matchLabels")
        .or_else(|| {
            (matches!(owner_kind, Kind::Service | Kind::ReplicationController))
                .then(|| owner.pointer("/spec/selector"))
                .flatten()
        })
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if selector.is_empty() {
        return Err(if owner_kind == Kind::Service {
            format!(
                "error: cannot attach to *v1.Service: invalid service '{name}': Service is defined without a selector\n"
            )
        } else {
            "error: timed out waiting for the condition\n".to_owned()
        });
    }
    // kubectl waits up to --pod-running-timeout for a pod to exist.
    let deadline = session.sim.now().saturating_add(timeout);
    loop {
        if let Some(pod) = most_active_pod(session, ns, &selector) {
            return Ok((Some(owner), pod));
        }
        if session.sim.now() >= deadline {
            return Err("error: timed out waiting for the condition\n".to_owned());
        }
        session.sim.advance(Duration::from_secs(1));
    }
}

/// kubectl's choice among matching pods (`sort.Reverse(ActivePods)`): running and ready
/// first, then the oldest.
fn most_active_pod(session: &Session, ns: &str, selector: &[(String, String)]) -> Option<Value> {
    let rank = |p: &Value| {
        let phase = match s(p, "/status/phase") {
            "Running" => 0,
            "Unknown" => 1,
            _ => 2,
        };
        let ready = arr(p, "/status/conditions")
            .iter()
            .any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "True");
        let bound = !s(p, "/spec/nodeName").is_empty();
        (
            !bound,
            phase,
            !ready,
            s(p, "/metadata/creationTimestamp").to_owned(),
            s(p, "/metadata/name").to_owned(),
        )
    };
    session
        .sim
        .api()
        .store()
        .list(Kind::Pod, Some(ns))
        .map(Object::to_json)
        .filter(|p| {
            p.pointer("/metadata/deletionTimestamp").is_none()
                && selector.iter().all(|(k, v)| {
                    p.pointer(&format!("/metadata/labels/{}", k.replace('/', "~1")))
                        .and_then(Value::as_str)
                        == Some(v)
                })
        })
        .min_by_key(rank)
}

/// `[LOCAL:]REMOTE` split the way kubectl's `splitPort` does.
fn split_port(spec: &str) -> (&str, &str) {
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.len() == 2 {
        (parts[0], parts[1])
    } else {
        (parts[0], parts[0])
    }
}

fn container_port_by_name(pod: &Value, name: &str) -> Result<u16, String> {
    arr(pod, "/spec/containers")
        .iter()
        .flat_map(|c| arr(c, "/ports"))
        .find(|p| s(p, "/name") == name)
        .and_then(|p| p.pointer("/containerPort")?.as_u64())
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| {
            format!(
                "error: Pod '{}' does not have a named port '{name}'\n",
                s(pod, "/metadata/name")
            )
        })
}

/// kubectl's `convertPodNamedPortToNumber`.
fn named_pod_ports(specs: &[String], pod: &Value) -> Result<Vec<String>, String> {
    specs
        .iter()
        .map(|spec| {
            let (local, remote) = split_port(spec);
            if remote.is_empty() {
                return Err("error: remote port cannot be empty\n".to_owned());
            }
            let number = match remote.parse::<i64>() {
                Ok(_) => remote.to_owned(),
                Err(_) => container_port_by_name(pod, remote)?.to_string(),
            };
            Ok(if local != remote {
                format!("{local}:{number}")
            } else {
                number
            })
        })
        .collect()
}

/// kubectl's `translateServicePortToTargetPort`: a Service port (number or name) becomes the
/// selected pod's container port.
fn translate_service_ports(
    specs: &[String],
    svc: &Value,
    pod: &Value,
) -> Result<Vec<String>, String> {
    let svc_name = s(svc, "/metadata/name");
    let svc_ports = arr(svc, "/spec/ports");
    specs
        .iter()
        .map(|spec| {
            let (local, remote) = split_port(spec);
            let mut local = local.to_owned();
            let port = match remote.parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    let n = svc_ports
                        .iter()
                        .find(|p| s(p, "/name") == remote)
                        .and_then(|p| p.pointer("/port")?.as_i64())
                        .ok_or_else(|| {
                            format!(
                                "error: Service '{svc_name}' does not have a named port '{remote}'\n"
                            )
                        })?;
                    if local == remote {
                        local = n.to_string();
                    }
                    n
                }
            };
            let entry = svc_ports
                .iter()
                .find(|p| p.pointer("/port").and_then(Value::as_i64) == Some(port))
                .ok_or_else(|| {
                    format!("error: Service {svc_name} does not have a service port {port}\n")
                })?;
            let target = match entry.pointer("/targetPort") {
                Some(Value::String(name)) => i64::from(container_port_by_name(pod, name)?),
                Some(Value::Number(n)) if n.as_i64().unwrap_or(0) != 0 => n.as_i64().unwrap_or(0),
                _ => port,
            };
            let remote = target.to_string();
            Ok(if local != remote {
                format!("{local}:{remote}")
            } else {
                remote
            })
        })
        .collect()
}

/// client-go's `parseAddresses`: `localhost` is 127.0.0.1 and ::1; the list comes out
/// sorted, as client-go sorts it.
fn parse_addresses(values: &[String]) -> Result<Vec<String>, String> {
    let mut addresses: Vec<String> = Vec::new();
    let values: Vec<String> = if values.is_empty() {
        vec!["localhost".to_owned()]
    } else {
        values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::to_owned)
            .collect()
    };
    for value in values {
        let parsed: Vec<String> = if value == "localhost" {
            vec!["127.0.0.1".to_owned(), "::1".to_owned()]
        } else if let Ok(ip) = value.parse::<std::net::IpAddr>() {
            vec![ip.to_string()]
        } else {
            return Err(format!("error: {value} is not a valid IP\n"));
        };
        for a in parsed {
            if !addresses.contains(&a) {
                addresses.push(a);
            }
        }
    }
    tidepool_core::stable_sort::sort(&mut addresses);
    Ok(addresses)
}

/// client-go's `parsePorts`, with Go's `strconv.ParseUint` errors.
fn parse_ports(specs: &[String]) -> Result<Vec<(u16, u16)>, String> {
    let parse = |text: &str, which: &str| -> Result<u16, String> {
        text.parse::<u16>().map_err(|_| {
            let why = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                "value out of range"
            } else {
                "invalid syntax"
            };
            format!(
                "error: error parsing {which} port '{text}': strconv.ParseUint: parsing \"{text}\": {why}\n"
            )
        })
    };
    specs
        .iter()
        .map(|spec| {
            let parts: Vec<&str> = spec.split(':').collect();
            let (local, remote) = match parts.as_slice() {
                [one] => (*one, *one),
                [l, r] => (if l.is_empty() { "0" } else { *l }, *r),
                _ => return Err(format!("error: invalid port format '{spec}'\n")),
            };
            let local = parse(local, "local")?;
            let remote = parse(remote, "remote")?;
            if remote == 0 {
                return Err("error: remote port must be > 0\n".to_owned());
            }
            Ok((local, remote))
        })
        .collect()
}

/// `host:port` as Go's `net.JoinHostPort` writes it.
fn join_host_port(address: &str, port: u16) -> String {
    if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

/// Binds every port on every address like client-go's `listenOnPort`: another forward of
/// this node holding the same address and port is "address already in use"; an IP this node
/// does not have cannot be assigned. Local port 0 takes a free port. Returns the addresses
/// and ports that bound and the `Forwarding from` lines.
fn listen(
    session: &Session,
    addresses: &[String],
    ports: &[(u16, u16)],
) -> Result<Listening, String> {
    let host_ip = crate::net::host_ip(session, &session.host);
    let taken = |address: &str, port: u16| {
        session
            .jobs
            .forwards()
            .map(|(_, f)| f)
            // Another terminal's forward holds its ports too.
            .chain(session.other_terminals_forwards().map(|(_, _, f)| f))
            .filter(|f| f.host == session.host)
            .any(|f| {
                f.ports.iter().any(|(l, _)| *l == port)
                    && f.addresses.iter().any(|a| {
                        a == address
                            || a == "0.0.0.0"
                            || address == "0.0.0.0"
                            || (a == "::" && address.contains(':'))
                    })
            })
    };
    let mut out = Res::ok();
    let mut bound: Vec<String> = Vec::new();
    let mut forwarded = Vec::new();
    for &(local, remote) in ports {
        let local = if local == 0 {
            // The kernel's pick: the first free ephemeral port, deterministic here.
            (32768..=60999)
                .find(|p| addresses.iter().all(|a| !taken(a, *p)))
                .unwrap_or(32768)
        } else {
            local
        };
        let mut errors = Vec::new();
        let mut ok_here = Vec::new();
        for address in addresses {
            let family = if address.contains(':') {
                "tcp6"
            } else {
                "tcp4"
            };
            let shown = join_host_port(address, local);
            let assignable = matches!(address.as_str(), "127.0.0.1" | "::1" | "0.0.0.0" | "::")
                || host_ip.is_some_and(|ip| ip.to_string() == *address);
            if !assignable {
                errors.push(format!(
                    "unable to create listener: Error listen {family} {shown}: bind: cannot assign requested address"
                ));
            } else if taken(address, local) {
                errors.push(format!(
                    "unable to create listener: Error listen {family} {shown}: bind: address already in use"
                ));
            } else {
                ok_here.push(address.clone());
            }
        }
        // `localhost` succeeds if either loopback binds; explicit IPs must all bind.
        let explicit_failed = !errors.is_empty()
            && addresses
                .iter()
                .any(|a| !matches!(a.as_str(), "127.0.0.1" | "::1"));
        if ok_here.is_empty() || explicit_failed {
            out.push_err(format!(
                "Unable to listen on port {local}: Listeners failed to create with the following errors: [{}]\n",
                errors.join(" ")
            ));
            continue;
        }
        forwarded.push((local, remote));
        for address in ok_here {
            out.push_out(format!(
                "Forwarding from {} -> {remote}\n",
                join_host_port(&address, local)
            ));
            if !bound.contains(&address) {
                bound.push(address);
            }
        }
    }
    if forwarded.is_empty() {
        let list: Vec<String> = ports.iter().map(|(l, r)| format!("{{{l} {r}}}")).collect();
        let mut text = out.chunks.into_iter().map(|(_, t)| t).collect::<String>();
        text.push_str(&format!(
            "error: unable to listen on any of the requested ports: [{}]\n",
            list.join(" ")
        ));
        return Err(text);
    }
    Ok(Listening {
        addresses: bound,
        ports: forwarded,
        out,
    })
}

/// What `listen` bound, and its `Forwarding from` lines.
struct Listening {
    addresses: Vec<String>,
    ports: Vec<(u16, u16)>,
    out: Res,
}
