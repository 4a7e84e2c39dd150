//! Liveness, readiness and startup probes (exec, httpGet, tcpSocket) with the kubelet's
//! thresholds and its event texts.

use super::ContainerRt;
use super::runtime::KubeletHost;
use crate::clock::VirtualTime;
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tidepool_container::{ExecCommand, ExecLimits, HttpRequest, MountedFs, Output, Volumes};

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
    /// An exec probe's command, prepared once (scripts parsed here, not every period).
    command: Option<ExecCommand>,
    /// The spec's numbers, read once (`None`: not read yet). Probes cannot change while the
    /// pod exists. Not saved.
    #[serde(skip)]
    params: Option<Params>,
}

/// A probe's period, thresholds and timeout, as the kubelet applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Params {
    period_s: u64,
    success_threshold: i32,
    failure_threshold: i32,
    timeout_s: u32,
}

impl Params {
    fn of(probe: &Probe) -> Params {
        Params {
            period_s: probe.period_seconds.unwrap_or(10).max(1) as u64,
            success_threshold: probe.success_threshold.unwrap_or(1).max(1),
            failure_threshold: probe.failure_threshold.unwrap_or(3).max(1),
            timeout_s: probe.timeout_seconds.unwrap_or(1).max(1) as u32,
        }
    }
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
            params: Some(Params::of(probe)),
            command: probe
                .exec
                .as_ref()
                .map(|e| ExecCommand::new(e.command.as_deref().unwrap_or_default())),
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
#[allow(clippy::too_many_arguments)]
fn check(
    rt: &mut ContainerRt,
    c: &Container,
    kind: ProbeKind,
    timeout: u32,
    command: Option<&ExecCommand>,
    volumes: &mut Volumes,
    host: &mut KubeletHost<'_>,
    ip: &str,
) -> Result<(), String> {
    let now = host.now.as_millis();
    let image = rt.image;
    let Some(process) = rt.process.as_mut() else {
        return Err("container not running".to_owned());
    };
    if let Some(command) = command {
        let mut fs = MountedFs::new(&mut rt.fs, volumes, &rt.mounts, image);
        return match process.exec(command, &mut fs, host, ExecLimits::probe(timeout)) {
            Ok(out) if out.exit_code == Some(0) => Ok(()),
            Ok(out) if out.exit_code.is_none() => Err(format!(
                "command \"{}\" timed out",
                command.argv().join(" ")
            )),
            Ok(out) => Err(out.combined().trim_end().to_owned()),
            Err(e) => Err(e.to_string()),
        };
    }
    // Only exec probes skip the spec (they are the ones that run by the thousand).
    let Some(probe) = kind.spec(c) else {
        return Ok(());
    };
    if let Some(http) = &probe.http_get {
        let port = port_number(c, &http.port).unwrap_or(0);
        let host_name = http.host.clone().unwrap_or_else(|| ip.to_owned());
        let path = http.path.clone().unwrap_or_else(|| "/".to_owned());
        let scheme = http
            .scheme
            .as_deref()
            .unwrap_or("HTTP")
            .to_ascii_lowercase();
        let request = HttpRequest {
            method: "GET".to_owned(),
            path: path.clone(),
            host: format!("{host_name}:{port}"),
            user_agent: "kube-probe/1.32".to_owned(),
            client_ip: host.client_ip,
        };
        let mut out = Output::default();
        let fs = MountedFs::new(&mut rt.fs, volumes, &rt.mounts, image);
        let response = u16::try_from(port)
            .ok()
            .and_then(|p| process.serve_http(&fs, now, p, &request, &mut out));
        super::push_output(rt, host.now, &out);
        return match response {
            None => Err(format!(
                "Get \"{scheme}://{host_name}:{port}{path}\": dial tcp {host_name}:{port}: connect: connection refused"
            )),
            Some(r) if (200..400).contains(&r.status) => Ok(()),
            Some(r) => Err(format!("HTTP probe failed with statuscode: {}", r.status)),
        };
    }
    if let Some(tcp) = &probe.tcp_socket {
        let port = port_number(c, &tcp.port).unwrap_or(0);
        let host_name = tcp.host.clone().unwrap_or_else(|| ip.to_owned());
        return if u16::try_from(port).is_ok_and(|p| process.listens_on(p)) {
            Ok(())
        } else {
            Err(format!(
                "dial tcp {host_name}:{port}: connect: connection refused"
            ))
        };
    }
    Ok(())
}

/// Runs every probe that is due at `now`.
pub(super) fn run_due(
    rt: &mut ContainerRt,
    c: &Container,
    volumes: &mut Volumes,
    host: &mut KubeletHost<'_>,
    ip: &str,
    now: VirtualTime,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut probes = std::mem::take(&mut rt.probes);
    for state in &mut probes {
        if state.next_at > now || outcome.kill.is_some() {
            continue;
        }
        let params = match state.params {
            Some(params) => params,
            None => {
                let Some(probe) = state.kind.spec(c) else {
                    continue;
                };
                *state.params.insert(Params::of(probe))
            }
        };
        state.next_at = now.saturating_add(Duration::from_secs(params.period_s));
        // Liveness and readiness wait for the startup probe.
        if state.kind != ProbeKind::Startup && !rt.started {
            continue;
        }
        if state.kind == ProbeKind::Startup && rt.started {
            continue;
        }
        let Params {
            success_threshold,
            failure_threshold,
            timeout_s,
            ..
        } = params;
        let command = state.command.as_ref();
        match check(rt, c, state.kind, timeout_s, command, volumes, host, ip) {
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
