//! What every forensic test returns: findings (typed envelope, serialised into results.json) and
//! figure specifications. No polars, no plotters, no IO here.
//!
//! The JSON field names are a contract with notebooks and other programs (docs/results-schema.md);
//! keep them stable and bump `SCHEMA_VERSION` in `report::json` when they change.

use serde::Serialize;
use serde_json::{Map, Value};

/// The outcome of one test on one subject and region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within what chance produces (after multiple-testing control).
    Consistent,
    /// Beyond what chance produces (after multiple-testing control). Never read as "fraud".
    Deviates,
    /// The test's assumptions fail for these data; `reason` says why.
    NotApplicable,
    /// A chart and summary numbers with no hypothesis test (e.g. the election fingerprint).
    Descriptive,
}

impl Verdict {
    /// The snake_case name, as in results.json and findings.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Consistent => "consistent",
            Verdict::Deviates => "deviates",
            Verdict::NotApplicable => "not_applicable",
            Verdict::Descriptive => "descriptive",
        }
    }

    /// For people: reports and chart titles ("not applicable").
    pub fn label(self) -> &'static str {
        match self {
            Verdict::NotApplicable => "not applicable",
            other => other.as_str(),
        }
    }
}

/// A named number.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Statistic {
    pub name: String,
    pub value: f64,
}

impl Statistic {
    pub fn new(name: &str, value: f64) -> Statistic {
        Statistic {
            name: name.to_string(),
            value,
        }
    }
}

/// One test applied to one subject (a candidate or a column) in one region.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The registry id of the test (also the file name of its module).
    pub test_id: &'static str,
    /// The candidate or column tested.
    pub subject: String,
    /// Region path from the top level down; null for the whole dataset.
    pub region: Option<Vec<String>>,
    /// Number of units (counts or stations) the statistic uses.
    pub n: u64,
    /// The test statistic; null when not applicable.
    pub statistic: Option<Statistic>,
    /// Raw p-value of the statistic that drives the verdict; null when not applicable.
    pub p_value: Option<f64>,
    /// Benjamini–Hochberg adjusted p-value across all findings of the dataset with a p-value.
    pub q_value: Option<f64>,
    /// Which computation produced `p_value` (e.g. "chi_square_smooth_null").
    pub p_value_source: Option<String>,
    /// Effect size (N-independent), e.g. mean absolute deviation of digit shares.
    pub effect_size: Option<Statistic>,
    pub verdict: Verdict,
    /// Why the test is not applicable (null otherwise).
    pub reason: Option<String>,
    /// One plain sentence for the report: what deviates, by how much, and how often chance would.
    pub headline: String,
    /// Figure path relative to the dataset's output folder, e.g. "figures/last_digit__ana.png".
    pub figure: Option<String>,
    /// Test-specific fields.
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl Finding {
    /// A finding whose test cannot be applied, with the reason.
    pub fn not_applicable(
        test_id: &'static str,
        subject: &str,
        region: Option<Vec<String>>,
        n: u64,
        reason: String,
    ) -> Finding {
        Finding {
            test_id,
            subject: subject.to_string(),
            region,
            n,
            statistic: None,
            p_value: None,
            q_value: None,
            p_value_source: None,
            effect_size: None,
            verdict: Verdict::NotApplicable,
            headline: format!("Not applicable: {reason}."),
            reason: Some(reason),
            figure: None,
            details: Map::new(),
        }
    }

    /// Region path as text ("national" for the whole dataset).
    pub fn region_label(&self) -> String {
        match &self.region {
            None => "national".to_string(),
            Some(path) => path.join(" > "),
        }
    }
}

/// A station a test singles out (listed in `flagged_stations.csv` beside the ledger's checks).
#[derive(Debug, Clone)]
pub struct StationFlag {
    /// Index into the tally's stations.
    pub station: u32,
    pub test_id: &'static str,
    /// What kind of extreme, e.g. "turnout ≥ 95 %".
    pub check: String,
    pub detail: String,
}

/// One per-station column a test adds to `stations.parquet`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StationColumn {
    /// Column name (the test id as prefix, e.g. `anomaly_mixture_p_extreme`).
    pub name: String,
    /// One value per station of the tally, in station order.
    pub values: Vec<Option<f64>>,
}

/// A table a test lists in full, written as a CSV file into the dataset's output folder (e.g.
/// `reconciliation_differences.csv`); cells are data strings, formula-neutralised on writing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataTable {
    /// File name (a fixed, safe name chosen by the test).
    pub file_name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Everything one test produced on one dataset.
#[derive(Debug, Clone, Default)]
pub struct TestOutput {
    pub findings: Vec<Finding>,
    pub figures: Vec<crate::figure::Figure>,
    pub station_flags: Vec<StationFlag>,
    /// Tables written as CSV files beside the report.
    pub tables: Vec<DataTable>,
    /// Per-station values a test computes (e.g. posterior probabilities), appended as columns of
    /// `stations.parquet`; one value per station of the tally in station order, `None` where the
    /// test gives none. Names are prefixed with the test id by the test.
    pub station_columns: Vec<StationColumn>,
    /// Lines for the report's notes about the data's structure (e.g. where a candidate does not
    /// stand).
    pub notes: Vec<String>,
    /// Wall time of each test of the battery (`--timings`; never written to an output, which must
    /// be byte-identical between runs).
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// Convenience for building `details`.
pub fn details<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
