//! Container filesystems: an in-memory tree per container plus a pod's shared volumes.
//!
//! **Ownership.** The kubelet owns one [`Fs`] per container (its writable root, seeded by
//! [`Fs::for_container`]) and one [`Volumes`] per pod (emptyDir, configMap, secret and the
//! service-account projection, each an [`Fs`] keyed by volume name). To run a process it builds a
//! [`MountedFs`] borrowing the container's root, the pod's volumes and the container's
//! [`Mount`]s; paths under a mount point resolve into the volume, so two containers mounting the
//! same emptyDir see each other's writes (the sidecar pattern).
//!
//! **Bounds.** Every [`Fs`] has a byte capacity ([`DEFAULT_CAPACITY`] unless set); a write that
//! would exceed it fails with `No space left on device`. Paths are limited to [`MAX_PATH`] bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::image::Image;

/// Default capacity of one filesystem (container root or volume), in bytes.
pub const DEFAULT_CAPACITY: u64 = 16 * 1024 * 1024;
/// Longest accepted path, in bytes (Linux's PATH_MAX).
pub const MAX_PATH: usize = 4096;

/// A filesystem error; `Display` is the errno text busybox and coreutils print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum FsError {
    /// ENOENT.
    #[error("No such file or directory")]
    NotFound,
    /// EISDIR.
    #[error("Is a directory")]
    IsDir,
    /// ENOTDIR.
    #[error("Not a directory")]
    NotDir,
    /// EEXIST.
    #[error("File exists")]
    Exists,
    /// ENOTEMPTY.
    #[error("Directory not empty")]
    NotEmpty,
    /// EROFS (read-only volume mounts: configMap, secret, service account).
    #[error("Read-only file system")]
    ReadOnly,
    /// ENOSPC.
    #[error("No space left on device")]
    NoSpace,
    /// ENAMETOOLONG.
    #[error("File name too long")]
    NameTooLong,
    /// EBUSY (removing a mount point).
    #[error("Resource busy")]
    Busy,
}

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// An executable provided by the image (`/bin/sh`): present but not stored in the tree.
    ImageBinary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Node {
    Dir,
    File(String),
}

/// The one device whose writes vanish (`cp f /dev/null`, `tee /dev/null`).
const NULL_DEVICE: &str = "/dev/null";

/// One in-memory filesystem: a flat map from normalised absolute path to node. Directories are
/// explicit entries; `/` always exists.
///
/// **Layers.** The map is two layers: a shared, read-only `base` (an image's files, built once
/// and shared by every container of that image through [`Fs::freeze`]d copies) and the
/// filesystem's `own` changes on top (a `None` entry hides a base entry: a whiteout). Cloning a
/// frozen filesystem copies no file; writing to a base file copies that one file. Ten thousand
/// containers of one image keep one copy of its directories and files, and a lookup touches a
/// small map of this container's own files plus a base that stays in cache.
///
/// Equality and serialisation see only the merged view, so the layers are invisible outside.
#[derive(Debug, Clone)]
pub struct Fs {
    base: Arc<BTreeMap<String, Node>>,
    own: Own,
    used_bytes: u64,
    capacity: u64,
}

impl Default for Fs {
    fn default() -> Self {
        Fs::new(DEFAULT_CAPACITY)
    }
}

thread_local! {
    /// The base of every new filesystem: only `/` (shared, so an empty volume allocates
    /// nothing).
    static ROOT_ONLY: Arc<BTreeMap<String, Node>> =
        Arc::new(BTreeMap::from([("/".to_string(), Node::Dir)]));
}

/// A filesystem's own entries (see [`Fs`]): sorted by path, searched by bisection. A container
/// changes a handful of paths, and a short vector is both smaller than a tree node and touches
/// fewer cache lines per lookup (exec probes read a file every period).
#[derive(Debug, Clone, Default)]
struct Own(Vec<(String, Option<Node>)>);

impl Own {
    fn find(&self, path: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(path))
    }

    fn get(&self, path: &str) -> Option<&Option<Node>> {
        self.find(path).ok().map(|i| &self.0[i].1)
    }

    fn get_mut(&mut self, path: &str) -> Option<&mut Option<Node>> {
        self.find(path).ok().map(|i| &mut self.0[i].1)
    }

    /// Sets `path`'s entry; returns the previous one.
    fn insert(&mut self, path: &str, node: Option<Node>) -> Option<Option<Node>> {
        match self.find(path) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, node)),
            Err(i) => {
                self.0.insert(i, (path.to_string(), node));
                None
            }
        }
    }

    fn remove(&mut self, path: &str) -> Option<Option<Node>> {
        self.find(path).ok().map(|i| self.0.remove(i).1)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries from `path` on, in order.
    fn starting_at(&self, path: &str) -> impl Iterator<Item = (&String, &Option<Node>)> {
        let start = self.find(path).unwrap_or_else(|i| i);
        self.0[start..].iter().map(|(k, node)| (k, node))
    }
}

/// The serialised form (the merged entries), as the single-map `Fs` was saved.
#[derive(Serialize)]
#[serde(rename = "Fs")]
struct FsOut<'a> {
    entries: Merged<'a>,
    used_bytes: u64,
    capacity: u64,
}

#[derive(Deserialize)]
#[serde(rename = "Fs")]
struct FsIn {
    entries: BTreeMap<String, Node>,
    used_bytes: u64,
    capacity: u64,
}

struct Merged<'a>(&'a Fs);

impl Serialize for Merged<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.merged_range(""))
    }
}

impl Serialize for Fs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        FsOut {
            entries: Merged(self),
            used_bytes: self.used_bytes,
            capacity: self.capacity,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Fs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let saved = FsIn::deserialize(deserializer)?;
        Ok(Fs {
            base: Arc::new(saved.entries),
            own: Own::default(),
            used_bytes: saved.used_bytes,
            capacity: saved.capacity,
        })
    }
}

impl PartialEq for Fs {
    fn eq(&self, other: &Self) -> bool {
        self.used_bytes == other.used_bytes
            && self.capacity == other.capacity
            && self.merged_range("").eq(other.merged_range(""))
    }
}

impl Eq for Fs {}

/// What the kubelet knows about a pod that shows up in its containers' files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodIdentity {
    /// The pod's hostname (`metadata.name` or `spec.hostname`).
    pub hostname: String,
    /// The pod's namespace.
    pub namespace: String,
    /// The pod IP (for /etc/hosts).
    pub pod_ip: String,
    /// The cluster DNS server (`10.96.0.10`).
    pub nameserver: String,
    /// resolv.conf search domains (`default.svc.cluster.local svc.cluster.local cluster.local`).
    pub search: Vec<String>,
}

impl PodIdentity {
    /// A pod identity with the kubeadm defaults: nameserver 10.96.0.10, search
    /// `<ns>.svc.cluster.local svc.cluster.local cluster.local`.
    pub fn new(hostname: &str, namespace: &str, pod_ip: &str) -> Self {
        PodIdentity {
            hostname: hostname.to_string(),
            namespace: namespace.to_string(),
            pod_ip: pod_ip.to_string(),
            nameserver: "10.96.0.10".to_string(),
            search: vec![
                format!("{namespace}.svc.cluster.local"),
                "svc.cluster.local".to_string(),
                "cluster.local".to_string(),
            ],
        }
    }

    /// The contents of /etc/resolv.conf the kubelet writes.
    pub fn resolv_conf(&self) -> String {
        format!(
            "search {}\nnameserver {}\noptions ndots:5\n",
            self.search.join(" "),
            self.nameserver
        )
    }

    /// The contents of /etc/hosts the kubelet writes.
    pub fn hosts_file(&self) -> String {
        format!(
            "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n{}\t{}\n",
            self.pod_ip, self.hostname
        )
    }
}

/// Normalises a path against a working directory: absolute, no `.`/`..`, no trailing slash.
pub fn normalize(cwd: &str, path: &str) -> Result<String, FsError> {
    if path.len() > MAX_PATH {
        return Err(FsError::NameTooLong);
    }
    let mut parts: Vec<&str> = Vec::new();
    let joined_cwd = if path.starts_with('/') { "" } else { cwd };
    for part in joined_cwd.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for part in parts {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// `path` starts with `children_prefix(dir)`, without building the prefix (this runs for
/// every mount on every file access, exec probes included).
fn is_below(path: &str, dir: &str) -> bool {
    if dir == "/" {
        path.starts_with('/')
    } else {
        path.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

fn children_prefix(dir: &str) -> String {
    if dir == "/" {
        "/".to_string()
    } else {
        format!("{dir}/")
    }
}

impl Fs {
    /// An empty filesystem (only `/`) with the given capacity in bytes.
    pub fn new(capacity: u64) -> Self {
        Fs {
            base: ROOT_ONLY.with(Arc::clone),
            own: Own::default(),
            used_bytes: 0,
            capacity,
        }
    }

    /// A container's root filesystem seeded from its image and pod: /etc/hostname, /etc/hosts,
    /// /etc/resolv.conf, /etc/os-release, /tmp, /root, /var/log, the image's static content
    /// (nginx's html files, httpd's index.html).
    pub fn for_container(image: Image, pod: &PodIdentity) -> Fs {
        Fs::for_container_on(&Fs::image_root(image), pod)
    }

    /// The part of a container's root that depends only on its image (directories,
    /// /etc/passwd, /etc/os-release, the image's static content), frozen: keep one per image
    /// and start containers from it with [`Fs::for_container_on`].
    pub fn image_root(image: Image) -> Fs {
        let mut fs = Fs::default();
        for dir in [
            "/bin",
            "/dev",
            "/etc",
            "/home",
            "/proc",
            "/root",
            "/sys",
            "/tmp",
            "/usr",
            "/var",
            "/var/log",
            "/var/run",
            "/dev/mqueue",
            "/dev/pts",
            "/dev/shm",
        ] {
            fs.seed_dir(dir);
        }
        // The runtime's device nodes, as plain files: `/dev/null` reads empty and
        // `MountedFs::write` discards what is written to it; the kubelet's termination-message
        // file starts empty.
        for device in [NULL_DEVICE, "/dev/termination-log"] {
            fs.seed_file(device, "");
        }
        fs.seed_file(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
        );
        if let Some(pretty) = image.os_pretty_name() {
            fs.seed_file("/etc/os-release", &format!("PRETTY_NAME=\"{pretty}\"\n"));
        }
        for (path, content) in crate::server::image_files(image) {
            fs.seed_file(path, &content);
        }
        fs.freeze();
        fs
    }

    /// A container's root from its image's [`Fs::image_root`] (shared, not copied) plus the
    /// pod's files (/etc/hostname, /etc/hosts, /etc/resolv.conf).
    pub fn for_container_on(image_root: &Fs, pod: &PodIdentity) -> Fs {
        let mut fs = image_root.clone();
        fs.seed_file("/etc/hostname", &format!("{}\n", pod.hostname));
        fs.seed_file("/etc/hosts", &pod.hosts_file());
        fs.seed_file("/etc/resolv.conf", &pod.resolv_conf());
        fs
    }

    /// The service-account projection (`namespace`, `token`, `ca.crt`) as a volume to mount
    /// read-only at `/var/run/secrets/kubernetes.io/serviceaccount`.
    pub fn service_account_volume(namespace: &str, token: &str, ca_crt: &str) -> Fs {
        let mut fs = Fs::default();
        fs.seed_file("/namespace", namespace);
        fs.seed_file("/token", token);
        fs.seed_file("/ca.crt", ca_crt);
        fs
    }

    /// A volume with one file per key (configMap and secret volumes); values are the decoded data.
    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Fs {
        let mut fs = Fs::default();
        for (name, content) in files {
            if let Ok(path) = normalize("/", name) {
                fs.seed_file(&path, content);
            }
        }
        fs
    }

    /// Makes everything this filesystem holds its shared base, so clones share it (see the
    /// type's docs). The contents do not change.
    pub fn freeze(&mut self) {
        if self.own.is_empty() {
            return;
        }
        let mut merged = Arc::unwrap_or_clone(std::mem::take(&mut self.base));
        for (path, node) in std::mem::take(&mut self.own).0 {
            match node {
                Some(node) => merged.insert(path, node),
                None => merged.remove(&path),
            };
        }
        self.base = Arc::new(merged);
    }

    fn seed_dir(&mut self, path: &str) {
        let _ = self.mkdir(path, true);
    }

    fn seed_file(&mut self, path: &str, content: &str) {
        let _ = self.mkdir(parent_of(path), true);
        let _ = self.write(path, content, false);
    }

    /// Bytes stored in files.
    pub fn used_bytes(&self) -> u64 {
        self.used_bytes
    }

    /// The node at `path`: this filesystem's own entry, else the base's.
    fn get(&self, path: &str) -> Option<&Node> {
        match self.own.get(path) {
            Some(own) => own.as_ref(),
            None => self.base.get(path),
        }
    }

    fn insert(&mut self, path: &str, node: Node) {
        self.own.insert(path, Some(node));
    }

    /// Removes `path`, hiding the base's entry if it has one; returns what was there.
    fn delete(&mut self, path: &str) -> Option<Node> {
        if self.base.contains_key(path) {
            let hidden = self.own.insert(path, None);
            match hidden {
                Some(own) => own,
                None => self.base.get(path).cloned(),
            }
        } else {
            self.own.remove(path).flatten()
        }
    }

    /// Entries whose path starts with `prefix`, in path order, layers merged.
    fn merged_range<'s>(&'s self, prefix: &'s str) -> impl Iterator<Item = (&'s str, &'s Node)> {
        let mut own = self
            .own
            .starting_at(prefix)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .peekable();
        let mut base = self
            .base
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .peekable();
        std::iter::from_fn(move || {
            loop {
                let order = match (own.peek(), base.peek()) {
                    (None, None) => return None,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some((a, _)), Some((b, _))) => a.as_str().cmp(b.as_str()),
                };
                // An own entry replaces (or hides) the base's entry at the same path.
                if order == std::cmp::Ordering::Equal {
                    base.next();
                }
                let take_own = order != std::cmp::Ordering::Greater;
                if take_own {
                    let (k, node) = own.next()?;
                    if let Some(node) = node {
                        return Some((k.as_str(), node));
                    }
                } else {
                    let (k, node) = base.next()?;
                    return Some((k.as_str(), node));
                }
            }
        })
    }

    /// What `path` (normalised, absolute) is, if it exists.
    pub fn kind(&self, path: &str) -> Option<FileKind> {
        self.get(path).map(|node| match node {
            Node::Dir => FileKind::Dir,
            Node::File(_) => FileKind::File,
        })
    }

    /// A file's contents.
    pub fn read(&self, path: &str) -> Result<&str, FsError> {
        match self.get(path) {
            Some(Node::File(content)) => Ok(content),
            Some(Node::Dir) => Err(FsError::IsDir),
            None => Err(self.missing_error(path)),
        }
    }

    fn missing_error(&self, path: &str) -> FsError {
        // ENOTDIR when an ancestor is a file.
        let mut ancestor = parent_of(path);
        loop {
            match self.get(ancestor) {
                Some(Node::File(_)) => return FsError::NotDir,
                Some(Node::Dir) => return FsError::NotFound,
                None if ancestor == "/" => return FsError::NotFound,
                None => ancestor = parent_of(ancestor),
            }
        }
    }

    /// Writes (or appends to) a file; the parent directory must exist.
    pub fn write(&mut self, path: &str, content: &str, append: bool) -> Result<(), FsError> {
        match self.get(parent_of(path)) {
            Some(Node::Dir) => {}
            Some(Node::File(_)) => return Err(FsError::NotDir),
            None => return Err(self.missing_error(path)),
        }
        let old_len = match self.get(path) {
            Some(Node::Dir) => return Err(FsError::IsDir),
            Some(Node::File(old)) => old.len() as u64,
            None => 0,
        };
        let new_len = if append {
            old_len + content.len() as u64
        } else {
            content.len() as u64
        };
        let used = self.used_bytes - old_len + new_len;
        if used > self.capacity {
            return Err(FsError::NoSpace);
        }
        self.used_bytes = used;
        match self.own.get_mut(path) {
            Some(Some(Node::File(old))) if append => old.push_str(content),
            Some(Some(Node::File(old))) => {
                old.clear();
                old.push_str(content);
            }
            _ => {
                // New here, or a base file copied up before it changes.
                let text = match self.base.get(path) {
                    Some(Node::File(old)) if append => format!("{old}{content}"),
                    _ => content.to_string(),
                };
                self.insert(path, Node::File(text));
            }
        }
        Ok(())
    }

    /// Creates a directory (and, with `parents`, its missing ancestors; then an existing
    /// directory is not an error).
    pub fn mkdir(&mut self, path: &str, parents: bool) -> Result<(), FsError> {
        match self.get(path) {
            Some(Node::Dir) if parents => return Ok(()),
            Some(_) => return Err(FsError::Exists),
            None => {}
        }
        let parent = parent_of(path);
        match self.get(parent) {
            Some(Node::Dir) => {}
            Some(Node::File(_)) => return Err(FsError::NotDir),
            None if parents => self.mkdir(parent, true)?,
            None => return Err(self.missing_error(path)),
        }
        self.insert(path, Node::Dir);
        Ok(())
    }

    /// Removes a file, or a directory (recursively with `recursive`, else only if empty).
    pub fn remove(&mut self, path: &str, recursive: bool) -> Result<(), FsError> {
        match self.get(path) {
            None => Err(self.missing_error(path)),
            Some(Node::File(content)) => {
                self.used_bytes -= content.len() as u64;
                self.delete(path);
                Ok(())
            }
            Some(Node::Dir) => {
                if path == "/" {
                    return Err(FsError::Busy);
                }
                let prefix = children_prefix(path);
                let children: Vec<String> = self
                    .merged_range(&prefix)
                    .map(|(k, _)| k.to_string())
                    .collect();
                if !children.is_empty() && !recursive {
                    return Err(FsError::NotEmpty);
                }
                for child in children {
                    if let Some(Node::File(content)) = self.delete(&child) {
                        self.used_bytes -= content.len() as u64;
                    }
                }
                self.delete(path);
                Ok(())
            }
        }
    }

    /// Names directly inside a directory, sorted, with their kinds.
    pub fn list(&self, dir: &str) -> Result<Vec<(String, FileKind)>, FsError> {
        match self.get(dir) {
            Some(Node::Dir) => {}
            Some(Node::File(_)) => return Err(FsError::NotDir),
            None => return Err(self.missing_error(dir)),
        }
        let prefix = children_prefix(dir);
        Ok(self
            .merged_range(&prefix)
            .filter_map(|(k, node)| {
                let name = &k[prefix.len()..];
                (!name.is_empty() && !name.contains('/')).then(|| {
                    (
                        name.to_string(),
                        if matches!(node, Node::Dir) {
                            FileKind::Dir
                        } else {
                            FileKind::File
                        },
                    )
                })
            })
            .collect())
    }
}

/// A pod's volumes by name: a short vector sorted by name (a pod has one to a few volumes,
/// and a one-entry `BTreeMap` allocates a whole tree node, about 0.8 KB, per pod). Saved as a
/// map in name order, as the `BTreeMap` it replaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Volumes {
    by_name: Vec<(String, Fs)>,
}

impl Volumes {
    /// Adds (or replaces) a volume.
    pub fn insert(&mut self, name: &str, fs: Fs) {
        match self.position(name) {
            Ok(i) => self.by_name[i].1 = fs,
            Err(i) => self.by_name.insert(i, (name.to_string(), fs)),
        }
    }

    /// The volume named `name`.
    pub fn get(&self, name: &str) -> Option<&Fs> {
        self.position(name).ok().map(|i| &self.by_name[i].1)
    }

    /// The volume named `name`, to change.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Fs> {
        self.position(name).ok().map(|i| &mut self.by_name[i].1)
    }

    /// Volumes in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Fs)> {
        self.by_name.iter().map(|(name, fs)| (name.as_str(), fs))
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.by_name
            .binary_search_by(|(existing, _)| existing.as_str().cmp(name))
    }
}

/// The saved form: `{"by_name": {name: fs, ...}}`, as when `by_name` was a `BTreeMap`.
#[derive(Serialize)]
struct VolumesRef<'a> {
    by_name: BTreeMap<&'a str, &'a Fs>,
}

#[derive(Deserialize)]
struct VolumesOwned {
    by_name: BTreeMap<String, Fs>,
}

impl Serialize for Volumes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        VolumesRef {
            by_name: self.iter().collect(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Volumes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let saved = VolumesOwned::deserialize(deserializer)?;
        Ok(Volumes {
            by_name: saved.by_name.into_iter().collect(),
        })
    }
}

/// A volume mount of one container (`volumeMounts[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// The pod volume's name.
    pub volume: String,
    /// Where it appears in the container (normalised absolute path).
    pub mount_path: String,
    /// Optional sub-path inside the volume.
    pub sub_path: Option<String>,
    /// Writes fail with `Read-only file system`.
    pub read_only: bool,
}

impl Mount {
    /// A read-write mount of `volume` at `mount_path`.
    pub fn new(volume: &str, mount_path: &str) -> Mount {
        Mount {
            volume: volume.to_string(),
            mount_path: normalize("/", mount_path).unwrap_or_else(|_| "/".to_string()),
            sub_path: None,
            read_only: false,
        }
    }

    /// The same mount, read-only.
    pub fn read_only(mut self) -> Mount {
        self.read_only = true;
        self
    }
}

/// The filesystem a process sees: its container's root with the pod's volumes mounted.
#[derive(Debug)]
pub struct MountedFs<'a> {
    /// The container's writable root.
    pub root: &'a mut Fs,
    /// The pod's volumes.
    pub volumes: &'a mut Volumes,
    /// This container's mounts.
    pub mounts: &'a [Mount],
    /// The image, for executables (`/bin/sh`) that are not stored in the tree.
    pub image: Option<Image>,
}

/// Where a path lands after mount resolution.
enum Target<'m> {
    Root,
    Volume { mount: &'m Mount, inner: String },
}

impl<'a> MountedFs<'a> {
    /// A view with no mounts.
    pub fn new(
        root: &'a mut Fs,
        volumes: &'a mut Volumes,
        mounts: &'a [Mount],
        image: Option<Image>,
    ) -> Self {
        MountedFs {
            root,
            volumes,
            mounts,
            image,
        }
    }

    fn target(&self, path: &str) -> Target<'a> {
        let mounts: &'a [Mount] = self.mounts;
        let best = mounts
            .iter()
            .filter(|m| path == m.mount_path || is_below(path, &m.mount_path))
            .max_by_key(|m| m.mount_path.len());
        match best {
            None => Target::Root,
            Some(mount) => {
                let rest = &path[mount.mount_path.len().min(path.len())..];
                let base = mount.sub_path.as_deref().map_or(String::from("/"), |s| {
                    normalize("/", s).unwrap_or_else(|_| "/".into())
                });
                let inner = normalize(&base, rest.trim_start_matches('/')).unwrap_or(base);
                Target::Volume { mount, inner }
            }
        }
    }

    fn fs_for(&mut self, target: &Target<'_>) -> Option<&mut Fs> {
        match target {
            Target::Root => Some(self.root),
            Target::Volume { mount, .. } => self.volumes.get_mut(&mount.volume),
        }
    }

    fn fs_ref(&self, target: &Target<'_>) -> Option<&Fs> {
        match target {
            Target::Root => Some(self.root),
            Target::Volume { mount, .. } => self.volumes.get(&mount.volume),
        }
    }

    fn inner<'p>(target: &'p Target<'_>, path: &'p str) -> &'p str {
        match target {
            Target::Root => path,
            Target::Volume { inner, .. } => inner,
        }
    }

    /// What a normalised absolute path names (image binaries included).
    pub fn kind(&self, path: &str) -> Option<FileKind> {
        let target = self.target(path);
        let found = self
            .fs_ref(&target)
            .and_then(|fs| fs.kind(Self::inner(&target, path)));
        found.or_else(|| {
            let image = self.image?;
            if image.has_executable(path) {
                Some(FileKind::ImageBinary)
            } else if is_image_dir(image, path) {
                Some(FileKind::Dir)
            } else {
                None
            }
        })
    }

    /// A file's contents (an image binary reads as a short ELF-ish marker).
    pub fn read(&self, path: &str) -> Result<&str, FsError> {
        let target = self.target(path);
        match self.fs_ref(&target) {
            Some(fs) => match fs.read(Self::inner(&target, path)) {
                Err(FsError::NotFound) if self.image.is_some_and(|i| i.has_executable(path)) => {
                    Ok("\u{7f}ELF")
                }
                other => other,
            },
            None => Err(FsError::NotFound),
        }
    }

    /// Writes or appends to a file (what goes to `/dev/null` is discarded).
    pub fn write(&mut self, path: &str, content: &str, append: bool) -> Result<(), FsError> {
        if path == NULL_DEVICE {
            return Ok(());
        }
        let target = self.target(path);
        if matches!(target, Target::Volume { mount, .. } if mount.read_only) {
            return Err(FsError::ReadOnly);
        }
        let inner = Self::inner(&target, path).to_string();
        self.fs_for(&target)
            .ok_or(FsError::NotFound)?
            .write(&inner, content, append)
    }

    /// Creates a directory.
    pub fn mkdir(&mut self, path: &str, parents: bool) -> Result<(), FsError> {
        let target = self.target(path);
        if matches!(target, Target::Volume { mount, .. } if mount.read_only) {
            return Err(FsError::ReadOnly);
        }
        let inner = Self::inner(&target, path).to_string();
        if inner == "/" && matches!(target, Target::Volume { .. }) {
            return if parents {
                Ok(())
            } else {
                Err(FsError::Exists)
            };
        }
        self.fs_for(&target)
            .ok_or(FsError::NotFound)?
            .mkdir(&inner, parents)
    }

    /// Removes a file or directory.
    pub fn remove(&mut self, path: &str, recursive: bool) -> Result<(), FsError> {
        let target = self.target(path);
        if let Target::Volume { mount, inner } = &target {
            if inner == "/" {
                return Err(FsError::Busy);
            }
            if mount.read_only {
                return Err(FsError::ReadOnly);
            }
        }
        let inner = Self::inner(&target, path).to_string();
        self.fs_for(&target)
            .ok_or(FsError::NotFound)?
            .remove(&inner, recursive)
    }

    /// Directory listing: stored entries, mount points directly inside, and image binaries.
    pub fn list(&self, dir: &str) -> Result<Vec<(String, FileKind)>, FsError> {
        let target = self.target(dir);
        let mut entries = match self
            .fs_ref(&target)
            .map(|fs| fs.list(Self::inner(&target, dir)))
        {
            Some(Ok(entries)) => entries,
            Some(Err(FsError::NotFound)) | None if self.kind(dir) == Some(FileKind::Dir) => {
                Vec::new()
            }
            Some(Err(e)) => return Err(e),
            None => return Err(FsError::NotFound),
        };
        let prefix = children_prefix(dir);
        for mount in self.mounts {
            if let Some(name) = mount.mount_path.strip_prefix(&prefix)
                && !name.is_empty()
            {
                let first = name.split('/').next().unwrap_or(name).to_string();
                if !entries.iter().any(|(n, _)| *n == first) {
                    entries.push((first, FileKind::Dir));
                }
            }
        }
        if let (Some(image), Target::Root) = (self.image, &target) {
            for name in image.commands() {
                if image.has_executable(&format!("{prefix}{name}"))
                    && !entries.iter().any(|(n, _)| n == name)
                {
                    entries.push((name.to_string(), FileKind::ImageBinary));
                }
            }
            for program in image.repository().programs {
                if let Some(name) = program.strip_prefix(&prefix) {
                    let first = name.split('/').next().unwrap_or(name);
                    let kind = if name.contains('/') {
                        FileKind::Dir
                    } else {
                        FileKind::ImageBinary
                    };
                    if !entries.iter().any(|(n, _)| n == first) {
                        entries.push((first.to_string(), kind));
                    }
                }
            }
        }
        entries.sort();
        Ok(entries)
    }
}

fn is_image_dir(image: Image, path: &str) -> bool {
    let prefix = children_prefix(path);
    image
        .repository()
        .programs
        .iter()
        .any(|p| p.starts_with(&prefix))
        || ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin"].contains(&path)
            && image.repository().toolbox != crate::image::Toolbox::Distroless
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_paths() {
        assert_eq!(normalize("/tmp", "a/../b/./c/").as_deref(), Ok("/tmp/b/c"));
        assert_eq!(normalize("/", "../..").as_deref(), Ok("/"));
        assert_eq!(normalize("/x", "/etc//hosts").as_deref(), Ok("/etc/hosts"));
        assert_eq!(
            normalize("/", &"a".repeat(MAX_PATH + 1)),
            Err(FsError::NameTooLong)
        );
    }

    #[test]
    fn files_dirs_and_errors() {
        let mut fs = Fs::new(100);
        assert_eq!(fs.write("/tmp/x", "hi", false), Err(FsError::NotFound));
        fs.mkdir("/tmp", false).expect("mkdir");
        fs.write("/tmp/x", "hi", false).expect("write");
        fs.write("/tmp/x", " there", true).expect("append");
        assert_eq!(fs.read("/tmp/x"), Ok("hi there"));
        assert_eq!(fs.read("/tmp/x/y"), Err(FsError::NotDir));
        assert_eq!(fs.read("/tmp"), Err(FsError::IsDir));
        assert_eq!(fs.remove("/tmp", false), Err(FsError::NotEmpty));
        assert_eq!(
            fs.write("/tmp/big", &"x".repeat(200), false),
            Err(FsError::NoSpace)
        );
        fs.remove("/tmp", true).expect("rm -r");
        assert_eq!(fs.used_bytes(), 0);
        assert_eq!(fs.kind("/tmp"), None);
    }

    #[test]
    fn containers_of_one_image_share_its_files_copy_on_write() {
        let image = crate::image::resolve("nginx:1.25").expect("nginx");
        let root = Fs::image_root(image);
        let mut a = Fs::for_container_on(&root, &PodIdentity::new("a", "default", "10.0.0.1"));
        let mut b = Fs::for_container_on(&root, &PodIdentity::new("b", "default", "10.0.0.2"));
        assert_eq!(
            a,
            Fs::for_container(image, &PodIdentity::new("a", "default", "10.0.0.1"))
        );
        assert_eq!(a.read("/etc/hostname"), Ok("a\n"));
        assert_eq!(b.read("/etc/hostname"), Ok("b\n"));
        let page = "/usr/share/nginx/html/index.html";
        let before = b.used_bytes();
        a.write(page, "<p>mine</p>", true)
            .expect("append to a base file");
        assert!(a.read(page).is_ok_and(|t| t.ends_with("<p>mine</p>")));
        assert!(b.read(page).is_ok_and(|t| !t.contains("mine")));
        a.remove("/usr/share/nginx", true)
            .expect("rm -r a base directory");
        assert_eq!(a.kind(page), None);
        assert_eq!(a.list("/usr/share").expect("ls"), Vec::new());
        assert_eq!(b.used_bytes(), before);
        assert_eq!(b.list("/usr/share").expect("ls").len(), 1);
        a.mkdir("/usr/share/nginx", false)
            .expect("mkdir over a removed base directory");
        assert_eq!(a.list("/usr/share/nginx").expect("ls"), Vec::new());
        b.write("/tmp/healthy", "", false).expect("touch");
        assert_eq!(b.kind("/tmp/healthy"), Some(FileKind::File));
        assert_eq!(a.kind("/tmp/healthy"), None);
        // Saved as one flat map, as before layers; a restored copy equals the original.
        for fs in [&a, &b] {
            let json = serde_json::to_value(fs).expect("serialise");
            assert!(json["entries"]["/"].is_string(), "{json}");
            let back: Fs = serde_json::from_value(json).expect("deserialise");
            assert_eq!(&back, fs);
        }
    }

    #[test]
    fn volumes_keep_name_order_and_their_saved_map_form() {
        let mut volumes = Volumes::default();
        volumes.insert("logs", Fs::default());
        volumes.insert("data", Fs::from_files([("a", "1")]));
        volumes.insert("logs", Fs::from_files([("b", "2")]));
        let names: Vec<&str> = volumes.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["data", "logs"]);
        assert!(volumes.get("logs").is_some_and(|fs| fs.read("/b").is_ok()));
        assert!(volumes.get("missing").is_none());
        let saved = serde_json::to_value(&volumes).unwrap_or_default();
        let keys: Vec<&String> = saved["by_name"]
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["data", "logs"]);
        let restored: Option<Volumes> = serde_json::from_value(saved).ok();
        assert_eq!(restored.as_ref(), Some(&volumes));
    }

    #[test]
    fn volumes_are_shared_between_containers() {
        let image = crate::image::resolve("busybox:1.28").expect("busybox");
        let pod = PodIdentity::new("sidecar", "default", "10.244.1.5");
        let mut writer_root = Fs::for_container(image, &pod);
        let mut reader_root = Fs::for_container(image, &pod);
        let mut volumes = Volumes::default();
        volumes.insert("logs", Fs::default());
        let writer_mounts = [Mount::new("logs", "/var/log")];
        let reader_mounts = [Mount::new("logs", "/logs").read_only()];
        {
            let mut view =
                MountedFs::new(&mut writer_root, &mut volumes, &writer_mounts, Some(image));
            view.write("/var/log/app.log", "line 1\n", true)
                .expect("write");
        }
        let mut view = MountedFs::new(&mut reader_root, &mut volumes, &reader_mounts, Some(image));
        assert_eq!(view.read("/logs/app.log"), Ok("line 1\n"));
        assert_eq!(
            view.write("/logs/app.log", "x", true),
            Err(FsError::ReadOnly)
        );
        assert_eq!(view.read("/etc/hostname"), Ok("sidecar\n"));
        assert_eq!(view.kind("/bin/sh"), Some(FileKind::ImageBinary));
        let names: Vec<String> = view
            .list("/")
            .expect("ls /")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(
            names.contains(&"logs".to_string()) && names.contains(&"etc".to_string()),
            "{names:?}"
        );
    }
}
