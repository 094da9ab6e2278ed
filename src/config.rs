//! `Config`: the checked form of the `analyze` command-line options.

use std::path::PathBuf;

use anyhow::bail;

use crate::forensics::Params;

#[derive(Debug, Clone)]
pub struct Config {
    pub input: PathBuf,
    pub output: PathBuf,
    pub mapping: Option<PathBuf>,
    /// Announcement file for a single-file input.
    pub announced: Option<PathBuf>,
    pub tests: Option<Vec<String>>,
    pub params: Params,
    /// Print load/test/write timings to stderr (for benchmarks; never in outputs).
    pub timings: bool,
    pub quiet: bool,
    /// Bounds on each input file (`--max-input-bytes`, `--max-rows`).
    pub limits: crate::input::Limits,
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
                region_depth: a.region_depth,
                max_station_draws: a.max_station_draws,
            },
            timings: a.timings,
            quiet: a.quiet,
            limits: crate::input::Limits {
                max_input_bytes: a.max_input_bytes,
                max_rows: a.max_rows,
            },
        })
    }
}
