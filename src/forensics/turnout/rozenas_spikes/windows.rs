//! Where a station's count lands: the window of a coarse fraction (`fraction_of`, decided exactly
//! in integers) and the nearest point of the package's 0.001 density grid with that point's
//! Gaussian kernel weight (`grid_point`); Rozenas (2017) and the R package `spikes` 1.1 (0.001
//! bins, bandwidth 10⁻⁴). The null asks both for every station of every replicate. Tabulating them
//! per distinct denominator was tried and measured slower (5.1 → 9 s on the Venezuelan sheets):
//! the tables outgrow the L2 cache and a miss costs more than the division and `exp` it saves.

/// The coarse fractions: every multiple of 1/20 in (0, 1) and the thirds (p, q in lowest terms).
/// Every fraction with a denominator ≤ 5 is among them.
pub const FRACTIONS: [(u64, u64); 21] = [
    (1, 20),
    (1, 10),
    (3, 20),
    (1, 5),
    (1, 4),
    (3, 10),
    (1, 3),
    (7, 20),
    (2, 5),
    (9, 20),
    (1, 2),
    (11, 20),
    (3, 5),
    (13, 20),
    (2, 3),
    (7, 10),
    (3, 4),
    (4, 5),
    (17, 20),
    (9, 10),
    (19, 20),
];
/// Number of fractions.
pub const K: usize = FRACTIONS.len();
/// Half-width of a window (share points as a fraction): the package's 0.001 bins, ±0.0005.
pub const HALF_WIDTH: f64 = 0.0005;
/// Points of the package's density grid on [0, 1] (spacing 0.001).
pub const GRID: usize = 1001;
/// The package's Gaussian kernel bandwidth.
pub const BANDWIDTH: f64 = 1e-4;

/// Least common multiple of the denominators: only the nearest multiple of 1/60 can hold a share
/// within ±0.0005 of one of the fractions.
const LCM: u64 = 60;

/// Largest denominator of the 64-bit fast path (2000·60·n and 2000·y + n fit in u64).
const FAST_N: u64 = 1 << 40;

/// Whether y/n lies within ±0.0005 of p/q (q ≤ 60), exactly: 2000·|yq − pn| ≤ nq.
pub fn in_window(y: u64, n: u64, p: u64, q: u64) -> bool {
    if n < FAST_N && y <= n && q <= 60 {
        return 2000 * (y * q).abs_diff(p * n) <= n * q;
    }
    let (y, n, p, q) = (y as u128, n as u128, p as u128, q as u128);
    2000 * (y * q).abs_diff(p * n) <= n * q
}

/// Index of the fraction k/60 for every k (`None` when k/60 is not one of the fractions).
const BY_SIXTIETH: [Option<u8>; 61] = {
    let mut t = [None; 61];
    let mut f = 0;
    while f < K {
        let (p, q) = FRACTIONS[f];
        t[(p * (LCM / q)) as usize] = Some(f as u8);
        f += 1;
    }
    t
};

/// round(m·y/n) for y ≤ n, exactly.
fn nearest(y: u64, n: u64, m: u64) -> u64 {
    if n < FAST_N && y <= n {
        (2 * m * y + n) / (2 * n)
    } else {
        ((2 * u128::from(m) * u128::from(y) + u128::from(n)) / (2 * u128::from(n))) as u64
    }
}

/// The fraction whose window holds y/n, if any (n > 0).
pub fn fraction_of(y: u64, n: u64) -> Option<usize> {
    let k = nearest(y, n, LCM); // nearest multiple of 1/60
    let f = usize::from((*BY_SIXTIETH.get(k as usize)?)?);
    let (p, q) = FRACTIONS[f];
    in_window(y, n, p, q).then_some(f)
}

/// The package's grid point nearest to y/n (0..=1000) and the point's Gaussian kernel weight
/// φ(d/h)/h (the other grid points lie ≥ 5h away: their weight is below 10⁻⁵ of the peak).
pub fn grid_point(y: u64, n: u64) -> (usize, f64) {
    let j = nearest(y, n, 1000).min(1000) as usize;
    let d = (y as f64 / n as f64 - j as f64 / 1000.0) / BANDWIDTH;
    (
        j,
        (-0.5 * d * d).exp() / (BANDWIDTH * (2.0 * std::f64::consts::PI).sqrt()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_exact_at_their_edges() {
        assert!(in_window(1, 2, 1, 2));
        assert!(in_window(1001, 2000, 1, 2)); // 0.5005: on the edge, inside
        assert!(!in_window(1002, 2001, 1, 2)); // 0.50075: outside
        assert!(in_window(333, 1000, 1, 3)); // |0.333 − 1/3| = 0.00033
        assert!(!in_window(332, 1000, 1, 3));
        assert_eq!(fraction_of(1, 2), Some(10));
        assert_eq!(fraction_of(2, 3), Some(14));
        assert_eq!(fraction_of(667, 1000), Some(14));
        assert_eq!(fraction_of(3, 4), Some(16));
        assert_eq!(fraction_of(1, 7), None);
        assert_eq!(fraction_of(0, 5), None);
        assert_eq!(fraction_of(5, 5), None);
        assert_eq!(fraction_of(19, 20), Some(20));
        // Every fraction is found from its own value.
        for (f, &(p, q)) in FRACTIONS.iter().enumerate() {
            assert_eq!(fraction_of(p * 7, q * 7), Some(f));
        }
        // Denominators past the 64-bit fast path give the same answers.
        assert!(in_window(1 << 41, 1 << 42, 1, 2));
        assert_eq!(fraction_of((1 << 42) / 4 * 3, 1 << 42), Some(16));
        assert_eq!(fraction_of(u64::MAX / 2, u64::MAX), Some(10));
        assert_eq!(grid_point(u64::MAX, u64::MAX).0, 1000);
        assert_eq!(grid_point(1, 2).0, 500);
        assert!(
            (grid_point(1, 2).1 - 1.0 / (BANDWIDTH * (2.0 * std::f64::consts::PI).sqrt())).abs()
                < 1e-6
        );
        assert_eq!(grid_point(1, 3).0, 333);
        assert_eq!(grid_point(667, 1000).0, 667);
        assert_eq!(grid_point(5, 5).0, 1000);
    }
}
