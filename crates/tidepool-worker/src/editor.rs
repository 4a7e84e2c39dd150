//! The editor pane's worker side without web APIs: diagnostics for a manifest from the
//! simulator's own decoder and API server, and the error block `kubectl edit` reopens with.

use crate::protocol::Diagnostic;
use tidepool_core::{DecodeError, StatusReason, decode_manifests};
use tidepool_shell::Session;
use tidepool_shell::kubectl::{Flags, api_error, namespace};

/// Files worth validating: what `kubectl apply -f DIR` would read.
pub fn is_manifest(path: &str) -> bool {
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// One YAML document of a file: its text and the 1-based line it starts at.
struct Document<'a> {
    first_line: usize,
    lines: Vec<&'a str>,
}

/// Splits a file at `---` separators, as the YAML decoder does.
fn documents(text: &str) -> Vec<Document<'_>> {
    let mut docs = vec![Document {
        first_line: 1,
        lines: Vec::new(),
    }];
    for (index, line) in text.lines().enumerate() {
        let separator = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        match docs.last_mut() {
            Some(doc) if !separator => doc.lines.push(line),
            _ => docs.push(Document {
                first_line: index + 2,
                lines: Vec::new(),
            }),
        }
    }
    docs
}

/// The problems `kubectl apply -f` would report for `text`, each at the line it concerns:
/// YAML syntax errors where the parser saw them, missing `kind`/`apiVersion` and unknown kinds
/// at the document, and the API server's answer to a dry-run apply (defaulting, validation,
/// admission, run on a copy of the API server so nothing is stored) at the field it names, or
/// at the document's first line. Objects are applied in order, so a Namespace created earlier
/// in the file counts for the objects after it. Empty for files that are not manifests.
pub fn diagnostics(session: &Session, path: &str, text: &str) -> Vec<Diagnostic> {
    if !is_manifest(path) {
        return Vec::new();
    }
    let default_namespace = namespace(session, &Flags::default());
    // Only copied when there is an object to try.
    let mut api = None;
    let mut found = Vec::new();
    for doc in documents(text) {
        let body = doc.lines.join("\n");
        if body.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#')
        }) {
            continue;
        }
        let at = |offset: usize| u32::try_from(doc.first_line + offset).unwrap_or(u32::MAX);
        let objects = match decode_manifests(&body) {
            Ok(objects) => objects,
            Err(error) => {
                let line = match &error {
                    DecodeError::Syntax { line, .. } => at(line.saturating_sub(1)),
                    _ => at(key_line(&doc.lines, "kind").unwrap_or(0)),
                };
                found.push(Diagnostic {
                    line,
                    message: format!("error: {error}"),
                });
                continue;
            }
        };
        let api = api.get_or_insert_with(|| session.simulation().api().clone());
        for mut object in objects {
            if object.kind().namespaced()
                && object.meta().namespace.as_deref().is_none_or(str::is_empty)
            {
                object.meta_mut().namespace = Some(default_namespace.clone());
            }
            let Err(error) = api.apply(object) else {
                continue;
            };
            if error.reason == StatusReason::Invalid && !error.causes.is_empty() {
                for cause in &error.causes {
                    found.push(Diagnostic {
                        line: at(field_line(&doc.lines, &cause.path).unwrap_or(0)),
                        message: cause.to_string(),
                    });
                }
            } else {
                found.push(Diagnostic {
                    line: at(key_line(&doc.lines, "kind").unwrap_or(0)),
                    message: api_error(&error, None).trim_end().to_owned(),
                });
            }
        }
    }
    found
}

/// The 0-based line of a top-level `key:` in a document.
fn key_line(lines: &[&str], key: &str) -> Option<usize> {
    let prefix = format!("{key}:");
    lines.iter().position(|l| l.starts_with(&prefix))
}

/// Leading spaces of a line.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line's key and the column it starts at, looking through `- ` list markers.
fn key_at(line: &str) -> Option<(usize, &str)> {
    let mut column = indent(line);
    let mut rest = &line[column..];
    while let Some(after) = rest.strip_prefix("- ") {
        let skipped = after.len() - after.trim_start_matches(' ').len();
        column += 2 + skipped;
        rest = &after[skipped..];
    }
    let (key, _) = rest.split_once(':')?;
    let key = key.trim().trim_matches('"').trim_matches('\'');
    (!key.is_empty() && !key.starts_with('#')).then_some((column, key))
}

/// The 0-based line an API field path (`spec.template.spec.containers[0].image`) points at
/// in block-style YAML: the deepest part of the path that is present. `None` when not even
/// the first key is (JSON, flow style, or a missing top-level field).
pub fn field_line(lines: &[&str], path: &str) -> Option<usize> {
    let mut segments: Vec<(&str, Option<usize>)> = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        segments.push((key, None));
        // `containers[0]`: a list index; `labels[app]`: a map key.
        for index in rest.split('[').map(|s| s.trim_end_matches(']')) {
            match index.parse::<usize>() {
                Ok(n) => {
                    if let Some(last) = segments.last_mut() {
                        last.1 = Some(n);
                    }
                }
                Err(_) if !index.is_empty() => segments.push((index, None)),
                Err(_) => {}
            }
        }
    }
    let mut best = None;
    // Search from this line; keys must sit right of `parent` (None: at the top level).
    let mut from = 0;
    let mut parent: Option<usize> = None;
    for (key, index) in segments {
        let mut hit = None;
        for (n, line) in lines.iter().enumerate().skip(from) {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some((column, found)) = key_at(line) else {
                if parent.is_some_and(|p| indent(line) <= p) {
                    break;
                }
                continue;
            };
            if parent.is_some_and(|p| column <= p) && n > from {
                break;
            }
            let right_depth = match parent {
                None => column == 0,
                Some(p) => column > p,
            };
            if right_depth && found == key {
                hit = Some((n, column));
                break;
            }
        }
        let Some((line, column)) = hit else {
            return best;
        };
        best = Some(line);
        from = line + 1;
        parent = Some(column);
        if let Some(wanted) = index {
            let Some(item) = list_item(lines, line, column, wanted) else {
                return best;
            };
            best = Some(item);
            from = item;
            parent = Some(indent(lines[item]));
        }
    }
    best
}

/// The line of item `wanted` of the block list under the key at (`key_line`, `column`).
fn list_item(lines: &[&str], key_line: usize, column: usize, wanted: usize) -> Option<usize> {
    let mut seen = 0;
    let mut item_column = None;
    for (n, line) in lines.iter().enumerate().skip(key_line + 1) {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let here = indent(line);
        if here < column || (here == column && !line[here..].starts_with("- ")) {
            return None;
        }
        if line[here..].starts_with('-') && item_column.is_none_or(|c| c == here) {
            item_column = Some(here);
            if seen == wanted {
                return Some(n);
            }
            seen += 1;
        }
    }
    None
}

/// The error block of a file `kubectl edit` reopened: the comment lines after its fixed
/// four-line header, without the `# `. `None` for any other text.
pub fn edit_error(text: &str) -> Option<String> {
    let mut lines = text.lines();
    if !lines.next()?.starts_with("# Please edit the object below.") {
        return None;
    }
    let block: Vec<&str> = lines
        .skip(3)
        .take_while(|l| l.starts_with("# "))
        .map(|l| &l[2..])
        .collect();
    (!block.is_empty()).then(|| block.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_shell::SessionConfig;

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: sidecar
        image: busybox
      - name: web
        image: nginx:1.27
";

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn field_paths_point_at_their_lines() {
        let doc = lines(DEPLOYMENT);
        let at = |path| field_line(&doc, path).map(|n| n + 1);
        assert_eq!(at("metadata.name"), Some(4));
        assert_eq!(at("spec.replicas"), Some(6));
        assert_eq!(at("spec.template.metadata.labels[app]"), Some(13));
        assert_eq!(at("spec.template.spec.containers[0].name"), Some(16));
        assert_eq!(at("spec.template.spec.containers[1].image"), Some(19));
        // A missing field: the deepest part that exists.
        assert_eq!(at("spec.template.spec.containers[1].ports"), Some(18));
        assert_eq!(at("spec.template.spec.nodeName"), Some(14));
        assert_eq!(at("status"), None);
        // Not confused by a same-named key deeper down.
        assert_eq!(at("metadata.labels"), Some(3));
    }

    #[test]
    fn a_valid_manifest_has_no_diagnostics_and_nothing_is_stored() {
        let session = Session::new(&SessionConfig::default());
        let before = session.simulation().api().store().revision();
        assert_eq!(diagnostics(&session, "web.yaml", DEPLOYMENT), vec![]);
        assert_eq!(session.simulation().api().store().revision(), before);
        // Not a manifest: not validated.
        assert_eq!(diagnostics(&session, "notes.txt", "a: : b"), vec![]);
    }

    #[test]
    fn syntax_errors_carry_the_parsers_line_in_the_right_document() {
        let session = Session::new(&SessionConfig::default());
        let text = format!(
            "{DEPLOYMENT}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: [\n"
        );
        let found = diagnostics(&session, "web.yaml", &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].line >= 24, "{found:?}");
        assert!(
            found[0]
                .message
                .starts_with("error: error converting YAML to JSON: yaml: line"),
            "{found:?}"
        );
    }

    #[test]
    fn api_server_validation_errors_point_at_the_field() {
        let session = Session::new(&SessionConfig::default());
        let broken = DEPLOYMENT.replace("replicas: 2", "replicas: -1");
        let found = diagnostics(&session, "web.yaml", &broken);
        assert_eq!(
            found,
            vec![Diagnostic {
                line: 6,
                message: "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
                    .to_owned()
            }]
        );
        let unknown = "apiVersion: v1\nkind: Pdo\nmetadata:\n  name: x\n";
        let found = diagnostics(&session, "pod.yaml", unknown);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].line, 2);
        assert!(
            found[0].message.contains("no matches for kind \"Pdo\""),
            "{found:?}"
        );
    }

    #[test]
    fn admission_errors_land_on_the_kind_line() {
        let session = Session::new(&SessionConfig::default());
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: nowhere\n";
        let found = diagnostics(&session, "c.yaml", text);
        assert_eq!(
            found,
            vec![Diagnostic {
                line: 2,
                message: "Error from server (NotFound): namespaces \"nowhere\" not found"
                    .to_owned()
            }]
        );
        // Created earlier in the same file, the namespace exists for the objects after it.
        let with_namespace =
            format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: nowhere\n---\n{text}");
        assert_eq!(diagnostics(&session, "c.yaml", &with_namespace), vec![]);
    }

    #[test]
    fn the_edit_error_block_is_read_from_a_reopened_file() {
        let reopened = "# Please edit the object below. Lines beginning with a '#' will be ignored,\n# and an empty file will abort the edit. If an error occurs while saving this file will be\n# reopened with the relevant failures.\n#\n# deployments.apps \"web\" was not valid:\n# * spec.replicas: Invalid value: -1\n#\napiVersion: apps/v1\n";
        assert_eq!(
            edit_error(reopened).as_deref(),
            Some("deployments.apps \"web\" was not valid:\n* spec.replicas: Invalid value: -1")
        );
        let fresh = "# Please edit the object below. Lines beginning with a '#' will be ignored,\n# and an empty file will abort the edit. If an error occurs while saving this file will be\n# reopened with the relevant failures.\n#\napiVersion: apps/v1\n";
        assert_eq!(edit_error(fresh), None);
        assert_eq!(edit_error("apiVersion: v1\n"), None);
    }
}
