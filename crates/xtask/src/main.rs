//! `cargo xtask <command>`: the project's two set-up commands and their helpers.
//!
//! Every command first installs what is missing (idempotently, saying what it installs):
//! the wasm32 target, Trunk, wasm-bindgen-cli at the Cargo.lock version, the npm packages of
//! `web/`, and Debian's Chromium and ChromeDriver.

mod bundle;
mod csp;
mod gen_explain;
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
          (default: $TRUNK_STAGING_DIR; Trunk runs it after every build)
  gen-explain  regenerate the `kubectl explain` data from the k8s-openapi sources
";

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
        Some("csp") => match args
            .get(1)
            .cloned()
            .or_else(|| std::env::var("TRUNK_STAGING_DIR").ok())
        {
            Some(dir) => csp::apply(std::path::Path::new(&dir)),
            None => Err("csp needs a directory (or TRUNK_STAGING_DIR)".to_owned()),
        },
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
