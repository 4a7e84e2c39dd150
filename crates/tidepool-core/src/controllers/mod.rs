//! kube-controller-manager: idempotent reconcilers. Each reads desired vs observed state from the
//! store, writes only through the [`ApiServer`], and returns an [`Action`]. None of them knows
//! why it was woken, which is what makes them safe to re-run (after a restore, say).

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod gc;
pub mod hpa;
pub mod job;
pub mod namespace;
pub mod node_lifecycle;
pub mod replicaset;
pub mod revision;
pub mod statefulset;
pub mod volume;

use crate::api::{ApiServer, controller_ref};
use crate::events::{EventRecorder, EventType, Source};
use crate::objects::Object;
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use std::time::Duration;

/// What a reconcile asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Run again after this much virtual time, even if nothing changes.
    RequeueAfter(Duration),
    /// Nothing to do until a watched object changes.
    AwaitChange,
}

/// Which controller a work item belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum ControllerId {
    Namespace,
    ServiceAccount,
    GarbageCollector,
    Deployment,
    ReplicaSet,
    ReplicationController,
    DaemonSet,
    Endpoints,
    ResourceQuota,
    Job,
    CronJob,
    StatefulSet,
    Disruption,
    PersistentVolumeBinder,
    PvcProtection,
    PvProtection,
    HorizontalPodAutoscaler,
}

impl ControllerId {
    pub const ALL: [ControllerId; 17] = [
        ControllerId::Namespace,
        ControllerId::ServiceAccount,
        ControllerId::GarbageCollector,
        ControllerId::Deployment,
        ControllerId::ReplicaSet,
        ControllerId::ReplicationController,
        ControllerId::DaemonSet,
        ControllerId::Endpoints,
        ControllerId::ResourceQuota,
        ControllerId::Job,
        ControllerId::CronJob,
        ControllerId::StatefulSet,
        ControllerId::Disruption,
        ControllerId::PersistentVolumeBinder,
        ControllerId::PvcProtection,
        ControllerId::PvProtection,
        ControllerId::HorizontalPodAutoscaler,
    ];

    /// The event source component, as `kubectl describe` shows it in FROM.
    pub fn component(self) -> &'static str {
        match self {
            ControllerId::Namespace => "namespace-controller",
            ControllerId::ServiceAccount => "service-account-controller",
            ControllerId::GarbageCollector => "garbage-collector-controller",
            ControllerId::Deployment => "deployment-controller",
            ControllerId::ReplicaSet => "replicaset-controller",
            ControllerId::ReplicationController => "replication-controller",
            ControllerId::DaemonSet => "daemonset-controller",
            ControllerId::Endpoints => "endpoint-controller",
            ControllerId::ResourceQuota => "resourcequota-controller",
            ControllerId::Job => "job-controller",
            ControllerId::CronJob => "cronjob-controller",
            ControllerId::StatefulSet => "statefulset-controller",
            ControllerId::Disruption => "controllermanager",
            ControllerId::PersistentVolumeBinder => "persistentvolume-controller",
            ControllerId::PvcProtection => "pvc-protection-controller",
            ControllerId::PvProtection => "pv-protection-controller",
            ControllerId::HorizontalPodAutoscaler => "horizontal-pod-autoscaler",
        }
    }
}

/// What a reconciler may touch.
pub struct Ctx<'a> {
    pub api: &'a mut ApiServer,
    pub recorder: &'a mut EventRecorder,
}

impl Ctx<'_> {
    pub fn event(
        &mut self,
        from: ControllerId,
        object: &Object,
        event_type: EventType,
        reason: &str,
        message: &str,
    ) {
        self.recorder.record(
            self.api,
            Source::component(from.component()),
            object,
            event_type,
            reason,
            message,
        );
    }
}

/// A pod that counts towards a controller's replicas: not finished and not being deleted.
pub fn pod_is_active(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    pod.metadata.deletion_timestamp.is_none() && !matches!(phase, Some("Succeeded" | "Failed"))
}

/// The pod's Ready condition is True.
pub fn pod_is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// A pod for `owner` from its template (as `controller.PodControl.CreatePods` builds it).
pub fn pod_from_template(owner: &Object, template: &PodTemplateSpec) -> Pod {
    let mut pod = Pod {
        spec: template.spec.clone(),
        ..Pod::default()
    };
    let tmeta = template.metadata.clone().unwrap_or_default();
    pod.metadata.labels = tmeta.labels;
    pod.metadata.annotations = tmeta.annotations;
    pod.metadata.finalizers = tmeta.finalizers;
    pod.metadata.namespace = Some(owner.namespace().to_owned());
    pod.metadata.generate_name = Some(format!("{}-", owner.name()));
    pod.metadata.owner_references = Some(vec![controller_ref(owner)]);
    pod
}

/// client-go's default per-item rate limiter: 5 ms doubling per failure, capped at 1000 s.
pub fn failure_backoff(failures: u32) -> Duration {
    let millis = 5u64.saturating_mul(1u64 << failures.min(40));
    Duration::from_millis(millis.min(1_000_000))
}
