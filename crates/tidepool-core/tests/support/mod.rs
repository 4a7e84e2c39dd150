//! A tiny transcript language for whole-cluster scenario tests. Each script line is a command;
//! the transcript is the commands echoed with their output, compared against a golden with
//! `expect-test` (`UPDATE_EXPECT=1 cargo test` rewrites the goldens).
//!
//! Commands:
//! - `apply` + YAML lines + `.` : apply manifests, print `kind/name created|configured|...`
//! - `create` + YAML lines + `.` : create (errors print as `Error from server (Reason): ...`)
//! - `advance <n>s|ms|m`
//! - `pods [ns]`, `rs [ns]`, `deploy [ns]`, `nodes`
//! - `events <kind> <ns> <name>`: the describe Events table (type, reason, count, from, message)
//! - `scale <kind> <ns> <name> <n>`, `set-image <ns> <deploy> <container>=<image>`
//! - `undo <ns> <deploy> [revision]`, `history <ns> <deploy>`, `pause|resume <ns> <deploy>`
//! - `delete <kind> <ns> <name> [background|foreground|orphan]`
//! - `json <kind> <ns> <name> <pointer>`: one field as JSON

#![allow(dead_code)]

use expect_test::Expect;
use std::fmt::Write as _;
use std::time::Duration;
use tidepool_core::api::{DeleteOptions, Propagation};
use tidepool_core::errors::StatusReason;
use tidepool_core::{Kind, Object, Simulation, SimulationConfig, decode_manifests, rollout};

pub fn kind_named(name: &str) -> Kind {
    match name {
        "pod" | "pods" => Kind::Pod,
        "rs" | "replicaset" => Kind::ReplicaSet,
        "rc" | "replicationcontroller" => Kind::ReplicationController,
        "deploy" | "deployment" => Kind::Deployment,
        "ds" | "daemonset" => Kind::DaemonSet,
        "svc" | "service" => Kind::Service,
        "ep" | "endpoints" => Kind::Endpoints,
        "ns" | "namespace" => Kind::Namespace,
        "node" => Kind::Node,
        "quota" | "resourcequota" => Kind::ResourceQuota,
        "cm" | "configmap" => Kind::ConfigMap,
        "sa" | "serviceaccount" => Kind::ServiceAccount,
        "job" => Kind::Job,
        "sts" | "statefulset" => Kind::StatefulSet,
        "cj" | "cronjob" => Kind::CronJob,
        other => panic!("test script names unknown kind {other}"),
    }
}

fn reason(r: StatusReason) -> &'static str {
    match r {
        StatusReason::NotFound => "NotFound",
        StatusReason::AlreadyExists => "AlreadyExists",
        StatusReason::Conflict => "Conflict",
        StatusReason::Invalid => "Invalid",
        StatusReason::Forbidden => "Forbidden",
        StatusReason::BadRequest => "BadRequest",
        StatusReason::MethodNotAllowed => "MethodNotAllowed",
        StatusReason::TooManyRequests => "TooManyRequests",
        StatusReason::InternalError => "InternalError",
    }
}

fn duration(text: &str) -> Duration {
    // Go-style compound durations: `2m6s`, `500ms`, `1m`.
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: u64 = rest[..digits].parse().unwrap_or(0);
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        total += match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            _ => Duration::from_secs(n),
        };
        rest = &rest[unit_len..];
    }
    total
}

fn age(
    sim: &Simulation,
    t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
) -> String {
    let Some(t) = t else {
        return "<unknown>".into();
    };
    let secs = sim
        .now()
        .saturating_since(tidepool_core::api::virtual_time(t))
        .as_secs();
    if secs < 120 {
        format!("{secs}s")
    } else if secs < 600 {
        let (m, s) = (secs / 60, secs % 60);
        if s == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{s}s")
        }
    } else {
        format!("{}m", secs / 60)
    }
}

/// Runs a script on a fresh default cluster and returns the transcript.
pub fn run(seed: u64, script: &str) -> String {
    let mut sim = Simulation::new(&SimulationConfig { seed });
    run_on(&mut sim, script)
}

pub fn run_on(sim: &mut Simulation, script: &str) -> String {
    let mut out = String::new();
    let mut lines = script.lines().map(str::trim_end).peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let _ = writeln!(out, "> {line}");
        // `-` stands for "no namespace" (cluster-scoped kinds).
        let words: Vec<&str> = line
            .split_whitespace()
            .map(|w| if w == "-" { "" } else { w })
            .collect();
        match words.as_slice() {
            ["apply"] | ["create"] => {
                let mut yaml = String::new();
                for l in lines.by_ref() {
                    if l.trim() == "." {
                        break;
                    }
                    yaml.push_str(l);
                    yaml.push('\n');
                }
                let yaml = dedent(&yaml);
                match decode_manifests(&yaml) {
                    Err(e) if e.is_server_side() => {
                        let _ = writeln!(out, "Error from server (BadRequest): {e}");
                    }
                    Err(e) => {
                        let _ = writeln!(out, "error: {e}");
                    }
                    Ok(objects) => {
                        for object in objects {
                            let label =
                                format!("{}/{}", object.kind().qualified_singular(), object.name());
                            let result = if words[0] == "apply" {
                                sim.api_mut().apply(object).map(|(_, o)| o.as_str())
                            } else {
                                sim.api_mut().create(object).map(|_| "created")
                            };
                            match result {
                                Ok(what) => {
                                    let _ = writeln!(out, "{label} {what}");
                                }
                                Err(e) => {
                                    let _ = writeln!(
                                        out,
                                        "Error from server ({}): {}",
                                        reason(e.reason),
                                        e.message
                                    );
                                }
                            }
                        }
                    }
                }
            }
            ["advance", d] => {
                sim.advance(duration(d));
            }
            ["pods", rest @ ..] => {
                let ns = rest.first().copied().unwrap_or("default");
                for o in sim.api().list(Kind::Pod, Some(ns)) {
                    let Some(p) = o.as_pod() else { continue };
                    let st = p.status.clone().unwrap_or_default();
                    let waiting = st
                        .container_statuses
                        .iter()
                        .flatten()
                        .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
                    let mut phase = waiting.unwrap_or_else(|| st.phase.clone().unwrap_or_default());
                    if p.metadata.deletion_timestamp.is_some() {
                        phase = "Terminating".into();
                    }
                    let ready = st
                        .container_statuses
                        .iter()
                        .flatten()
                        .filter(|c| c.ready)
                        .count();
                    let total = p.spec.as_ref().map_or(0, |s| s.containers.len());
                    let node = p
                        .spec
                        .as_ref()
                        .and_then(|s| s.node_name.clone())
                        .unwrap_or_else(|| "<none>".into());
                    let ip = st.pod_ip.clone().unwrap_or_else(|| "<none>".into());
                    let _ = writeln!(out, "{} {ready}/{total} {phase} {ip} {node}", o.name());
                }
            }
            ["rs", rest @ ..] => {
                let ns = rest.first().copied().unwrap_or("default");
                for o in sim.api().list(Kind::ReplicaSet, Some(ns)) {
                    let Some(rs) = o.as_replica_set() else {
                        continue;
                    };
                    let st = rs.status.clone().unwrap_or_default();
                    let rev = o
                        .meta()
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get("deployment.kubernetes.io/revision").cloned())
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "{} desired={} current={} ready={} rev={rev}",
                        o.name(),
                        rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0),
                        st.replicas,
                        st.ready_replicas.unwrap_or(0)
                    );
                }
            }
            ["deploy", rest @ ..] => {
                let ns = rest.first().copied().unwrap_or("default");
                for o in sim.api().list(Kind::Deployment, Some(ns)) {
                    let Some(d) = o.as_deployment() else { continue };
                    let st = d.status.clone().unwrap_or_default();
                    let conditions: Vec<String> = st
                        .conditions
                        .iter()
                        .flatten()
                        .map(|c| {
                            format!(
                                "{}={}({})",
                                c.type_,
                                c.status,
                                c.reason.clone().unwrap_or_default()
                            )
                        })
                        .collect();
                    let _ = writeln!(
                        out,
                        "{} ready={}/{} up-to-date={} available={} gen={}/{} {}",
                        o.name(),
                        st.ready_replicas.unwrap_or(0),
                        d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0),
                        st.updated_replicas.unwrap_or(0),
                        st.available_replicas.unwrap_or(0),
                        st.observed_generation.unwrap_or(0),
                        o.meta().generation.unwrap_or(0),
                        conditions.join(" ")
                    );
                }
            }
            ["jobs", rest @ ..] => {
                let ns = rest.first().copied().unwrap_or("default");
                for o in sim.api().list(Kind::Job, Some(ns)) {
                    let Some(j) = o.as_job() else { continue };
                    let st = j.status.clone().unwrap_or_default();
                    let conditions: Vec<String> = st
                        .conditions
                        .iter()
                        .flatten()
                        .map(|c| format!("{}({})", c.type_, c.reason.clone().unwrap_or_default()))
                        .collect();
                    let _ = writeln!(
                        out,
                        "{} active={} succeeded={} failed={} {}",
                        o.name(),
                        st.active.unwrap_or(0),
                        st.succeeded.unwrap_or(0),
                        st.failed.unwrap_or(0),
                        conditions.join(" ")
                    );
                }
            }
            ["nodes"] => {
                for o in sim.api().list(Kind::Node, None) {
                    let _ = writeln!(out, "{}", o.name());
                }
            }
            ["events", kind, ns, name] => match sim.api().get(kind_named(kind), ns, name) {
                Err(e) => {
                    let _ = writeln!(out, "Error from server: {}", e.message);
                }
                Ok(object) => {
                    for e in tidepool_core::events::events_for(sim.api(), &object) {
                        let count = e.count.unwrap_or(1);
                        let when = if count > 1 {
                            format!(
                                "{} (x{count} over {})",
                                age(sim, e.last_timestamp.as_ref()),
                                age(sim, e.first_timestamp.as_ref())
                            )
                        } else {
                            age(sim, e.first_timestamp.as_ref())
                        };
                        let _ = writeln!(
                            out,
                            "  {} {} {when} {} {}",
                            e.type_.unwrap_or_default(),
                            e.reason.unwrap_or_default(),
                            e.source.and_then(|s| s.component).unwrap_or_default(),
                            e.message.unwrap_or_default()
                        );
                    }
                }
            },
            ["scale", kind, ns, name, n] => {
                let n: i32 = n.parse().unwrap_or(0);
                match sim.api_mut().scale(kind_named(kind), ns, name, n) {
                    Ok(o) => {
                        let _ =
                            writeln!(out, "{}/{} scaled", o.kind().qualified_singular(), o.name());
                    }
                    Err(e) => {
                        let _ = writeln!(
                            out,
                            "Error from server ({}): {}",
                            reason(e.reason),
                            e.message
                        );
                    }
                }
            }
            ["set-image", ns, name, spec] => {
                let (container, image) = spec.split_once('=').unwrap_or((spec, ""));
                let patch = serde_json::json!({"spec": {"template": {"spec": {"containers": [
                    {"name": container, "image": image}]}}}});
                match sim.api_mut().patch(
                    Kind::Deployment,
                    ns,
                    name,
                    tidepool_core::PatchType::Strategic,
                    &patch,
                ) {
                    Ok(_) => {
                        let _ = writeln!(out, "deployment.apps/{name} image updated");
                    }
                    Err(e) => {
                        let _ = writeln!(out, "error: {}", e.message);
                    }
                }
            }
            ["undo", ns, name, rest @ ..] => {
                let rev: i64 = rest.first().and_then(|r| r.parse().ok()).unwrap_or(0);
                match rollout::rollback(sim.api_mut(), ns, name, rev) {
                    Ok(rollout::RollbackOutcome::RolledBack) => {
                        let _ = writeln!(out, "deployment.apps/{name} rolled back");
                    }
                    Ok(rollout::RollbackOutcome::Skipped(r)) => {
                        let _ = writeln!(
                            out,
                            "deployment.apps/{name} skipped rollback (current template already matches revision {r})"
                        );
                    }
                    Err(e) => {
                        let _ = writeln!(out, "error: {e}");
                    }
                }
            }
            ["history", ns, name] => match rollout::history(sim.api(), ns, name) {
                Ok(revs) => {
                    let _ = writeln!(out, "REVISION CHANGE-CAUSE");
                    for (r, cause) in revs {
                        let _ = writeln!(out, "{r} {}", cause.unwrap_or_else(|| "<none>".into()));
                    }
                }
                Err(e) => {
                    let _ = writeln!(out, "error: {}", e.message);
                }
            },
            [verb @ ("pause" | "resume"), ns, name] => {
                match rollout::set_paused(sim.api_mut(), ns, name, *verb == "pause") {
                    Ok(_) => {
                        let _ = writeln!(out, "deployment.apps/{name} {verb}d");
                    }
                    Err(e) => {
                        let _ = writeln!(out, "error: {}", e.message);
                    }
                }
            }
            ["delete", kind, ns, name, rest @ ..] => {
                let propagation = match rest.first().copied() {
                    Some("foreground") => Propagation::Foreground,
                    Some("orphan") => Propagation::Orphan,
                    _ => Propagation::Background,
                };
                let opts = DeleteOptions {
                    propagation,
                    grace_period_seconds: None,
                };
                let kind = kind_named(kind);
                match sim.api_mut().delete(kind, ns, name, &opts) {
                    Ok(_) => {
                        let _ = writeln!(out, "{} \"{name}\" deleted", kind.name().to_lowercase());
                    }
                    Err(e) => {
                        let _ = writeln!(
                            out,
                            "Error from server ({}): {}",
                            reason(e.reason),
                            e.message
                        );
                    }
                }
            }
            ["json", kind, ns, name, pointer] => {
                let value = sim
                    .api()
                    .get(kind_named(kind), ns, name)
                    .map(|o| o.to_json().pointer(pointer).cloned().unwrap_or_default());
                match value {
                    Ok(v) => {
                        let _ = writeln!(out, "{v}");
                    }
                    Err(e) => {
                        let _ = writeln!(out, "Error from server: {}", e.message);
                    }
                }
            }
            ["add-node", name, cpu, memory] => {
                let node = tidepool_core::NodeConfig {
                    cpu: (*cpu).to_owned(),
                    memory: (*memory).to_owned(),
                    ..tidepool_core::NodeConfig::worker(name)
                };
                match sim.add_node(&node) {
                    Ok(_) => {
                        let _ = writeln!(out, "node/{name} added");
                    }
                    Err(e) => {
                        let _ = writeln!(out, "error: {}", e.message);
                    }
                }
            }
            ["endpoints", ns, name] => match sim.api().get(Kind::Endpoints, ns, name) {
                Ok(Object::Endpoints(ep)) => {
                    for subset in ep.subsets.iter().flatten() {
                        let ips =
                            |list: &Option<Vec<k8s_openapi::api::core::v1::EndpointAddress>>| {
                                list.iter()
                                    .flatten()
                                    .map(|a| a.ip.clone())
                                    .collect::<Vec<_>>()
                                    .join(",")
                            };
                        let ports: Vec<String> = subset
                            .ports
                            .iter()
                            .flatten()
                            .map(|p| p.port.to_string())
                            .collect();
                        let _ = writeln!(
                            out,
                            "ready=[{}] notReady=[{}] ports=[{}]",
                            ips(&subset.addresses),
                            ips(&subset.not_ready_addresses),
                            ports.join(",")
                        );
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = writeln!(out, "Error from server: {}", e.message);
                }
            },
            [verb @ ("silence" | "revive"), node] => {
                if let Err(e) = sim.set_node_reporting(node, *verb == "revive") {
                    let _ = writeln!(out, "error: {}", e.message);
                }
            }
            other => panic!("unknown test command {other:?}"),
        }
    }
    out
}

fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The one golden-test helper: run `script` with seed 7 on the default cluster and compare.
pub fn check(script: &str, expect: Expect) {
    expect.assert_eq(&run(7, script));
}

/// Every object as JSON, for byte-for-byte comparisons.
pub fn dump(sim: &Simulation) -> String {
    sim.api()
        .store()
        .all()
        .map(|o| o.to_json().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn object_names(objects: &[Object]) -> Vec<String> {
    objects.iter().map(|o| o.name().to_owned()).collect()
}
