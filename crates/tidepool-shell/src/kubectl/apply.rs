//! Commands that change the cluster: create -f, apply, delete, scale, set image, rollout,
//! expose, label and annotate.

use super::get::{kind_name, printable};
use super::resources::resolve_type;
use super::{FlagSpec, Flags, KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use tidepool_core::{ApiError, DecodeError, DeleteOptions, Kind, Object, Propagation};

fn server_error(e: &ApiError) -> String {
    super::api_error(e, None)
}

/// How `rollout restart`, `pause` and `resume` report a refused patch (their own wrapping,
/// so kubectl prints no `Error from server` prefix).
pub(super) fn failed_to_patch(e: &ApiError) -> String {
    format!("error: failed to patch: {}\n", e.message)
}

fn settle(session: &mut Session) {
    session.sim.advance(Duration::ZERO);
}

/// Objects from `-f` sources, each with the source name kubectl reports, or errors.
pub(super) enum Loaded {
    Object(String, Box<Object>),
    Error(String),
}

/// The texts of `-f` sources (`-` is stdin; a folder gives its .yaml/.yml/.json files), each
/// with the name kubectl reports, or kubectl's error for a source it cannot read.
pub(super) fn read_sources(
    session: &Session,
    sources: &[String],
    stdin: &str,
    recursive: bool,
) -> Vec<Result<(String, String), String>> {
    let mut out = Vec::new();
    for src in sources {
        if src == "-" {
            out.push(Ok(("STDIN".to_owned(), stdin.to_owned())));
        } else if src.starts_with("http://") || src.starts_with("https://") {
            out.push(Err(format!(
                "error: unable to read URL \"{src}\": this playground has no internet access\n"
            )));
        } else {
            let path = crate::vfs::resolve(&session.cwd, src);
            if session.vfs.is_dir(&path) {
                let candidates: Vec<String> = if recursive {
                    session.vfs.files_under(&path)
                } else {
                    session
                        .vfs
                        .children(&path)
                        .into_iter()
                        .filter(|(_, d)| !d)
                        .map(|(n, _)| format!("{}/{n}", path.trim_end_matches('/')))
                        .collect()
                };
                for file in candidates {
                    if [".yaml", ".yml", ".json"].iter().any(|e| file.ends_with(e)) {
                        let shown = if src.ends_with('/') {
                            format!("{src}{}", crate::vfs::basename(&file))
                        } else {
                            format!("{src}/{}", crate::vfs::basename(&file))
                        };
                        out.push(Ok((shown, session.vfs.read(&file).unwrap_or_default())));
                    }
                }
            } else {
                match session.vfs.read(&path) {
                    Ok(text) => out.push(Ok((src.clone(), text))),
                    Err(_) => out.push(Err(format!("error: the path \"{src}\" does not exist\n"))),
                }
            }
        }
    }
    out
}

pub(super) fn load(
    session: &Session,
    sources: &[String],
    stdin: &str,
    recursive: bool,
) -> Vec<Loaded> {
    let mut out = Vec::new();
    for source in read_sources(session, sources, stdin, recursive) {
        let (name, text) = match source {
            Ok(file) => file,
            Err(e) => {
                out.push(Loaded::Error(e));
                continue;
            }
        };
        match tidepool_core::decode_manifests(&text) {
            Ok(objects) => {
                out.extend(
                    objects
                        .into_iter()
                        .map(|o| Loaded::Object(name.clone(), Box::new(o))),
                );
            }
            Err(DecodeError::Syntax { line, message }) => {
                out.push(Loaded::Error(format!(
                        "error: error parsing {name}: error converting YAML to JSON: yaml: line {line}: {message}\n"
                    )));
            }
            Err(_) => {
                // Decode document by document so the good ones still go through.
                for document in serde_norway::Deserializer::from_str(&text) {
                    let Ok(value) = Value::deserialize(document) else {
                        break;
                    };
                    if value.is_null() {
                        continue;
                    }
                    match tidepool_core::decode::decode_value(value) {
                        Ok(o) => out.push(Loaded::Object(name.clone(), Box::new(o))),
                        Err(e) => out.push(Loaded::Error(decode_error(&name, &e))),
                    }
                }
            }
        }
    }
    out
}

fn decode_error(source: &str, e: &DecodeError) -> String {
    match e {
        DecodeError::Syntax { line, message } => format!(
            "error: error parsing {source}: error converting YAML to JSON: yaml: line {line}: {message}\n"
        ),
        DecodeError::MissingKind { .. } => format!(
            "error: error validating \"{source}\": error validating data: kind not set; if you choose to ignore these errors, turn validation off with --validate=false\n"
        ),
        DecodeError::MissingApiVersion { .. } => format!(
            "error: error validating \"{source}\": error validating data: apiVersion not set; if you choose to ignore these errors, turn validation off with --validate=false\n"
        ),
        DecodeError::NoKindMatch {
            kind,
            api_version,
            name,
            namespace,
        } => format!(
            "error: resource mapping not found for name: \"{name}\" namespace: \"{namespace}\" from \"{source}\": no matches for kind \"{kind}\" in version \"{api_version}\"\nensure CRDs are installed first\n"
        ),
        DecodeError::Invalid { .. } => {
            format!("Error from server (BadRequest): error when creating \"{source}\": {e}\n")
        }
    }
}

/// Puts the object in the command's namespace, or complains like kubectl when they differ.
fn place(session: &Session, flags: &Flags, object: &mut Object) -> Result<(), String> {
    if !object.kind().namespaced() {
        return Ok(());
    }
    let ns = namespace(session, flags);
    match object.meta().namespace.clone() {
        Some(own) if !own.is_empty() => {
            if flags.has("namespace") && own != ns {
                return Err(format!(
                    "error: the namespace from the provided object \"{own}\" does not match the namespace \"{ns}\". You must pass '--namespace={own}' to perform this operation.\n"
                ));
            }
        }
        _ => object.meta_mut().namespace = Some(ns),
    }
    Ok(())
}

const FILE_SPECS: &[FlagSpec] = &[
    f("filename", Some('f'), true),
    f("recursive", Some('R'), false),
    f("dry-run", None, true),
    f("output", Some('o'), true),
    f("save-config", None, false),
    f("validate", None, true),
    f("record", None, false),
    f("force", None, false),
    f("server-side", None, false),
    f("field-manager", None, true),
    f("prune", None, false),
    f("selector", Some('l'), true),
    f("overwrite", None, false),
];

pub fn create(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    if let Some(first) = args.iter().find(|a| !a.starts_with('-')) {
        let idx = args.iter().position(|a| a == first).unwrap_or(0);
        let before_is_value = idx > 0
            && matches!(
                args[idx - 1].as_str(),
                "-f" | "--filename" | "-n" | "--namespace" | "-o" | "--output"
            );
        if !before_is_value {
            let mut rest: Vec<String> = args[..idx].to_vec();
            rest.extend(args[idx + 1..].iter().cloned());
            if super::generate::CREATE_SUBCOMMANDS.contains(&first.as_str())
                || [
                    "deploy",
                    "ns",
                    "cm",
                    "cj",
                    "svc",
                    "sa",
                    "resourcequota",
                    "pc",
                    "pdb",
                    "ing",
                ]
                .contains(&first.as_str())
            {
                return super::generate::create_sub(session, first, &rest);
            }
            return Err(format!(
                "error: Unexpected args: [{first}]\nSee 'kubectl create -h' for help and examples\n"
            ));
        }
    }
    from_files(session, args, stdin, "create")
}

pub fn apply(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    from_files(session, args, stdin, "apply")
}

fn from_files(session: &mut Session, args: &[String], stdin: &str, verb: &str) -> KResult {
    let flags = parse_flags(args, FILE_SPECS, verb)?;
    let sources = flags.all("filename");
    if sources.is_empty() {
        return Err("error: must specify one of -f and -k\n".to_owned());
    }
    let dry = match flags.get("dry-run") {
        Some("client") | Some("true") => Some(" (dry run)"),
        Some("server") => Some(" (server dry run)"),
        _ => None,
    };
    let output = flags.get("output").unwrap_or("");
    let mut res = Res::ok();
    let mut failed = false;
    // kubectl visits every object and reports the errors at the end (ContinueOnError).
    let mut errors: Vec<String> = Vec::new();
    let loaded = load(session, &sources, stdin, flags.bool("recursive"));
    if loaded.is_empty() {
        return Err("error: no objects passed to ".to_owned() + verb + "\n");
    }
    for item in loaded {
        let (source, mut object) = match item {
            Loaded::Error(e) => {
                errors.push(e);
                failed = true;
                continue;
            }
            Loaded::Object(s, o) => (s, *o),
        };
        if let Err(e) = place(session, &flags, &mut object) {
            errors.push(e);
            failed = true;
            continue;
        }
        let kind = object.kind();
        let name = object.name().to_owned();
        if let Some(suffix) = dry {
            let value = printable(&object);
            let op = if verb == "apply" {
                let exists = session
                    .sim
                    .api()
                    .get_ref(kind, object.namespace(), &name)
                    .is_ok();
                if exists { "configured" } else { "created" }
            } else {
                "created"
            };
            match super::generate::print_object(
                &value,
                kind,
                &name,
                output,
                &format!("{op}{suffix}"),
            ) {
                Ok(r) => res.chunks.extend(r.chunks),
                Err(e) => return Err(e),
            }
            continue;
        }
        let result = if verb == "apply" {
            session
                .sim
                .api_mut()
                .apply(object)
                .map(|(o, outcome)| (o, outcome.as_str()))
        } else {
            session.sim.api_mut().create(object).map(|o| (o, "created"))
        };
        match result {
            Ok((o, op)) => {
                let r = super::generate::print_object(&printable(&o), kind, &name, output, op)?;
                res.chunks.extend(r.chunks);
            }
            Err(e) => {
                errors.push(super::api_error(
                    &e,
                    Some(&format!("error when creating \"{source}\": ")),
                ));
                failed = true;
            }
        }
    }
    for e in errors {
        res.push_err(e);
    }
    settle(session);
    if failed {
        res.code = 1;
    }
    Ok(res)
}

/// `--cascade` of delete and replace --force.
fn cascade(flags: &Flags) -> Result<Propagation, String> {
    match flags.get("cascade") {
        None | Some("background") | Some("true") => Ok(Propagation::Background),
        Some("foreground") => Ok(Propagation::Foreground),
        Some("orphan") | Some("false") => Ok(Propagation::Orphan),
        Some(other) => Err(format!(
            "error: invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\"\n"
        )),
    }
}

const REPLACE_SPECS: &[FlagSpec] = &[
    f("filename", Some('f'), true),
    f("recursive", Some('R'), false),
    f("force", None, false),
    f("grace-period", None, true),
    f("timeout", None, true),
    f("wait", None, false),
    f("cascade", None, true),
    f("dry-run", None, true),
    f("output", Some('o'), true),
    f("save-config", None, false),
    f("validate", None, true),
    f("field-manager", None, true),
];

/// `kubectl replace -f FILE`: a PUT of each object (it must exist; a `resourceVersion` in
/// the file must be the current one). `--force` deletes each object, waits until it is gone,
/// and creates it again: the way round fields an update may not change (a pod's spec).
pub fn replace(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    let flags = parse_flags(args, REPLACE_SPECS, "replace")?;
    let force = flags.bool("force");
    let dry = match flags.get("dry-run") {
        None | Some("none") | Some("false") => None,
        Some("client") | Some("true") => Some(" (dry run)"),
        Some("server") => Some(" (server dry run)"),
        Some(other) => {
            return Err(format!(
                "error: Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\".\n"
            ));
        }
    };
    if force && dry.is_some() {
        return Err("error: --dry-run can not be used when --force is set\n".to_owned());
    }
    let sources = flags.all("filename");
    if sources.is_empty() {
        return Err("error: must specify one of -f and -k\n".to_owned());
    }
    let grace: i64 = match flags.get("grace-period") {
        None => -1,
        Some(g) => g.parse().map_err(|_| {
            format!("Error: invalid argument \"{g}\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"{g}\": invalid syntax\nSee 'kubectl replace --help' for usage.\n")
        })?,
    };
    let timeout = match flags.get("timeout") {
        None => Duration::ZERO,
        Some(t) => crate::duration::parse_go_duration(t).ok_or_else(|| {
            format!("Error: invalid argument \"{t}\" for \"--timeout\" flag: time: invalid duration \"{t}\"\nSee 'kubectl replace --help' for usage.\n")
        })?,
    };
    if grace >= 0 && !force {
        return Err("error: --grace-period must have --force specified\n".to_owned());
    }
    if !timeout.is_zero() && !force {
        return Err("error: --timeout must have --force specified\n".to_owned());
    }
    let output = flags.get("output").unwrap_or("").to_owned();
    let mut res = Res::ok();
    let mut objects = Vec::new();
    for item in load(session, &sources, stdin, flags.bool("recursive")) {
        match item {
            Loaded::Error(e) => {
                res.push_err(e);
                res.code = 1;
            }
            Loaded::Object(source, mut object) => {
                if let Err(e) = place(session, &flags, &mut object) {
                    res.push_err(e);
                    res.code = 1;
                    continue;
                }
                objects.push((source, *object));
            }
        }
    }
    if force {
        // kubectl turns --grace-period=0 into 1 here, to not lose data by accident.
        let grace = match grace {
            0 => Some(1),
            g if g > 0 => Some(g),
            _ => None,
        };
        let timeout = if timeout.is_zero() {
            Duration::from_secs(300)
        } else {
            timeout
        };
        force_replace(session, &flags, objects, grace, timeout, &output, res)
    } else {
        for (source, object) in objects {
            let (kind, name) = (object.kind(), object.name().to_owned());
            if let Some(suffix) = dry {
                let r = super::generate::print_object(
                    &printable(&object),
                    kind,
                    &name,
                    &output,
                    &format!("replaced{suffix}"),
                )?;
                res.chunks.extend(r.chunks);
                continue;
            }
            match session.sim.api_mut().update(object) {
                Ok(o) => {
                    let r = super::generate::print_object(
                        &printable(&o),
                        kind,
                        &name,
                        &output,
                        "replaced",
                    )?;
                    res.chunks.extend(r.chunks);
                }
                Err(e) => {
                    res.push_err(super::api_error(
                        &e,
                        Some(&format!("error when replacing \"{source}\": ")),
                    ));
                    res.code = 1;
                }
            }
        }
        settle(session);
        Ok(res)
    }
}

/// `replace --force`: kubectl's `forceReplace`: delete (a missing object is fine), poll every
/// second until each is gone, then create them all; the first failure ends the command.
fn force_replace(
    session: &mut Session,
    flags: &Flags,
    objects: Vec<(String, Object)>,
    grace: Option<i64>,
    timeout: Duration,
    output: &str,
    mut res: Res,
) -> KResult {
    let propagation = cascade(flags)?;
    let options = DeleteOptions {
        propagation,
        grace_period_seconds: grace,
    };
    let mut deleted = Vec::new();
    for (_, object) in &objects {
        let (kind, ns, name) = (object.kind(), object.namespace(), object.name());
        match session.sim.api_mut().delete(kind, ns, name, &options) {
            Ok(gone) => {
                res.push_out(format!(
                    "{} \"{name}\" deleted\n",
                    kind.qualified_singular()
                ));
                deleted.push((kind, ns.to_owned(), name.to_owned(), gone.uid().to_owned()));
            }
            Err(e) if e.reason == tidepool_core::StatusReason::NotFound => {}
            Err(e) => {
                res.push_err(server_error(&e));
                res.code = 1;
                return Ok(res);
            }
        }
    }
    settle(session);
    let mut waited = Duration::ZERO;
    while deleted
        .iter()
        .any(|(k, ns, n, uid)| super::still_stored(session, *k, ns, n, uid))
    {
        if waited >= timeout {
            res.push_err("error: timed out waiting for the condition\n");
            res.code = 1;
            return Ok(res);
        }
        session.sim.advance(Duration::from_secs(1));
        waited += Duration::from_secs(1);
    }
    let mut count = 0;
    for (_, mut object) in objects {
        let (kind, name) = (object.kind(), object.name().to_owned());
        // A create takes no resourceVersion: the old object's is stale now.
        object.meta_mut().resource_version = None;
        match session.sim.api_mut().create(object) {
            Ok(o) => {
                count += 1;
                let r =
                    super::generate::print_object(&printable(&o), kind, &name, output, "replaced")?;
                res.chunks.extend(r.chunks);
            }
            Err(e) => {
                res.push_err(server_error(&e));
                res.code = 1;
                return Ok(res);
            }
        }
    }
    settle(session);
    if count == 0 && res.code == 0 {
        return Err("error: no objects passed to replace\n".to_owned());
    }
    Ok(res)
}

const DELETE_SPECS: &[FlagSpec] = &[
    f("filename", Some('f'), true),
    f("recursive", Some('R'), false),
    f("selector", Some('l'), true),
    f("all", None, false),
    f("all-namespaces", Some('A'), false),
    f("force", None, false),
    f("grace-period", None, true),
    f("now", None, false),
    f("cascade", None, true),
    f("wait", None, false),
    f("ignore-not-found", None, false),
    f("output", Some('o'), true),
    f("dry-run", None, true),
    f("timeout", None, true),
];

pub fn delete(session: &mut Session, args: &[String], stdin: &str) -> KResult {
    let flags = parse_flags(args, DELETE_SPECS, "delete")?;
    let ns = namespace(session, &flags);
    let mut targets: Vec<(Kind, String, String)> = Vec::new();
    let mut res = Res::ok();
    let mut failed = false;
    if flags.has("filename") {
        for item in load(
            session,
            &flags.all("filename"),
            stdin,
            flags.bool("recursive"),
        ) {
            match item {
                Loaded::Error(e) => {
                    res.push_err(e);
                    failed = true;
                }
                Loaded::Object(_, o) => {
                    let ns = if o.namespace().is_empty() {
                        ns.clone()
                    } else {
                        o.namespace().to_owned()
                    };
                    targets.push((o.kind(), ns, o.name().to_owned()));
                }
            }
        }
    } else {
        let Some(first) = flags.args.first() else {
            return Err("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n".to_owned());
        };
        let mut typed: Vec<(Kind, Option<String>)> = Vec::new();
        if first.contains('/') {
            for a in &flags.args {
                let (ty, name) = a.split_once('/').unwrap_or((a, ""));
                let t = resolve_type(ty).ok_or_else(|| {
                    format!("error: the server doesn't have a resource type \"{ty}\"\n")
                })?;
                typed.push((t.kind, Some(name.to_owned())));
            }
        } else {
            let mut kinds = Vec::new();
            for ty in first.split(',') {
                // kubectl's "all" category: the workload types, in discovery order.
                if ty == "all" {
                    kinds.extend(super::resources::ALL.iter().copied());
                    continue;
                }
                let t = resolve_type(ty).ok_or_else(|| {
                    format!("error: the server doesn't have a resource type \"{ty}\"\n")
                })?;
                kinds.push(t.kind);
            }
            let names = &flags.args[1..];
            if names.is_empty() && !flags.bool("all") && !flags.has("selector") {
                return Err(
                    "error: resource(s) were provided, but no name was specified\n".to_owned(),
                );
            }
            for k in kinds {
                if names.is_empty() {
                    typed.push((k, None));
                }
                for n in names {
                    typed.push((k, Some(n.clone())));
                }
            }
        }
        let selector = match flags.get("selector") {
            Some(s) => Some(super::json::parse_selector(s)?),
            None => None,
        };
        for (kind, name) in typed {
            match name {
                Some(n) => targets.push((kind, ns.clone(), n)),
                None => {
                    let scope = if flags.bool("all-namespaces") || !kind.namespaced() {
                        None
                    } else {
                        Some(ns.as_str())
                    };
                    super::check(session, "list", kind, scope.unwrap_or(""), "")?;
                    for o in session.sim.api().store().list(kind, scope) {
                        if selector
                            .as_ref()
                            .is_none_or(|s| super::json::selector_matches(s, &o.to_json()))
                        {
                            targets.push((kind, o.namespace().to_owned(), o.name().to_owned()));
                        }
                    }
                }
            }
        }
        if targets.is_empty() && !failed {
            // delete.go prints this to stdout, without the namespace.
            return Ok(Res::out("No resources found\n"));
        }
    }
    let force = flags.bool("force") || flags.bool("now");
    let grace: Option<i64> = match flags.get("grace-period") {
        Some(g) => Some(g.parse().map_err(|_| {
            format!("Error: invalid argument \"{g}\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"{g}\": invalid syntax\nSee 'kubectl delete --help' for usage.\n")
        })?),
        None if flags.bool("now") => Some(1),
        None => None,
    };
    let immediate = force && grace.is_none_or(|g| g == 0) || grace == Some(0);
    if immediate {
        res.push_err("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n");
    }
    let propagation = cascade(&flags)?;
    let options = DeleteOptions {
        propagation,
        grace_period_seconds: if immediate { Some(0) } else { grace },
    };
    let ignore = flags.bool("ignore-not-found");
    let mut deleted = Vec::new();
    for (kind, ns, name) in targets {
        match session.sim.api_mut().delete(kind, &ns, &name, &options) {
            Ok(object) => {
                let word = if immediate {
                    "force deleted"
                } else {
                    "deleted"
                };
                res.push_out(format!("{} \"{name}\" {word}\n", kind.qualified_singular()));
                deleted.push((kind, ns, name, object.uid().to_owned()));
            }
            Err(e) if ignore && e.reason == tidepool_core::StatusReason::NotFound => {}
            Err(e) => {
                res.push_err(server_error(&e));
                failed = true;
            }
        }
    }
    settle(session);
    // kubectl waits until the objects are gone (--wait defaults to true).
    if flags.get("wait") != Some("false") {
        for _ in 0..120 {
            let remaining = deleted
                .iter()
                .any(|(k, ns, n, uid)| super::still_stored(session, *k, ns, n, uid));
            if !remaining {
                break;
            }
            session.sim.advance(Duration::from_secs(1));
        }
    }
    if failed {
        res.code = 1;
    }
    Ok(res)
}

/// `TYPE NAME` or `TYPE/NAME` from the positional arguments.
pub(super) fn one_target(flags: &Flags, command: &str) -> Result<(Kind, String), String> {
    let (ty, name) = match flags.args.as_slice() {
        [one] if one.contains('/') => {
            let (t, n) = one.split_once('/').unwrap_or((one, ""));
            (t.to_owned(), n.to_owned())
        }
        [t, n, ..] => (t.clone(), n.clone()),
        [t] => {
            let t = resolve_type(t).ok_or_else(|| {
                format!("error: the server doesn't have a resource type \"{t}\"\n")
            })?;
            return Err(format!(
                "error: resource(s) were provided, but no name was specified\nSee 'kubectl {command} -h' for help and examples\n"
            ))
            .map(|()| (t.kind, String::new()));
        }
        [] => {
            return Err(format!(
                "error: you must specify the type of resource to {command}\nSee 'kubectl {command} -h' for help and examples\n"
            ));
        }
    };
    let t = resolve_type(&ty)
        .ok_or_else(|| format!("error: the server doesn't have a resource type \"{ty}\"\n"))?;
    Ok((t.kind, name))
}

const SCALE_SPECS: &[FlagSpec] = &[
    f("replicas", None, true),
    f("current-replicas", None, true),
    f("filename", Some('f'), true),
    f("selector", Some('l'), true),
    f("all", None, false),
    f("timeout", None, true),
    f("output", Some('o'), true),
    f("dry-run", None, true),
];

pub fn scale(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, SCALE_SPECS, "scale")?;
    let Some(replicas) = flags.get("replicas") else {
        return Err("error: required flag(s) \"replicas\" not set\n".to_owned());
    };
    let replicas: i32 = replicas.parse().map_err(|_| {
        format!("Error: invalid argument \"{replicas}\" for \"--replicas\" flag: strconv.ParseInt: parsing \"{replicas}\": invalid syntax\nSee 'kubectl scale --help' for usage.\n")
    })?;
    if replicas < 0 {
        return Err("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n".to_owned());
    }
    let (kind, name) = one_target(&flags, "scale")?;
    let ns = namespace(session, &flags);
    if !matches!(
        kind,
        Kind::Deployment | Kind::ReplicaSet | Kind::ReplicationController | Kind::StatefulSet
    ) {
        return Err(format!(
            "error: no objects passed to scale {}\n",
            kind.qualified_singular()
        ));
    }
    // The resource builder gets the object, then the scaler patches its scale subresource.
    super::check(session, "get", kind, &ns, &name)?;
    session
        .sim
        .api_mut()
        .scale(kind, &ns, &name, replicas)
        .map_err(|e| server_error(&e))?;
    settle(session);
    Ok(Res::out(format!("{} scaled\n", kind_name(kind, &name))))
}

/// Where a kind keeps its pod spec (JSON pointer).
pub(super) fn template_ptr(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Pod => Some("/spec"),
        Kind::Deployment
        | Kind::ReplicaSet
        | Kind::ReplicationController
        | Kind::DaemonSet
        | Kind::StatefulSet
        | Kind::Job => Some("/spec/template/spec"),
        Kind::CronJob => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

const ROLLOUT_SPECS: &[FlagSpec] = &[
    f("revision", None, true),
    f("to-revision", None, true),
    f("watch", Some('w'), false),
    f("timeout", None, true),
    f("output", Some('o'), true),
    f("selector", Some('l'), true),
    f("dry-run", None, true),
];

pub fn rollout(session: &mut Session, args: &[String]) -> KResult {
    let Some(sub) = args.first().cloned() else {
        return Err("error: Required resource not specified.\nSee 'kubectl rollout -h' for help and examples\n".to_owned());
    };
    let command = format!("rollout {sub}");
    let flags = parse_flags(&args[1..], ROLLOUT_SPECS, &command)?;
    let (kind, name) = one_target(&flags, &command)?;
    let ns = namespace(session, &flags);
    // Every rollout subcommand starts with a get of the object (the resource builder's).
    super::check(session, "get", kind, &ns, &name)?;
    if matches!(kind, Kind::DaemonSet | Kind::StatefulSet) {
        return super::rollout::workload(session, &sub, kind, &ns, &name, &flags);
    }
    if kind != Kind::Deployment {
        return Err(format!(
            "error: rollout {sub} for {} is not available in this playground yet\n",
            kind.plural()
        ));
    }
    let label = kind_name(kind, &name);
    let api_err = |e: ApiError| server_error(&e);
    match sub.as_str() {
        "status" => rollout_status(session, &ns, &name, flags.get("watch") != Some("false")),
        "history" => {
            session
                .sim
                .api()
                .get_ref(kind, &ns, &name)
                .map_err(api_err)?;
            // The revisions are the deployment's ReplicaSets.
            super::check(session, "list", Kind::ReplicaSet, &ns, "")?;
            let history =
                tidepool_core::rollout::history(session.sim.api(), &ns, &name).map_err(api_err)?;
            super::rollout::history_table(&label, &flags, history)
        }
        "undo" => {
            let to: i64 = match flags.get("to-revision") {
                Some(r) => r.parse().map_err(|_| {
                    format!("error: invalid argument \"{r}\" for \"--to-revision\" flag\n")
                })?,
                None => 0,
            };
            super::check(session, "list", Kind::ReplicaSet, &ns, "")?;
            let outcome = tidepool_core::rollout::rollback(session.sim.api_mut(), &ns, &name, to)
                .map_err(|e| match e {
                tidepool_core::rollout::RolloutError::Api(a) => server_error(&a),
                other => format!("error: {other}\n"),
            })?;
            settle(session);
            Ok(Res::out(match outcome {
                tidepool_core::rollout::RollbackOutcome::RolledBack => {
                    format!("{label} rolled back\n")
                }
                tidepool_core::rollout::RollbackOutcome::Skipped(r) => {
                    format!(
                        "{label} skipped rollback (current template already matches revision {r})\n"
                    )
                }
            }))
        }
        "pause" | "resume" => {
            let pause = sub == "pause";
            let current = session.sim.api().get(kind, &ns, &name).map_err(api_err)?;
            let paused = current
                .as_deployment()
                .and_then(|d| d.spec.as_ref())
                .and_then(|s| s.paused)
                .unwrap_or(false);
            if paused == pause {
                return Err(format!(
                    "error: {} is {}\n",
                    format_args!("deployments.apps \"{name}\""),
                    if pause {
                        "already paused"
                    } else {
                        "not paused"
                    }
                ));
            }
            tidepool_core::rollout::set_paused(session.sim.api_mut(), &ns, &name, pause)
                .map_err(|e| failed_to_patch(&e))?;
            settle(session);
            Ok(Res::out(format!(
                "{label} {}\n",
                if pause { "paused" } else { "resumed" }
            )))
        }
        "restart" => {
            session
                .sim
                .api()
                .get_ref(kind, &ns, &name)
                .map_err(api_err)?;
            tidepool_core::rollout::restart(session.sim.api_mut(), &ns, &name)
                .map_err(|e| failed_to_patch(&e))?;
            settle(session);
            Ok(Res::out(format!("{label} restarted\n")))
        }
        other => Err(format!(
            "error: unknown command \"{other}\" for \"kubectl rollout\"\n"
        )),
    }
}

fn status_message(d: &Value, name: &str) -> (String, bool) {
    use super::json::int;
    if int(d, "/metadata/generation") <= int(d, "/status/observedGeneration") {
        let conds = super::json::arr(d, "/status/conditions");
        if conds.iter().any(|c| {
            super::json::s(c, "/type") == "Progressing"
                && super::json::s(c, "/reason") == "ProgressDeadlineExceeded"
        }) {
            return (
                format!("error: deployment \"{name}\" exceeded its progress deadline\n"),
                true,
            );
        }
        let spec = int(d, "/spec/replicas");
        let updated = int(d, "/status/updatedReplicas");
        let replicas = int(d, "/status/replicas");
        let available = int(d, "/status/availableReplicas");
        if updated < spec {
            return (
                format!(
                    "Waiting for deployment \"{name}\" rollout to finish: {updated} out of {spec} new replicas have been updated...\n"
                ),
                false,
            );
        }
        if replicas > updated {
            return (
                format!(
                    "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...\n",
                    replicas - updated
                ),
                false,
            );
        }
        if available < updated {
            return (
                format!(
                    "Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available...\n"
                ),
                false,
            );
        }
        return (
            format!("deployment \"{name}\" successfully rolled out\n"),
            true,
        );
    }
    (
        "Waiting for deployment spec update to be observed...\n".to_owned(),
        false,
    )
}

/// Watches the deployment (advancing virtual time) and prints each status change.
fn rollout_status(session: &mut Session, ns: &str, name: &str, watch: bool) -> KResult {
    let mut res = Res::ok();
    let mut last_rv = 0;
    // At most the default progress deadline (600s) plus slack.
    for _ in 0..700 {
        let d = session
            .sim
            .api()
            .get_ref(Kind::Deployment, ns, name)
            .map_err(|e| server_error(&e))?;
        let rv = d.resource_version();
        let v = d.to_json();
        if rv != last_rv {
            last_rv = rv;
            let (msg, done) = status_message(&v, name);
            if let Some(err) = msg.strip_prefix("error: ") {
                res.push_err(format!("error: {err}"));
                res.code = 1;
                return Ok(res);
            }
            res.push_out(msg);
            if done || !watch {
                return Ok(res);
            }
        }
        session.sim.advance(Duration::from_secs(1));
    }
    res.push_err("error: timed out waiting for the condition\n");
    res.code = 1;
    Ok(res)
}

const EXPOSE_SPECS: &[FlagSpec] = &[
    f("port", None, true),
    f("target-port", None, true),
    f("type", None, true),
    f("name", None, true),
    f("protocol", None, true),
    f("selector", None, true),
    f("labels", Some('l'), true),
    f("node-port", None, true),
    f("dry-run", None, true),
    f("output", Some('o'), true),
    f("cluster-ip", None, true),
    f("external-ip", None, true),
    f("filename", Some('f'), true),
];

pub fn expose(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, EXPOSE_SPECS, "expose")?;
    let (kind, name) = one_target(&flags, "expose")?;
    let ns = namespace(session, &flags);
    super::check(
        session,
        "get",
        kind,
        if kind.namespaced() { &ns } else { "" },
        &name,
    )?;
    let object = session
        .sim
        .api()
        .get(kind, &ns, &name)
        .map_err(|e| server_error(&e))?;
    let v = object.to_json();
    let (selector, spec_ptr) = match kind {
        Kind::Pod => (v.pointer("/metadata/labels").cloned(), "/spec"),
        Kind::Service => (v.pointer("/spec/selector").cloned(), ""),
        Kind::ReplicationController => {
            (v.pointer("/spec/selector").cloned(), "/spec/template/spec")
        }
        Kind::Deployment | Kind::ReplicaSet => {
            if !super::json::arr(&v, "/spec/selector/matchExpressions").is_empty() {
                return Err(format!(
                    "error: cannot expose a {} with matchExpressions selectors\n",
                    kind.name()
                ));
            }
            (
                v.pointer("/spec/selector/matchLabels").cloned(),
                "/spec/template/spec",
            )
        }
        other => {
            return Err(format!("error: cannot expose a {}\n", other.name()));
        }
    };
    let selector = match flags.get("selector") {
        Some(s) => {
            let mut m = serde_json::Map::new();
            for pair in s.split(',') {
                if let Some((k, val)) = pair.split_once('=') {
                    m.insert(k.to_owned(), json!(val));
                }
            }
            Some(Value::Object(m))
        }
        None => selector,
    };
    let Some(selector) = selector.filter(|s| s.as_object().is_some_and(|m| !m.is_empty())) else {
        // kubectl's polymorphichelpers texts, through UsageErrorf.
        let why = match kind {
            Kind::Pod => "the pod has no labels and cannot be exposed".to_owned(),
            Kind::Service => "the service has no pod selector set".to_owned(),
            other => format!("the {} has no labels", other.name().to_ascii_lowercase()),
        };
        return Err(format!(
            "error: couldn't retrieve selectors via --selector flag or introspection: {why}\nSee 'kubectl expose -h' for help and examples\n"
        ));
    };
    let mut ports: Vec<Value> = Vec::new();
    let protocol = flags.get("protocol").unwrap_or("TCP");
    if let Some(p) = flags.get("port") {
        let port: i64 = p
            .parse()
            .map_err(|_| format!("error: invalid port {p}\n"))?;
        let target: Value = match flags.get("target-port") {
            Some(t) => t.parse::<i64>().map_or(json!(t), |n| json!(n)),
            None => json!(port),
        };
        ports.push(json!({"port": port, "protocol": protocol, "targetPort": target}));
    } else if !spec_ptr.is_empty() {
        for c in super::json::arr(&v, &format!("{spec_ptr}/containers")) {
            for p in super::json::arr(c, "/ports") {
                let port = super::json::int(p, "/containerPort");
                let proto = super::json::s(p, "/protocol");
                let proto = if proto.is_empty() { "TCP" } else { proto };
                ports.push(json!({"port": port, "protocol": proto, "targetPort": port}));
            }
        }
    } else {
        for p in super::json::arr(&v, "/spec/ports") {
            ports.push(json!({"port": super::json::int(p, "/port"), "protocol": super::json::s(p, "/protocol"), "targetPort": p.get("targetPort").cloned().unwrap_or(Value::Null)}));
        }
    }
    if ports.is_empty() {
        return Err("error: couldn't find port via --port flag or introspection\nSee 'kubectl expose -h' for help and examples\n".to_owned());
    }
    if ports.len() > 1 {
        for (i, p) in ports.iter_mut().enumerate() {
            p["name"] = json!(format!("port-{}", i + 1));
        }
    }
    let svc_name = flags.get("name").map_or(name, str::to_owned);
    let mut spec = json!({"ports": ports, "selector": selector});
    if let Some(t) = flags.get("type") {
        let t = match t.to_ascii_lowercase().as_str() {
            "clusterip" => "ClusterIP",
            "nodeport" => "NodePort",
            "loadbalancer" => "LoadBalancer",
            "externalname" => "ExternalName",
            _ => return Err(format!("error: unknown service type \"{t}\"\n")),
        };
        spec["type"] = json!(t);
    }
    if let Some(ip) = flags.get("cluster-ip") {
        spec["clusterIP"] = json!(ip);
    }
    let mut metadata = json!({"creationTimestamp": null, "name": svc_name});
    if let Some(labels) = v.pointer("/metadata/labels") {
        metadata["labels"] = labels.clone();
    }
    let value = json!({"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec, "status": {"loadBalancer": {}}});
    super::generate::finish(session, &flags, value, Kind::Service, "exposed")
}
