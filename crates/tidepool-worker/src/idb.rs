//! A thin async key-value store over IndexedDB (web-sys), for saved sessions. Works in a
//! worker and on the page: the factory is read from whatever global scope runs the code.
//!
//! Why not a crate: `rexie` and `indexed_db_futures` wrap the whole IndexedDB API (indexes,
//! cursors, typed transactions) behind their own futures; we need get/put/delete of strings
//! in one object store, which is four requests and one adapter from `IDBRequest` to a future.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

/// The database and its one object store.
pub const DB_NAME: &str = "tidepool";
const DB_VERSION: u32 = 1;
const STORE: &str = "sessions";
/// The key of the current session.
pub const SESSION_KEY: &str = "current";

fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// Resolves when `request` succeeds (with its result) or fails.
async fn finished(request: &IdbRequest) -> Result<JsValue, String> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        let done = request.clone();
        let on_success = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call1(&JsValue::NULL, &done.result().unwrap_or(JsValue::UNDEFINED));
        });
        let failed = request.clone();
        let on_error = Closure::once_into_js(move |_: web_sys::Event| {
            let message = failed
                .error()
                .ok()
                .flatten()
                .map_or_else(|| "request failed".to_owned(), |e| e.message());
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&message));
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(describe)
}

async fn open() -> Result<IdbDatabase, String> {
    let factory: IdbFactory = Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| "IndexedDB is not available here".to_owned())?;
    let request: IdbOpenDbRequest = factory
        .open_with_u32(DB_NAME, DB_VERSION)
        .map_err(describe)?;
    // First open (or a version bump): create the object store.
    let upgrading = request.clone();
    let on_upgrade = Closure::once_into_js(move |_: web_sys::Event| {
        if let Ok(db) = upgrading.result().and_then(|r| r.dyn_into::<IdbDatabase>())
            && !db.object_store_names().contains(STORE)
        {
            let _ = db.create_object_store(STORE);
        }
    });
    request.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
    let db = finished(&request).await?;
    db.dyn_into().map_err(describe)
}

async fn run<T>(
    mode: IdbTransactionMode,
    request: impl FnOnce(&web_sys::IdbObjectStore) -> Result<IdbRequest, JsValue>,
    map: impl FnOnce(JsValue) -> T,
) -> Result<T, String> {
    let db = open().await?;
    let store = db
        .transaction_with_str_and_mode(STORE, mode)
        .and_then(|t| t.object_store(STORE))
        .map_err(describe)?;
    let request = request(&store).map_err(describe)?;
    let result = finished(&request).await;
    db.close();
    result.map(map)
}

/// The text stored under `key`, `None` when there is none.
pub async fn get(key: &str) -> Result<Option<String>, String> {
    let key = JsValue::from_str(key);
    run(
        IdbTransactionMode::Readonly,
        |s| s.get(&key),
        |v| v.as_string(),
    )
    .await
}

/// Stores `value` under `key`.
pub async fn put(key: &str, value: &str) -> Result<(), String> {
    let key = JsValue::from_str(key);
    let value = JsValue::from_str(value);
    run(
        IdbTransactionMode::Readwrite,
        |s| s.put_with_key(&value, &key),
        |_| (),
    )
    .await
}

/// Removes `key` (no error when it is absent).
pub async fn delete(key: &str) -> Result<(), String> {
    let key = JsValue::from_str(key);
    run(IdbTransactionMode::Readwrite, |s| s.delete(&key), |_| ()).await
}

/// Every key in the store, sorted.
pub async fn keys() -> Result<Vec<String>, String> {
    run(
        IdbTransactionMode::Readonly,
        |s| s.get_all_keys(),
        |v| {
            js_sys::Array::from(&v)
                .iter()
                .filter_map(|k| k.as_string())
                .collect()
        },
    )
    .await
}

/// What loading the saved session found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// Nothing saved yet.
    Nothing,
    /// The saved text (still to be decoded).
    Text(String),
}

/// Reads the current session's text.
pub async fn load_session() -> Result<Loaded, String> {
    Ok(match get(SESSION_KEY).await? {
        Some(text) => Loaded::Text(text),
        None => Loaded::Nothing,
    })
}

/// Moves an unreadable session text to its own key so it is kept, not overwritten; returns
/// that key. `stamp` makes it unique (e.g. milliseconds since the epoch).
pub async fn set_aside(text: &str, stamp: u64) -> Result<String, String> {
    let kept_as = set_aside_key(stamp);
    put(&kept_as, text).await?;
    delete(SESSION_KEY).await?;
    Ok(kept_as)
}

/// The key an unreadable session is kept under.
pub fn set_aside_key(stamp: u64) -> String {
    format!("unreadable-{stamp}")
}
