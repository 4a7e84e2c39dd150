//! Resource type names as kubectl resolves them (plural, singular, short names, `kind.group`).

use tidepool_core::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    pub kind: Kind,
    /// plural, singular, then short names.
    pub names: &'static [&'static str],
    pub short: &'static [&'static str],
}

const fn t(
    kind: Kind,
    names: &'static [&'static str],
    short: &'static [&'static str],
) -> ResourceType {
    ResourceType { kind, names, short }
}

/// Served types in `kubectl api-resources` order (core group first, then by group, by name).
pub const TYPES: &[ResourceType] = &[
    t(Kind::ConfigMap, &["configmaps", "configmap"], &["cm"]),
    t(Kind::Endpoints, &["endpoints"], &["ep"]),
    t(Kind::Event, &["events", "event"], &["ev"]),
    t(
        Kind::LimitRange,
        &["limitranges", "limitrange"],
        &["limits"],
    ),
    t(Kind::Namespace, &["namespaces", "namespace"], &["ns"]),
    t(Kind::Node, &["nodes", "node"], &["no"]),
    t(Kind::Pod, &["pods", "pod"], &["po"]),
    t(
        Kind::ReplicationController,
        &["replicationcontrollers", "replicationcontroller"],
        &["rc"],
    ),
    t(
        Kind::ResourceQuota,
        &["resourcequotas", "resourcequota"],
        &["quota"],
    ),
    t(Kind::Secret, &["secrets", "secret"], &[]),
    t(
        Kind::ServiceAccount,
        &["serviceaccounts", "serviceaccount"],
        &["sa"],
    ),
    t(Kind::Service, &["services", "service"], &["svc"]),
    t(
        Kind::ControllerRevision,
        &["controllerrevisions", "controllerrevision"],
        &[],
    ),
    t(Kind::DaemonSet, &["daemonsets", "daemonset"], &["ds"]),
    t(
        Kind::Deployment,
        &["deployments", "deployment"],
        &["deploy"],
    ),
    t(Kind::ReplicaSet, &["replicasets", "replicaset"], &["rs"]),
    t(
        Kind::StatefulSet,
        &["statefulsets", "statefulset"],
        &["sts"],
    ),
    t(Kind::CronJob, &["cronjobs", "cronjob"], &["cj"]),
    t(Kind::Job, &["jobs", "job"], &[]),
];

/// The kinds `kubectl get all` lists, in discovery order.
pub const ALL: &[Kind] = &[
    Kind::Pod,
    Kind::ReplicationController,
    Kind::Service,
    Kind::DaemonSet,
    Kind::Deployment,
    Kind::ReplicaSet,
    Kind::StatefulSet,
    Kind::CronJob,
    Kind::Job,
];

/// Resolves `po`, `pods`, `Pod`, `deployments.apps`, `deployment.v1.apps`, ...
pub fn resolve_type(name: &str) -> Option<ResourceType> {
    let lower = name.to_ascii_lowercase();
    let (base, group) = match lower.split_once('.') {
        Some((b, g)) => (b.to_owned(), Some(g.to_owned())),
        None => (lower.clone(), None),
    };
    TYPES.iter().copied().find(|t| {
        let name_ok = t.names.contains(&base.as_str()) || t.short.contains(&base.as_str());
        let group_ok = match &group {
            None => true,
            Some(g) => {
                let kg = t.kind.group();
                let version = t.kind.api_version().rsplit('/').next().unwrap_or("v1");
                g == kg || *g == format!("{version}.{kg}") || (kg.is_empty() && g == version)
            }
        };
        name_ok && group_ok
    })
}

pub fn type_for_kind(kind: Kind) -> ResourceType {
    TYPES
        .iter()
        .copied()
        .find(|t| t.kind == kind)
        .unwrap_or(ResourceType {
            kind,
            names: &[],
            short: &[],
        })
}
