//! Everything one dataset's analysis produced, and writing it to disk.
//!
//! `Report` is the provenance-carrying bundle (run info, ledger, totals, findings, figures).
//! `write_dataset` renders it into a temporary folder beside the final one (results.json,
//! report.md, report.html, figures/*.png, stations.parquet, mapping.toml, findings.csv (one row per
//! finding), regions.csv (the wide per-region table), excluded_rows.csv, flagged_stations.csv, and
//! the tables tests list in full, e.g. reconciliation_differences.csv) and renames it into place, so a crash or Ctrl-C never leaves a
//! half-written dataset folder. Only this module and `plot/` write files.

pub mod calibration;
pub mod case_study;
pub mod csv;
pub mod document;
pub mod html;
pub mod index;
pub mod json;
pub mod margin;
pub mod markdown;
pub mod paths;
pub mod run_record;
pub mod summary;
pub mod synthesis;

pub use paths::safe_name;

use crate::text::one_line;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;
use serde::Serialize;

use crate::figure::Figure;
use crate::finding::Finding;
use crate::forensics::{ForensicTest, Params};
use crate::mapping::Mapping;
use crate::tally::ledger::Ledger;
use crate::tally::{Derivation, Tally, Totals};

/// Tool name and version.
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

pub const TOOL: ToolInfo = ToolInfo {
    name: "election-forensics",
    version: env!("CARGO_PKG_VERSION"),
};

/// Options that shape results (recorded for reproduction; the output folder is not among them).
#[derive(Debug, Clone, Serialize)]
pub struct RunOptions {
    pub input: String,
    pub mapping: Option<String>,
    /// `--announced FILE`, as given.
    pub announced: Option<String>,
    pub tests: Vec<&'static str>,
    #[serde(flatten)]
    pub params: Params,
    /// `--calibrate` settings, or null.
    pub calibration: Option<crate::power::CalibrationSpec>,
}

/// Where the mapping came from.
#[derive(Debug, Clone, Serialize)]
pub struct MappingInfo {
    /// "file" or "inferred".
    pub source: &'static str,
    pub path: Option<String>,
    #[serde(skip)]
    pub mapping: Mapping,
}

/// One dataset's analysis, ready to render.
pub struct Report<'a> {
    pub dataset: String,
    pub options: &'a RunOptions,
    pub tests: &'a [&'static ForensicTest],
    pub mapping: MappingInfo,
    pub ledger: Ledger,
    pub totals: Totals,
    pub derivations: Vec<Derivation>,
    pub notes: Vec<String>,
    pub findings: Vec<Finding>,
    pub figures: Vec<Figure>,
    /// Stations singled out by forensic tests (e.g. `extreme_stations`).
    pub station_flags: Vec<crate::finding::StationFlag>,
    /// Tables the tests list in full (e.g. `reconciliation_differences.csv`).
    pub tables: Vec<crate::finding::DataTable>,
    /// Per-station columns the tests add to `stations.parquet` (e.g. `anomaly_mixture`'s
    /// posterior probabilities).
    pub station_columns: Vec<crate::finding::StationColumn>,
    pub tally: Tally,
    /// Power by fraud injection (`--calibrate`), with its figure's file stem.
    pub calibration: Option<(crate::power::Calibration, String)>,
    /// Exclusions large or systematic enough to bias the analysis (`tally::loss`).
    pub warnings: Vec<crate::tally::loss::LossWarning>,
}

/// Write one dataset's outputs under `output/<folder>` atomically (`folder` from
/// `paths::folder_names`). Returns the final folder.
///
/// The outputs go to a fresh `.tmp-*` folder that is renamed into place; an existing dataset folder
/// (or a symbolic link in its place, which is replaced, never followed) is moved aside first and
/// removed after. A folder that holds one of the inputs is never replaced.
pub fn write_dataset(report: &Report<'_>, output: &Path, folder: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(output)
        .with_context(|| format!("cannot create output folder {}", output.display()))?;
    let final_dir = output.join(folder);
    let mut inputs: Vec<&str> = report
        .ledger
        .inputs
        .iter()
        .map(|i| i.path.as_str())
        .collect();
    inputs.extend(report.mapping.path.as_deref());
    paths::check_not_input(&final_dir, &inputs)?;
    let tmp = output.join(format!(".tmp-{folder}-{}", std::process::id()));
    paths::remove_entry(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
    std::fs::create_dir(&tmp)
        .and_then(|()| std::fs::create_dir(tmp.join("figures")))
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    let result = write_all(report, &tmp);
    if let Err(e) = result {
        let _ = paths::remove_entry(&tmp);
        return Err(e);
    }
    let old = output.join(format!(".old-{folder}-{}", std::process::id()));
    paths::remove_entry(&old).with_context(|| format!("cannot remove {}", old.display()))?;
    if paths::occupied(&final_dir) {
        std::fs::rename(&final_dir, &old)
            .with_context(|| format!("cannot replace {}", final_dir.display()))?;
    }
    std::fs::rename(&tmp, &final_dir)
        .with_context(|| format!("cannot move results into {}", final_dir.display()))?;
    let _ = paths::remove_entry(&old);
    Ok(final_dir)
}

fn write_all(report: &Report<'_>, dir: &Path) -> anyhow::Result<()> {
    // Stems hash the names they are built from, so equal stems mean equal names: a bug upstream
    // (mapping and announcement checks keep names distinct), reported rather than overwriting.
    let mut stems = std::collections::HashSet::new();
    if let Some(f) = report.figures.iter().find(|f| !stems.insert(&f.file_stem)) {
        anyhow::bail!(
            "two charts would be written to figures/{}.png; please report this with the mapping used",
            f.file_stem
        );
    }
    report
        .figures
        .par_iter()
        .map(|f| {
            crate::plot::render_png(
                &f.spec,
                &dir.join("figures").join(format!("{}.png", f.file_stem)),
            )
        })
        .collect::<anyhow::Result<Vec<()>>>()?;
    std::fs::write(dir.join("results.json"), json::render(report)?)?;
    let doc = document::build(report);
    std::fs::write(dir.join("report.md"), markdown::render(&doc))?;
    std::fs::write(dir.join("mapping.toml"), mapping_text(report)?)?;
    std::fs::write(dir.join("excluded_rows.csv"), csv::excluded_rows(report)?)?;
    std::fs::write(dir.join("findings.csv"), csv::findings(report)?)?;
    std::fs::write(dir.join("regions.csv"), csv::regions(report)?)?;
    std::fs::write(
        dir.join("flagged_stations.csv"),
        csv::flagged_stations(report)?,
    )?;
    if let Some((c, _)) = &report.calibration {
        std::fs::write(dir.join("calibration.csv"), calibration::csv(c)?)?;
    }
    for t in &report.tables {
        // The test chooses the name; `safe_name` keeps it a plain file name in this folder.
        std::fs::write(dir.join(safe_name(&t.file_name)), csv::data_table(t)?)?;
    }
    write_stations(&dir.join("stations.parquet"), report)?;
    // Last: the HTML links the files of this folder that exist, so they are all written first.
    std::fs::write(dir.join("report.html"), html::render(&doc, dir)?)?;
    Ok(())
}

/// Stations per row group of `stations.parquet`: the table is built and written a slice at a time,
/// so a 10,000,000-station election never holds a second copy of its station table (about 260
/// bytes a station at 10 candidates) beside the tally.
const STATION_ROWS_PER_GROUP: usize = 1 << 17;

/// `stations.parquet`: the tally's station table and the tests' per-station columns, in row
/// groups of `STATION_ROWS_PER_GROUP` stations.
fn write_stations(path: &Path, report: &Report<'_>) -> anyhow::Result<()> {
    let n = report.tally.n_stations();
    let slice = |lo: usize| -> anyhow::Result<polars::prelude::DataFrame> {
        let rows = lo..(lo + STATION_ROWS_PER_GROUP).min(n);
        let mut frame = report
            .tally
            .to_frame_rows(rows.clone())
            .context("cannot build the station table")?;
        append_station_columns(&mut frame, &report.station_columns, n, rows)?;
        Ok(frame)
    };
    let first = slice(0)?;
    let file = std::fs::File::create(path)?;
    let mut writer = polars::prelude::ParquetWriter::new(file)
        .batched(first.schema())
        .context("cannot write stations.parquet")?;
    writer
        .write_batch(&first)
        .context("cannot write stations.parquet")?;
    drop(first);
    for lo in (STATION_ROWS_PER_GROUP..n).step_by(STATION_ROWS_PER_GROUP) {
        writer
            .write_batch(&slice(lo)?)
            .context("cannot write stations.parquet")?;
    }
    writer.finish().context("cannot write stations.parquet")?;
    Ok(())
}

/// The tests' per-station columns after the tally's own, for the stations `rows` of `n`; a column
/// whose length is not the number of stations (a bug upstream) is an error, not a silent
/// misalignment.
fn append_station_columns(
    frame: &mut polars::prelude::DataFrame,
    columns: &[crate::finding::StationColumn],
    n: usize,
    rows: std::ops::Range<usize>,
) -> anyhow::Result<()> {
    for c in columns {
        anyhow::ensure!(
            c.values.len() == n,
            "station column {} has {} values for {} stations; please report this",
            c.name,
            c.values.len(),
            n
        );
        frame
            .with_column(polars::prelude::Column::new(
                c.name.as_str().into(),
                &c.values[rows.clone()],
            ))
            .with_context(|| format!("cannot add the station column {}", c.name))?;
    }
    Ok(())
}

fn mapping_text(report: &Report<'_>) -> anyhow::Result<String> {
    let head = match report.mapping.source {
        "inferred" => format!(
            "# Inferred by {} {} from the column names of {}.\n# Check it, edit it, save it beside the data as {}.mapping.toml and rerun.\n\n",
            TOOL.name,
            TOOL.version,
            one_line(&report.ledger.inputs.iter().map(|i| i.path.as_str()).collect::<Vec<_>>().join(", ")),
            one_line(&report.dataset)
        ),
        _ => format!("# Mapping used (from {}).\n\n", one_line(report.mapping.path.as_deref().unwrap_or("?"))),
    };
    Ok(head + &report.mapping.mapping.to_toml()?)
}
