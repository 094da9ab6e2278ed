//! `run(&Config)`: the only place where the steps are wired together.
//!
//! discover datasets → per dataset: read files → mapping (file or inferred) → build `Tally` and
//! `Ledger` → run the test battery → write outputs atomically → index.md → summary.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use crate::config::Config;
use crate::finding::Verdict;
use crate::forensics::{self, ForensicTest};
use crate::input::discover::{discover, DatasetSource};
use crate::input::{Limits, RawTable};
use crate::mapping::{infer, Mapping};
use crate::report::index::IndexEntry;
use crate::report::{self, MappingInfo, Report, RunOptions};
use crate::tally::build::build;

/// What the run did, for the closing summary on stderr.
pub struct RunSummary {
    pub entries: Vec<IndexEntry>,
    pub output: PathBuf,
}

/// Run the analysis described by `config`.
pub fn run(config: &Config) -> anyhow::Result<RunSummary> {
    let skip = config.output.canonicalize().ok();
    let found = discover(
        &config.input,
        config.mapping.as_deref(),
        config.announced.as_deref(),
        skip.as_deref(),
    )?;
    let tests = forensics::select(config.tests.as_deref())?;
    let options = RunOptions {
        input: config.input.display().to_string(),
        mapping: config.mapping.as_ref().map(|m| m.display().to_string()),
        announced: config.announced.as_ref().map(|m| m.display().to_string()),
        tests: tests.iter().map(|t| t.id).collect(),
        params: config.params.clone(),
    };
    let progress = if std::io::stderr().is_terminal() && !config.quiet {
        indicatif::ProgressBar::new(found.datasets.len() as u64 * 4)
    } else {
        indicatif::ProgressBar::hidden()
    };
    progress.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let names: Vec<&str> = found.datasets.iter().map(|d| d.name.as_str()).collect();
    let folders = report::paths::folder_names(&names);
    // The spinner and clock keep moving while a large file is read and validated.
    progress.enable_steady_tick(std::time::Duration::from_millis(250));
    let mut entries = Vec::new();
    for (source, folder) in found.datasets.iter().zip(&folders) {
        let entry = analyse_dataset(source, folder, &tests, &options, config, &progress)
            .with_context(|| format!("dataset {}", source.name))?;
        entries.push(entry);
    }
    progress.finish_and_clear();
    let ignored: Vec<String> = found
        .ignored
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    report::index::write(&config.output, &entries, &ignored)?;
    Ok(RunSummary {
        entries,
        output: config.output.clone(),
    })
}

fn analyse_dataset(
    source: &DatasetSource,
    folder: &str,
    tests: &[&'static ForensicTest],
    options: &RunOptions,
    config: &Config,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<IndexEntry> {
    let timer = Instant::now();

    let format = source
        .mapping
        .as_ref()
        .map(|(_, m)| m.format.clone())
        .unwrap_or_default();
    let tables = source
        .files
        .iter()
        .map(|f| {
            progress.set_message(format!(
                "{}: reading {}",
                report::one_line(&source.name),
                report::one_line(&f.display().to_string())
            ));
            RawTable::read(f, &format, &config.limits)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    progress.inc(1);
    let (mapping, mut notes, mapping_info_path, source_kind): (
        Mapping,
        Vec<String>,
        Option<String>,
        &'static str,
    ) = match &source.mapping {
        Some((path, m)) => (m.clone(), vec![], Some(path.display().to_string()), "file"),
        None => {
            let (m, notes) = match infer_mapping(&source.name, &tables[0])? {
                Ok(inferred) => inferred,
                Err((sample, problem)) => {
                    return Err(draft_mapping_error(
                        &source.name,
                        folder,
                        &tables[0],
                        &sample,
                        problem,
                        &config.output,
                    ))
                }
            };
            (m, notes, None, "inferred")
        }
    };
    progress.set_message(format!(
        "{}: validating {} rows",
        report::one_line(&source.name),
        report::fmt_int(tables.iter().map(RawTable::approx_rows).sum())
    ));
    let built = build(&source.name, &tables, &mapping)?;
    drop(tables);
    let loaded = timer.elapsed();
    progress.inc(1);
    progress.set_message(format!("{}: testing", report::one_line(&source.name)));
    notes.extend(built.notes);
    let announced = source.announced.as_ref().map(|(path, file)| (path, file));
    if let Some((path, file)) = announced {
        let known: Vec<&str> = built
            .tally
            .candidates
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        file.check_names(&known)
            .with_context(|| format!("announcement file {}", path.display()))?;
        notes.push(format!(
            "Announced totals: {} ({} announcement(s): {}).",
            path.display(),
            file.announcements.len(),
            file.announcements
                .iter()
                .map(|a| a.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let output = forensics::run_battery(
        tests,
        &built.tally,
        &config.params,
        announced.map(|(_, f)| f),
    )?;
    let tested = timer.elapsed();
    progress.inc(1);
    progress.set_message(format!("{}: writing", report::one_line(&source.name)));
    let report = Report {
        dataset: source.name.clone(),
        options,
        tests,
        mapping: MappingInfo {
            source: source_kind,
            path: mapping_info_path,
            mapping,
        },
        totals: built.tally.totals(),
        derivations: built.tally.derivations.clone(),
        ledger: built.ledger,
        notes,
        findings: output.findings,
        figures: output.figures,
        station_flags: output.station_flags,
        tally: built.tally,
    };
    let folder = report::write_dataset(&report, &config.output, folder)?;
    progress.inc(1);
    if config.timings {
        eprintln!(
            "timings {}: load+validate {:.2} s, tests {:.2} s, write {:.2} s ({} stations)",
            source.name,
            loaded.as_secs_f64(),
            (tested - loaded).as_secs_f64(),
            (timer.elapsed() - tested).as_secs_f64(),
            report.tally.n_stations()
        );
    }
    Ok(IndexEntry {
        dataset: report.dataset.clone(),
        folder: folder
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string(),
        stations: report.tally.n_stations() as u64,
        rows_read: report.ledger.rows_read,
        rows_excluded: report.ledger.rows_excluded(),
        flagged: report.ledger.flagged_stations(),
        deviating: report
            .findings
            .iter()
            .filter(|f| f.verdict == Verdict::Deviates)
            .count(),
        tested: report
            .findings
            .iter()
            .filter(|f| f.q_value.is_some())
            .count(),
    })
}

/// A mapping inferred from the first table's header and first 2,000 rows, or the sample and the
/// reason inference failed (for the draft mapping). Errors when the table has no data rows.
#[allow(clippy::type_complexity)]
fn infer_mapping(
    name: &str,
    table: &RawTable,
) -> anyhow::Result<Result<(Mapping, Vec<String>), (Vec<Vec<String>>, anyhow::Error)>> {
    let sample = table.sample_rows(2000)?;
    if sample.is_empty() {
        anyhow::bail!(
            "{}: the file has a header row but no data rows; check that it is the complete download",
            table.path.display()
        );
    }
    Ok(infer::infer(name, &table.headers, &sample).map_err(|problem| (sample, problem)))
}

/// The loading half of the pipeline on files held in memory (name, bytes as stored): read, map
/// (with `mapping`, or inferred as for a data file without one) and build the tally and ledger.
/// Writes nothing; the fuzz target (`fuzz/`) and the property tests (`tests/hostile_input.rs`)
/// drive the loader through it.
pub fn load_in_memory(
    name: &str,
    files: Vec<(PathBuf, Vec<u8>)>,
    mapping: Option<&Mapping>,
) -> anyhow::Result<crate::tally::build::Built> {
    let format = mapping.map(|m| m.format.clone()).unwrap_or_default();
    let tables = files
        .into_iter()
        .map(|(path, bytes)| RawTable::from_bytes(&path, bytes, &format, &Limits::default()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let Some(first) = tables.first() else {
        anyhow::bail!("no input files");
    };
    let mapping = match mapping {
        Some(m) => m.clone(),
        None => match infer_mapping(name, first)? {
            Ok((m, _)) => m,
            Err((_, problem)) => return Err(problem),
        },
    };
    build(name, &tables, &mapping)
}

/// The error of a failed inference, after writing a draft mapping into the output folder (never
/// beside the inputs, which are not modified) for the user to complete.
fn draft_mapping_error(
    dataset: &str,
    folder: &str,
    table: &RawTable,
    sample: &[Vec<String>],
    problem: anyhow::Error,
    output: &std::path::Path,
) -> anyhow::Error {
    let name = format!("{folder}.mapping.draft.toml");
    let path = output.join(&name);
    let text = infer::draft(dataset, &table.headers, sample, &format!("{problem:#}"));
    let written = std::fs::create_dir_all(output)
        .map_err(anyhow::Error::from)
        .and_then(|()| report::paths::write_file_atomic(output, &name, text.as_bytes()));
    let draft = match written {
        Ok(()) => format!(
            "a draft mapping with the columns the tool could place is in {}: complete it, save it beside the data as {}.mapping.toml (or pass --mapping FILE) and rerun",
            path.display(),
            dataset
        ),
        Err(e) => format!("(could not write a draft mapping to {}: {e:#})", path.display()),
    };
    anyhow::anyhow!("{}: {problem:#}; {draft}", table.path.display())
}
