//! Loading the shipped ImageNet weights (a burnpack with F16 storage) from bytes.
//!
//! The loader only parses bytes and uploads tensors: it never reads a tensor back, so it is
//! safe on every backend. On wasm, fetch or `include_bytes!` the file and pass the bytes in.

use burn::module::Module;
use burn::tensor::{Bytes, Device};
use burn_store::{BurnpackStore, HalfPrecisionAdapter, ModuleSnapshot};

use crate::model::EfficientNetLite0;

/// The converted weights' file name under `static/models/`.
pub const WEIGHTS_FILE: &str = "efficientnet-lite0.bpk";

/// Errors while loading weights.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The bytes are empty.
    #[error("the weights file is empty")]
    Empty,
    /// The bytes are not a burnpack that fits the architecture.
    #[error("the weights do not fit EfficientNet-Lite0: {0}")]
    Invalid(String),
    /// The burnpack loaded but left parameters unset or carried unknown ones.
    #[error("the weights do not fit EfficientNet-Lite0: missing {missing:?}, unused {unused:?}")]
    Mismatch {
        /// Parameters of the model that the file did not set.
        missing: Vec<String>,
        /// Tensors in the file that the model has no place for.
        unused: Vec<String>,
    },
}

/// What a load applied (all of the model's tensors on success).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// Names of the tensors that were set, e.g. `_blocks.3._depthwise_conv.weight`.
    pub applied: Vec<String>,
}

/// Loads weights from an owned byte buffer (e.g. a fetched file) onto `device`, in inference
/// mode (BatchNorm uses its running statistics).
pub fn load_weights(
    bytes: Vec<u8>,
    device: &Device,
) -> Result<(EfficientNetLite0, LoadReport), WeightsError> {
    if bytes.is_empty() {
        return Err(WeightsError::Empty);
    }
    let store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(bytes)));
    load_from_store(store, device)
}

/// Alignment the tensor data needs in memory. Burnpack aligns each tensor to 256 bytes from
/// the start of the file, so a file whose first byte sits on this boundary gives every tensor
/// an address its element type can be read from in place.
const DATA_ALIGN: usize = 16;

/// Loads weights from static bytes (`include_bytes!`), without copying them when they are
/// aligned. `include_bytes!` only promises byte alignment: misaligned bytes are copied into an
/// aligned buffer first (reading F32 tensors in place from them fails).
pub fn load_weights_static(
    bytes: &'static [u8],
    device: &Device,
) -> Result<(EfficientNetLite0, LoadReport), WeightsError> {
    if bytes.is_empty() {
        return Err(WeightsError::Empty);
    }
    if !(bytes.as_ptr() as usize).is_multiple_of(DATA_ALIGN) {
        return load_weights(bytes.to_vec(), device);
    }
    load_from_store(BurnpackStore::from_static(bytes), device)
}

fn load_from_store(
    store: BurnpackStore,
    device: &Device,
) -> Result<(EfficientNetLite0, LoadReport), WeightsError> {
    let mut store = store.with_from_adapter(HalfPrecisionAdapter::new());
    let mut model = EfficientNetLite0::new(device);
    let result = model
        .load_from(&mut store)
        .map_err(|e| WeightsError::Invalid(e.to_string()))?;
    if !result.errors.is_empty() {
        let errors: Vec<String> = result.errors.iter().map(ToString::to_string).collect();
        return Err(WeightsError::Invalid(errors.join("; ")));
    }
    if !result.missing.is_empty() || !result.unused.is_empty() {
        return Err(WeightsError::Mismatch {
            missing: result.missing.into_iter().map(|(name, _)| name).collect(),
            unused: result.unused,
        });
    }
    Ok((
        model.valid(),
        LoadReport {
            applied: result.applied,
        },
    ))
}
