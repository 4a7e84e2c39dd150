//! Photo -> network input: decode, orient, resize, crop, normalise.
//!
//! As torchvision evaluates ImageNet models: resize the shorter side to 256 with PIL's
//! (antialiased) bilinear filter, centre-crop 224 (`round`-half-even offsets, as Python's
//! `round`), then map each channel to `[-1, 1]` with `(x - 127.5) / 127.5`. The resampler is a
//! port of Pillow's `ImagingResample` in 8-bit fixed point, so the crop matches PIL's bytes.
//!
//! Any input gives an image or a [`PreprocessError`], never a panic: empty, truncated and
//! non-image bytes, images over [`MAX_PIXELS`], grayscale, 16-bit, alpha (composited over
//! white), CMYK JPEGs (converted by the decoder) and animations (first frame).

use std::io::Cursor;

use burn::tensor::{Device, Tensor, TensorData};
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

use crate::model::INPUT_SIZE;

/// Largest accepted image, in pixels (50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;
/// The shorter side after resizing, before the centre crop.
pub const RESIZE_SHORTER: u32 = 256;
/// Images whose shorter side exceeds this are first box-reduced by an integer factor (as
/// Pillow's `reduce`), which keeps the resize cheap; smaller images are resized exactly.
pub const EARLY_DOWNSCALE_ABOVE: u32 = 2048;

/// How the photo is fitted to the 224 x 224 input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CropMode {
    /// Resize the shorter side to 256, centre-crop 224 (torchvision's evaluation transform).
    #[default]
    CenterCrop,
    /// Squash the whole image to 224 x 224 (keeps everything, distorts the aspect ratio).
    WholeImage,
}

/// Why an input could not be turned into a network input.
#[derive(Debug, thiserror::Error)]
pub enum PreprocessError {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// Not a format we decode (JPEG, PNG, WebP, GIF, BMP).
    #[error("not a supported image (JPEG, PNG, WebP, GIF or BMP expected)")]
    NotAnImage,
    /// The image is larger than [`MAX_PIXELS`].
    #[error(
        "the image is {width} x {height} ({megapixels:.1} megapixels); \
         images above 50 megapixels are refused"
    )]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Megapixels.
        megapixels: f64,
    },
    /// The image has no pixels.
    #[error("the image has no pixels ({width} x {height})")]
    ZeroSized {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The file is truncated or corrupt.
    #[error("could not decode the image: {0}")]
    Decode(#[source] image::ImageError),
}

/// A photo prepared for the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessed {
    /// The 224 x 224 RGB8 network input, row-major, before normalisation (for overlays).
    pub rgb: Vec<u8>,
    /// Width and height of the decoded photo after EXIF orientation.
    pub original_size: (u32, u32),
    /// Whether the photo was box-reduced before resizing because it was very large.
    pub downscaled: bool,
}

impl Preprocessed {
    /// The normalised input as `[1, 3, 224, 224]` data, values `(x - 127.5) / 127.5`.
    pub fn input_data(&self) -> TensorData {
        let plane = INPUT_SIZE * INPUT_SIZE;
        let mut chw = vec![0.0f32; 3 * plane];
        for (i, px) in self.rgb.chunks_exact(3).enumerate() {
            for c in 0..3 {
                chw[c * plane + i] = (f32::from(px[c]) - 127.5) / 127.5;
            }
        }
        TensorData::new(chw, [1, 3, INPUT_SIZE, INPUT_SIZE])
    }

    /// The normalised input as a tensor on `device`.
    ///
    /// # Shapes
    /// - output: `[1, 3, 224, 224]`
    pub fn input_tensor(&self, device: &Device) -> Tensor<4> {
        Tensor::from_data(self.input_data(), device)
    }
}

/// Decodes `bytes` and prepares the network input.
pub fn preprocess(bytes: &[u8], mode: CropMode) -> Result<Preprocessed, PreprocessError> {
    let image = decode(bytes)?;
    Ok(preprocess_image(&image, mode))
}

/// Decodes an image (first frame of an animation), applying its EXIF orientation.
/// Refuses images above [`MAX_PIXELS`] before allocating their pixels.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, PreprocessError> {
    if bytes.is_empty() {
        return Err(PreprocessError::Empty);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PreprocessError::Decode(e.into()))?;
    if reader.format().is_none() {
        return Err(PreprocessError::NotAnImage);
    }
    let mut decoder = reader.into_decoder().map_err(map_decode_error)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    // A corrupt EXIF block must not stop an otherwise readable photo.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(map_decode_error)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn check_size(width: u32, height: u32) -> Result<(), PreprocessError> {
    if width == 0 || height == 0 {
        return Err(PreprocessError::ZeroSized { width, height });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(PreprocessError::TooLarge {
            width,
            height,
            megapixels: pixels as f64 / 1e6,
        });
    }
    Ok(())
}

fn map_decode_error(e: image::ImageError) -> PreprocessError {
    match e {
        image::ImageError::Unsupported(_) => PreprocessError::NotAnImage,
        other => PreprocessError::Decode(other),
    }
}

/// Prepares an already decoded image.
pub fn preprocess_image(image: &DynamicImage, mode: CropMode) -> Preprocessed {
    let original_size = (image.width(), image.height());
    let mut rgb = to_rgb8_over_white(image);
    let short = rgb.width().min(rgb.height());
    let downscaled = short > EARLY_DOWNSCALE_ABOVE;
    if downscaled {
        rgb = box_reduce(&rgb, short / (EARLY_DOWNSCALE_ABOVE / 2));
    }
    let (w, h) = (rgb.width(), rgb.height());
    let size = INPUT_SIZE as u32;
    let out = match mode {
        CropMode::WholeImage => resize_bilinear(&rgb, size, size),
        CropMode::CenterCrop => {
            let (nw, nh) = resized_shorter(w, h, RESIZE_SHORTER);
            let resized = resize_bilinear(&rgb, nw, nh);
            center_crop(&resized, size)
        }
    };
    Preprocessed {
        rgb: out.into_raw(),
        original_size,
        downscaled,
    }
}

/// torchvision's `Resize(int)`: shorter side to `size`, longer side `int(size * long / short)`.
pub fn resized_shorter(width: u32, height: u32, size: u32) -> (u32, u32) {
    let scale = |long: u32, short: u32| {
        ((u64::from(size) * u64::from(long)) / u64::from(short.max(1))).max(1) as u32
    };
    if width <= height {
        (size, scale(height, width))
    } else {
        (scale(width, height), size)
    }
}

/// Python's `round` (half to even) for a non-negative half-integer or integer `twice / 2`.
fn round_half_even_of_half(twice: u32) -> u32 {
    let floor = twice / 2;
    if twice % 2 == 1 && floor % 2 == 1 {
        floor + 1
    } else {
        floor
    }
}

/// torchvision's `CenterCrop`: offsets `int(round((side - crop) / 2))`, padding with black
/// where the image is smaller than the crop.
fn center_crop(image: &RgbImage, size: u32) -> RgbImage {
    let (w, h) = (image.width(), image.height());
    let off = |side: u32| -> i64 {
        if side >= size {
            i64::from(round_half_even_of_half(side - size))
        } else {
            // torchvision pads (crop - side) // 2 on the left/top.
            -i64::from((size - side) / 2)
        }
    };
    let (left, top) = (off(w), off(h));
    RgbImage::from_fn(size, size, |x, y| {
        let sx = i64::from(x) + left;
        let sy = i64::from(y) + top;
        if sx >= 0 && sy >= 0 && sx < i64::from(w) && sy < i64::from(h) {
            *image.get_pixel(sx as u32, sy as u32)
        } else {
            image::Rgb([0, 0, 0])
        }
    })
}

/// Any colour type to RGB8; transparent pixels are composited over white.
fn to_rgb8_over_white(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let a = u32::from(a);
        let over = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

/// Averages `factor x factor` blocks (Pillow's `Image.reduce`); a partial last block averages
/// what it has.
fn box_reduce(image: &RgbImage, factor: u32) -> RgbImage {
    let factor = factor.max(1);
    let (w, h) = (image.width(), image.height());
    let (nw, nh) = (w.div_ceil(factor), h.div_ceil(factor));
    RgbImage::from_fn(nw, nh, |x, y| {
        let mut sum = [0u32; 3];
        let mut n = 0u32;
        for sy in y * factor..((y + 1) * factor).min(h) {
            for sx in x * factor..((x + 1) * factor).min(w) {
                let p = image.get_pixel(sx, sy).0;
                for c in 0..3 {
                    sum[c] += u32::from(p[c]);
                }
                n += 1;
            }
        }
        let avg = |s: u32| ((s + n / 2) / n) as u8;
        image::Rgb([avg(sum[0]), avg(sum[1]), avg(sum[2])])
    })
}

const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Pillow's `precompute_coeffs` for the bilinear (triangle) filter, in 8-bit fixed point:
/// for each output index, the first input index and the integer weights.
fn bilinear_coeffs(in_size: u32, out_size: u32) -> Vec<(usize, Vec<i32>)> {
    let scale = f64::from(in_size) / f64::from(out_size);
    let filterscale = scale.max(1.0);
    let support = filterscale; // bilinear support is 1.0
    let inv = 1.0 / filterscale;
    (0..out_size)
        .map(|xx| {
            let center = (f64::from(xx) + 0.5) * scale;
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(i64::from(in_size)) as usize;
            let weights: Vec<f64> = (xmin..xmax)
                .map(|x| {
                    let t = ((x as f64 - center + 0.5) * inv).abs();
                    if t < 1.0 { 1.0 - t } else { 0.0 }
                })
                .collect();
            let total: f64 = weights.iter().sum();
            let fixed = weights
                .iter()
                .map(|&k| {
                    let k = if total == 0.0 { 0.0 } else { k / total };
                    let v = k * f64::from(1u32 << PRECISION_BITS);
                    (if v < 0.0 { v - 0.5 } else { v + 0.5 }) as i32
                })
                .collect();
            (xmin, fixed)
        })
        .collect()
}

fn clip8(acc: i64) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Pillow's `Image.resize(size, BILINEAR)` for RGB8 (horizontal pass, then vertical).
pub fn resize_bilinear(image: &RgbImage, out_w: u32, out_h: u32) -> RgbImage {
    let (w, h) = (image.width(), image.height());
    let src = image.as_raw();
    let half = 1i64 << (PRECISION_BITS - 1);
    // Horizontal pass.
    let horizontal = if out_w == w {
        src.clone()
    } else {
        let coeffs = bilinear_coeffs(w, out_w);
        let mut buf = vec![0u8; out_w as usize * h as usize * 3];
        for y in 0..h as usize {
            let row = &src[y * w as usize * 3..(y + 1) * w as usize * 3];
            for (xx, (xmin, k)) in coeffs.iter().enumerate() {
                for c in 0..3 {
                    let mut acc = half;
                    for (i, &kk) in k.iter().enumerate() {
                        acc += i64::from(row[(xmin + i) * 3 + c]) * i64::from(kk);
                    }
                    buf[(y * out_w as usize + xx) * 3 + c] = clip8(acc);
                }
            }
        }
        buf
    };
    // Vertical pass.
    let vertical = if out_h == h {
        horizontal
    } else {
        let coeffs = bilinear_coeffs(h, out_h);
        let stride = out_w as usize * 3;
        let mut buf = vec![0u8; stride * out_h as usize];
        for (yy, (ymin, k)) in coeffs.iter().enumerate() {
            for x in 0..stride {
                let mut acc = half;
                for (i, &kk) in k.iter().enumerate() {
                    acc += i64::from(horizontal[(ymin + i) * stride + x]) * i64::from(kk);
                }
                buf[yy * stride + x] = clip8(acc);
            }
        }
        buf
    };
    RgbImage::from_raw(out_w, out_h, vertical).unwrap_or_else(|| RgbImage::new(out_w, out_h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torchvision_resize_sizes() {
        // chelsea 451 x 300 -> 384 x 256; portrait keeps the width at 256.
        assert_eq!(resized_shorter(451, 300, 256), (384, 256));
        assert_eq!(resized_shorter(300, 451, 256), (256, 384));
        assert_eq!(resized_shorter(640, 427, 256), (383, 256));
        assert_eq!(resized_shorter(256, 256, 256), (256, 256));
    }

    #[test]
    fn python_round_half_even() {
        // offsets round((side - 224) / 2): 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 80 -> 80
        assert_eq!(round_half_even_of_half(1), 0);
        assert_eq!(round_half_even_of_half(3), 2);
        assert_eq!(round_half_even_of_half(5), 2);
        assert_eq!(round_half_even_of_half(160), 80);
    }

    #[test]
    fn resize_of_a_flat_image_stays_flat() {
        let img = RgbImage::from_pixel(37, 23, image::Rgb([10, 200, 77]));
        for (w, h) in [(11, 7), (80, 50), (37, 5)] {
            let out = resize_bilinear(&img, w, h);
            assert_eq!(out.dimensions(), (w, h));
            assert!(out.pixels().all(|p| p.0 == [10, 200, 77]), "{w}x{h}");
        }
    }

    #[test]
    fn halving_averages_pairs() {
        // A 4x1 ramp halved with PIL's bilinear (support 2, weights 1/4, 3/4, 3/4, 1/4 clipped).
        let img = RgbImage::from_fn(4, 1, |x, _| image::Rgb([(x * 40) as u8; 3]));
        let out = resize_bilinear(&img, 2, 1);
        // out[0]: center 1.0, taps x=0..3 -> weights 0.75,0.75,0.25 (normalised /1.75)
        // = (0*0.75 + 40*0.75 + 80*0.25)/1.75 = 28.57 -> 29
        assert_eq!(out.get_pixel(0, 0).0[0], 29);
        assert_eq!(out.get_pixel(1, 0).0[0], 91);
    }

    #[test]
    fn alpha_is_composited_over_white() {
        let img = DynamicImage::ImageRgba8(image::RgbaImage::from_fn(8, 8, |x, _| {
            if x < 4 {
                image::Rgba([0, 0, 0, 0])
            } else {
                image::Rgba([0, 0, 0, 255])
            }
        }));
        let rgb = to_rgb8_over_white(&img);
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(7, 0).0, [0, 0, 0]);
    }

    #[test]
    fn input_is_mapped_to_minus_one_one() {
        let p = Preprocessed {
            rgb: [0u8, 255, 128].repeat(INPUT_SIZE * INPUT_SIZE),
            original_size: (224, 224),
            downscaled: false,
        };
        let data = p.input_data();
        assert_eq!(data.shape().as_slice(), &[1, 3, 224, 224]);
        let v = data.try_to_vec::<f32>().unwrap_or_default();
        let plane = INPUT_SIZE * INPUT_SIZE;
        assert_eq!(v[0], -1.0);
        assert_eq!(v[plane], 1.0);
        assert!((v[2 * plane] - 0.003_921_6).abs() < 1e-6);
    }
}
