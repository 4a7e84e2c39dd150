//! PriorityClass admission and the eviction subresource against PodDisruptionBudgets.

use std::time::Duration;
use tidepool_core::api::DeleteOptions;
use tidepool_core::{Kind, Object, Simulation, SimulationConfig, StatusReason, decode_manifests};

fn one(yaml: &str) -> Object {
    match decode_manifests(yaml) {
        Ok(mut objects) if objects.len() == 1 => objects.remove(0),
        other => panic!("bad fixture: {other:?}"),
    }
}

fn sim() -> Simulation {
    Simulation::new(&SimulationConfig { seed: 8 })
}

fn pod(name: &str, class: Option<&str>) -> Object {
    let class = class.map_or(String::new(), |c| format!("  priorityClassName: {c}\n"));
    one(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n{class}  \
         containers: [{{name: app, image: nginx}}]\n"
    ))
}

fn priority(o: &Object) -> (Option<i32>, Option<String>, Option<String>) {
    let spec = o.as_pod().and_then(|p| p.spec.clone()).unwrap_or_default();
    (
        spec.priority,
        spec.priority_class_name,
        spec.preemption_policy,
    )
}

#[test]
fn system_classes_exist_and_pods_get_their_priority() {
    let mut sim = sim();
    let names: Vec<String> = sim
        .api()
        .list(Kind::PriorityClass, None)
        .iter()
        .map(|o| o.name().to_owned())
        .collect();
    assert_eq!(names, ["system-cluster-critical", "system-node-critical"]);
    let coredns = sim
        .api()
        .list(Kind::Pod, Some("kube-system"))
        .into_iter()
        .find(|p| p.name().starts_with("coredns-"))
        .unwrap_or_else(|| panic!("no coredns pod"));
    assert_eq!(priority(&coredns).0, Some(2_000_000_000));

    let api = sim.api_mut();
    let plain = api
        .create(pod("plain", None))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        priority(&plain),
        (Some(0), None, Some("PreemptLowerPriority".to_owned()))
    );
    let missing = api.create(pod("ghost", Some("nope"))).err();
    assert_eq!(
        missing.map(|e| (e.reason, e.message)),
        Some((
            StatusReason::Forbidden,
            "pods \"ghost\" is forbidden: no PriorityClass with name nope was found".to_owned()
        ))
    );
    api.create(one(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: low}\n\
         value: -3\nglobalDefault: true\npreemptionPolicy: Never\n",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let defaulted = api
        .create(pod("later", None))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        priority(&defaulted),
        (Some(-3), Some("low".to_owned()), Some("Never".to_owned()))
    );
    let refused = api.delete(
        Kind::PriorityClass,
        "",
        "system-node-critical",
        &DeleteOptions::default(),
    );
    assert_eq!(refused.err().map(|e| e.code()), Some(403));
}

#[test]
fn evictions_respect_the_budget_and_charge_it() {
    let mut sim = sim();
    sim.api_mut()
        .create(one(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  \
             replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    \
             metadata: {labels: {app: web}}\n    spec:\n      \
             containers: [{name: web, image: nginx}]\n",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    sim.api_mut()
        .create(one(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  \
             maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    sim.advance(Duration::from_secs(20));
    let status = |sim: &Simulation| {
        let pdb = sim
            .api()
            .get(Kind::PodDisruptionBudget, "default", "web")
            .unwrap_or_else(|e| panic!("{e}"));
        let s = pdb
            .as_pod_disruption_budget()
            .and_then(|p| p.status.clone())
            .unwrap_or_default();
        (
            s.expected_pods,
            s.desired_healthy,
            s.current_healthy,
            s.disruptions_allowed,
        )
    };
    assert_eq!(status(&sim), (2, 1, 2, 1));
    let pods: Vec<String> = sim
        .api()
        .list(Kind::Pod, Some("default"))
        .iter()
        .map(|p| p.name().to_owned())
        .collect();
    assert_eq!(pods.len(), 2);
    let options = DeleteOptions::default();
    sim.api_mut()
        .evict("default", &pods[0], &options)
        .unwrap_or_else(|e| panic!("{e}"));
    let evicted = sim
        .api()
        .get(Kind::Pod, "default", &pods[0])
        .unwrap_or_else(|e| panic!("{e}"));
    let reason = evicted
        .as_pod()
        .and_then(|p| p.status.as_ref()?.conditions.clone())
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "DisruptionTarget")
        .and_then(|c| c.reason);
    assert_eq!(reason.as_deref(), Some("EvictionByEvictionAPI"));
    let refused = sim.api_mut().evict("default", &pods[1], &options).err();
    assert_eq!(
        refused.map(|e| (e.reason, e.code(), e.message)),
        Some((
            StatusReason::TooManyRequests,
            429,
            "Cannot evict pod as it would violate the pod's disruption budget.".to_owned()
        ))
    );
    // The replacement becomes ready; the budget allows one disruption again.
    sim.advance(Duration::from_secs(60));
    assert_eq!(status(&sim), (2, 1, 2, 1));
    sim.api_mut()
        .evict("default", &pods[1], &options)
        .unwrap_or_else(|e| panic!("{e}"));
}

fn cpu_pod(name: &str, class: Option<&str>, cpu: &str) -> Object {
    let class = class.map_or(String::new(), |c| format!("  priorityClassName: {c}\n"));
    one(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n{class}  \
         containers: [{{name: app, image: nginx, resources: {{requests: {{cpu: {cpu}}}}}}}]\n"
    ))
}

#[test]
fn a_higher_priority_pod_preempts_just_enough_lower_ones() {
    let mut sim = sim();
    sim.api_mut()
        .create(one(
            "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\n\
             value: 1000\n",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    for name in ["low-a", "low-b", "low-c", "low-d"] {
        sim.api_mut()
            .create(cpu_pod(name, None, "700m"))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    sim.advance(Duration::from_secs(20));
    let node_of = |sim: &Simulation, name: &str| {
        sim.api()
            .get(Kind::Pod, "default", name)
            .ok()
            .and_then(|p| p.as_pod()?.spec.as_ref()?.node_name.clone())
    };
    sim.api_mut()
        .create(cpu_pod("boss", Some("high"), "1500m"))
        .unwrap_or_else(|e| panic!("{e}"));
    sim.advance(Duration::ZERO);
    let boss = sim
        .api()
        .get(Kind::Pod, "default", "boss")
        .unwrap_or_else(|e| panic!("{e}"));
    let nominated = boss
        .as_pod()
        .and_then(|p| p.status.as_ref()?.nominated_node_name.clone())
        .unwrap_or_else(|| panic!("boss was not nominated"));
    // Both 700m pods on the nominated node go (1500m needs both); the others stay.
    let kept: Vec<String> = sim
        .api()
        .list(Kind::Pod, Some("default"))
        .iter()
        .filter(|p| p.name().starts_with("low-") && p.meta().deletion_timestamp.is_none())
        .map(|p| p.name().to_owned())
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    for name in &kept {
        assert_ne!(node_of(&sim, name).as_deref(), Some(nominated.as_str()));
    }
    sim.advance(Duration::from_secs(60));
    assert_eq!(node_of(&sim, "boss"), Some(nominated));
}
