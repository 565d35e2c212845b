//! Byte encodings of the records a rebuild sorts (private to it: written
//! and read back by the same process, never stored).

use crate::blob::BlobRef;
use crate::schema::ClaimType;
use crate::time::ClaimTime;
use chrono::DateTime;

/// Appends `bytes` with a u32 length.
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Appends `t` so that byte order is time order (sign-flipped seconds,
/// then nanoseconds, big-endian).
pub fn put_time(out: &mut Vec<u8>, t: ClaimTime) {
    let secs = (t.timestamp() as u64) ^ (1 << 63);
    out.extend_from_slice(&secs.to_be_bytes());
    out.extend_from_slice(&t.timestamp_subsec_nanos().to_be_bytes());
}

/// Bytes of [`put_time`]'s output.
pub const TIME_BYTES: usize = 12;

/// The one-byte code of a claim type.
pub fn claim_type_code(t: ClaimType) -> u8 {
    match t {
        ClaimType::SetAttribute => 1,
        ClaimType::AddAttribute => 2,
        ClaimType::DelAttribute => 3,
    }
}

/// A cursor over a record written with the `put_*` functions. The records
/// are this process's own, so a short or malformed one is a bug: reads
/// panic rather than return errors.
pub struct Dec<'a>(pub &'a [u8]);

impl<'a> Dec<'a> {
    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    /// One byte.
    pub fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4));
        u32::from_le_bytes(b)
    }

    /// A big-endian u32 (as in keys).
    pub fn u32_be(&mut self) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4));
        u32::from_be_bytes(b)
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8));
        u64::from_le_bytes(b)
    }

    /// A big-endian u64 (as in keys).
    pub fn u64_be(&mut self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8));
        u64::from_be_bytes(b)
    }

    /// A ref written as its 32 digest bytes.
    pub fn blob_ref(&mut self) -> BlobRef {
        BlobRef::from_digest_bytes(self.take(32)).expect("32 digest bytes")
    }

    /// Bytes written by [`put_bytes`].
    pub fn bytes(&mut self) -> &'a [u8] {
        let n = self.u32() as usize;
        self.take(n)
    }

    /// Text written by [`put_bytes`].
    pub fn text(&mut self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }

    /// A time written by [`put_time`].
    pub fn time(&mut self) -> ClaimTime {
        let secs = (self.u64_be() ^ (1 << 63)) as i64;
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4));
        DateTime::from_timestamp(secs, u32::from_be_bytes(b)).expect("a time this process wrote")
    }

    /// A claim type written by [`claim_type_code`].
    pub fn claim_type(&mut self) -> ClaimType {
        match self.u8() {
            1 => ClaimType::SetAttribute,
            2 => ClaimType::AddAttribute,
            _ => ClaimType::DelAttribute,
        }
    }

    /// True when everything was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_sort_as_bytes_and_round_trip() {
        let times = [-5_000_000_000i64, -1, 0, 1, 1_700_000_000]
            .map(|s| DateTime::from_timestamp(s, 7).expect("time"));
        let encoded: Vec<Vec<u8>> = times
            .iter()
            .map(|t| {
                let mut v = Vec::new();
                put_time(&mut v, *t);
                v
            })
            .collect();
        assert!(encoded.windows(2).all(|w| w[0] < w[1]));
        for (t, e) in times.iter().zip(&encoded) {
            assert_eq!(e.len(), TIME_BYTES);
            assert_eq!(Dec(e).time(), *t);
        }
    }
}
