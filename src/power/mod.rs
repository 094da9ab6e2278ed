//! Power by fraud injection (`analyze --calibrate`): which tests can see which manipulation on
//! *this* election.
//!
//! The layer above the battery: it runs `forensics::run_battery` many times on resampled and
//! manipulated copies of a `Tally`, so it may import `forensics`, `tally`, `stats` and the
//! generator's manipulations (`simulate::fraud`), and nothing below it may import it (only
//! `pipeline` and `report`, which renders its result, do). The CLI option and the report section
//! keep the user's word, "calibration".
//!
//! Method (a parametric bootstrap in the sense of Efron & Tibshirani 1993, ch. 6, used for
//! election forensics by Mebane 2006 and, as power studies by injection, by Beber & Scacco 2012
//! and Zhang, Alvarez & Levin 2019, "Election forensics: using machine learning and synthetic data
//! for possible election anomaly detection", PLOS ONE 14(10):e0223950):
//!
//! 1. *Baseline*: the loaded election with every station's counts redrawn at its own rates
//!    (`inject::resample`). The battery runs on `replicates` such copies; the share of copies in
//!    which a test flags anything (a `deviates` verdict after the run's multiple-testing
//!    adjustment) is its **baseline flag rate**. For clean data it is the test's false-positive
//!    rate; a test that also flags the baseline of real data is reading structure the resampling
//!    keeps (turnout and vote-share shapes), not chance digits.
//! 2. *Injection*: the same resampled copies with one manipulation applied to a share s of
//!    stations (`inject::Manipulation`), for each strength s. The share of copies in which a test
//!    flags is its **detection rate** at s.
//!
//! Registered voters are not resampled (they are the roll, not a count), so the digit findings on
//! them are identical in every copy and are not counted as flags.
//!
//! Rates come with Wilson 95 % intervals (Wilson 1927). Every copy has its own ChaCha8 stream
//! seeded from (seed, manipulation, strength, replicate), and the battery inside gets a seed
//! derived the same way, so results do not depend on the number of threads. Tests that only
//! describe (no p-value) or that act on announced totals (which station-level manipulations do
//! not change) are not run here; the result lists them with the reason.

pub mod inject;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::figure::{FigureSpec, LinePanel, LineSeries, Panel};
use crate::finding::Verdict;
use crate::forensics::digits::null::mix;
use crate::forensics::{run_battery, ForensicTest, Params};
use crate::stats::proportions::wilson;
use crate::tally::Tally;
pub use inject::Manipulation;

/// Tests not run by the calibration, with the reason.
const NOT_CALIBRATED: &[(&str, &str)] = &[
    ("fingerprint", "descriptive: a chart, no hypothesis test"),
    (
        "clean_core_excess",
        "descriptive: an estimate of anomalous votes, no verdict",
    ),
    (
        "klimek_model",
        "its verdict needs its own self-null (about a hundred refits of the model), too slow to repeat on every copy; its headline gives what clean elections of this shape give",
    ),
    (
        "anomaly_mixture",
        "its verdict needs its own self-null (tens of refits of the mixture), too slow to repeat on every copy",
    ),
    (
        "percentages_first",
        "acts on announced totals, which station-level manipulations do not change",
    ),
    (
        "announcement_vs_tallies",
        "acts on announced totals (descriptive)",
    ),
    (
        "source_reconciliation",
        "compares two sources of the same tables; the copies have no second source",
    ),
];

/// What to inject and how often (the `--calibrate*` options).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalibrationSpec {
    /// Copies per strength (and for the baseline).
    pub replicates: u32,
    /// Shares of stations manipulated, each in (0, 1].
    pub strengths: Vec<f64>,
    /// Monte Carlo replicates of each test's own null inside a copy.
    pub inner_replicates: u32,
    pub manipulations: Vec<Manipulation>,
}

impl Default for CalibrationSpec {
    fn default() -> CalibrationSpec {
        CalibrationSpec {
            replicates: 20,
            strengths: vec![0.01, 0.05, 0.2],
            inner_replicates: 200,
            manipulations: Manipulation::ALL.to_vec(),
        }
    }
}

/// How often something happened in a number of copies, with its Wilson 95 % interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Rate {
    pub flagged: u32,
    pub copies: u32,
    pub rate: f64,
    pub ci95: (f64, f64),
}

impl Rate {
    pub(crate) fn of(flagged: u32, copies: u32) -> Rate {
        Rate {
            flagged,
            copies,
            rate: if copies == 0 {
                0.0
            } else {
                f64::from(flagged) / f64::from(copies)
            },
            ci95: wilson(u64::from(flagged), u64::from(copies)),
        }
    }
}

/// One test's (or "any test"'s) rates: the baseline and one per (manipulation, strength).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestPower {
    /// A test id, or "any_test" (any finding of the battery deviates).
    pub test_id: String,
    pub baseline: Rate,
    /// `detection[m][k]`: manipulation `spec.manipulations[m]` at `spec.strengths[k]`.
    pub detection: Vec<Vec<Rate>>,
}

/// A test left out of the calibration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Skipped {
    pub test_id: String,
    pub reason: String,
}

/// The calibration of one dataset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Calibration {
    pub spec: CalibrationSpec,
    /// What each manipulation does to a station, in `spec.manipulations` order.
    pub manipulation_descriptions: Vec<String>,
    /// Stations actually changed, averaged over copies, per manipulation and strength.
    pub mean_stations_changed: Vec<Vec<f64>>,
    /// The leader's votes gained through the manipulation (after − before on the same copy),
    /// averaged over copies, per manipulation and strength.
    #[serde(default)]
    pub mean_votes_moved: Vec<Vec<f64>>,
    pub tests: Vec<TestPower>,
    pub skipped: Vec<Skipped>,
    /// Seconds each test took, summed over the copies (run order; `--timings`). Not recorded:
    /// times differ between runs.
    #[serde(skip)]
    pub copy_seconds: Vec<(String, f64)>,
    /// Seconds spent resampling and manipulating the copies, summed over the copies.
    #[serde(skip)]
    pub making_seconds: f64,
}

/// Which tests flagged one copy (in `tests` order), how many stations it changed, and the time
/// making the copy and each test took.
struct CopyResult {
    flagged: Vec<bool>,
    any: bool,
    changed: usize,
    votes_moved: f64,
    making: std::time::Duration,
    timings: Vec<(&'static str, std::time::Duration)>,
}

fn run_copy(
    tally: &Tally,
    tests: &[&ForensicTest],
    params: &Params,
    inner: u32,
    task: Option<(Manipulation, f64)>,
    seed: u64,
) -> anyhow::Result<CopyResult> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let started = std::time::Instant::now();
    let mut copy = inject::resample(tally, &mut rng);
    // The leader the manipulation favours, fixed before it acts (it only adds to the leader).
    let leader = inject::leader_and_runner_up(&copy).0;
    let leader_votes = |t: &Tally| {
        t.candidates
            .get(leader)
            .map_or(0.0, |c| c.votes.iter().sum::<u64>() as f64)
    };
    let before = leader_votes(&copy);
    let changed = match task {
        Some((m, s)) => inject::inject(&mut copy, m, s, &mut rng),
        None => 0,
    };
    let votes_moved = leader_votes(&copy) - before;
    let making = started.elapsed();
    let p = Params {
        seed: mix(seed ^ 0x9e37_79b9_7f4a_7c15),
        replicates: inner,
        // A copy counts only verdicts: tests skip their effect sizes' bootstrap intervals.
        verdict_only: true,
        ..params.clone()
    };
    let out = run_battery(tests, &copy, &p, None, None)?;
    // Registered voters are the same in every copy (no manipulation touches the roll): their
    // digit findings say nothing about the copy and do not count as flags.
    let about_the_roll = |subject: &str| {
        subject.starts_with("registered voters")
            && !tally.candidates.iter().any(|c| c.name == subject)
    };
    let flagged: Vec<bool> = tests
        .iter()
        .map(|t| {
            out.findings.iter().any(|f| {
                f.test_id == t.id && f.verdict == Verdict::Deviates && !about_the_roll(&f.subject)
            })
        })
        .collect();
    Ok(CopyResult {
        any: flagged.iter().any(|&b| b),
        flagged,
        changed,
        votes_moved,
        making,
        timings: out.timings,
    })
}

/// The tests of `selected` that the calibration runs, and those it leaves out.
pub fn partition<'a>(selected: &[&'a ForensicTest]) -> (Vec<&'a ForensicTest>, Vec<Skipped>) {
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    for t in selected {
        match NOT_CALIBRATED.iter().find(|(id, _)| *id == t.id) {
            Some(&(test_id, reason)) => skipped.push(Skipped {
                test_id: test_id.into(),
                reason: reason.into(),
            }),
            None => run.push(*t),
        }
    }
    (run, skipped)
}

/// Run the calibration. `progress` is called after each copy with (done, total).
pub fn calibrate(
    tally: &Tally,
    selected: &[&ForensicTest],
    params: &Params,
    spec: &CalibrationSpec,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> anyhow::Result<Calibration> {
    let (tests, skipped) = partition(selected);
    // Task 0 is the baseline; then manipulation-major, strength-minor.
    let mut tasks: Vec<Option<(Manipulation, f64)>> = vec![None];
    for &m in &spec.manipulations {
        for &s in &spec.strengths {
            tasks.push(Some((m, s)));
        }
    }
    let copies: Vec<(usize, u32)> = (0..tasks.len())
        .flat_map(|t| (0..spec.replicates).map(move |r| (t, r)))
        .collect();
    let total = copies.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let results: Vec<CopyResult> = copies
        .par_iter()
        .map(|&(t, r)| {
            let seed = mix(mix(params.seed ^ mix(0xca11_b4a7e ^ t as u64)) ^ mix(u64::from(r)));
            let out = run_copy(tally, &tests, params, spec.inner_replicates, tasks[t], seed);
            progress(
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                total,
            );
            out
        })
        .collect::<anyhow::Result<_>>()?;
    let reps = spec.replicates as usize;
    let of_task = |t: usize| &results[t * reps..(t + 1) * reps];
    let count = |t: usize, pick: &dyn Fn(&CopyResult) -> bool| {
        Rate::of(
            of_task(t).iter().filter(|c| pick(c)).count() as u32,
            spec.replicates,
        )
    };
    let n_s = spec.strengths.len();
    let power = |id: String, pick: &dyn Fn(&CopyResult) -> bool| TestPower {
        test_id: id,
        baseline: count(0, pick),
        detection: (0..spec.manipulations.len())
            .map(|m| (0..n_s).map(|k| count(1 + m * n_s + k, pick)).collect())
            .collect(),
    };
    let mut powers: Vec<TestPower> = tests
        .iter()
        .enumerate()
        .map(|(j, t)| power(t.id.to_string(), &|c: &CopyResult| c.flagged[j]))
        .collect();
    powers.push(power("any_test".into(), &|c: &CopyResult| c.any));
    Ok(Calibration {
        manipulation_descriptions: spec
            .manipulations
            .iter()
            .map(|m| m.describe().to_string())
            .collect(),
        mean_stations_changed: (0..spec.manipulations.len())
            .map(|m| {
                (0..n_s)
                    .map(|k| {
                        let c = of_task(1 + m * n_s + k);
                        c.iter().map(|c| c.changed as f64).sum::<f64>() / c.len().max(1) as f64
                    })
                    .collect()
            })
            .collect(),
        mean_votes_moved: (0..spec.manipulations.len())
            .map(|m| {
                (0..n_s)
                    .map(|k| {
                        let c = of_task(1 + m * n_s + k);
                        c.iter().map(|c| c.votes_moved).sum::<f64>() / c.len().max(1) as f64
                    })
                    .collect()
            })
            .collect(),
        spec: spec.clone(),
        tests: powers,
        skipped,
        copy_seconds: tests
            .iter()
            .map(|t| {
                let seconds = results
                    .iter()
                    .flat_map(|c| c.timings.iter().filter(|(id, _)| *id == t.id))
                    .map(|(_, d)| d.as_secs_f64())
                    .sum();
                (t.id.to_string(), seconds)
            })
            .collect(),
        making_seconds: results.iter().map(|c| c.making.as_secs_f64()).sum(),
    })
}

/// The largest manipulation of one kind the battery misses in at least half the copies.
#[derive(Debug, Clone, PartialEq)]
pub struct Hidden {
    pub manipulation: Manipulation,
    /// The largest strength tried at which "any test" flags fewer than half the copies (None:
    /// every strength tried is detected in at least half), and the votes it moves to the leader.
    pub missed: Option<(f64, f64)>,
    /// The smallest strength detected in at least half the copies, and its votes (None: none).
    pub detected: Option<(f64, f64)>,
}

impl Calibration {
    /// Per manipulation, what the battery misses with probability ≥ 0.5 (detection rate of "any
    /// test" below 0.5) — the smallest manipulation these data could hide, in stations and votes.
    pub fn hidden(&self) -> Vec<Hidden> {
        let Some(any) = self.tests.iter().find(|t| t.test_id == "any_test") else {
            return Vec::new();
        };
        let votes = |m: usize, k: usize| {
            self.mean_votes_moved
                .get(m)
                .and_then(|v| v.get(k))
                .copied()
                .unwrap_or(f64::NAN)
        };
        self.spec
            .manipulations
            .iter()
            .enumerate()
            .map(|(m, &man)| {
                let mut order: Vec<usize> = (0..self.spec.strengths.len()).collect();
                order.sort_by(|&a, &b| self.spec.strengths[a].total_cmp(&self.spec.strengths[b]));
                let missed = order
                    .iter()
                    .rev()
                    .find(|&&k| any.detection[m][k].rate < 0.5)
                    .map(|&k| (self.spec.strengths[k], votes(m, k)));
                let detected = order
                    .iter()
                    .find(|&&k| any.detection[m][k].rate >= 0.5)
                    .map(|&k| (self.spec.strengths[k], votes(m, k)));
                Hidden {
                    manipulation: man,
                    missed,
                    detected,
                }
            })
            .collect()
    }
}

/// Most tests drawn in the chart (the renderer has 8 series colours; "any test" takes one).
const MAX_CURVES: usize = 7;

/// Detection rate against strength, one panel per manipulation; the same curves in every panel
/// (so a test keeps its colour): "any test", each manipulation's best test (largest detection rate
/// above its baseline), then the tests with the largest such gain anywhere, `MAX_CURVES` at most
/// (ties in registry order) — and every test that reaches a detection rate of 0.8 somewhere,
/// whatever the cap. The baseline is drawn at 0.
pub fn figure(c: &Calibration, dataset: &str) -> FigureSpec {
    let max_s = c.spec.strengths.iter().cloned().fold(0.0, f64::max);
    let gain_in = |t: &TestPower, m: usize| {
        t.detection[m]
            .iter()
            .map(|r| r.rate - t.baseline.rate)
            .fold(0.0, f64::max)
    };
    let gain = |t: &TestPower| {
        (0..t.detection.len())
            .map(|m| gain_in(t, m))
            .fold(0.0, f64::max)
    };
    let candidates: Vec<(usize, &TestPower)> = c
        .tests
        .iter()
        .enumerate()
        .filter(|(_, t)| t.test_id != "any_test" && gain(t) > 0.0)
        .collect();
    let mut ranked: Vec<(usize, &TestPower)> = Vec::new();
    // Each manipulation's best test first (first in registry order on ties).
    for m in 0..c.spec.manipulations.len() {
        let best = candidates
            .iter()
            .filter(|(_, t)| gain_in(t, m) > 0.0)
            .max_by(|a, b| {
                gain_in(a.1, m)
                    .total_cmp(&gain_in(b.1, m))
                    .then(b.0.cmp(&a.0))
            });
        if let Some(&(i, t)) = best {
            if ranked.len() < MAX_CURVES && !ranked.iter().any(|(j, _)| *j == i) {
                ranked.push((i, t));
            }
        }
    }
    let mut rest: Vec<(usize, &TestPower)> = candidates
        .into_iter()
        .filter(|(i, _)| !ranked.iter().any(|(j, _)| j == i))
        .collect();
    rest.sort_by(|a, b| gain(b.1).total_cmp(&gain(a.1)).then(a.0.cmp(&b.0)));
    let room = MAX_CURVES.saturating_sub(ranked.len());
    let (mut shown, hidden): (Vec<_>, Vec<_>) =
        rest.into_iter().enumerate().partition(|(k, _)| *k < room);
    // Every test that detects some manipulation in at least 80 % of the copies is drawn, beyond
    // MAX_CURVES if need be: the chart never leaves out a test that works.
    let reaches = |t: &TestPower| t.detection.iter().flatten().any(|r| r.rate >= 0.8);
    shown.extend(hidden.into_iter().filter(|(_, (_, t))| reaches(t)));
    ranked.extend(shown.into_iter().map(|(_, x)| x));
    ranked.sort_by_key(|(i, _)| *i);
    let drawn: Vec<&TestPower> = ranked
        .into_iter()
        .map(|(_, t)| t)
        .chain(c.tests.iter().filter(|t| t.test_id == "any_test"))
        .collect();
    let left_out = c.tests.len() - drawn.len();
    let panels = c
        .spec
        .manipulations
        .iter()
        .enumerate()
        .map(|(m, man)| {
            let series = drawn
                .iter()
                .map(|t| LineSeries {
                    name: t.test_id.replace('_', " "),
                    points: std::iter::once((0.0, 100.0 * t.baseline.rate))
                        .chain(
                            c.spec
                                .strengths
                                .iter()
                                .zip(&t.detection[m])
                                .map(|(&s, r)| (100.0 * s, 100.0 * r.rate)),
                        )
                        .collect(),
                    dashed: t.test_id == "any_test",
                })
                .collect();
            Panel::Lines(LinePanel {
                title: man.id().replace('_', " "),
                caption: String::new(),
                x_label: "stations manipulated (%)".into(),
                y_label: "copies flagged (%)".into(),
                x_range: (0.0, 100.0 * max_s),
                y_range: (0.0, 100.0),
                series,
                markers: vec![],
                highlight: false,
            })
        })
        .collect();
    FigureSpec::Grid {
        title: format!(
            "{dataset}: detection rate by manipulation ({} copies per point)",
            c.spec.replicates
        ),
        caption: format!(
            "Share of resampled copies of this election in which each test flags anything after the multiple-testing adjustment, against the share of stations manipulated; the point at 0 is the baseline (no manipulation: the false-positive rate on clean data). Dashed: any test of the battery.{}",
            if left_out > 0 {
                format!(" Drawn: the {} tests with the largest gains over their baseline; the other {left_out} are in the table and calibration.csv.", drawn.len() - 1)
            } else {
                String::new()
            }
        ),
        shared_scale: true,
        panels,
    }
}

#[cfg(test)]
mod tests;
