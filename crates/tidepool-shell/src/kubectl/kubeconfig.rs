//! The kubeconfig: a real file in the VFS (`/root/.kube/config`, kubeadm's admin.conf layout)
//! that kubectl loads on every command, as client-go's loading rules do: `--kubeconfig FILE`,
//! else the `KUBECONFIG` list (merged, first file wins), else `~/.kube/config`.
//!
//! The cluster is the simulation whatever the file says, but the file decides whether kubectl
//! reaches it: an unknown context, a context without a cluster, a server other than the
//! control plane's or a user without credentials fail the way real kubectl fails offline.

use super::{FlagSpec, Flags, KResult, f, parse_flags};
use crate::Session;
use crate::exec::Res;
use crate::vfs;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const DEFAULT_PATH: &str = "/root/.kube/config";
pub const ADMIN_CONTEXT: &str = "kubernetes-admin@kubernetes";
pub const ADMIN_USER: &str = "kubernetes-admin";
pub const CLUSTER: &str = "kubernetes";

/// One kubeconfig (a file, or several merged). Entries are keyed by name: kubectl keeps them
/// in maps, so a file it writes lists them sorted by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kubeconfig {
    pub clusters: BTreeMap<String, Map<String, Value>>,
    pub users: BTreeMap<String, Map<String, Value>>,
    pub contexts: BTreeMap<String, Map<String, Value>>,
    pub current_context: String,
    pub preferences: Map<String, Value>,
}

/// The JSON type name Go's `encoding/json` uses in its unmarshal errors.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A deterministic PEM block, base64-encoded as kubeadm writes `*-data` fields. The bytes come
/// from a fixed splitmix64 stream (no OS randomness): plausible, never a real key.
fn pem_data(label: &str, stream: u64, len: usize) -> String {
    let mut state = stream;
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        bytes.extend_from_slice(&z.to_le_bytes());
    }
    bytes.truncate(len);
    // A DER SEQUENCE header, so the block decodes like a certificate or key would.
    bytes[0] = 0x30;
    bytes[1] = 0x82;
    let body = super::base64(&bytes);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    super::base64(pem.as_bytes())
}

/// libyaml's error as go-yaml v2 words it: `yaml: line N: PROBLEM`, where N is the 0-based line
/// of a parser error's mark and the 1-based line of a scanner error's.
fn go_yaml_error(message: &str) -> String {
    let Ok(re) = regex_lite::Regex::new(r"^(.*) at line (\d+) column \d+(, while (\w+).*)?$")
    else {
        return format!("yaml: {message}");
    };
    let Some(caps) = re.captures(message) else {
        return format!("yaml: {message}");
    };
    let problem = caps.get(1).map_or("", |m| m.as_str());
    let line: usize = caps
        .get(2)
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(0);
    let scanning = caps.get(4).is_some_and(|m| m.as_str() == "scanning");
    let line = if scanning {
        line
    } else {
        line.saturating_sub(1)
    };
    format!("yaml: line {line}: {problem}")
}

impl Kubeconfig {
    /// kubeadm's `admin.conf` for a control plane at `ip`, with `namespace` in its context
    /// (none for `default`, as kubeadm writes it).
    pub fn admin(ip: &str, namespace: &str) -> Self {
        let mut cfg = Self::default();
        let mut cluster = Map::new();
        cluster.insert(
            "certificate-authority-data".to_owned(),
            Value::String(pem_data("CERTIFICATE", 1, 770)),
        );
        cluster.insert(
            "server".to_owned(),
            Value::String(format!("https://{ip}:6443")),
        );
        cfg.clusters.insert(CLUSTER.to_owned(), cluster);
        let mut context = Map::new();
        context.insert("cluster".to_owned(), Value::String(CLUSTER.to_owned()));
        if namespace != "default" && !namespace.is_empty() {
            context.insert("namespace".to_owned(), Value::String(namespace.to_owned()));
        }
        context.insert("user".to_owned(), Value::String(ADMIN_USER.to_owned()));
        cfg.contexts.insert(ADMIN_CONTEXT.to_owned(), context);
        cfg.current_context = ADMIN_CONTEXT.to_owned();
        let mut user = Map::new();
        user.insert(
            "client-certificate-data".to_owned(),
            Value::String(pem_data("CERTIFICATE", 2, 800)),
        );
        user.insert(
            "client-key-data".to_owned(),
            Value::String(pem_data("RSA PRIVATE KEY", 3, 1190)),
        );
        cfg.users.insert(ADMIN_USER.to_owned(), user);
        cfg
    }

    /// Parses a kubeconfig file's text; errors are real kubectl's (minus the `error: `).
    pub fn parse(text: &str, path: &str) -> Result<Self, String> {
        let loading = |msg: String| format!("error loading config file \"{path}\": {msg}");
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        let value: Value =
            serde_norway::from_str(text).map_err(|e| loading(go_yaml_error(&e.to_string())))?;
        let Value::Object(top) = value else {
            return Err(loading(format!(
                "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}",
                go_type(&value)
            )));
        };
        let mut cfg = Self::default();
        for (field, go_name, slot) in [
            ("clusters", "NamedCluster", "cluster"),
            ("users", "NamedAuthInfo", "user"),
            ("contexts", "NamedContext", "context"),
        ] {
            let items = match top.get(field) {
                None | Some(Value::Null) => continue,
                Some(Value::Array(items)) => items,
                Some(other) => {
                    return Err(loading(format!(
                        "json: cannot unmarshal {} into Go struct field Config.{field} of type []v1.{go_name}",
                        go_type(other)
                    )));
                }
            };
            for item in items {
                let Value::Object(item) = item else {
                    return Err(loading(format!(
                        "json: cannot unmarshal {} into Go struct field Config.{field} of type v1.{go_name}",
                        go_type(item)
                    )));
                };
                let name = match item.get("name") {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => {
                        return Err(loading(format!(
                            "json: cannot unmarshal {} into Go struct field {go_name}.{field}.name of type string",
                            go_type(other)
                        )));
                    }
                };
                let body = match item.get(slot) {
                    None | Some(Value::Null) => Map::new(),
                    Some(Value::Object(m)) => m.clone(),
                    Some(other) => {
                        return Err(loading(format!(
                            "json: cannot unmarshal {} into Go struct field {go_name}.{field}.{slot} of type v1.{}",
                            go_type(other),
                            match slot {
                                "cluster" => "Cluster",
                                "user" => "AuthInfo",
                                _ => "Context",
                            }
                        )));
                    }
                };
                let map = match field {
                    "clusters" => &mut cfg.clusters,
                    "users" => &mut cfg.users,
                    _ => &mut cfg.contexts,
                };
                // client-go keeps the first of two entries with one name.
                map.entry(name).or_insert(body);
            }
        }
        match top.get("current-context") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => cfg.current_context = s.clone(),
            Some(other) => {
                return Err(loading(format!(
                    "json: cannot unmarshal {} into Go struct field Config.current-context of type string",
                    go_type(other)
                )));
            }
        }
        if let Some(Value::Object(p)) = top.get("preferences") {
            cfg.preferences = p.clone();
        }
        Ok(cfg)
    }

    /// Merges `other` under `self`: what `self` has wins (client-go's KUBECONFIG merge).
    fn merge(&mut self, other: Self) {
        for (k, v) in other.clusters {
            self.clusters.entry(k).or_insert(v);
        }
        for (k, v) in other.users {
            self.users.entry(k).or_insert(v);
        }
        for (k, v) in other.contexts {
            self.contexts.entry(k).or_insert(v);
        }
        if self.current_context.is_empty() {
            self.current_context = other.current_context;
        }
    }

    /// The config as a JSON value (the shape `-o yaml` and jsonpath see).
    pub fn to_value(&self) -> Value {
        // `required` are the fields client-go's structs write even when empty.
        let list =
            |entries: &BTreeMap<String, Map<String, Value>>, slot: &str, required: &[&str]| {
                if entries.is_empty() {
                    return Value::Null;
                }
                Value::Array(
                    entries
                        .iter()
                        .map(|(name, body)| {
                            let mut body = body.clone();
                            for key in required {
                                body.entry(*key)
                                    .or_insert_with(|| Value::String(String::new()));
                            }
                            let mut item = Map::new();
                            item.insert("name".to_owned(), Value::String(name.clone()));
                            item.insert(slot.to_owned(), Value::Object(body));
                            Value::Object(item)
                        })
                        .collect(),
                )
            };
        let mut top = Map::new();
        top.insert("apiVersion".to_owned(), Value::String("v1".to_owned()));
        top.insert(
            "clusters".to_owned(),
            list(&self.clusters, "cluster", &["server"]),
        );
        top.insert(
            "contexts".to_owned(),
            list(&self.contexts, "context", &["cluster", "user"]),
        );
        top.insert(
            "current-context".to_owned(),
            Value::String(self.current_context.clone()),
        );
        top.insert("kind".to_owned(), Value::String("Config".to_owned()));
        top.insert(
            "preferences".to_owned(),
            Value::Object(self.preferences.clone()),
        );
        top.insert("users".to_owned(), list(&self.users, "user", &[]));
        Value::Object(top)
    }

    /// The file as kubectl writes it.
    pub fn to_file(&self) -> String {
        crate::yaml::to_yaml(&self.to_value())
    }

    /// `kubectl config view` without `--raw`: certificate data omitted, secrets redacted.
    pub fn shortened(&self) -> Self {
        let mut cfg = self.clone();
        let non_empty =
            |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
        for cluster in cfg.clusters.values_mut() {
            if non_empty(cluster.get("certificate-authority-data")) {
                cluster.insert(
                    "certificate-authority-data".to_owned(),
                    Value::String("DATA+OMITTED".to_owned()),
                );
            }
        }
        for user in cfg.users.values_mut() {
            for (key, shown) in [
                ("client-certificate-data", "DATA+OMITTED"),
                ("client-key-data", "DATA+OMITTED"),
                ("token", "REDACTED"),
                ("password", "REDACTED"),
            ] {
                if non_empty(user.get(key)) {
                    user.insert(key.to_owned(), Value::String(shown.to_owned()));
                }
            }
        }
        cfg
    }

    /// `--minify`: only `context` (the current one when `None`) with its cluster and user.
    pub fn minified(&self, context: Option<&str>) -> Result<Self, String> {
        let name = context.unwrap_or(&self.current_context);
        if name.is_empty() {
            return Err("error: current-context must exist in order to minify\n".to_owned());
        }
        let Some(ctx) = self.contexts.get(name) else {
            return Err(format!("error: cannot locate context {name}\n"));
        };
        let mut out = Self {
            current_context: name.to_owned(),
            preferences: self.preferences.clone(),
            ..Self::default()
        };
        out.contexts.insert(name.to_owned(), ctx.clone());
        let cluster = field(ctx, "cluster");
        match self.clusters.get(cluster) {
            Some(c) => {
                out.clusters.insert(cluster.to_owned(), c.clone());
            }
            None => return Err(format!("error: cannot locate cluster {cluster}\n")),
        }
        let user = field(ctx, "user");
        if let Some(u) = self.users.get(user) {
            out.users.insert(user.to_owned(), u.clone());
        }
        Ok(out)
    }

    /// `-o json`: client-go's struct order (kind, apiVersion, preferences, clusters, users,
    /// contexts, current-context; `name` before the entry), 4-space indentation.
    pub fn to_json(&self) -> String {
        fn entries(
            out: &mut String,
            key: &str,
            slot: &str,
            map: &BTreeMap<String, Map<String, Value>>,
            order: &[&str],
        ) {
            if map.is_empty() {
                out.push_str(&format!("    \"{key}\": null,\n"));
                return;
            }
            out.push_str(&format!("    \"{key}\": [\n"));
            for (i, (name, body)) in map.iter().enumerate() {
                out.push_str("        {\n");
                out.push_str(&format!("            \"name\": {},\n", json_scalar(name)));
                out.push_str(&format!("            \"{slot}\": "));
                out.push_str(&ordered_object(body, order, 12));
                out.push_str("\n        }");
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            out.push_str("    ],\n");
        }
        let mut out = String::from("{\n    \"kind\": \"Config\",\n    \"apiVersion\": \"v1\",\n");
        out.push_str("    \"preferences\": ");
        out.push_str(&ordered_object(&self.preferences, &[], 4));
        out.push_str(",\n");
        entries(
            &mut out,
            "clusters",
            "cluster",
            &self.clusters,
            CLUSTER_ORDER,
        );
        entries(&mut out, "users", "user", &self.users, USER_ORDER);
        entries(
            &mut out,
            "contexts",
            "context",
            &self.contexts,
            CONTEXT_ORDER,
        );
        out.push_str(&format!(
            "    \"current-context\": {}\n}}\n",
            json_scalar(&self.current_context)
        ));
        out
    }
}

/// Field order of client-go's `v1.Cluster`, `v1.AuthInfo` and `v1.Context` structs.
const CLUSTER_ORDER: &[&str] = &[
    "server",
    "tls-server-name",
    "insecure-skip-tls-verify",
    "certificate-authority",
    "certificate-authority-data",
    "proxy-url",
    "disable-compression",
    "extensions",
];
const USER_ORDER: &[&str] = &[
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
    "token",
    "tokenFile",
    "as",
    "as-uid",
    "as-groups",
    "as-user-extra",
    "username",
    "password",
    "auth-provider",
    "exec",
    "extensions",
];
const CONTEXT_ORDER: &[&str] = &["cluster", "user", "namespace", "extensions"];

fn json_scalar(s: &str) -> String {
    let text = serde_json::to_string(s).unwrap_or_default();
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// An object with `order`'s keys first, then the rest sorted; nested values as kubectl's JSON.
fn ordered_object(map: &Map<String, Value>, order: &[&str], indent: usize) -> String {
    if map.is_empty() {
        return "{}".to_owned();
    }
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by_key(|k| {
        (
            order.iter().position(|o| o == k).unwrap_or(order.len()),
            (*k).clone(),
        )
    });
    let pad = " ".repeat(indent + 4);
    let mut out = String::from("{\n");
    for (i, k) in keys.iter().enumerate() {
        let v = &map[k.as_str()];
        let body = crate::yaml::to_json(v);
        let body = body.trim_end().replace('\n', &format!("\n{pad}"));
        out.push_str(&format!("{pad}{}: {body}", json_scalar(k)));
        out.push_str(if i + 1 < keys.len() { ",\n" } else { "\n" });
    }
    out.push_str(&" ".repeat(indent));
    out.push('}');
    out
}

/// A string field of a kubeconfig entry ("" when absent).
pub fn field<'a>(entry: &'a Map<String, Value>, key: &str) -> &'a str {
    entry.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Where the loaded config came from and where changes go.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Kubeconfig,
    /// The file kubectl writes to (and names in its messages).
    pub target: String,
    /// Every file of the chain that exists, in order (more than one only with a KUBECONFIG list).
    pub files: Vec<String>,
}

/// Loads the kubeconfig as client-go's loading rules do; `explicit` is `--kubeconfig`'s value.
pub fn load(session: &Session, explicit: Option<&str>) -> Result<Loaded, String> {
    let read = |path: &str| -> Result<Option<Kubeconfig>, String> {
        match session.vfs.read(path) {
            Ok(text) => Kubeconfig::parse(&text, path)
                .map(Some)
                .map_err(|e| format!("error: {e}\n")),
            Err(_) => Ok(None),
        }
    };
    if let Some(given) = explicit.filter(|p| !p.is_empty()) {
        let path = vfs::resolve(&session.cwd, given);
        return match read(&path)? {
            Some(config) => Ok(Loaded {
                config,
                target: path.clone(),
                files: vec![path],
            }),
            None => Err(format!("error: stat {given}: no such file or directory\n")),
        };
    }
    let chain: Vec<String> = match session.env.get("KUBECONFIG").filter(|v| !v.is_empty()) {
        Some(list) => list
            .split(':')
            .filter(|p| !p.is_empty())
            .map(|p| vfs::resolve(&session.cwd, p))
            .collect(),
        None => {
            let home = session.env.get("HOME").map_or("/root", String::as_str);
            vec![vfs::resolve("/", &format!("{home}/.kube/config"))]
        }
    };
    let mut config = Kubeconfig::default();
    let mut files = Vec::new();
    for path in &chain {
        if let Some(cfg) = read(path)? {
            config.merge(cfg);
            files.push(path.clone());
        }
    }
    let target = files
        .first()
        .or(chain.last())
        .cloned()
        .unwrap_or_else(|| DEFAULT_PATH.to_owned());
    Ok(Loaded {
        config,
        target,
        files,
    })
}

/// Writes `config` to `path`, creating its directory as kubectl does.
pub fn save(session: &mut Session, path: &str, config: &Kubeconfig) -> Result<(), String> {
    let dir = match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    };
    session
        .vfs
        .mkdir(dir, true)
        .and_then(|()| session.vfs.write(path, &config.to_file(), false))
        .map_err(|e| format!("error: open {path}: {}\n", e.to_lowercase()))
}

/// Why kubectl cannot reach the simulated cluster with this config, as it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// `Error in configuration: context was not found for specified context: NAME`.
    NoContext(String),
    /// No cluster (no context, or its cluster is not defined): client-go's default,
    /// `localhost:8080`, which refuses.
    Localhost,
    /// A server other than the control plane's: nothing answers there.
    Timeout(String),
    /// A user kubectl has no credentials for: it asks for a username, and stdin is empty.
    NoCredentials,
    /// A bad `--kubeconfig` or file (the message is complete).
    Config(String),
}

/// What a kubectl command works with: the context's namespace, and why the cluster cannot be
/// reached with it, if it cannot (client-side dry runs still work then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub namespace: String,
    pub unreachable: Option<Unreachable>,
}

/// Global flags that pick the config: `--kubeconfig`, `--context`, `--cluster`, `--user`
/// (pflag forms `--x=v` and `--x v`, before any `--`).
pub fn global_overrides(args: &[String]) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            break;
        }
        for name in ["kubeconfig", "context", "cluster", "user"] {
            let long = format!("--{name}");
            if let Some(v) = a.strip_prefix(&format!("{long}=")) {
                out.insert(name, v.to_owned());
            } else if *a == long
                && let Some(v) = args.get(i + 1)
            {
                out.insert(name, v.clone());
                i += 1;
            }
        }
        i += 1;
    }
    out
}

/// Resolves the client config for one command: the loaded file, `--context`, the context's
/// cluster and user, checked against the simulated control plane at `server`.
pub fn client(session: &Session, args: &[String], server: &str) -> Client {
    let fail = |why: Unreachable| Client {
        namespace: "default".to_owned(),
        unreachable: Some(why),
    };
    let overrides = global_overrides(args);
    let loaded = match load(session, overrides.get("kubeconfig").map(String::as_str)) {
        Ok(loaded) => loaded,
        Err(e) => return fail(Unreachable::Config(e)),
    };
    let cfg = &loaded.config;
    let context_name = overrides
        .get("context")
        .cloned()
        .unwrap_or_else(|| cfg.current_context.clone());
    let empty = Map::new();
    let context = if context_name.is_empty() {
        &empty
    } else {
        match cfg.contexts.get(&context_name) {
            Some(c) => c,
            None => return fail(Unreachable::NoContext(context_name)),
        }
    };
    let namespace = match field(context, "namespace") {
        "" => "default".to_owned(),
        ns => ns.to_owned(),
    };
    let unreachable = reachability(cfg, context, &overrides, server);
    Client {
        namespace,
        unreachable,
    }
}

fn reachability(
    cfg: &Kubeconfig,
    context: &Map<String, Value>,
    overrides: &BTreeMap<&'static str, String>,
    server: &str,
) -> Option<Unreachable> {
    let cluster_name = overrides
        .get("cluster")
        .map_or_else(|| field(context, "cluster"), String::as_str);
    let Some(cluster) = cfg.clusters.get(cluster_name) else {
        return Some(Unreachable::Localhost);
    };
    let url = field(cluster, "server");
    if url.is_empty() {
        return Some(Unreachable::Localhost);
    }
    let host = url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let ours = server.trim_start_matches("https://");
    let by_name = format!("controlplane:{}", ours.rsplit(':').next().unwrap_or("6443"));
    if host != ours && host != by_name {
        return Some(Unreachable::Timeout(host.to_owned()));
    }
    let user_name = overrides
        .get("user")
        .map_or_else(|| field(context, "user"), String::as_str);
    // The simulated apiserver authorises everyone: any credential is the admin's.
    let has_credentials = cfg.users.get(user_name).is_some_and(|u| {
        [
            "client-certificate",
            "client-certificate-data",
            "token",
            "tokenFile",
            "username",
            "exec",
            "auth-provider",
        ]
        .iter()
        .any(|k| u.get(*k).is_some_and(|v| !v.is_null() && v != ""))
    });
    (!has_credentials).then_some(Unreachable::NoCredentials)
}

/// The bearer token of the kubeconfig user this command uses (`--user`, else the context's),
/// when it has no client certificate: the apiserver tries the certificate first, and the admin
/// certificate is the only one the simulated CA signed.
pub fn user_token(session: &Session, args: &[String]) -> Option<String> {
    let overrides = global_overrides(args);
    let loaded = load(session, overrides.get("kubeconfig").map(String::as_str)).ok()?;
    let cfg = &loaded.config;
    let user_name = match overrides.get("user") {
        Some(user) => user.clone(),
        None => {
            let context = overrides.get("context").unwrap_or(&cfg.current_context);
            field(cfg.contexts.get(context)?, "user").to_owned()
        }
    };
    let user = cfg.users.get(&user_name)?;
    let has_certificate = ["client-certificate", "client-certificate-data"]
        .iter()
        .any(|k| !field(user, k).is_empty());
    let token = field(user, "token");
    (!has_certificate && !token.is_empty()).then(|| token.to_owned())
}

// `kubectl config`: every subcommand reads the file(s) anew and writes back what it changes.

/// Help texts kubectl v1.32 prints for `kubectl config` alone (on stderr) and for
/// subcommands given the wrong number of arguments.
const ROOT_HELP: &str = r#"Modify kubeconfig files using subcommands like "kubectl config set current-context my-context".

 The loading order follows these rules:

  1.  If the --kubeconfig flag is set, then only that file is loaded. The flag may only be set once and no merging takes place.
  2.  If $KUBECONFIG environment variable is set, then it is used as a list of paths (normal path delimiting rules for your system). These paths are merged. When a value is modified, it is modified in the file that defines the stanza. When a value is created, it is created in the first file that exists. If no files in the chain exist, then it creates the last file in the list.
  3.  Otherwise, ${HOME}/.kube/config is used and no merging takes place.

Available Commands:
  current-context   Display the current-context
  delete-cluster    Delete the specified cluster from the kubeconfig
  delete-context    Delete the specified context from the kubeconfig
  delete-user       Delete the specified user from the kubeconfig
  get-clusters      Display clusters defined in the kubeconfig
  get-contexts      Describe one or many contexts
  get-users         Display users defined in the kubeconfig
  rename-context    Rename a context from the kubeconfig file
  set               Set an individual value in a kubeconfig file
  set-cluster       Set a cluster entry in kubeconfig
  set-context       Set a context entry in kubeconfig
  set-credentials   Set a user entry in kubeconfig
  unset             Unset an individual value in a kubeconfig file
  use-context       Set the current-context in a kubeconfig file
  view              Display merged kubeconfig settings or a specified kubeconfig file

Usage:
  kubectl config SUBCOMMAND [options]

Use "kubectl config <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"#;
const USE_CONTEXT_HELP: &str = r#"Set the current-context in a kubeconfig file.

Aliases:
use-context, use

Examples:
  # Use the context for the minikube cluster
  kubectl config use-context minikube

Usage:
  kubectl config use-context CONTEXT_NAME [options]

Use "kubectl options" for a list of global command-line options (applies to all commands).
"#;
const DELETE_CONTEXT_HELP: &str = r#"Delete the specified context from the kubeconfig.

Examples:
  # Delete the context for the minikube cluster
  kubectl config delete-context minikube

Usage:
  kubectl config delete-context NAME [options]

Use "kubectl options" for a list of global command-line options (applies to all commands).
"#;
const RENAME_CONTEXT_HELP: &str = r#"Renames a context from the kubeconfig file.

 CONTEXT_NAME is the context name that you want to change.

 NEW_NAME is the new name you want to set.

 Note: If the context being renamed is the 'current-context', this field will also be updated.

Examples:
  # Rename the context 'old-name' to 'new-name' in your kubeconfig file
  kubectl config rename-context old-name new-name

Usage:
  kubectl config rename-context CONTEXT_NAME NEW_NAME [options]

Use "kubectl options" for a list of global command-line options (applies to all commands).
"#;

const DELETE_CLUSTER_HELP: &str = r#"Delete the specified cluster from the kubeconfig.

Examples:
  # Delete the minikube cluster
  kubectl config delete-cluster minikube

Usage:
  kubectl config delete-cluster NAME [options]

Use "kubectl options" for a list of global command-line options (applies to all commands).
"#;
const SET_HELP: &str = r#"Set an individual value in a kubeconfig file.

 PROPERTY_NAME is a dot delimited name where each token represents either an attribute name or a map key.  Map keys may not contain dots.

 PROPERTY_VALUE is the new value you want to set. Binary fields such as 'certificate-authority-data' expect a base64 encoded string unless the --set-raw-bytes flag is used.

 Specifying an attribute name that already exists will merge new fields on top of existing values.

Examples:
  # Set the server field on the my-cluster cluster to https://1.2.3.4
  kubectl config set clusters.my-cluster.server https://1.2.3.4
  
  # Set the certificate-authority-data field on the my-cluster cluster
  kubectl config set clusters.my-cluster.certificate-authority-data $(echo "cert_data_here" | base64 -i -)
  
  # Set the cluster field in the my-context context to my-cluster
  kubectl config set contexts.my-context.cluster my-cluster
  
  # Set the client-key-data field in the cluster-admin user using --set-raw-bytes option
  kubectl config set users.cluster-admin.client-key-data cert_data_here --set-raw-bytes=true

Options:
    --set-raw-bytes=false:
	When writing a []byte PROPERTY_VALUE, write the given string directly without base64 decoding.

Usage:
  kubectl config set PROPERTY_NAME PROPERTY_VALUE [options]

Use "kubectl options" for a list of global command-line options (applies to all commands).
"#;
const UNSET_HELP: &str = r#"Unset an individual value in a kubeconfig file.

 PROPERTY_NAME is a dot delimited name where each token represents either an attribute name or a map key.  Map keys may not contain dots.

Examples:
  # Unset the current-context
  kubectl config unset current-context
  
  # Unset namespace in foo context
  kubectl config unset contexts.foo.namespace

Usage:
  kubectl config unset PROPERTY_NAME [options]

Use "kubectl options" for a list of global command-line options (applies to all commands).
"#;

fn unexpected_args(help: &str, args: &[String]) -> Res {
    let mut res = Res::out(help);
    res.push_err(format!("error: Unexpected args: [{}]\n", args.join(" ")));
    res.code = 1;
    res
}

/// Applies `change` to the loaded config and writes it back. With a KUBECONFIG list the change
/// goes to the first file only (client-go would write each stanza to the file defining it).
fn modify(
    session: &mut Session,
    flags: &Flags,
    change: impl Fn(&mut Kubeconfig, &str) -> Result<Res, String>,
) -> KResult {
    let loaded = load(session, flags.get("kubeconfig"))?;
    let mut config = loaded.config.clone();
    let res = change(&mut config, &loaded.target)?;
    if loaded.files.len() > 1 {
        let own = session
            .vfs
            .read(&loaded.target)
            .ok()
            .and_then(|t| Kubeconfig::parse(&t, &loaded.target).ok());
        if let Some(mut own) = own
            && change(&mut own, &loaded.target).is_ok()
        {
            config = own;
        } else {
            return Ok(res);
        }
    }
    save(session, &loaded.target, &config)?;
    Ok(res)
}

pub fn config(session: &mut Session, args: &[String]) -> KResult {
    let specs: &[FlagSpec] = &[
        f("current", None, false),
        f("output", Some('o'), true),
        f("minify", None, false),
        f("raw", None, false),
        f("flatten", None, false),
        f("certificate-authority", None, true),
        f("embed-certs", None, false),
        f("insecure-skip-tls-verify", None, false),
        f("tls-server-name", None, true),
        f("token", None, true),
        f("username", None, true),
        f("password", None, true),
        f("client-certificate", None, true),
        f("client-key", None, true),
        f("set-raw-bytes", None, false),
    ];
    let Some(sub) = args.iter().find(|a| !a.starts_with('-')) else {
        let mut res = Res::ok();
        res.push_err(ROOT_HELP);
        return Ok(res);
    };
    let rest: Vec<String> = {
        let mut v = args.to_vec();
        if let Some(i) = v.iter().position(|a| a == sub) {
            v.remove(i);
        }
        v
    };
    // `--namespace`, `--cluster` and `--user` are set-context's own flags here; pflag parses
    // them as the global ones, which have the same names.
    // set-context's own `--namespace` has no shorthand and shadows the global `-n`.
    if sub == "set-context"
        && let Some(short) = rest
            .iter()
            .take_while(|a| a.as_str() != "--")
            .find(|a| a.starts_with("-n") && !a.starts_with("--"))
    {
        return Err(format!(
            "Error: unknown shorthand flag: 'n' in {short}\nSee 'kubectl config set-context --help' for usage.\n"
        ));
    }
    let flags = parse_flags(&rest, specs, &format!("config {sub}"))?;
    let names = &flags.args;
    match sub.as_str() {
        "current-context" => {
            let loaded = load(session, flags.get("kubeconfig"))?;
            if loaded.config.current_context.is_empty() {
                return Err("error: current-context is not set\n".to_owned());
            }
            Ok(Res::out(format!("{}\n", loaded.config.current_context)))
        }
        "view" => view(session, &flags),
        "get-contexts" => get_contexts(session, &flags),
        "get-clusters" | "get-users" => {
            let loaded = load(session, flags.get("kubeconfig"))?;
            let entries = if sub == "get-clusters" {
                &loaded.config.clusters
            } else {
                &loaded.config.users
            };
            let mut out = "NAME\n".to_owned();
            for name in entries.keys() {
                out.push_str(&format!("{name}\n"));
            }
            Ok(Res::out(out))
        }
        "use-context" | "use" => {
            let [name] = names.as_slice() else {
                return Ok(unexpected_args(USE_CONTEXT_HELP, names));
            };
            modify(session, &flags, |cfg, _| {
                if name.is_empty() {
                    return Err("error: empty context names are not allowed\n".to_owned());
                }
                if !cfg.contexts.contains_key(name) {
                    return Err(format!(
                        "error: no context exists with the name: \"{name}\"\n"
                    ));
                }
                cfg.current_context.clone_from(name);
                Ok(Res::out(format!("Switched to context \"{name}\".\n")))
            })
        }
        "set-context" => {
            let current = flags.bool("current");
            let name = match (names.first(), current) {
                (Some(_), true) => {
                    return Err(
                        "error: you cannot specify both a context name and --current\n".to_owned(),
                    );
                }
                (Some(n), false) if !n.is_empty() => n.clone(),
                (None, true) => String::new(),
                _ => {
                    return Err(
                        "error: you must specify a non-empty context name or --current\n"
                            .to_owned(),
                    );
                }
            };
            let fields: Vec<(&str, String)> = ["cluster", "user", "namespace"]
                .into_iter()
                .filter_map(|k| flags.get(k).map(|v| (k, v.to_owned())))
                .collect();
            modify(session, &flags, |cfg, _| {
                let name = if current {
                    if cfg.current_context.is_empty() {
                        return Err("error: no current context is set\n".to_owned());
                    }
                    cfg.current_context.clone()
                } else {
                    name.clone()
                };
                let existed = cfg.contexts.contains_key(&name);
                let entry = cfg.contexts.entry(name.clone()).or_default();
                for (k, v) in &fields {
                    entry.insert((*k).to_owned(), Value::String(v.clone()));
                }
                let verb = if existed { "modified" } else { "created" };
                Ok(Res::out(format!("Context \"{name}\" {verb}.\n")))
            })
        }
        "delete-context" | "delete-cluster" | "delete-user" => {
            let what = &sub["delete-".len()..];
            let Some(name) = names.first() else {
                return Ok(match what {
                    "context" => Res::out(DELETE_CONTEXT_HELP),
                    "cluster" => Res::out(DELETE_CLUSTER_HELP),
                    _ => Res::err(
                        "error: user to delete is required\nSee 'kubectl config delete-user -h' for help and examples\n",
                        1,
                    ),
                });
            };
            modify(session, &flags, |cfg, target| {
                let entries = match what {
                    "context" => &mut cfg.contexts,
                    "cluster" => &mut cfg.clusters,
                    _ => &mut cfg.users,
                };
                if entries.remove(name).is_none() {
                    return Err(format!(
                        "error: cannot delete {what} {name}, not in {target}\n"
                    ));
                }
                let mut res = Res::ok();
                if what == "context" && cfg.current_context == *name {
                    res.push_err("warning: this removed your active context, use \"kubectl config use-context\" to select a different one\n");
                }
                res.push_out(format!("deleted {what} {name} from {target}\n"));
                Ok(res)
            })
        }
        "rename-context" => {
            let [old, new] = names.as_slice() else {
                return Ok(unexpected_args(RENAME_CONTEXT_HELP, names));
            };
            modify(session, &flags, |cfg, target| {
                if cfg.contexts.contains_key(new) {
                    return Err(format!(
                        "error: cannot rename the context \"{old}\", the context \"{new}\" already exists in {target}\n"
                    ));
                }
                let Some(context) = cfg.contexts.remove(old) else {
                    return Err(format!(
                        "error: cannot rename the context \"{old}\", it's not in {target}\n"
                    ));
                };
                cfg.contexts.insert(new.clone(), context);
                if cfg.current_context == *old {
                    cfg.current_context.clone_from(new);
                }
                Ok(Res::out(format!(
                    "Context \"{old}\" renamed to \"{new}\".\n"
                )))
            })
        }
        "set-cluster" => {
            // kubectl prints the command's long help before this error; the playground keeps
            // to the error (`kubectl config set-cluster --help` has the usage).
            let [name] = names.as_slice() else {
                return Err(format!("error: Unexpected args: [{}]\n", names.join(" ")));
            };
            let mut fields: Vec<(&str, Value)> = Vec::new();
            if let Some(v) = flags.get("server") {
                fields.push(("server", Value::String(v.to_owned())));
            }
            if let Some(v) = flags.get("tls-server-name") {
                fields.push(("tls-server-name", Value::String(v.to_owned())));
            }
            if let Some(v) = flags.get("certificate-authority") {
                fields.push(("certificate-authority", Value::String(v.to_owned())));
            }
            if flags.has("insecure-skip-tls-verify") {
                fields.push((
                    "insecure-skip-tls-verify",
                    Value::Bool(flags.bool("insecure-skip-tls-verify")),
                ));
            }
            modify(session, &flags, |cfg, _| {
                let entry = cfg.clusters.entry(name.clone()).or_default();
                for (k, v) in &fields {
                    entry.insert((*k).to_owned(), v.clone());
                }
                Ok(Res::out(format!("Cluster \"{name}\" set.\n")))
            })
        }
        "set-credentials" => {
            let [name] = names.as_slice() else {
                return Err(format!("error: unexpected args: [{}]\n", names.join(" ")));
            };
            if flags.has("token") && (flags.has("username") || flags.has("password")) {
                return Err("error: you cannot specify more than one authentication method at the same time: --token, --username/--password\n".to_owned());
            }
            let fields: Vec<(&str, String)> = [
                ("token", "token"),
                ("username", "username"),
                ("password", "password"),
                ("client-certificate", "client-certificate"),
                ("client-key", "client-key"),
            ]
            .into_iter()
            .filter_map(|(flag, key)| flags.get(flag).map(|v| (key, v.to_owned())))
            .collect();
            modify(session, &flags, |cfg, _| {
                let entry = cfg.users.entry(name.clone()).or_default();
                for (k, v) in &fields {
                    entry.insert((*k).to_owned(), Value::String(v.clone()));
                }
                Ok(Res::out(format!("User \"{name}\" set.\n")))
            })
        }
        "set" | "unset" => {
            let expected = if sub == "set" { 2 } else { 1 };
            if names.len() != expected {
                let help = if sub == "set" { SET_HELP } else { UNSET_HELP };
                return Ok(unexpected_args(help, names));
            }
            let property = names[0].clone();
            let value = names.get(1).cloned();
            modify(session, &flags, |cfg, _| {
                set_property(cfg, &property, value.as_deref())?;
                let verb = if value.is_some() { "set" } else { "unset" };
                Ok(Res::out(format!("Property \"{property}\" {verb}.\n")))
            })
        }
        other => Err(format!(
            "error: unknown command \"{other}\"\nSee 'kubectl config -h' for help and examples\n"
        )),
    }
}

/// `kubectl config set|unset PROPERTY [VALUE]` for the paths learners use:
/// `current-context`, `contexts.NAME[.FIELD]`, `clusters.NAME[.FIELD]`, `users.NAME[.FIELD]`.
fn set_property(cfg: &mut Kubeconfig, property: &str, value: Option<&str>) -> Result<(), String> {
    let unparsable = || format!("error: unable to parse {property} after [] at api.Config\n");
    let parts: Vec<&str> = property.split('.').collect();
    match parts.as_slice() {
        ["current-context"] => {
            cfg.current_context = value.unwrap_or("").to_owned();
            Ok(())
        }
        [
            section @ ("contexts" | "clusters" | "users"),
            name,
            rest @ ..,
        ] => {
            let (entries, fields): (_, &[&str]) = match *section {
                "contexts" => (&mut cfg.contexts, &["cluster", "user", "namespace"]),
                "clusters" => (
                    &mut cfg.clusters,
                    &[
                        "server",
                        "tls-server-name",
                        "insecure-skip-tls-verify",
                        "certificate-authority",
                        "certificate-authority-data",
                        "proxy-url",
                    ],
                ),
                _ => (
                    &mut cfg.users,
                    &[
                        "client-certificate",
                        "client-certificate-data",
                        "client-key",
                        "client-key-data",
                        "token",
                        "username",
                        "password",
                    ],
                ),
            };
            match (rest, value) {
                ([], None) => {
                    entries.remove(*name);
                    Ok(())
                }
                ([], Some(_)) => Err(format!("error: can't set a map to a value: {property}\n")),
                ([field], _) if fields.contains(field) => {
                    match value {
                        Some(v) => {
                            let v = if *field == "insecure-skip-tls-verify" {
                                Value::Bool(v == "true")
                            } else {
                                Value::String(v.to_owned())
                            };
                            entries
                                .entry((*name).to_owned())
                                .or_default()
                                .insert((*field).to_owned(), v);
                        }
                        None => {
                            if let Some(e) = entries.get_mut(*name) {
                                e.remove(*field);
                            }
                        }
                    }
                    Ok(())
                }
                _ => Err(unparsable()),
            }
        }
        _ => Err(unparsable()),
    }
}

fn view(session: &Session, flags: &Flags) -> KResult {
    let loaded = load(session, flags.get("kubeconfig"))?;
    let mut cfg = loaded.config;
    if flags.bool("minify") {
        cfg = cfg.minified(flags.get("context"))?;
    }
    // `--flatten` embeds file references as data, which then shows as `--raw` does.
    if !flags.bool("raw") && !flags.bool("flatten") {
        cfg = cfg.shortened();
    }
    match flags.get("output").unwrap_or("yaml") {
        "yaml" => Ok(Res::out(cfg.to_file())),
        "json" => Ok(Res::out(cfg.to_json())),
        "name" => Ok(Res::out("config/<unknown>\n")),
        o if o.starts_with("jsonpath=") || o.starts_with("jsonpath-as-json=") => {
            let template = o.split_once('=').map_or("", |(_, t)| t);
            Ok(Res::out(super::json::jsonpath(template, &cfg.to_value())?))
        }
        other => Err(format!(
            "error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml\n"
        )),
    }
}

fn get_contexts(session: &Session, flags: &Flags) -> KResult {
    let loaded = load(session, flags.get("kubeconfig"))?;
    let cfg = &loaded.config;
    let output = flags.get("output").unwrap_or("");
    if !output.is_empty() && output != "name" {
        return Err(format!(
            "error: --output {output} is not available in kubectl config get-contexts; resetting to default output format\n"
        ));
    }
    let mut missing = Vec::new();
    let mut shown: Vec<&String> = Vec::new();
    if flags.args.is_empty() {
        shown.extend(cfg.contexts.keys());
    } else {
        for name in &flags.args {
            match cfg.contexts.get_key_value(name) {
                Some((k, _)) => shown.push(k),
                None => missing.push(format!("context {name} not found")),
            }
        }
    }
    let mut res = if output == "name" {
        Res::out(shown.iter().map(|n| format!("{n}\n")).collect::<String>())
    } else {
        let mut rows = vec![
            ["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>(),
        ];
        for name in shown {
            let ctx = &cfg.contexts[name];
            rows.push(vec![
                if *name == cfg.current_context {
                    "*"
                } else {
                    ""
                }
                .to_owned(),
                name.clone(),
                field(ctx, "cluster").to_owned(),
                field(ctx, "user").to_owned(),
                field(ctx, "namespace").to_owned(),
            ]);
        }
        Res::out(crate::tabwriter::table(&rows))
    };
    if !missing.is_empty() {
        res.push_err(format!("error: {}\n", missing.join("\n")));
        res.code = 1;
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_round_trips_through_its_file() {
        let cfg = Kubeconfig::admin("172.30.1.2", "dev");
        let text = cfg.to_file();
        assert!(
            text.starts_with("apiVersion: v1\nclusters:\n- cluster:\n"),
            "{text}"
        );
        assert_eq!(Kubeconfig::parse(&text, "/x").ok(), Some(cfg));
    }

    #[test]
    fn certificate_data_is_base64_pem() {
        let data = pem_data("CERTIFICATE", 1, 770);
        assert!(
            data.starts_with("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk"),
            "{data}"
        );
        assert_eq!(data, pem_data("CERTIFICATE", 1, 770));
    }

    #[test]
    fn malformed_files_fail_like_kubectl() {
        let err = Kubeconfig::parse("hello world\n", "/tmp/bad").err();
        assert!(
            err.as_deref().is_some_and(|e| e.starts_with(
                "error loading config file \"/tmp/bad\": couldn't get version/kind; json parse error: json: cannot unmarshal string into Go value"
            )),
            "{err:?}"
        );
        let err = Kubeconfig::parse("apiVersion: v1\nkind: Config\nclusters: 5\n", "/c").err();
        assert_eq!(
            err.as_deref(),
            Some(
                "error loading config file \"/c\": json: cannot unmarshal number into Go struct field Config.clusters of type []v1.NamedCluster"
            )
        );
        assert_eq!(
            Kubeconfig::parse("", "/e").ok(),
            Some(Kubeconfig::default())
        );
        // kubectl v1.32 on this text: `yaml: line 5: did not find expected node content`.
        let text = "apiVersion: v1\nclusters:\n- cluster:\n  server: x\n  bad: [\n";
        assert_eq!(
            Kubeconfig::parse(text, "/b").err().as_deref(),
            Some(
                "error loading config file \"/b\": yaml: line 5: did not find expected node content"
            )
        );
    }
}
