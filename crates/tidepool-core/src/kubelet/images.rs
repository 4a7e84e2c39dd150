//! Image references and the registry the kubelet pulls from: containerd's normalised names,
//! which images exist (and their sizes and digests), pull delays and the exact error texts.
//! The catalogue itself is `tidepool-container`'s.

/// What the registry knows about an image that exists.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    /// Fully-qualified reference, e.g. `docker.io/library/busybox:1.28`.
    pub full: String,
    /// Compressed size in bytes (what `Pulled ... Image size:` reports).
    pub size: u64,
    /// `docker.io/library/busybox@sha256:...`.
    pub image_id: String,
    /// The catalogue image (ENTRYPOINT/CMD, programs, server behaviour).
    pub image: tidepool_container::Image,
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

/// Looks an image up in the catalogue of `tidepool-container`: its details, or containerd's
/// pull error.
pub fn resolve(image: &str) -> Result<ImageInfo, PullError> {
    match tidepool_container::resolve(image) {
        Ok(found) => Ok(ImageInfo {
            full: found.reference(),
            size: found.compressed_size(),
            image_id: found.repo_digest(),
            image: found,
        }),
        Err(_) if alias(image).is_some() => {
            let (behaves_like, size) = alias(image).unwrap_or(("", None));
            let found = tidepool_container::resolve(behaves_like).map_err(|e| PullError {
                code: e.grpc_code(),
                reason: e.reason(),
                desc: e.containerd_message(),
                event: e.kubelet_message(image),
            })?;
            let full = full_image(image);
            let repo = full.rsplit_once(':').map_or(full.as_str(), |(r, _)| r);
            let digest = found.repo_digest();
            let digest = digest.split_once('@').map_or("", |(_, d)| d);
            Ok(ImageInfo {
                image_id: format!("{repo}@{digest}"),
                full: full.clone(),
                size: size.unwrap_or_else(|| found.compressed_size()),
                image: found,
            })
        }
        Err(e) => Err(PullError {
            code: e.grpc_code(),
            reason: e.reason(),
            desc: e.containerd_message(),
            event: e.kubelet_message(image),
        }),
    }
}

/// Tutorial images the catalogue lacks, run as a catalogue image that behaves the same (the
/// reported name and size stay the image's own): `nginx:1.16.1` is `nginx:1.16` (same
/// version), `perl` runs like debian (it has a shell), nginx-slim like nginx.
fn alias(image: &str) -> Option<(&'static str, Option<u64>)> {
    let full = full_image(image);
    let (repo, tag) = full.rsplit_once(':')?;
    if let Some((minor, _)) = tag.rsplit_once('.') {
        let shorter = format!("{repo}:{minor}");
        if let Ok(found) = tidepool_container::resolve(&shorter)
            && found.version() == tag
        {
            return CATALOGUE_MINORS
                .iter()
                .find(|m| **m == shorter)
                .map(|m| (*m, None));
        }
    }
    match repo {
        "docker.io/library/perl" => Some(("debian:12", Some(347_123_201))),
        "registry.k8s.io/nginx-slim" => Some(("nginx:1.27", Some(20_232_440))),
        // The notes' `kubectl set image deployment/nginx nginx=nginx:1.9.1` example.
        "docker.io/library/nginx" if tag == "1.9.1" => Some(("nginx:1.14", None)),
        // The Kubernetes basics tutorial's v2 image lives on Docker Hub.
        "docker.io/jocatalin/kubernetes-bootcamp" => match tag {
            "v1" => Some(("gcr.io/google-samples/kubernetes-bootcamp:v1", None)),
            "v2" => Some(("gcr.io/google-samples/kubernetes-bootcamp:v2", None)),
            _ => None,
        },
        _ => None,
    }
}

/// Minor-version tags that stand for their latest patch release.
const CATALOGUE_MINORS: &[&str] = &[
    "docker.io/library/nginx:1.16",
    "docker.io/library/nginx:1.14",
    "docker.io/library/nginx:1.21",
    "docker.io/library/nginx:1.23",
    "docker.io/library/nginx:1.24",
    "docker.io/library/nginx:1.25",
    "docker.io/library/nginx:1.26",
    "docker.io/library/nginx:1.27",
];

/// A failed pull, as containerd reports it over CRI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullError {
    pub code: &'static str,
    /// `ErrImagePull` or `InvalidImageName`.
    pub reason: &'static str,
    pub desc: String,
    /// The kubelet's `Failed` event text.
    pub event: String,
}

impl PullError {
    /// The kubelet's `Failed` event text.
    pub fn event_message(&self, _image: &str) -> String {
        self.event.clone()
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
