//! Benchmarks from issue 3. Run (release, natively):
//!
//! ```text
//! cargo run --release -p tidepool-core --example bench -- [nodes] [replicas] [--scheduling-only]
//! ```
//!
//! 1. Scheduling throughput: `nodes` extra workers, a Deployment scaled 0 -> `replicas`;
//!    reports pods bound per wall-clock second of `advance` (controllers + scheduler together).
//! 2. Idle step cost: with those pods running, wall time to advance one simulated minute.
//! 3. Memory: resident set size before/after (Linux `/proc/self/statm`), and the snapshot size.
//!    Built for `wasm32-wasip1` it reports the wasm linear memory instead (its size never
//!    shrinks, so it is the peak heap so far): after scheduling, and after start-up with every
//!    pod running.
//!
//! Besides wall time it prints the time the thread spent on a CPU (Linux `/proc/self/schedstat`,
//! also under Node's WASI when `/proc` is preopened), which a loaded machine inflates far less
//! than wall time.
//!
//! This file is a host, not the core: it may read the wall clock and print.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

#[path = "support/cpu.rs"]
mod cpu;

use std::time::{Duration, Instant};
use tidepool_core::{ClusterConfig, Kind, NodeConfig, Object, Simulation, SimulationConfig};

fn rss_mib() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096.0 / (1024.0 * 1024.0))
}

/// The memory figure of this platform: the wasm linear memory (the heap's high-water mark) in
/// wasm, the resident set size natively.
fn memory() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let bytes = core::arch::wasm32::memory_size(0) * 65_536;
        format!("wasm memory {:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        format!("rss {:.0} MiB", rss_mib().unwrap_or(0.0))
    }
}

/// "on CPU 1.23s, " since `start`, when the platform reports it.
fn on_cpu(start: Option<u64>) -> String {
    cpu::cpu_since(start).map_or_else(String::new, |d| format!("on CPU {d:?}, "))
}

/// What the control plane holds: objects by kind and the watch log's length, with how many of
/// its entries hold a version the store has since replaced or deleted (memory only the log
/// keeps alive), and how many of those are Pods.
fn holdings(sim: &Simulation) -> String {
    let store = sim.api().store();
    let log = match store.events_since(0) {
        Ok(events) => events,
        Err(oldest) => store
            .events_since(oldest.saturating_sub(1))
            .unwrap_or_default(),
    };
    let superseded: Vec<&Object> = log
        .iter()
        .filter(|entry| {
            store
                .get_shared(&entry.object.key())
                .is_none_or(|current| !std::sync::Arc::ptr_eq(&current, &entry.object))
        })
        .map(|entry| &*entry.object)
        .collect();
    format!(
        "{} objects ({} pods, {} events), {} watch-log entries ({} superseded, {} of them pods)",
        store.all().count(),
        store.count(Kind::Pod),
        store.count(Kind::Event),
        log.len(),
        superseded.len(),
        superseded.iter().filter(|o| o.kind() == Kind::Pod).count()
    )
}

fn bound_pods(sim: &Simulation) -> usize {
    sim.api()
        .store()
        .list(Kind::Pod, Some("default"))
        .filter_map(Object::as_pod)
        .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some())
        .count()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let nodes = args.first().copied().unwrap_or(1_000);
    let replicas = args.get(1).copied().unwrap_or(10_000);
    let mut cluster = ClusterConfig::default();
    for i in 0..nodes {
        cluster.nodes.push(NodeConfig {
            cpu: "64".to_owned(),
            memory: "256Gi".to_owned(),
            ..NodeConfig::worker(&format!("bench{i:04}"))
        });
    }
    let rss_before = rss_mib();
    let t = Instant::now();
    let mut sim = Simulation::with_cluster(&SimulationConfig { seed: 1 }, &cluster);
    println!(
        "cluster of {} nodes built in {:?}; {}",
        nodes + 3,
        t.elapsed(),
        memory()
    );
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bench}\nspec:\n  replicas: 0\n  \
                selector: {matchLabels: {app: bench}}\n  template:\n    metadata: {labels: {app: bench}}\n    \
                spec:\n      containers: [{name: c, image: nginx, resources: {requests: {cpu: 10m, memory: 16Mi}}}]\n";
    let deployment = tidepool_core::decode_manifests(yaml)
        .ok()
        .and_then(|mut v| v.pop())
        .expect("benchmark manifest decodes");
    sim.api_mut()
        .create(deployment)
        .expect("benchmark deployment is valid");
    sim.advance(Duration::from_secs(1));
    sim.api_mut()
        .scale(Kind::Deployment, "default", "bench", replicas as i32)
        .expect("scale works");
    let t = Instant::now();
    let cpu = cpu::cpu_ns();
    let mut steps = 0;
    while bound_pods(&sim) < replicas && steps < 600 {
        sim.advance(Duration::from_millis(100));
        steps += 1;
    }
    let elapsed = t.elapsed();
    let cpu_used = on_cpu(cpu);
    let bound = bound_pods(&sim);
    println!(
        "scheduling: {bound} pods bound in {elapsed:?} wall ({cpu_used}{:.0} pods/s), {:.1} s virtual",
        bound as f64 / elapsed.as_secs_f64(),
        steps as f64 / 10.0
    );
    println!("memory after scheduling: {}; {}", memory(), holdings(&sim));
    if std::env::args().any(|a| a == "--scheduling-only") {
        return;
    }
    let t = Instant::now();
    let cpu = cpu::cpu_ns();
    sim.advance(Duration::from_secs(10));
    let elapsed = t.elapsed();
    println!(
        "start-up: 10 simulated seconds of containers starting took {elapsed:?} wall ({})",
        on_cpu(cpu).trim_end_matches(", ")
    );
    println!(
        "memory with every pod running: {}; {}",
        memory(),
        holdings(&sim)
    );
    let t = Instant::now();
    sim.advance(Duration::from_secs(60));
    println!(
        "idle: advancing one simulated minute with {bound} pods took {:?}",
        t.elapsed()
    );
    let snapshot = serde_json::to_string(&sim.snapshot())
        .map(|s| s.len())
        .unwrap_or(0);
    println!(
        "memory: rss {:.0} MiB -> {}; snapshot {:.1} MiB of JSON",
        rss_before.unwrap_or(0.0),
        memory(),
        snapshot as f64 / (1024.0 * 1024.0)
    );
}
