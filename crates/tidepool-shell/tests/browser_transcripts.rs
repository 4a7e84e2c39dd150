//! Every transcript of `tests/transcripts/`, replayed in headless Chromium through the same
//! `transcript::check` the native test uses: the shell and the simulation must print the same
//! bytes in the browser's wasm as natively. The files are embedded at build time (`build.rs`).
//! Run by `cargo xtask test`, or `cargo test --target wasm32-unknown-unknown -p tidepool-shell
//! --test browser_transcripts`.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

include!(concat!(env!("OUT_DIR"), "/transcripts.rs"));

#[wasm_bindgen_test]
fn every_transcript_replays_in_the_browser() {
    assert!(
        TRANSCRIPTS.len() > 50,
        "only {} transcripts embedded",
        TRANSCRIPTS.len()
    );
    // The worker fetches this file at start-up; the test hands it over the same way.
    tidepool_shell::kubectl::provide_explain_data(
        include_str!("../src/kubectl/explain.data").to_owned(),
    )
    .expect("explain.data parses");
    let started = js_sys::Date::now();
    let failures: Vec<String> = TRANSCRIPTS
        .iter()
        .filter_map(|(name, text)| {
            tidepool_shell::transcript::check(text)
                .err()
                .map(|diff| format!("{name}:\n{diff}"))
        })
        .collect();
    let seconds = (js_sys::Date::now() - started) / 1000.0;
    console_log!(
        "{} transcripts replayed in {seconds:.1} s",
        TRANSCRIPTS.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} transcripts failed in the browser:\n{}",
        failures.len(),
        TRANSCRIPTS.len(),
        failures.join("\n")
    );
}
