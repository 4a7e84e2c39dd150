//! YAML and JSON as kubectl prints them: `sigs.k8s.io/yaml` over go-yaml v2 (keys sorted,
//! sequences not indented under their key, strings quoted only when they would read back as
//! something else) and `encoding/json` with 4-space indentation and `<>&` escaped.

use serde_json::Value;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => emit_map(value, 0, &mut out),
        Value::Array(items) if !items.is_empty() => emit_seq(value, 0, &mut out),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn sorted(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<(&String, &Value)> = map.iter().collect();
    tidepool_core::stable_sort::sort_by(&mut v, |a, b| a.0.cmp(b.0));
    v
}

fn emit_map(value: &Value, indent: usize, out: &mut String) {
    let Value::Object(map) = value else { return };
    let pad = " ".repeat(indent);
    for (i, (k, v)) in sorted(map).into_iter().enumerate() {
        // The first key of a map inside a sequence item follows `- ` on the same line.
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&pad);
        }
        out.push_str(&string(k, indent));
        out.push(':');
        emit_value_after_key(v, indent, out);
    }
}

fn emit_value_after_key(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            emit_map(v, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            emit_seq(v, indent, out);
        }
        Value::String(s) if s.contains('\n') => {
            out.push(' ');
            out.push_str(&literal(s, indent + 2));
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other, indent));
            out.push('\n');
        }
    }
}

fn emit_seq(value: &Value, indent: usize, out: &mut String) {
    let Value::Array(items) = value else { return };
    let pad = " ".repeat(indent);
    for item in items {
        if !out.ends_with("- ") {
            out.push_str(&pad);
        }
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => emit_map(item, indent + 2, out),
            Value::Array(a) if !a.is_empty() => emit_seq(item, indent + 2, out),
            Value::String(s) if s.contains('\n') => out.push_str(&literal(s, indent + 2)),
            other => {
                out.push_str(&scalar(other, indent));
                out.push('\n');
            }
        }
    }
}

fn literal(s: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let chomp = if s.ends_with("\n\n") {
        "+"
    } else if s.ends_with('\n') {
        ""
    } else {
        "-"
    };
    let indicator = if s.starts_with(' ') { "2" } else { "" };
    let mut out = format!("|{indicator}{chomp}\n");
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&pad);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn scalar(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s, indent),
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
    }
}

/// Would go-yaml v2 read this plain scalar back as something other than a string?
fn resolves_to_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN", "<<",
    ];
    // go-yaml resolves the empty string to null, so it is written `""`, as kubectl does.
    if s.is_empty() || SPECIAL.contains(&s) {
        return true;
    }
    let plain = s.replace('_', "");
    if plain.parse::<i64>().is_ok() || plain.parse::<u64>().is_ok() {
        return true;
    }
    if let Some(hex) = plain.strip_prefix("0x")
        && i64::from_str_radix(hex, 16).is_ok()
    {
        return true;
    }
    if let Some(bin) = plain.strip_prefix("0b")
        && i64::from_str_radix(bin, 2).is_ok()
    {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if (first.is_ascii_digit() || matches!(first, '-' | '+' | '.'))
        && plain.parse::<f64>().is_ok()
        && !plain.contains(['i', 'I', 'n', 'N'])
    {
        return true;
    }
    // Base-60 floats (`1:20`) and timestamps (`2006-01-02`, RFC 3339).
    let b60 = regex_lite::Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$");
    if b60.is_ok_and(|r| r.is_match(s)) {
        return true;
    }
    let ts = regex_lite::Regex::new(
        r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$",
    );
    ts.is_ok_and(|r| r.is_match(s))
}

/// Can the emitter write this string plain (go-yaml's `yaml_emitter_analyze_scalar`)?
fn plain_allowed(s: &str) -> bool {
    if s.is_empty() || s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    let second = s.chars().nth(1);
    if matches!(
        first,
        '#' | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    ) {
        return false;
    }
    if matches!(first, '-' | '?' | ':') && matches!(second, None | Some(' ' | '\t')) {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains('\t') {
        return false;
    }
    !s.chars().any(|c| c.is_control())
}

fn string(s: &str, _indent: usize) -> String {
    if resolves_to_non_string(s) {
        return serde_json::to_string(s).unwrap_or_default();
    }
    if plain_allowed(s) {
        return s.to_owned();
    }
    if s.chars().any(|c| c.is_control()) {
        return serde_json::to_string(s).unwrap_or_default();
    }
    format!("'{}'", s.replace('\'', "''"))
}

/// `kubectl -o json`: 4-space indentation, keys sorted, `<`, `>` and `&` escaped like Go.
pub fn to_json(value: &Value) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    let sorted = sort_value(value);
    if serde::Serialize::serialize(&sorted, &mut ser).is_err() {
        return String::new();
    }
    let text = String::from_utf8(buf).unwrap_or_default();
    let mut text = text
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    text.push('\n');
    text
}

fn sort_value(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in sorted(m) {
                out.insert(k.clone(), sort_value(v));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sort_value).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubectl_style() {
        let v = json!({
            "kind": "CronJob",
            "metadata": {"creationTimestamp": null, "name": "c"},
            "spec": {"schedule": "*/1 * * * *", "containers": [{"name": "c", "command": ["sleep", "3600"], "resources": {}}]},
            "data": {"a": "1", "b": "yes", "t": "2026-01-01T00:00:00Z", "v": "3.5", "s": "hello world"},
            "status": {}
        });
        let want = "data:
  a: \"1\"
  b: \"yes\"
  s: hello world
  t: \"2026-01-01T00:00:00Z\"
  v: \"3.5\"
kind: CronJob
metadata:
  creationTimestamp: null
  name: c
spec:
  containers:
  - command:
    - sleep
    - \"3600\"
    name: c
    resources: {}
  schedule: '*/1 * * * *'
status: {}
";
        assert_eq!(to_yaml(&v), want);
    }

    #[test]
    fn empty_strings_are_double_quoted_as_kubectl_prints_them() {
        // `kubectl create configmap x --from-literal=a= --dry-run=client -o yaml` prints `a: ""`.
        let v = json!({"data": {"a": "", "b": "it's"}});
        assert_eq!(to_yaml(&v), "data:\n  a: \"\"\n  b: it's\n");
    }

    #[test]
    fn multiline_strings_are_literal_blocks() {
        let v = json!({"a": {"b": "{\"x\":1}\n"}});
        assert_eq!(to_yaml(&v), "a:\n  b: |\n    {\"x\":1}\n");
    }
}
