//! DaemonSet: one pod per eligible node (node selector, required node affinity and taints
//! decide eligibility, as the real controller asks the scheduler's predicates). Pods are pinned
//! with a `matchFields metadata.name` affinity and placed by the scheduler. Template changes
//! replace pods node by node (RollingUpdate with maxUnavailable 1).

use super::{Action, ControllerId, Ctx, pod_from_template, pod_is_active, pod_is_ready};
use crate::api::DeleteOptions;
use crate::events::EventType;
use crate::naming;
use crate::objects::{Kind, Object, ObjectKey};
use crate::scheduler::plugins;
use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    Toleration,
};
use serde_json::json;

const HASH_LABEL: &str = "controller-revision-hash";

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
    let mut template = spec.template;
    let pod_spec = template.spec.get_or_insert_with(Default::default);
    let tolerations = pod_spec.tolerations.get_or_insert_with(Vec::new);
    for t in daemon_tolerations() {
        if !tolerations.contains(&t) {
            tolerations.push(t);
        }
    }
    template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default)
        .insert(HASH_LABEL.to_owned(), hash.clone());
    let nodes: Vec<_> = ctx
        .api
        .store()
        .list(Kind::Node, None)
        .filter_map(Object::as_node)
        .cloned()
        .collect();
    let pods: Vec<Pod> = ctx
        .api
        .store()
        .controlled_by(&uid, Kind::Pod, &key.namespace)
        .filter_map(Object::as_pod)
        .cloned()
        .collect();
    let (mut desired, mut current, mut ready, mut updated, mut available) = (0, 0, 0, 0, 0);
    let mut replaced_one = false;
    let mut by_node: std::collections::BTreeMap<String, Vec<&Pod>> = Default::default();
    for pod in &pods {
        if let Some(target) = pod_node_target(pod) {
            by_node.entry(target).or_default().push(pod);
        }
    }
    let probe = Pod {
        spec: template.spec.clone(),
        ..Pod::default()
    };
    for node in &nodes {
        let node_name = node.metadata.name.clone().unwrap_or_default();
        let eligible = plugins::node_selector_fits(&probe, node)
            && plugins::untolerated_taint(&probe, node).is_none();
        let on_node: Vec<&Pod> = by_node.get(&node_name).cloned().unwrap_or_default();
        let active: Vec<&&Pod> = on_node.iter().filter(|p| pod_is_active(p)).collect();
        if !eligible {
            for p in active {
                delete_pod(ctx, &owner, p);
            }
            continue;
        }
        desired += 1;
        if active.is_empty() {
            if on_node.is_empty() {
                create_pod(ctx, &owner, &template, &node_name);
            }
            continue;
        }
        current += 1;
        let pod = active[0];
        let is_updated =
            pod.metadata.labels.as_ref().and_then(|l| l.get(HASH_LABEL)) == Some(&hash);
        if is_updated {
            updated += 1;
        }
        if pod_is_ready(pod) {
            ready += 1;
            available += 1;
        }
        if !is_updated && !replaced_one && pod_is_ready(pod) {
            replaced_one = true;
            delete_pod(ctx, &owner, pod);
        }
    }
    let status = json!({
        "currentNumberScheduled": current,
        "desiredNumberScheduled": desired,
        "numberMisscheduled": 0,
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
    Action::AwaitChange
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
