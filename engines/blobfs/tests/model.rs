//! The model test: random filesystem operations at increasing times against
//! an in-memory tree that keeps every version; afterwards every path ever
//! used is checked at every recorded time (and just before it) through
//! `stat`, `read`, `read_range`, `readdir`, `export` and `history`.

mod support;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use strata_api::Engine;
use strata_blobfs::{export, verify, BlobFs, FsError, NodeKind, Signer, VersionState};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir,
    File(Vec<u8>),
}

/// Paths (`/a/b`) to nodes; the root is implicit.
type Tree = BTreeMap<String, Node>;

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn child(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn children(tree: &Tree, dir: &str) -> Vec<String> {
    tree.keys()
        .filter(|p| parent_of(p) == dir)
        .map(|p| p[p.rfind('/').map_or(0, |i| i + 1)..].to_string())
        .collect()
}

fn dirs(tree: &Tree) -> Vec<String> {
    let mut v = vec!["/".to_string()];
    v.extend(
        tree.iter()
            .filter(|(_, n)| **n == Node::Dir)
            .map(|(p, _)| p.clone()),
    );
    v
}

fn files(tree: &Tree) -> Vec<String> {
    tree.iter()
        .filter(|(_, n)| matches!(n, Node::File(_)))
        .map(|(p, _)| p.clone())
        .collect()
}

fn depth(path: &str) -> usize {
    path.matches('/').count()
}

fn random_data(rng: &mut Xoshiro256PlusPlus) -> Vec<u8> {
    let n = if rng.gen_bool(0.2) {
        rng.gen_range(4_000..20_000)
    } else {
        rng.gen_range(0..3_000)
    };
    // Low-entropy content sometimes, so chunks repeat across files.
    if rng.gen_bool(0.3) {
        let seed: u8 = rng.gen_range(0..4);
        (0..n).map(|i| seed.wrapping_add((i / 700) as u8)).collect()
    } else {
        (0..n).map(|_| rng.gen()).collect()
    }
}

fn pick<'a>(rng: &mut Xoshiro256PlusPlus, v: &'a [String]) -> Option<&'a String> {
    if v.is_empty() {
        None
    } else {
        Some(&v[rng.gen_range(0..v.len())])
    }
}

/// Applies one random operation to `fs` and `tree`. Operations the model
/// says must fail are checked to fail and to change nothing.
fn step(rng: &mut Xoshiro256PlusPlus, fs: &BlobFs, tree: &mut Tree, at: DateTime<Utc>) {
    let at = Some(at);
    let name = NAMES[rng.gen_range(0..NAMES.len())];
    let dir_list = dirs(tree);
    let file_list = files(tree);
    match rng.gen_range(0..100) {
        0..=19 => {
            let Some(parent) = pick(rng, &dir_list).cloned() else {
                return;
            };
            let path = child(&parent, name);
            if depth(&path) > 3 {
                return;
            }
            let result = fs.mkdir(&path, at);
            match tree.entry(path) {
                Entry::Occupied(e) => assert!(
                    matches!(result, Err(FsError::AlreadyExists(_))),
                    "mkdir {}: {result:?}",
                    e.key()
                ),
                Entry::Vacant(e) => {
                    result.expect("mkdir");
                    e.insert(Node::Dir);
                }
            }
        }
        20..=49 => {
            let Some(parent) = pick(rng, &dir_list).cloned() else {
                return;
            };
            let path = child(&parent, name);
            let data = random_data(rng);
            let result = fs.write_file(&path, &data, at);
            if tree.get(&path) == Some(&Node::Dir) {
                assert!(
                    matches!(result, Err(FsError::IsADirectory(_))),
                    "write {path}: {result:?}"
                );
            } else {
                result.expect("write_file");
                tree.insert(path, Node::File(data));
            }
        }
        50..=64 => {
            let Some(path) = pick(rng, &file_list).cloned() else {
                return;
            };
            let Some(Node::File(old)) = tree.get(&path).cloned() else {
                return;
            };
            let offset = rng.gen_range(0..=old.len() + 100);
            let data: Vec<u8> = (0..rng.gen_range(1..2_000)).map(|_| rng.gen()).collect();
            fs.write_at(&path, offset as u64, &data, at)
                .expect("write_at");
            let mut new = old;
            if new.len() < offset + data.len() {
                new.resize(offset + data.len(), 0);
            }
            new[offset..offset + data.len()].copy_from_slice(&data);
            tree.insert(path, Node::File(new));
        }
        65..=71 => {
            let Some(path) = pick(rng, &file_list).cloned() else {
                return;
            };
            fs.unlink(&path, at).expect("unlink");
            tree.remove(&path);
        }
        72..=77 => {
            let candidates: Vec<String> = dir_list.into_iter().filter(|d| d != "/").collect();
            let Some(path) = pick(rng, &candidates).cloned() else {
                return;
            };
            let empty = children(tree, &path).is_empty();
            let recursive = rng.gen_bool(0.5);
            let result = fs.remove(&path, recursive, at);
            if empty || recursive {
                result.expect("remove");
                let prefix = format!("{path}/");
                tree.retain(|p, _| *p != path && !p.starts_with(&prefix));
            } else {
                assert!(
                    matches!(result, Err(FsError::DirectoryNotEmpty(_))),
                    "rm {path}: {result:?}"
                );
            }
        }
        _ => {
            let all: Vec<String> = tree.keys().cloned().collect();
            let Some(from) = pick(rng, &all).cloned() else {
                return;
            };
            let Some(parent) = pick(rng, &dirs(tree)).cloned() else {
                return;
            };
            let to = child(&parent, name);
            let inside = to.starts_with(&format!("{from}/"));
            if !inside && tree.get(&to).is_none() && depth(&to) + subtree_depth(tree, &from) > 4 {
                return; // keep the tree shallow
            }
            let result = fs.rename(&from, &to, at);
            let legal = from == to
                || (!inside
                    && match (tree.get(&to), &tree[&from]) {
                        (None, _) => true,
                        (Some(Node::File(_)), Node::File(_)) => true,
                        (Some(Node::Dir), Node::Dir) => children(tree, &to).is_empty(),
                        _ => false,
                    });
            if legal {
                result.expect("rename");
                if from != to {
                    move_subtree(tree, &from, &to);
                }
            } else {
                assert!(result.is_err(), "rename {from} {to} should fail");
            }
        }
    }
}

fn subtree_depth(tree: &Tree, path: &str) -> usize {
    let prefix = format!("{path}/");
    tree.keys()
        .filter(|p| p.starts_with(&prefix))
        .map(|p| depth(p) - depth(path))
        .max()
        .unwrap_or(0)
}

fn move_subtree(tree: &mut Tree, from: &str, to: &str) {
    let prefix = format!("{from}/");
    let moved: Vec<(String, Node)> = tree
        .iter()
        .filter(|(p, _)| *p == from || p.starts_with(&prefix))
        .map(|(p, n)| (p.clone(), n.clone()))
        .collect();
    let to_prefix = format!("{to}/");
    tree.retain(|p, _| *p != to && !p.starts_with(&to_prefix));
    for (p, _) in &moved {
        tree.remove(p);
    }
    for (p, n) in moved {
        tree.insert(format!("{to}{}", &p[from.len()..]), n);
    }
}

fn state_at(versions: &[(DateTime<Utc>, Tree)], at: DateTime<Utc>) -> Tree {
    versions
        .iter()
        .rev()
        .find(|(t, _)| *t <= at)
        .map(|(_, tree)| tree.clone())
        .unwrap_or_default()
}

fn local_tree(root: &Path) -> Tree {
    fn walk(dir: &Path, prefix: &str, out: &mut Tree) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let entry = entry.expect("entry");
            let name = entry.file_name().into_string().expect("utf8 name");
            let path = child(prefix, &name);
            if entry.file_type().expect("type").is_dir() {
                out.insert(path.clone(), Node::Dir);
                walk(&entry.path(), &path, out);
            } else {
                out.insert(path, Node::File(std::fs::read(entry.path()).expect("read")));
            }
        }
    }
    let mut out = Tree::new();
    walk(root, "/", &mut out);
    out
}

fn check_at(
    fs: &BlobFs,
    rng: &mut Xoshiro256PlusPlus,
    all_paths: &BTreeSet<String>,
    tree: &Tree,
    when: Option<DateTime<Utc>>,
) {
    let at = when.map_or_else(|| "now".to_string(), |t| t.to_string());
    let root_names: Vec<String> = fs
        .readdir("/", when)
        .expect("ls /")
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(root_names, children(tree, "/"), "ls / at {at}");
    for path in all_paths {
        match tree.get(path) {
            None => assert!(
                matches!(fs.stat(path, when), Err(FsError::NotFound(_))),
                "{path} should be absent at {at}"
            ),
            Some(Node::Dir) => {
                let stat = fs.stat(path, when).expect("stat dir");
                assert_eq!(stat.kind, NodeKind::Directory, "{path} at {at}");
                let names: Vec<String> = fs
                    .readdir(path, when)
                    .expect("ls")
                    .into_iter()
                    .map(|e| e.name)
                    .collect();
                assert_eq!(names, children(tree, path), "ls {path} at {at}");
            }
            Some(Node::File(data)) => {
                let stat = fs.stat(path, when).expect("stat file");
                assert_eq!(
                    (stat.kind, stat.size_bytes),
                    (NodeKind::File, data.len() as u64),
                    "{path} at {at}"
                );
                assert_eq!(
                    &fs.read(path, when).expect("read"),
                    data,
                    "cat {path} at {at}"
                );
                let off = rng.gen_range(0..=data.len());
                let len = rng.gen_range(0..=data.len() - off + 10);
                let end = (off + len).min(data.len());
                assert_eq!(
                    fs.read_range(path, off as u64, len as u64, when)
                        .expect("range"),
                    data[off..end],
                    "range of {path} at {at}"
                );
            }
        }
    }
}

fn check_history(fs: &BlobFs, versions: &[(DateTime<Utc>, Tree)], path: &str) {
    let history = fs.history(path).expect("history");
    let op_times: BTreeSet<DateTime<Utc>> = versions.iter().map(|(t, _)| *t).collect();
    let by_time: BTreeMap<DateTime<Utc>, &VersionState> =
        history.iter().map(|v| (v.time, &v.state)).collect();
    let mut prev: Option<&Node> = None;
    for (t, tree) in versions {
        let now = tree.get(path);
        if now != prev {
            assert!(
                by_time.contains_key(t),
                "history of {path} lacks the change at {t}"
            );
        }
        prev = now;
    }
    for v in &history {
        assert!(
            op_times.contains(&v.time),
            "history of {path} has a version at {} that no op made",
            v.time
        );
        let expected = state_at(versions, v.time);
        match (&v.state, expected.get(path)) {
            (VersionState::Absent, None) => {}
            (VersionState::Directory { entries, .. }, Some(Node::Dir)) => {
                assert_eq!(entries, &children(&expected, path), "{path} at {}", v.time);
            }
            (VersionState::File { size_bytes, .. }, Some(Node::File(data))) => {
                assert_eq!(*size_bytes, data.len() as u64, "{path} at {}", v.time);
            }
            (got, want) => panic!("history of {path} at {}: {got:?} vs model {want:?}", v.time),
        }
    }
}

/// Runs `ops` random operations with `seed` on a new filesystem over
/// `engine` with a path cache of `cache_entries` bindings, checking the
/// latest state (the current-state index and the cache) after each; then
/// checks every state at and just before every time, the history of every
/// path, and that the index kept while writing is the one the blobs imply.
pub fn run_model(engine: Arc<dyn Engine>, seed: u64, ops: usize, cache_entries: usize) {
    eprintln!("model seed {seed}, cache {cache_entries}");
    let config = strata_blobfs::FsConfig {
        path_cache_entries: cache_entries,
        ..support::small_config()
    };
    let fs =
        BlobFs::init(Arc::clone(&engine), Signer::from_secret([9u8; 32]), config).expect("init");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut tree = Tree::new();
    let mut versions: Vec<(DateTime<Utc>, Tree)> = Vec::new();
    let mut now = support::t(0);
    let mut seen = BTreeSet::new();
    for _ in 0..ops {
        now += Duration::milliseconds(rng.gen_range(1..100_000));
        step(&mut rng, &fs, &mut tree, now);
        versions.push((now, tree.clone()));
        seen.extend(tree.keys().cloned());
        check_at(&fs, &mut rng, &seen, &tree, None);
    }
    if std::env::var_os("MODEL_VERBOSE").is_some() {
        let sizes: Vec<usize> = versions.iter().map(|(_, t)| t.len()).collect();
        eprintln!("seed {seed}: tree sizes {sizes:?}");
    }
    let all_paths: BTreeSet<String> = versions
        .iter()
        .flat_map(|(_, t)| t.keys().cloned())
        .collect();
    check_at(&fs, &mut rng, &all_paths, &Tree::new(), Some(support::t(0)));
    let out = tempfile::tempdir().expect("tempdir");
    for (i, (t, tree)) in versions.iter().enumerate() {
        check_at(&fs, &mut rng, &all_paths, tree, Some(*t));
        let before = *t - Duration::nanoseconds(1);
        check_at(
            &fs,
            &mut rng,
            &all_paths,
            &state_at(&versions, before),
            Some(before),
        );
        let dir = out.path().join(format!("v{i}"));
        export::export(&fs, "/", &dir, Some(*t)).expect("export");
        assert_eq!(local_tree(&dir), *tree, "export --at {t}");
    }
    for path in &all_paths {
        check_history(&fs, &versions, path);
    }
    // A snapshot of the final tree materialises to the same bytes.
    let last = versions.last().map(|(t, _)| *t).expect("ran ops");
    let top = export::snapshot(&fs, "/", Some(last)).expect("snapshot");
    let dir = out.path().join("snapshot");
    export::export_snapshot(&fs, &top, &dir).expect("export snapshot");
    assert_eq!(local_tree(&dir), tree);
    // The index written incrementally (claims, current state, locations)
    // is exactly the one rebuilt from the blobs.
    let report = verify::verify(engine.as_ref(), &fs.signer().public_key_ref()).expect("verify");
    assert!(
        report.is_ok(),
        "seed {seed}: {:?}",
        report.problems().collect::<Vec<_>>()
    );
}

#[test]
fn model_on_test_engine_seed_1() {
    run_model(support::MemEngine::new(), 1, 80, 1 << 10);
}

#[test]
fn model_on_test_engine_seed_2() {
    run_model(support::MemEngine::new(), 2, 80, 0);
}

#[test]
fn model_on_test_engine_seed_3() {
    // A cache of 4 bindings: constant eviction.
    run_model(support::MemEngine::new(), 3, 80, 4);
}

#[test]
fn model_on_lsm_engine() {
    run_model(support::lsm_engine(), 4, 80, 1 << 10);
}
