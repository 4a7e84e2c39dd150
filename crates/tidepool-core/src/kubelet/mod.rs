//! The simulated kubelet: one per node, run by [`crate::Simulation`] through
//! `Work::Lifecycle(pod key)` timers. Each [`Kubelet::reconcile`] compares what the pod asks
//! for with what the node runs, moves one step (pull an image, start, probe, restart, stop),
//! writes the pod's status through [`ApiServer::update_status`] when it changed, records
//! kubelet events, and says when it next needs to run.
//!
//! Modules: [`images`] (registry, pull errors), [`runtime`] (the containers' Host, env, volumes),
//! [`logs`] (bounded log buffers), [`probes`] (liveness/readiness/startup), [`static_pods`]
//! (per-node manifest folders and mirror pods).

pub mod images;
pub mod logs;
pub mod probes;
pub mod runtime;
pub mod static_pods;
mod table;

pub use table::PodKey;

use crate::api::{ApiServer, timestamp, virtual_time};
use crate::clock::VirtualTime;
use crate::events::{EventRecorder, EventType, Source};
use crate::naming;
use crate::objects::{Kind, Object, ObjectKey};
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use logs::LogBuffer;
use probes::{ProbeKind, ProbeRt};
use runtime::{KubeletHost, PodPeers};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tidepool_container::{
    ContainerSpec, ExecCommand, ExecLimits, Fs, Image, Mount, MountedFs, Output, PodIdentity,
    Process, ProcessState, Signal, Volumes,
};

/// How long creating a pod sandbox takes: 0.5-1.5 s in 100 ms steps (seeded). The steps batch
/// status updates when thousands of pods start together.
const SANDBOX_MIN_MS: u64 = 500;
const SANDBOX_STEPS: u64 = 11;
const SANDBOX_STEP_MS: u64 = 100;
/// The kubelet notices an exited container at its next relist (PLEG, every second).
const RELIST_MS: u64 = 1_000;
/// Restart back-off: 10 s doubling to 300 s; reset after 10 minutes of running.
const BACKOFF_START_S: u64 = 10;
const BACKOFF_MAX_S: u64 = 300;
const BACKOFF_RESET_MS: u64 = 600_000;
/// Exit code of a container killed by SIGKILL (and by the OOM killer).
const SIGKILL_EXIT: i32 = 137;

/// Pods bound to `node`, in name order (what a kubelet would sync).
pub fn bound_pods<'a>(api: &'a ApiServer, node: &'a str) -> impl Iterator<Item = &'a Pod> + 'a {
    api.store()
        .list(Kind::Pod, None)
        .filter_map(Object::as_pod)
        .filter(move |p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node))
}

/// What the kubelet wants next for a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Idle,
    At(VirtualTime),
}

/// A finished container instance (what `state.terminated` / `lastState.terminated` report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terminated {
    pub exit_code: i32,
    pub reason: String,
    pub message: Option<String>,
    pub started_at: Option<VirtualTime>,
    pub finished_at: VirtualTime,
    pub container_id: String,
}

/// Where a container is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Phase {
    /// Waiting for earlier init containers.
    Blocked,
    /// Needs its image before it can start.
    NeedImage,
    Pulling {
        done_at: VirtualTime,
        waited_ms: u64,
    },
    /// The last pull failed: `ErrImagePull`, then `ImagePullBackOff` until `retry_at`.
    PullFailed {
        error: String,
        retry_at: VirtualTime,
        backing_off: bool,
    },
    /// The container could not start (missing executable).
    CrashBackOff {
        until: VirtualTime,
    },
    Running {
        started_at: VirtualTime,
    },
    /// Signalled (SIGTERM); SIGKILL at `kill_at`.
    Stopping {
        started_at: VirtualTime,
        kill_at: VirtualTime,
        /// Restart afterwards (a failed liveness probe) rather than stay stopped.
        restart: bool,
    },
    Exited {
        finished: Terminated,
        /// When to act on the exit (restart or back off), if the policy restarts it.
        act_at: Option<VirtualTime>,
    },
}

/// One container of a pod, as the node runs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ContainerRt {
    name: String,
    init: bool,
    phase: Phase,
    restart_count: i32,
    last: Option<Terminated>,
    /// Current restart back-off in seconds (None: the next restart is immediate).
    backoff_s: Option<u64>,
    pull_backoff_s: Option<u64>,
    container_id: String,
    image_full: String,
    image_id: String,
    image: Option<Image>,
    process: Option<Process>,
    fs: Fs,
    mounts: Vec<Mount>,
    /// Output after the last newline (a log line in progress).
    partial: String,
    /// When the main process next needs CPU (`None`: idle until signalled or asked).
    #[serde(default)]
    due: Option<VirtualTime>,
    ready: bool,
    started: bool,
    probes: Vec<ProbeRt>,
    logs: LogBuffer,
    previous_logs: Option<LogBuffer>,
    /// `limits.memory` in bytes, read from the spec once (`None`: not read yet). Container
    /// resources cannot change while the pod exists. Not saved.
    #[serde(skip)]
    memory_limit: Option<Option<u64>>,
}

/// One pod on a node.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PodRt {
    key: ObjectKey,
    uid: String,
    node: String,
    host_ip: String,
    sandbox_at: VirtualTime,
    ip: Option<String>,
    init: Vec<ContainerRt>,
    app: Vec<ContainerRt>,
    /// Ephemeral containers (`kubectl debug`), started once each, in the order added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ephemeral: Vec<ContainerRt>,
    /// Init containers that finished successfully.
    init_done: usize,
    /// An init container failed and the policy does not restart it.
    failed_init: bool,
    /// The pod's volumes, shared by its containers.
    volumes: Volumes,
    /// Volumes backed by a node directory (hostPath, or a hostPath/local PersistentVolume):
    /// (volume name, node, path). Their files are written back to `Kubelet::host_dirs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    host_volumes: Vec<(String, String, String)>,
    #[serde(skip)]
    changed: bool,
}

/// The kubelets of every node.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Kubelet {
    /// Runtime state by pod (saved as a uid -> state map).
    pods: table::PodTable,
    /// Images present on each node (fully-qualified).
    images: BTreeMap<String, BTreeSet<String>>,
    next_ip: BTreeMap<String, u32>,
    /// Nodes whose IP cursor has wrapped around: only these need a scan for addresses in use.
    /// Not saved: after a restore every node scans, which picks the same addresses.
    #[serde(skip)]
    wrapped: BTreeSet<String>,
    /// Round-robin cursor for Service traffic.
    cursor: u64,
    /// Each node's `/etc/kubernetes/manifests` (file name -> text).
    pub(crate) manifests: BTreeMap<String, BTreeMap<String, String>>,
    /// Start containers without delay (used while bootstrapping the default cluster).
    #[serde(skip)]
    pub instant: bool,
    /// Nodes whose kubelet is silent: nothing on them starts or finishes terminating.
    #[serde(skip)]
    pub silent_nodes: BTreeSet<String>,
    /// Read-only files every container of an image starts with, by image reference, shared
    /// by those containers' root filesystems (copy on write). A cache: not saved.
    #[serde(skip)]
    image_roots: BTreeMap<String, Fs>,
    /// The service-account volume's files common to a namespace (`namespace`, `ca.crt`), shared
    /// by its pods' volumes (each adds its own token). A cache: not saved.
    #[serde(skip)]
    service_account_bases: BTreeMap<String, Fs>,
    /// Node directories that hostPath volumes (and hostPath/local PersistentVolumes) expose,
    /// by node then path; `""` as the node holds network volumes any node reaches (by PV).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    host_dirs: BTreeMap<String, BTreeMap<String, Fs>>,
}

fn condition(type_: &str, status: &str, now: VirtualTime) -> PodCondition {
    PodCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        last_transition_time: Some(timestamp(now)),
        ..PodCondition::default()
    }
}

fn hex64(seed: &str, salt: u64) -> String {
    (0..8u32)
        .map(|i| {
            format!(
                "{:08x}",
                naming::fnv32a(seed.as_bytes(), naming::FNV32_OFFSET ^ (salt as u32 + i))
            )
        })
        .collect()
}

/// `name_namespace(uid)`, the kubelet's `format.Pod`.
fn pod_ref(pod: &Pod) -> String {
    format!(
        "{}_{}({})",
        pod.metadata.name.as_deref().unwrap_or(""),
        pod.metadata.namespace.as_deref().unwrap_or("default"),
        pod.metadata.uid.as_deref().unwrap_or("")
    )
}

fn memory_limit(c: &Container) -> Option<u64> {
    let limit = c.resources.as_ref()?.limits.as_ref()?.get("memory")?;
    let amount = crate::quantity::parse(&limit.0)?;
    u64::try_from(amount.milli / 1000).ok()
}

/// `limits.cpu` in millicores (`200m` -> 200, `1` -> 1000); the process is throttled to it.
fn cpu_limit_millicores(c: &Container) -> Option<u64> {
    let limit = c.resources.as_ref()?.limits.as_ref()?.get("cpu")?;
    let amount = crate::quantity::parse(&limit.0)?;
    u64::try_from(amount.milli).ok()
}

impl ContainerRt {
    fn new(c: &Container, init: bool, blocked: bool) -> Self {
        ContainerRt {
            name: c.name.clone(),
            init,
            phase: if blocked {
                Phase::Blocked
            } else {
                Phase::NeedImage
            },
            restart_count: 0,
            last: None,
            backoff_s: None,
            pull_backoff_s: None,
            container_id: String::new(),
            image_full: images::full_image(c.image.as_deref().unwrap_or("")),
            image_id: String::new(),
            image: None,
            process: None,
            fs: Fs::default(),
            mounts: Vec::new(),
            partial: String::new(),
            due: None,
            ready: false,
            started: false,
            probes: Vec::new(),
            logs: LogBuffer::default(),
            previous_logs: None,
            memory_limit: None,
        }
    }

    fn running(&self) -> bool {
        matches!(self.phase, Phase::Running { .. } | Phase::Stopping { .. })
    }

    fn exited(&self) -> Option<&Terminated> {
        match &self.phase {
            Phase::Exited { finished, .. } => Some(finished),
            _ => None,
        }
    }

    fn state(&self, default_reason: &str, pod: &Pod) -> ContainerState {
        let waiting = |reason: &str, message: Option<String>| ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.to_owned()),
                message,
            }),
            ..ContainerState::default()
        };
        match &self.phase {
            Phase::Blocked | Phase::NeedImage | Phase::Pulling { .. } => {
                waiting(default_reason, None)
            }
            Phase::PullFailed {
                error, backing_off, ..
            } => {
                if *backing_off {
                    let image = pod_image(pod, &self.name);
                    waiting(
                        "ImagePullBackOff",
                        Some(format!(
                            "Back-off pulling image \"{image}\": ErrImagePull: {error}"
                        )),
                    )
                } else {
                    waiting("ErrImagePull", Some(error.clone()))
                }
            }
            Phase::CrashBackOff { .. } => waiting(
                "CrashLoopBackOff",
                Some(format!(
                    "back-off {}s restarting failed container={} pod={}",
                    self.backoff_s.unwrap_or(BACKOFF_START_S),
                    self.name,
                    pod_ref(pod)
                )),
            ),
            Phase::Running { started_at } | Phase::Stopping { started_at, .. } => ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(timestamp(*started_at)),
                }),
                ..ContainerState::default()
            },
            Phase::Exited { finished, .. } => ContainerState {
                terminated: Some(terminated_state(finished)),
                ..ContainerState::default()
            },
        }
    }

    fn status(&self, default_reason: &str, pod: &Pod) -> ContainerStatus {
        let has_id = !self.container_id.is_empty();
        ContainerStatus {
            name: self.name.clone(),
            image: if self.image_id.is_empty() {
                pod_image(pod, &self.name)
            } else {
                self.image_full.clone()
            },
            image_id: self.image_id.clone(),
            container_id: has_id.then(|| format!("containerd://{}", self.container_id)),
            // An init container that completed successfully reports ready, like the kubelet.
            ready: self.ready || (self.init && self.exited().is_some_and(|t| t.exit_code == 0)),
            started: Some(self.started),
            restart_count: self.restart_count,
            state: Some(self.state(default_reason, pod)),
            last_state: Some(match &self.last {
                Some(t) => ContainerState {
                    terminated: Some(terminated_state(t)),
                    ..ContainerState::default()
                },
                None => ContainerState::default(),
            }),
            ..ContainerStatus::default()
        }
    }
}

fn terminated_state(t: &Terminated) -> ContainerStateTerminated {
    ContainerStateTerminated {
        exit_code: t.exit_code,
        reason: Some(t.reason.clone()),
        message: t.message.clone(),
        started_at: t.started_at.map(timestamp),
        finished_at: Some(timestamp(t.finished_at)),
        container_id: (!t.container_id.is_empty())
            .then(|| format!("containerd://{}", t.container_id)),
        signal: None,
    }
}

fn pod_image(pod: &Pod, container: &str) -> String {
    pod.spec
        .iter()
        .flat_map(|s| {
            s.init_containers
                .iter()
                .flatten()
                .chain(s.containers.iter())
        })
        .find(|c| c.name == container)
        .and_then(|c| c.image.clone())
        .or_else(|| {
            pod.spec
                .iter()
                .flat_map(|s| s.ephemeral_containers.iter().flatten())
                .find(|c| c.name == container)
                .and_then(|c| c.image.clone())
        })
        .unwrap_or_default()
}

/// Everything a step of one container needs from the pod and the cluster.
struct StepCtx<'a> {
    pod: &'a Pod,
    object: &'a Object,
    node: &'a str,
    now: VirtualTime,
    restart_policy: &'a str,
    grace_s: u64,
    ip: &'a str,
}

impl Kubelet {
    pub(crate) fn to_state(&self) -> serde_json::Value {
        // Every map key is a string, so this cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    pub(crate) fn from_state(state: &serde_json::Value) -> Self {
        let mut kubelet: Kubelet = serde_json::from_value(state.clone()).unwrap_or_default();
        // After a restore, scan for addresses in use to be safe.
        kubelet.wrapped = kubelet.next_ip.keys().cloned().collect();
        kubelet
    }

    /// Advances one pod. Returns when it wants to run again, and keeps that time as the pod's
    /// timer (see [`Kubelet::pop_wakes`]) unless an earlier one is pending.
    pub fn reconcile(
        &mut self,
        api: &mut ApiServer,
        recorder: &mut EventRecorder,
        key: &PodKey,
    ) -> Next {
        let known = self.pods.resolve(key);
        let next = self.reconcile_pod(api, recorder, key, known);
        if let Next::At(at) = next {
            self.pods.wake_at(key, at.max(api.now()));
        }
        next
    }

    /// Sets a pod's timer (restoring a snapshot) unless an earlier one is pending.
    pub fn wake_at(&mut self, key: &ObjectKey, at: VirtualTime) {
        self.pods.wake_at(&PodKey::from(key.clone()), at);
    }

    /// When the earliest pod timer is due.
    pub fn next_wake(&self) -> Option<VirtualTime> {
        self.pods.next_wake()
    }

    /// Fires the pod timers due at or before `now`, handing each pod key to `fire` (once).
    pub fn pop_wakes(&mut self, now: VirtualTime, fire: impl FnMut(PodKey)) {
        self.pods.pop_wakes(now, fire);
    }

    /// Every pending pod timer (unordered).
    pub fn pending_wakes(&self) -> impl Iterator<Item = (VirtualTime, &ObjectKey)> {
        self.pods.pending_wakes()
    }

    fn reconcile_pod(
        &mut self,
        api: &mut ApiServer,
        recorder: &mut EventRecorder,
        key: &ObjectKey,
        known: Option<table::Slot>,
    ) -> Next {
        // Most reconciles are probes of an unchanged pod: the table holds the store's object.
        self.pods.catch_up(api.store());
        let cached = known.and_then(|slot| self.pods.cached_object(slot));
        let Some(shared) = cached.or_else(|| api.store().get_shared(key)) else {
            self.pods.forget(key);
            return Next::Idle;
        };
        let Some(pod) = shared.as_pod() else {
            return Next::Idle;
        };
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
            return Next::Idle;
        };
        if self.silent_nodes.contains(node) {
            return Next::Idle;
        }
        let uid = pod.metadata.uid.as_deref().unwrap_or_default();
        let slot = self.pods.register(known, key, uid, &shared);
        let now = api.now();
        if pod.metadata.deletion_timestamp.is_some() {
            return self.stop_pod(api, recorder, key, slot, &shared, now);
        }
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if matches!(phase, Some("Succeeded" | "Failed")) && !self.pods.has_rt(slot) {
            return Next::Idle;
        }
        if !self.pods.has_rt(slot) {
            let rt = self.new_pod(api, pod, node, now);
            self.pods.insert(slot, Box::new(rt));
            if let Some(rt) = self.pods.get_mut(slot) {
                rt.changed = true;
                write_status(api, &shared, rt, now);
            }
        }
        let Some(mut rt) = self.pods.take(slot) else {
            return Next::Idle;
        };
        let wake = if now < rt.sandbox_at {
            Some(rt.sandbox_at)
        } else {
            if rt.ip.is_none() {
                let host_network = pod.spec.as_ref().and_then(|s| s.host_network) == Some(true);
                let ip = if host_network {
                    rt.host_ip.clone()
                } else {
                    let cidr = api
                        .store()
                        .get(&ObjectKey::new(Kind::Node, "", node))
                        .and_then(Object::as_node)
                        .and_then(|n| n.spec.as_ref()?.pod_cidr.clone());
                    self.allocate_ip(api, node, cidr)
                };
                rt.ip = Some(ip);
                rt.changed = true;
            }
            self.step_pod(api, recorder, &shared, pod, node, &mut rt, now)
        };
        if rt.changed {
            write_status(api, &shared, &rt, now);
            rt.changed = false;
        }
        if !rt.host_volumes.is_empty() {
            self.save_host_volumes(&rt);
        }
        self.pods.put_back(slot, rt);
        wake.map_or(Next::Idle, Next::At)
    }

    fn new_pod(&mut self, api: &mut ApiServer, pod: &Pod, node: &str, now: VirtualTime) -> PodRt {
        let host_ip = api
            .store()
            .get(&ObjectKey::new(Kind::Node, "", node))
            .and_then(Object::as_node)
            .and_then(|n| n.status.as_ref()?.addresses.as_ref())
            .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
            .map(|a| a.address.clone())
            .unwrap_or_default();
        let delay = if self.instant {
            0
        } else {
            SANDBOX_MIN_MS + SANDBOX_STEP_MS * api.rng().below(SANDBOX_STEPS)
        };
        let mut volumes = runtime::pod_volumes(api, pod, &mut self.service_account_bases);
        let host_volumes = self.mount_host_volumes(api, pod, node, &mut volumes);
        let spec = pod.spec.clone().unwrap_or_default();
        let inits = spec.init_containers.unwrap_or_default();
        let has_init = !inits.is_empty();
        PodRt {
            key: ObjectKey::new(
                Kind::Pod,
                pod.metadata.namespace.as_deref().unwrap_or("default"),
                pod.metadata.name.as_deref().unwrap_or(""),
            ),
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            node: node.to_owned(),
            host_ip,
            sandbox_at: now.saturating_add(Duration::from_millis(delay)),
            ip: None,
            init: inits
                .iter()
                .enumerate()
                .map(|(i, c)| ContainerRt::new(c, true, i > 0))
                .collect(),
            app: spec
                .containers
                .iter()
                .map(|c| ContainerRt::new(c, false, has_init))
                .collect(),
            ephemeral: Vec::new(),
            init_done: 0,
            failed_init: false,
            volumes,
            host_volumes,
            changed: true,
        }
    }

    /// Mounts the node directories behind the pod's hostPath and PersistentVolumeClaim
    /// volumes: each starts with the files the directory holds now.
    fn mount_host_volumes(
        &self,
        api: &ApiServer,
        pod: &Pod,
        node: &str,
        volumes: &mut Volumes,
    ) -> Vec<(String, String, String)> {
        let mut mounted = Vec::new();
        for (volume, dir_node, path) in runtime::host_backed_volumes(api, pod, node) {
            let fs = self
                .host_dirs
                .get(&dir_node)
                .and_then(|dirs| dirs.get(&path))
                .cloned()
                .unwrap_or_else(|| self.node_root(&dir_node, &path));
            volumes.insert(&volume, fs);
            mounted.push((volume, dir_node, path));
        }
        mounted
    }

    /// What a hostPath volume of the node's root (`/`, as `kubectl debug node/NAME` mounts at
    /// `/host`) first holds: the node's hostname and its static pod manifests. Other node
    /// directories start empty.
    fn node_root(&self, node: &str, path: &str) -> Fs {
        if path != "/" || node.is_empty() {
            return Fs::default();
        }
        let hostname = format!("{node}\n");
        let manifests: Vec<(String, &str)> = self
            .manifests
            .get(node)
            .into_iter()
            .flatten()
            .map(|(file, text)| (format!("etc/kubernetes/manifests/{file}"), text.as_str()))
            .collect();
        let mut fs = Fs::from_files(
            std::iter::once(("etc/hostname", hostname.as_str()))
                .chain(manifests.iter().map(|(f, t)| (f.as_str(), *t))),
        );
        let _ = fs.mkdir("/etc/kubernetes/manifests", true);
        fs
    }

    /// Writes a pod's node-backed volumes back to their node directories, so the next pod
    /// that mounts them reads what this one wrote.
    fn save_host_volumes(&mut self, rt: &PodRt) {
        for (volume, node, path) in &rt.host_volumes {
            if let Some(fs) = rt.volumes.get(volume) {
                self.host_dirs
                    .entry(node.clone())
                    .or_default()
                    .insert(path.clone(), fs.clone());
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn step_pod(
        &mut self,
        api: &mut ApiServer,
        recorder: &mut EventRecorder,
        object: &Object,
        pod: &Pod,
        node: &str,
        rt: &mut PodRt,
        now: VirtualTime,
    ) -> Option<VirtualTime> {
        let spec = pod.spec.as_ref()?;
        let restart_policy = spec.restart_policy.as_deref().unwrap_or("Always");
        let ip = rt.ip.as_deref().unwrap_or_default();
        let ctx = StepCtx {
            pod,
            object,
            node,
            now,
            restart_policy,
            grace_s: spec.termination_grace_period_seconds.unwrap_or(30).max(0) as u64,
            ip,
        };
        let inits = spec.init_containers.as_deref().unwrap_or_default();
        let mut wake: Option<VirtualTime> = None;
        let mut soonest = |w: Option<VirtualTime>| {
            if let Some(w) = w {
                wake = Some(wake.map_or(w, |x: VirtualTime| x.min(w)));
            }
        };
        while rt.init_done < rt.init.len() && !rt.failed_init {
            let index = rt.init_done;
            let (Some(c), Some(spec_c)) = (rt.init.get_mut(index), inits.get(index)) else {
                break;
            };
            if c.phase == Phase::Blocked {
                c.phase = Phase::NeedImage;
                rt.changed = true;
            }
            let w = self.step_container(
                api,
                recorder,
                &ctx,
                spec_c,
                c,
                &mut rt.volumes,
                &mut PodPeers::none(),
                &mut rt.changed,
            );
            match c.exited() {
                Some(t) if t.exit_code == 0 => {
                    rt.init_done += 1;
                    rt.changed = true;
                    if rt.init_done == rt.init.len() {
                        for app in &mut rt.app {
                            if app.phase == Phase::Blocked {
                                app.phase = Phase::NeedImage;
                            }
                        }
                    }
                }
                Some(_) if restart_policy == "Never" => {
                    rt.failed_init = true;
                    rt.changed = true;
                }
                _ => {
                    soonest(w);
                    break;
                }
            }
        }
        if rt.init_done == rt.init.len() {
            for (index, spec_c) in spec.containers.iter().enumerate().take(rt.app.len()) {
                let (c, mut peers) = PodPeers::around(ip, &mut rt.app, index);
                let w = self.step_container(
                    api,
                    recorder,
                    &ctx,
                    spec_c,
                    c,
                    &mut rt.volumes,
                    &mut peers,
                    &mut rt.changed,
                );
                soonest(w);
            }
            let PodRt {
                ephemeral,
                app,
                volumes,
                changed,
                ..
            } = rt;
            soonest(
                self.step_ephemeral(api, recorder, &ctx, spec, ephemeral, app, volumes, changed),
            );
        }
        wake
    }

    /// Starts the ephemeral containers added since the last sync and moves each along. They
    /// never restart, whatever the pod's policy, and share the pod's network and volumes.
    #[allow(clippy::too_many_arguments)]
    fn step_ephemeral(
        &mut self,
        api: &mut ApiServer,
        recorder: &mut EventRecorder,
        ctx: &StepCtx<'_>,
        spec: &k8s_openapi::api::core::v1::PodSpec,
        ephemeral: &mut Vec<ContainerRt>,
        app: &mut [ContainerRt],
        volumes: &mut Volumes,
        changed: &mut bool,
    ) -> Option<VirtualTime> {
        let specs: Vec<Container> = spec
            .ephemeral_containers
            .iter()
            .flatten()
            .map(crate::ephemeral::as_container)
            .collect();
        // A pod whose containers all ended for good runs nothing new.
        let terminal = !app.is_empty()
            && app
                .iter()
                .all(|c| matches!(c.phase, Phase::Exited { act_at: None, .. }));
        for c in specs.iter().filter(|_| !terminal) {
            if !ephemeral.iter().any(|rt| rt.name == c.name) {
                ephemeral.push(ContainerRt::new(c, false, false));
                *changed = true;
            }
        }
        let ctx = StepCtx {
            restart_policy: "Never",
            ..*ctx
        };
        let mut wake: Option<VirtualTime> = None;
        for c in ephemeral.iter_mut() {
            let Some(spec_c) = specs.iter().find(|s| s.name == c.name) else {
                continue;
            };
            let mut peers = PodPeers {
                ip: ctx.ip.parse().ok(),
                before: &mut *app,
                after: &mut [],
            };
            let w =
                self.step_container(api, recorder, &ctx, spec_c, c, volumes, &mut peers, changed);
            if let Some(w) = w.filter(|_| c.exited().is_none()) {
                earliest(&mut wake, w);
            }
        }
        wake
    }

    /// Moves one container along. Returns when it next needs attention.
    #[allow(clippy::too_many_arguments)]
    fn step_container(
        &mut self,
        api: &mut ApiServer,
        recorder: &mut EventRecorder,
        ctx: &StepCtx<'_>,
        spec: &Container,
        c: &mut ContainerRt,
        volumes: &mut Volumes,
        peers: &mut PodPeers<'_>,
        changed: &mut bool,
    ) -> Option<VirtualTime> {
        let now = ctx.now;
        let source = Source {
            component: "kubelet",
            host: ctx.node,
        };
        // A few transitions can happen at one instant (pulled -> started -> exited).
        for _ in 0..8 {
            match c.phase.clone() {
                Phase::Blocked => return None,
                Phase::NeedImage => {
                    let image = spec.image.clone().unwrap_or_default();
                    let policy = spec.image_pull_policy.as_deref().unwrap_or_else(|| {
                        if images::tag_of(&image) == "latest" {
                            "Always"
                        } else {
                            "IfNotPresent"
                        }
                    });
                    let present = self
                        .images
                        .get(ctx.node)
                        .is_some_and(|s| s.contains(&images::full_image(&image)));
                    if (present && policy != "Always") || self.instant {
                        if !self.instant {
                            recorder.record(
                                api,
                                source,
                                ctx.object,
                                EventType::Normal,
                                "Pulled",
                                &format!("Container image \"{image}\" already present on machine"),
                            );
                        }
                        if let Ok(info) = images::resolve(&image) {
                            c.image_id = info.image_id;
                            c.image_full = info.full;
                            c.image = Some(info.image);
                        }
                        self.start_container(api, recorder, ctx, spec, c);
                        *changed = true;
                        continue;
                    }
                    if policy == "Never" {
                        let msg = format!(
                            "Container image \"{image}\" is not present with pull policy of Never"
                        );
                        recorder.record(
                            api,
                            source,
                            ctx.object,
                            EventType::Warning,
                            "ErrImageNeverPull",
                            &msg,
                        );
                        c.phase = Phase::PullFailed {
                            error: msg,
                            retry_at: now.saturating_add(Duration::from_secs(BACKOFF_MAX_S)),
                            backing_off: false,
                        };
                        *changed = true;
                        continue;
                    }
                    recorder.record(
                        api,
                        source,
                        ctx.object,
                        EventType::Normal,
                        "Pulling",
                        &format!("Pulling image \"{image}\""),
                    );
                    // Jitter from a hash of (pod, container, attempt) rather than the RNG, so
                    // pulls do not shift the names generated after them.
                    let jitter = u64::from(naming::fnv32a(
                        format!(
                            "{}/{}/{}",
                            ctx.pod.metadata.uid.as_deref().unwrap_or(""),
                            c.name,
                            c.restart_count + c.pull_backoff_s.map_or(0, |b| b as i32)
                        )
                        .as_bytes(),
                        naming::FNV32_OFFSET,
                    )) % 1_000;
                    let ms = match images::resolve(&image) {
                        Ok(_) if present => 200 + jitter % 800,
                        Ok(info) => images::pull_millis(info.size, jitter),
                        Err(_) => 300 + jitter,
                    };
                    c.phase = Phase::Pulling {
                        done_at: now.saturating_add(Duration::from_millis(ms)),
                        waited_ms: ms,
                    };
                }
                Phase::Pulling { done_at, waited_ms } => {
                    if now < done_at {
                        return Some(done_at);
                    }
                    let image = spec.image.clone().unwrap_or_default();
                    match images::resolve(&image) {
                        Ok(info) => {
                            let took = images::go_duration_ms(waited_ms);
                            recorder.record(
                                api,
                                source,
                                ctx.object,
                                EventType::Normal,
                                "Pulled",
                                &format!(
                                    "Successfully pulled image \"{image}\" in {took} ({took} including waiting). Image size: {} bytes.",
                                    info.size
                                ),
                            );
                            self.images
                                .entry(ctx.node.to_owned())
                                .or_default()
                                .insert(info.full.clone());
                            c.image_id = info.image_id;
                            c.image_full = info.full;
                            c.image = Some(info.image);
                            c.pull_backoff_s = None;
                            self.start_container(api, recorder, ctx, spec, c);
                            *changed = true;
                        }
                        Err(e) => {
                            let msg = e.event.clone();
                            recorder.record(
                                api,
                                source,
                                ctx.object,
                                EventType::Warning,
                                "Failed",
                                &msg,
                            );
                            recorder.record(
                                api,
                                source,
                                ctx.object,
                                EventType::Warning,
                                "Failed",
                                &format!("Error: {}", e.reason),
                            );
                            let backoff = c
                                .pull_backoff_s
                                .map_or(BACKOFF_START_S, |b| (b * 2).min(BACKOFF_MAX_S));
                            c.pull_backoff_s = Some(backoff);
                            c.phase = Phase::PullFailed {
                                error: format!("rpc error: code = {} desc = {}", e.code, e.desc),
                                retry_at: now.saturating_add(Duration::from_secs(backoff)),
                                backing_off: false,
                            };
                            *changed = true;
                            return Some(now.saturating_add(Duration::from_millis(RELIST_MS)));
                        }
                    }
                }
                Phase::PullFailed {
                    error,
                    retry_at,
                    backing_off,
                } => {
                    if now >= retry_at {
                        c.phase = Phase::NeedImage;
                        continue;
                    }
                    if !backing_off {
                        let image = spec.image.clone().unwrap_or_default();
                        recorder.record(
                            api,
                            source,
                            ctx.object,
                            EventType::Normal,
                            "BackOff",
                            &format!("Back-off pulling image \"{image}\""),
                        );
                        recorder.record(
                            api,
                            source,
                            ctx.object,
                            EventType::Warning,
                            "Failed",
                            "Error: ImagePullBackOff",
                        );
                        c.phase = Phase::PullFailed {
                            error,
                            retry_at,
                            backing_off: true,
                        };
                        *changed = true;
                    }
                    return Some(retry_at);
                }
                Phase::CrashBackOff { until } => {
                    if now < until {
                        return Some(until);
                    }
                    // The back-off was served: the next one is twice as long.
                    c.backoff_s = c.backoff_s.map(|b| (b * 2).min(BACKOFF_MAX_S));
                    c.phase = Phase::NeedImage;
                    *changed = true;
                }
                Phase::Running { started_at } => {
                    return self.run_container(
                        api, recorder, ctx, spec, c, volumes, peers, started_at, changed,
                    );
                }
                Phase::Stopping {
                    started_at,
                    kill_at,
                    restart,
                } => {
                    let code = match self.run_process(api, c, volumes, peers, now, ctx.ip) {
                        Some(ProcessState::Exited { code }) => code,
                        None => 0,
                        Some(ProcessState::Running { .. }) if now >= kill_at => {
                            if let Some(p) = c.process.as_mut() {
                                p.signal(Signal::Kill);
                            }
                            SIGKILL_EXIT
                        }
                        Some(ProcessState::Running { wake_at }) => {
                            return Some(
                                wake_at
                                    .map(VirtualTime::from_millis)
                                    .map_or(kill_at, |w| w.min(kill_at)),
                            );
                        }
                    };
                    self.finish(c, ctx, code, None, started_at, restart);
                    *changed = true;
                }
                Phase::Exited { finished, act_at } => {
                    let at = act_at?;
                    if now < at {
                        return Some(at);
                    }
                    // Restart now, or back off.
                    let ran = finished
                        .finished_at
                        .saturating_since(finished.started_at.unwrap_or(finished.finished_at));
                    if ran.as_millis() as u64 >= BACKOFF_RESET_MS {
                        c.backoff_s = None;
                    }
                    c.last = Some(finished.clone());
                    match c.backoff_s {
                        None => {
                            c.backoff_s = Some(BACKOFF_START_S);
                            c.phase = Phase::NeedImage;
                        }
                        Some(b) => {
                            let until = finished.finished_at.saturating_add(Duration::from_secs(b));
                            if now >= until {
                                c.backoff_s = Some((b * 2).min(BACKOFF_MAX_S));
                                c.phase = Phase::NeedImage;
                            } else {
                                recorder.record(
                                    api,
                                    source,
                                    ctx.object,
                                    EventType::Warning,
                                    "BackOff",
                                    &format!(
                                        "Back-off restarting failed container {} in pod {}",
                                        c.name,
                                        pod_ref(ctx.pod)
                                    ),
                                );
                                c.phase = Phase::CrashBackOff { until };
                                *changed = true;
                                return Some(until);
                            }
                        }
                    }
                    *changed = true;
                }
            }
        }
        Some(now.saturating_add(Duration::from_millis(RELIST_MS)))
    }

    /// Creates and starts a container whose image is present.
    fn start_container(
        &mut self,
        api: &mut ApiServer,
        recorder: &mut EventRecorder,
        ctx: &StepCtx<'_>,
        spec: &Container,
        c: &mut ContainerRt,
    ) {
        let source = Source {
            component: "kubelet",
            host: ctx.node,
        };
        let now = ctx.now;
        if !c.container_id.is_empty() {
            // A new instance of a container that ran before.
            c.restart_count += 1;
            c.previous_logs = Some(std::mem::take(&mut c.logs));
        }
        // Derived from the pod uid (itself seeded) and the attempt: unique and reproducible.
        let salt = c.restart_count as u64 * 7919 + 1;
        let id = hex64(
            &format!(
                "{}/{}/{salt}",
                ctx.pod.metadata.uid.as_deref().unwrap_or(""),
                c.name
            ),
            salt,
        );
        c.container_id = id;
        let Some(image) = c.image else {
            return;
        };
        // A pod in the node's network namespace has the node's hostname (`kubectl debug
        // node/NAME` prompts `root@NAME:/#`).
        let host_network = ctx.pod.spec.as_ref().and_then(|s| s.host_network) == Some(true);
        let hostname = ctx
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.hostname.clone())
            .filter(|_| !host_network)
            .or_else(|| host_network.then(|| ctx.node.to_owned()))
            .or_else(|| ctx.pod.metadata.name.clone())
            .unwrap_or_default();
        let namespace = ctx.pod.metadata.namespace.as_deref().unwrap_or("default");
        let image_root = self
            .image_roots
            .entry(c.image_full.clone())
            .or_insert_with(|| Fs::image_root(image));
        c.fs = Fs::for_container_on(image_root, &PodIdentity::new(&hostname, namespace, ctx.ip));
        c.mounts = runtime::mounts(spec);
        c.partial.clear();
        let process_spec = ContainerSpec {
            command: spec.command.clone().unwrap_or_default(),
            args: spec.args.clone().unwrap_or_default(),
            env: runtime::container_env(api, ctx.pod, spec, ctx.ip),
            working_dir: spec.working_dir.clone(),
            hostname,
            // `stdinOnce` closes stdin when the first attach ends, until the container
            // restarts: every instance starts with it open.
            stdin: spec.stdin == Some(true),
            tty: spec.tty == Some(true),
            cpu_limit_millicores: cpu_limit_millicores(spec),
        };
        match Process::start(&process_spec, image, now.as_millis()) {
            Ok(process) => {
                if !self.instant {
                    recorder.record(
                        api,
                        source,
                        ctx.object,
                        EventType::Normal,
                        "Created",
                        &format!("Created container: {}", c.name),
                    );
                    recorder.record(
                        api,
                        source,
                        ctx.object,
                        EventType::Normal,
                        "Started",
                        &format!("Started container {}", c.name),
                    );
                }
                c.process = Some(process);
                c.due = Some(now);
                c.phase = Phase::Running { started_at: now };
                c.started = spec.startup_probe.is_none();
                c.ready = spec.readiness_probe.is_none() && c.started && !c.init;
                c.probes = probes::for_container(spec, now);
            }
            Err(err) => {
                let message = err.runtime_message();
                recorder.record(
                    api,
                    source,
                    ctx.object,
                    EventType::Normal,
                    "Created",
                    &format!("Created container: {}", c.name),
                );
                recorder.record(
                    api,
                    source,
                    ctx.object,
                    EventType::Warning,
                    "Failed",
                    &format!("Error: {message}"),
                );
                c.process = None;
                c.phase = Phase::Running { started_at: now };
                self.finish(c, ctx, 128, Some(("StartError", message)), now, true);
            }
        }
    }

    /// Runs a started container's process and probes.
    #[allow(clippy::too_many_arguments)]
    fn run_container(
        &mut self,
        api: &mut ApiServer,
        recorder: &mut EventRecorder,
        ctx: &StepCtx<'_>,
        spec: &Container,
        c: &mut ContainerRt,
        volumes: &mut Volumes,
        peers: &mut PodPeers<'_>,
        started_at: VirtualTime,
        changed: &mut bool,
    ) -> Option<VirtualTime> {
        let now = ctx.now;
        // A process that is not due (sleeping, or an idle server) is not run: probes and other
        // wake-ups cost nothing in the shell.
        let ran = if c.due.is_some_and(|t| t <= now) {
            self.run_process(api, c, volumes, peers, now, ctx.ip)
        } else if c.process.is_some() {
            Some(ProcessState::Running {
                wake_at: c.due.map(VirtualTime::as_millis),
            })
        } else {
            None
        };
        if let Some(ProcessState::Running { wake_at }) = ran {
            c.due = wake_at.map(VirtualTime::from_millis);
        }
        let state = match ran {
            Some(state) => {
                // Usage is only worth computing for a container with a memory limit.
                let limit = *c.memory_limit.get_or_insert_with(|| memory_limit(spec));
                let oom = limit.is_some_and(|limit| {
                    c.process
                        .as_ref()
                        .map_or(0, |p| p.usage(now.as_millis()).memory_bytes)
                        > limit
                });
                if oom {
                    self.finish(
                        c,
                        ctx,
                        SIGKILL_EXIT,
                        Some(("OOMKilled", String::new())),
                        started_at,
                        true,
                    );
                    *changed = true;
                    return Some(now);
                }
                state
            }
            None => ProcessState::Exited { code: 0 },
        };
        let wake = match state {
            ProcessState::Exited { code } => {
                self.finish(c, ctx, code, None, started_at, true);
                *changed = true;
                return Some(now);
            }
            ProcessState::Running { wake_at } => wake_at.map(VirtualTime::from_millis),
        };
        let outcome = {
            let mut host = KubeletHost {
                api,
                pods: &mut self.pods,
                now,
                cursor: &mut self.cursor,
                client_ip: node_ip(ctx),
                peers: PodPeers::none(),
            };
            probes::run_due(c, spec, volumes, &mut host, ctx.ip, now)
        };
        for event in &outcome.events {
            recorder.record(
                api,
                Source {
                    component: "kubelet",
                    host: ctx.node,
                },
                ctx.object,
                EventType::Warning,
                "Unhealthy",
                event,
            );
        }
        if outcome.changed {
            *changed = true;
        }
        if let Some(kind) = outcome.kill {
            let why = match kind {
                ProbeKind::Startup => "startup",
                _ => "liveness",
            };
            recorder.record(
                api,
                Source {
                    component: "kubelet",
                    host: ctx.node,
                },
                ctx.object,
                EventType::Normal,
                "Killing",
                &format!("Container {} failed {why} probe, will be restarted", c.name),
            );
            self.signal_stop(c, ctx, started_at, true);
            *changed = true;
            return Some(now);
        }
        let next_probe = c.probes.iter().map(|p| p.next_at).min();
        match (wake, next_probe) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// SIGTERM now, SIGKILL after the grace period.
    fn signal_stop(
        &mut self,
        c: &mut ContainerRt,
        ctx: &StepCtx<'_>,
        started_at: VirtualTime,
        restart: bool,
    ) {
        if let Some(p) = c.process.as_mut() {
            let stop = p.image().repository().stop_signal;
            p.signal(stop);
        }
        c.ready = false;
        c.phase = Phase::Stopping {
            started_at,
            kill_at: ctx.now.saturating_add(Duration::from_secs(ctx.grace_s)),
            restart,
        };
    }

    /// Records a container's exit and decides whether the policy restarts it.
    fn finish(
        &mut self,
        c: &mut ContainerRt,
        ctx: &StepCtx<'_>,
        code: i32,
        reason: Option<(&str, String)>,
        started_at: VirtualTime,
        may_restart: bool,
    ) {
        let (reason, message) = match reason {
            Some((r, m)) => (r.to_owned(), (!m.is_empty()).then_some(m)),
            None => (
                (if code == 0 { "Completed" } else { "Error" }).to_owned(),
                None,
            ),
        };
        let finished = Terminated {
            exit_code: code,
            reason,
            message,
            started_at: Some(started_at),
            finished_at: ctx.now,
            container_id: c.container_id.clone(),
        };
        c.process = None;
        c.ready = false;
        c.started = false;
        let restarts = may_restart
            && match ctx.restart_policy {
                "Always" => !c.init || code != 0,
                "OnFailure" => code != 0,
                _ => false,
            };
        c.phase = Phase::Exited {
            finished,
            act_at: restarts.then(|| ctx.now.saturating_add(Duration::from_millis(RELIST_MS))),
        };
    }

    /// A pod marked for deletion: stop its containers (SIGTERM, SIGKILL after the grace
    /// period), then remove it.
    fn stop_pod(
        &mut self,
        api: &mut ApiServer,
        recorder: &mut EventRecorder,
        key: &ObjectKey,
        slot: table::Slot,
        object: &Object,
        now: VirtualTime,
    ) -> Next {
        let Some(pod) = object.as_pod() else {
            return Next::Idle;
        };
        let grace = pod
            .metadata
            .deletion_grace_period_seconds
            .unwrap_or(0)
            .max(0) as u64;
        let deadline = pod
            .metadata
            .deletion_timestamp
            .as_ref()
            .map_or(now, virtual_time);
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default();
        let Some(mut rt) = self.pods.take(slot) else {
            api.remove_now(key);
            self.pods.forget(key);
            return Next::Idle;
        };
        let ip = rt.ip.clone().unwrap_or_default();
        let ctx = StepCtx {
            pod,
            object,
            node: &node,
            now,
            restart_policy: "Never",
            grace_s: grace,
            ip: &ip,
        };
        let mut wake: Option<VirtualTime> = None;
        for c in rt
            .init
            .iter_mut()
            .chain(rt.app.iter_mut())
            .chain(rt.ephemeral.iter_mut())
        {
            match c.phase.clone() {
                Phase::Running { started_at } => {
                    if !self.instant {
                        recorder.record(
                            api,
                            Source {
                                component: "kubelet",
                                host: &node,
                            },
                            object,
                            EventType::Normal,
                            "Killing",
                            &format!("Stopping container {}", c.name),
                        );
                    }
                    if let Some(p) = c.process.as_mut() {
                        let stop = p.image().repository().stop_signal;
                        p.signal(stop);
                    }
                    c.ready = false;
                    c.phase = Phase::Stopping {
                        started_at,
                        kill_at: deadline,
                        restart: false,
                    };
                    earliest(&mut wake, now);
                    rt.changed = true;
                }
                Phase::Stopping { started_at, .. } => {
                    let exited =
                        self.run_process(api, c, &mut rt.volumes, &mut PodPeers::none(), now, &ip);
                    match exited {
                        Some(ProcessState::Exited { code }) => {
                            self.finish(c, &ctx, code, None, started_at, false);
                        }
                        _ if now >= deadline || self.instant => {
                            self.finish(c, &ctx, SIGKILL_EXIT, None, started_at, false);
                        }
                        Some(ProcessState::Running { wake_at: Some(at) }) => {
                            earliest(&mut wake, VirtualTime::from_millis(at).min(deadline));
                        }
                        _ => earliest(&mut wake, deadline),
                    }
                }
                Phase::Exited { finished, .. } => {
                    c.phase = Phase::Exited {
                        finished,
                        act_at: None,
                    };
                }
                _ => {
                    c.phase = Phase::Blocked;
                }
            }
        }
        let all_stopped = rt
            .init
            .iter()
            .chain(rt.app.iter())
            .chain(rt.ephemeral.iter())
            .all(|c| !c.running());
        if all_stopped {
            self.save_host_volumes(&rt);
            // The kubelet reports the stopped containers (READY 0/1, a terminal phase) before
            // it removes the pod, so a watcher sees `0/1 Terminating` then the deletion.
            write_status(api, object, &rt, now);
            api.remove_now(key);
            self.pods.remove_taken(key, &rt.uid);
            return Next::Idle;
        }
        self.pods.put_back(slot, rt);
        Next::At(wake.unwrap_or(deadline))
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

    fn container(&self, key: &ObjectKey, name: &str) -> Option<&ContainerRt> {
        let rt = self.pods.by_key(key)?;
        rt.init
            .iter()
            .chain(rt.app.iter())
            .chain(rt.ephemeral.iter())
            .find(|c| c.name == name)
    }

    /// A container's log lines (current instance, or the previous one).
    pub fn logs(
        &self,
        key: &ObjectKey,
        container: &str,
        previous: bool,
    ) -> Option<Vec<(VirtualTime, String)>> {
        let c = self.container(key, container)?;
        let buffer = if previous {
            c.previous_logs.as_ref()?
        } else {
            &c.logs
        };
        Some(buffer.lines().cloned().collect())
    }

    /// Whether the container has a running process (exec needs one).
    pub fn is_running(&self, key: &ObjectKey, container: &str) -> bool {
        self.container(key, container)
            .is_some_and(|c| matches!(c.phase, Phase::Running { .. }))
    }

    /// Runs a one-off command in a running container (`kubectl exec`). `None` when the
    /// container has no running process.
    pub fn exec(
        &mut self,
        api: &ApiServer,
        key: &ObjectKey,
        container: &str,
        argv: &[String],
        now: VirtualTime,
    ) -> Option<Result<tidepool_container::ExecOutput, tidepool_container::ExecError>> {
        self.in_running_container(api, key, container, now, |process, fs, host| {
            process.exec(&ExecCommand::new(argv), fs, host, ExecLimits::default())
        })
    }

    /// Runs `work` against a running container's process, its mounted filesystem and the
    /// kubelet's [`KubeletHost`] (for `kubectl exec` and interactive sessions); the container's
    /// main process runs next, as the work may have signalled it. `None` when the container
    /// has no running process.
    fn in_running_container<R>(
        &mut self,
        api: &ApiServer,
        key: &ObjectKey,
        container: &str,
        now: VirtualTime,
        work: impl FnOnce(&mut Process, &mut MountedFs, &mut KubeletHost) -> R,
    ) -> Option<R> {
        let slot = self.pods.slot(key)?;
        let mut rt = self.pods.take(slot)?;
        let ip = rt.ip.clone().unwrap_or_default();
        let result = {
            let PodRt {
                init,
                app,
                ephemeral,
                volumes,
                ..
            } = &mut *rt;
            let running =
                |c: &ContainerRt| c.name == container && matches!(c.phase, Phase::Running { .. });
            // An app container's neighbours answer its `localhost`, and the app containers an
            // ephemeral one's; an init container runs alone.
            let found = match app.iter().position(running) {
                Some(index) => Some(PodPeers::around(&ip, app, index)),
                None => match init.iter_mut().find(|c| running(c)) {
                    Some(c) => Some((c, PodPeers::none())),
                    None => ephemeral.iter_mut().find(|c| running(c)).map(|c| {
                        let peers = PodPeers {
                            ip: ip.parse().ok(),
                            before: app.as_mut_slice(),
                            after: &mut [],
                        };
                        (c, peers)
                    }),
                },
            };
            found.and_then(|(c, peers)| {
                let p = c.process.as_mut()?;
                let mut host = KubeletHost {
                    api,
                    pods: &mut self.pods,
                    now,
                    cursor: &mut self.cursor,
                    client_ip: ip.parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST),
                    peers,
                };
                let mut fs = MountedFs::new(&mut c.fs, volumes, &c.mounts, c.image);
                let out = work(p, &mut fs, &mut host);
                c.due = Some(now);
                Some(out)
            })
        };
        self.pods.put_back(slot, rt);
        if result.is_some() {
            // So that it does run next: a signal, or an access-log line of a request the
            // work sent to it (`curl localhost`), takes effect now, not at its next timer.
            self.pods.wake_at(&PodKey::from(key.clone()), now);
        }
        result
    }

    /// Opens an interactive shell session (`kubectl exec -it`) in a running container. `None`
    /// when the container has no running process.
    pub fn open_exec_session(
        &self,
        key: &ObjectKey,
        container: &str,
        argv: &[String],
    ) -> Option<Result<tidepool_container::ExecSession, tidepool_container::ExecError>> {
        let rt = self.pods.by_key(key)?;
        let c = rt
            .init
            .iter()
            .chain(rt.app.iter())
            .chain(rt.ephemeral.iter())
            .find(|c| c.name == container && matches!(c.phase, Phase::Running { .. }))?;
        Some(c.process.as_ref()?.exec_session(argv))
    }

    /// The argv of a running container's main process (`ps` in a container sharing its PID
    /// namespace).
    pub fn main_argv(&self, key: &ObjectKey, container: &str) -> Option<Vec<String>> {
        let c = self.container(key, container).filter(|c| c.running())?;
        Some(c.process.as_ref()?.argv().to_vec())
    }

    /// Runs an interactive session (after [`tidepool_container::ExecSession::feed_line`])
    /// until it waits for input, sleeps or ends, like [`Kubelet::exec`] does for one-off
    /// commands. `None` when the container is no longer running.
    pub fn run_exec_session(
        &mut self,
        api: &ApiServer,
        key: &ObjectKey,
        container: &str,
        session: &mut tidepool_container::ExecSession,
        now: VirtualTime,
    ) -> Option<(tidepool_container::SessionState, Output)> {
        self.in_running_container(api, key, container, now, |process, fs, host| {
            let mut out = Output::default();
            let state = session.run(process, fs, host, &mut out);
            (state, out)
        })
    }

    /// Runs `work` on a running container's files (its volumes mounted) and image, as a
    /// `tar` that `kubectl cp` execs there would see them. `None` when it is not running.
    pub fn with_container_fs<R>(
        &mut self,
        api: &ApiServer,
        key: &ObjectKey,
        container: &str,
        now: VirtualTime,
        work: impl FnOnce(&mut MountedFs, tidepool_container::Image) -> R,
    ) -> Option<R> {
        self.in_running_container(api, key, container, now, |process, fs, _| {
            work(fs, process.image())
        })
    }

    /// Ends a running container's main process with `code`, as when the process attached by
    /// `kubectl run -it` exits: the next sync records the exit and applies the restart
    /// policy. `None` when the container is not running.
    pub fn end_attached_process(
        &mut self,
        api: &ApiServer,
        key: &ObjectKey,
        container: &str,
        code: i32,
        now: VirtualTime,
    ) -> Option<()> {
        self.in_running_container(api, key, container, now, |process, _, _| {
            process.end_attached(code);
        })
    }

    /// An HTTP request from outside the pods (a node's shell: `curl`, `wget`), routed like
    /// a container's: Service IPs and NodePorts to a ready endpoint, pod IPs directly.
    pub fn http_from_node(
        &mut self,
        api: &ApiServer,
        ip: std::net::Ipv4Addr,
        port: u16,
        request: &tidepool_container::HttpRequest,
        now: VirtualTime,
    ) -> Result<tidepool_container::HttpResponse, tidepool_container::NetError> {
        use tidepool_container::Host;
        let mut host = KubeletHost {
            api,
            pods: &mut self.pods,
            now,
            cursor: &mut self.cursor,
            client_ip: request.client_ip,
            peers: PodPeers::none(),
        };
        host.http(ip, port, request)
    }

    /// Per-container usage `(name, millicores, bytes)` of a pod's running containers.
    pub fn usage(&self, key: &ObjectKey, now: VirtualTime) -> Option<Vec<(String, u64, u64)>> {
        let rt = self.pods.by_key(key)?;
        Some(
            rt.init
                .iter()
                .chain(rt.app.iter())
                .chain(rt.ephemeral.iter())
                .filter_map(|c| {
                    let usage = c
                        .process
                        .as_ref()
                        .filter(|_| c.running())?
                        .usage(now.as_millis());
                    Some((c.name.clone(), usage.cpu_millicores, usage.memory_bytes))
                })
                .collect(),
        )
    }

    /// Runs a container's process until it blocks; its output goes to the container log.
    fn run_process(
        &mut self,
        api: &ApiServer,
        c: &mut ContainerRt,
        volumes: &mut Volumes,
        peers: &mut PodPeers<'_>,
        now: VirtualTime,
        ip: &str,
    ) -> Option<ProcessState> {
        let p = c.process.as_mut()?;
        let mut host = KubeletHost {
            api,
            pods: &mut self.pods,
            now,
            cursor: &mut self.cursor,
            client_ip: ip.parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST),
            peers: PodPeers {
                ip: peers.ip,
                before: &mut *peers.before,
                after: &mut *peers.after,
            },
        };
        let mut out = Output::default();
        let state = {
            let mut fs = MountedFs::new(&mut c.fs, volumes, &c.mounts, c.image);
            p.run(&mut fs, &mut host, &mut out)
        };
        push_output(c, now, &out);
        Some(state)
    }
}

fn node_ip(ctx: &StepCtx<'_>) -> std::net::Ipv4Addr {
    ctx.pod
        .status
        .as_ref()
        .and_then(|s| s.host_ip.as_deref())
        .and_then(|ip| ip.parse().ok())
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST)
}

fn earliest(slot: &mut Option<VirtualTime>, at: VirtualTime) {
    *slot = Some(slot.map_or(at, |x| x.min(at)));
}

/// Appends a process's output to the container log, line by line.
fn push_output(c: &mut ContainerRt, now: VirtualTime, out: &Output) {
    for line in runtime::split_lines(&mut c.partial, out) {
        c.logs.push(now, line);
    }
}

/// Writes the pod's status from the node's view of it.
fn write_status(api: &mut ApiServer, object: &Object, rt: &PodRt, now: VirtualTime) {
    let Some(current) = api.store().get(&object.key()).and_then(Object::as_pod) else {
        return;
    };
    let mut pod = current.clone();
    let spec = pod.spec.clone().unwrap_or_default();
    let has_init = !rt.init.is_empty();
    let default_reason = if has_init && rt.init_done < rt.init.len() {
        "PodInitializing"
    } else {
        "ContainerCreating"
    };
    let old = pod.status.clone().unwrap_or_default();
    let keep = |type_: &str, status: &str, reason: Option<&str>, message: Option<String>| {
        let previous = old.conditions.iter().flatten().find(|c| c.type_ == type_);
        let mut c = match previous {
            Some(p) if p.status == status => p.clone(),
            _ => condition(type_, status, now),
        };
        c.reason = reason.map(str::to_owned);
        c.message = message;
        c
    };
    let sandbox = rt.ip.is_some();
    let initialized = rt.init_done == rt.init.len();
    let app_done = !rt.app.is_empty()
        && rt
            .app
            .iter()
            .all(|c| matches!(c.phase, Phase::Exited { act_at: None, .. }));
    let failed = rt.failed_init
        || (app_done
            && rt
                .app
                .iter()
                .any(|c| c.exited().is_some_and(|t| t.exit_code != 0)));
    let phase = if failed {
        "Failed"
    } else if app_done {
        "Succeeded"
    } else if initialized
        && rt
            .app
            .iter()
            .any(|c| c.running() || c.restart_count > 0 || c.last.is_some() || c.exited().is_some())
    {
        "Running"
    } else {
        "Pending"
    };
    let terminal = matches!(phase, "Succeeded" | "Failed");
    let unready: Vec<&str> = rt
        .app
        .iter()
        .filter(|c| !c.ready)
        .map(|c| c.name.as_str())
        .collect();
    let incomplete: Vec<&str> = rt.init[rt.init_done.min(rt.init.len())..]
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let ready_reason = if terminal {
        Some("PodCompleted")
    } else if unready.is_empty() {
        None
    } else {
        Some("ContainersNotReady")
    };
    let ready_message = (!terminal && !unready.is_empty())
        .then(|| format!("containers with unready status: [{}]", unready.join(" ")));
    let ready_status = if unready.is_empty() && !terminal {
        "True"
    } else {
        "False"
    };
    let scheduled = old
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled")
        .cloned()
        .unwrap_or_else(|| condition("PodScheduled", "True", now));
    let conditions = vec![
        keep(
            "PodReadyToStartContainers",
            if sandbox && !terminal {
                "True"
            } else {
                "False"
            },
            None,
            None,
        ),
        if initialized {
            keep(
                "Initialized",
                "True",
                (terminal && has_init).then_some("PodCompleted"),
                None,
            )
        } else {
            keep(
                "Initialized",
                "False",
                Some("ContainersNotInitialized"),
                Some(format!(
                    "containers with incomplete status: [{}]",
                    incomplete.join(" ")
                )),
            )
        },
        keep("Ready", ready_status, ready_reason, ready_message.clone()),
        keep("ContainersReady", ready_status, ready_reason, ready_message),
        scheduled,
    ];
    let mut status = PodStatus {
        phase: Some(phase.to_owned()),
        conditions: Some(conditions),
        host_ip: Some(rt.host_ip.clone()),
        host_ips: Some(vec![HostIP {
            ip: rt.host_ip.clone(),
        }]),
        pod_ip: rt.ip.clone(),
        pod_ips: rt.ip.clone().map(|ip| vec![PodIP { ip }]),
        start_time: old.start_time.clone().or_else(|| Some(timestamp(now))),
        qos_class: old.qos_class.clone(),
        container_statuses: Some(
            rt.app
                .iter()
                .map(|c| c.status(default_reason, &pod))
                .collect(),
        ),
        init_container_statuses: has_init.then(|| {
            rt.init
                .iter()
                .map(|c| c.status(default_reason, &pod))
                .collect()
        }),
        ephemeral_container_statuses: (!rt.ephemeral.is_empty()).then(|| {
            rt.ephemeral
                .iter()
                .map(|c| ContainerStatus {
                    // Ephemeral containers are never ready and have no startup state.
                    ready: false,
                    started: None,
                    ..c.status("ContainerCreating", &pod)
                })
                .collect()
        }),
        ..old.clone()
    };
    if spec.containers.is_empty() {
        status.container_statuses = None;
    }
    pod.status = Some(status);
    let _ = api.update_status_shared(Object::Pod(Box::new(pod)));
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    fn with_limits(limits: serde_json::Value) -> Container {
        serde_json::from_value(serde_json::json!({
            "name": "c",
            "resources": { "limits": limits },
        }))
        .expect("a container")
    }

    #[test]
    fn cpu_limits_read_as_millicores() {
        let cases = [
            (serde_json::json!({ "cpu": "200m" }), Some(200)),
            (serde_json::json!({ "cpu": "1" }), Some(1000)),
            (serde_json::json!({ "cpu": "1.5" }), Some(1500)),
            (serde_json::json!({ "cpu": 2 }), Some(2000)),
            (serde_json::json!({ "memory": "64Mi" }), None),
            (serde_json::json!({ "cpu": "lots" }), None),
        ];
        for (limits, expected) in cases {
            assert_eq!(
                cpu_limit_millicores(&with_limits(limits.clone())),
                expected,
                "{limits}"
            );
        }
        let no_resources: Container =
            serde_json::from_value(serde_json::json!({ "name": "c" })).expect("a container");
        assert_eq!(cpu_limit_millicores(&no_resources), None);
    }
}
