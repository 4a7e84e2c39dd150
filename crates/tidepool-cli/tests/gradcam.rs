//! `tidepool gradcam` end to end: the real binary on a bundled photo.

use std::process::Command;

const COFFEE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../static/samples/coffee.png"
);

#[test]
fn json_output_has_top5_a_7x7_map_and_timings() {
    let output = Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .args(["gradcam", COFFEE, "--json"])
        .output()
        .expect("run tidepool");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["top5"][0][0], 967, "coffee is an espresso: {report}");
    let cam = report["cam"].as_array().expect("cam rows");
    assert_eq!(cam.len(), 7);
    assert!(
        cam.iter()
            .all(|row| row.as_array().is_some_and(|r| r.len() == 7))
    );
    let max = cam
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .filter_map(|v| v.as_f64())
        .fold(0.0, f64::max);
    assert!(
        (max - 1.0).abs() < 1e-6,
        "the map is min-max normalised: max {max}"
    );
    assert!(
        report["timings_ms"]["total"]
            .as_f64()
            .is_some_and(|t| t > 0.0)
    );
}

#[test]
fn an_overlay_png_is_written_and_bad_input_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("tidepool-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("overlay.png");
    let not_an_image = dir.join("notes.txt");
    std::fs::write(&not_an_image, "hello").unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .args(["gradcam", COFFEE, "--method", "gradcam++", "--out"])
        .arg(&out)
        .output()
        .expect("run tidepool");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let png = std::fs::read(&out).expect("overlay written");
    assert_eq!(&png[1..4], b"PNG");

    let output = Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .arg("gradcam")
        .arg(&not_an_image)
        .output()
        .expect("run tidepool");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a supported image"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
