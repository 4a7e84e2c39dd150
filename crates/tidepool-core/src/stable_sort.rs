//! Stable sorting through one shared copy of std's sort.
//!
//! `slice::sort_by` is compiled once per element type and comparator: the cluster worker's
//! wasm carried 59 copies of it (about 0.23 MB of code before `wasm-opt`). These functions
//! sort a list of indices with one non-generic comparator (`dyn`), so std's sort is compiled
//! once, and then move the items into that order with swaps (small per-type code). The order
//! is the one `slice::sort_by` gives: stable, ties keep their input order.

use std::cmp::Ordering;

/// Stable sort by a comparator, like `slice::sort_by`.
pub fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let mut order = sorted_indices(items.len(), &mut |a, b| compare(&items[a], &items[b]));
    permute(items, &mut order);
}

/// Stable sort by a key, like `slice::sort_by_key`.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Stable sort by the items' order, like `slice::sort`.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// Collects into a `BTreeMap` or `BTreeSet` by inserting one item at a time. `collect()` into
/// them sorts a buffer with std's stable sort first (one more copy of it per element type);
/// inserting needs none. The result is the same (of equal map keys, the last value stays).
pub fn collect_by_insert<C: Default + Extend<A>, A>(items: impl IntoIterator<Item = A>) -> C {
    let mut collection = C::default();
    collection.extend(items);
    collection
}

/// `0..len` in the order `compare` puts those positions in (stable). Not generic and never
/// inlined, so that every caller shares this one instantiation of std's sort.
#[inline(never)]
fn sorted_indices(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Rearranges `items` so that position `i` holds the item that was at `order[i]`, cycle by
/// cycle (`order` is a permutation of `0..items.len()`; it is used up as the walk goes).
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut position = start;
        // Each cycle is walked once; a visited position points at itself afterwards.
        while order[position] != start && order[position] != position {
            let source = order[position];
            items.swap(position, source);
            order[position] = position;
            position = source;
        }
        order[position] = position;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Same order as std's stable sort, ties included (the payload tells equal keys apart).
        #[test]
        fn matches_std_stable_sort(keys in proptest::collection::vec(0u8..6, 0..60)) {
            let items: Vec<(u8, usize)> = keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|item| item.0);
            let mut ours = items.clone();
            sort_by_key(&mut ours, |item| item.0);
            prop_assert_eq!(&ours, &expected);
            let mut reversed = items;
            sort_by(&mut reversed, |a, b| b.0.cmp(&a.0));
            expected.sort_by_key(|item| std::cmp::Reverse(item.0));
            prop_assert_eq!(reversed, expected);
        }
    }

    #[test]
    fn collect_by_insert_equals_collect() {
        let pairs = [(3, "c"), (1, "a"), (3, "d"), (2, "b")];
        let inserted: std::collections::BTreeMap<i32, &str> = collect_by_insert(pairs);
        let collected: std::collections::BTreeMap<i32, &str> = pairs.into_iter().collect();
        assert_eq!(inserted, collected);
    }

    #[test]
    fn sorts_strings() {
        let mut words = vec!["pear", "apple", "fig", "apple"];
        sort(&mut words);
        assert_eq!(words, ["apple", "apple", "fig", "pear"]);
        let mut empty: Vec<String> = Vec::new();
        sort(&mut empty);
        assert!(empty.is_empty());
    }
}
