//! The overlay, computed on the UI side so the opacity slider re-blends without re-running
//! the model. Same formula as `tidepool_gradcam::cam::overlay` (pytorch-grad-cam's
//! `show_cam_on_image`), on RGBA8 buffers; no burn here.

/// `(1 - w) * heatmap + w * image` divided by its maximum over the colour channels, with image
/// weight `w = 1 - heatmap_opacity` (clamped to `[0, 1]`; NaN means the default 0.5).
/// Alpha is opaque. Buffers of different lengths are blended over the shorter one.
pub fn overlay_rgba(image_rgba: &[u8], heatmap_rgba: &[u8], heatmap_opacity: f32) -> Vec<u8> {
    let opacity = if heatmap_opacity.is_finite() {
        heatmap_opacity.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let image_weight = 1.0 - opacity;
    let len = image_rgba.len().min(heatmap_rgba.len()) / 4 * 4;
    let mut mixed = vec![0.0f32; len];
    let mut max = 0.0f32;
    for (i, value) in mixed.iter_mut().enumerate() {
        if i % 4 == 3 {
            continue;
        }
        let h = f32::from(heatmap_rgba[i]) / 255.0;
        let p = f32::from(image_rgba[i]) / 255.0;
        *value = (1.0 - image_weight) * h + image_weight * p;
        max = max.max(*value);
    }
    mixed
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if i % 4 == 3 {
                255
            } else if max <= 0.0 {
                0
            } else {
                (255.0 * (v / max)) as u8
            }
        })
        .collect()
}

/// RGB8 to RGBA8 with opaque alpha.
pub fn rgb_to_rgba(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_opacity_averages_and_rescales() {
        // One pixel: image (200, 0, 100), heatmap (0, 100, 100): mix (100, 50, 100) / 255,
        // max 100/255 -> (255, 127, 255).
        let out = overlay_rgba(&[200, 0, 100, 255], &[0, 100, 100, 255], 0.5);
        assert_eq!(out, vec![255, 127, 255, 255]);
    }

    #[test]
    fn opacity_extremes_and_bad_values() {
        let image = [10, 20, 40, 255];
        let heat = [40, 0, 0, 255];
        // Opacity 0: the image alone, rescaled to its max.
        assert_eq!(overlay_rgba(&image, &heat, 0.0), vec![63, 127, 255, 255]);
        // Opacity 1: the heatmap alone.
        assert_eq!(overlay_rgba(&image, &heat, 1.0), vec![255, 0, 0, 255]);
        // Out of range is clamped, NaN is the default.
        assert_eq!(
            overlay_rgba(&image, &heat, 7.0),
            overlay_rgba(&image, &heat, 1.0)
        );
        assert_eq!(
            overlay_rgba(&image, &heat, f32::NAN),
            overlay_rgba(&image, &heat, 0.5)
        );
        // Black stays black; mismatched lengths do not panic.
        assert_eq!(overlay_rgba(&[0; 4], &[0; 4], 0.5), vec![0, 0, 0, 255]);
        assert_eq!(overlay_rgba(&image, &[], 0.5), Vec::<u8>::new());
    }

    #[test]
    fn rgba_from_rgb() {
        assert_eq!(
            rgb_to_rgba(&[1, 2, 3, 4, 5, 6, 7]),
            vec![1, 2, 3, 255, 4, 5, 6, 255]
        );
    }
}
