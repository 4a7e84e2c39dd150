fn main() {
    tidepool_web::start();
}
