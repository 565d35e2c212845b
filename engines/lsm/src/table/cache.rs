//! The block cache: uncompressed blocks charged by their size in bytes,
//! sharded 16 ways by LevelDB's hash as LevelDB's `ShardedLRUCache`
//! (`util/cache.cc`), each shard evicting by CLOCK instead of an LRU list.
//!
//! Keys are `(table cache id, block offset)`; every open table takes a
//! fresh id from [`BlockCache::new_id`], so blocks of a deleted and
//! recreated file number never alias. Values are `Arc<Block>`: a block
//! evicted while a cursor still reads it lives on until the cursor drops.

use super::block::Block;
use super::hash::leveldb_hash;
use super::int_hasher::IntKeyHasher;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// LevelDB's default block cache capacity (8 MiB).
pub const DEFAULT_BLOCK_CACHE_BYTES: usize = 8 << 20;
/// Shards reduce lock contention; LevelDB uses 16 (`kNumShardBits` = 4).
const NUM_SHARD_BITS: u32 = 4;
const NUM_SHARDS: usize = 1 << NUM_SHARD_BITS;

type Key = (u64, u64);

struct Slot {
    key: Key,
    /// `None` for a free slot.
    value: Option<Arc<Block>>,
    charge_bytes: usize,
    /// Looked up since the clock hand last passed.
    referenced: bool,
}

/// One shard: a hash map into a slab of slots and a clock hand over the
/// slab (CLOCK, second chance). A hit sets its slot's bit and touches
/// nothing else; eviction advances the hand, clearing set bits, and evicts
/// the first slot whose bit is clear. An LRU list would also rewrite the
/// two neighbours of every hit, in memory the lookup does not otherwise
/// touch.
struct ClockShard {
    capacity_bytes: usize,
    usage_bytes: usize,
    map: HashMap<Key, usize, BuildHasherDefault<IntKeyHasher>>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    hand: usize,
    /// Buffers of evicted blocks nobody else held, for the next misses to
    /// decompress into (at most [`SPARE_BUFFERS`]).
    spare: Vec<Vec<u8>>,
}

/// Evicted blocks' buffers a shard keeps for reuse. A miss takes one and
/// the insert that follows evicts about one block, so a few suffice.
const SPARE_BUFFERS: usize = 4;
/// Buffers larger than this are freed rather than kept.
const MAX_SPARE_BUFFER_BYTES: usize = 64 << 10;

impl ClockShard {
    fn new(capacity_bytes: usize) -> Self {
        ClockShard {
            capacity_bytes,
            usage_bytes: 0,
            map: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            hand: 0,
            spare: Vec::new(),
        }
    }

    /// A buffer of `len` bytes (contents unspecified): a spare one when a
    /// spare is large enough, else a new zeroed one.
    fn take_buffer(&mut self, len: usize) -> Vec<u8> {
        match self.spare.iter().position(|b| b.capacity() >= len) {
            Some(i) => {
                let mut buffer = self.spare.swap_remove(i);
                // Zeroes only what grows past the old length, if anything.
                buffer.resize(len, 0);
                buffer
            }
            None => vec![0; len],
        }
    }

    fn lookup(&mut self, key: Key) -> Option<Arc<Block>> {
        let i = *self.map.get(&key)?;
        let slot = &mut self.slots[i];
        slot.referenced = true;
        slot.value.clone()
    }

    fn remove_slot(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        let evicted = slot.value.take();
        self.usage_bytes -= slot.charge_bytes;
        self.map.remove(&slot.key);
        self.free.push(i);
        if self.spare.len() < SPARE_BUFFERS {
            let buffer = evicted
                .and_then(|block| Arc::try_unwrap(block).ok())
                .and_then(Block::into_buffer)
                .filter(|b| b.capacity() <= MAX_SPARE_BUFFER_BYTES);
            if let Some(buffer) = buffer {
                self.spare.push(buffer);
            }
        }
    }

    /// Evicts one block other than slot `keep` (the one being inserted):
    /// the first at or after the hand not looked up since the hand last
    /// passed it. Another occupied slot exists whenever the shard is over
    /// capacity, since no block alone exceeds it.
    fn evict_one(&mut self, keep: usize) {
        loop {
            let i = self.hand;
            self.hand = (self.hand + 1) % self.slots.len();
            let slot = &mut self.slots[i];
            if slot.value.is_none() || i == keep {
                continue;
            }
            if slot.referenced {
                slot.referenced = false;
                continue;
            }
            self.remove_slot(i);
            return;
        }
    }

    fn insert(&mut self, key: Key, value: Arc<Block>, charge_bytes: usize) {
        if let Some(&old) = self.map.get(&key) {
            self.remove_slot(old);
        }
        if charge_bytes > self.capacity_bytes {
            // Would evict everything and then itself: do not cache.
            return;
        }
        // A new block's bit is clear: it survives until the hand comes
        // round, and longer only if looked up meanwhile. The slot it takes
        // is mostly the one just freed behind the hand, so that is a
        // whole turn.
        let slot = Slot {
            key,
            value: Some(value),
            charge_bytes,
            referenced: false,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.map.insert(key, i);
        self.usage_bytes += charge_bytes;
        while self.usage_bytes > self.capacity_bytes {
            self.evict_one(i);
        }
    }
}

/// A thread-safe cache of blocks with a capacity in bytes, evicting by
/// CLOCK (second chance) per shard.
pub struct BlockCache {
    shards: Vec<Mutex<ClockShard>>,
    capacity_bytes: usize,
    last_id: AtomicU64,
}

impl std::fmt::Debug for BlockCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockCache")
            .field("capacity_bytes", &self.capacity_bytes)
            .field("usage_bytes", &self.usage_bytes())
            .finish()
    }
}

impl BlockCache {
    /// A cache holding at most `capacity_bytes` of blocks (split evenly,
    /// rounded up, over 16 shards). Capacity 0 caches nothing.
    pub fn new(capacity_bytes: usize) -> Self {
        let per_shard = capacity_bytes.div_ceil(NUM_SHARDS);
        BlockCache {
            shards: (0..NUM_SHARDS)
                .map(|_| Mutex::new(ClockShard::new(per_shard)))
                .collect(),
            capacity_bytes,
            last_id: AtomicU64::new(0),
        }
    }

    /// A fresh id for a table's keys (never 0, never repeated).
    pub fn new_id(&self) -> u64 {
        self.last_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn shard(&self, key: Key) -> &Mutex<ClockShard> {
        // LevelDB's hash of the 16-byte key; its top bits pick the shard.
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&key.0.to_le_bytes());
        bytes[8..].copy_from_slice(&key.1.to_le_bytes());
        let h = leveldb_hash(&bytes, 0);
        &self.shards[(h >> (32 - NUM_SHARD_BITS)) as usize]
    }

    /// A buffer of `len` bytes, contents unspecified, for the block of
    /// table `id` at `offset` to be decompressed into before it is
    /// inserted: a buffer of an evicted block when the key's shard has one,
    /// so a steady stream of misses neither allocates nor frees.
    pub fn take_buffer(&self, id: u64, offset: u64, len: usize) -> Vec<u8> {
        self.shard((id, offset)).lock().take_buffer(len)
    }

    /// The block cached for table `id` at `offset`, marked most recently
    /// used.
    pub fn lookup(&self, id: u64, offset: u64) -> Option<Arc<Block>> {
        self.shard((id, offset)).lock().lookup((id, offset))
    }

    /// Caches `block` for table `id` at `offset`, charged its size and its
    /// hints' ([`Block::charge_bytes`]),
    /// replacing any block under that key and evicting least recently used
    /// blocks until the shard fits its capacity. A block larger than a
    /// shard is not cached.
    pub fn insert(&self, id: u64, offset: u64, block: Arc<Block>) {
        let charge = block.charge_bytes();
        self.shard((id, offset))
            .lock()
            .insert((id, offset), block, charge);
    }

    /// Bytes of blocks currently cached.
    pub fn usage_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.lock().usage_bytes).sum()
    }

    /// The capacity given at construction.
    pub fn capacity_bytes(&self) -> usize {
        self.capacity_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_of(size_bytes: usize) -> Arc<Block> {
        // An empty block (one restart at 0) padded in front to the size.
        let mut data = vec![0u8; size_bytes - 8];
        data.extend_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0]);
        let entries = (size_bytes - 8) as u32;
        let at = data.len() - 8;
        data[at..at + 4].copy_from_slice(&entries.to_le_bytes());
        Arc::new(Block::new(data, Arc::from("c"), 0).expect("block"))
    }

    /// Keys of one table that all land in the same shard, so eviction
    /// order within a shard can be observed.
    fn same_shard_offsets(cache: &BlockCache, id: u64, n: usize) -> Vec<u64> {
        let target = cache.shard((id, 0)) as *const _;
        (0..)
            .filter(|&o| std::ptr::eq(cache.shard((id, o)), target))
            .take(n)
            .collect()
    }

    #[test]
    fn an_evicted_unshared_blocks_buffer_is_reused_and_a_held_one_is_not() {
        // 16 shards of 1 KiB: each 600-byte block evicts the one before it.
        let cache = BlockCache::new(16 << 10);
        let id = cache.new_id();
        let offsets = same_shard_offsets(&cache, id, 4);
        cache.insert(id, offsets[0], block_of(600));
        let held = cache.lookup(id, offsets[0]).expect("hit");
        cache.insert(id, offsets[1], block_of(600));
        // The first block is still held by `held`: its buffer is not spare.
        let fresh = cache.take_buffer(id, offsets[2], 600);
        assert_eq!(fresh, vec![0u8; 600], "a new buffer is zeroed");
        drop(held);
        let second = cache.lookup(id, offsets[1]).expect("hit");
        let second_ptr = second.as_ptr_for_tests();
        drop(second);
        cache.insert(id, offsets[2], block_of(600));
        assert!(cache.lookup(id, offsets[1]).is_none(), "evicted");
        let reused = cache.take_buffer(id, offsets[3], 590);
        assert_eq!(reused.len(), 590);
        assert_eq!(reused.as_ptr(), second_ptr, "the evicted block's buffer");
        // Too large for any spare: a new, zeroed buffer.
        assert_eq!(cache.take_buffer(id, offsets[3], 5000), vec![0u8; 5000]);
    }

    #[test]
    fn hit_after_insert_and_miss_otherwise() {
        let cache = BlockCache::new(DEFAULT_BLOCK_CACHE_BYTES);
        let id = cache.new_id();
        assert!(cache.lookup(id, 0).is_none());
        let b = block_of(100);
        cache.insert(id, 0, Arc::clone(&b));
        let got = cache.lookup(id, 0).expect("hit");
        assert!(Arc::ptr_eq(&got, &b));
        assert!(cache.lookup(id, 1).is_none());
        assert!(cache.lookup(id + 1, 0).is_none());
        assert_eq!(cache.usage_bytes(), 100);
        // Replacing a key swaps the value and the charge.
        cache.insert(id, 0, block_of(40));
        assert_eq!(cache.usage_bytes(), 40);
    }

    #[test]
    fn ids_are_fresh() {
        let cache = BlockCache::new(1 << 20);
        let a = cache.new_id();
        let b = cache.new_id();
        assert_ne!(a, 0);
        assert_ne!(a, b);
    }

    #[test]
    fn a_block_looked_up_gets_a_second_chance() {
        // 16 shards of 300 bytes; blocks of 100 bytes: 3 fit per shard.
        let cache = BlockCache::new(16 * 300);
        let offs = same_shard_offsets(&cache, 1, 6);
        for &o in &offs[..3] {
            cache.insert(1, o, block_of(100));
        }
        // Nothing looked up: the hand evicts the oldest, the first block.
        cache.insert(1, offs[3], block_of(100));
        assert!(cache.lookup(1, offs[0]).is_none(), "first evicted");
        // Look up the second; the third is not: the third goes next.
        assert!(cache.lookup(1, offs[1]).is_some());
        cache.insert(1, offs[4], block_of(100));
        assert!(cache.lookup(1, offs[2]).is_none(), "not looked up: evicted");
        assert!(cache.lookup(1, offs[1]).is_some(), "second chance");
        assert!(cache.lookup(1, offs[3]).is_some());
        assert!(cache.lookup(1, offs[4]).is_some());
        // All three now looked up: the hand clears their bits in a turn
        // and evicts where it started; the block inserted is never the
        // one evicted to make room for itself.
        cache.insert(1, offs[5], block_of(100));
        assert!(cache.lookup(1, offs[5]).is_some(), "the new block stays");
        let held = [offs[1], offs[3], offs[4]]
            .iter()
            .filter(|&&o| cache.lookup(1, o).is_some())
            .count();
        assert_eq!(held, 2, "one of the three older blocks evicted");
        // A larger block evicts until the shard fits: all others go.
        cache.insert(1, offs[0], block_of(250));
        assert!(cache.lookup(1, offs[0]).is_some());
        assert_eq!(cache.usage_bytes(), 250);
    }

    #[test]
    fn capacity_is_respected() {
        let cache = BlockCache::new(4096);
        for i in 0..1000u64 {
            cache.insert(7, i * 4096, block_of(8 + (i as usize % 97)));
            assert!(cache.usage_bytes() <= 4096, "usage over capacity");
        }
        // Per-shard capacity is 256 bytes; a bigger block is not cached.
        cache.insert(8, 0, block_of(300));
        assert!(cache.lookup(8, 0).is_none());
        let zero = BlockCache::new(0);
        zero.insert(1, 0, block_of(8));
        assert!(zero.lookup(1, 0).is_none());
        assert_eq!(zero.usage_bytes(), 0);
    }

    #[test]
    fn slots_are_reused() {
        let cache = BlockCache::new(16 * 100);
        let offs = same_shard_offsets(&cache, 3, 50);
        for &o in &offs {
            cache.insert(3, o, block_of(50));
        }
        let shard = cache.shard((3, offs[0])).lock();
        assert_eq!(shard.map.len(), 2);
        assert!(shard.slots.len() <= 4, "slab grew to {}", shard.slots.len());
    }

    #[test]
    fn evicted_blocks_outlive_their_entry() {
        let cache = BlockCache::new(16 * 100);
        let offs = same_shard_offsets(&cache, 1, 2);
        cache.insert(1, offs[0], block_of(100));
        let held = cache.lookup(1, offs[0]).expect("hit");
        cache.insert(1, offs[1], block_of(100));
        assert!(cache.lookup(1, offs[0]).is_none());
        assert_eq!(held.size_bytes(), 100);
    }
}
