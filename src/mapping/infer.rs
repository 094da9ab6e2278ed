//! Inferring a mapping from column names (English and Spanish) and a sample of rows.
//!
//! The inferred mapping is written into the output (`mapping.toml`) so the user can check it, edit
//! it, save it beside the data as `<name>.mapping.toml` and rerun. Inference refuses to guess: two
//! columns that could play the same role, no station key, or candidate columns that do not add up to
//! the valid votes stop with an error that says what to write.

use anyhow::bail;

use super::{
    CandidateColumn, ColumnSum, CountsSection, DatasetSection, Layout, LongSection, Mapping,
    RegionLevel, StationSection,
};
use crate::input::number::parse_count;

const REGISTERED: &[&str] = &[
    "registered",
    "registered_voters",
    "voters_registered",
    "electors",
    "electorate",
    "eligible",
    "eligible_voters",
    "inscritos",
    "electores",
    "electores_inscritos",
    "habilitados",
    "registrados",
    "re",
];
const BALLOTS: &[&str] = &[
    "ballots_cast",
    "ballots",
    "votes_cast",
    "total_votes",
    "total_ballots",
    "turnout_count",
    "votantes",
    "emitidos",
    "votos_emitidos",
    "sufragantes",
    "total_votos",
    "voters_voted",
];
const VALID: &[&str] = &[
    "valid",
    "valid_votes",
    "valid_ballots",
    "validos",
    "votos_validos",
];
const NULL: &[&str] = &[
    "null",
    "null_votes",
    "nulls",
    "invalid",
    "invalid_votes",
    "invalid_ballots",
    "spoiled",
    "rejected",
    "nulos",
    "votos_nulos",
];
const BLANK: &[&str] = &[
    "blank",
    "blank_votes",
    "blank_ballots",
    "blancos",
    "votos_blancos",
    "votos_en_blanco",
];
const KEY: &[&str] = &[
    "station_id",
    "polling_station_id",
    "polling_station",
    "station",
    "precinct_id",
    "precinct",
    "table_id",
    "table",
    "acta",
    "id_mesa",
    "numero_mesa",
    "cod_mesa",
    "codigo_mesa",
    "mesa",
    "id",
];
/// Region columns by rank (0 = top). Columns of different ranks nest in rank order (País >
/// Departamento > Provincia > Municipio > ... in Bolivia); columns of the same rank (e.g.
/// Municipio and Distrito) are ordered by the data (`order_regions`).
const REGION_LEVELS: &[&[&str]] = &[
    &["country", "pais"],
    &[
        "region",
        "state",
        "estado",
        "departamento",
        "department",
        "edo",
    ],
    &["province", "provincia"],
    &[
        "district",
        "municipality",
        "municipio",
        "county",
        "distrito",
        "canton",
        "mun",
    ],
    &["parish", "parroquia", "ward", "localidad", "comuna", "par"],
    &["centre", "center", "centro", "recinto", "polling_place"],
];
const LONG_CANDIDATE: &[&str] = &[
    "candidate",
    "candidato",
    "candidate_name",
    "party",
    "partido",
    "lista",
    "list",
];
const LONG_VOTES: &[&str] = &["votes", "votos", "vote_count", "count"];

/// A header reduced to lowercase ASCII words joined by `_` (accents dropped).
pub fn normalise(header: &str) -> String {
    let mut out = String::new();
    for c in header.trim().to_lowercase().chars() {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c => c,
        };
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// Names that hold codes, identifiers or coordinates, never votes.
fn looks_like_code(norm: &str) -> bool {
    const EXACT: &[&str] = &[
        "lat",
        "lon",
        "lng",
        "latitude",
        "longitude",
        "x",
        "y",
        "year",
        "ano",
        "url",
        "zip",
    ];
    const PREFIX: &[&str] = &["cod", "code", "id_", "num", "no_", "nr", "codigo", "numero"];
    const SUFFIX: &[&str] = &["_id", "_code", "_cod", "_no", "_nr", "_number"];
    EXACT.contains(&norm)
        || PREFIX.iter().any(|p| norm.starts_with(p))
        || SUFFIX.iter().any(|s| norm.ends_with(s))
}

/// The unused columns named like regions, top level first: by rank in `REGION_LEVELS`, and within
/// a rank by how finely they split the sample below the higher ranks (distinct paths), so a
/// nested hierarchy such as País > Departamento > Provincia > Municipio > Distrito comes out in
/// order. Ties keep the file's column order.
fn order_regions(norm: &[String], used: &[bool], sample: &[Vec<String>]) -> Vec<usize> {
    let rank = |i: usize| {
        REGION_LEVELS
            .iter()
            .position(|names| names.contains(&norm[i].as_str()))
    };
    let found: Vec<(usize, usize)> = (0..norm.len())
        .filter(|&i| !used[i])
        .filter_map(|i| rank(i).map(|r| (r, i)))
        .collect();
    let distinct_paths = |cols: &[usize]| {
        sample
            .iter()
            .map(|row| {
                cols.iter()
                    .map(|&c| row.get(c).map(|v| v.trim()).unwrap_or(""))
                    .collect::<Vec<_>>()
            })
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    let mut keyed: Vec<(usize, usize, usize)> = found
        .iter()
        .map(|&(r, i)| {
            let mut cols: Vec<usize> = found
                .iter()
                .filter(|(q, _)| *q < r)
                .map(|&(_, c)| c)
                .collect();
            cols.push(i);
            (r, distinct_paths(&cols), i)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, _, i)| i).collect()
}

/// A draft mapping for a file whose columns could not be inferred (`problem` says why): every
/// role filled with the first column whose name fits it, region columns in nesting order, every
/// other whole-number column as a candidate, and a header comment listing the file's columns.
/// Valid TOML, meant to be checked and edited, never used as is.
pub fn draft(dataset: &str, headers: &[String], sample: &[Vec<String>], problem: &str) -> String {
    let norm: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let mut used = vec![false; headers.len()];
    let first = |names: &[&str], used: &mut Vec<bool>| {
        let hit = (0..headers.len()).find(|&i| !used[i] && names.contains(&norm[i].as_str()));
        if let Some(i) = hit {
            used[i] = true;
        }
        hit
    };
    let long_candidate = first(LONG_CANDIDATE, &mut used);
    let long_votes = long_candidate.and_then(|_| first(LONG_VOTES, &mut used));
    let roles: Vec<Option<usize>> = [REGISTERED, BALLOTS, VALID, NULL, BLANK]
        .iter()
        .map(|names| first(names, &mut used))
        .collect();
    let regions = order_regions(&norm, &used, sample);
    for &r in &regions {
        used[r] = true;
    }
    let key = first(KEY, &mut used);
    let col = |i: Option<usize>| i.map(|i| ColumnSum::One(headers[i].clone()));
    let mut mapping = Mapping {
        dataset: DatasetSection {
            name: Some(dataset.to_string()),
            files: vec![],
            layout: Layout::Wide,
        },
        station: StationSection {
            key: vec![headers[key.unwrap_or(0)].clone()],
        },
        regions: regions
            .iter()
            .map(|&i| RegionLevel {
                column: headers[i].clone(),
                level: None,
            })
            .collect(),
        counts: CountsSection {
            registered: col(roles[0]),
            ballots_cast: col(roles[1]),
            valid: col(roles[2]),
            null: col(roles[3]),
            blank: col(roles[4]),
        },
        ..Default::default()
    };
    match (long_candidate, long_votes) {
        (Some(c), Some(v)) => {
            mapping.dataset.layout = Layout::Long;
            mapping.long = Some(LongSection {
                candidate_column: headers[c].clone(),
                votes_column: headers[v].clone(),
                names: Default::default(),
            });
        }
        _ => {
            mapping.candidates = (0..headers.len())
                .filter(|&i| !used[i] && Some(i) != key && !looks_like_code(&norm[i]))
                .filter(|&i| {
                    sample
                        .iter()
                        .any(|r| r.get(i).is_some_and(|v| !v.trim().is_empty()))
                        && sample.iter().all(|r| {
                            r.get(i)
                                .is_none_or(|v| v.trim().is_empty() || parse_count(v, None).is_ok())
                        })
                })
                .map(|i| CandidateColumn {
                    column: headers[i].clone(),
                    name: None,
                })
                .collect();
        }
    }
    let columns: Vec<String> = headers.iter().map(|h| format!("{h:?}")).collect();
    let mut text = format!(
        "# DRAFT mapping for dataset {dataset:?}: the columns could not be inferred\n#   ({})\n# Check every entry against the file's columns, fix the station key, regions, counts and\n# candidates, save it beside the data as {}.mapping.toml (or pass --mapping FILE) and rerun.\n# The file's columns: {}\n\n",
        problem.replace(char::is_control, " "),
        // A comment line ends at a line break: a name with one must not add TOML lines.
        dataset.replace(char::is_control, " "),
        columns.join(", ")
    );
    text.push_str(&mapping.to_toml().unwrap_or_default());
    text
}

/// Infer a mapping for a dataset from its header and sample rows.
/// Returns the mapping and notes saying what was inferred and how.
pub fn infer(
    dataset: &str,
    headers: &[String],
    sample: &[Vec<String>],
) -> anyhow::Result<(Mapping, Vec<String>)> {
    let norm: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let mut used = vec![false; headers.len()];
    let mut notes = Vec::new();
    let hint = format!("write a mapping file {dataset}.mapping.toml beside the data, or pass --mapping FILE (README.md, \"Mapping files\")");

    let role = |names: &[&str],
                what: &str,
                toml_key: &str,
                used: &mut Vec<bool>|
     -> anyhow::Result<Option<usize>> {
        let hits: Vec<usize> = (0..headers.len())
            .filter(|&i| !used[i] && names.contains(&norm[i].as_str()))
            .collect();
        match hits.as_slice() {
            [] => Ok(None),
            [i] => {
                used[*i] = true;
                Ok(Some(*i))
            }
            many => {
                let cols: Vec<String> = many.iter().map(|&i| format!("{:?}", headers[i])).collect();
                bail!(
                    "cannot tell which column holds {what}: {}; {hint} with {toml_key} = {}",
                    cols.join(" or "),
                    cols[0]
                )
            }
        }
    };

    let long_candidate = role(
        LONG_CANDIDATE,
        "candidate names",
        "[long] candidate_column",
        &mut used,
    )?;
    let long_votes = if long_candidate.is_some() {
        role(LONG_VOTES, "votes", "[long] votes_column", &mut used)?
    } else {
        None
    };
    let registered = role(
        REGISTERED,
        "registered voters",
        "[counts] registered",
        &mut used,
    )?;
    let ballots = role(BALLOTS, "ballots cast", "[counts] ballots_cast", &mut used)?;
    let valid = role(VALID, "valid votes", "[counts] valid", &mut used)?;
    let null = role(NULL, "null (invalid) ballots", "[counts] null", &mut used)?;
    let blank = role(BLANK, "blank ballots", "[counts] blank", &mut used)?;
    let regions = order_regions(&norm, &used, sample);
    for &r in &regions {
        used[r] = true;
    }
    let key = role(KEY, "the station identifier", "[station] key", &mut used)?;

    let Some(key) = key else {
        bail!(
            "no station identifier column found (looked for names like station_id, mesa, precinct, id); {hint} with [station] key = [\"<column>\"]"
        );
    };
    // A table number is often unique only within its centre or region: widen the key, deepest
    // region level first, until the sample has no duplicates.
    let mut key_cols = vec![key];
    // In long layout a station has one row per candidate: uniqueness is of (key, candidate).
    let unique = |cols: &[usize]| {
        let cols: Vec<usize> = cols.iter().copied().chain(long_candidate).collect();
        let mut seen = std::collections::HashSet::new();
        sample.iter().all(|row| {
            seen.insert(
                cols.iter()
                    .map(|&c| row.get(c).map(String::as_str).unwrap_or(""))
                    .collect::<Vec<_>>(),
            )
        })
    };
    for &r in regions.iter().rev() {
        if unique(&key_cols) {
            break;
        }
        key_cols.insert(0, r);
    }
    if !unique(&key_cols) && long_candidate.is_none() {
        notes.push(format!(
            "the inferred station key ({}) repeats within the first {} rows; duplicates will be excluded and listed",
            key_cols.iter().map(|&c| headers[c].as_str()).collect::<Vec<_>>().join(", "),
            sample.len()
        ));
    }

    let col = |i: Option<usize>| i.map(|i| ColumnSum::One(headers[i].clone()));
    let counts = CountsSection {
        registered: col(registered),
        ballots_cast: col(ballots),
        valid: col(valid),
        null: col(null),
        blank: col(blank),
    };
    let mut mapping = Mapping {
        dataset: DatasetSection {
            name: Some(dataset.to_string()),
            files: vec![],
            layout: Layout::Wide,
        },
        station: StationSection {
            key: key_cols.iter().map(|&c| headers[c].clone()).collect(),
        },
        regions: regions
            .iter()
            .map(|&i| RegionLevel {
                column: headers[i].clone(),
                level: None,
            })
            .collect(),
        counts,
        ..Default::default()
    };

    if let Some(cand) = long_candidate {
        let Some(votes) = long_votes else {
            bail!("column {:?} looks like candidate names (long layout) but no votes column was found; {hint} with [long] votes_column = \"<column>\"", headers[cand]);
        };
        mapping.dataset.layout = Layout::Long;
        mapping.long = Some(LongSection {
            candidate_column: headers[cand].clone(),
            votes_column: headers[votes].clone(),
            names: Default::default(),
        });
        notes.push(format!(
            "long layout: candidate names in {:?}, votes in {:?}",
            headers[cand], headers[votes]
        ));
    } else {
        let candidates: Vec<usize> = (0..headers.len())
            .filter(|&i| {
                !used[i]
                    && !key_cols.contains(&i)
                    && !looks_like_code(&norm[i])
                    && !headers[i].is_empty()
            })
            .filter(|&i| {
                let mut any = false;
                let all = sample.iter().all(|row| match row.get(i).map(|v| v.trim()) {
                    None | Some("") => true,
                    Some(v) => {
                        any = true;
                        parse_count(v, None).is_ok()
                    }
                });
                all && any
            })
            .collect();
        if candidates.is_empty() {
            bail!("no candidate vote columns found (columns of whole numbers not named as counts, codes or ids); {hint} with one [[candidates]] column = \"<column>\" per candidate");
        }
        if let Some(v) = valid {
            let mismatches = sample
                .iter()
                .filter(|row| {
                    let total: u64 = candidates
                        .iter()
                        .filter_map(|&c| parse_count(row.get(c)?, None).ok())
                        .sum();
                    // Rows shorter than the header (malformed, excluded later) have no cell here.
                    row.get(v)
                        .and_then(|cell| parse_count(cell, None).ok())
                        .is_some_and(|valid| valid != total)
                })
                .count();
            if mismatches * 2 > sample.len() {
                let cols: Vec<String> = candidates
                    .iter()
                    .map(|&i| format!("{:?}", headers[i]))
                    .collect();
                bail!(
                    "the columns that look like candidates ({}) do not add up to {:?} in {mismatches} of the first {} rows; {hint} listing the candidate columns as [[candidates]] column = \"...\"",
                    cols.join(", "),
                    headers[v],
                    sample.len()
                );
            }
        }
        mapping.candidates = candidates
            .iter()
            .map(|&i| CandidateColumn {
                column: headers[i].clone(),
                name: None,
            })
            .collect();
    }
    notes.insert(
        0,
        format!(
            "no mapping file: the mapping was inferred from column names (station key {}, {} region level(s), {} count column(s){}); check output mapping.toml, save it as {dataset}.mapping.toml beside the data to edit it",
            mapping.station.key.join(" + "),
            mapping.regions.len(),
            [registered, ballots, valid, null, blank].iter().flatten().count(),
            if mapping.dataset.layout == Layout::Wide { format!(", {} candidate column(s)", mapping.candidates.len()) } else { String::new() },
        ),
    );
    mapping.check()?;
    Ok((mapping, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn normalises_headers() {
        assert_eq!(normalise(" Votos Válidos "), "votos_validos");
        assert_eq!(normalise("Número Mesa"), "numero_mesa");
        assert_eq!(normalise("MAS - IPSP"), "mas_ipsp");
    }

    #[test]
    fn infers_the_venezuelan_layout() {
        let headers = strings(&[
            "COD_EDO",
            "EDO",
            "MUN",
            "CENTRO",
            "MESA",
            "RE",
            "VOTOS_VALIDOS",
            "VOTOS_NULOS",
            "EG",
            "NM",
            "URL",
        ]);
        let sample = vec![
            strings(&[
                "1", "DC", "LIB", "101", "1", "666", "364", "0", "232", "132", "http://x",
            ]),
            strings(&[
                "1", "DC", "LIB", "101", "2", "673", "372", "0", "260", "112", "http://y",
            ]),
            strings(&[
                "1", "DC", "LIB", "102", "1", "500", "300", "1", "200", "100", "http://z",
            ]),
        ];
        let (m, notes) = infer("ve", &headers, &sample).unwrap();
        assert_eq!(m.station.key, vec!["CENTRO", "MESA"]);
        assert_eq!(
            m.regions
                .iter()
                .map(|r| r.column.as_str())
                .collect::<Vec<_>>(),
            vec!["EDO", "MUN", "CENTRO"]
        );
        assert_eq!(m.counts.registered, Some(ColumnSum::One("RE".into())));
        assert_eq!(
            m.candidates
                .iter()
                .map(|c| c.column.as_str())
                .collect::<Vec<_>>(),
            vec!["EG", "NM"]
        );
        assert!(notes[0].contains("inferred"));
    }

    #[test]
    fn infers_spanish_long_layout() {
        let headers = strings(&[
            "estado",
            "mesa",
            "electores_inscritos",
            "candidato",
            "votos",
        ]);
        let sample = vec![
            strings(&["A", "1", "100", "Ana", "40"]),
            strings(&["A", "1", "100", "Bea", "30"]),
        ];
        let (m, _) = infer("x", &headers, &sample).unwrap();
        assert_eq!(m.dataset.layout, Layout::Long);
        assert_eq!(m.long.unwrap().votes_column, "votos");
    }

    #[test]
    fn ambiguity_and_missing_key_say_what_to_write() {
        let headers = strings(&["station_id", "valid", "votos_validos", "a"]);
        let err = infer("d", &headers, &[]).unwrap_err().to_string();
        assert!(err.contains("[counts] valid = \"valid\""), "{err}");
        let headers = strings(&["region", "a", "b"]);
        let err = infer("d", &headers, &[strings(&["x", "1", "2"])])
            .unwrap_err()
            .to_string();
        assert!(err.contains("[station] key"), "{err}");
    }

    #[test]
    fn infers_a_nested_region_hierarchy_in_order() {
        // Bolivia 2019's columns: before, Departamento and Provincia (and Municipio and Distrito)
        // were "ambiguous" region levels and inference stopped.
        let headers = strings(&[
            "Número Mesa",
            "País",
            "Departamento",
            "Provincia",
            "Municipio",
            "Localidad",
            "Distrito",
            "Recinto",
            "lat",
            "Inscritos",
            "CC",
            "MAS - IPSP",
            "Blancos",
            "Nulos",
        ]);
        let row = |mesa: &str, dep: &str, prov: &str, mun: &str, dist: &str| {
            strings(&[
                mesa, "Bolivia", dep, prov, mun, "Loc", dist, "R", "-16.5", "230", "80", "90", "3",
                "5",
            ])
        };
        let sample = vec![
            row("10001", "La Paz", "Murillo", "La Paz", "1"),
            row("10002", "La Paz", "Murillo", "La Paz", "2"),
            row("10003", "La Paz", "Murillo", "El Alto", "1"),
            row("10004", "La Paz", "Omasuyos", "Achacachi", "1"),
            row("10005", "Oruro", "Cercado", "Oruro", "1"),
        ];
        let (m, _) = infer("bo", &headers, &sample).unwrap();
        let regions: Vec<&str> = m.regions.iter().map(|r| r.column.as_str()).collect();
        assert_eq!(
            regions[..4],
            ["País", "Departamento", "Provincia", "Municipio"]
        );
        assert_eq!(regions.len(), 7);
        assert_eq!(m.station.key, vec!["Número Mesa"]);
        assert_eq!(
            m.counts.registered,
            Some(ColumnSum::One("Inscritos".into()))
        );
        let candidates: Vec<&str> = m.candidates.iter().map(|c| c.column.as_str()).collect();
        assert_eq!(candidates, ["CC", "MAS - IPSP"]);
    }

    #[test]
    fn a_draft_mapping_is_valid_toml_with_every_recognised_column() {
        let headers = strings(&[
            "station_id",
            "valid",
            "votos_validos",
            "provincia",
            "a",
            "b",
        ]);
        let sample = vec![strings(&["1", "10", "10", "X", "4", "6"])];
        let problem = infer("d", &headers, &sample).unwrap_err().to_string();
        let text = draft("d", &headers, &sample, &problem);
        assert!(text.starts_with("# DRAFT mapping"), "{text}");
        assert!(
            text.contains("\"votos_validos\""),
            "the columns are listed: {text}"
        );
        let m: Mapping = toml::from_str(&text).unwrap();
        assert_eq!(m.station.key, vec!["station_id"]);
        assert_eq!(m.counts.valid, Some(ColumnSum::One("valid".into())));
        assert_eq!(m.regions[0].column, "provincia");
        let candidates: Vec<&str> = m.candidates.iter().map(|c| c.column.as_str()).collect();
        assert_eq!(candidates, ["votos_validos", "a", "b"]);
    }

    #[test]
    fn candidates_that_do_not_add_up_stop_inference() {
        let headers = strings(&["station_id", "valid", "a", "b"]);
        let sample = vec![
            strings(&["1", "10", "3", "4"]),
            strings(&["2", "10", "5", "4"]),
        ];
        let err = infer("d", &headers, &sample).unwrap_err().to_string();
        assert!(err.contains("do not add up"), "{err}");
    }
}
