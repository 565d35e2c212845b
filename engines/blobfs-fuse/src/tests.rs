//! The FUSE operations driven directly (no kernel, no mount) on a store in
//! memory: the inode numbers the kernel would pass, the errnos it would
//! get back, and the versions each sequence leaves in the store.

use super::inodes::{AT_DIR_INO, ROOT_INO, UNKNOWN_INO};
use super::mount_fs::MountFs;
use super::read_ops::AT_NAME;
use super::testing::memory_fs;
use super::views::view_name;
use super::write_ops::SetAttr;
use fuser::{Errno, FileType, OpenAccMode};
use std::ffi::OsStr;
use std::path::PathBuf;
use std::thread::sleep;
use std::time::Duration;
use strata_blobfs::stats::stats;
use strata_blobfs::time::ClaimTime;

fn mount() -> MountFs {
    MountFs::new(memory_fs(), PathBuf::from("/nonexistent"), 1000, 1000, 0)
}

fn n(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// An instant strictly between the mutations before and after it.
fn instant_between() -> ClaimTime {
    sleep(Duration::from_millis(2));
    let t = chrono::Utc::now();
    sleep(Duration::from_millis(2));
    t
}

/// `echo CONTENT > name` in `dir`: create or open with O_TRUNC, write,
/// close (flush, then release).
fn echo_into(m: &MountFs, dir: u64, name: &str, content: &[u8]) -> u64 {
    let (ino, fh) = match m.lookup(dir, n(name)) {
        Ok(attr) => {
            let fh = m
                .open(attr.ino.0, OpenAccMode::O_WRONLY, libc::O_TRUNC)
                .expect("open O_TRUNC");
            (attr.ino.0, fh)
        }
        Err(_) => {
            let (attr, fh) = m.create(dir, n(name)).expect("create");
            (attr.ino.0, fh)
        }
    };
    // The shell's dup2 + close before echo writes: a flush with nothing
    // written must not commit.
    m.flush(ino).expect("early flush");
    m.write(ino, 0, content).expect("write");
    m.flush(ino).expect("flush");
    m.release(fh).expect("release");
    ino
}

fn names(m: &MountFs, ino: u64) -> Vec<String> {
    let fh = m.opendir(ino).expect("opendir");
    let listed = m.readdir(ino, fh, 0).expect("readdir");
    m.releasedir(fh);
    listed.into_iter().map(|(_, l)| l.name).collect()
}

#[test]
fn one_version_per_close() {
    let m = mount();
    let docs = m.mkdir(ROOT_INO, n("docs")).expect("mkdir").ino.0;
    let f = echo_into(&m, docs, "a.txt", b"one\n");
    assert_eq!(echo_into(&m, docs, "a.txt", b"two\n"), f, "same inode");
    // Append: open, write at the end, close.
    let fh = m
        .open(f, OpenAccMode::O_WRONLY, libc::O_APPEND)
        .expect("open");
    m.write(f, 4, b"three\n").expect("append");
    assert_eq!(
        m.getattr(f).expect("attr").size,
        10,
        "size includes the buffer"
    );
    m.flush(f).expect("flush");
    m.release(fh).expect("release");
    assert_eq!(
        m.fs.read("/docs/a.txt", None).expect("read"),
        b"two\nthree\n"
    );
    let versions = m.fs.history("/docs/a.txt").expect("history");
    assert_eq!(versions.len(), 3, "{versions:?}");
}

#[test]
fn a_new_file_is_visible_before_its_commit() {
    let m = mount();
    let (attr, fh) = m.create(ROOT_INO, n("new")).expect("create");
    let ino = attr.ino.0;
    assert_eq!(attr.kind, FileType::RegularFile);
    assert_eq!(m.lookup(ROOT_INO, n("new")).expect("lookup").ino.0, ino);
    assert_eq!(names(&m, ROOT_INO), [".", "..", "new"]);
    m.write(ino, 0, b"hello").expect("write");
    assert_eq!(m.read(ino, 1, 3).expect("read"), b"ell");
    assert!(
        !m.fs.exists("/new", None).expect("exists"),
        "not committed yet"
    );
    assert_eq!(m.create(ROOT_INO, n("new")).err(), Some(Errno::EEXIST));
    m.release(fh).expect("release");
    assert_eq!(m.fs.read("/new", None).expect("read"), b"hello");
    assert_eq!(m.fs.history("/new").expect("history").len(), 1);
}

#[test]
fn touch_and_truncate_commit_at_release_or_at_once() {
    let m = mount();
    let (attr, fh) = m.create(ROOT_INO, n("t")).expect("create");
    m.flush(attr.ino.0).expect("flush");
    assert!(!m.fs.exists("/t", None).expect("exists"));
    m.release(fh).expect("release");
    assert_eq!(m.fs.read("/t", None).expect("read"), b"");

    m.fs.write_file("/big", b"0123456789", None).expect("write");
    let big = m.lookup(ROOT_INO, n("big")).expect("lookup").ino.0;
    let truncate = SetAttr {
        size: Some(4),
        ..SetAttr::default()
    };
    assert_eq!(m.setattr(big, truncate).expect("truncate").size, 4);
    assert_eq!(
        m.fs.read("/big", None).expect("read"),
        b"0123",
        "no handle: at once"
    );
}

#[test]
fn past_views_are_read_only() {
    let m = mount();
    let docs = m.mkdir(ROOT_INO, n("docs")).expect("mkdir").ino.0;
    echo_into(&m, docs, "a.txt", b"one\n");
    let between = instant_between();
    let f = echo_into(&m, docs, "a.txt", b"two\n");
    assert_eq!(m.read(f, 0, 100).expect("read"), b"two\n");

    let at = m.lookup(ROOT_INO, n(AT_NAME)).expect(".at").ino.0;
    assert_eq!(at, AT_DIR_INO);
    assert!(
        !names(&m, ROOT_INO).contains(&AT_NAME.to_string()),
        ".at is hidden"
    );
    for spelling in [
        between.to_rfc3339(),
        view_name(between),
        between
            .with_timezone(&chrono::FixedOffset::east_opt(7200).expect("offset"))
            .to_rfc3339(),
    ] {
        let view = m.lookup(at, n(&spelling)).expect("view").ino.0;
        let old_docs = m.lookup(view, n("docs")).expect("docs then").ino.0;
        let old = m.lookup(old_docs, n("a.txt")).expect("a.txt then");
        assert_eq!(old.perm & 0o222, 0, "no write bits in a view");
        assert_eq!(
            m.read(old.ino.0, 0, 100).expect("read"),
            b"one\n",
            "{spelling}"
        );
        assert_eq!(names(&m, old_docs), [".", "..", "a.txt"]);
        // Every mutation under .at is EROFS.
        let old = old.ino.0;
        assert_eq!(
            m.open(old, OpenAccMode::O_WRONLY, 0).err(),
            Some(Errno::EROFS)
        );
        assert_eq!(
            m.open(old, OpenAccMode::O_RDONLY, libc::O_TRUNC).err(),
            Some(Errno::EROFS)
        );
        assert_eq!(m.write(old, 0, b"x").err(), Some(Errno::EROFS));
        assert_eq!(m.setattr(old, SetAttr::default()).err(), Some(Errno::EROFS));
        assert_eq!(m.create(old_docs, n("b")).err(), Some(Errno::EROFS));
        assert_eq!(m.mkdir(old_docs, n("d")).err(), Some(Errno::EROFS));
        assert_eq!(m.unlink(old_docs, n("a.txt")).err(), Some(Errno::EROFS));
        assert_eq!(m.rmdir(view, n("docs")).err(), Some(Errno::EROFS));
        assert_eq!(
            m.rename(old_docs, n("a.txt"), docs, n("c"), false).err(),
            Some(Errno::EROFS)
        );
        assert_eq!(m.access(old, true).err(), Some(Errno::EROFS));
        assert_eq!(m.access(old, false), Ok(()));
        let fh = m
            .open(old, OpenAccMode::O_RDONLY, 0)
            .expect("read-only open");
        m.release(fh).expect("release");
    }
    assert_eq!(m.create(at, n("x")).err(), Some(Errno::EROFS));
    assert_eq!(m.mkdir(at, n("x")).err(), Some(Errno::EROFS));
    assert_eq!(m.lookup(at, n("not-a-time")).err(), Some(Errno::ENOENT));
    assert_eq!(m.unlink(ROOT_INO, n(AT_NAME)).err(), Some(Errno::EROFS));
    assert_eq!(m.mkdir(ROOT_INO, n(AT_NAME)).err(), Some(Errno::EEXIST));

    // Listing .at shows the three mutation times; their names are views.
    let listed = names(&m, at);
    assert_eq!(listed.len(), 2 + 3, "{listed:?}");
    let first = m.lookup(at, n(&listed[2])).expect("first version").ino.0;
    assert_eq!(names(&m, first), [".", "..", "docs"]);
}

#[test]
fn posix_errors() {
    let m = mount();
    let d = m.mkdir(ROOT_INO, n("d")).expect("mkdir").ino.0;
    echo_into(&m, d, "f", b"x");
    assert_eq!(m.lookup(ROOT_INO, n("missing")).err(), Some(Errno::ENOENT));
    assert_eq!(m.mkdir(ROOT_INO, n("d")).err(), Some(Errno::EEXIST));
    assert_eq!(m.create(d, n("f")).err(), Some(Errno::EEXIST));
    assert_eq!(m.rmdir(ROOT_INO, n("d")).err(), Some(Errno::ENOTEMPTY));
    assert_eq!(m.unlink(ROOT_INO, n("d")).err(), Some(Errno::EISDIR));
    assert_eq!(m.rmdir(d, n("f")).err(), Some(Errno::ENOTDIR));
    assert_eq!(m.unlink(d, n("missing")).err(), Some(Errno::ENOENT));
    let f = m.lookup(d, n("f")).expect("f").ino.0;
    assert_eq!(m.create(f, n("g")).err(), Some(Errno::ENOTDIR));
    assert_eq!(m.opendir(f).err(), Some(Errno::ENOTDIR));
    assert_eq!(
        m.rename(ROOT_INO, n("d"), d, n("inside"), false).err(),
        Some(Errno::EINVAL)
    );
    assert_eq!(
        m.rename(d, n("f"), ROOT_INO, n("d"), false).err(),
        Some(Errno::EISDIR)
    );
    let mode = |bits| SetAttr {
        mode: Some(libc::S_IFREG | bits),
        ..SetAttr::default()
    };
    assert_eq!(m.setattr(f, mode(0o600)).err(), Some(Errno::EPERM));
    assert_eq!(m.setattr(f, mode(0o644)).expect("same mode").perm, 0o644);
    let chown = SetAttr {
        uid: Some(0),
        ..SetAttr::default()
    };
    assert_eq!(m.setattr(f, chown).err(), Some(Errno::EPERM));
    assert_eq!(
        m.mknod(d, n("fifo"), libc::S_IFIFO | 0o644).err(),
        Some(Errno::EPERM)
    );
    assert_eq!(
        m.mknod(d, n("plain"), libc::S_IFREG | 0o644)
            .expect("mknod")
            .size,
        0
    );
    assert!(m.fs.exists("/d/plain", None).expect("exists"));
}

#[test]
fn renames_move_inode_numbers() {
    let m = mount();
    let a = m.mkdir(ROOT_INO, n("a")).expect("mkdir").ino.0;
    let f = echo_into(&m, a, "f", b"data");
    m.rename(ROOT_INO, n("a"), ROOT_INO, n("b"), false)
        .expect("rename dir");
    assert_eq!(m.getattr(f).expect("moved file").size, 4);
    assert_eq!(m.lookup(ROOT_INO, n("b")).expect("b").ino.0, a);
    assert_eq!(m.lookup(a, n("f")).expect("f").ino.0, f);
    assert_eq!(m.lookup(ROOT_INO, n("a")).err(), Some(Errno::ENOENT));
    let g = echo_into(&m, a, "g", b"other");
    m.rename(a, n("g"), a, n("f"), false).expect("rename over");
    assert_eq!(
        m.getattr(f).err(),
        Some(Errno::ENOENT),
        "the replaced file is gone"
    );
    assert_eq!(m.read(g, 0, 10).expect("read"), b"other");
    assert_eq!(
        m.rename(a, n("f"), ROOT_INO, n("b"), true).err(),
        Some(Errno::EEXIST),
        "RENAME_NOREPLACE"
    );
    assert_eq!(m.fs.read("/b/f", None).expect("stored"), b"other");
}

#[test]
fn rename_and_unlink_of_uncommitted_files() {
    let m = mount();
    let (attr, fh) = m.create(ROOT_INO, n("tmp")).expect("create");
    let ino = attr.ino.0;
    m.write(ino, 0, b"draft").expect("write");
    m.rename(ROOT_INO, n("tmp"), ROOT_INO, n("final"), false)
        .expect("rename");
    m.release(fh).expect("release");
    assert_eq!(m.fs.read("/final", None).expect("read"), b"draft");

    let d = m.mkdir(ROOT_INO, n("d")).expect("mkdir").ino.0;
    let (attr, fh) = m.create(d, n("pending")).expect("create");
    assert_eq!(m.rmdir(ROOT_INO, n("d")).err(), Some(Errno::ENOTEMPTY));
    m.unlink(d, n("pending")).expect("unlink uncommitted");
    assert_eq!(m.write(attr.ino.0, 0, b"x").err(), Some(Errno::ENOENT));
    m.release(fh).expect("release");
    assert!(!m.fs.exists("/d/pending", None).expect("exists"));
    m.rmdir(ROOT_INO, n("d")).expect("rmdir");
}

#[test]
fn readdir_reports_known_numbers_and_resumes_at_offsets() {
    let m = mount();
    for name in ["c", "a", "b"] {
        m.mkdir(ROOT_INO, n(name)).expect("mkdir");
    }
    m.fs.write_file("/z", b"", None).expect("write");
    let fh = m.opendir(ROOT_INO).expect("opendir");
    let all = m.readdir(ROOT_INO, fh, 0).expect("readdir");
    let shown: Vec<_> = all.iter().map(|(_, l)| (l.name.as_str(), l.kind)).collect();
    assert_eq!(
        shown,
        [
            (".", FileType::Directory),
            ("..", FileType::Directory),
            ("a", FileType::Directory),
            ("b", FileType::Directory),
            ("c", FileType::Directory),
            ("z", FileType::RegularFile),
        ]
    );
    assert_eq!(all[0].1.ino, ROOT_INO);
    assert_ne!(all[2].1.ino, UNKNOWN_INO, "mkdir numbered it");
    assert_eq!(all[5].1.ino, UNKNOWN_INO, "not looked up yet");
    let rest = m.readdir(ROOT_INO, fh, all[3].0).expect("resume");
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[0].1.name, "c");
    m.releasedir(fh);
}

#[test]
fn forgotten_inodes_are_dropped() {
    let m = mount();
    m.fs.write_file("/f", b"x", None).expect("write");
    let first = m.lookup(ROOT_INO, n("f")).expect("lookup").ino.0;
    assert_eq!(m.lookup(ROOT_INO, n("f")).expect("again").ino.0, first);
    m.forget(first, 2);
    assert_eq!(m.getattr(first).err(), Some(Errno::ENOENT));
    assert_ne!(m.lookup(ROOT_INO, n("f")).expect("new").ino.0, first);
}

#[test]
fn unsaved_writes_are_committed_at_unmount() {
    let m = mount();
    let (attr, _fh) = m.create(ROOT_INO, n("open")).expect("create");
    m.write(attr.ino.0, 0, b"kept").expect("write");
    m.commit_all();
    assert_eq!(m.fs.read("/open", None).expect("read"), b"kept");
}

/// Pseudo-random bytes (splitmix64 of the position: nothing repeats).
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    (0..len as u64)
        .map(|i| {
            let mut z = (i / 8 + seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> (8 * (i % 8))) as u8
        })
        .collect()
}

#[test]
fn large_writes_are_stored_as_they_arrive_in_bounded_memory() {
    const PIECE: usize = 128 << 10; // what the kernel sends per write
    const MAX_CHUNK: u64 = 256 << 10;
    let m = mount();
    let data = pattern(6 << 20, 1);
    let (attr, fh) = m.create(ROOT_INO, n("big")).expect("create");
    let ino = attr.ino.0;
    let mut offset = 0u64;
    for piece in data.chunks(PIECE) {
        m.write(ino, offset, piece).expect("write");
        offset += piece.len() as u64;
        let st = m.state();
        let d = st.dirty.get(&ino).expect("buffer");
        assert!(d.content.buffered_bytes() as u64 <= 2 * MAX_CHUNK + PIECE as u64);
        assert!(
            d.content.stored_prefix_bytes() + 2 * MAX_CHUNK >= offset,
            "stored as they arrive"
        );
    }
    let chunks_before_close = stats(m.fs.engine().as_ref()).expect("stats").chunk_blobs;
    assert!(chunks_before_close >= 6 * 4 - 8, "{chunks_before_close}");
    assert!(!m.fs.exists("/big", None).expect("exists"), "not committed");
    assert_eq!(m.getattr(ino).expect("attr").size, data.len() as u64);
    m.flush(ino).expect("flush");
    m.release(fh).expect("release");
    assert_eq!(m.fs.read("/big", None).expect("read"), data);
    assert_eq!(m.fs.history("/big").expect("history").len(), 1);
    // The same chunks as writing the whole content at once: write_file
    // of the same bytes finds every chunk stored already.
    let chunks = || stats(m.fs.engine().as_ref()).expect("stats").chunk_blobs;
    let before_whole = chunks();
    let report = m.fs.write_file("/whole", &data, None).expect("write whole");
    assert_eq!(report.chunks_new, 0, "{report:?}");
    assert_eq!(chunks(), before_whole);

    // An in-place edit of 4 KiB in the middle re-stores a chunk or two.
    let before = chunks();
    let fh = m.open(ino, OpenAccMode::O_RDWR, 0).expect("open");
    m.write(ino, 3 << 20, &[7u8; 4096]).expect("edit");
    m.flush(ino).expect("flush");
    m.release(fh).expect("release");
    let new_chunks = chunks() - before;
    assert!((1..=3).contains(&new_chunks), "{new_chunks} new chunks");
    let mut edited = data.clone();
    edited[3 << 20..(3 << 20) + 4096].fill(7);
    assert_eq!(m.fs.read("/big", None).expect("read"), edited);
}

#[test]
fn reads_load_a_version_once_and_follow_a_new_one() {
    let m = mount();
    let data = pattern(1 << 20, 2);
    m.fs.write_file("/f", &data, None).expect("write");
    let f = m.lookup(ROOT_INO, n("f")).expect("lookup").ino.0;
    let fh = m.open(f, OpenAccMode::O_RDONLY, 0).expect("open");
    let mut back = Vec::new();
    while back.len() < data.len() {
        back.extend(m.read(f, back.len() as u64, 128 << 10).expect("read"));
    }
    assert_eq!(back, data);
    assert!(m.state().readers.contains_key(&f), "kept while open");
    m.fs.write_file("/f", b"replaced", None).expect("rewrite");
    assert_eq!(m.read(f, 0, 100).expect("read"), b"replaced");
    m.release(fh).expect("release");
    assert!(m.state().readers.is_empty(), "dropped at the last release");
}
