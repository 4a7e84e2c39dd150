//! The terminal tab strip (WAI-ARIA tabs: `role=tablist`, arrow keys, Home/End, Delete
//! closes) with the "+ node shell" menu, the sidebar's instances list, and the Alt+1..9
//! shortcut that switches tabs from anywhere on the page.

use crate::i18n::{Key, Lang, text};
use std::cell::RefCell;
use std::rc::Rc;
use tidepool_worker::protocol::TerminalId;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

/// One tab as the strip shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabLabel {
    pub id: TerminalId,
    /// `controlplane`, `node01`, `controlplane (2)` for a second one.
    pub label: String,
}

/// Labels for tabs opened on `homes` (in order): a host's second tab is `host (2)`.
pub fn labels(tabs: &[(TerminalId, String)]) -> Vec<TabLabel> {
    tabs.iter()
        .enumerate()
        .map(|(index, (id, home))| {
            let earlier = tabs[..index].iter().filter(|(_, h)| h == home).count();
            TabLabel {
                id: *id,
                label: if earlier == 0 {
                    home.clone()
                } else {
                    format!("{home} ({})", earlier + 1)
                },
            }
        })
        .collect()
}

/// The tab element's id (the panel's `aria-labelledby`).
pub fn tab_id(id: TerminalId) -> String {
    format!("term-tab-{}", id.0)
}

/// The panel element's id (the tab's `aria-controls`).
pub fn panel_id(id: TerminalId) -> String {
    format!("term-panel-{}", id.0)
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct TerminalTabsProps {
    pub lang: Lang,
    pub tabs: Vec<TabLabel>,
    pub active: TerminalId,
    /// Hosts a terminal can open on (the cluster's nodes).
    pub hosts: Vec<String>,
    /// A tab was chosen; `true` when the terminal should take the keyboard (a click, a
    /// shortcut), `false` for arrow keys on the strip (the focus stays on the tabs).
    #[prop_or_default]
    pub on_select: Callback<(TerminalId, bool)>,
    #[prop_or_default]
    pub on_close: Callback<TerminalId>,
    /// Open a terminal on this host.
    #[prop_or_default]
    pub on_open: Callback<String>,
}

fn focus_element(id: &str) {
    if let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

#[function_component(TerminalTabs)]
pub fn terminal_tabs(props: &TerminalTabsProps) -> Html {
    let t = |key| text(props.lang, key);
    let menu_open = use_state(|| false);
    let closable = props.tabs.len() > 1;

    // Alt+1..9 from anywhere (captured before xterm sees it, which would send ESC+digit).
    let shortcut_tabs: Rc<RefCell<Vec<TerminalId>>> = use_mut_ref(Vec::new);
    *shortcut_tabs.borrow_mut() = props.tabs.iter().map(|t| t.id).collect();
    let shortcut_select = use_mut_ref(|| props.on_select.clone());
    *shortcut_select.borrow_mut() = props.on_select.clone();
    use_effect_with((), move |_| {
        let listener = Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(
            move |event: web_sys::KeyboardEvent| {
                if !event.alt_key() || event.ctrl_key() || event.meta_key() || event.shift_key() {
                    return;
                }
                // `code`, not `key`: Alt changes the character on some layouts (macOS).
                let Some(digit) = event
                    .code()
                    .strip_prefix("Digit")
                    .and_then(|d| d.parse::<usize>().ok())
                else {
                    return;
                };
                let target = if digit == 0 {
                    None
                } else {
                    shortcut_tabs.borrow().get(digit - 1).copied()
                };
                if let Some(id) = target {
                    event.prevent_default();
                    event.stop_propagation();
                    shortcut_select.borrow().emit((id, true));
                }
            },
        );
        let window = web_sys::window();
        if let Some(window) = &window {
            let _ = window.add_event_listener_with_callback_and_bool(
                "keydown",
                listener.as_ref().unchecked_ref(),
                true,
            );
        }
        move || {
            if let Some(window) = &window {
                let _ = window.remove_event_listener_with_callback_and_bool(
                    "keydown",
                    listener.as_ref().unchecked_ref(),
                    true,
                );
            }
            drop(listener);
        }
    });

    let on_keydown = {
        let ids: Vec<TerminalId> = props.tabs.iter().map(|t| t.id).collect();
        let (active, on_select, on_close) = (
            props.active,
            props.on_select.clone(),
            props.on_close.clone(),
        );
        Callback::from(move |event: KeyboardEvent| {
            let Some(index) = ids.iter().position(|id| *id == active) else {
                return;
            };
            let last = ids.len().saturating_sub(1);
            let next = match event.key().as_str() {
                "ArrowRight" => Some(if index == last { 0 } else { index + 1 }),
                "ArrowLeft" => Some(if index == 0 { last } else { index - 1 }),
                "Home" => Some(0),
                "End" => Some(last),
                "Delete" if ids.len() > 1 => {
                    event.prevent_default();
                    on_close.emit(active);
                    let neighbour = if index == last { index - 1 } else { index + 1 };
                    if let Some(id) = ids.get(neighbour) {
                        focus_element(&tab_id(*id));
                    }
                    None
                }
                _ => None,
            };
            if let Some(id) = next.and_then(|i| ids.get(i)) {
                event.prevent_default();
                on_select.emit((*id, false));
                focus_element(&tab_id(*id));
            }
        })
    };

    let tabs = props.tabs.iter().enumerate().map(|(index, tab)| {
        let selected = tab.id == props.active;
        let id = tab.id;
        let onclick = props.on_select.reform(move |_: MouseEvent| (id, true));
        let on_close = props.on_close.clone();
        let close = closable.then(|| {
            // Mouse only: a button inside a tab would be nested interactive content; the
            // keyboard closes with Delete and the sidebar has real close buttons.
            let onclick = Callback::from(move |event: MouseEvent| {
                event.stop_propagation();
                on_close.emit(id);
            });
            html! {
                <span class="tp-tab-close" aria-hidden="true" title={t(Key::CloseTab)} {onclick}>
                    { "×" }
                </span>
            }
        });
        let shortcut = (index < 9).then(|| format!("Alt+{}", index + 1));
        html! {
            <button role="tab" id={tab_id(id)} class={classes!("tp-tab", selected.then_some("tp-tab-active"))}
                aria-selected={selected.to_string()} aria-controls={panel_id(id)}
                tabindex={if selected { "0" } else { "-1" }}
                aria-keyshortcuts={shortcut.clone()} title={shortcut} {onclick}>
                <span class="tp-tab-label">{ tab.label.clone() }</span>
                { close.unwrap_or_default() }
            </button>
        }
    });

    let toggle_menu = {
        let menu_open = menu_open.clone();
        Callback::from(move |_: MouseEvent| menu_open.set(!*menu_open))
    };
    let menu = menu_open.then(|| {
        let items = props.hosts.iter().map(|host| {
            let onclick = {
                let (host, on_open, menu_open) =
                    (host.clone(), props.on_open.clone(), menu_open.clone());
                Callback::from(move |_: MouseEvent| {
                    menu_open.set(false);
                    on_open.emit(host.clone());
                })
            };
            let extra = (host == "controlplane").then(|| format!(" {}", t(Key::AnotherControlplane)));
            html! {
                <li role="none">
                    <button role="menuitem" class="tp-host-choice" data-host={host.clone()} {onclick}>
                        { host.clone() }{ extra.unwrap_or_default() }
                    </button>
                </li>
            }
        });
        let on_menu_key = {
            let menu_open = menu_open.clone();
            Callback::from(move |event: KeyboardEvent| {
                if event.key() == "Escape" {
                    menu_open.set(false);
                    focus_element("term-new");
                }
            })
        };
        html! {
            <ul class="tp-host-menu" role="menu" aria-label={t(Key::NewTerminalOn)} onkeydown={on_menu_key}>
                { for items }
            </ul>
        }
    });

    html! {
        <div class="tp-termtabs">
            <div class="tp-tablist" role="tablist" aria-label={t(Key::TerminalTabs)} onkeydown={on_keydown}>
                { for tabs }
            </div>
            <div class="tp-new-terminal">
                <button id="term-new" class="tp-new-tab" aria-haspopup="menu"
                    aria-expanded={menu_open.to_string()} onclick={toggle_menu}>
                    { t(Key::NewNodeShell) }
                </button>
                { menu.unwrap_or_default() }
            </div>
        </div>
    }
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct InstancesProps {
    pub lang: Lang,
    pub tabs: Vec<TabLabel>,
    pub active: TerminalId,
    #[prop_or_default]
    pub on_select: Callback<(TerminalId, bool)>,
    #[prop_or_default]
    pub on_close: Callback<TerminalId>,
}

/// The sidebar's instances: one row per terminal, like a playground's instance list.
#[function_component(Instances)]
pub fn instances(props: &InstancesProps) -> Html {
    let closable = props.tabs.len() > 1;
    let rows = props.tabs.iter().map(|tab| {
        let id = tab.id;
        let active = id == props.active;
        let onclick = props.on_select.reform(move |_: MouseEvent| (id, true));
        let close = closable.then(|| {
            let onclick = props.on_close.reform(move |_: MouseEvent| id);
            html! {
                <button class="tp-instance-close" {onclick}
                    aria-label={format!("{} {}", text(props.lang, Key::CloseTab), tab.label)}>
                    { "×" }
                </button>
            }
        });
        html! {
            <li class={classes!("tp-instance", active.then_some("tp-instance-active"))}>
                <button class="tp-instance-select" aria-current={active.then_some("true")} {onclick}>
                    { tab.label.clone() }
                </button>
                { close.unwrap_or_default() }
            </li>
        }
    });
    html! {
        <ul class="tp-instances">{ for rows }</ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hosts_second_tab_is_numbered() {
        let tabs = [
            (TerminalId(0), "controlplane".to_owned()),
            (TerminalId(1), "node01".to_owned()),
            (TerminalId(4), "controlplane".to_owned()),
        ];
        let names: Vec<String> = labels(&tabs).into_iter().map(|l| l.label).collect();
        assert_eq!(names, ["controlplane", "node01", "controlplane (2)"]);
    }
}
