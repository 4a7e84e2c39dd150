//! Times `kubectl get pods -A` over a cluster of many running pods (issue 5: under 30 ms for
//! 10,000 pods, release build).
//!
//! `cargo run --release -p tidepool-shell --example bench_get -- [PODS] [RUNS]`
//! (`cargo xtask bench` runs it at opt-level 3).
//!
//! This file is a host, not the shell: it may read the wall clock and print.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

use std::time::{Duration, Instant};
use tidepool_core::NodeConfig;
use tidepool_shell::{Feed, Session, SessionConfig};

fn run(session: &mut Session, line: &str) -> String {
    match session.feed_line(line) {
        Feed::Done(out) => out.text(),
        Feed::NeedMore => String::new(),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let pods: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let started = Instant::now();
    let mut session = Session::new(&SessionConfig::default());
    // Enough room for every pod: 20 big workers beside the default three nodes.
    let workers = 20;
    for i in 0..workers {
        let node = NodeConfig {
            pods: pods / workers + 110,
            cpu: "64".to_owned(),
            memory: "256Gi".to_owned(),
            ..NodeConfig::worker(&format!("big{i:02}"))
        };
        if let Err(e) = session.simulation_mut().add_node(&node) {
            eprintln!("add_node: {e:?}");
            std::process::exit(1);
        }
    }
    run(
        &mut session,
        &format!("kubectl create deployment big --image=nginx --replicas={pods}"),
    );
    session.advance(Duration::from_secs(60));
    let running = run(
        &mut session,
        "kubectl get deploy big -o jsonpath='{.status.readyReplicas}'",
    );
    println!(
        "cluster: {pods} pods requested, {running} ready, built in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let mut times = Vec::with_capacity(runs);
    let mut lines = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let out = run(&mut session, "kubectl get pods -A");
        times.push(t.elapsed());
        lines = out.lines().count();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "kubectl get pods -A: {lines} lines; min {:.2} ms, median {:.2} ms, max {:.2} ms over {runs} runs",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
    let t = Instant::now();
    let out = run(&mut session, "kubectl get pods -A -o wide");
    println!(
        "kubectl get pods -A -o wide: {} lines in {:.2} ms",
        out.lines().count(),
        ms(t.elapsed())
    );
}
