//! `turnout_distribution`: turnout per station (ballots cast / registered voters), its moments,
//! the shares of stations at or above 95 % and at 100 %, and Hartigan's dip test of unimodality.
//!
//! References: Myagkov, Ordeshook & Shakin (2009), *The Forensics of Election Fraud*, CUP (turnout
//! should be roughly unimodal across comparable units); Hartigan & Hartigan (1985), "The dip test
//! of unimodality", *Ann. Statist.* 13(1):70–84; Klimek et al. (2012), *PNAS* 109(41):16469
//! (fair elections: one compact mode); Kobak, Shpilkin & Pshenichnikov (2016), *AOAS* 10(1):54–73
//! (dithering and 0.1-point histograms). Conventions: skewness m₃/m₂^{3/2}, Pearson kurtosis
//! (normal = 3); stations above 100 % are kept and flagged by the ledger. Not applicable without a
//! registered-voters column or with fewer than 30 stations.

use crate::finding::{Finding, TestOutput};
use crate::forensics::turnout::distribution::{run as run_groups, RatioSubject};
use crate::forensics::{Battery, ForensicTest};

pub const TEST: ForensicTest = ForensicTest {
    id: "turnout_distribution",
    title: "Turnout distribution",
    method: "Turnout (ballots cast / registered voters) per station, dithered by ±0.5 in numerator and denominator, as histograms at 1- and 0.1-point bins; mean, median, SD, skewness (m3/m2^1.5) and Pearson kurtosis (normal = 3); the shares of stations at or above 95 % and at 100 %; Hartigan's dip test of unimodality (p from a simulated table of the uniform null). More than one mode is as often regional difference as manipulation.",
    references: "Hartigan & Hartigan (1985) Ann. Statist. 13:70; Myagkov, Ordeshook & Shakin (2009) The Forensics of Election Fraud; Klimek et al. (2012) PNAS 109:16469; Kobak, Shpilkin & Pshenichnikov (2016) Ann. Appl. Stat. 10:54",
    weight: 0.03,
    run,
};

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    let t = b.tally;
    let Some(registered) = &t.registered else {
        let mut out = TestOutput::default();
        out.findings.push(Finding::not_applicable(
            TEST.id,
            "turnout",
            None,
            t.n_stations() as u64,
            "the data have no registered-voters column, so turnout is unknown".into(),
        ));
        return Ok(out);
    };
    let subject = RatioSubject {
        name: "turnout".into(),
        what: "turnout".into(),
        num: &t.ballots_cast,
        den: registered,
        stream: 0x7475_726e,
    };
    Ok(run_groups(b, TEST.id, &[subject]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Verdict;
    use crate::forensics::Params;

    #[test]
    fn honest_turnout_is_unimodal_and_two_peaks_are_not() {
        let mut t = crate::forensics::turnout::data::tests::turnout_tally(3, 3000);
        let params = Params {
            replicates: 20,
            ..Params::default()
        };
        let out = run(&Battery::new(&t, &params)).unwrap();
        let national = &out.findings[0];
        assert_eq!(national.region, None);
        assert!(national.p_value.unwrap() > 0.01, "{}", national.headline);
        assert_eq!(out.figures.len(), 3, "1 %, 0.1 % and regional charts");
        // One of the two regions at ~90 % turnout: two modes, which the regions explain.
        let reg = t.registered.clone().unwrap();
        let mut by_region = t.clone();
        for i in (0..t.n_stations()).step_by(2) {
            by_region.ballots_cast[i] = reg[i] * 9 / 10;
        }
        let out = run(&Battery::new(&by_region, &params)).unwrap();
        let f = &out.findings[0];
        assert!(
            f.details["dip_pooled_p_value"].as_f64().unwrap() <= 0.001,
            "{}",
            f.headline
        );
        assert!(f.p_value.unwrap() > 0.01, "{}", f.headline);
        // Half the stations of every region at ~90 %: two modes inside the strata.
        for i in (0..t.n_stations()).filter(|i| i % 4 < 2) {
            t.ballots_cast[i] = reg[i] * 9 / 10;
        }
        let out = run(&Battery::new(&t, &params)).unwrap();
        assert!(
            out.findings[0].p_value.unwrap() <= 0.001,
            "{}",
            out.findings[0].headline
        );
        let mut no_reg = t.clone();
        no_reg.registered = None;
        let out = run(&Battery::new(&no_reg, &params)).unwrap();
        assert_eq!(out.findings[0].verdict, Verdict::NotApplicable);
    }
}
