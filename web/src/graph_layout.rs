//! Where the cluster graph draws things: a pure function from the cluster view (and the
//! namespace filter) to boxes, chips and edges in SVG user units. Kept apart from the
//! component so native tests can check it.
//!
//! Layout, top to bottom: Services, Deployments, ReplicaSets (each a row of boxes that wraps),
//! then the nodes two to a row, each with its CPU and memory request bars and its pods as
//! chips; pods not yet bound to a node get a box of their own at the end.
//!
//! At most [`VISIBLE_CHIPS`] pods are drawn as chips, shared fairly between the boxes; each
//! box sums up the rest in one group chip (counts by STATUS), so the SVG stays small enough
//! to redraw smoothly however many pods there are.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use tidepool_worker::protocol::{
    ClusterView, NodeView, ObjectKind, ObjectRef, PodView, WorkloadKind,
};

/// The SVG's width in user units (it scales to the pane).
pub const WIDTH: f64 = 600.0;
const MARGIN: f64 = 12.0;
const GAP: f64 = 12.0;
const BOX_W: f64 = 184.0;
const BOX_H: f64 = 40.0;
const NODE_HEADER: f64 = 70.0;
const NODE_PAD: f64 = 10.0;
/// Full chips (name + status) while a node holds at most this many pods; compact ones above.
pub const FULL_CHIPS_UP_TO: usize = 24;
/// Chips drawn in all, shared between the boxes; the rest are summed up in group chips.
pub const VISIBLE_CHIPS: usize = 500;
pub const FULL_CHIP: (f64, f64) = (128.0, 36.0);
pub const COMPACT_CHIP: (f64, f64) = (18.0, 18.0);
const CHIP_GAP: f64 = 6.0;

/// How a STATUS string looks: colour class and glyph. Text always accompanies the colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StatusClass {
    Running,
    Pending,
    Creating,
    CrashLoop,
    Completed,
    Terminating,
    Error,
    Other,
}

impl StatusClass {
    pub fn of(status: &str) -> Self {
        match status {
            "Running" => StatusClass::Running,
            "Pending" | "SchedulingGated" => StatusClass::Pending,
            "ContainerCreating" | "PodInitializing" | "NotReady" => StatusClass::Creating,
            "CrashLoopBackOff" | "Init:CrashLoopBackOff" => StatusClass::CrashLoop,
            "Completed" | "Succeeded" => StatusClass::Completed,
            "Terminating" => StatusClass::Terminating,
            s if s.starts_with("Init:") && s[5..].split('/').count() == 2 => StatusClass::Creating,
            "Error"
            | "Failed"
            | "OOMKilled"
            | "ErrImagePull"
            | "ImagePullBackOff"
            | "InvalidImageName"
            | "CreateContainerConfigError"
            | "CreateContainerError"
            | "RunContainerError"
            | "ContainerStatusUnknown"
            | "Evicted" => StatusClass::Error,
            s if s.starts_with("ExitCode:")
                || s.starts_with("Signal:")
                || s.starts_with("Init:") =>
            {
                StatusClass::Error
            }
            _ => StatusClass::Other,
        }
    }

    /// The CSS class suffix (`tp-st-running`).
    pub fn css(self) -> &'static str {
        match self {
            StatusClass::Running => "tp-st-running",
            StatusClass::Pending => "tp-st-pending",
            StatusClass::Creating => "tp-st-creating",
            StatusClass::CrashLoop => "tp-st-crash",
            StatusClass::Completed => "tp-st-completed",
            StatusClass::Terminating => "tp-st-terminating",
            StatusClass::Error => "tp-st-error",
            StatusClass::Other => "tp-st-other",
        }
    }

    /// A shape that tells the classes apart without colour.
    pub fn glyph(self) -> &'static str {
        match self {
            StatusClass::Running => "●",
            StatusClass::Pending => "○",
            StatusClass::Creating => "◐",
            StatusClass::CrashLoop => "↻",
            StatusClass::Completed => "✓",
            StatusClass::Terminating => "✕",
            StatusClass::Error => "!",
            StatusClass::Other => "?",
        }
    }
}

/// A rectangle in user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    fn top(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y)
    }
    fn bottom(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectBox {
    pub target: ObjectRef,
    pub rect: Rect,
    /// `deploy/web`, `rs/web-7957885594`, `svc/web`.
    pub label: String,
    /// `3/3 ready`, `ClusterIP 10.96.0.12`.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeBox {
    pub node: Option<NodeView>,
    pub rect: Rect,
    /// Pods drawn in the box.
    pub pods: usize,
    /// Pods summed up in the group chip (beyond the box's share of [`VISIBLE_CHIPS`]).
    pub grouped: Vec<(StatusClass, String, usize)>,
    pub group_rect: Option<Rect>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chip {
    /// `namespace/name`, the key for Yew and the DOM id.
    pub id: String,
    pub pod: PodView,
    pub rect: Rect,
    pub compact: bool,
    pub class: StatusClass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Owns,
    Endpoint,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: (f64, f64),
    pub to: (f64, f64),
    pub kind: EdgeKind,
    /// The two objects it joins, to highlight it when either is selected.
    pub ends: (ObjectRef, ObjectRef),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraphLayout {
    pub height: f64,
    /// Pods in the filtered view (drawn or grouped).
    pub pods: usize,
    pub services: Vec<ObjectBox>,
    pub workloads: Vec<ObjectBox>,
    pub nodes: Vec<NodeBox>,
    /// Shared, so the component of each chip can keep it without a copy.
    pub chips: Vec<Rc<Chip>>,
    pub edges: Vec<Edge>,
    /// Rows of the top band's section titles: (title key index, y).
    pub section_y: Vec<(Section, f64)>,
}

/// The titled sections of the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Services,
    Workloads,
    Nodes,
}

/// Edges are drawn for every chip up to this many chips; beyond, only the selection's.
pub const ALL_EDGES_UP_TO: usize = 150;

fn in_namespace(namespace: Option<&str>, candidate: &str) -> bool {
    namespace.is_none_or(|ns| ns == candidate)
}

/// Lays out boxes left to right from `y`, wrapping; returns their rects and the next free y.
fn flow(count: usize, y: f64) -> (Vec<Rect>, f64) {
    let per_row = (((WIDTH - 2.0 * MARGIN + GAP) / (BOX_W + GAP)).floor() as usize).max(1);
    let rects: Vec<Rect> = (0..count)
        .map(|i| Rect {
            x: MARGIN + (i % per_row) as f64 * (BOX_W + GAP),
            y: y + (i / per_row) as f64 * (BOX_H + GAP),
            w: BOX_W,
            h: BOX_H,
        })
        .collect();
    let rows = count.div_ceil(per_row);
    (rects, y + rows as f64 * (BOX_H + GAP))
}

/// How many chips each box shows: [`VISIBLE_CHIPS`] shared out evenly, a box that needs less
/// than its share leaving the rest to the others (water-filling). `counts` are pods per box.
pub fn share_chips(counts: &[usize], budget: usize) -> Vec<usize> {
    let mut shown = vec![0; counts.len()];
    let mut left = budget;
    let mut open: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 0).collect();
    while left > 0 && !open.is_empty() {
        let share = (left / open.len()).max(1);
        let mut still_open = Vec::new();
        for &i in &open {
            let take = share.min(counts[i] - shown[i]).min(left);
            shown[i] += take;
            left -= take;
            if shown[i] < counts[i] {
                still_open.push(i);
            }
        }
        open = still_open;
    }
    shown
}

/// kubectl's short name for a pod owner's kind.
fn short_kind(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "deploy",
        WorkloadKind::ReplicaSet => "rs",
    }
}

/// Computes the layout. `selected` decides which edges to draw when there are many chips.
pub fn layout(
    view: &ClusterView,
    namespace: Option<&str>,
    selected: Option<&ObjectRef>,
) -> GraphLayout {
    let mut out = GraphLayout::default();
    let mut y = MARGIN + 16.0;
    let title_gap = 22.0;

    // Services.
    let services: Vec<_> = view
        .services
        .values()
        .filter(|s| in_namespace(namespace, &s.namespace))
        .collect();
    if !services.is_empty() {
        out.section_y.push((Section::Services, y));
        let (rects, next) = flow(services.len(), y + 6.0);
        for (service, rect) in services.iter().zip(rects) {
            out.services.push(ObjectBox {
                target: ObjectRef {
                    kind: ObjectKind::Service,
                    namespace: service.namespace.clone(),
                    name: service.name.clone(),
                },
                rect,
                label: format!("svc/{}", service.name),
                detail: format!("{} {}", service.service_type, service.cluster_ip),
            });
        }
        y = next + title_gap;
    }

    // Deployments, then their ReplicaSets in the same order (orphans last).
    let mut deployments: Vec<_> = view
        .workloads
        .values()
        .filter(|w| w.kind == WorkloadKind::Deployment && in_namespace(namespace, &w.namespace))
        .collect();
    deployments.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let order: BTreeMap<(&str, &str), usize> = deployments
        .iter()
        .enumerate()
        .map(|(i, d)| ((d.namespace.as_str(), d.name.as_str()), i))
        .collect();
    let mut replica_sets: Vec<_> = view
        .workloads
        .values()
        .filter(|w| w.kind == WorkloadKind::ReplicaSet && in_namespace(namespace, &w.namespace))
        .collect();
    replica_sets.sort_by_key(|rs| {
        let owner = rs
            .owner
            .as_ref()
            .and_then(|o| order.get(&(rs.namespace.as_str(), o.name.as_str())))
            .copied()
            .unwrap_or(usize::MAX);
        (owner, rs.namespace.clone(), rs.name.clone())
    });
    if !deployments.is_empty() || !replica_sets.is_empty() {
        out.section_y.push((Section::Workloads, y));
        let mut row_y = y + 6.0;
        for group in [&deployments, &replica_sets] {
            if group.is_empty() {
                continue;
            }
            let (rects, next) = flow(group.len(), row_y);
            for (workload, rect) in group.iter().zip(rects) {
                out.workloads.push(ObjectBox {
                    target: ObjectRef {
                        kind: match workload.kind {
                            WorkloadKind::Deployment => ObjectKind::Deployment,
                            WorkloadKind::ReplicaSet => ObjectKind::ReplicaSet,
                        },
                        namespace: workload.namespace.clone(),
                        name: workload.name.clone(),
                    },
                    rect,
                    label: format!("{}/{}", short_kind(workload.kind), workload.name),
                    detail: format!("{}/{}", workload.ready, workload.desired),
                });
            }
            row_y = next + 8.0;
        }
        y = row_y + title_gap - 8.0;
    }

    // Nodes, two to a row, then the unscheduled pods.
    out.section_y.push((Section::Nodes, y));
    y += 6.0;
    let mut by_node: BTreeMap<Option<&str>, Vec<&PodView>> = BTreeMap::new();
    for pod in view
        .pods
        .values()
        .filter(|p| in_namespace(namespace, &p.namespace))
    {
        by_node.entry(pod.node.as_deref()).or_default().push(pod);
        out.pods += 1;
    }
    let mut boxes: Vec<(Option<&NodeView>, Vec<&PodView>)> = view
        .nodes
        .values()
        .map(|n| {
            (
                Some(n),
                by_node.remove(&Some(n.name.as_str())).unwrap_or_default(),
            )
        })
        .collect();
    // Pods on nodes the view does not know, and unscheduled pods.
    let mut unplaced: Vec<&PodView> = by_node.into_values().flatten().collect();
    unplaced.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    if !unplaced.is_empty() {
        boxes.push((None, unplaced));
    }
    let node_w = (WIDTH - 2.0 * MARGIN - GAP) / 2.0;
    let mut row_top = y;
    let mut row_height: f64 = 0.0;
    let counts: Vec<usize> = boxes.iter().map(|(_, pods)| pods.len()).collect();
    let shares = share_chips(&counts, VISIBLE_CHIPS);
    for (i, ((node, mut pods), share)) in boxes.into_iter().zip(shares).enumerate() {
        let column = i % 2;
        if column == 0 && i > 0 {
            row_top += row_height + GAP;
            row_height = 0.0;
        }
        // Pods of one owner side by side: a rolling update shows old and new together.
        fn owner(pod: &PodView) -> Option<&str> {
            pod.owner.as_ref().map(|o| o.name.as_str())
        }
        pods.sort_by(|a, b| {
            (owner(a), &a.namespace, &a.name).cmp(&(owner(b), &b.namespace, &b.name))
        });
        let compact = pods.len() > FULL_CHIPS_UP_TO;
        let (chip_w, chip_h) = if compact { COMPACT_CHIP } else { FULL_CHIP };
        let inner = node_w - 2.0 * NODE_PAD;
        let per_row = (((inner + CHIP_GAP) / (chip_w + CHIP_GAP)).floor() as usize).max(1);
        let x0 = MARGIN + column as f64 * (node_w + GAP);
        let shown = share;
        let slots = shown + usize::from(pods.len() > shown);
        for (k, pod) in pods.iter().take(shown).enumerate() {
            out.chips.push(Rc::new(Chip {
                id: format!("{}/{}", pod.namespace, pod.name),
                pod: (*pod).clone(),
                rect: Rect {
                    x: x0 + NODE_PAD + (k % per_row) as f64 * (chip_w + CHIP_GAP),
                    y: row_top + NODE_HEADER + (k / per_row) as f64 * (chip_h + CHIP_GAP),
                    w: chip_w,
                    h: chip_h,
                },
                compact,
                class: StatusClass::of(&pod.status),
            }));
        }
        let mut grouped: BTreeMap<(StatusClass, String), usize> = BTreeMap::new();
        for pod in pods.iter().skip(shown) {
            *grouped
                .entry((StatusClass::of(&pod.status), pod.status.clone()))
                .or_default() += 1;
        }
        let group_rect = (pods.len() > shown).then(|| Rect {
            x: x0 + NODE_PAD,
            y: row_top
                + NODE_HEADER
                + (shown / per_row + usize::from(shown % per_row != 0)) as f64
                    * (chip_h + CHIP_GAP),
            w: inner,
            h: FULL_CHIP.1,
        });
        let rows = if slots == 0 {
            0
        } else {
            shown.div_ceil(per_row)
        };
        let height = NODE_HEADER
            + rows as f64 * (chip_h + CHIP_GAP)
            + group_rect.map_or(0.0, |r| r.h + CHIP_GAP)
            + NODE_PAD
            - if rows > 0 { CHIP_GAP } else { 0.0 };
        row_height = row_height.max(height);
        out.nodes.push(NodeBox {
            node: node.cloned(),
            rect: Rect {
                x: x0,
                y: row_top,
                w: node_w,
                h: height,
            },
            pods: shown,
            grouped: grouped
                .into_iter()
                .map(|((class, status), n)| (class, status, n))
                .collect(),
            group_rect,
        });
    }
    out.height = row_top + row_height + MARGIN;

    // Edges: Deployment -> ReplicaSet -> Pod, Service -> endpoint pods.
    let boxes_by_ref: BTreeMap<&ObjectRef, Rect> = out
        .workloads
        .iter()
        .chain(out.services.iter())
        .map(|b| (&b.target, b.rect))
        .collect();
    let mut edges = Vec::new();
    for workload in &out.workloads {
        if workload.target.kind != ObjectKind::ReplicaSet {
            continue;
        }
        let key = format!(
            "ReplicaSet/{}/{}",
            workload.target.namespace, workload.target.name
        );
        if let Some(owner) = view.workloads.get(&key).and_then(|w| w.owner.as_ref()) {
            let deployment = ObjectRef {
                kind: ObjectKind::Deployment,
                namespace: workload.target.namespace.clone(),
                name: owner.name.clone(),
            };
            if let Some(rect) = boxes_by_ref.get(&deployment) {
                edges.push(Edge {
                    from: rect.bottom(),
                    to: workload.rect.top(),
                    kind: EdgeKind::Owns,
                    ends: (deployment, workload.target.clone()),
                });
            }
        }
    }
    let all_pod_edges = out.chips.len() <= ALL_EDGES_UP_TO;
    for chip in &out.chips {
        let pod_ref = ObjectRef {
            kind: ObjectKind::Pod,
            namespace: chip.pod.namespace.clone(),
            name: chip.pod.name.clone(),
        };
        if let Some(owner) = &chip.pod.owner
            && owner.kind == "ReplicaSet"
        {
            let rs = ObjectRef {
                kind: ObjectKind::ReplicaSet,
                namespace: chip.pod.namespace.clone(),
                name: owner.name.clone(),
            };
            if let Some(rect) = boxes_by_ref.get(&rs)
                && (all_pod_edges || selected == Some(&rs) || selected == Some(&pod_ref))
            {
                edges.push(Edge {
                    from: rect.bottom(),
                    to: chip.rect.top(),
                    kind: EdgeKind::Owns,
                    ends: (rs, pod_ref.clone()),
                });
            }
        }
    }
    for service in &out.services {
        let Some(view_service) = view.services.get(&format!(
            "{}/{}",
            service.target.namespace, service.target.name
        )) else {
            continue;
        };
        if !(all_pod_edges || selected == Some(&service.target)) {
            continue;
        }
        let endpoints: BTreeSet<&str> = view_service.endpoints.iter().map(String::as_str).collect();
        for chip in out.chips.iter().filter(|c| {
            c.pod.namespace == service.target.namespace && endpoints.contains(c.pod.name.as_str())
        }) {
            edges.push(Edge {
                from: service.rect.bottom(),
                to: chip.rect.top(),
                kind: EdgeKind::Endpoint,
                ends: (
                    service.target.clone(),
                    ObjectRef {
                        kind: ObjectKind::Pod,
                        namespace: chip.pod.namespace.clone(),
                        name: chip.pod.name.clone(),
                    },
                ),
            });
        }
    }
    out.edges = edges;
    out
}

/// A pod name shortened to fit a chip: the start and the distinctive suffix.
pub fn short_name(name: &str, max: usize) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= max {
        return name.to_owned();
    }
    // The end tells pods apart (template hash, random suffix): keep two thirds of it.
    let head = (max - 1) / 3;
    let tail = max - 1 - head;
    let start: String = chars[..head].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{start}…{end}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_worker::protocol::{OwnerView, ServiceView, WorkloadView};

    fn pod(name: &str, node: Option<&str>, status: &str, owner: Option<&str>) -> PodView {
        PodView {
            namespace: "default".to_owned(),
            name: name.to_owned(),
            node: node.map(str::to_owned),
            status: status.to_owned(),
            ready: "1/1".to_owned(),
            owner: owner.map(|o| OwnerView {
                kind: "ReplicaSet".to_owned(),
                name: o.to_owned(),
            }),
            cpu_request_milli: 0,
            memory_request_bytes: 0,
        }
    }

    fn node(name: &str) -> NodeView {
        NodeView {
            name: name.to_owned(),
            ready: true,
            unschedulable: false,
            cpu_allocatable_milli: 2000,
            cpu_requested_milli: 0,
            memory_allocatable_bytes: 4 << 30,
            memory_requested_bytes: 0,
            pods: 0,
        }
    }

    fn view() -> ClusterView {
        let mut view = ClusterView::default();
        for n in ["node01", "node02"] {
            view.nodes.insert(n.to_owned(), node(n));
        }
        for (name, n, status) in [
            ("web-1", Some("node01"), "Running"),
            ("web-2", Some("node02"), "ContainerCreating"),
            ("web-3", None, "Pending"),
        ] {
            view.pods.insert(
                format!("default/{name}"),
                pod(name, n, status, Some("web-rs")),
            );
        }
        view.workloads.insert(
            "Deployment/default/web".to_owned(),
            WorkloadView {
                kind: WorkloadKind::Deployment,
                namespace: "default".to_owned(),
                name: "web".to_owned(),
                owner: None,
                desired: 3,
                ready: 1,
            },
        );
        view.workloads.insert(
            "ReplicaSet/default/web-rs".to_owned(),
            WorkloadView {
                kind: WorkloadKind::ReplicaSet,
                namespace: "default".to_owned(),
                name: "web-rs".to_owned(),
                owner: Some(OwnerView {
                    kind: "Deployment".to_owned(),
                    name: "web".to_owned(),
                }),
                desired: 3,
                ready: 1,
            },
        );
        view.services.insert(
            "default/web".to_owned(),
            ServiceView {
                namespace: "default".to_owned(),
                name: "web".to_owned(),
                service_type: "ClusterIP".to_owned(),
                cluster_ip: "10.96.0.10".to_owned(),
                endpoints: vec!["web-1".to_owned()],
            },
        );
        view
    }

    #[test]
    fn pods_sit_inside_their_node_and_unscheduled_ones_get_a_box() {
        let layout = layout(&view(), None, None);
        assert_eq!(layout.nodes.len(), 3, "two nodes and the unscheduled box");
        assert!(layout.nodes[2].node.is_none());
        for chip in &layout.chips {
            let host = layout
                .nodes
                .iter()
                .find(|n| n.node.as_ref().map(|v| v.name.as_str()) == chip.pod.node.as_deref())
                .expect("a box for the chip");
            let (r, b) = (chip.rect, host.rect);
            assert!(r.x >= b.x && r.x + r.w <= b.x + b.w, "{chip:?} in {b:?}");
            assert!(r.y >= b.y && r.y + r.h <= b.y + b.h, "{chip:?} in {b:?}");
        }
        let classes: Vec<StatusClass> = layout.chips.iter().map(|c| c.class).collect();
        assert_eq!(
            classes,
            [
                StatusClass::Running,
                StatusClass::Creating,
                StatusClass::Pending
            ]
        );
        // deploy -> rs, rs -> 3 pods, svc -> 1 endpoint.
        let owns = layout
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Owns)
            .count();
        let endpoints = layout
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Endpoint)
            .count();
        assert_eq!((owns, endpoints), (4, 1));
        assert!(layout.height > layout.nodes[2].rect.y + layout.nodes[2].rect.h);
    }

    #[test]
    fn the_namespace_filter_hides_other_namespaces() {
        let layout = layout(&view(), Some("kube-system"), None);
        assert!(
            layout.chips.is_empty() && layout.workloads.is_empty() && layout.services.is_empty()
        );
        assert_eq!(layout.nodes.len(), 2, "nodes are cluster-wide");
    }

    #[test]
    fn crowded_nodes_get_compact_chips_and_a_group_beyond_the_limit() {
        let mut view = view();
        for i in 0..(VISIBLE_CHIPS + 20) {
            let status = if i % 2 == 0 { "Running" } else { "Pending" };
            view.pods.insert(
                format!("default/many-{i:04}"),
                pod(&format!("many-{i:04}"), Some("node01"), status, None),
            );
        }
        let layout = layout(&view, None, None);
        let crowded = &layout.nodes[0];
        // web-2 (node02) and web-3 (unscheduled) keep their chips; node01 gets the rest.
        assert_eq!(crowded.pods, VISIBLE_CHIPS - 2);
        assert_eq!(layout.chips.len(), VISIBLE_CHIPS);
        assert_eq!(layout.pods, VISIBLE_CHIPS + 23);
        let grouped: usize = crowded.grouped.iter().map(|(_, _, n)| n).sum();
        assert_eq!(grouped, 23, "{:?}", crowded.grouped);
        assert!(crowded.group_rect.is_some());
        assert!(
            layout
                .chips
                .iter()
                .filter(|c| c.pod.node.as_deref() == Some("node01"))
                .all(|c| c.compact)
        );
        assert!(
            layout.edges.iter().all(|e| e.kind == EdgeKind::Owns
                && e.ends.0.kind == ObjectKind::Deployment
                || e.ends.1.kind != ObjectKind::Pod),
            "too many chips: no pod edges unless selected"
        );
    }

    #[test]
    fn the_visible_chips_are_shared_fairly_between_boxes() {
        assert_eq!(share_chips(&[1000, 3, 0, 600], 500), [249, 3, 0, 248]);
        assert_eq!(
            share_chips(&[10, 20], 500),
            [10, 20],
            "under the budget: all"
        );
        assert_eq!(
            share_chips(&[2, 2, 2], 4),
            [2, 1, 1],
            "leftovers go in box order"
        );
        let shares = share_chips(&[997, 110, 110, 5], VISIBLE_CHIPS);
        assert_eq!(shares.iter().sum::<usize>(), VISIBLE_CHIPS);
        assert_eq!(shares, [275, 110, 110, 5]);
    }

    /// 1,000 pods: the layout's cost, printed (`cargo test -p tidepool-web --release --lib
    /// -- layout_of_a_thousand --nocapture`); it is measured in the browser by the e2e test.
    #[test]
    fn layout_of_a_thousand_pods_groups_beyond_the_visible_limit() {
        let mut view = view();
        for i in 0..1000 {
            let node = ["node01", "node02"].get(i % 3).copied();
            view.pods.insert(
                format!("default/big-{i:04}"),
                pod(&format!("big-{i:04}"), node, "Running", Some("web-rs")),
            );
        }
        let started = std::time::Instant::now();
        let layout = layout(&view, Some("default"), None);
        eprintln!("layout of 1,003 pods: {:?}", started.elapsed());
        assert_eq!(layout.pods, 1003);
        assert_eq!(layout.chips.len(), VISIBLE_CHIPS);
        let grouped: usize = layout
            .nodes
            .iter()
            .flat_map(|n| n.grouped.iter().map(|(_, _, c)| c))
            .sum();
        assert_eq!(
            grouped,
            1003 - VISIBLE_CHIPS,
            "every pod is a chip or counted"
        );
    }

    #[test]
    fn statuses_map_to_distinct_classes() {
        let cases = [
            ("Running", StatusClass::Running),
            ("Pending", StatusClass::Pending),
            ("ContainerCreating", StatusClass::Creating),
            ("Init:0/2", StatusClass::Creating),
            ("CrashLoopBackOff", StatusClass::CrashLoop),
            ("Completed", StatusClass::Completed),
            ("Terminating", StatusClass::Terminating),
            ("Error", StatusClass::Error),
            ("ImagePullBackOff", StatusClass::Error),
            ("Init:Error", StatusClass::Error),
            ("ExitCode:3", StatusClass::Error),
            ("Unknown", StatusClass::Other),
        ];
        for (status, class) in cases {
            assert_eq!(StatusClass::of(status), class, "{status}");
        }
        assert_eq!(short_name("web-7957885594-8z57f", 18), "web-7…885594-8z57f");
        assert_eq!(short_name("web-1", 18), "web-1");
    }
}
