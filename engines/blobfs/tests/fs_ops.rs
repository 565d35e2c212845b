//! The filesystem operations one by one, at times, with their errors.

mod support;

use strata_blobfs::{FsError, NodeKind, VersionState};
use support::{bytes, new_fs, t};

#[test]
fn files_and_directories_as_of_each_time() {
    let (_engine, fs) = new_fs();
    fs.mkdir("/docs", Some(t(10))).expect("mkdir");
    fs.write_file("/docs/a.txt", b"version one", Some(t(20)))
        .expect("write");
    fs.write_file("/docs/a.txt", b"version two!", Some(t(30)))
        .expect("rewrite");
    fs.rename("/docs/a.txt", "/docs/b.txt", Some(t(40)))
        .expect("rename");
    fs.unlink("/docs/b.txt", Some(t(50))).expect("unlink");

    assert!(matches!(
        fs.stat("/docs", Some(t(5))),
        Err(FsError::NotFound(_))
    ));
    assert_eq!(
        fs.read("/docs/a.txt", Some(t(20))).expect("v1"),
        b"version one"
    );
    assert_eq!(
        fs.read("/docs/a.txt", Some(t(29))).expect("v1"),
        b"version one"
    );
    assert_eq!(
        fs.read("/docs/a.txt", Some(t(30))).expect("v2"),
        b"version two!"
    );
    assert!(matches!(
        fs.read("/docs/a.txt", Some(t(40))),
        Err(FsError::NotFound(_))
    ));
    assert_eq!(
        fs.read("/docs/b.txt", Some(t(45))).expect("moved"),
        b"version two!"
    );
    assert!(!fs.exists("/docs/b.txt", None).expect("exists"));
    assert_eq!(
        fs.read_range("/docs/a.txt", 8, 3, Some(t(35)))
            .expect("range"),
        b"two"
    );
    assert_eq!(
        fs.read_range("/docs/a.txt", 100, 3, Some(t(35)))
            .expect("past end"),
        b""
    );

    let names = |at| -> Vec<String> {
        fs.readdir("/docs", Some(at))
            .expect("readdir")
            .into_iter()
            .map(|e| e.name)
            .collect()
    };
    assert_eq!(names(t(10)), Vec::<String>::new());
    assert_eq!(names(t(30)), vec!["a.txt"]);
    assert_eq!(names(t(40)), vec!["b.txt"]);
    assert_eq!(names(t(50)), Vec::<String>::new());

    let stat = fs.stat("/docs/a.txt", Some(t(30))).expect("stat");
    assert_eq!(
        (stat.kind, stat.size_bytes, stat.mode),
        (NodeKind::File, 12, 0o644)
    );
    assert_eq!(stat.modified, Some(t(30)));
    assert_eq!(
        fs.stat("/", Some(t(0))).expect("root").kind,
        NodeKind::Directory
    );

    let history = fs.history("/docs/a.txt").expect("history");
    let times: Vec<_> = history.iter().map(|v| v.time).collect();
    assert_eq!(times, vec![t(20), t(30), t(40)]);
    assert!(matches!(history[2].state, VersionState::Absent));
    assert!(matches!(
        history[1].state,
        VersionState::File { size_bytes: 12, .. }
    ));
}

#[test]
fn write_at_offset_shares_chunks_and_fills_gaps() {
    let (_engine, fs) = new_fs();
    let base = bytes(64 << 10, 1);
    let first = fs.write_file("/big", &base, Some(t(1))).expect("write");
    assert!(first.chunks_total > 20, "{first:?}");
    let edit = fs
        .write_at("/big", 30_000, b"XYZ", Some(t(2)))
        .expect("write_at");
    assert!(
        edit.chunks_new <= 2,
        "write_at stored {} new chunks",
        edit.chunks_new
    );
    let mut expected = base.clone();
    expected[30_000..30_003].copy_from_slice(b"XYZ");
    assert_eq!(fs.read("/big", Some(t(2))).expect("read"), expected);
    assert_eq!(fs.read("/big", Some(t(1))).expect("old"), base);

    fs.write_at("/big", 70_000, b"tail", Some(t(3)))
        .expect("past end");
    expected.resize(70_000, 0);
    expected.extend_from_slice(b"tail");
    assert_eq!(fs.read("/big", None).expect("read"), expected);
    fs.write_at("/new", 3, b"x", Some(t(4)))
        .expect("create by write_at");
    assert_eq!(fs.read("/new", None).expect("read"), b"\0\0\0x");
}

#[test]
fn errors_are_typed() {
    let (_engine, fs) = new_fs();
    fs.mkdir("/d", Some(t(1))).expect("mkdir");
    fs.write_file("/d/f", b"x", Some(t(2))).expect("write");
    assert!(matches!(
        fs.mkdir("/d", Some(t(3))),
        Err(FsError::AlreadyExists(_))
    ));
    assert!(matches!(
        fs.mkdir("/nope/x", Some(t(3))),
        Err(FsError::NotFound(_))
    ));
    assert!(matches!(
        fs.mkdir("/d/f/x", Some(t(3))),
        Err(FsError::NotADirectory(_))
    ));
    assert!(matches!(
        fs.write_file("/d", b"x", Some(t(3))),
        Err(FsError::IsADirectory(_))
    ));
    assert!(matches!(fs.read("/d", None), Err(FsError::IsADirectory(_))));
    assert!(matches!(
        fs.readdir("/d/f", None),
        Err(FsError::NotADirectory(_))
    ));
    assert!(matches!(
        fs.unlink("/d", Some(t(3))),
        Err(FsError::IsADirectory(_))
    ));
    assert!(matches!(
        fs.rmdir("/d", Some(t(3))),
        Err(FsError::DirectoryNotEmpty(_))
    ));
    assert!(matches!(
        fs.rmdir("/d/f", Some(t(3))),
        Err(FsError::NotADirectory(_))
    ));
    assert!(matches!(fs.rmdir("/", Some(t(3))), Err(FsError::Usage(_))));
    assert!(matches!(
        fs.rename("/d", "/d/sub", Some(t(3))),
        Err(FsError::Usage(_))
    ));
    assert!(matches!(fs.stat("/a/../b", None), Err(FsError::Usage(_))));
    // Claim times may not go backwards per permanode, nor repeat per attribute.
    assert!(matches!(
        fs.write_file("/d/f", b"y", Some(t(1))),
        Err(FsError::BadTime(_))
    ));
    assert!(matches!(
        fs.write_file("/d/f", b"y", Some(t(2))),
        Err(FsError::BadTime(_))
    ));
    // A different node is not held back by /d/f's claims.
    fs.mkdir("/e", Some(t(2)))
        .expect("root's own latest claim is at t(1)");
    fs.remove("/d", true, Some(t(4))).expect("rm -r");
    assert!(!fs.exists("/d/f", None).expect("gone"));
    assert_eq!(
        fs.read("/d/f", Some(t(3))).expect("still readable before"),
        b"x"
    );
    // Without a time the clock is used and moved past the latest claim.
    fs.write_file("/e/later", b"z", Some(t(10_000_000_000)))
        .expect("future");
    fs.write_file("/e/later", b"zz", None)
        .expect("now, moved past the future claim");
    assert_eq!(fs.read("/e/later", None).expect("read"), b"zz");
}

#[test]
fn rename_replaces_like_posix() {
    let (_engine, fs) = new_fs();
    fs.write_file("/a", b"a", Some(t(1))).expect("a");
    fs.write_file("/b", b"b", Some(t(1))).expect("b");
    fs.mkdir("/d", Some(t(1))).expect("d");
    fs.mkdir("/e", Some(t(1))).expect("e");
    fs.write_file("/e/x", b"x", Some(t(1))).expect("e/x");
    assert!(matches!(
        fs.rename("/a", "/d", Some(t(2))),
        Err(FsError::IsADirectory(_))
    ));
    assert!(matches!(
        fs.rename("/d", "/a", Some(t(2))),
        Err(FsError::NotADirectory(_))
    ));
    assert!(matches!(
        fs.rename("/d", "/e", Some(t(2))),
        Err(FsError::DirectoryNotEmpty(_))
    ));
    fs.rename("/a", "/b", Some(t(2))).expect("file over file");
    assert_eq!(fs.read("/b", None).expect("b"), b"a");
    fs.rename("/e", "/d", Some(t(3)))
        .expect("dir over empty dir");
    assert_eq!(fs.read("/d/x", None).expect("moved"), b"x");
    assert_eq!(fs.read("/e/x", Some(t(2))).expect("before"), b"x");
    fs.rename("/d", "/d", Some(t(4))).expect("no-op");
}

#[test]
fn open_checks_the_owner() {
    let (engine, fs) = new_fs();
    drop(fs);
    let engine: std::sync::Arc<dyn strata_api::Engine> = engine;
    let other = strata_blobfs::Signer::from_secret([1u8; 32]);
    assert!(matches!(
        strata_blobfs::BlobFs::open(engine.clone(), other, support::small_config()),
        Err(FsError::Usage(_))
    ));
    let owner = strata_blobfs::Signer::from_secret([42u8; 32]);
    let fs =
        strata_blobfs::BlobFs::open(engine.clone(), owner, support::small_config()).expect("open");
    assert!(fs.readdir("/", None).expect("root").is_empty());
    let again = strata_blobfs::Signer::from_secret([42u8; 32]);
    assert!(matches!(
        strata_blobfs::BlobFs::init(engine, again, support::small_config()),
        Err(FsError::AlreadyExists(_))
    ));
}
