//! Job: runs pods to completion. `completions`/`parallelism`, `backoffLimit` (failed pods),
//! `activeDeadlineSeconds`, `suspend`, `ttlSecondsAfterFinished` and `completionMode: Indexed`
//! (one pod per completion index, `status.completedIndexes`), with the job-controller's events
//! and conditions.

use super::{Action, ControllerId, Ctx, pod_from_template, pod_is_ready};
use crate::api::{DeleteOptions, timestamp, virtual_time};
use crate::events::EventType;
use crate::objects::{Kind, Object, ObjectKey};
use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus};
use k8s_openapi::api::core::v1::Pod;
use std::time::Duration;

pub const CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
pub const JOB_NAME: &str = "batch.kubernetes.io/job-name";
/// The annotation (and label) carrying an Indexed Job pod's completion index.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
/// The environment variable the controller adds to every container of an Indexed Job.
pub const COMPLETION_INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// An Indexed Job pod's completion index, if it has a valid one.
pub fn completion_index(pod: &Pod) -> Option<i32> {
    pod.metadata
        .annotations
        .as_ref()?
        .get(COMPLETION_INDEX)?
        .parse::<i32>()
        .ok()
        .filter(|i| *i >= 0)
}

/// `status.completedIndexes`: increasing indexes separated by commas, runs of three or more
/// written `first-last` (`1,3-5,7`).
pub fn format_indexes(indexes: &std::collections::BTreeSet<i32>) -> String {
    let mut runs: Vec<(i32, i32)> = Vec::new();
    for &i in indexes {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == i => *last = i,
            _ => runs.push((i, i)),
        }
    }
    runs.iter()
        .map(|&(first, last)| match last - first {
            0 => first.to_string(),
            1 => format!("{first},{last}"),
            _ => format!("{first}-{last}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses `status.completedIndexes` back (malformed parts are skipped).
pub fn parse_indexes(text: &str) -> std::collections::BTreeSet<i32> {
    let mut out = std::collections::BTreeSet::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (first, last) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(first), Ok(last)) = (first.parse::<i32>(), last.parse::<i32>())
            && 0 <= first
            && first <= last
        {
            out.extend(first..=last);
        }
    }
    out
}

/// The pod of one completion index: annotation and label, `JOB_COMPLETION_INDEX` in every
/// container (unless one is already named so), hostname `JOB-INDEX`, name `JOB-INDEX-xxxxx`.
fn indexed_pod(mut pod: Pod, job_name: &str, index: i32) -> Pod {
    use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector};
    let value = index.to_string();
    pod.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(COMPLETION_INDEX.to_owned(), value.clone());
    pod.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(COMPLETION_INDEX.to_owned(), value);
    pod.metadata.generate_name = Some(format!("{job_name}-{index}-"));
    if let Some(spec) = pod.spec.as_mut() {
        if spec.hostname.as_deref().is_none_or(str::is_empty) {
            spec.hostname = Some(format!("{job_name}-{index}"));
        }
        let containers = spec
            .init_containers
            .iter_mut()
            .flatten()
            .chain(spec.containers.iter_mut());
        for container in containers {
            let env = container.env.get_or_insert_with(Vec::new);
            if env.iter().any(|e| e.name == COMPLETION_INDEX_ENV) {
                continue;
            }
            env.push(EnvVar {
                name: COMPLETION_INDEX_ENV.to_owned(),
                value: None,
                value_from: Some(EnvVarSource {
                    field_ref: Some(ObjectFieldSelector {
                        api_version: Some("v1".to_owned()),
                        field_path: format!("metadata.annotations['{COMPLETION_INDEX}']"),
                    }),
                    ..EnvVarSource::default()
                }),
            });
        }
    }
    pod
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

fn finished(job: &Job) -> Option<&JobCondition> {
    job.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
}

fn condition(
    type_: &str,
    reason: Option<&str>,
    message: Option<&str>,
    at: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
) -> JobCondition {
    JobCondition {
        type_: type_.to_owned(),
        status: "True".to_owned(),
        reason: reason.map(str::to_owned),
        message: message.map(str::to_owned),
        last_probe_time: Some(at.clone()),
        last_transition_time: Some(at.clone()),
    }
}

pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(Object::Job(job)) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    if job.metadata.deletion_timestamp.is_some() {
        return Action::AwaitChange;
    }
    let now = ctx.api.now();
    let owner = Object::Job(job.clone());
    let spec = job.spec.clone().unwrap_or_default();
    let uid = job.metadata.uid.clone().unwrap_or_default();
    if let Some(done) = finished(&job) {
        // TTL-after-finished controller.
        if let Some(ttl) = spec.ttl_seconds_after_finished {
            let at = done
                .last_transition_time
                .as_ref()
                .map(virtual_time)
                .unwrap_or(now);
            let due =
                at.saturating_add(Duration::from_secs(u64::try_from(ttl.max(0)).unwrap_or(0)));
            if now >= due {
                let _ = ctx.api.delete(
                    Kind::Job,
                    &key.namespace,
                    &key.name,
                    &DeleteOptions::default(),
                );
                return Action::AwaitChange;
            }
            return Action::RequeueAfter(due.saturating_since(now));
        }
        return Action::AwaitChange;
    }
    let pods: Vec<Pod> = ctx
        .api
        .store()
        .controlled_by(&uid, Kind::Pod, &key.namespace)
        .filter_map(Object::as_pod)
        .cloned()
        .collect();
    let active: Vec<&Pod> = pods
        .iter()
        .filter(|p| {
            p.metadata.deletion_timestamp.is_none() && !matches!(phase(p), "Succeeded" | "Failed")
        })
        .collect();
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    let index_limit = spec.completions.unwrap_or(0);
    // Indexed: an index is done once one of its pods succeeded (kept in the status, as pods of
    // done indexes may be gone); `succeeded` counts done indexes.
    let mut completed: std::collections::BTreeSet<i32> = if indexed {
        job.status
            .as_ref()
            .and_then(|s| s.completed_indexes.as_deref())
            .map(parse_indexes)
            .unwrap_or_default()
    } else {
        Default::default()
    };
    if indexed {
        completed.extend(
            pods.iter()
                .filter(|p| phase(p) == "Succeeded")
                .filter_map(completion_index)
                .filter(|i| *i < index_limit),
        );
    }
    let succeeded = if indexed {
        completed.len() as i32
    } else {
        pods.iter().filter(|p| phase(p) == "Succeeded").count() as i32
    };
    let failed = pods.iter().filter(|p| phase(p) == "Failed").count() as i32;
    let ready = active.iter().filter(|p| pod_is_ready(p)).count() as i32;
    let mut status = job.status.clone().unwrap_or_default();
    let start = status.start_time.clone().unwrap_or_else(|| timestamp(now));
    let ts = timestamp(now);
    let mut requeue = None;
    let mut outcome: Option<JobCondition> = None;
    let parallelism = spec.parallelism.unwrap_or(1).max(0);
    let suspended = spec.suspend.unwrap_or(false);
    if failed > spec.backoff_limit.unwrap_or(6) {
        outcome = Some(condition(
            "Failed",
            Some("BackoffLimitExceeded"),
            Some("Job has reached the specified backoff limit"),
            &ts,
        ));
    } else if let Some(deadline) = spec.active_deadline_seconds.filter(|_| !suspended) {
        let due = virtual_time(&start).saturating_add(Duration::from_secs(
            u64::try_from(deadline.max(0)).unwrap_or(0),
        ));
        if now >= due {
            outcome = Some(condition(
                "Failed",
                Some("DeadlineExceeded"),
                Some("Job was active longer than specified deadline"),
                &ts,
            ));
        } else {
            requeue = Some(due.saturating_since(now));
        }
    }
    let complete = match spec.completions {
        Some(c) => succeeded >= c,
        None => succeeded > 0 && active.is_empty(),
    };
    if outcome.is_none() && complete {
        outcome = Some(condition("Complete", None, None, &ts));
    }
    let mut active_now = active.len() as i32;
    if let Some(cond) = &outcome {
        for pod in &active {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let _ = ctx
                .api
                .delete(Kind::Pod, &key.namespace, &name, &DeleteOptions::default());
        }
        active_now = 0;
        match cond.type_.as_str() {
            "Complete" => {
                ctx.event(
                    ControllerId::Job,
                    &owner,
                    EventType::Normal,
                    "Completed",
                    "Job completed",
                );
                status.completion_time = Some(ts);
            }
            _ => {
                let reason = cond.reason.clone().unwrap_or_default();
                let message = cond.message.clone().unwrap_or_default();
                ctx.event(
                    ControllerId::Job,
                    &owner,
                    EventType::Warning,
                    &reason,
                    &message,
                );
            }
        }
        let mut conditions = status.conditions.clone().unwrap_or_default();
        if cond.type_ == "Failed" {
            conditions.push(JobCondition {
                type_: "FailureTarget".to_owned(),
                ..cond.clone()
            });
        } else {
            conditions.push(JobCondition {
                type_: "SuccessCriteriaMet".to_owned(),
                ..cond.clone()
            });
        }
        conditions.push(cond.clone());
        status.conditions = Some(conditions);
    } else if suspended {
        for pod in &active {
            let name = pod.metadata.name.clone().unwrap_or_default();
            if ctx
                .api
                .delete(Kind::Pod, &key.namespace, &name, &DeleteOptions::default())
                .is_ok()
            {
                ctx.event(
                    ControllerId::Job,
                    &owner,
                    EventType::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted pod: {name}"),
                );
            }
        }
        active_now = 0;
    } else {
        let remaining = match spec.completions {
            Some(c) => (c - succeeded).max(0),
            None if succeeded > 0 => 0,
            None => parallelism,
        };
        let want = parallelism.min(remaining);
        let mut template = spec.template.clone();
        let labels = template
            .metadata
            .get_or_insert_with(Default::default)
            .labels
            .get_or_insert_with(Default::default);
        for (k, v) in [
            (CONTROLLER_UID, uid.as_str()),
            (JOB_NAME, key.name.as_str()),
            ("controller-uid", uid.as_str()),
            ("job-name", key.name.as_str()),
        ] {
            labels.entry(k.to_owned()).or_insert_with(|| v.to_owned());
        }
        // At most 500 creations per sync, like the ReplicaSet's burst.
        let missing = (want - active_now).clamp(0, 500);
        // Indexed: the lowest indexes neither done nor held by an active pod, first.
        let mut free_indexes = if indexed {
            let taken: std::collections::BTreeSet<i32> =
                active.iter().filter_map(|p| completion_index(p)).collect();
            (0..index_limit)
                .filter(|i| !completed.contains(i) && !taken.contains(i))
                .take(usize::try_from(missing).unwrap_or(0))
                .collect::<Vec<i32>>()
                .into_iter()
        } else {
            Vec::new().into_iter()
        };
        for _ in 0..missing {
            let mut pod = pod_from_template(&owner, &template);
            if indexed {
                let Some(index) = free_indexes.next() else {
                    break;
                };
                pod = indexed_pod(pod, &key.name, index);
            }
            match ctx.api.create(Object::Pod(Box::new(pod))) {
                Ok(created) => {
                    active_now += 1;
                    ctx.event(
                        ControllerId::Job,
                        &owner,
                        EventType::Normal,
                        "SuccessfulCreate",
                        &format!("Created pod: {}", created.name()),
                    );
                }
                Err(e) => {
                    ctx.event(
                        ControllerId::Job,
                        &owner,
                        EventType::Warning,
                        "FailedCreate",
                        &format!("Error creating: {}", e.message),
                    );
                    requeue = Some(Duration::from_secs(10));
                    break;
                }
            }
        }
    }
    let new_status = JobStatus {
        active: (active_now > 0).then_some(active_now),
        succeeded: (succeeded > 0).then_some(succeeded),
        failed: (failed > 0).then_some(failed),
        ready: Some(if outcome.is_some() { 0 } else { ready }),
        terminating: Some(0),
        start_time: if suspended && status.start_time.is_none() {
            None
        } else {
            Some(start)
        },
        uncounted_terminated_pods: Some(Default::default()),
        completed_indexes: (indexed && !completed.is_empty()).then(|| format_indexes(&completed)),
        ..status
    };
    if job.status.as_ref() != Some(&new_status) {
        let mut job = job;
        job.status = Some(new_status);
        job.metadata.resource_version = None;
        let _ = ctx.api.update_status_shared(Object::Job(job));
        if spec.ttl_seconds_after_finished.is_some() && outcome.is_some() {
            return Action::RequeueAfter(Duration::ZERO);
        }
    }
    requeue.map_or(Action::AwaitChange, Action::RequeueAfter)
}
