//! The inode table: what each inode number the kernel holds stands for.
//!
//! blobfs is addressed by path, so an inode is a *node*: a path of the live
//! tree, the `.at` directory, or a path inside one `.at/<time>` view. The
//! table maps node → ino and back, in memory only (numbers are not stable
//! across mounts). A path keeps its number while the kernel knows it:
//! `rename` moves the numbers of the path and everything below it to the
//! new paths, and `unlink`/`rmdir` detach the number (later operations on
//! it see `ENOENT`; a new file at the same path gets a new number). An
//! entry is dropped when the kernel forgets its last lookup; past the
//! mount's cap the mount asks the kernel to forget the least recently
//! used entries ([`super::bound`]).
//!
//! Views are keyed by the name looked up, not by the time it parses to, so
//! two spellings of one instant are two directories: the kernel refuses a
//! directory inode reachable under two names.

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

/// Inode of the mount's root (FUSE fixes it at 1).
pub(crate) const ROOT_INO: u64 = 1;
/// Inode of the `.at` directory.
pub(crate) const AT_DIR_INO: u64 = 2;
/// `d_ino` for a readdir entry the kernel has not looked up yet (as
/// libfuse's path API reports it): numbers are handed out on lookup only,
/// so that every number has a lookup count the kernel will forget.
pub(crate) const UNKNOWN_INO: u64 = 0xffff_ffff;

/// What an inode stands for. Ordered by path within the live tree, so
/// that a subtree's nodes are one range of the table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Node {
    /// A path of the live tree (`/` is the root).
    Head(String),
    /// The `.at` directory of views.
    AtDir,
    /// `path` in the view `.at/<view>`, which shows the tree as of `time`.
    At {
        /// The view's directory name, as looked up.
        view: String,
        /// The instant `view` names.
        time: DateTime<Utc>,
        /// The path within the view.
        path: String,
    },
}

impl Node {
    /// True for nodes under `.at` (and `.at` itself): no mutation there.
    pub(crate) fn is_read_only(&self) -> bool {
        !matches!(self, Node::Head(_))
    }
}

#[derive(Debug)]
struct Entry {
    /// Shared with the entry's key in `by_node`: a path is stored once.
    node: Arc<Node>,
    /// Lookups the kernel has not forgotten yet.
    lookups: u64,
    /// Removed from the tree (or replaced by a rename) while known.
    detached: bool,
    /// The tick of the last use: the entry's key in `recency`.
    used: u64,
}

/// An entry the kernel can be asked to drop: its name in its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Victim {
    /// The parent directory's inode.
    pub(crate) parent: u64,
    /// The entry's name in it.
    pub(crate) name: String,
    /// The entry's own inode.
    pub(crate) ino: u64,
}

/// Node ↔ inode number, both ways. Nodes are kept in order, so that the
/// nodes below a path (for `rename` and `unlink`) are found by a range
/// scan rather than a pass over every inode the kernel holds.
///
/// The table holds one entry per inode the kernel remembers, and the
/// kernel forgets only under memory pressure: after a million files were
/// created through the mount it held about as many (hence the cap of
/// [`super::bound`]). Each node is stored
/// once, behind an `Arc` both maps share: 274 bytes per inode with a
/// 106-byte path, measured over a million, against 456 when each map held
/// its own copy.
///
/// Entries are also ordered by last use (`recency`: tick → inode, the
/// root and `.at` left out), so that the coldest ones, which the mount
/// asks the kernel to forget when the table holds too many, are found
/// without a pass over the table: a use costs two B-tree operations.
#[derive(Debug)]
pub(crate) struct InodeTable {
    by_ino: HashMap<u64, Entry>,
    by_node: BTreeMap<Arc<Node>, u64>,
    recency: BTreeMap<u64, u64>,
    next_ino: u64,
    tick: u64,
    peak: usize,
}

impl InodeTable {
    /// A table holding the root and `.at`.
    pub(crate) fn new() -> Self {
        let mut t = InodeTable {
            by_ino: HashMap::new(),
            by_node: BTreeMap::new(),
            recency: BTreeMap::new(),
            next_ino: AT_DIR_INO + 1,
            tick: 0,
            peak: 0,
        };
        for (ino, node) in [
            (ROOT_INO, Node::Head("/".into())),
            (AT_DIR_INO, Node::AtDir),
        ] {
            let node = Arc::new(node);
            t.by_node.insert(Arc::clone(&node), ino);
            t.by_ino.insert(
                ino,
                Entry {
                    node,
                    lookups: 0,
                    detached: false,
                    used: 0,
                },
            );
        }
        t.peak = t.by_ino.len();
        t
    }

    /// Entries held now (the root and `.at` included).
    pub(crate) fn len(&self) -> usize {
        self.by_ino.len()
    }

    /// The most entries held at once since the table was made or since
    /// [`InodeTable::reset_peak`].
    pub(crate) fn peak(&self) -> usize {
        self.peak
    }

    /// Starts a new peak from the entries held now.
    pub(crate) fn reset_peak(&mut self) {
        self.peak = self.by_ino.len();
    }

    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// Marks `ino` as just used (the root and `.at` are never dropped,
    /// so not ordered).
    pub(crate) fn touch(&mut self, ino: u64) {
        if ino == ROOT_INO || ino == AT_DIR_INO || !self.by_ino.contains_key(&ino) {
            return;
        }
        let tick = self.next_tick();
        if let Some(e) = self.by_ino.get_mut(&ino) {
            self.recency.remove(&e.used);
            e.used = tick;
            self.recency.insert(tick, ino);
        }
    }

    /// The node of `ino`, unless unknown or detached.
    pub(crate) fn node(&self, ino: u64) -> Option<&Node> {
        self.by_ino
            .get(&ino)
            .filter(|e| !e.detached)
            .map(|e| &*e.node)
    }

    /// The number of `node` if it has one.
    pub(crate) fn known(&self, node: &Node) -> Option<u64> {
        self.by_node.get(node).copied()
    }

    /// The number of `node`, handed out now if it has none.
    pub(crate) fn ino_of(&mut self, node: &Node) -> u64 {
        if let Some(ino) = self.by_node.get(node) {
            return *ino;
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        let node = Arc::new(node.clone());
        let used = self.next_tick();
        self.by_node.insert(Arc::clone(&node), ino);
        self.recency.insert(used, ino);
        self.by_ino.insert(
            ino,
            Entry {
                node,
                lookups: 0,
                detached: false,
                used,
            },
        );
        self.peak = self.peak.max(self.by_ino.len());
        ino
    }

    /// Counts one lookup the kernel now holds on `ino`.
    pub(crate) fn looked_up(&mut self, ino: u64) {
        if let Some(e) = self.by_ino.get_mut(&ino) {
            e.lookups += 1;
        }
    }

    /// The kernel dropped `n` lookups of `ino`; the entry goes when none is
    /// left (the root and `.at` stay). Returns true if it went.
    pub(crate) fn forget(&mut self, ino: u64, n: u64) -> bool {
        if ino == ROOT_INO || ino == AT_DIR_INO {
            return false;
        }
        let Some(e) = self.by_ino.get_mut(&ino) else {
            return false;
        };
        e.lookups = e.lookups.saturating_sub(n);
        if e.lookups > 0 {
            return false;
        }
        if let Some(e) = self.by_ino.remove(&ino) {
            if self.by_node.get(&*e.node) == Some(&ino) {
                self.by_node.remove(&*e.node);
            }
            self.recency.remove(&e.used);
        }
        true
    }

    /// Up to `n` of the least recently used entries that the kernel can
    /// be asked to drop, coldest first, each named by its parent's inode
    /// and its name there. Never the root or `.at` (not ordered); not a
    /// detached entry (no longer reachable by name) nor one `pinned` says
    /// the kernel keeps anyway (an open file). At most `4 n` entries are
    /// looked at, so that the caller's lock is held briefly; every entry
    /// looked at (victims included) counts as used now, so that the next
    /// call goes on from where this one stopped rather than asking again
    /// about entries the kernel could not drop.
    pub(crate) fn coldest(&mut self, n: usize, pinned: impl Fn(u64) -> bool) -> Vec<Victim> {
        let mut victims = Vec::new();
        let mut examined = Vec::new();
        for (_, &ino) in self.recency.iter().take(n.saturating_mul(4)) {
            if victims.len() == n {
                break;
            }
            examined.push(ino);
            if pinned(ino) {
                continue;
            }
            if let Some(v) = self.victim(ino) {
                victims.push(v);
            }
        }
        for ino in examined {
            self.touch(ino);
        }
        victims
    }

    /// `ino` as its parent's inode and its name there, if it is reachable
    /// by name and its parent is known.
    fn victim(&self, ino: u64) -> Option<Victim> {
        let (parent, name) = match self.node(ino)? {
            Node::Head(p) if p != "/" => {
                let parent = Node::Head(parent_path(p).to_string());
                (parent, p.rsplit('/').next()?.to_string())
            }
            Node::At { view, path, .. } if path == "/" => (Node::AtDir, view.clone()),
            Node::At { view, time, path } => {
                let parent = Node::At {
                    view: view.clone(),
                    time: *time,
                    path: parent_path(path).to_string(),
                };
                (parent, path.rsplit('/').next()?.to_string())
            }
            Node::Head(_) | Node::AtDir => return None,
        };
        let parent = match parent {
            Node::AtDir => AT_DIR_INO,
            other => self.known(&other)?,
        };
        Some(Victim { parent, name, ino })
    }

    /// The live-tree nodes at `path` and below it, with their numbers:
    /// the paths that start with `path` form one range of the ordered
    /// table (siblings such as `path-x` in it are filtered out).
    fn subtree(&self, path: &str) -> Vec<(Arc<Node>, u64)> {
        let from = Node::Head(path.to_string());
        self.by_node
            .range::<Node, _>((Bound::Included(&from), Bound::Unbounded))
            .take_while(|(n, _)| matches!(&***n, Node::Head(p) if p.starts_with(path)))
            .filter(|(n, _)| matches!(&***n, Node::Head(p) if is_within(p, path)))
            .map(|(n, ino)| (Arc::clone(n), *ino))
            .collect()
    }

    /// `path` of the live tree and everything below it left the tree.
    pub(crate) fn detach_tree(&mut self, path: &str) {
        let gone: Vec<Arc<Node>> = self.subtree(path).into_iter().map(|(n, _)| n).collect();
        for node in gone {
            if let Some(ino) = self.by_node.remove(&*node) {
                if let Some(e) = self.by_ino.get_mut(&ino) {
                    e.detached = true;
                }
            }
        }
    }

    /// `from` (and everything below it) of the live tree is now at `to`;
    /// whatever was at `to` is detached first.
    pub(crate) fn rename_tree(&mut self, from: &str, to: &str) {
        self.detach_tree(to);
        let moved = self.subtree(from);
        for (old, ino) in moved {
            let Node::Head(p) = &*old else { continue };
            let new = Arc::new(Node::Head(format!("{to}{}", &p[from.len()..])));
            self.by_node.remove(&*old);
            self.by_node.insert(Arc::clone(&new), ino);
            if let Some(e) = self.by_ino.get_mut(&ino) {
                e.node = new;
            }
        }
    }
}

/// True when `path` is `dir` or below it.
pub(crate) fn is_within(path: &str, dir: &str) -> bool {
    path == dir
        || (path.starts_with(dir)
            && (dir.ends_with('/') || path.as_bytes().get(dir.len()) == Some(&b'/')))
}

/// The path of child `name` of directory `dir`.
pub(crate) fn child_path(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The directory holding `path` (`/` for the root itself).
pub(crate) fn parent_path(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(p: &str) -> Node {
        Node::Head(p.to_string())
    }

    #[test]
    fn numbers_are_stable_and_follow_renames() {
        let mut t = InodeTable::new();
        assert_eq!(t.known(&head("/")), Some(ROOT_INO));
        assert_eq!(t.node(AT_DIR_INO), Some(&Node::AtDir));
        let d = t.ino_of(&head("/d"));
        let f = t.ino_of(&head("/d/f"));
        let other = t.ino_of(&head("/dx"));
        assert_eq!(t.ino_of(&head("/d/f")), f);
        assert!(d > AT_DIR_INO && f != d);
        t.rename_tree("/d", "/e");
        assert_eq!(t.node(d), Some(&head("/e")));
        assert_eq!(t.node(f), Some(&head("/e/f")));
        assert_eq!(
            t.node(other),
            Some(&head("/dx")),
            "a sibling prefix is not moved"
        );
        assert_eq!(t.known(&head("/d/f")), None);
        assert_eq!(t.known(&head("/e/f")), Some(f));
    }

    #[test]
    fn detached_numbers_are_not_reused_for_the_path() {
        let mut t = InodeTable::new();
        let f = t.ino_of(&head("/f"));
        t.looked_up(f);
        t.detach_tree("/f");
        assert_eq!(t.node(f), None);
        let again = t.ino_of(&head("/f"));
        assert_ne!(again, f);
        assert!(t.forget(f, 1));
        assert_eq!(
            t.known(&head("/f")),
            Some(again),
            "forgetting the old one keeps the new"
        );
    }

    #[test]
    fn rename_over_an_existing_path_detaches_it() {
        let mut t = InodeTable::new();
        let a = t.ino_of(&head("/a"));
        let b = t.ino_of(&head("/b"));
        t.rename_tree("/a", "/b");
        assert_eq!(t.node(b), None);
        assert_eq!(t.node(a), Some(&head("/b")));
    }

    #[test]
    fn entries_go_when_the_kernel_forgets_them() {
        let mut t = InodeTable::new();
        let f = t.ino_of(&head("/f"));
        t.looked_up(f);
        t.looked_up(f);
        assert!(!t.forget(f, 1));
        assert!(t.forget(f, 1));
        assert_eq!(t.node(f), None);
        assert!(!t.forget(ROOT_INO, 5));
        assert_eq!(t.node(ROOT_INO), Some(&head("/")));
    }

    #[test]
    fn a_subtree_is_its_paths_only() {
        let mut t = InodeTable::new();
        for p in ["/a", "/a/x", "/a/x/y", "/a-b", "/a.c", "/ab", "/a0/z", "/b"] {
            t.ino_of(&head(p));
        }
        t.ino_of(&Node::At {
            view: "v".into(),
            time: DateTime::<Utc>::UNIX_EPOCH,
            path: "/a".into(),
        });
        let names = |t: &InodeTable, p: &str| -> Vec<String> {
            t.subtree(p)
                .into_iter()
                .map(|(n, _)| match &*n {
                    Node::Head(p) => p.clone(),
                    other => format!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(names(&t, "/a"), ["/a", "/a/x", "/a/x/y"]);
        assert_eq!(names(&t, "/a/x/y"), ["/a/x/y"]);
        assert_eq!(names(&t, "/").len(), 9, "the root and every live path");
        t.rename_tree("/a", "/q");
        assert_eq!(names(&t, "/q"), ["/q", "/q/x", "/q/x/y"]);
        assert!(names(&t, "/a").is_empty());
        assert_eq!(names(&t, "/a-b"), ["/a-b"]);
    }

    fn at(view: &str, path: &str) -> Node {
        Node::At {
            view: view.into(),
            time: DateTime::<Utc>::UNIX_EPOCH,
            path: path.into(),
        }
    }

    fn names_of(victims: &[Victim]) -> Vec<(u64, &str)> {
        victims
            .iter()
            .map(|v| (v.parent, v.name.as_str()))
            .collect()
    }

    #[test]
    fn the_coldest_entries_go_first_and_a_use_warms_one() {
        let mut t = InodeTable::new();
        let d = t.ino_of(&head("/d"));
        let a = t.ino_of(&head("/d/a"));
        let b = t.ino_of(&head("/d/b"));
        let c = t.ino_of(&head("/d/c"));
        t.touch(d);
        t.touch(a);
        let v = t.coldest(2, |_| false);
        assert_eq!(names_of(&v), [(d, "b"), (d, "c")], "b and c are coldest");
        assert_eq!((v[0].ino, v[1].ino), (b, c));
        let v = t.coldest(2, |_| false);
        assert_eq!(
            names_of(&v),
            [(ROOT_INO, "d"), (d, "a")],
            "the last call's victims count as used"
        );
        assert_eq!(t.len(), 6, "choosing victims drops nothing");
    }

    #[test]
    fn the_root_at_open_and_detached_entries_are_never_victims() {
        let mut t = InodeTable::new();
        t.touch(ROOT_INO);
        t.touch(AT_DIR_INO);
        let open = t.ino_of(&head("/open"));
        let gone = t.ino_of(&head("/gone"));
        t.detach_tree("/gone");
        let view = t.ino_of(&at("v", "/"));
        let in_view = t.ino_of(&at("v", "/x"));
        let deep = t.ino_of(&at("v", "/x/y"));
        let v = t.coldest(10, |ino| ino == open);
        assert_eq!(
            names_of(&v),
            [(AT_DIR_INO, "v"), (view, "x"), (in_view, "y")]
        );
        assert!(v.iter().all(|v| v.ino != open && v.ino != gone));
        assert_eq!(v[2].ino, deep);
        assert!(t.coldest(0, |_| false).is_empty());
    }

    #[test]
    fn a_victim_asks_few_entries_and_forgotten_entries_leave_the_order() {
        let mut t = InodeTable::new();
        let files: Vec<u64> = (0..100)
            .map(|i| t.ino_of(&head(&format!("/f{i}"))))
            .collect();
        for &f in &files[..50] {
            t.looked_up(f);
            assert!(t.forget(f, 1));
        }
        assert_eq!(t.len(), 52);
        assert_eq!(t.peak(), 102);
        t.reset_peak();
        assert_eq!(t.peak(), 52);
        // Only the 50 still held are left to choose from, coldest first.
        let v = t.coldest(3, |_| false);
        assert_eq!(names_of(&v), [(1, "f50"), (1, "f51"), (1, "f52")]);
        // Pinned entries are looked at, up to four per victim asked.
        let v = t.coldest(2, |ino| ino != files[99]);
        assert!(v.is_empty(), "8 pinned entries looked at, none chosen");
        let v = t.coldest(20, |ino| ino != files[99]);
        assert_eq!(names_of(&v), [(1, "f99")]);
    }

    #[test]
    fn paths() {
        assert_eq!(child_path("/", "a"), "/a");
        assert_eq!(child_path("/a", "b"), "/a/b");
        assert_eq!(parent_path("/a/b"), "/a");
        assert_eq!(parent_path("/a"), "/");
        assert!(is_within("/a/b", "/a") && is_within("/a", "/a") && is_within("/a", "/"));
        assert!(!is_within("/ab", "/a"));
    }
}
