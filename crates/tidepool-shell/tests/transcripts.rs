//! Replays every transcript in `tests/transcripts/` through the one `check` helper.
//! `UPDATE_TRANSCRIPTS=1 cargo test -p tidepool-shell --test transcripts` rewrites the goldens.

use std::path::Path;

fn check(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    match tidepool_shell::transcript::check(&text) {
        Ok(()) => Ok(()),
        Err(diff) => {
            if std::env::var_os("UPDATE_TRANSCRIPTS").is_some() {
                let actual = tidepool_shell::transcript::replay(&text)?;
                std::fs::write(path, actual).map_err(|e| e.to_string())?;
                Ok(())
            } else {
                Err(format!("{}:\n{diff}", path.display()))
            }
        }
    }
}

#[test]
fn transcripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/transcripts");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    paths.sort();
    assert!(!paths.is_empty(), "no transcripts in {}", dir.display());
    let failures: Vec<String> = paths.iter().filter_map(|p| check(p).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} transcripts failed (UPDATE_TRANSCRIPTS=1 rewrites them):\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}
