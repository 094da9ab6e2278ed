//! Hostile names end to end: a dataset whose name, station keys, region names, region level and
//! candidate names are markup, formulas, links and paths runs through the `analyze` binary, and
//! every output shows them as text: escaped in report.html, report.md and index.md, formula-
//! neutralised in every CSV, never a path. Symbolic links planted in the output folder are
//! replaced, never followed, and the inputs are never replaced or written beside.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_analyze");

const SCRIPT: &str = "<script>alert(1)</script>";
const DATASET: &str = "../../etc/<script>|x";
const CANDIDATES: [&str; 3] = [
    SCRIPT,
    "=HYPERLINK(\"http://e\",\"x\")|[x](http://e)",
    "`x` ../..\\win\\..",
];
const REGIONS: [&str; 4] = [
    "<img src=x onerror=alert(1)>",
    "a|b [y](http://e) *z*",
    "../../etc",
    "@SUM(1+1)\\C:\\x",
];
const LEVEL: &str = "<b>level</b>|/..";

fn analyze<S: AsRef<OsStr>>(args: &[S], cwd: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("cannot start the analyze binary")
}

/// Every path under `root` (relative, `/`-separated, links not followed), with `d`/`f`/`l`.
fn listing(root: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            let kind = if t.is_symlink() {
                "l"
            } else if t.is_dir() {
                "d"
            } else {
                "f"
            };
            out.insert(format!("{kind} {rel}"));
            if t.is_dir() {
                walk(root, &e.path(), out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn toml_str(s: &str) -> String {
    format!("{s:?}")
}

/// The hostile dataset in `dir`: 4 regions × 40 stations, one station whose candidates do not add
/// up to its valid votes (flagged), and rows excluded with formulas and markup in their cells.
fn hostile_dataset(dir: &Path) -> PathBuf {
    let mut csv = format!(
        "region,station,registered,valid,null,{}\n",
        ["c1", "c2", "c3"].join(",")
    );
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |lo: u64, hi: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        lo + x % (hi - lo)
    };
    let mut n = 0;
    for region in REGIONS {
        for _ in 0..40 {
            n += 1;
            let (a, b, c) = (next(100, 600), next(50, 400), next(10, 90));
            let null = next(0, 9);
            let registered = a + b + c + null + next(20, 300);
            let key = match n % 4 {
                0 => format!("=1+1 #{n}"),
                1 => format!("<script>s{n}</script>"),
                2 => format!("[k{n}](http://e)|"),
                _ => format!("-{n}+cmd|' /C calc'!A0"),
            };
            let valid = if n == 7 { a + b + c + 5 } else { a + b + c };
            csv.push_str(&format!(
                "{},{},{registered},{valid},{null},{a},{b},{c}\n",
                quote(region),
                quote(&key)
            ));
        }
    }
    // Excluded rows whose cells are formulas and markup.
    csv.push_str(&format!(
        "{},{},100,80,0,{},30,0\n",
        quote(REGIONS[0]),
        quote("x1"),
        quote("=HYPERLINK(\"http://e\")")
    ));
    csv.push_str(&format!(
        "{},{},100,80,0,50,{},0\n",
        quote(REGIONS[1]),
        quote("x2"),
        quote(SCRIPT)
    ));
    std::fs::write(dir.join("hostile.csv"), csv).unwrap();
    let mut mapping = format!(
        "[dataset]\nname = {}\n\n[station]\nkey = [\"station\"]\n\n[[regions]]\ncolumn = \"region\"\nlevel = {}\n\n[counts]\nregistered = \"registered\"\nvalid = \"valid\"\nnull = \"null\"\n",
        toml_str(DATASET),
        toml_str(LEVEL)
    );
    for (i, name) in CANDIDATES.iter().enumerate() {
        mapping.push_str(&format!(
            "\n[[candidates]]\ncolumn = \"c{}\"\nname = {}\n",
            i + 1,
            toml_str(name)
        ));
    }
    std::fs::write(dir.join("hostile.mapping.toml"), mapping).unwrap();
    dir.join("hostile.csv")
}

/// Run the hostile dataset (already in `root/in`) into `root/out` with a few fast tests; return
/// the dataset folder.
fn run_hostile(root: &Path) -> PathBuf {
    let input = root.join("in");
    let out = root.join("out");
    let o = analyze(
        &[
            OsStr::new("--input"),
            input.as_os_str(),
            OsStr::new("--output"),
            out.as_os_str(),
            OsStr::new("-q"),
            OsStr::new("--replicates"),
            OsStr::new("50"),
            OsStr::new("--tests"),
            OsStr::new("last_digit,extreme_stations,turnout_distribution"),
        ],
        root,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out.join(election_forensics::report::safe_name(DATASET))
}

fn prepare(root: &Path) {
    std::fs::create_dir_all(root.join("in")).unwrap();
    hostile_dataset(&root.join("in"));
}

/// Unescaped `|` in a Markdown table line (cells are separated by them).
fn pipes(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        if c == '|' && !escaped {
            n += 1;
        }
        escaped = c == '\\' && !escaped;
    }
    n
}

/// A `<` opening a tag (before a letter, `/` or `!`) without the backslash that makes it text.
fn has_raw_tag(line: &str) -> bool {
    let c: Vec<char> = line.chars().collect();
    (0..c.len()).any(|i| {
        c[i] == '<'
            && c.get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!'))
            && (i == 0 || c[i - 1] != '\\')
    })
}

/// A CSV cell a spreadsheet would run as a formula.
fn formula(cell: &str) -> bool {
    let t = cell.trim_start_matches(' ');
    (cell.starts_with(['\t', '\r', '\n']) || t.starts_with(['=', '+', '-', '@', '\t', '\r']))
        && cell.parse::<f64>().is_err()
}

#[test]
fn hostile_names_are_text_in_every_output_and_never_a_path() {
    let root = TempDir::new().unwrap();
    prepare(root.path());
    let before = listing(root.path());
    let dir = run_hostile(root.path());

    // Paths: one safe dataset folder, every file name made of safe characters, nothing written
    // outside `out/` (the input folder and the root hold exactly what they held).
    let folder = dir.file_name().unwrap().to_str().unwrap().to_string();
    assert!(folder.starts_with("etc-script-x__"), "{folder}");
    let mut after = listing(root.path());
    after.retain(|p| p[2..] != *"out" && !p[2..].starts_with("out/"));
    assert_eq!(after, before, "nothing outside the output folder changed");
    let outputs = listing(&root.path().join("out"));
    for p in &outputs {
        let name = p[2..].rsplit('/').next().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')),
            "unsafe output name {p:?}"
        );
        assert!(!p.starts_with('l'), "no links in the outputs: {p}");
    }
    assert!(outputs
        .iter()
        .any(|p| p.contains("/figures/") && p.ends_with(".png")));

    // HTML: every name shows as text.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("<script"), "raw script tag in report.html");
    assert!(!html.contains("<img src=x"), "raw img tag in report.html");
    assert!(!html.contains("<b>level"), "raw b tag in report.html");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("=HYPERLINK(&quot;http://e&quot;,&quot;x&quot;)|[x](http://e)"));
    assert!(
        html.contains("../../etc/&lt;script&gt;|x"),
        "dataset name as the title"
    );

    // Markdown: escaped names, tables whose rows all have the header's number of cells.
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let raw: Vec<&str> = md.lines().filter(|l| has_raw_tag(l)).collect();
    assert!(raw.is_empty(), "raw tags in report.md: {raw:?}");
    assert!(md.contains("\\<script\\>alert(1)\\</script\\>"));
    assert!(md.contains("=HYPERLINK(\"http\\://e\",\"x\")\\|\\[x\\](http\\://e)"));
    assert!(md.contains("\\`x\\` ../..\\\\win\\\\.."));
    assert!(md.contains("\\<img src=x onerror=alert(1)\\>"));
    assert!(md.contains("a\\|b \\[y\\](http\\://e) \\*z\\*"));
    assert!(!md.contains("](http://e)"), "no link in report.md");
    let mut table_cells = None;
    let mut tables = 0;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = pipes(line);
            match table_cells {
                None => {
                    table_cells = Some(n);
                    tables += 1;
                }
                Some(m) => assert_eq!(n, m, "a row with a different number of cells: {line}"),
            }
        } else {
            table_cells = None;
        }
    }
    assert!(tables >= 3, "report.md has tables");
    for name in REGIONS.iter().chain(&CANDIDATES) {
        let escaped = election_forensics::report::markdown::escape(name);
        assert!(
            md.contains(&escaped),
            "{name:?} appears escaped in report.md"
        );
    }

    // index.md: the dataset name escaped, the link to the safe folder.
    let index = std::fs::read_to_string(root.path().join("out/index.md")).unwrap();
    assert!(index.contains("../../etc/\\<script\\>\\|x"), "{index}");
    assert!(index.contains(&format!("]({folder}/report.md)")), "{index}");

    // CSV: no cell a spreadsheet would run, and the neutralised forms are there.
    for name in ["flagged_stations.csv", "excluded_rows.csv"] {
        let mut r = csv::Reader::from_path(dir.join(name)).unwrap();
        let mut cells = Vec::new();
        for rec in r.records() {
            cells.extend(rec.unwrap().iter().map(str::to_string));
        }
        assert!(!cells.is_empty(), "{name} has rows");
        for c in &cells {
            assert!(!formula(c), "{name}: formula cell {c:?}");
        }
    }
    let flagged = std::fs::read_to_string(dir.join("flagged_stations.csv")).unwrap();
    assert!(flagged.contains("'-7+cmd|' /C calc'!A0"), "{flagged}");
    let excluded = std::fs::read_to_string(dir.join("excluded_rows.csv")).unwrap();
    assert!(
        excluded.contains("\"'=HYPERLINK(\"\"http://e\"\")\""),
        "{excluded}"
    );
    assert!(
        excluded.contains(SCRIPT),
        "markup is data in a CSV: kept as is"
    );

    // mapping.toml: the names stay TOML strings, the file reads back.
    let mapping = std::fs::read_to_string(dir.join("mapping.toml")).unwrap();
    let m: toml::Value = toml::from_str(&mapping).unwrap();
    assert_eq!(m["dataset"]["name"].as_str(), Some(DATASET));
}

#[cfg(unix)]
#[test]
fn links_planted_in_the_output_folder_are_replaced_not_followed() {
    let root = TempDir::new().unwrap();
    let victim = root.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("keep.txt"), "keep").unwrap();
    let victim_file = root.path().join("victim.txt");
    std::fs::write(&victim_file, "keep").unwrap();
    let out = root.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let folder = election_forensics::report::safe_name(DATASET);
    std::os::unix::fs::symlink(&victim, out.join(&folder)).unwrap();
    std::os::unix::fs::symlink(&victim_file, out.join("index.md")).unwrap();
    let before = listing(&victim);
    prepare(root.path());
    let dir = run_hostile(root.path());
    assert_eq!(listing(&victim), before, "nothing written through the link");
    assert_eq!(std::fs::read_to_string(&victim_file).unwrap(), "keep");
    assert!(
        std::fs::symlink_metadata(&dir).unwrap().is_dir(),
        "link replaced by a folder"
    );
    assert!(dir.join("report.html").is_file());
    let index = std::fs::symlink_metadata(out.join("index.md")).unwrap();
    assert!(index.is_file(), "index.md link replaced by a file");
}

#[cfg(unix)]
#[test]
fn a_draft_mapping_is_not_written_through_a_link() {
    let root = TempDir::new().unwrap();
    let input = root.path().join("in");
    std::fs::create_dir(&input).unwrap();
    // Columns that cannot be inferred: a draft mapping is written for the user to complete.
    std::fs::write(input.join("odd.csv"), "foo,bar\n1,2\n3,4\n").unwrap();
    let victim = root.path().join("victim.txt");
    std::fs::write(&victim, "keep").unwrap();
    let out = root.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&victim, out.join("odd.mapping.draft.toml")).unwrap();
    let o = analyze(
        &[
            OsStr::new("--input"),
            input.as_os_str(),
            OsStr::new("--output"),
            out.as_os_str(),
        ],
        root.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    let draft = out.join("odd.mapping.draft.toml");
    assert!(std::fs::symlink_metadata(&draft).unwrap().is_file());
    assert!(std::fs::read_to_string(draft)
        .unwrap()
        .contains("DRAFT mapping"));
}

/// `--output` above the input folder, with a dataset named like that folder: the dataset folder
/// would replace the inputs. Refused, and the inputs are intact.
#[test]
fn a_dataset_folder_never_replaces_the_input_folder() {
    let root = TempDir::new().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("t.csv"),
        "region,station,registered,valid,null,ana,bea\nN,1,100,80,2,50,30\nS,2,120,90,1,60,30\n",
    )
    .unwrap();
    // `mapping.toml` in a folder names the dataset after the folder: "data".
    std::fs::write(
        data.join("mapping.toml"),
        "[station]\nkey = [\"station\"]\n[[regions]]\ncolumn = \"region\"\n[counts]\nregistered = \"registered\"\nvalid = \"valid\"\nnull = \"null\"\n[[candidates]]\ncolumn = \"ana\"\n[[candidates]]\ncolumn = \"bea\"\n",
    )
    .unwrap();
    let before = listing(&data);
    let o = analyze(
        &[
            OsStr::new("--input"),
            data.as_os_str(),
            OsStr::new("--output"),
            root.path().as_os_str(),
            OsStr::new("-q"),
        ],
        root.path(),
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("would replace the input"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(listing(&data), before, "the inputs are intact");
}

/// A single input file with `--output` its own folder: refused like an input folder.
#[test]
fn the_folder_of_a_single_input_file_is_refused_as_output() {
    let root = TempDir::new().unwrap();
    let file = root.path().join("t.csv");
    std::fs::write(&file, "station,ana\n1,2\n").unwrap();
    let before = listing(root.path());
    let o = analyze(
        &[
            OsStr::new("--input"),
            file.as_os_str(),
            OsStr::new("--output"),
            root.path().as_os_str(),
        ],
        root.path(),
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is the input folder"), "{stderr}");
    assert_eq!(listing(root.path()), before);
}

/// Datasets whose names coincide once sanitised (`a/b`, `a_b`) or ignoring case (`A`, `a`) get
/// distinct folders: no dataset overwrites another.
#[test]
fn names_that_collide_once_sanitised_get_distinct_folders() {
    let root = TempDir::new().unwrap();
    let input = root.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let data =
        "region,station,registered,valid,null,ana,bea\nN,1,100,80,2,50,30\nS,2,120,90,1,60,30\n";
    let names = ["a/b", "a_b", "A", "a", "CON", "..", "line\nbreak"];
    for (i, name) in names.iter().enumerate() {
        std::fs::write(input.join(format!("d{i}.csv")), data).unwrap();
        std::fs::write(
            input.join(format!("d{i}.mapping.toml")),
            format!("[dataset]\nname = {}\n[station]\nkey = [\"station\"]\n[[regions]]\ncolumn = \"region\"\n[counts]\nregistered = \"registered\"\nvalid = \"valid\"\nnull = \"null\"\n[[candidates]]\ncolumn = \"ana\"\n[[candidates]]\ncolumn = \"bea\"\n", toml_str(name)),
        )
        .unwrap();
    }
    let out = root.path().join("out");
    let o = analyze(
        &[
            OsStr::new("--input"),
            input.as_os_str(),
            OsStr::new("--output"),
            out.as_os_str(),
            OsStr::new("-q"),
            OsStr::new("--tests"),
            OsStr::new("last_digit"),
        ],
        root.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let folders: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), names.len(), "{folders:?}");
    let lower: BTreeSet<String> = folders.iter().map(|f| f.to_ascii_lowercase()).collect();
    assert_eq!(
        lower.len(),
        names.len(),
        "distinct ignoring case: {folders:?}"
    );
    for f in &folders {
        let json = std::fs::read_to_string(out.join(f).join("results.json")).unwrap();
        assert!(json.contains("\"rows_read\": 2"), "{f}");
    }
    assert!(listing(root.path())
        .iter()
        .all(|p| p.contains(" in") || p.contains(" out")));
}

/// Run `analyze` on `input` with `extra` options and expect one `error:` line and exit code 2.
fn refused(input: &Path, extra: &[&str]) -> String {
    let out = TempDir::new().unwrap();
    let mut args = vec![
        OsStr::new("--input"),
        input.as_os_str(),
        OsStr::new("--output"),
        out.path().as_os_str(),
        OsStr::new("-q"),
    ];
    args.extend(extra.iter().map(OsStr::new));
    let o = analyze(&args, out.path());
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    stderr
}

/// Files over the size or row limits, and a gzip bomb, are refused naming the limit and the
/// option that raises it; decompression stops at the limit.
#[test]
fn inputs_over_the_limits_are_refused_naming_the_option() {
    let dir = TempDir::new().unwrap();
    let rows = "region,station,registered,valid,null,ana,bea\nN,1,100,80,2,50,30\nN,2,120,90,1,60,30\nS,3,90,70,0,40,30\n";
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, rows).unwrap();
    let err = refused(&csv, &["--max-input-bytes", "100"]);
    assert!(
        err.contains(
            "t.csv: the file is 101 bytes, over the input limit of 100 bytes (--max-input-bytes)"
        ),
        "{err}"
    );
    assert!(err.contains("raise it, e.g. --max-input-bytes 1M"), "{err}");
    let err = refused(&csv, &["--max-rows", "2"]);
    assert!(
        err.contains("t.csv: more than 2 data rows, the limit (--max-rows 2)"),
        "{err}"
    );
    assert!(err.contains("--max-rows 4"), "{err}");
    // 1 GiB of zeros in a 1 MB gzip file: one member of 1 MiB of zeros, repeated 1,024 times.
    let bomb = dir.path().join("bomb.csv.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut e, &vec![b'0'; 1 << 20]).unwrap();
    let member = e.finish().unwrap();
    std::fs::write(&bomb, member.repeat(1024)).unwrap();
    let started = std::time::Instant::now();
    let err = refused(&bomb, &["--max-input-bytes", "10M"]);
    assert!(err.contains("bomb.csv.gz: the file decompresses to more than 10.0 MiB, over the input limit of 10.0 MiB (--max-input-bytes)"), "{err}");
    assert!(started.elapsed().as_secs() < 20, "stopped at the limit");
    let o = analyze(
        &[OsStr::new("--max-input-bytes"), OsStr::new("12X")],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown size suffix"));
}
