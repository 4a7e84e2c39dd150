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
    t(
        Kind::ClusterRoleBinding,
        &["clusterrolebindings", "clusterrolebinding"],
        &[],
    ),
    t(Kind::ClusterRole, &["clusterroles", "clusterrole"], &[]),
    t(Kind::RoleBinding, &["rolebindings", "rolebinding"], &[]),
    t(Kind::Role, &["roles", "role"], &[]),
    t(
        Kind::PriorityClass,
        &["priorityclasses", "priorityclass"],
        &["pc"],
    ),
    t(
        Kind::PodDisruptionBudget,
        &["poddisruptionbudgets", "poddisruptionbudget"],
        &["pdb"],
    ),
    t(
        Kind::PersistentVolumeClaim,
        &["persistentvolumeclaims", "persistentvolumeclaim"],
        &["pvc"],
    ),
    t(
        Kind::PersistentVolume,
        &["persistentvolumes", "persistentvolume"],
        &["pv"],
    ),
    t(
        Kind::StorageClass,
        &["storageclasses", "storageclass"],
        &["sc"],
    ),
    t(
        Kind::HorizontalPodAutoscaler,
        &["horizontalpodautoscalers", "horizontalpodautoscaler"],
        &["hpa"],
    ),
    t(Kind::Job, &["jobs", "job"], &[]),
    t(Kind::IngressClass, &["ingressclasses", "ingressclass"], &[]),
    t(Kind::Ingress, &["ingresses", "ingress"], &["ing"]),
    t(
        Kind::NetworkPolicy,
        &["networkpolicies", "networkpolicy"],
        &["netpol"],
    ),
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
    Kind::HorizontalPodAutoscaler,
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

/// One row of the apiserver's discovery document as `kubectl api-resources` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discovered {
    pub name: &'static str,
    pub short: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub namespaced: bool,
    pub kind: &'static str,
}

const fn d(
    name: &'static str,
    short: &'static str,
    group: &'static str,
    version: &'static str,
    namespaced: bool,
    kind: &'static str,
) -> Discovered {
    Discovered {
        name,
        short,
        group,
        version,
        namespaced,
        kind,
    }
}

impl Discovered {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Every resource a kubeadm v1.32 apiserver serves (preferred versions, default feature gates,
/// no CRDs), sorted by group as `kubectl api-resources` sorts them (discovery order, by name,
/// within a group). The playground simulates the ones in [`TYPES`]; the others are listed so
/// the discovery reads as a real cluster's.
pub const DISCOVERY: &[Discovered] = &[
    d("bindings", "", "", "v1", true, "Binding"),
    d(
        "componentstatuses",
        "cs",
        "",
        "v1",
        false,
        "ComponentStatus",
    ),
    d("configmaps", "cm", "", "v1", true, "ConfigMap"),
    d("endpoints", "ep", "", "v1", true, "Endpoints"),
    d("events", "ev", "", "v1", true, "Event"),
    d("limitranges", "limits", "", "v1", true, "LimitRange"),
    d("namespaces", "ns", "", "v1", false, "Namespace"),
    d("nodes", "no", "", "v1", false, "Node"),
    d(
        "persistentvolumeclaims",
        "pvc",
        "",
        "v1",
        true,
        "PersistentVolumeClaim",
    ),
    d(
        "persistentvolumes",
        "pv",
        "",
        "v1",
        false,
        "PersistentVolume",
    ),
    d("pods", "po", "", "v1", true, "Pod"),
    d("podtemplates", "", "", "v1", true, "PodTemplate"),
    d(
        "replicationcontrollers",
        "rc",
        "",
        "v1",
        true,
        "ReplicationController",
    ),
    d("resourcequotas", "quota", "", "v1", true, "ResourceQuota"),
    d("secrets", "", "", "v1", true, "Secret"),
    d("serviceaccounts", "sa", "", "v1", true, "ServiceAccount"),
    d("services", "svc", "", "v1", true, "Service"),
    d(
        "mutatingwebhookconfigurations",
        "",
        "admissionregistration.k8s.io",
        "v1",
        false,
        "MutatingWebhookConfiguration",
    ),
    d(
        "validatingadmissionpolicies",
        "",
        "admissionregistration.k8s.io",
        "v1",
        false,
        "ValidatingAdmissionPolicy",
    ),
    d(
        "validatingadmissionpolicybindings",
        "",
        "admissionregistration.k8s.io",
        "v1",
        false,
        "ValidatingAdmissionPolicyBinding",
    ),
    d(
        "validatingwebhookconfigurations",
        "",
        "admissionregistration.k8s.io",
        "v1",
        false,
        "ValidatingWebhookConfiguration",
    ),
    d(
        "customresourcedefinitions",
        "crd,crds",
        "apiextensions.k8s.io",
        "v1",
        false,
        "CustomResourceDefinition",
    ),
    d(
        "apiservices",
        "",
        "apiregistration.k8s.io",
        "v1",
        false,
        "APIService",
    ),
    d(
        "controllerrevisions",
        "",
        "apps",
        "v1",
        true,
        "ControllerRevision",
    ),
    d("daemonsets", "ds", "apps", "v1", true, "DaemonSet"),
    d("deployments", "deploy", "apps", "v1", true, "Deployment"),
    d("replicasets", "rs", "apps", "v1", true, "ReplicaSet"),
    d("statefulsets", "sts", "apps", "v1", true, "StatefulSet"),
    d(
        "selfsubjectreviews",
        "",
        "authentication.k8s.io",
        "v1",
        false,
        "SelfSubjectReview",
    ),
    d(
        "tokenreviews",
        "",
        "authentication.k8s.io",
        "v1",
        false,
        "TokenReview",
    ),
    d(
        "localsubjectaccessreviews",
        "",
        "authorization.k8s.io",
        "v1",
        true,
        "LocalSubjectAccessReview",
    ),
    d(
        "selfsubjectaccessreviews",
        "",
        "authorization.k8s.io",
        "v1",
        false,
        "SelfSubjectAccessReview",
    ),
    d(
        "selfsubjectrulesreviews",
        "",
        "authorization.k8s.io",
        "v1",
        false,
        "SelfSubjectRulesReview",
    ),
    d(
        "subjectaccessreviews",
        "",
        "authorization.k8s.io",
        "v1",
        false,
        "SubjectAccessReview",
    ),
    d(
        "horizontalpodautoscalers",
        "hpa",
        "autoscaling",
        "v2",
        true,
        "HorizontalPodAutoscaler",
    ),
    d("cronjobs", "cj", "batch", "v1", true, "CronJob"),
    d("jobs", "", "batch", "v1", true, "Job"),
    d(
        "certificatesigningrequests",
        "csr",
        "certificates.k8s.io",
        "v1",
        false,
        "CertificateSigningRequest",
    ),
    d("leases", "", "coordination.k8s.io", "v1", true, "Lease"),
    d(
        "endpointslices",
        "",
        "discovery.k8s.io",
        "v1",
        true,
        "EndpointSlice",
    ),
    d("events", "ev", "events.k8s.io", "v1", true, "Event"),
    d(
        "flowschemas",
        "",
        "flowcontrol.apiserver.k8s.io",
        "v1",
        false,
        "FlowSchema",
    ),
    d(
        "prioritylevelconfigurations",
        "",
        "flowcontrol.apiserver.k8s.io",
        "v1",
        false,
        "PriorityLevelConfiguration",
    ),
    d(
        "ingressclasses",
        "",
        "networking.k8s.io",
        "v1",
        false,
        "IngressClass",
    ),
    d(
        "ingresses",
        "ing",
        "networking.k8s.io",
        "v1",
        true,
        "Ingress",
    ),
    d(
        "networkpolicies",
        "netpol",
        "networking.k8s.io",
        "v1",
        true,
        "NetworkPolicy",
    ),
    d(
        "runtimeclasses",
        "",
        "node.k8s.io",
        "v1",
        false,
        "RuntimeClass",
    ),
    d(
        "poddisruptionbudgets",
        "pdb",
        "policy",
        "v1",
        true,
        "PodDisruptionBudget",
    ),
    d(
        "clusterrolebindings",
        "",
        "rbac.authorization.k8s.io",
        "v1",
        false,
        "ClusterRoleBinding",
    ),
    d(
        "clusterroles",
        "",
        "rbac.authorization.k8s.io",
        "v1",
        false,
        "ClusterRole",
    ),
    d(
        "rolebindings",
        "",
        "rbac.authorization.k8s.io",
        "v1",
        true,
        "RoleBinding",
    ),
    d("roles", "", "rbac.authorization.k8s.io", "v1", true, "Role"),
    d(
        "priorityclasses",
        "pc",
        "scheduling.k8s.io",
        "v1",
        false,
        "PriorityClass",
    ),
    d("csidrivers", "", "storage.k8s.io", "v1", false, "CSIDriver"),
    d("csinodes", "", "storage.k8s.io", "v1", false, "CSINode"),
    d(
        "csistoragecapacities",
        "",
        "storage.k8s.io",
        "v1",
        true,
        "CSIStorageCapacity",
    ),
    d(
        "storageclasses",
        "sc",
        "storage.k8s.io",
        "v1",
        false,
        "StorageClass",
    ),
    d(
        "volumeattachments",
        "",
        "storage.k8s.io",
        "v1",
        false,
        "VolumeAttachment",
    ),
];

/// Discovered resources the playground does not simulate that a fresh kubeadm cluster holds
/// none of in any namespace (no CNI or add-on creates them), so `kubectl get` can answer as
/// that cluster would. Kinds a fresh cluster does hold (leases, roles, endpointslices,
/// clusterroles, priorityclasses, flowschemas, apiservices, CSRs, ...) are left out.
const EMPTY_IN_FRESH_CLUSTER: &[&str] = &[
    "podtemplates",
    "mutatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "validatingwebhookconfigurations",
    "customresourcedefinitions",
    "runtimeclasses",
    "csidrivers",
    "csistoragecapacities",
    "volumeattachments",
];

/// A discovered resource by plural, singular (the lowercased kind), short name or `name.group`.
pub fn resolve_discovered(name: &str) -> Option<&'static Discovered> {
    let lower = name.to_ascii_lowercase();
    let (base, group) = match lower.split_once('.') {
        Some((b, g)) => (b.to_owned(), Some(g.to_owned())),
        None => (lower.clone(), None),
    };
    DISCOVERY.iter().find(|r| {
        (r.name == base
            || r.kind.eq_ignore_ascii_case(&base)
            || r.short.split(',').any(|s| !s.is_empty() && s == base))
            && group
                .as_ref()
                .is_none_or(|g| *g == r.group || *g == format!("{}.{}", r.version, r.group))
    })
}

/// An unsimulated discovered resource of which a fresh cluster holds none.
pub fn resolve_empty_unsimulated(name: &str) -> Option<&'static Discovered> {
    resolve_discovered(name).filter(|r| EMPTY_IN_FRESH_CLUSTER.contains(&r.name))
}

/// `kubectl api-versions` of the same apiserver (every served group version, sorted).
pub const API_VERSIONS: &[&str] = &[
    "admissionregistration.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "apiregistration.k8s.io/v1",
    "apps/v1",
    "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "certificates.k8s.io/v1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "events.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1",
    "networking.k8s.io/v1",
    "node.k8s.io/v1",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1",
    "v1",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every simulated type appears in the discovery list with the same names and scope.
    #[test]
    fn simulated_types_are_discovered() {
        for t in TYPES {
            let found = DISCOVERY
                .iter()
                .find(|r| r.name == t.names[0] && r.group == t.kind.group());
            let Some(found) = found else {
                panic!("{} missing from DISCOVERY", t.names[0]);
            };
            assert_eq!(found.api_version(), t.kind.api_version());
            assert_eq!(found.namespaced, t.kind.namespaced());
            assert_eq!(found.kind, t.kind.name());
            assert_eq!(found.short, t.short.join(","));
        }
        let mut groups: Vec<&str> = DISCOVERY.iter().map(|r| r.group).collect();
        groups.dedup();
        let mut sorted = groups.clone();
        sorted.sort_unstable();
        assert_eq!(groups, sorted, "discovery is grouped and sorted by group");
        for name in EMPTY_IN_FRESH_CLUSTER {
            assert!(DISCOVERY.iter().any(|r| r.name == *name), "{name}");
            assert!(
                TYPES.iter().all(|t| t.names[0] != *name),
                "{name} is simulated"
            );
        }
        assert_eq!(
            resolve_empty_unsimulated("csidrivers").map(|r| r.kind),
            Some("CSIDriver")
        );
        assert_eq!(resolve_empty_unsimulated("pvc"), None);
        assert_eq!(
            resolve_empty_unsimulated("RuntimeClass.node.k8s.io").map(|r| r.name),
            Some("runtimeclasses")
        );
        assert_eq!(resolve_empty_unsimulated("leases"), None);
    }
}
