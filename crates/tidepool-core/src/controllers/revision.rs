//! ControllerRevisions of DaemonSets and StatefulSets (the controllers' `history` package):
//! one revision per pod template, named `<owner>-<hash>`, whose data is the strategic-merge
//! patch `{"spec":{"template":{..., "$patch":"replace"}}}` that restores the template. Going
//! back to an earlier template renumbers its revision to the newest, as the controllers do.
//! Also the client side of `kubectl rollout history|undo|restart` for both kinds.

use super::Ctx;
use super::deployment::{CHANGE_CAUSE, RESTARTED_AT, RollbackOutcome};
use crate::api::{ApiServer, controller_of, controller_ref, timestamp};
use crate::errors::ApiError;
use crate::objects::{Kind, Object};
use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The label real StatefulSet revisions carry (`history.ControllerRevisionHashLabel`).
pub const HISTORY_HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// The revision data for a template: the patch `kubectl rollout undo` applies.
pub fn patch_data(template: &PodTemplateSpec) -> Value {
    let mut t = serde_json::to_value(template).unwrap_or_else(|_| json!({}));
    if let Some(map) = t.as_object_mut() {
        map.insert("$patch".to_owned(), json!("replace"));
    }
    json!({"spec": {"template": t}})
}

fn template_of(revision: &ControllerRevision) -> Option<Value> {
    let mut t = revision.data.as_ref()?.0.pointer("/spec/template")?.clone();
    if let Some(map) = t.as_object_mut() {
        map.remove("$patch");
    }
    Some(t)
}

/// The revisions `owner` controls, oldest revision number first.
pub fn owned(api: &ApiServer, owner: &Object) -> Vec<ControllerRevision> {
    let uid = owner.uid();
    let ns = owner.meta().namespace.clone().unwrap_or_default();
    let mut out: Vec<ControllerRevision> = api
        .store()
        .list(Kind::ControllerRevision, Some(&ns))
        .filter(|o| controller_of(o.meta()).is_some_and(|r| r.uid.as_str() == uid))
        .filter_map(|o| match o {
            Object::ControllerRevision(cr) => Some((**cr).clone()),
            _ => None,
        })
        .collect();
    crate::stable_sort::sort_by(&mut out, |a, b| {
        (a.revision, &a.metadata.name).cmp(&(b.revision, &b.metadata.name))
    });
    out
}

/// Makes sure the revision `name` (the current template) exists and is the newest; then
/// removes the oldest revisions beyond `history_limit` that no live pod still uses
/// (`in_use` holds the hash labels of the owner's pods). Returns the revision number.
#[allow(clippy::too_many_arguments)]
pub fn sync(
    ctx: &mut Ctx<'_>,
    owner: &Object,
    name: &str,
    template: &PodTemplateSpec,
    labels: BTreeMap<String, String>,
    history_limit: i32,
    in_use: &BTreeSet<String>,
    hash_of: impl Fn(&ControllerRevision) -> Option<String>,
) -> i64 {
    let all = owned(ctx.api, owner);
    let next = all
        .iter()
        .filter(|r| r.metadata.name.as_deref() != Some(name))
        .map(|r| r.revision)
        .max()
        .unwrap_or(0)
        + 1;
    let number = match all
        .iter()
        .find(|r| r.metadata.name.as_deref() == Some(name))
    {
        Some(current) if current.revision >= next => current.revision,
        Some(current) => {
            let mut bumped = current.clone();
            bumped.revision = next;
            let _ = ctx.api.update(Object::ControllerRevision(Box::new(bumped)));
            next
        }
        None => {
            let mut cr = ControllerRevision {
                data: Some(RawExtension(patch_data(template))),
                revision: next,
                ..ControllerRevision::default()
            };
            cr.metadata.name = Some(name.to_owned());
            cr.metadata.namespace = owner.meta().namespace.clone();
            cr.metadata.labels = Some(labels);
            cr.metadata.annotations = owner.meta().annotations.clone();
            cr.metadata.owner_references = Some(vec![controller_ref(owner)]);
            let stream_key = format!("{}/{name}", owner.uid());
            create_off_stream(
                ctx.api,
                Object::ControllerRevision(Box::new(cr)),
                &stream_key,
            );
            next
        }
    };
    // cleanupHistory: drop the oldest unused revisions while there are more than the limit.
    let old: Vec<&ControllerRevision> = all
        .iter()
        .filter(|r| r.metadata.name.as_deref() != Some(name))
        .filter(|r| hash_of(r).is_none_or(|h| !in_use.contains(&h)))
        .collect();
    let excess = old
        .len()
        .saturating_sub(usize::try_from(history_limit.max(0)).unwrap_or(0));
    let ns = owner.meta().namespace.clone().unwrap_or_default();
    for r in old.into_iter().take(excess) {
        if let Some(n) = &r.metadata.name {
            let _ = ctx.api.delete(
                Kind::ControllerRevision,
                &ns,
                n,
                &crate::api::DeleteOptions::default(),
            );
        }
    }
    number
}

/// Where revision uids are drawn: far beyond any position the main stream reaches (2^66
/// words), one slot per owner and revision name.
const REVISION_STREAM: u128 = 1 << 66;

/// Creates a revision with its uid drawn from its own slot of the seeded RNG's stream, so
/// that recording history does not shift every later random choice (pod names, IPs, pull
/// times) of a session; the same seed still gives the same bytes.
fn create_off_stream(api: &mut ApiServer, revision: Object, stream_key: &str) {
    // FNV-1a, 64 bit, of the key; 40 bits of it pick the slot.
    let hash = stream_key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let slot = u128::from(hash & ((1 << 40) - 1));
    let saved = api.rng().word_pos();
    api.rng().set_word_pos(REVISION_STREAM + (slot << 8));
    let _ = api.create(revision);
    api.rng().set_word_pos(saved);
}

fn owner_of(api: &ApiServer, kind: Kind, namespace: &str, name: &str) -> Result<Object, ApiError> {
    api.get(kind, namespace, name)
}

/// (revision, change-cause) pairs, ascending, as `kubectl rollout history` lists a DaemonSet's
/// or StatefulSet's ControllerRevisions.
pub fn history(
    api: &ApiServer,
    kind: Kind,
    namespace: &str,
    name: &str,
) -> Result<Vec<(i64, Option<String>)>, ApiError> {
    let owner = owner_of(api, kind, namespace, name)?;
    Ok(owned(api, &owner)
        .iter()
        .map(|r| {
            (
                r.revision,
                r.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(CHANGE_CAUSE).cloned()),
            )
        })
        .collect())
}

/// The pod template stored in revision `number`, if that revision exists.
pub fn template_at(
    api: &ApiServer,
    kind: Kind,
    namespace: &str,
    name: &str,
    number: i64,
) -> Result<Option<PodTemplateSpec>, ApiError> {
    let owner = owner_of(api, kind, namespace, name)?;
    Ok(owned(api, &owner)
        .iter()
        .find(|r| r.revision == number)
        .and_then(template_of)
        .and_then(|t| serde_json::from_value(t).ok()))
}

/// Why `kubectl rollout undo` of a DaemonSet or StatefulSet failed (kubectl's texts).
#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("no last revision to roll back to")]
    NoLastRevision,
    #[error("unable to find specified revision {0} in history")]
    RevisionNotFound(i64),
}

/// `kubectl rollout undo [--to-revision=N]` for a DaemonSet or StatefulSet (kubectl's
/// `DaemonSetRollbacker`/`StatefulSetRollbacker`: 0 = the second newest revision; the skip
/// message names the revision asked for, 0 included, as kubectl does).
pub fn rollback(
    api: &mut ApiServer,
    kind: Kind,
    namespace: &str,
    name: &str,
    to_revision: i64,
) -> Result<RollbackOutcome, UndoError> {
    if to_revision < 0 {
        return Err(UndoError::RevisionNotFound(to_revision));
    }
    let owner = owner_of(api, kind, namespace, name)?;
    let all = owned(api, &owner);
    if to_revision == 0 && all.len() <= 1 {
        return Err(UndoError::NoLastRevision);
    }
    let target = if to_revision == 0 {
        all.get(all.len() - 2)
    } else {
        all.iter().find(|r| r.revision == to_revision)
    }
    .ok_or(UndoError::RevisionNotFound(to_revision))?;
    let wanted = template_of(target).unwrap_or_else(|| json!({}));
    let mut doc = owner.to_json();
    if doc.pointer("/spec/template") == Some(&wanted) {
        return Ok(RollbackOutcome::Skipped(to_revision));
    }
    doc["spec"]["template"] = wanted;
    let object = Object::from_json(kind, doc).map_err(|e| {
        ApiError::bad_request(format!("failed restoring revision {to_revision}: {e}"))
    })?;
    // kubectl sends the rollback as a strategic merge patch of the template.
    api.update_patched(object)?;
    Ok(RollbackOutcome::RolledBack)
}

/// `kubectl rollout restart` for a DaemonSet or StatefulSet: stamps the template with
/// `kubectl.kubernetes.io/restartedAt`, which makes a new revision.
pub fn restart(
    api: &mut ApiServer,
    kind: Kind,
    namespace: &str,
    name: &str,
) -> Result<Object, ApiError> {
    let at = timestamp(api.now()).0.to_rfc3339();
    let patch = json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}});
    api.patch(
        kind,
        namespace,
        name,
        crate::api::PatchType::Strategic,
        &patch,
    )
}
