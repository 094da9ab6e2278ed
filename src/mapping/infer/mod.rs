//! Inferring a mapping from column names and a sample of rows.
//!
//! The inferred mapping is written into the output (`mapping.toml`) and printed on the terminal so
//! the user can check it, edit it, save it beside the data as `<name>.mapping.toml` and rerun.
//! Inference refuses to guess: two columns that could play the same role, no station key, a column
//! named like a count, code or flag (`vocabulary.rs`, six languages) offered as a candidate, or a
//! mapping that fails a plausibility check on the sample (`plausibility.rs`) stops with an error
//! that says what to write, and the pipeline writes a draft mapping beside the outputs.

mod plausibility;
#[cfg(test)]
mod tests;
pub mod vocabulary;

pub use vocabulary::normalise;
use vocabulary::{
    count_word, CountWord, BALLOTS, BLANK, KEY, LONG_CANDIDATE, LONG_VOTES, NULL, REGION_LEVELS,
    REGISTERED, VALID,
};

use anyhow::bail;

use super::{
    CandidateColumn, ColumnSum, CountsSection, DatasetSection, Layout, LongSection, Mapping,
    RegionLevel, StationSection,
};
use crate::input::number::parse_count;

/// The unused columns named like regions, top level first: by rank in `REGION_LEVELS`, and within
/// a rank by how finely they split the sample below the higher ranks (distinct paths), so a
/// nested hierarchy such as País > Departamento > Provincia > Municipio > Distrito comes out in
/// order. Ties keep the file's column order.
fn order_regions(norm: &[String], used: &[bool], sample: &[Vec<String>]) -> Vec<usize> {
    // The whole name, or the last word of a name of two or three words (`Ubicación Estado` under a
    // merged `Ubicación`), names the level; not when a count or code word is in it (`cod_estado`),
    // nor at the end of a sentence-long protocol line ("... выданных избирателям ТИК").
    let rank = |i: usize| {
        let last = norm[i].rsplit('_').next().unwrap_or("");
        REGION_LEVELS
            .iter()
            .position(|names| names.contains(&norm[i].as_str()))
            .or_else(|| {
                (count_word(&norm[i]).is_none() && norm[i].split('_').count() <= 3)
                    .then(|| REGION_LEVELS.iter().position(|names| names.contains(&last)))
                    .flatten()
            })
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

/// Whether column `i` of the sample holds whole numbers (some, and nothing else but empty cells),
/// written without or with one thousands separator throughout.
fn numeric(sample: &[Vec<String>], i: usize) -> bool {
    let cells: Vec<&str> = sample
        .iter()
        .filter_map(|row| row.get(i).map(|v| v.trim()))
        .filter(|v| !v.is_empty())
        .collect();
    !cells.is_empty()
        && [
            None,
            Some('.'),
            Some(','),
            Some(' '),
            Some('\''),
            Some('\u{a0}'),
        ]
        .into_iter()
        .any(|sep| cells.iter().all(|v| parse_count(v, sep).is_ok()))
}

/// The thousands separator that makes every count-like cell of these columns a whole number, when
/// some cells are not whole numbers without one (`1.397`, `12,004`): `Some(separator, example)`.
fn thousands_needed(sample: &[Vec<String>], cols: &[usize]) -> Option<(char, String)> {
    let cells: Vec<&str> = cols
        .iter()
        .flat_map(|&c| sample.iter().filter_map(move |row| row.get(c)))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty() && !crate::input::DEFAULT_NULL_MARKERS.contains(v))
        .collect();
    let failing = cells.iter().find(|v| parse_count(v, None).is_err())?;
    ['.', ',', ' ', '\'', '\u{a0}']
        .into_iter()
        .find(|&sep| {
            parse_count(failing, Some(sep)).is_ok()
                && cells.iter().all(|v| parse_count(v, Some(sep)).is_ok())
        })
        .map(|sep| (sep, failing.to_string()))
}

/// The first unused column with one of `names`, or the only unused numeric column whose words say
/// `word` (`Votos válidos totales` for valid votes): exact names win, a word match must be unique.
fn by_word(
    norm: &[String],
    used: &[bool],
    sample: &[Vec<String>],
    word: CountWord,
) -> Option<usize> {
    let hits: Vec<usize> = (0..norm.len())
        .filter(|&i| !used[i] && count_word(&norm[i]) == Some(word) && numeric(sample, i))
        .collect();
    match hits.as_slice() {
        [i] => Some(*i),
        _ => None,
    }
}

const ROLE_WORDS: [CountWord; 5] = [
    CountWord::Registered,
    CountWord::Ballots,
    CountWord::Valid,
    CountWord::Invalid,
    CountWord::Blank,
];

/// The station key: a table number is often unique only within its centre or region, so the key
/// is widened, deepest region level first, until the sample has no duplicates (in long layout, no
/// duplicate (key, candidate)). Returns the key columns and whether they are unique.
fn widen_key(
    key: usize,
    regions: &[usize],
    sample: &[Vec<String>],
    long_candidate: Option<usize>,
) -> (Vec<usize>, bool) {
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
    let mut cols = vec![key];
    for &r in regions.iter().rev() {
        if unique(&cols) {
            break;
        }
        cols.insert(0, r);
    }
    let ok = unique(&cols);
    (cols, ok)
}

/// A wide mapping with the placed key, regions and count roles (registered, ballots cast, valid,
/// null, blank), for `infer` and `draft` to complete with candidates.
fn skeleton(
    dataset: &str,
    headers: &[String],
    key: &[usize],
    regions: &[usize],
    roles: [Option<usize>; 5],
) -> Mapping {
    let col = |i: Option<usize>| i.map(|i| ColumnSum::One(headers[i].clone()));
    let [registered, ballots_cast, valid, null, blank] = roles.map(col);
    Mapping {
        dataset: DatasetSection {
            name: Some(dataset.to_string()),
            files: vec![],
            layout: Layout::Wide,
        },
        station: StationSection {
            key: key.iter().map(|&c| headers[c].clone().into()).collect(),
        },
        regions: regions
            .iter()
            .map(|&i| RegionLevel {
                column: headers[i].clone(),
                level: None,
                names: None,
            })
            .collect(),
        counts: CountsSection {
            registered,
            ballots_cast,
            valid,
            null,
            blank,
        },
        ..Default::default()
    }
}

/// A draft mapping for a file whose columns could not be inferred (`problem` says why): every
/// role filled with the first column whose name fits it, region columns in nesting order, every
/// other whole-number column not named like a count, code or flag as a candidate, and a header
/// comment listing the file's columns and what could not be placed. Valid TOML, meant to be
/// checked and edited, never used as is.
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
    let mut roles: Vec<Option<usize>> = [REGISTERED, BALLOTS, VALID, NULL, BLANK]
        .iter()
        .map(|names| first(names, &mut used))
        .collect();
    for (role, word) in roles.iter_mut().zip(ROLE_WORDS) {
        if role.is_none() {
            *role = by_word(&norm, &used, sample, word);
            if let Some(i) = *role {
                used[i] = true;
            }
        }
    }
    let regions = order_regions(&norm, &used, sample);
    for &r in &regions {
        used[r] = true;
    }
    let key = first(KEY, &mut used);
    let roles: [Option<usize>; 5] = roles.try_into().unwrap_or_default();
    let key_cols = match key {
        Some(k) => widen_key(k, &regions, sample, long_candidate).0,
        None => vec![0],
    };
    let mut mapping = skeleton(dataset, headers, &key_cols, &regions, roles);
    let mut left_out = Vec::new();
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
            let mut candidates = Vec::new();
            for i in (0..headers.len()).filter(|&i| !used[i] && Some(i) != key) {
                match count_word(&norm[i]) {
                    Some(word) => left_out.push(format!("{:?} ({})", headers[i], word.describe())),
                    None if numeric(sample, i) => {
                        candidates.push(CandidateColumn::one(&headers[i]))
                    }
                    None => {}
                }
            }
            mapping.candidates = candidates;
        }
    }
    let count_cols: Vec<usize> = roles
        .iter()
        .flatten()
        .copied()
        .chain(
            mapping
                .candidates
                .iter()
                .filter_map(|c| headers.iter().position(|h| h == c.display_name())),
        )
        .collect();
    mapping.format.thousands_separator =
        thousands_needed(sample, &count_cols).map(|(sep, _)| sep.to_string());
    let columns: Vec<String> = headers.iter().map(|h| format!("{h:?}")).collect();
    // A comment line ends at a line break: names with one must not add TOML lines.
    let flat = |s: &str| s.replace(char::is_control, " ");
    let mut text = format!(
        "# DRAFT mapping for dataset {:?}: the columns could not be inferred\n#   ({})\n# Check every entry against the file's columns, fix the station key, regions, counts and\n# candidates, save it beside the data as {}.mapping.toml (or pass --mapping FILE) and rerun.\n# The file's columns: {}\n",
        flat(dataset),
        flat(problem),
        flat(dataset),
        flat(&columns.join(", "))
    );
    if key.is_none() {
        text.push_str(&format!(
            "# [station] key: no column is named like a station identifier; {:?}, the first column, is only a placeholder.\n",
            flat(&headers[0])
        ));
    }
    if !left_out.is_empty() {
        text.push_str(&format!(
            "# Not listed as candidates, because their names say they hold something else: {}.\n",
            flat(&left_out.join(", "))
        ));
    }
    text.push('\n');
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
    let mut roles = [
        role(
            REGISTERED,
            "registered voters",
            "[counts] registered",
            &mut used,
        )?,
        role(BALLOTS, "ballots cast", "[counts] ballots_cast", &mut used)?,
        role(VALID, "valid votes", "[counts] valid", &mut used)?,
        role(NULL, "null (invalid) ballots", "[counts] null", &mut used)?,
        role(BLANK, "blank ballots", "[counts] blank", &mut used)?,
    ];
    for (role, word) in roles.iter_mut().zip(ROLE_WORDS) {
        if role.is_none() {
            *role = by_word(&norm, &used, sample, word);
            if let Some(i) = *role {
                used[i] = true;
                notes.push(format!(
                    "column {:?} taken as {} from the words of its name",
                    headers[i],
                    word.describe()
                ));
            }
        }
    }
    let [registered, ballots, valid, null, blank] = roles;
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
    let (key_cols, unique) = widen_key(key, &regions, sample, long_candidate);
    if !unique && long_candidate.is_none() {
        notes.push(format!(
            "the inferred station key ({}) repeats within the first {} rows; duplicates will be excluded and listed",
            key_cols.iter().map(|&c| headers[c].as_str()).collect::<Vec<_>>().join(", "),
            sample.len()
        ));
    }

    let mut mapping = skeleton(
        dataset,
        headers,
        &key_cols,
        &regions,
        [registered, ballots, valid, null, blank],
    );

    let mut candidates: Vec<usize> = Vec::new();
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
        let open: Vec<usize> = (0..headers.len())
            .filter(|&i| !used[i] && !key_cols.contains(&i) && !headers[i].is_empty())
            .filter(|&i| numeric(sample, i))
            .collect();
        candidates = open
            .iter()
            .copied()
            .filter(|&i| count_word(&norm[i]).is_none())
            .collect();
        // An "others" column is a residual category when the listed candidates need it to reach
        // the valid votes, and a subtotal of listed candidates otherwise (plausibility check 4).
        let others: Vec<usize> = open
            .iter()
            .copied()
            .filter(|&i| count_word(&norm[i]) == Some(CountWord::Others))
            .collect();
        if !others.is_empty() {
            if let Some(v) = valid {
                let off = |cols: &[usize]| {
                    sample
                        .iter()
                        .filter(|row| {
                            let sum: Option<u64> = cols
                                .iter()
                                .map(|&c| parse_count(row.get(c)?, None).ok())
                                .sum();
                            let valid = row.get(v).and_then(|c| parse_count(c, None).ok());
                            matches!((sum, valid), (Some(s), Some(v)) if s != v)
                        })
                        .count()
                };
                let with: Vec<usize> = candidates.iter().chain(&others).copied().collect();
                if off(&with) * 2 <= sample.len() && off(&candidates) * 2 > sample.len() {
                    notes.push(format!(
                        "{} taken as a candidate (the other candidates together): without it the candidates do not add up to {:?}",
                        others.iter().map(|&i| format!("{:?}", headers[i])).collect::<Vec<_>>().join(", "),
                        headers[v]
                    ));
                    candidates = with;
                    candidates.sort_unstable();
                }
            }
        }
        if candidates.is_empty() {
            bail!("no candidate vote columns found (columns of whole numbers not named as counts, codes or ids); {hint} with one [[candidates]] column = \"<column>\" per candidate");
        }
        mapping.candidates = candidates
            .iter()
            .map(|&i| CandidateColumn::one(&headers[i]))
            .collect();
    }
    let count_cols: Vec<usize> = [registered, ballots, valid, null, blank]
        .into_iter()
        .flatten()
        .chain(candidates.iter().copied())
        .collect();
    if let Some((sep, example)) = thousands_needed(sample, &count_cols) {
        bail!(
            "count cells such as {example:?} are whole numbers only with {sep:?} as thousands separator; the tool never guesses a number format: {hint} with [format] thousands_separator = {:?} (the draft mapping has it)",
            sep.to_string()
        );
    }
    let placed = plausibility::Placed {
        headers,
        key: &key_cols,
        deepest_region: regions.last().copied(),
        registered,
        ballots,
        valid,
        null,
        blank,
        candidates: &candidates,
        long: long_candidate.is_some(),
    };
    if let Err(problem) = plausibility::check(&placed, sample) {
        bail!("{problem}; the inferred mapping is doubtful and was not used: {hint}");
    }
    notes.insert(
        0,
        format!(
            "no mapping file: the mapping was inferred from column names (station key {}, {} region level(s), {} count column(s){}); check output mapping.toml, save it as {dataset}.mapping.toml beside the data to edit it",
            key_cols.iter().map(|&c| headers[c].as_str()).collect::<Vec<_>>().join(" + "),
            mapping.regions.len(),
            [registered, ballots, valid, null, blank].iter().flatten().count(),
            if mapping.dataset.layout == Layout::Wide { format!(", {} candidate column(s)", mapping.candidates.len()) } else { String::new() },
        ),
    );
    mapping.check()?;
    Ok((mapping, notes))
}

/// The inferred mapping in a short block for the terminal: what each role was taken from, and
/// the columns left unused with what their names say.
pub fn summary(mapping: &Mapping, headers: &[String]) -> String {
    let used = mapping.used_columns();
    let count = |label: &str, c: &Option<ColumnSum>| {
        c.as_ref().map(|c| {
            let cols: Vec<String> = c.columns().iter().map(|c| format!("{c:?}")).collect();
            format!("{label} = {}", cols.join(" + "))
        })
    };
    let m = &mapping.counts;
    let counts: Vec<String> = [
        count("registered", &m.registered),
        count("ballots_cast", &m.ballots_cast),
        count("valid", &m.valid),
        count("null", &m.null),
        count("blank", &m.blank),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut lines = vec![
        format!(
            "  station key   {}",
            mapping
                .station
                .key
                .iter()
                .map(|k| k.describe())
                .collect::<Vec<_>>()
                .join(" + ")
        ),
        format!(
            "  regions       {}",
            if mapping.regions.is_empty() {
                "(none)".to_string()
            } else {
                mapping
                    .regions
                    .iter()
                    .map(|r| r.column.as_str())
                    .collect::<Vec<_>>()
                    .join(" > ")
            }
        ),
        format!(
            "  counts        {}",
            if counts.is_empty() {
                "(none)".to_string()
            } else {
                counts.join(", ")
            }
        ),
    ];
    match &mapping.long {
        Some(l) => lines.push(format!(
            "  candidates    long layout: names in {}, votes in {}",
            l.candidate_column, l.votes_column
        )),
        None => lines.push(format!(
            "  candidates    {} ({})",
            mapping
                .candidates
                .iter()
                .map(|c| c.describe())
                .collect::<Vec<_>>()
                .join(", "),
            mapping.candidates.len()
        )),
    }
    let unused: Vec<String> = headers
        .iter()
        .filter(|h| !used.iter().any(|u| u == *h))
        .map(|h| match count_word(&normalise(h)) {
            Some(w) => format!("{h} ({})", w.describe()),
            None => h.clone(),
        })
        .collect();
    if !unused.is_empty() {
        lines.push(format!("  not used      {}", unused.join(", ")));
    }
    lines.join("\n")
}
