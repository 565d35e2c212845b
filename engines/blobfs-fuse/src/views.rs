//! The `.at` directory: read-only views of the tree as of past instants.
//!
//! Looking up any RFC 3339 name in `.at` (any offset, any fractional
//! digits) opens the view as of that instant. Listing `.at` shows the
//! instants at which the store changed (the distinct claim dates, newest
//! [`LISTED_VERSIONS`]), named with nine fractional digits so that `ls`
//! sorts them in time order. blobfs has no index of claims by date, so the
//! listing scans every claim's index key once per `opendir` of `.at`.

use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::BTreeSet;
use strata_api::ReadOptions;
use strata_blobfs::blob::REF_TEXT_BYTES;
use strata_blobfs::time::{self, ClaimTime, SORTABLE_BYTES};
use strata_blobfs::{index, kv, BlobFs, Result};

/// How many version times listing `.at` shows at most (the newest).
pub(crate) const LISTED_VERSIONS: usize = 1000;

/// The instant a `.at` entry name stands for, if it is RFC 3339.
pub(crate) fn parse_view_name(name: &str) -> Option<ClaimTime> {
    // parse_rfc3339 trims; a name with spaces around it is another name.
    if name.trim() != name {
        return None;
    }
    time::parse_rfc3339(name).ok()
}

/// The name under which `.at` lists instant `t`: fixed width, so that
/// byte order is time order.
pub(crate) fn view_name(t: ClaimTime) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// The distinct dates of the store's claims, newest `limit`, oldest first;
/// the root's claims at the Unix epoch are left out.
///
/// # Errors
/// The engine's errors; `Corruption` for an index key whose date does not
/// parse.
pub(crate) fn version_times(fs: &BlobFs, limit: usize) -> Result<Vec<ClaimTime>> {
    // i:c:<permanode>:<date>:<claim>; the date ends REF_TEXT_BYTES + 1
    // bytes before the end of the key.
    let tail_bytes = SORTABLE_BYTES + 1 + REF_TEXT_BYTES;
    let mut times = BTreeSet::new();
    kv::scan_prefix(
        fs.engine().as_ref(),
        &ReadOptions::default(),
        index::CLAIMS_PREFIX,
        |key, _| {
            let Some(start) = key.len().checked_sub(tail_bytes) else {
                return Ok(true);
            };
            let date = &key[start..start + SORTABLE_BYTES];
            let t = time::parse_sortable(date, "index")?;
            if t != DateTime::<Utc>::UNIX_EPOCH {
                times.insert(t);
                if times.len() > limit {
                    times.pop_first();
                }
            }
            Ok(true)
        },
    )?;
    Ok(times.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::memory_fs;

    #[test]
    fn names_parse_in_any_rfc3339_spelling() {
        let t = parse_view_name("2024-05-01T12:00:00Z").expect("plain");
        assert_eq!(parse_view_name("2024-05-01T14:00:00+02:00"), Some(t));
        assert_eq!(parse_view_name(&view_name(t)), Some(t));
        assert_eq!(view_name(t), "2024-05-01T12:00:00.000000000Z");
        let frac = parse_view_name("2024-05-01T12:00:00.25Z").expect("fraction");
        assert!(frac > t);
        for bad in [
            "yesterday",
            "2024-05-01",
            " 2024-05-01T12:00:00Z",
            "2024-13-01T00:00:00Z",
        ] {
            assert_eq!(parse_view_name(bad), None, "{bad}");
        }
        assert!(view_name(t) < view_name(frac));
    }

    #[test]
    fn version_times_are_the_mutation_times() {
        let fs = memory_fs();
        assert!(version_times(&fs, 10).expect("scan").is_empty());
        let t1 = parse_view_name("2024-05-01T10:00:00Z").expect("t1");
        let t2 = parse_view_name("2024-05-01T11:00:00Z").expect("t2");
        let t3 = parse_view_name("2024-05-01T12:00:00Z").expect("t3");
        fs.mkdir("/d", Some(t1)).expect("mkdir");
        fs.write_file("/d/f", b"one", Some(t2)).expect("write");
        fs.write_file("/d/f", b"two", Some(t3)).expect("rewrite");
        assert_eq!(version_times(&fs, 10).expect("scan"), vec![t1, t2, t3]);
        assert_eq!(version_times(&fs, 2).expect("scan"), vec![t2, t3]);
    }
}
