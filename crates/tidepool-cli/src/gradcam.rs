//! `tidepool gradcam IMAGE...`: the Grad-CAM lab on the command line (burn's Flex CPU
//! backend). Prints the top-5 and writes overlays; `--json` prints machine-readable results
//! for comparison with other tools.

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tidepool_gradcam::burn::tensor::Device;
use tidepool_gradcam::cam::{CamMethod, CamTarget, Colormap, gradcam_tensors, overlay};
use tidepool_gradcam::classes::class_name;
use tidepool_gradcam::model::{EfficientNetLite0, INPUT_SIZE, TargetLayer};
use tidepool_gradcam::preprocess::{CropMode, preprocess};
use tidepool_gradcam::weights::load_weights_static;

/// The shipped weights, built into the binary so it runs anywhere.
static WEIGHTS: &[u8] = include_bytes!("../../../static/models/efficientnet-lite0.bpk");

/// What `tidepool gradcam` was asked for.
#[derive(Debug, clap::Args)]
pub struct GradcamArgs {
    /// Photos to explain (JPEG, PNG, WebP, GIF, BMP).
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// gradcam, gradcam++, hirescam, xgradcam or layercam.
    #[arg(long, default_value = "gradcam", value_parser = parse_method)]
    method: CamMethod,
    /// head (1280x7x7), block10 (112x14x14) or block4 (40x28x28).
    #[arg(long, default_value = "head", value_parser = parse_layer)]
    layer: TargetLayer,
    /// The ImageNet class to explain (0..999); the top-1 class by default.
    #[arg(long)]
    class: Option<usize>,
    /// jet, turbo or viridis.
    #[arg(long, default_value = "jet", value_parser = parse_colormap)]
    colormap: Colormap,
    /// Where to write the overlay PNG; with several images, `-N` is added before `.png`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Squash the whole photo to 224x224 instead of resizing and centre-cropping.
    #[arg(long)]
    whole_image: bool,
    /// Print JSON: {"top5": [[class, p], ...], "cam": HxW map, "timings_ms": {...}}.
    #[arg(long)]
    json: bool,
}

fn parse_method(name: &str) -> Result<CamMethod, String> {
    CamMethod::from_name(name).ok_or_else(|| format!("unknown method {name:?}"))
}

fn parse_layer(name: &str) -> Result<TargetLayer, String> {
    TargetLayer::from_name(name).ok_or_else(|| format!("unknown layer {name:?}"))
}

fn parse_colormap(name: &str) -> Result<Colormap, String> {
    Colormap::from_name(name).ok_or_else(|| format!("unknown colormap {name:?}"))
}

/// Runs the command; one failed image does not stop the others.
pub fn run(args: &GradcamArgs) -> ExitCode {
    let device = Device::flex();
    let started = Instant::now();
    let model = match load_weights_static(WEIGHTS, &device) {
        Ok((model, _)) => model,
        Err(error) => {
            eprintln!("tidepool gradcam: the built-in weights did not load: {error}");
            return ExitCode::FAILURE;
        }
    };
    let load_ms = ms(started);
    let mut failed = false;
    for (index, image) in args.images.iter().enumerate() {
        let out = args
            .out
            .as_ref()
            .map(|out| numbered(out, index, args.images.len()));
        if let Err(error) = explain(&model, &device, args, image, out.as_deref(), load_ms) {
            eprintln!("tidepool gradcam: {}: {error}", image.display());
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// `out.png` for one image, `out-1.png`, `out-2.png`, ... for several.
fn numbered(out: &Path, index: usize, count: usize) -> PathBuf {
    if count == 1 {
        return out.to_path_buf();
    }
    let stem = out.file_stem().unwrap_or_default().to_string_lossy();
    let ext = out
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    out.with_file_name(format!("{stem}-{}{ext}", index + 1))
}

fn explain(
    model: &EfficientNetLite0,
    device: &Device,
    args: &GradcamArgs,
    image: &Path,
    out: Option<&Path>,
    load_ms: f64,
) -> Result<(), String> {
    let total = Instant::now();
    let bytes = std::fs::read(image).map_err(|e| e.to_string())?;
    let mode = if args.whole_image {
        CropMode::WholeImage
    } else {
        CropMode::CenterCrop
    };
    let pre = preprocess(&bytes, mode).map_err(|e| e.to_string())?;
    let preprocess_ms = ms(total);

    let step = Instant::now();
    let target = args
        .class
        .map_or(CamTarget::TopPrediction, CamTarget::Class);
    let tensors = gradcam_tensors(model, pre.input_tensor(device), args.layer, target)
        .map_err(|e| e.to_string())?;
    let data = tensors.read_sync().map_err(|e| e.to_string())?;
    let forward_backward_ms = ms(step);

    let step = Instant::now();
    let top5 = data.top5();
    let cam = data.map(args.method);
    let overlay_rgb = overlay(
        &pre.rgb,
        &cam.upsample(INPUT_SIZE, INPUT_SIZE).heatmap(args.colormap),
        0.5,
    );
    let map_ms = ms(step);
    if let Some(out) = out {
        let size = u32::try_from(INPUT_SIZE).unwrap_or(224);
        image::save_buffer(
            out,
            &overlay_rgb,
            size,
            size,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| format!("writing {}: {e}", out.display()))?;
    }
    let total_ms = ms(total);

    if args.json {
        let rows: Vec<&[f32]> = cam.values.chunks(cam.width.max(1)).collect();
        let report = json!({
            "image": image.display().to_string(),
            "method": args.method.name(),
            "layer": args.layer.name(),
            "top5": top5.iter().map(|(class, p)| json!([class, p])).collect::<Vec<_>>(),
            "cam": rows,
            "timings_ms": {
                "load_weights": load_ms,
                "preprocess": preprocess_ms,
                "forward_backward": forward_backward_ms,
                "map": map_ms,
                "total": total_ms,
            },
        });
        println!("{report}");
    } else {
        println!("{}", image.display());
        for (class, p) in &top5 {
            let name = class_name(*class).unwrap_or("?");
            println!("  {:>5.1}%  {class:>3}  {name}", p * 100.0);
        }
        if let Some(out) = out {
            println!(
                "  overlay ({}, {}): {}",
                args.method.name(),
                args.layer.name(),
                out.display()
            );
        }
        println!(
            "  {total_ms:.0} ms (preprocess {preprocess_ms:.0}, forward+backward {forward_backward_ms:.0}, map {map_ms:.0})"
        );
    }
    Ok(())
}
