//! `kubectl patch TYPE NAME -p PATCH [--type strategic|merge|json]`: the patch (JSON or YAML)
//! goes to the API server, which applies a strategic or merge patch itself; a JSON patch
//! (RFC 6902) is applied here to the live object and written back, as the apiserver's
//! `applyJSPatch` would.

use super::{FlagSpec, KResult, f, namespace, parse_flags};
use crate::Session;
use serde_json::Value;
use std::time::Duration;
use tidepool_core::{Object, PatchType};

const PATCH_SPECS: &[FlagSpec] = &[
    f("patch", Some('p'), true),
    f("patch-file", None, true),
    f("type", None, true),
    f("output", Some('o'), true),
    f("filename", Some('f'), true),
    f("local", None, false),
    f("dry-run", None, true),
    f("subresource", None, true),
];

/// The message kubectl prints for an apiserver 422 with no object details.
const REJECTED: &str =
    "The request is invalid: the server rejected our request due to an error in our request\n";

pub fn patch(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, PATCH_SPECS, "patch")?;
    let patch_type = match flags.get("type").unwrap_or("strategic") {
        "strategic" => Some(PatchType::Strategic),
        "merge" => Some(PatchType::Merge),
        "json" => None,
        other => {
            return Err(format!(
                "error: --type must be one of [json merge strategic], not \"{other}\"\n"
            ));
        }
    };
    if flags.has("filename") || flags.bool("local") {
        return Err(
            "error: this playground patches objects by TYPE NAME only (no -f or --local)\n"
                .to_owned(),
        );
    }
    if flags.get("dry-run").is_some_and(|d| d != "none") {
        return Err("error: --dry-run is not available for patch in this playground\n".to_owned());
    }
    if flags.has("subresource") {
        return Err("error: --subresource is not available in this playground\n".to_owned());
    }
    let text = match (flags.get("patch"), flags.get("patch-file")) {
        (Some(_), Some(_)) => {
            return Err("error: cannot specify --patch and --patch-file together\n".to_owned());
        }
        (Some(p), None) => p.to_owned(),
        (None, Some(file)) => {
            let path = crate::vfs::resolve(&session.cwd, file);
            session.vfs.read(&path).map_err(|_| {
                format!(
                    "error: unable to read patch file: open {file}: no such file or directory\n"
                )
            })?
        }
        (None, None) => {
            return Err(
                "error: must specify --patch or --patch-file containing the contents of the patch\n"
                    .to_owned(),
            );
        }
    };
    let (kind, name) = super::apply::one_target(&flags, "patch")?;
    if text.trim().is_empty() {
        return Err("error: unable to parse \"\": empty patch\n".to_owned());
    }
    // kubectl converts the patch with `yaml.ToJSON`, so YAML works as well as JSON.
    let body: Value = serde_norway::from_str(&text)
        .map_err(|_| format!("error: unable to parse {text:?}: invalid JSON document\n"))?;
    let ns = namespace(session, &flags);
    let ns = if kind.namespaced() { ns } else { String::new() };
    let current = session
        .sim
        .api()
        .get(kind, &ns, &name)
        .map_err(|e| super::api_error(&e, None))?;
    let before = current.resource_version();
    let result = match patch_type {
        Some(t) => {
            if !body.is_object() {
                return Err(format!(
                    "Error from server (BadRequest): json: cannot unmarshal {} into Go value of type map[string]interface {{}}\n",
                    json_type(&body)
                ));
            }
            session.sim.api_mut().patch(kind, &ns, &name, t, &body)
        }
        None => {
            let Some(ops) = body.as_array() else {
                return Err(format!(
                    "Error from server (BadRequest): json: cannot unmarshal {} into Go value of type jsonpatch.Patch\n",
                    json_type(&body)
                ));
            };
            let mut doc = current.to_json();
            apply_json_patch(&mut doc, ops).map_err(|_| REJECTED.to_owned())?;
            let mut object = tidepool_core::decode::decode_value(doc)
                .map_err(|e| format!("Error from server (BadRequest): {e}\n"))?;
            if object.kind() != kind || object.name() != name {
                return Err(
                    "Error from server (BadRequest): the name or kind of the object may not be changed by a patch\n"
                        .to_owned(),
                );
            }
            object.meta_mut().resource_version = None;
            session.sim.api_mut().update_patched(object)
        }
    };
    let updated: Object = result.map_err(|e| super::api_error(&e, None))?;
    session.sim.advance(Duration::ZERO);
    let op = if updated.resource_version() == before {
        "patched (no change)"
    } else {
        "patched"
    };
    super::generate::print_object(
        &super::get::printable(&updated),
        kind,
        &name,
        flags.get("output").unwrap_or(""),
        op,
    )
}

/// Go's name for a JSON value's type in `json: cannot unmarshal X into ...`.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// An RFC 6901 pointer split into its unescaped tokens.
fn pointer_tokens(path: &str) -> Result<Vec<String>, ()> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path.strip_prefix('/').ok_or(())?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// The container a pointer's last token lives in, and that token.
fn parent<'a>(doc: &'a mut Value, path: &str) -> Result<(&'a mut Value, String), ()> {
    let mut tokens = pointer_tokens(path)?;
    let last = tokens.pop().ok_or(())?;
    let mut at = doc;
    for t in tokens {
        at = match at {
            Value::Object(m) => m.get_mut(&t).ok_or(())?,
            Value::Array(a) => a.get_mut(t.parse::<usize>().map_err(|_| ())?).ok_or(())?,
            _ => return Err(()),
        };
    }
    Ok((at, last))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), ()> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (at, key) = parent(doc, path)?;
    match at {
        Value::Object(m) => {
            m.insert(key, value);
        }
        Value::Array(a) => {
            let i = if key == "-" {
                a.len()
            } else {
                key.parse::<usize>().map_err(|_| ())?
            };
            if i > a.len() {
                return Err(());
            }
            a.insert(i, value);
        }
        _ => return Err(()),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, ()> {
    let (at, key) = parent(doc, path)?;
    match at {
        Value::Object(m) => m.remove(&key).ok_or(()),
        Value::Array(a) => {
            let i = key.parse::<usize>().map_err(|_| ())?;
            if i >= a.len() {
                return Err(());
            }
            Ok(a.remove(i))
        }
        _ => Err(()),
    }
}

/// RFC 6902 operations in order; any failure leaves the patch unapplied (the caller drops `doc`).
fn apply_json_patch(doc: &mut Value, ops: &[Value]) -> Result<(), ()> {
    for op in ops {
        let path = op.get("path").and_then(Value::as_str).ok_or(())?;
        let value = || op.get("value").cloned().ok_or(());
        let from = || op.get("from").and_then(Value::as_str).ok_or(());
        match op.get("op").and_then(Value::as_str).ok_or(())? {
            "add" => add(doc, path, value()?)?,
            "remove" => {
                remove(doc, path)?;
            }
            "replace" => {
                let target = doc.pointer_mut(path).ok_or(())?;
                *target = value()?;
            }
            "move" => {
                let moved = remove(doc, from()?)?;
                add(doc, path, moved)?;
            }
            "copy" => {
                let copied = doc.pointer(from()?).cloned().ok_or(())?;
                add(doc, path, copied)?;
            }
            "test" => {
                if doc.pointer(path) != Some(&value()?) {
                    return Err(());
                }
            }
            _ => return Err(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_patch_operations() {
        let mut doc = json!({"a": {"b": [1, 2]}, "c": "x"});
        let ops = json!([
            {"op": "add", "path": "/a/b/-", "value": 3},
            {"op": "add", "path": "/a/b/0", "value": 0},
            {"op": "replace", "path": "/c", "value": "y"},
            {"op": "copy", "from": "/c", "path": "/d"},
            {"op": "move", "from": "/d", "path": "/a/e~1f"},
            {"op": "remove", "path": "/a/b/1"},
            {"op": "test", "path": "/a/e~1f", "value": "y"}
        ]);
        assert_eq!(
            apply_json_patch(&mut doc, ops.as_array().map_or(&[], Vec::as_slice)),
            Ok(())
        );
        assert_eq!(doc, json!({"a": {"b": [0, 2, 3], "e/f": "y"}, "c": "y"}));
        for bad in [
            json!([{"op": "remove", "path": "/nope"}]),
            json!([{"op": "test", "path": "/c", "value": "z"}]),
            json!([{"op": "bad", "path": "/c"}]),
            json!([{"op": "add", "path": "/a/b/9", "value": 1}]),
            json!([{"op": "replace", "path": "/missing", "value": 1}]),
        ] {
            let mut d = doc.clone();
            assert_eq!(
                apply_json_patch(&mut d, bad.as_array().map_or(&[], Vec::as_slice)),
                Err(()),
                "{bad}"
            );
        }
    }
}
