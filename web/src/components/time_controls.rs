//! Time controls: pause, speeds, a 10-second step, and the virtual clock.

use crate::i18n::{Key, Lang, text};
use crate::state::WorkerStatus;
use yew::prelude::*;

/// The speeds offered, in virtual seconds per real second.
pub const SPEEDS: [u32; 5] = [1, 2, 5, 10, 60];
/// What "step" advances, in milliseconds.
pub const STEP_MS: u64 = 10_000;

/// What the learner asked the clock to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeCommand {
    /// 0 pauses.
    SetSpeed(u32),
    /// Advance by [`STEP_MS`] now.
    Step,
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct TimeControlsProps {
    pub lang: Lang,
    pub worker: WorkerStatus,
    pub on_time: Callback<TimeCommand>,
}

/// `hh:mm:ss` of virtual time.
pub fn clock_text(virtual_time_ms: u64) -> String {
    let seconds = virtual_time_ms / 1000;
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[function_component(TimeControls)]
pub fn time_controls(props: &TimeControlsProps) -> Html {
    let t = |key| text(props.lang, key);
    let WorkerStatus::Ready {
        virtual_time_ms,
        speed,
        ..
    } = props.worker
    else {
        return html! {};
    };
    let command = |c: TimeCommand| props.on_time.reform(move |_: MouseEvent| c);
    let paused = speed == 0;
    html! {
        <section class="tp-time" aria-label={t(Key::VirtualTime)}>
            <h2>{ t(Key::VirtualTime) }</h2>
            <p class="tp-clock" id="virtual-clock">{ clock_text(virtual_time_ms) }</p>
            <div class="tp-time-buttons" role="group" aria-label={t(Key::Speed)}>
                <button id="time-pause" aria-pressed={paused.to_string()}
                        onclick={command(TimeCommand::SetSpeed(0))}>{ t(Key::Pause) }</button>
                { for SPEEDS.iter().map(|&s| html! {
                    <button aria-pressed={(speed == s).to_string()}
                            onclick={command(TimeCommand::SetSpeed(s))}>{ format!("{s}x") }</button>
                }) }
                <button id="time-step" onclick={command(TimeCommand::Step)}>{ t(Key::Step) }</button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_text_shows_hours_minutes_seconds() {
        assert_eq!(clock_text(0), "00:00:00");
        assert_eq!(clock_text(61_999), "00:01:01");
        assert_eq!(clock_text(3_723_000), "01:02:03");
    }
}
