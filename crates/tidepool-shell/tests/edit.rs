//! `kubectl edit` through the public host API: `Effect::OpenEditor`, `write_file`,
//! `editor_closed`.

use tidepool_core::{Kind, PatchType};
use tidepool_shell::{CommandOutput, Effect, Feed, Session, SessionConfig};

fn run(s: &mut Session, line: &str) -> CommandOutput {
    match s.feed_line(line) {
        Feed::Done(out) => out,
        Feed::NeedMore => panic!("{line} wants more input"),
    }
}

fn editor_path(out: &CommandOutput) -> String {
    match out.effects.as_slice() {
        [Effect::OpenEditor { path }] => path.clone(),
        other => panic!("expected one OpenEditor, got {other:?} ({})", out.text()),
    }
}

fn session_with_web() -> Session {
    let mut s = Session::new(&SessionConfig::default());
    run(
        &mut s,
        "kubectl create deployment web --image=nginx --replicas=2",
    );
    s.advance(std::time::Duration::from_secs(30));
    s
}

#[test]
fn a_valid_edit_is_applied_and_rolls_out() {
    let mut s = session_with_web();
    let out = run(&mut s, "kubectl edit deployment/web");
    assert_eq!(out.text(), "");
    let path = editor_path(&out);
    assert!(
        path.starts_with("/tmp/kubectl-edit-") && path.ends_with(".yaml"),
        "{path}"
    );
    let text = s.read_file(&path).unwrap_or_default();
    assert!(
        text.starts_with(
            "# Please edit the object below. Lines beginning with a '#' will be ignored,\n\
             # and an empty file will abort the edit. If an error occurs while saving this file will be\n\
             # reopened with the relevant failures.\n#\napiVersion: apps/v1\nkind: Deployment\n"
        ),
        "{text}"
    );
    let edited = text
        .replace("replicas: 2", "replicas: 3")
        .replace("image: nginx", "image: nginx:1.27");
    assert_eq!(s.write_file(&path, &edited), Ok(()));
    let done = s.editor_closed(&path).unwrap_or_default();
    assert_eq!(done.text(), "deployment.apps/web edited\n");
    assert_eq!(done.exit_code, 0);
    assert!(done.effects.is_empty());
    s.advance(std::time::Duration::from_secs(30));
    let image = run(
        &mut s,
        "kubectl get deploy web -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].image}'",
    );
    assert_eq!(image.text(), "3 nginx:1.27");
    let history = run(&mut s, "kubectl rollout history deployment/web").text();
    assert!(history.contains("\n2         <none>\n"), "{history}");
}

#[test]
fn unchanged_and_empty_files_cancel() {
    let mut s = session_with_web();
    let path = editor_path(&run(&mut s, "kubectl edit deploy web"));
    let done = s.editor_closed(&path).unwrap_or_default();
    assert_eq!(done.text(), "Edit cancelled, no changes made.\n");
    let path = editor_path(&run(&mut s, "kubectl edit deploy web"));
    // Only comments changed: still no change.
    let text = s.read_file(&path).unwrap_or_default();
    assert_eq!(s.write_file(&path, &format!("# mine\n{text}")), Ok(()));
    assert_eq!(
        s.editor_closed(&path).unwrap_or_default().text(),
        "Edit cancelled, no changes made.\n"
    );
    let path = editor_path(&run(&mut s, "kubectl edit deploy web"));
    assert_eq!(s.write_file(&path, "# nothing\n"), Ok(()));
    assert_eq!(
        s.editor_closed(&path).unwrap_or_default().text(),
        "Edit cancelled, saved file was empty.\n"
    );
    // vi files have no pending edit.
    assert_eq!(s.editor_closed("/root/notes.txt"), None);
}

#[test]
fn an_invalid_edit_reopens_with_the_errors_then_gives_up() {
    let mut s = session_with_web();
    let path = editor_path(&run(&mut s, "kubectl edit deployment web"));
    let text = s.read_file(&path).unwrap_or_default();
    assert_eq!(
        s.write_file(&path, &text.replace("replicas: 2", "replicas: -1")),
        Ok(())
    );
    let again = s.editor_closed(&path).unwrap_or_default();
    assert_eq!(editor_path(&again), path);
    assert_eq!(again.text(), "");
    let reopened = s.read_file(&path).unwrap_or_default();
    assert!(
        reopened.contains(
            "# reopened with the relevant failures.\n#\n# deployments.apps \"web\" was not valid:\n\
             # * spec.replicas: Invalid value: -1: must be greater than or equal to 0\n#\napiVersion: apps/v1\n"
        ),
        "{reopened}"
    );
    // Saved again unchanged: kubectl keeps a copy and gives up.
    let done = s.editor_closed(&path).unwrap_or_default();
    assert_eq!(
        done.text(),
        format!(
            "A copy of your changes has been stored to \"{path}\"\nerror: Edit cancelled, no valid changes were saved.\n"
        )
    );
    assert_eq!(done.exit_code, 1);
    let replicas = run(
        &mut s,
        "kubectl get deploy web -o jsonpath='{.spec.replicas}'",
    );
    assert_eq!(replicas.text(), "2");
}

#[test]
fn syntax_errors_and_renames_reopen_and_fixing_saves() {
    let mut s = session_with_web();
    let path = editor_path(&run(&mut s, "kubectl edit deploy/web"));
    let text = s.read_file(&path).unwrap_or_default();
    assert_eq!(s.write_file(&path, &format!("{text}  bad: [\n")), Ok(()));
    let again = s.editor_closed(&path).unwrap_or_default();
    assert_eq!(editor_path(&again), path);
    let reopened = s.read_file(&path).unwrap_or_default();
    assert!(
        reopened.contains(
            "# The edited file had a syntax error: error converting YAML to JSON: yaml: line"
        ),
        "{reopened}"
    );
    assert_eq!(
        s.write_file(
            &path,
            &text.replace("name: web\n  namespace", "name: other\n  namespace")
        ),
        Ok(())
    );
    let again = s.editor_closed(&path).unwrap_or_default();
    assert_eq!(editor_path(&again), path);
    assert!(
        s.read_file(&path)
            .unwrap_or_default()
            .contains("# At least one of apiVersion, kind and name was changed\n")
    );
    assert_eq!(
        s.write_file(&path, &text.replace("replicas: 2", "replicas: 1")),
        Ok(())
    );
    assert_eq!(
        s.editor_closed(&path).unwrap_or_default().text(),
        "deployment.apps/web edited\n"
    );
}

#[test]
fn edit_errors() {
    let mut s = session_with_web();
    let out = run(&mut s, "kubectl edit deploy/nope");
    assert_eq!(
        out.text(),
        "Error from server (NotFound): deployments.apps \"nope\" not found\n"
    );
    let out = run(&mut s, "kubectl edit");
    assert!(
        out.text()
            .starts_with("error: You must provide one or more resources"),
        "{}",
        out.text()
    );
    // A new command abandons a pending edit.
    let path = editor_path(&run(&mut s, "kubectl edit deploy/web"));
    run(&mut s, "true");
    assert_eq!(s.editor_closed(&path), None);
}

/// Reads a field of a live object through kubectl's jsonpath.
fn field(s: &mut Session, target: &str, path: &str) -> String {
    run(s, &format!("kubectl get {target} -o jsonpath='{{{path}}}'")).text()
}

#[test]
fn changes_made_while_the_editor_is_open_survive_the_save() {
    let mut s = Session::new(&SessionConfig::default());
    run(&mut s, "kubectl run probe --image=nginx");
    // Opened while the pod is still Pending: the kubelet changes it before the save.
    let path = editor_path(&run(&mut s, "kubectl edit pod probe"));
    let shown = s.read_file(&path).unwrap_or_default();
    assert!(shown.contains("phase: Pending"), "{shown}");
    // The kubelet starts the pod and another client annotates it, while the editor is open.
    s.advance(std::time::Duration::from_secs(30));
    let api = s.simulation_mut().api_mut();
    let patch = serde_json::json!({"metadata": {"annotations": {"owner": "ops"}}});
    let annotated = api.patch(Kind::Pod, "default", "probe", PatchType::Merge, &patch);
    assert!(annotated.is_ok(), "{annotated:?}");
    let edited = shown.replace("    run: probe\n", "    run: probe\n    tier: web\n");
    assert_ne!(edited, shown);
    assert_eq!(s.write_file(&path, &edited), Ok(()));
    let done = s.editor_closed(&path).unwrap_or_default();
    // kubectl sends a patch of what changed in the file, so no conflict and nothing undone.
    assert_eq!(done.text(), "pod/probe edited\n");
    assert_eq!(field(&mut s, "pod probe", ".metadata.labels.tier"), "web");
    assert_eq!(
        field(&mut s, "pod probe", ".metadata.annotations.owner"),
        "ops"
    );
    assert_eq!(field(&mut s, "pod probe", ".status.phase"), "Running");
}

#[test]
fn removed_list_items_and_fields_are_removed() {
    let mut s = session_with_web();
    run(&mut s, "kubectl set env deployment/web A=1 B=2");
    s.advance(std::time::Duration::from_secs(30));
    let path = editor_path(&run(&mut s, "kubectl edit deploy web"));
    let text = s.read_file(&path).unwrap_or_default();
    let edited = text
        .replace("        - name: A\n          value: \"1\"\n", "")
        .replace("      terminationGracePeriodSeconds: 30\n", "");
    assert_ne!(edited, text, "{text}");
    assert_eq!(s.write_file(&path, &edited), Ok(()));
    assert_eq!(
        s.editor_closed(&path).unwrap_or_default().text(),
        "deployment.apps/web edited\n"
    );
    let env = field(
        &mut s,
        "deploy web",
        ".spec.template.spec.containers[0].env[*].name",
    );
    assert_eq!(env, "B");
    // A removed defaulted field comes back with its default, as on a real apiserver.
    let grace = field(
        &mut s,
        "deploy web",
        ".spec.template.spec.terminationGracePeriodSeconds",
    );
    assert_eq!(grace, "30");
}
