//! The playground around the terminal: the live cluster graph, the inspector, the events
//! timeline, themes, and a session that survives a reload (IndexedDB).

use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};
use tidepool_e2e::{
    artifacts_dir, click, js_string, open_playground, screenshot, terminal_screen, type_line,
    wait_for_text, wait_until_within,
};

/// `performance.now()` in the page.
async fn page_now(browser: &Client) -> f64 {
    browser
        .execute("return performance.now();", vec![])
        .await
        .expect("evaluate")
        .as_f64()
        .expect("a number")
}

async fn wait_for_pods(browser: &Client, pods: usize) {
    wait_until_within(
        browser,
        &format!("{pods} pods in the graph"),
        &format!("document.querySelector('#cluster-graph').getAttribute('data-pods') === '{pods}'"),
        Duration::from_secs(60),
    )
    .await;
}

/// The UI's graph records (see web/src/perf.rs) of messages that arrived after `since`.
async fn graph_records(browser: &Client, since: f64) -> Vec<serde_json::Value> {
    let records = browser
        .execute(
            "const p = window.__tidepoolPerf;\
             return p && p.graph ? p.graph.filter(r => r.arrived >= arguments[0]) : [];",
            vec![serde_json::json!(since)],
        )
        .await
        .expect("read the graph records");
    records.as_array().cloned().unwrap_or_default()
}

/// Prints the figures for BENCHMARKS.md: per graph commit, the time from the messages'
/// arrival in the UI (before decoding) to the DOM committed, to the start of the next
/// animation frame, and to after that frame's paint; and the worker's time to build each
/// delta. Never asserted.
fn report_graph_updates(what: &str, records: &[serde_json::Value]) {
    let field = |r: &serde_json::Value, name: &str| r[name].as_f64().unwrap_or(f64::NAN);
    let mut rows: Vec<[f64; 9]> = Vec::new();
    for r in records {
        let arrived = field(r, "arrived");
        rows.push([
            field(r, "committed") - arrived,
            field(r, "frame") - arrived,
            field(r, "painted") - arrived,
            field(r, "entries"),
            field(r, "podChanges"),
            field(r, "buildUs") / 1000.0,
            field(r, "reduced") - arrived,
            field(r, "chipsMs"),
            field(r, "decoded") - arrived,
        ]);
    }
    eprintln!("graph perf: {what}: {} commits", rows.len());
    for r in records {
        eprintln!(
            "graph perf:   render moments after arrival (ms): {}",
            r["stamps"].as_str().unwrap_or("")
        );
    }
    for row in &rows {
        eprintln!(
            "graph perf:   arrival->decoded {:6.1} ms, ->reduced {:6.1} ms, ->commit {:7.1} ms (chips {:6.1} ms), \
             ->frame {:7.1} ms, ->painted {:7.1} ms; {:5} entries ({:4} pods); worker built it \
             in {:6.1} ms",
            row[8], row[6], row[0], row[7], row[1], row[2], row[3], row[4], row[5]
        );
    }
    let max = |i: usize| rows.iter().map(|r| r[i]).fold(0.0_f64, f64::max);
    let median = |i: usize| {
        let mut v: Vec<f64> = rows.iter().map(|r| r[i]).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    eprintln!(
        "graph perf: {what}: arrival->painted median {:.1} ms, max {:.1} ms; \
         arrival->commit max {:.1} ms; largest {} entries; worker delta max {:.1} ms",
        median(2),
        max(2),
        max(0),
        max(3),
        max(5)
    );
}

const RUNNING_WEB_CHIPS: &str = "document.querySelectorAll(\
    '#cluster-graph .tp-chip[data-pod^=\"web-\"][data-status=\"Running\"]').length";

#[tokio::test(flavor = "multi_thread")]
async fn the_graph_follows_the_cluster_and_the_session_survives_a_reload() {
    let playground = open_playground().await;
    let browser = &playground.browser;

    wait_for_text(browser, "controlplane $").await;
    let to_prompt = js_string(browser, "return String(Math.round(performance.now()));").await;
    eprintln!("first load to prompt: about {to_prompt} ms after navigation start");
    // The graph draws the default cluster at once: three nodes.
    wait_until_within(
        browser,
        "three nodes",
        "document.querySelectorAll('#cluster-graph .tp-g-node-head').length === 3",
        Duration::from_secs(10),
    )
    .await;

    type_line(browser, "echo hi > a.txt").await;
    type_line(
        browser,
        "kubectl create deployment web --image=nginx --replicas=3",
    )
    .await;
    wait_for_text(browser, "deployment.apps/web created").await;
    // The chips appear as soon as the pods exist, then turn Running as virtual time passes.
    type_line(browser, "sleep 60").await;
    wait_until_within(
        browser,
        "three Running web chips",
        &format!("{RUNNING_WEB_CHIPS} === 3"),
        Duration::from_secs(15),
    )
    .await;
    // Ownership edges and the Deployment/ReplicaSet boxes are drawn.
    wait_until_within(
        browser,
        "deployment and replicaset boxes",
        "document.querySelector('#cluster-graph .tp-g-deployment') && \
         document.querySelector('#cluster-graph .tp-g-replicaset') && \
         document.querySelectorAll('#cluster-graph .tp-g-edge-owns').length >= 4",
        Duration::from_secs(5),
    )
    .await;
    browser
        .execute(
            "document.querySelector('#cluster-graph .tp-g-node-head').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll to the nodes");
    screenshot(browser, "playground-nodes.png").await;
    // Each chip is labelled for assistive technology with its STATUS.
    let label = js_string(
        browser,
        "return document.querySelector('#cluster-graph .tp-chip[data-pod^=\"web-\"]')\
             .getAttribute('aria-label');",
    )
    .await;
    assert!(label.contains("STATUS Running"), "{label}");
    // The events timeline lists the rollout.
    wait_until_within(
        browser,
        "ScalingReplicaSet in the timeline",
        "document.querySelector('#events-pane').textContent.includes('ScalingReplicaSet')",
        Duration::from_secs(5),
    )
    .await;

    // Keyboard: focus a chip and press Enter: the inspector opens with the pod's YAML.
    browser
        .execute(
            "document.querySelector('#cluster-graph .tp-chip[data-pod^=\"web-\"]').focus();",
            vec![],
        )
        .await
        .expect("focus a chip");
    browser
        .active_element()
        .await
        .expect("the focused chip")
        .send_keys("\u{E007}")
        .await
        .expect("Enter");
    wait_until_within(
        browser,
        "the pod's YAML",
        "document.querySelector('#inspector-text') && \
         document.querySelector('#inspector-text').textContent.startsWith('apiVersion: v1\\nkind: Pod')",
        Duration::from_secs(5),
    )
    .await;
    click(browser, "#inspector-tab-describe").await;
    wait_until_within(
        browser,
        "describe output",
        "document.querySelector('#inspector-text') && \
         document.querySelector('#inspector-text').textContent.startsWith('Name:')",
        Duration::from_secs(5),
    )
    .await;
    screenshot(browser, "playground-inspector.png").await;
    // The page runs under its Content-Security-Policy without a single violation.
    assert_eq!(
        js_string(
            browser,
            "return String(document.documentElement.getAttribute('data-csp-violations'));"
        )
        .await,
        "null",
        "CSP violations (see the console)"
    );
    assert!(
        js_string(
            browser,
            "return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content;"
        )
        .await
        .contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "the built page carries the policy"
    );

    // Delete asks first, then runs kubectl delete; the ReplicaSet replaces the pod.
    let pod = js_string(
        browser,
        "return document.querySelector('#inspector .tp-inspector-title').textContent;",
    )
    .await;
    click(browser, "#inspector-delete").await;
    click(browser, "#inspector-delete-confirm").await;
    wait_until_within(
        browser,
        "the delete answer",
        "document.querySelector('#inspector .tp-deleted') && \
         document.querySelector('#inspector .tp-deleted').textContent.endsWith('deleted\\n')",
        Duration::from_secs(5),
    )
    .await;
    eprintln!("deleted {pod}");
    click(browser, "#inspector-close").await;
    type_line(browser, "sleep 60").await;
    wait_until_within(
        browser,
        "three Running web chips again",
        &format!("{RUNNING_WEB_CHIPS} === 3"),
        Duration::from_secs(15),
    )
    .await;

    // Light theme, saved with the session.
    click(browser, "#theme-toggle").await;
    wait_until_within(
        browser,
        "the light theme",
        "document.documentElement.getAttribute('data-theme') === 'light'",
        Duration::from_secs(2),
    )
    .await;
    screenshot(browser, "playground-light.png").await;
    click(browser, "#theme-toggle").await;
    screenshot(browser, "playground-dark.png").await;
    click(browser, "#theme-toggle").await;

    // Saves are debounced by a second of real time; give it two, then reload.
    tokio::time::sleep(Duration::from_secs(2)).await;
    browser.refresh().await.expect("reload");
    wait_for_text(browser, "controlplane $").await;
    wait_until_within(
        browser,
        "the restored notice",
        "document.querySelector('#notices') && document.querySelector('#notices').textContent.length > 0",
        Duration::from_secs(10),
    )
    .await;
    wait_until_within(
        browser,
        "three Running web chips after the reload",
        &format!("{RUNNING_WEB_CHIPS} === 3"),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        js_string(
            browser,
            "return document.documentElement.getAttribute('data-theme');"
        )
        .await,
        "light",
        "the theme is restored"
    );
    type_line(browser, "cat a.txt").await;
    let shown = wait_for_text(browser, "$ cat a.txt").await;
    let shown = if shown.lines().any(|l| l == "hi") {
        shown
    } else {
        tokio::time::sleep(Duration::from_millis(500)).await;
        terminal_screen(browser).await
    };
    assert!(
        shown.lines().any(|l| l == "hi"),
        "the file survived:\n{shown}"
    );
    screenshot(browser, "playground-restored.png").await;

    // 1,000 pods: time from Enter to the graph holding all of them (filtered to default).
    let select = browser
        .find(Locator::Id("namespace-filter"))
        .await
        .expect("the namespace filter");
    select
        .select_by_value("default")
        .await
        .expect("choose default");
    let since = page_now(browser).await;
    let started = Instant::now();
    type_line(browser, "kubectl scale deployment web --replicas=1000").await;
    wait_for_pods(browser, 1000).await;
    eprintln!(
        "graph: 3 -> 1,000 pods drawn {} ms after Enter",
        started.elapsed().as_millis()
    );
    report_graph_updates(
        "scale 3 -> 1,000 as time runs (1x)",
        &graph_records(browser, since).await,
    );
    browser
        .execute(
            "document.querySelector('#cluster-graph .tp-g-node-head').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll to the nodes");
    screenshot(browser, "playground-1000-pods.png").await;
    // The 1,000 pods grouped beyond the visible limit: every pod is counted, not every pod
    // is a chip.
    let chips = js_string(
        browser,
        "return String(document.querySelectorAll('#cluster-graph .tp-chip').length);",
    )
    .await;
    eprintln!("graph: {chips} chips drawn for 1,000 pods");

    // a) One delta that adds 1,000 pods: with the clock paused, scale down and back up in
    // one line each, so each reaches the UI as a single update. Three rounds, as one
    // figure on a shared machine says little.
    click(browser, "#time-pause").await;
    for round in 1..=3 {
        type_line(
            browser,
            "kubectl scale deployment web --replicas=3 && sleep 60",
        )
        .await;
        wait_for_pods(browser, 3).await;
        // Let the removal's frames settle before timing the next delta.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let since = page_now(browser).await;
        type_line(
            browser,
            "kubectl scale deployment web --replicas=1000 && sleep 60",
        )
        .await;
        wait_for_pods(browser, 1000).await;
        // Wait for the frame after the commit to be recorded.
        tokio::time::sleep(Duration::from_millis(300)).await;
        report_graph_updates(
            &format!("one delta adding 997 pods, round {round}"),
            &graph_records(browser, since).await,
        );
    }

    // b) A rolling update of the 1,000 pods, drawn as it happens: ten real seconds at 10x.
    // (The default cluster holds about 220 pods; the rest stay Pending, so the rollout
    // itself never completes: the window is fixed instead.)
    let since = page_now(browser).await;
    browser
        .execute(
            "Array.from(document.querySelectorAll('.tp-time-buttons button'))\
                 .find(b => b.textContent === '10x').click();",
            vec![],
        )
        .await
        .expect("10x speed");
    type_line(browser, "kubectl set image deployment/web nginx=nginx:1.27").await;
    wait_until_within(
        browser,
        "a second ReplicaSet",
        "document.querySelectorAll('#cluster-graph .tp-g-replicaset').length === 2",
        Duration::from_secs(10),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    click(browser, "#time-pause").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    report_graph_updates(
        "rolling update of 1,000 pods (10 s at 10x)",
        &graph_records(browser, since).await,
    );
    screenshot(browser, "playground-1000-pods-rolled.png").await;
    playground.close().await;
}

/// Import a session file (the worker's own export format), refuse a broken one with a
/// notice, reset the cluster after confirming, and show the UI in Korean.
#[tokio::test(flavor = "multi_thread")]
async fn import_reset_and_korean() {
    use tidepool_worker::ClusterHandler;
    use tidepool_worker::protocol::{FromCluster, TerminalId, ToCluster};

    let mut handler = ClusterHandler::default();
    for text in [
        "echo imported > b.txt",
        "kubectl create deployment api --image=nginx --replicas=2",
    ] {
        handler.handle(ToCluster::Line {
            terminal: TerminalId::FIRST,
            text: text.to_owned(),
        });
    }
    handler.handle(ToCluster::Advance { millis: 60_000 });
    let replies = handler.handle(ToCluster::ExportSession);
    let Some(FromCluster::SessionFile { json, .. }) = replies.into_iter().next() else {
        panic!("no session file");
    };
    let dir = artifacts_dir();
    let good = dir.join("import-good.json");
    let bad = dir.join("import-bad.json");
    std::fs::write(&good, json).expect("write the session file");
    std::fs::write(&bad, "{\"format\":\"tidepool-session\",\"version\":99}").expect("write");

    let playground = open_playground().await;
    let browser = &playground.browser;
    wait_for_text(browser, "controlplane $").await;

    let input = browser
        .find(Locator::Id("import-session"))
        .await
        .expect("the file input");
    input
        .send_keys(bad.to_str().expect("utf-8 path"))
        .await
        .expect("pick the bad file");
    wait_until_within(
        browser,
        "the import-failed notice",
        "document.querySelector('#notices').textContent.includes('saved by a newer Tidepool')",
        Duration::from_secs(10),
    )
    .await;
    input
        .send_keys(good.to_str().expect("utf-8 path"))
        .await
        .expect("pick the session file");
    wait_until_within(
        browser,
        "two Running api chips from the imported session",
        "document.querySelectorAll('#cluster-graph .tp-chip[data-pod^=\"api-\"][data-status=\"Running\"]').length === 2",
        Duration::from_secs(10),
    )
    .await;
    type_line(browser, "cat b.txt").await;
    wait_for_text(browser, "imported").await;

    click(browser, "#reset-cluster").await;
    click(browser, "#reset-confirm").await;
    wait_until_within(
        browser,
        "no api chips after the reset",
        "document.querySelectorAll('#cluster-graph .tp-chip[data-pod^=\"api-\"]').length === 0 && \
         document.querySelectorAll('#cluster-graph .tp-chip').length > 0",
        Duration::from_secs(10),
    )
    .await;
    // Files survive a reset: the second `cat` prints the line again.
    type_line(browser, "cat b.txt").await;
    let mut shown = String::new();
    for _ in 0..50 {
        shown = terminal_screen(browser).await;
        if shown.lines().filter(|l| *l == "imported").count() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        shown.lines().filter(|l| *l == "imported").count(),
        2,
        "b.txt survives the reset:\n{shown}"
    );

    click(browser, ".tp-lang").await;
    wait_until_within(
        browser,
        "Korean",
        "document.documentElement.lang === 'ko' && \
         document.querySelector('#events-pane').textContent.includes('이벤트')",
        Duration::from_secs(5),
    )
    .await;
    screenshot(browser, "playground-korean.png").await;
    playground.close().await;
}
