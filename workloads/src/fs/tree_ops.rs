//! The benchmarks on the tree: `fs_create`, `fs_read`, `fs_stat`,
//! `fs_readdir`, `fs_overwrite`, `fs_rename`, `fs_history`, `fs_unlink`.
//! Each checks what it reads against the model.

use super::content::{checksum, content_rng, fill_text};
use super::model::FileVersion;
use super::run::{mismatch, FsRun};
use super::shape::{draw_size_bytes, TreeShape};
use crate::measure::Stats;
use crate::measure::{OpKind, RunError};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use strata_blobfs::NodeKind;

/// Files at least this long get partial edits in `fs_overwrite`; shorter
/// ones are rewritten whole (an editor saves a small file whole; a large
/// file such as a database or an image is patched).
pub const LARGE_FILE_BYTES: u64 = 64 << 10;
/// Longest partial edit, bytes.
pub const MAX_EDIT_BYTES: u64 = 4096;

const MB: f64 = 1_048_576.0;

impl FsRun<'_> {
    fn random_live(&self, rng: &mut Xoshiro256PlusPlus) -> Option<usize> {
        self.model.live.choose(rng).copied()
    }

    fn random_live_dir(&self, rng: &mut Xoshiro256PlusPlus) -> Option<usize> {
        let n = self.model.dirs.len();
        // Directories are only removed by fs_unlink, after which no
        // benchmark picks one; a few redraws cover a partly removed tree.
        (0..64)
            .map(|_| rng.gen_range(0..n))
            .find(|&d| self.model.dir_live[d])
    }

    fn live_path(&self, id: usize, benchmark: &str) -> Result<String, RunError> {
        self.model
            .current_path(id)
            .ok_or_else(|| mismatch(benchmark, format!("file {id} is not live")))
    }

    /// The current path and version of live file `id`.
    fn live_version(&self, id: usize, benchmark: &str) -> Result<(String, FileVersion), RunError> {
        let v = self.model.current(id);
        match &v.path {
            Some(path) => Ok((path.clone(), v)),
            None => Err(mismatch(benchmark, format!("file {id} is not live"))),
        }
    }

    /// Checks `data` read from `path` against the model's version.
    fn check_read(
        benchmark: &str,
        path: &str,
        data: &[u8],
        expected: &FileVersion,
    ) -> Result<(), RunError> {
        if data.len() as u64 != expected.size_bytes {
            return Err(mismatch(
                benchmark,
                format!(
                    "{path}: read {} bytes, wrote {}",
                    data.len(),
                    expected.size_bytes
                ),
            ));
        }
        if let Some(crc) = expected.crc {
            if checksum(data) != crc {
                return Err(mismatch(
                    benchmark,
                    format!("{path}: bytes differ from those written (crc32c)"),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn create(
        &mut self,
        s: &mut Stats,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), RunError> {
        const NAME: &str = "fs_create";
        // Drawing the shape is not part of the benchmark.
        let shape = TreeShape::generate(self.config.files, rng);
        let mut order: Vec<usize> = (0..shape.files.len()).collect();
        order.shuffle(rng);
        s.start();
        for d in &shape.dirs {
            self.target
                .mkdir(&self.fs, &d.path)
                .map_err(|e| e.into_run(NAME))?;
            self.model.add_dir(d.path.clone(), d.parent, d.depth);
            s.finished_single_op(OpKind::Write);
        }
        let mut bytes = 0u64;
        for i in order {
            let f = &shape.files[i];
            let id = self.model.file_count() as u64;
            fill_text(
                &mut self.buf,
                f.size_bytes as usize,
                &mut content_rng(self.config.seed, id, 0),
            );
            let path = self.model.path_in(f.dir, &f.name);
            let (t, _) = self
                .target
                .write_file(&self.fs, &path, &self.buf)
                .map_err(|e| e.into_run(NAME))?;
            self.model
                .add_file(f.dir, &f.name, t, f.size_bytes, Some(checksum(&self.buf)));
            s.add_bytes(f.size_bytes);
            bytes += f.size_bytes;
            s.finished_single_op(OpKind::Write);
        }
        s.add_message(&format!(
            "({} files in {} directories, {:.1} MB)",
            shape.files.len(),
            shape.dirs.len(),
            bytes as f64 / MB
        ));
        Ok(())
    }

    pub(crate) fn read(
        &mut self,
        s: &mut Stats,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), RunError> {
        const NAME: &str = "fs_read";
        let mut order = self.model.live.clone();
        order.shuffle(rng);
        s.start();
        let mut done = 0u64;
        for &id in order.iter().cycle().take(self.config.ops as usize) {
            let (path, expected) = self.live_version(id, NAME)?;
            let data = self
                .target
                .read(&self.fs, &path, None)
                .map_err(|e| e.into_run(NAME))?;
            Self::check_read(NAME, &path, &data, &expected)?;
            s.add_bytes(data.len() as u64);
            done += 1;
            s.finished_single_op(OpKind::Get);
        }
        s.add_found(done);
        s.add_message(&format!("({done} files read)"));
        Ok(())
    }

    pub(crate) fn stat(
        &mut self,
        s: &mut Stats,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), RunError> {
        const NAME: &str = "fs_stat";
        s.start();
        for _ in 0..self.config.ops {
            let Some(id) = self.random_live(rng) else {
                break;
            };
            let (path, expected) = self.live_version(id, NAME)?;
            let (kind, size_bytes) = self
                .target
                .stat(&self.fs, &path)
                .map_err(|e| e.into_run(NAME))?;
            let size = expected.size_bytes;
            if kind != NodeKind::File || size_bytes != size {
                return Err(mismatch(
                    NAME,
                    format!(
                        "{path}: stat says {kind:?} of {size_bytes} bytes, wrote a file of {size}"
                    ),
                ));
            }
            s.finished_single_op(OpKind::Get);
        }
        Ok(())
    }

    pub(crate) fn readdir(
        &mut self,
        s: &mut Stats,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), RunError> {
        const NAME: &str = "fs_readdir";
        s.start();
        let mut entries = 0u64;
        for _ in 0..self.config.ops {
            let Some(d) = self.random_live_dir(rng) else {
                break;
            };
            let listed = self
                .target
                .readdir_len(&self.fs, &self.model.dirs[d])
                .map_err(|e| e.into_run(NAME))?;
            if listed != self.model.dir_entries[d] {
                return Err(mismatch(
                    NAME,
                    format!(
                        "{}: {listed} entries listed, {} made",
                        self.model.dirs[d], self.model.dir_entries[d]
                    ),
                ));
            }
            entries += listed;
            s.finished_single_op(OpKind::Scan);
        }
        s.add_message(&format!("({entries} entries listed)"));
        Ok(())
    }

    pub(crate) fn overwrite(
        &mut self,
        s: &mut Stats,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), RunError> {
        const NAME: &str = "fs_overwrite";
        s.start();
        let (mut whole, mut partial) = (0u64, 0u64);
        for _ in 0..self.config.ops {
            let Some(id) = self.random_live(rng) else {
                break;
            };
            let path = self.live_path(id, NAME)?;
            let old_size = self.model.current(id).size_bytes;
            let version = self.model.version_count(id);
            let mut content = content_rng(self.config.seed, id as u64, version);
            if old_size >= LARGE_FILE_BYTES {
                let len = rng.gen_range(1..=MAX_EDIT_BYTES);
                let offset = rng.gen_range(0..old_size);
                fill_text(&mut self.buf, len as usize, &mut content);
                let (t, _) = self
                    .target
                    .write_at(&self.fs, &path, offset, &self.buf)
                    .map_err(|e| e.into_run(NAME))?;
                self.model
                    .set_content(id, t, old_size.max(offset + len), None);
                s.add_bytes(len);
                partial += 1;
            } else {
                let size = draw_size_bytes(rng);
                fill_text(&mut self.buf, size as usize, &mut content);
                let (t, _) = self
                    .target
                    .write_file(&self.fs, &path, &self.buf)
                    .map_err(|e| e.into_run(NAME))?;
                self.model
                    .set_content(id, t, size, Some(checksum(&self.buf)));
                s.add_bytes(size);
                whole += 1;
            }
            s.finished_single_op(OpKind::Write);
        }
        s.add_message(&format!(
            "({whole} rewritten whole, {partial} edited in place)"
        ));
        Ok(())
    }

    pub(crate) fn rename(
        &mut self,
        s: &mut Stats,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), RunError> {
        const NAME: &str = "fs_rename";
        s.start();
        let mut moved = 0u64;
        for n in 0..self.config.ops {
            let (Some(id), Some(dir)) = (self.random_live(rng), self.random_live_dir(rng)) else {
                break;
            };
            let from = self.live_path(id, NAME)?;
            // A name no other file has had: renames never replace a file,
            // and every path names one file in all of history.
            let name = format!("f{id:06}.r{n}");
            let to = self.model.path_in(dir, &name);
            let t = self
                .target
                .rename(&self.fs, &from, &to)
                .map_err(|e| e.into_run(NAME))?;
            self.model.rename(id, t, dir, &name);
            moved += 1;
            s.finished_single_op(OpKind::Write);
        }
        s.add_message(&format!("({moved} files moved)"));
        Ok(())
    }

    pub(crate) fn history(
        &mut self,
        s: &mut Stats,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), RunError> {
        const NAME: &str = "fs_history";
        let now = self.target.last();
        s.start();
        let (mut present, mut absent) = (0u64, 0u64);
        for _ in 0..self.config.ops {
            let files = self.model.file_count();
            let Some(id) = (files > 0).then(|| rng.gen_range(0..files)) else {
                break;
            };
            let first = self.model.first_time(id);
            let span_ms = (now - first).num_milliseconds().max(0);
            let drawn = first + chrono::Duration::milliseconds(rng.gen_range(0..=span_ms));
            let Some(v) = self.model.at(id, drawn) else {
                continue;
            };
            let t = self.target.history_instant(drawn, v.time);
            match &v.path {
                Some(path) => {
                    let data = self
                        .target
                        .read(&self.fs, path, Some(t))
                        .map_err(|e| e.into_run(NAME))?;
                    Self::check_read(NAME, path, &data, &v)?;
                    s.add_bytes(data.len() as u64);
                    present += 1;
                }
                None => {
                    // Removed by then: its last path must be empty at t.
                    if let Some(path) = self.model.last_path(id) {
                        if self
                            .target
                            .exists(&self.fs, &path, Some(t))
                            .map_err(|e| e.into_run(NAME))?
                        {
                            return Err(mismatch(
                                NAME,
                                format!("{path} exists at {t} after its removal"),
                            ));
                        }
                    }
                    absent += 1;
                }
            }
            s.finished_single_op(OpKind::Get);
        }
        s.add_found(present);
        s.add_message(&format!(
            "({present} past versions read, {absent} removed by then)"
        ));
        Ok(())
    }

    pub(crate) fn unlink(
        &mut self,
        s: &mut Stats,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), RunError> {
        const NAME: &str = "fs_unlink";
        let mut order = self.model.live.clone();
        order.shuffle(rng);
        let mut dirs: Vec<usize> = (0..self.model.dirs.len())
            .filter(|&d| self.model.dir_live[d])
            .collect();
        // Deepest first, so each directory is empty when removed.
        dirs.sort_by_key(|&d| std::cmp::Reverse(self.model.dir_depth[d]));
        s.start();
        for &id in &order {
            let path = self.live_path(id, NAME)?;
            let t = self
                .target
                .unlink(&self.fs, &path)
                .map_err(|e| e.into_run(NAME))?;
            self.model.unlink(id, t);
            s.finished_single_op(OpKind::Delete);
        }
        for &d in &dirs {
            self.target
                .rmdir(&self.fs, &self.model.dirs[d])
                .map_err(|e| e.into_run(NAME))?;
            self.model.remove_dir(d);
            s.finished_single_op(OpKind::Delete);
        }
        s.add_message(&format!(
            "({} files, {} directories removed)",
            order.len(),
            dirs.len()
        ));
        Ok(())
    }
}
