//! Names the way Kubernetes makes them: generateName suffixes, UIDs and pod-template-hash.

use crate::SimRng;

/// `k8s.io/apimachinery/pkg/util/rand` alphabet: no vowels (no words) and no look-alikes.
pub const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// apiserver's generateName: base (trimmed to 58 bytes) plus 5 random characters.
pub fn generate_name(base: &str, rng: &mut SimRng) -> String {
    const MAX_GENERATED_NAME_LENGTH: usize = 63 - 5;
    let mut cut = base.len().min(MAX_GENERATED_NAME_LENGTH);
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut name = base[..cut].to_owned();
    for _ in 0..5 {
        let index = rng.below(SUFFIX_ALPHABET.len() as u64) as usize;
        name.push(SUFFIX_ALPHABET[index] as char);
    }
    name
}

/// A random (version 4) UUID drawn from the simulation RNG.
pub fn uid(rng: &mut SimRng) -> String {
    let hi = rng.next_u64().to_be_bytes();
    let lo = rng.next_u64().to_be_bytes();
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&hi);
    b[8..].copy_from_slice(&lo);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `rand.SafeEncodeString`: maps each byte onto the suffix alphabet.
pub fn safe_encode(text: &str) -> String {
    text.bytes()
        .map(|b| SUFFIX_ALPHABET[b as usize % SUFFIX_ALPHABET.len()] as char)
        .collect()
}

/// FNV-1a, 32 bit, as Go's `hash/fnv.New32a`.
pub fn fnv32a(bytes: &[u8], mut hash: u32) -> u32 {
    for &b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

pub const FNV32_OFFSET: u32 = 0x811c_9dc5;

/// `controller.ComputeHash`: FNV-32a over the template, then the collision count's 8
/// little-endian bytes, printed in decimal and safe-encoded.
///
/// Fidelity: Kubernetes hashes go-spew's deep print of the Go struct; we hash the template's
/// canonical JSON (sorted keys) instead, so values have the real shape and alphabet and are
/// stable for a template, but differ from a real cluster's for the same template.
pub fn pod_template_hash(
    template_json: &serde_json::Value,
    collision_count: Option<i32>,
) -> String {
    let canonical = canonical_json(template_json);
    let mut hash = fnv32a(canonical.as_bytes(), FNV32_OFFSET);
    if let Some(count) = collision_count {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&(count as u32).to_le_bytes());
        hash = fnv32a(&bytes, hash);
    }
    safe_encode(&hash.to_string())
}

/// JSON text with object keys sorted, so equal templates hash equally.
pub fn canonical_json(value: &serde_json::Value) -> String {
    // serde_json's default map is a BTreeMap (no `preserve_order`), so keys already sort.
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_go_reference_vectors() {
        assert_eq!(fnv32a(b"", FNV32_OFFSET), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a", FNV32_OFFSET), 0xe40c_292c);
        assert_eq!(fnv32a(b"foobar", FNV32_OFFSET), 0xbf9c_f968);
    }

    #[test]
    fn generated_names_use_the_kubernetes_alphabet() {
        let mut rng = SimRng::seeded(3);
        let name = generate_name("web-", &mut rng);
        assert_eq!(name.len(), 9);
        assert!(name[4..].bytes().all(|b| SUFFIX_ALPHABET.contains(&b)));
        assert_eq!(generate_name(&"x".repeat(80), &mut rng).len(), 63);
        let id = uid(&mut rng);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        // Decimal digits land on a fixed sub-alphabet, as on a real cluster ("7c5ddbdf54").
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
    }
}
