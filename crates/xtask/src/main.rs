//! `cargo xtask <command>`: the project's two set-up commands and their helpers.
//!
//! Every command first installs what is missing (idempotently, saying what it installs):
//! the wasm32 target, Trunk, wasm-bindgen-cli at the Cargo.lock version, the npm packages of
//! `web/`, and Debian's Chromium and ChromeDriver.

mod bundle;
mod csp;
mod gen_explain;
mod precache;
mod setup;
mod tasks;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  serve   build the playground and serve it at http://127.0.0.1:8080 (Ctrl-C stops)
  test    run every test: fmt, clippy (native and wasm32), native tests,
          wasm tests in headless Chromium, end-to-end browser tests
  build   build the release site into dist/ and print its sizes
  bench   run the benchmarks (release builds) and print their figures
  setup   only install what is missing
  bundle  bundle the editor pane's JavaScript (CodeMirror) into web/generated/editor.js
          and gzip the `kubectl explain` data into web/generated/explain.data.gz
          (Trunk runs it before every build)
  csp     [DIR] write the Content-Security-Policy into DIR/index.html
          (default: $TRUNK_STAGING_DIR)
  precache [DIR] write DIR's file list (with SHA-256) into the service worker DIR/sw.js
          (default: $TRUNK_STAGING_DIR)
  post-build [DIR] csp, then precache (Trunk runs it after every build)
  gen-explain  regenerate the `kubectl explain` data from the k8s-openapi sources
";

/// The built site a post-build command works on: its argument, else Trunk's staging folder.
fn site_dir(args: &[String]) -> Result<std::path::PathBuf, String> {
    args.get(1)
        .cloned()
        .or_else(|| std::env::var("TRUNK_STAGING_DIR").ok())
        .map(std::path::PathBuf::from)
        .ok_or_else(|| {
            let command = args.first().map_or("this command", String::as_str);
            format!("{command} needs a directory (or TRUNK_STAGING_DIR)")
        })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => tasks::serve(),
        Some("test") => tasks::test(),
        Some("build") => tasks::build_release(),
        Some("bench") => tasks::bench(),
        Some("setup") => setup::ensure_all().map(|_| ()),
        Some("bundle") => {
            let root = setup::workspace_root();
            bundle::bundle(&root, bundle::OUTPUT).and_then(|()| {
                gen_explain::write_site_copy(&root, &root.join("web").join(gen_explain::SITE_COPY))
            })
        }
        Some("csp") => site_dir(&args).and_then(|dir| csp::apply(&dir)),
        Some("precache") => site_dir(&args).and_then(|dir| precache::apply(&dir)),
        // One hook, in this order: Trunk starts a stage's hooks at once, and the service
        // worker's manifest must hash the page with its policy already in.
        Some("post-build") => {
            site_dir(&args).and_then(|dir| csp::apply(&dir).and_then(|()| precache::apply(&dir)))
        }
        Some("gen-explain") => gen_explain::run(&setup::workspace_root()),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!(
                "{}{USAGE}",
                other
                    .map(|c| format!("unknown command: {c}\n"))
                    .unwrap_or_default()
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error}");
            ExitCode::FAILURE
        }
    }
}
