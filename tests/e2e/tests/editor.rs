//! The editor pane: `vi web.yaml` opens CodeMirror over the terminal; the simulator's own
//! validation marks a bad line; vim's command line answers `:q` with E37 and saves with `:wq`;
//! Ctrl-S saves and closes; `kubectl apply` takes the file; after a reload the file and the
//! cluster are still there.

use fantoccini::{Client, Locator};
use std::time::Duration;
use tidepool_e2e::keys::{BACKSPACE, CONTROL, DOWN, END, ENTER, ESCAPE, HOME, NULL, SHIFT};
use tidepool_e2e::{js_string, open_playground, screenshot, type_line, wait_for_text, wait_until};

/// Keys to the focused element (CodeMirror's content, or the command line).
async fn keys(browser: &Client, css: &str, text: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("keys to {css}: {e}"));
}

const DEPLOYMENT: &[&str] = &[
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    "  name: web",
    "spec:",
    "  replicas: -1",
    "  selector:",
    "    matchLabels:",
    "      app: web",
    "  template:",
    "    metadata:",
    "      labels:",
    "        app: web",
    "    spec:",
    "      containers:",
    "      - name: web",
    "        image: nginx",
];

const EDITOR_OPEN: &str = "document.querySelector('#editor-pane .cm-editor') !== null";
const EDITOR_CLOSED: &str = "document.querySelector('#editor-pane') === null";

#[tokio::test(flavor = "multi_thread")]
async fn vi_edits_saves_and_applies_a_manifest_that_survives_a_reload() {
    let playground = open_playground().await;
    let browser = &playground.browser;
    wait_for_text(browser, "controlplane $").await;

    type_line(browser, "vi web.yaml").await;
    wait_until(browser, "the editor pane", EDITOR_OPEN).await;
    assert_eq!(
        js_string(
            browser,
            "return document.querySelector('.tp-editor-path').textContent;"
        )
        .await,
        "/root/web.yaml [New]"
    );
    // CodeMirror has the focus.
    wait_until(
        browser,
        "the editor's focus",
        "document.activeElement && document.activeElement.classList.contains('cm-content')",
    )
    .await;

    // Typed line by line. CodeMirror indents each new line itself: select that indentation
    // (Shift+Home) so the typed line replaces it and the text is exactly ours.
    let mut typed = String::new();
    for (n, line) in DEPLOYMENT.iter().enumerate() {
        typed.push_str(&format!("{SHIFT}{HOME}{NULL}{line}"));
        if n + 1 < DEPLOYMENT.len() {
            typed.push(ENTER);
        }
    }
    keys(browser, ".cm-content", &typed).await;

    // The simulator's own validation marks `replicas: -1` on line 6.
    wait_until(
        browser,
        "the replicas diagnostic",
        "document.querySelector('.tp-editor-problems') && document.querySelector('.tp-editor-problems').textContent.includes('spec.replicas')",
    )
    .await;
    let problems = js_string(
        browser,
        "return document.querySelector('.tp-editor-problems li').textContent;",
    )
    .await;
    assert!(
        problems.starts_with("Line 6: spec.replicas: Invalid value: -1"),
        "{problems}"
    );
    wait_until(
        browser,
        "a lint marker in the gutter",
        "document.querySelector('.cm-lint-marker-error') !== null",
    )
    .await;
    assert!(
        js_string(
            browser,
            "return document.querySelector('.tp-editor-path').textContent;"
        )
        .await
        .ends_with("[+]")
    );
    screenshot(browser, "editor-diagnostics.png").await;

    // Fix line 6 with the keyboard: `-1` becomes `2`.
    let mut fix = format!("{CONTROL}{HOME}{NULL}");
    for _ in 0..5 {
        fix.push(DOWN);
    }
    fix.push_str(&format!("{END}{BACKSPACE}{BACKSPACE}2"));
    keys(browser, ".cm-content", &fix).await;
    wait_until(
        browser,
        "the diagnostics to clear",
        "document.querySelector('.tp-editor-problems') === null && document.querySelector('.cm-lint-marker-error') === null",
    )
    .await;
    screenshot(browser, "editor-open.png").await;

    // Esc with unsaved changes asks first, on the command line.
    keys(browser, ".cm-content", &ESCAPE.to_string()).await;
    wait_until(
        browser,
        "the command line's focus",
        "document.activeElement && document.activeElement.id === 'editor-command'",
    )
    .await;
    assert!(
        js_string(
            browser,
            "return document.querySelector('.tp-editor-message').textContent;"
        )
        .await
        .starts_with("Unsaved changes.")
    );
    keys(browser, "#editor-command", &format!(":q{ENTER}")).await;
    wait_until(
        browser,
        "vim's E37",
        "document.querySelector('.tp-editor-message').textContent === 'E37: No write since last change (add ! to override)'",
    )
    .await;
    keys(browser, "#editor-command", &format!(":w{ENTER}")).await;
    wait_until(
        browser,
        "vim's written message",
        "document.querySelector('.tp-editor-message').textContent === '\"/root/web.yaml\" [New] 17L, 247B written'",
    )
    .await;
    // The editor is still there with the text (the messages did not replace its element).
    wait_until(
        browser,
        "CodeMirror to keep its text",
        "document.querySelector('.tp-editor-surface .cm-content') && document.querySelector('.tp-editor-surface .cm-content').textContent.includes('replicas: 2')",
    )
    .await;
    screenshot(browser, "editor-written.png").await;
    keys(browser, "#editor-command", &format!(":wq{ENTER}")).await;
    wait_until(browser, "the editor to close", EDITOR_CLOSED).await;

    // Back in the terminal, which has the focus again.
    wait_until(
        browser,
        "the terminal's focus",
        "document.activeElement && document.activeElement.classList.contains('xterm-helper-textarea')",
    )
    .await;
    type_line(browser, "kubectl apply -f web.yaml").await;
    wait_for_text(browser, "deployment.apps/web created").await;

    // Reopen, add a line at the end, Ctrl-S saves and closes.
    type_line(browser, "vim web.yaml").await;
    wait_until(browser, "the editor pane again", EDITOR_OPEN).await;
    assert_eq!(
        js_string(
            browser,
            "return document.querySelector('.tp-editor-path').textContent;"
        )
        .await,
        "/root/web.yaml"
    );
    // The editor follows the app's theme.
    browser
        .find(Locator::Id("theme-toggle"))
        .await
        .expect("the theme toggle")
        .click()
        .await
        .expect("click the theme toggle");
    wait_until(
        browser,
        "the light theme",
        "document.documentElement.getAttribute('data-theme') === 'light' && getComputedStyle(document.querySelector('.cm-editor')).backgroundColor === 'rgb(255, 255, 255)'",
    )
    .await;
    screenshot(browser, "editor-light.png").await;
    keys(
        browser,
        ".cm-content",
        &format!("{CONTROL}{END}{NULL}{SHIFT}{HOME}{NULL}# saved with ctrl-s{CONTROL}s{NULL}"),
    )
    .await;
    wait_until(browser, "Ctrl-S to close the editor", EDITOR_CLOSED).await;
    type_line(
        browser,
        "kubectl get deploy web -o jsonpath='{.spec.replicas}'; echo",
    )
    .await;
    wait_for_text(browser, "\n2\n").await;

    // Saves are debounced by a second of real time; give it two, then reload.
    tokio::time::sleep(Duration::from_secs(2)).await;
    browser.refresh().await.expect("reload");
    wait_for_text(browser, "controlplane $").await;
    type_line(browser, "cat web.yaml").await;
    let shown = wait_for_text(browser, "# saved with ctrl-s").await;
    assert!(shown.contains("  replicas: 2"), "{shown}");
    assert!(shown.contains("        image: nginx"), "{shown}");
    type_line(browser, "kubectl get deploy").await;
    wait_for_text(browser, "web ").await;
    assert_eq!(
        js_string(
            browser,
            "return String(document.documentElement.getAttribute('data-csp-violations'));"
        )
        .await,
        "null",
        "Content-Security-Policy violations"
    );
    screenshot(browser, "editor-after-reload.png").await;
    playground.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_edit_reopens_with_the_error_and_cancels_on_quit() {
    let playground = open_playground().await;
    let browser = &playground.browser;
    wait_for_text(browser, "controlplane $").await;
    type_line(browser, "kubectl create deployment web --image=nginx").await;
    wait_for_text(browser, "deployment.apps/web created").await;

    type_line(browser, "kubectl edit deployment web").await;
    wait_until(browser, "kubectl edit's editor", EDITOR_OPEN).await;
    let path = js_string(
        browser,
        "return document.querySelector('.tp-editor-path').textContent;",
    )
    .await;
    assert!(path.starts_with("/tmp/kubectl-edit-"), "{path}");
    // The first `  replicas: 1` is the spec's (status comes after it).
    let line: usize = js_string(
        browser,
        "return String(Array.from(document.querySelectorAll('.cm-line')).findIndex(l => l.textContent === '  replicas: 1') + 1);",
    )
    .await
    .parse()
    .expect("a line number");
    assert!(line > 0, "no `  replicas: 1` line");
    let mut edit = format!("{CONTROL}{HOME}{NULL}");
    for _ in 1..line {
        edit.push(DOWN);
    }
    edit.push_str(&format!("{END}{BACKSPACE}-1{CONTROL}s{NULL}"));
    keys(browser, ".cm-content", &edit).await;

    // Invalid: the pane opens again with kubectl's error block, in the file and above it.
    wait_until(
        browser,
        "the reopened editor with the error",
        "document.querySelector('.tp-editor-edit-error') && document.querySelector('.tp-editor-edit-error').textContent.includes('spec.replicas: Invalid value: -1') && document.querySelector('.cm-content').textContent.includes('# * spec.replicas')",
    )
    .await;
    screenshot(browser, "editor-kubectl-edit-error.png").await;

    // Giving up without another change: kubectl keeps a copy and says so.
    keys(browser, ".cm-content", &ESCAPE.to_string()).await;
    wait_until(browser, "the editor to close", EDITOR_CLOSED).await;
    wait_for_text(
        browser,
        "error: Edit cancelled, no valid changes were saved.",
    )
    .await;
    type_line(
        browser,
        "kubectl get deploy web -o jsonpath='{.spec.replicas}'; echo",
    )
    .await;
    wait_for_text(browser, "\n1\n").await;
    playground.close().await;
}
