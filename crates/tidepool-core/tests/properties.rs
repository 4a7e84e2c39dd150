//! Property tests: random workloads converge, invariants hold, bad input never panics.

mod support;

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tidepool_core::api::{DeleteOptions, controller_of};
use tidepool_core::quantity;
use tidepool_core::{Kind, Object, Simulation, SimulationConfig, decode_manifests};

#[derive(Debug, Clone)]
enum Op {
    Create(usize, i32),
    Scale(usize, i32),
    Delete(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..7i32).prop_map(|(i, n)| Op::Create(i, n)),
        (0..3usize, 0..7i32).prop_map(|(i, n)| Op::Scale(i, n)),
        (0..3usize).prop_map(Op::Delete),
        (0..4_000u64).prop_map(Op::Advance),
    ]
}

fn replica_set(i: usize, replicas: i32) -> Object {
    let yaml = format!(
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: rs{i}}}\nspec:\n  replicas: {replicas}\n  \
         selector: {{matchLabels: {{set: rs{i}}}}}\n  template:\n    metadata: {{labels: {{set: rs{i}}}}}\n    \
         spec:\n      containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: 400m, memory: 300Mi}}}}}}]\n"
    );
    decode_manifests(&yaml)
        .ok()
        .and_then(|mut v| v.pop())
        .unwrap_or_else(|| panic!("fixture"))
}

fn apply(sim: &mut Simulation, op: &Op) {
    let api = sim.api_mut();
    match op {
        Op::Create(i, n) => {
            let _ = api.create(replica_set(*i, *n));
        }
        Op::Scale(i, n) => {
            let _ = api.scale(Kind::ReplicaSet, "default", &format!("rs{i}"), *n);
        }
        Op::Delete(i) => {
            let _ = api.delete(
                Kind::ReplicaSet,
                "default",
                &format!("rs{i}"),
                &DeleteOptions::default(),
            );
        }
        Op::Advance(ms) => {
            sim.advance(Duration::from_millis(*ms));
        }
    }
}

/// Bound, non-terminal pods never ask for more than a node can allocate.
fn assert_no_overcommit(sim: &Simulation) {
    let mut used: BTreeMap<String, (i128, i128)> = BTreeMap::new();
    for pod in sim
        .api()
        .store()
        .list(Kind::Pod, None)
        .filter_map(Object::as_pod)
    {
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
            continue;
        };
        let r = tidepool_core::scheduler::plugins::pod_requests(pod);
        let e = used.entry(node).or_default();
        e.0 += r.cpu_milli;
        e.1 += r.memory_milli;
    }
    for node in sim
        .api()
        .store()
        .list(Kind::Node, None)
        .filter_map(Object::as_node)
    {
        let name = node.metadata.name.clone().unwrap_or_default();
        let (cpu, mem) = used.get(&name).copied().unwrap_or_default();
        let alloc = |r: &str| {
            node.status
                .as_ref()
                .and_then(|s| s.allocatable.as_ref())
                .and_then(|a| a.get(r))
                .and_then(|q| quantity::parse(&q.0))
                .map_or(0, |a| a.milli)
        };
        assert!(
            cpu <= alloc("cpu"),
            "node {name} over-committed on cpu: {cpu}"
        );
        assert!(
            mem <= alloc("memory"),
            "node {name} over-committed on memory"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn replica_sets_converge_without_overcommit(ops in proptest::collection::vec(op(), 1..14)) {
        let mut sim = Simulation::new(&SimulationConfig { seed: 9 });
        for op in &ops {
            apply(&mut sim, op);
            assert_no_overcommit(&sim);
        }
        sim.advance(Duration::from_secs(30));
        assert_no_overcommit(&sim);
        let sets: Vec<Object> = sim.api().list(Kind::ReplicaSet, Some("default"));
        for rs in &sets {
            let want = rs.as_replica_set().and_then(|r| r.spec.as_ref()).and_then(|s| s.replicas).unwrap_or(0);
            let have = sim.api().store().list(Kind::Pod, Some("default"))
                .filter_map(Object::as_pod)
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .filter(|p| controller_of(&p.metadata).is_some_and(|r| r.uid == rs.uid()))
                .count();
            prop_assert_eq!(have as i32, want, "replica set {} did not converge", rs.name());
        }
        // Cascade: deleting every set leaves no pods and no dangling owner references.
        for rs in &sets {
            let _ = sim.api_mut().delete(Kind::ReplicaSet, "default", rs.name(), &DeleteOptions::default());
        }
        sim.advance(Duration::from_secs(10));
        let live: BTreeSet<String> = sim.api().store().all().map(|o| o.uid().to_owned()).collect();
        for object in sim.api().store().all() {
            for r in object.meta().owner_references.iter().flatten() {
                prop_assert!(live.contains(&r.uid), "{} is orphaned", object.key());
            }
        }
        prop_assert_eq!(sim.api().store().list(Kind::Pod, Some("default")).count(), 0);
    }

    #[test]
    fn decoding_arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = decode_manifests(&text);
    }

    #[test]
    fn decoding_mutated_manifests_never_panics(
        key in "[a-zA-Z]{1,12}",
        value in prop_oneof![Just("1".to_owned()), Just("[a, b]".to_owned()), Just("{x: 1}".to_owned()), Just("null".to_owned()), "[a-z]{0,8}"],
    ) {
        let yaml = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  {key}: {value}\n  containers:\n  - name: c\n    image: nginx\n    {key}: {value}\n");
        let mut sim = Simulation::new(&SimulationConfig { seed: 1 });
        if let Ok(objects) = decode_manifests(&yaml) {
            for o in objects {
                let _ = sim.api_mut().create(o);
            }
        }
    }
}
