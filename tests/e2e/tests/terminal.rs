//! A learner's first minute: type kubectl into the terminal and read real-looking output.

use fantoccini::{Client, Locator};
use std::time::Duration;
use tidepool_e2e::{artifacts_dir, open_playground, type_line, wait_for_text};

/// The virtual clock as shown in the sidebar (`hh:mm:ss`).
async fn clock(browser: &Client) -> String {
    browser
        .find(Locator::Id("virtual-clock"))
        .await
        .expect("the clock")
        .text()
        .await
        .expect("text")
}

fn seconds(clock: &str) -> u64 {
    clock.split(':').fold(0, |total, part| {
        total * 60 + part.parse::<u64>().unwrap_or(0)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_creates_a_deployment_and_lists_its_pods() {
    let playground = open_playground().await;
    let browser = &playground.browser;

    wait_for_text(browser, "controlplane $").await;
    type_line(
        browser,
        "kubectl create deployment web --image=nginx --replicas=3",
    )
    .await;
    let shown = wait_for_text(browser, "deployment.apps/web created").await;
    // A line longer than the terminal is wide wraps once; it is not redrawn row after row.
    let echoed = shown
        .lines()
        .filter(|l| l.contains("$ kubectl create deployment web"))
        .count();
    assert_eq!(echoed, 1, "the typed line should appear once:\n{shown}");

    // Let the simulated cluster schedule and start the pods (virtual time, instant).
    type_line(browser, "sleep 60").await;
    type_line(browser, "kubectl get pods").await;
    let shown = wait_for_text(browser, "READY").await;
    let running: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with("web-") && l.contains("Running"))
        .collect();
    assert_eq!(
        running.len(),
        3,
        "three Running web pods expected:\n{shown}"
    );
    assert!(
        shown.contains("NAME") && shown.contains("STATUS") && shown.contains("RESTARTS"),
        "{shown}"
    );

    // A typo gets kubectl's real error (`... resource type "pdos"`; the terminal may wrap the
    // line at the pane's width, so only its start is matched).
    type_line(browser, "kubectl get pdos").await;
    wait_for_text(browser, "error: the server doesn't have a resource type").await;

    // Time controls: pause holds the virtual clock, +10s steps it.
    browser
        .find(Locator::Id("time-pause"))
        .await
        .expect("pause button")
        .click()
        .await
        .expect("click");
    let paused_at = clock(browser).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        clock(browser).await,
        paused_at,
        "a paused clock must not move"
    );
    browser
        .find(Locator::Id("time-step"))
        .await
        .expect("step button")
        .click()
        .await
        .expect("click");
    let mut stepped = paused_at.clone();
    for _ in 0..50 {
        stepped = clock(browser).await;
        if stepped != paused_at {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        seconds(&stepped),
        seconds(&paused_at) + 10,
        "{paused_at} -> {stepped}"
    );

    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join("terminal.png"), png).expect("save the screenshot");
    playground.close().await;
}
