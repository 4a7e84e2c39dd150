//! The inspector's Edit, from a click on a pod chip to the worker: the editor pane opens with
//! the pod's YAML (`kubectl edit` in the active terminal), a label is added, Ctrl-S saves, and
//! `kubectl get pod --show-labels` shows it.

use fantoccini::{Client, Locator};
use tidepool_e2e::keys::{CONTROL, END, ENTER, HOME, NULL, SHIFT};
use tidepool_e2e::{
    click, js_string, open_playground, screenshot, type_line, wait_for_text, wait_until,
};

const CHIP: &str = "#cluster-graph .tp-chip[data-pod=\"edited\"]";
const EDITOR_OPEN: &str = "document.querySelector('#editor-pane .cm-editor') !== null";
const EDITOR_CLOSED: &str = "document.querySelector('#editor-pane') === null";

async fn keys(browser: &Client, css: &str, text: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("keys to {css}: {e}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn inspector_edit_changes_a_pods_labels_through_the_editor() {
    let playground = open_playground().await;
    let browser = &playground.browser;
    wait_for_text(browser, "controlplane $").await;
    type_line(browser, "kubectl run edited --image=nginx").await;
    wait_for_text(browser, "pod/edited created").await;
    // No wait for Ready: the pod usually starts while the editor is open, and the save (a
    // patch, as kubectl's) must not conflict with that status change.
    wait_until(
        browser,
        "the pod's chip",
        &format!("document.querySelector('{CHIP}') !== null"),
    )
    .await;

    // A real click on the chip (scrolled into view first) opens the inspector on its YAML.
    browser
        .execute(
            &format!("document.querySelector('{CHIP}').scrollIntoView({{block: 'center'}});"),
            vec![],
        )
        .await
        .expect("scroll to the chip");
    click(browser, CHIP).await;
    wait_until(
        browser,
        "the pod's YAML in the inspector",
        "document.querySelector('#inspector-text') && \
         document.querySelector('#inspector-text').textContent.startsWith('apiVersion: v1\\nkind: Pod') && \
         document.querySelector('#inspector-text').textContent.includes('name: edited')",
    )
    .await;

    // Edit: the editor pane opens over the terminal with the same object.
    click(browser, "#inspector-edit").await;
    wait_until(browser, "the editor pane", EDITOR_OPEN).await;
    wait_until(
        browser,
        "the pod's YAML in the editor",
        "document.querySelector('.cm-content').textContent.includes('kind: Pod') && \
         Array.from(document.querySelectorAll('.cm-line')).some(l => l.textContent === '    run: edited')",
    )
    .await;
    let path = js_string(
        browser,
        "return document.querySelector('.tp-editor-path').textContent;",
    )
    .await;
    assert!(path.starts_with("/tmp/kubectl-edit-"), "{path}");

    // A new label under `run: edited` (CodeMirror indents the new line itself: Shift+Home
    // selects that indentation so the typed line replaces it), then Ctrl-S.
    let line: usize = js_string(
        browser,
        "return String(Array.from(document.querySelectorAll('.cm-line')).findIndex(l => l.textContent === '    run: edited') + 1);",
    )
    .await
    .parse()
    .expect("a line number");
    assert!(line > 0, "no `    run: edited` line");
    let mut edit = format!("{CONTROL}{HOME}{NULL}");
    for _ in 1..line {
        edit.push(tidepool_e2e::keys::DOWN);
    }
    edit.push_str(&format!(
        "{END}{ENTER}{SHIFT}{HOME}{NULL}    tier: probe{CONTROL}s{NULL}"
    ));
    keys(browser, ".cm-content", &edit).await;
    wait_until(browser, "Ctrl-S to close the editor", EDITOR_CLOSED).await;
    wait_for_text(browser, "pod/edited edited").await;

    // jsonpath, not a table: a row with STATUS ContainerCreating wraps in the terminal pane.
    type_line(
        browser,
        "kubectl get pod edited -o jsonpath='{.metadata.labels.tier}{\"\\n\"}'",
    )
    .await;
    wait_for_text(browser, "\nprobe\n").await;
    // The inspector, still open on the YAML tab, follows the object.
    wait_until(
        browser,
        "the new label in the inspector's YAML",
        "document.querySelector('#inspector-text') && \
         document.querySelector('#inspector-text').textContent.includes('    tier: probe\\n')",
    )
    .await;
    screenshot(browser, "inspector-edit.png").await;
    playground.close().await;
}
