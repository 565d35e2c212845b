//! `fs_bigfile`: one large file at `/big/file.bin`, in three phases, one
//! row each:
//! - `fs_bigfile.write`: the whole file written at once (one version);
//! - `fs_bigfile.read`: read back sequentially in 1 MiB pieces and
//!   checksummed;
//! - `fs_bigfile.edit`: [`FsWorkloadConfig::bigfile_edits`] edits of
//!   4 KiB at random offsets, each a new version of the whole file. The
//!   message gives the file's own dedupe ratio: the bytes of all its
//!   versions over the bytes of the chunks actually stored for it.
//!
//! [`FsWorkloadConfig::bigfile_edits`]: super::config::FsWorkloadConfig::bigfile_edits

use super::content::{checksum, content_rng, fill_text};
use super::run::{fs_error, mismatch, FsResult, FsRun};
use super::target::read_full;
use super::via::FsVia;
use super::FsBenchmark;
use crate::measure::OpKind;
use crate::measure::RunError;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use strata_blobfs::stream::FileReader;

/// Where the file lives.
pub const BIGFILE_PATH: &str = "/big/file.bin";
/// Bytes per sequential read.
pub const READ_PIECE_BYTES: u64 = 1 << 20;
/// Bytes per in-place edit.
pub const EDIT_BYTES: u64 = 4096;
/// Content stream of the big file (apart from the tree files' ids).
const BIGFILE_ID: u64 = u64::MAX;

const MB: f64 = 1_048_576.0;

impl FsRun<'_> {
    pub(crate) fn bigfile(
        &mut self,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Vec<FsResult>, RunError> {
        const WRITE: &str = "fs_bigfile.write";
        let size = self.config.bigfile_bytes;
        self.target
            .mkdir_all(&self.fs, "/big")
            .map_err(|e| e.into_run(WRITE))?;
        fill_text(
            &mut self.buf,
            size as usize,
            &mut content_rng(self.config.seed, BIGFILE_ID, 0),
        );
        let crc = checksum(&self.buf);
        let mut logical = 0u64;
        let mut stored = 0u64;
        let mut write = self.measure(FsBenchmark::Bigfile, WRITE, true, rng, &mut |r, s, _| {
            let (_, report) = r
                .target
                .write_file(&r.fs, BIGFILE_PATH, &r.buf)
                .map_err(|e| e.into_run(WRITE))?;
            s.finished_single_op(OpKind::Write);
            s.add_bytes(size);
            if let Some(report) = report {
                logical += report.bytes_total;
                stored += report.bytes_new;
                s.add_message(&format!(
                    "({:.1} MB in {} chunks)",
                    size as f64 / MB,
                    report.chunks_total
                ));
            }
            Ok(())
        })?;
        self.buf = Vec::new();
        if self.via() == FsVia::Mount {
            // The mount reports nothing back; the store knows (untimed).
            let chunks = FileReader::open(&self.fs, BIGFILE_PATH, None)
                .map_err(|e| fs_error(WRITE, e))?
                .parts()
                .len();
            write.report.message = format!("({:.1} MB in {chunks} chunks)", size as f64 / MB);
        }

        const READ: &str = "fs_bigfile.read";
        let local = self.target.local(BIGFILE_PATH, None);
        let read = self.measure(FsBenchmark::Bigfile, READ, true, rng, &mut |r, s, _| {
            let mut running = 0u32;
            let mut offset = 0u64;
            let mut file = match &local {
                Some(p) => Some(std::fs::File::open(p).map_err(|e| io_error(READ, p, e))?),
                None => None,
            };
            let mut piece = vec![0u8; READ_PIECE_BYTES as usize];
            while offset < size {
                let n = match (&mut file, &local) {
                    (Some(f), Some(p)) => read_full(f, &mut piece).map_err(|e| io_error(READ, p, e))?,
                    _ => {
                        piece = r
                            .fs
                            .read_range(BIGFILE_PATH, offset, READ_PIECE_BYTES, None)
                            .map_err(|e| fs_error(READ, e))?;
                        piece.len()
                    }
                };
                if n == 0 {
                    break;
                }
                running = crc32c::crc32c_append(running, &piece[..n]);
                offset += n as u64;
                s.add_bytes(n as u64);
                s.finished_single_op(OpKind::Scan);
            }
            if offset != size || running != crc {
                return Err(mismatch(
                    READ,
                    format!("{BIGFILE_PATH}: read {offset} bytes back, wrote {size} (or the bytes differ)"),
                ));
            }
            Ok(())
        })?;

        const EDIT: &str = "fs_bigfile.edit";
        let edits = self.config.bigfile_edits;
        let seed = self.config.seed;
        let mut edit = self.measure(FsBenchmark::Bigfile, EDIT, true, rng, &mut |r, s, g| {
            let mut piece = Vec::with_capacity(EDIT_BYTES as usize);
            for e in 0..edits {
                let offset = g.gen_range(0..=size - EDIT_BYTES);
                fill_text(
                    &mut piece,
                    EDIT_BYTES as usize,
                    &mut content_rng(seed, BIGFILE_ID, e + 1),
                );
                let (_, report) = r
                    .target
                    .write_at(&r.fs, BIGFILE_PATH, offset, &piece)
                    .map_err(|e| e.into_run(EDIT))?;
                // A version is the whole file again, but for its new chunks.
                logical += size;
                stored += report.map_or(0, |rep| rep.bytes_new);
                s.add_bytes(EDIT_BYTES);
                s.finished_single_op(OpKind::Write);
            }
            Ok(())
        })?;
        if self.via() == FsVia::Mount {
            // Untimed: every version's chunks, from the store.
            (logical, stored) = self.versions_and_chunks(EDIT)?;
        }
        edit.report.message = format!(
            "({edits} edits; {} versions: {:.1} MB logical in {:.1} MB of chunks, dedupe {:.1}x)",
            edits + 1,
            logical as f64 / MB,
            stored as f64 / MB,
            logical as f64 / stored.max(1) as f64
        );
        Ok(vec![write, read, edit])
    }

    /// The bytes of every version of the big file, and of the distinct
    /// chunks they are made of.
    fn versions_and_chunks(&self, name: &str) -> Result<(u64, u64), RunError> {
        let mut logical = 0;
        let mut chunks = std::collections::HashMap::new();
        for version in self
            .fs
            .history(BIGFILE_PATH)
            .map_err(|e| fs_error(name, e))?
        {
            let Ok(reader) = FileReader::open(&self.fs, BIGFILE_PATH, Some(version.time)) else {
                continue;
            };
            logical += reader.size_bytes();
            chunks.extend(reader.parts().iter().copied());
        }
        Ok((logical, chunks.values().sum()))
    }
}

fn io_error(benchmark: &str, path: &std::path::Path, e: std::io::Error) -> RunError {
    RunError::Workload {
        benchmark: benchmark.to_string(),
        reason: format!("{}: {e}", path.display()),
    }
}
