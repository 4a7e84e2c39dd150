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
    let meta = value.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let Some(kind) = Kind::from_type(&api_version, &kind_name) else {
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
    let typed = typed_decode(kind, value.clone())
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

fn typed_decode(kind: Kind, value: Value) -> Result<Object, (String, String)> {
    macro_rules! decode_as {
        ($($variant:ident),*) => {
            match kind {
                $(Kind::$variant => serde_path_to_error::deserialize(value)
                    .map(Object::$variant)
                    .map_err(|e| (e.path().to_string(), e.inner().to_string())),)*
            }
        };
    }
    decode_as!(
        Namespace,
        Node,
        Pod,
        ReplicationController,
        Service,
        Endpoints,
        ConfigMap,
        Secret,
        ServiceAccount,
        ResourceQuota,
        LimitRange,
        Event,
        ReplicaSet,
        Deployment,
        DaemonSet,
        StatefulSet,
        ControllerRevision,
        Job,
        CronJob
    )
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
