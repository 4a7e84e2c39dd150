//! Measures, in the page, what a learner feels: a keystroke to its echo painted, and Enter to a
//! command's output painted (`echo` in the shell, `kubectl get ns` through the simulation).
//! Figures are printed for BENCHMARKS.md, never asserted (the CI machine is noisy); the test
//! fails only if an echo or an output never appears.

use fantoccini::Client;
use serde_json::json;
use std::time::Duration;
use tidepool_e2e::{open_playground, terminal_input};

/// Timestamps a keydown on xterm's input (capture phase, before xterm sees it) and the first
/// DOM change that shows the wanted row. xterm's renderer changes the DOM inside an animation
/// frame callback, so that frame paints it: the DOM change is the figure reported. The probe
/// still waits for the following frame so a figure is only read after the paint.
const OBSERVE: &str = "
const rows = document.querySelector('.xterm-rows');
const input = document.querySelector('.xterm-helper-textarea');
window.__latency = null;
const lines = () => Array.from(rows.children)
    .map(row => row.textContent.replace(/\\u00a0/g, ' ').trimEnd());
const matches = (row, l) => l.mode === 'exact' ? row === l.want
    : l.mode === 'start' ? row.startsWith(l.want) : row.endsWith(l.want);
input.addEventListener('keydown', () => {
    const l = window.__latency;
    if (l && l.down === undefined) { l.down = performance.now(); }
}, true);
new MutationObserver(() => {
    const l = window.__latency;
    if (!l || l.down === undefined || l.seen !== undefined) { return; }
    if (!lines().some(row => matches(row, l))) { return; }
    l.seen = performance.now();
    requestAnimationFrame(() => { l.painted = performance.now(); });
}).observe(rows, { subtree: true, childList: true, characterData: true });
";

/// Sends `keys` and returns milliseconds from the keydown to the DOM change that showed a row
/// matching `want` (`mode`: `end`, `exact` or `start`).
async fn measure(browser: &Client, keys: &str, want: &str, mode: &str) -> f64 {
    measure_with_arrival(browser, keys, want, mode).await.0
}

/// [`measure`], and milliseconds from the keydown to the arrival in the UI of the worker's
/// output message (from the UI's performance record, web/src/perf.rs), when one arrived.
async fn measure_with_arrival(
    browser: &Client,
    keys: &str,
    want: &str,
    mode: &str,
) -> (f64, Option<f64>) {
    browser
        .execute(
            "window.__latency = { want: arguments[0], mode: arguments[1] };",
            vec![json!(want), json!(mode)],
        )
        .await
        .expect("arm the probe");
    terminal_input(browser)
        .await
        .send_keys(keys)
        .await
        .expect("type");
    for _ in 0..200 {
        let value = browser
            .execute(
                "const l = window.__latency;\
                 if (!l || l.painted === undefined) { return null; }\
                 const p = window.__tidepoolPerf;\
                 const arrived = (p && p.output || []).find(t => t >= l.down);\
                 return [l.seen - l.down, arrived === undefined ? null : arrived - l.down];",
                vec![],
            )
            .await
            .expect("read the probe");
        if let Some([total, arrival]) = value.as_array().map(Vec::as_slice) {
            return (total.as_f64().unwrap_or(f64::NAN), arrival.as_f64());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no row matching {want:?} ({mode}) appeared after typing {keys:?}");
}

fn summary(name: &str, samples: &[f64]) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    println!(
        "e2e latency: {name}: median {median:.1} ms, min {:.1} ms, max {:.1} ms ({} samples)",
        sorted[0],
        sorted[sorted.len() - 1],
        sorted.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn keystroke_echo_and_command_round_trips_are_measured() {
    let playground = open_playground().await;
    let browser = &playground.browser;
    // The first prompt means the worker is up.
    for attempt in 0.. {
        let ready = browser
            .execute(
                "const rows = document.querySelector('.xterm-rows');\
                 return !!rows && rows.textContent.includes('controlplane $');",
                vec![],
            )
            .await
            .expect("read the terminal");
        if ready.as_bool() == Some(true) {
            break;
        }
        assert!(attempt < 300, "no prompt after 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser
        .execute(OBSERVE, vec![])
        .await
        .expect("install the probe");

    terminal_input(browser)
        .await
        .send_keys("echo lat")
        .await
        .expect("type");
    let mut typed = String::from("echo lat");
    let mut echo = Vec::new();
    for _ in 0..10 {
        typed.push('Q');
        echo.push(measure(browser, "Q", &typed, "end").await);
    }
    summary("keystroke to echo rendered", &echo);

    let output = typed.trim_start_matches("echo ").to_owned();
    let (shell, arrival) = measure_with_arrival(browser, "\n", &output, "exact").await;
    println!(
        "e2e latency: Enter to `echo` output rendered: {shell:.1} ms (output message in the UI \
         after {:.1} ms)",
        arrival.unwrap_or(f64::NAN)
    );

    let mut kubectl = Vec::new();
    let mut arrivals = Vec::new();
    for round in 0..5 {
        terminal_input(browser)
            .await
            .send_keys(&format!("kubectl get ns -o name -l round!={round}"))
            .await
            .expect("type");
        let (total, arrival) =
            measure_with_arrival(browser, "\n", "namespace/kube-system", "exact").await;
        kubectl.push(total);
        arrivals.extend(arrival);
        // Clear the screen so the next round's output is new rows.
        terminal_input(browser)
            .await
            .send_keys("clear\n")
            .await
            .expect("clear");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    summary("Enter to `kubectl get ns` output rendered", &kubectl);
    if !arrivals.is_empty() {
        // The rest of each round trip: the UI's render, xterm's write and its next frame.
        summary(
            "Enter to `kubectl get ns` output message in the UI",
            &arrivals,
        );
    }
    playground.close().await;
}
