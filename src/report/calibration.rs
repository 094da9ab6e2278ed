//! The calibration (`--calibrate`) in the report: the "Power on these data" section and
//! `calibration.csv` (one row per test, manipulation and strength, the baseline as strength 0).

use super::document::Block;
use crate::power::{Calibration, Rate, TestPower};

/// Smallest detection rate called "detected reliably" in the section's sentences.
const RELIABLE: f64 = 0.8;
/// Largest baseline flag rate of a test whose detection rate is read as power: a test that already
/// flags the untouched copies this often is reading something the data carry.
const QUIET_BASELINE: f64 = 0.2;

fn pct(x: f64) -> String {
    let v = 100.0 * x;
    if v == v.round() {
        format!("{v:.0} %")
    } else {
        format!("{v:.1} %")
    }
}

fn rate_text(r: &Rate) -> String {
    format!("{:.2}", r.rate)
}

/// For one manipulation: the weakest strength some test that is quiet on the baseline detects in
/// ≥ 80 % of copies, and the test that detects it best there.
fn weakest_reliable(c: &Calibration, m: usize) -> Option<(f64, &TestPower)> {
    c.spec.strengths.iter().enumerate().find_map(|(k, &s)| {
        c.tests
            .iter()
            .filter(|t| t.test_id != "any_test" && t.baseline.rate <= QUIET_BASELINE)
            .filter(|t| t.detection[m][k].rate >= RELIABLE)
            .max_by(|a, b| a.detection[m][k].rate.total_cmp(&b.detection[m][k].rate))
            .map(|t| (s, t))
    })
}

pub fn section(c: &Calibration, figure: Option<&str>, caption: &str, b: &mut Vec<Block>) {
    let spec = &c.spec;
    b.push(Block::Heading(
        2,
        "Power on these data (fraud injection)".into(),
    ));
    b.push(Block::Paragraph(format!(
        "What could the battery have seen in this election? The election was copied {} times per setting with every station's counts redrawn at its own rates (the baseline: turnout, vote shares and geography kept, digits left to chance), and known manipulations were injected into a share of stations of each copy ({}). Each copy went through the tests with {} Monte Carlo replicates each and the same multiple-testing adjustment; a test 'flags' a copy when any of its findings deviates. Rates are shares of copies flagged (95 % Wilson intervals in calibration.csv and results.json).",
        spec.replicates,
        spec.strengths.iter().map(|&s| pct(s)).collect::<Vec<_>>().join(", "),
        spec.inner_replicates
    )));
    let mut lines = Vec::new();
    for (m, man) in spec.manipulations.iter().enumerate() {
        let what = &c.manipulation_descriptions[m];
        lines.push(match weakest_reliable(c, m) {
            Some((s, t)) => {
                let k = spec.strengths.iter().position(|&x| x == s).unwrap_or(0);
                let r = t.detection[m][k];
                format!(
                    "{} ({what}) in {} of stations is detected with probability {:.2} [{:.2}, {:.2}] by {} (baseline flag rate {:.2}).",
                    man.id().replace('_', " "),
                    pct(s),
                    r.rate,
                    r.ci95.0,
                    r.ci95.1,
                    t.test_id,
                    t.baseline.rate
                )
            }
            None => format!(
                "{} ({what}): no test that is quiet on the baseline detects it in {:.0} % of copies even at {} of stations; these data could hide it from this battery.",
                man.id().replace('_', " "),
                100.0 * RELIABLE,
                pct(spec.strengths.iter().cloned().fold(0.0, f64::max))
            ),
        });
    }
    let loud: Vec<String> = c
        .tests
        .iter()
        .filter(|t| t.test_id != "any_test" && t.baseline.rate > QUIET_BASELINE)
        .map(|t| format!("{} ({:.2})", t.test_id, t.baseline.rate))
        .collect();
    if let Some(any) = c.tests.iter().find(|t| t.test_id == "any_test") {
        lines.push(if loud.is_empty() {
            format!(
                "Without any manipulation, {} of {} resampled copies had at least one deviating finding (rate {:.2}, 95 % interval [{:.2}, {:.2}]): the battery's false-positive rate on data like these, if they are clean.",
                any.baseline.flagged, any.baseline.copies, any.baseline.rate, any.baseline.ci95.0, any.baseline.ci95.1
            )
        } else {
            format!(
                "Without any manipulation, {} of {} resampled copies already had a deviating finding: resampling keeps each station's turnout and shares, and these tests flag the untouched copies: {}. They read patterns the loaded data carry (compare their findings above), so their rates are not power and they are left out of the sentences above.",
                any.baseline.flagged,
                any.baseline.copies,
                loud.join(", ")
            )
        });
    }
    b.push(Block::List(lines));
    b.push(Block::Paragraph(
        "The smallest manipulation these data could hide (missed by the whole battery in at least half of the copies):".into(),
    ));
    b.push(Block::List(hidden_sentences(c)));
    let mut header = vec!["test".to_string(), "baseline".to_string()];
    header.extend(spec.manipulations.iter().map(|m| {
        format!(
            "{} at {}",
            m.id().replace('_', " "),
            spec.strengths
                .iter()
                .map(|&s| pct(s))
                .collect::<Vec<_>>()
                .join(" / ")
        )
    }));
    let rows = c
        .tests
        .iter()
        .map(|t| {
            let mut row = vec![t.test_id.replace('_', " "), rate_text(&t.baseline)];
            row.extend(
                t.detection
                    .iter()
                    .map(|d| d.iter().map(rate_text).collect::<Vec<_>>().join(" / ")),
            );
            row
        })
        .collect();
    b.push(Block::Table { header, rows });
    if let Some(path) = figure {
        b.push(Block::Figure {
            path: path.to_string(),
            caption: caption.to_string(),
        });
    }
    if !c.skipped.is_empty() {
        b.push(Block::Paragraph(format!(
            "Not calibrated: {}.",
            c.skipped
                .iter()
                .map(|s| format!("{} ({})", s.test_id, s.reason))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
}

/// Per manipulation: the largest strength tried that the battery misses with probability ≥ 0.5
/// and the votes it moves to the leader, or that even the weakest is detected.
pub fn hidden_sentences(c: &Calibration) -> Vec<String> {
    let votes = |v: f64| {
        if v.is_finite() && v >= 0.5 {
            format!(
                "{} votes moved to the leader",
                crate::text::fmt_int(v.round() as u64)
            )
        } else {
            "no votes moved to the leader".to_string()
        }
    };
    c.hidden()
        .iter()
        .map(|h| {
            let name = h.manipulation.id().replace('_', " ");
            match (h.missed, h.detected) {
                (Some((s, v)), Some((d, dv))) => format!(
                    "{name}: in {} of stations ({}) it is missed in at least half the copies; from {} ({}) it is detected in at least half.",
                    pct(s), votes(v), pct(d), votes(dv)
                ),
                (Some((s, v)), None) => format!(
                    "{name}: even in {} of stations, the most tried ({}), it is missed in at least half the copies.",
                    pct(s), votes(v)
                ),
                (None, Some((d, dv))) => format!(
                    "{name}: even in {} of stations, the fewest tried ({}), it is detected in at least half the copies.",
                    pct(d), votes(dv)
                ),
                (None, None) => format!("{name}: no strength was tried."),
            }
        })
        .collect()
}

/// `calibration.csv`: test, manipulation ("none" for the baseline), strength, copies, flagged,
/// rate, Wilson interval, mean stations changed, mean votes moved to the leader.
pub fn csv(c: &Calibration) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "test",
        "manipulation",
        "strength",
        "copies",
        "flagged",
        "rate",
        "ci95_low",
        "ci95_high",
        "mean_stations_changed",
        "mean_votes_moved",
    ])?;
    let row = |t: &str, m: &str, s: f64, r: &Rate, changed: f64, moved: f64| {
        vec![
            t.to_string(),
            m.to_string(),
            s.to_string(),
            r.copies.to_string(),
            r.flagged.to_string(),
            r.rate.to_string(),
            r.ci95.0.to_string(),
            r.ci95.1.to_string(),
            changed.to_string(),
            moved.to_string(),
        ]
    };
    for t in &c.tests {
        w.write_record(row(&t.test_id, "none", 0.0, &t.baseline, 0.0, 0.0))?;
        for (m, man) in c.spec.manipulations.iter().enumerate() {
            for (k, &s) in c.spec.strengths.iter().enumerate() {
                w.write_record(row(
                    &t.test_id,
                    man.id(),
                    s,
                    &t.detection[m][k],
                    c.mean_stations_changed[m][k],
                    c.mean_votes_moved
                        .get(m)
                        .and_then(|v| v.get(k))
                        .copied()
                        .unwrap_or(f64::NAN),
                ))?;
            }
        }
    }
    Ok(w.into_inner()?)
}
