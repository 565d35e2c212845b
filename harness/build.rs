//! Records the source tree's git revision when the `strata` binary is
//! built (`STRATA_BUILD_GIT_REV`), with `-dirty` when tracked files
//! differed from it: a results row then names the code that ran, even when
//! an old binary runs after the tree moved on.

use std::process::Command;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    // Rebuild the revision when the commit or any source changes.
    for path in [
        ".git/HEAD",
        ".git/index",
        ".git/refs",
        "Cargo.toml",
        "Cargo.lock",
        "engines",
        "workloads",
        "harness/src",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
    };
    let rev = git(&["rev-parse", "--short", "HEAD"])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let text = match rev {
        None => "unknown".to_string(),
        Some(rev) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(changes) if !changes.trim().is_empty() => format!("{rev}-dirty"),
            _ => rev,
        },
    };
    println!("cargo:rustc-env=STRATA_BUILD_GIT_REV={text}");
}
