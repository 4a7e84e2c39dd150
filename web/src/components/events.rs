//! The events timeline: the cluster's events, newest first, filtered by type and namespace.

use crate::components::time_controls::clock_text;
use crate::i18n::{Key, Lang, text};
use crate::playground_state::EventTypeFilter;
use std::rc::Rc;
use tidepool_worker::protocol::{ClusterView, EventView};
use yew::prelude::*;

/// Rows drawn at most (the newest).
pub const EVENT_ROWS: usize = 200;

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
    let events = use_memo(
        (
            Rc::clone(&props.view),
            props.namespace.clone(),
            props.filter,
        ),
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

/// The list itself: re-rendered only for a new list.
#[function_component(EventRows)]
fn event_rows(props: &RowsProps) -> Html {
    let events = &props.events.0;
    let rows = events.iter().map(|e| {
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
