//! The votes the fitted Klimek model implies: what its f_i and f_e, with their intensities, move to
//! the leader, so that the model's answer can stand beside the clean-core (Shpilkin) count in votes.
//!
//! In the model (`klimek_fit`, as `simulate::fraud` applies it) a station with fraud of intensity x
//! gets x (N − B) stuffed ballots for the leader and x^α (V − W) of the others' votes moved to the
//! leader; incremental fraud has x = |N(0, θ)| and extreme fraud x = 1 − |N(0, σ_e)|, both
//! truncated to (0, 1). A share f of the stations chosen at random, the expected votes moved are
//!
//!   f · ( E[x] Σ (N − B) + E[x^α] Σ (V − W) ),
//!
//! summed over incremental (f_i, θ) and extreme (f_e, σ_e = 0.075) fraud. The sums run over the
//! observed stations, whose stuffed stations already have fewer abstainers and opposition votes
//! than they had: the figure slightly understates the model's own count when f is large. The
//! interval takes both ends of the f_i and f_e intervals; the self-null's mean f_i and f_e give
//! what a clean election of this shape implies, which is subtracted for the votes beyond it.
//!
//! Reference: Klimek, Yegorov, Hanel & Thurner (2012), PNAS 109:16469 (model, SI eqs. 1–4).

/// E[x^a] for x of density ∝ φ((x − shift)/σ) folded and truncated as the kind of fraud says,
/// by Simpson's rule on 2,000 intervals of (0, 1).
fn moment(kind: Kind, sd: f64, a: f64) -> f64 {
    let n = 2000;
    let h = 1.0 / n as f64;
    let (mut num, mut den) = (0.0, 0.0);
    for k in 0..=n {
        let x = k as f64 * h;
        let w = if k == 0 || k == n {
            1.0
        } else if k % 2 == 1 {
            4.0
        } else {
            2.0
        };
        // Distance from where the kind of fraud centres its intensity: 0 (incremental) or 1.
        let u = match kind {
            Kind::Incremental => x,
            Kind::Extreme => 1.0 - x,
        };
        let density = (-0.5 * (u / sd).powi(2)).exp();
        num += w * density * x.powf(a);
        den += w * density;
    }
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Incremental,
    Extreme,
}

/// What a station share of each kind of fraud moves, per unit of f.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerShare {
    pub incremental: f64,
    pub extreme: f64,
}

impl PerShare {
    /// From the sums of abstainers (N − B) and of the others' votes (V − W) over the stations.
    pub fn new(abstainers: f64, others: f64, theta: f64, alpha: f64, extreme_sd: f64) -> PerShare {
        let of = |kind, sd| moment(kind, sd, 1.0) * abstainers + moment(kind, sd, alpha) * others;
        PerShare {
            incremental: of(Kind::Incremental, theta),
            extreme: of(Kind::Extreme, extreme_sd),
        }
    }

    pub fn votes(&self, f_i: f64, f_e: f64) -> f64 {
        f_i * self.incremental + f_e * self.extreme
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_of_the_half_normal_match_closed_forms() {
        // θ small: truncation at 1 is negligible, E|N(0, θ)| = θ √(2/π), E[x²] = θ².
        let th = 0.1;
        assert!(
            (moment(Kind::Incremental, th, 1.0) - th * (2.0 / std::f64::consts::PI).sqrt()).abs()
                < 1e-6
        );
        assert!((moment(Kind::Incremental, th, 2.0) - th * th).abs() < 1e-6);
        // Extreme: E[1 − |N(0, σ)|] = 1 − σ √(2/π).
        let s = 0.075;
        assert!(
            (moment(Kind::Extreme, s, 1.0) - (1.0 - s * (2.0 / std::f64::consts::PI).sqrt())).abs()
                < 1e-6
        );
        // Wide θ: x is uniform on (0, 1) in the limit, E[x] → 1/2.
        assert!((moment(Kind::Incremental, 1e6, 1.0) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn votes_are_linear_in_the_shares() {
        // 1,000 abstainers and 2,000 opposition votes in all; α = 1, θ = 0.1.
        let p = PerShare::new(1000.0, 2000.0, 0.1, 1.0, 0.075);
        let ex = 0.1 * (2.0 / std::f64::consts::PI).sqrt();
        assert!((p.incremental - 3000.0 * ex).abs() < 1e-3);
        assert_eq!(p.votes(0.0, 0.0), 0.0);
        assert!((p.votes(0.2, 0.0) - 0.2 * p.incremental).abs() < 1e-9);
        assert!((p.votes(0.1, 0.05) - (0.1 * p.incremental + 0.05 * p.extreme)).abs() < 1e-9);
    }
}
