//! PersistentVolumes, claims and classes through the public API: the binder's choices,
//! validation, reclaiming and the protection finalizers.

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
