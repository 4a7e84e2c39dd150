//! Node maintenance: `cordon`, `uncordon`, `drain` and `taint`, with kubectl v1.32's messages
//! (`node/node01 cordoned`, drain's pod filters and their errors, taint's spec parsing).

use super::{FlagSpec, Flags, KResult, f, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::{Value, json};
use std::time::Duration;
use tidepool_core::{DeleteOptions, Kind, Object};

const CORDON_SPECS: &[FlagSpec] = &[f("selector", Some('l'), true), f("dry-run", None, true)];

const DRAIN_SPECS: &[FlagSpec] = &[
    f("selector", Some('l'), true),
    f("dry-run", None, true),
    f("force", None, false),
    f("ignore-daemonsets", None, false),
    f("delete-emptydir-data", None, false),
    f("delete-local-data", None, false),
    f("disable-eviction", None, false),
    f("grace-period", None, true),
    f("timeout", None, true),
    f("pod-selector", None, true),
    f("skip-wait-for-delete-timeout", None, true),
    f("chunk-size", None, true),
];

const TAINT_SPECS: &[FlagSpec] = &[
    f("selector", Some('l'), true),
    f("all", None, false),
    f("overwrite", None, false),
    f("dry-run", None, true),
    f("output", Some('o'), true),
    f("validate", None, true),
];

fn node_name(name: &str) -> String {
    format!("node/{name}")
}

/// The nodes named on the command line, or selected with `-l`.
fn target_nodes(session: &Session, flags: &Flags, command: &str) -> Result<Vec<Object>, String> {
    let selector = flags.get("selector").unwrap_or("");
    if !selector.is_empty() && !flags.args.is_empty() {
        return Err(format!(
            "error: cannot specify both a node name and a --selector option\nSee 'kubectl {command} -h' for help and examples\n"
        ));
    }
    if flags.args.is_empty() && selector.is_empty() {
        return Err(format!(
            "error: USAGE: {command} NODE [flags]\nSee 'kubectl {command} -h' for help and examples\n"
        ));
    }
    if !selector.is_empty() {
        let sel = super::json::parse_selector(selector)?;
        super::check(session, "list", Kind::Node, "", "")?;
        return Ok(session
            .sim
            .api()
            .list(Kind::Node, None)
            .into_iter()
            .filter(|n| super::json::selector_matches(&sel, &n.to_json()))
            .collect());
    }
    let mut nodes = Vec::new();
    for arg in &flags.args {
        let name = match arg.split_once('/') {
            Some(("node" | "nodes" | "no", name)) => name,
            Some((ty, _)) => {
                return Err(format!(
                    "error: the server doesn't have a resource type \"{ty}\"\n"
                ));
            }
            None => arg.as_str(),
        };
        super::check(session, "get", Kind::Node, "", name)?;
        let node = session
            .sim
            .api()
            .get(Kind::Node, "", name)
            .map_err(|e| super::api_error(&e, None))?;
        nodes.push(node);
    }
    Ok(nodes)
}

fn is_unschedulable(node: &Object) -> bool {
    node.as_node()
        .and_then(|n| n.spec.as_ref())
        .and_then(|s| s.unschedulable)
        == Some(true)
}

/// Sets `spec.unschedulable` on each node, printing what kubectl prints.
fn cordon_nodes(session: &mut Session, nodes: &[Object], desired: bool, res: &mut Res) {
    let verb = if desired { "cordoned" } else { "uncordoned" };
    for node in nodes {
        let name = node.name().to_owned();
        if is_unschedulable(node) == desired {
            res.push_out(format!("{} already {verb}\n", node_name(&name)));
            continue;
        }
        // kubectl's cordon helper patches `spec.unschedulable` (`null` when uncordoning).
        let patch =
            json!({ "spec": { "unschedulable": if desired { json!(true) } else { Value::Null } } });
        match session.sim.api_mut().patch(
            Kind::Node,
            "",
            &name,
            tidepool_core::PatchType::Merge,
            &patch,
        ) {
            Ok(_) => res.push_out(format!("{} {verb}\n", node_name(&name))),
            Err(e) => res.push_err(format!(
                "error: unable to {} node \"{name}\": {}",
                if desired { "cordon" } else { "uncordon" },
                super::api_error(&e, None)
            )),
        }
    }
    session.sim.advance(Duration::ZERO);
}

pub fn cordon(session: &mut Session, command: &str, args: &[String]) -> KResult {
    let flags = parse_flags(args, CORDON_SPECS, command)?;
    let nodes = target_nodes(session, &flags, command)?;
    let mut res = Res::ok();
    cordon_nodes(session, &nodes, command == "cordon", &mut res);
    Ok(res)
}

/// What drain's pod filters decided for one pod.
enum PodVerdict {
    Delete,
    /// Deleted, with a warning line (`deleting Pods that declare no controller`).
    DeleteWarn(&'static str),
    /// Kept, with a warning (`ignoring DaemonSet-managed Pods`).
    KeepWarn(&'static str),
    /// Kept silently (mirror pods).
    Skip,
    /// Blocks the drain.
    Error(&'static str),
}

const DAEMON_SET_FATAL: &str =
    "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)";
const DAEMON_SET_WARNING: &str = "ignoring DaemonSet-managed Pods";
const LOCAL_STORAGE_FATAL: &str =
    "cannot delete Pods with local storage (use --delete-emptydir-data to override)";
const LOCAL_STORAGE_WARNING: &str = "deleting Pods with local storage";
const UNMANAGED_FATAL: &str =
    "cannot delete Pods that declare no controller (use --force to override)";
const UNMANAGED_WARNING: &str = "deleting Pods that declare no controller";

#[derive(Debug, Clone, Copy)]
struct DrainOptions {
    force: bool,
    ignore_daemonsets: bool,
    delete_emptydir: bool,
}

/// kubectl's filters in its order (daemonSet, mirror, localStorage, unreplicated); as in
/// kubectl, a later filter's verdict replaces an earlier warning.
fn pod_verdict(pod: &Value, options: &DrainOptions) -> PodVerdict {
    let phase = pod.pointer("/status/phase").and_then(Value::as_str);
    let finished = matches!(phase, Some("Succeeded" | "Failed"));
    let controller = pod
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        });
    let controller_kind = controller
        .and_then(|c| c.get("kind"))
        .and_then(Value::as_str);
    if controller_kind == Some("DaemonSet") && !finished {
        return if options.ignore_daemonsets {
            PodVerdict::KeepWarn(DAEMON_SET_WARNING)
        } else {
            PodVerdict::Error(DAEMON_SET_FATAL)
        };
    }
    if pod
        .pointer("/metadata/annotations/kubernetes.io~1config.mirror")
        .is_some()
    {
        return PodVerdict::Skip;
    }
    let local_storage = pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .is_some_and(|vs| vs.iter().any(|v| v.get("emptyDir").is_some()));
    if local_storage && !finished && !options.delete_emptydir {
        return PodVerdict::Error(LOCAL_STORAGE_FATAL);
    }
    let _ = LOCAL_STORAGE_WARNING; // kubectl drops this warning (a later filter overwrites it).
    if finished || controller.is_some() {
        return PodVerdict::Delete;
    }
    if options.force {
        PodVerdict::DeleteWarn(UNMANAGED_WARNING)
    } else {
        PodVerdict::Error(UNMANAGED_FATAL)
    }
}

/// `message: ns/a, ns/b` groups in first-seen order (kubectl uses a Go map; we keep it stable).
fn grouped(items: &[(&'static str, String)]) -> Vec<String> {
    let mut order: Vec<&'static str> = Vec::new();
    for (m, _) in items {
        if !order.contains(m) {
            order.push(m);
        }
    }
    order
        .iter()
        .map(|m| {
            let pods: Vec<&str> = items
                .iter()
                .filter(|(x, _)| x == m)
                .map(|(_, p)| p.as_str())
                .collect();
            format!("{m}: {}", pods.join(", "))
        })
        .collect()
}

pub fn drain(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, DRAIN_SPECS, "drain")?;
    let grace: Option<i64> = match flags.get("grace-period") {
        None => None,
        Some(g) => {
            let g: i64 = g.parse().map_err(|_| {
                format!("Error: invalid argument \"{g}\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"{g}\": invalid syntax\nSee 'kubectl drain --help' for usage.\n")
            })?;
            (g >= 0).then_some(g)
        }
    };
    let timeout = match flags.get("timeout") {
        None => None,
        Some(t) => {
            let d = crate::duration::parse_go_duration(t).ok_or_else(|| {
                format!("Error: invalid argument \"{t}\" for \"--timeout\" flag: time: invalid duration \"{t}\"\nSee 'kubectl drain --help' for usage.\n")
            })?;
            (!d.is_zero()).then_some(d)
        }
    };
    let options = DrainOptions {
        force: flags.bool("force"),
        ignore_daemonsets: flags.bool("ignore-daemonsets"),
        delete_emptydir: flags.bool("delete-emptydir-data") || flags.bool("delete-local-data"),
    };
    let dry_run = flags.get("dry-run").is_some_and(|d| d == "client");
    let nodes = target_nodes(session, &flags, "drain")?;
    let mut res = Res::ok();
    if dry_run {
        for node in &nodes {
            let verb = if is_unschedulable(node) {
                "already cordoned"
            } else {
                "cordoned"
            };
            res.push_out(format!("{} {verb} (dry run)\n", node_name(node.name())));
        }
    } else {
        cordon_nodes(session, &nodes, true, &mut res);
    }
    let pod_selector = match flags.get("pod-selector") {
        Some(s) if !s.is_empty() => Some(super::json::parse_selector(s).map_err(|_| {
            "error: --pod-selector=<pod_selector> must be a valid label selector\n".to_owned()
        })?),
        _ => None,
    };
    let job = DrainJob {
        nodes: nodes.iter().map(|n| n.name().to_owned()).collect(),
        index: 0,
        options,
        pod_selector,
        grace,
        timeout,
        disable_eviction: flags.bool("disable-eviction"),
        dry_run,
        // Output into a pipe or a file cannot stream here: such a drain gives up after a
        // while instead, and says so.
        streams: session.tty,
        evictions: None,
    };
    if let Some(job) = job.run(session, &mut res) {
        // A disruption budget refuses an eviction and there is no --timeout: kubectl keeps
        // retrying until the budget allows it or Ctrl-C, so the drain goes on streaming.
        session.drain = Some(job);
        res.effects.push(crate::Effect::Follow);
    }
    Ok(res)
}

/// A `kubectl drain` in progress: the nodes (drained one after another) and the evictions
/// of the current one. It runs in one go unless a disruption budget refuses an eviction
/// while no `--timeout` bounds the retries; then the session keeps it (`Session::drain`)
/// and [`poll_drain`] resumes it as virtual time passes, like a `get -w`, until it ends or
/// Ctrl-C stops it.
#[derive(Debug, Clone)]
pub struct DrainJob {
    nodes: Vec<String>,
    index: usize,
    options: DrainOptions,
    pod_selector: Option<Vec<super::json::Req>>,
    grace: Option<i64>,
    timeout: Option<Duration>,
    disable_eviction: bool,
    dry_run: bool,
    /// Whether it may go on streaming (its output is the terminal).
    streams: bool,
    evictions: Option<Evictions>,
}

/// What a running drain printed since the last poll; the poll that ends it returns its last
/// output and exit status, and the next one `None`.
pub fn poll_drain(session: &mut Session) -> Option<Res> {
    let job = session.drain.take()?;
    let mut res = Res::ok();
    session.drain = job.run(session, &mut res);
    Some(res)
}

impl DrainJob {
    /// Runs the drain as far as it can go now. `Some` when it waits for virtual time to
    /// pass (an unbounded eviction retry); `None` when it ended (`res.code` says how).
    fn run(mut self, session: &mut Session, res: &mut Res) -> Option<Self> {
        loop {
            if let Some(evictions) = &mut self.evictions {
                loop {
                    let limit = match self.timeout {
                        Some(timeout) => Limit::Timeout(timeout),
                        None if self.streams => Limit::None,
                        None => Limit::Playground,
                    };
                    if evictions.step(session, self.grace, limit, res) {
                        break;
                    }
                    if limit == Limit::None && evictions.retrying() {
                        return Some(self);
                    }
                    session.sim.advance(Duration::from_secs(1));
                }
                let evictions = self.evictions.take()?;
                if let Err(error) = evictions.outcome() {
                    self.fail_evictions(session, &evictions.pods, &error, res);
                    return None;
                }
                res.push_out(format!("{} drained\n", node_name(&self.nodes[self.index])));
                self.index += 1;
            }
            if self.index >= self.nodes.len() {
                return None;
            }
            match self.start_node(session, res) {
                Ok(()) => {}
                Err(()) => return None,
            }
        }
    }

    /// The pods of the current node through kubectl's filters: an error stops the drain;
    /// otherwise the node's evictions start (or, dry-run and `--disable-eviction`, finish).
    fn start_node(&mut self, session: &mut Session, res: &mut Res) -> Result<(), ()> {
        let name = self.nodes[self.index].clone();
        let mut pods: Vec<Value> = session
            .sim
            .api()
            .list(Kind::Pod, None)
            .into_iter()
            .filter(|p| {
                p.as_pod()
                    .and_then(|p| p.spec.as_ref())
                    .and_then(|s| s.node_name.as_deref())
                    == Some(name.as_str())
            })
            .filter(|p| {
                self.pod_selector
                    .as_ref()
                    .is_none_or(|s| super::json::selector_matches(s, &p.to_json()))
            })
            .map(|p| p.to_json())
            .collect();
        tidepool_core::stable_sort::sort_by_key(&mut pods, |p| {
            (
                p.pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                p.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            )
        });
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut doomed: Vec<(String, String)> = Vec::new();
        for pod in &pods {
            let ns = pod
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let pod_name = pod
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let id = format!("{ns}/{pod_name}");
            match pod_verdict(pod, &self.options) {
                PodVerdict::Delete => doomed.push((ns, pod_name)),
                PodVerdict::DeleteWarn(w) => {
                    warnings.push((w, id));
                    doomed.push((ns, pod_name));
                }
                PodVerdict::KeepWarn(w) => warnings.push((w, id)),
                PodVerdict::Skip => {}
                PodVerdict::Error(e) => errors.push((e, id)),
            }
        }
        if !errors.is_empty() {
            let messages = grouped(&errors);
            let joined = if messages.len() == 1 {
                messages.join("")
            } else {
                format!("[{}]", messages.join(", "))
            };
            res.push_err(format!(
                "error: unable to drain node \"{name}\" due to error: {joined}, continuing command...\n"
            ));
            self.push_pending_nodes(res);
            for m in messages {
                res.push_err(format!("{m}\n"));
            }
            res.code = 1;
            return Err(());
        }
        if !warnings.is_empty() {
            res.push_err(format!("Warning: {}\n", grouped(&warnings).join("; ")));
        }
        if self.dry_run {
            for (ns, pod) in &doomed {
                res.push_out(format!("evicting pod {ns}/{pod} (dry run)\n"));
            }
            res.push_out(format!("{} drained (dry run)\n", node_name(&name)));
            self.index += 1;
            return Ok(());
        }
        if self.disable_eviction {
            if let Err(text) = delete_and_wait(session, &doomed, self.grace, self.timeout, res) {
                res.push_err(text);
                res.code = 1;
                return Err(());
            }
            res.push_out(format!("{} drained\n", node_name(&name)));
            self.index += 1;
            return Ok(());
        }
        self.evictions = Some(Evictions::new(doomed, session.sim.now().as_millis()));
        Ok(())
    }

    /// deleteOrEvictPodsSimple, then RunDrain's fatal branch, then CheckErr.
    fn fail_evictions(
        &self,
        session: &Session,
        doomed: &[(String, String)],
        error: &str,
        res: &mut Res,
    ) {
        let name = &self.nodes[self.index];
        let pending: Vec<&(String, String)> = doomed
            .iter()
            .filter(|(ns, pod)| session.sim.api().get(Kind::Pod, ns, pod).is_ok())
            .collect();
        if !pending.is_empty() {
            res.push_err(format!(
                "There are pending pods in node \"{name}\" when an error occurred: {error}\n"
            ));
            for (_, pod) in pending {
                res.push_err(format!("pod/{pod}\n"));
            }
        }
        res.push_err(format!(
            "error: unable to drain node \"{name}\" due to error: {error}, continuing command...\n"
        ));
        self.push_pending_nodes(res);
        res.push_err(format!("error: {error}\n"));
        res.code = 1;
    }

    fn push_pending_nodes(&self, res: &mut Res) {
        res.push_err("There are pending nodes to be drained:\n");
        for n in &self.nodes[self.index..] {
            res.push_err(format!(" {n}\n"));
        }
    }
}

/// How long a drain whose output cannot stream keeps retrying evictions a disruption budget
/// refuses, when no `--timeout` was given (real kubectl retries until interrupted).
const UNSTREAMED_EVICTION_RETRIES: Duration = Duration::from_secs(120);

/// What bounds a drain's eviction retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// `--timeout`.
    Timeout(Duration),
    /// Nothing, as in kubectl: the drain streams until the budget allows it or Ctrl-C.
    None,
    /// [`UNSTREAMED_EVICTION_RETRIES`], for output into a pipe or a file.
    Playground,
}

impl Limit {
    fn duration(self) -> Option<Duration> {
        match self {
            Limit::Timeout(d) => Some(d),
            Limit::None => None,
            Limit::Playground => Some(UNSTREAMED_EVICTION_RETRIES),
        }
    }
}

/// Where one pod of `drain`'s eviction loop stands (one goroutine of kubectl's `evictPods`).
#[derive(Debug, Clone)]
enum Eviction {
    /// The next eviction request is due at this offset from the start.
    Due(Duration),
    /// Refused by a disruption budget (429); asked again at this offset from the start.
    Retry(Duration),
    /// Evicted; waiting for the pod with this uid to go.
    Deleting(String),
    /// Gone, or failed (the error is collected).
    Finished,
}

/// kubectl's `evictPods` for one node: each pod's eviction is retried every 5 s while its
/// disruption budget answers 429, until `--timeout` (without one, until it succeeds);
/// evicted pods are then awaited (`pod/x evicted`).
#[derive(Debug, Clone)]
struct Evictions {
    pods: Vec<(String, String)>,
    states: Vec<Eviction>,
    errors: Vec<String>,
    /// Virtual time (ms) the evictions started.
    started_ms: u64,
    /// The playground's note about giving up is printed once.
    noted: bool,
}

impl Evictions {
    fn new(pods: Vec<(String, String)>, started_ms: u64) -> Self {
        let states = pods.iter().map(|_| Eviction::Due(Duration::ZERO)).collect();
        Self {
            pods,
            states,
            errors: Vec::new(),
            started_ms,
            noted: false,
        }
    }

    /// Whether a pod waits to ask again (a budget refused it).
    fn retrying(&self) -> bool {
        self.states.iter().any(|s| matches!(s, Eviction::Retry(_)))
    }

    /// Does what is due at the current virtual time; `true` when every pod is finished.
    fn step(
        &mut self,
        session: &mut Session,
        grace: Option<i64>,
        limit: Limit,
        res: &mut Res,
    ) -> bool {
        const RETRY: Duration = Duration::from_secs(5);
        let options = DeleteOptions {
            grace_period_seconds: grace,
            ..DeleteOptions::default()
        };
        let elapsed = Duration::from_millis(
            session
                .sim
                .now()
                .as_millis()
                .saturating_sub(self.started_ms),
        );
        let timeout = limit.duration();
        let expired = timeout.is_some_and(|limit| elapsed >= limit);
        for ((ns, name), state) in self.pods.iter().zip(self.states.iter_mut()) {
            let (Eviction::Due(at) | Eviction::Retry(at)) = *state else {
                continue;
            };
            if at > elapsed {
                continue;
            }
            res.push_out(format!("evicting pod {ns}/{name}\n"));
            if let Some(after) = timeout.filter(|_| expired) {
                if limit == Limit::Playground && !self.noted {
                    self.noted = true;
                    res.push_err(format!(
                        "(the playground stops retrying after {} when drain's output is not the \
                         terminal: real kubectl keeps retrying until interrupted; pass --timeout \
                         to choose)\n",
                        crate::duration::go_duration(after)
                    ));
                }
                self.errors.push(format!(
                    "error when evicting pods/\"{name}\" -n \"{ns}\": global timeout reached: {}",
                    crate::duration::go_duration(after)
                ));
                *state = Eviction::Finished;
                continue;
            }
            let uid = session
                .sim
                .api()
                .get(Kind::Pod, ns, name)
                .map(|p| p.uid().to_owned())
                .unwrap_or_default();
            match session.sim.api_mut().evict(ns, name, &options) {
                Ok(_) => *state = Eviction::Deleting(uid),
                Err(e) if e.reason == tidepool_core::StatusReason::NotFound => {
                    *state = Eviction::Finished;
                }
                Err(e) if e.reason == tidepool_core::StatusReason::TooManyRequests => {
                    res.push_err(format!(
                        "error when evicting pods/\"{name}\" -n \"{ns}\" (will retry after 5s): {}\n",
                        e.message
                    ));
                    *state = Eviction::Retry(elapsed + RETRY);
                }
                Err(e) => {
                    self.errors.push(format!(
                        "error when evicting pods/\"{name}\" -n \"{ns}\": {}",
                        e.message
                    ));
                    *state = Eviction::Finished;
                }
            }
        }
        session.sim.advance(Duration::ZERO);
        for ((ns, name), state) in self.pods.iter().zip(self.states.iter_mut()) {
            let Eviction::Deleting(uid) = state else {
                continue;
            };
            let gone = !super::still_stored(session, Kind::Pod, ns, name, uid);
            if gone {
                res.push_out(format!("pod/{name} evicted\n"));
                *state = Eviction::Finished;
            } else if expired {
                // waitForDelete polls under the drain's context, which has expired.
                self.errors.push(format!(
                    "error when waiting for pod \"{name}\" in namespace \"{ns}\" to terminate: \
                     context deadline exceeded"
                ));
                *state = Eviction::Finished;
            }
        }
        self.states.iter().all(|s| matches!(s, Eviction::Finished))
    }

    /// The aggregated error (`a` or `[a, b]`), as kubectl's evictPods returns it.
    fn outcome(&self) -> Result<(), String> {
        match self.errors.as_slice() {
            [] => Ok(()),
            [one] => Err(one.clone()),
            many => Err(format!("[{}]", many.join(", "))),
        }
    }
}

/// `--disable-eviction`: deletes the pods (kubectl's `deletePods`), then lets virtual time
/// pass, a second at a time as kubectl polls, until each is gone: `pod/x deleted` in the
/// order they disappear.
fn delete_and_wait(
    session: &mut Session,
    pods: &[(String, String)],
    grace: Option<i64>,
    timeout: Option<Duration>,
    res: &mut Res,
) -> Result<(), String> {
    let mut waiting: Vec<(String, String, String)> = Vec::new();
    for (ns, name) in pods {
        let uid = session
            .sim
            .api()
            .get(Kind::Pod, ns, name)
            .map(|p| p.uid().to_owned())
            .unwrap_or_default();
        let options = DeleteOptions {
            grace_period_seconds: grace,
            ..DeleteOptions::default()
        };
        if let Err(e) = session.sim.api_mut().delete(Kind::Pod, ns, name, &options)
            && e.reason != tidepool_core::StatusReason::NotFound
        {
            return Err(super::api_error(&e, None));
        }
        waiting.push((ns.clone(), name.clone(), uid));
    }
    session.sim.advance(Duration::ZERO);
    // Bounded even with no --timeout: a pod's grace period is at most what the API allows.
    let limit = timeout.unwrap_or(Duration::from_secs(3600));
    let mut waited = Duration::ZERO;
    loop {
        waiting.retain(|(ns, name, uid)| {
            let gone = !super::still_stored(session, Kind::Pod, ns, name, uid);
            if gone {
                res.push_out(format!("pod/{name} deleted\n"));
            }
            !gone
        });
        if waiting.is_empty() {
            return Ok(());
        }
        if waited >= limit {
            let names: Vec<String> = waiting.iter().map(|(_, n, _)| format!("pod/{n}")).collect();
            return Err(format!(
                "error: unable to drain node due to error: global timeout reached: {}, pending pods: {}\n",
                crate::duration::go_duration(limit),
                names.join(", ")
            ));
        }
        // As in `kubectl wait`: a second at a time, coarser as the wait grows.
        let step = Duration::from_secs(1).max(waited / 10);
        session.sim.advance(step);
        waited += step;
    }
}

/// One taint argument: `key[=value]:effect` to add, `key[:effect]-` to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TaintSpec {
    key: String,
    value: String,
    effect: String,
}

impl TaintSpec {
    /// kubectl's `Taint.ToString`.
    fn text(&self) -> String {
        let mut s = self.key.clone();
        if !self.value.is_empty() {
            s.push('=');
            s.push_str(&self.value);
        }
        if !self.effect.is_empty() {
            s.push(':');
            s.push_str(&self.effect);
        }
        s
    }
}

const EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

const NAME_PART_MESSAGE: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

fn name_part_ok(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Qualified-name validation of a taint key (optional DNS prefix, then the name part).
fn key_errors(key: &str) -> Option<String> {
    let name = key.rsplit_once('/').map_or(key, |(_, n)| n);
    if let Some((prefix, _)) = key.rsplit_once('/') {
        let prefix_ok = !prefix.is_empty()
            && prefix.len() <= 253
            && prefix.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !prefix_ok {
            return Some("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_owned());
        }
    }
    if name.is_empty() {
        return Some(format!("name part must be non-empty; {NAME_PART_MESSAGE}"));
    }
    if name.len() > 63 {
        return Some("name part must be no more than 63 characters".to_owned());
    }
    (!name_part_ok(name)).then(|| NAME_PART_MESSAGE.to_owned())
}

fn parse_taint(spec: &str) -> Result<TaintSpec, String> {
    let bad = |why: Option<String>| match why {
        Some(w) => format!(
            "error: invalid taint spec: {spec}, {w}\nSee 'kubectl taint -h' for help and examples\n"
        ),
        None => format!(
            "error: invalid taint spec: {spec}\nSee 'kubectl taint -h' for help and examples\n"
        ),
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let (key_value, effect) = match parts.as_slice() {
        // kubectl's parseTaint: without an effect the whole spec is the key (no `=` split).
        [key] => {
            if let Some(why) = key_errors(key) {
                return Err(bad(Some(why)));
            }
            return Ok(TaintSpec {
                key: (*key).to_owned(),
                value: String::new(),
                effect: String::new(),
            });
        }
        [kv, effect] => {
            if !EFFECTS.contains(effect) {
                return Err(format!(
                    "error: invalid taint effect: {effect}, unsupported taint effect\nSee 'kubectl taint -h' for help and examples\n"
                ));
            }
            (*kv, *effect)
        }
        _ => return Err(bad(None)),
    };
    if key_value.matches('=').count() > 1 {
        return Err(bad(None));
    }
    let (key, value) = key_value.split_once('=').unwrap_or((key_value, ""));
    if let Some(why) = key_errors(key) {
        return Err(bad(Some(why)));
    }
    if !(value.is_empty() || name_part_ok(value)) {
        return Err(bad(Some("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".to_owned())));
    }
    Ok(TaintSpec {
        key: key.to_owned(),
        value: value.to_owned(),
        effect: effect.to_owned(),
    })
}

/// kubectl parses a removal like an addition (`key[=value][:effect]`, all validated), then
/// matches on key and effect only: the value is ignored.
fn parse_removal(spec: &str) -> Result<TaintSpec, String> {
    let parsed = parse_taint(spec)?;
    Ok(TaintSpec {
        value: String::new(),
        ..parsed
    })
}

fn taint_of(v: &Value) -> TaintSpec {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    TaintSpec {
        key: s("key"),
        value: s("value"),
        effect: s("effect"),
    }
}

pub fn taint(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(args, TAINT_SPECS, "taint")?;
    // Resources first (`nodes NAME...` or `node/NAME`), then taint specs.
    let mut resources = Vec::new();
    let mut to_add = Vec::new();
    let mut to_remove = Vec::new();
    for a in &flags.args {
        if let Some(spec) = a.strip_suffix('-') {
            to_remove.push(parse_removal(spec)?);
        } else if a.contains('=') || a.contains(':') {
            let spec = parse_taint(a)?;
            // Adding needs an effect; only a removal may name the key alone.
            if spec.effect.is_empty() {
                return Err(format!(
                    "error: invalid taint spec: {a}\nSee 'kubectl taint -h' for help and examples\n"
                ));
            }
            to_add.push(spec);
        } else {
            resources.push(a.clone());
        }
    }
    for (i, a) in to_add.iter().enumerate() {
        if to_add[..i]
            .iter()
            .any(|b| b.key == a.key && b.effect == a.effect)
        {
            let effect = &a.effect;
            return Err(format!(
                "error: duplicated taints with the same key and effect: {{{} {} {effect} <nil>}}\nSee 'kubectl taint -h' for help and examples\n",
                a.key, a.value
            ));
        }
    }
    let all = flags.bool("all");
    let selector = flags.get("selector").filter(|s| !s.is_empty());
    if resources.is_empty() && !all && selector.is_none() {
        return Err(
            "error: one or more resources must be specified as <resource> <name>\n".to_owned(),
        );
    }
    if to_add.is_empty() && to_remove.is_empty() {
        return Err("error: at least one taint update is required\n".to_owned());
    }
    let names: Vec<String> = {
        let mut iter = resources.iter();
        let mut names = Vec::new();
        if let Some(first) = iter.next() {
            if let Some((ty, name)) = first.split_once('/') {
                if !matches!(ty, "node" | "nodes" | "no") {
                    return Err(format!(
                        "error: the server doesn't have a resource type \"{ty}\"\n"
                    ));
                }
                names.push(name.to_owned());
                for r in iter {
                    names.push(r.split_once('/').map_or(r.as_str(), |(_, n)| n).to_owned());
                }
            } else {
                if !matches!(first.as_str(), "node" | "nodes" | "no") {
                    if super::resolve_type(first).is_some() {
                        return Err(format!(
                            "error: invalid resource type {first}, only node types are supported\n"
                        ));
                    }
                    return Err(format!(
                        "error: the server doesn't have a resource type \"{first}\"\n"
                    ));
                }
                names.extend(iter.cloned());
            }
        }
        names
    };
    let mut nodes: Vec<Object> = Vec::new();
    if all || selector.is_some() {
        let sel = match selector {
            Some(s) => Some(super::json::parse_selector(s)?),
            None => None,
        };
        super::check(session, "list", Kind::Node, "", "")?;
        nodes.extend(
            session
                .sim
                .api()
                .list(Kind::Node, None)
                .into_iter()
                .filter(|n| {
                    sel.as_ref()
                        .is_none_or(|s| super::json::selector_matches(s, &n.to_json()))
                }),
        );
    }
    for name in &names {
        super::check(session, "get", Kind::Node, "", name)?;
        nodes.push(
            session
                .sim
                .api()
                .get(Kind::Node, "", name)
                .map_err(|e| super::api_error(&e, None))?,
        );
    }
    let overwrite = flags.bool("overwrite");
    let now = session.sim.api().now();
    let mut res = Res::ok();
    for node in nodes {
        let name = node.name().to_owned();
        let v = node.to_json();
        let old: Vec<Value> = v
            .pointer("/spec/taints")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !overwrite {
            let existing: Vec<&str> = to_add
                .iter()
                .flat_map(|t| {
                    old.iter()
                        .filter(|o| {
                            let o = taint_of(o);
                            o.key == t.key && o.effect == t.effect
                        })
                        .map(|_| t.key.as_str())
                })
                .collect();
            if !existing.is_empty() {
                return Err(format!(
                    "error: node {name} already has {} taint(s) with same effect(s) and --overwrite is false\n",
                    existing.join(",")
                ));
            }
        }
        // kubectl's reorganizeTaints: the new taints first, then the old ones not replaced.
        let mut new: Vec<Value> = to_add
            .iter()
            .map(|t| {
                let mut taint = json!({ "key": t.key, "effect": t.effect });
                if !t.value.is_empty() {
                    taint["value"] = json!(t.value);
                }
                if t.effect == "NoExecute" {
                    taint["timeAdded"] = serde_json::to_value(tidepool_core::api::timestamp(now))
                        .unwrap_or(Value::Null);
                }
                taint
            })
            .collect();
        for o in &old {
            let ot = taint_of(o);
            if !to_add
                .iter()
                .any(|t| t.key == ot.key && t.effect == ot.effect)
            {
                new.push(o.clone());
            }
        }
        let added = old.len() != new.len();
        let mut removed_any = false;
        for r in &to_remove {
            let len = new.len();
            new.retain(|t| {
                let t = taint_of(t);
                !(t.key == r.key && (r.effect.is_empty() || t.effect == r.effect))
            });
            let removed = new.len() != len;
            if !removed {
                return Err(format!("error: taint \"{}\" not found\n", r.text()));
            }
            removed_any = removed;
        }
        let operation = if (added && removed_any) || overwrite {
            "modified"
        } else if added {
            "tainted"
        } else {
            "untainted"
        };
        let patch =
            json!({ "spec": { "taints": if new.is_empty() { Value::Null } else { json!(new) } } });
        session
            .sim
            .api_mut()
            .patch(
                Kind::Node,
                "",
                &name,
                tidepool_core::PatchType::Merge,
                &patch,
            )
            .map_err(|e| super::api_error(&e, None))?;
        res.push_out(format!("{} {operation}\n", node_name(&name)));
    }
    session.sim.advance(Duration::ZERO);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taint_specs_parse_like_kubectl() {
        assert_eq!(
            parse_taint("dedicated=gpu:NoSchedule").map(|t| t.text()),
            Ok("dedicated=gpu:NoSchedule".to_owned())
        );
        assert_eq!(
            parse_taint("a:NoExecute").map(|t| t.text()),
            Ok("a:NoExecute".to_owned())
        );
        assert!(
            parse_taint("a=b:Bad")
                .err()
                .is_some_and(|e| e.starts_with("error: invalid taint effect: Bad, unsupported"))
        );
        assert!(
            parse_taint("a=b:c:d")
                .err()
                .is_some_and(|e| e.starts_with("error: invalid taint spec: a=b:c:d\n"))
        );
        assert!(
            parse_taint("=b:NoSchedule")
                .err()
                .is_some_and(|e| e.contains("name part must be non-empty"))
        );
        assert_eq!(
            parse_removal("a:NoSchedule").map(|t| t.text()),
            Ok("a:NoSchedule".to_owned())
        );
        // A removal ignores the value; without an effect the whole spec is the key.
        assert_eq!(
            parse_removal("dedicated=batch:PreferNoSchedule").map(|t| t.text()),
            Ok("dedicated:PreferNoSchedule".to_owned())
        );
        assert_eq!(
            parse_removal("dedicated").map(|t| t.text()),
            Ok("dedicated".to_owned())
        );
        assert!(
            parse_removal("a=b")
                .err()
                .is_some_and(|e| e.starts_with("error: invalid taint spec: a=b, name part"))
        );
        assert!(
            parse_taint("a=b=c:NoSchedule")
                .err()
                .is_some_and(|e| e.starts_with("error: invalid taint spec: a=b=c:NoSchedule\n"))
        );
    }
}
