//! Kubelet benchmark (issue 4): `pods` running busybox pods, each with an exec liveness probe
//! (`cat /tmp/healthy`) every 10 s; reports the wall time of advancing one simulated minute
//! (pods x 6 probe execs). Run natively in release:
//!
//! ```text
//! CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=false \
//!   cargo run --release -p tidepool-core --example kubelet_bench -- [pods] [rounds]
//! ```
//!
//! `rounds` (default 3) is how many simulated minutes are measured; more rounds make the probe
//! path dominate a profile (`perf record`).
//!
//! Besides wall time it prints the time the thread spent on a CPU (Linux `/proc/self/schedstat`),
//! which a loaded machine inflates far less than wall time: on an idle machine the two agree.
//!
//! It also prints the process's resident memory (Linux `/proc/self/status`: VmRSS now, VmHWM
//! the peak; built for `wasm32-wasip1`, the wasm linear memory) once the pods run and after the
//! rounds, overall and per pod. (A counting global
//! allocator would need `unsafe`, which the workspace forbids; for the live heap by allocation
//! site run the example under `heaptrack`, see BENCHMARKS.md.)
//!
//! This file is a host, not the core: it may read the wall clock and print.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

#[path = "support/cpu.rs"]
mod cpu;

use std::time::{Duration, Instant};
use tidepool_core::{ClusterConfig, Kind, NodeConfig, Object, Simulation, SimulationConfig};

/// "RSS 123.4 MB (12.3 KB per pod), peak 130.0 MB" from `/proc/self/status` (Linux), or in
/// wasm the linear memory (it never shrinks: the heap's high-water mark so far).
fn memory(pods: usize) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let bytes = core::arch::wasm32::memory_size(0) * 65_536;
        format!(
            "wasm memory {:.1} MiB ({:.1} KB per pod)",
            bytes as f64 / (1024.0 * 1024.0),
            bytes as f64 / 1e3 / pods.max(1) as f64
        )
    }
    #[cfg(not(target_arch = "wasm32"))]
    rss(pods)
}

#[cfg(not(target_arch = "wasm32"))]
fn rss(pods: usize) -> String {
    // Under WASI a preopened /proc would describe the engine's process, not this module.
    let status = if cfg!(target_os = "linux") {
        std::fs::read_to_string("/proc/self/status")
    } else {
        Err(std::io::ErrorKind::Unsupported.into())
    };
    let Ok(status) = status else {
        return "RSS not reported on this platform".to_owned();
    };
    let kb = |field: &str| -> Option<f64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    match (kb("VmRSS:"), kb("VmHWM:")) {
        (Some(rss), Some(peak)) => format!(
            "RSS {:.1} MB ({:.1} KB per pod), peak {:.1} MB",
            rss / 1e3,
            rss / pods.max(1) as f64,
            peak / 1e3
        ),
        _ => "RSS not reported on this platform".to_owned(),
    }
}

fn running(sim: &Simulation) -> usize {
    sim.api()
        .store()
        .list(Kind::Pod, Some("default"))
        .filter_map(Object::as_pod)
        .filter(|p| {
            p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
                && p.status
                    .as_ref()
                    .and_then(|s| s.container_statuses.as_ref())
                    .is_some_and(|c| c.iter().all(|c| c.ready))
        })
        .count()
}

/// "  (on CPU 1.23ms)" since `start`, when the platform reports it.
fn on_cpu(start: Option<u64>) -> String {
    cpu::cpu_since(start).map_or_else(String::new, |d| format!(" (on CPU {d:?})"))
}

fn main() {
    let pods: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let nodes = pods.div_ceil(100).max(1);
    let mut cluster = ClusterConfig::default();
    for i in 0..nodes {
        cluster.nodes.push(NodeConfig {
            cpu: "64".to_owned(),
            memory: "256Gi".to_owned(),
            ..NodeConfig::worker(&format!("bench{i:04}"))
        });
    }
    let mut sim = Simulation::with_cluster(&SimulationConfig { seed: 1 }, &cluster);
    let yaml = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: probed}}\nspec:\n  replicas: {pods}\n  \
         selector: {{matchLabels: {{app: probed}}}}\n  template:\n    metadata: {{labels: {{app: probed}}}}\n    \
         spec:\n      containers:\n      - name: c\n        image: busybox:1.28\n        \
         command: [sh, -c, 'touch /tmp/healthy; sleep 86400']\n        \
         resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}\n        \
         livenessProbe: {{exec: {{command: [cat, /tmp/healthy]}}, periodSeconds: 10}}\n"
    );
    let deployment = tidepool_core::decode_manifests(&yaml)
        .ok()
        .and_then(|mut v| v.pop())
        .expect("benchmark manifest decodes");
    sim.api_mut()
        .create(deployment)
        .expect("benchmark deployment is valid");
    let t = Instant::now();
    let cpu = cpu::cpu_ns();
    let mut waited = 0;
    while running(&sim) < pods && waited < 300 {
        sim.advance(Duration::from_secs(1));
        waited += 1;
    }
    println!(
        "{} of {pods} pods running and ready after {waited} s virtual ({:?} wall){}",
        running(&sim),
        t.elapsed(),
        on_cpu(cpu)
    );
    // Let the probes settle into their periods, then measure.
    sim.advance(Duration::from_secs(20));
    println!("pods running: {}", memory(pods));
    for round in 1..=rounds {
        let t = Instant::now();
        let cpu = cpu::cpu_ns();
        sim.advance(Duration::from_secs(60));
        let wall = t.elapsed();
        println!(
            "round {round}: advancing one simulated minute ({} probe execs) took {wall:?}{}",
            pods * 6,
            on_cpu(cpu)
        );
    }
    let restarts: i32 = sim
        .api()
        .store()
        .list(Kind::Pod, Some("default"))
        .filter_map(Object::as_pod)
        .filter_map(|p| p.status.as_ref()?.container_statuses.as_ref())
        .flatten()
        .map(|c| c.restart_count)
        .sum();
    println!("container restarts: {restarts} (the probes pass, so 0 is expected)");
    println!("after the rounds: {}", memory(pods));
}
