//! The kubelet's side of the `tidepool-container` contract: the [`Host`] containers see
//! (virtual time, cluster DNS, HTTP/TCP routed to Services and pods), container environments
//! (`env`, `valueFrom`, service links) and pod volumes (emptyDir, configMap, secret, the
//! service-account projection).

use super::PodRt;
use crate::api::ApiServer;
use crate::clock::VirtualTime;
use crate::objects::{Kind, Object, ObjectKey};
use k8s_openapi::api::core::v1::{Container, Pod};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use tidepool_container::{
    Fs, Host, HttpRequest, HttpResponse, Millis, Mount, NetError, Output, Stream, Volumes,
};

/// Where the service-account token is mounted in every container.
pub const SERVICE_ACCOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The volume name the kubelet uses for it.
pub const SERVICE_ACCOUNT_VOLUME: &str = "kube-api-access";

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

    /// Resolves a Service IP (or NodePort) to one ready endpoint, round-robin.
    fn route(&mut self, ip: Ipv4Addr, port: u16) -> Result<(Ipv4Addr, u16), NetError> {
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
        let (ip, port) = self.route(ip, port)?;
        let text = ip.to_string();
        let now = self.now.as_millis();
        let at = self.now;
        let client = self.client_ip;
        let rt = self
            .pods
            .find_by_ip_mut(&text)
            .ok_or(NetError::Unreachable)?;
        let mut request = request.clone();
        request.client_ip = client;
        let PodRt { app, volumes, .. } = rt;
        for c in app.iter_mut() {
            let (Some(p), image) = (c.process.as_mut(), c.image) else {
                continue;
            };
            if !p.listens_on(port) {
                continue;
            }
            let mut out = Output::default();
            let fs = tidepool_container::MountedFs::new(&mut c.fs, volumes, &c.mounts, image);
            let response = p.serve_http(&fs, now, port, &request, &mut out);
            super::push_output(c, at, &out);
            return response.ok_or(NetError::Refused);
        }
        Err(NetError::Refused)
    }

    fn tcp_connect(&mut self, ip: Ipv4Addr, port: u16) -> Result<(), NetError> {
        let (ip, port) = self.route(ip, port)?;
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

/// The pod's volumes: emptyDir, configMap, secret, and the service-account projection.
/// `service_account_bases` keeps, per namespace, the projection's files that all its pods share.
pub fn pod_volumes(
    api: &ApiServer,
    pod: &Pod,
    service_account_bases: &mut BTreeMap<String, Fs>,
) -> Volumes {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let mut volumes = Volumes::default();
    for v in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
        let fs = if let Some(cm) = &v.config_map {
            let data = api
                .store()
                .get(&ObjectKey::new(Kind::ConfigMap, ns, &cm.name))
                .and_then(Object::as_config_map)
                .and_then(|c| c.data.clone())
                .unwrap_or_default();
            Fs::from_files(data.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        } else if let Some(sec) = &v.secret {
            let data: Vec<(String, String)> = api
                .store()
                .get(&ObjectKey::new(
                    Kind::Secret,
                    ns,
                    sec.secret_name.as_deref().unwrap_or(""),
                ))
                .and_then(Object::as_secret)
                .and_then(|s| s.data.clone())
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
                .collect();
            Fs::from_files(data.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        } else {
            Fs::default()
        };
        volumes.insert(&v.name, fs);
    }
    let token = format!(
        "eyJhbGciOiJSUzI1NiIsImtpZCI6In{}",
        pod.metadata.uid.as_deref().unwrap_or("").replace('-', "")
    );
    let base = service_account_bases
        .entry(ns.to_owned())
        .or_insert_with(|| {
            let mut base = Fs::service_account_volume(ns, "", "-----BEGIN CERTIFICATE-----\n");
            base.freeze();
            base
        });
    let mut projection = base.clone();
    // The file exists (empty) in the base, so this only replaces its contents.
    let _ = projection.write("/token", &token, false);
    volumes.insert(SERVICE_ACCOUNT_VOLUME, projection);
    volumes
}

/// A container's mounts: its volumeMounts plus the service-account token.
pub fn mounts(pod: &Pod, c: &Container) -> Vec<Mount> {
    let mut out: Vec<Mount> = c
        .volume_mounts
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
        .collect();
    let automount = pod
        .spec
        .as_ref()
        .and_then(|s| s.automount_service_account_token)
        .unwrap_or(true);
    if automount && !out.iter().any(|m| m.mount_path == SERVICE_ACCOUNT_PATH) {
        out.push(Mount::new(SERVICE_ACCOUNT_VOLUME, SERVICE_ACCOUNT_PATH).read_only());
    }
    out
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
