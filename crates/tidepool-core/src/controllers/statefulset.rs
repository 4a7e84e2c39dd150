//! StatefulSet: pods with stable ordinal names (`web-0`, `web-1`, ...). OrderedReady creates
//! them one at a time, each after the previous is Running and Ready, and removes them from the
//! highest ordinal down; Parallel does both at once. RollingUpdate replaces pods from the highest
//! ordinal down to `partition`, one at a time. Revisions are ControllerRevision objects.
//! Each volumeClaimTemplate becomes one PersistentVolumeClaim per ordinal
//! (`<template>-<set>-<ordinal>`), created before the pod and reused by every later pod of
//! that ordinal; `persistentVolumeClaimRetentionPolicy` decides, through ownerReferences the
//! garbage collector follows, whether claims outlive scale-down and the set's deletion
//! (`stateful_pod_control.go`).

use super::replicaset::Reconciled;
use super::{Action, ControllerId, Ctx, pod_from_template, pod_is_active, pod_is_ready, revision};
use crate::api::DeleteOptions;
use crate::events::EventType;
use crate::naming;
use crate::objects::{Kind, Object, ObjectKey};
use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use std::collections::{BTreeMap, BTreeSet};

pub const REVISION_LABEL: &str = "controller-revision-hash";
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

fn ordinal(set: &str, pod: &Pod) -> Option<i32> {
    pod.metadata
        .name
        .as_deref()?
        .strip_prefix(set)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

fn revision_of(pod: &Pod) -> Option<&String> {
    pod.metadata.labels.as_ref()?.get(REVISION_LABEL)
}

/// Syncs one StatefulSet. `Failed` (retried with the per-item backoff) when a pod's claims
/// could not be created or are still being deleted, as the real controller requeues on error.
pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Reconciled {
    let Some(Object::StatefulSet(set)) = ctx.api.store().get(key).cloned() else {
        return Reconciled::Done(Action::AwaitChange);
    };
    if set.metadata.deletion_timestamp.is_some() {
        return Reconciled::Done(Action::AwaitChange);
    }
    let owner = Object::StatefulSet(set.clone());
    let spec = set.spec.clone().unwrap_or_default();
    let uid = set.metadata.uid.clone().unwrap_or_default();
    let name = key.name.clone();
    let replicas = spec.replicas.unwrap_or(1).max(0);
    let parallel = spec.pod_management_policy.as_deref() == Some("Parallel");
    let template_json = serde_json::to_value(&spec.template).unwrap_or_default();
    let hash = naming::pod_template_hash(&template_json, None);
    let revision = format!("{name}-{hash}");
    adopt_orphans(ctx, &set, &owner);
    let pods: BTreeMap<i32, Pod> = ctx
        .api
        .store()
        .controlled_by(&uid, Kind::Pod, &key.namespace)
        .filter_map(Object::as_pod)
        .filter_map(|p| ordinal(&name, p).map(|o| (o, p.clone())))
        .collect();
    let mut revision_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    revision_labels.insert(revision::HISTORY_HASH_LABEL.to_owned(), hash);
    let in_use: BTreeSet<String> = pods.values().filter_map(revision_of).cloned().collect();
    revision::sync(
        ctx,
        &owner,
        &revision,
        &spec.template,
        revision_labels,
        spec.revision_history_limit.unwrap_or(10),
        &in_use,
        |r| r.metadata.name.clone(),
    );
    let healthy = |p: &Pod| pod_is_active(p) && pod_is_ready(p);
    let has_claims = !claim_templates(&set).is_empty();
    let mut claims_failed = false;
    if has_claims {
        // Claims follow the retention policy for every pod, condemned ones included, before
        // any is deleted; a pending pod whose claim went missing gets it back.
        for (&i, pod) in &pods {
            let pending = pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending")
                && i < replicas
                && pod.metadata.deletion_timestamp.is_none();
            if pending {
                let pod_name = pod.metadata.name.clone().unwrap_or_default();
                claims_failed |= create_claims(ctx, &set, &owner, &pod_name, i).is_err();
            }
            sync_claim_owners(ctx, &set, &owner, pod, i >= replicas, pending);
        }
    }
    let mut blocked = false;
    let mut created = 0;
    // Scale up / replace missing pods, in ordinal order (at most 500 per sync).
    for i in 0..replicas {
        if created >= 500 {
            break;
        }
        match pods.get(&i) {
            Some(p) if p.metadata.deletion_timestamp.is_some() => blocked = !parallel,
            Some(p) if !healthy(p) => blocked = !parallel,
            Some(_) => {}
            None => {
                if blocked {
                    break;
                }
                if has_claims {
                    if !create_pod_with_claims(ctx, &set, &owner, i, &revision) {
                        claims_failed = true;
                        break;
                    }
                } else {
                    create_pod(ctx, &set, &owner, i, &revision);
                }
                created += 1;
                blocked = !parallel;
            }
        }
        if blocked {
            break;
        }
    }
    // Scale down from the highest ordinal.
    let mut condemned: Vec<&Pod> = pods
        .iter()
        .filter(|(o, _)| **o >= replicas)
        .map(|(_, p)| p)
        .collect();
    condemned.reverse();
    let terminating = pods
        .values()
        .any(|p| p.metadata.deletion_timestamp.is_some());
    for pod in condemned {
        if pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        if !parallel && (terminating || blocked) {
            break;
        }
        delete_pod(ctx, &owner, pod, &name);
        if !parallel {
            break;
        }
    }
    // Rolling update: replace the highest-ordinal stale pod once everything else is healthy.
    let partition = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.rolling_update.as_ref())
        .and_then(|r| r.partition)
        .unwrap_or(0);
    let rolling = spec
        .update_strategy
        .as_ref()
        .and_then(|u| u.type_.as_deref())
        .unwrap_or("RollingUpdate")
        == "RollingUpdate";
    let all_healthy = (0..replicas).all(|i| pods.get(&i).is_some_and(&healthy));
    if rolling && all_healthy && !terminating {
        let stale = pods
            .range(partition.max(0)..replicas)
            .rev()
            .map(|(_, p)| p)
            .find(|p| revision_of(p) != Some(&revision));
        if let Some(pod) = stale {
            delete_pod(ctx, &owner, pod, &name);
        }
    }
    // Status.
    let active: Vec<&Pod> = pods.values().filter(|p| pod_is_active(p)).collect();
    let ready = active.iter().filter(|p| pod_is_ready(p)).count() as i32;
    let updated = active
        .iter()
        .filter(|p| revision_of(p) == Some(&revision))
        .count() as i32;
    let current_revision = set
        .status
        .as_ref()
        .and_then(|s| s.current_revision.clone())
        .filter(|_| updated < replicas)
        .unwrap_or_else(|| revision.clone());
    let current = active
        .iter()
        .filter(|p| revision_of(p) == Some(&current_revision))
        .count() as i32;
    let status = StatefulSetStatus {
        replicas: active.len() as i32,
        // readyReplicas, currentReplicas and updatedReplicas are omitempty in the Go type.
        ready_replicas: Some(ready).filter(|n| *n > 0),
        available_replicas: Some(ready),
        current_replicas: Some(current).filter(|n| *n > 0),
        updated_replicas: Some(updated).filter(|n| *n > 0),
        current_revision: Some(current_revision),
        update_revision: Some(revision),
        observed_generation: set.metadata.generation,
        collision_count: Some(0),
        conditions: None,
    };
    if set.status.as_ref() != Some(&status) {
        let mut set = set;
        set.status = Some(status);
        set.metadata.resource_version = None;
        let _ = ctx.api.update_status_shared(Object::StatefulSet(set));
    }
    if claims_failed {
        Reconciled::Failed
    } else {
        Reconciled::Done(Action::AwaitChange)
    }
}

/// `ClaimPods`: pods of this set's name pattern (`<set>-<ordinal>`) that match its selector
/// and have no controller (left behind by `kubectl delete sts --cascade=orphan`) are adopted,
/// so a set re-created with the same name takes its pods and their claims back.
fn adopt_orphans(ctx: &mut Ctx<'_>, set: &StatefulSet, owner: &Object) {
    let name = set.metadata.name.as_deref().unwrap_or("");
    let namespace = set.metadata.namespace.as_deref().unwrap_or("");
    let Some(selector) = set.spec.as_ref().map(|s| &s.selector) else {
        return;
    };
    let no_labels = Default::default();
    let orphans: Vec<Pod> = ctx
        .api
        .store()
        .controlled_by("", Kind::Pod, namespace)
        .filter_map(Object::as_pod)
        .filter(|p| p.metadata.deletion_timestamp.is_none() && ordinal(name, p).is_some())
        .filter(|p| {
            crate::selector::matches(selector, p.metadata.labels.as_ref().unwrap_or(&no_labels))
        })
        .cloned()
        .collect();
    for mut pod in orphans {
        pod.metadata
            .owner_references
            .get_or_insert_with(Vec::new)
            .push(crate::api::controller_ref(owner));
        let _ = ctx.api.update(Object::Pod(Box::new(pod)));
    }
}

/// `CreateStatefulPod` for a set with claim templates: the pod's claims first (none stale,
/// none being deleted), then the pod, then the claims' ownerReferences for the retention
/// policy. False when the pod could not be created because of its claims.
fn create_pod_with_claims(
    ctx: &mut Ctx<'_>,
    set: &StatefulSet,
    owner: &Object,
    i: i32,
    revision: &str,
) -> bool {
    let set_name = set.metadata.name.clone().unwrap_or_default();
    let pod_name = format!("{set_name}-{i}");
    if claim_is_stale(ctx, set, &pod_name, i) {
        // The claim of a scaled-down pod is about to be collected; wait for it.
        return false;
    }
    if let Err(error) = create_claims(ctx, set, owner, &pod_name, i) {
        ctx.event(
            ControllerId::StatefulSet,
            owner,
            EventType::Warning,
            "FailedCreate",
            &format!("create Pod {pod_name} in StatefulSet {set_name} failed error: {error}"),
        );
        return false;
    }
    if let Some(pod) = create_pod(ctx, set, owner, i, revision) {
        sync_claim_owners(ctx, set, owner, &pod, false, true);
    }
    true
}

fn create_pod(
    ctx: &mut Ctx<'_>,
    set: &StatefulSet,
    owner: &Object,
    i: i32,
    revision: &str,
) -> Option<Pod> {
    let spec = set.spec.clone().unwrap_or_default();
    let set_name = set.metadata.name.clone().unwrap_or_default();
    let mut pod = pod_from_template(owner, &spec.template);
    let pod_name = format!("{set_name}-{i}");
    pod.metadata.generate_name = None;
    pod.metadata.name = Some(pod_name.clone());
    let labels = pod.metadata.labels.get_or_insert_with(Default::default);
    labels.insert(REVISION_LABEL.to_owned(), revision.to_owned());
    labels.insert(POD_NAME_LABEL.to_owned(), pod_name.clone());
    labels.insert(POD_INDEX_LABEL.to_owned(), i.to_string());
    if let Some(ps) = pod.spec.as_mut() {
        ps.hostname = Some(pod_name.clone());
        ps.subdomain = spec.service_name.filter(|s| !s.is_empty());
        attach_claims(set, i, ps);
    }
    let created = ctx.api.create(Object::Pod(Box::new(pod)));
    if created
        .as_ref()
        .is_err_and(|e| e.reason == crate::errors::StatusReason::AlreadyExists)
    {
        // `CreateStatefulPod` returns before recording an event for a pod that exists.
        return None;
    }
    let pod = created.as_ref().ok().and_then(Object::as_pod).cloned();
    let message = match created {
        Ok(_) => (
            EventType::Normal,
            "SuccessfulCreate",
            format!("create Pod {pod_name} in StatefulSet {set_name} successful"),
        ),
        Err(e) => (
            EventType::Warning,
            "FailedCreate",
            format!(
                "create Pod {pod_name} in StatefulSet {set_name} failed error: {}",
                e.message
            ),
        ),
    };
    ctx.event(
        ControllerId::StatefulSet,
        owner,
        message.0,
        message.1,
        &message.2,
    );
    pod
}

fn delete_pod(ctx: &mut Ctx<'_>, owner: &Object, pod: &Pod, set_name: &str) {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    if ctx
        .api
        .delete(Kind::Pod, &ns, &name, &DeleteOptions::default())
        .is_ok()
    {
        ctx.event(
            ControllerId::StatefulSet,
            owner,
            EventType::Normal,
            "SuccessfulDelete",
            &format!("delete Pod {name} in StatefulSet {set_name} successful"),
        );
    }
}

const RETAIN: &str = "Retain";
const DELETE: &str = "Delete";

fn claim_templates(set: &StatefulSet) -> &[PersistentVolumeClaim] {
    set.spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.as_deref())
        .unwrap_or_default()
}

/// `getPersistentVolumeClaimName`: `<template>-<set>-<ordinal>`.
pub fn claim_name(template: &str, set: &str, ordinal: i32) -> String {
    format!("{template}-{set}-{ordinal}")
}

fn template_name(template: &PersistentVolumeClaim) -> &str {
    template.metadata.name.as_deref().unwrap_or("")
}

/// `getPersistentVolumeClaims`: the template with the pod's claim name, the set's namespace,
/// and the set's selector labels over the template's own.
fn claim_for(set: &StatefulSet, template: &PersistentVolumeClaim, i: i32) -> PersistentVolumeClaim {
    let set_name = set.metadata.name.as_deref().unwrap_or("");
    let mut claim = template.clone();
    claim.metadata.name = Some(claim_name(template_name(template), set_name, i));
    claim.metadata.namespace = set.metadata.namespace.clone();
    let selector_labels = set
        .spec
        .as_ref()
        .and_then(|s| s.selector.match_labels.clone())
        .unwrap_or_default();
    let labels = claim.metadata.labels.get_or_insert_with(Default::default);
    labels.extend(selector_labels);
    claim.status = None;
    claim
}

/// `updateStorage`: one `persistentVolumeClaim` volume per template, named after it, then
/// the template's other volumes (a same-named volume is replaced).
fn attach_claims(set: &StatefulSet, i: i32, spec: &mut k8s_openapi::api::core::v1::PodSpec) {
    let set_name = set.metadata.name.as_deref().unwrap_or("");
    let templates = claim_templates(set);
    let mut volumes: Vec<Volume> = templates
        .iter()
        .map(|t| Volume {
            name: template_name(t).to_owned(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name(template_name(t), set_name, i),
                read_only: None,
            }),
            ..Volume::default()
        })
        .collect();
    let is_template = |name: &str| templates.iter().any(|t| template_name(t) == name);
    volumes.extend(
        spec.volumes
            .take()
            .unwrap_or_default()
            .into_iter()
            .filter(|v| !is_template(&v.name)),
    );
    spec.volumes = Some(volumes);
}

fn claim_key(set: &StatefulSet, template: &PersistentVolumeClaim, i: i32) -> ObjectKey {
    let set_name = set.metadata.name.as_deref().unwrap_or("");
    ObjectKey::new(
        Kind::PersistentVolumeClaim,
        set.metadata.namespace.as_deref().unwrap_or(""),
        &claim_name(template_name(template), set_name, i),
    )
}

/// The stored claim, borrowed (syncs look at every pod's claims; most need no change).
fn stored_claim<'a>(ctx: &'a Ctx<'_>, key: &ObjectKey) -> Option<&'a PersistentVolumeClaim> {
    ctx.api
        .store()
        .get(key)
        .and_then(Object::as_persistent_volume_claim)
}

/// `createPersistentVolumeClaims`: creates the pod's missing claims (an event for each) and
/// reuses existing ones; the error names every claim that failed or is being deleted.
fn create_claims(
    ctx: &mut Ctx<'_>,
    set: &StatefulSet,
    owner: &Object,
    pod_name: &str,
    i: i32,
) -> Result<(), String> {
    let set_name = set.metadata.name.clone().unwrap_or_default();
    let mut errors = Vec::new();
    for template in claim_templates(set) {
        let key = claim_key(set, template, i);
        match stored_claim(ctx, &key).map(|c| c.metadata.deletion_timestamp.is_some()) {
            Some(being_deleted) => {
                if being_deleted {
                    errors.push(format!("pvc {} is being deleted", key.name));
                }
            }
            None => {
                let claim = claim_for(set, template, i);
                let created = ctx
                    .api
                    .create(Object::PersistentVolumeClaim(Box::new(claim)));
                let exists = created
                    .as_ref()
                    .is_err_and(|e| e.reason == crate::errors::StatusReason::AlreadyExists);
                let (event_type, reason, message) = match created {
                    Ok(_) => (
                        EventType::Normal,
                        "SuccessfulCreate",
                        format!(
                            "create Claim {} Pod {pod_name} in StatefulSet {set_name} success",
                            key.name
                        ),
                    ),
                    Err(e) => {
                        errors.push(format!("failed to create PVC {}: {}", key.name, e.message));
                        (
                            EventType::Warning,
                            "FailedCreate",
                            format!(
                                "create Claim {} for Pod {pod_name} in StatefulSet {set_name} \
                                     failed error: {}",
                                key.name, e.message
                            ),
                        )
                    }
                };
                // A claim that appeared meanwhile is no news (`createPersistentVolumeClaims`).
                if !exists {
                    ctx.event(
                        ControllerId::StatefulSet,
                        owner,
                        event_type,
                        reason,
                        &message,
                    );
                }
            }
        }
    }
    match errors.len() {
        0 => Ok(()),
        // Go's aggregate error prints one error alone, several as `[a, b]`.
        1 => Err(errors.remove(0)),
        _ => Err(format!("[{}]", errors.join(", "))),
    }
}

/// The set's `persistentVolumeClaimRetentionPolicy` as (whenDeleted, whenScaled), Retain
/// where unset.
fn retention_policy(set: &StatefulSet) -> (&str, &str) {
    let policy = set
        .spec
        .as_ref()
        .and_then(|s| s.persistent_volume_claim_retention_policy.as_ref());
    (
        policy
            .and_then(|p| p.when_deleted.as_deref())
            .unwrap_or(RETAIN),
        policy
            .and_then(|p| p.when_scaled.as_deref())
            .unwrap_or(RETAIN),
    )
}

/// `PodClaimIsStale`: with `whenScaled: Delete`, a claim still owned by an earlier pod of this
/// name (one scaled down and not yet collected) must not be reused by the new pod.
fn claim_is_stale(ctx: &Ctx<'_>, set: &StatefulSet, pod_name: &str, i: i32) -> bool {
    if retention_policy(set).1 != DELETE {
        return false;
    }
    claim_templates(set).iter().any(|template| {
        stored_claim(ctx, &claim_key(set, template, i)).is_some_and(|claim| {
            claim
                .metadata
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.api_version == "v1" && r.kind == "Pod" && r.name == pod_name)
        })
    })
}

/// An ownerReference names `object` of this kind (`matchesRef`: apiVersion, kind and name;
/// the uid may differ).
fn names(r: &OwnerReference, api_version: &str, kind: &str, name: &Option<String>) -> bool {
    r.api_version == api_version && r.kind == kind && Some(&r.name) == name.as_ref()
}

fn names_set(r: &OwnerReference, set: &StatefulSet) -> bool {
    names(r, "apps/v1", "StatefulSet", &set.metadata.name)
}

fn names_pod(r: &OwnerReference, pod: &Pod) -> bool {
    names(r, "v1", "Pod", &pod.metadata.name)
}

/// `hasUnexpectedController`: under a `Delete` policy, a reference to an earlier set or pod of
/// the same name (another uid), or any other controller.
fn has_unexpected_controller(set: &StatefulSet, pod: &Pod, refs: &[OwnerReference]) -> bool {
    if retention_policy(set) == (RETAIN, RETAIN) {
        return false;
    }
    refs.iter().any(|r| {
        if names_set(r, set) {
            Some(&r.uid) != set.metadata.uid.as_ref()
        } else if names_pod(r, pod) {
            Some(&r.uid) != pod.metadata.uid.as_ref()
        } else {
            r.controller == Some(true)
        }
    })
}

/// Which of the set and the pod should control the claim: the set for `whenDeleted: Delete`
/// (unless the pod is scaled down under `whenScaled: Delete`), the pod once it is scaled down
/// under `whenScaled: Delete`.
fn wanted_owners(set: &StatefulSet, scaled_down: bool) -> (bool, bool) {
    let (when_deleted, when_scaled) = retention_policy(set);
    let want_pod = when_scaled == DELETE && scaled_down;
    let want_set = when_deleted == DELETE && !want_pod;
    (want_set, want_pod)
}

/// `isClaimOwnerUpToDate`: claims of an earlier set or pod of the same name are not touched; a
/// claim with another controller only loses our references; otherwise our references must be
/// controller references matching the policy.
fn claim_owners_up_to_date(
    set: &StatefulSet,
    pod: &Pod,
    refs: &[OwnerReference],
    scaled_down: bool,
) -> bool {
    let stale = |r: &OwnerReference| {
        (names_set(r, set) && Some(&r.uid) != set.metadata.uid.as_ref())
            || (names_pod(r, pod) && Some(&r.uid) != pod.metadata.uid.as_ref())
    };
    // `hasStaleOwnerRef` looks at the first matching reference only.
    let first_set = refs.iter().find(|r| names_set(r, set));
    let first_pod = refs.iter().find(|r| names_pod(r, pod));
    if first_set.is_some_and(stale) || first_pod.is_some_and(stale) {
        return true;
    }
    let owns = |uid: &Option<String>| refs.iter().any(|r| Some(&r.uid) == uid.as_ref());
    let (has_set, has_pod) = (owns(&set.metadata.uid), owns(&pod.metadata.uid));
    if has_unexpected_controller(set, pod, refs) {
        return !(has_set || has_pod);
    }
    let ours = |r: &OwnerReference| {
        Some(&r.uid) == set.metadata.uid.as_ref() || Some(&r.uid) == pod.metadata.uid.as_ref()
    };
    if refs.iter().any(|r| ours(r) && r.controller != Some(true)) {
        return false;
    }
    (has_set, has_pod) == wanted_owners(set, scaled_down)
}

/// `UpdatePodClaimForRetentionPolicy`: brings the ownerReferences of the pod's claims in line
/// with the retention policy; the garbage collector then deletes a claim with its controller
/// (the set, or a scaled-down pod). `always_check` (after creating the pod, for a pending
/// pod) reports a conflicting controller even when nothing changes, as the real controller
/// does on those paths.
fn sync_claim_owners(
    ctx: &mut Ctx<'_>,
    set: &StatefulSet,
    owner: &Object,
    pod: &Pod,
    scaled_down: bool,
    always_check: bool,
) {
    let Some(i) = ordinal(set.metadata.name.as_deref().unwrap_or(""), pod) else {
        return;
    };
    for template in claim_templates(set) {
        let key = claim_key(set, template, i);
        let Some(stored) = stored_claim(ctx, &key) else {
            continue;
        };
        let empty = Vec::new();
        let stored_refs = stored.metadata.owner_references.as_ref().unwrap_or(&empty);
        let up_to_date = claim_owners_up_to_date(set, pod, stored_refs, scaled_down);
        if up_to_date && !always_check {
            continue;
        }
        let mut claim = stored.clone();
        let refs = claim.metadata.owner_references.clone().unwrap_or_default();
        let unexpected = has_unexpected_controller(set, pod, &refs);
        if unexpected {
            ctx.event(
                ControllerId::StatefulSet,
                owner,
                EventType::Warning,
                "ConflictingController",
                &format!(
                    "PersistentVolumeClaim {} has a conflicting OwnerReference that acts as a \
                     manging controller, the retention policy is ignored for this claim",
                    key.name
                ),
            );
        }
        if up_to_date {
            continue;
        }
        // `updateClaimOwnerRefForSetAndPod`: scrub references to our set and pod, then add
        // the controller references the policy wants (none beside another controller).
        let mut wanted: Vec<OwnerReference> = refs
            .iter()
            .filter(|r| !names_set(r, set) && !names_pod(r, pod))
            .cloned()
            .collect();
        let (want_set, want_pod) = wanted_owners(set, scaled_down);
        let controller_ref = |api_version: &str, kind: &str, meta: &ObjectMeta| OwnerReference {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        };
        if !unexpected && want_set {
            wanted.push(controller_ref("apps/v1", "StatefulSet", &set.metadata));
        }
        if !unexpected && want_pod {
            wanted.push(controller_ref("v1", "Pod", &pod.metadata));
        }
        if wanted != refs {
            claim.metadata.owner_references = (!wanted.is_empty()).then_some(wanted);
            let _ = ctx
                .api
                .update(Object::PersistentVolumeClaim(Box::new(claim)));
        }
    }
}
