//! Terminal tabs: a node01 shell writes a static pod manifest (as the seed notes do), the
//! controlplane tab sees the mirror pod `nginx-pod-node01` Running; the tabs and the editor's
//! half-typed draft come back after a reload.

use fantoccini::{Client, Locator};
use std::time::Duration;
use tidepool_e2e::keys::{ALT, ENTER, HOME, NULL, SHIFT, UP};
use tidepool_e2e::{
    click, js_string, open_playground, screenshot, terminal_input, type_line, wait_for_text,
    wait_until,
};

/// The tab labels in order, `*` marking the selected one.
async fn tab_strip(browser: &Client) -> String {
    js_string(
        browser,
        "return Array.from(document.querySelectorAll('[role=tab]')).map(t => \
         (t.getAttribute('aria-selected') === 'true' ? '*' : '') + \
         t.querySelector('.tp-tab-label').textContent).join(' | ');",
    )
    .await
}

const MANIFEST: &[&str] = &[
    "cat <<EOF > /etc/kubernetes/manifests/nginx-pod.yaml",
    "apiVersion: v1",
    "kind: Pod",
    "metadata:",
    "  labels:",
    "    run: nginx-pod",
    "  name: nginx-pod",
    "spec:",
    "  containers:",
    "  - image: nginx:latest",
    "    name: nginx-pod",
    "EOF",
];

#[tokio::test(flavor = "multi_thread")]
async fn a_node_tab_runs_a_static_pod_and_tabs_and_the_draft_survive_a_reload() {
    let playground = open_playground().await;
    let browser = &playground.browser;
    wait_for_text(browser, "controlplane $").await;
    assert_eq!(tab_strip(browser).await, "*controlplane");

    // "+ node shell" -> node01: a new tab, shown, with the node's prompt.
    click(browser, "#term-new").await;
    wait_until(
        browser,
        "the host menu",
        "document.querySelector('[data-host=node01]') !== null",
    )
    .await;
    click(browser, "[data-host=node01]").await;
    wait_until(
        browser,
        "the node01 tab",
        "document.querySelector('#term-tab-1[aria-selected=true]') !== null",
    )
    .await;
    assert_eq!(tab_strip(browser).await, "controlplane | *node01");
    wait_for_text(browser, "node01 $").await;
    for line in MANIFEST {
        type_line(browser, line).await;
    }
    type_line(browser, "ls /etc/kubernetes/manifests").await;
    // `ls`'s own row: the `cat` line above also names the file.
    wait_for_text(browser, "\nnginx-pod.yaml").await;
    screenshot(browser, "tabs-node01-static-pod.png").await;

    // Alt+1 switches to the controlplane tab, whose screen is still there.
    terminal_input(browser)
        .await
        .send_keys(&format!("{ALT}1{NULL}"))
        .await
        .expect("Alt+1");
    wait_until(
        browser,
        "the controlplane tab",
        "document.querySelector('#term-tab-0[aria-selected=true]') !== null",
    )
    .await;
    wait_for_text(browser, "controlplane $").await;
    // The kubelet on node01 starts the pod and the API server shows its mirror pod.
    type_line(browser, "sleep 20; kubectl get pods").await;
    let screen = wait_for_text(browser, "nginx-pod-node01").await;
    let row = screen
        .lines()
        .find(|l| l.starts_with("nginx-pod-node01"))
        .unwrap_or_default()
        .to_owned();
    assert!(row.contains("1/1") && row.contains("Running"), "{screen}");
    // The node tab's output did not leak into this one.
    assert!(!screen.contains("node01 $"), "{screen}");
    screenshot(browser, "tabs-controlplane-sees-mirror-pod.png").await;

    // Half a file in the editor, then a reload.
    type_line(browser, "vi half.yaml").await;
    wait_until(
        browser,
        "the editor pane",
        "document.querySelector('#editor-pane .cm-editor') !== null",
    )
    .await;
    wait_until(
        browser,
        "the editor's focus",
        "document.activeElement && document.activeElement.classList.contains('cm-content')",
    )
    .await;
    browser
        .find(Locator::Css(".cm-content"))
        .await
        .expect("the editor")
        .send_keys(&format!("apiVersion: v1{ENTER}{SHIFT}{HOME}{NULL}kind: Po"))
        .await
        .expect("type into the editor");
    // The pane sends its text on a pause in typing; saves are debounced by a second.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    browser.refresh().await.expect("reload");

    wait_until(
        browser,
        "both tabs after the reload",
        "document.querySelectorAll('[role=tab]').length === 2",
    )
    .await;
    assert_eq!(tab_strip(browser).await, "*controlplane | node01");
    wait_until(
        browser,
        "the editor pane with the draft",
        "document.querySelector('#editor-pane .cm-content') !== null && \
         document.querySelector('#editor-pane .cm-content').textContent.includes('kind: Po')",
    )
    .await;
    let path = js_string(
        browser,
        "return document.querySelector('.tp-editor-path').textContent;",
    )
    .await;
    assert_eq!(path, "/root/half.yaml [New] [+]");
    let draft = js_string(
        browser,
        "return Array.from(document.querySelectorAll('#editor-pane .cm-line')).map(l => l.textContent).join('\\n');",
    )
    .await;
    // The pane's text ends with a newline, as vim writes files; CodeMirror shows the empty
    // last line, as it does for any file it opens.
    assert_eq!(draft, "apiVersion: v1\nkind: Po\n");
    screenshot(browser, "tabs-draft-after-reload.png").await;

    // Discard the draft (`:q!`): the pane closes and the controlplane tab gets its prompt.
    browser
        .find(Locator::Css("#editor-command"))
        .await
        .expect("the editor's command line")
        .send_keys(&format!(":q!{ENTER}"))
        .await
        .expect("type :q!");
    wait_until(
        browser,
        "the pane to close",
        "document.querySelector('#editor-pane') === null",
    )
    .await;
    // The node01 tab came back with its history: Up recalls its last line.
    click(browser, "#term-tab-1").await;
    wait_until(
        browser,
        "the node01 tab",
        "document.querySelector('#term-tab-1[aria-selected=true]') !== null",
    )
    .await;
    terminal_input(browser)
        .await
        .send_keys(&UP.to_string())
        .await
        .expect("Up");
    wait_for_text(browser, "node01 $ ls /etc/kubernetes/manifests").await;
    screenshot(browser, "tabs-node01-after-reload.png").await;
    playground.close().await;
}
