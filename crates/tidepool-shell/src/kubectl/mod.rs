//! kubectl v1.32 over the simulated apiserver: commands, flags, printers and error texts.
//!
//! Flags are parsed by hand rather than with `clap`: kubectl is a cobra/pflag program and its
//! error texts (`Error: unknown flag: --foo` + `See 'kubectl get --help' for usage.`,
//! `unknown shorthand flag: 'z' in -z`, flags accepted anywhere among the arguments, `-oyaml`,
//! `--replicas=3`, `-it`, bool flags as `--force=false`) are pflag's; clap's differ in wording
//! and in where flags may go. [`Flags`] reproduces pflag's behaviour for the flags each
//! command declares.

mod apply;
mod auth;
mod autoscale;
mod debug;
mod describe;
mod edit;
mod exec;
mod explain;
pub use explain::{
    data_unavailable as explain_data_unavailable, provide_data as provide_explain_data,
};
mod generate;
pub(crate) use generate::base64;
mod cp;
mod get;
mod info;
pub(crate) mod json;
pub(crate) mod kubeconfig;
mod label;
mod local;
mod logs;
mod node;
mod patch;
mod portforward;
mod resources;
mod rollout;
mod set;
mod top;
mod wait;

use crate::Session;
use crate::exec::Res;
pub use edit::PendingEdit;
pub use exec::{Interactive, interactive_interrupt, interactive_line};
pub use get::{Follow, poll};
/// The READY and STATUS cells of `kubectl get pods`, for hosts that draw pods (the
/// playground's graph), from JSON or from the typed pod.
pub use get::{pod_ready_and_status, pod_status};
pub use logs::{LogFollow, poll_logs};
pub use node::{DrainJob, poll_drain};
pub use portforward::{LOST_CONNECTION, PortForward};
pub use resources::{ResourceType, resolve_type};
use std::collections::BTreeMap;

/// A flag a command accepts: long name, shorthand, takes a value.
#[derive(Debug, Clone, Copy)]
pub struct FlagSpec {
    pub long: &'static str,
    pub short: Option<char>,
    pub value: bool,
}

const fn f(long: &'static str, short: Option<char>, value: bool) -> FlagSpec {
    FlagSpec { long, short, value }
}

/// Flags every kubectl command accepts.
const GLOBAL: &[FlagSpec] = &[
    f("namespace", Some('n'), true),
    f("context", None, true),
    f("kubeconfig", None, true),
    f("cluster", None, true),
    f("user", None, true),
    f("v", Some('v'), true),
    f("request-timeout", None, true),
    f("server", Some('s'), true),
    f("help", Some('h'), false),
    f("as", None, true),
    f("as-group", None, true),
    f("as-uid", None, true),
];

/// Parsed arguments: positionals, flag values (last wins for scalars), args after `--`.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub args: Vec<String>,
    pub values: BTreeMap<&'static str, Vec<String>>,
    pub dash_args: Vec<String>,
    pub saw_dash: bool,
}

impl Flags {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }
    pub fn bool(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true"))
    }
}

/// A kubectl failure: the text for stderr (newline included) and exit status 1.
pub type KResult = Result<Res, String>;

/// pflag parsing against the command's declared flags plus the global ones.
pub fn parse_flags(args: &[String], specs: &[FlagSpec], command: &str) -> Result<Flags, String> {
    let find_long = |name: &str| specs.iter().chain(GLOBAL).find(|s| s.long == name).copied();
    let find_short = |c: char| {
        specs
            .iter()
            .chain(GLOBAL)
            .find(|s| s.short == Some(c))
            .copied()
    };
    let bad = |msg: String| format!("Error: {msg}\nSee 'kubectl {command} --help' for usage.\n");
    let mut flags = Flags::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            flags.saw_dash = true;
            flags.dash_args = args[i + 1..].to_vec();
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (body, None),
            };
            let Some(spec) = find_long(name) else {
                return Err(bad(format!("unknown flag: --{name}")));
            };
            let value = if spec.value {
                match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        match args.get(i) {
                            Some(v) => v.clone(),
                            None => {
                                return Err(bad(format!("flag needs an argument: --{name}")));
                            }
                        }
                    }
                }
            } else {
                match inline.as_deref() {
                    None => "true".to_owned(),
                    Some(v @ ("true" | "false" | "1" | "0" | "t" | "f" | "TRUE" | "FALSE")) => {
                        if matches!(v, "true" | "1" | "t" | "TRUE") {
                            "true".to_owned()
                        } else {
                            "false".to_owned()
                        }
                    }
                    Some(v) => {
                        return Err(bad(format!(
                            "invalid argument \"{v}\" for \"--{name}\" flag: strconv.ParseBool: parsing \"{v}\": invalid syntax"
                        )));
                    }
                }
            };
            flags.values.entry(spec.long).or_default().push(value);
        } else if a.len() > 1 && a.starts_with('-') {
            let chars: Vec<char> = a[1..].chars().collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                let Some(spec) = find_short(c) else {
                    return Err(bad(format!("unknown shorthand flag: '{c}' in {a}")));
                };
                if spec.value {
                    let rest: String = chars[j + 1..].iter().collect();
                    let value = if let Some(v) = rest.strip_prefix('=') {
                        v.to_owned()
                    } else if !rest.is_empty() {
                        rest
                    } else {
                        i += 1;
                        match args.get(i) {
                            Some(v) => v.clone(),
                            None => {
                                return Err(bad(format!("flag needs an argument: '{c}' in -{c}")));
                            }
                        }
                    };
                    flags.values.entry(spec.long).or_default().push(value);
                    break;
                }
                flags
                    .values
                    .entry(spec.long)
                    .or_default()
                    .push("true".to_owned());
                j += 1;
            }
        } else {
            flags.args.push(a.clone());
        }
        i += 1;
    }
    Ok(flags)
}

/// How kubectl's `CheckErr` prints an API error. Invalid errors become
/// `The Pod "x" is invalid: ...` (one cause) or a `* cause` list; the others are
/// `Error from server (Reason): [context]message`.
pub fn api_error(e: &tidepool_core::ApiError, context: Option<&str>) -> String {
    if e.reason == tidepool_core::StatusReason::Invalid && !e.causes.is_empty() {
        let prefix = match e.message.find(" is invalid: ") {
            Some(i) => {
                // `details.kind` has no group: `Deployment`, not `Deployment.apps`.
                let what = &e.message[..i];
                let (kind, name) = what.split_once(' ').unwrap_or((what, ""));
                let kind = kind.split('.').next().unwrap_or(kind);
                format!("The {kind} {name} is invalid: ")
            }
            None => "The request is invalid: ".to_owned(),
        };
        if let [one] = e.causes.as_slice() {
            return format!("{prefix}{one}\n");
        }
        let mut out = format!("{prefix}\n");
        for c in &e.causes {
            out.push_str(&format!("* {c}\n"));
        }
        return out;
    }
    format!(
        "Error from server ({:?}): {}{}\n",
        e.reason,
        context.unwrap_or(""),
        e.message
    )
}

/// RBAC for a request kubectl makes on its way (the `get` of a named object before it patches
/// it, a `list`): the apiserver's Forbidden error as kubectl prints it. `namespace` is empty
/// for cluster-scoped kinds and for lists across all namespaces.
pub(crate) fn check(
    session: &Session,
    verb: &str,
    kind: tidepool_core::Kind,
    namespace: &str,
    name: &str,
) -> Result<(), String> {
    check_subresource(session, verb, kind, namespace, name, "")
}

/// [`check`] for a subresource (`pods/portforward`, `deployments/scale`).
pub(crate) fn check_subresource(
    session: &Session,
    verb: &str,
    kind: tidepool_core::Kind,
    namespace: &str,
    name: &str,
    subresource: &str,
) -> Result<(), String> {
    session
        .sim
        .api()
        .authorize_subresource(verb, kind, namespace, name, subresource)
        .map_err(|e| api_error(&e, None))
}

/// [`check`] for a resource that is no stored kind (`pods.metrics.k8s.io`).
pub(crate) fn check_resource(
    session: &Session,
    verb: &str,
    (group, resource): (&str, &str),
    namespace: &str,
    name: &str,
) -> Result<(), String> {
    let request = tidepool_core::rbac::Request {
        name: name.to_owned(),
        ..tidepool_core::rbac::Request::resource(verb, group, resource, namespace)
    };
    session
        .sim
        .api()
        .authorize_request(&request)
        .map_err(|e| api_error(&e, None))
}

/// Whether the object with this uid is still stored. A deletion waits for this to turn
/// false: an object recreated under the same name (a mirror pod, a replaced object) is new.
pub(super) fn still_stored(
    session: &Session,
    kind: tidepool_core::Kind,
    namespace: &str,
    name: &str,
    uid: &str,
) -> bool {
    session
        .sim
        .api()
        .get_ref(kind, namespace, name)
        .is_ok_and(|o| o.uid() == uid)
}

/// The namespace a command works in: `-n`, else the context's.
pub fn namespace(session: &Session, flags: &Flags) -> String {
    flags
        .get("namespace")
        .map_or_else(|| session.kube.namespace.clone(), str::to_owned)
}

/// kubectl's commands in its help-group order (cobra suggests in this order).
const COMMANDS: &[&str] = &[
    "create",
    "expose",
    "run",
    "set",
    "explain",
    "get",
    "edit",
    "delete",
    "rollout",
    "scale",
    "autoscale",
    "certificate",
    "cluster-info",
    "top",
    "cordon",
    "uncordon",
    "drain",
    "taint",
    "describe",
    "logs",
    "attach",
    "exec",
    "port-forward",
    "proxy",
    "cp",
    "auth",
    "debug",
    "events",
    "diff",
    "apply",
    "patch",
    "replace",
    "wait",
    "kustomize",
    "label",
    "annotate",
    "completion",
    "api-resources",
    "api-versions",
    "config",
    "plugin",
    "version",
    "options",
    "help",
];

/// Levenshtein distance (cobra's suggestion metric, case-insensitive).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// cobra's `SuggestionsFor`: distance <= 2 or a prefix match, in command order.
fn suggestions(typed: &str) -> Vec<&'static str> {
    COMMANDS
        .iter()
        .copied()
        .filter(|c| {
            distance(typed, c) <= 2 || (!typed.is_empty() && c.starts_with(&typed.to_lowercase()))
        })
        .collect()
}

fn unknown_command(name: &str) -> String {
    let mut out = format!("error: unknown command \"{name}\" for \"kubectl\"\n");
    let s = suggestions(name);
    if !s.is_empty() {
        out.push_str("\nDid you mean this?\n");
        for c in s {
            out.push_str(&format!("\t{c}\n"));
        }
        out.push('\n');
    }
    out
}

/// Runs `kubectl ARGS` with `stdin`.
pub fn run(session: &mut Session, args: &[String], stdin: &str) -> Res {
    // The first non-flag argument is the command (global flags may come first).
    let mut i = 0;
    let mut pre: Vec<String> = Vec::new();
    while let Some(a) = args.get(i) {
        if a.starts_with('-') {
            pre.push(a.clone());
            let takes_value = !a.contains('=')
                && matches!(
                    a.as_str(),
                    "-n" | "--namespace"
                        | "--context"
                        | "--kubeconfig"
                        | "-s"
                        | "--server"
                        | "-v"
                        | "--as"
                        | "--as-group"
                        | "--as-uid"
                        | "--user"
                        | "--cluster"
                );
            if takes_value && let Some(v) = args.get(i + 1) {
                pre.push(v.clone());
                i += 1;
            }
            i += 1;
        } else {
            break;
        }
    }
    let Some(cmd) = args.get(i) else {
        return Res::out(info::ROOT_HELP);
    };
    // Global flags given before the command (`kubectl -n dev create deploy ...`) go after
    // its own words but before `--`: pflag takes flags anywhere, while the commands with
    // subcommands (create, set, rollout, config, ...) read their first word as one.
    let mut rest: Vec<String> = args[i + 1..].to_vec();
    let dash = rest.iter().position(|a| a == "--").unwrap_or(rest.len());
    rest.splice(dash..dash, pre);
    // pflag's NoOptDefVal: a bare `--dry-run` is "unchanged" (the next word is not its value),
    // which kubectl's `GetDryRunStrategy` reads as client with a deprecation warning.
    let mut bare_dry_run = false;
    for a in rest.iter_mut().take_while(|a| a.as_str() != "--") {
        if a == "--dry-run" {
            *a = "--dry-run=client".to_owned();
            bare_dry_run = true;
        }
    }
    if rest
        .iter()
        .take_while(|a| a.as_str() != "--")
        .any(|a| a == "--help" || a == "-h")
        && let Some(text) = info::command_help(cmd)
    {
        return Res::out(text);
    }
    if let Some(res) = connect(session, cmd, &rest) {
        return res;
    }
    // Only a command that sends requests authenticates (and impersonates).
    let user = if needs_config(cmd, &rest) && !client_side_only(cmd, &rest) {
        match auth::requesting_user(session, &rest, &client_args(cmd, &rest)) {
            Ok(user) => user,
            Err(text) => return Res::err(text, 1),
        }
    } else {
        auth::admin()
    };
    session.sim.api_mut().set_acting_user(Some(user));
    let mut res = dispatch(session, cmd, &rest, stdin);
    session.sim.api_mut().set_acting_user(None);
    let flag_known = !res
        .chunks
        .iter()
        .any(|(_, text)| text.contains("unknown flag: --dry-run"));
    if bare_dry_run && flag_known {
        res.chunks
            .insert(0, (crate::Stream::Stderr, dry_run_warning(session)));
    }
    res
}

fn dispatch(session: &mut Session, cmd: &str, rest: &[String], stdin: &str) -> Res {
    let rest = rest.to_vec();
    let result = match cmd {
        "auth" => auth::auth(session, &rest),
        "get" => get::get(session, &rest),
        "describe" => describe::describe(session, &rest),
        "create" => apply::create(session, &rest, stdin),
        "apply" => apply::apply(session, &rest, stdin),
        "replace" => apply::replace(session, &rest, stdin),
        "delete" => apply::delete(session, &rest, stdin),
        "run" => generate::run(session, &rest),
        "scale" => apply::scale(session, &rest),
        "autoscale" => autoscale::autoscale(session, &rest, stdin),
        "set" => set::set(session, &rest, stdin),
        "rollout" => apply::rollout(session, &rest),
        "expose" => apply::expose(session, &rest),
        "label" | "annotate" => label::label(session, cmd, &rest, stdin),
        "patch" => patch::patch(session, &rest),
        "cordon" | "uncordon" => node::cordon(session, cmd, &rest),
        "drain" => node::drain(session, &rest),
        "taint" => node::taint(session, &rest),
        "wait" => wait::wait(session, &rest),
        "edit" => edit::edit(session, &rest),
        "logs" => logs::logs(session, &rest),
        "exec" => exec::exec(session, &rest, stdin),
        "cp" => cp::cp(session, &rest),
        "attach" => exec::attach_command(session, &rest),
        "debug" => debug::debug(session, &rest),
        "top" => top::top(session, &rest),
        "port-forward" => portforward::port_forward(session, &rest),
        "explain" => explain::explain(&rest),
        "api-resources" => info::api_resources(session, &rest),
        "api-versions" => info::api_versions(&rest),
        "version" => info::version(session, &rest),
        "completion" => info::completion(&rest),
        "cluster-info" => info::cluster_info(session, &rest),
        "config" => kubeconfig::config(session, &rest),
        "help" => Ok(Res::out(info::ROOT_HELP)),
        c if COMMANDS.contains(&c) => Err(format!(
            "error: \"kubectl {c}\" is not available in this playground yet\n"
        )),
        other => Err(unknown_command(other)),
    };
    match result {
        Ok(res) => res,
        Err(text) => Res::err(text, 1),
    }
}

pub(crate) use kubeconfig::DEFAULT_PATH as KUBECONFIG_PATH;

/// Writes kubeadm's admin kubeconfig to `/root/.kube/config` (a new session, or a restored one
/// saved before the file existed).
pub(crate) fn write_admin_kubeconfig(session: &mut Session, namespace: &str) {
    let config = kubeconfig::Kubeconfig::admin(&info::control_plane_ip(session), namespace);
    // `/root/.kube` always exists in a fresh VFS; if a restored one lacks it, save creates it.
    let _ = kubeconfig::save(session, KUBECONFIG_PATH, &config);
}

/// The namespace kubectl would use now without `-n` (the saved session's `kube.namespace`).
pub(crate) fn kubeconfig_namespace(session: &Session) -> String {
    let server = format!("https://{}:6443", info::control_plane_ip(session));
    kubeconfig::client(session, &[], &server).namespace
}

/// Commands that work without the kubeconfig (or, for `version --client`, without a server).
fn needs_config(cmd: &str, rest: &[String]) -> bool {
    match cmd {
        "config" | "help" => false,
        "version" => !rest.iter().any(|a| a == "--client" || a == "--client=true"),
        c => COMMANDS.contains(&c),
    }
}

/// The arguments that choose kubectl's client config. `create rolebinding --user=jane` names a
/// subject, not kubectl's user: the command's own flag shadows the global one.
fn client_args(cmd: &str, rest: &[String]) -> Vec<String> {
    if cmd != "create" {
        return rest.to_vec();
    }
    rest.iter()
        .take_while(|a| a.as_str() != "--")
        .filter(|a| !a.starts_with("--user") && !a.starts_with("--cluster"))
        .cloned()
        .collect()
}

/// `create`/`run` with a client-side dry run never talk to the server.
fn client_side_only(cmd: &str, rest: &[String]) -> bool {
    matches!(cmd, "create" | "run")
        && rest
            .iter()
            .take_while(|a| a.as_str() != "--")
            .any(|a| a == "--dry-run=client")
}

/// Loads the kubeconfig for `kubectl CMD REST`: sets the session's namespace to the context's,
/// or returns how kubectl fails when the file, the context, the cluster or the user is wrong.
fn connect(session: &mut Session, cmd: &str, rest: &[String]) -> Option<Res> {
    if !needs_config(cmd, rest) {
        return None;
    }
    let server = format!("https://{}:6443", info::control_plane_ip(session));
    let own_flags = client_args(cmd, rest);
    let rest = &own_flags;
    let client = kubeconfig::client(session, rest, &server);
    session.kube.namespace = client.namespace;
    let why = client.unreachable?;
    let client_side = client_side_only(cmd, rest);
    let refused = "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n";
    let text = match why {
        kubeconfig::Unreachable::Config(text) => text,
        kubeconfig::Unreachable::NoContext(name) if client_side => {
            format!("error: context \"{name}\" does not exist\n")
        }
        kubeconfig::Unreachable::NoContext(name) => {
            format!("Error in configuration: context was not found for specified context: {name}\n")
        }
        kubeconfig::Unreachable::NoCredentials => "Please enter Username: error: EOF\n".to_owned(),
        kubeconfig::Unreachable::Localhost | kubeconfig::Unreachable::Timeout(_) if client_side => {
            return None;
        }
        kubeconfig::Unreachable::Localhost => {
            let err = "dial tcp 127.0.0.1:8080: connect: connection refused";
            let mut res = discovery_errors(session, cmd, "http://localhost:8080", err);
            res.push_err(refused);
            return Some(res);
        }
        kubeconfig::Unreachable::Timeout(host) => {
            let err = format!("dial tcp {host}: i/o timeout");
            let mut res = discovery_errors(session, cmd, &format!("https://{host}"), &err);
            res.push_err(format!("Unable to connect to the server: {err}\n"));
            return Some(res);
        }
    };
    Some(Res::err(text, 1))
}

/// What kubectl prints before giving up on an unreachable server: client-go's discovery
/// retries (one klog line each, as many as the command makes; checked against kubectl v1.32
/// for get, describe, delete, scale, label, logs, exec, rollout, explain, run, top, version)
/// and what the command printed before it needed the server.
fn discovery_errors(session: &Session, cmd: &str, base: &str, err: &str) -> Res {
    let attempts = match cmd {
        "top" | "version" => 0,
        "run" => 1,
        "explain" => 2,
        "logs" | "exec" | "rollout" | "port-forward" | "attach" => 4,
        _ => 5,
    };
    let now = session.sim.now();
    let t = tidepool_core::api::timestamp(now).0;
    let mut res = Res {
        code: 1,
        ..Res::ok()
    };
    for i in 0..attempts {
        res.push_err(format!(
            "E{} {}.{:03}{:03} {:>7} memcache.go:265] \"Unhandled Error\" err=\"couldn't get current server API group list: Get \\\"{base}/api?timeout=32s\\\": {err}\"\n",
            t.format("%m%d"),
            t.format("%H:%M:%S"),
            now.as_millis() % 1000,
            100 + 150 * i,
            session.jobs.next_pid()
        ));
    }
    match cmd {
        "version" => res.push_out("Client Version: v1.32.4\nKustomize Version: v5.5.0\n"),
        "cluster-info" => res.push_out(
            "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n",
        ),
        _ => {}
    }
    res
}

/// The klog line `GetDryRunStrategy` logs for a bare `--dry-run`.
fn dry_run_warning(session: &Session) -> String {
    let now = session.sim.now();
    let t = tidepool_core::api::timestamp(now).0;
    format!(
        "W{} {}.{:03}000 {:>7} helpers.go:702] --dry-run is deprecated and can be replaced with --dry-run=client.\n",
        t.format("%m%d"),
        t.format("%H:%M:%S"),
        now.as_millis() % 1000,
        session.jobs.next_pid()
    )
}

/// The host's editor closed on `path`: finish a pending `kubectl edit` there, if any.
pub fn editor_closed(session: &mut Session, path: &str) -> Option<Res> {
    if session.edit.as_ref().is_none_or(|e| e.path != path) {
        return None;
    }
    let pending = session.edit.take()?;
    Some(edit::finish(session, pending))
}

/// `kubectl config`'s subcommands, as its help lists them.
const CONFIG_SUBCOMMANDS: &[&str] = &[
    "current-context",
    "delete-cluster",
    "delete-context",
    "delete-user",
    "get-clusters",
    "get-contexts",
    "get-users",
    "rename-context",
    "set",
    "set-cluster",
    "set-context",
    "set-credentials",
    "unset",
    "use-context",
    "view",
];

/// Candidates for the word being completed after `kubectl WORDS`.
pub fn complete(session: &Session, words: &[&str], current: &str) -> Vec<String> {
    let positional: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !w.starts_with('-'))
        .collect();
    if current.starts_with('-') {
        return [
            "--namespace=",
            "--all-namespaces",
            "--output=",
            "--selector=",
            "--show-labels",
            "--no-headers",
            "--filename=",
            "--dry-run=client",
            "--image=",
            "--replicas=",
        ]
        .iter()
        .filter(|f| f.starts_with(current))
        .map(|f| (*f).to_owned())
        .collect();
    }
    match positional.as_slice() {
        [] => COMMANDS
            .iter()
            .filter(|c| c.starts_with(current))
            .map(|c| (*c).to_owned())
            .collect(),
        ["get" | "describe" | "delete" | "edit" | "label" | "annotate" | "explain"] => {
            resources::TYPES
                .iter()
                .flat_map(|t| t.names.iter().take(2))
                .filter(|n| n.starts_with(current))
                .map(|n| (*n).to_owned())
                .collect()
        }
        [
            "get" | "describe" | "delete" | "edit" | "label" | "annotate" | "scale",
            ty,
            ..,
        ] => {
            let Some(t) = resolve_type(ty) else {
                return Vec::new();
            };
            let server = format!("https://{}:6443", info::control_plane_ip(session));
            let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
            let ns = kubeconfig::client(session, &words, &server).namespace;
            session
                .sim
                .api()
                .list(t.kind, t.kind.namespaced().then_some(ns.as_str()))
                .iter()
                .map(|o| o.name().to_owned())
                .filter(|n| n.starts_with(current))
                .collect()
        }
        ["create"] => generate::CREATE_SUBCOMMANDS
            .iter()
            .filter(|c| c.starts_with(current))
            .map(|c| (*c).to_owned())
            .collect(),
        ["config"] => CONFIG_SUBCOMMANDS
            .iter()
            .filter(|c| c.starts_with(current))
            .map(|c| (*c).to_owned())
            .collect(),
        [
            "config",
            "use-context" | "use" | "delete-context" | "rename-context" | "get-contexts"
            | "set-context",
        ] => {
            let flags: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
            let overrides = kubeconfig::global_overrides(&flags);
            kubeconfig::load(session, overrides.get("kubeconfig").map(String::as_str))
                .map(|l| l.config.contexts.into_keys().collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .filter(|n| n.starts_with(current))
                .collect()
        }
        ["rollout"] => ["history", "pause", "restart", "resume", "status", "undo"]
            .iter()
            .filter(|c| c.starts_with(current))
            .map(|c| (*c).to_owned())
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn pflag_forms() {
        let specs = [f("output", Some('o'), true), f("all", None, false)];
        let flags = parse_flags(
            &strings(&["pods", "-oyaml", "-n=kube-system", "--all", "x", "--", "a"]),
            &specs,
            "get",
        )
        .unwrap_or_default();
        assert_eq!(flags.get("output"), Some("yaml"));
        assert_eq!(flags.get("namespace"), Some("kube-system"));
        assert!(flags.bool("all"));
        assert_eq!(flags.args, strings(&["pods", "x"]));
        assert_eq!(flags.dash_args, strings(&["a"]));
        let err = parse_flags(&strings(&["--foo"]), &specs, "get").err();
        assert_eq!(
            err.as_deref(),
            Some("Error: unknown flag: --foo\nSee 'kubectl get --help' for usage.\n")
        );
    }

    #[test]
    fn did_you_mean() {
        assert_eq!(suggestions("gett"), vec!["set", "get"]);
        assert_eq!(suggestions("foo"), vec!["top"]);
    }
}
