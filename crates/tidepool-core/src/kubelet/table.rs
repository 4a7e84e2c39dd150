//! The kubelet's pods: a slab of [`PodRt`]s with a small slot per pod key, so a probe wake-up
//! costs one hashed lookup instead of string-compared tree searches over 10,000 pods.
//!
//! Each slot also keeps the pod object the store holds for its key, kept current from the
//! store's watch log ([`PodTable::catch_up`]), so a wake-up of an unchanged pod needs no store
//! lookup either. Iteration (the runtime routing to a pod IP, snapshots) follows uid order, as
//! the `BTreeMap<uid, PodRt>` this replaces did.

use super::PodRt;
use crate::objects::{Kind, LookupMap, Object, ObjectKey};
use crate::store::{Store, WatchEventType};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A small integer naming one pod key's entry.
pub(super) type Slot = u32;

#[derive(Debug, Clone, Default)]
struct Entry {
    /// `None` while the pod has no runtime state (not started yet, finished before the node saw
    /// it, or taken out while it is reconciled).
    rt: Option<PodRt>,
    /// The store's current object for `key` (`None`: unknown, look it up).
    object: Option<Arc<Object>>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct PodTable {
    entries: Vec<Entry>,
    free: Vec<Slot>,
    by_key: LookupMap<ObjectKey, Slot>,
    /// Uid -> slot of every pod with runtime state: the iteration order.
    by_uid: BTreeMap<String, Slot>,
    /// Store revision up to which the cached objects are current.
    seen: u64,
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
                    }
                }
            }
            // History was compacted: forget every cached object (they are looked up again).
            Err(_) => {
                for entry in &mut self.entries {
                    entry.object = None;
                }
            }
        }
        self.seen = revision;
    }

    pub(super) fn slot(&self, key: &ObjectKey) -> Option<Slot> {
        self.by_key.get(key).copied()
    }

    /// The store's current object for `key`, if cached (call [`PodTable::catch_up`] first).
    pub(super) fn cached_object(&self, key: &ObjectKey) -> Option<Arc<Object>> {
        let entry = self.entries.get(self.slot(key)? as usize)?;
        entry.object.clone()
    }

    /// The slot of `key` (allocated if new) for the pod with `uid`; runtime state of an older
    /// pod with the same name is dropped. `object` is the store's current object.
    pub(super) fn register(&mut self, key: &ObjectKey, uid: &str, object: &Arc<Object>) -> Slot {
        let slot = match self.slot(key) {
            Some(slot) => slot,
            None => {
                let entry = Entry::default();
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
                self.by_key.insert(key.clone(), slot);
                slot
            }
        };
        let entry = &mut self.entries[slot as usize];
        entry.object = Some(Arc::clone(object));
        if let Some(old) = entry.rt.take_if(|rt| rt.uid != uid) {
            self.by_uid.remove(&old.uid);
        }
        slot
    }

    /// Forgets `key` entirely (the pod is gone).
    pub(super) fn forget(&mut self, key: &ObjectKey) {
        let Some(slot) = self.by_key.remove(key) else {
            return;
        };
        if let Some(entry) = self.entries.get_mut(slot as usize) {
            if let Some(rt) = entry.rt.take() {
                self.by_uid.remove(&rt.uid);
            }
            *entry = Entry::default();
            self.free.push(slot);
        }
    }

    pub(super) fn has_rt(&self, slot: Slot) -> bool {
        self.entries
            .get(slot as usize)
            .is_some_and(|e| e.rt.is_some())
    }

    /// Stores new runtime state in `slot`.
    pub(super) fn insert(&mut self, slot: Slot, rt: PodRt) {
        if let Some(entry) = self.entries.get_mut(slot as usize) {
            if let Some(old) = entry.rt.take() {
                self.by_uid.remove(&old.uid);
            }
            self.by_uid.insert(rt.uid.clone(), slot);
            entry.rt = Some(rt);
        }
    }

    pub(super) fn get(&self, slot: Slot) -> Option<&PodRt> {
        self.entries.get(slot as usize)?.rt.as_ref()
    }

    pub(super) fn get_mut(&mut self, slot: Slot) -> Option<&mut PodRt> {
        self.entries.get_mut(slot as usize)?.rt.as_mut()
    }

    /// Takes a pod's runtime state out while it runs, so its processes can reach the other
    /// pods through the runtime without aliasing; [`PodTable::put_back`] returns it.
    pub(super) fn take(&mut self, slot: Slot) -> Option<PodRt> {
        self.entries.get_mut(slot as usize)?.rt.take()
    }

    pub(super) fn put_back(&mut self, slot: Slot, rt: PodRt) {
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
            .filter_map(|slot| self.entries.get(*slot as usize)?.rt.as_ref())
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
            let key = rt.key.clone();
            let slot = table.entries.len() as Slot;
            table.entries.push(Entry {
                rt: Some(rt),
                object: None,
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
