//! End-to-end tests of what a run gives scripts and spreadsheets, and of how it reports loss and
//! failure: `findings.csv`, `regions.csv`, `index.json`, `--json`, loud data-loss warnings and
//! `--strict`, folder runs that finish when one dataset fails (exit 3), completions and `--help`.

use std::ffi::OsStr;

use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::*;

#[test]
fn findings_csv_has_one_row_per_finding_and_regions_csv_one_row_per_region() {
    let dir = TempDir::new().unwrap();
    let input = three_region_dataset(&dir);
    let run = run_ok(&input, &[]);
    let findings = run.results["findings"].as_array().unwrap();
    let mut reader = ::csv::Reader::from_path(run.dir().join("findings.csv")).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "test",
            "subject",
            "region",
            "n",
            "statistic",
            "value",
            "effect",
            "effect_value",
            "p",
            "q",
            "verdict",
            "reason",
            "headline",
            "figure"
        ]
    );
    let rows: Vec<::csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), findings.len());
    for (row, f) in rows.iter().zip(findings) {
        assert_eq!(&row[0], f["test_id"].as_str().unwrap());
        assert_eq!(&row[1], f["subject"].as_str().unwrap());
        assert_eq!(&row[10], f["verdict"].as_str().unwrap());
        match f["p_value"].as_f64() {
            // serde_json's reader may round the last bit of the JSON's shortest decimal.
            Some(p) => assert!((row[8].parse::<f64>().unwrap() - p).abs() <= 1e-15 * p.max(1e-300)),
            None => assert_eq!(&row[8], ""),
        }
    }
    let mut reader = ::csv::Reader::from_path(run.dir().join("regions.csv")).unwrap();
    let regions: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(regions, ["North", "South", "East"]);
}

#[test]
fn an_undeclared_thousands_separator_warns_loudly_and_fails_under_strict() {
    let dir = TempDir::new().unwrap();
    let mut rows = generated_rows(&["North", "South"], 150, 5);
    for r in rows.iter_mut().step_by(3) {
        // Every third station has 1,000 or more registered voters, written with a '.'.
        let reg: u64 = r[2].parse::<u64>().unwrap() + 1000;
        r[2] = format!("{}.{:03}", reg / 1000, reg % 1000);
    }
    let input = write_dataset(
        dir.path(),
        "gen.csv",
        generated_csv(&TINY_HEADER, &rows).as_bytes(),
        &tiny_mapping_text(),
    );
    let run = run_ok(&input, &[]);
    let w = &run.results["warnings"][0];
    assert_eq!(
        w["kind"], "systematic_exclusion",
        "{}",
        run.results["warnings"]
    );
    assert_eq!(w["rows"], 100);
    assert!(
        run.stderr
            .contains("warning: gen: 100 rows (33 %) were excluded because counts such as"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("declare [format] thousands_separator = \".\""),
        "{}",
        run.stderr
    );
    let report = run.file("report.md");
    let warning_at = report
        .find("## Warning: rows lost")
        .expect("a warning section");
    assert!(
        warning_at < report.find("## Summary").unwrap(),
        "the warning comes first"
    );
    let out = TempDir::new().unwrap();
    let err = run_err(&[
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
        OsStr::new("-q"),
        OsStr::new("--strict"),
    ]);
    assert!(
        err.contains("(--strict makes this warning an error)"),
        "{err}"
    );
}

#[test]
fn a_folder_with_a_stray_file_analyses_the_others_and_lists_the_failure() {
    let dir = TempDir::new().unwrap();
    three_region_dataset(&dir);
    std::fs::write(
        dir.path().join("lookup.csv"),
        "code,name\n01,Norte\n02,Sur\n",
    )
    .unwrap();
    let (out, o) = run_folder(dir.path(), &["-q", "--json"]);
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(stderr.starts_with("error: dataset lookup: "), "{stderr}");
    assert!(out.path().join("gen/results.json").is_file());
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("index.json")).unwrap())
            .unwrap();
    assert_eq!(index["datasets"][0]["dataset"], "gen");
    assert_eq!(index["failed"][0]["dataset"], "lookup");
    let stdout: Value = serde_json::from_slice(&o.stdout).expect("--json prints JSON");
    assert_eq!(stdout["datasets"], index["datasets"]);
    let md = std::fs::read_to_string(out.path().join("index.md")).unwrap();
    assert!(md.contains("## Failed: not analysed"), "{md}");
    assert!(md.contains("**lookup**: dataset lookup: "), "{md}");
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        html.contains("<a href=\"gen/report.html\">report</a>"),
        "{html}"
    );
    // A second run on the stray file alone: the first run's gen folder is listed as not rewritten.
    let lone = TempDir::new().unwrap();
    std::fs::copy(dir.path().join("gen.csv"), lone.path().join("other.csv")).unwrap();
    std::fs::copy(
        dir.path().join("gen.mapping.toml"),
        lone.path().join("other.mapping.toml"),
    )
    .unwrap();
    let o = analyze(&[
        OsStr::new("--input"),
        lone.path().as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
        OsStr::new("-q"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("index.json")).unwrap())
            .unwrap();
    assert_eq!(index["not_rewritten"], serde_json::json!(["gen"]));
}

#[test]
fn completions_and_help_for_people() {
    let o = analyze(&["completions", "bash"]);
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains("complete -F"),
        "a bash completion script"
    );
    let o = analyze(&["--help"]);
    let help = text(&o.stdout);
    assert!(
        help.contains("Exit codes:") && help.contains("3  a folder run"),
        "{help}"
    );
    assert!(
        help.contains("[default: 0.01,0.05,0.2]"),
        "a default that pastes: {help}"
    );
}
