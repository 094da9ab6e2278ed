//! The registry of forensic tests and the battery runner.
//!
//! Tests live in family folders (`digits/`, `turnout/`, `announcements/`, `reconciliation/`), each
//! with its shared machinery. Each test is one file of the same shape (module doc with references,
//! `TEST` descriptor, typed result, pure `compute`, `run` building findings, unit tests). Adding a
//! test = a new file in its family folder + `pub mod <id>;` in the family's `mod.rs` +
//! `<family>::<id>::TEST,` in `ALL` (ARCHITECTURE.md, "Adding a test"). Tests see only a `Battery` (the tally, the parameters,
//! the subjects and shared simulated nulls) and return findings and figure specs: no IO, no
//! plotters.

pub mod announcements;
pub mod battery;
pub mod candidacy;
pub mod digits;
pub mod reconciliation;
pub mod turnout;

use anyhow::Context;
use serde::Serialize;

use crate::announcement::AnnouncementFile;
use crate::finding::{Finding, TestOutput, Verdict};
use crate::stats::multiple_testing::{benjamini_hochberg, holm};
use crate::tally::Tally;
pub use battery::Battery;

/// A forensic test of the battery.
pub struct ForensicTest {
    /// snake_case; equals the module name, the `--tests` value, JSON `test_id` and figure prefix.
    pub id: &'static str,
    pub title: &'static str,
    /// One paragraph for the report's methods section: what it measures, when it is not meaningful.
    pub method: &'static str,
    /// Literature references, shown in the report.
    pub references: &'static str,
    /// Relative run time: seconds of this test in a default run on the Venezuelan sheets
    /// (24,532 tables, release build, 2 cores), measured with `--timings`. Only the battery's
    /// progress uses it, to weigh finished tests when it estimates the time left; a wrong weight
    /// makes the estimate wrong, never a result.
    pub weight: f64,
    pub run: fn(&Battery<'_>) -> anyhow::Result<TestOutput>,
}

/// Every test the pipeline knows, in report order.
pub const ALL: &[ForensicTest] = &[
    digits::benford_second_digit::TEST,
    digits::second_digit_mean::TEST,
    digits::last_digit::TEST,
    digits::last_digit_mean::TEST,
    digits::last_two_digits::TEST,
    digits::zero_five_endings::TEST,
    digits::digit_pairs::TEST,
    digits::benford_first_digit::TEST,
    turnout::turnout_distribution::TEST,
    turnout::vote_share_distribution::TEST,
    turnout::turnout_share_relation::TEST,
    turnout::fingerprint::TEST,
    turnout::integer_percentages::TEST,
    turnout::rozenas_spikes::TEST,
    turnout::extreme_stations::TEST,
    turnout::klimek_model::TEST,
    turnout::anomaly_mixture::TEST,
    turnout::clean_core_excess::TEST,
    announcements::percentages_first::TEST,
    announcements::announcement_vs_tallies::TEST,
    reconciliation::source_reconciliation::TEST,
];

/// Parameters shared by the tests (recorded in results.json).
#[derive(Debug, Clone, Serialize)]
pub struct Params {
    /// Seed for every random draw (per-task seeds are derived from it).
    pub seed: u64,
    /// Monte Carlo replicates for simulation-calibrated nulls.
    pub replicates: u32,
    /// Level of the verdicts: the false-discovery rate (Benjamini–Hochberg) or the family-wise
    /// error rate (Holm) across the dataset's findings.
    pub alpha: f64,
    /// How p-values are adjusted for the number of findings.
    pub correction: Correction,
    /// How many levels of the region hierarchy get their own findings (1 = top level only).
    pub region_depth: usize,
    /// Most station draws (stations × replicates) per simulated subject; large elections get
    /// fewer replicates (at least `MIN_REPLICATES`), recorded in each finding. 0 = no limit.
    pub max_station_draws: u64,
    /// Estimate the digit nulls' moments from `replicates` draws instead of computing them exactly.
    pub simulate_digit_nulls: bool,
    /// Only the verdicts are read (the copies of `--calibrate`): a test may leave out what does
    /// not decide its verdict, such as the bootstrap interval of an effect size. Never set in a
    /// run a person reads, so not recorded.
    #[serde(skip)]
    pub verdict_only: bool,
}

/// Multiple-testing adjustment across a dataset's findings (`--correction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Benjamini–Hochberg: controls the expected share of false flags among the flags (FDR).
    #[value(name = "bh")]
    BenjaminiHochberg,
    /// Holm: controls the chance of any false flag (FWER), under any dependence.
    #[value(name = "holm")]
    Holm,
}

impl Correction {
    /// Adjusted p-values in input order (NaN stays NaN and does not count).
    pub fn adjust(self, p: &[f64]) -> Vec<f64> {
        match self {
            Correction::BenjaminiHochberg => benjamini_hochberg(p),
            Correction::Holm => holm(p),
        }
    }

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            Correction::BenjaminiHochberg => "Benjamini–Hochberg",
            Correction::Holm => "Holm",
        }
    }

    /// What the level controls, for people.
    pub fn controls(self) -> &'static str {
        match self {
            Correction::BenjaminiHochberg => "false-discovery rate",
            Correction::Holm => "family-wise error rate",
        }
    }
}

/// Fewest replicates a simulated null uses when `max_station_draws` limits it.
pub const MIN_REPLICATES: u32 = 200;

impl Params {
    /// Replicates for a null over `n` stations under the draw budget.
    pub fn replicates_for(&self, n: usize) -> u32 {
        if self.max_station_draws == 0 || n == 0 {
            return self.replicates;
        }
        let affordable = (self.max_station_draws / n as u64).min(u32::MAX as u64) as u32;
        self.replicates.min(affordable.max(MIN_REPLICATES))
    }
}

impl Default for Params {
    fn default() -> Params {
        Params {
            seed: 20240728,
            replicates: 1000,
            alpha: 0.05,
            correction: Correction::BenjaminiHochberg,
            region_depth: 1,
            max_station_draws: 200_000_000,
            simulate_digit_nulls: false,
            verdict_only: false,
        }
    }
}

/// Tests of the registry that run only when `--tests` names them, with the reason: experimental
/// estimators whose numbers are not yet credible or whose cost is too high for every run.
pub const OPT_IN: &[(&str, &str)] = &[(
    "anomaly_mixture",
    "experimental: on Bolivia 2019 it counts about seven times Mebane's anomalous votes and on synthetic elections about twice the planted manufactured votes; about 40 s per 100,000 stations on 2 cores",
)];

/// The tests a run without `--tests` runs: the registry without `OPT_IN`.
pub fn default_tests() -> Vec<&'static ForensicTest> {
    ALL.iter()
        .filter(|t| !OPT_IN.iter().any(|(id, _)| *id == t.id))
        .collect()
}

/// Look up tests by id; `None` selects the default tests (all but `OPT_IN`).
pub fn select(ids: Option<&[String]>) -> anyhow::Result<Vec<&'static ForensicTest>> {
    match ids {
        None => Ok(default_tests()),
        Some(ids) => ids
            .iter()
            .map(|id| {
                ALL.iter().find(|t| t.id == id).with_context(|| {
                    format!(
                        "--tests: unknown test {id:?}; known tests: {}",
                        ALL.iter().map(|t| t.id).collect::<Vec<_>>().join(", ")
                    )
                })
            })
            .collect(),
    }
}

/// Run the selected tests on a tally, then set verdicts with Benjamini–Hochberg control of the
/// false-discovery rate across every finding that has a p-value. `announced` holds the announced
/// totals for the announcement tests (which are not applicable without them), `partner` the other
/// source of a declared pair for `source_reconciliation`.
pub fn run_battery(
    tests: &[&ForensicTest],
    tally: &Tally,
    params: &Params,
    announced: Option<&AnnouncementFile>,
    partner: Option<&reconciliation::source_reconciliation::Partner<'_>>,
) -> anyhow::Result<TestOutput> {
    run_battery_with_progress(tests, tally, params, announced, partner, &|_| {})
}

/// Where the battery is: the test about to run (`None` when all have run), how many tests and how
/// much of their summed `weight` have finished, and the time since the battery started.
pub struct BatteryProgress<'a> {
    pub next: Option<&'a str>,
    pub done: usize,
    pub total: usize,
    pub done_weight: f64,
    pub total_weight: f64,
    pub elapsed: std::time::Duration,
}

impl BatteryProgress<'_> {
    /// Seconds left, extrapolated from the time the finished tests took per unit of weight
    /// (`None` before the first test has finished or after the last).
    pub fn seconds_left(&self) -> Option<f64> {
        if self.done == 0 || self.done >= self.total || self.done_weight <= 0.0 {
            return None;
        }
        let rate = self.elapsed.as_secs_f64() / self.done_weight;
        Some(rate * (self.total_weight - self.done_weight).max(0.0))
    }
}

/// `run_battery`, calling `progress` before each test and after the last.
pub fn run_battery_with_progress(
    tests: &[&ForensicTest],
    tally: &Tally,
    params: &Params,
    announced: Option<&AnnouncementFile>,
    partner: Option<&reconciliation::source_reconciliation::Partner<'_>>,
    progress: &dyn Fn(&BatteryProgress<'_>),
) -> anyhow::Result<TestOutput> {
    let mut out = TestOutput::default();
    let battery = Battery::new(tally, params)
        .with_announced(announced)
        .with_partner(partner);
    out.notes = battery.notes();
    let begun = std::time::Instant::now();
    let total_weight: f64 = tests.iter().map(|t| t.weight).sum();
    let report = |next: Option<&str>, done: usize, done_weight: f64| {
        progress(&BatteryProgress {
            next,
            done,
            total: tests.len(),
            done_weight,
            total_weight,
            elapsed: begun.elapsed(),
        })
    };
    let mut done_weight = 0.0;
    for (i, test) in tests.iter().enumerate() {
        report(Some(test.id), i, done_weight);
        let started = std::time::Instant::now();
        let o = (test.run)(&battery).with_context(|| format!("test {} failed", test.id))?;
        out.timings.push((test.id, started.elapsed()));
        out.findings.extend(o.findings);
        out.figures.extend(o.figures);
        out.station_flags.extend(o.station_flags);
        out.tables.extend(o.tables);
        out.station_columns.extend(o.station_columns);
        done_weight += test.weight;
    }
    report(None, tests.len(), done_weight);
    apply_correction(&mut out.findings, params.alpha, params.correction);
    mark_panels(&mut out.figures, &out.findings);
    // A station a test singles out (`flagged_stations.csv`) is listed only where a finding of
    // that test on that subject deviates after the adjustment: on a clean election nothing is
    // listed, so the list never reads as an accusation the verdicts do not make.
    let deviating: std::collections::HashSet<(&str, &str)> = out
        .findings
        .iter()
        .filter(|f| f.verdict == crate::finding::Verdict::Deviates)
        .map(|f| (f.test_id, f.subject.as_str()))
        .collect();
    out.station_flags
        .retain(|s| deviating.contains(&(s.test_id, s.check.as_str())));
    Ok(out)
}

/// Charts agree with the verdicts: a bar panel that shows a finding is highlighted exactly when
/// that finding deviates after the adjustment, and its title gets the finding's p, q and verdict.
fn mark_panels(figures: &mut [crate::figure::Figure], findings: &[Finding]) {
    use crate::figure::{BarPanel, FigureSpec};
    let mark = |p: &mut BarPanel| {
        let Some(r) = &p.finding else { return };
        let Some(f) = findings
            .iter()
            .find(|f| f.test_id == r.test_id && f.subject == r.subject && f.region == r.region)
        else {
            return;
        };
        p.highlight = f.verdict == crate::finding::Verdict::Deviates;
        if let (Some(pv), Some(q)) = (f.p_value, f.q_value) {
            // No-break spaces keep "p 0.384" together when a long title wraps.
            p.title = format!(
                "{} · p\u{a0}{}, q\u{a0}{}, {}",
                p.title,
                crate::text::fmt_p(pv),
                crate::text::fmt_p(q),
                f.verdict.label()
            );
        }
    };
    for fig in figures {
        match &mut fig.spec {
            FigureSpec::Bars(p) => mark(p),
            FigureSpec::SmallMultiples { panels, .. } => panels.iter_mut().for_each(mark),
            _ => {}
        }
    }
}

/// Benjamini–Hochberg verdicts (`apply_correction` with the default method).
pub fn apply_fdr(findings: &mut [Finding], alpha: f64) {
    apply_correction(findings, alpha, Correction::BenjaminiHochberg)
}

/// Set `q_value` (the adjusted p-value) and the verdict of every finding with a p-value.
pub fn apply_correction(findings: &mut [Finding], alpha: f64, correction: Correction) {
    let p: Vec<f64> = findings
        .iter()
        .map(|f| match (f.verdict, f.p_value) {
            (Verdict::NotApplicable | Verdict::Descriptive, _) | (_, None) => f64::NAN,
            (_, Some(p)) => p,
        })
        .collect();
    let q = correction.adjust(&p);
    for (f, q) in findings.iter_mut().zip(q) {
        if q.is_finite() {
            f.q_value = Some(q);
            f.verdict = if q < alpha {
                Verdict::Deviates
            } else {
                Verdict::Consistent
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The family folders under `src/forensics/`.
    const FAMILIES: &[&str] = &["digits", "turnout", "announcements", "reconciliation"];

    #[test]
    fn registry_ids_are_unique_snake_case() {
        let mut ids: Vec<&str> = ALL.iter().map(|t| t.id).collect();
        for id in &ids {
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()),
                "{id}"
            );
            let homes: Vec<String> = FAMILIES
                .iter()
                .map(|f| format!("{}/src/forensics/{f}/{id}.rs", env!("CARGO_MANIFEST_DIR")))
                .filter(|p| std::path::Path::new(p).exists())
                .collect();
            assert_eq!(
                homes.len(),
                1,
                "test id {id} must equal its module file name in exactly one family folder"
            );
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
    }

    #[test]
    fn unknown_test_is_a_clear_error() {
        let err = select(Some(&["benford".to_string()]))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("known tests: benford_second_digit, second_digit_mean, last_digit"),
            "{err}"
        );
    }

    #[test]
    fn every_test_has_a_positive_weight_and_the_time_left_scales_by_it() {
        assert!(ALL.iter().all(|t| t.weight > 0.0 && t.weight.is_finite()));
        let at = |done, done_weight, secs| BatteryProgress {
            next: Some("x"),
            done,
            total: 3,
            done_weight,
            total_weight: 10.0,
            elapsed: std::time::Duration::from_secs(secs),
        };
        assert_eq!(at(0, 0.0, 0).seconds_left(), None);
        // 2 s for 1 unit of weight: 9 units left take 18 s.
        assert_eq!(at(1, 1.0, 2).seconds_left(), Some(18.0));
        assert_eq!(at(2, 5.0, 5).seconds_left(), Some(5.0));
        assert_eq!(at(3, 10.0, 9).seconds_left(), None);
    }
}
