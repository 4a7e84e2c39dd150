//! `kubectl get` and its printers (server-side table columns of `printers.go`).

use super::json::{age, arr, format_labels, format_selector, int, map, s};
use super::resources::{ALL, ResourceType, resolve_type};
use super::{FlagSpec, KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use crate::tabwriter::{self, Grid};
use serde_json::{Value, json};
use tidepool_core::{Kind, Object, VirtualTime};

const SPECS: &[FlagSpec] = &[
    f("output", Some('o'), true),
    f("selector", Some('l'), true),
    f("all-namespaces", Some('A'), false),
    f("show-labels", None, false),
    f("no-headers", None, false),
    f("sort-by", None, true),
    f("field-selector", None, true),
    f("watch", Some('w'), false),
    f("label-columns", Some('L'), true),
    f("filename", Some('f'), true),
    f("recursive", Some('R'), false),
    f("show-kind", None, false),
    f("ignore-not-found", None, false),
    f("chunk-size", None, true),
];

/// The `get` table of one kind: header and rows (wide columns included when `wide`).
pub fn table(
    kind: Kind,
    objects: &[Value],
    now: VirtualTime,
    wide: bool,
) -> (Vec<String>, Vec<Vec<String>>) {
    let h = |cols: &[&str], wide_cols: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = cols.iter().map(|c| (*c).to_owned()).collect();
        if wide {
            v.extend(wide_cols.iter().map(|c| (*c).to_owned()));
        }
        v
    };
    let header = match kind {
        Kind::Pod => h(
            &["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            &["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
        ),
        Kind::ReplicationController | Kind::ReplicaSet => h(
            &["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        Kind::Deployment => h(
            &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        Kind::DaemonSet => h(
            &[
                "NAME",
                "DESIRED",
                "CURRENT",
                "READY",
                "UP-TO-DATE",
                "AVAILABLE",
                "NODE SELECTOR",
                "AGE",
            ],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        Kind::StatefulSet => h(&["NAME", "READY", "AGE"], &["CONTAINERS", "IMAGES"]),
        Kind::Job => h(
            &["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        Kind::CronJob => h(
            &[
                "NAME",
                "SCHEDULE",
                "TIMEZONE",
                "SUSPEND",
                "ACTIVE",
                "LAST SCHEDULE",
                "AGE",
            ],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        Kind::Service => h(
            &[
                "NAME",
                "TYPE",
                "CLUSTER-IP",
                "EXTERNAL-IP",
                "PORT(S)",
                "AGE",
            ],
            &["SELECTOR"],
        ),
        Kind::Node => h(
            &["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            &[
                "INTERNAL-IP",
                "EXTERNAL-IP",
                "OS-IMAGE",
                "KERNEL-VERSION",
                "CONTAINER-RUNTIME",
            ],
        ),
        Kind::Namespace => h(&["NAME", "STATUS", "AGE"], &[]),
        Kind::Event => {
            if wide {
                h(
                    &[
                        "LAST SEEN",
                        "TYPE",
                        "REASON",
                        "OBJECT",
                        "SUBOBJECT",
                        "SOURCE",
                        "MESSAGE",
                        "FIRST SEEN",
                        "COUNT",
                        "NAME",
                    ],
                    &[],
                )
            } else {
                h(&["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], &[])
            }
        }
        // Real kubectl v1.32 prints AGE second for quotas (printers.go column order).
        Kind::ResourceQuota => h(&["NAME", "AGE", "REQUEST", "LIMIT"], &[]),
        Kind::ConfigMap => h(&["NAME", "DATA", "AGE"], &[]),
        Kind::Secret => h(&["NAME", "TYPE", "DATA", "AGE"], &[]),
        Kind::ServiceAccount => h(&["NAME", "SECRETS", "AGE"], &[]),
        Kind::Endpoints => h(&["NAME", "ENDPOINTS", "AGE"], &[]),
        Kind::LimitRange => h(&["NAME", "CREATED AT"], &[]),
        Kind::ControllerRevision => h(&["NAME", "CONTROLLER", "REVISION", "AGE"], &[]),
        Kind::Role | Kind::ClusterRole => h(&["NAME", "CREATED AT"], &[]),
        Kind::RoleBinding | Kind::ClusterRoleBinding => h(
            &["NAME", "ROLE", "AGE"],
            &["USERS", "GROUPS", "SERVICEACCOUNTS"],
        ),
        Kind::Ingress => h(&["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"], &[]),
        Kind::IngressClass => h(&["NAME", "CONTROLLER", "PARAMETERS", "AGE"], &[]),
        Kind::NetworkPolicy => h(&["NAME", "POD-SELECTOR", "AGE"], &[]),
        Kind::PriorityClass => h(
            &["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"],
            &[],
        ),
        Kind::PodDisruptionBudget => h(
            &[
                "NAME",
                "MIN AVAILABLE",
                "MAX UNAVAILABLE",
                "ALLOWED DISRUPTIONS",
                "AGE",
            ],
            &[],
        ),
        Kind::PersistentVolume => h(
            &[
                "NAME",
                "CAPACITY",
                "ACCESS MODES",
                "RECLAIM POLICY",
                "STATUS",
                "CLAIM",
                "STORAGECLASS",
                "VOLUMEATTRIBUTESCLASS",
                "REASON",
                "AGE",
            ],
            &["VOLUMEMODE"],
        ),
        Kind::PersistentVolumeClaim => h(
            &[
                "NAME",
                "STATUS",
                "VOLUME",
                "CAPACITY",
                "ACCESS MODES",
                "STORAGECLASS",
                "VOLUMEATTRIBUTESCLASS",
                "AGE",
            ],
            &["VOLUMEMODE"],
        ),
        Kind::StorageClass => h(
            &[
                "NAME",
                "PROVISIONER",
                "RECLAIMPOLICY",
                "VOLUMEBINDINGMODE",
                "ALLOWVOLUMEEXPANSION",
                "AGE",
            ],
            &[],
        ),
        Kind::HorizontalPodAutoscaler => h(
            &[
                "NAME",
                "REFERENCE",
                "TARGETS",
                "MINPODS",
                "MAXPODS",
                "REPLICAS",
                "AGE",
            ],
            &[],
        ),
    };
    let rows = objects.iter().map(|o| row(kind, o, now, wide)).collect();
    (header, rows)
}

fn containers_cells(o: &Value, spec: &str) -> (String, String) {
    let cs = arr(o, &format!("{spec}/containers"));
    let names: Vec<&str> = cs.iter().map(|c| s(c, "/name")).collect();
    let images: Vec<&str> = cs.iter().map(|c| s(c, "/image")).collect();
    (names.join(","), images.join(","))
}

fn opt_int(o: &Value, ptr: &str) -> String {
    int(o, ptr).to_string()
}

fn row(kind: Kind, o: &Value, now: VirtualTime, wide: bool) -> Vec<String> {
    let name = s(o, "/metadata/name").to_owned();
    let created = age(s(o, "/metadata/creationTimestamp"), now);
    let mut r = vec![name];
    let mut w: Vec<String> = Vec::new();
    match kind {
        Kind::Pod => {
            let (ready, status, restarts) = pod_status(o, now);
            r.extend([ready, status, restarts, created]);
            let ip = s(o, "/status/podIP");
            let node = s(o, "/spec/nodeName");
            let nominated = s(o, "/status/nominatedNodeName");
            let gates = arr(o, "/spec/readinessGates");
            let gates = if gates.is_empty() {
                "<none>".to_owned()
            } else {
                let conds = arr(o, "/status/conditions");
                let ok = gates
                    .iter()
                    .filter(|g| {
                        conds.iter().any(|c| {
                            s(c, "/type") == s(g, "/conditionType") && s(c, "/status") == "True"
                        })
                    })
                    .count();
                format!("{ok}/{}", gates.len())
            };
            for v in [ip, node, nominated] {
                w.push(if v.is_empty() {
                    "<none>".to_owned()
                } else {
                    v.to_owned()
                });
            }
            w.push(gates);
        }
        Kind::ReplicationController | Kind::ReplicaSet => {
            r.extend([
                opt_int(o, "/spec/replicas"),
                opt_int(o, "/status/replicas"),
                opt_int(o, "/status/readyReplicas"),
                created,
            ]);
            let (c, i) = containers_cells(o, "/spec/template/spec");
            w.extend([c, i]);
            w.push(if kind == Kind::ReplicaSet {
                format_selector(o, "/spec/selector")
            } else {
                format_labels(o, "/spec/selector")
            });
        }
        Kind::Deployment => {
            r.extend([
                format!(
                    "{}/{}",
                    int(o, "/status/readyReplicas"),
                    int(o, "/spec/replicas")
                ),
                opt_int(o, "/status/updatedReplicas"),
                opt_int(o, "/status/availableReplicas"),
                created,
            ]);
            let (c, i) = containers_cells(o, "/spec/template/spec");
            w.extend([c, i, format_selector(o, "/spec/selector")]);
        }
        Kind::DaemonSet => {
            r.extend([
                opt_int(o, "/status/desiredNumberScheduled"),
                opt_int(o, "/status/currentNumberScheduled"),
                opt_int(o, "/status/numberReady"),
                opt_int(o, "/status/updatedNumberScheduled"),
                opt_int(o, "/status/numberAvailable"),
                format_labels(o, "/spec/template/spec/nodeSelector"),
                created,
            ]);
            let (c, i) = containers_cells(o, "/spec/template/spec");
            w.extend([c, i, format_selector(o, "/spec/selector")]);
        }
        Kind::StatefulSet => {
            r.extend([
                format!(
                    "{}/{}",
                    int(o, "/status/readyReplicas"),
                    int(o, "/spec/replicas")
                ),
                created,
            ]);
            let (c, i) = containers_cells(o, "/spec/template/spec");
            w.extend([c, i]);
        }
        Kind::Job => {
            let conds = arr(o, "/status/conditions");
            let has = |t: &str| {
                conds
                    .iter()
                    .any(|c| s(c, "/type") == t && s(c, "/status") == "True")
            };
            let status = if has("Complete") {
                "Complete"
            } else if has("Failed") {
                "Failed"
            } else if !s(o, "/metadata/deletionTimestamp").is_empty() {
                "Terminating"
            } else if has("Suspended") {
                "Suspended"
            } else if has("FailureTarget") {
                "FailureTarget"
            } else {
                "Running"
            };
            let completions = match o.pointer("/spec/completions").and_then(Value::as_i64) {
                Some(c) => format!("{}/{c}", int(o, "/status/succeeded")),
                None => {
                    let p = o
                        .pointer("/spec/parallelism")
                        .and_then(Value::as_i64)
                        .unwrap_or(1);
                    if p > 1 {
                        format!("{}/1 of {p}", int(o, "/status/succeeded"))
                    } else {
                        format!("{}/1", int(o, "/status/succeeded"))
                    }
                }
            };
            let start = super::json::millis(s(o, "/status/startTime"));
            let end = super::json::millis(s(o, "/status/completionTime"));
            let duration = match (start, end) {
                (Some(a), Some(b)) => crate::duration::human_millis(b - a),
                (Some(a), None) => crate::duration::human_millis(now.as_millis() as i64 - a),
                _ => String::new(),
            };
            r.extend([status.to_owned(), completions, duration, created]);
            let (c, i) = containers_cells(o, "/spec/template/spec");
            w.extend([c, i, format_selector(o, "/spec/selector")]);
        }
        Kind::CronJob => {
            let tz = s(o, "/spec/timeZone");
            let suspend = match o.pointer("/spec/suspend").and_then(Value::as_bool) {
                Some(true) => "True",
                Some(false) => "False",
                None => "<unset>",
            };
            let last = s(o, "/status/lastScheduleTime");
            r.extend([
                s(o, "/spec/schedule").to_owned(),
                if tz.is_empty() {
                    "<none>".to_owned()
                } else {
                    tz.to_owned()
                },
                suspend.to_owned(),
                arr(o, "/status/active").len().to_string(),
                if last.is_empty() {
                    "<none>".to_owned()
                } else {
                    age(last, now)
                },
                created,
            ]);
            let (c, i) = containers_cells(o, "/spec/jobTemplate/spec/template/spec");
            w.extend([c, i, format_selector(o, "/spec/jobTemplate/spec/selector")]);
        }
        Kind::Service => {
            let ty = s(o, "/spec/type");
            let ty = if ty.is_empty() { "ClusterIP" } else { ty };
            let cip = s(o, "/spec/clusterIP");
            let external = match ty {
                "ExternalName" => s(o, "/spec/externalName").to_owned(),
                "LoadBalancer" => {
                    let ips: Vec<&str> = arr(o, "/status/loadBalancer/ingress")
                        .iter()
                        .map(|i| {
                            if s(i, "/ip").is_empty() {
                                s(i, "/hostname")
                            } else {
                                s(i, "/ip")
                            }
                        })
                        .collect();
                    if ips.is_empty() {
                        "<pending>".to_owned()
                    } else {
                        let joined = ips.join(",");
                        if !wide && joined.len() > 16 {
                            format!("{}...", &joined[..13])
                        } else {
                            joined
                        }
                    }
                }
                _ => {
                    let ext: Vec<&str> = arr(o, "/spec/externalIPs")
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    if ext.is_empty() {
                        "<none>".to_owned()
                    } else {
                        ext.join(",")
                    }
                }
            };
            let ports: Vec<String> = arr(o, "/spec/ports")
                .iter()
                .map(|p| {
                    let proto = if s(p, "/protocol").is_empty() {
                        "TCP"
                    } else {
                        s(p, "/protocol")
                    };
                    let node_port = int(p, "/nodePort");
                    if node_port > 0 {
                        format!("{}:{node_port}/{proto}", int(p, "/port"))
                    } else {
                        format!("{}/{proto}", int(p, "/port"))
                    }
                })
                .collect();
            r.extend([
                ty.to_owned(),
                if cip.is_empty() {
                    "<none>".to_owned()
                } else {
                    cip.to_owned()
                },
                external,
                if ports.is_empty() {
                    "<none>".to_owned()
                } else {
                    ports.join(",")
                },
                created,
            ]);
            w.push(format_labels(o, "/spec/selector"));
        }
        Kind::Node => {
            let conds = arr(o, "/status/conditions");
            let mut status = match conds.iter().find(|c| s(c, "/type") == "Ready") {
                Some(c) if s(c, "/status") == "True" => "Ready".to_owned(),
                Some(_) => "NotReady".to_owned(),
                None => "Unknown".to_owned(),
            };
            if o.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
                status.push_str(",SchedulingDisabled");
            }
            let mut roles: Vec<String> = Vec::new();
            for (k, v) in map(o, "/metadata/labels") {
                if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                    if !role.is_empty() {
                        roles.push(role.to_owned());
                    }
                } else if k == "kubernetes.io/role" {
                    roles.push(v.as_str().unwrap_or("").to_owned());
                }
            }
            tidepool_core::stable_sort::sort(&mut roles);
            r.extend([
                status,
                if roles.is_empty() {
                    "<none>".to_owned()
                } else {
                    roles.join(",")
                },
                created,
                s(o, "/status/nodeInfo/kubeletVersion").to_owned(),
            ]);
            let addr = |t: &str| {
                arr(o, "/status/addresses")
                    .iter()
                    .find(|a| s(a, "/type") == t)
                    .map_or("<none>".to_owned(), |a| s(a, "/address").to_owned())
            };
            let unknown = |v: &str| {
                if v.is_empty() {
                    "<unknown>".to_owned()
                } else {
                    v.to_owned()
                }
            };
            w.extend([
                addr("InternalIP"),
                addr("ExternalIP"),
                unknown(s(o, "/status/nodeInfo/osImage")),
                unknown(s(o, "/status/nodeInfo/kernelVersion")),
                unknown(s(o, "/status/nodeInfo/containerRuntimeVersion")),
            ]);
        }
        Kind::Namespace => r.extend([s(o, "/status/phase").to_owned(), created]),
        Kind::Event => return event_row(o, now, wide),
        Kind::ResourceQuota => {
            let mut req = Vec::new();
            let mut lim = Vec::new();
            for (k, hard) in map(o, "/status/hard") {
                let used = o
                    .pointer(&format!("/status/used/{}", k.replace('/', "~1")))
                    .and_then(Value::as_str)
                    .unwrap_or("0");
                let cell = format!("{k}: {used}/{}", hard.as_str().unwrap_or(""));
                if k.starts_with("limits.") {
                    lim.push(cell);
                } else {
                    req.push(cell);
                }
            }
            r.extend([created, req.join(", "), lim.join(", ")]);
        }
        Kind::ConfigMap => r.extend([
            (map(o, "/data").len() + map(o, "/binaryData").len()).to_string(),
            created,
        ]),
        Kind::Secret => r.extend([
            s(o, "/type").to_owned(),
            map(o, "/data").len().to_string(),
            created,
        ]),
        Kind::ServiceAccount => r.extend([arr(o, "/secrets").len().to_string(), created]),
        Kind::Endpoints => {
            let mut list = Vec::new();
            for subset in arr(o, "/subsets") {
                let ports = arr(subset, "/ports");
                for a in arr(subset, "/addresses") {
                    if ports.is_empty() {
                        list.push(s(a, "/ip").to_owned());
                    }
                    for p in ports {
                        list.push(format!("{}:{}", s(a, "/ip"), int(p, "/port")));
                    }
                }
            }
            let cell = if list.is_empty() {
                "<none>".to_owned()
            } else if list.len() > 3 {
                format!("{} + {} more...", list[..3].join(","), list.len() - 3)
            } else {
                list.join(",")
            };
            r.extend([cell, created]);
        }
        Kind::LimitRange => r.push(s(o, "/metadata/creationTimestamp").to_owned()),
        Kind::ControllerRevision => {
            let owner = arr(o, "/metadata/ownerReferences")
                .iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
                .map_or("<none>".to_owned(), |r| {
                    let kind = s(r, "/kind").to_ascii_lowercase();
                    let group = s(r, "/apiVersion").split_once('/').map_or("", |(g, _)| g);
                    if group.is_empty() {
                        format!("{kind}/{}", s(r, "/name"))
                    } else {
                        format!("{kind}.{group}/{}", s(r, "/name"))
                    }
                });
            r.extend([owner, opt_int(o, "/revision"), created]);
        }
        Kind::PriorityClass => {
            let global_default = o.pointer("/globalDefault").and_then(Value::as_bool);
            let policy = match s(o, "/preemptionPolicy") {
                "" => "<none>",
                p => p,
            };
            r.extend([
                opt_int(o, "/value"),
                global_default.unwrap_or(false).to_string(),
                created,
                policy.to_owned(),
            ]);
        }
        Kind::PodDisruptionBudget => {
            // IntOrString.String(): the number or the percentage text; N/A when unset.
            let cell = |ptr: &str| match o.pointer(ptr) {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(t)) => t.clone(),
                _ => "N/A".to_owned(),
            };
            r.extend([
                cell("/spec/minAvailable"),
                cell("/spec/maxUnavailable"),
                opt_int(o, "/status/disruptionsAllowed"),
                created,
            ]);
        }
        Kind::PersistentVolume => {
            let claim = match o.pointer("/spec/claimRef") {
                Some(c) => format!("{}/{}", s(c, "/namespace"), s(c, "/name")),
                None => String::new(),
            };
            r.extend([
                s(o, "/spec/capacity/storage").to_owned(),
                access_modes(o, "/spec/accessModes"),
                s(o, "/spec/persistentVolumeReclaimPolicy").to_owned(),
                phase_or_terminating(o),
                claim,
                s(o, "/spec/storageClassName").to_owned(),
                or_unset(s(o, "/spec/volumeAttributesClassName")),
                s(o, "/status/reason").to_owned(),
                created,
            ]);
            w.push(or_unset(s(o, "/spec/volumeMode")));
        }
        Kind::PersistentVolumeClaim => {
            let bound = !s(o, "/spec/volumeName").is_empty();
            let (capacity, modes) = if bound {
                (
                    s(o, "/status/capacity/storage").to_owned(),
                    access_modes(o, "/status/accessModes"),
                )
            } else {
                (String::new(), String::new())
            };
            let class =
                match o.pointer("/metadata/annotations/volume.beta.kubernetes.io~1storage-class") {
                    Some(Value::String(c)) => c.as_str(),
                    _ => s(o, "/spec/storageClassName"),
                };
            r.extend([
                phase_or_terminating(o),
                s(o, "/spec/volumeName").to_owned(),
                capacity,
                modes,
                class.to_owned(),
                or_unset(s(o, "/spec/volumeAttributesClassName")),
                created,
            ]);
            w.push(or_unset(s(o, "/spec/volumeMode")));
        }
        Kind::StorageClass => {
            let default = s(
                o,
                "/metadata/annotations/storageclass.kubernetes.io~1is-default-class",
            ) == "true"
                || s(
                    o,
                    "/metadata/annotations/storageclass.beta.kubernetes.io~1is-default-class",
                ) == "true";
            if default {
                r[0].push_str(" (default)");
            }
            let policy = match s(o, "/reclaimPolicy") {
                "" => "Delete",
                p => p,
            };
            let mode = match s(o, "/volumeBindingMode") {
                "" => "Immediate",
                m => m,
            };
            let expansion = o
                .get("allowVolumeExpansion")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            r.extend([
                s(o, "/provisioner").to_owned(),
                policy.to_owned(),
                mode.to_owned(),
                expansion.to_string(),
                created,
            ]);
        }
        Kind::HorizontalPodAutoscaler => {
            let min = match o.pointer("/spec/minReplicas").and_then(Value::as_i64) {
                Some(min) => min.to_string(),
                None => "<unset>".to_owned(),
            };
            r.extend([
                format!(
                    "{}/{}",
                    s(o, "/spec/scaleTargetRef/kind"),
                    s(o, "/spec/scaleTargetRef/name")
                ),
                hpa_targets(o),
                min,
                opt_int(o, "/spec/maxReplicas"),
                opt_int(o, "/status/currentReplicas"),
                created,
            ]);
        }
        Kind::Ingress => {
            let class = match s(o, "/spec/ingressClassName") {
                "" => "<none>",
                c => c,
            };
            r.extend([
                class.to_owned(),
                ingress_hosts(o),
                ingress_address(o, wide),
                if arr(o, "/spec/tls").is_empty() {
                    "80".to_owned()
                } else {
                    "80, 443".to_owned()
                },
                created,
            ]);
        }
        Kind::IngressClass => {
            let parameters = match o.pointer("/spec/parameters") {
                None => "<none>".to_owned(),
                Some(p) => {
                    let group = match s(p, "/apiGroup") {
                        "" => String::new(),
                        g => format!(".{g}"),
                    };
                    format!("{}{group}/{}", s(p, "/kind"), s(p, "/name"))
                }
            };
            r.extend([s(o, "/spec/controller").to_owned(), parameters, created]);
        }
        Kind::NetworkPolicy => {
            r.extend([format_selector(o, "/spec/podSelector"), created]);
        }
        Kind::Role | Kind::ClusterRole => r.push(s(o, "/metadata/creationTimestamp").to_owned()),
        Kind::RoleBinding | Kind::ClusterRoleBinding => {
            r.extend([
                format!("{}/{}", s(o, "/roleRef/kind"), s(o, "/roleRef/name")),
                created,
            ]);
            // rbac.SubjectsStrings: users, groups and "namespace/name" service accounts.
            let (mut users, mut groups, mut accounts) = (Vec::new(), Vec::new(), Vec::new());
            for subject in arr(o, "/subjects") {
                match s(subject, "/kind") {
                    "User" => users.push(s(subject, "/name").to_owned()),
                    "Group" => groups.push(s(subject, "/name").to_owned()),
                    "ServiceAccount" => accounts.push(format!(
                        "{}/{}",
                        s(subject, "/namespace"),
                        s(subject, "/name")
                    )),
                    _ => {}
                }
            }
            w.extend([users.join(", "), groups.join(", "), accounts.join(", ")]);
        }
    }
    if wide {
        r.extend(w);
    }
    r
}

/// printers.go `formatHPAMetrics`: `cpu: 12%/50%` per metric (Resource metrics; other
/// sources by their own forms), at most two then `+ N more...`.
pub fn hpa_targets(o: &Value) -> String {
    let specs = arr(o, "/spec/metrics");
    if specs.is_empty() {
        return "<none>".to_owned();
    }
    let statuses = arr(o, "/status/currentMetrics");
    let mut list: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i);
        let cell = match s(spec, "/type") {
            "Resource" | "ContainerResource" => {
                let field = if s(spec, "/type") == "Resource" {
                    "resource"
                } else {
                    "containerResource"
                };
                let name = s(spec, &format!("/{field}/name"));
                let current = status.and_then(|st| st.get(field));
                let average = s(spec, &format!("/{field}/target/averageValue"));
                if average.is_empty() {
                    let current = current
                        .and_then(|c| c.pointer("/current/averageUtilization"))
                        .and_then(Value::as_i64)
                        .map_or("<unknown>".to_owned(), |u| format!("{u}%"));
                    let target = spec
                        .pointer(&format!("/{field}/target/averageUtilization"))
                        .and_then(Value::as_i64)
                        .map_or("<auto>".to_owned(), |u| format!("{u}%"));
                    format!("{name}: {current}/{target}")
                } else {
                    let current = current.map_or("<unknown>", |c| s(c, "/current/averageValue"));
                    format!("{name}: {current}/{average}")
                }
            }
            _ => "<unknown type>".to_owned(),
        };
        list.push(cell);
    }
    let more = list.len().saturating_sub(2);
    list.truncate(2);
    let joined = list.join(", ");
    if more > 0 {
        format!("{joined} + {more} more...")
    } else {
        joined
    }
}

/// `GetAccessModesAsString` of the list at `ptr`.
fn access_modes(o: &Value, ptr: &str) -> String {
    let modes: Vec<String> = arr(o, ptr)
        .iter()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    tidepool_core::storage::access_modes_string(&modes)
}

/// `status.phase`, or `Terminating` once deletion started (the PV/PVC printers).
fn phase_or_terminating(o: &Value) -> String {
    if o.pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
    {
        "Terminating".to_owned()
    } else {
        s(o, "/status/phase").to_owned()
    }
}

fn or_unset(text: &str) -> String {
    if text.is_empty() {
        "<unset>".to_owned()
    } else {
        text.to_owned()
    }
}

/// printers.go `formatHosts`: the first three hosts, `*` when no rule names one.
fn ingress_hosts(o: &Value) -> String {
    let rules = arr(o, "/spec/rules");
    let mut list: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if list.len() == 3 {
            more = true;
        }
        if !more && !s(rule, "/host").is_empty() {
            list.push(s(rule, "/host"));
        }
    }
    if list.is_empty() {
        return "*".to_owned();
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", rules.len() - 3)
    } else {
        joined
    }
}

/// `ingressLoadBalancerStatusStringer`: IPs and hostnames; cut at 16 characters unless wide.
/// Empty here: no ingress controller writes the status.
pub(crate) fn ingress_address(o: &Value, wide: bool) -> String {
    let list: Vec<&str> = arr(o, "/status/loadBalancer/ingress")
        .iter()
        .map(|i| {
            if s(i, "/ip").is_empty() {
                s(i, "/hostname")
            } else {
                s(i, "/ip")
            }
        })
        .filter(|x| !x.is_empty())
        .collect();
    let joined = list.join(",");
    if !wide && joined.len() > 16 {
        format!("{}...", &joined[..13])
    } else {
        joined
    }
}

fn event_row(o: &Value, now: VirtualTime, wide: bool) -> Vec<String> {
    let first = if s(o, "/eventTime").is_empty() {
        s(o, "/firstTimestamp")
    } else {
        s(o, "/eventTime")
    };
    let last = if !s(o, "/series/lastObservedTime").is_empty() {
        s(o, "/series/lastObservedTime")
    } else if !s(o, "/lastTimestamp").is_empty() {
        s(o, "/lastTimestamp")
    } else {
        first
    };
    let object = format!(
        "{}/{}",
        s(o, "/involvedObject/kind").to_ascii_lowercase(),
        s(o, "/involvedObject/name")
    );
    let mut r = vec![
        age(last, now),
        s(o, "/type").to_owned(),
        s(o, "/reason").to_owned(),
        object,
    ];
    if wide {
        let mut source = s(o, "/source/component").to_owned();
        if !s(o, "/source/host").is_empty() {
            source.push_str(&format!(", {}", s(o, "/source/host")));
        }
        r.push(s(o, "/involvedObject/fieldPath").to_owned());
        r.push(source);
    }
    r.push(s(o, "/message").trim().to_owned());
    if wide {
        let count = int(o, "/count").max(1);
        r.extend([
            age(first, now),
            count.to_string(),
            s(o, "/metadata/name").to_owned(),
        ]);
    }
    r
}

/// `printPod`'s READY, STATUS and RESTARTS cells.
pub fn pod_status(o: &Value, now: VirtualTime) -> (String, String, String) {
    let containers = arr(o, "/spec/containers");
    let init_specs = arr(o, "/spec/initContainers");
    let sidecars: Vec<&str> = init_specs
        .iter()
        .filter(|c| s(c, "/restartPolicy") == "Always")
        .map(|c| s(c, "/name"))
        .collect();
    let total = containers.len() + sidecars.len();
    let mut ready = 0;
    let mut restarts = 0;
    let mut last_restart: Option<i64> = None;
    let mut reason = if s(o, "/status/reason").is_empty() {
        s(o, "/status/phase").to_owned()
    } else {
        s(o, "/status/reason").to_owned()
    };
    let conds = arr(o, "/status/conditions");
    if conds
        .iter()
        .any(|c| s(c, "/type") == "PodScheduled" && s(c, "/reason") == "SchedulingGated")
    {
        reason = "SchedulingGated".to_owned();
    }
    let track = |c: &Value, last: &mut Option<i64>| {
        if let Some(t) = super::json::millis(s(c, "/lastState/terminated/finishedAt")) {
            *last = Some(last.map_or(t, |l: i64| l.max(t)));
        }
    };
    let mut initializing = false;
    for (i, c) in arr(o, "/status/initContainerStatuses").iter().enumerate() {
        restarts += int(c, "/restartCount");
        track(c, &mut last_restart);
        let is_sidecar = sidecars.contains(&s(c, "/name"));
        let terminated = c.pointer("/state/terminated");
        if terminated.is_some() && int(c, "/state/terminated/exitCode") == 0 {
            continue;
        }
        if is_sidecar && c.get("started").and_then(Value::as_bool) == Some(true) {
            if c.get("ready").and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if terminated.is_some() {
            let r = s(c, "/state/terminated/reason");
            reason = if !r.is_empty() {
                format!("Init:{r}")
            } else if int(c, "/state/terminated/signal") != 0 {
                format!("Init:Signal:{}", int(c, "/state/terminated/signal"))
            } else {
                format!("Init:ExitCode:{}", int(c, "/state/terminated/exitCode"))
            };
        } else if !s(c, "/state/waiting/reason").is_empty()
            && s(c, "/state/waiting/reason") != "PodInitializing"
        {
            reason = format!("Init:{}", s(c, "/state/waiting/reason"));
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }
    let initialized = conds
        .iter()
        .any(|c| s(c, "/type") == "Initialized" && s(c, "/status") == "True");
    if !initializing || initialized {
        restarts = 0;
        for c in arr(o, "/status/initContainerStatuses") {
            if sidecars.contains(&s(c, "/name")) {
                restarts += int(c, "/restartCount");
            }
        }
        let mut has_running = false;
        for c in arr(o, "/status/containerStatuses").iter().rev() {
            restarts += int(c, "/restartCount");
            track(c, &mut last_restart);
            let waiting = s(c, "/state/waiting/reason");
            let term_reason = s(c, "/state/terminated/reason");
            if !waiting.is_empty() {
                reason = waiting.to_owned();
            } else if !term_reason.is_empty() {
                reason = term_reason.to_owned();
            } else if c.pointer("/state/terminated").is_some() {
                reason = if int(c, "/state/terminated/signal") != 0 {
                    format!("Signal:{}", int(c, "/state/terminated/signal"))
                } else {
                    format!("ExitCode:{}", int(c, "/state/terminated/exitCode"))
                };
            } else if c.get("ready").and_then(Value::as_bool) == Some(true)
                && c.pointer("/state/running").is_some()
            {
                has_running = true;
                ready += 1;
            } else if c.pointer("/state/running").is_some() {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = conds
                .iter()
                .any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.to_owned();
        }
    }
    if !s(o, "/metadata/deletionTimestamp").is_empty() {
        if s(o, "/status/reason") == "NodeLost" {
            reason = "Unknown".to_owned();
        } else if !matches!(s(o, "/status/phase"), "Succeeded" | "Failed") {
            reason = "Terminating".to_owned();
        }
    }
    let restarts_cell = match last_restart {
        Some(t) if restarts > 0 => format!(
            "{restarts} ({} ago)",
            crate::duration::human_millis(now.as_millis() as i64 - t)
        ),
        _ => restarts.to_string(),
    };
    (format!("{ready}/{total}"), reason, restarts_cell)
}

/// The READY and STATUS cells of a typed pod: what [`pod_status`] computes from JSON, without
/// serialising the pod (the playground's graph needs them for every pod that changed).
pub fn pod_ready_and_status(
    pod: &k8s_openapi::api::core::v1::Pod,
    now: VirtualTime,
) -> (String, String) {
    let mut cells = pod_row(pod, now, false).into_iter().skip(1);
    let ready = cells.next().unwrap_or_default();
    let status = cells.next().unwrap_or_default();
    (ready, status)
}

/// The metadata a pod table still reads once its row is computed (label columns).
fn pod_table_meta(pod: &k8s_openapi::api::core::v1::Pod) -> Value {
    let meta = &pod.metadata;
    json!({ "metadata": { "name": meta.name, "namespace": meta.namespace, "labels": meta.labels } })
}

/// Virtual milliseconds of an API timestamp, at the whole-second precision it has in JSON.
fn time_millis(t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time) -> i64 {
    (t.0.timestamp() - tidepool_core::api::EPOCH_UNIX_SECONDS) * 1000
}

/// A pod's table row from the typed object: the same cells as `row` + `pod_status` compute
/// from JSON (a test checks they agree), without serialising the pod.
fn pod_row(pod: &k8s_openapi::api::core::v1::Pod, now: VirtualTime, wide: bool) -> Vec<String> {
    let mut grid = Grid::default();
    pod_row_into(pod, now, wide, &mut grid);
    grid.end_line();
    grid.line(0).map(str::to_owned).collect()
}

/// [`pod_row`]'s cells appended to `grid`'s current line.
fn pod_row_into(
    pod: &k8s_openapi::api::core::v1::Pod,
    now: VirtualTime,
    wide: bool,
    grid: &mut Grid,
) {
    use k8s_openapi::api::core::v1::ContainerStatus;
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let created = match &meta.creation_timestamp {
        Some(t) => crate::duration::human_millis(now.as_millis() as i64 - time_millis(t)),
        None => "<unknown>".to_owned(),
    };
    let no_containers = Vec::new();
    let containers = spec.map_or(&no_containers, |s| &s.containers);
    let init_specs = spec
        .and_then(|s| s.init_containers.as_ref())
        .unwrap_or(&no_containers);
    let sidecars: Vec<&str> = init_specs
        .iter()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"))
        .map(|c| c.name.as_str())
        .collect();
    let total = containers.len() + sidecars.len();
    let mut ready = 0;
    let mut restarts: i64 = 0;
    let mut last_restart: Option<i64> = None;
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("");
    let status_reason = status.and_then(|s| s.reason.as_deref()).unwrap_or("");
    let mut reason = if status_reason.is_empty() {
        phase.to_owned()
    } else {
        status_reason.to_owned()
    };
    let no_conds = Vec::new();
    let conds = status
        .and_then(|s| s.conditions.as_ref())
        .unwrap_or(&no_conds);
    if conds
        .iter()
        .any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated"))
    {
        reason = "SchedulingGated".to_owned();
    }
    let track = |c: &ContainerStatus, last: &mut Option<i64>| {
        if let Some(t) = c
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.finished_at.as_ref())
        {
            let t = time_millis(t);
            *last = Some(last.map_or(t, |l: i64| l.max(t)));
        }
    };
    let no_statuses = Vec::new();
    let init_statuses = status
        .and_then(|s| s.init_container_statuses.as_ref())
        .unwrap_or(&no_statuses);
    let mut initializing = false;
    for (i, c) in init_statuses.iter().enumerate() {
        restarts += i64::from(c.restart_count);
        track(c, &mut last_restart);
        let is_sidecar = sidecars.contains(&c.name.as_str());
        let terminated = c.state.as_ref().and_then(|s| s.terminated.as_ref());
        if terminated.is_some_and(|t| t.exit_code == 0) {
            continue;
        }
        if is_sidecar && c.started == Some(true) {
            if c.ready {
                ready += 1;
            }
            continue;
        }
        let waiting = c
            .state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.as_deref())
            .unwrap_or("");
        if let Some(t) = terminated {
            let r = t.reason.as_deref().unwrap_or("");
            reason = if !r.is_empty() {
                format!("Init:{r}")
            } else if t.signal.unwrap_or(0) != 0 {
                format!("Init:Signal:{}", t.signal.unwrap_or(0))
            } else {
                format!("Init:ExitCode:{}", t.exit_code)
            };
        } else if !waiting.is_empty() && waiting != "PodInitializing" {
            reason = format!("Init:{waiting}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }
    let initialized = conds
        .iter()
        .any(|c| c.type_ == "Initialized" && c.status == "True");
    if !initializing || initialized {
        restarts = init_statuses
            .iter()
            .filter(|c| sidecars.contains(&c.name.as_str()))
            .map(|c| i64::from(c.restart_count))
            .sum();
        let mut has_running = false;
        let statuses = status
            .and_then(|s| s.container_statuses.as_ref())
            .unwrap_or(&no_statuses);
        for c in statuses.iter().rev() {
            restarts += i64::from(c.restart_count);
            track(c, &mut last_restart);
            let state = c.state.as_ref();
            let waiting = state
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.as_deref())
                .unwrap_or("");
            let terminated = state.and_then(|s| s.terminated.as_ref());
            let term_reason = terminated.and_then(|t| t.reason.as_deref()).unwrap_or("");
            let running = state.is_some_and(|s| s.running.is_some());
            if !waiting.is_empty() {
                reason = waiting.to_owned();
            } else if !term_reason.is_empty() {
                reason = term_reason.to_owned();
            } else if let Some(t) = terminated {
                reason = if t.signal.unwrap_or(0) != 0 {
                    format!("Signal:{}", t.signal.unwrap_or(0))
                } else {
                    format!("ExitCode:{}", t.exit_code)
                };
            } else if c.ready && running {
                has_running = true;
                ready += 1;
            } else if running {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = conds
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.to_owned();
        }
    }
    if meta.deletion_timestamp.is_some() {
        if status_reason == "NodeLost" {
            reason = "Unknown".to_owned();
        } else if !matches!(phase, "Succeeded" | "Failed") {
            reason = "Terminating".to_owned();
        }
    }
    grid.cell(meta.name.as_deref().unwrap_or_default());
    grid.cell_fmt(format_args!("{ready}/{total}"));
    grid.cell(&reason);
    match last_restart {
        Some(t) if restarts > 0 => grid.cell_fmt(format_args!(
            "{restarts} ({} ago)",
            crate::duration::human_millis(now.as_millis() as i64 - t)
        )),
        _ => grid.cell_fmt(format_args!("{restarts}")),
    }
    grid.cell(&created);
    if wide {
        fn or_none(v: Option<&String>) -> &str {
            match v {
                Some(v) if !v.is_empty() => v.as_str(),
                _ => "<none>",
            }
        }
        grid.cell(or_none(status.and_then(|s| s.pod_ip.as_ref())));
        grid.cell(or_none(spec.and_then(|s| s.node_name.as_ref())));
        grid.cell(or_none(status.and_then(|s| s.nominated_node_name.as_ref())));
        let gates = spec.and_then(|s| s.readiness_gates.as_ref());
        match gates {
            Some(g) if !g.is_empty() => {
                let ok = g
                    .iter()
                    .filter(|g| {
                        conds
                            .iter()
                            .any(|c| c.type_ == g.condition_type && c.status == "True")
                    })
                    .count();
                grid.cell_fmt(format_args!("{ok}/{}", g.len()));
            }
            _ => grid.cell("<none>"),
        }
    }
}

/// The object as kubectl shows it in `-o yaml|json` (no managedFields).
pub fn printable(o: &Object) -> Value {
    let mut v = o.to_json();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    v
}

fn list_value(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
}

/// `kind[.group]/name` (the name printer).
pub fn kind_name(kind: Kind, name: &str) -> String {
    format!("{}/{name}", kind.qualified_singular())
}

/// One requested type with the objects found for it.
struct Group {
    kind: Kind,
    objects: Vec<Value>,
    /// Table rows computed from the typed objects (pods), one line per object; `None`
    /// otherwise. Then `objects` hold only the metadata the table still reads.
    rows: Option<Grid>,
}

fn sort_key(v: &Value, path: &str) -> (f64, String) {
    let path = path.trim_start_matches('{').trim_end_matches('}');
    let found = super::json::jsonpath(&format!("{{{path}}}"), v).unwrap_or_default();
    let num = found.parse::<f64>().ok();
    match num {
        Some(n) => (n, String::new()),
        None => (0.0, found),
    }
}

/// A type `get` cannot list: one the apiserver serves that the playground does not simulate,
/// or one no apiserver serves.
fn unknown_type(ty: &str) -> String {
    match super::resources::resolve_discovered(ty) {
        Some(r) => format!(
            "error: {} ({} {}) exist in Kubernetes v1.32 but are not simulated in this playground\n",
            r.name,
            r.api_version(),
            r.kind
        ),
        None => format!("error: the server doesn't have a resource type \"{ty}\"\n"),
    }
}

pub fn get(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, SPECS, "get")?;
    let output = flags.get("output").unwrap_or("").to_owned();
    let all_ns = flags.bool("all-namespaces");
    let ns = namespace(session, &flags);
    let selector = match flags.get("selector") {
        Some(sel) => Some(super::json::parse_selector(sel)?),
        None => None,
    };
    let now = session.sim.now();
    let api = session.sim.api();

    // Which types and names.
    let mut groups: Vec<Group> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let mut multiple_kinds = false;
    let named;
    if flags.has("filename") {
        return Err(
            "error: kubectl get -f is not supported here yet; name the type instead\n".to_owned(),
        );
    }
    let Some(first) = flags.args.first() else {
        return Err("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples\n".to_owned());
    };
    // A listed type the playground does not simulate but that an empty kubeadm cluster serves
    // and holds none of: answer as that cluster does.
    if flags.args.len() == 1
        && !first.contains(['/', ','])
        && resolve_type(first).is_none()
        && !flags.bool("watch")
        && matches!(output.as_str(), "" | "wide" | "name" | "yaml" | "json")
        && let Some(r) = super::resources::resolve_empty_unsimulated(first)
    {
        // As for simulated types, only the human-readable printers report the empty list.
        match output.as_str() {
            "name" => return Ok(Res::ok()),
            "yaml" => return Ok(Res::out(crate::yaml::to_yaml(&list_value(Vec::new())))),
            "json" => return Ok(Res::out(crate::yaml::to_json(&list_value(Vec::new())))),
            _ => {}
        }
        let text = if r.namespaced && !all_ns {
            format!("No resources found in {ns} namespace.\n")
        } else {
            "No resources found\n".to_owned()
        };
        return Ok(Res::err(text, 0));
    }
    let mut targets: Vec<(ResourceType, Option<String>)> = Vec::new();
    if first.contains('/') {
        for a in &flags.args {
            let Some((ty, name)) = a.split_once('/') else {
                return Err("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'\n".to_owned());
            };
            let t = resolve_type(ty).ok_or_else(|| unknown_type(ty))?;
            targets.push((t, Some(name.to_owned())));
        }
        named = true;
        multiple_kinds = {
            let mut kinds: Vec<Kind> = targets.iter().map(|(t, _)| t.kind).collect();
            kinds.dedup();
            kinds.len() > 1
        };
    } else {
        let mut types = Vec::new();
        for ty in first.split(',') {
            if ty == "all" {
                types.extend(ALL.iter().map(|k| super::resources::type_for_kind(*k)));
                multiple_kinds = true;
            } else {
                types.push(resolve_type(ty).ok_or_else(|| unknown_type(ty))?);
            }
        }
        if types.len() > 1 {
            multiple_kinds = true;
        }
        let names = &flags.args[1..];
        named = !names.is_empty();
        for t in types {
            if names.is_empty() {
                targets.push((t, None));
            } else {
                for n in names {
                    targets.push((t, Some(n.clone())));
                }
            }
        }
    }
    // Plain tables of one listed type need a few fields per pod, not the whole object as JSON:
    // rows come straight from the typed pods (10,000 pods in well under 30 ms).
    let typed_rows = matches!(output.as_str(), "" | "wide")
        && !flags.has("sort-by")
        && !flags.has("field-selector")
        && targets.len() == 1;
    let wants_labels = flags.bool("show-labels") || flags.has("label-columns");
    let watched_names: Vec<String> = targets.iter().filter_map(|(_, n)| n.clone()).collect();
    for (t, name) in targets {
        let kind = t.kind;
        let scope = if kind.namespaced() && !all_ns {
            Some(ns.as_str())
        } else {
            None
        };
        let check_ns = match (&name, kind.namespaced()) {
            (_, false) => "",
            (None, true) if all_ns => "",
            _ => ns.as_str(),
        };
        let verb = if name.is_some() { "get" } else { "list" };
        if let Err(e) = api.authorize(verb, kind, check_ns, name.as_deref().unwrap_or("")) {
            errors.push(format!(
                "Error from server ({:?}): {}\n",
                e.reason, e.message
            ));
            continue;
        }
        let mut rows: Option<Grid> = None;
        let objects: Vec<Value> = match name {
            Some(n) => match api.get_ref(kind, if kind.namespaced() { &ns } else { "" }, &n) {
                Ok(o) => vec![printable(o)],
                Err(e) => {
                    errors.push(format!(
                        "Error from server ({:?}): {}\n",
                        e.reason, e.message
                    ));
                    Vec::new()
                }
            },
            None => {
                let listed = api.store().list(kind, scope).filter(|o| {
                    selector.as_ref().is_none_or(|sel| {
                        super::json::selector_matches(
                            sel,
                            &json!({ "metadata": { "labels": o.meta().labels } }),
                        )
                    })
                });
                let mut v: Vec<Value> = Vec::new();
                for o in listed {
                    match o.as_pod() {
                        Some(pod) if typed_rows && kind == Kind::Pod => {
                            let grid = rows.get_or_insert_with(Grid::default);
                            if all_ns {
                                grid.cell(pod.metadata.namespace.as_deref().unwrap_or_default());
                            }
                            pod_row_into(pod, now, output == "wide", grid);
                            grid.end_line();
                            v.push(if wants_labels {
                                pod_table_meta(pod)
                            } else {
                                Value::Null
                            });
                        }
                        _ => v.push(printable(o)),
                    }
                }
                if let Some(fs) = flags.get("field-selector") {
                    v.retain(|o| field_matches(fs, o));
                }
                v
            }
        };
        match groups.last_mut() {
            Some(g) if g.kind == kind && rows.is_none() && g.rows.is_none() => {
                g.objects.extend(objects);
            }
            _ => groups.push(Group {
                kind,
                objects,
                rows,
            }),
        }
    }
    if let Some(sort) = flags.get("sort-by") {
        for g in &mut groups {
            tidepool_core::stable_sort::sort_by(&mut g.objects, |a, b| {
                let (an, as_) = sort_key(a, sort);
                let (bn, bs) = sort_key(b, sort);
                an.total_cmp(&bn).then(as_.cmp(&bs))
            });
        }
    }
    let mut res = Res::ok();
    let total: usize = groups.iter().map(|g| g.objects.len()).sum();
    let single_object = named && total == 1 && !multiple_kinds && groups.len() == 1;
    let any_namespaced = groups.iter().any(|g| g.kind.namespaced());
    let groups_kinds: Vec<Kind> = groups.iter().map(|g| g.kind).collect();
    match output.as_str() {
        "" | "wide" => {
            let wide = output == "wide";
            let mut out = String::new();
            let mut printed_groups = 0;
            for g in &mut groups {
                if g.objects.is_empty() {
                    continue;
                }
                // Typed rows already carry the NAMESPACE cell; their objects are placeholders
                // (or just metadata when label columns are asked for).
                let typed = g.rows.is_some();
                let label_columns = !flags.all("label-columns").is_empty();
                if let Some(grid) = g
                    .rows
                    .as_mut()
                    .filter(|_| !multiple_kinds && !label_columns && !flags.bool("show-labels"))
                {
                    // The common case, `get pods [-A] [-o wide]`: the typed rows as they are.
                    let mut header = table(g.kind, &[], now, wide).0;
                    if all_ns {
                        header.insert(0, "NAMESPACE".to_owned());
                    }
                    if !flags.bool("no-headers") {
                        grid.prepend_line(&header);
                    }
                    if printed_groups > 0 {
                        out.push('\n');
                    }
                    printed_groups += 1;
                    out.push_str(&tabwriter::table_grid(grid));
                    continue;
                }
                let (mut header, mut rows) = match &g.rows {
                    None => table(g.kind, &g.objects, now, wide),
                    Some(grid) => (table(g.kind, &[], now, wide).0, grid.to_rows()),
                };
                if multiple_kinds {
                    for (r, o) in rows.iter_mut().zip(&g.objects) {
                        r[0] = kind_name(g.kind, s(o, "/metadata/name"));
                    }
                }
                if all_ns && g.kind.namespaced() {
                    header.insert(0, "NAMESPACE".to_owned());
                    if !typed {
                        for (r, o) in rows.iter_mut().zip(&g.objects) {
                            r.insert(0, s(o, "/metadata/namespace").to_owned());
                        }
                    }
                }
                for key in flags
                    .all("label-columns")
                    .iter()
                    .flat_map(|k| k.split(',').map(str::to_owned).collect::<Vec<_>>())
                {
                    header.push(key.rsplit('/').next().unwrap_or(&key).to_uppercase());
                    for (r, o) in rows.iter_mut().zip(&g.objects) {
                        let ptr = format!(
                            "/metadata/labels/{}",
                            key.replace('~', "~0").replace('/', "~1")
                        );
                        r.push(s(o, &ptr).to_owned());
                    }
                }
                if flags.bool("show-labels") {
                    header.push("LABELS".to_owned());
                    for (r, o) in rows.iter_mut().zip(&g.objects) {
                        r.push(format_labels(o, "/metadata/labels"));
                    }
                }
                if printed_groups > 0 {
                    out.push('\n');
                }
                printed_groups += 1;
                let mut all_rows = Vec::new();
                if !flags.bool("no-headers") {
                    all_rows.push(header);
                }
                all_rows.extend(rows);
                out.push_str(&tabwriter::table(&all_rows));
            }
            res.push_out(out);
        }
        "name" => {
            let mut out = String::new();
            for g in &groups {
                for o in &g.objects {
                    out.push_str(&kind_name(g.kind, s(o, "/metadata/name")));
                    out.push('\n');
                }
            }
            res.push_out(out);
        }
        "yaml" | "json" => {
            let items: Vec<Value> = groups.into_iter().flat_map(|g| g.objects).collect();
            if !(items.is_empty() && named) {
                let value = if single_object {
                    items.into_iter().next().unwrap_or(Value::Null)
                } else {
                    list_value(items)
                };
                res.push_out(if output == "yaml" {
                    crate::yaml::to_yaml(&value)
                } else {
                    crate::yaml::to_json(&value)
                });
            }
        }
        o if o.starts_with("jsonpath=") || o.starts_with("jsonpath-as-json=") => {
            let template = o.split_once('=').map_or("", |(_, t)| t);
            let items: Vec<Value> = groups.into_iter().flat_map(|g| g.objects).collect();
            let value = if single_object {
                items.into_iter().next().unwrap_or(Value::Null)
            } else {
                list_value(items)
            };
            res.push_out(super::json::jsonpath(template, &value)?);
        }
        o if o.starts_with("custom-columns=") => {
            let spec = &o["custom-columns=".len()..];
            let mut cols = Vec::new();
            for c in spec.split(',') {
                let Some((h, p)) = c.split_once(':') else {
                    return Err(
                        "error: custom-columns format specified but no custom columns given\n"
                            .to_owned(),
                    );
                };
                cols.push((h.to_owned(), p.to_owned()));
            }
            let mut rows = Vec::new();
            if !flags.bool("no-headers") {
                rows.push(cols.iter().map(|(h, _)| h.clone()).collect());
            }
            for g in &groups {
                for o in &g.objects {
                    let mut r = Vec::new();
                    for (_, p) in &cols {
                        let p = p.trim_start_matches('{').trim_end_matches('}');
                        let p = if p.starts_with('.') {
                            p.to_owned()
                        } else {
                            format!(".{p}")
                        };
                        let v = super::json::jsonpath(&format!("{{{p}}}"), o)?;
                        let v = v.replace(' ', ",");
                        r.push(if v.is_empty() { "<none>".to_owned() } else { v });
                    }
                    rows.push(r);
                }
            }
            res.push_out(tabwriter::table(&rows));
        }
        other => {
            return Err(format!(
                "error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml\n"
            ));
        }
    }
    // A name that does not exist, or a refused list, ends `get -w` before it watches.
    if flags.bool("watch") && errors.is_empty() {
        return watch_start(
            session,
            &WatchRequest {
                kinds: &groups_kinds,
                output: &output,
                all_ns,
                ns: &ns,
                show_labels: flags.bool("show-labels"),
                names: watched_names,
            },
            selector,
            res,
        );
    }
    for e in &errors {
        res.push_err(e.clone());
    }
    if !errors.is_empty() {
        res.code = 1;
    } else if total == 0 && !named && matches!(output.as_str(), "" | "wide") {
        if any_namespaced && !all_ns {
            res.push_err(format!("No resources found in {ns} namespace.\n"));
        } else {
            res.push_err("No resources found\n");
        }
    }
    Ok(res)
}

fn field_matches(selector: &str, o: &Value) -> bool {
    selector.split(',').all(|req| {
        let (path, want, negate) = if let Some((p, v)) = req.split_once("!=") {
            (p, v, true)
        } else if let Some((p, v)) = req.split_once("==") {
            (p, v, false)
        } else if let Some((p, v)) = req.split_once('=') {
            (p, v, false)
        } else {
            return true;
        };
        let ptr = format!("/{}", path.trim().replace('.', "/"));
        let got = o.pointer(&ptr).and_then(Value::as_str).unwrap_or("");
        (got == want.trim()) != negate
    })
}

/// A running `kubectl get -w`: what it prints and the column widths it remembers (kubectl's
/// tabwriter uses `RememberWidths`, so later rows line up under the first table).
#[derive(Debug, Clone)]
pub struct Follow {
    kind: Kind,
    namespace: Option<String>,
    /// `kubectl get pod web -w`: only this object's changes (a `metadata.name` field selector).
    name: Option<String>,
    selector: Option<Vec<super::json::Req>>,
    wide: bool,
    show_labels: bool,
    widths: Vec<usize>,
    header_printed: bool,
    revision: u64,
}

struct WatchRequest<'a> {
    kinds: &'a [Kind],
    output: &'a str,
    all_ns: bool,
    ns: &'a str,
    show_labels: bool,
    /// The names asked for (`get pod web -w`); empty for a whole type.
    names: Vec<String>,
}

fn watch_start(
    session: &mut Session,
    req: &WatchRequest<'_>,
    selector: Option<Vec<super::json::Req>>,
    mut res: Res,
) -> KResult {
    let [kind] = req.kinds else {
        return Err("error: you may only specify a single resource type\n".to_owned());
    };
    if !matches!(req.output, "" | "wide") {
        return Err(
            "error: watching (-w) is available for tables here (-o wide at most)\n".to_owned(),
        );
    }
    // One source per name in kubectl's builder, and `Result.Watch` takes only one; the
    // objects were printed first.
    if req.names.len() > 1 {
        res.push_err("error: you may only watch a single resource or type of resource at a time\n");
        res.code = 1;
        return Ok(res);
    }
    let name = req.names.first().cloned();
    let mut widths: Vec<usize> = Vec::new();
    let wide = req.output == "wide";
    let now = session.sim.now();
    let api = session.sim.api();
    let scope = if kind.namespaced() && !req.all_ns {
        Some(req.ns)
    } else {
        None
    };
    let objects: Vec<Value> = api
        .store()
        .list(*kind, scope)
        .filter(|o| name.as_deref().is_none_or(|n| o.name() == n))
        .filter(|o| {
            selector
                .as_ref()
                .is_none_or(|sel| super::json::selector_matches(sel, &o.to_json()))
        })
        .map(printable)
        .collect();
    let follow_ns = scope.map(str::to_owned);
    let (header, rows) = table(*kind, &objects, now, wide);
    let mut all = vec![decorate(
        header,
        None,
        req.all_ns && kind.namespaced(),
        req.show_labels,
        true,
    )];
    for (r, o) in rows.into_iter().zip(&objects) {
        all.push(decorate(
            r,
            Some(o),
            req.all_ns && kind.namespaced(),
            req.show_labels,
            false,
        ));
    }
    for row in &all {
        remember(&mut widths, row);
    }
    res.chunks.retain(|(s, _)| *s != crate::Stream::Stderr);
    // After the list, kubectl watches: a separate verb RBAC may refuse.
    if let Err(refused) = super::check(session, "watch", *kind, scope.unwrap_or(""), "") {
        res.push_err(refused);
        res.code = 1;
        return Ok(res);
    }
    res.effects.push(crate::Effect::Follow);
    session.follow = Some(Follow {
        kind: *kind,
        namespace: follow_ns,
        name,
        selector,
        wide,
        show_labels: req.show_labels,
        widths,
        header_printed: !objects.is_empty(),
        revision: session.sim.api().store().revision(),
    });
    Ok(res)
}

fn decorate(
    mut row: Vec<String>,
    o: Option<&Value>,
    namespace: bool,
    labels: bool,
    header: bool,
) -> Vec<String> {
    if namespace {
        row.insert(
            0,
            if header {
                "NAMESPACE".to_owned()
            } else {
                o.map_or("", |o| s(o, "/metadata/namespace")).to_owned()
            },
        );
    }
    if labels {
        row.push(if header {
            "LABELS".to_owned()
        } else {
            o.map_or("<none>".to_owned(), |o| {
                format_labels(o, "/metadata/labels")
            })
        });
    }
    row
}

fn remember(widths: &mut Vec<usize>, row: &[String]) {
    for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
        let w = (cell.chars().count() + 3).max(6);
        if widths.len() <= i {
            widths.push(w);
        } else if widths[i] < w {
            widths[i] = w;
        }
    }
}

fn format_row(widths: &mut Vec<usize>, row: &[String]) -> String {
    remember(widths, row);
    let mut out = String::new();
    for (i, cell) in row.iter().enumerate() {
        out.push_str(cell);
        if i + 1 < row.len() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            out.extend(std::iter::repeat_n(' ', pad));
        }
    }
    out.push('\n');
    out
}

/// New rows for a running `get -w`, one per change since the last poll.
pub fn poll(session: &mut Session) -> Option<Res> {
    let mut follow = session.follow.take()?;
    let now = session.sim.now();
    let api = session.sim.api();
    let events = match api.watch(follow.revision) {
        Ok(events) => events,
        Err(e) => {
            return Some(Res::err(super::api_error(&e, None), 1));
        }
    };
    let mut out = String::new();
    for event in events {
        let o = &*event.object;
        if o.kind() != follow.kind {
            continue;
        }
        if let Some(ns) = &follow.namespace
            && o.namespace() != ns
        {
            continue;
        }
        if let Some(name) = &follow.name
            && o.name() != name
        {
            continue;
        }
        let v = printable(o);
        if let Some(sel) = &follow.selector
            && !super::json::selector_matches(sel, &v)
        {
            continue;
        }
        let all_ns = follow.namespace.is_none() && follow.kind.namespaced();
        if !follow.header_printed {
            let (header, _) = table(follow.kind, &[], now, follow.wide);
            let header = decorate(header, None, all_ns, follow.show_labels, true);
            out.push_str(&format_row(&mut follow.widths, &header));
            follow.header_printed = true;
        }
        let (_, rows) = table(follow.kind, std::slice::from_ref(&v), now, follow.wide);
        if let Some(row) = rows.into_iter().next() {
            let row = decorate(row, Some(&v), all_ns, follow.show_labels, false);
            out.push_str(&format_row(&mut follow.widths, &row));
        }
    }
    follow.revision = api.store().revision();
    session.follow = Some(follow);
    Some(Res::out(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionConfig;

    /// The typed pod row must print exactly what the JSON row prints, in every pod state the
    /// simulation reaches here (creating, running, init containers, failing, terminating).
    #[test]
    fn typed_pod_rows_match_json_rows() {
        let mut session = Session::new(&SessionConfig::default());
        session.run_script(
            "kubectl create deployment web --image=nginx --replicas=3\n\
             kubectl run once --image=busybox --restart=Never -- false\n\
             kubectl run crash --image=busybox -- false\n\
             kubectl run bad --image=nginx:doesnotexist\n\
             sleep 1",
        );
        let mut checked = 0;
        for step in 0..6 {
            let now = session.sim.now();
            for o in session.sim.api().store().list(Kind::Pod, None) {
                let Some(pod) = o.as_pod() else { continue };
                let (ready, status, _) = pod_status(&o.to_json(), now);
                assert_eq!(
                    pod_ready_and_status(pod, now),
                    (ready, status),
                    "{}",
                    o.name()
                );
                for wide in [false, true] {
                    assert_eq!(
                        pod_row(pod, now, wide),
                        row(Kind::Pod, &printable(o), now, wide),
                        "{} at step {step}",
                        o.name()
                    );
                    checked += 1;
                }
            }
            if step == 2 {
                session.run_script("kubectl delete pod once --wait=false");
            }
            session.sim.advance(std::time::Duration::from_secs(7));
        }
        assert!(checked > 50, "{checked}");
    }
}
