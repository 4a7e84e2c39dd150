//! The kubelet's pods: a slab of [`PodRt`]s with a small slot per pod key, so a probe wake-up
//! costs one hashed lookup instead of string-compared tree searches over 10,000 pods.
//!
//! Each slot also keeps the pod object the store holds for its key, kept current from the
//! store's watch log ([`PodTable::catch_up`]), so a wake-up of an unchanged pod needs no store
//! lookup either, and the pod's next wake-up (the simulation's `Work::Lifecycle` timer), filed
//! in a bucket per instant: firing a timer needs no key lookup, and the timers due at one
//! instant need no order among themselves (the simulation's work queue orders them).
//! Iteration (the runtime routing to a pod IP, snapshots) follows uid order, as the
//! `BTreeMap<uid, PodRt>` this replaces did.

use super::PodRt;
use crate::clock::VirtualTime;
use crate::objects::{Kind, LookupMap, Object, ObjectKey};
use crate::store::{Store, WatchEventType};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A small integer naming one pod key's entry.
pub(super) type Slot = u32;

/// A pod key as the simulation's work queue holds it (`Work::Lifecycle`): the table's own
/// shared copy of the key (cloning it copies no string) and the slot whose timer fired, so the
/// reconcile that follows finds its pod without hashing the key. Compares, hashes and
/// serialises as the key alone; the slot is only a hint, checked against the entry's key.
#[derive(Debug, Clone)]
pub struct PodKey {
    key: Arc<ObjectKey>,
    slot: Option<Slot>,
}

impl PodKey {
    pub fn key(&self) -> &ObjectKey {
        &self.key
    }
}

impl From<ObjectKey> for PodKey {
    fn from(key: ObjectKey) -> Self {
        PodKey {
            key: Arc::new(key),
            slot: None,
        }
    }
}

impl std::ops::Deref for PodKey {
    type Target = ObjectKey;

    fn deref(&self) -> &ObjectKey {
        &self.key
    }
}

impl PartialEq for PodKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.key, &other.key) || self.key == other.key
    }
}

impl Eq for PodKey {}

impl PartialOrd for PodKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PodKey {
    fn cmp(&self, other: &Self) -> Ordering {
        if Arc::ptr_eq(&self.key, &other.key) {
            return Ordering::Equal;
        }
        self.key.cmp(&other.key)
    }
}

impl Hash for PodKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl Serialize for PodKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.key.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PodKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ObjectKey::deserialize(deserializer).map(PodKey::from)
    }
}

#[derive(Debug, Clone, Default)]
struct Entry {
    /// `None` while the slot is free. Shared with `by_key` and the work queue.
    key: Option<Arc<ObjectKey>>,
    /// When the simulation next runs this pod's lifecycle (`None`: no timer). A slot with a
    /// timer stays allocated after its pod is gone: the timer still fires, as it always did.
    due: Option<VirtualTime>,
    /// `None` while the pod has no runtime state (not started yet, finished before the node saw
    /// it, or taken out while it is reconciled).
    rt: Option<Box<PodRt>>,
    /// The store's current object for `key` (`None`: unknown, look it up).
    object: Option<Arc<Object>>,
    /// `rt` belongs to `object`'s uid (checked once per object, not per wake-up).
    uid_checked: bool,
}

#[derive(Debug, Clone, Default)]
pub(super) struct PodTable {
    entries: Vec<Entry>,
    free: Vec<Slot>,
    by_key: LookupMap<Arc<ObjectKey>, Slot>,
    /// Uid -> slot of every pod with runtime state: the iteration order.
    by_uid: BTreeMap<String, Slot>,
    /// Store revision up to which the cached objects are current.
    seen: u64,
    /// Slots by the instant of their timer.
    wakes: BTreeMap<VirtualTime, Bucket>,
}

/// The slots of one instant. A slot moved to an earlier instant stays behind in its old bucket
/// (skipped when that bucket fires); `live` counts the others, so a bucket whose slots all
/// moved is dropped and never wakes the simulation.
#[derive(Debug, Clone, Default)]
struct Bucket {
    slots: Vec<Slot>,
    live: usize,
}

impl PodTable {
    /// Applies the store's pod writes since the last call to the cached objects.
    pub(super) fn catch_up(&mut self, store: &Store) {
        let revision = store.revision();
        if revision == self.seen {
            return;
        }
        match store.events_since(self.seen) {
            Ok(events) => {
                for event in events {
                    if event.object.kind() != Kind::Pod {
                        continue;
                    }
                    if let Some(&slot) = self.by_key.get(&event.object.key())
                        && let Some(entry) = self.entries.get_mut(slot as usize)
                    {
                        entry.object = (event.event_type != WatchEventType::Deleted)
                            .then(|| Arc::clone(&event.object));
                        entry.uid_checked = false;
                    }
                }
            }
            // History was compacted: forget every cached object (they are looked up again).
            Err(_) => {
                for entry in &mut self.entries {
                    entry.object = None;
                    entry.uid_checked = false;
                }
            }
        }
        self.seen = revision;
    }

    pub(super) fn slot(&self, key: &ObjectKey) -> Option<Slot> {
        self.by_key.get(key).copied()
    }

    /// The slot of a queued pod key: its hint when the entry still holds that key, else a
    /// lookup.
    pub(super) fn resolve(&self, key: &PodKey) -> Option<Slot> {
        let hinted = key.slot.filter(|slot| {
            self.entries
                .get(*slot as usize)
                .and_then(|e| e.key.as_ref())
                .is_some_and(|k| Arc::ptr_eq(k, &key.key))
        });
        hinted.or_else(|| self.slot(&key.key))
    }

    /// The store's current object for the slot's key, if cached (call
    /// [`PodTable::catch_up`] first).
    pub(super) fn cached_object(&self, slot: Slot) -> Option<Arc<Object>> {
        self.entries.get(slot as usize)?.object.clone()
    }

    /// The slot of `key` (`known`, or allocated if new) for the pod with `uid`; runtime state
    /// of an older pod with the same name is dropped. `object` is the store's current object.
    pub(super) fn register(
        &mut self,
        known: Option<Slot>,
        key: &ObjectKey,
        uid: &str,
        object: &Arc<Object>,
    ) -> Slot {
        let slot = match known {
            Some(slot) => slot,
            None => self.allocate(Arc::new(key.clone())),
        };
        let entry = &mut self.entries[slot as usize];
        if entry.uid_checked
            && entry
                .object
                .as_ref()
                .is_some_and(|o| Arc::ptr_eq(o, object))
        {
            return slot;
        }
        entry.object = Some(Arc::clone(object));
        entry.uid_checked = true;
        if let Some(old) = entry.rt.take_if(|rt| rt.uid != uid) {
            self.by_uid.remove(&old.uid);
        }
        slot
    }

    fn allocate(&mut self, key: Arc<ObjectKey>) -> Slot {
        let entry = Entry {
            key: Some(Arc::clone(&key)),
            ..Entry::default()
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.entries[slot as usize] = entry;
                slot
            }
            None => {
                self.entries.push(entry);
                (self.entries.len() - 1) as Slot
            }
        };
        self.by_key.insert(key, slot);
        slot
    }

    /// Forgets `key`'s pod (it is gone). The slot is freed unless a timer is pending.
    pub(super) fn forget(&mut self, key: &ObjectKey) {
        let Some(slot) = self.slot(key) else {
            return;
        };
        if let Some(entry) = self.entries.get_mut(slot as usize) {
            if let Some(rt) = entry.rt.take() {
                self.by_uid.remove(&rt.uid);
            }
            entry.object = None;
            entry.uid_checked = false;
            if entry.due.is_none() {
                *entry = Entry::default();
                self.by_key.remove(key);
                self.free.push(slot);
            }
        }
    }

    /// Sets `key`'s timer to `at` unless an earlier one is pending.
    pub(super) fn wake_at(&mut self, key: &PodKey, at: VirtualTime) {
        let slot = match self.resolve(key) {
            Some(slot) => slot,
            None => self.allocate(Arc::clone(&key.key)),
        };
        let Some(entry) = self.entries.get_mut(slot as usize) else {
            return;
        };
        match entry.due {
            Some(existing) if existing <= at => return,
            Some(existing) => {
                if let Some(bucket) = self.wakes.get_mut(&existing) {
                    bucket.live = bucket.live.saturating_sub(1);
                    if bucket.live == 0 {
                        self.wakes.remove(&existing);
                    }
                }
            }
            None => {}
        }
        entry.due = Some(at);
        let bucket = self.wakes.entry(at).or_default();
        bucket.slots.push(slot);
        bucket.live += 1;
    }

    /// When the earliest timer is due.
    pub(super) fn next_wake(&self) -> Option<VirtualTime> {
        self.wakes.first_key_value().map(|(at, _)| *at)
    }

    /// Fires every timer due at or before `now`, handing each pod key to `fire`.
    pub(super) fn pop_wakes(&mut self, now: VirtualTime, mut fire: impl FnMut(PodKey)) {
        while let Some(entry) = self.wakes.first_entry() {
            if *entry.key() > now {
                break;
            }
            let (at, bucket) = entry.remove_entry();
            for slot in bucket.slots {
                let Some(entry) = self.entries.get_mut(slot as usize) else {
                    continue;
                };
                if entry.due != Some(at) {
                    continue;
                }
                entry.due = None;
                if let Some(key) = &entry.key {
                    fire(PodKey {
                        key: Arc::clone(key),
                        slot: Some(slot),
                    });
                }
            }
        }
    }

    /// Every pending timer (unordered).
    pub(super) fn pending_wakes(&self) -> impl Iterator<Item = (VirtualTime, &ObjectKey)> {
        self.entries
            .iter()
            .filter_map(|e| Some((e.due?, &**e.key.as_ref()?)))
    }

    pub(super) fn has_rt(&self, slot: Slot) -> bool {
        self.entries
            .get(slot as usize)
            .is_some_and(|e| e.rt.is_some())
    }

    /// Stores new runtime state in `slot`.
    pub(super) fn insert(&mut self, slot: Slot, rt: Box<PodRt>) {
        if let Some(entry) = self.entries.get_mut(slot as usize) {
            if let Some(old) = entry.rt.take() {
                self.by_uid.remove(&old.uid);
            }
            self.by_uid.insert(rt.uid.clone(), slot);
            entry.rt = Some(rt);
        }
    }

    pub(super) fn get(&self, slot: Slot) -> Option<&PodRt> {
        self.entries.get(slot as usize)?.rt.as_deref()
    }

    pub(super) fn get_mut(&mut self, slot: Slot) -> Option<&mut PodRt> {
        self.entries.get_mut(slot as usize)?.rt.as_deref_mut()
    }

    /// Takes a pod's runtime state out while it runs, so its processes can reach the other
    /// pods through the runtime without aliasing; [`PodTable::put_back`] returns it.
    pub(super) fn take(&mut self, slot: Slot) -> Option<Box<PodRt>> {
        self.entries.get_mut(slot as usize)?.rt.take()
    }

    pub(super) fn put_back(&mut self, slot: Slot, rt: Box<PodRt>) {
        if let Some(entry) = self.entries.get_mut(slot as usize) {
            entry.rt = Some(rt);
        }
    }

    /// Drops a pod's runtime state that was taken out (the pod is gone) and forgets its key.
    pub(super) fn remove_taken(&mut self, key: &ObjectKey, uid: &str) {
        self.by_uid.remove(uid);
        self.forget(key);
    }

    pub(super) fn by_key(&self, key: &ObjectKey) -> Option<&PodRt> {
        self.get(self.slot(key)?)
    }

    /// Pods with runtime state, in uid order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &PodRt> {
        self.by_uid
            .values()
            .filter_map(|slot| self.entries.get(*slot as usize)?.rt.as_deref())
    }

    /// The first pod (in uid order) with this IP.
    pub(super) fn find_by_ip_mut(&mut self, ip: &str) -> Option<&mut PodRt> {
        let slot = self.by_uid.values().copied().find(|slot| {
            self.entries
                .get(*slot as usize)
                .and_then(|e| e.rt.as_ref())
                .is_some_and(|rt| rt.ip.as_deref() == Some(ip))
        })?;
        self.get_mut(slot)
    }

    /// Rebuilds the table from uid-ordered runtime states (a restore).
    fn from_pods(pods: BTreeMap<String, PodRt>) -> Self {
        let mut table = PodTable::default();
        for (uid, rt) in pods {
            // Two states for one key cannot happen (a new uid replaces the old state); should a
            // saved table hold them anyway, the last uid wins, as it did before slots.
            table.forget(&rt.key);
            let key = Arc::new(rt.key.clone());
            let slot = table.entries.len() as Slot;
            table.entries.push(Entry {
                key: Some(Arc::clone(&key)),
                rt: Some(Box::new(rt)),
                ..Entry::default()
            });
            table.by_key.insert(key, slot);
            table.by_uid.insert(uid, slot);
        }
        table
    }
}

impl Serialize for PodTable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.by_uid.iter().filter_map(|(uid, slot)| {
                Some((uid, self.entries.get(*slot as usize)?.rt.as_ref()?))
            }),
        )
    }
}

impl<'de> Deserialize<'de> for PodTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, PodRt>::deserialize(deserializer).map(PodTable::from_pods)
    }
}
