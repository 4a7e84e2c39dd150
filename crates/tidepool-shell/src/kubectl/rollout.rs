//! `kubectl rollout status|history|undo|restart|pause|resume` for DaemonSets and
//! StatefulSets, whose history is their ControllerRevisions (kubectl's
//! `DaemonSetStatusViewer`, `StatefulSetStatusViewer`, `DaemonSetRollbacker`, ...).
//! Deployments are handled in `apply.rs`.

use super::get::kind_name;
use super::json::{int, s};
use super::{Flags, KResult};
use crate::Session;
use crate::exec::Res;
use serde_json::Value;
use std::time::Duration;
use tidepool_core::controllers::revision::{self, UndoError};
use tidepool_core::rollout::RollbackOutcome;
use tidepool_core::{ApiError, Kind};

fn server_error(e: &ApiError) -> String {
    super::api_error(e, None)
}

/// One status line and whether the rollout is finished; `Err` is kubectl's error text.
fn status_message(kind: Kind, obj: &Value, name: &str) -> Result<(String, bool), String> {
    let strategy = s(obj, "/spec/updateStrategy/type");
    if strategy != "RollingUpdate" {
        return Err("rollout status is only available for RollingUpdate strategy type".to_owned());
    }
    let generation = int(obj, "/metadata/generation");
    let observed = int(obj, "/status/observedGeneration");
    if kind == Kind::DaemonSet {
        if generation > observed {
            return Ok((
                "Waiting for daemon set spec update to be observed...\n".to_owned(),
                false,
            ));
        }
        let desired = int(obj, "/status/desiredNumberScheduled");
        let updated = int(obj, "/status/updatedNumberScheduled");
        let available = int(obj, "/status/numberAvailable");
        if updated < desired {
            return Ok((
                format!(
                    "Waiting for daemon set \"{name}\" rollout to finish: {updated} out of {desired} new pods have been updated...\n"
                ),
                false,
            ));
        }
        if available < desired {
            return Ok((
                format!(
                    "Waiting for daemon set \"{name}\" rollout to finish: {available} of {desired} updated pods are available...\n"
                ),
                false,
            ));
        }
        return Ok((
            format!("daemon set \"{name}\" successfully rolled out\n"),
            true,
        ));
    }
    if observed == 0 || generation > observed {
        return Ok((
            "Waiting for statefulset spec update to be observed...\n".to_owned(),
            false,
        ));
    }
    let replicas = obj.pointer("/spec/replicas").and_then(Value::as_i64);
    let ready = int(obj, "/status/readyReplicas");
    let updated = int(obj, "/status/updatedReplicas");
    if let Some(replicas) = replicas
        && ready < replicas
    {
        return Ok((
            format!("Waiting for {} pods to be ready...\n", replicas - ready),
            false,
        ));
    }
    if obj.pointer("/spec/updateStrategy/rollingUpdate").is_some() {
        let partition = obj
            .pointer("/spec/updateStrategy/rollingUpdate/partition")
            .and_then(Value::as_i64);
        if let (Some(replicas), Some(partition)) = (replicas, partition)
            && updated < replicas - partition
        {
            return Ok((
                format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...\n",
                    replicas - partition
                ),
                false,
            ));
        }
        return Ok((
            format!("partitioned roll out complete: {updated} new pods have been updated...\n"),
            true,
        ));
    }
    let update_revision = s(obj, "/status/updateRevision");
    let current_revision = s(obj, "/status/currentRevision");
    if update_revision != current_revision {
        return Ok((
            format!(
                "waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}...\n"
            ),
            false,
        ));
    }
    Ok((
        format!(
            "statefulset rolling update complete {} pods at revision {current_revision}...\n",
            int(obj, "/status/currentReplicas")
        ),
        true,
    ))
}

/// Watches the object (advancing virtual time a second at a time) and prints the status line
/// after every change, as kubectl prints one per watch event.
fn status(session: &mut Session, kind: Kind, ns: &str, name: &str, watch: bool) -> KResult {
    let mut res = Res::ok();
    let mut last_rv = 0;
    for _ in 0..700 {
        let obj = session
            .sim
            .api()
            .get_ref(kind, ns, name)
            .map_err(|e| server_error(&e))?;
        let rv = obj.resource_version();
        let doc = obj.to_json();
        if rv != last_rv {
            last_rv = rv;
            match status_message(kind, &doc, name) {
                Err(e) => {
                    res.push_err(format!("error: {e}\n"));
                    res.code = 1;
                    return Ok(res);
                }
                Ok((msg, done)) => {
                    res.push_out(msg);
                    if done || !watch {
                        return Ok(res);
                    }
                }
            }
        }
        session.sim.advance(Duration::from_secs(1));
    }
    res.push_err("error: timed out waiting for the condition\n");
    res.code = 1;
    Ok(res)
}

/// `kubectl rollout SUB` for a DaemonSet or StatefulSet.
pub fn workload(
    session: &mut Session,
    sub: &str,
    kind: Kind,
    ns: &str,
    name: &str,
    flags: &Flags,
) -> KResult {
    let label = kind_name(kind, name);
    if matches!(sub, "undo" | "restart" | "pause" | "resume")
        && flags.get("dry-run").is_some_and(|d| d != "none")
    {
        // kubectl would print the template it would roll back to; rather than change the
        // cluster, say that this is missing.
        return Err(format!(
            "error: rollout {sub} --dry-run for {} is not available in this playground yet\n",
            kind.plural()
        ));
    }
    let api_err = |e: ApiError| server_error(&e);
    match sub {
        "status" => status(session, kind, ns, name, flags.get("watch") != Some("false")),
        "history" => {
            let history = revision::history(session.sim.api(), kind, ns, name).map_err(api_err)?;
            history_table(&label, flags, history)
        }
        "undo" => {
            let to: i64 = match flags.get("to-revision") {
                Some(r) => r.parse().map_err(|_| {
                    format!("error: invalid argument \"{r}\" for \"--to-revision\" flag\n")
                })?,
                None => 0,
            };
            let outcome = revision::rollback(session.sim.api_mut(), kind, ns, name, to).map_err(
                |e| match e {
                    UndoError::Api(a) => server_error(&a),
                    other => format!("error: {other}\n"),
                },
            )?;
            session.sim.advance(Duration::ZERO);
            Ok(Res::out(match outcome {
                RollbackOutcome::RolledBack => format!("{label} rolled back\n"),
                RollbackOutcome::Skipped(r) => format!(
                    "{label} skipped rollback (current template already matches revision {r})\n"
                ),
            }))
        }
        "restart" => {
            session.sim.api().get_ref(kind, ns, name).map_err(api_err)?;
            revision::restart(session.sim.api_mut(), kind, ns, name)
                .map_err(|e| super::apply::failed_to_patch(&e))?;
            session.sim.advance(Duration::ZERO);
            Ok(Res::out(format!("{label} restarted\n")))
        }
        "pause" | "resume" => {
            session.sim.api().get_ref(kind, ns, name).map_err(api_err)?;
            Err(format!(
                "error: {}.apps \"{name}\" {} is not supported\n",
                kind.plural(),
                if sub == "pause" {
                    "pausing"
                } else {
                    "resuming"
                }
            ))
        }
        other => Err(format!(
            "error: unknown command \"{other}\" for \"kubectl rollout\"\n"
        )),
    }
}

/// `kubectl rollout history`'s answer from (revision, change-cause) pairs: the table, or
/// `--revision`'s errors (kubectl prints `<none>` for an empty change-cause).
pub(super) fn history_table(
    label: &str,
    flags: &Flags,
    history: Vec<(i64, Option<String>)>,
) -> KResult {
    if let Some(rev) = flags.get("revision").filter(|r| *r != "0") {
        let rev: i64 = rev
            .parse()
            .map_err(|_| format!("error: invalid revision {rev}\n"))?;
        if !history.iter().any(|(r, _)| *r == rev) {
            return Err("error: unable to find the specified revision\n".to_owned());
        }
        return Err(format!(
            "error: showing the template of revision {rev} is not available in this playground yet\n"
        ));
    }
    if history.is_empty() {
        return Ok(Res::out("No rollout history found.\n"));
    }
    let mut rows = vec![vec!["REVISION".to_owned(), "CHANGE-CAUSE".to_owned()]];
    for (r, cause) in history {
        rows.push(vec![
            r.to_string(),
            cause
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "<none>".to_owned()),
        ]);
    }
    Ok(Res::out(format!(
        "{label} \n{}\n",
        crate::tabwriter::format(&rows, 0, 2)
    )))
}
