//! `cargo xtask precache DIR`: writes the built site's file list, with each file's SHA-256,
//! into `DIR/sw.js` (the service worker, copied there by Trunk from `web/sw.js`). Trunk runs
//! it after the Content-Security-Policy (see `post_build`), so the hashed `index.html` is the
//! one served.
//!
//! The list replaces the worker's `const MANIFEST = ...;` line. Its `version` is a hash of
//! the whole list, so any changed file gives a new worker script, which is what makes the
//! browser install the new build (and its caches are named after it).
//!
//! Two groups: `precache` (fetched at install: the page, the app and cluster worker, xterm,
//! the editor bundle, styles, `explain.data.gz`) and `lazy` (cached on first use: the
//! Grad-CAM worker and the lab's files, large and needed only when that lab opens). The
//! Grad-CAM weights (`*.bpk`) are in neither: the Grad-CAM worker keeps them in a cache of
//! its own.

use crate::csp::sha256;
use std::path::Path;

/// The service worker's file name in the site.
pub const WORKER: &str = "sw.js";
/// The line of `web/sw.js` that the manifest replaces.
const MANIFEST_LINE: &str = "const MANIFEST = ";
/// Set in `index.html` by `trunk serve` only: it fills it in when serving, so the served page
/// differs from the built one and cannot be checked against a hash.
const SERVE_PLACEHOLDER: &str = "{{__TRUNK_ADDRESS__}}";

/// One file of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    /// Relative to the site's root, with `/` separators.
    pub path: String,
    /// Lowercase hex SHA-256 of its bytes; `None` when the served bytes differ from the
    /// built ones (the page under `trunk serve`).
    pub sha256: Option<String>,
}

/// When the service worker fetches a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// At install, before the build is "available offline".
    Precache,
    /// On first use, then from the cache.
    Lazy,
    /// Never (the worker itself; the weights, cached by the Grad-CAM worker).
    Skip,
}

/// The group of a site path.
pub fn group(path: &str) -> Group {
    if path == WORKER || path.ends_with(".bpk") {
        Group::Skip
    } else if path.starts_with("gradcam-worker")
        || path.starts_with("models/")
        || path.starts_with("samples/")
    {
        Group::Lazy
    } else {
        Group::Precache
    }
}

/// Writes the manifest of `dir`'s files into `dir/sw.js`.
pub fn apply(dir: &Path) -> Result<(), String> {
    let files = site_files(dir)?;
    let worker = dir.join(WORKER);
    let script = std::fs::read_to_string(&worker)
        .map_err(|e| format!("reading {}: {e}", worker.display()))?;
    let manifest = manifest_line(&files);
    let out = with_manifest(&script, &manifest)?;
    std::fs::write(&worker, out).map_err(|e| format!("writing {}: {e}", worker.display()))?;
    let precached = files
        .iter()
        .filter(|f| group(&f.path) == Group::Precache)
        .count();
    eprintln!(
        "xtask: service worker manifest written into {} ({precached} files precached)",
        worker.display()
    );
    Ok(())
}

/// Every file under `dir` (sorted by path, so the manifest is the same for the same site),
/// hashed.
pub fn site_files(dir: &Path) -> Result<Vec<SiteFile>, String> {
    let mut paths = Vec::new();
    collect(dir, "", &mut paths)?;
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let full = dir.join(&path);
            let bytes =
                std::fs::read(&full).map_err(|e| format!("reading {}: {e}", full.display()))?;
            let served_as_built =
                !(path == "index.html" && contains(&bytes, SERVE_PLACEHOLDER.as_bytes()));
            Ok(SiteFile {
                sha256: served_as_built.then(|| hex(&sha256(&bytes))),
                path,
            })
        })
        .collect()
}

fn collect(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
        let name = entry.file_name();
        let name = name
            .to_str()
            .ok_or_else(|| format!("{}: a file name that is not UTF-8", dir.display()))?;
        let path = format!("{prefix}{name}");
        let kind = entry
            .file_type()
            .map_err(|e| format!("reading {}: {e}", entry.path().display()))?;
        if kind.is_dir() {
            collect(&entry.path(), &format!("{path}/"), out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The `const MANIFEST = {...};` line for `files`.
pub fn manifest_line(files: &[SiteFile]) -> String {
    let listed = |wanted: Group| {
        files
            .iter()
            .filter(|f| group(&f.path) == wanted)
            .map(|f| {
                let sha = f
                    .sha256
                    .as_ref()
                    .map_or_else(|| "null".to_owned(), |s| format!("\"{s}\""));
                format!("{{ path: {}, sha256: {sha} }}", js_string(&f.path))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{MANIFEST_LINE}{{ version: \"{}\", precache: [{}], lazy: [{}] }};",
        version(files),
        listed(Group::Precache),
        listed(Group::Lazy)
    )
}

/// A short hash of every listed path and content: changes whenever the site does.
pub fn version(files: &[SiteFile]) -> String {
    let mut summary = String::new();
    for file in files.iter().filter(|f| group(&f.path) != Group::Skip) {
        summary.push_str(&file.path);
        summary.push(' ');
        // The page under `trunk serve` has no hash: every rebuild is then a new version.
        summary.push_str(file.sha256.as_deref().unwrap_or("unhashed"));
        summary.push('\n');
    }
    let mut version = hex(&sha256(summary.as_bytes()));
    version.truncate(16);
    version
}

/// `script` with its manifest line replaced (so a second run replaces the first's).
pub fn with_manifest(script: &str, manifest: &str) -> Result<String, String> {
    let mut found = 0;
    let mut out = String::with_capacity(script.len() + manifest.len());
    for line in script.split_inclusive('\n') {
        if line.starts_with(MANIFEST_LINE) {
            found += 1;
            out.push_str(manifest);
            out.push('\n');
        } else {
            out.push_str(line);
        }
    }
    match found {
        1 => Ok(out),
        0 => Err(format!("{WORKER} has no line starting `{MANIFEST_LINE}`")),
        n => Err(format!("{WORKER} has {n} lines starting `{MANIFEST_LINE}`")),
    }
}

/// A JavaScript string literal (paths are plain, but quotes and backslashes are escaped).
fn js_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKER_SOURCE: &str = include_str!("../../../web/sw.js");

    fn temp_site(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tidepool-xtask-precache-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("models")).expect("create the site");
        std::fs::create_dir_all(dir.join("samples")).expect("create the site");
        let files: [(&str, &[u8]); 9] = [
            ("index.html", b"<html><head></head></html>"),
            ("app-0123_bg.wasm", b"\0asm app"),
            ("cluster-worker_loader.js", b"importScripts('x')"),
            ("explain.data.gz", b"\x1f\x8b"),
            ("gradcam-worker_bg.wasm", b"\0asm gradcam"),
            ("models/efficientnet-lite0.bpk", b"weights"),
            ("models/imagenet-classes.txt", b"tench"),
            ("samples/chelsea.png", b"png"),
            (WORKER, WORKER_SOURCE.as_bytes()),
        ];
        for (path, bytes) in files {
            std::fs::write(dir.join(path), bytes).expect("write a site file");
        }
        dir
    }

    #[test]
    fn groups_put_the_gradcam_lab_on_first_use_and_skip_the_worker_and_weights() {
        assert_eq!(group("index.html"), Group::Precache);
        assert_eq!(group("app-a2eff552c64ca76d_bg.wasm"), Group::Precache);
        assert_eq!(group("cluster-worker.js"), Group::Precache);
        assert_eq!(group("explain.data.gz"), Group::Precache);
        assert_eq!(group("xterm-ae5fff20b9b7d4c7.css"), Group::Precache);
        assert_eq!(group("gradcam-6ceb2cd79437c43.css"), Group::Precache);
        assert_eq!(group("gradcam-worker_loader.js"), Group::Lazy);
        assert_eq!(group("gradcam-worker_bg.wasm"), Group::Lazy);
        assert_eq!(group("samples/rocket.jpg"), Group::Lazy);
        assert_eq!(group("models/imagenet-classes.txt"), Group::Lazy);
        assert_eq!(group("models/efficientnet-lite0.bpk"), Group::Skip);
        assert_eq!(group("sw.js"), Group::Skip);
    }

    #[test]
    fn the_manifest_lists_every_file_with_its_hash_and_the_worker_reads_it() {
        let dir = temp_site("list");
        apply(&dir).expect("write the manifest");
        let script = std::fs::read_to_string(dir.join(WORKER)).expect("the worker");
        let line = script
            .lines()
            .find(|l| l.starts_with(MANIFEST_LINE))
            .expect("a manifest line");
        let index_sha = hex(&sha256(b"<html><head></head></html>"));
        assert!(
            line.contains(&format!(
                "{{ path: \"index.html\", sha256: \"{index_sha}\" }}"
            )),
            "{line}"
        );
        let (precache, lazy) = line.split_once("lazy:").expect("two groups");
        for path in [
            "app-0123_bg.wasm",
            "cluster-worker_loader.js",
            "explain.data.gz",
        ] {
            assert!(precache.contains(&format!("\"{path}\"")), "{path}: {line}");
        }
        for path in [
            "gradcam-worker_bg.wasm",
            "models/imagenet-classes.txt",
            "samples/chelsea.png",
        ] {
            assert!(lazy.contains(&format!("\"{path}\"")), "{path}: {line}");
            assert!(!precache.contains(&format!("\"{path}\"")), "{path}: {line}");
        }
        assert!(!line.contains("efficientnet-lite0.bpk"), "{line}");
        assert!(!line.contains("sw.js"), "{line}");
        // Sorted by path: the same site always gives the same bytes.
        let app = line.find("app-0123").expect("app");
        let cluster = line.find("cluster-worker").expect("cluster");
        assert!(app < cluster, "{line}");
        // Everything else of the worker is unchanged.
        let without = |s: &str| {
            s.lines()
                .filter(|l| !l.starts_with(MANIFEST_LINE))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(without(&script), without(WORKER_SOURCE));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_second_run_gives_the_same_worker_and_a_changed_file_a_new_version() {
        let dir = temp_site("rerun");
        apply(&dir).expect("first run");
        let first = std::fs::read_to_string(dir.join(WORKER)).expect("the worker");
        apply(&dir).expect("second run");
        let second = std::fs::read_to_string(dir.join(WORKER)).expect("the worker");
        assert_eq!(first, second, "idempotent");

        let before = version(&site_files(&dir).expect("files"));
        std::fs::write(dir.join("app-0123_bg.wasm"), b"\0asm app, rebuilt").expect("write");
        let after = version(&site_files(&dir).expect("files"));
        assert_ne!(before, after, "a changed file must change the version");
        assert_eq!(after.len(), 16);
        // The worker itself and the weights do not make a new version.
        std::fs::write(dir.join("models/efficientnet-lite0.bpk"), b"other").expect("write");
        assert_eq!(version(&site_files(&dir).expect("files")), after);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_page_under_trunk_serve_is_listed_without_a_hash() {
        let dir = temp_site("serve");
        std::fs::write(
            dir.join("index.html"),
            "<html><body><script>const address = '{{__TRUNK_ADDRESS__}}';</script></body></html>",
        )
        .expect("write");
        let files = site_files(&dir).expect("files");
        let index = files
            .iter()
            .find(|f| f.path == "index.html")
            .expect("the page");
        assert_eq!(index.sha256, None);
        assert!(manifest_line(&files).contains("{ path: \"index.html\", sha256: null }"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_worker_without_exactly_one_manifest_line_is_an_error() {
        assert!(with_manifest("self.x = 1;\n", "const MANIFEST = {};").is_err());
        let twice = "const MANIFEST = 1;\nconst MANIFEST = 2;\n";
        assert!(with_manifest(twice, "const MANIFEST = {};").is_err());
        assert_eq!(
            with_manifest("a\nconst MANIFEST = 1;\nb\n", "const MANIFEST = 2;").expect("one"),
            "a\nconst MANIFEST = 2;\nb\n"
        );
        assert!(apply(Path::new("/nonexistent/tidepool-site")).is_err());
    }

    #[test]
    fn js_strings_escape_quotes() {
        assert_eq!(js_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(js_string("x\ny"), "\"x\\u000ay\"");
    }
}
