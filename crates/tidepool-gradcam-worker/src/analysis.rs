//! The worker's behaviour, free of web APIs: load the model from bytes on the best backend,
//! and explain a photo with async reads only. Native tests run it on Flex; the browser tests
//! run the same code on WebGPU and Flex.

use tidepool_gradcam::backend::{BackendKind, init_device};
use tidepool_gradcam::burn::tensor::Device;
use tidepool_gradcam::cam::{CamMethod, CamTarget, Colormap, head_gradients};
use tidepool_gradcam::classes::{class_name, class_names};
use tidepool_gradcam::model::{EfficientNetLite0, INPUT_SIZE, NUM_CLASSES, TargetLayer};
use tidepool_gradcam::preprocess::{CropMode, preprocess};
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

    /// Explains one photo: top-5, the CAM at feature resolution, the network's input and the
    /// coloured map as RGBA, and timings. `now_ms` is a monotonic clock in milliseconds.
    /// Every device read is async. Bad input gives a message, never a panic.
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
            },
        })
    }
}
