//! A cursor over the union of several sorted cursors (LevelDB's
//! `table/merger.cc`). On equal keys the child listed first wins, so
//! sources are passed newest first. Unlike LevelDB's, the merge stops at
//! the first source that fails (its error is in `status`), so a scan never
//! skips a damaged block's keys and carries on as if they did not exist.

use std::cmp::Ordering;
use strata_api::{KvIterator, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Reverse,
}

/// The union of `children`, ordered by `cmp`.
pub struct MergingIterator {
    children: Vec<Box<dyn KvIterator>>,
    cmp: fn(&[u8], &[u8]) -> Ordering,
    current: Option<usize>,
    /// Moving forward: the child with the smallest key other than
    /// `current` (`None` if no other is valid). Children other than the
    /// current one do not move during `next`, so while the current child's
    /// new key still sorts before this one's it stays current, with one
    /// comparison instead of one per child (long runs come from one source
    /// in a scan). Only `find_smallest` sets it.
    runner_up: Option<usize>,
    direction: Direction,
    /// Copy of the current key while the other children are repositioned.
    scratch: Vec<u8>,
}

impl MergingIterator {
    /// Merges `children` (newest first) under `cmp`.
    pub fn new(children: Vec<Box<dyn KvIterator>>, cmp: fn(&[u8], &[u8]) -> Ordering) -> Self {
        MergingIterator {
            children,
            cmp,
            current: None,
            runner_up: None,
            direction: Direction::Forward,
            scratch: Vec::new(),
        }
    }

    fn find_smallest(&mut self) {
        let mut best: Option<usize> = None;
        let mut second: Option<usize> = None;
        self.runner_up = None;
        for (i, c) in self.children.iter().enumerate() {
            if !c.valid() {
                if c.status().is_err() {
                    // A damaged source ends the merge: going on would
                    // silently leave out its keys (status() reports why).
                    self.current = None;
                    return;
                }
                continue;
            }
            match best {
                Some(b) if (self.cmp)(c.key(), self.children[b].key()) != Ordering::Less => {
                    // Not the smallest: maybe the smallest of the rest. On
                    // ties the earlier child stays ahead, as for `best`.
                    second = match second {
                        Some(s)
                            if (self.cmp)(c.key(), self.children[s].key()) != Ordering::Less =>
                        {
                            Some(s)
                        }
                        _ => Some(i),
                    };
                }
                _ => {
                    second = best;
                    best = Some(i);
                }
            }
        }
        self.current = best;
        self.runner_up = second;
    }

    /// After the current child moved forward: true if it is still the
    /// smallest, decided against the runner-up alone.
    fn current_still_smallest(&self, cur: usize) -> bool {
        let c = &self.children[cur];
        if !c.valid() {
            return false;
        }
        match self.runner_up {
            None => true,
            Some(r) => match (self.cmp)(c.key(), self.children[r].key()) {
                Ordering::Less => true,
                // Equal keys: the child listed first wins.
                Ordering::Equal => cur < r,
                Ordering::Greater => false,
            },
        }
    }

    fn find_largest(&mut self) {
        self.runner_up = None;
        let mut best: Option<usize> = None;
        for (i, c) in self.children.iter().enumerate().rev() {
            if !c.valid() {
                if c.status().is_err() {
                    self.current = None;
                    return;
                }
                continue;
            }
            best = match best {
                Some(b) if (self.cmp)(c.key(), self.children[b].key()) != Ordering::Greater => {
                    Some(b)
                }
                _ => Some(i),
            };
        }
        self.current = best;
    }
}

impl KvIterator for MergingIterator {
    fn valid(&self) -> bool {
        self.current.is_some()
    }

    fn seek_to_first(&mut self) {
        for c in &mut self.children {
            c.seek_to_first();
        }
        self.direction = Direction::Forward;
        self.find_smallest();
    }

    fn seek_to_last(&mut self) {
        for c in &mut self.children {
            c.seek_to_last();
        }
        self.direction = Direction::Reverse;
        self.find_largest();
    }

    fn seek(&mut self, target: &[u8]) {
        for c in &mut self.children {
            c.seek(target);
        }
        self.direction = Direction::Forward;
        self.find_smallest();
    }

    fn next(&mut self) {
        let Some(cur) = self.current else { return };
        if self.direction != Direction::Forward {
            // Every other child is before key(): move each to the first
            // entry after it.
            self.scratch.clear();
            self.scratch.extend_from_slice(self.children[cur].key());
            let cmp = self.cmp;
            for (i, c) in self.children.iter_mut().enumerate() {
                if i == cur {
                    continue;
                }
                c.seek(&self.scratch);
                if c.valid() && cmp(&self.scratch, c.key()) == Ordering::Equal {
                    c.next();
                }
            }
            self.direction = Direction::Forward;
            self.children[cur].next();
            self.find_smallest();
            return;
        }
        self.children[cur].next();
        if !self.current_still_smallest(cur) {
            self.find_smallest();
        }
    }

    fn prev(&mut self) {
        let Some(cur) = self.current else { return };
        if self.direction != Direction::Reverse {
            // Every other child is at or after key(): move each to the last
            // entry before it.
            self.scratch.clear();
            self.scratch.extend_from_slice(self.children[cur].key());
            for (i, c) in self.children.iter_mut().enumerate() {
                if i == cur {
                    continue;
                }
                c.seek(&self.scratch);
                if c.valid() {
                    c.prev();
                } else {
                    c.seek_to_last();
                }
            }
            self.direction = Direction::Reverse;
        }
        self.children[cur].prev();
        self.find_largest();
    }

    fn key(&self) -> &[u8] {
        match self.current {
            Some(i) => self.children[i].key(),
            None => &[],
        }
    }

    fn value(&self) -> &[u8] {
        match self.current {
            Some(i) => self.children[i].value(),
            None => &[],
        }
    }

    fn status(&self) -> Result<()> {
        for c in &self.children {
            c.status()?;
        }
        Ok(())
    }

    fn sole_entry_block(&self) -> Option<&[u8]> {
        self.current
            .and_then(|i| self.children[i].sole_entry_block())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sorted in-memory cursor for tests.
    struct VecIter {
        items: Vec<(Vec<u8>, Vec<u8>)>,
        pos: Option<usize>,
    }

    impl VecIter {
        fn boxed(keys: &[&str], tag: &str) -> Box<dyn KvIterator> {
            Box::new(VecIter {
                items: keys
                    .iter()
                    .map(|k| (k.as_bytes().to_vec(), tag.as_bytes().to_vec()))
                    .collect(),
                pos: None,
            })
        }
    }

    impl KvIterator for VecIter {
        fn valid(&self) -> bool {
            self.pos.is_some()
        }
        fn seek_to_first(&mut self) {
            self.pos = (!self.items.is_empty()).then_some(0);
        }
        fn seek_to_last(&mut self) {
            self.pos = self.items.len().checked_sub(1);
        }
        fn seek(&mut self, target: &[u8]) {
            let i = self.items.partition_point(|(k, _)| k.as_slice() < target);
            self.pos = (i < self.items.len()).then_some(i);
        }
        fn next(&mut self) {
            self.pos = self.pos.map(|p| p + 1).filter(|p| *p < self.items.len());
        }
        fn prev(&mut self) {
            self.pos = self.pos.and_then(|p| p.checked_sub(1));
        }
        fn key(&self) -> &[u8] {
            self.pos.map_or(&[][..], |p| &self.items[p].0)
        }
        fn value(&self) -> &[u8] {
            self.pos.map_or(&[][..], |p| &self.items[p].1)
        }
        fn status(&self) -> Result<()> {
            Ok(())
        }
    }

    fn bytewise(a: &[u8], b: &[u8]) -> Ordering {
        a.cmp(b)
    }

    fn collect_forward(it: &mut MergingIterator) -> Vec<String> {
        it.seek_to_first();
        collect_from_here(it)
    }

    /// Key and value of every entry from the cursor's position on.
    fn collect_from_here(it: &mut MergingIterator) -> Vec<String> {
        let mut out = Vec::new();
        while it.valid() {
            out.push(format!(
                "{}{}",
                String::from_utf8_lossy(it.key()),
                String::from_utf8_lossy(it.value())
            ));
            it.next();
        }
        out
    }

    #[test]
    fn merges_in_order_newest_first_on_ties() {
        let mut it = MergingIterator::new(
            vec![
                VecIter::boxed(&["b", "d"], "1"),
                VecIter::boxed(&["a", "b", "e"], "2"),
                VecIter::boxed(&[], "3"),
            ],
            bytewise,
        );
        assert_eq!(collect_forward(&mut it), ["a2", "b1", "b2", "d1", "e2"]);
        it.seek_to_last();
        let mut back = Vec::new();
        while it.valid() {
            back.push(String::from_utf8_lossy(it.key()).into_owned());
            it.prev();
        }
        assert_eq!(back, ["e", "d", "b", "b", "a"]);
    }

    #[test]
    fn direction_changes_keep_position() {
        let mut it = MergingIterator::new(
            vec![
                VecIter::boxed(&["a", "c", "e"], "x"),
                VecIter::boxed(&["b", "d", "f"], "y"),
            ],
            bytewise,
        );
        it.seek(b"c");
        assert_eq!(it.key(), b"c");
        it.prev();
        assert_eq!(it.key(), b"b");
        it.next();
        assert_eq!(it.key(), b"c");
        it.next();
        assert_eq!(it.key(), b"d");
        it.prev();
        it.prev();
        assert_eq!(it.key(), b"b");
    }

    proptest::proptest! {
        /// Forward scans equal a stable sort of every child's entries by
        /// key (the earlier child first on ties), from the first entry and
        /// from any seek target; and a random walk of next and prev over
        /// unique keys stays where an index into that sorted list says.
        #[test]
        fn scans_and_walks_match_a_sorted_model(
            children in proptest::collection::vec(
                proptest::collection::btree_set(0u8..40, 0..25), 1..6),
            target in 0u8..42,
            walk in proptest::collection::vec(proptest::bool::ANY, 0..60),
        ) {
            let key = |k: u8| format!("{k:02}");
            let mut model: Vec<(String, String)> = Vec::new();
            for (i, keys) in children.iter().enumerate() {
                for &k in keys {
                    model.push((key(k), i.to_string()));
                }
            }
            // Stable: equal keys keep child order.
            model.sort_by(|a, b| a.0.cmp(&b.0));
            let make = || {
                let boxed: Vec<Box<dyn KvIterator>> = children
                    .iter()
                    .enumerate()
                    .map(|(i, keys)| {
                        let keys: Vec<String> = keys.iter().map(|&k| key(k)).collect();
                        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                        VecIter::boxed(&refs, &i.to_string())
                    })
                    .collect();
                MergingIterator::new(boxed, bytewise)
            };
            let want: Vec<String> = model.iter().map(|(k, v)| format!("{k}{v}")).collect();
            proptest::prop_assert_eq!(collect_forward(&mut make()), want.clone());
            let mut it = make();
            it.seek(key(target).as_bytes());
            let from_target = collect_from_here(&mut it);
            let skip = model.iter().take_while(|(k, _)| *k < key(target)).count();
            proptest::prop_assert_eq!(from_target, want[skip..].to_vec());

            // The walk: keys unique across children (the engine's internal
            // keys are), so each position has one right answer.
            let mut unique: Vec<String> = model.iter().map(|(k, _)| k.clone()).collect();
            unique.dedup();
            let unique_children: Vec<Box<dyn KvIterator>> = {
                let mut owner = std::collections::BTreeMap::new();
                for (i, keys) in children.iter().enumerate() {
                    for &k in keys {
                        owner.entry(k).or_insert(i);
                    }
                }
                (0..children.len())
                    .map(|i| {
                        let keys: Vec<String> = owner
                            .iter()
                            .filter(|(_, &o)| o == i)
                            .map(|(&k, _)| key(k))
                            .collect();
                        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                        VecIter::boxed(&refs, "v")
                    })
                    .collect()
            };
            let mut it = MergingIterator::new(unique_children, bytewise);
            it.seek_to_first();
            let mut at: Option<usize> = (!unique.is_empty()).then_some(0);
            for forward in walk {
                let Some(i) = at else { break };
                proptest::prop_assert!(it.valid());
                proptest::prop_assert_eq!(it.key(), unique[i].as_bytes());
                if forward {
                    it.next();
                    at = (i + 1 < unique.len()).then_some(i + 1);
                } else {
                    it.prev();
                    at = i.checked_sub(1);
                }
                if at.is_none() {
                    proptest::prop_assert!(!it.valid());
                }
            }
        }
    }
}
