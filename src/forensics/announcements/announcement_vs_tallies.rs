//! `announcement_vs_tallies`: how does each announcement compare with the sums of the tally
//! sheets, and could the tables the sheets do not cover close the gap?
//!
//! Descriptive (no hypothesis test, verdict `descriptive`). Per announcement:
//!
//! - **Coverage**: tables in the sheets (of `[election] tables` when declared), registered voters in
//!   the sheets (of `[election] registered`), valid votes in the sheets against the announced total.
//! - **Shares**: each announced candidate's (and the `others` group's) share of valid votes in the
//!   sheets against the announced share, and announced votes − sheet votes.
//! - **Coverage bound.** Let S be the sheets' valid votes, W_s the announced winner's sheet votes and
//!   s_W its announced share. The votes the sheets miss are at most M = R_miss · τ_max, where R_miss
//!   is the registered voters not covered (`[election] registered` − sheet registered; if only
//!   `[election] tables` is declared, the missing tables times the mean registered voters of a sheet
//!   table, an assumption the finding states) and τ_max the highest table turnout in the sheets
//!   (ballots / registered, at most 1). The regions of the missing tables are unknown, so the
//!   highest turnout of any region is used: an upper bound. For the overall result to match the
//!   announced share the winner needs the share x = (s_W · (S + M) − W_s) / M of the missing votes;
//!   x > 1 means no composition of the missing tables can produce the announcement. The sheet
//!   leader's lead over the runner-up cannot be overturned when it exceeds M, even if every missing
//!   voter chose one candidate. The same numbers at the sheets' own turnout (M_typ = R_miss · τ̄) are
//!   given beside them.
//!
//! Chart: sheet shares as bars, announced shares as dots, and the band of overall shares the
//! candidate could reach with the missing votes at the bound ((v_s) / (S + M) to (v_s + M) / (S + M)).
//!
//! Not applicable without an announcement; the bound is omitted (and the finding says what to
//! declare) when neither the election's tables nor its registered voters are known.
//!
//! References: methods.md §7.1 (the Colombian MOE's "remaining actas cannot flip the result" argument
//! on the opposition's tally sheets versus CNE bulletin 2).

use serde::Serialize;
use serde_json::json;

use crate::announcement::{Announcement, ElectionFacts, OTHERS};
use crate::figure::{file_stem, BarPanel, Figure, FigureSpec};
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::battery::Battery;
use crate::forensics::ForensicTest;
use crate::tally::Tally;
use crate::text::fmt_int;

pub const TEST: ForensicTest = ForensicTest {
    id: "announcement_vs_tallies",
    title: "Announced totals against the tally sheets, with a coverage bound",
    method: "Compares each announcement with the sums of the tally sheets: how many tables, registered voters and votes the sheets cover, each candidate's share in the sheets against the announced share, and the difference in votes. The coverage bound asks what the tables missing from the sheets could change: their votes are at most the registered voters not covered times the highest table turnout seen in the sheets (the regions of the missing tables are unknown, so the highest of any region is used). From that it gives the share of the missing votes the announced winner would need for the overall result to match the announced share, and whether the sheets' leader could lose even if every missing voter chose one candidate. The election's number of tables and registered voters are taken from the announcement file when declared; otherwise the finding says what it assumed. There is no hypothesis test: the sheets need not be a random sample of tables, and the numbers are bounds, not estimates.",
    references: "CNE bulletins; the Colombian MOE argument on the remaining actas.",
    weight: 0.01,
    run,
};

/// Sums of the tally sheets.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheets {
    pub tables: u64,
    pub valid: u64,
    pub ballots: u64,
    pub registered: Option<u64>,
    /// Votes per tally candidate, in tally order.
    pub votes: Vec<(String, u64)>,
    /// Highest table turnout (capped at 1) and the top-level region it is in.
    pub max_turnout: Option<(f64, String)>,
}

impl Sheets {
    pub fn from_tally(t: &Tally) -> Sheets {
        let totals = t.totals();
        let max_turnout = t.turnout().and_then(|tv| {
            let (i, v) = tv
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i, v.min(1.0))))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
            let region = t
                .regions
                .first()
                .and_then(|l| l.paths[l.codes[i] as usize].last().cloned())
                .unwrap_or_else(|| "national".into());
            Some((v, region))
        });
        Sheets {
            tables: totals.stations,
            valid: totals.valid,
            ballots: totals.ballots_cast,
            registered: totals.registered,
            votes: t
                .candidates
                .iter()
                .map(|c| (c.name.clone(), c.votes.iter().sum()))
                .collect(),
            max_turnout,
        }
    }

    fn votes_of(&self, name: &str) -> u64 {
        self.votes
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, v)| *v)
    }
}

/// One category compared.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ShareRow {
    pub name: String,
    pub sheet_votes: u64,
    pub sheet_share: f64,
    pub announced_votes: Option<u64>,
    pub announced_share: Option<f64>,
    /// announced − sheet votes.
    pub vote_difference: Option<i64>,
}

/// What the votes missing from the sheets could change.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CoverageBound {
    pub missing_registered: u64,
    /// How `missing_registered` was obtained.
    pub missing_registered_basis: String,
    pub highest_turnout: f64,
    pub highest_turnout_region: String,
    /// Upper bound of the missing votes: missing registered × highest turnout.
    pub missing_votes_max: u64,
    /// Missing registered × the sheets' turnout.
    pub missing_votes_at_sheet_turnout: u64,
    pub winner: String,
    /// Share of the missing votes the winner needs for the announced share, at the bound.
    pub winner_share_needed: f64,
    /// The same at the sheets' turnout.
    pub winner_share_needed_at_sheet_turnout: f64,
    /// Announced votes − sheet votes of the winner, when votes are announced.
    pub winner_votes_needed: Option<i64>,
    pub sheet_leader: String,
    pub sheet_runner_up: String,
    pub sheet_lead: u64,
    /// The lead is at most the bound: one candidate taking every missing vote could overturn it.
    pub could_flip: bool,
}

/// The comparison of one announcement with the sheets.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    pub tables_covered: u64,
    pub tables_total: Option<u64>,
    pub registered_covered: Option<u64>,
    pub registered_total: Option<u64>,
    pub votes_covered: u64,
    pub announced_total: u64,
    pub tables_counted_percent: Option<f64>,
    pub shares: Vec<ShareRow>,
    pub bound: Option<CoverageBound>,
    /// Why there is no bound.
    pub bound_missing: Option<String>,
}

/// Compare one announcement with the sheets.
pub fn compute(a: &Announcement, facts: &ElectionFacts, s: &Sheets) -> Comparison {
    let share = |v: u64| {
        if s.valid > 0 {
            v as f64 / s.valid as f64
        } else {
            f64::NAN
        }
    };
    let mut shares: Vec<ShareRow> = a
        .candidates
        .iter()
        .map(|c| {
            let sv = s.votes_of(&c.name);
            ShareRow {
                name: c.name.clone(),
                sheet_votes: sv,
                sheet_share: share(sv),
                announced_votes: c.votes,
                announced_share: a.share(c),
                vote_difference: c.votes.map(|v| v as i64 - sv as i64),
            }
        })
        .collect();
    if let Some(o) = &a.others {
        let named: u64 = shares.iter().map(|r| r.sheet_votes).sum();
        let sv = s.votes.iter().map(|(_, v)| v).sum::<u64>() - named;
        shares.push(ShareRow {
            name: OTHERS.into(),
            sheet_votes: sv,
            sheet_share: share(sv),
            announced_votes: o.votes,
            announced_share: o
                .votes
                .map(|v| v as f64 / a.total as f64)
                .or(o.percent.map(|p| p / 100.0)),
            vote_difference: o.votes.map(|v| v as i64 - sv as i64),
        });
    }
    let (missing, bound_missing) = missing_registered(facts, s);
    let bound = missing.and_then(|(m, basis)| bound(a, s, m, basis));
    Comparison {
        tables_covered: s.tables,
        tables_total: facts.tables,
        registered_covered: s.registered,
        registered_total: facts.registered,
        votes_covered: s.valid,
        announced_total: a.total,
        tables_counted_percent: a.tables_counted_percent,
        shares,
        bound_missing: if bound.is_none() {
            bound_missing.or(Some(
                "the sheets have no registered-voter or turnout figures, or no votes".into(),
            ))
        } else {
            None
        },
        bound,
    }
}

/// Registered voters not covered by the sheets, with how it was obtained; or why it is unknown.
fn missing_registered(
    facts: &ElectionFacts,
    s: &Sheets,
) -> (Option<(u64, String)>, Option<String>) {
    match (facts.registered, s.registered, facts.tables) {
        (Some(total), Some(covered), _) => (
            Some((
                total.saturating_sub(covered),
                format!(
                    "declared registered voters {} − {} in the sheets",
                    fmt_int(total),
                    fmt_int(covered)
                ),
            )),
            None,
        ),
        (_, Some(covered), Some(tables)) if s.tables > 0 => {
            let missing_tables = tables.saturating_sub(s.tables);
            let mean = covered as f64 / s.tables as f64;
            (
                Some((
                    (missing_tables as f64 * mean).round() as u64,
                    format!(
                        "assumed: the {} tables not in the sheets are as large as the average sheet table ({:.0} registered voters); declare [election] registered to use the real figure",
                        fmt_int(missing_tables),
                        mean
                    ),
                )),
                None,
            )
        }
        _ => (
            None,
            Some("no bound: declare [election] registered (or tables) in the announcement file, and map the registered voters of each table".into()),
        ),
    }
}

fn bound(a: &Announcement, s: &Sheets, missing: u64, basis: String) -> Option<CoverageBound> {
    let (tau_max, region) = s.max_turnout.clone()?;
    let tau_sheet = s.ballots as f64 / s.registered? as f64;
    let winner = a.winner()?;
    let s_w = a.share(winner)?;
    let w_s = s.votes_of(&winner.name) as f64;
    let total = s.valid as f64;
    let needed = |m: f64| {
        if m > 0.0 {
            (s_w * (total + m) - w_s) / m
        } else {
            f64::INFINITY
        }
    };
    let m_max = (missing as f64 * tau_max).round();
    let m_typ = (missing as f64 * tau_sheet.min(1.0)).round();
    let mut ranked: Vec<&(String, u64)> = s.votes.iter().collect();
    ranked.sort_by_key(|(_, v)| std::cmp::Reverse(*v));
    let (leader, runner_up) = (ranked.first()?, ranked.get(1)?);
    let lead = leader.1 - runner_up.1;
    Some(CoverageBound {
        missing_registered: missing,
        missing_registered_basis: basis,
        highest_turnout: tau_max,
        highest_turnout_region: region,
        missing_votes_max: m_max as u64,
        missing_votes_at_sheet_turnout: m_typ as u64,
        winner: winner.name.clone(),
        winner_share_needed: needed(m_max),
        winner_share_needed_at_sheet_turnout: needed(m_typ),
        winner_votes_needed: winner.votes.map(|v| v as i64 - w_s as i64),
        sheet_leader: leader.0.clone(),
        sheet_runner_up: runner_up.0.clone(),
        sheet_lead: lead,
        could_flip: m_max as u64 >= lead,
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
    let sheets = Sheets::from_tally(b.tally);
    for a in &file.announcements {
        let c = compute(a, &file.election, &sheets);
        let stem = file_stem(&[TEST.id, &a.label]);
        out.figures.push(figure(a, &c, &sheets, &stem));
        out.findings.push(Finding {
            test_id: TEST.id,
            subject: a.label.clone(),
            region: None,
            n: c.tables_covered,
            statistic: c
                .bound
                .as_ref()
                .map(|b| Statistic::new("winner_share_needed", b.winner_share_needed)),
            p_value: None,
            q_value: None,
            p_value_source: None,
            effect_size: None,
            verdict: Verdict::Descriptive,
            reason: None,
            headline: headline(a, &c),
            figure: Some(format!("figures/{stem}.png")),
            details: details([("date", json!(a.date)), ("comparison", json!(c))]),
        });
    }
    Ok(out)
}

fn figure(a: &Announcement, c: &Comparison, s: &Sheets, stem: &str) -> Figure {
    let m = c.bound.as_ref().map(|b| b.missing_votes_max as f64);
    let overall =
        |v: u64, extra: f64| m.map_or(f64::NAN, |m| (v as f64 + extra * m) / (s.valid as f64 + m));
    Figure {
        file_stem: stem.to_string(),
        spec: FigureSpec::Bars(BarPanel {
            title: format!("{}: announced shares against the tally sheets", a.label),
            caption: match &c.bound {
                Some(b) => format!(
                    "Bars: share of valid votes in the tally sheets ({} tables). Dots: announced share. Grey: overall shares reachable if the {} votes the sheets can miss at most (every missing registered voter at {:.1} % turnout) went all elsewhere or all to the candidate; a dot outside its box cannot be reached.",
                    fmt_int(c.tables_covered), fmt_int(b.missing_votes_max), 100.0 * b.highest_turnout
                ),
                None => format!(
                    "Bars: share of valid votes in the tally sheets ({} tables). Dots: announced share. No coverage bound: {}.",
                    fmt_int(c.tables_covered), c.bound_missing.as_deref().unwrap_or("")
                ),
            },
            x_label: "candidate".into(),
            y_label: "share of valid votes".into(),
            categories: c.shares.iter().map(|r| r.name.clone()).collect(),
            observed: c.shares.iter().map(|r| r.sheet_share).collect(),
            expected: c
                .shares
                .iter()
                .map(|r| r.announced_share.unwrap_or(f64::NAN))
                .collect(),
            band_low: c.shares.iter().map(|r| overall(r.sheet_votes, 0.0)).collect(),
            band_high: c.shares.iter().map(|r| overall(r.sheet_votes, 1.0)).collect(),
            highlight: false,
            finding: None,
            expected_label: "announced share".into(),
            band_label: "reachable with the missing tables".into(),
        }),
    }
}

fn pct(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

fn headline(a: &Announcement, c: &Comparison) -> String {
    let mut parts = vec![format!(
        "{}: the tally sheets cover {} tables{} and {} valid votes ({} of the {} announced{})",
        a.label,
        fmt_int(c.tables_covered),
        c.tables_total
            .map(|t| format!(
                " ({} of {})",
                pct(c.tables_covered as f64 / t as f64),
                fmt_int(t)
            ))
            .unwrap_or_else(|| " (the election's number of tables is not declared)".into()),
        fmt_int(c.votes_covered),
        pct(c.votes_covered as f64 / c.announced_total as f64),
        fmt_int(c.announced_total),
        a.tables_counted_percent
            .map(|p| format!(" at {p} % of tables counted"))
            .unwrap_or_default()
    )];
    // The two candidates with the largest announced shares (every row is in the details).
    let mut top: Vec<&ShareRow> = c.shares.iter().filter(|r| r.name != OTHERS).collect();
    top.sort_by(|x, y| {
        let key = |r: &ShareRow| r.announced_share.unwrap_or(f64::NEG_INFINITY);
        key(y).total_cmp(&key(x))
    });
    let rows: Vec<String> = top
        .iter()
        .take(2)
        .map(|r| {
            format!(
                "{} {} in the sheets against {} announced{}",
                r.name,
                pct(r.sheet_share),
                r.announced_share.map(pct).unwrap_or_else(|| "n/a".into()),
                r.vote_difference
                    .map(|d| format!(
                        " ({}{} votes announced)",
                        if d < 0 { "−" } else { "+" },
                        fmt_int(d.unsigned_abs())
                    ))
                    .unwrap_or_default()
            )
        })
        .collect();
    parts.push(rows.join("; "));
    match &c.bound {
        Some(b) => {
            parts.push(format!(
                "At most {} votes can be missing ({} registered voters not covered, {}, at the highest table turnout of {:.1} % in {}); {} would need {} of them ({} at the sheets' turnout) to match the announced share{}",
                fmt_int(b.missing_votes_max),
                fmt_int(b.missing_registered),
                b.missing_registered_basis,
                100.0 * b.highest_turnout,
                b.highest_turnout_region,
                b.winner,
                pct(b.winner_share_needed),
                pct(b.winner_share_needed_at_sheet_turnout),
                if b.winner_share_needed > 1.0 { ", which is impossible" } else { "" }
            ));
            parts.push(if b.could_flip {
                format!(
                    "{}'s lead of {} votes in the sheets could be overturned if the missing votes went overwhelmingly to {}",
                    b.sheet_leader, fmt_int(b.sheet_lead), b.sheet_runner_up
                )
            } else {
                format!(
                    "{}'s lead of {} votes in the sheets cannot be overturned even if every missing voter chose {} or any other candidate",
                    b.sheet_leader, fmt_int(b.sheet_lead), b.sheet_runner_up
                )
            });
        }
        None => parts.push(c.bound_missing.clone().unwrap_or_default()),
    }
    parts.join(". ") + "."
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::announcement::{AnnouncedCount, AnnouncedShare};

    /// Sheets shaped like the Venezuelan opposition's (PROVENANCE.md totals).
    fn sheets() -> Sheets {
        Sheets {
            tables: 24_532,
            valid: 10_659_128,
            ballots: 10_660_267,
            registered: Some(17_745_239),
            votes: vec![
                ("González".into(), 7_156_462),
                ("Maduro".into(), 3_241_461),
                ("minor".into(), 261_205),
            ],
            max_turnout: Some((0.991, "somewhere".into())),
        }
    }

    fn bulletin_1() -> Announcement {
        let cand = |name: &str, votes| AnnouncedCount {
            name: name.into(),
            votes: Some(votes),
            percent: None,
        };
        Announcement {
            label: "b1".into(),
            total: 10_058_774,
            tables_counted_percent: Some(80.0),
            candidates: vec![cand("Maduro", 5_150_092), cand("González", 4_445_978)],
            others: Some(AnnouncedShare {
                votes: Some(462_704),
                percent: Some(4.6),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn bound_with_declared_registered_voters() {
        let facts = ElectionFacts {
            tables: Some(30_026),
            registered: Some(21_321_805),
        };
        let c = compute(&bulletin_1(), &facts, &sheets());
        assert_eq!(c.shares[0].vote_difference, Some(5_150_092 - 3_241_461));
        assert_eq!(c.shares[2].sheet_votes, 261_205);
        let b = c.bound.unwrap();
        assert_eq!(b.missing_registered, 21_321_805 - 17_745_239);
        assert_eq!(b.missing_votes_max, (3_576_566.0f64 * 0.991).round() as u64);
        // (0.512·(S + M) − W_s) / M with the announced share 5,150,092 / 10,058,774.
        let s_w = 5_150_092.0 / 10_058_774.0;
        let m = b.missing_votes_max as f64;
        let x = (s_w * (10_659_128.0 + m) - 3_241_461.0) / m;
        assert!((b.winner_share_needed - x).abs() < 1e-12 && x > 1.0);
        assert_eq!(b.sheet_lead, 7_156_462 - 3_241_461);
        assert!(!b.could_flip);
    }

    #[test]
    fn falls_back_to_tables_and_says_so_or_gives_no_bound() {
        let facts = ElectionFacts {
            tables: Some(30_026),
            registered: None,
        };
        let c = compute(&bulletin_1(), &facts, &sheets());
        let b = c.bound.unwrap();
        assert!(b.missing_registered_basis.starts_with("assumed"));
        assert_eq!(
            b.missing_registered,
            (5_494.0 * 17_745_239.0 / 24_532.0f64).round() as u64
        );
        let none = compute(&bulletin_1(), &ElectionFacts::default(), &sheets());
        assert!(none.bound.is_none());
        assert!(none.bound_missing.unwrap().contains("declare [election]"));
    }
}
