//! The Grad-CAM lab's presentational components. They render props and emit callbacks;
//! every user-supplied string (file names) is rendered as text, never as HTML.

use std::rc::Rc;

use tidepool_gradcam_worker::blend::overlay_rgba;
use tidepool_gradcam_worker::protocol::{
    AnalyseOptions, Analysis, ColormapChoice, Layer, Method, WeightsSource,
};
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement, ImageData,
};
use yew::prelude::*;

use super::i18n::{GKey, gtext};
use super::lab::SAMPLES;
use super::state::ModelStatus;
use crate::i18n::Lang;

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

// ---------------------------------------------------------------- model banner

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct ModelBannerProps {
    pub lang: Lang,
    pub model: ModelStatus,
    /// The worker has not answered for a long time (see `GradcamState::worker_silent`).
    #[prop_or_default]
    pub worker_silent: bool,
    pub on_retry: Callback<()>,
}

/// Weight download progress, the backend in use, or why loading failed.
#[function_component(ModelBanner)]
pub fn model_banner(props: &ModelBannerProps) -> Html {
    let t = |key| gtext(props.lang, key);
    let body = match &props.model {
        ModelStatus::Idle => html! {},
        ModelStatus::Loading {
            received,
            total,
            source,
        } => {
            let label = match source {
                WeightsSource::Cache => t(GKey::LoadingFromCache),
                _ => t(GKey::Loading),
            };
            let amount = match total {
                Some(total) => format!("{} / {}", mib(*received), mib(*total)),
                None => mib(*received),
            };
            let (value, max) = match total {
                Some(total) if *total > 0 => ((*received).min(*total), *total),
                _ => (0, 0),
            };
            html! {
                <div class="gc-banner gc-loading" id="gc-model-status" role="status" aria-live="polite">
                    <label for="gc-progress">{ label }</label>
                    if max > 0 {
                        <progress id="gc-progress" value={value.to_string()} max={max.to_string()}></progress>
                    } else {
                        <progress id="gc-progress"></progress>
                    }
                    <span class="gc-amount">{ amount }</span>
                    if props.worker_silent {
                        <p class="gc-warning" id="gc-worker-silent" role="alert">{ t(GKey::WorkerSilent) }</p>
                    }
                </div>
            }
        }
        ModelStatus::Ready {
            backend,
            fallback_reason,
            source,
            load_ms,
        } => {
            let origin = match source {
                WeightsSource::Cache => t(GKey::WeightsFromCache),
                _ => t(GKey::WeightsDownloaded),
            };
            let badge = if backend == "webgpu" {
                "WebGPU"
            } else {
                "CPU (Flex)"
            };
            html! {
                <div class="gc-banner gc-ready" id="gc-model-status" role="status" aria-live="polite">
                    <span>{ t(GKey::Backend) }{ ": " }</span>
                    <strong id="gc-backend" class={classes!("gc-badge", format!("gc-badge-{backend}"))}>{ badge }</strong>
                    if let Some(reason) = fallback_reason {
                        <span class="gc-fallback" title={reason.clone()}>{ t(GKey::BackendFallback) }</span>
                    }
                    <span class="gc-muted">{ format!("{origin} · {load_ms:.0} ms · EfficientNet-Lite0 (ImageNet)") }</span>
                    <span class="gc-muted gc-privacy">{ t(GKey::PrivacyNote) }</span>
                </div>
            }
        }
        ModelStatus::Failed { message } => {
            let on_retry = props.on_retry.reform(|_: MouseEvent| ());
            html! {
                <div class="gc-banner gc-failed" id="gc-model-status" role="alert">
                    <span>{ t(GKey::LoadFailed) }{ " " }{ message.clone() }</span>
                    <button class="gc-button" onclick={on_retry}>{ t(GKey::Retry) }</button>
                </div>
            }
        }
    };
    html! {
        <header class="gc-head">
            <h2 class="gc-title">{ t(GKey::Title) }</h2>
            <p class="gc-intro">{ t(GKey::Intro) }</p>
            { body }
        </header>
    }
}

// ---------------------------------------------------------------- photo input

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct PhotoInputProps {
    pub lang: Lang,
    pub on_files: Callback<Option<web_sys::File>>,
    pub on_sample: Callback<(&'static str, &'static str)>,
    pub busy: bool,
    pub photo_label: Option<AttrValue>,
    pub error: Option<AttrValue>,
}

/// Drop zone, file picker and the sample photos.
#[function_component(PhotoInput)]
pub fn photo_input(props: &PhotoInputProps) -> Html {
    let t = |key| gtext(props.lang, key);
    let dragging = use_state(|| false);
    let on_change = props.on_files.reform(|event: Event| {
        let input: HtmlInputElement = event.target_unchecked_into();
        let file = input.files().and_then(|files| files.get(0));
        // Let the same file be chosen again.
        input.set_value("");
        file
    });
    let on_dragover = {
        let dragging = dragging.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(true);
        })
    };
    let on_dragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let on_drop = {
        let dragging = dragging.clone();
        let on_files = props.on_files.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(false);
            on_files.emit(
                event
                    .data_transfer()
                    .and_then(|data| data.files())
                    .and_then(|files| files.get(0)),
            );
        })
    };
    html! {
        <div class="gc-card">
            <div class={classes!("gc-drop", (*dragging).then_some("gc-drop-active"))}
                id="gc-drop" ondragover={on_dragover} ondragleave={on_dragleave} ondrop={on_drop}>
                <p class="gc-drop-title">{ t(GKey::DropHere) }</p>
                <label class="gc-button gc-primary" for="gc-file">{ t(GKey::ChooseFile) }</label>
                <input id="gc-file" class="gc-visually-hidden" type="file" accept="image/*" onchange={on_change} />
                <p class="gc-muted">{ t(GKey::PasteHint) }</p>
            </div>
            <div class="gc-samples" role="group" aria-label={t(GKey::Samples)}>
                <span class="gc-muted">{ t(GKey::OrSample) }</span>
                { for SAMPLES.iter().map(|&(file, label)| {
                    let onclick = props.on_sample.reform(move |_: MouseEvent| (file, label));
                    html! {
                        <button class="gc-button gc-sample" id={format!("gc-sample-{label}")} {onclick}>{ label }</button>
                    }
                }) }
            </div>
            <p class="gc-photo-line" aria-live="polite">
                if let Some(label) = &props.photo_label {
                    <span class="gc-photo-name">{ label.clone() }</span>
                }
                if props.busy {
                    <span class="gc-spinner" aria-hidden="true"></span>
                    <span id="gc-busy">{ t(GKey::Analysing) }</span>
                }
            </p>
            if let Some(error) = &props.error {
                <p class="gc-error" id="gc-error" role="alert">{ error.clone() }</p>
            }
        </div>
    }
}

// ---------------------------------------------------------------- top-5

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct TopFiveProps {
    pub lang: Lang,
    pub result: Option<Rc<Analysis>>,
    /// The class chosen by the user, if any (else the top-1 is explained).
    pub explained_class: Option<u32>,
    pub on_explain: Callback<Option<u32>>,
}

/// The five most probable classes with bars; clicking one explains it.
#[function_component(TopFive)]
pub fn top_five(props: &TopFiveProps) -> Html {
    let t = |key| gtext(props.lang, key);
    let Some(result) = &props.result else {
        return html! {};
    };
    html! {
        <div class="gc-card gc-top5" id="gc-top5">
            <h3>{ t(GKey::TopFive) }</h3>
            <ol class="gc-classes">
                { for result.top5.iter().map(|class| {
                    let index = class.index;
                    let explained = result.explained.index == index;
                    let onclick = props.on_explain.reform(move |_: MouseEvent| Some(index));
                    let percent = 100.0 * class.probability;
                    html! {
                        <li>
                            <button class={classes!("gc-class", explained.then_some("gc-class-explained"))}
                                aria-pressed={explained.to_string()}
                                title={t(GKey::ExplainThis)} {onclick}>
                                <span class="gc-class-name">{ class.name.clone() }</span>
                                <span class="gc-class-index">{ format!("#{index}") }</span>
                                <span class="gc-class-prob">{ format!("{percent:.1}%") }</span>
                                <span class="gc-bar" aria-hidden="true">
                                    <span class="gc-bar-fill" style={format!("width: {:.1}%", percent.clamp(0.0, 100.0))}></span>
                                </span>
                            </button>
                        </li>
                    }
                }) }
            </ol>
        </div>
    }
}

// ---------------------------------------------------------------- panels

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct PanelsProps {
    pub lang: Lang,
    pub result: Option<Rc<Analysis>>,
    pub opacity: f32,
    pub busy: bool,
    pub on_opacity: Callback<f32>,
}

fn draw(canvas: &NodeRef, rgba: &[u8], size: u32) {
    let Some(canvas) = canvas.cast::<HtmlCanvasElement>() else {
        return;
    };
    if rgba.len() != (size * size * 4) as usize {
        return;
    }
    canvas.set_width(size);
    canvas.set_height(size);
    let context = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
    if let (Some(context), Ok(data)) = (
        context,
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), size, size),
    ) {
        let _ = context.put_image_data(&data, 0.0, 0.0);
    }
}

fn download_png(canvas: &NodeRef, name: &str) {
    let Some(canvas) = canvas.cast::<HtmlCanvasElement>() else {
        return;
    };
    let Ok(url) = canvas.to_data_url_with_type("image/png") else {
        return;
    };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(anchor) = document.create_element("a") {
        let _ = anchor.set_attribute("href", &url);
        let _ = anchor.set_attribute("download", name);
        if let Ok(anchor) = anchor.dyn_into::<web_sys::HtmlElement>() {
            anchor.click();
        }
    }
}

/// Original | heatmap | overlay, the opacity slider, the download and the timings.
#[function_component(Panels)]
pub fn panels(props: &PanelsProps) -> Html {
    let t = |key| gtext(props.lang, key);
    let original = use_node_ref();
    let heatmap = use_node_ref();
    let overlay = use_node_ref();
    {
        let (original, heatmap) = (original.clone(), heatmap.clone());
        use_effect_with(props.result.clone(), move |result| {
            if let Some(r) = result {
                draw(&original, &r.image_rgba, r.size);
                draw(&heatmap, &r.heatmap_rgba, r.size);
            }
        });
    }
    {
        let overlay = overlay.clone();
        // Re-blended here when the opacity moves: the model does not run again.
        use_effect_with(
            (props.result.clone(), props.opacity.to_bits()),
            move |(result, bits)| {
                if let Some(r) = result {
                    let blended =
                        overlay_rgba(&r.image_rgba, &r.heatmap_rgba, f32::from_bits(*bits));
                    draw(&overlay, &blended, r.size);
                }
            },
        );
    }
    let Some(result) = &props.result else {
        return html! {
            <div class="gc-card gc-panels gc-empty">
                <p class="gc-muted">{ t(GKey::Intro) }</p>
            </div>
        };
    };
    let on_input = props.on_opacity.reform(|event: InputEvent| {
        let input: HtmlInputElement = event.target_unchecked_into();
        input.value().parse::<f32>().unwrap_or(50.0) / 100.0
    });
    let on_download = {
        let overlay = overlay.clone();
        let name = format!(
            "gradcam-{}-{}.png",
            result.explained.index,
            result.options.method.name().replace('+', "p")
        );
        Callback::from(move |_: MouseEvent| download_png(&overlay, &name))
    };
    let percent = (props.opacity * 100.0).round() as i32;
    let tm = result.timings;
    let panel = |id: &'static str, title: GKey, node: &NodeRef| {
        html! {
            <figure class="gc-panel">
                <canvas id={id} ref={node.clone()} width="224" height="224"
                    role="img" aria-label={t(title)}></canvas>
                <figcaption>{ t(title) }</figcaption>
            </figure>
        }
    };
    html! {
        <div class={classes!("gc-card", "gc-panels", props.busy.then_some("gc-stale"))} id="gc-panels">
            <p class="gc-explaining">
                { t(GKey::Explaining) }{ ": " }
                <strong id="gc-explained">{ format!("{} (#{})", result.explained.name, result.explained.index) }</strong>
                <span class="gc-muted">{ format!(" · {} · {} · {:.1}%", result.options.method.label(), result.options.layer.label(), 100.0 * result.explained.probability) }</span>
            </p>
            <div class="gc-panel-row">
                { panel("gc-original", GKey::Original, &original) }
                { panel("gc-heatmap", GKey::Heatmap, &heatmap) }
                { panel("gc-overlay", GKey::Overlay, &overlay) }
            </div>
            <div class="gc-panel-controls">
                <label for="gc-opacity">{ t(GKey::Opacity) }</label>
                <input id="gc-opacity" type="range" min="0" max="100" step="1"
                    value={percent.to_string()} oninput={on_input}
                    aria-valuetext={format!("{percent}%")} />
                <output for="gc-opacity">{ format!("{percent}%") }</output>
                <button class="gc-button" id="gc-download" onclick={on_download}>{ t(GKey::Download) }</button>
            </div>
            if result.downscaled {
                <p class="gc-muted">{ t(GKey::Downscaled) }</p>
            }
            if tm.reused_pass {
                <p class="gc-muted" id="gc-reused">{ t(GKey::ReusedPass) }</p>
            }
            <dl class="gc-timings" id="gc-timings" aria-label={t(GKey::Timings)}>
                <dt>{ t(GKey::Preprocess) }</dt><dd>{ format!("{:.0} ms", tm.preprocess_ms) }</dd>
                <dt>{ t(GKey::Forward) }</dt><dd>{ format!("{:.0} ms", tm.forward_ms) }</dd>
                <dt>{ t(GKey::Backward) }</dt><dd>{ format!("{:.0} ms", tm.backward_ms) }</dd>
                <dt>{ t(GKey::Map) }</dt><dd>{ format!("{:.0} ms", tm.map_ms) }</dd>
                <dt>{ t(GKey::Total) }</dt><dd><strong>{ format!("{:.0} ms", tm.total_ms) }</strong></dd>
                <dt>{ t(GKey::Backend) }</dt><dd>{ result.backend.clone() }</dd>
            </dl>
        </div>
    }
}

// ---------------------------------------------------------------- controls

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct ControlsProps {
    pub lang: Lang,
    pub options: AnalyseOptions,
    pub class_names: Rc<Vec<String>>,
    pub class_query: AttrValue,
    pub hits: Vec<(u32, AttrValue)>,
    pub on_options: Callback<AnalyseOptions>,
    pub on_explain: Callback<Option<u32>>,
    pub on_query: Callback<String>,
}

fn select_value(event: &Event) -> String {
    event.target_unchecked_into::<HtmlSelectElement>().value()
}

/// Method, layer, class (with search), colormap and crop.
#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let t = |key| gtext(props.lang, key);
    let options = props.options;
    let on_method = props.on_options.reform(move |event: Event| AnalyseOptions {
        method: Method::from_name(&select_value(&event)).unwrap_or_default(),
        ..options
    });
    let on_layer = props.on_options.reform(move |event: Event| AnalyseOptions {
        layer: Layer::from_name(&select_value(&event)).unwrap_or_default(),
        ..options
    });
    let on_colormap = props.on_options.reform(move |event: Event| AnalyseOptions {
        colormap: ColormapChoice::from_name(&select_value(&event)).unwrap_or_default(),
        ..options
    });
    let on_whole = props.on_options.reform(move |event: Event| AnalyseOptions {
        whole_image: event.target_unchecked_into::<HtmlInputElement>().checked(),
        ..options
    });
    let on_query = props
        .on_query
        .reform(|event: InputEvent| event.target_unchecked_into::<HtmlInputElement>().value());
    let on_top = props.on_explain.reform(|_: MouseEvent| None);
    let class_label = match options.class {
        None => t(GKey::TopPrediction).to_owned(),
        Some(index) => match props.class_names.get(index as usize) {
            Some(name) => format!("{name} (#{index})"),
            None => format!("#{index}"),
        },
    };
    html! {
        <div class="gc-card gc-controls" id="gc-controls">
            <div class="gc-field">
                <label for="gc-method">{ t(GKey::Method) }</label>
                <select id="gc-method" onchange={on_method}>
                    { for Method::ALL.iter().map(|m| html! {
                        <option value={m.name()} selected={*m == options.method}>{ m.label() }</option>
                    }) }
                </select>
            </div>
            <div class="gc-field">
                <label for="gc-layer">{ t(GKey::Layer) }</label>
                <select id="gc-layer" onchange={on_layer}>
                    { for Layer::ALL.iter().map(|l| html! {
                        <option value={l.name()} selected={*l == options.layer}>{ l.label() }</option>
                    }) }
                </select>
            </div>
            <div class="gc-field">
                <label for="gc-colormap">{ t(GKey::Colormap) }</label>
                <select id="gc-colormap" onchange={on_colormap}>
                    { for ColormapChoice::ALL.iter().map(|c| html! {
                        <option value={c.name()} selected={*c == options.colormap}>{ c.label() }</option>
                    }) }
                </select>
            </div>
            <div class="gc-field gc-check">
                <input id="gc-whole" type="checkbox" checked={options.whole_image} onchange={on_whole} />
                <label for="gc-whole">{ t(GKey::WholeImage) }</label>
            </div>
            <div class="gc-field gc-class-field">
                <span class="gc-label">{ t(GKey::Class) }{ ": " }<strong id="gc-class-choice">{ class_label }</strong></span>
                if options.class.is_some() {
                    <button class="gc-button" onclick={on_top}>{ t(GKey::TopPrediction) }</button>
                }
                <label for="gc-class-search" class="gc-visually-hidden">{ t(GKey::ClassSearch) }</label>
                <input id="gc-class-search" type="search" placeholder={t(GKey::ClassSearch)}
                    value={props.class_query.clone()} oninput={on_query} autocomplete="off"
                    disabled={props.class_names.is_empty()} />
                if !props.class_query.trim().is_empty() {
                    if props.hits.is_empty() {
                        <p class="gc-muted">{ t(GKey::NoMatch) }</p>
                    } else {
                        <ul class="gc-hits" aria-label={t(GKey::ClassSearch)}>
                            { for props.hits.iter().map(|(index, name)| {
                                let index = *index;
                                let onclick = props.on_explain.reform(move |_: MouseEvent| Some(index));
                                html! {
                                    <li><button class="gc-hit" {onclick}>
                                        { name.clone() }<span class="gc-class-index">{ format!(" #{index}") }</span>
                                    </button></li>
                                }
                            }) }
                        </ul>
                    }
                }
            </div>
        </div>
    }
}

// ---------------------------------------------------------------- explanation

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct ExplanationProps {
    pub lang: Lang,
}

/// What Grad-CAM is, after the seed notes.
#[function_component(Explanation)]
pub fn explanation(props: &ExplanationProps) -> Html {
    let t = |key| gtext(props.lang, key);
    html! {
        <details class="gc-card gc-explanation" id="gc-explanation" open=true>
            <summary>{ t(GKey::WhatIsIt) }</summary>
            <p>{ t(GKey::Explanation1) }</p>
            <p>{ t(GKey::Explanation2) }</p>
            <p>{ t(GKey::Explanation3) }</p>
        </details>
    }
}
