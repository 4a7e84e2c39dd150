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
/// Entries each recorder cache keeps, least recently used dropped first: client-go's
/// `maxLruCacheEntries` (its aggregator, logger and spam filter caches are LRUs of this size).
/// Without a bound, 10,000 pods starting would leave about 50,000 entries in each.
const MAX_CACHE_ENTRIES: usize = 4096;

/// A least-recently-used map with string keys, as client-go's `lru.Cache`. Deterministic:
/// recency is a counter, not a clock. Iteration is in key order.
#[derive(Debug, Clone)]
struct Lru<V> {
    entries: BTreeMap<String, (u64, V)>,
    /// Last use -> key, oldest first.
    recency: BTreeMap<u64, String>,
    tick: u64,
}

impl<V> Default for Lru<V> {
    fn default() -> Self {
        Self {
            entries: BTreeMap::new(),
            recency: BTreeMap::new(),
            tick: 0,
        }
    }
}

impl<V> Lru<V> {
    /// The entry for `key`, marked as just used.
    fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let (used, value) = self.entries.get_mut(key)?;
        self.tick += 1;
        if let Some(owned) = self.recency.remove(used) {
            self.recency.insert(self.tick, owned);
        }
        *used = self.tick;
        Some(value)
    }

    /// Adds or replaces `key`, marked as just used; drops the least recently used entry when
    /// the cache is full.
    fn insert(&mut self, key: String, value: V) {
        self.tick += 1;
        if let Some((used, _)) = self.entries.get(&key) {
            self.recency.remove(used);
        }
        self.recency.insert(self.tick, key.clone());
        self.entries.insert(key, (self.tick, value));
        while self.entries.len() > MAX_CACHE_ENTRIES {
            let Some((_, oldest)) = self.recency.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
    }

    /// Entries in key order.
    fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.entries.iter().map(|(k, (_, v))| (k, v))
    }

    /// Keys from least to most recently used.
    fn keys_by_recency(&self) -> Vec<&String> {
        self.recency.values().collect()
    }

    /// Rebuilds a cache from entries and the keys' recency (oldest first); entries the
    /// recency list does not name count as older, in key order.
    fn restore(entries: Vec<(String, V)>, recency: &[String]) -> Self {
        let mut by_key: BTreeMap<String, V> = entries.into_iter().collect();
        let mut lru = Self::default();
        let mut ordered: Vec<(String, V)> = Vec::with_capacity(by_key.len());
        let named: Vec<(String, V)> = recency
            .iter()
            .filter_map(|k| by_key.remove_entry(k))
            .collect();
        ordered.extend(by_key);
        ordered.extend(named);
        for (key, value) in ordered {
            lru.insert(key, value);
        }
        lru
    }
}

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
    observed: Lru<String>,
    aggregates: Lru<Aggregate>,
    spam: Lru<Bucket>,
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

    /// The recorder's caches by key, then each cache's keys from least to most recently used.
    #[cfg(test)]
    fn cache_keys(&self) -> [Vec<String>; 6] {
        let keys = |v: Vec<&String>| v.into_iter().cloned().collect::<Vec<_>>();
        [
            keys(self.observed.iter().map(|(k, _)| k).collect()),
            keys(self.aggregates.iter().map(|(k, _)| k).collect()),
            keys(self.spam.iter().map(|(k, _)| k).collect()),
            keys(self.observed.keys_by_recency()),
            keys(self.aggregates.keys_by_recency()),
            keys(self.spam.keys_by_recency()),
        ]
    }

    pub(crate) fn to_state(&self) -> serde_json::Value {
        let observed: BTreeMap<&String, &String> = self.observed.iter().collect();
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
            "observed": observed,
            "aggregates": aggregates,
            "spam": spam,
            "sequence": self.sequence,
            "recency": {
                "observed": self.observed.keys_by_recency(),
                "aggregates": self.aggregates.keys_by_recency(),
                "spam": self.spam.keys_by_recency(),
            },
        })
    }

    pub(crate) fn from_state(state: &serde_json::Value) -> Self {
        fn field<T: serde::de::DeserializeOwned + Default>(v: &serde_json::Value, f: &str) -> T {
            v.get(f)
                .and_then(|x| serde_json::from_value(x.clone()).ok())
                .unwrap_or_default()
        }
        // Snapshots from before the caches were bounded carry no recency: key order then.
        let recency = state.get("recency").cloned().unwrap_or_default();
        let observed: BTreeMap<String, String> = field(state, "observed");
        let aggregates: Vec<(String, Vec<String>, u64)> = field(state, "aggregates");
        let spam: Vec<(String, f64, u64)> = field(state, "spam");
        Self {
            observed: Lru::restore(
                observed.into_iter().collect(),
                &field::<Vec<String>>(&recency, "observed"),
            ),
            aggregates: Lru::restore(
                aggregates
                    .into_iter()
                    .map(|(k, m, t)| {
                        let aggregate = Aggregate {
                            messages: m.into_iter().collect(),
                            last: VirtualTime::from_millis(t),
                        };
                        (k, aggregate)
                    })
                    .collect(),
                &field::<Vec<String>>(&recency, "aggregates"),
            ),
            spam: Lru::restore(
                spam.into_iter()
                    .map(|(k, tokens, t)| {
                        let bucket = Bucket {
                            tokens,
                            last: VirtualTime::from_millis(t),
                        };
                        (k, bucket)
                    })
                    .collect(),
                &field::<Vec<String>>(&recency, "spam"),
            ),
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
        if self.aggregates.get_mut(&aggregate_key).is_none() {
            let fresh = Aggregate {
                messages: BTreeSet::new(),
                last: now,
            };
            self.aggregates.insert(aggregate_key.clone(), fresh);
        }
        let Some(record) = self.aggregates.get_mut(&aggregate_key) else {
            return;
        };
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
        if let Some(name) = self.observed.get_mut(&dedup_key).cloned()
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
        if self.spam.get_mut(key).is_none() {
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
    crate::stable_sort::sort_by_key(&mut events, |e| {
        (
            e.last_timestamp.as_ref().map(virtual_time),
            e.metadata.name.clone(),
        )
    });
    events
}

#[cfg(test)]
mod cache_tests {
    use super::*;
    use crate::SimRng;
    use crate::api::ObjectLimits;
    use crate::cluster::{ClusterConfig, bootstrap};

    #[test]
    fn lru_drops_the_least_recently_used_entry() {
        let mut lru: Lru<usize> = Lru::default();
        for i in 0..MAX_CACHE_ENTRIES {
            lru.insert(format!("k{i}"), i);
        }
        // Using the oldest entry makes the second oldest the one to go.
        assert_eq!(lru.get_mut("k0").copied(), Some(0));
        lru.insert("new".to_owned(), 0);
        assert_eq!(lru.entries.len(), MAX_CACHE_ENTRIES);
        assert!(lru.get_mut("k1").is_none());
        assert!(lru.get_mut("k0").is_some());
        assert_eq!(lru.keys_by_recency().last().map(|k| k.as_str()), Some("k0"));
    }

    #[test]
    fn caches_are_bounded_and_survive_a_snapshot_in_recency_order() {
        let mut api = ApiServer::new(SimRng::seeded(3), ObjectLimits::default());
        assert!(bootstrap(&mut api, &ClusterConfig::default()).is_ok());
        let mut recorder = EventRecorder::default();
        // More distinct objects than a cache keeps, one event each.
        for i in 0..MAX_CACHE_ENTRIES + 10 {
            let mut cm = k8s_openapi::api::core::v1::ConfigMap::default();
            cm.metadata.name = Some(format!("cm{i}"));
            cm.metadata.namespace = Some("default".to_owned());
            recorder.record(
                &mut api,
                Source::component("test"),
                &Object::from(cm),
                EventType::Normal,
                "Reason",
                "m",
            );
        }
        let keys = recorder.cache_keys();
        for cache in &keys {
            assert_eq!(cache.len(), MAX_CACHE_ENTRIES);
        }
        // The first objects' entries went first.
        assert!(!keys[2].iter().any(|k| k.contains("\u{1f}cm0\u{1f}")));
        assert!(
            keys[2]
                .iter()
                .any(|k| k.contains(&format!("\u{1f}cm{MAX_CACHE_ENTRIES}\u{1f}")))
        );
        let restored = EventRecorder::from_state(&recorder.to_state());
        assert_eq!(restored.cache_keys(), keys);
        assert_eq!(restored.to_state(), recorder.to_state());
    }
}
