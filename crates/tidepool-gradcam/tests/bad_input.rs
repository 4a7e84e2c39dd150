//! Every kind of awkward input gives an image or a typed error, never a panic.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use tidepool_gradcam::preprocess::{CropMode, PreprocessError, preprocess, preprocess_image};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../static/samples");

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

fn gradient(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]))
}

#[test]
fn empty_text_and_truncated_files_are_typed_errors() {
    assert!(matches!(
        preprocess(&[], CropMode::CenterCrop),
        Err(PreprocessError::Empty)
    ));
    let text = b"this is a text file, not a photo";
    assert!(matches!(
        preprocess(text, CropMode::CenterCrop),
        Err(PreprocessError::NotAnImage)
    ));
    for name in ["chelsea.png", "rocket.jpg"] {
        let bytes = std::fs::read(format!("{SAMPLES}/{name}")).expect("sample");
        for cut in [8, 100, bytes.len() / 2] {
            // A truncated JPEG may still decode (grey tail); it must not panic either way.
            match preprocess(&bytes[..cut], CropMode::CenterCrop) {
                Ok(p) => assert_eq!(p.rgb.len(), 224 * 224 * 3),
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
    let png = std::fs::read(format!("{SAMPLES}/chelsea.png")).expect("sample");
    let err = preprocess(&png[..png.len() / 2], CropMode::CenterCrop).expect_err("truncated png");
    assert!(matches!(err, PreprocessError::Decode(_)), "{err:?}");
}

#[test]
fn over_fifty_megapixels_is_refused_before_decoding() {
    // A BMP header claiming 10000 x 6000 (60 MP) with no pixel data.
    let (w, h): (i32, i32) = (10_000, 6_000);
    let mut bmp = Vec::new();
    bmp.extend_from_slice(b"BM");
    bmp.extend_from_slice(&(54u32 + 3 * 10_000 * 6_000).to_le_bytes());
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&w.to_le_bytes());
    bmp.extend_from_slice(&h.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 24]);
    let err = preprocess(&bmp, CropMode::CenterCrop).expect_err("too large");
    assert!(
        matches!(
            err,
            PreprocessError::TooLarge {
                width: 10_000,
                height: 6_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("50 megapixels"), "{err}");
}

#[test]
fn very_large_images_are_downscaled_first() {
    let big = DynamicImage::ImageRgb8(gradient(3000, 2100));
    let p = preprocess_image(&big, CropMode::CenterCrop);
    assert!(p.downscaled);
    assert_eq!(p.original_size, (3000, 2100));
    assert_eq!(p.rgb.len(), 224 * 224 * 3);
    let small = preprocess_image(
        &DynamicImage::ImageRgb8(gradient(640, 480)),
        CropMode::CenterCrop,
    );
    assert!(!small.downscaled);
}

#[test]
fn every_format_and_colour_type_decodes() {
    let rgb = DynamicImage::ImageRgb8(gradient(64, 48));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("png rgb", encode(&rgb, ImageFormat::Png)),
        ("jpeg", encode(&rgb, ImageFormat::Jpeg)),
        ("webp", encode(&rgb, ImageFormat::WebP)),
        ("bmp", encode(&rgb, ImageFormat::Bmp)),
        ("gif", encode(&rgb, ImageFormat::Gif)),
        (
            "png gray",
            encode(&DynamicImage::ImageLuma8(rgb.to_luma8()), ImageFormat::Png),
        ),
        (
            "png 16-bit",
            encode(&DynamicImage::ImageRgb16(rgb.to_rgb16()), ImageFormat::Png),
        ),
        (
            "png gray 16-bit",
            encode(
                &DynamicImage::ImageLuma16(rgb.to_luma16()),
                ImageFormat::Png,
            ),
        ),
        (
            "png alpha",
            encode(&DynamicImage::ImageRgba8(rgb.to_rgba8()), ImageFormat::Png),
        ),
        (
            "cmyk jpeg",
            std::fs::read(format!("{FIXTURES}/cmyk.jpg")).expect("fixture"),
        ),
    ];
    for (name, bytes) in cases {
        for mode in [CropMode::CenterCrop, CropMode::WholeImage] {
            let p = preprocess(&bytes, mode).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p.rgb.len(), 224 * 224 * 3, "{name}");
        }
    }
    // CMYK: full cyan ink on the left is (0, 255, 255)-ish in RGB, the right is white.
    let cmyk = preprocess(
        &std::fs::read(format!("{FIXTURES}/cmyk.jpg")).expect("fixture"),
        CropMode::WholeImage,
    )
    .expect("cmyk");
    let left = &cmyk.rgb[(112 * 224 + 10) * 3..(112 * 224 + 10) * 3 + 3];
    let right = &cmyk.rgb[(112 * 224 + 214) * 3..(112 * 224 + 214) * 3 + 3];
    assert!(left[0] < 60 && left[1] > 200 && left[2] > 200, "{left:?}");
    assert!(right.iter().all(|&c| c > 200), "{right:?}");
}

#[test]
fn animated_gif_uses_the_first_frame() {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, Rgba, RgbaImage};
    let mut bytes = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut bytes);
        let red = RgbaImage::from_pixel(16, 16, Rgba([255, 0, 0, 255]));
        let blue = RgbaImage::from_pixel(16, 16, Rgba([0, 0, 255, 255]));
        for img in [red, blue] {
            enc.encode_frame(Frame::from_parts(
                img,
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            ))
            .expect("frame");
        }
    }
    let p = preprocess(&bytes, CropMode::CenterCrop).expect("gif");
    assert!(p.rgb[0] > 200 && p.rgb[2] < 50, "{:?}", &p.rgb[..3]);
}

#[test]
fn exif_orientation_is_applied() {
    // Stored 40 x 20 (red left, blue right) with orientation 6: shown 20 x 40, red on top.
    let bytes = std::fs::read(format!("{FIXTURES}/exif-orientation-6.jpg")).expect("fixture");
    let p = preprocess(&bytes, CropMode::WholeImage).expect("jpeg");
    assert_eq!(p.original_size, (20, 40));
    let top = &p.rgb[(10 * 224 + 112) * 3..(10 * 224 + 112) * 3 + 3];
    let bottom = &p.rgb[(214 * 224 + 112) * 3..(214 * 224 + 112) * 3 + 3];
    assert!(top[0] > 200 && top[2] < 60, "top {top:?}");
    assert!(bottom[2] > 200 && bottom[0] < 60, "bottom {bottom:?}");
}
