//! DaemonSet: one pod per eligible node (node selector, required node affinity and taints
//! decide eligibility, as the real controller asks the scheduler's predicates). Pods are pinned
//! with a `matchFields metadata.name` affinity and placed by the scheduler. Template changes
//! make a ControllerRevision and, under RollingUpdate, replace pods within maxUnavailable
//! (default 1) nodes without an available pod, or surge up to maxSurge extra new pods, as the
//! v1.32 daemon controller's `rollingUpdate` does; OnDelete replaces only pods deleted by hand.

use super::{Action, ControllerId, Ctx, pod_from_template, pod_is_active, pod_is_ready, revision};
use crate::api::DeleteOptions;
use crate::events::EventType;
use crate::naming;
use crate::objects::{Kind, Object, ObjectKey};
use crate::scheduler::plugins;
use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    Toleration,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

const HASH_LABEL: &str = "controller-revision-hash";
/// The API server's record of the template generation, copied to pods as a label.
const TEMPLATE_GENERATION_ANNOTATION: &str = "deprecated.daemonset.template.generation";
const TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";

fn daemon_tolerations() -> Vec<Toleration> {
    let t = |key: &str, effect: &str| Toleration {
        key: Some(key.to_owned()),
        operator: Some("Exists".to_owned()),
        effect: Some(effect.to_owned()),
        ..Toleration::default()
    };
    vec![
        t("node.kubernetes.io/not-ready", "NoExecute"),
        t("node.kubernetes.io/unreachable", "NoExecute"),
        t("node.kubernetes.io/disk-pressure", "NoSchedule"),
        t("node.kubernetes.io/memory-pressure", "NoSchedule"),
        t("node.kubernetes.io/pid-pressure", "NoSchedule"),
        t("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]
}

/// `intstr.GetScaledValueFromIntOrPercent` rounding up, as `util.SurgeCount` and
/// `util.UnavailableCount` resolve the daemon set's rolling-update bounds.
fn scaled_up(value: Option<&IntOrString>, total: i32) -> i32 {
    match value {
        None => 0,
        Some(IntOrString::Int(i)) => *i,
        Some(IntOrString::String(s)) => {
            let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            i32::try_from((i64::from(total) * pct + 99) / 100).unwrap_or(0)
        }
    }
}

fn creation_order(pod: &Pod) -> (bool, u64, String) {
    let scheduled = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_ref())
        .is_some();
    let created = pod
        .metadata
        .creation_timestamp
        .as_ref()
        .map_or(0, |t| crate::api::virtual_time(t).as_millis());
    (
        !scheduled,
        created,
        pod.metadata.name.clone().unwrap_or_default(),
    )
}

/// `podutil.IsPodAvailable`: Ready for at least minReadySeconds. `Err(wait)` says how long
/// until a ready pod becomes available; `Ok(false)` means not ready at all.
fn availability(pod: &Pod, min_ready_ms: u64, now_ms: u64) -> Result<bool, u64> {
    let Some(since) = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready" && c.status == "True"))
    else {
        return Ok(false);
    };
    if min_ready_ms == 0 {
        return Ok(true);
    }
    let ready_at = since
        .last_transition_time
        .as_ref()
        .map_or(0, |t| crate::api::virtual_time(t).as_millis());
    let elapsed = now_ms.saturating_sub(ready_at);
    if elapsed >= min_ready_ms {
        Ok(true)
    } else {
        Err(min_ready_ms - elapsed)
    }
}

fn hash_of(pod: &Pod) -> Option<&String> {
    pod.metadata.labels.as_ref()?.get(HASH_LABEL)
}

/// One sync of the daemon controller (`syncDaemonSet`): revisions, then `manage` (one pod per
/// eligible node), then `rollingUpdate` (bounded by maxUnavailable/maxSurge), then status.
pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(Object::DaemonSet(ds)) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    if ds.metadata.deletion_timestamp.is_some() {
        return Action::AwaitChange;
    }
    let owner = Object::DaemonSet(ds.clone());
    let spec = ds.spec.clone().unwrap_or_default();
    let uid = ds.metadata.uid.clone().unwrap_or_default();
    let template_json = serde_json::to_value(&spec.template).unwrap_or_default();
    let hash = naming::pod_template_hash(&template_json, None);
    let now_ms = ctx.api.now().as_millis();
    let min_ready_ms =
        u64::try_from(spec.min_ready_seconds.unwrap_or(0).max(0)).unwrap_or(0) * 1000;
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    let rolling = strategy.type_.as_deref().unwrap_or("RollingUpdate") == "RollingUpdate";
    let mut template = spec.template.clone();
    let pod_spec = template.spec.get_or_insert_with(Default::default);
    let tolerations = pod_spec.tolerations.get_or_insert_with(Vec::new);
    for t in daemon_tolerations() {
        if !tolerations.contains(&t) {
            tolerations.push(t);
        }
    }
    let labels = template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default);
    labels.insert(HASH_LABEL.to_owned(), hash.clone());
    if let Some(generation) = ds
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(TEMPLATE_GENERATION_ANNOTATION))
    {
        labels.insert(TEMPLATE_GENERATION_LABEL.to_owned(), generation.clone());
    }
    let pods: Vec<Pod> = ctx
        .api
        .store()
        .controlled_by(&uid, Kind::Pod, &key.namespace)
        .filter_map(Object::as_pod)
        .cloned()
        .collect();
    // Revisions: the current template's, newest; old ones pruned past revisionHistoryLimit.
    let mut revision_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    revision_labels.insert(HASH_LABEL.to_owned(), hash.clone());
    let in_use: BTreeSet<String> = pods.iter().filter_map(hash_of).cloned().collect();
    revision::sync(
        ctx,
        &owner,
        &format!("{}-{hash}", key.name),
        &spec.template,
        revision_labels,
        spec.revision_history_limit.unwrap_or(10),
        &in_use,
        |r| {
            r.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(HASH_LABEL))
                .cloned()
        },
    );
    let nodes: Vec<_> = ctx
        .api
        .store()
        .list(Kind::Node, None)
        .filter_map(Object::as_node)
        .cloned()
        .collect();
    // nodeToDaemonPods: terminating pods count until they are gone; finished deleted ones not.
    let mut by_node: BTreeMap<String, Vec<&Pod>> = BTreeMap::new();
    for pod in &pods {
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        let terminal = matches!(phase, Some("Succeeded" | "Failed"));
        if terminal && pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        if let Some(target) = pod_node_target(pod) {
            by_node.entry(target).or_default().push(pod);
        }
    }
    for list in by_node.values_mut() {
        crate::stable_sort::sort_by_key(list, |p| creation_order(p));
    }
    let probe = Pod {
        spec: template.spec.clone(),
        ..Pod::default()
    };
    let eligible: BTreeSet<String> = nodes
        .iter()
        .filter(|node| {
            plugins::node_selector_fits(&probe, node)
                && plugins::untolerated_taint(&probe, node).is_none()
        })
        .filter_map(|node| node.metadata.name.clone())
        .collect();
    let max_surge = if rolling {
        scaled_up(
            strategy
                .rolling_update
                .as_ref()
                .and_then(|r| r.max_surge.as_ref()),
            eligible.len() as i32,
        )
    } else {
        0
    };
    // manage: create missing pods, delete failed, duplicate and misplaced ones.
    let mut to_delete: Vec<&Pod> = Vec::new();
    let mut to_create: Vec<String> = Vec::new();
    for node in &nodes {
        let node_name = node.metadata.name.clone().unwrap_or_default();
        let on_node: Vec<&Pod> = by_node.get(&node_name).cloned().unwrap_or_default();
        if !eligible.contains(&node_name) {
            to_delete.extend(on_node.iter().filter(|p| pod_is_active(p)));
            continue;
        }
        if on_node.is_empty() {
            to_create.push(node_name);
            continue;
        }
        let mut running: Vec<&Pod> = Vec::new();
        for pod in on_node {
            if pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            if pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed") {
                let name = pod.metadata.name.clone().unwrap_or_default();
                ctx.event(
                    ControllerId::DaemonSet,
                    &owner,
                    EventType::Warning,
                    "FailedDaemonPod",
                    &format!(
                        "Found failed daemon pod {}/{name} on node {node_name}, will try to kill it",
                        key.namespace
                    ),
                );
                to_delete.push(pod);
                continue;
            }
            running.push(pod);
        }
        if running.len() <= 1 {
            continue;
        }
        if max_surge == 0 {
            to_delete.extend(running.iter().skip(1));
            continue;
        }
        // With surge a node may hold one new and one old pod; the old one goes once the new
        // one is available (or at once if the old one is not ready).
        let (mut oldest_new, mut oldest_old) = (None, None);
        for pod in running {
            let slot = if hash_of(pod) == Some(&hash) {
                &mut oldest_new
            } else {
                &mut oldest_old
            };
            if slot.is_none() {
                *slot = Some(pod);
            } else {
                to_delete.push(pod);
            }
        }
        if let (Some(new), Some(old)) = (oldest_new, oldest_old)
            && (!pod_is_ready(old) || availability(new, min_ready_ms, now_ms) == Ok(true))
        {
            to_delete.push(old);
        }
    }
    let managed = !to_delete.is_empty() || !to_create.is_empty();
    for pod in to_delete {
        delete_pod(ctx, &owner, pod);
    }
    for node in &to_create {
        create_pod(ctx, &owner, &template, node);
    }
    // rollingUpdate, once this sync's own creations and deletions have been observed.
    if rolling && !managed {
        let max_unavailable = scaled_up(
            strategy
                .rolling_update
                .as_ref()
                .and_then(|r| r.max_unavailable.as_ref()),
            eligible.len() as i32,
        );
        let max_unavailable = if max_unavailable == 0 && max_surge == 0 {
            1
        } else {
            max_unavailable
        };
        let (old_to_delete, new_nodes) = rolling_update(
            &by_node,
            &eligible,
            &hash,
            max_surge,
            max_unavailable,
            |p| availability(p, min_ready_ms, now_ms) == Ok(true),
        );
        for pod in old_to_delete {
            delete_pod(ctx, &owner, pod);
        }
        for node in &new_nodes {
            create_pod(ctx, &owner, &template, node);
        }
    }
    // Status (updateDaemonSetStatus): the oldest pod on each eligible node speaks for it.
    let (mut desired, mut current, mut ready, mut updated, mut available, mut misscheduled) =
        (0, 0, 0, 0, 0, 0);
    // Sync again when a ready pod (a surged one included) becomes available.
    let wake = by_node
        .values()
        .flatten()
        .filter_map(|p| availability(p, min_ready_ms, now_ms).err())
        .min();
    for node in &nodes {
        let node_name = node.metadata.name.clone().unwrap_or_default();
        let on_node = by_node.get(&node_name);
        let scheduled = on_node.is_some_and(|p| !p.is_empty());
        if !eligible.contains(&node_name) {
            if scheduled {
                misscheduled += 1;
            }
            continue;
        }
        desired += 1;
        let Some(pod) = on_node.and_then(|p| p.first()) else {
            continue;
        };
        current += 1;
        if pod_is_ready(pod) {
            ready += 1;
            if availability(pod, min_ready_ms, now_ms) == Ok(true) {
                available += 1;
            }
        }
        if hash_of(pod) == Some(&hash) {
            updated += 1;
        }
    }
    let status = json!({
        "currentNumberScheduled": current,
        "desiredNumberScheduled": desired,
        "numberMisscheduled": misscheduled,
        "numberReady": ready,
        "numberAvailable": if available > 0 { json!(available) } else { serde_json::Value::Null },
        "numberUnavailable": if desired - available > 0 { json!(desired - available) } else { serde_json::Value::Null },
        "updatedNumberScheduled": updated,
        "observedGeneration": ds.metadata.generation,
    });
    let mut doc = owner.to_json();
    if doc.get("status") != Some(&status) {
        doc["status"] = status;
        if let Ok(o) = Object::from_json(Kind::DaemonSet, doc) {
            let _ = ctx.api.update_status_shared(o);
        }
    }
    match wake {
        Some(ms) => Action::RequeueAfter(std::time::Duration::from_millis(ms)),
        None => Action::AwaitChange,
    }
}

/// `findUpdatedPodsOnNode`: the node's live new and old pod, `None` when it holds more than
/// one of either (the manage step cleans that up first).
fn updated_and_old<'a>(pods: &[&'a Pod], hash: &str) -> Option<(Option<&'a Pod>, Option<&'a Pod>)> {
    let (mut new, mut old) = (None, None);
    for pod in pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
    {
        let slot = if hash_of(pod).map(String::as_str) == Some(hash) {
            &mut new
        } else {
            &mut old
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(*pod);
    }
    Some((new, old))
}

/// The daemon controller's `rollingUpdate`: which old pods to delete and on which nodes to
/// surge a new pod. Without surge, at most maxUnavailable nodes are without an available pod
/// at a time (old pods that are already unavailable may always be replaced); with surge, at
/// most maxSurge nodes run a second, new pod that is not yet available.
fn rolling_update<'a>(
    by_node: &BTreeMap<String, Vec<&'a Pod>>,
    eligible: &BTreeSet<String>,
    hash: &str,
    max_surge: i32,
    max_unavailable: i32,
    is_available: impl Fn(&Pod) -> bool,
) -> (Vec<&'a Pod>, Vec<String>) {
    if max_surge == 0 {
        let mut unavailable = 0;
        let mut replace_now: Vec<&Pod> = Vec::new();
        let mut candidates: Vec<&Pod> = Vec::new();
        for pods in by_node.values() {
            match updated_and_old(pods, hash) {
                None | Some((None, None) | (Some(_), Some(_))) => unavailable += 1,
                Some((Some(new), None)) => {
                    if !is_available(new) {
                        unavailable += 1;
                    }
                }
                Some((None, Some(old))) => {
                    if !is_available(old) {
                        replace_now.push(old);
                    } else if unavailable < max_unavailable {
                        candidates.push(old);
                    }
                }
            }
        }
        let room = (max_unavailable - unavailable).clamp(0, candidates.len() as i32);
        replace_now.extend(candidates.into_iter().take(room as usize));
        return (replace_now, Vec::new());
    }
    let mut old_to_delete: Vec<&Pod> = Vec::new();
    let mut allowed_nodes: Vec<String> = Vec::new();
    let mut candidate_nodes: Vec<String> = Vec::new();
    let mut surging = 0;
    for (node, pods) in by_node {
        let Some((new, old)) = updated_and_old(pods, hash) else {
            surging += 1;
            continue;
        };
        match (new, old) {
            (_, None) => {}
            (None, Some(old)) => {
                if !is_available(old) {
                    if eligible.contains(node) {
                        allowed_nodes.push(node.clone());
                    } else {
                        old_to_delete.push(old);
                    }
                } else if surging < max_surge {
                    candidate_nodes.push(node.clone());
                }
            }
            (Some(new), Some(old)) => {
                if is_available(new) {
                    old_to_delete.push(old);
                } else {
                    surging += 1;
                }
            }
        }
    }
    let room = (max_surge - surging).clamp(0, candidate_nodes.len() as i32);
    allowed_nodes.extend(candidate_nodes.into_iter().take(room as usize));
    (old_to_delete, allowed_nodes)
}

/// The node a daemon pod is pinned to (its nodeName, else its matchFields affinity).
fn pod_node_target(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(n) = &spec.node_name {
        return Some(n.clone());
    }
    spec.affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms
        .iter()
        .flat_map(|t| t.match_fields.iter().flatten())
        .find(|f| f.key == "metadata.name")
        .and_then(|f| f.values.as_ref()?.first().cloned())
}

fn create_pod(
    ctx: &mut Ctx<'_>,
    owner: &Object,
    template: &k8s_openapi::api::core::v1::PodTemplateSpec,
    node: &str,
) {
    let mut pod = pod_from_template(owner, template);
    if let Some(spec) = pod.spec.as_mut() {
        spec.affinity = Some(Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_fields: Some(vec![NodeSelectorRequirement {
                            key: "metadata.name".to_owned(),
                            operator: "In".to_owned(),
                            values: Some(vec![node.to_owned()]),
                        }]),
                        match_expressions: None,
                    }],
                }),
                preferred_during_scheduling_ignored_during_execution: None,
            }),
            ..Affinity::default()
        });
    }
    match ctx.api.create(Object::Pod(Box::new(pod))) {
        Ok(created) => ctx.event(
            ControllerId::DaemonSet,
            owner,
            EventType::Normal,
            "SuccessfulCreate",
            &format!("Created pod: {}", created.name()),
        ),
        Err(e) => ctx.event(
            ControllerId::DaemonSet,
            owner,
            EventType::Warning,
            "FailedCreate",
            &format!("Error creating: {}", e.message),
        ),
    }
}

fn delete_pod(ctx: &mut Ctx<'_>, owner: &Object, pod: &Pod) {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    if ctx
        .api
        .delete(Kind::Pod, &ns, &name, &DeleteOptions::default())
        .is_ok()
    {
        ctx.event(
            ControllerId::DaemonSet,
            owner,
            EventType::Normal,
            "SuccessfulDelete",
            &format!("Deleted pod: {name}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{HASH_LABEL, rolling_update, scaled_up};
    use k8s_openapi::api::core::v1::Pod;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    use std::collections::{BTreeMap, BTreeSet};

    fn pod(name: &str, hash: &str) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = Some(name.to_owned());
        p.metadata.labels = Some([(HASH_LABEL.to_owned(), hash.to_owned())].into());
        p
    }

    fn names(pods: &[&Pod]) -> Vec<String> {
        pods.iter()
            .filter_map(|p| p.metadata.name.clone())
            .collect()
    }

    #[test]
    fn max_unavailable_bounds_the_old_pods_deleted() {
        let old: Vec<Pod> = (0..3).map(|i| pod(&format!("old-{i}"), "a")).collect();
        let by_node: BTreeMap<String, Vec<&Pod>> = old
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("node{i}"), vec![p]))
            .collect();
        let nodes: BTreeSet<String> = by_node.keys().cloned().collect();
        let (delete, surge) = rolling_update(&by_node, &nodes, "b", 0, 1, |_| true);
        assert_eq!(names(&delete), ["old-0"]);
        assert!(surge.is_empty());
        let (delete, _) = rolling_update(&by_node, &nodes, "b", 0, 2, |_| true);
        assert_eq!(names(&delete), ["old-0", "old-1"]);
        // An old pod that is not available may always be replaced.
        let (delete, _) = rolling_update(&by_node, &nodes, "b", 0, 1, |p| {
            p.metadata.name.as_deref() != Some("old-2")
        });
        assert_eq!(names(&delete), ["old-2", "old-0"]);
    }

    #[test]
    fn an_unavailable_new_pod_uses_up_the_budget() {
        let new = pod("new-0", "b");
        let old = [pod("old-1", "a"), pod("old-2", "a")];
        let by_node: BTreeMap<String, Vec<&Pod>> = [
            ("node0".to_owned(), vec![&new]),
            ("node1".to_owned(), vec![&old[0]]),
            ("node2".to_owned(), vec![&old[1]]),
        ]
        .into();
        let nodes: BTreeSet<String> = by_node.keys().cloned().collect();
        let waiting = |p: &Pod| p.metadata.name.as_deref() != Some("new-0");
        let (delete, _) = rolling_update(&by_node, &nodes, "b", 0, 1, waiting);
        assert!(delete.is_empty());
        let (delete, _) = rolling_update(&by_node, &nodes, "b", 0, 1, |_| true);
        assert_eq!(names(&delete), ["old-1"]);
    }

    #[test]
    fn surge_starts_new_pods_and_deletes_old_ones_once_new_are_available() {
        let old = [pod("old-0", "a"), pod("old-1", "a")];
        let new = pod("new-0", "b");
        let by_node: BTreeMap<String, Vec<&Pod>> = [
            ("node0".to_owned(), vec![&old[0], &new]),
            ("node1".to_owned(), vec![&old[1]]),
        ]
        .into();
        let nodes: BTreeSet<String> = by_node.keys().cloned().collect();
        // new-0 not yet available: it is the one surge allowed, nothing else happens.
        let (delete, surge) = rolling_update(&by_node, &nodes, "b", 1, 0, |p| {
            p.metadata.name.as_deref() != Some("new-0")
        });
        assert!(delete.is_empty() && surge.is_empty());
        let (delete, surge) = rolling_update(&by_node, &nodes, "b", 1, 0, |_| true);
        assert_eq!(names(&delete), ["old-0"]);
        assert_eq!(surge, ["node1"]);
    }

    #[test]
    fn percentages_round_up() {
        assert_eq!(scaled_up(Some(&IntOrString::String("50%".into())), 3), 2);
        assert_eq!(scaled_up(Some(&IntOrString::String("10%".into())), 3), 1);
        assert_eq!(scaled_up(Some(&IntOrString::Int(0)), 3), 0);
        assert_eq!(scaled_up(None, 3), 0);
    }
}
