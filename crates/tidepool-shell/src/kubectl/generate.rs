//! `kubectl create <generator>` and `kubectl run`: objects built the way kubectl's generators
//! build them, so `--dry-run=client -o yaml` prints what real kubectl v1.32 prints.

use super::{FlagSpec, Flags, KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::{Map, Value, json};
use tidepool_core::{Kind, Object};

pub const CREATE_SUBCOMMANDS: &[&str] = &[
    "configmap",
    "cronjob",
    "deployment",
    "job",
    "namespace",
    "quota",
    "secret",
    "service",
    "serviceaccount",
    "token",
    "role",
    "clusterrole",
    "rolebinding",
    "clusterrolebinding",
    "priorityclass",
    "poddisruptionbudget",
    "ingress",
];

const COMMON: &[FlagSpec] = &[
    f("dry-run", None, true),
    f("output", Some('o'), true),
    f("save-config", None, false),
    f("validate", None, true),
    f("field-manager", None, true),
];

fn sub_specs(sub: &str) -> Vec<FlagSpec> {
    let mut v = COMMON.to_vec();
    v.extend(match sub {
        "deployment" => vec![
            f("image", None, true),
            f("replicas", Some('r'), true),
            f("port", None, true),
        ],
        "job" => vec![f("image", None, true), f("from", None, true)],
        "cronjob" => vec![
            f("image", None, true),
            f("schedule", None, true),
            f("restart", None, true),
        ],
        "configmap" | "secret" => vec![
            f("from-literal", None, true),
            f("from-file", None, true),
            f("from-env-file", None, true),
            f("type", None, true),
        ],
        // Each `create service` variant declares its own flags.
        "service clusterip" => vec![f("tcp", None, true), f("clusterip", None, true)],
        "service nodeport" => vec![f("tcp", None, true), f("node-port", None, true)],
        "service loadbalancer" => vec![f("tcp", None, true)],
        "service externalname" => vec![f("tcp", None, true), f("external-name", None, true)],
        "secret docker-registry" => vec![
            f("docker-server", None, true),
            f("docker-username", None, true),
            f("docker-password", None, true),
            f("docker-email", None, true),
            f("from-file", None, true),
        ],
        "role" => vec![
            f("verb", None, true),
            f("resource", None, true),
            f("resource-name", None, true),
        ],
        "clusterrole" => vec![
            f("verb", None, true),
            f("resource", None, true),
            f("resource-name", None, true),
            f("non-resource-url", None, true),
            f("aggregation-rule", None, true),
        ],
        "rolebinding" | "clusterrolebinding" => vec![
            f("role", None, true),
            f("clusterrole", None, true),
            f("user", None, true),
            f("group", None, true),
            f("serviceaccount", None, true),
        ],
        "quota" => vec![f("hard", None, true), f("scopes", None, true)],
        "token" => vec![f("duration", None, true), f("audience", None, true)],
        "priorityclass" => vec![
            f("value", None, true),
            f("global-default", None, false),
            f("description", None, true),
            f("preemption-policy", None, true),
        ],
        "poddisruptionbudget" => vec![
            f("selector", None, true),
            f("min-available", None, true),
            f("max-unavailable", None, true),
        ],
        "ingress" => vec![
            f("rule", None, true),
            f("class", None, true),
            f("annotation", None, true),
            f("default-backend", None, true),
        ],
        _ => vec![],
    });
    v
}

/// The container name kubectl derives from an image (`nginx:1.14` -> `nginx`).
fn image_name(image: &str) -> String {
    let base = image.rsplit('/').next().unwrap_or(image);
    let base = base.split(['@', ':']).next().unwrap_or(base);
    base.to_owned()
}

fn meta(name: &str, ns: Option<&str>) -> Value {
    let mut m = json!({"creationTimestamp": null, "name": name});
    if let Some(ns) = ns {
        m["namespace"] = json!(ns);
    }
    m
}

fn dry_run(flags: &Flags) -> Result<Option<&str>, String> {
    match flags.get("dry-run") {
        None | Some("none") | Some("false") => Ok(None),
        Some("client") | Some("true") => Ok(Some("client")),
        Some("server") => Ok(Some("server")),
        Some(other) => Err(format!(
            "error: Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\".\n"
        )),
    }
}

/// Prints or creates a generated object, as every generator ends.
pub fn finish(
    session: &mut Session,
    flags: &Flags,
    value: Value,
    kind: Kind,
    verb: &str,
) -> KResult {
    let mode = dry_run(flags)?;
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let output = flags.get("output").unwrap_or("");
    if mode == Some("client") {
        return print_object(&value, kind, &name, output, &format!("{verb} (dry run)"));
    }
    let mut v = value;
    if kind.namespaced() && v.pointer("/metadata/namespace").is_none() {
        v["metadata"]["namespace"] = json!(namespace(session, flags));
    }
    let object = Object::from_json(kind, v).map_err(|e| format!("error: {e}\n"))?;
    let created = if mode == Some("server") {
        object
    } else {
        let created = session.sim.api_mut().create(object).map_err(|e| {
            // `create deployment` wraps the error; `run` and the other generators print it.
            if kind == Kind::Deployment && verb == "created" {
                format!("error: failed to create deployment: {}\n", e.message)
            } else {
                super::api_error(&e, None)
            }
        })?;
        session.sim.advance(std::time::Duration::ZERO);
        created
    };
    let suffix = if mode == Some("server") {
        " (server dry run)"
    } else {
        ""
    };
    let printed = super::get::printable(&created);
    print_object(&printed, kind, &name, output, &format!("{verb}{suffix}"))
}

pub fn print_object(value: &Value, kind: Kind, name: &str, output: &str, op: &str) -> KResult {
    Ok(Res::out(match output {
        "" => format!("{} {op}\n", super::get::kind_name(kind, name)),
        "name" => format!("{}\n", super::get::kind_name(kind, name)),
        "yaml" => crate::yaml::to_yaml(value),
        "json" => crate::yaml::to_json(value),
        o if o.starts_with("jsonpath=") => {
            super::json::jsonpath(o.split_once('=').map_or("", |(_, t)| t), value)?
        }
        other => {
            return Err(format!(
                "error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml\n"
            ));
        }
    }))
}

/// `kubectl create secret docker-registry`: a `kubernetes.io/dockerconfigjson` Secret whose
/// `.dockerconfigjson` is the given file or kubectl's `{"auths":{SERVER:{...}}}` (Go's
/// json.Marshal: compact, struct field order, empty fields left out).
fn docker_registry_secret(
    session: &Session,
    flags: &Flags,
    name: &str,
    ns: Option<&str>,
) -> Result<Value, String> {
    let mut data = Map::new();
    for file in flags.all("from-file") {
        let (key, path) = match file.split_once('=') {
            Some((k, p)) => (k.to_owned(), p.to_owned()),
            None => (crate::vfs::basename(&file).to_owned(), file.clone()),
        };
        let text = session
            .read_file(&path)
            .ok_or_else(|| format!("error: error reading {path}: no such file or directory\n"))?;
        data.insert(key, json!(base64(text.as_bytes())));
    }
    if data.is_empty() {
        let username = flags.get("docker-username").unwrap_or_default();
        let password = flags.get("docker-password").unwrap_or_default();
        let server = flags
            .get("docker-server")
            .unwrap_or("https://index.docker.io/v1/");
        if username.is_empty() || password.is_empty() || server.is_empty() {
            return Err("error: either --from-file or the combination of --docker-username, --docker-password and --docker-server is required\n".to_owned());
        }
        // Written by hand: serde_json's maps sort their keys, Go keeps the struct's order.
        let quote = |s: &str| Value::from(s).to_string();
        let email = flags
            .get("docker-email")
            .filter(|e| !e.is_empty())
            .map(|e| format!(",\"email\":{}", quote(e)))
            .unwrap_or_default();
        let auth = base64(format!("{username}:{password}").as_bytes());
        let config = format!(
            "{{\"auths\":{{{}:{{\"username\":{},\"password\":{}{email},\"auth\":{}}}}}}}",
            quote(server),
            quote(username),
            quote(password),
            quote(&auth)
        );
        data.insert(
            ".dockerconfigjson".to_owned(),
            json!(base64(config.as_bytes())),
        );
    }
    Ok(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": meta(name, ns),
        "data": data, "type": "kubernetes.io/dockerconfigjson"
    }))
}

fn need_name(flags: &Flags, what: &str) -> Result<String, String> {
    match flags.args.as_slice() {
        [name] => Ok(name.clone()),
        [] => Err(format!(
            "error: exactly one NAME is required, got 0\nSee 'kubectl create {what} -h' for help and examples\n"
        )),
        more => Err(format!(
            "error: exactly one NAME is required, got {}\nSee 'kubectl create {what} -h' for help and examples\n",
            more.len()
        )),
    }
}

fn ns_if_explicit(session: &Session, flags: &Flags) -> Option<String> {
    flags.has("namespace").then(|| namespace(session, flags))
}

pub fn create_sub(session: &mut Session, sub: &str, args: &[String]) -> KResult {
    let sub = match sub {
        "deploy" => "deployment",
        "ns" => "namespace",
        "cm" => "configmap",
        "cj" => "cronjob",
        "svc" => "service",
        "sa" => "serviceaccount",
        "resourcequota" => "quota",
        "pc" => "priorityclass",
        "pdb" => "poddisruptionbudget",
        "ing" => "ingress",
        s => s,
    };
    // `secret generic` / `service clusterip` have a second level.
    let (sub_name, args, variant) = match sub {
        "secret" | "service" => {
            let Some(v) = args.first() else {
                return Err(format!(
                    "error: must specify a {sub} type\nSee 'kubectl create {sub} -h' for help and examples\n"
                ));
            };
            (format!("{sub} {v}"), &args[1..], v.clone())
        }
        _ => (sub.to_owned(), args, String::new()),
    };
    if sub == "secret" && !["generic", "docker-registry"].contains(&variant.as_str()) {
        return Err(format!(
            "error: \"kubectl create secret {variant}\" is not available in this playground yet\n"
        ));
    }
    let spec_key = if sub == "service" || sub_name == "secret docker-registry" {
        sub_name.as_str()
    } else {
        sub
    };
    let flags = parse_flags(args, &sub_specs(spec_key), &format!("create {sub_name}"))?;
    if sub == "token" {
        return create_token(session, &flags);
    }
    if matches!(
        sub,
        "role" | "clusterrole" | "rolebinding" | "clusterrolebinding"
    ) {
        return create_rbac(session, sub, &flags);
    }
    let ns = ns_if_explicit(session, &flags);
    let ns = ns.as_deref();
    let (kind, value) = match sub {
        "deployment" => {
            let name = need_name(&flags, "deployment")?;
            let images = flags.all("image");
            if images.is_empty() {
                return Err("error: required flag(s) \"image\" not set\n".to_owned());
            }
            let replicas: i64 = match flags.get("replicas") {
                Some(r) => r.parse().map_err(|_| {
                    format!("Error: invalid argument \"{r}\" for \"-r, --replicas\" flag: strconv.ParseInt: parsing \"{r}\": invalid syntax\nSee 'kubectl create deployment --help' for usage.\n")
                })?,
                None => 1,
            };
            let mut containers: Vec<Value> = images
                .iter()
                .map(|i| json!({"image": i, "name": image_name(i), "resources": {}}))
                .collect();
            if let Some(port) = flags.get("port") {
                // `--port` is an int32 pflag here: cobra rejects it before the command runs.
                let p: i32 = port.parse().map_err(|_| {
                    format!("Error: invalid argument \"{port}\" for \"--port\" flag: strconv.ParseInt: parsing \"{port}\": {}\nSee 'kubectl create deployment --help' for usage.\n", go_parse_int_error(port))
                })?;
                if let Some(c) = containers.first_mut() {
                    c["ports"] = json!([{"containerPort": p}]);
                }
            }
            if flags.saw_dash && !flags.dash_args.is_empty() {
                if images.len() > 1 {
                    return Err(
                        "error: cannot specify multiple --image options and command\n".to_owned(),
                    );
                }
                if let Some(c) = containers.first_mut() {
                    c["command"] = json!(flags.dash_args);
                }
            }
            let mut m = meta(&name, ns);
            m["labels"] = json!({"app": name});
            (
                Kind::Deployment,
                json!({
                    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": m,
                    "spec": {
                        "replicas": replicas,
                        "selector": {"matchLabels": {"app": name}},
                        "strategy": {},
                        "template": {
                            "metadata": {"creationTimestamp": null, "labels": {"app": name}},
                            "spec": {"containers": containers}
                        }
                    },
                    "status": {}
                }),
            )
        }
        "namespace" => {
            let name = need_name(&flags, "namespace")?;
            (
                Kind::Namespace,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta(&name, None), "spec": {}, "status": {}}),
            )
        }
        "serviceaccount" => {
            let name = need_name(&flags, "serviceaccount")?;
            (
                Kind::ServiceAccount,
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(&name, ns)}),
            )
        }
        "job" => {
            let name = need_name(&flags, "job")?;
            let Some(image) = flags.get("image") else {
                return Err("error: either --image or --from must be specified\n".to_owned());
            };
            let mut c = json!({"image": image, "name": name, "resources": {}});
            if !flags.dash_args.is_empty() {
                c["command"] = json!(flags.dash_args);
            }
            (
                Kind::Job,
                json!({
                    "apiVersion": "batch/v1", "kind": "Job", "metadata": meta(&name, ns),
                    "spec": {"template": {"metadata": {"creationTimestamp": null},
                        "spec": {"containers": [c], "restartPolicy": "Never"}}},
                    "status": {}
                }),
            )
        }
        "cronjob" => {
            let name = need_name(&flags, "cronjob")?;
            let Some(image) = flags.get("image") else {
                return Err("error: required flag(s) \"image\", \"schedule\" not set\n".to_owned());
            };
            let Some(schedule) = flags.get("schedule") else {
                return Err("error: required flag(s) \"schedule\" not set\n".to_owned());
            };
            let restart = flags.get("restart").unwrap_or("OnFailure");
            let mut c = json!({"image": image, "name": name, "resources": {}});
            if !flags.dash_args.is_empty() {
                c["command"] = json!(flags.dash_args);
            }
            (
                Kind::CronJob,
                json!({
                    "apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta(&name, ns),
                    "spec": {
                        "jobTemplate": {
                            "metadata": {"creationTimestamp": null, "name": name},
                            "spec": {"template": {"metadata": {"creationTimestamp": null},
                                "spec": {"containers": [c], "restartPolicy": restart}}}
                        },
                        "schedule": schedule
                    },
                    "status": {}
                }),
            )
        }
        "secret" if variant == "docker-registry" => {
            let name = need_name(&flags, "secret docker-registry")?;
            (
                Kind::Secret,
                docker_registry_secret(session, &flags, &name, ns)?,
            )
        }
        "configmap" | "secret" => {
            let what = if sub == "secret" {
                "secret generic"
            } else {
                "configmap"
            };
            let name = need_name(&flags, what)?;
            let mut data = Map::new();
            for lit in flags.all("from-literal") {
                let Some((k, v)) = lit.split_once('=') else {
                    return Err(format!(
                        "error: invalid literal source {lit}, expected key=value\n"
                    ));
                };
                data.insert(k.to_owned(), json!(v));
            }
            for file in flags.all("from-file") {
                let (key, path) = match file.split_once('=') {
                    Some((k, p)) => (k.to_owned(), p.to_owned()),
                    None => (crate::vfs::basename(&file).to_owned(), file.clone()),
                };
                let text = session.read_file(&path).ok_or_else(|| {
                    format!("error: error reading {path}: no such file or directory\n")
                })?;
                data.insert(key, json!(text));
            }
            for file in flags.all("from-env-file") {
                let text = session.read_file(&file).ok_or_else(|| {
                    format!("error: error reading {file}: no such file or directory\n")
                })?;
                for line in text.lines() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    if let Some((k, v)) = line.split_once('=') {
                        data.insert(k.to_owned(), json!(v));
                    }
                }
            }
            if sub == "secret" {
                for v in data.values_mut() {
                    *v = json!(base64(v.as_str().unwrap_or("").as_bytes()));
                }
                let mut obj =
                    json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta(&name, ns)});
                if !data.is_empty() {
                    obj["data"] = Value::Object(data);
                }
                if let Some(t) = flags.get("type") {
                    obj["type"] = json!(t);
                }
                (Kind::Secret, obj)
            } else {
                let mut obj =
                    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(&name, ns)});
                if !data.is_empty() {
                    obj["data"] = Value::Object(data);
                }
                (Kind::ConfigMap, obj)
            }
        }
        "service" => {
            let ty = match variant.as_str() {
                "clusterip" => "ClusterIP",
                "nodeport" => "NodePort",
                "loadbalancer" => "LoadBalancer",
                "externalname" => "ExternalName",
                other => {
                    return Err(format!(
                        "error: unknown service type \"{other}\" (use clusterip, nodeport, loadbalancer or externalname)\n"
                    ));
                }
            };
            let name = need_name(&flags, &format!("service {variant}"))?;
            let external_name = if ty == "ExternalName" {
                let Some(external) = flags.get("external-name") else {
                    return Err("error: required flag(s) \"external-name\" not set\n".to_owned());
                };
                if !tidepool_core::validation::is_dns1123_subdomain(external) {
                    return Err(format!("error: invalid service external name {external}\n"));
                }
                Some(external.to_owned())
            } else {
                None
            };
            let mut ports = Vec::new();
            for spec in flags.all("tcp") {
                for one in spec.split(',') {
                    let (port, target) = one.split_once(':').unwrap_or((one, one));
                    let port: i64 = port
                        .parse()
                        .map_err(|_| format!("error: invalid port {one}\n"))?;
                    let target_v: Value = target.parse::<i64>().map_or(json!(target), |t| json!(t));
                    let mut p = json!({"name": one.replace(':', "-"), "port": port, "protocol": "TCP", "targetPort": target_v});
                    if let Some(np) = flags.get("node-port").and_then(|n| n.parse::<i64>().ok()) {
                        p["nodePort"] = json!(np);
                    }
                    ports.push(p);
                }
            }
            let headless = flags.get("clusterip") == Some("None");
            if ports.is_empty() && !headless && external_name.is_none() {
                return Err("error: at least one tcp port specifier must be provided\n".to_owned());
            }
            let mut m = meta(&name, ns);
            m["labels"] = json!({"app": name});
            let mut spec = json!({"selector": {"app": name}, "type": ty});
            // `ports` is `omitempty` in ServiceSpec: a headless service without --tcp has none.
            if !ports.is_empty() {
                spec["ports"] = json!(ports);
            }
            if let Some(ip) = flags.get("clusterip") {
                spec["clusterIP"] = json!(ip);
            }
            if let Some(external) = external_name {
                spec["externalName"] = json!(external);
            }
            (
                Kind::Service,
                json!({"apiVersion": "v1", "kind": "Service", "metadata": m, "spec": spec, "status": {"loadBalancer": {}}}),
            )
        }
        "quota" => {
            let name = need_name(&flags, "quota")?;
            let mut hard = Map::new();
            if let Some(h) = flags.get("hard") {
                for pair in h.split(',') {
                    let Some((k, v)) = pair.split_once('=') else {
                        return Err(format!("error: invalid resource quota {pair}\n"));
                    };
                    hard.insert(k.to_owned(), json!(v));
                }
            }
            let mut spec = json!({});
            if !hard.is_empty() {
                spec["hard"] = Value::Object(hard);
            }
            if let Some(scopes) = flags.get("scopes") {
                spec["scopes"] = json!(scopes.split(',').collect::<Vec<_>>());
            }
            (
                Kind::ResourceQuota,
                json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta(&name, ns), "spec": spec, "status": {}}),
            )
        }
        "priorityclass" => priority_class(&flags)?,
        "poddisruptionbudget" => pod_disruption_budget(&flags, ns)?,
        "ingress" => {
            let name = need_name(&flags, "ingress")?;
            (Kind::Ingress, ingress(&flags, &name, ns)?)
        }
        other => {
            return Err(format!(
                "error: \"kubectl create {other}\" is not available in this playground yet\n"
            ));
        }
    };
    finish(session, &flags, value, kind, "created")
}

/// `kubectl create priorityclass NAME --value=N [--global-default] [--description=TEXT]
/// [--preemption-policy=POLICY]` (cluster-scoped: `-n` is ignored).
fn priority_class(flags: &Flags) -> Result<(Kind, Value), String> {
    let name = need_name(flags, "priorityclass")?;
    let value: i32 = match flags.get("value") {
        Some(v) => v.parse().map_err(|_| {
            format!(
                "Error: invalid argument \"{v}\" for \"--value\" flag: strconv.ParseInt: parsing \"{v}\": {}\nSee 'kubectl create priorityclass --help' for usage.\n",
                go_parse_int_error(v)
            )
        })?,
        None => 0,
    };
    let mut object = json!({
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": meta(&name, None),
        "value": value,
        "preemptionPolicy": flags.get("preemption-policy").unwrap_or("PreemptLowerPriority"),
    });
    if flags.bool("global-default") {
        object["globalDefault"] = json!(true);
    }
    if let Some(d) = flags.get("description").filter(|d| !d.is_empty()) {
        object["description"] = json!(d);
    }
    Ok((Kind::PriorityClass, object))
}

/// `metav1.ParseToLabelSelector`: equality into matchLabels, set-based requirements into
/// matchExpressions (sorted by key, values sorted, as `labels.Parse` leaves them).
fn label_selector(text: &str) -> Result<Value, String> {
    use super::json::Req;
    let reqs = super::json::parse_selector(text)?;
    let mut labels = Map::new();
    let mut exprs: Vec<(String, Value)> = Vec::new();
    let sorted = |values: &[String]| {
        let mut v = values.to_vec();
        tidepool_core::stable_sort::sort(&mut v);
        v
    };
    for req in reqs {
        match req {
            Req::Eq(k, v) => {
                labels.insert(k, json!(v));
            }
            Req::Ne(..) => {
                return Err("error: \"!=\" is not a valid label selector operator\n".to_owned());
            }
            Req::In(k, vs) => exprs.push((
                k.clone(),
                json!({"key": k, "operator": "In", "values": sorted(&vs)}),
            )),
            Req::NotIn(k, vs) => exprs.push((
                k.clone(),
                json!({"key": k, "operator": "NotIn", "values": sorted(&vs)}),
            )),
            Req::Exists(k) => exprs.push((k.clone(), json!({"key": k, "operator": "Exists"}))),
            Req::NotExists(k) => {
                exprs.push((k.clone(), json!({"key": k, "operator": "DoesNotExist"})));
            }
        }
    }
    tidepool_core::stable_sort::sort_by_key(&mut exprs, |(k, _)| k.clone());
    let mut selector = Map::new();
    if !labels.is_empty() {
        selector.insert("matchLabels".to_owned(), Value::Object(labels));
    }
    if !exprs.is_empty() {
        selector.insert(
            "matchExpressions".to_owned(),
            Value::Array(exprs.into_iter().map(|(_, e)| e).collect()),
        );
    }
    Ok(Value::Object(selector))
}

/// `kubectl create poddisruptionbudget NAME --selector=SELECTOR --min-available=N|
/// --max-unavailable=N` (numbers or percentages).
fn pod_disruption_budget(flags: &Flags, ns: Option<&str>) -> Result<(Kind, Value), String> {
    let name = need_name(flags, "poddisruptionbudget")?;
    let selector = flags.get("selector").unwrap_or("");
    let min = flags.get("min-available").unwrap_or("");
    let max = flags.get("max-unavailable").unwrap_or("");
    if selector.is_empty() {
        return Err("error: a selector must be specified\n".to_owned());
    }
    if min.is_empty() && max.is_empty() {
        return Err(
            "error: one of min-available or max-unavailable must be specified\n".to_owned(),
        );
    }
    if !min.is_empty() && !max.is_empty() {
        return Err(
            "error: min-available and max-unavailable cannot be both specified\n".to_owned(),
        );
    }
    // kubectl's `^([0-9]+|[0-9]+%)$` check, then intstr.Parse (a number, else the text).
    let int_or_percent = |text: &str, flag: &str| -> Result<Value, String> {
        let digits = text.strip_suffix('%').unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("error: invalid format specified for {flag}\n"));
        }
        Ok(match text.parse::<i32>() {
            Ok(n) => json!(n),
            Err(_) => json!(text),
        })
    };
    let mut spec = Map::new();
    if !min.is_empty() {
        spec.insert(
            "minAvailable".to_owned(),
            int_or_percent(min, "min-available")?,
        );
    }
    if !max.is_empty() {
        spec.insert(
            "maxUnavailable".to_owned(),
            int_or_percent(max, "max-unavailable")?,
        );
    }
    spec.insert("selector".to_owned(), label_selector(selector)?);
    Ok((
        Kind::PodDisruptionBudget,
        json!({
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta(&name, ns),
            "spec": spec,
            "status": {"currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0},
        }),
    ))
}
/// `host/path=svc:port[,tls[=secret]]` as kubectl's rule regex reads it:
/// `^([\w*\-.]*)(/.*)=([\w\-]+):([\w\-]+)(,tls=?([\w\-]+)?)?$`.
fn ingress_rule_is_valid(rule: &str) -> bool {
    let word = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let Some(slash) = rule.find('/') else {
        return false;
    };
    let host = &rule[..slash];
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_*-.".contains(c))
    {
        return false;
    }
    // The path is greedy: try each `=` after the slash, the last first.
    rule[slash..]
        .match_indices('=')
        .map(|(i, _)| slash + i)
        .rev()
        .any(|eq| {
            let rest = &rule[eq + 1..];
            let (backend, tls) = match rest.split_once(',') {
                Some((b, t)) => (b, Some(t)),
                None => (rest, None),
            };
            let backend_ok = backend
                .split_once(':')
                .is_some_and(|(svc, port)| word(svc) && word(port));
            let tls_ok = match tls {
                None => true,
                Some(t) => t.strip_prefix("tls").is_some_and(|secret| {
                    let secret = secret.strip_prefix('=').unwrap_or(secret);
                    secret.is_empty() || word(secret)
                }),
            };
            backend_ok && tls_ok
        })
}

/// `svc:port` as an IngressServiceBackend: a numeric port is a number, else a name.
fn ingress_service_backend(text: &str) -> Value {
    let (name, port) = text.split_once(':').unwrap_or((text, ""));
    let port = match port.parse::<i32>() {
        Ok(n) => json!({"number": n}),
        Err(_) => json!({"name": port}),
    };
    json!({"service": {"name": name, "port": port}})
}

/// `kubectl create ingress` (`create_ingress.go`): rules merged per host, `*` ending a path
/// makes it a Prefix path, TLS entries per host in rule order.
fn ingress(flags: &Flags, name: &str, ns: Option<&str>) -> Result<Value, String> {
    let rules = flags.all("rule");
    let default_backend = flags.get("default-backend").unwrap_or("");
    if rules.is_empty() && default_backend.is_empty() {
        return Err(
            "error: not enough information provided: every ingress has to either \
                    specify a default-backend (which catches all traffic) or a list of rules \
                    (which catch specific paths)\n"
                .to_owned(),
        );
    }
    for rule in &rules {
        if !ingress_rule_is_valid(rule) {
            return Err(format!(
                "error: rule {rule} is invalid and should be in format \
                 host/path=svcname:svcport[,tls[=secret]]\n"
            ));
        }
    }
    let word = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !default_backend.is_empty()
        && !default_backend
            .split_once(':')
            .is_some_and(|(svc, port)| word(svc) && word(port))
    {
        return Err(
            "error: default-backend should be in format servicename:serviceport\n".to_owned(),
        );
    }
    let mut annotations = Map::new();
    for annotation in flags.all("annotation") {
        let Some((k, v)) = annotation.split_once('=') else {
            return Err(format!(
                "error: annotation {annotation} is invalid and should be in format key=[value]\n"
            ));
        };
        annotations.insert(k.to_owned(), json!(v));
    }
    let mut m = meta(name, ns);
    if !annotations.is_empty() {
        m["annotations"] = Value::Object(annotations);
    }
    let mut spec = Map::new();
    if !default_backend.is_empty() {
        spec.insert(
            "defaultBackend".to_owned(),
            ingress_service_backend(default_backend),
        );
    }
    if let Some(class) = flags.get("class").filter(|c| !c.is_empty()) {
        spec.insert("ingressClassName".to_owned(), json!(class));
    }
    let mut hosts: Vec<(String, Vec<Value>)> = Vec::new();
    for rule in &rules {
        let without_tls = rule.split(',').next().unwrap_or(rule);
        let (host, rest) = without_tls.split_once('/').unwrap_or((without_tls, ""));
        let mut parts = rest.split('=');
        let mut path = format!("/{}", parts.next().unwrap_or(""));
        let service = parts.next().unwrap_or("");
        let path_type = if path.ends_with('*') {
            path.pop();
            "Prefix"
        } else {
            "Exact"
        };
        let mut entry = json!({"path": path, "pathType": path_type, "backend": {}});
        if !service.is_empty() {
            entry["backend"] = ingress_service_backend(service);
        }
        match hosts.iter_mut().find(|(h, _)| h == host) {
            Some((_, paths)) => paths.push(entry),
            None => hosts.push((host.to_owned(), vec![entry])),
        }
    }
    if !hosts.is_empty() {
        let rules: Vec<Value> = hosts
            .into_iter()
            .map(|(host, paths)| {
                let mut rule = json!({"http": {"paths": paths}});
                if !host.is_empty() {
                    rule["host"] = json!(host);
                }
                rule
            })
            .collect();
        spec.insert("rules".to_owned(), Value::Array(rules));
    }
    // kubectl splits each rule at "tls" and keeps the last secret it saw.
    let mut tls = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut secret = String::new();
    for rule in &rules {
        let pieces: Vec<&str> = rule.split("tls").collect();
        if pieces.len() == 1 {
            continue;
        }
        let host = rule.split('/').next().unwrap_or("");
        if seen.contains(&host) {
            continue;
        }
        if !pieces[1].is_empty() {
            secret = pieces[1].trim_start_matches('=').to_owned();
        }
        let mut entry = Map::new();
        if !host.is_empty() {
            entry.insert("hosts".to_owned(), json!([host]));
        }
        if !secret.is_empty() {
            entry.insert("secretName".to_owned(), json!(secret));
        }
        if !entry.is_empty() {
            tls.push(Value::Object(entry));
        }
        seen.push(host);
    }
    if !tls.is_empty() {
        spec.insert("tls".to_owned(), Value::Array(tls));
    }
    Ok(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": m,
        "spec": spec, "status": {"loadBalancer": {}}
    }))
}

/// RFC 4648 base64 with padding (`tidepool_container::base64`, shared with `base64` in the
/// shells).
pub fn base64(bytes: &[u8]) -> String {
    tidepool_container::base64::encode(bytes)
}

const RUN_SPECS: &[FlagSpec] = &[
    f("image", None, true),
    f("restart", None, true),
    f("command", None, false),
    f("env", None, true),
    f("labels", Some('l'), true),
    f("port", None, true),
    f("dry-run", None, true),
    f("output", Some('o'), true),
    f("stdin", Some('i'), false),
    f("tty", Some('t'), false),
    f("rm", None, false),
    f("image-pull-policy", None, true),
    f("annotations", None, true),
    f("expose", None, false),
    f("privileged", None, false),
];

pub fn run(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, RUN_SPECS, "run")?;
    let Some(name) = flags.args.first().cloned() else {
        return Err(
            "error: NAME is required for run\nSee 'kubectl run -h' for help and examples\n"
                .to_owned(),
        );
    };
    let Some(image) = flags.get("image") else {
        return Err("error: required flag(s) \"image\" not set\n".to_owned());
    };
    let attach = flags.bool("stdin");
    if flags.bool("tty") && !attach {
        return Err("error: -i/--stdin is required for containers with -t/--tty=true\nSee 'kubectl run -h' for help and examples\n".to_owned());
    }
    if flags.bool("rm") && !attach {
        return Err("error: --rm should only be used for attached containers\nSee 'kubectl run -h' for help and examples\n".to_owned());
    }
    if attach && flags.get("dry-run").is_some_and(|d| d != "none") {
        return Err("error: --dry-run=[server|client] can't be used with attached containers options (--attach, --stdin, or --tty)\nSee 'kubectl run -h' for help and examples\n".to_owned());
    }
    let restart = flags.get("restart").unwrap_or("Always");
    if !matches!(restart, "Always" | "OnFailure" | "Never") {
        return Err(format!(
            "error: invalid restart policy: {restart}\nSee 'kubectl run -h' for help and examples\n"
        ));
    }
    let labels: Value = match flags.get("labels") {
        Some(l) => {
            let mut m = Map::new();
            for pair in l.split(',') {
                let Some((k, v)) = pair.split_once('=') else {
                    return Err(format!("error: unexpected label spec: {pair}\n"));
                };
                m.insert(k.to_owned(), json!(v));
            }
            Value::Object(m)
        }
        None => json!({"run": name}),
    };
    let mut c = json!({"image": image, "name": name, "resources": {}});
    if let Some(p) = flags.get("port") {
        // `run --port` is a string flag that `strconv.Atoi` reads once the command runs.
        let p: i64 = p.parse().map_err(|_| {
            format!(
                "error: strconv.Atoi: parsing \"{p}\": {}\n",
                go_parse_int_error(p)
            )
        })?;
        c["ports"] = json!([{"containerPort": p}]);
    }
    let env = flags.all("env");
    if !env.is_empty() {
        let mut vars = Vec::new();
        for e in env {
            let Some((k, v)) = e.split_once('=') else {
                return Err(format!("error: invalid env: {e}\n"));
            };
            vars.push(json!({"name": k, "value": v}));
        }
        c["env"] = json!(vars);
    }
    if let Some(p) = flags.get("image-pull-policy") {
        c["imagePullPolicy"] = json!(p);
    }
    if attach {
        c["stdin"] = json!(true);
        c["stdinOnce"] = json!(true);
        if flags.bool("tty") {
            c["tty"] = json!(true);
        }
    }
    let rest: Vec<String> = flags.args[1..]
        .iter()
        .chain(flags.dash_args.iter())
        .cloned()
        .collect();
    if !rest.is_empty() {
        c[if flags.bool("command") {
            "command"
        } else {
            "args"
        }] = json!(rest);
    }
    let mut m = meta(&name, ns_if_explicit(session, &flags).as_deref());
    m["labels"] = labels;
    let value = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": m,
        "spec": {"containers": [c], "dnsPolicy": "ClusterFirst", "restartPolicy": restart},
        "status": {}
    });
    let created = finish(session, &flags, value, Kind::Pod, "created")?;
    if !attach || created.code != 0 {
        return Ok(created);
    }
    let ns = namespace(session, &flags);
    let argv = if rest.is_empty() {
        vec!["sh".to_owned()]
    } else {
        rest
    };
    Ok(super::exec::attach(
        session,
        super::exec::Attach {
            namespace: ns,
            pod: name.clone(),
            container: name,
            argv,
            tty: flags.bool("tty"),
            remove: flags.bool("rm"),
            restart_always: restart == "Always",
            restart_on_failure: restart == "OnFailure",
            attach_only: false,
        },
    ))
}

/// Why Go's `strconv.ParseInt`/`Atoi` rejects `text`: out of range or not a number.
fn go_parse_int_error(text: &str) -> &'static str {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        "value out of range"
    } else {
        "invalid syntax"
    }
}

/// `kubectl create token SA`: a TokenRequest for the ServiceAccount, printing the token.
/// The API defaults the lifetime to an hour and refuses less than ten minutes.
fn create_token(session: &mut Session, flags: &Flags) -> KResult {
    let name = match flags.args.as_slice() {
        [name] => name.clone(),
        _ => {
            return Err(
                "error: exactly one argument (name) is required\nSee 'kubectl create token -h' for help and examples\n"
                    .to_owned(),
            );
        }
    };
    let ns = namespace(session, flags);
    let seconds = match flags.get("duration") {
        None => 3600,
        Some(text) => match crate::duration::parse_go_duration(text) {
            Some(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            None => {
                return Err(format!(
                    "Error: invalid argument \"{text}\" for \"--duration\" flag: time: invalid duration \"{text}\"\nSee 'kubectl create token --help' for usage.\n"
                ));
            }
        },
    };
    let api = session.sim.api();
    // The TokenRequest is a create of the account's token subresource.
    api.authorize_subresource("create", Kind::ServiceAccount, &ns, &name, "token")
        .map_err(|e| format!("error: failed to create token: {}\n", e.message))?;
    let Ok(account) = api.get_ref(Kind::ServiceAccount, &ns, &name) else {
        return Err(format!(
            "error: failed to create token: serviceaccounts \"{name}\" not found\n"
        ));
    };
    if seconds < 600 {
        return Err(format!(
            "error: failed to create token: TokenRequest.authentication.k8s.io \"{name}\" is invalid: spec.expirationSeconds: Invalid value: {seconds}: may not specify a duration less than 10 minutes\n"
        ));
    }
    let token = tidepool_core::token::issue(
        api.seed(),
        api.now(),
        &tidepool_core::token::TokenRequest {
            namespace: &ns,
            service_account: &name,
            service_account_uid: account.meta().uid.as_deref().unwrap_or(""),
            pod: None,
            expiration_seconds: seconds,
        },
    );
    Ok(Res::out(format!("{token}\n")))
}

/// Comma-separated values of a string-slice flag (pflag's `StringSlice`), in order.
fn slice_flag(flags: &Flags, name: &str) -> Vec<String> {
    flags
        .all(name)
        .iter()
        .flat_map(|v| v.split(','))
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

const RESOURCE_VERBS: &[&str] = &[
    "*",
    "get",
    "delete",
    "list",
    "create",
    "update",
    "patch",
    "watch",
    "proxy",
    "deletecollection",
    "use",
    "bind",
    "escalate",
    "impersonate",
];
const NON_RESOURCE_VERBS: &[&str] = &[
    "*", "get", "post", "put", "delete", "patch", "head", "options",
];

/// `create role|clusterrole|rolebinding|clusterrolebinding` (`create_role.go`,
/// `create_clusterrole.go`, `create_rolebinding.go`, `create_clusterrolebinding.go`).
fn create_rbac(session: &mut Session, sub: &str, flags: &Flags) -> KResult {
    let name = need_name(flags, sub)?;
    let ns = ns_if_explicit(session, flags);
    let mut warnings = String::new();
    let group = "rbac.authorization.k8s.io";
    let (kind, value) = match sub {
        "role" | "clusterrole" => {
            let cluster = sub == "clusterrole";
            let mut verbs = Vec::new();
            for verb in slice_flag(flags, "verb") {
                if verb == "*" {
                    verbs = vec![verb];
                    break;
                }
                if !verbs.contains(&verb) {
                    verbs.push(verb);
                }
            }
            let resources = slice_flag(flags, "resource");
            let names = dedup(slice_flag(flags, "resource-name"));
            let urls = slice_flag(flags, "non-resource-url");
            let aggregation = flags.get("aggregation-rule").unwrap_or("");
            let mut m = meta(&name, if cluster { None } else { ns.as_deref() });
            if cluster && !aggregation.is_empty() {
                if !urls.is_empty()
                    || !verbs.is_empty()
                    || !resources.is_empty()
                    || !names.is_empty()
                {
                    return Err("error: aggregation rule must be specified without                                 nonResourceURLs, verbs, resources or resourceNames\n"
                        .to_owned());
                }
                let mut labels = Map::new();
                for pair in aggregation.split(',') {
                    let Some((k, v)) = pair.split_once('=') else {
                        return Err(format!(
                            "Error: invalid argument \"{aggregation}\" for \"--aggregation-rule\" flag: {pair} must be formatted as key=value\nSee 'kubectl create clusterrole --help' for usage.\n"
                        ));
                    };
                    labels.insert(k.to_owned(), json!(v));
                }
                m["name"] = json!(name);
                let value = json!({
                    "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": labels}]},
                    "apiVersion": format!("{group}/v1"), "kind": "ClusterRole",
                    "metadata": m, "rules": null,
                });
                return finish(session, flags, value, Kind::ClusterRole, "created");
            }
            if verbs.is_empty() {
                return Err("error: at least one verb must be specified\n".to_owned());
            }
            if cluster && resources.is_empty() && urls.is_empty() {
                return Err(
                    "error: one of resource or nonResourceURL must be specified\n".to_owned(),
                );
            }
            // --resource=pods,pods/log,deployments.apps: group after the first dot, then
            // subresource after the slash; a bare `*` stands for every resource.
            let mut parsed: Vec<(String, String, String)> = Vec::new();
            for r in &resources {
                let (section, sub_resource) = match r.split_once('/') {
                    Some((a, b)) => (a, b),
                    None => (r.as_str(), ""),
                };
                let (resource, res_group) = match section.split_once('.') {
                    Some((a, b)) => (a, b),
                    None => (section, ""),
                };
                if resource == "*"
                    && res_group.is_empty()
                    && sub_resource.is_empty()
                    && !r.contains('.')
                {
                    parsed = vec![("*".to_owned(), String::new(), String::new())];
                    break;
                }
                parsed.push((
                    resource.to_owned(),
                    res_group.to_owned(),
                    sub_resource.to_owned(),
                ));
            }
            if !cluster || !resources.is_empty() {
                if parsed.is_empty() {
                    return Err("error: at least one resource must be specified\n".to_owned());
                }
                for verb in &verbs {
                    if !RESOURCE_VERBS.contains(&verb.as_str()) {
                        warnings.push_str(&format!(
                            "Warning: '{verb}' is not a standard resource verb\n"
                        ));
                    }
                }
            }
            // validateResource and the RESTMapper: short names become plurals; an unknown
            // resource is refused.
            let mut by_group: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            for (resource, res_group, sub_resource) in &parsed {
                if resource.is_empty() {
                    return Err(
                        "error: resource must be specified if apiGroup/subresource specified\n"
                            .to_owned(),
                    );
                }
                let (full, full_group) = if resource == "*" {
                    (resource.clone(), res_group.clone())
                } else {
                    let arg = if res_group.is_empty() {
                        resource.clone()
                    } else {
                        format!("{resource}.{res_group}")
                    };
                    match known_resource(&arg) {
                        Some(found) => found,
                        None => {
                            return Err(format!(
                                "error: the server doesn't have a resource type \"{resource}\"\n"
                            ));
                        }
                    }
                };
                for verb in &verbs {
                    let allowed: &[(&str, &str)] = match verb.as_str() {
                        "use" => &[
                            ("policy", "podsecuritypolicies"),
                            ("extensions", "podsecuritypolicies"),
                        ],
                        "bind" | "escalate" => &[(group, "roles"), (group, "clusterroles")],
                        "impersonate" => &[
                            ("", "users"),
                            ("", "serviceaccounts"),
                            ("", "groups"),
                            ("authentication.k8s.io", "userextras"),
                            ("authentication.k8s.io", "uids"),
                        ],
                        _ => continue,
                    };
                    if !allowed.iter().any(|(g, r)| *g == full_group && *r == full) {
                        return Err(format!(
                            "error: can not perform '{verb}' on '{full}' in group '{full_group}'\n"
                        ));
                    }
                }
                let full = if sub_resource.is_empty() {
                    full
                } else {
                    format!("{full}/{sub_resource}")
                };
                let list = by_group.entry(full_group).or_default();
                if !list.contains(&full) {
                    list.push(full);
                }
            }
            if !urls.is_empty() {
                if !names.is_empty() {
                    return Err(
                        "error: resource name should not be specified for non-resource URLs\n"
                            .to_owned(),
                    );
                }
                for verb in &verbs {
                    if !NON_RESOURCE_VERBS.contains(&verb.as_str()) {
                        return Err(format!(
                            "error: invalid verb: '{verb}' for nonResourceURL\n"
                        ));
                    }
                }
                for url in &urls {
                    if url == "*" {
                        continue;
                    }
                    if !url.starts_with('/') {
                        return Err("error: nonResourceURL should start with /\n".to_owned());
                    }
                    if url[..url.len() - 1].contains('*') {
                        return Err("error: nonResourceURL only supports wildcard matches when '*' is at the end\n".to_owned());
                    }
                }
            }
            let mut rules: Vec<Value> = by_group
                .into_iter()
                .map(|(g, resources)| {
                    let mut rule =
                        json!({"apiGroups": [g], "resources": resources, "verbs": verbs});
                    if !names.is_empty() {
                        rule["resourceNames"] = json!(names);
                    }
                    rule
                })
                .collect();
            if !urls.is_empty() {
                rules.push(json!({"nonResourceURLs": urls, "verbs": verbs}));
            }
            let kind = if cluster {
                Kind::ClusterRole
            } else {
                Kind::Role
            };
            (
                kind,
                json!({"apiVersion": format!("{group}/v1"), "kind": kind.name(), "metadata": m, "rules": rules}),
            )
        }
        _ => {
            let cluster = sub == "clusterrolebinding";
            let role = flags.get("role").unwrap_or("");
            let cluster_role = flags.get("clusterrole").unwrap_or("");
            if cluster && cluster_role.is_empty() {
                return Err("error: required flag(s) \"clusterrole\" not set\n".to_owned());
            }
            if !cluster && role.is_empty() == cluster_role.is_empty() {
                return Err(
                    "error: exactly one of clusterrole or role must be specified\n".to_owned(),
                );
            }
            let mut subjects: Vec<Value> = Vec::new();
            for user in flags.all("user") {
                subjects.push(json!({"apiGroup": group, "kind": "User", "name": user}));
            }
            for g in flags.all("group") {
                subjects.push(json!({"apiGroup": group, "kind": "Group", "name": g}));
            }
            for sa in flags.all("serviceaccount") {
                match sa.split(':').collect::<Vec<_>>().as_slice() {
                    [sa_ns, sa_name] if !sa_ns.is_empty() && !sa_name.is_empty() => {
                        subjects.push(
                            json!({"kind": "ServiceAccount", "name": sa_name, "namespace": sa_ns}),
                        );
                    }
                    _ => {
                        return Err("error: serviceaccount must be <namespace>:<name>\n".to_owned());
                    }
                }
            }
            let (ref_kind, ref_name) = if cluster_role.is_empty() {
                ("Role", role)
            } else {
                ("ClusterRole", cluster_role)
            };
            let kind = if cluster {
                Kind::ClusterRoleBinding
            } else {
                Kind::RoleBinding
            };
            let mut value = json!({
                "apiVersion": format!("{group}/v1"), "kind": kind.name(),
                "metadata": meta(&name, if cluster { None } else { ns.as_deref() }),
                "roleRef": {"apiGroup": group, "kind": ref_kind, "name": ref_name},
            });
            if !subjects.is_empty() {
                value["subjects"] = json!(subjects);
            }
            (kind, value)
        }
    };
    let mut res = finish(session, flags, value, kind, "created")?;
    if !warnings.is_empty() {
        res.chunks.insert(0, (crate::Stream::Stderr, warnings));
    }
    Ok(res)
}

/// The RESTMapper's answer for a resource argument (`pods`, `po`, `deployments.apps`,
/// `pod`): its plural and group, served or merely discovered.
fn known_resource(arg: &str) -> Option<(String, String)> {
    if let Some(t) = super::resources::resolve_type(arg) {
        return Some((t.kind.plural().to_owned(), t.kind.group().to_owned()));
    }
    let (base, group) = match arg.split_once('.') {
        Some((b, g)) => (b, Some(g)),
        None => (arg, None),
    };
    super::resources::DISCOVERY
        .iter()
        .find(|d| {
            (d.name == base
                || d.short.split(',').any(|s| s == base)
                || d.kind.eq_ignore_ascii_case(base))
                && group.is_none_or(|g| d.group == g)
        })
        .map(|d| (d.name.to_owned(), d.group.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b"pw"), "cHc=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"f"), "Zg==");
    }

    #[test]
    fn container_names() {
        assert_eq!(image_name("nginx:1.14.2"), "nginx");
        assert_eq!(image_name("registry.k8s.io/echoserver:1.4"), "echoserver");
    }
}
