//! On-CPU time for the benchmark examples: on this shared machine wall time moves with the
//! load, the time the thread spent on a CPU much less. Included by each example with `#[path]`.

use std::time::Duration;

/// Nanoseconds this process's main thread has run on a CPU (`None` where `/proc` is missing:
/// off Linux, or in wasm without `/proc` preopened).
pub fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU time since `start` (a [`cpu_ns`] reading), when the platform reports it.
pub fn cpu_since(start: Option<u64>) -> Option<Duration> {
    Some(Duration::from_nanos(cpu_ns()?.saturating_sub(start?)))
}
