//! Multiple-testing control across a battery of findings.
//!
//! Benjamini & Hochberg (1995), "Controlling the false discovery rate", *JRSS B* 57(1):289–300:
//! adjusted q_(i) = min_{j ≥ i} (m / j) p_(j), capped at 1 — identical to R's
//! `p.adjust(p, method = "BH")`. Valid for independent or positively dependent (PRDS) p-values;
//! the battery's tests read the same counts, so their p-values are dependent.
//!
//! Holm (1979), "A simple sequentially rejective multiple test procedure", *Scand. J. Statist.*
//! 6(2):65–70: adjusted p_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j)) — R's `p.adjust(p, "holm")`.
//! Controls the family-wise error rate (the chance of any false flag) under arbitrary dependence,
//! at the cost of power; offered for readers who need "no false flag at all" guarantees.

/// BH-adjusted p-values in the input order. NaN inputs stay NaN and do not count in m.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_finite()).collect();
    let m = idx.len() as f64;
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut q = vec![f64::NAN; p.len()];
    let mut running = 1.0f64;
    for (rank, &i) in idx.iter().enumerate().rev() {
        running = running.min(p[i] * m / (rank as f64 + 1.0)).min(1.0);
        q[i] = running;
    }
    q
}

/// Holm-adjusted p-values in the input order. NaN inputs stay NaN and do not count in m.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_finite()).collect();
    let m = idx.len() as f64;
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut q = vec![f64::NAN; p.len()];
    let mut running = 0.0f64;
    for (rank, &i) in idx.iter().enumerate() {
        running = running.max((p[i] * (m - rank as f64)).min(1.0));
        q[i] = running;
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_r_p_adjust_bh() {
        // R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), "BH")
        //    -> 0.025 0.05 0.05 0.025 0.5
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005, 0.5]);
        let want = [0.025, 0.05, 0.05, 0.025, 0.5];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
    }

    #[test]
    fn matches_r_p_adjust_holm() {
        // R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), "holm")
        //    -> 0.04 0.09 0.09 0.025 0.5
        let q = holm(&[0.01, 0.04, 0.03, 0.005, 0.5]);
        let want = [0.04, 0.09, 0.09, 0.025, 0.5];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        // Capped at 1 and monotone: p.adjust(c(0.3, 0.2, 0.9), "holm") -> 0.6 0.6 0.9
        let q = holm(&[0.3, 0.2, 0.9, f64::NAN]);
        for (a, b) in q.iter().zip([0.6, 0.6, 0.9]) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert!(q[3].is_nan());
    }

    #[test]
    fn nan_is_ignored() {
        let q = benjamini_hochberg(&[0.02, f64::NAN, 0.04]);
        assert!((q[0] - 0.04).abs() < 1e-12 && q[1].is_nan() && (q[2] - 0.04).abs() < 1e-12);
    }
}
