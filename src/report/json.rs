//! `results.json`: the contract with notebooks and other programs (docs/results-schema.md).
//!
//! Keys are snake_case and stable; `SCHEMA_VERSION` changes when they do. Output is deterministic:
//! no timestamps, maps in insertion or sorted order, floats printed by `ryu`.

use serde::Serialize;

use super::{MappingInfo, Report, RunOptions, ToolInfo, TOOL};
use crate::finding::Finding;
use crate::tally::ledger::{ExclusionCount, FlagCount, InputFile};
use crate::tally::{Derivation, Totals};

/// Version of the results.json layout (semantic versioning).
pub const SCHEMA_VERSION: &str = "3.3.0";

#[derive(Serialize)]
struct Results<'a> {
    schema_version: &'static str,
    tool: &'a ToolInfo,
    dataset: &'a str,
    seed: u64,
    options: &'a RunOptions,
    inputs: &'a [InputFile],
    mapping: &'a MappingInfo,
    derivations: &'a [Derivation],
    ledger: LedgerJson,
    /// Exclusions large or systematic enough to bias the analysis (`tally::loss`).
    warnings: &'a [crate::tally::loss::LossWarning],
    totals: &'a Totals,
    multiple_testing: MultipleTesting,
    run_record: super::run_record::RunRecord,
    notes: &'a [String],
    /// Power by fraud injection (`--calibrate`), or null.
    calibration: Option<&'a crate::power::Calibration>,
    /// Would it change the result: the margin, the votes to change it and the anomalous-vote
    /// estimates beside them (null with fewer than two candidates).
    margin: Option<super::margin::Section>,
    findings: &'a [Finding],
}

#[derive(Serialize)]
struct LedgerJson {
    rows_read: u64,
    rows_analysed: u64,
    rows_excluded: u64,
    exclusions: Vec<ExclusionCount>,
    flags: Vec<FlagCount>,
}

pub use super::summary::MultipleTesting;

/// The multiple-testing numbers of a report.
pub fn multiple_testing(report: &Report<'_>) -> MultipleTesting {
    let p = &report.options.params;
    super::summary::multiple_testing(&report.findings, p.alpha, p.correction)
}

/// Render results.json (pretty-printed, trailing newline).
pub fn render(report: &Report<'_>) -> anyhow::Result<String> {
    let results = Results {
        schema_version: SCHEMA_VERSION,
        tool: &TOOL,
        dataset: &report.dataset,
        seed: report.options.params.seed,
        options: report.options,
        inputs: &report.ledger.inputs,
        mapping: &report.mapping,
        derivations: &report.derivations,
        ledger: LedgerJson {
            rows_read: report.ledger.rows_read,
            rows_analysed: report.ledger.rows_analysed,
            rows_excluded: report.ledger.rows_excluded(),
            exclusions: report.ledger.exclusion_counts(),
            flags: report.ledger.flag_counts(),
        },
        warnings: &report.warnings,
        totals: &report.totals,
        multiple_testing: multiple_testing(report),
        run_record: super::run_record::build(report)?,
        notes: &report.notes,
        calibration: report.calibration.as_ref().map(|(c, _)| c),
        margin: super::margin::section(report),
        findings: &report.findings,
    };
    Ok(serde_json::to_string_pretty(&results)? + "\n")
}
