//! `kubectl explain` in the browser worker: its data is not in the wasm but fetched as
//! `explain.data.gz` (see `explain_data.rs`). This checks, in headless Chromium, the shell's
//! message before the data is there, the browser's gunzip of a gzip file, and explain output
//! once the data is handed over. Its own test binary: the data is process-wide state.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use js_sys::Uint8Array;
use tidepool_worker::ClusterHandler;
use tidepool_worker::explain_data::unpack;
use tidepool_worker::protocol::{FromCluster, TerminalId, ToCluster};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// `gzip -9 -n` of "@Pod\ttidepool explain\n".
const SMALL_GZIP: &[u8] = &[
    31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 115, 8, 200, 79, 225, 44, 201, 76, 73, 45, 200, 207, 207, 81,
    72, 173, 40, 200, 73, 204, 204, 227, 2, 0, 170, 138, 203, 98, 22, 0, 0, 0,
];

/// The output text and exit code of one terminal line.
fn run(handler: &mut ClusterHandler, line: &str) -> (String, i32) {
    let replies = handler.handle(ToCluster::Line {
        terminal: TerminalId::FIRST,
        text: line.to_owned(),
    });
    for reply in replies {
        if let FromCluster::Output {
            chunks, exit_code, ..
        } = reply
        {
            return (chunks.iter().map(|(_, s)| s.as_str()).collect(), exit_code);
        }
    }
    panic!("no output for {line}");
}

#[wasm_bindgen_test]
async fn explain_says_loading_then_works_once_the_data_is_handed_over() {
    let mut handler = ClusterHandler::default();
    let (text, code) = run(&mut handler, "kubectl explain pod");
    assert_eq!(
        text,
        "error: the field documentation is still loading; try again in a moment\n"
    );
    assert_eq!(code, 1);

    let small = unpack(Uint8Array::from(SMALL_GZIP)).await;
    assert_eq!(small.as_deref(), Ok("@Pod\ttidepool explain\n"));
    let plain = unpack(Uint8Array::from(&b"not gzipped"[..])).await;
    assert_eq!(plain.as_deref(), Ok("not gzipped"));
    let broken = unpack(Uint8Array::from(&SMALL_GZIP[..20])).await;
    assert!(broken.is_err(), "{broken:?}");

    // The real data, as the site serves it (gzip is checked by xtask's tests; here the text).
    let data = include_str!("../../tidepool-shell/src/kubectl/explain.data");
    assert!(tidepool_shell::kubectl::provide_explain_data("<!doctype html>".to_owned()).is_err());
    tidepool_shell::kubectl::provide_explain_data(data.to_owned()).expect("explain.data parses");
    let (text, code) = run(&mut handler, "kubectl explain pod.spec.restartPolicy");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("KIND:       Pod\nVERSION:    v1\n\nFIELD: restartPolicy <string>"),
        "{text}"
    );
}
