//! The kubelet's side of the `tidepool-container` contract: the [`Host`] containers see
//! (virtual time, cluster DNS, HTTP/TCP routed to Services and pods), container environments
//! (`env`, `valueFrom`, service links) and pod volumes (emptyDir, configMap, secret, the
//! service-account projection).

use super::{ContainerRt, PodRt};
use crate::admission;
use crate::api::ApiServer;
use crate::clock::VirtualTime;
use crate::objects::{Kind, Object, ObjectKey};
use crate::token;
use k8s_openapi::api::core::v1::{Container, KeyToPath, Pod, VolumeProjection};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use tidepool_container::{
    Fs, Host, HttpRequest, HttpResponse, Millis, Mount, NetError, Output, Stream, Volumes,
};

/// What a running container can reach: the API's Services and Endpoints, and the other pods'
/// processes (the pod being reconciled is out of `pods` while it runs).
pub(super) struct KubeletHost<'a> {
    pub(super) api: &'a ApiServer,
    pub(super) pods: &'a mut super::table::PodTable,
    pub(super) now: VirtualTime,
    /// Round-robin cursor for Service endpoints.
    pub(super) cursor: &'a mut u64,
    /// The calling pod's IP (client IP in access logs).
    pub(super) client_ip: Ipv4Addr,
    /// The calling pod's other containers (the pod is out of `pods` while one of its
    /// containers runs): they answer on `localhost` and the pod IP.
    pub(super) peers: PodPeers<'a>,
}

/// A pod's containers other than the one running, and the pod's IP; empty for callers that
/// are not a pod's container (probes, node shells).
pub(super) struct PodPeers<'a> {
    pub(super) ip: Option<Ipv4Addr>,
    pub(super) before: &'a mut [ContainerRt],
    pub(super) after: &'a mut [ContainerRt],
}

impl<'a> PodPeers<'a> {
    pub(super) fn none() -> PodPeers<'a> {
        PodPeers {
            ip: None,
            before: &mut [],
            after: &mut [],
        }
    }

    /// The containers of `containers` other than the one at `index`, which runs.
    pub(super) fn around(
        ip: &str,
        containers: &'a mut [ContainerRt],
        index: usize,
    ) -> (&'a mut ContainerRt, PodPeers<'a>) {
        let (before, rest) = containers.split_at_mut(index);
        let (running, after) = rest
            .split_first_mut()
            .expect("index is within the pod's containers");
        let peers = PodPeers {
            ip: ip.parse().ok(),
            before,
            after,
        };
        (running, peers)
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut ContainerRt> {
        self.before.iter_mut().chain(self.after.iter_mut())
    }
}

/// Serves `request` from the first of `containers` listening on `port`, as that container
/// (its root, the pod's `volumes`, its mounts); the access-log line goes to its log.
fn serve_from<'c>(
    containers: impl Iterator<Item = &'c mut ContainerRt>,
    volumes: &mut Volumes,
    port: u16,
    request: &HttpRequest,
    at: VirtualTime,
) -> Result<HttpResponse, NetError> {
    for c in containers {
        let (Some(p), image) = (c.process.as_mut(), c.image) else {
            continue;
        };
        if !p.listens_on(port) {
            continue;
        }
        let mut out = Output::default();
        let fs = tidepool_container::MountedFs::new(&mut c.fs, volumes, &c.mounts, image);
        let response = p.serve_http(&fs, at.as_millis(), port, request, &mut out);
        super::push_output(c, at, &out);
        return response.ok_or(NetError::Refused);
    }
    Err(NetError::Refused)
}

fn services(api: &ApiServer) -> impl Iterator<Item = &k8s_openapi::api::core::v1::Service> {
    api.store()
        .list(Kind::Service, None)
        .filter_map(Object::as_service)
}

impl KubeletHost<'_> {
    /// Ready endpoint IPs and target port of the Service with this ClusterIP and port.
    fn service_backend(&self, ip: Ipv4Addr, port: u16) -> Option<(Vec<Ipv4Addr>, u16)> {
        let text = ip.to_string();
        let node_port = self.node_ips().contains(&ip);
        let svc = services(self.api).find(|s| {
            let spec = s.spec.as_ref();
            if node_port {
                spec.and_then(|s| s.ports.as_ref())
                    .is_some_and(|ps| ps.iter().any(|p| p.node_port == Some(i32::from(port))))
            } else {
                spec.and_then(|s| s.cluster_ip.as_deref()) == Some(text.as_str())
            }
        })?;
        let ports = svc.spec.as_ref()?.ports.clone().unwrap_or_default();
        let sp = ports.iter().find(|p| {
            if node_port {
                p.node_port == Some(i32::from(port))
            } else {
                p.port == i32::from(port)
            }
        })?;
        let ns = svc.metadata.namespace.as_deref().unwrap_or("default");
        let name = svc.metadata.name.as_deref().unwrap_or("");
        let ep = self
            .api
            .store()
            .get(&ObjectKey::new(Kind::Endpoints, ns, name))
            .and_then(Object::as_endpoints)?;
        let mut ips = Vec::new();
        let mut target = None;
        for subset in ep.subsets.iter().flatten() {
            for p in subset.ports.iter().flatten() {
                if p.name == sp.name || subset.ports.as_ref().is_some_and(|v| v.len() == 1) {
                    target = u16::try_from(p.port).ok();
                }
            }
            for a in subset.addresses.iter().flatten() {
                if let Ok(ip) = a.ip.parse() {
                    ips.push(ip);
                }
            }
        }
        Some((ips, target.unwrap_or(port)))
    }

    fn node_ips(&self) -> Vec<Ipv4Addr> {
        self.api
            .store()
            .list(Kind::Node, None)
            .filter_map(Object::as_node)
            .filter_map(|n| n.status.as_ref()?.addresses.as_ref())
            .flatten()
            .filter(|a| a.type_ == "InternalIP")
            .filter_map(|a| a.address.parse().ok())
            .collect()
    }

    /// NetworkPolicy: a TCP connection from this host's caller to `ip:port` (already past
    /// Service NAT) that no policy allows is dropped, so the client waits until it times out.
    fn policy_allows(&self, ip: Ipv4Addr, port: u16) -> Result<(), NetError> {
        if crate::networking::connection_allowed(self.api.store(), self.client_ip, ip, port, "TCP")
        {
            Ok(())
        } else {
            Err(NetError::TimedOut)
        }
    }

    /// Resolves a Service IP (or NodePort) to one ready endpoint, round-robin.
    fn route_service(&mut self, ip: Ipv4Addr, port: u16) -> Result<(Ipv4Addr, u16), NetError> {
        match self.service_backend(ip, port) {
            Some((ips, _)) if ips.is_empty() => Err(NetError::Refused),
            Some((ips, target)) => {
                *self.cursor = self.cursor.wrapping_add(1);
                let pick = ips[(*self.cursor % ips.len() as u64) as usize];
                Ok((pick, target))
            }
            None => Ok((ip, port)),
        }
    }
}

impl Host for KubeletHost<'_> {
    fn now(&self) -> Millis {
        self.now.as_millis()
    }

    fn lookup(&mut self, fqdn: &str) -> Vec<Ipv4Addr> {
        if !crate::networking::dns_reachable(self.api.store(), self.client_ip) {
            // The query never reaches CoreDNS (a NetworkPolicy drops it).
            return Vec::new();
        }
        let name = fqdn.trim_end_matches('.');
        let parts: Vec<&str> = name.split('.').collect();
        match parts.as_slice() {
            [svc, ns, "svc", "cluster", "local"] => services(self.api)
                .filter(|s| {
                    s.metadata.name.as_deref() == Some(*svc)
                        && s.metadata.namespace.as_deref() == Some(*ns)
                })
                .filter_map(|s| s.spec.as_ref()?.cluster_ip.as_deref()?.parse().ok())
                .collect(),
            [dashed, _ns, "pod", "cluster", "local"] => dashed
                .replace('-', ".")
                .parse()
                .map(|ip| vec![ip])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn dns_reachable(&mut self) -> bool {
        crate::networking::dns_reachable(self.api.store(), self.client_ip)
    }

    fn reverse_lookup(&mut self, ip: Ipv4Addr) -> Option<String> {
        let text = ip.to_string();
        services(self.api)
            .find(|s| s.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some(&text))
            .map(|s| {
                format!(
                    "{}.{}.svc.cluster.local",
                    s.metadata.name.as_deref().unwrap_or(""),
                    s.metadata.namespace.as_deref().unwrap_or("")
                )
            })
    }

    fn http(
        &mut self,
        ip: Ipv4Addr,
        port: u16,
        request: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        let (ip, port) = self.route_service(ip, port)?;
        self.policy_allows(ip, port)?;
        let text = ip.to_string();
        let at = self.now;
        let client = self.client_ip;
        let rt = self
            .pods
            .find_by_ip_mut(&text)
            .ok_or(NetError::Unreachable)?;
        let mut request = request.clone();
        request.client_ip = client;
        let PodRt { app, volumes, .. } = rt;
        serve_from(app.iter_mut(), volumes, port, &request, at)
    }

    fn pod_ip(&self) -> Option<Ipv4Addr> {
        self.peers.ip
    }

    fn route(&mut self, ip: Ipv4Addr, port: u16) -> Result<(Ipv4Addr, u16), NetError> {
        self.route_service(ip, port)
    }

    fn http_from(
        &mut self,
        fs: &mut tidepool_container::MountedFs<'_>,
        ip: Ipv4Addr,
        port: u16,
        request: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        let (ip, port) = if ip.is_loopback() {
            (ip, port)
        } else {
            self.route_service(ip, port)?
        };
        if self.peers.ip.is_some() && (ip.is_loopback() || Some(ip) == self.peers.ip) {
            let mut request = request.clone();
            request.client_ip = if ip.is_loopback() { ip } else { self.client_ip };
            let at = self.now;
            return serve_from(self.peers.iter_mut(), fs.volumes, port, &request, at);
        }
        if ip.is_loopback() {
            // Not a pod's container (or nothing beside it): nothing listens there.
            return Err(NetError::Refused);
        }
        self.http(ip, port, request)
    }

    fn tcp_connect(&mut self, ip: Ipv4Addr, port: u16) -> Result<(), NetError> {
        let (ip, port) = if ip.is_loopback() {
            (ip, port)
        } else {
            self.route_service(ip, port)?
        };
        if self.peers.ip.is_some() && (ip.is_loopback() || Some(ip) == self.peers.ip) {
            let listens = self
                .peers
                .iter_mut()
                .any(|c| c.process.as_ref().is_some_and(|p| p.listens_on(port)));
            return if listens {
                Ok(())
            } else {
                Err(NetError::Refused)
            };
        }
        self.policy_allows(ip, port)?;
        let text = ip.to_string();
        let rt = self
            .pods
            .iter()
            .find(|p| p.ip.as_deref() == Some(text.as_str()))
            .ok_or(NetError::Unreachable)?;
        if rt
            .app
            .iter()
            .any(|c| c.process.as_ref().is_some_and(|p| p.listens_on(port)))
        {
            Ok(())
        } else {
            Err(NetError::Refused)
        }
    }
}

/// The container's environment as the kubelet builds it: `env` (values and `valueFrom`
/// field/configMap/secret references), `envFrom` configMaps, then the service links of the
/// pod's namespace and `kubernetes`.
pub fn container_env(
    api: &ApiServer,
    pod: &Pod,
    c: &Container,
    pod_ip: &str,
) -> Vec<(String, String)> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let config_map = |name: &str| {
        api.store()
            .get(&ObjectKey::new(Kind::ConfigMap, ns, name))
            .and_then(Object::as_config_map)
            .and_then(|cm| cm.data.clone())
            .unwrap_or_default()
    };
    let secret = |name: &str| -> BTreeMap<String, String> {
        api.store()
            .get(&ObjectKey::new(Kind::Secret, ns, name))
            .and_then(Object::as_secret)
            .map(|s| {
                let mut out: BTreeMap<String, String> = s
                    .data
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned()))
                    .collect();
                for (k, v) in s.string_data.iter().flatten() {
                    out.insert(k.clone(), v.clone());
                }
                out
            })
            .unwrap_or_default()
    };
    let mut env: Vec<(String, String)> = Vec::new();
    for from in c.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        if let Some(r) = &from.config_map_ref {
            for (k, v) in config_map(&r.name) {
                env.push((format!("{prefix}{k}"), v));
            }
        }
        if let Some(r) = &from.secret_ref {
            for (k, v) in secret(&r.name) {
                env.push((format!("{prefix}{k}"), v));
            }
        }
    }
    for var in c.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(v), _) => v.clone(),
            (None, Some(from)) => {
                if let Some(f) = &from.field_ref {
                    match f.field_path.as_str() {
                        "metadata.name" => pod.metadata.name.clone().unwrap_or_default(),
                        "metadata.namespace" => ns.to_owned(),
                        "metadata.uid" => pod.metadata.uid.clone().unwrap_or_default(),
                        "spec.nodeName" => pod
                            .spec
                            .as_ref()
                            .and_then(|s| s.node_name.clone())
                            .unwrap_or_default(),
                        "spec.serviceAccountName" => pod
                            .spec
                            .as_ref()
                            .and_then(|s| s.service_account_name.clone())
                            .unwrap_or_default(),
                        "status.podIP" => pod_ip.to_owned(),
                        path if path.starts_with("metadata.annotations['")
                            || path.starts_with("metadata.labels['") =>
                        {
                            downward_map_entry(pod, path).unwrap_or_default()
                        }
                        "status.hostIP" => pod
                            .status
                            .as_ref()
                            .and_then(|s| s.host_ip.clone())
                            .unwrap_or_default(),
                        _ => String::new(),
                    }
                } else if let Some(r) = &from.config_map_key_ref {
                    config_map(&r.name).get(&r.key).cloned().unwrap_or_default()
                } else if let Some(r) = &from.secret_key_ref {
                    secret(&r.name).get(&r.key).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
            (None, None) => String::new(),
        };
        env.push((var.name.clone(), value));
    }
    let links = pod
        .spec
        .as_ref()
        .and_then(|s| s.enable_service_links)
        .unwrap_or(true);
    for svc in services(api) {
        let svc_ns = svc.metadata.namespace.as_deref().unwrap_or("");
        let name = svc.metadata.name.as_deref().unwrap_or("");
        let is_master = svc_ns == "default" && name == "kubernetes";
        if !(is_master || (links && svc_ns == ns)) {
            continue;
        }
        let Some(spec) = svc.spec.as_ref() else {
            continue;
        };
        let Some(ip) = spec.cluster_ip.as_deref().filter(|ip| *ip != "None") else {
            continue;
        };
        let upper = name.to_ascii_uppercase().replace('-', "_");
        let ports = spec.ports.clone().unwrap_or_default();
        env.push((format!("{upper}_SERVICE_HOST"), ip.to_owned()));
        for p in &ports {
            match &p.name {
                Some(n) if !n.is_empty() && ports.len() > 1 || is_master => env.push((
                    format!(
                        "{upper}_SERVICE_PORT_{}",
                        n.to_ascii_uppercase().replace('-', "_")
                    ),
                    p.port.to_string(),
                )),
                _ => {}
            }
        }
        if let Some(first) = ports.first() {
            let proto = first
                .protocol
                .as_deref()
                .unwrap_or("TCP")
                .to_ascii_lowercase();
            env.push((format!("{upper}_SERVICE_PORT"), first.port.to_string()));
            env.push((
                format!("{upper}_PORT"),
                format!("{proto}://{ip}:{}", first.port),
            ));
        }
        for p in &ports {
            let proto = p.protocol.as_deref().unwrap_or("TCP");
            let base = format!("{upper}_PORT_{}_{proto}", p.port);
            env.push((
                base.clone(),
                format!("{}://{ip}:{}", proto.to_ascii_lowercase(), p.port),
            ));
            env.push((format!("{base}_PROTO"), proto.to_ascii_lowercase()));
            env.push((format!("{base}_PORT"), p.port.to_string()));
            env.push((format!("{base}_ADDR"), ip.to_owned()));
        }
    }
    env
}

/// The pod's volumes: emptyDir, configMap, secret, downwardAPI and projected (the ServiceAccount admission
/// plugin's `kube-api-access-xxxxx` among them). `service_account_bases` keeps, per namespace,
/// that standard projection's files all its pods share (`ca.crt`, `namespace`); each pod's
/// volume adds only its own token.
pub fn pod_volumes(
    api: &ApiServer,
    pod: &Pod,
    service_account_bases: &mut BTreeMap<String, Fs>,
) -> Volumes {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let mut volumes = Volumes::default();
    for v in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
        let fs = if let Some(cm) = &v.config_map {
            let data = config_map_data(api, ns, &cm.name);
            Fs::from_files(data.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        } else if let Some(sec) = &v.secret {
            let data = secret_data(api, ns, sec.secret_name.as_deref().unwrap_or(""));
            Fs::from_files(data.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        } else if let Some(downward) = &v.downward_api {
            let files: Vec<(String, String)> = downward
                .items
                .iter()
                .flatten()
                .filter_map(|item| {
                    let field = item.field_ref.as_ref()?;
                    Some((item.path.clone(), downward_file(pod, &field.field_path)))
                })
                .collect();
            Fs::from_files(files.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        } else if let Some(projected) = &v.projected {
            let sources = projected.sources.as_deref().unwrap_or_default();
            if is_token_projection(sources) {
                let base = match service_account_bases.get(ns) {
                    Some(base) => base.clone(),
                    None => {
                        let mut base = project(api, pod, sources, false);
                        base.freeze();
                        // Cached only once the CA is published, so a pod started before the
                        // root-ca-cert-publisher ran does not leave an empty ca.crt behind.
                        if base.read("/ca.crt").is_ok_and(|c| !c.is_empty()) {
                            service_account_bases.insert(ns.to_owned(), base.clone());
                        }
                        base
                    }
                };
                let mut fs = base;
                let _ = fs.write("/token", &pod_token(api, pod), false);
                fs
            } else {
                project(api, pod, sources, true)
            }
        } else {
            Fs::default()
        };
        volumes.insert(&v.name, fs);
    }
    volumes
}

/// The pod's volumes that live outside the pod: `(volume, node, path)` for hostPath volumes
/// and for claims bound to hostPath or local PersistentVolumes (on `node`), and
/// `(volume, "", "pv/<name>")` for other PersistentVolumes (network storage every node sees).
pub fn host_backed_volumes(
    api: &ApiServer,
    pod: &Pod,
    node: &str,
) -> Vec<(String, String, String)> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let store = api.store();
    let mut out = Vec::new();
    for v in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
        if let Some(host_path) = &v.host_path {
            out.push((v.name.clone(), node.to_owned(), host_path.path.clone()));
            continue;
        }
        let Some(claim) = &v.persistent_volume_claim else {
            continue;
        };
        let pvc = store
            .get(&ObjectKey::new(
                Kind::PersistentVolumeClaim,
                ns,
                &claim.claim_name,
            ))
            .and_then(Object::as_persistent_volume_claim);
        let Some(pv) = pvc.and_then(|pvc| crate::storage::bound_volume(store, pvc)) else {
            continue;
        };
        let spec = pv.spec.as_ref();
        let local = spec
            .and_then(|s| s.host_path.as_ref().map(|h| h.path.clone()))
            .or_else(|| spec.and_then(|s| s.local.as_ref().map(|l| l.path.clone())));
        match local {
            Some(path) => out.push((v.name.clone(), node.to_owned(), path)),
            None => out.push((
                v.name.clone(),
                String::new(),
                format!("pv/{}", pv.metadata.name.as_deref().unwrap_or("")),
            )),
        }
    }
    out
}

fn config_map_data(api: &ApiServer, ns: &str, name: &str) -> BTreeMap<String, String> {
    api.store()
        .get(&ObjectKey::new(Kind::ConfigMap, ns, name))
        .and_then(Object::as_config_map)
        .and_then(|c| c.data.clone())
        .unwrap_or_default()
}

fn secret_data(api: &ApiServer, ns: &str, name: &str) -> BTreeMap<String, String> {
    api.store()
        .get(&ObjectKey::new(Kind::Secret, ns, name))
        .and_then(Object::as_secret)
        .and_then(|s| s.data.as_ref())
        .map(|data| {
            data.iter()
                .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether these are exactly the admission plugin's sources (token, root CA, namespace), whose
/// files other than the token are the same for every pod of a namespace.
fn is_token_projection(sources: &[VolumeProjection]) -> bool {
    sources.len() == 3
        && sources.iter().all(|s| {
            s.secret.is_none()
                && s.cluster_trust_bundle.is_none()
                && s.config_map
                    .as_ref()
                    .is_none_or(|c| c.name == admission::ROOT_CA_CONFIG_MAP)
                && s.downward_api.as_ref().is_none_or(|d| {
                    d.items.iter().flatten().all(|i| {
                        i.field_ref
                            .as_ref()
                            .is_some_and(|f| f.field_path == "metadata.namespace")
                    })
                })
        })
        && sources.iter().any(|s| s.service_account_token.is_some())
}

/// A projected volume's files; the token only when `with_token`.
fn project(api: &ApiServer, pod: &Pod, sources: &[VolumeProjection], with_token: bool) -> Fs {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let mut files: Vec<(String, String)> = Vec::new();
    let pick = |files: &mut Vec<(String, String)>,
                data: BTreeMap<String, String>,
                items: Option<&Vec<KeyToPath>>| match items {
        Some(items) => files.extend(
            items
                .iter()
                .filter_map(|i| Some((i.path.clone(), data.get(&i.key)?.clone()))),
        ),
        None => files.extend(data),
    };
    for source in sources {
        if let Some(cm) = &source.config_map {
            pick(
                &mut files,
                config_map_data(api, ns, &cm.name),
                cm.items.as_ref(),
            );
        }
        if let Some(secret) = &source.secret {
            pick(
                &mut files,
                secret_data(api, ns, &secret.name),
                secret.items.as_ref(),
            );
        }
        if let Some(downward) = &source.downward_api {
            for item in downward.items.iter().flatten() {
                if let Some(field) = &item.field_ref {
                    files.push((item.path.clone(), downward_file(pod, &field.field_path)));
                }
            }
        }
        if with_token && let Some(token) = &source.service_account_token {
            files.push((token.path.clone(), pod_token(api, pod)));
        }
        if !with_token && let Some(token) = &source.service_account_token {
            // Present in the shared base so each pod's copy only replaces the contents.
            files.push((token.path.clone(), String::new()));
        }
    }
    Fs::from_files(files.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// A downwardAPI volume file's contents: labels and annotations as `key="value"` lines.
fn downward_file(pod: &Pod, field_path: &str) -> String {
    let map_file = |map: Option<&BTreeMap<String, String>>| {
        map.into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match field_path {
        "metadata.name" => pod.metadata.name.clone().unwrap_or_default(),
        "metadata.namespace" => pod.metadata.namespace.clone().unwrap_or_default(),
        "metadata.uid" => pod.metadata.uid.clone().unwrap_or_default(),
        "metadata.labels" => map_file(pod.metadata.labels.as_ref()),
        "metadata.annotations" => map_file(pod.metadata.annotations.as_ref()),
        path => downward_map_entry(pod, path).unwrap_or_default(),
    }
}

/// The pod's bound token, issued when its volume is set up.
fn pod_token(api: &ApiServer, pod: &Pod) -> String {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let account = pod
        .spec
        .as_ref()
        .and_then(|s| s.service_account_name.as_deref())
        .unwrap_or("default");
    let account_uid = api
        .store()
        .get(&ObjectKey::new(Kind::ServiceAccount, ns, account))
        .and_then(|o| o.meta().uid.as_deref())
        .unwrap_or("");
    token::issue(
        api.seed(),
        api.now(),
        &token::TokenRequest {
            namespace: ns,
            service_account: account,
            service_account_uid: account_uid,
            pod: Some((
                pod.metadata.name.as_deref().unwrap_or(""),
                pod.metadata.uid.as_deref().unwrap_or(""),
            )),
            expiration_seconds: admission::TOKEN_EXPIRATION_SECONDS,
        },
    )
}

/// A container's mounts, from its volumeMounts (the API access volume among them).
pub fn mounts(c: &Container) -> Vec<Mount> {
    c.volume_mounts
        .iter()
        .flatten()
        .map(|m| {
            let mount = Mount::new(&m.name, &m.mount_path);
            if m.read_only == Some(true) {
                mount.read_only()
            } else {
                mount
            }
        })
        .collect()
}

/// Splits output chunks into log lines, keeping a trailing partial line for the next run.
pub fn split_lines(partial: &mut String, out: &Output) -> Vec<String> {
    let mut lines = Vec::new();
    for (stream, text) in &out.chunks {
        let _ = matches!(stream, Stream::Stdout);
        partial.push_str(text);
        while let Some(i) = partial.find('\n') {
            let line: String = partial.drain(..=i).collect();
            lines.push(line.trim_end_matches('\n').to_owned());
        }
    }
    lines
}

/// `metadata.annotations['KEY']` / `metadata.labels['KEY']` of the downward API.
fn downward_map_entry(pod: &Pod, path: &str) -> Option<String> {
    let (map, rest) = if let Some(rest) = path.strip_prefix("metadata.annotations['") {
        (pod.metadata.annotations.as_ref(), rest)
    } else {
        (
            pod.metadata.labels.as_ref(),
            path.strip_prefix("metadata.labels['")?,
        )
    };
    map?.get(rest.strip_suffix("']")?).cloned()
}
