//! `kubectl describe` (`pkg/describe/describe.go` layout): one tabwriter (minwidth 0,
//! padding 2) over `Label:\tvalue` lines, 2 spaces per level, and the Events table.
//! Kind-specific printers: Pod, Deployment, ReplicaSet/ReplicationController, Job, CronJob,
//! DaemonSet, StatefulSet, Namespace, Service; everything else goes through `generic`.

use super::get::pod_status;
use super::json::{age, arr, format_labels, format_selector, int, map, s};
use super::resources::resolve_type;
use super::{KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::Value;
use std::collections::BTreeMap;
use tidepool_core::quantity::Amount;
use tidepool_core::{Kind, Object, VirtualTime};

struct W {
    lines: Vec<String>,
}

impl W {
    fn new() -> Self {
        Self { lines: Vec::new() }
    }
    fn line(&mut self, level: usize, text: impl AsRef<str>) {
        self.lines
            .push(format!("{}{}", "  ".repeat(level), text.as_ref()));
    }
    fn kv(&mut self, level: usize, key: &str, value: impl AsRef<str>) {
        self.line(level, format!("{key}:\t{}", value.as_ref()));
    }
    /// Sorted `k=v` lines (`printLabelsMultilineWithIndent`), `<none>` when empty.
    fn labels(&mut self, level: usize, title: &str, v: &Value, ptr: &str) {
        let m = map(v, ptr);
        if m.is_empty() {
            self.kv(level, title, "<none>");
            return;
        }
        for (i, (k, val)) in m.iter().enumerate() {
            let text = format!("{k}={}", val.as_str().unwrap_or(""));
            if i == 0 {
                self.kv(level, title, text);
            } else {
                self.line(level, format!("\t{text}"));
            }
        }
    }
    /// `printLabelsMultilineWithIndent` used for annotations (`k=v`, nothing skipped), as
    /// `describeVolumeClaimTemplates` prints them.
    fn labels_as_annotations(&mut self, level: usize, v: &Value, ptr: &str) {
        self.labels(level, "Annotations", v, ptr);
    }
    fn annotations(&mut self, level: usize, v: &Value, ptr: &str) {
        let m: Vec<(&String, &Value)> = map(v, ptr)
            .into_iter()
            .filter(|(k, _)| k.as_str() != tidepool_core::api::LAST_APPLIED)
            .collect();
        if m.is_empty() {
            self.kv(level, "Annotations", "<none>");
            return;
        }
        for (i, (k, val)) in m.iter().enumerate() {
            let text = format!("{k}: {}", val.as_str().unwrap_or(""));
            if i == 0 {
                self.kv(level, "Annotations", text);
            } else {
                self.line(level, format!("\t{text}"));
            }
        }
    }
    fn finish(self) -> String {
        let rows: Vec<Vec<String>> = self
            .lines
            .iter()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect();
        crate::tabwriter::format(&rows, 0, 2)
    }
}

fn rfc1123z(ts: &str) -> String {
    match k8s_openapi::chrono::DateTime::parse_from_rfc3339(ts) {
        Ok(t) => t.format("%a, %d %b %Y %H:%M:%S %z").to_string(),
        Err(_) => "<unknown>".to_owned(),
    }
}

fn events(w: &mut W, session: &Session, object: &Object, now: VirtualTime) {
    let evs = tidepool_core::events::events_for(session.sim.api(), object);
    if evs.is_empty() {
        w.kv(0, "Events", "<none>");
        return;
    }
    w.line(0, "Events:");
    w.line(1, "Type\tReason\tAge\tFrom\tMessage");
    w.line(1, "----\t------\t----\t----\t-------");
    for e in evs {
        let v = serde_json::to_value(&e).unwrap_or(Value::Null);
        let first = if s(&v, "/eventTime").is_empty() {
            s(&v, "/firstTimestamp")
        } else {
            s(&v, "/eventTime")
        };
        let count = int(&v, "/count");
        let age_cell = if !s(&v, "/series/lastObservedTime").is_empty() {
            format!(
                "{} (x{} over {})",
                age(s(&v, "/series/lastObservedTime"), now),
                int(&v, "/series/count"),
                age(first, now)
            )
        } else if count > 1 {
            format!(
                "{} (x{count} over {})",
                age(s(&v, "/lastTimestamp"), now),
                age(first, now)
            )
        } else {
            age(first, now)
        };
        let from = if s(&v, "/source/component").is_empty() {
            s(&v, "/reportingComponent")
        } else {
            s(&v, "/source/component")
        };
        w.line(
            1,
            format!(
                "{}\t{}\t{age_cell}\t{from}\t{}",
                s(&v, "/type"),
                s(&v, "/reason"),
                s(&v, "/message").trim()
            ),
        );
    }
}

/// One container: its name at `name_indent`, its fields at LEVEL_2 (4 spaces), as both
/// `describePod` and `DescribePodTemplate` print them.
fn container_block(
    w: &mut W,
    name_indent: &str,
    c: &Value,
    status: Option<&Value>,
    pod: Option<&Value>,
    now: VirtualTime,
) {
    w.lines.push(format!("{name_indent}{}:", s(c, "/name")));
    let l = 2;
    if let Some(st) = status {
        let id = s(st, "/containerID");
        if !id.is_empty() {
            w.kv(l, "Container ID", id);
        }
    }
    w.kv(l, "Image", s(c, "/image"));
    if let Some(st) = status {
        w.kv(l, "Image ID", s(st, "/imageID"));
    }
    let ports = arr(c, "/ports");
    let fmt_port = |p: &Value| {
        let proto = if s(p, "/protocol").is_empty() {
            "TCP"
        } else {
            s(p, "/protocol")
        };
        let name = s(p, "/name");
        if name.is_empty() {
            format!("{}/{proto}", int(p, "/containerPort"))
        } else {
            format!("{}/{proto} ({name})", int(p, "/containerPort"))
        }
    };
    let host = |p: &Value| {
        let proto = if s(p, "/protocol").is_empty() {
            "TCP"
        } else {
            s(p, "/protocol")
        };
        format!("{}/{proto}", int(p, "/hostPort"))
    };
    match ports.len() {
        0 => {
            w.kv(l, "Port", "<none>");
            w.kv(l, "Host Port", "<none>");
        }
        1 => {
            w.kv(l, "Port", fmt_port(&ports[0]));
            w.kv(l, "Host Port", host(&ports[0]));
        }
        _ => {
            w.kv(
                l,
                "Ports",
                ports.iter().map(fmt_port).collect::<Vec<_>>().join(", "),
            );
            w.kv(
                l,
                "Host Ports",
                ports.iter().map(host).collect::<Vec<_>>().join(", "),
            );
        }
    }
    for (key, title) in [("/command", "Command"), ("/args", "Args")] {
        let items = arr(c, key);
        if !items.is_empty() {
            w.line(l, format!("{title}:"));
            for i in items {
                w.line(l + 1, i.as_str().unwrap_or(""));
            }
        }
    }
    if let Some(st) = status {
        state(w, l, "State", st.get("state"), now);
        if st.pointer("/lastState/terminated").is_some() {
            state(w, l, "Last State", st.get("lastState"), now);
        }
        let ready = st.get("ready").and_then(Value::as_bool).unwrap_or(false);
        w.kv(l, "Ready", if ready { "True" } else { "False" });
        w.kv(l, "Restart Count", int(st, "/restartCount").to_string());
    }
    for (ptr, title) in [
        ("/resources/limits", "Limits"),
        ("/resources/requests", "Requests"),
    ] {
        let m = map(c, ptr);
        if !m.is_empty() {
            w.line(l, format!("{title}:"));
            for (k, v) in m {
                w.kv(
                    l + 1,
                    k,
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                );
            }
        }
    }
    for (ptr, title) in [
        ("/livenessProbe", "Liveness"),
        ("/readinessProbe", "Readiness"),
        ("/startupProbe", "Startup"),
    ] {
        if let Some(p) = c.pointer(ptr) {
            w.kv(l, title, probe(p));
        }
    }
    env_from_block(w, l, c);
    env_block(w, l, c, pod);
    let mounts = arr(c, "/volumeMounts");
    if mounts.is_empty() {
        w.kv(l, "Mounts", "<none>");
    } else {
        w.line(l, "Mounts:");
        for m in mounts {
            let ro = m.get("readOnly").and_then(Value::as_bool).unwrap_or(false);
            let mut flags = if ro { "ro".to_owned() } else { "rw".to_owned() };
            if !s(m, "/subPath").is_empty() {
                flags.push_str(&format!(",path=\"{}\"", s(m, "/subPath")));
            }
            w.line(
                l + 1,
                format!("{} from {} ({flags})", s(m, "/mountPath"), s(m, "/name")),
            );
        }
    }
}

/// `describeContainerEnvFrom`: printed only when the container has `envFrom`.
fn env_from_block(w: &mut W, l: usize, c: &Value) {
    let sources = arr(c, "/envFrom");
    if sources.is_empty() {
        return;
    }
    w.line(l, "Environment Variables from:");
    for e in sources {
        let (name, from, optional) = match (e.get("configMapRef"), e.get("secretRef")) {
            (Some(r), _) => (s(r, "/name"), "ConfigMap", r.pointer("/optional")),
            (None, Some(r)) => (s(r, "/name"), "Secret", r.pointer("/optional")),
            (None, None) => ("", "", None),
        };
        let optional = optional.and_then(Value::as_bool).unwrap_or(false);
        let prefix = s(e, "/prefix");
        let from = if prefix.is_empty() {
            from.to_owned()
        } else {
            format!("{from} with prefix '{prefix}'")
        };
        w.line(l + 1, format!("{name}\t{from}\tOptional: {optional}"));
    }
}

/// `describeContainerEnvVars`: plain values line by line, `valueFrom` sources described.
/// Like kubectl's `EnvValueRetriever`, only `metadata.*` field paths resolve to a value.
fn env_block(w: &mut W, l: usize, c: &Value, pod: Option<&Value>) {
    let env = arr(c, "/env");
    if env.is_empty() {
        w.kv(l, "Environment", "<none>");
        return;
    }
    w.line(l, "Environment:");
    for e in env {
        let name = s(e, "/name");
        let Some(from) = e.get("valueFrom") else {
            for (i, text) in s(e, "/value").split('\n').enumerate() {
                if i == 0 {
                    w.kv(l + 1, name, text);
                } else {
                    w.line(l + 1, format!("\t{text}"));
                }
            }
            continue;
        };
        let optional = |r: &Value| r.get("optional").and_then(Value::as_bool).unwrap_or(false);
        if let Some(r) = from.get("fieldRef") {
            let path = s(r, "/fieldPath");
            let value = pod.map_or(String::new(), |p| field_path_value(p, path));
            let version = Some(s(r, "/apiVersion")).filter(|v| !v.is_empty());
            let version = version.unwrap_or("v1");
            w.kv(l + 1, name, format!("{value} ({version}:{path})"));
        } else if let Some(r) = from.get("resourceFieldRef") {
            let resource = s(r, "/resource");
            w.kv(
                l + 1,
                name,
                format!("{} ({resource})", resource_value(c, r)),
            );
        } else if let Some(r) = from.get("secretKeyRef") {
            let (key, secret) = (s(r, "/key"), s(r, "/name"));
            let text = format!("<set to the key '{key}' in secret '{secret}'>");
            w.kv(l + 1, name, format!("{text}\tOptional: {}", optional(r)));
        } else if let Some(r) = from.get("configMapKeyRef") {
            let (key, map_name) = (s(r, "/key"), s(r, "/name"));
            let text = format!("<set to the key '{key}' of config map '{map_name}'>");
            w.kv(l + 1, name, format!("{text}\tOptional: {}", optional(r)));
        }
    }
}

/// kubectl's `fieldpath.ExtractFieldPathAsString`: metadata only, other paths print empty.
fn field_path_value(pod: &Value, path: &str) -> String {
    let subscript = |prefix: &str| {
        let key = path
            .strip_prefix(prefix)?
            .strip_prefix("['")?
            .strip_suffix("']")?;
        Some(key.to_owned())
    };
    if let Some(key) = subscript("metadata.labels") {
        return s(
            pod,
            &format!(
                "/metadata/labels/{}",
                key.replace('~', "~0").replace('/', "~1")
            ),
        )
        .to_owned();
    }
    if let Some(key) = subscript("metadata.annotations") {
        return s(
            pod,
            &format!(
                "/metadata/annotations/{}",
                key.replace('~', "~0").replace('/', "~1")
            ),
        )
        .to_owned();
    }
    match path {
        "metadata.name" => s(pod, "/metadata/name").to_owned(),
        "metadata.namespace" => s(pod, "/metadata/namespace").to_owned(),
        "metadata.uid" => s(pod, "/metadata/uid").to_owned(),
        _ => String::new(),
    }
}

/// `resourcehelper.ExtractContainerResourceValue`: the amount over the divisor (default 1),
/// rounded up; an unset limit reads "node allocatable".
fn resource_value(c: &Value, r: &Value) -> String {
    let resource = s(r, "/resource");
    let Some((section, name)) = resource.split_once('.') else {
        return String::new();
    };
    let amount = |text: &str| tidepool_core::quantity::parse(text).map_or(0, |a| a.milli);
    let have = c
        .pointer(&format!("/resources/{section}"))
        .and_then(|list| list.get(name))
        .map_or(0, |v| {
            amount(&v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        });
    let divisor = r.get("divisor").map_or(0, |v| {
        amount(&v.as_str().map_or_else(|| v.to_string(), str::to_owned))
    });
    let value = if name == "cpu" {
        let divisor = if divisor == 0 { 1000 } else { divisor };
        (have + divisor - 1).div_euclid(divisor)
    } else {
        let bytes = |milli: i128| (milli + 999).div_euclid(1000);
        let divisor = if divisor == 0 {
            1
        } else {
            bytes(divisor).max(1)
        };
        (bytes(have) + divisor - 1).div_euclid(divisor)
    };
    if value == 0 && section == "limits" && (name == "cpu" || name == "memory") {
        return "node allocatable".to_owned();
    }
    value.to_string()
}

fn probe(p: &Value) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        int(p, "/initialDelaySeconds"),
        p.pointer("/timeoutSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(1),
        p.pointer("/periodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(10),
        p.pointer("/successThreshold")
            .and_then(Value::as_i64)
            .unwrap_or(1),
        p.pointer("/failureThreshold")
            .and_then(Value::as_i64)
            .unwrap_or(3),
    );
    if let Some(e) = p.get("exec") {
        let cmd: Vec<&str> = arr(e, "/command")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        return format!("exec [{}] {attrs}", cmd.join(" "));
    }
    if let Some(h) = p.get("httpGet") {
        let port = h.get("port").map_or(String::new(), |v| {
            v.as_str().map_or_else(|| v.to_string(), str::to_owned)
        });
        let scheme = if s(h, "/scheme").is_empty() {
            "http"
        } else {
            s(h, "/scheme")
        }
        .to_ascii_lowercase();
        return format!(
            "http-get {scheme}://{}:{port}{} {attrs}",
            s(h, "/host"),
            s(h, "/path")
        );
    }
    if let Some(t) = p.get("tcpSocket") {
        let port = t.get("port").map_or(String::new(), |v| {
            v.as_str().map_or_else(|| v.to_string(), str::to_owned)
        });
        return format!("tcp-socket {}:{port} {attrs}", s(t, "/host"));
    }
    format!("unknown {attrs}")
}

fn state(w: &mut W, level: usize, title: &str, st: Option<&Value>, _now: VirtualTime) {
    let Some(st) = st else {
        w.kv(level, title, "Waiting");
        return;
    };
    if let Some(r) = st.get("running") {
        w.kv(level, title, "Running");
        w.kv(level + 1, "Started", rfc1123z(s(r, "/startedAt")));
    } else if let Some(wt) = st.get("waiting") {
        w.kv(level, title, "Waiting");
        if !s(wt, "/reason").is_empty() {
            w.kv(level + 1, "Reason", s(wt, "/reason"));
        }
    } else if let Some(t) = st.get("terminated") {
        w.kv(level, title, "Terminated");
        if !s(t, "/reason").is_empty() {
            w.kv(level + 1, "Reason", s(t, "/reason"));
        }
        if !s(t, "/message").is_empty() {
            w.kv(level + 1, "Message", s(t, "/message"));
        }
        w.kv(level + 1, "Exit Code", int(t, "/exitCode").to_string());
        if int(t, "/signal") > 0 {
            w.kv(level + 1, "Signal", int(t, "/signal").to_string());
        }
        w.kv(level + 1, "Started", rfc1123z(s(t, "/startedAt")));
        w.kv(level + 1, "Finished", rfc1123z(s(t, "/finishedAt")));
    } else {
        w.kv(level, title, "Waiting");
    }
}

fn tolerations(w: &mut W, level: usize, spec: &Value) {
    let tol = arr(spec, "/tolerations");
    if tol.is_empty() {
        w.kv(level, "Tolerations", "<none>");
        return;
    }
    for (i, t) in tol.iter().enumerate() {
        let mut text = s(t, "/key").to_owned();
        if !s(t, "/value").is_empty() {
            text.push_str(&format!("={}", s(t, "/value")));
        }
        if !s(t, "/effect").is_empty() {
            text.push_str(&format!(":{}", s(t, "/effect")));
        }
        if s(t, "/operator") == "Exists" && s(t, "/value").is_empty() {
            text.push_str(" op=Exists");
        }
        if let Some(secs) = t.get("tolerationSeconds").and_then(Value::as_i64) {
            text.push_str(&format!(" for {secs}s"));
        }
        if i == 0 {
            w.kv(level, "Tolerations", text);
        } else {
            w.line(level, format!("\t{text}"));
        }
    }
}

/// A volume source's `optional`, false when unset (describe's `printSecretVolumeSource`).
fn optional(source: &Value) -> bool {
    source
        .get("optional")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// A `*bool` printed with `%v`: `<nil>` when unset. (Go prints a set pointer's address; the
/// value is what a learner can use.)
fn go_bool_pointer(source: &Value) -> String {
    source
        .get("optional")
        .and_then(Value::as_bool)
        .map_or_else(|| "<nil>".to_owned(), |b| b.to_string())
}

fn volumes(w: &mut W, level: usize, spec: &Value) {
    let vols = arr(spec, "/volumes");
    if vols.is_empty() {
        w.kv(level, "Volumes", "<none>");
        return;
    }
    w.line(level, "Volumes:");
    for v in vols {
        w.line(level + 1, format!("{}:", s(v, "/name")));
        let l = level + 2;
        if let Some(p) = v.get("projected") {
            w.kv(
                l,
                "Type",
                "Projected (a volume that contains injected data from multiple sources)",
            );
            for src in arr(p, "/sources") {
                if let Some(sec) = src.get("secret") {
                    w.kv(l, "SecretName", s(sec, "/name"));
                    w.kv(l, "SecretOptionalName", go_bool_pointer(sec));
                }
                if let Some(t) = src.get("serviceAccountToken") {
                    w.kv(
                        l,
                        "TokenExpirationSeconds",
                        int(t, "/expirationSeconds").to_string(),
                    );
                }
                if let Some(c) = src.get("configMap") {
                    w.kv(l, "ConfigMapName", s(c, "/name"));
                    w.kv(l, "ConfigMapOptional", go_bool_pointer(c));
                }
                if src.get("downwardAPI").is_some() {
                    w.kv(l, "DownwardAPI", "true");
                }
            }
        } else if let Some(c) = v.get("configMap") {
            w.kv(l, "Type", "ConfigMap (a volume populated by a ConfigMap)");
            w.kv(l, "Name", s(c, "/name"));
            w.kv(l, "Optional", optional(c).to_string());
        } else if let Some(sec) = v.get("secret") {
            w.kv(l, "Type", "Secret (a volume populated by a Secret)");
            w.kv(l, "SecretName", s(sec, "/secretName"));
            w.kv(l, "Optional", optional(sec).to_string());
        } else if let Some(d) = v.get("downwardAPI") {
            w.kv(
                l,
                "Type",
                "DownwardAPI (a volume populated by information about the pod)",
            );
            w.line(l, "Items:");
            for item in arr(d, "/items") {
                let from = match (item.get("fieldRef"), item.get("resourceFieldRef")) {
                    (Some(f), _) => s(f, "/fieldPath"),
                    (None, Some(r)) => s(r, "/resource"),
                    (None, None) => continue,
                };
                w.line(l + 1, format!("{from} -> {}", s(item, "/path")));
            }
        } else if let Some(c) = v.get("persistentVolumeClaim") {
            w.kv(
                l,
                "Type",
                "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
            );
            w.kv(l, "ClaimName", s(c, "/claimName"));
            let read_only = c.get("readOnly").and_then(Value::as_bool).unwrap_or(false);
            w.kv(l, "ReadOnly", read_only.to_string());
        } else if let Some(e) = v.get("emptyDir") {
            w.kv(
                l,
                "Type",
                "EmptyDir (a temporary directory that shares a pod's lifetime)",
            );
            w.kv(l, "Medium", s(e, "/medium"));
            w.kv(l, "SizeLimit", "<unset>");
        } else if let Some(h) = v.get("hostPath") {
            w.kv(l, "Type", "HostPath (bare host directory volume)");
            w.kv(l, "Path", s(h, "/path"));
            w.kv(l, "HostPathType", s(h, "/type"));
        } else {
            w.kv(l, "Type", "<unknown>");
        }
    }
}

fn pod(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    if let Some(p) = v.pointer("/spec/priority").and_then(Value::as_i64) {
        w.kv(0, "Priority", p.to_string());
    }
    if !s(&v, "/spec/priorityClassName").is_empty() {
        w.kv(0, "Priority Class Name", s(&v, "/spec/priorityClassName"));
    }
    // Mirror pods skip ServiceAccount admission, and describe leaves the line out for them.
    if !s(&v, "/spec/serviceAccountName").is_empty() {
        w.kv(0, "Service Account", s(&v, "/spec/serviceAccountName"));
    }
    let node = s(&v, "/spec/nodeName");
    w.kv(
        0,
        "Node",
        if node.is_empty() {
            "<none>".to_owned()
        } else {
            format!("{node}/{}", s(&v, "/status/hostIP"))
        },
    );
    if !s(&v, "/status/startTime").is_empty() {
        w.kv(0, "Start Time", rfc1123z(s(&v, "/status/startTime")));
    }
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    if !s(&v, "/metadata/deletionTimestamp").is_empty() {
        w.kv(
            0,
            "Status",
            format!(
                "Terminating (lasts {})",
                age(s(&v, "/metadata/deletionTimestamp"), now)
            ),
        );
        w.kv(
            0,
            "Termination Grace Period",
            format!("{}s", int(&v, "/metadata/deletionGracePeriodSeconds")),
        );
    } else {
        w.kv(0, "Status", s(&v, "/status/phase"));
    }
    if !s(&v, "/status/reason").is_empty() {
        w.kv(0, "Reason", s(&v, "/status/reason"));
    }
    if !s(&v, "/status/message").is_empty() {
        w.kv(0, "Message", s(&v, "/status/message"));
    }
    w.kv(0, "IP", s(&v, "/status/podIP"));
    let ips = arr(&v, "/status/podIPs");
    if ips.is_empty() {
        w.kv(0, "IPs", "<none>");
    } else {
        w.line(0, "IPs:");
        for ip in ips {
            w.kv(1, "IP", s(ip, "/ip"));
        }
    }
    if let Some(owner) = arr(&v, "/metadata/ownerReferences")
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
    {
        w.kv(
            0,
            "Controlled By",
            format!("{}/{}", s(owner, "/kind"), s(owner, "/name")),
        );
    }
    for (list, statuses, title) in [
        (
            "/spec/initContainers",
            "/status/initContainerStatuses",
            "Init Containers",
        ),
        (
            "/spec/containers",
            "/status/containerStatuses",
            "Containers",
        ),
        (
            "/spec/ephemeralContainers",
            "/status/ephemeralContainerStatuses",
            "Ephemeral Containers",
        ),
    ] {
        let cs = arr(&v, list);
        if cs.is_empty() {
            continue;
        }
        w.line(0, format!("{title}:"));
        for c in cs {
            let st = arr(&v, statuses)
                .iter()
                .find(|st| s(st, "/name") == s(c, "/name"));
            container_block(
                &mut w,
                "  ",
                c,
                st.or(Some(&Value::Null)).filter(|v| !v.is_null()),
                Some(&v),
                now,
            );
        }
    }
    let conds = arr(&v, "/status/conditions");
    if !conds.is_empty() {
        w.line(0, "Conditions:");
        w.line(1, "Type\tStatus");
        for c in conds {
            w.line(1, format!("{} \t{} ", s(c, "/type"), s(c, "/status")));
        }
    }
    volumes(&mut w, 0, v.pointer("/spec").unwrap_or(&Value::Null));
    w.kv(0, "QoS Class", s(&v, "/status/qosClass"));
    let sel = format_labels(&v, "/spec/nodeSelector");
    w.kv(0, "Node-Selectors", sel);
    tolerations(&mut w, 0, v.pointer("/spec").unwrap_or(&Value::Null));
    events(&mut w, session, object, now);
    let _ = pod_status;
    w.finish()
}

fn pod_template(w: &mut W, v: &Value, ptr: &str, now: VirtualTime) {
    w.line(0, "Pod Template:");
    w.labels(1, "Labels", v, &format!("{ptr}/metadata/labels"));
    let annotations = map(v, &format!("{ptr}/metadata/annotations"));
    if !annotations.is_empty() {
        w.annotations(1, v, &format!("{ptr}/metadata/annotations"));
    }
    let spec = v
        .pointer(&format!("{ptr}/spec"))
        .cloned()
        .unwrap_or(Value::Null);
    let sa = s(&spec, "/serviceAccountName");
    if !sa.is_empty() {
        w.kv(1, "Service Account", sa);
    }
    for (list, title) in [
        ("/initContainers", "Init Containers"),
        ("/containers", "Containers"),
    ] {
        let cs = arr(&spec, list);
        if cs.is_empty() {
            continue;
        }
        w.line(1, format!("{title}:"));
        for c in cs {
            container_block(w, "   ", c, None, None, now);
        }
    }
    volumes(w, 1, &spec);
    w.kv(1, "Node-Selectors", format_labels(&spec, "/nodeSelector"));
    tolerations(w, 1, &spec);
}

fn conditions(w: &mut W, v: &Value) {
    let conds = arr(v, "/status/conditions");
    if conds.is_empty() {
        return;
    }
    w.line(0, "Conditions:");
    w.line(1, "Type\tStatus\tReason");
    w.line(1, "----\t------\t------");
    for c in conds {
        w.line(
            1,
            format!(
                "{} \t{}\t{}",
                s(c, "/type"),
                s(c, "/status"),
                s(c, "/reason")
            ),
        );
    }
}

fn deployment(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.kv(
        0,
        "CreationTimestamp",
        rfc1123z(s(&v, "/metadata/creationTimestamp")),
    );
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    w.kv(0, "Selector", format_selector(&v, "/spec/selector"));
    let spec = int(&v, "/spec/replicas");
    let updated = int(&v, "/status/updatedReplicas");
    let total = int(&v, "/status/replicas");
    let available = int(&v, "/status/availableReplicas");
    let unavailable = int(&v, "/status/unavailableReplicas");
    w.kv(
        0,
        "Replicas",
        format!("{spec} desired | {updated} updated | {total} total | {available} available | {unavailable} unavailable"),
    );
    let strategy = s(&v, "/spec/strategy/type");
    w.kv(0, "StrategyType", strategy);
    w.kv(
        0,
        "MinReadySeconds",
        int(&v, "/spec/minReadySeconds").to_string(),
    );
    if strategy == "RollingUpdate" {
        let cell = |p: &str| {
            v.pointer(p).map_or("25%".to_owned(), |x| {
                x.as_str().map_or_else(|| x.to_string(), str::to_owned)
            })
        };
        w.kv(
            0,
            "RollingUpdateStrategy",
            format!(
                "{} max unavailable, {} max surge",
                cell("/spec/strategy/rollingUpdate/maxUnavailable"),
                cell("/spec/strategy/rollingUpdate/maxSurge")
            ),
        );
    }
    pod_template(&mut w, &v, "/spec/template", now);
    conditions(&mut w, &v);
    // Old and new ReplicaSets, from the store.
    let uid = object.uid().to_owned();
    let template_hash = |rs: &Value| s(rs, "/metadata/labels/pod-template-hash").to_owned();
    let mut owned: Vec<Value> = session
        .sim
        .api()
        .store()
        .list(Kind::ReplicaSet, Some(object.namespace()))
        .map(|o| o.to_json())
        .filter(|rs| {
            arr(rs, "/metadata/ownerReferences")
                .iter()
                .any(|r| s(r, "/uid") == uid)
        })
        .collect();
    tidepool_core::stable_sort::sort_by_key(&mut owned, |rs| {
        int(
            rs,
            "/metadata/annotations/deployment.kubernetes.io~1revision",
        )
    });
    let revision = |rs: &Value| {
        s(
            rs,
            "/metadata/annotations/deployment.kubernetes.io~1revision",
        )
        .parse::<i64>()
        .unwrap_or(0)
    };
    let current_rev = s(
        &v,
        "/metadata/annotations/deployment.kubernetes.io~1revision",
    )
    .parse::<i64>()
    .unwrap_or(0);
    let fmt_rs = |rs: &Value| {
        format!(
            "{} ({}/{} replicas created)",
            s(rs, "/metadata/name"),
            int(rs, "/status/replicas"),
            int(rs, "/spec/replicas")
        )
    };
    let new: Vec<&Value> = owned
        .iter()
        .filter(|rs| revision(rs) == current_rev)
        .collect();
    let old: Vec<String> = owned
        .iter()
        .filter(|rs| revision(rs) != current_rev && int(rs, "/spec/replicas") > 0)
        .map(fmt_rs)
        .collect();
    let _ = template_hash;
    w.kv(
        0,
        "OldReplicaSets",
        if old.is_empty() {
            "<none>".to_owned()
        } else {
            old.join(", ")
        },
    );
    w.kv(
        0,
        "NewReplicaSet",
        new.first().map_or("<none>".to_owned(), |rs| fmt_rs(rs)),
    );
    events(&mut w, session, object, now);
    w.finish()
}

fn replica_set(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let rc = object.kind() == Kind::ReplicationController;
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.kv(
        0,
        "Selector",
        if rc {
            format_labels(&v, "/spec/selector")
        } else {
            format_selector(&v, "/spec/selector")
        },
    );
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    if !rc
        && let Some(owner) = arr(&v, "/metadata/ownerReferences")
            .iter()
            .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
    {
        w.kv(
            0,
            "Controlled By",
            format!("{}/{}", s(owner, "/kind"), s(owner, "/name")),
        );
    }
    w.kv(
        0,
        "Replicas",
        format!(
            "{} current / {} desired",
            int(&v, "/status/replicas"),
            int(&v, "/spec/replicas")
        ),
    );
    w.kv(0, "Pods Status", pods_status(session, object));
    pod_template(&mut w, &v, "/spec/template", now);
    conditions(&mut w, &v);
    events(&mut w, session, object, now);
    w.finish()
}

/// `getPodStatusForController`: the pods the controller owns, by phase, as
/// `N Running / N Waiting / N Succeeded / N Failed` (Waiting = Pending).
fn pods_status(session: &Session, object: &Object) -> String {
    let uid = object.uid();
    let (mut running, mut waiting, mut succeeded, mut failed) = (0, 0, 0, 0);
    for p in session
        .sim
        .api()
        .store()
        .list(Kind::Pod, Some(object.namespace()))
    {
        let pv = p.to_json();
        let owned = arr(&pv, "/metadata/ownerReferences").iter().any(|r| {
            s(r, "/uid") == uid && r.get("controller").and_then(Value::as_bool) == Some(true)
        });
        if !owned {
            continue;
        }
        match s(&pv, "/status/phase") {
            "Running" => running += 1,
            "Pending" => waiting += 1,
            "Succeeded" => succeeded += 1,
            "Failed" => failed += 1,
            _ => {}
        }
    }
    format!("{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed")
}

/// `printController`: `Kind/name` of the controlling owner, if any.
fn controlled_by(w: &mut W, v: &Value) {
    if let Some(owner) = arr(v, "/metadata/ownerReferences")
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
    {
        w.kv(
            0,
            "Controlled By",
            format!("{}/{}", s(owner, "/kind"), s(owner, "/name")),
        );
    }
}

/// A JSON scalar as Go's `%v` prints it (strings bare).
fn scalar(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// `capIndexesListOrNone`: the list cut after the first comma past `soft_limit` bytes.
fn cap_indexes(indexes: &str, soft_limit: usize) -> String {
    if indexes.is_empty() {
        return "<none>".to_owned();
    }
    match indexes
        .bytes()
        .enumerate()
        .skip(soft_limit)
        .find(|(_, b)| *b == b',')
    {
        Some((ix, _)) => format!("{}...", &indexes[..=ix]),
        None => indexes.to_owned(),
    }
}

fn job(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.kv(0, "Selector", format_selector(&v, "/spec/selector"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    controlled_by(&mut w, &v);
    if let Some(p) = v.pointer("/spec/parallelism") {
        w.kv(0, "Parallelism", scalar(p));
    }
    w.kv(
        0,
        "Completions",
        v.pointer("/spec/completions")
            .filter(|c| !c.is_null())
            .map_or("<unset>".to_owned(), scalar),
    );
    let mode = v.pointer("/spec/completionMode").map(scalar);
    if let Some(m) = &mode {
        w.kv(0, "Completion Mode", m);
    }
    for (ptr, title) in [
        ("/spec/suspend", "Suspend"),
        ("/spec/backoffLimit", "Backoff Limit"),
        (
            "/spec/ttlSecondsAfterFinished",
            "TTL Seconds After Finished",
        ),
    ] {
        if let Some(x) = v.pointer(ptr).filter(|x| !x.is_null()) {
            w.kv(0, title, scalar(x));
        }
    }
    let start = s(&v, "/status/startTime");
    let completed = s(&v, "/status/completionTime");
    if !start.is_empty() {
        w.kv(0, "Start Time", rfc1123z(start));
    }
    if !completed.is_empty() {
        w.kv(0, "Completed At", rfc1123z(completed));
    }
    if let (Some(a), Some(b)) = (
        super::json::millis(start).filter(|_| !start.is_empty()),
        super::json::millis(completed).filter(|_| !completed.is_empty()),
    ) {
        w.kv(0, "Duration", crate::duration::human_millis(b - a));
    }
    if let Some(d) = v
        .pointer("/spec/activeDeadlineSeconds")
        .and_then(Value::as_i64)
    {
        w.kv(0, "Active Deadline Seconds", format!("{d}s"));
    }
    let (active, succeeded, failed) = (
        int(&v, "/status/active"),
        int(&v, "/status/succeeded"),
        int(&v, "/status/failed"),
    );
    w.kv(
        0,
        "Pods Statuses",
        match v.pointer("/status/ready").and_then(Value::as_i64) {
            Some(ready) => {
                format!("{active} Active ({ready} Ready) / {succeeded} Succeeded / {failed} Failed")
            }
            None => format!("{active} Active / {succeeded} Succeeded / {failed} Failed"),
        },
    );
    if mode.as_deref() == Some("Indexed") {
        w.kv(
            0,
            "Completed Indexes",
            cap_indexes(s(&v, "/status/completedIndexes"), 50),
        );
    }
    pod_template(&mut w, &v, "/spec/template", now);
    events(&mut w, session, object, now);
    w.finish()
}

fn cron_job(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    let or_unset = |ptr: &str, suffix: &str| {
        v.pointer(ptr)
            .filter(|x| !x.is_null())
            .map_or("<unset>".to_owned(), |x| format!("{}{suffix}", scalar(x)))
    };
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    w.kv(0, "Schedule", s(&v, "/spec/schedule"));
    w.kv(0, "Concurrency Policy", s(&v, "/spec/concurrencyPolicy"));
    // printBoolPtr: True/False, `<unset>` when absent.
    w.kv(
        0,
        "Suspend",
        match v.pointer("/spec/suspend").and_then(Value::as_bool) {
            Some(true) => "True",
            Some(false) => "False",
            None => "<unset>",
        },
    );
    w.kv(
        0,
        "Successful Job History Limit",
        or_unset("/spec/successfulJobsHistoryLimit", ""),
    );
    w.kv(
        0,
        "Failed Job History Limit",
        or_unset("/spec/failedJobsHistoryLimit", ""),
    );
    w.kv(
        0,
        "Starting Deadline Seconds",
        or_unset("/spec/startingDeadlineSeconds", "s"),
    );
    // describeJobTemplate.
    let selector = if v.pointer("/spec/jobTemplate/spec/selector").is_some() {
        format_selector(&v, "/spec/jobTemplate/spec/selector")
    } else {
        "<unset>".to_owned()
    };
    w.kv(0, "Selector", selector);
    w.kv(
        0,
        "Parallelism",
        or_unset("/spec/jobTemplate/spec/parallelism", ""),
    );
    w.kv(
        0,
        "Completions",
        or_unset("/spec/jobTemplate/spec/completions", ""),
    );
    if let Some(d) = v
        .pointer("/spec/jobTemplate/spec/activeDeadlineSeconds")
        .and_then(Value::as_i64)
    {
        w.kv(0, "Active Deadline Seconds", format!("{d}s"));
    }
    pod_template(&mut w, &v, "/spec/jobTemplate/spec/template", now);
    let last = s(&v, "/status/lastScheduleTime");
    w.kv(
        0,
        "Last Schedule Time",
        if last.is_empty() {
            "<unset>".to_owned()
        } else {
            rfc1123z(last)
        },
    );
    let active: Vec<&str> = arr(&v, "/status/active")
        .iter()
        .map(|j| s(j, "/name"))
        .collect();
    w.kv(
        0,
        "Active Jobs",
        if active.is_empty() {
            "<none>".to_owned()
        } else {
            active.join(", ")
        },
    );
    events(&mut w, session, object, now);
    w.finish()
}

fn daemon_set(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.kv(0, "Selector", format_selector(&v, "/spec/selector"));
    w.kv(
        0,
        "Node-Selector",
        format_labels(&v, "/spec/template/spec/nodeSelector"),
    );
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    // These five lines have no tab in kubectl, so they end the aligned block above.
    for (ptr, title) in [
        (
            "/status/desiredNumberScheduled",
            "Desired Number of Nodes Scheduled",
        ),
        (
            "/status/currentNumberScheduled",
            "Current Number of Nodes Scheduled",
        ),
        (
            "/status/updatedNumberScheduled",
            "Number of Nodes Scheduled with Up-to-date Pods",
        ),
        (
            "/status/numberAvailable",
            "Number of Nodes Scheduled with Available Pods",
        ),
        ("/status/numberMisscheduled", "Number of Nodes Misscheduled"),
    ] {
        w.line(0, format!("{title}: {}", int(&v, ptr)));
    }
    w.kv(0, "Pods Status", pods_status(session, object));
    pod_template(&mut w, &v, "/spec/template", now);
    events(&mut w, session, object, now);
    w.finish()
}

fn stateful_set(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.kv(
        0,
        "CreationTimestamp",
        rfc1123z(s(&v, "/metadata/creationTimestamp")),
    );
    w.kv(0, "Selector", format_selector(&v, "/spec/selector"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    let desired = v
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    w.kv(
        0,
        "Replicas",
        format!("{desired} desired | {} total", int(&v, "/status/replicas")),
    );
    let strategy = s(&v, "/spec/updateStrategy/type");
    w.kv(
        0,
        "Update Strategy",
        if strategy.is_empty() {
            "RollingUpdate"
        } else {
            strategy
        },
    );
    if let Some(ru) = v.pointer("/spec/updateStrategy/rollingUpdate")
        && let Some(partition) = ru.get("partition").filter(|p| !p.is_null())
    {
        w.kv(1, "Partition", scalar(partition));
        if let Some(mu) = ru.get("maxUnavailable").filter(|m| !m.is_null()) {
            w.kv(1, "MaxUnavailable", scalar(mu));
        }
    }
    w.kv(0, "Pods Status", pods_status(session, object));
    pod_template(&mut w, &v, "/spec/template", now);
    let claims = arr(&v, "/spec/volumeClaimTemplates");
    if claims.is_empty() {
        w.kv(0, "Volume Claims", "<none>");
    } else {
        w.line(0, "Volume Claims:");
        for pvc in claims {
            w.kv(1, "Name", s(pvc, "/metadata/name"));
            let class = if s(pvc, "/spec/storageClassName").is_empty() {
                s(
                    pvc,
                    "/metadata/annotations/volume.beta.kubernetes.io~1storage-class",
                )
            } else {
                s(pvc, "/spec/storageClassName")
            };
            w.kv(1, "StorageClass", class);
            w.labels(1, "Labels", pvc, "/metadata/labels");
            w.labels_as_annotations(1, pvc, "/metadata/annotations");
            w.kv(
                1,
                "Capacity",
                pvc.pointer("/spec/resources/requests/storage")
                    .map_or("<default>".to_owned(), scalar),
            );
            let modes: Vec<&str> = arr(pvc, "/spec/accessModes")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            w.kv(1, "Access Modes", format!("[{}]", modes.join(" ")));
        }
    }
    events(&mut w, session, object, now);
    w.finish()
}

fn namespace_desc(session: &Session, object: &Object) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    w.kv(0, "Status", s(&v, "/status/phase"));
    let mut out = w.finish();
    let name = object.name();
    let mut quotas: Vec<Value> = session
        .sim
        .api()
        .list(Kind::ResourceQuota, Some(name))
        .iter()
        .map(|q| q.to_json())
        .collect();
    tidepool_core::stable_sort::sort_by(&mut quotas, |a, b| {
        s(a, "/metadata/name").cmp(s(b, "/metadata/name"))
    });
    let mut w = W::new();
    if quotas.is_empty() {
        w.line(0, "No resource quota.");
    } else {
        // DescribeResourceQuotas: one heading, every quota's table below it.
        w.line(0, "Resource Quotas");
        for qv in &quotas {
            w.kv(1, "Name", s(qv, "/metadata/name"));
            quota_scopes(&mut w, qv, 1, "  * ");
            w.line(1, "Resource\tUsed\tHard");
            w.line(1, "--------\t---\t---");
            quota_rows(&mut w, 1, qv);
        }
    }
    w.line(0, "");
    let limits = session.sim.api().list(Kind::LimitRange, Some(name));
    if limits.is_empty() {
        w.line(0, "No LimitRange resource.");
    } else {
        w.line(0, "Resource Limits");
        w.line(
            0,
            " Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio",
        );
        w.line(
            0,
            " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------",
        );
        for lr in limits {
            limit_rows(&mut w, &lr.to_json(), " ");
        }
    }
    out.push('\n');
    out.push_str(&w.finish());
    out
}

fn service(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    w.kv(0, "Selector", format_labels(&v, "/spec/selector"));
    let ty = if s(&v, "/spec/type").is_empty() {
        "ClusterIP"
    } else {
        s(&v, "/spec/type")
    };
    w.kv(0, "Type", ty);
    let family = arr(&v, "/spec/ipFamilies");
    let policy = s(&v, "/spec/ipFamilyPolicy");
    w.kv(
        0,
        "IP Family Policy",
        if policy.is_empty() {
            "SingleStack"
        } else {
            policy
        },
    );
    w.kv(
        0,
        "IP Families",
        if family.is_empty() {
            "IPv4".to_owned()
        } else {
            family
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")
        },
    );
    let cip = s(&v, "/spec/clusterIP");
    w.kv(0, "IP", if cip.is_empty() { "<none>" } else { cip });
    let ips: Vec<&str> = arr(&v, "/spec/clusterIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    w.kv(
        0,
        "IPs",
        if ips.is_empty() {
            cip.to_owned()
        } else {
            ips.join(",")
        },
    );
    let endpoints = session
        .sim
        .api()
        .get_ref(Kind::Endpoints, object.namespace(), object.name())
        .ok()
        .map(Object::to_json);
    for p in arr(&v, "/spec/ports") {
        let name = if s(p, "/name").is_empty() {
            "<unset>"
        } else {
            s(p, "/name")
        };
        let proto = if s(p, "/protocol").is_empty() {
            "TCP"
        } else {
            s(p, "/protocol")
        };
        w.kv(0, "Port", format!("{name}  {}/{proto}", int(p, "/port")));
        let target = p.get("targetPort").map_or(String::new(), |t| {
            t.as_str().map_or_else(|| t.to_string(), str::to_owned)
        });
        w.kv(0, "TargetPort", format!("{target}/{proto}"));
        if int(p, "/nodePort") > 0 {
            w.kv(
                0,
                "NodePort",
                format!("{name}  {}/{proto}", int(p, "/nodePort")),
            );
        }
        let mut eps = Vec::new();
        if let Some(e) = &endpoints {
            for subset in arr(e, "/subsets") {
                for a in arr(subset, "/addresses") {
                    for sp in arr(subset, "/ports") {
                        if arr(&v, "/spec/ports").len() == 1 || s(sp, "/name") == s(p, "/name") {
                            eps.push(format!("{}:{}", s(a, "/ip"), int(sp, "/port")));
                        }
                    }
                }
            }
        }
        w.kv(0, "Endpoints", eps.join(","));
    }
    w.kv(
        0,
        "Session Affinity",
        if s(&v, "/spec/sessionAffinity").is_empty() {
            "None"
        } else {
            s(&v, "/spec/sessionAffinity")
        },
    );
    if ty == "NodePort" || ty == "LoadBalancer" {
        w.kv(
            0,
            "External Traffic Policy",
            if s(&v, "/spec/externalTrafficPolicy").is_empty() {
                "Cluster"
            } else {
                s(&v, "/spec/externalTrafficPolicy")
            },
        );
    }
    w.kv(
        0,
        "Internal Traffic Policy",
        if s(&v, "/spec/internalTrafficPolicy").is_empty() {
            "Cluster"
        } else {
            s(&v, "/spec/internalTrafficPolicy")
        },
    );
    events(&mut w, session, object, now);
    w.finish()
}

fn generic(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    if object.kind().namespaced() {
        w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    }
    if object.kind() == Kind::Node {
        let mut roles: Vec<&str> = map(&v, "/metadata/labels")
            .into_iter()
            .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
            .filter(|r| !r.is_empty())
            .collect();
        roles.sort_unstable();
        w.kv(
            0,
            "Roles",
            if roles.is_empty() {
                "<none>".to_owned()
            } else {
                roles.join(",")
            },
        );
    }
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    if object.kind() == Kind::Node {
        w.kv(
            0,
            "CreationTimestamp",
            rfc1123z(s(&v, "/metadata/creationTimestamp")),
        );
        let taints = arr(&v, "/spec/taints");
        if taints.is_empty() {
            w.kv(0, "Taints", "<none>");
        }
        for (i, t) in taints.iter().enumerate() {
            let text = if s(t, "/value").is_empty() {
                format!("{}:{}", s(t, "/key"), s(t, "/effect"))
            } else {
                format!("{}={}:{}", s(t, "/key"), s(t, "/value"), s(t, "/effect"))
            };
            if i == 0 {
                w.kv(0, "Taints", text);
            } else {
                w.line(0, format!("\t{text}"));
            }
        }
        w.kv(
            0,
            "Unschedulable",
            v.pointer("/spec/unschedulable")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .to_string(),
        );
        node_lease(&mut w, &v, now);
        let conds = arr(&v, "/status/conditions");
        if !conds.is_empty() {
            w.line(0, "Conditions:");
            w.line(
                1,
                "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage",
            );
            w.line(
                1,
                "----\t------\t-----------------\t------------------\t------\t-------",
            );
            for c in conds {
                w.line(
                    1,
                    format!(
                        "{} \t{} \t{} \t{} \t{} \t{}",
                        s(c, "/type"),
                        s(c, "/status"),
                        rfc1123z(s(c, "/lastHeartbeatTime")),
                        rfc1123z(s(c, "/lastTransitionTime")),
                        s(c, "/reason"),
                        s(c, "/message")
                    ),
                );
            }
        }
        w.line(0, "Addresses:");
        for a in arr(&v, "/status/addresses") {
            w.kv(1, s(a, "/type"), s(a, "/address"));
        }
        for (ptr, title) in [
            ("/status/capacity", "Capacity"),
            ("/status/allocatable", "Allocatable"),
        ] {
            w.line(0, format!("{title}:"));
            for (k, val) in map(&v, ptr) {
                w.kv(1, k, val.as_str().unwrap_or(""));
            }
        }
        w.line(0, "System Info:");
        for (key, title) in [
            ("machineID", "Machine ID"),
            ("systemUUID", "System UUID"),
            ("bootID", "Boot ID"),
            ("kernelVersion", "Kernel Version"),
            ("osImage", "OS Image"),
            ("operatingSystem", "Operating System"),
            ("architecture", "Architecture"),
            ("containerRuntimeVersion", "Container Runtime Version"),
            ("kubeletVersion", "Kubelet Version"),
            ("kubeProxyVersion", "Kube-Proxy Version"),
        ] {
            w.kv(1, title, s(&v, &format!("/status/nodeInfo/{key}")));
        }
        if !s(&v, "/spec/podCIDR").is_empty() {
            w.kv(0, "PodCIDR", s(&v, "/spec/podCIDR"));
        }
        let cidrs: Vec<&str> = arr(&v, "/spec/podCIDRs")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if !cidrs.is_empty() {
            w.kv(0, "PodCIDRs", cidrs.join(","));
        }
        if !s(&v, "/spec/providerID").is_empty() {
            w.kv(0, "ProviderID", s(&v, "/spec/providerID"));
        }
        node_resources(&mut w, session, &v, now);
    } else if object.kind() == Kind::ConfigMap || object.kind() == Kind::Secret {
        if object.kind() == Kind::Secret {
            w.line(0, "");
            w.kv(0, "Type", s(&v, "/type"));
        }
        w.line(0, "");
        w.line(0, "Data");
        w.line(0, "====");
        for (k, val) in map(&v, "/data") {
            let text = val.as_str().unwrap_or("");
            if object.kind() == Kind::Secret {
                w.line(
                    0,
                    format!(
                        "{k}:\t{} bytes",
                        (text.len() / 4 * 3).saturating_sub(text.matches('=').count())
                    ),
                );
            } else {
                w.line(0, format!("{k}:"));
                w.line(0, "----");
                w.line(0, text);
                w.line(0, "");
            }
        }
        if object.kind() == Kind::ConfigMap {
            // `BinaryData` holds base64 in JSON; kubectl prints the decoded length.
            w.line(0, "");
            w.line(0, "BinaryData");
            w.line(0, "====");
            for (k, val) in map(&v, "/binaryData") {
                let text = val.as_str().unwrap_or("");
                let bytes = (text.len() / 4 * 3).saturating_sub(text.matches('=').count());
                w.line(0, format!("{k}: {bytes} bytes"));
            }
            w.line(0, "");
        }
    }
    // describeSecret prints no Events.
    if object.kind() != Kind::Secret {
        events(&mut w, session, object, now);
    }
    w.finish()
}

/// How often a kubelet renews its node Lease (`renewInterval`: a quarter of the 40 s duration).
const LEASE_RENEW_MILLIS: i64 = 10_000;

/// `describeNodeLease`. The simulation keeps no Lease objects; the kubelet's lease is the one it
/// renews every 10 s from the node's creation, so its last renewal is read off the node: up to
/// now, or, once the node controller marked the node unreachable, up to when the kubelet went
/// silent (the unreachable taint's time less the grace period).
fn node_lease(w: &mut W, v: &Value, now: VirtualTime) {
    w.line(0, "Lease:");
    w.kv(1, "HolderIdentity", s(v, "/metadata/name"));
    w.kv(1, "AcquireTime", "<unset>");
    let created = super::json::millis(s(v, "/metadata/creationTimestamp"));
    let unreachable_since = arr(v, "/spec/taints")
        .iter()
        .filter(|t| s(t, "/key") == "node.kubernetes.io/unreachable")
        .filter_map(|t| super::json::millis(s(t, "/timeAdded")))
        .min();
    let now_ms = i64::try_from(now.as_millis()).unwrap_or(i64::MAX);
    let grace_ms = tidepool_core::controllers::node_lifecycle::GRACE_PERIOD.as_millis() as i64;
    let last_heard = unreachable_since.map_or(now_ms, |t| (t - grace_ms).min(now_ms));
    let renew = match created {
        Some(c) if last_heard >= c => {
            let at = c + (last_heard - c) / LEASE_RENEW_MILLIS * LEASE_RENEW_MILLIS;
            let at = tidepool_core::api::timestamp(VirtualTime::from_millis(
                u64::try_from(at).unwrap_or(0),
            ));
            Some(at.0.format("%a, %d %b %Y %H:%M:%S %z").to_string())
        }
        _ => None,
    };
    w.kv(1, "RenewTime", renew.as_deref().unwrap_or("<unset>"));
}

/// A pod's resource list (`resourcehelper.PodRequestsAndLimits`): containers summed, sidecar
/// (restartable) init containers added, the largest plain init container as a floor, plus the
/// pod overhead. `section` is `requests` or `limits`.
fn pod_resources(pod: &Value, section: &str) -> BTreeMap<String, Amount> {
    fn parse_list(c: &Value, ptr: &str) -> Vec<(String, Amount)> {
        map(c, ptr)
            .into_iter()
            .filter_map(|(k, q)| {
                let text = q.as_str().map_or_else(|| q.to_string(), str::to_owned);
                Some((k.clone(), tidepool_core::quantity::parse(&text)?))
            })
            .collect()
    }
    fn add(into: &mut BTreeMap<String, Amount>, list: &[(String, Amount)]) {
        for (k, a) in list {
            into.entry(k.clone())
                .and_modify(|e| e.milli += a.milli)
                .or_insert(*a);
        }
    }
    let ptr = format!("/resources/{section}");
    let mut total = BTreeMap::new();
    for c in arr(pod, "/spec/containers") {
        add(&mut total, &parse_list(c, &ptr));
    }
    let mut sidecars: BTreeMap<String, Amount> = BTreeMap::new();
    let mut init_floor: BTreeMap<String, Amount> = BTreeMap::new();
    for c in arr(pod, "/spec/initContainers") {
        let own = parse_list(c, &ptr);
        let needed = if s(c, "/restartPolicy") == "Always" {
            add(&mut total, &own);
            add(&mut sidecars, &own);
            sidecars.clone()
        } else {
            let mut tmp = BTreeMap::new();
            add(&mut tmp, &own);
            add(&mut tmp, &sidecars.clone().into_iter().collect::<Vec<_>>());
            tmp
        };
        for (k, a) in needed {
            let e = init_floor.entry(k).or_insert(a);
            if a.milli > e.milli {
                *e = a;
            }
        }
    }
    for (k, a) in init_floor {
        let e = total.entry(k).or_insert(a);
        if a.milli > e.milli {
            *e = a;
        }
    }
    add(&mut total, &parse_list(pod, "/spec/overhead"));
    total
}

/// `describeNodeResource`: the node's non-terminated pods with their CPU and memory requests
/// and limits as shares of allocatable, then the totals per resource.
fn node_resources(w: &mut W, session: &Session, node: &Value, now: VirtualTime) {
    let name = s(node, "/metadata/name");
    let pods: Vec<Value> = session
        .sim
        .api()
        .store()
        .list(Kind::Pod, None)
        // Filter on the typed pod first: serialising every pod of a large cluster is the cost.
        .filter(|o| match o {
            Object::Pod(p) => {
                p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(name)
                    && !matches!(
                        p.status.as_ref().and_then(|s| s.phase.as_deref()),
                        Some("Succeeded" | "Failed")
                    )
            }
            _ => false,
        })
        .map(Object::to_json)
        .collect();
    let basis = if map(node, "/status/allocatable").is_empty() {
        "/status/capacity"
    } else {
        "/status/allocatable"
    };
    let allocatable = |resource: &str| {
        tidepool_core::quantity::parse(s(node, &format!("{basis}/{resource}")))
            .map_or(0, |a| a.milli)
    };
    // Go's `Quantity.Value()` (whole units rounded up) for memory, `MilliValue()` for CPU.
    let units = |milli: i128| (milli + 999).div_euclid(1000);
    let share = |amount: Option<&Amount>, resource: &str| -> (String, i64) {
        let amount = amount.copied().unwrap_or_default();
        let of = allocatable(resource);
        let (have, of) = if resource == "cpu" {
            (amount.milli, of)
        } else {
            (units(amount.milli), units(of))
        };
        let percent = if of == 0 {
            0
        } else {
            (have as f64 / of as f64 * 100.0) as i64
        };
        (amount.to_canonical(), percent)
    };
    w.kv(
        0,
        "Non-terminated Pods",
        format!("({} in total)", pods.len()),
    );
    w.line(
        1,
        "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge",
    );
    w.line(
        1,
        "---------\t----\t\t------------\t----------\t---------------\t-------------\t---",
    );
    let mut requests: BTreeMap<String, Amount> = BTreeMap::new();
    let mut limits: BTreeMap<String, Amount> = BTreeMap::new();
    for p in &pods {
        let req = pod_resources(p, "requests");
        let lim = pod_resources(p, "limits");
        let cells: Vec<String> = [
            share(req.get("cpu"), "cpu"),
            share(lim.get("cpu"), "cpu"),
            share(req.get("memory"), "memory"),
            share(lim.get("memory"), "memory"),
        ]
        .into_iter()
        .map(|(q, pct)| format!("{q} ({pct}%)"))
        .collect();
        w.line(
            1,
            format!(
                "{}\t{}\t\t{}\t{}",
                s(p, "/metadata/namespace"),
                s(p, "/metadata/name"),
                cells.join("\t"),
                age(s(p, "/metadata/creationTimestamp"), now)
            ),
        );
        for (into, list) in [(&mut requests, req), (&mut limits, lim)] {
            for (k, a) in list {
                into.entry(k)
                    .and_modify(|e| e.milli += a.milli)
                    .or_insert(a);
            }
        }
    }
    w.line(0, "Allocated resources:");
    w.line(
        1,
        "(Total limits may be over 100 percent, i.e., overcommitted.)",
    );
    w.line(1, "Resource\tRequests\tLimits");
    w.line(1, "--------\t--------\t------");
    let mut rows: Vec<&str> = vec!["cpu", "memory", "ephemeral-storage"];
    let hugepages: Vec<&String> = map(node, basis)
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("hugepages-"))
        .collect();
    rows.extend(hugepages.iter().map(|k| k.as_str()));
    for resource in rows {
        let (req, req_pct) = share(requests.get(resource), resource);
        let (lim, lim_pct) = share(limits.get(resource), resource);
        w.line(
            1,
            format!("{resource}\t{req} ({req_pct}%)\t{lim} ({lim_pct}%)"),
        );
    }
    // Extended resources (not cpu, memory, ephemeral-storage, hugepages or pods) print bare.
    for (resource, _) in map(node, basis) {
        let standard = matches!(
            resource.as_str(),
            "cpu" | "memory" | "ephemeral-storage" | "pods"
        ) || resource.starts_with("hugepages-");
        if standard {
            continue;
        }
        let text = |m: &BTreeMap<String, Amount>| {
            m.get(resource.as_str())
                .copied()
                .unwrap_or_default()
                .to_canonical()
        };
        w.line(
            1,
            format!("{resource}\t{}\t{}", text(&requests), text(&limits)),
        );
    }
}

/// `describeQuota`: no labels, annotations or Events.
fn quota_desc(object: &Object) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    quota_scopes(&mut w, &v, 0, " * ");
    w.line(0, "Resource\tUsed\tHard");
    w.line(0, "--------\t----\t----");
    quota_rows(&mut w, 0, &v);
    w.finish()
}

/// The sorted scope names and their help lines (`helpTextForResourceQuotaScope`).
fn quota_scopes(w: &mut W, v: &Value, level: usize, bullet: &str) {
    let mut scopes: Vec<&str> = arr(v, "/spec/scopes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if scopes.is_empty() {
        return;
    }
    scopes.sort_unstable();
    w.kv(level, "Scopes", scopes.join(", "));
    for scope in scopes {
        let help = match scope {
            "Terminating" => {
                "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system."
            }
            "NotTerminating" => {
                "Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate."
            }
            "BestEffort" => {
                "Matches all pods that do not have resource requirements set. These pods have a best effort quality of service."
            }
            "NotBestEffort" => {
                "Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service."
            }
            _ => continue,
        };
        w.line(0, format!("{bullet}{help}"));
    }
}

/// One `resource\tused\thard` row per hard limit, sorted by resource name.
fn quota_rows(w: &mut W, level: usize, v: &Value) {
    let mut hard = map(v, "/status/hard");
    tidepool_core::stable_sort::sort_by(&mut hard, |a, b| a.0.cmp(b.0));
    for (k, limit) in hard {
        let used = v
            .pointer(&format!(
                "/status/used/{}",
                k.replace('~', "~0").replace('/', "~1")
            ))
            .and_then(Value::as_str)
            .unwrap_or("0");
        w.line(
            level,
            format!("{k}\t{used}\t{}", limit.as_str().unwrap_or("")),
        );
    }
}

/// `describeLimitRangeSpec`: one row per limit item and resource, `-` where unset.
fn limit_rows(w: &mut W, v: &Value, prefix: &str) {
    const FIELDS: [&str; 5] = [
        "min",
        "max",
        "defaultRequest",
        "default",
        "maxLimitRequestRatio",
    ];
    for item in arr(v, "/spec/limits") {
        let mut resources: Vec<&String> = FIELDS
            .iter()
            .flat_map(|f| map(item, &format!("/{f}")).into_iter().map(|(k, _)| k))
            .collect();
        tidepool_core::stable_sort::sort(&mut resources);
        resources.dedup();
        for r in resources {
            let cells: Vec<String> = FIELDS
                .iter()
                .map(|f| {
                    item.get(*f).and_then(|m| m.get(r.as_str())).map_or_else(
                        || "-".to_owned(),
                        |q| q.as_str().map_or_else(|| q.to_string(), str::to_owned),
                    )
                })
                .collect();
            w.line(
                0,
                format!("{prefix}{}\t{r}\t{}", s(item, "/type"), cells.join("\t")),
            );
        }
    }
}

/// `describeLimitRange`: no labels, annotations or Events.
fn limit_range_desc(object: &Object) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.line(
        0,
        "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio",
    );
    w.line(
        0,
        "----\t--------\t---\t---\t---------------\t-------------\t-----------------------",
    );
    limit_rows(&mut w, &v, "");
    w.finish()
}

/// `describeServiceAccount`: the three secret lists under fixed-width headers, in sorted order.
fn service_account_desc(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    let secrets = session
        .sim
        .api()
        .list(Kind::Secret, Some(object.namespace()));
    let existing: Vec<Value> = secrets.iter().map(|o| o.to_json()).collect();
    let exists = |name: &str| existing.iter().any(|sv| s(sv, "/metadata/name") == name);
    let names = |ptr: &str| -> Vec<String> {
        arr(&v, ptr)
            .iter()
            .map(|r| s(r, "/name").to_owned())
            .collect()
    };
    let tokens: Vec<String> = existing
        .iter()
        .filter(|sv| {
            s(sv, "/type") == "kubernetes.io/service-account-token"
                && s(
                    sv,
                    "/metadata/annotations/kubernetes.io~1service-account.name",
                ) == object.name()
                && s(
                    sv,
                    "/metadata/annotations/kubernetes.io~1service-account.uid",
                ) == object.uid()
        })
        .map(|sv| s(sv, "/metadata/name").to_owned())
        .collect();
    for (header, list, check) in [
        ("Image pull secrets:", names("/imagePullSecrets"), true),
        ("Mountable secrets: ", names("/secrets"), true),
        ("Tokens:            ", tokens, false),
    ] {
        if list.is_empty() {
            w.line(0, format!("{header}\t<none>"));
        }
        for (i, name) in list.iter().enumerate() {
            let title = if i == 0 {
                header
            } else {
                "                   "
            };
            let missing = if check && !exists(name) {
                " (not found)"
            } else {
                ""
            };
            w.line(0, format!("{title}\t{name}{missing}"));
        }
    }
    events(&mut w, session, object, now);
    w.finish()
}

/// `describeEndpoints`: each subset's ready and not-ready addresses and its ports.
fn endpoints_desc(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    w.line(0, "Subsets:");
    for subset in arr(&v, "/subsets") {
        let ips = |ptr: &str| {
            let list: Vec<&str> = arr(subset, ptr).iter().map(|a| s(a, "/ip")).collect();
            if list.is_empty() {
                "<none>".to_owned()
            } else {
                list.join(",")
            }
        };
        w.kv(1, "Addresses", ips("/addresses"));
        w.kv(1, "NotReadyAddresses", ips("/notReadyAddresses"));
        let ports = arr(subset, "/ports");
        if !ports.is_empty() {
            w.line(1, "Ports:");
            w.line(2, "Name\tPort\tProtocol");
            w.line(2, "----\t----\t--------");
            for p in ports {
                let name = Some(s(p, "/name"))
                    .filter(|n| !n.is_empty())
                    .unwrap_or("<unset>");
                let proto = Some(s(p, "/protocol"))
                    .filter(|n| !n.is_empty())
                    .unwrap_or("TCP");
                w.line(2, format!("{name}\t{}\t{proto}", int(p, "/port")));
            }
        }
        w.line(0, "");
    }
    events(&mut w, session, object, now);
    w.finish()
}

/// `Finalizers:\t%v` of a Go string slice: `[a b]`.
fn finalizers(w: &mut W, v: &Value) {
    let list: Vec<&str> = arr(v, "/metadata/finalizers")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    w.kv(0, "Finalizers", format!("[{}]", list.join(" ")));
}

fn phase_line(w: &mut W, v: &Value, now: VirtualTime) {
    if s(v, "/metadata/deletionTimestamp").is_empty() {
        w.kv(0, "Status", s(v, "/status/phase"));
    } else {
        w.kv(
            0,
            "Status",
            format!(
                "Terminating (lasts {})",
                age(s(v, "/metadata/deletionTimestamp"), now)
            ),
        );
    }
}

fn access_modes_of(v: &Value, ptr: &str) -> String {
    let modes: Vec<String> = arr(v, ptr)
        .iter()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    tidepool_core::storage::access_modes_string(&modes)
}

/// `describePersistentVolume`.
fn persistent_volume_desc(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    finalizers(&mut w, &v);
    w.kv(0, "StorageClass", s(&v, "/spec/storageClassName"));
    phase_line(&mut w, &v, now);
    match v.pointer("/spec/claimRef") {
        Some(c) => w.kv(
            0,
            "Claim",
            format!("{}/{}", s(c, "/namespace"), s(c, "/name")),
        ),
        None => w.kv(0, "Claim", ""),
    }
    w.kv(
        0,
        "Reclaim Policy",
        s(&v, "/spec/persistentVolumeReclaimPolicy"),
    );
    w.kv(0, "Access Modes", access_modes_of(&v, "/spec/accessModes"));
    if !s(&v, "/spec/volumeMode").is_empty() {
        w.kv(0, "VolumeMode", s(&v, "/spec/volumeMode"));
    }
    w.kv(0, "Capacity", s(&v, "/spec/capacity/storage"));
    match v.pointer("/spec/nodeAffinity/required") {
        None => w.kv(0, "Node Affinity", "<none>"),
        Some(required) => {
            w.kv(0, "Node Affinity", "");
            let terms = arr(required, "/nodeSelectorTerms");
            if terms.is_empty() {
                w.kv(1, "Required Terms", "<none>");
            } else {
                w.kv(1, "Required Terms", "");
                for (i, term) in terms.iter().enumerate() {
                    let exprs = arr(term, "/matchExpressions");
                    if exprs.is_empty() {
                        w.kv(2, &format!("Term {i}"), "<none>");
                    }
                    for (j, req) in exprs.iter().enumerate() {
                        let mut text = format!(
                            "{} {}",
                            s(req, "/key"),
                            s(req, "/operator").to_ascii_lowercase()
                        );
                        let values: Vec<&str> = arr(req, "/values")
                            .iter()
                            .filter_map(Value::as_str)
                            .collect();
                        if !values.is_empty() {
                            text.push_str(&format!(" [{}]", values.join(", ")));
                        }
                        if j == 0 {
                            w.kv(2, &format!("Term {i}"), text);
                        } else {
                            w.line(2, format!("\t{text}"));
                        }
                    }
                }
            }
        }
    }
    w.kv(0, "Message", s(&v, "/status/message"));
    w.line(0, "Source:");
    if let Some(h) = v.pointer("/spec/hostPath") {
        w.kv(2, "Type", "HostPath (bare host directory volume)");
        w.kv(2, "Path", s(h, "/path"));
        let kind = match h.get("type") {
            Some(Value::String(t)) => t.as_str(),
            _ => "<none>",
        };
        w.kv(2, "HostPathType", kind);
    } else if let Some(l) = v.pointer("/spec/local") {
        w.kv(
            2,
            "Type",
            "LocalVolume (a persistent volume backed by local storage on a node)",
        );
        w.kv(2, "Path", s(l, "/path"));
    } else if let Some(n) = v.pointer("/spec/nfs") {
        w.kv(
            2,
            "Type",
            "NFS (an NFS mount that lasts the lifetime of a pod)",
        );
        w.kv(2, "Server", s(n, "/server"));
        w.kv(2, "Path", s(n, "/path"));
        let read_only = n.get("readOnly").and_then(Value::as_bool).unwrap_or(false);
        w.kv(2, "ReadOnly", read_only.to_string());
    } else {
        w.line(1, "<unknown>");
    }
    events(&mut w, session, object, now);
    w.finish()
}

/// `describePersistentVolumeClaim`.
fn claim_desc(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    let class = match v.pointer("/metadata/annotations/volume.beta.kubernetes.io~1storage-class") {
        Some(Value::String(c)) => c.clone(),
        _ => s(&v, "/spec/storageClassName").to_owned(),
    };
    w.kv(0, "StorageClass", class);
    phase_line(&mut w, &v, now);
    w.kv(0, "Volume", s(&v, "/spec/volumeName"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    finalizers(&mut w, &v);
    let (capacity, modes) = if s(&v, "/spec/volumeName").is_empty() {
        (String::new(), String::new())
    } else {
        (
            s(&v, "/status/capacity/storage").to_owned(),
            access_modes_of(&v, "/status/accessModes"),
        )
    };
    w.kv(0, "Capacity", capacity);
    w.kv(0, "Access Modes", modes);
    if !s(&v, "/spec/volumeMode").is_empty() {
        w.kv(0, "VolumeMode", s(&v, "/spec/volumeMode"));
    }
    let users: Vec<String> = session
        .sim
        .api()
        .store()
        .list(Kind::Pod, Some(object.namespace()))
        .filter_map(Object::as_pod)
        .filter(|p| tidepool_core::storage::pod_claims(p).any(|c| c == object.name()))
        .map(|p| p.metadata.name.clone().unwrap_or_default())
        .collect();
    if users.is_empty() {
        w.kv(0, "Used By", "<none>");
    }
    for (i, user) in users.iter().enumerate() {
        if i == 0 {
            w.kv(0, "Used By", user);
        } else {
            w.line(0, format!("\t{user}"));
        }
    }
    events(&mut w, session, object, now);
    w.finish()
}

/// `describeStorageClass`.
fn storage_class_desc(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    let default = [
        "storageclass.kubernetes.io~1is-default-class",
        "storageclass.beta.kubernetes.io~1is-default-class",
    ]
    .iter()
    .any(|k| s(&v, &format!("/metadata/annotations/{k}")) == "true");
    w.kv(0, "IsDefaultClass", if default { "Yes" } else { "No" });
    w.kv(0, "Annotations", format_labels(&v, "/metadata/annotations"));
    w.kv(0, "Provisioner", s(&v, "/provisioner"));
    w.kv(0, "Parameters", format_labels(&v, "/parameters"));
    let expansion = match v.get("allowVolumeExpansion").and_then(Value::as_bool) {
        None => "<unset>",
        Some(true) => "True",
        Some(false) => "False",
    };
    w.kv(0, "AllowVolumeExpansion", expansion);
    let options: Vec<&str> = arr(&v, "/mountOptions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if options.is_empty() {
        w.kv(0, "MountOptions", "<none>");
    } else {
        w.line(0, "MountOptions:");
        for option in options {
            w.line(1, option);
        }
    }
    if !s(&v, "/reclaimPolicy").is_empty() {
        w.kv(0, "ReclaimPolicy", s(&v, "/reclaimPolicy"));
    }
    if !s(&v, "/volumeBindingMode").is_empty() {
        w.kv(0, "VolumeBindingMode", s(&v, "/volumeBindingMode"));
    }
    events(&mut w, session, object, now);
    w.finish()
}

/// `describeBackendV1`: `svc:port (endpoints)` with the Service's ready endpoints on that
/// port (`formatEndpoints`, at most three, then `+ N more...`), or the lookup's error.
fn ingress_backend(session: &Session, ns: &str, backend: &Value) -> String {
    if let Some(resource) = backend.get("resource") {
        let group = match s(resource, "/apiGroup") {
            "" => "<none>",
            g => g,
        };
        return format!(
            "APIGroup: {group}, Kind: {}, Name: {}",
            s(resource, "/kind"),
            s(resource, "/name")
        );
    }
    let Some(service) = backend.get("service") else {
        return String::new();
    };
    let name = s(service, "/name");
    let port_name = s(service, "/port/name");
    let port_number = int(service, "/port/number");
    let stringer = if port_name.is_empty() {
        format!("{name}:{port_number}")
    } else {
        format!("{name}:{port_name}")
    };
    let api = session.sim.api();
    let endpoints = match api.get_ref(Kind::Endpoints, ns, name) {
        Ok(e) => e.to_json(),
        Err(e) => return format!("{stringer} (<error: {}>)", e.message),
    };
    let svc = match api.get_ref(Kind::Service, ns, name) {
        Ok(svc) => svc.to_json(),
        Err(e) => return format!("{stringer}(<error: {}>)", e.message),
    };
    let mut wanted = "";
    for sp in arr(&svc, "/spec/ports") {
        if (port_number != 0 && port_number == int(sp, "/port"))
            || (!port_name.is_empty() && port_name == s(sp, "/name"))
        {
            wanted = s(sp, "/name");
        }
    }
    let subsets = arr(&endpoints, "/subsets");
    if subsets.is_empty() {
        return format!("{stringer} (<none>)");
    }
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for subset in subsets {
        let addresses = arr(subset, "/addresses");
        let ports = arr(subset, "/ports");
        if ports.is_empty() {
            count += addresses.len();
            for a in addresses {
                if list.len() == 3 {
                    more = true;
                }
                if !more {
                    list.push(s(a, "/ip").to_owned());
                }
            }
            continue;
        }
        for p in ports.iter().filter(|p| s(p, "/name") == wanted) {
            count += addresses.len();
            for a in addresses {
                if list.len() == 3 {
                    more = true;
                }
                if !more {
                    list.push(format!("{}:{}", s(a, "/ip"), int(p, "/port")));
                }
            }
        }
    }
    let joined = list.join(",");
    if more {
        format!("{stringer} ({joined} + {} more...)", count - 3)
    } else {
        format!("{stringer} ({joined})")
    }
}

/// `describeIngressV1`.
fn ingress_desc(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let ns = object.namespace();
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.kv(0, "Namespace", ns);
    w.kv(0, "Address", super::get::ingress_address(&v, true));
    w.kv(
        0,
        "Ingress Class",
        match s(&v, "/spec/ingressClassName") {
            "" => "<none>",
            c => c,
        },
    );
    let default_backend = match v.pointer("/spec/defaultBackend") {
        Some(b) => ingress_backend(session, ns, b),
        None => "<default>".to_owned(),
    };
    w.kv(0, "Default backend", &default_backend);
    let tls = arr(&v, "/spec/tls");
    if !tls.is_empty() {
        w.line(0, "TLS:");
        for t in tls {
            let hosts: Vec<&str> = arr(t, "/hosts").iter().filter_map(Value::as_str).collect();
            let hosts = hosts.join(",");
            match s(t, "/secretName") {
                "" => w.line(1, format!("SNI routes {hosts}")),
                secret => w.line(1, format!("{secret} terminates {hosts}")),
            }
        }
    }
    w.line(0, "Rules:");
    w.line(1, "Host\tPath\tBackends");
    w.line(1, "----\t----\t--------");
    let mut count = 0;
    for rule in arr(&v, "/spec/rules") {
        let Some(http) = rule.get("http") else {
            continue;
        };
        count += 1;
        let host = match s(rule, "/host") {
            "" => "*",
            h => h,
        };
        w.line(1, format!("{host}\t"));
        for path in arr(http, "/paths") {
            let backend = path.get("backend").cloned().unwrap_or(Value::Null);
            w.line(
                2,
                format!(
                    "\t{} \t{}",
                    s(path, "/path"),
                    ingress_backend(session, ns, &backend)
                ),
            );
        }
    }
    if count == 0 {
        w.line(1, format!("*\t*\t{default_backend}"));
    }
    w.annotations(0, &v, "/metadata/annotations");
    events(&mut w, session, object, now);
    w.finish()
}

/// `describeIngressClassV1`.
fn ingress_class_desc(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    w.kv(0, "Controller", s(&v, "/spec/controller"));
    if let Some(p) = v.pointer("/spec/parameters") {
        w.line(0, "Parameters:");
        if p.get("apiGroup").is_some() {
            w.kv(1, "APIGroup", s(p, "/apiGroup"));
        }
        w.kv(1, "Kind", s(p, "/kind"));
        w.kv(1, "Name", s(p, "/name"));
    }
    events(&mut w, session, object, now);
    w.finish()
}

/// `NetworkPolicyPort`s as `To Port: 80/TCP` lines (`To Port Range: 80-90/TCP`).
fn policy_ports(w: &mut W, rule: &Value) {
    let ports = arr(rule, "/ports");
    if ports.is_empty() {
        w.line(2, "To Port: <any> (traffic allowed to all ports)");
        return;
    }
    for p in ports {
        let proto = match s(p, "/protocol") {
            "" => "TCP",
            x => x,
        };
        // Go prints a nil *IntOrString with %s as `<nil>`.
        let port = match p.get("port") {
            None | Some(Value::Null) => "<nil>".to_owned(),
            Some(Value::String(name)) => name.clone(),
            Some(other) => other.to_string(),
        };
        match p.get("endPort").and_then(Value::as_i64) {
            None => w.line(2, format!("To Port: {port}/{proto}")),
            Some(end) => w.line(2, format!("To Port Range: {port}-{end}/{proto}")),
        }
    }
}

/// One peer of a rule (`printNetworkPolicySpecIngressFrom` / `EgressTo`).
fn policy_peer(w: &mut W, title: &str, peer: &Value) {
    w.line(2, format!("{title}:"));
    let pod = peer.get("podSelector").is_some();
    let namespace = peer.get("namespaceSelector").is_some();
    if pod && namespace {
        w.line(
            3,
            format!(
                "NamespaceSelector: {}",
                format_selector(peer, "/namespaceSelector")
            ),
        );
        w.line(
            3,
            format!("PodSelector: {}", format_selector(peer, "/podSelector")),
        );
    } else if pod {
        w.line(
            3,
            format!("PodSelector: {}", format_selector(peer, "/podSelector")),
        );
    } else if namespace {
        w.line(
            3,
            format!(
                "NamespaceSelector: {}",
                format_selector(peer, "/namespaceSelector")
            ),
        );
    } else if let Some(block) = peer.get("ipBlock") {
        w.line(3, "IPBlock:");
        w.line(4, format!("CIDR: {}", s(block, "/cidr")));
        let except: Vec<&str> = arr(block, "/except")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        w.line(4, format!("Except: {}", except.join(", ")));
    }
}

/// The rules of one direction: `ingress`/`from` or `egress`/`to`.
fn policy_rules(w: &mut W, v: &Value, direction: &str) {
    let (rules_at, peers_at, title, isolated, any) = if direction == "ingress" {
        (
            "/spec/ingress",
            "/from",
            "From",
            "<none> (Selected pods are isolated for ingress connectivity)",
            "From: <any> (traffic not restricted by source)",
        )
    } else {
        (
            "/spec/egress",
            "/to",
            "To",
            "<none> (Selected pods are isolated for egress connectivity)",
            "To: <any> (traffic not restricted by destination)",
        )
    };
    let rules = arr(v, rules_at);
    if rules.is_empty() {
        w.line(2, isolated);
        return;
    }
    for (i, rule) in rules.iter().enumerate() {
        policy_ports(w, rule);
        let peers = arr(rule, peers_at);
        if peers.is_empty() {
            w.line(2, any);
        }
        for peer in peers {
            policy_peer(w, title, peer);
        }
        if i + 1 != rules.len() {
            w.line(2, "----------");
        }
    }
}

/// `describeNetworkPolicy`: its prose layout, and no events.
fn network_policy_desc(object: &Object) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    // `metav1.Time` printed with %s: Go's `time.Time.String()`.
    let created =
        k8s_openapi::chrono::DateTime::parse_from_rfc3339(s(&v, "/metadata/creationTimestamp"))
            .map(|t| t.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string())
            .unwrap_or_default();
    w.kv(0, "Created on", created);
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    w.line(0, "Spec:");
    let selector = format_selector(&v, "/spec/podSelector");
    if selector == "<none>" {
        w.line(
            1,
            "PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)",
        );
    } else {
        w.line(1, format!("PodSelector:     {selector}"));
    }
    let types: Vec<&str> = arr(&v, "/spec/policyTypes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if types.contains(&"Ingress") {
        w.line(1, "Allowing ingress traffic:");
        policy_rules(&mut w, &v, "ingress");
    } else {
        w.line(1, "Not affecting ingress traffic");
    }
    if types.contains(&"Egress") {
        w.line(1, "Allowing egress traffic:");
        policy_rules(&mut w, &v, "egress");
    } else {
        w.line(1, "Not affecting egress traffic");
    }
    w.line(1, format!("Policy Types: {}", types.join(", ")));
    w.finish()
}

pub fn describe(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(
        args,
        &[
            f("selector", Some('l'), true),
            f("all-namespaces", Some('A'), false),
            f("filename", Some('f'), true),
            f("show-events", None, false),
        ],
        "describe",
    )?;
    let ns = namespace(session, &flags);
    let Some(first) = flags.args.first() else {
        return Err("You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nSee 'kubectl describe -h' for help and examples\n".to_owned());
    };
    let mut targets: Vec<(Kind, Option<String>)> = Vec::new();
    if first.contains('/') {
        for a in &flags.args {
            let (t, n) = a.split_once('/').unwrap_or((a, ""));
            let t = resolve_type(t).ok_or_else(|| {
                format!("error: the server doesn't have a resource type \"{t}\"\n")
            })?;
            targets.push((t.kind, Some(n.to_owned())));
        }
    } else {
        let t = resolve_type(first).ok_or_else(|| {
            format!("error: the server doesn't have a resource type \"{first}\"\n")
        })?;
        if flags.args.len() == 1 {
            targets.push((t.kind, None));
        }
        for n in &flags.args[1..] {
            targets.push((t.kind, Some(n.clone())));
        }
    }
    let selector = match flags.get("selector") {
        Some(s) => Some(super::json::parse_selector(s)?),
        None => None,
    };
    let now = session.sim.now();
    let mut objects: Vec<Object> = Vec::new();
    let mut res = Res::ok();
    for (kind, name) in targets {
        let scope = if kind.namespaced() { ns.as_str() } else { "" };
        let check_ns = if flags.bool("all-namespaces") && name.is_none() {
            ""
        } else {
            scope
        };
        let verb = if name.is_some() { "get" } else { "list" };
        let api = session.sim.api();
        if let Err(e) = api.authorize(verb, kind, check_ns, name.as_deref().unwrap_or("")) {
            res.push_err(format!(
                "Error from server ({:?}): {}\n",
                e.reason, e.message
            ));
            res.code = 1;
            continue;
        }
        match name {
            Some(n) => match session.sim.api().get(kind, scope, &n) {
                Ok(o) => objects.push(o),
                // describe falls back to a name prefix match.
                Err(e) => {
                    let prefixed: Vec<Object> = session
                        .sim
                        .api()
                        .list(kind, kind.namespaced().then_some(scope))
                        .into_iter()
                        .filter(|o| o.name().starts_with(&n))
                        .collect();
                    if prefixed.is_empty() {
                        res.push_err(format!(
                            "Error from server ({:?}): {}\n",
                            e.reason, e.message
                        ));
                        res.code = 1;
                    }
                    objects.extend(prefixed);
                }
            },
            None => {
                let list_scope = if flags.bool("all-namespaces") || !kind.namespaced() {
                    None
                } else {
                    Some(scope)
                };
                objects.extend(
                    session
                        .sim
                        .api()
                        .list(kind, list_scope)
                        .into_iter()
                        .filter(|o| {
                            selector
                                .as_ref()
                                .is_none_or(|s| super::json::selector_matches(s, &o.to_json()))
                        }),
                );
            }
        }
    }
    if objects.is_empty() && res.code == 0 {
        return Ok(Res::err(
            if first.contains('/') || resolve_type(first).is_some_and(|t| !t.kind.namespaced()) {
                "No resources found\n".to_owned()
            } else {
                format!("No resources found in {ns} namespace.\n")
            },
            0,
        ));
    }
    let mut out = String::new();
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(&match o.kind() {
            Kind::Pod => pod(session, o, now),
            Kind::Deployment => deployment(session, o, now),
            Kind::ReplicaSet | Kind::ReplicationController => replica_set(session, o, now),
            Kind::Namespace => namespace_desc(session, o),
            Kind::Service => service(session, o, now),
            Kind::Job => job(session, o, now),
            Kind::CronJob => cron_job(session, o, now),
            Kind::DaemonSet => daemon_set(session, o, now),
            Kind::StatefulSet => stateful_set(session, o, now),
            Kind::ResourceQuota => quota_desc(o),
            Kind::LimitRange => limit_range_desc(o),
            Kind::ServiceAccount => service_account_desc(session, o, now),
            Kind::Endpoints => endpoints_desc(session, o, now),
            Kind::Role | Kind::ClusterRole => role_desc(o),
            Kind::RoleBinding | Kind::ClusterRoleBinding => role_binding_desc(o),
            Kind::Ingress => ingress_desc(session, o, now),
            Kind::IngressClass => ingress_class_desc(session, o, now),
            Kind::NetworkPolicy => network_policy_desc(o),
            Kind::PriorityClass => priority_class_desc(session, o, now),
            Kind::PodDisruptionBudget => pod_disruption_budget_desc(session, o, now),
            Kind::PersistentVolume => persistent_volume_desc(session, o, now),
            Kind::PersistentVolumeClaim => claim_desc(session, o, now),
            Kind::StorageClass => storage_class_desc(session, o, now),
            Kind::HorizontalPodAutoscaler => hpa_desc(session, o, now),
            _ => generic(session, o, now),
        });
    }
    res.chunks.insert(0, (crate::Stream::Stdout, out));
    Ok(res)
}

/// `describeHorizontalPodAutoscalerV2`.
fn hpa_desc(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    w.kv(
        0,
        "CreationTimestamp",
        rfc1123z(s(&v, "/metadata/creationTimestamp")),
    );
    let target_kind = s(&v, "/spec/scaleTargetRef/kind");
    w.kv(
        0,
        "Reference",
        format!("{target_kind}/{}", s(&v, "/spec/scaleTargetRef/name")),
    );
    w.kv(0, "Metrics", "( current / target )");
    let statuses = arr(&v, "/status/currentMetrics");
    for (i, metric) in arr(&v, "/spec/metrics").iter().enumerate() {
        let field = match s(metric, "/type") {
            "Resource" => "resource",
            "ContainerResource" => "containerResource",
            other => {
                w.line(1, format!("\"{other}\" (unsimulated metric source)"));
                continue;
            }
        };
        let name = s(metric, &format!("/{field}/name"));
        let mut head = format!("resource {name}");
        if field == "containerResource" {
            head.push_str(&format!(
                " of container \"{}\"",
                s(metric, "/containerResource/container")
            ));
        }
        head.push_str(" on pods");
        let current = statuses.get(i).and_then(|st| st.get(field));
        let average = s(metric, &format!("/{field}/target/averageValue"));
        if average.is_empty() {
            let current = current
                .filter(|c| c.pointer("/current/averageUtilization").is_some())
                .map_or("<unknown>".to_owned(), |c| {
                    format!(
                        "{}% ({})",
                        int(c, "/current/averageUtilization"),
                        s(c, "/current/averageValue")
                    )
                });
            let target = metric
                .pointer(&format!("/{field}/target/averageUtilization"))
                .and_then(Value::as_i64)
                .map_or("<auto>".to_owned(), |u| format!("{u}%"));
            w.line(
                1,
                format!("{head}  (as a percentage of request):\t{current} / {target}"),
            );
        } else {
            let current = current.map_or("<unknown>", |c| s(c, "/current/averageValue"));
            w.line(1, format!("{head}:\t{current} / {average}"));
        }
    }
    w.kv(
        0,
        "Min replicas",
        v.pointer("/spec/minReplicas")
            .and_then(Value::as_i64)
            .map_or("<unset>".to_owned(), |m| m.to_string()),
    );
    w.kv(0, "Max replicas", int(&v, "/spec/maxReplicas").to_string());
    if v.pointer("/spec/behavior").is_some_and(|b| !b.is_null()) {
        w.line(0, "Behavior:");
        for (title, ptr) in [
            ("Scale Up", "/spec/behavior/scaleUp"),
            ("Scale Down", "/spec/behavior/scaleDown"),
        ] {
            let Some(rules) = v.pointer(ptr).filter(|r| !r.is_null()) else {
                continue;
            };
            w.line(1, format!("{title}:"));
            if let Some(window) = rules
                .get("stabilizationWindowSeconds")
                .and_then(Value::as_i64)
            {
                w.line(2, format!("Stabilization Window: {window} seconds"));
            }
            let policies = arr(rules, "/policies");
            if !policies.is_empty() {
                let select = match s(rules, "/selectPolicy") {
                    "" => "Max",
                    other => other,
                };
                w.line(2, format!("Select Policy: {select}"));
                w.line(2, "Policies:");
                for p in policies {
                    w.line(
                        3,
                        format!(
                            "- Type: {}\tValue: {}\tPeriod: {} seconds",
                            s(p, "/type"),
                            int(p, "/value"),
                            int(p, "/periodSeconds")
                        ),
                    );
                }
            }
        }
    }
    w.kv(
        0,
        &format!("{target_kind} pods"),
        format!(
            "{} current / {} desired",
            int(&v, "/status/currentReplicas"),
            int(&v, "/status/desiredReplicas")
        ),
    );
    let conditions = arr(&v, "/status/conditions");
    if !conditions.is_empty() {
        w.line(0, "Conditions:");
        w.line(1, "Type\tStatus\tReason\tMessage");
        w.line(1, "----\t------\t------\t-------");
        for c in conditions {
            w.line(
                1,
                format!(
                    "{}\t{}\t{}\t{}",
                    s(c, "/type"),
                    s(c, "/status"),
                    s(c, "/reason"),
                    s(c, "/message")
                ),
            );
        }
    }
    events(&mut w, session, object, now);
    w.finish()
}

/// `describePriorityClass`.
fn priority_class_desc(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Value", int(&v, "/value").to_string());
    let global_default = v.pointer("/globalDefault").and_then(Value::as_bool);
    w.kv(
        0,
        "GlobalDefault",
        global_default.unwrap_or(false).to_string(),
    );
    w.kv(0, "PreemptionPolicy", s(&v, "/preemptionPolicy"));
    w.kv(0, "Description", s(&v, "/description"));
    // `labels.FormatLabels` of the annotations, on one line.
    w.kv(0, "Annotations", format_labels(&v, "/metadata/annotations"));
    events(&mut w, session, object, now);
    w.finish()
}

/// `describePodDisruptionBudgetV1`.
fn pod_disruption_budget_desc(session: &Session, object: &Object, now: VirtualTime) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.kv(0, "Namespace", s(&v, "/metadata/namespace"));
    let int_or_string = |ptr: &str| match v.pointer(ptr) {
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(t)) => Some(t.clone()),
        _ => None,
    };
    if let Some(min) = int_or_string("/spec/minAvailable") {
        w.kv(0, "Min available", min);
    } else if let Some(max) = int_or_string("/spec/maxUnavailable") {
        w.kv(0, "Max unavailable", max);
    }
    // LabelSelectorAsSelector(...).String(): empty for a missing or empty selector.
    let selector = match v.pointer("/spec/selector") {
        Some(sel) if sel.as_object().is_some_and(|m| !m.is_empty()) => {
            format_selector(&v, "/spec/selector")
        }
        _ => String::new(),
    };
    w.kv(0, "Selector", selector);
    w.line(0, "Status:");
    w.kv(
        2,
        "Allowed disruptions",
        int(&v, "/status/disruptionsAllowed").to_string(),
    );
    w.kv(2, "Current", int(&v, "/status/currentHealthy").to_string());
    w.kv(2, "Desired", int(&v, "/status/desiredHealthy").to_string());
    w.kv(2, "Total", int(&v, "/status/expectedPods").to_string());
    events(&mut w, session, object, now);
    w.finish()
}

/// One rule broken down to a single group and resource (`rbac.BreakdownRule`).
#[derive(Clone)]
struct Rule {
    verbs: Vec<String>,
    groups: Vec<String>,
    resources: Vec<String>,
    names: Vec<String>,
    urls: Vec<String>,
}

impl Rule {
    /// The generated `PolicyRule.String()`, which kubectl sorts the rows by.
    fn sort_key(&self) -> String {
        format!(
            "&PolicyRule{{Verbs:{},APIGroups:{},Resources:{},ResourceNames:{},NonResourceURLs:{},}}",
            go_list(&self.verbs),
            go_list(&self.groups),
            go_list(&self.resources),
            go_list(&self.names),
            go_list(&self.urls)
        )
    }
}

/// Go's `%v` of a `[]string`.
fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// `RoleDescriber`/`ClusterRoleDescriber`: the rules broken down per group and resource, the
/// simple ones merged (`rbac.CompactRules`), sorted by their `String()`.
fn role_desc(object: &Object) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    w.line(0, "PolicyRule:");
    w.line(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs");
    w.line(1, "---------\t-----------------\t--------------\t-----");
    for row in policy_rule_rows(arr(&v, "/rules")) {
        w.line(1, row.join("\t"));
    }
    w.finish()
}

/// The rows kubectl prints for PolicyRules (`describe role`, `auth can-i --list`): each rule
/// broken down to one group and resource, simple ones merged, sorted by `String()`.
pub(super) fn policy_rule_rows(rules: &[Value]) -> Vec<[String; 4]> {
    let strings = |rule: &Value, ptr: &str| -> Vec<String> {
        arr(rule, ptr).iter().map(|x| s(x, "").to_owned()).collect()
    };
    let mut broken = Vec::new();
    for rule in rules {
        let verbs = strings(rule, "/verbs");
        let names = strings(rule, "/resourceNames");
        for group in strings(rule, "/apiGroups") {
            for resource in strings(rule, "/resources") {
                let one = |names: Vec<String>| Rule {
                    verbs: verbs.clone(),
                    groups: vec![group.clone()],
                    resources: vec![resource.clone()],
                    names,
                    urls: Vec::new(),
                };
                if names.is_empty() {
                    broken.push(one(Vec::new()));
                } else {
                    broken.extend(names.iter().map(|n| one(vec![n.clone()])));
                }
            }
        }
        for url in strings(rule, "/nonResourceURLs") {
            broken.push(Rule {
                verbs: verbs.clone(),
                groups: Vec::new(),
                resources: Vec::new(),
                names: Vec::new(),
                urls: vec![url],
            });
        }
    }
    let mut compact: Vec<Rule> = Vec::new();
    let mut simple: Vec<Rule> = Vec::new();
    for rule in broken {
        if !rule.urls.is_empty() {
            compact.push(rule);
            continue;
        }
        match simple.iter_mut().find(|r| {
            r.groups == rule.groups && r.resources == rule.resources && r.names == rule.names
        }) {
            Some(existing) => {
                for verb in rule.verbs {
                    if !existing.verbs.contains(&verb) {
                        existing.verbs.push(verb);
                    }
                }
            }
            None => simple.push(rule),
        }
    }
    compact.extend(simple);
    compact.sort_by_cached_key(Rule::sort_key);
    let mut rows = Vec::new();
    for rule in &compact {
        // `CombineResourceGroup`: `pods/log` in group `x` prints `pods.x/log`.
        let resource = match rule.resources.first() {
            None => String::new(),
            Some(first) => {
                let (base, sub) = match first.split_once('/') {
                    Some((b, sub)) => (b, Some(sub)),
                    None => (first.as_str(), None),
                };
                let mut out = base.to_owned();
                if let Some(group) = rule.groups.first().filter(|g| !g.is_empty()) {
                    out = format!("{out}.{group}");
                }
                if let Some(sub) = sub {
                    out = format!("{out}/{sub}");
                }
                out
            }
        };
        rows.push([
            resource,
            go_list(&rule.urls),
            go_list(&rule.names),
            go_list(&rule.verbs),
        ]);
    }
    rows
}

/// `RoleBindingDescriber`/`ClusterRoleBindingDescriber`.
fn role_binding_desc(object: &Object) -> String {
    let v = super::get::printable(object);
    let mut w = W::new();
    w.kv(0, "Name", s(&v, "/metadata/name"));
    w.labels(0, "Labels", &v, "/metadata/labels");
    w.annotations(0, &v, "/metadata/annotations");
    w.line(0, "Role:");
    w.kv(1, "Kind", s(&v, "/roleRef/kind"));
    w.kv(1, "Name", s(&v, "/roleRef/name"));
    w.line(0, "Subjects:");
    w.line(1, "Kind\tName\tNamespace");
    w.line(1, "----\t----\t---------");
    for subject in arr(&v, "/subjects") {
        w.line(
            1,
            format!(
                "{}\t{}\t{}",
                s(subject, "/kind"),
                s(subject, "/name"),
                s(subject, "/namespace")
            ),
        );
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::cap_indexes;

    #[test]
    fn completed_indexes_are_capped_like_kubectl() {
        assert_eq!(cap_indexes("", 50), "<none>");
        assert_eq!(cap_indexes("0-2", 50), "0-2");
        // Cut after the first comma at or past the soft limit, then "...".
        assert_eq!(cap_indexes("1,3,5,7,9", 4), "1,3,5,...");
        assert_eq!(cap_indexes("1,3,5,7,9", 8), "1,3,5,7,9");
    }
}
