//! StatefulSet: pods with stable ordinal names (`web-0`, `web-1`, ...). OrderedReady creates
//! them one at a time, each after the previous is Running and Ready, and removes them from the
//! highest ordinal down; Parallel does both at once. RollingUpdate replaces pods from the highest
//! ordinal down to `partition`, one at a time. Revisions are ControllerRevision objects.
//! (volumeClaimTemplates are accepted but no PersistentVolumeClaims are simulated.)

use super::{Action, ControllerId, Ctx, pod_from_template, pod_is_active, pod_is_ready, revision};
use crate::api::DeleteOptions;
use crate::events::EventType;
use crate::naming;
use crate::objects::{Kind, Object, ObjectKey};
use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::Pod;
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

pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(Object::StatefulSet(set)) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    if set.metadata.deletion_timestamp.is_some() {
        return Action::AwaitChange;
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
                create_pod(ctx, &set, &owner, i, &revision);
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
        ready_replicas: Some(ready),
        available_replicas: Some(ready),
        current_replicas: Some(current),
        updated_replicas: Some(updated),
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
    Action::AwaitChange
}

fn create_pod(ctx: &mut Ctx<'_>, set: &StatefulSet, owner: &Object, i: i32, revision: &str) {
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
    }
    let message = match ctx.api.create(Object::Pod(Box::new(pod))) {
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
