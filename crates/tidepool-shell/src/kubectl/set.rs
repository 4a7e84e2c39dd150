//! `kubectl set env|image|resources|selector|serviceaccount`: on live objects (by argument
//! or `-f`), or with `--local` on the objects of `-f` files, printed without contacting the
//! cluster. Changing a workload's pod template starts a rollout through the simulated
//! controllers, exactly as the real patch does.

use super::apply::template_ptr;
use super::local::{self, Target};
use super::resources::resolve_type;
use super::{FlagSpec, Flags, KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::{Map, Value, json};
use std::time::Duration;
use tidepool_core::{Kind, Object};

pub fn set(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        None => Err(
            "error: Required resource not specified.\nSee 'kubectl set -h' for help and examples\n"
                .to_owned(),
        ),
        Some("env") => env(session, rest, stdin),
        Some("resources") => resources(session, rest, stdin),
        Some("image") => image(session, rest, stdin),
        Some("selector") => selector(session, rest, stdin),
        Some("serviceaccount" | "sa") => service_account(session, rest, stdin),
        Some(sub) => Err(format!(
            "error: \"kubectl set {sub}\" is not available in this playground yet\n"
        )),
    }
}

const ENV_SPECS: &[FlagSpec] = &[
    f("all", None, false),
    f("selector", Some('l'), true),
    f("containers", Some('c'), true),
    f("env", Some('e'), true),
    f("list", None, false),
    f("resolve", None, false),
    f("from", None, true),
    f("prefix", None, true),
    f("keys", None, true),
    f("overwrite", None, false),
    f("output", Some('o'), true),
    f("dry-run", None, true),
    f("local", None, false),
    f("filename", Some('f'), true),
    f("recursive", Some('R'), false),
];

const RESOURCES_SPECS: &[FlagSpec] = &[
    f("all", None, false),
    f("selector", Some('l'), true),
    f("containers", Some('c'), true),
    f("limits", None, true),
    f("requests", None, true),
    f("output", Some('o'), true),
    f("dry-run", None, true),
    f("local", None, false),
    f("filename", Some('f'), true),
    f("recursive", Some('R'), false),
];

/// The objects named by `TYPE NAME...`, `TYPE/NAME...`, `TYPE --all` or `TYPE -l sel`.
fn targets(
    session: &Session,
    flags: &Flags,
    resources: &[String],
    command: &str,
) -> Result<Vec<Object>, String> {
    let ns = namespace(session, flags);
    if resources.is_empty() {
        return Err(if command == "set env" {
            "error: one or more resources must be specified as <resource> <name> or <resource>/<name>\n".to_owned()
        } else {
            "error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n".to_owned()
        });
    }
    let lookup = |kind: Kind, name: &str| {
        let scope = if kind.namespaced() { ns.as_str() } else { "" };
        super::check(session, "get", kind, scope, name)?;
        session
            .sim
            .api()
            .get(kind, &ns, name)
            .map_err(|e| super::api_error(&e, None))
    };
    let mut out = Vec::new();
    if resources.iter().any(|r| r.contains('/')) {
        for r in resources {
            let Some((ty, name)) = r.split_once('/') else {
                return Err("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'\n".to_owned());
            };
            let t = resolve_type(ty).ok_or_else(|| {
                format!("error: the server doesn't have a resource type \"{ty}\"\n")
            })?;
            out.push(lookup(t.kind, name)?);
        }
        return Ok(out);
    }
    let types = &resources[0];
    let names = &resources[1..];
    let selector = match flags.get("selector") {
        Some(s) if !s.is_empty() => Some(super::json::parse_selector(s)?),
        _ => None,
    };
    if names.is_empty() && !flags.bool("all") && selector.is_none() {
        return Err(format!(
            "error: resource(s) were provided, but no name was specified\nSee 'kubectl {command} -h' for help and examples\n"
        ));
    }
    for ty in types.split(',') {
        let t = resolve_type(ty)
            .ok_or_else(|| format!("error: the server doesn't have a resource type \"{ty}\"\n"))?;
        if flags.bool("all") || selector.is_some() {
            let scope = if t.kind.namespaced() { ns.as_str() } else { "" };
            super::check(session, "list", t.kind, scope, "")?;
            for o in session
                .sim
                .api()
                .list(t.kind, t.kind.namespaced().then_some(ns.as_str()))
            {
                let keep = selector
                    .as_ref()
                    .is_none_or(|s| super::json::selector_matches(s, &o.to_json()));
                if keep {
                    out.push(o);
                }
            }
        }
        for n in names {
            out.push(lookup(t.kind, n)?);
        }
    }
    Ok(out)
}

/// Containers (and init containers) of a pod spec matching `-c` (a glob, `*` by default).
fn matching_containers<'a>(
    spec: &'a mut Value,
    selector: &str,
) -> Vec<(&'static str, &'a mut Value)> {
    let mut out = Vec::new();
    let Some(spec) = spec.as_object_mut() else {
        return out;
    };
    let mut init = None;
    let mut main = None;
    for (key, list) in spec.iter_mut() {
        match key.as_str() {
            "initContainers" => init = list.as_array_mut(),
            "containers" => main = list.as_array_mut(),
            _ => {}
        }
    }
    // kubectl's order: the containers, then the init containers (`--list` calls both
    // "container").
    for (label, list) in [("container", main), ("container", init)] {
        for c in list.into_iter().flatten() {
            let name = c.get("name").and_then(Value::as_str).unwrap_or("");
            if crate::exec::glob_match(selector, name) {
                out.push((label, c));
            }
        }
    }
    out
}

/// What `--local` makes of resource arguments: an error (`set image|resources|selector`) or
/// nothing (`set env|serviceaccount` only read `-f` then).
#[derive(Clone, Copy, PartialEq)]
enum LocalArgs {
    Reject,
    Ignore,
}

/// The objects a `set` command edits: files' objects with `--local`; otherwise the live objects
/// named by `-f` files and by arguments. Errors about single objects are collected.
fn set_targets(
    session: &Session,
    flags: &Flags,
    stdin: &str,
    resources: &[String],
    command: &str,
    local_args: LocalArgs,
) -> Result<(Vec<Target>, Vec<String>), String> {
    let has_files = flags.has("filename");
    if flags.bool("local") {
        if local::dry_run(flags)? == Some("server") {
            return Err("error: cannot specify --local and --dry-run=server - did you mean --dry-run=client?\n".to_owned());
        }
        if local_args == LocalArgs::Reject && !resources.is_empty() {
            return Err(local::LOCAL_RESOURCE_ERROR.to_owned());
        }
        if !has_files {
            return Err(local::NO_RESOURCES.to_owned());
        }
        return Ok(local::file_targets(session, flags, stdin, true));
    }
    let (mut found, errors) = if has_files {
        local::file_targets(session, flags, stdin, false)
    } else {
        (Vec::new(), Vec::new())
    };
    if !resources.is_empty() || !has_files {
        found.extend(
            targets(session, flags, resources, command)?
                .into_iter()
                .map(Target::live),
        );
    }
    Ok((found, errors))
}

/// kubectl's error for an object without a pod spec.
fn no_pod_spec(target: &Target) -> String {
    format!(
        "error: {} the object is not a pod or does not have a pod template: {}\n",
        target.display,
        target.go_type()
    )
}

/// The pod spec of a pod or workload (JSON pointer), or kubectl's error.
fn pod_spec_ptr(target: &Target) -> Result<&'static str, String> {
    target
        .kind
        .and_then(template_ptr)
        .filter(|ptr| target.value.pointer(ptr).is_some())
        .ok_or_else(|| no_pod_spec(target))
}

/// `IsEnvironmentArgument` or a `KEY-` removal.
fn is_env_arg(arg: &str) -> bool {
    arg.contains('=') || arg.ends_with('-')
}

fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '-' | '.' | '_'))
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// kubectl's `keyToEnvName`: non-alphanumerics to `_`, upper case.
fn key_to_env_name(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `# NAME from configmap x, key k` for `--list` (apimachinery's `GetEnvVarRefString`).
fn env_ref_text(from: &Value) -> String {
    let s = |p: &str| from.pointer(p).and_then(Value::as_str).unwrap_or("");
    if from.get("configMapKeyRef").is_some() {
        format!(
            "configmap {}, key {}",
            s("/configMapKeyRef/name"),
            s("/configMapKeyRef/key")
        )
    } else if from.get("secretKeyRef").is_some() {
        format!(
            "secret {}, key {}",
            s("/secretKeyRef/name"),
            s("/secretKeyRef/key")
        )
    } else if from.get("fieldRef").is_some() {
        format!("field path {}", s("/fieldRef/fieldPath"))
    } else if from.get("resourceFieldRef").is_some() {
        let container = s("/resourceFieldRef/containerName");
        let prefix = if container.is_empty() {
            String::new()
        } else {
            format!("{container}/")
        };
        format!("resource field {prefix}{}", s("/resourceFieldRef/resource"))
    } else {
        "invalid source".to_owned()
    }
}

pub fn env(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    let flags = parse_flags(args, ENV_SPECS, "set env")?;
    let ns = namespace(session, &flags);
    // Resources come first, then environment changes (kubectl's SplitEnvironmentFromResources).
    let mut resources = Vec::new();
    let mut env_args: Vec<String> = Vec::new();
    for a in &flags.args {
        if is_env_arg(a) {
            env_args.push(a.clone());
        } else if env_args.is_empty() {
            resources.push(a.clone());
        } else {
            return Err(format!(
                "error: all resources must be specified before environment changes: {}\n",
                flags.args.join(" ")
            ));
        }
    }
    // `-e` values come before the positional ones (kubectl appends the arguments to EnvParams).
    let env_args: Vec<String> = flags.all("env").into_iter().chain(env_args).collect();
    let mut set_vars: Vec<Value> = Vec::new();
    let mut remove: Vec<String> = Vec::new();
    for a in &env_args {
        if a == "-" {
            for line in stdin.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    set_vars.push(json!({ "name": k, "value": v }));
                }
            }
            continue;
        }
        if let Some((k, v)) = a.split_once('=') {
            if !valid_env_name(k) {
                return Err(format!(
                    "error: \"{k}\" is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')\n"
                ));
            }
            set_vars.push(json!({ "name": k, "value": v }));
        } else if let Some(k) = a.strip_suffix('-') {
            remove.push(k.to_owned());
        }
    }
    if set_vars.iter().any(|v| {
        remove
            .iter()
            .any(|r| v.get("name").and_then(Value::as_str) == Some(r))
    }) {
        return Err(
            "error: can not both modify and remove the same environment variable in the same command\n"
                .to_owned(),
        );
    }
    if let Some(from) = flags.get("from") {
        let (ty, name) = from.split_once('/').unwrap_or((from, ""));
        let kind = resolve_type(ty).map(|t| t.kind);
        let (kind, ref_field) = match kind {
            Some(Kind::ConfigMap) => (Kind::ConfigMap, "configMapKeyRef"),
            Some(Kind::Secret) => (Kind::Secret, "secretKeyRef"),
            _ => return Err("error: unsupported resource specified in --from\n".to_owned()),
        };
        super::check(session, "get", kind, &ns, name)?;
        let source = session
            .sim
            .api()
            .get(kind, &ns, name)
            .map_err(|e| super::api_error(&e, None))?
            .to_json();
        let keys_filter = flags.all("keys");
        let wanted: Vec<&str> = keys_filter
            .iter()
            .flat_map(|k| k.split(','))
            .filter(|k| !k.is_empty())
            .collect();
        let prefix = flags.get("prefix").unwrap_or("");
        let mut keys: Vec<String> = ["data", "binaryData"]
            .iter()
            .filter_map(|field| source.get(*field).and_then(Value::as_object))
            .flat_map(|m| m.keys().cloned())
            .filter(|k| wanted.is_empty() || wanted.contains(&k.as_str()))
            .collect();
        // kubectl walks a Go map here (random order); sorted keys keep the playground stable.
        tidepool_core::stable_sort::sort(&mut keys);
        keys.dedup();
        for key in keys {
            set_vars.push(json!({
                "name": format!("{prefix}{}", key_to_env_name(&key)),
                "valueFrom": { ref_field: { "name": name, "key": key } },
            }));
        }
    }
    let list = flags.bool("list");
    let (objects, mut errors) = set_targets(
        session,
        &flags,
        stdin,
        &resources,
        "set env",
        LocalArgs::Ignore,
    )?;
    let selector = flags.get("containers").unwrap_or("*").to_owned();
    let overwrite = !flags.has("overwrite") || flags.bool("overwrite");
    let mut res = Res::ok();
    for object in objects {
        let ptr = match pod_spec_ptr(&object) {
            Ok(ptr) => ptr,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let kind_text = object
            .value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let name = object
            .value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let mut v = object.value.clone();
        let Some(spec) = v.pointer_mut(ptr) else {
            continue;
        };
        let containers = matching_containers(spec, &selector);
        if containers.is_empty() {
            res.push_err(format!(
                "Warning: {kind_text}/{name} does not have any containers matching \"{selector}\"\n"
            ));
            continue;
        }
        let mut listing = String::new();
        let mut conflict = None;
        for (label, c) in containers {
            let existing: Vec<Value> = c
                .get("env")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !overwrite {
                for e in &existing {
                    let name = e.get("name").and_then(Value::as_str).unwrap_or("");
                    if set_vars
                        .iter()
                        .any(|s| s.get("name").and_then(Value::as_str) == Some(name))
                    {
                        let value = e.get("value").and_then(Value::as_str).unwrap_or("");
                        // kubectl wraps the patch error as "error: OBJECT\n ERR".
                        conflict = Some(format!(
                            "error: {}\n '{name}' already has a value ({value}), and --overwrite is false\n",
                            object.display
                        ));
                    }
                }
            }
            let updated = update_env(&existing, &set_vars, &remove);
            if list {
                listing.push_str(&format!(
                    "# {kind_text} {name}, {label} {}\n",
                    c.get("name").and_then(Value::as_str).unwrap_or("")
                ));
                for e in &updated {
                    let name = e.get("name").and_then(Value::as_str).unwrap_or("");
                    match e.get("valueFrom") {
                        Some(from) => {
                            listing.push_str(&format!("# {name} from {}\n", env_ref_text(from)));
                        }
                        None => listing.push_str(&format!(
                            "{name}={}\n",
                            e.get("value").and_then(Value::as_str).unwrap_or("")
                        )),
                    }
                }
                continue;
            }
            if let Some(obj) = c.as_object_mut() {
                if updated.is_empty() {
                    obj.remove("env");
                } else {
                    obj.insert("env".to_owned(), Value::Array(updated));
                }
            }
        }
        if let Some(e) = conflict {
            errors.push(e);
            continue;
        }
        if list {
            res.push_out(listing);
            continue;
        }
        // kubectl skips an object whose patch is empty.
        if v != object.value {
            local::save(session, &flags, &object, v, "env updated", &mut res)?;
        }
    }
    session.sim.advance(Duration::ZERO);
    local::report(&mut res, errors);
    Ok(res)
}

/// kubectl's `updateEnv`: replace in place, drop removed names, append new ones.
fn update_env(existing: &[Value], set: &[Value], remove: &[String]) -> Vec<Value> {
    let name_of = |v: &Value| {
        v.get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut covered: Vec<String> = remove.to_vec();
    let mut out = Vec::new();
    for e in existing {
        let name = name_of(e);
        if covered.contains(&name) {
            continue;
        }
        if let Some(newer) = set.iter().rev().find(|s| name_of(s) == name) {
            covered.push(name);
            out.push(newer.clone());
            continue;
        }
        out.push(e.clone());
    }
    for s in set {
        let name = name_of(s);
        if covered.contains(&name) {
            continue;
        }
        covered.push(name);
        out.push(s.clone());
    }
    out
}

/// `cpu=200m,memory=512Mi` into a resource list, with kubectl's error texts.
fn parse_resource_list(text: &str) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let Some((name, quantity)) = part.split_once('=') else {
            return Err(format!(
                "error: Invalid argument syntax {part}, expected <resource>=<value>\n"
            ));
        };
        let Some(amount) = tidepool_core::quantity::parse(quantity) else {
            return Err("error: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\n".to_owned());
        };
        // A resource.Quantity serialises canonically: 0.5 is 500m, 1024Mi is 1Gi.
        out.insert(name.to_owned(), json!(amount.to_canonical()));
    }
    Ok(out)
}

pub fn resources(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    let flags = parse_flags(args, RESOURCES_SPECS, "set resources")?;
    let (objects, mut errors) = set_targets(
        session,
        &flags,
        stdin,
        &flags.args,
        "set resources",
        LocalArgs::Reject,
    )?;
    let limits = parse_resource_list(flags.get("limits").unwrap_or(""))?;
    let requests = parse_resource_list(flags.get("requests").unwrap_or(""))?;
    if limits.is_empty() && requests.is_empty() {
        return Err("error: you must specify an update to requests or limits (in the form of --requests/--limits)\n".to_owned());
    }
    let selector = flags.get("containers").unwrap_or("*").to_owned();
    let mut res = Res::ok();
    for object in objects {
        let ptr = match pod_spec_ptr(&object) {
            Ok(ptr) => ptr,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut v = object.value.clone();
        let Some(spec) = v.pointer_mut(ptr) else {
            continue;
        };
        let containers = matching_containers(spec, &selector);
        if containers.is_empty() {
            errors.push(format!(
                "error: unable to find container named {selector}\n"
            ));
            continue;
        }
        for (_, c) in containers {
            let Some(c) = c.as_object_mut() else {
                continue;
            };
            let resources = c
                .entry("resources")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            let Some(resources) = resources else {
                continue;
            };
            for (field, values) in [("limits", &limits), ("requests", &requests)] {
                if values.is_empty() {
                    continue;
                }
                let entry = resources.entry(field).or_insert_with(|| json!({}));
                if let Some(map) = entry.as_object_mut() {
                    for (k, q) in values {
                        map.insert(k.clone(), q.clone());
                    }
                }
            }
        }
        if v != object.value {
            local::save(
                session,
                &flags,
                &object,
                v,
                "resource requirements updated",
                &mut res,
            )?;
        }
    }
    session.sim.advance(Duration::ZERO);
    local::report(&mut res, errors);
    Ok(res)
}

const IMAGE_SPECS: &[FlagSpec] = &[
    f("all", None, false),
    f("selector", Some('l'), true),
    f("filename", Some('f'), true),
    f("recursive", Some('R'), false),
    f("local", None, false),
    f("output", Some('o'), true),
    f("dry-run", None, true),
    f("record", None, false),
];

/// Sets `image` on the containers named `container` (`*`: all); whether one matched.
fn set_image(list: Option<&mut Value>, container: &str, image: &str) -> bool {
    let mut found = false;
    for c in list.and_then(Value::as_array_mut).into_iter().flatten() {
        if container == "*" || c.get("name").and_then(Value::as_str) == Some(container) {
            found = true;
            if let Some(c) = c.as_object_mut() {
                c.insert("image".to_owned(), json!(image));
            }
        }
    }
    found
}

pub fn image(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    let flags = parse_flags(args, IMAGE_SPECS, "set image")?;
    // Positionals: resource(s) first (TYPE NAME or TYPE/NAME...), then container=image pairs.
    let (resources, pairs): (Vec<String>, Vec<String>) =
        flags.args.iter().cloned().partition(|a| !a.contains('='));
    let (objects, mut errors) = set_targets(
        session,
        &flags,
        stdin,
        &resources,
        "set image",
        LocalArgs::Reject,
    )?;
    if pairs.is_empty() {
        let see = if flags.bool("local") {
            ""
        } else {
            "See 'kubectl set image -h' for help and examples\n"
        };
        return Err(format!(
            "error: at least one image update is required\n{see}"
        ));
    }
    let mut res = Res::ok();
    for object in objects {
        let ptr = match pod_spec_ptr(&object) {
            Ok(ptr) => ptr,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut v = object.value.clone();
        for pair in &pairs {
            let (container, image) = pair.split_once('=').unwrap_or((pair, ""));
            let init = set_image(
                v.pointer_mut(&format!("{ptr}/initContainers")),
                container,
                image,
            );
            let main = set_image(
                v.pointer_mut(&format!("{ptr}/containers")),
                container,
                image,
            );
            if !init && !main {
                errors.push(format!(
                    "error: unable to find container named \"{container}\"\n"
                ));
            }
        }
        if v != object.value {
            local::save(session, &flags, &object, v, "image updated", &mut res)?;
        }
    }
    session.sim.advance(Duration::ZERO);
    local::report(&mut res, errors);
    Ok(res)
}

const SELECTOR_SPECS: &[FlagSpec] = &[
    f("all", None, false),
    f("filename", Some('f'), true),
    f("recursive", Some('R'), false),
    f("local", None, false),
    f("output", Some('o'), true),
    f("dry-run", None, true),
    f("record", None, false),
    f("resource-version", None, true),
];

/// A label selector as `metav1.ParseToLabelSelector` splits it: `matchLabels` for `=`/`==`,
/// the rest as match expressions printed like Go's `%v` (`{app In [a b]}`).
fn split_selector(text: &str) -> Result<(Map<String, Value>, Vec<String>), String> {
    use super::json::Req;
    let mut labels = Map::new();
    let mut expressions = Vec::new();
    for req in super::json::parse_selector(text)? {
        match req {
            Req::Eq(k, v) => {
                labels.insert(k, json!(v));
            }
            Req::Ne(k, v) => expressions.push(format!("{{{k} NotIn [{v}]}}")),
            Req::In(k, vs) => expressions.push(format!("{{{k} In [{}]}}", vs.join(" "))),
            Req::NotIn(k, vs) => expressions.push(format!("{{{k} NotIn [{}]}}", vs.join(" "))),
            Req::Exists(k) => expressions.push(format!("{{{k} Exists []}}")),
            Req::NotExists(k) => expressions.push(format!("{{{k} DoesNotExist []}}")),
        }
    }
    Ok((labels, expressions))
}

pub fn selector(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    let flags = parse_flags(args, SELECTOR_SPECS, "set selector")?;
    // The last argument is the selector, the ones before it name resources.
    let (resources, selector) = match flags.args.split_last() {
        Some((selector, resources)) => (resources.to_vec(), Some(split_selector(selector)?)),
        None => (Vec::new(), None),
    };
    if flags.bool("local") && !resources.is_empty() {
        return Err(local::LOCAL_RESOURCE_ERROR.to_owned());
    }
    let Some((labels, expressions)) = selector else {
        return Err("error: one selector is required\n".to_owned());
    };
    let (objects, mut errors) = set_targets(
        session,
        &flags,
        stdin,
        &resources,
        "set selector",
        LocalArgs::Reject,
    )?;
    let mut res = Res::ok();
    for object in objects {
        if object.kind != Some(Kind::Service) {
            errors.push("error: setting a selector is only supported for Services\n".to_owned());
            continue;
        }
        if !expressions.is_empty() {
            errors.push(format!(
                "error: match expression [{}] not supported on this object\n",
                expressions.join(" ")
            ));
            continue;
        }
        let mut v = object.value.clone();
        if let Some(rv) = flags.get("resource-version")
            && let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.insert("resourceVersion".to_owned(), json!(rv));
        }
        if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("selector".to_owned(), Value::Object(labels.clone()));
        }
        local::save(session, &flags, &object, v, "selector updated", &mut res)?;
    }
    session.sim.advance(Duration::ZERO);
    local::report(&mut res, errors);
    Ok(res)
}

const SERVICE_ACCOUNT_SPECS: &[FlagSpec] = &[
    f("all", None, false),
    f("filename", Some('f'), true),
    f("recursive", Some('R'), false),
    f("local", None, false),
    f("output", Some('o'), true),
    f("dry-run", None, true),
    f("record", None, false),
];

pub fn service_account(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    let flags = parse_flags(args, SERVICE_ACCOUNT_SPECS, "set serviceaccount")?;
    let Some((account, resources)) = flags.args.split_last() else {
        return Err("error: serviceaccount is required\n".to_owned());
    };
    let (objects, mut errors) = set_targets(
        session,
        &flags,
        stdin,
        resources,
        "set serviceaccount",
        LocalArgs::Ignore,
    )?;
    let mut res = Res::ok();
    for object in objects {
        let ptr = match pod_spec_ptr(&object) {
            Ok(ptr) => ptr,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut v = object.value.clone();
        if let Some(spec) = v.pointer_mut(ptr).and_then(Value::as_object_mut) {
            spec.insert("serviceAccountName".to_owned(), json!(account));
        }
        // kubectl prints this one even when nothing changed.
        local::save(
            session,
            &flags,
            &object,
            v,
            "serviceaccount updated",
            &mut res,
        )?;
    }
    session.sim.advance(Duration::ZERO);
    local::report(&mut res, errors);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_updates_keep_order_replace_and_remove() {
        let existing = vec![
            json!({"name": "A", "value": "1"}),
            json!({"name": "B", "value": "2"}),
        ];
        let set = vec![
            json!({"name": "B", "value": "3"}),
            json!({"name": "C", "value": "4"}),
        ];
        let out = update_env(&existing, &set, &["A".to_owned()]);
        assert_eq!(out, vec![set[0].clone(), set[1].clone()]);
        assert_eq!(key_to_env_name("b.c-d"), "B_C_D");
        assert!(valid_env_name("my.env-name") && !valid_env_name("1A"));
        let list = parse_resource_list("cpu=0.5,memory=1024Mi,ephemeral-storage=1000m").unwrap();
        assert_eq!(
            Value::Object(list),
            json!({"cpu": "500m", "memory": "1Gi", "ephemeral-storage": "1"})
        );
    }
}
