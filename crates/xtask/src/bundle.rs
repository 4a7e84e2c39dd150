//! `cargo xtask bundle`: bundles the editor pane's JavaScript (CodeMirror 6, from npm) with
//! esbuild (from npm) into one classic script, `web/generated/editor.js`. Trunk runs it
//! before every build (`Trunk.toml`), so the bundle is never committed; esbuild's output is
//! the same bytes for the same `package-lock.json` (checked by a test below).

use crate::setup::{Result, run};
use std::path::Path;
use std::process::Command;

/// The entry module and the bundle, relative to `web/`.
pub const ENTRY: &str = "js/editor.js";
pub const OUTPUT: &str = "generated/editor.js";

/// esbuild's arguments: one IIFE defining the global `TidepoolEditor` (bound from Rust the
/// way xterm.js's `Terminal` global is), minified, no eval, nothing loaded at run time.
pub fn esbuild_args(outfile: &str) -> Vec<String> {
    [
        ENTRY,
        "--bundle",
        "--format=iife",
        "--global-name=TidepoolEditor",
        "--minify",
        "--target=es2020",
        "--log-level=warning",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([format!("--outfile={outfile}")])
    .collect()
}

/// Writes `web/generated/editor.js` (or `outfile`, relative to `web/`).
pub fn bundle(root: &Path, outfile: &str) -> Result<()> {
    let web = root.join("web");
    let esbuild = web.join("node_modules/.bin/esbuild");
    if !esbuild.exists() {
        return Err(format!(
            "{} is missing: run `cargo xtask setup` (it runs `npm ci` in web/)",
            esbuild.display()
        ));
    }
    run(Command::new(esbuild)
        .current_dir(&web)
        .args(esbuild_args(outfile)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same sources give the same bytes, so a build never depends on when it ran.
    #[test]
    fn the_bundle_is_reproducible() {
        let root = crate::setup::workspace_root();
        // `cargo xtask test` runs setup (npm ci) first; a bare `cargo test` needs
        // `cargo xtask setup` once. Never skipped: a missing esbuild fails here, clearly.
        assert!(
            root.join("web/node_modules/.bin/esbuild").exists(),
            "web/node_modules is not installed: run `cargo xtask setup` first"
        );
        let dir = std::env::temp_dir().join(format!("tidepool-bundle-{}", std::process::id()));
        let first = dir.join("a.js");
        let second = dir.join("b.js");
        for out in [&first, &second] {
            bundle(&root, &out.to_string_lossy()).expect("bundle");
        }
        let (a, b) = (
            std::fs::read(&first).expect("first bundle"),
            std::fs::read(&second).expect("second bundle"),
        );
        let _ = std::fs::remove_dir_all(&dir);
        assert!(a.len() > 100_000, "CodeMirror is in the bundle");
        assert_eq!(a, b);
        let text = String::from_utf8_lossy(&a);
        assert!(!text.contains("eval(") && !text.contains("new Function"));
    }
}
