//! The report's opening verdict across the battery: how many findings were tested, how many raw
//! p-values fall below the level and how many chance alone would put there, what survives the
//! multiple-testing adjustment (Benjamini–Hochberg by default, Holm with `--correction holm`), and
//! the survivors listed by effect size.
//!
//! "Chance alone": if every null hypothesis held and the p-values were uniform, the number of raw
//! p < α among m findings has mean α·m; for independent findings its SD is √(m α (1 − α))
//! (binomial). The battery's findings are positively dependent (tests read the same counts), which
//! widens the spread but leaves the mean; BH keeps its FDR guarantee under that kind of dependence
//! (Benjamini & Yekutieli 2001, *Ann. Statist.* 29(4):1165–1188, positive regression dependence),
//! Holm under any dependence.

use serde::Serialize;

use super::Report;
use crate::finding::{Finding, Verdict};
use crate::forensics::Correction;

/// The numbers of the summary (also in results.json as `multiple_testing`).
#[derive(Debug, Clone, Serialize)]
pub struct MultipleTesting {
    pub method: Correction,
    /// "false_discovery_rate" or "family_wise_error_rate".
    pub controls: &'static str,
    pub scope: &'static str,
    pub alpha: f64,
    pub findings_tested: usize,
    /// Findings with raw p < alpha (before adjustment).
    pub raw_below_alpha: usize,
    /// alpha × findings_tested: raw p < alpha expected if every null held.
    pub expected_raw_below_alpha_under_null: f64,
    /// √(m α (1 − α)): the SD of that count for independent findings.
    pub sd_raw_below_alpha_under_null: f64,
    pub findings_deviating: usize,
    pub findings_not_applicable: usize,
    /// Findings with numbers and a chart but no hypothesis test.
    pub findings_descriptive: usize,
}

pub fn multiple_testing(findings: &[Finding], alpha: f64, method: Correction) -> MultipleTesting {
    let count = |v: Verdict| findings.iter().filter(|f| f.verdict == v).count();
    let tested: Vec<&Finding> = findings.iter().filter(|f| f.q_value.is_some()).collect();
    let m = tested.len() as f64;
    MultipleTesting {
        method,
        controls: match method {
            Correction::BenjaminiHochberg => "false_discovery_rate",
            Correction::Holm => "family_wise_error_rate",
        },
        scope: "all findings of this dataset that have a p-value",
        alpha,
        findings_tested: tested.len(),
        raw_below_alpha: tested
            .iter()
            .filter(|f| f.p_value.is_some_and(|p| p < alpha))
            .count(),
        expected_raw_below_alpha_under_null: alpha * m,
        sd_raw_below_alpha_under_null: (m * alpha * (1.0 - alpha)).sqrt(),
        findings_deviating: count(Verdict::Deviates),
        findings_not_applicable: count(Verdict::NotApplicable),
        findings_descriptive: count(Verdict::Descriptive),
    }
}

/// The summary sentences about multiple testing.
pub fn sentences(mt: &MultipleTesting) -> Vec<String> {
    let mut out = vec![format!(
        "{} findings were tested (tests × subjects × regions); {} have a raw p-value below {}. If nothing deviated, chance alone would put about {:.1} there (± {:.1} for independent findings; the battery's findings share data, so the real spread is wider).",
        mt.findings_tested,
        mt.raw_below_alpha,
        mt.alpha,
        mt.expected_raw_below_alpha_under_null,
        mt.sd_raw_below_alpha_under_null
    )];
    out.push(match mt.method {
        Correction::BenjaminiHochberg => format!(
            "After Benjamini–Hochberg control of the false-discovery rate at {}, {} deviate: on average at most {:.0} % of such a list are chance flags, and if nothing deviated the chance of any flag would be at most {:.0} %.",
            mt.alpha,
            mt.findings_deviating,
            100.0 * mt.alpha,
            100.0 * mt.alpha
        ),
        Correction::Holm => format!(
            "After Holm's adjustment at {}, {} deviate: the chance that any of them is a chance flag is at most {:.0} %, whatever the dependence between findings.",
            mt.alpha,
            mt.findings_deviating,
            100.0 * mt.alpha
        ),
    });
    out.push(format!(
        "{} findings were not applicable to these data (reasons below each test); {} are descriptive (estimates and charts without a test).",
        mt.findings_not_applicable, mt.findings_descriptive
    ));
    out
}

/// The deviating findings in registry order of their tests, each test's by decreasing effect size
/// (effect sizes of different tests have different units and are not ranked against each other),
/// ties by p-value.
pub fn survivors<'a>(r: &'a Report<'_>) -> Vec<&'a Finding> {
    let order = |f: &Finding| r.tests.iter().position(|t| t.id == f.test_id);
    let mut out: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::Deviates)
        .collect();
    out.sort_by(|a, b| {
        let effect = |f: &Finding| f.effect_size.as_ref().map_or(0.0, |e| e.value.abs());
        order(a)
            .cmp(&order(b))
            .then(effect(b).total_cmp(&effect(a)))
            .then(
                a.p_value
                    .unwrap_or(1.0)
                    .total_cmp(&b.p_value.unwrap_or(1.0)),
            )
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(p: Option<f64>, verdict: Verdict) -> Finding {
        let mut f = Finding::not_applicable("last_digit", "A", None, 10, "x".into());
        f.p_value = p;
        f.verdict = verdict;
        f
    }

    #[test]
    fn counts_raw_flags_against_the_null_expectation() {
        let mut findings: Vec<Finding> = [0.001, 0.02, 0.04, 0.3, 0.5, 0.7, 0.9, 0.95]
            .iter()
            .map(|&p| finding(Some(p), Verdict::Consistent))
            .collect();
        findings.push(finding(None, Verdict::NotApplicable));
        findings.push(finding(None, Verdict::Descriptive));
        crate::forensics::apply_correction(&mut findings, 0.05, Correction::Holm);
        let mt = multiple_testing(&findings, 0.05, Correction::Holm);
        assert_eq!(mt.findings_tested, 8);
        assert_eq!(mt.raw_below_alpha, 3);
        assert!((mt.expected_raw_below_alpha_under_null - 0.4).abs() < 1e-12);
        // √(8 · 0.05 · 0.95) = 0.6164414...
        assert!((mt.sd_raw_below_alpha_under_null - 0.616_441_400_296_897_6).abs() < 1e-12);
        // Holm: 0.001 · 8 = 0.008 < 0.05; 0.02 · 7 = 0.14 does not survive.
        assert_eq!(mt.findings_deviating, 1);
        assert_eq!(
            (mt.findings_not_applicable, mt.findings_descriptive),
            (1, 1)
        );
        // BH: q = 0.008, 0.08, 0.107, ... → also one survivor.
        crate::forensics::apply_correction(&mut findings, 0.05, Correction::BenjaminiHochberg);
        assert_eq!(
            multiple_testing(&findings, 0.05, Correction::BenjaminiHochberg).findings_deviating,
            1
        );
        let text = sentences(&mt).join(" ");
        assert!(text.contains("about 0.4 there"), "{text}");
        assert!(text.contains("Holm"), "{text}");
    }
}
