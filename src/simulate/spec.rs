//! Parameters of a synthetic election and the fixed vocabulary it uses:
//! region and candidate names, national base vote shares.
//!
//! Why: [`SimSpec`] is the checked, library-level form of the `simulate`
//! flags, so bad arguments fail with a clear message before anything is
//! generated, and generation itself can never fail. Names carry accents and
//! non-ASCII letters (all representable in windows-1252) so that every
//! encoding path of the reader is exercised by the generated files.
//!
//! The fraud parameters follow Klimek, Yegorov, Hanel & Thurner 2012, PNAS
//! 109(41):16469 (f_i, f_e, alpha, theta); the fabrication parameters drive
//! the human digit habits described by Beber & Scacco 2012, Political
//! Analysis 20(2):211.

/// Largest number of candidates (one per letter of `cand_a`..`cand_z`).
pub const MAX_CANDIDATES: usize = 26;

/// Invented counts in one region (0-based region index).
#[derive(Debug, Clone, PartialEq)]
pub struct Fabrication {
    pub region: usize,
    /// Share of that region's stations whose counts were invented.
    pub share: f64,
}

/// Checked generation parameters. `Default` is a clean mid-size election.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSpec {
    pub seed: u64,
    pub stations: usize,
    pub candidates: usize,
    pub regions: usize,
    pub districts_per_region: usize,
    /// Klimek f_i: probability that a station has incremental fraud.
    pub incremental_fraud: f64,
    /// Klimek f_e: probability that a station has extreme fraud.
    pub extreme_fraud: f64,
    /// Klimek alpha: vote stealing moves x^alpha of the opponents' votes.
    pub fraud_alpha: f64,
    /// Klimek theta: incremental x = |N(0, theta)|.
    pub fraud_theta: f64,
    pub fabrication: Option<Fabrication>,
}

impl Default for SimSpec {
    fn default() -> Self {
        SimSpec {
            seed: 1,
            stations: 5000,
            candidates: 5,
            regions: 8,
            districts_per_region: 6,
            incremental_fraud: 0.0,
            extreme_fraud: 0.0,
            fraud_alpha: 1.0,
            fraud_theta: 0.15,
            fabrication: None,
        }
    }
}

/// Upper limits of the generation parameters.
pub const MAX_REGIONS: usize = 500;
pub const MAX_DISTRICTS_PER_REGION: usize = 999;
pub const MAX_STATIONS: usize = 20_000_000;

fn clamp_real(v: f64, lo: f64, hi: f64, default: f64) -> f64 {
    if v.is_nan() {
        default
    } else {
        v.clamp(lo, hi)
    }
}

impl SimSpec {
    /// Check every parameter; [`super::generate`] clamps anything this rejects.
    pub fn check(&self) -> anyhow::Result<()> {
        use anyhow::ensure;
        let int = |flag: &str, v: usize, lo: usize, hi: usize| -> anyhow::Result<()> {
            ensure!(
                (lo..=hi).contains(&v),
                "--{flag} must be between {lo} and {hi} (got {v})"
            );
            Ok(())
        };
        let real = |flag: &str, v: f64, lo: f64, hi: f64| -> anyhow::Result<()> {
            ensure!(
                (lo..=hi).contains(&v),
                "--{flag} must be between {lo} and {hi} (got {v})"
            );
            Ok(())
        };
        int("candidates", self.candidates, 2, MAX_CANDIDATES)?;
        int("regions", self.regions, 1, MAX_REGIONS)?;
        int(
            "districts-per-region",
            self.districts_per_region,
            1,
            MAX_DISTRICTS_PER_REGION,
        )?;
        let min = self.regions * self.districts_per_region;
        ensure!(
            (min..=MAX_STATIONS).contains(&self.stations),
            "--stations must be between {min} (one per district) and {MAX_STATIONS} (got {})",
            self.stations
        );
        real("incremental-fraud", self.incremental_fraud, 0.0, 1.0)?;
        real("extreme-fraud", self.extreme_fraud, 0.0, 1.0)?;
        let total = self.incremental_fraud + self.extreme_fraud;
        ensure!(
            total <= 1.0,
            "--incremental-fraud + --extreme-fraud must not exceed 1 (got {total})"
        );
        real("fraud-alpha", self.fraud_alpha, 0.01, 10.0)?;
        real("fraud-theta", self.fraud_theta, 0.001, 1.0)?;
        if let Some(fab) = &self.fabrication {
            int("fabricate-region", fab.region + 1, 1, self.regions)?;
            real("fabricate-share", fab.share, 0.0, 1.0)?;
        }
        Ok(())
    }

    /// Copy with every parameter forced into the range [`SimSpec::check`] accepts.
    pub(crate) fn clamped(&self) -> SimSpec {
        let mut s = self.clone();
        s.candidates = s.candidates.clamp(2, MAX_CANDIDATES);
        s.regions = s.regions.clamp(1, MAX_REGIONS);
        s.districts_per_region = s.districts_per_region.clamp(1, MAX_DISTRICTS_PER_REGION);
        s.stations = s
            .stations
            .clamp(s.regions * s.districts_per_region, MAX_STATIONS);
        s.incremental_fraud = clamp_real(s.incremental_fraud, 0.0, 1.0, 0.0);
        s.extreme_fraud = clamp_real(s.extreme_fraud, 0.0, 1.0 - s.incremental_fraud, 0.0);
        s.fraud_alpha = clamp_real(s.fraud_alpha, 0.01, 10.0, 1.0);
        s.fraud_theta = clamp_real(s.fraud_theta, 0.001, 1.0, 0.15);
        if let Some(f) = &mut s.fabrication {
            f.region = f.region.min(s.regions - 1);
            f.share = clamp_real(f.share, 0.0, 1.0, 0.0);
        }
        s
    }
}

/// A candidate: CSV column code (`cand_a`) and display name.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub code: String,
    pub name: String,
}

/// (name, short name) of the regions; accents and non-ASCII letters (all in
/// windows-1252) exercise the encodings.
#[rustfmt::skip]
const REGION_NAMES: [(&str, &str); 16] = [
    ("Región Andina", "Andina"), ("Costa Norte", "Norte"), ("Llanos Süd", "Llanos"),
    ("Île Centrale", "Île"), ("Valle del Cañón", "Cañón"), ("Sierra Alta", "Sierra"),
    ("Península Oeste", "Península"), ("Delta Oriental", "Delta"), ("Selva Amazónica", "Selva"),
    ("Bahía Grande", "Bahía"), ("Meseta Ñuble", "Ñuble"), ("Altiplano São Tomé", "São Tomé"),
    ("Lagos Åland", "Åland"), ("Montaña Fría", "Montaña"), ("Puerto Écija", "Écija"),
    ("Cordillera Blanca", "Cordillera"),
];

/// Region names and short names for `regions` regions; both are a function
/// of the index only (names repeat with a number suffix past 16).
/// Every character is representable in windows-1252.
pub fn region_names(regions: usize) -> Vec<(String, String)> {
    (0..regions)
        .map(|r| {
            let (name, short) = REGION_NAMES[r % REGION_NAMES.len()];
            match r / REGION_NAMES.len() {
                0 => (name.to_string(), short.to_string()),
                k => (format!("{name} {}", k + 1), format!("{short} {}", k + 1)),
            }
        })
        .collect()
}

#[rustfmt::skip]
const CANDIDATE_NAMES: [&str; MAX_CANDIDATES] = [
    "Ana Acosta", "Bruno Barrios", "Carla Castillo", "Darío Díaz", "Elena Espinoza",
    "Fernando Fuentes", "Gabriela Guzmán", "Héctor Herrera", "Inés Ibáñez", "Javier Jiménez",
    "Karin Kühn", "Lucía López", "Manuel Márquez", "Nuria Núñez", "Óscar Ortega", "Paula Peña",
    "Quirino Quiroga", "Rosa Ramírez", "Sergio Suárez", "Teresa Téllez", "Ulises Urrutia",
    "Valeria Vázquez", "Wanda Weiß", "Ximena Xirau", "Yolanda Yáñez", "Zoé Zúñiga",
];

/// Candidates in ballot order: `cand_a` "Ana Acosta", `cand_b` ...
pub fn candidates(k: usize) -> Vec<Candidate> {
    (0..k.min(MAX_CANDIDATES))
        .map(|j| Candidate {
            code: format!("cand_{}", char::from(b'a' + j as u8)),
            name: CANDIDATE_NAMES[j].to_string(),
        })
        .collect()
}

/// National base shares: 0.46, 0.33, 0.12, 0.06, 0.03 for five candidates
/// (a leader, a runner-up, a third force and minor parties); past five the
/// tail decays geometrically from 0.06 to 0.01; renormalised to sum to 1.
pub fn base_shares(k: usize) -> Vec<f64> {
    let head = [0.46, 0.33, 0.12, 0.06, 0.03];
    let raw: Vec<f64> = if k <= head.len() {
        head[..k].to_vec()
    } else {
        let ratio = (0.01f64 / 0.06).powf(1.0 / (k - 4) as f64);
        head[..3]
            .iter()
            .copied()
            .chain((0..k - 3).map(|i| 0.06 * ratio.powi(i as i32)))
            .collect()
    };
    let total: f64 = raw.iter().sum();
    raw.iter().map(|s| s / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_gives_clear_errors() {
        let with = |f: fn(&mut SimSpec)| {
            let mut s = SimSpec::default();
            f(&mut s);
            s.check().err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert_eq!(
            with(|s| s.candidates = 40),
            "--candidates must be between 2 and 26 (got 40)"
        );
        assert!(with(|s| s.stations = 10)
            .starts_with("--stations must be between 48 (one per district)"));
        assert!(
            with(|s| (s.incremental_fraud, s.extreme_fraud) = (0.7, 0.5))
                .contains("must not exceed 1")
        );
        assert!(with(|s| s.fraud_alpha = f64::NAN).starts_with("--fraud-alpha"));
        assert!(with(|s| s.fabrication = Some(Fabrication {
            region: 8,
            share: 0.5
        }))
        .contains("--fabricate-region"));
        assert!(with(|s| s.fabrication = Some(Fabrication {
            region: 0,
            share: 2.0
        }))
        .contains("--fabricate-share"));
        assert!(SimSpec::default().check().is_ok());
    }

    #[test]
    fn clamped_spec_passes_check() {
        let absurd = SimSpec {
            candidates: 0,
            stations: 0,
            regions: 0,
            fraud_theta: -1.0,
            extreme_fraud: f64::INFINITY,
            fabrication: Some(Fabrication {
                region: 99,
                share: f64::NAN,
            }),
            ..SimSpec::default()
        };
        absurd.clamped().check().unwrap();
    }

    #[test]
    fn base_shares_descend_and_sum_to_one() {
        assert_eq!(
            base_shares(5),
            [0.46, 0.33, 0.12, 0.06, 0.03].map(|s| s / 1.0)
        );
        for k in 2..=MAX_CANDIDATES {
            let s = base_shares(k);
            assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(s.windows(2).all(|w| w[0] > w[1]), "k={k}: {s:?}");
        }
        let s = base_shares(26);
        assert!(
            (s[25] / s[3] - 1.0 / 6.0).abs() < 1e-9,
            "tail decays from 0.06 to 0.01"
        );
    }

    #[test]
    fn names_fit_windows_1252_and_repeat_with_numbers() {
        let regions = region_names(40);
        assert_eq!(
            regions[0],
            ("Región Andina".to_string(), "Andina".to_string())
        );
        assert_eq!(regions[17].0, "Costa Norte 2");
        let cands = candidates(MAX_CANDIDATES);
        assert_eq!(
            (cands[25].code.as_str(), cands[3].name.as_str()),
            ("cand_z", "Darío Díaz")
        );
        let all = regions
            .iter()
            .flat_map(|(a, b)| [a.clone(), b.clone()])
            .chain(cands.into_iter().map(|c| c.name));
        for name in all {
            assert!(!encoding_rs::WINDOWS_1252.encode(&name).2, "{name}");
        }
    }
}
