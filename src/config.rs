//! `Config`: the checked form of the `analyze` command-line options.

use std::path::PathBuf;

use anyhow::bail;

use crate::forensics::Params;
use crate::power::{CalibrationSpec, Manipulation};

#[derive(Debug, Clone)]
pub struct Config {
    pub input: PathBuf,
    pub output: PathBuf,
    pub mapping: Option<PathBuf>,
    /// Announcement file for a single-file input.
    pub announced: Option<PathBuf>,
    pub tests: Option<Vec<String>>,
    pub params: Params,
    /// `--calibrate` and its settings.
    pub calibration: Option<CalibrationSpec>,
    /// Print load/test/write timings to stderr (for benchmarks; never in outputs).
    pub timings: bool,
    pub quiet: bool,
    /// Bounds on each input file (`--max-input-bytes`, `--max-rows`).
    pub limits: crate::input::Limits,
    /// `--strict`: data-loss warnings are errors.
    pub strict: bool,
    /// `--encoding` and `--delimiter`: used where a mapping does not declare them.
    pub format: crate::mapping::FormatSection,
}

impl Config {
    pub fn from_args(a: &crate::cli::AnalyzeArgs) -> anyhow::Result<Config> {
        let Some(input) = a.input.clone() else {
            bail!("--input is required: give a folder of tally files or one file, e.g. analyze --input data/");
        };
        if !(a.alpha > 0.0 && a.alpha < 1.0) {
            bail!("--alpha must be between 0 and 1 (got {})", a.alpha);
        }
        if a.replicates < 20 || a.replicates > 1_000_000 {
            bail!(
                "--replicates must be between 20 and 1000000 (got {}); simulated p-values need the spread of at least 20 replicates",
                a.replicates
            );
        }
        if a.max_rows == 0 {
            bail!("--max-rows must be at least 1 (got 0)");
        }
        if a.region_depth == 0 {
            bail!("--region-depth must be at least 1 (got 0)");
        }
        // The input folder is the folder given, or the folder of the file given: outputs never go
        // there (a dataset folder or index.md could replace an input).
        let input_folder = match input.canonicalize() {
            Ok(i) if i.is_file() => i.parent().map(std::path::Path::to_path_buf),
            Ok(i) => Some(i),
            Err(_) => None,
        };
        if let (Some(i), Ok(o)) = (input_folder, a.output.canonicalize()) {
            if i == o {
                bail!("--output {} is the input folder; choose another output folder (inputs are never modified)", a.output.display());
            }
        }
        if let Some(label) = &a.encoding {
            if encoding_rs::Encoding::for_label(label.trim().as_bytes()).is_none() {
                bail!("--encoding {label:?} is not an encoding label; use e.g. utf-8, windows-1252 (Latin-1, Western Europe), windows-1251 (Cyrillic), iso-8859-2");
            }
        }
        if let Some(d) = &a.delimiter {
            crate::input::delimiter_byte(d).map_err(|e| {
                anyhow::anyhow!(
                    "--delimiter: {}",
                    e.to_string().replace("[format] delimiter ", "")
                )
            })?;
        }
        let calibration = if a.calibrate {
            Some(calibration_spec(a)?)
        } else {
            None
        };
        Ok(Config {
            input,
            output: a.output.clone(),
            mapping: a.mapping.clone(),
            announced: a.announced.clone(),
            tests: a.tests.clone(),
            params: Params {
                seed: a.seed,
                replicates: a.replicates,
                alpha: a.alpha,
                correction: a.correction,
                region_depth: a.region_depth,
                max_station_draws: a.max_station_draws,
                simulate_digit_nulls: a.simulate_digit_nulls,
                verdict_only: false,
            },
            calibration,
            timings: a.timings,
            quiet: a.quiet,
            limits: crate::input::Limits {
                max_input_bytes: a.max_input_bytes,
                max_rows: a.max_rows,
            },
            strict: a.strict,
            format: crate::mapping::FormatSection {
                encoding: a.encoding.clone(),
                delimiter: a.delimiter.clone(),
                ..Default::default()
            },
        })
    }
}

fn calibration_spec(a: &crate::cli::AnalyzeArgs) -> anyhow::Result<CalibrationSpec> {
    if !(2..=100_000).contains(&a.calibration_replicates) {
        bail!(
            "--calibration-replicates must be between 2 and 100000 (got {})",
            a.calibration_replicates
        );
    }
    if a.calibration_inner_replicates < 20 {
        bail!(
            "--calibration-inner-replicates must be at least 20 (got {})",
            a.calibration_inner_replicates
        );
    }
    if a.calibration_strengths.is_empty() {
        bail!("--calibration-strengths needs at least one share of stations, e.g. 0.01,0.05,0.2");
    }
    if let Some(s) = a
        .calibration_strengths
        .iter()
        .find(|s| !(**s > 0.0 && **s <= 1.0))
    {
        bail!(
            "--calibration-strengths: {s} is not a share of stations in (0, 1]; e.g. 0.05 for 5 %"
        );
    }
    let mut strengths = a.calibration_strengths.clone();
    strengths.sort_by(f64::total_cmp);
    strengths.dedup();
    let manipulations = match &a.calibration_manipulations {
        None => Manipulation::ALL.to_vec(),
        Some(ids) => ids
            .iter()
            .map(|id| {
                Manipulation::parse(id).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--calibration-manipulations: unknown manipulation {id:?}; known: {}",
                        Manipulation::ALL
                            .iter()
                            .map(|m| m.id())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
            })
            .collect::<anyhow::Result<_>>()?,
    };
    Ok(CalibrationSpec {
        replicates: a.calibration_replicates,
        strengths,
        inner_replicates: a.calibration_inner_replicates,
        manipulations,
    })
}
