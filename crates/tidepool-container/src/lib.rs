//! Containers for the Tidepool kubelet: images, filesystems, processes, a resumable shell.
//!
//! This crate is pure and sans-IO like `tidepool-core` (no clock, no OS randomness, no
//! printing); it does not depend on the core. The kubelet drives it.
//!
//! # Contract with the kubelet
//!
//! 1. **Pull.** [`image::resolve`]`(spec.image)` gives an [`image::Image`] (size for the
//!    `Pulled` event, ENTRYPOINT/CMD, env, ports) or a [`image::PullError`] whose
//!    [`kubelet_message`](image::PullError::kubelet_message) is the `Failed` event text and whose
//!    [`reason`](image::PullError::reason) is `ErrImagePull` / `InvalidImageName`.
//! 2. **Filesystems.** Per container the kubelet keeps an [`fs::Fs`] root
//!    ([`fs::Fs::for_container`]); per pod an [`fs::Volumes`] (emptyDir = `Fs::default()`,
//!    configMap/secret = [`fs::Fs::from_files`], the service-account projection =
//!    [`fs::Fs::service_account_volume`]). Each run borrows them as an [`fs::MountedFs`] with the
//!    container's [`fs::Mount`]s.
//! 3. **Start.** [`process::Process::start`]`(&spec, image, now)` resolves command/args like
//!    Kubernetes and returns a [`process::Process`], or a [`process::StartError`] (reason
//!    `StartError`, exit code 128, message [`runtime_message`](process::StartError::runtime_message)).
//! 4. **Run.** Call [`process::Process::run`]`(&mut mounted, &mut host, &mut output)` when the
//!    process is due: right after start, at the `wake_at` it returned, after a signal. It returns
//!    [`process::ProcessState`]: `Running { wake_at }` or `Exited { code }`. Output arrives in
//!    [`process::Output`] (stdout/stderr chunks, in order) for the container log.
//! 5. **Stop.** `process.signal(image.repository().stop_signal)` then `run`; after the grace
//!    period `process.signal(Signal::Kill)` (exit 137). A shell PID 1 ignores TERM unless it
//!    trapped it; nginx exits 0 on QUIT.
//! 6. **Limits and metrics.** [`process::Process::usage`] gives memory bytes and CPU millicores;
//!    the kubelet OOM-kills (reason `OOMKilled`, exit 137) when memory exceeds the limit.
//! 7. **Probes and exec.** Prepare once with [`exec::ExecCommand::new`], run with
//!    [`process::Process::exec`] (stdout, stderr, exit code, elapsed virtual time; `None` exit
//!    code = timed out). A missing binary is an [`exec::ExecError`] with the OCI text (exit 126).
//!    httpGet/tcpSocket probes and traffic use [`process::Process::serve_http`] and
//!    [`process::Process::listens_on`]. Interactive: [`process::Process::exec_session`].
//! 8. **The world.** The kubelet implements [`host::Host`] (virtual time, cluster DNS, HTTP and
//!    TCP routed to Services, pods and localhost).
//!
//! Everything the kubelet stores is `Serialize`/`Deserialize`; runs are deterministic: the same
//! inputs give the same outputs and states.

pub mod base64;
pub mod exec;
pub mod fs;
pub mod host;
pub mod image;
pub mod process;
mod regex;
pub mod sed;
pub mod server;
pub mod shell;

pub use exec::{ExecCommand, ExecError, ExecLimits, ExecOutput, ExecSession, SessionState};
pub use fs::{Fs, FsError, Mount, MountedFs, PodIdentity, Volumes};
pub use host::{Host, HttpRequest, HttpResponse, Millis, NetError};
pub use image::{Image, ImageRef, PullError, resolve};
pub use process::{
    ContainerSpec, Output, Process, ProcessState, Signal, StartError, Stream, Usage,
};
