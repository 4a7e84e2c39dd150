fn main() {
    tidepool_gradcam_worker::register();
}
