//! Endpoints: for each Service with a selector, the IPs of matching pods (ready ones in
//! `addresses`, unready in `notReadyAddresses`), one subset with the Service's ports.

use super::{Action, Ctx, pod_is_ready};
use crate::objects::{Kind, Object, ObjectKey};
use crate::selector;
use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// Reconciles the Endpoints object of one Service (same namespace/name).
/// How often the apiserver's kubernetes-service controller checks `default/kubernetes`.
const KUBERNETES_SERVICE_INTERVAL_MS: u64 = 10_000;

pub fn reconcile(ctx: &mut Ctx<'_>, key: &ObjectKey) -> Action {
    if key.namespace == "default" && key.name == "kubernetes" {
        return repair_kubernetes_service(ctx);
    }
    let service = ctx
        .api
        .store()
        .get(&ObjectKey::new(Kind::Service, &key.namespace, &key.name))
        .and_then(Object::as_service)
        .cloned();
    let existing = ctx
        .api
        .store()
        .get(&ObjectKey::new(Kind::Endpoints, &key.namespace, &key.name))
        .cloned();
    let Some(service) = service else {
        if existing.is_some() {
            let _ = ctx.api.delete(
                Kind::Endpoints,
                &key.namespace,
                &key.name,
                &Default::default(),
            );
        }
        return Action::AwaitChange;
    };
    let spec = service.spec.clone().unwrap_or_default();
    let Some(sel) = spec.selector.clone().filter(|s| !s.is_empty()) else {
        // Selector-less services have hand-managed endpoints.
        return Action::AwaitChange;
    };
    let mut ready = Vec::new();
    let mut not_ready = Vec::new();
    let mut ports = Vec::new();
    for pod in ctx
        .api
        .store()
        .list(Kind::Pod, Some(&key.namespace))
        .filter_map(Object::as_pod)
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| selector::matches_map(&sel, &p.metadata.labels.clone().unwrap_or_default()))
    {
        let Some(ip) = pod.status.as_ref().and_then(|s| s.pod_ip.clone()) else {
            continue;
        };
        let address = EndpointAddress {
            ip,
            node_name: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            target_ref: Some(ObjectReference {
                kind: Some("Pod".to_owned()),
                name: pod.metadata.name.clone(),
                namespace: pod.metadata.namespace.clone(),
                uid: pod.metadata.uid.clone(),
                ..ObjectReference::default()
            }),
            hostname: None,
        };
        if ports.is_empty() {
            for sp in spec.ports.iter().flatten() {
                let port = match &sp.target_port {
                    Some(IntOrString::Int(p)) => *p,
                    Some(IntOrString::String(name)) => pod
                        .spec
                        .iter()
                        .flat_map(|s| s.containers.iter())
                        .flat_map(|c| c.ports.iter().flatten())
                        .find(|p| p.name.as_deref() == Some(name))
                        .map_or(0, |p| p.container_port),
                    None => sp.port,
                };
                if port > 0 {
                    ports.push(EndpointPort {
                        name: sp.name.clone(),
                        port,
                        protocol: sp.protocol.clone(),
                        app_protocol: None,
                    });
                }
            }
        }
        if pod_is_ready(pod) {
            ready.push(address);
        } else {
            not_ready.push(address);
        }
    }
    crate::stable_sort::sort_by(&mut ready, |a, b| a.ip.cmp(&b.ip));
    crate::stable_sort::sort_by(&mut not_ready, |a, b| a.ip.cmp(&b.ip));
    let subsets = if ready.is_empty() && not_ready.is_empty() {
        None
    } else {
        Some(vec![EndpointSubset {
            addresses: (!ready.is_empty()).then_some(ready),
            not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
            ports: (!ports.is_empty()).then_some(ports),
        }])
    };
    let mut endpoints = Endpoints {
        subsets,
        ..Endpoints::default()
    };
    endpoints.metadata.name = Some(key.name.clone());
    endpoints.metadata.namespace = Some(key.namespace.clone());
    endpoints.metadata.labels = service.metadata.labels;
    match existing {
        None => {
            let _ = ctx.api.create(Object::Endpoints(Box::new(endpoints)));
        }
        Some(Object::Endpoints(old)) => {
            if old.subsets != endpoints.subsets || old.metadata.labels != endpoints.metadata.labels
            {
                let mut new = old;
                new.subsets = endpoints.subsets;
                new.metadata.labels = endpoints.metadata.labels;
                new.metadata.resource_version = None;
                let _ = ctx.api.update(Object::Endpoints(new));
            }
        }
        Some(_) => {}
    }
    Action::AwaitChange
}

/// Stands for the apiserver's own controllers, which keep `default/kubernetes` and its
/// endpoints (the control plane's address, port 6443) in place: deleted, they are back at
/// its next 10-second pass. The endpoints controller leaves this selector-less Service alone.
fn repair_kubernetes_service(ctx: &mut Ctx<'_>) -> Action {
    let now = ctx.api.now().as_millis();
    let service_key = ObjectKey::new(Kind::Service, "default", "kubernetes");
    let endpoints_key = ObjectKey::new(Kind::Endpoints, "default", "kubernetes");
    let has_service = ctx.api.store().get(&service_key).is_some();
    let has_endpoints = ctx.api.store().get(&endpoints_key).is_some();
    if has_service && has_endpoints {
        return Action::AwaitChange;
    }
    let into_pass = now % KUBERNETES_SERVICE_INTERVAL_MS;
    if into_pass != 0 {
        return Action::RequeueAfter(std::time::Duration::from_millis(
            KUBERNETES_SERVICE_INTERVAL_MS - into_pass,
        ));
    }
    if !has_service && let Ok(service) = crate::cluster::kubernetes_service() {
        let _ = ctx.api.create(service);
    }
    let control_plane_ip = ctx
        .api
        .store()
        .list(Kind::Node, None)
        .filter_map(Object::as_node)
        .find(|n| {
            n.metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.contains_key("node-role.kubernetes.io/control-plane"))
        })
        .and_then(|n| {
            n.status
                .as_ref()?
                .addresses
                .as_ref()?
                .iter()
                .find(|a| a.type_ == "InternalIP")
                .map(|a| a.address.clone())
        });
    if !has_endpoints
        && let Some(ip) = control_plane_ip
        && let Ok(endpoints) = crate::cluster::kubernetes_endpoints(&ip)
    {
        let _ = ctx.api.create(endpoints);
    }
    Action::AwaitChange
}
