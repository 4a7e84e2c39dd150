//! `kubectl top pod|node`: usage from the playground's metrics-server.
//!
//! The playground ships metrics-server (real clusters need it installed): it reads the
//! kubelet's usage figures ([`tidepool_core::Simulation::pod_usage`]), so a pod has metrics
//! once a container of it has run for one scrape interval ([`SCRAPE`]); before that kubectl
//! says `error: metrics not available yet`. Nodes always have metrics. Like kubectl, every
//! cell (the last included) ends with a tab, so lines end in padding.

use super::json::{arr, parse_selector, s, selector_matches};
use super::{KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use serde_json::Value;
use tidepool_core::{Kind, Object, VirtualTime};

/// metrics-server's resolution: a container has a usage point one scrape after it started.
const SCRAPE: std::time::Duration = std::time::Duration::from_secs(15);

const MIB: u64 = 1024 * 1024;

/// kubectl's top table: tabwriter (6, 4, 3) with a tab after every cell.
fn top_table(rows: Vec<Vec<String>>) -> String {
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|mut r| {
            r.push(String::new());
            r
        })
        .collect();
    crate::tabwriter::format(&rows, 6, 3)
}

/// Whether metrics-server has scraped the pod yet.
fn scraped(pod: &Value, now: VirtualTime) -> bool {
    arr(pod, "/status/containerStatuses").iter().any(|st| {
        super::json::millis(s(st, "/state/running/startedAt"))
            .is_some_and(|at| at + SCRAPE.as_millis() as i64 <= now.as_millis() as i64)
    })
}

fn sort_key(flags: &super::Flags) -> Result<Option<&str>, String> {
    match flags.get("sort-by") {
        None | Some("") => Ok(None),
        Some(k @ ("cpu" | "memory")) => Ok(Some(k)),
        Some(_) => Err("error: --sort-by accepts only cpu or memory\n".to_owned()),
    }
}

pub fn top(session: &Session, args: &[String]) -> KResult {
    let Some((what, rest)) = args.split_first() else {
        return Ok(Res::out(TOP_HELP));
    };
    match what.as_str() {
        "pod" | "pods" | "po" => top_pod(session, rest),
        "node" | "nodes" | "no" => top_node(session, rest),
        other => Err(format!(
            "error: unknown command \"{other}\"\nSee 'kubectl top -h' for help and examples\n"
        )),
    }
}

const TOP_HELP: &str = "Display resource (CPU/memory) usage.

 The top command allows you to see the resource consumption for nodes or pods.

 This command requires Metrics Server to be correctly configured and working on the server.

Available Commands:
  node          Display resource (CPU/memory) usage of nodes
  pod           Display resource (CPU/memory) usage of pods

Usage:
  kubectl top [flags] [options]

Use \"kubectl top <command> --help\" for more information about a given command.
Use \"kubectl options\" for a list of global command-line options (applies to all commands).
";

/// One pod's metrics row(s): (namespace, pod, container, millicores, bytes).
type Usage = (String, String, String, u64, u64);

fn top_pod(session: &Session, args: &[String]) -> KResult {
    let flags = parse_flags(
        args,
        &[
            f("all-namespaces", Some('A'), false),
            f("containers", None, false),
            f("selector", Some('l'), true),
            f("sort-by", None, true),
            f("no-headers", None, false),
            f("sum", None, false),
        ],
        "top pod",
    )?;
    if flags.args.len() > 1 {
        return Err(
            "error: pod [NAME | -l label]\nSee 'kubectl top pod -h' for help and examples\n"
                .to_owned(),
        );
    }
    let sort = sort_key(&flags)?;
    let all = flags.has("all-namespaces");
    let ns = namespace(session, &flags);
    let now = session.sim.now();
    let reqs = match flags.get("selector") {
        Some(sel) => Some(parse_selector(sel).map_err(|e| format!("error: {e}\n"))?),
        None => None,
    };
    // kubectl asks the metrics API first: a list, or a get of the named pod's metrics.
    let (verb, metrics_name) = match flags.args.first() {
        Some(name) => ("get", name.as_str()),
        None => ("list", ""),
    };
    let metrics_ns = if all && flags.args.is_empty() {
        ""
    } else {
        ns.as_str()
    };
    super::check_resource(
        session,
        verb,
        ("metrics.k8s.io", "pods"),
        metrics_ns,
        metrics_name,
    )?;
    let scope = if all { None } else { Some(ns.as_str()) };
    let mut pods: Vec<Value> = session
        .sim
        .api()
        .store()
        .list(Kind::Pod, scope)
        .map(Object::to_json)
        .filter(|p| reqs.as_ref().is_none_or(|r| selector_matches(r, p)))
        .collect();
    if let Some(name) = flags.args.first() {
        pods.retain(|p| s(p, "/metadata/name") == name);
        let ready = pods.first().is_some_and(|p| scraped(p, now));
        if !ready {
            return Err(format!(
                "Error from server (NotFound): podmetrics.metrics.k8s.io \"{ns}/{name}\" not found\n"
            ));
        }
    }
    let listed = !pods.is_empty();
    tidepool_core::stable_sort::sort_by(&mut pods, |a, b| {
        (s(a, "/metadata/namespace"), s(a, "/metadata/name"))
            .cmp(&(s(b, "/metadata/namespace"), s(b, "/metadata/name")))
    });
    let mut usage: Vec<Vec<Usage>> = Vec::new();
    for p in pods.iter().filter(|p| scraped(p, now)) {
        let pns = s(p, "/metadata/namespace");
        let name = s(p, "/metadata/name");
        let containers = session.sim.pod_usage(pns, name).unwrap_or_default();
        usage.push(
            containers
                .into_iter()
                .map(|(c, cpu, mem)| (pns.to_owned(), name.to_owned(), c, cpu, mem))
                .collect(),
        );
    }
    if usage.is_empty() {
        if listed {
            return Err("error: metrics not available yet\n".to_owned());
        }
        return Ok(Res::err(
            if all {
                "No resources found\n".to_owned()
            } else {
                format!("No resources found in {ns} namespace.\n")
            },
            0,
        ));
    }
    let total = |u: &[Usage]| {
        u.iter()
            .fold((0, 0), |(c, m), (_, _, _, cpu, mem)| (c + cpu, m + mem))
    };
    // kubectl sorts pods by their summed usage, biggest first (stable for ties).
    match sort {
        Some("cpu") => {
            tidepool_core::stable_sort::sort_by_key(&mut usage, |u| std::cmp::Reverse(total(u).0));
        }
        Some(_) => {
            tidepool_core::stable_sort::sort_by_key(&mut usage, |u| std::cmp::Reverse(total(u).1));
        }
        None => {}
    }
    let containers = flags.has("containers");
    let mut rows: Vec<Vec<String>> = Vec::new();
    if !flags.has("no-headers") {
        let mut header: Vec<String> = Vec::new();
        if all {
            header.push("NAMESPACE".into());
        }
        if containers {
            header.push("POD".into());
        }
        header.extend(["NAME", "CPU(cores)", "MEMORY(bytes)"].map(String::from));
        rows.push(header);
    }
    let mut sum = (0, 0);
    for pod in &usage {
        let (cpu, mem) = total(pod);
        sum = (sum.0 + cpu, sum.1 + mem);
        let lines: Vec<(String, String, u64, u64)> = if containers {
            pod.iter()
                .map(|(_, p, c, cpu, mem)| (p.clone(), c.clone(), *cpu, *mem))
                .collect()
        } else {
            pod.first()
                .map(|(_, p, _, _, _)| vec![(String::new(), p.clone(), cpu, mem)])
                .unwrap_or_default()
        };
        for (p, name, cpu, mem) in lines {
            let mut row = Vec::new();
            if all {
                row.push(pod.first().map(|u| u.0.clone()).unwrap_or_default());
            }
            if containers {
                row.push(p);
            }
            row.extend([name, format!("{cpu}m"), format!("{}Mi", mem / MIB)]);
            rows.push(row);
        }
    }
    if flags.has("sum") {
        let lead = usize::from(all) + usize::from(containers);
        let mut dashes: Vec<String> = vec![String::new(); lead + 1];
        dashes.extend(["________".into(), "________".into()]);
        rows.push(dashes);
        let mut totals: Vec<String> = vec![String::new(); lead + 1];
        totals.extend([format!("{}m", sum.0), format!("{}Mi", sum.1 / MIB)]);
        rows.push(totals);
    }
    Ok(Res::out(top_table(rows)))
}

fn top_node(session: &Session, args: &[String]) -> KResult {
    let flags = parse_flags(
        args,
        &[
            f("selector", Some('l'), true),
            f("sort-by", None, true),
            f("no-headers", None, false),
            f("show-capacity", None, false),
        ],
        "top node",
    )?;
    if flags.args.len() > 1 {
        return Err(
            "error: node [NAME | -l label]\nSee 'kubectl top node -h' for help and examples\n"
                .to_owned(),
        );
    }
    let sort = sort_key(&flags)?;
    let reqs = match flags.get("selector") {
        Some(sel) => Some(parse_selector(sel).map_err(|e| format!("error: {e}\n"))?),
        None => None,
    };
    // The node metrics first, then the nodes themselves (for their capacity).
    let (verb, name) = match flags.args.first() {
        Some(name) => ("get", name.as_str()),
        None => ("list", ""),
    };
    super::check_resource(session, verb, ("metrics.k8s.io", "nodes"), "", name)?;
    super::check(session, verb, Kind::Node, "", name)?;
    let mut nodes: Vec<Value> = session
        .sim
        .api()
        .store()
        .list(Kind::Node, None)
        .map(Object::to_json)
        .filter(|n| reqs.as_ref().is_none_or(|r| selector_matches(r, n)))
        .collect();
    if let Some(name) = flags.args.first() {
        nodes.retain(|n| s(n, "/metadata/name") == name);
        if nodes.is_empty() {
            return Err(format!(
                "Error from server (NotFound): nodes \"{name}\" not found\n"
            ));
        }
    }
    if nodes.is_empty() {
        return Ok(Res::err("No resources found\n", 0));
    }
    tidepool_core::stable_sort::sort_by(&mut nodes, |a, b| {
        s(a, "/metadata/name").cmp(s(b, "/metadata/name"))
    });
    let basis = if flags.has("show-capacity") {
        "capacity"
    } else {
        "allocatable"
    };
    let mut usage: Vec<(String, u64, u64, u64, u64)> = nodes
        .iter()
        .map(|n| {
            let name = s(n, "/metadata/name").to_owned();
            let (cpu, mem) = session.sim.node_usage(&name);
            let amount = |res: &str| {
                tidepool_core::quantity::parse(s(n, &format!("/status/{basis}/{res}")))
                    .map_or(0, |a| u64::try_from(a.milli).unwrap_or(0))
            };
            // Memory quantities are whole bytes: milli / 1000.
            (name, cpu, mem, amount("cpu"), amount("memory") / 1000)
        })
        .collect();
    match sort {
        Some("cpu") => {
            tidepool_core::stable_sort::sort_by_key(&mut usage, |u| std::cmp::Reverse(u.1));
        }
        Some(_) => tidepool_core::stable_sort::sort_by_key(&mut usage, |u| std::cmp::Reverse(u.2)),
        None => {}
    }
    let percent = |used: u64, of: u64| {
        if of == 0 {
            0
        } else {
            // kubectl truncates: int64(float64(used) / float64(available) * 100).
            (used as f64 / of as f64 * 100.0) as u64
        }
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    if !flags.has("no-headers") {
        rows.push(
            ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
                .map(String::from)
                .to_vec(),
        );
    }
    for (name, cpu, mem, cpu_of, mem_of) in usage {
        rows.push(vec![
            name,
            format!("{cpu}m"),
            format!("{}%", percent(cpu, cpu_of)),
            format!("{}Mi", mem / MIB),
            format!("{}%", percent(mem, mem_of)),
        ]);
    }
    Ok(Res::out(top_table(rows)))
}
