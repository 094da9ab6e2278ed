//! The common loop of the digit tests: every accepted subject, nationally and per region, with the
//! shared digit null; the national bar chart and the regional small multiples.
//!
//! A digit test supplies what differs: which subjects it accepts, when a group is not applicable,
//! how a finding is built from a `GroupNull`, and (optionally) the bar panel to draw.
//!
//! Registered-voter counts are set by administration, not counted on election day: rolls
//! allocated to tables up to a cap, split from centres, rounded or clipped leave digit patterns no
//! counting error made (on clean elections with tables split at 600 voters, every dataset
//! "deviated" on them). Their findings keep the statistic and its p-value but are `descriptive`:
//! reported apart, never in the multiple-testing family of the vote counts (`administrative`).

use crate::figure::{file_stem, BarPanel, Figure, FigureSpec};
use crate::finding::{Finding, TestOutput};
use crate::forensics::battery::{spread_reason, Battery, Subject, SubjectKind};
use crate::forensics::digits::null::{GroupNull, NullMethod};
use crate::text::fmt_int;

/// Most panels in one small-multiples chart; beyond this the lowest p-values are shown.
pub const MAX_PANELS: usize = 48;

/// What a digit test plugs into the common loop.
pub struct DigitTestSpec {
    pub id: &'static str,
    /// Short chart title stem, e.g. "Last digits".
    pub chart: &'static str,
    /// What a finding's `n` counts, for chart titles, e.g. "counts ≥ 10".
    pub counts: &'static str,
    pub accepts: fn(&Subject<'_>) -> bool,
    /// `Err(reason)` when the test is not applicable to this group's counts.
    pub applicable: fn(&GroupNull) -> Result<(), String>,
    /// The finding of an applicable group (verdict set later by the FDR step).
    pub finding: fn(&Subject<'_>, &GroupNull) -> Finding,
    /// The bar panel of a group (observed, expected, band), or `None` for no chart.
    pub panel: Option<fn(&GroupNull, String) -> BarPanel>,
    /// Caption of the national chart; `{subject}` is replaced.
    pub caption: &'static str,
}

/// Run a digit test over every accepted subject and group.
pub fn run(b: &Battery<'_>, spec: &DigitTestSpec) -> TestOutput {
    let mut out = TestOutput::default();
    for (index, subject) in b.subjects.iter().enumerate() {
        if !(spec.accepts)(subject) {
            continue;
        }
        if let Err(reason) = b.digit_gate(index) {
            out.findings.push(Finding::not_applicable(
                spec.id,
                &subject.name,
                None,
                subject.counts.len() as u64,
                reason,
            ));
            continue;
        }
        let null = b.digit_null(index);
        let national = &null.groups[0];
        // A region's registered voters can be allocated up to a cap even where the whole
        // dataset's are not (e.g. the tables abroad).
        let na = |g: &GroupNull| {
            if g.n_stations == 0 && !subject.absent.is_empty() {
                return Some(format!(
                    "{} does not stand here (no votes in any of its stations; see the notes)",
                    subject.name
                ));
            }
            let narrow = (subject.kind == SubjectKind::Registered)
                .then(|| spread_reason(&g.spread))
                .flatten();
            narrow.or_else(|| (spec.applicable)(g).err())
        };
        if let Some(reason) = na(national) {
            out.findings.push(Finding::not_applicable(
                spec.id,
                &subject.name,
                None,
                national.observed.n_all(),
                reason,
            ));
            continue;
        }
        let mut finding = administrative(subject, (spec.finding)(subject, national));
        if let Some(panel) = spec.panel {
            let stem = file_stem(&[spec.id, &subject.name, "national"]);
            // The title says what n is: the counts the test uses, not the stations.
            let title = format!(
                "{} of {}, national: {} {} of {} stations",
                spec.chart,
                subject.name,
                fmt_int(finding.n),
                spec.counts,
                fmt_int(national.n_stations)
            );
            let mut p = panel(national, title);
            p.caption = spec.caption.replace("{subject}", &subject.name);
            p.finding = Some(crate::figure::FindingRef {
                test_id: finding.test_id,
                subject: finding.subject.clone(),
                region: None,
            });
            out.figures.push(Figure {
                file_stem: stem.clone(),
                spec: FigureSpec::Bars(p),
            });
            finding.figure = Some(format!("figures/{stem}.png"));
        }
        out.findings.push(finding);
        for (level_index, window) in null.level_start.windows(2).enumerate() {
            let groups = &null.groups[window[0]..window[1]];
            let findings: Vec<Finding> = groups
                .iter()
                .map(|g| match na(g) {
                    Some(reason) => Finding::not_applicable(
                        spec.id,
                        &subject.name,
                        g.region.clone(),
                        g.observed.n_all(),
                        reason,
                    ),
                    None => administrative(subject, (spec.finding)(subject, g)),
                })
                .collect();
            let level = &b.tally.regions[level_index].name;
            let figure = spec
                .panel
                .and_then(|panel| regional_figure(spec, subject, level, groups, &findings, panel));
            for (i, mut f) in findings.into_iter().enumerate() {
                if let Some((fig, shown)) = &figure {
                    if shown.contains(&i) {
                        f.figure = Some(format!("figures/{}.png", fig.file_stem));
                    }
                }
                out.findings.push(f);
            }
            out.figures.extend(figure.map(|(f, _)| f));
        }
    }
    out
}

/// A registered-voter finding becomes `descriptive` (p-value kept, no verdict) with a sentence
/// on what its digits can and cannot mean; vote-count findings pass unchanged.
fn administrative(subject: &Subject<'_>, mut f: Finding) -> Finding {
    if subject.kind == SubjectKind::Registered && f.p_value.is_some() {
        f.verdict = crate::finding::Verdict::Descriptive;
        f.headline = format!(
            "{} Registered voters are set by administration, not counted: shown for reference and not tested with the vote counts, because rolls allocated to tables, capped, split or rounded change these digits without any counting error (a padded roll would change them too).",
            f.headline
        );
        f.details
            .insert("administrative_count".into(), serde_json::Value::Bool(true));
    }
    f
}

/// Run several specs of one test (e.g. two statistics of `digit_pairs`) and order the findings by
/// subject, keeping each subject's findings in spec order (registry × subject × region order).
pub fn run_all(b: &Battery<'_>, specs: &[&DigitTestSpec]) -> TestOutput {
    let mut out = TestOutput::default();
    for spec in specs {
        let o = run(b, spec);
        out.findings.extend(o.findings);
        out.figures.extend(o.figures);
    }
    let rank = |name: &str| b.subjects.iter().position(|s| s.name == name);
    // A stable sort keeps spec order within each subject.
    out.findings.sort_by_key(|f| rank(&f.subject));
    out
}

/// Small multiples of one subject's applicable regions (at most `MAX_PANELS`, those with the
/// lowest p-values, in region order). Returns the figure and the indices of the regions shown.
fn regional_figure(
    spec: &DigitTestSpec,
    subject: &Subject<'_>,
    level: &str,
    groups: &[GroupNull],
    findings: &[Finding],
    panel: fn(&GroupNull, String) -> BarPanel,
) -> Option<(Figure, Vec<usize>)> {
    let mut shown: Vec<usize> = (0..groups.len())
        .filter(|&i| findings[i].p_value.is_some())
        .collect();
    if shown.is_empty() {
        return None;
    }
    let applicable = shown.len();
    if applicable > MAX_PANELS {
        let p = |i: usize| findings[i].p_value.unwrap_or(1.0);
        shown.sort_by(|&a, &b| p(a).total_cmp(&p(b)));
        shown.truncate(MAX_PANELS);
        shown.sort_unstable();
    }
    let panels: Vec<BarPanel> = shown
        .iter()
        .map(|&i| {
            let g = &groups[i];
            let name = g
                .region
                .as_ref()
                .and_then(|r| r.last())
                .map(String::as_str)
                .unwrap_or("");
            let mut p = panel(g, format!("{name} (n = {})", fmt_int(findings[i].n)));
            // Highlighted after the adjustment, when the battery knows the verdicts.
            p.finding = Some(crate::figure::FindingRef {
                test_id: findings[i].test_id,
                subject: findings[i].subject.clone(),
                region: findings[i].region.clone(),
            });
            p
        })
        .collect();
    let which = if applicable > MAX_PANELS {
        format!("The {MAX_PANELS} of {applicable} {level}s with the lowest p-values")
    } else {
        format!("One panel per {level} where the test applies")
    };
    let dots = panels_labels(&panels);
    let figure = Figure {
        file_stem: file_stem(&[spec.id, &subject.name, "by", level]),
        spec: FigureSpec::SmallMultiples {
            title: format!(
                "{} of {} by {level} (n = {} in the {level})",
                spec.chart, subject.name, spec.counts
            ),
            caption: format!("{which}: bars are observed shares, {dots}, grey the 95% range of honest counts; n is the number of {} in the {level}. Orange panels are those whose finding deviates after the multiple-testing adjustment (each title gives p, q and the verdict); with many panels a few fall outside the grey range by chance.", spec.counts),
            panels,
        },
    };
    Some((figure, shown))
}

/// What the expectation marks of a set of panels show, for captions: dots joined by a line, or
/// only the line where categories are too many for dots (`plot::bars`, dense panels: the last
/// two digits' 100 endings).
fn panels_labels(panels: &[BarPanel]) -> String {
    let Some(p) = panels.first() else {
        return "dots the expectation".into();
    };
    let mark = if p.categories.len() > DOTS_UP_TO {
        "the dark line"
    } else {
        "dots"
    };
    format!("{mark} {}", p.expected_label)
}

/// Most categories per panel drawn with a dot each (`plot::bars` drops the dots of denser panels).
const DOTS_UP_TO: usize = 30;

/// `p_value_source` text for a p-value calibrated by the digit null's moments.
pub fn source(one_sided: bool, method: NullMethod) -> String {
    let from = match method {
        NullMethod::Exact => "exact null moments (station digit probabilities)".to_string(),
        NullMethod::Simulated { replicates } => format!("simulation ({replicates} replicates)"),
    };
    if one_sided {
        format!("{from}, scaled chi-square matched to the null mean and variance")
    } else {
        format!("{from}, normal matched to the null mean and SD, two-sided")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::FigureSpec;
    use crate::forensics::digits::last_digit_mean::synthetic_tally;

    #[test]
    fn titles_say_what_n_counts_and_captions_name_the_marks() {
        let tally = synthetic_tally(11, 1500, |_, c, _| c);
        let params = crate::forensics::Params {
            replicates: 20,
            ..Default::default()
        };
        let b = Battery::new(&tally, &params);
        for test in crate::forensics::ALL {
            let out = (test.run)(&b).unwrap();
            for fig in &out.figures {
                match &fig.spec {
                    // The turnout battery's one bar chart counts stations at fractions, not digits.
                    FigureSpec::Bars(p)
                        if test.id == crate::forensics::turnout::rozenas_spikes::TEST.id =>
                    {
                        assert!(p.title.contains("1,500 stations"), "{}", p.title);
                        assert!(p.caption.contains("Dots:"), "{}", p.caption);
                    }
                    FigureSpec::Bars(p) => {
                        // "…, national: 1,234 counts ≥ 10 of 1,500 stations", not "1,500 stations".
                        assert!(
                            p.title.contains(" of 1,500 stations")
                                && (p.title.contains("counts ≥")
                                    || p.title.contains("positive counts")),
                            "{}",
                            p.title
                        );
                        assert!(!p.caption.contains("voters's"), "{}", p.caption);
                        let dense = p.categories.len() > DOTS_UP_TO;
                        assert_eq!(p.caption.contains("Dots:"), !dense, "{}", p.caption);
                    }
                    FigureSpec::SmallMultiples {
                        title,
                        caption,
                        panels,
                    } => {
                        assert!(title.contains("(n = "), "{title}");
                        assert!(caption.contains("n is the number of"), "{caption}");
                        let dense = panels[0].categories.len() > DOTS_UP_TO;
                        assert_eq!(caption.contains("the dark line"), dense, "{caption}");
                        assert_eq!(caption.contains(", dots "), !dense, "{caption}");
                    }
                    // Histograms, heatmaps and lines belong to the turnout battery.
                    _ => assert!(!test.id.contains("digit"), "{}", test.id),
                }
            }
        }
    }
}
