//! Command-line interface (clap derive): `analyze --input DIR`, `analyze simulate ...`,
//! `analyze list-tests`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::forensics::Params;

#[derive(Parser, Debug)]
#[command(
    name = "analyze",
    version,
    about = "Statistical forensics for polling-station election results",
    long_about = "Reads tally files (CSV, TSV, gzip, Parquet, spreadsheets) with a mapping per dataset (or an inferred one), validates every row, runs the forensic test battery and writes results.json, findings.csv, report.md, report.html, charts and the normalised station table under --output.",
    after_help = "Examples:\n  analyze --input data/                          every dataset of a folder, outputs in output/\n  analyze --input actas.xlsx --mapping ve.toml   one file with its mapping\n  analyze --input data/ --calibrate              with power by fraud injection\n  analyze --input data/ --json > run.json        the run summary as JSON on stdout\n  analyze simulate --output clean.csv            a synthetic clean election\n  analyze completions bash > ~/.local/share/bash-completion/completions/analyze\n\nExit codes:\n  0  every dataset analysed\n  2  an error: bad input, mapping or options (one `error:` line saying what to fix), or no dataset analysed\n  3  a folder run where some datasets were analysed and others failed (each failure listed in index.md / index.json)",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub analyze: AnalyzeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a synthetic election (clean, or with Klimek-style ballot stuffing and invented digits).
    Simulate(Box<crate::simulate::SimulateArgs>),
    /// List the forensic tests of the battery.
    ListTests,
    /// Write a case-study document (Markdown + its charts) from one dataset's run folder.
    CaseStudy(CaseStudyArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug, Clone)]
pub struct CaseStudyArgs {
    /// A dataset folder written by `analyze --input ...` (holding results.json and figures/).
    #[arg(long)]
    pub run: PathBuf,
    /// The Markdown file to write; its charts go to `<name>-figures/` beside it.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Document title (default "Case study: <dataset>").
    #[arg(long)]
    pub title: Option<String>,
    /// A plain-text file of context paragraphs (blank-line separated) placed under the title.
    #[arg(long)]
    pub intro: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct AnalyzeArgs {
    /// A folder of tally files (every dataset in it) or one file.
    #[arg(long, short)]
    pub input: Option<PathBuf>,
    /// Output folder (one subfolder per dataset, plus index.md).
    #[arg(long, short, default_value = "output")]
    pub output: PathBuf,
    /// Mapping file for a single-file --input (default: <stem>.mapping.toml beside it, else inferred).
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Announced totals for a single-file --input (default: <stem>.announced.toml beside it); enables
    /// the percentages_first and announcement_vs_tallies tests.
    #[arg(long, value_name = "FILE")]
    pub announced: Option<PathBuf>,
    /// Seed for every random draw; same input, options and seed give byte-identical results.
    #[arg(long, default_value_t = Params::default().seed)]
    pub seed: u64,
    /// Monte Carlo replicates for simulation-calibrated nulls.
    #[arg(long, default_value_t = Params::default().replicates)]
    pub replicates: u32,
    /// Level of the verdicts: false-discovery rate (bh) or family-wise error rate (holm) across
    /// each dataset's findings.
    #[arg(long, default_value_t = Params::default().alpha)]
    pub alpha: f64,
    /// Multiple-testing adjustment: bh (Benjamini–Hochberg, controls the false-discovery rate) or
    /// holm (controls the chance of any false flag, under any dependence).
    #[arg(long, value_enum, default_value = "bh")]
    pub correction: crate::forensics::Correction,
    /// Most station draws (stations × replicates) per simulated subject; larger elections get fewer
    /// replicates (at least 200). 0 = always use --replicates.
    #[arg(long, default_value_t = Params::default().max_station_draws)]
    pub max_station_draws: u64,
    /// Estimate the digit tests' null moments from --replicates simulated copies instead of
    /// computing them exactly (slower; adds the empirical exceedance p-value).
    #[arg(long)]
    pub simulate_digit_nulls: bool,
    /// Comma-separated test ids to run (default: all; see `analyze list-tests`).
    #[arg(long, value_delimiter = ',')]
    pub tests: Option<Vec<String>>,
    /// Region levels that get their own findings (1 = top level).
    #[arg(long, default_value_t = 1)]
    pub region_depth: usize,
    /// Power by fraud injection: rerun the battery on resampled copies of each dataset, untouched
    /// and with known manipulations at several strengths, and report each test's detection rate.
    #[arg(long)]
    pub calibrate: bool,
    /// Copies per manipulation strength (and for the baseline) with --calibrate.
    #[arg(long, default_value_t = crate::power::CalibrationSpec::default().replicates)]
    pub calibration_replicates: u32,
    /// Shares of stations manipulated with --calibrate, comma-separated, each in (0, 1].
    #[arg(long, value_delimiter = ',', default_value = "0.01,0.05,0.2")]
    pub calibration_strengths: Vec<f64>,
    /// Monte Carlo replicates of each test's null inside a calibration copy.
    #[arg(long, default_value_t = crate::power::CalibrationSpec::default().inner_replicates)]
    pub calibration_inner_replicates: u32,
    /// Manipulations to inject with --calibrate (default all): ballot_stuffing, extreme_stuffing,
    /// vote_switching, fabricated_digits, rounded_counts, percentages_first.
    #[arg(long, value_delimiter = ',')]
    pub calibration_manipulations: Option<Vec<String>>,
    /// Largest input file, as stored and decompressed (bytes, or with K, M, G suffix). Files are
    /// held in memory while read: a larger file is refused with this limit named.
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = crate::input::parse_size)]
    pub max_input_bytes: u64,
    /// Most data rows per input file (each row takes a few hundred bytes of memory); a longer file is
    /// refused with this limit named.
    #[arg(long, value_name = "N", default_value_t = crate::input::Limits::default().max_rows)]
    pub max_rows: u64,
    /// Text encoding of input files that have no mapping file, or whose mapping does not declare
    /// one (any WHATWG label: utf-8, windows-1252, latin1, windows-1251, ...). A mapping's
    /// `[format] encoding` takes precedence.
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,
    /// Field delimiter of text input files without a mapping's `[format] delimiter` (",", ";",
    /// "tab", "|"); detected when absent.
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Make every data-loss warning an error (exit 2): an exclusion reason removing more than 1 %
    /// of the rows, or rows that differ systematically from the kept ones (README, "Every row
    /// accounted for").
    #[arg(long)]
    pub strict: bool,
    /// Print load/test/write timings to stderr.
    #[arg(long)]
    pub timings: bool,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the run summary (the content of output/index.json) as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

use crate::text::count;

/// Dispatch a parsed command line. Returns the exit code of a run that finished (0, or 3 when
/// some datasets of a folder failed); errors exit 2 in `main`.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Some(Command::Simulate(args)) => crate::simulate::run(&args).map(|()| 0),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "analyze",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Some(Command::CaseStudy(a)) => {
            let path = crate::report::case_study::run(
                &a.run,
                &a.output,
                a.title.as_deref(),
                a.intro.as_deref(),
            )?;
            eprintln!("case study: {}", path.display());
            Ok(0)
        }
        Some(Command::ListTests) => {
            for t in crate::forensics::ALL {
                match crate::forensics::OPT_IN.iter().find(|(id, _)| *id == t.id) {
                    Some((_, why)) => println!(
                        "{:<24} {} (only with --tests {}: {why})",
                        t.id, t.title, t.id
                    ),
                    None => println!("{:<24} {}", t.id, t.title),
                }
            }
            Ok(0)
        }
        None => {
            let config = crate::config::Config::from_args(&cli.analyze)?;
            let summary = crate::pipeline::run(&config)?;
            if cli.analyze.json {
                println!(
                    "{}",
                    crate::report::index::json(&summary.entries, &summary.failed)?
                );
            }
            if !config.quiet {
                for e in &summary.entries {
                    eprintln!(
                        "{}: {} analysed, {} excluded; {} flagged by tests, {} by consistency checks; {} of {} tested findings deviate; report {}",
                        crate::text::one_line(&e.dataset),
                        count(e.stations, "station", "stations"),
                        count(e.rows_excluded, "row", "rows"),
                        count(e.flagged_by_tests, "station", "stations"),
                        crate::text::fmt_int(e.flagged),
                        crate::text::fmt_int(e.deviating as u64),
                        crate::text::fmt_int(e.tested as u64),
                        summary.output.join(&e.folder).join("report.md").display()
                    );
                }
                for (name, _) in &summary.failed {
                    eprintln!(
                        "{}: failed (the error above; listed in the index)",
                        crate::text::one_line(name)
                    );
                }
                eprintln!("index: {}", summary.output.join("index.md").display());
            }
            Ok(if summary.failed.is_empty() { 0 } else { 3 })
        }
    }
}
