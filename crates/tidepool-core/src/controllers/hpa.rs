//! HorizontalPodAutoscaler (autoscaling/v2), after v1.32's `pkg/controller/podautoscaler`:
//! every 15 s it reads the target's scale (`spec.replicas` and selector of a Deployment,
//! ReplicaSet, StatefulSet or ReplicationController), the pods' usage from metrics-server (the
//! kubelet's figures, available once a container has run for one 15 s scrape) and their
//! requests, and proposes `ceil(readyPods * usage / target)` with the 10% tolerance, the
//! missing-metrics and unready-pod rules of `GetResourceReplicas`. The proposal is stabilised
//! over the scale-down window (300 s by default: the highest recommendation of the window wins),
//! limited to `max(2 * current, 4)` per sync (the default scale-up policies: 100% or 4 pods per
//! 15 s) and clamped to min/max, with the controller's conditions, events and status.
//!
//! The recommendation history lives in [`HpaHistory`], owned by the `Simulation` (the real
//! controller keeps it in memory too) and saved in snapshots.

use super::{Action, ControllerId, Ctx};
use crate::api::{timestamp, virtual_time};
use crate::events::EventType;
use crate::objects::{Kind, Object, ObjectKey};
use crate::selector::{self, Labels};
use crate::{VirtualTime, quantity};
use k8s_openapi::api::autoscaling::v2::{
    HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus,
    MetricSpec, MetricStatus, MetricValueStatus, ResourceMetricStatus,
};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// `--horizontal-pod-autoscaler-sync-period`.
pub const SYNC_PERIOD: Duration = Duration::from_secs(15);
/// `--horizontal-pod-autoscaler-downscale-stabilization`.
pub const DOWNSCALE_STABILIZATION: Duration = Duration::from_secs(300);
/// `--horizontal-pod-autoscaler-tolerance`.
const TOLERANCE: f64 = 0.1;
/// `--horizontal-pod-autoscaler-cpu-initialization-period`.
const CPU_INITIALIZATION_PERIOD: Duration = Duration::from_secs(300);
/// `--horizontal-pod-autoscaler-initial-readiness-delay`.
const INITIAL_READINESS_DELAY: Duration = Duration::from_secs(30);
/// metrics-server's resolution: a pod has a usage point one scrape after a container started.
pub const METRIC_WINDOW: Duration = Duration::from_secs(15);

/// The default `behavior` rules the apiserver fills in (type, value, periodSeconds).
pub const SCALE_UP_POLICIES: &[(&str, i32, i32)] = &[("Pods", 4, 15), ("Percent", 100, 15)];
pub const SCALE_DOWN_POLICIES: &[(&str, i32, i32)] = &[("Percent", 100, 15)];

/// A pod's current usage as metrics-server reports it: (CPU millicores, memory bytes), or
/// `None` when the kubelet runs no container of it.
pub type PodUsage<'a> = &'a dyn Fn(&str, &str) -> Option<(u64, u64)>;

/// Each autoscaler's recent recommendations (virtual ms, replicas), for the scale-down
/// stabilisation window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HpaHistory {
    recommendations: BTreeMap<ObjectKey, Vec<(u64, i32)>>,
    /// Rescales of autoscalers with a `behavior` (virtual ms, replicas added or removed), for
    /// the policies' periods (`scaleUpEvents`/`scaleDownEvents`).
    #[serde(default)]
    scale_events: BTreeMap<ObjectKey, Vec<(u64, i32)>>,
}

impl HpaHistory {
    /// `stabilizeRecommendation`: the highest recommendation within the window, recording this
    /// one (in the slot of an expired sample, if any).
    fn stabilize(
        &mut self,
        key: &ObjectKey,
        now: VirtualTime,
        window: Duration,
        proposal: i32,
    ) -> i32 {
        let now_ms = now.as_millis();
        let cutoff = now_ms.saturating_sub(u64::try_from(window.as_millis()).unwrap_or(u64::MAX));
        let samples = self.recommendations.entry(key.clone()).or_default();
        let mut highest = proposal;
        let mut old_sample = None;
        for (i, &(at, replicas)) in samples.iter().enumerate() {
            if at < cutoff {
                old_sample = Some(i);
            } else if replicas > highest {
                highest = replicas;
            }
        }
        match old_sample.and_then(|i| samples.get_mut(i)) {
            Some(slot) => *slot = (now_ms, proposal),
            None => samples.push((now_ms, proposal)),
        }
        highest
    }

    /// `stabilizeRecommendationWithBehaviors`: the proposal held between the lowest
    /// recommendation of the scale-up window and the highest of the scale-down window.
    fn stabilize_with_windows(
        &mut self,
        key: &ObjectKey,
        now: VirtualTime,
        (up_window, down_window): (Duration, Duration),
        current: i32,
        proposal: i32,
    ) -> i32 {
        let now_ms = now.as_millis();
        let cutoff =
            |w: Duration| now_ms.saturating_sub(u64::try_from(w.as_millis()).unwrap_or(u64::MAX));
        let (up_cutoff, down_cutoff) = (cutoff(up_window), cutoff(down_window));
        let samples = self.recommendations.entry(key.clone()).or_default();
        let (mut up, mut down) = (proposal, proposal);
        let mut old_sample = None;
        for (i, &(at, replicas)) in samples.iter().enumerate() {
            if at > up_cutoff {
                up = up.min(replicas);
            }
            if at > down_cutoff {
                down = down.max(replicas);
            }
            if at < up_cutoff && at < down_cutoff {
                old_sample = Some(i);
            }
        }
        match old_sample.and_then(|i| samples.get_mut(i)) {
            Some(slot) => *slot = (now_ms, proposal),
            None => samples.push((now_ms, proposal)),
        }
        current.max(up).min(down)
    }

    /// Replicas added (`up`) or removed in the last `period_seconds` (`getReplicasChangePerPeriod`).
    fn change_in_period(
        &self,
        key: &ObjectKey,
        now: VirtualTime,
        period_seconds: i32,
        up: bool,
    ) -> i32 {
        let period = u64::try_from(period_seconds).unwrap_or(0) * 1000;
        let cutoff = now.as_millis().saturating_sub(period);
        self.scale_events
            .get(key)
            .into_iter()
            .flatten()
            .filter(|(at, change)| *at > cutoff && (*change > 0) == up)
            .map(|(_, change)| change.abs())
            .sum()
    }

    /// `storeScaleEvent`: remembers a rescale, dropping events older than the longest period
    /// (30 minutes, the validation's maximum).
    fn store_scale_event(&mut self, key: &ObjectKey, now: VirtualTime, change: i32) {
        let events = self.scale_events.entry(key.clone()).or_default();
        let cutoff = now.as_millis().saturating_sub(1_800_000);
        events.retain(|(at, _)| *at > cutoff);
        events.push((now.as_millis(), change));
    }

    /// Forgets autoscalers that no longer exist.
    fn retain(&mut self, alive: impl Fn(&ObjectKey) -> bool) {
        self.recommendations.retain(|k, _| alive(k));
        self.scale_events.retain(|k, _| alive(k));
    }
}

/// The scale subresource of a target: replicas, selector and the target itself.
struct Scale {
    kind: Kind,
    replicas: i32,
    selector: Option<LabelSelector>,
}

fn scale_of(object: &Object) -> Option<Scale> {
    let (replicas, selector) = match object {
        Object::Deployment(d) => {
            let spec = d.spec.as_ref()?;
            (spec.replicas.unwrap_or(1), Some(spec.selector.clone()))
        }
        Object::ReplicaSet(rs) => {
            let spec = rs.spec.as_ref()?;
            (spec.replicas.unwrap_or(1), Some(spec.selector.clone()))
        }
        Object::StatefulSet(s) => {
            let spec = s.spec.as_ref()?;
            (spec.replicas.unwrap_or(1), Some(spec.selector.clone()))
        }
        Object::ReplicationController(rc) => {
            let spec = rc.spec.as_ref()?;
            let selector = spec.selector.clone().map(|labels| LabelSelector {
                match_labels: Some(labels),
                ..LabelSelector::default()
            });
            (spec.replicas.unwrap_or(1), selector)
        }
        _ => return None,
    };
    Some(Scale {
        kind: object.kind(),
        replicas,
        selector,
    })
}

/// `setConditionInList`: the transition time moves only when the status changes.
/// Records ScalingLimited (true when clamping moved the count off the stabilized
/// recommendation) and returns the count.
fn scaling_limited(
    status: &mut HorizontalPodAutoscalerStatus,
    now: VirtualTime,
    desired: i32,
    stabilized: i32,
    reason: &str,
    message: &str,
) -> i32 {
    let limited = if desired == stabilized {
        "False"
    } else {
        "True"
    };
    set_condition(
        status,
        now,
        "ScalingLimited",
        limited,
        reason,
        message.to_owned(),
    );
    desired
}

fn set_condition(
    status: &mut HorizontalPodAutoscalerStatus,
    now: VirtualTime,
    type_: &str,
    value: &str,
    reason: &str,
    message: String,
) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let index = match conditions.iter().position(|c| c.type_ == type_) {
        Some(i) => i,
        None => {
            conditions.push(HorizontalPodAutoscalerCondition {
                type_: type_.to_owned(),
                ..HorizontalPodAutoscalerCondition::default()
            });
            conditions.len() - 1
        }
    };
    if let Some(c) = conditions.get_mut(index) {
        if c.status != value {
            c.last_transition_time = Some(timestamp(now));
        }
        c.status = value.to_owned();
        c.reason = Some(reason.to_owned());
        c.message = Some(message);
    }
}

/// One metric's outcome: a replica proposal and its status, or the error texts.
struct Proposal {
    replicas: i32,
    status: MetricStatus,
    name: String,
}

/// A milli-value as `resource.NewMilliQuantity(v, DecimalSI).String()` prints it.
fn milli_quantity(milli: i64) -> Quantity {
    Quantity(
        quantity::Amount {
            milli: i128::from(milli),
            format: quantity::QuantityFormat::DecimalSi,
        }
        .to_canonical(),
    )
}

/// The sum of one resource's requests over a pod's containers, in milli-units, or
/// `missing request for ...` (`calculateRequests`).
fn pod_request(pod: &Pod, resource: &str) -> Result<i64, String> {
    let mut total = 0i64;
    for c in pod.spec.iter().flat_map(|s| s.containers.iter()) {
        let request = c
            .resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get(resource))
            .and_then(|q| quantity::parse(&q.0));
        match request {
            Some(amount) => total += i64::try_from(amount.milli).unwrap_or(i64::MAX / 4),
            None => {
                return Err(format!(
                    "missing request for {resource} in container {} of Pod {}",
                    c.name,
                    pod.metadata.name.as_deref().unwrap_or("")
                ));
            }
        }
    }
    Ok(total)
}

/// When metrics-server's first point for the pod exists: one window after its earliest running
/// container started.
fn metric_since(pod: &Pod) -> Option<VirtualTime> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .filter_map(|c| c.state.as_ref()?.running.as_ref()?.started_at.as_ref())
        .map(virtual_time)
        .min()
        .map(|t| t.saturating_add(METRIC_WINDOW))
}

/// `GetResourceUtilizationRatio`: (ratio, utilization %, raw average).
fn utilization_ratio(
    metrics: &BTreeMap<String, i64>,
    requests: &BTreeMap<String, i64>,
    target: i32,
) -> Result<(f64, i32, i64), String> {
    let (mut usage, mut requested, mut entries) = (0i64, 0i64, 0i64);
    for (pod, value) in metrics {
        if let Some(request) = requests.get(pod) {
            usage += value;
            requested += request;
            entries += 1;
        }
    }
    if requested == 0 {
        return Err("no metrics returned matched known pods".to_owned());
    }
    let utilization = i32::try_from(usage * 100 / requested).unwrap_or(i32::MAX);
    Ok((
        f64::from(utilization) / f64::from(target.max(1)),
        utilization,
        usage / entries.max(1),
    ))
}

/// `GetResourceReplicas` for a Utilization target; `AverageValue` targets use the raw average.
#[allow(clippy::too_many_arguments)]
fn resource_replicas(
    pods: &[&Pod],
    usage: PodUsage<'_>,
    now: VirtualTime,
    resource: &str,
    current_replicas: i32,
    utilization_target: Option<i32>,
    average_target: Option<i64>,
) -> Result<(i32, MetricValueStatus), String> {
    let mut metrics: BTreeMap<String, i64> = BTreeMap::new();
    for pod in pods {
        let name = pod.metadata.name.as_deref().unwrap_or("");
        let scraped = metric_since(pod).is_some_and(|t| t <= now);
        if let Some((cpu, memory)) =
            usage(pod.metadata.namespace.as_deref().unwrap_or(""), name).filter(|_| scraped)
        {
            let value = if resource == "cpu" {
                cpu.saturating_mul(1)
            } else {
                memory.saturating_mul(1000)
            };
            metrics.insert(
                name.to_owned(),
                i64::try_from(value).unwrap_or(i64::MAX / 4),
            );
        }
    }
    if metrics.is_empty() {
        return Err(format!(
            "unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
        ));
    }
    if pods.is_empty() {
        return Err("no pods returned by selector while calculating replica count".to_owned());
    }
    // groupPods
    let mut ready_count = 0i32;
    let (mut unready, mut missing) = (BTreeSet::new(), BTreeSet::new());
    for pod in pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let status = pod.status.as_ref();
        let phase = status.and_then(|s| s.phase.as_deref());
        if pod.metadata.deletion_timestamp.is_some() || phase == Some("Failed") {
            metrics.remove(&name);
            continue;
        }
        if phase == Some("Pending") {
            metrics.remove(&name);
            unready.insert(name);
            continue;
        }
        if !metrics.contains_key(&name) {
            missing.insert(name);
            continue;
        }
        if resource == "cpu" {
            let ready = status
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"));
            let start = status.and_then(|s| s.start_time.as_ref()).map(virtual_time);
            let is_unready = match (ready, start) {
                (Some(condition), Some(start)) => {
                    let transition = condition
                        .last_transition_time
                        .as_ref()
                        .map_or(start, virtual_time);
                    if start.saturating_add(CPU_INITIALIZATION_PERIOD) > now {
                        // The sample is the current instant's: it predates the transition's
                        // first full window when the pod became ready less than 15 s ago.
                        condition.status == "False"
                            || now < transition.saturating_add(METRIC_WINDOW)
                    } else {
                        condition.status == "False"
                            && start.saturating_add(INITIAL_READINESS_DELAY) > transition
                    }
                }
                _ => true,
            };
            if is_unready {
                metrics.remove(&name);
                unready.insert(name);
                continue;
            }
        }
        ready_count += 1;
    }
    if metrics.is_empty() {
        return Err("did not receive metrics for targeted pods (pods might be unready)".to_owned());
    }
    if let Some(target) = average_target {
        // AverageValue (`GetRawResourceReplicas`): the average usage over the pods with
        // metrics against the target; missing pods are not filled in here.
        let total: i64 = metrics.values().sum();
        let average = total / i64::try_from(metrics.len()).unwrap_or(1).max(1);
        let ratio = average as f64 / target.max(1) as f64;
        let replicas = if (1.0 - ratio).abs() <= TOLERANCE {
            current_replicas
        } else {
            (ratio * f64::from(i32::try_from(metrics.len()).unwrap_or(i32::MAX))).ceil() as i32
        };
        return Ok((
            replicas,
            MetricValueStatus {
                average_value: Some(milli_quantity(average)),
                ..MetricValueStatus::default()
            },
        ));
    }
    // Only a Utilization target needs requests (`calculateRequests`).
    let mut requests = BTreeMap::new();
    for pod in pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        requests.insert(name, pod_request(pod, resource)?);
    }
    let target = utilization_target.unwrap_or(80);
    let (ratio, utilization, raw) = utilization_ratio(&metrics, &requests, target)?;
    let status = MetricValueStatus {
        average_utilization: Some(utilization),
        average_value: Some(milli_quantity(raw)),
        value: None,
    };
    let scale_up_with_unready = !unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && missing.is_empty() {
        if (1.0 - ratio).abs() <= TOLERANCE {
            return Ok((current_replicas, status));
        }
        return Ok(((ratio * f64::from(ready_count)).ceil() as i32, status));
    }
    for name in &missing {
        let request = requests.get(name).copied().unwrap_or(0);
        if ratio < 1.0 {
            let fallback = i64::from(target.max(100));
            metrics.insert(name.clone(), request * fallback / 100);
        } else if ratio > 1.0 {
            metrics.insert(name.clone(), 0);
        }
    }
    if scale_up_with_unready {
        for name in &unready {
            metrics.insert(name.clone(), 0);
        }
    }
    let (new_ratio, _, _) = utilization_ratio(&metrics, &requests, target)?;
    if (1.0 - new_ratio).abs() <= TOLERANCE
        || (ratio < 1.0 && new_ratio > 1.0)
        || (ratio > 1.0 && new_ratio < 1.0)
    {
        return Ok((current_replicas, status));
    }
    let counted = f64::from(i32::try_from(metrics.len()).unwrap_or(i32::MAX));
    let replicas = (new_ratio * counted).ceil() as i32;
    if (new_ratio < 1.0 && replicas > current_replicas)
        || (new_ratio > 1.0 && replicas < current_replicas)
    {
        return Ok((current_replicas, status));
    }
    Ok((replicas, status))
}

/// One metric spec's proposal (`computeReplicasForMetric`); only Resource metrics are served.
fn metric_replicas(
    spec: &MetricSpec,
    pods: &[&Pod],
    usage: PodUsage<'_>,
    now: VirtualTime,
    current_replicas: i32,
) -> Result<Proposal, (String, String)> {
    let Some(resource) = spec.resource.as_ref().filter(|_| spec.type_ == "Resource") else {
        let message = format!("metric source type {:?} is not simulated", spec.type_);
        return Err(("FailedGetResourceMetric".to_owned(), message));
    };
    let name = resource.name.as_str();
    let average_target = resource
        .target
        .average_value
        .as_ref()
        .and_then(|q| quantity::parse(&q.0))
        .map(|a| i64::try_from(a.milli).unwrap_or(i64::MAX / 4));
    let outcome = resource_replicas(
        pods,
        usage,
        now,
        name,
        current_replicas,
        resource.target.average_utilization,
        average_target,
    );
    match outcome {
        Ok((replicas, current)) => Ok(Proposal {
            replicas,
            name: if average_target.is_some() {
                format!("{name} resource")
            } else {
                format!("{name} resource utilization (percentage of request)")
            },
            status: MetricStatus {
                type_: "Resource".to_owned(),
                resource: Some(ResourceMetricStatus {
                    current,
                    name: name.to_owned(),
                }),
                ..MetricStatus::default()
            },
        }),
        Err(e) if average_target.is_some() => Err((
            "FailedGetResourceMetric".to_owned(),
            format!("failed to get {name} usage: {e}"),
        )),
        Err(e) => Err((
            "FailedGetResourceMetric".to_owned(),
            format!("failed to get {name} utilization: {e}"),
        )),
    }
}

/// The target's GroupResource as errors name it (`deployments.apps`).
fn target_resource(kind: &str, api_version: &str) -> Option<Kind> {
    let group = api_version.split_once('/').map_or("", |(g, _)| g);
    [
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::ReplicationController,
    ]
    .into_iter()
    .find(|k| k.name() == kind && k.group() == group)
}

pub fn reconcile(
    ctx: &mut Ctx<'_>,
    key: &ObjectKey,
    usage: PodUsage<'_>,
    history: &mut HpaHistory,
) -> Action {
    let Some(Object::HorizontalPodAutoscaler(hpa)) = ctx.api.store().get(key).cloned() else {
        history.retain(|k| k != key);
        return Action::AwaitChange;
    };
    if hpa.metadata.deletion_timestamp.is_some() {
        return Action::AwaitChange;
    }
    let now = ctx.api.now();
    let mut hpa: HorizontalPodAutoscaler = *hpa;
    let original = hpa.status.clone();
    let spec = hpa.spec.clone().unwrap_or_default();
    let mut status = hpa.status.clone().unwrap_or_default();
    let as_object = Object::from(hpa.clone());
    let api_version = spec
        .scale_target_ref
        .api_version
        .clone()
        .unwrap_or_default();

    let target_kind = target_resource(&spec.scale_target_ref.kind, &api_version);
    let scale = match target_kind {
        Some(kind) => ctx
            .api
            .get_ref(kind, &key.namespace, &spec.scale_target_ref.name)
            .map_err(|e| e.message)
            .and_then(|o| scale_of(o).ok_or_else(|| "the target has no spec".to_owned())),
        None => Err(format!(
            "unable to determine resource for scale target reference: no matches for kind {:?} in group {:?}",
            spec.scale_target_ref.kind,
            api_version.split_once('/').map_or("", |(g, _)| g)
        )),
    };
    let scale = match scale {
        Ok(scale) => scale,
        Err(message) => {
            ctx.event(
                ControllerId::HorizontalPodAutoscaler,
                &as_object,
                EventType::Warning,
                "FailedGetScale",
                &message,
            );
            set_condition(
                &mut status,
                now,
                "AbleToScale",
                "False",
                "FailedGetScale",
                format!(
                    "the HPA controller was unable to get the target's current scale: {message}"
                ),
            );
            status.current_replicas = None;
            status.current_metrics = None;
            write_status(ctx, &mut hpa, original, status);
            return Action::RequeueAfter(SYNC_PERIOD);
        }
    };
    set_condition(
        &mut status,
        now,
        "AbleToScale",
        "True",
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale".to_owned(),
    );
    let current = scale.replicas;
    let min = spec.min_replicas.unwrap_or(1);
    let max = spec.max_replicas;
    let mut metric_statuses: Option<Vec<MetricStatus>> = None;
    let (desired, reason) = if current == 0 && min != 0 {
        set_condition(
            &mut status,
            now,
            "ScalingActive",
            "False",
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero".to_owned(),
        );
        (0, String::new())
    } else if current > max {
        (
            max,
            "Current number of replicas above Spec.MaxReplicas".to_owned(),
        )
    } else if current < min {
        (
            min,
            "Current number of replicas below Spec.MinReplicas".to_owned(),
        )
    } else {
        let labels_match = |pod: &Pod| {
            let empty = Labels::new();
            let labels = pod.metadata.labels.as_ref().unwrap_or(&empty);
            scale
                .selector
                .as_ref()
                .is_some_and(|s| selector::matches(s, labels))
        };
        let owned_pods: Vec<Pod> = ctx
            .api
            .store()
            .list(Kind::Pod, Some(&key.namespace))
            .filter_map(Object::as_pod)
            .filter(|p| labels_match(p))
            .cloned()
            .collect();
        let pods: Vec<&Pod> = owned_pods.iter().collect();
        let metrics = spec.metrics.clone().unwrap_or_default();
        let mut statuses = vec![MetricStatus::default(); metrics.len()];
        let mut best: Option<(i32, String)> = None;
        let mut first_error: Option<(String, String)> = None;
        let mut invalid = 0usize;
        for (i, metric) in metrics.iter().enumerate() {
            match metric_replicas(metric, &pods, usage, now, current) {
                Ok(p) => {
                    if best.as_ref().is_none_or(|(r, _)| p.replicas > *r) {
                        best = Some((p.replicas, p.name.clone()));
                    }
                    if let Some(slot) = statuses.get_mut(i) {
                        *slot = p.status;
                    }
                }
                Err((reason, message)) => {
                    invalid += 1;
                    ctx.event(
                        ControllerId::HorizontalPodAutoscaler,
                        &as_object,
                        EventType::Warning,
                        &reason,
                        &message,
                    );
                    first_error.get_or_insert((reason, message));
                }
            }
        }
        metric_statuses = Some(statuses);
        let proposal = best.as_ref().map_or(0, |(r, _)| *r);
        if let Some((reason, message)) = first_error
            .clone()
            .filter(|_| invalid >= metrics.len() || proposal < current)
        {
            set_condition(
                &mut status,
                now,
                "ScalingActive",
                "False",
                &reason,
                format!("the HPA was unable to compute the replica count: {message}"),
            );
            status.current_replicas = Some(current);
            status.current_metrics = metric_statuses;
            ctx.event(
                ControllerId::HorizontalPodAutoscaler,
                &as_object,
                EventType::Warning,
                "FailedComputeMetricsReplicas",
                &format!(
                    "invalid metrics ({invalid} invalid out of {}), first error is: {message}",
                    metrics.len()
                ),
            );
            write_status(ctx, &mut hpa, original, status);
            return Action::RequeueAfter(SYNC_PERIOD);
        }
        let metric_name = best.map(|(_, name)| name).unwrap_or_default();
        set_condition(
            &mut status,
            now,
            "ScalingActive",
            "True",
            "ValidMetricFound",
            format!(
                "the HPA was able to successfully calculate a replica count from {metric_name}"
            ),
        );
        let reason = if proposal > current {
            format!("{metric_name} above target")
        } else if proposal < current {
            "All metrics below target".to_owned()
        } else {
            String::new()
        };
        let desired = normalize(
            &mut status,
            history,
            key,
            now,
            &spec,
            current,
            proposal,
            min,
        );
        (desired, reason)
    };
    let rescale = desired != current;
    if rescale {
        if let Err(e) = ctx.api.scale(
            scale.kind,
            &key.namespace,
            &spec.scale_target_ref.name,
            desired,
        ) {
            let message = e.message;
            set_condition(
                &mut status,
                now,
                "AbleToScale",
                "False",
                "FailedUpdateScale",
                format!("the HPA controller was unable to update the target scale: {message}"),
            );
            ctx.event(
                ControllerId::HorizontalPodAutoscaler,
                &as_object,
                EventType::Warning,
                "FailedRescale",
                &format!("New size: {desired}; reason: {reason}; error: {message}"),
            );
            status.current_replicas = Some(current);
            status.current_metrics = metric_statuses;
            write_status(ctx, &mut hpa, original, status);
            return Action::RequeueAfter(SYNC_PERIOD);
        }
        set_condition(
            &mut status,
            now,
            "AbleToScale",
            "True",
            "SucceededRescale",
            format!("the HPA controller was able to update the target scale to {desired}"),
        );
        ctx.event(
            ControllerId::HorizontalPodAutoscaler,
            &as_object,
            EventType::Normal,
            "SuccessfulRescale",
            &format!("New size: {desired}; reason: {reason}"),
        );
        status.last_scale_time = Some(timestamp(now));
        if spec.behavior.is_some() {
            history.store_scale_event(key, now, desired - current);
        }
    }
    // setStatus
    status.current_replicas = Some(current);
    status.desired_replicas = if rescale { desired } else { current };
    status.current_metrics = metric_statuses;
    write_status(ctx, &mut hpa, original, status);
    Action::RequeueAfter(SYNC_PERIOD)
}

/// `normalizeDesiredReplicas` (no `behavior`) or its behavior-driven variant: stabilise, then
/// limit the scale-up rate and clamp to min/max, setting AbleToScale and ScalingLimited.
#[allow(clippy::too_many_arguments)]
fn normalize(
    status: &mut HorizontalPodAutoscalerStatus,
    history: &mut HpaHistory,
    key: &ObjectKey,
    now: VirtualTime,
    spec: &k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerSpec,
    current: i32,
    proposal: i32,
    min: i32,
) -> i32 {
    if let Some(behavior) = spec.behavior.as_ref() {
        return normalize_with_behavior(
            status, history, key, now, spec, behavior, current, proposal, min,
        );
    }
    let behavior = spec.behavior.as_ref();
    let down_window = behavior
        .and_then(|b| b.scale_down.as_ref())
        .and_then(|r| r.stabilization_window_seconds)
        .map_or(DOWNSCALE_STABILIZATION, |s| {
            Duration::from_secs(u64::try_from(s).unwrap_or(0))
        });
    let stabilized = history.stabilize(key, now, down_window, proposal);
    if stabilized != proposal {
        set_condition(
            status,
            now,
            "AbleToScale",
            "True",
            "ScaleDownStabilized",
            "recent recommendations were higher than current one, applying the highest recent recommendation"
                .to_owned(),
        );
    } else {
        set_condition(
            status,
            now,
            "AbleToScale",
            "True",
            "ReadyForNewScale",
            "recommended size matches current size".to_owned(),
        );
    }
    // Scale-up limit: the default policies allow 100% or 4 pods per 15 s sync.
    let scale_up_limit = behavior
        .and_then(|b| b.scale_up.as_ref())
        .and_then(|r| r.policies.as_ref())
        .map(|policies| {
            policies
                .iter()
                .map(|p| match p.type_.as_str() {
                    "Pods" => current.saturating_add(p.value),
                    _ => {
                        let grown = f64::from(current) * (1.0 + f64::from(p.value) / 100.0);
                        grown.ceil() as i32
                    }
                })
                .max()
                .unwrap_or(current)
        })
        .unwrap_or_else(|| current.saturating_mul(2).max(4));
    let (allowed_max, limit_reason, limit_message) = if spec.max_replicas > scale_up_limit {
        (
            scale_up_limit,
            "ScaleUpLimit",
            "the desired replica count is increasing faster than the maximum scale rate",
        )
    } else {
        (
            spec.max_replicas,
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
        )
    };
    let (desired, reason, message) = if stabilized < min {
        (
            min,
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
        )
    } else if stabilized > allowed_max {
        (allowed_max, limit_reason, limit_message)
    } else {
        (
            stabilized,
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
        )
    };
    scaling_limited(status, now, desired, stabilized, reason, message)
}

/// `normalizeDesiredReplicasWithBehaviors`: both stabilisation windows, then the policies'
/// rate limits over their periods (`convertDesiredReplicasWithBehaviorRate`).
#[allow(clippy::too_many_arguments)]
fn normalize_with_behavior(
    status: &mut HorizontalPodAutoscalerStatus,
    history: &mut HpaHistory,
    key: &ObjectKey,
    now: VirtualTime,
    spec: &k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerSpec,
    behavior: &k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerBehavior,
    current: i32,
    proposal: i32,
    min: i32,
) -> i32 {
    let seconds = |s: Option<i32>, default: Duration| {
        s.map_or(default, |s| {
            Duration::from_secs(u64::try_from(s).unwrap_or(0))
        })
    };
    let up_rules = behavior.scale_up.clone().unwrap_or_default();
    let down_rules = behavior.scale_down.clone().unwrap_or_default();
    let windows = (
        seconds(up_rules.stabilization_window_seconds, Duration::ZERO),
        seconds(
            down_rules.stabilization_window_seconds,
            DOWNSCALE_STABILIZATION,
        ),
    );
    let stabilized = history.stabilize_with_windows(key, now, windows, current, proposal);
    if stabilized != proposal {
        let (reason, message) = if proposal >= current {
            (
                "ScaleUpStabilized",
                "recent recommendations were lower than current one, applying the lowest recent recommendation",
            )
        } else {
            (
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent recommendation",
            )
        };
        set_condition(
            status,
            now,
            "AbleToScale",
            "True",
            reason,
            message.to_owned(),
        );
    } else {
        set_condition(
            status,
            now,
            "AbleToScale",
            "True",
            "ReadyForNewScale",
            "recommended size matches current size".to_owned(),
        );
    }
    // The replica count at the start of each policy's period, and what the policy allows.
    let limit = |rules: &k8s_openapi::api::autoscaling::v2::HPAScalingRules, up: bool| -> i32 {
        let select = rules.select_policy.as_deref().unwrap_or("Max");
        if select == "Disabled" {
            return current;
        }
        // Scaling up, Max picks the largest proposal; scaling down, the smallest.
        let widest = (select != "Min") == up;
        let mut result: Option<i32> = None;
        for policy in rules.policies.iter().flatten() {
            let added = history.change_in_period(key, now, policy.period_seconds, true);
            let removed = history.change_in_period(key, now, policy.period_seconds, false);
            let start = current - added + removed;
            let proposed = match (policy.type_.as_str(), up) {
                ("Pods", true) => start + policy.value,
                ("Pods", false) => start - policy.value,
                (_, true) => {
                    (f64::from(start) * (1.0 + f64::from(policy.value) / 100.0)).ceil() as i32
                }
                (_, false) => (f64::from(start) * (1.0 - f64::from(policy.value) / 100.0)) as i32,
            };
            result = Some(match result {
                None => proposed,
                Some(r) if widest => r.max(proposed),
                Some(r) => r.min(proposed),
            });
        }
        result.unwrap_or(current)
    };
    let (desired, reason, message) = if stabilized > current {
        let up_limit = limit(&up_rules, true).max(current);
        let (allowed, reason, message) = if spec.max_replicas > up_limit {
            (
                up_limit,
                "ScaleUpLimit",
                "the desired replica count is increasing faster than the maximum scale rate",
            )
        } else {
            (
                spec.max_replicas,
                "TooManyReplicas",
                "the desired replica count is more than the maximum replica count",
            )
        };
        if stabilized > allowed {
            (allowed, reason, message)
        } else {
            (
                stabilized,
                "DesiredWithinRange",
                "the desired count is within the acceptable range",
            )
        }
    } else if stabilized < current {
        let down_limit = limit(&down_rules, false).min(current);
        let (allowed, reason, message) = if min < down_limit {
            (
                down_limit,
                "ScaleDownLimit",
                "the desired replica count is decreasing faster than the maximum scale rate",
            )
        } else {
            (
                min,
                "TooFewReplicas",
                "the desired replica count is less than the minimum replica count",
            )
        };
        if stabilized < allowed {
            (allowed, reason, message)
        } else {
            (
                stabilized,
                "DesiredWithinRange",
                "the desired count is within the acceptable range",
            )
        }
    } else {
        (
            stabilized,
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
        )
    };
    scaling_limited(status, now, desired, stabilized, reason, message)
}

/// `updateStatusIfNeeded`: writes only when the status changed.
fn write_status(
    ctx: &mut Ctx<'_>,
    hpa: &mut HorizontalPodAutoscaler,
    original: Option<HorizontalPodAutoscalerStatus>,
    status: HorizontalPodAutoscalerStatus,
) {
    if original.as_ref() == Some(&status) {
        return;
    }
    hpa.status = Some(status);
    // A conflict or a deleted object is retried at the next sync.
    let _ = ctx.api.update_status(Object::from(hpa.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, cpu_request: Option<&str>) -> Pod {
        let resources = match cpu_request {
            Some(cpu) => serde_json::json!({"requests": {"cpu": cpu}}),
            None => serde_json::json!({}),
        };
        let old = "2026-01-01T00:00:00Z";
        let value = serde_json::json!({
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "x", "resources": resources}]},
            "status": {
                "phase": "Running",
                "startTime": old,
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": old}],
                "containerStatuses": [{
                    "name": "c", "image": "x", "imageID": "", "ready": true, "restartCount": 0,
                    "state": {"running": {"startedAt": old}},
                }],
            },
        });
        serde_json::from_value(value).unwrap_or_default()
    }

    fn ten_minutes() -> VirtualTime {
        VirtualTime::from_millis(600_000)
    }

    fn replicas(pods: &[Pod], cpu: u64, current: i32) -> Result<(i32, Option<i32>), String> {
        let refs: Vec<&Pod> = pods.iter().collect();
        let usage = move |_: &str, _: &str| Some((cpu, 0));
        resource_replicas(&refs, &usage, ten_minutes(), "cpu", current, Some(50), None)
            .map(|(r, status)| (r, status.average_utilization))
    }

    #[test]
    fn proposes_ceil_of_ready_pods_times_ratio_with_tolerance() {
        let pods = [pod("a", Some("200m")), pod("b", Some("200m"))];
        // 400m of 200m requested = 200%, four times the 50% target.
        assert_eq!(replicas(&pods, 400, 2), Ok((8, Some(200))));
        // 105m = 52%: within the 10% tolerance, so no change.
        assert_eq!(replicas(&pods, 105, 2), Ok((2, Some(52))));
        // 20m = 10%: a fifth of the target.
        assert_eq!(replicas(&pods, 20, 2), Ok((1, Some(10))));
    }

    #[test]
    fn a_container_without_a_cpu_request_is_an_error() {
        let pods = [pod("a", Some("200m")), pod("b", None)];
        assert_eq!(
            replicas(&pods, 100, 2),
            Err("missing request for cpu in container c of Pod b".to_owned())
        );
    }

    #[test]
    fn no_metrics_yet_is_an_error() {
        let pods = [pod("a", Some("200m"))];
        let refs: Vec<&Pod> = pods.iter().collect();
        let usage = |_: &str, _: &str| None;
        let got = resource_replicas(&refs, &usage, ten_minutes(), "cpu", 1, Some(50), None);
        assert_eq!(
            got.map(|(r, _)| r),
            Err("unable to get metrics for resource cpu: no metrics returned from resource metrics API".to_owned())
        );
    }

    #[test]
    fn scale_down_waits_for_the_highest_recommendation_of_the_window() {
        let mut history = HpaHistory::default();
        let key = ObjectKey::new(Kind::HorizontalPodAutoscaler, "default", "web");
        let at = |s: u64| VirtualTime::from_millis(s * 1000);
        assert_eq!(
            history.stabilize(&key, at(0), DOWNSCALE_STABILIZATION, 5),
            5
        );
        assert_eq!(
            history.stabilize(&key, at(100), DOWNSCALE_STABILIZATION, 1),
            5
        );
        // The 5 is older than 300 s at 301 s: only the later recommendations count.
        assert_eq!(
            history.stabilize(&key, at(301), DOWNSCALE_STABILIZATION, 1),
            1
        );
    }
}
