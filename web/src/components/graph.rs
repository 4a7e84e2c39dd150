//! The live cluster graph: an SVG drawn from [`crate::graph_layout`]. Pods are chips coloured
//! and labelled by their kubectl STATUS (a glyph and the text, never colour alone); every
//! object is focusable and opens the inspector with Enter or a click.
//!
//! Built to stay cheap at a thousand pods: the layout is computed only when the view, the
//! namespace filter or the selection changes (not when the rest of the app re-renders, e.g.
//! on each clock tick), and the SVG is a component of its own that re-renders only for a new
//! layout. The pod chips, hundreds at a time, are drawn by hand into their layer after Yew's
//! commit (see `ChipLayer`), with one click and one key listener for all of them.

use crate::graph_layout::{
    COMPACT_CHIP, Chip, EdgeKind, FULL_CHIP, GraphLayout, Section, StatusClass, WIDTH, layout,
    short_name,
};
use crate::i18n::{Key, Lang, text};
use crate::perf;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use tidepool_worker::protocol::{ClusterView, ObjectKind, ObjectRef};
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct GraphProps {
    pub lang: Lang,
    pub view: Rc<ClusterView>,
    /// Whether any view arrived yet.
    pub known: bool,
    /// `None`: all namespaces.
    pub namespace: Option<String>,
    pub selected: Option<ObjectRef>,
    pub on_select: Callback<ObjectRef>,
}

/// A shared value compared by identity: one layout is one value.
#[derive(Debug)]
struct Shared<T>(Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Rc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A compact chip's outline: an 18 x 18 rounded square that starts at its top middle, where
/// its status glyph (a marker, see [`glyph_defs`]) is anchored.
const COMPACT_OUTLINE: &str =
    "M9,0H12A6,6 0 0 1 18,6V12A6,6 0 0 1 12,18H6A6,6 0 0 1 0,12V6A6,6 0 0 1 6,0Z";

/// Every status class, for the glyph markers.
const STATUS_CLASSES: [StatusClass; 8] = [
    StatusClass::Running,
    StatusClass::Pending,
    StatusClass::Creating,
    StatusClass::CrashLoop,
    StatusClass::Completed,
    StatusClass::Terminating,
    StatusClass::Error,
    StatusClass::Other,
];

/// A status glyph as a path around (0, 0), about 9 units across: the shapes of
/// [`StatusClass::glyph`] (a disc, a ring, a half disc, a circular arrow, a tick, a cross,
/// `!`, `?`), drawn as geometry so a compact chip needs no text (no shaping, no font).
fn glyph_shape(class: StatusClass) -> &'static str {
    const DISC: &str = "M-4,0A4,4 0 1 0 4,0A4,4 0 1 0 -4,0Z";
    match class {
        StatusClass::Running => DISC,
        StatusClass::Pending => {
            "M-4,0A4,4 0 1 0 4,0A4,4 0 1 0 -4,0ZM-2.6,0A2.6,2.6 0 1 0 2.6,0A2.6,2.6 0 1 0 -2.6,0Z"
        }
        StatusClass::Creating => "M-4,0A4,4 0 1 0 4,0A4,4 0 1 0 -4,0ZM0,-2.6A2.6,2.6 0 0 1 0,2.6Z",
        StatusClass::CrashLoop => {
            "M3.22,-2.7A4.2,4.2 0 1 1 -2.41,-3.44L-1.61,-2.29A2.8,2.8 0 1 0 2.14,-1.8Z\
             M-3.33,-4.75L0.12,-4.36L-0.69,-0.98Z"
        }
        StatusClass::Completed => "M-4.4,-0.2L-1.6,2.6L4.2,-3.2L5.2,-2.2L-1.6,4.6L-5.4,0.8Z",
        StatusClass::Terminating => {
            "M-3.9,-2.9L-2.9,-3.9L0,-1L2.9,-3.9L3.9,-2.9L1,0L3.9,2.9L2.9,3.9L0,1L-2.9,3.9\
             L-3.9,2.9L-1,0Z"
        }
        StatusClass::Error => "M-1,-4.6H1L0.6,1.2H-0.6ZM-0.95,2.3H0.95V4.2H-0.95Z",
        StatusClass::Other => {
            "M-2.9,-1.9A2.9,2.9 0 0 1 2.9,-1.9C2.9,-0.3 0.65,-0.2 0.65,1.1H-0.65\
             C-0.65,-1 1.6,-0.9 1.6,-1.9A1.6,1.6 0 0 0 -1.6,-1.9ZM-0.75,2.4H0.75V3.9H-0.75Z"
        }
    }
}

/// One `<marker>` per status glyph. A compact chip is a single `<path>` (one layout object
/// instead of a group, a rect, a text and a title) whose CSS class picks its glyph marker
/// (`marker-start`, app.css): the glyph is laid out once per status, not once per chip.
/// The marker's point (9, 0) sits on the outline's first vertex, so the glyph lands in the
/// middle of the 18 x 18 chip.
fn glyph_defs() -> Html {
    let markers = STATUS_CLASSES.iter().map(|class| {
        html! {
            <marker id={format!("tp-glyph-{}", &class.css()["tp-st-".len()..])} class="tp-glyph"
                    markerUnits="userSpaceOnUse" markerWidth="18" markerHeight="18"
                    refX="9" refY="0" orient="0">
                <path transform="translate(9,9)" d={glyph_shape(*class)} />
            </marker>
        }
    });
    html! { <defs>{ for markers }</defs> }
}

/// The statuses the legend explains, with a sample STATUS text each.
const LEGEND: [(StatusClass, &str); 7] = [
    (StatusClass::Running, "Running"),
    (StatusClass::Pending, "Pending"),
    (StatusClass::Creating, "ContainerCreating"),
    (StatusClass::CrashLoop, "CrashLoopBackOff"),
    (StatusClass::Completed, "Completed"),
    (StatusClass::Terminating, "Terminating"),
    (StatusClass::Error, "Error"),
];

/// `250m` / `1.5` CPUs, like kubectl describe node prints requests.
fn cpu_text(milli: u64) -> String {
    if milli.is_multiple_of(1000) {
        format!("{}", milli / 1000)
    } else {
        format!("{milli}m")
    }
}

/// Bytes in Mi or Gi.
fn memory_text(bytes: u64) -> String {
    const MI: u64 = 1 << 20;
    if bytes >= 1 << 30 {
        format!("{:.1}Gi", bytes as f64 / (1u64 << 30) as f64)
    } else {
        format!("{}Mi", bytes / MI)
    }
}

fn percent(used: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (used as f64 / total as f64).min(1.0)
    }
}

/// Click or Enter/Space on a focusable graph element selects `target`.
fn activate(
    on_select: &Callback<ObjectRef>,
    target: &ObjectRef,
) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let click = {
        let on_select = on_select.clone();
        let target = target.clone();
        Callback::from(move |_: MouseEvent| on_select.emit(target.clone()))
    };
    let key = {
        let on_select = on_select.clone();
        let target = target.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                on_select.emit(target.clone());
            }
        })
    };
    (click, key)
}

fn kind_word(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Node => "Node",
        ObjectKind::Pod => "Pod",
        ObjectKind::Deployment => "Deployment",
        ObjectKind::ReplicaSet => "ReplicaSet",
        ObjectKind::Service => "Service",
    }
}

/// What the layout depends on. An unchanged view costs a pointer comparison; a new view whose
/// drawn sections are equal (an update of events only) keeps the layout too.
struct LayoutInputs {
    view: Shared<ClusterView>,
    namespace: Option<String>,
    selected: Option<ObjectRef>,
}

impl PartialEq for LayoutInputs {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.view.0, &other.view.0);
        let same_view = self.view == other.view
            || (a.nodes == b.nodes
                && a.pods == b.pods
                && a.workloads == b.workloads
                && a.services == b.services);
        same_view && self.namespace == other.namespace && self.selected == other.selected
    }
}

#[function_component(ClusterGraph)]
pub fn cluster_graph(props: &GraphProps) -> Html {
    let layout = use_memo(
        LayoutInputs {
            view: Shared(Rc::clone(&props.view)),
            namespace: props.namespace.clone(),
            selected: props.selected.clone(),
        },
        |inputs| {
            perf::stamp("layout");
            let computed = layout(
                &inputs.view.0,
                inputs.namespace.as_deref(),
                inputs.selected.as_ref(),
            );
            perf::stamp("layout-done");
            computed
        },
    );
    // The parent makes a new callback on each render; the chips get one that never changes
    // and calls the latest, so a re-render of the app does not re-render a thousand chips.
    let latest = use_mut_ref(|| props.on_select.clone());
    *latest.borrow_mut() = props.on_select.clone();
    let on_select = use_memo((), move |()| {
        Callback::from(move |target: ObjectRef| {
            let current = latest.borrow().clone();
            current.emit(target);
        })
    });
    // Runs after the canvas's effect (children first): view messages the canvas did not draw
    // (the layout was unchanged) must not count towards the next drawn update's time.
    use_effect(perf::drop_pending);
    if !props.known {
        return html! { <p class="tp-placeholder">{ text(props.lang, Key::GraphWaiting) }</p> };
    }
    html! {
        <GraphCanvas lang={props.lang} layout={Shared(layout)} selected={props.selected.clone()}
            on_select={(*on_select).clone()} />
    }
}

#[derive(Clone, PartialEq, Properties)]
struct CanvasProps {
    lang: Lang,
    layout: Shared<GraphLayout>,
    selected: Option<ObjectRef>,
    on_select: Callback<ObjectRef>,
}

/// The legend and the SVG for one layout.
#[function_component(GraphCanvas)]
fn graph_canvas(props: &CanvasProps) -> Html {
    perf::stamp("canvas");
    let lang = props.lang;
    let t = |key| text(lang, key);
    let layout: &GraphLayout = &props.layout.0;
    // The chips are drawn by hand (see `ChipLayer`), here in the render while the layer from
    // the last commit exists: Yew runs effects in a later task once rendering took more than
    // a frame's worth (it yields to the browser), and chips drawn in an effect would then
    // reach the screen one frame late. The effect draws them on the first mount (no layer
    // yet). Each drawing makes the performance record of the messages drawn.
    let chip_layer = use_node_ref();
    let drawn_chips = use_mut_ref(ChipLayer::default);
    if let Some(layer) = chip_layer.cast::<web_sys::Element>() {
        drawn_chips
            .borrow_mut()
            .draw(&layer, &props.layout, props.selected.as_ref());
    }
    {
        let chip_layer = chip_layer.clone();
        use_effect_with(
            (props.layout.clone(), props.selected.clone()),
            move |(layout, selected)| {
                if let Some(layer) = chip_layer.cast::<web_sys::Element>() {
                    drawn_chips
                        .borrow_mut()
                        .draw(&layer, layout, selected.as_ref());
                }
            },
        );
    }
    // One listener for all chips (event delegation): a click, or Enter/Space on a focused chip.
    let on_chip_click = {
        let on_select = props.on_select.clone();
        Callback::from(move |event: MouseEvent| {
            if let Some(target) = chip_target(&event) {
                on_select.emit(target);
            }
        })
    };
    let on_chip_key = {
        let on_select = props.on_select.clone();
        Callback::from(move |event: KeyboardEvent| {
            if (event.key() == "Enter" || event.key() == " ")
                && let Some(target) = chip_target(&event)
            {
                event.prevent_default();
                on_select.emit(target);
            }
        })
    };
    let hover_title = use_node_ref();
    let on_chip_hover = {
        let hover_title = hover_title.clone();
        Callback::from(move |event: MouseEvent| {
            let label = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                .and_then(|target| target.closest(".tp-chip").ok().flatten())
                .and_then(|chip| chip.get_attribute("aria-label"));
            if let (Some(label), Some(title)) = (label, hover_title.cast::<web_sys::Element>())
                && title.text_content().as_deref() != Some(label.as_str())
            {
                title.set_text_content(Some(&label));
            }
        })
    };
    let selected = props.selected.as_ref();
    let is_selected = |target: &ObjectRef| selected == Some(target);

    let section_titles = layout.section_y.iter().map(|(section, y)| {
        let title = match section {
            Section::Services => t(Key::Services),
            Section::Workloads => t(Key::Workloads),
            Section::Nodes => t(Key::Nodes),
        };
        html! { <text class="tp-g-section" x="12" y={format!("{:.1}", y - 4.0)}>{ title }</text> }
    });

    let edges = layout.edges.iter().map(|edge| {
        let highlighted = selected.is_some_and(|s| *s == edge.ends.0 || *s == edge.ends.1);
        let (x1, y1) = edge.from;
        let (x2, y2) = edge.to;
        let mid = (y1 + y2) / 2.0;
        let class = classes!(
            "tp-g-edge",
            match edge.kind {
                EdgeKind::Owns => "tp-g-edge-owns",
                EdgeKind::Endpoint => "tp-g-edge-endpoint",
            },
            highlighted.then_some("tp-g-edge-hot")
        );
        html! {
            <path class={class} d={format!("M{x1:.1},{y1:.1} C{x1:.1},{mid:.1} {x2:.1},{mid:.1} {x2:.1},{y2:.1}")} />
        }
    });

    let object_boxes = layout
        .services
        .iter()
        .chain(layout.workloads.iter())
        .map(|b| {
            let (onclick, onkeydown) = activate(&props.on_select, &b.target);
            let r = b.rect;
            let class = classes!(
                "tp-g-object",
                match b.target.kind {
                    ObjectKind::Service => "tp-g-service",
                    ObjectKind::Deployment => "tp-g-deployment",
                    _ => "tp-g-replicaset",
                },
                is_selected(&b.target).then_some("tp-selected")
            );
            let label = format!(
                "{} {} {}",
                kind_word(b.target.kind),
                b.target.name,
                b.detail
            );
            html! {
                <g key={format!("{:?}/{}/{}", b.target.kind, b.target.namespace, b.target.name)}
                   class={class} transform={format!("translate({:.1},{:.1})", r.x, r.y)}
                   tabindex="0" role="button" aria-label={label.clone()} {onclick} {onkeydown}>
                    <title>{ label }</title>
                    <rect width={format!("{:.1}", r.w)} height={format!("{:.1}", r.h)} rx="8" />
                    <text class="tp-g-object-name" x="10" y="17">{ short_name(&b.label, 28) }</text>
                    <text class="tp-g-object-detail" x="10" y="32">{ b.detail.clone() }</text>
                </g>
            }
        });

    let nodes = layout.nodes.iter().map(|n| {
        let r = n.rect;
        let (title, ready_text, target, bars) = match &n.node {
            Some(node) => {
                let ready = if node.ready { t(Key::NodeReady) } else { t(Key::NodeNotReady) };
                let target = ObjectRef {
                    kind: ObjectKind::Node,
                    namespace: String::new(),
                    name: node.name.clone(),
                };
                let bar_w = r.w - 20.0;
                let cpu = percent(node.cpu_requested_milli, node.cpu_allocatable_milli);
                let memory = percent(node.memory_requested_bytes, node.memory_allocatable_bytes);
                let cpu_label = format!(
                    "{} {} / {} {}",
                    t(Key::Cpu),
                    cpu_text(node.cpu_requested_milli),
                    cpu_text(node.cpu_allocatable_milli),
                    t(Key::Requested)
                );
                let memory_label = format!(
                    "{} {} / {}",
                    t(Key::Memory),
                    memory_text(node.memory_requested_bytes),
                    memory_text(node.memory_allocatable_bytes),
                );
                let bar = |y: f64, fraction: f64, label: String| html! {
                    <g class="tp-g-bar" transform={format!("translate(10,{y:.1})")}>
                        <rect class="tp-g-bar-track" width={format!("{bar_w:.1}")} height="12" rx="3" />
                        <rect class={classes!("tp-g-bar-fill", (fraction > 0.85).then_some("tp-g-bar-high"))}
                              width={format!("{:.1}", bar_w * fraction)} height="12" rx="3" />
                        <text x="6" y="10">{ label }</text>
                    </g>
                };
                let bars = html! { <>
                    { bar(28.0, cpu, cpu_label) }
                    { bar(46.0, memory, memory_label) }
                </> };
                (node.name.clone(), ready.to_owned(), Some(target), bars)
            }
            None => (t(Key::Unscheduled).to_owned(), String::new(), None, html! {}),
        };
        let label = format!("{} {title} {ready_text}", kind_word(ObjectKind::Node));
        let group = n.group_rect.map(|g| {
            let count: usize = n.grouped.iter().map(|(_, _, c)| c).sum();
            let summary = n
                .grouped
                .iter()
                .map(|(class, status, c)| format!("{} {status} {c}", class.glyph()))
                .collect::<Vec<_>>()
                .join(" · ");
            let group_label = format!("+{count} {}: {summary}", t(Key::MorePods));
            html! {
                <g class="tp-g-group" transform={format!("translate({:.1},{:.1})", g.x - r.x, g.y - r.y)}
                   role="img" aria-label={group_label.clone()}>
                    <rect width={format!("{:.1}", g.w)} height={format!("{:.1}", g.h)} rx="6" />
                    <text x="10" y="22">{ group_label }</text>
                </g>
            }
        });
        let header = match &target {
            Some(target) => {
                let (onclick, onkeydown) = activate(&props.on_select, target);
                html! {
                    <g class={classes!("tp-g-node-head", is_selected(target).then_some("tp-selected"))}
                       tabindex="0" role="button" aria-label={label.clone()} {onclick} {onkeydown}>
                        <text class="tp-g-node-name" x="10" y="18">{ title.clone() }</text>
                        <text class={classes!("tp-g-node-ready", (ready_text != t(Key::NodeReady)).then_some("tp-g-node-down"))}
                              x={format!("{:.1}", r.w - 10.0)} y="18" text-anchor="end">{ ready_text.clone() }</text>
                    </g>
                }
            }
            None => html! { <text class="tp-g-node-name" x="10" y="18">{ title.clone() }</text> },
        };
        html! {
            <g key={format!("node/{title}")} class={classes!("tp-g-node", n.node.is_none().then_some("tp-g-unscheduled"))}
               transform={format!("translate({:.1},{:.1})", r.x, r.y)}>
                <rect class="tp-g-node-box" width={format!("{:.1}", r.w)} height={format!("{:.1}", r.h)} rx="10" />
                { header }
                { bars }
                { for group }
            </g>
        }
    });

    let legend = LEGEND.iter().map(|(class, status)| {
        html! {
            <li class={classes!("tp-legend-item", class.css())}>
                <svg class="tp-legend-swatch" viewBox="-1 -1 20 20" aria-hidden="true">
                    <path class={classes!("tp-chip-shape", class.css())} d={COMPACT_OUTLINE} />
                </svg>
                { *status }
            </li>
        }
    });

    let empty =
        layout.chips.is_empty() && layout.workloads.is_empty() && layout.services.is_empty();
    html! {
        <div class="tp-graph-body">
            <ul class="tp-legend" aria-label={t(Key::Legend)}>{ for legend }</ul>
            if empty {
                <p class="tp-placeholder tp-graph-empty">{ t(Key::GraphEmpty) }</p>
            }
            <svg class="tp-graph-svg" id="cluster-graph" role="group" aria-label={t(Key::ClusterGraph)}
                 data-pods={layout.pods.to_string()}
                 viewBox={format!("0 0 {WIDTH} {:.1}", layout.height)}
                 width="100%" preserveAspectRatio="xMidYMin meet">
                { glyph_defs() }
                { for section_titles }
                { for nodes }
                <g class="tp-g-edges" aria-hidden="true">{ for edges }</g>
                { for object_boxes }
                // One tooltip for all chips (a `<title>` per chip was hundreds more elements
                // to lay out): pointing at a chip puts its label in the group's title.
                <g class="tp-g-chip-area" onmouseover={on_chip_hover}>
                    <title ref={hover_title} />
                    <g class="tp-g-chips" ref={chip_layer} onclick={on_chip_click} onkeydown={on_chip_key} />
                </g>
            </svg>
        </div>
    }
}

/// The pod a chip event came from: the `.tp-chip` around the event's target.
fn chip_target(event: &Event) -> Option<ObjectRef> {
    let target: web_sys::Element = event.target()?.dyn_into().ok()?;
    let chip = target.closest(".tp-chip").ok()??;
    Some(ObjectRef {
        kind: ObjectKind::Pod,
        namespace: chip.get_attribute("data-ns")?,
        name: chip.get_attribute("data-pod")?,
    })
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// New chips fade in (CSS `tp-chip-enter`) only when a drawing adds at most this many: a
/// fade is an animation per chip, and the browser restyles and repaints every animated SVG
/// chip on each frame of it (SVG is not composited). Hundreds of new chips at once (a scale
/// to 1,000 pods) cost tens of milliseconds a frame for half a second; they appear at once.
const FADE_IN_UP_TO: usize = 24;

/// The pod chips, drawn into their layer by hand rather than by Yew: a thousand-pod update
/// creates hundreds of chips at once, and Yew's virtual DOM (a node, its attributes and its
/// diff per element, several elements per chip) made that cost about 0.3 ms a chip in a
/// release build. Here a new chip is one `cloneNode` of a prototype plus its attributes and
/// texts; a kept chip (keyed by `namespace/name`) only gets the attributes that changed, so
/// its status colour still fades (CSS transitions) and a focused chip keeps its focus. Pod
/// names and statuses only ever go in attributes and text nodes, never through HTML parsing.
#[derive(Default)]
struct ChipLayer {
    /// The `<g>` the chips were drawn into: a new one (the SVG was re-created) starts afresh.
    layer: Option<web_sys::Element>,
    /// What the chips show now: the layout and the selection.
    drawn_for: Option<(Shared<GraphLayout>, Option<ObjectRef>)>,
    drawn: HashMap<String, DrawnChip>,
    prototypes: Option<ChipPrototypes>,
}

/// An empty full and compact chip, cloned for each new chip. A compact chip is one `<path>`
/// (its glyph comes from a marker); a full chip is a group of a rect and two texts.
struct ChipPrototypes {
    full: web_sys::Element,
    compact: web_sys::Element,
}

/// A chip in the DOM, with the elements whose text changes (full chips only) and what it
/// shows now.
struct DrawnChip {
    element: web_sys::Element,
    compact: bool,
    texts: Option<ChipTexts>,
    look: ChipLook,
}

/// A full chip's name and status texts.
struct ChipTexts {
    name: web_sys::Element,
    status: web_sys::Element,
}

/// The attributes and texts of one chip.
#[derive(Default)]
struct ChipLook {
    class: String,
    transform: String,
    status: String,
    label: String,
    name: String,
    status_text: String,
}

impl ChipLook {
    fn of(chip: &Chip, selected: bool) -> Self {
        let pod = &chip.pod;
        let mut class = format!("tp-chip {}", chip.class.css());
        if chip.compact {
            class.push_str(" tp-chip-compact tp-chip-shape");
        }
        if selected {
            class.push_str(" tp-selected");
        }
        let label = format!(
            "Pod {}/{}, STATUS {}, READY {}{}",
            pod.namespace,
            pod.name,
            pod.status,
            pod.ready,
            pod.node
                .as_deref()
                .map(|n| format!(", {n}"))
                .unwrap_or_default()
        );
        let (name, status_text) = if chip.compact {
            (String::new(), String::new())
        } else {
            (
                short_name(&pod.name, 18),
                format!("{} {}", chip.class.glyph(), pod.status),
            )
        };
        Self {
            class,
            transform: format!("translate({:.1},{:.1})", chip.rect.x, chip.rect.y),
            status: pod.status.clone(),
            label,
            name,
            status_text,
        }
    }
}

fn svg_element(
    document: &web_sys::Document,
    tag: &str,
    attributes: &[(&str, &str)],
) -> Option<web_sys::Element> {
    let element = document.create_element_ns(Some(SVG_NS), tag).ok()?;
    for (name, value) in attributes {
        element.set_attribute(name, value).ok()?;
    }
    Some(element)
}

impl ChipPrototypes {
    fn new(document: &web_sys::Document) -> Option<Self> {
        // The layout's compact chip size is the outline's.
        debug_assert_eq!(COMPACT_CHIP, (18.0, 18.0));
        let compact = svg_element(
            document,
            "path",
            &[
                ("tabindex", "0"),
                ("role", "button"),
                ("d", COMPACT_OUTLINE),
            ],
        )?;
        let (w, h) = FULL_CHIP;
        let full = svg_element(document, "g", &[("tabindex", "0"), ("role", "button")])?;
        for child in [
            svg_element(
                document,
                "rect",
                &[
                    ("width", &format!("{w:.1}")),
                    ("height", &format!("{h:.1}")),
                    ("rx", "6"),
                ],
            )?,
            svg_element(
                document,
                "text",
                &[("class", "tp-chip-name"), ("x", "8"), ("y", "15")],
            )?,
            svg_element(
                document,
                "text",
                &[("class", "tp-chip-status"), ("x", "8"), ("y", "29")],
            )?,
        ] {
            full.append_child(&child).ok()?;
        }
        Some(Self { full, compact })
    }
}

impl DrawnChip {
    fn create(
        prototypes: &ChipPrototypes,
        chip: &Chip,
        look: ChipLook,
        fade_in: bool,
    ) -> Option<Self> {
        let prototype = if chip.compact {
            &prototypes.compact
        } else {
            &prototypes.full
        };
        let element: web_sys::Element = prototype.clone_node_with_deep(true).ok()?.unchecked_into();
        element.set_attribute("data-ns", &chip.pod.namespace).ok()?;
        element.set_attribute("data-pod", &chip.pod.name).ok()?;
        let texts = if chip.compact {
            None
        } else {
            let name = element.first_element_child()?.next_element_sibling()?;
            let status = name.next_element_sibling()?;
            Some(ChipTexts { name, status })
        };
        let mut drawn = Self {
            element,
            compact: chip.compact,
            texts,
            look: ChipLook::default(),
        };
        drawn.show(look);
        if fade_in {
            // Not part of the look: the next change of class ends it, by then long done.
            let class = format!("{} tp-chip-enter", drawn.look.class);
            let _ = drawn.element.set_attribute("class", &class);
        }
        Some(drawn)
    }

    /// Writes what differs from what the chip shows.
    fn show(&mut self, look: ChipLook) {
        let old = &self.look;
        let element = &self.element;
        if look.class != old.class {
            let _ = element.set_attribute("class", &look.class);
        }
        if look.transform != old.transform {
            let _ = element.set_attribute("transform", &look.transform);
        }
        if look.status != old.status {
            let _ = element.set_attribute("data-status", &look.status);
        }
        if look.label != old.label {
            let _ = element.set_attribute("aria-label", &look.label);
        }
        if let Some(texts) = &self.texts {
            if look.name != old.name {
                texts.name.set_text_content(Some(&look.name));
            }
            if look.status_text != old.status_text {
                texts.status.set_text_content(Some(&look.status_text));
            }
        }
        self.look = look;
    }
}

impl ChipLayer {
    /// Draws the chips of `layout` unless they are drawn already.
    fn draw(
        &mut self,
        layer: &web_sys::Element,
        layout: &Shared<GraphLayout>,
        selected: Option<&ObjectRef>,
    ) {
        let same_layer = self
            .layer
            .as_ref()
            .is_some_and(|drawn_in| drawn_in.is_same_node(Some(layer)));
        if same_layer
            && self
                .drawn_for
                .as_ref()
                .is_some_and(|(l, s)| l == layout && s.as_ref() == selected)
        {
            return;
        }
        let started = perf::now();
        perf::stamp("chips");
        self.sync(layer, &layout.0.chips, selected);
        self.drawn_for = Some((layout.clone(), selected.cloned()));
        perf::graph_committed(layout.0.pods, layout.0.chips.len(), perf::now() - started);
    }

    /// Makes `layer` hold one chip per entry of `chips`, in that order (the tab order).
    fn sync(&mut self, layer: &web_sys::Element, chips: &[Rc<Chip>], selected: Option<&ObjectRef>) {
        if !self
            .layer
            .as_ref()
            .is_some_and(|drawn_in| drawn_in.is_same_node(Some(layer)))
        {
            self.drawn.clear();
            self.layer = Some(layer.clone());
        }
        let Some(document) = layer.owner_document() else {
            return;
        };
        if self.prototypes.is_none() {
            self.prototypes = ChipPrototypes::new(&document);
        }
        let Some(prototypes) = &self.prototypes else {
            return;
        };
        let focused = document.active_element();

        let wanted: HashSet<&str> = chips.iter().map(|chip| chip.id.as_str()).collect();
        self.drawn.retain(|id, drawn| {
            let keep = wanted.contains(id.as_str());
            if !keep {
                drawn.element.remove();
            }
            keep
        });
        let new_chips = chips
            .iter()
            .filter(|chip| {
                self.drawn
                    .get(&chip.id)
                    .is_none_or(|drawn| drawn.compact != chip.compact)
            })
            .count();
        let fade_in = new_chips <= FADE_IN_UP_TO;
        for chip in chips {
            let is_selected = selected.is_some_and(|s| {
                s.kind == ObjectKind::Pod
                    && s.namespace == chip.pod.namespace
                    && s.name == chip.pod.name
            });
            let look = ChipLook::of(chip, is_selected);
            match self.drawn.get_mut(&chip.id) {
                Some(drawn) if drawn.compact == chip.compact => drawn.show(look),
                _ => {
                    // New, or switching between full and compact: a fresh element.
                    if let Some(old) = self.drawn.remove(&chip.id) {
                        old.element.remove();
                    }
                    if let Some(drawn) = DrawnChip::create(prototypes, chip, look, fade_in) {
                        self.drawn.insert(chip.id.clone(), drawn);
                    }
                }
            }
        }
        // Put them in layout order, moving only the chips out of place (and the new ones).
        let mut cursor = layer.first_element_child();
        for chip in chips {
            let Some(drawn) = self.drawn.get(&chip.id) else {
                continue;
            };
            if cursor
                .as_ref()
                .is_some_and(|c| c.is_same_node(Some(&drawn.element)))
            {
                cursor = drawn.element.next_element_sibling();
            } else {
                let before: Option<&web_sys::Node> = cursor.as_ref().map(|c| c.as_ref());
                let _ = layer.insert_before(&drawn.element, before);
            }
        }
        // A moved element loses focus: give it back.
        if let Some(focused) = focused
            && focused.is_connected()
            && !document
                .active_element()
                .is_some_and(|now| now.is_same_node(Some(&focused)))
        {
            let _ = focused.unchecked_ref::<web_sys::HtmlElement>().focus();
        }
    }
}
