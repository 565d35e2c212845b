//! The store format: which layout of keys a store uses, recorded under
//! `m:format` as decimal text.
//!
//! - Format 1 (no `m:format` key): blobs under `b:<ref text>`; claims one
//!   change each; the index of claims (`i:c:`, `i:a:`, `i:r:`, `i:p:`,
//!   `i:root`).
//! - Format 2: blob bytes under `d:<seq><ref>` with `l:<ref>` locations
//!   ([`crate::blob`]); claims may be `multi` ([`crate::schema`]); the
//!   index adds the current state (`i:n:`, `i:e:`, [`crate::state`]).
//!
//! This build reads and writes format 2 only; a format-1 store is refused
//! with [`FsError::UnsupportedFormat`] and converted by
//! [`crate::upgrade::upgrade`].

use crate::error::{FsError, Result};
use crate::index;
use strata_api::{Engine, ReadOptions};

/// The key of the format number.
pub const FORMAT_KEY: &[u8] = b"m:format";
/// The format this build reads and writes.
pub const FORMAT_VERSION: u32 = 2;

/// The format entry of a new store.
pub fn format_entry() -> (&'static [u8], Vec<u8>) {
    (FORMAT_KEY, FORMAT_VERSION.to_string().into_bytes())
}

/// The format of the store in `engine`: `None` for an engine without a
/// store, 1 for a store without a format key.
///
/// # Errors
/// `Corruption` if the format key is not a decimal number; the engine's
/// errors.
pub fn store_format(engine: &dyn Engine, ro: &ReadOptions) -> Result<Option<u32>> {
    if let Some(v) = engine.get(ro, FORMAT_KEY)? {
        let text = std::str::from_utf8(&v).ok();
        return text
            .and_then(|t| t.parse::<u32>().ok())
            .map(Some)
            .ok_or_else(|| FsError::corruption("m:format", "not a decimal number"));
    }
    Ok(index::root(engine, ro)?.map(|_| 1))
}

/// Checks that the store in `engine`, if any, is of [`FORMAT_VERSION`].
///
/// # Errors
/// `UnsupportedFormat` for another format; as [`store_format`].
pub fn check(engine: &dyn Engine) -> Result<()> {
    match store_format(engine, &ReadOptions::default())? {
        None => Ok(()),
        Some(FORMAT_VERSION) => Ok(()),
        Some(found) => Err(FsError::UnsupportedFormat {
            found,
            supported: FORMAT_VERSION,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_entry_is_decimal_text() {
        let (k, v) = format_entry();
        assert_eq!((k, v.as_slice()), (&b"m:format"[..], &b"2"[..]));
    }
}
