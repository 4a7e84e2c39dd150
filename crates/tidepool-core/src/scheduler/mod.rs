//! kube-scheduler: a queue of unbound pods and a framework of small plugins ([`plugins`]).
//! Filters decide which nodes fit, scores rank them, ties are broken with the seeded RNG, and
//! the pod is bound through the API layer. Failures produce the scheduler's exact
//! `FailedScheduling` text; unschedulable pods wait until the cluster changes.

pub mod plugins;
pub mod preemption;

use crate::api::{ApiServer, timestamp};
use crate::events::{EventRecorder, EventType, Source};
use crate::objects::{Kind, LookupMap, Object, ObjectKey};
use crate::store::{Store, WatchEventType};
use k8s_openapi::api::core::v1::{Node, Pod, PodCondition};
use plugins::{Code, NodeUsage, Requests};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub const SCHEDULER_NAME: &str = "default-scheduler";

/// Per-node usage plus the non-zero requests used for scoring.
#[derive(Debug, Clone, Default, PartialEq)]
struct NodeState {
    usage: NodeUsage,
    scoring: Requests,
    /// `scoring` as floats while both are small enough to be exact (below 2^52), so scores
    /// need no 128-bit conversion per pod and node.
    scoring_f64: Option<[f64; 2]>,
}

/// Below this an integer and its sum with another such integer are exact in an `f64`.
const EXACT_F64: i128 = 1 << 52;

fn exact_f64(r: Requests) -> Option<[f64; 2]> {
    let small = |v: i128| (0..EXACT_F64).contains(&v);
    (small(r.cpu_milli) && small(r.memory_milli))
        .then_some([r.cpu_milli as f64, r.memory_milli as f64])
}

impl NodeState {
    fn refresh_f64(&mut self) {
        self.scoring_f64 = exact_f64(self.scoring);
    }
}

/// What one placed pod adds to its node.
#[derive(Debug, Clone)]
struct Placement {
    slot: usize,
    requests: Requests,
    scoring: Requests,
    host_ports: Vec<(String, String, i32)>,
    /// `spec.priority`, for preemption's "anything lower placed?" check.
    priority: i32,
}

/// One node as the scheduler sees it, parsed once per change of the node.
#[derive(Debug, Clone)]
struct NodeSlot {
    object: Arc<Object>,
    alloc: plugins::Allocatable,
    /// Allocatable CPU and memory as the score's denominators.
    caps: [f64; 2],
    /// Schedulable and without NoSchedule/NoExecute taints: for a pod that names no node and
    /// has no node selector, affinity or host ports, only NodeResourcesFit can fail here.
    plain: bool,
    /// Has PreferNoSchedule taints (otherwise the TaintToleration score is 0).
    prefers_not: bool,
}

impl NodeSlot {
    fn new(object: &Arc<Object>) -> Option<Self> {
        let node = object.as_node()?;
        let alloc = plugins::Allocatable::of(node);
        let spec = node.spec.as_ref();
        let taints = spec.and_then(|s| s.taints.as_deref()).unwrap_or(&[]);
        let unschedulable = spec.and_then(|s| s.unschedulable) == Some(true);
        Some(Self {
            object: Arc::clone(object),
            alloc,
            caps: [
                alloc.cpu_milli.max(1) as f64,
                alloc.memory_milli.max(1) as f64,
            ],
            plain: !unschedulable
                && !taints
                    .iter()
                    .any(|t| t.effect == "NoSchedule" || t.effect == "NoExecute"),
            prefers_not: taints.iter().any(|t| t.effect == "PreferNoSchedule"),
        })
    }
}

/// The pod needs only NodeResourcesFit on a plain node (see [`NodeSlot::plain`]).
fn is_plain(pod: &Pod, info: &plugins::PodInfo) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return true;
    };
    spec.node_name.is_none()
        && spec.node_selector.as_ref().is_none_or(|s| s.is_empty())
        && spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .is_none()
        && info.host_ports.is_empty()
}

/// The scheduler's informer cache: nodes and what is placed on each, kept up to date from the
/// store's watch log instead of being recomputed from every pod on every cycle. Not saved: a
/// restored simulation rebuilds it from the store on its first cycle.
#[derive(Debug, Clone, Default)]
struct Cache {
    /// Store revision the cache reflects; `None`: rebuild before use.
    revision: Option<u64>,
    /// Nodes in store (name) order: the order filters run and ties are listed in.
    nodes: Vec<NodeSlot>,
    /// Node name -> slot.
    index: LookupMap<String, usize>,
    /// What is placed on each node, aligned with `nodes`.
    states: Vec<NodeState>,
    /// Pods counted in `states`, and what each added.
    placed: LookupMap<ObjectKey, Placement>,
    /// Per node (aligned with `nodes`): the NodeResourcesFit scores of the last requests that
    /// fitted there, while the node's state is unchanged. Pods of one workload ask for the
    /// same requests, so each bind recomputes one node's score instead of every node's.
    scores: Vec<Option<(Requests, i64)>>,
    /// How many placed pods have each priority (the lowest tells preemption whether any
    /// pod could be a victim at all).
    priorities: BTreeMap<i32, usize>,
    /// Unbound pods with a `nominatedNodeName` (preemptors waiting for their victims): their
    /// requests are held on that node for pods of lower or equal priority
    /// (`RunFilterPluginsWithNominatedPods`).
    nominated: BTreeMap<ObjectKey, Nomination>,
}

/// A preemptor's claim on its nominated node.
#[derive(Debug, Clone)]
struct Nomination {
    node: String,
    priority: i32,
    requests: Requests,
}

/// Requests beyond this (in milli-units) are clamped when summed per node, so sums never
/// overflow and removing a pod restores the sum exactly. Far above any real allocatable
/// (10^27 cores), so fit and scores are unchanged.
const CLAMP_MILLI: i128 = 1_000_000_000_000_000_000_000_000_000_000;

fn clamp(r: Requests) -> Requests {
    Requests {
        cpu_milli: r.cpu_milli.clamp(0, CLAMP_MILLI),
        memory_milli: r.memory_milli.clamp(0, CLAMP_MILLI),
    }
}

/// Pods in a terminal phase free their node's resources.
fn is_terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

impl Cache {
    /// Brings the cache to the store's revision: replays pod events since the last sync, or
    /// rebuilds everything when nodes changed or the history was compacted.
    fn sync(&mut self, store: &Store) {
        if let Some(revision) = self.revision.filter(|r| *r <= store.revision())
            && let Ok(events) = store.events_since(revision)
            && !events.iter().any(|e| e.object.kind() == Kind::Node)
        {
            for event in events {
                if let Object::Pod(pod) = &*event.object {
                    let deleted = event.event_type == WatchEventType::Deleted;
                    self.observe(event.object.key(), pod, deleted);
                }
            }
            self.revision = Some(store.revision());
            return;
        }
        self.rebuild(store);
    }

    fn rebuild(&mut self, store: &Store) {
        self.nodes = store
            .list_shared(Kind::Node, None)
            .filter_map(NodeSlot::new)
            .collect();
        self.index = self
            .nodes
            .iter()
            .enumerate()
            .map(|(slot, n)| (n.object.name().to_owned(), slot))
            .collect();
        let empty = NodeState {
            scoring_f64: Some([0.0, 0.0]),
            ..NodeState::default()
        };
        self.states = vec![empty; self.nodes.len()];
        self.scores = vec![None; self.nodes.len()];
        self.placed = LookupMap::default();
        self.priorities = BTreeMap::new();
        self.nominated = BTreeMap::new();
        for object in store.list(Kind::Pod, None) {
            if let Object::Pod(pod) = object {
                self.observe(object.key(), pod, false);
            }
        }
        self.revision = Some(store.revision());
    }

    /// Accounts for the latest state of one pod (the informer's add/update/delete handler).
    fn observe(&mut self, key: ObjectKey, pod: &Pod, deleted: bool) {
        let nominated = pod
            .status
            .as_ref()
            .and_then(|s| s.nominated_node_name.as_ref())
            .filter(|n| !n.is_empty());
        match nominated {
            Some(node)
                if !deleted
                    && pod.metadata.deletion_timestamp.is_none()
                    && pod.spec.as_ref().is_some_and(|s| s.node_name.is_none()) =>
            {
                self.nominated.insert(
                    key.clone(),
                    Nomination {
                        node: node.clone(),
                        priority: preemption::priority_of(pod),
                        requests: plugins::pod_requests(pod),
                    },
                );
            }
            _ => {
                if !self.nominated.is_empty() {
                    self.nominated.remove(&key);
                }
            }
        }
        if !deleted
            && !is_terminal(pod)
            && let Some(placed) = self.placed.get(&key)
            && let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_ref())
            && self.index.get(node) == Some(&placed.slot)
        {
            // Still on the same node: a pod's requests and host ports cannot change once it
            // is bound (its spec's containers are immutable), so the placement stands.
            return;
        }
        if let Some(old) = self.placed.remove(&key) {
            self.unplace(&old);
        }
        if deleted || is_terminal(pod) {
            return;
        }
        let Some(slot) = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_ref())
            .and_then(|n| self.index.get(n).copied())
        else {
            return;
        };
        let requests = clamp(plugins::pod_requests(pod));
        let placement = Placement {
            slot,
            requests,
            scoring: plugins::non_zero(requests),
            host_ports: plugins::host_ports(pod),
            priority: preemption::priority_of(pod),
        };
        self.place(&placement);
        self.placed.insert(key, placement);
    }

    fn place(&mut self, p: &Placement) {
        let Some(state) = self.states.get_mut(p.slot) else {
            return;
        };
        *self.priorities.entry(p.priority).or_default() += 1;
        if let Some(score) = self.scores.get_mut(p.slot) {
            *score = None;
        }
        state.usage.cpu_milli += p.requests.cpu_milli;
        state.usage.memory_milli += p.requests.memory_milli;
        state.usage.pods += 1000;
        state.scoring.cpu_milli += p.scoring.cpu_milli;
        state.scoring.memory_milli += p.scoring.memory_milli;
        state.refresh_f64();
        for port in &p.host_ports {
            *state.usage.host_ports.entry(port.clone()).or_default() += 1;
        }
    }

    fn unplace(&mut self, p: &Placement) {
        let Some(state) = self.states.get_mut(p.slot) else {
            return;
        };
        if let Some(n) = self.priorities.get_mut(&p.priority) {
            *n -= 1;
            if *n == 0 {
                self.priorities.remove(&p.priority);
            }
        }
        if let Some(score) = self.scores.get_mut(p.slot) {
            *score = None;
        }
        state.usage.cpu_milli -= p.requests.cpu_milli;
        state.usage.memory_milli -= p.requests.memory_milli;
        state.usage.pods -= 1000;
        state.scoring.cpu_milli -= p.scoring.cpu_milli;
        state.scoring.memory_milli -= p.scoring.memory_milli;
        state.refresh_f64();
        for port in &p.host_ports {
            if let Some(n) = state.usage.host_ports.get_mut(port) {
                *n -= 1;
                if *n == 0 {
                    state.usage.host_ports.remove(port);
                }
            }
        }
    }
}

/// The scheduling queue.
#[derive(Debug, Clone, Default)]
pub struct Scheduler {
    /// Pods to try in the next cycle.
    active: BTreeSet<ObjectKey>,
    /// Pods that did not fit; retried when the cluster changes.
    unschedulable: BTreeSet<ObjectKey>,
    cache: Cache,
}

/// Outcome of one attempt, for tests and hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Bound(String),
    Failed(String),
}

fn needs_scheduling(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    spec.is_some_and(|s| s.node_name.is_none())
        && spec
            .and_then(|s| s.scheduler_name.as_deref())
            .unwrap_or(SCHEDULER_NAME)
            == SCHEDULER_NAME
        && pod.metadata.deletion_timestamp.is_none()
        && !is_terminal(pod)
}

impl Scheduler {
    /// Queues a pod if it still needs a node.
    pub fn enqueue(&mut self, key: ObjectKey) {
        self.unschedulable.remove(&key);
        self.active.insert(key);
    }

    /// Something changed that might let waiting pods fit (node added, pod removed, ...).
    pub fn cluster_changed(&mut self) {
        let waiting = std::mem::take(&mut self.unschedulable);
        self.active.extend(waiting);
    }

    pub fn has_work(&self) -> bool {
        !self.active.is_empty()
    }

    pub(crate) fn to_state(&self) -> serde_json::Value {
        serde_json::json!({
            "active": self.active.iter().collect::<Vec<_>>(),
            "unschedulable": self.unschedulable.iter().collect::<Vec<_>>(),
        })
    }

    pub(crate) fn from_state(state: &serde_json::Value) -> Self {
        let keys = |field: &str| -> BTreeSet<ObjectKey> {
            state
                .get(field)
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default()
        };
        Self {
            active: keys("active"),
            unschedulable: keys("unschedulable"),
            cache: Cache::default(),
        }
    }

    pub fn pending_unschedulable(&self) -> usize {
        self.unschedulable.len()
    }

    /// Schedules every queued pod, in name order. Returns what happened to each.
    pub fn run_cycle(
        &mut self,
        api: &mut ApiServer,
        recorder: &mut EventRecorder,
    ) -> Vec<(ObjectKey, Attempt)> {
        let queue = std::mem::take(&mut self.active);
        if queue.is_empty() {
            return Vec::new();
        }
        self.cache.sync(api.store());
        let mut results = Vec::new();
        let mut scratch = Scratch::default();
        for key in queue {
            let Some(shared) = api.store().get_shared(&key) else {
                continue;
            };
            let Some(pod) = shared.as_pod().filter(|p| needs_scheduling(p)) else {
                continue;
            };
            let attempt = schedule_one(
                api,
                recorder,
                &shared,
                pod,
                &key,
                &mut self.cache,
                &mut scratch,
            );
            if matches!(attempt, Attempt::Failed(_)) {
                self.unschedulable.insert(key.clone());
            }
            results.push((key, attempt));
        }
        // The binds above are in the cache already; replaying their watch events next time is
        // harmless (each pod's placement is replaced, not added twice).
        results
    }
}

/// Buffers reused across the pods of one cycle.
#[derive(Default)]
struct Scratch {
    /// Feasible nodes: (slot, resource score, intolerable PreferNoSchedule taints).
    feasible: Vec<(usize, i64, i64)>,
}

/// `0/3 nodes are available: <histogram>.`: the filters' part of a FitError, which is the
/// whole message when preemption nominated a node.
pub fn fit_reasons(total: usize, failures: &[plugins::FilterStatus]) -> String {
    if total == 0 {
        return "no nodes available to schedule pods".to_owned();
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for reason in failures.iter().flat_map(|f| f.reasons.iter()) {
        *counts.entry(reason.clone()).or_default() += 1;
    }
    let mut lines: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
    crate::stable_sort::sort(&mut lines);
    format!("0/{total} nodes are available: {}.", lines.join(", "))
}

/// `0/3 nodes are available: <histogram>. preemption: 0/3 nodes are available: <histogram>.`
pub fn fit_error(total: usize, failures: &[plugins::FilterStatus]) -> String {
    if total == 0 {
        return "no nodes available to schedule pods".to_owned();
    }
    let histogram = |items: Vec<String>| {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for item in items {
            *counts.entry(item).or_default() += 1;
        }
        let mut lines: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
        crate::stable_sort::sort(&mut lines);
        lines.join(", ")
    };
    let reasons = histogram(failures.iter().flat_map(|f| f.reasons.clone()).collect());
    let preemption = histogram(
        failures
            .iter()
            .map(|f| match f.code {
                Code::UnschedulableAndUnresolvable => {
                    "Preemption is not helpful for scheduling".to_owned()
                }
                Code::Unschedulable => "No preemption victims found for incoming pod".to_owned(),
            })
            .collect(),
    );
    format!(
        "0/{total} nodes are available: {reasons}. preemption: 0/{total} nodes are available: \
         {preemption}."
    )
}

fn schedule_one(
    api: &mut ApiServer,
    recorder: &mut EventRecorder,
    pod_object: &Object,
    pod: &Pod,
    key: &ObjectKey,
    cache: &mut Cache,
    scratch: &mut Scratch,
) -> Attempt {
    let info = plugins::PodInfo::of(pod);
    let volumes = match plugins::volume_binding::pre_filter(api.store(), pod) {
        Ok(plan) => plan,
        Err(status) => {
            let total = cache.nodes.len();
            let message = if total == 0 {
                "no nodes available to schedule pods".to_owned()
            } else {
                format!(
                    "0/{total} nodes are available: {status}. preemption: 0/{total} nodes are \
                     available: {total} Preemption is not helpful for scheduling."
                )
            };
            return unschedulable(api, recorder, pod_object, pod, message);
        }
    };
    let plain_pod = is_plain(pod, &info) && volumes.is_none();
    let want_f64 = exact_f64(plugins::non_zero(info.requests));
    let mut failures = Vec::new();
    let mut failed_slots = Vec::new();
    scratch.feasible.clear();
    // Room held for nominated preemptors that outrank (or equal) this pod.
    let my_priority = preemption::priority_of(pod);
    let held: Vec<(usize, Requests)> = cache
        .nominated
        .iter()
        .filter(|(k, n)| *k != key && n.priority >= my_priority)
        .filter_map(|(_, n)| Some((*cache.index.get(&n.node)?, n.requests)))
        .collect();
    let nodes = cache.nodes.iter().zip(&cache.states).zip(&mut cache.scores);
    for (slot, ((node, state), memo)) in nodes.enumerate() {
        let mut held_usage: Option<NodeUsage> = None;
        for (_, requests) in held.iter().filter(|(s, _)| *s == slot) {
            let usage = held_usage.get_or_insert_with(|| state.usage.clone());
            usage.cpu_milli += requests.cpu_milli;
            usage.memory_milli += requests.memory_milli;
            usage.pods += 1000;
        }
        let usage = held_usage.as_ref().unwrap_or(&state.usage);
        let plain = plain_pod && node.plain;
        if held_usage.is_none()
            && plain
            && !node.prefers_not
            && let Some((requests, resources)) = *memo
            && requests == info.requests
        {
            // Fitted with these requests before and nothing changed on the node since.
            scratch.feasible.push((slot, resources, 0));
            continue;
        }
        let Some(node_object) = node.object.as_node() else {
            continue;
        };
        // The same decision as `run_filters`: on a plain node a plain pod passes every filter
        // but NodeResourcesFit.
        let fits = if plain {
            plugins::node_resources_fit::filter(&info, &node.alloc, usage)
        } else {
            plugins::run_filters(pod, &info, node_object, &node.alloc, usage)
        };
        let fits = fits.and_then(|()| match &volumes {
            Some(plan) => plugins::volume_binding::filter(api.store(), plan, node_object),
            None => Ok(()),
        });
        if let Err(status) = fits {
            failures.push(status);
            failed_slots.push(slot);
            continue;
        }
        // Exact in f64 when both terms are below 2^52, so this equals `plugins::fractions`.
        let fractions = match (state.scoring_f64, want_f64) {
            (Some([cpu, mem]), Some([want_cpu, want_mem])) => [
                ((cpu + want_cpu) / node.caps[0]).min(1.0),
                ((mem + want_mem) / node.caps[1]).min(1.0),
            ],
            _ => plugins::fractions(&info, &node.alloc, state.scoring),
        };
        let resources = plugins::least_allocated::from_fractions(fractions)
            + plugins::balanced_allocation::from_fractions(fractions);
        if plain && held_usage.is_none() {
            *memo = Some((info.requests, resources));
        }
        let taints = if node.prefers_not {
            plugins::taint_toleration_score::intolerable(pod, node_object)
        } else {
            0
        };
        scratch.feasible.push((slot, resources, taints));
    }
    let max_taints = scratch.feasible.iter().map(|f| f.2).max().unwrap_or(0);
    let total = |&(_, resources, taints): &(usize, i64, i64)| {
        resources
            + plugins::taint_toleration_score::WEIGHT
                * plugins::taint_toleration_score::normalize(taints, max_taints)
    };
    let top = scratch.feasible.iter().map(total).max();
    let Some(top) = top else {
        let failed_nodes: Vec<preemption::FailedNode<'_>> = failed_slots
            .iter()
            .zip(&failures)
            .filter_map(|(&slot, status)| {
                Some(preemption::FailedNode {
                    node: cache.nodes[slot].object.as_node()?,
                    alloc: &cache.nodes[slot].alloc,
                    usage: &cache.states[slot].usage,
                    code: status.code,
                })
            })
            .collect();
        let lowest_placed = cache.priorities.keys().next().copied();
        let outcome =
            preemption::post_filter(api.store(), pod, &info, &failed_nodes, lowest_placed);
        let total = cache.nodes.len();
        let message = match &outcome {
            preemption::Outcome::NoCandidates => fit_error(total, &failures),
            preemption::Outcome::NotEligible(why) => {
                format!("{} preemption: {why}", fit_reasons(total, &failures))
            }
            preemption::Outcome::Nominate { .. } => fit_reasons(total, &failures),
        };
        let mut failed = pod.clone();
        if let preemption::Outcome::Nominate { node, victims } = &outcome {
            failed
                .status
                .get_or_insert_with(Default::default)
                .nominated_node_name = Some(node.clone());
            preempt(api, recorder, pod, node, victims);
        }
        return unschedulable(api, recorder, pod_object, &failed, message);
    };
    let tied: Vec<usize> = scratch
        .feasible
        .iter()
        .filter(|f| total(f) == top)
        .map(|f| f.0)
        .collect();
    let pick = api.rng().below(tied.len() as u64) as usize;
    let slot = tied[pick];
    let node_name = cache.nodes[slot].object.name().to_owned();
    if let (Some(plan), Some(node)) = (&volumes, cache.nodes[slot].object.as_node()) {
        bind_delayed_claims(api, plan, node);
    }
    let mut bound = pod.clone();
    if let Some(spec) = bound.spec.as_mut() {
        spec.node_name = Some(node_name.clone());
    }
    set_scheduled_condition(&mut bound, api, "True", None, None);
    cache.observe(key.clone(), &bound, false);
    api.put_raw(Object::Pod(Box::new(bound)));
    let ns = pod.metadata.namespace.as_deref().unwrap_or("");
    let name = pod.metadata.name.as_deref().unwrap_or("");
    recorder.record(
        api,
        Source::component(SCHEDULER_NAME),
        pod_object,
        EventType::Normal,
        "Scheduled",
        &format!("Successfully assigned {ns}/{name} to {node_name}"),
    );
    Attempt::Bound(node_name)
}

/// `prepareCandidate`: each victim gets the DisruptionTarget condition, is deleted gracefully,
/// and gets a `Preempted` event naming the preemptor's uid.
fn preempt(
    api: &mut ApiServer,
    recorder: &mut EventRecorder,
    preemptor: &Pod,
    node: &str,
    victims: &[ObjectKey],
) {
    let uid = preemptor.metadata.uid.clone().unwrap_or_default();
    let scheduler = preemptor
        .spec
        .as_ref()
        .and_then(|s| s.scheduler_name.clone())
        .unwrap_or_else(|| SCHEDULER_NAME.to_owned());
    for key in victims {
        let Ok(mut victim) = api.get(Kind::Pod, &key.namespace, &key.name) else {
            continue;
        };
        if let Some(p) = victim.as_pod_mut() {
            let now = timestamp(api.now());
            let conditions = p
                .status
                .get_or_insert_with(Default::default)
                .conditions
                .get_or_insert_with(Vec::new);
            conditions.retain(|c| c.type_ != "DisruptionTarget");
            conditions.push(PodCondition {
                type_: "DisruptionTarget".to_owned(),
                status: "True".to_owned(),
                reason: Some("PreemptionByScheduler".to_owned()),
                message: Some(format!(
                    "{scheduler}: preempting to accommodate a higher priority pod"
                )),
                last_transition_time: Some(now),
                last_probe_time: None,
            });
        }
        if let Ok(updated) = api.update_status(victim.clone()) {
            victim = updated;
        }
        let _ = api.delete(
            Kind::Pod,
            &key.namespace,
            &key.name,
            &crate::api::DeleteOptions::default(),
        );
        recorder.record(
            api,
            Source::component(SCHEDULER_NAME),
            &victim,
            EventType::Normal,
            "Preempted",
            &format!("Preempted by pod {uid} on node {node}"),
        );
    }
}

/// Records a failed attempt: the PodScheduled condition and a FailedScheduling event.
fn unschedulable(
    api: &mut ApiServer,
    recorder: &mut EventRecorder,
    pod_object: &Object,
    pod: &Pod,
    message: String,
) -> Attempt {
    let mut failed = pod.clone();
    set_scheduled_condition(
        &mut failed,
        api,
        "False",
        Some("Unschedulable"),
        Some(&message),
    );
    api.put_raw(Object::Pod(Box::new(failed)));
    recorder.record(
        api,
        Source::component(SCHEDULER_NAME),
        pod_object,
        EventType::Warning,
        "FailedScheduling",
        &message,
    );
    Attempt::Failed(message)
}

/// VolumeBinding's PreBind for WaitForFirstConsumer claims: each gets the best volume on the
/// chosen node through the volume's claimRef; the PV controller completes the binding.
fn bind_delayed_claims(api: &mut ApiServer, plan: &plugins::volume_binding::Plan, node: &Node) {
    for pvc in &plan.delayed {
        let Some(pv) = crate::storage::find_matching_volume(api.store(), pvc, Some(node)) else {
            continue;
        };
        let mut pv = pv.clone();
        crate::storage::point_volume_at_claim(&mut pv, pvc);
        let _ = api.update(Object::PersistentVolume(Box::new(pv)));
    }
}

fn set_scheduled_condition(
    pod: &mut Pod,
    api: &ApiServer,
    status: &str,
    reason: Option<&str>,
    message: Option<&str>,
) {
    let now = timestamp(api.now());
    let st = pod.status.get_or_insert_with(Default::default);
    let conditions = st.conditions.get_or_insert_with(Vec::new);
    let new = PodCondition {
        type_: "PodScheduled".to_owned(),
        status: status.to_owned(),
        reason: reason.map(str::to_owned),
        message: message.map(str::to_owned),
        last_transition_time: Some(now),
        last_probe_time: None,
    };
    match conditions.iter_mut().find(|c| c.type_ == "PodScheduled") {
        Some(old) => {
            if old.status == new.status {
                let keep = old.last_transition_time.clone();
                *old = PodCondition {
                    last_transition_time: keep,
                    ..new
                };
            } else {
                *old = new;
            }
        }
        None => conditions.push(new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::DeleteOptions;
    use crate::cluster::{ClusterConfig, bootstrap};
    use crate::{SimRng, api::ObjectLimits};
    use plugins::FilterStatus;

    fn pod(name: &str, cpu: &str, host_port: Option<i32>) -> Object {
        let port = host_port.map_or(String::new(), |p| {
            format!(", ports: [{{containerPort: 80, hostPort: {p}}}]")
        });
        let yaml = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers: \
             [{{name: c, image: nginx, resources: {{requests: {{cpu: {cpu}}}}}{port}}}]\n"
        );
        crate::decode_manifests(&yaml)
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_else(|| Object::Pod(Box::default()))
    }

    /// The cache kept from watch events must equal one rebuilt from the store after binds,
    /// deletions, terminal pods and failed attempts.
    #[test]
    fn incremental_cache_equals_a_rebuild() {
        let mut api = ApiServer::new(SimRng::seeded(7), ObjectLimits::default());
        assert!(bootstrap(&mut api, &ClusterConfig::default()).is_ok());
        let mut recorder = EventRecorder::default();
        let mut scheduler = Scheduler::default();
        let check = |scheduler: &mut Scheduler, api: &ApiServer| {
            scheduler.cache.sync(api.store());
            let mut fresh = Cache::default();
            fresh.rebuild(api.store());
            assert_eq!(scheduler.cache.states, fresh.states);
            assert_eq!(scheduler.cache.placed.len(), fresh.placed.len());
        };
        for (i, cpu) in ["100m", "250m", "0", "1", "50m", "3"].iter().enumerate() {
            let name = format!("p{i}");
            let port = (i % 2 == 0).then_some(8080);
            assert!(api.create(pod(&name, cpu, port)).is_ok());
            scheduler.enqueue(ObjectKey::new(Kind::Pod, "default", &name));
            scheduler.run_cycle(&mut api, &mut recorder);
            check(&mut scheduler, &api);
        }
        // A pod that finished frees its node; a force-deleted one disappears.
        if let Some(Object::Pod(mut done)) = api
            .store()
            .get(&ObjectKey::new(Kind::Pod, "default", "p1"))
            .cloned()
        {
            done.status.get_or_insert_with(Default::default).phase = Some("Succeeded".into());
            api.put_raw(Object::Pod(done));
        }
        let force = DeleteOptions {
            grace_period_seconds: Some(0),
            ..DeleteOptions::default()
        };
        assert!(api.delete(Kind::Pod, "default", "p0", &force).is_ok());
        assert!(api.create(pod("late", "100m", Some(8080))).is_ok());
        scheduler.enqueue(ObjectKey::new(Kind::Pod, "default", "late"));
        scheduler.run_cycle(&mut api, &mut recorder);
        check(&mut scheduler, &api);
    }

    #[test]
    fn fit_error_matches_kube_scheduler() {
        let taint = FilterStatus {
            plugin: plugins::taint_toleration::NAME,
            code: Code::UnschedulableAndUnresolvable,
            reasons: vec![
                "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }".into(),
            ],
        };
        let cpu = FilterStatus {
            plugin: plugins::node_resources_fit::NAME,
            code: Code::Unschedulable,
            reasons: vec!["Insufficient cpu".into()],
        };
        expect_test::expect![[r#"0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."#]]
        .assert_eq(&fit_error(3, &[taint, cpu.clone(), cpu]));
    }
}
