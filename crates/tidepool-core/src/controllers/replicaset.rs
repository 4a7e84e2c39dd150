//! ReplicaSet and ReplicationController: keep `spec.replicas` matching pods alive, adopting
//! orphans that match the selector and releasing owned pods that stop matching.

use super::{Action, ControllerId, Ctx, pod_from_template, pod_is_active, pod_is_ready};
use crate::api::{DeleteOptions, controller_ref};
use crate::events::EventType;
use crate::objects::{Kind, Object, ObjectKey};
use crate::selector::{self, Labels};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::json;
use std::time::Duration;

/// What the status of a ReplicaSet or ReplicationController says, as a comparable tuple. A macro
/// because the two kinds have identically shaped but distinct k8s-openapi status types.
macro_rules! status_summary {
    ($status:expr) => {{
        let status = $status;
        let failed = status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "ReplicaFailure");
        (
            status.replicas,
            status.fully_labeled_replicas.unwrap_or(0),
            status.ready_replicas.unwrap_or(0),
            status.available_replicas.unwrap_or(0),
            status.observed_generation,
            failed.and_then(|c| c.message.clone()),
        )
    }};
}

/// The most pods one reconcile creates or deletes (`burstReplicas`).
const BURST_REPLICAS: usize = 500;

/// What a reconcile did, so the manager can back off after errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconciled {
    Done(Action),
    /// A create/delete failed; retry with the per-item exponential backoff.
    Failed,
}

enum Selector {
    Set(LabelSelector),
    Map(Labels),
}

impl Selector {
    fn matches(&self, labels: &Labels) -> bool {
        match self {
            Selector::Set(s) => selector::matches(s, labels),
            Selector::Map(m) => !m.is_empty() && selector::matches_map(m, labels),
        }
    }
}

struct Owner {
    object: Object,
    replicas: i32,
    min_ready_seconds: i32,
    selector: Selector,
    template: Option<PodTemplateSpec>,
}

fn owner(object: &Object) -> Option<Owner> {
    match object {
        Object::ReplicaSet(rs) => {
            let spec = rs.spec.as_ref()?;
            Some(Owner {
                object: object.clone(),
                replicas: spec.replicas.unwrap_or(1),
                min_ready_seconds: spec.min_ready_seconds.unwrap_or(0),
                selector: Selector::Set(spec.selector.clone()),
                template: spec.template.clone(),
            })
        }
        Object::ReplicationController(rc) => {
            let spec = rc.spec.as_ref()?;
            Some(Owner {
                object: object.clone(),
                replicas: spec.replicas.unwrap_or(1),
                min_ready_seconds: spec.min_ready_seconds.unwrap_or(0),
                selector: Selector::Map(spec.selector.clone().unwrap_or_default()),
                template: spec.template.clone(),
            })
        }
        _ => None,
    }
}

/// Deletion preference: unscheduled, then pending, then not ready, then the newest.
fn deletion_rank(pod: &Pod) -> (u8, u8, u8, std::cmp::Reverse<String>) {
    let assigned = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_ref())
        .is_some();
    let phase = match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Pending") => 0,
        Some("Unknown") => 1,
        _ => 2,
    };
    let created = pod
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.to_rfc3339())
        .unwrap_or_default();
    (
        u8::from(assigned),
        phase,
        u8::from(pod_is_ready(pod)),
        std::cmp::Reverse(created + pod.metadata.name.as_deref().unwrap_or("")),
    )
}

/// What a reconcile needs to know about one owned pod (read without cloning it).
struct PodView {
    name: String,
    active: bool,
}

/// Reconciles one ReplicaSet or ReplicationController.
pub fn reconcile(ctx: &mut Ctx<'_>, id: ControllerId, key: &ObjectKey) -> Reconciled {
    let Some(owner) = ctx.api.store().get(key).and_then(owner) else {
        return Reconciled::Done(Action::AwaitChange);
    };
    let uid = owner.object.uid().to_owned();
    let deleting = owner.object.meta().deletion_timestamp.is_some();
    let namespace = key.namespace.clone();
    let store = ctx.api.store();
    // Borrowed, not cloned: this loop visits every owned pod on every reconcile.
    let no_labels = Labels::new();
    let mut to_release: Vec<Pod> = Vec::new();
    let mut views: Vec<PodView> = Vec::new();
    for pod in store
        .controlled_by(&uid, Kind::Pod, &namespace)
        .filter_map(Object::as_pod)
    {
        let pod_labels = pod.metadata.labels.as_ref().unwrap_or(&no_labels);
        if !deleting && !owner.selector.matches(pod_labels) {
            to_release.push(pod.clone());
            continue;
        }
        views.push(view(pod));
    }
    let to_adopt: Vec<Pod> = if deleting {
        Vec::new()
    } else {
        store
            .controlled_by("", Kind::Pod, &namespace)
            .filter_map(Object::as_pod)
            .filter(|p| pod_is_active(p))
            .filter(|p| {
                owner
                    .selector
                    .matches(p.metadata.labels.as_ref().unwrap_or(&no_labels))
            })
            .cloned()
            .collect()
    };
    for pod in &to_release {
        release(ctx, pod, &uid);
    }
    for pod in &to_adopt {
        if let Some(adopted) = adopt(ctx, pod, &owner.object) {
            views.push(view(&adopted));
        }
    }
    let mut failure: Option<String> = None;
    if !deleting {
        let active: Vec<&PodView> = views.iter().filter(|v| v.active).collect();
        let diff = active.len() as i64 - i64::from(owner.replicas);
        if diff < 0 {
            failure = create_pods(ctx, id, &owner, (-diff) as usize);
        } else if diff > 0 {
            let store = ctx.api.store();
            let mut victims: Vec<(_, String)> = active
                .iter()
                .filter_map(|v| {
                    let pod = store.get(&ObjectKey::new(Kind::Pod, &namespace, &v.name))?;
                    Some((deletion_rank(pod.as_pod()?), v.name.clone()))
                })
                .collect();
            victims.sort();
            let names: Vec<String> = victims
                .into_iter()
                .take((diff as usize).min(BURST_REPLICAS))
                .map(|(_, name)| name)
                .collect();
            for name in names {
                match ctx
                    .api
                    .delete(Kind::Pod, &namespace, &name, &DeleteOptions::default())
                {
                    Ok(_) => ctx.event(
                        id,
                        &owner.object,
                        EventType::Normal,
                        "SuccessfulDelete",
                        &format!("Deleted pod: {name}"),
                    ),
                    Err(e) => {
                        ctx.event(
                            id,
                            &owner.object,
                            EventType::Warning,
                            "FailedDelete",
                            &format!("Error deleting: {}", e.message),
                        );
                        failure = Some(e.message);
                    }
                }
            }
        }
    }
    let next_ready = update_status(ctx, key, &owner, failure.as_deref());
    match (failure, next_ready) {
        (Some(_), _) => Reconciled::Failed,
        (None, Some(wait)) => Reconciled::Done(Action::RequeueAfter(wait)),
        (None, None) => Reconciled::Done(Action::AwaitChange),
    }
}

fn view(pod: &Pod) -> PodView {
    PodView {
        name: pod.metadata.name.clone().unwrap_or_default(),
        active: pod_is_active(pod),
    }
}

/// The pod carries every label of the owner's template (`fullyLabeledReplicas`).
fn is_labeled(pod: &Pod, template_labels: &Labels) -> bool {
    match pod.metadata.labels.as_ref() {
        Some(labels) => selector::matches_map(template_labels, labels),
        None => template_labels.is_empty(),
    }
}

/// Creates `count` pods in slow-start batches (1, 2, 4, ...), stopping after a failing batch.
/// Returns the first error message, if any.
fn create_pods(ctx: &mut Ctx<'_>, id: ControllerId, owner: &Owner, count: usize) -> Option<String> {
    let template = owner.template.clone().unwrap_or_default();
    let mut remaining = count.min(BURST_REPLICAS);
    let mut batch = 1;
    while remaining > 0 {
        let size = batch.min(remaining);
        let mut error = None;
        for _ in 0..size {
            let pod = pod_from_template(&owner.object, &template);
            match ctx.api.create(Object::Pod(pod)) {
                Ok(created) => ctx.event(
                    id,
                    &owner.object,
                    EventType::Normal,
                    "SuccessfulCreate",
                    &format!("Created pod: {}", created.name()),
                ),
                Err(e) => {
                    ctx.event(
                        id,
                        &owner.object,
                        EventType::Warning,
                        "FailedCreate",
                        &format!("Error creating: {}", e.message),
                    );
                    error.get_or_insert(e.message);
                }
            }
        }
        if error.is_some() {
            return error;
        }
        remaining -= size;
        batch *= 2;
    }
    None
}

fn adopt(ctx: &mut Ctx<'_>, pod: &Pod, owner: &Object) -> Option<Pod> {
    let mut refs = pod.metadata.owner_references.clone().unwrap_or_default();
    refs.push(controller_ref(owner));
    let patch = json!({ "metadata": { "ownerReferences": refs } });
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let ns = pod.metadata.namespace.as_deref().unwrap_or("");
    ctx.api
        .patch(Kind::Pod, ns, name, crate::api::PatchType::Merge, &patch)
        .ok()
        .and_then(|o| o.as_pod().cloned())
}

fn release(ctx: &mut Ctx<'_>, pod: &Pod, owner_uid: &str) {
    let refs: Vec<_> = pod
        .metadata
        .owner_references
        .iter()
        .flatten()
        .filter(|r| r.uid != owner_uid)
        .cloned()
        .collect();
    let patch = json!({ "metadata": { "ownerReferences": if refs.is_empty() { serde_json::Value::Null } else { json!(refs) } } });
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let ns = pod.metadata.namespace.as_deref().unwrap_or("");
    let _ = ctx
        .api
        .patch(Kind::Pod, ns, name, crate::api::PatchType::Merge, &patch);
}

/// Writes status from the pods now owned. Returns when a ready pod will become available.
fn update_status(
    ctx: &mut Ctx<'_>,
    key: &ObjectKey,
    owner: &Owner,
    failure: Option<&str>,
) -> Option<Duration> {
    let uid = owner.object.uid();
    let now = ctx.api.now();
    let template_labels = owner
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let (mut replicas, mut labeled, mut ready, mut available) = (0, 0, 0, 0);
    let mut next: Option<Duration> = None;
    let needed = u64::try_from(owner.min_ready_seconds.max(0)).unwrap_or(0) * 1000;
    for pod in ctx
        .api
        .store()
        .controlled_by(uid, Kind::Pod, &key.namespace)
        .filter_map(Object::as_pod)
        .filter(|p| pod_is_active(p))
    {
        // No `view` here: it would clone every pod's name for nothing.
        replicas += 1;
        if is_labeled(pod, &template_labels) {
            labeled += 1;
        }
        if pod_is_ready(pod) {
            ready += 1;
            let since = ready_since(pod).map_or(0, |t| now.as_millis().saturating_sub(t));
            if since >= needed {
                available += 1;
            } else {
                let wait = Duration::from_millis(needed - since);
                next = Some(next.map_or(wait, |n: Duration| n.min(wait)));
            }
        }
    }
    let generation = owner.object.meta().generation;
    // Cheap typed comparison first: most reconciles change nothing.
    let current = match &owner.object {
        Object::ReplicaSet(rs) => rs.status.as_ref().map(|s| status_summary!(s)),
        Object::ReplicationController(rc) => rc.status.as_ref().map(|s| status_summary!(s)),
        _ => None,
    };
    let wanted = (
        replicas,
        labeled,
        ready,
        available,
        generation,
        failure.map(str::to_owned),
    );
    if current.as_ref() == Some(&wanted) {
        return next;
    }
    let condition = failure.map(|message| {
        json!([{ "type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                 "message": message,
                 "lastTransitionTime": crate::api::timestamp(now) }])
    });
    let status = json!({
        "replicas": replicas,
        "fullyLabeledReplicas": labeled,
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": generation,
        "conditions": condition,
    });
    let mut doc = owner.object.to_json();
    let mut new_status = doc.get("status").cloned().unwrap_or(json!({}));
    crate::api::merge_patch(&mut new_status, &status);
    doc["status"] = new_status;
    if let Ok(updated) = Object::from_json(owner.object.kind(), doc) {
        let _ = ctx.api.update_status(updated);
    }
    next
}

fn ready_since(pod: &Pod) -> Option<u64> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready" && c.status == "True")?
        .last_transition_time
        .as_ref()
        .map(|t| crate::api::virtual_time(t).as_millis())
}
