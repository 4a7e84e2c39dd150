//! Deployment: owns ReplicaSets, one per pod template revision. Rolling updates (maxSurge /
//! maxUnavailable), Recreate, pause/resume, revisions with change-cause, conditions, progress
//! deadline; plus the client-side rollout helpers kubectl needs (undo, pause, resume, restart).

use super::{Action, ControllerId, Ctx};
use crate::api::{ApiServer, PatchType, controller_of, controller_ref, timestamp, virtual_time};
use crate::errors::ApiError;
use crate::events::EventType;
use crate::naming;
use crate::objects::{Kind, Object, ObjectKey};
use crate::selector;
use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetSpec,
};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
pub const HASH_LABEL: &str = "pod-template-hash";
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// Annotations that never travel between a Deployment and its ReplicaSets.
const SKIPPED_ANNOTATIONS: [&str; 6] = [
    crate::api::LAST_APPLIED,
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

fn revision(rs: &ReplicaSet) -> i64 {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

fn status_of(rs: &ReplicaSet) -> (i32, i32, i32) {
    let s = rs.status.clone().unwrap_or_default();
    (
        s.replicas,
        s.ready_replicas.unwrap_or(0),
        s.available_replicas.unwrap_or(0),
    )
}

/// The template with the pod-template-hash label removed, for comparisons.
fn without_hash(template: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = template.clone();
    if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(HASH_LABEL);
    }
    t
}

fn templates_equal(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let mut a = without_hash(a);
    let mut b = without_hash(b);
    // Defaulting fills the same fields on both; normalise empties away.
    for t in [&mut a, &mut b] {
        if let Some(m) = t.metadata.as_mut()
            && m.labels.as_ref().is_some_and(|l| l.is_empty())
        {
            m.labels = None;
        }
    }
    serde_json::to_value(&a).ok() == serde_json::to_value(&b).ok()
}

/// `intstr.GetScaledValueFromIntOrPercent`: surge rounds up, unavailable rounds down.
fn resolve(value: Option<&IntOrString>, total: i32, round_up: bool) -> i32 {
    match value {
        None => 0,
        Some(IntOrString::Int(i)) => *i,
        Some(IntOrString::String(s)) => {
            let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            let scaled = i64::from(total) * pct;
            let v = if round_up {
                (scaled + 99) / 100
            } else {
                scaled / 100
            };
            i32::try_from(v).unwrap_or(0)
        }
    }
}

/// (maxSurge, maxUnavailable) resolved against the desired replicas.
fn surge_unavailable(d: &Deployment) -> (i32, i32) {
    let spec = d.spec.clone().unwrap_or_default();
    let desired = spec.replicas.unwrap_or(1);
    let ru = spec
        .strategy
        .and_then(|s| s.rolling_update)
        .unwrap_or_default();
    let surge = resolve(ru.max_surge.as_ref(), desired, true);
    let mut unavailable = resolve(ru.max_unavailable.as_ref(), desired, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable.min(desired))
}

fn is_recreate(d: &Deployment) -> bool {
    d.spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        == Some("Recreate")
}

/// Reconciles one Deployment.
pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(Object::Deployment(d)) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    if d.metadata.deletion_timestamp.is_some() {
        return Action::AwaitChange;
    }
    let spec = d.spec.clone().unwrap_or_default();
    let uid = d.metadata.uid.clone().unwrap_or_default();
    let owner = Object::Deployment(d.clone());
    // Adopt matching orphans, as the real controller does; collect owned sets.
    let mut sets: Vec<ReplicaSet> = Vec::new();
    let candidates: Vec<ReplicaSet> = ctx
        .api
        .store()
        .list(Kind::ReplicaSet, Some(&key.namespace))
        .filter_map(Object::as_replica_set)
        .cloned()
        .collect();
    for rs in candidates {
        let labels = rs.metadata.labels.clone().unwrap_or_default();
        match controller_of(&rs.metadata) {
            Some(r) if r.uid == uid => sets.push(rs),
            None if selector::matches(&spec.selector, &labels)
                && rs.metadata.deletion_timestamp.is_none() =>
            {
                let mut refs = rs.metadata.owner_references.clone().unwrap_or_default();
                refs.push(controller_ref(&owner));
                let patch = json!({"metadata": {"ownerReferences": refs}});
                if let Ok(Object::ReplicaSet(adopted)) = ctx.api.patch(
                    Kind::ReplicaSet,
                    &key.namespace,
                    rs.metadata.name.as_deref().unwrap_or(""),
                    PatchType::Merge,
                    &patch,
                ) {
                    sets.push(*adopted);
                }
            }
            _ => {}
        }
    }
    let desired = spec.replicas.unwrap_or(1);
    let paused = spec.paused.unwrap_or(false);
    let mut new_rs = sets
        .iter()
        .filter(|rs| {
            rs.spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .is_some_and(|t| templates_equal(t, &spec.template))
        })
        .min_by_key(|rs| rs.metadata.creation_timestamp.as_ref().map(virtual_time))
        .cloned();
    let max_revision = sets.iter().map(revision).max().unwrap_or(0);
    // A changed replica count (or a paused deployment) is a plain `sync`: scale what exists,
    // proportionally, without starting a rollout.
    let scaling_event = sets.iter().filter(|rs| replicas(rs) > 0).any(|rs| {
        rs.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(DESIRED_REPLICAS))
            .and_then(|v| v.parse::<i32>().ok())
            .is_some_and(|v| v != desired)
    });
    if paused || scaling_event {
        let olds: Vec<ReplicaSet> = sets
            .iter()
            .filter(|rs| {
                new_rs
                    .as_ref()
                    .is_none_or(|n| n.metadata.name != rs.metadata.name)
            })
            .cloned()
            .collect();
        proportional_scale(ctx, &d, &owner, new_rs.as_ref(), &olds);
        let new_name = new_rs.and_then(|r| r.metadata.name).unwrap_or_default();
        cleanup_history(ctx, &d, &new_name);
        return sync_status(ctx, key, false, &new_name);
    }
    let mut created_new = false;
    if let Some(rs) = new_rs.as_mut() {
        // A rollback (or re-apply) makes an old ReplicaSet current again: it takes a new revision.
        if revision(rs) < max_revision || revision(rs) == 0 {
            let old = revision(rs);
            let mut annotations = rs.metadata.annotations.clone().unwrap_or_default();
            annotations.insert(REVISION.to_owned(), (max_revision + 1).to_string());
            if old > 0 {
                let mut history: Vec<String> = annotations
                    .get(REVISION_HISTORY)
                    .map(|h| h.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                history.push(old.to_string());
                annotations.insert(REVISION_HISTORY.to_owned(), history.join(","));
            }
            copy_deployment_annotations(&d, &mut annotations);
            let patch = json!({"metadata": {"annotations": annotations}});
            if let Ok(Object::ReplicaSet(updated)) = ctx.api.patch(
                Kind::ReplicaSet,
                &key.namespace,
                rs.metadata.name.as_deref().unwrap_or(""),
                PatchType::Merge,
                &patch,
            ) {
                *rs = *updated;
            }
        }
    } else if !paused {
        let start = if is_recreate(&d) {
            0
        } else {
            let (surge, _) = surge_unavailable(&d);
            let current: i32 = sets.iter().map(replicas).fold(0i32, i32::saturating_add);
            desired
                .saturating_add(surge)
                .saturating_sub(current)
                .clamp(0, desired)
        };
        match create_new_rs(ctx, &d, max_revision + 1, start) {
            Ok(rs) => {
                if start > 0 {
                    ctx.event(
                        ControllerId::Deployment,
                        &owner,
                        EventType::Normal,
                        "ScalingReplicaSet",
                        &format!(
                            "Scaled up replica set {} from 0 to {start}",
                            rs.metadata.name.as_deref().unwrap_or("")
                        ),
                    );
                }
                created_new = true;
                sets.push(rs.clone());
                new_rs = Some(rs);
            }
            Err(e) => {
                ctx.event(
                    ControllerId::Deployment,
                    &owner,
                    EventType::Warning,
                    "FailedCreate",
                    &e.message,
                );
                return Action::RequeueAfter(Duration::from_secs(1));
            }
        }
    }
    let new_name = new_rs
        .as_ref()
        .and_then(|r| r.metadata.name.clone())
        .unwrap_or_default();
    let olds: Vec<ReplicaSet> = sets
        .iter()
        .filter(|rs| rs.metadata.name.as_deref() != Some(&new_name))
        .cloned()
        .collect();
    if let Some(new_rs) = new_rs.as_ref() {
        if is_recreate(&d) {
            let old_running: i32 = olds
                .iter()
                .map(|rs| status_of(rs).0.saturating_add(replicas(rs)))
                .fold(0, i32::saturating_add);
            for rs in olds.iter().filter(|rs| replicas(rs) > 0) {
                scale(ctx, &owner, rs, 0);
            }
            if old_running == 0 && replicas(new_rs) != desired {
                scale(ctx, &owner, new_rs, desired);
            }
        } else {
            rolling_update(ctx, &d, &owner, new_rs, &olds);
        }
    }
    cleanup_history(ctx, &d, &new_name);
    sync_status(ctx, key, created_new, &new_name)
}

/// The deployment controller's `scale`: one active set takes the whole count; a saturated new
/// set retires the old ones; otherwise every active set grows or shrinks in proportion to its
/// size (`GetProportion`), leftovers going to the largest.
fn proportional_scale(
    ctx: &mut Ctx<'_>,
    d: &Deployment,
    owner: &Object,
    new_rs: Option<&ReplicaSet>,
    olds: &[ReplicaSet],
) {
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let created = |rs: &ReplicaSet| rs.metadata.creation_timestamp.as_ref().map(virtual_time);
    let mut all: Vec<ReplicaSet> = olds.iter().chain(new_rs).cloned().collect();
    crate::stable_sort::sort_by_key(&mut all, |rs| std::cmp::Reverse(created(rs)));
    let active: Vec<ReplicaSet> = all.iter().filter(|rs| replicas(rs) > 0).cloned().collect();
    let only = match active.as_slice() {
        [] => new_rs.cloned().or_else(|| all.first().cloned()),
        [one] => Some(one.clone()),
        _ => None,
    };
    if let Some(rs) = only {
        scale(ctx, owner, &rs, desired);
        return;
    }
    if let Some(new_rs) = new_rs.filter(|rs| replicas(rs) == desired && status_of(rs).2 == desired)
    {
        let _ = new_rs;
        for rs in olds.iter().filter(|rs| replicas(rs) > 0) {
            scale(ctx, owner, rs, 0);
        }
        return;
    }
    if is_recreate(d) {
        return;
    }
    let (surge, _) = surge_unavailable(d);
    let allowed = if desired > 0 {
        desired.saturating_add(surge)
    } else {
        0
    };
    let current = active.iter().map(replicas).fold(0i32, i32::saturating_add);
    let to_add = allowed.saturating_sub(current);
    let mut sets = active;
    if to_add > 0 {
        // Largest first; among equals, newer first.
        crate::stable_sort::sort_by_key(&mut sets, |rs| {
            (
                std::cmp::Reverse(replicas(rs)),
                std::cmp::Reverse(created(rs)),
            )
        });
    } else {
        // Largest first; among equals, older first.
        crate::stable_sort::sort_by_key(&mut sets, |rs| {
            (std::cmp::Reverse(replicas(rs)), created(rs))
        });
    }
    let mut added = 0i32;
    let mut sizes: Vec<i32> = Vec::with_capacity(sets.len());
    for rs in &sets {
        let size = replicas(rs);
        let proportion = if to_add == 0 || to_add == added {
            0
        } else {
            let fraction = if desired == 0 {
                -size
            } else {
                let annotated = rs
                    .metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(MAX_REPLICAS))
                    .and_then(|v| v.parse::<i64>().ok())
                    .filter(|v| *v > 0)
                    .unwrap_or_else(|| {
                        i64::from(
                            d.status
                                .as_ref()
                                .and_then(|s| s.replicas)
                                .unwrap_or(1)
                                .max(1),
                        )
                    });
                let scaled = (i64::from(size) * i64::from(allowed)) as f64 / annotated as f64;
                i32::try_from(scaled.round() as i64).unwrap_or(i32::MAX) - size
            };
            let allowed_now = to_add - added;
            if to_add > 0 {
                fraction.min(allowed_now)
            } else {
                fraction.max(allowed_now)
            }
        };
        sizes.push(size + proportion);
        added += proportion;
    }
    for (i, rs) in sets.iter().enumerate() {
        let mut size = sizes[i];
        if i == 0 && to_add != 0 {
            size = (size + to_add - added).max(0);
        }
        scale(ctx, owner, rs, size);
    }
}

fn copy_deployment_annotations(d: &Deployment, into: &mut BTreeMap<String, String>) {
    for (k, v) in d.metadata.annotations.iter().flatten() {
        if !SKIPPED_ANNOTATIONS.contains(&k.as_str()) {
            into.insert(k.clone(), v.clone());
        }
    }
}

fn create_new_rs(
    ctx: &mut Ctx<'_>,
    d: &Deployment,
    revision: i64,
    replicas: i32,
) -> Result<ReplicaSet, ApiError> {
    let spec = d.spec.clone().unwrap_or_default();
    let collision = d.status.as_ref().and_then(|s| s.collision_count);
    let template_json = serde_json::to_value(&spec.template).unwrap_or_default();
    let hash = naming::pod_template_hash(&template_json, collision);
    let mut template = spec.template.clone();
    template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default)
        .insert(HASH_LABEL.to_owned(), hash.clone());
    let mut selector = spec.selector.clone();
    selector
        .match_labels
        .get_or_insert_with(Default::default)
        .insert(HASH_LABEL.to_owned(), hash.clone());
    let (surge, _) = surge_unavailable(d);
    let desired = spec.replicas.unwrap_or(1);
    let mut annotations = BTreeMap::new();
    copy_deployment_annotations(d, &mut annotations);
    annotations.insert(DESIRED_REPLICAS.to_owned(), desired.to_string());
    annotations.insert(
        MAX_REPLICAS.to_owned(),
        (desired.saturating_add(surge)).to_string(),
    );
    annotations.insert(REVISION.to_owned(), revision.to_string());
    let mut rs = ReplicaSet {
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            min_ready_seconds: spec.min_ready_seconds,
            selector,
            template: Some(template.clone()),
        }),
        ..ReplicaSet::default()
    };
    let name = d.metadata.name.clone().unwrap_or_default();
    rs.metadata.name = Some(format!("{name}-{hash}"));
    rs.metadata.namespace = d.metadata.namespace.clone();
    rs.metadata.labels = template.metadata.and_then(|m| m.labels);
    rs.metadata.annotations = Some(annotations);
    rs.metadata.owner_references = Some(vec![controller_ref(&Object::Deployment(Box::new(
        d.clone(),
    )))]);
    match ctx.api.create(Object::ReplicaSet(Box::new(rs)))? {
        Object::ReplicaSet(rs) => Ok(*rs),
        _ => Err(ApiError::bad_request("unexpected kind")),
    }
}

fn scale(ctx: &mut Ctx<'_>, owner: &Object, rs: &ReplicaSet, to: i32) {
    let from = replicas(rs);
    let d = owner.as_deployment().cloned().unwrap_or_default();
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let (surge, _) = surge_unavailable(&d);
    let annotation = |key: &str| {
        rs.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key).cloned())
    };
    let annotations_current = annotation(DESIRED_REPLICAS) == Some(desired.to_string())
        && annotation(MAX_REPLICAS) == Some(desired.saturating_add(surge).to_string());
    if from == to && annotations_current {
        return;
    }
    let patch = json!({
        "metadata": {"annotations": {
            DESIRED_REPLICAS: desired.to_string(),
            MAX_REPLICAS: (desired.saturating_add(surge)).to_string(),
        }},
        "spec": {"replicas": to}
    });
    let name = rs.metadata.name.clone().unwrap_or_default();
    let ns = rs.metadata.namespace.clone().unwrap_or_default();
    if ctx
        .api
        .patch(Kind::ReplicaSet, &ns, &name, PatchType::Merge, &patch)
        .is_ok()
        && from != to
    {
        let direction = if to > from { "up" } else { "down" };
        ctx.event(
            ControllerId::Deployment,
            owner,
            EventType::Normal,
            "ScalingReplicaSet",
            &format!("Scaled {direction} replica set {name} from {from} to {to}"),
        );
    }
}

fn rolling_update(
    ctx: &mut Ctx<'_>,
    d: &Deployment,
    owner: &Object,
    new_rs: &ReplicaSet,
    olds: &[ReplicaSet],
) {
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let (surge, max_unavailable) = surge_unavailable(d);
    let all_replicas: i32 =
        olds.iter().map(replicas).fold(0i32, i32::saturating_add) + replicas(new_rs);
    // Scale the new set up (or down, when the deployment shrank).
    let new_count = replicas(new_rs);
    let active_olds = olds.iter().filter(|rs| replicas(rs) > 0).count();
    if active_olds == 0 {
        if new_count != desired {
            scale(ctx, owner, new_rs, desired);
        }
        return;
    }
    if new_count < desired {
        let max_total = desired.saturating_add(surge);
        if all_replicas < max_total {
            let up = max_total
                .saturating_sub(all_replicas)
                .min(desired - new_count);
            scale(ctx, owner, new_rs, new_count + up);
        }
    } else if new_count > desired {
        scale(ctx, owner, new_rs, desired);
    }
    // Scale old sets down without dropping below minAvailable.
    let new_rs = ctx
        .api
        .store()
        .get(&ObjectKey::new(
            Kind::ReplicaSet,
            new_rs.metadata.namespace.as_deref().unwrap_or(""),
            new_rs.metadata.name.as_deref().unwrap_or(""),
        ))
        .and_then(Object::as_replica_set)
        .cloned()
        .unwrap_or_else(|| new_rs.clone());
    let all_replicas: i32 =
        olds.iter().map(replicas).fold(0i32, i32::saturating_add) + replicas(&new_rs);
    let min_available = desired - max_unavailable;
    let new_unavailable = (replicas(&new_rs) - status_of(&new_rs).2).max(0);
    let max_scaled_down = all_replicas
        .saturating_sub(min_available)
        .saturating_sub(new_unavailable);
    if max_scaled_down <= 0 {
        return;
    }
    let mut budget = max_scaled_down;
    let mut olds: Vec<ReplicaSet> = olds.to_vec();
    crate::stable_sort::sort_by_key(&mut olds, |rs| {
        rs.metadata.creation_timestamp.as_ref().map(virtual_time)
    });
    // First, pods of old sets that are not available cost nothing to remove.
    for rs in olds.iter_mut() {
        if budget <= 0 {
            break;
        }
        let unhealthy = (replicas(rs) - status_of(rs).2).max(0);
        let cut = unhealthy.min(budget);
        if cut > 0 {
            let to = replicas(rs) - cut;
            scale(ctx, owner, rs, to);
            if let Some(s) = rs.spec.as_mut() {
                s.replicas = Some(to);
            }
            budget -= cut;
        }
    }
    let available: i32 = olds
        .iter()
        .map(|rs| status_of(rs).2.min(replicas(rs)))
        .fold(status_of(&new_rs).2, i32::saturating_add);
    if available <= min_available {
        return;
    }
    let mut total = available.saturating_sub(min_available).min(budget);
    for rs in olds.iter() {
        if total <= 0 {
            break;
        }
        let cut = replicas(rs).min(total);
        if cut > 0 {
            scale(ctx, owner, rs, replicas(rs) - cut);
            total -= cut;
        }
    }
}

/// Deletes old, empty ReplicaSets beyond `revisionHistoryLimit`, oldest revisions first.
fn cleanup_history(ctx: &mut Ctx<'_>, d: &Deployment, new_name: &str) {
    let limit = d
        .spec
        .as_ref()
        .and_then(|s| s.revision_history_limit)
        .unwrap_or(10)
        .max(0) as usize;
    let uid = d.metadata.uid.clone().unwrap_or_default();
    let ns = d.metadata.namespace.clone().unwrap_or_default();
    let mut old: Vec<ReplicaSet> = ctx
        .api
        .store()
        .list(Kind::ReplicaSet, Some(&ns))
        .filter_map(Object::as_replica_set)
        .filter(|rs| controller_of(&rs.metadata).is_some_and(|r| r.uid == uid))
        .filter(|rs| rs.metadata.name.as_deref() != Some(new_name))
        .filter(|rs| replicas(rs) == 0 && status_of(rs).0 == 0)
        .cloned()
        .collect();
    if old.len() <= limit {
        return;
    }
    crate::stable_sort::sort_by_key(&mut old, revision);
    let excess = old.len() - limit;
    for rs in old.into_iter().take(excess) {
        let name = rs.metadata.name.unwrap_or_default();
        let _ = ctx
            .api
            .delete(Kind::ReplicaSet, &ns, &name, &Default::default());
    }
}

fn condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    now: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message),
        last_update_time: Some(now.clone()),
        last_transition_time: Some(now),
    }
}

/// Merges a condition: keeps lastTransitionTime when the status did not change, and
/// lastUpdateTime when nothing changed at all.
fn set_condition(list: &mut Vec<DeploymentCondition>, mut new: DeploymentCondition) {
    if let Some(old) = list.iter_mut().find(|c| c.type_ == new.type_) {
        if old.status == new.status {
            new.last_transition_time = old.last_transition_time.clone();
            if old.reason == new.reason && old.message == new.message {
                return;
            }
        }
        *old = new;
    } else {
        list.push(new);
    }
}

fn sync_status(ctx: &mut Ctx<'_>, key: &ObjectKey, created_new: bool, new_name: &str) -> Action {
    let Some(Object::Deployment(mut d)) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    let now = ctx.api.now();
    let uid = d.metadata.uid.clone().unwrap_or_default();
    let spec = d.spec.clone().unwrap_or_default();
    let desired = spec.replicas.unwrap_or(1);
    let sets: Vec<ReplicaSet> = ctx
        .api
        .store()
        .controlled_by(&uid, Kind::ReplicaSet, &key.namespace)
        .filter_map(Object::as_replica_set)
        .cloned()
        .collect();
    let new_rs = sets
        .iter()
        .find(|rs| rs.metadata.name.as_deref() == Some(new_name));
    let (mut total, mut ready, mut available) = (0, 0, 0);
    for rs in &sets {
        let (r, rd, av) = status_of(rs);
        total += r;
        ready += rd;
        available += av;
    }
    let updated = new_rs.map_or(0, |rs| status_of(rs).0);
    let (_, max_unavailable) = surge_unavailable(&d);
    let old = d.status.clone().unwrap_or_default();
    let mut conditions = old.conditions.clone().unwrap_or_default();
    let ts = timestamp(now);
    if available >= desired - max_unavailable {
        set_condition(
            &mut conditions,
            condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.".to_owned(),
                ts.clone(),
            ),
        );
    } else {
        set_condition(
            &mut conditions,
            condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.".to_owned(),
                ts.clone(),
            ),
        );
    }
    let complete = updated == desired
        && total == desired
        && available == desired
        && new_rs.is_some_and(|rs| replicas(rs) == desired);
    let mut requeue = None;
    let progressing = conditions
        .iter()
        .find(|c| c.type_ == "Progressing")
        .cloned();
    if spec.paused.unwrap_or(false) {
        set_condition(
            &mut conditions,
            condition(
                "Progressing",
                "Unknown",
                "DeploymentPaused",
                "Deployment is paused".to_owned(),
                ts,
            ),
        );
    } else if progressing.as_ref().and_then(|c| c.reason.as_deref()) == Some("DeploymentPaused") {
        set_condition(
            &mut conditions,
            condition(
                "Progressing",
                "Unknown",
                "DeploymentResumed",
                "Deployment is resumed".to_owned(),
                ts,
            ),
        );
    } else if complete {
        set_condition(
            &mut conditions,
            condition(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{new_name}\" has successfully progressed."),
                ts,
            ),
        );
    } else if created_new {
        set_condition(
            &mut conditions,
            condition(
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                format!("Created new replica set \"{new_name}\""),
                ts,
            ),
        );
    } else {
        let old_total = old.replicas.unwrap_or(0);
        let moved = updated != old.updated_replicas.unwrap_or(0)
            || available != old.available_replicas.unwrap_or(0)
            || total != old_total
            || ready != old.ready_replicas.unwrap_or(0);
        let deadline = u64::try_from(spec.progress_deadline_seconds.unwrap_or(600).max(0))
            .unwrap_or(600)
            * 1000;
        let last = progressing
            .as_ref()
            .and_then(|c| c.last_update_time.as_ref())
            .map_or(0, |t| virtual_time(t).as_millis());
        if moved || progressing.is_none() {
            let mut c = condition(
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{new_name}\" is progressing."),
                ts,
            );
            if let Some(p) = progressing.as_ref().filter(|p| p.status == "True") {
                c.last_transition_time = p.last_transition_time.clone();
            }
            conditions.retain(|c| c.type_ != "Progressing");
            conditions.push(c);
            requeue = Some(Duration::from_millis(deadline));
        } else if progressing.as_ref().is_some_and(|p| p.status == "True")
            && now.as_millis() >= last + deadline
        {
            set_condition(
                &mut conditions,
                condition(
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    format!("ReplicaSet \"{new_name}\" has timed out progressing."),
                    ts,
                ),
            );
        } else if progressing.as_ref().is_some_and(|p| p.status == "True") {
            requeue = Some(Duration::from_millis(last + deadline - now.as_millis()));
        }
    }
    // Progressing is listed after Available, as on a real cluster.
    crate::stable_sort::sort_by_key(&mut conditions, |c| c.type_ != "Available");
    let status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: Some(total),
        updated_replicas: Some(updated),
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        unavailable_replicas: Some((desired - available).max(0)),
        conditions: Some(conditions),
        collision_count: old.collision_count,
    };
    let status = DeploymentStatus {
        ready_replicas: status.ready_replicas.filter(|r| *r > 0),
        available_replicas: status.available_replicas.filter(|r| *r > 0),
        unavailable_replicas: status.unavailable_replicas.filter(|r| *r > 0),
        updated_replicas: status.updated_replicas.filter(|r| *r > 0),
        replicas: status.replicas.filter(|r| *r > 0),
        ..status
    };
    // The deployment carries its current revision as an annotation.
    let rev = new_rs.map(revision).unwrap_or(0);
    let mut meta_changed = false;
    if rev > 0 {
        let ann = d.metadata.annotations.get_or_insert_with(Default::default);
        if ann.get(REVISION) != Some(&rev.to_string()) {
            ann.insert(REVISION.to_owned(), rev.to_string());
            meta_changed = true;
        }
    }
    if meta_changed {
        let patch = json!({"metadata": {"annotations": {REVISION: rev.to_string()}}});
        if let Ok(Object::Deployment(fresh)) = ctx.api.patch(
            Kind::Deployment,
            &key.namespace,
            &key.name,
            PatchType::Merge,
            &patch,
        ) {
            d = fresh;
        }
    }
    if d.status.as_ref() != Some(&status) {
        d.status = Some(status);
        d.metadata.resource_version = None;
        let _ = ctx.api.update_status_shared(Object::Deployment(d));
    }
    requeue.map_or(Action::AwaitChange, Action::RequeueAfter)
}

/// What `kubectl rollout undo` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackOutcome {
    RolledBack,
    /// `skipped rollback (current template already matches revision N)`.
    Skipped(i64),
}

/// Errors of `kubectl rollout undo`, with kubectl's texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolloutError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(
        "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again"
    )]
    Paused,
    #[error("no rollout history found for deployment \"{0}\"")]
    NoHistory(String),
    #[error("unable to find specified revision {0} in history")]
    RevisionNotFound(i64),
}

fn owned_sets(api: &ApiServer, d: &Deployment) -> Vec<ReplicaSet> {
    let uid = d.metadata.uid.clone().unwrap_or_default();
    api.store()
        .list(
            Kind::ReplicaSet,
            Some(d.metadata.namespace.as_deref().unwrap_or("")),
        )
        .filter_map(Object::as_replica_set)
        .filter(|rs| controller_of(&rs.metadata).is_some_and(|r| r.uid == uid))
        .cloned()
        .collect()
}

/// (revision, change-cause) pairs, ascending, as `kubectl rollout history` lists them.
pub fn history(
    api: &ApiServer,
    namespace: &str,
    name: &str,
) -> Result<Vec<(i64, Option<String>)>, ApiError> {
    let Object::Deployment(d) = api.get(Kind::Deployment, namespace, name)? else {
        return Ok(Vec::new());
    };
    let mut out: Vec<(i64, Option<String>)> = owned_sets(api, &d)
        .iter()
        .map(|rs| {
            (
                revision(rs),
                rs.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(CHANGE_CAUSE).cloned()),
            )
        })
        .filter(|(r, _)| *r > 0)
        .collect();
    crate::stable_sort::sort(&mut out);
    Ok(out)
}

/// `kubectl rollout undo [--to-revision=N]` (0 = the previous revision).
pub fn rollback(
    api: &mut ApiServer,
    namespace: &str,
    name: &str,
    to_revision: i64,
) -> Result<RollbackOutcome, RolloutError> {
    let Object::Deployment(d) = api.get(Kind::Deployment, namespace, name)? else {
        return Err(RolloutError::NoHistory(name.to_owned()));
    };
    if d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false) {
        return Err(RolloutError::Paused);
    }
    let mut sets = owned_sets(api, &d);
    crate::stable_sort::sort_by_key(&mut sets, revision);
    let target = if to_revision == 0 {
        if sets.len() < 2 {
            return Err(RolloutError::NoHistory(name.to_owned()));
        }
        sets.get(sets.len() - 2).cloned()
    } else {
        sets.iter().find(|rs| revision(rs) == to_revision).cloned()
    };
    let Some(target) = target else {
        return Err(if sets.is_empty() {
            RolloutError::NoHistory(name.to_owned())
        } else {
            RolloutError::RevisionNotFound(to_revision)
        });
    };
    let template = without_hash(
        &target
            .spec
            .as_ref()
            .and_then(|s| s.template.clone())
            .unwrap_or_default(),
    );
    let current = d.spec.clone().unwrap_or_default().template;
    if templates_equal(&template, &current) {
        return Ok(RollbackOutcome::Skipped(revision(&target)));
    }
    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    for k in SKIPPED_ANNOTATIONS {
        if let Some(v) = d.metadata.annotations.as_ref().and_then(|a| a.get(k)) {
            annotations.insert(k.to_owned(), v.clone());
        }
    }
    for (k, v) in target.metadata.annotations.iter().flatten() {
        if !SKIPPED_ANNOTATIONS.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    let mut d = d;
    d.metadata.annotations = Some(annotations);
    if let Some(spec) = d.spec.as_mut() {
        spec.template = template;
    }
    // kubectl sends the rollback as a JSON patch of the deployment.
    api.update_patched(Object::Deployment(d))?;
    Ok(RollbackOutcome::RolledBack)
}

/// `kubectl rollout pause` / `resume`: sets `spec.paused`.
pub fn set_paused(
    api: &mut ApiServer,
    namespace: &str,
    name: &str,
    paused: bool,
) -> Result<Object, ApiError> {
    let patch =
        json!({"spec": {"paused": if paused { json!(true) } else { serde_json::Value::Null }}});
    api.patch(
        Kind::Deployment,
        namespace,
        name,
        PatchType::Strategic,
        &patch,
    )
}

/// `kubectl rollout restart`: stamps the template with `kubectl.kubernetes.io/restartedAt`.
pub fn restart(api: &mut ApiServer, namespace: &str, name: &str) -> Result<Object, ApiError> {
    let at = timestamp(api.now()).0.to_rfc3339();
    let patch = json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}});
    api.patch(
        Kind::Deployment,
        namespace,
        name,
        PatchType::Strategic,
        &patch,
    )
}
