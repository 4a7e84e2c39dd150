//! Bound ServiceAccount tokens: JWT-shaped strings (header, claims, signature in base64url)
//! with the claims kube-apiserver v1.32 puts in them. The signature is a seeded hash, not
//! RSA: nothing in the simulation verifies it, but the same seed gives the same token.

use crate::api::EPOCH_UNIX_SECONDS;
use crate::clock::VirtualTime;
use crate::naming::{FNV32_OFFSET, fnv32a};
use serde_json::json;

/// The issuer and audience kubeadm clusters use.
const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// Who a token is for: the account, and the pod it is bound to (if any).
pub struct TokenRequest<'a> {
    pub namespace: &'a str,
    pub service_account: &'a str,
    pub service_account_uid: &'a str,
    /// Pod name and UID for a pod-bound token (the projected volume's).
    pub pod: Option<(&'a str, &'a str)>,
    pub expiration_seconds: i64,
}

/// A token issued at `now`, signed with a key derived from `seed`.
pub fn issue(seed: u64, now: VirtualTime, request: &TokenRequest<'_>) -> String {
    let iat = EPOCH_UNIX_SECONDS + i64::try_from(now.as_millis() / 1000).unwrap_or(0);
    let key_id = base64url(&stream(seed, b"service-account-key", 32));
    let header = json!({"alg": "RS256", "kid": key_id});
    let mut bound = json!({
        "namespace": request.namespace,
        "serviceaccount": {"name": request.service_account, "uid": request.service_account_uid},
    });
    if let Some((name, uid)) = request.pod {
        bound["pod"] = json!({"name": name, "uid": uid});
    }
    let claims = json!({
        "aud": [ISSUER],
        "exp": iat + request.expiration_seconds,
        "iat": iat,
        "iss": ISSUER,
        "kubernetes.io": bound,
        "nbf": iat,
        "sub": format!("system:serviceaccount:{}:{}", request.namespace, request.service_account),
    });
    let signed = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    // 64 bytes, not RS256's 256: it only has to look like a signature, and pods keep one each.
    let signature = base64url(&stream(
        seed ^ u64::from(fnv32a(signed.as_bytes(), FNV32_OFFSET)),
        b"sig",
        64,
    ));
    format!("{signed}.{signature}")
}

/// The token authenticator: the ServiceAccount user (`system:serviceaccount:<ns>:<name>`) a
/// token signed with `seed`'s key names, if it is not expired at `now`. The caller checks
/// that the account (and the pod a token is bound to) still exists.
pub fn authenticate(seed: u64, now: VirtualTime, token: &str) -> Option<TokenClaims> {
    let (signed, signature) = token.trim().rsplit_once('.')?;
    let expected = base64url(&stream(
        seed ^ u64::from(fnv32a(signed.as_bytes(), FNV32_OFFSET)),
        b"sig",
        64,
    ));
    if signature != expected {
        return None;
    }
    let (_, claims) = signed.split_once('.')?;
    let claims: serde_json::Value = serde_json::from_slice(&base64url_decode(claims)?).ok()?;
    let now_seconds = EPOCH_UNIX_SECONDS + i64::try_from(now.as_millis() / 1000).unwrap_or(0);
    if claims.get("exp")?.as_i64()? <= now_seconds {
        return None;
    }
    let bound = claims.get("kubernetes.io")?;
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    Some(TokenClaims {
        namespace: text(bound.get("namespace"))?,
        service_account: text(bound.pointer("/serviceaccount/name"))?,
        service_account_uid: text(bound.pointer("/serviceaccount/uid"))?,
        pod: text(bound.pointer("/pod/name")),
    })
}

/// Who an authenticated token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub namespace: String,
    pub service_account: String,
    pub service_account_uid: String,
    pub pod: Option<String>,
}

/// Unpadded base64url back to bytes; `None` for a character outside the alphabet.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// `len` pseudo-random bytes from `seed` and `label` (splitmix64).
fn stream(seed: u64, label: &[u8], len: usize) -> Vec<u8> {
    let mut state = seed ^ u64::from(fnv32a(label, FNV32_OFFSET)).rotate_left(32);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Unpadded base64url (RFC 4648 §5), as JWTs use.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(plain.as_bytes()), encoded);
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn tokens_are_deterministic_jwts_bound_to_the_pod() {
        let request = TokenRequest {
            namespace: "dev",
            service_account: "default",
            service_account_uid: "u1",
            pod: Some(("web", "p1")),
            expiration_seconds: 3607,
        };
        let a = issue(1, VirtualTime::from_millis(5_000), &request);
        assert_eq!(a, issue(1, VirtualTime::from_millis(5_000), &request));
        assert_ne!(a, issue(2, VirtualTime::from_millis(5_000), &request));
        let parts: Vec<&str> = a.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(a.starts_with("eyJhbGciOiJSUzI1NiIsImtpZCI6"), "{a}");
        assert_eq!(parts[2].len(), 86);
    }

    #[test]
    fn a_token_authenticates_until_it_expires() {
        let request = TokenRequest {
            namespace: "dev",
            service_account: "bot",
            service_account_uid: "u1",
            pod: None,
            expiration_seconds: 600,
        };
        let token = issue(7, VirtualTime::from_millis(1_000), &request);
        let claims = authenticate(7, VirtualTime::from_millis(2_000), &token);
        assert_eq!(
            claims.map(|c| (c.namespace, c.service_account, c.service_account_uid)),
            Some(("dev".to_owned(), "bot".to_owned(), "u1".to_owned()))
        );
        assert!(authenticate(8, VirtualTime::from_millis(2_000), &token).is_none());
        assert!(authenticate(7, VirtualTime::from_millis(602_000), &token).is_none());
        assert!(authenticate(7, VirtualTime::ZERO, "not.a-token").is_none());
        let tampered = token.replacen("eyJ", "eyK", 2);
        assert!(authenticate(7, VirtualTime::ZERO, &tampered).is_none());
    }
}
