//! A hasher for maps keyed by integers the engine chooses.

use std::hash::Hasher;

/// A fast hasher for caches keyed by integers the engine chooses (block
/// offsets, file numbers), not an adversary: FxHash's mix, a few
/// instructions where the standard SipHash takes dozens.
#[derive(Default)]
pub struct IntKeyHasher(u64);

impl Hasher for IntKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}
