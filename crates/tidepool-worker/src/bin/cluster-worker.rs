fn main() {
    tidepool_worker::register();
}
