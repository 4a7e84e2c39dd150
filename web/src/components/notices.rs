//! Notices about the saved session (restored, set aside, storage failing, reset, import).

use crate::i18n::{Key, Lang, text};
use tidepool_worker::protocol::Notice;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct NoticesProps {
    pub lang: Lang,
    pub notices: Vec<(u64, Notice)>,
    pub on_dismiss: Callback<u64>,
}

/// The notice's sentence and whether it is a warning.
pub fn notice_text(lang: Lang, notice: &Notice) -> (String, bool) {
    let t = |key| text(lang, key);
    match notice {
        Notice::Restored { .. } => (t(Key::NoticeRestored).to_owned(), false),
        Notice::SetAside { reason, kept_as } => (
            format!(
                "{} \u{201c}{kept_as}\u{201d}. {}: {reason}",
                t(Key::NoticeSetAside),
                t(Key::Reason)
            ),
            true,
        ),
        Notice::StorageFailed { reason } => {
            (format!("{} {reason}", t(Key::NoticeStorageFailed)), true)
        }
        Notice::ClusterReset => (t(Key::NoticeReset).to_owned(), false),
        Notice::Imported => (t(Key::NoticeImported).to_owned(), false),
        Notice::ImportFailed { reason } => {
            (format!("{} {reason}", t(Key::NoticeImportFailed)), true)
        }
        Notice::TerminalNotOpened { reason } => {
            (format!("{} {reason}", t(Key::NoticeTerminalFailed)), true)
        }
    }
}

#[function_component(Notices)]
pub fn notices(props: &NoticesProps) -> Html {
    let items = props.notices.iter().map(|(id, notice)| {
        let (sentence, warning) = notice_text(props.lang, notice);
        let id = *id;
        html! {
            <div key={id} class={classes!("tp-notice", warning.then_some("tp-notice-warning"))}
                 role={if warning { "alert" } else { "status" }}>
                <span>{ sentence }</span>
                <button class="tp-close" aria-label={text(props.lang, Key::Dismiss)}
                        onclick={props.on_dismiss.reform(move |_: MouseEvent| id)}>{ "✕" }</button>
            </div>
        }
    });
    html! { <div class="tp-notices" id="notices">{ for items }</div> }
}
