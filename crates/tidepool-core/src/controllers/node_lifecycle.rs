//! Node lifecycle: a node whose kubelet stops reporting goes `Ready=Unknown` after the
//! node-monitor grace period, gets the `node.kubernetes.io/unreachable` NoSchedule and
//! NoExecute taints, and its pods are evicted when their toleration runs out (300 s by default,
//! from the DefaultTolerationSeconds admission). When it reports again it is Ready and untainted.

use super::{Action, Ctx};
use crate::api::{DeleteOptions, timestamp, virtual_time};
use crate::clock::VirtualTime;
use crate::events::{EventType, Source};
use crate::objects::{Kind, Object, ObjectKey};
use crate::scheduler::plugins::tolerates;
use k8s_openapi::api::core::v1::{Node, Pod, Taint};
use std::time::Duration;

/// `--node-monitor-grace-period`: how long a silent node keeps its Ready status (50 s since
/// v1.32, kubernetes/kubernetes#126287; 40 s before).
pub const GRACE_PERIOD: Duration = Duration::from_secs(50);
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
const NODE_CONTROLLER: &str = "node-controller";
const EVICTION_CONTROLLER: &str = "taint-eviction-controller";

fn set_conditions(node: &mut Node, ready: bool, now: VirtualTime) {
    let st = node.status.get_or_insert_with(Default::default);
    for c in st.conditions.iter_mut().flatten() {
        let (status, reason, message) = match (ready, c.type_.as_str()) {
            (true, "Ready") => ("True", "KubeletReady", "kubelet is posting ready status"),
            (true, "MemoryPressure") => (
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            (true, "DiskPressure") => (
                "False",
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
            ),
            (true, _) => (
                "False",
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            ),
            (false, _) => (
                "Unknown",
                "NodeStatusUnknown",
                "Kubelet stopped posting node status.",
            ),
        };
        if c.status != status {
            c.last_transition_time = Some(timestamp(now));
        }
        c.status = status.to_owned();
        c.reason = Some(reason.to_owned());
        c.message = Some(message.to_owned());
    }
}

fn unreachable_taints(now: VirtualTime) -> [Taint; 2] {
    [
        Taint {
            key: UNREACHABLE.to_owned(),
            effect: "NoSchedule".to_owned(),
            time_added: None,
            value: None,
        },
        Taint {
            key: UNREACHABLE.to_owned(),
            effect: "NoExecute".to_owned(),
            time_added: Some(timestamp(now)),
            value: None,
        },
    ]
}

/// When a pod on a node with this NoExecute taint must go (`None` = tolerated forever).
fn eviction_due(pod: &Pod, taint: &Taint) -> Option<VirtualTime> {
    let added = taint
        .time_added
        .as_ref()
        .map(virtual_time)
        .unwrap_or_default();
    if !tolerates(pod, taint) {
        return Some(added);
    }
    let seconds = pod
        .spec
        .iter()
        .flat_map(|s| s.tolerations.iter().flatten())
        .filter(|t| {
            t.key.as_deref().is_none_or(|k| k == taint.key)
                && t.effect.as_deref().is_none_or(|e| e == taint.effect)
        })
        .filter_map(|t| t.toleration_seconds)
        .min()?;
    Some(added.saturating_add(Duration::from_secs(
        u64::try_from(seconds.max(0)).unwrap_or(0),
    )))
}

/// `MarkPodsNotReady`: pods on an unreachable node stop counting as ready.
fn mark_pods_not_ready(ctx: &mut Ctx<'_>, node: &str, now: VirtualTime) {
    let pods: Vec<Pod> = crate::kubelet::bound_pods(ctx.api, node).cloned().collect();
    for mut pod in pods {
        let Some(st) = pod.status.as_mut() else {
            continue;
        };
        let mut changed = false;
        for c in st.conditions.iter_mut().flatten() {
            if c.type_ == "Ready" && c.status != "False" {
                c.status = "False".to_owned();
                c.last_transition_time = Some(timestamp(now));
                changed = true;
            }
        }
        for cs in st.container_statuses.iter_mut().flatten() {
            cs.ready = false;
        }
        if changed {
            ctx.api.put_raw(Object::Pod(Box::new(pod)));
        }
    }
}

/// Reconciles one node given when (if ever) its kubelet went silent.
pub fn reconcile(ctx: &mut Ctx<'_>, name: &str, silent_since: Option<VirtualTime>) -> Action {
    let key = ObjectKey::new(Kind::Node, "", name);
    let Some(Object::Node(node)) = ctx.api.store().get(&key).cloned() else {
        return Action::AwaitChange;
    };
    let now = ctx.api.now();
    let has_taint = node
        .spec
        .iter()
        .flat_map(|s| s.taints.iter().flatten())
        .any(|t| t.key == UNREACHABLE);
    let Some(since) = silent_since else {
        if has_taint {
            let mut healed = node;
            set_conditions(&mut healed, true, now);
            if let Some(spec) = healed.spec.as_mut() {
                let kept: Vec<Taint> = spec
                    .taints
                    .iter()
                    .flatten()
                    .filter(|t| t.key != UNREACHABLE)
                    .cloned()
                    .collect();
                spec.taints = (!kept.is_empty()).then_some(kept);
            }
            let object = Object::Node(healed);
            ctx.api.put_raw(object.clone());
            ctx.recorder.record(
                ctx.api,
                Source::component(NODE_CONTROLLER),
                &object,
                EventType::Normal,
                "NodeReady",
                &format!("Node {name} status is now: NodeReady"),
            );
        }
        return Action::AwaitChange;
    };
    let deadline = since.saturating_add(GRACE_PERIOD);
    if now < deadline {
        return Action::RequeueAfter(deadline.saturating_since(now));
    }
    let mut node = node;
    if !has_taint {
        set_conditions(&mut node, false, now);
        let spec = node.spec.get_or_insert_with(Default::default);
        spec.taints
            .get_or_insert_with(Vec::new)
            .extend(unreachable_taints(now));
        let object = Object::Node(node.clone());
        ctx.api.put_raw(object.clone());
        mark_pods_not_ready(ctx, name, now);
        ctx.recorder.record(
            ctx.api,
            Source::component(NODE_CONTROLLER),
            &object,
            EventType::Normal,
            "NodeNotReady",
            &format!("Node {name} status is now: NodeNotReady"),
        );
    }
    let Some(taint) = node
        .spec
        .iter()
        .flat_map(|s| s.taints.iter().flatten())
        .find(|t| t.key == UNREACHABLE && t.effect == "NoExecute")
        .cloned()
    else {
        return Action::AwaitChange;
    };
    let pods: Vec<Pod> = crate::kubelet::bound_pods(ctx.api, name)
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .cloned()
        .collect();
    let mut next: Option<VirtualTime> = None;
    for pod in pods {
        let Some(due) = eviction_due(&pod, &taint) else {
            continue;
        };
        if due > now {
            next = Some(next.map_or(due, |n| n.min(due)));
            continue;
        }
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        if ctx
            .api
            .delete(Kind::Pod, &ns, &pod_name, &DeleteOptions::default())
            .is_ok()
        {
            ctx.recorder.record(
                ctx.api,
                Source::component(EVICTION_CONTROLLER),
                &Object::Pod(Box::new(pod)),
                EventType::Normal,
                "TaintManagerEviction",
                &format!("Marking for deletion Pod {ns}/{pod_name}"),
            );
        }
    }
    next.map_or(Action::AwaitChange, |n| {
        Action::RequeueAfter(n.saturating_since(now))
    })
}
