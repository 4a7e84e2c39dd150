//! The etcd stand-in: objects by kind/namespace/name, one global revision counter and a watch
//! log. The API layer is its only writer; everything else reads.

use crate::clock::VirtualTime;
use crate::objects::{Kind, LookupMap, Object, ObjectKey};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Bound;
use std::sync::{Arc, Weak};

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchEventType {
    Added,
    Modified,
    Deleted,
}

impl WatchEventType {
    /// The wire name (`ADDED`, `MODIFIED`, `DELETED`).
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "ADDED",
            WatchEventType::Modified => "MODIFIED",
            WatchEventType::Deleted => "DELETED",
        }
    }
}

/// One entry of the watch stream. `revision` is the store revision the change produced.
/// `object` is shared with the store (no copy per event); use `&*event.object` to match on it.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchEvent {
    pub revision: u64,
    pub event_type: WatchEventType,
    pub object: Arc<Object>,
}

/// How many watch events the store keeps before it compacts the oldest half away (etcd
/// compaction). Watchers that fall further behind get "too old resource version" and re-list.
const WATCH_LOG_CAPACITY: usize = 10_000;

/// How long an Event lives after its last write: kube-apiserver's `--event-ttl` (default 1 h),
/// which it implements as an etcd lease attached on every create and update of an Event.
pub const EVENT_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Objects plus their change history. The maps and the controller index share one copy of
/// each key (`Arc<ObjectKey>`): 62,000 objects at 10,000 running pods.
#[derive(Debug, Clone, Default)]
pub struct Store {
    objects: BTreeMap<Arc<ObjectKey>, Arc<Object>>,
    /// The same objects hashed by key: point lookups (the most frequent reads, from every
    /// component) skip the tree's string comparisons. Never iterated.
    by_key: LookupMap<Arc<ObjectKey>, Arc<Object>>,
    revision: u64,
    log: Vec<WatchEvent>,
    counts: BTreeMap<Kind, usize>,
    /// Keys by the uid of their controller (`""` for objects without one), so controllers find
    /// their pods without scanning a namespace.
    by_controller: BTreeMap<String, BTreeSet<Arc<ObjectKey>>>,
    /// The virtual time of writes (set by the API server), for Event leases.
    now: VirtualTime,
    /// Event leases in expiry order: (expires at, the version written). A lease whose version
    /// is no longer the stored one was renewed by a later write (or the Event was deleted) and
    /// is skipped. The version is held weakly, so a lease costs no copy of the Event's key and
    /// keeps no replaced version alive (50,000 Events at 10,000 running pods).
    event_leases: VecDeque<(VirtualTime, Weak<Object>)>,
}

/// Whether `object`, which has no controller, is indexed under `""` in `by_controller`. Only
/// orphan Pods are ever looked up there (ReplicaSet adoption); Events, the most numerous kind
/// and never controlled, would each cost a copy of their key.
fn index_orphan(object: &Object) -> bool {
    object.kind() != Kind::Event
}

fn controller_uid(object: &Object) -> &str {
    object
        .meta()
        .owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
        .map_or("", |r| r.uid.as_str())
}

impl Store {
    /// The revision of the latest change (the `resourceVersion` a list would report).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn get(&self, key: &ObjectKey) -> Option<&Object> {
        self.by_key.get(key).map(|o| &**o)
    }

    /// The stored object itself, shared (cheap to keep while the store changes).
    pub fn get_shared(&self, key: &ObjectKey) -> Option<Arc<Object>> {
        self.by_key.get(key).cloned()
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    /// Objects of `kind`, in one namespace or (with `None`) all, sorted by namespace then name.
    pub fn list(&self, kind: Kind, namespace: Option<&str>) -> impl Iterator<Item = &Object> {
        self.list_shared(kind, namespace).map(|o| &**o)
    }

    /// Like [`Store::list`], but the objects shared (cheap to keep while the store changes).
    pub fn list_shared(
        &self,
        kind: Kind,
        namespace: Option<&str>,
    ) -> impl Iterator<Item = &Arc<Object>> {
        let start = ObjectKey {
            kind,
            namespace: namespace.unwrap_or("").to_owned(),
            name: String::new(),
        };
        let namespace = namespace.map(str::to_owned);
        self.objects
            .range::<ObjectKey, _>((Bound::Included(start), Bound::Unbounded))
            .take_while(move |(k, _)| {
                k.kind == kind && namespace.as_ref().is_none_or(|ns| &k.namespace == ns)
            })
            .map(|(_, o)| o)
    }

    /// All objects, in key order.
    pub fn all(&self) -> impl Iterator<Item = &Object> {
        self.objects.values().map(|o| &**o)
    }

    /// Writes `object` (create or replace), stamping a new resourceVersion. Returns the stored copy.
    pub fn put(&mut self, object: Object) -> Object {
        Arc::unwrap_or_clone(self.put_shared(object))
    }

    /// Like [`Store::put`], but returns the stored object shared instead of a copy (writers
    /// that do not need the result avoid cloning it).
    pub fn put_shared(&mut self, mut object: Object) -> Arc<Object> {
        self.revision += 1;
        object.meta_mut().resource_version = Some(self.revision.to_string());
        let key = object.key();
        let shared = Arc::new(object);
        let event_type = if let Some(stored) = self.by_key.get_mut(&key) {
            // A replacement: the maps keep their keys; only the controller index may move.
            let old = std::mem::replace(stored, Arc::clone(&shared));
            if let Some(stored) = self.objects.get_mut(&key) {
                *stored = Arc::clone(&shared);
            }
            if controller_uid(&old) != controller_uid(&shared) {
                self.unindex(&old, &key);
                if let Some((stored_key, _)) = self.by_key.get_key_value(&key) {
                    let stored_key = Arc::clone(stored_key);
                    self.index(&shared, &stored_key);
                }
            }
            WatchEventType::Modified
        } else {
            *self.counts.entry(key.kind).or_default() += 1;
            let key = Arc::new(key.clone());
            self.index(&shared, &key);
            self.by_key.insert(Arc::clone(&key), Arc::clone(&shared));
            self.objects.insert(key, Arc::clone(&shared));
            WatchEventType::Added
        };
        if key.kind == Kind::Event {
            self.event_leases
                .push_back((self.now.saturating_add(EVENT_TTL), Arc::downgrade(&shared)));
        }
        self.record(event_type, Arc::clone(&shared));
        shared
    }

    /// Moves the store's clock (writes after this get leases from `now`).
    pub(crate) fn set_now(&mut self, now: VirtualTime) {
        self.now = now;
    }

    /// Deletes the Events whose lease ran out by the store's `now`, as etcd does when a lease
    /// expires (a DELETED watch event each). Returns how many were deleted.
    pub(crate) fn expire_events(&mut self) -> usize {
        let mut expired = 0;
        while let Some((at, _)) = self.event_leases.front() {
            if *at > self.now {
                break;
            }
            let Some((_, written)) = self.event_leases.pop_front() else {
                break;
            };
            // A version the store no longer holds may still be alive elsewhere (the watch
            // log): it is current only if it is the stored object itself.
            let Some(written) = written.upgrade() else {
                continue;
            };
            let key = written.key();
            let current = self
                .by_key
                .get(&key)
                .is_some_and(|stored| Arc::ptr_eq(stored, &written));
            drop(written);
            if current && self.remove(&key).is_some() {
                expired += 1;
            }
        }
        expired
    }

    /// Rebuilds the Event leases after a restore: each Event's last write is taken to be its
    /// `lastTimestamp` (else `eventTime`, else its creation), which a snapshot keeps to the
    /// second.
    fn rebuild_event_leases(&mut self) {
        let mut leases: Vec<(VirtualTime, u64, Weak<Object>)> = self
            .list_shared(Kind::Event, None)
            .filter_map(|object| {
                let event = object.as_event()?;
                let written = event
                    .last_timestamp
                    .as_ref()
                    .map(crate::api::virtual_time)
                    .or_else(|| {
                        event
                            .event_time
                            .as_ref()
                            .map(|t| crate::api::virtual_time(&Time(t.0)))
                    })
                    .or_else(|| {
                        event
                            .metadata
                            .creation_timestamp
                            .as_ref()
                            .map(crate::api::virtual_time)
                    })
                    .unwrap_or(self.now);
                let revision = event.metadata.resource_version.as_deref()?.parse().ok()?;
                Some((
                    written.saturating_add(EVENT_TTL),
                    revision,
                    Arc::downgrade(object),
                ))
            })
            .collect();
        // Same expiry order as before the leases held versions: by time, then revision.
        crate::stable_sort::sort_by_key(&mut leases, |(at, revision, _)| (*at, *revision));
        self.event_leases = leases
            .into_iter()
            .map(|(at, _, written)| (at, written))
            .collect();
    }

    /// Removes an object, recording a DELETED event carrying its last state.
    pub fn remove(&mut self, key: &ObjectKey) -> Option<Object> {
        self.by_key.remove(key);
        let mut object = Arc::unwrap_or_clone(self.objects.remove(key)?);
        self.unindex(&object, key);
        if let Some(count) = self.counts.get_mut(&key.kind) {
            *count = count.saturating_sub(1);
        }
        self.revision += 1;
        object.meta_mut().resource_version = Some(self.revision.to_string());
        let shared = Arc::new(object);
        self.record(WatchEventType::Deleted, Arc::clone(&shared));
        Some(Arc::unwrap_or_clone(shared))
    }

    fn index(&mut self, object: &Object, key: &Arc<ObjectKey>) {
        let controller = controller_uid(object);
        if controller.is_empty() && !index_orphan(object) {
            return;
        }
        match self.by_controller.get_mut(controller) {
            Some(keys) => {
                keys.insert(Arc::clone(key));
            }
            None => {
                self.by_controller
                    .insert(controller.to_owned(), BTreeSet::from([Arc::clone(key)]));
            }
        }
    }

    fn unindex(&mut self, object: &Object, key: &ObjectKey) {
        let controller = controller_uid(object);
        if let Some(keys) = self.by_controller.get_mut(controller) {
            keys.remove(key);
            if keys.is_empty() {
                self.by_controller.remove(controller);
            }
        }
    }

    /// Objects of `kind` in `namespace` whose controller has `uid` (`""`: no controller; Events
    /// without one are not indexed, see [`index_orphan`]).
    pub fn controlled_by<'a>(
        &'a self,
        uid: &str,
        kind: Kind,
        namespace: &str,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        let start = ObjectKey::new(kind, namespace, "");
        let namespace = start.namespace.clone();
        self.by_controller
            .get(uid)
            .into_iter()
            .flat_map(move |keys| keys.range::<ObjectKey, _>(start.clone()..))
            .take_while(move |k| k.kind == kind && k.namespace == namespace)
            .filter_map(|k| self.by_key.get(&**k).map(|o| &**o))
    }

    fn record(&mut self, event_type: WatchEventType, object: Arc<Object>) {
        if self.log.len() >= WATCH_LOG_CAPACITY {
            self.log.drain(..WATCH_LOG_CAPACITY / 2);
        }
        self.log.push(WatchEvent {
            revision: self.revision,
            event_type,
            object,
        });
    }

    /// Watch events after `revision`, oldest first. `Err` carries the oldest revision still
    /// kept when `revision` was compacted away (the apiserver's "too old resource version").
    pub fn events_since(&self, revision: u64) -> Result<&[WatchEvent], u64> {
        let start = self.log.partition_point(|e| e.revision <= revision);
        if start == 0 && self.log.first().is_some_and(|e| e.revision > revision + 1) {
            return Err(self.log[0].revision);
        }
        Ok(&self.log[start..])
    }

    /// Rebuilds a store from saved objects (watch history starts empty at `revision`).
    pub fn restore(objects: Vec<Object>, revision: u64) -> Store {
        let mut store = Store {
            revision,
            ..Store::default()
        };
        for object in objects {
            *store.counts.entry(object.kind()).or_default() += 1;
            let key = Arc::new(object.key());
            store.index(&object, &key);
            let shared = Arc::new(object);
            store.by_key.insert(Arc::clone(&key), Arc::clone(&shared));
            store.objects.insert(key, shared);
        }
        store
    }

    /// Sets the clock of a restored store and rebuilds its Event leases.
    pub(crate) fn restored_at(mut self, now: VirtualTime) -> Store {
        self.now = now;
        self.rebuild_event_leases();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    fn config_map(ns: &str, name: &str) -> Object {
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some(name.into());
        cm.metadata.namespace = Some(ns.into());
        cm.into()
    }

    #[test]
    fn revisions_increase_and_watch_replays() {
        let mut store = Store::default();
        store.put(config_map("a", "one"));
        store.put(config_map("b", "two"));
        store.put(config_map("a", "one"));
        store.remove(&ObjectKey::new(Kind::ConfigMap, "b", "two"));
        assert_eq!(store.revision(), 4);
        let types: Vec<_> = store
            .events_since(1)
            .map(|events| events.iter().map(|e| e.event_type.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(types, vec!["ADDED", "MODIFIED", "DELETED"]);
        assert_eq!(store.list(Kind::ConfigMap, Some("a")).count(), 1);
        assert_eq!(store.list(Kind::ConfigMap, None).count(), 1);
        assert_eq!(store.count(Kind::ConfigMap), 1);
    }

    fn event(name: &str) -> Object {
        let mut e = k8s_openapi::api::core::v1::Event::default();
        e.metadata.name = Some(name.into());
        e.metadata.namespace = Some("default".into());
        e.into()
    }

    #[test]
    fn events_expire_an_hour_after_their_last_write() {
        let minutes = |m: u64| VirtualTime::from_millis(m * 60_000);
        let mut store = Store::default();
        store.put(event("old"));
        store.put(event("renewed"));
        store.set_now(minutes(30));
        store.put(event("renewed"));
        store.put(config_map("default", "kept"));
        store.set_now(minutes(59));
        assert_eq!(store.expire_events(), 0);
        store.set_now(minutes(60));
        assert_eq!(store.expire_events(), 1);
        assert!(
            store
                .get(&ObjectKey::new(Kind::Event, "default", "old"))
                .is_none()
        );
        assert!(
            store
                .get(&ObjectKey::new(Kind::Event, "default", "renewed"))
                .is_some()
        );
        let last = store.events_since(store.revision() - 1).map(|e| e.to_vec());
        assert!(last.is_ok_and(|e| e[0].event_type == WatchEventType::Deleted));
        store.set_now(minutes(90));
        assert_eq!(store.expire_events(), 1);
        assert_eq!(store.count(Kind::Event), 0);
        assert_eq!(store.count(Kind::ConfigMap), 1);
    }
}
