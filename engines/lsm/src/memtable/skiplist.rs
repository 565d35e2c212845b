//! LevelDB's concurrent skiplist (`db/skiplist.h`): one writer at a time,
//! lock-free readers.
//!
//! Keys are byte strings living in an [`Arena`]; nodes live there too and
//! are never freed or unlinked before the whole list is dropped. The list is
//! generic over a [`KeyComparator`] so the core knows nothing of memtable
//! entries.
//!
//! # Concurrency invariants (the reasoning behind every `unsafe` here)
//! 1. Writers are serialised by `writer`, a mutex that also owns the arena
//!    and the height RNG: at most one thread allocates or links at a time.
//! 2. A node is fully written (key pointer, key length, key bytes, and every
//!    next pointer, with plain or relaxed stores) before it becomes
//!    reachable. It becomes reachable only through a `Release` store into a
//!    predecessor's next pointer (LevelDB's `SetNext`); readers follow next
//!    pointers with `Acquire` loads (`Next`). So a reader that sees a node
//!    also sees everything written into it before publication.
//! 3. After publication a node's key bytes and key fields are never written
//!    again; only its next pointers change, and only atomically. Hence
//!    readers may form `&[u8]` to keys and `&AtomicPtr` to next slots.
//! 4. Levels `0..height` of a node are the only next slots allocated for it,
//!    and every traversal at level `l` only reaches nodes of height `> l`
//!    (a node is linked at level `l` only if `l < height`).
//! 5. Memory of nodes and keys is owned by the arena, which lives inside the
//!    list; every reference handed out borrows the list (or, for cursors,
//!    an `Arc` of it), so no pointer outlives its memory.
//! 6. `max_height` is read and written with `Relaxed` ordering, as LevelDB
//!    does: a reader that sees a new, larger height before the head's new
//!    next pointers sees null there and just descends a level; one that
//!    sees the old height skips the new levels, which is also correct.

use super::arena::{Arena, ARENA_ALIGN};
use parking_lot::Mutex;
use std::cmp::Ordering as CmpOrdering;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

/// Tallest tower a node can have (LevelDB's `kMaxHeight`).
pub(crate) const MAX_HEIGHT: usize = 12;
/// A node reaches level `l + 1` with probability `1 / BRANCHING` given it
/// reached level `l` (LevelDB's `kBranching`).
pub(crate) const BRANCHING: u32 = 4;

/// Orders the keys stored in a [`SkipList`].
pub(crate) trait KeyComparator: Send + Sync + 'static {
    /// Three-way comparison of two stored (or probe) keys.
    fn compare(&self, a: &[u8], b: &[u8]) -> CmpOrdering;
}

/// The fixed part of a node; `height` `AtomicPtr<NodeHeader>` next slots
/// follow it in the same arena allocation (LevelDB's trailing `next_[1]`).
#[repr(C)]
struct NodeHeader {
    key_ptr: *const u8,
    key_len: usize,
}

const NEXT_SLOT_BYTES: usize = std::mem::size_of::<AtomicPtr<NodeHeader>>();

// The arena's aligned allocations must satisfy the node's alignment, and the
// next slots that follow the header must be aligned too.
const _: () = assert!(std::mem::align_of::<NodeHeader>() <= ARENA_ALIGN);
const _: () = assert!(std::mem::align_of::<AtomicPtr<NodeHeader>>() <= ARENA_ALIGN);
const _: () =
    assert!(std::mem::size_of::<NodeHeader>()
        .is_multiple_of(std::mem::align_of::<AtomicPtr<NodeHeader>>()));

/// A published node of some live list (invariants 2–5). Only this module
/// creates or dereferences it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Node(NonNull<NodeHeader>);

// SAFETY: a `Node` is an address of immutable-after-publication data plus
// atomics (invariant 3); it is dereferenced only while the owning list is
// alive (invariant 5), from any thread.
unsafe impl Send for Node {}
// SAFETY: as for `Send`: shared access only reads immutable bytes or uses
// atomics.
unsafe impl Sync for Node {}

impl Node {
    /// The next slot of `self` at `level`.
    ///
    /// Callers guarantee `level < height(self)` (invariant 4) and that the
    /// owning list is alive; the returned reference must not outlive it.
    fn next_slot<'a>(self, level: usize) -> &'a AtomicPtr<NodeHeader> {
        debug_assert!(level < MAX_HEIGHT);
        // SAFETY: the node allocation holds the header followed by `height`
        // slots (see `SkipList::new_node`); `level < height` keeps the
        // offset inside it. Slots are initialised before publication and
        // only accessed atomically afterwards, so a shared reference is
        // sound; alignment follows from the const asserts above.
        unsafe {
            &*self
                .0
                .as_ptr()
                .cast::<u8>()
                .add(std::mem::size_of::<NodeHeader>() + level * NEXT_SLOT_BYTES)
                .cast::<AtomicPtr<NodeHeader>>()
        }
    }

    /// Successor at `level` (LevelDB's `Next`: acquire, so the successor's
    /// contents are visible).
    fn next(self, level: usize) -> Option<Node> {
        NonNull::new(self.next_slot(level).load(Ordering::Acquire)).map(Node)
    }

    /// The node's key. The caller ties the lifetime to the owning list.
    fn key<'a>(self) -> &'a [u8] {
        // SAFETY: the header was written before publication and is never
        // written again (invariants 2, 3); reading it through the raw
        // pointer creates no reference to the node.
        let (key_ptr, key_len) = unsafe {
            let header = self.0.as_ptr();
            ((*header).key_ptr, (*header).key_len)
        };
        if key_len == 0 {
            // The head node has no key (and a dangling pointer).
            return &[];
        }
        // SAFETY: `key_ptr` points to `key_len` initialised arena bytes
        // that are immutable after publication (invariant 3) and live as
        // long as the list (invariant 5).
        unsafe { std::slice::from_raw_parts(key_ptr, key_len) }
    }
}

/// The writer's exclusive state (invariant 1).
struct Writer {
    arena: Arena,
    rng: HeightRng,
}

/// A skiplist of byte-string keys ordered by `C`.
pub(crate) struct SkipList<C> {
    cmp: C,
    head: Node,
    /// Height of the tallest node (1 when empty).
    max_height: AtomicUsize,
    writer: Mutex<Writer>,
    memory_usage_bytes: AtomicUsize,
    len: AtomicUsize,
}

// SAFETY: every field is `Send`/`Sync` except through `Node`, covered
// above; the arena is only touched under `writer` (invariant 1) and its
// memory is released only when the list is dropped (invariant 5).
unsafe impl<C: Send> Send for SkipList<C> {}
// SAFETY: shared access is either through the writer mutex or through
// atomics and immutable published bytes (invariants 1–3).
unsafe impl<C: Sync> Sync for SkipList<C> {}

impl<C: KeyComparator> SkipList<C> {
    /// An empty list.
    pub(crate) fn new(cmp: C) -> Self {
        let mut arena = Arena::new();
        let head = new_node(&mut arena, NonNull::dangling(), 0, MAX_HEIGHT);
        SkipList {
            cmp,
            head,
            max_height: AtomicUsize::new(1),
            memory_usage_bytes: AtomicUsize::new(arena.memory_usage()),
            writer: Mutex::new(Writer {
                arena,
                rng: HeightRng::new(0xdead_beef),
            }),
            len: AtomicUsize::new(0),
        }
    }

    /// Inserts a key of `key_len > 0` bytes written by `fill` into fresh
    /// arena memory. The key must not compare equal to any key already in
    /// the list (checked in debug builds, as LevelDB asserts).
    ///
    /// Any number of threads may call this: they are serialised.
    pub(crate) fn insert_with(&self, key_len: usize, fill: impl FnOnce(&mut [u8])) {
        assert!(key_len > 0, "skiplist keys must be non-empty");
        let mut writer = self.writer.lock();
        let height = writer.rng.random_height();
        let (node, key) = new_node_with_key(&mut writer.arena, key_len, height);
        fill(key);
        let key: &[u8] = key;

        let mut prev = [self.head; MAX_HEIGHT];
        let found = self.find_greater_or_equal(key, Some(&mut prev));
        debug_assert!(
            found.is_none_or(|n| self.cmp.compare(n.key(), key) != CmpOrdering::Equal),
            "duplicate skiplist key"
        );

        let max_height = self.max_height.load(Ordering::Relaxed);
        if height > max_height {
            // `prev` already holds the head for levels above the old max.
            self.max_height.store(height, Ordering::Relaxed);
        }

        for (level, pred) in prev.iter().enumerate().take(height) {
            // NoBarrier_SetNext: the node is not yet reachable.
            node.next_slot(level).store(
                pred.next_slot(level).load(Ordering::Relaxed),
                Ordering::Relaxed,
            );
            // SetNext: publish (invariant 2).
            pred.next_slot(level)
                .store(node.0.as_ptr(), Ordering::Release);
        }
        self.memory_usage_bytes
            .store(writer.arena.memory_usage(), Ordering::Relaxed);
        self.len.fetch_add(1, Ordering::Relaxed);
    }

    /// The first key at or after `key`, if any.
    pub(crate) fn lower_bound(&self, key: &[u8]) -> Option<&[u8]> {
        self.find_greater_or_equal(key, None).map(Node::key)
    }

    /// Whether a key equal to `key` is present.
    #[cfg(test)]
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.lower_bound(key)
            .is_some_and(|k| self.cmp.compare(k, key) == CmpOrdering::Equal)
    }

    /// Keys inserted so far.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Bytes held by the arena.
    pub(crate) fn memory_usage(&self) -> usize {
        self.memory_usage_bytes.load(Ordering::Relaxed)
    }

    fn max_height(&self) -> usize {
        self.max_height.load(Ordering::Relaxed)
    }

    /// First node at or after `key`; with `prev`, also the rightmost node
    /// before `key` at every level below the current max height.
    fn find_greater_or_equal(
        &self,
        key: &[u8],
        mut prev: Option<&mut [Node; MAX_HEIGHT]>,
    ) -> Option<Node> {
        let mut x = self.head;
        let mut level = self.max_height() - 1;
        // The node last found at or after `key`: when a lower level leads
        // to it again, it is known not to be before `key` without comparing
        // (RocksDB's `last_bigger`; saves about one comparison per level).
        let mut last_bigger: Option<Node> = None;
        loop {
            let next = x.next(level);
            let before_key = match next {
                Some(n) if Some(n) != last_bigger => {
                    // Start loading the node after `n` while `n`'s key is
                    // compared: it is the next one visited if `n` is before
                    // `key` (RocksDB's InlineSkipList does the same).
                    prefetch(n.next_slot(0).load(Ordering::Relaxed));
                    self.cmp.compare(n.key(), key) == CmpOrdering::Less
                }
                _ => false,
            };
            if let (true, Some(n)) = (before_key, next) {
                x = n;
                continue;
            }
            last_bigger = next;
            if let Some(prev) = prev.as_deref_mut() {
                prev[level] = x;
            }
            if level == 0 {
                return next;
            }
            level -= 1;
        }
    }

    /// Last node before `key`, or the head if there is none.
    fn find_less_than(&self, key: &[u8]) -> Node {
        let mut x = self.head;
        let mut level = self.max_height() - 1;
        loop {
            match x.next(level) {
                Some(n) if self.cmp.compare(n.key(), key) == CmpOrdering::Less => x = n,
                _ => {
                    if level == 0 {
                        return x;
                    }
                    level -= 1;
                }
            }
        }
    }

    /// Last node, or the head if the list is empty.
    fn find_last(&self) -> Node {
        let mut x = self.head;
        let mut level = self.max_height() - 1;
        loop {
            match x.next(level) {
                Some(n) => x = n,
                None => {
                    if level == 0 {
                        return x;
                    }
                    level -= 1;
                }
            }
        }
    }

    /// Heights of all nodes, in key order (tests only): a node's height is
    /// the number of levels whose list contains it.
    #[cfg(test)]
    fn node_heights(&self) -> Vec<usize> {
        let mut height_of = std::collections::HashMap::new();
        for level in 0..MAX_HEIGHT {
            let mut x = self.head.next(level);
            while let Some(n) = x {
                *height_of.entry(n.0.as_ptr() as usize).or_insert(0usize) += 1;
                x = n.next(level);
            }
        }
        let mut heights = Vec::new();
        let mut x = self.head.next(0);
        while let Some(n) = x {
            heights.push(
                height_of
                    .get(&(n.0.as_ptr() as usize))
                    .copied()
                    .unwrap_or(0),
            );
            x = n.next(0);
        }
        heights
    }
}

/// Hints the processor to start loading the cache line at `node` (a no-op
/// for null and on targets without a prefetch instruction).
#[inline(always)]
fn prefetch(node: *mut NodeHeader) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(node.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = node;
}

/// Allocates a node of `height` levels with null next pointers and its
/// key of `key_len` bytes right after the next slots, in one arena
/// allocation: a search reads a node's links and the front of its key from
/// the same cache line or the next, rather than from two places (LevelDB
/// allocates the entry, then the node). Returns the node (not reachable
/// until linked) and its key bytes, zeroed, for the caller to fill before
/// linking.
fn new_node_with_key<'a>(arena: &mut Arena, key_len: usize, height: usize) -> (Node, &'a mut [u8]) {
    let links_bytes = std::mem::size_of::<NodeHeader>() + height * NEXT_SLOT_BYTES;
    let raw = arena.allocate_aligned(links_bytes + key_len);
    // SAFETY: the allocation is `links_bytes + key_len` bytes, so the key
    // starts inside it (or one past its end when `key_len` is 0, which
    // `insert_with` excludes).
    let key_ptr = unsafe { NonNull::new_unchecked(raw.as_ptr().add(links_bytes)) };
    let node = init_node(raw, key_ptr, key_len, height);
    // SAFETY: the key bytes are fresh arena memory, zeroed (initialised),
    // disjoint from the node's header and slots, and reachable by no one
    // else until the node is linked, so a unique slice is sound until then;
    // the arena lives as long as the list.
    let key = unsafe { std::slice::from_raw_parts_mut(key_ptr.as_ptr(), key_len) };
    (node, key)
}

/// Allocates and initialises a node of `height` levels with null next
/// pointers and the key at `key_ptr`. The node is not reachable until
/// linked.
fn new_node(arena: &mut Arena, key_ptr: NonNull<u8>, key_len: usize, height: usize) -> Node {
    let bytes = std::mem::size_of::<NodeHeader>() + height * NEXT_SLOT_BYTES;
    init_node(arena.allocate_aligned(bytes), key_ptr, key_len, height)
}

/// Writes a node's header and `height` null next slots at the start of
/// `raw`, a fresh, aligned allocation of at least the node's size.
fn init_node(raw: NonNull<u8>, key_ptr: NonNull<u8>, key_len: usize, height: usize) -> Node {
    assert!((1..=MAX_HEIGHT).contains(&height), "node height {height}");
    let raw = raw.cast::<NodeHeader>();
    // SAFETY: `raw` is a fresh, suitably aligned allocation of `bytes`
    // bytes (const asserts above), exclusively ours until linked; the writes
    // stay inside it: the header, then `height` slots.
    unsafe {
        raw.as_ptr().write(NodeHeader {
            key_ptr: key_ptr.as_ptr(),
            key_len,
        });
        let slots = raw
            .as_ptr()
            .cast::<u8>()
            .add(std::mem::size_of::<NodeHeader>())
            .cast::<AtomicPtr<NodeHeader>>();
        for level in 0..height {
            slots.add(level).write(AtomicPtr::new(ptr::null_mut()));
        }
    }
    Node(raw)
}

/// A cursor over a shared list; stays valid while inserts continue and
/// sees every key published before each step.
pub(crate) struct SkipListIter<C> {
    list: Arc<SkipList<C>>,
    /// `None` when not positioned; never the head.
    node: Option<Node>,
}

impl<C: KeyComparator> SkipListIter<C> {
    /// An unpositioned cursor.
    pub(crate) fn new(list: Arc<SkipList<C>>) -> Self {
        SkipListIter { list, node: None }
    }

    /// True while positioned at a key.
    pub(crate) fn valid(&self) -> bool {
        self.node.is_some()
    }

    /// The current key, or empty when not valid.
    pub(crate) fn key(&self) -> &[u8] {
        // The `Arc` in `self` keeps the list alive for the borrow.
        self.node.map_or(&[], Node::key)
    }

    /// Advances; becomes invalid past the end.
    pub(crate) fn next(&mut self) {
        self.node = self.node.and_then(|n| n.next(0));
    }

    /// Steps back by searching for the last key before the current one (no
    /// back pointers, as in LevelDB).
    pub(crate) fn prev(&mut self) {
        if let Some(n) = self.node {
            let p = self.list.find_less_than(n.key());
            self.node = self.not_head(p);
        }
    }

    /// Positions at the first key at or after `target`.
    pub(crate) fn seek(&mut self, target: &[u8]) {
        self.node = self.list.find_greater_or_equal(target, None);
    }

    /// Positions at the first key.
    pub(crate) fn seek_to_first(&mut self) {
        self.node = self.list.head.next(0);
    }

    /// Positions at the last key.
    pub(crate) fn seek_to_last(&mut self) {
        let last = self.list.find_last();
        self.node = self.not_head(last);
    }

    fn not_head(&self, n: Node) -> Option<Node> {
        (n != self.list.head).then_some(n)
    }
}

/// LevelDB's `util/random.h`: the Park–Miller "minimal standard" generator
/// (`seed * 16807 mod (2^31 - 1)`), good enough to pick tower heights and
/// deterministic, so that runs are reproducible.
struct HeightRng {
    seed: u32,
}

impl HeightRng {
    const MODULUS: u32 = 2_147_483_647; // 2^31 - 1
    const MULTIPLIER: u64 = 16_807;

    fn new(seed: u32) -> Self {
        let mut seed = seed & Self::MODULUS;
        // 0 and the modulus are fixed points of the recurrence.
        if seed == 0 || seed == Self::MODULUS {
            seed = 1;
        }
        HeightRng { seed }
    }

    fn next_u32(&mut self) -> u32 {
        let product = u64::from(self.seed) * Self::MULTIPLIER;
        // product mod (2^31 - 1) without a division: since 2^31 ≡ 1, add
        // the high bits to the low 31 bits, then fold once.
        let folded = (product >> 31) + (product & u64::from(Self::MODULUS));
        let mut seed = folded as u32;
        if seed > Self::MODULUS {
            seed -= Self::MODULUS;
        }
        self.seed = seed;
        seed
    }

    fn random_height(&mut self) -> usize {
        let mut height = 1;
        while height < MAX_HEIGHT && self.next_u32().is_multiple_of(BRANCHING) {
            height += 1;
        }
        height
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;
    use std::collections::BTreeSet;

    struct Bytewise;
    impl KeyComparator for Bytewise {
        fn compare(&self, a: &[u8], b: &[u8]) -> CmpOrdering {
            a.cmp(b)
        }
    }

    fn insert(list: &SkipList<Bytewise>, key: &[u8]) {
        list.insert_with(key.len(), |dst| dst.copy_from_slice(key));
    }

    #[test]
    fn empty_list() {
        let list = Arc::new(SkipList::new(Bytewise));
        assert!(!list.contains(b"a"));
        assert_eq!(list.len(), 0);
        let mut it = SkipListIter::new(list);
        assert!(!it.valid());
        it.seek_to_first();
        assert!(!it.valid());
        it.seek(b"x");
        assert!(!it.valid());
        it.seek_to_last();
        assert!(!it.valid());
    }

    /// LevelDB's `InsertAndLookup` test against a `BTreeSet`.
    #[test]
    fn insert_and_lookup() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let list = Arc::new(SkipList::new(Bytewise));
        let mut model = BTreeSet::new();
        for _ in 0..2000 {
            let k: u64 = rng.gen_range(0..5000);
            if model.insert(k) {
                insert(&list, &k.to_be_bytes());
            }
        }
        assert_eq!(list.len(), model.len());
        for k in 0..5000u64 {
            assert_eq!(list.contains(&k.to_be_bytes()), model.contains(&k), "{k}");
        }
        let mut it = SkipListIter::new(Arc::clone(&list));
        // Seeks land on the model's lower bound.
        for k in (0..5000u64).step_by(7) {
            it.seek(&k.to_be_bytes());
            let want = model.range(k..).next().map(|v| v.to_be_bytes().to_vec());
            assert_eq!(it.valid().then(|| it.key().to_vec()), want);
        }
        // Forward and backward scans match the model.
        let mut seen = Vec::new();
        it.seek_to_first();
        while it.valid() {
            seen.push(it.key().to_vec());
            it.next();
        }
        let want: Vec<Vec<u8>> = model.iter().map(|k| k.to_be_bytes().to_vec()).collect();
        assert_eq!(seen, want);
        seen.clear();
        it.seek_to_last();
        while it.valid() {
            seen.push(it.key().to_vec());
            it.prev();
        }
        seen.reverse();
        assert_eq!(seen, want);
    }

    #[test]
    fn height_rng_matches_park_miller() {
        // First outputs of seed 1: 16807, 16807^2 mod (2^31-1), ...
        let mut rng = HeightRng::new(1);
        assert_eq!(rng.next_u32(), 16_807);
        assert_eq!(rng.next_u32(), 282_475_249);
        assert_eq!(rng.next_u32(), 1_622_650_073);
        // Degenerate seeds are replaced.
        assert_eq!(HeightRng::new(0).seed, 1);
        assert_eq!(HeightRng::new(0x7fff_ffff).seed, 1);
    }

    #[test]
    fn heights_are_roughly_geometric() {
        let mut rng = HeightRng::new(0xdead_beef);
        let samples = 100_000usize;
        let mut counts = [0usize; MAX_HEIGHT + 1];
        for _ in 0..samples {
            let h = rng.random_height();
            assert!((1..=MAX_HEIGHT).contains(&h));
            counts[h] += 1;
        }
        // P(height >= h) = 4^-(h-1): check the first levels within 10%.
        for h in 1..=5usize {
            let at_least: usize = counts[h..].iter().sum();
            let expected = samples as f64 / 4f64.powi(h as i32 - 1);
            let ratio = at_least as f64 / expected;
            assert!(
                (0.9..1.1).contains(&ratio),
                "height >= {h}: {at_least} vs {expected}"
            );
        }
    }

    #[test]
    fn node_heights_in_list_are_geometric_and_aligned() {
        let list = SkipList::new(Bytewise);
        for k in 0..4000u32 {
            insert(&list, &k.to_be_bytes());
        }
        let heights = list.node_heights();
        assert_eq!(heights.len(), 4000);
        let tall = heights.iter().filter(|&&h| h >= 2).count();
        // Expected 1000 of 4000 reach level 2.
        assert!((800..1200).contains(&tall), "{tall} nodes of height >= 2");
        assert!(heights.iter().all(|&h| h <= list.max_height()));
        let mut x = list.head.next(0);
        while let Some(n) = x {
            assert_eq!(n.0.as_ptr() as usize % ARENA_ALIGN, 0);
            x = n.next(0);
        }
        assert!(list.memory_usage() >= 4000 * (4 + std::mem::size_of::<NodeHeader>() + 8));
    }
}
