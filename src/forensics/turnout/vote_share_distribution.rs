//! `vote_share_distribution`: each major candidate's share of valid votes per station (the
//! national leader first), with the same summary as `turnout_distribution`: moments, the shares of
//! stations at or above 95 % and at 100 %, and Hartigan's dip test of unimodality.
//!
//! References: Klimek et al. (2012), *PNAS* 109(41):16469 (share of valid votes; fair elections
//! give one compact mode, regional blocs such as Quebec give two); Hartigan & Hartigan (1985),
//! *Ann. Statist.* 13(1):70–84; Kobak, Shpilkin & Pshenichnikov (2016), *AOAS* 10(1):54–73
//! (dithering). Major candidates: the leader and every candidate with at least 5 % of valid votes
//! nationally (at most six). Stations without valid votes have no share and are counted.

use crate::finding::TestOutput;
use crate::forensics::turnout::data::contenders;
use crate::forensics::turnout::distribution::{run as run_groups, RatioSubject};
use crate::forensics::{Battery, ForensicTest};

pub const TEST: ForensicTest = ForensicTest {
    id: "vote_share_distribution",
    title: "Vote-share distribution",
    method: "Each major candidate's share of valid votes per station (leader first; major = at least 5 % nationally), dithered, as histograms at 1- and 0.1-point bins; mean, median, SD, skewness, Pearson kurtosis, the shares of stations at or above 95 % and at 100 %, and Hartigan's dip test of unimodality. Two modes often mean regional blocs, not manipulation.",
    references: "Klimek et al. (2012) PNAS 109:16469; Hartigan & Hartigan (1985) Ann. Statist. 13:70; Kobak, Shpilkin & Pshenichnikov (2016) Ann. Appl. Stat. 10:54",
    weight: 0.03,
    run,
};

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    let subjects: Vec<RatioSubject<'_>> = contenders(b)
        .into_iter()
        .enumerate()
        .map(|(i, c)| RatioSubject {
            name: c.name.to_string(),
            what: format!("share of valid votes for {}", c.name),
            num: c.votes,
            den: c.valid,
            stream: 0x7368_6172 + i as u64,
        })
        .collect();
    Ok(run_groups(b, TEST.id, &subjects))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::Params;

    #[test]
    fn major_candidates_leader_first_with_moments() {
        let t = crate::forensics::turnout::data::tests::turnout_tally(5, 2000);
        let params = Params::default();
        let out = run(&Battery::new(&t, &params)).unwrap();
        let subjects: Vec<&str> = out
            .findings
            .iter()
            .filter(|f| f.region.is_none())
            .map(|f| f.subject.as_str())
            .collect();
        assert_eq!(subjects, ["Lead", "Second"], "Minor (~4.5 %) is not major");
        let lead = &out.findings[0];
        let mean = lead.details["mean"].as_f64().unwrap();
        assert!((mean - 0.55).abs() < 0.01, "{mean}");
        assert!(lead.p_value.unwrap() > 0.01, "{}", lead.headline);
        assert_eq!(out.findings.len(), 6, "2 subjects × (national + 2 regions)");
    }
}
