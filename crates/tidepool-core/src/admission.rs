//! Admission plugins that run inside the API layer: LimitRanger (defaults), ServiceAccount
//! (default account, API access volume), ResourceQuota (usage against hard limits, with the
//! apiserver's exact texts).

use crate::SimRng;
use crate::naming;
use crate::objects::{Kind, Object, ObjectKey};
use crate::quantity::{self, Amount};
use crate::store::Store;
use k8s_openapi::api::core::v1::{
    ConfigMapProjection, Container, DownwardAPIProjection, DownwardAPIVolumeFile, KeyToPath,
    ObjectFieldSelector, Pod, PodSpec, ProjectedVolumeSource, ResourceQuota,
    ServiceAccountTokenProjection, Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::{BTreeMap, BTreeSet};

/// LimitRanger: fills container requests/limits from `type: Container` defaults.
pub fn apply_limit_range_defaults(store: &Store, pod: &mut Pod) {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let Some(spec) = pod.spec.as_mut() else {
        return;
    };
    for lr in store.list(Kind::LimitRange, Some(&namespace)) {
        let Some(lr) = lr.as_limit_range() else {
            continue;
        };
        for item in lr.spec.iter().flat_map(|s| s.limits.iter()) {
            if item.type_ != "Container" {
                continue;
            }
            let containers = spec
                .containers
                .iter_mut()
                .chain(spec.init_containers.iter_mut().flatten());
            for c in containers {
                let res = c.resources.get_or_insert_with(Default::default);
                for (name, value) in item.default.iter().flatten() {
                    res.limits
                        .get_or_insert_with(Default::default)
                        .entry(name.clone())
                        .or_insert_with(|| value.clone());
                }
                // Requests default to defaultRequest, else to the (possibly defaulted) limit.
                let mut requests = item.default_request.clone().unwrap_or_default();
                for (name, value) in res.limits.iter().flatten() {
                    requests
                        .entry(name.clone())
                        .or_insert_with(|| value.clone());
                }
                for (name, value) in requests {
                    res.requests
                        .get_or_insert_with(Default::default)
                        .entry(name)
                        .or_insert(value);
                }
            }
        }
    }
}

/// LimitRanger validation: container requests/limits within `min`/`max` of `type: Container`.
/// `Err` is the Forbidden reason text.
pub fn check_limit_ranges(store: &Store, pod: &Pod) -> Result<(), String> {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let Some(spec) = pod.spec.as_ref() else {
        return Ok(());
    };
    let mut problems = Vec::new();
    for lr in store
        .list(Kind::LimitRange, Some(&namespace))
        .filter_map(Object::as_limit_range)
    {
        for item in lr.spec.iter().flat_map(|s| s.limits.iter()) {
            if item.type_ != "Container" {
                continue;
            }
            for c in spec
                .containers
                .iter()
                .chain(spec.init_containers.iter().flatten())
            {
                let res = c.resources.as_ref();
                let limits = parse_list(res.and_then(|r| r.limits.as_ref()));
                let requests = parse_list(res.and_then(|r| r.requests.as_ref()));
                for (name, max) in parse_list(item.max.as_ref()) {
                    match limits.get(&name) {
                        Some(l) if l.milli > max.milli => problems.push(format!(
                            "maximum {name} usage per Container is {}, but limit is {}",
                            max.to_canonical(),
                            l.to_canonical()
                        )),
                        None => problems.push(format!(
                            "maximum {name} usage per Container is {}.  No limit is specified",
                            max.to_canonical()
                        )),
                        _ => {}
                    }
                }
                for (name, min) in parse_list(item.min.as_ref()) {
                    match requests.get(&name) {
                        Some(r) if r.milli < min.milli => problems.push(format!(
                            "minimum {name} usage per Container is {}, but request is {}",
                            min.to_canonical(),
                            r.to_canonical()
                        )),
                        None => problems.push(format!(
                            "minimum {name} usage per Container is {}.  No request is specified",
                            min.to_canonical()
                        )),
                        _ => {}
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join(", "))
    }
}

type Usage = BTreeMap<String, Amount>;

const COMPUTE: [&str; 6] = [
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
];

fn add(usage: &mut Usage, name: &str, amount: Amount) {
    let entry = usage
        .entry(name.to_owned())
        .or_insert_with(|| Amount::zero(amount.format));
    entry.milli = entry.milli.saturating_add(amount.milli);
}

fn parse_list(list: Option<&BTreeMap<String, Quantity>>) -> BTreeMap<String, Amount> {
    list.into_iter()
        .flatten()
        .filter_map(|(k, v)| quantity::parse(&v.0).map(|a| (k.clone(), a)))
        .collect()
}

/// Compute usage of one pod (sum of containers, at least the largest init container).
pub fn pod_usage(spec: &PodSpec) -> Usage {
    let mut usage = Usage::new();
    add(
        &mut usage,
        "pods",
        Amount {
            milli: 1000,
            ..Amount::default()
        },
    );
    add(
        &mut usage,
        "count/pods",
        Amount {
            milli: 1000,
            ..Amount::default()
        },
    );
    let mut sums: Usage = Usage::new();
    for c in &spec.containers {
        for (name, amount) in container_usage(c) {
            add(&mut sums, &name, amount);
        }
    }
    for c in spec.init_containers.iter().flatten() {
        for (name, amount) in container_usage(c) {
            let entry = sums.entry(name).or_insert(amount);
            if amount.milli > entry.milli {
                *entry = amount;
            }
        }
    }
    usage.extend(sums);
    usage
}

fn container_usage(c: &k8s_openapi::api::core::v1::Container) -> Usage {
    let mut usage = Usage::new();
    let res = c.resources.as_ref();
    for (name, amount) in parse_list(res.and_then(|r| r.requests.as_ref())) {
        if name == "cpu" || name == "memory" {
            usage.insert(name.clone(), amount);
        }
        usage.insert(format!("requests.{name}"), amount);
    }
    for (name, amount) in parse_list(res.and_then(|r| r.limits.as_ref())) {
        usage.insert(format!("limits.{name}"), amount);
    }
    usage
}

fn terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// The quota name for counting objects of a kind (`count/deployments.apps`), plus legacy names.
fn count_names(kind: Kind) -> Vec<String> {
    let mut names = vec![format!("count/{}", crate::errors::resource_name(kind))];
    let legacy = match kind {
        Kind::Pod => "pods",
        Kind::Service => "services",
        Kind::ConfigMap => "configmaps",
        Kind::Secret => "secrets",
        Kind::ReplicationController => "replicationcontrollers",
        Kind::ResourceQuota => "resourcequotas",
        _ => "",
    };
    if !legacy.is_empty() && kind != Kind::Pod {
        names.push(legacy.to_owned());
    }
    names
}

/// Current usage in a namespace, as the quota controller would have recorded it.
pub fn namespace_usage(store: &Store, namespace: &str) -> Usage {
    let mut usage = Usage::new();
    for object in store.list(Kind::Pod, Some(namespace)) {
        if let Some(pod) = object.as_pod().filter(|p| !terminal(p)) {
            for (name, amount) in pod_usage(pod.spec.as_ref().unwrap_or(&PodSpec::default())) {
                add(&mut usage, &name, amount);
            }
        }
    }
    for &kind in Kind::ALL {
        if kind == Kind::Pod || !kind.namespaced() || kind == Kind::Event {
            continue;
        }
        let n = store.list(kind, Some(namespace)).count() as i128;
        for name in count_names(kind) {
            add(
                &mut usage,
                &name,
                Amount {
                    milli: n * 1000,
                    ..Amount::default()
                },
            );
        }
    }
    usage
}

fn pretty(usage: &Usage, names: &BTreeSet<String>) -> String {
    names
        .iter()
        .map(|n| {
            let amount = usage.get(n).copied().unwrap_or_default();
            format!("{n}={}", amount.to_canonical())
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Fills `status.hard`/`status.used` from the spec and the current usage.
pub fn refresh_quota_status(store: &Store, quota: &mut ResourceQuota) {
    let namespace = quota.metadata.namespace.clone().unwrap_or_default();
    let usage = namespace_usage(store, &namespace);
    let hard = quota
        .spec
        .as_ref()
        .and_then(|s| s.hard.clone())
        .unwrap_or_default();
    let used = hard
        .iter()
        .map(|(name, q)| {
            let format = quantity::parse(&q.0).map(|a| a.format).unwrap_or_default();
            let amount = usage.get(name).copied().unwrap_or(Amount::zero(format));
            (name.clone(), Quantity(amount.to_canonical()))
        })
        .collect();
    let status = quota.status.get_or_insert_with(Default::default);
    status.hard = Some(hard);
    status.used = Some(used);
}

/// ResourceQuota admission for creating `object`. `Err` is the Forbidden reason text.
pub fn check_quota(store: &Store, object: &Object) -> Result<(), String> {
    let namespace = object.namespace();
    let quotas: Vec<&ResourceQuota> = store
        .list(Kind::ResourceQuota, Some(namespace))
        .filter_map(Object::as_resource_quota)
        .collect();
    if quotas.is_empty() {
        return Ok(());
    }
    let delta = match object {
        Object::Pod(pod) => pod_usage(pod.spec.as_ref().unwrap_or(&PodSpec::default())),
        other => {
            let mut usage = Usage::new();
            for name in count_names(other.kind()) {
                add(
                    &mut usage,
                    &name,
                    Amount {
                        milli: 1000,
                        ..Amount::default()
                    },
                );
            }
            usage
        }
    };
    let used_now = namespace_usage(store, namespace);
    for quota in quotas {
        let name = quota.metadata.name.as_deref().unwrap_or("");
        let hard = parse_list(quota.spec.as_ref().and_then(|s| s.hard.as_ref()));
        if let Object::Pod(pod) = object {
            let required: BTreeSet<&str> = hard
                .keys()
                .map(String::as_str)
                .filter(|k| COMPUTE.contains(k))
                .collect();
            let mut missing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            let spec = pod.spec.clone().unwrap_or_default();
            for c in spec
                .containers
                .iter()
                .chain(spec.init_containers.iter().flatten())
            {
                let have = container_usage(c);
                for r in &required {
                    if !have.contains_key(*r) {
                        missing
                            .entry((*r).to_owned())
                            .or_default()
                            .insert(c.name.clone());
                    }
                }
            }
            if !missing.is_empty() {
                let parts: Vec<String> = missing
                    .iter()
                    .map(|(r, names)| {
                        format!(
                            "{r} for: {}",
                            names.iter().cloned().collect::<Vec<_>>().join(",")
                        )
                    })
                    .collect();
                return Err(format!(
                    "failed quota: {name}: must specify {}",
                    parts.join("; ")
                ));
            }
        }
        let requested: BTreeSet<String> = delta
            .keys()
            .filter(|k| hard.contains_key(*k))
            .cloned()
            .collect();
        let exceeded: BTreeSet<String> = requested
            .iter()
            .filter(|k| {
                let used = used_now.get(*k).map_or(0, |a| a.milli);
                let want = delta.get(*k).map_or(0, |a| a.milli);
                hard.get(*k).is_some_and(|h| used + want > h.milli)
            })
            .cloned()
            .collect();
        if !exceeded.is_empty() {
            let mut used_fmt = Usage::new();
            for k in &exceeded {
                let format = hard.get(k).map(|h| h.format).unwrap_or_default();
                let amount = used_now.get(k).copied().unwrap_or(Amount::zero(format));
                used_fmt.insert(k.clone(), amount);
            }
            return Err(format!(
                "exceeded quota: {name}, requested: {}, used: {}, limited: {}",
                pretty(&delta, &exceeded),
                pretty(&used_fmt, &exceeded),
                pretty(&hard, &exceeded)
            ));
        }
    }
    Ok(())
}

/// Where the ServiceAccount admission plugin mounts the API access volume in every container.
pub const SERVICE_ACCOUNT_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The API access volume's name prefix; apiserver appends 5 random characters.
pub const SERVICE_ACCOUNT_VOLUME_PREFIX: &str = "kube-api-access-";
/// `serviceaccount.WarnOnlyBoundTokenExpirationSeconds`: 1 hour plus 7 seconds.
pub const TOKEN_EXPIRATION_SECONDS: i64 = 3607;
/// The ConfigMap the root-ca-cert-publisher keeps in every namespace.
pub const ROOT_CA_CONFIG_MAP: &str = "kube-root-ca.crt";
/// The annotation that marks a kubelet's mirror of a static pod.
pub const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// The ServiceAccount admission plugin (`plugin/pkg/admission/serviceaccount`) on pod create:
/// defaults `serviceAccountName` to `default` (and its deprecated `serviceAccount` copy), refuses
/// a pod whose ServiceAccount does not exist, copies the account's imagePullSecrets, and unless
/// automount is off mounts the `kube-api-access-xxxxx` projected volume in every container.
/// Mirror pods are left alone. `Err` is the Forbidden reason text.
pub fn admit_service_account(store: &Store, rng: &mut SimRng, pod: &mut Pod) -> Result<(), String> {
    if pod
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(MIRROR_POD_ANNOTATION))
    {
        return Ok(());
    }
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let Some(spec) = pod.spec.as_mut() else {
        return Ok(());
    };
    // The deprecated field is the name's alias: either one set fills the other.
    let name = spec
        .service_account_name
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| spec.service_account.clone().filter(|n| !n.is_empty()))
        .unwrap_or_else(|| "default".to_owned());
    spec.service_account_name = Some(name.clone());
    spec.service_account = Some(name.clone());
    let account = store
        .get(&ObjectKey::new(Kind::ServiceAccount, &namespace, &name))
        .and_then(|o| match o {
            Object::ServiceAccount(sa) => Some(&**sa),
            _ => None,
        });
    // apiserver retries the `default` account for a while, since the controller creates it
    // right after the namespace; the simulated controller runs before the pod could start.
    if account.is_none() && name != "default" {
        return Err(format!(
            "error looking up service account {namespace}/{name}: serviceaccount \"{name}\" not found"
        ));
    }
    if spec.image_pull_secrets.as_ref().is_none_or(Vec::is_empty)
        && let Some(secrets) = account
            .and_then(|a| a.image_pull_secrets.clone())
            .filter(|s| !s.is_empty())
    {
        spec.image_pull_secrets = Some(secrets);
    }
    let automount = spec
        .automount_service_account_token
        .or_else(|| account.and_then(|a| a.automount_service_account_token))
        .unwrap_or(true);
    if automount {
        mount_service_account_token(spec, rng);
    }
    Ok(())
}

/// `mountServiceAccountToken`: every container and init container without a mount at the
/// token path gets one (appended last); the volume is added when some container needs it.
fn mount_service_account_token(spec: &mut PodSpec, rng: &mut SimRng) {
    let existing = spec
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name.starts_with(SERVICE_ACCOUNT_VOLUME_PREFIX))
        .map(|v| v.name.clone());
    let needs_mount = |c: &Container| {
        !c.volume_mounts
            .iter()
            .flatten()
            .any(|m| m.mount_path == SERVICE_ACCOUNT_MOUNT_PATH)
    };
    let containers = spec
        .init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter());
    if !containers.clone().any(needs_mount) {
        return;
    }
    let volume_name = existing
        .clone()
        .unwrap_or_else(|| naming::generate_name(SERVICE_ACCOUNT_VOLUME_PREFIX, rng));
    let mount = VolumeMount {
        mount_path: SERVICE_ACCOUNT_MOUNT_PATH.to_owned(),
        name: volume_name.clone(),
        read_only: Some(true),
        ..VolumeMount::default()
    };
    for c in spec
        .init_containers
        .iter_mut()
        .flatten()
        .chain(spec.containers.iter_mut())
    {
        if needs_mount(c) {
            c.volume_mounts
                .get_or_insert_with(Vec::new)
                .push(mount.clone());
        }
    }
    if existing.is_none() {
        spec.volumes
            .get_or_insert_with(Vec::new)
            .push(token_volume(volume_name));
    }
}

/// `TokenVolumeSource`: a bound token, the cluster CA and the namespace, mode 0644.
pub fn token_volume(name: String) -> Volume {
    Volume {
        name,
        projected: Some(ProjectedVolumeSource {
            default_mode: Some(420),
            sources: Some(vec![
                VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        expiration_seconds: Some(TOKEN_EXPIRATION_SECONDS),
                        path: "token".to_owned(),
                        ..ServiceAccountTokenProjection::default()
                    }),
                    ..VolumeProjection::default()
                },
                VolumeProjection {
                    config_map: Some(ConfigMapProjection {
                        name: ROOT_CA_CONFIG_MAP.to_owned(),
                        items: Some(vec![KeyToPath {
                            key: "ca.crt".to_owned(),
                            path: "ca.crt".to_owned(),
                            mode: None,
                        }]),
                        optional: None,
                    }),
                    ..VolumeProjection::default()
                },
                VolumeProjection {
                    downward_api: Some(DownwardAPIProjection {
                        items: Some(vec![DownwardAPIVolumeFile {
                            path: "namespace".to_owned(),
                            field_ref: Some(ObjectFieldSelector {
                                api_version: Some("v1".to_owned()),
                                field_path: "metadata.namespace".to_owned(),
                            }),
                            ..DownwardAPIVolumeFile::default()
                        }]),
                    }),
                    ..VolumeProjection::default()
                },
            ]),
        }),
        ..Volume::default()
    }
}
