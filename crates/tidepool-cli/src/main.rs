//! `tidepool`: the Tidepool terminal on the command line. The same [`Session`] as the browser
//! worker; this binary only does the I/O (stdin/stdout, the wall clock for `--speed`, $EDITOR).

mod gradcam;

use clap::{Parser, Subcommand};
use std::cell::RefCell;
use std::io::Write;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tidepool_shell::{Effect, Feed, Session, SessionConfig, Stream};

#[derive(Debug, Parser)]
#[command(
    name = "tidepool",
    version,
    about = "A simulated Kubernetes v1.32 cluster in your terminal, and the Grad-CAM lab"
)]
struct Cli {
    /// Seed of the simulation's random choices.
    #[arg(long, global = true, default_value_t = 1)]
    seed: u64,
    /// Virtual seconds per real second; 0 = time moves only with `sleep`. Streaming commands
    /// (`kubectl get -w`, `logs -f`, `port-forward`, `watch`) run until Ctrl-C while time
    /// moves; with 0 they print what there is and return.
    #[arg(long, global = true, default_value_t = 1.0)]
    speed: f64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// An interactive shell on the simulated control plane.
    Shell,
    /// Replays a script, one line at a time, printing prompts and output.
    Run { script: std::path::PathBuf },
    /// Checks transcripts; prints a unified diff for each mismatch.
    Check {
        #[arg(required = true)]
        transcripts: Vec<std::path::PathBuf>,
    },
    /// Classifies photos and explains them with Grad-CAM (EfficientNet-Lite0, CPU).
    Gradcam(gradcam::GradcamArgs),
}

fn print_output(out: &tidepool_shell::CommandOutput) {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    for (stream, text) in &out.chunks {
        let _ = match stream {
            Stream::Stdout => stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush()),
            Stream::Stderr => stderr
                .write_all(text.as_bytes())
                .and_then(|()| stderr.flush()),
        };
    }
}

/// Opens $EDITOR (default `vi`) on a real temporary copy of a VFS file and writes the result
/// back.
fn edit(session: &mut Session, path: &str) {
    let editor = std::env::var("EDITOR").unwrap_or_else(|_| "vi".to_owned());
    let tmp = std::env::temp_dir().join(format!(
        "tidepool-{}-{}",
        std::process::id(),
        path.rsplit('/').next().unwrap_or("file")
    ));
    let _ = std::fs::write(&tmp, session.read_file(path).unwrap_or_default());
    let status = std::process::Command::new(&editor).arg(&tmp).status();
    match status {
        Ok(s) if s.success() => {
            if let Ok(text) = std::fs::read_to_string(&tmp)
                && let Err(e) = session.write_file(path, &text)
            {
                eprintln!("{path}: {e}");
            }
        }
        Ok(_) | Err(_) => eprintln!("could not run editor {editor:?}"),
    }
    let _ = std::fs::remove_file(&tmp);
}

/// Clears the terminal for an output that asks for it (`clear`, a `watch` frame), then
/// prints it.
fn show(out: &tidepool_shell::CommandOutput) {
    if out.effects.contains(&Effect::Clear) {
        print!("\x1b[2J\x1b[H");
        let _ = std::io::stdout().flush();
    }
    print_output(out);
}

/// How often a streaming command is polled, in real time.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// Runs a streaming command (`get -w`, `logs -f`, `port-forward`, `watch`) until it ends by
/// itself or Ctrl-C sets `interrupted`: virtual time moves at `speed` virtual seconds per real
/// second and each poll's output is printed. At speed 0 nothing would ever change, so the
/// stream ends at once. Returns the exit status.
fn stream(session: &mut Session, speed: f64, interrupted: &AtomicBool) -> i32 {
    interrupted.store(false, Ordering::SeqCst);
    if speed <= 0.0 {
        return session.interrupt().exit_code;
    }
    let mut last = Instant::now();
    loop {
        std::thread::sleep(POLL_EVERY);
        if interrupted.swap(false, Ordering::SeqCst) {
            // The terminal echoed ^C; start the prompt on a fresh line.
            println!();
            return session.interrupt().exit_code;
        }
        let elapsed = last.elapsed().as_secs_f64() * speed;
        last = Instant::now();
        session.advance(Duration::from_secs_f64(elapsed.min(1.0e7)));
        match session.poll_follow() {
            Some(out) => {
                show(&out);
                if out.exit_code != 0 {
                    return out.exit_code;
                }
            }
            None => return 0,
        }
    }
}

fn handle_effects(session: &mut Session, out: &tidepool_shell::CommandOutput) -> bool {
    for effect in &out.effects {
        match effect {
            // Printed before the output (`show`).
            Effect::Clear => {}
            Effect::OpenEditor { path } => {
                edit(session, path);
                // `kubectl edit` applies the file now (and may reopen it with its errors).
                if let Some(out) = session.editor_closed(path) {
                    print_output(&out);
                    if handle_effects(session, &out) {
                        return true;
                    }
                }
            }
            Effect::Exit => return true,
            // The caller streams it (`stream`).
            Effect::Follow => {}
        }
    }
    false
}

/// Tab completion for rustyline, asking the shared session.
struct Completion {
    session: Rc<RefCell<Session>>,
}

impl rustyline::completion::Completer for Completion {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let start = line[..pos].rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let session = self.session.borrow();
        Ok((start, session.complete(line, pos)))
    }
}

impl rustyline::hint::Hinter for Completion {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for Completion {}
impl rustyline::validate::Validator for Completion {}
impl rustyline::Helper for Completion {}

fn shell(session: Session, speed: f64) -> ExitCode {
    let session = Rc::new(RefCell::new(session));
    let mut editor =
        match rustyline::Editor::<Completion, rustyline::history::DefaultHistory>::new() {
            Ok(e) => e,
            Err(e) => {
                eprintln!("tidepool: cannot open the terminal: {e}");
                return ExitCode::from(2);
            }
        };
    // Ctrl-C outside line editing (while a command streams) interrupts the session, not this
    // process; while reading a line rustyline sees Ctrl-C as a key. Installed after the editor
    // exists: rustyline's terminal replaces the SIGINT handler when it is created.
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    // Without a handler nothing could end a stream, so streams behave as at speed 0.
    let stream_speed = match ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)) {
        Ok(()) => speed,
        Err(e) => {
            eprintln!("tidepool: cannot handle Ctrl-C ({e}); streaming commands stop at once");
            0.0
        }
    };
    editor.set_helper(Some(Completion {
        session: Rc::clone(&session),
    }));
    let mut last = Instant::now();
    let mut status = 0;
    loop {
        let prompt = session.borrow().prompt();
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => {
                session.borrow_mut().feed_line("");
                continue;
            }
            Err(_) => break,
        };
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        let mut s = session.borrow_mut();
        if speed > 0.0 {
            let elapsed = last.elapsed().as_secs_f64() * speed;
            s.advance(Duration::from_secs_f64(elapsed.min(1.0e7)));
        }
        if let Feed::Done(out) = s.feed_line(&line) {
            show(&out);
            status = out.exit_code;
            if handle_effects(&mut s, &out) {
                break;
            }
            if out.effects.contains(&Effect::Follow) {
                status = stream(&mut s, stream_speed, &interrupted);
            }
        }
        // Time the learner spends typing the next line moves the clock (the stream above
        // moved it itself).
        last = Instant::now();
    }
    ExitCode::from(u8::try_from(status & 0xff).unwrap_or(1))
}

fn run(session: &mut Session, script: &std::path::Path) -> ExitCode {
    let text = match std::fs::read_to_string(script) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tidepool: {}: {e}", script.display());
            return ExitCode::from(2);
        }
    };
    let mut status = 0;
    for line in text.lines() {
        println!("{}{line}", session.prompt());
        if let Feed::Done(out) = session.feed_line(line) {
            show(&out);
            status = out.exit_code;
            if handle_effects(session, &out) {
                break;
            }
            // A script has no Ctrl-C: a streaming command shows what there is and ends.
            if out.effects.contains(&Effect::Follow) {
                session.interrupt();
            }
        }
    }
    ExitCode::from(u8::try_from(status & 0xff).unwrap_or(1))
}

fn check(paths: &[std::path::PathBuf]) -> ExitCode {
    let mut failed = 0;
    for path in paths {
        let result = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| tidepool_shell::transcript::check(&text));
        match result {
            Ok(()) => println!("ok   {}", path.display()),
            Err(diff) => {
                failed += 1;
                println!("FAIL {}\n{diff}", path.display());
            }
        }
    }
    println!("{} passed, {failed} failed", paths.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut session = Session::new(&SessionConfig {
        seed: cli.seed,
        ..SessionConfig::default()
    });
    match cli.command {
        Command::Shell => shell(session, cli.speed),
        Command::Run { script } => run(&mut session, &script),
        Command::Check { transcripts } => check(&transcripts),
        Command::Gradcam(args) => gradcam::run(&args),
    }
}
