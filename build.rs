//! Records the git commit the binary is built from (`EF_GIT_COMMIT`, "<sha>" or "<sha>-dirty"), for
//! the run record in results.json. Outside a git checkout (e.g. a source tarball) nothing is set
//! and the record says null.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        // HEAD moves on commit/checkout; the index on staging; the ref files on commit.
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/index");
        if let Some(common) = git(&["rev-parse", "--git-common-dir"]) {
            println!("cargo:rerun-if-changed={common}/refs/heads");
            println!("cargo:rerun-if-changed={common}/packed-refs");
        }
    }
    let Some(sha) = git(&["rev-parse", "HEAD"]) else {
        return;
    };
    // Changes to tracked files under src/ or Cargo.toml make the build "dirty".
    let dirty = git(&[
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        "src",
        "Cargo.toml",
    ])
    .is_some_and(|s| !s.is_empty());
    let suffix = if dirty { "-dirty" } else { "" };
    println!("cargo:rustc-env=EF_GIT_COMMIT={sha}{suffix}");
}
