//! Harness for the end-to-end tests: serves a built site over loopback, starts chromedriver,
//! and opens Debian's Chromium through it. `cargo xtask test` builds the site and sets
//! `TIDEPOOL_DIST`; the tests fail (never skip) without it.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The built site to test, from `TIDEPOOL_DIST`.
pub fn dist_from_env() -> PathBuf {
    let dist = std::env::var_os("TIDEPOOL_DIST").map(PathBuf::from).expect(
        "TIDEPOOL_DIST is not set: run the end-to-end tests through `cargo xtask test`, \
         which builds the site first",
    );
    assert!(
        dist.join("index.html").is_file(),
        "{} has no index.html",
        dist.display()
    );
    dist
}

/// Where screenshots go, from `TIDEPOOL_ARTIFACTS` (default `tests/e2e/artifacts`).
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("TIDEPOOL_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts"));
    std::fs::create_dir_all(&dir).expect("create the artifacts folder");
    dir
}

/// The built playground open in a fresh browser. Fields drop in order: the session's
/// chromedriver first, then the site.
pub struct Playground {
    pub browser: Client,
    _driver: Chromedriver,
    _site: StaticSite,
}

/// Serves `TIDEPOOL_DIST`, starts chromedriver and opens the playground in Chromium.
pub async fn open_playground() -> Playground {
    open_playground_with(Gpu::WebGpu).await
}

/// Whether the browser offers WebGPU (SwiftShader in headless Chromium) or not at all, as in
/// browsers that do not ship it yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gpu {
    WebGpu,
    None,
}

/// [`open_playground`] with or without WebGPU.
pub async fn open_playground_with(gpu: Gpu) -> Playground {
    let site = StaticSite::serve(dist_from_env());
    let driver = Chromedriver::start();
    let browser = driver.browser_with(gpu).await;
    browser
        .goto(&site.url())
        .await
        .expect("open the playground");
    Playground {
        browser,
        _driver: driver,
        _site: site,
    }
}

impl Playground {
    /// Stops serving the site, as if the learner went offline: new connections are refused.
    pub fn stop_site(&mut self) {
        self._site.stop();
    }

    /// Ends the browser session (the processes stop on drop).
    pub async fn close(self) {
        self.browser
            .clone()
            .close()
            .await
            .expect("close the browser");
    }
}

/// A static file server for a built site on 127.0.0.1, stopped on drop.
///
/// Deliberately minimal (std only): one thread per connection and `Connection: close` on every
/// response, so no keep-alive or pipelining state can leave the page waiting on a request.
/// Each request is logged to stderr, which the test output shows when a test fails.
pub struct StaticSite {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StaticSite {
    pub fn serve(root: PathBuf) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let root = root.clone();
                    std::thread::spawn(move || serve_one(&root, stream));
                }
            })
        };
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops accepting connections and closes the listening socket (idempotent).
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = TcpStream::connect(self.addr); // wakes the accept loop so it sees `stop`
            let _ = thread.join();
        }
    }
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The headers that make a page cross-origin isolated (`crossOriginIsolated`), so that it
/// may create a `SharedArrayBuffer`. Every resource of the site is same-origin, so
/// `require-corp` blocks nothing. `TIDEPOOL_E2E_ISOLATION=0` serves without them, as static
/// hosting without headers would (the answer slot is off: messages only).
const CROSS_ORIGIN_ISOLATION: &str =
    "Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n";

/// Answers one request on `stream`, then closes it.
fn serve_one(root: &Path, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.split_whitespace();
    let (method, url) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
    let found = resolve(root, url).and_then(|path| Some((std::fs::read(&path).ok()?, path)));
    let (status, content_type, body) = match (method, found) {
        ("GET", Some((body, path))) => ("200 OK", content_type(&path), body),
        _ => ("404 Not Found", "text/plain", b"not found".to_vec()),
    };
    eprintln!(
        "e2e server: {method} {url} -> {status} ({} bytes)",
        body.len()
    );
    // Cross-origin isolation (as `cargo xtask serve` sends it, see Trunk.toml): the page may
    // share memory with its workers, for the terminal's answer slot.
    let isolation = match std::env::var("TIDEPOOL_E2E_ISOLATION").as_deref() {
        Ok("0") => "",
        _ => CROSS_ORIGIN_ISOLATION,
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\n{isolation}Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(header.as_bytes())
        .and_then(|()| stream.write_all(&body));
    let _ = stream.flush();
}

/// Maps a request URL to a file under `root`; refuses anything that climbs out of it.
fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("/")
        .trim_start_matches('/');
    let relative = Path::new(if path.is_empty() { "index.html" } else { path });
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let full = root.join(relative);
    full.is_file().then_some(full)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// A chromedriver process on a free loopback port, killed on drop.
pub struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let program = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {program}: {e}"));
        let driver = Self { child, port };
        // Bounded readiness poll: chromedriver starts in well under a second.
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    /// A new headless Chromium session at 1280x720 with WebGPU enabled.
    pub async fn browser(&self) -> Client {
        self.browser_with(Gpu::WebGpu).await
    }

    /// A new headless Chromium session at 1280x720, with or without WebGPU.
    pub async fn browser_with(&self, gpu: Gpu) -> Client {
        let webgpu = match gpu {
            // Headless Chromium offers WebGPU (on SwiftShader) only with this switch.
            Gpu::WebGpu => "--enable-unsafe-webgpu",
            Gpu::None => "--disable-features=WebGPU",
        };
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                    webgpu, "--window-size=1280,720",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic"
                ]
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session through chromedriver")
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- helpers shared by the tests

/// The shown terminal tab's text (xterm's DOM renderer), rows joined with newlines. Hidden
/// tabs keep their xterms (`[hidden]` panels); only the shown one counts.
pub async fn terminal_screen(browser: &Client) -> String {
    js_string(
        browser,
        "return Array.from(document.querySelectorAll('.tp-xterm:not([hidden]) .xterm-rows > div'))\
             .map(row => row.textContent.replace(/\\u00a0/g, ' ').trimEnd()).join('\\n')",
    )
    .await
}

/// The shown terminal tab's xterm input, where keys go.
pub async fn terminal_input(browser: &Client) -> fantoccini::elements::Element {
    browser
        .find(Locator::Css(
            ".tp-xterm:not([hidden]) .xterm-helper-textarea",
        ))
        .await
        .expect("xterm input")
}

/// Types `line` and Enter into the terminal.
pub async fn type_line(browser: &Client, line: &str) {
    terminal_input(browser)
        .await
        .send_keys(&format!("{line}\n"))
        .await
        .expect("type");
}

/// Waits (at most 15 s) until the terminal shows `needle`; returns the screen.
pub async fn wait_for_text(browser: &Client, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..150 {
        last = terminal_screen(browser).await;
        if last.contains(needle) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the terminal never showed {needle:?}; it shows:\n{last}");
}

/// Runs a script and returns its string result ("" for anything else).
pub async fn js_string(browser: &Client, script: &str) -> String {
    browser
        .execute(script, vec![])
        .await
        .expect("evaluate")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// WebDriver key codes for `send_keys`.
pub mod keys {
    pub const BACKSPACE: char = '\u{E003}';
    pub const ENTER: char = '\u{E007}';
    pub const SHIFT: char = '\u{E008}';
    pub const CONTROL: char = '\u{E009}';
    pub const ALT: char = '\u{E00A}';
    pub const ESCAPE: char = '\u{E00C}';
    pub const END: char = '\u{E010}';
    pub const HOME: char = '\u{E011}';
    pub const UP: char = '\u{E013}';
    pub const DOWN: char = '\u{E015}';
    /// Releases held modifiers.
    pub const NULL: char = '\u{E000}';
}

/// Runs a JS expression until it returns true, for at most `limit`; returns how long it took.
pub async fn wait_until_within(
    browser: &Client,
    what: &str,
    js_condition: &str,
    limit: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        let value = browser
            .execute(&format!("return Boolean({js_condition});"), vec![])
            .await
            .expect("evaluate");
        if value.as_bool() == Some(true) {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// [`wait_until_within`] 20 s.
pub async fn wait_until(browser: &Client, what: &str, js_condition: &str) {
    wait_until_within(browser, what, js_condition, Duration::from_secs(20)).await;
}

/// Clicks the element `css` selects.
pub async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Saves a screenshot under the artifacts folder.
pub async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join(name), png).expect("save the screenshot");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_refuses_paths_outside_the_site() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(
            resolve(root, "/Cargo.toml?x=1"),
            Some(root.join("Cargo.toml"))
        );
        assert_eq!(resolve(root, "/../Cargo.toml"), None);
        assert_eq!(resolve(root, "/missing.js"), None);
    }
}

/// A Chrome DevTools Protocol command, sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct CdpCommand {
    method: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for CdpCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.method, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Runs a Chrome DevTools Protocol command (e.g. `Storage.overrideQuotaForOrigin`) in the
/// browser and returns its result.
pub async fn cdp(
    browser: &Client,
    method: &'static str,
    params: serde_json::Value,
) -> serde_json::Value {
    browser
        .issue_cmd(CdpCommand { method, params })
        .await
        .unwrap_or_else(|e| panic!("CDP {method}: {e}"))
}
