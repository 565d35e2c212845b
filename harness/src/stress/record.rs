//! Keys and self-identifying values.
//!
//! A key is its index as 16 decimal digits (db_bench's key width). A value
//! names the write that produced it, then pads to `--value_size` with bytes
//! derived from that name, half random letters and half their repetition
//! (so Snappy has something to compress, as db_bench's values do):
//!
//! ```text
//! v0000000000001234r0000012s00000000345b002.qhzkeqp…qhzkeqp…
//!  key               round   op in round  batch slot
//! ```
//!
//! So a value found in the database is checked byte for byte: it must be
//! exactly the value some write of this key produced.

use super::rng::Rng;
use std::fmt;

/// Bytes of the header that names the write.
pub const HEADER_BYTES: usize = 42;
/// Most updates in one batch (slots are numbered from 0).
pub const MAX_BATCH_OPS: usize = 8;
/// Most rounds: the round fits the packed id's 20 bits.
pub const MAX_ROUNDS: u64 = (1 << 20) - 1;

/// One update of one write: the child's round, the op's number in the
/// round (from 1) and the update's slot in the op's batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriteId {
    /// The round whose child wrote it (from 1).
    pub round: u32,
    /// The op's number within the round (from 1).
    pub seq: u64,
    /// The update's position in the op's batch (0 for a single put).
    pub slot: u8,
}

impl WriteId {
    /// The id packed into 64 bits, ordered as the ids are: round (20 bits),
    /// seq (36 bits), slot (8 bits).
    pub fn pack(self) -> u64 {
        (u64::from(self.round) << 44) | (self.seq << 8) | u64::from(self.slot)
    }

    /// The inverse of [`WriteId::pack`].
    #[cfg(test)]
    pub fn unpack(packed: u64) -> Self {
        WriteId {
            round: (packed >> 44) as u32,
            seq: (packed >> 8) & ((1 << 36) - 1),
            slot: (packed & 0xff) as u8,
        }
    }
}

impl fmt::Display for WriteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "round {} op {}", self.round, self.seq)?;
        if self.slot > 0 {
            write!(f, " slot {}", self.slot)?;
        }
        Ok(())
    }
}

/// The key of index `index`.
pub fn key(index: u64) -> String {
    format!("{index:016}")
}

/// The index of `key`, if it is a key this test writes.
pub fn key_index(key: &[u8]) -> Option<u64> {
    if key.len() != 16 || !key.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(key).ok()?.parse().ok()
}

/// Writes into `out` the value that write `id` of key `index` puts,
/// `size_bytes` long (at least [`HEADER_BYTES`]).
pub fn fill_value(index: u64, id: WriteId, size_bytes: usize, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(
        format!(
            "v{index:016}r{:07}s{:011}b{:03}.",
            id.round, id.seq, id.slot
        )
        .as_bytes(),
    );
    debug_assert_eq!(out.len(), HEADER_BYTES);
    let pad = size_bytes.saturating_sub(HEADER_BYTES);
    let mut rng = Rng::derived(index, id.pack());
    let half = pad.div_ceil(2);
    for _ in 0..half {
        out.push(b'a' + rng.below(26) as u8);
    }
    for i in 0..pad - half {
        out.push(out[HEADER_BYTES + i]);
    }
}

/// The value that write `id` of key `index` puts.
pub fn value(index: u64, id: WriteId, size_bytes: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(size_bytes);
    fill_value(index, id, size_bytes, &mut v);
    v
}

/// Why a value found under a key is no write's of this test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAWrite {
    /// Shorter than a header, or a header that is not text.
    NoHeader,
    /// A header whose tags or numbers are wrong.
    BadHeader {
        /// The header.
        header: String,
    },
    /// A header naming another key.
    OtherKey {
        /// The key index the header names.
        named: u64,
    },
    /// A length other than `--value_size`.
    WrongSize {
        /// The value's length.
        found_bytes: usize,
        /// Every value's length.
        size_bytes: usize,
    },
    /// Padding that is not the one the header's write puts.
    BadPadding {
        /// The header.
        header: String,
    },
}

impl fmt::Display for NotAWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotAWrite::NoHeader => write!(f, "no value header"),
            NotAWrite::BadHeader { header } => write!(f, "bad header '{header}'"),
            NotAWrite::OtherKey { named } => write!(f, "the value names key {}", key(*named)),
            NotAWrite::WrongSize {
                found_bytes,
                size_bytes,
            } => write!(f, "{found_bytes} bytes where every value has {size_bytes}"),
            NotAWrite::BadPadding { header } => {
                write!(f, "the padding after '{header}' is not that write's")
            }
        }
    }
}

/// The write that produced `found` as the value of key `index`.
///
/// # Errors
/// Why no write of this test could have produced it.
pub fn identify(index: u64, found: &[u8], size_bytes: usize) -> Result<WriteId, NotAWrite> {
    let header = found
        .get(..HEADER_BYTES)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or(NotAWrite::NoHeader)?;
    let bad_header = || NotAWrite::BadHeader {
        header: header.to_string(),
    };
    let field = |from: usize, to: usize| -> Result<u64, NotAWrite> {
        header[from..to].parse::<u64>().map_err(|_| bad_header())
    };
    let tags_ok = header.as_bytes()[0] == b'v'
        && header.as_bytes()[17] == b'r'
        && header.as_bytes()[25] == b's'
        && header.as_bytes()[37] == b'b'
        && header.as_bytes()[41] == b'.';
    if !tags_ok {
        return Err(bad_header());
    }
    let (named_key, round, seq, slot) = (
        field(1, 17)?,
        field(18, 25)?,
        field(26, 37)?,
        field(38, 41)?,
    );
    if named_key != index {
        return Err(NotAWrite::OtherKey { named: named_key });
    }
    let (Ok(round), Ok(slot)) = (u32::try_from(round), u8::try_from(slot)) else {
        return Err(bad_header());
    };
    let id = WriteId { round, seq, slot };
    if found.len() != size_bytes {
        return Err(NotAWrite::WrongSize {
            found_bytes: found.len(),
            size_bytes,
        });
    }
    if found != value(index, id, size_bytes).as_slice() {
        return Err(NotAWrite::BadPadding {
            header: header.to_string(),
        });
    }
    Ok(id)
}

/// `bytes` shortened for a message: the header as text, then the length.
pub fn preview(bytes: &[u8]) -> String {
    let shown: String = bytes
        .iter()
        .take(HEADER_BYTES)
        .map(|&b| {
            if b.is_ascii_graphic() {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect();
    format!("'{shown}…' ({} bytes)", bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_identify_their_write_and_nothing_else() {
        let id = WriteId {
            round: 12,
            seq: 345,
            slot: 2,
        };
        assert_eq!(WriteId::unpack(id.pack()), id);
        let v = value(1234, id, 100);
        assert_eq!(v.len(), 100);
        assert_eq!(identify(1234, &v, 100), Ok(id));
        assert_eq!(
            identify(1235, &v, 100),
            Err(NotAWrite::OtherKey { named: 1234 }),
            "another key's value"
        );
        let mut flipped = v.clone();
        flipped[70] ^= 1;
        assert!(
            matches!(
                identify(1234, &flipped, 100),
                Err(NotAWrite::BadPadding { .. })
            ),
            "bad padding"
        );
        assert_eq!(
            identify(1234, &v[..99], 100),
            Err(NotAWrite::WrongSize {
                found_bytes: 99,
                size_bytes: 100
            }),
            "short"
        );
        assert_eq!(
            identify(1234, b"v0000", 100),
            Err(NotAWrite::NoHeader),
            "no header"
        );
        let mut retagged = v.clone();
        retagged[17] = b'x';
        assert!(
            matches!(
                identify(1234, &retagged, 100),
                Err(NotAWrite::BadHeader { .. })
            ),
            "bad tag"
        );
        assert_eq!(key_index(key(1234).as_bytes()), Some(1234));
        assert_eq!(key_index(b"x"), None);
    }
}
