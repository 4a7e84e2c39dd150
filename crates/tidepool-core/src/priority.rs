//! PriorityClasses (scheduling.k8s.io/v1): the apiserver's system classes, their validation
//! (`pkg/apis/scheduling/validation`) and the Priority admission plugin
//! (`plugin/pkg/admission/priority`), which turns a pod's `priorityClassName` into
//! `spec.priority` and `spec.preemptionPolicy`.

use crate::SimRng;
use crate::errors::FieldError;
use crate::naming;
use crate::objects::{Kind, Object};
use crate::store::Store;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::scheduling::v1::PriorityClass;

/// Names starting with this are reserved for the system classes.
pub const SYSTEM_PREFIX: &str = "system-";
/// `scheduling.HighestUserDefinablePriority`.
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i32 = 1_000_000_000;
/// The default preemption policy of classes and pods.
pub const PREEMPT_LOWER_PRIORITY: &str = "PreemptLowerPriority";

/// `schedulingapiv1.SystemPriorityClasses()`: name, value, description.
pub const SYSTEM_PRIORITY_CLASSES: [(&str, i32, &str); 2] = [
    (
        "system-node-critical",
        2_000_001_000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2_000_000_000,
        "Used for system critical pods that must run in the cluster, but can be moved to another \
         node if necessary.",
    ),
];

/// The system classes as the apiserver's bootstrap hook creates them.
pub fn system_priority_classes() -> Vec<PriorityClass> {
    SYSTEM_PRIORITY_CLASSES
        .iter()
        .map(|(name, value, description)| PriorityClass {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some((*name).to_owned()),
                ..Default::default()
            },
            value: *value,
            description: Some((*description).to_owned()),
            ..PriorityClass::default()
        })
        .collect()
}

/// A fixed uid for a bootstrap PriorityClass, drawn from its own stream seeded by the name, so
/// creating the system classes leaves the simulation's RNG (and every later name) untouched.
pub fn system_priority_class_uid(name: &str) -> String {
    let seed = naming::fnv32a(name.as_bytes(), naming::FNV32_OFFSET);
    naming::uid(&mut SimRng::seeded(u64::from(seed) ^ 0x7072_696f_7269_7479))
}

/// Defaulting (`SetDefaults_PriorityClass`).
pub fn default_class(pc: &mut PriorityClass) {
    pc.preemption_policy
        .get_or_insert_with(|| PREEMPT_LOWER_PRIORITY.to_owned());
}

fn validate_preemption_policy(policy: Option<&str>, path: &str, errors: &mut Vec<FieldError>) {
    if let Some(policy) = policy
        && !["Never", PREEMPT_LOWER_PRIORITY].contains(&policy)
    {
        errors.push(FieldError::not_supported(
            path,
            policy,
            &["Never", PREEMPT_LOWER_PRIORITY],
        ));
    }
}

/// `ValidatePriorityClass` (metadata.name's own rule is checked by the caller).
pub fn validate_class(pc: &PriorityClass) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name = pc.metadata.name.as_deref().unwrap_or("");
    let global_default = pc.global_default.unwrap_or(false);
    if name.starts_with(SYSTEM_PREFIX) {
        let known = SYSTEM_PRIORITY_CLASSES.iter().find(|(n, ..)| *n == name);
        let why = match known {
            None => Some(format!("{name} is not a known system priority class")),
            Some((n, value, _)) if *value != pc.value => {
                Some(format!("value of {n} PriorityClass must be {value}"))
            }
            Some((n, ..)) if global_default => {
                Some(format!("globalDefault of {n} PriorityClass must be false"))
            }
            Some(_) => None,
        };
        if let Some(why) = why {
            errors.push(FieldError::forbidden(
                "metadata.name",
                format!(
                    "priority class names with '{SYSTEM_PREFIX}' prefix are reserved for system \
                     use only. error: {why}"
                ),
            ));
        }
    } else if pc.value > HIGHEST_USER_DEFINABLE_PRIORITY {
        errors.push(FieldError::forbidden(
            "value",
            format!(
                "maximum allowed value of a user defined priority is \
                 {HIGHEST_USER_DEFINABLE_PRIORITY}"
            ),
        ));
    }
    validate_preemption_policy(
        pc.preemption_policy.as_deref(),
        "preemptionPolicy",
        &mut errors,
    );
    errors
}

/// `ValidatePriorityClassUpdate`: value and preemptionPolicy are immutable.
pub fn validate_class_update(old: &PriorityClass, new: &PriorityClass) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if old.value != new.value {
        errors.push(FieldError::forbidden(
            "value",
            "may not be changed in an update.",
        ));
    }
    if old.preemption_policy != new.preemption_policy {
        errors.push(FieldError::invalid_raw(
            "preemptionPolicy",
            new.preemption_policy
                .as_deref()
                .map_or_else(|| "nil".to_owned(), crate::errors::go_quote),
            "field is immutable",
        ));
    }
    errors
}

/// The class pods without a `priorityClassName` get: the globalDefault one with the lowest
/// value (`getDefaultPriorityClass`).
fn default_priority_class(store: &Store) -> Option<&PriorityClass> {
    store
        .list(Kind::PriorityClass, None)
        .filter_map(Object::as_priority_class)
        .filter(|pc| pc.global_default == Some(true))
        .min_by_key(|pc| pc.value)
}

/// The Priority admission plugin on PriorityClass create/update: only one globalDefault.
pub fn admit_class(store: &Store, pc: &PriorityClass, update: bool) -> Result<(), String> {
    if pc.global_default != Some(true) {
        return Ok(());
    }
    match default_priority_class(store) {
        Some(existing) if !update || existing.metadata.name != pc.metadata.name => Err(format!(
            "PriorityClass {} is marked as default. Only one default can exist",
            existing.metadata.name.as_deref().unwrap_or("")
        )),
        _ => Ok(()),
    }
}

/// The Priority admission plugin on pod create: resolves the class into `spec.priority` and
/// `spec.preemptionPolicy`. The system classes resolve even before their objects exist (the
/// kubelet's mirror pods are created during bootstrap); they can never be deleted, so this
/// matches a real apiserver.
pub fn admit_pod(store: &Store, pod: &mut Pod) -> Result<(), String> {
    let Some(spec) = pod.spec.as_mut() else {
        return Ok(());
    };
    let (priority, policy) = match spec
        .priority_class_name
        .as_deref()
        .filter(|n| !n.is_empty())
    {
        None => match default_priority_class(store) {
            Some(pc) => {
                spec.priority_class_name = pc.metadata.name.clone();
                (
                    pc.value,
                    pc.preemption_policy
                        .clone()
                        .unwrap_or_else(|| PREEMPT_LOWER_PRIORITY.to_owned()),
                )
            }
            None => (0, PREEMPT_LOWER_PRIORITY.to_owned()),
        },
        Some(name) => {
            let stored = store
                .get(&crate::objects::ObjectKey::new(
                    Kind::PriorityClass,
                    "",
                    name,
                ))
                .and_then(Object::as_priority_class);
            match stored {
                Some(pc) => (
                    pc.value,
                    pc.preemption_policy
                        .clone()
                        .unwrap_or_else(|| PREEMPT_LOWER_PRIORITY.to_owned()),
                ),
                None => match SYSTEM_PRIORITY_CLASSES.iter().find(|(n, ..)| *n == name) {
                    Some((_, value, _)) => (*value, PREEMPT_LOWER_PRIORITY.to_owned()),
                    None => return Err(format!("no PriorityClass with name {name} was found")),
                },
            }
        }
    };
    if let Some(given) = spec.priority
        && given != priority
    {
        return Err(format!(
            "the integer value of priority ({given}) must not be provided in pod spec; priority \
             admission controller computed {priority} from the given PriorityClass name"
        ));
    }
    spec.priority = Some(priority);
    if let Some(given) = spec.preemption_policy.as_deref()
        && given != policy
    {
        return Err(format!(
            "the string value of PreemptionPolicy ({given}) must not be provided in pod spec; \
             priority admission controller computed {policy} from the given PriorityClass name"
        ));
    }
    spec.preemption_policy = Some(policy);
    Ok(())
}

/// The Priority admission plugin on pod update: the priority set on create is kept.
pub fn keep_pod_priority(old: &Pod, new: &mut Pod) {
    let (Some(old), Some(new)) = (old.spec.as_ref(), new.spec.as_mut()) else {
        return;
    };
    if new.priority.is_none() {
        new.priority = old.priority;
    }
    if new.preemption_policy.is_none() {
        new.preemption_policy = old.preemption_policy.clone();
    }
}

/// Whether a class may be deleted (the system ones may not).
pub fn deletion_refused(name: &str) -> Option<&'static str> {
    SYSTEM_PRIORITY_CLASSES
        .iter()
        .any(|(n, ..)| *n == name)
        .then_some("this is a system priority class and cannot be deleted")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str, value: i32) -> PriorityClass {
        PriorityClass {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(name.to_owned()),
                ..Default::default()
            },
            value,
            ..PriorityClass::default()
        }
    }

    #[test]
    fn system_prefix_and_user_maximum_are_enforced() {
        let msg = |pc: &PriorityClass| -> Vec<String> {
            validate_class(pc).iter().map(ToString::to_string).collect()
        };
        assert_eq!(
            msg(&class("system-foo", 5)),
            [
                "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved \
              for system use only. error: system-foo is not a known system priority class"
            ]
        );
        assert_eq!(
            msg(&class("system-node-critical", 5)),
            [
                "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved \
              for system use only. error: value of system-node-critical PriorityClass must be \
              2000001000"
            ]
        );
        assert!(msg(&class("system-node-critical", 2_000_001_000)).is_empty());
        assert_eq!(
            msg(&class("high", 1_000_000_001)),
            ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"]
        );
        assert!(msg(&class("high", 1_000_000_000)).is_empty());
        let changed = validate_class_update(&class("high", 1), &class("high", 2));
        assert_eq!(
            changed[0].to_string(),
            "value: Forbidden: may not be changed in an update."
        );
    }

    #[test]
    fn system_uids_do_not_depend_on_the_simulation_rng() {
        let a = system_priority_class_uid("system-node-critical");
        assert_eq!(a, system_priority_class_uid("system-node-critical"));
        assert_ne!(a, system_priority_class_uid("system-cluster-critical"));
    }
}
