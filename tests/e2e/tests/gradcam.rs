//! The Grad-CAM lab end to end: open the tab, watch the weights load, click a sample, see the
//! top-5 and a drawn overlay; reload and get the weights from the cache.

use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};
use tidepool_e2e::{artifacts_dir, open_playground};

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

async fn status_text(browser: &Client) -> String {
    browser
        .find(Locator::Id("gc-model-status"))
        .await
        .expect("model status")
        .text()
        .await
        .expect("text")
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

    let started = Instant::now();
    browser
        .find(Locator::Id("gc-sample-chelsea"))
        .await
        .expect("the chelsea sample")
        .click()
        .await
        .expect("click the sample");
    let top5 = browser
        .wait()
        .at_most(MODEL_WAIT)
        .for_element(Locator::Id("gc-top5"))
        .await
        .expect("the top-5 appears");
    let top5_text = top5.text().await.expect("top-5 text");
    println!(
        "e2e: chelsea explained in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        top5_text.contains("tiger cat") && top5_text.contains("Egyptian cat"),
        "{top5_text}"
    );
    let classes = browser
        .find_all(Locator::Css("#gc-top5 .gc-class"))
        .await
        .expect("classes");
    assert_eq!(classes.len(), 5);
    let timings = browser
        .find(Locator::Id("gc-timings"))
        .await
        .expect("timings")
        .text()
        .await
        .expect("text");
    println!("e2e: timings: {}", timings.replace('\n', " "));
    assert!(overlay_ink(browser).await > 0.0, "the overlay is blank");

    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join("gradcam.png"), png).expect("save the screenshot");

    // A reload takes the weights from the Cache API.
    browser.refresh().await.expect("reload");
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("tab-gradcam"))
        .await
        .expect("the lab tabs after reload");
    open_lab(browser).await;
    let status = status_text(browser).await;
    assert!(status.contains("weights from the cache"), "{status}");
    playground.close().await;
}
