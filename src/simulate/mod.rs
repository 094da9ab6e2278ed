//! `analyze simulate`: seeded synthetic elections, clean or tampered, written
//! in real-world file formats with a mapping file and optional ground truth.
//!
//! Why: the forensic methods of this tool need data whose truth is known to
//! calibrate false-alarm rates and power, and the repository ships sample
//! data made by the tool itself (the mapping file records the exact command).
//!
//! * [`args`]: the clap flags, their checks, the reproducing command line.
//! * [`spec`]: checked parameters, region/candidate names, base shares.
//! * [`model`]: the honest election (hierarchy, turnout, shares, counts).
//! * [`fraud`]: Klimek, Yegorov, Hanel & Thurner 2012 (PNAS 109(41):16469)
//!   ballot stuffing and vote stealing; digit fabrication with the human
//!   habits described by Beber & Scacco 2012 (Political Analysis 20(2):211).
//! * [`write`]: CSV writer (layouts, delimiters, encodings, BOM, CRLF,
//!   thousands separators, gzip, atomic writes).
//! * [`mapping`]: the mapping TOML beside the data, and the ground truth.
//! * [`second_source`]: a second source of the same tables with planted
//!   differences and the truth listing them (`source_reconciliation`).
//!
//! Arguments are checked into a [`SimSpec`] and a [`WriteSpec`] with clear
//! errors; generation itself never fails.

pub mod args;
pub mod fraud;
pub mod mapping;
pub mod model;
pub mod second_source;
pub mod spec;
pub mod write;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, ensure, Context};

pub use args::SimulateArgs;
pub use mapping::{write_mapping, write_truth};
pub use model::{generate, Election, FraudKind};
pub use spec::{Candidate, Fabrication, SimSpec};
pub use write::{write_csv, Language, Layout, TextEncoding, WriteSpec};

/// `<folder>/<stem>.mapping.toml` beside the data file.
pub fn mapping_path(output: &Path) -> anyhow::Result<PathBuf> {
    let name = output
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("--output {} has no UTF-8 file name", output.display()))?;
    Ok(output.with_file_name(format!("{}.mapping.toml", mapping::data_stem(name))))
}

/// Generate the election, write the data file (and mapping, truth), and
/// print one summary line to stderr.
pub fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let (sim, out) = args.specs()?;
    let data_name = args
        .output
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("--output {} has no UTF-8 file name", args.output.display()))?
        .to_string();
    let mapping = mapping_path(&args.output)?;
    if let Some(t) = &args.truth {
        ensure!(
            t != &args.output && t != &mapping,
            "--truth {} would overwrite another output file",
            t.display()
        );
    }
    let second_spec = args.second_source_spec()?;
    let generated = generate(&sim);
    // With a second source, the first file misses the tables planted as only in the second.
    let (election, pair) = match &second_spec {
        Some(s) => {
            let pair = second_source::plant(&generated, s, sim.seed)?;
            (pair.first.clone(), Some(pair))
        }
        None => (generated, None),
    };
    write_csv(&election, &out, &args.output)?;
    let mut wrote = vec![args.output.display().to_string()];
    if !args.no_mapping {
        write_mapping(&election, &out, &data_name, &args.command_line(), &mapping)
            .context("writing the mapping file")?;
        wrote.push(mapping.display().to_string());
    }
    if let (Some(pair), Some(path)) = (&pair, &args.second_source) {
        wrote.extend(write_second_source(args, &out, &data_name, pair, path)?);
    }
    if let Some(t) = &args.truth {
        write_truth(&election, t).context("writing the ground truth")?;
        wrote.push(t.display().to_string());
    }
    eprintln!(
        "simulate: {} -> {} in {:.2} s",
        election.summary(),
        wrote.join(", "),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Write the second source, its mapping (declaring the pair) and the planted truth; returns the
/// paths written.
fn write_second_source(
    args: &SimulateArgs,
    out: &WriteSpec,
    first_name: &str,
    pair: &second_source::Pair,
    path: &Path,
) -> anyhow::Result<Vec<String>> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("--second-source {} has no UTF-8 file name", path.display()))?;
    let stem = mapping::data_stem(name);
    ensure!(
        stem != mapping::data_stem(first_name),
        "--second-source {name} and --output {first_name} would be datasets of the same name; give them different names"
    );
    let mapping_file = mapping_path(path)?;
    let planted = path.with_file_name(format!("{stem}.planted.csv"));
    write_csv(&pair.second, out, path)?;
    let count = |cause: &str| pair.planted.iter().filter(|r| r.cause == cause).count();
    let text = mapping::mapping_toml(&pair.second, out, name, &args.command_line())
        + &format!(
            "\n# A second source of the same tables: {} reading errors, {} cells changed by edits favouring the leader, {} tables missing from each source; {stem}.planted.csv lists them.\n",
            count("transcription"),
            count("favour"),
            count("missing") / 2
        )
        + &format!(
            "\n[reconcile]\nwith = {}\nstrip_leading_zeros = true\n",
            mapping::toml_string(mapping::data_stem(first_name))
        );
    write::write_atomically(&mapping_file, false, |w| Ok(w.write_all(text.as_bytes())?))
        .context("writing the second source's mapping file")?;
    second_source::write_planted(&pair.planted, &planted)
        .context("writing the planted differences")?;
    Ok(vec![
        path.display().to_string(),
        mapping_file.display().to_string(),
        planted.display().to_string(),
    ])
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

    #[test]
    fn mapping_path_strips_data_suffixes() {
        assert_eq!(
            mapping_path(Path::new("out/clean.csv.gz")).unwrap(),
            Path::new("out/clean.mapping.toml")
        );
        assert_eq!(
            mapping_path(Path::new("r.tsv")).unwrap(),
            Path::new("r.mapping.toml")
        );
    }

    #[test]
    fn run_writes_data_mapping_and_truth() {
        let dir = std::env::temp_dir().join(format!("simulate-run-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("tampered.csv");
        let truth = dir.join("truth.csv");
        let (d, t) = (data.to_str().unwrap(), truth.to_str().unwrap());
        run(&parse(&[
            "--output",
            d,
            "--stations",
            "500",
            "--extreme-fraud",
            "0.1",
            "--truth",
            t,
        ]))
        .unwrap();
        let mapping = std::fs::read_to_string(dir.join("tampered.mapping.toml")).unwrap();
        assert!(mapping.starts_with(
            "# Made by: analyze simulate --output tampered.csv --seed 1 --stations 500"
        ));
        assert!(mapping.lines().nth(1).unwrap().contains("extreme in"));
        assert_eq!(std::fs::read_to_string(&data).unwrap().lines().count(), 501);
        assert_eq!(
            std::fs::read_to_string(&truth).unwrap().lines().count(),
            501
        );
        run(&parse(&["--output", &format!("{d}.gz"), "--no-mapping"])).unwrap();
        assert!(dir.join("tampered.csv.gz").exists());
        assert!(run(&parse(&["--output", d, "--truth", d])).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
