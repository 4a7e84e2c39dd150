//! PersistentVolume, PersistentVolumeClaim and StorageClass helpers shared by the API server,
//! the PV controller, the scheduler's VolumeBinding filter, the kubelet and kubectl's printers
//! (the `storageutil`/`volumeutil` helpers of Kubernetes).

use crate::objects::{Kind, Object, ObjectKey};
use crate::store::Store;
use k8s_openapi::api::core::v1::{
    Node, PersistentVolume, PersistentVolumeClaim, PersistentVolumeSpec, Pod,
};
use k8s_openapi::api::storage::v1::StorageClass;

/// The finalizers the StorageObjectInUseProtection admission plugin adds.
pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
pub const PV_PROTECTION: &str = "kubernetes.io/pv-protection";
/// Annotations the PV controller and the scheduler write.
pub const ANN_BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
pub const ANN_BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";
pub const ANN_SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";
pub const ANN_DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
const ANN_BETA_CLASS: &str = "volume.beta.kubernetes.io/storage-class";
/// The provisioner name of classes for statically created (local) volumes.
pub const NO_PROVISIONER: &str = "kubernetes.io/no-provisioner";

/// How many volume sources a PV spec sets (valid PVs set exactly one).
pub fn volume_source_count(spec: &PersistentVolumeSpec) -> usize {
    [
        spec.host_path.is_some(),
        spec.local.is_some(),
        spec.nfs.is_some(),
        spec.csi.is_some(),
        spec.iscsi.is_some(),
        spec.fc.is_some(),
        spec.cephfs.is_some(),
        spec.rbd.is_some(),
        spec.glusterfs.is_some(),
        spec.azure_disk.is_some(),
        spec.azure_file.is_some(),
        spec.aws_elastic_block_store.is_some(),
        spec.gce_persistent_disk.is_some(),
        spec.cinder.is_some(),
        spec.flex_volume.is_some(),
        spec.vsphere_volume.is_some(),
        spec.portworx_volume.is_some(),
        spec.scale_io.is_some(),
        spec.storageos.is_some(),
        spec.photon_persistent_disk.is_some(),
        spec.quobyte.is_some(),
        spec.flocker.is_some(),
    ]
    .iter()
    .filter(|set| **set)
    .count()
}

/// `GetAccessModesAsString`: `RWO,ROX,RWX,RWOP` in that order, each once.
pub fn access_modes_string(modes: &[String]) -> String {
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| modes.iter().any(|m| m == mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// The claim's class: the beta annotation, else `spec.storageClassName`; `None` when unset
/// (which is not the same as `""`, "no class").
pub fn claim_class(pvc: &PersistentVolumeClaim) -> Option<&str> {
    if let Some(class) = pvc
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANN_BETA_CLASS))
    {
        return Some(class);
    }
    pvc.spec.as_ref()?.storage_class_name.as_deref()
}

/// `GetPersistentVolumeClass`.
pub fn volume_class(pv: &PersistentVolume) -> &str {
    if let Some(class) = pv
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANN_BETA_CLASS))
    {
        return class;
    }
    pv.spec
        .as_ref()
        .and_then(|s| s.storage_class_name.as_deref())
        .unwrap_or("")
}

/// The storage a claim asks for, in milli-bytes.
pub fn requested(pvc: &PersistentVolumeClaim) -> i128 {
    pvc.spec
        .as_ref()
        .and_then(|s| s.resources.as_ref())
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .and_then(|q| crate::quantity::parse(&q.0))
        .map_or(0, |a| a.milli)
}

/// A volume's capacity, in milli-bytes.
pub fn capacity(pv: &PersistentVolume) -> i128 {
    pv.spec
        .as_ref()
        .and_then(|s| s.capacity.as_ref())
        .and_then(|c| c.get("storage"))
        .and_then(|q| crate::quantity::parse(&q.0))
        .map_or(0, |a| a.milli)
}

pub fn phase_of_claim(pvc: &PersistentVolumeClaim) -> &str {
    pvc.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

pub fn phase_of_volume(pv: &PersistentVolume) -> &str {
    pv.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

/// The claim names a pod's volumes refer to.
pub fn pod_claims(pod: &Pod) -> impl Iterator<Item = &str> {
    pod.spec
        .iter()
        .flat_map(|s| s.volumes.iter().flatten())
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .map(|c| c.claim_name.as_str())
}

pub fn storage_class<'a>(store: &'a Store, name: &str) -> Option<&'a StorageClass> {
    store
        .get(&ObjectKey::new(Kind::StorageClass, "", name))
        .and_then(Object::as_storage_class)
}

/// The claim's class waits for a pod to be scheduled (`WaitForFirstConsumer`).
pub fn delays_binding(store: &Store, pvc: &PersistentVolumeClaim) -> bool {
    claim_class(pvc)
        .filter(|c| !c.is_empty())
        .and_then(|c| storage_class(store, c))
        .is_some_and(|c| c.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer"))
}

/// The volume a claim is bound to: `spec.volumeName`, or a volume whose claimRef names the
/// claim (and its uid) while the binder has not completed yet.
pub fn bound_volume<'a>(
    store: &'a Store,
    pvc: &PersistentVolumeClaim,
) -> Option<&'a PersistentVolume> {
    let name = pvc.spec.as_ref().and_then(|s| s.volume_name.as_deref());
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        return store
            .get(&ObjectKey::new(Kind::PersistentVolume, "", name))
            .and_then(Object::as_persistent_volume);
    }
    store
        .list(Kind::PersistentVolume, None)
        .filter_map(Object::as_persistent_volume)
        .find(|pv| claim_ref_is(pv, pvc) && claim_ref_uid(pv).is_some())
}

/// The volume's claimRef names this claim (namespace and name; the uid, when set, too).
pub fn claim_ref_is(pv: &PersistentVolume, pvc: &PersistentVolumeClaim) -> bool {
    let Some(claim_ref) = pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref()) else {
        return false;
    };
    claim_ref.name == pvc.metadata.name
        && claim_ref.namespace == pvc.metadata.namespace
        && claim_ref
            .uid
            .as_deref()
            .filter(|u| !u.is_empty())
            .is_none_or(|u| Some(u) == pvc.metadata.uid.as_deref())
}

fn claim_ref_uid(pv: &PersistentVolume) -> Option<&str> {
    pv.spec
        .as_ref()?
        .claim_ref
        .as_ref()?
        .uid
        .as_deref()
        .filter(|u| !u.is_empty())
}

/// The volume's node affinity admits `node` (no affinity admits every node).
pub fn node_affinity_admits(pv: &PersistentVolume, node: &Node) -> bool {
    pv.spec
        .as_ref()
        .and_then(|s| s.node_affinity.as_ref())
        .and_then(|a| a.required.as_ref())
        .is_none_or(|sel| {
            sel.node_selector_terms
                .iter()
                .any(|t| crate::scheduler::plugins::term_matches(t, node))
        })
}

/// `findMatchingVolume`: the smallest volume that satisfies the claim (a volume pre-bound to
/// the claim wins outright). `node`: only volumes whose node affinity admits it (delayed
/// binding); without a node, volumes with node affinity still match (immediate binding).
pub fn find_matching_volume<'a>(
    store: &'a Store,
    pvc: &PersistentVolumeClaim,
    node: Option<&Node>,
) -> Option<&'a PersistentVolume> {
    let spec = pvc.spec.as_ref()?;
    let want = requested(pvc);
    let class = claim_class(pvc).unwrap_or("");
    let mode = spec.volume_mode.as_deref().unwrap_or("Filesystem");
    let modes = spec.access_modes.clone().unwrap_or_default();
    let mut best: Option<&PersistentVolume> = None;
    for pv in store
        .list(Kind::PersistentVolume, None)
        .filter_map(Object::as_persistent_volume)
    {
        let Some(pv_spec) = pv.spec.as_ref() else {
            continue;
        };
        if pv.metadata.deletion_timestamp.is_some() {
            continue;
        }
        if pv_spec.volume_mode.as_deref().unwrap_or("Filesystem") != mode {
            continue;
        }
        if node.is_some_and(|n| !node_affinity_admits(pv, n)) {
            continue;
        }
        let pre_bound = claim_ref_is(pv, pvc);
        if pv_spec.claim_ref.is_some() && !pre_bound {
            continue;
        }
        if pre_bound {
            if capacity(pv) >= want {
                return Some(pv);
            }
            continue;
        }
        if !matches!(phase_of_volume(pv), "Available" | "Pending" | "") {
            continue;
        }
        if let Some(selector) = spec.selector.as_ref() {
            let empty = Default::default();
            let labels = pv.metadata.labels.as_ref().unwrap_or(&empty);
            if !crate::selector::matches(selector, labels) {
                continue;
            }
        }
        if volume_class(pv) != class {
            continue;
        }
        let pv_modes = pv_spec.access_modes.as_deref().unwrap_or_default();
        if !modes.iter().all(|m| pv_modes.contains(m)) {
            continue;
        }
        let size = capacity(pv);
        if size < want {
            continue;
        }
        if best.is_none_or(|b| size < capacity(b)) {
            best = Some(pv);
        }
    }
    best
}

/// The default StorageClass (the newest of several, as the DefaultStorageClass plugin picks).
pub fn default_class(store: &Store) -> Option<&StorageClass> {
    store
        .list(Kind::StorageClass, None)
        .filter_map(Object::as_storage_class)
        .filter(|c| {
            c.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(ANN_DEFAULT_CLASS))
                .is_some_and(|v| v == "true")
        })
        .max_by(|a, b| {
            let at = |c: &StorageClass| c.metadata.creation_timestamp.clone().map(|t| t.0);
            at(a).cmp(&at(b))
        })
}

/// Mutating admission for the storage kinds: StorageObjectInUseProtection's finalizers and
/// DefaultStorageClass's class for claims that name none.
pub(crate) fn admit(store: &Store, object: &mut Object) {
    let finalizer = match object {
        Object::PersistentVolumeClaim(pvc) => {
            if claim_class(pvc).is_none()
                && let Some(class) = default_class(store)
            {
                let name = class.metadata.name.clone();
                pvc.spec
                    .get_or_insert_with(Default::default)
                    .storage_class_name = name;
            }
            PVC_PROTECTION
        }
        Object::PersistentVolume(_) => PV_PROTECTION,
        _ => return,
    };
    let finalizers = object.meta_mut().finalizers.get_or_insert_with(Vec::new);
    if !finalizers.iter().any(|f| f == finalizer) {
        finalizers.push(finalizer.to_owned());
    }
}

/// PersistentVolumeClaimResize admission: a bound claim may grow only when its class allows
/// volume expansion.
pub(crate) fn admit_resize(store: &Store, old: &Object, new: &Object) -> Result<(), String> {
    let (Some(old), Some(new)) = (
        old.as_persistent_volume_claim(),
        new.as_persistent_volume_claim(),
    ) else {
        return Ok(());
    };
    if phase_of_claim(old) != "Bound" || requested(new) <= requested(old) {
        return Ok(());
    }
    let allowed = claim_class(old)
        .filter(|c| !c.is_empty())
        .and_then(|c| storage_class(store, c))
        .and_then(|c| c.allow_volume_expansion)
        .unwrap_or(false);
    if allowed {
        Ok(())
    } else {
        Err(
            "only dynamically provisioned pvc can be resized and the storageclass that \
             provisions the pvc must support resize"
                .to_owned(),
        )
    }
}

/// The binder's first step (`bindVolumeToClaim`): the volume's `claimRef` names the claim
/// (uid and resourceVersion included), and a volume the binder chose, rather than one the user
/// pre-bound, is annotated `pv.kubernetes.io/bound-by-controller`.
pub fn point_volume_at_claim(pv: &mut PersistentVolume, pvc: &PersistentVolumeClaim) {
    let spec = pv.spec.get_or_insert_with(Default::default);
    if spec.claim_ref.is_none() {
        pv.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(ANN_BOUND_BY_CONTROLLER.to_owned(), "yes".to_owned());
    }
    let spec = pv.spec.get_or_insert_with(Default::default);
    spec.claim_ref = Some(k8s_openapi::api::core::v1::ObjectReference {
        api_version: Some("v1".to_owned()),
        kind: Some("PersistentVolumeClaim".to_owned()),
        name: pvc.metadata.name.clone(),
        namespace: pvc.metadata.namespace.clone(),
        resource_version: pvc.metadata.resource_version.clone(),
        uid: pvc.metadata.uid.clone(),
        ..Default::default()
    });
}
