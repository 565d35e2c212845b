//! Helpers for integration tests that damage a database's files: panics
//! made countable (background threads included), whole-directory images to
//! restore between cases, the layout of a table and of a log file (so a
//! sweep can aim at every block), and a history of everything written.

// Each test binary that includes this module uses a part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use strata_api::env::{read_file_to_vec, write_file};
use strata_api::{Env, KvIterator, MemEnv};
use strata_lsm::format::comparator::BytewiseComparator;
use strata_lsm::table::format::FOOTER_BYTES;
use strata_lsm::table::{read_block, Block, BlockHandle, Footer};

// ---------------------------------------------------------------- panics

static PANICS: AtomicUsize = AtomicUsize::new(0);
static PANIC_NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static HOOK: Once = Once::new();

/// Installs (once per process) a panic hook that counts every panic of
/// every thread, including the engine's background thread, whose panics a
/// `catch_unwind` in the test cannot see, and keeps the thread name, place
/// and message of each. The default hook still prints them.
pub fn install_panic_counter() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            let thread = std::thread::current()
                .name()
                .unwrap_or("<unnamed>")
                .to_string();
            let place = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if let Ok(mut notes) = PANIC_NOTES.lock() {
                notes.push(format!("thread '{thread}' at {place}: {message}"));
            }
            previous(info);
        }));
    });
}

/// Panics counted since [`install_panic_counter`].
pub fn panics_so_far() -> usize {
    PANICS.load(Ordering::SeqCst)
}

/// The notes of panics from the `from`-th on.
pub fn panic_notes_since(from: usize) -> Vec<String> {
    PANIC_NOTES
        .lock()
        .map(|n| n.iter().skip(from).cloned().collect())
        .unwrap_or_default()
}

/// Ends the test process (exit code 101, as a failed test) if one case
/// runs longer than a limit: a hang — for example a caller waiting on a
/// background thread that died — must fail CI, not stall it.
pub struct Watchdog {
    current: Arc<Mutex<Option<(std::time::Instant, String)>>>,
}

impl Watchdog {
    /// Starts watching; cases longer than `limit` end the process.
    pub fn start(limit: std::time::Duration) -> Watchdog {
        let current = Arc::new(Mutex::new(None::<(std::time::Instant, String)>));
        let watched = Arc::downgrade(&current);
        std::thread::spawn(move || {
            while let Some(current) = watched.upgrade() {
                let late = current
                    .lock()
                    .ok()
                    .and_then(|c| c.clone())
                    .filter(|(started, _)| started.elapsed() > limit);
                drop(current);
                if let Some((_, case)) = late {
                    eprintln!(
                        "HANG: {case} still running after {limit:?}; panics so far: {:?}",
                        panic_notes_since(0)
                    );
                    std::process::exit(101);
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        });
        Watchdog { current }
    }

    /// Marks the start of `case` (described for the hang report).
    pub fn begin(&self, case: String) {
        if let Ok(mut c) = self.current.lock() {
            *c = Some((std::time::Instant::now(), case));
        }
    }

    /// Marks the end of the current case.
    pub fn end(&self) {
        if let Ok(mut c) = self.current.lock() {
            *c = None;
        }
    }
}

// ---------------------------------------------------------------- images

/// Every file of a database directory, by name, as bytes.
#[derive(Clone, Default)]
pub struct DirImage {
    /// File name → contents.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl DirImage {
    /// Reads every file of `dir` through `env`.
    pub fn capture(env: &dyn Env, dir: &Path) -> DirImage {
        let mut files = BTreeMap::new();
        for name in env.children(dir).expect("list the database directory") {
            let bytes = read_file_to_vec(env, &dir.join(&name)).expect("read a database file");
            files.insert(name, bytes);
        }
        DirImage { files }
    }

    /// Makes `dir` hold exactly this image: files not in it are removed,
    /// files that differ from it (or are missing) are written again.
    /// Comparing first is much cheaper than rewriting every file.
    pub fn restore(&self, env: &dyn Env, dir: &Path) {
        let present = env.children(dir).expect("list the database directory");
        for name in &present {
            if !self.files.contains_key(name) {
                env.remove_file(&dir.join(name)).expect("remove a file");
            }
        }
        for (name, bytes) in &self.files {
            let path = dir.join(name);
            let same = present.contains(name)
                && read_file_to_vec(env, &path).is_ok_and(|now| now == *bytes);
            if !same {
                write_file(env, &path, bytes, false).expect("restore a file");
            }
        }
    }
}

// ---------------------------------------------------------------- layouts

/// A byte range of a file with what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// What the bytes are ("data block", "index trailer", "footer", ...).
    pub what: String,
}

impl Region {
    fn new(start: u64, end: u64, what: impl Into<String>) -> Region {
        Region {
            start: usize::try_from(start).expect("offset fits"),
            end: usize::try_from(end).expect("offset fits"),
            what: what.into(),
        }
    }
}

/// Bytes of a block trailer (type byte and masked CRC).
const TRAILER_BYTES: u64 = 5;

/// The regions of a table, in file order, tiling it exactly: each data
/// block and its trailer, the filter, metaindex and index blocks and their
/// trailers, and the footer's handles, padding and magic number. Also
/// returns how many data blocks are stored
/// Snappy-compressed. Panics if the table does not decode or the regions
/// leave a gap (then the layout, not the sweep, is wrong).
pub fn table_regions(bytes: &[u8]) -> (Vec<Region>, usize) {
    let env = MemEnv::new();
    let path = Path::new("/layout.ldb");
    write_file(&env, path, bytes, false).expect("write layout copy");
    let file = env.new_random_access_file(path).expect("open layout copy");
    let name = "layout.ldb";
    let footer_at = bytes.len() - FOOTER_BYTES;
    let footer = Footer::decode(&bytes[footer_at..], name, footer_at as u64).expect("footer");
    let mut regions = Vec::new();
    let mut compressed = 0;
    let push_block = |regions: &mut Vec<Region>, h: &BlockHandle, what: &str| {
        regions.push(Region::new(h.offset, h.offset + h.size, what));
        regions.push(Region::new(
            h.offset + h.size,
            h.offset + h.size + TRAILER_BYTES,
            format!("{what} trailer"),
        ));
    };
    let block = |h: &BlockHandle| {
        let contents = read_block(&*file, name, h, true).expect("read a block");
        Arc::new(Block::new(contents, Arc::from(name), h.offset).expect("decode a block"))
    };
    let index = block(&footer.index_handle);
    let mut it = index.iter(Arc::new(BytewiseComparator));
    it.seek_to_first();
    while it.valid() {
        let (h, _) = BlockHandle::decode_from(it.value()).expect("index entry");
        let type_byte = bytes[usize::try_from(h.offset + h.size).expect("fits")];
        if type_byte == 1 {
            compressed += 1;
        }
        push_block(&mut regions, &h, "data block");
        it.next();
    }
    it.status().expect("index block");
    let meta = block(&footer.metaindex_handle);
    let mut it = meta.iter(Arc::new(BytewiseComparator));
    it.seek_to_first();
    while it.valid() {
        let (h, _) = BlockHandle::decode_from(it.value()).expect("metaindex entry");
        push_block(&mut regions, &h, "filter block");
        it.next();
    }
    push_block(&mut regions, &footer.metaindex_handle, "metaindex block");
    push_block(&mut regions, &footer.index_handle, "index block");
    // The footer: both handles as varints, zero padding, the magic number.
    let mut handles = Vec::new();
    footer.metaindex_handle.encode_to(&mut handles);
    footer.index_handle.encode_to(&mut handles);
    let padding_at = (footer_at + handles.len()) as u64;
    let magic_at = (bytes.len() - 8) as u64;
    regions.push(Region::new(footer_at as u64, padding_at, "footer handles"));
    regions.push(Region::new(padding_at, magic_at, "footer padding"));
    regions.push(Region::new(magic_at, bytes.len() as u64, "footer magic"));
    regions.sort_by_key(|r| r.start);
    let mut at = 0;
    for r in &regions {
        assert_eq!(r.start, at, "table regions tile the file: {regions:?}");
        at = r.end;
    }
    assert_eq!(at, bytes.len(), "table regions reach the end");
    (regions, compressed)
}

/// Bytes of a log block (`wal::BLOCK_SIZE_BYTES`).
pub const LOG_BLOCK_BYTES: usize = 32 * 1024;
/// Bytes of a log record header: CRC, length, type.
pub const LOG_HEADER_BYTES: usize = 7;

/// The regions of a log file (WAL or MANIFEST), tiling it: each physical
/// record's header and payload, and the zero trailer at the end of a block
/// too short for a header.
pub fn log_regions(bytes: &[u8]) -> Vec<Region> {
    let mut regions = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let left_in_block = LOG_BLOCK_BYTES - at % LOG_BLOCK_BYTES;
        if left_in_block < LOG_HEADER_BYTES {
            let end = (at + left_in_block).min(bytes.len());
            regions.push(Region::new(at as u64, end as u64, "block trailer"));
            at = end;
            continue;
        }
        assert!(
            at + LOG_HEADER_BYTES <= bytes.len(),
            "log ends inside a header"
        );
        let len = usize::from(u16::from_le_bytes([bytes[at + 4], bytes[at + 5]]));
        let kind = match bytes[at + 6] {
            1 => "full",
            2 => "first",
            3 => "middle",
            4 => "last",
            _ => "unknown",
        };
        let payload = at + LOG_HEADER_BYTES;
        assert!(payload + len <= bytes.len(), "log ends inside a record");
        regions.push(Region::new(
            at as u64,
            payload as u64,
            format!("{kind} record header"),
        ));
        regions.push(Region::new(
            payload as u64,
            (payload + len) as u64,
            format!("{kind} record payload"),
        ));
        at = payload + len;
    }
    regions
}

// ---------------------------------------------------------------- history

/// One key's state: its value, or `None` when absent (never written or
/// deleted).
pub type KeyState = Option<Vec<u8>>;

/// Everything written to a database, in order: per key, every state it has
/// had (the first is "absent"), so a read can be classified as the latest
/// state, an older one, or one never written (invented).
#[derive(Clone, Default)]
pub struct History {
    /// Per key, its states in write order; element 0 is `None`.
    pub states: BTreeMap<Vec<u8>, Vec<KeyState>>,
}

impl History {
    /// Records a put (`Some`) or delete (`None`) of `key`.
    pub fn record(&mut self, key: &[u8], value: KeyState) {
        self.states
            .entry(key.to_vec())
            .or_insert_with(|| vec![None])
            .push(value);
    }

    /// The current value of every present key.
    pub fn model(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.states
            .iter()
            .filter_map(|(k, s)| s.last().and_then(|v| v.clone()).map(|v| (k.clone(), v)))
            .collect()
    }

    /// The index in `states[key]` of the current state of every key.
    pub fn marks(&self) -> BTreeMap<Vec<u8>, usize> {
        self.states
            .iter()
            .map(|(k, s)| (k.clone(), s.len() - 1))
            .collect()
    }

    /// Where `observed` is in `key`'s history: the latest index at which the
    /// key had that state, or `None` if it never did (an invented value, or
    /// a key never written).
    pub fn position(&self, key: &[u8], observed: &KeyState) -> Option<usize> {
        match self.states.get(key) {
            Some(states) => states.iter().rposition(|s| s == observed),
            None => observed.is_none().then_some(0),
        }
    }

    /// Index of `key`'s current state (0 for a key never written).
    pub fn latest(&self, key: &[u8]) -> usize {
        self.states.get(key).map_or(0, |s| s.len() - 1)
    }
}
