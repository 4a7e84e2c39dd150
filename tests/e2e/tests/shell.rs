//! The built playground loads in Chromium, shows its shell, and its cluster worker answers.

use fantoccini::Locator;
use std::time::Duration;
use tidepool_e2e::{artifacts_dir, open_playground};

#[tokio::test(flavor = "multi_thread")]
async fn shell_loads_and_the_cluster_worker_answers() {
    let playground = open_playground().await;
    let browser = &playground.browser;
    let status = browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(
            "//footer[@id='status-line'][contains(., 'Cluster worker ready')]",
        ))
        .await
        .expect("the status line says the cluster worker answered");
    let status_text = status.text().await.expect("status text");
    assert!(status_text.contains("seed 1"), "{status_text}");

    for selector in [
        "#tidepool-shell",
        "#terminal-pane",
        "#graph-pane",
        "header h1",
    ] {
        browser
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|_| panic!("missing {selector}"));
    }
    let ready_ms = browser
        .execute("return performance.now()", vec![])
        .await
        .expect("performance.now")
        .as_f64()
        .unwrap_or(f64::NAN);
    println!("e2e: worker answered {ready_ms:.0} ms after navigation start");

    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join("shell.png"), png).expect("save the screenshot");
    playground.close().await;
}
