//! Top-5 and the Grad-CAM family, with pytorch-grad-cam's conventions.
//!
//! The device work is one split forward and one backward ([`gradcam_tensors`]); it returns
//! tensors and reads nothing back. The host reads them ([`CamTensors::read_async`] on wasm,
//! [`CamTensors::read_sync`] natively) into a [`CamData`], from which every method's map,
//! the top-5, the heatmap and the overlay are plain CPU computations (no `sort` on the device).

use burn::tensor::{Int, Tensor, TensorData};

use crate::colormaps;
use crate::model::{EfficientNetLite0, NUM_CLASSES, TargetLayer};

/// A member of the Grad-CAM family; all come from the same activations and gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CamMethod {
    /// Selvaraju et al.: channel weights = spatial mean of the gradient.
    #[default]
    GradCam,
    /// Chattopadhyay et al.: second-order weights of the positive gradients.
    GradCamPlusPlus,
    /// Draelos & Carin: elementwise gradient x activation, summed over channels.
    HiResCam,
    /// Fu et al.: weights = sum(g * A) / (sum(A) + eps).
    XGradCam,
    /// Jiang et al.: ReLU(g) * A, summed over channels.
    LayerCam,
}

impl CamMethod {
    /// All methods.
    pub const ALL: [CamMethod; 5] = [
        CamMethod::GradCam,
        CamMethod::GradCamPlusPlus,
        CamMethod::HiResCam,
        CamMethod::XGradCam,
        CamMethod::LayerCam,
    ];

    /// Stable short name (`gradcam`, `gradcam++`, `hirescam`, `xgradcam`, `layercam`).
    pub fn name(self) -> &'static str {
        match self {
            CamMethod::GradCam => "gradcam",
            CamMethod::GradCamPlusPlus => "gradcam++",
            CamMethod::HiResCam => "hirescam",
            CamMethod::XGradCam => "xgradcam",
            CamMethod::LayerCam => "layercam",
        }
    }

    /// Parses [`CamMethod::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Which logit Grad-CAM explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CamTarget {
    /// The top-1 class (argmax on the device; nothing is read back).
    #[default]
    TopPrediction,
    /// A given class index (0..1000).
    Class(usize),
}

/// Errors of the Grad-CAM computation.
#[derive(Debug, thiserror::Error)]
pub enum CamError {
    /// The class index is not an ImageNet class.
    #[error("class {0} is out of range (0..1000)")]
    ClassOutOfRange(usize),
    /// The backward pass produced no gradient for the target layer.
    #[error("the backward pass produced no gradient at the target layer")]
    NoGradient,
    /// Reading a tensor back from the device failed.
    #[error("reading results from the device failed: {0}")]
    Read(String),
    /// The tensors read back do not have the expected shapes.
    #[error("unexpected result shape: {0}")]
    Shape(String),
}

/// What one split forward + backward leaves on the device (batch of one).
#[derive(Debug)]
pub struct CamTensors {
    /// Pre-softmax logits, `[1, 1000]`.
    pub logits: Tensor<2>,
    /// Activations at the target layer, `[1, C, H, W]`.
    pub activations: Tensor<4>,
    /// Gradient of the target logit with respect to the activations, `[1, C, H, W]`.
    pub gradients: Tensor<4>,
    /// The explained class, `[1, 1]`.
    pub class: Tensor<2, Int>,
    /// The layer the maps belong to.
    pub layer: TargetLayer,
}

/// Split forward at `layer`, a fresh autodiff leaf there (`detach().autodiff().require_grad()`),
/// the rest of the network, and one backward from the pre-softmax logit of `target`.
///
/// The model must be in inference mode ([`burn::module::Module::valid`], done by the loader)
/// and live on a plain (non-autodiff) device: only the part after `layer` is recorded.
///
/// # Shapes
/// - input: `[1, 3, 224, 224]`
pub fn gradcam_tensors(
    model: &EfficientNetLite0,
    input: Tensor<4>,
    layer: TargetLayer,
    target: CamTarget,
) -> Result<CamTensors, CamError> {
    if let CamTarget::Class(c) = target
        && c >= NUM_CLASSES
    {
        return Err(CamError::ClassOutOfRange(c));
    }
    let activations = model
        .features_at(input.without_autodiff(), layer)
        .without_autodiff();
    head_gradients(model, activations, layer, target)
}

/// The cheap part of [`gradcam_tensors`]: explains another class from activations already
/// computed at `layer` (only the network after `layer` runs again).
pub fn head_gradients(
    model: &EfficientNetLite0,
    activations: Tensor<4>,
    layer: TargetLayer,
    target: CamTarget,
) -> Result<CamTensors, CamError> {
    let leaf = activations.clone().detach().autodiff().require_grad();
    let logits = model.head_from(leaf.clone(), layer);
    let class: Tensor<2, Int> = match target {
        CamTarget::TopPrediction => logits.clone().detach().without_autodiff().argmax(1),
        CamTarget::Class(c) if c < NUM_CLASSES => {
            Tensor::<1, Int>::from_data(TensorData::from([c as i64]), &activations.device())
                .reshape([1, 1])
        }
        CamTarget::Class(c) => return Err(CamError::ClassOutOfRange(c)),
    };
    let score = logits.clone().gather(1, class.clone().autodiff());
    let grads = score.sum().backward();
    let gradients = leaf
        .grad(&grads)
        .ok_or(CamError::NoGradient)?
        .without_autodiff();
    Ok(CamTensors {
        logits: logits.detach().without_autodiff(),
        activations,
        gradients,
        class,
        layer,
    })
}

/// The numbers the maps are made from, read back from the device.
#[derive(Debug, Clone, PartialEq)]
pub struct CamData {
    /// Pre-softmax logits (1000).
    pub logits: Vec<f32>,
    /// Activations, `C x H x W` row-major.
    pub activations: Vec<f32>,
    /// Gradients, `C x H x W` row-major.
    pub gradients: Vec<f32>,
    /// `[C, H, W]`.
    pub shape: [usize; 3],
    /// The explained class.
    pub class: usize,
    /// The layer the maps belong to.
    pub layer: TargetLayer,
}

fn floats(data: TensorData, what: &str) -> Result<Vec<f32>, CamError> {
    data.try_into_vec_as::<f32>()
        .map_err(|e| CamError::Read(format!("{what}: {e:?}")))
}

impl CamTensors {
    /// Reads the results with async reads (the only kind that works on WebGPU in a browser).
    pub async fn read_async(self) -> Result<CamData, CamError> {
        let read = |e: burn::tensor::ExecutionError| CamError::Read(format!("{e:?}"));
        let logits = self.logits.into_data_async().await.map_err(read)?;
        let activations = self.activations.into_data_async().await.map_err(read)?;
        let gradients = self.gradients.into_data_async().await.map_err(read)?;
        let class = self.class.into_data_async().await.map_err(read)?;
        CamData::from_tensor_data(logits, activations, gradients, class, self.layer)
    }

    /// Reads the results synchronously. Native only: not compiled for wasm, where synchronous
    /// reads panic on WebGPU.
    #[cfg(not(target_family = "wasm"))]
    pub fn read_sync(self) -> Result<CamData, CamError> {
        let read = |e: burn::tensor::ExecutionError| CamError::Read(format!("{e:?}"));
        let logits = self.logits.try_into_data().map_err(read)?;
        let activations = self.activations.try_into_data().map_err(read)?;
        let gradients = self.gradients.try_into_data().map_err(read)?;
        let class = self.class.try_into_data().map_err(read)?;
        CamData::from_tensor_data(logits, activations, gradients, class, self.layer)
    }
}

impl CamData {
    /// Assembles the read-back tensors, checking their shapes.
    pub fn from_tensor_data(
        logits: TensorData,
        activations: TensorData,
        gradients: TensorData,
        class: TensorData,
        layer: TargetLayer,
    ) -> Result<Self, CamError> {
        let dims = activations.shape().as_slice().to_vec();
        let [1, c, h, w] = dims[..] else {
            return Err(CamError::Shape(format!("activations {dims:?}")));
        };
        if gradients.shape().as_slice() != dims.as_slice() {
            return Err(CamError::Shape(format!(
                "gradients {:?}",
                gradients.shape().as_slice()
            )));
        }
        let logits = floats(logits, "logits")?;
        if logits.len() != NUM_CLASSES {
            return Err(CamError::Shape(format!("{} logits", logits.len())));
        }
        let class = class
            .try_into_vec_as::<i64>()
            .map_err(|e| CamError::Read(format!("class: {e:?}")))?;
        let class = match class.as_slice() {
            [c] if (0..NUM_CLASSES as i64).contains(c) => *c as usize,
            other => return Err(CamError::Shape(format!("class {other:?}"))),
        };
        Ok(Self {
            logits,
            activations: floats(activations, "activations")?,
            gradients: floats(gradients, "gradients")?,
            shape: [c, h, w],
            class,
            layer,
        })
    }

    /// Softmax probabilities of the logits.
    pub fn probabilities(&self) -> Vec<f32> {
        softmax(&self.logits)
    }

    /// The five most probable classes as `(class, probability)`, most probable first.
    pub fn top5(&self) -> Vec<(usize, f32)> {
        top_k(&self.probabilities(), 5)
    }

    /// The raw map of `method` at feature resolution (`H x W`), before ReLU and scaling.
    pub fn raw_map(&self, method: CamMethod) -> Vec<f32> {
        let [c, h, w] = self.shape;
        let n = h * w;
        let a = &self.activations;
        let g = &self.gradients;
        let mut cam = vec![0.0f32; n];
        match method {
            CamMethod::HiResCam | CamMethod::LayerCam => {
                for k in 0..c {
                    for i in 0..n {
                        let (gv, av) = (g[k * n + i], a[k * n + i]);
                        let gv = if method == CamMethod::LayerCam {
                            gv.max(0.0)
                        } else {
                            gv
                        };
                        cam[i] += gv * av;
                    }
                }
            }
            CamMethod::GradCam | CamMethod::GradCamPlusPlus | CamMethod::XGradCam => {
                for k in 0..c {
                    let gk = &g[k * n..(k + 1) * n];
                    let ak = &a[k * n..(k + 1) * n];
                    let weight = channel_weight(method, gk, ak);
                    for i in 0..n {
                        cam[i] += weight * ak[i];
                    }
                }
            }
        }
        cam
    }

    /// The map of `method` at feature resolution, ReLU'd and min-max scaled to `[0, 1]`
    /// (pytorch-grad-cam's `scale_cam_image` without a target size).
    pub fn map(&self, method: CamMethod) -> CamMap {
        let [_, h, w] = self.shape;
        let mut values = self.raw_map(method);
        for v in &mut values {
            *v = v.max(0.0);
        }
        scale_min_max(&mut values);
        CamMap {
            width: w,
            height: h,
            values,
        }
    }
}

fn channel_weight(method: CamMethod, g: &[f32], a: &[f32]) -> f32 {
    let n = g.len() as f32;
    match method {
        CamMethod::GradCamPlusPlus => {
            let sum_a: f32 = a.iter().sum();
            g.iter()
                .map(|&gv| {
                    if gv == 0.0 {
                        return 0.0;
                    }
                    let g2 = gv * gv;
                    let alpha = g2 / (2.0 * g2 + sum_a * g2 * gv + 1e-6);
                    alpha * gv.max(0.0)
                })
                .sum()
        }
        CamMethod::XGradCam => {
            let sum_a: f32 = a.iter().sum();
            g.iter().zip(a).map(|(&gv, &av)| gv * av).sum::<f32>() / (sum_a + 1e-7)
        }
        _ => g.iter().sum::<f32>() / n,
    }
}

/// A class-activation map with values in `[0, 1]`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct CamMap {
    /// Width.
    pub width: usize,
    /// Height.
    pub height: usize,
    /// `height * width` values.
    pub values: Vec<f32>,
}

impl CamMap {
    /// Bilinear upsampling to `width x height` (OpenCV `INTER_LINEAR`, half-pixel centres,
    /// as pytorch-grad-cam's `cv2.resize`), then min-max scaled again as
    /// `aggregate_multi_layers` does.
    pub fn upsample(&self, width: usize, height: usize) -> CamMap {
        let mut values = Vec::with_capacity(width * height);
        let axis = |out: usize, size: usize, i: usize| -> (usize, usize, f32) {
            let scale = size as f32 / out as f32;
            let src = ((i as f32 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (src.floor() as usize).min(size - 1);
            let i1 = (i0 + 1).min(size - 1);
            (i0, i1, src - i0 as f32)
        };
        if self.width == 0 || self.height == 0 {
            return CamMap {
                width,
                height,
                values: vec![0.0; width * height],
            };
        }
        let xs: Vec<_> = (0..width).map(|x| axis(width, self.width, x)).collect();
        for y in 0..height {
            let (y0, y1, fy) = axis(height, self.height, y);
            for &(x0, x1, fx) in &xs {
                let v = |yy: usize, xx: usize| self.values[yy * self.width + xx];
                let top = v(y0, x0) * (1.0 - fx) + v(y0, x1) * fx;
                let bottom = v(y1, x0) * (1.0 - fx) + v(y1, x1) * fx;
                values.push(top * (1.0 - fy) + bottom * fy);
            }
        }
        scale_min_max(&mut values);
        CamMap {
            width,
            height,
            values,
        }
    }

    /// The map through `colormap` as RGB8 (pytorch-grad-cam's `applyColorMap(uint8(255 * m))`).
    pub fn heatmap(&self, colormap: Colormap) -> Vec<u8> {
        let lut = colormap.table();
        self.values
            .iter()
            .flat_map(|&v| lut[(255.0 * v.clamp(0.0, 1.0)) as u8 as usize])
            .collect()
    }
}

/// `(x - min) / (max + 1e-7)` after subtracting the minimum, as `scale_cam_image`.
fn scale_min_max(values: &mut [f32]) {
    let min = values.iter().copied().fold(f32::INFINITY, f32::min);
    if !min.is_finite() {
        values.iter_mut().for_each(|v| *v = 0.0);
        return;
    }
    let mut max = f32::NEG_INFINITY;
    for v in values.iter_mut() {
        *v -= min;
        max = max.max(*v);
    }
    for v in values.iter_mut() {
        *v /= 1e-7 + max;
    }
}

/// Colormaps for the heatmap (OpenCV's tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Colormap {
    /// Jet (pytorch-grad-cam's default).
    #[default]
    Jet,
    /// Turbo.
    Turbo,
    /// Viridis.
    Viridis,
}

impl Colormap {
    /// All colormaps.
    pub const ALL: [Colormap; 3] = [Colormap::Jet, Colormap::Turbo, Colormap::Viridis];

    /// Stable short name (`jet`, `turbo`, `viridis`).
    pub fn name(self) -> &'static str {
        match self {
            Colormap::Jet => "jet",
            Colormap::Turbo => "turbo",
            Colormap::Viridis => "viridis",
        }
    }

    /// Parses [`Colormap::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    fn table(self) -> &'static [[u8; 3]; 256] {
        match self {
            Colormap::Jet => &colormaps::JET,
            Colormap::Turbo => &colormaps::TURBO,
            Colormap::Viridis => &colormaps::VIRIDIS,
        }
    }
}

/// Default weight of the image in the overlay.
pub const DEFAULT_IMAGE_WEIGHT: f32 = 0.5;

/// pytorch-grad-cam's `show_cam_on_image`: `(1 - w) * heatmap + w * image` in `[0, 1]`,
/// divided by its maximum, as RGB8. `image` and `heatmap` are RGB8 of the same size;
/// `image_weight` is clamped to `[0, 1]`.
pub fn overlay(image: &[u8], heatmap: &[u8], image_weight: f32) -> Vec<u8> {
    let w = if image_weight.is_finite() {
        image_weight.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let mixed: Vec<f32> = image
        .iter()
        .zip(heatmap)
        .map(|(&i, &h)| (1.0 - w) * (f32::from(h) / 255.0) + w * (f32::from(i) / 255.0))
        .collect();
    let max = mixed.iter().copied().fold(0.0f32, f32::max);
    if max <= 0.0 {
        return vec![0; mixed.len()];
    }
    mixed.iter().map(|&v| (255.0 * (v / max)) as u8).collect()
}

/// Numerically stable softmax.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|&l| (l - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.iter().map(|&e| e / sum).collect()
}

/// The `k` largest values as `(index, value)`, largest first (ties: lower index first).
/// Runs on the host over read-back data (no device sort).
pub fn top_k(values: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        let pos = best.iter().position(|&(_, b)| v > b).unwrap_or(best.len());
        if pos < k {
            best.insert(pos, (i, v));
            best.truncate(k);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(acts: Vec<f32>, grads: Vec<f32>, shape: [usize; 3]) -> CamData {
        CamData {
            logits: vec![0.0; NUM_CLASSES],
            activations: acts,
            gradients: grads,
            shape,
            class: 0,
            layer: TargetLayer::Head,
        }
    }

    #[test]
    fn top_k_orders_and_breaks_ties_by_index() {
        let v = [0.1, 0.5, 0.3, 0.5, f32::NAN, 0.9];
        assert_eq!(top_k(&v, 3), vec![(5, 0.9), (1, 0.5), (3, 0.5)]);
        assert_eq!(top_k(&v, 0), vec![]);
        assert_eq!(top_k(&[1.0], 5), vec![(0, 1.0)]);
    }

    #[test]
    fn softmax_sums_to_one() {
        let p = softmax(&[1000.0, 1000.0, -1000.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((p[0] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn methods_follow_pytorch_grad_cam_formulas() {
        // Two channels on a 1x2 map.
        // A = [[1, 3], [2, 0]], g = [[0.5, -0.5], [1, 1]]
        let d = data(
            vec![1.0, 3.0, 2.0, 0.0],
            vec![0.5, -0.5, 1.0, 1.0],
            [2, 1, 2],
        );
        // Grad-CAM: w = [0, 1] -> cam = [2, 0]
        assert_eq!(d.raw_map(CamMethod::GradCam), vec![2.0, 0.0]);
        // HiResCAM: g*A summed -> [0.5 + 2, -1.5 + 0] = [2.5, -1.5]
        assert_eq!(d.raw_map(CamMethod::HiResCam), vec![2.5, -1.5]);
        // LayerCAM: relu(g)*A -> [0.5 + 2, 0 + 0]
        assert_eq!(d.raw_map(CamMethod::LayerCam), vec![2.5, 0.0]);
        // XGradCAM: w0 = (0.5 - 1.5) / 4 = -0.25, w1 = 2 / 2 = 1 -> [-0.25 + 2, -0.75]
        let x = d.raw_map(CamMethod::XGradCam);
        assert!(
            (x[0] - 1.75).abs() < 1e-5 && (x[1] + 0.75).abs() < 1e-5,
            "{x:?}"
        );
        // Grad-CAM++ channel 0: sumA = 4; g=0.5: a = .25/(.5 + 4*.125 + 1e-6) = .25; w = .125
        // g=-0.5 contributes 0; channel 1: sumA = 2, g=1: a = 1/(2+2) = .25 each -> w = .5
        let p = d.raw_map(CamMethod::GradCamPlusPlus);
        assert!(
            (p[0] - (0.125 + 1.0)).abs() < 1e-5 && (p[1] - 0.375).abs() < 1e-5,
            "{p:?}"
        );
        // Normalised map: relu, min-max
        let m = d.map(CamMethod::HiResCam);
        assert_eq!((m.width, m.height), (2, 1));
        assert!((m.values[0] - 1.0).abs() < 1e-6 && m.values[1] == 0.0);
    }

    #[test]
    fn flat_and_empty_maps_are_zero_not_nan() {
        let d = data(vec![0.0; 4], vec![0.0; 4], [1, 2, 2]);
        for method in CamMethod::ALL {
            let m = d.map(method);
            assert!(m.values.iter().all(|v| *v == 0.0), "{method:?}");
            assert!(m.upsample(8, 8).values.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn upsample_matches_opencv_linear() {
        // cv2.resize(np.float32([[0, 1]]), (4, 1)) == [0, 0.25, 0.75, 1]
        let m = CamMap {
            width: 2,
            height: 1,
            values: vec![0.0, 1.0],
        };
        let u = m.upsample(4, 1);
        let want = [0.0, 0.25, 0.75, 1.0];
        for (a, b) in u.values.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{:?}", u.values);
        }
    }

    #[test]
    fn overlay_is_divided_by_its_max() {
        let image = [255u8, 0, 0];
        let heat = [0u8, 0, 255];
        // mixed = [0.5, 0, 0.5] -> / 0.5 -> [255, 0, 255]
        assert_eq!(overlay(&image, &heat, 0.5), vec![255, 0, 255]);
        assert_eq!(overlay(&[0, 0, 0], &[0, 0, 0], 0.5), vec![0, 0, 0]);
        // Jet: 0 -> dark blue, 1 -> dark red.
        let m = CamMap {
            width: 2,
            height: 1,
            values: vec![0.0, 1.0],
        };
        assert_eq!(m.heatmap(Colormap::Jet), vec![0, 0, 128, 128, 0, 0]);
    }

    #[test]
    fn names_round_trip() {
        for m in CamMethod::ALL {
            assert_eq!(CamMethod::from_name(m.name()), Some(m));
        }
        for c in Colormap::ALL {
            assert_eq!(Colormap::from_name(c.name()), Some(c));
        }
        for l in TargetLayer::ALL {
            assert_eq!(TargetLayer::from_name(l.name()), Some(l));
        }
    }
}
