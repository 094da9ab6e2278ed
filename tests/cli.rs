//! End-to-end tests of the `analyze` binary: outputs, the row ledger, input formats, mapping
//! inference and error messages.
//!
//! Small hand-checkable inputs live in `tests/fixtures/<case>/`; inputs whose bytes matter
//! (encodings, BOM, CRLF, gzip, Parquet) or that need many stations are generated in a temporary
//! folder by the test itself. Every run writes into a temporary folder and runs with a temporary
//! working directory, so nothing is written into the repository.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};

use election_forensics::mapping::Mapping;
use serde_json::{json, Value};
use tempfile::TempDir;

mod common;
use common::*;

// ---------------------------------------------------------------------------------------------
// Success end to end
// ---------------------------------------------------------------------------------------------

#[test]
fn analyses_a_tiny_wide_csv_with_its_mapping_end_to_end() {
    let input = fixture("tiny", "tiny.csv");
    let run = run_ok(&input, &[]);
    assert_eq!(run.dataset, "tiny");
    let dir = run.dir();
    for f in [
        "results.json",
        "report.md",
        "report.html",
        "mapping.toml",
        "excluded_rows.csv",
        "flagged_stations.csv",
        "stations.parquet",
    ] {
        assert!(dir.join(f).is_file(), "missing output {f}");
    }
    assert!(dir.join("figures").is_dir(), "missing figures/");
    assert!(
        run.out.path().join("index.md").is_file(),
        "missing index.md"
    );
    let index = std::fs::read_to_string(run.out.path().join("index.md")).unwrap();
    assert!(index.contains("tiny/report.md"), "{index}");

    let r = &run.results;
    assert_eq!(r["schema_version"], "3.3.0");
    let record = &r["run_record"];
    assert_eq!(record["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(record["seed"], r["seed"]);
    let command = record["command"].as_str().unwrap();
    assert!(
        command.starts_with(&format!("analyze --input {}", input.display()))
            && command.contains(&format!("--seed {}", r["seed"]))
            && !command.contains("--output"),
        "{command}"
    );
    assert!(record["mapping_toml"]
        .as_str()
        .unwrap()
        .contains("[dataset]"));
    // Built from this git checkout (CI and development); a tarball build would give null.
    if std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.git")).exists() {
        let commit = record["git_commit"].as_str().unwrap();
        assert!(commit.len() >= 40, "{commit}");
    }
    assert_eq!(r["multiple_testing"]["method"], "benjamini_hochberg");
    assert_eq!(r["tool"]["name"], "election-forensics");
    assert_eq!(r["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(r["dataset"], "tiny");
    assert!(r["seed"].is_u64());
    assert_eq!(r["options"]["seed"], r["seed"]);
    // By default every test of the battery runs, in `list-tests` order.
    assert_eq!(r["options"]["tests"], json!(list_test_ids()));
    for key in ["replicates", "alpha", "region_depth", "input"] {
        assert!(r["options"].get(key).is_some(), "options.{key} missing");
    }
    assert_eq!(r["mapping"]["source"], "file");

    let inputs = r["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0]["path"], input.display().to_string());
    let bytes = std::fs::read(&input).unwrap();
    assert_eq!(inputs[0]["sha256"], sha256_hex(&bytes));
    assert_eq!(inputs[0]["rows_read"], 3);
    assert_eq!(inputs[0]["encoding"], "UTF-8");

    let l = run.ledger();
    assert_eq!(l["rows_read"], 3);
    assert_eq!(l["rows_analysed"], 3);
    assert_eq!(l["rows_excluded"], 0);
    assert_eq!(l["exclusions"], json!([]));
    assert_eq!(l["flags"], json!([]));
    assert_eq!(r["totals"], tiny_totals("Ana", "Bea"));

    let all_findings = r["findings"].as_array().unwrap();
    for f in all_findings {
        let id = f["test_id"].as_str().unwrap();
        assert!(
            r["options"]["tests"]
                .as_array()
                .unwrap()
                .contains(&json!(id)),
            "finding of a test that did not run: {f}"
        );
    }
    let findings = last_digit_findings(r);
    for f in &findings {
        for key in [
            "test_id",
            "subject",
            "region",
            "n",
            "statistic",
            "p_value",
            "verdict",
            "reason",
            "figure",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        assert_eq!(f["test_id"], "last_digit");
        // Three stations are far too few for a digit test.
        assert_eq!(f["verdict"], "not_applicable");
        assert!(f["reason"].as_str().unwrap().contains("at least 50"), "{f}");
    }
    let subjects: Vec<&str> = findings
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert!(
        subjects.starts_with(&["Ana", "Bea"]),
        "one last_digit finding per candidate, in ballot order: {subjects:?}"
    );

    let report = run.file("report.md");
    assert!(
        report.contains("rows read 3 = rows analysed 3 + rows excluded 0."),
        "{report}"
    );
    assert!(
        report.contains(&sha256_hex(&bytes)),
        "report shows the SHA-256"
    );
    let html = run.file("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Election forensics report: tiny"));

    // The mapping used is copied and still a valid mapping.
    let copied = Mapping::from_file(&dir.join("mapping.toml")).unwrap();
    assert_eq!(copied.station.key, vec!["station"]);
    assert_eq!(run.station_column("station_key"), vec!["1", "2", "3"]);
    assert_eq!(
        run.station_column("region_region"),
        vec!["North", "North", "South"]
    );
    assert_eq!(run.station_column("votes_Ana"), vec!["50", "60", "40"]);
    assert_eq!(run.excluded_rows(), vec![]);
    assert_eq!(run.flagged_rows(), vec![]);
}

#[test]
fn prints_a_summary_unless_quiet() {
    let input = fixture("tiny", "tiny.csv");
    let out = TempDir::new().unwrap();
    let o = analyze(&[
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
    ]);
    assert!(o.status.success());
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains("tiny: 3 stations analysed, 0 rows excluded; 0 stations flagged by tests, 0 by consistency checks; 0 of 0 tested findings deviate"),
        "{stderr}"
    );
    assert!(stderr.contains("index.md"), "{stderr}");
    let quiet = run_ok(&input, &[]);
    assert_eq!(quiet.stderr, "", "-q prints nothing");
}

#[test]
fn same_seed_gives_byte_identical_results_and_report() {
    let dir = TempDir::new().unwrap();
    let input = three_region_dataset(&dir);
    let a = run_ok(&input, &["--seed", "7"]);
    let b = run_ok(&input, &["--seed", "7"]);
    for f in ["results.json", "report.md"] {
        assert!(
            a.file(f) == b.file(f),
            "{f} differs between two runs with the same seed"
        );
    }
    assert_eq!(a.results["seed"], 7);
    assert_eq!(a.results["options"]["seed"], 7);

    // This input is large enough for real findings: national and per region, with figures.
    let national: Vec<&Value> = last_digit_findings(&a.results)
        .into_iter()
        .filter(|f| f["region"].is_null() && (f["subject"] == "Ana" || f["subject"] == "Bea"))
        .collect();
    assert_eq!(national.len(), 2);
    for f in &national {
        assert_ne!(f["verdict"], "not_applicable", "{f}");
        assert!(f["p_value"]
            .as_f64()
            .is_some_and(|p| (0.0..=1.0).contains(&p)));
        assert_eq!(f["statistic"]["name"], "chi_square");
        assert_eq!(f["n"], 360);
        let figure = f["figure"].as_str().expect("a national figure");
        assert!(
            a.dir().join(figure).is_file(),
            "figure {figure} not written"
        );
    }
    let regions: Vec<String> = last_digit_findings(&a.results)
        .into_iter()
        .filter(|f| f["subject"] == "Ana" && !f["region"].is_null())
        .map(|f| f["region"][0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(regions, vec!["North", "South", "East"]);
}

/// `--correction holm` adjusts the same raw p-values with Holm's method (never below BH's), is
/// recorded in results.json and the reproducing command, and the report names it.
#[test]
fn holm_correction_is_recorded_and_never_less_strict_than_bh() {
    let dir = TempDir::new().unwrap();
    let input = three_region_dataset(&dir);
    let tests = ["--tests", "last_digit,last_digit_mean,zero_five_endings"];
    let bh = run_ok(&input, &[tests[0], tests[1]]);
    let holm = run_ok(&input, &[tests[0], tests[1], "--correction", "holm"]);
    assert_eq!(holm.results["multiple_testing"]["method"], "holm");
    assert_eq!(
        holm.results["multiple_testing"]["controls"],
        "family_wise_error_rate"
    );
    assert_eq!(holm.results["options"]["correction"], "holm");
    assert!(holm.results["run_record"]["command"]
        .as_str()
        .unwrap()
        .contains("--correction holm"));
    assert!(holm.file("report.md").contains("After Holm's adjustment"));
    let findings = |r: &Run| r.results["findings"].as_array().unwrap().clone();
    let (fb, fh) = (findings(&bh), findings(&holm));
    assert_eq!(fb.len(), fh.len());
    let mut compared = 0;
    for (b, h) in fb.iter().zip(&fh) {
        assert_eq!(b["p_value"], h["p_value"], "same raw p-values");
        if let (Some(qb), Some(qh)) = (b["q_value"].as_f64(), h["q_value"].as_f64()) {
            assert!(qh >= qb - 1e-15, "Holm {qh} below BH {qb}");
            compared += 1;
        }
    }
    assert!(compared > 10, "{compared}");
    // clap's own usage error: exit 2, naming the value and the choices.
    let o = analyze(&[
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--correction"),
        OsStr::new("bonferroni"),
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: invalid value 'bonferroni'") && err.contains("bh, holm"),
        "{err}"
    );
}

/// `--calibrate` adds the power section, calibration.csv, the chart and results.json's
/// `calibration`; its options are checked with one-line errors.
#[test]
fn calibrate_reports_detection_rates() {
    let dir = TempDir::new().unwrap();
    let input = three_region_dataset(&dir);
    let run = run_ok(
        &input,
        &[
            "--tests",
            "zero_five_endings,last_digit,fingerprint",
            "--calibrate",
            "--calibration-replicates",
            "3",
            "--calibration-strengths",
            "0.5,1",
            "--calibration-inner-replicates",
            "20",
            "--calibration-manipulations",
            "rounded_counts,vote_switching",
        ],
    );
    let c = &run.results["calibration"];
    assert_eq!(c["spec"]["replicates"], 3);
    assert_eq!(
        c["spec"]["manipulations"],
        json!(["rounded_counts", "vote_switching"])
    );
    assert_eq!(c["skipped"][0]["test_id"], "fingerprint");
    let ids: Vec<&str> = c["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["test_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["zero_five_endings", "last_digit", "any_test"]);
    // Every count a multiple of 5 in all stations: the 0/5 test flags every copy.
    assert_eq!(c["tests"][0]["detection"][0][1]["flagged"], 3);
    let csv = run.file("calibration.csv");
    // Header + 3 tests × (baseline + 2 manipulations × 2 strengths).
    assert_eq!(csv.lines().count(), 1 + 3 * 5, "{csv}");
    assert!(csv.starts_with("test,manipulation,strength,copies,flagged,rate,ci95_low,ci95_high,mean_stations_changed,mean_votes_moved\nzero_five_endings,none,0,3,"), "{csv}");
    let md = run.file("report.md");
    assert!(
        md.contains("## Power on these data (fraud injection)"),
        "{md}"
    );
    assert!(
        md.contains("rounded counts (every candidate count rounded to a multiple of 5) in"),
        "{md}"
    );
    assert!(run.dir().join("figures").read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("calibration__detection")));
    assert!(run.results["run_record"]["command"]
        .as_str()
        .unwrap()
        .contains("--calibrate --calibration-replicates 3 --calibration-strengths 0.5,1 --calibration-inner-replicates 20 --calibration-manipulations rounded_counts,vote_switching"));

    for (opt, value, says) in [
        (
            "--calibration-strengths",
            "1.5",
            "not a share of stations in (0, 1]",
        ),
        (
            "--calibration-manipulations",
            "stuffing",
            "unknown manipulation \"stuffing\"",
        ),
        ("--calibration-replicates", "1", "between 2 and 100000"),
    ] {
        let err = run_err(&[
            OsStr::new("--input"),
            input.as_os_str(),
            OsStr::new("--calibrate"),
            OsStr::new(opt),
            OsStr::new(value),
        ]);
        assert!(err.contains(says), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// The ledger: every row analysed or excluded with a reason
// ---------------------------------------------------------------------------------------------

fn ledger_run() -> (Run, String) {
    let input = fixture("ledger", "ledger.csv");
    let run = run_ok(&input, &[]);
    (run, input.display().to_string())
}

fn excluded_at(run: &Run, row: u64) -> Vec<ExcludedRow> {
    run.excluded_rows()
        .into_iter()
        .filter(|e| e.row == row)
        .collect()
}

#[test]
fn accounts_for_every_row_of_the_ledger_fixture() {
    let (run, file) = ledger_run();
    let l = run.ledger();
    assert_eq!(l["rows_read"], 16);
    assert_eq!(l["rows_analysed"], 5);
    assert_eq!(l["rows_excluded"], 11);
    let expected: BTreeMap<String, u64> = [
        ("empty_row", 1),
        ("malformed_row", 1),
        ("excluded_by_rule: tables abroad", 1),
        ("missing_value", 3),
        ("unparsable_number", 1),
        ("negative_count", 1),
        ("duplicate_station_key", 1),
        ("conflicting_station_key", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(run.exclusion_counts(), expected);
    let rows: Vec<(u64, String)> = run
        .excluded_rows()
        .into_iter()
        .map(|e| {
            assert_eq!(e.file, file);
            (e.row, e.reason)
        })
        .collect();
    let expected_rows: Vec<(u64, String)> = [
        (3, "empty_row"),
        (4, "malformed_row"),
        (5, "unparsable_number"),
        (6, "negative_count"),
        (7, "missing_value"),
        (8, "missing_value"),
        (9, "missing_value"),
        (11, "duplicate_station_key"),
        (12, "conflicting_station_key"),
        (13, "conflicting_station_key"),
        (14, "excluded_by_rule"),
    ]
    .into_iter()
    .map(|(r, s)| (r, s.to_string()))
    .collect();
    assert_eq!(rows, expected_rows);
    assert_eq!(run.results["totals"]["stations"], 5);
    assert_eq!(
        run.station_column("station_key"),
        vec!["1", "8", "11", "12", "13"]
    );
    let report = run.file("report.md");
    assert!(
        report.contains("rows read 16 = rows analysed 5 + rows excluded 11."),
        "{report}"
    );
}

#[test]
fn excludes_empty_rows() {
    let (run, _) = ledger_run();
    assert_eq!(run.exclusion_counts()["empty_row"], 1);
    let e = excluded_at(&run, 3);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].reason, "empty_row");
}

#[test]
fn excludes_malformed_rows() {
    let (run, _) = ledger_run();
    assert_eq!(run.exclusion_counts()["malformed_row"], 1);
    let e = excluded_at(&run, 4);
    assert_eq!(e[0].reason, "malformed_row");
    assert!(e[0].detail.contains("8 fields, the header has 7"), "{e:?}");
}

#[test]
fn excludes_unparsable_numbers() {
    let (run, _) = ledger_run();
    assert_eq!(run.exclusion_counts()["unparsable_number"], 1);
    let e = excluded_at(&run, 5);
    assert_eq!(
        (
            e[0].reason.as_str(),
            e[0].column.as_str(),
            e[0].text.as_str()
        ),
        ("unparsable_number", "valid", "12a")
    );
}

#[test]
fn excludes_negative_counts() {
    let (run, _) = ledger_run();
    assert_eq!(run.exclusion_counts()["negative_count"], 1);
    let e = excluded_at(&run, 6);
    assert_eq!(
        (
            e[0].reason.as_str(),
            e[0].column.as_str(),
            e[0].text.as_str()
        ),
        ("negative_count", "ana", "-60")
    );
}

#[test]
fn excludes_missing_values_na_null_marker_and_empty() {
    let (run, _) = ledger_run();
    assert_eq!(run.exclusion_counts()["missing_value"], 3);
    let got: Vec<(u64, String, String)> = run
        .excluded_rows()
        .into_iter()
        .filter(|e| e.reason == "missing_value")
        .map(|e| (e.row, e.column, e.text))
        .collect();
    assert_eq!(
        got,
        vec![
            (7, "registered".to_string(), "NA".to_string()),
            (8, "valid".to_string(), "<null>".to_string()),
            (9, "null".to_string(), String::new()),
        ]
    );
}

#[test]
fn excludes_later_identical_duplicates_and_keeps_the_first() {
    let (run, _) = ledger_run();
    assert_eq!(run.exclusion_counts()["duplicate_station_key"], 1);
    assert_eq!(excluded_at(&run, 10), vec![], "the first copy is analysed");
    let e = excluded_at(&run, 11);
    assert_eq!(e[0].reason, "duplicate_station_key");
    assert!(e[0].detail.contains("row 10"), "{e:?}");
    assert!(run.station_column("station_key").contains(&"8".to_string()));
}

#[test]
fn excludes_conflicting_duplicates() {
    let (run, _) = ledger_run();
    assert_eq!(run.exclusion_counts()["conflicting_station_key"], 2);
    for row in [12, 13] {
        let e = excluded_at(&run, row);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].reason, "conflicting_station_key");
        assert!(e[0].detail.contains("\"9\""), "{e:?}");
    }
    assert!(!run.station_column("station_key").contains(&"9".to_string()));
}

/// Each conflicting row names the other copy (by row and file name), never itself.
#[test]
fn conflicting_duplicates_point_to_the_other_row() {
    let (run, _) = ledger_run();
    let first = excluded_at(&run, 12);
    assert!(first[0].detail.contains("row 13"), "{first:?}");
    let second = excluded_at(&run, 13);
    assert!(second[0].detail.contains("row 12"), "{second:?}");
}

#[test]
fn excludes_rows_matched_by_an_exclude_rule_with_its_reason() {
    let (run, _) = ledger_run();
    let rules: Vec<&Value> = run.ledger()["exclusions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "excluded_by_rule")
        .collect();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["rule"], "tables abroad");
    assert_eq!(rules[0]["rows"], 1);
    let e = excluded_at(&run, 14);
    assert_eq!(
        (
            e[0].reason.as_str(),
            e[0].column.as_str(),
            e[0].text.as_str(),
            e[0].detail.as_str()
        ),
        ("excluded_by_rule", "region", "Abroad", "tables abroad")
    );
    assert!(run.file("report.md").contains("tables abroad"));
}

#[test]
fn keeps_and_flags_inconsistent_stations_by_default() {
    let (run, _) = ledger_run();
    let expected: BTreeMap<String, u64> = [
        ("candidates_sum_to_valid".to_string(), 1),
        ("ballots_within_registered".to_string(), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(run.flag_counts(), expected);
    assert_eq!(
        run.flagged_rows(),
        vec![
            ("11".to_string(), 15, "candidates_sum_to_valid".to_string()),
            (
                "12".to_string(),
                16,
                "ballots_within_registered".to_string()
            ),
        ]
    );
    let keys = run.station_column("station_key");
    assert!(keys.contains(&"11".to_string()) && keys.contains(&"12".to_string()));
}

#[test]
fn checks_policy_exclude_turns_a_flag_into_an_exclusion() {
    let dir = TempDir::new().unwrap();
    let csv = std::fs::read(fixture("ledger", "ledger.csv")).unwrap();
    let mapping = std::fs::read_to_string(fixture("ledger", "ledger.mapping.toml")).unwrap()
        + "\n[checks]\nballots_within_registered = \"exclude\"\n";
    let input = write_dataset(dir.path(), "ledger.csv", &csv, &mapping);
    let run = run_ok(&input, &[]);
    let l = run.ledger();
    assert_eq!(l["rows_read"], 16);
    assert_eq!(l["rows_analysed"], 4);
    assert_eq!(l["rows_excluded"], 12);
    assert_eq!(run.exclusion_counts()["ballots_within_registered"], 1);
    let e = excluded_at(&run, 16);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].reason, "ballots_within_registered");
    assert!(
        e[0].detail.contains("ballots cast 82, registered 50"),
        "{e:?}"
    );
    // The other check keeps its default policy (flag).
    let expected: BTreeMap<String, u64> = [("candidates_sum_to_valid".to_string(), 1)]
        .into_iter()
        .collect();
    assert_eq!(run.flag_counts(), expected);
    assert!(!run
        .station_column("station_key")
        .contains(&"12".to_string()));
}

#[test]
fn flags_zero_ballot_stations() {
    let dir = TempDir::new().unwrap();
    let csv = tiny_text(",", "\n") + "South,4,80,0,0,0,0\n";
    let input = write_dataset(dir.path(), "zero.csv", csv.as_bytes(), &tiny_mapping_text());
    let run = run_ok(&input, &[]);
    let expected: BTreeMap<String, u64> = [("zero_ballots".to_string(), 1)].into_iter().collect();
    assert_eq!(run.flag_counts(), expected);
    assert_eq!(
        run.flagged_rows(),
        vec![("4".to_string(), 5, "zero_ballots".to_string())]
    );
    assert_eq!(run.results["totals"]["stations"], 4);
}

// ---------------------------------------------------------------------------------------------
// Input formats
// ---------------------------------------------------------------------------------------------

#[test]
fn detects_a_semicolon_delimiter() {
    let dir = TempDir::new().unwrap();
    let input = write_dataset(
        dir.path(),
        "semi.csv",
        tiny_text(";", "\n").as_bytes(),
        &tiny_mapping_text(),
    );
    let run = run_ok(&input, &[]);
    assert_eq!(run.results["inputs"][0]["format"], "text, delimiter ';'");
    assert_eq!(run.results["totals"], tiny_totals("Ana", "Bea"));
}

#[test]
fn detects_a_tab_delimiter() {
    let dir = TempDir::new().unwrap();
    let input = write_dataset(
        dir.path(),
        "tabbed.tsv",
        tiny_text("\t", "\n").as_bytes(),
        &tiny_mapping_text(),
    );
    let run = run_ok(&input, &[]);
    assert_eq!(run.results["inputs"][0]["format"], "text, delimiter tab");
    assert_eq!(run.results["totals"], tiny_totals("Ana", "Bea"));
}

#[test]
fn reads_a_declared_thousands_separator() {
    let dir = TempDir::new().unwrap();
    let csv = "station;registered;valid;ana;bea\n1;\"1.234\";1.100;1.000;100\n2;100;80;50;30\n";
    let mapping = r#"
[format]
thousands_separator = "."

[station]
key = ["station"]

[counts]
registered = "registered"
valid = "valid"

[[candidates]]
column = "ana"

[[candidates]]
column = "bea"
"#;
    let input = write_dataset(dir.path(), "dots.csv", csv.as_bytes(), mapping);
    let run = run_ok(&input, &[]);
    assert_eq!(run.ledger()["rows_excluded"], 0);
    let t = &run.results["totals"];
    assert_eq!(t["registered"], 1334);
    assert_eq!(t["valid"], 1180);
    assert_eq!(t["candidates"], json!({"ana": 1050, "bea": 130}));
    assert_eq!(run.flag_counts(), BTreeMap::new());
}

/// A Windows-1252 file with accented header, region and candidate names, large enough for
/// regional findings.
fn latin1_dataset(dir: &Path, declare: bool) -> PathBuf {
    let header = [
        "Región",
        "mesa",
        "inscritos",
        "válidos",
        "nulos",
        "Núñez",
        "Peña",
    ];
    let rows = generated_rows(&["Córdoba", "Peñalolén"], 120, 7);
    let utf8 = generated_csv(&header, &rows);
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&utf8);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file is not UTF-8"
    );
    let encoding = if declare {
        "[format]\nencoding = \"windows-1252\"\n\n"
    } else {
        ""
    };
    let mapping = format!(
        "{encoding}[station]\nkey = [\"mesa\"]\n\n[[regions]]\ncolumn = \"Región\"\nlevel = \"provincia\"\n\n[counts]\nregistered = \"inscritos\"\nvalid = \"válidos\"\nnull = \"nulos\"\n\n[[candidates]]\ncolumn = \"Núñez\"\n\n[[candidates]]\ncolumn = \"Peña\"\n"
    );
    write_dataset(dir, "latin.csv", &bytes, &mapping)
}

#[test]
fn decodes_a_declared_windows_1252_file() {
    let dir = TempDir::new().unwrap();
    let input = latin1_dataset(dir.path(), true);
    let run = run_ok(&input, &[]);
    let r = &run.results;
    assert_eq!(r["inputs"][0]["encoding"], "windows-1252");
    assert_eq!(r["ledger"]["rows_excluded"], 0);
    let candidates: Vec<&String> = r["totals"]["candidates"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(candidates, vec!["Núñez", "Peña"]);
    let regions: Vec<&str> = last_digit_findings(r)
        .into_iter()
        .filter(|f| f["subject"] == "Núñez" && !f["region"].is_null())
        .map(|f| f["region"][0].as_str().unwrap())
        .collect();
    assert_eq!(regions, vec!["Córdoba", "Peñalolén"]);
    let parquet_regions = run.station_column("region_provincia");
    assert_eq!(parquet_regions.len(), 240);
    assert_eq!(parquet_regions[0], "Córdoba");
    assert_eq!(parquet_regions[239], "Peñalolén");
    assert_eq!(run.station_column("votes_Núñez").len(), 240);
    let report = run.file("report.md");
    for name in ["Córdoba", "Peñalolén", "Núñez", "Peña"] {
        assert!(report.contains(name), "report.md lacks {name}");
        assert!(
            run.file("report.html").contains(name),
            "report.html lacks {name}"
        );
    }
    for f in ["results.json", "report.md", "report.html", "mapping.toml"] {
        assert!(
            !run.file(f).contains('\u{fffd}'),
            "{f} has replacement characters"
        );
    }
}

#[test]
fn fails_on_undeclared_latin1_with_the_line_to_add() {
    let dir = TempDir::new().unwrap();
    let input = latin1_dataset(dir.path(), false);
    let err = run_err_on(&input);
    assert!(err.contains("encoding = \"windows-1252\""), "{err}");
    assert!(err.contains("latin.csv"), "{err}");
    assert!(err.contains("not valid UTF-8"), "{err}");
    assert!(err.contains("0xF3") && err.contains("line 1"), "{err}");
}

#[test]
fn reads_utf8_with_bom_and_crlf() {
    let dir = TempDir::new().unwrap();
    // The region is the last column, so a stray '\r' would show in the region names, and the BOM
    // sits before the first column name, which the mapping must still find.
    let header = "station,registered,valid,null,ana,bea,region";
    let mut csv = format!("\u{feff}{header}\r\n");
    for row in TINY_ROWS {
        csv.push_str(&format!("{},{}\r\n", row[1..].join(","), row[0]));
    }
    let input = write_dataset(dir.path(), "bom.csv", csv.as_bytes(), &tiny_mapping_text());
    let run = run_ok(&input, &[]);
    assert_eq!(run.results["inputs"][0]["encoding"], "UTF-8 (with BOM)");
    assert_eq!(run.results["totals"], tiny_totals("Ana", "Bea"));
    assert_eq!(run.station_column("station_key"), vec!["1", "2", "3"]);
    assert_eq!(
        run.station_column("region_region"),
        vec!["North", "North", "South"]
    );
}

#[test]
fn reads_a_quoted_field_with_an_embedded_newline() {
    let dir = TempDir::new().unwrap();
    let csv = "region,station,registered,valid,null,ana,bea\n\
               \"North\nQuarter\",1,100,80,2,50,30\n\
               North,2,120,90,1,60,30\n\
               South,3,90,70,0,40,30\n\
               South,4,90,7x,0,40,30\n";
    let input = write_dataset(dir.path(), "nl.csv", csv.as_bytes(), &tiny_mapping_text());
    let run = run_ok(&input, &[]);
    assert_eq!(run.ledger()["rows_read"], 4);
    assert_eq!(run.results["totals"], tiny_totals("Ana", "Bea"));
    assert_eq!(
        run.station_column("region_region"),
        vec!["North\nQuarter", "North", "South"]
    );
    // The record with the embedded newline is one spreadsheet row: the bad row is row 5.
    let e = run.excluded_rows();
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].row, e[0].text.as_str()), (5, "7x"));
}

#[test]
fn reads_a_gzip_compressed_csv() {
    let dir = TempDir::new().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(tiny_text(",", "\n").as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let input = write_dataset(dir.path(), "tiny.csv.gz", &bytes, &tiny_mapping_text());
    let run = run_ok(&input, &[]);
    assert_eq!(run.dataset, "tiny");
    let i = &run.results["inputs"][0];
    assert_eq!(i["format"], "text (gzip), delimiter ','");
    assert_eq!(
        i["sha256"],
        sha256_hex(&bytes),
        "hash of the bytes as stored"
    );
    assert_eq!(run.results["totals"], tiny_totals("Ana", "Bea"));
}

#[test]
fn long_layout_gives_the_same_totals_as_wide() {
    let wide = run_ok(&fixture("tiny", "tiny.csv"), &[]);
    let long = run_ok(&fixture("long", "long.csv"), &[]);
    assert_eq!(long.ledger()["rows_read"], 6);
    assert_eq!(long.ledger()["rows_analysed"], 6);
    assert_eq!(long.ledger()["rows_excluded"], 0);
    assert_eq!(long.results["totals"], wide.results["totals"]);
    assert_eq!(long.results["totals"], tiny_totals("Ana", "Bea"));
    assert_eq!(long.flag_counts(), BTreeMap::new());
    assert_eq!(
        long.station_column("votes_Bea"),
        wide.station_column("votes_Bea")
    );
}

#[test]
fn long_layout_excludes_conflicting_stations_and_duplicate_candidate_rows() {
    let dir = TempDir::new().unwrap();
    let csv = "station,registered,candidate,votes\n\
               1,100,ana,50\n\
               1,100,bea,30\n\
               1,100,bea,30\n\
               2,120,ana,60\n\
               2,121,bea,30\n\
               3,90,ana,40\n\
               3,90,ana,41\n\
               4,90,ana,40\n";
    let mapping = "[dataset]\nlayout = \"long\"\n\n[station]\nkey = [\"station\"]\n\n\
                   [counts]\nregistered = \"registered\"\n\n\
                   [long]\ncandidate_column = \"candidate\"\nvotes_column = \"votes\"\n";
    let input = write_dataset(dir.path(), "long.csv", csv.as_bytes(), mapping);
    let run = run_ok(&input, &[]);
    let l = run.ledger();
    assert_eq!(l["rows_read"], 8);
    assert_eq!(l["rows_excluded"], 5);
    assert_eq!(l["rows_analysed"], 3);
    let rows: Vec<(u64, String)> = run
        .excluded_rows()
        .into_iter()
        .map(|e| (e.row, e.reason))
        .collect();
    let expected: Vec<(u64, String)> = [
        (4, "duplicate_candidate_row"),
        (5, "conflicting_station_fields"),
        (6, "conflicting_station_fields"),
        (7, "conflicting_candidate_votes"),
        (8, "conflicting_candidate_votes"),
    ]
    .into_iter()
    .map(|(r, s)| (r, s.to_string()))
    .collect();
    assert_eq!(rows, expected);
    // Station 4 has no row for bea: kept, bea counted as 0, flagged.
    assert_eq!(
        run.flagged_rows(),
        vec![("4".to_string(), 9, "missing_candidate_row".to_string())]
    );
    assert_eq!(run.results["totals"]["stations"], 2);
    assert_eq!(
        run.results["totals"]["candidates"],
        json!({"ana": 90, "bea": 30})
    );
}

#[test]
fn reads_cyrillic_header_names() {
    let run = run_ok(&fixture("cyrillic", "cyrillic.csv"), &[]);
    let mut expected = tiny_totals("Иванов Иван", "Петрова Анна");
    // The null column is "недействительных" (invalid), not its substring "действительных".
    expected["null"] = json!(3);
    assert_eq!(run.results["totals"], expected);
    assert_eq!(
        run.station_column("region_регион"),
        vec!["Москва", "Москва", "Тверь"]
    );
    assert!(run.file("report.md").contains("Петрова Анна"));
}

#[test]
fn reads_a_parquet_input() {
    use polars::prelude::*;
    let dir = TempDir::new().unwrap();
    // The tiny stations plus a fourth row whose valid count is null (row 4: Parquet rows count
    // from 1, there is no header row).
    let mut df = DataFrame::new(
        4,
        vec![
            Column::new("region".into(), ["North", "North", "South", "South"]),
            Column::new("station".into(), [1i64, 2, 3, 4]),
            Column::new("registered".into(), [100i64, 120, 90, 90]),
            Column::new("valid".into(), [Some(80i64), Some(90), Some(70), None]),
            Column::new("null".into(), [2i64, 1, 0, 0]),
            Column::new("ana".into(), [50i64, 60, 40, 40]),
            Column::new("bea".into(), [30i64, 30, 30, 30]),
        ],
    )
    .unwrap();
    let path = dir.path().join("tiny.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    std::fs::write(dir.path().join("tiny.mapping.toml"), tiny_mapping_text()).unwrap();
    let run = run_ok(&path, &[]);
    let i = &run.results["inputs"][0];
    assert_eq!(i["format"], "parquet");
    assert_eq!(i["sha256"], sha256_hex(&std::fs::read(&path).unwrap()));
    assert_eq!(run.results["totals"], tiny_totals("Ana", "Bea"));
    let e = run.excluded_rows();
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].row, e[0].reason.as_str(), e[0].column.as_str()),
        (4, "missing_value", "valid")
    );
}

// ---------------------------------------------------------------------------------------------
// Inferred mappings
// ---------------------------------------------------------------------------------------------

#[test]
fn infers_a_mapping_from_english_column_names() {
    let dir = TempDir::new().unwrap();
    let mut csv = "region,station_id,registered,valid,null,alice,bob\n".to_string();
    for row in TINY_ROWS {
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    let input = dir.path().join("english.csv");
    std::fs::write(&input, &csv).unwrap();
    let run = run_ok(&input, &[]);
    assert_eq!(run.results["mapping"]["source"], "inferred");
    assert_eq!(run.results["mapping"]["path"], Value::Null);
    assert_eq!(run.results["totals"], tiny_totals("alice", "bob"));
    let notes = run.results["notes"].as_array().unwrap();
    assert!(notes[0].as_str().unwrap().contains("inferred"), "{notes:?}");

    let written = run.dir().join("mapping.toml");
    let m = Mapping::from_file(&written).expect("the inferred mapping.toml parses");
    assert_eq!(m.station.key, vec!["station_id"]);
    let candidates: Vec<&str> = m.candidates.iter().map(|c| c.display_name()).collect();
    assert_eq!(candidates, vec!["alice", "bob"]);
    assert_eq!(m.regions.len(), 1);
    assert_eq!(m.regions[0].column, "region");

    // Saved beside the data, the written mapping is used as is and gives the same totals.
    std::fs::copy(&written, dir.path().join("english.mapping.toml")).unwrap();
    let again = run_ok(&input, &[]);
    assert_eq!(again.results["mapping"]["source"], "file");
    assert_eq!(again.results["totals"], run.results["totals"]);
}

#[test]
fn fails_on_an_ambiguous_inferred_column_saying_what_to_write() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("amb.csv");
    std::fs::write(
        &input,
        "station_id,valid,votos_validos,a,b\n1,10,10,4,6\n2,20,20,5,15\n",
    )
    .unwrap();
    let out = TempDir::new().unwrap();
    let err = run_err(&[
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
        OsStr::new("-q"),
    ]);
    assert!(err.contains("\"valid\" or \"votos_validos\""), "{err}");
    assert!(err.contains("amb.mapping.toml"), "{err}");
    assert!(err.contains("[counts] valid = \"valid\""), "{err}");
    assert!(err.contains("--mapping FILE"), "{err}");
    // A draft with every column the tool could place is written into the output folder (the
    // input folder is never written to) and named in the error.
    let draft = out.path().join("amb.mapping.draft.toml");
    assert!(err.contains(&draft.display().to_string()), "{err}");
    let text = std::fs::read_to_string(&draft).unwrap();
    let m: Mapping = toml::from_str(&text).unwrap();
    assert_eq!(m.station.key, vec!["station_id"]);
    let inputs: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(inputs.len(), 1, "only amb.csv in the input folder");
}

// ---------------------------------------------------------------------------------------------
// Errors: exit code 2, one `error:` line
// ---------------------------------------------------------------------------------------------

#[test]
fn fails_without_input() {
    let err = run_err(&["-q"]);
    assert!(err.contains("--input is required"), "{err}");
}

#[test]
fn fails_with_a_nonexistent_input_path() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("nowhere.csv");
    let err = run_err_on(&missing);
    assert!(err.contains("nowhere.csv"), "{err}");
    assert!(err.contains("no such file or folder"), "{err}");
}

#[test]
fn fails_on_an_empty_file() {
    let dir = TempDir::new().unwrap();
    let input = write_dataset(dir.path(), "empty.csv", b"", &tiny_mapping_text());
    let err = run_err_on(&input);
    assert!(err.contains("empty.csv"), "{err}");
    assert!(err.contains("the file is empty"), "{err}");
}

#[test]
fn fails_on_a_header_only_file_with_a_mapping() {
    let dir = TempDir::new().unwrap();
    let header = TINY_HEADER.join(",") + "\n";
    let input = write_dataset(
        dir.path(),
        "header.csv",
        header.as_bytes(),
        &tiny_mapping_text(),
    );
    let err = run_err_on(&input);
    assert!(err.contains("header row but no data rows"), "{err}");
}

/// Without a mapping, a header-only file must be reported as such, not as a mapping problem.
#[test]
fn fails_on_a_header_only_file_without_mapping_saying_there_are_no_rows() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("header.csv");
    std::fs::write(
        &input,
        "region,station_id,registered,valid,null,alice,bob\n",
    )
    .unwrap();
    let err = run_err_on(&input);
    assert!(
        err.contains("no data row") || err.contains("no row"),
        "{err}"
    );
}

/// Blank lines are not data rows, but they are rows in a spreadsheet: numbering counts them.
#[test]
fn row_numbers_after_a_blank_line_match_the_spreadsheet() {
    let dir = TempDir::new().unwrap();
    let csv = "region,station,registered,valid,null,ana,bea\n\
               North,1,100,80,2,50,30\n\
               \n\
               North,2,120,9x,1,60,30\n\
               South,3,90,70,0,40,30\n";
    let input = write_dataset(
        dir.path(),
        "blank.csv",
        csv.as_bytes(),
        &tiny_mapping_text(),
    );
    let run = run_ok(&input, &[]);
    let e = run.excluded_rows();
    assert_eq!((e[0].row, e[0].text.as_str()), (4, "9x"));
}

#[test]
fn fails_with_missing_column() {
    let dir = TempDir::new().unwrap();
    let mapping = tiny_mapping_text().replace("column = \"bea\"", "column = \"beatriz\"");
    let input = write_dataset(
        dir.path(),
        "tiny.csv",
        tiny_text(",", "\n").as_bytes(),
        &mapping,
    );
    let err = run_err_on(&input);
    assert!(
        err.contains(&input.display().to_string()),
        "names the file: {err}"
    );
    assert!(
        err.contains("no column \"beatriz\""),
        "names the column: {err}"
    );
    for c in TINY_HEADER {
        assert!(err.contains(&format!("\"{c}\"")), "lists column {c}: {err}");
    }
}

#[test]
fn a_missing_column_names_the_mapping_key_and_a_near_match() {
    let dir = TempDir::new().unwrap();
    // "Region" for "region" (case), "registered" → "registred" in the mapping (one letter).
    let mapping = tiny_mapping_text()
        .replace("column = \"region\"", "column = \"Région\"")
        .replace("registered = \"registered\"", "registered = \"registred\"");
    let input = write_dataset(
        dir.path(),
        "tiny.csv",
        tiny_text(",", "\n").as_bytes(),
        &mapping,
    );
    let err = run_err_on(&input);
    assert!(
        err.contains("no column \"Région\" for [[regions]] column (did you mean \"region\"?"),
        "{err}"
    );
    let mapping =
        tiny_mapping_text().replace("registered = \"registered\"", "registered = \"registred\"");
    std::fs::write(dir.path().join("tiny.mapping.toml"), mapping).unwrap();
    let err = run_err_on(&input);
    assert!(
        err.contains(
            "no column \"registred\" for [counts] registered (did you mean \"registered\"?"
        ),
        "{err}"
    );
}

#[test]
fn an_exclude_rule_that_takes_every_row_lists_the_values_seen() {
    let dir = TempDir::new().unwrap();
    let mapping = format!(
        "{}\n[[exclude]]\ncolumn = \"region\"\nnot_equals = [\"north\", \"south\"]\nreason = \"domestic only\"\n",
        tiny_mapping_text()
    );
    let input = write_dataset(
        dir.path(),
        "tiny.csv",
        tiny_text(",", "\n").as_bytes(),
        &mapping,
    );
    let err = run_err_on(&input);
    assert!(
        err.contains("[[exclude]] rule on column \"region\""),
        "{err}"
    );
    assert!(err.contains("excluded 3 rows"), "{err}");
    assert!(
        err.contains("the values seen in that column are \"North\", \"South\""),
        "{err}"
    );
}

#[test]
fn a_mapping_syntax_error_is_one_line_with_line_and_column() {
    let dir = TempDir::new().unwrap();
    let mapping =
        tiny_mapping_text().replace("registered = \"registered\"", "registered = \"registered");
    let input = write_dataset(
        dir.path(),
        "tiny.csv",
        tiny_text(",", "\n").as_bytes(),
        &mapping,
    );
    // run_err checks that stderr is one `error:` line.
    let err = run_err_on(&input);
    assert!(err.contains("tiny.mapping.toml, line "), "{err}");
    assert!(err.contains(", column "), "{err}");
    assert!(
        !err.contains(" | ") && !err.contains('^'),
        "no caret drawing: {err}"
    );
}

#[test]
fn fails_with_an_unknown_mapping_key() {
    let dir = TempDir::new().unwrap();
    let mapping = tiny_mapping_text().replace("registered = ", "registred = ");
    let input = write_dataset(
        dir.path(),
        "tiny.csv",
        tiny_text(",", "\n").as_bytes(),
        &mapping,
    );
    let err = run_err_on(&input);
    assert!(
        err.contains("tiny.mapping.toml"),
        "names the mapping file: {err}"
    );
    assert!(err.contains("registred"), "names the key: {err}");
}

#[test]
fn fails_with_an_unknown_test_id() {
    let out = TempDir::new().unwrap();
    let input = fixture("tiny", "tiny.csv");
    let err = run_err(&[
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
        OsStr::new("--tests"),
        OsStr::new("last_digit,benford"),
        OsStr::new("-q"),
    ]);
    assert!(err.contains("\"benford\""), "{err}");
    let known = err.split("known tests: ").nth(1).unwrap_or("");
    let known: Vec<&str> = known.split(", ").collect();
    assert_eq!(known, all_test_ids(), "{err}");
}

#[test]
fn fails_with_alpha_out_of_range() {
    let out = TempDir::new().unwrap();
    let input = fixture("tiny", "tiny.csv");
    let err = run_err(&[
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
        OsStr::new("--alpha"),
        OsStr::new("2"),
    ]);
    assert!(err.contains("--alpha must be between 0 and 1"), "{err}");
}

#[test]
fn fails_when_output_is_the_input_folder() {
    let dir = TempDir::new().unwrap();
    write_dataset(
        dir.path(),
        "tiny.csv",
        tiny_text(",", "\n").as_bytes(),
        &tiny_mapping_text(),
    );
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    let err = run_err(&[
        OsStr::new("--input"),
        dir.path().as_os_str(),
        OsStr::new("--output"),
        dir.path().as_os_str(),
    ]);
    assert!(err.contains("is the input folder"), "{err}");
    assert_eq!(
        listing(),
        before,
        "nothing was written into the input folder"
    );
}

#[test]
fn runs_only_the_selected_tests() {
    let run = run_ok(&fixture("tiny", "tiny.csv"), &["--tests", "last_digit"]);
    assert_eq!(run.results["options"]["tests"], json!(["last_digit"]));
    let findings = run.results["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["test_id"] == "last_digit"));
    let subjects: Vec<&str> = findings
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert!(subjects.starts_with(&["Ana", "Bea"]), "{subjects:?}");
}

#[test]
fn lists_the_tests() {
    let o = analyze(&["list-tests"]);
    assert!(o.status.success());
    let stdout = text(&o.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("last_digit ")),
        "{stdout}"
    );
}

// Regressions from the code review of the foundation and digit battery.

#[test]
fn excludes_counts_too_large_to_be_votes_instead_of_overflowing() {
    let dir = TempDir::new().unwrap();
    let csv = "region,station,registered,valid,null,ana,bea\n\
               North,1,100,20,0,10000000000000000000,10000000000000000000\n\
               North,2,18446744073709551600,90,1,60,30\n\
               South,3,90,70,0,40,30\n";
    let input = write_dataset(dir.path(), "huge.csv", csv.as_bytes(), &tiny_mapping_text());
    let run = run_ok(&input, &[]);
    assert_eq!(run.exclusion_counts()["unparsable_number"], 2);
    assert_eq!(run.results["totals"]["stations"], 1);
    assert!(
        run.excluded_rows()[0].detail.contains("too large"),
        "{:?}",
        run.excluded_rows()[0].detail
    );
}

#[test]
fn fails_with_too_few_replicates() {
    let err = run_err(&["--input", "x", "--replicates", "1"]);
    assert!(err.contains("--replicates must be between 20"), "{err}");
}

#[test]
fn counts_flagged_stations_once_whatever_their_number_of_flags() {
    let dir = TempDir::new().unwrap();
    // Station 1 fails two checks (ballots > registered, candidates ≠ valid); station 2 none.
    let csv = "region,station,registered,valid,null,ana,bea\n\
               North,1,10,50,0,20,20\n\
               North,2,100,40,0,20,20\n";
    let input = write_dataset(
        dir.path(),
        "flags.csv",
        csv.as_bytes(),
        &tiny_mapping_text(),
    );
    let run = run_ok(&input, &[]);
    assert_eq!(run.flagged_rows().len(), 2);
    // Station 1 also has turnout above 95 % (50 of 10 registered), but two stations give
    // extreme_stations no deviating finding, so no test lists it: the list follows the verdicts.
    assert_eq!(run.all_flagged_rows(), run.flagged_rows());
    assert!(
        run.file("report.md").contains("1 station kept but flagged"),
        "{}",
        run.file("report.md")
    );
}

#[test]
fn reproduce_line_keeps_the_selected_tests() {
    let run = run_ok(&fixture("tiny", "tiny.csv"), &["--tests", "last_digit"]);
    assert!(
        run.file("report.md").contains("--tests last_digit"),
        "{}",
        run.file("report.md")
    );
}

#[test]
fn a_candidate_called_registered_voters_stays_distinct_from_the_roll() {
    let dir = TempDir::new().unwrap();
    let mapping = tiny_mapping_text().replace("name = \"Ana\"", "name = \"registered voters\"");
    let rows = generated_rows(&["North", "South"], 60, 5);
    let csv = generated_csv(
        &[
            "region",
            "station",
            "registered",
            "valid",
            "null",
            "ana",
            "bea",
        ],
        &rows,
    );
    let input = write_dataset(dir.path(), "reg.csv", csv.as_bytes(), &mapping);
    let run = run_ok(&input, &[]);
    let subjects: std::collections::BTreeSet<String> = last_digit_findings(&run.results)
        .iter()
        .map(|f| f["subject"].as_str().unwrap().to_string())
        .collect();
    assert!(subjects.contains("registered voters"), "{subjects:?}");
    assert!(
        subjects.contains("registered voters (column)"),
        "{subjects:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Announced totals
// ---------------------------------------------------------------------------------------------

/// An announcement for the tiny fixture (Ana 150, Bea 90 of 240 valid votes in the sheets; 310
/// registered; highest table turnout 82 / 100): counts made from whole percentages of 1,000.
const TINY_ANNOUNCED: &str = r#"
[election]
registered = 500
tables = 4

[[announcements]]
label = "Bulletin 1"
date = "2024-07-29"
total = 1000
tables_counted_percent = 75
[[announcements.candidates]]
name = "Ana"
votes = 620
percent = 62
[[announcements.candidates]]
name = "Bea"
votes = 380
"#;

/// The tiny dataset copied into `dir` with `announced` beside it as tiny.announced.toml.
fn tiny_with_announcement(dir: &Path, announced: &str) -> PathBuf {
    let input = write_dataset(
        dir,
        "tiny.csv",
        tiny_text(",", "\n").as_bytes(),
        &tiny_mapping_text(),
    );
    std::fs::write(dir.join("tiny.announced.toml"), announced).unwrap();
    input
}

fn finding<'a>(results: &'a Value, test_id: &str) -> &'a Value {
    results["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["test_id"] == test_id)
        .unwrap_or_else(|| panic!("no {test_id} finding"))
}

#[test]
fn compares_an_announcement_given_with_announced() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("bulletins.toml");
    std::fs::write(&file, TINY_ANNOUNCED).unwrap();
    let input = fixture("tiny", "tiny.csv");
    let run = run_ok(&input, &["--announced", file.to_str().unwrap()]);
    let r = &run.results;
    assert_eq!(r["options"]["announced"], file.to_str().unwrap());
    // Bea (the free count; Ana is fixed by the sum) is 38 % × 1,000 exactly: a 1-in-10 chance on
    // the whole-percent grid, times 3 grids.
    let p = finding(r, "percentages_first");
    assert_eq!(p["subject"], "Bulletin 1");
    assert_eq!(p["grid_decimals"], 0);
    assert_eq!(p["statistic"]["value"], 1.0);
    assert!((p["probability_at_grid"].as_f64().unwrap() - 0.1).abs() < 1e-12);
    assert!((p["p_value"].as_f64().unwrap() - 0.3).abs() < 1e-12);
    assert_eq!(p["verdict"], "consistent");
    let c = finding(r, "announcement_vs_tallies");
    assert_eq!(c["verdict"], "descriptive");
    assert!(c["p_value"].is_null() && c["q_value"].is_null());
    let cmp = &c["comparison"];
    assert_eq!(cmp["tables_covered"], 3);
    assert_eq!(cmp["shares"][0]["sheet_votes"], 150);
    assert_eq!(cmp["shares"][0]["vote_difference"], 470);
    let b = &cmp["bound"];
    assert_eq!(b["missing_registered"], 190);
    assert_eq!(b["missing_votes_max"], 156); // 190 × 0.82
    assert_eq!(b["sheet_lead"], 60);
    assert_eq!(b["could_flip"], true);
    assert_eq!(r["multiple_testing"]["findings_descriptive"], 1);
    for f in [p, c] {
        let fig = f["figure"].as_str().unwrap();
        assert!(run.dir().join(fig).is_file(), "missing {fig}");
    }
    let report = run.file("report.md");
    assert!(report.contains("Announced totals: "), "{report}");
    assert!(report.contains("--announced "), "reproduce line");
}

#[test]
fn finds_an_announcement_beside_the_data() {
    let dir = TempDir::new().unwrap();
    tiny_with_announcement(dir.path(), TINY_ANNOUNCED);
    let run = run_ok(dir.path(), &[]);
    assert_eq!(
        finding(&run.results, "announcement_vs_tallies")["subject"],
        "Bulletin 1"
    );
    let index = std::fs::read_to_string(run.out.path().join("index.md")).unwrap();
    assert!(
        !index.contains("announced.toml"),
        "not listed as ignored: {index}"
    );
}

#[test]
fn announcement_tests_are_not_applicable_without_an_announcement() {
    let run = run_ok(&fixture("tiny", "tiny.csv"), &[]);
    for id in ["percentages_first", "announcement_vs_tallies"] {
        let f = finding(&run.results, id);
        assert_eq!(f["verdict"], "not_applicable");
        assert!(f["reason"].as_str().unwrap().contains("--announced"));
    }
}

#[test]
fn fails_with_an_unknown_announced_candidate() {
    let dir = TempDir::new().unwrap();
    let input = tiny_with_announcement(dir.path(), &TINY_ANNOUNCED.replace("\"Bea\"", "\"Carla\""));
    let err = run_err_on(&input);
    assert!(err.contains("tiny.announced.toml"), "names the file: {err}");
    assert!(err.contains("unknown candidate \"Carla\""), "{err}");
    assert!(err.contains("Ana, Bea"), "lists the known names: {err}");
}

#[test]
fn fails_with_a_malformed_announcement_file() {
    let dir = TempDir::new().unwrap();
    let input = tiny_with_announcement(dir.path(), &TINY_ANNOUNCED.replace("total =", "totl ="));
    let err = run_err_on(&input);
    assert!(err.contains("tiny.announced.toml"), "names the file: {err}");
    assert!(err.contains("totl"), "names the key: {err}");
    let input = tiny_with_announcement(dir.path(), "[[announcements]\nlabel = 1");
    let err = run_err_on(&input);
    assert!(err.contains("tiny.announced.toml"), "{err}");
}

#[test]
fn fails_with_an_announcement_file_of_no_dataset() {
    let dir = TempDir::new().unwrap();
    tiny_with_announcement(dir.path(), TINY_ANNOUNCED);
    std::fs::rename(
        dir.path().join("tiny.announced.toml"),
        dir.path().join("other.announced.toml"),
    )
    .unwrap();
    let err = run_err_on(dir.path());
    assert!(err.contains("belongs to no dataset"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Two sources of the same tables (source_reconciliation)
// ---------------------------------------------------------------------------------------------

/// Simulate a pair `sheets.csv` + `qr.csv` into `dir` with `planting` flags; run the analysis of
/// `dir` (reconciliation only) into `out`; return qr's results.
fn reconcile_pair(dir: &Path, out: &Path, planting: &[&str]) -> Value {
    let mut args: Vec<String> = [
        "simulate",
        "--output",
        dir.join("sheets.csv").to_str().unwrap(),
        "--seed",
        "11",
        "--stations",
        "600",
        "--regions",
        "4",
        "--districts-per-region",
        "3",
        "--second-source",
        dir.join("qr.csv").to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(planting.iter().map(|s| s.to_string()));
    let o = analyze(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = analyze(&[
        OsStr::new("--input"),
        dir.as_os_str(),
        OsStr::new("--output"),
        out.as_os_str(),
        OsStr::new("-q"),
        OsStr::new("--tests"),
        OsStr::new("source_reconciliation"),
        OsStr::new("--replicates"),
        OsStr::new("200"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    serde_json::from_slice(&std::fs::read(out.join("qr/results.json")).unwrap()).unwrap()
}

/// The rows of a CSV file without its header, sorted, keeping the first `columns` columns.
fn sorted_rows(path: &Path, columns: usize) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let mut rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| {
            rec.unwrap()
                .iter()
                .take(columns)
                .map(String::from)
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

fn reconciliation<'a>(results: &'a Value, subject: &str) -> &'a Value {
    results["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["test_id"] == "source_reconciliation" && f["subject"] == subject)
        .unwrap_or_else(|| panic!("no source_reconciliation finding for {subject}"))
}

#[test]
fn reconciles_a_generated_pair_and_finds_exactly_the_planted_differences() {
    let dir = TempDir::new().unwrap();
    let out = TempDir::new().unwrap();
    let planting = [
        "--transcription-errors",
        "20",
        "--favour-edits",
        "15",
        "--favour-region",
        "2",
        "--missing-tables",
        "3",
    ];
    let r = reconcile_pair(dir.path(), out.path(), &planting);
    let planted = sorted_rows(&dir.path().join("qr.planted.csv"), 8);
    let found = sorted_rows(&out.path().join("qr/reconciliation_differences.csv"), 8);
    assert_eq!(found, planted);
    assert_eq!(planted.len(), 20 + 2 * 15 + 2 * 3);
    let s = &reconciliation(&r, "tables")["summary"];
    assert_eq!(
        (s["only_in_a"].as_u64(), s["only_in_b"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(s["differing"], 35);
    assert_eq!(s["dataset_a"], "sheets");
    let region = reconciliation(&r, "differences by region");
    assert_eq!(region["verdict"], "deviates", "{}", region["headline"]);
    let leader = reconciliation(&r, "Ana Acosta");
    assert_eq!(leader["verdict"], "deviates", "{}", leader["headline"]);
    assert_eq!(leader["favour"]["leader"], true);
    assert!(leader["favour"]["change"]["net"].as_i64().unwrap() > 0);
    for f in [region, leader] {
        let fig = f["figure"].as_str().unwrap();
        assert!(out.path().join("qr").join(fig).is_file(), "missing {fig}");
    }
    let report = std::fs::read_to_string(out.path().join("qr/report.md")).unwrap();
    assert!(
        report.contains("reconciled with | dataset \"sheets\" (strip leading zeros)"),
        "the Data section shows the pair"
    );
    assert!(report.contains("Reconciled with dataset sheets"));
    // The partner dataset gets its own analysis and says where the pair is reported.
    let sheets: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("sheets/results.json")).unwrap())
            .unwrap();
    assert_eq!(
        reconciliation(&sheets, "tables")["verdict"],
        "not_applicable"
    );
    // Same input and seed: byte-identical results.json.
    let again = TempDir::new().unwrap();
    reconcile_pair(dir.path(), again.path(), &planting);
    let bytes = |d: &Path| std::fs::read(d.join("qr/results.json")).unwrap();
    assert!(bytes(out.path()) == bytes(again.path()));
}

#[test]
fn a_clean_pair_with_reformatted_keys_reports_no_differences() {
    let dir = TempDir::new().unwrap();
    let out = TempDir::new().unwrap();
    let r = reconcile_pair(dir.path(), out.path(), &[]);
    let s = &reconciliation(&r, "tables")["summary"];
    assert_eq!(s["matched"], 600);
    assert_eq!(s["differing"], 0);
    assert_eq!(s["only_in_a"], 0);
    assert_eq!(s["only_in_b"], 0);
    assert_eq!(s["key_normalisation"]["strip_leading_zeros"], true);
    let deviating = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["verdict"] == "deviates")
        .count();
    assert_eq!(deviating, 0);
    let csv =
        std::fs::read_to_string(out.path().join("qr/reconciliation_differences.csv")).unwrap();
    assert_eq!(
        csv,
        "kind,station_key_a,station_key_b,region,column,value_a,value_b,difference\n"
    );
}

#[test]
fn a_pair_naming_an_unknown_dataset_is_a_one_line_error() {
    let dir = TempDir::new().unwrap();
    let mapping = tiny_mapping_text() + "\n[reconcile]\nwith = \"preliminary\"\n";
    write_dataset(
        dir.path(),
        "tiny.csv",
        tiny_text(",", "\n").as_bytes(),
        &mapping,
    );
    let err = run_err_on(dir.path());
    assert!(
        err.contains(
            "[reconcile] with = \"preliminary\" names no dataset of this run; datasets found: tiny"
        ),
        "{err}"
    );
}

#[test]
fn planting_flags_need_a_second_source() {
    let dir = TempDir::new().unwrap();
    let err = run_err(&[
        "simulate",
        "--output",
        dir.path().join("a.csv").to_str().unwrap(),
        "--favour-edits",
        "3",
    ]);
    assert!(err.contains("need --second-source FILE"), "{err}");
}
