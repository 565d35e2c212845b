//! Dumps a sorted table: every internal key, as `leveldbutil dump` prints
//! it: `'user_key' @ sequence : val|del => 'value'` (`badkey '…' => '…'`
//! for a key too short to be an internal key).

use super::{escape, DumpError};
use crate::format::internal_key::{parse_internal_key, ValueType};
use crate::table::{Table, TableOptions};
use std::io::Write;
use std::path::Path;
use strata_api::Env;

/// Prints every entry of the table at `path`, every block's checksum
/// verified.
///
/// # Errors
/// The `Corruption` (file and offset) of a damaged footer, index or data
/// block; entries before a damaged data block are printed first.
pub(super) fn dump(
    env: &dyn Env,
    path: &Path,
    shown: &str,
    out: &mut dyn Write,
) -> Result<(), DumpError> {
    let size_bytes = env.file_size(path)?;
    let file = env.new_random_access_file(path)?;
    // Default options: the bytewise order suffices to walk front to back,
    // and without a filter policy the filter block is not read.
    let table = Table::open(
        TableOptions::default(),
        file,
        shown.to_string(),
        size_bytes,
        None,
    )?;
    let mut cursor = table.iter(true, false);
    cursor.seek_to_first();
    while cursor.valid() {
        writeln!(out, "{}", entry_line(cursor.key(), cursor.value()))?;
        cursor.next();
    }
    cursor.status()?;
    Ok(())
}

fn entry_line(key: &[u8], value: &[u8]) -> String {
    match parse_internal_key(key) {
        Some(parsed) => {
            let kind = match parsed.value_type {
                ValueType::Value => "val",
                ValueType::Deletion => "del",
            };
            format!(
                "'{}' @ {} : {kind} => '{}'",
                escape(parsed.user_key),
                parsed.sequence,
                escape(value)
            )
        }
        None => format!("badkey '{}' => '{}'", escape(key), escape(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::internal_key::append_internal_key;

    #[test]
    fn lines_match_leveldbutil() {
        let mut key = Vec::new();
        append_internal_key(&mut key, b"k\x01", 7, ValueType::Value);
        assert_eq!(entry_line(&key, b"v\xff"), "'k\\x01' @ 7 : val => 'v\\xff'");
        key.clear();
        append_internal_key(&mut key, b"k", 9, ValueType::Deletion);
        assert_eq!(entry_line(&key, b""), "'k' @ 9 : del => ''");
        assert_eq!(entry_line(b"ab", b"x"), "badkey 'ab' => 'x'");
    }
}
