//! Bytes per level from LevelDB 1.23's `leveldb.stats` property.
//!
//! The property is a table, one row per level that has files or has spent
//! time compacting (`DBImpl::GetProperty`):
//!
//! ```text
//!                                Compactions
//! Level  Files Size(MB) Time(sec) Read(MB) Write(MB)
//! --------------------------------------------------
//!   0        3        0         0        0         0
//!   1        5        9         1       12        11
//! ```
//!
//! `Size(MB)` is `NumLevelBytes(level) / 1048576.0` printed with `%8.0f`:
//! MiB rounded to the nearest whole one. A level's bytes read from it are
//! that number times 1 MiB, so each is within 0.5 MiB of the truth, and a
//! level holding under 0.5 MiB reads 0. A level without a row has no files,
//! so 0 bytes exactly.

/// LevelDB's `config::kNumLevels`.
pub(crate) const LEVELS: usize = 7;

const MIB: f64 = 1_048_576.0;

/// Bytes per level, level 0 first, all [`LEVELS`] levels; `None` if `text`
/// is not a `leveldb.stats` table (no header line, or a row that does not
/// parse), so that an unexpected format reads as "unknown", never as zeros.
pub(crate) fn level_bytes(text: &str) -> Option<Vec<u64>> {
    let mut lines = text.lines();
    lines.find(|l| l.split_whitespace().next() == Some("Level"))?;
    let mut bytes = vec![0u64; LEVELS];
    for line in lines {
        if line.starts_with('-') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [level, _files, size_mib, _, _, _] = fields.as_slice() else {
            return None;
        };
        let level: usize = level.parse().ok().filter(|&l| l < LEVELS)?;
        let size_mib: f64 = size_mib.parse().ok().filter(|m: &f64| *m >= 0.0)?;
        bytes[level] = (size_mib * MIB) as u64;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "                               Compactions\n\
                          Level  Files Size(MB) Time(sec) Read(MB) Write(MB)\n\
                          --------------------------------------------------\n";

    #[test]
    fn rows_become_mib_and_missing_levels_zero() {
        let text = format!(
            "{HEADER}  0        3        0         0        0         0\n  \
             1        5        9         1       12        11\n  \
             3        1      120         4      130       125\n"
        );
        let bytes = level_bytes(&text).expect("parses");
        assert_eq!(bytes.len(), LEVELS);
        assert_eq!(bytes, vec![0, 9 << 20, 0, 120 << 20, 0, 0, 0]);
    }

    #[test]
    fn an_empty_database_has_a_header_and_no_rows() {
        assert_eq!(level_bytes(HEADER), Some(vec![0; LEVELS]));
    }

    #[test]
    fn other_text_is_unknown_not_zero() {
        assert_eq!(level_bytes(""), None);
        assert_eq!(level_bytes("no table here\n"), None);
        let short_row = format!("{HEADER}  0        3\n");
        assert_eq!(level_bytes(&short_row), None);
        let level_out_of_range =
            format!("{HEADER}  7        1        1         0        0         0\n");
        assert_eq!(level_bytes(&level_out_of_range), None);
        let not_a_number = format!("{HEADER}  1        1       xx         0        0         0\n");
        assert_eq!(level_bytes(&not_a_number), None);
    }
}
