//! The names of a database's files (`db/filename.cc`).
//!
//! `NNNNNN.log` (write-ahead logs), `NNNNNN.ldb` (tables; `.sst` in older
//! databases), `MANIFEST-NNNNNN`, `CURRENT` (names the live MANIFEST),
//! `LOCK`, `LOG`/`LOG.old` (info logs) and `NNNNNN.dbtmp` (temporary).
//! Numbers are decimal, zero-padded to at least six digits.

use std::path::{Path, PathBuf};
use strata_api::{Env, Result};

/// The kinds of files in a database directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// A write-ahead log, `NNNNNN.log`.
    Log,
    /// The lock file, `LOCK`.
    DbLock,
    /// A sorted table, `NNNNNN.ldb` or `NNNNNN.sst`.
    Table,
    /// A MANIFEST, `MANIFEST-NNNNNN`.
    Descriptor,
    /// `CURRENT`, naming the live MANIFEST.
    Current,
    /// A temporary file, `NNNNNN.dbtmp`.
    Temp,
    /// The info log, `LOG` or `LOG.old`.
    InfoLog,
}

fn numbered(dir: &Path, number: u64, suffix: &str) -> PathBuf {
    dir.join(format!("{number:06}.{suffix}"))
}

/// `dir/NNNNNN.log`.
pub fn log_file_name(dir: &Path, number: u64) -> PathBuf {
    numbered(dir, number, "log")
}

/// `dir/NNNNNN.ldb`, the name new tables get.
pub fn table_file_name(dir: &Path, number: u64) -> PathBuf {
    numbered(dir, number, "ldb")
}

/// `dir/NNNNNN.sst`, the legacy table name still read when opening tables.
pub fn sst_table_file_name(dir: &Path, number: u64) -> PathBuf {
    numbered(dir, number, "sst")
}

/// The bare name `MANIFEST-NNNNNN`, as written into `CURRENT`.
pub fn descriptor_name(number: u64) -> String {
    format!("MANIFEST-{number:06}")
}

/// `dir/MANIFEST-NNNNNN`.
pub fn descriptor_file_name(dir: &Path, number: u64) -> PathBuf {
    dir.join(descriptor_name(number))
}

/// `dir/CURRENT`.
pub fn current_file_name(dir: &Path) -> PathBuf {
    dir.join("CURRENT")
}

/// `dir/LOCK`.
pub fn lock_file_name(dir: &Path) -> PathBuf {
    dir.join("LOCK")
}

/// `dir/NNNNNN.dbtmp`.
pub fn temp_file_name(dir: &Path, number: u64) -> PathBuf {
    numbered(dir, number, "dbtmp")
}

/// `dir/LOG`.
pub fn info_log_file_name(dir: &Path) -> PathBuf {
    dir.join("LOG")
}

/// `dir/LOG.old`.
pub fn old_info_log_file_name(dir: &Path) -> PathBuf {
    dir.join("LOG.old")
}

/// Reads the leading decimal digits of `s`: the number and the rest, or
/// `None` if there are no digits or the number overflows 64 bits.
fn consume_decimal(s: &str) -> Option<(u64, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let (number, rest) = s.split_at(digits);
    Some((number.parse().ok()?, rest))
}

/// The number and type of a file named `name` (a bare name, not a path),
/// exactly as LevelDB parses it; `None` for a name that is not a database
/// file. `CURRENT`, `LOCK`, `LOG` and `LOG.old` have number 0.
pub fn parse_file_name(name: &str) -> Option<(u64, FileType)> {
    match name {
        "CURRENT" => return Some((0, FileType::Current)),
        "LOCK" => return Some((0, FileType::DbLock)),
        "LOG" | "LOG.old" => return Some((0, FileType::InfoLog)),
        _ => {}
    }
    if let Some(rest) = name.strip_prefix("MANIFEST-") {
        let (number, rest) = consume_decimal(rest)?;
        return rest.is_empty().then_some((number, FileType::Descriptor));
    }
    let (number, suffix) = consume_decimal(name)?;
    let file_type = match suffix {
        ".log" => FileType::Log,
        ".sst" | ".ldb" => FileType::Table,
        ".dbtmp" => FileType::Temp,
        _ => return None,
    };
    Some((number, file_type))
}

/// Points `dir/CURRENT` at `MANIFEST-<descriptor_number>`: writes
/// `"MANIFEST-NNNNNN\n"` to a temporary file, syncs it and renames it over
/// `CURRENT` (atomic). The directory is not synced here: the caller syncs
/// it to make the rename durable.
///
/// Once this returns `Ok`, `CURRENT` may durably name the new MANIFEST
/// whatever happens next, so no error path of the caller may delete that
/// MANIFEST. On failure the rename did not happen: `CURRENT` is untouched
/// and the temporary file is removed (best effort).
///
/// # Errors
/// `Io` from writing, syncing or renaming.
pub fn set_current_file(env: &dyn Env, dir: &Path, descriptor_number: u64) -> Result<()> {
    let contents = format!("{}\n", descriptor_name(descriptor_number));
    let tmp = temp_file_name(dir, descriptor_number);
    let result = strata_api::env::write_file(env, &tmp, contents.as_bytes(), true)
        .and_then(|()| env.rename(&tmp, &current_file_name(dir)));
    if let Err(e) = result {
        // The write or rename already failed; a failed cleanup adds nothing
        // the caller can act on, and the orphan is deleted at next open.
        let _ = env.remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_api::env::read_file_to_vec;
    use strata_api::MemEnv;

    #[test]
    fn names_hand_written() {
        let dir = Path::new("/db");
        assert_eq!(log_file_name(dir, 7), Path::new("/db/000007.log"));
        assert_eq!(table_file_name(dir, 123), Path::new("/db/000123.ldb"));
        assert_eq!(sst_table_file_name(dir, 1), Path::new("/db/000001.sst"));
        assert_eq!(
            descriptor_file_name(dir, 5),
            Path::new("/db/MANIFEST-000005")
        );
        assert_eq!(current_file_name(dir), Path::new("/db/CURRENT"));
        assert_eq!(lock_file_name(dir), Path::new("/db/LOCK"));
        assert_eq!(temp_file_name(dir, 9), Path::new("/db/000009.dbtmp"));
        assert_eq!(info_log_file_name(dir), Path::new("/db/LOG"));
        assert_eq!(old_info_log_file_name(dir), Path::new("/db/LOG.old"));
        // More than six digits are written in full.
        assert_eq!(log_file_name(dir, 1_234_567), Path::new("/db/1234567.log"));
    }

    #[test]
    fn parse_accepts_leveldb_names() {
        let cases: [(&str, u64, FileType); 13] = [
            ("100.log", 100, FileType::Log),
            ("0.log", 0, FileType::Log),
            ("0.sst", 0, FileType::Table),
            ("0.ldb", 0, FileType::Table),
            ("CURRENT", 0, FileType::Current),
            ("LOCK", 0, FileType::DbLock),
            ("MANIFEST-2", 2, FileType::Descriptor),
            ("MANIFEST-7", 7, FileType::Descriptor),
            ("LOG", 0, FileType::InfoLog),
            ("LOG.old", 0, FileType::InfoLog),
            ("18446744073709551615.log", u64::MAX, FileType::Log),
            ("000042.dbtmp", 42, FileType::Temp),
            ("MANIFEST-000005", 5, FileType::Descriptor),
        ];
        for (name, number, file_type) in cases {
            assert_eq!(parse_file_name(name), Some((number, file_type)), "{name}");
        }
    }

    #[test]
    fn parse_rejects_other_names() {
        let bad = [
            "",
            "foo",
            "foo-dx-100.log",
            ".log",
            "manifest",
            "CURREN",
            "CURRENTX",
            "MANIFES",
            "MANIFEST",
            "MANIFEST-",
            "XMANIFEST-3",
            "MANIFEST-3x",
            "LOC",
            "LOCKx",
            "LO",
            "LOGx",
            "18446744073709551616.log",
            "184467440737095516150.log",
            "100",
            "100.",
            "100.lop",
            "100.log.",
            "-1.log",
            "+1.log",
        ];
        for name in bad {
            assert_eq!(parse_file_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn generated_names_parse_back() {
        let dir = Path::new("/d");
        for number in [0u64, 1, 999_999, 1_000_000, u64::MAX] {
            let cases = [
                (log_file_name(dir, number), FileType::Log),
                (table_file_name(dir, number), FileType::Table),
                (sst_table_file_name(dir, number), FileType::Table),
                (descriptor_file_name(dir, number), FileType::Descriptor),
                (temp_file_name(dir, number), FileType::Temp),
            ];
            for (path, file_type) in cases {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("utf-8 name");
                assert_eq!(parse_file_name(name), Some((number, file_type)), "{name}");
            }
        }
    }

    #[test]
    fn set_current_file_writes_manifest_name() {
        let env = MemEnv::new();
        let dir = Path::new("/db");
        env.create_dir_all(dir).expect("mkdir");
        set_current_file(&env, dir, 5).expect("set current");
        let current = read_file_to_vec(&env, &current_file_name(dir)).expect("read CURRENT");
        assert_eq!(current, b"MANIFEST-000005\n");
        assert!(!env.file_exists(&temp_file_name(dir, 5)));
        set_current_file(&env, dir, 1_234_567).expect("replace current");
        let current = read_file_to_vec(&env, &current_file_name(dir)).expect("read CURRENT");
        assert_eq!(current, b"MANIFEST-1234567\n");
        assert_eq!(
            env.children(dir).expect("list"),
            vec!["CURRENT".to_string()]
        );
    }
}
