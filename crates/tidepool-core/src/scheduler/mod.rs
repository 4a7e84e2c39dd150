//! kube-scheduler: a queue of unbound pods and a framework of small plugins ([`plugins`]).
//! Filters decide which nodes fit, scores rank them, ties are broken with the seeded RNG, and
//! the pod is bound through the API layer. Failures produce the scheduler's exact
//! `FailedScheduling` text; unschedulable pods wait until the cluster changes.

pub mod plugins;

use crate::api::{ApiServer, timestamp};
use crate::events::{EventRecorder, EventType, Source};
use crate::objects::{Kind, Object, ObjectKey};
use k8s_openapi::api::core::v1::{Node, Pod, PodCondition};
use plugins::{Code, NodeUsage, Requests};
use std::collections::{BTreeMap, BTreeSet};

pub const SCHEDULER_NAME: &str = "default-scheduler";

/// Per-node usage plus the non-zero requests used for scoring.
#[derive(Debug, Clone, Default)]
struct NodeState {
    usage: NodeUsage,
    scoring: Requests,
}

/// The scheduling queue.
#[derive(Debug, Clone, Default)]
pub struct Scheduler {
    /// Pods to try in the next cycle.
    active: BTreeSet<ObjectKey>,
    /// Pods that did not fit; retried when the cluster changes.
    unschedulable: BTreeSet<ObjectKey>,
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
        && !matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
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
        let nodes: Vec<(Node, plugins::Allocatable)> = api
            .store()
            .list(Kind::Node, None)
            .filter_map(Object::as_node)
            .map(|n| (n.clone(), plugins::Allocatable::of(n)))
            .collect();
        let mut state = node_states(api);
        let mut results = Vec::new();
        for key in queue {
            let Some(Object::Pod(pod)) = api.store().get(&key).cloned() else {
                continue;
            };
            if !needs_scheduling(&pod) {
                continue;
            }
            let attempt = schedule_one(api, recorder, &pod, &nodes, &mut state);
            if matches!(attempt, Attempt::Failed(_)) {
                self.unschedulable.insert(key.clone());
            }
            results.push((key, attempt));
        }
        results
    }
}

fn node_states(api: &ApiServer) -> BTreeMap<String, NodeState> {
    let mut state: BTreeMap<String, NodeState> = BTreeMap::new();
    for pod in api.store().list(Kind::Pod, None).filter_map(Object::as_pod) {
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
            continue;
        };
        if matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        ) {
            continue;
        }
        add_pod(state.entry(node).or_default(), pod);
    }
    state
}

fn add_pod(state: &mut NodeState, pod: &Pod) {
    let r = plugins::pod_requests(pod);
    // Saturating: absurd requests (`cpu: 1e30`) must not overflow, only fail to fit.
    state.usage.cpu_milli = state.usage.cpu_milli.saturating_add(r.cpu_milli);
    state.usage.memory_milli = state.usage.memory_milli.saturating_add(r.memory_milli);
    state.usage.pods += 1000;
    let scoring_cpu = if r.cpu_milli == 0 { 100 } else { r.cpu_milli };
    let scoring_memory = if r.memory_milli == 0 {
        200 * 1024 * 1024 * 1000
    } else {
        r.memory_milli
    };
    state.scoring.cpu_milli = state.scoring.cpu_milli.saturating_add(scoring_cpu);
    state.scoring.memory_milli = state.scoring.memory_milli.saturating_add(scoring_memory);
    state.usage.host_ports.extend(plugins::host_ports(pod));
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
        lines.sort();
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
    pod: &Pod,
    nodes: &[(Node, plugins::Allocatable)],
    state: &mut BTreeMap<String, NodeState>,
) -> Attempt {
    let empty = NodeState::default();
    let info = plugins::PodInfo::of(pod);
    let mut failures = Vec::new();
    let mut best: Vec<(&Node, i64)> = Vec::new();
    for (node, alloc) in nodes {
        let name = node.metadata.name.as_deref().unwrap_or("");
        let ns = state.get(name).unwrap_or(&empty);
        match plugins::run_filters(pod, &info, node, alloc, &ns.usage) {
            Err(status) => failures.push(status),
            Ok(()) => {
                let score = plugins::least_allocated::score(&info, alloc, ns.scoring)
                    + plugins::balanced_allocation::score(&info, alloc, ns.scoring);
                best.push((node, score));
            }
        }
    }
    let pod_object = Object::Pod(pod.clone());
    let top = best.iter().map(|(_, s)| *s).max();
    let Some(top) = top else {
        let message = fit_error(nodes.len(), &failures);
        let mut failed = pod.clone();
        set_scheduled_condition(
            &mut failed,
            api,
            "False",
            Some("Unschedulable"),
            Some(&message),
        );
        api.put_raw(Object::Pod(failed));
        recorder.record(
            api,
            Source::component(SCHEDULER_NAME),
            &pod_object,
            EventType::Warning,
            "FailedScheduling",
            &message,
        );
        return Attempt::Failed(message);
    };
    let tied: Vec<&Node> = best
        .iter()
        .filter(|(_, s)| *s == top)
        .map(|(n, _)| *n)
        .collect();
    let pick = api.rng().below(tied.len() as u64) as usize;
    let node = tied[pick];
    let node_name = node.metadata.name.clone().unwrap_or_default();
    let mut bound = pod.clone();
    if let Some(spec) = bound.spec.as_mut() {
        spec.node_name = Some(node_name.clone());
    }
    set_scheduled_condition(&mut bound, api, "True", None, None);
    api.put_raw(Object::Pod(bound.clone()));
    add_pod(state.entry(node_name.clone()).or_default(), &bound);
    let ns = pod.metadata.namespace.as_deref().unwrap_or("");
    let name = pod.metadata.name.as_deref().unwrap_or("");
    recorder.record(
        api,
        Source::component(SCHEDULER_NAME),
        &pod_object,
        EventType::Normal,
        "Scheduled",
        &format!("Successfully assigned {ns}/{name} to {node_name}"),
    );
    Attempt::Bound(node_name)
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
    use plugins::FilterStatus;

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
