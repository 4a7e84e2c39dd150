//! `kubectl edit TYPE/NAME`, sans-IO. The command writes the object's YAML, under kubectl's
//! header comment, to a temporary VFS file and returns [`crate::Effect::OpenEditor`]. When the
//! host's editor closes it writes the file back ([`crate::Session::write_file`]) and calls
//! [`crate::Session::editor_closed`], which lands in [`finish`]: unchanged means
//! `Edit cancelled, no changes made.`, a valid change is saved (`deployment.apps/web edited`),
//! and an invalid one reopens the file with kubectl's error block at the top.

use super::get::{kind_name, printable};
use super::resources::resolve_type;
use super::{FlagSpec, KResult, f, namespace, parse_flags};
use crate::exec::Res;
use crate::{Effect, Session};
use std::time::Duration;
use tidepool_core::{Kind, Object, PatchType, StatusReason};

const EDIT_SPECS: &[FlagSpec] = &[
    f("output", Some('o'), true),
    f("filename", Some('f'), true),
    f("record", None, false),
    f("save-config", None, false),
    f("validate", None, true),
    f("windows-line-endings", None, false),
    f("show-managed-fields", None, false),
    f("subresource", None, true),
];

const HEADER: &str = "# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
";

/// An edit waiting for the host's editor to close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEdit {
    /// The temporary VFS file the editor works on.
    pub path: String,
    kind: Kind,
    namespace: String,
    name: String,
    /// The YAML last shown (without comments), to tell "no changes" apart.
    shown: String,
    /// The object's YAML as first shown: the saved file is compared with it to make the patch,
    /// also after a reopen.
    original: String,
    /// Whether the file was reopened after an error (a second unchanged save gives up).
    reopened: bool,
}

/// The file's content without `#` comment lines, as kubectl compares it.
fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

pub fn edit(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, EDIT_SPECS, "edit")?;
    let ns = namespace(session, &flags);
    let (ty, name) = match flags.args.as_slice() {
        [] => {
            return Err("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n".to_owned());
        }
        [one] => match one.split_once('/') {
            Some((t, n)) => (t.to_owned(), n.to_owned()),
            None => {
                return Err("error: this playground edits one object at a time: use TYPE/NAME or TYPE NAME\n".to_owned());
            }
        },
        [t, n] => (t.clone(), n.clone()),
        _ => {
            return Err(
                "error: this playground edits one object at a time: use TYPE/NAME or TYPE NAME\n"
                    .to_owned(),
            );
        }
    };
    let t = resolve_type(&ty)
        .ok_or_else(|| format!("error: the server doesn't have a resource type \"{ty}\"\n"))?;
    let namespace = if t.kind.namespaced() {
        ns
    } else {
        String::new()
    };
    super::check(session, "get", t.kind, &namespace, &name)?;
    let object = session
        .sim
        .api()
        .get(t.kind, &namespace, &name)
        .map_err(|e| super::api_error(&e, None))?;
    let shown = if flags.get("output") == Some("json") {
        crate::yaml::to_json(&printable(&object))
    } else {
        crate::yaml::to_yaml(&printable(&object))
    };
    // kubectl's temporary file is /tmp/kubectl-edit-<random>.yaml; a counter keeps runs replayable.
    session.edit_counter += 1;
    let path = format!("/tmp/kubectl-edit-{:010}.yaml", session.edit_counter);
    session
        .vfs
        .write(&path, &format!("{HEADER}{shown}"), false)
        .map_err(|e| format!("error: {e}\n"))?;
    session.edit = Some(PendingEdit {
        path: path.clone(),
        kind: t.kind,
        namespace,
        name,
        shown: strip_comments(&shown),
        original: shown,
        reopened: false,
    });
    Ok(Res {
        effects: vec![Effect::OpenEditor { path }],
        ..Res::ok()
    })
}

/// Why a save failed, as kubectl's reopened file explains it.
struct Failure {
    head: String,
    causes: Vec<String>,
    /// What `CheckErr` prints if the learner gives up.
    message: String,
}

/// The editor closed: apply the file, or reopen it with the errors.
pub fn finish(session: &mut Session, pending: PendingEdit) -> Res {
    let text = session.vfs.read(&pending.path).unwrap_or_default();
    let body = strip_comments(&text);
    if body.trim().is_empty() {
        return Res::out("Edit cancelled, saved file was empty.\n");
    }
    if body == pending.shown {
        if pending.reopened {
            let copy = pending.path.clone();
            return Res::err(
                format!(
                    "A copy of your changes has been stored to \"{copy}\"\nerror: Edit cancelled, no valid changes were saved.\n"
                ),
                1,
            );
        }
        return Res::out("Edit cancelled, no changes made.\n");
    }
    match save(session, &pending, &text) {
        Ok(()) => {
            session.sim.advance(Duration::ZERO);
            Res::out(format!(
                "{} edited\n",
                kind_name(pending.kind, &pending.name)
            ))
        }
        Err(failure) => {
            let mut reopened = String::from(HEADER);
            reopened.push_str(&format!("# {}\n", failure.head));
            for c in &failure.causes {
                reopened.push_str(&format!("# * {c}\n"));
            }
            reopened.push_str("#\n");
            reopened.push_str(&body);
            if session.vfs.write(&pending.path, &reopened, false).is_err() {
                return Res::err(failure.message, 1);
            }
            let path = pending.path.clone();
            session.edit = Some(PendingEdit {
                shown: body,
                reopened: true,
                ..pending
            });
            Res {
                effects: vec![Effect::OpenEditor { path }],
                ..Res::ok()
            }
        }
    }
}

/// Decodes the whole file (comments included, so syntax error lines match what the learner
/// sees) and updates the object.
fn save(session: &mut Session, pending: &PendingEdit, text: &str) -> Result<(), Failure> {
    let resource = match pending.kind.group() {
        "" => pending.kind.plural().to_owned(),
        group => format!("{}.{group}", pending.kind.plural()),
    };
    let invalid_head = format!("{resource} \"{}\" was not valid:", pending.name);
    let objects = tidepool_core::decode_manifests(text).map_err(|e| {
        let message = e.to_string();
        Failure {
            head: format!("The edited file had a syntax error: {message}"),
            causes: Vec::new(),
            message: format!("error: {message}\n"),
        }
    })?;
    let [object] = objects.as_slice() else {
        let message = "the edited file must hold exactly one object".to_owned();
        return Err(Failure {
            head: format!("The edited file had a syntax error: {message}"),
            causes: Vec::new(),
            message: format!("error: {message}\n"),
        });
    };
    let mut object: Object = object.clone();
    if object.kind() != pending.kind || object.name() != pending.name {
        let message = "At least one of apiVersion, kind and name was changed".to_owned();
        return Err(Failure {
            head: message.clone(),
            causes: Vec::new(),
            message: format!("error: {message}\n"),
        });
    }
    if pending.kind.namespaced() && object.namespace().is_empty() {
        object.meta_mut().namespace = Some(pending.namespace.clone());
    }
    // As kubectl: send the difference between what was shown and what was saved as a
    // strategic merge patch, not the whole object, so a change the cluster made meanwhile (a
    // pod's status, a controller's annotation) neither conflicts nor is undone. Status in the
    // patch is ignored by the apiserver on the main resource.
    let original = tidepool_core::decode_manifests(&pending.original)
        .ok()
        .and_then(|objects| objects.into_iter().next())
        .map(|o| o.to_json())
        .unwrap_or_default();
    let patch = tidepool_core::api::two_way_merge_patch(&original, &object.to_json());
    session
        .sim
        .api_mut()
        .patch(
            pending.kind,
            &pending.namespace,
            &pending.name,
            PatchType::Strategic,
            &patch,
        )
        .map(|_| ())
        .map_err(|e| {
            let causes = if e.reason == StatusReason::Invalid && !e.causes.is_empty() {
                e.causes.iter().map(ToString::to_string).collect()
            } else {
                vec![e.message.clone()]
            };
            Failure {
                head: invalid_head,
                causes,
                message: super::api_error(&e, None),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_do_not_count_as_changes() {
        assert_eq!(
            strip_comments("# a\nkind: Pod\n  # b\nx: 1"),
            "kind: Pod\nx: 1\n"
        );
    }
}
