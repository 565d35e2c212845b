//! What the filesystem should hold: every version of every file the
//! benchmarks wrote (time, path, size, checksum), the live directories and
//! their entry counts. Reads are checked against it, so a benchmark that
//! reads wrong data fails instead of reporting a fast wrong answer.

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

/// One version of a file.
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

/// A file's versions, oldest first.
#[derive(Debug, Clone, Default)]
pub struct FileModel {
    /// Never empty once created.
    pub versions: Vec<FileVersion>,
    /// Index of the directory it is in now.
    pub dir: usize,
    /// Its name in that directory.
    pub name: String,
}

impl FileModel {
    /// The version current at `t` (`None` before the file existed).
    pub fn at(&self, t: ClaimTime) -> Option<&FileVersion> {
        let n = self.versions.partition_point(|v| v.time <= t);
        n.checked_sub(1).map(|i| &self.versions[i])
    }

    /// The latest version.
    pub fn current(&self) -> Option<&FileVersion> {
        self.versions.last()
    }
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
    pub files: Vec<FileModel>,
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

    /// Records a new file; returns its id.
    pub fn add_file(&mut self, dir: usize, name: String, version: FileVersion) -> usize {
        let id = self.files.len();
        self.dir_entries[dir] += 1;
        self.files.push(FileModel {
            versions: vec![version],
            dir,
            name,
        });
        self.live_pos.push(self.live.len());
        self.live.push(id);
        id
    }

    /// Records a new version of live file `id` (content change).
    pub fn set_content(&mut self, id: usize, time: ClaimTime, size_bytes: u64, crc: Option<u32>) {
        let f = &mut self.files[id];
        let path = f.current().and_then(|v| v.path.clone());
        f.versions.push(FileVersion {
            time,
            path,
            size_bytes,
            crc,
        });
    }

    /// Records that live file `id` moved to `name` in directory `dir`.
    pub fn rename(&mut self, id: usize, time: ClaimTime, dir: usize, name: String) {
        let path = self.path_in(dir, &name);
        let old_dir = self.files[id].dir;
        self.dir_entries[old_dir] -= 1;
        self.dir_entries[dir] += 1;
        let f = &mut self.files[id];
        let (size_bytes, crc) = f.current().map_or((0, None), |v| (v.size_bytes, v.crc));
        f.versions.push(FileVersion {
            time,
            path: Some(path),
            size_bytes,
            crc,
        });
        f.dir = dir;
        f.name = name;
    }

    /// Records that live file `id` was removed.
    pub fn unlink(&mut self, id: usize, time: ClaimTime) {
        let dir = self.files[id].dir;
        self.dir_entries[dir] -= 1;
        self.files[id].versions.push(FileVersion {
            time,
            path: None,
            size_bytes: 0,
            crc: None,
        });
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

    /// The current path of live file `id`.
    pub fn current_path(&self, id: usize) -> Option<&str> {
        self.files[id].current().and_then(|v| v.path.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(clock: &mut Clock, path: &str, size: u64) -> FileVersion {
        FileVersion {
            time: clock.tick(),
            path: Some(path.into()),
            size_bytes: size,
            crc: Some(1),
        }
    }

    #[test]
    fn versions_answer_by_time() {
        let mut clock = Clock::default();
        let mut m = TreeModel::default();
        m.add_dir("/tree".into(), None, 0);
        m.add_dir("/tree/d1".into(), Some(0), 1);
        let t0 = clock.tick();
        let v = version(&mut clock, "/tree/a", 10);
        let t_created = v.time;
        let a = m.add_file(0, "a".into(), v);
        let t_write = clock.tick();
        m.set_content(a, t_write, 20, None);
        let t_move = clock.tick();
        m.rename(a, t_move, 1, "b".into());
        let t_gone = clock.tick();
        m.unlink(a, t_gone);
        let f = &m.files[a];
        assert!(f.at(t0).is_none());
        assert_eq!(f.at(t_created).map(|v| v.size_bytes), Some(10));
        assert_eq!(
            f.at(t_write).map(|v| (v.size_bytes, v.crc)),
            Some((20, None))
        );
        assert_eq!(
            f.at(t_move).and_then(|v| v.path.clone()),
            Some("/tree/d1/b".to_string())
        );
        assert_eq!(f.at(t_gone).map(|v| v.path.is_none()), Some(true));
        assert_eq!(m.dir_entries, vec![1, 0]);
        assert!(m.live.is_empty());
        assert!(clock.last() == t_gone);
    }

    #[test]
    fn unlink_keeps_live_positions() {
        let mut clock = Clock::default();
        let mut m = TreeModel::default();
        m.add_dir("/t".into(), None, 0);
        let ids: Vec<usize> = (0..5)
            .map(|i| {
                let v = version(&mut clock, &format!("/t/{i}"), 1);
                m.add_file(0, i.to_string(), v)
            })
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
    }
}
