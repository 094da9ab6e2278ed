//! "Would it change the result?": the margin between the first two candidates (and to every
//! outright-win rule the mapping declares, `[options] win_rules`), the votes that would have to go
//! to change it, and the anomalous-vote estimates of the battery beside them, each in one sentence.
//!
//! Votes to change the winner: removing M = W₁ − W₂ of the leader's votes (added votes taken away)
//! makes a tie; moving votes from the leader to the second takes M / 2. Votes to lose an outright
//! win: the fewest x of the leader's votes whose removal (from the leader and from the valid votes)
//! leaves no rule met, found by bisection (every rule's share and lead fall as x grows).
//!
//! The estimates are every national finding with `anomalous_votes` and `anomalous_interval`
//! (`clean_core_excess`, `klimek_model`, and any later estimator that reports the same two
//! fields), compared with the smallest of those thresholds; where two estimates' intervals do not
//! overlap, a sentence says so. Nothing here is a test: the sentences restate numbers the findings
//! and the totals already hold.

use crate::finding::Finding;
use crate::mapping::WinRule;
use crate::text::fmt_int;

/// The leading pair and what it takes to change the result (results.json `margin`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Margin {
    pub first: (String, u64),
    pub second: (String, u64),
    pub valid: u64,
    /// Of the leader's votes to remove for a tie with the second.
    pub to_tie: u64,
    /// Per declared rule met by the result, the leader's votes to remove to leave no rule met
    /// (the same number for every rule: the fewest, reported once with the rules).
    pub to_lose_outright: Option<u64>,
    pub rules: Vec<WinRule>,
}

/// An anomalous-vote estimate of one test.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub test_id: &'static str,
    pub votes: f64,
    pub interval: (f64, f64),
}

fn meets(rules: &[WinRule], w1: f64, w2: f64, valid: f64) -> bool {
    valid > 0.0
        && rules
            .iter()
            .any(|r| w1 / valid >= r.share && r.lead.is_none_or(|l| (w1 - w2) / valid >= l))
}

impl Margin {
    /// The fewest of the leader's votes that change the result: the tie, or the end of the
    /// outright win when that comes first.
    pub fn threshold(&self) -> f64 {
        self.to_lose_outright
            .map_or(self.to_tie, |x| x.min(self.to_tie)) as f64
    }

    /// From the candidates' totals and the valid votes; None with fewer than two candidates.
    pub fn new(candidates: &[(String, u64)], valid: u64, rules: &[WinRule]) -> Option<Margin> {
        let mut c = candidates.to_vec();
        c.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if c.len() < 2 || valid == 0 {
            return None;
        }
        let (w1, w2, v) = (c[0].1 as f64, c[1].1 as f64, valid as f64);
        let to_lose_outright = meets(rules, w1, w2, v).then(|| {
            // Fewest x with the rules no longer met after removing x of the leader's votes.
            let (mut lo, mut hi) = (0u64, c[0].1);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if meets(rules, w1 - mid as f64, w2, v - mid as f64) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        });
        Some(Margin {
            to_tie: c[0].1 - c[1].1,
            first: c[0].clone(),
            second: c[1].clone(),
            valid,
            to_lose_outright,
            rules: rules.to_vec(),
        })
    }
}

/// The section of one report: the margin, the estimates and the sentences (results.json
/// `margin`; null with fewer than two candidates).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Section {
    #[serde(flatten)]
    pub margin: Margin,
    pub estimates: Vec<Estimate>,
    pub sentences: Vec<String>,
}

pub fn section(r: &super::Report<'_>) -> Option<Section> {
    let candidates: Vec<(String, u64)> = r
        .totals
        .candidates
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let margin = Margin::new(&candidates, r.totals.valid, &r.tally.win_rules)?;
    let estimates = estimates(&r.findings);
    let title_of = |id: &str| {
        r.tests
            .iter()
            .find(|t| t.id == id)
            .map_or_else(|| id.to_string(), |t| format!("{} ({id})", t.title))
    };
    let mut sentences = sentences(&margin, &estimates, title_of);
    if let Some((c, _)) = &r.calibration {
        sentences.extend(hidden(&margin, c));
    }
    Some(Section {
        margin,
        estimates,
        sentences,
    })
}

/// With `--calibrate`: for each manipulation that moves votes, the largest one the battery misses
/// in at least half of the copies, in votes, against the threshold.
fn hidden(m: &Margin, c: &crate::power::Calibration) -> Vec<String> {
    let threshold = m.threshold();
    c.hidden()
        .iter()
        .filter_map(|h| {
            let (s, v) = h.missed?;
            (v.is_finite() && v >= 1.0).then(|| {
                format!(
                    "{} in {} % of stations, {} votes moved to {}, is missed by the whole battery in at least half of the resampled copies (--calibrate): {} the {} votes that would change the result.",
                    h.manipulation.id().replace('_', " "),
                    crate::text::fmt_points(s),
                    votes(v),
                    m.first.0,
                    proportion(v, threshold),
                    votes(threshold)
                )
            })
        })
        .collect()
}

/// The national anomalous-vote estimates among the findings.
pub fn estimates(findings: &[Finding]) -> Vec<Estimate> {
    findings
        .iter()
        .filter(|f| f.region.is_none())
        .filter_map(|f| {
            let v = f.details.get("anomalous_votes")?.as_f64()?;
            let i = f.details.get("anomalous_interval")?.as_array()?;
            Some(Estimate {
                test_id: f.test_id,
                votes: v,
                interval: (i.first()?.as_f64()?, i.get(1)?.as_f64()?),
            })
        })
        .collect()
}

/// "0.4 M", "38,900", "1.26 M".
fn votes(x: f64) -> String {
    if x.abs() >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else {
        fmt_int(x.max(0.0).round() as u64)
    }
}

/// How a part compares with a whole, in words: "a tenth of", "about twice", "3.1 times".
fn proportion(part: f64, whole: f64) -> String {
    if whole <= 0.0 {
        return "beside".into();
    }
    let r = part / whole;
    match r {
        0.0 => "none of".into(),
        r if r < 0.01 => "less than a hundredth of".into(),
        r if r < 0.095 => format!("{:.1} % of", 100.0 * r),
        r if r < 0.95 => format!("{:.0} % of", 100.0 * r),
        r if r <= 1.05 => "about as large as".into(),
        r => format!("{:.1} times", r),
    }
}

/// The sentences of the section.
pub fn sentences(m: &Margin, est: &[Estimate], title_of: impl Fn(&str) -> String) -> Vec<String> {
    let pts = 100.0 * m.to_tie as f64 / m.valid as f64;
    let mut out = vec![format!(
        "{} leads {} by {} votes ({:.2} points of the valid votes): removing {} of {}'s votes would make a tie, and moving {} of them to {} would.",
        m.first.0,
        m.second.0,
        fmt_int(m.to_tie),
        pts,
        fmt_int(m.to_tie),
        m.first.0,
        fmt_int(m.to_tie.div_ceil(2)),
        m.second.0
    )];
    let rules: Vec<String> = m.rules.iter().map(WinRule::describe).collect();
    match (m.to_lose_outright, m.rules.is_empty()) {
        (_, true) => {}
        (Some(x), false) => out.push(format!(
            "The declared rule of an outright win ({}) is met; removing {} of {}'s votes would leave it unmet.",
            rules.join(", or "),
            fmt_int(x),
            m.first.0
        )),
        (None, false) => out.push(format!(
            "The declared rule of an outright win ({}) is not met by these totals.",
            rules.join(", or ")
        )),
    }
    let threshold = m.threshold();
    let what = if m.to_lose_outright.is_some_and(|x| x < m.to_tie) {
        format!(
            "the {} votes whose removal would end the outright win",
            votes(threshold)
        )
    } else {
        format!("the {}-vote margin", votes(threshold))
    };
    for e in est {
        let verdict = if e.interval.1 < threshold {
            "even its upper end is below it"
        } else if e.interval.0 >= threshold {
            "even its lower end reaches it"
        } else {
            "its interval spans it"
        };
        out.push(format!(
            "{} estimates {} [{}, {}] anomalous votes, {} {what}: {verdict}.",
            title_of(e.test_id),
            votes(e.votes),
            votes(e.interval.0),
            votes(e.interval.1),
            proportion(e.votes, threshold),
        ));
    }
    for (i, a) in est.iter().enumerate() {
        for b in &est[i + 1..] {
            if a.interval.1 < b.interval.0 || b.interval.1 < a.interval.0 {
                out.push(format!(
                    "{} and {} disagree (their intervals do not overlap): they count different things — the clean core counts the leader's votes beyond the core's ratio where turnout is higher, the Klimek model counts every station it places in its fraud components, honest strongholds included — so the difference says how much rests on each one's assumption.",
                    title_of(a.test_id),
                    title_of(b.test_id)
                ));
            }
        }
    }
    if est.is_empty() {
        out.push(
            "No anomalous-vote estimate could be made on these data (it needs registered voters)."
                .into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bolivia_like() -> Margin {
        // 47.08 % against 36.51 % of 6,137,778 valid votes.
        let valid = 6_137_778u64;
        let c = vec![
            ("MAS".to_string(), 2_889_359u64),
            ("CC".to_string(), 2_240_920u64),
            ("Others".to_string(), 1_007_499u64),
        ];
        let rules = [
            WinRule {
                share: 0.5,
                lead: None,
            },
            WinRule {
                share: 0.4,
                lead: Some(0.10),
            },
        ];
        Margin::new(&c, valid, &rules).unwrap()
    }

    #[test]
    fn votes_to_change_the_result_are_exact() {
        let m = bolivia_like();
        assert_eq!(m.to_tie, 2_889_359 - 2_240_920);
        // Fewest x with (W1 − x − W2) / (V − x) < 0.10: x > (W1 − W2 − 0.1 V) / 0.9.
        let x = ((648_439.0 - 613_777.8) / 0.9f64).floor() as u64 + 1;
        let got = m.to_lose_outright.unwrap();
        assert!(got.abs_diff(x) <= 1, "{got} vs {x}");
        // x − 1 still meets the rule, x does not.
        let (w1, w2, v) = (2_889_359.0, 2_240_920.0, 6_137_778.0);
        assert!(meets(
            &m.rules,
            w1 - (got - 1) as f64,
            w2,
            v - (got - 1) as f64
        ));
        assert!(!meets(&m.rules, w1 - got as f64, w2, v - got as f64));
    }

    #[test]
    fn sentences_compare_each_estimate_with_the_threshold() {
        let m = bolivia_like();
        let est = [
            Estimate {
                test_id: "clean_core_excess",
                votes: 30_000.0,
                interval: (14_000.0, 44_000.0),
            },
            Estimate {
                test_id: "klimek_model",
                votes: 650_000.0,
                interval: (240_000.0, 940_000.0),
            },
        ];
        let s = sentences(&m, &est, |t| t.to_string());
        assert!(s[0].contains("648,439 votes"), "{}", s[0]);
        assert!(
            s[1].contains("at least 40 % and 10 points ahead"),
            "{}",
            s[1]
        );
        assert!(s[2].contains("its interval spans it"), "{}", s[2]);
        assert!(s[3].contains("even its lower end reaches it"), "{}", s[3]);
        assert!(s[4].contains("disagree"), "{}", s[4]);
        // Without rules, the margin is the threshold.
        let plain = Margin::new(&[("A".into(), 600), ("B".into(), 400)], 1000, &[]).unwrap();
        assert_eq!(plain.to_lose_outright, None);
        let s = sentences(
            &plain,
            &[Estimate {
                test_id: "t",
                votes: 20.0,
                interval: (10.0, 30.0),
            }],
            |t| t.to_string(),
        );
        assert_eq!(s.len(), 2);
        assert!(
            s[1].contains("10 % of the 200-vote margin: even its upper end is below it"),
            "{}",
            s[1]
        );
    }
}
