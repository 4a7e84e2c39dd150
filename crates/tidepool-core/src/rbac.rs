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
    fn view_is_aggregated_from_its_parts() {
        let api = cluster();
        // Bootstrap writes each ClusterRole once: aggregation had nothing left to do.
        let admin_version = api
            .get(Kind::ClusterRole, "", "admin")
            .map(|o| o.resource_version())
            .unwrap_or(0);
        let view_version = api
            .get(Kind::ClusterRole, "", "view")
            .map(|o| o.resource_version())
            .unwrap_or(0);
        assert_eq!(admin_version, view_version + 2);
        let view = api.get(Kind::ClusterRole, "", "view");
        let rules = view
            .ok()
            .as_ref()
            .and_then(Object::as_cluster_role)
            .and_then(|r| r.rules.clone())
            .unwrap_or_default();
        assert_eq!(rules.len(), 10);
        let admin = api.get(Kind::ClusterRole, "", "admin");
        let admin_rules = admin
            .ok()
            .as_ref()
            .and_then(Object::as_cluster_role)
            .and_then(|r| r.rules.clone())
            .unwrap_or_default();
        // admin = edit (= aggregate-to-edit + view) + aggregate-to-admin.
        assert_eq!(admin_rules.len(), 13 + 10 + 2);
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
