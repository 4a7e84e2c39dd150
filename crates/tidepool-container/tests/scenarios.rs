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
    // The same probe through `sh -c` (fast path) and through a real shell script agree.
    for argv in [
        &["sh", "-c", "cat /tmp/healthy"][..],
        &["sh", "-c", "cat /tmp/healthy; true; false"][..],
        &["sh", "-c", "test -f /tmp/healthy || cat /tmp/healthy"][..],
    ] {
        let expected = "cat: can't open '/tmp/healthy': No such file or directory\n";
        assert_eq!(
            c.exec(&mut volumes, &mut host, argv),
            (Some(1), expected.to_string()),
            "{argv:?}"
        );
    }
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
        c.process.usage(0).cpu_millicores >= 900,
        "{:?}",
        c.process.usage(0)
    );
}

/// Runs a counting busy loop for one virtual second (ten CPU slices) under `cpu_limit` and
/// returns its count and its reported CPU.
fn busy_loop_second(cpu_limit: Option<u64>) -> (u64, u64) {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let spec = ContainerSpec {
        cpu_limit_millicores: cpu_limit,
        ..sh("i=0; while true; do i=$((i+1)); echo $i > /tmp/n; done")
    };
    let mut c = container("busybox", &spec, Vec::new());
    for step in 0..10 {
        host.now = step * 100;
        // Throttled or not, the loop gets the CPU again one CFS period later.
        assert_eq!(
            c.run(&mut volumes, &mut host).0,
            ProcessState::Running {
                wake_at: Some(step * 100 + 100)
            }
        );
    }
    let (code, count) = c.exec(&mut volumes, &mut host, &["cat", "/tmp/n"]);
    assert_eq!(code, Some(0), "{count}");
    let count = count.trim().parse().expect("a count");
    (count, c.process.usage(0).cpu_millicores)
}

#[test]
fn cpu_limit_throttles_a_busy_loop() {
    let (unlimited_count, unlimited_cpu) = busy_loop_second(None);
    let (limited_count, limited_cpu) = busy_loop_second(Some(200));
    let (tiny_count, tiny_cpu) = busy_loop_second(Some(1));
    // `top` shows a whole core without a limit and the limit with one.
    assert!(unlimited_cpu >= 900, "{unlimited_cpu}");
    assert!((190..=200).contains(&limited_cpu), "{limited_cpu}");
    assert_eq!(tiny_cpu, 1);
    // The work done per virtual second scales with the quota (200m: a fifth of a core).
    assert!(
        unlimited_count > 0 && limited_count > 0,
        "{unlimited_count} {limited_count}"
    );
    let ratio = unlimited_count as f64 / limited_count as f64;
    assert!(
        (4.0..=6.0).contains(&ratio),
        "{unlimited_count} / {limited_count}"
    );
    // A 1m limit (one instruction per slice) still makes progress, slowly.
    assert!(tiny_count < limited_count, "{tiny_count}");
    // A limit above one core does not make a single-threaded loop faster.
    let (big_count, big_cpu) = busy_loop_second(Some(4000));
    assert_eq!((big_count, big_cpu), (unlimited_count, unlimited_cpu));
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

/// A host whose network has one nginx pod behind a Service.
struct NetHost {
    now: Millis,
    nginx: Process,
    nginx_root: Fs,
    nginx_volumes: Volumes,
    nginx_log: Output,
}

const NGINX_POD_IP: Ipv4Addr = Ipv4Addr::new(10, 244, 2, 9);
const NGINX_SVC_IP: Ipv4Addr = Ipv4Addr::new(10, 96, 100, 1);

impl NetHost {
    fn new() -> NetHost {
        let image = resolve("nginx").expect("nginx");
        let spec = ContainerSpec {
            hostname: "web".into(),
            ..ContainerSpec::default()
        };
        let mut host = NetHost {
            now: 0,
            nginx: Process::start(&spec, image, 0).expect("nginx starts"),
            nginx_root: Fs::for_container(image, &PodIdentity::new("web", "default", "10.244.2.9")),
            nginx_volumes: Volumes::default(),
            nginx_log: Output::default(),
        };
        let mut fs = MountedFs::new(
            &mut host.nginx_root,
            &mut host.nginx_volumes,
            &[],
            Some(image),
        );
        let mut clock = FakeHost::default();
        host.nginx.run(&mut fs, &mut clock, &mut host.nginx_log);
        host.nginx_log.chunks.clear();
        host
    }
}

impl Host for NetHost {
    fn now(&self) -> Millis {
        self.now
    }
    fn lookup(&mut self, fqdn: &str) -> Vec<Ipv4Addr> {
        match fqdn {
            "web.default.svc.cluster.local" => vec![NGINX_SVC_IP],
            _ => Vec::new(),
        }
    }
    fn http(
        &mut self,
        ip: Ipv4Addr,
        port: u16,
        request: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        if ip != NGINX_SVC_IP && ip != NGINX_POD_IP {
            return Err(NetError::TimedOut);
        }
        let image = self.nginx.image();
        let fs = MountedFs::new(
            &mut self.nginx_root,
            &mut self.nginx_volumes,
            &[],
            Some(image),
        );
        self.nginx
            .serve_http(&fs, self.now, port, request, &mut self.nginx_log)
            .ok_or(NetError::Refused)
    }
    fn tcp_connect(&mut self, ip: Ipv4Addr, port: u16) -> Result<(), NetError> {
        if (ip == NGINX_SVC_IP || ip == NGINX_POD_IP) && self.nginx.listens_on(port) {
            Ok(())
        } else {
            Err(NetError::Refused)
        }
    }
}

fn exec_with(host: &mut NetHost, image: &str, argv: &[&str]) -> (Option<i32>, String, String) {
    let image = resolve(image).expect("image");
    let spec = sh("sleep 3600");
    let mut process = Process::start(&spec, image, 0).expect("starts");
    let mut root = Fs::for_container(image, &PodIdentity::new("client", "default", "10.244.1.5"));
    let mut volumes = Volumes::default();
    let mut fs = MountedFs::new(&mut root, &mut volumes, &[], Some(image));
    let mut out = Output::default();
    process.run(&mut fs, host, &mut out);
    let argv: Vec<String> = argv.iter().map(|s| (*s).to_string()).collect();
    let result = process
        .exec(
            &ExecCommand::new(&argv),
            &mut fs,
            host,
            ExecLimits::default(),
        )
        .expect("exec starts");
    (result.exit_code, result.stdout, result.stderr)
}

#[test]
fn wget_and_curl_reach_a_service_through_dns() {
    let mut host = NetHost::new();
    host.now = 5_000;
    let (code, body, err) = exec_with(&mut host, "busybox", &["wget", "-qO-", "http://web"]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert!(body.contains("<h1>Welcome to nginx!</h1>"));
    assert_eq!(
        host.nginx_log.stdout(),
        "10.244.1.5 - - [01/Jan/2026:00:00:05 +0000] \"GET / HTTP/1.1\" 200 615 \"-\" \"Wget\" \"-\"\n"
    );
    let (code, _, err) = exec_with(&mut host, "busybox", &["wget", "-qO-", "http://nope"]);
    assert_eq!(
        (code, err.as_str()),
        (Some(1), "wget: bad address 'nope'\n")
    );
    let (code, _, err) = exec_with(
        &mut host,
        "busybox",
        &["wget", "-qO-", "http://web/missing"],
    );
    assert_eq!(
        (code, err.as_str()),
        (
            Some(1),
            "wget: server returned error: HTTP/1.1 404 Not Found\n"
        )
    );
    let (code, _, err) = exec_with(&mut host, "busybox", &["wget", "-qO-", "http://web:8080/"]);
    assert_eq!(
        (code, err.as_str()),
        (
            Some(1),
            "wget: can't connect to remote host (10.96.100.1): Connection refused\n"
        )
    );
    let (code, body, _) = exec_with(
        &mut host,
        "nginx",
        &["curl", "-s", "web.default.svc.cluster.local"],
    );
    assert_eq!(code, Some(0));
    assert_eq!(body.len(), 615);
    let (code, _, err) = exec_with(&mut host, "nginx", &["curl", "http://nothing"]);
    assert_eq!(
        (code, err.as_str()),
        (Some(6), "curl: (6) Could not resolve host: nothing\n")
    );
    // A black-holed address times out against the exec limit.
    let (code, _, _) = exec_with(
        &mut host,
        "busybox",
        &["wget", "-T", "5", "-qO-", "http://10.1.2.3/"],
    );
    assert_eq!(code, Some(1));
    let (code, _, _) = exec_with(&mut host, "busybox", &["nc", "-z", "web", "80"]);
    assert_eq!(code, Some(0));
}

#[test]
fn nslookup_new_busybox_format() {
    let mut host = NetHost::new();
    let (code, out, _) = exec_with(&mut host, "busybox:1.36", &["nslookup", "web"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        out,
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb.default.svc.cluster.local\nAddress: 10.96.100.1\n\n"
    );
    let (code, out, _) = exec_with(&mut host, "busybox:1.36", &["nslookup", "nosuch"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        out,
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find nosuch: NXDOMAIN\n\n** server can't find nosuch: NXDOMAIN\n\n"
    );
}

#[test]
fn interactive_session_prompts_and_runs_lines() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let mut c = container("busybox", &sh("sleep 3600"), Vec::new());
    c.run(&mut volumes, &mut host);
    let mut session = c
        .process
        .exec_session(&["sh".to_string()])
        .expect("sh exists");
    assert_eq!(session.prompt(), "/ # ");
    let image = c.process.image();
    let mut out = Output::default();
    let mut step = |session: &mut tidepool_container::ExecSession,
                    line: &str,
                    process: &mut Process,
                    root: &mut Fs,
                    out: &mut Output| {
        session.feed_line(line);
        let mut fs = MountedFs::new(root, &mut volumes, &[], Some(image));
        session.run(process, &mut fs, &mut host, out)
    };
    use tidepool_container::SessionState;
    assert_eq!(
        step(
            &mut session,
            "cd /tmp; echo hi > f; cat f",
            &mut c.process,
            &mut c.root,
            &mut out
        ),
        SessionState::Ready
    );
    assert_eq!(out.combined(), "hi\n");
    assert_eq!(session.prompt(), "/tmp # ");
    assert_eq!(
        step(
            &mut session,
            "exit 3",
            &mut c.process,
            &mut c.root,
            &mut out
        ),
        SessionState::Exited { code: 3 }
    );
    let ubuntu = resolve("ubuntu").expect("ubuntu");
    let spec = ContainerSpec {
        command: vec!["sleep".into(), "infinity".into()],
        hostname: "u1".into(),
        ..ContainerSpec::default()
    };
    let p = Process::start(&spec, ubuntu, 0).expect("ubuntu sleep");
    assert_eq!(
        p.exec_session(&["bash".to_string()])
            .expect("bash")
            .prompt(),
        "root@u1:/# "
    );
    assert_eq!(
        p.exec_session(&["sh".to_string()]).expect("dash").prompt(),
        "# "
    );
}

#[test]
fn stress_allocates_memory_for_the_oom_killer() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let spec = ContainerSpec {
        command: vec!["stress".into()],
        args: vec![
            "--vm".into(),
            "1".into(),
            "--vm-bytes".into(),
            "150M".into(),
            "--vm-hang".into(),
            "1".into(),
        ],
        ..ContainerSpec::default()
    };
    let mut c = container("polinux/stress", &spec, Vec::new());
    let (state, log) = c.run(&mut volumes, &mut host);
    assert_eq!(state, ProcessState::Running { wake_at: None });
    assert_eq!(
        log,
        "stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n"
    );
    let usage = c.process.usage(0);
    assert!(
        usage.memory_bytes >= 150 * 1024 * 1024 && usage.memory_bytes < 151 * 1024 * 1024,
        "{usage:?}"
    );
}

#[test]
fn servers_that_need_configuration_exit_like_the_real_images() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let mut c = container("postgres:16", &ContainerSpec::default(), Vec::new());
    let (state, log) = c.run(&mut volumes, &mut host);
    assert_eq!(state, ProcessState::Exited { code: 1 });
    assert!(
        log.starts_with(
            "Error: Database is uninitialized and superuser password is not specified."
        ),
        "{log}"
    );
    let with_password = ContainerSpec {
        env: vec![("POSTGRES_PASSWORD".into(), "pw".into())],
        ..ContainerSpec::default()
    };
    let mut c = container("postgres:16", &with_password, Vec::new());
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Running { wake_at: None }
    );
    assert!(c.process.listens_on(5432));
    // python's default CMD is a REPL: without a TTY it exits 0 at once (Completed).
    let mut c = container("python:3.12", &ContainerSpec::default(), Vec::new());
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Exited { code: 0 }
    );
    // ubuntu's default CMD is bash: no stdin, exits 0.
    let mut c = container("ubuntu:18.04", &ContainerSpec::default(), Vec::new());
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Exited { code: 0 }
    );
    // With stdin (kubectl run -it), it waits for input.
    let interactive = ContainerSpec {
        stdin: true,
        tty: true,
        ..ContainerSpec::default()
    };
    let mut c = container("ubuntu:18.04", &interactive, Vec::new());
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Running { wake_at: None }
    );
    // The notes' `command: "echo hello world"` as one argv element is not an executable.
    let image = resolve("ubuntu:18.04").expect("ubuntu");
    let spec = ContainerSpec {
        command: vec!["echo hello world".into()],
        ..ContainerSpec::default()
    };
    assert_eq!(
        Process::start(&spec, image, 0)
            .expect_err("no such file")
            .to_string(),
        "exec: \"echo hello world\": executable file not found in $PATH"
    );
}

#[test]
fn snapshot_mid_sleep_resumes_identically() {
    let script = "i=0; while [ $i -lt 5 ]; do echo \"tick $i $(date +%T)\" >> /tmp/log; i=$((i+1)); sleep 2; done; cat /tmp/log";
    let run_all = |snapshot_at: Option<usize>| -> String {
        let mut host = FakeHost::default();
        let mut volumes = Volumes::default();
        let mut c = container("busybox", &sh(script), Vec::new());
        let mut log = String::new();
        for step in 0..10 {
            if Some(step) == snapshot_at {
                let json = serde_json::to_string(&(&c.process, &c.root)).expect("serialise");
                let (process, root): (Process, Fs) =
                    serde_json::from_str(&json).expect("deserialise");
                c.process = process;
                c.root = root;
            }
            let (state, out) = c.run(&mut volumes, &mut host);
            log.push_str(&out);
            match state {
                ProcessState::Running { wake_at: Some(t) } => host.now = t,
                _ => break,
            }
        }
        log
    };
    let straight = run_all(None);
    assert_eq!(
        straight,
        "tick 0 00:00:00\ntick 1 00:00:02\ntick 2 00:00:04\ntick 3 00:00:06\ntick 4 00:00:08\n"
    );
    assert_eq!(run_all(Some(2)), straight);
    assert_eq!(run_all(Some(4)), straight);
}

#[test]
fn every_catalogue_image_starts_and_runs() {
    let mut host = FakeHost::default();
    for repository in tidepool_container::image::CATALOGUE {
        for tag in repository.tags {
            let reference = format!("{}:{}", repository.name, tag.name);
            let image = resolve(&reference).expect("catalogue entries resolve");
            let binary = repository
                .programs
                .first()
                .map(|p| p.rsplit('/').next().unwrap_or(p).to_string());
            let mut spec = ContainerSpec {
                hostname: "pod".into(),
                env: vec![
                    ("POSTGRES_PASSWORD".into(), "pw".into()),
                    ("MYSQL_ROOT_PASSWORD".into(), "pw".into()),
                ],
                ..ContainerSpec::default()
            };
            if repository.entrypoint.is_empty() && repository.cmd.is_empty() {
                // kubeadm's static pods name the binary in `command`.
                spec.command = binary.into_iter().collect();
            }
            let mut process =
                Process::start(&spec, image, 0).unwrap_or_else(|e| panic!("{reference}: {e}"));
            let mut root =
                Fs::for_container(image, &PodIdentity::new("pod", "default", "10.244.1.5"));
            let mut volumes = Volumes::default();
            let mut fs = MountedFs::new(&mut root, &mut volumes, &[], Some(image));
            let mut out = Output::default();
            let state = process.run(&mut fs, &mut host, &mut out);
            // Shells without input, REPLs without a TTY and `stress --help` exit at once.
            let expected_exit = matches!(
                repository.behaviour,
                tidepool_container::image::Behaviour::Repl
                    | tidepool_container::image::Behaviour::Shell
                    | tidepool_container::image::Behaviour::Stress
            );
            assert_eq!(
                matches!(state, ProcessState::Exited { .. }),
                expected_exit,
                "{reference}: {state:?} {}",
                out.combined()
            );
            for port in repository.ports {
                if repository.behaviour != tidepool_container::image::Behaviour::Agnhost {
                    assert!(
                        process.listens_on(*port),
                        "{reference} should listen on {port}"
                    );
                }
            }
        }
    }
}

#[test]
fn kill_1_from_an_exec_session_reaches_the_trapping_main_process() {
    let mut host = FakeHost::default();
    let mut volumes = Volumes::default();
    let mut c = container(
        "busybox",
        &sh("trap 'echo got TERM; exit 0' TERM; while true; do sleep 1; done"),
        Vec::new(),
    );
    assert_eq!(
        c.run(&mut volumes, &mut host).0,
        ProcessState::Running {
            wake_at: Some(1_000)
        }
    );
    let mut session = c.process.exec_session(&["sh".to_string()]).expect("sh");
    let image = c.process.image();
    let mut out = Output::default();
    session.feed_line("f() { echo \"f $1\"; }");
    session.feed_line("f one; kill 1");
    {
        let mut fs = MountedFs::new(&mut c.root, &mut volumes, &[], Some(image));
        assert_eq!(
            session.run(&mut c.process, &mut fs, &mut host, &mut out),
            tidepool_container::SessionState::Ready
        );
    }
    assert_eq!(out.combined(), "f one\n");
    // The trap runs once the foreground sleep returns.
    host.now = 1_000;
    assert_eq!(
        c.run(&mut volumes, &mut host),
        (ProcessState::Exited { code: 0 }, "got TERM\n".to_string())
    );
}
