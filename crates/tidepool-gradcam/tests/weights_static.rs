//! `load_weights_static` accepts `include_bytes!` data wherever the linker placed it.

use burn::tensor::Device;
use tidepool_gradcam::weights::load_weights_static;

const WEIGHTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../static/models/efficientnet-lite0.bpk"
);

/// The shipped weights at an address that is deliberately not 2-, 4- or 16-byte aligned.
fn misaligned_static_weights() -> &'static [u8] {
    let file = std::fs::read(WEIGHTS).expect("the shipped weights");
    let mut buffer = vec![0u8; file.len() + 32];
    let offset = (0..32)
        .find(|i| (buffer.as_ptr() as usize + i) % 16 == 1)
        .expect("an odd offset");
    buffer[offset..offset + file.len()].copy_from_slice(&file);
    let leaked: &'static [u8] = Box::leak(buffer.into_boxed_slice());
    &leaked[offset..offset + file.len()]
}

#[test]
fn misaligned_static_bytes_load_every_tensor() {
    let bytes = misaligned_static_weights();
    assert_eq!(bytes.as_ptr() as usize % 16, 1);
    let (_, report) = load_weights_static(bytes, &Device::flex()).expect("weights load");
    assert_eq!(report.applied.len(), 247);
}
