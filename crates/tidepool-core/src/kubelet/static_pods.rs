//! Static pods: each node's `/etc/kubernetes/manifests` folder, kept in the simulation, and the
//! mirror pods the kubelet creates for the pods it finds there. A mirror pod is named
//! `<name>-<node>`, carries the `kubernetes.io/config.*` annotations and an owner reference
//! to its Node, comes back when deleted through the API, and goes away with its file.

use super::Kubelet;
use crate::api::{ApiServer, DeleteOptions};
use crate::naming;
use crate::objects::{Kind, Object, ObjectKey};
use std::collections::BTreeSet;

/// The kubelet's `staticPodPath`.
pub const MANIFEST_DIR: &str = "/etc/kubernetes/manifests";

/// Manifest files larger than this are ignored (the folder is user-editable).
const MAX_MANIFEST_BYTES: usize = 256 * 1024;

impl Kubelet {
    /// The files in a node's manifest folder, by name.
    pub fn manifests(&self, node: &str) -> Vec<(String, String)> {
        self.manifests
            .get(node)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// Writes (or replaces) a manifest file. Returns whether anything changed.
    pub fn write_manifest(&mut self, node: &str, file: &str, text: &str) -> bool {
        let files = self.manifests.entry(node.to_owned()).or_default();
        if files.get(file).map(String::as_str) == Some(text) {
            return false;
        }
        files.insert(file.to_owned(), text.to_owned());
        true
    }

    /// Removes a manifest file. Returns whether it existed.
    pub fn remove_manifest(&mut self, node: &str, file: &str) -> bool {
        self.manifests
            .get_mut(node)
            .is_some_and(|files| files.remove(file).is_some())
    }

    /// Makes the mirror pods of `node` match its manifest folder.
    pub fn sync_static_pods(&mut self, api: &mut ApiServer, node: &str) {
        let Some(node_obj) = api
            .store()
            .get(&ObjectKey::new(Kind::Node, "", node))
            .cloned()
        else {
            return;
        };
        let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
        for (file, text) in self.manifests(node) {
            // The kubelet only reads these extensions, like its file source.
            if !(file.ends_with(".yaml") || file.ends_with(".yml") || file.ends_with(".json"))
                || text.len() > MAX_MANIFEST_BYTES
            {
                continue;
            }
            let Ok(objects) = crate::decode_manifests(&text) else {
                continue;
            };
            for object in objects {
                let Object::Pod(mut pod) = object else {
                    continue;
                };
                let base = pod.metadata.name.clone().unwrap_or_default();
                let name = format!("{base}-{}", node.to_ascii_lowercase());
                let ns = pod
                    .metadata
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "default".to_owned());
                wanted.insert((ns.clone(), name.clone()));
                if api
                    .store()
                    .get(&ObjectKey::new(Kind::Pod, &ns, &name))
                    .is_some()
                {
                    continue;
                }
                let hash = format!(
                    "{:08x}{:08x}",
                    naming::fnv32a(text.as_bytes(), naming::FNV32_OFFSET),
                    naming::fnv32a(name.as_bytes(), naming::FNV32_OFFSET)
                );
                pod.metadata.name = Some(name);
                pod.metadata.namespace = Some(ns);
                let annotations = pod
                    .metadata
                    .annotations
                    .get_or_insert_with(Default::default);
                annotations.insert("kubernetes.io/config.hash".to_owned(), hash.clone());
                annotations.insert("kubernetes.io/config.mirror".to_owned(), hash);
                annotations.insert(
                    "kubernetes.io/config.seen".to_owned(),
                    crate::api::timestamp(api.now())
                        .0
                        .format("%Y-%m-%dT%H:%M:%S%.9fZ")
                        .to_string(),
                );
                annotations.insert("kubernetes.io/config.source".to_owned(), "file".to_owned());
                pod.metadata.owner_references = Some(vec![
                    k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
                        api_version: "v1".to_owned(),
                        kind: "Node".to_owned(),
                        name: node.to_owned(),
                        uid: node_obj.uid().to_owned(),
                        controller: Some(true),
                        block_owner_deletion: None,
                    },
                ]);
                let spec = pod.spec.get_or_insert_with(Default::default);
                spec.node_name = Some(node.to_owned());
                // The real kubelet tolerates every NoExecute taint for its static pods.
                spec.tolerations.get_or_insert_with(Vec::new).push(
                    k8s_openapi::api::core::v1::Toleration {
                        operator: Some("Exists".to_owned()),
                        effect: Some("NoExecute".to_owned()),
                        ..Default::default()
                    },
                );
                let _ = api.create(Object::Pod(pod));
            }
        }
        // Mirror pods whose file is gone (or no longer defines them) are deleted.
        let stale: Vec<(String, String)> = super::bound_pods(api, node)
            .filter(|p| {
                p.metadata.deletion_timestamp.is_none()
                    && p.metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get("kubernetes.io/config.source"))
                        .is_some_and(|s| s == "file")
            })
            .map(|p| {
                (
                    p.metadata.namespace.clone().unwrap_or_default(),
                    p.metadata.name.clone().unwrap_or_default(),
                )
            })
            .filter(|key| !wanted.contains(key))
            .collect();
        if self.manifests.contains_key(node) {
            for (ns, name) in stale {
                let _ = api.delete(Kind::Pod, &ns, &name, &DeleteOptions::default());
            }
        }
    }
}
