//! Regression tests of the write path's and open's durability defects
//! (issue 14): group commit that stranded writers, empty sync batches that
//! did not sync, failed syncs that could be retried, a failed directory
//! sync at open that deleted the MANIFEST `CURRENT` names, and hostile
//! numbers.

use super::*;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;
use strata_api::env::{FaultEnv, FaultKind, FaultOp};
use strata_api::{Error, MemEnv, ReadOptions, Result, WriteOptions};

fn options(env: Arc<dyn strata_api::Env>) -> DbOptions {
    DbOptions {
        env,
        create_if_missing: true,
        write_buffer_size: 2 << 10,
        max_file_size: 4 << 10,
        block_size: 512,
        ..DbOptions::default()
    }
}

/// Runs `f` on its own thread; a test failure (not a stuck CI) if it has
/// not returned within `limit`.
fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(_) => panic!("{what}: no progress within {limit:?} (a hang)"),
    }
}

#[test]
fn flush_and_empty_batches_never_strand_queued_writers() {
    // Writers (some with empty batches, some syncing) race with flushes:
    // every write must return. Before the fix a writer that queued behind
    // a flush, or queued an empty batch, waited for a leader that never came.
    within(Duration::from_secs(120), "group commit", || {
        for round in 0..40u32 {
            let env = MemEnv::new();
            let db = Arc::new(Db::open(options(Arc::new(env)), "/db").expect("open"));
            let writers: Vec<_> = (0..4u32)
                .map(|t| {
                    let db = Arc::clone(&db);
                    std::thread::spawn(move || {
                        for i in 0..60u32 {
                            let w = WriteOptions { sync: i % 7 == 0 };
                            let mut batch = WriteBatch::new();
                            if (i + t) % 5 != 0 {
                                let k = format!("r{round}-t{t}-{i:04}");
                                batch.put(k.as_bytes(), &[b'v'; 64]);
                            }
                            db.write(&w, &batch).expect("write");
                        }
                    })
                })
                .collect();
            let flusher = {
                let db = Arc::clone(&db);
                std::thread::spawn(move || {
                    for _ in 0..15 {
                        db.flush().expect("flush");
                    }
                })
            };
            for w in writers {
                w.join().expect("writer");
            }
            flusher.join().expect("flusher");
            for t in 0..4u32 {
                for i in (0..60u32).filter(|i| (i + t) % 5 != 0) {
                    let k = format!("r{round}-t{t}-{i:04}");
                    assert!(
                        db.get(&ReadOptions::default(), k.as_bytes())
                            .expect("get")
                            .is_some(),
                        "{k} lost"
                    );
                }
            }
        }
    });
}

#[test]
fn empty_batch_with_sync_is_a_sync_barrier() {
    let env = FaultEnv::new(Arc::new(MemEnv::new()));
    {
        let db = Db::open(options(Arc::new(env.clone())), "/db").expect("open");
        db.put(&WriteOptions::default(), b"k", b"v").expect("put");
        db.write(&WriteOptions { sync: true }, &WriteBatch::new())
            .expect("empty sync write");
        env.crash().expect("crash");
    }
    env.restart();
    let db = Db::open(options(Arc::new(env.clone())), "/db").expect("reopen");
    assert_eq!(
        db.get(&ReadOptions::default(), b"k").expect("get"),
        Some(b"v".to_vec()),
        "the write before an empty synced batch is durable"
    );
}

#[test]
fn failed_log_sync_at_memtable_switch_stops_writes_until_reopen() {
    let env = FaultEnv::new(Arc::new(MemEnv::new()));
    let db = Db::open(options(Arc::new(env.clone())), "/db").expect("open");
    // Only non-synced writes: the first sync is the old WAL's at the switch.
    env.set_fault(FaultOp::Sync, FaultKind::Eio, 0);
    let w = WriteOptions::default();
    let mut failed = None;
    for i in 0..10_000u32 {
        if let Err(e) = db.put(&w, format!("{i:08}").as_bytes(), &[b'x'; 100]) {
            failed = Some(i);
            assert!(matches!(e, Error::Io { .. }), "{e}");
            break;
        }
    }
    assert!(failed.is_some(), "the switch's sync must fail");
    env.clear_fault();
    // The sync would now "succeed" (the fsync-retry problem): writes must
    // still be refused, and no flush may make them look durable.
    for i in 0..200u32 {
        let r = db.put(&w, format!("after{i:05}").as_bytes(), &[b'y'; 100]);
        assert!(r.is_err(), "write {i} after a failed sync was accepted");
    }
    assert!(db.flush().is_err(), "flush after a failed sync");
    drop(db);
    let db = Db::open(options(Arc::new(env.clone())), "/db").expect("reopen");
    db.put(&w, b"fresh", b"ok")
        .expect("writes work after reopen");
}

/// One call a [`Recording`] env saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    Create(String),
    Append(String),
    Sync(String),
    SyncDir,
    Rename(String, String),
}

/// An env over `MemEnv` that records creations, syncs and renames, and
/// can fail the k-th directory sync.
#[derive(Clone)]
struct Recording {
    inner: MemEnv,
    calls: Arc<parking_lot::Mutex<Vec<Call>>>,
    /// Directory syncs still to succeed before one fails (then it disarms).
    fail_dir_sync_after: Arc<parking_lot::Mutex<Option<usize>>>,
    /// Creating a table file panics (a bug in a background step).
    panic_on_table_create: Arc<std::sync::atomic::AtomicBool>,
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

struct RecordingFile {
    file: Box<dyn strata_api::env::WritableFile>,
    name: String,
    calls: Arc<parking_lot::Mutex<Vec<Call>>>,
}

impl strata_api::env::WritableFile for RecordingFile {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.file.append(data)?;
        self.calls.lock().push(Call::Append(self.name.clone()));
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        self.file.flush()
    }
    fn sync(&mut self) -> Result<()> {
        self.file.sync()?;
        self.calls.lock().push(Call::Sync(self.name.clone()));
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        self.file.close()
    }
}

impl Recording {
    fn new() -> Self {
        Recording {
            inner: MemEnv::new(),
            calls: Arc::default(),
            fail_dir_sync_after: Arc::default(),
            panic_on_table_create: Arc::default(),
        }
    }
    fn wrap(
        &self,
        path: &Path,
        file: Box<dyn strata_api::env::WritableFile>,
    ) -> Box<dyn strata_api::env::WritableFile> {
        self.calls.lock().push(Call::Create(name_of(path)));
        Box::new(RecordingFile {
            file,
            name: name_of(path),
            calls: Arc::clone(&self.calls),
        })
    }
}

impl strata_api::Env for Recording {
    fn new_writable_file(&self, path: &Path) -> Result<Box<dyn strata_api::env::WritableFile>> {
        if name_of(path).ends_with(".ldb")
            && self
                .panic_on_table_create
                .load(std::sync::atomic::Ordering::SeqCst)
        {
            panic!("injected panic creating {}", path.display());
        }
        let f = self.inner.new_writable_file(path)?;
        Ok(self.wrap(path, f))
    }
    fn new_appendable_file(&self, path: &Path) -> Result<Box<dyn strata_api::env::WritableFile>> {
        let f = self.inner.new_appendable_file(path)?;
        Ok(self.wrap(path, f))
    }
    fn new_sequential_file(&self, path: &Path) -> Result<Box<dyn strata_api::env::SequentialFile>> {
        self.inner.new_sequential_file(path)
    }
    fn new_random_access_file(
        &self,
        path: &Path,
    ) -> Result<Arc<dyn strata_api::env::RandomAccessFile>> {
        self.inner.new_random_access_file(path)
    }
    fn file_exists(&self, path: &Path) -> bool {
        self.inner.file_exists(path)
    }
    fn children(&self, dir: &Path) -> Result<Vec<String>> {
        self.inner.children(dir)
    }
    fn remove_file(&self, path: &Path) -> Result<()> {
        self.inner.remove_file(path)
    }
    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        self.inner.create_dir_all(dir)
    }
    fn remove_dir_all(&self, dir: &Path) -> Result<()> {
        self.inner.remove_dir_all(dir)
    }
    fn file_size(&self, path: &Path) -> Result<u64> {
        self.inner.file_size(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.inner.rename(from, to)?;
        self.calls
            .lock()
            .push(Call::Rename(name_of(from), name_of(to)));
        Ok(())
    }
    fn sync_dir(&self, dir: &Path) -> Result<()> {
        let mut arm = self.fail_dir_sync_after.lock();
        match arm.as_mut() {
            Some(0) => {
                *arm = None;
                // 5: EIO.
                return Err(Error::io(dir, std::io::Error::from_raw_os_error(5)));
            }
            Some(n) => *n -= 1,
            None => {}
        }
        drop(arm);
        self.inner.sync_dir(dir)?;
        self.calls.lock().push(Call::SyncDir);
        Ok(())
    }
    fn lock_file(&self, path: &Path) -> Result<strata_api::FileLock> {
        self.inner.lock_file(path)
    }
}

fn fill(db: &Db, from: u32, to: u32, sync_every: u32) {
    for i in from..to {
        let w = WriteOptions {
            sync: i % sync_every == 0,
        };
        db.put(&w, format!("{i:08}").as_bytes(), &[b'v'; 100])
            .expect("put");
    }
}

fn check_all(db: &Db, to: u32) {
    for i in 0..to {
        assert!(
            db.get(&ReadOptions::default(), format!("{i:08}").as_bytes())
                .expect("get")
                .is_some(),
            "{i:08} lost"
        );
    }
}

#[test]
fn failed_directory_sync_at_open_never_leaves_the_database_unopenable() {
    // `strace -e inject=fsync:error=EIO:when=1 strata db put` on a healthy
    // database: every later open failed with "MANIFEST-0000NN: No such
    // file", because the error path deleted the MANIFEST that CURRENT had
    // just been renamed to name. Fail each directory sync of an open in
    // turn: the open may fail, the next must see every write.
    for k in 0..4 {
        let env = Recording::new();
        let shared: Arc<dyn strata_api::Env> = Arc::new(env.clone());
        {
            let db = Db::open(options(Arc::clone(&shared)), "/db").expect("create");
            fill(&db, 0, 300, 1);
        }
        *env.fail_dir_sync_after.lock() = Some(k);
        let failed_open = Db::open(options(Arc::clone(&shared)), "/db");
        if let Ok(db) = &failed_open {
            // The failure hit later (a flush): writes stop, reads go on.
            check_all(db, 300);
        }
        drop(failed_open);
        *env.fail_dir_sync_after.lock() = None;
        let db = Db::open(options(Arc::clone(&shared)), "/db")
            .unwrap_or_else(|e| panic!("directory sync {k} failed at open: reopen fails: {e}"));
        check_all(&db, 300);
        fill(&db, 300, 400, 1);
        check_all(&db, 400);
    }
}

#[test]
fn new_files_are_in_their_directory_before_anything_durable_names_them() {
    // A table named in a MANIFEST record and a WAL holding an acknowledged
    // synced write must each have had their directory synced since they
    // were created. (CURRENT's rename and the MANIFEST it names
    // become durable by the same directory sync.)
    let env = Recording::new();
    let shared: Arc<dyn strata_api::Env> = Arc::new(env.clone());
    {
        let db = Db::open(options(Arc::clone(&shared)), "/db").expect("create");
        fill(&db, 0, 2000, 3);
        db.compact_range(None, None).expect("compact");
    }
    let db = Db::open(options(Arc::clone(&shared)), "/db").expect("reopen");
    fill(&db, 2000, 2500, 2);
    drop(db);
    let calls = env.calls.lock().clone();
    // Files created since the last directory sync.
    let mut undurable: Vec<String> = Vec::new();
    let mut checked = 0;
    for call in &calls {
        match call {
            Call::Create(name) => undurable.push(name.clone()),
            Call::SyncDir => undurable.clear(),
            // A MANIFEST record names tables: the kernel may write it back
            // before it is synced, so they must be durable before it is
            // appended. A synced WAL record is an acknowledged write in it.
            Call::Append(name) if name.starts_with("MANIFEST-") => {
                let named: Vec<_> = undurable.iter().filter(|n| n.ends_with(".ldb")).collect();
                assert!(
                    named.is_empty(),
                    "a record appended to {name} names {named:?}, whose directory entries were never synced"
                );
                checked += 1;
            }
            Call::Sync(name) if name.ends_with(".log") => {
                assert!(
                    !undurable.contains(name),
                    "a synced write in {name}, whose directory entry was never synced"
                );
                checked += 1;
            }
            _ => {}
        }
    }
    assert!(
        checked > 100,
        "only {checked} syncs of logs and MANIFESTs seen"
    );
}

/// Writes a MANIFEST holding `edit` and points CURRENT at it.
fn write_manifest(env: &MemEnv, edit: &crate::version::edit::VersionEdit) {
    use crate::format::filename::{descriptor_file_name, set_current_file};
    use strata_api::Env as _;
    env.create_dir_all(Path::new("/db")).expect("mkdir");
    let mut log = crate::wal::writer::LogWriter::new(
        env.new_writable_file(&descriptor_file_name(Path::new("/db"), 7))
            .expect("create"),
    );
    let mut record = Vec::new();
    edit.encode(&mut record);
    log.add_record(&record).expect("record");
    log.close().expect("close");
    set_current_file(env, Path::new("/db"), 7).expect("CURRENT");
}

fn base_edit() -> crate::version::edit::VersionEdit {
    crate::version::edit::VersionEdit {
        comparator: Some("leveldb.BytewiseComparator".into()),
        log_number: Some(0),
        next_file_number: Some(8),
        last_sequence: Some(0),
        ..Default::default()
    }
}

fn open_error(env: &MemEnv) -> Error {
    match Db::open(options(Arc::new(env.clone())), "/db") {
        Ok(_) => panic!("a hostile database opened"),
        Err(e) => e,
    }
}

#[test]
fn hostile_counters_in_the_manifest_are_corruption() {
    // Before: next_file_number near u64::MAX overflowed (a wrap in release
    // builds, so file numbers were reused) and a last sequence beyond 56
    // bits ran into the value-type byte of every internal key.
    type Hostile = fn(&mut crate::version::edit::VersionEdit);
    let cases: [(&str, Hostile); 4] = [
        ("next file number", |e| e.next_file_number = Some(u64::MAX)),
        ("log number", |e| e.log_number = Some(u64::MAX - 1)),
        ("previous log number", |e| {
            e.prev_log_number = Some(u64::MAX)
        }),
        ("last sequence", |e| e.last_sequence = Some(u64::MAX - 3)),
    ];
    for (what, hostile) in cases {
        let env = MemEnv::new();
        let mut edit = base_edit();
        hostile(&mut edit);
        write_manifest(&env, &edit);
        let err = open_error(&env);
        assert!(
            matches!(err, Error::Corruption { .. }) && err.to_string().contains(what),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("MANIFEST-000007"), "{err}");
    }
    // The largest legal values open.
    let env = MemEnv::new();
    let mut edit = base_edit();
    edit.next_file_number = Some(crate::version::set::MAX_FILE_NUMBER - 10);
    edit.last_sequence = Some(crate::format::internal_key::MAX_SEQUENCE_NUMBER - 1000);
    write_manifest(&env, &edit);
    let db = Db::open(options(Arc::new(env.clone())), "/db").expect("open");
    db.put(&WriteOptions::default(), b"k", b"v").expect("put");
    assert_eq!(
        db.get(&ReadOptions::default(), b"k").expect("get"),
        Some(b"v".to_vec())
    );
}

#[test]
fn hostile_sequence_in_a_log_and_hostile_log_names_are_corruption() {
    use strata_api::Env as _;
    // A checksum-valid WAL record whose batch starts near u64::MAX.
    let env = MemEnv::new();
    write_manifest(&env, &base_edit());
    let mut batch = WriteBatch::new();
    batch.put(b"a", b"1");
    batch.put(b"b", b"2");
    batch.set_sequence(u64::MAX - 1);
    let mut log = crate::wal::writer::LogWriter::new(
        env.new_writable_file(Path::new("/db/000003.log"))
            .expect("create"),
    );
    log.add_record(batch.as_bytes()).expect("record");
    log.close().expect("close");
    let err = open_error(&env);
    assert!(
        matches!(err, Error::Corruption { .. }) && err.to_string().contains("000003.log"),
        "{err}"
    );
    // A WAL named with a number that cannot be counted past.
    let env = MemEnv::new();
    write_manifest(&env, &base_edit());
    strata_api::env::write_file(&env, Path::new("/db/18446744073709551615.log"), b"", false)
        .expect("write");
    let err = open_error(&env);
    assert!(matches!(err, Error::Corruption { .. }), "{err}");
}

#[test]
fn values_too_long_for_the_format_are_refused_not_truncated() {
    // Before: a 4 GiB value's length was cut to 32 bits in the batch
    // encoding (and the memtable then panicked). The zeroed buffer is
    // mapped lazily: it is never touched.
    let huge = vec![0u8; strata_api::batch::MAX_SLICE_BYTES + 1];
    let env = MemEnv::new();
    let db = Db::open(options(Arc::new(env)), "/db").expect("open");
    let w = WriteOptions { sync: true };
    let err = db.put(&w, b"k", &huge).expect_err("refused");
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    let mut batch = WriteBatch::new();
    batch.put(b"before", b"1");
    batch.delete(&huge);
    batch.put(b"after", b"2");
    assert!(matches!(
        db.write(&w, &batch),
        Err(Error::InvalidArgument(_))
    ));
    // Nothing of a refused batch is applied, and the database goes on.
    assert_eq!(
        db.get(&ReadOptions::default(), b"before").expect("get"),
        None
    );
    db.put(&w, b"k", b"small").expect("put");
    assert_eq!(
        db.get(&ReadOptions::default(), b"k").expect("get"),
        Some(b"small".to_vec())
    );
}

#[test]
fn a_torn_manifest_tail_is_dropped_but_damage_before_an_intact_record_is_not() {
    use strata_api::Env as _;
    let env = MemEnv::new();
    {
        let db = Db::open(options(Arc::new(env.clone())), "/db").expect("create");
        fill(&db, 0, 500, 50);
    }
    let current =
        strata_api::env::read_file_to_vec(&env, Path::new("/db/CURRENT")).expect("CURRENT");
    let manifest = Path::new("/db").join(String::from_utf8_lossy(&current).trim_end());
    let pristine = strata_api::env::read_file_to_vec(&env, &manifest).expect("MANIFEST");
    // A crash while the last edit was being written: its header came out
    // (a 2-byte FULL record), its checksum and payload did not.
    const TORN: [u8; 9] = [0xde, 0xad, 0xbe, 0xef, 0x02, 0x00, 0x01, 0xaa, 0xbb];
    let mut torn = pristine.clone();
    torn.extend_from_slice(&TORN);
    strata_api::env::write_file(&env, &manifest, &torn, true).expect("write");
    {
        let db = Db::open(options(Arc::new(env.clone())), "/db").expect("a torn tail opens");
        check_all(&db, 500);
    }
    let log = strata_api::env::read_file_to_vec(&env, Path::new("/db/LOG")).expect("LOG");
    assert!(
        String::from_utf8_lossy(&log).contains("torn tail"),
        "the drop is logged"
    );
    // Paranoid checks refuse the same tail.
    let current =
        strata_api::env::read_file_to_vec(&env, Path::new("/db/CURRENT")).expect("CURRENT");
    let manifest = Path::new("/db").join(String::from_utf8_lossy(&current).trim_end());
    let mut torn = strata_api::env::read_file_to_vec(&env, &manifest).expect("MANIFEST");
    torn.extend_from_slice(&TORN);
    strata_api::env::write_file(&env, &manifest, &torn, true).expect("write");
    let mut paranoid = options(Arc::new(env.clone()));
    paranoid.paranoid_checks = true;
    assert!(matches!(
        Db::open(paranoid, "/db"),
        Err(Error::Corruption { .. })
    ));
    // Damage in the first record, followed by intact ones: an error.
    let mut damaged = strata_api::env::read_file_to_vec(&env, &manifest).expect("MANIFEST");
    damaged[10] ^= 0x40;
    strata_api::env::write_file(&env, &manifest, &damaged, true).expect("write");
    let err = open_error(&env);
    assert!(matches!(err, Error::Corruption { .. }), "{err}");
    assert!(env.file_exists(&manifest));
}

/// Every file of `/db` with its bytes.
fn snapshot_dir(env: &MemEnv) -> Vec<(String, Vec<u8>)> {
    use strata_api::Env as _;
    let mut names = env.children(Path::new("/db")).expect("list");
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let bytes =
                strata_api::env::read_file_to_vec(env, &Path::new("/db").join(&n)).expect("read");
            (n, bytes)
        })
        .collect()
}

#[test]
fn a_read_only_open_changes_nothing_and_sees_everything() {
    use strata_api::Env as _;
    let env = MemEnv::new();
    {
        let db = Db::open(options(Arc::new(env.clone())), "/db").expect("create");
        fill(&db, 0, 1500, 10);
        db.delete(&WriteOptions::default(), b"00000007")
            .expect("delete");
        // Dropped without a flush: the last writes are only in the WAL.
    }
    let before = snapshot_dir(&env);
    {
        let db = Db::open_read_only(options(Arc::new(env.clone())), "/db").expect("read-only");
        for i in (0..1500u32).filter(|&i| i != 7) {
            let k = format!("{i:08}");
            assert!(
                db.get(&ReadOptions::default(), k.as_bytes())
                    .expect("get")
                    .is_some(),
                "{k}"
            );
        }
        assert_eq!(
            db.get(&ReadOptions::default(), b"00000007").expect("get"),
            None
        );
        let mut it = db.iter(&ReadOptions::default()).expect("iter");
        it.seek_to_first();
        let mut n = 0;
        while it.valid() {
            n += 1;
            it.next();
        }
        assert_eq!(n, 1499);
        let w = WriteOptions::default();
        assert!(matches!(
            db.put(&w, b"x", b"y"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            db.compact_range(None, None),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(db.flush(), Err(Error::InvalidArgument(_))));
        db.wait_for_background().expect("nothing to wait for");
    }
    assert_eq!(
        before,
        snapshot_dir(&env),
        "a read-only open changed the directory"
    );
    // No database: an error naming the directory; nothing is created.
    env.create_dir_all(Path::new("/empty")).expect("mkdir");
    let Err(err) = Db::open_read_only(options(Arc::new(env.clone())), "/empty") else {
        panic!("a read-only open of an empty directory succeeded");
    };
    assert!(err.to_string().contains("/empty"), "{err}");
    assert!(env.children(Path::new("/empty")).expect("list").is_empty());
    assert!(Db::open_read_only(options(Arc::new(env.clone())), "/missing").is_err());
    assert!(!env.file_exists(Path::new("/missing")));
}

#[test]
fn a_panic_in_the_background_thread_fails_waiters_instead_of_hanging_them() {
    // Before: the background thread died without setting an error or
    // waking anyone, and flush, compact_range and wait_for_background
    // waited forever.
    let env = Recording::new();
    let shared: Arc<dyn strata_api::Env> = Arc::new(env.clone());
    let db = Arc::new(Db::open(options(Arc::clone(&shared)), "/db").expect("open"));
    fill(&db, 0, 50, 1000);
    env.panic_on_table_create
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let outcome = {
        let db = Arc::clone(&db);
        within(Duration::from_secs(60), "flush after a panic", move || {
            (
                db.flush(),
                db.compact_range(None, None),
                db.wait_for_background(),
            )
        })
    };
    for r in [&outcome.0, &outcome.1, &outcome.2] {
        match r {
            Err(Error::Unavailable(why)) => assert!(why.contains("panicked"), "{why}"),
            other => panic!("expected the panic as an error, got {other:?}"),
        }
    }
    assert!(db.put(&WriteOptions::default(), b"k", b"v").is_err());
    env.panic_on_table_create
        .store(false, std::sync::atomic::Ordering::SeqCst);
    drop(db);
    let db = Db::open(options(shared), "/db").expect("reopen");
    check_all(&db, 50);
}
