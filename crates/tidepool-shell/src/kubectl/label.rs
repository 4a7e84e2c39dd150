//! `kubectl label` and `kubectl annotate`: on live objects (by argument or `-f`), or on the
//! objects of `-f` files with `--local`, printed as changed without contacting the cluster.

use super::local::{self, Target};
use super::resources::resolve_type;
use super::{FlagSpec, KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::{Map, Value, json};
use std::time::Duration;
use tidepool_core::PatchType;

const LABEL_SPECS: &[FlagSpec] = &[
    f("overwrite", None, false),
    f("all", None, false),
    f("selector", Some('l'), true),
    f("list", None, false),
    f("filename", Some('f'), true),
    f("recursive", Some('R'), false),
    f("dry-run", None, true),
    f("output", Some('o'), true),
    f("local", None, false),
    f("resource-version", None, true),
];

/// The change of one `KEY=VALUE` or `KEY-` argument.
enum Change {
    Set(String, String),
    Remove(String),
}

fn parse_changes(args: &[String]) -> Vec<Change> {
    args.iter()
        .filter_map(|a| match a.split_once('=') {
            Some((k, v)) => Some(Change::Set(k.to_owned(), v.to_owned())),
            None => a.strip_suffix('-').map(|k| Change::Remove(k.to_owned())),
        })
        .collect()
}

/// `validation.IsValidLabelValue`: at most 63 characters, alphanumeric at both ends, `-_.`
/// inside; the error as `kubectl label` prints it.
fn label_value_error(spec: &str, value: &str) -> Option<String> {
    let inner_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let ends_ok = value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric());
    let mut why = Vec::new();
    if value.len() > 63 {
        why.push("must be no more than 63 characters");
    }
    if !(value.is_empty() || inner_ok && ends_ok) {
        why.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    }
    (!why.is_empty()).then(|| {
        format!(
            "error: invalid label value: \"{spec}\": {}\n",
            why.join(", ")
        )
    })
}

/// kubectl's `labelFunc`/`annotateFunc` on an object: the map is created when missing (so an
/// object without labels gains `labels: {}` even when only removing), `--overwrite` guards
/// changed values, `--resource-version` is set when given.
fn apply_changes(
    value: &mut Value,
    field: &str,
    changes: &[Change],
    overwrite: bool,
    resource_version: Option<&str>,
) -> Result<(), String> {
    let Some(meta) = value
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
    else {
        return Err("error: the object has no metadata\n".to_owned());
    };
    let map = meta
        .entry(field)
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(map) = map else {
        return Err(format!("error: metadata.{field} is not a map\n"));
    };
    if !overwrite {
        for change in changes {
            if let Change::Set(k, v) = change
                && let Some(old) = map.get(k).and_then(Value::as_str)
                && old != v
            {
                return Err(format!(
                    "error: '{k}' already has a value ({old}), and --overwrite is false\n"
                ));
            }
        }
    }
    for change in changes {
        match change {
            Change::Set(k, v) => {
                map.insert(k.clone(), json!(v));
            }
            Change::Remove(k) => {
                map.remove(k);
            }
        }
    }
    if let Some(rv) = resource_version {
        meta.insert("resourceVersion".to_owned(), json!(rv));
    }
    Ok(())
}

/// kubectl's `updateDataChangeMsg`: unchanged, or shorter JSON without `--overwrite`.
fn change_message(command: &str, before: &Value, after: &Value, overwrite: bool) -> &'static str {
    if command == "annotate" {
        return "annotated";
    }
    if before == after {
        return "not labeled";
    }
    if !overwrite && after.to_string().len() < before.to_string().len() {
        return "unlabeled";
    }
    "labeled"
}

/// The live objects named by `TYPE NAME...`, `TYPE/NAME...`, or `TYPE` with `--all`/`-l`.
fn live_targets(
    session: &Session,
    flags: &super::Flags,
    resources: &[String],
) -> Result<Vec<Target>, String> {
    let ns = namespace(session, flags);
    let mut named = Vec::new();
    let mut out = Vec::new();
    if resources.iter().any(|r| r.contains('/')) {
        for r in resources {
            let (t, n) = r.split_once('/').unwrap_or((r, ""));
            let t = resolve_type(t).ok_or_else(|| {
                format!("error: the server doesn't have a resource type \"{t}\"\n")
            })?;
            named.push((t.kind, n.to_owned()));
        }
    } else if let Some(ty) = resources.first() {
        let t = resolve_type(ty)
            .ok_or_else(|| format!("error: the server doesn't have a resource type \"{ty}\"\n"))?;
        if flags.bool("all") || flags.has("selector") {
            let sel = match flags.get("selector") {
                Some(s) => super::json::parse_selector(s)?,
                None => Vec::new(),
            };
            let scope = if t.kind.namespaced() { ns.as_str() } else { "" };
            super::check(session, "list", t.kind, scope, "")?;
            for o in session
                .sim
                .api()
                .store()
                .list(t.kind, t.kind.namespaced().then_some(ns.as_str()))
            {
                if super::json::selector_matches(&sel, &o.to_json()) {
                    out.push(Target::live(o.clone()));
                }
            }
        }
        for n in &resources[1..] {
            named.push((t.kind, n.clone()));
        }
    }
    for (kind, name) in named {
        super::check(
            session,
            "get",
            kind,
            if kind.namespaced() { &ns } else { "" },
            &name,
        )?;
        let object = session
            .sim
            .api()
            .get(kind, if kind.namespaced() { &ns } else { "" }, &name)
            .map_err(|e| super::api_error(&e, None))?;
        out.push(Target::live(object));
    }
    Ok(out)
}

pub fn label(session: &mut Session, command: &str, args: &[String], stdin: &str) -> KResult {
    let flags = parse_flags(args, LABEL_SPECS, command)?;
    let field = if command == "label" {
        "labels"
    } else {
        "annotations"
    };
    let example = if command == "label" { "pod" } else { "rsrc" };
    let (change_args, resources): (Vec<String>, Vec<String>) = flags
        .args
        .iter()
        .cloned()
        .partition(|a| a.contains('=') || a.ends_with('-'));
    let local = flags.bool("local");
    let has_files = flags.has("filename");
    let mode = local::dry_run(&flags)?;
    if local && mode == Some("server") {
        return Err(
            "error: cannot specify --local and --dry-run=server - did you mean --dry-run=client?\n"
                .to_owned(),
        );
    }
    if local && !has_files {
        return Err(if resources.is_empty() {
            format!(
                "error: one or more files must be specified as -f {example}.yaml or --filename={example}.json\n"
            )
        } else {
            format!(
                "error: can only use local files by -f {example}.yaml or --filename={example}.json when --local=true is set\n"
            )
        });
    }
    if resources.is_empty() && !has_files {
        return Err(
            "error: one or more resources must be specified as <resource> <name> or <resource>/<name>\n"
                .to_owned(),
        );
    }
    if command == "label" {
        for spec in &change_args {
            if let Some((_, value)) = spec.split_once('=')
                && let Some(e) = label_value_error(spec, value)
            {
                return Err(e);
            }
        }
    }
    let changes = parse_changes(&change_args);
    let list = flags.bool("list");
    if changes.is_empty() && !list {
        return Err(format!(
            "error: at least one {} update is required\n",
            if command == "label" {
                "label"
            } else {
                "annotation"
            }
        ));
    }
    if local && !resources.is_empty() {
        return Err(format!(
            "error: can only use local files by -f {example}.yaml or --filename={example}.json when --local=true is set\n"
        ));
    }
    let mut errors = Vec::new();
    let mut targets = Vec::new();
    if has_files {
        let (found, failed) = local::file_targets(session, &flags, stdin, false);
        targets.extend(found);
        errors.extend(failed);
    }
    if !resources.is_empty() {
        targets.extend(live_targets(session, &flags, &resources)?);
    }
    let overwrite = flags.bool("overwrite");
    let output = flags.get("output").unwrap_or("");
    let mut res = Res::ok();
    for target in targets {
        if list {
            let labels = target
                .value
                .pointer(&format!("/metadata/{field}"))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (k, v) in &labels {
                res.push_out(format!("{k}={}\n", v.as_str().unwrap_or("")));
            }
            continue;
        }
        let mut updated = target.value.clone();
        if let Err(e) = apply_changes(
            &mut updated,
            field,
            &changes,
            overwrite,
            flags.get("resource-version"),
        ) {
            errors.push(e);
            continue;
        }
        let message = change_message(command, &target.value, &updated, overwrite);
        let (Some(live), None) = (&target.live, mode) else {
            let suffix = if mode == Some("client") {
                " (dry run)"
            } else if mode == Some("server") {
                " (server dry run)"
            } else {
                ""
            };
            res.push_out(local::print(
                &updated,
                &target.display,
                output,
                &format!("{message}{suffix}"),
            )?);
            continue;
        };
        // Like kubectl: a merge patch of the changed map (no request when nothing changed).
        let patch = merge_patch(
            target.value.pointer(&format!("/metadata/{field}")),
            updated.pointer(&format!("/metadata/{field}")),
        );
        let stored = match patch {
            None => live.clone(),
            Some(patch) => {
                let mut meta = Map::new();
                meta.insert(field.to_owned(), patch);
                if let Some(rv) = flags.get("resource-version") {
                    meta.insert("resourceVersion".to_owned(), json!(rv));
                }
                let body = json!({ "metadata": meta });
                match session.sim.api_mut().patch(
                    live.kind(),
                    live.namespace(),
                    live.name(),
                    PatchType::Merge,
                    &body,
                ) {
                    Ok(stored) => stored,
                    Err(e) => {
                        errors.push(super::api_error(&e, None));
                        continue;
                    }
                }
            }
        };
        res.push_out(local::print(
            &super::get::printable(&stored),
            &target.display,
            output,
            message,
        )?);
    }
    session.sim.advance(Duration::ZERO);
    local::report(&mut res, errors);
    Ok(res)
}

/// The merge patch turning one label map into another; `None` when they are equal.
fn merge_patch(before: Option<&Value>, after: Option<&Value>) -> Option<Value> {
    let empty = Map::new();
    let before = before.and_then(Value::as_object).unwrap_or(&empty);
    let after = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut patch = Map::new();
    for (k, v) in after {
        if before.get(k) != Some(v) {
            patch.insert(k.clone(), v.clone());
        }
    }
    for k in before.keys() {
        if !after.contains_key(k) {
            patch.insert(k.clone(), Value::Null);
        }
    }
    (!patch.is_empty()).then_some(Value::Object(patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn local_label_changes_follow_kubectl() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        // Removing from an object without labels still creates the map (kubectl prints
        // `labels: {}` and "labeled": the JSON grew).
        let mut removed = pod.clone();
        apply_changes(
            &mut removed,
            "labels",
            &parse_changes(&strings(&["x-"])),
            false,
            None,
        )
        .unwrap();
        assert_eq!(removed["metadata"]["labels"], json!({}));
        assert_eq!(change_message("label", &pod, &removed, false), "labeled");

        let labelled = json!({"metadata": {"labels": {"app": "api"}}});
        let mut changed = labelled.clone();
        let err = apply_changes(
            &mut changed,
            "labels",
            &parse_changes(&strings(&["app=web"])),
            false,
            None,
        );
        assert_eq!(
            err.unwrap_err(),
            "error: 'app' already has a value (api), and --overwrite is false\n"
        );
        apply_changes(
            &mut changed,
            "labels",
            &parse_changes(&strings(&["a=b", "app-"])),
            false,
            None,
        )
        .unwrap();
        assert_eq!(
            change_message("label", &labelled, &changed, false),
            "unlabeled"
        );
        assert_eq!(
            change_message("label", &labelled, &labelled, false),
            "not labeled"
        );
        assert_eq!(
            change_message("annotate", &labelled, &labelled, false),
            "annotated"
        );
    }

    #[test]
    fn label_values_are_validated() {
        assert_eq!(label_value_error("a=", ""), None);
        assert_eq!(label_value_error("a=b.c-1", "b.c-1"), None);
        assert!(label_value_error("a=b c", "b c").is_some_and(|e| {
            e.starts_with("error: invalid label value: \"a=b c\": a valid label must be")
        }));
        assert!(label_value_error("a=-x", "-x").is_some());
        assert!(label_value_error("a", &"x".repeat(64)).is_some());
    }

    #[test]
    fn merge_patch_sets_and_removes() {
        let before = json!({"a": "1", "b": "2"});
        let after = json!({"a": "1", "c": "3"});
        assert_eq!(
            merge_patch(Some(&before), Some(&after)),
            Some(json!({"b": null, "c": "3"}))
        );
        assert_eq!(merge_patch(Some(&before), Some(&before)), None);
    }
}
