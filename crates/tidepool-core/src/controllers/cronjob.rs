//! CronJob: creates Jobs on a cron schedule, all on the virtual clock (UTC). Standard 5-field
//! syntax with ranges, lists, steps, month/day names and the `@` macros; concurrencyPolicy
//! (Allow/Forbid/Replace), suspend, startingDeadlineSeconds and history limits.

use super::{Action, ControllerId, Ctx};
use crate::api::{
    DeleteOptions, EPOCH_UNIX_SECONDS, controller_of, controller_ref, timestamp, virtual_time,
};
use crate::clock::VirtualTime;
use crate::events::EventType;
use crate::objects::{Kind, Object, ObjectKey};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::chrono::{DateTime, Datelike, Timelike, Utc};
use std::collections::BTreeSet;
use std::time::Duration;

/// A parsed cron schedule: the allowed values of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: BTreeSet<u32>,
    hours: BTreeSet<u32>,
    days: BTreeSet<u32>,
    months: BTreeSet<u32>,
    weekdays: BTreeSet<u32>,
    /// Both day fields restricted: a day matches if either does (cron's OR rule).
    day_or: bool,
}

fn field(text: &str, min: u32, max: u32, names: &[&str]) -> Result<BTreeSet<u32>, String> {
    let value = |s: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(i as u32 + min);
        }
        s.parse::<u32>().map_err(|_| {
            format!("failed to parse int from {s}: strconv.Atoi: parsing \"{s}\": invalid syntax")
        })
    };
    let mut out = BTreeSet::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .map_err(|_| format!("failed to parse int from {s}"))?,
            ),
            None => (part, 1),
        };
        if step == 0 {
            return Err(format!("step of range should be a positive number: {part}"));
        }
        let (lo, hi) = if range == "*" || range == "?" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            (v, if part.contains('/') { max } else { v })
        };
        // Sunday may be written 7.
        let hi = if max == 6 && hi == 7 { 6 } else { hi };
        if lo < min || hi > max || lo > hi {
            return Err(format!("end of range ({hi}) above maximum ({max}): {part}"));
        }
        out.extend((lo..=hi).step_by(step as usize));
    }
    Ok(out)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Schedule {
    /// Parses standard cron syntax (as robfig/cron's standard parser used by Kubernetes).
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let text = match text.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => other,
        };
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [m, h, dom, mon, dow] = parts.as_slice() else {
            return Err(format!(
                "expected exactly 5 fields, found {}: {text}",
                parts.len()
            ));
        };
        Ok(Schedule {
            minutes: field(m, 0, 59, &[])?,
            hours: field(h, 0, 23, &[])?,
            days: field(dom, 1, 31, &[])?,
            months: field(mon, 1, 12, &MONTHS)?,
            weekdays: field(dow, 0, 6, &WEEKDAYS)?,
            day_or: !dom.starts_with('*') && !dow.starts_with('*'),
        })
    }

    fn day_matches(&self, t: &DateTime<Utc>) -> bool {
        let dom = self.days.contains(&t.day());
        let dow = self.weekdays.contains(&t.weekday().num_days_from_sunday());
        if self.day_or { dom || dow } else { dom && dow }
    }

    /// The first activation strictly after `after` (within ~5 years), in Unix seconds.
    pub fn next_after(&self, after: i64) -> Option<i64> {
        let mut t = DateTime::<Utc>::from_timestamp((after / 60 + 1) * 60, 0)?;
        let limit = after + 5 * 366 * 86_400;
        while t.timestamp() <= limit {
            if !self.months.contains(&t.month()) || !self.day_matches(&t) {
                let next_day = t.date_naive().succ_opt()?.and_hms_opt(0, 0, 0)?;
                t = DateTime::from_naive_utc_and_offset(next_day, Utc);
                continue;
            }
            if !self.hours.contains(&t.hour()) {
                t = DateTime::from_timestamp((t.timestamp() / 3600 + 1) * 3600, 0)?;
                continue;
            }
            if self.minutes.contains(&t.minute()) {
                return Some(t.timestamp());
            }
            t = DateTime::from_timestamp(t.timestamp() + 60, 0)?;
        }
        None
    }
}

fn unix(at: VirtualTime) -> i64 {
    EPOCH_UNIX_SECONDS + i64::try_from(at.as_millis() / 1000).unwrap_or(0)
}

fn at_unix(seconds: i64) -> VirtualTime {
    VirtualTime::from_millis(
        u64::try_from((seconds - EPOCH_UNIX_SECONDS).max(0) * 1000).unwrap_or(0),
    )
}

fn job_finished(job: &Job) -> Option<&str> {
    job.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find_map(|c| {
            ((c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
                .then_some(c.type_.as_str())
        })
}

pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    let Some(Object::CronJob(cj)) = ctx.api.store().get(key).cloned() else {
        return Action::AwaitChange;
    };
    if cj.metadata.deletion_timestamp.is_some() {
        return Action::AwaitChange;
    }
    let owner = Object::CronJob(cj.clone());
    let spec = cj.spec.clone().unwrap_or_default();
    let now = ctx.api.now();
    let uid = cj.metadata.uid.clone().unwrap_or_default();
    let mut jobs: Vec<Job> = ctx
        .api
        .store()
        .list(Kind::Job, Some(&key.namespace))
        .filter_map(Object::as_job)
        .filter(|j| controller_of(&j.metadata).is_some_and(|r| r.uid == uid))
        .cloned()
        .collect();
    jobs.sort_by_key(|j| j.metadata.creation_timestamp.as_ref().map(virtual_time));
    let mut status = cj.status.clone().unwrap_or_default();
    let previously_active: BTreeSet<String> = status
        .active
        .iter()
        .flatten()
        .filter_map(|r| r.name.clone())
        .collect();
    for job in &jobs {
        let name = job.metadata.name.clone().unwrap_or_default();
        if let Some(result) = job_finished(job).filter(|_| previously_active.contains(&name)) {
            {
                ctx.event(
                    ControllerId::CronJob,
                    &owner,
                    EventType::Normal,
                    "SawCompletedJob",
                    &format!("Saw completed job: {name}, status: {result}"),
                );
                if result == "Complete" {
                    status.last_successful_time =
                        job.status.as_ref().and_then(|s| s.completion_time.clone());
                }
            }
        }
    }
    // History limits: delete the oldest finished jobs beyond the limits.
    for (wanted, limit) in [
        ("Complete", spec.successful_jobs_history_limit.unwrap_or(3)),
        ("Failed", spec.failed_jobs_history_limit.unwrap_or(1)),
    ] {
        let done: Vec<&Job> = jobs
            .iter()
            .filter(|j| job_finished(j) == Some(wanted))
            .collect();
        let excess = done
            .len()
            .saturating_sub(usize::try_from(limit.max(0)).unwrap_or(0));
        for job in done.into_iter().take(excess) {
            let name = job.metadata.name.clone().unwrap_or_default();
            let opts = DeleteOptions {
                propagation: crate::api::Propagation::Background,
                grace_period_seconds: None,
            };
            if ctx
                .api
                .delete(Kind::Job, &key.namespace, &name, &opts)
                .is_ok()
            {
                ctx.event(
                    ControllerId::CronJob,
                    &owner,
                    EventType::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted job {name}"),
                );
            }
        }
    }
    let mut active: Vec<Job> = jobs
        .iter()
        .filter(|j| job_finished(j).is_none() && j.metadata.deletion_timestamp.is_none())
        .cloned()
        .collect();
    let schedule = match Schedule::parse(&spec.schedule) {
        Ok(s) => s,
        Err(e) => {
            ctx.event(
                ControllerId::CronJob,
                &owner,
                EventType::Warning,
                "UnparseableSchedule",
                &format!("unparseable schedule: {:?} : {e}", spec.schedule),
            );
            return Action::AwaitChange;
        }
    };
    let since = status
        .last_schedule_time
        .as_ref()
        .or(cj.metadata.creation_timestamp.as_ref())
        .map(|t| unix(virtual_time(t)))
        .unwrap_or_else(|| unix(now));
    // The most recent missed activation (older ones are skipped, as upstream).
    let mut due = None;
    let mut cursor = since;
    while let Some(next) = schedule.next_after(cursor) {
        if next > unix(now) {
            break;
        }
        due = Some(next);
        cursor = next;
    }
    if let Some(scheduled) = due.filter(|_| !spec.suspend.unwrap_or(false)) {
        let too_late = spec
            .starting_deadline_seconds
            .is_some_and(|d| unix(now) - scheduled > d);
        let policy = spec
            .concurrency_policy
            .clone()
            .unwrap_or_else(|| "Allow".to_owned());
        if too_late {
            ctx.event(
                ControllerId::CronJob,
                &owner,
                EventType::Warning,
                "MissSchedule",
                &format!(
                    "Missed scheduled time to start a job: {}",
                    timestamp(at_unix(scheduled)).0.to_rfc3339()
                ),
            );
        } else if policy == "Forbid" && !active.is_empty() {
            ctx.event(ControllerId::CronJob, &owner, EventType::Normal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
        } else {
            if policy == "Replace" {
                for job in active.drain(..) {
                    let name = job.metadata.name.clone().unwrap_or_default();
                    if ctx
                        .api
                        .delete(Kind::Job, &key.namespace, &name, &DeleteOptions::default())
                        .is_ok()
                    {
                        ctx.event(
                            ControllerId::CronJob,
                            &owner,
                            EventType::Normal,
                            "SuccessfulDelete",
                            &format!("Deleted job {name}"),
                        );
                    }
                }
            }
            let template = spec.job_template;
            let mut job = Job {
                spec: template.spec,
                ..Job::default()
            };
            let meta = template.metadata.unwrap_or_default();
            job.metadata.labels = meta.labels;
            let mut annotations = meta.annotations.unwrap_or_default();
            annotations.insert(
                "batch.kubernetes.io/cronjob-scheduled-timestamp".to_owned(),
                timestamp(at_unix(scheduled)).0.to_rfc3339(),
            );
            job.metadata.annotations = Some(annotations);
            job.metadata.name = Some(format!("{}-{}", key.name, scheduled / 60));
            job.metadata.namespace = Some(key.namespace.clone());
            job.metadata.owner_references = Some(vec![controller_ref(&owner)]);
            match ctx.api.create(Object::Job(job)) {
                Ok(Object::Job(created)) => {
                    ctx.event(
                        ControllerId::CronJob,
                        &owner,
                        EventType::Normal,
                        "SuccessfulCreate",
                        &format!(
                            "Created job {}",
                            created.metadata.name.as_deref().unwrap_or("")
                        ),
                    );
                    active.push(created);
                }
                Ok(_) => {}
                Err(e) => ctx.event(
                    ControllerId::CronJob,
                    &owner,
                    EventType::Warning,
                    "FailedCreate",
                    &format!("Error creating job: {}", e.message),
                ),
            }
        }
        status.last_schedule_time = Some(timestamp(at_unix(scheduled)));
    }
    let refs: Vec<ObjectReference> = active
        .iter()
        .map(|j| ObjectReference {
            api_version: Some("batch/v1".to_owned()),
            kind: Some("Job".to_owned()),
            name: j.metadata.name.clone(),
            namespace: j.metadata.namespace.clone(),
            uid: j.metadata.uid.clone(),
            resource_version: j.metadata.resource_version.clone(),
            field_path: None,
        })
        .collect();
    status.active = (!refs.is_empty()).then_some(refs);
    if cj.status.as_ref() != Some(&status) {
        let mut cj: CronJob = cj;
        cj.status = Some(status.clone());
        cj.metadata.resource_version = None;
        let _ = ctx.api.update_status(Object::CronJob(cj));
    }
    let from = status
        .last_schedule_time
        .as_ref()
        .map(|t| unix(virtual_time(t)))
        .unwrap_or(since)
        .max(unix(now) - 1);
    match schedule.next_after(from) {
        Some(next) => Action::RequeueAfter(
            at_unix(next)
                .saturating_since(now)
                .max(Duration::from_millis(1)),
        ),
        None => Action::AwaitChange,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_schedules_follow_standard_syntax() {
        // 2026-01-01T00:00:00Z was a Thursday.
        let t0 = EPOCH_UNIX_SECONDS;
        let next = |s: &str, after: i64| {
            Schedule::parse(s)
                .ok()
                .and_then(|s| s.next_after(after))
                .map(|n| n - t0)
        };
        assert_eq!(next("*/5 * * * *", t0), Some(300));
        assert_eq!(next("@hourly", t0), Some(3600));
        assert_eq!(next("30 2 * * *", t0), Some(2 * 3600 + 1800));
        assert_eq!(next("0 0 * * MON", t0), Some(4 * 86_400));
        assert_eq!(next("0 0 1 FEB *", t0), Some(31 * 86_400));
        assert_eq!(next("0 12 15 * 0", t0), Some(3 * 86_400 + 12 * 3600));
        assert!(Schedule::parse("* * *").is_err());
        assert!(Schedule::parse("61 * * * *").is_err());
        assert!(Schedule::parse("*/0 * * * *").is_err());
    }
}
