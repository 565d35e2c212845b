//! A mirror (`put`) cut after every one of its engine batches, as a crash
//! would cut it (the engine keeps a prefix of the batches): the store then
//! verifies clean (no claim without its blobs, the index equal to the one
//! the blobs imply), every file is at its old version, its new one, or
//! absent if it is new, never anything in between, and running the put
//! again finishes the mirror. The put commits in many small batches here
//! (`claim_flush_bytes` 2 KiB) so that there are many places to cut.

mod support;

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use strata_api::{
    Engine, EngineMetrics, KvIterator, ReadOptions, Snapshot, WriteBatch, WriteOptions,
};
use strata_blobfs::{export, mirror, verify, BlobFs, FsConfig, Signer};
use support::{bytes, t, MemEngine};

/// An engine that applies only its first `budget` batches (afterwards every
/// write fails, and is not applied).
struct Cut {
    inner: Arc<MemEngine>,
    budget: Mutex<Option<usize>>,
    writes: Mutex<usize>,
}

impl Engine for Cut {
    fn spec(&self) -> String {
        "cut".into()
    }
    fn write(&self, options: &WriteOptions, batch: &WriteBatch) -> strata_api::Result<()> {
        let mut budget = self.budget.lock();
        if let Some(left) = budget.as_mut() {
            if *left == 0 {
                return Err(strata_api::Error::io(
                    "cut",
                    std::io::Error::other("crashed here"),
                ));
            }
            *left -= 1;
        }
        *self.writes.lock() += 1;
        self.inner.write(options, batch)
    }
    fn get_into(&self, o: &ReadOptions, k: &[u8], v: &mut Vec<u8>) -> strata_api::Result<bool> {
        self.inner.get_into(o, k, v)
    }
    fn iter(&self, o: &ReadOptions) -> strata_api::Result<Box<dyn KvIterator>> {
        self.inner.iter(o)
    }
    fn snapshot(&self) -> Snapshot {
        self.inner.snapshot()
    }
    fn compact_range(&self, b: Option<&[u8]>, e: Option<&[u8]>) -> strata_api::Result<()> {
        self.inner.compact_range(b, e)
    }
    fn property(&self, name: &str) -> Option<String> {
        self.inner.property(name)
    }
    fn metrics(&self) -> EngineMetrics {
        self.inner.metrics()
    }
}

type Tree = BTreeMap<String, Vec<u8>>;

fn write_tree(root: &Path, tree: &Tree) {
    let _ = std::fs::remove_dir_all(root);
    for (path, data) in tree {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, data).expect("write");
    }
}

fn read_tree(root: &Path) -> Tree {
    fn walk(dir: &Path, prefix: &str, out: &mut Tree) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let e = e.expect("entry");
            let name = format!("{prefix}{}", e.file_name().to_str().expect("utf8"));
            if e.file_type().expect("type").is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                out.insert(name, std::fs::read(e.path()).expect("read"));
            }
        }
    }
    let mut out = Tree::new();
    walk(root, "", &mut out);
    out
}

/// 40 files in 8 directories; some span several chunks.
fn first_tree() -> Tree {
    (0..40u64)
        .map(|i| {
            let size = if i % 7 == 0 {
                9_000
            } else {
                300 + i as usize * 13
            };
            (format!("d{}/s{}/f{i}.txt", i % 4, i % 2), bytes(size, i))
        })
        .collect()
}

/// The first tree with every third file changed, every fifth removed and
/// a few added.
fn second_tree(first: &Tree) -> Tree {
    let mut next = Tree::new();
    for (i, (path, data)) in first.iter().enumerate() {
        if i % 5 == 4 {
            continue;
        }
        let mut data = data.clone();
        if i % 3 == 0 {
            data.extend_from_slice(b" and more");
        }
        next.insert(path.clone(), data);
    }
    for i in 0..6u64 {
        next.insert(format!("new{}/n{i}.bin", i % 2), bytes(2_000, 100 + i));
    }
    next
}

fn check_between(store: &Tree, old: &Tree, new: &Tree, cut: usize) {
    for (path, data) in store {
        assert!(
            old.get(path) == Some(data) || new.get(path) == Some(data),
            "cut after {cut} batches: {path} is neither its old nor its new version"
        );
    }
    for path in old.keys().filter(|p| new.contains_key(*p)) {
        assert!(
            store.contains_key(path),
            "cut after {cut} batches: {path} vanished"
        );
    }
}

#[test]
fn a_put_cut_after_any_batch_leaves_whole_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    let old = first_tree();
    let new = second_tree(&old);
    let config = FsConfig {
        claim_flush_bytes: 2048,
        ..support::small_config()
    };
    let mut cut = 0usize;
    loop {
        let engine = Arc::new(Cut {
            inner: MemEngine::new(),
            budget: Mutex::new(None),
            writes: Mutex::new(0),
        });
        let fs = BlobFs::init(
            Arc::clone(&engine) as Arc<dyn Engine>,
            Signer::from_secret([4u8; 32]),
            config,
        )
        .expect("init");
        write_tree(&src, &old);
        mirror::put(&fs, &src, "/data", Some(t(1))).expect("first put");
        write_tree(&src, &new);
        let before = *engine.writes.lock();
        *engine.budget.lock() = Some(cut);
        let outcome = mirror::put(&fs, &src, "/data", Some(t(2)));
        let batches = *engine.writes.lock() - before;
        *engine.budget.lock() = None;
        drop(fs);

        // "Reopen" and check what the cut left.
        let fs = BlobFs::open(
            Arc::clone(&engine) as Arc<dyn Engine>,
            Signer::from_secret([4u8; 32]),
            config,
        )
        .expect("reopen");
        let report =
            verify::verify(engine.as_ref(), &fs.signer().public_key_ref()).expect("verify");
        assert!(
            report.is_ok(),
            "cut after {cut} batches: {:?}",
            report.problems().collect::<Vec<_>>()
        );
        let out = dir.path().join(format!("out{cut}"));
        export::export(&fs, "/data", &out, None).expect("export");
        check_between(&read_tree(&out), &old, &new, cut);

        // Running the put again finishes the mirror.
        mirror::put(&fs, &src, "/data", Some(t(3))).expect("put again");
        let out = dir.path().join(format!("again{cut}"));
        export::export(&fs, "/data", &out, None).expect("export");
        assert_eq!(read_tree(&out), new, "cut after {cut} batches, put again");
        assert!(
            verify::verify(engine.as_ref(), &fs.signer().public_key_ref())
                .expect("verify")
                .is_ok()
        );

        if outcome.is_ok() {
            assert!(cut >= batches, "the put succeeded with {cut} of {batches}");
            assert!(cut > 3, "the put should take several batches, took {cut}");
            eprintln!("the put took {batches} batches; cut after each of 0..{cut}");
            break;
        }
        cut += 1;
    }
}
