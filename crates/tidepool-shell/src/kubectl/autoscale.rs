//! `kubectl autoscale (TYPE NAME | TYPE/NAME) --max=N [--min=N] [--cpu-percent=N] [--name=X]`
//! as v1.32's `cmd/autoscale` does it: validate the flags, look the target up, check it has a
//! scale subresource, then create an autoscaling/v2 HorizontalPodAutoscaler (the v1 fallback
//! is never needed here: the playground serves v2).

use super::apply::one_target;
use super::generate::finish;
use super::{FlagSpec, KResult, f, namespace, parse_flags};
use crate::Session;
use serde_json::{Value, json};
use tidepool_core::Kind;

const SPECS: &[FlagSpec] = &[
    f("min", None, true),
    f("max", None, true),
    f("cpu-percent", None, true),
    f("name", None, true),
    f("dry-run", None, true),
    f("output", Some('o'), true),
    f("save-config", None, false),
    f("record", None, false),
    f("field-manager", None, true),
    f("show-managed-fields", None, false),
    f("filename", Some('f'), true),
];

/// An int32 flag as pflag parses it (`-1` when absent, kubectl's default).
fn int_flag(flags: &super::Flags, name: &str) -> Result<i32, String> {
    match flags.get(name) {
        None => Ok(-1),
        Some(text) => text.parse().map_err(|_| {
            format!(
                "Error: invalid argument \"{text}\" for \"--{name}\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax\nSee 'kubectl autoscale --help' for usage.\n"
            )
        }),
    }
}

pub fn autoscale(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    let flags = parse_flags(args, SPECS, "autoscale")?;
    if flags.get("max").is_none() {
        return Err("error: required flag(s) \"max\" not set\n".to_owned());
    }
    let min = int_flag(&flags, "min")?;
    let max = int_flag(&flags, "max")?;
    let cpu_percent = int_flag(&flags, "cpu-percent")?;
    if max < 1 {
        return Err(format!(
            "error: --max=MAXPODS is required and must be at least 1, max: {max}\n"
        ));
    }
    if max < min {
        return Err(format!(
            "error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: {max}, min: {min}\n"
        ));
    }
    let files = flags.all("filename");
    if !files.is_empty() {
        // `-f`: every object of the files, each autoscaled in turn (kubectl's visitor).
        let mut out = crate::exec::Res::out(String::new());
        out.chunks.clear();
        for loaded in super::apply::load(session, &files, stdin, false) {
            let (kind, name, ns) = match loaded {
                super::apply::Loaded::Object(_, object) => (
                    object.kind(),
                    object.name().to_owned(),
                    object.namespace().to_owned(),
                ),
                super::apply::Loaded::Error(e) => return Err(e),
            };
            let ns = if ns.is_empty() {
                namespace(session, &flags)
            } else {
                ns
            };
            let res = autoscale_one(session, &flags, kind, &name, &ns, (min, max, cpu_percent))?;
            out.chunks.extend(res.chunks);
        }
        return Ok(out);
    }
    let (kind, name) = one_target(&flags, "autoscale")?;
    let ns = namespace(session, &flags);
    autoscale_one(session, &flags, kind, &name, &ns, (min, max, cpu_percent))
}

/// Creates (or prints) the autoscaler of one target.
fn autoscale_one(
    session: &mut Session,
    flags: &super::Flags,
    kind: Kind,
    name: &str,
    ns: &str,
    (min, max, cpu_percent): (i32, i32, i32),
) -> KResult {
    super::check(session, "get", kind, ns, name)?;
    session
        .sim
        .api()
        .get_ref(kind, ns, name)
        .map_err(|e| super::api_error(&e, None))?;
    if !matches!(
        kind,
        Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::ReplicationController
    ) {
        let group_version = match kind.group() {
            "" => format!("/{}", kind.api_version()),
            _ => kind.api_version().to_owned(),
        };
        return Err(format!(
            "error: cannot autoscale a {}: could not find scale subresource for {group_version}, Resource={} in discovery information\n",
            kind.name(),
            kind.plural()
        ));
    }
    let hpa_name = flags
        .get("name")
        .filter(|n| !n.is_empty())
        .unwrap_or(name)
        .to_owned();
    let mut spec = json!({
        "maxReplicas": max,
        "scaleTargetRef": {
            "apiVersion": kind.api_version(),
            "kind": kind.name(),
            "name": name,
        },
    });
    if min > 0 {
        spec["minReplicas"] = json!(min);
    }
    if cpu_percent >= 0 {
        spec["metrics"] = json!([{
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": cpu_percent},
            },
        }]);
    }
    // The Go struct's status prints `currentMetrics` (no omitempty) and `desiredReplicas`.
    let value = json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"creationTimestamp": Value::Null, "name": hpa_name},
        "spec": spec,
        "status": {"currentMetrics": Value::Null, "desiredReplicas": 0},
    });
    let verb = if flags.get("dry-run") == Some("client") {
        "created"
    } else {
        "autoscaled"
    };
    let mut value = value;
    if verb == "autoscaled" {
        // What is sent to the apiserver: the status is ignored on create.
        if let Some(map) = value.as_object_mut() {
            map.remove("status");
        }
    }
    if kind.namespaced() && verb == "autoscaled" {
        value["metadata"]["namespace"] = json!(ns);
    }
    finish(session, flags, value, Kind::HorizontalPodAutoscaler, verb)
}
