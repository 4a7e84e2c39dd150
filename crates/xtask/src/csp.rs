//! `cargo xtask csp DIR`: puts a Content-Security-Policy meta tag into a built site's
//! `index.html`. Trunk runs it as a post-build hook (see `Trunk.toml`), so `trunk serve`,
//! `trunk build` and every xtask build get it.
//!
//! The policy allows only our own origin, plus `'wasm-unsafe-eval'` (compiling WebAssembly)
//! and the SHA-256 hash of each inline script Trunk writes (the module script that loads the
//! app). Hashes are computed from the built file, so they always match what is served.
//! SHA-256 and base64 are implemented here (a few dozen lines) to keep xtask dependency-free.

use std::path::Path;

/// Everything but scripts: our origin only, except two things xterm.js needs: it injects
/// `<style>` elements at run time for its DOM renderer (row sizes, colours), so styles allow
/// `'unsafe-inline'` (without it the terminal draws without its cursor and metrics), and it
/// uses `data:` images. Scripts stay strict: no inline script runs unless its hash is listed.
const FIXED: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

const MARKER: &str = "http-equiv=\"Content-Security-Policy\"";

/// Adds (or replaces) the policy in `DIR/index.html`.
pub fn apply(dir: &Path) -> Result<(), String> {
    let path = dir.join("index.html");
    let html =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let out = with_policy(&html)?;
    std::fs::write(&path, out).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!(
        "xtask: Content-Security-Policy written into {}",
        path.display()
    );
    Ok(())
}

/// The page with a policy meta tag as the first element of `<head>`.
pub fn with_policy(html: &str) -> Result<String, String> {
    let html = remove_policy(html);
    let hashes: Vec<String> = inline_scripts(&html)
        .iter()
        .map(|body| format!("'sha256-{}'", base64(&sha256(body.as_bytes()))))
        .collect();
    let mut script_src = String::from("script-src 'self' 'wasm-unsafe-eval'");
    for hash in &hashes {
        script_src.push(' ');
        script_src.push_str(hash);
    }
    let meta = format!("\n    <meta {MARKER} content=\"{FIXED}; {script_src}\" />");
    let head = html
        .find("<head>")
        .ok_or_else(|| "index.html has no <head>".to_owned())?
        + "<head>".len();
    Ok(format!("{}{meta}{}", &html[..head], &html[head..]))
}

/// The page without an earlier policy tag (the hook may run twice on one file).
fn remove_policy(html: &str) -> String {
    let Some(at) = html.find(MARKER) else {
        return html.to_owned();
    };
    let start = html[..at].rfind("<meta").unwrap_or(at);
    let end = html[at..].find('>').map_or(html.len(), |e| at + e + 1);
    let start = html[..start].trim_end_matches([' ', '\n']).len();
    format!("{}{}", &html[..start], &html[end..])
}

/// Bodies of `<script>` elements without a `src` attribute.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut bodies = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_start = tag_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            bodies.push(&after[body_start..body_start + close]);
        }
        rest = &after[body_start + close + "</script>".len()..];
    }
    bodies
}

/// SHA-256 (FIPS 180-4).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (state, value) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *state = state.wrapping_add(value);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_and_base64_match_known_vectors() {
        // FIPS 180-4 examples (checked with `openssl dgst -sha256 -binary | base64`).
        assert_eq!(
            base64(&sha256(b"")),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            base64(&sha256(b"abc")),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            base64(&sha256(long)),
            "JI1qYdIGOLjlwCaTDD5gOaM85Flk/yFn9uzt1BnbBsE="
        );
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }

    #[test]
    fn the_policy_hashes_inline_scripts_only_and_replaces_itself() {
        let page = "<html><head><script src=\"/x.js\"></script>\
                    <script type=\"module\">init()</script></head><body></body></html>";
        let once = with_policy(page).expect("a policy");
        let expected = format!("'sha256-{}'", base64(&sha256(b"init()")));
        assert!(once.contains(&expected), "{once}");
        assert!(once.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"));
        assert_eq!(once.matches("sha256-").count(), 1, "{once}");
        assert!(
            once.find(MARKER) < once.find("<script"),
            "the policy comes first"
        );
        assert_eq!(with_policy(&once).expect("again"), once, "idempotent");
        assert!(with_policy("<html></html>").is_err());
    }
}
