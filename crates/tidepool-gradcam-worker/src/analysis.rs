//! The worker's behaviour, free of web APIs: load the model from bytes on the best backend,
//! and explain a photo with async reads only. Native tests run it on Flex; the browser tests
//! run the same code on WebGPU and Flex.
//!
//! The numbers a map is made from (activations and gradients at the target layer) are kept for
//! the last photo, so switching the method or the colormap, or asking again, recolours in
//! milliseconds instead of running the network: all five methods come from one backward pass.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tidepool_gradcam::backend::{BackendKind, init_device};
use tidepool_gradcam::burn::tensor::Device;
use tidepool_gradcam::cam::{CamData, CamMethod, CamTarget, Colormap, head_gradients};
use tidepool_gradcam::classes::{class_name, class_names};
use tidepool_gradcam::model::{EfficientNetLite0, INPUT_SIZE, NUM_CLASSES, TargetLayer};
use tidepool_gradcam::preprocess::{CropMode, Preprocessed, preprocess};
use tidepool_gradcam::weights::load_weights;

use crate::blend::rgb_to_rgba;
use crate::protocol::{
    AnalyseOptions, Analysis, ClassScore, ColormapChoice, Layer, Method, Timings,
};

/// A loaded model on its device.
pub struct LoadedModel {
    model: EfficientNetLite0,
    device: Device,
    backend: BackendKind,
    fallback_reason: Option<String>,
    /// The last photo's read-back pass (never locked across an `await`; a Mutex rather than
    /// a RefCell so native tests can share one loaded model between threads).
    last_pass: Mutex<Option<LastPass>>,
}

/// What decides the network's numbers: the photo, the crop, the layer and the class asked for.
/// The method and the colormap only change how those numbers are turned into a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PassKey {
    image_len: usize,
    image_hash: u64,
    whole_image: bool,
    layer: Layer,
    class: Option<u32>,
}

impl PassKey {
    fn new(image: &[u8], options: &AnalyseOptions) -> Self {
        // SipHash with fixed keys: deterministic, and 64 bits plus the length make an
        // accidental match between two different photos negligible.
        let mut hasher = DefaultHasher::new();
        image.hash(&mut hasher);
        Self {
            image_len: image.len(),
            image_hash: hasher.finish(),
            whole_image: options.whole_image,
            layer: options.layer,
            class: options.class,
        }
    }
}

#[derive(Debug, Clone)]
struct LastPass {
    key: PassKey,
    pre: Preprocessed,
    data: CamData,
}

impl std::fmt::Debug for LoadedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("backend", &self.backend)
            .field("fallback_reason", &self.fallback_reason)
            .finish_non_exhaustive()
    }
}

/// Initialises a backend (WebGPU first when `prefer_gpu`, else or on failure Flex) and loads
/// the burnpack `weights` onto it. Nothing is read back from the device.
pub async fn load_model(weights: Vec<u8>, prefer_gpu: bool) -> Result<LoadedModel, String> {
    let choice = init_device(prefer_gpu).await.map_err(|e| e.to_string())?;
    let (model, _report) = load_weights(weights, &choice.device).map_err(|e| e.to_string())?;
    Ok(LoadedModel {
        model,
        device: choice.device,
        backend: choice.kind,
        fallback_reason: choice.fallback_reason,
        last_pass: Mutex::new(None),
    })
}

/// The 1000 class names, for [`crate::protocol::FromGradcam::Ready`].
pub fn all_class_names() -> Vec<String> {
    class_names().into_iter().map(str::to_owned).collect()
}

fn method(method: Method) -> CamMethod {
    match method {
        Method::GradCam => CamMethod::GradCam,
        Method::GradCamPlusPlus => CamMethod::GradCamPlusPlus,
        Method::HiResCam => CamMethod::HiResCam,
        Method::XGradCam => CamMethod::XGradCam,
        Method::LayerCam => CamMethod::LayerCam,
    }
}

fn layer(layer: Layer) -> TargetLayer {
    match layer {
        Layer::Head => TargetLayer::Head,
        Layer::Block10 => TargetLayer::Block10,
        Layer::Block4 => TargetLayer::Block4,
    }
}

fn colormap(colormap: ColormapChoice) -> Colormap {
    match colormap {
        ColormapChoice::Jet => Colormap::Jet,
        ColormapChoice::Turbo => Colormap::Turbo,
        ColormapChoice::Viridis => Colormap::Viridis,
    }
}

fn score(index: usize, probabilities: &[f32]) -> ClassScore {
    ClassScore {
        index: u32::try_from(index).unwrap_or(u32::MAX),
        name: class_name(index).unwrap_or("?").to_owned(),
        probability: probabilities.get(index).copied().unwrap_or(0.0),
    }
}

impl LoadedModel {
    /// `webgpu` or `flex`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Why WebGPU is not in use, when it was wanted.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// Forgets the last photo's pass, so the next [`LoadedModel::analyse`] runs the network
    /// (benchmarks time the second run of the same photo).
    pub fn forget_last_pass(&self) {
        *self.last_pass() = None;
    }

    fn last_pass(&self) -> MutexGuard<'_, Option<LastPass>> {
        // A panic while holding the lock cannot leave a half-written pass: take it anyway.
        self.last_pass
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Explains one photo: top-5, the CAM at feature resolution, the network's input and the
    /// coloured map as RGBA, and timings. `now_ms` is a monotonic clock in milliseconds.
    /// Every device read is async. Bad input gives a message, never a panic. When only the
    /// method or colormap differs from the previous call for the same photo, the network is
    /// not run again ([`Timings::reused_pass`]).
    pub async fn analyse(
        &self,
        request_id: u32,
        image: &[u8],
        options: AnalyseOptions,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<Analysis, String> {
        let started = now_ms();
        let target = match options.class {
            None => CamTarget::TopPrediction,
            Some(c) if (c as usize) < NUM_CLASSES => CamTarget::Class(c as usize),
            Some(c) => return Err(format!("class {c} is out of range (0..1000)")),
        };
        let key = PassKey::new(image, &options);
        let cached = self
            .last_pass()
            .as_ref()
            .filter(|last| last.key == key)
            .cloned();
        let reused_pass = cached.is_some();
        let (pre, data, after_preprocess, after_forward, after_backward) = match cached {
            Some(last) => {
                let now = now_ms();
                (last.pre, last.data, now, now, now)
            }
            None => {
                let (pre, data, times) = self.run_network(image, &options, target, now_ms).await?;
                *self.last_pass() = Some(LastPass {
                    key,
                    pre: pre.clone(),
                    data: data.clone(),
                });
                (pre, data, times[0], times[1], times[2])
            }
        };

        let probabilities = data.probabilities();
        let top5 = data
            .top5()
            .into_iter()
            .map(|(index, _)| score(index, &probabilities))
            .collect();
        let map = data.map(method(options.method));
        let heatmap = map
            .upsample(INPUT_SIZE, INPUT_SIZE)
            .heatmap(colormap(options.colormap));
        let done = now_ms();

        Ok(Analysis {
            request_id,
            options,
            backend: self.backend.name().to_owned(),
            top5,
            explained: score(data.class, &probabilities),
            logits: data.logits,
            cam_width: u32::try_from(map.width).unwrap_or(0),
            cam_height: u32::try_from(map.height).unwrap_or(0),
            cam: map.values,
            size: INPUT_SIZE as u32,
            image_rgba: rgb_to_rgba(&pre.rgb),
            heatmap_rgba: rgb_to_rgba(&heatmap),
            original_width: pre.original_size.0,
            original_height: pre.original_size.1,
            downscaled: pre.downscaled,
            timings: Timings {
                preprocess_ms: after_preprocess - started,
                forward_ms: after_forward - after_preprocess,
                backward_ms: after_backward - after_forward,
                map_ms: done - after_backward,
                total_ms: done - started,
                reused_pass,
            },
        })
    }

    /// Preprocesses the photo, runs the network to the target layer and back from the class
    /// logit, and reads the numbers back. Returns the clock after each of the three steps.
    async fn run_network(
        &self,
        image: &[u8],
        options: &AnalyseOptions,
        target: CamTarget,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<(Preprocessed, CamData, [f64; 3]), String> {
        let crop = if options.whole_image {
            CropMode::WholeImage
        } else {
            CropMode::CenterCrop
        };
        let pre = preprocess(image, crop).map_err(|e| e.to_string())?;
        let after_preprocess = now_ms();

        let layer = layer(options.layer);
        let activations = self
            .model
            .features_at(pre.input_tensor(&self.device), layer);
        // Wait for the device (one number read back) so the forward time is the real one on
        // an asynchronous backend, not the time to queue the work.
        activations
            .clone()
            .sum()
            .into_data_async()
            .await
            .map_err(|e| format!("reading results from the device failed: {e:?}"))?;
        let after_forward = now_ms();

        let data = head_gradients(&self.model, activations, layer, target)
            .map_err(|e| e.to_string())?
            .read_async()
            .await
            .map_err(|e| e.to_string())?;
        let after_backward = now_ms();
        Ok((pre, data, [after_preprocess, after_forward, after_backward]))
    }
}
