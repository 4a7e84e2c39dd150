//! API errors shaped like the apiserver's `metav1.Status`, with its exact message texts.

use crate::objects::Kind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `Status.reason` values the simulated apiserver returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusReason {
    NotFound,
    AlreadyExists,
    Conflict,
    Invalid,
    Forbidden,
    BadRequest,
    MethodNotAllowed,
    /// 429, as the eviction subresource answers when a disruption budget forbids it.
    TooManyRequests,
    /// 500.
    InternalError,
}

impl StatusReason {
    /// The HTTP code the real apiserver pairs with this reason.
    pub fn code(self) -> u16 {
        match self {
            StatusReason::NotFound => 404,
            StatusReason::AlreadyExists | StatusReason::Conflict => 409,
            StatusReason::Invalid => 422,
            StatusReason::Forbidden => 403,
            StatusReason::BadRequest => 400,
            StatusReason::MethodNotAllowed => 405,
            StatusReason::TooManyRequests => 429,
            StatusReason::InternalError => 500,
        }
    }
}

/// A failed API request. `message` is exactly what kubectl prints after `Error from server (…): `.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub reason: StatusReason,
    pub message: String,
    /// Field-level causes of an `Invalid` error, in the order found.
    pub causes: Vec<FieldError>,
}

/// `pods`, or `deployments.apps` for grouped kinds: how errors name a resource.
pub fn resource_name(kind: Kind) -> String {
    match kind.group() {
        "" => kind.plural().to_owned(),
        group => format!("{}.{group}", kind.plural()),
    }
}

/// `Pod`, or `Deployment.apps`: how Invalid errors name a kind.
fn qualified_kind(kind: Kind) -> String {
    match kind.group() {
        "" => kind.name().to_owned(),
        group => format!("{}.{group}", kind.name()),
    }
}

impl ApiError {
    pub fn code(&self) -> u16 {
        self.reason.code()
    }

    fn plain(reason: StatusReason, message: String) -> Self {
        Self {
            reason,
            message,
            causes: Vec::new(),
        }
    }

    pub fn not_found(kind: Kind, name: &str) -> Self {
        let resource = resource_name(kind);
        Self::plain(
            StatusReason::NotFound,
            format!("{resource} \"{name}\" not found"),
        )
    }

    pub fn already_exists(kind: Kind, name: &str) -> Self {
        let resource = resource_name(kind);
        Self::plain(
            StatusReason::AlreadyExists,
            format!("{resource} \"{name}\" already exists"),
        )
    }

    pub fn conflict(kind: Kind, name: &str) -> Self {
        let resource = resource_name(kind);
        Self::plain(
            StatusReason::Conflict,
            format!(
                "Operation cannot be fulfilled on {resource} \"{name}\": the object has been \
                 modified; please apply your changes to the latest version and try again"
            ),
        )
    }

    pub fn forbidden(kind: Kind, name: &str, why: &str) -> Self {
        Self::forbidden_resource(&resource_name(kind), name, why)
    }

    /// [`ApiError::forbidden`] for a resource that is no stored kind (`users`,
    /// `pods.metrics.k8s.io`).
    pub fn forbidden_resource(resource: &str, name: &str, why: &str) -> Self {
        let message = if name.is_empty() {
            format!("{resource} is forbidden: {why}")
        } else {
            format!("{resource} \"{name}\" is forbidden: {why}")
        };
        Self::plain(StatusReason::Forbidden, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::plain(StatusReason::BadRequest, message.into())
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::plain(StatusReason::MethodNotAllowed, message.into())
    }

    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::plain(StatusReason::TooManyRequests, message.into())
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::plain(StatusReason::InternalError, message.into())
    }

    /// `Pod "x" is invalid: a` or, for several causes, `Pod "x" is invalid: [a, b]`.
    pub fn invalid(kind: Kind, name: &str, causes: Vec<FieldError>) -> Self {
        let listed: Vec<String> = causes.iter().map(ToString::to_string).collect();
        let joined = match listed.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        Self {
            reason: StatusReason::Invalid,
            message: format!("{} \"{name}\" is invalid: {joined}", qualified_kind(kind)),
            causes,
        }
    }
}

/// What is wrong with one field, as `field.ErrorType` in apimachinery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldErrorKind {
    Required,
    /// The offending value, already rendered as Go's `%#v`-ish form the apiserver prints.
    Invalid(String),
    Forbidden,
    NotSupported {
        value: String,
        supported: Vec<String>,
    },
    Duplicate(String),
    /// `field.NotFound`: a reference to something that does not exist (already quoted).
    NotFound(String),
}

/// One field-level validation error: `spec.replicas: Invalid value: -1: must be greater than...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub path: String,
    pub kind: FieldErrorKind,
    pub detail: String,
}

impl FieldError {
    pub fn required(path: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: FieldErrorKind::Required,
            detail: detail.into(),
        }
    }

    /// An invalid string value (printed quoted, like Go's `%q`).
    pub fn invalid_str(path: impl Into<String>, value: &str, detail: impl Into<String>) -> Self {
        Self::invalid_raw(path, go_quote(value), detail)
    }

    /// An invalid value already rendered (numbers, Go maps).
    pub fn invalid_raw(
        path: impl Into<String>,
        rendered: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            kind: FieldErrorKind::Invalid(rendered.into()),
            detail: detail.into(),
        }
    }

    pub fn forbidden(path: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: FieldErrorKind::Forbidden,
            detail: detail.into(),
        }
    }

    pub fn not_supported(path: impl Into<String>, value: &str, supported: &[&str]) -> Self {
        Self {
            path: path.into(),
            kind: FieldErrorKind::NotSupported {
                value: go_quote(value),
                supported: supported.iter().map(|s| go_quote(s)).collect(),
            },
            detail: String::new(),
        }
    }

    pub fn not_found(path: impl Into<String>, value: &str) -> Self {
        Self {
            path: path.into(),
            kind: FieldErrorKind::NotFound(go_quote(value)),
            detail: String::new(),
        }
    }

    pub fn duplicate(path: impl Into<String>, value: &str) -> Self {
        Self {
            path: path.into(),
            kind: FieldErrorKind::Duplicate(go_quote(value)),
            detail: String::new(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.kind {
            FieldErrorKind::Required => write!(f, "{path}: Required value")?,
            FieldErrorKind::Invalid(value) => write!(f, "{path}: Invalid value: {value}")?,
            FieldErrorKind::Forbidden => write!(f, "{path}: Forbidden")?,
            FieldErrorKind::NotSupported { value, supported } => {
                return write!(
                    f,
                    "{path}: Unsupported value: {value}: supported values: {}",
                    supported.join(", ")
                );
            }
            FieldErrorKind::Duplicate(value) => write!(f, "{path}: Duplicate value: {value}")?,
            FieldErrorKind::NotFound(value) => write!(f, "{path}: Not found: {value}")?,
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// Go's `%q` for the strings learners type (escapes quotes, backslashes and control chars).
pub fn go_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_the_apiserver() {
        assert_eq!(
            ApiError::not_found(Kind::Pod, "x").message,
            r#"pods "x" not found"#
        );
        assert_eq!(
            ApiError::already_exists(Kind::Deployment, "web").message,
            r#"deployments.apps "web" already exists"#
        );
        let two = ApiError::invalid(
            Kind::Deployment,
            "d",
            vec![
                FieldError::required("spec.selector", ""),
                FieldError::invalid_raw(
                    "spec.replicas",
                    "-1",
                    "must be greater than or equal to 0",
                ),
            ],
        );
        assert_eq!(
            two.message,
            "Deployment.apps \"d\" is invalid: [spec.selector: Required value, spec.replicas: \
             Invalid value: -1: must be greater than or equal to 0]"
        );
        assert_eq!(two.code(), 422);
    }
}
