//! LevelDB's sorted table (`.ldb`) format, byte for byte
//! (`doc/table_format.md`): prefix-compressed blocks with restart points,
//! a bloom filter block, metaindex and index blocks, a 48-byte footer,
//! Snappy compression, and a sharded LRU cache of uncompressed blocks.

pub mod block;
pub mod block_builder;
pub mod bloom;
pub mod builder;
pub mod cache;
pub mod filter_block;
pub mod format;
pub mod hash;
pub mod int_hasher;
pub mod reader;
pub mod restart_hints;
pub mod table_iter;

#[cfg(test)]
mod tests;

pub use block::{Block, BlockIter};
pub use block_builder::BlockBuilder;
pub use bloom::{BloomFilterPolicy, FilterPolicy, InternalFilterPolicy};
pub use builder::{TableBuilder, TableOptions};
pub use cache::{BlockCache, DEFAULT_BLOCK_CACHE_BYTES};
pub use filter_block::{FilterBlockBuilder, FilterBlockReader};
pub use format::{read_block, BlockContents, BlockHandle, CompressionType, Footer};
pub use reader::Table;
pub use table_iter::TableIter;
