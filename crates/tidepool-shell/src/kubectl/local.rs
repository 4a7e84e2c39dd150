//! The objects `label`, `annotate` and `kubectl set *` edit: live objects named by arguments or
//! by `-f FILE`, or, with `--local`, the objects in the files themselves, changed and printed
//! without contacting the cluster.
//!
//! kubectl reads local files two ways: `label`/`annotate` keep them unstructured (every field,
//! unknown ones too), while `set *` decode them into the typed Go structs, so the printed object
//! gains the zero values those structs always serialise (`creationTimestamp: null`,
//! `resources: {}`, `strategy: {}`, `status: {}`) — see [`typed_form`].

use super::get::{kind_name, printable};
use super::{Flags, namespace};
use crate::Session;
use crate::exec::Res;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tidepool_core::{Kind, Object};

/// `resource.LocalResourceError`: resource arguments given with `--local`.
pub(super) const LOCAL_RESOURCE_ERROR: &str = "error: you must specify resources by --filename when --local is set.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n";

/// The resource builder's error when it was given nothing to visit.
pub(super) const NO_RESOURCES: &str = "error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n";

/// One object a command edits.
pub(super) struct Target {
    /// `kind.group/name`, as kubectl's name printer writes it.
    pub display: String,
    /// `None` for a kind the playground does not serve (only `label`/`annotate --local`).
    pub kind: Option<Kind>,
    /// The object as the command sees it before the change.
    pub value: Value,
    /// The stored object when the command edits the cluster; `None` with `--local`.
    pub live: Option<Object>,
}

impl Target {
    pub fn live(object: Object) -> Target {
        Target {
            display: kind_name(object.kind(), object.name()),
            kind: Some(object.kind()),
            value: object.to_json(),
            live: Some(object),
        }
    }

    /// `*v1.Service`: the Go type kubectl names in "not a pod" errors.
    pub fn go_type(&self) -> String {
        let version = self
            .value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("v1");
        let version = version.rsplit('/').next().unwrap_or(version);
        let kind = self.value.get("kind").and_then(Value::as_str).unwrap_or("");
        format!("*{version}.{kind}")
    }
}

/// The documents of one source, `kind: List` items flattened, or the YAML syntax error.
fn documents(name: &str, text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|e| {
            let message = e.to_string();
            let message = message
                .find(" at line ")
                .map_or(message.as_str(), |i| &message[..i]);
            format!(
                "error: error parsing {name}: error converting YAML to JSON: yaml: line {}: {message}\n",
                e.location().map_or(0, |l| l.line())
            )
        })?;
        if value.is_null() {
            continue;
        }
        if value.get("kind").and_then(Value::as_str) == Some("List") {
            out.extend(
                value
                    .get("items")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
            continue;
        }
        out.push(value);
    }
    Ok(out)
}

fn text_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `kind.group/name` for a kind the playground may not know (kubectl lower-cases the kind).
fn display_of(value: &Value) -> String {
    let api_version = text_at(value, "/apiVersion");
    let kind = text_at(value, "/kind").to_ascii_lowercase();
    let name = text_at(value, "/metadata/name");
    match api_version.split_once('/') {
        Some((group, _)) => format!("{kind}.{group}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// The objects `-f` names. With `--local` they are the files' objects (typed for `set *`);
/// without it, the live objects with the files' kinds, names and namespaces. Errors are
/// collected (kubectl continues with the other objects and reports them at the end).
pub(super) fn file_targets(
    session: &Session,
    flags: &Flags,
    stdin: &str,
    typed: bool,
) -> (Vec<Target>, Vec<String>) {
    let local = flags.bool("local");
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    let sources = flags.all("filename");
    for source in super::apply::read_sources(session, &sources, stdin, flags.bool("recursive")) {
        let (name, text) = match source {
            Ok(file) => file,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let values = match documents(&name, &text) {
            Ok(values) => values,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for value in values {
            match file_target(session, flags, &name, value, local, typed) {
                Ok(target) => targets.push(target),
                Err(e) => errors.push(e),
            }
        }
    }
    (targets, errors)
}

fn file_target(
    session: &Session,
    flags: &Flags,
    source: &str,
    value: Value,
    local: bool,
    typed: bool,
) -> Result<Target, String> {
    if !value.is_object() || text_at(&value, "/kind").is_empty() {
        return Err(format!(
            "error: unable to decode \"{source}\": Object 'Kind' is missing in '{value}'\n"
        ));
    }
    let api_version = text_at(&value, "/apiVersion").to_owned();
    let kind_text = text_at(&value, "/kind").to_owned();
    let name = text_at(&value, "/metadata/name").to_owned();
    let kind = Kind::from_type(&api_version, &kind_text);
    let own_namespace = text_at(&value, "/metadata/namespace").to_owned();
    let ns = namespace(session, flags);
    if flags.has("namespace") && !own_namespace.is_empty() && own_namespace != ns {
        return Err(format!(
            "error: the namespace from the provided object \"{own_namespace}\" does not match the namespace \"{ns}\". You must pass '--namespace={own_namespace}' to perform this operation.\n"
        ));
    }
    if local {
        if !typed {
            return Ok(Target {
                display: display_of(&value),
                kind,
                value,
                live: None,
            });
        }
        let Some(kind) = kind else {
            return Err(format!(
                "error: unable to decode \"{source}\": no kind \"{kind_text}\" is registered for version \"{api_version}\" in scheme \"pkg/scheme/scheme.go:28\"\n"
            ));
        };
        return Ok(Target {
            display: kind_name(kind, &name),
            kind: Some(kind),
            value: typed_form(kind, value),
            live: None,
        });
    }
    let Some(kind) = kind else {
        return Err(format!(
            "error: resource mapping not found for name: \"{name}\" namespace: \"{own_namespace}\" from \"{source}\": no matches for kind \"{kind_text}\" in version \"{api_version}\"\nensure CRDs are installed first\n"
        ));
    };
    let ns = if own_namespace.is_empty() {
        ns
    } else {
        own_namespace
    };
    let ns = if kind.namespaced() { ns.as_str() } else { "" };
    session
        .sim
        .api()
        .get(kind, ns, &name)
        .map(Target::live)
        .map_err(|e| super::api_error(&e, None))
}

/// Inserts `key: default` into an object that lacks it.
fn ensure(value: &mut Value, pointer: &str, key: &str, default: Value) {
    if let Some(map) = value.pointer_mut(pointer).and_then(Value::as_object_mut) {
        map.entry(key).or_insert(default);
    }
}

/// The zero values a pod template's Go structs always print.
fn template_defaults(value: &mut Value, template: &str) {
    if value.pointer(template).is_none() {
        return;
    }
    ensure(value, template, "metadata", json!({}));
    ensure(
        value,
        &format!("{template}/metadata"),
        "creationTimestamp",
        Value::Null,
    );
    ensure(value, template, "spec", json!({}));
    pod_spec_defaults(value, &format!("{template}/spec"));
}

fn pod_spec_defaults(value: &mut Value, spec: &str) {
    ensure(value, spec, "containers", json!(null));
    for list in ["initContainers", "containers"] {
        let containers = value
            .pointer_mut(&format!("{spec}/{list}"))
            .and_then(Value::as_array_mut);
        for c in containers.into_iter().flatten() {
            if let Some(c) = c.as_object_mut() {
                c.entry("resources").or_insert(json!({}));
            }
        }
    }
}

/// A file's object as kubectl's typed decode and encode leave it: the fields of the Go structs
/// that have no `omitempty` (or are structs) appear even when the file omits them.
pub(super) fn typed_form(kind: Kind, mut value: Value) -> Value {
    if !value.is_object() {
        return value;
    }
    // Fields the typed structs do not have are dropped by kubectl's decode.
    if let Ok(typed) = Object::from_json(kind, value.clone()) {
        drop_unknown_fields(&mut value, &typed.to_json());
    }
    ensure(&mut value, "", "metadata", json!({}));
    ensure(&mut value, "/metadata", "creationTimestamp", Value::Null);
    match kind {
        Kind::Pod => {
            ensure(&mut value, "", "spec", json!({}));
            pod_spec_defaults(&mut value, "/spec");
        }
        Kind::Deployment
        | Kind::ReplicaSet
        | Kind::ReplicationController
        | Kind::DaemonSet
        | Kind::StatefulSet
        | Kind::Job => {
            ensure(&mut value, "", "spec", json!({}));
            ensure(&mut value, "/spec", "template", json!({}));
            template_defaults(&mut value, "/spec/template");
            match kind {
                Kind::Deployment => ensure(&mut value, "/spec", "strategy", json!({})),
                Kind::DaemonSet | Kind::StatefulSet => {
                    ensure(&mut value, "/spec", "updateStrategy", json!({}));
                }
                _ => {}
            }
        }
        Kind::CronJob => {
            ensure(&mut value, "", "spec", json!({}));
            ensure(&mut value, "/spec", "jobTemplate", json!({}));
            ensure(&mut value, "/spec/jobTemplate", "metadata", json!({}));
            ensure(
                &mut value,
                "/spec/jobTemplate/metadata",
                "creationTimestamp",
                Value::Null,
            );
            ensure(&mut value, "/spec/jobTemplate", "spec", json!({}));
            ensure(&mut value, "/spec/jobTemplate/spec", "template", json!({}));
            template_defaults(&mut value, "/spec/jobTemplate/spec/template");
        }
        Kind::Service => {
            ensure(&mut value, "", "spec", json!({}));
            // `targetPort` is an IntOrString struct: absent, it prints as 0.
            let ports = value
                .pointer_mut("/spec/ports")
                .and_then(Value::as_array_mut);
            for port in ports.into_iter().flatten() {
                if let Some(port) = port.as_object_mut() {
                    port.entry("targetPort").or_insert(json!(0));
                }
            }
            ensure(&mut value, "", "status", json!({}));
            ensure(&mut value, "/status", "loadBalancer", json!({}));
        }
        _ => {}
    }
    if matches!(
        kind,
        Kind::Pod
            | Kind::Deployment
            | Kind::ReplicaSet
            | Kind::ReplicationController
            | Kind::DaemonSet
            | Kind::StatefulSet
            | Kind::Job
            | Kind::CronJob
    ) {
        ensure(&mut value, "", "status", json!({}));
        // Status counters without `omitempty`.
        let counters: &[&str] = match kind {
            Kind::DaemonSet => &[
                "currentNumberScheduled",
                "desiredNumberScheduled",
                "numberMisscheduled",
                "numberReady",
            ],
            Kind::StatefulSet => &["availableReplicas", "replicas"],
            Kind::ReplicaSet | Kind::ReplicationController => &["replicas"],
            _ => &[],
        };
        for counter in counters {
            ensure(&mut value, "/status", counter, json!(0));
        }
    }
    value
}

/// Removes the keys of `value` that the typed round trip `typed` lost. Empty values stay: the
/// typed structs may omit them on output while kubectl's print them (`resources: {}`).
fn drop_unknown_fields(value: &mut Value, typed: &Value) {
    match (value, typed) {
        (Value::Object(map), Value::Object(known)) => {
            map.retain(|key, child| {
                known.contains_key(key)
                    || child.is_null()
                    || child.as_object().is_some_and(Map::is_empty)
                    || child.as_array().is_some_and(Vec::is_empty)
            });
            for (key, child) in map.iter_mut() {
                if let Some(known_child) = known.get(key) {
                    drop_unknown_fields(child, known_child);
                }
            }
        }
        (Value::Array(items), Value::Array(known)) if items.len() == known.len() => {
            for (item, known_item) in items.iter_mut().zip(known) {
                drop_unknown_fields(item, known_item);
            }
        }
        _ => {}
    }
}

/// `-o` printing of one object: the name printer (`KIND/NAME OPERATION`), `name`, yaml, json,
/// jsonpath.
pub(super) fn print(value: &Value, display: &str, output: &str, operation: &str) -> KResultText {
    // kubectl hides managedFields unless --show-managed-fields (a client dry run of a live
    // object prints the object as read, with them).
    let mut shown;
    let value = match value.pointer("/metadata/managedFields") {
        Some(_) => {
            shown = value.clone();
            if let Some(meta) = shown.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("managedFields");
            }
            &shown
        }
        None => value,
    };
    match output {
        "" => Ok(format!("{display} {operation}\n")),
        "name" => Ok(format!("{display}\n")),
        "yaml" => Ok(crate::yaml::to_yaml(value)),
        "json" => Ok(crate::yaml::to_json(value)),
        o if o.starts_with("jsonpath=") => super::json::jsonpath(&o["jsonpath=".len()..], value),
        other => Err(format!(
            "error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml\n"
        )),
    }
}

pub(super) type KResultText = Result<String, String>;

/// `--dry-run`: `None`, `client` or `server`, with kubectl's error for other values.
pub(super) fn dry_run(flags: &Flags) -> Result<Option<&'static str>, String> {
    match flags.get("dry-run") {
        None | Some("none") | Some("false") => Ok(None),
        Some("client") | Some("true") => Ok(Some("client")),
        Some("server") => Ok(Some("server")),
        Some(other) => Err(format!(
            "error: Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\".\n"
        )),
    }
}

/// Ends a `set` command for one object: prints it as changed (`--local`, client dry run) or
/// writes it to the cluster and prints what was stored.
pub(super) fn save(
    session: &mut Session,
    flags: &Flags,
    target: &Target,
    updated: Value,
    operation: &str,
    res: &mut Res,
) -> Result<(), String> {
    let output = flags.get("output").unwrap_or("");
    let mode = dry_run(flags)?;
    let (Some(_), Some(kind), None | Some("server")) = (&target.live, target.kind, mode) else {
        let suffix = if mode == Some("client") {
            " (dry run)"
        } else {
            ""
        };
        res.push_out(print(
            &updated,
            &target.display,
            output,
            &format!("{operation}{suffix}"),
        )?);
        return Ok(());
    };
    let object = Object::from_json(kind, updated).map_err(|e| format!("error: {e}\n"))?;
    let stored = if mode == Some("server") {
        // A server-side dry run is authorized like the patch it stands for.
        let ns = if kind.namespaced() {
            object.namespace()
        } else {
            ""
        };
        super::check(session, "patch", kind, ns, object.name())?;
        object
    } else {
        session
            .sim
            .api_mut()
            .update_patched(object)
            .map_err(|e| match operation {
                // `set image` and `set env` wrap a refused patch in their own words.
                "image updated" | "env updated" => format!(
                    "error: failed to patch {} update to pod template: {}\n",
                    operation.trim_end_matches(" updated"),
                    e.message
                ),
                _ => super::api_error(&e, None),
            })?
    };
    let suffix = if mode == Some("server") {
        " (server dry run)"
    } else {
        ""
    };
    res.push_out(print(
        &printable(&stored),
        &target.display,
        output,
        &format!("{operation}{suffix}"),
    )?);
    Ok(())
}

/// Adds the collected errors to the result, one per line, and fails it.
pub(super) fn report(res: &mut Res, errors: Vec<String>) {
    if errors.is_empty() {
        return;
    }
    for e in errors {
        res.push_err(e);
    }
    res.code = 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_form_adds_the_go_zero_values() {
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}
        });
        let typed = typed_form(Kind::Deployment, deployment);
        assert_eq!(typed["metadata"]["creationTimestamp"], Value::Null);
        assert!(typed["metadata"].get("creationTimestamp").is_some());
        assert_eq!(typed["spec"]["strategy"], json!({}));
        assert_eq!(
            typed["spec"]["template"]["spec"]["containers"][0]["resources"],
            json!({})
        );
        assert!(
            typed["spec"]["template"]["metadata"]
                .get("creationTimestamp")
                .is_some()
        );
        assert_eq!(typed["status"], json!({}));

        let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80}, {"port": 81, "targetPort": "http"}]}});
        let typed = typed_form(Kind::Service, service);
        assert_eq!(typed["spec"]["ports"][0]["targetPort"], json!(0));
        assert_eq!(typed["spec"]["ports"][1]["targetPort"], json!("http"));
        assert_eq!(typed["status"], json!({"loadBalancer": {}}));
    }

    #[test]
    fn typed_form_drops_unknown_fields() {
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "bogus": 1},
            "spec": {"foo": {"bar": 1}, "template": {"spec": {"containers": [
                {"name": "c", "image": "i", "zzz": 1, "ports": [{"containerPort": 80}]}
            ]}}}
        });
        let typed = typed_form(Kind::Deployment, deployment);
        assert!(typed["metadata"].get("bogus").is_none());
        assert!(typed["spec"].get("foo").is_none());
        let container = &typed["spec"]["template"]["spec"]["containers"][0];
        assert!(container.get("zzz").is_none());
        assert_eq!(container["ports"], json!([{"containerPort": 80}]));
        assert_eq!(container["image"], json!("i"));
    }

    #[test]
    fn documents_flatten_lists_and_report_syntax_errors() {
        let text = "kind: List\nitems:\n- {kind: Pod}\n- {kind: Service}\n---\nkind: ConfigMap\n";
        let docs = documents("f.yaml", text).unwrap();
        let kinds: Vec<&str> = docs.iter().map(|d| text_at(d, "/kind")).collect();
        assert_eq!(kinds, ["Pod", "Service", "ConfigMap"]);
        let err = documents("bad.yaml", "a: 1\n b: 2\n").unwrap_err();
        assert!(err.starts_with(
            "error: error parsing bad.yaml: error converting YAML to JSON: yaml: line 2:"
        ));
        assert_eq!(
            display_of(
                &json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
            ),
            "widget.example.com/w"
        );
    }
}
