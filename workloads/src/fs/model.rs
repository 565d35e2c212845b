//! What the filesystem should hold: every version of every file the
//! benchmarks wrote (time, path, size, checksum), the live directories and
//! their entry counts. Reads are checked against it, so a benchmark that
//! reads wrong data fails instead of reporting a fast wrong answer.
//!
//! The model holds every file of a run (a million at `--fs_files
//! 1000000`), so it is compact: a version is 40 bytes in one shared
//! arena (directory index, name index, time in nanoseconds, size, CRC, the
//! index of the file's previous version), names are interned in one string
//! arena, and a path is built only when an operation asks for one. No
//! allocation per file or per version.

use chrono::{DateTime, Duration, TimeZone, Utc};

/// A claim time, as blobfs takes it.
pub type ClaimTime = DateTime<Utc>;

/// The benchmarks' clock: every mutation gets its own claim time, one
/// millisecond after the previous one, starting at 2024-01-01T00:00:00Z.
/// Explicit, strictly increasing times make the history reproducible and
/// let `fs_history` know exactly what was true at any instant.
#[derive(Debug, Clone)]
pub struct Clock {
    next: ClaimTime,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            next: Utc
                .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        }
    }
}

impl Clock {
    /// The next claim time.
    pub fn tick(&mut self) -> ClaimTime {
        let t = self.next;
        self.next += Duration::milliseconds(1);
        t
    }

    /// The latest time handed out (the start, before any tick).
    pub fn last(&self) -> ClaimTime {
        self.next - Duration::milliseconds(1)
    }
}

/// One version of a file, as the model answers it (built on demand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersion {
    /// When it began.
    pub time: ClaimTime,
    /// Where the file was (`None`: removed).
    pub path: Option<String>,
    /// Its length.
    pub size_bytes: u64,
    /// CRC-32C of its bytes, when known without reading them back (whole
    /// writes; a partial edit leaves it unknown).
    pub crc: Option<u32>,
}

/// "No index" in the arenas' `u32` links.
const NONE: u32 = u32::MAX;

/// One stored version: 40 bytes, no heap.
#[derive(Debug, Clone, Copy)]
struct Version {
    /// Claim time, nanoseconds since the Unix epoch (a mount's times are
    /// finer than a millisecond).
    time_ns: i64,
    size_bytes: u64,
    /// Directory index, or [`NONE`] once removed.
    dir: u32,
    /// Name index (meaningless when removed).
    name: u32,
    /// The file's previous version, or [`NONE`].
    prev: u32,
    /// CRC-32C, meaningful when `has_crc`.
    crc: u32,
    has_crc: bool,
}

/// A file: where its versions are in the arena.
#[derive(Debug, Clone, Copy)]
struct FileModel {
    first: u32,
    last: u32,
    count: u32,
}

fn to_ns(t: ClaimTime) -> i64 {
    // Claim times lie between 1677 and 2262, where nanoseconds fit.
    t.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

fn from_ns(ns: i64) -> ClaimTime {
    Utc.timestamp_nanos(ns)
}

fn index_u32(i: usize, what: &str) -> u32 {
    u32::try_from(i)
        .ok()
        .filter(|&v| v != NONE)
        .unwrap_or_else(|| panic!("more than {} {what} in the fs model", NONE - 1))
}

/// The expected tree.
#[derive(Debug, Clone, Default)]
pub struct TreeModel {
    /// Directory paths by index (parents before children).
    pub dirs: Vec<String>,
    /// Depth of each directory.
    pub dir_depth: Vec<u32>,
    /// Parent of each directory (`None` for the top).
    pub dir_parent: Vec<Option<usize>>,
    /// Whether each directory exists now.
    pub dir_live: Vec<bool>,
    /// Entries (files and directories) in each directory now.
    pub dir_entries: Vec<u64>,
    /// Every file ever created, by id.
    files: Vec<FileModel>,
    /// Every version of every file.
    versions: Vec<Version>,
    /// Interned names: name `i` is `name_bytes[name_ends[i-1]..name_ends[i]]`.
    name_bytes: String,
    name_ends: Vec<u32>,
    /// Ids of the files that exist now (unordered).
    pub live: Vec<usize>,
    /// Position of each file id in `live` (`usize::MAX` when not live).
    live_pos: Vec<usize>,
}

impl TreeModel {
    /// Adds a directory below `parent` (`None` for the top).
    pub fn add_dir(&mut self, path: String, parent: Option<usize>, depth: u32) {
        if let Some(p) = parent {
            self.dir_entries[p] += 1;
        }
        self.dirs.push(path);
        self.dir_depth.push(depth);
        self.dir_parent.push(parent);
        self.dir_live.push(true);
        self.dir_entries.push(0);
    }

    /// Path of `name` in directory `dir`.
    pub fn path_in(&self, dir: usize, name: &str) -> String {
        format!("{}/{name}", self.dirs[dir])
    }

    /// Files ever created.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    fn intern(&mut self, name: &str) -> u32 {
        let id = index_u32(self.name_ends.len(), "names");
        self.name_bytes.push_str(name);
        let end = index_u32(self.name_bytes.len(), "name bytes");
        self.name_ends.push(end);
        id
    }

    fn name(&self, name: u32) -> &str {
        let i = name as usize;
        let start = if i == 0 {
            0
        } else {
            self.name_ends[i - 1] as usize
        };
        &self.name_bytes[start..self.name_ends[i] as usize]
    }

    fn materialise(&self, v: &Version) -> FileVersion {
        FileVersion {
            time: from_ns(v.time_ns),
            path: (v.dir != NONE).then(|| self.path_in(v.dir as usize, self.name(v.name))),
            size_bytes: v.size_bytes,
            crc: v.has_crc.then_some(v.crc),
        }
    }

    /// Appends `v` as the newest version of file `id`.
    fn push_version(&mut self, id: usize, mut v: Version) {
        let at = index_u32(self.versions.len(), "versions");
        let f = &mut self.files[id];
        v.prev = f.last;
        f.last = at;
        f.count += 1;
        self.versions.push(v);
    }

    fn last_version(&self, id: usize) -> &Version {
        &self.versions[self.files[id].last as usize]
    }

    /// Records a new file named `name` in directory `dir`, written at
    /// `time` with `size_bytes` bytes of CRC-32C `crc`; returns its id.
    pub fn add_file(
        &mut self,
        dir: usize,
        name: &str,
        time: ClaimTime,
        size_bytes: u64,
        crc: Option<u32>,
    ) -> usize {
        let id = self.files.len();
        self.dir_entries[dir] += 1;
        let name = self.intern(name);
        let at = index_u32(self.versions.len(), "versions");
        self.versions.push(Version {
            time_ns: to_ns(time),
            size_bytes,
            dir: index_u32(dir, "directories"),
            name,
            prev: NONE,
            crc: crc.unwrap_or(0),
            has_crc: crc.is_some(),
        });
        self.files.push(FileModel {
            first: at,
            last: at,
            count: 1,
        });
        self.live_pos.push(self.live.len());
        self.live.push(id);
        id
    }

    /// Records a new version of live file `id` (content change).
    pub fn set_content(&mut self, id: usize, time: ClaimTime, size_bytes: u64, crc: Option<u32>) {
        let last = *self.last_version(id);
        self.push_version(
            id,
            Version {
                time_ns: to_ns(time),
                size_bytes,
                crc: crc.unwrap_or(0),
                has_crc: crc.is_some(),
                ..last
            },
        );
    }

    /// Records that live file `id` moved to `name` in directory `dir`.
    pub fn rename(&mut self, id: usize, time: ClaimTime, dir: usize, name: &str) {
        let last = *self.last_version(id);
        if last.dir != NONE {
            self.dir_entries[last.dir as usize] -= 1;
        }
        self.dir_entries[dir] += 1;
        let name = self.intern(name);
        self.push_version(
            id,
            Version {
                time_ns: to_ns(time),
                dir: index_u32(dir, "directories"),
                name,
                ..last
            },
        );
    }

    /// Records that live file `id` was removed.
    pub fn unlink(&mut self, id: usize, time: ClaimTime) {
        let last = *self.last_version(id);
        if last.dir != NONE {
            self.dir_entries[last.dir as usize] -= 1;
        }
        self.push_version(
            id,
            Version {
                time_ns: to_ns(time),
                size_bytes: 0,
                dir: NONE,
                name: 0,
                prev: NONE,
                crc: 0,
                has_crc: false,
            },
        );
        let pos = self.live_pos[id];
        self.live.swap_remove(pos);
        if let Some(&moved) = self.live.get(pos) {
            self.live_pos[moved] = pos;
        }
        self.live_pos[id] = usize::MAX;
    }

    /// Records that empty directory `dir` was removed.
    pub fn remove_dir(&mut self, dir: usize) {
        self.dir_live[dir] = false;
        if let Some(p) = self.dir_parent[dir] {
            self.dir_entries[p] -= 1;
        }
    }

    /// File `id`'s versions, newest first.
    fn newest_first(&self, id: usize) -> impl Iterator<Item = &Version> + '_ {
        let mut at = self.files[id].last;
        std::iter::from_fn(move || {
            let v = self.versions.get(at as usize)?;
            at = v.prev;
            Some(v)
        })
    }

    /// How many versions file `id` has had.
    pub fn version_count(&self, id: usize) -> u64 {
        u64::from(self.files[id].count)
    }

    /// When file `id` was created.
    pub fn first_time(&self, id: usize) -> ClaimTime {
        from_ns(self.versions[self.files[id].first as usize].time_ns)
    }

    /// The latest version of file `id`.
    pub fn current(&self, id: usize) -> FileVersion {
        self.materialise(self.last_version(id))
    }

    /// The version of file `id` current at `t` (`None` before it existed).
    pub fn at(&self, id: usize, t: ClaimTime) -> Option<FileVersion> {
        let t_ns = to_ns(t);
        self.newest_first(id)
            .find(|v| v.time_ns <= t_ns)
            .map(|v| self.materialise(v))
    }

    /// The latest path file `id` had (its current one while it lives).
    pub fn last_path(&self, id: usize) -> Option<String> {
        self.newest_first(id)
            .find(|v| v.dir != NONE)
            .map(|v| self.path_in(v.dir as usize, self.name(v.name)))
    }

    /// The current path of file `id` (`None` once removed).
    pub fn current_path(&self, id: usize) -> Option<String> {
        let v = self.last_version(id);
        (v.dir != NONE).then(|| self.path_in(v.dir as usize, self.name(v.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_answer_by_time() {
        let mut clock = Clock::default();
        let mut m = TreeModel::default();
        m.add_dir("/tree".into(), None, 0);
        m.add_dir("/tree/d1".into(), Some(0), 1);
        let t0 = clock.tick();
        let t_created = clock.tick();
        let a = m.add_file(0, "a", t_created, 10, Some(1));
        assert_eq!(m.current_path(a).as_deref(), Some("/tree/a"));
        let t_write = clock.tick();
        m.set_content(a, t_write, 20, None);
        let t_move = clock.tick();
        m.rename(a, t_move, 1, "b");
        assert_eq!(m.dir_entries, vec![1, 1], "d1 and the moved file");
        let t_gone = clock.tick();
        m.unlink(a, t_gone);
        assert!(m.at(a, t0).is_none());
        assert_eq!(
            m.at(a, t_created),
            Some(FileVersion {
                time: t_created,
                path: Some("/tree/a".into()),
                size_bytes: 10,
                crc: Some(1),
            })
        );
        assert_eq!(
            m.at(a, t_write).map(|v| (v.size_bytes, v.crc, v.path)),
            Some((20, None, Some("/tree/a".to_string())))
        );
        assert_eq!(
            m.at(a, t_move).map(|v| (v.size_bytes, v.path)),
            Some((20, Some("/tree/d1/b".to_string())))
        );
        assert_eq!(m.at(a, t_gone).map(|v| v.path.is_none()), Some(true));
        assert_eq!(m.current_path(a), None);
        assert_eq!(m.last_path(a).as_deref(), Some("/tree/d1/b"));
        assert_eq!(m.version_count(a), 4);
        assert_eq!(m.first_time(a), t_created);
        assert_eq!(m.dir_entries, vec![1, 0]);
        assert!(m.live.is_empty());
        assert!(clock.last() == t_gone);
    }

    #[test]
    fn times_finer_than_a_millisecond_are_kept() {
        let mut m = TreeModel::default();
        m.add_dir("/t".into(), None, 0);
        let t = Utc
            .timestamp_opt(1_700_000_000, 123_456_789)
            .single()
            .expect("valid instant");
        let a = m.add_file(0, "x", t, 5, None);
        assert_eq!(m.current(a).time, t);
        assert!(m.at(a, t - Duration::nanoseconds(1)).is_none());
        assert_eq!(m.at(a, t).map(|v| v.size_bytes), Some(5));
    }

    #[test]
    fn interleaved_files_keep_their_own_versions() {
        // Versions of many files interleave in the arena; each file's
        // chain must still be its own, in order.
        let mut clock = Clock::default();
        let mut m = TreeModel::default();
        m.add_dir("/t".into(), None, 0);
        let ids: Vec<usize> = (0..50)
            .map(|i| m.add_file(0, &format!("f{i}"), clock.tick(), i, Some(i as u32)))
            .collect();
        for round in 1..4u64 {
            for &id in &ids {
                m.set_content(id, clock.tick(), 100 * round + id as u64, None);
            }
        }
        for &id in &ids {
            assert_eq!(m.version_count(id), 4);
            assert_eq!(m.current(id).size_bytes, 300 + id as u64);
            assert_eq!(m.current_path(id), Some(format!("/t/f{id}")));
            let created = m.first_time(id);
            assert_eq!(m.at(id, created).map(|v| v.crc), Some(Some(id as u32)));
        }
    }

    #[test]
    fn a_file_costs_a_few_dozen_bytes() {
        // The model of a million files must stay small: no heap per file
        // or per version (measured before: a Vec, a path and a name String
        // per file, about 200 bytes plus allocator overhead).
        assert_eq!(std::mem::size_of::<Version>(), 40);
        assert_eq!(std::mem::size_of::<FileModel>(), 12);
        let mut clock = Clock::default();
        let mut m = TreeModel::default();
        m.add_dir("/t".into(), None, 0);
        for i in 0..1000u64 {
            m.add_file(0, &format!("f{i:06}.rs"), clock.tick(), i, Some(0));
        }
        assert_eq!(m.versions.len(), 1000);
        assert_eq!(m.name_bytes.len(), 1000 * 10, "names stored once, unframed");
    }

    #[test]
    fn unlink_keeps_live_positions() {
        let mut clock = Clock::default();
        let mut m = TreeModel::default();
        m.add_dir("/t".into(), None, 0);
        let ids: Vec<usize> = (0..5)
            .map(|i| m.add_file(0, &i.to_string(), clock.tick(), 1, Some(1)))
            .collect();
        m.unlink(ids[1], clock.tick());
        m.unlink(ids[4], clock.tick());
        let mut live = m.live.clone();
        live.sort_unstable();
        assert_eq!(live, vec![0, 2, 3]);
        m.unlink(ids[0], clock.tick());
        m.unlink(ids[3], clock.tick());
        m.unlink(ids[2], clock.tick());
        assert!(m.live.is_empty());
        assert_eq!(m.dir_entries[0], 0);
        assert_eq!(m.file_count(), 5);
    }
}
