//! kube-controller-manager's volume controllers: the PersistentVolume binder
//! (`persistentvolume-controller`: binding claims to volumes, phases, reclaiming) and the
//! `pvc-protection` / `pv-protection` finalizer controllers. No provisioner runs (a kubeadm
//! cluster has none), so claims of a provisioned class wait as they would there.

use super::{Action, ControllerId, Ctx};
use crate::api::timestamp;
use crate::events::EventType;
use crate::objects::{Kind, Object, ObjectKey};
use crate::storage::{self, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE};
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use std::time::Duration;

/// `--pvclaimbinder-sync-period`: how often the binder re-syncs claims and volumes.
pub const SYNC_PERIOD: Duration = Duration::from_secs(15);

const ANN_STORAGE_PROVISIONER: &str = "volume.kubernetes.io/storage-provisioner";
const ANN_BETA_STORAGE_PROVISIONER: &str = "volume.beta.kubernetes.io/storage-provisioner";

/// The binder, for a claim or a volume key.
pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    match key.kind {
        Kind::PersistentVolumeClaim => sync_claim(ctx, key),
        Kind::PersistentVolume => sync_volume(ctx, key),
        _ => Action::AwaitChange,
    }
}

fn claim_event(
    ctx: &mut Ctx<'_>,
    key: &ObjectKey,
    event_type: EventType,
    reason: &str,
    message: &str,
) {
    if let Some(object) = ctx.api.store().get(key).cloned() {
        ctx.event(
            ControllerId::PersistentVolumeBinder,
            &object,
            event_type,
            reason,
            message,
        );
    }
}

fn sync_claim(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(pvc) = ctx
        .api
        .store()
        .get(key)
        .and_then(Object::as_persistent_volume_claim)
        .cloned()
    else {
        return Action::AwaitChange;
    };
    let volume_name = pvc
        .spec
        .as_ref()
        .and_then(|s| s.volume_name.clone())
        .unwrap_or_default();
    if volume_name.is_empty() {
        sync_unbound_claim(ctx, key, pvc)
    } else {
        sync_bound_claim(ctx, key, pvc, &volume_name)
    }
}

fn selected_node(pvc: &PersistentVolumeClaim) -> Option<&str> {
    pvc.metadata
        .annotations
        .as_ref()?
        .get(ANN_SELECTED_NODE)
        .map(String::as_str)
}

fn sync_unbound_claim(ctx: &mut Ctx<'_>, key: &ObjectKey, pvc: PersistentVolumeClaim) -> Action {
    if pvc.metadata.deletion_timestamp.is_some() {
        return Action::AwaitChange;
    }
    let store = ctx.api.store();
    let delayed = storage::delays_binding(store, &pvc);
    let node = selected_node(&pvc)
        .and_then(|n| store.get(&ObjectKey::new(Kind::Node, "", n)))
        .and_then(Object::as_node);
    let found = if delayed && node.is_none() {
        // Only a volume pre-bound to this claim binds before a pod picks a node.
        storage::find_matching_volume(store, &pvc, None)
            .filter(|pv| storage::claim_ref_is(pv, &pvc))
            .cloned()
    } else {
        storage::find_matching_volume(store, &pvc, node).cloned()
    };
    if let Some(pv) = found {
        bind(ctx, &pvc, &pv);
        return Action::AwaitChange;
    }
    let class = storage::claim_class(&pvc).unwrap_or("").to_owned();
    if delayed && node.is_none() {
        let ns = key.namespace.as_str();
        let claim = key.name.as_str();
        let waiting: Vec<String> = ctx
            .api
            .store()
            .list(Kind::Pod, Some(ns))
            .filter_map(Object::as_pod)
            .filter(|p| p.spec.as_ref().is_some_and(|s| s.node_name.is_none()))
            .filter(|p| storage::pod_claims(p).any(|c| c == claim))
            .map(|p| format!("{ns}/{}", p.metadata.name.as_deref().unwrap_or("")))
            .collect();
        let (reason, message) = match waiting.as_slice() {
            [] => (
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding".to_owned(),
            ),
            [one] => (
                "WaitForPodScheduled",
                format!("waiting for pod {one} to be scheduled"),
            ),
            many => (
                "WaitForPodScheduled",
                format!("waiting for pods {} to be scheduled", many.join(",")),
            ),
        };
        claim_event(ctx, key, EventType::Normal, reason, &message);
    } else if class.is_empty() {
        claim_event(
            ctx,
            key,
            EventType::Normal,
            "FailedBinding",
            "no persistent volumes available for this claim and no storage class is set",
        );
    } else {
        provision(ctx, key, &pvc, &class);
    }
    Action::RequeueAfter(SYNC_PERIOD)
}

/// `provisionClaim` with no provisioner running: an in-tree name no plugin serves fails, an
/// external one is waited for (after the claim is annotated with it, as the binder does).
fn provision(ctx: &mut Ctx<'_>, key: &ObjectKey, pvc: &PersistentVolumeClaim, class_name: &str) {
    let Some(class) = storage::storage_class(ctx.api.store(), class_name).cloned() else {
        let message = format!("storageclass.storage.k8s.io \"{class_name}\" not found");
        claim_event(ctx, key, EventType::Warning, "ProvisioningFailed", &message);
        return;
    };
    let provisioner = class.provisioner;
    if provisioner.starts_with("kubernetes.io/") {
        let message = format!("no volume plugin matched name: {provisioner}");
        claim_event(ctx, key, EventType::Warning, "ProvisioningFailed", &message);
        return;
    }
    let annotated = pvc
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANN_STORAGE_PROVISIONER))
        == Some(&provisioner);
    if !annotated {
        let mut updated = pvc.clone();
        let annotations = updated
            .metadata
            .annotations
            .get_or_insert_with(Default::default);
        annotations.insert(ANN_BETA_STORAGE_PROVISIONER.to_owned(), provisioner.clone());
        annotations.insert(ANN_STORAGE_PROVISIONER.to_owned(), provisioner.clone());
        let _ = ctx
            .api
            .update(Object::PersistentVolumeClaim(Box::new(updated)));
    }
    let message = format!(
        "Waiting for a volume to be created either by the external provisioner '{provisioner}' \
         or manually by the system administrator. If volume creation is delayed, please verify \
         that the provisioner is running and correctly registered."
    );
    claim_event(
        ctx,
        key,
        EventType::Normal,
        "ExternalProvisioning",
        &message,
    );
}

fn sync_bound_claim(
    ctx: &mut Ctx<'_>,
    key: &ObjectKey,
    pvc: PersistentVolumeClaim,
    volume_name: &str,
) -> Action {
    let pv = ctx
        .api
        .store()
        .get(&ObjectKey::new(Kind::PersistentVolume, "", volume_name))
        .and_then(Object::as_persistent_volume)
        .cloned();
    let Some(pv) = pv else {
        if storage::phase_of_claim(&pvc) == "Bound" {
            set_claim_phase(ctx, &pvc, "Lost");
            claim_event(
                ctx,
                key,
                EventType::Warning,
                "ClaimLost",
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
            );
            return Action::AwaitChange;
        }
        // Pre-bound to a volume that does not exist (yet).
        claim_event(
            ctx,
            key,
            EventType::Normal,
            "FailedBinding",
            &format!("volume \"{volume_name}\" not found"),
        );
        return Action::RequeueAfter(SYNC_PERIOD);
    };
    let claim_ref = pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref());
    match claim_ref {
        None => {
            // The user pre-bound the claim to this volume: the binder completes it.
            bind(ctx, &pvc, &pv);
            Action::AwaitChange
        }
        Some(_) if storage::claim_ref_is(&pv, &pvc) => {
            bind(ctx, &pvc, &pv);
            Action::AwaitChange
        }
        Some(_) => {
            if storage::phase_of_claim(&pvc) == "Bound" {
                set_claim_phase(ctx, &pvc, "Lost");
            }
            claim_event(
                ctx,
                key,
                EventType::Warning,
                "FailedBinding",
                &format!("volume \"{volume_name}\" already bound to a different claim."),
            );
            Action::RequeueAfter(SYNC_PERIOD)
        }
    }
}

fn set_claim_phase(ctx: &mut Ctx<'_>, pvc: &PersistentVolumeClaim, phase: &str) {
    if storage::phase_of_claim(pvc) == phase {
        return;
    }
    let mut updated = pvc.clone();
    updated.status.get_or_insert_with(Default::default).phase = Some(phase.to_owned());
    let _ = ctx
        .api
        .update_status(Object::PersistentVolumeClaim(Box::new(updated)));
}

fn set_volume_phase(ctx: &mut Ctx<'_>, pv: &PersistentVolume, phase: &str, message: Option<&str>) {
    let status = pv.status.clone().unwrap_or_default();
    if status.phase.as_deref() == Some(phase) && status.message.as_deref() == message {
        return;
    }
    let mut updated = pv.clone();
    let now = timestamp(ctx.api.now());
    let status = updated.status.get_or_insert_with(Default::default);
    if status.phase.as_deref() != Some(phase) {
        status.last_phase_transition_time = Some(now);
    }
    status.phase = Some(phase.to_owned());
    status.message = message.map(str::to_owned);
    let _ = ctx
        .api
        .update_status(Object::PersistentVolume(Box::new(updated)));
}

/// `bind`: the volume's claimRef, the volume Bound, the claim's volumeName, the claim Bound
/// with the volume's access modes and capacity. Each step is skipped when already done.
fn bind(ctx: &mut Ctx<'_>, pvc: &PersistentVolumeClaim, pv: &PersistentVolume) {
    let pv_name = pv.metadata.name.clone().unwrap_or_default();
    // 1. The volume points at the claim (with its uid).
    let mut volume = pv.clone();
    let ref_done = storage::claim_ref_is(pv, pvc)
        && pv
            .spec
            .as_ref()
            .and_then(|s| s.claim_ref.as_ref())
            .and_then(|r| r.uid.as_ref())
            .is_some();
    if !ref_done {
        storage::point_volume_at_claim(&mut volume, pvc);
        match ctx.api.update(Object::PersistentVolume(Box::new(volume))) {
            Ok(Object::PersistentVolume(updated)) => volume = *updated,
            _ => return,
        }
    }
    set_volume_phase(ctx, &volume, "Bound", None);
    // 2. The claim points at the volume.
    let mut claim = pvc.clone();
    let named = claim.spec.as_ref().and_then(|s| s.volume_name.as_deref()) == Some(&pv_name);
    let completed = claim
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(ANN_BIND_COMPLETED));
    if !named || !completed {
        let annotations = claim
            .metadata
            .annotations
            .get_or_insert_with(Default::default);
        annotations.insert(ANN_BIND_COMPLETED.to_owned(), "yes".to_owned());
        if !named {
            annotations.insert(ANN_BOUND_BY_CONTROLLER.to_owned(), "yes".to_owned());
        }
        claim.spec.get_or_insert_with(Default::default).volume_name = Some(pv_name);
        match ctx
            .api
            .update(Object::PersistentVolumeClaim(Box::new(claim)))
        {
            Ok(Object::PersistentVolumeClaim(updated)) => claim = *updated,
            _ => return,
        }
    }
    let pv_spec = volume.spec.unwrap_or_default();
    let status = claim.status.clone().unwrap_or_default();
    let want_modes = pv_spec.access_modes;
    let want_capacity = pv_spec.capacity;
    if status.phase.as_deref() != Some("Bound")
        || status.access_modes != want_modes
        || status.capacity != want_capacity
    {
        let status = claim.status.get_or_insert_with(Default::default);
        status.phase = Some("Bound".to_owned());
        status.access_modes = want_modes;
        status.capacity = want_capacity;
        let _ = ctx
            .api
            .update_status(Object::PersistentVolumeClaim(Box::new(claim)));
    }
}

fn sync_volume(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(pv) = ctx
        .api
        .store()
        .get(key)
        .and_then(Object::as_persistent_volume)
        .cloned()
    else {
        return Action::AwaitChange;
    };
    let Some(claim_ref) = pv.spec.as_ref().and_then(|s| s.claim_ref.clone()) else {
        set_volume_phase(ctx, &pv, "Available", None);
        return Action::AwaitChange;
    };
    let Some(uid) = claim_ref.uid.clone().filter(|u| !u.is_empty()) else {
        // Pre-bound by the administrator, waiting for its claim.
        set_volume_phase(ctx, &pv, "Available", None);
        return Action::AwaitChange;
    };
    let claim_key = ObjectKey::new(
        Kind::PersistentVolumeClaim,
        claim_ref.namespace.as_deref().unwrap_or(""),
        claim_ref.name.as_deref().unwrap_or(""),
    );
    let claim = ctx
        .api
        .store()
        .get(&claim_key)
        .and_then(Object::as_persistent_volume_claim)
        .filter(|c| c.metadata.uid.as_deref() == Some(uid.as_str()))
        .cloned();
    if let Some(claim) = claim {
        let name = pv.metadata.name.as_deref();
        if claim.spec.as_ref().and_then(|s| s.volume_name.as_deref()) == name {
            set_volume_phase(ctx, &pv, "Bound", None);
        }
        return Action::AwaitChange;
    }
    // The claim is gone: the volume is released and reclaimed by its policy.
    match storage::phase_of_volume(&pv) {
        "Released" | "Failed" => return Action::AwaitChange,
        _ => {}
    }
    set_volume_phase(ctx, &pv, "Released", None);
    let policy = pv
        .spec
        .as_ref()
        .and_then(|s| s.persistent_volume_reclaim_policy.as_deref())
        .unwrap_or("Retain");
    if policy != "Delete" {
        return Action::AwaitChange;
    }
    let pv_name = pv.metadata.name.clone().unwrap_or_default();
    let host_path = pv
        .spec
        .as_ref()
        .and_then(|s| s.host_path.as_ref())
        .map(|h| h.path.clone());
    let error = match host_path {
        Some(path) if path.len() > "/tmp/".len() && path.starts_with("/tmp/") => None,
        Some(path) => Some(format!(
            "host_path deleter only supports /tmp/.+ but received provided {path}"
        )),
        None => Some(format!(
            "error getting deleter volume plugin for volume \"{pv_name}\": no deletable volume \
             plugin matched"
        )),
    };
    let Some(current) = ctx
        .api
        .store()
        .get(key)
        .and_then(Object::as_persistent_volume)
        .cloned()
    else {
        return Action::AwaitChange;
    };
    match error {
        None => {
            let _ = ctx.api.delete(
                Kind::PersistentVolume,
                "",
                &pv_name,
                &crate::api::DeleteOptions::default(),
            );
        }
        Some(message) => {
            set_volume_phase(ctx, &current, "Failed", Some(&message));
            if let Some(object) = ctx.api.store().get(key).cloned() {
                ctx.event(
                    ControllerId::PersistentVolumeBinder,
                    &object,
                    EventType::Warning,
                    "VolumeFailedDelete",
                    &message,
                );
            }
        }
    }
    Action::AwaitChange
}

fn remove_finalizer(ctx: &mut Ctx<'_>, object: &Object, finalizer: &str) {
    let mut updated = object.clone();
    let meta = updated.meta_mut();
    if let Some(list) = meta.finalizers.as_mut() {
        list.retain(|f| f != finalizer);
    }
    let _ = ctx.api.update(updated);
}

/// `pvc-protection`: a claim being deleted keeps its finalizer while a scheduled pod refers
/// to it (as the real controller, whatever the pod's phase).
pub fn reconcile_claim_protection(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(object) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    let meta = object.meta();
    let protected = meta
        .finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|x| x == storage::PVC_PROTECTION));
    if meta.deletion_timestamp.is_none() || !protected {
        return Action::AwaitChange;
    }
    let in_use = ctx
        .api
        .store()
        .list(Kind::Pod, Some(&key.namespace))
        .filter_map(Object::as_pod)
        .filter(|p| p.spec.as_ref().is_some_and(|s| s.node_name.is_some()))
        .any(|p| storage::pod_claims(p).any(|c| c == key.name));
    if !in_use {
        remove_finalizer(ctx, &object, storage::PVC_PROTECTION);
    }
    Action::AwaitChange
}

/// `pv-protection`: a volume being deleted keeps its finalizer while it is Bound.
pub fn reconcile_volume_protection(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(object) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    let Some(pv) = object.as_persistent_volume() else {
        return Action::AwaitChange;
    };
    let protected = pv
        .metadata
        .finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|x| x == storage::PV_PROTECTION));
    if pv.metadata.deletion_timestamp.is_none() || !protected {
        return Action::AwaitChange;
    }
    if storage::phase_of_volume(pv) != "Bound" {
        remove_finalizer(ctx, &object, storage::PV_PROTECTION);
    }
    Action::AwaitChange
}
