//! The report as a format-neutral document (headings, paragraphs, lists, tables, figures), built
//! once from a `Report` and rendered by `markdown.rs` and `html.rs`, so both say the same thing.
//! All text here is plain; each renderer escapes it for its format.

use super::{fmt_int, fmt_p, Report, TOOL};
use crate::finding::{Finding, Verdict};

pub enum Block {
    Heading(u8, String),
    Paragraph(String),
    List(Vec<String>),
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

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Consistent => "consistent",
        Verdict::Deviates => "deviates",
        Verdict::NotApplicable => "not applicable",
        Verdict::Descriptive => "descriptive",
    }
}

pub fn build(r: &Report<'_>) -> Document {
    let mut b = Vec::new();
    let l = &r.ledger;
    let mt = super::json::multiple_testing(r);
    b.push(Block::Paragraph(format!(
        "{} {} · results schema {} · seed {} · {} replicates · FDR level {}",
        TOOL.name,
        TOOL.version,
        super::json::SCHEMA_VERSION,
        r.options.params.seed,
        r.options.params.replicates,
        r.options.params.alpha
    )));

    b.push(Block::Heading(2, "Summary".into()));
    let mut summary = vec![format!(
        "{} stations analysed from {} rows read; {} rows excluded, {} stations kept but flagged for inconsistencies (see Data).",
        fmt_int(l.rows_analysed.min(r.totals.stations)),
        fmt_int(l.rows_read),
        fmt_int(l.rows_excluded()),
        fmt_int(l.flagged_stations())
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
        "Leading candidates (share of valid votes): {}.",
        by_votes
            .iter()
            .take(3)
            .map(|(n, v)| format!("{n} {}", pct(**v, r.totals.valid)))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    summary.push(format!(
        "{} findings were tested; {} deviate from their null expectation after Benjamini–Hochberg control of the false-discovery rate at {}; {} findings were not applicable to these data (reasons below each test).",
        mt.findings_tested, mt.findings_deviating, mt.alpha, mt.findings_not_applicable
    ));
    summary.push(format!(
        "If every null hypothesis were true, the chance of any 'deviates' verdict in this report would be at most {:.0} %; the expected share of false discoveries among the deviations listed is at most {:.0} %.",
        100.0 * mt.alpha,
        100.0 * mt.alpha
    ));
    b.push(Block::List(summary));
    b.push(Block::Paragraph("How to read this report: a deviation says that a number pattern is unlikely under honest counting as modelled here, by how much, and how often chance alone would produce it. It is not proof of fraud: strategic voting, regional heterogeneity, data entry and rounding conventions also move these statistics. Read the methods paragraph of each test.".into()));
    let deviating: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::Deviates)
        .collect();
    if !deviating.is_empty() {
        b.push(Block::Heading(3, "What deviates".into()));
        b.push(findings_table(&deviating));
    }

    data_section(r, &mut b);

    b.push(Block::Heading(2, "Findings".into()));
    for test in r.tests {
        let mine: Vec<&Finding> = r.findings.iter().filter(|f| f.test_id == test.id).collect();
        b.push(Block::Heading(3, format!("{} ({})", test.title, test.id)));
        b.push(Block::Paragraph(test.method.into()));
        b.push(Block::Paragraph(format!("References: {}", test.references)));
        test_section(r, &mine, &mut b);
    }

    b.push(Block::Heading(2, "Reproduce".into()));
    b.push(Block::Paragraph("Same input files (check the SHA-256 above), options and seed give byte-identical results.json and report.md:".into()));
    let mut cmd = format!(
        "analyze --input {} --seed {} --replicates {} --alpha {}",
        r.options.input, r.options.params.seed, r.options.params.replicates, r.options.params.alpha
    );
    if r.options.params.max_station_draws != crate::forensics::Params::default().max_station_draws {
        cmd.push_str(&format!(
            " --max-station-draws {}",
            r.options.params.max_station_draws
        ));
    }
    if r.options.params.region_depth != 1 {
        cmd.push_str(&format!(
            " --region-depth {}",
            r.options.params.region_depth
        ));
    }
    if r.options.tests.len() != crate::forensics::ALL.len() {
        cmd.push_str(&format!(" --tests {}", r.options.tests.join(",")));
    }
    if let Some(m) = &r.options.mapping {
        cmd.push_str(&format!(" --mapping {m}"));
    }
    if let Some(a) = &r.options.announced {
        cmd.push_str(&format!(" --announced {a}"));
    }
    b.push(Block::Code(cmd));
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
        let mut by_subject: Vec<(&str, usize)> = Vec::new();
        for f in na.iter().filter(|f| f.region.is_some()) {
            match by_subject.iter_mut().find(|(s, _)| *s == f.subject) {
                Some((_, n)) => *n += 1,
                None => by_subject.push((&f.subject, 1)),
            }
        }
        lines.extend(by_subject.iter().map(|(s, n)| {
            format!("{s}: {n} region(s) not applicable (each reason is in results.json)")
        }));
        b.push(Block::List(lines));
    }
}

fn figure_caption(spec: &crate::figure::FigureSpec) -> String {
    spec.caption().to_string()
}

/// A statistic for people: 2 decimals from 10 up, 4 significant digits below.
fn fmt_stat(v: f64) -> String {
    if !v.is_finite() {
        "n/a".into()
    } else if v.abs() >= 10.0 {
        format!("{v:.2}")
    } else if v == 0.0 {
        "0".into()
    } else {
        let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
        format!("{v:.decimals$}")
    }
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
            "q (BH)",
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
                    verdict_text(f.verdict).to_string(),
                ]
            })
            .collect(),
    }
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
        rows.push(vec![c.name.clone(), fmt_int(v), pct(v, t.valid)]);
    }
    b.push(Block::Heading(3, "Totals".into()));
    b.push(Block::Table {
        header: vec![
            "".into(),
            "total".into(),
            "share (turnout; of valid votes)".into(),
        ],
        rows,
    });
}
