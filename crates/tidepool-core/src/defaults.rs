//! Defaulting exactly where the real apiserver defaults (`pkg/apis/*/v1/defaults.go`), so what
//! `kubectl get -o yaml` shows matches a real cluster.

use crate::objects::Object;
use k8s_openapi::api::apps::v1::{
    DaemonSetUpdateStrategy, DeploymentStrategy, RollingUpdateDaemonSet, RollingUpdateDeployment,
    RollingUpdateStatefulSetStrategy, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{
    Container, NamespaceSpec, NamespaceStatus, PersistentVolumeClaim, PodSecurityContext, PodSpec,
    PodTemplateSpec, ResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// A claim's defaults, also applied to a StatefulSet's volumeClaimTemplates.
fn default_claim(pvc: &mut PersistentVolumeClaim) {
    let spec = pvc.spec.get_or_insert_with(Default::default);
    spec.volume_mode
        .get_or_insert_with(|| "Filesystem".to_owned());
    pvc.status
        .get_or_insert_with(Default::default)
        .phase
        .get_or_insert_with(|| "Pending".to_owned());
}

/// `Always` for `:latest` or untagged images, else `IfNotPresent` (digests count as tags).
pub fn image_pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

fn default_container(c: &mut Container) {
    if c.image_pull_policy.is_none()
        && let Some(image) = &c.image
    {
        c.image_pull_policy = Some(image_pull_policy(image).to_owned());
    }
    c.termination_message_path
        .get_or_insert_with(|| "/dev/termination-log".to_owned());
    c.termination_message_policy
        .get_or_insert_with(|| "File".to_owned());
    let resources = c
        .resources
        .get_or_insert_with(ResourceRequirements::default);
    // A limit without a request means "request = limit" (SetDefaults_ResourceList on requests).
    if let Some(limits) = resources.limits.clone() {
        let requests = resources.requests.get_or_insert_with(Default::default);
        for (name, value) in limits {
            requests.entry(name).or_insert(value);
        }
    }
    for port in c.ports.iter_mut().flatten() {
        port.protocol.get_or_insert_with(|| "TCP".to_owned());
    }
}

/// Defaults shared by pods and pod templates.
pub fn default_pod_spec(spec: &mut PodSpec) {
    spec.restart_policy
        .get_or_insert_with(|| "Always".to_owned());
    spec.dns_policy
        .get_or_insert_with(|| "ClusterFirst".to_owned());
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.scheduler_name
        .get_or_insert_with(|| "default-scheduler".to_owned());
    spec.security_context
        .get_or_insert_with(PodSecurityContext::default);
    // v1 conversion: `serviceAccount` is the deprecated alias of `serviceAccountName`; an empty
    // name takes the alias, and the alias always mirrors the name.
    if spec
        .service_account_name
        .as_deref()
        .is_none_or(str::is_empty)
    {
        spec.service_account_name = spec.service_account.clone().filter(|n| !n.is_empty());
    }
    spec.service_account.clone_from(&spec.service_account_name);
    for c in spec.containers.iter_mut() {
        default_container(c);
    }
    for c in spec.init_containers.iter_mut().flatten() {
        default_container(c);
    }
}

fn default_template(template: &mut PodTemplateSpec) {
    if let Some(spec) = template.spec.as_mut() {
        default_pod_spec(spec);
    }
}

fn percent(text: &str) -> IntOrString {
    IntOrString::String(text.to_owned())
}

/// `rbac/v1` `SetDefaults_Subject`: users and groups belong to the RBAC API group.
fn default_rbac_subjects(subjects: Option<&mut Vec<k8s_openapi::api::rbac::v1::Subject>>) {
    for subject in subjects.into_iter().flatten() {
        if subject.api_group.as_deref().is_none_or(str::is_empty)
            && matches!(subject.kind.as_str(), "User" | "Group")
        {
            subject.api_group = Some(RBAC_GROUP.to_owned());
        }
    }
}

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Applies the kind's defaults in place.
pub fn apply(object: &mut Object) {
    match object {
        Object::RoleBinding(binding) => {
            if binding.role_ref.api_group.is_empty() {
                binding.role_ref.api_group = RBAC_GROUP.to_owned();
            }
            default_rbac_subjects(binding.subjects.as_mut());
        }
        Object::ClusterRoleBinding(binding) => {
            if binding.role_ref.api_group.is_empty() {
                binding.role_ref.api_group = RBAC_GROUP.to_owned();
            }
            default_rbac_subjects(binding.subjects.as_mut());
        }
        Object::Pod(pod) => {
            if let Some(spec) = pod.spec.as_mut() {
                default_pod_spec(spec);
                spec.enable_service_links.get_or_insert(true);
                // priority and preemptionPolicy come from the Priority admission plugin
                // (`priority::admit_pod`), not from defaulting.
            }
        }
        Object::Deployment(d) => {
            if let Some(spec) = d.spec.as_mut() {
                spec.replicas.get_or_insert(1);
                spec.revision_history_limit.get_or_insert(10);
                spec.progress_deadline_seconds.get_or_insert(600);
                let strategy = spec
                    .strategy
                    .get_or_insert_with(DeploymentStrategy::default);
                let kind = strategy
                    .type_
                    .get_or_insert_with(|| "RollingUpdate".to_owned());
                if kind == "RollingUpdate" {
                    let ru = strategy
                        .rolling_update
                        .get_or_insert_with(RollingUpdateDeployment::default);
                    ru.max_surge.get_or_insert_with(|| percent("25%"));
                    ru.max_unavailable.get_or_insert_with(|| percent("25%"));
                }
                default_template(&mut spec.template);
            }
        }
        Object::ReplicaSet(rs) => {
            if let Some(spec) = rs.spec.as_mut() {
                spec.replicas.get_or_insert(1);
                if let Some(t) = spec.template.as_mut() {
                    default_template(t);
                }
            }
        }
        Object::ReplicationController(rc) => {
            let template_labels = rc
                .spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .and_then(|t| t.metadata.as_ref())
                .and_then(|m| m.labels.clone());
            if let Some(spec) = rc.spec.as_mut() {
                spec.replicas.get_or_insert(1);
                // An RC without a selector selects its template's labels (v1 defaulting).
                if spec.selector.as_ref().is_none_or(|s| s.is_empty()) {
                    spec.selector = template_labels.clone();
                }
                if let Some(t) = spec.template.as_mut() {
                    default_template(t);
                }
            }
            if rc.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
                rc.metadata.labels = template_labels;
            }
        }
        Object::DaemonSet(ds) => {
            if let Some(spec) = ds.spec.as_mut() {
                spec.revision_history_limit.get_or_insert(10);
                let strategy = spec
                    .update_strategy
                    .get_or_insert_with(DaemonSetUpdateStrategy::default);
                let kind = strategy
                    .type_
                    .get_or_insert_with(|| "RollingUpdate".to_owned());
                if kind == "RollingUpdate" {
                    let ru = strategy
                        .rolling_update
                        .get_or_insert_with(RollingUpdateDaemonSet::default);
                    ru.max_unavailable.get_or_insert(IntOrString::Int(1));
                    ru.max_surge.get_or_insert(IntOrString::Int(0));
                }
                default_template(&mut spec.template);
            }
        }
        Object::StatefulSet(ss) => {
            if let Some(spec) = ss.spec.as_mut() {
                spec.replicas.get_or_insert(1);
                spec.revision_history_limit.get_or_insert(10);
                spec.pod_management_policy
                    .get_or_insert_with(|| "OrderedReady".to_owned());
                let strategy = spec
                    .update_strategy
                    .get_or_insert_with(StatefulSetUpdateStrategy::default);
                let kind = strategy
                    .type_
                    .get_or_insert_with(|| "RollingUpdate".to_owned());
                if kind == "RollingUpdate" {
                    strategy
                        .rolling_update
                        .get_or_insert_with(RollingUpdateStatefulSetStrategy::default)
                        .partition
                        .get_or_insert(0);
                }
                // StatefulSetAutoDeletePVC is on by default in v1.32.
                let policy = spec
                    .persistent_volume_claim_retention_policy
                    .get_or_insert_with(Default::default);
                policy
                    .when_deleted
                    .get_or_insert_with(|| "Retain".to_owned());
                policy
                    .when_scaled
                    .get_or_insert_with(|| "Retain".to_owned());
                for claim in spec.volume_claim_templates.iter_mut().flatten() {
                    default_claim(claim);
                }
                default_template(&mut spec.template);
            }
        }
        Object::Job(job) => {
            if let Some(spec) = job.spec.as_mut() {
                if spec.completions.is_none() && spec.parallelism.is_none() {
                    spec.completions = Some(1);
                }
                spec.parallelism.get_or_insert(1);
                spec.backoff_limit.get_or_insert(6);
                spec.completion_mode
                    .get_or_insert_with(|| "NonIndexed".to_owned());
                spec.suspend.get_or_insert(false);
                spec.pod_replacement_policy
                    .get_or_insert_with(|| "TerminatingOrFailed".to_owned());
                default_template(&mut spec.template);
            }
        }
        Object::HorizontalPodAutoscaler(hpa) => {
            if let Some(spec) = hpa.spec.as_mut() {
                default_hpa_spec(spec);
            }
        }
        Object::CronJob(cj) => {
            if let Some(spec) = cj.spec.as_mut() {
                spec.concurrency_policy
                    .get_or_insert_with(|| "Allow".to_owned());
                spec.suspend.get_or_insert(false);
                spec.successful_jobs_history_limit.get_or_insert(3);
                spec.failed_jobs_history_limit.get_or_insert(1);
                if let Some(t) = spec.job_template.spec.as_mut() {
                    default_template(&mut t.template);
                }
            }
        }
        Object::Service(svc) => {
            if let Some(spec) = svc.spec.as_mut() {
                spec.type_.get_or_insert_with(|| "ClusterIP".to_owned());
                spec.session_affinity
                    .get_or_insert_with(|| "None".to_owned());
                if spec.type_.as_deref() != Some("ExternalName") {
                    spec.internal_traffic_policy
                        .get_or_insert_with(|| "Cluster".to_owned());
                    spec.ip_families
                        .get_or_insert_with(|| vec!["IPv4".to_owned()]);
                    spec.ip_family_policy
                        .get_or_insert_with(|| "SingleStack".to_owned());
                }
                for port in spec.ports.iter_mut().flatten() {
                    port.protocol.get_or_insert_with(|| "TCP".to_owned());
                    port.target_port.get_or_insert(IntOrString::Int(port.port));
                }
            }
        }
        Object::Namespace(ns) => {
            let name = ns.metadata.name.clone().unwrap_or_default();
            ns.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert("kubernetes.io/metadata.name".to_owned(), name);
            ns.spec
                .get_or_insert_with(NamespaceSpec::default)
                .finalizers
                .get_or_insert_with(|| vec!["kubernetes".to_owned()]);
            ns.status
                .get_or_insert_with(NamespaceStatus::default)
                .phase
                .get_or_insert_with(|| "Active".to_owned());
        }
        Object::Secret(secret) => {
            secret.type_.get_or_insert_with(|| "Opaque".to_owned());
        }
        Object::PriorityClass(pc) => crate::priority::default_class(pc),
        Object::PersistentVolume(pv) => {
            let spec = pv.spec.get_or_insert_with(Default::default);
            spec.persistent_volume_reclaim_policy
                .get_or_insert_with(|| "Retain".to_owned());
            spec.volume_mode
                .get_or_insert_with(|| "Filesystem".to_owned());
            if let Some(host_path) = spec.host_path.as_mut() {
                host_path.type_.get_or_insert_with(String::new);
            }
            pv.status
                .get_or_insert_with(Default::default)
                .phase
                .get_or_insert_with(|| "Pending".to_owned());
        }
        Object::PersistentVolumeClaim(pvc) => default_claim(pvc),
        Object::StorageClass(class) => {
            class
                .reclaim_policy
                .get_or_insert_with(|| "Delete".to_owned());
            class
                .volume_binding_mode
                .get_or_insert_with(|| "Immediate".to_owned());
        }
        // `pkg/apis/networking/v1/defaults.go`.
        Object::Ingress(ing) => {
            // The status is a struct, not a pointer: it always prints `loadBalancer: {}`.
            ing.status
                .get_or_insert_with(Default::default)
                .load_balancer
                .get_or_insert_with(Default::default);
        }
        Object::IngressClass(class) => {
            if let Some(params) = class.spec.as_mut().and_then(|s| s.parameters.as_mut()) {
                params.scope.get_or_insert_with(|| "Cluster".to_owned());
            }
        }
        Object::NetworkPolicy(policy) => {
            let spec = policy.spec.get_or_insert_with(Default::default);
            spec.pod_selector.get_or_insert_with(Default::default);
            let ports = spec
                .ingress
                .iter_mut()
                .flatten()
                .flat_map(|r| r.ports.iter_mut().flatten())
                .chain(
                    spec.egress
                        .iter_mut()
                        .flatten()
                        .flat_map(|r| r.ports.iter_mut().flatten()),
                );
            for port in ports {
                port.protocol.get_or_insert_with(|| "TCP".to_owned());
            }
            // Any policy without policyTypes implies Ingress, plus Egress when it has egress
            // rules.
            if spec.policy_types.as_ref().is_none_or(Vec::is_empty) {
                let mut types = vec!["Ingress".to_owned()];
                if spec.egress.as_ref().is_some_and(|e| !e.is_empty()) {
                    types.push("Egress".to_owned());
                }
                spec.policy_types = Some(types);
            }
        }
        _ => {}
    }
}

/// autoscaling/v2 `SetDefaults_HorizontalPodAutoscaler`: `minReplicas` 1, a CPU target of 80%
/// when no metric is given, and a given `behavior` filled in with the default rules (a missing
/// `behavior` stays missing: the controller applies the same defaults).
fn default_hpa_spec(spec: &mut k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerSpec) {
    use k8s_openapi::api::autoscaling::v2::{MetricSpec, MetricTarget, ResourceMetricSource};
    spec.min_replicas.get_or_insert(1);
    if spec.metrics.as_ref().is_none_or(Vec::is_empty) {
        spec.metrics = Some(vec![MetricSpec {
            type_: "Resource".to_owned(),
            resource: Some(ResourceMetricSource {
                name: "cpu".to_owned(),
                target: MetricTarget {
                    type_: "Utilization".to_owned(),
                    average_utilization: Some(80),
                    ..MetricTarget::default()
                },
            }),
            ..MetricSpec::default()
        }]);
    }
    if let Some(behavior) = spec.behavior.as_mut() {
        let up = behavior.scale_up.get_or_insert_with(Default::default);
        up.stabilization_window_seconds.get_or_insert(0);
        up.select_policy.get_or_insert_with(|| "Max".to_owned());
        up.policies.get_or_insert_with(|| {
            hpa_default_policies(crate::controllers::hpa::SCALE_UP_POLICIES)
        });
        let down = behavior.scale_down.get_or_insert_with(Default::default);
        down.select_policy.get_or_insert_with(|| "Max".to_owned());
        down.policies.get_or_insert_with(|| {
            hpa_default_policies(crate::controllers::hpa::SCALE_DOWN_POLICIES)
        });
    }
}

fn hpa_default_policies(
    policies: &[(&str, i32, i32)],
) -> Vec<k8s_openapi::api::autoscaling::v2::HPAScalingPolicy> {
    policies
        .iter()
        .map(|&(type_, value, period_seconds)| {
            k8s_openapi::api::autoscaling::v2::HPAScalingPolicy {
                type_: type_.to_owned(),
                value,
                period_seconds,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_follows_the_tag() {
        assert_eq!(image_pull_policy("nginx"), "Always");
        assert_eq!(image_pull_policy("nginx:latest"), "Always");
        assert_eq!(image_pull_policy("nginx:1.14.2"), "IfNotPresent");
        assert_eq!(image_pull_policy("localhost:5000/app"), "Always");
        assert_eq!(image_pull_policy("registry:5000/app:v1"), "IfNotPresent");
        assert_eq!(image_pull_policy("nginx@sha256:abc"), "IfNotPresent");
    }
}
