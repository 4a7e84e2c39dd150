//! The inspector: one object's YAML, describe, events and logs (text from the worker, which
//! runs the same code as kubectl), an edit button (`kubectl edit` in the active terminal) and a
//! delete button that asks first. All text is rendered
//! as text nodes, never as HTML.

use crate::i18n::{Key, Lang, text};
use crate::playground_state::Inspector;
use tidepool_worker::protocol::{InspectView, ObjectKind};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct InspectorProps {
    pub lang: Lang,
    pub inspector: Inspector,
    pub on_tab: Callback<InspectView>,
    pub on_close: Callback<()>,
    pub on_ask_delete: Callback<()>,
    pub on_cancel_delete: Callback<()>,
    pub on_delete: Callback<()>,
    /// Edit: `kubectl edit` in the active terminal opens the editor pane.
    pub on_edit: Callback<()>,
    /// The editor pane is open already: Edit waits for it to close.
    #[prop_or_default]
    pub editing: bool,
}

/// The tabs an object has: logs only for pods.
pub fn tabs(kind: ObjectKind) -> Vec<InspectView> {
    let mut tabs = vec![
        InspectView::Yaml,
        InspectView::Describe,
        InspectView::Events,
    ];
    if kind == ObjectKind::Pod {
        tabs.push(InspectView::Logs);
    }
    tabs
}

fn tab_key(view: InspectView) -> Key {
    match view {
        InspectView::Yaml => Key::TabYaml,
        InspectView::Describe => Key::TabDescribe,
        InspectView::Events => Key::TabEvents,
        InspectView::Logs => Key::TabLogs,
    }
}

#[function_component(InspectorPanel)]
pub fn inspector_panel(props: &InspectorProps) -> Html {
    let t = |key| text(props.lang, key);
    let inspector = &props.inspector;
    let target = &inspector.target;
    let title = if target.namespace.is_empty() {
        format!("{}/{}", target.kind.kubectl_type(), target.name)
    } else {
        format!(
            "{}/{} -n {}",
            target.kind.kubectl_type(),
            target.name,
            target.namespace
        )
    };
    let tab_buttons = tabs(target.kind).into_iter().map(|view| {
        let selected = inspector.tab == view;
        let onclick = props.on_tab.reform(move |_: MouseEvent| view);
        html! {
            <button role="tab" class="tp-tab" aria-selected={selected.to_string()}
                    id={format!("inspector-tab-{view:?}").to_lowercase()} {onclick}>
                { t(tab_key(view)) }
            </button>
        }
    });
    let body = match &inspector.text {
        None => html! { <p class="tp-placeholder">{ t(Key::Loading) }</p> },
        Some((text, ok)) => html! {
            <pre class={classes!("tp-inspector-text", (!ok).then_some("tp-inspector-error"))}
                 id="inspector-text" tabindex="0">{ text.clone() }</pre>
        },
    };
    let delete_area = if inspector.confirm_delete {
        html! {
            <div class="tp-confirm" role="alertdialog" aria-label={t(Key::ConfirmDelete)}>
                <p>{ t(Key::ConfirmDelete) }</p>
                <button class="tp-danger" id="inspector-delete-confirm"
                        onclick={props.on_delete.reform(|_: MouseEvent| ())}>{ t(Key::Delete) }</button>
                <button onclick={props.on_cancel_delete.reform(|_: MouseEvent| ())}>{ t(Key::Cancel) }</button>
            </div>
        }
    } else {
        html! {
            <button class="tp-danger" id="inspector-delete"
                    onclick={props.on_ask_delete.reform(|_: MouseEvent| ())}>{ t(Key::Delete) }</button>
        }
    };
    let deleted = inspector.deleted.as_ref().map(|(text, ok)| {
        html! { <p class={classes!("tp-deleted", (!ok).then_some("tp-inspector-error"))} role="status">{ text.clone() }</p> }
    });
    html! {
        <aside class="tp-inspector" id="inspector" aria-label={t(Key::Inspector)}>
            <header class="tp-inspector-head">
                <h2 class="tp-inspector-title">{ title }</h2>
                <button class="tp-close" aria-label={t(Key::Close)} id="inspector-close"
                        onclick={props.on_close.reform(|_: MouseEvent| ())}>{ "✕" }</button>
            </header>
            <div class="tp-tabs" role="tablist">{ for tab_buttons }</div>
            <div class="tp-inspector-body" role="tabpanel">{ body }</div>
            <footer class="tp-inspector-foot">
                { for deleted }
                <button class="tp-edit" id="inspector-edit" title={t(Key::EditHint)}
                        disabled={props.editing}
                        onclick={props.on_edit.reform(|_: MouseEvent| ())}>{ t(Key::Edit) }</button>
                { delete_area }
            </footer>
        </aside>
    }
}
