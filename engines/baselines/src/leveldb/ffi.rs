//! Hand-written declarations of the part of LevelDB 1.23's C API
//! (`leveldb/c.h`) the wrapper uses. Types are opaque; bools are `u8`;
//! every `errptr` is either left alone (success) or set to a `malloc`'d,
//! NUL-terminated message the caller frees with [`leveldb_free`].

use libc::{c_char, c_int, c_void, size_t};

macro_rules! opaque {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            #[repr(C)]
            pub struct $name {
                _private: [u8; 0],
            }
        )*
    };
}

opaque!(
    /// `leveldb_t`: an open database.
    leveldb_t,
    /// `leveldb_cache_t`: an LRU block cache.
    leveldb_cache_t,
    /// `leveldb_filterpolicy_t`: a filter policy (the built-in bloom one).
    leveldb_filterpolicy_t,
    /// `leveldb_iterator_t`: a cursor.
    leveldb_iterator_t,
    /// `leveldb_options_t`: open options.
    leveldb_options_t,
    /// `leveldb_readoptions_t`: per-read options.
    leveldb_readoptions_t,
    /// `leveldb_snapshot_t`: a read view.
    leveldb_snapshot_t,
    /// `leveldb_writebatch_t`: a batch of updates.
    leveldb_writebatch_t,
    /// `leveldb_writeoptions_t`: per-write options.
    leveldb_writeoptions_t,
);

/// `leveldb_no_compression`.
pub const LEVELDB_NO_COMPRESSION: c_int = 0;
/// `leveldb_snappy_compression`.
pub const LEVELDB_SNAPPY_COMPRESSION: c_int = 1;

extern "C" {
    pub fn leveldb_open(
        options: *const leveldb_options_t,
        name: *const c_char,
        errptr: *mut *mut c_char,
    ) -> *mut leveldb_t;
    pub fn leveldb_close(db: *mut leveldb_t);
    pub fn leveldb_put(
        db: *mut leveldb_t,
        options: *const leveldb_writeoptions_t,
        key: *const c_char,
        keylen: size_t,
        val: *const c_char,
        vallen: size_t,
        errptr: *mut *mut c_char,
    );
    pub fn leveldb_delete(
        db: *mut leveldb_t,
        options: *const leveldb_writeoptions_t,
        key: *const c_char,
        keylen: size_t,
        errptr: *mut *mut c_char,
    );
    pub fn leveldb_write(
        db: *mut leveldb_t,
        options: *const leveldb_writeoptions_t,
        batch: *mut leveldb_writebatch_t,
        errptr: *mut *mut c_char,
    );
    pub fn leveldb_get(
        db: *mut leveldb_t,
        options: *const leveldb_readoptions_t,
        key: *const c_char,
        keylen: size_t,
        vallen: *mut size_t,
        errptr: *mut *mut c_char,
    ) -> *mut c_char;
    pub fn leveldb_create_iterator(
        db: *mut leveldb_t,
        options: *const leveldb_readoptions_t,
    ) -> *mut leveldb_iterator_t;
    pub fn leveldb_create_snapshot(db: *mut leveldb_t) -> *const leveldb_snapshot_t;
    pub fn leveldb_release_snapshot(db: *mut leveldb_t, snapshot: *const leveldb_snapshot_t);
    pub fn leveldb_property_value(db: *mut leveldb_t, propname: *const c_char) -> *mut c_char;
    pub fn leveldb_compact_range(
        db: *mut leveldb_t,
        start_key: *const c_char,
        start_key_len: size_t,
        limit_key: *const c_char,
        limit_key_len: size_t,
    );

    pub fn leveldb_iter_destroy(it: *mut leveldb_iterator_t);
    pub fn leveldb_iter_valid(it: *const leveldb_iterator_t) -> u8;
    pub fn leveldb_iter_seek_to_first(it: *mut leveldb_iterator_t);
    pub fn leveldb_iter_seek_to_last(it: *mut leveldb_iterator_t);
    pub fn leveldb_iter_seek(it: *mut leveldb_iterator_t, k: *const c_char, klen: size_t);
    pub fn leveldb_iter_next(it: *mut leveldb_iterator_t);
    pub fn leveldb_iter_prev(it: *mut leveldb_iterator_t);
    pub fn leveldb_iter_key(it: *const leveldb_iterator_t, klen: *mut size_t) -> *const c_char;
    pub fn leveldb_iter_value(it: *const leveldb_iterator_t, vlen: *mut size_t) -> *const c_char;
    pub fn leveldb_iter_get_error(it: *const leveldb_iterator_t, errptr: *mut *mut c_char);

    pub fn leveldb_writebatch_create() -> *mut leveldb_writebatch_t;
    pub fn leveldb_writebatch_destroy(b: *mut leveldb_writebatch_t);
    pub fn leveldb_writebatch_clear(b: *mut leveldb_writebatch_t);
    pub fn leveldb_writebatch_put(
        b: *mut leveldb_writebatch_t,
        key: *const c_char,
        klen: size_t,
        val: *const c_char,
        vlen: size_t,
    );
    pub fn leveldb_writebatch_delete(
        b: *mut leveldb_writebatch_t,
        key: *const c_char,
        klen: size_t,
    );

    pub fn leveldb_options_create() -> *mut leveldb_options_t;
    pub fn leveldb_options_destroy(o: *mut leveldb_options_t);
    pub fn leveldb_options_set_filter_policy(
        o: *mut leveldb_options_t,
        policy: *mut leveldb_filterpolicy_t,
    );
    pub fn leveldb_options_set_create_if_missing(o: *mut leveldb_options_t, v: u8);
    pub fn leveldb_options_set_write_buffer_size(o: *mut leveldb_options_t, v: size_t);
    pub fn leveldb_options_set_max_open_files(o: *mut leveldb_options_t, v: c_int);
    pub fn leveldb_options_set_cache(o: *mut leveldb_options_t, c: *mut leveldb_cache_t);
    pub fn leveldb_options_set_block_size(o: *mut leveldb_options_t, v: size_t);
    pub fn leveldb_options_set_max_file_size(o: *mut leveldb_options_t, v: size_t);
    pub fn leveldb_options_set_compression(o: *mut leveldb_options_t, v: c_int);

    pub fn leveldb_filterpolicy_create_bloom(bits_per_key: c_int) -> *mut leveldb_filterpolicy_t;
    pub fn leveldb_filterpolicy_destroy(p: *mut leveldb_filterpolicy_t);

    pub fn leveldb_readoptions_create() -> *mut leveldb_readoptions_t;
    pub fn leveldb_readoptions_destroy(o: *mut leveldb_readoptions_t);
    pub fn leveldb_readoptions_set_verify_checksums(o: *mut leveldb_readoptions_t, v: u8);
    pub fn leveldb_readoptions_set_fill_cache(o: *mut leveldb_readoptions_t, v: u8);
    pub fn leveldb_readoptions_set_snapshot(
        o: *mut leveldb_readoptions_t,
        s: *const leveldb_snapshot_t,
    );

    pub fn leveldb_writeoptions_create() -> *mut leveldb_writeoptions_t;
    pub fn leveldb_writeoptions_destroy(o: *mut leveldb_writeoptions_t);
    pub fn leveldb_writeoptions_set_sync(o: *mut leveldb_writeoptions_t, v: u8);

    pub fn leveldb_cache_create_lru(capacity: size_t) -> *mut leveldb_cache_t;
    pub fn leveldb_cache_destroy(cache: *mut leveldb_cache_t);

    pub fn leveldb_free(ptr: *mut c_void);
    pub fn leveldb_major_version() -> c_int;
    pub fn leveldb_minor_version() -> c_int;
}
