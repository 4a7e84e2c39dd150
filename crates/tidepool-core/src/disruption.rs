//! PodDisruptionBudgets (policy/v1): validation (`pkg/apis/policy/validation`) and the
//! eviction subresource's budget check (`pkg/registry/core/pod/storage/eviction.go`). The
//! controller that keeps a budget's status is `controllers/disruption.rs`.

use crate::errors::{FieldError, go_quote};
use crate::objects::{Kind, Object};
use crate::selector::{self, Labels};
use crate::store::Store;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The eviction API's answer when a budget allows no disruption (HTTP 429).
pub const VIOLATES_BUDGET: &str =
    "Cannot evict pod as it would violate the pod's disruption budget.";

const PERCENT_MSG: &str = "a valid percent string must be a numeric string followed by an ending \
'%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/// Go's `%#v` of the spec, as the "cannot be both set" error prints it. Pointers print as
/// addresses there; ours are fixed so the output is deterministic.
fn go_spec_literal(spec: &PodDisruptionBudgetSpec) -> String {
    let ptr = |set: bool, ty: &str, addr: &str| {
        if set {
            format!("({ty})({addr})")
        } else {
            format!("({ty})(nil)")
        }
    };
    format!(
        "policy.PodDisruptionBudgetSpec{{MinAvailable:{}, Selector:{}, MaxUnavailable:{}, \
         UnhealthyPodEvictionPolicy:{}}}",
        ptr(
            spec.min_available.is_some(),
            "*intstr.IntOrString",
            "0xc000a2c760"
        ),
        ptr(spec.selector.is_some(), "*v1.LabelSelector", "0xc000a2c780"),
        ptr(
            spec.max_unavailable.is_some(),
            "*intstr.IntOrString",
            "0xc000a2c740"
        ),
        ptr(
            spec.unhealthy_pod_eviction_policy.is_some(),
            "*policy.UnhealthyPodEvictionPolicyType",
            "0xc000a2c7a0"
        ),
    )
}

/// `ValidatePositiveIntOrPercent` and `IsNotMoreThan100Percent`.
fn validate_int_or_percent(value: &IntOrString, path: &str, errors: &mut Vec<FieldError>) {
    match value {
        IntOrString::Int(n) if *n < 0 => errors.push(FieldError::invalid_raw(
            path,
            n.to_string(),
            "must be greater than or equal to 0",
        )),
        IntOrString::Int(_) => {}
        IntOrString::String(text) => match parse_percent(text) {
            None => errors.push(FieldError::invalid_str(path, text, PERCENT_MSG)),
            Some(p) if p > 100 => errors.push(FieldError::invalid_str(
                path,
                text,
                "must not be greater than 100%",
            )),
            Some(_) => {}
        },
    }
}

fn parse_percent(text: &str) -> Option<i64> {
    let digits = text.strip_suffix('%')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `ValidatePodDisruptionBudgetSpec`.
pub fn validate(pdb: &PodDisruptionBudget) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let spec = pdb.spec.clone().unwrap_or_default();
    if spec.min_available.is_some() && spec.max_unavailable.is_some() {
        errors.push(FieldError::invalid_raw(
            "spec",
            go_spec_literal(&spec),
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    if let Some(v) = &spec.min_available {
        validate_int_or_percent(v, "spec.minAvailable", &mut errors);
    }
    if let Some(v) = &spec.max_unavailable {
        validate_int_or_percent(v, "spec.maxUnavailable", &mut errors);
    }
    if let Some(sel) = &spec.selector {
        errors.extend(selector::validate(sel, "spec.selector"));
    }
    if let Some(policy) = spec.unhealthy_pod_eviction_policy.as_deref()
        && !["AlwaysAllow", "IfHealthyBudget"].contains(&policy)
    {
        errors.push(FieldError::not_supported(
            "spec.unhealthyPodEvictionPolicy",
            policy,
            &["AlwaysAllow", "IfHealthyBudget"],
        ));
    }
    errors
}

/// `intstr.GetScaledValueFromIntOrPercent` (percentages of `total`, rounded up or down).
pub fn scaled_value(value: &IntOrString, total: i32, round_up: bool) -> Option<i32> {
    match value {
        IntOrString::Int(n) => Some(*n),
        IntOrString::String(text) => {
            let p = parse_percent(text)?;
            let product = p * i64::from(total);
            let scaled = if round_up {
                (product + 99) / 100
            } else {
                product / 100
            };
            i32::try_from(scaled).ok()
        }
    }
}

/// Whether a budget selects a pod (policy/v1: an empty selector selects every pod of the
/// namespace, a missing one none).
pub fn selects(pdb: &PodDisruptionBudget, labels: &Labels) -> bool {
    pdb.spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .is_some_and(|sel| selector::matches(sel, labels))
}

/// The budgets in the pod's namespace that select it.
pub fn budgets_for<'a>(store: &'a Store, pod: &Pod) -> Vec<&'a PodDisruptionBudget> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    store
        .list(Kind::PodDisruptionBudget, Some(namespace))
        .filter_map(Object::as_pod_disruption_budget)
        .filter(|pdb| selects(pdb, &labels))
        .collect()
}

/// What the eviction subresource decides for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvictionCheck {
    /// No budget is involved (none selects the pod, or the pod is not running): delete it.
    Delete,
    /// Delete it and charge the named budget one disruption.
    DeleteCharging(String),
    /// Refused with 429 TooManyRequests and this message.
    TooManyRequests(String),
    /// Refused with 500 InternalError and this message.
    Internal(String),
    /// Refused with 403 Forbidden and this message.
    Forbidden(String),
}

/// `EvictionREST.Create`'s decision, without the writes.
pub fn check_eviction(store: &Store, pod: &Pod) -> EvictionCheck {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    // canIgnorePDB: finished, pending and terminating pods are deleted regardless.
    if pod.metadata.deletion_timestamp.is_some()
        || matches!(phase, Some("Succeeded" | "Failed" | "Pending"))
    {
        return EvictionCheck::Delete;
    }
    let budgets = budgets_for(store, pod);
    let pdb = match budgets.as_slice() {
        [] => return EvictionCheck::Delete,
        [one] => *one,
        _ => {
            return EvictionCheck::Internal(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource \
                 does not support."
                    .to_owned(),
            );
        }
    };
    let name = pdb.metadata.name.clone().unwrap_or_default();
    let status = pdb.status.clone().unwrap_or_default();
    // An unready pod may go while the budget is healthy (IfHealthyBudget, the default).
    let ready = crate::controllers::pod_is_ready(pod);
    let always_allow = pdb
        .spec
        .as_ref()
        .and_then(|s| s.unhealthy_pod_eviction_policy.as_deref())
        == Some("AlwaysAllow");
    if !ready
        && (always_allow
            || status.current_healthy >= status.desired_healthy && status.desired_healthy > 0)
    {
        return EvictionCheck::Delete;
    }
    if status.observed_generation.unwrap_or(0) < pdb.metadata.generation.unwrap_or(0) {
        return EvictionCheck::TooManyRequests(VIOLATES_BUDGET.to_owned());
    }
    if status.disruptions_allowed < 0 {
        return EvictionCheck::Forbidden("pdb disruptions allowed is negative".to_owned());
    }
    if status.disruptions_allowed == 0 {
        return EvictionCheck::TooManyRequests(VIOLATES_BUDGET.to_owned());
    }
    EvictionCheck::DeleteCharging(name)
}

/// `The disruption budget web needs 2 healthy pods and has 2 currently` (the 429's cause).
pub fn budget_cause(pdb: &PodDisruptionBudget) -> String {
    let status = pdb.status.clone().unwrap_or_default();
    format!(
        "The disruption budget {} needs {} healthy pods and has {} currently",
        pdb.metadata.name.as_deref().unwrap_or(""),
        status.desired_healthy,
        status.current_healthy
    )
}

/// `kubectl`-style rendering of an IntOrString (`2`, `50%`).
pub fn int_or_string_text(value: &IntOrString) -> String {
    match value {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// Go's `%q` of a pod name, as the eviction messages quote it.
pub fn quoted(name: &str) -> String {
    go_quote(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdb(min: Option<IntOrString>, max: Option<IntOrString>) -> PodDisruptionBudget {
        PodDisruptionBudget {
            spec: Some(PodDisruptionBudgetSpec {
                min_available: min,
                max_unavailable: max,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn budgets_validate_like_the_apiserver() {
        let msg = |p: &PodDisruptionBudget| -> Vec<String> {
            validate(p).iter().map(ToString::to_string).collect()
        };
        assert_eq!(
            msg(&pdb(Some(IntOrString::Int(1)), Some(IntOrString::Int(1)))),
            [
                "spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:\
              (*intstr.IntOrString)(0xc000a2c760), Selector:(*v1.LabelSelector)(nil), \
              MaxUnavailable:(*intstr.IntOrString)(0xc000a2c740), UnhealthyPodEvictionPolicy:\
              (*policy.UnhealthyPodEvictionPolicyType)(nil)}: minAvailable and maxUnavailable \
              cannot be both set"
            ]
        );
        assert_eq!(
            msg(&pdb(Some(IntOrString::Int(-1)), None)),
            ["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"]
        );
        assert_eq!(
            msg(&pdb(None, Some(IntOrString::String("150%".into())))),
            ["spec.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%"]
        );
        assert_eq!(
            msg(&pdb(None, Some(IntOrString::String("x".into())))).len(),
            1
        );
        assert!(msg(&pdb(Some(IntOrString::String("50%".into())), None)).is_empty());
    }

    #[test]
    fn percentages_scale_like_intstr() {
        let half = IntOrString::String("50%".into());
        assert_eq!(scaled_value(&half, 3, true), Some(2));
        assert_eq!(scaled_value(&half, 3, false), Some(1));
        assert_eq!(scaled_value(&IntOrString::Int(4), 3, true), Some(4));
    }
}
