//! `output/index.md`: one line per dataset of the run, written atomically (temp file + rename,
//! never through a symbolic link: `paths::write_file_atomic`).

use std::path::Path;

use super::markdown::escape;
use super::TOOL;
use crate::text::fmt_int;

/// What the index shows for one dataset.
pub struct IndexEntry {
    pub dataset: String,
    pub folder: String,
    pub stations: u64,
    pub rows_read: u64,
    pub rows_excluded: u64,
    pub flagged: u64,
    pub deviating: usize,
    pub tested: usize,
}

pub fn write(output: &Path, entries: &[IndexEntry], ignored: &[String]) -> anyhow::Result<()> {
    let mut s = format!(
        "# Election forensics: datasets\n\n{} {}\n\n",
        TOOL.name, TOOL.version
    );
    s.push_str("| dataset | stations analysed | rows read | rows excluded | stations flagged | findings deviating / tested | report |\n|---|---|---|---|---|---|---|\n");
    for e in entries {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} / {} | [report]({}/report.md) · [html]({}/report.html) |\n",
            escape(&e.dataset),
            fmt_int(e.stations),
            fmt_int(e.rows_read),
            fmt_int(e.rows_excluded),
            fmt_int(e.flagged),
            e.deviating,
            e.tested,
            e.folder,
            e.folder
        ));
    }
    if !ignored.is_empty() {
        s.push_str(
            "\nFiles in the input folder that are not tally data or mappings (ignored):\n\n",
        );
        for f in ignored {
            s.push_str(&format!("- {}\n", escape(f)));
        }
    }
    super::paths::write_file_atomic(output, "index.md", s.as_bytes())
}
