//! Helpers shared by the end-to-end test files: running the `analyze` binary on fixtures and
//! generated inputs, and reading its outputs. Each test file uses a subset.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

pub const BIN: &str = env!("CARGO_BIN_EXE_analyze");

/// Header and rows of `tests/fixtures/tiny/tiny.csv`, for inputs generated in other formats.
pub const TINY_HEADER: [&str; 7] = [
    "region",
    "station",
    "registered",
    "valid",
    "null",
    "ana",
    "bea",
];
pub const TINY_ROWS: [[&str; 7]; 3] = [
    ["North", "1", "100", "80", "2", "50", "30"],
    ["North", "2", "120", "90", "1", "60", "30"],
    ["South", "3", "90", "70", "0", "40", "30"],
];

pub fn fixture(case: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(case)
        .join(file)
}

pub fn tiny_mapping_text() -> String {
    std::fs::read_to_string(fixture("tiny", "tiny.mapping.toml")).unwrap()
}

/// Run `analyze` with `args` from a scratch working directory (so a default `--output` never lands
/// in the repository). `RUST_BACKTRACE` is removed so that a panic would show its usual note.
pub fn analyze<S: AsRef<OsStr>>(args: &[S]) -> Output {
    let cwd = TempDir::new().unwrap();
    Command::new(BIN)
        .args(args)
        .current_dir(cwd.path())
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("cannot start the analyze binary")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A successful run of one input: the output folder and the dataset's results.json.
pub struct Run {
    pub out: TempDir,
    pub dataset: String,
    pub results: Value,
    pub stderr: String,
}

impl Run {
    pub fn dir(&self) -> PathBuf {
        self.out.path().join(&self.dataset)
    }

    pub fn file(&self, name: &str) -> String {
        let p = self.dir().join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
    }

    pub fn ledger(&self) -> &Value {
        &self.results["ledger"]
    }

    /// `reason` (plus the rule for `excluded_by_rule`) → rows, from results.json.
    pub fn exclusion_counts(&self) -> BTreeMap<String, u64> {
        self.ledger()["exclusions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let key = match e["rule"].as_str() {
                    Some(rule) => format!("{}: {rule}", e["reason"].as_str().unwrap()),
                    None => e["reason"].as_str().unwrap().to_string(),
                };
                (key, e["rows"].as_u64().unwrap())
            })
            .collect()
    }

    /// check → stations, from results.json.
    pub fn flag_counts(&self) -> BTreeMap<String, u64> {
        self.ledger()["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["check"].as_str().unwrap().to_string(),
                    f["stations"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    /// excluded_rows.csv as records (header checked).
    pub fn excluded_rows(&self) -> Vec<ExcludedRow> {
        let mut r = csv::Reader::from_path(self.dir().join("excluded_rows.csv")).unwrap();
        assert_eq!(
            r.headers().unwrap(),
            vec!["file", "row", "reason", "column", "text", "detail"]
        );
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                ExcludedRow {
                    file: rec[0].to_string(),
                    row: rec[1].parse().unwrap(),
                    reason: rec[2].to_string(),
                    column: rec[3].to_string(),
                    text: rec[4].to_string(),
                    detail: rec[5].to_string(),
                }
            })
            .collect()
    }

    /// The ledger's rows of flagged_stations.csv as (station_key, row, check).
    pub fn flagged_rows(&self) -> Vec<(String, u64, String)> {
        self.all_flagged_rows()
            .into_iter()
            .filter(|(_, _, check)| !check.contains(':'))
            .collect()
    }

    /// Every row of flagged_stations.csv (ledger checks, then `test_id: check` rows of tests).
    pub fn all_flagged_rows(&self) -> Vec<(String, u64, String)> {
        let mut r = csv::Reader::from_path(self.dir().join("flagged_stations.csv")).unwrap();
        assert_eq!(
            r.headers().unwrap(),
            vec!["station_key", "file", "row", "check", "detail"]
        );
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (
                    rec[0].to_string(),
                    rec[2].parse().unwrap(),
                    rec[3].to_string(),
                )
            })
            .collect()
    }

    /// One text column of stations.parquet.
    pub fn station_column(&self, name: &str) -> Vec<String> {
        use polars::prelude::*;
        let file = std::fs::File::open(self.dir().join("stations.parquet")).unwrap();
        let df = ParquetReader::new(file).finish().unwrap();
        let column = df
            .column(name)
            .unwrap_or_else(|e| panic!("stations.parquet has no column {name:?} ({e})"));
        column
            .cast(&DataType::String)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExcludedRow {
    pub file: String,
    pub row: u64,
    pub reason: String,
    pub column: String,
    pub text: String,
    pub detail: String,
}

/// Run `analyze --input <input> --output <tmp> -q <extra>`, expect exit 0 and one dataset folder.
pub fn run_ok(input: &Path, extra: &[&str]) -> Run {
    let out = TempDir::new().unwrap();
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
        OsStr::new("-q"),
    ];
    args.extend(extra.iter().map(OsStr::new));
    let o = analyze(&args);
    let stderr = text(&o.stderr);
    assert!(
        o.status.success(),
        "analyze {args:?} failed ({:?}):\n{stderr}",
        o.status.code()
    );
    let datasets: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(
        datasets.len(),
        1,
        "one dataset folder expected: {datasets:?}"
    );
    let dataset = datasets[0].clone();
    let json = std::fs::read_to_string(out.path().join(&dataset).join("results.json")).unwrap();
    let results: Value = serde_json::from_str(&json).expect("results.json is JSON");
    let run = Run {
        out,
        dataset,
        results,
        stderr,
    };
    assert_ledger_balances(&run.results);
    run
}

/// Run `analyze` and expect a clean failure: exit code 2 and exactly one stderr line, starting
/// with `error:`, without panic text. Returns that line.
pub fn run_err<S: AsRef<OsStr>>(args: &[S]) -> String {
    let o = analyze(args);
    let stderr = text(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit code 2, got {:?}; stderr:\n{stderr}",
        o.status.code()
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "panic text on stderr:\n{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one stderr line expected:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    lines[0].to_string()
}

/// `run_err` for `--input <input> --output <tmp> -q`.
pub fn run_err_on(input: &Path) -> String {
    let out = TempDir::new().unwrap();
    run_err(&[
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
        OsStr::new("-q"),
    ])
}

pub fn assert_ledger_balances(results: &Value) {
    let l = &results["ledger"];
    let read = l["rows_read"].as_u64().unwrap();
    let analysed = l["rows_analysed"].as_u64().unwrap();
    let excluded = l["rows_excluded"].as_u64().unwrap();
    assert_eq!(read, analysed + excluded, "ledger: {l}");
    let by_reason: u64 = l["exclusions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(by_reason, excluded, "exclusions by reason: {l}");
    let per_file: u64 = results["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rows_read"].as_u64().unwrap())
        .sum();
    assert_eq!(per_file, read, "rows read per input file");
}

/// The totals of the three tiny stations, with the given candidate names.
pub fn tiny_totals(ana: &str, bea: &str) -> Value {
    json!({
        "stations": 3,
        "registered": 310,
        "ballots_cast": 243,
        "valid": 240,
        "null": 3,
        "blank": null,
        "turnout": 243.0 / 310.0,
        "candidates": { ana: 150, bea: 90 },
        "share_of": "valid",
        "share_denominator": 240,
    })
}

/// The ids printed by `analyze list-tests` (first word of each line).
/// Every id `list-tests` prints, the opt-in tests included.
pub fn all_test_ids() -> Vec<String> {
    let o = analyze(&["list-tests"]);
    assert!(o.status.success());
    text(&o.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The ids `list-tests` prints, without the opt-in tests (marked "only with --tests"): the tests
/// a run without `--tests` runs, in order.
pub fn list_test_ids() -> Vec<String> {
    let o = analyze(&["list-tests"]);
    assert!(o.status.success());
    text(&o.stdout)
        .lines()
        .filter(|l| !l.contains("(only with --tests"))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The `last_digit` findings of a results.json (other tests of the battery are left out).
pub fn last_digit_findings(results: &Value) -> Vec<&Value> {
    results["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["test_id"] == "last_digit")
        .collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The tiny stations as delimited text.
pub fn tiny_text(delimiter: &str, line_end: &str) -> String {
    let mut s = TINY_HEADER.join(delimiter) + line_end;
    for row in TINY_ROWS {
        s.push_str(&row.join(delimiter));
        s.push_str(line_end);
    }
    s
}

/// Write `<dir>/<stem>.<ext>` with `bytes` and `<dir>/<stem>.mapping.toml` with `mapping`.
/// `gen.csv` with its mapping: 120 generated stations in each of North, South and East.
pub fn three_region_dataset(dir: &TempDir) -> PathBuf {
    let rows = generated_rows(&["North", "South", "East"], 120, 42);
    write_dataset(
        dir.path(),
        "gen.csv",
        generated_csv(&TINY_HEADER, &rows).as_bytes(),
        &tiny_mapping_text(),
    )
}

pub fn write_dataset(dir: &Path, file_name: &str, bytes: &[u8], mapping: &str) -> PathBuf {
    let path = dir.join(file_name);
    std::fs::write(&path, bytes).unwrap();
    let stem = file_name.split('.').next().unwrap();
    std::fs::write(dir.join(format!("{stem}.mapping.toml")), mapping).unwrap();
    path
}

/// A deterministic pseudo-random generator (xorshift64*), so generated inputs need no rand API.
pub struct Xorshift(pub u64);

impl Xorshift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// Rows of a generated election with counts in the hundreds (so `last_digit` applies nationally
/// and per region): `region,station,registered,valid,null,<cand_a>,<cand_b>`.
pub fn generated_rows(regions: &[&str], per_region: u64, seed: u64) -> Vec<[String; 7]> {
    let mut rng = Xorshift(seed);
    let mut rows = Vec::new();
    let mut station = 0;
    for region in regions {
        for _ in 0..per_region {
            station += 1;
            let a = rng.range(150, 650);
            let b = rng.range(80, 400);
            let null = rng.range(0, 6);
            let registered = a + b + null + rng.range(50, 500);
            rows.push([
                region.to_string(),
                station.to_string(),
                registered.to_string(),
                (a + b).to_string(),
                null.to_string(),
                a.to_string(),
                b.to_string(),
            ]);
        }
    }
    rows
}

pub fn generated_csv(header: &[&str; 7], rows: &[[String; 7]]) -> String {
    let mut s = header.join(",") + "\n";
    for r in rows {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    s
}

/// Run `analyze --input <input> --output <tmp> <extra>` whatever its outcome: the output folder
/// and the process output.
pub fn run_folder(input: &std::path::Path, extra: &[&str]) -> (TempDir, std::process::Output) {
    let out = TempDir::new().unwrap();
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
    ];
    args.extend(extra.iter().map(OsStr::new));
    let o = analyze(&args);
    (out, o)
}
