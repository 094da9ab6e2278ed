//! The findings, charts and differences table of `source_reconciliation`.

use serde_json::json;
use statrs::distribution::{Binomial, DiscreteCDF};

use super::{compute, Concentration, Favour, Partner, Reconciliation, TEST};
use crate::figure::{file_stem, BarPanel, Figure, FigureSpec};
use crate::finding::{details, DataTable, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::battery::Battery;
use crate::tally::Tally;
use crate::text::fmt_int;

/// File name of the differences table in the dataset's output folder.
pub const DIFFERENCES_CSV: &str = "reconciliation_differences.csv";

pub(super) fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    let mut out = TestOutput::default();
    let Some(p) = b.partner else {
        out.findings.push(Finding::not_applicable(
            TEST.id,
            "tables",
            None,
            0,
            "this dataset's mapping declares no pair ([reconcile] with = \"<other dataset>\"); a pair is reported in the dataset that declares it".into(),
        ));
        return Ok(out);
    };
    let names = (p.name.as_str(), b.tally.name.as_str());
    let rec = compute(names, p.tally, b.tally, p.options, b.params)
        .map_err(|(in_a, c)| collision_error(p, b.tally, in_a, &c))?;
    let region_stem = file_stem(&[TEST.id, "differences by region"]);
    let favour_stem = file_stem(&[TEST.id, "candidate favour"]);
    out.tables.push(differences_table(&rec, p.tally, b.tally));
    out.findings.push(summary_finding(&rec));
    match &rec.concentration {
        Ok(c) => {
            out.figures.push(region_figure(&rec, c, &region_stem));
            out.findings.push(region_finding(&rec, c, &region_stem));
        }
        Err(reason) => out.findings.push(Finding::not_applicable(
            TEST.id,
            "differences by region",
            None,
            rec.summary.matched,
            reason.clone(),
        )),
    }
    if rec
        .favour
        .iter()
        .any(|f| f.change.tables_up + f.change.tables_down > 0)
    {
        out.figures.push(favour_figure(&rec, &favour_stem));
    }
    for f in &rec.favour {
        out.findings.push(favour_finding(&rec, f, &favour_stem));
    }
    Ok(out)
}

fn collision_error(p: &Partner<'_>, b: &Tally, in_a: bool, c: &super::Collision) -> anyhow::Error {
    let (name, t, files) = if in_a {
        (p.name.as_str(), p.tally, &p.files)
    } else {
        (b.name.as_str(), b, &p.own_files)
    };
    let at = |i: usize| {
        let s = t.sources[i];
        format!(
            "{:?} ({}, row {})",
            t.station_keys[i],
            files.get(s.file as usize).map_or("?", String::as_str),
            s.row
        )
    };
    anyhow::anyhow!(
        "dataset {name}: station keys {} and {} both become {:?} under the [reconcile] key normalisation of {}'s mapping, so the tables cannot be matched; correct one of the keys, or drop the normalisation option that merges them",
        at(c.first),
        at(c.second),
        c.normalised,
        b.name
    )
}

fn signed(n: i64) -> String {
    format!(
        "{}{}",
        if n < 0 { "−" } else { "+" },
        fmt_int(n.unsigned_abs())
    )
}

/// A signed share with a typographic minus: "−0.310 %".
fn signed_pct(x: f64) -> String {
    let text = format!("{:+.3} %", 100.0 * x);
    text.replacen('-', "−", 1)
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

fn summary_finding(rec: &Reconciliation) -> Finding {
    let s = &rec.summary;
    let mut moved: Vec<String> = rec
        .favour
        .iter()
        .filter(|f| f.change.net != 0)
        .map(|f| {
            format!(
                "{} {} ({} tables up, {} down)",
                f.candidate,
                signed(f.change.net),
                f.change.tables_up,
                f.change.tables_down
            )
        })
        .collect();
    if moved.is_empty() {
        moved.push("no candidate's total changed".into());
    }
    let headline = format!(
        "{} of {} tables in {} and {} in {} matched ({} only in {}, {} only in {}); {} agree exactly on the {} columns compared and {} differ ({} cells, listed in {DIFFERENCES_CSV}). Net change {} − {}: {}.",
        fmt_int(s.matched),
        fmt_int(s.tables_a),
        s.dataset_a,
        fmt_int(s.tables_b),
        s.dataset_b,
        fmt_int(s.only_in_a),
        s.dataset_a,
        fmt_int(s.only_in_b),
        s.dataset_b,
        fmt_int(s.agreeing),
        s.columns_compared.len(),
        fmt_int(s.differing),
        fmt_int(s.differing_cells),
        s.dataset_b,
        s.dataset_a,
        moved.join("; ")
    );
    Finding {
        test_id: TEST.id,
        subject: "tables".into(),
        region: None,
        n: s.matched,
        statistic: Some(Statistic::new(
            "differing_share",
            if s.matched > 0 {
                s.differing as f64 / s.matched as f64
            } else {
                f64::NAN
            },
        )),
        p_value: None,
        q_value: None,
        p_value_source: None,
        effect_size: None,
        verdict: Verdict::Descriptive,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("summary", json!(s)),
            ("net_change", json!(rec.changes)),
            ("differences_csv", json!(DIFFERENCES_CSV)),
        ]),
    }
}

fn region_finding(rec: &Reconciliation, c: &Concentration, stem: &str) -> Finding {
    let top = c
        .regions
        .iter()
        .max_by(|x, y| x.rate.total_cmp(&y.rate))
        .expect("at least two regions");
    Finding {
        test_id: TEST.id,
        subject: "differences by region".into(),
        region: None,
        n: rec.summary.matched,
        statistic: Some(Statistic::new("chi_square", c.chi_square)),
        p_value: Some(c.p_permutation),
        q_value: None,
        p_value_source: Some(format!(
            "chi_square_homogeneity_permutation ({} replicates)",
            c.replicates
        )),
        effect_size: Some(Statistic::new("cramers_v", c.cramers_v)),
        verdict: Verdict::Consistent,
        reason: None,
        headline: format!(
            "{} of {} matched tables differ ({}); the share is highest in {} ({} of {}, {}, 95 % range under a uniform spread {}–{}). χ² = {:.1} on {} df, permutation p = {} (the share of random placements of the differing tables that spread them this unevenly or more), Cramér's V = {:.3}.",
            fmt_int(rec.summary.differing),
            fmt_int(rec.summary.matched),
            pct(c.overall_rate),
            top.region,
            top.differing,
            top.matched,
            pct(top.rate),
            pct(top.band.0),
            pct(top.band.1),
            c.chi_square,
            c.df,
            crate::text::fmt_p(c.p_permutation),
            c.cramers_v
        ),
        figure: Some(format!("figures/{stem}.png")),
        details: details([("concentration", json!(c))]),
    }
}

fn favour_finding(rec: &Reconciliation, f: &Favour, stem: &str) -> Finding {
    let ch = &f.change;
    let n = ch.tables_up + ch.tables_down;
    let who = if f.leader { " (the leader)" } else { "" };
    if n == 0 {
        return Finding::not_applicable(
            TEST.id,
            &f.candidate,
            None,
            0,
            format!(
                "the count of {}{who} is the same in {} and {} in every matched table",
                f.candidate, rec.summary.dataset_a, rec.summary.dataset_b
            ),
        );
    }
    Finding {
        test_id: TEST.id,
        subject: f.candidate.clone(),
        region: None,
        n,
        statistic: Some(Statistic::new("tables_gained", ch.tables_up as f64)),
        p_value: Some(f.p_sign_test),
        q_value: None,
        p_value_source: Some("exact_sign_test".into()),
        effect_size: Some(Statistic::new("gain_share", f.gain_share)),
        verdict: Verdict::Consistent,
        reason: None,
        headline: format!(
            "{}{who} gained in {} and lost in {} of the {} matched tables where the count changed ({} gains; ½ expected when errors go either way), sign test p = {}. Net change {} − {}: {} votes ({} of its votes in {}; 95 % range under random signs {} to {}).",
            f.candidate,
            ch.tables_up,
            ch.tables_down,
            n,
            pct(f.gain_share),
            crate::text::fmt_p(f.p_sign_test),
            rec.summary.dataset_b,
            rec.summary.dataset_a,
            signed(ch.net),
            signed_pct(ch.net_relative),
            rec.summary.dataset_a,
            signed(f.net_interval.0 as i64),
            signed(f.net_interval.1 as i64),
        ),
        figure: Some(format!("figures/{stem}.png")),
        details: details([("favour", json!(f))]),
    }
}

fn region_figure(rec: &Reconciliation, c: &Concentration, stem: &str) -> Figure {
    Figure {
        file_stem: stem.to_string(),
        spec: FigureSpec::Bars(BarPanel {
            title: format!(
                "Matched tables that differ between {} and {}, by region",
                rec.summary.dataset_a, rec.summary.dataset_b
            ),
            caption: format!(
                "Bars: share of the matched tables of each top-level region with at least one differing column ({} of {} overall). Dots: the overall share. Grey: 95 % range of a region's share when the differing tables fall at random ({} permutations).",
                fmt_int(rec.summary.differing),
                fmt_int(rec.summary.matched),
                fmt_int(u64::from(c.replicates))
            ),
            x_label: "region".into(),
            y_label: "share of matched tables differing".into(),
            categories: c.regions.iter().map(|r| format!("{} (n={})", r.region, r.matched)).collect(),
            observed: c.regions.iter().map(|r| r.rate).collect(),
            expected: vec![c.overall_rate; c.regions.len()],
            band_low: c.regions.iter().map(|r| r.band.0).collect(),
            band_high: c.regions.iter().map(|r| r.band.1).collect(),
            highlight: false,
            finding: None,
            expected_label: "overall share".into(),
            band_label: "95 % range, uniform spread".into(),
        }),
    }
}

/// 2.5 % and 97.5 % quantiles of Binomial(n, ½) / n.
fn half_band(n: u64) -> (f64, f64) {
    let Ok(b) = Binomial::new(0.5, n) else {
        return (f64::NAN, f64::NAN);
    };
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let lo = (0..=n).find(|&k| b.cdf(k) >= 0.025).unwrap_or(0);
    let hi = (0..=n).find(|&k| b.cdf(k) >= 0.975).unwrap_or(n);
    (lo as f64 / n as f64, hi as f64 / n as f64)
}

fn favour_figure(rec: &Reconciliation, stem: &str) -> Figure {
    let bands: Vec<(f64, f64)> = rec
        .favour
        .iter()
        .map(|f| half_band(f.change.tables_up + f.change.tables_down))
        .collect();
    Figure {
        file_stem: stem.to_string(),
        spec: FigureSpec::Bars(BarPanel {
            title: format!(
                "Tables where each candidate gained, {} against {}",
                rec.summary.dataset_b, rec.summary.dataset_a
            ),
            caption: "Bars: of the matched tables where a candidate's count changed, the share where it went up (the net change in votes beside the name). Dots: ½, as when errors go either way. Grey: 95 % range of the share under that symmetry (binomial).".into(),
            x_label: "candidate (net change, changed tables)".into(),
            y_label: "share of changed tables with a gain".into(),
            categories: rec
                .favour
                .iter()
                .map(|f| {
                    format!(
                        "{} ({}, n={})",
                        f.candidate,
                        signed(f.change.net),
                        f.change.tables_up + f.change.tables_down
                    )
                })
                .collect(),
            observed: rec.favour.iter().map(|f| f.gain_share).collect(),
            expected: vec![0.5; rec.favour.len()],
            band_low: bands.iter().map(|b| b.0).collect(),
            band_high: bands.iter().map(|b| b.1).collect(),
            highlight: false,
            finding: None,
            expected_label: "½ (symmetric errors)".into(),
            band_label: "95 % range, symmetric errors".into(),
        }),
    }
}

/// Every differing cell (kind "differs"), then the tables only in A and only in B.
fn differences_table(rec: &Reconciliation, a: &Tally, b: &Tally) -> DataTable {
    let header = [
        "kind",
        "station_key_a",
        "station_key_b",
        "region",
        "column",
        "value_a",
        "value_b",
        "difference",
    ];
    let mut rows = Vec::new();
    for d in &rec.differences {
        let (i, j) = rec.matching.pairs[d.pair];
        rows.push(vec![
            "differs".to_string(),
            a.station_keys[i].clone(),
            b.station_keys[j].clone(),
            rec.pair_regions
                .as_ref()
                .map(|r| r[d.pair].clone())
                .unwrap_or_default(),
            rec.columns[d.column].0.clone(),
            d.a.to_string(),
            d.b.to_string(),
            (d.b as i64 - d.a as i64).to_string(),
        ]);
    }
    let only = |kind: &str, t: &Tally, i: usize, in_a: bool| {
        let key = t.station_keys[i].clone();
        let (ka, kb) = if in_a {
            (key, String::new())
        } else {
            (String::new(), key)
        };
        vec![
            kind.to_string(),
            ka,
            kb,
            super::top_region(t, i).unwrap_or_default(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]
    };
    rows.extend(
        rec.matching
            .only_a
            .iter()
            .map(|&i| only("only_in_a", a, i, true)),
    );
    rows.extend(
        rec.matching
            .only_b
            .iter()
            .map(|&j| only("only_in_b", b, j, false)),
    );
    DataTable {
        file_name: DIFFERENCES_CSV.to_string(),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
    }
}
