//! The layering invariant of ARCHITECTURE.md, checked on the source tree: every `crate::<module>`
//! path in `src/` points to a module its own module may import. A change that makes a forensic
//! test depend on the renderer, or the figure specs on the loader, fails here with the file, the
//! line and the rule it breaks.
//!
//! Layers, lowest first (a module may import its own layer's modules where the table says so, and
//! any module of a lower layer in its row):
//!
//! | layer | modules | may import |
//! |---|---|---|
//! | foundation | `text`, `stats`, `figure`, `finding` | `text`; `finding` also `figure`; `figure` also `text` |
//! | loading | `input`, `mapping`, `announcement`, `tally` | foundation, each other |
//! | generator | `simulate` | foundation |
//! | battery | `forensics` | foundation, `mapping`, `announcement`, `tally` (not `input`) |
//! | above the battery | `power` | battery, generator, foundation, `tally` |
//! | renderers | `plot` | `figure`, `text` only |
//! | reports | `report` | everything below but `input` and `simulate` |
//! | wiring | `pipeline`, `config`, `cli`, `main`, `lib` | anything |

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const FOUNDATION: &[&str] = &["text", "stats", "figure", "finding"];
const LOADING: &[&str] = &["input", "mapping", "announcement", "tally"];

/// The modules `module` may import (`None`: no restriction).
fn allowed(module: &str) -> Option<BTreeSet<&'static str>> {
    let set = |parts: &[&[&'static str]]| parts.iter().flat_map(|p| p.iter().copied()).collect();
    Some(match module {
        "text" => set(&[]),
        "stats" | "figure" => set(&[&["text"]]),
        "finding" => set(&[&["text", "figure"]]),
        "input" | "mapping" | "announcement" | "tally" => set(&[FOUNDATION, LOADING]),
        "simulate" => set(&[FOUNDATION]),
        "forensics" => set(&[FOUNDATION, &["mapping", "announcement", "tally"]]),
        "power" => set(&[
            FOUNDATION,
            &["mapping", "announcement", "tally", "forensics", "simulate"],
        ]),
        "plot" => set(&[&["figure", "text"]]),
        "report" => set(&[
            FOUNDATION,
            &[
                "mapping",
                "announcement",
                "tally",
                "forensics",
                "power",
                "plot",
            ],
        ]),
        "pipeline" | "config" | "cli" | "main" | "lib" => return None,
        other => panic!(
            "module {other} has no row in the layering table: add it (and to ARCHITECTURE.md)"
        ),
    })
}

/// Top-level module of a file under `src/`.
fn module_of(rel: &Path) -> String {
    let first = rel.components().next().expect("non-empty path");
    let first = first.as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// `crate::<module>` targets on each line of `text`, including grouped imports
/// (`use crate::{a, b::c}`). Comments are skipped: they may name any module.
fn imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = &rest[..at];
            let tail = &rest[at + "crate::".len()..];
            // `election_forensics::` and `some_crate::` are not ours.
            let ours =
                before.is_empty() || !before.ends_with(|c: char| c.is_alphanumeric() || c == '_');
            if ours {
                if let Some(group) = tail.strip_prefix('{') {
                    let group = group.split('}').next().unwrap_or("");
                    for item in group.split(',') {
                        let name: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() {
                            out.push((i + 1, name));
                        }
                    }
                } else {
                    let name: String = tail
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push((i + 1, name));
                }
            }
            rest = tail;
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every import that breaks the table, as `file:line: <module> imports <target> (...)`.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).expect("under src");
        let module = module_of(rel);
        let Some(ok) = allowed(&module) else { continue };
        let text = std::fs::read_to_string(&file).expect("read source");
        for (line, target) in imports(&text) {
            if target != module && !ok.contains(target.as_str()) {
                out.push(format!(
                    "src/{}:{line}: {module} imports crate::{target}, which sits above it \
                     (allowed: {})",
                    rel.display(),
                    ok.iter().copied().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    out
}

#[test]
fn every_import_points_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let v = violations(&src);
    assert!(
        v.is_empty(),
        "imports against the layering:\n{}",
        v.join("\n")
    );
}

#[test]
fn the_check_catches_an_import_that_runs_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("forensics/digits")).expect("mkdir");
    std::fs::write(
        src.join("forensics/digits/last_digit.rs"),
        "// crate::report in a comment is fine\nuse crate::tally::Tally;\nuse crate::report::fmt_p;\n",
    )
    .expect("write");
    std::fs::write(
        src.join("figure.rs"),
        "use crate::{text::hex, input::RawTable};\nfn f() { election_forensics::input::x(); }\n",
    )
    .expect("write");
    std::fs::write(
        src.join("pipeline.rs"),
        "use crate::report::write_dataset;\n",
    )
    .expect("write");
    let v = violations(src);
    assert_eq!(v.len(), 2, "{v:#?}");
    assert!(
        v[0].starts_with("src/figure.rs:1: figure imports crate::input"),
        "{}",
        v[0]
    );
    assert!(
        v[1].starts_with("src/forensics/digits/last_digit.rs:3: forensics imports crate::report"),
        "{}",
        v[1]
    );
}
