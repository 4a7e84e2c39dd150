//! The Grad-CAM lab's state as a reducer over [`GradcamAction`]. Pure: native unit tests
//! drive it. The component sends worker requests; the reducer only records what happened.

use std::rc::Rc;
use tidepool_gradcam_worker::protocol::{AnalyseOptions, Analysis, WeightsSource};
use yew::Reducible;

/// Default heatmap opacity in the overlay (pytorch-grad-cam's image weight 0.5).
pub const DEFAULT_OPACITY: f32 = 0.5;
/// Class-search hits shown at most.
pub const SEARCH_LIMIT: usize = 8;

/// Where the model is.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ModelStatus {
    /// The lab has not asked for it yet.
    #[default]
    Idle,
    /// Weights arriving.
    Loading {
        received: u64,
        total: Option<u64>,
        source: WeightsSource,
    },
    /// Loaded on `backend`.
    Ready {
        backend: String,
        fallback_reason: Option<String>,
        source: WeightsSource,
        load_ms: f64,
    },
    /// Loading failed.
    Failed { message: String },
}

impl ModelStatus {
    /// Download progress in `[0, 1]`, when known.
    pub fn progress(&self) -> Option<f64> {
        match self {
            ModelStatus::Loading {
                received,
                total: Some(total),
                ..
            } if *total > 0 => Some((*received as f64 / *total as f64).clamp(0.0, 1.0)),
            ModelStatus::Ready { .. } => Some(1.0),
            _ => None,
        }
    }
}

/// The photo being explained.
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    /// File name or sample name (shown as text, never as HTML).
    pub label: String,
    pub bytes: Rc<Vec<u8>>,
}

/// Everything the lab shows.
#[derive(Debug, Clone, PartialEq)]
pub struct GradcamState {
    pub model: ModelStatus,
    /// The 1000 class names, once the worker sent them.
    pub class_names: Rc<Vec<String>>,
    pub options: AnalyseOptions,
    /// Heatmap opacity in the overlay, `[0, 1]`.
    pub opacity: f32,
    pub photo: Option<Photo>,
    /// The request whose answer is awaited; older answers are dropped.
    pub pending: Option<u32>,
    /// Ids handed out so far (the next request gets `requests + 1`).
    pub requests: u32,
    pub result: Option<Rc<Analysis>>,
    /// The last error for the user (bad file, failed analysis).
    pub error: Option<String>,
    pub class_query: String,
    /// The model was asked for [`WORKER_SILENT_AFTER_MS`] ago and the worker has said nothing
    /// yet (not even download progress): the banner says what may be wrong.
    pub worker_silent: bool,
}

/// How long the lab waits for the worker's first word before it warns. The worker's wasm is
/// about 19 MB, so a slow connection alone can take this long.
pub const WORKER_SILENT_AFTER_MS: u32 = 60_000;

impl Default for GradcamState {
    fn default() -> Self {
        Self {
            model: ModelStatus::Idle,
            class_names: Rc::default(),
            options: AnalyseOptions::default(),
            opacity: DEFAULT_OPACITY,
            photo: None,
            pending: None,
            requests: 0,
            result: None,
            error: None,
            class_query: String::new(),
            worker_silent: false,
        }
    }
}

impl GradcamState {
    /// Whether a request may be sent now (a photo and an id are there).
    pub fn request(&self) -> Option<(u32, Rc<Vec<u8>>, AnalyseOptions)> {
        let photo = self.photo.as_ref()?;
        let id = self.pending?;
        Some((id, photo.bytes.clone(), self.options))
    }

    /// Classes whose name contains the query (case-insensitive), at most [`SEARCH_LIMIT`].
    pub fn search_hits(&self) -> Vec<(u32, &str)> {
        let query = self.class_query.trim().to_lowercase();
        if query.is_empty() {
            return Vec::new();
        }
        self.class_names
            .iter()
            .enumerate()
            .filter(|(_, name)| name.to_lowercase().contains(&query))
            .take(SEARCH_LIMIT)
            .map(|(i, name)| (u32::try_from(i).unwrap_or(u32::MAX), name.as_str()))
            .collect()
    }

    /// The name of class `index`, if known.
    pub fn class_name(&self, index: u32) -> Option<&str> {
        self.class_names.get(index as usize).map(String::as_str)
    }
}

/// What can happen in the lab.
#[derive(Debug, Clone, PartialEq)]
pub enum GradcamAction {
    /// The lab opened and asked the worker for the model.
    LoadRequested,
    Progress {
        received: u64,
        total: Option<u64>,
        source: WeightsSource,
    },
    Ready {
        backend: String,
        fallback_reason: Option<String>,
        source: WeightsSource,
        load_ms: f64,
        class_names: Vec<String>,
    },
    LoadFailed {
        message: String,
    },
    /// [`WORKER_SILENT_AFTER_MS`] passed since the model was asked for.
    WorkerSilent,
    /// A new photo: analyse it with the current options (the class goes back to top-1).
    PhotoChosen {
        label: String,
        bytes: Rc<Vec<u8>>,
    },
    /// A file could not be read on the UI side.
    PhotoUnreadable {
        message: String,
    },
    /// New options: analyse the current photo again.
    OptionsChanged(AnalyseOptions),
    OpacityChanged(f32),
    ClassQueryChanged(String),
    Analysed(Rc<Analysis>),
    AnalysisFailed {
        request_id: u32,
        message: String,
    },
}

impl Reducible for GradcamState {
    type Action = GradcamAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        let mut next = (*self).clone();
        if matches!(
            action,
            GradcamAction::Progress { .. }
                | GradcamAction::Ready { .. }
                | GradcamAction::LoadFailed { .. }
        ) {
            next.worker_silent = false;
        }
        match action {
            GradcamAction::WorkerSilent => {
                next.worker_silent = matches!(
                    next.model,
                    ModelStatus::Loading {
                        received: 0,
                        total: None,
                        ..
                    }
                );
            }
            GradcamAction::LoadRequested => {
                if matches!(next.model, ModelStatus::Idle | ModelStatus::Failed { .. }) {
                    next.model = ModelStatus::Loading {
                        received: 0,
                        total: None,
                        source: WeightsSource::Network,
                    };
                }
            }
            GradcamAction::Progress {
                received,
                total,
                source,
            } => {
                if !matches!(next.model, ModelStatus::Ready { .. }) {
                    next.model = ModelStatus::Loading {
                        received,
                        total,
                        source,
                    };
                }
            }
            GradcamAction::Ready {
                backend,
                fallback_reason,
                source,
                load_ms,
                class_names,
            } => {
                next.model = ModelStatus::Ready {
                    backend,
                    fallback_reason,
                    source,
                    load_ms,
                };
                next.class_names = Rc::new(class_names);
            }
            GradcamAction::LoadFailed { message } => {
                next.model = ModelStatus::Failed { message };
                next.pending = None;
            }
            GradcamAction::PhotoChosen { label, bytes } => {
                next.photo = Some(Photo { label, bytes });
                next.options.class = None;
                next.error = None;
                next.requests += 1;
                next.pending = Some(next.requests);
            }
            GradcamAction::PhotoUnreadable { message } => next.error = Some(message),
            GradcamAction::OptionsChanged(options) => {
                next.options = options;
                if next.photo.is_some() {
                    next.requests += 1;
                    next.pending = Some(next.requests);
                }
            }
            GradcamAction::OpacityChanged(opacity) => {
                next.opacity = if opacity.is_finite() {
                    opacity.clamp(0.0, 1.0)
                } else {
                    DEFAULT_OPACITY
                };
            }
            GradcamAction::ClassQueryChanged(query) => next.class_query = query,
            GradcamAction::Analysed(analysis) => {
                if next.pending != Some(analysis.request_id) {
                    return self;
                }
                next.pending = None;
                next.error = None;
                next.result = Some(analysis);
            }
            GradcamAction::AnalysisFailed {
                request_id,
                message,
            } => {
                if next.pending != Some(request_id) {
                    return self;
                }
                next.pending = None;
                next.error = Some(message);
                // A failed photo must not leave the previous photo's result under its name.
                next.result = None;
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_gradcam_worker::protocol::{ClassScore, Timings};

    fn reduce(state: GradcamState, action: GradcamAction) -> GradcamState {
        (*Rc::new(state).reduce(action)).clone()
    }

    fn analysis(request_id: u32) -> Rc<Analysis> {
        let score = ClassScore {
            index: 282,
            name: "tiger cat".into(),
            probability: 0.5,
        };
        Rc::new(Analysis {
            request_id,
            options: AnalyseOptions::default(),
            backend: "flex".into(),
            top5: vec![score.clone()],
            explained: score,
            logits: vec![0.0; 1000],
            cam: vec![1.0],
            cam_width: 1,
            cam_height: 1,
            size: 1,
            image_rgba: vec![0, 0, 0, 255],
            heatmap_rgba: vec![255, 0, 0, 255],
            original_width: 1,
            original_height: 1,
            downscaled: false,
            timings: Timings::default(),
        })
    }

    #[test]
    fn a_silent_worker_is_reported_until_it_says_anything() {
        let asked = reduce(GradcamState::default(), GradcamAction::LoadRequested);
        let silent = reduce(asked, GradcamAction::WorkerSilent);
        assert!(silent.worker_silent);
        let progress = reduce(
            silent,
            GradcamAction::Progress {
                received: 10,
                total: Some(100),
                source: WeightsSource::Network,
            },
        );
        assert!(!progress.worker_silent);
        // Once it has spoken, the timer means nothing.
        assert!(!reduce(progress, GradcamAction::WorkerSilent).worker_silent);
    }

    #[test]
    fn loading_progress_then_ready() {
        let s = reduce(GradcamState::default(), GradcamAction::LoadRequested);
        assert_eq!(s.model.progress(), None);
        let s = reduce(
            s,
            GradcamAction::Progress {
                received: 25,
                total: Some(100),
                source: WeightsSource::Network,
            },
        );
        assert_eq!(s.model.progress(), Some(0.25));
        let s = reduce(
            s,
            GradcamAction::Ready {
                backend: "webgpu".into(),
                fallback_reason: None,
                source: WeightsSource::Network,
                load_ms: 10.0,
                class_names: vec![
                    "tench".into(),
                    "goldfish".into(),
                    "great white shark".into(),
                ],
            },
        );
        assert_eq!(s.model.progress(), Some(1.0));
        // A late progress message does not undo readiness.
        let s = reduce(
            s,
            GradcamAction::Progress {
                received: 1,
                total: None,
                source: WeightsSource::Cache,
            },
        );
        assert!(matches!(s.model, ModelStatus::Ready { .. }));
        let s = reduce(s, GradcamAction::ClassQueryChanged("  GOLD ".into()));
        assert_eq!(s.search_hits(), vec![(1, "goldfish")]);
        assert_eq!(s.class_name(2), Some("great white shark"));
        assert_eq!(s.class_name(5), None);
    }

    #[test]
    fn only_the_latest_request_is_shown() {
        let photo = |label: &str| GradcamAction::PhotoChosen {
            label: label.into(),
            bytes: Rc::new(vec![1, 2, 3]),
        };
        let s = reduce(GradcamState::default(), photo("a.png"));
        assert_eq!(s.pending, Some(1));
        let (id, bytes, _) = s.request().expect("request");
        assert_eq!((id, bytes.as_slice()), (1, &[1u8, 2, 3][..]));
        let options = AnalyseOptions {
            class: Some(285),
            ..AnalyseOptions::default()
        };
        let s = reduce(s, GradcamAction::OptionsChanged(options));
        assert_eq!(s.pending, Some(2));
        // The answer to request 1 arrives late: dropped.
        let s = reduce(s, GradcamAction::Analysed(analysis(1)));
        assert!(s.result.is_none());
        let s = reduce(s, GradcamAction::Analysed(analysis(2)));
        assert_eq!(s.result.as_ref().map(|a| a.request_id), Some(2));
        assert_eq!(s.pending, None);
        // A new photo resets the class to top-1.
        let s = reduce(s, photo("b.png"));
        assert_eq!(s.options.class, None);
        let s = reduce(
            s,
            GradcamAction::AnalysisFailed {
                request_id: 3,
                message: "the file is empty".into(),
            },
        );
        assert_eq!(s.error.as_deref(), Some("the file is empty"));
        assert!(s.result.is_none());
    }

    #[test]
    fn options_without_a_photo_send_nothing_and_opacity_is_clamped() {
        let s = reduce(
            GradcamState::default(),
            GradcamAction::OptionsChanged(AnalyseOptions::default()),
        );
        assert_eq!((s.pending, s.request()), (None, None));
        assert_eq!(
            reduce(s.clone(), GradcamAction::OpacityChanged(3.0)).opacity,
            1.0
        );
        assert_eq!(
            reduce(s, GradcamAction::OpacityChanged(f32::NAN)).opacity,
            DEFAULT_OPACITY
        );
    }
}
