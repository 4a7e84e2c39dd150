//! RBAC: the default policy of a kubeadm v1.32 cluster and the authorizer
//! (`plugin/pkg/auth/authorizer/rbac`), a pure function of the stored Roles and bindings.

use crate::api::ApiServer;
use crate::errors::ApiError;
use crate::objects::{Kind, Object};
use crate::rng::SimRng;
use k8s_openapi::api::rbac::v1::{
    AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef,
    Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const GROUP: &str = "rbac.authorization.k8s.io";

/// The bootstrap policy, compact: see `data/rbac-bootstrap.json`'s shape in [`Policy`].
const BOOTSTRAP_POLICY: &str = include_str!("../data/rbac-bootstrap.json");

/// `[apiGroups, resources, verbs, resourceNames?, nonResourceURLs?]`.
type CompactRule = Vec<Vec<String>>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Policy {
    /// `[name, aggregate-to label ("" none), aggregates ("" none), rules]`, the apiserver's
    /// `rbac-defaults`.
    cluster_roles: Vec<(String, String, String, Vec<CompactRule>)>,
    /// `[name, rules]`, made by `kubeadm init`.
    kubeadm_cluster_roles: Vec<(String, Vec<CompactRule>)>,
    /// `[name, ClusterRole, subjects [kind, name, namespace?]]`.
    cluster_role_bindings: Vec<(String, String, Vec<Vec<String>>)>,
    kubeadm_cluster_role_bindings: Vec<(String, String, Vec<Vec<String>>)>,
    /// `[namespace, name, rules, rbac-defaults?]`.
    roles: Vec<(String, String, Vec<CompactRule>, bool)>,
    role_bindings: Vec<CompactRoleBinding>,
    /// `eventsRule()`, which nearly every controller role holds: stored once.
    events_rule: CompactRule,
    /// `[name without "system:controller:", rules]` (`controller_policy.go` with v1.32's
    /// default feature gates); each is bound to the kube-system ServiceAccount of that name.
    controller_roles: Vec<(String, Vec<ControllerRule>)>,
    /// The addons' policy: kubeadm's CoreDNS and the metrics-server the playground ships
    /// (`components.yaml`). `[name, labels, rules]`.
    addon_cluster_roles: Vec<(String, Labels, Vec<CompactRule>)>,
    /// `[name, labels, ClusterRole, subjects]`.
    addon_cluster_role_bindings: Vec<(String, Labels, String, Vec<Vec<String>>)>,
    /// `[namespace, name, labels, roleRef kind, roleRef name, subjects]`.
    addon_role_bindings: Vec<AddonRoleBinding>,
}

type Labels = BTreeMap<String, String>;

type AddonRoleBinding = (String, String, Labels, String, String, Vec<Vec<String>>);

/// A controller role's rule, or `"events"` for the shared [`Policy::events_rule`].
#[derive(Deserialize)]
#[serde(untagged)]
enum ControllerRule {
    Rule(CompactRule),
    Shared(String),
}

/// `[namespace, name, roleRef kind, roleRef name, subjects, rbac-defaults?]`.
type CompactRoleBinding = (String, String, String, String, Vec<Vec<String>>, bool);

fn rule(compact: &CompactRule) -> PolicyRule {
    let part = |i: usize| compact.get(i).filter(|v| !v.is_empty()).cloned();
    PolicyRule {
        api_groups: part(0),
        resources: part(1),
        verbs: compact.get(2).cloned().unwrap_or_default(),
        resource_names: part(3),
        non_resource_urls: part(4),
    }
}

fn subject(compact: &[String]) -> Subject {
    let kind = compact.first().cloned().unwrap_or_default();
    Subject {
        api_group: (kind != "ServiceAccount").then(|| GROUP.to_owned()),
        name: compact.get(1).cloned().unwrap_or_default(),
        namespace: compact.get(2).cloned(),
        kind,
    }
}

fn defaults_meta(
    name: &str,
    namespace: Option<&str>,
    bootstrapping: bool,
) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
    let mut meta = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        ..Default::default()
    };
    if bootstrapping {
        meta.labels = Some(BTreeMap::from([(
            "kubernetes.io/bootstrapping".to_owned(),
            "rbac-defaults".to_owned(),
        )]));
        meta.annotations = Some(BTreeMap::from([(
            "rbac.authorization.kubernetes.io/autoupdate".to_owned(),
            "true".to_owned(),
        )]));
    }
    meta
}

/// The rules an aggregated ClusterRole gets: those of every ClusterRole its selectors match,
/// in name order, without duplicates (the clusterrole-aggregation controller).
pub fn aggregated_rules(
    rule: &AggregationRule,
    roles: &BTreeMap<String, ClusterRole>,
    own: &str,
) -> Vec<PolicyRule> {
    let mut out: Vec<PolicyRule> = Vec::new();
    for selector in rule.cluster_role_selectors.iter().flatten() {
        for (name, role) in roles {
            if name == own || !selector_matches(selector, role.metadata.labels.as_ref()) {
                continue;
            }
            for r in role.rules.iter().flatten() {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
    }
    out
}

fn selector_matches(selector: &LabelSelector, labels: Option<&BTreeMap<String, String>>) -> bool {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v))
        && selector.match_expressions.iter().flatten().all(|e| {
            let value = labels.get(&e.key);
            let values = e.values.as_deref().unwrap_or_default();
            match e.operator.as_str() {
                "In" => value.is_some_and(|v| values.contains(v)),
                "NotIn" => value.is_none_or(|v| !values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

/// Creates the default ClusterRoles, ClusterRoleBindings and the kube-system/kube-public Roles
/// and RoleBindings. Their uids come from a fixed-seed stream, not the simulation's RNG, so
/// adding them shifts no later random name.
pub fn bootstrap(api: &mut ApiServer) -> Result<(), ApiError> {
    let policy: Policy = serde_json::from_str(BOOTSTRAP_POLICY)
        .map_err(|e| ApiError::bad_request(format!("bootstrap RBAC policy: {e}")))?;
    let mut uids = SimRng::seeded(RBAC_UID_SEED);
    let mut roles: BTreeMap<String, ClusterRole> = BTreeMap::new();
    for (name, aggregate_to, aggregates, rules) in &policy.cluster_roles {
        let mut meta = defaults_meta(name, None, true);
        if !aggregate_to.is_empty() {
            meta.labels.get_or_insert_with(Default::default).insert(
                format!("rbac.authorization.k8s.io/aggregate-to-{aggregate_to}"),
                "true".to_owned(),
            );
        }
        let aggregation_rule = (!aggregates.is_empty()).then(|| AggregationRule {
            cluster_role_selectors: Some(vec![LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    format!("rbac.authorization.k8s.io/aggregate-to-{aggregates}"),
                    "true".to_owned(),
                )])),
                match_expressions: None,
            }]),
        });
        let role = ClusterRole {
            metadata: meta,
            aggregation_rule,
            rules: Some(rules.iter().map(rule).collect()),
        };
        roles.insert(name.clone(), role);
    }
    // view, then edit (which takes view's rules), then admin (which takes edit's).
    for name in ["view", "edit", "admin"] {
        if let Some(aggregation) = roles.get(name).and_then(|r| r.aggregation_rule.clone()) {
            let rules = aggregated_rules(&aggregation, &roles, name);
            if let Some(role) = roles.get_mut(name) {
                role.rules = Some(rules);
            }
        }
    }
    let mut create = |api: &mut ApiServer, object: Object| -> Result<(), ApiError> {
        api.create_with_uids(object, &mut uids).map(drop)
    };
    // Aggregated roles last, each after the roles it selects (view, edit, admin), so the
    // aggregation run on every ClusterRole write finds them already complete.
    let (aggregated, plain): (Vec<ClusterRole>, Vec<ClusterRole>) = roles
        .into_values()
        .partition(|r| r.aggregation_rule.is_some());
    for role in plain {
        create(api, role.into())?;
    }
    for name in ["view", "edit", "admin"] {
        for role in aggregated
            .iter()
            .filter(|r| r.metadata.name.as_deref() == Some(name))
        {
            create(api, role.clone().into())?;
        }
    }
    for (name, rules) in &policy.kubeadm_cluster_roles {
        let role = ClusterRole {
            metadata: defaults_meta(name, None, false),
            aggregation_rule: None,
            rules: Some(rules.iter().map(rule).collect()),
        };
        create(api, role.into())?;
    }
    let bindings = policy
        .cluster_role_bindings
        .iter()
        .map(|b| (b, true))
        .chain(
            policy
                .kubeadm_cluster_role_bindings
                .iter()
                .map(|b| (b, false)),
        );
    for ((name, role, subjects), bootstrapping) in bindings {
        let mut metadata = defaults_meta(name, None, bootstrapping);
        metadata.annotations = metadata.annotations.filter(|_| bootstrapping);
        let binding = ClusterRoleBinding {
            metadata,
            role_ref: RoleRef {
                api_group: GROUP.to_owned(),
                kind: "ClusterRole".to_owned(),
                name: role.clone(),
            },
            subjects: (!subjects.is_empty()).then(|| subjects.iter().map(|s| subject(s)).collect()),
        };
        create(api, binding.into())?;
    }
    for (namespace, name, rules, bootstrapping) in &policy.roles {
        let role = Role {
            metadata: defaults_meta(name, Some(namespace), *bootstrapping),
            rules: Some(rules.iter().map(rule).collect()),
        };
        create(api, role.into())?;
    }
    for (namespace, name, kind, role, subjects, bootstrapping) in &policy.role_bindings {
        let binding = RoleBinding {
            metadata: defaults_meta(name, Some(namespace), *bootstrapping),
            role_ref: RoleRef {
                api_group: GROUP.to_owned(),
                kind: kind.clone(),
                name: role.clone(),
            },
            subjects: Some(subjects.iter().map(|s| subject(s)).collect()),
        };
        create(api, binding.into())?;
    }
    bootstrap_controller_roles(api, &policy, &mut uids)
}

/// The `system:controller:*` ClusterRoles and their bindings, then the addons' policy: after
/// everything above, so the objects created before them keep their uids.
fn bootstrap_controller_roles(
    api: &mut ApiServer,
    policy: &Policy,
    uids: &mut SimRng,
) -> Result<(), ApiError> {
    let name_of = |suffix: &str| format!("system:controller:{suffix}");
    for (suffix, rules) in &policy.controller_roles {
        let rules = rules
            .iter()
            .map(|r| match r {
                ControllerRule::Rule(compact) => Ok(rule(compact)),
                ControllerRule::Shared(name) if name == "events" => Ok(rule(&policy.events_rule)),
                ControllerRule::Shared(name) => Err(ApiError::bad_request(format!(
                    "bootstrap RBAC policy: no shared rule {name:?}"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let role = ClusterRole {
            metadata: defaults_meta(&name_of(suffix), None, true),
            aggregation_rule: None,
            rules: Some(rules),
        };
        api.create_with_uids(role.into(), uids)?;
    }
    for (suffix, _) in &policy.controller_roles {
        let binding = ClusterRoleBinding {
            metadata: defaults_meta(&name_of(suffix), None, true),
            role_ref: RoleRef {
                api_group: GROUP.to_owned(),
                kind: "ClusterRole".to_owned(),
                name: name_of(suffix),
            },
            subjects: Some(vec![subject(&[
                "ServiceAccount".to_owned(),
                suffix.clone(),
                "kube-system".to_owned(),
            ])]),
        };
        api.create_with_uids(binding.into(), uids)?;
    }
    let labelled = |name: &str, namespace: Option<&str>, labels: &BTreeMap<String, String>| {
        let mut meta = defaults_meta(name, namespace, false);
        meta.labels = (!labels.is_empty()).then(|| labels.clone());
        meta
    };
    for (name, labels, rules) in &policy.addon_cluster_roles {
        let role = ClusterRole {
            metadata: labelled(name, None, labels),
            aggregation_rule: None,
            rules: Some(rules.iter().map(rule).collect()),
        };
        api.create_with_uids(role.into(), uids)?;
    }
    for (name, labels, role, subjects) in &policy.addon_cluster_role_bindings {
        let binding = ClusterRoleBinding {
            metadata: labelled(name, None, labels),
            role_ref: RoleRef {
                api_group: GROUP.to_owned(),
                kind: "ClusterRole".to_owned(),
                name: role.clone(),
            },
            subjects: Some(subjects.iter().map(|s| subject(s)).collect()),
        };
        api.create_with_uids(binding.into(), uids)?;
    }
    for (namespace, name, labels, kind, role, subjects) in &policy.addon_role_bindings {
        let binding = RoleBinding {
            metadata: labelled(name, Some(namespace), labels),
            role_ref: RoleRef {
                api_group: GROUP.to_owned(),
                kind: kind.clone(),
                name: role.clone(),
            },
            subjects: Some(subjects.iter().map(|s| subject(s)).collect()),
        };
        api.create_with_uids(binding.into(), uids)?;
    }
    Ok(())
}

/// Seed of the uid stream of the bootstrap RBAC objects ("rbac" in ASCII).
const RBAC_UID_SEED: u64 = 0x7262_6163;

/// Who makes a request: the authenticated (or impersonated) user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    /// Groups as the authenticator reports them, `system:authenticated` included.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// A user as the apiserver sees it after authentication or impersonation: service
    /// accounts given no groups get `system:serviceaccounts` and
    /// `system:serviceaccounts:<ns>` (the impersonation filter's fixed mapping), and everyone
    /// but `system:anonymous` gets `system:authenticated`.
    pub fn new(name: &str, groups: &[String]) -> Self {
        let mut all: Vec<String> = groups.to_vec();
        if let Some((namespace, _)) = service_account_of(name).filter(|_| groups.is_empty()) {
            for group in [
                "system:serviceaccounts".to_owned(),
                format!("system:serviceaccounts:{namespace}"),
            ] {
                if !all.contains(&group) {
                    all.push(group);
                }
            }
        }
        if name != "system:anonymous" && !all.iter().any(|g| g == "system:authenticated") {
            all.push("system:authenticated".to_owned());
        }
        Self {
            name: name.to_owned(),
            groups: all,
        }
    }
}

/// `system:serviceaccount:<ns>:<name>` split into namespace and name.
pub fn service_account_of(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix("system:serviceaccount:")?;
    let (namespace, name) = rest.split_once(':')?;
    (!namespace.is_empty() && !name.is_empty() && !name.contains(':')).then_some((namespace, name))
}

/// What a request asks to do (`authorizer.Attributes`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub verb: String,
    /// Empty for cluster-scoped requests (and for lists across all namespaces).
    pub namespace: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
    /// Set for non-resource requests (`/healthz`); then the resource fields are unused.
    pub path: Option<String>,
}

impl Request {
    pub fn resource(verb: &str, kind_group: &str, resource: &str, namespace: &str) -> Self {
        Self {
            verb: verb.to_owned(),
            namespace: namespace.to_owned(),
            api_group: kind_group.to_owned(),
            resource: resource.to_owned(),
            ..Self::default()
        }
    }

    pub fn for_kind(verb: &str, kind: Kind, namespace: &str, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::resource(
                verb,
                kind.group(),
                kind.plural(),
                if kind.namespaced() { namespace } else { "" },
            )
        }
    }
}

fn has(list: &[String], item: &str) -> bool {
    list.iter().any(|x| x == item)
}

/// `rbac.RuleAllows`.
pub fn rule_allows(request: &Request, rule: &PolicyRule) -> bool {
    if !(has(&rule.verbs, "*") || has(&rule.verbs, &request.verb)) {
        return false;
    }
    if let Some(path) = &request.path {
        return rule.non_resource_urls.iter().flatten().any(|url| {
            url == "*"
                || url == path
                || url
                    .strip_suffix('*')
                    .is_some_and(|prefix| path.starts_with(prefix))
        });
    }
    let groups = rule.api_groups.as_deref().unwrap_or_default();
    if !(has(groups, "*") || has(groups, &request.api_group)) {
        return false;
    }
    let combined = if request.subresource.is_empty() {
        request.resource.clone()
    } else {
        format!("{}/{}", request.resource, request.subresource)
    };
    let resource_ok = rule.resources.iter().flatten().any(|r| {
        r == "*"
            || *r == combined
            || (!request.subresource.is_empty() && *r == format!("*/{}", request.subresource))
    });
    if !resource_ok {
        return false;
    }
    let names = rule.resource_names.as_deref().unwrap_or_default();
    names.is_empty() || has(names, &request.name)
}

fn applies_to(subject: &Subject, user: &UserInfo, binding_namespace: &str) -> bool {
    match subject.kind.as_str() {
        "User" => subject.name == user.name,
        "Group" => has(&user.groups, &subject.name),
        "ServiceAccount" => {
            let namespace = match subject.namespace.as_deref() {
                Some(ns) if !ns.is_empty() => ns,
                _ => binding_namespace,
            };
            service_account_of(&user.name) == Some((namespace, subject.name.as_str()))
        }
        _ => false,
    }
}

/// Every rule that applies to `user` in `namespace` (cluster-wide rules first), as the rule
/// resolver gathers them for `SelfSubjectRulesReview` and for authorization.
pub fn rules_for(api: &ApiServer, user: &UserInfo, namespace: &str) -> Vec<PolicyRule> {
    let cluster_role_rules = |name: &str| -> Vec<PolicyRule> {
        api.get_ref(Kind::ClusterRole, "", name)
            .ok()
            .and_then(Object::as_cluster_role)
            .and_then(|r| r.rules.clone())
            .unwrap_or_default()
    };
    let mut rules = Vec::new();
    for object in api.store().list(Kind::ClusterRoleBinding, None) {
        let Some(binding) = object.as_cluster_role_binding() else {
            continue;
        };
        if binding
            .subjects
            .iter()
            .flatten()
            .any(|s| applies_to(s, user, ""))
        {
            rules.extend(cluster_role_rules(&binding.role_ref.name));
        }
    }
    if namespace.is_empty() {
        return rules;
    }
    for object in api.store().list(Kind::RoleBinding, Some(namespace)) {
        let Some(binding) = object.as_role_binding() else {
            continue;
        };
        if !binding
            .subjects
            .iter()
            .flatten()
            .any(|s| applies_to(s, user, namespace))
        {
            continue;
        }
        match binding.role_ref.kind.as_str() {
            "ClusterRole" => rules.extend(cluster_role_rules(&binding.role_ref.name)),
            _ => rules.extend(
                api.get_ref(Kind::Role, namespace, &binding.role_ref.name)
                    .ok()
                    .and_then(Object::as_role)
                    .and_then(|r| r.rules.clone())
                    .unwrap_or_default(),
            ),
        }
    }
    rules
}

/// Whether RBAC allows the request (`RBACAuthorizer.Authorize`).
pub fn authorize(api: &ApiServer, user: &UserInfo, request: &Request) -> bool {
    // The apiserver's privileged group bypasses the authorizer altogether.
    if has(&user.groups, "system:masters") {
        return true;
    }
    rules_for(api, user, &request.namespace)
        .iter()
        .any(|r| rule_allows(request, r))
}

/// The reason of a denied request (`forbiddenMessage` of the apiserver's handlers).
pub fn forbidden_message(user: &UserInfo, request: &Request) -> String {
    if let Some(path) = &request.path {
        return format!(
            "User {:?} cannot {} path {:?}",
            user.name, request.verb, path
        );
    }
    let mut resource = request.resource.clone();
    if !request.subresource.is_empty() {
        resource = format!("{resource}/{}", request.subresource);
    }
    if request.namespace.is_empty() {
        format!(
            "User {:?} cannot {} resource {:?} in API group {:?} at the cluster scope",
            user.name, request.verb, resource, request.api_group
        )
    } else {
        format!(
            "User {:?} cannot {} resource {:?} in API group {:?} in the namespace {:?}",
            user.name, request.verb, resource, request.api_group, request.namespace
        )
    }
}

/// What `--as`, `--as-group` and `--as-uid` ask the apiserver for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impersonation {
    pub user: String,
    pub groups: Vec<String>,
    pub uid: Option<String>,
}

/// The apiserver's impersonation filter: `requestor` needs `impersonate` on the user (or the
/// service account, in its namespace), then on each group, then on the uid, in that order;
/// the first refusal is the Forbidden error. Allowed, the request runs as the impersonated user.
pub fn impersonate(
    api: &ApiServer,
    requestor: &UserInfo,
    wanted: &Impersonation,
) -> Result<UserInfo, ApiError> {
    let impersonate = |resource: &str, namespace: &str, name: &str, group: &str| Request {
        verb: "impersonate".to_owned(),
        namespace: namespace.to_owned(),
        api_group: group.to_owned(),
        resource: resource.to_owned(),
        name: name.to_owned(),
        ..Request::default()
    };
    let mut requests = vec![match service_account_of(&wanted.user) {
        Some((namespace, name)) => impersonate("serviceaccounts", namespace, name, ""),
        None => impersonate("users", "", &wanted.user, ""),
    }];
    for group in &wanted.groups {
        requests.push(impersonate("groups", "", group, ""));
    }
    if let Some(uid) = &wanted.uid {
        requests.push(impersonate("uids", "", uid, "authentication.k8s.io"));
    }
    for request in &requests {
        if !authorize(api, requestor, request) {
            return Err(forbidden(requestor, request));
        }
    }
    Ok(UserInfo::new(&wanted.user, &wanted.groups))
}

/// The Forbidden error of a denied request (`responsewriters.Forbidden`).
pub fn forbidden(user: &UserInfo, request: &Request) -> ApiError {
    let resource = if request.api_group.is_empty() {
        request.resource.clone()
    } else {
        format!("{}.{}", request.resource, request.api_group)
    };
    ApiError::forbidden_resource(&resource, &request.name, &forbidden_message(user, request))
}

/// RBAC's escalation prevention on writes of roles and bindings (the `policybased` REST
/// storages): a Role or ClusterRole may only carry rules its writer holds, unless the writer
/// may `escalate` it; a binding may only grant a role whose rules the writer holds, unless the
/// writer may `bind` it. `request_name` is the name in the request's URL (empty on create).
pub fn confirm_no_escalation(
    api: &ApiServer,
    user: &UserInfo,
    object: &Object,
    request_name: &str,
) -> Result<(), ApiError> {
    // `EscalationAllowed`: the privileged group may write any policy.
    if has(&user.groups, "system:masters") {
        return Ok(());
    }
    let kind = object.kind();
    let namespace = if kind.namespaced() {
        object.namespace()
    } else {
        ""
    };
    let allowed = |verb: &str, resource: &str, name: &str| {
        let request = Request {
            name: name.to_owned(),
            ..Request::resource(verb, GROUP, resource, namespace)
        };
        authorize(api, user, &request)
    };
    let granted: Vec<PolicyRule> = match object {
        Object::Role(role) => {
            if allowed("escalate", "roles", request_name) {
                return Ok(());
            }
            role.rules.clone().unwrap_or_default()
        }
        Object::ClusterRole(role) => {
            if allowed("escalate", "clusterroles", request_name) {
                return Ok(());
            }
            role.rules.clone().unwrap_or_default()
        }
        Object::RoleBinding(binding) => {
            let role_ref = &binding.role_ref;
            let resource = if role_ref.kind == "Role" {
                "roles"
            } else {
                "clusterroles"
            };
            if allowed("bind", resource, &role_ref.name) {
                return Ok(());
            }
            role_reference_rules(api, role_ref, namespace)?
        }
        Object::ClusterRoleBinding(binding) => {
            if allowed("bind", "clusterroles", &binding.role_ref.name) {
                return Ok(());
            }
            role_reference_rules(api, &binding.role_ref, "")?
        }
        _ => return Ok(()),
    };
    let missing = uncovered_rules(&rules_for(api, user, namespace), &granted);
    if missing.is_empty() {
        return Ok(());
    }
    let mut lines: Vec<String> = compact_rules(missing).iter().map(compact_string).collect();
    lines.sort();
    lines.dedup();
    Err(ApiError::forbidden(
        kind,
        object.name(),
        &format!(
            "user {:?} (groups={}) is attempting to grant RBAC permissions not currently \
             held:\n{}",
            user.name,
            go_quoted(&user.groups),
            lines.join("\n")
        ),
    ))
}

/// `GetRoleReferenceRules`: the rules of the role a binding names (NotFound if it is missing).
fn role_reference_rules(
    api: &ApiServer,
    role_ref: &RoleRef,
    namespace: &str,
) -> Result<Vec<PolicyRule>, ApiError> {
    let rules = if role_ref.kind == "Role" {
        api.get_ref(Kind::Role, namespace, &role_ref.name)?
            .as_role()
            .and_then(|r| r.rules.clone())
    } else {
        api.get_ref(Kind::ClusterRole, "", &role_ref.name)?
            .as_cluster_role()
            .and_then(|r| r.rules.clone())
    };
    Ok(rules.unwrap_or_default())
}

/// `validation.Covers`: the single-verb, single-resource parts of `wanted` (`BreakdownRule`)
/// that no rule of `owner` covers.
fn uncovered_rules(owner: &[PolicyRule], wanted: &[PolicyRule]) -> Vec<PolicyRule> {
    wanted
        .iter()
        .flat_map(breakdown_rule)
        .filter(|part| !owner.iter().any(|o| rule_covers(o, part)))
        .collect()
}

fn breakdown_rule(rule: &PolicyRule) -> Vec<PolicyRule> {
    let one = |s: &String| Some(vec![s.clone()]);
    let mut parts = Vec::new();
    for group in rule.api_groups.iter().flatten() {
        for resource in rule.resources.iter().flatten() {
            for verb in &rule.verbs {
                let part = |resource_names| PolicyRule {
                    api_groups: one(group),
                    resources: one(resource),
                    verbs: vec![verb.clone()],
                    resource_names,
                    non_resource_urls: None,
                };
                match rule.resource_names.as_deref() {
                    Some(names) if !names.is_empty() => {
                        parts.extend(names.iter().map(|n| part(one(n))));
                    }
                    _ => parts.push(part(None)),
                }
            }
        }
    }
    for url in rule.non_resource_urls.iter().flatten() {
        for verb in &rule.verbs {
            parts.push(PolicyRule {
                non_resource_urls: one(url),
                verbs: vec![verb.clone()],
                ..PolicyRule::default()
            });
        }
    }
    parts
}

fn has_all(set: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|w| has(set, w))
}

/// `ruleCovers`.
fn rule_covers(owner: &PolicyRule, part: &PolicyRule) -> bool {
    let list = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    let (owner_groups, owner_resources) = (list(&owner.api_groups), list(&owner.resources));
    let (owner_names, part_names) = (list(&owner.resource_names), list(&part.resource_names));
    let verbs = has(&owner.verbs, "*") || has_all(&owner.verbs, &part.verbs);
    let groups = has(&owner_groups, "*") || has_all(&owner_groups, &list(&part.api_groups));
    let resources = has(&owner_resources, "*")
        || list(&part.resources).iter().all(|path| {
            has(&owner_resources, path)
                || path
                    .split_once('/')
                    .is_some_and(|(_, sub)| has(&owner_resources, &format!("*/{sub}")))
        });
    let names =
        owner_names.is_empty() || (!part_names.is_empty() && has_all(&owner_names, &part_names));
    let urls = list(&part.non_resource_urls).iter().all(|path| {
        list(&owner.non_resource_urls).iter().any(|o| {
            o == path
                || o.strip_suffix('*')
                    .is_some_and(|prefix| path.starts_with(prefix.trim_end_matches('*')))
        })
    });
    verbs && groups && resources && names && urls
}

/// `CompactRules`: parts naming one group, one resource and at most one name are merged, their
/// verbs appended in order; other rules stay as they are.
fn compact_rules(rules: Vec<PolicyRule>) -> Vec<PolicyRule> {
    let mut out: Vec<PolicyRule> = Vec::new();
    let mut simple: Vec<PolicyRule> = Vec::new();
    for rule in rules {
        let is_simple = rule.non_resource_urls.as_ref().is_none_or(Vec::is_empty)
            && rule.api_groups.as_ref().is_some_and(|g| g.len() == 1)
            && rule.resources.as_ref().is_some_and(|r| r.len() == 1)
            && rule.resource_names.as_ref().is_none_or(|n| n.len() <= 1);
        if !is_simple {
            out.push(rule);
            continue;
        }
        let same = |r: &&mut PolicyRule| {
            r.api_groups == rule.api_groups
                && r.resources == rule.resources
                && r.resource_names.as_ref().filter(|n| !n.is_empty())
                    == rule.resource_names.as_ref().filter(|n| !n.is_empty())
        };
        match simple.iter_mut().find(same) {
            Some(existing) => existing.verbs.extend(rule.verbs),
            None => simple.push(rule),
        }
    }
    out.extend(simple);
    out
}

/// Go's `%q` of a string slice: `["a" "b"]`.
fn go_quoted(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    format!("[{}]", quoted.join(" "))
}

/// `rbacv1helpers.CompactString`, as escalation errors list the missing rules.
fn compact_string(rule: &PolicyRule) -> String {
    let mut parts = Vec::new();
    for (label, values) in [
        ("APIGroups", rule.api_groups.as_deref()),
        ("Resources", rule.resources.as_deref()),
        ("NonResourceURLs", rule.non_resource_urls.as_deref()),
        ("ResourceNames", rule.resource_names.as_deref()),
        ("Verbs", Some(rule.verbs.as_slice())),
    ] {
        if let Some(values) = values.filter(|v| !v.is_empty()) {
            parts.push(format!("{label}:{}", go_quoted(values)));
        }
    }
    format!("{{{}}}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{ClusterConfig, bootstrap as bootstrap_cluster};
    use crate::objects::Object;

    fn cluster() -> ApiServer {
        let mut api = ApiServer::new(SimRng::seeded(1), Default::default());
        assert!(bootstrap_cluster(&mut api, &ClusterConfig::default()).is_ok());
        api
    }

    fn pods(verb: &str, namespace: &str) -> Request {
        Request::resource(verb, "", "pods", namespace)
    }

    #[test]
    fn the_kubeadm_admin_may_do_anything_and_others_little() {
        let api = cluster();
        let admin = UserInfo::new("kubernetes-admin", &["kubeadm:cluster-admins".to_owned()]);
        assert!(authorize(&api, &admin, &pods("delete", "kube-system")));
        let jane = UserInfo::new("jane", &[]);
        assert!(!authorize(&api, &jane, &pods("list", "default")));
        let review = Request::resource(
            "create",
            "authorization.k8s.io",
            "selfsubjectaccessreviews",
            "",
        );
        assert!(authorize(&api, &jane, &review));
        let healthz = Request {
            verb: "get".to_owned(),
            path: Some("/healthz".to_owned()),
            ..Request::default()
        };
        assert!(authorize(&api, &jane, &healthz));
    }

    #[test]
    fn a_kubeadm_cluster_has_the_controller_roles_and_their_bindings() {
        let api = cluster();
        // rbac-defaults 31 + 33 controller roles + kubeadm:get-nodes + system:coredns +
        // metrics-server's two.
        assert_eq!(api.store().list(Kind::ClusterRole, None).count(), 68);
        // rbac-defaults 12 + 33 controller bindings + kubeadm's 6 + system:coredns +
        // metrics-server's two.
        assert_eq!(api.store().list(Kind::ClusterRoleBinding, None).count(), 54);
        let deployment_controller = UserInfo::new(
            "system:serviceaccount:kube-system:deployment-controller",
            &[],
        );
        let mut update = Request::resource("update", "apps", "deployments", "default");
        update.subresource = "status".to_owned();
        assert!(authorize(&api, &deployment_controller, &update));
        assert!(!authorize(
            &api,
            &deployment_controller,
            &pods("delete", "default")
        ));
        let event = Request::resource("patch", "events.k8s.io", "events", "default");
        assert!(authorize(&api, &deployment_controller, &event));
        let coredns = UserInfo::new("system:serviceaccount:kube-system:coredns", &[]);
        assert!(authorize(&api, &coredns, &pods("watch", "")));
    }

    fn decode_one(manifest: &str) -> Object {
        match crate::decode::decode_manifests(manifest) {
            Ok(mut objects) if objects.len() == 1 => objects.remove(0),
            other => panic!("one manifest decodes: {other:?}"),
        }
    }

    #[test]
    fn impersonation_needs_the_impersonate_verb_on_each_part() {
        let mut api = cluster();
        let admin = UserInfo::new("kubernetes-admin", &["kubeadm:cluster-admins".to_owned()]);
        let wanted = Impersonation {
            user: "jane".to_owned(),
            groups: vec!["system:masters".to_owned()],
            uid: None,
        };
        let Ok(jane) = impersonate(&api, &admin, &wanted) else {
            panic!("the admin may impersonate anyone");
        };
        assert!(jane.groups.contains(&"system:masters".to_owned()));
        let bot = UserInfo::new("system:serviceaccount:default:bot", &[]);
        let denied = impersonate(&api, &bot, &wanted).err().map(|e| e.message);
        assert_eq!(
            denied.as_deref(),
            Some(
                "users \"jane\" is forbidden: User \"system:serviceaccount:default:bot\" cannot \
                 impersonate resource \"users\" in API group \"\" at the cluster scope"
            )
        );
        // A ClusterRole that may impersonate users but no groups: the group is refused next.
        for manifest in [
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: imp}\nrules: [{apiGroups: [''], resources: [users, serviceaccounts], verbs: [impersonate]}]\n",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: imp}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: imp}\nsubjects: [{kind: ServiceAccount, name: bot, namespace: default}]\n",
        ] {
            assert!(api.create(decode_one(manifest)).is_ok());
        }
        let denied = impersonate(&api, &bot, &wanted).err().map(|e| e.message);
        assert_eq!(
            denied.as_deref(),
            Some(
                "groups \"system:masters\" is forbidden: User \"system:serviceaccount:default:bot\" \
                 cannot impersonate resource \"groups\" in API group \"\" at the cluster scope"
            )
        );
        let as_account = Impersonation {
            user: "system:serviceaccount:kube-system:coredns".to_owned(),
            groups: Vec::new(),
            uid: Some("42".to_owned()),
        };
        let denied = impersonate(&api, &bot, &as_account)
            .err()
            .map(|e| e.message);
        assert_eq!(
            denied.as_deref(),
            Some(
                "uids.authentication.k8s.io \"42\" is forbidden: User \
                 \"system:serviceaccount:default:bot\" cannot impersonate resource \"uids\" in API \
                 group \"authentication.k8s.io\" at the cluster scope"
            )
        );
    }

    #[test]
    fn a_role_with_rules_its_writer_lacks_is_an_escalation() {
        let mut api = cluster();
        let jane = UserInfo::new("jane", &[]);
        let view = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: jane-view, namespace: default}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\nsubjects: [{kind: User, name: jane}]\n";
        assert!(api.create(decode_one(view)).is_ok());
        api.set_acting_user(Some(jane));
        let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: default}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get, list]}, {apiGroups: [''], resources: [nodes, pods/exec], verbs: [get, list]}, {apiGroups: [''], resources: [secrets], verbs: [get], resourceNames: [a, b]}]\n";
        let denied = api.create(decode_one(role)).err().map(|e| e.message);
        assert_eq!(
            denied.as_deref(),
            Some(
                "roles.rbac.authorization.k8s.io \"r\" is forbidden: user \"jane\" \
                 (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not \
                 currently held:\n{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"get\" \"list\"]}"
            )
        );
        // Within what jane holds (admin in default), the same role minus nodes is fine.
        let allowed = role.replace("nodes, ", "");
        assert!(api.create(decode_one(&allowed)).is_ok());
        // A binding to cluster-admin in default grants what jane lacks there.
        let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: default}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: joe}]\n";
        let denied = api.create(decode_one(binding)).err().map(|e| e.message);
        assert_eq!(
            denied.as_deref(),
            Some(
                "rolebindings.rbac.authorization.k8s.io \"b\" is forbidden: user \"jane\" \
                 (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not \
                 currently held:\n{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}\n\
                 {NonResourceURLs:[\"*\"], Verbs:[\"*\"]}"
            )
        );
        // `bind` on that ClusterRole lets jane grant it without holding it.
        api.set_acting_user(None);
        for manifest in [
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: binder}\nrules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}]\n",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: binder}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}\nsubjects: [{kind: User, name: jane}]\n",
        ] {
            assert!(api.create(decode_one(manifest)).is_ok());
        }
        api.set_acting_user(Some(UserInfo::new("jane", &[])));
        assert!(api.create(decode_one(binding)).is_ok());
        // A finalizer alone is the garbage collector's field: no escalation check. The same
        // write with a label is checked, and jane does not hold cluster-admin's rules.
        api.set_acting_user(None);
        let escalator = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: jane-edits-roles}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit-roles}\nsubjects: [{kind: User, name: jane}]\n";
        let edit_roles = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: edit-roles}\nrules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [patch]}]\n";
        assert!(api.create(decode_one(edit_roles)).is_ok());
        assert!(api.create(decode_one(escalator)).is_ok());
        api.set_acting_user(Some(UserInfo::new("jane", &[])));
        let finalizer = serde_json::json!({"metadata": {"finalizers": ["example.com/keep"]}});
        let patch = |api: &mut ApiServer, body: &serde_json::Value| {
            api.patch(
                Kind::ClusterRole,
                "",
                "cluster-admin",
                crate::api::PatchType::Merge,
                body,
            )
        };
        assert!(patch(&mut api, &finalizer).is_ok());
        let label = serde_json::json!({"metadata": {"labels": {"team": "a"}}});
        let denied = patch(&mut api, &label).err().map(|e| e.message);
        assert!(
            denied
                .as_deref()
                .is_some_and(|m| m.contains("attempting to grant")),
            "{denied:?}"
        );
    }

    #[test]
    fn view_is_aggregated_from_its_parts() {
        let api = cluster();
        let view = api.get(Kind::ClusterRole, "", "view");
        let rules = view
            .ok()
            .as_ref()
            .and_then(Object::as_cluster_role)
            .and_then(|r| r.rules.clone())
            .unwrap_or_default();
        // system:aggregate-to-view's ten, then metrics-server's aggregated reader (name order).
        assert_eq!(rules.len(), 11);
        assert_eq!(
            rules.last().and_then(|r| r.api_groups.clone()),
            Some(vec!["metrics.k8s.io".to_owned()])
        );
        let admin = api.get(Kind::ClusterRole, "", "admin");
        let admin_rules = admin
            .ok()
            .as_ref()
            .and_then(Object::as_cluster_role)
            .and_then(|r| r.rules.clone())
            .unwrap_or_default();
        // admin = edit (= aggregate-to-edit + view + metrics) + aggregate-to-admin.
        assert_eq!(admin_rules.len(), 13 + 11 + 2);
    }

    #[test]
    fn a_role_binding_grants_a_service_account_its_namespace_only() {
        let mut api = cluster();
        let decoded = crate::decode::decode_manifests(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: default}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: ServiceAccount, name: bot, namespace: default}]\n",
        );
        let Ok(objects) = decoded else {
            panic!("manifest decodes");
        };
        for object in objects {
            assert!(api.create(object).is_ok());
        }
        let bot = UserInfo::new("system:serviceaccount:default:bot", &[]);
        assert!(
            bot.groups
                .contains(&"system:serviceaccounts:default".to_owned())
        );
        assert!(authorize(&api, &bot, &pods("list", "default")));
        assert!(!authorize(&api, &bot, &pods("list", "kube-system")));
        assert!(!authorize(&api, &bot, &pods("delete", "default")));
        let mut logs = pods("get", "default");
        logs.subresource = "log".to_owned();
        assert!(authorize(&api, &bot, &logs));
        logs.subresource = "exec".to_owned();
        assert!(!authorize(&api, &bot, &logs));
    }

    #[test]
    fn an_aggregated_cluster_role_follows_the_roles_it_selects() {
        let mut api = cluster();
        let manifests = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: monitoring}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {team: obs}}]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: read-nodes, labels: {team: obs}}\nrules: [{apiGroups: [''], resources: [nodes], verbs: [get]}]\n";
        let Ok(objects) = crate::decode::decode_manifests(manifests) else {
            panic!("manifests decode");
        };
        for object in objects {
            assert!(api.create(object).is_ok());
        }
        let rules = |api: &ApiServer| {
            api.get(Kind::ClusterRole, "", "monitoring")
                .ok()
                .as_ref()
                .and_then(Object::as_cluster_role)
                .and_then(|r| r.rules.clone())
                .unwrap_or_default()
        };
        assert_eq!(rules(&api).len(), 1);
        assert!(
            api.delete(Kind::ClusterRole, "", "read-nodes", &Default::default())
                .is_ok()
        );
        assert_eq!(rules(&api).len(), 0);
    }

    #[test]
    fn rules_match_names_wildcards_and_url_prefixes() {
        let rule = PolicyRule {
            api_groups: Some(vec!["apps".to_owned()]),
            resources: Some(vec!["*/scale".to_owned()]),
            resource_names: Some(vec!["web".to_owned()]),
            verbs: vec!["update".to_owned()],
            non_resource_urls: None,
        };
        let mut request = Request::resource("update", "apps", "deployments", "default");
        request.subresource = "scale".to_owned();
        request.name = "web".to_owned();
        assert!(rule_allows(&request, &rule));
        request.name = "api".to_owned();
        assert!(!rule_allows(&request, &rule));
        let urls = PolicyRule {
            non_resource_urls: Some(vec!["/healthz/*".to_owned()]),
            verbs: vec!["get".to_owned()],
            ..PolicyRule::default()
        };
        let mut get = Request {
            verb: "get".to_owned(),
            path: Some("/healthz/etcd".to_owned()),
            ..Request::default()
        };
        assert!(rule_allows(&get, &urls));
        get.path = Some("/metrics".to_owned());
        assert!(!rule_allows(&get, &urls));
    }
}
