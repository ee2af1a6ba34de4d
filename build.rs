//! Embeds the git commit of the checkout as `VIGIL_GIT_COMMIT` for the validation record, and
//! asks Cargo to rerun only when HEAD (or the branch it points to) moves, so ordinary builds
//! are not forced to recompile. Without git the commit is "unknown".

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=VIGIL_GIT_COMMIT={commit}");
    // HEAD lives in the (per-worktree) git dir; branch refs and packed-refs in the common dir.
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let git_dir = PathBuf::from(git_dir);
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        let common = git(&["rev-parse", "--git-common-dir"])
            .map(|c| {
                let p = PathBuf::from(c);
                if p.is_absolute() {
                    p
                } else {
                    std::env::current_dir().unwrap_or_default().join(p)
                }
            })
            .unwrap_or(git_dir);
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let ref_file = common.join(reference);
            if ref_file.exists() {
                println!("cargo:rerun-if-changed={}", ref_file.display());
            }
        }
        let packed = common.join("packed-refs");
        if packed.exists() {
            println!("cargo:rerun-if-changed={}", packed.display());
        }
    }
}
