//! The worker protocol through its real wire encoding, in headless Chromium.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use tidepool_worker::ClusterHandler;
use tidepool_worker::codec::{decode, encode};
use tidepool_worker::protocol::{FromCluster, PROTOCOL_VERSION, ToCluster};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Encodes `message` as a JsValue and decodes it again, as a postMessage hop does.
fn hop<T: serde::Serialize + for<'de> serde::Deserialize<'de>>(message: &T) -> T {
    let value = encode(message).expect("encode");
    decode(value).expect("decode")
}

#[wasm_bindgen_test]
fn ping_round_trips_through_the_handler() {
    let mut handler = ClusterHandler::default();
    let request = hop(&ToCluster::Ping {
        nonce: 4_000_000_000,
    });
    let replies: Vec<FromCluster> = handler.handle(request).iter().map(hop).collect();
    assert_eq!(
        replies,
        vec![FromCluster::Pong {
            nonce: 4_000_000_000,
            protocol_version: PROTOCOL_VERSION,
            seed: 1,
            virtual_time_ms: 0,
            prompt: "controlplane $ ".to_owned(),
        }]
    );
}

#[wasm_bindgen_test]
fn large_numbers_survive_the_hop() {
    let clock = FromCluster::Clock {
        virtual_time_ms: u64::MAX,
        speed: 60,
    };
    assert_eq!(hop(&clock), clock);
}

#[wasm_bindgen_test]
fn messages_are_plain_js_objects() {
    let value = encode(&ToCluster::Ping { nonce: 3 }).expect("encode");
    let ping = js_sys::Reflect::get(&value, &"Ping".into()).expect("Ping key");
    let nonce = js_sys::Reflect::get(&ping, &"nonce".into()).expect("nonce key");
    assert_eq!(nonce.as_f64(), Some(3.0));
}

#[wasm_bindgen_test]
fn a_kubectl_line_round_trips_with_its_output() {
    let mut handler = ClusterHandler::default();
    let request = hop(&ToCluster::Line {
        text: "kubectl get ns".to_owned(),
    });
    let replies: Vec<FromCluster> = handler.handle(request).iter().map(hop).collect();
    let [
        FromCluster::Output {
            chunks,
            exit_code: 0,
            ..
        },
    ] = replies.as_slice()
    else {
        panic!("{replies:?}");
    };
    let text: String = chunks.iter().map(|(_, s)| s.as_str()).collect();
    assert!(text.contains("kube-system"), "{text}");
}
