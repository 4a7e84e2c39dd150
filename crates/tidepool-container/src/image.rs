//! Image references and the image catalogue.
//!
//! [`ImageRef::parse`] follows the reference grammar of `distribution/reference` (what containerd
//! and the kubelet use): `nginx` becomes `docker.io/library/nginx:latest`, a first component with a
//! `.` or `:` (or `localhost`) is a registry. [`resolve`] looks a reference up in the static
//! catalogue and returns an [`Image`] or the [`PullError`] containerd would report.
//!
//! Sizes are realistic compressed (linux/amd64) sizes of the real images, rounded the way the
//! registry reports them; digests are deterministic stand-ins derived from the reference, since
//! the simulation never talks to a registry.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A parsed image reference (`[domain/]path[:tag][@digest]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageRef {
    /// Registry host, `docker.io` when the reference names none.
    pub domain: String,
    /// Repository path inside the registry (`library/nginx`, `google-samples/kubernetes-bootcamp`).
    pub path: String,
    /// The tag, if the reference has one.
    pub tag: Option<String>,
    /// The digest (`sha256:<64 hex>`), if the reference has one.
    pub digest: Option<String>,
}

/// A reference the runtime cannot parse; the kubelet reports it as `InvalidImageName`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("couldn't parse image name \"{reference}\": {reason}")]
pub struct InvalidImageName {
    /// The reference as written in the pod spec.
    pub reference: String,
    /// distribution/reference's error text (`invalid reference format`, ...).
    pub reason: String,
}

impl InvalidImageName {
    /// The kubelet's event/status message for this error
    /// (`Failed to apply default image tag "NGINX": couldn't parse image name ...`).
    pub fn kubelet_message(&self) -> String {
        format!(
            "Failed to apply default image tag \"{}\": {self}",
            self.reference
        )
    }
}

impl ImageRef {
    /// Parses a reference the way containerd's CRI plugin does (`docker.io` and `library/`
    /// defaulted, `latest` defaulted when neither tag nor digest is given, see [`Self::normalized`]).
    pub fn parse(reference: &str) -> Result<ImageRef, InvalidImageName> {
        let invalid = |reason: &str| InvalidImageName {
            reference: reference.to_string(),
            reason: reason.to_string(),
        };
        if reference.is_empty() {
            return Err(invalid("invalid reference format"));
        }
        if reference.len() > 255 + 128 + 72 {
            return Err(invalid(
                "invalid reference format: repository name must not be more than 255 characters",
            ));
        }
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => {
                let valid = digest.strip_prefix("sha256:").is_some_and(|hex| {
                    hex.len() == 64
                        && hex
                            .bytes()
                            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                });
                if !valid {
                    return Err(invalid("invalid reference format"));
                }
                (rest, Some(digest.to_string()))
            }
            None => (reference, None),
        };
        // A tag is after the last ':' that follows the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&rest[..at], Some(&rest[at + 1..]))
            }
            None => (rest, None),
        };
        if let Some(tag) = tag {
            let mut bytes = tag.bytes();
            let first_ok = bytes
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !first_ok
                || tag.len() > 128
                || !bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            {
                return Err(invalid("invalid reference format"));
            }
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, remainder))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), remainder.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let path = if domain == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(invalid(&format!(
                "invalid reference format: repository name ({path}) must be lowercase"
            )));
        }
        if path.is_empty() || !path.split('/').all(valid_path_component) || !valid_domain(&domain) {
            return Err(invalid("invalid reference format"));
        }
        Ok(ImageRef {
            domain,
            path,
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// The repository with its registry: `docker.io/library/nginx`.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The tag, `latest` when the reference names neither a tag nor a digest.
    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// The fully-qualified name containerd reports: `docker.io/library/busybox:1.28`, or
    /// `repo@sha256:...` for a digest reference.
    pub fn normalized(&self) -> String {
        match (&self.tag, &self.digest) {
            (Some(tag), Some(digest)) => format!("{}:{tag}@{digest}", self.repository()),
            (None, Some(digest)) => format!("{}@{digest}", self.repository()),
            (tag, None) => format!(
                "{}:{}",
                self.repository(),
                tag.as_deref().unwrap_or("latest")
            ),
        }
    }
}

fn valid_path_component(component: &str) -> bool {
    // [a-z0-9]+ separated by '.', '_', '__' or any number of '-'.
    let bytes = component.as_bytes();
    if bytes.is_empty()
        || !bytes[0].is_ascii_alphanumeric()
        || !bytes[bytes.len() - 1].is_ascii_alphanumeric()
    {
        return false;
    }
    let mut separator_run = String::new();
    for &b in bytes {
        if b.is_ascii_lowercase() || b.is_ascii_digit() {
            if !(separator_run.is_empty()
                || separator_run == "."
                || separator_run == "_"
                || separator_run == "__"
                || separator_run.bytes().all(|s| s == b'-'))
            {
                return false;
            }
            separator_run.clear();
        } else if b"._-".contains(&b) {
            separator_run.push(b as char);
        } else {
            return false;
        }
    }
    true
}

fn valid_domain(domain: &str) -> bool {
    let host = domain.rsplit_once(':').map_or(domain, |(host, port)| {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            ""
        } else {
            host
        }
    });
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Which userland an image ships: decides which commands exist (busybox and alpine have no bash;
/// Debian-based images have no `wget`/`nslookup` unless noted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Toolbox {
    /// Busybox applets in `/bin` (`sh` is ash). Its `nslookup` prints the old (1.28) format when
    /// the image's version starts with `1.2`.
    Busybox,
    /// Alpine: busybox applets plus `apk`.
    Alpine,
    /// Debian/Ubuntu base: `bash`, `dash` as `sh`, coreutils, grep; no wget, curl, nslookup, nc.
    Debian,
    /// Debian plus `curl` (nginx, the bootcamp image).
    DebianCurl,
    /// Debian "buildpack-deps" images (python, node): curl and wget too.
    DebianFull,
    /// No shell at all (pause, the control-plane images, coredns): only the entrypoint binary.
    Distroless,
}

/// What the image's main binary does when it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Behaviour {
    /// A shell image: the entrypoint/command is interpreted by the built-in shell.
    Shell,
    /// nginx: HTTP on 80, static files from /usr/share/nginx/html, access log on stdout.
    Nginx,
    /// Apache httpd: HTTP on 80, `<html><body><h1>It works!</h1></body></html>`.
    Httpd,
    /// redis-server on 6379.
    Redis,
    /// memcached on 11211.
    Memcached,
    /// PostgreSQL on 5432 (exits 1 without POSTGRES_PASSWORD, like the real entrypoint).
    Postgres,
    /// MySQL on 3306 (exits 1 without MYSQL_ROOT_PASSWORD or an equivalent).
    Mysql,
    /// gcr.io/google-samples/kubernetes-bootcamp: HTTP on 8080, `Hello Kubernetes bootcamp!`.
    Bootcamp,
    /// registry.k8s.io/e2e-test-images/agnhost: `netexec` etc; HTTP on 8080 for `netexec`.
    Agnhost,
    /// polinux/stress: allocates `--vm-bytes` of memory.
    Stress,
    /// The pause/infra container: sleeps forever.
    Pause,
    /// A language runtime whose default CMD is a REPL (python3, node): without a TTY it reads EOF
    /// and exits 0 at once.
    Repl,
    /// A control-plane or add-on component (kube-apiserver, etcd, coredns, ...): runs forever and
    /// listens on its port.
    Component,
}

/// One tag of a catalogue repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagInfo {
    /// The tag name (`1.28`, `latest`).
    pub name: &'static str,
    /// The software version this tag carries (`latest` of nginx is `1.27.3`).
    pub version: &'static str,
    /// Compressed size in bytes, as `Image size:` in the kubelet's Pulled event.
    pub compressed_size: u64,
}

/// A catalogue repository: configuration shared by all its tags.
#[derive(Debug, PartialEq, Eq)]
pub struct Repository {
    /// Fully-qualified repository (`docker.io/library/nginx`).
    pub name: &'static str,
    /// Known tags.
    pub tags: &'static [TagInfo],
    /// The image's ENTRYPOINT.
    pub entrypoint: &'static [&'static str],
    /// The image's CMD.
    pub cmd: &'static [&'static str],
    /// The image's environment; `{version}` in a value is replaced by the tag's version.
    pub env: &'static [(&'static str, &'static str)],
    /// Ports the main process listens on (TCP).
    pub ports: &'static [u16],
    /// Which commands exist in the image.
    pub toolbox: Toolbox,
    /// What the main binary does.
    pub behaviour: Behaviour,
    /// Absolute paths of the image's own programs (its servers and entrypoint scripts).
    pub programs: &'static [&'static str],
    /// `PRETTY_NAME` of /etc/os-release (None for distroless images).
    pub os: Option<&'static str>,
    /// The image's STOPSIGNAL (nginx uses SIGQUIT).
    pub stop_signal: crate::process::Signal,
    /// WORKDIR.
    pub working_dir: &'static str,
}

const PATH_DEBIAN: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const PATH_BUSYBOX: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

macro_rules! tag {
    ($name:expr, $version:expr, $size:expr) => {
        TagInfo {
            name: $name,
            version: $version,
            compressed_size: $size,
        }
    };
}

use crate::process::Signal;

/// The catalogue: every image a pod can pull.
pub static CATALOGUE: &[Repository] = &[
    Repository {
        name: "docker.io/library/nginx",
        tags: &[
            tag!("latest", "1.27.3", 72_188_133),
            tag!("1.27", "1.27.3", 72_188_133),
            tag!("1.27.3", "1.27.3", 72_188_133),
            tag!("stable", "1.26.2", 71_028_321),
            tag!("1.26", "1.26.2", 71_028_321),
            tag!("1.25", "1.25.5", 70_544_610),
            tag!("1.25.5", "1.25.5", 70_544_610),
            tag!("1.24", "1.24.0", 56_867_374),
            tag!("1.23", "1.23.4", 57_010_236),
            tag!("1.21", "1.21.6", 56_746_212),
            tag!("1.16", "1.16.1", 51_030_575),
            tag!("1.14.2", "1.14.2", 44_710_204),
            tag!("1.14", "1.14.2", 44_710_204),
            tag!("alpine", "1.27.3", 20_506_604),
            tag!("1.27-alpine", "1.27.3", 20_506_604),
        ],
        entrypoint: &["/docker-entrypoint.sh"],
        cmd: &["nginx", "-g", "daemon off;"],
        env: &[
            ("PATH", PATH_DEBIAN),
            ("NGINX_VERSION", "{version}"),
            ("NJS_VERSION", "0.8.7"),
            ("PKG_RELEASE", "1~bookworm"),
        ],
        ports: &[80],
        toolbox: Toolbox::DebianCurl,
        behaviour: Behaviour::Nginx,
        programs: &["/docker-entrypoint.sh", "/usr/sbin/nginx"],
        os: Some("Debian GNU/Linux 12 (bookworm)"),
        stop_signal: Signal::Quit,
        working_dir: "/",
    },
    Repository {
        name: "docker.io/library/busybox",
        tags: &[
            tag!("latest", "1.37.0", 2_166_802),
            tag!("1.37", "1.37.0", 2_166_802),
            tag!("1.36", "1.36.1", 2_159_101),
            tag!("1.36.1", "1.36.1", 2_159_101),
            tag!("1.35", "1.35.0", 2_218_430),
            tag!("1.34", "1.34.1", 772_788),
            tag!("1.31", "1.31.1", 764_619),
            tag!("1.28", "1.28.4", 727_869),
            tag!("1.28.4", "1.28.4", 727_869),
            tag!("1.27", "1.27.2", 720_019),
            tag!("musl", "1.37.0", 863_522),
            tag!("glibc", "1.37.0", 2_166_802),
        ],
        entrypoint: &[],
        cmd: &["sh"],
        env: &[("PATH", PATH_BUSYBOX)],
        ports: &[],
        toolbox: Toolbox::Busybox,
        behaviour: Behaviour::Shell,
        programs: &[],
        os: None,
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "registry.k8s.io/busybox",
        tags: &[
            tag!("latest", "1.24.2", 1_144_547),
            tag!("1.24", "1.24.2", 1_144_547),
        ],
        entrypoint: &[],
        cmd: &["sh"],
        env: &[("PATH", PATH_BUSYBOX)],
        ports: &[],
        toolbox: Toolbox::Busybox,
        behaviour: Behaviour::Shell,
        programs: &[],
        os: None,
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "docker.io/library/alpine",
        tags: &[
            tag!("latest", "3.21.0", 3_642_247),
            tag!("3.21", "3.21.0", 3_642_247),
            tag!("3.20", "3.20.3", 3_625_358),
            tag!("3.19", "3.19.4", 3_419_706),
            tag!("3.18", "3.18.9", 3_408_729),
            tag!("3", "3.21.0", 3_642_247),
        ],
        entrypoint: &[],
        cmd: &["/bin/sh"],
        env: &[("PATH", PATH_BUSYBOX)],
        ports: &[],
        toolbox: Toolbox::Alpine,
        behaviour: Behaviour::Shell,
        programs: &[],
        os: Some("Alpine Linux v3.21"),
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "docker.io/library/ubuntu",
        tags: &[
            tag!("latest", "24.04", 29_754_290),
            tag!("24.04", "24.04", 29_754_290),
            tag!("noble", "24.04", 29_754_290),
            tag!("22.04", "22.04", 29_535_987),
            tag!("jammy", "22.04", 29_535_987),
            tag!("20.04", "20.04", 27_507_144),
            tag!("focal", "20.04", 27_507_144),
            tag!("18.04", "18.04", 25_689_426),
            tag!("bionic", "18.04", 25_689_426),
        ],
        entrypoint: &[],
        cmd: &["/bin/bash"],
        env: &[("PATH", PATH_DEBIAN)],
        ports: &[],
        toolbox: Toolbox::Debian,
        behaviour: Behaviour::Shell,
        programs: &[],
        os: Some("Ubuntu {version} LTS"),
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "docker.io/library/debian",
        tags: &[
            tag!("latest", "12", 49_557_601),
            tag!("12", "12", 49_557_601),
            tag!("bookworm", "12", 49_557_601),
            tag!("bookworm-slim", "12", 28_227_259),
            tag!("12-slim", "12", 28_227_259),
            tag!("11", "11", 55_082_456),
            tag!("bullseye", "11", 55_082_456),
        ],
        entrypoint: &[],
        cmd: &["bash"],
        env: &[("PATH", PATH_DEBIAN)],
        ports: &[],
        toolbox: Toolbox::Debian,
        behaviour: Behaviour::Shell,
        programs: &[],
        os: Some("Debian GNU/Linux {version}"),
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "docker.io/library/httpd",
        tags: &[
            tag!("latest", "2.4.62", 58_187_372),
            tag!("2.4", "2.4.62", 58_187_372),
            tag!("2.4.62", "2.4.62", 58_187_372),
            tag!("alpine", "2.4.62", 23_146_231),
        ],
        entrypoint: &[],
        cmd: &["httpd-foreground"],
        env: &[
            (
                "PATH",
                "/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ),
            ("HTTPD_PREFIX", "/usr/local/apache2"),
            ("HTTPD_VERSION", "{version}"),
        ],
        ports: &[80],
        toolbox: Toolbox::Debian,
        behaviour: Behaviour::Httpd,
        programs: &[
            "/usr/local/bin/httpd-foreground",
            "/usr/local/apache2/bin/httpd",
        ],
        os: Some("Debian GNU/Linux 12 (bookworm)"),
        stop_signal: Signal::Winch,
        working_dir: "/usr/local/apache2",
    },
    Repository {
        name: "docker.io/library/redis",
        tags: &[
            tag!("latest", "7.4.1", 45_078_325),
            tag!("7.4", "7.4.1", 45_078_325),
            tag!("7.2", "7.2.6", 40_413_620),
            tag!("7", "7.4.1", 45_078_325),
            tag!("6.2", "6.2.16", 40_010_113),
            tag!("alpine", "7.4.1", 17_237_104),
        ],
        entrypoint: &["docker-entrypoint.sh"],
        cmd: &["redis-server"],
        env: &[("PATH", PATH_DEBIAN), ("REDIS_VERSION", "{version}")],
        ports: &[6379],
        toolbox: Toolbox::Debian,
        behaviour: Behaviour::Redis,
        programs: &[
            "/usr/local/bin/docker-entrypoint.sh",
            "/usr/local/bin/redis-server",
            "/usr/local/bin/redis-cli",
        ],
        os: Some("Debian GNU/Linux 12 (bookworm)"),
        stop_signal: Signal::Term,
        working_dir: "/data",
    },
    Repository {
        name: "docker.io/library/python",
        tags: &[
            tag!("latest", "3.13.1", 392_455_721),
            tag!("3.13", "3.13.1", 392_455_721),
            tag!("3.12", "3.12.8", 391_025_876),
            tag!("3.11", "3.11.11", 389_644_350),
            tag!("3.12-slim", "3.12.8", 45_187_930),
            tag!("3.13-slim", "3.13.1", 44_975_222),
            tag!("3.12-alpine", "3.12.8", 18_031_522),
        ],
        entrypoint: &[],
        cmd: &["python3"],
        env: &[
            ("PATH", PATH_DEBIAN),
            ("LANG", "C.UTF-8"),
            ("PYTHON_VERSION", "{version}"),
        ],
        ports: &[],
        toolbox: Toolbox::DebianFull,
        behaviour: Behaviour::Repl,
        programs: &[
            "/usr/local/bin/python3",
            "/usr/local/bin/python",
            "/usr/local/bin/pip",
        ],
        os: Some("Debian GNU/Linux 12 (bookworm)"),
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "docker.io/library/node",
        tags: &[
            tag!("latest", "23.4.0", 408_912_004),
            tag!("22", "22.12.0", 399_012_321),
            tag!("20", "20.18.1", 397_508_611),
            tag!("18", "18.20.5", 386_700_210),
            tag!("20-alpine", "20.18.1", 48_211_775),
            tag!("22-alpine", "22.12.0", 55_120_401),
            tag!("20-slim", "20.18.1", 69_045_112),
        ],
        entrypoint: &["docker-entrypoint.sh"],
        cmd: &["node"],
        env: &[
            ("PATH", PATH_DEBIAN),
            ("NODE_VERSION", "{version}"),
            ("YARN_VERSION", "1.22.22"),
        ],
        ports: &[],
        toolbox: Toolbox::DebianFull,
        behaviour: Behaviour::Repl,
        programs: &[
            "/usr/local/bin/docker-entrypoint.sh",
            "/usr/local/bin/node",
            "/usr/local/bin/npm",
        ],
        os: Some("Debian GNU/Linux 12 (bookworm)"),
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "docker.io/library/postgres",
        tags: &[
            tag!("latest", "17.2", 153_881_274),
            tag!("17", "17.2", 153_881_274),
            tag!("16", "16.6", 152_110_529),
            tag!("15", "15.10", 150_920_302),
            tag!("16-alpine", "16.6", 105_210_332),
        ],
        entrypoint: &["docker-entrypoint.sh"],
        cmd: &["postgres"],
        env: &[
            (
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/17/bin",
            ),
            ("PG_VERSION", "{version}"),
            ("PGDATA", "/var/lib/postgresql/data"),
        ],
        ports: &[5432],
        toolbox: Toolbox::Debian,
        behaviour: Behaviour::Postgres,
        programs: &[
            "/usr/local/bin/docker-entrypoint.sh",
            "/usr/lib/postgresql/17/bin/postgres",
            "/usr/bin/psql",
        ],
        os: Some("Debian GNU/Linux 12 (bookworm)"),
        stop_signal: Signal::Int,
        working_dir: "/",
    },
    Repository {
        name: "docker.io/library/mysql",
        tags: &[
            tag!("latest", "9.1.0", 172_012_855),
            tag!("9", "9.1.0", 172_012_855),
            tag!("8.4", "8.4.3", 170_510_007),
            tag!("8.0", "8.0.40", 167_822_519),
            tag!("5.7", "5.7.44", 155_031_229),
        ],
        entrypoint: &["docker-entrypoint.sh"],
        cmd: &["mysqld"],
        env: &[
            ("PATH", PATH_DEBIAN),
            ("MYSQL_MAJOR", "innovation"),
            ("MYSQL_VERSION", "{version}-1.el9"),
        ],
        ports: &[3306, 33060],
        toolbox: Toolbox::Debian,
        behaviour: Behaviour::Mysql,
        programs: &[
            "/usr/local/bin/docker-entrypoint.sh",
            "/usr/sbin/mysqld",
            "/usr/bin/mysql",
        ],
        os: Some("Oracle Linux Server 9.5"),
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "docker.io/library/memcached",
        tags: &[
            tag!("latest", "1.6.34", 30_508_127),
            tag!("1.6", "1.6.34", 30_508_127),
            tag!("alpine", "1.6.34", 4_892_113),
        ],
        entrypoint: &["docker-entrypoint.sh"],
        cmd: &["memcached"],
        env: &[("PATH", PATH_DEBIAN), ("MEMCACHED_VERSION", "{version}")],
        ports: &[11211],
        toolbox: Toolbox::Debian,
        behaviour: Behaviour::Memcached,
        programs: &[
            "/usr/local/bin/docker-entrypoint.sh",
            "/usr/local/bin/memcached",
        ],
        os: Some("Debian GNU/Linux 12 (bookworm)"),
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "gcr.io/google-samples/kubernetes-bootcamp",
        tags: &[tag!("v1", "1", 83_208_736), tag!("v2", "2", 83_208_831)],
        entrypoint: &["/bin/sh", "-c", "node server.js"],
        cmd: &[],
        env: &[
            ("PATH", PATH_DEBIAN),
            ("NPM_CONFIG_LOGLEVEL", "info"),
            ("NODE_VERSION", "6.3.1"),
        ],
        ports: &[8080],
        toolbox: Toolbox::DebianCurl,
        behaviour: Behaviour::Bootcamp,
        programs: &["/usr/local/bin/node", "/server.js"],
        os: Some("Debian GNU/Linux 8 (jessie)"),
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "registry.k8s.io/e2e-test-images/agnhost",
        tags: &[
            tag!("2.53", "2.53", 53_112_067),
            tag!("2.52", "2.52", 52_811_392),
            tag!("2.40", "2.40", 51_284_441),
            tag!("2.39", "2.39", 51_105_372),
        ],
        entrypoint: &["/agnhost"],
        cmd: &["pause"],
        env: &[("PATH", PATH_BUSYBOX)],
        ports: &[8080],
        toolbox: Toolbox::Alpine,
        behaviour: Behaviour::Agnhost,
        programs: &["/agnhost"],
        os: Some("Alpine Linux v3.19"),
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "docker.io/polinux/stress",
        tags: &[
            tag!("latest", "1.0.4", 4_041_824),
            tag!("1.0.4", "1.0.4", 4_041_824),
        ],
        entrypoint: &[],
        cmd: &["stress", "--help"],
        env: &[("PATH", PATH_BUSYBOX)],
        ports: &[],
        toolbox: Toolbox::Alpine,
        behaviour: Behaviour::Stress,
        programs: &["/usr/local/bin/stress", "/usr/bin/stress"],
        os: Some("Alpine Linux v3.6"),
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "registry.k8s.io/pause",
        tags: &[
            tag!("3.10", "3.10", 320_368),
            tag!("3.9", "3.9", 321_520),
            tag!("3.8", "3.8", 311_286),
        ],
        entrypoint: &["/pause"],
        cmd: &[],
        env: &[("PATH", PATH_BUSYBOX)],
        ports: &[],
        toolbox: Toolbox::Distroless,
        behaviour: Behaviour::Pause,
        programs: &["/pause"],
        os: None,
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    control_plane("registry.k8s.io/kube-apiserver", 6443),
    control_plane("registry.k8s.io/kube-controller-manager", 10257),
    control_plane("registry.k8s.io/kube-scheduler", 10259),
    control_plane("registry.k8s.io/kube-proxy", 10249),
    Repository {
        name: "registry.k8s.io/etcd",
        tags: &[
            tag!("3.5.16-0", "3.5.16", 57_680_541),
            tag!("3.5.15-0", "3.5.15", 56_909_194),
        ],
        entrypoint: &[],
        cmd: &["/usr/local/bin/etcd"],
        env: &[("PATH", PATH_BUSYBOX)],
        ports: &[2379, 2380],
        toolbox: Toolbox::Distroless,
        behaviour: Behaviour::Component,
        programs: &["/usr/local/bin/etcd", "/usr/local/bin/etcdctl"],
        os: None,
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    Repository {
        name: "registry.k8s.io/coredns/coredns",
        tags: &[
            tag!("v1.11.3", "1.11.3", 18_562_039),
            tag!("v1.11.1", "1.11.1", 18_182_961),
        ],
        entrypoint: &["/coredns"],
        cmd: &[],
        env: &[("PATH", PATH_BUSYBOX)],
        ports: &[53, 8080, 8181, 9153],
        toolbox: Toolbox::Distroless,
        behaviour: Behaviour::Component,
        programs: &["/coredns"],
        os: None,
        stop_signal: Signal::Term,
        working_dir: "/",
    },
    // The HorizontalPodAutoscaler walkthrough's php-apache: php:5-apache serving an index.php
    // that burns CPU on every request (see `server::HPA_EXAMPLE_INDEX`).
    Repository {
        name: "registry.k8s.io/hpa-example",
        tags: &[tag!("latest", "2.4.10", 181_508_394)],
        entrypoint: &["docker-php-entrypoint"],
        cmd: &["apache2-foreground"],
        env: &[
            (
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ),
            ("PHP_VERSION", "5.6.40"),
            ("APACHE_CONFDIR", "/etc/apache2"),
        ],
        ports: &[80],
        toolbox: Toolbox::Debian,
        behaviour: Behaviour::Httpd,
        programs: &[
            "/usr/local/bin/docker-php-entrypoint",
            "/usr/local/bin/apache2-foreground",
            "/usr/sbin/apache2",
        ],
        os: Some("Debian GNU/Linux 9 (stretch)"),
        stop_signal: Signal::Winch,
        working_dir: "/var/www/html",
    },
];

const fn control_plane(name: &'static str, port: u16) -> Repository {
    // The control-plane images carry one binary each; kubeadm's static pods give the binary and
    // its flags in `command`, so the image has neither ENTRYPOINT nor CMD.
    Repository {
        name,
        tags: &[
            tag!("v1.32.0", "1.32.0", 0),
            tag!("v1.32.1", "1.32.1", 0),
            tag!("v1.32.2", "1.32.2", 0),
            tag!("v1.32.3", "1.32.3", 0),
            tag!("v1.32.4", "1.32.4", 0),
        ],
        entrypoint: &[],
        cmd: &[],
        env: &[("PATH", PATH_BUSYBOX)],
        ports: match port {
            6443 => &[6443],
            10257 => &[10257],
            10259 => &[10259],
            _ => &[10249, 10256],
        },
        toolbox: Toolbox::Distroless,
        behaviour: Behaviour::Component,
        programs: match port {
            6443 => &["/usr/local/bin/kube-apiserver"],
            10257 => &["/usr/local/bin/kube-controller-manager"],
            10259 => &["/usr/local/bin/kube-scheduler"],
            _ => &["/usr/local/bin/kube-proxy"],
        },
        os: None,
        stop_signal: Signal::Term,
        working_dir: "/",
    }
}

/// Compressed sizes of the control-plane images (their tag table is shared, so the size is
/// looked up by repository).
fn control_plane_size(repository: &str) -> Option<u64> {
    match repository {
        "registry.k8s.io/kube-apiserver" => Some(28_992_311),
        "registry.k8s.io/kube-controller-manager" => Some(26_241_509),
        "registry.k8s.io/kube-scheduler" => Some(20_656_907),
        "registry.k8s.io/kube-proxy" => Some(30_907_446),
        _ => None,
    }
}

/// A resolved catalogue image: one tag of one repository. Cheap to copy; serialises as its
/// normalised reference and deserialises through the catalogue.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Image {
    repository: &'static Repository,
    tag: &'static TagInfo,
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Image({})", self.reference())
    }
}

impl Serialize for Image {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.reference())
    }
}

impl<'de> Deserialize<'de> for Image {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let reference = String::deserialize(deserializer)?;
        resolve(&reference).map_err(serde::de::Error::custom)
    }
}

impl Image {
    /// The catalogue repository this image belongs to.
    pub fn repository(&self) -> &'static Repository {
        self.repository
    }

    /// The tag.
    pub fn tag(&self) -> &'static TagInfo {
        self.tag
    }

    /// The software version of the tag (`1.27.3` for `nginx:latest`).
    pub fn version(&self) -> &'static str {
        self.tag.version
    }

    /// The normalised reference: `docker.io/library/nginx:1.25`.
    pub fn reference(&self) -> String {
        format!("{}:{}", self.repository.name, self.tag.name)
    }

    /// Compressed size in bytes (`Image size: N bytes` in the Pulled event).
    pub fn compressed_size(&self) -> u64 {
        control_plane_size(self.repository.name).unwrap_or(self.tag.compressed_size)
    }

    /// The image ID (`sha256:...`), a deterministic stand-in per repository and version.
    pub fn id(&self) -> String {
        format!(
            "sha256:{}",
            pseudo_digest(&format!("id:{}:{}", self.repository.name, self.tag.version))
        )
    }

    /// The repo digest shown as `Image ID:` by `kubectl describe pod`:
    /// `docker.io/library/nginx@sha256:...`.
    pub fn repo_digest(&self) -> String {
        format!(
            "{}@sha256:{}",
            self.repository.name,
            pseudo_digest(&format!(
                "manifest:{}:{}",
                self.repository.name, self.tag.version
            ))
        )
    }

    /// The image's environment with `{version}` filled in, in image order.
    pub fn env(&self) -> Vec<(String, String)> {
        self.repository
            .env
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.replace("{version}", self.tag.version)))
            .collect()
    }

    /// The `PRETTY_NAME` of /etc/os-release, if the image has one.
    pub fn os_pretty_name(&self) -> Option<String> {
        let os = self.repository.os?;
        let version = if self.repository.name.ends_with("/debian") {
            match self.tag.version {
                "11" => "11 (bullseye)",
                _ => "12 (bookworm)",
            }
        } else if self.repository.name.ends_with("/ubuntu") {
            match self.tag.version {
                "24.04" => "24.04.1",
                "22.04" => "22.04.5",
                "20.04" => "20.04.6",
                _ => "18.04.6",
            }
        } else {
            self.tag.version
        };
        Some(os.replace("{version}", version))
    }

    /// Whether this image's busybox prints the old (1.28-era) `nslookup` format.
    pub fn old_busybox(&self) -> bool {
        self.repository.toolbox == Toolbox::Busybox && (self.tag.version.starts_with("1.2"))
    }

    /// Where `name` is found on `PATH` in this image, or whether an absolute path exists.
    /// Returns the absolute path of the executable.
    pub fn find_executable(&self, name: &str, path_var: &str) -> Option<String> {
        if name.contains('/') {
            return self.has_executable(name).then(|| name.to_string());
        }
        // Hot path (every exec probe): compare without allocating until a hit.
        let tool_dirs = crate::shell::builtins::command_dirs(self.repository.toolbox, name);
        for dir in path_var.split(':').filter(|dir| !dir.is_empty()) {
            let dir = dir.trim_end_matches('/');
            let in_programs = self
                .repository
                .programs
                .iter()
                .any(|p| p.strip_suffix(name).and_then(|d| d.strip_suffix('/')) == Some(dir));
            if in_programs || tool_dirs.is_some_and(|dirs| dirs.contains(&dir)) {
                return Some(format!("{dir}/{name}"));
            }
        }
        None
    }

    /// Whether the image has an executable at this absolute path.
    pub fn has_executable(&self, path: &str) -> bool {
        let normalized;
        let path = if path.contains("//") || path.contains("/.") || !path.starts_with('/') {
            normalized = normalize_exe_path(path);
            normalized.as_str()
        } else {
            path
        };
        if self.repository.programs.contains(&path) {
            return true;
        }
        let Some((dir, name)) = path.rsplit_once('/') else {
            return false;
        };
        crate::shell::builtins::command_dirs(self.repository.toolbox, name)
            .is_some_and(|dirs| dirs.contains(&dir))
    }

    /// The command names this image's userland provides (for `ls /bin`, completion).
    pub fn commands(&self) -> Vec<&'static str> {
        crate::shell::builtins::available_commands(self.repository.toolbox)
    }
}

fn normalize_exe_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// 64 hex characters derived deterministically from `seed` (FNV-1a, four lanes).
fn pseudo_digest(seed: &str) -> String {
    let mut out = String::with_capacity(64);
    for lane in 0u64..4 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ lane.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for b in seed.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash ^= hash >> 29;
        hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        hash ^= hash >> 32;
        out.push_str(&format!("{hash:016x}"));
    }
    out
}

/// Why an image could not be pulled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PullError {
    /// The reference does not parse (kubelet reason `InvalidImageName`).
    #[error(transparent)]
    InvalidReference(#[from] InvalidImageName),
    /// The repository exists but not the tag (or digest).
    #[error("{}", containerd_not_found(.normalized))]
    NotFound {
        /// The normalised reference (`docker.io/library/nginx:nope`).
        normalized: String,
    },
    /// The repository does not exist (Docker Hub answers "pull access denied").
    #[error("{}", containerd_access_denied(.normalized))]
    AccessDenied {
        /// The normalised reference.
        normalized: String,
    },
}

fn containerd_not_found(normalized: &str) -> String {
    format!(
        "failed to pull and unpack image \"{normalized}\": failed to resolve reference \"{normalized}\": {normalized}: not found"
    )
}

fn containerd_access_denied(normalized: &str) -> String {
    format!(
        "failed to pull and unpack image \"{normalized}\": failed to resolve reference \"{normalized}\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
    )
}

impl PullError {
    /// containerd's error text (what `Display` prints too).
    pub fn containerd_message(&self) -> String {
        self.to_string()
    }

    /// The kubelet's container-status reason: `InvalidImageName` or `ErrImagePull`.
    pub fn reason(&self) -> &'static str {
        match self {
            PullError::InvalidReference(_) => "InvalidImageName",
            _ => "ErrImagePull",
        }
    }

    /// The gRPC code containerd's CRI answers with.
    pub fn grpc_code(&self) -> &'static str {
        match self {
            PullError::NotFound { .. } => "NotFound",
            _ => "Unknown",
        }
    }

    /// The kubelet's `Failed` event message, given the image as written in the pod spec:
    /// `Failed to pull image "nginx:nope": rpc error: code = NotFound desc = failed to pull ...`.
    pub fn kubelet_message(&self, spec_image: &str) -> String {
        match self {
            PullError::InvalidReference(invalid) => invalid.kubelet_message(),
            _ => format!(
                "Failed to pull image \"{spec_image}\": rpc error: code = {} desc = {}",
                self.grpc_code(),
                self.containerd_message()
            ),
        }
    }
}

/// Looks a reference up in the catalogue.
pub fn resolve(reference: &str) -> Result<Image, PullError> {
    let parsed = ImageRef::parse(reference)?;
    resolve_ref(&parsed)
}

/// Looks a parsed reference up in the catalogue. A digest reference resolves when it equals the
/// tag's [`Image::repo_digest`] (or, with a tag, is ignored in favour of the tag).
pub fn resolve_ref(parsed: &ImageRef) -> Result<Image, PullError> {
    let repository_name = parsed.repository();
    let Some(repository) = CATALOGUE.iter().find(|r| r.name == repository_name) else {
        return Err(if parsed.domain == "docker.io" {
            PullError::AccessDenied {
                normalized: parsed.normalized(),
            }
        } else {
            PullError::NotFound {
                normalized: parsed.normalized(),
            }
        });
    };
    let not_found = || PullError::NotFound {
        normalized: parsed.normalized(),
    };
    match (&parsed.tag, &parsed.digest) {
        (None, Some(digest)) => repository
            .tags
            .iter()
            .map(|tag| Image { repository, tag })
            .find(|image| image.repo_digest().ends_with(digest.as_str()))
            .ok_or_else(not_found),
        (tag, _) => {
            let wanted = tag.as_deref().unwrap_or("latest");
            repository
                .tags
                .iter()
                .find(|t| t.name == wanted)
                .map(|tag| Image { repository, tag })
                .ok_or_else(not_found)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_containerd() {
        let cases = [
            ("nginx", "docker.io/library/nginx:latest"),
            ("nginx:1.25", "docker.io/library/nginx:1.25"),
            (
                "docker.io/library/nginx:latest",
                "docker.io/library/nginx:latest",
            ),
            ("polinux/stress", "docker.io/polinux/stress:latest"),
            (
                "gcr.io/google-samples/kubernetes-bootcamp:v1",
                "gcr.io/google-samples/kubernetes-bootcamp:v1",
            ),
            ("localhost:5000/app", "localhost:5000/app:latest"),
            ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                ImageRef::parse(input).map(|r| r.normalized()),
                Ok(expected.to_string()),
                "{input}"
            );
        }
        let digest = format!("busybox@sha256:{}", "a".repeat(64));
        assert_eq!(
            ImageRef::parse(&digest).map(|r| r.normalized()),
            Ok(format!("docker.io/library/{digest}"))
        );
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "nginx:",
            "NGINX",
            "nginx:bad tag",
            "-nginx",
            "nginx@sha256:xyz",
            "a//b",
            ":tag",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should not parse");
        }
        let err = resolve("NGINX").unwrap_err();
        assert_eq!(
            err.kubelet_message("NGINX"),
            "Failed to apply default image tag \"NGINX\": couldn't parse image name \"NGINX\": invalid reference format: repository name (library/NGINX) must be lowercase"
        );
        assert_eq!(err.reason(), "InvalidImageName");
    }

    #[test]
    fn pull_errors_carry_containerd_text() {
        let err = resolve("nginx:nope").unwrap_err();
        assert_eq!(
            err.kubelet_message("nginx:nope"),
            "Failed to pull image \"nginx:nope\": rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:nope\": failed to resolve reference \"docker.io/library/nginx:nope\": docker.io/library/nginx:nope: not found"
        );
        let err = resolve("nosuchimage").unwrap_err();
        assert_eq!(
            err.kubelet_message("nosuchimage"),
            "Failed to pull image \"nosuchimage\": rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/nosuchimage:latest\": failed to resolve reference \"docker.io/library/nosuchimage:latest\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
        );
        assert_eq!(err.reason(), "ErrImagePull");
    }

    #[test]
    fn catalogue_knows_the_tutorial_images() {
        for reference in [
            "busybox:1.28",
            "nginx:1.14.2",
            "ubuntu:18.04",
            "gcr.io/google-samples/kubernetes-bootcamp:v2",
            "registry.k8s.io/pause:3.10",
            "registry.k8s.io/kube-apiserver:v1.32.4",
            "registry.k8s.io/etcd:3.5.16-0",
            "registry.k8s.io/coredns/coredns:v1.11.3",
            "registry.k8s.io/e2e-test-images/agnhost:2.39",
            "polinux/stress",
            "registry.k8s.io/busybox",
        ] {
            let image = resolve(reference).unwrap_or_else(|e| panic!("{reference}: {e}"));
            assert!(image.compressed_size() > 100_000, "{reference}");
        }
        let nginx = resolve("nginx").expect("nginx");
        assert!(
            nginx
                .env()
                .contains(&("NGINX_VERSION".to_string(), "1.27.3".to_string()))
        );
        assert_eq!(nginx.reference(), "docker.io/library/nginx:latest");
        assert_eq!(nginx.id().len(), 71);
        let by_digest = nginx
            .repo_digest()
            .split_once('@')
            .map(|(_, d)| format!("nginx@{d}"))
            .expect("digest");
        assert_eq!(resolve(&by_digest).map(|i| i.version()), Ok("1.27.3"));
    }

    #[test]
    fn image_serialises_as_its_reference() {
        let image = resolve("busybox:1.28").expect("busybox");
        let json = serde_json::to_string(&image).expect("serialise");
        assert_eq!(json, "\"docker.io/library/busybox:1.28\"");
        let back: Image = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, image);
    }

    #[test]
    fn executables_follow_the_toolbox() {
        let busybox = resolve("busybox").expect("busybox");
        let ubuntu = resolve("ubuntu").expect("ubuntu");
        let pause = resolve("registry.k8s.io/pause:3.10").expect("pause");
        let path = PATH_DEBIAN;
        assert_eq!(
            busybox.find_executable("sh", path).as_deref(),
            Some("/bin/sh")
        );
        assert_eq!(busybox.find_executable("bash", path), None);
        assert_eq!(
            ubuntu.find_executable("bash", path).as_deref(),
            Some("/usr/bin/bash")
        );
        assert!(ubuntu.has_executable("/bin/bash"));
        assert_eq!(ubuntu.find_executable("wget", path), None);
        assert_eq!(pause.find_executable("sh", path), None);
        assert!(pause.has_executable("/pause"));
    }
}
