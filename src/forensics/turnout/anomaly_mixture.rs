//! `anomaly_mixture`: a finite mixture model of the stations' turnout and winner votes in the
//! style of Mebane's *eforensics* (what that literature calls a "frauds" model): every station is
//! clean, incrementally manipulated or extremely manipulated; the fit gives each station's
//! posterior probability of each, the expected number of manipulated stations and of
//! manufactured and stolen votes, with intervals, and a verdict from a self-null.
//!
//! References: Mebane (2016), "Election Forensics: Frauds Tests and Observation-level Frauds
//! Probabilities", Midwest Political Science Association; Ferrari, McAlister & Mebane (2018),
//! "Developments in Positive Empirical Models of Election Frauds: Dimensions and Decisions",
//! *Statistics and Public Policy* 5(1):1–19; the R package `eforensics` (Ferrari, McAlister &
//! Mebane; models `bl`, `qbl` and `rn` in `R/ef_models.R`); Klimek, Yegorov, Hanel & Thurner
//! (2012), *PNAS* 109(41):16469 (the incremental and extreme kinds); Peel & McLachlan (2000),
//! "Robust mixture modelling using the t distribution", *Statistics and Computing* 10:339 (the
//! Student-t EM); McLachlan (1987), "On bootstrapping the likelihood ratio test statistic for the
//! number of components in a normal mixture", *Applied Statistics* 36:318 (the self-null);
//! Varadhan & Roland (2008), *Scand. J. Statist.* 35:335 (SQUAREM). See
//! `docs/methods.md#anomaly_mixture`.
//!
//! # The model (eforensics, as in `R/ef_models.R`)
//!
//! Station i has N_i registered voters, a_i abstentions (N_i − ballots), w_i votes for the
//! winner (the national leader) and the rest of the valid votes o_i for the opposition. A latent
//! class Z_i ∈ {clean, incremental, extreme} with probabilities π. In the clean class turnout
//! τ_i and the winner's share ν_i are the honest values. In a manipulated class a share ι_M (χ_M
//! for extreme) of the abstainers becomes votes for the winner ("manufactured") and a share ι_S
//! (χ_S) of the opposition's votes is moved to the winner ("stolen"). eforensics' `bl` writes
//! the expected shares of N_i:
//!
//! ```text
//! E[a/N] = (1 − τ)(1 − ι_M)
//! E[w/N] = ν (1 − ι_S)/(1 − ι_M) (1 − ι_M − a/N) + (a/N)(ι_M − ι_S)/(1 − ι_M) + ι_S
//! ```
//!
//! (the clean class has ι = 0: E[w/N] = ν (1 − a/N)), with a ~ Binomial(N, ·), w ~ Binomial(N,
//! ·), ι_M, ι_S < k = 0.7 ≤ χ_M, χ_S, and, in `qbl`, logit-normal station effects on τ, ν, ι, χ.
//! The second line is the clean winner share applied to the clean voters that remain, plus the
//! manufactured and stolen votes: inverting it gives the clean values a station implies under a
//! class. eforensics samples the posterior by MCMC (JAGS); on 10⁵ stations that takes hours.
//!
//! # This implementation (EM in seconds), and why
//!
//! * **Invert, then score the implied clean station.** Under node (m, s): clean abstainers
//!   a0 = a / (1 − m), clean ballots b0 = N − a0, manufactured votes m·a0, clean valid votes
//!   v0 = v − m·a0, clean opposition o0 = o / (1 − s), stolen votes o0 − o (invalid ballots are
//!   untouched). The node is impossible when b0 < 0 or o0 > v0. The station's probability under
//!   the node is the clean density of the implied turnout b0/N and winner share 1 − o0/v0
//!   (continuity-corrected), divided by the Jacobians of the push ((1 − m) for turnout,
//!   (1 − s) v0/v for the share) and multiplied by the width of one count (1/N, 1/v), each factor
//!   capped at 1 (a probability). This is the continuous version of the `rn` model of
//!   eforensics, which makes the same inversion with a Jacobian.
//! * **Overdispersion.** The clean turnout and winner share are independent Student-t with a
//!   location per region of the deepest level with at least 50 stations per region on average
//!   (regions under 30 usable stations pooled) and one scale each beyond
//!   the binomial noise (added by the delta method: p (1 − p) / N on the proportion scale,
//!   1 / (N p (1 − p)) on the logit scale). The scale (proportion or logit) and the degrees of
//!   freedom (4 or 50) are those with the best mixture likelihood. With binomial
//!   counts and no overdispersion (eforensics `bl`) the honest spread of stations (SDs of 5–10
//!   points, 10–20 binomial SDs on stations of 500 voters) is itself read as manipulation; heavy
//!   tails keep honest outlying stations clean, and a manipulated station moves jointly to
//!   higher turnout *and* a higher winner share, which independent clean margins do not.
//! * **The ridge.** The likelihood of an honest election has a nearly flat ridge: a narrower clean
//!   class plus many small pushes fits almost as well (a gain of a few log-likelihood units on
//!   3,000 stations), and EM (fast with SQUAREM) walks along it, so on honest data the point
//!   estimates can put a tenth of the stations in the incremental class; under manipulation the
//!   same ridge inflates the counts (manufactured votes up to twice the planted ones on our
//!   synthetic check). Holding the clean scales at the clean-only fit removed the ridge on honest
//!   data but, manipulation widening that fit, put 80 % of the stations of a manipulated election
//!   in the incremental class. The estimates are therefore reported with the caveat, and the
//!   verdict does not use them: it is the likelihood-ratio test below, which the ridge does not
//!   move (its gain is what a clean election of this shape gives).
//! * **Magnitudes on a grid.** Each manipulated class is a discrete distribution with free
//!   weights over a grid of (m, s): incremental m ∈ {0.1, 0.25, 0.45} × s ∈ {0, 0.1, 0.25,
//!   0.45}, extreme every pair of {0.9, 0.98}; 17 nodes with the clean one (a nonparametric
//!   version of eforensics' random magnitudes). Stealing without stuffing (m = 0) moves only the
//!   share, which a clean class with a free location mimics, so it is not a node: vote switching
//!   alone is outside what this model counts.
//! * **EM.** E-step: each station's responsibilities over the nodes; M-step: the node weights and
//!   the clean locations and scales by the Student-t EM (scale-mixture weights, Peel & McLachlan 2000) on the
//!   implied clean values of every node weighted by its responsibility; SQUAREM acceleration
//!   (Varadhan & Roland 2008). Stopped when the mean log-likelihood per station changes by less
//!   than 10⁻⁶ between cycles; cycles, the last change and a converged flag are reported. Three
//!   starts (incremental, extreme shares (5 %, 1 %), (1 %, 0.2 %), (25 %, 5 %)); the best
//!   log-likelihood is the estimate and the starts' anomalous shares must agree within 0.5
//!   points (`starts_agree`).
//! * **Subsample.** At most 30,000 stations (a seeded subsample) are fitted; the posteriors and
//!   totals cover every usable station.
//! * **Intervals: bootstrap.** Poisson(1) weights over the fitted stations, the three class
//!   shares re-estimated by EM with the clean component and the magnitude grid held at the fit;
//!   the 2.5 and 97.5 percentiles of the expected totals (scaled to all usable stations). They
//!   carry the sampling and classification uncertainty, not the clean component's.
//! * **Verdict: self-null (a parametric bootstrap likelihood-ratio test).** The statistic is
//!   2 (ℓ_mixture − ℓ_clean alone) from the primary start. Clean elections are simulated from the
//!   clean-only fit (same registered voters, regions and invalid shares; t-distributed latent
//!   values, binomial counts) on at most 6,000 of the fitted stations, and both fits are repeated
//!   on each (McLachlan 1987, the bootstrap test for the number of mixture components); the
//!   p-value is the share of clean refits with a likelihood ratio at least the observed one
//!   (normal tail beyond the largest). An interval that excludes zero is not evidence: EM puts
//!   some weight on the manipulated classes of any finite clean election.
//!
//! # What the model cannot tell apart
//!
//! A manipulated class is any joint excess of turnout and winner share beyond the clean
//! component of its region. Honest causes that produce one: strongholds where the winner's
//! voters turn out en masse (a whole community voting as one: closed institutions, military
//! units, small villages), strategic voting and mobilisation that raise turnout where the winner
//! is strong, polarised sub-regions inside one region (the location is per region of the
//! deepest level with 50 stations per region on average, not per district below it), and the honest heterogeneity that a unimodal clean class misfits. Whole
//! regions manipulated alike are absorbed by their region's location. The self-null calibrates
//! the estimator against a clean election *of the fitted clean shape*, not against these;
//! the flagged stations are where to look, not findings of manipulation.
//!
//! Stations with registered = 0 or valid = 0 are skipped and counted; counts beyond their
//! total are capped (ballots at registered, valid at ballots, winner at valid).

#[path = "anomaly_mixture/estimate.rs"]
mod estimate;
#[path = "anomaly_mixture/model.rs"]
mod model;

use crate::finding::{
    details, Finding, StationColumn, StationFlag, Statistic, TestOutput, Verdict,
};
use crate::forensics::turnout::data::contenders;
use crate::forensics::{Battery, ForensicTest};
use crate::text::{fmt_int, fmt_p};
pub use estimate::{fit, Estimate, Input, Options};

pub const TEST: ForensicTest = ForensicTest {
    id: "anomaly_mixture",
    title: "Station anomaly mixture (eforensics-style)",
    method: "Fits a finite mixture in the style of Mebane's eforensics: each station is clean, incrementally manipulated (a share ι_M < 0.7 of the abstainers turned into votes for the leader and a share ι_S of the opposition's votes moved to the leader) or extremely manipulated (shares ≥ 0.7), with clean turnout and leader share Student-t per region (the deepest level with 50 stations per region on average; overdispersion beyond the binomial noise; scale and tails chosen by likelihood) and the magnitudes on a grid with free weights, by EM from three starts. Gives each station's posterior probability of each class (stations.parquet), the expected numbers of manipulated stations and of manufactured and stolen votes with bootstrap intervals, and lists the most probable stations. The verdict comes from a self-null: the likelihood ratio of the mixture over the clean class alone against clean elections simulated from the clean-only fit (parametric bootstrap). Honest strongholds where the leader's voters turn out en masse, strategic mobilisation and polarised districts inside a region look the same to the model.",
    references: "Mebane (2016) Election Forensics: Frauds Tests and Observation-level Frauds Probabilities; Ferrari, McAlister & Mebane (2018) Statistics and Public Policy 5(1); eforensics R package; Klimek et al. (2012) PNAS 109:16469",
    weight: 10.0,
    run,
};

/// Posterior probability of manipulation (either class) from which a station is listed.
pub const FLAG_PROBABILITY: f64 = 0.5;
/// Most stations listed in `flagged_stations.csv` (the most probable).
pub const MAX_FLAGS: usize = 1000;

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
            "the data have no registered-voters column (or no candidates), so abstentions are unknown and the mixture has nothing to model"
                .into(),
        ));
        return Ok(out);
    };
    let input = Input {
        registered: reg,
        ballots: &t.ballots_cast,
        valid: leader.valid,
        winner: leader.votes,
        region: location_level(t).map(|l| l.codes.as_slice()),
    };
    let defaults = Options::default();
    let opts = Options {
        seed: crate::forensics::digits::null::mix(b.params.seed ^ 0x616e_6f6d),
        bootstrap: b.params.replicates.min(defaults.bootstrap),
        self_null: b.params.replicates.min(defaults.self_null),
        ..defaults
    };
    match fit(&input, &opts) {
        Err(reason) => out.findings.push(Finding::not_applicable(
            TEST.id,
            leader.name,
            None,
            t.n_stations() as u64,
            reason,
        )),
        Ok(e) => {
            out.findings.push(finding(leader.name, &e));
            out.station_columns = columns(&e);
            out.station_flags = flags(leader.name, &e, b);
        }
    }
    Ok(out)
}

/// Stations per region, on average, at the finest level the clean locations are fitted on.
pub const STATIONS_PER_LOCATION: usize = 50;

/// The region level whose regions get their own clean location: the deepest with at least
/// `STATIONS_PER_LOCATION` stations per region on average (honest heterogeneity inside a
/// top-level region, towns against villages, is otherwise read as manipulation).
fn location_level(t: &crate::tally::Tally) -> Option<&crate::tally::RegionLevel> {
    t.regions
        .iter()
        .rev()
        .find(|l| l.paths.len() * STATIONS_PER_LOCATION <= t.n_stations())
}

fn columns(e: &Estimate) -> Vec<StationColumn> {
    let col = |name: &str, f: &dyn Fn(&model::StationPosterior) -> f64| StationColumn {
        name: format!("{}_{name}", TEST.id),
        values: e.stations.iter().map(|s| s.as_ref().map(f)).collect(),
    };
    vec![
        col("p_incremental", &|s| s.p_incremental),
        col("p_extreme", &|s| s.p_extreme),
        col("manufactured_votes", &|s| s.manufactured),
        col("stolen_votes", &|s| s.stolen),
    ]
}

/// The most probable stations (P(incremental) + P(extreme) ≥ `FLAG_PROBABILITY`, at most
/// `MAX_FLAGS`, most probable first). The battery keeps them only where the finding deviates.
fn flags(leader: &str, e: &Estimate, b: &Battery<'_>) -> Vec<StationFlag> {
    let t = b.tally;
    let mut cand: Vec<(usize, f64)> = e
        .stations
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.map(|s| (i, s.p_incremental + s.p_extreme)))
        .filter(|&(_, p)| p >= FLAG_PROBABILITY)
        .collect();
    cand.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    cand.truncate(MAX_FLAGS);
    let reg = t.registered.as_deref().unwrap_or(&[]);
    cand.into_iter()
        .filter_map(|(i, _)| {
            let s = e.stations[i]?;
            let lv = t
                .candidates_by_votes()
                .first()
                .map_or(0, |c| c.votes[i]);
            Some(StationFlag {
                station: i as u32,
                test_id: TEST.id,
                check: leader.to_string(),
                detail: format!(
                    "P(incremental) {:.2}, P(extreme) {:.2}; turnout {:.1} % ({} of {}), {leader} {:.1} % of {} valid; expected {:.0} manufactured and {:.0} stolen votes",
                    s.p_incremental,
                    s.p_extreme,
                    100.0 * t.ballots_cast[i] as f64 / reg.get(i).copied().unwrap_or(1).max(1) as f64,
                    t.ballots_cast[i],
                    reg.get(i).copied().unwrap_or(0),
                    100.0 * lv as f64 / t.valid[i].max(1) as f64,
                    t.valid[i],
                    s.manufactured,
                    s.stolen
                ),
            })
        })
        .collect()
}

fn finding(leader: &str, e: &Estimate) -> Finding {
    let n = &e.self_null;
    let iv = |x: &estimate::Interval| {
        format!(
            "{} [{}, {}]",
            fmt_int(x.estimate.round() as u64),
            fmt_int(x.low.round() as u64),
            fmt_int(x.high.round() as u64)
        )
    };
    let pct = |x: f64| format!("{x:.1}");
    let verdict_text = if n.observed <= n.q95 {
        "no more than a clean election of this shape gives".to_string()
    } else if n.observed > n.max {
        format!(
            "beyond every clean election of this shape, by {:.1} of their standard deviations",
            (n.observed - n.mean) / n.sd.max(estimate::MIN_NULL_SD)
        )
    } else {
        "more than most clean elections of this shape give".to_string()
    };
    let headline = format!(
        "The mixture puts {} of {} stations in the manipulated classes ({} incremental, {} extreme; 95 % bootstrap intervals) with {} votes for {leader} beyond the clean model ({} manufactured from abstainers, {} moved from the opposition). The mixture improves on the clean class alone by a likelihood ratio of {}; on {} clean elections of this shape (simulated from the clean-only fit) it does by {} on average and {} at the 95th percentile (p = {}): {}.",
        iv(&e.stations_anomalous),
        fmt_int(e.usable as u64),
        iv(&e.stations_incremental),
        iv(&e.stations_extreme),
        iv(&e.votes_anomalous),
        iv(&e.votes_manufactured),
        iv(&e.votes_stolen),
        pct(n.observed),
        n.replicates,
        pct(n.mean),
        pct(n.q95),
        fmt_p(n.p_value),
        verdict_text
    );
    let j = |x: f64| serde_json::json!(x);
    let ivj = |x: &estimate::Interval| serde_json::json!([x.low, x.high]);
    let path = &e.fit.path;
    let last_change = if path.len() >= 2 {
        (path[path.len() - 1] - path[path.len() - 2]).abs()
    } else {
        0.0
    };
    Finding {
        test_id: TEST.id,
        subject: leader.to_string(),
        region: None,
        n: e.usable as u64,
        statistic: Some(Statistic::new("likelihood_ratio", n.observed)),
        p_value: Some(n.p_value),
        q_value: None,
        p_value_source: Some(format!(
            "self-null: the likelihood ratio of the mixture over the clean class alone on {} clean elections simulated from the clean-only fit ({} stations each; parametric bootstrap, McLachlan 1987); empirical exceedance, normal tail beyond the largest",
            n.replicates, n.stations
        )),
        effect_size: Some(Statistic::new(
            "anomalous_votes_per_valid_vote",
            e.votes_anomalous.estimate / e.valid_votes.max(1.0),
        )),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("share_incremental", j(e.shares[1])),
            ("share_extreme", j(e.shares[2])),
            ("stations_anomalous", j(e.stations_anomalous.estimate)),
            ("stations_anomalous_interval", ivj(&e.stations_anomalous)),
            ("stations_incremental", j(e.stations_incremental.estimate)),
            ("stations_incremental_interval", ivj(&e.stations_incremental)),
            ("stations_extreme", j(e.stations_extreme.estimate)),
            ("stations_extreme_interval", ivj(&e.stations_extreme)),
            ("votes_anomalous", j(e.votes_anomalous.estimate)),
            ("votes_anomalous_interval", ivj(&e.votes_anomalous)),
            ("votes_manufactured", j(e.votes_manufactured.estimate)),
            ("votes_manufactured_interval", ivj(&e.votes_manufactured)),
            ("votes_stolen", j(e.votes_stolen.estimate)),
            ("votes_stolen_interval", ivj(&e.votes_stolen)),
            ("stations_p_above_half", serde_json::json!(e.above_half)),
            ("confidence", j(estimate::CONFIDENCE)),
            ("incremental_manufactured_share_mean", j(e.incremental_magnitude.0)),
            ("incremental_stolen_share_mean", j(e.incremental_magnitude.1)),
            ("extreme_manufactured_share_mean", j(e.extreme_magnitude.0)),
            ("extreme_stolen_share_mean", j(e.extreme_magnitude.1)),
            ("clean_turnout", j(e.clean_turnout)),
            ("clean_share", j(e.clean_share)),
            ("clean_sd_turnout", j(e.sd_turnout)),
            ("clean_sd_share", j(e.sd_share)),
            ("clean_t_df", j(e.fit.params.df)),
            (
                "clean_scale",
                serde_json::json!(if e.fit.params.linear { "proportion" } else { "logit" }),
            ),
            (
                "clean_shape_loglik",
                serde_json::json!(e
                    .df_loglik
                    .iter()
                    .map(|(l, d, ll)| serde_json::json!({
                        "scale": if *l { "proportion" } else { "logit" },
                        "df": d,
                        "loglik": ll
                    }))
                    .collect::<Vec<_>>()),
            ),
            ("clean_model_groups", serde_json::json!(e.groups)),
            ("stations_fitted", serde_json::json!(e.fitted)),
            ("stations_skipped", serde_json::json!(e.skipped)),
            ("em_cycles", serde_json::json!(e.fit.iterations)),
            ("em_converged", serde_json::json!(e.fit.converged)),
            ("em_loglik", j(e.fit.loglik)),
            ("em_last_change", j(last_change)),
            (
                "em_starts",
                serde_json::json!(e
                    .starts
                    .iter()
                    .map(|s| serde_json::json!({
                        "start_incremental": s.start.0,
                        "start_extreme": s.start.1,
                        "loglik": s.loglik,
                        "anomalous_share": s.anomalous_share,
                        "iterations": s.iterations,
                        "converged": s.converged,
                    }))
                    .collect::<Vec<_>>()),
            ),
            ("em_starts_agree", serde_json::json!(e.starts_agree)),
            ("bootstrap_replicates", serde_json::json!(e.bootstrap)),
            ("self_null_replicates", serde_json::json!(n.replicates)),
            ("self_null_stations", serde_json::json!(n.stations)),
            ("self_null_mean", j(n.mean)),
            ("self_null_sd", j(n.sd)),
            ("self_null_q95", j(n.q95)),
            ("self_null_max", j(n.max)),
            ("self_null_exceed", serde_json::json!(n.exceed)),
        ]),
    }
}

#[cfg(test)]
#[path = "anomaly_mixture/tests.rs"]
mod tests;
