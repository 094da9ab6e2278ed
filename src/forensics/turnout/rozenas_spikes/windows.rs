//! Where a station's count lands: the window of a coarse fraction (`fraction_of`, decided exactly
//! in integers) and the nearest point of the package's 0.001 density grid with that point's
//! Gaussian kernel weight (`grid_point`); Rozenas (2017) and the R package `spikes` 1.1 (0.001
//! bins, bandwidth 10⁻⁴). The null asks both for every station of every replicate, through `land`,
//! which gives the same answers without a division or a library call. Tabulating them per
//! distinct denominator was tried and measured slower (5.1 → 9 s on the Venezuelan sheets): the
//! tables outgrow the L2 cache and a miss costs more than the division and `exp` it saves. So
//! was computing a block of draws first and their landings after (40 % slower).

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

/// The one fraction whose window can hold a share whose nearest grid point is j (`land`). Grid
/// point j gathers the shares s with (2j − 1)/2000 ≤ s < (2j + 1)/2000 (`nearest` rounds half
/// up); fraction p/q's window is |s − p/q| ≤ 1/2000; they meet when (2j − 1)q ≤ 2000p + q and
/// 2000p − q < (2j + 1)q. The fractions are at least 1/60 apart, so a point meets at most one
/// (checked when the table is built).
const CANDIDATE: [Option<u8>; GRID] = {
    let mut t = [None; GRID];
    let mut f = 0;
    while f < K {
        let (p, q) = FRACTIONS[f];
        let mut j = 0;
        while j < GRID {
            let (p, q, j2) = (p as i64, q as i64, 2 * j as i64);
            if (j2 - 1) * q <= 2000 * p + q && 2000 * p - q < (j2 + 1) * q {
                assert!(t[j].is_none(), "two fractions meet one grid point");
                t[j] = Some(f as u8);
            }
            j += 1;
        }
        f += 1;
    }
    t
};

/// Where a count lands: the package's grid point nearest to y/n (0..=1000), that point's Gaussian
/// kernel weight φ(d/h)/h, and the fraction whose window holds y/n (n > 0; `inv` = 1/n, which
/// a station's draws share). The same answers as `grid_point` and `fraction_of` without a
/// division: the grid point is estimated as y·1000/n and corrected exactly in integers, the
/// offset from it is the exact integer 1000y − jn, the window is looked up from the grid point
/// (`CANDIDATE`) and the kernel's exponential is `exp_neg`. The null asks this for every station
/// of every replicate (4 × 24,532 × 1,000 on the Venezuelan sheets).
pub fn land(y: u64, n: u64, inv: f64) -> (usize, f64, Option<usize>) {
    if !(n < FAST_N && y <= n) {
        let (j, w) = grid_point(y, n);
        return (j, w, fraction_of(y, n));
    }
    // j = round-half-up(1000y/n) = ⌊(2000y + n)/(2n)⌋: the estimate is off by at most one.
    let mut j = (y as f64 * 1000.0 * inv + 0.5) as u64;
    let num = 2000 * y + n;
    if 2 * n * j > num {
        j -= 1;
    } else if 2 * n * (j + 1) <= num {
        j += 1;
    }
    // d = (y/n − j/1000)/h = 10 (1000y − jn)/n; |1000y − jn| ≤ n/2 < 2^39.
    let r = (1000 * y) as i64 - (j * n) as i64;
    let d = (10 * r) as f64 * inv;
    let w = exp_neg(-0.5 * d * d) * KERNEL_PEAK;
    let j = j as usize;
    let f = CANDIDATE[j].and_then(|f| {
        let (p, q) = FRACTIONS[usize::from(f)];
        in_window(y, n, p, q).then_some(usize::from(f))
    });
    (j, w, f)
}

/// 1 / (h √(2π)): the kernel's weight at its centre.
const KERNEL_PEAK: f64 = 1.0 / (BANDWIDTH * 2.506_628_274_631_000_5);

/// e^x for −700 ≤ x ≤ 0, within 2 units in the last place, inline (no library call): x =
/// (32k + i) ln 2 / 32 + r with |r| ≤ ln 2 / 64 (Tang's table method: ACM TOMS 15:144, 1989, with
/// Cody & Waite's two-part step so that the reduction is exact), e^x = 2^k · 2^(i/32) · e^r, e^r
/// by its Taylor series to r⁶ in Estrin's order (the remainder r⁷/7! < 4·10⁻¹⁸). The short
/// polynomial matters more than its operation count: a replicate's draws wait on it.
fn exp_neg(x: f64) -> f64 {
    debug_assert!((-700.0..=0.0).contains(&x), "{x}");
    /// 32 / ln 2.
    const INV_STEP: f64 = 46.166_241_308_446_83;
    /// ln 2 / 32 with its 32 low bits zero (k · STEP_HI is exact for |k| < 2³²), and the rest.
    const STEP_HI: f64 = 0.021_660_834_550_857_544;
    const STEP_LO: f64 = 1.484_164_074_697_397_7e-8;
    // Adding 1.5·2⁵² rounds to the nearest integer (ties to even) in the default rounding mode.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let k = (x * INV_STEP + ROUND) - ROUND;
    let r = (x - k * STEP_HI) - k * STEP_LO;
    let r2 = r * r;
    let p = (1.0 + r)
        + r2 * ((0.5 + r * (1.0 / 6.0))
            + r2 * ((1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0)));
    let k = k as i64; // ≤ 0; k & 31 is k mod 32 and k >> 5 its floor division
    let scale = f64::from_bits((((k >> 5) + 1023) as u64) << 52);
    TWO_POW_32THS[(k & 31) as usize] * p * scale
}

/// 2^(i/32), i = 0..32, correctly rounded (computed to 60 digits).
const TWO_POW_32THS: [f64; 32] = [
    f64::from_bits(0x3ff0000000000000),
    f64::from_bits(0x3ff059b0d3158574),
    f64::from_bits(0x3ff0b5586cf9890f),
    f64::from_bits(0x3ff11301d0125b51),
    f64::from_bits(0x3ff172b83c7d517b),
    f64::from_bits(0x3ff1d4873168b9aa),
    f64::from_bits(0x3ff2387a6e756238),
    f64::from_bits(0x3ff29e9df51fdee1),
    f64::from_bits(0x3ff306fe0a31b715),
    f64::from_bits(0x3ff371a7373aa9cb),
    f64::from_bits(0x3ff3dea64c123422),
    f64::from_bits(0x3ff44e086061892d),
    f64::from_bits(0x3ff4bfdad5362a27),
    f64::from_bits(0x3ff5342b569d4f82),
    f64::from_bits(0x3ff5ab07dd485429),
    f64::from_bits(0x3ff6247eb03a5585),
    f64::from_bits(0x3ff6a09e667f3bcd),
    f64::from_bits(0x3ff71f75e8ec5f74),
    f64::from_bits(0x3ff7a11473eb0187),
    f64::from_bits(0x3ff82589994cce13),
    f64::from_bits(0x3ff8ace5422aa0db),
    f64::from_bits(0x3ff93737b0cdc5e5),
    f64::from_bits(0x3ff9c49182a3f090),
    f64::from_bits(0x3ffa5503b23e255d),
    f64::from_bits(0x3ffae89f995ad3ad),
    f64::from_bits(0x3ffb7f76f2fb5e47),
    f64::from_bits(0x3ffc199bdd85529c),
    f64::from_bits(0x3ffcb720dcef9069),
    f64::from_bits(0x3ffd5818dcfba487),
    f64::from_bits(0x3ffdfc97337b9b5f),
    f64::from_bits(0x3ffea4afa2a490da),
    f64::from_bits(0x3fff50765b6e4540),
];

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

    #[test]
    fn landing_agrees_with_the_grid_point_and_the_window() {
        // Every count of every denominator up to 2,500, then large denominators: the same grid
        // point and window, and the kernel weight within 10⁻¹⁰. `grid_point` subtracts two
        // nearly equal shares (y/n − j/1000), which loses up to ~10⁻¹² of the weight; `land`
        // takes the offset in integers, exact before its one division (checked at 1/3 below).
        let check = |y: u64, n: u64| {
            let (j, w, f) = land(y, n, 1.0 / n as f64);
            let (j0, w0) = grid_point(y, n);
            assert_eq!((j, f), (j0, fraction_of(y, n)), "{y}/{n}");
            assert!((w - w0).abs() <= 1e-10 * w0, "{y}/{n}: {w} {w0}");
        };
        for n in 1..=2_500u64 {
            (0..=n).for_each(|y| check(y, n));
        }
        for n in [999_983u64, 1 << 39, (1 << 40) - 1, 1 << 40, u64::MAX] {
            for y in [0, 1, n / 3, n / 2, n / 2 + 1, n / 20 * 7, n - 1, n] {
                check(y, n);
            }
        }
        // 1/3 is 10/3 bandwidths above 0.333: the weight is e^(−50/9)/(h√(2π)).
        let exact = (-50.0f64 / 9.0).exp() / (BANDWIDTH * (2.0 * std::f64::consts::PI).sqrt());
        assert!((land(1, 3, 1.0 / 3.0).1 - exact).abs() <= 4e-15 * exact);
    }

    #[test]
    fn inline_exponential_is_within_two_ulps_of_the_library() {
        for i in 0..=1_000_000u32 {
            let x = -700.0 * f64::from(i) / 1e6;
            let (e, e0) = (exp_neg(x), x.exp());
            assert!((e - e0).abs() <= 4.5e-16 * e0, "{x}: {e} {e0}");
        }
        assert_eq!(exp_neg(0.0), 1.0);
    }
}
