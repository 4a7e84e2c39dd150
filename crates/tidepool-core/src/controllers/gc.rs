//! Garbage collector: dependents whose owners are all gone are deleted (background cascade);
//! owners held by `foregroundDeletion` wait for their dependents; `orphan` strips the owner
//! from dependents first.

use super::{Action, Ctx};
use crate::api::DeleteOptions;
use crate::objects::{Kind, Object, ObjectKey};
use std::collections::BTreeSet;
use std::time::Duration;

/// Kinds that carry ownerReferences in this simulation.
pub const DEPENDENT_KINDS: [Kind; 7] = [
    Kind::Pod,
    Kind::PersistentVolumeClaim,
    Kind::ReplicaSet,
    Kind::ControllerRevision,
    Kind::Job,
    Kind::Endpoints,
    Kind::Event,
];

fn dependents_of(ctx: &Ctx<'_>, namespace: &str, uid: &str) -> Vec<Object> {
    DEPENDENT_KINDS
        .iter()
        .flat_map(|&k| ctx.api.store().list(k, Some(namespace)))
        .filter(|o| {
            o.meta()
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.uid == uid)
        })
        .cloned()
        .collect()
}

/// Objects that exist, by uid, in a namespace (and cluster-scoped ones, for node owners).
fn live_uids(ctx: &Ctx<'_>, namespace: &str) -> BTreeSet<String> {
    Kind::ALL
        .iter()
        .flat_map(|&k| {
            let ns = if k.namespaced() {
                Some(namespace)
            } else {
                None
            };
            ctx.api.store().list(k, ns)
        })
        .map(|o| o.uid().to_owned())
        .collect()
}

/// Handles the owner at `key`: finalizer-driven cascades while it exists, orphan cleanup
/// once it is gone.
pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey, uid: &str) -> Action {
    let owner = ctx.api.store().get(key).cloned();
    match owner {
        Some(owner) if owner.uid() == uid => {
            if owner.meta().deletion_timestamp.is_none() {
                return Action::AwaitChange;
            }
            let finalizers = owner.meta().finalizers.clone().unwrap_or_default();
            let dependents = dependents_of(ctx, &key.namespace, uid);
            if finalizers.iter().any(|f| f == "orphan") {
                for d in &dependents {
                    let refs: Vec<_> = d
                        .meta()
                        .owner_references
                        .iter()
                        .flatten()
                        .filter(|r| r.uid != uid)
                        .cloned()
                        .collect();
                    let mut d = d.clone();
                    d.meta_mut().owner_references = (!refs.is_empty()).then_some(refs);
                    d.meta_mut().resource_version = None;
                    ctx.api.put_raw(d);
                }
                return remove_finalizer(ctx, owner, "orphan");
            }
            if finalizers.iter().any(|f| f == "foregroundDeletion") {
                let blocking: Vec<&Object> = dependents.iter().collect();
                if blocking.is_empty() {
                    return remove_finalizer(ctx, owner, "foregroundDeletion");
                }
                for d in blocking {
                    if d.meta().deletion_timestamp.is_none() {
                        let opts = DeleteOptions {
                            propagation: crate::api::Propagation::Foreground,
                            grace_period_seconds: None,
                        };
                        let _ = ctx.api.delete(d.kind(), d.namespace(), d.name(), &opts);
                    }
                }
                return Action::RequeueAfter(Duration::from_millis(500));
            }
            Action::AwaitChange
        }
        _ => {
            // Owner gone: delete dependents that no longer have any live owner.
            let dependents = dependents_of(ctx, &key.namespace, uid);
            if dependents.is_empty() {
                return Action::AwaitChange;
            }
            let live = live_uids(ctx, &key.namespace);
            for d in dependents {
                let has_live_owner = d
                    .meta()
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|r| r.uid != uid && live.contains(&r.uid));
                if !has_live_owner && d.meta().deletion_timestamp.is_none() {
                    let _ = ctx.api.delete(
                        d.kind(),
                        d.namespace(),
                        d.name(),
                        &DeleteOptions::default(),
                    );
                }
            }
            Action::AwaitChange
        }
    }
}

fn remove_finalizer(ctx: &mut Ctx<'_>, owner: Object, finalizer: &str) -> Action {
    let mut owner = owner;
    let remaining: Vec<String> = owner
        .meta()
        .finalizers
        .iter()
        .flatten()
        .filter(|f| *f != finalizer)
        .cloned()
        .collect();
    owner.meta_mut().finalizers = (!remaining.is_empty()).then_some(remaining);
    owner.meta_mut().resource_version = None;
    // A bound pod still terminates gracefully: the kubelet removes it once its containers stop.
    let bound_pod = owner
        .as_pod()
        .and_then(|p| p.spec.as_ref())
        .is_some_and(|s| s.node_name.is_some());
    if owner.meta().finalizers.is_none() && !bound_pod {
        ctx.api.remove_now(&owner.key());
    } else {
        ctx.api.put_raw(owner);
    }
    Action::AwaitChange
}
