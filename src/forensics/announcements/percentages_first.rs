//! `percentages_first`: do an announcement's counts look computed from rounded percentages of its
//! total instead of counted?
//!
//! Method (methods.md §5.5). For an announced total T and counts c_j, and for a grid of
//! percentages with k decimals (k = 0, 1, 2; step 10^−k pp, i.e. g = T / D votes with
//! D = 10^(k+2)): the nearest grid percentage is P_j = round(c_j · D / T) (in units of 10^−k %) and
//! the residual r_j = c_j − P_j · T / D. "Percentages first" (choose P_j, multiply by T, round)
//! leaves |r_j| ≤ ½ for every count: the count *coincides* with its rounded percentage.
//!
//! Exact probability under tallying. The null model treats each count's position within its
//! rounding interval (the cell of integers whose nearest grid point is P_j) as uniform: counting
//! does not know where percentages round. The cell holds N_j = #{x ∈ ℤ ∩ [0, T] :
//! (2P_j − 1)T ≤ 2xD < (2P_j + 1)T} integers, of which n_j = #{x in the cell : 2|xD − P_jT| ≤ D}
//! coincide (1, or 2 at an exact half, or all of them when g < 1), so
//! q_j = P(count j coincides) = n_j / N_j ≈ 1 / g (the §5.5 approximation 1/(T · 10^−(k+2))).
//! When the listed categories sum to the total, one count is fixed by the others: the category
//! with the most votes is treated as dependent and only the m − 1 others are free (their positions
//! independent). The probability of the observed coincidences is the Poisson-binomial tail
//! P(X ≥ x_obs), X = Σ_free Bernoulli(q_j); when every free count coincides it is Π q_j (bulletin
//! 1 of Venezuela 2024: (1/10,058.774)² ≈ 9.88 × 10⁻⁹ at the 0.1-pp grid). Coinciding on a grid
//! implies coinciding on every finer one, so the grids are nested; the finding reports the
//! coarsest grid on which all free counts coincide (else the grid with the smallest probability)
//! and its probability, and its `p_value` multiplies the smallest of the three probabilities by 3
//! (Bonferroni over the grids checked), so that looking at three grids cannot manufacture a flag.
//! The test is discrete and conservative: under tallying P(p ≤ α) ≤ α (checked on random
//! multinomial counts in the unit tests).
//!
//! Not applicable without an announcement, or when no count is free (fewer than two categories
//! with votes that sum to the total). The dependent count is reported with the rest.
//!
//! References: methods.md §5.5; Gelman, "Suspicious data from Venezuela" (statmodeling blog, 31 July
//! 2024); Tao, "What are the odds, II" (2 August 2024) for the Bayes-factor reading.

use serde::Serialize;
use serde_json::json;

use crate::announcement::Announcement;
use crate::figure::{file_stem, BarPanel, Figure, FigureSpec};
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::battery::Battery;
use crate::forensics::ForensicTest;
use crate::text::{fmt_int, fmt_p};

pub const TEST: ForensicTest = ForensicTest {
    id: "percentages_first",
    title: "Announced counts computed from rounded percentages",
    method: "An announced result should be the sum of counted votes; the percentages are computed afterwards and rounded. If instead someone chose the percentages first and multiplied them by the total, every count lands within half a vote of 'total × rounded percentage'. For each announcement the test checks every count against percentages with 0, 1 and 2 decimals and computes the exact probability of the observed coincidences if the counts had been tallied: each count's position within its rounding interval is then uniform, so a count coincides with probability about 1 in (total × 0.01 % per decimal step); when the categories sum to the total one count is fixed by the others and does not add evidence. The p-value multiplies the smallest probability by the 3 grids checked. A deviation says the counts sit exactly on rounded percentages far more often than counting produces; it does not say who computed them or why.",
    references: "Gelman, statmodeling blog, 31 July 2024; Tao, 'What are the odds, II', 2 August 2024.",
    weight: 0.01,
    run,
};

/// Decimals of the percentage grids checked.
pub const GRID_DECIMALS: [u32; 3] = [0, 1, 2];

/// One count on one grid.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategoryCheck {
    pub name: String,
    pub votes: u64,
    /// The nearest percentage on the grid.
    pub nearest_percent: f64,
    /// votes − nearest_percent · total / 100.
    pub residual_votes: f64,
    /// |residual| ≤ ½: the count equals total × nearest percentage, rounded.
    pub coincides: bool,
    /// False for the count fixed by the sum constraint.
    pub free: bool,
    /// Chance that a tallied count in this rounding interval coincides (n_j / N_j).
    pub probability: f64,
}

/// All counts on one grid.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GridCheck {
    pub decimals: u32,
    /// Votes per grid step: total · 10^−(decimals+2).
    pub grid_votes: f64,
    pub free: usize,
    pub coinciding_free: usize,
    /// Coinciding counts including the dependent one.
    pub coinciding_all: usize,
    /// P(at least `coinciding_free` free counts coincide) under tallying.
    pub probability: f64,
    pub categories: Vec<CategoryCheck>,
}

/// The check of one announcement.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PercentagesFirst {
    pub total: u64,
    /// The counts sum to the total, so one of them (`dependent`) is not free.
    pub sum_constraint: bool,
    pub dependent: Option<String>,
    pub grids: Vec<GridCheck>,
    /// Index into `grids` of the reported grid.
    pub chosen: usize,
    /// 3 × the smallest grid probability, at most 1.
    pub p_value: f64,
}

impl PercentagesFirst {
    pub fn grid(&self) -> &GridCheck {
        &self.grids[self.chosen]
    }
}

/// ⌈a / b⌉ for b > 0.
fn ceil_div(a: i128, b: i128) -> i128 {
    a.div_euclid(b) + i128::from(a.rem_euclid(b) != 0)
}

/// One count on the grid with `d` = 10^(k+2) grid steps per total: (nearest grid point P,
/// coincides, n / N).
fn check_count(c: u64, total: u64, d: u64) -> (i128, bool, f64) {
    let (c, t, d) = (i128::from(c), i128::from(total), i128::from(d));
    // Nearest grid point, halves rounded up (the cell definition below uses the same rule).
    let p = (2 * c * d + t).div_euclid(2 * t);
    let coincides = 2 * (c * d - p * t).abs() <= d;
    // The cell: integers x in [0, T] with (2P − 1)T ≤ 2xD < (2P + 1)T.
    let lo = ceil_div((2 * p - 1) * t, 2 * d).max(0);
    let hi = (ceil_div((2 * p + 1) * t, 2 * d) - 1).min(t);
    // Coinciding integers: 2PT − D ≤ 2xD ≤ 2PT + D.
    let hit_lo = ceil_div(2 * p * t - d, 2 * d).max(lo);
    let hit_hi = (2 * p * t + d).div_euclid(2 * d).min(hi);
    let cell = (hi - lo + 1).max(1);
    let hits = (hit_hi - hit_lo + 1).clamp(0, cell);
    (p, coincides, hits as f64 / cell as f64)
}

/// P(X ≥ x) for X a sum of independent Bernoulli(q_j).
pub fn poisson_binomial_tail(q: &[f64], x: usize) -> f64 {
    let mut dist = vec![1.0];
    for &qj in q {
        let mut next = vec![0.0; dist.len() + 1];
        for (i, &pi) in dist.iter().enumerate() {
            next[i] += pi * (1.0 - qj);
            next[i + 1] += pi * qj;
        }
        dist = next;
    }
    dist.iter().skip(x).sum::<f64>().min(1.0)
}

/// Check `counts` (name, votes) against the rounded percentages of `total`. `None` when no count
/// is free.
pub fn compute(total: u64, counts: &[(String, u64)]) -> Option<PercentagesFirst> {
    if total == 0 || counts.is_empty() {
        return None;
    }
    let sum: u64 = counts.iter().map(|(_, v)| v).sum();
    let sum_constraint = sum == total;
    // The largest count is the dependent one: a choice made before looking at residuals.
    let dependent = sum_constraint.then(|| {
        (0..counts.len())
            .max_by(|&a, &b| counts[a].1.cmp(&counts[b].1).then(b.cmp(&a)))
            .expect("counts is not empty")
    });
    if counts.len() - usize::from(dependent.is_some()) == 0 {
        return None;
    }
    let grids: Vec<GridCheck> = GRID_DECIMALS
        .iter()
        .map(|&k| {
            let d = 10u64.pow(k + 2);
            let categories: Vec<CategoryCheck> = counts
                .iter()
                .enumerate()
                .map(|(j, (name, c))| {
                    let (p, coincides, probability) = check_count(*c, total, d);
                    let scale = 10f64.powi(k as i32);
                    CategoryCheck {
                        name: name.clone(),
                        votes: *c,
                        nearest_percent: p as f64 / scale,
                        residual_votes: (*c as f64 * d as f64 - p as f64 * total as f64) / d as f64,
                        coincides,
                        free: Some(j) != dependent,
                        probability,
                    }
                })
                .collect();
            let free: Vec<&CategoryCheck> = categories.iter().filter(|c| c.free).collect();
            let coinciding_free = free.iter().filter(|c| c.coincides).count();
            let q: Vec<f64> = free.iter().map(|c| c.probability).collect();
            GridCheck {
                decimals: k,
                grid_votes: total as f64 / d as f64,
                free: free.len(),
                coinciding_free,
                coinciding_all: categories.iter().filter(|c| c.coincides).count(),
                probability: poisson_binomial_tail(&q, coinciding_free),
                categories,
            }
        })
        .collect();
    let smallest = (0..grids.len())
        .min_by(|&a, &b| grids[a].probability.total_cmp(&grids[b].probability))
        .expect("three grids");
    let chosen = grids
        .iter()
        .position(|g| g.coinciding_free == g.free)
        .unwrap_or(smallest);
    let p_value = (grids.len() as f64 * grids[smallest].probability).min(1.0);
    Some(PercentagesFirst {
        total,
        sum_constraint,
        dependent: dependent.map(|j| counts[j].0.clone()),
        grids,
        chosen,
        p_value,
    })
}

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    let mut out = TestOutput::default();
    let Some(file) = b.announced else {
        out.findings.push(Finding::not_applicable(
            TEST.id,
            "announcement",
            None,
            0,
            "no announced totals were given (an <name>.announced.toml beside the data, or --announced FILE)".into(),
        ));
        return Ok(out);
    };
    for a in &file.announcements {
        let (finding, figure) = one(b, a);
        out.findings.push(finding);
        out.figures.extend(figure);
    }
    Ok(out)
}

fn one(b: &Battery<'_>, a: &Announcement) -> (Finding, Option<Figure>) {
    let counts: Vec<(String, u64)> = a
        .counts()
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n, v)))
        .collect();
    let Some(r) = compute(a.total, &counts) else {
        let reason = "no free count: the announcement gives votes for fewer than two categories, or for one that equals the total".to_string();
        return (
            Finding::not_applicable(TEST.id, &a.label, None, counts.len() as u64, reason),
            None,
        );
    };
    let g = r.grid();
    let stem = file_stem(&[TEST.id, &a.label]);
    let figure = Figure {
        file_stem: stem.clone(),
        spec: FigureSpec::Bars(grid_panel(a, &r, b.params.alpha)),
    };
    let max_relative = g
        .categories
        .iter()
        .filter(|c| c.free)
        .map(|c| (c.residual_votes.abs() / (g.grid_votes / 2.0)).min(1.0))
        .fold(0.0, f64::max);
    let f = Finding {
        test_id: TEST.id,
        subject: a.label.clone(),
        region: None,
        n: g.free as u64,
        statistic: Some(Statistic::new(
            "coinciding_free_counts",
            g.coinciding_free as f64,
        )),
        p_value: Some(r.p_value),
        q_value: None,
        p_value_source: Some("exact_uniform_rounding_position_bonferroni_3_grids".into()),
        effect_size: Some(Statistic::new("max_relative_residual", max_relative)),
        verdict: Verdict::Consistent,
        reason: None,
        headline: headline(a, &r),
        figure: Some(format!("figures/{stem}.png")),
        details: details([
            ("date", json!(a.date)),
            ("total", json!(r.total)),
            ("sum_constraint", json!(r.sum_constraint)),
            ("dependent_category", json!(r.dependent)),
            ("grid_decimals", json!(g.decimals)),
            ("grid_votes", json!(g.grid_votes)),
            ("free_counts", json!(g.free)),
            ("coinciding_all", json!(g.coinciding_all)),
            ("probability_at_grid", json!(g.probability)),
            ("categories", json!(g.categories)),
            (
                "grids",
                json!(r
                    .grids
                    .iter()
                    .map(|g| json!({
                        "decimals": g.decimals,
                        "grid_votes": g.grid_votes,
                        "free": g.free,
                        "coinciding_free": g.coinciding_free,
                        "coinciding_all": g.coinciding_all,
                        "probability": g.probability,
                    }))
                    .collect::<Vec<_>>()),
            ),
        ]),
    };
    (f, Some(figure))
}

/// Share of free counts on each grid that sit on a rounded percentage, against the share tallied
/// counts would show (mean q) and its 95 % range (Poisson-binomial quantiles).
fn grid_panel(a: &Announcement, r: &PercentagesFirst, alpha: f64) -> BarPanel {
    let free_q = |g: &GridCheck| -> Vec<f64> {
        g.categories
            .iter()
            .filter(|c| c.free)
            .map(|c| c.probability)
            .collect()
    };
    let quantile = |q: &[f64], level: f64| -> f64 {
        // Smallest x with P(X ≤ x) ≥ level, as a share of the free counts.
        let x = (0..=q.len())
            .find(|&x| 1.0 - poisson_binomial_tail(q, x + 1) >= level)
            .unwrap_or(q.len());
        x as f64 / q.len().max(1) as f64
    };
    BarPanel {
        title: format!("{}: counts on rounded percentages", a.label),
        caption: format!(
            "Bars: share of the {} free counts that equal the total ({}) times a percentage with 0, 1 or 2 decimals, rounded. Dots: the share expected if the counts were tallied (about 1 in total × 10^-(decimals+2)); grey: its 95 % range.",
            r.grids[0].free,
            fmt_int(r.total)
        ),
        x_label: "percentage grid".into(),
        y_label: "share of free counts".into(),
        categories: r
            .grids
            .iter()
            .map(|g| format!("{} decimal(s)", g.decimals))
            .collect(),
        observed: r
            .grids
            .iter()
            .map(|g| g.coinciding_free as f64 / g.free.max(1) as f64)
            .collect(),
        expected: r
            .grids
            .iter()
            .map(|g| {
                let q = free_q(g);
                q.iter().sum::<f64>() / q.len().max(1) as f64
            })
            .collect(),
        band_low: r.grids.iter().map(|g| quantile(&free_q(g), 0.025)).collect(),
        band_high: r.grids.iter().map(|g| quantile(&free_q(g), 0.975)).collect(),
        // The raw p-value: the verdict (after Benjamini–Hochberg) is set later, in one place.
        highlight: r.p_value < alpha,
        finding: None,
        expected_label: "expected if tallied".into(),
        band_label: "95 % range if tallied".into(),
    }
}

fn headline(a: &Announcement, r: &PercentagesFirst) -> String {
    let g = r.grid();
    let example = g
        .categories
        .iter()
        .find(|c| c.free && c.coincides)
        .map(|c| {
            format!(
                " (e.g. {} {} = {} % × {} = {:.3}, rounded)",
                c.name,
                fmt_int(c.votes),
                c.nearest_percent,
                fmt_int(r.total),
                c.votes as f64 - c.residual_votes
            )
        })
        .unwrap_or_default();
    let odds = if g.probability > 0.0 && g.probability < 1e-3 {
        format!(" (1 in {})", fmt_int((1.0 / g.probability).round() as u64))
    } else {
        String::new()
    };
    format!(
        "{}: {} of {} free counts equal the total times a percentage with {} decimal(s), rounded{example}; if the counts were tallied, the chance of at least this many coincidences on this grid is {}{odds}, and p = {} after allowing for the 3 grids checked.",
        a.label,
        g.coinciding_free,
        g.free,
        g.decimals,
        fmt_p(g.probability),
        fmt_p(r.p_value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Binomial, Distribution};

    fn named(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
        pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect()
    }

    /// CNE bulletin 1 (29 July 2024), methods.md §5.5.
    fn bulletin_1() -> Vec<(String, u64)> {
        named(&[
            ("Maduro", 5_150_092),
            ("González", 4_445_978),
            ("others", 462_704),
        ])
    }

    #[test]
    fn bulletin_1_sits_on_one_decimal_percentages() {
        let r = compute(10_058_774, &bulletin_1()).unwrap();
        assert!(r.sum_constraint);
        assert_eq!(r.dependent.as_deref(), Some("Maduro"));
        let g = r.grid();
        assert_eq!(
            (g.decimals, g.free, g.coinciding_free, g.coinciding_all),
            (1, 2, 2, 3)
        );
        assert_eq!(
            g.categories
                .iter()
                .map(|c| c.nearest_percent)
                .collect::<Vec<_>>(),
            vec![51.2, 44.2, 4.6]
        );
        assert!((g.categories[0].residual_votes + 0.288).abs() < 1e-6);
        // Each free count: 1 coinciding integer in a cell of 10,058 or 10,059 (§5.5: 9.94e-5).
        for c in g.categories.iter().filter(|c| c.free) {
            assert!(c.probability == 1.0 / 10_058.0 || c.probability == 1.0 / 10_059.0);
        }
        assert!(
            (g.probability - 9.88e-9).abs() < 0.01e-9,
            "{}",
            g.probability
        );
        assert!((r.p_value - 3.0 * g.probability).abs() < 1e-15);
        // Integer percentages do not fit, two decimals fit trivially too (nested grids).
        assert_eq!(r.grids[0].coinciding_free, 0);
        assert_eq!(r.grids[2].coinciding_free, 2);
    }

    #[test]
    fn bulletin_2_is_not_flagged() {
        // CNE bulletin 2 (2 August 2024), the ten candidates summing to 12,335,884 (methods.md §5.5).
        let counts = named(&[
            ("Maduro", 6_408_844),
            ("González", 5_326_104),
            ("Martínez", 152_360),
            ("Ecarri", 116_421),
            ("Rausseo", 92_903),
            ("Brito", 84_231),
            ("Bertucci", 64_452),
            ("Fermín", 40_902),
            ("Márquez", 29_611),
            ("Ceballos", 20_056),
        ]);
        let r = compute(12_335_884, &counts).unwrap();
        assert!(r.sum_constraint);
        assert_eq!(r.grid().free, 9);
        assert!(r.p_value > 0.5, "{r:?}");
        assert_eq!(r.grids[0].coinciding_free, 0);
    }

    #[test]
    fn cells_and_hits_are_exact() {
        // T = 1,000, whole percentages: cells of 10 votes, one of which sits on the percentage.
        assert_eq!(check_count(515, 1000, 100), (52, false, 0.1));
        assert_eq!(check_count(520, 1000, 100), (52, true, 0.1));
        // Two decimals on T = 1,000: a grid finer than one vote, every count coincides.
        assert_eq!(check_count(517, 1000, 10_000).2, 1.0);
        // T = 200, whole percentages: grid points every 2 votes. 3 votes is 1.5 %, rounded up to
        // 2 % = 4 votes; the cell of 2 % is {3, 4}, and only 4 coincides.
        let (p, hit, q) = check_count(3, 200, 100);
        assert_eq!((p, hit), (2, false));
        assert_eq!(q, 0.5);
        assert!(compute(100, &named(&[("a", 100)])).is_none());
        assert!(compute(100, &named(&[("a", 60)])).is_some());
    }

    #[test]
    fn poisson_binomial_tail_matches_hand_values() {
        assert_eq!(poisson_binomial_tail(&[0.5, 0.5], 0), 1.0);
        assert!((poisson_binomial_tail(&[0.5, 0.5], 1) - 0.75).abs() < 1e-15);
        assert!((poisson_binomial_tail(&[0.1, 0.2], 2) - 0.02).abs() < 1e-15);
    }

    /// Multinomial counts of random totals: P(p ≤ α) stays at or below α (the test is exact per
    /// grid, discrete, and Bonferroni over grids), for each grid's probability and for the p-value.
    #[test]
    fn tallied_counts_are_flagged_at_most_at_the_nominal_rate() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let runs = 4000;
        let alphas = [0.01, 0.05, 0.2];
        let mut hits_p = [0usize; 3];
        let mut hits_grid = [[0usize; 3]; 3];
        // Randomised p-values of the whole-percent grid, P(X > x) + U · P(X = x): exactly uniform
        // when the model (uniform position within the rounding interval) is right.
        let mut randomised = Vec::new();
        for _ in 0..runs {
            // Small totals make the grids coarse enough for coincidences to happen by chance.
            let total: u64 = rng.random_range(200..20_000);
            let m = rng.random_range(2..6usize);
            let mut weights: Vec<f64> = (0..m).map(|_| rng.random::<f64>() + 0.2).collect();
            let s: f64 = weights.iter().sum();
            weights.iter_mut().for_each(|w| *w /= s);
            let (mut left, mut mass) = (total, 1.0);
            let mut counts = Vec::new();
            for (j, w) in weights.iter().enumerate() {
                let c = if j + 1 == m {
                    left
                } else {
                    Binomial::new(left, (w / mass).min(1.0))
                        .unwrap()
                        .sample(&mut rng)
                };
                counts.push((format!("c{j}"), c));
                left -= c;
                mass -= w;
            }
            let Some(r) = compute(total, &counts) else {
                continue;
            };
            let g = &r.grids[0];
            let q: Vec<f64> = g
                .categories
                .iter()
                .filter(|c| c.free)
                .map(|c| c.probability)
                .collect();
            let (above, at_least) = (
                poisson_binomial_tail(&q, g.coinciding_free + 1),
                g.probability,
            );
            randomised.push(above + rng.random::<f64>() * (at_least - above));
            for (i, a) in alphas.iter().enumerate() {
                hits_p[i] += usize::from(r.p_value <= *a);
                for (k, g) in r.grids.iter().enumerate() {
                    hits_grid[k][i] += usize::from(g.probability <= *a);
                }
            }
        }
        for (i, a) in alphas.iter().enumerate() {
            // Binomial SE of a rate α over 4,000 runs is at most 0.0063; allow 3 SE.
            let slack = 3.0 * (a * (1.0 - a) / runs as f64).sqrt();
            let rate = hits_p[i] as f64 / runs as f64;
            assert!(rate <= a + slack, "p-value: rate {rate} at alpha {a}");
            for (k, row) in hits_grid.iter().enumerate() {
                let rate = row[i] as f64 / runs as f64;
                assert!(rate <= a + slack, "grid {k}: rate {rate} at alpha {a}");
            }
        }
        // Not a dead test: whole-percent coincidences do happen by chance at these totals.
        assert!(hits_grid[0][2] > runs / 50, "{hits_grid:?}");
        for a in [0.05, 0.2, 0.5] {
            let n = randomised.len() as f64;
            let rate = randomised.iter().filter(|&&p| p <= a).count() as f64 / n;
            let se = (a * (1.0 - a) / n).sqrt();
            assert!(
                (rate - a).abs() <= 3.0 * se + 0.005,
                "randomised p: rate {rate} at {a}"
            );
        }
    }
}
