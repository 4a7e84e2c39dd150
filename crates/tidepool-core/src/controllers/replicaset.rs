//! ReplicaSet and ReplicationController: keep `spec.replicas` matching pods alive, adopting
//! orphans that match the selector and releasing owned pods that stop matching.

use super::{Action, ControllerId, Ctx, pod_from_template, pod_is_active, pod_is_ready};
use crate::api::{DeleteOptions, controller_ref};
use crate::events::EventType;
use crate::objects::{Kind, LookupMap, Object, ObjectKey};
use crate::selector::{self, Labels};
use crate::store::{Store, WatchEventType};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
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

#[derive(Debug, Clone, PartialEq)]
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

/// What a reconcile reads about one controlled pod.
#[derive(Debug, Clone)]
struct PodFacts {
    /// The pod as last seen, shared with the store (its labels are re-judged when the
    /// owner's selector changes; holding it costs no copy).
    object: Arc<Object>,
    active: bool,
    ready: bool,
    /// When the Ready condition last became True (ms), if it carries a time.
    ready_since: Option<u64>,
    /// Matches the owner's selector (as of the tally's basis).
    matches: bool,
    /// Carries every label of the owner's template (`fullyLabeledReplicas`).
    labeled: bool,
}

static NO_LABELS: Labels = Labels::new();

impl PodFacts {
    fn of(object: &Arc<Object>, pod: &Pod) -> Self {
        PodFacts {
            object: Arc::clone(object),
            active: pod_is_active(pod),
            ready: pod_is_ready(pod),
            ready_since: ready_since(pod),
            matches: false,
            labeled: false,
        }
    }

    fn labels(&self) -> &Labels {
        self.object
            .as_pod()
            .and_then(|p| p.metadata.labels.as_ref())
            .unwrap_or(&NO_LABELS)
    }
}

/// The owner's selector and template labels the flags of a [`Tally`] were computed against.
#[derive(Debug, Clone, PartialEq)]
struct Basis {
    selector: Selector,
    template_labels: Labels,
}

/// The pods one controller uid controls in one namespace, with running counts.
#[derive(Debug, Clone, Default)]
struct Tally {
    pods: BTreeMap<String, PodFacts>,
    basis: Option<Basis>,
    active: usize,
    active_ready: usize,
    /// Counted against `basis` (zero while there is none).
    active_labeled: usize,
    mismatched: usize,
}

impl Tally {
    fn count(&mut self, facts: &PodFacts, sign: isize) {
        let add = |n: &mut usize, yes: bool| {
            if yes {
                *n = n.saturating_add_signed(sign);
            }
        };
        add(&mut self.active, facts.active);
        add(&mut self.active_ready, facts.active && facts.ready);
        add(&mut self.active_labeled, facts.active && facts.labeled);
        add(&mut self.mismatched, !facts.matches);
    }

    fn judge(basis: Option<&Basis>, facts: &mut PodFacts) {
        match basis {
            Some(b) => {
                facts.matches = b.selector.matches(facts.labels());
                facts.labeled = selector::matches_map(&b.template_labels, facts.labels());
            }
            None => {
                facts.matches = true;
                facts.labeled = false;
            }
        }
    }

    fn insert(&mut self, name: &str, mut facts: PodFacts) {
        Tally::judge(self.basis.as_ref(), &mut facts);
        self.count(&facts, 1);
        let old = match self.pods.get_mut(name) {
            Some(slot) => Some(std::mem::replace(slot, facts)),
            None => {
                self.pods.insert(name.to_owned(), facts);
                None
            }
        };
        if let Some(old) = old {
            self.count(&old, -1);
        }
    }

    fn remove(&mut self, name: &str) {
        if let Some(old) = self.pods.remove(name) {
            self.count(&old, -1);
        }
    }

    /// Re-judges every pod when the owner's selector or template labels changed.
    fn set_basis(&mut self, basis: Basis) {
        self.basis = Some(basis);
        let mut pods = std::mem::take(&mut self.pods);
        (
            self.active,
            self.active_ready,
            self.active_labeled,
            self.mismatched,
        ) = (0, 0, 0, 0);
        for facts in pods.values_mut() {
            Tally::judge(self.basis.as_ref(), facts);
            self.count(facts, 1);
        }
        self.pods = pods;
    }
}

/// The pods each ReplicaSet/ReplicationController controls, with their counts, kept current
/// from the store's watch log. A reconcile then costs what changed since the last one instead
/// of a walk over every owned pod (10,000 pods starting write their statuses at hundreds of
/// distinct instants, each waking the owner). Not saved: it is rebuilt from the store.
#[derive(Debug, Clone, Default)]
pub struct OwnedPods {
    /// Store revision the index reflects (`None`: not built yet).
    seen: Option<u64>,
    /// Pod key -> the controller uid it is filed under.
    owner_of: LookupMap<ObjectKey, String>,
    /// Controller uid -> namespace -> its pods (looked up by `&str`, no key copies).
    tallies: LookupMap<String, BTreeMap<String, Tally>>,
}

impl OwnedPods {
    /// Applies the store's changes since the last call (or builds the index from the store
    /// when it is new or the watch history was compacted).
    fn catch_up(&mut self, store: &Store) {
        let revision = store.revision();
        if self.seen == Some(revision) {
            return;
        }
        match self.seen.and_then(|seen| store.events_since(seen).ok()) {
            Some(events) => {
                for event in events {
                    if event.object.kind() == Kind::Pod {
                        let deleted = event.event_type == WatchEventType::Deleted;
                        self.apply(&event.object, deleted);
                    }
                }
            }
            None => {
                self.owner_of.clear();
                self.tallies.clear();
                for pod in store.list_shared(Kind::Pod, None) {
                    self.apply(pod, false);
                }
            }
        }
        self.seen = Some(revision);
    }

    fn apply(&mut self, object: &Arc<Object>, deleted: bool) {
        let key = object.key();
        let pod = object.as_pod().filter(|_| !deleted);
        // The store files pods under the first reference marked as controller.
        let uid = pod
            .and_then(|p| {
                p.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .find(|r| r.controller == Some(true))
            })
            .map(|r| r.uid.as_str())
            .filter(|uid| !uid.is_empty());
        let filed_under = self.owner_of.get(&key).map(String::as_str);
        if filed_under.is_some()
            && filed_under != uid
            && let Some(old_uid) = self.owner_of.remove(&key)
        {
            self.forget(&old_uid, &key);
        }
        let (Some(pod), Some(uid)) = (pod, uid) else {
            return;
        };
        let namespaces = match self.tallies.get_mut(uid) {
            Some(namespaces) => namespaces,
            None => self.tallies.entry(uid.to_owned()).or_default(),
        };
        match namespaces.get_mut(&key.namespace) {
            Some(tally) => tally.insert(&key.name, PodFacts::of(object, pod)),
            None => {
                let mut tally = Tally::default();
                tally.insert(&key.name, PodFacts::of(object, pod));
                namespaces.insert(key.namespace.clone(), tally);
            }
        }
        // Filed under this uid already, or not filed (the key moves in only then).
        self.owner_of.entry(key).or_insert_with(|| uid.to_owned());
    }

    /// Drops a pod from the tally of the controller it was filed under.
    fn forget(&mut self, uid: &str, key: &ObjectKey) {
        let Some(namespaces) = self.tallies.get_mut(uid) else {
            return;
        };
        if let Some(tally) = namespaces.get_mut(&key.namespace) {
            tally.remove(&key.name);
            if tally.pods.is_empty() {
                namespaces.remove(&key.namespace);
            }
        }
        if namespaces.is_empty() {
            self.tallies.remove(uid);
        }
    }

    /// The store's pods controlled by `uid` in `namespace`, judged against `basis` (`None`
    /// when there are none).
    fn tally(
        &mut self,
        store: &Store,
        uid: &str,
        namespace: &str,
        basis: &Basis,
    ) -> Option<&Tally> {
        self.catch_up(store);
        let tally = self.tallies.get_mut(uid)?.get_mut(namespace)?;
        if tally.basis.as_ref() != Some(basis) {
            tally.set_basis(basis.clone());
        }
        Some(tally)
    }
}

/// Reconciles one ReplicaSet or ReplicationController. `owned` is the simulation's index of
/// controlled pods; the reconcile reads it as it would read the store.
pub fn reconcile(
    ctx: &mut Ctx<'_>,
    id: ControllerId,
    key: &ObjectKey,
    owned: &mut OwnedPods,
) -> Reconciled {
    let Some(owner) = ctx.api.store().get(key).and_then(owner) else {
        return Reconciled::Done(Action::AwaitChange);
    };
    let uid = owner.object.uid().to_owned();
    let deleting = owner.object.meta().deletion_timestamp.is_some();
    let namespace = key.namespace.clone();
    let basis = Basis {
        selector: owner.selector.clone(),
        template_labels: template_labels(&owner),
    };
    let store = ctx.api.store();
    let no_labels = Labels::new();
    let mut to_release: Vec<Pod> = Vec::new();
    // Owned pods that stay owned, listed only when some must be released (or deleted, below);
    // otherwise the index's count of active pods is all the reconcile needs.
    let mut views: Option<Vec<PodView>> = None;
    let tally = owned.tally(store, &uid, &namespace, &basis);
    let mut active_count = tally.map_or(0, |t| t.active);
    if !deleting && tally.is_some_and(|t| t.mismatched > 0) {
        let mut listed = Vec::new();
        for pod in store
            .controlled_by(&uid, Kind::Pod, &namespace)
            .filter_map(Object::as_pod)
        {
            let pod_labels = pod.metadata.labels.as_ref().unwrap_or(&no_labels);
            if !owner.selector.matches(pod_labels) {
                to_release.push(pod.clone());
                continue;
            }
            listed.push(view(pod));
        }
        views = Some(listed);
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
            match views.as_mut() {
                Some(views) => views.push(view(&adopted)),
                None => active_count += usize::from(pod_is_active(&adopted)),
            }
        }
    }
    if let Some(views) = &views {
        active_count = views.iter().filter(|v| v.active).count();
    }
    let mut failure: Option<String> = None;
    if !deleting {
        let diff = active_count as i64 - i64::from(owner.replicas);
        if diff < 0 {
            failure = create_pods(ctx, id, &owner, (-diff) as usize);
        } else if diff > 0 {
            // Every owned pod now matches (none was released), adopted ones included. The
            // victims are fully sorted below, so the listing order does not matter.
            let store = ctx.api.store();
            let active: Vec<PodView> = match views {
                Some(views) => views.into_iter().filter(|v| v.active).collect(),
                None => store
                    .controlled_by(&uid, Kind::Pod, &namespace)
                    .filter_map(Object::as_pod)
                    .map(view)
                    .filter(|v| v.active)
                    .collect(),
            };
            let mut victims: Vec<(_, String)> = active
                .iter()
                .filter_map(|v| {
                    let pod = store.get(&ObjectKey::new(Kind::Pod, &namespace, &v.name))?;
                    Some((deletion_rank(pod.as_pod()?), v.name.clone()))
                })
                .collect();
            crate::stable_sort::sort(&mut victims);
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
    let next_ready = update_status(ctx, key, &owner, &basis, owned, failure.as_deref());
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
            match ctx.api.create_shared(Object::Pod(Box::new(pod))) {
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

/// The labels of the owner's pod template.
fn template_labels(owner: &Owner) -> Labels {
    owner
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

/// Writes status from the pods now owned (the index, caught up with this reconcile's own
/// writes). Returns when a ready pod will become available.
fn update_status(
    ctx: &mut Ctx<'_>,
    key: &ObjectKey,
    owner: &Owner,
    basis: &Basis,
    owned: &mut OwnedPods,
    failure: Option<&str>,
) -> Option<Duration> {
    let uid = owner.object.uid();
    let now = ctx.api.now();
    let (mut replicas, mut labeled, mut ready, mut available) = (0, 0, 0, 0);
    let mut next: Option<Duration> = None;
    let needed = u64::try_from(owner.min_ready_seconds.max(0)).unwrap_or(0) * 1000;
    if let Some(tally) = owned.tally(ctx.api.store(), uid, &key.namespace, basis) {
        replicas = tally.active;
        labeled = tally.active_labeled;
        ready = tally.active_ready;
        if needed == 0 {
            available = ready;
        } else {
            for facts in tally.pods.values().filter(|f| f.active && f.ready) {
                let since = facts
                    .ready_since
                    .map_or(0, |t| now.as_millis().saturating_sub(t));
                if since >= needed {
                    available += 1;
                } else {
                    let wait = Duration::from_millis(needed - since);
                    next = Some(next.map_or(wait, |n: Duration| n.min(wait)));
                }
            }
        }
    }
    let (replicas, labeled, ready, available) = (
        i32::try_from(replicas).unwrap_or(i32::MAX),
        i32::try_from(labeled).unwrap_or(i32::MAX),
        i32::try_from(ready).unwrap_or(i32::MAX),
        i32::try_from(available).unwrap_or(i32::MAX),
    );
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
        let _ = ctx.api.update_status_shared(updated);
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

#[cfg(test)]
mod tests {
    use super::{pod_is_active, pod_is_ready, ready_since};
    use crate::{Kind, Object, PatchType, Simulation, SimulationConfig, selector};
    use serde_json::json;
    use std::time::Duration;

    /// `(replicas, fullyLabeledReplicas, readyReplicas, availableReplicas)` as written.
    fn written(sim: &Simulation, name: &str) -> (i32, i32, i32, i32) {
        let rs = sim
            .api()
            .store()
            .list(Kind::ReplicaSet, Some("default"))
            .filter_map(Object::as_replica_set)
            .find(|rs| rs.metadata.name.as_deref() == Some(name))
            .and_then(|rs| rs.status.clone())
            .unwrap_or_default();
        (
            rs.replicas,
            rs.fully_labeled_replicas.unwrap_or(0),
            rs.ready_replicas.unwrap_or(0),
            rs.available_replicas.unwrap_or(0),
        )
    }

    /// The same counts from a walk over the store's pods (what the index replaced).
    fn walked(sim: &Simulation, name: &str, min_ready_ms: u64) -> (i32, i32, i32, i32) {
        let store = sim.api().store();
        let Some(rs) = store
            .list(Kind::ReplicaSet, Some("default"))
            .find(|o| o.name() == name)
        else {
            return (0, 0, 0, 0);
        };
        let template: selector::Labels = rs
            .as_replica_set()
            .and_then(|r| {
                r.spec
                    .as_ref()?
                    .template
                    .as_ref()?
                    .metadata
                    .as_ref()?
                    .labels
                    .clone()
            })
            .unwrap_or_default();
        let now = sim.now().as_millis();
        let mut counts = (0, 0, 0, 0);
        for pod in store
            .controlled_by(rs.uid(), Kind::Pod, "default")
            .filter_map(Object::as_pod)
            .filter(|p| pod_is_active(p))
        {
            counts.0 += 1;
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            counts.1 += i32::from(selector::matches_map(&template, &labels));
            if pod_is_ready(pod) {
                counts.2 += 1;
                let since = ready_since(pod).map_or(0, |t| now.saturating_sub(t));
                counts.3 += i32::from(since >= min_ready_ms);
            }
        }
        counts
    }

    fn pod_names(sim: &Simulation) -> Vec<String> {
        sim.api()
            .store()
            .list(Kind::Pod, Some("default"))
            .map(|o| o.name().to_owned())
            .collect()
    }

    fn patch(sim: &mut Simulation, kind: Kind, name: &str, patch: serde_json::Value) {
        let result = sim
            .api_mut()
            .patch(kind, "default", name, PatchType::Merge, &patch);
        assert!(result.is_ok(), "patch {name}: {result:?}");
    }

    /// The owned-pod index must give the counts a walk over the store gives, through releases,
    /// adoptions, relabelling, scaling down and template changes.
    #[test]
    fn owned_pod_index_counts_what_a_walk_over_the_store_counts() {
        let mut sim = Simulation::new(&SimulationConfig { seed: 7 });
        let yaml = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web}\nspec:\n  \
             replicas: 4\n  minReadySeconds: 5\n  selector: {matchLabels: {app: web}}\n  \
             template:\n    metadata: {labels: {app: web, tier: front}}\n    spec:\n      \
             containers: [{name: c, image: nginx}]\n";
        let rs = crate::decode_manifests(yaml).ok().and_then(|mut v| v.pop());
        assert!(rs.is_some_and(|rs| sim.api_mut().create(rs).is_ok()));
        let check = |sim: &mut Simulation, step: &str| {
            sim.advance(Duration::from_secs(2));
            assert_eq!(
                written(sim, "web"),
                walked(sim, "web", 5_000),
                "{step} (2 s)"
            );
            sim.advance(Duration::from_secs(30));
            assert_eq!(
                written(sim, "web"),
                walked(sim, "web", 5_000),
                "{step} (32 s)"
            );
        };
        check(&mut sim, "start");
        assert_eq!(written(&sim, "web"), (4, 4, 4, 4));

        let pods = pod_names(&sim);
        // Released: no longer matches the selector; a replacement is created.
        patch(
            &mut sim,
            Kind::Pod,
            &pods[0],
            json!({"metadata": {"labels": {"app": "other"}}}),
        );
        // Still owned, no longer fully labelled.
        patch(
            &mut sim,
            Kind::Pod,
            &pods[1],
            json!({"metadata": {"labels": {"tier": null}}}),
        );
        check(&mut sim, "relabel");
        assert_eq!(written(&sim, "web").0, 4);
        assert_eq!(written(&sim, "web").1, 3);

        // An orphan that matches is adopted, which leaves one pod too many.
        let orphan = "apiVersion: v1\nkind: Pod\nmetadata: {name: stray, labels: {app: web}}\n\
             spec:\n  containers: [{name: c, image: nginx}]\n";
        let orphan = crate::decode_manifests(orphan)
            .ok()
            .and_then(|mut v| v.pop());
        assert!(orphan.is_some_and(|o| sim.api_mut().create(o).is_ok()));
        check(&mut sim, "adopt");
        assert_eq!(written(&sim, "web").0, 4);

        patch(
            &mut sim,
            Kind::ReplicaSet,
            "web",
            json!({"spec": {"replicas": 2}}),
        );
        check(&mut sim, "scale down");
        assert_eq!(written(&sim, "web").0, 2);

        // New template labels change fullyLabeledReplicas without touching a pod.
        patch(
            &mut sim,
            Kind::ReplicaSet,
            "web",
            json!({"spec": {"replicas": 3, "template": {"metadata": {"labels": {"tier": "back"}}}}}),
        );
        check(&mut sim, "template labels");
        assert_eq!(written(&sim, "web").0, 3);
    }
}
