//! Installs the toolchain pieces the build and tests need, only when missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub type Result<T> = std::result::Result<T, String>;

/// The version of Trunk that builds on rustc 1.95 (0.22 needs a newer rustc).
pub const TRUNK_VERSION: &str = "0.21.14";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const KOREAN_FONT_DIR: &str = "/usr/share/fonts/truetype/nanum";

/// Paths and versions every task needs after setup.
#[derive(Debug, Clone)]
pub struct Env {
    pub root: PathBuf,
    /// PATH with cargo's bin folder and `web/node_modules/.bin` (wasm-opt) in front.
    pub path: String,
}

impl Env {
    /// A command run from the workspace root with our PATH.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.root).env("PATH", &self.path);
        command
    }
}

/// The workspace we were invoked in, asked of cargo at run time: a path baked in at compile
/// time goes stale when a shared CARGO_TARGET_DIR serves several checkouts (CI's cache).
pub fn workspace_root() -> PathBuf {
    let located = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|manifest| Path::new(manifest.trim()).parent().map(Path::to_path_buf));
    located.unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .expect("xtask lives in crates/xtask")
            .to_path_buf()
    })
}

fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// Installs whatever is missing and returns the environment to run tools in.
pub fn ensure_all() -> Result<Env> {
    let root = workspace_root();
    let mut paths = vec![cargo_bin_dir(), root.join("web/node_modules/.bin")];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(paths)
        .map_err(|e| e.to_string())?
        .to_string_lossy()
        .into_owned();
    let env = Env { root, path };

    ensure_wasm_target(&env)?;
    ensure_trunk(&env)?;
    ensure_wasm_bindgen_cli(&env)?;
    ensure_npm_packages(&env)?;
    ensure_chromium()?;
    Ok(env)
}

fn say(what: &str) {
    eprintln!("xtask: {what}");
}

/// Runs `command`, failing with its description when it does not succeed.
pub fn run(command: &mut Command) -> Result<()> {
    let description = format!("{command:?}");
    let status = command
        .status()
        .map_err(|e| format!("could not start {description}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{description} failed ({status})"))
    }
}

/// The first line a tool prints for `--version`, if it runs at all.
fn version_of(env: &Env, program: &str) -> Option<String> {
    let output = env
        .command(program)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output.status.success().then(|| {
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_owned()
    })
}

fn ensure_wasm_target(env: &Env) -> Result<()> {
    let output = env
        .command("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup is needed: {e}"))?;
    if String::from_utf8_lossy(&output.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    say("installing the wasm32-unknown-unknown target: rustup target add wasm32-unknown-unknown");
    run(env
        .command("rustup")
        .args(["target", "add", "wasm32-unknown-unknown"]))
}

fn ensure_trunk(env: &Env) -> Result<()> {
    if version_of(env, "trunk").is_some_and(|v| v == format!("trunk {TRUNK_VERSION}")) {
        return Ok(());
    }
    say(&format!(
        "installing Trunk {TRUNK_VERSION}: cargo install trunk --version {TRUNK_VERSION} --locked (about 6 minutes on 2 cores)"
    ));
    run(env
        .command("cargo")
        .args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))
}

/// The `wasm-bindgen` version recorded in Cargo.lock.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("reading Cargo.lock: {e}"))?;
    package_version(&lock, "wasm-bindgen")
        .ok_or_else(|| "Cargo.lock has no wasm-bindgen package".to_owned())
}

/// Finds `version = "..."` of `[[package]] name = "<name>"` in a Cargo.lock.
pub fn package_version(lock: &str, name: &str) -> Option<String> {
    let needle = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == needle {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(str::to_owned);
        }
    }
    None
}

fn ensure_wasm_bindgen_cli(env: &Env) -> Result<()> {
    let version = locked_wasm_bindgen_version(&env.root)?;
    let want = format!("wasm-bindgen {version}");
    let have_cli = version_of(env, "wasm-bindgen").is_some_and(|v| v == want);
    let have_runner =
        version_of(env, "wasm-bindgen-test-runner").is_some_and(|v| v.ends_with(&version));
    if have_cli && have_runner {
        return Ok(());
    }
    // Without --locked on purpose: the crate's own lockfile names a release the registry lacks.
    say(&format!(
        "installing wasm-bindgen-cli {version} (= Cargo.lock): cargo install wasm-bindgen-cli --version {version}"
    ));
    run(env
        .command("cargo")
        .args(["install", "wasm-bindgen-cli", "--version", &version]))
}

fn ensure_npm_packages(env: &Env) -> Result<()> {
    let web = env.root.join("web");
    let lock = std::fs::read(web.join("package-lock.json"))
        .map_err(|e| format!("reading web/package-lock.json: {e}"))?;
    let stamp_path = web.join("node_modules/.tidepool-lock-stamp");
    let stamp = format!("{:016x}", fnv1a(&lock));
    if std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        return Ok(());
    }
    say("installing the npm packages of web/: npm ci");
    run(env
        .command("npm")
        .current_dir(&web)
        .args(["ci", "--no-audit", "--no-fund"]))?;
    std::fs::write(&stamp_path, stamp).map_err(|e| format!("writing {}: {e}", stamp_path.display()))
}

/// FNV-1a: a stable fingerprint for the lockfile stamp (no dependency needed).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn ensure_chromium() -> Result<()> {
    // fonts-nanum: Korean glyphs, so screenshots of the Korean UI show text, not boxes.
    let font_present = Path::new(KOREAN_FONT_DIR).exists();
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() && font_present {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root {
        return Err(
            "the browser tests need Debian's packages `chromium`, `chromium-driver` and `fonts-nanum`: \
                    run `sudo apt-get install -y chromium chromium-driver`, then try again"
                .to_owned(),
        );
    }
    say(
        "installing Chromium, ChromeDriver and a Korean font: apt-get install -y chromium chromium-driver fonts-nanum",
    );
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args([
            "install",
            "-y",
            "-qq",
            "chromium",
            "chromium-driver",
            "fonts-nanum",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_package_version_from_a_lockfile() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            package_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(package_version(lock, "yew"), None);
    }

    /// Trunk must use the wasm-bindgen we install, never download one (tidy check).
    #[test]
    fn trunk_pins_the_locked_wasm_bindgen() {
        let root = workspace_root();
        let version = locked_wasm_bindgen_version(&root).unwrap();
        let trunk = std::fs::read_to_string(root.join("Trunk.toml")).unwrap();
        assert!(
            trunk.contains(&format!("wasm_bindgen = \"{version}\"")),
            "Trunk.toml must pin wasm_bindgen = \"{version}\""
        );
    }

    /// Trunk must use the npm binaryen's wasm-opt, never download one (tidy check).
    #[test]
    fn trunk_pins_the_npm_wasm_opt() {
        let root = workspace_root();
        let lock = std::fs::read_to_string(root.join("web/package-lock.json")).unwrap();
        let major = lock
            .split("\"node_modules/binaryen\"")
            .nth(1)
            .and_then(|rest| rest.split("\"version\": \"").nth(1))
            .and_then(|v| v.split('.').next())
            .expect("binaryen in web/package-lock.json");
        let trunk = std::fs::read_to_string(root.join("Trunk.toml")).unwrap();
        assert!(trunk.contains(&format!("wasm_opt = \"version_{major}\"")));
    }
}
