//! `run(&Config)`: the only place where the steps are wired together.
//!
//! discover datasets → order them (the dataset a `[reconcile]` pair names first) → per dataset: read
//! files → mapping (file or inferred) → build `Tally` and `Ledger` → run the test battery (with the
//! partner's tally for a pair) → write outputs atomically → index.md → summary.

mod progress;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use crate::config::Config;
use crate::finding::Verdict;
use crate::forensics::reconciliation::source_reconciliation::Partner;
use crate::forensics::{self, ForensicTest};
use crate::input::discover::{discover, DatasetSource};
use crate::input::{Limits, RawTable};
use crate::mapping::{infer, Mapping};
use crate::report::index::IndexEntry;
use crate::report::{self, MappingInfo, Report, RunOptions};
use crate::tally::build::build;
use crate::tally::Tally;
use progress::Progress;

/// What the run did, for the closing summary on stderr.
pub struct RunSummary {
    pub entries: Vec<IndexEntry>,
    /// Datasets that could not be analysed: (name, the one-line error).
    pub failed: Vec<(String, String)>,
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
        calibration: config.calibration.clone(),
    };
    let progress = Progress::new(
        found.datasets.len() as u64 * 4,
        std::io::stderr().is_terminal() && !config.quiet,
    );
    let order = analysis_order(&found.datasets)?;
    let names: Vec<&str> = found.datasets.iter().map(|d| d.name.as_str()).collect();
    let folders = report::paths::folder_names(&names);
    // The spinner and clock keep moving while a large file is read and validated.
    progress.enable_steady_tick(std::time::Duration::from_millis(250));
    // Tallies (and input file names) of datasets another dataset still has to reconcile with.
    let mut kept: BTreeMap<String, (Tally, Vec<String>)> = BTreeMap::new();
    let mut entries = Vec::new();
    // A dataset that cannot be analysed does not stop the others: it is listed with its error.
    let mut failed: Vec<(usize, String, String)> = Vec::new();
    for (position, &index) in order.iter().enumerate() {
        let source = &found.datasets[index];
        let partner = match reconcile_with(source) {
            Some(with) => match kept.get(with) {
                Some((tally, files)) => Some((with, tally, files.as_slice())),
                None => {
                    failed.push((
                        index,
                        source.name.clone(),
                        format!(
                            "dataset {}: its [reconcile] partner {with} could not be analysed",
                            source.name
                        ),
                    ));
                    continue;
                }
            },
            None => None,
        };
        let analysed = analyse_dataset(
            source,
            &folders[index],
            partner,
            &tests,
            &options,
            config,
            &progress,
        )
        .with_context(|| format!("dataset {}", source.name));
        let (entry, tally, files) = match analysed {
            Ok(done) => done,
            Err(e) => {
                let line = crate::text::one_line(&format!("{e:#}"));
                if found.datasets.len() > 1 {
                    progress.suspend(|| eprintln!("error: {line}"));
                }
                failed.push((index, source.name.clone(), line));
                continue;
            }
        };
        let needed_later = order[position + 1..]
            .iter()
            .any(|&j| reconcile_with(&found.datasets[j]) == Some(source.name.as_str()));
        if needed_later {
            kept.insert(source.name.clone(), (tally, files));
        }
        entries.push((index, entry));
    }
    // The index lists datasets in name order, whatever order the pairs imposed.
    entries.sort_by_key(|(index, _)| *index);
    let entries: Vec<IndexEntry> = entries.into_iter().map(|(_, e)| e).collect();
    progress.finish_and_clear();
    let ignored: Vec<String> = found
        .ignored
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    failed.sort_by_key(|(index, _, _)| *index);
    let failed: Vec<(String, String)> = failed.into_iter().map(|(_, n, e)| (n, e)).collect();
    // One dataset and it failed: its error is the run's one error line.
    if entries.is_empty() && found.datasets.len() == 1 {
        if let Some((_, e)) = failed.first() {
            anyhow::bail!("{e}");
        }
    }
    report::index::write(&config.output, &entries, &failed, &ignored)?;
    if entries.is_empty() {
        anyhow::bail!(
            "no dataset could be analysed: all {} failed (each error above; listed in {})",
            failed.len(),
            config.output.join("index.md").display()
        );
    }
    Ok(RunSummary {
        entries,
        failed,
        output: config.output.clone(),
    })
}

/// The dataset named in `[reconcile] with` of a dataset's mapping, if any.
fn reconcile_with(source: &DatasetSource) -> Option<&str> {
    source
        .mapping
        .as_ref()
        .and_then(|(_, m)| m.reconcile.as_ref())
        .map(|r| r.with.as_str())
}

/// Indices of the datasets in the order to analyse them: name order, except that the dataset a
/// `[reconcile]` section names comes before the dataset that declares it. A name that is no
/// dataset, a dataset paired with itself and a cycle of pairs are errors.
fn analysis_order(datasets: &[DatasetSource]) -> anyhow::Result<Vec<usize>> {
    let position = |name: &str| datasets.iter().position(|d| d.name == name);
    for d in datasets {
        let (Some(with), Some((path, _))) = (reconcile_with(d), &d.mapping) else {
            continue;
        };
        if with == d.name {
            anyhow::bail!(
                "mapping file {}: [reconcile] with = {with:?} names this dataset itself; name the other dataset of the pair",
                path.display()
            );
        }
        if position(with).is_none() {
            anyhow::bail!(
                "mapping file {}: [reconcile] with = {with:?} names no dataset of this run; datasets found: {}",
                path.display(),
                datasets
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let mut order = Vec::with_capacity(datasets.len());
    let mut placed = vec![false; datasets.len()];
    for start in 0..datasets.len() {
        // Follow the chain of partners down to one already placed (or none), then place it back up.
        let mut chain = vec![start];
        let mut at = start;
        while let Some(next) = reconcile_with(&datasets[at]).and_then(position) {
            if placed[next] {
                break;
            }
            if chain.contains(&next) {
                anyhow::bail!(
                    "datasets {} name each other in [reconcile]: declare a pair in one of the two mappings only",
                    chain
                        .iter()
                        .map(|&i| datasets[i].name.as_str())
                        .collect::<Vec<_>>()
                        .join(" → ")
                );
            }
            chain.push(next);
            at = next;
        }
        for &i in chain.iter().rev() {
            if !placed[i] {
                placed[i] = true;
                order.push(i);
            }
        }
    }
    Ok(order)
}

/// Analyse one dataset; `partner` is the other source of its declared pair (name, tally, input
/// files). Returns the index entry, the tally and the input file names (for a later pair).
fn analyse_dataset(
    source: &DatasetSource,
    folder: &str,
    partner: Option<(&str, &Tally, &[String])>,
    tests: &[&'static ForensicTest],
    options: &RunOptions,
    config: &Config,
    progress: &Progress,
) -> anyhow::Result<(IndexEntry, Tally, Vec<String>)> {
    let timer = Instant::now();

    let mut format = source
        .mapping
        .as_ref()
        .map(|(_, m)| m.format.clone())
        .unwrap_or_default();
    // `--encoding` / `--delimiter` fill what the mapping leaves undeclared.
    format.encoding = format.encoding.or_else(|| config.format.encoding.clone());
    format.delimiter = format.delimiter.or_else(|| config.format.delimiter.clone());
    let tables = source
        .files
        .iter()
        .map(|f| {
            progress.set_message(format!(
                "{}: reading {}",
                crate::text::one_line(&source.name),
                crate::text::one_line(&f.display().to_string())
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
            // Never a silent guess: the mapping used is on the terminal before any result.
            progress.suspend(|| {
                eprintln!(
                    "{}: no mapping file, inferred this mapping (written to the output as mapping.toml; save it as {}.mapping.toml beside the data to change it):\n{}",
                    crate::text::one_line(&source.name),
                    crate::text::one_line(&source.name),
                    infer::summary(&m, &tables[0].headers)
                )
            });
            (m, notes, None, "inferred")
        }
    };
    progress.set_message(format!(
        "{}: validating {} rows",
        crate::text::one_line(&source.name),
        crate::text::fmt_int(tables.iter().map(RawTable::approx_rows).sum())
    ));
    let mut built = build(&source.name, tables, &mapping)?;
    if let Some((mapping_path, _)) = &source.mapping {
        let folder = mapping_path.parent().unwrap_or(std::path::Path::new("."));
        for (depth, level) in mapping.regions.iter().enumerate() {
            if let Some(declared) = &level.names {
                let list =
                    crate::tally::code_lists::load(folder, declared, &format, &config.limits)?;
                built.notes.extend(crate::tally::code_lists::apply(
                    &mut built.tally,
                    depth,
                    &list,
                ));
                built.notes.push(format!(
                    "Region level {:?}: names from the code list {} (codes kept in stations.parquet, column region_{}_code).",
                    level.level_name(),
                    declared.file,
                    level.level_name()
                ));
            }
        }
    }
    let warnings = crate::tally::loss::warnings(&built.ledger);
    for w in &warnings {
        if config.strict {
            anyhow::bail!(
                "{}; fix: {} (--strict makes this warning an error)",
                w.message,
                w.fix
            );
        }
        progress.suspend(|| {
            eprintln!(
                "warning: {}: {}; fix: {}",
                crate::text::one_line(&source.name),
                w.message,
                w.fix
            )
        });
    }
    let loaded = timer.elapsed();
    progress.inc(1);
    progress.set_message(format!("{}: testing", crate::text::one_line(&source.name)));
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
    let own_files: Vec<String> = built.ledger.inputs.iter().map(|i| i.path.clone()).collect();
    let pair = match (partner, mapping.reconcile.as_ref()) {
        (Some((name, tally, files)), Some(options)) => {
            notes.push(format!(
                "Reconciled with dataset {name} ([reconcile] in the mapping): differences are {} − {name}.",
                source.name
            ));
            Some(Partner {
                name: name.to_string(),
                tally,
                files: files.to_vec(),
                own_files: own_files.clone(),
                options,
            })
        }
        _ => None,
    };
    if let Some(p) = &pair {
        check_pairing(&source.name, &built.tally, p)?;
    }
    let testing = format!("{}: testing", crate::text::one_line(&source.name));
    let output = forensics::run_battery_with_progress(
        tests,
        &built.tally,
        &config.params,
        announced.map(|(_, f)| f),
        pair.as_ref(),
        &|at| {
            progress.set_left(at.seconds_left());
            if let Some(next) = at.next {
                progress.set_message(format!(
                    "{testing} {next} ({}/{} tests done)",
                    at.done, at.total
                ));
            }
        },
    )?;
    notes.extend(output.notes);
    let test_timings = output.timings;
    let mut figures = output.figures;
    let calibration = match &config.calibration {
        None => None,
        Some(spec) => {
            progress.set_message(format!("{}: calibrating", source.name));
            let base = progress.message();
            let started = std::time::Instant::now();
            let c = crate::power::calibrate(
                &built.tally,
                tests,
                &config.params,
                spec,
                &|done, total| {
                    progress.set_left_by_steps(started.elapsed(), done, total);
                    progress.set_message(format!("{base} {done}/{total} copies"))
                },
            )?;
            let stem = crate::figure::file_stem(&["calibration", "detection"]);
            figures.push(crate::figure::Figure {
                file_stem: stem.clone(),
                spec: crate::power::figure(&c, &source.name),
            });
            Some((c, stem))
        }
    };
    let tested = timer.elapsed();
    progress.inc(1);
    progress.set_message(format!("{}: writing", crate::text::one_line(&source.name)));
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
        figures,
        station_flags: output.station_flags,
        tables: output.tables,
        station_columns: output.station_columns,
        tally: built.tally,
        calibration,
        warnings,
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
        let mut slowest = test_timings.clone();
        slowest.sort_by_key(|t| std::cmp::Reverse(t.1));
        eprintln!(
            "timings {} per test (slowest first; a test's time includes shared work it is the first to need, e.g. the digit nulls): {}",
            source.name,
            slowest
                .iter()
                .map(|(id, d)| format!("{id} {:.2} s", d.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some((c, _)) = &report.calibration {
            let mut slowest = c.copy_seconds.clone();
            slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
            eprintln!(
                "timings {} calibration copies (seconds summed over the {} copies, which run in parallel): making the copies {:.1} s, {}",
                source.name,
                c.spec.replicates as usize * (1 + c.spec.manipulations.len() * c.spec.strengths.len()),
                c.making_seconds,
                slowest
                    .iter()
                    .map(|(id, s)| format!("{id} {s:.1} s"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let entry = IndexEntry {
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
        flagged_by_tests: report
            .station_flags
            .iter()
            .map(|f| f.station)
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64,
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
    };
    Ok((entry, report.tally, own_files))
}

/// A declared pair of sources must mostly pair up: when fewer than half of either source's tables
/// find a partner, the keys are not written alike (a derived key part, leading zeros, separators)
/// and the comparison would be of a handful of tables. Stop and show the keys of both sides.
fn check_pairing(name: &str, own: &Tally, p: &Partner<'_>) -> anyhow::Result<()> {
    use crate::forensics::reconciliation::source_reconciliation::{match_keys, normalise_key};
    let Ok(m) = match_keys(&own.station_keys, &p.tally.station_keys, p.options) else {
        // Colliding keys are reported by the reconciliation test itself.
        return Ok(());
    };
    let (na, nb, matched) = (own.n_stations(), p.tally.n_stations(), m.pairs.len());
    if matched * 2 >= na && matched * 2 >= nb {
        return Ok(());
    }
    let sample = |keys: &[String], idx: &[usize]| {
        idx.iter()
            .take(3)
            .map(|&i| format!("{:?}", normalise_key(&keys[i], p.options)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    anyhow::bail!(
        "[reconcile] {name} with {}: only {} of {name}'s {} tables and of {}'s {} tables have the same key in both after normalisation; unmatched keys of {name}: {}; of {}: {}. Make the keys alike: derive key parts ([station] key = [{{ column = \"...\", regex = \"...\" }}] or split = \"...\", parts = [...]) and the [reconcile] options trim, strip_leading_zeros, remove, case_insensitive (README.md, \"Two sources of the same tables\")",
        p.name,
        crate::text::fmt_int(matched as u64),
        crate::text::fmt_int(na as u64),
        p.name,
        crate::text::fmt_int(nb as u64),
        sample(&own.station_keys, &m.only_a),
        p.name,
        sample(&p.tally.station_keys, &m.only_b),
    )
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
    Ok(match infer::infer(name, &table.headers, &sample) {
        Ok((mut mapping, mut notes)) => {
            notes.extend(widen_key_over_file(&mut mapping, table)?);
            Ok((mapping, notes))
        }
        Err(problem) => Err((sample, problem)),
    })
}

/// Inference saw the first rows only: a key unique there may repeat further down (two
/// territorial commissions named "1 Ардатовская" in two regions). Widen the inferred key with
/// the next region level up until it is unique in the whole first file (wide layout).
fn widen_key_over_file(mapping: &mut Mapping, table: &RawTable) -> anyhow::Result<Option<String>> {
    if mapping.dataset.layout != crate::mapping::Layout::Wide {
        return Ok(None);
    }
    let before = mapping.station.key.clone();
    loop {
        let cols: Vec<usize> = mapping
            .station
            .key
            .iter()
            .map(|k| table.column_index(k.column()))
            .collect::<anyhow::Result<_>>()?;
        let mut seen = std::collections::HashSet::new();
        let mut repeated: Option<String> = None;
        table.for_each_row(|_, cells| {
            if repeated.is_none() && !cells.all_blank() {
                let key: Vec<&str> = cols
                    .iter()
                    .map(|&c| cells.get(c).unwrap_or("").trim())
                    .collect();
                if !seen.insert(key.join(crate::mapping::KEY_JOIN)) {
                    repeated = Some(key.join(crate::mapping::KEY_JOIN));
                }
            }
            Ok(())
        })?;
        let Some(example) = repeated else { break };
        let next = mapping
            .regions
            .iter()
            .rev()
            .find(|r| !mapping.station.key.iter().any(|k| k.column() == r.column));
        match next {
            Some(r) => mapping.station.key.insert(0, r.column.clone().into()),
            None => {
                return Ok(Some(format!(
                    "the inferred station key ({}) repeats in the file (e.g. {example:?}) even with every region level; the repeated rows will be excluded and listed",
                    mapping.station.key.iter().map(|k| k.describe()).collect::<Vec<_>>().join(" + ")
                )))
            }
        }
    }
    let describe = |k: &[crate::mapping::KeyPart]| {
        k.iter()
            .map(|k| k.describe())
            .collect::<Vec<_>>()
            .join(" + ")
    };
    Ok((mapping.station.key != before).then(|| {
        format!(
            "the station key was widened from {} to {}: the narrower key repeats further down the file than the rows inference looked at",
            describe(&before),
            describe(&mapping.station.key)
        )
    }))
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
    build(name, tables, &mapping)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::ReconcileSection;

    fn dataset(name: &str, with: Option<&str>) -> DatasetSource {
        let mapping = Mapping {
            reconcile: with.map(|w| ReconcileSection {
                with: w.into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        DatasetSource {
            name: name.into(),
            files: vec![PathBuf::from(format!("{name}.csv"))],
            mapping: Some((PathBuf::from(format!("{name}.mapping.toml")), mapping)),
            announced: None,
        }
    }

    #[test]
    fn the_named_dataset_of_a_pair_is_analysed_first() {
        // Name order a, b, c, d; b pairs with d and a with b: d, b, a, then c.
        let ds = [
            dataset("a", Some("b")),
            dataset("b", Some("d")),
            dataset("c", None),
            dataset("d", None),
        ];
        assert_eq!(analysis_order(&ds).unwrap(), vec![3, 1, 0, 2]);
        let plain = [dataset("a", None), dataset("b", None)];
        assert_eq!(analysis_order(&plain).unwrap(), vec![0, 1]);
    }

    #[test]
    fn unknown_self_and_circular_pairs_are_errors() {
        let err = |ds: &[DatasetSource]| analysis_order(ds).unwrap_err().to_string();
        let e = err(&[dataset("a", Some("x")), dataset("b", None)]);
        assert!(
            e.contains("with = \"x\" names no dataset of this run; datasets found: a, b"),
            "{e}"
        );
        let e = err(&[dataset("a", Some("a"))]);
        assert!(e.contains("names this dataset itself"), "{e}");
        let e = err(&[dataset("a", Some("b")), dataset("b", Some("a"))]);
        assert!(e.contains("datasets a → b name each other"), "{e}");
    }
}
