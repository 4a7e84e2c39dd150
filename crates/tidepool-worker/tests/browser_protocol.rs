//! The worker protocol through its real wire encoding, in headless Chromium.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use tidepool_worker::codec::{decode, encode};
use tidepool_worker::persist::Notice;
use tidepool_worker::protocol::{FromCluster, PROTOCOL_VERSION, TerminalId, ToCluster};
use tidepool_worker::{ClusterHandler, idb};
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
        replies[0],
        FromCluster::Pong {
            nonce: 4_000_000_000,
            protocol_version: PROTOCOL_VERSION,
            seed: 1,
            virtual_time_ms: 0,
        }
    );
    // The terminal list (ids are plain numbers on the wire), then the full cluster view,
    // which survives the hop intact (maps travel as plain objects).
    let [
        _,
        FromCluster::Terminals {
            terminals, active, ..
        },
        FromCluster::History { .. },
        FromCluster::ClusterView { view },
    ] = replies.as_slice()
    else {
        panic!("{replies:?}");
    };
    assert_eq!(*active, TerminalId::FIRST);
    assert_eq!(terminals[0].prompt, "controlplane $ ");
    assert!(view.nodes.contains_key("node01"), "{view:?}");
    assert!(view.pods.values().any(|p| p.name.starts_with("coredns-")));
}

#[wasm_bindgen_test]
fn a_node_terminal_opens_and_answers_with_its_id_over_the_wire() {
    let mut handler = ClusterHandler::default();
    let open = hop(&ToCluster::OpenTerminal {
        host: "node01".to_owned(),
    });
    let replies: Vec<FromCluster> = handler.answer(open).iter().map(hop).collect();
    let [
        FromCluster::Terminals {
            opened: Some(node), ..
        },
    ] = replies.as_slice()
    else {
        panic!("{replies:?}");
    };
    let line = hop(&ToCluster::Line {
        terminal: *node,
        text: "hostname".to_owned(),
    });
    let replies: Vec<FromCluster> = handler.handle(line).iter().map(hop).collect();
    assert!(
        replies.iter().any(|r| matches!(
            r,
            FromCluster::Output { terminal, chunks, prompt, .. }
                if terminal == node && prompt == "node01 $ " && chunks[0].1 == "node01\n"
        )),
        "{replies:?}"
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
        terminal: TerminalId::FIRST,
        text: "kubectl get ns".to_owned(),
    });
    let replies: Vec<FromCluster> = handler.handle(request).iter().map(hop).collect();
    let [
        FromCluster::Output {
            chunks,
            exit_code: 0,
            ..
        },
        ..,
    ] = replies.as_slice()
    else {
        panic!("{replies:?}");
    };
    let text: String = chunks.iter().map(|(_, s)| s.as_str()).collect();
    assert!(text.contains("kube-system"), "{text}");
}

/// A saved session goes into IndexedDB and comes back; the restored handler has its file.
#[wasm_bindgen_test]
async fn a_session_round_trips_through_indexeddb() {
    let mut handler = ClusterHandler::default();
    handler.handle(ToCluster::Line {
        terminal: TerminalId::FIRST,
        text: "echo hi > a.txt".to_owned(),
    });
    let text = handler
        .take_save(tidepool_worker::SAVE_INTERVAL)
        .expect("a change to save");
    idb::put(idb::SESSION_KEY, &text).await.expect("put");
    let idb::Loaded::Text(loaded) = idb::load_session().await.expect("load") else {
        panic!("nothing loaded");
    };
    assert_eq!(loaded, text);
    let mut restored = ClusterHandler::default();
    let replies = restored.restore_saved(&loaded, "unused");
    assert!(
        matches!(
            replies.last(),
            Some(FromCluster::Notice {
                notice: Notice::Restored { .. }
            })
        ),
        "{replies:?}"
    );
    assert_eq!(
        restored.session().read_file("a.txt").as_deref(),
        Some("hi\n")
    );
    idb::delete(idb::SESSION_KEY).await.expect("delete");
    assert_eq!(idb::load_session().await, Ok(idb::Loaded::Nothing));
}

/// A corrupt saved blob gives a notice and is kept under its own key, never dropped.
#[wasm_bindgen_test]
async fn a_corrupt_blob_is_set_aside_with_a_notice() {
    idb::put(idb::SESSION_KEY, "{\"format\":\"tidepool-session\",\"ver")
        .await
        .expect("put");
    let idb::Loaded::Text(text) = idb::load_session().await.expect("load") else {
        panic!("nothing loaded");
    };
    let kept_as = idb::set_aside_key(42);
    let replies = ClusterHandler::default().restore_saved(&text, &kept_as);
    let [
        FromCluster::Notice {
            notice:
                Notice::SetAside {
                    reason,
                    kept_as: key,
                },
        },
    ] = replies.as_slice()
    else {
        panic!("{replies:?}");
    };
    assert!(reason.starts_with("not JSON"), "{reason}");
    assert_eq!(key, "unreadable-42");
    assert_eq!(
        idb::set_aside(&text, 42).await.as_deref(),
        Ok("unreadable-42")
    );
    let keys = idb::keys().await.expect("keys");
    assert!(keys.contains(&"unreadable-42".to_owned()), "{keys:?}");
    assert!(!keys.contains(&idb::SESSION_KEY.to_owned()), "{keys:?}");
    assert_eq!(idb::get("unreadable-42").await, Ok(Some(text)));
}

#[wasm_bindgen_test]
fn the_editor_round_trips_through_the_wire_encoding() {
    let mut handler = ClusterHandler::default();
    let line = hop(&ToCluster::Line {
        terminal: TerminalId::FIRST,
        text: "vi web.yaml".to_owned(),
    });
    let opened: Vec<FromCluster> = handler.handle(line).iter().map(hop).collect();
    assert!(
        opened.iter().any(|r| matches!(
            r,
            FromCluster::OpenEditor { path, new_file: true, .. } if path == "/root/web.yaml"
        )),
        "{opened:?}"
    );
    let validate = hop(&ToCluster::Validate {
        path: "web.yaml".to_owned(),
        text: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [\n".to_owned(),
        revision: u32::MAX,
    });
    let replies: Vec<FromCluster> = handler.handle(validate).iter().map(hop).collect();
    let [
        FromCluster::Diagnostics {
            revision,
            diagnostics,
            ..
        },
    ] = replies.as_slice()
    else {
        panic!("{replies:?}");
    };
    assert_eq!(*revision, u32::MAX);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let save = hop(&ToCluster::SaveFile {
        path: "/root/web.yaml".to_owned(),
        text: "a: 1\n".to_owned(),
        close: true,
    });
    let closed: Vec<FromCluster> = handler.handle(save).iter().map(hop).collect();
    assert!(
        closed.iter().any(
            |r| matches!(r, FromCluster::Output { prompt, .. } if prompt == "controlplane $ ")
        ),
        "{closed:?}"
    );
    assert_eq!(
        handler.session().read_file("web.yaml").as_deref(),
        Some("a: 1\n")
    );
}
