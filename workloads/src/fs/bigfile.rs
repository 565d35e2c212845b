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
use super::FsBenchmark;
use crate::measure::OpKind;
use crate::measure::RunError;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

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
        let t = self.clock.tick();
        self.fs
            .mkdir_all("/big", Some(t))
            .map_err(|e| fs_error(WRITE, e))?;
        fill_text(
            &mut self.buf,
            size as usize,
            &mut content_rng(self.config.seed, BIGFILE_ID, 0),
        );
        let crc = checksum(&self.buf);
        let mut logical = 0u64;
        let mut stored = 0u64;
        let write = self.measure(FsBenchmark::Bigfile, WRITE, true, rng, &mut |r, s, _| {
            let t = r.clock.tick();
            let report =
                r.fs.write_file(BIGFILE_PATH, &r.buf, Some(t))
                    .map_err(|e| fs_error(WRITE, e))?;
            s.finished_single_op(OpKind::Write);
            s.add_bytes(size);
            logical += report.bytes_total;
            stored += report.bytes_new;
            s.add_message(&format!(
                "({:.1} MB in {} chunks)",
                size as f64 / MB,
                report.chunks_total
            ));
            Ok(())
        })?;
        self.buf = Vec::new();

        const READ: &str = "fs_bigfile.read";
        let read = self.measure(FsBenchmark::Bigfile, READ, true, rng, &mut |r, s, _| {
            let mut running = 0u32;
            let mut offset = 0u64;
            while offset < size {
                let piece = r
                    .fs
                    .read_range(BIGFILE_PATH, offset, READ_PIECE_BYTES, None)
                    .map_err(|e| fs_error(READ, e))?;
                if piece.is_empty() {
                    break;
                }
                running = crc32c::crc32c_append(running, &piece);
                offset += piece.len() as u64;
                s.add_bytes(piece.len() as u64);
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
        let edit = self.measure(FsBenchmark::Bigfile, EDIT, true, rng, &mut |r, s, g| {
            let mut piece = Vec::with_capacity(EDIT_BYTES as usize);
            for e in 0..edits {
                let offset = g.gen_range(0..=size - EDIT_BYTES);
                fill_text(&mut piece, EDIT_BYTES as usize, &mut content_rng(seed, BIGFILE_ID, e + 1));
                let t = r.clock.tick();
                let report = r
                    .fs
                    .write_at(BIGFILE_PATH, offset, &piece, Some(t))
                    .map_err(|e| fs_error(EDIT, e))?;
                // A version is the whole file again, but for its new chunks.
                logical += size;
                stored += report.bytes_new;
                s.add_bytes(EDIT_BYTES);
                s.finished_single_op(OpKind::Write);
            }
            s.add_message(&format!(
                "({edits} edits; {} versions: {:.1} MB logical in {:.1} MB of chunks, dedupe {:.1}x)",
                edits + 1,
                logical as f64 / MB,
                stored as f64 / MB,
                logical as f64 / stored.max(1) as f64
            ));
            Ok(())
        })?;
        Ok(vec![write, read, edit])
    }
}
