//! The virtual filesystem: absolute, normalised paths to files and directories, serialisable
//! so it can be saved with the cluster state.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    Dir,
    File(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vfs {
    entries: BTreeMap<String, Entry>,
}

/// Joins `path` onto `cwd` (unless absolute) and normalises `.`/`..`/`~`.
pub fn resolve(cwd: &str, path: &str) -> String {
    let joined = if let Some(rest) = path.strip_prefix('~') {
        format!("/root{rest}")
    } else if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of a path.
pub fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Reads empty; what is written to it vanishes (`cp f /dev/null`, `tee /dev/null`).
const NULL_DEVICE: &str = "/dev/null";

impl Vfs {
    pub fn empty() -> Self {
        let mut entries = BTreeMap::new();
        for d in [
            "/",
            "/root",
            "/root/.kube",
            "/tmp",
            "/etc",
            "/etc/kubernetes",
            "/etc/kubernetes/manifests",
            "/dev",
        ] {
            entries.insert(d.to_owned(), Entry::Dir);
        }
        entries.insert(NULL_DEVICE.to_owned(), Entry::File(String::new()));
        Self { entries }
    }

    /// The filesystem a new session starts with; `examples` adds the seed notes' manifests
    /// under `/root`, their mistakes included.
    pub fn seeded(examples: bool) -> Self {
        let mut vfs = Self::empty();
        if examples {
            for (name, text) in EXAMPLES {
                vfs.entries
                    .insert(format!("/root/{name}"), Entry::File((*text).to_owned()));
            }
        }
        vfs
    }

    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.entries.get(path), Some(Entry::Dir))
    }

    pub fn exists(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    pub fn read(&self, path: &str) -> Result<String, String> {
        if path == NULL_DEVICE {
            // Sessions saved before `/dev` existed read it too.
            return Ok(String::new());
        }
        match self.entries.get(path) {
            Some(Entry::File(s)) => Ok(s.clone()),
            Some(Entry::Dir) => Err("Is a directory".to_owned()),
            None => Err("No such file or directory".to_owned()),
        }
    }

    pub fn write(&mut self, path: &str, contents: &str, append: bool) -> Result<(), String> {
        if path == NULL_DEVICE {
            return Ok(());
        }
        if self.is_dir(path) {
            return Err("Is a directory".to_owned());
        }
        if !self.is_dir(parent(path)) {
            return Err("No such file or directory".to_owned());
        }
        match self.entries.get_mut(path) {
            Some(Entry::File(s)) if append => s.push_str(contents),
            _ => {
                self.entries
                    .insert(path.to_owned(), Entry::File(contents.to_owned()));
            }
        }
        Ok(())
    }

    pub fn mkdir(&mut self, path: &str, parents: bool) -> Result<(), String> {
        if self.exists(path) {
            return if parents {
                Ok(())
            } else {
                Err("File exists".to_owned())
            };
        }
        if !self.is_dir(parent(path)) {
            if parents {
                self.mkdir(parent(path), true)?;
            } else {
                return Err("No such file or directory".to_owned());
            }
        }
        self.entries.insert(path.to_owned(), Entry::Dir);
        Ok(())
    }

    /// Removes a file, or a directory with everything below it.
    pub fn remove(&mut self, path: &str) {
        let prefix = format!("{path}/");
        self.entries
            .retain(|k, _| k != path && !k.starts_with(&prefix));
    }

    /// Direct children of a directory, sorted by name.
    pub fn children(&self, dir: &str) -> Vec<(String, bool)> {
        let prefix = if dir == "/" {
            "/".to_owned()
        } else {
            format!("{dir}/")
        };
        self.entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains('/'))
            .map(|(k, e)| (k[prefix.len()..].to_owned(), matches!(e, Entry::Dir)))
            .collect()
    }

    /// Every file below a directory, recursively, sorted.
    pub fn files_under(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.entries
            .iter()
            .filter(|(k, e)| k.starts_with(&prefix) && matches!(e, Entry::File(_)))
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// The seed notes' example manifests, as a learner would have typed them.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "my_rc.yaml",
        "apiVersion: v1
kind: ReplicationContoller
metadata:
  name: my-rc
spec:
  replicas: 3
  selector:
    app: my-nginx
  template:
    metadata:
      name: my-nginx
      labels:
        app: my-nginx
    spec:
      containers:
      - name: my-nginx
        image: nginx:latest
",
    ),
    (
        "replicaset.yaml",
        "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: my-replicaset
spec:
  replicas: 3
  selector:
    matchLabels:
      app: my-app
    matchExpressions:
    - {key: version, operator: In, values: [\"3.5\", \"2.1\"]}
  template:
    metadata:
      labels:
        app: my-app
        version: \"3.5\"
    spec:
      containers:
      - name: nginx-container
        image: nginx:latest
        resources:
          limits:
            cpu: 1
          requests:
            cpu: 1
",
    ),
    (
        "mem-cpu-demo.yaml",
        "apiVersion: v1
kind: ResourceQuota
metadata:
  name: mem-cpu-demo
spec:
  hard:
    requests.cpu: \"1\"
    requests.memory: 1Gi
    limits.cpu: \"2\"
    limits.memory: 2Gi
",
    ),
    (
        "my-deployment.yaml",
        "apiVersion: apps/v1
kind: Deployment
metadata:
    name: my-deployment
spec:
    replicas: 2
    selector:
        matchLabels:
            app: my-nginx
    template:
        metadata:
            name: nginx-pod
            labels: 
                app: my-nginx
        spec:
            containers:
            -   name: nginx-container
                image: nginx:latest
                resources:
                    limits:
                        memory: 500Mi
                        cpu: 1
                    requests:
                        memory: 500Mi
                        cpu: 1
",
    ),
    (
        "nginx-deployment.yaml",
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
",
    ),
    (
        "my_namespace.yaml",
        "apiVersion: v1
kind: Namespace
metadata:
  name: myfirst-test
",
    ),
    (
        "myapplication_pod.yaml",
        "apiVersion: v1
kind: Pod
metadata:
    name: myapplication_pod
    namespace: myfirst-test
spec:
    container:
    - name: my_ubuntu
      image: ubuntu:18.04
      command: \"echo hello world\"
",
    ),
    (
        "nginx.yaml",
        "apiVersion: v1
kind: Pod
metadata:
  name: nginx
spec:
  containers:
  - name: nginx
    image: nginx:1.14.2
    ports:
    - containerPort: 80
",
    ),
    (
        "myapp.yaml",
        "apiVersion: v1
kind: Pod
metadata:
  name: myapp-pod
  labels:
    app: myapp
spec:
  containers:
  - name: myapp-container
    image: busybox:1.28
    command: ['sh', '-c', 'echo The app is running! && sleep 3600']
  initContainers:
  - name: init-myservice
    image: busybox:1.28
    command: ['sh', '-c', \"until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for myservice; sleep 2; done\"]
  - name: init-mydb
    image: busybox:1.28
    command: ['sh', '-c', \"until nslookup mydb.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for mydb; sleep 2; done\"]
",
    ),
    (
        "nginx-pod.yaml",
        "apiVersion: v1
kind: Pod
metadata:
  name: nginx-pod
spec:
  containers:
  - image: nginx:latest
    name: nginx-container
    ports:
    - containerPort: 80
      protocol: TCP
    resources:
      requests:
        memory: 500Mi
        cpu: 1
",
    ),
    (
        "env-pod.yaml",
        "apiVersion: v1
kind: Pod
metadata:
  name: env-pod
spec:
  containers:
  - image: nginx:latest
    name: nginx-container
    ports:
    - containerPort: 80
      protocol: TCP
    env:
    - name: env_name
      value: \"test_env_name\"
",
    ),
    (
        "static-nginx-pod.yaml",
        "apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    run: nginx-pod
  name: nginx-pod
spec:
  containers:
  - image: nginx:latest
    name: nginx-pod
    resources: {}
  dnsPolicy: ClusterFirst
  restartPolicy: Always
status: {}
",
    ),
];
