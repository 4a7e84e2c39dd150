//! API-layer behaviour: errors, defaulting, concurrency, watch, apply, limits.

use expect_test::expect;
use serde_json::json;
use tidepool_core::api::ObjectLimits;
use tidepool_core::{
    ApiServer, ApplyOutcome, Kind, Object, PatchType, SimRng, Simulation, SimulationConfig,
    StatusReason, decode_manifests,
};

fn one(yaml: &str) -> Object {
    match decode_manifests(yaml) {
        Ok(mut objects) if objects.len() == 1 => objects.remove(0),
        other => panic!("bad fixture: {other:?}"),
    }
}

fn sim() -> Simulation {
    Simulation::new(&SimulationConfig { seed: 3 })
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  \
    selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    \
    spec:\n      containers: [{name: web, image: nginx}]\n";

#[test]
fn deployments_are_defaulted_like_the_apiserver() {
    let mut sim = sim();
    let created = sim.api_mut().create(one(DEPLOYMENT)).map(|o| o.to_json());
    let spec = created.map(|j| j["spec"].clone()).unwrap_or_default();
    expect![[r#"{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"web"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx","imagePullPolicy":"Always","name":"web","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}"#]]
    .assert_eq(&spec.to_string());
}

#[test]
fn stale_resource_versions_conflict_and_selectors_are_immutable() {
    let mut sim = sim();
    let api = sim.api_mut();
    let created = api
        .create(one(DEPLOYMENT))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stale = created;
    api.scale(Kind::Deployment, "default", "web", 3)
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(s) = stale.as_deployment_mut().and_then(|d| d.spec.as_mut()) {
        s.replicas = Some(5);
    }
    let err = api.update(stale).err().map(|e| (e.reason, e.message));
    assert_eq!(
        err,
        Some((
            StatusReason::Conflict,
            "Operation cannot be fulfilled on deployments.apps \"web\": the object has been \
             modified; please apply your changes to the latest version and try again"
                .to_owned()
        ))
    );
    let patch = json!({"spec": {"selector": {"matchLabels": {"app": "other"}},
                                 "template": {"metadata": {"labels": {"app": "other"}}}}});
    let err = api
        .patch(Kind::Deployment, "default", "web", PatchType::Merge, &patch)
        .err()
        .map(|e| e.message);
    expect![[r#"Some("Deployment.apps \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"other\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable")"#]]
    .assert_eq(&format!("{err:?}"));
    let generation = api
        .get(Kind::Deployment, "default", "web")
        .map(|o| o.meta().generation);
    assert_eq!(generation, Ok(Some(2)));
}

#[test]
fn generate_name_uses_the_kubernetes_suffix_alphabet() {
    let mut sim = sim();
    let pod = one(
        "apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\nspec:\n  containers: [{name: c, image: nginx}]\n",
    );
    let name = sim
        .api_mut()
        .create(pod)
        .map(|o| o.name().to_owned())
        .unwrap_or_default();
    assert!(name.starts_with("web-") && name.len() == 9, "{name}");
    assert!(
        name[4..]
            .chars()
            .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c))
    );
    let nameless = one("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
    let err = sim.api_mut().create(nameless).err().map(|e| e.message);
    assert_eq!(
        err.as_deref(),
        Some(
            "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required"
        )
    );
}

#[test]
fn apply_reports_created_configured_unchanged() {
    let mut sim = sim();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1', b: '2'}\n";
    let cm2 = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n";
    let outcomes: Vec<ApplyOutcome> = [cm, cm, cm2]
        .iter()
        .filter_map(|y| sim.api_mut().apply(one(y)).ok().map(|(_, o)| o))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ApplyOutcome::Created,
            ApplyOutcome::Unchanged,
            ApplyOutcome::Configured
        ]
    );
    let data = sim
        .api()
        .get(Kind::ConfigMap, "default", "c")
        .map(|o| o.to_json()["data"].clone());
    assert_eq!(
        data,
        Ok(json!({"a": "1"})),
        "a field dropped from the manifest is removed"
    );
}

#[test]
fn the_watch_stream_replays_changes_in_order() {
    let mut sim = sim();
    let start = sim.api().store().revision();
    let api = sim.api_mut();
    let _ = api.create(one(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w}\n",
    ));
    let _ = api.patch(
        Kind::ConfigMap,
        "default",
        "w",
        PatchType::Merge,
        &json!({"data": {"k": "v"}}),
    );
    let _ = api.delete(Kind::ConfigMap, "default", "w", &Default::default());
    let seen: Vec<String> = api
        .watch(start)
        .map(|events| {
            events
                .iter()
                .map(|e| format!("{} {}", e.event_type.as_str(), e.object.name()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(seen, vec!["ADDED w", "MODIFIED w", "DELETED w"]);
    let revisions: Vec<u64> = api
        .watch(start)
        .map(|e| e.iter().map(|e| e.revision).collect())
        .unwrap_or_default();
    assert!(revisions.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn object_counts_are_capped_with_forbidden() {
    let mut api = ApiServer::new(
        SimRng::seeded(1),
        ObjectLimits {
            max_pods: 2,
            max_objects_per_kind: 10,
        },
    );
    let _ = api.create(one(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n",
    ));
    let pod = |n: &str| {
        one(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {n}}}\nspec:\n  containers: [{{name: c, image: nginx}}]\n"
        ))
    };
    assert!(api.create(pod("a")).is_ok());
    assert!(api.create(pod("b")).is_ok());
    let err = api.create(pod("c")).err();
    assert_eq!(err.as_ref().map(|e| e.code()), Some(403));
    assert_eq!(
        err.map(|e| e.message).as_deref(),
        Some("pods \"c\" is forbidden: the simulated cluster holds at most 2 pods objects")
    );
}

#[test]
fn services_get_cluster_ips_from_the_service_range() {
    let mut sim = sim();
    let svc = |n: &str| {
        one(&format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: {n}}}\nspec:\n  ports: [{{port: 80}}]\n"
        ))
    };
    let ips: Vec<String> = ["a", "b"]
        .iter()
        .filter_map(|n| sim.api_mut().create(svc(n)).ok())
        .map(|o| {
            o.to_json()["spec"]["clusterIP"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(ips.len(), 2);
    assert_ne!(ips[0], ips[1]);
    for ip in &ips {
        let octets: Vec<u32> = ip.split('.').filter_map(|o| o.parse().ok()).collect();
        // Inside 10.96.0.0/12, above the static band.
        let offset = ((octets[1] - 96) << 16) | (octets[2] << 8) | octets[3];
        assert!(
            octets[0] == 10 && (96..112).contains(&octets[1]) && offset >= 256,
            "{ip}"
        );
    }
    let bad = sim.api_mut().create(svc("9lives")).err().map(|e| e.message);
    assert!(bad.is_some_and(|m| m.contains("a DNS-1035 label must consist of")));
}

#[test]
fn kubelet_reports_usage_logs_and_exec_for_running_containers() {
    use tidepool_core::{Simulation, SimulationConfig};
    let mut sim = Simulation::new(&SimulationConfig { seed: 3 });
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: talker}\nspec:\n  containers:\n  - name: c\n    image: busybox:1.28\n    command: [sh, -c, 'echo hello; sleep 3600']\n";
    for object in tidepool_core::decode_manifests(yaml).unwrap_or_default() {
        sim.api_mut()
            .create(object)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    sim.advance(std::time::Duration::from_secs(10));
    let logs = sim
        .container_logs("default", "talker", "c", false)
        .unwrap_or_default();
    assert_eq!(
        logs.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(),
        ["hello"]
    );
    assert!(sim.container_logs("default", "talker", "c", true).is_none());
    let usage = sim.pod_usage("default", "talker").unwrap_or_default();
    assert_eq!(usage.len(), 1);
    assert!(usage[0].2 > 0, "a running shell holds memory");
    let node = sim
        .api()
        .get_ref(tidepool_core::Kind::Pod, "default", "talker")
        .ok()
        .and_then(|o| o.as_pod()?.spec.as_ref()?.node_name.clone())
        .unwrap_or_default();
    assert!(sim.node_usage(&node).1 >= usage[0].2);
    let out = sim
        .exec_in_container(
            "default",
            "talker",
            "c",
            &["cat".to_owned(), "/etc/hostname".to_owned()],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(out.stdout, "talker\n");
    assert_eq!(
        sim.exec_in_container("default", "talker", "c", &["bash".to_owned()]),
        Err(tidepool_core::ExecError::Runtime(
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"bash\": executable file not found in $PATH: unknown".to_owned()
        ))
    );
}
