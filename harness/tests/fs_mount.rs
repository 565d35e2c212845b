//! `strata fs mount` end to end: the built binary mounts a fresh store in a
//! child process, ordinary shell tools work through the mount (mkdir,
//! echo, cat, cp, dd, mv, rm, ls, past views under `.at/`), errors come
//! back as POSIX errors, and the child unmounts cleanly on SIGINT, on
//! SIGTERM with the mount busy, and after an outside `umount`.
//!
//! Also: a 256 MiB `dd` through the mount in bounded memory, `.at/<time>/`
//! views at any depth against `strata fs export --at`, and `strata bench`
//! with `--fs_via api,mount`.
//!
//! Where mounting is impossible (no /dev/fuse, no permission, no
//! fusermount3 for a non-root user) each test prints `skipped: <why>` on
//! stderr and returns (the bench test checks instead that the run refuses
//! with exit 2 and one line saying why) — except under
//! `STRATA_CI_STRICT=1`, which `.ci/run` sets after installing fuse3:
//! there a mount that cannot be made fails the test.
#![cfg(feature = "fuse")]

mod common;

use common::fuse::{cannot_mount, is_mounted, mount_stderr, skip, spawn_mount_with, wait_mounted};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

fn strata_ok(store: &Path, args: &[&str]) -> String {
    let out = common::strata_fs(store, args);
    assert!(
        out.status.success(),
        "strata fs {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -{sig} {}", child.id()))
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{sig}");
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        sleep(Duration::from_millis(20));
    }
    None
}

/// A `strata fs mount` child; dropping it makes sure nothing stays
/// mounted, whatever the test did.
struct Mounted {
    child: Child,
    mp: PathBuf,
    stderr: PathBuf,
}

impl Mounted {
    /// Starts the mount (with `options` such as `--max-inodes N`) and
    /// waits for it; `Err` carries the reason to skip when the mount
    /// itself is refused.
    fn start(store: &Path, mp: &Path, logs: &Path, options: &[&str]) -> Result<Mounted, String> {
        let mut m = Mounted {
            child: spawn_mount_with(store, mp, logs, options),
            mp: mp.to_path_buf(),
            stderr: mount_stderr(logs),
        };
        wait_mounted(&mut m.child, mp, logs, Duration::from_secs(10))?;
        Ok(m)
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits for the child to exit (after a signal or unmount) and checks
    /// that it exited 0 and left the mount point unmounted and empty.
    fn expect_clean_exit(&mut self) {
        let status = wait_exit(&mut self.child, Duration::from_secs(10)).expect("mount exits");
        assert!(status.success(), "exit {status}: {}", self.stderr_text());
        assert!(!is_mounted(&self.mp), "still mounted");
        let left = std::fs::read_dir(&self.mp).expect("read mp").count();
        assert_eq!(left, 0, "mount point empty again");
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("sh")
                .arg("-c")
                .arg(format!("kill -INT {}", self.child.id()))
                .status();
            if wait_exit(&mut self.child, Duration::from_secs(3)).is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
        if is_mounted(&self.mp) {
            let _ = Command::new("umount").arg("-l").arg(&self.mp).status();
        }
    }
}

/// A store (initialised with the binary), an empty mount point, and the
/// mount, or `None` (after printing why) where mounting is impossible.
fn setup(dir: &Path) -> Option<(PathBuf, PathBuf, Mounted)> {
    setup_with(dir, &[])
}

/// As [`setup`], the mount started with `options`.
fn setup_with(dir: &Path, options: &[&str]) -> Option<(PathBuf, PathBuf, Mounted)> {
    let store = dir.join("store");
    let mp = dir.join("mp");
    std::fs::create_dir(&mp).expect("mkdir mp");
    let mp = mp.canonicalize().expect("canonical mp");
    strata_ok(&store, &["init"]);
    if let Some(why) = cannot_mount() {
        return skip(&why);
    }
    match Mounted::start(&store, &mp, dir, options) {
        Ok(m) => Some((store, mp, m)),
        Err(why) => skip(&format!("mounting is not permitted here ({why})")),
    }
}

/// Runs `script` with `sh -c` in `cwd`.
fn sh(cwd: &Path, script: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .output()
        .expect("run sh")
}

fn sh_ok(cwd: &Path, script: &str) -> String {
    let out = sh(cwd, script);
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

fn sh_fails(cwd: &Path, script: &str, message: &str) {
    let out = sh(cwd, script);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{script} should fail");
    assert!(
        err.contains(message),
        "{script}: want '{message}', got: {err}"
    );
}

/// An instant strictly between the commits before and after it, as a
/// `.at` name.
fn instant_between() -> String {
    sleep(Duration::from_millis(20));
    let t = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    sleep(Duration::from_millis(20));
    t
}

#[test]
fn a_shell_session_through_the_mount() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((store, mp, mut mounted)) = setup(dir.path()) else {
        return;
    };
    let mp = mp.as_path();
    assert_eq!(
        sh_ok(mp, "mkdir docs && echo one > docs/a.txt && cat docs/a.txt"),
        "one\n"
    );
    let between = instant_between();
    assert_eq!(
        sh_ok(
            mp,
            "echo two > docs/a.txt && echo three >> docs/a.txt && cat docs/a.txt"
        ),
        "two\nthree\n"
    );
    // The past, through .at/<time>/.
    assert_eq!(sh_ok(mp, &format!("cat .at/{between}/docs/a.txt")), "one\n");
    assert_eq!(sh_ok(mp, &format!("ls .at/{between}/docs")), "a.txt\n");
    assert_eq!(
        sh_ok(mp, "ls -a"),
        ".\n..\ndocs\n",
        ".at is hidden from the root"
    );
    let versions = sh_ok(mp, "ls .at");
    assert_eq!(
        versions.lines().count(),
        4,
        "mkdir, create, rewrite, append: {versions}"
    );
    let first = versions.lines().next().expect("first version");
    assert_eq!(
        sh_ok(mp, &format!("ls .at/{first}/docs | wc -l")).trim(),
        "0"
    );

    // Errors.
    sh_fails(
        mp,
        &format!("echo x > .at/{between}/docs/new"),
        "Read-only file system",
    );
    sh_fails(
        mp,
        &format!("echo x >> .at/{between}/docs/a.txt"),
        "Read-only file system",
    );
    sh_fails(
        mp,
        &format!("rm .at/{between}/docs/a.txt"),
        "Read-only file system",
    );
    sh_fails(
        mp,
        &format!("mkdir .at/{between}/d"),
        "Read-only file system",
    );
    sh_fails(
        mp,
        "cat .at/yesterday/docs/a.txt",
        "No such file or directory",
    );
    sh_fails(mp, "cat missing", "No such file or directory");
    sh_fails(mp, "mkdir docs", "File exists");
    sh_fails(mp, "rmdir docs", "Directory not empty");
    sh_fails(mp, "cat docs/a.txt/x", "Not a directory");
    sh_fails(mp, "chmod 600 docs/a.txt", "Operation not permitted");

    // cp and dd: many write(2) calls, one version each.
    let local = dir.path().join("local.bin");
    let bytes: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    std::fs::write(&local, &bytes).expect("write local");
    let local = local.display();
    sh_ok(
        mp,
        &format!("cp {local} docs/c.bin && cmp {local} docs/c.bin"),
    );
    sh_ok(
        mp,
        "dd if=docs/c.bin of=docs/d.bin bs=1000 2>/dev/null && cmp docs/c.bin docs/d.bin",
    );
    assert_eq!(sh_ok(mp, "wc -c < docs/d.bin").trim(), "300000");
    sh_ok(mp, "mv docs/a.txt docs/b.txt && rm docs/c.bin");
    assert_eq!(sh_ok(mp, "ls docs"), "b.txt\nd.bin\n");

    signal(&mounted.child, "INT");
    mounted.expect_clean_exit();

    // The store, opened again without the mount, holds one version per close.
    let log = strata_ok(&store, &["log", "/docs/a.txt"]);
    let states: Vec<&str> = log
        .lines()
        .map(|l| l.split_whitespace().nth(1).expect("state"))
        .collect();
    assert_eq!(states, ["file", "file", "file", "deleted"], "{log}");
    assert!(
        log.lines().next().expect("first").contains("file 4 bytes"),
        "{log}"
    );
    assert!(
        log.lines().nth(2).expect("third").contains("file 10 bytes"),
        "{log}"
    );
    assert_eq!(
        strata_ok(&store, &["log", "/docs/d.bin"]).lines().count(),
        1
    );
    assert_eq!(strata_ok(&store, &["cat", "/docs/b.txt"]), "two\nthree\n");
    assert_eq!(
        strata_ok(&store, &["cat", "/docs/a.txt", "--at", &between]),
        "one\n"
    );
}

/// `--max-inodes` with a tiny cap: the mount asks the kernel to forget
/// most of what a shell made, and every path still reads, renames and
/// removes; Ctrl-C still unmounts cleanly (the sweeper stops first).
#[test]
fn a_tiny_inode_cap_keeps_every_path_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((store, mp, mut mounted)) = setup_with(dir.path(), &["--max-inodes", "32"]) else {
        return;
    };
    sh_ok(
        &mp,
        "for d in 1 2 3 4 5 6; do mkdir d$d; for f in $(seq 1 100); do echo $d/$f > d$d/f$f; done; done",
    );
    // A few sweeps.
    sleep(Duration::from_millis(400));
    assert_eq!(sh_ok(&mp, "cat d*/f* | wc -l").trim(), "600");
    assert_eq!(sh_ok(&mp, "cat d3/f77"), "3/77\n");
    sh_ok(&mp, "mv d2 moved && rm -r d4");
    assert_eq!(sh_ok(&mp, "cat moved/f5"), "2/5\n");
    assert_eq!(sh_ok(&mp, "ls"), "d1\nd3\nd5\nd6\nmoved\n");
    signal(&mounted.child, "INT");
    mounted.expect_clean_exit();
    assert!(
        !mounted.stderr_text().contains("cannot ask"),
        "{}",
        mounted.stderr_text()
    );
    assert_eq!(strata_ok(&store, &["cat", "/moved/f100"]), "2/100\n");
}

#[test]
fn an_outside_unmount_ends_the_command_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((store, mp, mut mounted)) = setup(dir.path()) else {
        return;
    };
    sh_ok(&mp, "echo kept > f");
    let unmount = if nix::unistd::geteuid().is_root() {
        Command::new("umount").arg(&mp).output()
    } else {
        Command::new("fusermount3").arg("-u").arg(&mp).output()
    }
    .expect("run umount");
    assert!(
        unmount.status.success(),
        "umount: {}",
        String::from_utf8_lossy(&unmount.stderr)
    );
    mounted.expect_clean_exit();
    assert_eq!(strata_ok(&store, &["cat", "/f"]), "kept\n");
}

#[test]
fn sigterm_with_the_mount_busy_detaches_and_waits_for_the_last_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((store, mp, mut mounted)) = setup(dir.path()) else {
        return;
    };
    // A shell keeps its working directory in the mount while it writes a
    // file through an open descriptor, then leaves.
    let mut user = Command::new("sh")
        .arg("-c")
        .arg("exec 3>f; echo a >&3; sleep 1; echo b >&3")
        .current_dir(&mp)
        .spawn()
        .expect("spawn user");
    sleep(Duration::from_millis(300));
    signal(&mounted.child, "TERM");
    let start = Instant::now();
    while is_mounted(&mp) {
        assert!(start.elapsed() < Duration::from_secs(5), "not detached");
        sleep(Duration::from_millis(20));
    }
    assert!(
        mounted.child.try_wait().expect("try_wait").is_none(),
        "waits for the user"
    );
    assert!(user.wait().expect("user").success());
    mounted.expect_clean_exit();
    assert!(
        mounted.stderr_text().contains("busy"),
        "{}",
        mounted.stderr_text()
    );
    assert_eq!(strata_ok(&store, &["cat", "/f"]), "a\nb\n");
}

/// `(VmHWM, VmRSS)` of process `pid`, bytes.
fn memory_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            .map(|kib| kib << 10)
            .expect("field")
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// A 128 MiB `dd` into the mount: the bytes are chunked and stored as they
/// arrive, so the mount's peak resident memory grows by far less than the
/// file (the whole file was held until close before; the issue measured
/// 1.45 GB for a 1 GiB `cp`; measured: a peak of 32 MiB after 128 or
/// 256 MiB in a debug build, 73 MiB after 4 GiB in release); the file
/// reads back with the same SHA-256 and is one version.
#[test]
fn a_large_dd_streams_through_the_mount_in_bounded_memory() {
    const FILE_MIB: u64 = 128;
    const GROWTH_BOUND_MIB: u64 = 64;
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((store, mp, mut mounted)) = setup(dir.path()) else {
        return;
    };
    let local = dir.path().join("local.bin");
    sh_ok(
        dir.path(),
        &format!("head -c {FILE_MIB}M /dev/urandom > {}", local.display()),
    );
    let (hwm_before, _) = memory_of(mounted.child.id());
    let start = Instant::now();
    sh_ok(
        &mp,
        &format!("dd if={} of=big bs=1M 2>/dev/null", local.display()),
    );
    let dd_s = start.elapsed().as_secs_f64();
    let (hwm_after, rss_after) = memory_of(mounted.child.id());
    let growth_mib = hwm_after.saturating_sub(hwm_before) >> 20;
    eprintln!(
        "dd of {FILE_MIB} MiB through the mount: {dd_s:.1} s; mount VmHWM {} -> {} MiB, VmRSS after {} MiB",
        hwm_before >> 20,
        hwm_after >> 20,
        rss_after >> 20
    );
    assert!(
        growth_mib < GROWTH_BOUND_MIB,
        "peak RSS of the mount grew by {growth_mib} MiB for a {FILE_MIB} MiB file"
    );
    let sum = |path: &Path| {
        let out = sh_ok(dir.path(), &format!("sha256sum < {}", path.display()));
        out.split_whitespace().next().expect("digest").to_string()
    };
    assert_eq!(
        sum(&mp.join("big")),
        sum(&local),
        "read back through the mount"
    );
    signal(&mounted.child, "INT");
    mounted.expect_clean_exit();
    let log = strata_ok(&store, &["log", "/big"]);
    assert_eq!(log.lines().count(), 1, "one version per close: {log}");
    assert!(log.contains(&format!("{} bytes", FILE_MIB << 20)), "{log}");
}

/// Lists a tree's files with their sizes and its directories, sorted, and
/// the SHA-256 of every file (`find` and `sha256sum`, run in `root`).
fn tree_listing(root: &Path) -> (String, String, String) {
    (
        sh_ok(root, "find . -type f -printf '%s %p\\n' | LC_ALL=C sort"),
        sh_ok(root, "find . -type d | LC_ALL=C sort"),
        sh_ok(
            root,
            "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum",
        ),
    )
}

/// The `.at/<time>/` views walk any depth: `find`, `cp -r`, `diff -r` and
/// `sha256sum` over a view equal `strata fs export --at` of that time, for
/// a tree five directories deep changed in three rounds (files edited,
/// appended, removed; a directory moved, another removed, a file replaced
/// by a directory), at four times including one before the tree existed.
#[test]
fn views_at_any_depth_equal_export_at_that_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((store, mp, mut mounted)) = setup(dir.path()) else {
        return;
    };
    let mut times = vec![instant_between()];
    sh_ok(
        &mp,
        "mkdir -p a/b/c/d/e && echo top > t && echo 1 > a/f1 && echo 2 > a/b/f2 \
         && echo 3 > a/b/c/f3 && echo 4 > a/b/c/d/f4 && echo 5 > a/b/c/d/e/f5 \
         && head -c 300000 /dev/urandom > a/b/c/d/e/big && mkdir a/b/c/empty",
    );
    times.push(instant_between());
    sh_ok(
        &mp,
        "echo 55 > a/b/c/d/e/f5 && echo more >> a/b/c/f3 && rm a/f1 \
         && mkdir -p a/x/y/z && echo xyz > a/x/y/z/deep && mv a/b/c/d a/b/moved \
         && dd if=/dev/urandom of=a/b/moved/e/big bs=4096 count=2 seek=10 conv=notrunc 2>/dev/null",
    );
    times.push(instant_between());
    sh_ok(
        &mp,
        "rm -r a/x && rm a/b/f2 && mkdir a/b/f2 && echo now-a-dir > a/b/f2/inside \
         && rm -r a/b/c/empty",
    );
    times.push(instant_between());

    let copies = dir.path().join("copies");
    std::fs::create_dir(&copies).expect("copies");
    let mut views = Vec::new();
    for (i, t) in times.iter().enumerate() {
        let view = mp.join(".at").join(t);
        views.push(tree_listing(&view));
        let copy = copies.join(i.to_string());
        let out = Command::new("cp")
            .arg("-r")
            .arg(&view)
            .arg(&copy)
            .output()
            .expect("cp");
        assert!(out.status.success(), "cp -r .at/{t}: {out:?}");
    }
    assert!(views[0].0.is_empty(), "nothing before the first change");
    assert!(views[1].0.contains("./a/b/c/d/e/big"), "{}", views[1].0);
    assert!(views[2].0.contains("./a/x/y/z/deep"), "{}", views[2].0);
    assert!(views[3].0.contains("./a/b/f2/inside"), "{}", views[3].0);
    signal(&mounted.child, "INT");
    mounted.expect_clean_exit();

    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).expect("exports");
    for (i, t) in times.iter().enumerate() {
        let out_dir = exports.join(i.to_string());
        strata_ok(
            &store,
            &["export", "/", &out_dir.display().to_string(), "--at", t],
        );
        assert_eq!(tree_listing(&out_dir), views[i], "find/sha256sum at {t}");
        sh_ok(
            dir.path(),
            &format!(
                "diff -r {} {}",
                copies.join(i.to_string()).display(),
                out_dir.display()
            ),
        );
    }

    // And `diff -r` straight between each view and its export.
    let mut mounted = Mounted::start(&store, &mp, dir.path(), &[]).expect("mount again");
    for (i, t) in times.iter().enumerate() {
        let view = mp.join(".at").join(t);
        sh_ok(
            dir.path(),
            &format!(
                "diff -r '{}' {}",
                view.display(),
                exports.join(i.to_string()).display()
            ),
        );
    }
    signal(&mounted.child, "INT");
    mounted.expect_clean_exit();
    sh_ok(dir.path(), "chmod -R u+w copies");
}

#[derive(Debug, serde::Deserialize)]
struct BenchRow {
    benchmark: String,
    ops: u64,
    micros_per_op: f64,
    latency_us_p99: Option<f64>,
    logical_bytes: Option<u64>,
    message: String,
    fs_via: String,
}

fn small_source(dir: &Path) {
    for (i, sub) in ["a", "a/b", "c"].iter().cycle().take(9).enumerate() {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        std::fs::write(
            dir.join(sub).join(format!("{i}.txt")),
            vec![b'x'; 100 + i * 700],
        )
        .expect("write");
    }
}

/// `strata bench --fs_via api,mount`: every filesystem benchmark runs
/// through blobfs's API and then through a FUSE mount the run makes
/// itself (system calls on a store of its own), the same operations each
/// way (every read checked against the model either way), rows labelled
/// by the `fs_via` column and the `@mount` suffix; the mount point is gone
/// afterwards. Where mounting is impossible the run refuses with exit 2
/// and one line saying why.
#[test]
fn the_fs_benchmarks_run_through_the_mount_beside_the_api() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    small_source(&src);
    let src_arg = format!("--fs_source={}", src.display());
    let args = [
        "--benchmarks=fs,fs_import",
        "--fs_files=60",
        "--fs_ops=40",
        "--fs_bigfile_mb=2",
        "--fs_bigfile_edits=3",
        "--fs_via=api,mount",
        src_arg.as_str(),
    ];
    if let Some(why) = cannot_mount() {
        let _: Option<()> = skip(&why);
        let db_arg = format!("--db={}", dir.path().join("db").display());
        let mut argv = vec!["bench", "--no-plot", db_arg.as_str()];
        argv.extend_from_slice(&args);
        let out = common::strata(dir.path(), &argv);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("--fs_via: cannot mount here"), "{err}");
        return;
    }
    let (stdout, rows) = common::bench_rows::<BenchRow>(dir.path(), &args);
    let api: Vec<&BenchRow> = rows.iter().filter(|r| r.fs_via == "api").collect();
    let mount: Vec<&BenchRow> = rows.iter().filter(|r| r.fs_via == "mount").collect();
    assert_eq!(api.len(), 13, "{stdout}");
    assert_eq!(mount.len(), api.len(), "{stdout}");
    for (a, m) in api.iter().zip(&mount) {
        assert_eq!(
            m.benchmark,
            format!("{}@mount", a.benchmark),
            "rows in order"
        );
        if !a.benchmark.starts_with("fs_import") {
            assert_eq!(m.ops, a.ops, "{}: the same operations", a.benchmark);
        }
        assert!(m.micros_per_op > 0.0 && m.logical_bytes.is_some(), "{m:?}");
        if !a.benchmark.starts_with("fs_import") {
            assert!(m.latency_us_p99.is_some(), "{m:?}");
        }
    }
    let row = |name: &str| {
        rows.iter()
            .find(|r| r.benchmark == name)
            .unwrap_or_else(|| panic!("no row {name}: {stdout}"))
    };
    assert!(row("fs_bigfile.edit@mount").message.contains("4 versions"));
    assert!(
        row("fs_import@mount").message.contains("9 added"),
        "{stdout}"
    );
    assert!(stdout.contains("rows named *@mount"), "{stdout}");
    // The run unmounted and removed its mount point.
    let leftovers: Vec<String> = std::fs::read_dir(dir.path().join("db"))
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".mnt"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    assert!(
        !mounts.contains(&dir.path().display().to_string()),
        "nothing stays mounted"
    );
}
