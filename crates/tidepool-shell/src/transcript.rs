//! Transcript tests: plain-text terminal sessions replayed against a fresh [`Session`].
//!
//! ```text
//! ## a comment
//! #> seed 7                 (before the first command: the simulation seed, default 1)
//! $ kubectl create deployment web --image=nginx
//! deployment.apps/web created
//! #> advance 30s            (virtual time passes; `$ sleep 30` works too)
//! #> poll                   (what a running `get -w`/`logs -f` printed since the last poll)
//! #> interrupt              (Ctrl-C; what it prints follows)
//! #> prompt                 (the prompt now shown, e.g. `/ # ` inside `kubectl exec -it`)
//! $ cat <<EOF | kubectl apply -f -
//! > apiVersion: v1
//! > ...
//! > EOF
//! $ kubectl get pods
//! NAME                   READY   STATUS    RESTARTS   AGE
//! web-<rs-hash>-<pod-suffix>   1/1     Running   0          30s
//! $ kubectl get pdos
//! error: the server doesn't have a resource type "pdos"
//! [exit 1]
//! ```
//!
//! Expected output may use placeholders: `<pod-suffix>` (5 characters), `<rs-hash>`, `<ip>`,
//! `<uid>`, `<n>` (digits), `<any>` (anything on the line) and `<re:REGEX>`. A non-zero exit
//! status is the line `[exit N]`. [`check`] replays a transcript and returns a unified diff
//! on mismatch; [`replay`] returns the transcript with the actual outputs, keeping every
//! expected line that still matches (so updating goldens keeps placeholders).

use crate::{Feed, Session, SessionConfig};
use regex_lite::Regex;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Verbatim lines that are not commands (comments, directives).
    Other(String),
    Seed(u64),
    /// The duration and the directive line as written.
    Advance(Duration, String),
    /// `#> poll`: the rows a running `kubectl get -w` printed since the last poll.
    Poll(Vec<String>),
    /// `#> interrupt`: Ctrl-C, and what it printed (a `run -it --rm` session ending).
    Interrupt(Vec<String>),
    /// `#> prompt`: the prompt the terminal shows now (one expected line).
    Prompt(Vec<String>),
    Command {
        lines: Vec<String>,
        expected: Vec<String>,
    },
}

enum StepKind {
    Prompt,
    Interrupt,
    Other,
}

fn parse(text: &str) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(cmd) = line
            .strip_prefix("$ ")
            .or_else(|| (line == "$").then_some(""))
        {
            steps.push(Step::Command {
                lines: vec![cmd.to_owned()],
                expected: Vec::new(),
            });
        } else if let Some(directive) = line.strip_prefix("#> ") {
            let mut it = directive.split_whitespace();
            match (it.next(), it.next()) {
                (Some("seed"), Some(v)) => steps.push(Step::Seed(
                    v.parse().map_err(|_| format!("line {}: bad seed", n + 1))?,
                )),
                (Some("advance"), Some(v)) => steps.push(Step::Advance(
                    parse_duration(v).ok_or_else(|| format!("line {}: bad duration", n + 1))?,
                    line.to_owned(),
                )),
                (Some("poll"), None) => steps.push(Step::Poll(Vec::new())),
                (Some("interrupt"), None) => steps.push(Step::Interrupt(Vec::new())),
                (Some("prompt"), None) => steps.push(Step::Prompt(Vec::new())),
                _ => return Err(format!("line {}: unknown directive {directive:?}", n + 1)),
            }
        } else if line.starts_with("##") {
            steps.push(Step::Other(line.to_owned()));
        } else {
            match steps.last_mut() {
                Some(Step::Poll(expected) | Step::Prompt(expected) | Step::Interrupt(expected)) => {
                    expected.push(line.to_owned());
                }
                Some(Step::Command { lines, expected }) => {
                    if expected.is_empty()
                        && let Some(more) = line
                            .strip_prefix("> ")
                            .or_else(|| (line == ">").then_some(""))
                    {
                        lines.push(more.to_owned());
                    } else {
                        expected.push(line.to_owned());
                    }
                }
                _ if line.trim().is_empty() => steps.push(Step::Other(line.to_owned())),
                _ => return Err(format!("line {}: output before any command", n + 1)),
            }
        }
    }
    Ok(steps)
}

fn placeholder_regex(line: &str) -> Option<Regex> {
    if !line.contains('<') {
        return None;
    }
    let token = Regex::new(r"<(pod-suffix|rs-hash|ip|uid|n|any|re:[^>]*)>").ok()?;
    let mut pattern = String::from("^");
    let mut last = 0;
    let mut found = false;
    for m in token.find_iter(line) {
        found = true;
        pattern.push_str(&regex_lite::escape(&line[last..m.start()]));
        let name = &line[m.start() + 1..m.end() - 1];
        pattern.push_str(match name {
            "pod-suffix" => "[a-z0-9]{5}",
            "rs-hash" => "[a-z0-9]{6,10}",
            "ip" => r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+",
            "uid" => "[0-9a-f-]{36}",
            "n" => "[0-9]+",
            "any" => ".*",
            re => re.strip_prefix("re:").unwrap_or(".*"),
        });
        last = m.end();
    }
    if !found {
        return None;
    }
    pattern.push_str(&regex_lite::escape(&line[last..]));
    pattern.push('$');
    Regex::new(&pattern).ok()
}

fn line_matches(expected: &str, actual: &str) -> bool {
    expected == actual || placeholder_regex(expected).is_some_and(|r| r.is_match(actual))
}

/// The transcript as it would read with the actual outputs (expected lines that match,
/// placeholders included, are kept).
pub fn replay(text: &str) -> Result<String, String> {
    let steps = parse(text)?;
    let seed = steps
        .iter()
        .find_map(|s| match s {
            Step::Seed(n) => Some(*n),
            _ => None,
        })
        .unwrap_or(1);
    let mut session = Session::new(&SessionConfig {
        seed,
        ..SessionConfig::default()
    });
    let mut out = String::new();
    for step in steps {
        let step_kind = match step {
            Step::Prompt(_) => StepKind::Prompt,
            Step::Interrupt(_) => StepKind::Interrupt,
            _ => StepKind::Other,
        };
        match step {
            Step::Other(line) => {
                out.push_str(&line);
                out.push('\n');
            }
            Step::Seed(n) => out.push_str(&format!("#> seed {n}\n")),
            Step::Advance(d, line) => {
                session.advance(d);
                out.push_str(&line);
                out.push('\n');
            }
            Step::Poll(expected) | Step::Prompt(expected) | Step::Interrupt(expected) => {
                let text = if matches!(step_kind, StepKind::Interrupt) {
                    out.push_str("#> interrupt\n");
                    session.interrupt().text()
                } else if matches!(step_kind, StepKind::Prompt) {
                    out.push_str("#> prompt\n");
                    // Quoted, so the trailing space shows.
                    format!("{:?}\n", session.prompt())
                } else {
                    out.push_str("#> poll\n");
                    session.poll_follow().map(|o| o.text()).unwrap_or_default()
                };
                for (i, a) in text.lines().enumerate() {
                    match expected.get(i) {
                        Some(e) if line_matches(e, a) => out.push_str(e),
                        _ => out.push_str(a),
                    }
                    out.push('\n');
                }
            }
            Step::Command { lines, expected } => {
                let mut actual = String::new();
                for (i, line) in lines.iter().enumerate() {
                    out.push_str(if i == 0 { "$ " } else { "> " });
                    out.push_str(line);
                    out.push('\n');
                    if let Feed::Done(o) = session.feed_line(line) {
                        actual.push_str(&o.text());
                        if !actual.is_empty() && !actual.ends_with('\n') {
                            actual.push('\n');
                        }
                        if o.exit_code != 0 {
                            actual.push_str(&format!("[exit {}]\n", o.exit_code));
                        }
                    }
                }
                let actual: Vec<&str> = actual.lines().collect();
                for (i, a) in actual.iter().enumerate() {
                    match expected.get(i) {
                        Some(e) if line_matches(e, a) => out.push_str(e),
                        _ => out.push_str(a),
                    }
                    out.push('\n');
                }
            }
        }
    }
    Ok(out)
}

/// `30s`, `2m7s`, `1h30m`, `1.5s`, or a bare number of seconds.
fn parse_duration(text: &str) -> Option<Duration> {
    if let Some(d) = crate::exec::parse_sleep(text) {
        return Some(d);
    }
    let mut total = Duration::ZERO;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
        } else {
            let d = crate::exec::parse_sleep(&format!("{number}{c}"))?;
            total = total.checked_add(d)?;
            number.clear();
        }
    }
    number.is_empty().then_some(total)
}

/// Minimal unified diff of two texts (line based, LCS).
pub fn unified_diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// Replays `text`; `Err` holds a unified diff (or a parse error).
pub fn check(text: &str) -> Result<(), String> {
    let actual = replay(text)?;
    let normalised: String = text.lines().map(|l| format!("{l}\n")).collect();
    if actual == normalised {
        Ok(())
    } else {
        Err(unified_diff(&normalised, &actual))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert!(line_matches(
            "web-<rs-hash>-<pod-suffix>   1/1",
            "web-7c5ddbdf54-abcde   1/1"
        ));
        assert!(!line_matches("web-<pod-suffix>", "web-abc"));
        assert!(line_matches("IP: <ip>", "IP: 10.244.1.2"));
        assert!(line_matches("<any>", "whatever"));
    }

    #[test]
    fn a_failing_transcript_gives_a_diff() {
        let err = check("$ echo hi\nho\n").err().unwrap_or_default();
        assert!(err.contains("-ho") && err.contains("+hi"), "{err}");
        assert_eq!(check("$ echo hi\nhi\n$ false\n[exit 1]\n"), Ok(()));
    }
}
