//! The default cluster, shaped like a fresh kubeadm install: a tainted `controlplane` node and
//! two workers, the four standard namespaces, the `kubernetes` and `kube-dns` Services,
//! control-plane mirror pods, CoreDNS and kube-proxy.

use crate::api::ApiServer;
use crate::errors::ApiError;
use crate::objects::Object;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Service, ServiceAccount};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Kubernetes version the simulated nodes report.
pub const KUBELET_VERSION: &str = "v1.32.4";

/// One node to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeConfig {
    pub name: String,
    pub control_plane: bool,
    /// Allocatable CPU (a quantity, e.g. `2`).
    pub cpu: String,
    /// Allocatable memory (a quantity, e.g. `3927796Ki`).
    pub memory: String,
    pub pods: u32,
}

impl NodeConfig {
    pub fn worker(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            control_plane: false,
            cpu: "2".to_owned(),
            memory: "3927796Ki".to_owned(),
            pods: 110,
        }
    }
}

/// The shape of the cluster a simulation starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterConfig {
    pub nodes: Vec<NodeConfig>,
    /// Create CoreDNS, kube-proxy and the control-plane mirror pods.
    pub system_workloads: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            nodes: vec![
                NodeConfig {
                    control_plane: true,
                    ..NodeConfig::worker("controlplane")
                },
                NodeConfig::worker("node01"),
                NodeConfig::worker("node02"),
            ],
            system_workloads: true,
        }
    }
}

/// Through the same deserializer as `Object::from_json` (`serde_json::from_value`): another
/// one (`serde_path_to_error`, `from_str`) would compile a second copy of each kind's
/// `Deserialize` (PodSpec, Volume, NodeStatus...) into the cluster worker's wasm.
fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// A Node object as a kubeadm kubelet would register it. `index` picks its IP and pod CIDR.
pub fn node_object(config: &NodeConfig, index: u32) -> Result<Node, ApiError> {
    let mut labels = json!({
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": config.name,
        "kubernetes.io/os": "linux",
    });
    let taints = if config.control_plane {
        labels["node-role.kubernetes.io/control-plane"] = json!("");
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = json!("");
        json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])
    } else {
        serde_json::Value::Null
    };
    let ip = format!("192.168.0.{}", 10 + index);
    let condition = |type_: &str, status: &str, reason: &str, message: &str| {
        json!({"type": type_, "status": status, "reason": reason, "message": message,
               "lastHeartbeatTime": "2026-01-01T00:00:00Z",
               "lastTransitionTime": "2026-01-01T00:00:00Z"})
    };
    let resources = json!({
        "cpu": config.cpu, "memory": config.memory, "pods": config.pods.to_string(),
        "ephemeral-storage": "19586931083", "hugepages-2Mi": "0",
    });
    decode(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": config.name,
            "labels": labels,
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {
            "podCIDR": format!("10.244.{index}.0/24"),
            "podCIDRs": [format!("10.244.{index}.0/24")],
            "taints": taints,
        },
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": config.name},
            ],
            "allocatable": resources,
            "capacity": resources,
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": format!("00000000-0000-4000-8000-{:012x}", index + 1),
                "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": "6.8.0-51-generic",
                "kubeProxyVersion": KUBELET_VERSION,
                "kubeletVersion": KUBELET_VERSION,
                "machineID": format!("{:032x}", index + 1),
                "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04.1 LTS",
                "systemUUID": format!("{:08x}-0000-4000-8000-000000000000", index + 1),
            },
        },
    }))
}

/// The first flags of kubeadm's static-pod command lines.
fn component_command(component: &str, ip: &str) -> Vec<String> {
    let flags: Vec<String> = match component {
        "etcd" => vec![
            format!("--advertise-client-urls=https://{ip}:2379"),
            "--data-dir=/var/lib/etcd".to_owned(),
            format!("--listen-client-urls=https://127.0.0.1:2379,https://{ip}:2379"),
            "--name=controlplane".to_owned(),
        ],
        "kube-apiserver" => vec![
            format!("--advertise-address={ip}"),
            "--authorization-mode=Node,RBAC".to_owned(),
            "--etcd-servers=https://127.0.0.1:2379".to_owned(),
            "--secure-port=6443".to_owned(),
            "--service-cluster-ip-range=10.96.0.0/12".to_owned(),
        ],
        "kube-controller-manager" => vec![
            "--allocate-node-cidrs=true".to_owned(),
            "--cluster-cidr=10.244.0.0/16".to_owned(),
            "--kubeconfig=/etc/kubernetes/controller-manager.conf".to_owned(),
            "--leader-elect=true".to_owned(),
        ],
        _ => vec![
            "--kubeconfig=/etc/kubernetes/scheduler.conf".to_owned(),
            "--leader-elect=true".to_owned(),
        ],
    };
    std::iter::once(component.to_owned()).chain(flags).collect()
}

fn mirror_pod(
    component: &str,
    image: &str,
    node: &str,
    ip: &str,
    cpu: &str,
) -> Result<Pod, ApiError> {
    decode(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": format!("{component}-{node}"),
            "namespace": "kube-system",
            "labels": {"component": component, "tier": "control-plane"},
            "annotations": {
                "kubernetes.io/config.source": "file",
                "kubernetes.io/config.mirror": "static",
            },
        },
        "spec": {
            "nodeName": node,
            "hostNetwork": true,
            "priorityClassName": "system-node-critical",
            "priority": 2000001000,
            "containers": [{
                "name": component,
                "image": image,
                "command": component_command(component, ip),
                "resources": {"requests": {"cpu": cpu}},
            }],
            "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
        },
        "status": {"phase": "Pending", "hostIP": ip},
    }))
}

/// Creates the default objects through the API layer (controllers then do the rest). The RBAC
/// policy comes last, so the objects before it keep their resourceVersions.
/// `default/kubernetes`: the Service the apiserver keeps for itself (10.96.0.1:443).
pub fn kubernetes_service() -> Result<Object, ApiError> {
    let service: Service = decode(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1",
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
    }))?;
    Ok(Object::Service(Box::new(service)))
}

/// The apiserver's own endpoints behind `default/kubernetes` (its lease reconciler's).
pub fn kubernetes_endpoints(ip: &str) -> Result<Object, ApiError> {
    Ok(Object::Endpoints(decode(json!({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": ip}],
                     "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}],
    }))?))
}

pub fn bootstrap(api: &mut ApiServer, config: &ClusterConfig) -> Result<(), ApiError> {
    bootstrap_objects(api, config)?;
    // The apiserver's own system PriorityClasses and the RBAC bootstrap policy, last and with
    // uids of their own streams, so every object above keeps its uid and resourceVersion.
    for pc in crate::priority::system_priority_classes() {
        api.create_system_priority_class(pc)?;
    }
    crate::rbac::bootstrap(api)
}

fn bootstrap_objects(api: &mut ApiServer, config: &ClusterConfig) -> Result<(), ApiError> {
    for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
        let mut n = Namespace::default();
        n.metadata.name = Some(ns.to_owned());
        api.create(Object::Namespace(Box::new(n)))?;
    }
    for (i, node) in config.nodes.iter().enumerate() {
        api.create(Object::Node(Box::new(node_object(node, i as u32)?)))?;
    }
    api.create(kubernetes_service()?)?;
    let cp_ip = config
        .nodes
        .iter()
        .position(|n| n.control_plane)
        .map(|i| format!("192.168.0.{}", 10 + i));
    if let Some(ip) = &cp_ip {
        api.create(kubernetes_endpoints(ip)?)?;
    }
    if !config.system_workloads {
        return Ok(());
    }
    if let (Some(ip), Some(cp)) = (&cp_ip, config.nodes.iter().find(|n| n.control_plane)) {
        for (component, image, cpu) in [
            ("etcd", "registry.k8s.io/etcd:3.5.16-0", "100m"),
            (
                "kube-apiserver",
                "registry.k8s.io/kube-apiserver:v1.32.4",
                "250m",
            ),
            (
                "kube-controller-manager",
                "registry.k8s.io/kube-controller-manager:v1.32.4",
                "200m",
            ),
            (
                "kube-scheduler",
                "registry.k8s.io/kube-scheduler:v1.32.4",
                "100m",
            ),
        ] {
            api.create(Object::Pod(Box::new(mirror_pod(
                component, image, &cp.name, ip, cpu,
            )?)))?;
        }
    }
    // kubeadm's addons run as their own ServiceAccounts; admission refuses pods naming a
    // missing one.
    for account in ["coredns", "kube-proxy"] {
        let mut sa = ServiceAccount::default();
        sa.metadata.name = Some(account.to_owned());
        sa.metadata.namespace = Some("kube-system".to_owned());
        api.create(Object::ServiceAccount(Box::new(sa)))?;
    }
    let kube_dns: Service = decode(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                "kubernetes.io/name": "CoreDNS"}},
        "spec": {"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"},
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                           {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]},
    }))?;
    api.create(Object::Service(Box::new(kube_dns)))?;
    let coredns: Deployment = decode(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"k8s-app": "kube-dns"}},
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": "coredns",
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [
                        {"key": "CriticalAddonsOnly", "operator": "Exists"},
                        {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},
                    ],
                    "containers": [{
                        "name": "coredns",
                        "image": "registry.k8s.io/coredns/coredns:v1.11.3",
                        "args": ["-conf", "/etc/coredns/Corefile"],
                        "ports": [
                            {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                            {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                            {"containerPort": 9153, "name": "metrics", "protocol": "TCP"},
                        ],
                        "resources": {"limits": {"memory": "170Mi"},
                                      "requests": {"cpu": "100m", "memory": "70Mi"}},
                    }],
                    "dnsPolicy": "Default",
                },
            },
        },
    }))?;
    api.create(Object::Deployment(Box::new(coredns)))?;
    let kube_proxy: DaemonSet = decode(json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": {"k8s-app": "kube-proxy"}},
        "spec": {
            "selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
            "template": {
                "metadata": {"labels": {"k8s-app": "kube-proxy"}},
                "spec": {
                    "hostNetwork": true,
                    "priorityClassName": "system-node-critical",
                    "serviceAccountName": "kube-proxy",
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [{
                        "name": "kube-proxy",
                        "image": "registry.k8s.io/kube-proxy:v1.32.4",
                        "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                                    "--hostname-override=$(NODE_NAME)"],
                    }],
                },
            },
        },
    }))?;
    api.create(Object::DaemonSet(Box::new(kube_proxy)))?;
    Ok(())
}
