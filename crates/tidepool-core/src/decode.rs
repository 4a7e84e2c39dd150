//! Manifest decoding for the kubectl layer: YAML or JSON text, one or many documents, decoded
//! strictly like the v1.32 apiserver (unknown fields and wrong types are errors with the real
//! texts), with the REST-mapping error for unknown kinds.

use crate::errors::ApiError;
use crate::objects::{Kind, Object};
use serde::Deserialize;
use serde_json::Value;

/// Why a manifest could not become objects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// YAML/JSON syntax error (client side). `line` is 1-based when known.
    #[error("error converting YAML to JSON: yaml: line {line}: {message}")]
    Syntax { line: usize, message: String },
    /// The document is not a mapping, or misses `kind`/`apiVersion` (client side).
    #[error("Object 'Kind' is missing in '{document}'")]
    MissingKind { document: String },
    #[error("Object 'apiVersion' is missing in '{document}'")]
    MissingApiVersion { document: String },
    /// No served kind for this apiVersion/kind (client-side REST mapping).
    #[error("no matches for kind \"{kind}\" in version \"{api_version}\"")]
    NoKindMatch {
        kind: String,
        api_version: String,
        name: String,
        namespace: String,
    },
    /// Strict decoding or type errors (server side, BadRequest).
    #[error("{kind} in version \"{version}\" cannot be handled as a {kind}: {detail}")]
    Invalid {
        kind: String,
        version: String,
        name: String,
        detail: String,
    },
}

impl DecodeError {
    /// True for errors the apiserver reports (kubectl prints `Error from server (BadRequest)`);
    /// false for errors kubectl finds before sending anything.
    pub fn is_server_side(&self) -> bool {
        matches!(self, DecodeError::Invalid { .. })
    }

    /// The apiserver error for server-side failures.
    pub fn to_api_error(&self) -> ApiError {
        ApiError::bad_request(self.to_string())
    }
}

/// Decodes every non-empty document of a YAML (or JSON) text.
pub fn decode_manifests(text: &str) -> Result<Vec<Object>, DecodeError> {
    let mut objects = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|e| DecodeError::Syntax {
            line: e.location().map_or(0, |l| l.line()),
            message: strip_location(&e.to_string()),
        })?;
        if value.is_null() {
            continue;
        }
        // `kind: List` wraps items, as `kubectl get -o yaml` prints them.
        if value.get("kind").and_then(Value::as_str) == Some("List") {
            for item in value
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                objects.push(decode_value(item.clone())?);
            }
            continue;
        }
        objects.push(decode_value(value)?);
    }
    Ok(objects)
}

/// autoscaling/v1's `spec.targetCPUUtilizationPercentage` as v2's one CPU Resource metric (the
/// apiserver's conversion); v1's status fields are dropped, as a create ignores status.
fn hpa_v1_to_v2(value: &mut Value) {
    if let Some(object) = value.as_object_mut() {
        object.insert("apiVersion".into(), Value::from("autoscaling/v2"));
        object.remove("status");
    }
    let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(percent) = spec.remove("targetCPUUtilizationPercentage") {
        spec.insert(
            "metrics".into(),
            serde_json::json!([{
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": percent}},
            }]),
        );
    }
}

fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Decodes one JSON value strictly.
pub fn decode_value(mut value: Value) -> Result<Object, DecodeError> {
    let document = value.to_string();
    if !value.is_object() {
        return Err(DecodeError::MissingKind { document });
    }
    let kind_name = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if kind_name.is_empty() {
        return Err(DecodeError::MissingKind { document });
    }
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if api_version.is_empty() {
        return Err(DecodeError::MissingApiVersion { document });
    }
    // The apiserver serves HorizontalPodAutoscaler as autoscaling/v1 too and stores v2.
    let served_version =
        if api_version == "autoscaling/v1" && kind_name == "HorizontalPodAutoscaler" {
            hpa_v1_to_v2(&mut value);
            "autoscaling/v2"
        } else {
            api_version.as_str()
        };
    let meta = value.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let Some(kind) = Kind::from_type(served_version, &kind_name) else {
        return Err(DecodeError::NoKindMatch {
            kind: kind_name,
            api_version,
            name,
            namespace: meta
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        });
    };
    let version = api_version.rsplit('/').next().unwrap_or("v1").to_owned();
    let invalid = |detail: String| DecodeError::Invalid {
        kind: kind_name.clone(),
        version: version.clone(),
        name: name.clone(),
        detail,
    };
    normalise_quantities(&mut value, "");
    if kind == Kind::Ingress {
        fill_missing_path_types(&mut value);
    }
    let typed = typed_decode(kind, &value)
        .map_err(|(path, message)| invalid(go_type_error(kind, &path, &message)))?;
    let round_trip = typed.to_json();
    let mut unknown = Vec::new();
    unknown_fields(&value, &round_trip, "", &mut unknown);
    if !unknown.is_empty() {
        let listed: Vec<String> = unknown
            .iter()
            .map(|p| format!("unknown field \"{p}\""))
            .collect();
        return Err(invalid(format!(
            "strict decoding error: {}",
            listed.join(", ")
        )));
    }
    Ok(typed)
}

/// Gives each Ingress path without `pathType` an empty one: the Go type's field is a pointer
/// (missing is allowed by decoding and rejected by validation with "pathType must be
/// specified"), while the k8s-openapi field is a required string.
fn fill_missing_path_types(value: &mut Value) {
    let Some(rules) = value
        .pointer_mut("/spec/rules")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for rule in rules {
        let Some(paths) = rule
            .pointer_mut("/http/paths")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for path in paths.iter_mut().filter_map(Value::as_object_mut) {
            path.entry("pathType")
                .or_insert(Value::String(String::new()));
        }
    }
}

/// Decodes `value` as `kind` with plain serde (the one copy of each kind's `Deserialize` that
/// `Object::from_json` also uses). On a type error, the field path for Go's message is found
/// afterwards by `error_path`, so no path-tracking wrapper is compiled for every decoded type.
fn typed_decode(kind: Kind, value: &Value) -> Result<Object, (String, String)> {
    let error = match Object::from_json(kind, value.clone()) {
        Ok(object) => return Ok(object),
        Err(e) => e.to_string(),
    };
    // Only `invalid type` errors name a field (see `go_type_error`).
    let path = if error.starts_with("invalid type: ") {
        let fails_alike = |candidate: &Value| matches!(Object::from_json(kind, candidate.clone()), Err(e) if e.to_string() == error);
        error_path(value, &fails_alike)
    } else {
        String::new()
    };
    Err((path, error))
}

/// One step of a path into a JSON document.
enum Step {
    Key(String),
    Index(usize),
}

/// Where in `document` the decoder raised its error, written as `serde_path_to_error` writes
/// paths (`spec.containers[0].command`).
///
/// serde stops at the first error in document order (maps in their iteration order), and an
/// `invalid type` error is raised while that entry is read, never from what follows it. So
/// keeping only the first `n` entries of a map or list still fails the same way exactly when
/// the culprit is among them: a binary search per level finds the entry, and the walk descends
/// into it (with everything after it cut off, so a later identical error cannot answer in its
/// place). It stops where keeping no entries still fails: that value itself has the wrong type.
fn error_path(document: &Value, fails_alike: &dyn Fn(&Value) -> bool) -> String {
    let mut current = document.clone();
    let mut steps: Vec<Step> = Vec::new();
    loop {
        let len = match node_at(&mut current, &steps) {
            Some(Value::Object(map)) => map.len(),
            Some(Value::Array(items)) => items.len(),
            _ => break,
        };
        let truncated = |keep: usize| {
            let mut candidate = current.clone();
            truncate_node(&mut candidate, &steps, keep);
            candidate
        };
        // Invariant: keeping all `len` entries fails alike.
        let (mut low, mut high) = (0, len);
        while low < high {
            let mid = low + (high - low) / 2;
            if fails_alike(&truncated(mid)) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        if low == 0 {
            break;
        }
        truncate_node(&mut current, &steps, low);
        let step = match node_at(&mut current, &steps) {
            Some(Value::Object(map)) => map.keys().nth(low - 1).cloned().map(Step::Key),
            _ => Some(Step::Index(low - 1)),
        };
        match step {
            Some(step) => steps.push(step),
            None => break,
        }
    }
    if steps.is_empty() {
        return ".".to_owned();
    }
    let mut path = String::new();
    for step in &steps {
        match step {
            Step::Key(key) if path.is_empty() => path.push_str(key),
            Step::Key(key) => {
                path.push('.');
                path.push_str(key);
            }
            Step::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

fn node_at<'a>(value: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    steps.iter().try_fold(value, |node, step| match step {
        Step::Key(key) => node.get_mut(key.as_str()),
        Step::Index(i) => node.get_mut(*i),
    })
}

/// Keeps the first `keep` entries of the map or list at `steps`.
fn truncate_node(value: &mut Value, steps: &[Step], keep: usize) {
    match node_at(value, steps) {
        // `retain` visits entries in order (a `collect()` into the map would sort them again).
        Some(Value::Object(map)) => {
            let mut seen = 0;
            map.retain(|_, _| {
                seen += 1;
                seen <= keep
            });
        }
        Some(Value::Array(items)) => items.truncate(keep),
        _ => {}
    }
}

/// Quantities may be written as YAML numbers (`cpu: 0.5`); the Go decoder accepts that.
fn normalise_quantities(value: &mut Value, parent: &str) {
    const LISTS: [&str; 10] = [
        "requests",
        "limits",
        "hard",
        "capacity",
        "allocatable",
        "default",
        "defaultRequest",
        "max",
        "min",
        "maxLimitRequestRatio",
    ];
    match value {
        Value::Object(map) => {
            let is_list = LISTS.contains(&parent);
            for (key, child) in map.iter_mut() {
                if is_list && let Value::Number(n) = child {
                    *child = Value::String(n.to_string());
                    continue;
                }
                normalise_quantities(child, key);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| normalise_quantities(i, parent)),
        _ => {}
    }
}

/// Paths present in the input but dropped by typed decoding, like Go's strict decoder reports.
fn unknown_fields(input: &Value, typed: &Value, path: &str, out: &mut Vec<String>) {
    match (input, typed) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, child) in a {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match b.get(key) {
                    Some(t) => unknown_fields(child, t, &here, out),
                    None if child.is_null() => {}
                    None => out.push(here),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                unknown_fields(x, y, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The Go struct holding the field at the end of a JSON path, for `json: cannot unmarshal`.
fn go_struct(kind: Kind, segments: &[&str]) -> String {
    let parent = segments.iter().rev().nth(1).copied().unwrap_or("");
    let grand = segments.iter().rev().nth(2).copied().unwrap_or("");
    match parent {
        "" => kind.name().to_owned(),
        "metadata" => "ObjectMeta".to_owned(),
        "containers" | "initContainers" => "Container".to_owned(),
        "ports" if grand == "spec" => "ServicePort".to_owned(),
        "ports" => "ContainerPort".to_owned(),
        "resources" => "ResourceRequirements".to_owned(),
        "selector" if kind != Kind::Service && kind != Kind::ReplicationController => {
            "LabelSelector".to_owned()
        }
        "template" => "PodTemplateSpec".to_owned(),
        "env" => "EnvVar".to_owned(),
        "volumeMounts" => "VolumeMount".to_owned(),
        "strategy" => "DeploymentStrategy".to_owned(),
        "spec" if grand == "template" => "PodSpec".to_owned(),
        "spec" => match kind {
            Kind::Pod => "PodSpec".to_owned(),
            other => format!("{}Spec", other.name()),
        },
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        }
    }
}

fn go_type(field: &str, expected: &str) -> String {
    let e = expected;
    if e.contains("sequence") {
        return match field {
            "containers" | "initContainers" => "[]v1.Container",
            "ports" => "[]v1.ContainerPort",
            "env" => "[]v1.EnvVar",
            "volumes" => "[]v1.Volume",
            "volumeMounts" => "[]v1.VolumeMount",
            "tolerations" => "[]v1.Toleration",
            "matchExpressions" => "[]v1.LabelSelectorRequirement",
            _ => "[]string",
        }
        .to_owned();
    }
    if e.contains("i32") || e.contains("u16") || e.contains("IntOrString") {
        return "int32".to_owned();
    }
    if e.contains("i64") || e.contains("integer") {
        return "int64".to_owned();
    }
    if e.contains("bool") {
        return "bool".to_owned();
    }
    if e.contains("a string") || e.contains("Quantity") || e.contains("Time") {
        return "string".to_owned();
    }
    if e.contains("map") {
        return "map[string]string".to_owned();
    }
    if let Some(name) = e.strip_prefix("struct ") {
        return format!("v1.{name}");
    }
    e.to_owned()
}

/// `json: cannot unmarshal string into Go struct field Container.spec.containers.command of
/// type []string`, rebuilt from serde's `invalid type: string "x", expected a sequence`.
fn go_type_error(kind: Kind, path: &str, message: &str) -> String {
    let Some(rest) = message.strip_prefix("invalid type: ") else {
        return format!("json: {message}");
    };
    let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    let json_type = if found.starts_with("string") {
        "string"
    } else if found.starts_with("integer") || found.starts_with("floating") {
        "number"
    } else if found.starts_with("boolean") {
        "bool"
    } else if found.starts_with("sequence") {
        "array"
    } else if found.starts_with("map") {
        "object"
    } else {
        found
    };
    let clean: String = path
        .split('.')
        .filter(|s| !s.starts_with('[') && !s.is_empty() && *s != "?")
        .map(|s| s.split('[').next().unwrap_or(s))
        .collect::<Vec<_>>()
        .join(".");
    let segments: Vec<&str> = clean.split('.').collect();
    let field = segments.last().copied().unwrap_or("");
    format!(
        "json: cannot unmarshal {json_type} into Go struct field {}.{clean} of type {}",
        go_struct(kind, &segments),
        go_type(field, expected)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_multi_document_yaml() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n";
        let objects = decode_manifests(text).unwrap_or_default();
        let kinds: Vec<Kind> = objects.iter().map(Object::kind).collect();
        assert_eq!(kinds, vec![Kind::ConfigMap, Kind::Deployment]);
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let err = decode_manifests("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n");
        assert!(
            matches!(err, Err(DecodeError::Syntax { line, .. }) if line > 0),
            "{err:?}"
        );
    }

    /// The path the decoder used to track (`serde_path_to_error`, one wrapper per decoded type).
    fn tracked_decode(kind: Kind, value: &Value) -> Result<(), (String, String)> {
        macro_rules! decode_as {
            ($($variant:ident => $ty:ty),*) => {
                match kind {
                    $(Kind::$variant => serde_path_to_error::deserialize::<_, $ty>(value.clone())
                        .map(drop)
                        .map_err(|e| (e.path().to_string(), e.inner().to_string())),)*
                }
            };
        }
        use k8s_openapi::api::{
            apps::v1 as apps, batch::v1 as batch, core::v1 as core, networking::v1 as networking,
            policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling,
            storage::v1 as storage,
        };
        decode_as!(
            Namespace => core::Namespace, Node => core::Node, Pod => core::Pod,
            ReplicationController => core::ReplicationController, Service => core::Service,
            Endpoints => core::Endpoints, ConfigMap => core::ConfigMap, Secret => core::Secret,
            ServiceAccount => core::ServiceAccount, ResourceQuota => core::ResourceQuota,
            LimitRange => core::LimitRange, Event => core::Event, ReplicaSet => apps::ReplicaSet,
            Deployment => apps::Deployment, DaemonSet => apps::DaemonSet,
            StatefulSet => apps::StatefulSet, ControllerRevision => apps::ControllerRevision,
            Job => batch::Job, CronJob => batch::CronJob,
            PriorityClass => scheduling::PriorityClass,
            PodDisruptionBudget => policy::PodDisruptionBudget,
            PersistentVolume => core::PersistentVolume,
            PersistentVolumeClaim => core::PersistentVolumeClaim,
            StorageClass => storage::StorageClass,
            HorizontalPodAutoscaler => k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
            Ingress => networking::Ingress, IngressClass => networking::IngressClass,
            NetworkPolicy => networking::NetworkPolicy, Role => rbac::Role,
            ClusterRole => rbac::ClusterRole, RoleBinding => rbac::RoleBinding,
            ClusterRoleBinding => rbac::ClusterRoleBinding
        )
    }

    fn every_path(value: &Value, here: Vec<Step>, out: &mut Vec<Vec<Step>>) {
        let children: Vec<(Step, &Value)> = match value {
            Value::Object(map) => map.iter().map(|(k, v)| (Step::Key(k.clone()), v)).collect(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (Step::Index(i), v))
                .collect(),
            _ => Vec::new(),
        };
        for (step, child) in children {
            let mut path: Vec<Step> = here.iter().map(Step::duplicate).collect();
            path.push(step);
            every_path(child, path.iter().map(Step::duplicate).collect(), out);
            out.push(path);
        }
    }

    impl Step {
        fn duplicate(&self) -> Step {
            match self {
                Step::Key(k) => Step::Key(k.clone()),
                Step::Index(i) => Step::Index(*i),
            }
        }
    }

    const SAMPLES: &str = include_str!("../tests/data/decode-samples.yaml");

    /// Every field of a set of manifests, replaced in turn by a value of each wrong JSON type
    /// (and pairs of fields given the same wrong value, so that two identical errors compete):
    /// the path found after the fact equals the one tracked while decoding, error for error.
    #[test]
    fn error_path_matches_the_tracked_path() {
        let wrong = [
            json_value("\"x\""),
            json_value("7"),
            json_value("-1.5"),
            json_value("true"),
            json_value("[1]"),
            json_value("[\"a\", {\"b\": 1}]"),
            json_value("{\"a\": 1}"),
            json_value("{}"),
        ];
        let mut compared = 0;
        let mut type_errors = 0;
        for document in serde_norway::Deserializer::from_str(SAMPLES) {
            let Ok(mut original) = Value::deserialize(document) else {
                panic!("sample YAML")
            };
            normalise_quantities(&mut original, "");
            let kind = original["kind"]
                .as_str()
                .and_then(|k| Kind::from_type(original["apiVersion"].as_str().unwrap_or(""), k));
            let Some(kind) = kind else {
                panic!("sample kind {}", original["kind"])
            };
            assert_eq!(
                typed_decode(kind, &original).err(),
                None,
                "the sample itself decodes"
            );
            let mut paths = Vec::new();
            every_path(&original, Vec::new(), &mut paths);
            paths.retain(
                |p| !matches!(p.first(), Some(Step::Key(k)) if k == "kind" || k == "apiVersion"),
            );
            let mut check = |mutant: &Value| {
                let tracked = tracked_decode(kind, mutant);
                let found = typed_decode(kind, mutant).map(drop);
                match (&tracked, &found) {
                    (Err((tracked_path, message)), Err((found_path, found_message))) => {
                        assert_eq!(message, found_message);
                        if message.starts_with("invalid type: ") {
                            type_errors += 1;
                            assert_eq!(found_path, tracked_path, "{message} in {mutant}");
                            assert_eq!(
                                go_type_error(kind, found_path, message),
                                go_type_error(kind, tracked_path, message)
                            );
                        }
                    }
                    _ => assert_eq!(
                        tracked.is_ok(),
                        found.is_ok(),
                        "{tracked:?} {found:?} for {mutant}"
                    ),
                }
                compared += 1;
            };
            for (i, path) in paths.iter().enumerate() {
                for bad in &wrong {
                    let mut mutant = original.clone();
                    if let Some(node) = node_at(&mut mutant, path) {
                        *node = bad.clone();
                    }
                    check(&mutant);
                    // The same wrong value at a later field too: two identical error texts.
                    if let Some(other) = paths.get(i * 7 % paths.len()) {
                        if let Some(node) = node_at(&mut mutant, other) {
                            *node = bad.clone();
                        }
                        check(&mutant);
                    }
                }
            }
        }
        assert!(
            compared > 1000 && type_errors > 500,
            "{compared} mutants, {type_errors} type errors"
        );
    }

    fn json_value(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    #[test]
    fn never_panics_on_odd_documents() {
        for text in [
            "",
            "- 1\n- 2",
            "42",
            "kind: 3",
            "{",
            ":\n:",
            "apiVersion: v1\nkind: Pod\nspec: 3",
        ] {
            let _ = decode_manifests(text);
        }
    }
}
