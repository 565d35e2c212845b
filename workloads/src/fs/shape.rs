//! The shape of the tree `fs_create` makes: nested directories and file
//! sizes resembling a source tree.
//!
//! - **Directories**: one per 12 files (rounded up), below the root
//!   `/tree`. Directory `i` hangs below a directory drawn uniformly from
//!   the ones made before it (a random recursive tree: expected depth
//!   about `ln(directories)`, a few wide directories near the top and
//!   many small ones below, as in real checkouts).
//! - **Files**: each in a directory drawn uniformly, named
//!   `f<index>.<ext>` with the extension drawn from
//!   [`EXTENSIONS`].
//! - **Sizes**: log-normal with a median of 4 KiB and σ = 1.5 (mean about
//!   12.6 KiB; 3 % of files above 64 KiB), clamped to 1 B … 1 MiB. Source
//!   trees measured in the literature (e.g. Agrawal et al., "A five-year
//!   study of file-system metadata", FAST 2007) show the same shape: most
//!   files a few KiB, a long tail of large ones.

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The directory everything of `fs_create` lives below.
pub const TREE_ROOT: &str = "/tree";
/// Files per directory, on average.
pub const FILES_PER_DIRECTORY: u64 = 12;
/// Median file size, bytes.
pub const MEDIAN_FILE_BYTES: f64 = 4096.0;
/// σ of the natural logarithm of file sizes.
pub const SIZE_SIGMA: f64 = 1.5;
/// Largest file, bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// File name extensions, drawn uniformly.
pub const EXTENSIONS: [&str; 6] = ["c", "h", "rs", "md", "txt", "json"];

/// One directory of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirShape {
    /// Absolute path (`/tree/d3/d17`).
    pub path: String,
    /// Index of the parent directory (`None` for the root).
    pub parent: Option<usize>,
    /// Depth below the root (the root is 0).
    pub depth: u32,
}

/// One file of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileShape {
    /// Index of its directory.
    pub dir: usize,
    /// Name within the directory.
    pub name: String,
    /// Initial size, bytes.
    pub size_bytes: u64,
}

/// The whole tree: directories (parents before children) and files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeShape {
    /// Directories; index 0 is [`TREE_ROOT`].
    pub dirs: Vec<DirShape>,
    /// Files.
    pub files: Vec<FileShape>,
}

/// A standard normal sample (Box–Muller).
fn standard_normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    // 1 - u is in (0, 1], so the logarithm is finite.
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A file size drawn from the log-normal distribution above.
pub fn draw_size_bytes(rng: &mut Xoshiro256PlusPlus) -> u64 {
    let size = (MEDIAN_FILE_BYTES.ln() + SIZE_SIGMA * standard_normal(rng)).exp();
    (size.round() as u64).clamp(1, MAX_FILE_BYTES)
}

impl TreeShape {
    /// The tree of `files` files drawn from `rng`.
    pub fn generate(files: u64, rng: &mut Xoshiro256PlusPlus) -> TreeShape {
        let dir_count = files.div_ceil(FILES_PER_DIRECTORY).max(1) as usize;
        let mut dirs = Vec::with_capacity(dir_count);
        dirs.push(DirShape {
            path: TREE_ROOT.to_string(),
            parent: None,
            depth: 0,
        });
        for i in 1..dir_count {
            let parent = rng.gen_range(0..i);
            let path = format!("{}/d{i}", dirs[parent].path);
            let depth = dirs[parent].depth + 1;
            dirs.push(DirShape {
                path,
                parent: Some(parent),
                depth,
            });
        }
        let files = (0..files)
            .map(|i| {
                let ext = EXTENSIONS[rng.gen_range(0..EXTENSIONS.len())];
                FileShape {
                    dir: rng.gen_range(0..dir_count),
                    name: format!("f{i:06}.{ext}"),
                    size_bytes: draw_size_bytes(rng),
                }
            })
            .collect();
        TreeShape { dirs, files }
    }

    /// Bytes of all files.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size_bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn sizes_follow_the_stated_distribution() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut sizes: Vec<u64> = (0..20_000).map(|_| draw_size_bytes(&mut rng)).collect();
        sizes.sort_unstable();
        let median = sizes[sizes.len() / 2] as f64;
        assert!(
            (median / MEDIAN_FILE_BYTES - 1.0).abs() < 0.06,
            "median {median}"
        );
        let large = sizes.iter().filter(|&&s| s > 64 << 10).count() as f64 / sizes.len() as f64;
        // P(z > ln 16 / 1.5) = 3.2 %.
        assert!(
            (0.025..0.040).contains(&large),
            "share above 64 KiB {large}"
        );
        let mean = sizes.iter().sum::<u64>() as f64 / sizes.len() as f64;
        assert!((11_000.0..14_500.0).contains(&mean), "mean {mean}");
        assert!(sizes[0] >= 1 && sizes[sizes.len() - 1] <= MAX_FILE_BYTES);
    }

    #[test]
    fn tree_has_parents_first_and_nests() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let t = TreeShape::generate(1200, &mut rng);
        assert_eq!(t.dirs.len(), 100);
        assert_eq!(t.files.len(), 1200);
        for (i, d) in t.dirs.iter().enumerate().skip(1) {
            let p = d.parent.expect("non-root has a parent");
            assert!(p < i);
            assert!(d.path.starts_with(&format!("{}/", t.dirs[p].path)));
        }
        let deepest = t.dirs.iter().map(|d| d.depth).max().unwrap_or(0);
        assert!(
            deepest >= 3,
            "a random recursive tree of 100 nests: {deepest}"
        );
        let again = TreeShape::generate(1200, &mut Xoshiro256PlusPlus::seed_from_u64(1));
        assert_eq!(t, again, "same seed, same tree");
    }
}
