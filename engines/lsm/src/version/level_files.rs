//! `Version`: one immutable picture of which table files hold which key
//! ranges at each level, plus point lookups and cursors over it.

use super::edit::{FileMetaData, NUM_LEVELS};
use crate::format::coding::decode_fixed64;
use crate::format::internal_key::{
    compare_internal_keys, extract_user_key, parse_internal_key, ValueType,
};
use crate::iter::two_level::TwoLevelIterator;
use crate::table_cache::TableCache;
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering as AtomicOrdering};
use std::sync::Arc;
use strata_api::{Error, KvIterator, Result};

/// A live table file and its seek budget (LevelDB's `allowed_seeks`: after
/// this many lookups that probe it without finding their key, the file is
/// worth compacting).
#[derive(Debug)]
pub struct FileEntry {
    /// The file's number, size and key range.
    pub meta: FileMetaData,
    /// Seeks left before the file is a seek-compaction candidate.
    pub allowed_seeks: AtomicI64,
}

impl FileEntry {
    /// An entry with LevelDB's seek budget: one seek per 16 KiB, at least 100.
    pub fn new(meta: FileMetaData) -> Self {
        let allowed = ((meta.file_size_bytes / 16384) as i64).max(100);
        FileEntry {
            meta,
            allowed_seeks: AtomicI64::new(allowed),
        }
    }

    /// Smallest user key in the file.
    pub fn smallest_user_key(&self) -> &[u8] {
        self.meta.smallest.user_key()
    }

    /// Largest user key in the file.
    pub fn largest_user_key(&self) -> &[u8] {
        self.meta.largest.user_key()
    }
}

/// What a point lookup found in the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableGet {
    /// The newest visible entry is a value (copied to the caller's buffer).
    Found,
    /// The newest visible entry is a deletion.
    Deleted,
    /// No table holds the key.
    Absent,
}

/// Statistics of one lookup: tables probed and the first file that was
/// probed without success (charged a seek when more than one was probed).
#[derive(Debug, Default)]
pub struct GetStats {
    /// Tables whose data block was read.
    pub tables_probed: u64,
    /// (level, file) of the first table probed, if it did not settle the lookup.
    pub seek_file: Option<(usize, Arc<FileEntry>)>,
}

/// The files of every level; immutable once built.
#[derive(Debug, Default)]
pub struct Version {
    /// Files per level. Level 0 is sorted by file number ascending (newest
    /// last) and its files may overlap; deeper levels are sorted by key and
    /// disjoint.
    pub files: Vec<Vec<Arc<FileEntry>>>,
}

impl Version {
    /// An empty version with `NUM_LEVELS` levels.
    pub fn empty() -> Self {
        Version {
            files: vec![Vec::new(); NUM_LEVELS],
        }
    }

    /// Number of files at `level`.
    pub fn num_files(&self, level: usize) -> usize {
        self.files.get(level).map_or(0, Vec::len)
    }

    /// Total bytes at `level`.
    pub fn level_bytes(&self, level: usize) -> u64 {
        self.files
            .get(level)
            .map_or(0, |f| f.iter().map(|e| e.meta.file_size_bytes).sum())
    }

    /// Total bytes of every live table.
    pub fn total_bytes(&self) -> u64 {
        (0..self.files.len()).map(|l| self.level_bytes(l)).sum()
    }

    /// Looks `ikey` (an internal key made for `user_key` at the read's
    /// sequence) up in the tables: level 0 newest first, then one binary
    /// search per deeper level.
    ///
    /// # Errors
    /// `Io` or `Corruption` from a table on the path.
    pub fn get(
        &self,
        cache: &TableCache,
        ikey: &[u8],
        verify_checksums: bool,
        fill_cache: bool,
        value: &mut Vec<u8>,
        stats: &mut GetStats,
    ) -> Result<TableGet> {
        let user_key = extract_user_key(ikey);
        let mut last_probed: Option<(usize, Arc<FileEntry>)> = None;
        for level in 0..self.files.len() {
            let files = &self.files[level];
            if files.is_empty() {
                continue;
            }
            if level == 0 {
                for f in files.iter().rev() {
                    if user_key < f.smallest_user_key() || user_key > f.largest_user_key() {
                        continue;
                    }
                    let outcome = probe(
                        cache,
                        f,
                        ikey,
                        user_key,
                        verify_checksums,
                        fill_cache,
                        value,
                    )?;
                    note_probe(stats, &mut last_probed, level, f, outcome.0);
                    if outcome.1 != TableGet::Absent {
                        return Ok(outcome.1);
                    }
                }
            } else {
                let idx = find_file(files, ikey);
                let Some(f) = files.get(idx) else { continue };
                if user_key < f.smallest_user_key() {
                    continue;
                }
                let outcome = probe(
                    cache,
                    f,
                    ikey,
                    user_key,
                    verify_checksums,
                    fill_cache,
                    value,
                )?;
                note_probe(stats, &mut last_probed, level, f, outcome.0);
                if outcome.1 != TableGet::Absent {
                    return Ok(outcome.1);
                }
            }
        }
        Ok(TableGet::Absent)
    }

    /// Charges a seek to the file recorded in `stats`; true if the file ran
    /// out of seeks and should be compacted.
    pub fn update_stats(stats: &GetStats) -> bool {
        match &stats.seek_file {
            Some((_, f)) => f.allowed_seeks.fetch_sub(1, AtomicOrdering::Relaxed) <= 1,
            None => false,
        }
    }

    /// Files at `level` overlapping the user-key range `[begin, end]`
    /// (`None` unbounded). At level 0 the range is widened to cover every
    /// overlapping file transitively, as LevelDB's `GetOverlappingInputs`.
    pub fn overlapping_inputs(
        &self,
        level: usize,
        begin: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> Vec<Arc<FileEntry>> {
        overlapping_inputs(&self.files[level], level == 0, begin, end)
    }

    /// True if any file at `level` overlaps the user-key range.
    pub fn overlap_in_level(&self, level: usize, smallest: &[u8], largest: &[u8]) -> bool {
        let files = &self.files[level];
        if level == 0 {
            return files
                .iter()
                .any(|f| !(largest < f.smallest_user_key() || smallest > f.largest_user_key()));
        }
        let mut probe_key = Vec::with_capacity(smallest.len() + 8);
        crate::format::internal_key::append_internal_key(
            &mut probe_key,
            smallest,
            crate::format::internal_key::MAX_SEQUENCE_NUMBER,
            crate::format::internal_key::VALUE_TYPE_FOR_SEEK,
        );
        let idx = find_file(files, &probe_key);
        files
            .get(idx)
            .is_some_and(|f| largest >= f.smallest_user_key())
    }

    /// Cursors whose union is every entry of this version: one per level-0
    /// file, one concatenating cursor per deeper level.
    ///
    /// # Errors
    /// `Io` or `Corruption` opening a level-0 table.
    pub fn iterators(
        self: &Arc<Self>,
        cache: &Arc<TableCache>,
        verify_checksums: bool,
        fill_cache: bool,
    ) -> Result<Vec<Box<dyn KvIterator>>> {
        let mut out: Vec<Box<dyn KvIterator>> = Vec::new();
        for f in self.files[0].iter().rev() {
            out.push(cache.iter(
                f.meta.number,
                f.meta.file_size_bytes,
                verify_checksums,
                fill_cache,
            )?);
        }
        for level in 1..self.files.len() {
            if !self.files[level].is_empty() {
                out.push(level_iterator(
                    LevelFiles::OfVersion(Arc::clone(self), level),
                    Arc::clone(cache),
                    verify_checksums,
                    fill_cache,
                ));
            }
        }
        Ok(out)
    }

    /// LevelDB's `Version::DebugString`: every file per level.
    pub fn debug_string(&self) -> String {
        let mut s = String::new();
        for (level, files) in self.files.iter().enumerate() {
            let _ = writeln!(s, "--- level {level} ---");
            for f in files {
                let _ = writeln!(
                    s,
                    " {}:{}[{:?} .. {:?}]",
                    f.meta.number, f.meta.file_size_bytes, f.meta.smallest, f.meta.largest
                );
            }
        }
        s
    }
}

fn probe(
    cache: &TableCache,
    f: &FileEntry,
    ikey: &[u8],
    user_key: &[u8],
    verify_checksums: bool,
    fill_cache: bool,
    value: &mut Vec<u8>,
) -> Result<(bool, TableGet)> {
    let mut outcome = TableGet::Absent;
    let mut bad_key = false;
    let read = cache.get(
        f.meta.number,
        f.meta.file_size_bytes,
        ikey,
        verify_checksums,
        fill_cache,
        &mut |k, v| match parse_internal_key(k) {
            Some(parsed) if parsed.user_key == user_key => match parsed.value_type {
                ValueType::Value => {
                    value.clear();
                    value.extend_from_slice(v);
                    outcome = TableGet::Found;
                }
                ValueType::Deletion => outcome = TableGet::Deleted,
            },
            Some(_) => {}
            None => bad_key = true,
        },
    )?;
    if bad_key {
        return Err(Error::corruption(
            format!("{:06}.ldb", f.meta.number),
            0,
            "unparsable internal key in table",
        ));
    }
    Ok((read, outcome))
}

fn note_probe(
    stats: &mut GetStats,
    last: &mut Option<(usize, Arc<FileEntry>)>,
    level: usize,
    f: &Arc<FileEntry>,
    read: bool,
) {
    if read {
        stats.tables_probed += 1;
    }
    // As LevelDB's Version::Get: once a second file is consulted, the first
    // one is charged a seek.
    if stats.seek_file.is_none() {
        if let Some(first) = last.take() {
            stats.seek_file = Some(first);
        }
    }
    *last = Some((level, Arc::clone(f)));
}

/// Index of the first file whose largest key is >= `ikey` (files sorted and
/// disjoint); `files.len()` if none.
pub fn find_file(files: &[Arc<FileEntry>], ikey: &[u8]) -> usize {
    files.partition_point(|f| {
        compare_internal_keys(f.meta.largest.encoded(), ikey) == Ordering::Less
    })
}

/// See [`Version::overlapping_inputs`]; `expand` is true for level 0.
pub fn overlapping_inputs(
    files: &[Arc<FileEntry>],
    expand: bool,
    begin: Option<&[u8]>,
    end: Option<&[u8]>,
) -> Vec<Arc<FileEntry>> {
    let mut lo: Option<Vec<u8>> = begin.map(<[u8]>::to_vec);
    let mut hi: Option<Vec<u8>> = end.map(<[u8]>::to_vec);
    let mut out: Vec<Arc<FileEntry>> = Vec::new();
    let mut i = 0;
    while i < files.len() {
        let f = &files[i];
        i += 1;
        let fs = f.smallest_user_key();
        let fl = f.largest_user_key();
        if lo.as_deref().is_some_and(|b| fl < b) || hi.as_deref().is_some_and(|e| fs > e) {
            continue;
        }
        out.push(Arc::clone(f));
        if expand {
            if lo.as_deref().is_some_and(|b| fs < b) {
                lo = Some(fs.to_vec());
                out.clear();
                i = 0;
            } else if hi.as_deref().is_some_and(|e| fl > e) {
                hi = Some(fl.to_vec());
                out.clear();
                i = 0;
            }
        }
    }
    out
}

/// The sorted, disjoint files a level cursor walks.
pub enum LevelFiles {
    /// Level `.1` of a version, shared rather than copied: a read's cursor
    /// costs the same whatever the number of files in the level (copying
    /// the list took an allocation and an atomic increment and decrement
    /// per file, for every iterator made).
    OfVersion(Arc<Version>, usize),
    /// A list of its own (a compaction's inputs).
    Owned(Vec<Arc<FileEntry>>),
}

impl LevelFiles {
    fn as_slice(&self) -> &[Arc<FileEntry>] {
        match self {
            LevelFiles::OfVersion(version, level) => &version.files[*level],
            LevelFiles::Owned(files) => files,
        }
    }
}

/// A cursor over the file list of one level: key = the file's largest
/// internal key, value = file number and size (two fixed64).
struct LevelFileIter {
    files: LevelFiles,
    index: usize,
    value: [u8; 16],
}

impl LevelFileIter {
    fn fill(&mut self) {
        if let Some(f) = self.files.as_slice().get(self.index) {
            self.value[..8].copy_from_slice(&f.meta.number.to_le_bytes());
            self.value[8..].copy_from_slice(&f.meta.file_size_bytes.to_le_bytes());
        }
    }
}

impl KvIterator for LevelFileIter {
    fn valid(&self) -> bool {
        self.index < self.files.as_slice().len()
    }
    fn seek_to_first(&mut self) {
        self.index = 0;
        self.fill();
    }
    fn seek_to_last(&mut self) {
        self.index = self.files.as_slice().len().saturating_sub(1);
        if self.files.as_slice().is_empty() {
            self.index = 0;
        }
        self.fill();
    }
    fn seek(&mut self, target: &[u8]) {
        self.index = find_file(self.files.as_slice(), target);
        self.fill();
    }
    fn next(&mut self) {
        self.index += 1;
        self.fill();
    }
    fn prev(&mut self) {
        self.index = if self.index == 0 {
            self.files.as_slice().len()
        } else {
            self.index - 1
        };
        self.fill();
    }
    fn key(&self) -> &[u8] {
        self.files.as_slice()[self.index].meta.largest.encoded()
    }
    fn value(&self) -> &[u8] {
        &self.value
    }
    fn status(&self) -> Result<()> {
        Ok(())
    }
}

/// A cursor over every entry of a sorted, disjoint file list (one level),
/// opening each table only when reached.
pub fn level_iterator(
    files: LevelFiles,
    cache: Arc<TableCache>,
    verify_checksums: bool,
    fill_cache: bool,
) -> Box<dyn KvIterator> {
    let index = LevelFileIter {
        files,
        index: usize::MAX,
        value: [0; 16],
    };
    Box::new(TwoLevelIterator::new(
        Box::new(index),
        Box::new(move |handle: &[u8]| {
            if handle.len() != 16 {
                return Err(Error::corruption("level file list", 0, "bad file handle"));
            }
            cache.iter(
                decode_fixed64(&handle[..8]),
                decode_fixed64(&handle[8..]),
                verify_checksums,
                fill_cache,
            )
        }),
    ))
}
