//! Validation with the apiserver's field paths and messages (`pkg/apis/*/validation`).

use crate::errors::FieldError;
use crate::objects::{Kind, Object};
use crate::selector::{self, Labels};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case \
alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. \
'example.com', regex used for validation is \
'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
pub(crate) const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case \
alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. \
'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric \
characters or '-', start with an alphabetic character, and end with an alphanumeric character \
(e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

fn is_label_chars(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= 63 && is_label_chars(s)
}

pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_label_chars)
}

fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

/// `path.IsValidPathSegmentName`, the rule RBAC names follow (`system:controller:x` is fine).
fn path_segment_name_errors(name: &str) -> Vec<String> {
    if name == "." || name == ".." {
        return vec![format!("may not be '{name}'")];
    }
    let mut errors = Vec::new();
    for illegal in ["/", "%"] {
        if name.contains(illegal) {
            errors.push(format!("may not contain '{illegal}'"));
        }
    }
    errors
}

/// Which name rule a kind's `metadata.name` follows.
fn name_errors(kind: Kind, name: &str, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if matches!(
        kind,
        Kind::Role | Kind::ClusterRole | Kind::RoleBinding | Kind::ClusterRoleBinding
    ) {
        return path_segment_name_errors(name)
            .into_iter()
            .map(|msg| FieldError::invalid_str(path, name, msg))
            .collect();
    }
    let (ok, msg, max) = match kind {
        Kind::Namespace => (is_dns1123_label(name), DNS1123_LABEL_MSG, 63),
        Kind::Service => (is_dns1035_label(name), DNS1035_LABEL_MSG, 63),
        _ => (is_dns1123_subdomain(name), DNS1123_SUBDOMAIN_MSG, 253),
    };
    if name.len() > max {
        errors.push(FieldError::invalid_str(
            path,
            name,
            format!("must be no more than {max} characters"),
        ));
    }
    // A too-long but well-formed name gets only the length error, as upstream.
    if !(ok || name.len() > max && is_label_chars(name)) {
        errors.push(FieldError::invalid_str(path, name, msg));
    }
    errors
}

fn validate_container(c: &Container, path: &str, names: &mut Vec<String>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if c.name.is_empty() {
        errors.push(FieldError::required(format!("{path}.name"), ""));
    } else if !is_dns1123_label(&c.name) {
        errors.push(FieldError::invalid_str(
            format!("{path}.name"),
            &c.name,
            DNS1123_LABEL_MSG,
        ));
    } else if names.contains(&c.name) {
        errors.push(FieldError::duplicate(format!("{path}.name"), &c.name));
    }
    names.push(c.name.clone());
    if c.image.as_deref().is_none_or(|i| i.trim().is_empty()) {
        errors.push(FieldError::required(format!("{path}.image"), ""));
    }
    for (i, port) in c.ports.iter().flatten().enumerate() {
        if !(1..=65535).contains(&port.container_port) {
            errors.push(FieldError::invalid_raw(
                format!("{path}.ports[{i}].containerPort"),
                port.container_port.to_string(),
                "must be between 1 and 65535, inclusive",
            ));
        }
    }
    if let Some(policy) = c.image_pull_policy.as_deref()
        && !["Always", "IfNotPresent", "Never"].contains(&policy)
    {
        errors.push(FieldError::not_supported(
            format!("{path}.imagePullPolicy"),
            policy,
            &["Always", "IfNotPresent", "Never"],
        ));
    }
    for (kind, list) in [
        (
            "requests",
            c.resources.as_ref().and_then(|r| r.requests.as_ref()),
        ),
        (
            "limits",
            c.resources.as_ref().and_then(|r| r.limits.as_ref()),
        ),
    ] {
        for (name, q) in list.into_iter().flatten() {
            if crate::quantity::parse(&q.0).is_none() {
                errors.push(FieldError::invalid_str(
                    format!("{path}.resources.{kind}[{name}]"),
                    &q.0,
                    "quantities must match the regular expression \
                     '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                ));
            }
        }
    }
    // A request may not exceed its limit (apiserver's ValidateResourceRequirements).
    let resources = c.resources.as_ref();
    let limits = resources.and_then(|r| r.limits.as_ref());
    for (name, request) in resources
        .and_then(|r| r.requests.as_ref())
        .into_iter()
        .flatten()
    {
        let Some(limit) = limits.and_then(|l| l.get(name)) else {
            continue;
        };
        let (Some(r), Some(l)) = (
            crate::quantity::parse(&request.0),
            crate::quantity::parse(&limit.0),
        ) else {
            continue;
        };
        if r.milli > l.milli {
            errors.push(FieldError::invalid_str(
                format!("{path}.resources.requests"),
                &request.0,
                format!("must be less than or equal to {name} limit of {}", limit.0),
            ));
        }
    }
    errors
}

/// `ValidatePodSpec`, the parts learners trip over.
pub fn validate_pod_spec(spec: &PodSpec, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut names = Vec::new();
    if spec.containers.is_empty() {
        errors.push(FieldError::required(format!("{path}.containers"), ""));
    }
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        errors.extend(validate_container(
            c,
            &format!("{path}.initContainers[{i}]"),
            &mut names,
        ));
    }
    for (i, c) in spec.containers.iter().enumerate() {
        errors.extend(validate_container(
            c,
            &format!("{path}.containers[{i}]"),
            &mut names,
        ));
    }
    if let Some(policy) = spec.restart_policy.as_deref()
        && !["Always", "OnFailure", "Never"].contains(&policy)
    {
        errors.push(FieldError::not_supported(
            format!("{path}.restartPolicy"),
            policy,
            &["Always", "OnFailure", "Never"],
        ));
    }
    if let Some(policy) = spec.dns_policy.as_deref() {
        let allowed = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
        if !allowed.contains(&policy) {
            errors.push(FieldError::not_supported(
                format!("{path}.dnsPolicy"),
                policy,
                &allowed,
            ));
        }
    }
    errors
}

fn labels_of(template: Option<&PodTemplateSpec>) -> Labels {
    template
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

fn validate_replicas(replicas: Option<i32>, errors: &mut Vec<FieldError>) {
    if let Some(r) = replicas.filter(|r| *r < 0) {
        errors.push(FieldError::invalid_raw(
            "spec.replicas",
            r.to_string(),
            "must be greater than or equal to 0",
        ));
    }
}

/// Template checks shared by ReplicaSet/Deployment/DaemonSet/StatefulSet (apps/v1 selector).
fn validate_selector_template(
    selector: Option<&LabelSelector>,
    template: Option<&PodTemplateSpec>,
    only_always: bool,
    errors: &mut Vec<FieldError>,
) {
    match selector {
        None => errors.push(FieldError::required("spec.selector", "")),
        Some(sel) => {
            errors.extend(selector::validate(sel, "spec.selector"));
            let empty = sel.match_labels.as_ref().is_none_or(|m| m.is_empty())
                && sel.match_expressions.as_ref().is_none_or(|m| m.is_empty());
            if empty {
                errors.push(FieldError::invalid_raw(
                    "spec.selector",
                    go_selector(sel),
                    "empty selector is invalid for deployment",
                ));
            } else if template.is_some() && !selector::matches(sel, &labels_of(template)) {
                errors.push(FieldError::invalid_raw(
                    "spec.template.metadata.labels",
                    selector::go_map_literal(&labels_of(template)),
                    "`selector` does not match template `labels`",
                ));
            }
        }
    }
    validate_template(template, only_always, errors);
}

fn validate_template(
    template: Option<&PodTemplateSpec>,
    only_always: bool,
    errors: &mut Vec<FieldError>,
) {
    match template.and_then(|t| t.spec.as_ref()) {
        None => errors.push(FieldError::required("spec.template.spec.containers", "")),
        Some(spec) => {
            errors.extend(validate_pod_spec(spec, "spec.template.spec"));
            let policy = spec.restart_policy.as_deref().unwrap_or("Always");
            if only_always && policy != "Always" {
                errors.push(FieldError::not_supported(
                    "spec.template.spec.restartPolicy",
                    policy,
                    &["Always"],
                ));
            }
        }
    }
}

/// Go's `%#v` of a `metav1.LabelSelector`, as immutable-selector errors print it.
pub fn go_selector(sel: &LabelSelector) -> String {
    let labels = match &sel.match_labels {
        Some(m) => selector::go_map_literal(m),
        None => "map[string]string(nil)".to_owned(),
    };
    let exprs = match &sel.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_owned(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|r| {
                    let values = match &r.values {
                        None => "[]string(nil)".to_owned(),
                        Some(v) => format!(
                            "[]string{{{}}}",
                            v.iter()
                                .map(|s| crate::errors::go_quote(s))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{values}}}",
                        crate::errors::go_quote(&r.key),
                        crate::errors::go_quote(&r.operator)
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!("v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{exprs}}}")
}

/// Validates an object about to be created (or the new state of an update).
pub fn validate(object: &Object) -> Vec<FieldError> {
    let mut errors = name_errors(object.kind(), object.name(), "metadata.name");
    match object {
        Object::Pod(pod) => match &pod.spec {
            None => errors.push(FieldError::required("spec.containers", "")),
            Some(spec) => errors.extend(validate_pod_spec(spec, "spec")),
        },
        Object::ReplicaSet(rs) => {
            let spec = rs.spec.as_ref();
            validate_replicas(spec.and_then(|s| s.replicas), &mut errors);
            validate_selector_template(
                spec.map(|s| &s.selector),
                spec.and_then(|s| s.template.as_ref()),
                true,
                &mut errors,
            );
        }
        Object::Deployment(d) => {
            let spec = d.spec.as_ref();
            validate_replicas(spec.and_then(|s| s.replicas), &mut errors);
            validate_selector_template(
                spec.map(|s| &s.selector),
                spec.map(|s| &s.template),
                true,
                &mut errors,
            );
            if let Some(strategy) = spec.and_then(|s| s.strategy.as_ref()) {
                let t = strategy.type_.as_deref().unwrap_or("RollingUpdate");
                if !["Recreate", "RollingUpdate"].contains(&t) {
                    errors.push(FieldError::not_supported(
                        "spec.strategy.type",
                        t,
                        &["Recreate", "RollingUpdate"],
                    ));
                } else if t == "Recreate" && strategy.rolling_update.is_some() {
                    errors.push(FieldError::forbidden(
                        "spec.strategy.rollingUpdate",
                        "may not be specified when strategy `type` is 'Recreate'",
                    ));
                }
            }
        }
        Object::DaemonSet(ds) => {
            let spec = ds.spec.as_ref();
            validate_selector_template(
                spec.map(|s| &s.selector),
                spec.map(|s| &s.template),
                true,
                &mut errors,
            );
        }
        Object::StatefulSet(ss) => {
            let spec = ss.spec.as_ref();
            validate_replicas(spec.and_then(|s| s.replicas), &mut errors);
            validate_claim_retention_policy(ss, &mut errors);
            validate_selector_template(
                spec.map(|s| &s.selector),
                spec.map(|s| &s.template),
                true,
                &mut errors,
            );
        }
        Object::ReplicationController(rc) => {
            let spec = rc.spec.as_ref();
            validate_replicas(spec.and_then(|s| s.replicas), &mut errors);
            let sel = spec.and_then(|s| s.selector.clone()).unwrap_or_default();
            let template = spec.and_then(|s| s.template.as_ref());
            if sel.is_empty() {
                errors.push(FieldError::required("spec.selector", ""));
            } else if template.is_some() && !selector::matches_map(&sel, &labels_of(template)) {
                errors.push(FieldError::invalid_raw(
                    "spec.template.metadata.labels",
                    selector::go_map_literal(&labels_of(template)),
                    "`selector` does not match template `labels`",
                ));
            }
            validate_template(template, true, &mut errors);
        }
        Object::CronJob(cj) => {
            if let Some(zone) = cj.spec.as_ref().and_then(|s| s.time_zone.as_deref()) {
                let path = "spec.timeZone";
                let well_formed = zone.split('/').all(|part| {
                    part != "."
                        && part != ".."
                        && !part.starts_with('-')
                        && !part.is_empty()
                        && part.len() <= 14
                        && part
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
                });
                if zone.is_empty() {
                    errors.push(FieldError::invalid_str(
                        path,
                        zone,
                        "timeZone must be nil or non-empty string",
                    ));
                } else if !well_formed {
                    errors.push(FieldError::invalid_str(
                        path,
                        zone,
                        format!("unknown time zone {zone}"),
                    ));
                } else if zone.eq_ignore_ascii_case("Local") {
                    errors.push(FieldError::invalid_str(
                        path,
                        zone,
                        "timeZone must be an explicit time zone as defined in \
                         https://www.iana.org/time-zones",
                    ));
                } else if crate::controllers::cronjob::tz::zone(zone).is_none() {
                    // Go's time.LoadLocation error. Our table holds common zones only.
                    errors.push(FieldError::invalid_str(
                        path,
                        zone,
                        format!("unknown time zone {zone}"),
                    ));
                }
            }
        }
        Object::Job(job) => {
            let spec = job.spec.as_ref();
            let template = spec.map(|s| &s.template);
            validate_template(template, false, &mut errors);
            let policy = template
                .and_then(|t| t.spec.as_ref())
                .and_then(|s| s.restart_policy.as_deref())
                .unwrap_or("Always");
            if !["OnFailure", "Never"].contains(&policy) {
                errors.push(FieldError::not_supported(
                    "spec.template.spec.restartPolicy",
                    policy,
                    &["OnFailure", "Never"],
                ));
            }
            match spec.and_then(|s| s.completion_mode.as_deref()) {
                None | Some("NonIndexed") => {}
                Some("Indexed") => {
                    if spec.is_some_and(|s| s.completions.is_none()) {
                        errors.push(FieldError::required(
                            "spec.completions",
                            "when completion mode is Indexed",
                        ));
                    }
                }
                Some(other) => errors.push(FieldError::not_supported(
                    "spec.completionMode",
                    other,
                    &["NonIndexed", "Indexed"],
                )),
            }
        }
        Object::HorizontalPodAutoscaler(hpa) => {
            if let Some(spec) = hpa.spec.as_ref() {
                validate_hpa_spec(spec, &mut errors);
            }
        }
        Object::Service(svc) => {
            for (i, port) in svc
                .spec
                .as_ref()
                .and_then(|s| s.ports.as_ref())
                .into_iter()
                .flatten()
                .enumerate()
            {
                if !(1..=65535).contains(&port.port) {
                    errors.push(FieldError::invalid_raw(
                        format!("spec.ports[{i}].port"),
                        port.port.to_string(),
                        "must be between 1 and 65535, inclusive",
                    ));
                }
            }
        }
        Object::PriorityClass(pc) => errors.extend(crate::priority::validate_class(pc)),
        Object::PodDisruptionBudget(pdb) => errors.extend(crate::disruption::validate(pdb)),
        Object::PersistentVolume(pv) => validate_persistent_volume(pv, &mut errors),
        Object::PersistentVolumeClaim(pvc) => validate_claim(pvc, &mut errors),
        Object::StorageClass(class) => validate_storage_class(class, &mut errors),
        Object::Ingress(_) | Object::IngressClass(_) | Object::NetworkPolicy(_) => {
            crate::networking::validate(object, &mut errors);
        }
        Object::Role(role) => {
            for (i, rule) in role.rules.iter().flatten().enumerate() {
                validate_policy_rule(rule, true, &format!("rules[{i}]"), &mut errors);
            }
        }
        // An aggregated role's rules belong to the aggregation controller.
        Object::ClusterRole(role) if role.aggregation_rule.is_none() => {
            for (i, rule) in role.rules.iter().flatten().enumerate() {
                validate_policy_rule(rule, false, &format!("rules[{i}]"), &mut errors);
            }
        }
        Object::RoleBinding(binding) => {
            validate_binding(
                &binding.role_ref,
                binding.subjects.as_deref(),
                true,
                &mut errors,
            );
        }
        Object::ClusterRoleBinding(binding) => {
            validate_binding(
                &binding.role_ref,
                binding.subjects.as_deref(),
                false,
                &mut errors,
            );
        }
        _ => {}
    }
    errors
}

const ACCESS_MODES: &[&str] = &[
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];

fn validate_access_modes(modes: &[String], errors: &mut Vec<FieldError>) {
    for mode in modes {
        if !ACCESS_MODES.contains(&mode.as_str()) {
            errors.push(FieldError::not_supported(
                "spec.accessModes",
                mode,
                ACCESS_MODES,
            ));
        }
    }
}

/// `ValidatePersistentVolumeSpec`: capacity, access modes, exactly one volume source.
fn validate_persistent_volume(
    pv: &k8s_openapi::api::core::v1::PersistentVolume,
    errors: &mut Vec<FieldError>,
) {
    let spec = pv.spec.clone().unwrap_or_default();
    let modes = spec.access_modes.clone().unwrap_or_default();
    if modes.is_empty() {
        errors.push(FieldError::required("spec.accessModes", ""));
    }
    validate_access_modes(&modes, errors);
    let capacity = spec.capacity.clone().unwrap_or_default();
    if capacity.is_empty() {
        errors.push(FieldError::required("spec.capacity", ""));
    } else if !capacity.contains_key("storage") || capacity.len() > 1 {
        let keys: Vec<&str> = capacity.keys().map(String::as_str).collect();
        errors.push(FieldError::not_supported(
            "spec.capacity",
            &format!("[{}]", keys.join(" ")),
            &["storage"],
        ));
    }
    if let Some(policy) = spec.persistent_volume_reclaim_policy.as_deref()
        && !["Delete", "Recycle", "Retain"].contains(&policy)
    {
        errors.push(FieldError::not_supported(
            "spec.persistentVolumeReclaimPolicy",
            policy,
            &["Delete", "Recycle", "Retain"],
        ));
    }
    if crate::storage::volume_source_count(&spec) == 0 {
        errors.push(FieldError::required("spec", "must specify a volume type"));
    }
    if let Some(host_path) = &spec.host_path
        && host_path.path.is_empty()
    {
        errors.push(FieldError::required("spec.hostPath.path", ""));
    }
    if let Some(local) = &spec.local {
        if local.path.is_empty() {
            errors.push(FieldError::required("spec.local.path", ""));
        }
        if spec.node_affinity.is_none() {
            errors.push(FieldError::required(
                "spec.nodeAffinity",
                "Local volume requires node affinity",
            ));
        }
    }
}

/// `ValidatePersistentVolumeClaimSpec`: access modes and a positive storage request.
fn validate_claim(
    pvc: &k8s_openapi::api::core::v1::PersistentVolumeClaim,
    errors: &mut Vec<FieldError>,
) {
    let spec = pvc.spec.clone().unwrap_or_default();
    let modes = spec.access_modes.clone().unwrap_or_default();
    if modes.is_empty() {
        errors.push(FieldError::required(
            "spec.accessModes",
            "at least 1 access mode is required",
        ));
    }
    validate_access_modes(&modes, errors);
    let request = spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"));
    match request {
        None => errors.push(FieldError::required("spec.resources[storage]", "")),
        Some(q) => {
            if crate::quantity::parse(&q.0).is_none_or(|a| a.milli <= 0) {
                errors.push(FieldError::invalid_str(
                    "spec.resources.requests[storage]",
                    &q.0,
                    "must be greater than zero",
                ));
            }
        }
    }
}

fn validate_storage_class(
    class: &k8s_openapi::api::storage::v1::StorageClass,
    errors: &mut Vec<FieldError>,
) {
    if class.provisioner.is_empty() {
        errors.push(FieldError::required("provisioner", ""));
    }
    if let Some(policy) = class.reclaim_policy.as_deref()
        && !["Delete", "Retain"].contains(&policy)
    {
        errors.push(FieldError::not_supported(
            "reclaimPolicy",
            policy,
            &["Delete", "Retain"],
        ));
    }
    if let Some(mode) = class.volume_binding_mode.as_deref()
        && !["Immediate", "WaitForFirstConsumer"].contains(&mode)
    {
        errors.push(FieldError::not_supported(
            "volumeBindingMode",
            mode,
            &["Immediate", "WaitForFirstConsumer"],
        ));
    }
}

/// The storage kinds' update rules (`ValidatePersistentVolumeClaimUpdate` and friends).
fn validate_storage_update(old: &Object, new: &Object) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match (old, new) {
        (Object::PersistentVolumeClaim(a), Object::PersistentVolumeClaim(b)) => {
            let bound = a.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound");
            let mut old_spec = a.spec.clone().unwrap_or_default();
            let mut new_spec = b.spec.clone().unwrap_or_default();
            // The binder fills in volumeName once; a claim may also be pre-bound later.
            if old_spec.volume_name.as_deref().unwrap_or("").is_empty() {
                old_spec.volume_name = new_spec.volume_name.clone();
            }
            if bound {
                new_spec.resources = old_spec.resources.clone();
                new_spec.volume_attributes_class_name =
                    old_spec.volume_attributes_class_name.clone();
            }
            if old_spec != new_spec {
                errors.push(FieldError::forbidden(
                    "spec",
                    "spec is immutable after creation except resources.requests and \
                     volumeAttributesClassName for bound claims",
                ));
            }
            let size = |pvc: &k8s_openapi::api::core::v1::PersistentVolumeClaim| {
                pvc.spec
                    .as_ref()
                    .and_then(|s| s.resources.as_ref())
                    .and_then(|r| r.requests.as_ref())
                    .and_then(|r| r.get("storage"))
                    .and_then(|q| crate::quantity::parse(&q.0))
                    .map_or(0, |a| a.milli)
            };
            // RecoverVolumeExpansionFailure (beta, on in v1.32): a claim may shrink back
            // towards what was allocated, never below its status capacity.
            let status_size = a
                .status
                .as_ref()
                .and_then(|s| s.capacity.as_ref())
                .and_then(|c| c.get("storage"))
                .and_then(|q| crate::quantity::parse(&q.0))
                .map_or(0, |a| a.milli);
            if size(b) < size(a) && size(b) <= status_size {
                errors.push(FieldError::forbidden(
                    "spec.resources.requests.storage",
                    "field can not be less than status.capacity",
                ));
            }
        }
        (Object::PersistentVolume(a), Object::PersistentVolume(b)) => {
            let source = |pv: &k8s_openapi::api::core::v1::PersistentVolume| {
                let mut spec = pv.spec.clone().unwrap_or_default();
                spec.access_modes = None;
                spec.capacity = None;
                spec.claim_ref = None;
                spec.mount_options = None;
                spec.node_affinity = None;
                spec.persistent_volume_reclaim_policy = None;
                spec.storage_class_name = None;
                spec.volume_attributes_class_name = None;
                spec.volume_mode = None;
                spec
            };
            if source(a) != source(b) {
                errors.push(FieldError::forbidden(
                    "spec.persistentvolumesource",
                    "spec.persistentvolumesource is forbidden.",
                ));
            }
        }
        (Object::StorageClass(a), Object::StorageClass(b)) => {
            if a.parameters != b.parameters {
                errors.push(FieldError::forbidden(
                    "parameters",
                    "updates to parameters are forbidden.",
                ));
            }
            if a.provisioner != b.provisioner {
                errors.push(FieldError::forbidden(
                    "provisioner",
                    "updates to provisioner are forbidden.",
                ));
            }
            if a.reclaim_policy != b.reclaim_policy {
                errors.push(FieldError::forbidden(
                    "reclaimPolicy",
                    "updates to reclaimPolicy are forbidden.",
                ));
            }
            if a.volume_binding_mode != b.volume_binding_mode {
                errors.push(FieldError::invalid_str(
                    "volumeBindingMode",
                    b.volume_binding_mode.as_deref().unwrap_or(""),
                    "field is immutable",
                ));
            }
        }
        _ => {}
    }
    errors
}

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// `rbac/validation.ValidatePolicyRule`.
fn validate_policy_rule(
    rule: &PolicyRule,
    namespaced: bool,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    if rule.verbs.is_empty() {
        errors.push(FieldError::required(
            format!("{path}.verbs"),
            "verbs must contain at least one value",
        ));
    }
    let urls = rule.non_resource_urls.as_deref().unwrap_or_default();
    let len = |list: &Option<Vec<String>>| list.as_ref().map_or(0, Vec::len);
    if !urls.is_empty() {
        let rendered = format!(
            "[]string{{{}}}",
            urls.iter()
                .map(|u| crate::errors::go_quote(u))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if namespaced {
            errors.push(FieldError::invalid_raw(
                format!("{path}.nonResourceURLs"),
                rendered.clone(),
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        if len(&rule.api_groups) + len(&rule.resources) + len(&rule.resource_names) > 0 {
            errors.push(FieldError::invalid_raw(
                format!("{path}.nonResourceURLs"),
                rendered,
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return;
    }
    if len(&rule.api_groups) == 0 {
        errors.push(FieldError::required(
            format!("{path}.apiGroups"),
            "resource rules must supply at least one api group",
        ));
    }
    if len(&rule.resources) == 0 {
        errors.push(FieldError::required(
            format!("{path}.resources"),
            "resource rules must supply at least one resource",
        ));
    }
}

/// `rbac/validation.ValidateRoleBinding` (and its ClusterRoleBinding twin).
fn validate_binding(
    role_ref: &RoleRef,
    subjects: Option<&[Subject]>,
    namespaced: bool,
    errors: &mut Vec<FieldError>,
) {
    if role_ref.api_group != RBAC_GROUP {
        errors.push(FieldError::not_supported(
            "roleRef.apiGroup",
            &role_ref.api_group,
            &[RBAC_GROUP],
        ));
    }
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&role_ref.kind.as_str()) {
        errors.push(FieldError::not_supported(
            "roleRef.kind",
            &role_ref.kind,
            kinds,
        ));
    }
    if role_ref.name.is_empty() {
        errors.push(FieldError::required("roleRef.name", ""));
    } else {
        for msg in path_segment_name_errors(&role_ref.name) {
            errors.push(FieldError::invalid_str("roleRef.name", &role_ref.name, msg));
        }
    }
    for (i, subject) in subjects.unwrap_or_default().iter().enumerate() {
        let path = format!("subjects[{i}]");
        if subject.name.is_empty() {
            errors.push(FieldError::required(format!("{path}.name"), ""));
        }
        let group = subject.api_group.as_deref().unwrap_or("");
        match subject.kind.as_str() {
            "ServiceAccount" => {
                if !subject.name.is_empty() && !is_dns1123_subdomain(&subject.name) {
                    errors.push(FieldError::invalid_str(
                        format!("{path}.name"),
                        &subject.name,
                        DNS1123_SUBDOMAIN_MSG,
                    ));
                }
                if !group.is_empty() {
                    errors.push(FieldError::not_supported(
                        format!("{path}.apiGroup"),
                        group,
                        &[""],
                    ));
                }
                if !namespaced && subject.namespace.as_deref().is_none_or(str::is_empty) {
                    errors.push(FieldError::required(format!("{path}.namespace"), ""));
                }
            }
            "User" | "Group" => {
                if group != RBAC_GROUP {
                    errors.push(FieldError::not_supported(
                        format!("{path}.apiGroup"),
                        group,
                        &[RBAC_GROUP],
                    ));
                }
            }
            other => errors.push(FieldError::not_supported(
                format!("{path}.kind"),
                other,
                &["ServiceAccount", "User", "Group"],
            )),
        }
    }
}

/// Fields an update may not change (`field is immutable`).
/// `ValidatePersistentVolumeClaimRetentionPolicy`: each field is `Retain` or `Delete`.
fn validate_claim_retention_policy(
    set: &k8s_openapi::api::apps::v1::StatefulSet,
    errors: &mut Vec<FieldError>,
) {
    let policy = set
        .spec
        .as_ref()
        .and_then(|s| s.persistent_volume_claim_retention_policy.as_ref());
    let fields = policy
        .map(|p| {
            [
                ("whenDeleted", &p.when_deleted),
                ("whenScaled", &p.when_scaled),
            ]
        })
        .into_iter()
        .flatten();
    for (field, value) in fields {
        if let Some(value) = value
            .as_deref()
            .filter(|v| !["Retain", "Delete"].contains(v))
        {
            errors.push(FieldError::not_supported(
                format!("spec.persistentVolumeClaimRetentionPolicy.{field}"),
                value,
                &["Delete", "Retain"],
            ));
        }
    }
}

/// `ValidateStatefulSetUpdate`: only some spec fields may change (the selector and the
/// volumeClaimTemplates may not).
fn statefulset_spec_change(
    old: &k8s_openapi::api::apps::v1::StatefulSet,
    new: &k8s_openapi::api::apps::v1::StatefulSet,
) -> Option<FieldError> {
    let fixed = |set: &k8s_openapi::api::apps::v1::StatefulSet| {
        let mut spec = set.spec.clone().unwrap_or_default();
        spec.replicas = None;
        spec.ordinals = None;
        spec.template = Default::default();
        spec.update_strategy = None;
        spec.revision_history_limit = None;
        spec.persistent_volume_claim_retention_policy = None;
        spec.min_ready_seconds = None;
        spec
    };
    (fixed(old) != fixed(new)).then(|| {
        FieldError::forbidden(
            "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', \
             'template', 'updateStrategy', 'revisionHistoryLimit', \
             'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        )
    })
}

pub fn validate_update(old: &Object, new: &Object) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let immutable_selector = |old: Option<&LabelSelector>, new: Option<&LabelSelector>| {
        (old != new).then(|| {
            FieldError::invalid_raw(
                "spec.selector",
                new.map(go_selector).unwrap_or_else(|| "nil".to_owned()),
                "field is immutable",
            )
        })
    };
    let err = match (old, new) {
        (Object::Deployment(a), Object::Deployment(b)) => immutable_selector(
            a.spec.as_ref().map(|s| &s.selector),
            b.spec.as_ref().map(|s| &s.selector),
        ),
        (Object::ReplicaSet(a), Object::ReplicaSet(b)) => immutable_selector(
            a.spec.as_ref().map(|s| &s.selector),
            b.spec.as_ref().map(|s| &s.selector),
        ),
        (Object::DaemonSet(a), Object::DaemonSet(b)) => immutable_selector(
            a.spec.as_ref().map(|s| &s.selector),
            b.spec.as_ref().map(|s| &s.selector),
        ),
        (Object::StatefulSet(a), Object::StatefulSet(b)) => statefulset_spec_change(a, b),
        (Object::Pod(a), Object::Pod(b)) => {
            let strip = |p: &k8s_openapi::api::core::v1::Pod| {
                let mut spec = p.spec.clone().unwrap_or_default();
                for c in spec.containers.iter_mut() {
                    c.image = None;
                }
                spec.active_deadline_seconds = None;
                spec.tolerations = None;
                spec.node_name = None;
                spec
            };
            let node_changed = a.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some()
                && a.spec.as_ref().and_then(|s| s.node_name.as_ref())
                    != b.spec.as_ref().and_then(|s| s.node_name.as_ref());
            (strip(a) != strip(b) || node_changed).then(|| {
                FieldError::forbidden(
                    "spec",
                    "pod updates may not change fields other than `spec.containers[*].image`,\
                     `spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,\
                     `spec.tolerations` (only additions to existing tolerations),\
                     `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was \
                     previously negative)",
                )
            })
        }
        (Object::PriorityClass(a), Object::PriorityClass(b)) => {
            errors.extend(crate::priority::validate_class_update(a, b));
            None
        }
        (Object::RoleBinding(a), Object::RoleBinding(b)) => {
            role_ref_change(&a.role_ref, &b.role_ref)
        }
        (Object::ClusterRoleBinding(a), Object::ClusterRoleBinding(b)) => {
            role_ref_change(&a.role_ref, &b.role_ref)
        }
        _ => None,
    };
    errors.extend(err);
    errors.extend(validate_storage_update(old, new));
    errors.extend(crate::networking::validate_update(old, new));
    errors
}

/// `validateHorizontalPodAutoscalerSpec` (autoscaling validation, HPAScaleToZero off).
fn validate_hpa_spec(
    spec: &k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerSpec,
    errors: &mut Vec<FieldError>,
) {
    if let Some(min) = spec.min_replicas.filter(|m| *m < 1) {
        errors.push(FieldError::invalid_raw(
            "spec.minReplicas",
            min.to_string(),
            "must be greater than or equal to 1",
        ));
    }
    if spec.max_replicas < 1 {
        errors.push(FieldError::invalid_raw(
            "spec.maxReplicas",
            spec.max_replicas.to_string(),
            "must be greater than 0",
        ));
    }
    if spec.min_replicas.is_some_and(|min| spec.max_replicas < min) {
        errors.push(FieldError::invalid_raw(
            "spec.maxReplicas",
            spec.max_replicas.to_string(),
            "must be greater than or equal to `minReplicas`",
        ));
    }
    let target = &spec.scale_target_ref;
    for (field, value) in [("kind", &target.kind), ("name", &target.name)] {
        let path = format!("spec.scaleTargetRef.{field}");
        if value.is_empty() {
            errors.push(FieldError::required(path, ""));
        } else if value == "." || value == ".." {
            errors.push(FieldError::invalid_str(
                path,
                value,
                format!("may not be '{value}'"),
            ));
        } else if let Some(bad) = ["/", "%"].iter().find(|c| value.contains(**c)) {
            errors.push(FieldError::invalid_str(
                path,
                value,
                format!("may not contain '{bad}'"),
            ));
        }
    }
    const SOURCES: &[&str] = &[
        "ContainerResource",
        "External",
        "Object",
        "Pods",
        "Resource",
    ];
    for (i, metric) in spec.metrics.iter().flatten().enumerate() {
        let path = format!("spec.metrics[{i}]");
        if metric.type_.is_empty() {
            errors.push(FieldError::required(
                format!("{path}.type"),
                "must specify a metric source type",
            ));
        }
        if !SOURCES.contains(&metric.type_.as_str()) {
            errors.push(FieldError::not_supported(
                format!("{path}.type"),
                &metric.type_,
                SOURCES,
            ));
        }
        if metric.type_ == "Resource" && metric.resource.is_none() {
            errors.push(FieldError::required(
                format!("{path}.resource"),
                "must populate information for the given metric source",
            ));
        }
        let Some(resource) = metric.resource.as_ref() else {
            continue;
        };
        let path = format!("{path}.resource");
        if resource.name.is_empty() {
            errors.push(FieldError::required(
                format!("{path}.name"),
                "must specify a resource name",
            ));
        }
        let t = &resource.target;
        if t.type_.is_empty() {
            errors.push(FieldError::required(
                format!("{path}.target.type"),
                "must specify a metric target type",
            ));
        }
        if !["Utilization", "Value", "AverageValue"].contains(&t.type_.as_str()) {
            errors.push(FieldError::invalid_str(
                format!("{path}.target.type"),
                &t.type_,
                "must be either Utilization, Value, or AverageValue",
            ));
        }
        if let Some(u) = t.average_utilization.filter(|u| *u < 1) {
            errors.push(FieldError::invalid_raw(
                format!("{path}.target.averageUtilization"),
                u.to_string(),
                "must be greater than 0",
            ));
        }
        if t.average_utilization.is_none() && t.average_value.is_none() {
            errors.push(FieldError::required(
                format!("{path}.target.averageUtilization"),
                "must set either a target raw value or a target utilization",
            ));
        }
        if t.average_utilization.is_some() && t.average_value.is_some() {
            errors.push(FieldError::forbidden(
                format!("{path}.target.averageValue"),
                "may not set both a target raw value and a target utilization",
            ));
        }
    }
    let behavior = spec.behavior.as_ref();
    for (direction, rules) in [
        ("scaleUp", behavior.and_then(|b| b.scale_up.as_ref())),
        ("scaleDown", behavior.and_then(|b| b.scale_down.as_ref())),
    ] {
        let Some(rules) = rules else { continue };
        let path = format!("spec.behavior.{direction}");
        match rules.stabilization_window_seconds {
            Some(w) if w < 0 => errors.push(FieldError::invalid_raw(
                format!("{path}.stabilizationWindowSeconds"),
                w.to_string(),
                "must be greater than or equal to zero",
            )),
            Some(w) if w > 3600 => errors.push(FieldError::invalid_raw(
                format!("{path}.stabilizationWindowSeconds"),
                w.to_string(),
                "must be less than or equal to 3600",
            )),
            _ => {}
        }
        if let Some(select) = rules
            .select_policy
            .as_deref()
            .filter(|p| !["Disabled", "Max", "Min"].contains(p))
        {
            errors.push(FieldError::not_supported(
                format!("{path}.selectPolicy"),
                select,
                &["Disabled", "Max", "Min"],
            ));
        }
        let policies = rules.policies.as_deref().unwrap_or_default();
        if policies.is_empty() {
            errors.push(FieldError::required(
                format!("{path}.policies"),
                "must specify at least one Policy",
            ));
        }
        for (i, policy) in policies.iter().enumerate() {
            let path = format!("{path}.policies[{i}]");
            if !["Pods", "Percent"].contains(&policy.type_.as_str()) {
                errors.push(FieldError::not_supported(
                    format!("{path}.type"),
                    &policy.type_,
                    &["Percent", "Pods"],
                ));
            }
            if policy.value <= 0 {
                errors.push(FieldError::invalid_raw(
                    format!("{path}.value"),
                    policy.value.to_string(),
                    "must be greater than zero",
                ));
            }
            if policy.period_seconds <= 0 {
                errors.push(FieldError::invalid_raw(
                    format!("{path}.periodSeconds"),
                    policy.period_seconds.to_string(),
                    "must be greater than zero",
                ));
            }
            if policy.period_seconds > 1800 {
                errors.push(FieldError::invalid_raw(
                    format!("{path}.periodSeconds"),
                    policy.period_seconds.to_string(),
                    "must be less than or equal to 1800",
                ));
            }
        }
    }
}
/// A binding's roleRef is immutable (`ValidateRoleBindingUpdate`); the value prints as Go's
/// `%#v` of the internal struct.
fn role_ref_change(old: &RoleRef, new: &RoleRef) -> Option<FieldError> {
    (old != new).then(|| {
        FieldError::invalid_raw(
            "roleRef",
            format!(
                "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
                crate::errors::go_quote(&new.api_group),
                crate::errors::go_quote(&new.kind),
                crate::errors::go_quote(&new.name)
            ),
            "cannot change roleRef",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dns_rules() {
        assert!(is_dns1123_subdomain("my.app-1"));
        assert!(!is_dns1123_subdomain("myfirst_test"));
        assert!(!is_dns1123_subdomain("-a"));
        assert!(!is_dns1123_label("a.b"));
        let errs = name_errors(Kind::Namespace, "myfirst_test", "metadata.name");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().starts_with(
            "metadata.name: Invalid value: \"myfirst_test\": a lowercase RFC 1123 label"
        ));
        let long = "a".repeat(300);
        assert_eq!(name_errors(Kind::Pod, &long, "metadata.name").len(), 1);
    }

    #[test]
    fn requests_may_not_exceed_limits() {
        let container: Container = serde_json::from_value(serde_json::json!({
            "name": "c", "image": "nginx",
            "resources": { "requests": { "cpu": "1", "memory": "1Gi" }, "limits": { "cpu": "500m", "memory": "2Gi" } }
        }))
        .unwrap_or_default();
        let errs = validate_container(&container, "spec.containers[0]", &mut Vec::new());
        assert_eq!(
            errs.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec![
                "spec.containers[0].resources.requests: Invalid value: \"1\": must be less than or equal to cpu limit of 500m"
                    .to_owned()
            ]
        );
    }
}
