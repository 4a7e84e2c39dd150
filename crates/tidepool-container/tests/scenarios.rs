//! End-to-end scenarios from the seed notes, run against a fake host.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use tidepool_container::exec::{ExecCommand, ExecLimits};
use tidepool_container::fs::{Fs, Mount, MountedFs, PodIdentity, Volumes};
use tidepool_container::host::{Host, HttpRequest, HttpResponse, Millis, NetError};
use tidepool_container::image::resolve;
use tidepool_container::process::{ContainerSpec, Output, Process, ProcessState, Signal};

/// A cluster stand-in: a clock, DNS records and nothing listening anywhere.
#[derive(Default)]
struct FakeHost {
    now: Millis,
    dns: BTreeMap<String, Vec<Ipv4Addr>>,
    lookups: Vec<String>,
}

impl Host for FakeHost {
    fn now(&self) -> Millis {
        self.now
    }
    fn lookup(&mut self, fqdn: &str) -> Vec<Ipv4Addr> {
        self.lookups.push(fqdn.to_string());
        self.dns.get(fqdn).cloned().unwrap_or_default()
    }
    fn reverse_lookup(&mut self, ip: Ipv4Addr) -> Option<String> {
        (ip == Ipv4Addr::new(10, 96, 0, 10))
            .then(|| "kube-dns.kube-system.svc.cluster.local".to_string())
    }
    fn http(
        &mut self,
        _ip: Ipv4Addr,
        _port: u16,
        _request: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        Err(NetError::Refused)
    }
    fn tcp_connect(&mut self, _ip: Ipv4Addr, _port: u16) -> Result<(), NetError> {
        Err(NetError::Refused)
    }
}

/// One container with its own root, the pod's volumes and its mounts.
struct Container {
    process: Process,
    root: Fs,
    mounts: Vec<Mount>,
}

fn sh(script: &str) -> ContainerSpec {
    ContainerSpec {
        command: vec!["sh".into(), "-c".into(), script.into()],
        hostname: "pod".into(),
        ..ContainerSpec::default()
    }
}

fn container(image: &str, spec: &ContainerSpec, mounts: Vec<Mount>) -> Container {
    let image = resolve(image).expect("image in catalogue");
    let pod = PodIdentity::new(&spec.hostname, "default", "10.244.1.5");
    Container {
        process: Process::start(spec, image, 0).expect("starts"),
        root: Fs::for_container(image, &pod),
        mounts,
    }
}

impl Container {
    fn run(&mut self, volumes: &mut Volumes, host: &mut FakeHost) -> (ProcessState, String) {
        let mut out = Output::default();
        let image = self.process.image();
        let mut fs = MountedFs::new(&mut self.root, volumes, &self.mounts, Some(image));
        let state = self.process.run(&mut fs, host, &mut out);
        (state, out.combined())
    }

    fn exec(
        &mut self,
        volumes: &mut Volumes,
        host: &mut FakeHost,
        argv: &[&str],
    ) -> (Option<i32>, String) {
        let argv: Vec<String> = argv.iter().map(|s| (*s).to_string()).collect();
        let image = self.process.image();
        let mut fs = MountedFs::new(&mut self.root, volumes, &self.mounts, Some(image));
        match self.process.exec(
            &ExecCommand::new(&argv),
            &mut fs,
            host,
            ExecLimits::probe(1),
        ) {
            Ok(out) => (out.exit_code, out.combined()),
            Err(e) => (Some(e.exit_code()), e.to_string()),
        }
    }
}

#[test]
fn liveness_exec_example() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let spec = sh("touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600");
    let mut c = container("busybox", &spec, Vec::new());
    assert_eq!(
        c.run(&mut volumes, &mut host),
        (
            ProcessState::Running {
                wake_at: Some(30_000)
            },
            String::new()
        )
    );
    assert_eq!(
        c.exec(&mut volumes, &mut host, &["cat", "/tmp/healthy"]),
        (Some(0), String::new())
    );
    host.now = 10_000;
    // Woken early: still sleeping.
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Running {
            wake_at: Some(30_000)
        }
    );
    host.now = 30_000;
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Running {
            wake_at: Some(630_000)
        }
    );
    assert_eq!(
        c.exec(&mut volumes, &mut host, &["cat", "/tmp/healthy"]),
        (
            Some(1),
            "cat: can't open '/tmp/healthy': No such file or directory\n".to_string()
        )
    );
    // The kubelet stops it: PID 1 sh ignores TERM, KILL ends it with 137.
    c.process.signal(Signal::Term);
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Running {
            wake_at: Some(630_000)
        }
    );
    c.process.signal(Signal::Kill);
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Exited { code: 137 }
    );
}

#[test]
fn init_container_waits_for_service_dns() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    volumes.insert(
        "kube-api-access",
        Fs::service_account_volume("default", "token", "ca"),
    );
    let spec = sh(
        "until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for myservice; sleep 2; done",
    );
    let mounts = vec![
        Mount::new(
            "kube-api-access",
            "/var/run/secrets/kubernetes.io/serviceaccount",
        )
        .read_only(),
    ];
    let mut c = container("busybox:1.28", &spec, mounts);
    let (state, log) = c.run(&mut volumes, &mut host);
    assert_eq!(
        state,
        ProcessState::Running {
            wake_at: Some(2_000)
        }
    );
    assert_eq!(
        log,
        "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\nnslookup: can't resolve 'myservice.default.svc.cluster.local'\nwaiting for myservice\n"
    );
    host.now = 2_000;
    host.dns.insert(
        "myservice.default.svc.cluster.local".into(),
        vec![Ipv4Addr::new(10, 96, 12, 7)],
    );
    let (state, log) = c.run(&mut volumes, &mut host);
    assert_eq!(state, ProcessState::Exited { code: 0 });
    assert_eq!(
        log,
        "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\nName:      myservice.default.svc.cluster.local\nAddress 1: 10.96.12.7 myservice.default.svc.cluster.local\n"
    );
}

#[test]
fn sidecar_writer_and_tail_reader_share_an_empty_dir() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    volumes.insert("logs", Fs::default());
    let writer_spec =
        sh("while true; do echo \"$(date) INFO hello\" >> /var/log/app.log; sleep 1; done");
    let reader_spec = sh("tail -n+1 -f /var/log/app.log");
    let mut writer = container(
        "busybox",
        &writer_spec,
        vec![Mount::new("logs", "/var/log")],
    );
    let mut reader = container(
        "busybox",
        &reader_spec,
        vec![Mount::new("logs", "/var/log")],
    );
    assert_eq!(
        writer.run(&mut volumes, &mut host).0,
        ProcessState::Running {
            wake_at: Some(1_000)
        }
    );
    let (state, log) = reader.run(&mut volumes, &mut host);
    assert_eq!(
        state,
        ProcessState::Running {
            wake_at: Some(1_000)
        }
    );
    assert_eq!(log, "Thu Jan  1 00:00:00 UTC 2026 INFO hello\n");
    host.now = 1_000;
    writer.run(&mut volumes, &mut host);
    let (_, log) = reader.run(&mut volumes, &mut host);
    assert_eq!(log, "Thu Jan  1 00:00:01 UTC 2026 INFO hello\n");
    host.now = 2_000;
    let (_, log) = reader.run(&mut volumes, &mut host);
    assert_eq!(log, "", "nothing new until the writer wakes");
}

#[test]
fn crash_loop_exit_codes() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let mut c = container("busybox", &sh("echo starting; exit 1"), Vec::new());
    assert_eq!(
        c.run(&mut volumes, &mut host),
        (ProcessState::Exited { code: 1 }, "starting\n".to_string())
    );
    let mut c = container(
        "busybox",
        &sh("echo The app is running! && sleep 3600"),
        Vec::new(),
    );
    assert_eq!(
        c.run(&mut volumes, &mut host),
        (
            ProcessState::Running {
                wake_at: Some(3_600_000)
            },
            "The app is running!\n".to_string()
        )
    );
    let mut c = container("busybox", &sh("nosuchcmd"), Vec::new());
    assert_eq!(
        c.run(&mut volumes, &mut host),
        (
            ProcessState::Exited { code: 127 },
            "sh: nosuchcmd: not found\n".to_string()
        )
    );
    let mut c = container(
        "busybox",
        &sh("while true; do echo; done; done"),
        Vec::new(),
    );
    assert_eq!(
        c.run(&mut volumes, &mut host),
        (
            ProcessState::Exited { code: 2 },
            "sh: syntax error: unexpected \"done\"\n".to_string()
        )
    );
}

#[test]
fn busy_loop_yields_and_keeps_running() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let mut c = container("busybox", &sh("while true; do :; done"), Vec::new());
    for step in 0..5 {
        host.now = step * 100;
        assert_eq!(
            c.run(&mut volumes, &mut host).0,
            ProcessState::Running {
                wake_at: Some(step * 100 + 100)
            }
        );
    }
    assert!(
        c.process.usage().cpu_millicores >= 900,
        "{:?}",
        c.process.usage()
    );
}

#[test]
fn trapped_term_with_background_sleep_exits_at_once() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let mut c = container(
        "busybox",
        &sh("trap 'echo bye; exit 0' TERM; sleep 3600 & wait"),
        Vec::new(),
    );
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Running {
            wake_at: Some(3_600_000)
        }
    );
    host.now = 5_000;
    c.process.signal(Signal::Term);
    assert_eq!(
        c.run(&mut volumes, &mut host),
        (ProcessState::Exited { code: 0 }, "bye\n".to_string())
    );
}

#[test]
fn nginx_serves_and_stops_gracefully() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let spec = ContainerSpec {
        hostname: "web".into(),
        ..ContainerSpec::default()
    };
    let mut c = container("nginx:1.27", &spec, Vec::new());
    let (state, log) = c.run(&mut volumes, &mut host);
    assert_eq!(state, ProcessState::Running { wake_at: None });
    assert!(
        log.starts_with("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty"),
        "{log}"
    );
    assert!(log.contains("[notice] 1#1: nginx/1.27.3\n"), "{log}");
    assert!(c.process.listens_on(80) && !c.process.listens_on(8080));
    let request = HttpRequest {
        method: "GET".into(),
        path: "/".into(),
        host: "web".into(),
        user_agent: "curl/8.5.0".into(),
        client_ip: Ipv4Addr::new(10, 244, 0, 1),
    };
    let mut out = Output::default();
    let image = c.process.image();
    let fs = MountedFs::new(&mut c.root, &mut volumes, &c.mounts, Some(image));
    let response = c
        .process
        .serve_http(&fs, 61_000, 80, &request, &mut out)
        .expect("nginx answers");
    assert_eq!(response.status, 200);
    assert!(response.body.contains("<title>Welcome to nginx!</title>"));
    assert_eq!(response.body.len(), 615);
    assert_eq!(
        out.stdout(),
        "10.244.0.1 - - [01/Jan/2026:00:01:01 +0000] \"GET / HTTP/1.1\" 200 615 \"-\" \"curl/8.5.0\" \"-\"\n"
    );
    let missing = HttpRequest {
        path: "/nope".into(),
        ..request
    };
    assert_eq!(
        c.process
            .serve_http(&fs, 61_000, 80, &missing, &mut out)
            .map(|r| r.status),
        Some(404)
    );
    c.process.signal(Signal::Quit);
    let (state, log) = c.run(&mut volumes, &mut host);
    assert_eq!(state, ProcessState::Exited { code: 0 });
    assert!(
        log.contains("signal 3 (SIGQUIT) received, shutting down"),
        "{log}"
    );
}

#[test]
fn bootcamp_answers_with_hostname_and_version() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let spec = ContainerSpec {
        hostname: "kubernetes-bootcamp-5b7f6".into(),
        ..ContainerSpec::default()
    };
    let mut c = container(
        "gcr.io/google-samples/kubernetes-bootcamp:v2",
        &spec,
        Vec::new(),
    );
    let (_, log) = c.run(&mut volumes, &mut host);
    assert_eq!(
        log,
        "Kubernetes Bootcamp App Started At: 2026-01-01T00:00:00.000Z | Running On:  kubernetes-bootcamp-5b7f6 \n\n"
    );
    let request = HttpRequest {
        method: "GET".into(),
        path: "/".into(),
        host: "x".into(),
        user_agent: "curl/8.5.0".into(),
        client_ip: Ipv4Addr::new(10, 244, 0, 1),
    };
    let mut out = Output::default();
    let image = c.process.image();
    let fs = MountedFs::new(&mut c.root, &mut volumes, &c.mounts, Some(image));
    let response = c
        .process
        .serve_http(&fs, 1_500, 8080, &request, &mut out)
        .expect("answers");
    assert_eq!(
        response.body,
        "Hello Kubernetes bootcamp! | Running on: kubernetes-bootcamp-5b7f6 | v=2\n"
    );
    assert_eq!(
        out.stdout(),
        "Running On: kubernetes-bootcamp-5b7f6 | Total Requests: 1 | App Uptime: 1.5 seconds | Log Time: 2026-01-01T00:00:01.500Z\n"
    );
    // node as PID 1 has no TERM handler: it waits for SIGKILL.
    c.process.signal(Signal::Term);
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Running { wake_at: None }
    );
}

#[test]
fn start_and_exec_errors_carry_runtime_text() {
    let image = resolve("busybox").expect("busybox");
    let spec = ContainerSpec {
        command: vec!["foo".into()],
        ..ContainerSpec::default()
    };
    let err = Process::start(&spec, image, 0).expect_err("no foo");
    assert_eq!(
        err.to_string(),
        "exec: \"foo\": executable file not found in $PATH"
    );
    assert_eq!(
        err.runtime_message(),
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: \"foo\": executable file not found in $PATH: unknown"
    );
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let mut c = container("busybox", &sh("sleep 3600"), Vec::new());
    c.run(&mut volumes, &mut host);
    assert_eq!(
        c.exec(&mut volumes, &mut host, &["bash"]),
        (Some(126), "OCI runtime exec failed: exec failed: unable to start container process: exec: \"bash\": executable file not found in $PATH: unknown".to_string())
    );
    assert_eq!(
        c.exec(&mut volumes, &mut host, &["/bin/bash"]).1,
        "OCI runtime exec failed: exec failed: unable to start container process: exec: \"/bin/bash\": stat /bin/bash: no such file or directory: unknown"
    );
}

#[test]
fn exec_env_shows_image_and_spec_environment() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let mut spec = sh("sleep 3600");
    spec.env = vec![("GREETING".into(), "hello".into())];
    let mut c = container("busybox", &spec, Vec::new());
    c.run(&mut volumes, &mut host);
    assert_eq!(
        c.exec(&mut volumes, &mut host, &["env"]),
        (Some(0), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=pod\nGREETING=hello\nHOME=/root\n".to_string())
    );
}
