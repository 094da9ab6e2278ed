//! The story first: the opening synthesis of a report, for a journalist to quote and a researcher
//! to check.
//!
//! The deviating findings are grouped by what they point at — a family of tests (what kind of
//! pattern), and where: one region, or the whole election when the family deviates nationally or
//! in at least three quarters of the regions it tested — and the groups are ranked on one scale,
//! the smallest adjusted p-value (q) in the group. Each group is one sentence: the family, the
//! place, how many findings and for whom, the strongest finding's own headline (with its units),
//! and the honest causes that can also produce the pattern. Then what was tested and not seen,
//! what could not be tested and why, and, with `--calibrate`, where to read the power. Never
//! "fraud": a deviation is a pattern chance alone rarely gives.

use std::collections::BTreeMap;

use super::Report;
use crate::finding::{Finding, Verdict};
use crate::text::{count, fmt_p};

/// A family of tests: its label in the synthesis and the honest causes of a deviation.
struct Family {
    label: &'static str,
    tests: &'static [&'static str],
    honest: &'static str,
}

const FAMILIES: &[Family] = &[
    Family {
        label: "Stations at the extremes of turnout and vote share",
        tests: &["extreme_stations"],
        honest: "small closed communities, institutions and mobile ballot boxes can vote as one block",
    },
    Family {
        label: "The turnout–share fingerprint of the election (Klimek model)",
        tests: &["klimek_model", "anomaly_mixture", "turnout_share_relation", "fingerprint"],
        honest: "regions or town and country that differ in both turnout and preference bend the fingerprint too",
    },
    Family {
        label: "The leader's votes beyond the clean core (anomalous-vote estimates)",
        tests: &["clean_core_excess"],
        honest: "strongholds where turnout and support for the leader rise together, and a clean core that is itself not typical of the election",
    },
    Family {
        label: "Digit patterns of the counts (invented numbers leave them)",
        tests: &[
            "last_digit",
            "last_digit_mean",
            "last_two_digits",
            "zero_five_endings",
            "digit_pairs",
            "benford_second_digit",
            "second_digit_mean",
            "benford_first_digit",
        ],
        honest: "rounding by tired counters, very small or very uniform stations and copied rows move digits without any invented number",
    },
    Family {
        label: "Whole-number percentages (results written first as percentages)",
        tests: &["integer_percentages"],
        honest: "very small stations, where every share is a coarse fraction",
    },
    Family {
        label: "Vote shares and turnout at coarse fractions (results written to a target)",
        tests: &["rozenas_spikes"],
        honest: "small stations, uncontested stations and two-candidate tables put honest mass on simple fractions (the null keeps station sizes for that)",
    },
    Family {
        label: "The shape of the turnout and share distributions",
        tests: &["turnout_distribution", "vote_share_distribution"],
        honest: "an election that mixes regions of different habits has several peaks honestly",
    },
    Family {
        label: "Announced totals",
        tests: &["percentages_first", "announcement_vs_tallies"],
        honest: "an authority that computes and rounds percentages before publishing counts",
    },
    Family {
        label: "Two sources of the same tables disagree",
        tests: &["source_reconciliation"],
        honest: "transcription and scanning errors, and corrections made after one source was taken",
    },
];

/// Tests no family lists (a test added to the registry but not here) still get a group.
const OTHER: Family = Family {
    label: "Other tests",
    tests: &[],
    honest: "see the test's section and docs/methods.md",
};

fn family_of(test: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.tests.contains(&test))
}

/// The first clause of a headline: its numbers, without the statistical tail.
fn gist(headline: &str) -> &str {
    // The text before the first "; " outside parentheses.
    let mut depth = 0i32;
    for (i, c) in headline.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ';' if depth <= 0 && headline[i..].starts_with("; ") => {
                return headline[..i].trim_end_matches('.');
            }
            _ => {}
        }
    }
    headline.trim_end_matches('.')
}

/// One group of deviating findings.
struct Group<'a> {
    family: &'static Family,
    place: String,
    findings: Vec<&'a Finding>,
}

impl Group<'_> {
    fn strongest(&self) -> &Finding {
        self.findings
            .iter()
            .min_by(|a, b| q(a).total_cmp(&q(b)))
            .copied()
            .expect("a group has findings")
    }
}

fn q(f: &Finding) -> f64 {
    f.q_value.or(f.p_value).unwrap_or(1.0)
}

fn region_name(f: &Finding) -> Option<String> {
    f.region.as_ref().map(|r| r.join(" > "))
}

/// Group the deviating findings by family and place, strongest group first.
fn groups<'a>(findings: &'a [Finding]) -> Vec<Group<'a>> {
    let mut out = Vec::new();
    for family in FAMILIES {
        let mine: Vec<&Finding> = findings
            .iter()
            .filter(|f| family.tests.contains(&f.test_id))
            .collect();
        let deviating: Vec<&Finding> = mine
            .iter()
            .copied()
            .filter(|f| f.verdict == Verdict::Deviates)
            .collect();
        if deviating.is_empty() {
            continue;
        }
        let tested_regions: std::collections::BTreeSet<String> = mine
            .iter()
            .filter(|f| f.q_value.is_some())
            .filter_map(|f| region_name(f))
            .collect();
        let mut by_place: BTreeMap<Option<String>, Vec<&Finding>> = BTreeMap::new();
        for f in &deviating {
            by_place.entry(region_name(f)).or_default().push(f);
        }
        let regions_hit = by_place.keys().filter(|k| k.is_some()).count();
        let national = by_place.contains_key(&None);
        let widespread = tested_regions.len() >= 2
            && (regions_hit * 4 >= tested_regions.len() * 3
                || (national && regions_hit * 2 >= tested_regions.len()));
        if widespread {
            let place = match (national, regions_hit == tested_regions.len()) {
                (true, true) => "nationally and in every region".to_string(),
                (true, false) => format!(
                    "nationally and in {regions_hit} of {} regions",
                    tested_regions.len()
                ),
                (false, true) => "in every region".to_string(),
                (false, false) => format!("in {regions_hit} of {} regions", tested_regions.len()),
            };
            out.push(Group {
                family,
                place,
                findings: deviating,
            });
        } else {
            for (place, fs) in by_place {
                out.push(Group {
                    family,
                    place: place.map_or_else(|| "nationally".to_string(), |p| format!("in {p}")),
                    findings: fs,
                });
            }
        }
    }
    let orphans: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Deviates && family_of(f.test_id).is_none())
        .collect();
    if !orphans.is_empty() {
        out.push(Group {
            family: &OTHER,
            place: "nationally or in some regions".to_string(),
            findings: orphans,
        });
    }
    out.sort_by(|a, b| q(a.strongest()).total_cmp(&q(b.strongest())));
    out
}

/// The deviating findings grouped as the synthesis groups them, strongest group first: (the
/// group's label, e.g. "Digit patterns of the counts …, in Costa Norte", its findings by q).
pub fn grouped(findings: &[Finding]) -> Vec<(String, Vec<&Finding>)> {
    groups(findings)
        .into_iter()
        .map(|mut g| {
            g.findings.sort_by(|a, b| q(a).total_cmp(&q(b)));
            (format!("{}, {}", g.family.label, g.place), g.findings)
        })
        .collect()
}

/// The synthesis as sentences: the signals, then what was not seen and what could not be tested.
pub struct Synthesis {
    /// (sentence, the heading of the strongest finding's test section).
    pub signals: Vec<(String, String)>,
    pub not_seen: Vec<String>,
    pub untestable: Vec<String>,
}

pub fn build(r: &Report<'_>) -> Synthesis {
    let signals = groups(&r.findings)
        .iter()
        .map(|g| {
            let s = g.strongest();
            let mut subjects: Vec<&str> = Vec::new();
            for f in &g.findings {
                if !subjects.contains(&f.subject.as_str()) {
                    subjects.push(&f.subject);
                }
            }
            let shown = if subjects.len() > 4 {
                format!(
                    "{}, and {} more",
                    subjects[..4].join(", "),
                    subjects.len() - 4
                )
            } else {
                subjects.join(", ")
            };
            let section = r
                .tests
                .iter()
                .find(|t| t.id == s.test_id)
                .map(|t| format!("{} ({})", t.title, t.id))
                .unwrap_or_default();
            let sentence =
                format!(
                "{}, {}: {} ({}), strongest q = {}. {}. Honest causes that also produce this: {}.",
                g.family.label,
                g.place,
                count(g.findings.len() as u64, "finding deviates", "findings deviate"),
                shown,
                fmt_p(q(s)),
                gist(&s.headline),
                g.family.honest
            );
            (sentence, section)
        })
        .collect();
    let mut not_seen = Vec::new();
    let mut untestable = Vec::new();
    for family in FAMILIES {
        let mine: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| family_of(f.test_id).is_some_and(|x| std::ptr::eq(x, family)))
            .collect();
        let tested = mine.iter().filter(|f| f.q_value.is_some()).count();
        let deviating = mine
            .iter()
            .filter(|f| f.verdict == Verdict::Deviates)
            .count();
        if tested > 0 && deviating == 0 {
            not_seen.push(format!(
                "{}: {} tested, none deviates.",
                family.label,
                count(tested as u64, "finding", "findings")
            ));
        }
    }
    for test in r.tests {
        let mine: Vec<&Finding> = r.findings.iter().filter(|f| f.test_id == test.id).collect();
        let na: Vec<&Finding> = mine
            .iter()
            .copied()
            .filter(|f| f.verdict == Verdict::NotApplicable)
            .collect();
        if na.is_empty() {
            continue;
        }
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &na {
            *reasons
                .entry(f.reason.as_deref().unwrap_or("no reason given"))
                .or_default() += 1;
        }
        let (reason, _) = reasons
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .expect("at least one reason");
        untestable.push(format!(
            "{} ({}): {} of {} not applicable, most often because {}.",
            test.title,
            test.id,
            na.len(),
            count(mine.len() as u64, "finding", "findings"),
            reason.trim_end_matches('.')
        ));
    }
    Synthesis {
        signals,
        not_seen,
        untestable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deviating(test: &'static str, subject: &str, region: Option<&str>, q: f64) -> Finding {
        let mut f = Finding::not_applicable(
            test,
            subject,
            region.map(|r| vec![r.to_string()]),
            100,
            String::new(),
        );
        f.verdict = Verdict::Deviates;
        f.reason = None;
        f.p_value = Some(q / 2.0);
        f.q_value = Some(q);
        f.headline = format!("{subject}: 84 of 5,000 stations at ≥ 95 %; p = tiny");
        f
    }

    fn consistent(test: &'static str, region: Option<&str>) -> Finding {
        let mut f = deviating(test, "A", region, 0.5);
        f.verdict = Verdict::Consistent;
        f
    }

    #[test]
    fn every_registered_test_has_a_family() {
        for t in crate::forensics::ALL {
            assert!(
                family_of(t.id).is_some(),
                "{} is in no synthesis family",
                t.id
            );
        }
    }

    #[test]
    fn signals_group_by_family_and_place_and_rank_by_q() {
        let mut findings = vec![
            deviating("last_digit", "Ana", Some("Costa Norte"), 1e-5),
            deviating("zero_five_endings", "Bruno", Some("Costa Norte"), 1e-4),
            consistent("last_digit", Some("Sur")),
            consistent("last_digit", Some("Este")),
            consistent("last_digit", Some("Oeste")),
            deviating("extreme_stations", "turnout ≥ 95 %", None, 1e-8),
        ];
        for r in ["Costa Norte", "Sur", "Este", "Oeste"] {
            findings.push(deviating(
                "extreme_stations",
                "turnout ≥ 95 %",
                Some(r),
                1e-3,
            ));
        }
        let g = groups(&findings);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].family.tests, &["extreme_stations"]);
        assert_eq!(g[0].place, "nationally and in every region");
        assert_eq!(g[0].findings.len(), 5);
        assert_eq!(g[1].place, "in Costa Norte");
        assert_eq!(g[1].findings.len(), 2);
        assert_eq!(
            gist("84 of 5,000 stations; p = 1e-5"),
            "84 of 5,000 stations"
        );
        assert_eq!(
            gist("lost 27 (0 % gains; 95 % range) here; p = 1"),
            "lost 27 (0 % gains; 95 % range) here"
        );
    }
}
