//! The simulation: the one object hosts drive. It owns the clock, the API server (and through
//! it the store and the single seeded RNG), the controllers, the scheduler and the kubelet
//! stand-in, and runs whatever is due when the host advances virtual time.

use crate::api::{ApiServer, ObjectLimits, controller_of};
use crate::cluster::{self, ClusterConfig, NodeConfig};
use crate::controllers::replicaset::{OwnedPods, Reconciled};
use crate::controllers::{self, Action, ControllerId, Ctx, failure_backoff};
use crate::errors::ApiError;
use crate::events::EventRecorder;
use crate::kubelet::{Kubelet, PodKey};
use crate::objects::{Kind, LookupMap, Object, ObjectKey};
use crate::scheduler::Scheduler;
use crate::store::{Store, WatchEventType};
use crate::{SimRng, VirtualClock, VirtualTime};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// What a host chooses when it creates a simulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationConfig {
    /// Seed for every random choice the simulation makes.
    pub seed: u64,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self { seed: 1 }
    }
}

/// A unit of deferred work.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Work {
    Controller(ControllerId, ObjectKey),
    /// Garbage collection for the owner that had this key and uid.
    Collect(ObjectKey, String),
    Lifecycle(PodKey),
    /// Periodic retry of unschedulable pods (kube-scheduler flushes them every 5 minutes).
    SchedulerFlush,
    /// Node lifecycle check for one node.
    NodeMonitor(String),
    /// Sync a node's static pods with its manifest folder.
    StaticPods(String),
}

/// Rounds of reconciling at one instant before we stop and let time move (a guard against
/// controllers fighting; level-triggered reconcilers pick up the rest next time).
const MAX_ROUNDS_PER_INSTANT: usize = 1_000;
const SCHEDULER_FLUSH: Duration = Duration::from_secs(300);

/// A deterministic cluster simulation. Hosts feed it inputs and read its outputs; it never
/// reaches out.
#[derive(Debug, Clone)]
pub struct Simulation {
    clock: VirtualClock,
    api: ApiServer,
    steps: u64,
    recorder: EventRecorder,
    scheduler: Scheduler,
    kubelet: Kubelet,
    /// Store revision up to which watch events have been routed to workers.
    cursor: u64,
    dirty: BTreeSet<Work>,
    /// Timed work other than `Work::Lifecycle`: a pod's lifecycle timer is kept by the kubelet
    /// ([`Kubelet::pop_wakes`]), one per pod, bucketed by instant and found by slot.
    timers: BTreeSet<(VirtualTime, Work)>,
    /// When each timed work item is due (the index that keeps `schedule` cheap; point lookups
    /// only, never iterated).
    timer_at: LookupMap<Work, VirtualTime>,
    failures: BTreeMap<(ControllerId, ObjectKey), u32>,
    /// Nodes whose kubelet stopped reporting, and since when.
    silent_nodes: BTreeMap<String, VirtualTime>,
    /// The pods each ReplicaSet/ReplicationController controls (rebuilt from the store, not
    /// saved).
    owned_pods: OwnedPods,
    /// The HorizontalPodAutoscaler controller's recent recommendations (saved).
    hpa_history: controllers::hpa::HpaHistory,
}

impl Simulation {
    /// A simulation of the default cluster (see [`ClusterConfig::default`]).
    pub fn new(config: &SimulationConfig) -> Self {
        Self::with_cluster(config, &ClusterConfig::default())
    }

    /// A simulation of a chosen cluster. The cluster settles at virtual time zero: system pods
    /// are already Running when the host first looks.
    pub fn with_cluster(config: &SimulationConfig, cluster: &ClusterConfig) -> Self {
        let mut sim = Self {
            clock: VirtualClock::default(),
            api: ApiServer::new(SimRng::seeded(config.seed), ObjectLimits::default()),
            steps: 0,
            recorder: EventRecorder::default(),
            scheduler: Scheduler::default(),
            kubelet: Kubelet::default(),
            cursor: 0,
            dirty: BTreeSet::new(),
            timers: BTreeSet::new(),
            timer_at: LookupMap::default(),
            failures: BTreeMap::new(),
            silent_nodes: BTreeMap::new(),
            owned_pods: OwnedPods::default(),
            hpa_history: controllers::hpa::HpaHistory::default(),
        };
        // The default objects are valid by construction; a failure here would be a bug in
        // `cluster`, and the simulation still works without them.
        let _ = cluster::bootstrap(&mut sim.api, cluster);
        sim.seed_static_manifests();
        sim.kubelet.instant = true;
        sim.settle();
        sim.kubelet.instant = false;
        sim.schedule(SCHEDULER_FLUSH, Work::SchedulerFlush);
        sim
    }

    pub fn now(&self) -> VirtualTime {
        self.clock.now()
    }

    pub fn seed(&self) -> u64 {
        self.api.seed()
    }

    /// How many times [`Simulation::advance`] has run.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Draws from the simulation's seeded RNG.
    pub fn random_u64(&mut self) -> u64 {
        self.api.rng().next_u64()
    }

    /// Read access to the API server (get, list, watch, the store).
    pub fn api(&self) -> &ApiServer {
        &self.api
    }

    /// Write access to the API server. Changes take effect in the store at once; controllers,
    /// the scheduler and the kubelet stand-in react on the next [`Simulation::advance`]
    /// (`advance(Duration::ZERO)` runs everything due now).
    pub fn api_mut(&mut self) -> &mut ApiServer {
        &mut self.api
    }

    /// The single entry point that moves the simulation: runs everything due up to `now + by`,
    /// in virtual-time order, and returns the new time.
    pub fn advance(&mut self, by: Duration) -> VirtualTime {
        // Controllers and kubelets act as themselves, not as the kubectl user of the moment.
        let acting = self.api.acting_user().cloned();
        self.api.set_acting_user(None);
        let now = self.advance_as_control_plane(by);
        self.api.set_acting_user(acting);
        now
    }

    fn advance_as_control_plane(&mut self, by: Duration) -> VirtualTime {
        self.steps += 1;
        let target = self.clock.now().saturating_add(by);
        self.settle();
        while let Some(at) = self.next_timer() {
            if at > target {
                break;
            }
            self.move_to(at);
            self.settle();
        }
        self.move_to(target);
        self.settle();
        self.clock.now()
    }

    fn move_to(&mut self, at: VirtualTime) {
        let now = self.clock.now();
        if at > now {
            self.clock.advance(at.saturating_since(now));
        }
        self.api.set_now(self.clock.now());
    }

    /// When the earliest timer is due.
    fn next_timer(&self) -> Option<VirtualTime> {
        let other = self.timers.first().map(|(at, _)| *at);
        match (other, self.kubelet.next_wake()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn schedule(&mut self, after: Duration, work: Work) {
        let at = self.clock.now().saturating_add(after);
        if let Work::Lifecycle(key) = &work {
            self.kubelet.wake_at(key, at);
            return;
        }
        // Keep only the earliest timer per work item.
        if let Some(existing) = self.timer_at.get(&work).copied() {
            if existing <= at {
                return;
            }
            self.timers.remove(&(existing, work.clone()));
        }
        self.timer_at.insert(work.clone(), at);
        self.timers.insert((at, work));
    }

    /// Routes new watch events and runs all work due at the current instant until quiet.
    fn settle(&mut self) {
        for _ in 0..MAX_ROUNDS_PER_INSTANT {
            let now = self.clock.now();
            while let Some((at, _)) = self.timers.first() {
                if *at > now {
                    break;
                }
                if let Some((_, work)) = self.timers.pop_first() {
                    self.timer_at.remove(&work);
                    self.dirty.insert(work);
                }
            }
            let dirty = &mut self.dirty;
            self.kubelet
                .pop_wakes(now, |key| _ = dirty.insert(Work::Lifecycle(key)));
            self.route_events();
            if self.dirty.is_empty() && !self.scheduler.has_work() {
                return;
            }
            let work = std::mem::take(&mut self.dirty);
            for item in work {
                self.run(item);
            }
            let mut ctx_recorder = std::mem::take(&mut self.recorder);
            self.scheduler.run_cycle(&mut self.api, &mut ctx_recorder);
            self.recorder = ctx_recorder;
        }
    }

    fn run(&mut self, work: Work) {
        match work {
            Work::Controller(id, key) => {
                let mut ctx = Ctx {
                    api: &mut self.api,
                    recorder: &mut self.recorder,
                };
                let outcome = match id {
                    ControllerId::ReplicaSet | ControllerId::ReplicationController => {
                        controllers::replicaset::reconcile(&mut ctx, id, &key, &mut self.owned_pods)
                    }
                    ControllerId::Deployment => {
                        Reconciled::Done(controllers::deployment::reconcile(&mut ctx, &key))
                    }
                    ControllerId::DaemonSet => {
                        Reconciled::Done(controllers::daemonset::reconcile(&mut ctx, &key))
                    }
                    ControllerId::Endpoints => {
                        Reconciled::Done(controllers::endpoints::reconcile(&mut ctx, &key))
                    }
                    ControllerId::Namespace => {
                        Reconciled::Done(controllers::namespace::reconcile(&mut ctx, &key))
                    }
                    ControllerId::ServiceAccount => Reconciled::Done(
                        controllers::namespace::reconcile_service_account(&mut ctx, &key),
                    ),
                    ControllerId::ResourceQuota => {
                        Reconciled::Done(controllers::namespace::reconcile_quota(&mut ctx, &key))
                    }
                    ControllerId::Job => {
                        Reconciled::Done(controllers::job::reconcile(&mut ctx, &key))
                    }
                    ControllerId::CronJob => {
                        Reconciled::Done(controllers::cronjob::reconcile(&mut ctx, &key))
                    }
                    ControllerId::StatefulSet => {
                        controllers::statefulset::reconcile(&mut ctx, &key)
                    }
                    ControllerId::PersistentVolumeBinder => {
                        Reconciled::Done(controllers::volume::reconcile(&mut ctx, &key))
                    }
                    ControllerId::PvcProtection => Reconciled::Done(
                        controllers::volume::reconcile_claim_protection(&mut ctx, &key),
                    ),
                    ControllerId::PvProtection => Reconciled::Done(
                        controllers::volume::reconcile_volume_protection(&mut ctx, &key),
                    ),
                    ControllerId::HorizontalPodAutoscaler => {
                        let kubelet = &self.kubelet;
                        let now = self.clock.now();
                        let usage = |namespace: &str, pod: &str| {
                            let containers =
                                kubelet.usage(&ObjectKey::new(Kind::Pod, namespace, pod), now)?;
                            Some(
                                containers
                                    .iter()
                                    .fold((0, 0), |(cpu, mem), (_, c, m)| (cpu + c, mem + m)),
                            )
                        };
                        Reconciled::Done(controllers::hpa::reconcile(
                            &mut ctx,
                            &key,
                            &usage,
                            &mut self.hpa_history,
                        ))
                    }
                    ControllerId::GarbageCollector => Reconciled::Done(Action::AwaitChange),
                    ControllerId::Disruption => {
                        Reconciled::Done(controllers::disruption::reconcile(&mut ctx, &key))
                    }
                };
                let slot = (id, key.clone());
                match outcome {
                    Reconciled::Failed => {
                        let n = self.failures.get(&slot).copied().unwrap_or(0);
                        self.failures.insert(slot, n + 1);
                        self.schedule(failure_backoff(n), Work::Controller(id, key));
                    }
                    Reconciled::Done(action) => {
                        self.failures.remove(&slot);
                        if let Action::RequeueAfter(d) = action {
                            self.schedule(d, Work::Controller(id, key));
                        }
                    }
                }
            }
            Work::Collect(key, uid) => {
                let mut ctx = Ctx {
                    api: &mut self.api,
                    recorder: &mut self.recorder,
                };
                if let Action::RequeueAfter(d) = controllers::gc::reconcile(&mut ctx, &key, &uid) {
                    self.schedule(d, Work::Collect(key, uid));
                }
            }
            Work::Lifecycle(key) => {
                // The kubelet keeps the pod's next wake-up itself.
                self.kubelet
                    .reconcile(&mut self.api, &mut self.recorder, &key);
            }
            Work::NodeMonitor(name) => {
                let mut ctx = Ctx {
                    api: &mut self.api,
                    recorder: &mut self.recorder,
                };
                let since = self.silent_nodes.get(&name).copied();
                let action = controllers::node_lifecycle::reconcile(&mut ctx, &name, since);
                if let Action::RequeueAfter(d) = action {
                    self.schedule(d, Work::NodeMonitor(name));
                }
            }
            Work::StaticPods(node) => {
                self.kubelet.sync_static_pods(&mut self.api, &node);
            }
            Work::SchedulerFlush => {
                self.scheduler.cluster_changed();
                self.schedule(SCHEDULER_FLUSH, Work::SchedulerFlush);
            }
        }
    }

    /// Turns watch events since the cursor into work items (the informers' job).
    fn route_events(&mut self) {
        let store = self.api.store();
        let Ok(events) = store.events_since(self.cursor) else {
            // History was compacted under us: re-list everything, as an informer does.
            self.cursor = store.revision();
            self.resync();
            return;
        };
        let mut router = Router {
            store,
            dirty: &mut self.dirty,
            scheduler: &mut self.scheduler,
        };
        for event in events {
            router.route(&event.object, event.event_type);
        }
        self.cursor = store.revision();
    }

    /// Wakes every worker for every object, and collects dependents of vanished owners.
    fn resync(&mut self) {
        let store = self.api.store();
        let live: BTreeSet<&str> = store.all().map(Object::uid).collect();
        let mut router = Router {
            store,
            dirty: &mut self.dirty,
            scheduler: &mut self.scheduler,
        };
        for object in store.all() {
            router.route(object, WatchEventType::Added);
            for owner in object.meta().owner_references.iter().flatten() {
                if live.contains(owner.uid.as_str()) {
                    continue;
                }
                let kind = Kind::ALL
                    .iter()
                    .copied()
                    .find(|k| k.name() == owner.kind && k.api_version() == owner.api_version);
                if let Some(kind) = kind {
                    let key = ObjectKey::new(kind, object.namespace(), &owner.name);
                    router.dirty.insert(Work::Collect(key, owner.uid.clone()));
                }
            }
        }
    }

    /// Adds a worker node (Ready, with the given capacity).
    pub fn add_node(&mut self, node: &NodeConfig) -> Result<Object, ApiError> {
        let index = self.api.store().count(Kind::Node) as u32;
        let object = cluster::node_object(node, index)?;
        self.api.create(Object::Node(Box::new(object)))
    }

    /// Removes a node object; its pods are deleted (the pod GC does this for orphaned pods).
    pub fn remove_node(&mut self, name: &str) -> Result<Object, ApiError> {
        let removed =
            self.api
                .delete(Kind::Node, "", name, &crate::api::DeleteOptions::default())?;
        let pods: Vec<ObjectKey> = crate::kubelet::bound_pods(&self.api, name)
            .map(|p| {
                ObjectKey::new(
                    Kind::Pod,
                    p.metadata.namespace.as_deref().unwrap_or(""),
                    p.metadata.name.as_deref().unwrap_or(""),
                )
            })
            .collect();
        for key in pods {
            self.api.remove_now(&key);
        }
        Ok(removed)
    }

    /// Makes a node's kubelet stop (`false`) or resume (`true`) reporting. A silent node goes
    /// NotReady after 50 s and its pods are evicted when their tolerations expire.
    pub fn set_node_reporting(&mut self, name: &str, reporting: bool) -> Result<(), ApiError> {
        self.api.get_ref(Kind::Node, "", name)?;
        if reporting {
            self.silent_nodes.remove(name);
            self.kubelet.silent_nodes.remove(name);
            // Pods that waited on the silent kubelet can move again.
            let keys: Vec<ObjectKey> = crate::kubelet::bound_pods(&self.api, name)
                .map(|p| {
                    ObjectKey::new(
                        Kind::Pod,
                        p.metadata.namespace.as_deref().unwrap_or(""),
                        p.metadata.name.as_deref().unwrap_or(""),
                    )
                })
                .collect();
            for key in keys {
                self.dirty.insert(Work::Lifecycle(key.into()));
            }
            self.dirty.insert(Work::NodeMonitor(name.to_owned()));
        } else if !self.silent_nodes.contains_key(name) {
            self.silent_nodes.insert(name.to_owned(), self.clock.now());
            self.kubelet.silent_nodes.insert(name.to_owned());
            self.schedule(
                controllers::node_lifecycle::GRACE_PERIOD,
                Work::NodeMonitor(name.to_owned()),
            );
        }
        Ok(())
    }

    /// A container's log lines with their times; `previous` reads the instance before the
    /// last restart. `None` when the kubelet has no such container (or no previous instance).
    pub fn container_logs(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Option<Vec<(VirtualTime, String)>> {
        let key = ObjectKey::new(Kind::Pod, namespace, pod);
        self.kubelet.logs(&key, container, previous)
    }

    /// Runs a one-off command in a running container (`kubectl exec`), with the container's
    /// environment and filesystem.
    pub fn exec_in_container(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        argv: &[String],
    ) -> Result<tidepool_container::ExecOutput, ExecError> {
        let key = ObjectKey::new(Kind::Pod, namespace, pod);
        let now = self.clock.now();
        match self.kubelet.exec(&self.api, &key, container, argv, now) {
            None | Some(Err(tidepool_container::ExecError::NotRunning)) => {
                Err(ExecError::NotRunning)
            }
            Some(Ok(out)) => Ok(out),
            Some(Err(e)) => Err(ExecError::Runtime(e.to_string())),
        }
    }

    /// Opens an interactive `kubectl exec -it` session in a running container.
    pub fn open_exec_session(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        argv: &[String],
    ) -> Result<tidepool_container::ExecSession, ExecError> {
        let key = ObjectKey::new(Kind::Pod, namespace, pod);
        match self.kubelet.open_exec_session(&key, container, argv) {
            None | Some(Err(tidepool_container::ExecError::NotRunning)) => {
                Err(ExecError::NotRunning)
            }
            Some(Ok(mut session)) => {
                let shared = self.shared_pid_namespace(&key, container);
                if !shared.is_empty() {
                    session.share_process_namespace(&shared);
                }
                Ok(session)
            }
            Some(Err(e)) => Err(ExecError::Runtime(e.to_string())),
        }
    }

    /// The processes a container sees beside its own (their argvs, PID 1 first): the target
    /// of an ephemeral container (`targetContainerName`), or with the pod's
    /// `shareProcessNamespace` the sandbox's `/pause` and every other running container.
    fn shared_pid_namespace(&self, key: &ObjectKey, container: &str) -> Vec<Vec<String>> {
        let Some(spec) = self
            .api
            .store()
            .get(key)
            .and_then(Object::as_pod)
            .and_then(|p| p.spec.as_ref())
        else {
            return Vec::new();
        };
        let target = spec
            .ephemeral_containers
            .iter()
            .flatten()
            .find(|c| c.name == container)
            .and_then(|c| c.target_container_name.as_deref());
        if spec.share_process_namespace == Some(true) {
            let others = spec
                .containers
                .iter()
                .map(|c| c.name.as_str())
                .chain(
                    spec.ephemeral_containers
                        .iter()
                        .flatten()
                        .map(|c| c.name.as_str()),
                )
                .filter(|name| *name != container)
                .filter_map(|name| self.kubelet.main_argv(key, name));
            return std::iter::once(vec!["/pause".to_owned()])
                .chain(others)
                .collect();
        }
        target
            .and_then(|t| self.kubelet.main_argv(key, t))
            .into_iter()
            .collect()
    }

    /// Runs an interactive session's queued input until it waits for input, sleeps or ends.
    /// `None` when the container stopped (the stream closes).
    pub fn run_exec_session(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        session: &mut tidepool_container::ExecSession,
    ) -> Option<(tidepool_container::SessionState, tidepool_container::Output)> {
        let key = ObjectKey::new(Kind::Pod, namespace, pod);
        let now = self.clock.now();
        self.kubelet
            .run_exec_session(&self.api, &key, container, session, now)
    }

    /// Runs `work` on a running container's files and image (`kubectl cp`). `None` when the
    /// container is not running.
    pub fn with_container_fs<R>(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        work: impl FnOnce(&mut tidepool_container::MountedFs, tidepool_container::Image) -> R,
    ) -> Option<R> {
        let key = ObjectKey::new(Kind::Pod, namespace, pod);
        let now = self.clock.now();
        self.kubelet
            .with_container_fs(&self.api, &key, container, now, work)
    }

    /// The session `kubectl run -it` attached to ended with `code`: the container's main
    /// process ends with it (the session stands for PID 1). `false` when the container is not
    /// running.
    pub fn end_attached_process(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        code: i32,
    ) -> bool {
        let key = ObjectKey::new(Kind::Pod, namespace, pod);
        let now = self.clock.now();
        self.kubelet
            .end_attached_process(&self.api, &key, container, code, now)
            .is_some()
    }

    /// An HTTP request sent from a node's shell (`curl` on the control plane or after
    /// `ssh node01`), routed through Services, NodePorts and pod IPs as from a container.
    pub fn http_from_node(
        &mut self,
        ip: std::net::Ipv4Addr,
        port: u16,
        request: &tidepool_container::HttpRequest,
    ) -> Result<tidepool_container::HttpResponse, tidepool_container::NetError> {
        let now = self.clock.now();
        self.kubelet
            .http_from_node(&self.api, ip, port, request, now)
    }

    /// Current usage of a pod's running containers: `(container, millicores, bytes)`.
    pub fn pod_usage(&self, namespace: &str, pod: &str) -> Option<Vec<(String, u64, u64)>> {
        self.kubelet
            .usage(&ObjectKey::new(Kind::Pod, namespace, pod), self.clock.now())
    }

    /// Current usage of a node's running containers: `(millicores, bytes)` summed (the
    /// figures `kubectl top node` starts from).
    pub fn node_usage(&self, node: &str) -> (u64, u64) {
        crate::kubelet::bound_pods(&self.api, node)
            .filter_map(|p| {
                self.pod_usage(
                    p.metadata.namespace.as_deref().unwrap_or(""),
                    p.metadata.name.as_deref().unwrap_or(""),
                )
            })
            .flatten()
            .fold((0, 0), |(cpu, mem), (_, c, m)| (cpu + c, mem + m))
    }

    /// The files in a node's `/etc/kubernetes/manifests` (static pod manifests), by name.
    pub fn manifests(&self, node: &str) -> Vec<(String, String)> {
        self.kubelet.manifests(node)
    }

    /// Writes a static pod manifest on a node; its kubelet creates the mirror pod on the next
    /// [`Simulation::advance`].
    pub fn write_manifest(&mut self, node: &str, file: &str, text: &str) {
        if self.kubelet.write_manifest(node, file, text) {
            self.dirty.insert(Work::StaticPods(node.to_owned()));
        }
    }

    /// Removes a static pod manifest; its mirror pod is deleted on the next advance.
    pub fn remove_manifest(&mut self, node: &str, file: &str) {
        if self.kubelet.remove_manifest(node, file) {
            self.dirty.insert(Work::StaticPods(node.to_owned()));
        }
    }

    /// The control-plane mirror pods the cluster starts with become files in the control
    /// plane's manifest folder, as kubeadm writes them.
    fn seed_static_manifests(&mut self) {
        let mirrors: Vec<(String, String, String)> = self
            .api
            .store()
            .list(Kind::Pod, None)
            .filter_map(Object::as_pod)
            .filter(|p| {
                p.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get("kubernetes.io/config.source"))
                    .is_some_and(|s| s == "file")
            })
            .filter_map(|p| {
                let node = p.spec.as_ref()?.node_name.clone()?;
                let component = p.metadata.labels.as_ref()?.get("component")?.clone();
                let mut manifest = p.clone();
                manifest.metadata.name = Some(component.clone());
                manifest.metadata.annotations = None;
                manifest.metadata.uid = None;
                manifest.metadata.resource_version = None;
                manifest.metadata.creation_timestamp = None;
                manifest.status = None;
                if let Some(spec) = manifest.spec.as_mut() {
                    spec.node_name = None;
                    spec.tolerations = None;
                }
                let yaml =
                    serde_norway::to_string(&Object::Pod(Box::new(manifest)).to_json()).ok()?;
                Some((node, format!("{component}.yaml"), yaml))
            })
            .collect();
        for (node, file, yaml) in mirrors {
            self.kubelet.write_manifest(&node, &file, &yaml);
        }
    }

    /// Pods the scheduler could not place and is waiting to retry.
    pub fn unschedulable_pods(&self) -> usize {
        self.scheduler.pending_unschedulable()
    }

    /// Saves the whole cluster (objects, clock, RNG position and pending work).
    pub fn snapshot(&mut self) -> Snapshot {
        self.route_events();
        Snapshot {
            version: Snapshot::VERSION,
            seed: self.api.seed(),
            rng_word_pos: self.api.rng().word_pos().to_string(),
            now_ms: self.clock.now().as_millis(),
            steps: self.steps,
            revision: self.api.store().revision(),
            objects: self.api.store().all().map(Object::to_json).collect(),
            dirty: self.dirty.iter().cloned().collect(),
            timers: {
                // In (time, work) order, as when every timer lived in `timers`.
                let mut timers: Vec<(u64, Work)> = self
                    .timers
                    .iter()
                    .map(|(t, w)| (t.as_millis(), w.clone()))
                    .chain(
                        self.kubelet
                            .pending_wakes()
                            .map(|(t, key)| (t.as_millis(), Work::Lifecycle(key.clone().into()))),
                    )
                    .collect();
                crate::stable_sort::sort(&mut timers);
                timers
            },
            failures: self
                .failures
                .iter()
                .map(|((id, k), n)| (*id, k.clone(), *n))
                .collect(),
            scheduler: self.scheduler.to_state(),
            lifecycle: self.kubelet.to_state(),
            recorder: self.recorder.to_state(),
            silent_nodes: self
                .silent_nodes
                .iter()
                .map(|(n, t)| (n.clone(), t.as_millis()))
                .collect(),
            hpa_history: self.hpa_history.clone(),
        }
    }

    /// Rebuilds a simulation from a snapshot.
    pub fn restore(snapshot: &Snapshot) -> Result<Simulation, SnapshotError> {
        if snapshot.version != Snapshot::VERSION {
            return Err(SnapshotError::Version(snapshot.version));
        }
        let mut objects = Vec::with_capacity(snapshot.objects.len());
        for value in &snapshot.objects {
            let api_version = value
                .get("apiVersion")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let kind = value.get("kind").and_then(|v| v.as_str()).unwrap_or("");
            let kind = Kind::from_type(api_version, kind).ok_or_else(|| {
                SnapshotError::Object(format!("unknown kind {api_version}/{kind}"))
            })?;
            let object = Object::from_json(kind, value.clone())
                .map_err(|e| SnapshotError::Object(e.to_string()))?;
            objects.push(object);
        }
        let word_pos: u128 = snapshot
            .rng_word_pos
            .parse()
            .map_err(|_| SnapshotError::Object("bad rng position".to_owned()))?;
        let mut rng = SimRng::seeded(snapshot.seed);
        rng.set_word_pos(word_pos);
        let now = VirtualTime::from_millis(snapshot.now_ms);
        let mut clock = VirtualClock::default();
        clock.advance(now.saturating_since(VirtualTime::ZERO));
        let store = Store::restore(objects, snapshot.revision);
        let mut api = ApiServer::from_parts(store, rng, now);
        // A session saved before the playground served RBAC has no policy: without it the
        // admin could do nothing, so it gets the bootstrap policy a new cluster has.
        if api.store().count(Kind::ClusterRole) == 0 {
            crate::rbac::bootstrap(&mut api)
                .map_err(|e| SnapshotError::Object(format!("RBAC bootstrap: {}", e.message)))?;
        }
        Ok(Simulation {
            clock,
            steps: snapshot.steps,
            recorder: EventRecorder::from_state(&snapshot.recorder),
            scheduler: Scheduler::from_state(&snapshot.scheduler),
            kubelet: {
                let mut kubelet = Kubelet::from_state(&snapshot.lifecycle);
                kubelet.silent_nodes = crate::stable_sort::collect_by_insert(
                    snapshot.silent_nodes.iter().map(|(n, _)| n.clone()),
                );
                for (t, w) in &snapshot.timers {
                    if let Work::Lifecycle(key) = w {
                        kubelet.wake_at(key, VirtualTime::from_millis(*t));
                    }
                }
                kubelet
            },
            cursor: snapshot.revision,
            dirty: crate::stable_sort::collect_by_insert(snapshot.dirty.iter().cloned()),
            timers: crate::stable_sort::collect_by_insert(
                snapshot
                    .timers
                    .iter()
                    .filter(|(_, w)| !matches!(w, Work::Lifecycle(_)))
                    .map(|(t, w)| (VirtualTime::from_millis(*t), w.clone())),
            ),
            timer_at: crate::stable_sort::collect_by_insert(
                snapshot
                    .timers
                    .iter()
                    .filter(|(_, w)| !matches!(w, Work::Lifecycle(_)))
                    .map(|(t, w)| (w.clone(), VirtualTime::from_millis(*t))),
            ),

            failures: crate::stable_sort::collect_by_insert(
                snapshot
                    .failures
                    .iter()
                    .map(|(id, k, n)| ((*id, k.clone()), *n)),
            ),
            silent_nodes: crate::stable_sort::collect_by_insert(
                snapshot
                    .silent_nodes
                    .iter()
                    .map(|(n, t)| (n.clone(), VirtualTime::from_millis(*t))),
            ),
            owned_pods: OwnedPods::default(),
            hpa_history: snapshot.hpa_history.clone(),
            api,
        })
    }
}

/// Turns watch events into work items (the informers' event handlers). Borrows the store
/// immutably while queueing work, so events are routed without copying them.
struct Router<'a> {
    store: &'a Store,
    dirty: &'a mut BTreeSet<Work>,
    scheduler: &'a mut Scheduler,
}

impl Router<'_> {
    fn wake(&mut self, id: ControllerId, key: ObjectKey) {
        self.dirty.insert(Work::Controller(id, key));
    }

    fn wake_all(&mut self, id: ControllerId, kind: Kind, namespace: Option<&str>) {
        let keys: Vec<ObjectKey> = self.store.list(kind, namespace).map(Object::key).collect();
        for key in keys {
            self.wake(id, key);
        }
    }

    fn route(&mut self, object: &Object, event_type: WatchEventType) {
        let kind = object.kind();
        if kind == Kind::Event {
            return;
        }
        let key = object.key();
        let ns = object.namespace().to_owned();
        let deleted = event_type == WatchEventType::Deleted;
        let finalizing = object.meta().deletion_timestamp.is_some()
            && object
                .meta()
                .finalizers
                .as_ref()
                .is_some_and(|f| f.iter().any(|x| x == "orphan" || x == "foregroundDeletion"));
        if deleted || finalizing {
            self.dirty
                .insert(Work::Collect(key.clone(), object.uid().to_owned()));
        }
        // Status-only writes by a controller to its own object need no new reconcile.
        let own_status_write = event_type == WatchEventType::Modified
            && observed_generation(object) == object.meta().generation;
        if kind.namespaced() && !ns.is_empty() && kind != Kind::ResourceQuota {
            let has_quota = self
                .store
                .list(Kind::ResourceQuota, Some(&ns))
                .next()
                .is_some();
            if has_quota {
                self.wake_all(ControllerId::ResourceQuota, Kind::ResourceQuota, Some(&ns));
            }
        }
        match kind {
            Kind::Namespace => {
                self.wake(ControllerId::Namespace, key.clone());
                self.wake(ControllerId::ServiceAccount, key);
            }
            Kind::Node => {
                self.scheduler.cluster_changed();
                self.wake_all(ControllerId::DaemonSet, Kind::DaemonSet, None);
            }
            Kind::ResourceQuota => self.wake(ControllerId::ResourceQuota, key),
            Kind::Service => self.wake(ControllerId::Endpoints, key),
            // The apiserver keeps its own endpoints (see `endpoints::reconcile`).
            Kind::Endpoints if key.namespace == "default" && key.name == "kubernetes" => {
                self.wake(ControllerId::Endpoints, key);
            }
            Kind::ReplicaSet => {
                if !own_status_write {
                    self.wake(ControllerId::ReplicaSet, key);
                }
                if let Some(owner) = controller_of(object.meta()) {
                    if owner.kind == "Deployment" {
                        let d = ObjectKey::new(Kind::Deployment, &ns, &owner.name);
                        self.wake(ControllerId::Deployment, d);
                    }
                } else if !deleted {
                    self.wake_all(ControllerId::Deployment, Kind::Deployment, Some(&ns));
                }
            }
            Kind::ReplicationController if !own_status_write => {
                self.wake(ControllerId::ReplicationController, key);
            }
            Kind::Deployment if !own_status_write => {
                self.wake(ControllerId::Deployment, key);
            }
            Kind::DaemonSet if !own_status_write => {
                self.wake(ControllerId::DaemonSet, key);
            }
            Kind::Job => {
                if !own_status_write || deleted {
                    self.wake(ControllerId::Job, key);
                }
                if let Some(owner) = controller_of(object.meta()).filter(|o| o.kind == "CronJob") {
                    let cj = ObjectKey::new(Kind::CronJob, &ns, &owner.name);
                    self.wake(ControllerId::CronJob, cj);
                }
            }
            Kind::CronJob if !own_status_write => self.wake(ControllerId::CronJob, key),
            Kind::StatefulSet if !own_status_write => {
                self.wake(ControllerId::StatefulSet, key);
            }
            // The autoscaler's status carries no observedGeneration to tell its own writes
            // apart: a new one is synced at once, changes at the next 15 s sync.
            Kind::HorizontalPodAutoscaler if event_type == WatchEventType::Added => {
                self.wake(ControllerId::HorizontalPodAutoscaler, key);
            }
            Kind::Pod => self.route_pod(object, event_type),
            Kind::PodDisruptionBudget if !own_status_write && !deleted => {
                self.wake(ControllerId::Disruption, key);
            }
            Kind::PersistentVolumeClaim => {
                self.wake(ControllerId::PersistentVolumeBinder, key.clone());
                if object.meta().deletion_timestamp.is_some() {
                    self.wake(ControllerId::PvcProtection, key);
                }
                if deleted {
                    // Its volume is released.
                    self.wake_all(
                        ControllerId::PersistentVolumeBinder,
                        Kind::PersistentVolume,
                        None,
                    );
                }
                self.scheduler.cluster_changed();
            }
            Kind::PersistentVolume => {
                self.wake(ControllerId::PersistentVolumeBinder, key.clone());
                if object.meta().deletion_timestamp.is_some() {
                    self.wake(ControllerId::PvProtection, key);
                }
                // The claim it names completes its binding now; other waiting claims find
                // it on their next periodic sync, as with the real binder.
                let claim_ref = object
                    .as_persistent_volume()
                    .and_then(|pv| pv.spec.as_ref()?.claim_ref.as_ref());
                if let Some(claim_ref) = claim_ref {
                    let claim = ObjectKey::new(
                        Kind::PersistentVolumeClaim,
                        claim_ref.namespace.as_deref().unwrap_or(""),
                        claim_ref.name.as_deref().unwrap_or(""),
                    );
                    self.wake(ControllerId::PersistentVolumeBinder, claim);
                }
                self.scheduler.cluster_changed();
            }
            Kind::StorageClass => self.scheduler.cluster_changed(),
            _ => {}
        }
    }

    fn route_pod(&mut self, object: &Object, event_type: WatchEventType) {
        let Some(pod) = object.as_pod() else {
            return;
        };
        let key = object.key();
        let ns = object.namespace().to_owned();
        let deleted = event_type == WatchEventType::Deleted;
        match controller_of(&pod.metadata) {
            Some(owner) => {
                let id_kind = match owner.kind.as_str() {
                    "ReplicaSet" => Some((ControllerId::ReplicaSet, Kind::ReplicaSet)),
                    "ReplicationController" => Some((
                        ControllerId::ReplicationController,
                        Kind::ReplicationController,
                    )),
                    "DaemonSet" => Some((ControllerId::DaemonSet, Kind::DaemonSet)),
                    "Job" => Some((ControllerId::Job, Kind::Job)),
                    "StatefulSet" => Some((ControllerId::StatefulSet, Kind::StatefulSet)),
                    _ => None,
                };
                if let Some((id, kind)) = id_kind {
                    self.wake(id, ObjectKey::new(kind, &ns, &owner.name));
                }
            }
            None if !deleted => {
                self.wake_all(ControllerId::ReplicaSet, Kind::ReplicaSet, Some(&ns));
                self.wake_all(
                    ControllerId::ReplicationController,
                    Kind::ReplicationController,
                    Some(&ns),
                );
            }
            None => {}
        }
        self.wake_all(ControllerId::Endpoints, Kind::Service, Some(&ns));
        self.wake_all(
            ControllerId::Disruption,
            Kind::PodDisruptionBudget,
            Some(&ns),
        );
        for claim in crate::storage::pod_claims(pod) {
            let claim = ObjectKey::new(Kind::PersistentVolumeClaim, &ns, claim);
            self.wake(ControllerId::PvcProtection, claim.clone());
            self.wake(ControllerId::PersistentVolumeBinder, claim);
        }
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let terminal = matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        );
        if deleted || terminal {
            self.scheduler.cluster_changed();
        } else if node.is_none() && event_type == WatchEventType::Added {
            self.scheduler.enqueue(key.clone());
        }
        if node.is_some() && !deleted {
            self.dirty.insert(Work::Lifecycle(key.into()));
        }
        // A mirror pod deleted through the API comes back while its manifest exists.
        let mirror = pod
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"));
        if let (true, true, Some(node)) = (deleted, mirror, node) {
            self.dirty.insert(Work::StaticPods(node));
        }
    }
}

/// `status.observedGeneration` of the kinds that have one (read without serialising).
fn observed_generation(object: &Object) -> Option<i64> {
    match object {
        Object::Deployment(o) => o.status.as_ref()?.observed_generation,
        Object::ReplicaSet(o) => o.status.as_ref()?.observed_generation,
        Object::ReplicationController(o) => o.status.as_ref()?.observed_generation,
        Object::DaemonSet(o) => o.status.as_ref()?.observed_generation,
        Object::StatefulSet(o) => o.status.as_ref()?.observed_generation,
        Object::PodDisruptionBudget(o) => o.status.as_ref()?.observed_generation,
        _ => None,
    }
}

/// A saved cluster. Serialise it with serde (e.g. `serde_json::to_string`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub seed: u64,
    /// The RNG's stream position (a u128, as text for JSON).
    pub rng_word_pos: String,
    pub now_ms: u64,
    pub steps: u64,
    pub revision: u64,
    /// Every object, as the apiserver would serve it.
    pub objects: Vec<serde_json::Value>,
    dirty: Vec<Work>,
    timers: Vec<(u64, Work)>,
    failures: Vec<(ControllerId, ObjectKey, u32)>,
    scheduler: serde_json::Value,
    lifecycle: serde_json::Value,
    recorder: serde_json::Value,
    silent_nodes: Vec<(String, u64)>,
    /// Absent from snapshots taken before autoscalers were simulated.
    #[serde(default)]
    hpa_history: controllers::hpa::HpaHistory,
}

impl Snapshot {
    /// Bumped whenever the layout changes; older snapshots are refused, not misread.
    pub const VERSION: u32 = 2;
}

/// Why `kubectl exec` could not run a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecError {
    /// The container has no running process.
    NotRunning,
    /// The runtime refused (OCI text, e.g. a missing executable).
    Runtime(String),
}

/// Why a snapshot could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot version {0} is not supported (expected {v})", v = Snapshot::VERSION)]
    Version(u32),
    #[error("snapshot holds an unreadable object: {0}")]
    Object(String),
}
