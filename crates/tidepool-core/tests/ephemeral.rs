//! Ephemeral containers through the public API: the subresource adds them, the kubelet runs
//! each once (never restarted, never in READY), and a targeted one sees the target's process.

use serde_json::json;
use std::time::Duration;
use tidepool_core::{Kind, Simulation, SimulationConfig, decode_manifests};

fn sim_with_pod() -> Simulation {
    let mut sim = Simulation::new(&SimulationConfig { seed: 1 });
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  restartPolicy: Always\n  containers:\n  - name: app\n    image: busybox:1.36\n    command: [sh, -c, 'sleep 3600']\n";
    for object in decode_manifests(pod).expect("a pod") {
        sim.api_mut().create(object).expect("created");
    }
    sim.advance(Duration::from_secs(10));
    sim
}

fn status(sim: &Simulation) -> serde_json::Value {
    sim.api()
        .get(Kind::Pod, "default", "app")
        .expect("the pod")
        .to_json()["status"]
        .clone()
}

#[test]
fn an_ephemeral_container_runs_once_and_never_counts_as_ready() {
    let mut sim = sim_with_pod();
    let patch = json!({"spec": {"ephemeralContainers": [{
        "name": "dbg", "image": "busybox:1.36", "command": ["sh", "-c", "echo hi; exit 3"],
    }]}});
    sim.api_mut()
        .patch_ephemeral_containers("default", "app", &patch)
        .expect("patched");
    sim.advance(Duration::from_secs(60));
    let st = status(&sim);
    let dbg = &st["ephemeralContainerStatuses"][0];
    assert_eq!(dbg["name"], "dbg");
    assert_eq!(dbg["ready"], false);
    assert_eq!(dbg["restartCount"], 0);
    assert_eq!(dbg["state"]["terminated"]["exitCode"], 3);
    assert_eq!(dbg["state"]["terminated"]["reason"], "Error");
    assert!(dbg.get("started").is_none());
    // The pod's own life is untouched: still Running and ready, one container status.
    assert_eq!(st["phase"], "Running");
    assert_eq!(st["containerStatuses"].as_array().map(Vec::len), Some(1));
    assert_eq!(st["containerStatuses"][0]["ready"], true);
    let logs = sim
        .container_logs("default", "app", "dbg", false)
        .expect("logs");
    assert_eq!(
        logs.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(),
        ["hi"]
    );
    // A second one is added after the first; the first may not change.
    let second =
        json!({"spec": {"ephemeralContainers": [{"name": "dbg2", "image": "busybox:1.36"}]}});
    let pod = sim
        .api_mut()
        .patch_ephemeral_containers("default", "app", &second)
        .expect("patched")
        .to_json();
    let names: Vec<&str> = pod["spec"]["ephemeralContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["dbg", "dbg2"]);
    assert_eq!(
        pod["spec"]["ephemeralContainers"][1]["imagePullPolicy"],
        "IfNotPresent"
    );
    let change = json!({"spec": {"ephemeralContainers": [{"name": "dbg", "image": "alpine"}]}});
    let err = sim
        .api_mut()
        .patch_ephemeral_containers("default", "app", &change)
        .expect_err("existing ephemeral containers are immutable");
    assert_eq!(
        err.causes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "spec.ephemeralContainers[0]: Forbidden: existing ephemeral containers \"dbg\" may not be changed\n"
        ]
    );
}

#[test]
fn a_targeted_session_lists_the_target_process_first() {
    let mut sim = sim_with_pod();
    let patch = json!({"spec": {"ephemeralContainers": [{
        "name": "dbg", "image": "busybox:1.36", "stdin": true, "targetContainerName": "app",
    }]}});
    sim.api_mut()
        .patch_ephemeral_containers("default", "app", &patch)
        .expect("patched");
    sim.advance(Duration::from_secs(5));
    let mut session = sim
        .open_exec_session("default", "app", "dbg", &["sh".to_owned()])
        .expect("a session");
    session.feed_line("ps");
    let (_, out) = sim
        .run_exec_session("default", "app", "dbg", &mut session)
        .expect("running");
    let text: String = out.chunks.iter().map(|(_, t)| t.as_str()).collect();
    let first_row = text.lines().nth(1).unwrap_or_default();
    assert!(first_row.ends_with("sh -c sleep 3600"), "{text}");
    assert!(first_row.trim_start().starts_with("1 "), "{text}");
}

#[test]
fn a_completed_pod_starts_no_ephemeral_container() {
    let mut sim = Simulation::new(&SimulationConfig { seed: 1 });
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  restartPolicy: Never\n  containers:\n  - name: app\n    image: busybox:1.36\n    command: [sh, -c, 'echo done']\n";
    for object in decode_manifests(pod).expect("a pod") {
        sim.api_mut().create(object).expect("created");
    }
    sim.advance(Duration::from_secs(10));
    assert_eq!(status(&sim)["phase"], "Succeeded");
    let patch =
        json!({"spec": {"ephemeralContainers": [{"name": "dbg", "image": "busybox:1.36"}]}});
    sim.api_mut()
        .patch_ephemeral_containers("default", "app", &patch)
        .expect("the API accepts it");
    sim.advance(Duration::from_secs(30));
    assert!(status(&sim).get("ephemeralContainerStatuses").is_none());
}
