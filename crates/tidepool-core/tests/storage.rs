//! PersistentVolumes, claims and classes through the public API: the binder's choices,
//! validation, reclaiming and the protection finalizers.

use std::collections::BTreeSet;
use std::time::Duration;
use tidepool_core::{DeleteOptions, Kind, Object, Simulation, SimulationConfig, decode_manifests};

fn sim() -> Simulation {
    Simulation::new(&SimulationConfig::default())
}

fn create(sim: &mut Simulation, yaml: &str) {
    for object in decode_manifests(yaml).expect("manifest decodes") {
        sim.api_mut().create(object).expect("object is created");
    }
    sim.advance(Duration::ZERO);
}

fn pv(name: &str, size: &str, modes: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: {name}\nspec:\n  capacity:\n    \
         storage: {size}\n  accessModes: [{modes}]\n  hostPath:\n    path: /tmp/{name}\n{extra}---\n"
    )
}

fn pvc(name: &str, size: &str, modes: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {name}\nspec:\n  \
         storageClassName: \"\"\n  accessModes: [{modes}]\n  resources:\n    requests:\n      \
         storage: {size}\n{extra}---\n"
    )
}

fn claim_volume(sim: &Simulation, name: &str) -> Option<String> {
    let object = sim
        .api()
        .get(Kind::PersistentVolumeClaim, "default", name)
        .ok()?;
    let pvc = object.as_persistent_volume_claim()?;
    pvc.spec.as_ref()?.volume_name.clone()
}

fn volume_phase(sim: &Simulation, name: &str) -> Option<String> {
    let object = sim.api().get(Kind::PersistentVolume, "", name).ok()?;
    object
        .as_persistent_volume()?
        .status
        .as_ref()?
        .phase
        .clone()
}

#[test]
fn the_binder_picks_the_smallest_volume_that_fits() {
    let mut sim = sim();
    let manifests = [
        pv("small", "1Gi", "ReadWriteOnce", ""),
        pv("large", "5Gi", "ReadWriteOnce", ""),
        pv("shared", "2Gi", "ReadWriteMany", ""),
        pv(
            "labelled",
            "10Gi",
            "ReadWriteOnce",
            "  storageClassName: \"\"\n",
        ),
        pvc("a", "1500Mi", "ReadWriteOnce", ""),
        pvc("b", "100Mi", "ReadWriteMany", ""),
        pvc("c", "100Mi", "ReadWriteOnce", ""),
    ]
    .concat();
    create(&mut sim, &manifests);
    assert_eq!(claim_volume(&sim, "a").as_deref(), Some("large"));
    assert_eq!(claim_volume(&sim, "b").as_deref(), Some("shared"));
    assert_eq!(claim_volume(&sim, "c").as_deref(), Some("small"));
    assert_eq!(volume_phase(&sim, "labelled").as_deref(), Some("Available"));
    assert_eq!(volume_phase(&sim, "large").as_deref(), Some("Bound"));
}

#[test]
fn classes_selectors_and_prebinding_narrow_the_choice() {
    let mut sim = sim();
    let manifests = [
        pv("gold", "1Gi", "ReadWriteOnce", "  storageClassName: gold\n"),
        pv("tagged", "3Gi", "ReadWriteOnce", "")
            .replace("name: tagged", "name: tagged\n  labels:\n    tier: db"),
        pv("named", "8Gi", "ReadWriteOnce", ""),
        pvc("unset-class", "1Gi", "ReadWriteOnce", "").replace("  storageClassName: \"\"\n", ""),
        pvc(
            "selective",
            "1Gi",
            "ReadWriteOnce",
            "  selector:\n    matchLabels:\n      tier: db\n",
        ),
        pvc("pinned", "1Gi", "ReadWriteOnce", "  volumeName: named\n"),
    ]
    .concat();
    create(&mut sim, &manifests);
    // No default class: an unset class matches only volumes without a class.
    assert_eq!(claim_volume(&sim, "unset-class"), None);
    assert_eq!(claim_volume(&sim, "selective").as_deref(), Some("tagged"));
    assert_eq!(claim_volume(&sim, "pinned").as_deref(), Some("named"));
    assert_eq!(volume_phase(&sim, "named").as_deref(), Some("Bound"));
    assert_eq!(volume_phase(&sim, "gold").as_deref(), Some("Available"));
}

#[test]
fn invalid_volumes_and_claims_are_refused_with_the_apiserver_texts() {
    let mut sim = sim();
    let no_source = "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: x\nspec:\n  \
                     capacity:\n    storage: 1Gi\n  accessModes: [ReadWriteOnce]\n";
    let object = decode_manifests(no_source).expect("decodes").remove(0);
    let err = sim.api_mut().create(object).expect_err("refused");
    assert_eq!(
        err.message,
        "PersistentVolume \"x\" is invalid: spec: Required value: must specify a volume type"
    );
    let no_size = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: y\nspec:\n  \
                   accessModes: [ReadWriteOnce]\n";
    let object = decode_manifests(no_size).expect("decodes").remove(0);
    let err = sim.api_mut().create(object).expect_err("refused");
    assert_eq!(
        err.message,
        "PersistentVolumeClaim \"y\" is invalid: spec.resources[storage]: Required value"
    );
}

#[test]
fn a_deleted_claim_releases_or_deletes_its_volume() {
    let mut sim = sim();
    let manifests = [
        pv("kept", "1Gi", "ReadWriteOnce", ""),
        pvc("first", "1Gi", "ReadWriteOnce", ""),
    ]
    .concat();
    create(&mut sim, &manifests);
    let deleted = pv(
        "scratch",
        "2Gi",
        "ReadWriteOnce",
        "  persistentVolumeReclaimPolicy: Delete\n",
    );
    create(&mut sim, &deleted);
    create(&mut sim, &pvc("second", "2Gi", "ReadWriteOnce", ""));
    assert_eq!(claim_volume(&sim, "second").as_deref(), Some("scratch"));
    for name in ["first", "second"] {
        sim.api_mut()
            .delete(
                Kind::PersistentVolumeClaim,
                "default",
                name,
                &DeleteOptions::default(),
            )
            .expect("deleted");
    }
    sim.advance(Duration::ZERO);
    assert_eq!(volume_phase(&sim, "kept").as_deref(), Some("Released"));
    // A hostPath volume under /tmp is deleted by the hostPath deleter.
    assert!(
        sim.api()
            .get(Kind::PersistentVolume, "", "scratch")
            .is_err()
    );
}

#[test]
fn a_bound_volume_keeps_its_protection_finalizer_until_released() {
    let mut sim = sim();
    let manifests = [
        pv("vol", "1Gi", "ReadWriteOnce", ""),
        pvc("claim", "1Gi", "ReadWriteOnce", ""),
    ]
    .concat();
    create(&mut sim, &manifests);
    sim.api_mut()
        .delete(Kind::PersistentVolume, "", "vol", &DeleteOptions::default())
        .expect("marked");
    sim.advance(Duration::from_secs(30));
    let vol = sim
        .api()
        .get(Kind::PersistentVolume, "", "vol")
        .expect("still there");
    assert!(vol.meta().deletion_timestamp.is_some());
    sim.api_mut()
        .delete(
            Kind::PersistentVolumeClaim,
            "default",
            "claim",
            &DeleteOptions::default(),
        )
        .expect("deleted");
    sim.advance(Duration::ZERO);
    assert!(sim.api().get(Kind::PersistentVolume, "", "vol").is_err());
    assert!(
        sim.api()
            .list(Kind::PersistentVolumeClaim, None)
            .iter()
            .all(|o: &Object| o.name() != "claim")
    );
}

#[test]
fn a_bound_claim_grows_only_when_its_class_allows_expansion() {
    let mut sim = sim();
    let class = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: grow\n\
                 provisioner: example.com/csi\nallowVolumeExpansion: true\n---\n";
    let manifests = [
        class.to_owned(),
        pv(
            "roomy",
            "1Gi",
            "ReadWriteOnce",
            "  storageClassName: grow\n",
        ),
        pv("fixed", "1Gi", "ReadWriteOnce", ""),
        pvc("growing", "1Gi", "ReadWriteOnce", "")
            .replace("storageClassName: \"\"", "storageClassName: grow"),
        pvc("stuck", "1Gi", "ReadWriteOnce", ""),
    ]
    .concat();
    create(&mut sim, &manifests);
    let grow = serde_json::json!({"spec": {"resources": {"requests": {"storage": "2Gi"}}}});
    let patch = |sim: &mut Simulation, name: &str, body: &serde_json::Value| {
        sim.api_mut().patch(
            Kind::PersistentVolumeClaim,
            "default",
            name,
            tidepool_core::PatchType::Merge,
            body,
        )
    };
    assert!(patch(&mut sim, "growing", &grow).is_ok());
    let err = patch(&mut sim, "stuck", &grow).expect_err("refused");
    assert_eq!(
        err.message,
        "persistentvolumeclaims \"stuck\" is forbidden: only dynamically provisioned pvc can be \
         resized and the storageclass that provisions the pvc must support resize"
    );
    let shrink = serde_json::json!({"spec": {"resources": {"requests": {"storage": "500Mi"}}}});
    let err = patch(&mut sim, "growing", &shrink).expect_err("refused");
    assert_eq!(
        err.message,
        "PersistentVolumeClaim \"growing\" is invalid: spec.resources.requests.storage: \
         Forbidden: field can not be less than status.capacity"
    );
}

fn host_path_pod(name: &str, command: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  nodeName: node02\n  \
         containers:\n  - name: app\n    image: busybox\n    command: [\"sh\", \"-c\", \"{command}\"]\n    \
         volumeMounts:\n    - name: host\n      mountPath: /host\n  volumes:\n  - name: host\n    \
         hostPath:\n      path: /var/shared\n"
    )
}

#[test]
fn a_host_path_directory_outlives_the_pod_that_wrote_it() {
    let mut sim = sim();
    create(
        &mut sim,
        &host_path_pod("first", "echo kept > /host/note; sleep 3600"),
    );
    sim.advance(Duration::from_secs(10));
    sim.api_mut()
        .delete(Kind::Pod, "default", "first", &DeleteOptions::default())
        .expect("deleted");
    sim.advance(Duration::from_secs(40));
    assert!(sim.api().get(Kind::Pod, "default", "first").is_err());
    create(&mut sim, &host_path_pod("second", "sleep 3600"));
    sim.advance(Duration::from_secs(10));
    let argv: Vec<String> = ["cat", "/host/note"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = sim
        .exec_in_container("default", "second", "app", &argv)
        .expect("runs");
    assert_eq!(out.stdout, "kept\n");
}

/// The docs' "web" StatefulSet (one `www` claim template of 1Gi, RWO, no class) with an
/// optional retention policy.
fn web(replicas: i32, retention: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  serviceName: web\n  \
         replicas: {replicas}\n{retention}  selector:\n    matchLabels:\n      app: nginx\n  template:\n    \
         metadata:\n      labels:\n        app: nginx\n    spec:\n      containers:\n      - name: nginx\n        \
         image: nginx\n        volumeMounts:\n        - name: www\n          mountPath: /usr/share/nginx/html\n  \
         volumeClaimTemplates:\n  - metadata:\n      name: www\n      labels:\n        tier: web\n    spec:\n      \
         accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: 1Gi\n---\n"
    )
}

fn claim(
    sim: &Simulation,
    name: &str,
) -> Option<k8s_openapi::api::core::v1::PersistentVolumeClaim> {
    let object = sim
        .api()
        .get(Kind::PersistentVolumeClaim, "default", name)
        .ok()?;
    object.as_persistent_volume_claim().cloned()
}

fn claim_names(sim: &Simulation) -> Vec<String> {
    sim.api()
        .list(Kind::PersistentVolumeClaim, Some("default"))
        .iter()
        .map(|o| o.name().to_owned())
        .collect()
}

fn pod_phase(sim: &Simulation, name: &str) -> Option<String> {
    let object = sim.api().get(Kind::Pod, "default", name).ok()?;
    object.as_pod()?.status.as_ref()?.phase.clone()
}

fn event_messages(sim: &Simulation) -> Vec<String> {
    sim.api()
        .list(Kind::Event, Some("default"))
        .iter()
        .filter_map(|e| e.to_json()["message"].as_str().map(str::to_owned))
        .collect()
}

fn exec(sim: &mut Simulation, pod: &str, script: &str) -> String {
    let argv: Vec<String> = ["sh", "-c", script].iter().map(|s| s.to_string()).collect();
    sim.exec_in_container("default", pod, "nginx", &argv)
        .expect("runs")
        .stdout
}

#[test]
fn a_stateful_set_creates_each_ordinals_claim_before_its_pod() {
    let mut sim = sim();
    create(&mut sim, &web(2, ""));
    sim.advance(Duration::from_secs(20));
    // No volume: web-0's claim and web-0 wait; OrderedReady creates nothing more.
    assert_eq!(claim_names(&sim), ["www-web-0"]);
    let www = claim(&sim, "www-web-0").expect("claim exists");
    let labels = www.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("app").map(String::as_str), Some("nginx"));
    assert_eq!(labels.get("tier").map(String::as_str), Some("web"));
    let spec = www.spec.clone().unwrap_or_default();
    assert_eq!(spec.access_modes, Some(vec!["ReadWriteOnce".to_owned()]));
    assert_eq!(spec.storage_class_name, None);
    assert_eq!(www.status.and_then(|s| s.phase).as_deref(), Some("Pending"));
    assert_eq!(www.metadata.owner_references, None, "Retain owns nothing");
    assert_eq!(pod_phase(&sim, "web-0").as_deref(), Some("Pending"));
    assert!(sim.api().get(Kind::Pod, "default", "web-1").is_err());
    let pod = sim.api().get(Kind::Pod, "default", "web-0").expect("pod");
    let volumes = pod
        .as_pod()
        .and_then(|p| p.spec.clone())
        .and_then(|s| s.volumes);
    let first = volumes
        .unwrap_or_default()
        .into_iter()
        .next()
        .expect("a volume");
    assert_eq!(first.name, "www");
    assert_eq!(
        first
            .persistent_volume_claim
            .map(|c| c.claim_name)
            .as_deref(),
        Some("www-web-0")
    );
    let messages = event_messages(&sim);
    let claim_event = "create Claim www-web-0 Pod web-0 in StatefulSet web success";
    let pod_event = "create Pod web-0 in StatefulSet web successful";
    let at = |m: &str| messages.iter().position(|x| x == m);
    assert!(
        at(claim_event).is_some() && at(claim_event) < at(pod_event),
        "{messages:?}"
    );
    // The defaulted template and retention policy.
    let set = sim
        .api()
        .get(Kind::StatefulSet, "default", "web")
        .expect("set");
    let json = set.to_json();
    assert_eq!(
        json["spec"]["persistentVolumeClaimRetentionPolicy"],
        serde_json::json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
    );
    assert_eq!(
        json["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"],
        "Filesystem"
    );
    // Volumes appear: each claim binds its own, the pods run one after the other.
    let volumes = [
        pv("pv-a", "1Gi", "ReadWriteOnce", ""),
        pv("pv-b", "1Gi", "ReadWriteOnce", ""),
    ]
    .concat();
    create(&mut sim, &volumes);
    sim.advance(Duration::from_secs(40));
    assert_eq!(claim_names(&sim), ["www-web-0", "www-web-1"]);
    let bound: BTreeSet<Option<String>> = ["www-web-0", "www-web-1"]
        .iter()
        .map(|c| claim_volume(&sim, c))
        .collect();
    assert_eq!(
        bound,
        BTreeSet::from([Some("pv-a".to_owned()), Some("pv-b".to_owned())])
    );
    assert_eq!(pod_phase(&sim, "web-1").as_deref(), Some("Running"));
}

#[test]
fn retained_claims_bring_the_data_back_after_scale_down_and_deletion() {
    let mut sim = sim();
    let volumes = [
        pv("pv-a", "1Gi", "ReadWriteOnce", "  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - {key: kubernetes.io/hostname, operator: In, values: [node01]}\n"),
        pv("pv-b", "1Gi", "ReadWriteOnce", "  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - {key: kubernetes.io/hostname, operator: In, values: [node02]}\n"),
    ]
    .concat();
    create(&mut sim, &volumes);
    create(&mut sim, &web(2, ""));
    sim.advance(Duration::from_secs(40));
    exec(
        &mut sim,
        "web-1",
        "hostname > /usr/share/nginx/html/index.html",
    );
    let uid = claim(&sim, "www-web-1").and_then(|c| c.metadata.uid);
    sim.api_mut()
        .scale(Kind::StatefulSet, "default", "web", 1)
        .expect("scaled");
    sim.advance(Duration::from_secs(40));
    assert!(sim.api().get(Kind::Pod, "default", "web-1").is_err());
    assert_eq!(claim_names(&sim), ["www-web-0", "www-web-1"]);
    sim.api_mut()
        .scale(Kind::StatefulSet, "default", "web", 2)
        .expect("scaled");
    sim.advance(Duration::from_secs(40));
    assert_eq!(claim(&sim, "www-web-1").and_then(|c| c.metadata.uid), uid);
    assert_eq!(
        exec(&mut sim, "web-1", "cat /usr/share/nginx/html/index.html"),
        "web-1\n"
    );
    // Deleting the set (whenDeleted: Retain) leaves the claims bound.
    sim.api_mut()
        .delete(
            Kind::StatefulSet,
            "default",
            "web",
            &DeleteOptions::default(),
        )
        .expect("deleted");
    sim.advance(Duration::from_secs(60));
    assert!(sim.api().list(Kind::Pod, Some("default")).is_empty());
    assert_eq!(claim_names(&sim), ["www-web-0", "www-web-1"]);
    assert_eq!(volume_phase(&sim, "pv-b").as_deref(), Some("Bound"));
}

#[test]
fn delete_policies_hand_the_claims_to_the_garbage_collector() {
    let mut sim = sim();
    let volumes: String = (0..3)
        .map(|i| pv(&format!("pv-{i}"), "1Gi", "ReadWriteOnce", ""))
        .collect();
    create(&mut sim, &volumes);
    let policy = "  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: Delete\n    whenScaled: Delete\n";
    create(&mut sim, &web(3, policy));
    sim.advance(Duration::from_secs(60));
    assert_eq!(pod_phase(&sim, "web-2").as_deref(), Some("Running"));
    let set_uid = sim
        .api()
        .get(Kind::StatefulSet, "default", "web")
        .expect("set")
        .uid()
        .to_owned();
    let refs = claim(&sim, "www-web-0")
        .and_then(|c| c.metadata.owner_references)
        .unwrap_or_default();
    assert_eq!(refs.len(), 1);
    assert_eq!(
        (refs[0].kind.as_str(), refs[0].uid.as_str()),
        ("StatefulSet", set_uid.as_str())
    );
    assert_eq!(
        refs[0].controller,
        Some(true),
        "v1.32 sets controller references"
    );
    // whenScaled: Delete: the scaled-down pod's claim goes with it.
    sim.api_mut()
        .scale(Kind::StatefulSet, "default", "web", 2)
        .expect("scaled");
    sim.advance(Duration::from_secs(60));
    assert_eq!(claim_names(&sim), ["www-web-0", "www-web-1"]);
    let released = (0..3)
        .filter(|i| volume_phase(&sim, &format!("pv-{i}")).as_deref() == Some("Released"))
        .count();
    assert_eq!(released, 1, "the collected claim's volume is released");
    // Scaling up again makes a fresh claim.
    sim.api_mut()
        .scale(Kind::StatefulSet, "default", "web", 3)
        .expect("scaled");
    sim.advance(Duration::from_secs(5));
    assert_eq!(claim_names(&sim), ["www-web-0", "www-web-1", "www-web-2"]);
    // whenDeleted: Delete: the claims go with the set.
    sim.api_mut()
        .delete(
            Kind::StatefulSet,
            "default",
            "web",
            &DeleteOptions::default(),
        )
        .expect("deleted");
    sim.advance(Duration::from_secs(60));
    assert!(sim.api().list(Kind::Pod, Some("default")).is_empty());
    assert_eq!(claim_names(&sim), Vec::<String>::new());
}

#[test]
fn a_recreated_pod_waits_for_its_claim_being_deleted_then_gets_a_new_one() {
    let mut sim = sim();
    create(&mut sim, &pv("pv-a", "1Gi", "ReadWriteOnce", ""));
    create(&mut sim, &web(1, ""));
    sim.advance(Duration::from_secs(20));
    let old_uid = claim(&sim, "www-web-0").and_then(|c| c.metadata.uid);
    sim.api_mut()
        .delete(
            Kind::PersistentVolumeClaim,
            "default",
            "www-web-0",
            &DeleteOptions::default(),
        )
        .expect("deleted");
    sim.advance(Duration::from_secs(5));
    let terminating = claim(&sim, "www-web-0").expect("protected while in use");
    assert!(terminating.metadata.deletion_timestamp.is_some());
    sim.api_mut()
        .delete(Kind::Pod, "default", "web-0", &DeleteOptions::default())
        .expect("deleted");
    sim.advance(Duration::from_secs(60));
    let messages = event_messages(&sim);
    assert!(
        messages.iter().any(|m| m
            == "create Pod web-0 in StatefulSet web failed error: pvc www-web-0 is being deleted"),
        "{messages:?}"
    );
    let new = claim(&sim, "www-web-0").expect("a new claim");
    assert_ne!(new.metadata.uid, old_uid);
    assert_eq!(pod_phase(&sim, "web-0").as_deref(), Some("Pending"));
}

#[test]
fn claim_templates_are_fixed_and_retention_policies_checked() {
    let mut sim = sim();
    create(&mut sim, &web(1, ""));
    let patch = serde_json::json!({"spec": {"volumeClaimTemplates": [{"metadata": {"name": "www"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}}]}});
    let err = sim
        .api_mut()
        .patch(
            Kind::StatefulSet,
            "default",
            "web",
            tidepool_core::api::PatchType::Merge,
            &patch,
        )
        .expect_err("templates are fixed");
    assert_eq!(
        err.message,
        "StatefulSet.apps \"web\" is invalid: spec: Forbidden: updates to statefulset spec for \
         fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', \
         'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' \
         are forbidden"
    );
    let policy = serde_json::json!({"spec": {"persistentVolumeClaimRetentionPolicy":
        {"whenScaled": "Delete"}}});
    sim.api_mut()
        .patch(
            Kind::StatefulSet,
            "default",
            "web",
            tidepool_core::api::PatchType::Merge,
            &policy,
        )
        .expect("the policy may change");
    let bad = web(
        1,
        "  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: Keep\n",
    )
    .replace("name: web", "name: other");
    let object = decode_manifests(&bad).expect("decodes").remove(0);
    let err = sim.api_mut().create(object).expect_err("invalid policy");
    assert_eq!(
        err.message,
        "StatefulSet.apps \"other\" is invalid: spec.persistentVolumeClaimRetentionPolicy.whenDeleted: \
         Unsupported value: \"Keep\": supported values: \"Delete\", \"Retain\""
    );
}

#[test]
fn changing_the_policy_moves_claim_ownership_and_foreign_controllers_are_respected() {
    let mut sim = sim();
    let policy = "  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: Delete\n";
    create(&mut sim, &web(1, policy));
    let owners = |sim: &Simulation, name: &str| {
        claim(sim, name)
            .and_then(|c| c.metadata.owner_references)
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.kind, r.name))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        owners(&sim, "www-web-0"),
        [("StatefulSet".to_owned(), "web".to_owned())]
    );
    // Back to Retain: the reference goes, so deleting the set keeps the claim.
    let retain = serde_json::json!({"spec": {"persistentVolumeClaimRetentionPolicy":
        {"whenDeleted": "Retain"}}});
    sim.api_mut()
        .patch(
            Kind::StatefulSet,
            "default",
            "web",
            tidepool_core::api::PatchType::Merge,
            &retain,
        )
        .expect("patched");
    sim.advance(Duration::from_secs(1));
    assert!(owners(&sim, "www-web-0").is_empty());
    // A claim another object controls keeps that controller and gets no reference of ours.
    create(
        &mut sim,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keeper\n",
    );
    let keeper = sim
        .api()
        .get(Kind::ConfigMap, "default", "keeper")
        .expect("configmap")
        .uid()
        .to_owned();
    let foreign = format!(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data-db-0\n  \
         ownerReferences:\n  - {{apiVersion: v1, kind: ConfigMap, name: keeper, uid: {keeper}, \
         controller: true}}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      \
         storage: 1Gi\n"
    );
    create(&mut sim, &foreign);
    let db = web(1, policy)
        .replace("name: web", "name: db")
        .replace("name: www", "name: data")
        .replace("app: nginx", "app: db");
    create(&mut sim, &db);
    sim.advance(Duration::from_secs(1));
    assert_eq!(
        owners(&sim, "data-db-0"),
        [("ConfigMap".to_owned(), "keeper".to_owned())]
    );
    let messages = event_messages(&sim);
    assert!(
        messages.iter().any(|m| m
            == "PersistentVolumeClaim data-db-0 has a conflicting OwnerReference that acts as a \
                manging controller, the retention policy is ignored for this claim"),
        "{messages:?}"
    );
}

#[test]
fn a_set_recreated_after_an_orphaning_delete_adopts_its_pods_and_claims() {
    let mut sim = sim();
    create(&mut sim, &pv("pv-a", "1Gi", "ReadWriteOnce", ""));
    let policy = "  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: Delete\n";
    create(&mut sim, &web(1, policy));
    sim.advance(Duration::from_secs(20));
    let orphan = DeleteOptions {
        propagation: tidepool_core::Propagation::Orphan,
        grace_period_seconds: None,
    };
    sim.api_mut()
        .delete(Kind::StatefulSet, "default", "web", &orphan)
        .expect("deleted");
    sim.advance(Duration::from_secs(5));
    let pod_uid = sim
        .api()
        .get(Kind::Pod, "default", "web-0")
        .expect("kept")
        .uid()
        .to_owned();
    assert_eq!(
        claim(&sim, "www-web-0").and_then(|c| c.metadata.owner_references),
        None
    );
    create(&mut sim, &web(1, policy));
    sim.advance(Duration::from_secs(5));
    let set_uid = sim
        .api()
        .get(Kind::StatefulSet, "default", "web")
        .expect("set")
        .uid()
        .to_owned();
    let pod = sim
        .api()
        .get(Kind::Pod, "default", "web-0")
        .expect("adopted");
    assert_eq!(pod.uid(), pod_uid, "the same pod, not a new one");
    let controller =
        |refs: Option<Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference>>| {
            refs.unwrap_or_default()
                .into_iter()
                .find(|r| r.controller == Some(true))
                .map(|r| r.uid)
        };
    assert_eq!(
        controller(pod.meta().owner_references.clone()),
        Some(set_uid.clone())
    );
    assert_eq!(
        controller(claim(&sim, "www-web-0").and_then(|c| c.metadata.owner_references)),
        Some(set_uid)
    );
    let messages = event_messages(&sim);
    assert!(
        !messages.iter().any(|m| m.contains("already exists")),
        "{messages:?}"
    );
}

#[test]
fn a_claim_the_apiserver_refuses_blocks_its_pod_with_both_events() {
    let mut sim = sim();
    let no_request = web(1, "").replace(
        "      resources:\n        requests:\n          storage: 1Gi\n",
        "",
    );
    create(&mut sim, &no_request);
    sim.advance(Duration::from_secs(3));
    assert!(sim.api().get(Kind::Pod, "default", "web-0").is_err());
    assert!(claim_names(&sim).is_empty());
    let invalid = "PersistentVolumeClaim \"www-web-0\" is invalid: spec.resources[storage]: \
                   Required value";
    let messages = event_messages(&sim);
    for expected in [
        format!("create Claim www-web-0 for Pod web-0 in StatefulSet web failed error: {invalid}"),
        format!(
            "create Pod web-0 in StatefulSet web failed error: failed to create PVC www-web-0: \
             {invalid}"
        ),
    ] {
        assert!(
            messages.contains(&expected),
            "{expected} not in {messages:?}"
        );
    }
}
