//! The `analyze simulate` command-line arguments: clap definitions, checks
//! that turn them into a [`SimSpec`] and a [`WriteSpec`] with clear errors
//! (never a panic), and the reconstructed command line recorded in the
//! mapping file so that shipped sample data can be regenerated exactly.
//!
//! The fraud flags are the parameters of Klimek, Yegorov, Hanel & Thurner
//! 2012 (PNAS 109(41):16469); `--fabricate-*` drives the human digit habits
//! of Beber & Scacco 2012 (Political Analysis 20(2):211).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, ensure};

use super::second_source::SecondSourceSpec;
use super::spec::{self, Fabrication, SimSpec};
use super::write::{Language, Layout, TextEncoding, WriteSpec};

/// Arguments of `analyze simulate`.
#[derive(clap::Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Data file to write (a `.gz` suffix gzips it).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Random seed; the same seed and flags give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of polling stations.
    #[arg(long, default_value_t = 5000)]
    pub stations: usize,
    /// Number of candidates (2 to 26); the first one is the leader.
    #[arg(long, default_value_t = 5)]
    pub candidates: usize,
    /// Number of regions.
    #[arg(long, default_value_t = 8)]
    pub regions: usize,
    /// Number of districts in each region.
    #[arg(long, default_value_t = 6)]
    pub districts_per_region: usize,
    /// Klimek f_i: share of stations with incremental fraud for the leader.
    #[arg(long, default_value_t = 0.0, value_name = "F_I")]
    pub incremental_fraud: f64,
    /// Klimek f_e: share of stations with extreme fraud for the leader.
    #[arg(long, default_value_t = 0.0, value_name = "F_E")]
    pub extreme_fraud: f64,
    /// Klimek alpha: stealing moves x^alpha of the opponents' votes.
    #[arg(long, default_value_t = 1.0, value_name = "A")]
    pub fraud_alpha: f64,
    /// Klimek theta: incremental fraud intensity x = |N(0, theta)|.
    #[arg(long, default_value_t = 0.15, value_name = "T")]
    pub fraud_theta: f64,
    /// Region whose counts were partly invented by people (name or 1-based index).
    #[arg(long, value_name = "NAME_OR_INDEX")]
    pub fabricate_region: Option<String>,
    /// Share of that region's stations with invented counts [default: 0.5].
    #[arg(long, value_name = "S")]
    pub fabricate_share: Option<f64>,
    /// Table layout.
    #[arg(long, value_enum, default_value_t = Layout::Wide)]
    pub layout: Layout,
    /// Field delimiter: `,`, `;` or `tab`.
    #[arg(long, default_value = ",")]
    pub delimiter: String,
    /// Text encoding of the data file (names carry accents).
    #[arg(long, value_enum, default_value_t = TextEncoding::Utf8)]
    pub encoding: TextEncoding,
    /// Start the file with a UTF-8 byte-order mark.
    #[arg(long)]
    pub bom: bool,
    /// End lines with CRLF.
    #[arg(long)]
    pub crlf: bool,
    /// Group digits of counts >= 1000 with `.` or `,` (e.g. 3.091).
    #[arg(long, value_name = "SEP")]
    pub thousands_separator: Option<String>,
    /// Language of the column names.
    #[arg(long, value_enum, default_value_t = Language::En)]
    pub language: Language,
    /// Also write per-station ground truth to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// Do not write `<stem>.mapping.toml` beside the data file.
    #[arg(long)]
    pub no_mapping: bool,
    /// Also write a second source of the same tables with planted differences (its mapping
    /// declares the pair, `<stem>.planted.csv` lists the differences); see the flags below.
    #[arg(long, value_name = "FILE")]
    pub second_source: Option<PathBuf>,
    /// Second source: tables with one count misread by 1-9 (either sign).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub transcription_errors: usize,
    /// Second source: tables of --favour-region where votes move to the leader.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub favour_edits: usize,
    /// Region of the favour edits (name or 1-based index) [default: 1].
    #[arg(long, value_name = "NAME_OR_INDEX")]
    pub favour_region: Option<String>,
    /// Second source: tables missing from each of the two sources.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub missing_tables: usize,
}

fn parse_delimiter(s: &str) -> anyhow::Result<u8> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "tab" | "\t" | "\\t" => Ok(b'\t'),
        _ => bail!("--delimiter must be `,`, `;` or `tab` (got {s:?})"),
    }
}

fn delimiter_flag(d: u8) -> &'static str {
    match d {
        b';' => ";",
        b'\t' => "tab",
        _ => ",",
    }
}

/// Resolve a region given by 1-based index, full name or short name
/// (case-insensitive) to its 0-based index.
fn resolve_region(flag: &str, arg: &str, regions: usize) -> anyhow::Result<usize> {
    let names = spec::region_names(regions);
    if let Ok(k) = arg.trim().parse::<usize>() {
        ensure!(
            (1..=regions).contains(&k),
            "--{flag} index must be between 1 and {regions} (got {k})"
        );
        return Ok(k - 1);
    }
    let wanted = arg.trim().to_lowercase();
    names
        .iter()
        .position(|(name, short)| name.to_lowercase() == wanted || short.to_lowercase() == wanted)
        .ok_or_else(|| {
            let list: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
            anyhow!(
                "--{flag} {arg:?} is not a region; use 1..{regions} or one of: {}",
                list.join(", ")
            )
        })
}

impl SimulateArgs {
    /// Check the arguments and turn them into generation and format specs.
    pub fn specs(&self) -> anyhow::Result<(SimSpec, WriteSpec)> {
        let fabrication = match (&self.fabricate_region, self.fabricate_share) {
            (None, None) => None,
            (None, Some(_)) => bail!("--fabricate-share needs --fabricate-region"),
            (Some(r), share) => {
                let regions = self.regions.clamp(1, spec::MAX_REGIONS);
                Some(Fabrication {
                    region: resolve_region("fabricate-region", r, regions)?,
                    share: share.unwrap_or(0.5),
                })
            }
        };
        let sim = SimSpec {
            seed: self.seed,
            stations: self.stations,
            candidates: self.candidates,
            regions: self.regions,
            districts_per_region: self.districts_per_region,
            incremental_fraud: self.incremental_fraud,
            extreme_fraud: self.extreme_fraud,
            fraud_alpha: self.fraud_alpha,
            fraud_theta: self.fraud_theta,
            fabrication,
        };
        sim.check()?;
        let thousands_separator = match self.thousands_separator.as_deref() {
            None => None,
            Some(".") => Some(b'.'),
            Some(",") => Some(b','),
            Some(s) => bail!("--thousands-separator must be `.` or `,` (got {s:?})"),
        };
        let out = WriteSpec {
            layout: self.layout,
            delimiter: parse_delimiter(&self.delimiter)?,
            encoding: self.encoding,
            bom: self.bom,
            crlf: self.crlf,
            thousands_separator,
            language: self.language,
        };
        ensure!(
            !(out.bom && out.encoding == TextEncoding::Windows1252),
            "--bom only applies to --encoding utf-8"
        );
        Ok((sim, out))
    }

    /// The planted differences of `--second-source`, or `None` without it.
    pub fn second_source_spec(&self) -> anyhow::Result<Option<SecondSourceSpec>> {
        let planting = self.transcription_errors > 0
            || self.favour_edits > 0
            || self.favour_region.is_some()
            || self.missing_tables > 0;
        let Some(path) = &self.second_source else {
            ensure!(
                !planting,
                "--transcription-errors, --favour-edits, --favour-region and --missing-tables need --second-source FILE"
            );
            return Ok(None);
        };
        ensure!(
            !self.no_mapping,
            "--second-source needs the mapping files (its mapping declares the pair): drop --no-mapping"
        );
        ensure!(
            path != &self.output,
            "--second-source {} is the same file as --output",
            path.display()
        );
        let regions = self.regions.clamp(1, spec::MAX_REGIONS);
        Ok(Some(SecondSourceSpec {
            transcription_errors: self.transcription_errors,
            favour_edits: self.favour_edits,
            favour_region: match &self.favour_region {
                Some(r) => resolve_region("favour-region", r, regions)?,
                None => 0,
            },
            missing_tables: self.missing_tables,
        }))
    }

    /// The `analyze simulate ...` command that reproduces this run: every
    /// non-default flag (and always --output and --seed), file names without
    /// their folders, shell-quoted where needed.
    pub fn command_line(&self) -> String {
        let d = SimSpec::default();
        let file = |p: &Path| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        };
        let int = |v: usize, default: usize| (v != default).then(|| v.to_string());
        let real = |v: f64, default: f64| (v != default).then(|| v.to_string());
        // Some("") is a switch without a value.
        let switch = |on: bool| on.then(String::new);
        let delimiter = parse_delimiter(&self.delimiter).ok().filter(|&b| b != b',');
        let flags = [
            ("output", Some(file(&self.output))),
            ("seed", Some(self.seed.to_string())),
            ("stations", int(self.stations, d.stations)),
            ("candidates", int(self.candidates, d.candidates)),
            ("regions", int(self.regions, d.regions)),
            (
                "districts-per-region",
                int(self.districts_per_region, d.districts_per_region),
            ),
            (
                "incremental-fraud",
                real(self.incremental_fraud, d.incremental_fraud),
            ),
            ("extreme-fraud", real(self.extreme_fraud, d.extreme_fraud)),
            ("fraud-alpha", real(self.fraud_alpha, d.fraud_alpha)),
            ("fraud-theta", real(self.fraud_theta, d.fraud_theta)),
            ("fabricate-region", self.fabricate_region.clone()),
            (
                "fabricate-share",
                self.fabricate_share.map(|s| s.to_string()),
            ),
            (
                "layout",
                (self.layout == Layout::Long).then(|| "long".into()),
            ),
            ("delimiter", delimiter.map(|b| delimiter_flag(b).into())),
            (
                "encoding",
                (self.encoding == TextEncoding::Windows1252).then(|| "windows-1252".into()),
            ),
            ("bom", switch(self.bom)),
            ("crlf", switch(self.crlf)),
            ("thousands-separator", self.thousands_separator.clone()),
            (
                "language",
                (self.language == Language::Es).then(|| "es".into()),
            ),
            ("truth", self.truth.as_deref().map(file)),
            ("no-mapping", switch(self.no_mapping)),
            ("second-source", self.second_source.as_deref().map(file)),
            ("transcription-errors", int(self.transcription_errors, 0)),
            ("favour-edits", int(self.favour_edits, 0)),
            ("favour-region", self.favour_region.clone()),
            ("missing-tables", int(self.missing_tables, 0)),
        ];
        let mut words = vec!["analyze".to_string(), "simulate".to_string()];
        for (name, value) in flags {
            if let Some(v) = value {
                words.push(format!("--{name}"));
                words.extend((!v.is_empty()).then_some(v));
            }
        }
        words
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Quote a word for a POSIX shell when it has anything but safe characters.
fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=,:+%@".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SimulateArgs,
    }

    fn parse(flags: &[&str]) -> SimulateArgs {
        let argv = ["analyze"].iter().chain(flags);
        Cli::try_parse_from(argv).unwrap().args
    }

    fn error(flags: &[&str]) -> String {
        parse(flags).specs().unwrap_err().to_string()
    }

    #[test]
    fn defaults_give_a_clean_default_spec() {
        let (sim, out) = parse(&["--output", "x.csv"]).specs().unwrap();
        assert_eq!(sim, SimSpec::default());
        assert_eq!(out, WriteSpec::default());
    }

    #[test]
    fn command_line_lists_non_default_flags_without_folders() {
        let args = parse(&[
            "--output",
            "/tmp/some where/fraud.csv.gz",
            "--seed",
            "7",
            "--stations",
            "2000",
            "--incremental-fraud",
            "0.3",
            "--fabricate-region",
            "Costa Norte",
            "--delimiter",
            ";",
            "--thousands-separator",
            ".",
            "--encoding",
            "windows-1252",
            "--layout",
            "long",
            "--crlf",
            "--language",
            "es",
            "--truth",
            "/abs/truth.csv",
        ]);
        assert_eq!(
            args.command_line(),
            "analyze simulate --output fraud.csv.gz --seed 7 --stations 2000 --incremental-fraud 0.3 \
             --fabricate-region 'Costa Norte' --layout long --delimiter ';' --encoding windows-1252 --crlf \
             --thousands-separator . --language es --truth truth.csv"
        );
        assert_eq!(
            parse(&["--output", "c.csv"]).command_line(),
            "analyze simulate --output c.csv --seed 1"
        );
        let (sim, out) = args.specs().unwrap();
        assert_eq!(
            sim.fabrication,
            Some(Fabrication {
                region: 1,
                share: 0.5
            })
        );
        assert_eq!((out.delimiter, out.thousands_separator), (b';', Some(b'.')));
    }

    #[test]
    fn bad_arguments_give_clear_errors() {
        assert_eq!(
            error(&["--output", "x.csv", "--candidates", "40"]),
            "--candidates must be between 2 and 26 (got 40)"
        );
        assert!(error(&["--output", "x.csv", "--delimiter", "|"]).contains("--delimiter"));
        assert!(error(&["--output", "x.csv", "--thousands-separator", " "])
            .contains("--thousands-separator"));
        assert!(
            error(&["--output", "x.csv", "--bom", "--encoding", "windows-1252"]).contains("--bom")
        );
        assert!(error(&["--output", "x.csv", "--fabricate-share", "0.2"])
            .contains("--fabricate-region"));
        assert!(
            error(&["--output", "x.csv", "--fabricate-region", "Atlantis"])
                .contains("Región Andina")
        );
        assert!(
            error(&["--output", "x.csv", "--fabricate-region", "9"]).contains("between 1 and 8")
        );
        assert!(error(&["--output", "x.csv", "--extreme-fraud", "1.5"]).contains("--extreme-fraud"));
        let (sim, _) = parse(&[
            "--output",
            "x.csv",
            "--fabricate-region",
            "île",
            "--fabricate-share",
            "1",
        ])
        .specs()
        .unwrap();
        assert_eq!(
            sim.fabrication,
            Some(Fabrication {
                region: 3,
                share: 1.0
            })
        );
    }
}
