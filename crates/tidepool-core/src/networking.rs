//! networking.k8s.io/v1: the apiserver's validation of Ingress, IngressClass and NetworkPolicy
//! (`pkg/apis/networking/validation/validation.go`), and NetworkPolicy enforcement for the
//! simulated pod network: the cluster's CNI is modelled as one that enforces policy (like
//! Calico), so a connection a policy does not allow is dropped (the client times out).
//!
//! Ingress has no controller here (a kubeadm cluster ships none): it is stored and printed,
//! nothing answers for it.

use crate::errors::FieldError;
use crate::objects::{Kind, Object};
use crate::selector::{self, Labels};
use crate::store::Store;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::networking::v1::{
    IPBlock, Ingress, IngressBackend, IngressClass, NetworkPolicy, NetworkPolicyPeer,
    NetworkPolicyPort,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::net::Ipv4Addr;

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case \
alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. \
'example.com', regex used for validation is \
'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const WILDCARD_DNS1123_MSG: &str = "a wildcard DNS-1123 subdomain must start with '*.', followed \
by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' \
and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is \
'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric \
characters or '-', start with an alphabetic character, and end with an alphanumeric character \
(e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const PORT_RANGE_MSG: &str = "must be between 1 and 65535, inclusive";
const CIDR_MSG: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/// `validation.IsDNS1123Subdomain`'s messages.
fn dns1123_subdomain(value: &str) -> Vec<&'static str> {
    let mut msgs = Vec::new();
    if value.len() > 253 {
        msgs.push("must be no more than 253 characters");
    }
    if !crate::validation::is_dns1123_subdomain(value) {
        msgs.push(DNS1123_SUBDOMAIN_MSG);
    }
    msgs
}

/// `validation.IsDNS1035Label`'s messages (Service names).
fn dns1035_label(value: &str) -> Vec<&'static str> {
    let mut msgs = Vec::new();
    if value.len() > 63 {
        msgs.push("must be no more than 63 characters");
    }
    let ok = crate::validation::is_dns1123_label(value)
        && value.as_bytes().first().is_some_and(u8::is_ascii_lowercase);
    if !ok {
        msgs.push(DNS1035_LABEL_MSG);
    }
    msgs
}

/// `validation.IsValidPortName`'s messages (IANA_SVC_NAME).
pub fn port_name_errors(name: &str) -> Vec<&'static str> {
    let mut msgs = Vec::new();
    if name.len() > 15 {
        msgs.push("must be no more than 15 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        msgs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        msgs.push("must contain at least one letter (a-z)");
    }
    if name.contains("--") {
        msgs.push("must not contain consecutive hyphens");
    }
    if name.starts_with('-') || name.ends_with('-') {
        msgs.push("must not begin or end with a hyphen");
    }
    msgs
}

fn valid_port(port: i32) -> bool {
    (1..=65535).contains(&port)
}

/// Validation of the three networking kinds (create and update alike).
pub(crate) fn validate(object: &Object, errors: &mut Vec<FieldError>) {
    match object {
        Object::Ingress(ingress) => validate_ingress(ingress, errors),
        Object::IngressClass(class) => validate_ingress_class(class, errors),
        Object::NetworkPolicy(policy) => validate_network_policy(policy, errors),
        _ => {}
    }
}

/// `controller` may not change once set.
pub(crate) fn validate_update(old: &Object, new: &Object) -> Option<FieldError> {
    let (Object::IngressClass(a), Object::IngressClass(b)) = (old, new) else {
        return None;
    };
    let controller = |c: &IngressClass| c.spec.as_ref().and_then(|s| s.controller.clone());
    let (was, now) = (controller(a), controller(b));
    (was != now).then(|| {
        FieldError::invalid_str(
            "spec.controller",
            now.as_deref().unwrap_or(""),
            "field is immutable",
        )
    })
}

fn validate_ingress(ingress: &Ingress, errors: &mut Vec<FieldError>) {
    let spec = ingress.spec.clone().unwrap_or_default();
    let rules = spec.rules.as_deref().unwrap_or(&[]);
    if rules.is_empty() && spec.default_backend.is_none() {
        let rendered = if spec.rules.is_some() {
            "[]networking.IngressRule{}"
        } else {
            "[]networking.IngressRule(nil)"
        };
        errors.push(FieldError::invalid_raw(
            "spec",
            rendered,
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(backend) = &spec.default_backend {
        validate_backend(backend, "spec.defaultBackend", errors);
    }
    for (i, rule) in rules.iter().enumerate() {
        let here = format!("spec.rules[{i}]");
        let host = rule.host.as_deref().unwrap_or("");
        if !host.is_empty() {
            if host.parse::<std::net::IpAddr>().is_ok() {
                errors.push(FieldError::invalid_str(
                    format!("{here}.host"),
                    host,
                    "must be a DNS name, not an IP address",
                ));
            }
            let msgs = if host.contains('*') {
                let ok = host
                    .strip_prefix("*.")
                    .is_some_and(crate::validation::is_dns1123_subdomain);
                if ok {
                    vec![]
                } else {
                    vec![WILDCARD_DNS1123_MSG]
                }
            } else {
                dns1123_subdomain(host)
            };
            for msg in msgs {
                errors.push(FieldError::invalid_str(format!("{here}.host"), host, msg));
            }
        }
        let Some(http) = &rule.http else { continue };
        if http.paths.is_empty() {
            errors.push(FieldError::required(format!("{here}.http.paths"), ""));
        }
        for (j, path) in http.paths.iter().enumerate() {
            let at = format!("{here}.http.paths[{j}]");
            let text = path.path.as_deref().unwrap_or("");
            // A missing pathType decodes as "" (see `decode`): the apiserver's nil pointer.
            match path.path_type.as_str() {
                "" => {
                    errors.push(FieldError::required(
                        format!("{at}.pathType"),
                        "pathType must be specified",
                    ));
                    continue;
                }
                "Exact" | "Prefix" => {
                    if !text.starts_with('/') {
                        errors.push(FieldError::invalid_str(
                            format!("{at}.path"),
                            text,
                            "must be an absolute path",
                        ));
                    }
                    for seq in ["//", "/./", "/../", "%2f", "%2F"] {
                        if text.contains(seq) {
                            errors.push(FieldError::invalid_str(
                                format!("{at}.path"),
                                text,
                                format!("must not contain '{seq}'"),
                            ));
                        }
                    }
                    for suffix in ["/..", "/."] {
                        if text.ends_with(suffix) {
                            errors.push(FieldError::invalid_str(
                                format!("{at}.path"),
                                text,
                                format!("cannot end with '{suffix}'"),
                            ));
                        }
                    }
                }
                "ImplementationSpecific" => {
                    if !text.is_empty() && !text.starts_with('/') {
                        errors.push(FieldError::invalid_str(
                            format!("{at}.path"),
                            text,
                            "must be an absolute path",
                        ));
                    }
                }
                other => errors.push(FieldError::not_supported(
                    format!("{at}.pathType"),
                    other,
                    &["Exact", "ImplementationSpecific", "Prefix"],
                )),
            }
            validate_backend(&path.backend, &format!("{at}.backend"), errors);
        }
    }
    for (i, tls) in spec.tls.iter().flatten().enumerate() {
        for (j, host) in tls.hosts.iter().flatten().enumerate() {
            let msgs = if host.contains('*') {
                let ok = host
                    .strip_prefix("*.")
                    .is_some_and(crate::validation::is_dns1123_subdomain);
                if ok {
                    vec![]
                } else {
                    vec![WILDCARD_DNS1123_MSG]
                }
            } else {
                dns1123_subdomain(host)
            };
            for msg in msgs {
                errors.push(FieldError::invalid_str(
                    format!("spec.tls[{i}].hosts[{j}]"),
                    host,
                    msg,
                ));
            }
        }
        let secret = tls.secret_name.as_deref().unwrap_or("");
        if !secret.is_empty() {
            for msg in dns1123_subdomain(secret) {
                errors.push(FieldError::invalid_str(
                    format!("spec.tls[{i}].secretName"),
                    secret,
                    msg,
                ));
            }
        }
    }
    if let Some(class) = &spec.ingress_class_name {
        for msg in dns1123_subdomain(class) {
            errors.push(FieldError::invalid_str("spec.ingressClassName", class, msg));
        }
    }
    let annotation = ingress
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("kubernetes.io/ingress.class"));
    if let (Some(annotation), Some(class)) = (annotation, &spec.ingress_class_name)
        && annotation != class
    {
        errors.push(FieldError::invalid_str(
            "annotations.kubernetes.io/ingress.class",
            annotation,
            "must match `ingressClassName` when both are specified",
        ));
    }
}

fn validate_backend(backend: &IngressBackend, path: &str, errors: &mut Vec<FieldError>) {
    match (&backend.resource, &backend.service) {
        (Some(_), Some(_)) => errors.push(FieldError::invalid_str(
            path,
            "",
            "cannot set both resource and service backends",
        )),
        (Some(resource), None) => {
            if resource.kind.is_empty() {
                errors.push(FieldError::required(format!("{path}.resource.kind"), ""));
            }
            if resource.name.is_empty() {
                errors.push(FieldError::required(format!("{path}.resource.name"), ""));
            }
        }
        (None, Some(service)) => {
            if service.name.is_empty() {
                errors.push(FieldError::required(format!("{path}.service.name"), ""));
            } else {
                for msg in dns1035_label(&service.name) {
                    errors.push(FieldError::invalid_str(
                        format!("{path}.service.name"),
                        &service.name,
                        msg,
                    ));
                }
            }
            let port = service.port.clone().unwrap_or_default();
            let name = port.name.as_deref().unwrap_or("");
            let number = port.number.unwrap_or(0);
            if !name.is_empty() && number != 0 {
                errors.push(FieldError::invalid_str(
                    path,
                    "",
                    "cannot set both port name & port number",
                ));
            } else if !name.is_empty() {
                for msg in port_name_errors(name) {
                    errors.push(FieldError::invalid_str(
                        format!("{path}.service.port.name"),
                        name,
                        msg,
                    ));
                }
            } else if number != 0 {
                if !valid_port(number) {
                    errors.push(FieldError::invalid_raw(
                        format!("{path}.service.port.number"),
                        number.to_string(),
                        PORT_RANGE_MSG,
                    ));
                }
            } else {
                errors.push(FieldError::required(
                    path,
                    "port name or number is required",
                ));
            }
        }
        (None, None) => errors.push(FieldError::invalid_str(
            path,
            "",
            "resource or service backend is required",
        )),
    }
}

fn validate_ingress_class(class: &IngressClass, errors: &mut Vec<FieldError>) {
    let spec = class.spec.clone().unwrap_or_default();
    match spec.controller.as_deref().unwrap_or("") {
        "" => errors.push(FieldError::required("spec.controller", "")),
        controller => {
            if controller.len() > 250 {
                errors.push(FieldError::invalid_str(
                    "spec.controller",
                    "",
                    "must have at most 250 bytes",
                ));
            }
            // `IsDomainPrefixedPath`: a DNS subdomain, then a non-empty path.
            let ok = controller.split_once('/').is_some_and(|(domain, rest)| {
                crate::validation::is_dns1123_subdomain(domain) && !rest.is_empty()
            });
            if !ok {
                errors.push(FieldError::invalid_str(
                    "spec.controller",
                    controller,
                    "must be a domain-prefixed path (such as \"acme.io/foo\")",
                ));
            }
        }
    }
    if let Some(params) = &spec.parameters {
        let path = "spec.parameters";
        if params.kind.is_empty() {
            errors.push(FieldError::required(format!("{path}.kind"), ""));
        }
        if params.name.is_empty() {
            errors.push(FieldError::required(format!("{path}.name"), ""));
        }
        match params.scope.as_deref() {
            None => errors.push(FieldError::required(format!("{path}.scope"), "")),
            Some("Namespace") => {
                if params.namespace.is_none() {
                    errors.push(FieldError::required(
                        format!("{path}.namespace"),
                        "`parameters.scope` is set to 'Namespace'",
                    ));
                }
            }
            Some("Cluster") => {
                if params.namespace.is_some() {
                    errors.push(FieldError::forbidden(
                        format!("{path}.namespace"),
                        "`parameters.scope` is set to 'Cluster'",
                    ));
                }
            }
            Some(other) => errors.push(FieldError::not_supported(
                format!("{path}.scope"),
                other,
                &["Cluster", "Namespace"],
            )),
        }
    }
}

fn validate_network_policy(policy: &NetworkPolicy, errors: &mut Vec<FieldError>) {
    let spec = policy.spec.clone().unwrap_or_default();
    errors.extend(selector::validate(
        &spec.pod_selector.clone().unwrap_or_default(),
        "spec.podSelector",
    ));
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        let here = format!("spec.ingress[{i}]");
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            validate_policy_port(port, &format!("{here}.ports[{j}]"), errors);
        }
        for (j, peer) in rule.from.iter().flatten().enumerate() {
            validate_peer(peer, &format!("{here}.from[{j}]"), errors);
        }
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        let here = format!("spec.egress[{i}]");
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            validate_policy_port(port, &format!("{here}.ports[{j}]"), errors);
        }
        for (j, peer) in rule.to.iter().flatten().enumerate() {
            validate_peer(peer, &format!("{here}.to[{j}]"), errors);
        }
    }
    let types = spec.policy_types.as_deref().unwrap_or(&[]);
    if types.len() > 2 {
        let listed: Vec<String> = types.iter().map(|t| crate::errors::go_quote(t)).collect();
        errors.push(FieldError::invalid_raw(
            "spec.policyTypes",
            format!("[]networking.PolicyType{{{}}}", listed.join(", ")),
            "may not specify more than two policyTypes",
        ));
        return;
    }
    for (i, t) in types.iter().enumerate() {
        if t != "Ingress" && t != "Egress" {
            errors.push(FieldError::not_supported(
                format!("spec.policyTypes[{i}]"),
                t,
                &["Ingress", "Egress"],
            ));
        }
    }
}

fn validate_policy_port(port: &NetworkPolicyPort, path: &str, errors: &mut Vec<FieldError>) {
    if let Some(protocol) = port.protocol.as_deref()
        && !["TCP", "UDP", "SCTP"].contains(&protocol)
    {
        errors.push(FieldError::not_supported(
            format!("{path}.protocol"),
            protocol,
            &["TCP", "UDP", "SCTP"],
        ));
    }
    match &port.port {
        Some(IntOrString::Int(number)) => {
            if !valid_port(*number) {
                errors.push(FieldError::invalid_raw(
                    format!("{path}.port"),
                    number.to_string(),
                    PORT_RANGE_MSG,
                ));
            }
            if let Some(end) = port.end_port {
                if end < *number {
                    errors.push(FieldError::invalid_raw(
                        format!("{path}.endPort"),
                        end.to_string(),
                        "must be greater than or equal to `port`",
                    ));
                }
                if !valid_port(end) {
                    errors.push(FieldError::invalid_raw(
                        format!("{path}.endPort"),
                        end.to_string(),
                        PORT_RANGE_MSG,
                    ));
                }
            }
        }
        Some(IntOrString::String(name)) => {
            if let Some(end) = port.end_port {
                errors.push(FieldError::invalid_raw(
                    format!("{path}.endPort"),
                    end.to_string(),
                    "may not be specified when `port` is non-numeric",
                ));
            }
            for msg in port_name_errors(name) {
                errors.push(FieldError::invalid_str(format!("{path}.port"), name, msg));
            }
        }
        None => {
            if let Some(end) = port.end_port {
                errors.push(FieldError::invalid_raw(
                    format!("{path}.endPort"),
                    end.to_string(),
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
}

fn validate_peer(peer: &NetworkPolicyPeer, path: &str, errors: &mut Vec<FieldError>) {
    let mut count = 0;
    if let Some(sel) = &peer.pod_selector {
        count += 1;
        errors.extend(selector::validate(sel, &format!("{path}.podSelector")));
    }
    if let Some(sel) = &peer.namespace_selector {
        count += 1;
        errors.extend(selector::validate(
            sel,
            &format!("{path}.namespaceSelector"),
        ));
    }
    if let Some(block) = &peer.ip_block {
        count += 1;
        validate_ip_block(block, &format!("{path}.ipBlock"), errors);
    }
    if count == 0 {
        errors.push(FieldError::required(path, "must specify a peer"));
    } else if count > 1 && peer.ip_block.is_some() {
        errors.push(FieldError::forbidden(
            path,
            "may not specify both ipBlock and another peer",
        ));
    }
}

fn validate_ip_block(block: &IPBlock, path: &str, errors: &mut Vec<FieldError>) {
    if block.cidr.is_empty() {
        errors.push(FieldError::required(format!("{path}.cidr"), ""));
        return;
    }
    let Some(cidr) = Cidr::parse(&block.cidr) else {
        errors.push(FieldError::invalid_str(
            format!("{path}.cidr"),
            &block.cidr,
            CIDR_MSG,
        ));
        return;
    };
    for (i, text) in block.except.iter().flatten().enumerate() {
        let at = format!("{path}.except[{i}]");
        match Cidr::parse(text) {
            None => errors.push(FieldError::invalid_str(at, text, CIDR_MSG)),
            Some(except) => {
                if !cidr.contains(except.base) || cidr.prefix >= except.prefix {
                    errors.push(FieldError::invalid_str(
                        at,
                        text,
                        "must be a strict subset of `cidr`",
                    ));
                }
            }
        }
    }
}

/// An IPv4 CIDR (`10.244.0.0/16`). IPv6 blocks parse as invalid: the cluster is IPv4 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    base: Ipv4Addr,
    prefix: u32,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (ip, prefix) = text.split_once('/')?;
        let base: Ipv4Addr = ip.parse().ok()?;
        let prefix: u32 = prefix.parse().ok().filter(|p| *p <= 32)?;
        Some(Cidr { base, prefix })
    }

    fn contains(self, ip: Ipv4Addr) -> bool {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        };
        u32::from(ip) & mask == u32::from(self.base) & mask
    }
}

/// The DefaultIngressClass admission plugin: an Ingress created without a class (neither
/// `ingressClassName` nor the deprecated `kubernetes.io/ingress.class` annotation) gets the
/// IngressClass annotated `ingressclass.kubernetes.io/is-default-class: "true"`; of several,
/// the newest (then the first by name).
pub(crate) fn default_ingress_class(store: &Store, ingress: &mut Ingress) {
    let annotated = ingress
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key("kubernetes.io/ingress.class"));
    let Some(spec) = ingress.spec.as_mut() else {
        return;
    };
    if annotated || spec.ingress_class_name.is_some() {
        return;
    }
    let mut chosen: Option<&IngressClass> = None;
    for class in store
        .list(Kind::IngressClass, None)
        .filter_map(Object::as_ingress_class)
    {
        let is_default = class
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("ingressclass.kubernetes.io/is-default-class"))
            .is_some_and(|v| v == "true");
        let newer = chosen.is_none_or(|c| {
            class.metadata.creation_timestamp.as_ref().map(|t| t.0)
                > c.metadata.creation_timestamp.as_ref().map(|t| t.0)
        });
        if is_default && newer {
            chosen = Some(class);
        }
    }
    if let Some(class) = chosen {
        spec.ingress_class_name = class.metadata.name.clone();
    }
}

// ---------------------------------------------------------------------------------------------
// Enforcement
// ---------------------------------------------------------------------------------------------

/// One end of a connection: a pod on the pod network, or any other address (a node, a
/// host-network pod, something outside the cluster), which only `ipBlock` peers can match.
struct Party<'a> {
    ip: Ipv4Addr,
    pod: Option<&'a Pod>,
}

impl Party<'_> {
    fn namespace(&self) -> &str {
        self.pod
            .and_then(|p| p.metadata.namespace.as_deref())
            .unwrap_or("")
    }
}

fn labels_of(pod: &Pod) -> Labels {
    pod.metadata.labels.clone().unwrap_or_default()
}

/// The pod-network pod with this IP (host-network pods share their node's address and are
/// not subject to policy, as with Calico without host endpoints).
fn pod_with_ip(store: &Store, ip: Ipv4Addr) -> Option<&Pod> {
    let text = ip.to_string();
    store
        .list(Kind::Pod, None)
        .filter_map(Object::as_pod)
        .filter(|p| p.spec.as_ref().is_none_or(|s| s.host_network != Some(true)))
        .find(|p| p.status.as_ref().and_then(|s| s.pod_ip.as_deref()) == Some(text.as_str()))
}

fn namespace_labels(store: &Store, namespace: &str) -> Labels {
    store
        .get(&crate::objects::ObjectKey::new(
            Kind::Namespace,
            "",
            namespace,
        ))
        .and_then(|o| o.meta().labels.clone())
        .unwrap_or_default()
}

/// Whether a policy's `podSelector` (in its namespace) selects this pod.
fn selects(policy: &NetworkPolicy, pod: &Pod) -> bool {
    let ns = |m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
        m.namespace.clone().unwrap_or_default()
    };
    ns(&policy.metadata) == ns(&pod.metadata)
        && selector::matches(
            &policy
                .spec
                .as_ref()
                .and_then(|s| s.pod_selector.clone())
                .unwrap_or_default(),
            &labels_of(pod),
        )
}

fn has_type(policy: &NetworkPolicy, ty: &str) -> bool {
    policy
        .spec
        .as_ref()
        .and_then(|s| s.policy_types.as_ref())
        .is_some_and(|t| t.iter().any(|x| x == ty))
}

/// Whether `peer` (of a policy in `policy_ns`) matches the party at the other end.
/// The rules of one policy for one direction, as (ports, peers) pairs.
type DirectionRules<'a> = Vec<(
    Option<&'a Vec<NetworkPolicyPort>>,
    Option<&'a Vec<NetworkPolicyPeer>>,
)>;

/// Whether the policies selecting `pod` for `direction` (`Egress`, `Ingress`) let the
/// connection through: none of them isolates the pod, or one has a rule whose ports match
/// and whose peers (none: everyone) include `other`, the connection's other end.
#[allow(clippy::too_many_arguments)]
fn direction_allows<'a>(
    store: &Store,
    policies: &[&'a NetworkPolicy],
    pod: &Pod,
    direction: &str,
    other: &Party,
    rules: impl Fn(&'a NetworkPolicy) -> DirectionRules<'a>,
    target: Option<&Pod>,
    port: u16,
    protocol: &str,
) -> bool {
    let mut isolated = false;
    for policy in policies
        .iter()
        .filter(|p| has_type(p, direction) && selects(p, pod))
    {
        isolated = true;
        let ns = policy.metadata.namespace.as_deref().unwrap_or("");
        let allows = rules(policy).into_iter().any(|(ports, peers)| {
            port_matches(ports, target, port, protocol)
                && peers.is_none_or(|peers| {
                    peers.is_empty() || peers.iter().any(|p| peer_matches(store, p, ns, other))
                })
        });
        if allows {
            return true;
        }
    }
    !isolated
}

fn peer_matches(store: &Store, peer: &NetworkPolicyPeer, policy_ns: &str, other: &Party) -> bool {
    if let Some(block) = &peer.ip_block {
        let Some(cidr) = Cidr::parse(&block.cidr) else {
            return false;
        };
        let excepted = block
            .except
            .iter()
            .flatten()
            .filter_map(|e| Cidr::parse(e))
            .any(|e| e.contains(other.ip));
        return cidr.contains(other.ip) && !excepted;
    }
    let Some(pod) = other.pod else {
        return false;
    };
    let ns_ok = match &peer.namespace_selector {
        Some(sel) => selector::matches(sel, &namespace_labels(store, other.namespace())),
        None => other.namespace() == policy_ns,
    };
    let pod_ok = peer
        .pod_selector
        .as_ref()
        .is_none_or(|sel| selector::matches(sel, &labels_of(pod)));
    ns_ok && pod_ok
}

/// Whether a rule's `ports` admit `port`/`protocol` on `target` (named ports are the target
/// pod's container ports).
fn port_matches(
    ports: Option<&Vec<NetworkPolicyPort>>,
    target: Option<&Pod>,
    port: u16,
    protocol: &str,
) -> bool {
    let Some(ports) = ports.filter(|p| !p.is_empty()) else {
        return true;
    };
    ports.iter().any(|p| {
        if p.protocol.as_deref().unwrap_or("TCP") != protocol {
            return false;
        }
        match &p.port {
            None => true,
            Some(IntOrString::Int(n)) => {
                let end = p.end_port.unwrap_or(*n);
                (*n..=end).contains(&i32::from(port))
            }
            Some(IntOrString::String(name)) => target
                .and_then(|t| t.spec.as_ref())
                .into_iter()
                .flat_map(|s| s.containers.iter())
                .flat_map(|c| c.ports.iter().flatten())
                .any(|cp| {
                    cp.name.as_deref() == Some(name.as_str())
                        && cp.container_port == i32::from(port)
                        && cp.protocol.as_deref().unwrap_or("TCP") == protocol
                }),
        }
    })
}

/// Whether the network lets a connection from `source` reach `destination:port` (after
/// Service NAT: `destination` is the endpoint's address and `port` its target port).
///
/// A pod selected by a policy with `Egress` in its `policyTypes` may only open connections
/// that one of those policies' egress rules allows, and likewise for `Ingress` on the
/// receiving pod. Traffic from a pod's own node (kubelet probes) is always allowed.
pub fn connection_allowed(
    store: &Store,
    source: Ipv4Addr,
    destination: Ipv4Addr,
    port: u16,
    protocol: &str,
) -> bool {
    // `kubectl port-forward` enters the pod's own network namespace: no policy applies.
    if source.is_loopback() {
        return true;
    }
    // The common case (no policy anywhere) costs one counter read per connection.
    if store.count(Kind::NetworkPolicy) == 0 {
        return true;
    }
    let policies: Vec<&NetworkPolicy> = store
        .list(Kind::NetworkPolicy, None)
        .filter_map(Object::as_network_policy)
        .collect();
    let src = Party {
        ip: source,
        pod: pod_with_ip(store, source),
    };
    let dst = Party {
        ip: destination,
        pod: pod_with_ip(store, destination),
    };
    if let Some(pod) = src.pod {
        let allowed = direction_allows(
            store,
            &policies,
            pod,
            "Egress",
            &dst,
            |policy| {
                let rules = policy.spec.as_ref().and_then(|s| s.egress.as_ref());
                rules
                    .into_iter()
                    .flatten()
                    .map(|r| (r.ports.as_ref(), r.to.as_ref()))
                    .collect()
            },
            dst.pod,
            port,
            protocol,
        );
        if !allowed {
            return false;
        }
    }
    if let Some(pod) = dst.pod {
        let from_own_node = pod.status.as_ref().and_then(|s| s.host_ip.as_deref())
            == Some(source.to_string().as_str());
        if from_own_node {
            return true;
        }
        let allowed = direction_allows(
            store,
            &policies,
            pod,
            "Ingress",
            &src,
            |policy| {
                let rules = policy.spec.as_ref().and_then(|s| s.ingress.as_ref());
                rules
                    .into_iter()
                    .flatten()
                    .map(|r| (r.ports.as_ref(), r.from.as_ref()))
                    .collect()
            },
            dst.pod,
            port,
            protocol,
        );
        if !allowed {
            return false;
        }
    }
    true
}

/// Whether a pod at `source` can reach cluster DNS: some CoreDNS pod must accept its UDP
/// queries on port 53 (an egress default-deny breaks name lookups unless port 53 is allowed).
pub fn dns_reachable(store: &Store, source: Ipv4Addr) -> bool {
    if store.count(Kind::NetworkPolicy) == 0 {
        return true;
    }
    let dns_pods: Vec<Ipv4Addr> = store
        .list(Kind::Pod, Some("kube-system"))
        .filter_map(Object::as_pod)
        .filter(|p| {
            p.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("k8s-app"))
                .is_some_and(|v| v == "kube-dns")
        })
        .filter_map(|p| p.status.as_ref()?.pod_ip.as_deref()?.parse().ok())
        .collect();
    // No DNS pod at all is another failure (the caller's lookups find nothing anyway).
    dns_pods.is_empty()
        || dns_pods
            .iter()
            .any(|ip| connection_allowed(store, source, *ip, 53, "UDP"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_contain_their_addresses() {
        let block = Cidr::parse("10.244.1.0/24").expect("valid");
        assert!(block.contains(Ipv4Addr::new(10, 244, 1, 7)));
        assert!(!block.contains(Ipv4Addr::new(10, 244, 2, 7)));
        assert!(Cidr::parse("0.0.0.0/0").is_some_and(|c| c.contains(Ipv4Addr::new(1, 2, 3, 4))));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("10.0.0.0"), None);
    }

    /// Two namespaces, a web pod with a named port behind a policy that admits `role=client`
    /// pods of `team=a` namespaces (both selectors in one peer: ANDed) and a node range with a
    /// hole, on that named port only.
    fn cluster() -> Store {
        let yaml = r#"
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {kubernetes.io/metadata.name: default}}
---
apiVersion: v1
kind: Namespace
metadata: {name: team, labels: {team: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.244.1.2, hostIP: 172.30.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default, labels: {role: client}}
spec: {containers: [{name: c}]}
status: {podIP: 10.244.1.3, hostIP: 172.30.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: team, labels: {role: client}}
spec: {containers: [{name: c}]}
status: {podIP: 10.244.2.3, hostIP: 172.30.2.2}
---
apiVersion: v1
kind: Pod
metadata: {name: stranger, namespace: team, labels: {role: x}}
spec: {containers: [{name: c}]}
status: {podIP: 10.244.2.4, hostIP: 172.30.2.2}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: c}]}
status: {podIP: 10.244.0.5, hostIP: 172.30.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {matchLabels: {role: client}}
    - ipBlock: {cidr: 172.30.0.0/16, except: [172.30.9.0/24]}
    ports: [{port: http, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: quiet, namespace: team}
spec:
  podSelector: {matchLabels: {role: x}}
  policyTypes: [Egress]
"#;
        let objects = crate::decode_manifests(yaml).expect("test manifests decode");
        Store::restore(objects, 1)
    }

    #[test]
    fn policies_admit_only_their_peers_and_ports() {
        let store = cluster();
        let ip = |s: &str| s.parse::<Ipv4Addr>().expect("test address");
        let web = ip("10.244.1.2");
        let cases = [
            // (source, destination, port, allowed, why)
            (
                "10.244.2.3",
                web,
                8080,
                true,
                "team=a namespace and role=client",
            ),
            (
                "10.244.1.3",
                web,
                8080,
                false,
                "role=client, but default is not team=a",
            ),
            (
                "10.244.2.4",
                web,
                8080,
                false,
                "team=a, but not role=client",
            ),
            ("10.244.2.3", web, 9090, false, "not the named port"),
            ("172.30.2.9", web, 8080, true, "a node inside the ipBlock"),
            (
                "172.30.9.5",
                web,
                8080,
                false,
                "a node in the ipBlock's except",
            ),
            ("172.30.1.2", web, 9090, true, "the pod's own node (probes)"),
            ("127.0.0.1", web, 9090, true, "port-forward inside the pod"),
            (
                "10.244.1.2",
                ip("10.244.1.3"),
                80,
                true,
                "client is not isolated",
            ),
            (
                "10.244.2.4",
                ip("10.244.1.3"),
                80,
                false,
                "stranger may not send",
            ),
        ];
        for (source, destination, port, allowed, why) in cases {
            assert_eq!(
                connection_allowed(&store, ip(source), destination, port, "TCP"),
                allowed,
                "{source} -> {destination}:{port}: {why}"
            );
        }
        assert!(!connection_allowed(
            &store,
            ip("10.244.2.3"),
            web,
            8080,
            "UDP"
        ));
        assert!(dns_reachable(&store, ip("10.244.2.3")));
        assert!(
            !dns_reachable(&store, ip("10.244.2.4")),
            "egress deny cuts DNS"
        );
    }

    #[test]
    fn port_names_follow_iana_rules() {
        assert!(port_name_errors("http").is_empty());
        assert_eq!(
            port_name_errors("HTTP"),
            vec![
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)"
            ]
        );
    }
}
