//! End-to-end tests of real publishers' file shapes (issue: "real publishers' files without
//! pre-processing"): derived candidates (sister parties summed, the rest), derived key parts
//! pairing two sources, code lists, share denominators, `--encoding`, totals rows, title rows,
//! spreadsheets and binary files that are not tables, and inference that refuses doubtful
//! mappings. Inputs are generated in temporary folders, except the spreadsheets, which are
//! committed fixtures made by `tests/fixtures/spreadsheets/make_spreadsheets.py`.

use std::ffi::OsStr;
use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::*;

/// `n` stations in regions North and South: (region, station, registered, a, b, c).
fn stations(n: u64, seed: u64) -> Vec<(String, u64, u64, u64, u64, u64)> {
    let mut rng = Xorshift(seed);
    (0..n)
        .map(|i| {
            let region = if i % 2 == 0 { "North" } else { "South" };
            let (a, b, c) = (rng.range(100, 400), rng.range(80, 350), rng.range(20, 120));
            let registered = a + b + c + rng.range(50, 300);
            (region.to_string(), i + 1, registered, a, b, c)
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn candidate_total(run: &Run, name: &str) -> u64 {
    run.results["totals"]["candidates"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("no candidate {name}: {}", run.results["totals"]))
}

fn notes(run: &Run) -> Vec<String> {
    run.results["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn sister_parties_summed_as_one_candidate_have_no_structural_zeros() {
    // CDU stands everywhere but in South, CSU only in South: apart, each has a structural zero
    // region; summed as "Union", the candidate stands everywhere.
    let dir = TempDir::new().unwrap();
    let mut csv = "land,station,registered,CDU,CSU,SPD,GRUENE\n".to_string();
    let (mut union, mut spd) = (0, 0);
    for (region, id, reg, a, b, c) in stations(400, 7) {
        let (cdu, csu) = if region == "South" { (0, a) } else { (a, 0) };
        union += a;
        spd += b;
        csv.push_str(&format!("{region},{id},{reg},{cdu},{csu},{b},{c}\n"));
    }
    write(dir.path(), "de.csv", &csv);
    let summed = r#"
[station]
key = ["station"]

[[regions]]
column = "land"

[counts]
registered = "registered"

[[candidates]]
column = ["CDU", "CSU"]
name = "Union"

[[candidates]]
column = "SPD"

[[candidates]]
column = "GRUENE"
"#;
    write(dir.path(), "de.mapping.toml", summed);
    let run = run_ok(&dir.path().join("de.csv"), &[]);
    assert_eq!(candidate_total(&run, "Union"), union);
    assert_eq!(candidate_total(&run, "SPD"), spd);
    let n = notes(&run);
    assert!(
        n.iter()
            .any(|l| l.contains("candidate Union: sum of the columns CDU + CSU")),
        "{n:?}"
    );
    assert!(
        !n.iter()
            .any(|l| l.contains("treated as not standing there")),
        "{n:?}"
    );
    let derivations = run.results["derivations"].to_string();
    assert!(
        derivations.contains("Union: sum of the columns CDU + CSU"),
        "{derivations}"
    );

    // The same file with the two parties apart: two structural-zero regions, one each.
    let apart = summed.replace(
        "[[candidates]]\ncolumn = [\"CDU\", \"CSU\"]\nname = \"Union\"",
        "[[candidates]]\ncolumn = \"CDU\"\n\n[[candidates]]\ncolumn = \"CSU\"",
    );
    write(dir.path(), "de.mapping.toml", &apart);
    let run = run_ok(&dir.path().join("de.csv"), &[]);
    let zeros: Vec<String> = notes(&run)
        .into_iter()
        .filter(|l| l.contains("treated as not standing there"))
        .collect();
    assert_eq!(zeros.len(), 2, "{zeros:?}");
    assert!(
        zeros[0].starts_with("CDU has 0 votes in the 200 stations of South"),
        "{zeros:?}"
    );
    assert!(
        zeros[1].starts_with("CSU has 0 votes in the 200 stations of North"),
        "{zeros:?}"
    );
}

#[test]
fn the_rest_and_valid_from_a_total_column_add_up_without_flags() {
    // Wisconsin's shape: a total per reporting unit and the two main candidates only.
    let dir = TempDir::new().unwrap();
    let mut csv = "county,unit,TOTAL,DEM,REP\n".to_string();
    let mut others = 0;
    for (region, id, _, a, b, c) in stations(300, 11) {
        others += c;
        csv.push_str(&format!("{region},{id},{},{a},{b}\n", a + b + c));
    }
    write(dir.path(), "wi.csv", &csv);
    let base = r#"
[station]
key = ["unit"]

[[regions]]
column = "county"

[counts]
valid = "TOTAL"

[[candidates]]
column = "DEM"

[[candidates]]
column = "REP"
"#;
    // Without the rest, every unit is flagged: the listed candidates miss the third parties.
    write(dir.path(), "wi.mapping.toml", base);
    let run = run_ok(&dir.path().join("wi.csv"), &[]);
    assert_eq!(run.flag_counts().get("candidates_sum_to_valid"), Some(&300));
    write(
        dir.path(),
        "wi.mapping.toml",
        &format!("{base}\n[[candidates]]\nrest = true\nname = \"Others\"\n"),
    );
    let run = run_ok(&dir.path().join("wi.csv"), &[]);
    assert_eq!(candidate_total(&run, "Others"), others);
    assert_eq!(run.flag_counts().get("candidates_sum_to_valid"), None);
    assert!(
        notes(&run)
            .iter()
            .any(|l| l.contains("Others: derived as valid votes minus the other listed candidates")),
        "{:?}",
        notes(&run)
    );
}

#[test]
fn a_rest_below_zero_excludes_the_row_with_the_numbers() {
    let dir = TempDir::new().unwrap();
    let mut csv = "unit,TOTAL,DEM,REP\n".to_string();
    for (_, id, _, a, b, c) in stations(30, 3) {
        csv.push_str(&format!("{id},{},{a},{b}\n", a + b + c));
    }
    csv.push_str("31,100,80,40\n");
    write(dir.path(), "wi.csv", &csv);
    write(
        dir.path(),
        "wi.mapping.toml",
        "[station]\nkey = [\"unit\"]\n[counts]\nvalid = \"TOTAL\"\n[[candidates]]\ncolumn = \"DEM\"\n[[candidates]]\ncolumn = \"REP\"\n[[candidates]]\nrest = true\nname = \"Others\"\n",
    );
    let run = run_ok(&dir.path().join("wi.csv"), &[]);
    let rows = run.excluded_rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].row, rows[0].reason.as_str()),
        (32, "negative_count")
    );
    assert!(
        rows[0]
            .detail
            .contains("the listed candidates have 120, valid 100"),
        "{rows:?}"
    );
}

/// Sheets keyed by CENTRO and MESA; QR codes keyed by one reference `CENTRO.MM.1.NNNN`.
fn two_sources(dir: &Path, qr_key: &str) {
    let mut sheets = "CENTRO,MESA,votantes,EG,NM\n".to_string();
    let mut qr = "REF,votantes,EG,NM\n".to_string();
    for (_, id, _, a, b, c) in stations(60, 5) {
        let (centre, table) = (10_101_000 + id / 3, id % 3 + 1);
        sheets.push_str(&format!("0{centre},{table},{},{a},{b}\n", a + b + c));
        qr.push_str(&format!(
            "0{centre}.0{table}.1.{:04},{},{a},{b}\n",
            id,
            a + b + c
        ));
    }
    write(dir, "sheets.csv", &sheets);
    write(
        dir,
        "sheets.mapping.toml",
        "[station]\nkey = [\"CENTRO\", \"MESA\"]\n[counts]\nballots_cast = \"votantes\"\n[[candidates]]\ncolumn = \"EG\"\n[[candidates]]\ncolumn = \"NM\"\n",
    );
    write(dir, "qr.csv", &qr);
    write(
        dir,
        "qr.mapping.toml",
        &format!("[station]\nkey = {qr_key}\n[counts]\nballots_cast = \"votantes\"\n[[candidates]]\ncolumn = \"EG\"\n[[candidates]]\ncolumn = \"NM\"\n[reconcile]\nwith = \"sheets\"\nstrip_leading_zeros = true\n"),
    );
}

#[test]
fn derived_key_parts_pair_a_qr_reference_with_centre_and_table() {
    let dir = TempDir::new().unwrap();
    two_sources(
        dir.path(),
        r#"[{ column = "REF", regex = '^(\d+)\.' }, { column = "REF", split = ".", parts = [2] }]"#,
    );
    let (out, o) = run_folder(dir.path(), &["-q"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("qr/results.json")).unwrap())
            .unwrap();
    let finding = results["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["test_id"] == "source_reconciliation" && f["subject"] == "tables")
        .expect("a reconciliation finding");
    let summary = &finding["summary"];
    assert_eq!(summary["matched"], 60, "{summary}");
    assert_eq!(summary["differing"], 0, "{summary}");
    let report = std::fs::read_to_string(out.path().join("qr/report.md")).unwrap();
    assert!(
        report.contains("| station key | REF matched by ^(")
            && report.contains("+ pieces 2 of REF split at"),
        "the report names the derived key parts"
    );
}

#[test]
fn a_pair_whose_keys_do_not_match_stops_with_keys_from_both_sides() {
    let dir = TempDir::new().unwrap();
    two_sources(dir.path(), "[\"REF\"]");
    let (_out, o) = run_folder(dir.path(), &["-q"]);
    let err = text(&o.stderr);
    // The sheets are analysed; the pair's second dataset fails (exit 3: some datasets failed).
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("only 0 of qr's 60 tables and of sheets's 60 tables have the same key"),
        "{err}"
    );
    assert!(
        err.contains("unmatched keys of qr: \"10101000.2.1.1\""),
        "{err}"
    );
    assert!(err.contains("of sheets: \"10101000 / 2\""), "{err}");
}

#[test]
fn a_code_list_names_the_regions_and_keeps_the_codes() {
    let dir = TempDir::new().unwrap();
    let mut csv = "LAND,station,registered,A,B,C\n".to_string();
    for (region, id, reg, a, b, c) in stations(200, 9) {
        let code = if region == "North" { "01" } else { "09" };
        csv.push_str(&format!("{code},{id},{reg},{a},{b},{c}\n"));
    }
    write(dir.path(), "btw.csv", &csv);
    write(
        dir.path(),
        "laender.csv",
        "LAND_NR;LAND_NAME\n1;Schleswig-Holstein\n9;Bayern\n11;Berlin\n",
    );
    write(
        dir.path(),
        "btw.mapping.toml",
        "[station]\nkey = [\"station\"]\n[[regions]]\ncolumn = \"LAND\"\nlevel = \"land\"\nnames = { file = \"laender.csv\", code = \"LAND_NR\", name = \"LAND_NAME\" }\n[counts]\nregistered = \"registered\"\n[[candidates]]\ncolumn = \"A\"\n[[candidates]]\ncolumn = \"B\"\n[[candidates]]\ncolumn = \"C\"\n",
    );
    // One dataset: the code list is not taken for a second one.
    let run = run_ok(dir.path(), &[]);
    let regions: std::collections::BTreeSet<String> = run.results["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            f["region"]
                .as_array()?
                .first()?
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        regions.into_iter().collect::<Vec<_>>(),
        ["Bayern", "Schleswig-Holstein"]
    );
    let names = run.station_column("region_land");
    let codes = run.station_column("region_land_code");
    assert_eq!(
        (names[0].as_str(), codes[0].as_str()),
        ("Schleswig-Holstein", "01")
    );
    assert_eq!((names[1].as_str(), codes[1].as_str()), ("Bayern", "09"));
}

#[test]
fn shares_of_ballots_cast_when_declared() {
    let dir = TempDir::new().unwrap();
    let mut csv = "station,registered,ballots,valid,A,B\n".to_string();
    for (_, id, reg, a, b, _) in stations(50, 13) {
        csv.push_str(&format!("{id},{reg},{},{},{a},{b}\n", a + b + 10, a + b));
    }
    write(dir.path(), "ru.csv", &csv);
    write(
        dir.path(),
        "ru.mapping.toml",
        "[station]\nkey = [\"station\"]\n[counts]\nregistered = \"registered\"\nballots_cast = \"ballots\"\nvalid = \"valid\"\n[[candidates]]\ncolumn = \"A\"\n[[candidates]]\ncolumn = \"B\"\n[options]\nshare_of = \"ballots_cast\"\n",
    );
    let run = run_ok(&dir.path().join("ru.csv"), &[]);
    let t = &run.results["totals"];
    assert_eq!(t["share_of"], "ballots_cast");
    assert_eq!(t["share_denominator"], t["ballots_cast"]);
    let report = run.file("report.md");
    assert!(
        report.contains("Leading candidates (share of ballots cast)"),
        "report"
    );
}

#[test]
fn encoding_and_delimiter_on_the_command_line_for_a_file_without_mapping() {
    let dir = TempDir::new().unwrap();
    let mut bytes = b"station_id;regi\xF3n;registered;valid;ana;bea\n".to_vec();
    for (region, id, reg, a, b, _) in stations(40, 17) {
        bytes.extend(format!("{id};{region};{reg};{};{a};{b}\n", a + b).bytes());
    }
    std::fs::write(dir.path().join("latin.csv"), &bytes).unwrap();
    let err = run_err_on(&dir.path().join("latin.csv"));
    assert!(
        err.contains("declare the encoding with --encoding on the command line"),
        "{err}"
    );
    assert!(err.contains("or in the dataset's mapping file"), "{err}");
    let run = run_ok(
        &dir.path().join("latin.csv"),
        &["--encoding", "latin1", "--delimiter", ";"],
    );
    assert_eq!(run.results["inputs"][0]["encoding"], "windows-1252");
    assert!(
        run.stderr.contains("inferred this mapping"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("candidates    ana, bea (2)"),
        "{}",
        run.stderr
    );
}

#[test]
fn totals_rows_and_title_lines_of_text_files() {
    let dir = TempDir::new().unwrap();
    let mut csv = "Resultados por mesa\nFuente: sintética\nestado,mesa,inscritos,A,B\n".to_string();
    let (mut a_total, mut reg_total) = (0, 0);
    for (region, id, reg, a, b, _) in stations(40, 19) {
        a_total += a;
        reg_total += reg;
        csv.push_str(&format!("{region},{id},{reg},{a},{b}\n"));
    }
    csv.push_str(&format!("TOTAL,,{reg_total},{a_total},0\n"));
    write(dir.path(), "mx.csv", &csv);
    write(
        dir.path(),
        "mx.mapping.toml",
        "[format]\nheader_row = 3\n[station]\nkey = [\"mesa\"]\n[[regions]]\ncolumn = \"estado\"\n[counts]\nregistered = \"inscritos\"\n[[candidates]]\ncolumn = \"A\"\n[[candidates]]\ncolumn = \"B\"\n",
    );
    let run = run_ok(&dir.path().join("mx.csv"), &[]);
    assert_eq!(candidate_total(&run, "A"), a_total);
    let rows = run.excluded_rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0].row,
            rows[0].reason.as_str(),
            rows[0].column.as_str(),
            rows[0].text.as_str()
        ),
        (44, "totals_row", "estado", "TOTAL")
    );
}

#[test]
fn inference_refuses_a_centre_level_count_and_writes_a_draft() {
    let dir = TempDir::new().unwrap();
    let mut csv = "centro,mesa,votantes,EG,NM,LM,Otros\n".to_string();
    for (_, id, _, a, b, c) in stations(90, 23) {
        let centre = id / 3;
        csv.push_str(&format!(
            "0101{centre:05},{},{},{a},{b},{c},{c}\n",
            id % 3 + 1,
            700 + centre * 5
        ));
    }
    write(dir.path(), "qr.csv", &csv);
    let out = TempDir::new().unwrap();
    let err = run_err(&[
        OsStr::new("--input"),
        dir.path().join("qr.csv").as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
        OsStr::new("-q"),
    ]);
    assert!(
        err.contains("the count \"votantes\" is identical across the tables of the same centro"),
        "{err}"
    );
    assert!(
        err.contains("the inferred mapping is doubtful and was not used"),
        "{err}"
    );
    let draft = std::fs::read_to_string(out.path().join("qr.mapping.draft.toml")).unwrap();
    assert!(
        draft.contains("\"Otros\" (the other candidates together)"),
        "{draft}"
    );
}

// ---------------------------------------------------------------------------------------------
// Spreadsheets (committed fixtures, see tests/fixtures/spreadsheets/README.md)
// ---------------------------------------------------------------------------------------------

/// Column sums of a fixture's `<name>.expected.csv`, by header.
fn expected_sums(name: &str) -> std::collections::BTreeMap<String, u64> {
    let text = std::fs::read_to_string(fixture("spreadsheets", name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut sums = std::collections::BTreeMap::new();
    for line in lines {
        for (h, v) in header.iter().zip(line.split(',')) {
            if let Ok(n) = v.parse::<u64>() {
                *sums.entry(h.to_string()).or_insert(0) += n;
            }
        }
    }
    sums
}

/// A temporary folder holding a copy of a spreadsheet fixture (and optionally its mapping).
fn sheet_folder(file: &str, mapping: Option<&str>) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new().unwrap();
    let to = dir.path().join(file);
    std::fs::copy(fixture("spreadsheets", file), &to).unwrap();
    if let Some(m) = mapping {
        let stem = file.split('.').next().unwrap();
        write(dir.path(), &format!("{stem}.mapping.toml"), m);
    }
    (dir, to)
}

const ACTAS_MAPPING: &str = r#"
[format]
sheet = "Resultados"
thousands_separator = "."

[station]
key = ["Centro", "Mesa"]

[[regions]]
column = "Ubicación Estado"
level = "estado"

[[regions]]
column = "Ubicación Municipio"
level = "municipio"

[counts]
registered = "Electores"
ballots_cast = "Votantes"
null = "Nulos"

[[candidates]]
column = "Votos Ana Acosta"
name = "Ana Acosta"

[[candidates]]
column = "Votos Bruno Díaz"
name = "Bruno Díaz"

[[candidates]]
column = "Votos Carla Ruiz"
name = "Carla Ruiz"
"#;

#[test]
fn an_authority_shaped_xlsx_reads_with_its_title_rows_merged_header_and_totals_row() {
    let (_dir, input) = sheet_folder("actas_2024.xlsx", Some(ACTAS_MAPPING));
    let run = run_ok(&input, &[]);
    let want = expected_sums("actas_2024.expected.csv");
    let t = &run.results["totals"];
    assert_eq!(t["stations"], 40);
    assert_eq!(
        t["registered"], want["electores"],
        "text counts with '.' separators"
    );
    assert_eq!(t["ballots_cast"], want["votantes"]);
    assert_eq!(t["null"], want["nulos"]);
    assert_eq!(candidate_total(&run, "Ana Acosta"), want["ana"]);
    assert_eq!(candidate_total(&run, "Bruno Díaz"), want["bruno"]);
    assert_eq!(candidate_total(&run, "Carla Ruiz"), want["carla"]);
    // The totals row is excluded with its reason and its row as the spreadsheet shows it.
    let rows = run.excluded_rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0].row,
            rows[0].reason.as_str(),
            rows[0].column.as_str(),
            rows[0].text.as_str()
        ),
        (47, "totals_row", "Ubicación Estado", "TOTAL")
    );
    assert_eq!(
        run.results["inputs"][0]["format"],
        "xlsx, sheet \"Resultados\" (2 of 2), header rows 4–5"
    );
    // Without [format] sheet the fullest sheet is read, the same one.
    let (_dir, input) = sheet_folder(
        "actas_2024.xlsx",
        Some(&ACTAS_MAPPING.replace("sheet = \"Resultados\"\n", "")),
    );
    let again = run_ok(&input, &[]);
    assert_eq!(again.results["totals"], run.results["totals"]);
}

#[test]
fn the_same_xlsx_without_mapping_stops_on_its_thousands_separator_with_a_draft() {
    let (_dir, input) = sheet_folder("actas_2024.xlsx", None);
    let out = TempDir::new().unwrap();
    let err = run_err(&[
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
        OsStr::new("-q"),
    ]);
    assert!(err.contains("count cells such as \""), "{err}");
    assert!(err.contains("thousands_separator = \".\""), "{err}");
    let draft = std::fs::read_to_string(out.path().join("actas_2024.mapping.draft.toml")).unwrap();
    assert!(draft.contains("thousands_separator = \".\""), "{draft}");
    assert!(draft.contains("\"Votos Ana Acosta\""), "{draft}");
    assert!(draft.contains("column = \"Ubicación Estado\""), "{draft}");
}

#[test]
fn ods_and_xls_sheets_are_read_and_their_mappings_inferred() {
    for (file, expected) in [
        ("mesas.ods", "mesas.expected.csv"),
        ("legacy.xls", "legacy.expected.csv"),
    ] {
        let (_dir, input) = sheet_folder(file, None);
        let run = run_ok(&input, &[]);
        let want = expected_sums(expected);
        let t = &run.results["totals"];
        assert_eq!(t["registered"], want["registered"], "{file}");
        assert_eq!(t["ballots_cast"], want["ballots_cast"], "{file}");
        assert_eq!(candidate_total(&run, "cand_a"), want["cand_a"], "{file}");
        assert_eq!(run.results["ledger"]["rows_excluded"], 0, "{file}");
        assert!(
            run.stderr.contains("inferred this mapping"),
            "{}",
            run.stderr
        );
    }
    let (_dir, input) = sheet_folder("mesas.ods", None);
    let run = run_ok(&input, &[]);
    assert_eq!(
        run.results["inputs"][0]["format"],
        "ods, sheet \"Mesas\" (1 of 1), header row 2"
    );
}

#[test]
fn a_missing_sheet_lists_the_sheets() {
    let (_dir, input) = sheet_folder(
        "actas_2024.xlsx",
        Some(&ACTAS_MAPPING.replace("sheet = \"Resultados\"", "sheet = \"Hoja1\"")),
    );
    let err = run_err_on(&input);
    assert!(
        err.contains("no sheet \"Hoja1\" for [format] sheet; the workbook's sheets are \"Portada\", \"Resultados\""),
        "{err}"
    );
}

#[test]
fn binary_files_that_are_not_tables_are_named() {
    let (_dir, pdf) = sheet_folder("not_a_table.pdf", None);
    let err = run_err_on(&pdf);
    assert!(
        err.contains("this is a PDF document, not a table of results"),
        "{err}"
    );
    // A zip under a data file's name.
    let dir = TempDir::new().unwrap();
    let csv = dir.path().join("results.csv");
    std::fs::copy(fixture("spreadsheets", "archive.zip"), &csv).unwrap();
    let err = run_err_on(&csv);
    assert!(
        err.contains("this is a zip archive, not a table of results"),
        "{err}"
    );
    assert!(err.contains("extract the archive"), "{err}");
}

#[test]
fn damaged_workbooks_are_one_line_errors() {
    let dir = TempDir::new().unwrap();
    let whole = std::fs::read(fixture("spreadsheets", "actas_2024.xlsx")).unwrap();
    std::fs::write(dir.path().join("cut.xlsx"), &whole[..whole.len() / 2]).unwrap();
    let err = run_err_on(&dir.path().join("cut.xlsx"));
    assert!(err.contains("cut.xlsx: "), "{err}");
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(dir.path().join("garbage.xls"), &ole).unwrap();
    let err = run_err_on(&dir.path().join("garbage.xls"));
    assert!(err.contains("garbage.xls: "), "{err}");
}
