//! Namespace lifecycle: a Terminating namespace has its content deleted, then its `kubernetes`
//! finalizer removed, then it goes away. Also the per-namespace `default` ServiceAccount and
//! `kube-root-ca.crt` ConfigMap, and ResourceQuota status.

use super::{Action, Ctx};
use crate::admission;
use crate::api::DeleteOptions;
use crate::objects::{Kind, Object, ObjectKey};
use k8s_openapi::api::core::v1::{ConfigMap, ServiceAccount};
use std::time::Duration;

/// Deletes a Terminating namespace's content; removes the namespace once empty.
pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(ns) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    if ns.meta().deletion_timestamp.is_none() {
        return Action::AwaitChange;
    }
    let name = ns.name().to_owned();
    let mut remaining = 0;
    let force = DeleteOptions {
        grace_period_seconds: None,
        ..DeleteOptions::default()
    };
    for &kind in Kind::ALL.iter().filter(|k| k.namespaced()) {
        let objects: Vec<Object> = ctx.api.list(kind, Some(&name));
        for object in objects {
            remaining += 1;
            if object.meta().deletion_timestamp.is_none() {
                let _ = ctx.api.delete(kind, &name, object.name(), &force);
            }
        }
    }
    if remaining > 0 {
        return Action::RequeueAfter(Duration::from_secs(1));
    }
    ctx.api.remove_now(key);
    Action::AwaitChange
}

/// Every Active namespace gets a `default` ServiceAccount and the root CA ConfigMap.
pub fn reconcile_service_account(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(ns) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    if ns.meta().deletion_timestamp.is_some() {
        return Action::AwaitChange;
    }
    let name = ns.name().to_owned();
    if ctx
        .api
        .get_ref(Kind::ServiceAccount, &name, "default")
        .is_err()
    {
        let mut sa = ServiceAccount::default();
        sa.metadata.name = Some("default".to_owned());
        sa.metadata.namespace = Some(name.clone());
        let _ = ctx.api.create(Object::ServiceAccount(Box::new(sa)));
    }
    if ctx
        .api
        .get_ref(Kind::ConfigMap, &name, "kube-root-ca.crt")
        .is_err()
    {
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some("kube-root-ca.crt".to_owned());
        cm.metadata.namespace = Some(name);
        cm.data = Some(
            [(
                "ca.crt".to_owned(),
                "-----BEGIN CERTIFICATE-----\n(simulated cluster CA)\n-----END CERTIFICATE-----\n"
                    .to_owned(),
            )]
            .into(),
        );
        let _ = ctx.api.create(Object::ConfigMap(Box::new(cm)));
    }
    Action::AwaitChange
}

/// Recomputes `status.hard`/`status.used` of one ResourceQuota.
pub fn reconcile_quota(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(Object::ResourceQuota(quota)) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    let mut updated = quota.clone();
    admission::refresh_quota_status(ctx.api.store(), &mut updated);
    if updated.status != quota.status {
        let _ = ctx.api.update_status_shared(Object::ResourceQuota(updated));
    }
    Action::AwaitChange
}
