//! The report as a format-neutral document (headings, paragraphs, lists, tables, figures), built
//! once from a `Report` and rendered by `markdown.rs` and `html.rs`, so both say the same thing.
//! All text here is plain; each renderer escapes it for its format.

use super::{Report, TOOL};
use crate::finding::{Finding, Verdict};
use crate::text::{fmt_int, fmt_p, trim_zeros};

pub enum Block {
    Heading(u8, String),
    Paragraph(String),
    List(Vec<String>),
    /// List items that each point at a section: (text, the heading text of the section). HTML
    /// links the item to the heading; Markdown names the section.
    LinkedList(Vec<(String, String)>),
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Figure {
        path: String,
        caption: String,
    },
    Code(String),
}

pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
}

fn pct(x: u64, total: u64) -> String {
    if total == 0 {
        "n/a".into()
    } else {
        format!("{:.2} %", 100.0 * x as f64 / total as f64)
    }
}

pub fn build(r: &Report<'_>) -> Document {
    let mut b = Vec::new();
    let l = &r.ledger;
    let mt = super::json::multiple_testing(r);
    b.push(Block::Paragraph(format!(
        "{} {} · results schema {} · seed {} · {} replicates · {} {} at {}",
        TOOL.name,
        TOOL.version,
        super::json::SCHEMA_VERSION,
        r.options.params.seed,
        r.options.params.replicates,
        r.options.params.correction.label(),
        r.options.params.correction.controls(),
        r.options.params.alpha
    )));
    if !r.warnings.is_empty() {
        b.push(Block::Heading(2, "Warning: rows lost".into()));
        b.push(Block::List(
            r.warnings
                .iter()
                .map(|w| format!("{}. Fix: {}.", w.message, w.fix))
                .collect(),
        ));
    }

    let story = super::synthesis::build(r);
    b.push(Block::Heading(2, "What the data show".into()));
    if story.signals.is_empty() {
        b.push(Block::Paragraph(format!(
            "No pattern deviates beyond what chance gives after the multiple-testing adjustment ({} findings tested). That is not proof of a clean count: read below what could not be tested{}.",
            mt.findings_tested,
            if r.calibration.is_some() { " and, in \"Power on these data\", how large a manipulation these data could hide" } else { ", and run with --calibrate to learn how large a manipulation these data could hide" }
        )));
    } else {
        b.push(Block::Paragraph("The signals, strongest first (by the adjusted p-value q of their strongest finding). A signal is a pattern chance alone rarely gives, not proof of fraud; each names honest causes that also produce it.".into()));
        b.push(Block::LinkedList(story.signals));
    }
    if let Some(m) = super::margin::section(r) {
        b.push(Block::Paragraph("Would it change the result?".into()));
        b.push(Block::List(m.sentences));
    }
    if !story.not_seen.is_empty() {
        b.push(Block::Paragraph("Tested and not seen:".into()));
        b.push(Block::List(story.not_seen));
    }
    if !story.untestable.is_empty() {
        b.push(Block::Paragraph(
            "Could not be tested on these data, in part or at all:".into(),
        ));
        b.push(Block::List(story.untestable));
    }
    if r.calibration.is_some() {
        b.push(Block::Paragraph("Power: the section \"Power on these data\" below gives, for each manipulation injected into copies of these data, the share of copies each test detects.".into()));
    }
    b.push(Block::Paragraph(
        "The method of every test: docs/methods.md in the tool's repository.".into(),
    ));

    b.push(Block::Heading(2, "Summary".into()));
    let mut summary = vec![format!(
        "{} analysed from {} read; {} excluded, {} kept but flagged for inconsistencies (see Data).",
        crate::text::count(l.rows_analysed.min(r.totals.stations), "station", "stations"),
        crate::text::count(l.rows_read, "row", "rows"),
        crate::text::count(l.rows_excluded(), "row", "rows"),
        crate::text::count(l.flagged_stations(), "station", "stations")
    )];
    if let Some(t) = r.totals.turnout {
        summary.push(format!(
            "Turnout (ballots cast / registered voters): {:.2} %.",
            100.0 * t
        ));
    }
    let mut by_votes: Vec<(&String, &u64)> = r.totals.candidates.iter().collect();
    by_votes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    summary.push(format!(
        "Leading candidates (share {}): {}.",
        r.tally.share_of.phrase(),
        by_votes
            .iter()
            .take(3)
            .map(|(n, v)| format!("{n} {}", pct(**v, r.totals.share_denominator)))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    summary.extend(super::summary::sentences(&mt));
    b.push(Block::List(summary));
    b.push(Block::Paragraph("How to read this report: a deviation says that a number pattern is unlikely under honest counting as modelled here, by how much, and how often chance alone would produce it. It is not proof of fraud: strategic voting, regional heterogeneity, data entry and rounding conventions also move these statistics. Read the methods paragraph of each test.".into()));
    let survivors = super::summary::survivors(r);
    if !survivors.is_empty() {
        b.push(Block::Heading(3, "What deviates".into()));
        b.push(Block::Paragraph("The findings that survive the adjustment, grouped as in \"What the data show\" (strongest signal first), each group's findings by adjusted p-value q.".into()));
        for (label, findings) in super::synthesis::grouped(&r.findings) {
            b.push(Block::Paragraph(format!("{label}:")));
            b.push(findings_table(&findings));
        }
    }

    if let Some((c, stem)) = &r.calibration {
        let fig = r.figures.iter().find(|f| &f.file_stem == stem);
        super::calibration::section(
            c,
            fig.map(|f| format!("figures/{}.png", f.file_stem))
                .as_deref(),
            fig.map(|f| f.spec.caption()).unwrap_or(""),
            &mut b,
        );
    }

    data_section(r, &mut b);

    b.push(Block::Heading(2, "Findings".into()));
    for test in r.tests {
        let mine: Vec<&Finding> = r.findings.iter().filter(|f| f.test_id == test.id).collect();
        b.push(Block::Heading(3, format!("{} ({})", test.title, test.id)));
        b.push(Block::Paragraph(test.method.into()));
        b.push(Block::Paragraph(format!(
            "References: {} The method in full (statistic, null, when not applicable, honest causes): docs/methods.md#{} in the tool's repository.",
            test.references, test.id
        )));
        test_section(r, &mine, &mut b);
    }

    b.push(Block::Heading(2, "Reproduce".into()));
    b.push(Block::Paragraph("Same input files (check the SHA-256 above), options and seed give byte-identical results.json and report.md:".into()));
    let cmd = super::run_record::command(r.options);
    b.push(Block::Code(cmd));
    b.push(Block::Paragraph(format!(
        "Built from git commit {}. To cite the tool, see CITATION.cff in its repository.",
        super::run_record::GIT_COMMIT.unwrap_or("unknown (not built from a git checkout)")
    )));
    Document {
        title: format!("Election forensics report: {}", r.dataset),
        blocks: b,
    }
}

/// Most regional findings listed in a test's section (all are in results.json).
const MAX_REGIONAL_ROWS: usize = 15;

/// Tables, figures and not-applicable notes of one test.
fn test_section(r: &Report<'_>, mine: &[&Finding], b: &mut Vec<Block>) {
    let (na, tested): (Vec<&Finding>, Vec<&Finding>) = mine
        .iter()
        .partition(|f| f.verdict == Verdict::NotApplicable);
    let (national, mut regional): (Vec<&Finding>, Vec<&Finding>) =
        tested.iter().partition(|f| f.region.is_none());
    if !national.is_empty() {
        b.push(findings_table(&national));
    }
    if !regional.is_empty() {
        let deviating = regional
            .iter()
            .filter(|f| f.verdict == Verdict::Deviates)
            .count();
        regional.sort_by(|a, b| {
            let p = |f: &Finding| f.p_value.unwrap_or(1.0);
            p(a).total_cmp(&p(b))
        });
        let shown = regional.len().min(MAX_REGIONAL_ROWS.max(deviating));
        b.push(Block::Paragraph(format!(
            "Regional findings: {} tested, {deviating} deviate. The {shown} with the lowest p-values (all are in results.json):",
            regional.len()
        )));
        b.push(findings_table(&regional[..shown]));
    }
    let mut shown = std::collections::BTreeSet::new();
    // Figures of tested findings, then those of not-applicable ones that carry a chart (e.g. the
    // first-digit law on station counts: seeing why it fails is the point).
    for f in tested.iter().chain(na.iter()) {
        if let Some(path) = &f.figure {
            if shown.insert(path.clone()) {
                let caption = r
                    .figures
                    .iter()
                    .find(|fig| path.ends_with(&format!("{}.png", fig.file_stem)))
                    .map(|fig| figure_caption(&fig.spec))
                    .unwrap_or_default();
                b.push(Block::Figure {
                    path: path.clone(),
                    caption,
                });
            }
        }
    }
    for f in &national {
        b.push(Block::Paragraph(f.headline.clone()));
    }
    if !na.is_empty() {
        b.push(Block::Paragraph(format!("Not applicable ({}):", na.len())));
        let mut lines: Vec<String> = na
            .iter()
            .filter(|f| f.region.is_none())
            .map(|f| {
                format!(
                    "{} (national): {}",
                    f.subject,
                    f.reason.as_deref().unwrap_or("")
                )
            })
            .collect();
        lines.dedup();
        lines.extend(regional_na_lines(&na));
        b.push(Block::List(lines));
    }
}

/// Regional not-applicable findings, compactly: per subject, how many regions, grouped by the kind
/// of reason (the reason with its numbers blanked), each kind shown once in full with the region it
/// comes from. Every region's own reason is in results.json.
fn regional_na_lines(na: &[&Finding]) -> Vec<String> {
    /// One kind of reason: (kind, regions, the first region, its reason).
    type Kind<'a> = (String, usize, String, &'a str);
    // subject → kinds, in finding order.
    let mut by_subject: Vec<(&str, Vec<Kind<'_>>)> = Vec::new();
    for f in na.iter().filter(|f| f.region.is_some()) {
        let reason = f.reason.as_deref().unwrap_or("");
        let kind = reason_kind(reason);
        let groups = match by_subject.iter_mut().find(|(s, _)| *s == f.subject) {
            Some((_, groups)) => groups,
            None => {
                by_subject.push((&f.subject, Vec::new()));
                &mut by_subject.last_mut().expect("just pushed").1
            }
        };
        match groups.iter_mut().find(|g| g.0 == kind) {
            Some(g) => g.1 += 1,
            None => groups.push((kind, 1, f.region_label(), reason)),
        }
    }
    by_subject
        .iter()
        .map(|(subject, groups)| {
            let total: usize = groups.iter().map(|g| g.1).sum();
            let kinds: Vec<String> = groups
                .iter()
                .map(|(_, n, region, reason)| {
                    if *n == 1 {
                        format!("{region}: {reason}")
                    } else {
                        format!("{n} regions such as {region}: {reason}")
                    }
                })
                .collect();
            format!(
                "{subject}: {total} region{} not applicable — {}",
                if total == 1 { "" } else { "s" },
                kinds.join("; ")
            )
        })
        .collect()
}

/// A reason with its numbers blanked ("only 429 of 765 …" and "only 290 of 613 …" are one kind).
fn reason_kind(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut in_number = false;
    for c in reason.chars() {
        let numeric = c.is_ascii_digit() || (in_number && matches!(c, ',' | '.'));
        if numeric {
            if !in_number {
                out.push('#');
            }
        } else {
            out.push(c);
        }
        in_number = numeric;
    }
    out
}

fn figure_caption(spec: &crate::figure::FigureSpec) -> String {
    spec.caption().to_string()
}

/// A statistic for people: 2 decimals from 10 up, 4 significant digits below.
/// A statistic or effect for readers in any locale: whole numbers without decimals (`5`, never
/// `5.000`, which reads as five thousand in Spanish or German), large values in powers of ten
/// (`1.87 × 10⁶`), others with four significant digits and no trailing zeros.
fn fmt_stat(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v.abs() >= 1e4 {
        let exp = v.abs().log10().floor() as i32;
        let mantissa = v / 10f64.powi(exp);
        let sup: String = exp
            .to_string()
            .chars()
            .map(|c| match c {
                '-' => '⁻',
                d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹']
                    [d.to_digit(10).unwrap_or(0) as usize],
            })
            .collect();
        return format!("{} × 10{sup}", trim_zeros(&format!("{mantissa:.2}")));
    }
    if (v - v.round()).abs() < 1e-9 {
        return format!("{}", v.round() as i64);
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
    trim_zeros(&format!("{v:.decimals$}"))
}

fn findings_table(findings: &[&Finding]) -> Block {
    Block::Table {
        header: [
            "test",
            "subject",
            "region",
            "n",
            "statistic",
            "effect size",
            "p",
            "q (adjusted)",
            "verdict",
        ]
        .map(String::from)
        .to_vec(),
        rows: findings
            .iter()
            .map(|f| {
                vec![
                    f.test_id.to_string(),
                    f.subject.clone(),
                    f.region_label(),
                    fmt_int(f.n),
                    f.statistic
                        .as_ref()
                        .map(|s| format!("{} = {}", s.name, fmt_stat(s.value)))
                        .unwrap_or_default(),
                    f.effect_size
                        .as_ref()
                        .map(|s| format!("{} = {}", s.name, fmt_stat(s.value)))
                        .unwrap_or_default(),
                    f.p_value.map(fmt_p).unwrap_or_default(),
                    f.q_value.map(fmt_p).unwrap_or_default(),
                    f.verdict.label().to_string(),
                ]
            })
            .collect(),
    }
}

/// The mapping actually used, one row per role: what was read from which column(s).
fn mapping_rows(m: &crate::mapping::Mapping) -> Vec<Vec<String>> {
    let quoted = |c: &str| format!("\"{c}\"");
    let mut rows = vec![vec![
        "station key".to_string(),
        m.station
            .key
            .iter()
            .map(|k| match k {
                crate::mapping::KeyPart::Column(c) => quoted(c),
                derived => derived.describe(),
            })
            .collect::<Vec<_>>()
            .join(" + "),
    ]];
    if !m.regions.is_empty() {
        rows.push(vec![
            "region levels (top first)".into(),
            m.regions
                .iter()
                .map(|r| {
                    let names = r
                        .names
                        .as_ref()
                        .map(|n| format!(", names from {}", quoted(&n.file)))
                        .unwrap_or_default();
                    match &r.level {
                        Some(level) => format!("{} ({level}{names})", quoted(&r.column)),
                        None if names.is_empty() => quoted(&r.column),
                        None => format!("{} ({})", quoted(&r.column), &names[2..]),
                    }
                })
                .collect::<Vec<_>>()
                .join(" > "),
        ]);
    }
    let c = &m.counts;
    for (what, sum) in [
        ("registered voters", &c.registered),
        ("ballots cast", &c.ballots_cast),
        ("valid votes", &c.valid),
        ("null", &c.null),
        ("blank", &c.blank),
    ] {
        if let Some(sum) = sum {
            let cols: Vec<String> = sum.columns().into_iter().map(quoted).collect();
            rows.push(vec![what.into(), cols.join(" + ")]);
        }
    }
    match &m.long {
        Some(long) => rows.push(vec![
            "candidates (long layout)".into(),
            format!(
                "names in {}, votes in {}",
                quoted(&long.candidate_column),
                quoted(&long.votes_column)
            ),
        ]),
        None => rows.push(vec![
            format!("candidates ({})", m.candidates.len()),
            m.candidates
                .iter()
                .map(|cand| {
                    let source = match &cand.column {
                        Some(sum) => sum
                            .columns()
                            .into_iter()
                            .map(quoted)
                            .collect::<Vec<_>>()
                            .join(" + "),
                        None => "the rest (valid − the listed candidates)".to_string(),
                    };
                    match &cand.name {
                        Some(name)
                            if Some(name.as_str())
                                != cand
                                    .column
                                    .as_ref()
                                    .and_then(|c| c.columns().first().copied())
                                    .filter(|_| {
                                        cand.column.as_ref().is_some_and(|c| c.columns().len() == 1)
                                    }) =>
                        {
                            format!("{source} as {name}")
                        }
                        _ => source,
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
        ]),
    }
    for rule in &m.exclude {
        let (op, values) = if rule.equals.is_empty() {
            ("is none of", &rule.not_equals)
        } else {
            ("is one of", &rule.equals)
        };
        let values: Vec<String> = values.iter().map(|v| quoted(v)).collect();
        rows.push(vec![
            "excluded rows".into(),
            format!(
                "{} {op} {} ({})",
                quoted(&rule.column),
                values.join(", "),
                rule.reason
            ),
        ]);
    }
    if let Some(r) = &m.reconcile {
        let mut keys: Vec<String> = [
            (r.trim, "trim".to_string()),
            (r.strip_leading_zeros, "strip leading zeros".to_string()),
            (
                !r.remove.is_empty(),
                format!("remove {}", quoted(&r.remove)),
            ),
            (r.case_insensitive, "ignore case".to_string()),
        ]
        .into_iter()
        .filter_map(|(on, what)| on.then_some(what))
        .collect();
        if keys.is_empty() {
            keys.push("keys compared as written".into());
        }
        rows.push(vec![
            "reconciled with".into(),
            format!("dataset {} ({})", quoted(&r.with), keys.join(", ")),
        ]);
    }
    rows
}

fn data_section(r: &Report<'_>, b: &mut Vec<Block>) {
    let l = &r.ledger;
    b.push(Block::Heading(2, "Data".into()));
    b.push(Block::Table {
        header: ["file", "format", "encoding", "rows read", "SHA-256"]
            .map(String::from)
            .to_vec(),
        rows: l
            .inputs
            .iter()
            .map(|i| {
                vec![
                    i.path.clone(),
                    i.format.clone(),
                    i.encoding.clone(),
                    fmt_int(i.rows_read),
                    i.sha256.clone(),
                ]
            })
            .collect(),
    });
    b.push(Block::Paragraph(match r.mapping.source {
        "inferred" => "Mapping: inferred from the column names (no mapping file). It is saved as mapping.toml next to this report: check it, save it beside the data as <dataset>.mapping.toml, edit and rerun.".to_string(),
        _ => format!("Mapping: {} (copied as mapping.toml next to this report).", r.mapping.path.as_deref().unwrap_or("")),
    }));
    b.push(Block::Table {
        header: vec!["mapping used".into(), "columns".into()],
        rows: mapping_rows(&r.mapping.mapping),
    });
    if !r.notes.is_empty() {
        b.push(Block::List(r.notes.clone()));
    }
    b.push(Block::Table {
        header: vec!["field".into(), "how it is obtained".into()],
        rows: r
            .derivations
            .iter()
            .map(|d| vec![d.field.to_string(), d.how.clone()])
            .collect(),
    });
    b.push(Block::Heading(3, "Every row accounted for".into()));
    b.push(Block::Paragraph(format!(
        "rows read {} = rows analysed {} + rows excluded {}.",
        fmt_int(l.rows_read),
        fmt_int(l.rows_analysed),
        fmt_int(l.rows_excluded())
    )));
    let exclusions = l.exclusion_counts();
    if !exclusions.is_empty() {
        b.push(Block::Table {
            header: vec!["excluded because".into(), "rows".into(), "meaning".into()],
            rows: exclusions
                .iter()
                .map(|e| {
                    let what = match &e.rule {
                        Some(rule) => format!("{}: {rule}", e.reason),
                        None => e.reason.to_string(),
                    };
                    vec![what, fmt_int(e.rows), e.explanation.to_string()]
                })
                .collect(),
        });
        b.push(Block::Paragraph("Each excluded row is listed with its file, row, column and cell text in excluded_rows.csv.".into()));
    }
    let flags = l.flag_counts();
    if flags.is_empty() {
        b.push(Block::Paragraph(
            "No analysed station failed a consistency check.".into(),
        ));
    } else {
        b.push(Block::Table {
            header: vec![
                "kept but flagged".into(),
                "stations".into(),
                "meaning".into(),
            ],
            rows: flags
                .iter()
                .map(|f| {
                    vec![
                        f.check.to_string(),
                        fmt_int(f.stations),
                        f.explanation.to_string(),
                    ]
                })
                .collect(),
        });
        b.push(Block::Paragraph("Flagged stations stay in the analysis (inconsistencies are forensic signals, not noise) and are listed in flagged_stations.csv.".into()));
    }
    let t = &r.totals;
    let opt = |v: Option<u64>| v.map(fmt_int).unwrap_or_else(|| "not available".into());
    let mut rows = vec![
        vec!["stations".into(), fmt_int(t.stations), String::new()],
        vec!["registered voters".into(), opt(t.registered), String::new()],
        vec![
            "ballots cast".into(),
            fmt_int(t.ballots_cast),
            t.registered
                .map(|reg| pct(t.ballots_cast, reg))
                .unwrap_or_default(),
        ],
        vec!["valid votes".into(), fmt_int(t.valid), String::new()],
        vec!["null".into(), opt(t.null), String::new()],
        vec!["blank".into(), opt(t.blank), String::new()],
    ];
    for c in &r.tally.candidates {
        let v = t.candidates.get(&c.name).copied().unwrap_or(0);
        rows.push(vec![
            c.name.clone(),
            fmt_int(v),
            pct(v, t.share_denominator),
        ]);
    }
    b.push(Block::Heading(3, "Totals".into()));
    b.push(Block::Table {
        header: vec![
            "".into(),
            "total".into(),
            format!("share (turnout; {})", r.tally.share_of.phrase()),
        ],
        rows,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_cannot_be_misread_in_any_locale() {
        assert_eq!(fmt_stat(5.0), "5");
        assert_eq!(fmt_stat(25.0), "25");
        assert_eq!(fmt_stat(1_868_015.87), "1.87 × 10⁶");
        assert_eq!(fmt_stat(35.5), "35.5");
        assert_eq!(fmt_stat(4.384), "4.384");
        assert_eq!(fmt_stat(0.0147), "0.0147");
        assert_eq!(fmt_stat(-2.3), "-2.3");
        assert_eq!(fmt_stat(f64::NAN), "n/a");
    }

    #[test]
    fn regional_not_applicable_reasons_are_grouped_by_kind() {
        let na = |region: &str, reason: &str| {
            Finding::not_applicable(
                "last_two_digits",
                "Ana",
                Some(vec![region.to_string()]),
                10,
                reason.to_string(),
            )
        };
        let findings = [
            na(
                "North",
                "only 429 of 765 station counts reach 100; the test needs at least 500",
            ),
            na(
                "South",
                "only 1,290 of 1,613 station counts reach 100; the test needs at least 500",
            ),
            na("East", "the median count is 8 (under 20)"),
        ];
        let refs: Vec<&Finding> = findings.iter().collect();
        assert_eq!(
            regional_na_lines(&refs),
            vec!["Ana: 3 regions not applicable — 2 regions such as North: only 429 of 765 station counts reach 100; the test needs at least 500; East: the median count is 8 (under 20)"]
        );
        assert_eq!(reason_kind("only 1,290 of 7 (5.5%)."), "only # of # (#%).");
    }

    #[test]
    fn the_mapping_used_is_listed_role_by_role() {
        let m: crate::mapping::Mapping = toml::from_str(
            r#"
            [station]
            key = ["CENTRO", "MESA"]
            [[regions]]
            column = "EDO"
            level = "state"
            [[regions]]
            column = "MUN"
            [counts]
            registered = "RE"
            ballots_cast = ["early", "day"]
            [[candidates]]
            column = "EG"
            name = "Edmundo González"
            [[candidates]]
            column = "NM"
            [[exclude]]
            column = "EDO"
            equals = ["EMBAJADAS"]
            reason = "tables abroad"
            "#,
        )
        .unwrap();
        let rows = mapping_rows(&m);
        let want = [
            ["station key", "\"CENTRO\" + \"MESA\""],
            ["region levels (top first)", "\"EDO\" (state) > \"MUN\""],
            ["registered voters", "\"RE\""],
            ["ballots cast", "\"early\" + \"day\""],
            ["candidates (2)", "\"EG\" as Edmundo González, \"NM\""],
            [
                "excluded rows",
                "\"EDO\" is one of \"EMBAJADAS\" (tables abroad)",
            ],
        ];
        assert_eq!(rows, want.map(|r| r.map(String::from).to_vec()).to_vec());
    }
}
