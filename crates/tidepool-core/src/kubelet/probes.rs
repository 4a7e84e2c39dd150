//! Liveness, readiness and startup probes (exec, httpGet, tcpSocket) with the kubelet's
//! thresholds and its event texts.

use super::ContainerRt;
use super::process;
use crate::clock::VirtualTime;
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeKind {
    fn title(self) -> &'static str {
        match self {
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
            ProbeKind::Startup => "Startup",
        }
    }

    fn spec(self, c: &Container) -> Option<&Probe> {
        match self {
            ProbeKind::Liveness => c.liveness_probe.as_ref(),
            ProbeKind::Readiness => c.readiness_probe.as_ref(),
            ProbeKind::Startup => c.startup_probe.as_ref(),
        }
    }
}

/// One probe's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeRt {
    pub kind: ProbeKind,
    pub next_at: VirtualTime,
    successes: i32,
    failures: i32,
}

/// What running the due probes decided.
#[derive(Debug, Default)]
pub struct Outcome {
    /// `Unhealthy` event messages.
    pub events: Vec<String>,
    /// A liveness or startup probe failed past its threshold: restart the container.
    pub kill: Option<ProbeKind>,
    /// Ready or started changed.
    pub changed: bool,
}

/// The probes a container starting at `now` runs.
pub fn for_container(c: &Container, now: VirtualTime) -> Vec<ProbeRt> {
    [
        ProbeKind::Startup,
        ProbeKind::Liveness,
        ProbeKind::Readiness,
    ]
    .into_iter()
    .filter_map(|kind| {
        let probe = kind.spec(c)?;
        let delay = probe.initial_delay_seconds.unwrap_or(0).max(0) as u64;
        Some(ProbeRt {
            kind,
            next_at: now.saturating_add(Duration::from_secs(delay)),
            successes: 0,
            failures: 0,
        })
    })
    .collect()
}

fn port_number(c: &Container, port: &IntOrString) -> Option<i32> {
    match port {
        IntOrString::Int(n) => Some(*n),
        IntOrString::String(name) => c
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.container_port),
    }
}

/// Runs one probe: Ok on success, Err(message) on failure.
fn check(
    rt: &mut ContainerRt,
    c: &Container,
    probe: &Probe,
    ip: &str,
    now: VirtualTime,
) -> Result<(), String> {
    let listening = |rt: &ContainerRt, port: i32| {
        rt.process
            .as_ref()
            .is_some_and(|p| p.ports.iter().any(|l| i32::from(*l) == port))
    };
    if let Some(action) = &probe.exec {
        let argv = action.command.clone().unwrap_or_default();
        let env: Vec<(String, String)> = Vec::new();
        let image = rt.image_full.clone();
        return match process::exec(&mut rt.fs, &image, &argv, &env, now) {
            Ok(out) if out.code == 0 => Ok(()),
            Ok(out) => Err(out.stdout.trim_end().to_owned()),
            Err(e) => Err(e),
        };
    }
    if let Some(http) = &probe.http_get {
        let port = port_number(c, &http.port).unwrap_or(0);
        let host = http.host.clone().unwrap_or_else(|| ip.to_owned());
        let path = http.path.clone().unwrap_or_else(|| "/".to_owned());
        let scheme = http
            .scheme
            .as_deref()
            .unwrap_or("HTTP")
            .to_ascii_lowercase();
        if !listening(rt, port) {
            return Err(format!(
                "Get \"{scheme}://{host}:{port}{path}\": dial tcp {host}:{port}: connect: connection refused"
            ));
        }
        let nginx = rt.image_full.contains("/library/nginx:");
        let status = if nginx && !matches!(path.as_str(), "/" | "/index.html") {
            404
        } else {
            200
        };
        return if (200..400).contains(&status) {
            Ok(())
        } else {
            Err(format!("HTTP probe failed with statuscode: {status}"))
        };
    }
    if let Some(tcp) = &probe.tcp_socket {
        let port = port_number(c, &tcp.port).unwrap_or(0);
        let host = tcp.host.clone().unwrap_or_else(|| ip.to_owned());
        return if listening(rt, port) {
            Ok(())
        } else {
            Err(format!(
                "dial tcp {host}:{port}: connect: connection refused"
            ))
        };
    }
    Ok(())
}

/// Runs every probe that is due at `now`.
pub(super) fn run_due(rt: &mut ContainerRt, c: &Container, ip: &str, now: VirtualTime) -> Outcome {
    let mut outcome = Outcome::default();
    let mut probes = std::mem::take(&mut rt.probes);
    for state in &mut probes {
        if state.next_at > now || outcome.kill.is_some() {
            continue;
        }
        let Some(probe) = state.kind.spec(c) else {
            continue;
        };
        let period = probe.period_seconds.unwrap_or(10).max(1) as u64;
        state.next_at = now.saturating_add(Duration::from_secs(period));
        // Liveness and readiness wait for the startup probe.
        if state.kind != ProbeKind::Startup && !rt.started {
            continue;
        }
        if state.kind == ProbeKind::Startup && rt.started {
            continue;
        }
        let success_threshold = probe.success_threshold.unwrap_or(1).max(1);
        let failure_threshold = probe.failure_threshold.unwrap_or(3).max(1);
        match check(rt, c, probe, ip, now) {
            Ok(()) => {
                state.failures = 0;
                state.successes += 1;
                if state.successes >= success_threshold {
                    match state.kind {
                        ProbeKind::Readiness if !rt.ready => {
                            rt.ready = true;
                            outcome.changed = true;
                        }
                        ProbeKind::Startup => {
                            rt.started = true;
                            rt.ready = c.readiness_probe.is_none() && !rt.init;
                            outcome.changed = true;
                        }
                        _ => {}
                    }
                }
            }
            Err(message) => {
                state.successes = 0;
                state.failures += 1;
                outcome
                    .events
                    .push(format!("{} probe failed: {message}", state.kind.title()));
                if state.failures >= failure_threshold {
                    match state.kind {
                        ProbeKind::Readiness => {
                            if rt.ready {
                                rt.ready = false;
                                outcome.changed = true;
                            }
                        }
                        kind => {
                            state.failures = 0;
                            outcome.kill = Some(kind);
                        }
                    }
                }
            }
        }
    }
    rt.probes = probes;
    outcome
}
