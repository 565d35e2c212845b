//! A mirror (`put`) cut after every one of its engine batches, as a crash
//! would cut it (the engine keeps a prefix of the batches): the store then
//! verifies clean (no claim without its blobs, the index equal to the one
//! the blobs imply), every file is at its old version, its new one, or
//! absent if it is new, never anything in between, and running the put
//! again finishes the mirror. The put commits in many small batches here
//! (`claim_flush_bytes` 2 KiB) so that there are many places to cut.

mod support;
mod trees;

use parking_lot::Mutex;
use std::sync::Arc;
use strata_api::{
    Engine, EngineMetrics, KvIterator, ReadOptions, Snapshot, WriteBatch, WriteOptions,
};
use strata_blobfs::{export, mirror, verify, BlobFs, FsConfig, Signer};
use support::{bytes, t, MemEngine};
use trees::{assert_old_or_new, read_tree, write_tree, Tree};

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
        assert_old_or_new(
            &read_tree(&out),
            &old,
            &new,
            &format!("cut after {cut} batches"),
        );

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

/// The shared check (also used by the harness's kill tests) rejects what
/// a cut must never leave: a file partly written, a file that was in both
/// versions gone, a file that is in neither; and accepts each whole mix.
#[test]
fn the_old_or_new_check_rejects_partial_vanished_and_stray_files() {
    let tree = |files: &[(&str, &[u8])]| -> Tree {
        files
            .iter()
            .map(|(p, d)| (p.to_string(), d.to_vec()))
            .collect()
    };
    let old = tree(&[("kept", b"k"), ("changed", b"v1"), ("removed", b"r")]);
    let new = tree(&[("kept", b"k"), ("changed", b"v2"), ("added", b"a")]);
    let whole = [
        tree(&[("kept", b"k"), ("changed", b"v1"), ("removed", b"r")]),
        tree(&[("kept", b"k"), ("changed", b"v2"), ("added", b"a")]),
        tree(&[("kept", b"k"), ("changed", b"v2"), ("removed", b"r")]),
        tree(&[("kept", b"k"), ("changed", b"v1"), ("added", b"a")]),
    ];
    for seen in &whole {
        assert_old_or_new(seen, &old, &new, "whole");
    }
    let broken = [
        (
            tree(&[("kept", b"k"), ("changed", b"v"), ("added", b"a")]),
            "partly: changed is neither its old nor its new version",
        ),
        (
            tree(&[("kept", b"k"), ("added", b"a")]),
            "partly: changed vanished",
        ),
        (
            tree(&[("kept", b"k"), ("changed", b"v2"), ("stray", b"s")]),
            "partly: stray is neither its old nor its new version",
        ),
    ];
    for (seen, want) in broken {
        let panic = std::panic::catch_unwind(|| assert_old_or_new(&seen, &old, &new, "partly"))
            .expect_err("the check must reject this");
        let message = panic
            .downcast_ref::<String>()
            .expect("a formatted panic message");
        assert_eq!(message, want);
    }
}
