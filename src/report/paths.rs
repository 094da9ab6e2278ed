//! Output paths that data cannot steer: folder names from dataset names, writes that never follow
//! a symbolic link, and the guard that keeps a dataset folder from replacing the inputs.
//!
//! Dataset names come from file names and from `[dataset] name` in mapping files, so they may hold
//! `/`, `\`, `..`, NUL, line breaks, Windows device names (`CON`, `NUL`, `COM1`...) or thousands of
//! characters. Folder names keep ASCII letters, digits, `.`, `-` and `_`; anything else, a leading
//! dot or dash, a trailing dot, a reserved device name, a name ending in `.md` or `.toml` (the
//! index and draft mappings live beside the dataset folders) or a name over 80 characters gives a
//! slug plus a hash of the original name (`figure::file_stem`), so altered names stay distinct.
//! Names that still coincide ignoring case (`A` and `a` on macOS and Windows) are told apart by
//! `folder_names`.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{bail, Context};

/// Windows device names, reserved with any extension (`con.txt` too).
const RESERVED: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// A dataset name as a folder name, safe on Linux, macOS and Windows (see the module doc).
pub fn safe_name(name: &str) -> String {
    let clean = !name.is_empty()
        && name.len() <= 80
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(['.', '-'])
        && !name.ends_with('.');
    let lower = name.to_ascii_lowercase();
    let device = lower.split('.').next().unwrap_or("");
    let reserved = RESERVED.contains(&device)
        || lower.ends_with(".md")
        || lower.ends_with(".toml")
        || looks_hashed(name);
    if clean && !reserved {
        name.to_string()
    } else {
        crate::figure::file_stem(&[name])
    }
}

/// Whether a name has the shape of a hashed name (`..__` and six hex digits), so that a dataset
/// cannot be named after another one's hashed folder.
fn looks_hashed(name: &str) -> bool {
    name.len() > 8
        && name.is_char_boundary(name.len() - 8)
        && name[name.len() - 8..].starts_with("__")
        && name[name.len() - 6..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Folder names for the datasets of one run, distinct even on case-insensitive file systems: a
/// name whose folder coincides with an earlier one's ignoring case gets the hashed form, which
/// differs because the hash is of the exact name (dataset names themselves are distinct).
pub fn folder_names(names: &[&str]) -> Vec<String> {
    let mut seen = HashSet::new();
    names
        .iter()
        .map(|name| {
            let mut folder = safe_name(name);
            if !seen.insert(folder.to_ascii_lowercase()) {
                folder = crate::figure::file_stem(&[name]);
                seen.insert(folder.to_ascii_lowercase());
            }
            folder
        })
        .collect()
}

/// Remove what is at `path` without following it: a symbolic link is removed, not its target.
pub fn remove_entry(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether something (a file, folder or link, even a dangling one) is at `path`.
pub fn occupied(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Write `bytes` to `dir/name` atomically, never through a symbolic link: the bytes go to a new
/// temporary file (created exclusively, so a planted link fails the write instead of being followed)
/// which is then renamed over `name` (a rename replaces a link at `name`, it does not follow it).
pub fn write_file_atomic(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    remove_entry(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    let target = dir.join(name);
    std::fs::rename(&tmp, &target).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot move {} into place", target.display())
    })
}

/// Refuse to replace a dataset folder that holds (or is) one of the inputs: with `--output` an
/// ancestor of the input folder, a dataset named like the input folder would otherwise move the
/// inputs aside and delete them.
pub fn check_not_input(folder: &Path, inputs: &[&str]) -> anyhow::Result<()> {
    let Ok(folder) = folder.canonicalize() else {
        return Ok(());
    };
    for input in inputs {
        if let Ok(input) = Path::new(input).canonicalize() {
            if input.starts_with(&folder) {
                bail!(
                    "the output folder {} would replace the input {}; choose an --output folder outside the input folder (inputs are never modified)",
                    folder.display(),
                    input.display()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_safe(folder: &str) -> bool {
        !folder.is_empty()
            && folder.len() <= 100
            && folder
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !folder.starts_with(['.', '-'])
            && !folder.ends_with('.')
    }

    #[test]
    fn hostile_dataset_names_become_safe_distinct_folders() {
        assert_eq!(safe_name("venezuela_2024"), "venezuela_2024");
        assert_eq!(safe_name("ru2011.v2"), "ru2011.v2");
        let hostile = [
            "../../etc",
            "..",
            ".",
            "",
            "a/b",
            "a\\b",
            "a\0b",
            "line\nbreak",
            "CON",
            "con.txt",
            "Nul",
            "COM1",
            "lpt9.csv",
            ".hidden",
            "-rf",
            "trailing.",
            "index.md",
            "x.mapping.draft.toml",
            "Región",
            "<script>alert(1)</script>",
            &"a".repeat(5000),
            &"é".repeat(5000),
        ];
        let mut seen = HashSet::new();
        for name in hostile {
            let folder = safe_name(name);
            assert!(is_safe(&folder), "{name:?} -> {folder:?}");
            assert_ne!(folder, name, "{name:?} must be altered");
            assert!(seen.insert(folder.clone()), "{name:?} collides: {folder}");
            let device = folder.to_ascii_lowercase();
            assert!(!RESERVED.contains(&device.split('.').next().unwrap()));
        }
        // Names that collide once sanitised, or that copy a hashed name, stay apart.
        assert_ne!(safe_name("a/b"), safe_name("a_b"));
        assert_ne!(safe_name("a/b"), safe_name("a-b"));
        let hashed = safe_name("a/b");
        assert_ne!(safe_name(&hashed), hashed);
    }

    #[test]
    fn folder_names_differ_ignoring_case() {
        let folders = folder_names(&["Ana", "ana", "ANA", "b"]);
        assert_eq!(folders[0], "Ana");
        assert_eq!(folders[3], "b");
        let lower: HashSet<String> = folders.iter().map(|f| f.to_ascii_lowercase()).collect();
        assert_eq!(lower.len(), 4, "{folders:?}");
    }

    #[cfg(unix)]
    #[test]
    fn atomic_writes_replace_a_planted_link_instead_of_following_it() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let outside = root.path().join("outside.txt");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(&outside, "keep").unwrap();
        std::os::unix::fs::symlink(&outside, out.join("index.md")).unwrap();
        let tmp = format!(".index.md.tmp-{}", std::process::id());
        std::os::unix::fs::symlink(&outside, out.join(&tmp)).unwrap();
        write_file_atomic(&out, "index.md", b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
        assert!(!std::fs::symlink_metadata(out.join("index.md"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read_to_string(out.join("index.md")).unwrap(),
            "new"
        );
    }

    #[test]
    fn a_dataset_folder_may_not_hold_an_input() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("x.csv"), "a").unwrap();
        let input = data.join("x.csv").display().to_string();
        let err = check_not_input(&data, &[&input]).unwrap_err().to_string();
        assert!(err.contains("would replace the input"), "{err}");
        check_not_input(&root.path().join("other"), &[&input]).unwrap();
    }
}
