//! The commands themselves. Each test phase is timed and the times are printed at the end.

use crate::setup::{self, CHROMEDRIVER, Env, Result, run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const SERVE_URL: &str = "http://127.0.0.1:8080";

/// `cargo xtask serve`: build the release site and serve it with Trunk (rebuilds on change).
pub fn serve() -> Result<()> {
    let env = setup::ensure_all()?;
    eprintln!("xtask: building Tidepool; it will be served at {SERVE_URL} (Ctrl-C stops)");
    run(env.command("trunk").args(["serve", "--release"]))
}

/// `cargo xtask build`: the release site in dist/, with its sizes.
pub fn build_release() -> Result<()> {
    let env = setup::ensure_all()?;
    run(env.command("trunk").args(["build", "--release"]))?;
    print_sizes(&env.root.join("dist"))
}

/// `cargo xtask bench`: every benchmark, release builds, figures printed (see BENCHMARKS.md).
pub fn bench() -> Result<()> {
    let env = setup::ensure_all()?;
    let mut phases = Phases { done: Vec::new() };
    let result = (|| {
        phases.run(
            "simulation core: schedule 10,000 pods on 1,000 nodes",
            || {
                run(&mut speed_example(
                    &env,
                    "tidepool-core",
                    "bench",
                    &["1000", "10000"],
                ))
            },
        )?;
        phases.run(
            "kubelet: 10,000 pods with exec liveness probes, one simulated minute",
            || {
                run(&mut speed_example(
                    &env,
                    "tidepool-core",
                    "kubelet_bench",
                    &["10000", "3"],
                ))
            },
        )?;
        phases.run("kubectl get pods -A over 10,000 pods", || {
            run(&mut speed_example(
                &env,
                "tidepool-shell",
                "bench_get",
                &["10000", "20"],
            ))
        })?;
        phases.run("Grad-CAM on Flex (criterion)", || {
            // The release profile is size-optimised with LTO for the site; benchmark at opt 3.
            run(env
                .command("cargo")
                .args([
                    "bench",
                    "--locked",
                    "-p",
                    "tidepool-gradcam",
                    "--bench",
                    "gradcam",
                ])
                .env("CARGO_PROFILE_BENCH_OPT_LEVEL", "3")
                .env("CARGO_PROFILE_BENCH_LTO", "false")
                .env("CARGO_PROFILE_BENCH_CODEGEN_UNITS", "16"))
        })?;
        phases.run("release site sizes", || {
            run(env.command("trunk").args(["build", "--release"]))?;
            print_sizes(&env.root.join("dist"))
        })
    })();
    phases.report();
    result
}

/// `cargo run --release --example NAME` built for speed, not size: the release profile is
/// tuned for the site (opt "z", LTO, one codegen unit, abort on panic).
fn speed_example(env: &Env, package: &str, example: &str, args: &[&str]) -> Command {
    let mut command = env.command("cargo");
    command
        .args([
            "run",
            "--release",
            "--locked",
            "-p",
            package,
            "--example",
            example,
            "--",
        ])
        .args(args)
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "3")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_PANIC", "unwind");
    command
}

/// Prints each wasm/js file of a built site with raw and gzip sizes.
fn print_sizes(dist: &Path) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dist)
        .map_err(|e| format!("reading {}: {e}", dist.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|ext| ext == "wasm" || ext == "js" || ext == "css")
        })
        .collect();
    files.sort();
    println!("{:<48} {:>12} {:>12}", "file", "bytes", "gzip -9");
    for file in files {
        let raw = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        let gz = Command::new("sh")
            .arg("-c")
            .arg("gzip -9 -c \"$1\" | wc -c")
            .arg("sh")
            .arg(&file)
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(0);
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        println!("{name:<48} {raw:>12} {gz:>12}");
    }
    Ok(())
}

struct Phases {
    done: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn run<T>(&mut self, name: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        eprintln!("\nxtask: ==> {name}");
        let start = Instant::now();
        let result = f();
        let took = start.elapsed();
        self.done.push((name, took));
        eprintln!(
            "xtask: <== {name}: {} in {:.1}s",
            if result.is_ok() { "ok" } else { "FAILED" },
            took.as_secs_f64()
        );
        result
    }

    fn report(&self) {
        eprintln!("\nxtask: phase timings");
        for (name, took) in &self.done {
            eprintln!("  {name:<34} {:>8.1}s", took.as_secs_f64());
        }
        let total: Duration = self.done.iter().map(|(_, d)| *d).sum();
        eprintln!("  {:<34} {:>8.1}s", "total", total.as_secs_f64());
    }
}

/// `cargo xtask test`: every test the project has.
pub fn test() -> Result<()> {
    let mut phases = Phases { done: Vec::new() };
    let result = run_all_tests(&mut phases);
    phases.report();
    result
}

/// Crates whose tests run in the browser: clippy checks all their targets for wasm32.
const BROWSER_TESTED: [&str; 2] = ["tidepool-worker", "tidepool-web"];
/// Libraries that must build for wasm32 (their native-only dev-dependencies need not).
const WASM_LIBRARIES: [&str; 3] = ["tidepool-container", "tidepool-core", "tidepool-shell"];

fn run_all_tests(phases: &mut Phases) -> Result<()> {
    let env = phases.run("setup (install what is missing)", setup::ensure_all)?;
    let cargo = |args: &[&str]| {
        let mut command = env.command("cargo");
        command.args(args);
        command
    };
    let packages = |names: &[&'static str]| -> Vec<&'static str> {
        names.iter().flat_map(|c| ["-p", *c]).collect()
    };

    phases.run("cargo fmt --check", || {
        run(&mut cargo(&["fmt", "--all", "--", "--check"]))
    })?;
    phases.run("clippy (native, -D warnings)", || {
        run(&mut cargo(&[
            "clippy",
            "--locked",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    phases.run("clippy (wasm32, -D warnings)", || {
        let wasm_clippy = |scope: &[&'static str], names: &[&'static str]| {
            let mut args = vec!["clippy", "--locked", "--target", "wasm32-unknown-unknown"];
            args.extend(scope);
            args.extend(packages(names));
            args.extend(["--", "-D", "warnings"]);
            run(&mut cargo(&args))
        };
        wasm_clippy(&["--all-targets"], &BROWSER_TESTED)?;
        // Alone, for the same reason as its wasm tests (see below).
        wasm_clippy(&["--all-targets"], &["tidepool-gradcam-worker"])?;
        wasm_clippy(&["--lib"], &WASM_LIBRARIES)?;
        // The shell's browser test (its other tests are native only).
        wasm_clippy(&["--test", "browser_transcripts"], &["tidepool-shell"])?;
        // The model crate's browser build: WebGPU plus the Flex CPU fallback.
        wasm_clippy(
            &[
                "--lib",
                "--no-default-features",
                "--features",
                "webgpu,flex",
            ],
            &["tidepool-gradcam"],
        )
    })?;
    phases.run("native tests", || {
        run(&mut cargo(&[
            "test",
            "--locked",
            "--workspace",
            "--exclude",
            "tidepool-e2e",
        ]))
    })?;
    phases.run("wasm tests (headless Chromium)", || {
        let args = [
            "test",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "tidepool-worker",
            "-p",
            "tidepool-web",
        ];
        run(cargo(&args)
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))?;
        // Every transcript replayed in the browser through the same checker as natively.
        let transcripts = [
            "test",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "tidepool-shell",
            "--test",
            "browser_transcripts",
        ];
        run(cargo(&transcripts)
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "300"))?;
        // EfficientNet-Lite0 on WebGPU (SwiftShader) and Flex against the native numbers. A
        // cargo run of its own: built with the UI crates, web-sys would get yew's features and
        // burn would be compiled a second time for Trunk's worker build.
        let gradcam = [
            "test",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "tidepool-gradcam-worker",
        ];
        run(cargo(&gradcam)
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "600"))
    })?;
    let site = target_dir(&env).join("e2e-dist");
    phases.run("site build (trunk, debug)", || {
        run(env.command("trunk").args(["build", "--dist"]).arg(&site))
    })?;
    phases.run("end-to-end tests (chromedriver)", || {
        run(cargo(&["test", "--locked", "-p", "tidepool-e2e"])
            .env("TIDEPOOL_DIST", &site)
            .env("TIDEPOOL_ARTIFACTS", env.root.join("tests/e2e/artifacts"))
            .env("CHROMEDRIVER", CHROMEDRIVER))
    })
}

/// Cargo's target directory, honouring CARGO_TARGET_DIR.
fn target_dir(env: &Env) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| env.root.join("target"))
}
