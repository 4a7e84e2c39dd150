//! Server images: what nginx, httpd, redis, the bootcamp app, agnhost, postgres, mysql, stress,
//! pause and the control-plane components do as PID 1: start-up logs like the real images,
//! signal handling, memory use, and HTTP answers (nginx serves /usr/share/nginx/html with its
//! real welcome and 404 pages and writes the combined access-log line to stdout).

use serde::{Deserialize, Serialize};

use crate::fs::{FsError, MountedFs};
use crate::host::{DateTime, HttpRequest, HttpResponse, Millis};
use crate::image::{Behaviour, Image};
use crate::process::{CPU_SLICE_MS, Output, ProcessState, Signal, Stream};

/// nginx's default welcome page (615 bytes).
pub const NGINX_WELCOME: &str = "<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href=\"http://nginx.org/\">nginx.org</a>.<br/>
Commercial support is available at
<a href=\"http://nginx.com/\">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
";

/// nginx's 50x.html.
pub const NGINX_50X: &str = "<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
";

/// httpd's default page.
pub const HTTPD_INDEX: &str = "<html><body><h1>It works!</h1></body></html>\n";

/// Files an image ships that processes read (seeded into each container's root).
pub fn image_files(image: Image) -> Vec<(&'static str, String)> {
    match image.repository().behaviour {
        Behaviour::Nginx => vec![
            (
                "/usr/share/nginx/html/index.html",
                NGINX_WELCOME.to_string(),
            ),
            ("/usr/share/nginx/html/50x.html", NGINX_50X.to_string()),
            ("/etc/nginx/nginx.conf", NGINX_CONF.to_string()),
            (
                "/etc/nginx/conf.d/default.conf",
                NGINX_DEFAULT_CONF.to_string(),
            ),
        ],
        Behaviour::Httpd if is_hpa_example(image) => {
            vec![("/var/www/html/index.php", HPA_EXAMPLE_INDEX.to_string())]
        }
        Behaviour::Httpd => vec![(
            "/usr/local/apache2/htdocs/index.html",
            HTTPD_INDEX.to_string(),
        )],
        Behaviour::Bootcamp => vec![(
            "/server.js",
            BOOTCAMP_SERVER_JS.replace("{v}", image.version()),
        )],
        _ => Vec::new(),
    }
}

const NGINX_CONF: &str = "
user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] \"$request\" '
                      '$status $body_bytes_sent \"$http_referer\" '
                      '\"$http_user_agent\" \"$http_x_forwarded_for\"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
";

const NGINX_DEFAULT_CONF: &str = "server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
";

const BOOTCAMP_SERVER_JS: &str = "var http = require('http');
var requests=0;
var podname= process.env.HOSTNAME;
var startTime;
var host;
var handleRequest = function(request, response) {
  response.setHeader('Content-Type', 'text/plain');
  response.writeHead(200);
  response.write(\"Hello Kubernetes bootcamp! | Running on: \");
  response.write(host);
  response.end(\" | v={v}\\n\");
  console.log(\"Running On:\" ,host, \"| Total Requests:\", ++requests,\"| App Uptime:\", (new Date() - startTime)/1000 , \"seconds\", \"| Log Time:\",new Date());
}
var www = http.createServer(handleRequest);
www.listen(8080,function () {
    startTime = new Date();;
    host = process.env.HOSTNAME;
    console.log (\"Kubernetes Bootcamp App Started At:\",startTime, \"| Running On: \" ,host, \"\\n\" );
});
";

/// Lifecycle of a server process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Phase {
    /// Not yet run: the first `run` prints the start-up logs.
    Starting,
    /// Serving.
    Serving,
    /// Exited with a code (config error, graceful stop).
    Exited(i32),
}

/// What an `agnhost` invocation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum AgnhostMode {
    Netexec { http_port: u16 },
    ServeHostname { port: u16 },
    Liveness,
    Pause,
}

/// A server image's main process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerProc {
    phase: Phase,
    started_at: Option<Millis>,
    requests: u64,
    /// Bytes `stress --vm-bytes` (times `--vm`) allocates.
    stress_bytes: u64,
    /// `stress --timeout N` in ms.
    stress_timeout: Option<Millis>,
    /// Whether a required setting is missing (postgres/mysql passwords): exit 1 at start.
    config_error: bool,
    /// A program this model does not interpret (`python3 app.py`): exit 1 with a note.
    unsupported: Option<String>,
    agnhost: Option<AgnhostMode>,
    /// `python3 -m http.server [port]`.
    python_http_port: Option<u16>,
    stop_requested: Option<Signal>,
    /// `stress --help`: print the usage and exit 0.
    help_only: bool,
    /// Requests per metrics window, so the CPU it reports follows the load it serves.
    #[serde(default)]
    load: RequestLoad,
}

/// The length of a load window: metrics-server's resolution, so `kubectl top` and the
/// autoscaler see the CPU of the last complete window.
pub const LOAD_WINDOW_MS: Millis = 15_000;

/// Requests served in the current load window and in the one before it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct RequestLoad {
    window: u64,
    count: u64,
    previous: u64,
}

impl RequestLoad {
    fn record(&mut self, now: Millis) {
        let window = now / LOAD_WINDOW_MS;
        if window != self.window {
            self.previous = if window == self.window + 1 {
                self.count
            } else {
                0
            };
            self.window = window;
            self.count = 0;
        }
        self.count += 1;
    }

    /// Requests of the last complete window before `now`.
    fn last_complete(&self, now: Millis) -> u64 {
        let window = now / LOAD_WINDOW_MS;
        if window == self.window {
            self.previous
        } else if window == self.window + 1 {
            self.count
        } else {
            0
        }
    }
}

/// Whether the image is the HorizontalPodAutoscaler walkthrough's php-apache.
fn is_hpa_example(image: Image) -> bool {
    image.repository().name == "registry.k8s.io/hpa-example"
}

/// CPU time one request costs the server, in ms of one core (0: negligible). The hpa-example's
/// page runs a million square roots: about 100 ms of CPU in PHP 5.
pub fn request_cpu_ms(image: Image) -> Millis {
    if is_hpa_example(image) { 100 } else { 0 }
}

/// hpa-example's `index.php`.
pub const HPA_EXAMPLE_INDEX: &str = "<?php\n  $x = 0.0001;\n  for ($i = 0; $i <= 1000000; $i++) {\n    $x += sqrt($x);\n  }\n  echo \"OK!\";\n?>\n";

fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = digits.parse().ok()?;
    let factor = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" => 1024,
        "M" => 1024 * 1024,
        "G" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(factor)
}

fn env_set(env: &[(String, String)], key: &str) -> bool {
    env.iter().any(|(k, v)| k == key && !v.is_empty())
}

impl ServerProc {
    /// A server process for `argv` (argv[0] is one of the image's programs).
    pub fn new(image: Image, argv: &[String], env: &[(String, String)]) -> ServerProc {
        let mut server = ServerProc {
            phase: Phase::Starting,
            started_at: None,
            requests: 0,
            stress_bytes: 0,
            stress_timeout: None,
            config_error: false,
            unsupported: None,
            agnhost: None,
            python_http_port: None,
            stop_requested: None,
            help_only: false,
            load: RequestLoad::default(),
        };
        let args: Vec<&str> = argv.iter().skip(1).map(String::as_str).collect();
        match image.repository().behaviour {
            Behaviour::Stress => {
                let mut workers = 0u64;
                let mut bytes = 256 * 1024 * 1024;
                let mut iter = args.iter();
                while let Some(arg) = iter.next() {
                    match *arg {
                        "--vm" | "-m" => {
                            workers = iter.next().and_then(|v| v.parse().ok()).unwrap_or(1);
                        }
                        "--vm-bytes" => {
                            bytes = iter.next().and_then(|v| parse_bytes(v)).unwrap_or(bytes);
                        }
                        "--timeout" | "-t" => {
                            server.stress_timeout = iter
                                .next()
                                .and_then(|v| parse_bytes(v.trim_end_matches('s')))
                                .map(|s| s * 1000);
                        }
                        _ => {}
                    }
                }
                server.stress_bytes = workers.saturating_mul(bytes);
                if args.contains(&"--help") || args.contains(&"-?") {
                    server.help_only = true;
                } else if args.is_empty() {
                    server.unsupported = Some(STRESS_USAGE.to_string());
                }
            }
            Behaviour::Postgres => {
                server.config_error = !env_set(env, "POSTGRES_PASSWORD")
                    && !env
                        .iter()
                        .any(|(k, v)| k == "POSTGRES_HOST_AUTH_METHOD" && v == "trust");
            }
            Behaviour::Mysql => {
                server.config_error = ![
                    "MYSQL_ROOT_PASSWORD",
                    "MYSQL_ALLOW_EMPTY_PASSWORD",
                    "MYSQL_RANDOM_ROOT_PASSWORD",
                ]
                .iter()
                .any(|k| env_set(env, k));
            }
            Behaviour::Agnhost => {
                let port_flag = |name: &str, default: u16| {
                    args.iter()
                        .find_map(|a| {
                            a.strip_prefix(name)
                                .and_then(|v| v.strip_prefix('='))
                                .and_then(|v| v.parse().ok())
                        })
                        .unwrap_or(default)
                };
                server.agnhost = Some(match args.first().copied() {
                    Some("netexec") => AgnhostMode::Netexec {
                        http_port: port_flag("--http-port", 8080),
                    },
                    Some("serve-hostname") => AgnhostMode::ServeHostname {
                        port: port_flag("--port", 9376),
                    },
                    Some("liveness") => AgnhostMode::Liveness,
                    Some("pause") | None => AgnhostMode::Pause,
                    Some(other) => {
                        server.unsupported = Some(format!(
                            "Error: unknown command \"{other}\" for \"agnhost\"\nRun 'agnhost --help' for usage.\n"
                        ));
                        AgnhostMode::Pause
                    }
                });
            }
            Behaviour::Repl => {
                let program = argv[0].rsplit('/').next().unwrap_or("");
                match args.as_slice() {
                    [] => {}
                    ["-m", "http.server", rest @ ..] if program.starts_with("python") => {
                        server.python_http_port =
                            Some(rest.first().and_then(|p| p.parse().ok()).unwrap_or(8000));
                    }
                    _ => {
                        server.unsupported = Some(format!(
                            "tidepool: {program} programs are not simulated (only an empty REPL and `python3 -m http.server`)\n"
                        ));
                    }
                }
            }
            _ => {}
        }
        server
    }

    /// Records a signal; handled on the next run.
    pub fn deliver(&mut self, signal: Signal) {
        self.stop_requested = Some(signal);
    }

    fn handles(image: Image, signal: Signal) -> bool {
        match image.repository().behaviour {
            // node as PID 1 installs no handlers; stress neither: both wait for SIGKILL.
            Behaviour::Bootcamp | Behaviour::Stress => false,
            Behaviour::Repl => false,
            _ => matches!(
                signal,
                Signal::Term | Signal::Int | Signal::Quit | Signal::Winch
            ),
        }
    }

    /// Runs: prints start-up logs, handles stop signals, ends `stress --timeout`.
    pub fn run(
        &mut self,
        image: Image,
        hostname: &str,
        now: Millis,
        out: &mut Output,
    ) -> ProcessState {
        if self.phase == Phase::Starting {
            self.started_at = Some(now);
            self.phase = self.start_logs(image, hostname, now, out);
        }
        if let (Phase::Serving, Some(signal)) = (self.phase, self.stop_requested.take())
            && Self::handles(image, signal)
        {
            self.stop_logs(image, signal, now, out);
            self.phase = Phase::Exited(0);
        }
        match self.phase {
            Phase::Exited(code) => ProcessState::Exited { code },
            _ => {
                if let (Some(timeout), Some(start)) = (self.stress_timeout, self.started_at) {
                    if now >= start + timeout {
                        out.push(
                            Stream::Stdout,
                            &format!(
                                "stress: info: [1] successful run completed in {}s\n",
                                timeout / 1000
                            ),
                        );
                        self.phase = Phase::Exited(0);
                        return ProcessState::Exited { code: 0 };
                    }
                    return ProcessState::Running {
                        wake_at: Some(start + timeout),
                    };
                }
                ProcessState::Running { wake_at: None }
            }
        }
    }

    fn start_logs(&mut self, image: Image, hostname: &str, now: Millis, out: &mut Output) -> Phase {
        let t = DateTime::from_millis(now);
        let version = image.version();
        if self.help_only {
            out.push(Stream::Stdout, STRESS_USAGE);
            return Phase::Exited(0);
        }
        if let Some(text) = &self.unsupported {
            out.push(Stream::Stderr, text);
            return Phase::Exited(1);
        }
        match image.repository().behaviour {
            Behaviour::Nginx => {
                if !version_before(version, 1, 19) {
                    out.push(Stream::Stdout, NGINX_ENTRYPOINT_LOG);
                }
                let stamp = t.nginx_error_log();
                let gcc = if version_before(version, 1, 19) {
                    "8.3.0 (Debian 8.3.0-6)"
                } else {
                    "12.2.0 (Debian 12.2.0-14)"
                };
                out.push(
                    Stream::Stderr,
                    &format!(
                        "{stamp} [notice] 1#1: using the \"epoll\" event method\n{stamp} [notice] 1#1: nginx/{version}\n{stamp} [notice] 1#1: built by gcc {gcc} \n{stamp} [notice] 1#1: OS: Linux 6.8.0-tidepool\n{stamp} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576\n{stamp} [notice] 1#1: start worker processes\n{stamp} [notice] 1#1: start worker process 29\n{stamp} [notice] 1#1: start worker process 30\n"
                    ),
                );
            }
            Behaviour::Httpd if is_hpa_example(image) => {
                let stamp = apache_time(&t);
                out.push(
                    Stream::Stderr,
                    &format!(
                        "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using {hostname}. Set the 'ServerName' directive globally to suppress this message\nAH00558: apache2: Could not reliably determine the server's fully qualified domain name, using {hostname}. Set the 'ServerName' directive globally to suppress this message\n[{stamp}] [mpm_prefork:notice] [pid 1] AH00163: Apache/{version} (Debian) PHP/5.6.40 configured -- resuming normal operations\n[{stamp}] [core:notice] [pid 1] AH00094: Command line: 'apache2 -D FOREGROUND'\n"
                    ),
                );
            }
            Behaviour::Httpd => {
                let stamp = apache_time(&t);
                out.push(
                    Stream::Stderr,
                    &format!(
                        "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using {hostname}. Set the 'ServerName' directive globally to suppress this message\nAH00558: httpd: Could not reliably determine the server's fully qualified domain name, using {hostname}. Set the 'ServerName' directive globally to suppress this message\n[{stamp}] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/{version} (Unix) configured -- resuming normal operations\n[{stamp}] [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'\n"
                    ),
                );
            }
            Behaviour::Redis => {
                let stamp = format!(
                    "{:02} {} {} {:02}:{:02}:{:02}.000",
                    t.day,
                    month_name(t.month),
                    t.year,
                    t.hour,
                    t.minute,
                    t.second
                );
                out.push(
                    Stream::Stdout,
                    &format!(
                        "1:C {stamp} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo\n1:C {stamp} * Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, just started\n1:C {stamp} # Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf\n1:M {stamp} * monotonic clock: POSIX clock_gettime\n1:M {stamp} * Running mode=standalone, port=6379.\n1:M {stamp} * Server initialized\n1:M {stamp} * Ready to accept connections tcp\n"
                    ),
                );
            }
            Behaviour::Postgres => {
                if self.config_error {
                    out.push(Stream::Stderr, POSTGRES_NO_PASSWORD);
                    return Phase::Exited(1);
                }
                let stamp = format!(
                    "{}-{:02}-{:02} {:02}:{:02}:{:02}.000 UTC",
                    t.year, t.month, t.day, t.hour, t.minute, t.second
                );
                out.push(
                    Stream::Stdout,
                    &format!(
                        "\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n{stamp} [1] LOG:  starting PostgreSQL {version} on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit\n{stamp} [1] LOG:  listening on IPv4 address \"0.0.0.0\", port 5432\n{stamp} [1] LOG:  listening on IPv6 address \"::\", port 5432\n{stamp} [1] LOG:  listening on Unix socket \"/var/run/postgresql/.s.PGSQL.5432\"\n{stamp} [1] LOG:  database system is ready to accept connections\n"
                    ),
                );
            }
            Behaviour::Mysql => {
                let stamp = format!(
                    "{}-{:02}-{:02} {:02}:{:02}:{:02}+00:00",
                    t.year, t.month, t.day, t.hour, t.minute, t.second
                );
                let started = format!(
                    "{stamp} [Note] [Entrypoint]: Entrypoint script for MySQL Server {version}-1.el9 started.\n"
                );
                if self.config_error {
                    out.push(
                        Stream::Stdout,
                        &format!("{started}{stamp} [Note] [Entrypoint]: Switching to dedicated user 'mysql'\n{started}"),
                    );
                    out.push(
                        Stream::Stderr,
                        &format!(
                            "{stamp} [ERROR] [Entrypoint]: Database is uninitialized and password option is not specified\n    You need to specify one of the following as an environment variable:\n    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n    - MYSQL_RANDOM_ROOT_PASSWORD\n"
                        ),
                    );
                    return Phase::Exited(1);
                }
                out.push(
                    Stream::Stdout,
                    &format!("{started}{stamp} [Note] [Entrypoint]: Switching to dedicated user 'mysql'\n{started}"),
                );
                out.push(
                    Stream::Stderr,
                    &format!("{stamp} 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '{version}'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.\n"),
                );
            }
            Behaviour::Bootcamp => {
                out.push(
                    Stream::Stdout,
                    &format!(
                        "Kubernetes Bootcamp App Started At: {} | Running On:  {hostname} \n\n",
                        iso_time(now)
                    ),
                );
            }
            Behaviour::Stress => {
                out.push(
                    Stream::Stdout,
                    "stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n",
                );
            }
            Behaviour::Memcached | Behaviour::Pause | Behaviour::Component | Behaviour::Shell => {}
            Behaviour::Agnhost => {
                if let Some(AgnhostMode::Netexec { http_port }) = self.agnhost {
                    out.push(Stream::Stderr, &format!("I0101 00:00:00.000000       1 log.go:245] Started HTTP server on port {http_port}\nI0101 00:00:00.000000       1 log.go:245] Started UDP server on port  8081\n"));
                }
            }
            Behaviour::Repl => {
                if let Some(port) = self.python_http_port {
                    out.push(
                        Stream::Stderr,
                        &format!(
                            "Serving HTTP on 0.0.0.0 port {port} (http://0.0.0.0:{port}/) ...\n"
                        ),
                    );
                } else {
                    // No TTY: the REPL reads EOF and exits 0.
                    return Phase::Exited(0);
                }
            }
        }
        Phase::Serving
    }

    fn stop_logs(&self, image: Image, signal: Signal, now: Millis, out: &mut Output) {
        let t = DateTime::from_millis(now);
        match image.repository().behaviour {
            Behaviour::Nginx => {
                let stamp = t.nginx_error_log();
                let (what, how) = match signal {
                    Signal::Quit => ("SIGQUIT", "gracefully shutting down"),
                    _ => (
                        if signal == Signal::Int {
                            "SIGINT"
                        } else {
                            "SIGTERM"
                        },
                        "exiting",
                    ),
                };
                out.push(
                    Stream::Stderr,
                    &format!(
                        "{stamp} [notice] 1#1: signal {} ({what}) received, {}\n{stamp} [notice] 29#29: {how}\n{stamp} [notice] 29#29: exiting\n{stamp} [notice] 29#29: exit\n{stamp} [notice] 1#1: signal 17 (SIGCHLD) received from 29\n{stamp} [notice] 1#1: worker process 29 exited with code 0\n{stamp} [notice] 1#1: exit\n",
                        signal.number(),
                        if signal == Signal::Quit { "shutting down" } else { "exiting" },
                    ),
                );
            }
            Behaviour::Redis => {
                let stamp = format!(
                    "{:02} {} {} {:02}:{:02}:{:02}.000",
                    t.day,
                    month_name(t.month),
                    t.year,
                    t.hour,
                    t.minute,
                    t.second
                );
                out.push(
                    Stream::Stdout,
                    &format!("1:signal-handler ({}) Received SIGTERM scheduling shutdown...\n1:M {stamp} * User requested shutdown...\n1:M {stamp} # Redis is now ready to exit, bye bye...\n", now / 1000),
                );
            }
            Behaviour::Pause => out.push(Stream::Stderr, "Shutting down, got signal: Terminated\n"),
            _ => {}
        }
    }

    /// Whether the server listens on `port` (after start-up).
    pub fn listens_on(&self, image: Image, port: u16) -> bool {
        if self.phase != Phase::Serving {
            return false;
        }
        match (self.agnhost, self.python_http_port) {
            (Some(AgnhostMode::Netexec { http_port }), _) => port == http_port || port == 8081,
            (Some(AgnhostMode::ServeHostname { port: p }), _) => port == p,
            (Some(AgnhostMode::Liveness), _) => port == 8080,
            (Some(AgnhostMode::Pause), _) => false,
            (None, Some(p)) => port == p,
            _ => {
                image.repository().behaviour != Behaviour::Stress
                    && image.repository().ports.contains(&port)
            }
        }
    }

    /// Answers an HTTP request (see [`crate::process::Process::serve_http`]).
    #[allow(clippy::too_many_arguments)]
    pub fn serve_http(
        &mut self,
        image: Image,
        hostname: &str,
        fs: &MountedFs<'_>,
        now: Millis,
        port: u16,
        request: &HttpRequest,
        out: &mut Output,
    ) -> Option<HttpResponse> {
        self.requests += 1;
        self.load.record(now);
        let t = DateTime::from_millis(now);
        let path = request.path.split('?').next().unwrap_or("/");
        let text = |status: u16, body: String| HttpResponse {
            status,
            headers: vec![(
                "Content-Type".to_string(),
                "text/plain; charset=utf-8".to_string(),
            )],
            body,
            service_ms: 0,
        };
        let response = match image.repository().behaviour {
            Behaviour::Nginx => {
                let response = nginx_response(image, fs, path, &t);
                if response.status == 404 {
                    out.push(
                        Stream::Stderr,
                        &format!(
                            "{} [error] 29#29: *{} open() \"/usr/share/nginx/html{path}\" failed (2: No such file or directory), client: {}, server: localhost, request: \"{} {} HTTP/1.1\", host: \"{}\"\n",
                            t.nginx_error_log(),
                            self.requests,
                            request.client_ip,
                            request.method,
                            request.path,
                            request.host
                        ),
                    );
                }
                out.push(
                    Stream::Stdout,
                    &format!(
                        "{} - - [{}] \"{} {} HTTP/1.1\" {} {} \"-\" \"{}\" \"-\"\n",
                        request.client_ip,
                        t.nginx_log(),
                        request.method,
                        request.path,
                        response.status,
                        response.body.len(),
                        request.user_agent
                    ),
                );
                response
            }
            Behaviour::Httpd if is_hpa_example(image) => {
                let file = if path == "/" { "/index.php" } else { path };
                let response = match fs.read(&format!("/var/www/html{file}")) {
                    Ok(_) if file.ends_with(".php") => HttpResponse {
                        status: 200,
                        headers: vec![("Content-Type".into(), "text/html; charset=UTF-8".into())],
                        body: "OK!".to_owned(),
                        service_ms: 0,
                    },
                    Ok(body) => HttpResponse {
                        status: 200,
                        headers: vec![("Content-Type".into(), "text/html".into())],
                        body: body.to_string(),
                        service_ms: 0,
                    },
                    Err(_) => HttpResponse {
                        status: 404,
                        headers: vec![(
                            "Content-Type".into(),
                            "text/html; charset=iso-8859-1".into(),
                        )],
                        body: format!(
                            "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL {path} was not found on this server.</p>\n<hr>\n<address>Apache/2.4.10 (Debian) Server at {} Port {port}</address>\n</body></html>\n",
                            request.host
                        ),
                        service_ms: 0,
                    },
                };
                out.push(
                    Stream::Stdout,
                    &format!(
                        "{} - - [{}] \"{} {} HTTP/1.1\" {} {} \"-\" \"{}\"\n",
                        request.client_ip,
                        t.nginx_log(),
                        request.method,
                        request.path,
                        response.status,
                        response.body.len(),
                        request.user_agent
                    ),
                );
                response
            }
            Behaviour::Httpd => {
                let response = match fs.read(&format!("/usr/local/apache2/htdocs{}", if path == "/" { "/index.html" } else { path })) {
                    Ok(body) => HttpResponse { status: 200, headers: vec![("Content-Type".into(), "text/html".into())], body: body.to_string(), service_ms: 0 },
                    Err(_) => HttpResponse {
                        status: 404,
                        headers: vec![("Content-Type".into(), "text/html; charset=iso-8859-1".into())],
                        body: "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n".to_string(),
                        service_ms: 0,
                    },
                };
                out.push(
                    Stream::Stdout,
                    &format!(
                        "{} - - [{}] \"{} {} HTTP/1.1\" {} {}\n",
                        request.client_ip,
                        t.nginx_log(),
                        request.method,
                        request.path,
                        response.status,
                        response.body.len()
                    ),
                );
                response
            }
            Behaviour::Bootcamp => {
                let uptime = now.saturating_sub(self.started_at.unwrap_or(now));
                out.push(
                    Stream::Stdout,
                    &format!(
                        "Running On: {hostname} | Total Requests: {} | App Uptime: {} seconds | Log Time: {}\n",
                        self.requests,
                        js_number(uptime),
                        iso_time(now)
                    ),
                );
                text(
                    200,
                    format!(
                        "Hello Kubernetes bootcamp! | Running on: {hostname} | v={}\n",
                        image.version()
                    ),
                )
            }
            Behaviour::Agnhost => match self.agnhost {
                Some(AgnhostMode::ServeHostname { .. }) => text(200, hostname.to_string()),
                Some(AgnhostMode::Liveness) => {
                    let up = now.saturating_sub(self.started_at.unwrap_or(now));
                    if up < 10_000 {
                        text(200, "ok".into())
                    } else {
                        text(500, format!("error: {}", up / 1000))
                    }
                }
                _ => match path {
                    "/hostname" => text(200, hostname.to_string()),
                    "/healthz" => text(200, String::new()),
                    "/clientip" => text(200, format!("{}:54321", request.client_ip)),
                    "/echo" => text(200, query_param(&request.path, "msg").unwrap_or_default()),
                    _ => text(200, format!("NOW: {}", go_time(now))),
                },
            },
            Behaviour::Repl if self.python_http_port == Some(port) => {
                out.push(
                    Stream::Stderr,
                    &format!(
                        "{} - - [{:02}/{}/{} {:02}:{:02}:{:02}] \"{} {} HTTP/1.1\" 200 -\n",
                        request.client_ip,
                        t.day,
                        month_name(t.month),
                        t.year,
                        t.hour,
                        t.minute,
                        t.second,
                        request.method,
                        request.path
                    ),
                );
                HttpResponse {
                    status: 200,
                    headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
                    body: python_listing(fs, path),
                    service_ms: 0,
                }
            }
            Behaviour::Component => text(200, "ok".into()),
            // Non-HTTP servers (redis, memcached, databases) close the connection: the client
            // sees an empty reply.
            _ => return None,
        };
        Some(response)
    }

    /// Resident memory estimate.
    pub fn memory_bytes(&self, image: Image) -> u64 {
        const MIB: u64 = 1024 * 1024;
        match image.repository().behaviour {
            Behaviour::Stress => self.stress_bytes + 256 * 1024,
            Behaviour::Nginx => 3 * MIB,
            Behaviour::Httpd => 8 * MIB,
            Behaviour::Redis => 3 * MIB,
            Behaviour::Memcached => 2 * MIB,
            Behaviour::Postgres => 26 * MIB,
            Behaviour::Mysql => 420 * MIB,
            Behaviour::Bootcamp => 12 * MIB,
            Behaviour::Agnhost => 10 * MIB,
            Behaviour::Pause => 256 * 1024,
            Behaviour::Repl => 9 * MIB,
            Behaviour::Shell => MIB,
            Behaviour::Component => match image.repository().name.rsplit('/').next() {
                Some("kube-apiserver") => 250 * MIB,
                Some("etcd") => 42 * MIB,
                Some("kube-controller-manager") => 48 * MIB,
                Some("kube-scheduler") => 20 * MIB,
                Some("coredns") => 14 * MIB,
                _ => 16 * MIB,
            },
        }
    }

    /// CPU estimate in millicores at `now`: the requests of the last complete load window at
    /// the image's cost per request come on top of the idle figure.
    pub fn cpu_millicores(&self, image: Image, now: Millis) -> u64 {
        if self.stress_bytes > 0 {
            1000
        } else {
            let busy_ms = self.load.last_complete(now) * request_cpu_ms(image);
            1 + self.requests.min(10) / 10 + busy_ms * 1000 / LOAD_WINDOW_MS
        }
    }
}

/// Unused by servers that never wake on their own; kept for stress timeouts.
#[allow(dead_code)]
const SERVER_IDLE_SLICE: Millis = CPU_SLICE_MS;

fn version_before(version: &str, major: u32, minor: u32) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (ma, mi) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (ma, mi) < (major, minor)
}

fn month_name(month: u32) -> &'static str {
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month.clamp(1, 12) - 1) as usize]
}

fn apache_time(t: &DateTime) -> String {
    let weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][t.weekday as usize];
    format!(
        "{weekday} {} {:02} {:02}:{:02}:{:02}.000000 {}",
        month_name(t.month),
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.year
    )
}

/// JavaScript's `Date.toISOString()`: `2026-01-01T00:00:00.000Z`.
pub fn iso_time(now: Millis) -> String {
    let t = DateTime::from_millis(now);
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        now % 1000
    )
}

fn go_time(now: Millis) -> String {
    let t = DateTime::from_millis(now);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}000000 +0000 UTC",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        now % 1000
    )
}

/// A millisecond count as JavaScript prints `ms / 1000`.
fn js_number(ms: Millis) -> String {
    let whole = ms / 1000;
    let frac = ms % 1000;
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{frac:03}")
            .trim_end_matches('0')
            .to_string()
    }
}

fn query_param(path: &str, key: &str) -> Option<String> {
    let query = path.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        pair.strip_prefix(key)
            .and_then(|v| v.strip_prefix('='))
            .map(str::to_string)
    })
}

fn nginx_response(image: Image, fs: &MountedFs<'_>, path: &str, t: &DateTime) -> HttpResponse {
    let version = image.version();
    let html = |status: u16, body: String| HttpResponse {
        status,
        headers: vec![
            ("Server".to_string(), format!("nginx/{version}")),
            ("Date".to_string(), t.http_date()),
            ("Content-Type".to_string(), "text/html".to_string()),
        ],
        body,
        service_ms: 0,
    };
    let root = "/usr/share/nginx/html";
    let file = if path.ends_with('/') {
        format!("{root}{path}index.html")
    } else {
        format!("{root}{path}")
    };
    match fs.read(&file) {
        Ok(body) => html(200, body.to_string()),
        Err(FsError::IsDir) => {
            let mut response = html(
                301,
                format!(
                    "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
                ),
            );
            response
                .headers
                .push(("Location".to_string(), format!("{path}/")));
            response
        }
        Err(_) => html(
            404,
            format!(
                "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
            ),
        ),
    }
}

fn python_listing(fs: &MountedFs<'_>, path: &str) -> String {
    let entries = fs.list(path).unwrap_or_default();
    let mut body = format!(
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Directory listing for {path}</title>\n</head>\n<body>\n<h1>Directory listing for {path}</h1>\n<hr>\n<ul>\n"
    );
    for (name, kind) in entries {
        let suffix = if kind == crate::fs::FileKind::Dir {
            "/"
        } else {
            ""
        };
        body.push_str(&format!(
            "<li><a href=\"{name}{suffix}\">{name}{suffix}</a></li>\n"
        ));
    }
    body.push_str("</ul>\n<hr>\n</body>\n</html>\n");
    body
}

const NGINX_ENTRYPOINT_LOG: &str = "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration
/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/
/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh
10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf
10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf
/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh
/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh
/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh
/docker-entrypoint.sh: Configuration complete; ready for start up
";

const POSTGRES_NO_PASSWORD: &str =
    "Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, \"-e POSTGRES_PASSWORD=password\" on \"docker run\".

       You may also use \"POSTGRES_HOST_AUTH_METHOD=trust\" to allow all
       connections without a password. This is *not* recommended.

       See PostgreSQL documentation about \"trust\":
       https://www.postgresql.org/docs/current/auth-trust.html
";

const STRESS_USAGE: &str = "`stress' imposes certain types of compute stress on your system

Usage: stress [OPTION [ARG]] ...
 -?, --help         show this help statement
     --version      show version statement
 -v, --verbose      be verbose
 -q, --quiet        be quiet
 -n, --dry-run      show what would have been done
 -t, --timeout N    timeout after N seconds
     --backoff N    wait factor of N microseconds before work starts
 -c, --cpu N        spawn N workers spinning on sqrt()
 -i, --io N         spawn N workers spinning on sync()
 -m, --vm N         spawn N workers spinning on malloc()/free()
     --vm-bytes B   malloc B bytes per vm worker (default is 256MB)
     --vm-stride B  touch a byte every B bytes (default is 4096)
     --vm-hang N    sleep N secs before free (default none, 0 is inf)
     --vm-keep      redirty memory instead of freeing and reallocating
 -d, --hdd N        spawn N workers spinning on write()/unlink()
     --hdd-bytes B  write B bytes per hdd worker (default is 1GB)

Example: stress --cpu 8 --io 4 --vm 2 --vm-bytes 128M --timeout 10s

Note: Numbers may be suffixed with s,m,h,d,y (time) or B,K,M,G (size).
";
