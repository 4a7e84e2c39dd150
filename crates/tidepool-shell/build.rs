//! Embeds every `tests/transcripts/*.txt` for the browser test (`tests/browser_transcripts.rs`),
//! which cannot read files at run time: writes `$OUT_DIR/transcripts.rs`, a sorted list of
//! `(file name, include_str!(path))`. The library itself never includes it.

// A build script is a host-side tool, not the sans-IO library: it reads its environment and
// talks to cargo on stdout.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/transcripts");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    paths.sort();
    let mut code = String::from(
        "/// Every transcript, by file name.\npub const TRANSCRIPTS: &[(&str, &str)] = &[\n",
    );
    for path in &paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_owned()))
        .join("transcripts.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
