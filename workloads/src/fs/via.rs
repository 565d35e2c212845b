//! How the filesystem benchmarks reach the store (`--fs_via`): through
//! blobfs's API, or through a FUSE mount of the store with ordinary
//! system calls (open/write/close, stat, readdir, rename, unlink), so
//! that a run can show what FUSE costs per operation.

use std::fmt;

/// The suffix of a benchmark's name when it runs through the mount
/// (`fs_create@mount`, `fs_bigfile.write@mount`).
pub const MOUNT_SUFFIX: &str = "@mount";

/// Where a filesystem benchmark's operations go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum FsVia {
    /// blobfs's API, in process (claim times from the benchmarks' clock).
    #[default]
    Api,
    /// `std::fs` calls on a FUSE mount of the store, served by a thread of
    /// the same process (claim times are the mount's clock).
    Mount,
}

impl FsVia {
    /// Both, in the order a run with both uses them.
    pub const ALL: [FsVia; 2] = [FsVia::Api, FsVia::Mount];

    /// `api` or `mount`, as `--fs_via` takes it and the CSV's `fs_via`
    /// column holds it.
    pub fn name(self) -> &'static str {
        match self {
            FsVia::Api => "api",
            FsVia::Mount => "mount",
        }
    }

    /// The way called `name`.
    pub fn from_name(name: &str) -> Option<FsVia> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The row name of benchmark (or phase) `name` run this way: `name`
    /// itself through the API, `name@mount` through the mount.
    pub fn label(self, name: &str) -> String {
        match self {
            FsVia::Api => name.to_string(),
            FsVia::Mount => format!("{name}{MOUNT_SUFFIX}"),
        }
    }
}

impl fmt::Display for FsVia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses `--fs_via`: `api`, `mount`, or both comma-separated (in any
/// order; each at most once). Returns them in run order: the API first.
///
/// # Errors
/// `--fs_via: why` for an unknown or repeated name, or an empty list.
pub fn parse_vias(text: &str) -> Result<Vec<FsVia>, String> {
    let mut vias = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let via = FsVia::from_name(name)
            .ok_or_else(|| format!("--fs_via: unknown '{name}' (api, mount, or api,mount)"))?;
        if vias.contains(&via) {
            return Err(format!("--fs_via: '{name}' given twice"));
        }
        vias.push(via);
    }
    if vias.is_empty() {
        return Err("--fs_via: empty (api, mount, or api,mount)".into());
    }
    vias.sort();
    Ok(vias)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_labels_and_lists() {
        for via in FsVia::ALL {
            assert_eq!(FsVia::from_name(via.name()), Some(via));
        }
        assert_eq!(FsVia::Api.label("fs_create"), "fs_create");
        assert_eq!(
            FsVia::Mount.label("fs_bigfile.write"),
            "fs_bigfile.write@mount"
        );
        assert_eq!(parse_vias("api"), Ok(vec![FsVia::Api]));
        assert_eq!(
            parse_vias(" mount , api"),
            Ok(vec![FsVia::Api, FsVia::Mount])
        );
        for bad in ["", "fuse", "api,api", ","] {
            let e = parse_vias(bad).expect_err(bad);
            assert!(e.starts_with("--fs_via: "), "{e}");
        }
    }
}
