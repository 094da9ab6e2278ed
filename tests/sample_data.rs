//! The sample data in data/ is made by the tool's own generator: rerunning data/make.sh gives the
//! same bytes, and `analyze --input data/` shows the tampered election deviating where the
//! clean one does not, and the reconciliation of the scanned sheets with their QR codes finding
//! exactly the planted differences.

use std::path::Path;
use std::process::Command;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn make_sh_regenerates_the_shipped_files_byte_for_byte() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new("bash")
        .arg(manifest().join("data/make.sh"))
        .env("ANALYZE", env!("CARGO_BIN_EXE_analyze"))
        .env("OUT", out.path())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let mut compared = 0;
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let shipped = std::fs::read(manifest().join("data").join(&name))
            .unwrap_or_else(|_| panic!("data/{name} is made by make.sh but not shipped"));
        assert!(
            std::fs::read(&path).unwrap() == shipped,
            "data/{name} differs from what make.sh writes"
        );
        compared += 1;
    }
    assert_eq!(
        compared, 10,
        "clean.csv, clean.mapping.toml, tampered.csv.gz, tampered.mapping.toml, long_inferred.csv, scanned_sheets.csv.gz, scanned_sheets.mapping.toml, qr_codes.csv.gz, qr_codes.mapping.toml, qr_codes.planted.csv"
    );
}

#[test]
fn analyze_data_shows_the_tampered_election_deviating() {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_analyze"))
        .arg("--input")
        .arg(manifest().join("data"))
        .arg("--output")
        .arg(out.path())
        .args(["-q", "--replicates", "300"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(out.path().join(name).join("results.json")).unwrap())
            .unwrap()
    };
    let deviating = |r: &serde_json::Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["verdict"] == "deviates")
            .map(|f| format!("{} {} {}", f["test_id"], f["subject"], f["region"]))
            .collect()
    };
    let clean = read("clean");
    let tampered = read("tampered");
    assert!(
        deviating(&clean).is_empty(),
        "clean election flagged: {:?}",
        deviating(&clean)
    );
    let flagged = deviating(&tampered);
    assert!(
        flagged
            .iter()
            .any(|f| f.contains("last_digit") && f.contains("Costa Norte")),
        "the fabricated region must deviate: {flagged:?}"
    );
    // data/tampered.announced.toml: counts computed from one-decimal percentages.
    assert!(
        flagged
            .iter()
            .any(|f| f.contains("percentages_first") && f.contains("Provisional bulletin")),
        "the provisional bulletin must deviate: {flagged:?}"
    );
    // Benjamini–Hochberg controls the share of false discoveries (5 %), not their number: with a
    // dozen true deviations, one chance deviation elsewhere is expected now and then.
    // The ballot stuffing (everywhere) shows in extreme_stations, nationally and by region.
    assert!(
        flagged
            .iter()
            .any(|f| f == "\"extreme_stations\" \"turnout ≥ 95 %\" null"),
        "the stuffed stations must deviate: {flagged:?}"
    );
    let elsewhere = flagged
        .iter()
        .filter(|f| {
            !(f.contains("Costa Norte") || f.ends_with("null") || f.contains("extreme_stations"))
        })
        .count();
    assert!(
        elsewhere <= 2 && flagged.len() >= 10 * elsewhere,
        "{flagged:?}"
    );
    let klimek = tampered["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["test_id"] == "klimek_model" && f["region"].is_null())
        .unwrap();
    assert!(
        klimek["f_e_interval"][0].as_f64().unwrap() > 0.0,
        "{klimek}"
    );
    // The pair: exactly the planted differences, the favour edits in Llanos Süd flagged as a
    // regional concentration and as favouring the leader (and hurting the runner-up); the sheets
    // themselves are a clean election.
    let sheets = read("scanned_sheets");
    let qr = read("qr_codes");
    assert!(deviating(&sheets).is_empty(), "{:?}", deviating(&sheets));
    let rows = |path: std::path::PathBuf| -> Vec<Vec<String>> {
        let mut r = csv::Reader::from_path(path).unwrap();
        let mut rows: Vec<Vec<String>> = r
            .records()
            .map(|rec| rec.unwrap().iter().take(8).map(String::from).collect())
            .collect();
        rows.sort();
        rows
    };
    let planted = rows(manifest().join("data/qr_codes.planted.csv"));
    assert_eq!(planted.len(), 40 + 2 * 25 + 2 * 5);
    assert_eq!(
        rows(out.path().join("qr_codes/reconciliation_differences.csv")),
        planted
    );
    let qr_flagged = deviating(&qr);
    assert_eq!(
        qr_flagged,
        vec![
            "\"source_reconciliation\" \"differences by region\" null",
            "\"source_reconciliation\" \"Ana Acosta\" null",
            "\"source_reconciliation\" \"Bruno Barrios\" null"
        ],
        "{qr_flagged:?}"
    );
    let region = qr["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "differences by region")
        .unwrap();
    let top = region["concentration"]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .max_by(|a, b| a["rate"].as_f64().partial_cmp(&b["rate"].as_f64()).unwrap())
        .unwrap();
    assert_eq!(top["region"], "Llanos Süd");
    for r in [&clean, &tampered, &read("long_inferred"), &sheets, &qr] {
        let l = &r["ledger"];
        assert_eq!(
            l["rows_read"].as_u64().unwrap(),
            l["rows_analysed"].as_u64().unwrap() + l["rows_excluded"].as_u64().unwrap()
        );
    }
    assert_eq!(read("long_inferred")["mapping"]["source"], "inferred");
    assert_eq!(read("long_inferred")["totals"]["stations"], 1500);
}
