//! Image references and the registry the kubelet pulls from: containerd's normalised names,
//! which images exist (and their sizes and digests), pull delays and the exact error texts.
//!
//! This is the kubelet-side adapter. The image catalogue proper belongs to the
//! `tidepool-container` crate; until it is merged the small catalogue below answers.

use crate::naming;

/// What the registry knows about an image that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// Fully-qualified reference, e.g. `docker.io/library/busybox:1.28`.
    pub full: String,
    /// Compressed size in bytes (what `Pulled ... Image size:` reports).
    pub size: u64,
    /// `docker.io/library/busybox@sha256:...`.
    pub image_id: String,
}

/// Normalises a reference like containerd: `nginx` -> `docker.io/library/nginx:latest`.
pub fn full_image(image: &str) -> String {
    let with_tag = if image
        .rsplit('/')
        .next()
        .is_some_and(|l| l.contains(':') || l.contains('@'))
    {
        image.to_owned()
    } else {
        format!("{image}:latest")
    };
    let first = with_tag.split('/').next().unwrap_or("");
    if !with_tag.contains('/') {
        format!("docker.io/library/{with_tag}")
    } else if first.contains('.') || first.contains(':') || first == "localhost" {
        with_tag
    } else {
        format!("docker.io/{with_tag}")
    }
}

/// The tag of a reference (`latest` when none is given).
pub fn tag_of(image: &str) -> &str {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains('@') {
        return "";
    }
    last.split_once(':').map_or("latest", |(_, t)| t)
}

/// Repositories the simulated registry serves, with a typical compressed size.
const REPOSITORIES: &[(&str, u64)] = &[
    ("docker.io/library/nginx", 72_195_292),
    ("docker.io/library/busybox", 2_160_406),
    ("docker.io/library/alpine", 3_653_068),
    ("docker.io/library/ubuntu", 29_754_422),
    ("docker.io/library/debian", 48_480_218),
    ("docker.io/library/httpd", 58_181_227),
    ("docker.io/library/redis", 45_011_234),
    ("docker.io/library/python", 412_402_125),
    ("docker.io/library/node", 398_112_870),
    ("docker.io/library/postgres", 153_880_327),
    ("docker.io/library/mysql", 171_342_021),
    ("docker.io/library/memcached", 31_620_114),
    ("docker.io/library/perl", 347_123_201),
    ("docker.io/library/golang", 292_881_503),
    ("docker.io/library/php", 191_210_557),
    ("docker.io/library/ruby", 364_402_288),
    ("docker.io/library/openjdk", 326_342_187),
    ("docker.io/library/mongo", 271_500_466),
    ("docker.io/library/mariadb", 120_316_043),
    ("docker.io/library/rabbitmq", 96_412_376),
    ("docker.io/library/haproxy", 38_781_260),
    ("docker.io/library/traefik", 51_205_440),
    ("docker.io/library/caddy", 21_187_300),
    ("docker.io/library/wordpress", 253_804_105),
    ("docker.io/library/centos", 75_181_999),
    ("docker.io/library/fedora", 65_720_101),
    ("docker.io/library/hello-world", 9_125),
    ("registry.k8s.io/nginx-slim", 20_232_440),
    ("registry.k8s.io/echoserver", 46_237_695),
    ("registry.k8s.io/hpa-example", 165_322_780),
    ("docker.io/polinux/stress", 4_041_495),
    ("registry.k8s.io/busybox", 1_144_547),
    ("registry.k8s.io/pause", 320_368),
    ("registry.k8s.io/e2e-test-images/agnhost", 51_144_542),
    ("registry.k8s.io/liveness", 2_467_141),
    ("gcr.io/google-samples/kubernetes-bootcamp", 76_983_242),
    ("registry.k8s.io/etcd", 57_680_541),
    ("registry.k8s.io/kube-apiserver", 28_943_552),
    ("registry.k8s.io/kube-controller-manager", 26_225_362),
    ("registry.k8s.io/kube-scheduler", 20_657_536),
    ("registry.k8s.io/kube-proxy", 30_229_984),
    ("registry.k8s.io/coredns/coredns", 18_562_039),
];

/// Tags the registry accepts for any known repository besides version-like ones.
const WORD_TAGS: &[&str] = &[
    "latest", "alpine", "stable", "mainline", "bookworm", "bullseye", "slim", "perl", "musl",
    "glibc", "uclibc", "jammy", "noble", "focal",
];

fn tag_exists(tag: &str) -> bool {
    if tag.is_empty() {
        return true;
    }
    let versionish = tag
        .trim_start_matches('v')
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    versionish
        || WORD_TAGS
            .iter()
            .any(|w| tag == *w || tag.ends_with(&format!("-{w}")))
}

fn hex64(seed: &str, salt: u32) -> String {
    (0..8u32)
        .map(|i| {
            format!(
                "{:08x}",
                naming::fnv32a(seed.as_bytes(), naming::FNV32_OFFSET ^ (salt + i))
            )
        })
        .collect()
}

/// Looks an image up in the registry: its details, or containerd's pull error (the text after
/// `rpc error: code = ... desc = `, with the code).
pub fn resolve(image: &str) -> Result<ImageInfo, PullError> {
    let full = full_image(image);
    let (repo, digest) = match full.split_once('@') {
        Some((r, d)) => (r.to_owned(), Some(d.to_owned())),
        None => (
            full.rsplit_once(':')
                .filter(|(r, _)| !r.ends_with('/') && !r.is_empty())
                .map_or(full.clone(), |(r, _)| {
                    // `localhost:5000/x` keeps its port: only a colon after the last slash tags.
                    if full.rfind(':') > full.rfind('/') {
                        r.to_owned()
                    } else {
                        full.clone()
                    }
                }),
            None,
        ),
    };
    let Some((_, size)) = REPOSITORIES.iter().find(|(r, _)| *r == repo) else {
        return Err(PullError {
            code: "Unknown",
            desc: format!(
                "failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
            ),
        });
    };
    if digest.is_none() && !tag_exists(tag_of(&full)) {
        return Err(PullError {
            code: "NotFound",
            desc: format!(
                "failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": {full}: not found"
            ),
        });
    }
    let digest = digest.unwrap_or_else(|| format!("sha256:{}", hex64(&full, 7)));
    // Sizes vary a little by tag.
    let size = size + u64::from(naming::fnv32a(full.as_bytes(), naming::FNV32_OFFSET) % 4096);
    Ok(ImageInfo {
        image_id: format!("{repo}@{digest}"),
        full,
        size,
    })
}

/// A failed pull, as containerd reports it over CRI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullError {
    pub code: &'static str,
    pub desc: String,
}

impl PullError {
    /// The kubelet's `Failed` event text.
    pub fn event_message(&self, image: &str) -> String {
        format!(
            "Failed to pull image \"{image}\": rpc error: code = {} desc = {}",
            self.code, self.desc
        )
    }
}

/// Go's `time.Duration.String()` for a whole number of milliseconds (`5.871s`, `870ms`).
pub fn go_duration_ms(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    let secs = ms / 1_000;
    let frac = ms % 1_000;
    let (m, s) = (secs / 60, secs % 60);
    let (h, m) = (m / 60, m % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if frac == 0 {
        out.push_str(&format!("{s}s"));
    } else {
        let f = format!("{frac:03}");
        out.push_str(&format!("{s}.{}s", f.trim_end_matches('0')));
    }
    out
}

/// How long pulling `size` bytes takes: ~40 MB/s plus 0.3-1.3 s of registry round trips.
pub fn pull_millis(size: u64, jitter: u64) -> u64 {
    300 + jitter % 1_000 + size / 40_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_normalised_like_containerd() {
        assert_eq!(full_image("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(full_image("nginx:1.14.2"), "docker.io/library/nginx:1.14.2");
        assert_eq!(full_image("bitnami/redis:7"), "docker.io/bitnami/redis:7");
        assert_eq!(
            full_image("registry.k8s.io/coredns/coredns:v1.11.3"),
            "registry.k8s.io/coredns/coredns:v1.11.3"
        );
    }

    #[test]
    fn unknown_tags_and_repositories_fail_like_containerd() {
        let e = resolve("nginx:nope").unwrap_err();
        assert_eq!(
            e.event_message("nginx:nope"),
            "Failed to pull image \"nginx:nope\": rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:nope\": failed to resolve reference \"docker.io/library/nginx:nope\": docker.io/library/nginx:nope: not found"
        );
        assert!(
            resolve("nosuchimage")
                .unwrap_err()
                .desc
                .contains("pull access denied")
        );
        let ok = resolve("busybox:1.28").unwrap();
        assert_eq!(ok.full, "docker.io/library/busybox:1.28");
        assert!(ok.image_id.starts_with("docker.io/library/busybox@sha256:"));
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration_ms(5_871), "5.871s");
        assert_eq!(go_duration_ms(870), "870ms");
        assert_eq!(go_duration_ms(2_500), "2.5s");
        assert_eq!(go_duration_ms(61_000), "1m1s");
    }
}
