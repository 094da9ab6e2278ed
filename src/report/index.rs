//! The folder run's index: `output/index.md`, `output/index.json` and `output/index.html`, one line
//! per dataset of the run, then the datasets that failed (with their one-line error), the dataset
//! folders already in the output folder that this run did not rewrite, and the ignored files.
//! Written atomically (temp file + rename, never through a symbolic link:
//! `paths::write_file_atomic`).

use std::path::Path;

use serde::Serialize;

use super::markdown::escape;
use super::TOOL;
use crate::text::fmt_int;

/// What the index shows for one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct IndexEntry {
    pub dataset: String,
    pub folder: String,
    pub stations: u64,
    pub rows_read: u64,
    pub rows_excluded: u64,
    /// Stations kept but flagged by the consistency checks.
    pub flagged: u64,
    /// Stations singled out by forensic tests (`flagged_stations.csv`).
    pub flagged_by_tests: u64,
    pub deviating: usize,
    pub tested: usize,
}

#[derive(Serialize)]
struct Failed<'a> {
    dataset: &'a str,
    error: &'a str,
}

#[derive(Serialize)]
struct IndexJson<'a> {
    tool: &'static str,
    version: &'static str,
    datasets: &'a [IndexEntry],
    failed: Vec<Failed<'a>>,
    /// Dataset folders in the output folder that this run did not rewrite.
    not_rewritten: &'a [String],
    ignored: &'a [String],
}

/// The run summary as JSON (`index.json`, and `--json` on stdout).
pub fn json(entries: &[IndexEntry], failed: &[(String, String)]) -> anyhow::Result<String> {
    render_json(entries, failed, &[], &[])
}

fn render_json(
    entries: &[IndexEntry],
    failed: &[(String, String)],
    not_rewritten: &[String],
    ignored: &[String],
) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&IndexJson {
        tool: TOOL.name,
        version: TOOL.version,
        datasets: entries,
        failed: failed
            .iter()
            .map(|(d, e)| Failed {
                dataset: d,
                error: e,
            })
            .collect(),
        not_rewritten,
        ignored,
    })? + "\n")
}

/// Folders of `output` holding a `results.json` that are not among this run's datasets.
fn other_dataset_folders(output: &Path, entries: &[IndexEntry]) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(output) else {
        return vec![];
    };
    let mut out: Vec<String> = dir
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("results.json").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|name| !name.starts_with('.') && !entries.iter().any(|x| &x.folder == name))
        .collect();
    out.sort();
    out
}

pub fn write(
    output: &Path,
    entries: &[IndexEntry],
    failed: &[(String, String)],
    ignored: &[String],
) -> anyhow::Result<()> {
    let others = other_dataset_folders(output, entries);
    let mut s = format!(
        "# Election forensics: datasets\n\n{} {}. The datasets of this run, then those that failed and the dataset folders of earlier runs still in this folder.\n\n",
        TOOL.name, TOOL.version
    );
    s.push_str("| dataset | stations analysed | rows read | rows excluded | stations flagged (consistency / tests) | findings deviating / tested | report |\n|---|---|---|---|---|---|---|\n");
    for e in entries {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} / {} | {} / {} | [report]({}/report.md) · [html]({}/report.html) · [findings]({}/findings.csv) |\n",
            escape(&e.dataset),
            fmt_int(e.stations),
            fmt_int(e.rows_read),
            fmt_int(e.rows_excluded),
            fmt_int(e.flagged),
            fmt_int(e.flagged_by_tests),
            e.deviating,
            e.tested,
            e.folder,
            e.folder,
            e.folder
        ));
    }
    if !failed.is_empty() {
        s.push_str("\n## Failed: not analysed\n\n");
        for (d, e) in failed {
            s.push_str(&format!("- **{}**: {}\n", escape(d), escape(e)));
        }
    }
    if !others.is_empty() {
        s.push_str("\n## Not rewritten by this run\n\nDataset folders from earlier runs, left as they were:\n\n");
        for f in &others {
            s.push_str(&format!("- [{}]({}/report.md)\n", escape(f), f));
        }
    }
    if !ignored.is_empty() {
        s.push_str(
            "\nFiles in the input folder that are not tally data or mappings (ignored):\n\n",
        );
        for f in ignored {
            s.push_str(&format!("- {}\n", escape(f)));
        }
    }
    super::paths::write_file_atomic(output, "index.md", s.as_bytes())?;
    super::paths::write_file_atomic(
        output,
        "index.json",
        render_json(entries, failed, &others, ignored)?.as_bytes(),
    )?;
    super::paths::write_file_atomic(
        output,
        "index.html",
        html(entries, failed, &others, ignored).as_bytes(),
    )
}

fn html(
    entries: &[IndexEntry],
    failed: &[(String, String)],
    others: &[String],
    ignored: &[String],
) -> String {
    use super::html::escape as h;
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Election forensics: datasets</title>\n<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1a1a1a}}table{{border-collapse:collapse}}th,td{{border:1px solid #ccc;padding:0.3em 0.6em;text-align:left}}th{{background:#f3f3f3}}td.n{{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}}.dev{{background:#fde2e1}}</style>\n</head>\n<body>\n<h1>Election forensics: datasets</h1>\n<p>{} {}. The datasets of this run, then those that failed and the dataset folders of earlier runs still in this folder.</p>\n",
        TOOL.name, TOOL.version
    );
    s.push_str("<table>\n<thead><tr><th>dataset</th><th>stations analysed</th><th>rows read</th><th>rows excluded</th><th>stations flagged (consistency / tests)</th><th>findings deviating / tested</th><th>outputs</th></tr></thead>\n<tbody>\n");
    for e in entries {
        let folder = h(&e.folder);
        s.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} / {}</td><td class=\"n{}\">{} / {}</td><td><a href=\"{folder}/report.html\">report</a> · <a href=\"{folder}/report.md\">md</a> · <a href=\"{folder}/findings.csv\">findings.csv</a> · <a href=\"{folder}/results.json\">results.json</a></td></tr>\n",
            h(&e.dataset),
            fmt_int(e.stations),
            fmt_int(e.rows_read),
            fmt_int(e.rows_excluded),
            fmt_int(e.flagged),
            fmt_int(e.flagged_by_tests),
            if e.deviating > 0 { " dev" } else { "" },
            e.deviating,
            e.tested
        ));
    }
    s.push_str("</tbody>\n</table>\n");
    if !failed.is_empty() {
        s.push_str("<h2>Failed: not analysed</h2>\n<ul>\n");
        for (d, e) in failed {
            s.push_str(&format!("<li><strong>{}</strong>: {}</li>\n", h(d), h(e)));
        }
        s.push_str("</ul>\n");
    }
    if !others.is_empty() {
        s.push_str("<h2>Not rewritten by this run</h2>\n<ul>\n");
        for f in others {
            s.push_str(&format!(
                "<li><a href=\"{0}/report.html\">{0}</a></li>\n",
                h(f)
            ));
        }
        s.push_str("</ul>\n");
    }
    if !ignored.is_empty() {
        s.push_str("<h2>Ignored files</h2>\n<ul>\n");
        for f in ignored {
            s.push_str(&format!("<li>{}</li>\n", h(f)));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</body>\n</html>\n");
    s
}
