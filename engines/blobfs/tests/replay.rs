//! Replay of a real history: a local directory's successive states are put
//! in with `put --time`, then `export --at` each time reproduces each state
//! byte for byte (contents, empty directories, permission bits).

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use strata_blobfs::{export, mirror, FsError};
use support::{bytes, new_fs, t};

/// Relative path → (None for a directory | file bytes, mode bits).
type Snapshot = BTreeMap<String, (Option<Vec<u8>>, u32)>;

fn snapshot(root: &Path) -> Snapshot {
    fn walk(dir: &Path, prefix: &str, out: &mut Snapshot) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let entry = entry.expect("entry");
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let meta = entry.metadata().expect("meta");
            if meta.is_dir() {
                out.insert(name.clone(), (None, 0));
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                let mode = meta.permissions().mode() & 0o777;
                out.insert(
                    name,
                    (Some(std::fs::read(entry.path()).expect("read")), mode),
                );
            }
        }
    }
    let mut out = Snapshot::new();
    walk(root, "", &mut out);
    out
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, data).expect("write");
}

fn chmod(root: &Path, rel: &str, mode: u32) {
    std::fs::set_permissions(root.join(rel), std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn put_at_times_then_export_at_each_time_reproduces_each_state() {
    let (_engine, fs) = new_fs();
    let work = tempfile::tempdir().expect("tempdir");
    let src = work.path().join("src");
    std::fs::create_dir(&src).expect("src");
    let big = bytes(40_000, 7);
    let mut states = Vec::new();

    // 1: a small tree.
    write(&src, "a.txt", b"alpha\n");
    write(&src, "sub/b.bin", &big);
    write(&src, "sub/deep/c.txt", b"gamma\n");
    std::fs::create_dir(src.join("empty")).expect("empty dir");
    states.push(snapshot(&src));
    let r = mirror::put(&fs, &src, "/proj", Some(t(100))).expect("put 1");
    assert_eq!(
        (r.added, r.changed, r.removed, r.unchanged),
        (7, 0, 0, 0),
        "{r:?}"
    );

    // 2: edit, add, delete, chmod.
    write(&src, "a.txt", b"alpha, edited\n");
    write(&src, "new.txt", b"new\n");
    std::fs::remove_file(src.join("sub/deep/c.txt")).expect("rm");
    chmod(&src, "sub/b.bin", 0o600);
    states.push(snapshot(&src));
    let r = mirror::put(&fs, &src, "/proj", Some(t(200))).expect("put 2");
    assert_eq!(
        (r.added, r.changed, r.removed, r.unchanged),
        (1, 2, 1, 0),
        "{r:?}"
    );

    // 3: a directory replaced by a file, a one-byte edit in the big file.
    std::fs::remove_dir_all(src.join("sub/deep")).expect("rm -r");
    write(&src, "sub/deep", b"now a file\n");
    let mut edited = big.clone();
    edited[20_000] ^= 1;
    write(&src, "sub/b.bin", &edited);
    states.push(snapshot(&src));
    let r = mirror::put(&fs, &src, "/proj", Some(t(300))).expect("put 3");
    assert_eq!((r.changed, r.unchanged), (2, 2), "{r:?}");
    assert!(
        r.write.chunks_new <= 2,
        "one-byte edit stored {} chunks",
        r.write.chunks_new
    );

    // 4: nearly everything removed, an empty file added.
    std::fs::remove_dir_all(src.join("sub")).expect("rm sub");
    std::fs::remove_file(src.join("new.txt")).expect("rm new");
    write(&src, "empty/zero", b"");
    states.push(snapshot(&src));
    mirror::put(&fs, &src, "/proj", Some(t(400))).expect("put 4");

    // 5: the same state again: nothing to claim.
    let r = mirror::put(&fs, &src, "/proj", Some(t(500))).expect("put 5");
    assert_eq!(
        (r.unchanged, r.write.claims, r.write.blobs_new),
        (2, 0, 0),
        "{r:?}"
    );
    states.push(snapshot(&src));

    let times = [t(100), t(200), t(300), t(400), t(500)];
    for (i, (at, state)) in times.iter().zip(&states).enumerate() {
        let out = work.path().join(format!("out{i}"));
        export::export(&fs, "/proj", &out, Some(*at)).expect("export");
        assert_eq!(&snapshot(&out), state, "state {} at {at}", i + 1);
        // Just before the next put, the state is still this one.
        let just_before_next = *at + chrono::Duration::seconds(99);
        let out = work.path().join(format!("late{i}"));
        export::export(&fs, "/proj", &out, Some(just_before_next)).expect("export");
        assert_eq!(
            &snapshot(&out),
            state,
            "state {} at {just_before_next}",
            i + 1
        );
    }
    assert!(matches!(
        export::export(&fs, "/proj", &work.path().join("x"), Some(t(99))),
        Err(FsError::NotFound(_))
    ));
    // Exporting into a non-empty directory is refused.
    assert!(matches!(
        export::export(&fs, "/proj", &work.path().join("out0"), None),
        Err(FsError::AlreadyExists(_))
    ));
    // Time may not go backwards for the nodes a put changes: a.txt last
    // changed at t(200), so an edit dated t(150) is refused, one dated
    // t(450) is accepted (the rule is per permanode).
    write(&src, "a.txt", b"late edit\n");
    assert!(matches!(
        mirror::put(&fs, &src, "/proj", Some(t(150))),
        Err(FsError::BadTime(_))
    ));
    mirror::put(&fs, &src, "/proj", Some(t(450))).expect("later than a.txt's last claim");
    assert_eq!(
        fs.read("/proj/a.txt", Some(t(450))).expect("cat"),
        b"late edit\n"
    );
    assert_eq!(
        fs.read("/proj/a.txt", Some(t(449))).expect("cat"),
        b"alpha, edited\n"
    );
}

#[test]
fn put_a_single_file_and_export_it() {
    let (_engine, fs) = new_fs();
    let work = tempfile::tempdir().expect("tempdir");
    let file = work.path().join("notes.md");
    std::fs::write(&file, b"# notes\n").expect("write");
    let r = mirror::put(&fs, &file, "/x/y/notes.md", Some(t(1))).expect("put");
    assert_eq!(r.added, 3, "two parents and the file: {r:?}");
    assert_eq!(fs.read("/x/y/notes.md", None).expect("cat"), b"# notes\n");
    export::export(&fs, "/x/y/notes.md", &work.path().join("out"), None).expect("export");
    assert_eq!(
        std::fs::read(work.path().join("out/notes.md")).expect("read"),
        b"# notes\n"
    );
    assert!(matches!(
        mirror::put(&fs, &file, "/", Some(t(2))),
        Err(FsError::Usage(_))
    ));
    assert!(matches!(
        mirror::put(&fs, &work.path().join("missing"), "/m", Some(t(2))),
        Err(FsError::NotFound(_))
    ));
}
