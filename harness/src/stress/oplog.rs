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

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

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

/// Why a complete line of a side file breaks the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRecord {
    /// A number field is missing or not a number.
    MissingNumber,
    /// The header names another round.
    OtherRound {
        /// The round the reader expected.
        round: u64,
    },
    /// An ack of an op other than the latest unacknowledged one.
    AckOutOfOrder,
    /// An intent before the previous op was acknowledged.
    IntentOutOfOrder,
    /// The sync field is not `S` or `N`.
    BadSyncFlag,
    /// An intent without its updates field.
    NoUpdates,
    /// An update that is not `p<key>` or `d<key>`.
    BadUpdate {
        /// The update as written.
        update: String,
    },
    /// An update whose key is not a number.
    BadKey {
        /// The update as written.
        update: String,
    },
    /// A tag other than `H`, `O`, `I`, `A`.
    UnknownRecord,
}

impl fmt::Display for BadRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadRecord::MissingNumber => write!(f, "missing number"),
            BadRecord::OtherRound { round } => write!(f, "not round {round}'s file"),
            BadRecord::AckOutOfOrder => {
                write!(f, "an ack that is not of the latest unacknowledged op")
            }
            BadRecord::IntentOutOfOrder => {
                write!(f, "an op issued before the previous one was acknowledged")
            }
            BadRecord::BadSyncFlag => write!(f, "sync flag is not S or N"),
            BadRecord::NoUpdates => write!(f, "no updates"),
            BadRecord::BadUpdate { update } => write!(f, "bad update '{update}'"),
            BadRecord::BadKey { update } => write!(f, "bad key in '{update}'"),
            BadRecord::UnknownRecord => write!(f, "unknown record"),
        }
    }
}

/// Why a side file cannot be read.
#[derive(Debug)]
pub enum LogError {
    /// The file exists but cannot be read.
    Read {
        /// The side file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Its complete lines are not UTF-8.
    NotUtf8 {
        /// The side file.
        path: PathBuf,
    },
    /// A complete line breaks the format (a bug of the child, never a
    /// result of the kill).
    Line {
        /// The side file.
        path: PathBuf,
        /// The line's number, from 1.
        number: usize,
        /// The line.
        line: String,
        /// What is wrong with it.
        why: BadRecord,
    },
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::Read { path, source } => write!(f, "{}: {source}", path.display()),
            LogError::NotUtf8 { path } => write!(f, "{}: not UTF-8", path.display()),
            LogError::Line {
                path,
                number,
                line,
                why,
            } => write!(f, "{} line {number}: {why}: '{line}'", path.display()),
        }
    }
}

impl std::error::Error for LogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LogError::Read { source, .. } => Some(source),
            _ => None,
        }
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
    /// A [`LogError`]: the file cannot be read, or a complete line breaks
    /// the format (a bug of the child, never a result of the kill).
    pub fn read(path: &Path, round: u64) -> Result<RoundLog, LogError> {
        let text = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(RoundLog::default()),
            Err(source) => {
                return Err(LogError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let mut log = RoundLog::default();
        // The last line without a newline was cut by the kill.
        let complete = match text.iter().rposition(|&b| b == b'\n') {
            Some(end) => &text[..=end],
            None => &[][..],
        };
        let complete = std::str::from_utf8(complete).map_err(|_| LogError::NotUtf8 {
            path: path.to_path_buf(),
        })?;
        for (i, line) in complete.lines().enumerate() {
            log.apply(line, round).map_err(|why| LogError::Line {
                path: path.to_path_buf(),
                number: i + 1,
                line: line.to_string(),
                why,
            })?;
        }
        Ok(log)
    }

    fn apply(&mut self, line: &str, round: u64) -> Result<(), BadRecord> {
        let mut fields = line.split(' ');
        let tag = fields.next().unwrap_or("");
        let mut number = || -> Result<u64, BadRecord> {
            fields
                .next()
                .and_then(|f| f.parse().ok())
                .ok_or(BadRecord::MissingNumber)
        };
        match tag {
            "H" if number()? == round => Ok(()),
            "H" => Err(BadRecord::OtherRound { round }),
            "O" => {
                self.open_ms = Some(number()?);
                Ok(())
            }
            "A" => {
                let seq = number()?;
                if self.acked + 1 != self.ops.len() || seq != self.ops.len() as u64 {
                    return Err(BadRecord::AckOutOfOrder);
                }
                self.acked += 1;
                Ok(())
            }
            "I" => {
                let seq = number()?;
                if seq != self.ops.len() as u64 + 1 || self.acked != self.ops.len() {
                    return Err(BadRecord::IntentOutOfOrder);
                }
                let op = parse_intent(seq, line)?;
                self.ops.push(op);
                Ok(())
            }
            _ => Err(BadRecord::UnknownRecord),
        }
    }

    /// The op issued but never acknowledged (the kill came first), if any.
    pub fn in_flight(&self) -> Option<&LoggedOp> {
        self.ops.get(self.acked)
    }
}

fn parse_intent(seq: u64, line: &str) -> Result<LoggedOp, BadRecord> {
    let mut fields = line.split(' ').skip(2);
    let sync = match fields.next() {
        Some("S") => true,
        Some("N") => false,
        _ => return Err(BadRecord::BadSyncFlag),
    };
    let updates = fields.next().ok_or(BadRecord::NoUpdates)?;
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
                _ => {
                    return Err(BadRecord::BadUpdate {
                        update: u.to_string(),
                    })
                }
            };
            let key = u[1..].parse().map_err(|_| BadRecord::BadKey {
                update: u.to_string(),
            })?;
            Ok(Update { key, put })
        })
        .collect::<Result<Vec<_>, _>>()?;
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
        let why = |round, text: &str| match RoundLog::read(&path, round) {
            Err(LogError::Line { number, why, .. }) => (number, why),
            other => panic!("{text:?} gave {other:?}"),
        };
        assert_eq!(
            why(5, "the file as written"),
            (1, BadRecord::OtherRound { round: 5 })
        );
        for (bad, number, expected) in [
            ("H 4 100\nA 1\n", 2, BadRecord::AckOutOfOrder),
            (
                "H 4 100\nI 1 N p1\nI 2 N p2\n",
                3,
                BadRecord::IntentOutOfOrder,
            ),
            ("H 4 100\nI 1 X p1\n", 2, BadRecord::BadSyncFlag),
            (
                "H 4 100\nI 1 N x1\n",
                2,
                BadRecord::BadUpdate {
                    update: "x1".into(),
                },
            ),
        ] {
            std::fs::write(&path, bad).expect("write");
            assert_eq!(why(4, bad), (number, expected), "{bad:?}");
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
