//! Unit tests of `source_reconciliation` on hand-built pairs with known differences (the
//! end-to-end tests on generated pairs are in tests/cli.rs and tests/sample_data.rs).

use super::*;
use crate::finding::{TestOutput, Verdict};
use crate::forensics::{run_battery, ForensicTest};
use crate::tally::ledger::RowRef;
use crate::tally::{Candidate, Derivation, RegionLevel};

/// A source of `n` tables in three regions ("North", "Centre", "South" in turn) with two
/// candidates and mapped totals; keys `T0001`… (or `T1`… with `zeros` false).
fn source(name: &str, n: usize, zeros: bool) -> Tally {
    let mut t = Tally {
        name: name.into(),
        ..Default::default()
    };
    let (mut ana, mut bea) = (vec![], vec![]);
    for i in 0..n {
        t.station_keys.push(if zeros {
            format!("T{:04}", i + 1)
        } else {
            format!("T{}", i + 1)
        });
        t.sources.push(RowRef {
            file: 0,
            row: i as u64 + 2,
        });
        let (a, b) = (100 + (i as u64 * 37) % 200, 80 + (i as u64 * 53) % 150);
        ana.push(a);
        bea.push(b);
        t.valid.push(a + b);
        t.ballots_cast.push(a + b);
    }
    t.registered = Some(t.valid.iter().map(|v| v + 300).collect());
    let cand = |name: &str, votes| Candidate {
        name: name.into(),
        source: name.to_lowercase(),
        votes,
    };
    t.candidates = vec![cand("Ana", ana), cand("Bea", bea)];
    t.regions = vec![RegionLevel {
        source_codes: None,
        name: "region".into(),
        codes: (0..n).map(|i| (i % 3) as u32).collect(),
        paths: vec![
            vec!["North".into()],
            vec!["Centre".into()],
            vec!["South".into()],
        ],
    }];
    for field in ["registered", "ballots_cast", "valid"] {
        t.derivations.push(Derivation {
            field,
            how: format!("column {field}"),
        });
    }
    t
}

fn zeros() -> ReconcileSection {
    ReconcileSection {
        with: "a".into(),
        strip_leading_zeros: true,
        ..Default::default()
    }
}

fn params() -> Params {
    Params {
        replicates: 999,
        ..Default::default()
    }
}

fn battery_of(a: &Tally, b: &Tally, options: &ReconcileSection) -> TestOutput {
    let partner = Partner {
        name: a.name.clone(),
        tally: a,
        files: vec!["a.csv".into()],
        own_files: vec!["b.csv".into()],
        options,
    };
    let tests: [&ForensicTest; 1] = [&TEST];
    run_battery(&tests, b, &params(), None, Some(&partner)).unwrap()
}

#[test]
fn a_clean_pair_with_only_key_formatting_differences_is_clean() {
    let (a, b) = (source("a", 300, true), source("b", 300, false));
    let out = battery_of(&a, &b, &zeros());
    let summary = &out.findings[0];
    assert_eq!(summary.subject, "tables");
    assert_eq!(summary.details["summary"]["matched"], 300);
    assert_eq!(summary.details["summary"]["differing"], 0);
    assert_eq!(summary.details["summary"]["only_in_a"], 0);
    assert!(out.findings.iter().all(|f| f.verdict != Verdict::Deviates));
    assert!(out.findings[1..]
        .iter()
        .all(|f| f.verdict == Verdict::NotApplicable));
    // Header only: nothing differs, nothing is missing.
    assert_eq!(out.tables[0].rows.len(), 0);
    assert_eq!(out.tables[0].file_name, "reconciliation_differences.csv");
    // Without the normalisation nothing matches: every table is only in one source.
    let none = compute(("a", "b"), &a, &b, &ReconcileSection::default(), &params()).unwrap();
    assert_eq!((none.summary.matched, none.summary.only_in_a), (0, 300));
}

/// B = A with 6 symmetric errors spread over regions (three up, three down, on Bea and the
/// totals) and 12 tables in the South where 20 votes moved from Bea to Ana; A's table 1 missing
/// from B and a table only in B.
fn planted() -> (Tally, Tally, Vec<(usize, &'static str, i64)>) {
    let a = source("a", 300, true);
    let mut b = source("b", 300, false);
    let mut truth = vec![];
    let errors: [(usize, usize, i64); 6] = [
        (10, 1, 3),
        (20, 1, -4),
        (31, 1, 2),
        (41, 1, -2),
        (52, 1, 5),
        (60, 1, -1),
    ];
    for (i, c, d) in errors {
        let v = &mut b.candidates[c].votes[i];
        *v = (*v as i64 + d) as u64;
        truth.push((i, "Bea", d));
    }
    b.valid[100] += 7;
    truth.push((100, "valid", 7));
    for k in 0..12 {
        let i = 3 * k + 2 + 90; // South tables (i % 3 == 2)
        b.candidates[0].votes[i] += 20;
        b.candidates[1].votes[i] -= 20;
        truth.push((i, "Ana", 20));
        truth.push((i, "Bea", -20));
    }
    // Table 1 (T0002) only in A; a new table T999 only in B.
    b.station_keys[1] = "T999".into();
    truth.sort();
    (a, b, truth)
}

#[test]
fn planted_differences_are_found_exactly() {
    let (a, b, truth) = planted();
    let r = compute(("a", "b"), &a, &b, &zeros(), &params()).unwrap();
    assert_eq!(r.matching.only_a, vec![1]);
    assert_eq!(r.matching.only_b, vec![1]);
    let mut found: Vec<(usize, &str, i64)> = r
        .differences
        .iter()
        .map(|d| {
            let (i, _) = r.matching.pairs[d.pair];
            let name = r.columns[d.column].0.as_str();
            (i, name, d.b as i64 - d.a as i64)
        })
        .collect();
    found.sort();
    let truth: Vec<(usize, &str, i64)> = truth.iter().map(|&(i, c, d)| (i, c, d)).collect();
    assert_eq!(found, truth);
    assert_eq!(r.summary.differing, 6 + 1 + 12);
    assert_eq!(r.summary.matched, 299);
    assert_eq!(
        r.summary.columns_compared,
        vec!["Ana", "Bea", "registered", "ballots_cast", "valid"]
    );
    let ana = &r.favour[0];
    assert!(ana.leader);
    assert_eq!(
        (ana.change.tables_up, ana.change.tables_down, ana.change.net),
        (12, 0, 240)
    );
    // Exact sign test: 2 / 2^12.
    assert!((ana.p_sign_test - 2.0 / 4096.0).abs() < 1e-15);
    assert!(ana.net_interval.1 < 240.0 && ana.p_net < 0.01, "{ana:?}");
    let bea = &r.favour[1];
    assert_eq!((bea.change.tables_up, bea.change.tables_down), (3, 15));
    assert_eq!(bea.change.net, 3 - 4 + 2 - 2 + 5 - 1 - 240);
    let c = r.concentration.as_ref().unwrap();
    let south = c.regions.iter().find(|x| x.region == "South").unwrap();
    assert!(south.rate > south.band.1, "{c:?}");
    assert!(c.p_permutation < 0.01, "{c:?}");
    // The CSV lists every differing cell, then the tables only in one source.
    let out = battery_of(&a, &b, &zeros());
    let rows = &out.tables[0].rows;
    assert_eq!(rows.len(), truth.len() + 2);
    assert_eq!(rows[rows.len() - 2][..3], ["only_in_a", "T0002", ""]);
    assert_eq!(rows[rows.len() - 1][..3], ["only_in_b", "", "T999"]);
    assert!(rows.contains(&vec![
        "differs".to_string(),
        "T0011".into(),
        "T11".into(),
        "Centre".into(),
        "Bea".into(),
        a.candidates[1].votes[10].to_string(),
        (a.candidates[1].votes[10] + 3).to_string(),
        "3".into()
    ]));
    let deviating: Vec<&str> = out
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::Deviates)
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(deviating, vec!["differences by region", "Ana", "Bea"]);
}

#[test]
fn symmetric_errors_spread_over_regions_do_not_deviate() {
    let a = source("a", 600, true);
    let mut b = source("b", 600, false);
    // 24 errors on every 25th table (all regions), alternating signs, on both candidates.
    for (k, i) in (0..600).step_by(25).enumerate() {
        let c = k % 2;
        let d: i64 = if (k / 2) % 2 == 0 { 3 } else { -3 };
        let v = &mut b.candidates[c].votes[i];
        *v = (*v as i64 + d) as u64;
    }
    let out = battery_of(&a, &b, &zeros());
    assert_eq!(out.findings[0].details["summary"]["differing"], 24);
    for f in &out.findings[1..] {
        assert_eq!(f.verdict, Verdict::Consistent, "{}", f.headline);
    }
}

#[test]
fn results_are_deterministic_for_a_seed() {
    let (a, b, _) = planted();
    let x = compute(("a", "b"), &a, &b, &zeros(), &params()).unwrap();
    let y = compute(("a", "b"), &a, &b, &zeros(), &params()).unwrap();
    assert_eq!(x.favour, y.favour);
    assert_eq!(x.concentration, y.concentration);
}

#[test]
fn a_candidate_only_in_one_source_is_reported_not_compared() {
    let a = source("a", 30, true);
    let mut b = source("b", 30, false);
    b.candidates[1].name = "Beatriz".into();
    let r = compute(("a", "b"), &a, &b, &zeros(), &params()).unwrap();
    assert_eq!(r.summary.candidates_only_in_a, vec!["Bea"]);
    assert_eq!(r.summary.candidates_only_in_b, vec!["Beatriz"]);
    assert_eq!(
        r.summary.columns_compared,
        vec!["Ana", "registered", "ballots_cast", "valid"]
    );
}

#[test]
fn keys_colliding_after_normalisation_are_an_error_naming_both_rows() {
    let a = source("a", 30, true);
    let mut b = source("b", 30, false);
    b.station_keys[5] = "T01".into(); // "T1" is table 0
    let partner = Partner {
        name: "a".into(),
        tally: &a,
        files: vec!["a.csv".into()],
        own_files: vec!["b.csv".into()],
        options: &zeros(),
    };
    let tests: [&ForensicTest; 1] = [&TEST];
    let err = run_battery(&tests, &b, &params(), None, Some(&partner)).unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.contains("\"T1\" (b.csv, row 2) and \"T01\" (b.csv, row 7) both become \"T1\""),
        "{err}"
    );
}

#[test]
fn without_a_pair_the_test_says_how_to_declare_one() {
    let t = source("a", 10, true);
    let tests: [&ForensicTest; 1] = [&TEST];
    let out = run_battery(&tests, &t, &params(), None, None).unwrap();
    assert_eq!(out.findings.len(), 1);
    assert_eq!(out.findings[0].verdict, Verdict::NotApplicable);
    assert!(out.findings[0].headline.contains("[reconcile]"));
}
