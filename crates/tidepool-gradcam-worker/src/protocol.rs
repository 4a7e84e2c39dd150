//! Messages between the UI thread and the Grad-CAM worker. Encoded with serde-wasm-bindgen
//! (see [`crate::codec`]); byte buffers travel as `Uint8Array` (`serde_bytes`), not as arrays
//! of numbers. This module does not depend on burn, so the UI can use it without the model.

use serde::{Deserialize, Serialize};

/// The protocol revision; bump it when a message changes shape.
pub const PROTOCOL_VERSION: u32 = 2;

/// Where the site serves the weights (Trunk copies `static/models` to `models/`).
pub const WEIGHTS_URL: &str = "./models/efficientnet-lite0.bpk";

/// UI -> Grad-CAM worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToGradcam {
    /// Fetch (or take from the cache) the weights and initialise a backend. Sent when the lab
    /// opens; a second `Load` while loading or loaded is answered with the current state.
    Load {
        /// URL of the burnpack weights, relative to the worker script.
        weights_url: String,
        /// Try WebGPU first (falls back to Flex when unavailable).
        prefer_gpu: bool,
    },
    /// Explain one photo. Answered by [`FromGradcam::Analysed`] or [`FromGradcam::Failed`]
    /// with the same `request_id`. Requests sent before the weights are ready wait for them.
    Analyse {
        request_id: u32,
        /// The photo file as uploaded (JPEG, PNG, WebP, GIF, BMP).
        #[serde(with = "serde_bytes")]
        image: Vec<u8>,
        options: AnalyseOptions,
    },
}

/// How to explain a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AnalyseOptions {
    pub method: Method,
    pub layer: Layer,
    /// The class to explain; `None` explains the top-1 prediction.
    pub class: Option<u32>,
    pub colormap: ColormapChoice,
    /// Squash the whole photo to 224 x 224 instead of resizing and centre-cropping.
    pub whole_image: bool,
}

/// A member of the Grad-CAM family (mirrors `tidepool_gradcam::CamMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Method {
    #[default]
    GradCam,
    GradCamPlusPlus,
    HiResCam,
    XGradCam,
    LayerCam,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::GradCam,
        Method::GradCamPlusPlus,
        Method::HiResCam,
        Method::XGradCam,
        Method::LayerCam,
    ];

    /// Stable short name, as the CLI's `--method`.
    pub fn name(self) -> &'static str {
        match self {
            Method::GradCam => "gradcam",
            Method::GradCamPlusPlus => "gradcam++",
            Method::HiResCam => "hirescam",
            Method::XGradCam => "xgradcam",
            Method::LayerCam => "layercam",
        }
    }

    /// Display name.
    pub fn label(self) -> &'static str {
        match self {
            Method::GradCam => "Grad-CAM",
            Method::GradCamPlusPlus => "Grad-CAM++",
            Method::HiResCam => "HiResCAM",
            Method::XGradCam => "XGrad-CAM",
            Method::LayerCam => "LayerCAM",
        }
    }

    /// Parses [`Method::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Where the forward pass is split (mirrors `tidepool_gradcam::TargetLayer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Layer {
    /// The head conv output, 1280 x 7 x 7.
    #[default]
    Head,
    /// The last block of stage 5, 112 x 14 x 14.
    Block10,
    /// The last block of stage 3, 40 x 28 x 28.
    Block4,
}

impl Layer {
    pub const ALL: [Layer; 3] = [Layer::Head, Layer::Block10, Layer::Block4];

    /// Stable short name, as the CLI's `--layer`.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Head => "head",
            Layer::Block10 => "block10",
            Layer::Block4 => "block4",
        }
    }

    /// Display name with the feature map's shape.
    pub fn label(self) -> &'static str {
        match self {
            Layer::Head => "head (1280×7×7)",
            Layer::Block10 => "block 10 (112×14×14)",
            Layer::Block4 => "block 4 (40×28×28)",
        }
    }

    /// Parses [`Layer::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// The heatmap's colormap (mirrors `tidepool_gradcam::Colormap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ColormapChoice {
    #[default]
    Jet,
    Turbo,
    Viridis,
}

impl ColormapChoice {
    pub const ALL: [ColormapChoice; 3] = [
        ColormapChoice::Jet,
        ColormapChoice::Turbo,
        ColormapChoice::Viridis,
    ];

    /// Stable short name (`jet`, `turbo`, `viridis`).
    pub fn name(self) -> &'static str {
        match self {
            ColormapChoice::Jet => "jet",
            ColormapChoice::Turbo => "turbo",
            ColormapChoice::Viridis => "viridis",
        }
    }

    /// Display name.
    pub fn label(self) -> &'static str {
        match self {
            ColormapChoice::Jet => "Jet",
            ColormapChoice::Turbo => "Turbo",
            ColormapChoice::Viridis => "Viridis",
        }
    }

    /// Parses [`ColormapChoice::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Where the weights came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WeightsSource {
    /// Downloaded now (and stored in the cache for next time).
    Network,
    /// Read from the browser's Cache API (instant, works offline).
    Cache,
    /// Handed to the worker directly (tests).
    Memory,
}

/// Grad-CAM worker -> UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromGradcam {
    /// Bytes of the weights received so far.
    Progress {
        received: u64,
        /// From `Content-Length`, when the server sent one.
        total: Option<u64>,
        source: WeightsSource,
    },
    /// The model is loaded and a backend is initialised.
    Ready {
        protocol_version: u32,
        /// `webgpu` or `flex`.
        backend: String,
        /// Set when WebGPU was wanted but could not be used.
        fallback_reason: Option<String>,
        source: WeightsSource,
        /// Fetch + parse + upload, in milliseconds.
        load_ms: f64,
        /// The 1000 ImageNet class names in index order (for the class search).
        class_names: Vec<String>,
    },
    /// The weights could not be fetched or did not load.
    LoadFailed { message: String },
    /// The result of [`ToGradcam::Analyse`].
    Analysed(Box<Analysis>),
    /// [`ToGradcam::Analyse`] failed (bad image, ...): a message for the user.
    Failed { request_id: u32, message: String },
}

/// One class and its softmax probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassScore {
    pub index: u32,
    pub name: String,
    pub probability: f32,
}

/// Milliseconds spent in each step of one analysis.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Timings {
    /// Decode, orient, resize, crop, normalise.
    pub preprocess_ms: f64,
    /// The network up to the target layer (waited for on the device).
    pub forward_ms: f64,
    /// The rest of the network, the backward pass from the class logit, and reading the
    /// logits, activations and gradients back.
    pub backward_ms: f64,
    /// The CAM, its upsampling and the colormap (CPU).
    pub map_ms: f64,
    /// Everything above.
    pub total_ms: f64,
    /// The photo, crop, layer and class were those of the previous analysis, so its pass was
    /// reused and only the map was made again (preprocess, forward and backward are ~0).
    #[serde(default)]
    pub reused_pass: bool,
}

/// What the worker found for one photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub request_id: u32,
    pub options: AnalyseOptions,
    /// `webgpu` or `flex`.
    pub backend: String,
    /// The five most probable classes, most probable first.
    pub top5: Vec<ClassScore>,
    /// The explained class and its probability.
    pub explained: ClassScore,
    /// Pre-softmax logits (1000).
    pub logits: Vec<f32>,
    /// The normalised map at feature resolution, `cam_height x cam_width`, row-major.
    pub cam: Vec<f32>,
    pub cam_width: u32,
    pub cam_height: u32,
    /// Side of the square images below (224: what the network saw).
    pub size: u32,
    /// The network's input as RGBA8.
    #[serde(with = "serde_bytes")]
    pub image_rgba: Vec<u8>,
    /// The upsampled map through the colormap, RGBA8.
    #[serde(with = "serde_bytes")]
    pub heatmap_rgba: Vec<u8>,
    /// The photo's size after EXIF orientation.
    pub original_width: u32,
    pub original_height: u32,
    /// Whether a very large photo was reduced before resizing.
    pub downscaled: bool,
    pub timings: Timings,
}
