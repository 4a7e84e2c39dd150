//! The playground's part of the UI state: the cluster view the graph draws, the inspector,
//! the events timeline's filters, notices, the theme. A pure reducer, like [`crate::state`],
//! which embeds it as `AppState::playground` and forwards `AppAction::Playground`.

use std::rc::Rc;
use tidepool_worker::protocol::{ClusterView, InspectView, Notice, ObjectRef, ViewDelta};

/// The colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Dark,
    Light,
}

impl Theme {
    /// The `data-theme` attribute value and the saved setting.
    pub fn tag(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
        }
    }

    pub fn from_tag(tag: &str) -> Self {
        if tag == "light" {
            Theme::Light
        } else {
            Theme::Dark
        }
    }

    pub fn toggled(self) -> Self {
        match self {
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::Dark,
        }
    }
}

/// Which events the timeline lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventTypeFilter {
    #[default]
    All,
    Normal,
    Warning,
}

impl EventTypeFilter {
    pub fn admits(self, event_type: &str) -> bool {
        match self {
            EventTypeFilter::All => true,
            EventTypeFilter::Normal => event_type == "Normal",
            EventTypeFilter::Warning => event_type == "Warning",
        }
    }
}

/// The inspector panel: one object, one tab, the tab's text once it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspector {
    pub target: ObjectRef,
    pub tab: InspectView,
    /// `(text, ok)`; `None` while loading.
    pub text: Option<(String, bool)>,
    /// The delete button was pressed: ask before deleting.
    pub confirm_delete: bool,
    /// kubectl's answer to a delete.
    pub deleted: Option<(String, bool)>,
}

/// A file the worker produced, for the app to hand to the browser as a download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// Increases with each download, so the effect runs once per file.
    pub seq: u64,
    pub file_name: String,
    pub json: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlaygroundState {
    pub theme: Theme,
    /// The cluster as the worker last described it (shared: cloning the state is cheap).
    pub cluster: Rc<ClusterView>,
    /// Whether a view arrived yet.
    pub cluster_known: bool,
    /// Namespaces present in the view, sorted: kept with each view update, so rendering
    /// does not walk a thousand pods.
    cluster_namespaces: Rc<Vec<String>>,
    /// `None`: all namespaces.
    pub namespace: Option<String>,
    pub event_types: EventTypeFilter,
    pub inspector: Option<Inspector>,
    /// Notices to show, oldest first, each with an id for dismissing it.
    pub notices: Vec<(u64, Notice)>,
    next_notice: u64,
    /// The reset button was pressed: ask before resetting.
    pub confirm_reset: bool,
    pub download: Option<Download>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaygroundAction {
    ToggleTheme,
    /// Settings restored from a saved session.
    SetTheme(Theme),
    ClusterView(ClusterView),
    ClusterDelta(ViewDelta),
    SetNamespace(Option<String>),
    SetEventTypes(EventTypeFilter),
    /// Open the inspector on an object (YAML tab first).
    Inspect(ObjectRef),
    SelectTab(InspectView),
    CloseInspector,
    Inspected {
        target: ObjectRef,
        view: InspectView,
        text: String,
        ok: bool,
    },
    AskDelete,
    CancelDelete,
    Deleted {
        target: ObjectRef,
        text: String,
        ok: bool,
    },
    AskReset,
    CancelReset,
    /// The reset was confirmed and sent.
    ResetSent,
    Notice(Notice),
    DismissNotice(u64),
    DownloadReady {
        file_name: String,
        json: String,
    },
}

/// Notices kept at once; older ones are dropped from view (they were shown).
const NOTICE_LIMIT: usize = 4;

impl PlaygroundState {
    /// The pure transition function.
    pub fn apply(&self, action: PlaygroundAction) -> Self {
        let mut next = self.clone();
        match action {
            PlaygroundAction::ToggleTheme => next.theme = self.theme.toggled(),
            PlaygroundAction::SetTheme(theme) => next.theme = theme,
            PlaygroundAction::ClusterView(view) => {
                next.cluster = Rc::new(view);
                next.cluster_known = true;
                next.cluster_namespaces = Rc::new(namespaces_of(&next.cluster));
            }
            PlaygroundAction::ClusterDelta(delta) => {
                Rc::make_mut(&mut next.cluster).apply_owned(delta);
                let namespaces = namespaces_of(&next.cluster);
                if *self.cluster_namespaces != namespaces {
                    next.cluster_namespaces = Rc::new(namespaces);
                }
            }
            PlaygroundAction::SetNamespace(namespace) => next.namespace = namespace,
            PlaygroundAction::SetEventTypes(filter) => next.event_types = filter,
            PlaygroundAction::Inspect(target) => {
                next.inspector = Some(Inspector {
                    target,
                    tab: InspectView::Yaml,
                    text: None,
                    confirm_delete: false,
                    deleted: None,
                });
            }
            PlaygroundAction::SelectTab(tab) => {
                if let Some(inspector) = &mut next.inspector {
                    inspector.tab = tab;
                    inspector.text = None;
                }
            }
            PlaygroundAction::CloseInspector => next.inspector = None,
            PlaygroundAction::Inspected {
                target,
                view,
                text,
                ok,
            } => {
                // A late answer for another object or tab is dropped.
                if let Some(inspector) = &mut next.inspector
                    && inspector.target == target
                    && inspector.tab == view
                {
                    inspector.text = Some((text, ok));
                }
            }
            PlaygroundAction::AskDelete => {
                if let Some(inspector) = &mut next.inspector {
                    inspector.confirm_delete = true;
                }
            }
            PlaygroundAction::CancelDelete => {
                if let Some(inspector) = &mut next.inspector {
                    inspector.confirm_delete = false;
                }
            }
            PlaygroundAction::Deleted { target, text, ok } => {
                if let Some(inspector) = &mut next.inspector
                    && inspector.target == target
                {
                    inspector.confirm_delete = false;
                    inspector.deleted = Some((text, ok));
                }
            }
            PlaygroundAction::AskReset => next.confirm_reset = true,
            PlaygroundAction::CancelReset | PlaygroundAction::ResetSent => {
                next.confirm_reset = false;
                if matches!(action, PlaygroundAction::ResetSent) {
                    next.inspector = None;
                }
            }
            PlaygroundAction::Notice(notice) => {
                next.notices.push((self.next_notice, notice));
                next.next_notice = self.next_notice + 1;
                if next.notices.len() > NOTICE_LIMIT {
                    next.notices.remove(0);
                }
            }
            PlaygroundAction::DismissNotice(id) => next.notices.retain(|(n, _)| *n != id),
            PlaygroundAction::DownloadReady { file_name, json } => {
                let seq = self.download.as_ref().map_or(0, |d| d.seq + 1);
                next.download = Some(Download {
                    seq,
                    file_name,
                    json,
                });
            }
        }
        next
    }

    /// Namespaces present in the view, and the selected one, sorted (for the filter).
    pub fn namespaces(&self) -> Vec<String> {
        let mut names = (*self.cluster_namespaces).clone();
        if let Some(selected) = &self.namespace
            && let Err(at) = names.binary_search(selected)
        {
            names.insert(at, selected.clone());
        }
        names
    }
}

/// Namespaces of the view's pods, workloads and services, sorted, each once.
fn namespaces_of(view: &ClusterView) -> Vec<String> {
    let names: std::collections::BTreeSet<&str> = view
        .pods
        .values()
        .map(|p| p.namespace.as_str())
        .chain(view.workloads.values().map(|w| w.namespace.as_str()))
        .chain(view.services.values().map(|s| s.namespace.as_str()))
        .collect();
    names.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_worker::protocol::{Changes, ObjectKind, PodView};

    fn pod(name: &str, status: &str) -> PodView {
        PodView {
            namespace: "default".to_owned(),
            name: name.to_owned(),
            node: Some("node01".to_owned()),
            status: status.to_owned(),
            ready: "0/1".to_owned(),
            owner: None,
            cpu_request_milli: 0,
            memory_request_bytes: 0,
        }
    }

    #[test]
    fn deltas_update_the_shared_view() {
        let mut view = ClusterView::default();
        view.pods
            .insert("default/a".to_owned(), pod("a", "Pending"));
        view.pods
            .insert("default/c".to_owned(), pod("c", "Running"));
        let state = PlaygroundState::default().apply(PlaygroundAction::ClusterView(view));
        let kept = Rc::clone(&state.cluster);
        let next = state.apply(PlaygroundAction::ClusterDelta(ViewDelta {
            revision: 9,
            pods: Changes {
                upserted: vec![("default/b".to_owned(), pod("b", "Running"))],
                removed: vec!["default/a".to_owned()],
            },
            ..ViewDelta::default()
        }));
        assert_eq!(next.cluster.revision, 9);
        assert_eq!(
            next.cluster.pods.keys().collect::<Vec<_>>(),
            ["default/b", "default/c"],
            "b added, a removed"
        );
        assert!(
            kept.pods.contains_key("default/a"),
            "the old state is untouched"
        );
        assert!(
            std::ptr::eq(&kept.pods["default/c"], &next.cluster.pods["default/c"]),
            "an unchanged pod is shared with the old state, not copied"
        );
        assert_eq!(next.namespaces(), ["default"]);
        let filtered = next.apply(PlaygroundAction::SetNamespace(Some("other".to_owned())));
        assert_eq!(filtered.namespaces(), ["default", "other"]);
    }

    #[test]
    fn the_inspector_takes_only_answers_for_its_object_and_tab() {
        let target = ObjectRef {
            kind: ObjectKind::Pod,
            namespace: "default".to_owned(),
            name: "a".to_owned(),
        };
        let state = PlaygroundState::default()
            .apply(PlaygroundAction::Inspect(target.clone()))
            .apply(PlaygroundAction::SelectTab(InspectView::Describe))
            .apply(PlaygroundAction::Inspected {
                target: target.clone(),
                view: InspectView::Yaml,
                text: "late".to_owned(),
                ok: true,
            });
        assert_eq!(state.inspector.as_ref().and_then(|i| i.text.clone()), None);
        let state = state.apply(PlaygroundAction::Inspected {
            target,
            view: InspectView::Describe,
            text: "Name: a".to_owned(),
            ok: true,
        });
        assert_eq!(
            state.inspector.and_then(|i| i.text),
            Some(("Name: a".to_owned(), true))
        );
    }

    #[test]
    fn notices_are_bounded_and_dismissable() {
        let mut state = PlaygroundState::default();
        for _ in 0..6 {
            state = state.apply(PlaygroundAction::Notice(Notice::ClusterReset));
        }
        assert_eq!(
            state.notices.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            [2, 3, 4, 5]
        );
        let state = state.apply(PlaygroundAction::DismissNotice(3));
        assert_eq!(state.notices.len(), 3);
    }
}
