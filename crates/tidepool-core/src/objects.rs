//! The API kinds the simulated apiserver serves, as one typed enum over real `k8s-openapi`
//! (v1.32) types, so every field a learner writes parses and round-trips.

use k8s_openapi::api::{
    apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch, core::v1 as core,
    networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac,
    scheduling::v1 as scheduling, storage::v1 as storage,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! kinds {
    ($( $variant:ident => $ty:ty, $plural:literal, $api_version:literal, $namespaced:literal; )*) => {
        /// A kind the simulated apiserver serves.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Kind { $( $variant, )* }

        impl Kind {
            /// Every served kind, in a stable order.
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];

            /// The `kind` field value, e.g. `ReplicaSet`.
            pub fn name(self) -> &'static str {
                match self { $( Kind::$variant => stringify!($variant), )* }
            }

            /// The REST resource name, e.g. `replicasets` (used in error texts).
            pub fn plural(self) -> &'static str {
                match self { $( Kind::$variant => $plural, )* }
            }

            /// `group/version`, or just `v1` for the core group.
            pub fn api_version(self) -> &'static str {
                match self { $( Kind::$variant => $api_version, )* }
            }

            pub fn namespaced(self) -> bool {
                match self { $( Kind::$variant => $namespaced, )* }
            }

            /// The kind served under exactly this `apiVersion` and `kind`.
            pub fn from_type(api_version: &str, kind: &str) -> Option<Kind> {
                Kind::ALL.iter().copied().find(|k| k.api_version() == api_version && k.name() == kind)
            }
        }

        /// One API object of any served kind.
        // Boxed: the generated structs range from about 0.3 KB (Endpoints) to 2.8 KB, and an
        // unboxed enum is as large as the largest, so each of up to 50,000 Events (0.9 KB)
        // would take 2.8 KB in the store and the watch log.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Object { $( $variant(Box<$ty>), )* }

        impl Object {
            pub fn kind(&self) -> Kind {
                match self { $( Object::$variant(_) => Kind::$variant, )* }
            }

            pub fn meta(&self) -> &ObjectMeta {
                match self { $( Object::$variant(o) => &o.metadata, )* }
            }

            pub fn meta_mut(&mut self) -> &mut ObjectMeta {
                match self { $( Object::$variant(o) => &mut o.metadata, )* }
            }

            /// The object as the apiserver would send it (with `apiVersion` and `kind`).
            pub fn to_json(&self) -> serde_json::Value {
                let value = match self { $( Object::$variant(o) => serde_json::to_value(o), )* };
                // Serialising these plain data types cannot fail; `Null` keeps this total.
                value.unwrap_or(serde_json::Value::Null)
            }

            /// Decodes a JSON value of a known kind (no strictness; see `decode` for that).
            ///
            /// Every typed decode of an API object (strict `decode` included) goes through
            /// `serde_json::from_value`, so each kind's `Deserialize` is compiled once, for one
            /// deserializer: that code is the largest part of the cluster worker's wasm.
            pub fn from_json(kind: Kind, value: serde_json::Value) -> Result<Object, serde_json::Error> {
                Ok(match kind { $( Kind::$variant => Object::$variant(serde_json::from_value(value)?), )* })
            }
        }

        $(
            impl From<$ty> for Object {
                fn from(o: $ty) -> Object { Object::$variant(Box::new(o)) }
            }
        )*
    };
}

kinds! {
    Namespace => core::Namespace, "namespaces", "v1", false;
    Node => core::Node, "nodes", "v1", false;
    Pod => core::Pod, "pods", "v1", true;
    ReplicationController => core::ReplicationController, "replicationcontrollers", "v1", true;
    Service => core::Service, "services", "v1", true;
    Endpoints => core::Endpoints, "endpoints", "v1", true;
    ConfigMap => core::ConfigMap, "configmaps", "v1", true;
    Secret => core::Secret, "secrets", "v1", true;
    ServiceAccount => core::ServiceAccount, "serviceaccounts", "v1", true;
    ResourceQuota => core::ResourceQuota, "resourcequotas", "v1", true;
    LimitRange => core::LimitRange, "limitranges", "v1", true;
    Event => core::Event, "events", "v1", true;
    ReplicaSet => apps::ReplicaSet, "replicasets", "apps/v1", true;
    Deployment => apps::Deployment, "deployments", "apps/v1", true;
    DaemonSet => apps::DaemonSet, "daemonsets", "apps/v1", true;
    StatefulSet => apps::StatefulSet, "statefulsets", "apps/v1", true;
    ControllerRevision => apps::ControllerRevision, "controllerrevisions", "apps/v1", true;
    Job => batch::Job, "jobs", "batch/v1", true;
    CronJob => batch::CronJob, "cronjobs", "batch/v1", true;
    PriorityClass => scheduling::PriorityClass, "priorityclasses", "scheduling.k8s.io/v1", false;
    PodDisruptionBudget => policy::PodDisruptionBudget, "poddisruptionbudgets", "policy/v1", true;
    PersistentVolume => core::PersistentVolume, "persistentvolumes", "v1", false;
    PersistentVolumeClaim => core::PersistentVolumeClaim, "persistentvolumeclaims", "v1", true;
    StorageClass => storage::StorageClass, "storageclasses", "storage.k8s.io/v1", false;
    HorizontalPodAutoscaler => autoscaling::HorizontalPodAutoscaler, "horizontalpodautoscalers", "autoscaling/v2", true;
    Ingress => networking::Ingress, "ingresses", "networking.k8s.io/v1", true;
    IngressClass => networking::IngressClass, "ingressclasses", "networking.k8s.io/v1", false;
    NetworkPolicy => networking::NetworkPolicy, "networkpolicies", "networking.k8s.io/v1", true;
    Role => rbac::Role, "roles", "rbac.authorization.k8s.io/v1", true;
    ClusterRole => rbac::ClusterRole, "clusterroles", "rbac.authorization.k8s.io/v1", false;
    RoleBinding => rbac::RoleBinding, "rolebindings", "rbac.authorization.k8s.io/v1", true;
    ClusterRoleBinding => rbac::ClusterRoleBinding, "clusterrolebindings", "rbac.authorization.k8s.io/v1", false;
}

impl Kind {
    /// The group part of `apiVersion` (empty for the core group).
    pub fn group(self) -> &'static str {
        match self.api_version().split_once('/') {
            Some((group, _)) => group,
            None => "",
        }
    }

    /// `resource.group` as kubectl prints it in `kind.group/name` (e.g. `deployment.apps`).
    pub fn qualified_singular(self) -> String {
        let lower = self.name().to_ascii_lowercase();
        match self.group() {
            "" => lower,
            group => format!("{lower}.{group}"),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Object {
    pub fn name(&self) -> &str {
        self.meta().name.as_deref().unwrap_or("")
    }

    /// Namespace, empty for cluster-scoped kinds.
    pub fn namespace(&self) -> &str {
        self.meta().namespace.as_deref().unwrap_or("")
    }

    pub fn key(&self) -> ObjectKey {
        ObjectKey::new(self.kind(), self.namespace(), self.name())
    }

    pub fn uid(&self) -> &str {
        self.meta().uid.as_deref().unwrap_or("")
    }

    pub fn resource_version(&self) -> u64 {
        self.meta()
            .resource_version
            .as_deref()
            .and_then(|rv| rv.parse().ok())
            .unwrap_or(0)
    }
}

/// A map for point lookups on hot paths (timers, kubelet indexes): hashing a key is cheaper than
/// the string comparisons of a `BTreeMap` search. The hasher has fixed keys (no OS randomness);
/// never iterate one of these where order can reach an output: use a `BTreeMap` there.
pub(crate) type LookupMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<std::hash::DefaultHasher>>;

/// Where an object lives: kind, namespace (empty when cluster-scoped) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectKey {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(kind: Kind, namespace: &str, name: &str) -> Self {
        let namespace = if kind.namespaced() { namespace } else { "" };
        Self {
            kind,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

macro_rules! accessors {
    ($( $fn_name:ident, $fn_mut:ident, $variant:ident => $ty:ty; )*) => {
        impl Object {
            $(
                pub fn $fn_name(&self) -> Option<&$ty> {
                    match self { Object::$variant(o) => Some(&**o), _ => None }
                }
                pub fn $fn_mut(&mut self) -> Option<&mut $ty> {
                    match self { Object::$variant(o) => Some(&mut **o), _ => None }
                }
            )*
        }
    };
}

accessors! {
    as_pod, as_pod_mut, Pod => core::Pod;
    as_node, as_node_mut, Node => core::Node;
    as_namespace, as_namespace_mut, Namespace => core::Namespace;
    as_replica_set, as_replica_set_mut, ReplicaSet => apps::ReplicaSet;
    as_replication_controller, as_replication_controller_mut, ReplicationController => core::ReplicationController;
    as_deployment, as_deployment_mut, Deployment => apps::Deployment;
    as_service, as_service_mut, Service => core::Service;
    as_event, as_event_mut, Event => core::Event;
    as_resource_quota, as_resource_quota_mut, ResourceQuota => core::ResourceQuota;
    as_limit_range, as_limit_range_mut, LimitRange => core::LimitRange;
    as_daemon_set, as_daemon_set_mut, DaemonSet => apps::DaemonSet;
    as_job, as_job_mut, Job => batch::Job;
    as_cron_job, as_cron_job_mut, CronJob => batch::CronJob;
    as_endpoints, as_endpoints_mut, Endpoints => core::Endpoints;
    as_config_map, as_config_map_mut, ConfigMap => core::ConfigMap;
    as_secret, as_secret_mut, Secret => core::Secret;
    as_priority_class, as_priority_class_mut, PriorityClass => scheduling::PriorityClass;
    as_pod_disruption_budget, as_pod_disruption_budget_mut, PodDisruptionBudget => policy::PodDisruptionBudget;
    as_stateful_set, as_stateful_set_mut, StatefulSet => apps::StatefulSet;
    as_persistent_volume, as_persistent_volume_mut, PersistentVolume => core::PersistentVolume;
    as_persistent_volume_claim, as_persistent_volume_claim_mut, PersistentVolumeClaim => core::PersistentVolumeClaim;
    as_storage_class, as_storage_class_mut, StorageClass => storage::StorageClass;
    as_hpa, as_hpa_mut, HorizontalPodAutoscaler => autoscaling::HorizontalPodAutoscaler;
    as_ingress, as_ingress_mut, Ingress => networking::Ingress;
    as_ingress_class, as_ingress_class_mut, IngressClass => networking::IngressClass;
    as_network_policy, as_network_policy_mut, NetworkPolicy => networking::NetworkPolicy;
    as_role, as_role_mut, Role => rbac::Role;
    as_cluster_role, as_cluster_role_mut, ClusterRole => rbac::ClusterRole;
    as_role_binding, as_role_binding_mut, RoleBinding => rbac::RoleBinding;
    as_cluster_role_binding, as_cluster_role_binding_mut, ClusterRoleBinding => rbac::ClusterRoleBinding;
}

macro_rules! status_kinds {
    ($( $variant:ident ),*) => {
        impl Object {
            /// Copies `status` from `from` into `self` (same kind; other kinds are left alone).
            pub fn set_status_from(&mut self, from: &Object) {
                match (self, from) {
                    $( (Object::$variant(to), Object::$variant(from)) => {
                        to.status = from.status.clone();
                    } )*
                    _ => {}
                }
            }

            /// Whether two objects of a kind with a status are equal but for `status` and
            /// `metadata.resourceVersion` (false for other kinds). Every kind with a status has
            /// just `metadata`, `spec` and `status`.
            pub fn eq_except_status(&self, other: &Object) -> bool {
                fn meta_eq(a: &ObjectMeta, b: &ObjectMeta) -> bool {
                    // Compared field by field so neither side is copied; the destructuring
                    // makes a new ObjectMeta field a compile error here.
                    let ObjectMeta {
                        annotations,
                        creation_timestamp,
                        deletion_grace_period_seconds,
                        deletion_timestamp,
                        finalizers,
                        generate_name,
                        generation,
                        labels,
                        managed_fields,
                        name,
                        namespace,
                        owner_references,
                        resource_version: _,
                        self_link,
                        uid,
                    } = a;
                    *annotations == b.annotations
                        && *creation_timestamp == b.creation_timestamp
                        && *deletion_grace_period_seconds == b.deletion_grace_period_seconds
                        && *deletion_timestamp == b.deletion_timestamp
                        && *finalizers == b.finalizers
                        && *generate_name == b.generate_name
                        && *generation == b.generation
                        && *labels == b.labels
                        && *managed_fields == b.managed_fields
                        && *name == b.name
                        && *namespace == b.namespace
                        && *owner_references == b.owner_references
                        && *self_link == b.self_link
                        && *uid == b.uid
                }
                match (self, other) {
                    $( (Object::$variant(a), Object::$variant(b)) => {
                        meta_eq(&a.metadata, &b.metadata) && a.spec == b.spec
                    } )*
                    _ => false,
                }
            }
        }
    };
}

status_kinds!(
    Namespace,
    Node,
    Pod,
    ReplicationController,
    Service,
    ResourceQuota,
    ReplicaSet,
    Deployment,
    DaemonSet,
    StatefulSet,
    Job,
    CronJob,
    PodDisruptionBudget,
    PersistentVolume,
    PersistentVolumeClaim,
    HorizontalPodAutoscaler,
    Ingress
);

macro_rules! spec_kinds {
    ($( $variant:ident ),*) => {
        impl Object {
            /// Whether two objects of the same kind have equal `spec` (kinds without one: true).
            pub fn spec_eq(&self, other: &Object) -> bool {
                match (self, other) {
                    $( (Object::$variant(a), Object::$variant(b)) => a.spec == b.spec, )*
                    _ => true,
                }
            }
        }
    };
}

spec_kinds!(
    Namespace,
    Node,
    Pod,
    ReplicationController,
    Service,
    ResourceQuota,
    LimitRange,
    ReplicaSet,
    Deployment,
    DaemonSet,
    StatefulSet,
    Job,
    CronJob,
    PodDisruptionBudget,
    PersistentVolume,
    PersistentVolumeClaim,
    HorizontalPodAutoscaler,
    Ingress,
    IngressClass,
    NetworkPolicy
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_know_their_rest_names() {
        assert_eq!(
            Kind::from_type("apps/v1", "ReplicaSet"),
            Some(Kind::ReplicaSet)
        );
        assert_eq!(Kind::from_type("v1", "ReplicaSet"), None);
        assert_eq!(Kind::Deployment.qualified_singular(), "deployment.apps");
        assert_eq!(Kind::Pod.qualified_singular(), "pod");
        assert_eq!(ObjectKey::new(Kind::Node, "default", "n").namespace, "");
    }
}
