//! The [`Host`] trait: everything a container needs from the world around it.
//!
//! The kubelet implements it per container: the virtual clock, cluster DNS, and the network
//! (HTTP and TCP to pod IPs, Service IPs and localhost, routed to the target container's
//! [`crate::process::Process::serve_http`]). Object-safe; processes receive `&mut dyn Host`.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::fs::MountedFs;
use crate::process::Process;

/// Virtual milliseconds since the simulation started (the same instant as
/// `tidepool_core::VirtualTime`).
pub type Millis = u64;

/// Unix seconds of virtual time 0: 2026-01-01T00:00:00Z (equal to
/// `tidepool_core::api::EPOCH_UNIX_SECONDS`).
pub const EPOCH_UNIX_SECONDS: i64 = 1_767_225_600;

/// An HTTP request one container (or a probe) sends to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// `GET` (only GET and HEAD are modelled).
    pub method: String,
    /// Request path with query (`/`, `/healthz`).
    pub path: String,
    /// The `Host` header (`myservice`, `10.244.1.5:8080`).
    pub host: String,
    /// The `User-Agent` header (`Wget`, `curl/8.5.0`, `kube-probe/1.32`).
    pub user_agent: String,
    /// The client's IP (for access logs).
    pub client_ip: Ipv4Addr,
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, in order (`Content-Type`, `Server`, ...).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// How long the server worked on it, in virtual ms (the client waits that long); 0 for
    /// everything but CPU-bound pages such as the hpa-example's.
    pub service_ms: Millis,
}

impl HttpResponse {
    /// The reason phrase for the status code (`OK`, `Not Found`).
    pub fn reason(&self) -> &'static str {
        match self.status {
            200 => "OK",
            201 => "Created",
            204 => "No Content",
            301 => "Moved Permanently",
            302 => "Found",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Not Allowed",
            500 => "Internal Server Error",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            _ => "Unknown",
        }
    }
}

/// A network failure, with the texts the tools print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum NetError {
    /// Nothing listens on the port (`Connection refused`).
    #[error("Connection refused")]
    Refused,
    /// The address does not answer (no route, node down, no endpoints behind a Service IP):
    /// clients hang until their timeout.
    #[error("Connection timed out")]
    TimedOut,
    /// No route to the host.
    #[error("No route to host")]
    Unreachable,
}

/// What a container can ask of its environment. Implemented by the kubelet (and by test fakes).
pub trait Host {
    /// Current virtual time.
    fn now(&self) -> Millis;

    /// A-record lookup of a fully-qualified name (no search domains: the container applies
    /// resolv.conf's search list itself). Empty = NXDOMAIN. Cluster DNS answers
    /// `<svc>.<ns>.svc.cluster.local` (ClusterIP), `<a-b-c-d>.<ns>.pod.cluster.local`, headless
    /// services' pod IPs; other names are up to the host.
    fn lookup(&mut self, fqdn: &str) -> Vec<Ipv4Addr>;

    /// Whether this caller's DNS queries reach a nameserver at all (a NetworkPolicy may drop
    /// them): when not, `nslookup` times out instead of answering NXDOMAIN.
    fn dns_reachable(&mut self) -> bool {
        true
    }

    /// Reverse lookup (PTR) for busybox 1.28's `Address 1: 10.96.0.10 kube-dns...` lines.
    fn reverse_lookup(&mut self, ip: Ipv4Addr) -> Option<String> {
        let _ = ip;
        None
    }

    /// Sends an HTTP request to `ip:port`. `127.0.0.1` means this pod. The kubelet routes Service
    /// IPs to an endpoint and calls the target container's `serve_http`.
    fn http(
        &mut self,
        ip: Ipv4Addr,
        port: u16,
        request: &HttpRequest,
    ) -> Result<HttpResponse, NetError>;

    /// Opens (and closes) a TCP connection to `ip:port`: `nc -z`, tcpSocket probes.
    fn tcp_connect(&mut self, ip: Ipv4Addr, port: u16) -> Result<(), NetError>;

    /// The calling pod's IP, when the caller is a pod's container: the pod's containers share
    /// one network namespace, so they answer there and on `localhost`.
    fn pod_ip(&self) -> Option<Ipv4Addr> {
        None
    }

    /// Where a connection to `ip:port` lands: a Service IP or NodePort becomes one ready
    /// endpoint (round robin); any other address stays as it is.
    fn route(&mut self, ip: Ipv4Addr, port: u16) -> Result<(Ipv4Addr, u16), NetError> {
        Ok((ip, port))
    }

    /// [`Host::http`] from a process whose container filesystem is `fs`: a request to its own
    /// pod (`localhost`, the pod IP) reaches the pod's other containers, which see the pod's
    /// volumes through `fs`.
    fn http_from(
        &mut self,
        fs: &mut MountedFs<'_>,
        ip: Ipv4Addr,
        port: u16,
        request: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        let _ = fs;
        self.http(ip, port, request)
    }
}

/// The host a command sees beside its container's main process (`kubectl exec`, exec
/// probes): that process is borrowed for the command's run, so it answers `localhost` and the
/// pod IP here; everything else goes to the kubelet's host.
pub(crate) struct BesideMainProcess<'h> {
    pub host: &'h mut dyn Host,
    pub process: &'h mut Process,
}

impl BesideMainProcess<'_> {
    /// Whether `ip:port` (already routed) is the main process's own listening socket.
    fn is_own(&self, ip: Ipv4Addr, port: u16) -> bool {
        (ip.is_loopback() || Some(ip) == self.host.pod_ip()) && self.process.listens_on(port)
    }

    fn routed(&mut self, ip: Ipv4Addr, port: u16) -> Result<(Ipv4Addr, u16), NetError> {
        if ip.is_loopback() {
            Ok((ip, port))
        } else {
            self.host.route(ip, port)
        }
    }
}

impl Host for BesideMainProcess<'_> {
    fn now(&self) -> Millis {
        self.host.now()
    }

    fn lookup(&mut self, fqdn: &str) -> Vec<Ipv4Addr> {
        self.host.lookup(fqdn)
    }

    fn reverse_lookup(&mut self, ip: Ipv4Addr) -> Option<String> {
        self.host.reverse_lookup(ip)
    }

    fn dns_reachable(&mut self) -> bool {
        self.host.dns_reachable()
    }

    fn http(
        &mut self,
        ip: Ipv4Addr,
        port: u16,
        request: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        self.host.http(ip, port, request)
    }

    fn tcp_connect(&mut self, ip: Ipv4Addr, port: u16) -> Result<(), NetError> {
        let (ip, port) = self.routed(ip, port)?;
        if self.is_own(ip, port) {
            return Ok(());
        }
        self.host.tcp_connect(ip, port)
    }

    fn pod_ip(&self) -> Option<Ipv4Addr> {
        self.host.pod_ip()
    }

    fn route(&mut self, ip: Ipv4Addr, port: u16) -> Result<(Ipv4Addr, u16), NetError> {
        self.host.route(ip, port)
    }

    fn http_from(
        &mut self,
        fs: &mut MountedFs<'_>,
        ip: Ipv4Addr,
        port: u16,
        request: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        let (ip, port) = self.routed(ip, port)?;
        if self.is_own(ip, port) {
            let now = self.host.now();
            let mut request = request.clone();
            if ip.is_loopback() {
                request.client_ip = ip;
            }
            return self
                .process
                .serve_beside(fs, now, port, &request)
                .ok_or(NetError::Refused);
        }
        self.host.http_from(fs, ip, port, request)
    }
}

/// A host with no network and a fixed clock; useful for exec in isolation and in tests.
#[derive(Debug, Clone, Default)]
pub struct OfflineHost {
    /// The time it reports.
    pub now: Millis,
}

impl Host for OfflineHost {
    fn now(&self) -> Millis {
        self.now
    }

    fn lookup(&mut self, _fqdn: &str) -> Vec<Ipv4Addr> {
        Vec::new()
    }

    fn http(
        &mut self,
        _ip: Ipv4Addr,
        _port: u16,
        _request: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        Err(NetError::Unreachable)
    }

    fn tcp_connect(&mut self, _ip: Ipv4Addr, _port: u16) -> Result<(), NetError> {
        Err(NetError::Unreachable)
    }
}

/// Civil date-time in UTC of a virtual instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Year.
    pub year: i64,
    /// Month 1..=12.
    pub month: u32,
    /// Day 1..=31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

impl DateTime {
    /// The civil time of a virtual instant.
    pub fn from_millis(now: Millis) -> DateTime {
        let secs = EPOCH_UNIX_SECONDS + (now / 1000) as i64;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        DateTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// busybox/coreutils `date`: `Thu Jan  1 00:00:00 UTC 2026`.
    pub fn date_command(&self) -> String {
        format!(
            "{} {} {:>2} {:02}:{:02}:{:02} UTC {}",
            WEEKDAYS[self.weekday as usize],
            MONTHS[(self.month - 1) as usize],
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.year
        )
    }

    /// nginx's `$time_local`: `01/Jan/2026:00:00:00 +0000`.
    pub fn nginx_log(&self) -> String {
        format!(
            "{:02}/{}/{}:{:02}:{:02}:{:02} +0000",
            self.day,
            MONTHS[(self.month - 1) as usize],
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }

    /// nginx's error-log time: `2026/01/01 00:00:00`.
    pub fn nginx_error_log(&self) -> String {
        format!(
            "{}/{:02}/{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// HTTP `Date` header: `Thu, 01 Jan 2026 00:00:00 GMT`.
    pub fn http_date(&self) -> String {
        format!(
            "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
            WEEKDAYS[self.weekday as usize],
            self.day,
            MONTHS[(self.month - 1) as usize],
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_virtual_time() {
        assert_eq!(
            DateTime::from_millis(0).date_command(),
            "Thu Jan  1 00:00:00 UTC 2026"
        );
        assert_eq!(
            DateTime::from_millis(86_400_000 * 59 + 3_723_000).date_command(),
            "Sun Mar  1 01:02:03 UTC 2026"
        );
        assert_eq!(
            DateTime::from_millis(0).nginx_log(),
            "01/Jan/2026:00:00:00 +0000"
        );
        assert_eq!(
            DateTime::from_millis(0).http_date(),
            "Thu, 01 Jan 2026 00:00:00 GMT"
        );
    }
}
