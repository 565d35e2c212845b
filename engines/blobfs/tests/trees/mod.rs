//! Trees of files as maps, and the check every crash test of a mirror
//! makes: after a crash cut a change of `old` into `new`, each file is at
//! its old version, at its new one, or absent where one side lacks it;
//! never partly written.
//!
//! One file shared by this crate's `tests/put_cut.rs` and, through a
//! `#[path]` include in `harness/tests/common/mod.rs`, the harness's
//! `tests/fs_crash.rs` and `tests/fs_mount_crash.rs`; so it uses `std`
//! only. Not every includer uses every item (`fs_mount_crash` writes its
//! files through the mount, not with [`write_tree`]), hence the allow.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

/// A tree of files: each file's `/`-separated path below the root, and its
/// bytes. Directories are implied by the paths; empty ones are not kept.
pub type Tree = BTreeMap<String, Vec<u8>>;

/// Replaces whatever is at `root` with `tree`'s files.
///
/// # Panics
/// If `root` cannot be removed or a file cannot be written.
pub fn write_tree(root: &Path, tree: &Tree) {
    if root.exists() {
        std::fs::remove_dir_all(root).expect("clear the old tree");
    }
    for (path, data) in tree {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, data).expect("write");
    }
}

/// The files below `root`, by path relative to it.
///
/// # Panics
/// If `root` does not exist, or anything below it cannot be read or is
/// not named in UTF-8.
pub fn read_tree(root: &Path) -> Tree {
    fn walk(dir: &Path, prefix: &str, out: &mut Tree) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let e = e.expect("entry");
            let name = format!("{prefix}{}", e.file_name().to_str().expect("utf8"));
            if e.file_type().expect("type").is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                out.insert(name, std::fs::read(e.path()).expect("read"));
            }
        }
    }
    let mut out = Tree::new();
    walk(root, "", &mut out);
    out
}

/// Asserts that `seen` (what a store holds after a change of `old` into
/// `new` was cut by a crash) holds whole versions: every file in `seen` is
/// byte for byte its version in `old` or its version in `new`, and every
/// file in both `old` and `new` is still there. A file only in `old` may
/// be gone already, one only in `new` may not be there yet, and a file in
/// neither must not appear.
///
/// # Panics
/// On the first file that breaks this, with a message that begins with
/// `context` (which names the seed, or the cut, that reproduces it).
pub fn assert_old_or_new(seen: &Tree, old: &Tree, new: &Tree, context: &str) {
    for (path, data) in seen {
        assert!(
            old.get(path) == Some(data) || new.get(path) == Some(data),
            "{context}: {path} is neither its old nor its new version"
        );
    }
    for path in old.keys().filter(|p| new.contains_key(*p)) {
        assert!(seen.contains_key(path), "{context}: {path} vanished");
    }
}
