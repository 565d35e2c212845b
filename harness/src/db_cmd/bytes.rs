//! Byte rendering shared by the commands: `ldb`'s `0x` uppercase hex, and
//! `leveldbutil`'s escaping of non-printable bytes as `\xNN`.

use super::error::{BadHex, HexProblem};
use std::fmt::Write as _;

/// `0x` followed by two uppercase hex digits per byte, as `ldb --hex`
/// prints keys and values (`"a\x01"` → `0x6101`; empty → `0x`).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 + 2 * bytes.len());
    out.push_str("0x");
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02X}");
    }
    out
}

/// Decodes `0x`-prefixed hex (either case of digits and prefix).
///
/// # Errors
/// [`BadHex`] naming `what` if the prefix is missing, the digit count is
/// odd, or a character is not a hex digit (bad usage: exit 2).
pub fn from_hex(text: &str, what: &'static str) -> Result<Vec<u8>, BadHex> {
    let bad = |problem| BadHex {
        what,
        text: text.to_string(),
        problem,
    };
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or_else(|| bad(HexProblem::NoPrefix))?;
    if digits.len() % 2 != 0 {
        return Err(bad(HexProblem::OddDigits));
    }
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let high = hex_digit(pair[0]);
            let low = hex_digit(pair[1]);
            match (high, low) {
                (Some(h), Some(l)) => Ok(h << 4 | l),
                _ => Err(bad(HexProblem::NotHex)),
            }
        })
        .collect()
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A key or value given on the command line. With `hex`, a `0x`-prefixed
/// argument is decoded as hex (as `ldb --key_hex` reads it) and any other is
/// taken literally; without `hex`, always the text's bytes.
///
/// # Errors
/// As [`from_hex`] for a `0x`-prefixed argument that is not valid hex.
pub fn arg_bytes(text: &str, hex: bool, what: &'static str) -> Result<Vec<u8>, BadHex> {
    if hex && (text.starts_with("0x") || text.starts_with("0X")) {
        from_hex(text, what)
    } else {
        Ok(text.as_bytes().to_vec())
    }
}

/// `leveldbutil`'s `EscapeString` (non-printable bytes as `\xNN`): the
/// engine's, so `get`'s messages and `dump`'s lines escape alike.
pub use strata_lsm::dump::escape;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_in_uppercase() {
        assert_eq!(to_hex(b"a\x01"), "0x6101");
        assert_eq!(to_hex(&[0xab, 0xff, 0x00]), "0xABFF00");
        assert_eq!(to_hex(b""), "0x");
        assert_eq!(
            from_hex("0xabFF00", "key").expect("hex"),
            vec![0xab, 0xff, 0]
        );
        assert_eq!(from_hex("0X", "key").expect("hex"), Vec::<u8>::new());
    }

    #[test]
    fn bad_hex_names_its_problem() {
        for (bad, problem) in [
            ("6101", HexProblem::NoPrefix),
            ("0x610", HexProblem::OddDigits),
            ("0x6g", HexProblem::NotHex),
        ] {
            let e = from_hex(bad, "key").expect_err(bad);
            assert_eq!((e.what, e.text.as_str(), e.problem), ("key", bad, problem));
        }
    }

    #[test]
    fn args_decode_hex_only_with_the_flag_and_prefix() {
        assert_eq!(arg_bytes("0x41", true, "key").expect("hex"), b"A");
        assert_eq!(arg_bytes("0x41", false, "key").expect("text"), b"0x41");
        assert_eq!(arg_bytes("abc", true, "key").expect("text"), b"abc");
    }
}
