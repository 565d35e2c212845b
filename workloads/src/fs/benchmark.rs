//! The filesystem benchmarks' names, their order rules and what each needs.

/// One filesystem benchmark, run by `strata bench` like a db_bench one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FsBenchmark {
    /// Create the tree: directories, then files in random order.
    Create,
    /// Read whole files back, in a random order.
    Read,
    /// `stat` random files.
    Stat,
    /// List random directories.
    Readdir,
    /// New versions of random files: whole rewrites of small files,
    /// partial edits of large ones.
    Overwrite,
    /// Move random files into random directories under new names.
    Rename,
    /// Reads of random files as of random past times.
    History,
    /// Remove every file, then every directory (deepest first).
    Unlink,
    /// One large file: written, read sequentially, edited in place.
    Bigfile,
    /// Import a local directory, change a copy of it, import that again.
    Import,
}

impl FsBenchmark {
    /// Every benchmark, in the order of the default fs suite
    /// ([`DEFAULT_SUITE`]), then `fs_import`.
    pub const ALL: [FsBenchmark; 10] = [
        FsBenchmark::Create,
        FsBenchmark::Read,
        FsBenchmark::Stat,
        FsBenchmark::Readdir,
        FsBenchmark::Overwrite,
        FsBenchmark::Rename,
        FsBenchmark::History,
        FsBenchmark::Unlink,
        FsBenchmark::Bigfile,
        FsBenchmark::Import,
    ];

    /// The name in `--benchmarks` (`fs_create` …).
    pub fn name(self) -> &'static str {
        match self {
            FsBenchmark::Create => "fs_create",
            FsBenchmark::Read => "fs_read",
            FsBenchmark::Stat => "fs_stat",
            FsBenchmark::Readdir => "fs_readdir",
            FsBenchmark::Overwrite => "fs_overwrite",
            FsBenchmark::Rename => "fs_rename",
            FsBenchmark::History => "fs_history",
            FsBenchmark::Unlink => "fs_unlink",
            FsBenchmark::Bigfile => "fs_bigfile",
            FsBenchmark::Import => "fs_import",
        }
    }

    /// The benchmark named `name`, if any.
    pub fn from_name(name: &str) -> Option<FsBenchmark> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The name of the benchmark run through a FUSE mount
    /// (`fs_create@mount`; see [`super::via`]).
    pub fn mount_name(self) -> &'static str {
        match self {
            FsBenchmark::Create => "fs_create@mount",
            FsBenchmark::Read => "fs_read@mount",
            FsBenchmark::Stat => "fs_stat@mount",
            FsBenchmark::Readdir => "fs_readdir@mount",
            FsBenchmark::Overwrite => "fs_overwrite@mount",
            FsBenchmark::Rename => "fs_rename@mount",
            FsBenchmark::History => "fs_history@mount",
            FsBenchmark::Unlink => "fs_unlink@mount",
            FsBenchmark::Bigfile => "fs_bigfile@mount",
            FsBenchmark::Import => "fs_import@mount",
        }
    }

    /// The benchmark whose [`FsBenchmark::mount_name`] is `name`, if any.
    pub fn from_mount_name(name: &str) -> Option<FsBenchmark> {
        Self::ALL.into_iter().find(|b| b.mount_name() == name)
    }

    /// True for benchmarks that work on the tree `fs_create` made.
    pub fn needs_tree(self) -> bool {
        !matches!(
            self,
            FsBenchmark::Create | FsBenchmark::Bigfile | FsBenchmark::Import
        )
    }

    /// True for benchmarks that need live files (everything that needs
    /// the tree but `fs_history`, which reads the past).
    pub fn needs_live_files(self) -> bool {
        self.needs_tree() && self != FsBenchmark::History
    }
}

/// The fs suite run by `--benchmarks fs`: [`FsBenchmark::ALL`] but its
/// last, `fs_import`, which needs `--fs_source`.
pub const DEFAULT_SUITE: [FsBenchmark; 9] = {
    let mut suite = [FsBenchmark::Create; 9];
    let mut i = 0;
    while i < suite.len() {
        suite[i] = FsBenchmark::ALL[i];
        i += 1;
    }
    suite
};

/// True when `name` is a filesystem benchmark's name.
pub fn is_fs_name(name: &str) -> bool {
    FsBenchmark::from_name(name).is_some()
}

/// Checks that every benchmark finds what it needs: the tree benchmarks
/// come after `fs_create` (once) and, but for `fs_history`, before
/// `fs_unlink`; `fs_import` has a source.
///
/// # Errors
/// One line naming the first benchmark out of place.
pub fn check_order(list: &[FsBenchmark], has_source: bool) -> Result<(), String> {
    let mut created = false;
    let mut unlinked = false;
    for &b in list {
        if b == FsBenchmark::Create && created {
            return Err("fs_create may appear once (each engine starts a fresh store)".into());
        }
        if b.needs_tree() && !created {
            return Err(format!("{} needs fs_create earlier in the list", b.name()));
        }
        if b.needs_live_files() && unlinked {
            return Err(format!(
                "{} after fs_unlink: no files are left to work on",
                b.name()
            ));
        }
        if b == FsBenchmark::Import && !has_source {
            return Err("fs_import needs --fs_source DIR".into());
        }
        created |= b == FsBenchmark::Create;
        unlinked |= b == FsBenchmark::Unlink;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in FsBenchmark::ALL {
            assert_eq!(FsBenchmark::from_name(b.name()), Some(b));
            assert!(is_fs_name(b.name()));
        }
        assert!(!is_fs_name("fillseq"));
        assert!(!is_fs_name("fs"));
    }

    #[test]
    fn mount_names_are_the_names_through_the_mount() {
        for b in FsBenchmark::ALL {
            assert_eq!(b.mount_name(), super::super::FsVia::Mount.label(b.name()));
            assert_eq!(FsBenchmark::from_mount_name(b.mount_name()), Some(b));
            assert_eq!(FsBenchmark::from_mount_name(b.name()), None);
        }
    }

    #[test]
    fn default_suite_is_all_but_import() {
        assert_eq!(DEFAULT_SUITE[..], FsBenchmark::ALL[..9]);
        assert_eq!(FsBenchmark::ALL[9], FsBenchmark::Import);
    }

    #[test]
    fn default_suite_is_in_order() {
        assert_eq!(check_order(&DEFAULT_SUITE, false), Ok(()));
        assert_eq!(check_order(&FsBenchmark::ALL, true), Ok(()));
    }

    #[test]
    fn order_rules_name_the_benchmark() {
        use FsBenchmark::*;
        let e = check_order(&[Read], false).expect_err("no tree");
        assert!(e.contains("fs_read needs fs_create"), "{e}");
        let e = check_order(&[Create, Unlink, Stat], false).expect_err("unlinked");
        assert!(e.contains("fs_stat after fs_unlink"), "{e}");
        assert_eq!(check_order(&[Create, Unlink, History], false), Ok(()));
        let e = check_order(&[Create, Create], false).expect_err("twice");
        assert!(e.contains("once"), "{e}");
        let e = check_order(&[Import], false).expect_err("no source");
        assert!(e.contains("--fs_source"), "{e}");
        assert_eq!(check_order(&[Bigfile, Import], true), Ok(()));
    }
}
