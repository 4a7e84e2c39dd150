//! **Kubelet stand-in.** A minimal, replaceable pod-lifecycle stage so pods do not sit in
//! `ContainerCreating` forever until the real kubelet issue lands. It only does:
//!
//! 1. bound pod -> `ContainerCreating` (hostIP, startTime, waiting container statuses);
//! 2. after a short seeded delay (1-3 s) -> `Running`, every container ready, a pod IP from the node's
//!    podCIDR, all pod conditions True;
//! 3. pod marked for deletion on a node -> removed after min(grace period, 2 s);
//! 4. pods with `restartPolicy` Never/OnFailure (Job pods) "run" and exit: `sleep N` in the
//!    command runs N seconds (else 3 s), `exit N` or a bare `false` sets the exit code, and the
//!    pod ends Succeeded (0) or Failed.
//!
//! No probes, restarts, image pulls, logs or kubelet events. The real kubelet replaces this
//! module: it reads pods bound to its node ([`bound_pods`]), follows the watch stream
//! ([`crate::ApiServer::watch`]) and writes status with [`crate::ApiServer::update_status`].

use crate::api::{ApiServer, timestamp};
use crate::clock::VirtualTime;
use crate::naming;
use crate::objects::{Kind, Object, ObjectKey};
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// How long a bound pod stays in ContainerCreating: 1-3 s in 100 ms steps, drawn from the
/// seeded RNG. The steps batch status updates, so controllers sync once per step rather than
/// once per pod when thousands of pods start together.
const START_DELAY_MIN_MS: u64 = 1_000;
const START_DELAY_STEPS: u64 = 21;
const START_DELAY_STEP_MS: u64 = 100;
/// How long a terminating pod lingers on its node (capped by its grace period).
const STOP_DELAY_MS: u64 = 2_000;

/// Pods bound to `node`, in name order (what a kubelet would sync).
pub fn bound_pods<'a>(api: &'a ApiServer, node: &'a str) -> impl Iterator<Item = &'a Pod> + 'a {
    api.store()
        .list(Kind::Pod, None)
        .filter_map(Object::as_pod)
        .filter(move |p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node))
}

/// Per-pod start deadlines (by uid) and per-node IP cursors.
#[derive(Debug, Clone, Default)]
pub struct PodLifecycle {
    start_at: BTreeMap<String, VirtualTime>,
    /// Run-to-completion pods: when their containers exit, and with which code.
    finish_at: BTreeMap<String, (VirtualTime, i32)>,
    next_ip: BTreeMap<String, u32>,
    /// Nodes whose IP cursor has wrapped around: only these need a scan for addresses in use.
    wrapped: BTreeSet<String>,
    /// Start containers without delay (used while bootstrapping the default cluster).
    pub instant: bool,
    /// Nodes whose kubelet is silent: nothing on them starts or finishes terminating.
    pub silent_nodes: BTreeSet<String>,
}

/// What the stage wants next for a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Idle,
    At(VirtualTime),
}

fn condition(type_: &str, status: &str, now: &VirtualTime) -> PodCondition {
    PodCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        last_transition_time: Some(timestamp(*now)),
        ..PodCondition::default()
    }
}

/// The pod's existing condition of this type (keeping its transition time), or a new True one.
fn kept_condition(status: &PodStatus, type_: &str, now: &VirtualTime) -> PodCondition {
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == type_)
        .cloned()
        .unwrap_or_else(|| condition(type_, "True", now))
}

fn full_image(image: &str) -> String {
    let with_tag = if image
        .rsplit('/')
        .next()
        .is_some_and(|l| l.contains(':') || l.contains('@'))
    {
        image.to_owned()
    } else {
        format!("{image}:latest")
    };
    let first = with_tag.split('/').next().unwrap_or("");
    if !with_tag.contains('/') {
        format!("docker.io/library/{with_tag}")
    } else if first.contains('.') || first.contains(':') || first == "localhost" {
        with_tag
    } else {
        format!("docker.io/{with_tag}")
    }
}

fn hex64(seed: &str, salt: u32) -> String {
    (0..8u32)
        .map(|i| {
            format!(
                "{:08x}",
                naming::fnv32a(seed.as_bytes(), naming::FNV32_OFFSET ^ (salt + i))
            )
        })
        .collect()
}

impl PodLifecycle {
    pub(crate) fn to_state(&self) -> serde_json::Value {
        let start_at: Vec<(&String, u64)> = self
            .start_at
            .iter()
            .map(|(k, v)| (k, v.as_millis()))
            .collect();
        let finish_at: Vec<(&String, u64, i32)> = self
            .finish_at
            .iter()
            .map(|(k, (t, c))| (k, t.as_millis(), *c))
            .collect();
        serde_json::json!({ "startAt": start_at, "finishAt": finish_at, "nextIp": self.next_ip })
    }

    pub(crate) fn from_state(state: &serde_json::Value) -> Self {
        let start_at: Vec<(String, u64)> = state
            .get("startAt")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let finish_at: Vec<(String, u64, i32)> = state
            .get("finishAt")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let next_ip: BTreeMap<String, u32> = state
            .get("nextIp")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        Self {
            finish_at: finish_at
                .into_iter()
                .map(|(k, t, c)| (k, (VirtualTime::from_millis(t), c)))
                .collect(),
            start_at: start_at
                .into_iter()
                .map(|(k, v)| (k, VirtualTime::from_millis(v)))
                .collect(),
            next_ip: next_ip.clone(),
            // After a restore, scan to be safe.
            wrapped: next_ip.keys().cloned().collect(),
            instant: false,
            silent_nodes: BTreeSet::new(),
        }
    }

    /// Advances one pod through the stage. Returns when it wants to run again.
    pub fn reconcile(&mut self, api: &mut ApiServer, key: &ObjectKey) -> Next {
        let Some(Object::Pod(pod)) = api.store().get(key).cloned() else {
            return Next::Idle;
        };
        let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
            return Next::Idle;
        };
        if self.silent_nodes.contains(&node_name) {
            return Next::Idle;
        }
        let now = api.now();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        if let Some(deleted) = pod.metadata.deletion_timestamp.as_ref() {
            let grace = pod
                .metadata
                .deletion_grace_period_seconds
                .unwrap_or(0)
                .max(0) as u64;
            let linger = if self.instant {
                0
            } else {
                (grace * 1000).min(STOP_DELAY_MS)
            };
            let due =
                crate::api::virtual_time(deleted).saturating_add(Duration::from_millis(linger));
            if now >= due {
                api.remove_now(key);
                self.start_at.remove(&uid);
                self.finish_at.remove(&uid);
                return Next::Idle;
            }
            return Next::At(due);
        }
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default();
        let restart = pod
            .spec
            .as_ref()
            .and_then(|s| s.restart_policy.clone())
            .unwrap_or_else(|| "Always".to_owned());
        if phase == "Running" && restart != "Always" {
            let (due, code) = *self.finish_at.entry(uid.clone()).or_insert_with(|| {
                let (secs, code) = run_plan(&pod);
                (now.saturating_add(Duration::from_secs(secs)), code)
            });
            if now < due {
                return Next::At(due);
            }
            self.finish_at.remove(&uid);
            write_finished(api, pod, code, now);
            return Next::Idle;
        }
        if phase != "Pending" {
            return Next::Idle;
        }
        let Some(node) = api
            .store()
            .get(&ObjectKey::new(Kind::Node, "", &node_name))
            .and_then(Object::as_node)
            .cloned()
        else {
            return Next::Idle;
        };
        let host_ip = node
            .status
            .as_ref()
            .and_then(|s| s.addresses.as_ref())
            .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
            .map(|a| a.address.clone())
            .unwrap_or_default();
        let due = match self.start_at.get(&uid) {
            Some(due) => *due,
            None => {
                let delay = if self.instant {
                    0
                } else {
                    START_DELAY_MIN_MS + START_DELAY_STEP_MS * api.rng().below(START_DELAY_STEPS)
                };
                let due = now.saturating_add(Duration::from_millis(delay));
                self.start_at.insert(uid.clone(), due);
                self.write_creating(api, &pod, &host_ip, now);
                due
            }
        };
        if now < due {
            return Next::At(due);
        }
        let Some(Object::Pod(pod)) = api.store().get(key).cloned() else {
            return Next::Idle;
        };
        let host_network = pod.spec.as_ref().and_then(|s| s.host_network) == Some(true);
        let pod_ip = if host_network {
            host_ip.clone()
        } else {
            self.allocate_ip(
                api,
                &node_name,
                node.spec.as_ref().and_then(|s| s.pod_cidr.clone()),
            )
        };
        self.write_running(api, pod, &host_ip, &pod_ip, now);
        self.start_at.remove(&uid);
        Next::Idle
    }

    fn write_creating(&self, api: &mut ApiServer, pod: &Pod, host_ip: &str, now: VirtualTime) {
        let mut pod = pod.clone();
        let containers = pod
            .spec
            .as_ref()
            .map(|s| s.containers.clone())
            .unwrap_or_default();
        let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
        let st = pod.status.get_or_insert_with(Default::default);
        st.host_ip = Some(host_ip.to_owned());
        st.host_ips = Some(vec![HostIP {
            ip: host_ip.to_owned(),
        }]);
        st.start_time = Some(timestamp(now));
        let unready = format!("containers with unready status: [{}]", names.join(" "));
        let mut ready = condition("Ready", "False", &now);
        ready.reason = Some("ContainersNotReady".to_owned());
        ready.message = Some(unready.clone());
        let mut containers_ready = condition("ContainersReady", "False", &now);
        containers_ready.reason = Some("ContainersNotReady".to_owned());
        containers_ready.message = Some(unready);
        let scheduled = kept_condition(st, "PodScheduled", &now);
        st.conditions = Some(vec![
            condition("PodReadyToStartContainers", "False", &now),
            condition("Initialized", "True", &now),
            ready,
            containers_ready,
            scheduled,
        ]);
        st.container_statuses = Some(
            containers
                .iter()
                .map(|c| ContainerStatus {
                    name: c.name.clone(),
                    image: c.image.clone().unwrap_or_default(),
                    image_id: String::new(),
                    ready: false,
                    started: Some(false),
                    restart_count: 0,
                    state: Some(ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some("ContainerCreating".to_owned()),
                            message: None,
                        }),
                        ..ContainerState::default()
                    }),
                    ..ContainerStatus::default()
                })
                .collect(),
        );
        api.put_raw(Object::Pod(pod));
    }

    fn write_running(
        &self,
        api: &mut ApiServer,
        mut pod: Pod,
        host_ip: &str,
        ip: &str,
        now: VirtualTime,
    ) {
        let containers = pod
            .spec
            .as_ref()
            .map(|s| s.containers.clone())
            .unwrap_or_default();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let st = pod.status.get_or_insert_with(Default::default);
        st.phase = Some("Running".to_owned());
        st.pod_ip = Some(ip.to_owned());
        st.pod_ips = Some(vec![PodIP { ip: ip.to_owned() }]);
        st.host_ip = Some(host_ip.to_owned());
        let scheduled = kept_condition(st, "PodScheduled", &now);
        let initialized = kept_condition(st, "Initialized", &now);
        st.conditions = Some(vec![
            condition("PodReadyToStartContainers", "True", &now),
            initialized,
            condition("Ready", "True", &now),
            condition("ContainersReady", "True", &now),
            scheduled,
        ]);
        st.container_statuses = Some(
            containers
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let image = c.image.clone().unwrap_or_default();
                    let full = full_image(&image);
                    let repo = full.rsplit_once(':').map_or(full.as_str(), |(r, _)| r);
                    ContainerStatus {
                        name: c.name.clone(),
                        image: full.clone(),
                        image_id: format!("{repo}@sha256:{}", hex64(&full, 7)),
                        container_id: Some(format!(
                            "containerd://{}",
                            hex64(&uid, i as u32 * 31 + 1)
                        )),
                        ready: true,
                        started: Some(true),
                        restart_count: 0,
                        state: Some(ContainerState {
                            running: Some(ContainerStateRunning {
                                started_at: Some(timestamp(now)),
                            }),
                            ..ContainerState::default()
                        }),
                        ..ContainerStatus::default()
                    }
                })
                .collect(),
        );
        api.put_raw(Object::Pod(pod));
    }

    fn allocate_ip(&mut self, api: &ApiServer, node: &str, cidr: Option<String>) -> String {
        let base = cidr
            .as_deref()
            .and_then(|c| c.split('/').next())
            .and_then(|ip| ip.parse::<std::net::Ipv4Addr>().ok())
            .map_or(u32::from(std::net::Ipv4Addr::new(10, 244, 0, 0)), u32::from);
        let used: BTreeSet<String> = if self.wrapped.contains(node) {
            bound_pods(api, node)
                .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
                .collect()
        } else {
            BTreeSet::new()
        };
        let cursor = self.next_ip.entry(node.to_owned()).or_insert(2);
        for _ in 0..253 {
            let ip = std::net::Ipv4Addr::from(base + *cursor).to_string();
            if *cursor >= 254 {
                *cursor = 2;
                self.wrapped.insert(node.to_owned());
            } else {
                *cursor += 1;
            }
            if !used.contains(&ip) {
                return ip;
            }
        }
        std::net::Ipv4Addr::from(base + 255).to_string()
    }
}

/// How long a run-to-completion pod runs and its exit code, read from its command line.
fn run_plan(pod: &Pod) -> (u64, i32) {
    let words: Vec<String> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .flat_map(|c| c.command.iter().flatten().chain(c.args.iter().flatten()))
        .flat_map(|part| {
            part.split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let number_after = |word: &str| {
        words
            .iter()
            .position(|w| w == word)
            .and_then(|i| words.get(i + 1))
            .and_then(|n| n.parse::<f64>().ok())
    };
    let secs = number_after("sleep").map_or(3, |s| s.max(0.0).ceil() as u64);
    let code =
        number_after("exit")
            .map(|c| c as i32)
            .unwrap_or(if words.iter().any(|w| w == "false") {
                1
            } else {
                0
            });
    (secs.min(86_400), code)
}

fn write_finished(api: &mut ApiServer, mut pod: Pod, code: i32, now: VirtualTime) {
    let succeeded = code == 0;
    let st = pod.status.get_or_insert_with(Default::default);
    st.phase = Some(if succeeded { "Succeeded" } else { "Failed" }.to_owned());
    for c in st.conditions.iter_mut().flatten() {
        if matches!(
            c.type_.as_str(),
            "Ready" | "ContainersReady" | "PodReadyToStartContainers"
        ) {
            c.status = "False".to_owned();
            c.last_transition_time = Some(timestamp(now));
            if c.type_ != "PodReadyToStartContainers" {
                c.reason = Some("PodCompleted".to_owned());
            }
        }
    }
    for cs in st.container_statuses.iter_mut().flatten() {
        let started = cs
            .state
            .as_ref()
            .and_then(|s| s.running.as_ref())
            .and_then(|r| r.started_at.clone());
        cs.ready = false;
        cs.started = Some(false);
        cs.state = Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: code,
                reason: Some(if succeeded { "Completed" } else { "Error" }.to_owned()),
                started_at: started,
                finished_at: Some(timestamp(now)),
                container_id: cs.container_id.clone(),
                message: None,
                signal: None,
            }),
            ..ContainerState::default()
        });
    }
    api.put_raw(Object::Pod(pod));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_normalised_like_containerd() {
        assert_eq!(full_image("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(full_image("nginx:1.14.2"), "docker.io/library/nginx:1.14.2");
        assert_eq!(full_image("bitnami/redis:7"), "docker.io/bitnami/redis:7");
        assert_eq!(
            full_image("registry.k8s.io/coredns/coredns:v1.11.3"),
            "registry.k8s.io/coredns/coredns:v1.11.3"
        );
    }
}
