//! `kubectl wait --for=condition=C|delete|create|jsonpath=... (TYPE/NAME | TYPE -l sel | TYPE
//! --all)`: lets virtual time pass (as `sleep` does), a second at a time for the first ten
//! seconds and in growing steps after that, until the condition holds or `--timeout` (30 s by
//! default) runs out for an object.

use super::get::kind_name;
use super::resources::resolve_type;
use super::{FlagSpec, KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::Value;
use std::time::Duration;
use tidepool_core::{Kind, StatusReason};

const WAIT_SPECS: &[FlagSpec] = &[
    f("for", None, true),
    f("timeout", None, true),
    f("selector", Some('l'), true),
    f("all", None, false),
    f("all-namespaces", Some('A'), false),
    f("field-selector", None, true),
    f("filename", Some('f'), true),
    f("output", Some('o'), true),
    f("local", None, false),
];

/// What `--for` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    Delete,
    Create,
    /// `condition=NAME[=VALUE]`, compared case-insensitively as kubectl does.
    Condition {
        name: String,
        value: String,
    },
    /// `jsonpath={expr}[=VALUE]`; without a value the path just has to exist.
    JsonPath {
        template: String,
        value: Option<String>,
    },
}

fn parse_for(text: &str) -> Result<Wanted, String> {
    let lower = text.to_ascii_lowercase();
    if lower == "delete" {
        return Ok(Wanted::Delete);
    }
    if lower == "create" {
        return Ok(Wanted::Create);
    }
    if lower.starts_with("condition=") {
        let rest = &text["condition=".len()..];
        let (name, value) = rest.split_once('=').unwrap_or((rest, "true"));
        return Ok(Wanted::Condition {
            name: name.to_owned(),
            value: value.to_owned(),
        });
    }
    if lower.starts_with("jsonpath=") {
        let rest = &text["jsonpath=".len()..];
        let (expr, value) = if rest.starts_with('{') {
            match rest.rfind('}') {
                Some(end) => (&rest[..=end], rest[end + 1..].strip_prefix('=')),
                None => (rest, None),
            }
        } else {
            match rest.split_once('=') {
                Some((e, v)) => (e, Some(v)),
                None => (rest, None),
            }
        };
        let template = if expr.starts_with('{') {
            expr.to_owned()
        } else {
            format!("{{{expr}}}")
        };
        if template == "{}" {
            return Err("error: jsonpath expression cannot be empty\n".to_owned());
        }
        return Ok(Wanted::JsonPath {
            template,
            value: value.map(str::to_owned),
        });
    }
    Err(format!("error: unrecognized condition: \"{text}\"\n"))
}

/// Whether the object (its JSON) satisfies the condition now.
fn met(object: &Value, wanted: &Wanted) -> bool {
    match wanted {
        Wanted::Delete => false,
        Wanted::Create => true,
        Wanted::Condition { name, value } => {
            let generation = object
                .pointer("/metadata/generation")
                .and_then(Value::as_i64);
            object
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|c| {
                    let field = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
                    // A condition observed for an older generation does not count yet.
                    let current = match (
                        c.get("observedGeneration").and_then(Value::as_i64),
                        generation,
                    ) {
                        (Some(seen), Some(generation)) => seen >= generation,
                        _ => true,
                    };
                    field("type").eq_ignore_ascii_case(name)
                        && field("status").eq_ignore_ascii_case(value)
                        && current
                })
        }
        Wanted::JsonPath { template, value } => match super::json::jsonpath(template, object) {
            Ok(found) => match value {
                Some(v) => found == *v,
                None => !found.is_empty(),
            },
            Err(_) => false,
        },
    }
}

pub fn wait(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, WAIT_SPECS, "wait")?;
    let wanted = parse_for(flags.get("for").unwrap_or(""))?;
    let timeout = match flags.get("timeout") {
        None => Duration::from_secs(30),
        Some(t) if t.starts_with('-') => Duration::from_secs(7 * 24 * 3600),
        Some(t) => crate::duration::parse_go_duration(t).ok_or_else(|| {
            format!("Error: invalid argument \"{t}\" for \"--timeout\" flag: time: invalid duration \"{t}\"\nSee 'kubectl wait --help' for usage.\n")
        })?,
    };
    let ns = namespace(session, &flags);
    // Targets: TYPE/NAME..., TYPE NAME..., TYPE -l sel, TYPE --all.
    let mut targets: Vec<(Kind, String)> = Vec::new();
    let args = &flags.args;
    if args.is_empty() {
        return Err("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n".to_owned());
    }
    if args.iter().any(|a| a.contains('/')) {
        for a in args {
            let (ty, name) = a.split_once('/').unwrap_or((a, ""));
            let t = resolve_type(ty).ok_or_else(|| {
                format!("error: the server doesn't have a resource type \"{ty}\"\n")
            })?;
            let scope = if t.kind.namespaced() { ns.as_str() } else { "" };
            super::check(session, "get", t.kind, scope, name)?;
            targets.push((t.kind, name.to_owned()));
        }
    } else {
        let t = resolve_type(&args[0]).ok_or_else(|| {
            format!(
                "error: the server doesn't have a resource type \"{}\"\n",
                args[0]
            )
        })?;
        let selector = match flags.get("selector") {
            Some(s) if !s.is_empty() => Some(super::json::parse_selector(s)?),
            _ => None,
        };
        if args.len() == 1 && selector.is_none() && !flags.bool("all") {
            return Err("error: resource(s) were provided, but no name was specified\n".to_owned());
        }
        let scope = if t.kind.namespaced() { ns.as_str() } else { "" };
        if selector.is_some() || flags.bool("all") {
            super::check(session, "list", t.kind, scope, "")?;
            for o in session
                .sim
                .api()
                .list(t.kind, t.kind.namespaced().then_some(ns.as_str()))
            {
                if selector
                    .as_ref()
                    .is_none_or(|s| super::json::selector_matches(s, &o.to_json()))
                {
                    targets.push((t.kind, o.name().to_owned()));
                }
            }
        }
        for n in &args[1..] {
            super::check(session, "get", t.kind, scope, n)?;
            targets.push((t.kind, n.clone()));
        }
    }
    if targets.is_empty() {
        if wanted == Wanted::Delete {
            return Ok(Res::ok());
        }
        return Err("error: no matching resources found\n".to_owned());
    }
    let mut res = Res::ok();
    for (kind, name) in targets {
        let namespace = if kind.namespaced() { ns.as_str() } else { "" };
        let current = session.sim.api().get(kind, namespace, &name);
        let uid = match &current {
            Ok(o) => o.uid().to_owned(),
            // Nothing to wait for: already gone (delete) or never there (create waits).
            Err(e) if e.reason == StatusReason::NotFound && wanted == Wanted::Delete => {
                continue;
            }
            Err(e) if e.reason == StatusReason::NotFound && wanted == Wanted::Create => {
                String::new()
            }
            Err(e) => return Err(super::api_error(e, None)),
        };
        let mut waited = Duration::ZERO;
        loop {
            let now = session.sim.api().get(kind, namespace, &name).ok();
            let done = match (&wanted, &now) {
                (Wanted::Delete, None) => true,
                // A new object under the same name is not the one we waited on.
                (Wanted::Delete, Some(o)) => o.uid() != uid,
                (_, None) => false,
                (w, Some(o)) => met(&o.to_json(), w),
            };
            if done {
                res.push_out(format!("{} condition met\n", kind_name(kind, &name)));
                break;
            }
            if waited >= timeout {
                res.push_err(format!(
                    "error: timed out waiting for the condition on {}/{name}\n",
                    kind.plural()
                ));
                res.code = 1;
                return Ok(res);
            }
            // A second at a time, then coarser as the wait grows (a tenth of the time waited
            // so far), so even `--timeout=-1` (a week) takes a few hundred steps.
            let step = Duration::from_secs(1)
                .max(waited / 10)
                .min(timeout - waited);
            session.sim.advance(step);
            waited += step;
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_flag_forms() {
        assert_eq!(parse_for("delete"), Ok(Wanted::Delete));
        assert_eq!(
            parse_for("condition=Ready"),
            Ok(Wanted::Condition {
                name: "Ready".to_owned(),
                value: "true".to_owned()
            })
        );
        assert_eq!(
            parse_for("jsonpath={.status.phase}=Running"),
            Ok(Wanted::JsonPath {
                template: "{.status.phase}".to_owned(),
                value: Some("Running".to_owned())
            })
        );
        assert_eq!(
            parse_for(".status.phase"),
            Err("error: unrecognized condition: \".status.phase\"\n".to_owned())
        );
    }
}
