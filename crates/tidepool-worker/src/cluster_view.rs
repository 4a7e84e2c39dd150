//! The compact cluster view the UI draws as a graph, and the tracker that keeps it up to date
//! from the store's watch log.
//!
//! The view is a set of keyed sections (nodes, pods, workloads, services, events). The worker
//! sends one full [`ClusterView`] when the UI connects and then [`ViewDelta`]s holding only the
//! entries that changed. The tracker reads the store's watch log since the revision it last
//! saw, so the work per update is proportional to what changed, not to the cluster's size
//! (node totals are re-summed over the pods in the view: integer additions).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use tidepool_core::api::virtual_time;
use tidepool_core::scheduler::plugins::{allocatable, pod_requests};
use tidepool_core::{Kind, Object, ObjectKey, Simulation};

/// A node box: capacity, what its pods request, readiness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    pub name: String,
    pub ready: bool,
    pub unschedulable: bool,
    pub cpu_allocatable_milli: u64,
    pub cpu_requested_milli: u64,
    pub memory_allocatable_bytes: u64,
    pub memory_requested_bytes: u64,
    /// Pods bound to the node (any status).
    pub pods: u32,
}

/// The controller that owns an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerView {
    pub kind: String,
    pub name: String,
}

/// A pod chip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodView {
    pub namespace: String,
    pub name: String,
    /// `spec.nodeName`; `None` while unscheduled.
    pub node: Option<String>,
    /// The STATUS cell exactly as `kubectl get pods` prints it.
    pub status: String,
    /// The READY cell (`1/1`).
    pub ready: String,
    pub owner: Option<OwnerView>,
    pub cpu_request_milli: u64,
    pub memory_request_bytes: u64,
}

/// A Deployment or ReplicaSet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadView {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    /// The owning Deployment of a ReplicaSet.
    pub owner: Option<OwnerView>,
    pub desired: i32,
    pub ready: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WorkloadKind {
    Deployment,
    ReplicaSet,
}

/// A Service with the pods its Endpoints object lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    pub namespace: String,
    pub name: String,
    pub service_type: String,
    pub cluster_ip: String,
    /// Names of the ready endpoint pods (same namespace).
    pub endpoints: Vec<String>,
}

/// One (aggregated) event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub namespace: String,
    pub name: String,
    /// `Normal` or `Warning`.
    pub event_type: String,
    pub reason: String,
    /// `Pod/web-1`.
    pub object: String,
    pub message: String,
    pub count: i32,
    /// Virtual milliseconds of the last occurrence.
    pub last_seen_ms: u64,
}

/// Entries keyed by `namespace/name` (`name` for nodes, `Kind/namespace/name` for workloads).
///
/// Shared structure: the map and each entry sit behind an `Rc`, so a copy of a view shares
/// them, and changing a copy copies only the map's spine (keys and pointers), never the
/// entries. The UI needs that: its reducer applies each delta to a copy of the view while
/// the previous state (and the graph's memo) still hold the old one, and a deep copy of a
/// thousand pods and thousands of events cost milliseconds per delta. On the wire it is a
/// plain map of entries.
#[derive(Clone)]
pub struct Section<T>(Rc<BTreeMap<String, Rc<T>>>);

impl<T> Default for Section<T> {
    fn default() -> Self {
        Self(Rc::default())
    }
}

impl<T: PartialEq> PartialEq for Section<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
            || (self.0.len() == other.0.len()
                && self
                    .0
                    .iter()
                    .zip(other.0.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && (Rc::ptr_eq(va, vb) || va == vb)))
    }
}

impl<T: Eq> Eq for Section<T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for Section<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<T: Serialize> Serialize for Section<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Section<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = BTreeMap::<String, T>::deserialize(deserializer)?;
        Ok(entries.into_iter().collect())
    }
}

impl<T> FromIterator<(String, T)> for Section<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(entries: I) -> Self {
        Self(Rc::new(
            entries.into_iter().map(|(k, v)| (k, Rc::new(v))).collect(),
        ))
    }
}

impl<T> Section<T> {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.get(key).map(|entry| &**entry)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.keys()
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.0.values().map(|entry| &**entry)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &T)> + ExactSizeIterator {
        self.0.iter().map(|(key, entry)| (key, &**entry))
    }

    /// Sets an entry; the map's spine is copied first if another view shares it.
    pub fn insert(&mut self, key: String, value: T) {
        Rc::make_mut(&mut self.0).insert(key, Rc::new(value));
    }

    /// Removes an entry (copying the spine first if it is shared and holds the key).
    pub fn remove(&mut self, key: &str) {
        if self.0.contains_key(key) {
            Rc::make_mut(&mut self.0).remove(key);
        }
    }
}

impl<T> std::ops::Index<&str> for Section<T> {
    type Output = T;

    fn index(&self, key: &str) -> &T {
        &self.0[key]
    }
}

impl<T: Clone> Section<T> {
    /// Every entry, mutable: shared ones are copied first.
    pub fn values_mut(&mut self) -> impl Iterator<Item = (&String, &mut T)> {
        Rc::make_mut(&mut self.0)
            .iter_mut()
            .map(|(key, entry)| (key, Rc::make_mut(entry)))
    }
}

/// Everything the graph, the inspector's lists and the events timeline show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterView {
    /// The store revision this view reflects.
    pub revision: u64,
    pub nodes: Section<NodeView>,
    pub pods: Section<PodView>,
    pub workloads: Section<WorkloadView>,
    pub services: Section<ServiceView>,
    pub events: Section<EventView>,
}

/// Changed and removed entries of one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes<T> {
    pub upserted: Vec<(String, T)>,
    pub removed: Vec<String>,
}

impl<T> Default for Changes<T> {
    fn default() -> Self {
        Self {
            upserted: Vec::new(),
            removed: Vec::new(),
        }
    }
}

impl<T: Clone> Changes<T> {
    pub fn is_empty(&self) -> bool {
        self.upserted.is_empty() && self.removed.is_empty()
    }

    fn apply(&self, section: &mut Section<T>) {
        for key in &self.removed {
            section.remove(key);
        }
        for (key, value) in &self.upserted {
            section.insert(key.clone(), value.clone());
        }
    }

    /// [`Changes::apply`], moving the entries instead of copying them.
    fn apply_owned(self, section: &mut Section<T>) {
        for key in &self.removed {
            section.remove(key);
        }
        for (key, value) in self.upserted {
            section.insert(key, value);
        }
    }
}

/// What changed between two views.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewDelta {
    pub revision: u64,
    /// Microseconds of real time the worker took to compute this delta: a measurement for
    /// the UI's performance record, not part of the view (it differs run to run).
    #[serde(default)]
    pub built_in_us: u32,
    pub nodes: Changes<NodeView>,
    pub pods: Changes<PodView>,
    pub workloads: Changes<WorkloadView>,
    pub services: Changes<ServiceView>,
    pub events: Changes<EventView>,
}

impl ViewDelta {
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.pods.is_empty()
            && self.workloads.is_empty()
            && self.services.is_empty()
            && self.events.is_empty()
    }

    /// Number of entries the delta carries (for measurements).
    pub fn len(&self) -> usize {
        self.nodes.upserted.len()
            + self.nodes.removed.len()
            + self.pods.upserted.len()
            + self.pods.removed.len()
            + self.workloads.upserted.len()
            + self.workloads.removed.len()
            + self.services.upserted.len()
            + self.services.removed.len()
            + self.events.upserted.len()
            + self.events.removed.len()
    }
}

impl ClusterView {
    /// Builds the whole view from the simulation's store.
    pub fn build(sim: &Simulation) -> Self {
        let store = sim.api().store();
        let mut view = ClusterView {
            revision: store.revision(),
            ..ClusterView::default()
        };
        for object in store.all() {
            view.set(&object_key(object), Some(object), sim);
        }
        view.sum_node_requests();
        view
    }

    /// Applies a delta received from the worker, taking its entries (no copy of each).
    pub fn apply_owned(&mut self, delta: ViewDelta) {
        self.revision = delta.revision;
        delta.nodes.apply_owned(&mut self.nodes);
        delta.pods.apply_owned(&mut self.pods);
        delta.workloads.apply_owned(&mut self.workloads);
        delta.services.apply_owned(&mut self.services);
        delta.events.apply_owned(&mut self.events);
    }

    /// Applies a delta received from the worker.
    pub fn apply(&mut self, delta: &ViewDelta) {
        self.revision = delta.revision;
        delta.nodes.apply(&mut self.nodes);
        delta.pods.apply(&mut self.pods);
        delta.workloads.apply(&mut self.workloads);
        delta.services.apply(&mut self.services);
        delta.events.apply(&mut self.events);
    }

    /// Sets (or removes, with `None`) the entry for `key`. Kinds the view does not show are
    /// ignored.
    fn set(&mut self, key: &ObjectKey, object: Option<&Object>, sim: &Simulation) {
        let Some((section, id)) = entry_id(key) else {
            return;
        };
        let store = sim.api().store();
        match section {
            SectionId::Nodes => put(&mut self.nodes, id, object.and_then(node_view)),
            SectionId::Pods => put(&mut self.pods, id, object.and_then(|o| pod_view(o, sim))),
            SectionId::Workloads => put(&mut self.workloads, id, object.and_then(workload_view)),
            SectionId::Services => {
                // A Service and its Endpoints make one entry: read both from the store.
                let service = store.get(&ObjectKey::new(Kind::Service, &key.namespace, &key.name));
                let endpoints =
                    store.get(&ObjectKey::new(Kind::Endpoints, &key.namespace, &key.name));
                put(
                    &mut self.services,
                    id,
                    service.and_then(|s| service_view(s, endpoints)),
                );
            }
            SectionId::Events => put(&mut self.events, id, object.and_then(event_view)),
        }
    }

    /// Recomputes each node's requested totals and pod count from the pods in the view.
    fn sum_node_requests(&mut self) {
        let mut totals: BTreeMap<&str, (u64, u64, u32)> = BTreeMap::new();
        for pod in self.pods.values() {
            // Finished pods no longer hold their requests (the scheduler skips them too).
            let holds = !matches!(pod.status.as_str(), "Completed" | "Error")
                && !pod.status.starts_with("ExitCode:");
            if let Some(node) = pod.node.as_deref() {
                let entry = totals.entry(node).or_default();
                entry.2 += 1;
                if holds {
                    entry.0 += pod.cpu_request_milli;
                    entry.1 += pod.memory_request_bytes;
                }
            }
        }
        for (name, node) in self.nodes.values_mut() {
            let (cpu, memory, pods) = totals.get(name.as_str()).copied().unwrap_or_default();
            node.cpu_requested_milli = cpu;
            node.memory_requested_bytes = memory;
            node.pods = pods;
        }
    }
}

/// Which section an object's entry lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SectionId {
    Nodes,
    Pods,
    Workloads,
    Services,
    Events,
}

/// The section and key of an object's entry; `None` for kinds the view does not show.
fn entry_id(key: &ObjectKey) -> Option<(SectionId, String)> {
    let namespaced = format!("{}/{}", key.namespace, key.name);
    Some(match key.kind {
        Kind::Node => (SectionId::Nodes, key.name.clone()),
        Kind::Pod => (SectionId::Pods, namespaced),
        Kind::Deployment | Kind::ReplicaSet => (
            SectionId::Workloads,
            format!("{}/{namespaced}", key.kind.name()),
        ),
        Kind::Service | Kind::Endpoints => (SectionId::Services, namespaced),
        Kind::Event => (SectionId::Events, namespaced),
        _ => return None,
    })
}

fn put<T>(section: &mut Section<T>, key: String, entry: Option<T>) {
    match entry {
        Some(value) => {
            section.insert(key, value);
        }
        None => {
            section.remove(&key);
        }
    }
}

fn object_key(object: &Object) -> ObjectKey {
    ObjectKey::new(object.kind(), object.namespace(), object.name())
}

/// Milli-units to a whole count, clamped to `u64`.
fn milli_to_u64(milli: i128, divisor: i128) -> u64 {
    u64::try_from((milli / divisor).max(0)).unwrap_or(u64::MAX)
}

fn node_view(object: &Object) -> Option<NodeView> {
    let node = object.as_node()?;
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conds| {
            conds
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        });
    Some(NodeView {
        name: object.name().to_owned(),
        ready,
        unschedulable: node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true),
        cpu_allocatable_milli: milli_to_u64(allocatable(node, "cpu"), 1),
        cpu_requested_milli: 0,
        memory_allocatable_bytes: milli_to_u64(allocatable(node, "memory"), 1000),
        memory_requested_bytes: 0,
        pods: 0,
    })
}

fn controller_owner(object: &Object) -> Option<OwnerView> {
    tidepool_core::api::controller_of(object.meta()).map(|r| OwnerView {
        kind: r.kind.clone(),
        name: r.name.clone(),
    })
}

fn pod_view(object: &Object, sim: &Simulation) -> Option<PodView> {
    let pod = object.as_pod()?;
    // From the typed pod: serialising each changed pod to JSON was most of a delta's cost.
    let (ready, status) = tidepool_shell::kubectl::pod_ready_and_status(pod, sim.now());
    let requests = pod_requests(pod);
    Some(PodView {
        namespace: object.namespace().to_owned(),
        name: object.name().to_owned(),
        node: pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty()),
        status,
        ready,
        owner: controller_owner(object),
        cpu_request_milli: milli_to_u64(requests.cpu_milli, 1),
        memory_request_bytes: milli_to_u64(requests.memory_milli, 1000),
    })
}

fn workload_view(object: &Object) -> Option<WorkloadView> {
    let (kind, desired, ready) = match object {
        Object::Deployment(d) => (
            WorkloadKind::Deployment,
            d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            d.status
                .as_ref()
                .and_then(|s| s.ready_replicas)
                .unwrap_or(0),
        ),
        Object::ReplicaSet(rs) => (
            WorkloadKind::ReplicaSet,
            rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            rs.status
                .as_ref()
                .and_then(|s| s.ready_replicas)
                .unwrap_or(0),
        ),
        _ => return None,
    };
    Some(WorkloadView {
        kind,
        namespace: object.namespace().to_owned(),
        name: object.name().to_owned(),
        owner: controller_owner(object),
        desired,
        ready,
    })
}

fn service_view(object: &Object, endpoints: Option<&Object>) -> Option<ServiceView> {
    let service = object.as_service()?;
    let spec = service.spec.as_ref();
    let mut pods: BTreeSet<String> = BTreeSet::new();
    if let Some(Object::Endpoints(ep)) = endpoints {
        for subset in ep.subsets.iter().flatten() {
            for address in subset.addresses.iter().flatten() {
                if let Some(target) = &address.target_ref
                    && target.kind.as_deref() == Some("Pod")
                    && let Some(name) = &target.name
                {
                    pods.insert(name.clone());
                }
            }
        }
    }
    Some(ServiceView {
        namespace: object.namespace().to_owned(),
        name: object.name().to_owned(),
        service_type: spec
            .and_then(|s| s.type_.clone())
            .unwrap_or_else(|| "ClusterIP".to_owned()),
        cluster_ip: spec.and_then(|s| s.cluster_ip.clone()).unwrap_or_default(),
        endpoints: pods.into_iter().collect(),
    })
}

fn event_view(object: &Object) -> Option<EventView> {
    let event = object.as_event()?;
    let involved = &event.involved_object;
    let last = event
        .last_timestamp
        .as_ref()
        .or(event.first_timestamp.as_ref())
        .map_or(0, |t| virtual_time(t).as_millis());
    Some(EventView {
        namespace: object.namespace().to_owned(),
        name: object.name().to_owned(),
        event_type: event.type_.clone().unwrap_or_else(|| "Normal".to_owned()),
        reason: event.reason.clone().unwrap_or_default(),
        object: format!(
            "{}/{}",
            involved.kind.as_deref().unwrap_or(""),
            involved.name.as_deref().unwrap_or("")
        ),
        message: event.message.clone().unwrap_or_default(),
        count: event.count.unwrap_or(1),
        last_seen_ms: last,
    })
}

/// Keeps the last view sent to the UI and computes deltas from the watch log.
#[derive(Debug, Clone, Default)]
pub struct ViewTracker {
    view: ClusterView,
    /// Whether the full view went out since the last [`ViewTracker::reset`].
    started: bool,
}

/// What the tracker has to send.
// A full view is small now (its sections are shared pointers); each update is moved once to
// the message that carries it, so boxing the delta would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewUpdate {
    Full(ClusterView),
    Delta(ViewDelta),
}

impl ViewTracker {
    /// The view as last sent.
    pub fn view(&self) -> &ClusterView {
        &self.view
    }

    /// Forgets what was sent: the next update is a full view (a new UI, a restored session).
    pub fn reset(&mut self) {
        self.started = false;
    }

    /// The full view, and remembers it as sent.
    pub fn full(&mut self, sim: &Simulation) -> ClusterView {
        self.view = ClusterView::build(sim);
        self.started = true;
        self.view.clone()
    }

    /// What changed since the last call; `None` when nothing did.
    pub fn update(&mut self, sim: &Simulation) -> Option<ViewUpdate> {
        let store = sim.api().store();
        if !self.started {
            return Some(ViewUpdate::Full(self.full(sim)));
        }
        let started = stopwatch::now_us();
        if store.revision() == self.view.revision {
            return None;
        }
        let Ok(events) = store.events_since(self.view.revision) else {
            // Compacted away (the UI fell far behind): start over with a full view.
            return Some(ViewUpdate::Full(self.full(sim)));
        };
        let changed: BTreeSet<ObjectKey> = events.iter().map(|e| object_key(&e.object)).collect();
        // Old values of only the entries that may change, so an update costs what changed.
        let mut olds = Olds::default();
        let nodes_before = self.view.nodes.clone();
        let mut touched_pods = false;
        for key in &changed {
            let Some((section, id)) = entry_id(key) else {
                continue;
            };
            match section {
                SectionId::Nodes => {}
                SectionId::Pods => {
                    touched_pods = true;
                    remember(&mut olds.pods, &self.view.pods, id);
                }
                SectionId::Workloads => remember(&mut olds.workloads, &self.view.workloads, id),
                SectionId::Services => remember(&mut olds.services, &self.view.services, id),
                SectionId::Events => remember(&mut olds.events, &self.view.events, id),
            }
            self.view.set(key, store.get(key), sim);
        }
        if touched_pods || self.view.nodes != nodes_before {
            self.view.sum_node_requests();
        }
        self.view.revision = store.revision();
        let mut delta = ViewDelta {
            revision: self.view.revision,
            built_in_us: 0,
            nodes: diff(&nodes_before, &self.view.nodes),
            pods: changes(olds.pods, &self.view.pods),
            workloads: changes(olds.workloads, &self.view.workloads),
            services: changes(olds.services, &self.view.services),
            events: changes(olds.events, &self.view.events),
        };
        delta.built_in_us =
            u32::try_from(stopwatch::now_us().saturating_sub(started)).unwrap_or(u32::MAX);
        Some(ViewUpdate::Delta(delta))
    }
}

/// Real time for [`ViewDelta::built_in_us`]: `performance.now()` in the worker, a monotonic
/// clock natively. Only measurements use it; the view itself never depends on it.
mod stopwatch {
    #[cfg(target_arch = "wasm32")]
    pub fn now_us() -> u64 {
        #[wasm_bindgen::prelude::wasm_bindgen]
        extern "C" {
            #[wasm_bindgen(js_namespace = performance, js_name = now)]
            fn performance_now() -> f64;
        }
        (performance_now() * 1000.0) as u64
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn now_us() -> u64 {
        use std::sync::OnceLock;
        use std::time::Instant;
        static START: OnceLock<Instant> = OnceLock::new();
        u64::try_from(START.get_or_init(Instant::now).elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// Values entries had before an update, by key (`None`: the entry did not exist).
#[derive(Default)]
struct Olds {
    pods: BTreeMap<String, Option<PodView>>,
    workloads: BTreeMap<String, Option<WorkloadView>>,
    services: BTreeMap<String, Option<ServiceView>>,
    events: BTreeMap<String, Option<EventView>>,
}

fn remember<T: Clone>(olds: &mut BTreeMap<String, Option<T>>, section: &Section<T>, id: String) {
    let old = || section.get(&id).cloned();
    if let std::collections::btree_map::Entry::Vacant(slot) = olds.entry(id.clone()) {
        slot.insert(old());
    }
}

/// The changes to the remembered entries.
fn changes<T: Clone + PartialEq>(
    olds: BTreeMap<String, Option<T>>,
    section: &Section<T>,
) -> Changes<T> {
    let mut out = Changes::default();
    for (id, old) in olds {
        match (old, section.get(&id)) {
            (old, Some(new)) if old.as_ref() != Some(new) => out.upserted.push((id, new.clone())),
            (Some(_), None) => out.removed.push(id),
            _ => {}
        }
    }
    out
}

/// Entries of `after` that are new or differ from `before`, and keys `after` lost.
fn diff<T: Clone + PartialEq>(before: &Section<T>, after: &Section<T>) -> Changes<T> {
    Changes {
        upserted: after
            .iter()
            .filter(|(k, v)| before.get(k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        removed: before
            .keys()
            .filter(|k| !after.contains_key(k))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};
    use tidepool_core::NodeConfig;
    use tidepool_shell::{Session, SessionConfig};

    fn session_with(script: &str) -> Session {
        let mut session = Session::new(&SessionConfig::default());
        for out in session.run_script(script) {
            assert_eq!(out.exit_code, 0, "{}", out.text());
        }
        session
    }

    #[test]
    fn a_deployment_shows_owned_running_pods_on_nodes_with_requests() {
        let session = session_with(
            "cat <<EOF | kubectl apply -f -
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx
        resources:
          requests:
            cpu: 100m
            memory: 64Mi
EOF
sleep 60
kubectl expose deployment web --port=80",
        );
        let view = ClusterView::build(session.simulation());
        let web: Vec<&PodView> = view
            .pods
            .values()
            .filter(|p| p.name.starts_with("web-"))
            .collect();
        assert_eq!(web.len(), 3, "{:#?}", view.pods);
        for pod in &web {
            assert_eq!(pod.status, "Running");
            assert_eq!(pod.ready, "1/1");
            assert_eq!(pod.cpu_request_milli, 100);
            assert_eq!(pod.memory_request_bytes, 64 << 20);
            let owner = pod.owner.as_ref().expect("owned");
            assert_eq!(owner.kind, "ReplicaSet");
            let rs = &view.workloads[&format!("ReplicaSet/default/{}", owner.name)];
            assert_eq!(
                rs.owner,
                Some(OwnerView {
                    kind: "Deployment".to_owned(),
                    name: "web".to_owned()
                })
            );
            assert!(view.nodes.contains_key(pod.node.as_deref().expect("bound")));
        }
        let deployment = &view.workloads["Deployment/default/web"];
        assert_eq!((deployment.desired, deployment.ready), (3, 3));
        let requested: u64 = view.nodes.values().map(|n| n.cpu_requested_milli).sum();
        let expected: u64 = view
            .pods
            .values()
            .filter(|p| p.node.is_some())
            .map(|p| p.cpu_request_milli)
            .sum();
        assert_eq!(requested, expected);
        assert!(requested >= 300);
        let service = &view.services["default/web"];
        assert_eq!(service.service_type, "ClusterIP");
        let mut names: Vec<String> = web.iter().map(|p| p.name.clone()).collect();
        names.sort();
        assert_eq!(service.endpoints, names);
        assert!(
            view.events
                .values()
                .any(|e| e.reason == "ScalingReplicaSet" && e.object == "Deployment/web")
        );
    }

    #[test]
    fn deltas_carry_only_changes_and_rebuild_the_same_view() {
        let mut session =
            session_with("kubectl create deployment web --image=nginx --replicas=2\nsleep 30");
        let mut tracker = ViewTracker::default();
        let Some(ViewUpdate::Full(mut ui_view)) = tracker.update(session.simulation()) else {
            panic!("the first update is a full view");
        };
        assert_eq!(
            tracker.update(session.simulation()),
            None,
            "no change, no update"
        );
        session.run_script("kubectl scale deployment web --replicas=4");
        session.advance(Duration::from_secs(30));
        let Some(ViewUpdate::Delta(delta)) = tracker.update(session.simulation()) else {
            panic!("a delta");
        };
        assert_eq!(
            delta.pods.upserted.len(),
            2,
            "only the two new pods: {:#?}",
            delta.pods
        );
        assert!(delta.pods.removed.is_empty());
        let mut moved_into = ui_view.clone();
        ui_view.apply(&delta);
        assert_eq!(ui_view, ClusterView::build(session.simulation()));
        moved_into.apply_owned(delta);
        assert_eq!(moved_into, ui_view, "applying by value gives the same view");

        session.run_script("kubectl delete deployment web");
        session.advance(Duration::from_secs(60));
        let Some(ViewUpdate::Delta(delta)) = tracker.update(session.simulation()) else {
            panic!("a delta");
        };
        ui_view.apply_owned(delta);
        assert_eq!(ui_view, ClusterView::build(session.simulation()));
        assert!(!ui_view.pods.keys().any(|k| k.starts_with("default/web-")));
        assert!(!ui_view.workloads.keys().any(|k| k.contains("/default/")));
    }

    /// A changed copy of a view shares the entries it did not change, leaves the original
    /// as it was, and a section travels as a plain map.
    #[test]
    fn sections_are_shared_between_copies_and_serialise_as_maps() {
        let session =
            session_with("kubectl create deployment web --image=nginx --replicas=2\nsleep 30");
        let before = ClusterView::build(session.simulation());
        let mut after = before.clone();
        let (kept, _) = before.pods.iter().next().expect("a pod");
        let kept = kept.clone();
        let mut added = before.pods[kept.as_str()].clone();
        added.name = "added".to_owned();
        after.pods.insert("default/added".to_owned(), added);
        after.events.remove("no/such-event");
        assert!(!before.pods.contains_key("default/added"));
        assert_eq!(after.pods.len(), before.pods.len() + 1);
        assert!(
            std::ptr::eq(&before.pods[kept.as_str()], &after.pods[kept.as_str()]),
            "an unchanged entry is shared, not copied"
        );
        assert!(
            Rc::ptr_eq(&before.events.0, &after.events.0),
            "removing a missing key copies nothing"
        );
        assert_ne!(before, after);

        let json = serde_json::to_value(&after).expect("serialise");
        assert_eq!(json["pods"]["default/added"]["name"], "added");
        let back: ClusterView = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, after);
    }

    /// 1,000 pods on 10 extra nodes: the full view and a rolling update's deltas stay cheap.
    /// `cargo test -p tidepool-worker --release -- thousand --nocapture` prints the times.
    #[test]
    fn a_thousand_pods_update_cheaply() {
        let mut session = Session::new(&SessionConfig::default());
        for i in 0..10 {
            let mut node = NodeConfig::worker(&format!("big{i:02}"));
            node.pods = 110;
            node.cpu = "64".to_owned();
            node.memory = "256Gi".to_owned();
            session
                .simulation_mut()
                .add_node(&node)
                .expect("node added");
        }
        session
            .run_script("kubectl create deployment big --image=nginx --replicas=1000\nsleep 120");
        let started = Instant::now();
        let full = ClusterView::build(session.simulation());
        let full_took = started.elapsed();
        let running = full
            .pods
            .values()
            .filter(|p| p.name.starts_with("big-") && p.status == "Running")
            .count();
        assert_eq!(running, 1000, "every pod runs");

        let mut tracker = ViewTracker::default();
        let mut ui_view = tracker.full(session.simulation());
        session.run_script("kubectl set image deployment big nginx=nginx:1.27");
        let mut updates = 0;
        let mut entries = 0;
        let mut slowest = Duration::ZERO;
        for _ in 0..40 {
            session.advance(Duration::from_secs(1));
            let started = Instant::now();
            let update = tracker.update(session.simulation());
            slowest = slowest.max(started.elapsed());
            if let Some(ViewUpdate::Delta(delta)) = update {
                updates += 1;
                entries += delta.len();
                ui_view.apply(&delta);
            }
        }
        assert_eq!(ui_view, ClusterView::build(session.simulation()));
        eprintln!(
            "1,000 pods: full view {full_took:?}; rolling update: {updates} deltas, \
             {entries} entries, slowest delta {slowest:?}"
        );
    }
}
