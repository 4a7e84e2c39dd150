//! `curl` and `wget` in the node shells (the control plane, `ssh node01`): HTTP to ClusterIPs,
//! NodePorts (`<node-ip>:<nodePort>`) and pod IPs through the kubelet's routing
//! ([`tidepool_core::Simulation::http_from_node`]). Node shells do not use cluster DNS, so
//! names do not resolve (`curl: (6) Could not resolve host: web`), as on a kubeadm node.
//! A connection to an address nothing answers lets virtual time pass: curl's
//! `--connect-timeout`/`-m`, wget's `-T`, else Linux's ~134 s of SYN retries.

use crate::Session;
use crate::exec::Res;
use std::net::Ipv4Addr;
use std::time::Duration;
use tidepool_container::{HttpRequest, HttpResponse, NetError};

const CURL_AGENT: &str = "curl/8.5.0";
const WGET_AGENT: &str = "Wget/1.21.4";
/// How long Linux retries a SYN before `connect()` gives up (tcp_syn_retries = 6).
const SYN_TIMEOUT_MS: u64 = 134_000;

struct Url {
    host: String,
    port: u16,
    path: String,
}

/// `http://host[:port][/path]`; a bare `host[:port]/path` means http. `Err` is the scheme for
/// curl's "Protocol not supported" error.
fn parse_url(text: &str) -> Result<Url, String> {
    let rest = match text.split_once("://") {
        Some(("http", rest)) => rest,
        Some((scheme, _)) => return Err(scheme.to_owned()),
        None => text,
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().unwrap_or(0)),
        None => (authority, 80),
    };
    Ok(Url {
        host: host.to_owned(),
        port,
        path,
    })
}

/// A node's InternalIP.
pub(crate) fn host_ip(session: &Session, host: &str) -> Option<Ipv4Addr> {
    session
        .sim
        .api()
        .get_ref(tidepool_core::Kind::Node, "", host)
        .ok()
        .and_then(|n| {
            n.to_json()
                .pointer("/status/addresses")?
                .as_array()?
                .iter()
                .find(|a| a.pointer("/type").and_then(|t| t.as_str()) == Some("InternalIP"))?
                .pointer("/address")?
                .as_str()?
                .parse()
                .ok()
        })
}

/// The shell's node IP (the client address of its requests).
fn node_ip(session: &Session) -> Ipv4Addr {
    host_ip(session, &session.host).unwrap_or(Ipv4Addr::LOCALHOST)
}

fn is_node_ip(session: &Session, ip: Ipv4Addr) -> bool {
    session
        .sim
        .api()
        .store()
        .list(tidepool_core::Kind::Node, None)
        .any(|n| {
            n.to_json()
                .pointer("/status/addresses")
                .and_then(|a| a.as_array())
                .is_some_and(|a| {
                    a.iter().any(|a| {
                        a.pointer("/address").and_then(|x| x.as_str()) == Some(&ip.to_string())
                    })
                })
        })
}

/// Why a request got no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SendError {
    Net(NetError),
    /// A `kubectl port-forward` accepted the connection but the pod refused it: the forward
    /// closes it without a byte (curl's `(52) Empty reply from server`).
    EmptyReply,
}

impl From<NetError> for SendError {
    fn from(e: NetError) -> Self {
        SendError::Net(e)
    }
}

/// A `kubectl port-forward` listening on `address:port` for this shell: a background job of
/// this terminal, or a forward (foreground or job) running in another terminal. Returns the
/// pod's IP and the remote port, after printing kubectl's `Handling connection for PORT` in
/// the terminal that runs the forward.
fn forwarded(session: &mut Session, address: &str, port: u16) -> Option<Forwarded> {
    let own = session.jobs.forwards().map(|(pid, f)| (None, pid, f));
    let found = own
        .chain(
            session
                .other_terminals_forwards()
                .map(|(id, pid, f)| (Some(id), pid, f)),
        )
        .find_map(|(owner, pid, f)| {
            let host_ip = host_ip(session, &f.host);
            let (local, remote) = f.accepts(&session.host, address, port, host_ip)?;
            Some(Forwarded {
                pod_ip: f.pod_ip(session).unwrap_or(Ipv4Addr::UNSPECIFIED),
                local,
                remote,
                pid,
                owner,
            })
        })?;
    session.print_in(
        found.owner,
        format!("Handling connection for {}\n", found.local),
    );
    Some(found)
}

/// Where a forward sends a connection.
struct Forwarded {
    pod_ip: Ipv4Addr,
    local: u16,
    remote: u16,
    /// The kubectl process (klog writes its pid).
    pid: u32,
    /// The terminal running the forward, when it is not this one.
    owner: Option<crate::TerminalId>,
}

/// Sends the request; a node IP with no NodePort there refuses (nothing listens), as does
/// localhost on the node unless a `kubectl port-forward` job listens there. `address` is the
/// address connected to as text (`::1` for wget's first try at localhost).
fn send(
    session: &mut Session,
    address: &str,
    port: u16,
    request: &HttpRequest,
) -> Result<HttpResponse, SendError> {
    if let Some(to) = forwarded(session, address, port) {
        // The kubelet connects to the port inside the pod's network namespace.
        let inside = HttpRequest {
            client_ip: Ipv4Addr::LOCALHOST,
            ..request.clone()
        };
        return match session.sim.http_from_node(to.pod_ip, to.remote, &inside) {
            Ok(r) => Ok(r),
            Err(_) => {
                let error = forward_error(session, &to);
                session.print_in(to.owner, error);
                Err(SendError::EmptyReply)
            }
        };
    }
    let Ok(ip) = address.parse::<Ipv4Addr>() else {
        return Err(NetError::Refused.into());
    };
    if ip.is_loopback() {
        return Err(NetError::Refused.into());
    }
    match session.sim.http_from_node(ip, port, request) {
        Err(NetError::Unreachable) if is_node_ip(session, ip) => Err(NetError::Refused.into()),
        // Nothing in the cluster has that address: the SYN goes unanswered.
        Err(NetError::Unreachable) => Err(NetError::TimedOut.into()),
        other => other.map_err(SendError::from),
    }
}

/// The line klog prints when a forwarded connection finds nothing listening in the pod.
fn forward_error(session: &Session, to: &Forwarded) -> String {
    let now = session.sim.now();
    let t = tidepool_core::api::timestamp(now).0;
    let (local, remote) = (to.local, to.remote);
    format!(
        "E{} {}.{:03}000 {:>7} portforward.go:424] \"Unhandled Error\" err=\"an error occurred forwarding {local} -> {remote}: error forwarding port {remote} to pod: failed to connect to localhost:{remote} inside the pod's network namespace: connect: connection refused\"\n",
        t.format("%m%d"),
        t.format("%H:%M:%S"),
        now.as_millis() % 1000,
        to.pid
    )
}

fn status_line(r: &HttpResponse) -> String {
    format!("HTTP/1.1 {} {}", r.status, r.reason())
}

fn header_block(r: &HttpResponse, prefix: &str) -> String {
    let mut out = format!("{prefix}{}\r\n", status_line(r));
    for (k, v) in &r.headers {
        out.push_str(&format!("{prefix}{k}: {v}\r\n"));
    }
    out.push_str(prefix);
    out.push_str("\r\n");
    out
}

fn timeout_arg(value: Option<&String>) -> Option<u64> {
    value
        .and_then(|v| v.parse::<f64>().ok())
        .map(|s| (s * 1000.0) as u64)
}

pub fn curl(session: &mut Session, args: &[String]) -> Res {
    let mut silent = false;
    let mut show_error = false;
    let mut head = false;
    let mut include = false;
    let mut verbose = false;
    let mut fail = false;
    let mut output: Option<String> = None;
    let mut timeout_ms: Option<u64> = None;
    let mut url: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let mut value = || {
            i += 1;
            args.get(i).cloned()
        };
        match a {
            "-s" | "--silent" => silent = true,
            "-S" | "--show-error" => show_error = true,
            "-I" | "--head" => head = true,
            "-i" | "--include" => include = true,
            "-v" | "--verbose" => verbose = true,
            "-f" | "--fail" => fail = true,
            "-L" | "--location" | "-k" | "--insecure" => {}
            "-o" | "--output" => output = value(),
            "-m" | "--max-time" | "--connect-timeout" => timeout_ms = timeout_arg(value().as_ref()),
            s if s.starts_with('-') && s.len() > 2 && !s.starts_with("--") => {
                // Combined short flags: -sS, -sI, -sv.
                for c in s[1..].chars() {
                    match c {
                        's' => silent = true,
                        'S' => show_error = true,
                        'I' => head = true,
                        'i' => include = true,
                        'v' => verbose = true,
                        'f' => fail = true,
                        'L' | 'k' => {}
                        _ => {
                            return Res::err(
                                format!(
                                    "curl: option {s}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n"
                                ),
                                2,
                            );
                        }
                    }
                }
            }
            s if s.starts_with('-') => {
                return Res::err(
                    format!(
                        "curl: option {s}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n"
                    ),
                    2,
                );
            }
            _ => url = Some(a.to_owned()),
        }
        i += 1;
    }
    let quiet_errors = silent && !show_error;
    let fail_with = |code: i32, text: String| {
        if quiet_errors {
            Res::err(String::new(), code)
        } else {
            Res::err(format!("curl: ({code}) {text}\n"), code)
        }
    };
    let Some(url) = url else {
        return Res::err(
            "curl: try 'curl --help' or 'curl --manual' for more information\n",
            2,
        );
    };
    let parsed = match parse_url(&url) {
        Ok(u) => u,
        Err(scheme) => {
            return fail_with(
                1,
                format!("Protocol \"{scheme}\" not supported or disabled in libcurl"),
            );
        }
    };
    let ip: Ipv4Addr = if parsed.host == "localhost" {
        Ipv4Addr::LOCALHOST
    } else {
        match parsed.host.parse() {
            Ok(ip) => ip,
            Err(_) => return fail_with(6, format!("Could not resolve host: {}", parsed.host)),
        }
    };
    let address = ip.to_string();
    if parsed.port == 0 {
        return fail_with(
            3,
            "URL rejected: Port number was not a decimal number between 0 and 65535".to_owned(),
        );
    }
    let host_header = if parsed.port == 80 {
        parsed.host.clone()
    } else {
        format!("{}:{}", parsed.host, parsed.port)
    };
    let request = HttpRequest {
        method: if head { "HEAD" } else { "GET" }.to_owned(),
        path: parsed.path.clone(),
        host: host_header.clone(),
        user_agent: CURL_AGENT.to_owned(),
        client_ip: node_ip(session),
    };
    let mut res = Res::ok();
    if verbose {
        res.push_err(format!("*   Trying {ip}:{}...\n", parsed.port));
    }
    let response = match send(session, &address, parsed.port, &request) {
        Ok(r) => r,
        Err(SendError::EmptyReply) => {
            let mut r = fail_with(52, "Empty reply from server".to_owned());
            r.chunks.splice(0..0, res.chunks);
            return r;
        }
        Err(SendError::Net(NetError::Refused)) => {
            let mut r = fail_with(
                7,
                format!(
                    "Failed to connect to {} port {} after 0 ms: Couldn't connect to server",
                    parsed.host, parsed.port
                ),
            );
            r.chunks.splice(0..0, res.chunks);
            return r;
        }
        Err(SendError::Net(NetError::TimedOut | NetError::Unreachable)) => {
            let waited = timeout_ms.unwrap_or(SYN_TIMEOUT_MS);
            session.sim.advance(Duration::from_millis(waited));
            let mut r = if timeout_ms.is_some() {
                fail_with(
                    28,
                    format!(
                        "Failed to connect to {} port {} after {waited} ms: Timeout was reached",
                        parsed.host, parsed.port
                    ),
                )
            } else {
                fail_with(
                    28,
                    format!(
                        "Failed to connect to {} port {} after {waited} ms: Couldn't connect to server",
                        parsed.host, parsed.port
                    ),
                )
            };
            r.chunks.splice(0..0, res.chunks);
            return r;
        }
    };
    if verbose {
        res.push_err(format!(
            "* Connected to {} ({ip}) port {}\n> {} {} HTTP/1.1\n> Host: {host_header}\n> User-Agent: {CURL_AGENT}\n> Accept: */*\n> \n",
            parsed.host, parsed.port, request.method, parsed.path
        ));
        res.push_err(header_block(&response, "< ").replace("\r\n", "\n"));
    }
    if fail && response.status >= 400 {
        let mut r = fail_with(
            22,
            format!("The requested URL returned error: {}", response.status),
        );
        r.chunks.splice(0..0, res.chunks);
        return r;
    }
    let mut body = String::new();
    if head || include {
        body.push_str(&header_block(&response, ""));
    }
    if !head {
        body.push_str(&response.body);
    }
    match output.as_deref() {
        None | Some("-") => res.push_out(body),
        Some(path) => {
            let path = crate::vfs::resolve(&session.cwd, path);
            if let Err(e) = session.vfs.write(&path, &body, false) {
                let mut r = fail_with(23, format!("Failure writing output to destination: {e}"));
                r.chunks.splice(0..0, res.chunks);
                return r;
            }
        }
    }
    if verbose {
        res.push_err(format!(
            "* Connection #0 to host {} left intact\n",
            parsed.host
        ));
    }
    res
}

pub fn wget(session: &mut Session, args: &[String]) -> Res {
    let mut quiet = false;
    let mut output: Option<String> = None;
    let mut timeout_ms: Option<u64> = None;
    let mut url: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if let Some(v) = a.strip_prefix("--output-document=") {
            output = Some(v.to_owned());
        } else if let Some(v) = a.strip_prefix("--timeout=") {
            timeout_ms = timeout_arg(Some(&v.to_owned()));
        } else if a == "-q" || a == "--quiet" {
            quiet = true;
        } else if a == "-O" {
            i += 1;
            output = args.get(i).cloned();
        } else if a == "-T" {
            i += 1;
            timeout_ms = timeout_arg(args.get(i));
        } else if a.starts_with('-') && !a.starts_with("--") && a.len() > 1 {
            // -qO- and -qO FILE.
            let flags = &a[1..];
            if let Some(pos) = flags.find('O') {
                let (before, after) = flags.split_at(pos);
                if before.chars().all(|c| c == 'q') {
                    quiet |= !before.is_empty();
                    let attached = &after[1..];
                    output = if attached.is_empty() {
                        i += 1;
                        args.get(i).cloned()
                    } else {
                        Some(attached.to_owned())
                    };
                } else {
                    return wget_unknown(a);
                }
            } else if flags.chars().all(|c| c == 'q') {
                quiet = true;
            } else {
                return wget_unknown(a);
            }
        } else if a.starts_with('-') {
            return wget_unknown(a);
        } else {
            url = Some(a.to_owned());
        }
        i += 1;
    }
    let Some(url) = url else {
        return Res::err(
            "wget: missing URL\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n",
            1,
        );
    };
    let parsed = match parse_url(&url) {
        Ok(u) => u,
        Err(scheme) => {
            return Res::err(format!("{url}: Unsupported scheme ‘{scheme}’.\n"), 1);
        }
    };
    let shown_url = format!(
        "http://{}{}{}",
        parsed.host,
        if parsed.port == 80 {
            String::new()
        } else {
            format!(":{}", parsed.port)
        },
        parsed.path
    );
    let mut res = Res::ok();
    if !quiet {
        res.push_err(format!("--{}--  {shown_url}\n", stamp(session)));
    }
    // localhost resolves to ::1 first, then 127.0.0.1 (glibc's order on Debian).
    let tries: Vec<String> = if parsed.host == "localhost" {
        if !quiet {
            res.push_err("Resolving localhost (localhost)... ::1, 127.0.0.1\n");
        }
        vec!["::1".to_owned(), "127.0.0.1".to_owned()]
    } else if let Ok(ip) = parsed.host.parse::<Ipv4Addr>() {
        vec![ip.to_string()]
    } else {
        if !quiet {
            res.push_err(format!(
                "Resolving {} ({})... failed: Name or service not known.\nwget: unable to resolve host address ‘{}’\n",
                parsed.host, parsed.host, parsed.host
            ));
        }
        res.code = 4;
        return res;
    };
    let request = HttpRequest {
        method: "GET".to_owned(),
        path: parsed.path.clone(),
        host: if parsed.port == 80 {
            parsed.host.clone()
        } else {
            format!("{}:{}", parsed.host, parsed.port)
        },
        user_agent: WGET_AGENT.to_owned(),
        client_ip: node_ip(session),
    };
    let mut response = None;
    for address in &tries {
        if !quiet {
            if parsed.host == "localhost" {
                res.push_err(format!(
                    "Connecting to localhost (localhost)|{address}|:{}... ",
                    parsed.port
                ));
            } else {
                res.push_err(format!("Connecting to {address}:{}... ", parsed.port));
            }
        }
        match send(session, address, parsed.port, &request) {
            Ok(r) => {
                response = Some(r);
                break;
            }
            Err(SendError::EmptyReply) => {
                if !quiet {
                    res.push_err(
                        "connected.\nHTTP request sent, awaiting response... No data received.\n",
                    );
                }
                res.code = 4;
                return res;
            }
            Err(SendError::Net(e)) => {
                if matches!(e, NetError::TimedOut | NetError::Unreachable) {
                    // wget's default read timeout is 900 s; the SYN gives up first.
                    let waited = timeout_ms.unwrap_or(SYN_TIMEOUT_MS);
                    session.sim.advance(Duration::from_millis(waited));
                }
                if !quiet {
                    let why = match e {
                        NetError::Refused => "Connection refused.",
                        _ => "Connection timed out.",
                    };
                    res.push_err(format!("failed: {why}\n"));
                }
            }
        }
    }
    let Some(response) = response else {
        res.code = 4;
        return res;
    };
    if !quiet {
        res.push_err(format!(
            "connected.\nHTTP request sent, awaiting response... {} {}\n",
            response.status,
            response.reason()
        ));
    }
    if response.status >= 400 {
        if !quiet {
            res.push_err(format!(
                "{} ERROR {}: {}.\n\n",
                stamp(session),
                response.status,
                response.reason()
            ));
        }
        res.code = 8;
        return res;
    }
    let file = output.unwrap_or_else(|| {
        let name = parsed
            .path
            .split('?')
            .next()
            .and_then(|p| p.rsplit('/').next())
            .unwrap_or("");
        let name = if name.is_empty() { "index.html" } else { name };
        // wget never overwrites a file it names itself: index.html.1, index.html.2, ...
        let taken = |n: &str| session.read_file(n).is_some();
        if !taken(name) {
            return name.to_owned();
        }
        (1..)
            .map(|i| format!("{name}.{i}"))
            .find(|n| !taken(n))
            .unwrap_or_default()
    });
    let len = response.body.len();
    let kind = response
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| "text/plain".to_owned());
    let shown = if file == "-" { "STDOUT" } else { file.as_str() };
    if !quiet {
        res.push_err(format!("Length: {len} [{kind}]\nSaving to: ‘{shown}’\n\n"));
    }
    if file == "-" {
        res.push_out(response.body);
    } else {
        let path = crate::vfs::resolve(&session.cwd, &file);
        if let Err(e) = session.vfs.write(&path, &response.body, false) {
            res.push_err(format!("{file}: {e}\n"));
            res.code = 3;
            return res;
        }
    }
    if !quiet {
        // wget's progress bar and transfer speed are left out (the speed is wall-clock).
        let what = if file == "-" {
            "written to stdout".to_owned()
        } else {
            format!("‘{file}’ saved")
        };
        res.push_err(format!("{} - {what} [{len}/{len}]\n\n", stamp(session)));
    }
    res
}

/// wget's `2026-01-01 00:01:00` log stamp (virtual time).
fn stamp(session: &Session) -> String {
    tidepool_core::api::timestamp(session.sim.now())
        .0
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn wget_unknown(flag: &str) -> Res {
    Res::err(
        format!(
            "wget: invalid option -- '{}'\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n",
            flag.trim_start_matches('-')
        ),
        2,
    )
}
