//! election-forensics: calibrated statistical forensics for polling-station election results.
//!
//! See ARCHITECTURE.md for the code map and invariants. Data flow: `input` (files) → `mapping` →
//! `tally` (validated station table + ledger) → `forensics` (findings + figure specs) → `plot` and
//! `report` (PNG, results.json, report.md, report.html, CSV, Parquet).

pub mod announcement;
pub mod cli;
pub mod config;
pub mod figure;
pub mod finding;
pub mod forensics;
pub mod input;
pub mod mapping;
pub mod pipeline;
pub mod plot;
pub mod power;
pub mod report;
pub mod simulate;
pub mod stats;
pub mod tally;
pub mod text;
