//! Scheduler framework plugins. Each one is tiny: a `NAME`, an `ERR_REASON` text as the real
//! plugin prints it, and a pure decision function. The registry lists filters in the order
//! kube-scheduler v1.32 runs them.

use crate::admission;
use crate::quantity;
use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint};
use std::collections::BTreeMap;

/// How bad a filter failure is: `UnschedulableAndUnresolvable` means preemption cannot help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Unschedulable,
    UnschedulableAndUnresolvable,
}

/// A failed filter: the plugin's name stamped by the runner, its code and reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterStatus {
    pub plugin: &'static str,
    pub code: Code,
    pub reasons: Vec<String>,
}

/// What is already placed on a node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeUsage {
    pub cpu_milli: i128,
    pub memory_milli: i128,
    pub pods: i128,
    /// (protocol, hostIP, hostPort) triples in use, with how many pods use each (pods come
    /// and go one at a time, so the set is kept as counts).
    pub host_ports: BTreeMap<(String, String, i32), u32>,
}

/// A node's allocatable resources, parsed once whenever the node changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allocatable {
    pub cpu_milli: i128,
    pub memory_milli: i128,
    pub pods: i128,
}

impl Allocatable {
    pub fn of(node: &Node) -> Self {
        Self {
            cpu_milli: allocatable(node, "cpu"),
            memory_milli: allocatable(node, "memory"),
            pods: allocatable(node, "pods"),
        }
    }
}

/// What the filters need to know about the pod, computed once per attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodInfo {
    pub requests: Requests,
    pub host_ports: Vec<(String, String, i32)>,
}

impl PodInfo {
    pub fn of(pod: &Pod) -> Self {
        Self {
            requests: pod_requests(pod),
            host_ports: host_ports(pod),
        }
    }
}

/// A pod's scheduling requests (sum of containers, at least the largest init container).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requests {
    pub cpu_milli: i128,
    pub memory_milli: i128,
}

pub fn pod_requests(pod: &Pod) -> Requests {
    let usage = admission::pod_usage(pod.spec.as_ref().unwrap_or(&Default::default()));
    Requests {
        cpu_milli: usage.get("requests.cpu").map_or(0, |a| a.milli),
        memory_milli: usage.get("requests.memory").map_or(0, |a| a.milli),
    }
}

pub fn host_ports(pod: &Pod) -> Vec<(String, String, i32)> {
    pod.spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .flat_map(|c| c.ports.iter().flatten())
        .filter_map(|p| {
            let port = p.host_port.filter(|h| *h > 0)?;
            Some((
                p.protocol.clone().unwrap_or_else(|| "TCP".to_owned()),
                p.host_ip.clone().unwrap_or_else(|| "0.0.0.0".to_owned()),
                port,
            ))
        })
        .collect()
}

pub fn allocatable(node: &Node, resource: &str) -> i128 {
    node.status
        .as_ref()
        .and_then(|s| s.allocatable.as_ref())
        .and_then(|a| a.get(resource))
        .and_then(|q| quantity::parse(&q.0))
        .map_or(0, |a| a.milli)
}

fn fail(plugin: &'static str, code: Code, reason: impl Into<String>) -> FilterStatus {
    FilterStatus {
        plugin,
        code,
        reasons: vec![reason.into()],
    }
}

/// NodeUnschedulable: `spec.unschedulable` nodes take only pods tolerating that taint.
pub mod node_unschedulable {
    use super::*;
    pub const NAME: &str = "NodeUnschedulable";
    pub const ERR_REASON: &str = "node(s) were unschedulable";

    pub fn filter(pod: &Pod, node: &Node) -> Result<(), FilterStatus> {
        let unschedulable = node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true);
        if !unschedulable {
            return Ok(());
        }
        let taint = Taint {
            key: "node.kubernetes.io/unschedulable".to_owned(),
            effect: "NoSchedule".to_owned(),
            ..Taint::default()
        };
        if unschedulable && !tolerates(pod, &taint) {
            return Err(fail(NAME, Code::UnschedulableAndUnresolvable, ERR_REASON));
        }
        Ok(())
    }
}

/// NodeName: a pod naming a node fits only there.
pub mod node_name {
    use super::*;
    pub const NAME: &str = "NodeName";
    pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

    pub fn filter(pod: &Pod, node: &Node) -> Result<(), FilterStatus> {
        match pod.spec.as_ref().and_then(|s| s.node_name.as_ref()) {
            Some(n) if Some(n) != node.metadata.name.as_ref() => {
                Err(fail(NAME, Code::UnschedulableAndUnresolvable, ERR_REASON))
            }
            _ => Ok(()),
        }
    }
}

/// Whether any of the pod's tolerations tolerates `taint`.
pub fn tolerates(pod: &Pod, taint: &Taint) -> bool {
    pod.spec
        .iter()
        .flat_map(|s| s.tolerations.iter().flatten())
        .any(|t| {
            let effect_ok = t
                .effect
                .as_deref()
                .is_none_or(|e| e.is_empty() || e == taint.effect);
            let key_ok = match t.key.as_deref() {
                None | Some("") => t.operator.as_deref() == Some("Exists"),
                Some(k) => k == taint.key,
            };
            let value_ok = match t.operator.as_deref() {
                Some("Exists") => true,
                _ => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
            };
            effect_ok && key_ok && value_ok
        })
}

/// The first NoSchedule/NoExecute taint the pod does not tolerate.
pub fn untolerated_taint(pod: &Pod, node: &Node) -> Option<Taint> {
    node.spec
        .iter()
        .flat_map(|s| s.taints.iter().flatten())
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .find(|t| !tolerates(pod, t))
        .cloned()
}

/// TaintToleration: `node(s) had untolerated taint {key: value}`.
pub mod taint_toleration {
    use super::*;
    pub const NAME: &str = "TaintToleration";
    pub const ERR_REASON: &str = "node(s) had untolerated taint";

    pub fn filter(pod: &Pod, node: &Node) -> Result<(), FilterStatus> {
        match untolerated_taint(pod, node) {
            Some(t) => Err(fail(
                NAME,
                Code::UnschedulableAndUnresolvable,
                format!(
                    "{ERR_REASON} {{{}: {}}}",
                    t.key,
                    t.value.as_deref().unwrap_or("")
                ),
            )),
            None => Ok(()),
        }
    }
}

fn requirement_matches(req: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = req.values.as_deref().unwrap_or(&[]);
    match req.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), Some(bound)) = (
                value.and_then(|v| v.parse::<i64>().ok()),
                values.first().and_then(|b| b.parse::<i64>().ok()),
            ) else {
                return false;
            };
            if req.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

pub(crate) fn term_matches(term: &NodeSelectorTerm, node: &Node) -> bool {
    let empty = std::collections::BTreeMap::new();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    let exprs = term.match_expressions.iter().flatten();
    let fields = term.match_fields.iter().flatten();
    let has_any = term
        .match_expressions
        .as_ref()
        .is_some_and(|e| !e.is_empty())
        || term.match_fields.as_ref().is_some_and(|f| !f.is_empty());
    has_any
        && exprs
            .clone()
            .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields.clone().all(|r| {
            let value = (r.key == "metadata.name")
                .then_some(node.metadata.name.as_deref())
                .flatten();
            requirement_matches(r, value)
        })
}

/// nodeSelector plus required node affinity (terms are ORed, requirements ANDed).
pub fn node_selector_fits(pod: &Pod, node: &Node) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return true;
    };
    let empty = std::collections::BTreeMap::new();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    let selector_ok = spec
        .node_selector
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let affinity_ok = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .is_none_or(|sel| {
            sel.node_selector_terms
                .iter()
                .any(|t| term_matches(t, node))
        });
    selector_ok && affinity_ok
}

/// NodeAffinity: nodeSelector and required node affinity.
pub mod node_affinity {
    use super::*;
    pub const NAME: &str = "NodeAffinity";
    pub const ERR_REASON: &str = "node(s) didn't match Pod's node affinity/selector";

    pub fn filter(pod: &Pod, node: &Node) -> Result<(), FilterStatus> {
        if node_selector_fits(pod, node) {
            Ok(())
        } else {
            Err(fail(NAME, Code::UnschedulableAndUnresolvable, ERR_REASON))
        }
    }
}

/// NodePorts: requested hostPorts must be free.
pub mod node_ports {
    use super::*;
    pub const NAME: &str = "NodePorts";
    pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

    pub fn filter(info: &PodInfo, usage: &NodeUsage) -> Result<(), FilterStatus> {
        let conflict = info.host_ports.iter().any(|(proto, ip, port)| {
            usage.host_ports.keys().any(|(p, i, n)| {
                p == proto && n == port && (i == ip || i == "0.0.0.0" || ip == "0.0.0.0")
            })
        });
        if conflict {
            Err(fail(NAME, Code::Unschedulable, ERR_REASON))
        } else {
            Ok(())
        }
    }
}

/// NodeResourcesFit: requests against allocatable minus what is placed.
pub mod node_resources_fit {
    use super::*;
    pub const NAME: &str = "NodeResourcesFit";
    pub const ERR_REASON_CPU: &str = "Insufficient cpu";
    pub const ERR_REASON_MEMORY: &str = "Insufficient memory";
    pub const ERR_REASON_PODS: &str = "Too many pods";

    pub fn filter(
        info: &PodInfo,
        alloc: &Allocatable,
        usage: &NodeUsage,
    ) -> Result<(), FilterStatus> {
        let want = info.requests;
        let mut reasons = Vec::new();
        if usage.pods + 1000 > alloc.pods {
            reasons.push(ERR_REASON_PODS.to_owned());
        }
        if want.cpu_milli > 0 && usage.cpu_milli.saturating_add(want.cpu_milli) > alloc.cpu_milli {
            reasons.push(ERR_REASON_CPU.to_owned());
        }
        if want.memory_milli > 0
            && usage.memory_milli.saturating_add(want.memory_milli) > alloc.memory_milli
        {
            reasons.push(ERR_REASON_MEMORY.to_owned());
        }
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(FilterStatus {
                plugin: NAME,
                code: Code::Unschedulable,
                reasons,
            })
        }
    }
}

/// Runs the filters in registry order; the first failure wins (as `RunFilterPlugins`).
pub fn run_filters(
    pod: &Pod,
    info: &PodInfo,
    node: &Node,
    alloc: &Allocatable,
    usage: &NodeUsage,
) -> Result<(), FilterStatus> {
    node_unschedulable::filter(pod, node)?;
    node_name::filter(pod, node)?;
    taint_toleration::filter(pod, node)?;
    node_affinity::filter(pod, node)?;
    node_ports::filter(info, usage)?;
    node_resources_fit::filter(info, alloc, usage)?;
    Ok(())
}

/// Requests used for scoring: zero requests count as 100m CPU / 200Mi (`schedutil.NonZero`).
pub fn non_zero(r: Requests) -> Requests {
    Requests {
        cpu_milli: if r.cpu_milli == 0 { 100 } else { r.cpu_milli },
        memory_milli: if r.memory_milli == 0 {
            200 * 1024 * 1024 * 1000
        } else {
            r.memory_milli
        },
    }
}

/// `v as f64` without the slow 128-bit conversion when the value fits 64 bits (both
/// conversions round to nearest, so the result is the same).
fn to_f64(v: i128) -> f64 {
    match i64::try_from(v) {
        Ok(small) => small as f64,
        Err(_) => v as f64,
    }
}

/// Requested fractions of CPU and memory (capped at 1) once the pod is placed.
pub fn fractions(info: &PodInfo, alloc: &Allocatable, scoring_usage: Requests) -> [f64; 2] {
    let want = non_zero(info.requests);
    let cpu_cap = to_f64(alloc.cpu_milli.max(1));
    let mem_cap = to_f64(alloc.memory_milli.max(1));
    [
        (to_f64(scoring_usage.cpu_milli.saturating_add(want.cpu_milli)) / cpu_cap).min(1.0),
        (to_f64(scoring_usage.memory_milli.saturating_add(want.memory_milli)) / mem_cap).min(1.0),
    ]
}

/// NodeResourcesFit's LeastAllocated score, 0-100.
pub mod least_allocated {
    use super::*;
    pub const NAME: &str = "NodeResourcesFit";

    pub fn score(info: &PodInfo, alloc: &Allocatable, scoring: Requests) -> i64 {
        from_fractions(fractions(info, alloc, scoring))
    }

    pub fn from_fractions([cpu, mem]: [f64; 2]) -> i64 {
        (((1.0 - cpu) * 100.0 + (1.0 - mem) * 100.0) / 2.0) as i64
    }
}

/// NodeResourcesBalancedAllocation, 0-100: prefers nodes whose CPU and memory fill evenly.
pub mod balanced_allocation {
    use super::*;
    pub const NAME: &str = "NodeResourcesBalancedAllocation";

    pub fn score(info: &PodInfo, alloc: &Allocatable, scoring: Requests) -> i64 {
        from_fractions(fractions(info, alloc, scoring))
    }

    pub fn from_fractions([cpu, mem]: [f64; 2]) -> i64 {
        let std = (cpu - mem).abs() / 2.0;
        ((1.0 - std) * 100.0) as i64
    }
}

/// TaintToleration's score: nodes with fewer `PreferNoSchedule` taints the pod does not
/// tolerate score higher. Weight 3 in kube-scheduler v1.32's default profile.
pub mod taint_toleration_score {
    use super::*;
    pub const WEIGHT: i64 = 3;
    /// `framework.MaxNodeScore`.
    pub const MAX_NODE_SCORE: i64 = 100;

    /// The raw score: how many `PreferNoSchedule` taints of the node the pod does not tolerate
    /// (`countIntolerableTaintsPreferNoSchedule`).
    pub fn intolerable(pod: &Pod, node: &Node) -> i64 {
        node.spec
            .iter()
            .flat_map(|s| s.taints.iter().flatten())
            .filter(|t| t.effect == "PreferNoSchedule" && !tolerates(pod, t))
            .count() as i64
    }

    /// `helper.DefaultNormalizeScore(MaxNodeScore, reverse = true, ...)` for one raw score,
    /// given the highest raw score among the feasible nodes.
    pub fn normalize(raw: i64, max_raw: i64) -> i64 {
        if max_raw == 0 {
            return MAX_NODE_SCORE;
        }
        MAX_NODE_SCORE - MAX_NODE_SCORE * raw / max_raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeSpec, PodSpec, Toleration};

    fn node(name: &str, taints: Vec<Taint>, unschedulable: bool) -> Node {
        let mut n = Node {
            spec: Some(NodeSpec {
                taints: Some(taints),
                unschedulable: Some(unschedulable),
                ..NodeSpec::default()
            }),
            ..Node::default()
        };
        n.metadata.name = Some(name.to_owned());
        n.metadata.labels = Some([("disk".to_owned(), "ssd".to_owned())].into());
        n
    }

    fn pod(
        node_name: Option<&str>,
        selector: Option<(&str, &str)>,
        tolerations: Vec<Toleration>,
    ) -> Pod {
        Pod {
            spec: Some(PodSpec {
                node_name: node_name.map(str::to_owned),
                node_selector: selector.map(|(k, v)| [(k.to_owned(), v.to_owned())].into()),
                tolerations: Some(tolerations),
                ..PodSpec::default()
            }),
            ..Pod::default()
        }
    }

    fn taint(key: &str, effect: &str) -> Taint {
        Taint {
            key: key.to_owned(),
            effect: effect.to_owned(),
            ..Taint::default()
        }
    }

    #[test]
    fn filters_decide_like_the_upstream_plugins() {
        let cp = "node-role.kubernetes.io/control-plane";
        let tolerate_cp = Toleration {
            key: Some(cp.to_owned()),
            operator: Some("Exists".to_owned()),
            effect: Some("NoSchedule".to_owned()),
            ..Toleration::default()
        };
        let cases: Vec<(&str, Pod, Node, Option<&str>)> = vec![
            (
                "plain fits",
                pod(None, None, vec![]),
                node("n", vec![], false),
                None,
            ),
            (
                "wrong node name",
                pod(Some("other"), None, vec![]),
                node("n", vec![], false),
                Some(node_name::ERR_REASON),
            ),
            (
                "cordoned",
                pod(None, None, vec![]),
                node("n", vec![], true),
                Some(node_unschedulable::ERR_REASON),
            ),
            (
                "selector mismatch",
                pod(None, Some(("disk", "hdd")), vec![]),
                node("n", vec![], false),
                Some(node_affinity::ERR_REASON),
            ),
            (
                "selector match",
                pod(None, Some(("disk", "ssd")), vec![]),
                node("n", vec![], false),
                None,
            ),
            (
                "untolerated taint",
                pod(None, None, vec![]),
                node("n", vec![taint(cp, "NoSchedule")], false),
                Some("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
            ),
            (
                "tolerated taint",
                pod(None, None, vec![tolerate_cp]),
                node("n", vec![taint(cp, "NoSchedule")], false),
                None,
            ),
            (
                "prefer-no-schedule ignored",
                pod(None, None, vec![]),
                node("n", vec![taint("x", "PreferNoSchedule")], false),
                None,
            ),
        ];
        let usage = NodeUsage::default();
        for (name, pod, mut node, want) in cases {
            node.status = Some(k8s_openapi::api::core::v1::NodeStatus {
                allocatable: Some(
                    [(
                        "pods".to_owned(),
                        k8s_openapi::apimachinery::pkg::api::resource::Quantity("110".to_owned()),
                    )]
                    .into(),
                ),
                ..Default::default()
            });
            let info = PodInfo::of(&pod);
            let got = run_filters(&pod, &info, &node, &Allocatable::of(&node), &usage)
                .err()
                .map(|s| s.reasons[0].clone());
            assert_eq!(got.as_deref(), want, "{name}");
        }
    }
}

/// VolumeBinding: the pod's claims must exist and be bound (or wait for their first consumer),
/// and the volumes must be reachable from the node.
pub mod volume_binding {
    use super::*;
    use crate::objects::{Kind, Object, ObjectKey};
    use crate::storage;
    use crate::store::Store;
    use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};

    pub const NAME: &str = "VolumeBinding";
    pub const ERR_REASON_NODE_CONFLICT: &str = "node(s) had volume node affinity conflict";
    pub const ERR_REASON_BIND_CONFLICT: &str =
        "node(s) didn't find available persistent volumes to bind";
    pub const ERR_REASON_UNBOUND_IMMEDIATE: &str =
        "pod has unbound immediate PersistentVolumeClaims";

    /// What PreFilter learnt about the pod's claims.
    #[derive(Debug, Clone, Default)]
    pub struct Plan {
        /// Volumes the pod's bound claims use.
        pub bound: Vec<PersistentVolume>,
        /// Claims of a WaitForFirstConsumer class still to be bound on the chosen node.
        pub delayed: Vec<PersistentVolumeClaim>,
    }

    /// PreFilter: `Ok(None)` for a pod without claims; `Err` carries the status message
    /// (every node fails with it, so preemption cannot help).
    pub fn pre_filter(store: &Store, pod: &Pod) -> Result<Option<Plan>, String> {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let mut plan = Plan::default();
        let mut any = false;
        let mut unbound_immediate = false;
        for claim in storage::pod_claims(pod) {
            any = true;
            let Some(pvc) = store
                .get(&ObjectKey::new(Kind::PersistentVolumeClaim, ns, claim))
                .and_then(Object::as_persistent_volume_claim)
            else {
                return Err(format!("persistentvolumeclaim \"{claim}\" not found"));
            };
            if pvc.metadata.deletion_timestamp.is_some() {
                return Err(format!(
                    "persistentvolumeclaim \"{claim}\" is being deleted"
                ));
            }
            if let Some(pv) = storage::bound_volume(store, pvc) {
                plan.bound.push(pv.clone());
            } else if storage::delays_binding(store, pvc) {
                plan.delayed.push(pvc.clone());
            } else {
                unbound_immediate = true;
            }
        }
        if unbound_immediate {
            return Err(ERR_REASON_UNBOUND_IMMEDIATE.to_owned());
        }
        Ok(any.then_some(plan))
    }

    pub fn filter(store: &Store, plan: &Plan, node: &Node) -> Result<(), FilterStatus> {
        if plan
            .bound
            .iter()
            .any(|pv| !storage::node_affinity_admits(pv, node))
        {
            return Err(fail(
                NAME,
                Code::UnschedulableAndUnresolvable,
                ERR_REASON_NODE_CONFLICT,
            ));
        }
        if plan
            .delayed
            .iter()
            .any(|pvc| storage::find_matching_volume(store, pvc, Some(node)).is_none())
        {
            return Err(fail(
                NAME,
                Code::UnschedulableAndUnresolvable,
                ERR_REASON_BIND_CONFLICT,
            ));
        }
        Ok(())
    }
}
