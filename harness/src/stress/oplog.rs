//! The side file in which a child records what it writes, one line per
//! record, each line one `write(2)`:
//!
//! ```text
//! H <round> <value_size>          the child started
//! O <open_ms>                     the database opened
//! I <seq> <S|N> <p|d><key>,...    op <seq> is about to be issued (synced or not;
//!                                 `-` for an empty batch)
//! A <seq>                         op <seq> was acknowledged
//! ```
//!
//! An intent line is written before its op is issued and is never synced:
//! SIGKILL keeps the page cache, so it tells the parent what the child may
//! have written. The ack line is written after the op returns; after a
//! synced op's ack the file is fsync'd, so the claim "this synced write was
//! acknowledged" would survive even a machine crash, as the write itself
//! must. A line cut short by the kill (no newline) is ignored.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// One update of an op: a put or a delete of key index `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Update {
    /// The key's index.
    pub key: u64,
    /// A put (of the value the op's id names) rather than a delete.
    pub put: bool,
}

/// One op the child issued (or was about to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedOp {
    /// Its number in the round, from 1.
    pub seq: u64,
    /// Issued with `sync = true`.
    pub sync: bool,
    /// Its updates, in batch order (slot = position).
    pub updates: Vec<Update>,
}

/// Appends the records of one round (the child's side).
pub struct OpLogWriter {
    file: File,
    line: String,
}

impl OpLogWriter {
    /// Creates (truncating) the side file at `path` and writes its header.
    ///
    /// # Errors
    /// The file cannot be created or written.
    pub fn create(path: &Path, round: u64, value_size: usize) -> std::io::Result<Self> {
        let file = File::create(path)?;
        let mut w = OpLogWriter {
            file,
            line: String::new(),
        };
        w.emit(format_args!("H {round} {value_size}"))?;
        w.file.sync_all()?;
        Ok(w)
    }

    /// Records that the database opened after `open_ms`.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn opened(&mut self, open_ms: u64) -> std::io::Result<()> {
        self.emit(format_args!("O {open_ms}"))
    }

    /// Records that op `op` is about to be issued.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn intent(&mut self, op: &LoggedOp) -> std::io::Result<()> {
        let mut text = format!("I {} {} ", op.seq, if op.sync { 'S' } else { 'N' });
        if op.updates.is_empty() {
            text.push('-');
        }
        for (i, u) in op.updates.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push(if u.put { 'p' } else { 'd' });
            text.push_str(&u.key.to_string());
        }
        self.emit(format_args!("{text}"))
    }

    /// Records that op `seq` was acknowledged; if it was synced, fsyncs the
    /// file before returning.
    ///
    /// # Errors
    /// The file cannot be written or synced.
    pub fn ack(&mut self, seq: u64, sync: bool) -> std::io::Result<()> {
        self.emit(format_args!("A {seq}"))?;
        if sync {
            self.file.sync_data()?;
        }
        Ok(())
    }

    /// Writes one line with one `write(2)` (no user-space buffer to lose).
    fn emit(&mut self, args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
        use std::fmt::Write as _;
        self.line.clear();
        let _ = self.line.write_fmt(args);
        self.line.push('\n');
        self.file.write_all(self.line.as_bytes())
    }
}

/// What one round's side file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundLog {
    /// The database opened (an `O` record), after this many ms.
    pub open_ms: Option<u64>,
    /// Every op with an intent record, in order (`seq` = index + 1).
    pub ops: Vec<LoggedOp>,
    /// How many of `ops` (a prefix) were acknowledged.
    pub acked: usize,
}

impl RoundLog {
    /// Reads the side file of round `round` at `path`; a missing or empty
    /// file is a child killed before it wrote anything.
    ///
    /// # Errors
    /// The file cannot be read, or a complete line breaks the format (a
    /// bug of the child, never a result of the kill).
    pub fn read(path: &Path, round: u64) -> Result<RoundLog, String> {
        let text = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(RoundLog::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let mut log = RoundLog::default();
        // The last line without a newline was cut by the kill.
        let complete = match text.iter().rposition(|&b| b == b'\n') {
            Some(end) => &text[..=end],
            None => &[][..],
        };
        let complete =
            std::str::from_utf8(complete).map_err(|_| format!("{}: not UTF-8", path.display()))?;
        for (i, line) in complete.lines().enumerate() {
            log.apply(line, round)
                .map_err(|why| format!("{} line {}: {why}: '{line}'", path.display(), i + 1))?;
        }
        Ok(log)
    }

    fn apply(&mut self, line: &str, round: u64) -> Result<(), String> {
        let mut fields = line.split(' ');
        let tag = fields.next().unwrap_or("");
        let mut number = || -> Result<u64, String> {
            fields
                .next()
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| "missing number".to_string())
        };
        match tag {
            "H" if number()? == round => Ok(()),
            "H" => Err(format!("not round {round}'s file")),
            "O" => {
                self.open_ms = Some(number()?);
                Ok(())
            }
            "A" => {
                let seq = number()?;
                if self.acked + 1 != self.ops.len() || seq != self.ops.len() as u64 {
                    return Err("an ack that is not of the latest unacknowledged op".into());
                }
                self.acked += 1;
                Ok(())
            }
            "I" => {
                let seq = number()?;
                if seq != self.ops.len() as u64 + 1 || self.acked != self.ops.len() {
                    return Err("an op issued before the previous one was acknowledged".into());
                }
                let op = parse_intent(seq, line)?;
                self.ops.push(op);
                Ok(())
            }
            _ => Err("unknown record".into()),
        }
    }

    /// The op issued but never acknowledged (the kill came first), if any.
    pub fn in_flight(&self) -> Option<&LoggedOp> {
        self.ops.get(self.acked)
    }
}

fn parse_intent(seq: u64, line: &str) -> Result<LoggedOp, String> {
    let mut fields = line.split(' ').skip(2);
    let sync = match fields.next() {
        Some("S") => true,
        Some("N") => false,
        _ => return Err("sync flag is not S or N".into()),
    };
    let updates = fields.next().ok_or("no updates")?;
    if updates == "-" {
        return Ok(LoggedOp {
            seq,
            sync,
            updates: Vec::new(),
        });
    }
    let updates = updates
        .split(',')
        .map(|u| {
            let put = match u.as_bytes().first() {
                Some(b'p') => true,
                Some(b'd') => false,
                _ => return Err(format!("bad update '{u}'")),
            };
            let key = u[1..].parse().map_err(|_| format!("bad key in '{u}'"))?;
            Ok(Update { key, put })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(LoggedOp { seq, sync, updates })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_reads_back_and_a_cut_line_is_ignored() {
        let dir = std::env::temp_dir().join(format!("strata-oplog-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("ops");
        let op = |seq, sync| LoggedOp {
            seq,
            sync,
            updates: vec![Update { key: 3, put: true }, Update { key: 9, put: false }],
        };
        let mut w = OpLogWriter::create(&path, 4, 100).expect("create");
        w.opened(12).expect("open");
        w.intent(&op(1, true)).expect("intent");
        w.ack(1, true).expect("ack");
        let empty = LoggedOp {
            seq: 2,
            sync: true,
            updates: Vec::new(),
        };
        w.intent(&empty).expect("intent");
        w.ack(2, true).expect("ack");
        w.intent(&op(3, false)).expect("intent");
        drop(w);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("reopen");
        file.write_all(b"A 3").expect("cut line");
        let log = RoundLog::read(&path, 4).expect("read");
        assert_eq!(log.open_ms, Some(12));
        assert_eq!(log.ops, vec![op(1, true), empty, op(3, false)]);
        assert_eq!(log.acked, 2);
        assert_eq!(log.in_flight(), Some(&op(3, false)));
        assert!(RoundLog::read(&path, 5).is_err(), "another round's file");
        for bad in [
            "H 4 100\nA 1\n",
            "H 4 100\nI 1 N p1\nI 2 N p2\n",
            "H 4 100\nI 1 X p1\n",
        ] {
            std::fs::write(&path, bad).expect("write");
            assert!(RoundLog::read(&path, 4).is_err(), "accepted {bad:?}");
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
