//! Label selectors: matching (matchLabels and matchExpressions) and printing.

use crate::errors::FieldError;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

/// Whether `labels` satisfy `selector`. An empty selector matches everything; operators we do
/// not know match nothing (validation rejects them first).
pub fn matches(selector: &LabelSelector, labels: &Labels) -> bool {
    let labels_ok = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    labels_ok
        && selector.match_expressions.iter().flatten().all(|req| {
            let values = req.values.as_deref().unwrap_or(&[]);
            let value = labels.get(&req.key);
            match req.operator.as_str() {
                "In" => value.is_some_and(|v| values.contains(v)),
                "NotIn" => value.is_none_or(|v| !values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

/// Equality-only selector (ReplicationController, Service): every pair must match.
pub fn matches_map(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// `labels.FormatLabels`: `a=b,c=d`, or `<none>`.
pub fn format_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return "<none>".to_owned();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `metav1.FormatLabelSelector`: requirements sorted by key, e.g. `app=web,tier in (a,b)`.
pub fn format_selector(selector: &LabelSelector) -> String {
    let mut parts: Vec<(String, String)> = Vec::new();
    for (k, v) in selector.match_labels.iter().flatten() {
        parts.push((k.clone(), format!("{k}={v}")));
    }
    for req in selector.match_expressions.iter().flatten() {
        let mut values = req.values.clone().unwrap_or_default();
        crate::stable_sort::sort(&mut values);
        let text = match req.operator.as_str() {
            "In" => format!("{} in ({})", req.key, values.join(",")),
            "NotIn" => format!("{} notin ({})", req.key, values.join(",")),
            "Exists" => req.key.clone(),
            "DoesNotExist" => format!("!{}", req.key),
            other => format!("{} {other}", req.key),
        };
        parts.push((req.key.clone(), text));
    }
    if parts.is_empty() {
        return "<none>".to_owned();
    }
    crate::stable_sort::sort_by(&mut parts, |a, b| a.0.cmp(&b.0));
    parts
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(",")
}

/// `ValidateLabelSelector`: operators and their value lists.
pub fn validate(selector: &LabelSelector, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, req) in selector.match_expressions.iter().flatten().enumerate() {
        let here = format!("{path}.matchExpressions[{i}]");
        let n = req.values.as_ref().map_or(0, Vec::len);
        match req.operator.as_str() {
            "In" | "NotIn" if n == 0 => errors.push(FieldError::required(
                format!("{here}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if n > 0 => errors.push(FieldError::forbidden(
                format!("{here}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => errors.push(FieldError::invalid_str(
                format!("{here}.operator"),
                other,
                "not a valid selector operator",
            )),
        }
    }
    errors
}

/// Go's `%#v` of a `map[string]string`, as selector/template mismatch errors print it.
pub fn go_map_literal(labels: &Labels) -> String {
    let pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                crate::errors::go_quote(k),
                crate::errors::go_quote(v)
            )
        })
        .collect();
    format!("map[string]string{{{}}}", pairs.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn req(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.to_owned(),
            operator: op.to_owned(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| (*v).to_owned()).collect()),
        }
    }

    #[test]
    fn expressions_match_like_kubernetes() {
        let selector = LabelSelector {
            match_labels: Some(labels(&[("app", "my-app")])),
            match_expressions: Some(vec![
                req("version", "In", &["3.5", "2.1"]),
                req("tier", "NotIn", &["db"]),
                req("env", "Exists", &[]),
                req("legacy", "DoesNotExist", &[]),
            ]),
        };
        let good = labels(&[("app", "my-app"), ("version", "2.1"), ("env", "x")]);
        assert!(matches(&selector, &good));
        let mut bad = good.clone();
        bad.insert("version".into(), "1.0".into());
        assert!(!matches(&selector, &bad));
        let mut bad = good.clone();
        bad.insert("legacy".into(), "y".into());
        assert!(!matches(&selector, &bad));
        let mut bad = good;
        bad.insert("tier".into(), "db".into());
        assert!(!matches(&selector, &bad));
        assert_eq!(
            format_selector(&selector),
            "app=my-app,env,!legacy,tier notin (db),version in (2.1,3.5)"
        );
        assert_eq!(
            go_map_literal(&labels(&[("app", "x")])),
            r#"map[string]string{"app":"x"}"#
        );
    }
}
