//! One terminal tab: xterm.js for drawing, [`LineEditor`] for editing, the feed of
//! [`TermEvent`]s from the reducer for what the worker answered. Every tab keeps its xterm
//! (and scrollback) mounted; only the active one is visible, fitted and focused.

use crate::line_editor::{EditorOut, LineEditor};
use crate::state::{TermEvent, TermFeed};
use crate::xterm::{self, FitAddon, XTerm};
use std::cell::RefCell;
use std::rc::Rc;
use tidepool_worker::answer_slot::SlotAnswer;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct TerminalProps {
    pub feed: TermFeed,
    /// The element id (the tab panel's, for `aria-controls`).
    pub id: AttrValue,
    /// The tab that labels this panel.
    pub labelled_by: AttrValue,
    /// Shown (the others are hidden but keep drawing their streams).
    #[prop_or(true)]
    pub active: bool,
    /// A line was submitted.
    pub on_line: Callback<String>,
    /// Tab was pressed: (line, cursor byte).
    pub on_complete: Callback<(String, usize)>,
    /// Ctrl-C while a command streams.
    #[prop_or_default]
    pub on_interrupt: Callback<()>,
    /// Shown instead of the terminal when xterm.js is missing.
    pub unavailable_text: AttrValue,
}

/// The live terminal: xterm plus the editor; kept in a ref so callbacks share it.
struct Live {
    term: XTerm,
    fit: FitAddon,
    editor: LineEditor,
    /// Shown: only then is it fitted (a hidden terminal keeps its size).
    active: bool,
    /// The next feed event to draw.
    next_seq: u64,
    on_line: Callback<String>,
    on_complete: Callback<(String, usize)>,
    on_interrupt: Callback<()>,
}

impl Live {
    /// Fits the terminal to its pane and tells the editor the new width.
    fn fit(&mut self) {
        if !self.active {
            return;
        }
        self.fit.fit();
        self.editor.set_columns(self.term.cols() as usize);
    }

    fn perform(&mut self, outs: Vec<EditorOut>) {
        for out in outs {
            match out {
                EditorOut::Write(text) => self.term.write(&text),
                EditorOut::Submit(line) => {
                    self.on_line.emit(line);
                    // Still inside the keydown: with the answer slot, the answer can be drawn
                    // in the frame the browser renders next (see worker_link). The editor
                    // submits only at a prompt, so no earlier answer of this terminal is still
                    // to be drawn: drawing this one now keeps the order.
                    if let Some(answer) = crate::worker_link::wait_for_slot_answer() {
                        self.draw_slot_answer(&answer);
                    }
                }
                EditorOut::Complete { line, cursor } => self.on_complete.emit((line, cursor)),
                EditorOut::Clear => self.term.clear(),
                EditorOut::Interrupt => self.on_interrupt.emit(()),
            }
        }
    }

    /// Draws an answer read from the answer slot as its posted `Output` would be drawn (text,
    /// then the prompt), but parsed now; the posted message then draws nothing.
    fn draw_slot_answer(&mut self, answer: &SlotAnswer) {
        let mut text = crate::worker_link::terminal_text([answer.text.as_str()]);
        let mut rest = Vec::new();
        for out in self.editor.ready(&answer.prompt) {
            match out {
                EditorOut::Write(prompt) => text.push_str(&prompt),
                other => rest.push(other),
            }
        }
        xterm::write_now(&self.term, &text);
        crate::perf::output_written();
        self.perform(rest);
    }

    fn draw(&mut self, event: &TermEvent) {
        let outs = match event {
            TermEvent::Ready { prompt } => self.editor.ready(prompt),
            TermEvent::Output { text, prompt } => {
                self.term.write(text);
                crate::perf::output_written();
                self.editor.ready(prompt)
            }
            TermEvent::Stream { text } => {
                self.term.write(text);
                Vec::new()
            }
            TermEvent::Continue { prompt } => self.editor.ready(prompt),
            TermEvent::Completions { line, candidates } => {
                self.editor.complete_with(line, candidates)
            }
            TermEvent::Clear => {
                self.term.clear();
                Vec::new()
            }
            TermEvent::Focus => {
                if self.active {
                    self.term.focus();
                }
                Vec::new()
            }
            TermEvent::History { lines } => {
                self.editor.set_history(lines);
                Vec::new()
            }
        };
        self.perform(outs);
    }
}

/// The JS callbacks the terminal registered: kept alive until unmount.
type Listeners = (Closure<dyn FnMut(String)>, Closure<dyn FnMut()>);

#[function_component(Terminal)]
pub fn terminal(props: &TerminalProps) -> Html {
    let host = use_node_ref();
    let live: Rc<RefCell<Option<Live>>> = use_mut_ref(|| None);
    let available = xterm::available();

    {
        let host = host.clone();
        let live = live.clone();
        let (on_line, on_complete) = (props.on_line.clone(), props.on_complete.clone());
        let on_interrupt = props.on_interrupt.clone();
        let active = props.active;
        use_effect_with((), move |_| {
            let mut cleanup: Option<Listeners> = None;
            if let (true, Some(element), Some(fit)) = (
                available,
                host.cast::<web_sys::HtmlElement>(),
                xterm::new_fit_addon(),
            ) {
                let term = XTerm::new(&xterm::options());
                term.load_addon(&fit);
                term.open(&element);
                if active {
                    term.focus();
                }
                *live.borrow_mut() = Some(Live {
                    term,
                    fit,
                    editor: LineEditor::new(""),
                    active,
                    next_seq: 0,
                    on_line,
                    on_complete,
                    on_interrupt,
                });
                if let Some(live) = live.borrow_mut().as_mut() {
                    live.fit();
                }
                let on_data = {
                    let live = live.clone();
                    Closure::<dyn FnMut(String)>::new(move |data: String| {
                        if let Some(live) = live.borrow_mut().as_mut() {
                            let outs = live.editor.input(&data);
                            live.perform(outs);
                        }
                    })
                };
                let on_resize = {
                    let live = live.clone();
                    Closure::<dyn FnMut()>::new(move || {
                        if let Some(live) = live.borrow_mut().as_mut() {
                            live.fit();
                        }
                    })
                };
                if let Some(live) = live.borrow().as_ref() {
                    live.term.on_data(&on_data);
                }
                if let Some(window) = web_sys::window() {
                    let _ = window.add_event_listener_with_callback(
                        "resize",
                        on_resize.as_ref().unchecked_ref(),
                    );
                }
                cleanup = Some((on_data, on_resize));
            }
            move || {
                if let Some((_, on_resize)) = &cleanup
                    && let Some(window) = web_sys::window()
                {
                    let _ = window.remove_event_listener_with_callback(
                        "resize",
                        on_resize.as_ref().unchecked_ref(),
                    );
                }
                if let Some(live) = live.borrow_mut().take() {
                    live.term.dispose();
                }
                drop(cleanup);
            }
        });
    }

    {
        // Shown again: fit to the pane (it may have been resized meanwhile) and take the
        // keyboard.
        let live = live.clone();
        use_effect_with(props.active, move |active| {
            if let Some(live) = live.borrow_mut().as_mut() {
                live.active = *active;
                if *active {
                    live.fit();
                    live.term.focus();
                }
            }
        });
    }

    {
        use_effect_with(props.feed.clone(), move |feed| {
            if let Some(live) = live.borrow_mut().as_mut() {
                let events: Vec<Rc<TermEvent>> = feed
                    .since(live.next_seq)
                    .map(|(_, event)| event.clone())
                    .collect();
                live.next_seq = feed.next_seq;
                for event in &events {
                    live.draw(event);
                }
            }
        });
    }

    if available {
        html! {
            <div class="tp-xterm" ref={host} id={props.id.clone()} role="tabpanel"
                aria-labelledby={props.labelled_by.clone()} data-active={props.active.to_string()}
                hidden={!props.active} />
        }
    } else {
        html! { <p class="tp-placeholder">{ props.unavailable_text.clone() }</p> }
    }
}
