//! The disruption controller (`pkg/controller/disruption`): keeps each PodDisruptionBudget's
//! status (expected, desired and current healthy pods, disruptions allowed, the pods evicted
//! but not yet gone) from the pods it selects and their controllers' scale.

use super::{Action, ControllerId, Ctx, pod_is_ready};
use crate::api::{controller_of, timestamp, virtual_time};
use crate::clock::VirtualTime;
use crate::disruption::{scaled_value, selects};
use crate::events::EventType;
use crate::objects::{Kind, Object, ObjectKey};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long an evicted pod may take to go before the budget counts it again
/// (`DeletionTimeout`).
pub const DELETION_TIMEOUT: Duration = Duration::from_secs(2 * 60);

/// `apimeta.SetStatusCondition` of the `DisruptionAllowed` condition: the transition time
/// moves only when the status flips.
fn set_condition(status: &mut PodDisruptionBudgetStatus, condition: Condition) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    match conditions.iter_mut().find(|c| c.type_ == condition.type_) {
        Some(existing) => {
            if existing.status != condition.status {
                existing.last_transition_time = condition.last_transition_time;
            }
            existing.status = condition.status;
            existing.reason = condition.reason;
            existing.message = condition.message;
            existing.observed_generation = condition.observed_generation;
        }
        None => conditions.push(condition),
    }
}

/// `pdbhelper.UpdateDisruptionAllowedCondition` (also used by the eviction subresource).
pub fn set_allowed_condition(
    status: &mut PodDisruptionBudgetStatus,
    allowed: bool,
    now: VirtualTime,
) {
    let (state, reason) = if allowed {
        ("True", "SufficientPods")
    } else {
        ("False", "InsufficientPods")
    };
    let observed = status.observed_generation;
    set_condition(
        status,
        Condition {
            type_: "DisruptionAllowed".to_owned(),
            status: state.to_owned(),
            reason: reason.to_owned(),
            message: String::new(),
            observed_generation: observed,
            last_transition_time: timestamp(now),
        },
    );
}

/// The scale of the controller of a pod: `(controller uid, replicas)`, `None` for an unmanaged
/// pod, or the finder's error text (`getExpectedScale`'s finders, in their order).
fn controller_scale(ctx: &Ctx<'_>, pod: &Pod) -> Option<Result<(String, i32), String>> {
    let owner = controller_of(&pod.metadata)?;
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let store = ctx.api.store();
    let get = |kind: Kind, name: &str| store.get(&ObjectKey::new(kind, ns, name));
    let found = match owner.kind.as_str() {
        "ReplicationController" => get(Kind::ReplicationController, &owner.name)
            .and_then(Object::as_replication_controller)
            .map(|rc| rc.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)),
        "ReplicaSet" => {
            let rs = get(Kind::ReplicaSet, &owner.name).and_then(Object::as_replica_set);
            // A Deployment's ReplicaSet counts as its Deployment (`getPodDeployment`).
            let deployment = rs
                .and_then(|rs| controller_of(&rs.metadata))
                .filter(|o| o.kind == "Deployment")
                .and_then(|o| get(Kind::Deployment, &o.name))
                .and_then(Object::as_deployment);
            if let Some(d) = deployment {
                let uid = d.metadata.uid.clone().unwrap_or_default();
                let replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
                return Some(Ok((uid, replicas)));
            }
            rs.map(|rs| rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1))
        }
        "StatefulSet" => get(Kind::StatefulSet, &owner.name)
            .and_then(Object::as_stateful_set)
            .map(|s| s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)),
        "Deployment" => get(Kind::Deployment, &owner.name)
            .and_then(Object::as_deployment)
            .map(|d| d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)),
        // `getScaleController`: kinds without a /scale subresource.
        "DaemonSet" => {
            return Some(Err(
                "daemonsets.apps does not implement the scale subresource".to_owned(),
            ));
        }
        "Job" => {
            return Some(Err(
                "jobs.batch does not implement the scale subresource".to_owned()
            ));
        }
        _ => None,
    };
    Some(match found {
        Some(replicas) => Ok((owner.uid.clone(), replicas)),
        None => Err(format!(
            "found no controllers for pod {}",
            crate::errors::go_quote(pod.metadata.name.as_deref().unwrap_or(""))
        )),
    })
}

/// `getExpectedScale`: the sum of the selected pods' controllers' scales, and the unmanaged pods.
fn expected_scale(ctx: &Ctx<'_>, pods: &[&Pod]) -> Result<(i32, Vec<String>), String> {
    let mut scales: BTreeMap<String, i32> = BTreeMap::new();
    let mut unmanaged = Vec::new();
    for pod in pods {
        match controller_scale(ctx, pod) {
            None => unmanaged.push(pod.metadata.name.clone().unwrap_or_default()),
            Some(Ok((uid, replicas))) => {
                scales.insert(uid, replicas);
            }
            Some(Err(e)) => return Err(e),
        }
    }
    Ok((scales.values().sum(), unmanaged))
}

/// gogo-protobuf's `String()` of a label selector, as `%v` prints it in events.
fn selector_text(selector: Option<&LabelSelector>) -> String {
    let Some(sel) = selector else {
        return "nil".to_owned();
    };
    let labels: String = sel
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}: {v},"))
        .collect();
    let exprs: String = sel
        .match_expressions
        .iter()
        .flatten()
        .map(|e| {
            let values: String = e.values.iter().flatten().map(|v| format!("{v},")).collect();
            format!(
                "LabelSelectorRequirement{{Key:{},Operator:{},Values:[]string{{{values}}},}},",
                e.key, e.operator
            )
        })
        .collect();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},\
         MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}"
    )
}

/// Reconciles one budget's status.
pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(object) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    let Some(pdb) = object.as_pod_disruption_budget().cloned() else {
        return Action::AwaitChange;
    };
    let now = ctx.api.now();
    let all_pods: Vec<Object> = ctx.api.list(Kind::Pod, Some(&key.namespace));
    let pods: Vec<&Pod> = all_pods
        .iter()
        .filter_map(Object::as_pod)
        .filter(|p| selects(&pdb, &p.metadata.labels.clone().unwrap_or_default()))
        .collect();
    if pods.is_empty() {
        ctx.event(
            ControllerId::Disruption,
            &object,
            EventType::Normal,
            "NoPods",
            "No matching pods found",
        );
    }
    let spec = pdb.spec.clone().unwrap_or_default();
    let counted = match (&spec.max_unavailable, &spec.min_available) {
        (Some(max), _) => expected_scale(ctx, &pods).map(|(expected, unmanaged)| {
            let max = scaled_value(max, expected, true).unwrap_or(0);
            (expected, (expected - max).max(0), unmanaged)
        }),
        (None, Some(IntOrString::Int(min))) => Ok((pods.len() as i32, *min, Vec::new())),
        (None, Some(min)) => expected_scale(ctx, &pods).map(|(expected, unmanaged)| {
            (
                expected,
                scaled_value(min, expected, true).unwrap_or(0),
                unmanaged,
            )
        }),
        (None, None) => Ok((0, 0, Vec::new())),
    };
    let mut status = pdb.status.clone().unwrap_or_default();
    let (expected, desired) = match counted {
        Err(why) => {
            ctx.event(
                ControllerId::Disruption,
                &object,
                EventType::Warning,
                "CalculateExpectedPodCountFailed",
                &format!("Failed to calculate the number of expected pods: {why}"),
            );
            // failSafe: no disruption allowed while the count is unknown.
            status.disruptions_allowed = 0;
            let observed = status.observed_generation;
            set_condition(
                &mut status,
                Condition {
                    type_: "DisruptionAllowed".to_owned(),
                    status: "False".to_owned(),
                    reason: "SyncFailed".to_owned(),
                    message: why,
                    observed_generation: observed,
                    last_transition_time: timestamp(now),
                },
            );
            write_status(ctx, &pdb, status);
            return Action::AwaitChange;
        }
        Ok((expected, desired, unmanaged)) => {
            if !unmanaged.is_empty() {
                ctx.event(
                    ControllerId::Disruption,
                    &object,
                    EventType::Warning,
                    "UnmanagedPods",
                    &format!(
                        "Pods selected by this PodDisruptionBudget (selector: {}) were found to \
                         be unmanaged. As a result, the status of the PDB cannot be calculated \
                         correctly, which may result in undefined behavior. To account for these \
                         pods please set \".spec.minAvailable\" field of the PDB to an integer \
                         value.",
                        selector_text(spec.selector.as_ref())
                    ),
                );
            }
            (expected, desired)
        }
    };
    // buildDisruptedPodMap: evicted pods still here within the deletion timeout.
    let mut disrupted = BTreeMap::new();
    let mut recheck: Option<VirtualTime> = None;
    let old_disrupted = status.disrupted_pods.clone().unwrap_or_default();
    for pod in &pods {
        if pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let name = pod.metadata.name.clone().unwrap_or_default();
        let Some(at) = old_disrupted.get(&name) else {
            continue;
        };
        let expected_deletion = virtual_time(at).saturating_add(DELETION_TIMEOUT);
        if expected_deletion > now {
            recheck = Some(recheck.map_or(expected_deletion, |r| r.min(expected_deletion)));
            disrupted.insert(name, at.clone());
        }
    }
    let healthy = pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| !disrupted.contains_key(p.metadata.name.as_deref().unwrap_or("")))
        .filter(|p| pod_is_ready(p))
        .count() as i32;
    let mut allowed = healthy - desired;
    if expected <= 0 || allowed <= 0 {
        allowed = 0;
    }
    status.current_healthy = healthy;
    status.desired_healthy = desired;
    status.expected_pods = expected;
    status.disruptions_allowed = allowed;
    status.disrupted_pods = (!disrupted.is_empty()).then_some(disrupted);
    status.observed_generation = pdb.metadata.generation;
    set_allowed_condition(&mut status, allowed > 0, now);
    write_status(ctx, &pdb, status);
    match recheck {
        Some(at) => Action::RequeueAfter(at.saturating_since(now)),
        None => Action::AwaitChange,
    }
}

fn write_status(ctx: &mut Ctx<'_>, pdb: &PodDisruptionBudget, status: PodDisruptionBudgetStatus) {
    if pdb.status.as_ref() == Some(&status) {
        return;
    }
    let mut updated = pdb.clone();
    updated.status = Some(status);
    let _ = ctx
        .api
        .update_status_shared(Object::PodDisruptionBudget(Box::new(updated)));
}
