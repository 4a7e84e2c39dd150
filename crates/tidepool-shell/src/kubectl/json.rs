//! Reading API objects as JSON for printers: field access, label selectors, ages, jsonpath.

use crate::duration::human_millis;
use serde_json::Value;
use tidepool_core::VirtualTime;

pub fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

pub fn int(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

pub fn arr<'a>(v: &'a Value, ptr: &str) -> &'a [Value] {
    v.pointer(ptr)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

pub fn map<'a>(v: &'a Value, ptr: &str) -> Vec<(&'a String, &'a Value)> {
    let mut out: Vec<(&String, &Value)> = v
        .pointer(ptr)
        .and_then(Value::as_object)
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    tidepool_core::stable_sort::sort_by(&mut out, |a, b| a.0.cmp(b.0));
    out
}

/// Milliseconds since the virtual epoch of an RFC 3339 timestamp.
pub fn millis(ts: &str) -> Option<i64> {
    let t = k8s_openapi::chrono::DateTime::parse_from_rfc3339(ts).ok()?;
    Some(t.timestamp_millis() - tidepool_core::api::EPOCH_UNIX_SECONDS * 1000)
}

/// `translateTimestampSince`: `<unknown>` for a missing timestamp.
pub fn age(ts: &str, now: VirtualTime) -> String {
    match millis(ts) {
        Some(t) => human_millis(now.as_millis() as i64 - t),
        None => "<unknown>".to_owned(),
    }
}

/// `labels.FormatLabels`: `k=v,k2=v2` sorted, `<none>` when empty.
pub fn format_labels(v: &Value, ptr: &str) -> String {
    let m = map(v, ptr);
    if m.is_empty() {
        return "<none>".to_owned();
    }
    m.iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(",")
}

/// `metav1.FormatLabelSelector`.
pub fn format_selector(v: &Value, ptr: &str) -> String {
    let Some(sel) = v.pointer(ptr) else {
        return "<none>".to_owned();
    };
    let mut parts: Vec<String> = map(sel, "/matchLabels")
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    for e in arr(sel, "/matchExpressions") {
        let key = s(e, "/key");
        let values: Vec<&str> = arr(e, "/values").iter().filter_map(Value::as_str).collect();
        parts.push(match s(e, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_owned(),
            "DoesNotExist" => format!("!{key}"),
            op => format!("{key} {op} ({})", values.join(",")),
        });
    }
    if parts.is_empty() {
        return "<none>".to_owned();
    }
    parts.join(",")
}

/// One requirement of a `-l` selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// Parses `a=b,c!=d,e in (x,y),!f,g`.
pub fn parse_selector(text: &str) -> Result<Vec<Req>, String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    let mut reqs = Vec::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let list = |rest: &str| -> Option<Vec<String>> {
            let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
            Some(inner.split(',').map(|v| v.trim().to_owned()).collect())
        };
        let req = if let Some(k) = p.strip_prefix('!') {
            Req::NotExists(k.trim().to_owned())
        } else if let Some((k, v)) = p.split_once("!=") {
            Req::Ne(k.trim().to_owned(), v.trim().to_owned())
        } else if let Some((k, v)) = p.split_once("==") {
            Req::Eq(k.trim().to_owned(), v.trim().to_owned())
        } else if let Some((k, v)) = p.split_once('=') {
            Req::Eq(k.trim().to_owned(), v.trim().to_owned())
        } else if let Some((k, rest)) = p.split_once(" notin ") {
            Req::NotIn(
                k.trim().to_owned(),
                list(rest).ok_or_else(|| bad_selector(p))?,
            )
        } else if let Some((k, rest)) = p.split_once(" in ") {
            Req::In(
                k.trim().to_owned(),
                list(rest).ok_or_else(|| bad_selector(p))?,
            )
        } else if p.contains(char::is_whitespace) || p.contains('(') {
            return Err(bad_selector(p));
        } else {
            Req::Exists(p.to_owned())
        };
        reqs.push(req);
    }
    Ok(reqs)
}

fn bad_selector(p: &str) -> String {
    format!(
        "error: unable to parse requirement: found '{p}', expected: in, notin, =, ==, !=, gt, lt\n"
    )
}

pub fn selector_matches(reqs: &[Req], object: &Value) -> bool {
    let labels = object.pointer("/metadata/labels");
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    reqs.iter().all(|r| match r {
        Req::Eq(k, v) => get(k) == Some(v.as_str()),
        Req::Ne(k, v) => get(k) != Some(v.as_str()),
        Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        Req::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        Req::Exists(k) => get(k).is_some(),
        Req::NotExists(k) => get(k).is_none(),
    })
}

/// The kubectl jsonpath subset: `{.a.b}`, `{.items[*].x}`, `{.items[0].x}`, `{range ...}{end}`,
/// `{"\n"}` literals and plain text.
pub fn jsonpath(template: &str, root: &Value) -> Result<String, String> {
    let tokens = tokenize(template)?;
    let mut out = String::new();
    render(&tokens, root, root, &mut out)?;
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Text(String),
    Expr(String),
    Range(String, Vec<Tok>),
}

fn tokenize(template: &str) -> Result<Vec<Tok>, String> {
    let mut flat: Vec<Tok> = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        match rest.find('{') {
            Some(i) => {
                if i > 0 {
                    flat.push(Tok::Text(rest[..i].to_owned()));
                }
                let end = rest[i..].find('}').ok_or_else(|| {
                    format!("error: error parsing jsonpath {template}, unclosed action\n")
                })?;
                flat.push(Tok::Expr(rest[i + 1..i + end].trim().to_owned()));
                rest = &rest[i + end + 1..];
            }
            None => {
                flat.push(Tok::Text(rest.to_owned()));
                rest = "";
            }
        }
    }
    // Nest `range ... end`.
    fn nest(it: &mut std::vec::IntoIter<Tok>) -> Result<Vec<Tok>, String> {
        let mut out = Vec::new();
        while let Some(t) = it.next() {
            match t {
                Tok::Expr(e) if e == "end" => return Ok(out),
                Tok::Expr(e) if e.starts_with("range ") => {
                    let body = nest(it)?;
                    out.push(Tok::Range(e["range ".len()..].trim().to_owned(), body));
                }
                t => out.push(t),
            }
        }
        Ok(out)
    }
    let mut it = flat.into_iter();
    nest(&mut it)
}

fn render(tokens: &[Tok], root: &Value, cur: &Value, out: &mut String) -> Result<(), String> {
    for t in tokens {
        match t {
            Tok::Text(s) => out.push_str(s),
            Tok::Expr(e) => {
                if let Some(lit) = e.strip_prefix('"').and_then(|e| e.strip_suffix('"')) {
                    out.push_str(&lit.replace("\\n", "\n").replace("\\t", "\t"));
                    continue;
                }
                let values = eval(e, root, cur)?;
                let texts: Vec<String> = values.iter().map(scalar_text).collect();
                out.push_str(&texts.join(" "));
            }
            Tok::Range(e, body) => {
                for v in eval(e, root, cur)? {
                    render(body, root, &v, out)?;
                }
            }
        }
    }
    Ok(())
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Evaluates `.a.b[*].c` / `$.a` / `@.a` (`..` is not supported).
fn eval(expr: &str, root: &Value, cur: &Value) -> Result<Vec<Value>, String> {
    let (mut values, path) = if let Some(p) = expr.strip_prefix('$') {
        (vec![root.clone()], p)
    } else if let Some(p) = expr.strip_prefix('@') {
        (vec![cur.clone()], p)
    } else {
        (vec![cur.clone()], expr)
    };
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            // A key ends at an unescaped `.` or `[`; `\.` is a literal dot (`app\.properties`).
            let mut key = String::new();
            let mut end = r.len();
            let mut chars = r.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' if matches!(chars.peek(), Some((_, '.'))) => {
                        key.push('.');
                        chars.next();
                    }
                    '.' | '[' => {
                        end = i;
                        break;
                    }
                    c => key.push(c),
                }
            }
            let key = key.as_str();
            rest = &r[end..];
            if key.is_empty() {
                // `..key`: every container below (and including) the current values.
                if r.starts_with('.') {
                    let mut all = Vec::new();
                    for v in &values {
                        descendants(v, &mut all);
                    }
                    values = all;
                }
                continue;
            }
            values = values.iter().filter_map(|v| v.get(key).cloned()).collect();
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r
                .find(']')
                .ok_or_else(|| format!("error: error parsing jsonpath {expr}\n"))?;
            let index = &r[..end];
            rest = &r[end + 1..];
            if let Some(filter) = index.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
                values = values
                    .iter()
                    .flat_map(|v| match v {
                        Value::Array(a) => a.clone(),
                        _ => Vec::new(),
                    })
                    .map(|item| filter_matches(filter, root, &item).map(|m| (m, item)))
                    .filter_map(|r| match r {
                        Ok((true, item)) => Some(Ok(item)),
                        Ok((false, _)) => None,
                        Err(e) => Some(Err(e)),
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                continue;
            }
            let index = index.trim_matches(|c| c == '\'' || c == '"');
            values = values
                .iter()
                .flat_map(|v| -> Vec<Value> {
                    match (index, v) {
                        ("*", Value::Array(a)) => a.clone(),
                        ("*", Value::Object(m)) => m.values().cloned().collect(),
                        (i, Value::Array(a)) => match i.parse::<i64>() {
                            Ok(n) => {
                                let n = if n < 0 { a.len() as i64 + n } else { n };
                                usize::try_from(n)
                                    .ok()
                                    .and_then(|n| a.get(n).cloned())
                                    .into_iter()
                                    .collect()
                            }
                            Err(_) => Vec::new(),
                        },
                        (k, Value::Object(m)) => m.get(k).cloned().into_iter().collect(),
                        _ => Vec::new(),
                    }
                })
                .collect();
        } else {
            return Err(format!(
                "error: error parsing jsonpath {{{expr}}}, unrecognized character in action: U+{:04X} '{}'\n",
                rest.chars().next().map_or(0, |c| c as u32),
                rest.chars().next().unwrap_or(' ')
            ));
        }
    }
    Ok(values)
}

/// Pre-order: `v` if it is a container, then the containers inside it (JSONPath's `..`).
fn descendants(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            out.push(v.clone());
            for child in m.values() {
                descendants(child, out);
            }
        }
        Value::Array(a) => {
            out.push(v.clone());
            for child in a {
                descendants(child, out);
            }
        }
        _ => {}
    }
}

/// A filter `@.path==LITERAL` / `@.path!=LITERAL` / `@.path` (exists) on one array item.
fn filter_matches(filter: &str, root: &Value, item: &Value) -> Result<bool, String> {
    let (path, op, literal) = if let Some((p, l)) = filter.split_once("!=") {
        (p, Some(false), Some(l))
    } else if let Some((p, l)) = filter.split_once("==") {
        (p, Some(true), Some(l))
    } else {
        (filter, None, None)
    };
    let found = eval(path.trim(), root, item)?;
    let (Some(equal), Some(literal)) = (op, literal) else {
        return Ok(found.iter().any(|v| !v.is_null()));
    };
    let literal = literal.trim();
    let wanted = literal
        .strip_prefix('"')
        .and_then(|l| l.strip_suffix('"'))
        .or_else(|| {
            literal
                .strip_prefix('\'')
                .and_then(|l| l.strip_suffix('\''))
        })
        .map_or_else(
            || serde_json::from_str::<Value>(literal).unwrap_or(Value::Null),
            |s| Value::String(s.to_owned()),
        );
    let is = found.first().is_some_and(|v| *v == wanted);
    Ok(is == equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonpath_recursive_descent_and_filters() {
        let cfg = json!({"contexts": [{"name": "a", "context": {"namespace": "dev"}}],
            "users": [{"name": "x", "user": {"token": "t1"}}, {"name": "y", "user": {"token": "t2"}}]});
        assert_eq!(jsonpath("{..namespace}", &cfg).ok(), Some("dev".to_owned()));
        assert_eq!(
            jsonpath("{.users[?(@.name == \"y\")].user.token}", &cfg).ok(),
            Some("t2".to_owned())
        );
        assert_eq!(
            jsonpath("{.users[?(@.name!='y')].name}", &cfg).ok(),
            Some("x".to_owned())
        );
    }

    #[test]
    fn selectors() {
        let pod = json!({"metadata": {"labels": {"app": "web", "tier": "fe"}}});
        let ok = |s: &str| selector_matches(&parse_selector(s).unwrap_or_default(), &pod);
        assert!(ok("app=web"));
        assert!(ok("app==web,tier"));
        assert!(!ok("app!=web"));
        assert!(ok("tier in (fe, be)"));
        assert!(!ok("tier notin (fe)"));
        assert!(ok("!missing"));
        assert!(parse_selector("a b").is_err());
    }

    #[test]
    fn jsonpath_subset() {
        let list = json!({"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]});
        assert_eq!(
            jsonpath("{.items[*].metadata.name}", &list).ok(),
            Some("a b".to_owned())
        );
        assert_eq!(
            jsonpath("{range .items[*]}{.metadata.name}{\"\\n\"}{end}", &list).ok(),
            Some("a\nb\n".to_owned())
        );
        assert_eq!(
            jsonpath("{.items[0].metadata.name}", &list).ok(),
            Some("a".to_owned())
        );
    }
}
