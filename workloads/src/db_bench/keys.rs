//! `db_bench`'s keys: the number `k` printed as `%016d`, in a reused buffer.

/// Bytes of a `db_bench` key.
pub const KEY_BYTES: usize = 16;

/// A key buffer that formats without allocating.
#[derive(Debug, Clone)]
pub struct KeyBuffer {
    buf: [u8; KEY_BYTES + 1],
    len: usize,
}

impl Default for KeyBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        KeyBuffer {
            buf: [b'0'; KEY_BYTES + 1],
            len: 0,
        }
    }

    /// Sets the key to `k` as `%016d` (a `u32` has at most 10 digits, so the
    /// key is always exactly 16 bytes).
    pub fn set(&mut self, k: u32) {
        let mut v = k;
        for slot in self.buf[..KEY_BYTES].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        self.len = KEY_BYTES;
    }

    /// Sets the key to `k` as `%016d.`: 1.23's `readmissing` key, which sorts
    /// right after key `k` and so is never present.
    pub fn set_missing(&mut self, k: u32) {
        self.set(k);
        self.buf[KEY_BYTES] = b'.';
        self.len = KEY_BYTES + 1;
    }

    /// The key's bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_printf() {
        let mut key = KeyBuffer::new();
        key.set(0);
        assert_eq!(key.as_slice(), b"0000000000000000");
        key.set(4_294_967_295);
        assert_eq!(
            key.as_slice(),
            format!("{:016}", 4_294_967_295u32).as_bytes()
        );
        key.set_missing(42);
        assert_eq!(key.as_slice(), b"0000000000000042.");
        key.set(42);
        assert_eq!(key.as_slice(), b"0000000000000042");
    }
}
