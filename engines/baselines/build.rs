//! Links LevelDB 1.23 when the `leveldb` feature is on, and fails early with
//! the package to install when the library cannot be found.

use std::env;
use std::path::PathBuf;

const INSTALL_HINT: &str = "LevelDB 1.23 was not found. The `leveldb` feature of strata-baselines \
links the system library: install it with `apt-get install libleveldb-dev libsnappy-dev` \
(or point LEVELDB_LIB_DIR at the directory holding libleveldb.so).";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
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
