//! Ephemeral containers (`kubectl debug`): the pod's `ephemeralcontainers` subresource, the
//! only route by which they are added (a plain pod update that changes them is refused by
//! `ValidatePodUpdate`), and what the kubelet runs for each (a container that never restarts).

use crate::api::{ApiServer, strategic_merge};
use crate::errors::{ApiError, FieldError};
use crate::objects::{Kind, Object};
use k8s_openapi::api::core::v1::{Container, EphemeralContainer, Pod, ResourceRequirements};
use serde_json::Value;

/// The fields an ephemeral container shares with a container, as the kubelet runs it.
pub fn as_container(ec: &EphemeralContainer) -> Container {
    Container {
        name: ec.name.clone(),
        image: ec.image.clone(),
        image_pull_policy: ec.image_pull_policy.clone(),
        command: ec.command.clone(),
        args: ec.args.clone(),
        env: ec.env.clone(),
        env_from: ec.env_from.clone(),
        working_dir: ec.working_dir.clone(),
        volume_mounts: ec.volume_mounts.clone(),
        security_context: ec.security_context.clone(),
        stdin: ec.stdin,
        stdin_once: ec.stdin_once,
        tty: ec.tty,
        termination_message_path: ec.termination_message_path.clone(),
        termination_message_policy: ec.termination_message_policy.clone(),
        ..Container::default()
    }
}

/// The apiserver's defaults for a new ephemeral container (as for any container).
fn default_ephemeral(ec: &mut EphemeralContainer) {
    if ec.image_pull_policy.is_none()
        && let Some(image) = &ec.image
    {
        ec.image_pull_policy = Some(crate::defaults::image_pull_policy(image).to_owned());
    }
    ec.termination_message_path
        .get_or_insert_with(|| "/dev/termination-log".to_owned());
    ec.termination_message_policy
        .get_or_insert_with(|| "File".to_owned());
    ec.resources
        .get_or_insert_with(ResourceRequirements::default);
}

/// `ValidatePodCreate`: a pod is created without ephemeral containers (they come only
/// through the subresource).
pub fn validate_create(object: &Object) -> Vec<FieldError> {
    let set = object
        .as_pod()
        .and_then(|p| p.spec.as_ref())
        .and_then(|s| s.ephemeral_containers.as_ref())
        .is_some_and(|list| !list.is_empty());
    if set {
        vec![FieldError::forbidden(
            "spec.ephemeralContainers",
            "cannot be set on create",
        )]
    } else {
        Vec::new()
    }
}

/// `ValidatePodEphemeralContainersUpdate`: existing ephemeral containers stay as they are, new
/// ones follow `ValidateEphemeralContainers` (unique names, an image, a target that is one of
/// the pod's containers, none of the fields ephemeral containers may not set).
pub fn validate_update(old: &Pod, new: &Pod) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let empty = Vec::new();
    let old_list = old
        .spec
        .as_ref()
        .and_then(|s| s.ephemeral_containers.as_ref())
        .unwrap_or(&empty);
    let new_list = new
        .spec
        .as_ref()
        .and_then(|s| s.ephemeral_containers.as_ref())
        .unwrap_or(&empty);
    for previous in old_list {
        match new_list.iter().position(|c| c.name == previous.name) {
            None => errors.push(FieldError::forbidden(
                "spec.ephemeralContainers",
                format!(
                    "existing ephemeral containers {} may not be removed\n",
                    crate::errors::go_quote(&previous.name)
                ),
            )),
            Some(i) if new_list[i] != *previous => errors.push(FieldError::forbidden(
                format!("spec.ephemeralContainers[{i}]"),
                format!(
                    "existing ephemeral containers {} may not be changed\n",
                    crate::errors::go_quote(&previous.name)
                ),
            )),
            Some(_) => {}
        }
    }
    let spec = new.spec.clone().unwrap_or_default();
    let regular: Vec<&str> = spec
        .init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
        .map(|c| c.name.as_str())
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for (i, ec) in new_list.iter().enumerate() {
        let path = format!("spec.ephemeralContainers[{i}]");
        if ec.name.is_empty() {
            errors.push(FieldError::required(format!("{path}.name"), ""));
        } else if !crate::validation::is_dns1123_label(&ec.name) {
            errors.push(FieldError::invalid_str(
                format!("{path}.name"),
                &ec.name,
                crate::validation::DNS1123_LABEL_MSG,
            ));
        } else if regular.contains(&ec.name.as_str()) || seen.contains(&ec.name.as_str()) {
            errors.push(FieldError::duplicate(format!("{path}.name"), &ec.name));
        }
        seen.push(&ec.name);
        if ec.image.as_deref().is_none_or(|i| i.trim().is_empty()) {
            errors.push(FieldError::required(format!("{path}.image"), ""));
        }
        for (field, set) in [
            ("ports", ec.ports.as_ref().is_some_and(|p| !p.is_empty())),
            ("livenessProbe", ec.liveness_probe.is_some()),
            ("readinessProbe", ec.readiness_probe.is_some()),
            ("startupProbe", ec.startup_probe.is_some()),
            ("lifecycle", ec.lifecycle.is_some()),
        ] {
            if set {
                errors.push(FieldError::forbidden(
                    format!("{path}.{field}"),
                    "cannot be set for an Ephemeral Container",
                ));
            }
        }
        if let Some(target) = ec.target_container_name.as_deref()
            && !target.is_empty()
            && !regular.contains(&target)
        {
            errors.push(FieldError::not_found(
                format!("{path}.targetContainerName"),
                target,
            ));
        }
    }
    errors
}

impl ApiServer {
    /// A strategic merge patch of `pods/NAME/ephemeralcontainers`: only
    /// `spec.ephemeralContainers` changes, the rest of the pod and its status stay as stored.
    pub fn patch_ephemeral_containers(
        &mut self,
        namespace: &str,
        name: &str,
        patch: &Value,
    ) -> Result<Object, ApiError> {
        self.authorize_subresource("patch", Kind::Pod, namespace, name, "ephemeralcontainers")?;
        let current = self.get(Kind::Pod, namespace, name)?;
        let Some(old) = current.as_pod() else {
            return Err(ApiError::not_found(Kind::Pod, name));
        };
        let mut doc = current.to_json();
        strategic_merge(&mut doc, patch, "");
        let patched =
            crate::decode::decode_value(doc).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let Some(patched) = patched.as_pod() else {
            return Err(ApiError::bad_request(
                "the name or kind of the object may not be changed by a patch",
            ));
        };
        let mut updated = old.clone();
        let merged = patched
            .spec
            .as_ref()
            .and_then(|s| s.ephemeral_containers.clone())
            .unwrap_or_default();
        let existing: Vec<String> = old
            .spec
            .iter()
            .flat_map(|s| s.ephemeral_containers.iter().flatten())
            .map(|c| c.name.clone())
            .collect();
        // The stored containers keep their places and new ones follow (kubectl's patch
        // carries `$setElementOrder` for that).
        let (mut list, mut added): (Vec<_>, Vec<_>) =
            merged.into_iter().partition(|c| existing.contains(&c.name));
        crate::stable_sort::sort_by_key(&mut list, |c| existing.iter().position(|n| *n == c.name));
        for ec in added.iter_mut() {
            default_ephemeral(ec);
        }
        list.append(&mut added);
        if let Some(spec) = updated.spec.as_mut() {
            spec.ephemeral_containers = (!list.is_empty()).then_some(list);
        }
        let errors = validate_update(old, &updated);
        if !errors.is_empty() {
            return Err(ApiError::invalid(Kind::Pod, name, errors));
        }
        if updated == *old {
            return Ok(current);
        }
        self.put_raw(Object::Pod(Box::new(updated)));
        self.get(Kind::Pod, namespace, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(ephemeral: Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "nginx"}],
                     "ephemeralContainers": ephemeral}
        }))
        .expect("a pod")
    }

    #[test]
    fn existing_ephemeral_containers_may_not_change_or_go() {
        let old = pod(json!([{"name": "debugger-a", "image": "busybox"}]));
        let changed = pod(json!([{"name": "debugger-a", "image": "alpine"}]));
        let removed = pod(json!([]));
        let errors: Vec<String> = validate_update(&old, &changed)
            .iter()
            .chain(validate_update(&old, &removed).iter())
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "spec.ephemeralContainers[0]: Forbidden: existing ephemeral containers \"debugger-a\" may not be changed\n",
                "spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger-a\" may not be removed\n",
            ]
        );
    }

    #[test]
    fn new_ephemeral_containers_are_validated() {
        let old = pod(json!([]));
        let new = pod(json!([
            {"name": "app", "image": "busybox"},
            {"name": "dbg", "targetContainerName": "nope"},
            {"name": "dbg2", "image": "busybox", "ports": [{"containerPort": 80}]},
        ]));
        let errors: Vec<String> = validate_update(&old, &new)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "spec.ephemeralContainers[0].name: Duplicate value: \"app\"",
                "spec.ephemeralContainers[1].image: Required value",
                "spec.ephemeralContainers[1].targetContainerName: Not found: \"nope\"",
                "spec.ephemeralContainers[2].ports: Forbidden: cannot be set for an Ephemeral Container",
            ]
        );
    }
}
