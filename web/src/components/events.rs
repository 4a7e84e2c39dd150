//! The events timeline: the cluster's events, newest first, filtered by type and namespace.

use crate::components::time_controls::clock_text;
use crate::i18n::{Key, Lang, text};
use crate::playground_state::EventTypeFilter;
use std::rc::Rc;
use tidepool_worker::protocol::{ClusterView, EventView};
use yew::prelude::*;

/// Rows drawn at most (the newest).
pub const EVENT_ROWS: usize = 200;

/// Rows drawn at once for a new list; the rest follow after the next frame has been painted.
/// A big delta (a thousand new pods) replaces the whole list, and creating 200 rows delayed
/// the graph's paint by tens of milliseconds; the pane shows about a dozen rows anyway.
const FIRST_ROWS: usize = 30;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct EventsProps {
    pub lang: Lang,
    pub view: Rc<ClusterView>,
    pub namespace: Option<String>,
    pub filter: EventTypeFilter,
    pub on_filter: Callback<EventTypeFilter>,
}

/// The events to list, newest first.
pub fn visible_events<'a>(
    view: &'a ClusterView,
    namespace: Option<&str>,
    filter: EventTypeFilter,
) -> Vec<&'a EventView> {
    let mut events: Vec<&EventView> = view
        .events
        .values()
        .filter(|e| namespace.is_none_or(|ns| ns == e.namespace) && filter.admits(&e.event_type))
        .collect();
    events.sort_by(|a, b| {
        (b.last_seen_ms, &b.namespace, &b.name).cmp(&(a.last_seen_ms, &a.namespace, &a.name))
    });
    events.truncate(EVENT_ROWS);
    events
}

/// The visible events, computed only when the view or the filters change (not on every
/// render of the app: a thousand pods make thousands of events to sort).
#[derive(Debug, PartialEq, Eq)]
struct VisibleEvents(Vec<EventView>);

#[function_component(EventsTimeline)]
pub fn events_timeline(props: &EventsProps) -> Html {
    let t = |key| text(props.lang, key);
    // The view the list shows. A new view is taken a frame after it arrived, once the graph
    // has painted it: sorting thousands of events and creating the new rows otherwise ran in
    // the same task as the graph's update and delayed its frame. Filters apply at once.
    let shown = use_state(|| Rc::clone(&props.view));
    {
        let shown = shown.clone();
        let view = Rc::clone(&props.view);
        use_effect_with(Rc::as_ptr(&props.view) as usize, move |_| {
            let timer =
                (!Rc::ptr_eq(&shown, &view)).then(|| after_next_paint(move || shown.set(view)));
            move || drop(timer)
        });
    }
    let events = use_memo(
        (Rc::clone(&shown), props.namespace.clone(), props.filter),
        |(view, namespace, filter)| {
            VisibleEvents(
                visible_events(view, namespace.as_deref(), *filter)
                    .into_iter()
                    .cloned()
                    .collect(),
            )
        },
    );
    let filters = [
        (EventTypeFilter::All, Key::EventsAll),
        (EventTypeFilter::Normal, Key::EventsNormal),
        (EventTypeFilter::Warning, Key::EventsWarning),
    ]
    .into_iter()
    .map(|(filter, key)| {
        let onclick = props.on_filter.reform(move |_: MouseEvent| filter);
        html! {
            <button aria-pressed={(props.filter == filter).to_string()} {onclick}>{ t(key) }</button>
        }
    });
    html! {
        <section class="tp-events" id="events-pane" aria-label={t(Key::Events)}>
            <header class="tp-events-head">
                <h2 class="tp-pane-title">{ t(Key::Events) }</h2>
                <div class="tp-events-filter" role="group" aria-label={t(Key::Events)}>{ for filters }</div>
            </header>
            <EventRows lang={props.lang} {events} />
        </section>
    }
}

#[derive(Debug, PartialEq, Properties)]
struct RowsProps {
    lang: Lang,
    /// Compared by identity: the same memoised list draws the same rows.
    events: Rc<VisibleEvents>,
}

/// The list itself: re-rendered only for a new list. A new list first draws
/// [`FIRST_ROWS`] rows, then all of them once a frame has been painted.
#[function_component(EventRows)]
fn event_rows(props: &RowsProps) -> Html {
    let events = &props.events.0;
    // The list (by address) that may draw every row.
    let complete = use_state(|| 0usize);
    let list_id = Rc::as_ptr(&props.events) as usize;
    {
        let complete = complete.clone();
        use_effect_with(list_id, move |id| {
            let id = *id;
            let timer = (*complete != id).then(|| after_next_paint(move || complete.set(id)));
            move || drop(timer)
        });
    }
    let limit = if *complete == list_id {
        events.len()
    } else {
        FIRST_ROWS
    };
    let rows = events.iter().take(limit).map(|e| {
        let warning = e.event_type == "Warning";
        html! {
            <li key={format!("{}/{}", e.namespace, e.name)} class={classes!("tp-event", warning.then_some("tp-event-warning"))}>
                <span class="tp-event-time">{ clock_text(e.last_seen_ms) }</span>
                <span class={classes!("tp-event-type", if warning { "tp-badge-warning" } else { "tp-badge-normal" })}>
                    { if warning { "⚠ Warning" } else { "Normal" } }
                </span>
                <span class="tp-event-reason">{ e.reason.clone() }</span>
                <span class="tp-event-object">{ e.object.clone() }</span>
                <span class="tp-event-message">
                    { e.message.clone() }
                    if e.count > 1 { <span class="tp-event-count">{ format!(" ×{}", e.count) }</span> }
                </span>
            </li>
        }
    });
    if events.is_empty() {
        html! { <p class="tp-placeholder">{ text(props.lang, Key::NoEvents) }</p> }
    } else {
        html! { <ol class="tp-event-list">{ for rows }</ol> }
    }
}

/// Runs `then` one frame (16 ms) later, after the frame the current render asked for has
/// been painted; dropping the handle cancels it.
fn after_next_paint(then: impl FnOnce() + 'static) -> gloo_timers::callback::Timeout {
    gloo_timers::callback::Timeout::new(16, then)
}
