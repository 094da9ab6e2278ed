//! `klimek_model`: the Klimek et al. (2012) fraud model fitted to the turnout × leader-share
//! histogram: the share of stations with incremental fraud f_i and with extreme fraud f_e, with
//! intervals, the fit distance, and the fitted model's fingerprint beside the observed one.
//!
//! Reference: Klimek, Yegorov, Hanel & Thurner (2012), "Statistical detection of systematic
//! election irregularities", *PNAS* 109(41):16469–16473, and the Election Forensics Toolkit's
//! conversion of their code. The model, the fit and the interval are documented in `klimek_fit`.
//! The estimate comes with a **self-null**: the same estimator applied to clean elections simulated
//! from the fit's own clean component (same stations, sizes and clean-model groups, f_i = f_e = 0;
//! `klimek_fit::SelfNull`). Its p-value — how often a clean election of this shape gives an
//! f_i + f_e at least this large — drives the verdict, because an interval that excludes zero is
//! not evidence by itself: the model's clean component (independent turnout and share per group)
//! misfits honest heterogeneity, and on clean elections with polarized regions or a party that
//! stands only in some regions the interval excluded zero (f_i = 10 % [0.8 %, 19.7 %]). The
//! self-null carries that misfit: a clean election of the same shape misfits the same way. What it
//! cannot carry: honest structure the fitted clean component does not contain (high-turnout
//! stations that favour the leader within one group), which the model still reads as fraud; the
//! regional fits and the fingerprint show where it comes from.

pub mod implied_votes;

use crate::figure::{file_stem, Figure, FigureSpec, HeatmapPanel, Panel};
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::turnout::data::{contenders, Groups};
use crate::forensics::turnout::klimek_fit::{fit, KlimekFit, KlimekInput, KlimekOptions};
use crate::forensics::{Battery, ForensicTest};
use crate::text::fmt_int;

pub const TEST: ForensicTest = ForensicTest {
    id: "klimek_model",
    title: "Klimek fraud model",
    method: "Fits the Klimek et al. (2012) model to the binned 2D histogram of turnout and the leader's share of valid votes: clean stations with independent turnout and share (free histograms per group of similar regions) plus incremental fraud (share f_i of stations: ballots stuffed and votes moved to the leader in proportion x ~ |N(0, θ)|) and extreme fraud (share f_e, x near 1), by a binned multinomial likelihood maximised with EM over θ and α; 95 % intervals by inverting a constrained parametric bootstrap (f_i) or a basic bootstrap (f_e), widened by a jackknife over runs of consecutive stations. The verdict comes from a self-null: the same estimator refitted on clean elections simulated from the fit's own clean component (same stations, sizes and regions), so f_i + f_e is judged against what a clean election of this shape gives, not against zero. Honest structure inside a region that combines high turnout with support for the leader still raises f_i.",
    references: "Klimek, Yegorov, Hanel & Thurner (2012) PNAS 109:16469; Election Forensics Toolkit (Hicken & Mebane), ComputeKlimekModel",
    weight: 4.03,
    run,
};

/// Fewest stations for a regional fit (regions below are not fitted: too few to shape a histogram).
pub const MIN_REGION_STATIONS: usize = 2000;

/// Bootstrap replicates of regional fits (the national fit uses more).
const REGION_BOOTSTRAP: u32 = 50;
/// Self-null replicates of regional fits.
const REGION_SELF_NULL: u32 = 30;
/// Most regional fits (the largest regions).
const MAX_REGIONS: usize = 8;
/// Most stations a regional fit samples (the national fit uses the `KlimekOptions` default).
const REGION_MAX_STATIONS: usize = 20_000;

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    let t = b.tally;
    let mut out = TestOutput::default();
    let cands = contenders(b);
    let (Some(reg), Some(leader)) = (&t.registered, cands.first()) else {
        out.findings.push(Finding::not_applicable(
            TEST.id,
            cands.first().map(|c| c.name).unwrap_or("leader"),
            None,
            t.n_stations() as u64,
            "the data have no registered-voters column (or no candidates), so turnout is unknown"
                .into(),
        ));
        return Ok(out);
    };
    let groups = Groups::new(t, b.params.region_depth);
    let defaults = KlimekOptions::default();
    let bootstrap = b.params.replicates.min(defaults.bootstrap);
    let mut regional: Vec<usize> = groups
        .levels()
        .into_iter()
        .take(1)
        .flat_map(|(_, r)| r)
        .filter(|&g| groups.members[g].len() >= MIN_REGION_STATIONS)
        .collect();
    regional.sort_by_key(|&g| std::cmp::Reverse(groups.members[g].len()));
    regional.truncate(MAX_REGIONS);
    regional.sort_unstable();
    for g in std::iter::once(0).chain(regional) {
        let idx: Vec<usize> = groups.members[g].iter().map(|&i| i as usize).collect();
        let pick = |v: &[u64]| idx.iter().map(|&i| v[i]).collect::<Vec<u64>>();
        let (r, bl, va, w) = (
            pick(reg),
            pick(&t.ballots_cast),
            pick(leader.valid),
            pick(leader.votes),
        );
        // National fit: clean models per top-level region; a regional fit: per sub-region.
        let level = if g == 0 { 0 } else { 1 };
        let codes: Option<Vec<u32>> = t
            .regions
            .get(level)
            .map(|l| idx.iter().map(|&i| l.codes[i]).collect());
        let input = KlimekInput {
            registered: &r,
            ballots: &bl,
            valid: &va,
            winner: &w,
            region: codes.as_deref(),
        };
        let opts = KlimekOptions {
            seed: crate::forensics::digits::null::mix(
                b.params.seed ^ 0x6b6c_696d ^ crate::forensics::digits::null::mix(g as u64),
            ),
            bootstrap: if g == 0 {
                bootstrap
            } else {
                bootstrap.min(REGION_BOOTSTRAP)
            },
            self_null: if g == 0 {
                b.params.replicates.min(defaults.self_null)
            } else {
                b.params.replicates.min(REGION_SELF_NULL)
            },
            max_stations: if g == 0 {
                defaults.max_stations
            } else {
                REGION_MAX_STATIONS
            },
            ..defaults.clone()
        };
        let region = groups.regions[g].clone();
        match fit(&input, &opts) {
            Err(reason) => out.findings.push(Finding::not_applicable(
                TEST.id,
                leader.name,
                region,
                idx.len() as u64,
                reason,
            )),
            Ok(f) => {
                let per_share = implied_votes::PerShare::new(
                    usable_sum(&r, &va, |k| r[k].saturating_sub(bl[k])),
                    usable_sum(&r, &va, |k| va[k].saturating_sub(w[k])),
                    f.clean.theta,
                    f.alpha,
                    crate::forensics::turnout::klimek_fit::EXTREME_SD,
                );
                let mut finding = finding(leader.name, region, &f, &per_share);
                if g == 0 {
                    let stem = file_stem(&[TEST.id, leader.name, "national"]);
                    out.figures.push(Figure {
                        file_stem: stem.clone(),
                        spec: figure(leader.name, &f, &opts),
                    });
                    finding.figure = Some(format!("figures/{stem}.png"));
                }
                out.findings.push(finding);
            }
        }
    }
    Ok(out)
}

/// Σ of `value(k)` over the stations the fit uses (registered and valid votes > 0).
fn usable_sum(registered: &[u64], valid: &[u64], value: impl Fn(usize) -> u64) -> f64 {
    (0..registered.len())
        .filter(|&k| registered[k] > 0 && valid[k] > 0)
        .map(|k| value(k) as f64)
        .sum()
}

fn finding(
    leader: &str,
    region: Option<Vec<String>>,
    f: &KlimekFit,
    per_share: &implied_votes::PerShare,
) -> Finding {
    let excludes_zero = f.f_i_interval.0 > 0.0 || f.f_e_interval.0 > 0.0;
    let pct = |x: f64| format!("{:.1} %", 100.0 * x);
    let headline = format!(
        "The model puts incremental fraud in f_i = {} of stations ({:.0} % interval {}–{}) and extreme fraud in f_e = {} ({}–{}); {}.",
        pct(f.f_i),
        100.0 * f.confidence,
        pct(f.f_i_interval.0),
        pct(f.f_i_interval.1),
        pct(f.f_e),
        pct(f.f_e_interval.0),
        pct(f.f_e_interval.1),
        if excludes_zero {
            format!("{} excludes zero", if f.f_i_interval.0 > 0.0 && f.f_e_interval.0 > 0.0 { "each interval" } else if f.f_i_interval.0 > 0.0 { "the f_i interval" } else { "the f_e interval" })
        } else {
            "both intervals include zero".to_string()
        }
    );
    let n = &f.self_null;
    let headline = format!(
        "{headline} On {} clean elections of this shape (simulated from the fitted clean component: same stations, sizes and regions) the same estimator gives f_i + f_e of {} on average, {} at the 95th percentile and {} at most, against {} here (p = {}): {}.",
        n.replicates,
        pct(n.mean),
        pct(n.q95),
        pct(n.max),
        pct(n.observed),
        crate::text::fmt_p(n.p_value),
        if n.observed <= n.q95 {
            "no more than a clean election of this shape gives".to_string()
        } else if n.observed > n.max {
            format!("beyond every clean election of this shape, by {:.1} of their standard deviations", (n.observed - n.mean) / n.sd.max(crate::forensics::turnout::klimek_fit::SELF_NULL_MIN_SD))
        } else {
            "more than most clean elections of this shape give".to_string()
        }
    );
    let implied = per_share.votes(f.f_i, f.f_e);
    let implied_interval = (
        per_share.votes(f.f_i_interval.0, f.f_e_interval.0),
        per_share.votes(f.f_i_interval.1, f.f_e_interval.1),
    );
    let implied_null = per_share.votes(n.fi_mean, n.fe_mean);
    let beyond = (implied - implied_null).max(0.0);
    let headline = format!(
        "{headline} In votes, the fitted model moves {} to {leader} ([{}, {}]); its fit to clean elections of this shape implies {}, so {} beyond them.",
        fmt_int(implied.round() as u64),
        fmt_int(implied_interval.0.round() as u64),
        fmt_int(implied_interval.1.round() as u64),
        fmt_int(implied_null.round() as u64),
        fmt_int(beyond.round() as u64),
    );
    let json = |x: f64| serde_json::json!(x);
    let mut d = details([
        ("implied_votes", json(implied)),
        (
            "implied_votes_interval",
            serde_json::json!([implied_interval.0, implied_interval.1]),
        ),
        ("implied_votes_self_null_mean", json(implied_null)),
        ("implied_votes_beyond_self_null", json(beyond)),
        // The convention of every anomalous-vote estimate (report::margin).
        ("anomalous_votes", json(beyond)),
        (
            "anomalous_interval",
            serde_json::json!([
                (implied_interval.0 - implied_null).max(0.0),
                (implied_interval.1 - implied_null).max(0.0)
            ]),
        ),
    ]);
    Finding {
        test_id: TEST.id,
        subject: leader.to_string(),
        region,
        n: f.stations_used as u64,
        statistic: Some(Statistic::new("f_i", f.f_i)),
        p_value: Some(n.p_value),
        q_value: None,
        p_value_source: Some(format!("self-null: f_i + f_e refitted on {} clean elections simulated from the fitted clean component; empirical exceedance, normal tail beyond the largest", n.replicates)),
        effect_size: Some(Statistic::new("f_i_plus_f_e", f.f_i + f.f_e)),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: {
            d.extend(details([
            ("f_i", json(f.f_i)),
            (
                "f_i_interval",
                serde_json::json!([f.f_i_interval.0, f.f_i_interval.1]),
            ),
            ("f_e", json(f.f_e)),
            (
                "f_e_interval",
                serde_json::json!([f.f_e_interval.0, f.f_e_interval.1]),
            ),
            ("confidence", json(f.confidence)),
            ("alpha", json(f.alpha)),
            ("deviance", json(f.distance)),
            ("clean_turnout_mean", json(f.clean.mu_t)),
            ("clean_turnout_sd", json(f.clean.sigma_t)),
            ("clean_share_mean", json(f.clean.mu_s)),
            ("clean_share_sd", json(f.clean.sigma_s)),
            ("theta", json(f.clean.theta)),
            ("f_i_mle", json(f.f_i_mle)),
            ("clean_model_groups", serde_json::json!(f.groups)),
            ("stations_fitted", serde_json::json!(f.stations_fitted)),
            ("stations_skipped", serde_json::json!(f.stations_skipped)),
            ("bootstrap_replicates", serde_json::json!(f.bootstrap_used)),
            ("self_null_replicates", serde_json::json!(n.replicates)),
            ("self_null_observed", json(n.observed)),
            ("self_null_mean", json(n.mean)),
            ("self_null_sd", json(n.sd)),
            ("self_null_q95", json(n.q95)),
            ("self_null_max", json(n.max)),
            ("self_null_f_i_mean", json(n.fi_mean)),
            ("self_null_f_e_mean", json(n.fe_mean)),
        ]));
            d
        },
    }
}

fn figure(leader: &str, f: &KlimekFit, opts: &KlimekOptions) -> FigureSpec {
    let panel = |title: String, counts: Vec<f64>| HeatmapPanel {
        title,
        caption: String::new(),
        x_label: "Turnout (%)".into(),
        y_label: format!("{leader}'s share of valid votes (%)"),
        x_range: (0.0, 100.0),
        y_range: (0.0, 100.0),
        nx: opts.nx,
        ny: opts.ny,
        counts,
        color_label: "stations per cell (log scale)".into(),
        highlight: false,
    };
    FigureSpec::Grid {
        title: format!("Klimek model: observed fingerprint and fitted model ({} stations)", fmt_int(f.stations_used as u64)),
        caption: format!(
            "Left: the observed stations; right: the fitted model with f_i = {:.1} % incremental and f_e = {:.1} % extreme fraud on the same station sizes, same colour scale. Where the right panel reproduces a smear or corner cluster of the left, the model attributes it to fraud; honest high-turnout regions that favour the leader look the same to it.",
            100.0 * f.f_i,
            100.0 * f.f_e
        ),
        shared_scale: true,
        panels: vec![
            Panel::Heatmap(panel("Observed".into(), f.observed.clone())),
            Panel::Heatmap(panel(
                format!(
                    "Fitted: f_i = {:.1} % [{:.1}, {:.1}], f_e = {:.1} % [{:.1}, {:.1}]",
                    100.0 * f.f_i,
                    100.0 * f.f_i_interval.0,
                    100.0 * f.f_i_interval.1,
                    100.0 * f.f_e,
                    100.0 * f.f_e_interval.0,
                    100.0 * f.f_e_interval.1
                ),
                f.fitted.clone(),
            )),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::turnout::data::tests::turnout_tally;
    use crate::forensics::Params;

    #[test]
    fn honest_election_fits_near_zero_with_the_two_panel_figure() {
        let t = turnout_tally(4, 3000);
        let params = Params {
            replicates: 20,
            ..Params::default()
        };
        let out = run(&Battery::new(&t, &params)).unwrap();
        let nat = &out.findings[0];
        // The verdict is set by the multiple-testing step; the self-null p is far from small.
        assert_eq!(nat.verdict, Verdict::Consistent);
        assert!(nat.p_value.unwrap() > 0.05, "{}", nat.headline);
        assert_eq!(nat.details["self_null_replicates"].as_u64().unwrap(), 20);
        let f_i = nat.details["f_i"].as_f64().unwrap();
        let f_e = nat.details["f_e"].as_f64().unwrap();
        assert!(f_i < 0.1 && f_e < 0.02, "{}", nat.headline);
        assert_eq!(nat.details["f_i_interval"][0].as_f64().unwrap(), 0.0);
        assert_eq!(out.figures.len(), 1);
        let mut small = t.clone();
        small.registered = None;
        let out = run(&Battery::new(&small, &params)).unwrap();
        assert_eq!(out.findings[0].verdict, Verdict::NotApplicable);
    }
}
