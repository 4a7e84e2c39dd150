//! `kubectl debug`: an ephemeral container in a running pod (the `ephemeralcontainers`
//! subresource), a pod in a node's host namespaces with its root at `/host`, or a copy of a
//! pod with a container added or changed; with `-i`, kubectl waits for the container and
//! attaches (`exec::attach`). Texts follow kubectl v1.32's `debug.go` and `profiles.go`.

use super::json::{arr, s};
use super::{Flags, KResult, api_error, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::{Value, json};
use std::time::Duration;
use tidepool_core::{Kind, Object};

const PROFILES: &[&str] = &[
    "legacy",
    "general",
    "baseline",
    "netadmin",
    "restricted",
    "sysadmin",
];

/// How long the simulated kubectl waits for the debug container to run (kubectl itself waits
/// without limit; a pull that never succeeds would hang the terminal).
const WAIT_FOR_CONTAINER_S: u64 = 300;

/// What the command line asks for, after kubectl's `Complete` and `Validate`.
struct Options {
    ns: String,
    targets: Vec<String>,
    args: Vec<String>,
    args_only: bool,
    attach: bool,
    container: Option<String>,
    copy_to: Option<String>,
    replace: bool,
    env: Vec<(String, String)>,
    image: Option<String>,
    pull_policy: Option<String>,
    interactive: bool,
    tty: bool,
    quiet: bool,
    same_node: bool,
    set_images: Vec<(String, String)>,
    share_processes: Option<bool>,
    target: Option<String>,
    profile: String,
    keep: Keep,
}

/// `--keep-*`: what the general and baseline profiles leave on a pod copy.
struct Keep {
    labels: bool,
    annotations: bool,
    liveness: bool,
    readiness: bool,
    startup: bool,
    init_containers: bool,
}

/// Where a debug container ended up, for the attach.
struct Created {
    pod: String,
    container: String,
}

pub fn debug(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(
        args,
        &[
            f("arguments-only", None, false),
            f("attach", None, false),
            f("container", Some('c'), true),
            f("copy-to", None, true),
            f("replace", None, false),
            f("env", None, true),
            f("image", None, true),
            f("image-pull-policy", None, true),
            f("keep-labels", None, false),
            f("keep-annotations", None, false),
            f("keep-liveness", None, false),
            f("keep-readiness", None, false),
            f("keep-startup", None, false),
            f("keep-init-containers", None, false),
            f("set-image", None, true),
            f("stdin", Some('i'), false),
            f("quiet", Some('q'), false),
            f("same-node", None, false),
            f("share-processes", None, false),
            f("target", None, true),
            f("tty", Some('t'), false),
            f("profile", None, true),
            f("custom", None, true),
            f("filename", Some('f'), true),
        ],
        "debug",
    )?;
    if flags.has("filename") || flags.has("custom") {
        return Err(
            "error: --filename and --custom are not available in this playground (name the pod or node)\n"
                .to_owned(),
        );
    }
    let mut res = Res::ok();
    let o = options(session, &flags, &mut res)?;
    for target in o.targets.clone() {
        let created = match visit(session, &o, &target, &mut res) {
            Ok(created) => created,
            Err(text) => {
                res.push_err(text);
                res.code = 1;
                return Ok(res);
            }
        };
        if let Some(c) = created.filter(|c| o.attach && !c.container.is_empty()) {
            let attached = wait_and_attach(session, &o, &c);
            res.chunks.extend(attached.chunks);
            res.code = attached.code;
            if res.code != 0 || session.interactive.is_some() {
                break;
            }
        }
    }
    Ok(res)
}

/// kubectl's `Complete` and `Validate`, in their order: the first problem wins.
fn options(session: &Session, flags: &Flags, res: &mut Res) -> Result<Options, String> {
    let profile = flags.get("profile").unwrap_or("legacy").to_owned();
    if !PROFILES.contains(&profile.as_str()) {
        return Err(format!("error: unknown profile: {profile}\n"));
    }
    let bool_or = |name: &str, default: bool| flags.get(name).map_or(default, |v| v == "true");
    let interactive = flags.bool("stdin");
    let env = pairs(flags, "env")?;
    let set_images = pairs(flags, "set-image")?;
    let o = Options {
        ns: namespace(session, flags),
        targets: flags.args.clone(),
        args: flags.dash_args.clone(),
        args_only: flags.bool("arguments-only"),
        attach: bool_or("attach", interactive),
        container: flags.get("container").map(str::to_owned),
        copy_to: flags
            .get("copy-to")
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        replace: flags.bool("replace"),
        env,
        image: flags
            .get("image")
            .filter(|i| !i.is_empty())
            .map(str::to_owned),
        pull_policy: flags
            .get("image-pull-policy")
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        interactive,
        tty: flags.bool("tty"),
        quiet: flags.bool("quiet"),
        same_node: flags.bool("same-node"),
        set_images,
        share_processes: flags.get("share-processes").map(|v| v == "true"),
        target: flags
            .get("target")
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        profile,
        keep: Keep {
            labels: flags.bool("keep-labels"),
            annotations: flags.bool("keep-annotations"),
            liveness: flags.bool("keep-liveness"),
            readiness: flags.bool("keep-readiness"),
            startup: flags.bool("keep-startup"),
            init_containers: bool_or("keep-init-containers", true),
        },
    };
    if o.attach && flags.has("attach") && o.image.is_none() && o.container.is_none() {
        return Err("error: you must specify --container or create a new container using --image in order to attach.\n".to_owned());
    }
    if o.copy_to.is_some() {
        if o.image.is_none() && o.set_images.is_empty() && o.args.is_empty() {
            return Err(
                "error: you must specify --image, --set-image or command arguments.\n".to_owned(),
            );
        }
        if !o.args.is_empty() && o.container.is_none() && o.image.is_none() {
            return Err("error: you must specify an existing container or a new image when specifying args.\n".to_owned());
        }
    } else if o.replace {
        return Err("error: --replace may only be used with --copy-to.\n".to_owned());
    } else if o.same_node {
        return Err("error: --same-node may only be used with --copy-to.\n".to_owned());
    } else if !o.set_images.is_empty() {
        return Err("error: --set-image may only be used with --copy-to.\n".to_owned());
    } else if o.image.is_none() {
        return Err("error: you must specify --image when not using --copy-to.\n".to_owned());
    }
    if let Some(image) = o.image.as_deref()
        && !valid_image_reference(image)
    {
        return Err(format!(
            "error: invalid image name \"{image}\": invalid reference format\n"
        ));
    }
    if o.targets.is_empty() {
        return Err("error: NAME or filename is required for debug\n".to_owned());
    }
    if let Some(p) = o.pull_policy.as_deref()
        && !["Always", "IfNotPresent", "Never"].contains(&p)
    {
        return Err(format!("error: invalid image pull policy: {p}\n"));
    }
    for (name, image) in &o.set_images {
        if !valid_image_reference(image) {
            return Err(format!(
                "error: invalid image name \"{image}\" for container \"{name}\": invalid reference format\n"
            ));
        }
    }
    if let Some(target) = &o.target {
        if o.copy_to.is_some() {
            return Err(
                "error: --target is incompatible with --copy-to. Use --share-processes instead.\n"
                    .to_owned(),
            );
        }
        if !o.quiet {
            res.push_out(format!("Targeting container \"{target}\". If you don't see processes from this container it may be because the container runtime doesn't support this feature.\n"));
        }
    }
    if o.tty && !o.interactive {
        return Err("error: -i/--stdin is required for containers with -t/--tty=true\n".to_owned());
    }
    if o.profile == "legacy" {
        res.push_err("--profile=legacy is deprecated and will be removed in the future. It is recommended to explicitly specify a profile, for example \"--profile=general\".\n");
    }
    Ok(o)
}

/// pflag's `StringToString`: `k=v[,k=v]` per occurrence.
fn pairs(flags: &Flags, name: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for value in flags.all(name) {
        for item in value.split(',').filter(|i| !i.is_empty()) {
            let Some((k, v)) = item.split_once('=') else {
                return Err(format!(
                    "Error: invalid argument \"{value}\" for \"--{name}\" flag: {item} must be formatted as key=value\nSee 'kubectl debug --help' for usage.\n"
                ));
            };
            // A map: a key given twice keeps its last value.
            out.retain(|(key, _)| key != k);
            out.push((k.to_owned(), v.to_owned()));
        }
    }
    tidepool_core::stable_sort::sort_by(&mut out, |a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// `reference.ReferenceRegexp`: `[domain/]path[:tag][@digest]` with lower-case path
/// components.
fn valid_image_reference(image: &str) -> bool {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let Some((algo, hex)) = d.split_once(':') else {
            return false;
        };
        if algo.is_empty() || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
    }
    let (name, tag) = match rest.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && (t.as_bytes()[0].is_ascii_alphanumeric() || t.starts_with('_'))
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok {
            return false;
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let domain = parts.remove(0);
        let host = domain.split(':').next().unwrap_or_default();
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        {
            return false;
        }
    }
    !parts.is_empty()
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.as_bytes()[0].is_ascii_alphanumeric()
                && p.as_bytes()[p.len() - 1].is_ascii_alphanumeric()
                && p.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        })
}

/// Five characters of `k8s.io/apimachinery/pkg/util/rand.String`, from the simulation's RNG.
fn random_suffix(session: &mut Session) -> String {
    let rng = session.sim.api_mut().rng();
    (0..5)
        .map(|_| {
            let alphabet = tidepool_core::naming::SUFFIX_ALPHABET;
            alphabet[rng.below(alphabet.len() as u64) as usize] as char
        })
        .collect()
}

/// One `TYPE/NAME` (or a pod's name): a node, a pod, or a kind debug does not support.
fn visit(
    session: &mut Session,
    o: &Options,
    target: &str,
    res: &mut Res,
) -> Result<Option<Created>, String> {
    let (kind, name) = match target.split_once('/') {
        Some((ty, name)) => {
            let Some(t) = super::resolve_type(ty) else {
                return Err(format!(
                    "error: the server doesn't have a resource type \"{ty}\"\n"
                ));
            };
            (t.kind, name)
        }
        None => (Kind::Pod, target),
    };
    let ns = if kind.namespaced() { o.ns.as_str() } else { "" };
    let api = session.sim.api();
    let object = api
        .authorize("get", kind, ns, name)
        .and_then(|()| api.get(kind, ns, name))
        .map_err(|e| api_error(&e, None))?;
    match kind {
        Kind::Node => debug_node(session, o, name, res).map(Some),
        Kind::Pod if o.copy_to.is_some() => debug_by_copy(session, o, &object, res),
        Kind::Pod => debug_ephemeral(session, o, &object, res).map(Some),
        other => {
            let api_version = other.api_version();
            let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
            Err(format!(
                "error: \"{group}/{version}, Kind={other}\" not supported by debug\n"
            ))
        }
    }
}

/// The container fields every debug flavour sets (`Stdin`/`TTY` only when true, as Go's
/// `omitempty` writes them).
fn debug_container(o: &Options, name: &str) -> Value {
    let mut c = json!({"name": name});
    set_env_and_image(&mut c, o);
    if o.interactive {
        c["stdin"] = json!(true);
    }
    c["terminationMessagePolicy"] = json!("File");
    if o.tty {
        c["tty"] = json!(true);
    }
    if !o.args.is_empty() {
        c[if o.args_only { "args" } else { "command" }] = json!(o.args);
    }
    c
}

/// `--env`, `--image` and `--image-pull-policy` on a debug container or a copied one.
fn set_env_and_image(c: &mut Value, o: &Options) {
    if !o.env.is_empty() {
        c["env"] = Value::Array(
            o.env
                .iter()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect(),
        );
    }
    if let Some(image) = &o.image {
        c["image"] = json!(image);
    }
    if let Some(p) = &o.pull_policy {
        c["imagePullPolicy"] = json!(p);
    }
}

/// Every container name of a pod (`containerNameToRef`).
fn container_names(pod: &Value) -> Vec<String> {
    [
        "/spec/containers",
        "/spec/initContainers",
        "/spec/ephemeralContainers",
    ]
    .iter()
    .flat_map(|list| arr(pod, list).iter().map(|c| s(c, "/name").to_owned()))
    .collect()
}

/// `computeDebugContainerName`: `-c`, else a fresh `debugger-xxxxx` (announced).
fn debug_container_name(session: &mut Session, o: &Options, pod: &Value, res: &mut Res) -> String {
    if let Some(c) = &o.container {
        return c.clone();
    }
    let taken = container_names(pod);
    let name = loop {
        let name = format!("debugger-{}", random_suffix(session));
        if !taken.contains(&name) {
            break name;
        }
    };
    if !o.quiet {
        res.push_out(format!("Defaulting debug container name to {name}.\n"));
    }
    name
}

/// The security-context changes a profile makes to the debug container (`profiles.go`; the
/// general profile clears it for a node instead of adding `SYS_PTRACE`).
fn profile_container(profile: &str, c: &mut Value, on_node: bool) {
    let add = |c: &mut Value, caps: &[&str]| {
        let list = &mut c["securityContext"]["capabilities"]["add"];
        if !list.is_array() {
            *list = json!([]);
        }
        if let Some(list) = list.as_array_mut() {
            list.extend(caps.iter().map(|cap| json!(cap)));
        }
    };
    match profile {
        "general" if on_node => {
            if let Some(m) = c.as_object_mut() {
                m.remove("securityContext");
            }
        }
        "general" => add(c, &["SYS_PTRACE"]),
        "netadmin" => add(c, &["NET_ADMIN", "NET_RAW"]),
        "sysadmin" => c["securityContext"]["privileged"] = json!(true),
        "baseline" => {
            if let Some(m) = c.as_object_mut() {
                m.remove("securityContext");
            }
        }
        "restricted" => {
            c["securityContext"] = json!({
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": true,
                "seccompProfile": {"type": "RuntimeDefault"},
            });
        }
        _ => {}
    }
}

/// `debugByEphemeralContainer`: the new container goes in through the pod's
/// `ephemeralcontainers` subresource (a strategic merge patch keyed by name).
fn debug_ephemeral(
    session: &mut Session,
    o: &Options,
    object: &Object,
    res: &mut Res,
) -> Result<Created, String> {
    let pod = object.to_json();
    let name = debug_container_name(session, o, &pod, res);
    if container_names(&pod).contains(&name) {
        // The apiserver's answer to a second container of that name (`-c` reusing one).
        let index = arr(&pod, "/spec/ephemeralContainers").len();
        let duplicate = tidepool_core::FieldError::duplicate(
            format!("spec.ephemeralContainers[{index}].name"),
            &name,
        );
        let e = tidepool_core::ApiError::invalid(Kind::Pod, object.name(), vec![duplicate]);
        return Err(api_error(&e, None));
    }
    let mut c = debug_container(o, &name);
    if let Some(t) = &o.target {
        c["targetContainerName"] = json!(t);
    }
    profile_container(&o.profile, &mut c, false);
    let patch = json!({"spec": {"ephemeralContainers": [c]}});
    let pod_name = object.name().to_owned();
    session
        .sim
        .api_mut()
        .patch_ephemeral_containers(object.namespace(), &pod_name, &patch)
        .map_err(|e| api_error(&e, None))?;
    Ok(Created {
        pod: pod_name,
        container: name,
    })
}

/// `generateNodeDebugPod`: a pod bound to the node, in its host namespaces (most profiles),
/// with the node's root at `/host` (legacy, general, sysadmin), tolerating every taint.
fn debug_node(
    session: &mut Session,
    o: &Options,
    node: &str,
    res: &mut Res,
) -> Result<Created, String> {
    let container = o.container.clone().unwrap_or_else(|| "debugger".to_owned());
    let pod_name = format!("node-debugger-{node}-{}", random_suffix(session));
    if !o.quiet {
        res.push_out(format!(
            "Creating debugging pod {pod_name} with container {container} on node {node}.\n"
        ));
    }
    let mut c = debug_container(o, &container);
    profile_container(&o.profile, &mut c, true);
    let mut spec = json!({
        "containers": [],
        "nodeName": node,
        "restartPolicy": "Never",
        "tolerations": [{"operator": "Exists"}],
    });
    if matches!(o.profile.as_str(), "legacy" | "general" | "sysadmin") {
        spec["volumes"] = json!([{"name": "host-root", "hostPath": {"path": "/"}}]);
        c["volumeMounts"] = json!([{"mountPath": "/host", "name": "host-root"}]);
    }
    if matches!(
        o.profile.as_str(),
        "legacy" | "general" | "netadmin" | "sysadmin"
    ) {
        spec["hostIPC"] = json!(true);
        spec["hostNetwork"] = json!(true);
        spec["hostPID"] = json!(true);
    }
    spec["containers"] = json!([c]);
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name,
            "namespace": o.ns,
            "labels": {"app.kubernetes.io/managed-by": "kubectl-debug"},
        },
        "spec": spec,
    });
    create_pod(session, pod)?;
    Ok(Created {
        pod: pod_name,
        container,
    })
}

fn create_pod(session: &mut Session, pod: Value) -> Result<(), String> {
    let object = tidepool_core::decode::decode_value(pod).map_err(|e| format!("error: {e}\n"))?;
    session
        .sim
        .api_mut()
        .create(object)
        .map(|_| ())
        .map_err(|e| api_error(&e, None))
}

/// `generatePodCopyWithDebugContainer` and `debugByCopy`: a new pod with the original's
/// labels, annotations and spec (no ephemeral containers, no node unless `--same-node`),
/// images swapped by `--set-image`, and the debug container added or an existing one changed.
fn debug_by_copy(
    session: &mut Session,
    o: &Options,
    object: &Object,
    res: &mut Res,
) -> Result<Option<Created>, String> {
    let original = object.to_json();
    let copy_to = o.copy_to.clone().unwrap_or_default();
    let mut spec = original.get("spec").cloned().unwrap_or_else(|| json!({}));
    if let Some(m) = spec.as_object_mut() {
        m.remove("ephemeralContainers");
        if !o.same_node {
            m.remove("nodeName");
        }
    }
    if let Some(share) = o.share_processes {
        spec["shareProcessNamespace"] = json!(share);
    }
    let star = o
        .set_images
        .iter()
        .find(|(n, _)| n == "*")
        .map(|(_, i)| i.clone());
    if let Some(containers) = spec.get_mut("containers").and_then(Value::as_array_mut) {
        for c in containers.iter_mut() {
            let name = s(c, "/name").to_owned();
            let image = o
                .set_images
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, i)| i.clone())
                .or_else(|| star.clone());
            if let Some(image) = image {
                c["image"] = json!(image);
            }
        }
    }
    let mut copy = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": copy_to, "namespace": object.namespace()},
        "spec": spec,
    });
    for field in ["labels", "annotations"] {
        if let Some(v) = original.pointer(&format!("/metadata/{field}")) {
            copy["metadata"][field] = v.clone();
        }
    }
    let existing = o.container.as_deref().and_then(|name| {
        arr(&copy, "/spec/containers")
            .iter()
            .position(|c| s(c, "/name") == name)
    });
    let index = match existing {
        Some(i) => i,
        None => {
            if o.image.is_none() {
                if !o.set_images.is_empty() {
                    create_copy(session, o, object, copy)?;
                    return Ok(None);
                }
                return Err(
                    "error: you must specify image when creating new container\n".to_owned(),
                );
            }
            let name = debug_container_name(session, o, &copy, res);
            let containers = copy["spec"]["containers"].as_array_mut();
            let Some(containers) = containers else {
                return Err("error: the pod has no containers\n".to_owned());
            };
            containers.push(json!({"name": name, "terminationMessagePolicy": "File"}));
            containers.len() - 1
        }
    };
    let c = &mut copy["spec"]["containers"][index];
    if !o.args.is_empty() {
        if o.args_only {
            c["args"] = json!(o.args);
        } else {
            c["command"] = json!(o.args);
            if let Some(m) = c.as_object_mut() {
                m.remove("args");
            }
        }
    }
    set_env_and_image(c, o);
    if let Some(m) = c.as_object_mut() {
        for (field, on) in [("stdin", o.interactive), ("tty", o.tty)] {
            if on {
                m.insert(field.to_owned(), json!(true));
            } else {
                m.remove(field);
            }
        }
    }
    let name = s(c, "/name").to_owned();
    profile_copy(o, &mut copy, index);
    create_copy(session, o, object, copy)?;
    Ok(Some(Created {
        pod: copy_to_name(o),
        container: name,
    }))
}

fn copy_to_name(o: &Options) -> String {
    o.copy_to.clone().unwrap_or_default()
}

/// What a profile does to a pod copy: legacy only drops the labels (so the copy joins no
/// ReplicaSet); the others set the debug container's security context, share the process
/// namespace and drop what `--keep-*` does not keep (labels, annotations, probes, init
/// containers).
fn profile_copy(o: &Options, copy: &mut Value, index: usize) {
    if o.profile == "legacy" {
        if let Some(meta) = copy["metadata"].as_object_mut() {
            meta.remove("labels");
        }
        return;
    }
    profile_container(&o.profile, &mut copy["spec"]["containers"][index], false);
    if copy.pointer("/spec/shareProcessNamespace").is_none() {
        copy["spec"]["shareProcessNamespace"] = json!(true);
    }
    if let Some(meta) = copy["metadata"].as_object_mut() {
        if !o.keep.labels {
            meta.remove("labels");
        }
        if !o.keep.annotations {
            meta.remove("annotations");
        }
    }
    if let Some(containers) = copy["spec"]["containers"].as_array_mut() {
        for c in containers.iter_mut().filter_map(Value::as_object_mut) {
            for (probe, keep) in [
                ("livenessProbe", o.keep.liveness),
                ("readinessProbe", o.keep.readiness),
                ("startupProbe", o.keep.startup),
            ] {
                if !keep {
                    c.remove(probe);
                }
            }
        }
    }
    if !o.keep.init_containers
        && let Some(spec) = copy["spec"].as_object_mut()
    {
        spec.remove("initContainers");
    }
}

/// Creates the copy; `--replace` then deletes the original at once (grace period 0).
fn create_copy(
    session: &mut Session,
    o: &Options,
    original: &Object,
    copy: Value,
) -> Result<(), String> {
    create_pod(session, copy)?;
    if o.replace {
        let options = tidepool_core::DeleteOptions {
            grace_period_seconds: Some(0),
            ..Default::default()
        };
        session
            .sim
            .api_mut()
            .delete(Kind::Pod, original.namespace(), original.name(), &options)
            .map_err(|e| api_error(&e, None))?;
    }
    Ok(())
}

/// A container's status among the pod's init, app and ephemeral container statuses.
fn container_status(pod: &Value, container: &str) -> Option<Value> {
    [
        "/status/initContainerStatuses",
        "/status/containerStatuses",
        "/status/ephemeralContainerStatuses",
    ]
    .iter()
    .flat_map(|list| arr(pod, list).iter())
    .find(|st| s(st, "/name") == container)
    .cloned()
}

/// `handleAttachPod`: waits for the container to run (printing each new waiting message as
/// a warning), then attaches; a container that already ended has its logs printed instead.
fn wait_and_attach(session: &mut Session, o: &Options, c: &Created) -> Res {
    let mut res = Res::ok();
    let mut last_message = String::new();
    for _ in 0..=WAIT_FOR_CONTAINER_S {
        let pod = match session.sim.api().get(Kind::Pod, &o.ns, &c.pod) {
            Ok(pod) => pod.to_json(),
            Err(_) => {
                res.push_err("Error from server (NotFound): pods \"\" not found\n");
                res.code = 1;
                return res;
            }
        };
        if let Some(status) = container_status(&pod, &c.container) {
            if status.pointer("/state/terminated").is_some() {
                let args: Vec<String> = ["logs", &c.pod, "-c", &c.container, "-n", &o.ns]
                    .iter()
                    .map(|a| (*a).to_owned())
                    .collect();
                let logs = super::run(session, &args, "");
                res.chunks.extend(logs.chunks);
                res.code = logs.code;
                return res;
            }
            if status.pointer("/state/running").is_some() {
                let attached = super::exec::attach(
                    session,
                    super::exec::Attach {
                        namespace: o.ns.clone(),
                        pod: c.pod.clone(),
                        container: c.container.clone(),
                        argv: session_argv(&pod, &c.container),
                        tty: o.tty,
                        remove: false,
                        restart_always: s(&pod, "/spec/restartPolicy") == "Always",
                        restart_on_failure: false,
                        attach_only: true,
                    },
                );
                res.chunks.extend(attached.chunks);
                res.code = attached.code;
                return res;
            }
            let message = s(&status, "/state/waiting/message");
            if !o.quiet && !message.is_empty() && message != last_message {
                res.push_err(format!("Warning: container {}: {message}\n", c.container));
                last_message = message.to_owned();
            }
        }
        session.sim.advance(Duration::from_secs(1));
    }
    res.push_err("error: timed out waiting for the condition\n");
    res.code = 1;
    res
}

/// What the attached session runs: the container's command and args, else the image's shell.
fn session_argv(pod: &Value, container: &str) -> Vec<String> {
    let spec = ["/spec/containers", "/spec/ephemeralContainers"]
        .iter()
        .flat_map(|list| arr(pod, list).iter())
        .find(|c| s(c, "/name") == container);
    let words = |field: &str| -> Vec<String> {
        spec.map(|c| arr(c, field))
            .unwrap_or_default()
            .iter()
            .filter_map(|w| w.as_str().map(str::to_owned))
            .collect()
    };
    let argv: Vec<String> = words("/command")
        .into_iter()
        .chain(words("/args"))
        .collect();
    if argv.is_empty() {
        vec!["sh".to_owned()]
    } else {
        argv
    }
}

#[cfg(test)]
mod tests {
    use super::valid_image_reference;

    #[test]
    fn image_references_follow_the_distribution_grammar() {
        for good in [
            "busybox",
            "busybox:1.36",
            "registry.k8s.io/pause:3.10",
            "localhost:5000/app",
            "nicolaka/netshoot",
            "gcr.io/distroless/static-debian12:nonroot",
        ] {
            assert!(valid_image_reference(good), "{good}");
        }
        for bad in ["Bad Image", "BusyBox", "busybox:", "-x", "a//b"] {
            assert!(!valid_image_reference(bad), "{bad}");
        }
    }
}
