//! The editor pane `vi FILE` and `kubectl edit` open over the terminal: CodeMirror 6 (YAML
//! highlighting, line numbers, the simulator's diagnostics in the gutter) when its bundle is
//! loaded, a plain text area otherwise; a vim-like command line underneath.
//!
//! Keys: Ctrl-S saves and closes; Esc closes when nothing changed, and with unsaved changes
//! first moves to the command line with a hint (`:w`, `:wq`, `:q!`), a second Esc discarding.
//! A vim user presses Esc out of habit, so one Esc must never throw work away.

use crate::codemirror::{self, CodeMirror, EditorCallbacks};
use crate::editor_state::{
    CommandOutcome, EditorMessage, EditorState, run_command, with_final_newline,
};
use crate::i18n::{Key, Lang, text};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

/// What the pane asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorRequest {
    /// Write the text; close the pane after a successful write if `close`.
    Save { text: String, close: bool },
    /// Close without writing.
    Discard,
    /// Typing paused: validate this text (answers carry `revision`).
    Validate {
        text: String,
        revision: u32,
        modified: bool,
    },
    /// Show a message on the command line.
    Message(EditorMessage),
    /// Esc with unsaved changes.
    AskDiscard,
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct EditorPaneProps {
    pub lang: Lang,
    pub editor: EditorState,
    /// The app's theme is dark.
    pub dark: bool,
    pub on_request: Callback<EditorRequest>,
}

/// The text surface.
enum Surface {
    Code(CodeMirror, EditorCallbacks),
    Plain,
}

/// What the pane's event handlers share: the surface and the latest props (CodeMirror's key
/// handlers are made once and read the props from here).
struct Shared {
    surface: Option<Surface>,
    plain: NodeRef,
    command_line: NodeRef,
    saved_text: String,
    confirm_discard: bool,
    revision: u32,
    on_request: Callback<EditorRequest>,
}

impl Shared {
    /// The text as it would be written (ending with a newline, as vim writes it).
    fn text(&self) -> String {
        with_final_newline(match &self.surface {
            Some(Surface::Code(editor, _)) => editor.text(),
            _ => self
                .plain
                .cast::<web_sys::HtmlTextAreaElement>()
                .map(|area| area.value())
                .unwrap_or_default(),
        })
    }

    fn modified(&self) -> bool {
        self.text() != self.saved_text
    }

    fn focus_text(&self) {
        match &self.surface {
            Some(Surface::Code(editor, _)) => editor.focus(),
            _ => {
                if let Some(area) = self.plain.cast::<web_sys::HtmlElement>() {
                    let _ = area.focus();
                }
            }
        }
    }

    fn focus_command_line(&self) {
        if let Some(input) = self.command_line.cast::<web_sys::HtmlElement>() {
            let _ = input.focus();
        }
    }

    fn save(&mut self, close: bool) -> Option<EditorRequest> {
        Some(EditorRequest::Save {
            text: self.text(),
            close,
        })
    }

    fn escape(&mut self) -> Option<EditorRequest> {
        if !self.modified() || self.confirm_discard {
            Some(EditorRequest::Discard)
        } else {
            self.focus_command_line();
            Some(EditorRequest::AskDiscard)
        }
    }

    fn changed(&mut self) -> Option<EditorRequest> {
        self.revision += 1;
        Some(EditorRequest::Validate {
            text: self.text(),
            revision: self.revision,
            modified: self.modified(),
        })
    }

    fn command(&mut self, input: &str) -> Option<EditorRequest> {
        match run_command(input, self.modified()) {
            CommandOutcome::Save { close } => {
                if !close {
                    self.focus_text();
                }
                self.save(close)
            }
            CommandOutcome::Discard => Some(EditorRequest::Discard),
            CommandOutcome::Message(message) => Some(EditorRequest::Message(message)),
            CommandOutcome::Nothing => {
                self.focus_text();
                None
            }
        }
    }
}

/// Runs `step` on the shared state, then sends its request with the state released (the
/// app's reducer may re-render the pane synchronously, which borrows it again).
fn act(shared: &Rc<RefCell<Shared>>, step: impl FnOnce(&mut Shared) -> Option<EditorRequest>) {
    let Ok(mut state) = shared.try_borrow_mut() else {
        return;
    };
    let request = step(&mut state);
    let on_request = state.on_request.clone();
    drop(state);
    if let Some(request) = request {
        on_request.emit(request);
    }
}

fn is_save_key(event: &KeyboardEvent) -> bool {
    (event.ctrl_key() || event.meta_key()) && event.key().eq_ignore_ascii_case("s")
}

#[function_component(EditorPane)]
pub fn editor_pane(props: &EditorPaneProps) -> Html {
    let lang = props.lang;
    let t = |key| text(lang, key);
    let host = use_node_ref();
    let plain = use_node_ref();
    let command_line = use_node_ref();
    let shared = {
        let (plain, command_line) = (plain.clone(), command_line.clone());
        use_mut_ref(move || Shared {
            surface: None,
            plain,
            command_line,
            saved_text: String::new(),
            confirm_discard: false,
            revision: 0,
            on_request: Callback::noop(),
        })
    };
    {
        let mut shared = shared.borrow_mut();
        shared.saved_text = props.editor.saved_text.clone();
        shared.confirm_discard = props.editor.confirm_discard;
        shared.on_request = props.on_request.clone();
    }

    {
        let shared = shared.clone();
        let host = host.clone();
        let (doc, dark) = (props.editor.initial_text.clone(), props.dark);
        let label = format!("{}: {}", t(Key::EditorText), props.editor.path);
        use_effect_with((), move |_| {
            let surface = match host.cast::<web_sys::HtmlElement>() {
                Some(element) if codemirror::available() => {
                    let callbacks = make_callbacks(&shared);
                    let editor = codemirror::create(&element, &doc, dark, &label, &callbacks);
                    Surface::Code(editor, callbacks)
                }
                _ => Surface::Plain,
            };
            shared.borrow_mut().surface = Some(surface);
            // Validate what the file holds now (a reopened `kubectl edit` is invalid).
            act(&shared, Shared::changed);
            shared.borrow().focus_text();
            move || {
                if let Some(Surface::Code(editor, callbacks)) = shared.borrow_mut().surface.take() {
                    editor.destroy();
                    drop(callbacks);
                }
            }
        });
    }
    {
        let shared = shared.clone();
        use_effect_with(props.editor.diagnostics.clone(), move |diagnostics| {
            if let Some(Surface::Code(editor, _)) = &shared.borrow().surface {
                let marks: Vec<(u32, String)> = diagnostics
                    .iter()
                    .map(|d| (d.line, d.message.clone()))
                    .collect();
                editor.set_diagnostics(&marks);
            }
        });
    }
    {
        // After Esc with unsaved changes the hint is on the command line: so is the focus
        // (set again once rendered; the key handler's own focus can be lost to the redraw).
        let shared = shared.clone();
        use_effect_with(props.editor.confirm_discard, move |asking| {
            if *asking && let Ok(shared) = shared.try_borrow() {
                shared.focus_command_line();
            }
        });
    }
    {
        let shared = shared.clone();
        use_effect_with(props.dark, move |dark| {
            if let Some(Surface::Code(editor, _)) = &shared.borrow().surface {
                editor.set_dark(*dark);
            }
        });
    }

    let editor = &props.editor;
    let on_save = {
        let shared = shared.clone();
        Callback::from(move |_: MouseEvent| act(&shared, |s| s.save(true)))
    };
    let on_discard = {
        let shared = shared.clone();
        Callback::from(move |_: MouseEvent| act(&shared, Shared::escape))
    };
    let on_command_key = {
        let shared = shared.clone();
        Callback::from(move |event: KeyboardEvent| {
            let input: Option<web_sys::HtmlInputElement> = event.target_dyn_into();
            if is_save_key(&event) {
                event.prevent_default();
                act(&shared, |s| s.save(true));
            } else if event.key() == "Escape" {
                event.prevent_default();
                act(&shared, Shared::escape);
            } else if event.key() == "Enter" {
                event.prevent_default();
                if let Some(input) = input {
                    let command = input.value();
                    input.set_value("");
                    act(&shared, |s| s.command(&command));
                }
            }
        })
    };
    let on_plain_key = {
        let shared = shared.clone();
        Callback::from(move |event: KeyboardEvent| {
            if is_save_key(&event) {
                event.prevent_default();
                act(&shared, |s| s.save(true));
            } else if event.key() == "Escape" {
                event.prevent_default();
                act(&shared, Shared::escape);
            }
        })
    };
    let on_plain_input = Callback::from(move |_: InputEvent| act(&shared, Shared::changed));

    let title = format!(
        "{}{}{}",
        editor.path,
        if editor.new_file { " [New]" } else { "" },
        if editor.modified { " [+]" } else { "" }
    );
    let message = editor.message.as_ref().map(|message| {
        let (class, text) = match message {
            EditorMessage::Error(text) => {
                ("tp-editor-message tp-editor-message-error", text.clone())
            }
            EditorMessage::UnsavedChanges => (
                "tp-editor-message tp-editor-message-error",
                t(Key::EditorUnsaved).to_owned(),
            ),
            written => ("tp-editor-message", written.vim_text().unwrap_or_default()),
        };
        html! { <p class={class} role="status">{ text }</p> }
    });
    let edit_error = editor.edit_error.as_ref().map(|error| {
        html! {
            <div class="tp-editor-edit-error" role="alert">
                <strong>{ t(Key::EditorEditFailed) }</strong>
                <pre>{ error.clone() }</pre>
            </div>
        }
    });
    let problems = if editor.diagnostics.is_empty() {
        html! {}
    } else {
        html! {
            <details class="tp-editor-problems" open={editor.diagnostics.len() <= 3}>
                <summary>{ format!("{} ({})", t(Key::EditorProblems), editor.diagnostics.len()) }</summary>
                <ul>
                    { for editor.diagnostics.iter().map(|d| html! {
                        <li>{ format!("{} {}: {}", t(Key::EditorLine), d.line, d.message) }</li>
                    }) }
                </ul>
            </details>
        }
    };
    let surface = if codemirror::available() {
        html! { <div class="tp-editor-surface" ref={host} /> }
    } else {
        html! {
            <textarea class="tp-editor-surface tp-editor-plain" ref={plain}
                aria-label={format!("{}: {}", t(Key::EditorText), editor.path)}
                spellcheck="false" value={editor.initial_text.clone()}
                onkeydown={on_plain_key} oninput={on_plain_input} />
        }
    };

    // Every optional part keeps its slot (an empty node when absent): Yew diffs children by
    // position, and a shifted position would replace CodeMirror's host element.
    html! {
        <section class="tp-editor" id="editor-pane" aria-label={format!("{}: {}", t(Key::Editor), editor.path)}>
            <header class="tp-editor-header">
                <h2 class="tp-editor-path">{ title }</h2>
                <button class="tp-editor-save" onclick={on_save}>{ t(Key::EditorSaveClose) }</button>
                <button class="tp-editor-discard" onclick={on_discard}>{ t(Key::EditorDiscard) }</button>
            </header>
            { edit_error.unwrap_or_default() }
            { surface }
            { problems }
            <div class="tp-editor-cmdline">
                <label for="editor-command">{ ":" }</label>
                <input id="editor-command" ref={command_line} type="text" autocomplete="off"
                    spellcheck="false" aria-label={t(Key::EditorCommand)}
                    placeholder={t(Key::EditorCommandHint)} onkeydown={on_command_key} />
            </div>
            { message.unwrap_or_default() }
        </section>
    }
}

/// The JS callbacks of a CodeMirror editor, reading the pane's shared state.
fn make_callbacks(shared: &Rc<RefCell<Shared>>) -> EditorCallbacks {
    let callback = |step: fn(&mut Shared) -> Option<EditorRequest>| {
        let shared = shared.clone();
        Closure::<dyn FnMut()>::new(move || act(&shared, step))
    };
    EditorCallbacks {
        on_change: callback(Shared::changed),
        on_save: callback(|s| s.save(true)),
        on_escape: callback(Shared::escape),
    }
}
