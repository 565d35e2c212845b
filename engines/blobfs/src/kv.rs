//! Small helpers over an [`Engine`]'s cursor: prefix scans and "last key
//! under a prefix".

use crate::error::Result;
use strata_api::{Engine, ReadOptions};

/// Calls `f(key, value)` for every entry whose key starts with `prefix`,
/// beginning at the first key at or after `start` (which must itself start
/// with `prefix` or sort before every key that does), in key order, until `f`
/// returns `Ok(false)`.
///
/// # Errors
/// The cursor's error (`Io`, `Corruption`), or the first error `f` returns.
pub fn scan_from(
    engine: &dyn Engine,
    options: &ReadOptions,
    prefix: &[u8],
    start: &[u8],
    mut f: impl FnMut(&[u8], &[u8]) -> Result<bool>,
) -> Result<()> {
    let mut it = engine.iter(options)?;
    it.seek(start);
    while it.valid() {
        let key = it.key();
        if !key.starts_with(prefix) {
            break;
        }
        if !f(key, it.value())? {
            return Ok(());
        }
        it.next();
    }
    it.status()?;
    Ok(())
}

/// [`scan_from`] starting at `prefix` itself: every entry under `prefix`.
///
/// # Errors
/// As [`scan_from`].
pub fn scan_prefix(
    engine: &dyn Engine,
    options: &ReadOptions,
    prefix: &[u8],
    f: impl FnMut(&[u8], &[u8]) -> Result<bool>,
) -> Result<()> {
    scan_from(engine, options, prefix, prefix, f)
}

/// The last entry whose key starts with `prefix`, if any.
///
/// # Errors
/// The cursor's error.
pub fn last_with_prefix(
    engine: &dyn Engine,
    options: &ReadOptions,
    prefix: &[u8],
) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut it = engine.iter(options)?;
    match prefix_successor(prefix) {
        Some(succ) => {
            it.seek(&succ);
            if it.valid() {
                it.prev();
            } else {
                it.status()?;
                it.seek_to_last();
            }
        }
        None => it.seek_to_last(),
    }
    let found = if it.valid() && it.key().starts_with(prefix) {
        Some((it.key().to_vec(), it.value().to_vec()))
    } else {
        None
    };
    it.status()?;
    Ok(found)
}

/// The smallest key greater than every key that starts with `prefix`, or
/// `None` when there is none (`prefix` is empty or all `0xff`).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut succ = prefix.to_vec();
    while let Some(last) = succ.pop() {
        if last != 0xff {
            succ.push(last + 1);
            return Some(succ);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_skips_trailing_ff() {
        assert_eq!(prefix_successor(b"i:c:"), Some(b"i:c;".to_vec()));
        assert_eq!(prefix_successor(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_successor(&[0xff, 0xff]), None);
        assert_eq!(prefix_successor(b""), None);
    }
}
