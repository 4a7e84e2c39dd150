//! The playground works offline: once its service worker controls the page, the server can
//! go away and a reload still gives a working prompt, served cross-origin isolated.

use fantoccini::{Client, Locator};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};
use tidepool_e2e::{
    Chromedriver, StaticSite, dist_from_env, js_string, open_playground, type_line, wait_for_text,
    wait_until, wait_until_within,
};

/// Runs an async script (its promise's result, as a string).
async fn js_async(browser: &Client, script: &str) -> String {
    browser
        .execute_async(
            &format!(
                "const done = arguments[arguments.length - 1];\n\
                 (async () => {{ {script} }})().then(done, e => done('error: ' + e));"
            ),
            vec![],
        )
        .await
        .expect("evaluate")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reload_without_the_server_still_gives_a_working_prompt() {
    let mut playground = open_playground().await;
    let browser = playground.browser.clone();
    wait_for_text(&browser, "controlplane $").await;

    // The worker registers once the prompt is up, precaches the site, then claims the page.
    let waited = wait_until_within(
        &browser,
        "the service worker to control the page",
        "navigator.serviceWorker && navigator.serviceWorker.controller",
        Duration::from_secs(180),
    )
    .await;
    eprintln!("offline: the service worker controlled the page after {waited:?}");
    wait_until(
        &browser,
        "the status line to say the site is available offline",
        "document.querySelector('#status-line #offline-status')?.textContent.includes('Available offline')",
    )
    .await;
    let caches = js_async(
        &browser,
        "return (await caches.keys()).filter(k => k.startsWith('tidepool-sw-')).join(',');",
    )
    .await;
    let precache = caches
        .split(',')
        .find(|name| !name.ends_with("-lazy"))
        .unwrap_or_else(|| panic!("no precache among the caches: {caches:?}"))
        .to_owned();
    let cached = js_async(
        &browser,
        &format!(
            "const keys = await (await caches.open('{precache}')).keys();\n\
             return keys.map(r => new URL(r.url).pathname).sort().join(' ');"
        ),
    )
    .await;
    eprintln!("offline: {precache} holds {cached}");
    for file in ["/index.html", "/cluster-worker_bg.wasm", "/explain.data.gz"] {
        assert!(
            cached.split(' ').any(|path| path == file),
            "{file} is not precached: {cached}"
        );
    }
    assert!(
        !cached.contains("/sw.js"),
        "the worker caches itself: {cached}"
    );

    // Offline: the server stops listening.
    let url = browser.current_url().await.expect("the page's URL");
    let address = format!(
        "{}:{}",
        url.host_str().expect("a host"),
        url.port().expect("a port")
    );
    playground.stop_site();
    assert!(
        TcpStream::connect(&address).is_err(),
        "the server at {address} still accepts connections"
    );

    browser.refresh().await.expect("reload");
    wait_for_text(&browser, "controlplane $").await;
    type_line(&browser, "kubectl get nodes").await;
    let shown = wait_for_text(&browser, "control-plane").await;
    assert!(
        shown
            .lines()
            .any(|line| line.starts_with("controlplane") && line.contains("Ready")),
        "the control plane node should be listed Ready:\n{shown}"
    );
    // Served by the worker, with COOP and COEP: the reloaded page is cross-origin isolated.
    assert_eq!(
        js_string(&browser, "return String(window.crossOriginIsolated);").await,
        "true"
    );
    assert_eq!(
        js_string(
            &browser,
            "return document.documentElement.getAttribute('data-csp-violations') || '';"
        )
        .await,
        "",
        "the Content-Security-Policy blocked something"
    );
    playground.close().await;
}

/// Copies a built site (flat but for one level of folders, as Trunk writes it).
fn copy_site(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the site") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_site(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// Evaluates `js_condition` until it is true, through page loads (a script run while the
/// page reloads fails; that counts as not yet).
async fn wait_across_reload(browser: &Client, what: &str, js_condition: &str) {
    let started = Instant::now();
    loop {
        let value = browser
            .execute(&format!("return Boolean({js_condition});"), vec![])
            .await;
        if matches!(value, Ok(v) if v.as_bool() == Some(true)) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const OUR_CACHES: &str =
    "return (await caches.keys()).filter(k => k.startsWith('tidepool-sw-')).sort().join(',');";

#[tokio::test(flavor = "multi_thread")]
async fn a_new_build_is_offered_and_the_reload_button_switches_to_it() {
    // A copy of the site, so its worker can be changed as a new deployment would.
    let site_dir = std::env::temp_dir().join(format!("tidepool-offline-{}", std::process::id()));
    copy_site(&dist_from_env(), &site_dir);
    let site = StaticSite::serve(site_dir.clone());
    let driver = Chromedriver::start();
    let browser = driver.browser().await;
    browser
        .goto(&site.url())
        .await
        .expect("open the playground");
    wait_for_text(&browser, "controlplane $").await;
    wait_until_within(
        &browser,
        "the status line to say the site is available offline",
        "document.querySelector('#offline-status')?.textContent.includes('Available offline')",
        Duration::from_secs(180),
    )
    .await;
    let before = js_async(&browser, OUR_CACHES).await;
    assert!(!before.is_empty() && !before.contains(','), "{before}");

    // "Deploy" a new build: the worker's manifest names a new version.
    let worker_path = site_dir.join("sw.js");
    let worker = std::fs::read_to_string(&worker_path).expect("the worker");
    let version = before.trim_start_matches("tidepool-sw-");
    let next = format!("{version}next");
    let changed = worker.replace(
        &format!("version: \"{version}\""),
        &format!("version: \"{next}\""),
    );
    assert_ne!(changed, worker, "the manifest's version was not found");
    std::fs::write(&worker_path, changed).expect("write the new worker");

    // The browser checks for it on navigations; the test asks at once.
    js_async(
        &browser,
        "await (await navigator.serviceWorker.getRegistration()).update(); return '';",
    )
    .await;
    wait_until_within(
        &browser,
        "the status line to offer the update",
        "document.querySelector('#offline-status')?.textContent.includes('Update ready')",
        Duration::from_secs(180),
    )
    .await;
    // Until the learner accepts it, the page keeps its build.
    assert_eq!(
        js_async(&browser, OUR_CACHES).await,
        format!("{before},tidepool-sw-{next}")
    );

    browser
        .execute("window.__beforeUpdate = true; return null;", vec![])
        .await
        .expect("mark the page");
    browser
        .find(Locator::Id("offline-reload"))
        .await
        .expect("the reload button")
        .click()
        .await
        .expect("click reload");
    wait_across_reload(
        &browser,
        "the page to reload under the new worker",
        "!window.__beforeUpdate && document.querySelector('#offline-status')",
    )
    .await;
    wait_for_text(&browser, "controlplane $").await;
    wait_until(
        &browser,
        "the new build to be available offline",
        "document.querySelector('#offline-status')?.textContent.includes('Available offline')",
    )
    .await;
    // The old build's cache is gone once the new worker activated.
    assert_eq!(
        js_async(&browser, OUR_CACHES).await,
        format!("tidepool-sw-{next}")
    );
    browser.close().await.expect("close the browser");
    drop(site);
    let _ = std::fs::remove_dir_all(&site_dir);
}
