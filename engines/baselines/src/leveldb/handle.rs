//! The C objects behind one open LevelDB, owned together and freed in the
//! order LevelDB requires (database first, then what its options point to).

use super::error::ErrorSlot;
use super::ffi;
use crate::options::BaselineOptions;
use libc::{c_char, c_int};
use std::collections::HashSet;
use std::ffi::CString;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use strata_api::{Error, Result};

/// An open LevelDB and everything it was opened with.
///
/// Shared (through `Arc`) by the engine, its iterators and its snapshots'
/// release functions, so the database closes only after the last of them.
pub(crate) struct Handle {
    pub(crate) db: *mut ffi::leveldb_t,
    options: *mut ffi::leveldb_options_t,
    cache: *mut ffi::leveldb_cache_t,
    filter: *mut ffi::leveldb_filterpolicy_t,
    /// Read options with LevelDB's defaults, reused by every plain read so
    /// that a `get` allocates nothing on our side.
    pub(crate) read_default: *mut ffi::leveldb_readoptions_t,
    pub(crate) write_sync: *mut ffi::leveldb_writeoptions_t,
    pub(crate) write_nosync: *mut ffi::leveldb_writeoptions_t,
    /// The database directory, for error messages.
    pub(crate) dir: String,
    /// Addresses of the snapshots taken and not yet released: a snapshot id
    /// passed in `ReadOptions` is used only if it is one of these.
    pub(crate) live_snapshots: Mutex<HashSet<u64>>,
    pub(crate) user_bytes_written: AtomicU64,
    pub(crate) gets: AtomicU64,
}

// SAFETY: LevelDB's `DB` is safe for concurrent use from many threads
// without external synchronisation (include/leveldb/db.h); the option
// objects are only read after open; snapshots are released under the same
// rules. Raw pointers are the only reason these traits are not automatic.
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

impl Handle {
    /// Opens (creating if missing) the database in `dir` with `o`.
    ///
    /// # Errors
    /// `InvalidArgument` if `dir` contains a NUL byte; LevelDB's open error
    /// mapped as in [`super::error::map_message`] (a held `LOCK` is `Io`).
    pub(crate) fn open(o: &BaselineOptions, dir: &str) -> Result<Handle> {
        let name = CString::new(dir).map_err(|_| {
            Error::InvalidArgument(format!("database path '{dir}' contains a NUL byte"))
        })?;
        // SAFETY: each create function returns a fresh object we own; a
        // failed open below drops `handle`, which frees them (db is NULL).
        let mut handle = unsafe {
            Handle {
                db: std::ptr::null_mut(),
                options: ffi::leveldb_options_create(),
                cache: ffi::leveldb_cache_create_lru(o.cache_size_bytes),
                filter: if o.bloom_bits_per_key > 0 {
                    let bits = c_int::try_from(o.bloom_bits_per_key).unwrap_or(c_int::MAX);
                    ffi::leveldb_filterpolicy_create_bloom(bits)
                } else {
                    std::ptr::null_mut()
                },
                read_default: ffi::leveldb_readoptions_create(),
                write_sync: ffi::leveldb_writeoptions_create(),
                write_nosync: ffi::leveldb_writeoptions_create(),
                dir: dir.to_string(),
                live_snapshots: Mutex::new(HashSet::new()),
                user_bytes_written: AtomicU64::new(0),
                gets: AtomicU64::new(0),
            }
        };
        let mut err = ErrorSlot::new();
        // SAFETY: every pointer was just created and is non-NULL where the
        // C API requires it; `name` outlives the call.
        unsafe {
            let opts = handle.options;
            ffi::leveldb_options_set_create_if_missing(opts, 1);
            ffi::leveldb_options_set_compression(
                opts,
                if o.snappy {
                    ffi::LEVELDB_SNAPPY_COMPRESSION
                } else {
                    ffi::LEVELDB_NO_COMPRESSION
                },
            );
            ffi::leveldb_options_set_write_buffer_size(opts, o.write_buffer_size_bytes);
            ffi::leveldb_options_set_max_file_size(opts, o.max_file_size_bytes);
            ffi::leveldb_options_set_block_size(opts, o.block_size_bytes);
            ffi::leveldb_options_set_max_open_files(
                opts,
                c_int::try_from(o.open_files).unwrap_or(c_int::MAX),
            );
            ffi::leveldb_options_set_cache(opts, handle.cache);
            if !handle.filter.is_null() {
                ffi::leveldb_options_set_filter_policy(opts, handle.filter);
            }
            ffi::leveldb_writeoptions_set_sync(handle.write_sync, 1);
            ffi::leveldb_writeoptions_set_sync(handle.write_nosync, 0);
            handle.db = ffi::leveldb_open(opts, name.as_ptr(), err.as_errptr());
        }
        err.check(dir)?;
        if handle.db.is_null() {
            return Err(Error::io(
                dir,
                std::io::Error::other("leveldb_open returned NULL without an error"),
            ));
        }
        Ok(handle)
    }

    /// A property's value (`leveldb_property_value`), or `None` if LevelDB
    /// does not know the name.
    pub(crate) fn property(&self, name: &str) -> Option<String> {
        let name = CString::new(name).ok()?;
        // SAFETY: `db` is open; `name` is NUL-terminated and outlives the call.
        let value: *mut c_char = unsafe { ffi::leveldb_property_value(self.db, name.as_ptr()) };
        if value.is_null() {
            return None;
        }
        // SAFETY: a non-NULL result is a malloc'd NUL-terminated string,
        // copied here and then freed exactly once.
        unsafe {
            let text = std::ffi::CStr::from_ptr(value)
                .to_string_lossy()
                .into_owned();
            ffi::leveldb_free(value.cast());
            Some(text)
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: each pointer is owned here and freed once; the database
        // closes before the options, cache and filter policy it uses.
        unsafe {
            if !self.db.is_null() {
                ffi::leveldb_close(self.db);
            }
            ffi::leveldb_options_destroy(self.options);
            ffi::leveldb_cache_destroy(self.cache);
            if !self.filter.is_null() {
                ffi::leveldb_filterpolicy_destroy(self.filter);
            }
            ffi::leveldb_readoptions_destroy(self.read_default);
            ffi::leveldb_writeoptions_destroy(self.write_sync);
            ffi::leveldb_writeoptions_destroy(self.write_nosync);
        }
    }
}
