//! Settings of the filesystem workloads (`--fs_*` flags).

use std::path::PathBuf;

/// Default number of files `fs_create` makes (`--fs_files`).
pub const DEFAULT_FILES: u64 = 2000;
/// Default size of `fs_bigfile`'s file, MiB (`--fs_bigfile_mb`).
pub const DEFAULT_BIGFILE_MB: u64 = 64;
/// Most files `fs_create` may make: the model keeps every version of
/// every file in memory (a few hundred bytes each).
pub const MAX_FILES: u64 = 10_000_000;
/// Default number of in-place edits `fs_bigfile` makes.
pub const DEFAULT_BIGFILE_EDITS: u64 = 64;
/// Default cap on the mount's inode table (`--fs_max_inodes`): the
/// mount's own default, `strata_blobfs_fuse::DEFAULT_MAX_INODES`.
pub const DEFAULT_MOUNT_MAX_INODES: u64 = 65_536;

/// What the filesystem workloads run with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsWorkloadConfig {
    /// Files `fs_create` makes (about one directory per 12 files).
    pub files: u64,
    /// Operations of `fs_read`, `fs_stat`, `fs_readdir`, `fs_overwrite`,
    /// `fs_rename` and `fs_history` (`--fs_ops`; defaults to `files`).
    pub ops: u64,
    /// Size of `fs_bigfile`'s file, bytes.
    pub bigfile_bytes: u64,
    /// In-place edits of `fs_bigfile`'s file.
    pub bigfile_edits: u64,
    /// The local directory `fs_import` imports (`--fs_source`).
    pub source: Option<PathBuf>,
    /// The directory `fs_import` copies the source into and changes (it
    /// must not exist; it is removed afterwards). The harness puts it
    /// beside the database.
    pub scratch_dir: PathBuf,
    /// Base seed of every random choice and of the file contents.
    pub seed: u64,
    /// Print the latency block after each line (`--histogram=1`);
    /// latencies are measured and reported in rows either way.
    pub histogram: bool,
    /// Through the mount: the most inodes its table holds before it asks
    /// the kernel to forget the coldest (`--fs_max_inodes`; 0: no cap).
    pub mount_max_inodes: u64,
}

impl Default for FsWorkloadConfig {
    /// `strata bench`'s defaults: 2,000 files, as many operations, a
    /// 64 MiB big file with 64 edits, seed 1000, no source to import.
    fn default() -> Self {
        FsWorkloadConfig {
            files: 2000,
            ops: 2000,
            bigfile_bytes: 64 << 20,
            bigfile_edits: DEFAULT_BIGFILE_EDITS,
            source: None,
            scratch_dir: PathBuf::new(),
            seed: 1000,
            histogram: false,
            mount_max_inodes: DEFAULT_MOUNT_MAX_INODES,
        }
    }
}

impl FsWorkloadConfig {
    /// Checks the settings.
    ///
    /// # Errors
    /// `--flag: why`, for the first flag out of range.
    pub fn validate(&self) -> Result<(), String> {
        if self.files == 0 || self.files > MAX_FILES {
            return Err(format!(
                "--fs_files: must be between 1 and {MAX_FILES}, got {}",
                self.files
            ));
        }
        if self.bigfile_bytes < 1 << 20 {
            return Err("--fs_bigfile_mb: must be at least 1".into());
        }
        if self.bigfile_edits == 0 {
            return Err("--fs_bigfile_edits: must be at least 1".into());
        }
        if let Some(src) = &self.source {
            if !src.is_dir() {
                return Err(format!("--fs_source: {} is not a directory", src.display()));
            }
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "fuse"))]
mod fuse_tests {
    #[test]
    fn the_default_cap_is_the_mounts() {
        assert_eq!(
            super::DEFAULT_MOUNT_MAX_INODES,
            strata_blobfs_fuse::DEFAULT_MAX_INODES
        );
    }
}
