//! `kubectl auth can-i` and `kubectl auth whoami`, and who kubectl's requests come from
//! (the kubeconfig's `kubernetes-admin`, or the user `--as` impersonates).

use super::resources::{DISCOVERY, resolve_type};
use super::{FlagSpec, KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::Value;
use tidepool_core::rbac::{self, Request, UserInfo};

/// The identity in kubeadm's admin client certificate (CN and O).
pub const ADMIN_USER: &str = "kubernetes-admin";
pub const ADMIN_GROUP: &str = "kubeadm:cluster-admins";

/// The user the apiserver sees for this command line. The requestor is who the kubeconfig's
/// credential says: a ServiceAccount for a token this cluster issued, else the admin
/// certificate's `kubernetes-admin`. `--as`/`--as-group`/`--as-uid` then impersonate, which
/// the requestor must be allowed to do (`rbac::impersonate`). Read leniently here; each
/// command still parses its flags.
///
/// `client_args` are the arguments that choose the kubeconfig user (`--user`, `--context`).
pub fn requesting_user(
    session: &Session,
    args: &[String],
    client_args: &[String],
) -> Result<UserInfo, String> {
    let mut name: Option<String> = None;
    let mut groups: Vec<String> = Vec::new();
    let mut uid: Option<String> = None;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if arg == "--" {
            break;
        }
        let mut take = |flag: &str| -> Option<String> {
            if let Some(value) = arg.strip_prefix(&format!("--{flag}=")) {
                return Some(value.to_owned());
            }
            if arg == &format!("--{flag}") {
                i += 1;
                return Some(args.get(i).cloned().unwrap_or_default());
            }
            None
        };
        if let Some(value) = take("as") {
            name = Some(value);
        } else if let Some(value) = take("as-group") {
            groups.push(value);
        } else if let Some(value) = take("as-uid") {
            uid = Some(value);
        }
        i += 1;
    }
    let requestor = match super::kubeconfig::user_token(session, client_args) {
        Some(token) => service_account_of_token(session, &token).ok_or_else(|| {
            "error: You must be logged in to the server (Unauthorized)\n".to_owned()
        })?,
        None => admin(),
    };
    match name.filter(|n| !n.is_empty()) {
        Some(user) => {
            let wanted = rbac::Impersonation { user, groups, uid };
            rbac::impersonate(session.sim.api(), &requestor, &wanted)
                .map_err(|e| super::api_error(&e, None))
        }
        None if !groups.is_empty() || uid.is_some() => Err(
            "error: requesting uid, groups or user-extra for  without impersonating a user\n"
                .to_owned(),
        ),
        None => Ok(requestor),
    }
}

/// The admin certificate's identity (kubeadm's admin.conf).
pub fn admin() -> UserInfo {
    UserInfo::new(ADMIN_USER, &[ADMIN_GROUP.to_owned()])
}

/// The ServiceAccount token authenticator: a token this cluster signed, not expired, whose
/// account (and pod, for a pod-bound token) still exists with the uid it names.
fn service_account_of_token(session: &Session, token: &str) -> Option<UserInfo> {
    let api = session.sim.api();
    let claims = tidepool_core::token::authenticate(api.seed(), api.now(), token)?;
    let account = api
        .get_ref(
            tidepool_core::Kind::ServiceAccount,
            &claims.namespace,
            &claims.service_account,
        )
        .ok()?;
    if account.meta().uid.as_deref() != Some(claims.service_account_uid.as_str()) {
        return None;
    }
    if let Some(pod) = &claims.pod {
        api.get_ref(tidepool_core::Kind::Pod, &claims.namespace, pod)
            .ok()?;
    }
    let name = format!(
        "system:serviceaccount:{}:{}",
        claims.namespace, claims.service_account
    );
    Some(UserInfo::new(&name, &[]))
}

const CAN_I_FLAGS: &[FlagSpec] = &[
    f("all-namespaces", Some('A'), false),
    f("quiet", Some('q'), false),
    f("list", None, false),
    f("no-headers", None, false),
    f("subresource", None, true),
];

pub fn auth(session: &mut Session, args: &[String]) -> KResult {
    match args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str)
    {
        Some("can-i") => can_i(session, &without_first(args, "can-i")),
        Some("whoami") => whoami(session, &without_first(args, "whoami")),
        Some("reconcile") => Err(
            "error: \"kubectl auth reconcile\" is not available in this playground (create or \
             apply the RBAC objects instead)\n"
                .to_owned(),
        ),
        _ => Ok(Res::out(AUTH_HELP)),
    }
}

const AUTH_HELP: &str = "Inspect authorization.

Available Commands:
  can-i         Check whether an action is allowed
  reconcile     Reconciles rules for RBAC role, role binding, cluster role, and cluster role binding objects
  whoami        Experimental: Check self subject attributes

Usage:
  kubectl auth [flags] [options]

Use \"kubectl auth <command> --help\" for more information about a given command.
Use \"kubectl options\" for a list of global command-line options (applies to all commands).
";

fn without_first(args: &[String], word: &str) -> Vec<String> {
    let mut out = args.to_vec();
    if let Some(i) = out.iter().position(|a| a == word) {
        out.remove(i);
    }
    out
}

const RESOURCE_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "impersonate",
    "escalate",
    "approve",
];
const NON_RESOURCE_VERBS: &[&str] = &["get", "put", "post", "head", "options", "delete", "patch"];

fn user_of(session: &Session) -> UserInfo {
    session
        .sim
        .api()
        .acting_user()
        .cloned()
        .unwrap_or_else(|| UserInfo::new(ADMIN_USER, &[ADMIN_GROUP.to_owned()]))
}

fn can_i(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, CAN_I_FLAGS, "auth can-i")?;
    let user = user_of(session);
    let ns = namespace(session, &flags);
    if flags.bool("list") {
        if !flags.args.is_empty() {
            return Err("error: list option must be specified with no arguments\n".to_owned());
        }
        if flags.bool("quiet") || flags.bool("all-namespaces") || flags.has("subresource") {
            return Err("error: --list option must not be specified with --quiet, \
                 --all-namespaces, or --subresource\n"
                .to_owned());
        }
        let rules: Vec<Value> = rbac::rules_for(session.sim.api(), &user, &ns)
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect();
        let mut rows: Vec<Vec<String>> = Vec::new();
        if !flags.bool("no-headers") {
            rows.push(
                ["Resources", "Non-Resource URLs", "Resource Names", "Verbs"]
                    .map(str::to_owned)
                    .to_vec(),
            );
        }
        rows.extend(
            super::describe::policy_rule_rows(&rules)
                .into_iter()
                .map(|r| r.to_vec()),
        );
        return Ok(Res::out(crate::tabwriter::format(&rows, 6, 3)));
    }
    let [verb, target] = flags.args.as_slice() else {
        return Err(
            "error: you must specify two arguments: verb resource or verb \
                    resource/resourceName.\nSee 'kubectl auth can-i -h' for help and examples.\n"
                .to_owned(),
        );
    };
    let mut warnings = String::new();
    let subresource = flags.get("subresource").unwrap_or("").to_owned();
    let request = if target.starts_with('/') {
        if !subresource.is_empty() {
            return Err("error: --subresource can not be used with NonResourceURL\n".to_owned());
        }
        if !NON_RESOURCE_VERBS.contains(&verb.as_str()) {
            warnings.push_str(&format!("Warning: verb '{verb}' is not a known verb\n"));
        }
        Request {
            verb: verb.clone(),
            path: Some(target.clone()),
            ..Request::default()
        }
    } else {
        let (resource_arg, name) = match target.split_once('/') {
            Some((r, n)) => (r, n),
            None => (target.as_str(), ""),
        };
        let (group, resource, namespaced) = resource_for(resource_arg, &mut warnings);
        if namespaced == Some(false) && !flags.bool("all-namespaces") {
            warnings.push_str(&if group.is_empty() {
                format!("Warning: resource '{resource}' is not namespace scoped\n")
            } else {
                format!(
                    "Warning: resource '{resource}' is not namespace scoped in group '{group}'\n"
                )
            });
        }
        if namespaced.is_some() && !RESOURCE_VERBS.contains(&verb.as_str()) {
            warnings.push_str(&format!("Warning: verb '{verb}' is not a known verb\n"));
        }
        Request {
            verb: verb.clone(),
            namespace: if flags.bool("all-namespaces") {
                String::new()
            } else {
                ns
            },
            api_group: group,
            resource,
            subresource,
            name: name.to_owned(),
            path: None,
        }
    };
    if flags.has("no-headers") {
        return Err("error: --no-headers cannot be set without --list specified\n".to_owned());
    }
    let allowed = rbac::authorize(session.sim.api(), &user, &request);
    let mut res = if flags.bool("quiet") {
        Res::ok()
    } else {
        Res::out(if allowed { "yes\n" } else { "no\n" })
    };
    if !warnings.is_empty() {
        res.chunks.insert(0, (crate::Stream::Stderr, warnings));
    }
    res.code = if allowed { 0 } else { 1 };
    Ok(res)
}

/// `resourceFor`: the group, plural and scope of a resource argument (`pods`, `deploy`,
/// `deployments.apps`, `*`); unknown ones are checked as given, with kubectl's warning.
fn resource_for(arg: &str, warnings: &mut String) -> (String, String, Option<bool>) {
    if arg == "*" {
        return (String::new(), "*".to_owned(), None);
    }
    let lower = arg.to_ascii_lowercase();
    if let Some(t) = resolve_type(&lower) {
        return (
            t.kind.group().to_owned(),
            t.kind.plural().to_owned(),
            Some(t.kind.namespaced()),
        );
    }
    let (base, group) = match lower.split_once('.') {
        Some((b, g)) => (b, g),
        None => (lower.as_str(), ""),
    };
    let known = DISCOVERY.iter().find(|d| {
        (d.name == base
            || d.short.split(',').any(|s| s == base)
            || d.kind.to_ascii_lowercase() == base)
            && (group.is_empty() || d.group == group)
    });
    if let Some(d) = known {
        return (d.group.to_owned(), d.name.to_owned(), Some(d.namespaced));
    }
    if group.is_empty() {
        warnings.push_str(&format!(
            "Warning: the server doesn't have a resource type '{base}'\n"
        ));
    } else {
        warnings.push_str(&format!(
            "Warning: the server doesn't have a resource type '{base}' in group '{group}'\n"
        ));
    }
    (String::new(), arg.to_owned(), None)
}

const WHOAMI_FLAGS: &[FlagSpec] = &[f("output", Some('o'), true)];

fn whoami(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, WHOAMI_FLAGS, "auth whoami")?;
    if let Some(output) = flags.get("output").filter(|o| !o.is_empty()) {
        return Err(format!(
            "error: --output {output} is not available in this playground (use no -o)\n"
        ));
    }
    let user = user_of(session);
    let rows = vec![
        vec!["ATTRIBUTE".to_owned(), "VALUE".to_owned()],
        vec!["Username".to_owned(), user.name.clone()],
        vec!["Groups".to_owned(), format!("[{}]", user.groups.join(" "))],
    ];
    Ok(Res::out(crate::tabwriter::format(&rows, 6, 3)))
}
