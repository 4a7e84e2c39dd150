//! The event recorder: turns controller/scheduler reports into core/v1 Event objects,
//! deduplicated and aggregated the way client-go's `tools/record` does (identical events bump
//! `count`; more than 10 similar events in 10 minutes become one "(combined from similar
//! events): " event; a per-object token bucket drops spam).

use crate::api::{ApiServer, timestamp, virtual_time};
use crate::clock::VirtualTime;
use crate::objects::{Kind, Object};
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use std::collections::{BTreeMap, BTreeSet};

/// Similar events (same source/object/type/reason) allowed before aggregation.
const MAX_SIMILAR_EVENTS: usize = 10;
/// Window in which similar events count towards aggregation.
const AGGREGATE_WINDOW_MS: u64 = 600_000;
/// Spam filter: burst per source+object, refilled by one token every 300 s.
const SPAM_BURST: f64 = 25.0;
const SPAM_REFILL_MS: f64 = 300_000.0;

/// Who reports an event (`source.component` and `source.host`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source<'a> {
    pub component: &'a str,
    pub host: &'a str,
}

impl<'a> Source<'a> {
    /// A control-plane component (no host).
    pub fn component(component: &'a str) -> Self {
        Self {
            component,
            host: "",
        }
    }
}

/// `Normal` or `Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

#[derive(Debug, Clone)]
struct Aggregate {
    messages: BTreeSet<String>,
    last: VirtualTime,
}

#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    last: VirtualTime,
}

/// Recorder caches (the Event objects themselves live in the store).
#[derive(Debug, Clone, Default)]
pub struct EventRecorder {
    /// Dedup key -> name of the Event object carrying it.
    observed: BTreeMap<String, String>,
    aggregates: BTreeMap<String, Aggregate>,
    spam: BTreeMap<String, Bucket>,
    sequence: u64,
}

fn reference(object: &Object) -> ObjectReference {
    ObjectReference {
        api_version: Some(object.kind().api_version().to_owned()),
        kind: Some(object.kind().name().to_owned()),
        name: Some(object.name().to_owned()),
        namespace: object
            .kind()
            .namespaced()
            .then(|| object.namespace().to_owned()),
        uid: Some(object.uid().to_owned()),
        resource_version: object.meta().resource_version.clone(),
        field_path: None,
    }
}

fn object_key(source: &str, host: &str, r: &ObjectReference) -> String {
    [
        source,
        host,
        r.kind.as_deref().unwrap_or(""),
        r.namespace.as_deref().unwrap_or(""),
        r.name.as_deref().unwrap_or(""),
        r.uid.as_deref().unwrap_or(""),
        r.api_version.as_deref().unwrap_or(""),
    ]
    .join("\u{1f}")
}

impl EventRecorder {
    /// Rebuilds the dedup cache from stored events (after a snapshot restore).
    pub fn rebuild(api: &ApiServer) -> Self {
        let mut recorder = Self::default();
        for object in api.store().list(Kind::Event, None) {
            if let Some(e) = object.as_event() {
                let source = e.source.clone().unwrap_or_default();
                let key = [
                    object_key(
                        source.component.as_deref().unwrap_or(""),
                        source.host.as_deref().unwrap_or(""),
                        &e.involved_object,
                    ),
                    e.type_.clone().unwrap_or_default(),
                    e.reason.clone().unwrap_or_default(),
                    e.message.clone().unwrap_or_default(),
                ]
                .join("\u{1f}");
                recorder.observed.insert(key, object.name().to_owned());
            }
        }
        recorder
    }

    pub(crate) fn to_state(&self) -> serde_json::Value {
        let aggregates: Vec<(&String, Vec<&String>, u64)> = self
            .aggregates
            .iter()
            .map(|(k, a)| (k, a.messages.iter().collect(), a.last.as_millis()))
            .collect();
        let spam: Vec<(&String, f64, u64)> = self
            .spam
            .iter()
            .map(|(k, b)| (k, b.tokens, b.last.as_millis()))
            .collect();
        serde_json::json!({
            "observed": self.observed,
            "aggregates": aggregates,
            "spam": spam,
            "sequence": self.sequence,
        })
    }

    pub(crate) fn from_state(state: &serde_json::Value) -> Self {
        fn field<T: serde::de::DeserializeOwned + Default>(v: &serde_json::Value, f: &str) -> T {
            v.get(f)
                .and_then(|x| serde_json::from_value(x.clone()).ok())
                .unwrap_or_default()
        }
        let aggregates: Vec<(String, Vec<String>, u64)> = field(state, "aggregates");
        let spam: Vec<(String, f64, u64)> = field(state, "spam");
        Self {
            observed: field(state, "observed"),
            aggregates: aggregates
                .into_iter()
                .map(|(k, m, t)| {
                    let last = VirtualTime::from_millis(t);
                    (
                        k,
                        Aggregate {
                            messages: m.into_iter().collect(),
                            last,
                        },
                    )
                })
                .collect(),
            spam: spam
                .into_iter()
                .map(|(k, tokens, t)| {
                    (
                        k,
                        Bucket {
                            tokens,
                            last: VirtualTime::from_millis(t),
                        },
                    )
                })
                .collect(),
            sequence: field(state, "sequence"),
        }
    }

    /// Records an event about `object` from `component` (and optional `host`).
    pub fn record(
        &mut self,
        api: &mut ApiServer,
        source: Source<'_>,
        object: &Object,
        event_type: EventType,
        reason: &str,
        message: &str,
    ) {
        let Source { component, host } = source;
        let now = api.now();
        let involved = reference(object);
        let base = object_key(component, host, &involved);
        if !self.spam_allows(&base, now) {
            return;
        }
        let aggregate_key = [base.as_str(), event_type.as_str(), reason].join("\u{1f}");
        let record = self
            .aggregates
            .entry(aggregate_key.clone())
            .or_insert_with(|| Aggregate {
                messages: BTreeSet::new(),
                last: now,
            });
        if now.as_millis().saturating_sub(record.last.as_millis()) > AGGREGATE_WINDOW_MS {
            record.messages.clear();
        }
        record.messages.insert(message.to_owned());
        record.last = now;
        let (dedup_key, text) = if record.messages.len() < MAX_SIMILAR_EVENTS {
            (
                [aggregate_key.as_str(), message].join("\u{1f}"),
                message.to_owned(),
            )
        } else {
            // Keep the set bounded, as client-go does with PopAny.
            if let Some(first) = record.messages.iter().next().cloned() {
                record.messages.remove(&first);
            }
            (
                aggregate_key,
                format!("(combined from similar events): {message}"),
            )
        };
        let namespace = match object.namespace() {
            "" => "default".to_owned(),
            ns => ns.to_owned(),
        };
        if let Some(name) = self.observed.get(&dedup_key).cloned()
            && let Ok(Object::Event(mut existing)) = api.get(Kind::Event, &namespace, &name)
        {
            existing.count = Some(existing.count.unwrap_or(1) + 1);
            existing.last_timestamp = Some(timestamp(now));
            existing.message = Some(text.clone());
            existing.involved_object = involved.clone();
            existing.metadata.resource_version = None;
            if api.update_shared(Object::Event(existing)).is_ok() {
                return;
            }
        }
        self.sequence += 1;
        let nanos = (1_767_225_600_000u128 + u128::from(now.as_millis())) * 1_000_000
            + u128::from(self.sequence % 1_000_000);
        let name = format!("{}.{nanos:x}", object.name());
        let mut event = Event {
            count: Some(1),
            first_timestamp: Some(timestamp(now)),
            last_timestamp: Some(timestamp(now)),
            involved_object: involved,
            message: Some(text),
            reason: Some(reason.to_owned()),
            type_: Some(event_type.as_str().to_owned()),
            source: Some(EventSource {
                component: Some(component.to_owned()),
                host: (!host.is_empty()).then(|| host.to_owned()),
            }),
            reporting_component: Some(component.to_owned()),
            reporting_instance: Some(host.to_owned()),
            ..Event::default()
        };
        event.metadata.name = Some(name.clone());
        event.metadata.namespace = Some(namespace);
        if api.create_shared(Object::Event(Box::new(event))).is_ok() {
            self.observed.insert(dedup_key, name);
        }
    }

    fn spam_allows(&mut self, key: &str, now: VirtualTime) -> bool {
        // Look up before inserting: most calls find their bucket, and need no key copy.
        if !self.spam.contains_key(key) {
            self.spam.insert(
                key.to_owned(),
                Bucket {
                    tokens: SPAM_BURST,
                    last: now,
                },
            );
        }
        let Some(bucket) = self.spam.get_mut(key) else {
            return false;
        };
        let elapsed = now.as_millis().saturating_sub(bucket.last.as_millis()) as f64;
        bucket.tokens = (bucket.tokens + elapsed / SPAM_REFILL_MS).min(SPAM_BURST);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Events about one object, oldest `lastTimestamp` first (as `kubectl describe` lists them).
pub fn events_for(api: &ApiServer, object: &Object) -> Vec<Event> {
    let namespace = match object.namespace() {
        "" => "default",
        ns => ns,
    };
    let mut events: Vec<Event> = api
        .store()
        .list(Kind::Event, Some(namespace))
        .filter_map(Object::as_event)
        .filter(|e| {
            e.involved_object.uid.as_deref() == Some(object.uid())
                && e.involved_object.kind.as_deref() == Some(object.kind().name())
        })
        .cloned()
        .collect();
    events.sort_by_key(|e| {
        (
            e.last_timestamp.as_ref().map(virtual_time),
            e.metadata.name.clone(),
        )
    });
    events
}
