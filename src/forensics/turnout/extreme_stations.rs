//! `extreme_stations`: stations at the edges where manipulation leaves its marks — turnout of 95 %
//! or more, a major candidate with 95 % or more of valid votes, or zero votes for a major
//! candidate who averages at least 20 % in the station's region — counted against what chance
//! gives, and listed by key in `flagged_stations.csv`.
//!
//! Null: per-station beta-binomial counts, fitted per comparison group: the deepest region of the
//! data (e.g. parish, district commission) with at least 20 stations. Within each group the
//! station-level rates (turnout, or the candidate's share of valid votes) are given a Beta
//! distribution with the region's mean and between-station variance (method of moments, the
//! binomial part of the variance removed), and each station's count is binomial given its rate.
//! A plain binomial null (one rate per region) would call every honest election extreme, because
//! real stations differ far more than binomial noise; the beta-binomial follows each region's
//! observed spread (Skellam 1948; Prentice 1986 for moment fitting). The fit uses every station,
//! manipulated ones included, so the null is, if anything, generous to the data.
//!
//! For each kind of extreme the expected number of stations is Σ pᵢ (pᵢ the station's
//! beta-binomial probability of the extreme); p-values are the upper tail of a Poisson with that
//! mean (conservative for the Poisson-binomial count, whose variance Σ pᵢ(1 − pᵢ) is smaller).
//! References: Klimek et al. (2012) *PNAS* 109:16469 (the 100 %/100 % corner); Kobak et al. (2016);
//! Myagkov, Ordeshook & Shakin (2009) (zero-vote stations).

use statrs::distribution::{DiscreteCDF, Poisson};
use statrs::function::gamma::ln_gamma;

use crate::finding::{details, Finding, StationFlag, Statistic, TestOutput, Verdict};
use crate::forensics::turnout::data::{contenders, Groups};
use crate::forensics::{Battery, ForensicTest};
use crate::text::{fmt_int, fmt_p};

pub const TEST: ForensicTest = ForensicTest {
    id: "extreme_stations",
    title: "Extreme stations",
    method: "Counts stations with turnout ≥ 95 %, a major candidate's share of valid votes ≥ 95 %, or zero votes for a major candidate averaging ≥ 20 % in the station's region, against a per-station beta-binomial null fitted to the mean and spread of comparable stations (the deepest region of the data with at least 20 stations; Poisson upper tail of the expected count). Each such station is listed in flagged_stations.csv.",
    references: "Klimek et al. (2012) PNAS 109:16469; Myagkov, Ordeshook & Shakin (2009); Prentice (1986) JASA 81:321",
    run,
};

/// The edge: 95 %.
const EDGE_NUM: u64 = 19;
const EDGE_DEN: u64 = 20;
/// A candidate's regional share above which zero votes is remarkable.
pub const ZERO_VOTE_REGION_SHARE: f64 = 0.2;

/// A beta distribution of station rates (α, β), or a point mass when the region shows no spread.
#[derive(Debug, Clone, Copy)]
pub struct BetaRates {
    pub mean: f64,
    /// α + β; infinite for a point mass (plain binomial).
    pub concentration: f64,
}

impl BetaRates {
    /// Method-of-moments fit to counts `x` out of totals `n` (totals > 0): the variance of the
    /// rates x/n minus the average binomial variance is the between-station variance.
    pub fn fit(x: &[u64], n: &[u64]) -> BetaRates {
        let k = x.len() as f64;
        let rates: Vec<f64> = x
            .iter()
            .zip(n)
            .map(|(&a, &b)| a as f64 / b as f64)
            .collect();
        let mean = x.iter().sum::<u64>() as f64 / n.iter().sum::<u64>().max(1) as f64;
        let var = rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (k - 1.0).max(1.0);
        let binom = mean * (1.0 - mean) * n.iter().map(|&b| 1.0 / b as f64).sum::<f64>() / k;
        let between = var - binom;
        let concentration = if between > 1e-12 && mean > 0.0 && mean < 1.0 {
            (mean * (1.0 - mean) / between - 1.0).max(1e-3)
        } else {
            f64::INFINITY
        };
        BetaRates {
            mean: mean.clamp(1e-9, 1.0 - 1e-9),
            concentration,
        }
    }

    fn ab(&self) -> (f64, f64) {
        (
            self.mean * self.concentration,
            (1.0 - self.mean) * self.concentration,
        )
    }

    /// P(X ≥ k) for X ~ BetaBin(n, α, β) (binomial for a point mass).
    pub fn upper_tail(&self, n: u64, k: u64) -> f64 {
        if k == 0 {
            return 1.0;
        }
        if k > n {
            return 0.0;
        }
        let ln_pmf = |j: u64| -> f64 {
            let (j, nf) = (j as f64, n as f64);
            let choose = ln_gamma(nf + 1.0) - ln_gamma(j + 1.0) - ln_gamma(nf - j + 1.0);
            if self.concentration.is_infinite() {
                choose + j * self.mean.ln() + (nf - j) * (1.0 - self.mean).ln()
            } else {
                let (a, b) = self.ab();
                choose + ln_beta(j + a, nf - j + b) - ln_beta(a, b)
            }
        };
        // Sum from k up with the pmf ratio recurrence (one log-gamma evaluation per station).
        let mut pmf = ln_pmf(k).exp();
        let mut total = 0.0;
        let (a, b) = if self.concentration.is_infinite() {
            (f64::NAN, f64::NAN)
        } else {
            self.ab()
        };
        for j in k..=n {
            total += pmf;
            if j == n || (pmf < total * 1e-15 && j > k + 10) {
                break;
            }
            let (jf, nf) = (j as f64, n as f64);
            let ratio = if self.concentration.is_infinite() {
                (nf - jf) / (jf + 1.0) * self.mean / (1.0 - self.mean)
            } else {
                (nf - jf) * (jf + a) / ((jf + 1.0) * (nf - jf - 1.0 + b))
            };
            pmf *= ratio;
        }
        total.min(1.0)
    }

    /// P(X = 0).
    pub fn zero(&self, n: u64) -> f64 {
        let nf = n as f64;
        if self.concentration.is_infinite() {
            (nf * (1.0 - self.mean).ln()).exp()
        } else {
            let (a, b) = self.ab();
            (ln_beta(a, b + nf) - ln_beta(a, b)).exp()
        }
    }
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// The smallest count that is at least 95 % of `n`.
fn edge(n: u64) -> u64 {
    (EDGE_NUM * n).div_ceil(EDGE_DEN)
}

/// One kind of extreme: its label, and per station whether it is extreme and its null probability
/// (`None` where the station cannot be judged).
struct Kind {
    label: String,
    hits: Vec<Option<(bool, f64)>>,
    detail: Box<dyn Fn(usize) -> String>,
}

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    let t = b.tally;
    let mut out = TestOutput::default();
    let cands = contenders(t);
    let groups = Groups::new(t, b.params.region_depth);
    let n = t.n_stations();
    // The null is fitted per comparison group: each station's deepest region in the data with at
    // least MIN_NULL_GROUP stations (the most alike neighbours available), so that regional
    // differences do not masquerade as extremes.
    let (fine, members) = comparison_groups(t);
    let fit_by_group = |x: &[u64], tot: &[u64]| -> Vec<Option<BetaRates>> {
        members
            .iter()
            .map(|m| {
                let (xs, ns): (Vec<u64>, Vec<u64>) = m
                    .iter()
                    .map(|&i| i as usize)
                    .filter(|&i| tot[i] > 0)
                    .map(|i| (x[i].min(tot[i]), tot[i]))
                    .unzip();
                (!xs.is_empty()).then(|| BetaRates::fit(&xs, &ns))
            })
            .collect()
    };
    let mut kinds: Vec<Kind> = Vec::new();
    if let Some(reg) = &t.registered {
        let fits = fit_by_group(&t.ballots_cast, reg);
        let hits = (0..n)
            .map(|i| {
                let fit = fits[fine[i] as usize]?;
                (reg[i] > 0).then(|| {
                    let k = edge(reg[i]);
                    (t.ballots_cast[i] >= k, fit.upper_tail(reg[i], k))
                })
            })
            .collect();
        let (bc, rg) = (t.ballots_cast.clone(), reg.clone());
        kinds.push(Kind {
            label: "turnout ≥ 95 %".into(),
            hits,
            detail: Box::new(move |i| {
                format!(
                    "turnout {:.1} % ({} of {} registered)",
                    100.0 * bc[i] as f64 / rg[i] as f64,
                    bc[i],
                    rg[i]
                )
            }),
        });
    }
    for c in &cands {
        let fits = fit_by_group(c.votes, &t.valid);
        let valid = t.valid.clone();
        let votes = c.votes.to_vec();
        let name = c.name.to_string();
        let hits = (0..n)
            .map(|i| {
                let fit = fits[fine[i] as usize]?;
                (valid[i] > 0).then(|| {
                    let k = edge(valid[i]);
                    (votes[i] >= k, fit.upper_tail(valid[i], k))
                })
            })
            .collect();
        let (v2, n2) = (votes.clone(), valid.clone());
        kinds.push(Kind {
            label: format!("{name} share ≥ 95 %"),
            hits,
            detail: Box::new(move |i| {
                format!(
                    "{name}: {} of {} valid votes ({:.1} %)",
                    v2[i],
                    n2[i],
                    100.0 * v2[i] as f64 / n2[i] as f64
                )
            }),
        });
        let name = c.name.to_string();
        let hits = (0..n)
            .map(|i| {
                let fit = fits[fine[i] as usize]?;
                (valid[i] > 0 && fit.mean >= ZERO_VOTE_REGION_SHARE)
                    .then(|| (votes[i] == 0, fit.zero(valid[i])))
            })
            .collect();
        let fits2 = fits.clone();
        let fine2 = fine.clone();
        let valid2 = valid.clone();
        kinds.push(Kind {
            label: format!("zero votes for {name}"),
            hits,
            detail: Box::new(move |i| {
                let m = fits2[fine2[i] as usize].map_or(0.0, |f| f.mean);
                format!(
                    "0 of {} valid votes for {name}, who has {:.0} % in the region",
                    valid2[i],
                    100.0 * m
                )
            }),
        });
    }
    if kinds.is_empty() {
        out.findings.push(Finding::not_applicable(
            TEST.id,
            "stations",
            None,
            n as u64,
            "the data have no registered voters and no candidates".into(),
        ));
        return Ok(out);
    }
    for kind in &kinds {
        for g in 0..groups.regions.len() {
            out.findings.push(finding(
                &kind.label,
                groups.regions[g].clone(),
                &groups.members[g],
                &kind.hits,
            ));
        }
        for (i, h) in kind.hits.iter().enumerate() {
            if let Some((true, p)) = h {
                out.station_flags.push(StationFlag {
                    station: i as u32,
                    test_id: TEST.id,
                    check: kind.label.clone(),
                    detail: format!(
                        "{}; chance of this at this station under the regional null: {}",
                        (kind.detail)(i),
                        fmt_p(*p)
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// Fewest stations in a comparison group of the null (smaller regions use their parent's fit).
pub const MIN_NULL_GROUP: usize = 20;

/// Per station, the index of its comparison group, and the stations of each group: the deepest
/// region level at which the station's region has at least `MIN_NULL_GROUP` stations (the whole
/// dataset when none has).
fn comparison_groups(t: &crate::tally::Tally) -> (Vec<u32>, Vec<Vec<u32>>) {
    let n = t.n_stations();
    let sizes: Vec<Vec<usize>> = t
        .regions
        .iter()
        .map(|level| {
            let mut c = vec![0usize; level.paths.len()];
            for &code in &level.codes {
                c[code as usize] += 1;
            }
            c
        })
        .collect();
    let mut ids: std::collections::HashMap<(usize, u32), u32> = Default::default();
    let mut members: Vec<Vec<u32>> = Vec::new();
    let mut of = Vec::with_capacity(n);
    for i in 0..n {
        let key = (0..t.regions.len())
            .rev()
            .find(|&l| sizes[l][t.regions[l].codes[i] as usize] >= MIN_NULL_GROUP)
            .map_or((usize::MAX, 0), |l| (l, t.regions[l].codes[i]));
        let id = *ids.entry(key).or_insert_with(|| {
            members.push(Vec::new());
            (members.len() - 1) as u32
        });
        members[id as usize].push(i as u32);
        of.push(id);
    }
    (of, members)
}

fn finding(
    label: &str,
    region: Option<Vec<String>>,
    members: &[u32],
    hits: &[Option<(bool, f64)>],
) -> Finding {
    let (mut judged, mut observed, mut expected, mut var) = (0u64, 0u64, 0.0, 0.0);
    for &i in members {
        if let Some((hit, p)) = hits[i as usize] {
            judged += 1;
            observed += u64::from(hit);
            expected += p;
            var += p * (1.0 - p);
        }
    }
    if judged == 0 {
        return Finding::not_applicable(
            TEST.id,
            label,
            region,
            0,
            "no station can be judged (no denominator, or the candidate averages under 20 % here)"
                .into(),
        );
    }
    let p = if observed == 0 {
        1.0
    } else if expected <= 0.0 {
        0.0
    } else {
        Poisson::new(expected).map_or(f64::NAN, |d| d.sf(observed - 1))
    };
    let ratio = if expected > 0.0 {
        observed as f64 / expected
    } else {
        f64::INFINITY
    };
    let expected_text = if expected < 0.01 {
        "under 0.01".to_string()
    } else if expected < 10.0 {
        format!("{expected:.2}")
    } else {
        format!("{expected:.0}")
    };
    let ratio_text = if observed == 0 {
        String::new()
    } else if !ratio.is_finite() || ratio > 1000.0 {
        " (over 1,000 times that)".to_string()
    } else {
        format!(" ({ratio:.1} times that)")
    };
    let headline = format!(
        "{} of {} stations have {label}, against {expected_text} expected from the spread among comparable stations{ratio_text}; p = {}.",
        fmt_int(observed),
        fmt_int(judged),
        fmt_p(p)
    );
    Finding {
        test_id: TEST.id,
        subject: label.to_string(),
        region,
        n: judged,
        statistic: Some(Statistic::new("observed", observed as f64)),
        p_value: Some(p),
        q_value: None,
        p_value_source: Some(
            "upper tail of a Poisson with the summed beta-binomial probabilities".into(),
        ),
        effect_size: Some(Statistic::new(
            "observed_over_expected",
            if ratio.is_finite() { ratio } else { f64::MAX },
        )),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("observed", serde_json::json!(observed)),
            ("expected", serde_json::json!(expected)),
            ("sd", serde_json::json!(var.sqrt())),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::turnout::data::tests::turnout_tally;
    use crate::forensics::Params;

    #[test]
    fn beta_binomial_matches_scipy() {
        // scipy.stats.betabinom(n=50, a=2, b=3).sf(44) = P(X ≥ 45); .pmf(0)
        let f = BetaRates {
            mean: 0.4,
            concentration: 5.0,
        };
        assert!(
            (f.upper_tail(50, 45) - 0.008_366_771_962_776_354).abs() < 1e-12,
            "{}",
            f.upper_tail(50, 45)
        );
        assert!(
            (f.zero(50) - 0.004_192_872_117_400_422).abs() < 1e-12,
            "{}",
            f.zero(50)
        );
        // Point mass: binomial. scipy.stats.binom(20, 0.9).sf(18) = P(X ≥ 19)
        let b = BetaRates {
            mean: 0.9,
            concentration: f64::INFINITY,
        };
        assert!((b.upper_tail(20, 19) - 0.391_746_998_125_167_9).abs() < 1e-12);
        assert_eq!(edge(100), 95);
        assert_eq!(edge(101), 96);
    }

    #[test]
    fn honest_data_match_the_null_and_stuffed_corner_does_not() {
        let mut t = turnout_tally(8, 5000);
        let params = Params::default();
        let out = run(&Battery::new(&t, &params)).unwrap();
        for f in &out.findings {
            assert!(
                f.p_value.is_none_or(|p| p > 0.001),
                "{}: {}",
                f.subject,
                f.headline
            );
        }
        // Stuff 3 % of stations to ~100 % turnout, all for the leader.
        let reg = t.registered.clone().unwrap();
        for i in (0..t.n_stations()).step_by(33) {
            let add = reg[i] - t.ballots_cast[i];
            t.ballots_cast[i] += add;
            t.valid[i] += add;
            t.candidates[0].votes[i] += add + t.candidates[1].votes[i];
            t.candidates[1].votes[i] = 0;
        }
        let out = run(&Battery::new(&t, &params)).unwrap();
        let turnout = &out.findings[0];
        assert_eq!(turnout.subject, "turnout ≥ 95 %");
        assert!(turnout.p_value.unwrap() < 1e-10, "{}", turnout.headline);
        assert!(
            out.station_flags.len() >= 150,
            "{}",
            out.station_flags.len()
        );
    }
}
