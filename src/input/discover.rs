//! Finding the datasets in an `--input` folder (or a single file).
//!
//! Rules, in order:
//! 1. `<stem>.mapping.toml` defines a dataset named `<stem>` (or `[dataset] name`) made of the files
//!    in `[dataset] files` (relative to the mapping's folder; `*` and `?` wildcards allowed), by
//!    default the data files of the same folder whose stem is `<stem>`.
//! 2. `mapping.toml` in a folder defines a dataset named after the folder, by default made of every
//!    data file in that folder.
//! 3. Every other data file (`.csv`, `.tsv`, `.tab`, `.txt`, `.parquet`, `.pq`, each optionally
//!    `.gz`) is a dataset of its own whose mapping is inferred.
//!
//! Announced totals (`crate::announcement`) follow the same naming: `<stem>.announced.toml` belongs
//! to the dataset of `<stem>.mapping.toml` or of the data file `<stem>.csv` (...) in the same folder,
//! `announced.toml` to the dataset of the folder's `mapping.toml`; one that belongs to no dataset is
//! an error. For a single-file input, `--announced FILE` overrides `<stem>.announced.toml` beside it.
//!
//! `<stem>.planted.csv` is the ground truth `analyze simulate --second-source` writes beside a
//! synthetic pair of sources (the differences it planted), not a dataset: it is listed as ignored.
//!
//! Hidden files and folders are skipped; other files are listed as ignored in the index.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::announcement::AnnouncementFile;
use crate::mapping::Mapping;

/// One dataset to analyse.
#[derive(Debug, Clone)]
pub struct DatasetSource {
    pub name: String,
    pub files: Vec<PathBuf>,
    /// The mapping file and its content, or `None` to infer one.
    pub mapping: Option<(PathBuf, Mapping)>,
    /// The announcement file and its content, if any.
    pub announced: Option<(PathBuf, AnnouncementFile)>,
}

/// What `discover` found.
#[derive(Debug, Default)]
pub struct Discovery {
    pub datasets: Vec<DatasetSource>,
    /// Files that are neither data nor mappings.
    pub ignored: Vec<PathBuf>,
}

const DATA_SUFFIXES: [&str; 11] = [
    ".csv", ".tsv", ".tab", ".txt", ".parquet", ".pq", ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods",
];

/// The file name without its data suffix (`a.csv.gz` → `a`), or `None` if not a data file.
pub fn data_stem(file_name: &str) -> Option<&str> {
    let lower = file_name.to_ascii_lowercase();
    let base_len = if lower.ends_with(".gz") {
        file_name.len() - 3
    } else {
        file_name.len()
    };
    let base_lower = &lower[..base_len];
    DATA_SUFFIXES
        .iter()
        .find(|s| base_lower.ends_with(*s) && base_lower.len() > s.len())
        .map(|s| &file_name[..base_len - s.len()])
}

/// Find datasets under `input`. `mapping_override` applies to a single-file input only.
/// `skip` is a folder never to read (the output folder when it lies inside the input).
pub fn discover(
    input: &Path,
    mapping_override: Option<&Path>,
    announced_override: Option<&Path>,
    skip: Option<&Path>,
) -> anyhow::Result<Discovery> {
    let meta = std::fs::metadata(input).with_context(|| {
        format!(
            "--input {}: no such file or folder; give a folder of tally files or one file",
            input.display()
        )
    })?;
    if meta.is_file() {
        return single_file(input, mapping_override, announced_override);
    }
    if mapping_override.is_some() {
        bail!(
            "--mapping works with a single input file; for a folder put a <name>.mapping.toml beside each data file"
        );
    }
    if announced_override.is_some() {
        bail!(
            "--announced works with a single input file; for a folder put a <name>.announced.toml beside each dataset's mapping or data file"
        );
    }
    let mut files = Vec::new();
    walk(input, skip, &mut files)?;
    files.sort();
    let mut claimed: BTreeSet<PathBuf> = BTreeSet::new();
    let mut out = Discovery::default();
    for path in files.iter().filter(|p| is_mapping(p)) {
        let mapping = Mapping::from_file(path)?;
        let folder = path.parent().unwrap_or(Path::new("."));
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let (default_name, default_files): (String, Vec<PathBuf>) = if file_name == "mapping.toml" {
            let name = folder
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("dataset")
                .to_string();
            let f = files
                .iter()
                .filter(|p| p.parent() == Some(folder) && is_data(p))
                .cloned()
                .collect();
            (name, f)
        } else {
            let stem = file_name.trim_end_matches(".mapping.toml").to_string();
            let f = files
                .iter()
                .filter(|p| {
                    p.parent() == Some(folder)
                        && name_of(p).and_then(data_stem) == Some(stem.as_str())
                })
                .cloned()
                .collect();
            (stem, f)
        };
        // Code lists named by `[[regions]] names` are lookups of this dataset, never datasets.
        let mut code_lists = Vec::new();
        for list in mapping.regions.iter().filter_map(|r| r.names.as_ref()) {
            let hit = files
                .iter()
                .find(|p| p.parent() == Some(folder) && name_of(p) == Some(list.file.as_str()));
            match hit {
                Some(p) => code_lists.push(p.clone()),
                None => bail!(
                    "mapping file {}: the code list {:?} of [[regions]] names is not in {}; put the file beside the mapping",
                    path.display(),
                    list.file,
                    folder.display()
                ),
            }
        }
        let default_files: Vec<PathBuf> = default_files
            .into_iter()
            .filter(|p| !code_lists.contains(p))
            .collect();
        claimed.extend(code_lists);
        let members: Vec<PathBuf> = if mapping.dataset.files.is_empty() {
            default_files
        } else {
            let mut m = Vec::new();
            for pattern in &mapping.dataset.files {
                let hits: Vec<PathBuf> = files
                    .iter()
                    .filter(|p| {
                        p.parent() == Some(folder)
                            && name_of(p).is_some_and(|n| wildcard(pattern, n))
                    })
                    .cloned()
                    .collect();
                if hits.is_empty() {
                    bail!(
                        "mapping file {}: [dataset] files entry {pattern:?} matches no file in {}",
                        path.display(),
                        folder.display()
                    );
                }
                m.extend(hits);
            }
            m
        };
        if members.is_empty() {
            bail!(
                "mapping file {}: no data file belongs to it; name the data file {}.csv (or .csv.gz, .parquet) or list it in [dataset] files",
                path.display(),
                default_name
            );
        }
        claimed.extend(members.iter().cloned());
        let announced_name = match file_name {
            "mapping.toml" => "announced.toml".to_string(),
            _ => format!(
                "{}.announced.toml",
                file_name.trim_end_matches(".mapping.toml")
            ),
        };
        out.datasets.push(DatasetSource {
            name: mapping.dataset.name.clone().unwrap_or(default_name),
            files: members,
            mapping: Some((path.clone(), mapping)),
            announced: announced_beside(folder, &announced_name, &mut claimed)?,
        });
    }
    for path in files.iter().filter(|p| !is_mapping(p) && !is_announced(p)) {
        if claimed.contains(path) {
            continue;
        }
        if is_planted(path) {
            out.ignored.push(path.clone());
            continue;
        }
        match name_of(path).and_then(data_stem) {
            Some(stem) => out.datasets.push(DatasetSource {
                name: stem.to_string(),
                files: vec![path.clone()],
                mapping: None,
                announced: announced_beside(
                    path.parent().unwrap_or(Path::new(".")),
                    &format!("{stem}.announced.toml"),
                    &mut claimed,
                )?,
            }),
            None => out.ignored.push(path.clone()),
        }
    }
    if let Some(orphan) = files
        .iter()
        .find(|p| is_announced(p) && !claimed.contains(*p))
    {
        bail!(
            "announcement file {} belongs to no dataset: name it <name>.announced.toml after a <name>.mapping.toml or data file in the same folder (announced.toml for a folder's mapping.toml)",
            orphan.display()
        );
    }
    if out.datasets.is_empty() {
        bail!(
            "--input {}: no tally files found (looked for .csv, .tsv, .txt, .parquet, optionally .gz, and spreadsheets .xlsx, .xls, .ods)",
            input.display()
        );
    }
    out.datasets.sort_by(|a, b| a.name.cmp(&b.name));
    for pair in out.datasets.windows(2) {
        if pair[0].name == pair[1].name {
            bail!(
                "two datasets are named {:?} ({} and {}); set a distinct [dataset] name in their mapping files",
                pair[0].name,
                pair[0].files[0].display(),
                pair[1].files[0].display()
            );
        }
    }
    Ok(out)
}

/// The announcement file `name` in `folder`, read and marked as claimed, if it exists.
fn announced_beside(
    folder: &Path,
    name: &str,
    claimed: &mut BTreeSet<PathBuf>,
) -> anyhow::Result<Option<(PathBuf, AnnouncementFile)>> {
    let path = folder.join(name);
    if !path.is_file() {
        return Ok(None);
    }
    let file = AnnouncementFile::from_file(&path)?;
    claimed.insert(path.clone());
    Ok(Some((path, file)))
}

fn single_file(
    input: &Path,
    mapping_override: Option<&Path>,
    announced_override: Option<&Path>,
) -> anyhow::Result<Discovery> {
    let file_name = name_of(input).unwrap_or("input");
    let stem = data_stem(file_name).unwrap_or(file_name).to_string();
    let sibling = input.with_file_name(format!("{stem}.mapping.toml"));
    let mapping_path = match mapping_override {
        Some(m) => Some(m.to_path_buf()),
        None if sibling.is_file() => Some(sibling),
        None => None,
    };
    let mapping = match mapping_path {
        Some(p) => {
            let m = Mapping::from_file(&p)?;
            Some((p, m))
        }
        None => None,
    };
    let name = mapping
        .as_ref()
        .and_then(|(_, m)| m.dataset.name.clone())
        .unwrap_or(stem.clone());
    let announced = match announced_override {
        Some(p) => Some((p.to_path_buf(), AnnouncementFile::from_file(p)?)),
        None => announced_beside(
            input.parent().unwrap_or(Path::new(".")),
            &format!("{stem}.announced.toml"),
            &mut BTreeSet::new(),
        )?,
    };
    Ok(Discovery {
        datasets: vec![DatasetSource {
            name,
            files: vec![input.to_path_buf()],
            mapping,
            announced,
        }],
        ignored: vec![],
    })
}

fn walk(dir: &Path, skip: Option<&Path>, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list folder {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list folder {}", dir.display()))?;
        let path = entry.path();
        if name_of(&path).is_none_or(|n| n.starts_with('.')) {
            continue;
        }
        if skip.is_some_and(|s| same_path(s, &path)) {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, skip, out)?;
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn name_of(p: &Path) -> Option<&str> {
    p.file_name().and_then(|n| n.to_str())
}

fn is_mapping(p: &Path) -> bool {
    name_of(p).is_some_and(|n| n == "mapping.toml" || n.ends_with(".mapping.toml"))
}

fn is_announced(p: &Path) -> bool {
    name_of(p).is_some_and(|n| n == "announced.toml" || n.ends_with(".announced.toml"))
}

/// The ground truth of a synthetic pair of sources (`analyze simulate --second-source`).
fn is_planted(p: &Path) -> bool {
    name_of(p).is_some_and(|n| n.to_ascii_lowercase().ends_with(".planted.csv"))
}

fn is_data(p: &Path) -> bool {
    name_of(p).and_then(data_stem).is_some() && !is_planted(p)
}

/// Match a file name against a pattern with `*` (any run) and `?` (one character).
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_stems() {
        assert_eq!(data_stem("clean.csv"), Some("clean"));
        assert_eq!(data_stem("ru_2011.csv.gz"), Some("ru_2011"));
        assert_eq!(data_stem("A.PARQUET"), Some("A"));
        assert_eq!(data_stem("notes.md"), None);
        assert_eq!(data_stem(".csv"), None);
        assert_eq!(data_stem("x.gz"), None);
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("region_*.csv", "region_07.csv"));
        assert!(wildcard("a?.csv", "a1.csv"));
        assert!(!wildcard("region_*.csv", "region_07.tsv"));
        assert!(wildcard("*", "anything"));
    }

    #[test]
    fn folder_rules() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mapping = "[station]\nkey=[\"id\"]\n[[candidates]]\ncolumn=\"a\"\n";
        std::fs::write(d.join("clean.csv"), "id,a\n1,2\n").unwrap();
        std::fs::write(d.join("clean.mapping.toml"), mapping).unwrap();
        std::fs::write(d.join("other.csv.gz"), "x").unwrap();
        std::fs::write(d.join("README.md"), "x").unwrap();
        std::fs::write(d.join("clean.planted.csv"), "kind\n").unwrap();
        std::fs::create_dir(d.join("split")).unwrap();
        std::fs::write(d.join("split/north.csv"), "id,a\n").unwrap();
        std::fs::write(d.join("split/south.csv"), "id,a\n").unwrap();
        std::fs::write(d.join("split/mapping.toml"), mapping).unwrap();
        let found = discover(d, None, None, None).unwrap();
        let names: Vec<_> = found.datasets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["clean", "other", "split"]);
        assert_eq!(found.datasets[2].files.len(), 2);
        assert!(found.datasets[1].mapping.is_none());
        assert_eq!(
            found.ignored,
            vec![d.join("README.md"), d.join("clean.planted.csv")]
        );
    }

    #[test]
    fn empty_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = discover(dir.path(), None, None, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no tally files found"), "{err}");
    }
}
