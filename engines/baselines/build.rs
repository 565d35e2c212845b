//! Links LevelDB 1.23 when the `leveldb` feature is on, and fails early with
//! the package to install when the library cannot be found.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const INSTALL_HINT: &str = "LevelDB 1.23 was not found. The `leveldb` feature of strata-baselines \
links the system library: install it with `apt-get install libleveldb-dev libsnappy-dev` \
(or point LEVELDB_LIB_DIR at the directory holding libleveldb.so).";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-check-cfg=cfg(leveldb_crc32c)");
    println!("cargo:rerun-if-env-changed=LEVELDB_LIB_DIR");
    if env::var_os("CARGO_FEATURE_LEVELDB").is_none() {
        return;
    }
    let dirs = candidate_dirs();
    let found = dirs.iter().find(|d| {
        ["libleveldb.so", "libleveldb.a", "libleveldb.dylib"]
            .iter()
            .any(|name| d.join(name).exists())
    });
    match found {
        Some(dir) => {
            println!("cargo:rustc-link-search=native={}", dir.display());
            println!("cargo:rustc-link-lib=leveldb");
            link_leveldb_crc32c(dir);
        }
        None => {
            let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            panic!("{INSTALL_HINT} Searched: {}", searched.join(", "));
        }
    }
}

/// Directories a system LevelDB lives in: an explicit override first, then
/// the usual library directories of the target (Debian's multiarch ones
/// included).
fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = env::var_os("LEVELDB_LIB_DIR") {
        dirs.push(PathBuf::from(dir));
    }
    if let Some(paths) = env::var_os("LIBRARY_PATH") {
        dirs.extend(env::split_paths(&paths));
    }
    let target = env::var("TARGET").unwrap_or_default();
    let arch = target.split('-').next().unwrap_or_default().to_string();
    let os = if target.contains("linux") {
        "linux"
    } else {
        ""
    };
    let multiarch = if target.contains("musl") {
        format!("{arch}-{os}-musl")
    } else {
        format!("{arch}-{os}-gnu")
    };
    for root in ["/usr/local/lib", "/usr/lib", "/lib"] {
        dirs.push(PathBuf::from(root).join(&multiarch));
        dirs.push(PathBuf::from(root));
    }
    dirs.push(PathBuf::from("/usr/lib64"));
    dirs.push(PathBuf::from("/opt/homebrew/lib"));
    dirs
}

/// LevelDB's own CRC-32C for db_bench's `crc32c` on the `leveldb` engine:
/// `libleveldb.so` keeps `leveldb::crc32c::Extend` hidden, so its object
/// file is taken out of the static archive of the same package and linked
/// on its own (it needs only two C++ runtime guards from libstdc++). Sets
/// cfg `leveldb_crc32c` when that worked; otherwise see
/// [`no_leveldb_codecs`]. `STRATA_LEVELDB_SKIP_CRC32C=1` skips the archive
/// on purpose, to build and test that fallback on a machine that has it.
fn link_leveldb_crc32c(dir: &Path) {
    let archive = dir.join("libleveldb.a");
    println!("cargo:rerun-if-changed={}", archive.display());
    println!("cargo:rerun-if-env-changed=STRATA_LEVELDB_SKIP_CRC32C");
    let Some(out) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        no_leveldb_codecs("OUT_DIR was not set for the build script".to_string());
        return;
    };
    if env::var_os("STRATA_LEVELDB_SKIP_CRC32C").is_some_and(|v| v == "1") {
        no_leveldb_codecs("built with STRATA_LEVELDB_SKIP_CRC32C=1".to_string());
        return;
    }
    if !archive.exists() {
        no_leveldb_codecs(format!(
            "no {} at build time (install libleveldb-dev)",
            archive.display()
        ));
        return;
    }
    let ar = env::var("AR").unwrap_or_else(|_| "ar".to_string());
    let object = "crc32c.cc.o";
    let extracted = Command::new(&ar)
        .current_dir(&out)
        .arg("x")
        .arg(&archive)
        .arg(object)
        .status()
        .is_ok_and(|s| s.success());
    let packed = extracted
        && Command::new(&ar)
            .current_dir(&out)
            .args(["crs", "libstrata_leveldb_crc32c.a", object])
            .status()
            .is_ok_and(|s| s.success());
    if !packed {
        no_leveldb_codecs(format!(
            "could not take {object} out of {} with `{ar}` at build time",
            archive.display()
        ));
        return;
    }
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=strata_leveldb_crc32c");
    println!("cargo:rustc-link-lib=stdc++");
    println!("cargo:rustc-cfg=leveldb_crc32c");
}

/// The build has no LevelDB CRC-32C: says why on the console (a cargo
/// warning) and to the crate (`STRATA_LEVELDB_CODECS_MISSING`), whose
/// engine then reports it (`Engine::codecs_unavailable`) so that db_bench's
/// `crc32c`, `snappycomp` and `snappyuncomp` rows for `leveldb` say they
/// timed strata's crates.
fn no_leveldb_codecs(reason: String) {
    println!(
        "cargo:warning={reason}: the leveldb engine has no codecs of its own; its crc32c/snappy rows will say they timed strata's crates"
    );
    println!("cargo:rustc-env=STRATA_LEVELDB_CODECS_MISSING={reason}");
}
