//! Choosing the device: WebGPU (feature `webgpu`) with the Flex CPU backend (feature `flex`)
//! as the fallback. No web APIs here: the host awaits [`init_device`] and shows
//! [`BackendChoice::fallback_reason`] to the user.

use burn::tensor::Device;

/// Which backend the model runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// burn's wgpu runtime on WebGPU (or the native GPU API).
    WebGpu,
    /// burn's pure-Rust Flex CPU backend.
    Flex,
}

impl BackendKind {
    /// Short name for the UI (`webgpu`, `flex`).
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "webgpu",
            BackendKind::Flex => "flex",
        }
    }
}

/// The device to use and why, when it is not the preferred one.
#[derive(Debug, Clone)]
pub struct BackendChoice {
    /// The device to create the model and inputs on.
    pub device: Device,
    /// Its backend.
    pub kind: BackendKind,
    /// Set when WebGPU was wanted but could not be initialised.
    pub fallback_reason: Option<String>,
}

/// No backend is compiled in, or none could be initialised.
#[derive(Debug, thiserror::Error)]
#[error("no usable backend: {0}")]
pub struct BackendError(pub String);

/// The Flex CPU device.
#[cfg(feature = "flex")]
pub fn flex_device() -> Device {
    Device::flex()
}

/// Initialises WebGPU asynchronously (the only way that works in a browser, and it must run
/// before any tensor exists); falls back to Flex when WebGPU or an adapter is missing.
/// With `prefer_gpu == false` it returns Flex directly.
pub async fn init_device(prefer_gpu: bool) -> Result<BackendChoice, BackendError> {
    #[allow(unused_mut)]
    let mut reason: Option<String> = None;
    #[cfg(feature = "webgpu")]
    if prefer_gpu {
        match Device::wgpu_options().init_async().await {
            Ok(device) => {
                return Ok(BackendChoice {
                    device,
                    kind: BackendKind::WebGpu,
                    fallback_reason: None,
                });
            }
            Err(e) => reason = Some(format!("WebGPU is not available: {e}")),
        }
    }
    #[cfg(not(feature = "webgpu"))]
    if prefer_gpu {
        reason = Some("built without the webgpu feature".to_owned());
    }
    #[cfg(feature = "flex")]
    {
        Ok(BackendChoice {
            device: Device::flex(),
            kind: BackendKind::Flex,
            fallback_reason: reason,
        })
    }
    #[cfg(not(feature = "flex"))]
    {
        Err(BackendError(reason.unwrap_or_else(|| {
            "built without the flex feature".to_owned()
        })))
    }
}

#[cfg(all(test, feature = "flex", not(feature = "webgpu")))]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    #[test]
    fn flex_is_the_fallback() {
        let cpu = block_on(init_device(false)).expect("flex");
        assert_eq!(cpu.kind, BackendKind::Flex);
        assert!(cpu.fallback_reason.is_none());
        let wanted_gpu = block_on(init_device(true)).expect("flex");
        assert_eq!(wanted_gpu.kind.name(), "flex");
        let reason = wanted_gpu.fallback_reason.expect("says why");
        assert!(reason.contains("webgpu"), "{reason}");
    }
}
