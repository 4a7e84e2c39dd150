//! DefaultPreemption, the scheduler's PostFilter (`pkg/scheduler/framework/preemption`): when a
//! pod fits nowhere, find nodes where removing lower-priority pods makes it fit, keep as many
//! of those pods as still allows the fit (reprieve, budget-violating ones first), pick the
//! node whose victims matter least, then nominate it and delete the victims.

use super::plugins::{self, Code, NodeUsage, PodInfo, Requests};
use crate::disruption;
use crate::objects::{Kind, Object, ObjectKey};
use crate::store::Store;
use k8s_openapi::api::core::v1::{Node, Pod};
use std::collections::BTreeMap;

pub const NAME: &str = "DefaultPreemption";

/// What PostFilter concluded for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The pod may not preempt: the text after `preemption: `.
    NotEligible(&'static str),
    /// No node has victims that would make room (the per-node histogram is printed).
    NoCandidates,
    /// Preempt these pods on this node and nominate it.
    Nominate {
        node: String,
        victims: Vec<ObjectKey>,
    },
}

/// A pod's priority as admission set it (0 when missing).
pub fn priority_of(pod: &Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

/// One node the pod failed on, as PostFilter needs it.
pub struct FailedNode<'a> {
    pub node: &'a Node,
    pub alloc: &'a plugins::Allocatable,
    pub usage: &'a NodeUsage,
    pub code: Code,
}

/// A pod placed on a failed node that could be a victim.
struct Potential {
    key: ObjectKey,
    priority: i32,
    created: String,
    requests: Requests,
    host_ports: Vec<(String, String, i32)>,
    pod: Pod,
}

fn remove(usage: &mut NodeUsage, p: &Potential) {
    usage.cpu_milli -= p.requests.cpu_milli;
    usage.memory_milli -= p.requests.memory_milli;
    usage.pods -= 1000;
    for port in &p.host_ports {
        if let Some(n) = usage.host_ports.get_mut(port) {
            *n -= 1;
            if *n == 0 {
                usage.host_ports.remove(port);
            }
        }
    }
}

fn add(usage: &mut NodeUsage, p: &Potential) {
    usage.cpu_milli += p.requests.cpu_milli;
    usage.memory_milli += p.requests.memory_milli;
    usage.pods += 1000;
    for port in &p.host_ports {
        *usage.host_ports.entry(port.clone()).or_default() += 1;
    }
}

/// A node where preemption helps: its victims and how many of them a budget protects.
struct Candidate {
    node: String,
    victims: Vec<Potential>,
    violating: usize,
}

/// `PodEligibleToPreemptOthers`.
fn eligibility(store: &Store, pod: &Pod) -> Result<(), &'static str> {
    let spec = pod.spec.as_ref();
    if spec.and_then(|s| s.preemption_policy.as_deref()) == Some("Never") {
        return Err("not eligible due to preemptionPolicy=Never.");
    }
    let nominated = pod
        .status
        .as_ref()
        .and_then(|s| s.nominated_node_name.as_deref())
        .filter(|n| !n.is_empty());
    if let Some(node) = nominated {
        let priority = priority_of(pod);
        let terminating_lower = store
            .list(Kind::Pod, None)
            .filter_map(Object::as_pod)
            .any(|p| {
                p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)
                    && p.metadata.deletion_timestamp.is_some()
                    && priority_of(p) < priority
            });
        if terminating_lower {
            return Err("not eligible due to a terminating pod on the nominated node.");
        }
    }
    Ok(())
}

/// `SelectVictimsOnNode`: all lower-priority pods out; if the pod then fits, bring back as many
/// as still allow it, most important first, budget-protected ones before the others.
fn select_victims(
    store: &Store,
    pod: &Pod,
    info: &PodInfo,
    failed: &FailedNode<'_>,
    mut lower: Vec<Potential>,
) -> Option<Candidate> {
    let mut usage = failed.usage.clone();
    for p in &lower {
        remove(&mut usage, p);
    }
    let fits = |usage: &NodeUsage| {
        plugins::run_filters(pod, info, failed.node, failed.alloc, usage).is_ok()
    };
    if !fits(&usage) {
        return None;
    }
    // MoreImportantPod: higher priority first, then the one that started earlier.
    crate::stable_sort::sort_by(&mut lower, |a, b| {
        b.priority
            .cmp(&a.priority)
            .then_with(|| a.created.cmp(&b.created))
    });
    // filterPodsWithPDBViolation: each budget's allowance is spent in this order.
    let mut allowed: BTreeMap<ObjectKey, i32> = BTreeMap::new();
    let mut violating = Vec::new();
    let mut harmless = Vec::new();
    for p in lower {
        let budgets = disruption::budgets_for(store, &p.pod);
        let mut violates = false;
        for pdb in budgets {
            let key = ObjectKey::new(
                Kind::PodDisruptionBudget,
                pdb.metadata.namespace.as_deref().unwrap_or(""),
                pdb.metadata.name.as_deref().unwrap_or(""),
            );
            let left = allowed
                .entry(key)
                .or_insert_with(|| pdb.status.as_ref().map_or(0, |s| s.disruptions_allowed));
            *left -= 1;
            if *left < 0 {
                violates = true;
            }
        }
        if violates {
            violating.push(p);
        } else {
            harmless.push(p);
        }
    }
    let mut victims = Vec::new();
    let mut violating_victims = 0;
    for (group, is_violating) in [(violating, true), (harmless, false)] {
        for p in group {
            add(&mut usage, &p);
            if fits(&usage) {
                continue;
            }
            remove(&mut usage, &p);
            if is_violating {
                violating_victims += 1;
            }
            victims.push(p);
        }
    }
    let node = failed.node.metadata.name.clone().unwrap_or_default();
    Some(Candidate {
        node,
        victims,
        violating: violating_victims,
    })
}

/// `pickOneNodeForPreemption`: fewest budget violations, then the lowest highest-priority
/// victim, the lowest priority sum, the fewest victims; ties go to the first node.
fn pick(candidates: Vec<Candidate>) -> Option<Candidate> {
    let rank = |c: &Candidate| {
        let highest = c
            .victims
            .iter()
            .map(|v| v.priority)
            .max()
            .unwrap_or(i32::MIN);
        // The scheduler sums priority + MaxInt32 + 1 so negative priorities count too.
        let sum: i64 = c
            .victims
            .iter()
            .map(|v| i64::from(v.priority) + i64::from(i32::MAX) + 1)
            .sum();
        (c.violating, highest, sum, c.victims.len())
    };
    let mut best: Option<(Candidate, (usize, i32, i64, usize))> = None;
    for c in candidates {
        let r = rank(&c);
        if best.as_ref().is_none_or(|(_, b)| r < *b) {
            best = Some((c, r));
        }
    }
    best.map(|(c, _)| c)
}

/// DefaultPreemption's decision for a pod that failed on `failed` nodes (store order).
/// `lowest_placed` is the lowest priority of any placed pod: nothing to preempt when it is not
/// below the pod's.
pub fn post_filter(
    store: &Store,
    pod: &Pod,
    info: &PodInfo,
    failed: &[FailedNode<'_>],
    lowest_placed: Option<i32>,
) -> Outcome {
    if let Err(why) = eligibility(store, pod) {
        return Outcome::NotEligible(why);
    }
    let priority = priority_of(pod);
    if lowest_placed.is_none_or(|low| low >= priority) {
        return Outcome::NoCandidates;
    }
    let resolvable: Vec<&FailedNode<'_>> = failed
        .iter()
        .filter(|f| f.code == Code::Unschedulable)
        .collect();
    if resolvable.is_empty() {
        return Outcome::NoCandidates;
    }
    let mut on_node: BTreeMap<String, Vec<Potential>> = BTreeMap::new();
    for f in &resolvable {
        on_node.insert(f.node.metadata.name.clone().unwrap_or_default(), Vec::new());
    }
    for object in store.list(Kind::Pod, None) {
        let Some(p) = object.as_pod() else {
            continue;
        };
        let Some(node) = p.spec.as_ref().and_then(|s| s.node_name.as_ref()) else {
            continue;
        };
        let Some(list) = on_node.get_mut(node) else {
            continue;
        };
        let terminal = matches!(
            p.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        );
        if terminal || p.metadata.deletion_timestamp.is_some() || priority_of(p) >= priority {
            continue;
        }
        list.push(Potential {
            key: object.key(),
            priority: priority_of(p),
            created: p
                .status
                .as_ref()
                .and_then(|s| s.start_time.as_ref())
                .map(|t| t.0.to_rfc3339())
                .unwrap_or_default(),
            requests: plugins::pod_requests(p),
            host_ports: plugins::host_ports(p),
            pod: p.clone(),
        });
    }
    let candidates: Vec<Candidate> = resolvable
        .iter()
        .filter_map(|f| {
            let name = f.node.metadata.name.clone().unwrap_or_default();
            let lower = on_node.remove(&name).unwrap_or_default();
            if lower.is_empty() {
                return None;
            }
            select_victims(store, pod, info, f, lower)
        })
        .filter(|c| !c.victims.is_empty())
        .collect();
    match pick(candidates) {
        Some(c) => Outcome::Nominate {
            node: c.node,
            victims: c.victims.into_iter().map(|v| v.key).collect(),
        },
        None => Outcome::NoCandidates,
    }
}
