//! Claim times: `chrono::DateTime<Utc>`, RFC 3339 in and out, and the
//! fixed-width sortable form used in index keys.

use crate::error::{FsError, Result};
use chrono::{DateTime, Datelike, SecondsFormat, Utc};

/// A claim time.
pub type ClaimTime = DateTime<Utc>;

/// Bytes of [`sortable`]'s output: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
pub const SORTABLE_BYTES: usize = 30;

/// Parses an RFC 3339 time (any offset; converted to UTC).
///
/// # Errors
/// `BadTime` if `text` is not RFC 3339 or its year is outside 0..=9999
/// (the range whose fixed-width form sorts correctly in index keys).
pub fn parse_rfc3339(text: &str) -> Result<ClaimTime> {
    let t = DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| FsError::BadTime(format!("'{text}' is not an RFC 3339 time: {e}")))?
        .with_timezone(&Utc);
    check_range(t)?;
    Ok(t)
}

/// Checks that `t` has a year in 0..=9999.
///
/// # Errors
/// `BadTime` otherwise.
pub fn check_range(t: ClaimTime) -> Result<()> {
    if (0..=9999).contains(&t.year()) {
        Ok(())
    } else {
        Err(FsError::BadTime(format!(
            "{} is outside the years 0000..=9999",
            to_rfc3339(t)
        )))
    }
}

/// The RFC 3339 form written into claims (`claimDate`) and printed: UTC
/// with a `Z`, with 0, 3, 6 or 9 fractional digits as needed.
pub fn to_rfc3339(t: ClaimTime) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The fixed-width form used in index keys: lexicographic order of these
/// strings is time order for years 0..=9999.
pub fn sortable(t: ClaimTime) -> String {
    use chrono::Timelike;
    // By hand: this runs for every index key a claim gets, and chrono's
    // formatter interprets its pattern each time. A leap second (nanosecond
    // past 10^9) prints as second 60, as chrono prints it.
    let (second, nanos) = match t.nanosecond() {
        n if n >= 1_000_000_000 => (t.second() + 1, n - 1_000_000_000),
        n => (t.second(), n),
    };
    let mut s = String::with_capacity(SORTABLE_BYTES);
    push_digits(&mut s, u32::try_from(t.year()).unwrap_or(0), 4);
    for (sep, n, width) in [
        ('-', t.month(), 2),
        ('-', t.day(), 2),
        ('T', t.hour(), 2),
        (':', t.minute(), 2),
        (':', second, 2),
        ('.', nanos, 9),
    ] {
        s.push(sep);
        push_digits(&mut s, n, width);
    }
    s.push('Z');
    s
}

/// Appends the low `width` decimal digits of `n`, zero-padded.
fn push_digits(s: &mut String, mut n: u32, width: usize) {
    let mut digits = [b'0'; 10];
    for d in digits[..width].iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    s.extend(digits[..width].iter().map(|&b| char::from(b)));
}

/// Parses [`sortable`]'s output back.
///
/// # Errors
/// `Corruption` naming `what` if `text` is not in that form.
pub fn parse_sortable(text: &[u8], what: &str) -> Result<ClaimTime> {
    let s = std::str::from_utf8(text)
        .map_err(|_| FsError::corruption(what, "claim date in index key is not UTF-8"))?;
    if s.len() != SORTABLE_BYTES {
        return Err(FsError::corruption(
            what,
            format!("claim date '{s}' in index key is not {SORTABLE_BYTES} bytes"),
        ));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| FsError::corruption(what, format!("bad claim date '{s}' in index key: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sortable_is_fixed_width_and_ordered() {
        let a = parse_rfc3339("0999-01-02T03:04:05Z").expect("valid");
        let b = parse_rfc3339("2024-06-01T12:00:00.5+02:00").expect("valid");
        let c = parse_rfc3339("2024-06-01T10:00:00.500000001Z").expect("valid");
        for t in [a, b, c] {
            assert_eq!(sortable(t).len(), SORTABLE_BYTES);
            assert_eq!(
                parse_sortable(sortable(t).as_bytes(), "k").expect("back"),
                t
            );
        }
        assert!(sortable(a) < sortable(b) && sortable(b) < sortable(c));
        // The same text as chrono's formatter, leap second included.
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_000_000_007))
            .expect("leap second")
            .and_utc();
        for t in [a, b, c, leap, DateTime::UNIX_EPOCH] {
            assert_eq!(sortable(t), t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string());
        }
        assert_eq!(to_rfc3339(b), "2024-06-01T10:00:00.500Z");
    }

    #[test]
    fn bad_times_are_bad_time_errors() {
        assert!(matches!(
            parse_rfc3339("yesterday"),
            Err(FsError::BadTime(_))
        ));
        assert!(matches!(
            parse_rfc3339("2024-13-01T00:00:00Z"),
            Err(FsError::BadTime(_))
        ));
        assert!(parse_sortable(b"2024", "k").is_err());
    }
}
