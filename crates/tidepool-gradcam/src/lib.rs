//! EfficientNet-Lite0 (ImageNet) on burn 0.22 with the Grad-CAM family.
//!
//! **Architecture Invariant:** this crate knows nothing about the web. It decodes images,
//! runs the CNN and computes class-activation maps on whatever [`burn::tensor::Device`] it is
//! given; backends are chosen by cargo features (`flex` for the CPU, `webgpu` for the browser).
//! Every function that needs numbers from the device returns tensors or takes already-read
//! data, so a wasm host can read them with `into_data_async().await`; the `*_sync` helpers
//! are for native use only.
//!
//! - [`backend`]: WebGPU with a Flex fallback, chosen at run time.
//! - [`model`]: the architecture ([`model::EfficientNetLite0`]), split at a
//!   [`model::TargetLayer`].
//! - [`weights`]: loads the shipped burnpack from bytes.
//! - [`preprocess`]: decode, orient, resize, crop and normalise a photo.
//! - [`cam`]: top-5, the Grad-CAM family, colormaps and overlays.
//! - [`classes`]: the 1000 ImageNet class names.

/// The burn version this crate is built on, for hosts that need its `Device` and tensors.
pub use burn;

pub mod backend;
pub mod cam;
pub mod classes;
mod colormaps;
pub mod model;
pub mod preprocess;
pub mod weights;

pub use cam::{
    CamData, CamError, CamMap, CamMethod, CamTarget, CamTensors, Colormap, gradcam_tensors,
};
pub use model::{EfficientNetLite0, TargetLayer};
pub use preprocess::{CropMode, PreprocessError, Preprocessed};
pub use weights::{WeightsError, load_weights, load_weights_static};
