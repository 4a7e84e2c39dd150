//! The API layer: the one writer of the store. Create, get, list, update, patch and delete with
//! the apiserver's defaulting, validation, admission and error texts.

use crate::admission;
use crate::clock::VirtualTime;
use crate::defaults;
use crate::errors::{ApiError, FieldError};
use crate::naming;
use crate::objects::{Kind, Object, ObjectKey};
use crate::priority;
use crate::rng::SimRng;
use crate::store::{Store, WatchEvent};
use crate::validation;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Limits that keep a learner's typo (`replicas: 1000000`) from exhausting the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLimits {
    pub max_pods: usize,
    pub max_objects_per_kind: usize,
}

impl Default for ObjectLimits {
    fn default() -> Self {
        Self {
            max_pods: 50_000,
            max_objects_per_kind: 50_000,
        }
    }
}

/// How a patch body is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PatchType {
    /// RFC 7386 JSON merge patch: objects merge, lists replace, `null` deletes.
    Merge,
    /// Strategic merge patch: like merge, but lists with a merge key (containers by `name`,
    /// ports by `containerPort`, ...) merge element-wise.
    Strategic,
}

/// What happens to dependents (objects whose ownerReferences name the deleted object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Propagation {
    /// Delete the owner now; the garbage collector deletes dependents afterwards.
    #[default]
    Background,
    /// Keep the owner (with a `foregroundDeletion` finalizer) until dependents are gone.
    Foreground,
    /// Delete the owner and strip it from dependents' ownerReferences.
    Orphan,
}

/// Options of a delete request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteOptions {
    pub propagation: Propagation,
    /// `Some(0)` force-deletes a pod at once; `None` uses the pod's own grace period.
    pub grace_period_seconds: Option<i64>,
}

/// Result of `apply` (client-side apply, as kubectl prints it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplyOutcome {
    Created,
    Configured,
    Unchanged,
}

impl ApplyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyOutcome::Created => "created",
            ApplyOutcome::Configured => "configured",
            ApplyOutcome::Unchanged => "unchanged",
        }
    }
}

/// The annotation client-side apply stores the last applied manifest in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The virtual clock's zero as a wall-clock instant, so timestamps look real.
pub const EPOCH_UNIX_SECONDS: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// A virtual instant as a Kubernetes timestamp.
pub fn timestamp(at: VirtualTime) -> Time {
    let millis = EPOCH_UNIX_SECONDS
        .saturating_mul(1000)
        .saturating_add(i64::try_from(at.as_millis()).unwrap_or(i64::MAX / 2));
    let when = k8s_openapi::chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default();
    Time(when)
}

/// A Kubernetes timestamp back on the virtual clock (saturating at zero).
pub fn virtual_time(time: &Time) -> VirtualTime {
    let millis = time.0.timestamp_millis() - EPOCH_UNIX_SECONDS * 1000;
    VirtualTime::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// The simulated kube-apiserver.
#[derive(Debug, Clone)]
pub struct ApiServer {
    store: Store,
    rng: SimRng,
    now: VirtualTime,
    limits: ObjectLimits,
    /// The user of the requests being served, when they are authorized (kubectl's, while a
    /// command runs); `None` for the control plane's own components.
    acting: Option<crate::rbac::UserInfo>,
}

impl ApiServer {
    pub fn new(rng: SimRng, limits: ObjectLimits) -> Self {
        Self {
            store: Store::default(),
            rng,
            now: VirtualTime::ZERO,
            limits,
            acting: None,
        }
    }

    pub(crate) fn from_parts(store: Store, rng: SimRng, now: VirtualTime) -> Self {
        Self {
            store: store.restored_at(now),
            rng,
            now,
            limits: ObjectLimits::default(),
            acting: None,
        }
    }

    /// Sets who makes the following writes (`None`: the control plane, never denied).
    pub fn set_acting_user(&mut self, user: Option<crate::rbac::UserInfo>) {
        self.acting = user;
    }

    pub fn acting_user(&self) -> Option<&crate::rbac::UserInfo> {
        self.acting.as_ref()
    }

    /// RBAC for a request of the acting user: the apiserver's Forbidden error when denied.
    pub fn authorize(
        &self,
        verb: &str,
        kind: Kind,
        namespace: &str,
        name: &str,
    ) -> Result<(), ApiError> {
        self.authorize_subresource(verb, kind, namespace, name, "")
    }

    /// [`ApiServer::authorize`] for a subresource (`pods/log`, `pods/exec`).
    pub fn authorize_subresource(
        &self,
        verb: &str,
        kind: Kind,
        namespace: &str,
        name: &str,
        subresource: &str,
    ) -> Result<(), ApiError> {
        let mut request = crate::rbac::Request::for_kind(verb, kind, namespace, name);
        request.subresource = subresource.to_owned();
        self.authorize_request(&request)
    }

    /// RBAC for any request of the acting user, stored kind or not (`pods.metrics.k8s.io`).
    pub fn authorize_request(&self, request: &crate::rbac::Request) -> Result<(), ApiError> {
        match &self.acting {
            Some(user) if !crate::rbac::authorize(self, user, request) => {
                Err(crate::rbac::forbidden(user, request))
            }
            _ => Ok(()),
        }
    }

    /// RBAC's escalation check of a Role, ClusterRole or binding the acting user writes.
    fn confirm_no_escalation(&self, object: &Object, request_name: &str) -> Result<(), ApiError> {
        match &self.acting {
            Some(user) => crate::rbac::confirm_no_escalation(self, user, object, request_name),
            None => Ok(()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now(&self) -> VirtualTime {
        self.now
    }

    /// Moves the apiserver's clock; Events older than the event TTL expire.
    pub(crate) fn set_now(&mut self, now: VirtualTime) {
        self.now = now;
        self.store.set_now(now);
        self.store.expire_events();
    }

    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    pub fn seed(&self) -> u64 {
        self.rng.seed()
    }

    /// Watch events after `revision` (0 = from the start of the kept history).
    pub fn watch(&self, revision: u64) -> Result<&[WatchEvent], ApiError> {
        self.store.events_since(revision).map_err(|oldest| {
            ApiError::bad_request(format!("too old resource version: {revision} ({oldest})"))
        })
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Result<Object, ApiError> {
        self.get_ref(kind, namespace, name).cloned()
    }

    pub fn get_ref(&self, kind: Kind, namespace: &str, name: &str) -> Result<&Object, ApiError> {
        self.store
            .get(&ObjectKey::new(kind, namespace, name))
            .ok_or_else(|| ApiError::not_found(kind, name))
    }

    /// Objects of a kind in a namespace (`None` = all namespaces), sorted by namespace/name.
    pub fn list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Object> {
        let namespace = if kind.namespaced() { namespace } else { None };
        self.store.list(kind, namespace).cloned().collect()
    }

    fn namespace_gate(&self, object: &Object) -> Result<(), ApiError> {
        if !object.kind().namespaced() {
            return Ok(());
        }
        let ns = object.namespace();
        match self.store.get(&ObjectKey::new(Kind::Namespace, "", ns)) {
            None => Err(ApiError::not_found(Kind::Namespace, ns)),
            Some(n) if n.meta().deletion_timestamp.is_some() && object.kind() != Kind::Event => {
                Err(ApiError::forbidden(
                    object.kind(),
                    object.name(),
                    &format!(
                        "unable to create new content in namespace {ns} because it is being \
                         terminated"
                    ),
                ))
            }
            Some(_) => Ok(()),
        }
    }

    /// Creates an object: generateName, defaulting, admission, validation, then storage.
    pub fn create(&mut self, object: Object) -> Result<Object, ApiError> {
        self.create_shared(object).map(Arc::unwrap_or_clone)
    }

    /// Like [`ApiServer::create`], but draws the uid (and any generated name) from `uids`
    /// instead of the simulation's RNG: objects made at bootstrap this way shift no later
    /// random value.
    pub fn create_with_uids(
        &mut self,
        object: Object,
        uids: &mut SimRng,
    ) -> Result<Object, ApiError> {
        std::mem::swap(&mut self.rng, uids);
        let created = self.create(object);
        std::mem::swap(&mut self.rng, uids);
        created
    }

    /// Like [`ApiServer::create`], but returns the stored object shared instead of a copy.
    pub fn create_shared(&mut self, object: Object) -> Result<Arc<Object>, ApiError> {
        self.create_with_uid(object, None)
    }

    /// Creates one of the apiserver's own bootstrap PriorityClasses with a uid of its own
    /// stream ([`priority::system_priority_class_uid`]), so the main RNG is not drawn from.
    pub fn create_system_priority_class(
        &mut self,
        pc: k8s_openapi::api::scheduling::v1::PriorityClass,
    ) -> Result<Object, ApiError> {
        let uid = priority::system_priority_class_uid(pc.metadata.name.as_deref().unwrap_or(""));
        self.create_with_uid(Object::PriorityClass(Box::new(pc)), Some(uid))
            .map(Arc::unwrap_or_clone)
    }

    fn create_with_uid(
        &mut self,
        mut object: Object,
        fixed_uid: Option<String>,
    ) -> Result<Arc<Object>, ApiError> {
        let kind = object.kind();
        {
            let meta = object.meta_mut();
            if kind.namespaced() {
                if meta.namespace.as_deref().is_none_or(str::is_empty) {
                    meta.namespace = Some("default".to_owned());
                }
            } else {
                meta.namespace = None;
            }
            meta.resource_version = None;
            meta.uid = None;
            meta.deletion_timestamp = None;
            meta.deletion_grace_period_seconds = None;
        }
        self.authorize("create", kind, object.namespace(), "")?;
        self.confirm_no_escalation(&object, "")?;
        // Admission runs before the name is generated, so its errors name the generateName.
        let admission_name = match object.name() {
            "" => object.meta().generate_name.clone().unwrap_or_default(),
            name => name.to_owned(),
        };
        if object.name().is_empty() {
            match object
                .meta()
                .generate_name
                .clone()
                .filter(|g| !g.is_empty())
            {
                Some(base) => {
                    let name = naming::generate_name(&base, &mut self.rng);
                    object.meta_mut().name = Some(name);
                }
                None => {
                    return Err(ApiError::invalid(
                        kind,
                        "",
                        vec![FieldError::required(
                            "metadata.name",
                            "name or generateName is required",
                        )],
                    ));
                }
            }
        }
        let name = object.name().to_owned();
        let cap = if kind == Kind::Pod {
            self.limits.max_pods
        } else {
            self.limits.max_objects_per_kind
        };
        if self.store.count(kind) >= cap {
            return Err(ApiError::forbidden(
                kind,
                &name,
                &format!(
                    "the simulated cluster holds at most {cap} {} objects",
                    kind.plural()
                ),
            ));
        }
        self.namespace_gate(&object)?;
        defaults::apply(&mut object);
        crate::storage::admit(&self.store, &mut object);
        if let Object::Pod(pod) = &mut object {
            admission::apply_limit_range_defaults(&self.store, pod);
            if let Err(why) = admission::admit_service_account(&self.store, &mut self.rng, pod) {
                return Err(ApiError::forbidden(kind, &admission_name, &why));
            }
            if let Err(why) = priority::admit_pod(&self.store, pod) {
                return Err(ApiError::forbidden(kind, &admission_name, &why));
            }
            if let Some(spec) = pod.spec.as_mut() {
                add_default_tolerations(spec);
            }
            let status = pod.status.get_or_insert_with(Default::default);
            status.phase.get_or_insert_with(|| "Pending".to_owned());
            status.qos_class = Some(qos_class(pod.spec.as_ref()).to_owned());
        }
        if let Object::PodDisruptionBudget(pdb) = &mut object {
            // PrepareForCreate: the status is the disruption controller's to fill in.
            pdb.status = None;
        }
        if let Object::PriorityClass(pc) = &object
            && let Err(why) = priority::admit_class(&self.store, pc, false)
        {
            return Err(ApiError::forbidden(kind, &admission_name, &why));
        }
        if let Object::Ingress(ingress) = &mut object {
            crate::networking::default_ingress_class(&self.store, ingress);
        }
        let uid = match fixed_uid {
            Some(uid) => uid,
            None => naming::uid(&mut self.rng),
        };
        if let Object::Job(job) = &mut object {
            generate_job_selector(job, &uid);
        }
        let mut errors = validation::validate(&object);
        errors.extend(crate::ephemeral::validate_create(&object));
        if !errors.is_empty() {
            return Err(ApiError::invalid(kind, &name, errors));
        }
        if self.store.get(&object.key()).is_some() {
            return Err(ApiError::already_exists(kind, &name));
        }
        if let Object::Pod(pod) = &object
            && let Err(why) = admission::check_limit_ranges(&self.store, pod)
        {
            return Err(ApiError::forbidden(kind, &name, &why));
        }
        if let Err(why) = admission::check_quota(&self.store, &object) {
            return Err(ApiError::forbidden(kind, &name, &why));
        }
        if let Object::Service(svc) = &mut object {
            self.allocate_cluster_ip(svc)?;
        }
        let meta = object.meta_mut();
        meta.uid = Some(uid);
        meta.creation_timestamp = Some(timestamp(self.now));
        if has_generation(kind) {
            meta.generation = Some(1);
        }
        if kind == Kind::DaemonSet {
            set_template_generation(meta, 1);
        }
        let stored = self.store.put_shared(object);
        if kind == Kind::ClusterRole {
            self.aggregate_cluster_roles();
        }
        Ok(stored)
    }

    /// The clusterrole-aggregation controller, run on every ClusterRole write: an aggregated
    /// ClusterRole's rules are those of the ClusterRoles its selectors match. Repeated until
    /// nothing changes, so chains (view into edit into admin) settle in one write.
    fn aggregate_cluster_roles(&mut self) {
        for _ in 0..4 {
            let roles: std::collections::BTreeMap<String, k8s_openapi::api::rbac::v1::ClusterRole> =
                self.store
                    .list(Kind::ClusterRole, None)
                    .filter_map(|o| Some((o.name().to_owned(), o.as_cluster_role()?.clone())))
                    .collect();
            let mut changed = false;
            for (name, role) in &roles {
                let Some(rule) = &role.aggregation_rule else {
                    continue;
                };
                let rules = crate::rbac::aggregated_rules(rule, &roles, name);
                if role.rules.as_deref().unwrap_or_default() != rules.as_slice() {
                    let mut updated = role.clone();
                    updated.rules = Some(rules);
                    self.store.put_shared(updated.into());
                    changed = true;
                }
            }
            if !changed {
                return;
            }
        }
    }

    fn allocate_cluster_ip(
        &mut self,
        svc: &mut k8s_openapi::api::core::v1::Service,
    ) -> Result<(), ApiError> {
        let Some(spec) = svc.spec.as_mut() else {
            return Ok(());
        };
        if spec.type_.as_deref() == Some("ExternalName") {
            return Ok(());
        }
        if matches!(spec.type_.as_deref(), Some("NodePort" | "LoadBalancer")) {
            self.allocate_node_ports(spec);
        }
        if spec.cluster_ip.as_deref() == Some("None") {
            spec.cluster_ips = Some(vec!["None".to_owned()]);
            return Ok(());
        }
        if let Some(ip) = spec.cluster_ip.clone().filter(|ip| !ip.is_empty()) {
            spec.cluster_ips = Some(vec![ip]);
            return Ok(());
        }
        let used: BTreeSet<String> = self
            .store
            .list(Kind::Service, None)
            .filter_map(|s| s.as_service()?.spec.as_ref()?.cluster_ip.clone())
            .collect();
        // 10.96.0.0/12 has 2^20 addresses. Like the apiserver's allocator, dynamic IPs start at
        // a random offset in the upper band (the lowest 256 are kept for static IPs such as
        // 10.96.0.1 and 10.96.0.10) and probe upwards, wrapping, before using the lower band.
        const SIZE: u32 = 1 << 20;
        const STATIC_BAND: u32 = 256;
        let dynamic = SIZE - 1 - STATIC_BAND;
        let start = self.rng.below(u64::from(dynamic)) as u32;
        let base: u32 = (10 << 24) | (96 << 16);
        let offsets = (0..dynamic)
            .map(|i| STATIC_BAND + (start + i) % dynamic)
            .chain(1..STATIC_BAND);
        for offset in offsets {
            let ip = std::net::Ipv4Addr::from(base + offset).to_string();
            if !used.contains(&ip) {
                spec.cluster_ip = Some(ip.clone());
                spec.cluster_ips = Some(vec![ip]);
                return Ok(());
            }
        }
        Err(ApiError::forbidden(
            Kind::Service,
            svc.metadata.name.as_deref().unwrap_or(""),
            "failed to allocate a serviceIP: range is full",
        ))
    }

    /// Gives every port of a NodePort/LoadBalancer Service a free port in 30000-32767.
    fn allocate_node_ports(&mut self, spec: &mut k8s_openapi::api::core::v1::ServiceSpec) {
        let mut used: BTreeSet<i32> = self
            .store
            .list(Kind::Service, None)
            .filter_map(|s| s.as_service()?.spec.as_ref()?.ports.clone())
            .flatten()
            .filter_map(|p| p.node_port)
            .collect();
        used.extend(spec.ports.iter().flatten().filter_map(|p| p.node_port));
        for port in spec.ports.iter_mut().flatten() {
            if port.node_port.is_some() {
                continue;
            }
            // The apiserver picks at random within the range; ours is seeded.
            for _ in 0..2_768 {
                let candidate = 30_000 + self.rng.below(2_768) as i32;
                if used.insert(candidate) {
                    port.node_port = Some(candidate);
                    break;
                }
            }
        }
    }

    /// Replaces an object's spec and metadata (status is kept). A set `resourceVersion` that is
    /// not the stored one is a Conflict.
    pub fn update(&mut self, object: Object) -> Result<Object, ApiError> {
        self.authorize("update", object.kind(), object.namespace(), object.name())?;
        self.write(object, false)
    }

    /// An update kubectl sends as a patch (`set`, `patch --type=json`): RBAC checks `patch`.
    pub fn update_patched(&mut self, object: Object) -> Result<Object, ApiError> {
        self.authorize("patch", object.kind(), object.namespace(), object.name())?;
        self.write(object, false)
    }

    /// Like [`ApiServer::update`], but returns the stored object shared instead of a copy.
    pub fn update_shared(&mut self, object: Object) -> Result<Arc<Object>, ApiError> {
        self.authorize("update", object.kind(), object.namespace(), object.name())?;
        self.write_shared(object, false)
    }

    /// Replaces only the status (the `/status` subresource controllers and kubelets use).
    pub fn update_status(&mut self, object: Object) -> Result<Object, ApiError> {
        self.write(object, true)
    }

    /// Like [`ApiServer::update_status`], but returns the stored object shared instead of a
    /// copy (for writers that ignore the result or only read it).
    pub fn update_status_shared(&mut self, object: Object) -> Result<Arc<Object>, ApiError> {
        self.write_shared(object, true)
    }

    fn write(&mut self, object: Object, status_only: bool) -> Result<Object, ApiError> {
        self.write_shared(object, status_only)
            .map(Arc::unwrap_or_clone)
    }

    fn write_shared(
        &mut self,
        mut object: Object,
        status_only: bool,
    ) -> Result<Arc<Object>, ApiError> {
        let kind = object.kind();
        if kind.namespaced() && object.namespace().is_empty() {
            object.meta_mut().namespace = Some("default".to_owned());
        }
        let name = object.name().to_owned();
        // Shared, not copied: the stored object is only read here.
        let current = self
            .store
            .get_shared(&object.key())
            .ok_or_else(|| ApiError::not_found(kind, &name))?;
        let sent_rv = object.meta().resource_version.clone();
        if sent_rv.as_ref().is_some_and(|rv| !rv.is_empty())
            && sent_rv != current.meta().resource_version
        {
            return Err(ApiError::conflict(kind, &name));
        }
        if !status_only && !only_gc_fields_change(&object, &current) {
            self.confirm_no_escalation(&object, &name)?;
        }
        let mut merged = if status_only {
            if object.eq_except_status(&current) {
                // The writer sent the stored object with a new status (as kubelets and
                // controllers do): that is the merge, no copy of the stored one needed.
                object
            } else {
                let mut out = (*current).clone();
                copy_status(&object, &mut out);
                out
            }
        } else {
            let mut out = object;
            defaults::apply(&mut out);
            copy_status(&current, &mut out);
            if let (Object::Pod(old), Object::Pod(new)) = (&*current, &mut out) {
                priority::keep_pod_priority(old, new);
            }
            if let Object::PriorityClass(pc) = &out
                && let Err(why) = priority::admit_class(&self.store, pc, true)
            {
                return Err(ApiError::forbidden(kind, &name, &why));
            }
            {
                let meta = out.meta_mut();
                let old = current.meta();
                meta.uid = old.uid.clone();
                meta.creation_timestamp = old.creation_timestamp.clone();
                meta.deletion_timestamp = old.deletion_timestamp.clone();
                meta.generation = old.generation;
                meta.generate_name = old.generate_name.clone();
            }
            let mut errors = validation::validate(&out);
            errors.extend(validation::validate_update(&current, &out));
            if !errors.is_empty() {
                return Err(ApiError::invalid(kind, &name, errors));
            }
            if let Err(why) = crate::storage::admit_resize(&self.store, &current, &out) {
                return Err(ApiError::forbidden(kind, &name, &why));
            }
            if has_generation(kind) && !current.spec_eq(&out) {
                out.meta_mut().generation = Some(current.meta().generation.unwrap_or(0) + 1);
            }
            if let (Object::DaemonSet(old), Object::DaemonSet(new)) = (&*current, &out) {
                // The internal spec.templateGeneration survives any write (the strategy copies
                // it from the stored object) and counts template changes.
                let stored = template_generation(&old.metadata);
                let changed = old.spec.as_ref().map(|s| &s.template)
                    != new.spec.as_ref().map(|s| &s.template);
                set_template_generation(out.meta_mut(), stored + i64::from(changed));
            }
            out
        };
        // A write that changes nothing but the resourceVersion is a no-op (compared in place:
        // the merged object borrows the stored resourceVersion for the comparison).
        let sent = std::mem::replace(
            &mut merged.meta_mut().resource_version,
            current.meta().resource_version.clone(),
        );
        if merged == *current {
            return Ok(current);
        }
        merged.meta_mut().resource_version = sent;
        // An object with a deletionTimestamp goes away once its last finalizer is removed.
        if merged.meta().deletion_timestamp.is_some()
            && merged.meta().finalizers.as_ref().is_none_or(Vec::is_empty)
            && kind != Kind::Pod
        {
            let key = merged.key();
            self.store.put_shared(merged);
            return self
                .store
                .remove(&key)
                .map(Arc::new)
                .ok_or_else(|| ApiError::not_found(kind, &name));
        }
        let stored = self.store.put_shared(merged);
        if kind == Kind::ClusterRole {
            self.aggregate_cluster_roles();
        }
        Ok(stored)
    }

    /// Applies a patch to the stored object and updates it.
    pub fn patch(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
    ) -> Result<Object, ApiError> {
        self.authorize("patch", kind, namespace, name)?;
        let current = self.get(kind, namespace, name)?;
        if !patch.is_object() {
            return Err(ApiError::bad_request(
                "json: cannot unmarshal array into Go value of type map[string]interface {}",
            ));
        }
        let mut doc = current.to_json();
        match patch_type {
            PatchType::Merge => merge_patch(&mut doc, patch),
            PatchType::Strategic => strategic_merge(&mut doc, patch, ""),
        }
        let mut object =
            crate::decode::decode_value(doc).map_err(|e| ApiError::bad_request(e.to_string()))?;
        if object.kind() != kind || object.name() != name {
            return Err(ApiError::bad_request(
                "the name or kind of the object may not be changed by a patch",
            ));
        }
        object.meta_mut().resource_version = None;
        self.write(object, false)
    }

    /// Client-side apply: creates the object, or three-way merges it with the last applied
    /// manifest and the live object.
    pub fn apply(&mut self, object: Object) -> Result<(Object, ApplyOutcome), ApiError> {
        let mut desired = object.to_json();
        if let Some(meta) = desired.get_mut("metadata").and_then(Value::as_object_mut)
            && let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut)
        {
            ann.remove(LAST_APPLIED);
        }
        drop_claim_template_type_meta(&mut desired);
        let applied_text = desired.to_string();
        let namespace = if object.kind().namespaced() && object.namespace().is_empty() {
            "default"
        } else {
            object.namespace()
        };
        match self.get(object.kind(), namespace, object.name()) {
            Err(e) if e.reason == crate::errors::StatusReason::NotFound => {
                let mut object = object;
                object
                    .meta_mut()
                    .annotations
                    .get_or_insert_with(Default::default)
                    .insert(LAST_APPLIED.to_owned(), format!("{applied_text}\n"));
                Ok((self.create(object)?, ApplyOutcome::Created))
            }
            Err(e) => Err(e),
            Ok(current) => {
                let last: Value = current
                    .meta()
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(LAST_APPLIED))
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or(Value::Null);
                let mut patch = desired.clone();
                remove_dropped_fields(&last, &desired, &mut patch);
                if let Some(meta) = patch.get_mut("metadata").and_then(Value::as_object_mut) {
                    let ann = meta
                        .entry("annotations")
                        .or_insert_with(|| Value::Object(Default::default()));
                    if let Some(ann) = ann.as_object_mut() {
                        ann.insert(
                            LAST_APPLIED.to_owned(),
                            Value::String(format!("{applied_text}\n")),
                        );
                    }
                }
                let before = current.resource_version();
                let kind = current.kind();
                let name = current.name().to_owned();
                let ns = current.namespace().to_owned();
                let updated = self.patch(kind, &ns, &name, PatchType::Strategic, &patch)?;
                let outcome = if updated.resource_version() == before {
                    ApplyOutcome::Unchanged
                } else {
                    ApplyOutcome::Configured
                };
                Ok((updated, outcome))
            }
        }
    }

    /// Sets `spec.replicas` of a scalable kind (the `/scale` subresource).
    pub fn scale(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        replicas: i32,
    ) -> Result<Object, ApiError> {
        if !matches!(
            kind,
            Kind::Deployment | Kind::ReplicaSet | Kind::ReplicationController | Kind::StatefulSet
        ) {
            return Err(ApiError::not_found(kind, name));
        }
        if replicas < 0 {
            return Err(ApiError::invalid(
                kind,
                name,
                vec![FieldError::invalid_raw(
                    "spec.replicas",
                    replicas.to_string(),
                    "must be greater than or equal to 0",
                )],
            ));
        }
        // kubectl patches the scale subresource: that is what RBAC checks, not the object.
        self.authorize_subresource("patch", kind, namespace, name, "scale")?;
        let acting = self.acting.take();
        let patch = serde_json::json!({ "spec": { "replicas": replicas } });
        let scaled = self.patch(kind, namespace, name, PatchType::Merge, &patch);
        self.acting = acting;
        scaled
    }

    /// Deletes an object. Pods on a node and objects with finalizers are only marked
    /// (deletionTimestamp); the kubelet stand-in, finalizer owners or the garbage collector
    /// finish the job.
    pub fn delete(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Object, ApiError> {
        self.authorize("delete", kind, namespace, name)?;
        let deleted = self.delete_object(kind, namespace, name, options);
        if kind == Kind::ClusterRole && deleted.is_ok() {
            self.aggregate_cluster_roles();
        }
        deleted
    }

    fn delete_object(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Object, ApiError> {
        let current = self.get(kind, namespace, name)?;
        let key = current.key();
        if kind == Kind::PriorityClass
            && let Some(why) = priority::deletion_refused(name)
        {
            return Err(ApiError::forbidden(kind, name, why));
        }
        if kind == Kind::Namespace {
            if ["default", "kube-system", "kube-public"].contains(&name) {
                return Err(ApiError::forbidden(
                    kind,
                    name,
                    "this namespace may not be deleted",
                ));
            }
            let mut ns = current;
            if ns.meta().deletion_timestamp.is_none() {
                ns.meta_mut().deletion_timestamp = Some(timestamp(self.now));
                if let Some(n) = ns.as_namespace_mut() {
                    n.status.get_or_insert_with(Default::default).phase =
                        Some("Terminating".to_owned());
                }
                return Ok(self.store.put(ns));
            }
            return Ok(ns);
        }
        let mut marked = current.clone();
        let mut finalizers = marked.meta().finalizers.clone().unwrap_or_default();
        let extra = match options.propagation {
            Propagation::Foreground => Some("foregroundDeletion"),
            Propagation::Orphan => Some("orphan"),
            Propagation::Background => None,
        };
        if let Some(f) = extra
            && !finalizers.iter().any(|x| x == f)
        {
            finalizers.push(f.to_owned());
        }
        let bound_pod = current
            .as_pod()
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.node_name.as_ref())
            .is_some();
        let grace = match (&current, options.grace_period_seconds) {
            (Object::Pod(_), Some(g)) => g.max(0),
            (Object::Pod(p), None) => p
                .spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
                .unwrap_or(30)
                .max(0),
            _ => 0,
        };
        let graceful_pod = bound_pod && grace > 0;
        if finalizers.is_empty() && !graceful_pod {
            return self
                .store
                .remove(&key)
                .ok_or_else(|| ApiError::not_found(kind, name));
        }
        if marked.meta().deletion_timestamp.is_some() {
            // Already terminating: a second delete only shortens a pod's grace period.
            if grace == 0 && finalizers.is_empty() {
                return self
                    .store
                    .remove(&key)
                    .ok_or_else(|| ApiError::not_found(kind, name));
            }
            return Ok(current);
        }
        let meta = marked.meta_mut();
        meta.finalizers = (!finalizers.is_empty()).then_some(finalizers);
        // As the apiserver's BeforeDelete: a pod's deletionTimestamp is when its grace period
        // ends (the kubelet sends SIGKILL then), not when the delete was asked for.
        let grace_ends = self.now.saturating_add(std::time::Duration::from_secs(
            u64::try_from(grace).unwrap_or(0),
        ));
        meta.deletion_timestamp = Some(timestamp(grace_ends));
        if kind == Kind::Pod {
            meta.deletion_grace_period_seconds = Some(grace);
        }
        Ok(self.store.put(marked))
    }

    /// The pod's `eviction` subresource (policy/v1 Eviction): deletes the pod unless the
    /// PodDisruptionBudget selecting it allows no disruption (429 TooManyRequests); a budget
    /// that allows one is charged (`disruptionsAllowed` - 1, the pod in `disruptedPods`).
    pub fn evict(
        &mut self,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Object, ApiError> {
        // RBAC checks `create pods/eviction`; the eviction's own writes are the apiserver's.
        self.authorize_subresource("create", Kind::Pod, namespace, name, "eviction")?;
        let acting = self.acting.take();
        let evicted = self.evict_authorized(namespace, name, options);
        self.acting = acting;
        evicted
    }

    fn evict_authorized(
        &mut self,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Object, ApiError> {
        use crate::disruption::{EvictionCheck, check_eviction};
        let current = self.get(Kind::Pod, namespace, name)?;
        let Some(pod) = current.as_pod() else {
            return Err(ApiError::not_found(Kind::Pod, name));
        };
        match check_eviction(&self.store, pod) {
            EvictionCheck::Delete => {}
            EvictionCheck::TooManyRequests(message) => {
                return Err(ApiError::too_many_requests(message));
            }
            EvictionCheck::Internal(message) => return Err(ApiError::internal(message)),
            EvictionCheck::Forbidden(why) => {
                return Err(ApiError::forbidden(Kind::PodDisruptionBudget, "", &why));
            }
            EvictionCheck::DeleteCharging(budget) => {
                let mut pdb = self.get(Kind::PodDisruptionBudget, namespace, &budget)?;
                if let Some(p) = pdb.as_pod_disruption_budget_mut() {
                    let status = p.status.get_or_insert_with(Default::default);
                    status.disruptions_allowed -= 1;
                    status
                        .disrupted_pods
                        .get_or_insert_with(Default::default)
                        .insert(name.to_owned(), timestamp(self.now));
                    if status.disruptions_allowed == 0 {
                        crate::controllers::disruption::set_allowed_condition(
                            status, false, self.now,
                        );
                    }
                }
                self.update_status(pdb)?;
            }
        }
        // addConditionAndDeletePod: the pod learns why it goes (PodDisruptionConditions, GA).
        let mut marked = current.clone();
        if let Some(p) = marked.as_pod_mut()
            && p.metadata.deletion_timestamp.is_none()
        {
            let conditions = p
                .status
                .get_or_insert_with(Default::default)
                .conditions
                .get_or_insert_with(Vec::new);
            conditions.retain(|c| c.type_ != "DisruptionTarget");
            conditions.push(k8s_openapi::api::core::v1::PodCondition {
                type_: "DisruptionTarget".to_owned(),
                status: "True".to_owned(),
                reason: Some("EvictionByEvictionAPI".to_owned()),
                message: Some("Eviction API: evicting".to_owned()),
                last_transition_time: Some(timestamp(self.now)),
                last_probe_time: None,
            });
            self.update_status(marked)?;
        }
        self.delete(Kind::Pod, namespace, name, options)
    }

    /// Removes an object regardless of finalizers or grace (kubelet confirming a pod is gone,
    /// garbage collector finishing).
    pub(crate) fn remove_now(&mut self, key: &ObjectKey) -> Option<Object> {
        self.store.remove(key)
    }

    /// Writes an object as-is (no validation): for status fields set by system components.
    pub(crate) fn put_raw(&mut self, object: Object) {
        self.store.put_shared(object);
    }
}

/// Jobs without `manualSelector` select their own pods by controller uid (PrepareForCreate).
fn generate_job_selector(job: &mut k8s_openapi::api::batch::v1::Job, uid: &str) {
    use crate::controllers::job::{CONTROLLER_UID, JOB_NAME};
    let name = job.metadata.name.clone().unwrap_or_default();
    let Some(spec) = job.spec.as_mut() else {
        return;
    };
    if spec.manual_selector == Some(true) {
        return;
    }
    spec.selector = Some(
        k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
            match_labels: Some([(CONTROLLER_UID.to_owned(), uid.to_owned())].into()),
            match_expressions: None,
        },
    );
    let labels = spec
        .template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default);
    for (k, v) in [
        (CONTROLLER_UID, uid),
        (JOB_NAME, name.as_str()),
        ("controller-uid", uid),
        ("job-name", name.as_str()),
    ] {
        labels.insert(k.to_owned(), v.to_owned());
    }
    // SetDefaults_Job copies the template's labels onto a Job that has none. The apiserver
    // applies defaults again whenever it reads the Job back, after the selector labels were
    // added, so every client sees them (`kubectl describe job pi` in the docs shows them).
    if job.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
        job.metadata.labels = Some(labels.clone());
    }
}

/// The v1 DaemonSet carries the internal `spec.templateGeneration` as this annotation.
const TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

fn template_generation(meta: &ObjectMeta) -> i64 {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(TEMPLATE_GENERATION))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn set_template_generation(meta: &mut ObjectMeta, generation: i64) {
    meta.annotations
        .get_or_insert_with(Default::default)
        .insert(TEMPLATE_GENERATION.to_owned(), generation.to_string());
}

/// Kinds whose spec changes bump `metadata.generation` (workload controllers).
fn has_generation(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Deployment
            | Kind::ReplicaSet
            | Kind::ReplicationController
            | Kind::DaemonSet
            | Kind::StatefulSet
            | Kind::Job
            | Kind::CronJob
            | Kind::PriorityClass
            | Kind::PodDisruptionBudget
            | Kind::HorizontalPodAutoscaler
            | Kind::Ingress
            | Kind::IngressClass
            | Kind::NetworkPolicy
    )
}

/// Copies `status` from one object into another of the same kind.
fn copy_status(from: &Object, to: &mut Object) {
    to.set_status_from(from);
}

fn add_default_tolerations(spec: &mut k8s_openapi::api::core::v1::PodSpec) {
    use k8s_openapi::api::core::v1::Toleration;
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        let present = tolerations
            .iter()
            .any(|t| t.key.as_deref() == Some(key) && t.effect.as_deref() == Some("NoExecute"));
        let tolerates_all = tolerations
            .iter()
            .any(|t| t.key.is_none() && t.operator.as_deref() == Some("Exists"));
        if !present && !tolerates_all {
            tolerations.push(Toleration {
                effect: Some("NoExecute".to_owned()),
                key: Some(key.to_owned()),
                operator: Some("Exists".to_owned()),
                toleration_seconds: Some(300),
                value: None,
            });
        }
    }
}

/// `Guaranteed`, `Burstable` or `BestEffort`, from requests and limits.
pub fn qos_class(spec: Option<&k8s_openapi::api::core::v1::PodSpec>) -> &'static str {
    let Some(spec) = spec else {
        return "BestEffort";
    };
    let mut any = false;
    let mut guaranteed = true;
    for c in &spec.containers {
        let res = c.resources.as_ref();
        let requests = res.and_then(|r| r.requests.clone()).unwrap_or_default();
        let limits = res.and_then(|r| r.limits.clone()).unwrap_or_default();
        if !requests.is_empty() || !limits.is_empty() {
            any = true;
        }
        for r in ["cpu", "memory"] {
            match (requests.get(r), limits.get(r)) {
                (Some(a), Some(b)) if a == b => {}
                _ => guaranteed = false,
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

/// Sets `patch[k] = null` for fields that were in the last applied manifest but were dropped.
fn remove_dropped_fields(last: &Value, desired: &Value, patch: &mut Value) {
    let (Some(last), Some(patch_map)) = (last.as_object(), patch.as_object_mut()) else {
        return;
    };
    for (key, old) in last {
        match desired.get(key) {
            None => {
                patch_map.insert(key.clone(), Value::Null);
            }
            Some(new) if old.is_object() && new.is_object() => {
                if let Some(child) = patch_map.get_mut(key) {
                    remove_dropped_fields(old, new, child);
                }
            }
            Some(Value::Array(new)) if old.is_array() && merge_key(key).is_some() => {
                if let Some(Value::Array(items)) = patch_map.get_mut(key) {
                    remove_dropped_items(
                        old.as_array().map_or(&[], Vec::as_slice),
                        new,
                        items,
                        key,
                    );
                }
            }
            Some(_) => {}
        }
    }
}

/// For a list with a merge key: `$patch: delete` for items the last applied manifest had and
/// the new one dropped, and dropped fields inside the items both have.
fn remove_dropped_items(last: &[Value], desired: &[Value], patch: &mut Vec<Value>, field: &str) {
    for old in last {
        let Some((key, id)) = item_key(old, field) else {
            continue;
        };
        let same = |item: &&Value| item_key(item, field).is_some_and(|(_, x)| x == id);
        match desired.iter().find(same) {
            None => patch.push(serde_json::json!({ key: id, "$patch": "delete" })),
            Some(new) => {
                if let Some(item) = patch
                    .iter_mut()
                    .find(|item| item_key(item, field).is_some_and(|(_, x)| x == id))
                {
                    remove_dropped_fields(old, new, item);
                }
            }
        }
    }
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(patch_map) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Some(map) = target.as_object_mut() {
        for (key, value) in patch_map {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// The merge key of a list field for strategic merge patch (from the Go struct tags).
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => "name",
        "ports" => "containerPort",
        "volumeMounts" => "mountPath",
        "conditions" => "type",
        "ownerReferences" => "uid",
        _ => return None,
    })
}

/// An item's merge key and value in a list field with one. `ports` is a container's
/// (`containerPort`) or a Service's (`port`): the field name alone does not tell them apart.
fn item_key<'a>(item: &'a Value, field: &str) -> Option<(&'static str, &'a Value)> {
    let key = merge_key(field)?;
    match item.get(key) {
        Some(id) => Some((key, id)),
        None if field == "ports" => item.get("port").map(|id| ("port", id)),
        None => None,
    }
}

/// Strategic merge patch for the list fields kubectl apply, edit and set image rely on.
pub fn strategic_merge(target: &mut Value, patch: &Value, field: &str) {
    if let (Some(current), Some(items)) = (target.as_array_mut(), patch.as_array())
        && merge_key(field).is_some()
    {
        // `{"$patch": "replace"}` in a list: the other items replace the list whole.
        let replace = |i: &Value| i.get("$patch").and_then(Value::as_str) == Some("replace");
        if items.iter().any(replace) {
            *current = items.iter().filter(|i| !replace(i)).cloned().collect();
            return;
        }
        for item in items {
            let id = item_key(item, field).map(|(_, id)| id);
            if item.get("$patch").and_then(Value::as_str) == Some("delete") {
                current.retain(|c| item_key(c, field).map(|(_, id)| id) != id);
                continue;
            }
            match current
                .iter_mut()
                .find(|c| id.is_some() && item_key(c, field).map(|(_, id)| id) == id)
            {
                Some(existing) => strategic_merge(existing, item, ""),
                None => current.push(item.clone()),
            }
        }
        // Items the patch lists keep their patch order; others follow (apply semantics).
        let order: Vec<Option<&Value>> = items
            .iter()
            .map(|i| item_key(i, field).map(|(_, id)| id))
            .collect();
        crate::stable_sort::sort_by_key(current, |c| {
            let id = item_key(c, field).map(|(_, id)| id);
            order
                .iter()
                .position(|o| o.is_some() && *o == id)
                .unwrap_or(usize::MAX)
        });
        return;
    }
    let Some(patch_map) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Some(map) = target.as_object_mut() {
        for (key, value) in patch_map {
            if key.starts_with("$") {
                continue;
            }
            if value.is_null() {
                map.remove(key);
            } else {
                strategic_merge(map.entry(key.clone()).or_insert(Value::Null), value, key);
            }
        }
    }
}

/// The strategic merge patch that turns `original` into `modified`, as kubectl edit computes
/// it (`CreateTwoWayMergePatch`) so that changes made meanwhile by others survive: changed
/// fields, `null` for removed ones, and in lists with a merge key every kept item by its key
/// (changed fields only), new items whole and `$patch: delete` for removed ones.
pub fn two_way_merge_patch(original: &Value, modified: &Value) -> Value {
    diff_value(original, modified, "").unwrap_or_else(|| Value::Object(Default::default()))
}

fn diff_value(original: &Value, modified: &Value, field: &str) -> Option<Value> {
    if original == modified {
        return None;
    }
    match (original, modified) {
        (Value::Object(old), Value::Object(new)) => {
            let mut patch = serde_json::Map::new();
            for (key, value) in new {
                match old.get(key) {
                    None => {
                        patch.insert(key.clone(), value.clone());
                    }
                    Some(before) => {
                        if let Some(change) = diff_value(before, value, key) {
                            patch.insert(key.clone(), change);
                        }
                    }
                }
            }
            for key in old.keys() {
                if !new.contains_key(key) {
                    patch.insert(key.clone(), Value::Null);
                }
            }
            Some(Value::Object(patch))
        }
        (Value::Array(old), Value::Array(new)) if merge_key(field).is_some() => {
            Some(Value::Array(diff_keyed_list(old, new, field)))
        }
        _ => Some(modified.clone()),
    }
}

fn diff_keyed_list(old: &[Value], new: &[Value], field: &str) -> Vec<Value> {
    let keyed = |items: &[Value]| items.iter().all(|i| item_key(i, field).is_some());
    if !keyed(old) || !keyed(new) {
        let mut items = vec![serde_json::json!({ "$patch": "replace" })];
        items.extend(new.iter().cloned());
        return items;
    }
    let find = |items: &'_ [Value], id: &Value| {
        items
            .iter()
            .position(|i| item_key(i, field).is_some_and(|(_, x)| x == id))
    };
    let mut patch = Vec::new();
    for item in new {
        let Some((key, id)) = item_key(item, field) else {
            continue;
        };
        match find(old, id) {
            Some(at) => {
                let mut change = match diff_value(&old[at], item, "") {
                    Some(Value::Object(map)) => map,
                    _ => serde_json::Map::new(),
                };
                change.insert(key.to_owned(), id.clone());
                patch.push(Value::Object(change));
            }
            None => patch.push(item.clone()),
        }
    }
    for item in old {
        if let Some((key, id)) = item_key(item, field)
            && find(new, id).is_none()
        {
            patch.push(serde_json::json!({ key: id, "$patch": "delete" }));
        }
    }
    patch
}

/// An ownerReference naming `owner` as the managing controller.
pub fn controller_ref(owner: &Object) -> OwnerReference {
    OwnerReference {
        api_version: owner.kind().api_version().to_owned(),
        kind: owner.kind().name().to_owned(),
        name: owner.name().to_owned(),
        uid: owner.uid().to_owned(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The controller ownerReference of an object, if any.
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
}

/// The typed decoder gives a StatefulSet's volumeClaimTemplates the `apiVersion`/`kind` every
/// serialised PersistentVolumeClaim carries; kubectl records the manifest as written, which
/// (as in the docs' examples) leaves them out.
fn drop_claim_template_type_meta(desired: &mut Value) {
    if desired.get("kind").and_then(Value::as_str) != Some("StatefulSet") {
        return;
    }
    let templates = desired
        .pointer_mut("/spec/volumeClaimTemplates")
        .and_then(Value::as_array_mut);
    for template in templates.into_iter().flatten() {
        if let Some(template) = template.as_object_mut() {
            template.remove("apiVersion");
            template.remove("kind");
        }
    }
}

/// `IsOnlyMutatingGCFields`: the write changes nothing but owner references and finalizers
/// (the garbage collector's fields), which RBAC's escalation check lets through.
fn only_gc_fields_change(new: &Object, old: &Object) -> bool {
    let mut copy = new.clone();
    let (meta, before) = (copy.meta_mut(), old.meta());
    meta.owner_references = before.owner_references.clone();
    meta.finalizers = before.finalizers.clone();
    meta.managed_fields = before.managed_fields.clone();
    meta.resource_version = before.resource_version.clone();
    copy == *old
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc7386() {
        let mut doc = serde_json::json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        merge_patch(
            &mut doc,
            &serde_json::json!({"a": {"b": null, "d": 3}, "l": [3]}),
        );
        assert_eq!(doc, serde_json::json!({"a": {"c": 2, "d": 3}, "l": [3]}));
    }

    #[test]
    fn strategic_merge_merges_containers_by_name() {
        let mut doc = serde_json::json!({"spec": {"containers": [
            {"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}});
        strategic_merge(
            &mut doc,
            &serde_json::json!({"spec": {"containers": [{"name": "b", "image": "y:2"}]}}),
            "",
        );
        assert_eq!(doc["spec"]["containers"][0]["image"], "y:2");
        assert_eq!(doc["spec"]["containers"][1]["image"], "x:1");
    }

    #[test]
    fn timestamps_start_at_the_fixed_epoch() {
        let t = timestamp(VirtualTime::from_millis(61_000));
        assert_eq!(
            serde_json::to_value(&t).ok(),
            Some(Value::String("2026-01-01T00:01:01Z".into()))
        );
        assert_eq!(virtual_time(&t).as_millis(), 61_000);
    }
    /// Applying the two-way patch of (a, b) to a must give b.
    fn round_trips(original: Value, modified: Value) -> Value {
        let patch = two_way_merge_patch(&original, &modified);
        let mut doc = original;
        strategic_merge(&mut doc, &patch, "");
        assert_eq!(doc, modified, "patch {patch}");
        patch
    }

    #[test]
    fn two_way_patches_carry_only_the_changes() {
        let original = serde_json::json!({"metadata": {"name": "web", "labels": {"a": "1"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "c", "image": "nginx", "env": [{"name": "A", "value": "1"},
                    {"name": "B", "value": "2"}], "args": ["x", "y"]},
                {"name": "d", "image": "busybox"}]}}}});
        let modified = serde_json::json!({"metadata": {"name": "web", "labels": {"b": "2"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [
                {"name": "d", "image": "busybox:1.36"},
                {"name": "c", "image": "nginx", "env": [{"name": "B", "value": "2"},
                    {"name": "C", "value": "3"}], "args": ["y"]}]}}}});
        let patch = round_trips(original.clone(), modified);
        assert_eq!(
            patch,
            serde_json::json!({"metadata": {"labels": {"a": null, "b": "2"}},
                "spec": {"replicas": 3, "template": {"spec": {"containers": [
                    {"name": "d", "image": "busybox:1.36"},
                    {"name": "c", "env": [{"name": "B"}, {"name": "C", "value": "3"},
                        {"name": "A", "$patch": "delete"}], "args": ["y"]}]}}}})
        );
        assert_eq!(
            two_way_merge_patch(&original, &original),
            serde_json::json!({})
        );
    }

    #[test]
    fn service_ports_merge_by_port_and_keyless_lists_are_replaced() {
        let original = serde_json::json!({"spec": {"ports": [
            {"port": 80, "targetPort": 8080}, {"port": 443}]}});
        let modified = serde_json::json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}});
        let patch = round_trips(original, modified);
        assert_eq!(
            patch,
            serde_json::json!({"spec": {"ports": [{"port": 80, "targetPort": 9090},
                {"port": 443, "$patch": "delete"}]}})
        );
        // Items without their merge key cannot be matched: the list is replaced whole.
        round_trips(
            serde_json::json!({"volumes": [{"emptyDir": {}}]}),
            serde_json::json!({"volumes": [{"name": "v", "emptyDir": {}}]}),
        );
    }
}
