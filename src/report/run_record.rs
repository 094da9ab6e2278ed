//! The run record: what a reader needs to reproduce a dataset's results and to cite them — tool
//! version and git commit, the command line that reproduces the run, the seed, the replicates asked
//! for and used by each test, and the mapping as used. Inputs (paths and SHA-256) and the options
//! are beside it in results.json. The command leaves out `--output`, so the record (and the whole
//! results.json) does not depend on where the outputs are written.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Report, RunOptions};
use crate::finding::Finding;
use crate::forensics::{Correction, Params};

/// The commit the binary was built from, when it was built in a git checkout (see build.rs).
pub const GIT_COMMIT: Option<&str> = option_env!("EF_GIT_COMMIT");

#[derive(Debug, Serialize)]
pub struct RunRecord {
    pub tool: &'static str,
    pub version: &'static str,
    /// "<sha>", "<sha>-dirty" (uncommitted changes under src/) or null (not built from git).
    pub git_commit: Option<&'static str>,
    /// The command that reproduces this dataset's results (output folder left out).
    pub command: String,
    pub seed: u64,
    pub replicates_requested: u32,
    pub max_station_draws: u64,
    /// Per test: fewest and most Monte Carlo replicates behind its p-values (large elections get
    /// fewer under `max_station_draws`). Tests without simulated p-values are absent.
    pub replicates_used: BTreeMap<&'static str, [u32; 2]>,
    /// The mapping used, as TOML (also written as mapping.toml).
    pub mapping_toml: String,
}

pub fn build(report: &Report<'_>) -> anyhow::Result<RunRecord> {
    let p = &report.options.params;
    Ok(RunRecord {
        tool: super::TOOL.name,
        version: super::TOOL.version,
        git_commit: GIT_COMMIT,
        command: command(report.options),
        seed: p.seed,
        replicates_requested: p.replicates,
        max_station_draws: p.max_station_draws,
        replicates_used: replicates_used(&report.findings),
        mapping_toml: report.mapping.mapping.to_toml()?,
    })
}

/// Replicates named in a finding's `p_value_source` ("simulation (1000 replicates), ...").
fn replicates_of(f: &Finding) -> Option<u32> {
    let source = f.p_value_source.as_deref()?;
    let end = source.find(" replicates")?;
    let start = source[..end].rfind('(')? + 1;
    source[start..end].trim().parse().ok()
}

fn replicates_used(findings: &[Finding]) -> BTreeMap<&'static str, [u32; 2]> {
    let mut out: BTreeMap<&'static str, [u32; 2]> = BTreeMap::new();
    for f in findings {
        if let Some(r) = replicates_of(f) {
            let e = out.entry(f.test_id).or_insert([r, r]);
            e[0] = e[0].min(r);
            e[1] = e[1].max(r);
        }
    }
    out
}

/// The `analyze` command line that reproduces a run: every option that shapes results, defaults
/// left out.
pub fn command(o: &RunOptions) -> String {
    let p = &o.params;
    let d = Params::default();
    let mut cmd = format!(
        "analyze --input {} --seed {} --replicates {} --alpha {}",
        o.input, p.seed, p.replicates, p.alpha
    );
    if p.correction != Correction::BenjaminiHochberg {
        cmd.push_str(" --correction holm");
    }
    if p.max_station_draws != d.max_station_draws {
        cmd.push_str(&format!(" --max-station-draws {}", p.max_station_draws));
    }
    if p.region_depth != 1 {
        cmd.push_str(&format!(" --region-depth {}", p.region_depth));
    }
    if p.simulate_digit_nulls {
        cmd.push_str(" --simulate-digit-nulls");
    }
    let defaults: Vec<&str> = crate::forensics::default_tests()
        .iter()
        .map(|t| t.id)
        .collect();
    if o.tests != defaults {
        cmd.push_str(&format!(" --tests {}", o.tests.join(",")));
    }
    if let Some(c) = &o.calibration {
        let d = crate::power::CalibrationSpec::default();
        cmd.push_str(" --calibrate");
        if c.replicates != d.replicates {
            cmd.push_str(&format!(" --calibration-replicates {}", c.replicates));
        }
        if c.strengths != d.strengths {
            let s: Vec<String> = c.strengths.iter().map(|s| s.to_string()).collect();
            cmd.push_str(&format!(" --calibration-strengths {}", s.join(",")));
        }
        if c.inner_replicates != d.inner_replicates {
            cmd.push_str(&format!(
                " --calibration-inner-replicates {}",
                c.inner_replicates
            ));
        }
        if c.manipulations != d.manipulations {
            let m: Vec<&str> = c.manipulations.iter().map(|m| m.id()).collect();
            cmd.push_str(&format!(" --calibration-manipulations {}", m.join(",")));
        }
    }
    if let Some(m) = &o.mapping {
        cmd.push_str(&format!(" --mapping {m}"));
    }
    if let Some(a) = &o.announced {
        cmd.push_str(&format!(" --announced {a}"));
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(params: Params) -> RunOptions {
        RunOptions {
            input: "data/".into(),
            mapping: None,
            announced: Some("b.toml".into()),
            tests: vec!["last_digit"],
            params,
            calibration: None,
        }
    }

    #[test]
    fn command_names_every_non_default_option() {
        let cmd = command(&options(Params {
            correction: Correction::Holm,
            region_depth: 2,
            simulate_digit_nulls: true,
            ..Params::default()
        }));
        assert_eq!(
            cmd,
            "analyze --input data/ --seed 20240728 --replicates 1000 --alpha 0.05 --correction holm --region-depth 2 --simulate-digit-nulls --tests last_digit --announced b.toml"
        );
    }

    #[test]
    fn citation_file_names_this_version() {
        let cff = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/CITATION.cff"))
            .expect("CITATION.cff at the repository root");
        assert!(
            cff.lines()
                .any(|l| l == format!("version: {}", env!("CARGO_PKG_VERSION"))),
            "CITATION.cff must give version {} (bump it with Cargo.toml)",
            env!("CARGO_PKG_VERSION")
        );
    }

    #[test]
    fn replicates_are_read_from_the_p_value_source() {
        let mut a = Finding::not_applicable("last_digit", "A", None, 1, "x".into());
        a.p_value_source = Some(crate::forensics::digits::findings::source(
            true,
            crate::forensics::digits::null::NullMethod::Simulated { replicates: 640 },
        ));
        let mut b = a.clone();
        b.p_value_source = Some(crate::forensics::digits::findings::source(
            false,
            crate::forensics::digits::null::NullMethod::Simulated { replicates: 1000 },
        ));
        let mut c = a.clone();
        c.test_id = "integer_percentages";
        c.p_value_source = Some("Monte Carlo per-station binomial resampling (200 replicates), one-sided normal tail of z".into());
        let mut d = a.clone();
        d.test_id = "turnout_share_relation";
        d.p_value_source = Some("one-sided z test of β ≤ 1".into());
        let used = replicates_used(&[a, b, c, d]);
        assert_eq!(used.get("last_digit"), Some(&[640, 1000]));
        assert_eq!(used.get("integer_percentages"), Some(&[200, 200]));
        assert_eq!(used.len(), 2);
    }
}
