//! The Grad-CAM lab end to end: open the tab, watch the weights load, click a sample, see the
//! top-5 and a drawn overlay; reload and get the weights from the cache. Without WebGPU the
//! lab falls back to Flex, says so, and a colormap change redraws without running the network.

use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};
use tidepool_e2e::{
    Gpu, artifacts_dir, cdp, open_playground, open_playground_with, wait_until_within,
};

/// The model loads on SwiftShader WebGPU or Flex; a 2-core CI machine needs time.
const MODEL_WAIT: Duration = Duration::from_secs(240);

async fn open_lab(browser: &Client) -> String {
    browser
        .find(Locator::Id("tab-gradcam"))
        .await
        .expect("the Grad-CAM tab")
        .click()
        .await
        .expect("click the tab");
    let backend = browser
        .wait()
        .at_most(MODEL_WAIT)
        .for_element(Locator::Id("gc-backend"))
        .await
        .expect("the model loads and names its backend");
    backend.text().await.expect("backend text")
}

/// Reloads the page, opens the lab again once its tab is back, and returns the model status.
async fn reload_and_open_lab(browser: &Client) -> String {
    browser.refresh().await.expect("reload");
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("tab-gradcam"))
        .await
        .expect("the lab tabs after reload");
    open_lab(browser).await;
    status_text(browser).await
}

async fn status_text(browser: &Client) -> String {
    browser
        .find(Locator::Id("gc-model-status"))
        .await
        .expect("model status")
        .text()
        .await
        .expect("text")
}

/// Clicks a bundled sample and waits for the top-5; returns its text and the seconds it took.
async fn explain_sample(browser: &Client, sample: &str) -> (String, f64) {
    let started = Instant::now();
    browser
        .find(Locator::Id(&format!("gc-sample-{sample}")))
        .await
        .unwrap_or_else(|e| panic!("the {sample} sample: {e}"))
        .click()
        .await
        .expect("click the sample");
    let top5 = browser
        .wait()
        .at_most(MODEL_WAIT)
        .for_element(Locator::Id("gc-top5"))
        .await
        .expect("the top-5 appears");
    let text = top5.text().await.expect("top-5 text");
    (text, started.elapsed().as_secs_f64())
}

/// The timings list, on one line.
async fn timings(browser: &Client) -> String {
    browser
        .find(Locator::Id("gc-timings"))
        .await
        .expect("timings")
        .text()
        .await
        .expect("text")
        .replace('\n', " ")
}

/// Sum of the overlay canvas's colour channels (0 means nothing was drawn).
async fn overlay_ink(browser: &Client) -> f64 {
    browser
        .execute(
            "const c = document.getElementById('gc-overlay');\
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;\
             let s = 0; for (let i = 0; i < d.length; i += 4) { s += d[i] + d[i + 1] + d[i + 2]; }\
             return s;",
            vec![],
        )
        .await
        .expect("read the overlay canvas")
        .as_f64()
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sample_photo_gets_top5_and_an_overlay() {
    let playground = open_playground().await;
    let browser = &playground.browser;
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("tab-gradcam"))
        .await
        .expect("the lab tabs");

    let started = Instant::now();
    let backend = open_lab(browser).await;
    let status = status_text(browser).await;
    println!(
        "e2e: model ready on {backend} after {:.1} s: {status}",
        started.elapsed().as_secs_f64()
    );
    assert!(status.contains("weights downloaded"), "{status}");

    let (top5_text, seconds) = explain_sample(browser, "chelsea").await;
    println!("e2e: chelsea explained in {seconds:.1} s");
    assert!(
        top5_text.contains("tiger cat") && top5_text.contains("Egyptian cat"),
        "{top5_text}"
    );
    let classes = browser
        .find_all(Locator::Css("#gc-top5 .gc-class"))
        .await
        .expect("classes");
    assert_eq!(classes.len(), 5);
    println!("e2e: timings: {}", timings(browser).await);
    assert!(overlay_ink(browser).await > 0.0, "the overlay is blank");

    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join("gradcam.png"), png).expect("save the screenshot");

    // A reload takes the weights from the Cache API.
    let status = reload_and_open_lab(browser).await;
    assert!(status.contains("weights from the cache"), "{status}");
    playground.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_webgpu_the_lab_falls_back_to_flex_and_recolours_without_a_new_pass() {
    let playground = open_playground_with(Gpu::None).await;
    let browser = &playground.browser;
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("tab-gradcam"))
        .await
        .expect("the lab tabs");
    let backend = open_lab(browser).await;
    assert_eq!(backend, "CPU (Flex)");
    let fallback = browser
        .find(Locator::Css("#gc-model-status .gc-fallback"))
        .await
        .expect("the lab says why it is not on WebGPU");
    println!(
        "e2e: no WebGPU: {} ({})",
        fallback.text().await.expect("text"),
        fallback
            .attr("title")
            .await
            .expect("title")
            .unwrap_or_default()
    );

    let (top5_text, seconds) = explain_sample(browser, "coffee").await;
    println!("e2e: coffee explained on Flex in {seconds:.1} s");
    assert!(top5_text.contains("espresso"), "{top5_text}");
    println!("e2e: Flex timings: {}", timings(browser).await);
    assert!(
        browser.find(Locator::Id("gc-reused")).await.is_err(),
        "the first analysis runs the network"
    );
    let ink_before = overlay_ink(browser).await;
    assert!(ink_before > 0.0, "the overlay is blank");

    // Another colormap: the worker reuses the pass and only redraws the map.
    browser
        .execute(
            "const s = document.getElementById('gc-colormap');\
             s.value = 'viridis'; s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("pick viridis");
    browser
        .wait()
        .at_most(MODEL_WAIT)
        .for_element(Locator::Id("gc-reused"))
        .await
        .expect("the lab says the pass was reused");
    println!("e2e: after a colormap change: {}", timings(browser).await);
    let ink_after = overlay_ink(browser).await;
    assert!(
        ink_after > 0.0 && ink_after != ink_before,
        "the overlay is redrawn in the new colormap ({ink_before} -> {ink_after})"
    );
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join("gradcam-flex.png"), png).expect("save the screenshot");
    playground.close().await;
}

/// A full disk must not break the lab: with the origin's quota cut to what it already uses
/// plus 1 MB (once the service worker controls the page), the Grad-CAM worker and its weights
/// cannot be cached, so they are served uncached, on the first visit and after a reload.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_still_loads_the_lab_uncached() {
    let playground = open_playground().await;
    let browser = &playground.browser;
    wait_until_within(
        browser,
        "the service worker to control the page",
        "navigator.serviceWorker && navigator.serviceWorker.controller",
        Duration::from_secs(180),
    )
    .await;
    let origin = browser
        .execute("return location.origin;", vec![])
        .await
        .expect("origin");
    let usage = browser
        .execute(
            "return navigator.storage.estimate().then((e) => e.usage);",
            vec![],
        )
        .await
        .expect("storage estimate")
        .as_f64()
        .expect("usage in bytes");
    let quota = usage + 1_000_000.0;
    cdp(
        browser,
        "Storage.overrideQuotaForOrigin",
        serde_json::json!({ "origin": origin, "quotaSize": quota }),
    )
    .await;
    println!("e2e: quota cut to {quota} bytes ({usage} used)");

    open_lab(browser).await;
    let status = status_text(browser).await;
    assert!(status.contains("weights downloaded"), "{status}");

    let status = reload_and_open_lab(browser).await;
    assert!(status.contains("weights downloaded"), "{status}");
    playground.close().await;
}
