//! EfficientNet-Lite0 (ImageNet, 1000 classes) in burn.
//!
//! The architecture and parameter names follow the lukemelas `efficientnet_pytorch` layout that
//! the shipped weights use (`_conv_stem`, `_bn0`, `_blocks.N._expand_conv` ... `_fc`), so the
//! burnpack keys equal the PyTorch state-dict keys. Lite variant: no squeeze-excite, ReLU6,
//! BatchNorm eps 1e-3, TensorFlow "same" padding (the odd extra pixel at the bottom/right),
//! residual add where the stride is 1 and the channel counts match.
//!
//! The forward pass is split at a [`TargetLayer`] so Grad-CAM can start a fresh autodiff leaf
//! there: [`EfficientNetLite0::features_at`] runs up to and including the layer,
//! [`EfficientNetLite0::head_from`] runs the rest and returns the pre-softmax logits.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu6;
use burn::tensor::{Device, Tensor};

/// Number of ImageNet classes.
pub const NUM_CLASSES: usize = 1000;
/// Side of the square network input.
pub const INPUT_SIZE: usize = 224;
/// BatchNorm epsilon of the TensorFlow-trained EfficientNet weights.
pub const BN_EPS: f64 = 1e-3;

/// Block stages as (repeats, kernel, stride, expand ratio, in channels, out channels).
pub const STAGES: [(usize, usize, usize, usize, usize, usize); 7] = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
];

/// Total number of MBConv blocks (16).
pub const NUM_BLOCKS: usize = 16;

/// Where the forward pass is split for Grad-CAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TargetLayer {
    /// Output of the head (1x1 conv 320 -> 1280 + BN + ReLU6): 1280 x 7 x 7. The usual choice.
    #[default]
    Head,
    /// Output of block 10, the last block of the 112-channel stage (the last at 14 x 14):
    /// 112 x 14 x 14.
    Block10,
    /// Output of block 4, the last block of the 40-channel stage (the last at 28 x 28):
    /// 40 x 28 x 28.
    Block4,
}

impl TargetLayer {
    /// All target layers, deepest first.
    pub const ALL: [TargetLayer; 3] =
        [TargetLayer::Head, TargetLayer::Block10, TargetLayer::Block4];

    /// Number of MBConv blocks run before the split (all of them for the head).
    pub fn blocks_before(self) -> usize {
        match self {
            TargetLayer::Head => NUM_BLOCKS,
            TargetLayer::Block10 => 11,
            TargetLayer::Block4 => 5,
        }
    }

    /// `[channels, height, width]` of the activations at this layer for a 224 x 224 input.
    pub fn feature_shape(self) -> [usize; 3] {
        match self {
            TargetLayer::Head => [1280, 7, 7],
            TargetLayer::Block10 => [112, 14, 14],
            TargetLayer::Block4 => [40, 28, 28],
        }
    }

    /// Short stable name (`head`, `block10`, `block4`).
    pub fn name(self) -> &'static str {
        match self {
            TargetLayer::Head => "head",
            TargetLayer::Block10 => "block10",
            TargetLayer::Block4 => "block4",
        }
    }

    /// Parses [`TargetLayer::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// One MBConv block without squeeze-excite: optional 1x1 expand, depthwise kxk, 1x1 project.
#[derive(Module, Debug)]
pub struct MbConv {
    /// 1x1 expansion conv (absent when the expand ratio is 1).
    pub _expand_conv: Option<Conv2d>,
    /// BatchNorm after the expansion.
    pub _bn0: Option<BatchNorm>,
    /// Depthwise kxk conv (groups = channels), carries the stride.
    pub _depthwise_conv: Conv2d,
    /// BatchNorm after the depthwise conv.
    pub _bn1: BatchNorm,
    /// 1x1 projection conv.
    pub _project_conv: Conv2d,
    /// BatchNorm after the projection (no activation).
    pub _bn2: BatchNorm,
    /// Whether the input is added to the output (stride 1 and in == out).
    pub residual: bool,
}

impl MbConv {
    fn new(
        kernel: usize,
        stride: usize,
        expand: usize,
        c_in: usize,
        c_out: usize,
        d: &Device,
    ) -> Self {
        let hidden = c_in * expand;
        let (expand_conv, bn0) = if expand == 1 {
            (None, None)
        } else {
            (Some(conv(c_in, hidden, 1, 1, 1, d)), Some(bn(hidden, d)))
        };
        Self {
            _expand_conv: expand_conv,
            _bn0: bn0,
            _depthwise_conv: conv(hidden, hidden, kernel, stride, hidden, d),
            _bn1: bn(hidden, d),
            _project_conv: conv(hidden, c_out, 1, 1, 1, d),
            _bn2: bn(c_out, d),
            residual: stride == 1 && c_in == c_out,
        }
    }

    /// # Shapes
    /// - input: `[batch, c_in, h, w]`
    /// - output: `[batch, c_out, ceil(h / stride), ceil(w / stride)]`
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let mut x = input.clone();
        if let (Some(conv), Some(bn)) = (&self._expand_conv, &self._bn0) {
            x = relu6(bn.forward(conv.forward(x)));
        }
        x = relu6(self._bn1.forward(self._depthwise_conv.forward(x)));
        x = self._bn2.forward(self._project_conv.forward(x));
        if self.residual { x + input } else { x }
    }
}

/// EfficientNet-Lite0 with lukemelas parameter names.
#[derive(Module, Debug)]
pub struct EfficientNetLite0 {
    /// Stem: 3x3 stride-2 conv 3 -> 32.
    pub _conv_stem: Conv2d,
    /// Stem BatchNorm.
    pub _bn0: BatchNorm,
    /// The 16 MBConv blocks.
    pub _blocks: Vec<MbConv>,
    /// Head: 1x1 conv 320 -> 1280.
    pub _conv_head: Conv2d,
    /// Head BatchNorm.
    pub _bn1: BatchNorm,
    /// Classifier 1280 -> 1000.
    pub _fc: Linear,
}

fn conv(c_in: usize, c_out: usize, k: usize, stride: usize, groups: usize, d: &Device) -> Conv2d {
    Conv2dConfig::new([c_in, c_out], [k, k])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Same)
        .with_bias(false)
        .init(d)
}

fn bn(c: usize, d: &Device) -> BatchNorm {
    BatchNormConfig::new(c).with_epsilon(BN_EPS).init(d)
}

impl EfficientNetLite0 {
    /// Builds the architecture with freshly initialised parameters on `device`.
    ///
    /// Load the ImageNet weights with [`crate::weights::load_weights`]; call
    /// [`Module::valid`] (done by the loader) before inference so BatchNorm uses running stats.
    pub fn new(device: &Device) -> Self {
        let mut blocks = Vec::with_capacity(NUM_BLOCKS);
        for (repeats, kernel, stride, expand, c_in, c_out) in STAGES {
            for r in 0..repeats {
                let (s, i) = if r == 0 { (stride, c_in) } else { (1, c_out) };
                blocks.push(MbConv::new(kernel, s, expand, i, c_out, device));
            }
        }
        Self {
            _conv_stem: conv(3, 32, 3, 2, 1, device),
            _bn0: bn(32, device),
            _blocks: blocks,
            _conv_head: conv(320, 1280, 1, 1, 1, device),
            _bn1: bn(1280, device),
            _fc: LinearConfig::new(1280, NUM_CLASSES).init(device),
        }
    }

    /// Runs the network up to and including `layer`.
    ///
    /// # Shapes
    /// - input: `[batch, 3, 224, 224]`, values in `[-1, 1]` ((x - 127.5) / 127.5)
    /// - output: `[batch, C, H, W]` with `[C, H, W] = layer.feature_shape()`
    pub fn features_at(&self, input: Tensor<4>, layer: TargetLayer) -> Tensor<4> {
        let mut x = relu6(self._bn0.forward(self._conv_stem.forward(input)));
        for block in &self._blocks[..layer.blocks_before()] {
            x = block.forward(x);
        }
        if layer == TargetLayer::Head {
            x = relu6(self._bn1.forward(self._conv_head.forward(x)));
        }
        x
    }

    /// Runs the rest of the network from the activations of `layer` to the logits.
    ///
    /// # Shapes
    /// - features: `[batch, C, H, W]` as returned by [`Self::features_at`]
    /// - output: `[batch, 1000]` pre-softmax logits
    pub fn head_from(&self, features: Tensor<4>, layer: TargetLayer) -> Tensor<2> {
        let mut x = features;
        if layer != TargetLayer::Head {
            for block in &self._blocks[layer.blocks_before()..] {
                x = block.forward(x);
            }
            x = relu6(self._bn1.forward(self._conv_head.forward(x)));
        }
        // Global average pool (dropout is the identity at inference).
        let pooled: Tensor<2> = x.mean_dim(3).mean_dim(2).flatten(1, 3);
        self._fc.forward(pooled)
    }

    /// Full forward pass.
    ///
    /// # Shapes
    /// - input: `[batch, 3, 224, 224]`, values in `[-1, 1]`
    /// - output: `[batch, 1000]` pre-softmax logits
    pub fn forward(&self, input: Tensor<4>) -> Tensor<2> {
        let features = self.features_at(input, TargetLayer::Head);
        self.head_from(features, TargetLayer::Head)
    }
}
