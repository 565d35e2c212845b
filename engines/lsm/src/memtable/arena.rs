//! A bump allocator for the skiplist memtable (LevelDB's `util/arena.h`).
//!
//! Memory is carved out of 4 KiB blocks; a request larger than a quarter
//! block gets a block of its own so that the tail of the current block is not
//! wasted. Nothing is freed until the whole arena is dropped, which is what a
//! memtable wants: it only grows, then is flushed and discarded at once.
//!
//! Blocks are held as raw pointers from the global allocator rather than as
//! `Box`es: a `Box` asserts unique ownership whenever it is moved (for
//! example when the block list reallocates), which would invalidate the
//! pointers handed out for reading by other threads. Raw pointers make no
//! such claim.
//!
//! Invariants the skiplist relies on:
//! - a returned pointer stays valid, and its bytes are never handed out
//!   again, until the arena is dropped;
//! - every block is zero-initialised, 8-byte aligned and at least as large
//!   as the request that caused it;
//! - [`Arena::allocate_aligned`] returns pointers aligned to [`ARENA_ALIGN`].

use std::alloc::{self, Layout};
use std::ptr::NonNull;

/// Size of an ordinary block, in bytes (LevelDB's `kBlockSize`).
pub(crate) const BLOCK_SIZE_BYTES: usize = 4096;

/// Alignment of [`Arena::allocate_aligned`] and of every block: enough for a
/// pointer and for a `u64`.
pub(crate) const ARENA_ALIGN: usize = if std::mem::size_of::<*const u8>() > 8 {
    std::mem::size_of::<*const u8>()
} else {
    8
};

const _: () = assert!(ARENA_ALIGN.is_power_of_two());

/// One heap block owned by the arena.
struct Block {
    ptr: NonNull<u8>,
    layout: Layout,
}

/// A bump allocator. Allocation needs `&mut self`: the skiplist keeps its
/// arena behind the writer mutex, while readers only dereference pointers
/// that were handed out earlier.
pub(crate) struct Arena {
    /// Next free byte of the current block (dangling when no block yet).
    alloc_ptr: NonNull<u8>,
    /// Bytes left in the current block after `alloc_ptr`.
    alloc_bytes_remaining: usize,
    blocks: Vec<Block>,
    /// Bytes of blocks plus one pointer of bookkeeping per block.
    memory_usage_bytes: usize,
}

// SAFETY: the arena owns its blocks exclusively (no other handle to the
// allocations exists besides the pointers it hands out, whose use is the
// caller's responsibility), so moving it to another thread is sound.
unsafe impl Send for Arena {}
// SAFETY: `&Arena` only allows reading plain integers (`memory_usage`);
// every mutation goes through `&mut self`.
unsafe impl Sync for Arena {}

impl Arena {
    /// An empty arena; no block is allocated until the first request.
    pub(crate) fn new() -> Self {
        Arena {
            alloc_ptr: NonNull::dangling(),
            alloc_bytes_remaining: 0,
            blocks: Vec::new(),
            memory_usage_bytes: 0,
        }
    }

    /// Returns `bytes` fresh, zeroed bytes with no alignment guarantee
    /// (LevelDB's `Allocate`; the skiplist allocates each node and its key
    /// together, aligned, so only the tests use it).
    ///
    /// Panics if `bytes == 0` (a programmer error: LevelDB asserts the same).
    #[cfg(test)]
    pub(crate) fn allocate(&mut self, bytes: usize) -> NonNull<u8> {
        assert!(bytes > 0, "arena allocations must be non-empty");
        if bytes <= self.alloc_bytes_remaining {
            return self.bump(bytes);
        }
        self.allocate_fallback(bytes)
    }

    /// Returns `bytes` fresh, zeroed bytes aligned to [`ARENA_ALIGN`].
    ///
    /// Panics if `bytes == 0`.
    pub(crate) fn allocate_aligned(&mut self, bytes: usize) -> NonNull<u8> {
        assert!(bytes > 0, "arena allocations must be non-empty");
        let misalignment = self.alloc_ptr.as_ptr() as usize & (ARENA_ALIGN - 1);
        let slop_bytes = if misalignment == 0 {
            0
        } else {
            ARENA_ALIGN - misalignment
        };
        let needed_bytes = bytes.saturating_add(slop_bytes);
        let ptr = if needed_bytes <= self.alloc_bytes_remaining {
            self.bump(slop_bytes);
            self.bump(bytes)
        } else {
            // A new block starts aligned, so no slop is needed there.
            self.allocate_fallback(bytes)
        };
        debug_assert_eq!(ptr.as_ptr() as usize & (ARENA_ALIGN - 1), 0);
        ptr
    }

    /// Bytes held: all blocks plus per-block bookkeeping.
    pub(crate) fn memory_usage(&self) -> usize {
        self.memory_usage_bytes
    }

    /// Advances within the current block. Requires
    /// `bytes <= alloc_bytes_remaining`.
    fn bump(&mut self, bytes: usize) -> NonNull<u8> {
        debug_assert!(bytes <= self.alloc_bytes_remaining);
        let result = self.alloc_ptr;
        // `wrapping_add` keeps this safe code; the result stays inside the
        // current block (or one past its end) because of the requirement, so
        // it is never null and the fallback below is never taken.
        let next = result.as_ptr().wrapping_add(bytes);
        self.alloc_ptr = NonNull::new(next).unwrap_or(result);
        self.alloc_bytes_remaining -= bytes;
        result
    }

    fn allocate_fallback(&mut self, bytes: usize) -> NonNull<u8> {
        if bytes > BLOCK_SIZE_BYTES / 4 {
            // A block of its own; the current block keeps serving small
            // requests.
            return self.new_block(bytes);
        }
        // Start a new block; whatever is left of the current one is wasted.
        let block = self.new_block(BLOCK_SIZE_BYTES);
        self.alloc_ptr = block;
        self.alloc_bytes_remaining = BLOCK_SIZE_BYTES;
        self.bump(bytes)
    }

    fn new_block(&mut self, block_bytes: usize) -> NonNull<u8> {
        let layout = match Layout::from_size_align(block_bytes, ARENA_ALIGN) {
            Ok(layout) => layout,
            Err(_) => panic!("arena block of {block_bytes} bytes exceeds the address space"),
        };
        // SAFETY: `layout` has a non-zero size (callers pass `bytes > 0` or
        // `BLOCK_SIZE_BYTES`).
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout)
        };
        self.blocks.push(Block { ptr, layout });
        self.memory_usage_bytes += block_bytes + std::mem::size_of::<*const u8>();
        ptr
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        for block in &self.blocks {
            // SAFETY: each block was allocated by `alloc_zeroed` with exactly
            // this layout and is freed once, here. Whoever holds pointers into
            // the arena (the skiplist) owns the arena, so none outlives it.
            unsafe { alloc::dealloc(block.ptr.as_ptr(), block.layout) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn empty_arena_holds_nothing() {
        assert_eq!(Arena::new().memory_usage(), 0);
    }

    #[test]
    fn aligned_allocations_are_aligned() {
        let mut arena = Arena::new();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for _ in 0..2000 {
            // Interleave odd-sized unaligned requests to misalign the cursor.
            let _ = arena.allocate(rng.gen_range(1..20));
            let p = arena.allocate_aligned(rng.gen_range(1..200));
            assert_eq!(p.as_ptr() as usize % ARENA_ALIGN, 0);
        }
    }

    #[test]
    fn large_requests_get_their_own_block() {
        let pointer_bytes = std::mem::size_of::<*const u8>();
        let mut arena = Arena::new();
        let _ = arena.allocate(10);
        let usage = arena.memory_usage();
        assert_eq!(usage, BLOCK_SIZE_BYTES + pointer_bytes);
        // Fits in the current block's remainder: no new block.
        let _ = arena.allocate(BLOCK_SIZE_BYTES / 4 + 1);
        assert_eq!(arena.memory_usage(), usage);
        // Does not fit and is large: a block of exactly its size.
        let _ = arena.allocate(5000);
        assert_eq!(arena.memory_usage(), usage + 5000 + pointer_bytes);
        // The current block keeps serving small requests.
        let _ = arena.allocate(10);
        assert_eq!(arena.blocks.len(), 2);
        // 1045 bytes used, 3051 left: two quarter-blocks fit, the third
        // starts a new ordinary block.
        let _ = arena.allocate(BLOCK_SIZE_BYTES / 4);
        let _ = arena.allocate(BLOCK_SIZE_BYTES / 4);
        assert_eq!(arena.blocks.len(), 2);
        let _ = arena.allocate(BLOCK_SIZE_BYTES / 4);
        assert_eq!(arena.blocks.len(), 3);
        assert_eq!(
            arena.memory_usage(),
            usage + 5000 + BLOCK_SIZE_BYTES + 2 * pointer_bytes
        );
    }

    /// LevelDB's arena test: random sizes, each allocation filled with a
    /// pattern that is checked after all allocations are done.
    #[test]
    fn allocations_do_not_overlap() {
        let mut arena = Arena::new();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(301);
        let mut allocated: Vec<(NonNull<u8>, usize)> = Vec::new();
        let mut total_bytes = 0usize;
        // Miri (which checks this module's `unsafe`) is ~1000x slower.
        let allocations = if cfg!(miri) { 2_000 } else { 20_000usize };
        for i in 0..allocations {
            let size = if i % 4000 == 0 {
                // Occasionally a large one.
                rng.gen_range(1..6000)
            } else if rng.gen_ratio(1, 10) {
                rng.gen_range(1..100)
            } else {
                rng.gen_range(1..20)
            };
            let p = if rng.gen_ratio(1, 10) {
                arena.allocate_aligned(size)
            } else {
                arena.allocate(size)
            };
            for b in 0..size {
                // SAFETY: `p` points to `size` fresh bytes owned by `arena`,
                // which outlives this loop.
                unsafe { p.as_ptr().add(b).write((i % 256) as u8) };
            }
            total_bytes += size;
            allocated.push((p, size));
            assert!(arena.memory_usage() >= total_bytes);
            // Waste stays bounded: under 10% in filled blocks (LevelDB's
            // bound) plus the unfilled rest of the current block.
            let bound_bytes =
                total_bytes * 11 / 10 + BLOCK_SIZE_BYTES + std::mem::size_of::<*const u8>();
            assert!(arena.memory_usage() <= bound_bytes, "allocation {i}");
        }
        for (i, (p, size)) in allocated.iter().enumerate() {
            // SAFETY: as above; the bytes were written in the first loop.
            let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), *size) };
            assert!(
                bytes.iter().all(|&b| b == (i % 256) as u8),
                "allocation {i}"
            );
        }
    }
}
