//! `cargo xtask gen-explain`: writes the schema data behind `kubectl explain` from the doc
//! comments of the `k8s-openapi` 0.26.1 sources (the `v1_32` module), so the shell carries
//! real Kubernetes v1.32 field descriptions without depending on an OpenAPI document.
//!
//! The sources are generated code with a fixed shape: a struct's `///` lines, then per field
//! `///` lines and `pub rust_name: Type,`; the wire names come from the `Deserialize` impl's
//! `"wireName" => Field::Key_rust_name` arms. Only the served kinds and the types reachable
//! from them are written.
//!
//! Output format (one record a line, tab-separated, `\\`, `\n`, `\t` escaped):
//! `@Kind  group  version  TypeName` for a served kind,
//! `=TypeName  description` starts a type, and each field of it follows as
//! `name  displayType  refType  required(r|)  description`.
//! A description used more than once (apiVersion, kind, metadata, Container's fields in
//! EphemeralContainer...) is written once as a `"text` line before the types and referred to
//! as `^N` (its index among those lines); a description of its own that starts with `^` is
//! escaped as `\^`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The kinds the simulation serves (tidepool-core `Kind::ALL`): kind, group, version, Rust path.
const KINDS: &[(&str, &str, &str, &str)] = &[
    ("Namespace", "", "v1", "api::core::v1::Namespace"),
    ("Node", "", "v1", "api::core::v1::Node"),
    ("Pod", "", "v1", "api::core::v1::Pod"),
    (
        "ReplicationController",
        "",
        "v1",
        "api::core::v1::ReplicationController",
    ),
    ("Service", "", "v1", "api::core::v1::Service"),
    ("Endpoints", "", "v1", "api::core::v1::Endpoints"),
    ("ConfigMap", "", "v1", "api::core::v1::ConfigMap"),
    ("Secret", "", "v1", "api::core::v1::Secret"),
    ("ServiceAccount", "", "v1", "api::core::v1::ServiceAccount"),
    ("ResourceQuota", "", "v1", "api::core::v1::ResourceQuota"),
    ("LimitRange", "", "v1", "api::core::v1::LimitRange"),
    ("Event", "", "v1", "api::core::v1::Event"),
    ("ReplicaSet", "apps", "v1", "api::apps::v1::ReplicaSet"),
    ("Deployment", "apps", "v1", "api::apps::v1::Deployment"),
    ("DaemonSet", "apps", "v1", "api::apps::v1::DaemonSet"),
    ("StatefulSet", "apps", "v1", "api::apps::v1::StatefulSet"),
    (
        "ControllerRevision",
        "apps",
        "v1",
        "api::apps::v1::ControllerRevision",
    ),
    ("Job", "batch", "v1", "api::batch::v1::Job"),
    ("CronJob", "batch", "v1", "api::batch::v1::CronJob"),
    (
        "Role",
        "rbac.authorization.k8s.io",
        "v1",
        "api::rbac::v1::Role",
    ),
    (
        "ClusterRole",
        "rbac.authorization.k8s.io",
        "v1",
        "api::rbac::v1::ClusterRole",
    ),
    (
        "RoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "api::rbac::v1::RoleBinding",
    ),
    (
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "api::rbac::v1::ClusterRoleBinding",
    ),
    (
        "PriorityClass",
        "scheduling.k8s.io",
        "v1",
        "api::scheduling::v1::PriorityClass",
    ),
    (
        "PodDisruptionBudget",
        "policy",
        "v1",
        "api::policy::v1::PodDisruptionBudget",
    ),
    (
        "PersistentVolume",
        "",
        "v1",
        "api::core::v1::PersistentVolume",
    ),
    (
        "PersistentVolumeClaim",
        "",
        "v1",
        "api::core::v1::PersistentVolumeClaim",
    ),
    (
        "StorageClass",
        "storage.k8s.io",
        "v1",
        "api::storage::v1::StorageClass",
    ),
    (
        "HorizontalPodAutoscaler",
        "autoscaling",
        "v2",
        "api::autoscaling::v2::HorizontalPodAutoscaler",
    ),
    (
        "Ingress",
        "networking.k8s.io",
        "v1",
        "api::networking::v1::Ingress",
    ),
    (
        "IngressClass",
        "networking.k8s.io",
        "v1",
        "api::networking::v1::IngressClass",
    ),
    (
        "NetworkPolicy",
        "networking.k8s.io",
        "v1",
        "api::networking::v1::NetworkPolicy",
    ),
];

/// Where the data lands, relative to the workspace root.
pub const OUTPUT: &str = "crates/tidepool-shell/src/kubectl/explain.data";

/// Types whose OpenAPI v3 schema is a primitive (`type: string`): kubectl shows the primitive,
/// not the type name, but still appends the type's description.
const PRIMITIVE_REFS: &[&str] = &["Time", "MicroTime"];

struct Field {
    name: String,
    display: String,
    reference: Option<String>,
    required: bool,
    description: String,
}

struct TypeDoc {
    description: String,
    fields: Vec<Field>,
}

/// The gzipped copy the site serves (the browser's cluster worker fetches it instead of
/// embedding the data), relative to `web/`; `cargo xtask bundle` writes it before each build.
pub const SITE_COPY: &str = "generated/explain.data.gz";

/// Writes `web/` + [`SITE_COPY`] (or `out`): `gzip -9 -n` of the committed data, so the same
/// data always gives the same bytes (`-n` leaves out the name and time stamp).
pub fn write_site_copy(root: &Path, out: &Path) -> Result<(), String> {
    let source = root.join(OUTPUT);
    let zipped = std::process::Command::new("gzip")
        .args(["-9", "-n", "-c"])
        .arg(&source)
        .output()
        .map_err(|e| format!("could not start gzip: {e}"))?;
    if !zipped.status.success() {
        return Err(format!(
            "gzip {} failed: {}",
            source.display(),
            String::from_utf8_lossy(&zipped.stderr)
        ));
    }
    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    fs::write(out, &zipped.stdout).map_err(|e| format!("writing {}: {e}", out.display()))
}

pub fn run(root: &Path) -> Result<(), String> {
    let (out, type_count) = generate()?;
    let target = root.join(OUTPUT);
    fs::write(&target, &out).map_err(|e| format!("writing {}: {e}", target.display()))?;
    println!(
        "wrote {} ({} bytes, {type_count} types)",
        target.display(),
        out.len()
    );
    Ok(())
}

/// The data file's text and the number of types in it.
fn generate() -> Result<(String, usize), String> {
    let src = find_k8s_openapi()?;
    let mut types: BTreeMap<String, TypeDoc> = BTreeMap::new();
    let mut short_of: BTreeMap<String, String> = BTreeMap::new();
    let mut queue: Vec<(String, bool)> = KINDS
        .iter()
        .map(|(_, _, _, path)| ((*path).to_owned(), true))
        .collect();
    let mut seen: BTreeSet<String> = queue.iter().map(|(p, _)| p.clone()).collect();
    while let Some((path, is_kind)) = queue.pop() {
        let doc = parse_type(&src, &path, is_kind)?;
        for field in &doc.fields {
            if let Some(reference) = &field.reference
                && seen.insert(reference.clone())
            {
                queue.push((reference.clone(), false));
            }
        }
        let short = short_name(&path).to_owned();
        if let Some(other) = short_of.insert(short.clone(), path.clone()) {
            return Err(format!(
                "two types are both called {short}: {other} and {path}"
            ));
        }
        types.insert(short, doc);
    }

    // Intern repeated descriptions, in order of first use.
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    let all_descriptions = types.values().flat_map(|doc| {
        std::iter::once(doc.description.as_str())
            .chain(doc.fields.iter().map(|f| f.description.as_str()))
    });
    let mut order: Vec<&str> = Vec::new();
    for d in all_descriptions {
        let count = uses.entry(d).or_insert(0);
        if *count == 0 {
            order.push(d);
        }
        *count += 1;
    }
    let shared: Vec<&str> = order
        .into_iter()
        .filter(|d| d.len() >= 16 && uses.get(d).is_some_and(|&n| n > 1))
        .collect();
    let index: BTreeMap<&str, usize> = shared.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let description = |d: &str| match index.get(d) {
        Some(i) => format!("^{i}"),
        None if d.starts_with('^') => format!("\\{}", escape(d)),
        None => escape(d),
    };

    let mut out = String::new();
    for (kind, group, version, path) in KINDS {
        out.push_str(&format!(
            "@{kind}\t{group}\t{version}\t{}\n",
            short_name(path)
        ));
    }
    for d in &shared {
        out.push_str(&format!("\"{}\n", escape(d)));
    }
    for (name, doc) in &types {
        out.push_str(&format!("={name}\t{}\n", description(&doc.description)));
        for f in &doc.fields {
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\n",
                f.name,
                f.display,
                f.reference.as_deref().map_or("", short_name),
                if f.required { "r" } else { "" },
                description(&f.description)
            ));
        }
    }
    Ok((out, types.len()))
}

fn short_name(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

/// `$CARGO_HOME/registry/src/*/k8s-openapi-0.26.1/src/v1_32`.
fn find_k8s_openapi() -> Result<PathBuf, String> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let registry = cargo_home.join("registry").join("src");
    let entries = fs::read_dir(&registry).map_err(|e| {
        format!(
            "reading {}: {e} (run `cargo fetch` first)",
            registry.display()
        )
    })?;
    for entry in entries.flatten() {
        let candidate = entry.path().join("k8s-openapi-0.26.1/src/v1_32");
        if candidate.is_dir() {
            return Ok(candidate);
        }
    }
    Err(format!(
        "k8s-openapi 0.26.1 sources not found under {} (run `cargo fetch` first)",
        registry.display()
    ))
}

/// `PodSpec` -> `pod_spec`, `AWSElasticBlockStoreVolumeSource` -> `aws_elastic_block_store_volume_source`.
fn file_stem(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The doc comment lines as the original description: one line per `///`, `\X` unescaped.
fn doc_text(lines: &[&str]) -> String {
    let joined: Vec<String> = lines
        .iter()
        .map(|l| {
            let body = l.trim_start().trim_start_matches("///");
            body.strip_prefix(' ').unwrap_or(body).to_owned()
        })
        .collect();
    let text = joined.join("\n");
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && next.is_ascii_punctuation()
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

fn parse_type(src: &Path, path: &str, is_kind: bool) -> Result<TypeDoc, String> {
    let mut parts: Vec<&str> = path.split("::").collect();
    let name = parts.pop().ok_or("empty type path")?;
    let mut file = src.to_path_buf();
    for p in &parts {
        file.push(p);
    }
    file.push(format!("{}.rs", file_stem(name)));
    let text = fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| {
            l.starts_with(&format!("pub struct {name}"))
                || l.starts_with(&format!("pub enum {name}"))
        })
        .ok_or_else(|| format!("no `pub struct {name}` in {}", file.display()))?;
    let mut doc_start = start;
    while doc_start > 0
        && (lines[doc_start - 1].starts_with("///") || lines[doc_start - 1].starts_with("#["))
    {
        doc_start -= 1;
    }
    let type_doc: Vec<&str> = lines[doc_start..start]
        .iter()
        .copied()
        .filter(|l| l.starts_with("///"))
        .collect();
    let (schema_type_description, schema_fields) = schema_descriptions(&text);
    let description = schema_type_description.unwrap_or_else(|| doc_text(&type_doc));

    // Wire names from the Deserialize impl: `"hostIPC" => Field::Key_host_ipc,`.
    let mut wire: BTreeMap<String, String> = BTreeMap::new();
    for l in &lines {
        let l = l.trim();
        if let Some((lhs, rhs)) = l.split_once(" => Field::Key_")
            && let Some(json) = lhs.strip_prefix('"').and_then(|s| s.strip_suffix('"'))
        {
            wire.insert(rhs.trim_end_matches(',').to_owned(), json.to_owned());
        }
    }

    let mut fields = Vec::new();
    if lines[start].trim_end().ends_with('{') && lines[start].starts_with("pub struct") {
        let mut doc: Vec<&str> = Vec::new();
        for l in &lines[start + 1..] {
            if l.starts_with('}') {
                break;
            }
            let t = l.trim();
            if t.starts_with("///") {
                doc.push(t);
            } else if let Some(decl) = t.strip_prefix("pub ") {
                let (rust_name, ty) = decl
                    .split_once(": ")
                    .ok_or_else(|| format!("odd field line in {}: {t}", file.display()))?;
                let ty = ty.trim_end_matches(',');
                let json = wire
                    .get(rust_name)
                    .ok_or_else(|| format!("no wire name for {name}.{rust_name}"))?
                    .clone();
                let (inner, optional) = match ty.strip_prefix("Option<") {
                    Some(rest) => (rest.strip_suffix('>').unwrap_or(rest), true),
                    None => (ty, false),
                };
                let (display, reference) = type_guess(inner)?;
                // k8s-openapi makes a resource's `metadata` non-optional; the API does not
                // require it.
                let resource_metadata = is_kind && json == "metadata";
                let required = !optional && !resource_metadata;
                fields.push(Field {
                    display,
                    reference,
                    required,
                    description: schema_fields
                        .get(&json)
                        .cloned()
                        .unwrap_or_else(|| doc_text(&doc)),
                    name: json,
                });
                doc.clear();
            } else if t.is_empty() {
                doc.clear();
            }
        }
    }
    if is_kind {
        for json in ["apiVersion", "kind"] {
            let description = schema_fields
                .get(json)
                .cloned()
                .ok_or_else(|| format!("no {json} description in {}", file.display()))?;
            fields.push(Field {
                name: json.to_owned(),
                display: "string".to_owned(),
                reference: None,
                required: false,
                description,
            });
        }
    }
    // kubectl lists fields in Go map order: sorted by name, bytewise.
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(TypeDoc {
        description,
        fields,
    })
}

/// The description string literals of the schemars impl: the type's, and each property's.
/// They are the OpenAPI text verbatim, where the doc comments re-indent tabs and add Markdown
/// code fences, so they win where present.
fn schema_descriptions(text: &str) -> (Option<String>, BTreeMap<String, String>) {
    let mut type_description = None;
    let mut fields = BTreeMap::new();
    let Some(start) = text.find("fn json_schema(") else {
        return (None, fields);
    };
    let body = &text[start..];
    let mut property: Option<String> = None;
    let mut pos = 0;
    while pos < body.len() {
        let line_end = body[pos..].find('\n').map_or(body.len(), |i| pos + i);
        let line = &body[pos..line_end];
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 16
            && let Some(name) = trimmed
                .strip_prefix('"')
                .and_then(|r| r.split_once("\": "))
                .map(|(n, _)| n)
        {
            property = Some(name.to_owned());
        }
        let literal_start = ["\"description\": \"", "(\"description\".into(), \""]
            .iter()
            .find_map(|marker| line.find(marker).map(|i| pos + i + marker.len()));
        if let Some(open) = literal_start {
            let (value, close) = rust_string(body, open);
            match property.take() {
                Some(name) => {
                    fields.entry(name).or_insert(value);
                }
                None if indent == 12 && type_description.is_none() => {
                    type_description = Some(value);
                }
                None => {}
            }
            pos = body[close..]
                .find('\n')
                .map_or(body.len(), |i| close + i + 1);
            continue;
        }
        pos = line_end + 1;
    }
    (type_description, fields)
}

/// Decodes the Rust string literal whose text starts at `open`; returns it and the index
/// after its closing quote. Handles `\\n`, `\\t`, `\\"`, `\\\\` and line continuations.
fn rust_string(text: &str, open: usize) -> (String, usize) {
    let mut out = String::new();
    let mut chars = text[open..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, open + i + 1),
            '\\' => match chars.next().map(|(_, e)| e) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('\n') => while chars.next_if(|(_, w)| w.is_whitespace()).is_some() {},
                Some(other) => out.push(other),
                None => break,
            },
            other => out.push(other),
        }
    }
    (out, text.len())
}

/// kubectl's `typeGuess` for a Rust field type: the display type and the referenced type.
fn type_guess(ty: &str) -> Result<(String, Option<String>), String> {
    if let Some(inner) = ty
        .strip_prefix("std::vec::Vec<")
        .and_then(|s| s.strip_suffix('>'))
    {
        let (d, r) = type_guess(inner)?;
        return Ok((format!("[]{d}"), r));
    }
    if let Some(inner) = ty
        .strip_prefix("std::collections::BTreeMap<std::string::String, ")
        .and_then(|s| s.strip_suffix('>'))
    {
        let (d, r) = type_guess(inner)?;
        return Ok((format!("map[string]{d}"), r));
    }
    let primitive = match ty {
        "std::string::String" | "crate::ByteString" => "string",
        "i32" | "i64" => "integer",
        "f64" => "number",
        "bool" => "boolean",
        "crate::serde_json::Value" => "Object",
        _ => "",
    };
    if !primitive.is_empty() {
        return Ok((primitive.to_owned(), None));
    }
    let path = ty
        .strip_prefix("crate::")
        .ok_or_else(|| format!("unknown field type {ty}"))?;
    let name = short_name(path);
    let display = if PRIMITIVE_REFS.contains(&name) {
        "string"
    } else {
        name
    };
    Ok((display.to_owned(), Some(path.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed data is what the generator makes from the k8s-openapi sources now.
    #[test]
    fn committed_explain_data_is_current() {
        let (fresh, _) = generate().unwrap_or_else(|e| panic!("{e}"));
        let committed =
            fs::read_to_string(crate::setup::workspace_root().join(OUTPUT)).unwrap_or_default();
        assert!(
            fresh == committed,
            "{OUTPUT} is stale: run `cargo xtask gen-explain`"
        );
    }

    /// The site's copy unpacks to the committed data, and is the same bytes every time.
    #[test]
    fn site_copy_is_the_data_gzipped() {
        let root = crate::setup::workspace_root();
        let dir = std::env::temp_dir().join(format!("tidepool-explain-{}", std::process::id()));
        let (first, second) = (dir.join("a.gz"), dir.join("b.gz"));
        for out in [&first, &second] {
            write_site_copy(&root, out).unwrap_or_else(|e| panic!("{e}"));
        }
        let unpacked = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(&first)
            .output()
            .expect("gzip -d runs");
        let (a, b) = (fs::read(&first), fs::read(&second));
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(a.expect("first copy"), b.expect("second copy"));
        let committed = fs::read(root.join(OUTPUT)).expect("committed data");
        assert!(unpacked.status.success());
        assert_eq!(unpacked.stdout, committed);
    }

    #[test]
    fn file_stems_follow_k8s_openapi() {
        assert_eq!(file_stem("PodSpec"), "pod_spec");
        assert_eq!(
            file_stem("AWSElasticBlockStoreVolumeSource"),
            "aws_elastic_block_store_volume_source"
        );
        assert_eq!(file_stem("ObjectMeta"), "object_meta");
        assert_eq!(file_stem("IntOrString"), "int_or_string");
    }

    #[test]
    fn doc_comments_unescape() {
        assert_eq!(
            doc_text(&["/// a \\<b\\> \\[c\\]", "///", "/// d"]),
            "a <b> [c]\n\nd"
        );
    }
}
