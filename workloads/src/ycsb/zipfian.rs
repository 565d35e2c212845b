//! The zipfian generator of Gray et al., "Quickly generating billion-record
//! synthetic databases" (SIGMOD 1994), as YCSB's `ZipfianGenerator` uses
//! it: item `i` (0-based, item 0 most popular) is drawn with probability
//! `(1/(i+1))^θ / zeta(n, θ)` by inverting an approximation of the CDF,
//! with the two most popular items handled exactly.

use rand::Rng;

/// YCSB's default zipfian constant.
pub const DEFAULT_ZIPF_CONSTANT: f64 = 0.99;

/// Terms summed exactly before [`zeta`] switches to the Euler–Maclaurin
/// tail; large enough that the tail's error is far below f64 noise for the
/// counts YCSB uses.
const EXACT_TERMS: u64 = 100_000;

/// `sum_{i=first}^{last} 1 / i^θ`, exactly term by term.
fn zeta_terms(first: u64, last: u64, theta: f64) -> f64 {
    (first..=last).map(|i| 1.0 / (i as f64).powf(theta)).sum()
}

/// The generalized harmonic number `zeta(n, θ) = sum_{i=1}^{n} 1 / i^θ`.
///
/// Summed exactly up to 100,000 terms; beyond, the Euler–Maclaurin formula
/// gives the tail (YCSB sums 10^10 terms once, or uses a precomputed
/// constant for θ = 0.99; this agrees with that constant to 1e-9).
pub fn zeta(n: u64, theta: f64) -> f64 {
    zeta_from(0, n, theta, 0.0)
}

/// `zeta(n, θ)` given `sum = zeta(from, θ)`: adds the terms `from+1 ..= n`.
/// Used when the item count grows (YCSB's incremental `zetastatic`).
pub fn zeta_from(from: u64, n: u64, theta: f64, sum: f64) -> f64 {
    if n <= from {
        return sum;
    }
    if n <= EXACT_TERMS {
        return sum + zeta_terms(from + 1, n, theta);
    }
    let m = from.max(EXACT_TERMS);
    let head = if from < m {
        zeta_terms(from + 1, m, theta)
    } else {
        0.0
    };
    // sum_{i=m+1}^{n} f(i) ≈ ∫_m^n f + (f(n) − f(m))/2 + (f'(n) − f'(m))/12
    // with f(x) = x^−θ, f'(x) = −θ x^−θ−1.
    let (mf, nf) = (m as f64, n as f64);
    let integral = if (theta - 1.0).abs() < 1e-12 {
        (nf / mf).ln()
    } else {
        (nf.powf(1.0 - theta) - mf.powf(1.0 - theta)) / (1.0 - theta)
    };
    let f = |x: f64| x.powf(-theta);
    let df = |x: f64| -theta * x.powf(-theta - 1.0);
    sum + head + integral + (f(nf) - f(mf)) / 2.0 + (df(nf) - df(mf)) / 12.0
}

/// Draws integers in `[0, items)` with a zipfian distribution of constant
/// θ; the item count may grow between draws (for `latest`).
#[derive(Debug, Clone)]
pub struct Zipfian {
    items: u64,
    theta: f64,
    alpha: f64,
    zeta2: f64,
    zetan: f64,
    eta: f64,
}

impl Zipfian {
    /// A generator over `items` items (at least 1) with constant `theta`
    /// (in (0, 1), YCSB's requirement for this method).
    pub fn new(items: u64, theta: f64) -> Self {
        Self::with_zetan(items, theta, zeta(items, theta))
    }

    /// As [`Zipfian::new`] with `zeta(items, theta)` already known.
    pub fn with_zetan(items: u64, theta: f64, zetan: f64) -> Self {
        let items = items.max(1);
        let zeta2 = zeta(2, theta);
        let mut z = Zipfian {
            items,
            theta,
            alpha: 1.0 / (1.0 - theta),
            zeta2,
            zetan,
            eta: 0.0,
        };
        z.eta = z.eta_of();
        z
    }

    fn eta_of(&self) -> f64 {
        (1.0 - (2.0 / self.items as f64).powf(1.0 - self.theta)) / (1.0 - self.zeta2 / self.zetan)
    }

    /// Items drawn from now.
    pub fn items(&self) -> u64 {
        self.items
    }

    /// `zeta(items, θ)`.
    pub fn zetan(&self) -> f64 {
        self.zetan
    }

    /// Grows the item count to `items` (smaller counts are ignored: the
    /// record count only grows), updating zeta incrementally.
    pub fn grow_to(&mut self, items: u64) {
        if items > self.items {
            self.zetan = zeta_from(self.items, items, self.theta, self.zetan);
            self.items = items;
            self.eta = self.eta_of();
        }
    }

    /// The next rank, in `[0, items)`; 0 is the most popular.
    pub fn next(&mut self, rng: &mut impl Rng) -> u64 {
        let u: f64 = rng.gen();
        let uz = u * self.zetan;
        if uz < 1.0 {
            return 0;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return 1.min(self.items - 1);
        }
        let rank = (self.items as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        rank.min(self.items - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeta_tail_matches_exact_sum_and_ycsb_constant() {
        let exact = zeta_terms(1, 300_000, 0.99);
        assert!((zeta(300_000, 0.99) - exact).abs() < 1e-9);
        let grown = zeta_from(1000, 300_000, 0.99, zeta(1000, 0.99));
        assert!((grown - exact).abs() < 1e-9);
        // YCSB's ScrambledZipfianGenerator.ZETAN for 10^10 items, θ = 0.99.
        assert!((zeta(10_000_000_000, 0.99) - 26.469_028_201_783_02).abs() < 1e-6);
    }
}
