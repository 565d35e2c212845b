//! `load`: one `KEY ==> VALUE` pair a line (`ldb load`'s format), written
//! as one batch so a malformed file changes nothing.

use super::bytes::arg_bytes;
use super::error::{DbError, LineProblem};
use super::point::synced;
use std::io::Write;
use std::path::Path;
use strata_api::{Engine, WriteBatch};

/// What separates a key from its value on a line.
const DELIMITER: &[u8] = b" ==> ";

/// Parses every line of `file` and writes the pairs in one atomic batch,
/// then prints `OK`. Empty lines are skipped; the key is everything before
/// the first ` ==> `, the value everything after it.
///
/// # Errors
/// Exit 1, naming the file and line, for a line without ` ==> ` (or with
/// bad hex under `hex`), leaving the database untouched; exit 1 if the
/// file cannot be read or the write fails.
pub fn load(
    engine: &dyn Engine,
    file: &Path,
    hex: bool,
    out: &mut dyn Write,
) -> Result<(), DbError> {
    let text = std::fs::read(file).map_err(|source| DbError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let batch = parse(&text, hex).map_err(|(line, problem)| DbError::BadLine {
        path: file.to_path_buf(),
        line,
        problem,
    })?;
    engine.write(&synced(), &batch)?;
    writeln!(out, "OK")?;
    Ok(())
}

/// The batch of every pair in `text`, or the 1-based number of the first
/// bad line and why it is bad.
fn parse(text: &[u8], hex: bool) -> Result<WriteBatch, (usize, LineProblem)> {
    let mut batch = WriteBatch::new();
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        if line.is_empty() {
            continue;
        }
        let at = line
            .windows(DELIMITER.len())
            .position(|w| w == DELIMITER)
            .ok_or((number, LineProblem::NoDelimiter))?;
        let (key, value) = (&line[..at], &line[at + DELIMITER.len()..]);
        if hex {
            let decode = |bytes: &[u8], what: &'static str| {
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| (number, LineProblem::NotUtf8 { what }))?;
                arg_bytes(text, true, what).map_err(|bad| (number, LineProblem::Hex(bad)))
            };
            batch.put(&decode(key, "key")?, &decode(value, "value")?);
        } else {
            batch.put(key, value);
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_api::BatchOp;

    fn pairs(batch: &WriteBatch) -> Vec<(Vec<u8>, Vec<u8>)> {
        batch
            .iter()
            .map(|op| match op.expect("well formed") {
                BatchOp::Put { key, value } => (key.to_vec(), value.to_vec()),
                BatchOp::Delete { key } => panic!("unexpected delete of {key:?}"),
            })
            .collect()
    }

    #[test]
    fn splits_at_the_first_delimiter_and_skips_empty_lines() {
        let batch = parse(b"a ==> 1\n\nb ==> x ==> y\nc ==> \n", false).expect("parses");
        assert_eq!(
            pairs(&batch),
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"x ==> y".to_vec()),
                (b"c".to_vec(), b"".to_vec()),
            ]
        );
    }

    #[test]
    fn names_the_first_bad_line() {
        let err = parse(b"a ==> 1\nb => 2\nc\n", false).expect_err("line 2 is bad");
        assert_eq!(err, (2, LineProblem::NoDelimiter));
    }

    #[test]
    fn decodes_hex_pairs() {
        let batch = parse(b"0x6101 ==> 0x00FF\n", true).expect("parses");
        assert_eq!(pairs(&batch), vec![(b"a\x01".to_vec(), vec![0x00, 0xff])]);
        let (line, problem) = parse(b"0x6 ==> 0x00\n", true).expect_err("odd");
        assert_eq!(line, 1);
        assert!(
            matches!(&problem, LineProblem::Hex(bad) if bad.what == "key"),
            "{problem:?}"
        );
    }
}
