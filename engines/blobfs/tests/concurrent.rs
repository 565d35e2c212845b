//! Readers beside a writer (on the LSM engine, with real snapshots): while
//! one thread keeps changing the bindings of the directories on the way
//! (siblings created, renamed and removed, a directory renamed away and
//! back), readers resolving through the cache of bindings always find the
//! paths that exist in every state, with their bytes, and find a path that
//! moves either at its old or at its new place.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use strata_blobfs::{BlobFs, FsConfig, FsError, Signer};

#[test]
fn readers_see_stable_paths_while_a_writer_churns_bindings() {
    let config = FsConfig {
        path_cache_entries: 64,
        ..support::small_config()
    };
    let fs = Arc::new(
        BlobFs::init(
            support::lsm_engine(),
            Signer::from_secret([8u8; 32]),
            config,
        )
        .expect("init"),
    );
    fs.mkdir_all("/a/b/c", None).expect("mkdir");
    fs.write_file("/a/b/c/stable", b"stays", None)
        .expect("write");
    fs.mkdir_all("/a/m/n", None).expect("mkdir");
    fs.write_file("/a/m/n/moving", b"moves", None)
        .expect("write");
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (fs, stop) = (Arc::clone(&fs), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(fs.read("/a/b/c/stable", None).expect("stable"), b"stays");
                    let here = fs.read("/a/m/n/moving", None);
                    let there = fs.read("/a/moved/n/moving", None);
                    match (here, there) {
                        (Ok(d), _) | (_, Ok(d)) => assert_eq!(d, b"moves"),
                        (Err(FsError::NotFound(_)), Err(FsError::NotFound(_))) => {
                            // Between the two reads the directory moved
                            // the other way: allowed, but it must show up
                            // at one of the places in one snapshot.
                            let names: Vec<String> = fs
                                .readdir("/a", None)
                                .expect("ls /a")
                                .into_iter()
                                .map(|e| e.name)
                                .collect();
                            assert!(names.iter().any(|n| n == "m" || n == "moved"), "{names:?}");
                        }
                        (Err(e), _) => panic!("read failed: {e}"),
                    }
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for i in 0..150 {
        fs.write_file(&format!("/a/b/c/sib{}", i % 5), b"x", None)
            .expect("sibling");
        fs.mkdir(&format!("/a/b/d{i}"), None)
            .expect("mkdir sibling dir");
        fs.rename(&format!("/a/b/d{i}"), &format!("/a/b/e{i}"), None)
            .expect("rename sibling dir");
        fs.remove(&format!("/a/b/e{i}"), true, None)
            .expect("rm sibling dir");
        let (from, to) = if i % 2 == 0 {
            ("/a/m", "/a/moved")
        } else {
            ("/a/moved", "/a/m")
        };
        fs.rename(from, to, None).expect("move the directory");
    }
    stop.store(true, Ordering::Relaxed);
    let reads: u64 = readers.into_iter().map(|r| r.join().expect("reader")).sum();
    assert!(reads > 0);
    assert_eq!(fs.read("/a/m/n/moving", None).expect("back"), b"moves");
}
