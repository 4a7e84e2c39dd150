//! CronJob: creates Jobs on a cron schedule, on the virtual clock (UTC, or `spec.timeZone` from
//! a table of common IANA zones, see [`tz`]). Standard 5-field
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

/// The first activation strictly after `after` (Unix seconds), with the schedule read in
/// `zone`'s wall time when one is set. Wall times skipped when clocks go forward do not run;
/// a wall time that happens twice when clocks go back runs once, the first time.
fn next_activation(schedule: &Schedule, zone: Option<tz::Zone>, after: i64) -> Option<i64> {
    let Some(zone) = zone else {
        return schedule.next_after(after);
    };
    let mut local = after + zone.offset_at(after);
    // Bounded: at most a couple of skipped wall times per DST change.
    for _ in 0..1_000 {
        local = schedule.next_after(local)?;
        if let Some(utc) = zone.to_utc(local).filter(|utc| *utc > after) {
            return Some(utc);
        }
    }
    None
}

/// A scheduled time as Go's RFC 3339 prints it: in the CronJob's zone when it has one (UTC
/// otherwise), whole seconds, and `Z` for a zero offset (Go's `Z07:00` layout).
fn scheduled_text(scheduled: i64, zone: Option<tz::Zone>) -> String {
    use k8s_openapi::chrono::{FixedOffset, Offset, SecondsFormat, Utc};
    let utc = timestamp(at_unix(scheduled)).0;
    let offset = zone
        .and_then(|z| FixedOffset::east_opt(i32::try_from(z.offset_at(scheduled)).ok()?))
        .unwrap_or_else(|| Utc.fix());
    utc.with_timezone(&offset)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
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
    crate::stable_sort::sort_by_key(&mut jobs, |j| {
        j.metadata.creation_timestamp.as_ref().map(virtual_time)
    });
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
    let zone = match spec.time_zone.as_deref() {
        None => None,
        Some(name) => match tz::zone(name) {
            Some(zone) => Some(zone),
            None => {
                ctx.event(
                    ControllerId::CronJob,
                    &owner,
                    EventType::Warning,
                    "UnknownTimeZone",
                    &format!("invalid timeZone: {name:?}: unknown time zone {name}"),
                );
                return Action::AwaitChange;
            }
        },
    };
    let since = status
        .last_schedule_time
        .as_ref()
        .or(cj.metadata.creation_timestamp.as_ref())
        .map(|t| unix(virtual_time(t)))
        .unwrap_or_else(|| unix(now));
    // Nothing older than the starting deadline is scheduled at all (upstream's
    // mostRecentScheduleTime), so such a run is not even reported as missed.
    let since = match spec.starting_deadline_seconds {
        Some(deadline) => since.max(unix(now) - deadline),
        None => since,
    };
    // The most recent missed activation (older ones are skipped, as upstream).
    let mut due = None;
    let mut cursor = since;
    while let Some(next) = next_activation(&schedule, zone, cursor) {
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
                    scheduled_text(scheduled, zone)
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
                scheduled_text(scheduled, zone),
            );
            job.metadata.annotations = Some(annotations);
            job.metadata.name = Some(format!("{}-{}", key.name, scheduled / 60));
            job.metadata.namespace = Some(key.namespace.clone());
            job.metadata.owner_references = Some(vec![controller_ref(&owner)]);
            match ctx.api.create(Object::Job(Box::new(job))) {
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
                    active.push(*created);
                    // Only a started run moves the last schedule (upstream leaves it on a
                    // miss or a Forbid skip, so a skipped run starts once the active Job ends).
                    status.last_schedule_time = Some(timestamp(at_unix(scheduled)));
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
        let mut cj: CronJob = *cj;
        cj.status = Some(status.clone());
        cj.metadata.resource_version = None;
        let _ = ctx.api.update_status_shared(Object::CronJob(Box::new(cj)));
    }
    let from = status
        .last_schedule_time
        .as_ref()
        .map(|t| unix(virtual_time(t)))
        .unwrap_or(since)
        .max(unix(now) - 1);
    match next_activation(&schedule, zone, from) {
        Some(next) => Action::RequeueAfter(
            at_unix(next)
                .saturating_since(now)
                .max(Duration::from_millis(1)),
        ),
        None => Action::AwaitChange,
    }
}

/// IANA time zones for `spec.timeZone`, on the virtual clock (which is UTC). A small table of
/// common zones with their standard offsets and daylight-saving rules (current rules only: no
/// historical changes), instead of the full tz database.
pub mod tz {
    use k8s_openapi::chrono::{Datelike, NaiveDate, Weekday};

    /// When daylight saving time applies (one hour ahead of standard time).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Rule {
        None,
        /// United States and Canada: second Sunday of March 02:00 local to first Sunday of
        /// November 02:00 local.
        NorthAmerica,
        /// European Union and UK: last Sunday of March to last Sunday of October, 01:00 UTC.
        Europe,
        /// South-east Australia: first Sunday of October 02:00 to first Sunday of April 03:00.
        Australia,
        /// New Zealand: last Sunday of September 02:00 to first Sunday of April 03:00.
        NewZealand,
    }

    /// (name, standard offset in minutes east of UTC, rule).
    const ZONES: &[(&str, i32, Rule)] = &[
        ("UTC", 0, Rule::None),
        ("Etc/UTC", 0, Rule::None),
        ("Etc/GMT", 0, Rule::None),
        ("GMT", 0, Rule::None),
        ("Etc/Universal", 0, Rule::None),
        ("Universal", 0, Rule::None),
        ("Zulu", 0, Rule::None),
        ("Etc/Zulu", 0, Rule::None),
        ("Asia/Seoul", 540, Rule::None),
        ("Asia/Tokyo", 540, Rule::None),
        ("Asia/Shanghai", 480, Rule::None),
        ("Asia/Hong_Kong", 480, Rule::None),
        ("Asia/Taipei", 480, Rule::None),
        ("Asia/Singapore", 480, Rule::None),
        ("Asia/Manila", 480, Rule::None),
        ("Asia/Bangkok", 420, Rule::None),
        ("Asia/Jakarta", 420, Rule::None),
        ("Asia/Ho_Chi_Minh", 420, Rule::None),
        ("Asia/Kolkata", 330, Rule::None),
        ("Asia/Calcutta", 330, Rule::None),
        ("Asia/Dubai", 240, Rule::None),
        ("Europe/Moscow", 180, Rule::None),
        ("Europe/Istanbul", 180, Rule::None),
        ("Europe/London", 0, Rule::Europe),
        ("Europe/Dublin", 0, Rule::Europe),
        ("Europe/Lisbon", 0, Rule::Europe),
        ("Europe/Berlin", 60, Rule::Europe),
        ("Europe/Paris", 60, Rule::Europe),
        ("Europe/Madrid", 60, Rule::Europe),
        ("Europe/Rome", 60, Rule::Europe),
        ("Europe/Amsterdam", 60, Rule::Europe),
        ("Europe/Brussels", 60, Rule::Europe),
        ("Europe/Vienna", 60, Rule::Europe),
        ("Europe/Zurich", 60, Rule::Europe),
        ("Europe/Stockholm", 60, Rule::Europe),
        ("Europe/Oslo", 60, Rule::Europe),
        ("Europe/Copenhagen", 60, Rule::Europe),
        ("Europe/Warsaw", 60, Rule::Europe),
        ("Europe/Prague", 60, Rule::Europe),
        ("Europe/Athens", 120, Rule::Europe),
        ("Europe/Helsinki", 120, Rule::Europe),
        ("Europe/Kyiv", 120, Rule::Europe),
        ("Europe/Kiev", 120, Rule::Europe),
        ("Europe/Bucharest", 120, Rule::Europe),
        ("America/New_York", -300, Rule::NorthAmerica),
        ("America/Toronto", -300, Rule::NorthAmerica),
        ("America/Chicago", -360, Rule::NorthAmerica),
        ("America/Denver", -420, Rule::NorthAmerica),
        ("America/Phoenix", -420, Rule::None),
        ("America/Los_Angeles", -480, Rule::NorthAmerica),
        ("America/Vancouver", -480, Rule::NorthAmerica),
        ("America/Anchorage", -540, Rule::NorthAmerica),
        ("Pacific/Honolulu", -600, Rule::None),
        ("America/Mexico_City", -360, Rule::None),
        ("America/Sao_Paulo", -180, Rule::None),
        ("America/Argentina/Buenos_Aires", -180, Rule::None),
        ("Australia/Sydney", 600, Rule::Australia),
        ("Australia/Melbourne", 600, Rule::Australia),
        ("Australia/Brisbane", 600, Rule::None),
        ("Australia/Perth", 480, Rule::None),
        ("Pacific/Auckland", 720, Rule::NewZealand),
    ];

    /// A zone from the table.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Zone {
        standard: i64,
        rule: Rule,
    }

    /// Looks a zone up by its IANA name (case-sensitive, as Go's `time.LoadLocation`).
    pub fn zone(name: &str) -> Option<Zone> {
        ZONES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, minutes, rule)| Zone {
                standard: i64::from(minutes) * 60,
                rule,
            })
    }

    /// Midnight UTC of the `n`th (1-based; 0: last) `weekday` of `month`, in Unix seconds.
    fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Option<i64> {
        let day = if n == 0 {
            let next = if month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)?
            };
            let mut d = next.pred_opt()?;
            while d.weekday() != weekday {
                d = d.pred_opt()?;
            }
            d
        } else {
            let mut d = NaiveDate::from_ymd_opt(year, month, 1)?;
            while d.weekday() != weekday {
                d = d.succ_opt()?;
            }
            d.checked_add_days(k8s_openapi::chrono::Days::new(7 * u64::from(n - 1)))?
        };
        Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
    }

    impl Zone {
        /// Seconds east of UTC in effect at the instant `utc` (Unix seconds).
        pub fn offset_at(self, utc: i64) -> i64 {
            let dst = self.in_dst(utc).unwrap_or(false);
            self.standard + if dst { 3600 } else { 0 }
        }

        fn in_dst(self, utc: i64) -> Option<bool> {
            let year =
                k8s_openapi::chrono::DateTime::from_timestamp(utc + self.standard, 0)?.year();
            let std = self.standard;
            let hour = 3600;
            Some(match self.rule {
                Rule::None => false,
                Rule::NorthAmerica => {
                    let start = nth_weekday(year, 3, Weekday::Sun, 2)? + 2 * hour - std;
                    let end = nth_weekday(year, 11, Weekday::Sun, 1)? + 2 * hour - (std + hour);
                    start <= utc && utc < end
                }
                Rule::Europe => {
                    let start = nth_weekday(year, 3, Weekday::Sun, 0)? + hour;
                    let end = nth_weekday(year, 10, Weekday::Sun, 0)? + hour;
                    start <= utc && utc < end
                }
                Rule::Australia | Rule::NewZealand => {
                    let start = if self.rule == Rule::Australia {
                        nth_weekday(year, 10, Weekday::Sun, 1)?
                    } else {
                        nth_weekday(year, 9, Weekday::Sun, 0)?
                    } + 2 * hour
                        - std;
                    let end = nth_weekday(year, 4, Weekday::Sun, 1)? + 3 * hour - (std + hour);
                    utc < end || start <= utc
                }
            })
        }

        /// The instant (Unix seconds) at which local wall time `local` (seconds, as if UTC)
        /// occurs: the earlier one when clocks go back; `None` inside a spring-forward gap.
        pub fn to_utc(self, local: i64) -> Option<i64> {
            [self.standard + 3600, self.standard]
                .into_iter()
                .map(|offset| local - offset)
                .filter(|&utc| utc + self.offset_at(utc) == local)
                .min()
        }
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

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        k8s_openapi::chrono::NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_opt(h, mi, 0))
            .map_or(0, |t| t.and_utc().timestamp())
    }

    #[test]
    fn schedules_follow_the_time_zone_and_its_daylight_saving_changes() {
        let next = |zone: &str, schedule: &str, after: i64| {
            let schedule = Schedule::parse(schedule).ok()?;
            next_activation(&schedule, Some(tz::zone(zone)?), after)
        };
        // 09:00 in Seoul is midnight UTC.
        assert_eq!(
            next("Asia/Seoul", "0 9 * * *", utc(2026, 1, 1, 0, 0)),
            Some(utc(2026, 1, 2, 0, 0))
        );
        // New York springs forward on 8 March 2026: 02:30 does not exist that day.
        assert_eq!(
            next("America/New_York", "30 2 * * *", utc(2026, 3, 7, 12, 0)),
            Some(utc(2026, 3, 9, 6, 30))
        );
        assert_eq!(
            next("America/New_York", "0 12 * * *", utc(2026, 7, 1, 0, 0)),
            Some(utc(2026, 7, 1, 16, 0))
        );
        // London falls back on 25 October 2026: 01:30 happens twice and runs once.
        assert_eq!(
            next("Europe/London", "30 1 * * *", utc(2026, 10, 24, 12, 0)),
            Some(utc(2026, 10, 25, 0, 30))
        );
        assert_eq!(
            next("Europe/London", "30 1 * * *", utc(2026, 10, 25, 0, 30)),
            Some(utc(2026, 10, 26, 1, 30))
        );
        // Sydney is on daylight time in January (UTC+11), standard in July (UTC+10).
        let sydney = tz::zone("Australia/Sydney");
        assert_eq!(
            sydney.map(|z| z.offset_at(utc(2026, 1, 15, 0, 0))),
            Some(11 * 3600)
        );
        assert_eq!(
            sydney.map(|z| z.offset_at(utc(2026, 7, 15, 0, 0))),
            Some(10 * 3600)
        );
        assert!(tz::zone("Mars/Olympus").is_none());
        assert_eq!(
            scheduled_text(utc(2026, 1, 2, 0, 0), tz::zone("Asia/Seoul")),
            "2026-01-02T09:00:00+09:00"
        );
    }
}
