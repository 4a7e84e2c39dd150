//! A splitter between two panes (the WAI-ARIA "window splitter" pattern): a focusable
//! `role="separator"` whose value is the first pane's share in percent. Arrow keys move it
//! (Shift: ten times as far), Home/End go to the limits, and a pointer drag follows the
//! pointer. Sizes are kept in `localStorage`, so a reload keeps the layout.

use yew::prelude::*;

/// Percent moved by one arrow key press.
pub const STEP: u8 = 2;
/// Percent moved with Shift held.
pub const BIG_STEP: u8 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// The panes are side by side (the bar is vertical): Left/Right move it.
    Vertical,
    /// The panes are stacked (the bar is horizontal): Up/Down move it.
    Horizontal,
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct SplitterProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub orientation: Orientation,
    /// The first (left or top) pane's share, percent.
    pub value: u8,
    pub min: u8,
    pub max: u8,
    /// The id of the pane the splitter sizes (`aria-controls`).
    pub controls: AttrValue,
    pub on_change: Callback<u8>,
}

/// The value after a key press, or `None` for a key the splitter does not use.
pub fn value_after_key(
    key: &str,
    shift: bool,
    orientation: Orientation,
    value: u8,
    min: u8,
    max: u8,
) -> Option<u8> {
    let step = if shift { BIG_STEP } else { STEP };
    let (less, more) = match orientation {
        Orientation::Vertical => ("ArrowLeft", "ArrowRight"),
        Orientation::Horizontal => ("ArrowUp", "ArrowDown"),
    };
    let next = match key {
        k if k == less => value.saturating_sub(step),
        k if k == more => value.saturating_add(step),
        "Home" => min,
        "End" => max,
        _ => return None,
    };
    Some(next.clamp(min, max))
}

/// The first pane's share when the pointer is at `position` (client pixels along the
/// splitter's axis), between the start of the pane before it and the end of the pane after.
fn value_at(element: &web_sys::Element, orientation: Orientation, position: f64) -> Option<f64> {
    let before = element
        .previous_element_sibling()?
        .get_bounding_client_rect();
    let after = element.next_element_sibling()?.get_bounding_client_rect();
    let (start, end) = match orientation {
        Orientation::Vertical => (before.left(), after.right()),
        Orientation::Horizontal => (before.top(), after.bottom()),
    };
    (end > start).then(|| (position - start) / (end - start) * 100.0)
}

#[function_component(Splitter)]
pub fn splitter(props: &SplitterProps) -> Html {
    let dragging = use_mut_ref(|| false);
    // Yew delegates events to the app's root, so an event's current target is not this bar.
    let bar = use_node_ref();
    let (min, max, orientation) = (props.min, props.max, props.orientation);
    // The value as last moved: keys pressed faster than the page re-renders build on it,
    // not on the props of the last render.
    let current = use_mut_ref(|| props.value);
    *current.borrow_mut() = props.value;
    let onkeydown = {
        let on_change = props.on_change.clone();
        Callback::from(move |event: KeyboardEvent| {
            let value = *current.borrow();
            if let Some(next) = value_after_key(
                &event.key(),
                event.shift_key(),
                orientation,
                value,
                min,
                max,
            ) {
                event.prevent_default();
                *current.borrow_mut() = next;
                on_change.emit(next);
            }
        })
    };
    let onpointerdown = {
        let (dragging, bar) = (dragging.clone(), bar.clone());
        Callback::from(move |event: PointerEvent| {
            if let Some(element) = bar.cast::<web_sys::Element>() {
                // Moves keep coming here while the pointer is outside the bar.
                let _ = element.set_pointer_capture(event.pointer_id());
                *dragging.borrow_mut() = true;
                event.prevent_default();
            }
        })
    };
    let onpointermove = {
        let (dragging, on_change, bar) = (dragging.clone(), props.on_change.clone(), bar.clone());
        Callback::from(move |event: PointerEvent| {
            if !*dragging.borrow() {
                return;
            }
            let Some(element) = bar.cast::<web_sys::Element>() else {
                return;
            };
            let position = match orientation {
                Orientation::Vertical => f64::from(event.client_x()),
                Orientation::Horizontal => f64::from(event.client_y()),
            };
            if let Some(share) = value_at(&element, orientation, position) {
                let share = share.round().clamp(f64::from(min), f64::from(max));
                // Clamped to min..=max (both u8), so the cast cannot truncate.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                on_change.emit(share as u8);
            }
        })
    };
    let onpointerup = { Callback::from(move |_: PointerEvent| *dragging.borrow_mut() = false) };
    let aria_orientation = match orientation {
        Orientation::Vertical => "vertical",
        Orientation::Horizontal => "horizontal",
    };
    html! {
        <div class={classes!("tp-splitter", format!("tp-splitter-{aria_orientation}"))}
             ref={bar} id={props.id.clone()} role="separator" tabindex="0"
             aria-label={props.label.clone()} aria-orientation={aria_orientation}
             aria-controls={props.controls.clone()}
             aria-valuenow={props.value.to_string()} aria-valuemin={min.to_string()}
             aria-valuemax={max.to_string()}
             {onkeydown} {onpointerdown} {onpointermove}
             onpointerup={onpointerup.clone()} onpointercancel={onpointerup}>
        </div>
    }
}

/// A saved size from `localStorage`, if there is one in `min..=max`.
pub fn load_size(key: &str, min: u8, max: u8) -> Option<u8> {
    let storage = web_sys::window()?.local_storage().ok()??;
    let value: u8 = storage.get_item(key).ok()??.parse().ok()?;
    (min..=max).contains(&value).then_some(value)
}

/// Keeps a size for the next visit (a browser without storage just forgets it).
pub fn save_size(key: &str, value: u8) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, &value.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_move_the_splitter_within_its_limits() {
        let v = Orientation::Vertical;
        assert_eq!(value_after_key("ArrowLeft", false, v, 50, 20, 80), Some(48));
        assert_eq!(value_after_key("ArrowRight", true, v, 50, 20, 80), Some(60));
        assert_eq!(value_after_key("ArrowRight", true, v, 75, 20, 80), Some(80));
        assert_eq!(value_after_key("ArrowLeft", true, v, 21, 20, 80), Some(20));
        assert_eq!(value_after_key("Home", false, v, 50, 20, 80), Some(20));
        assert_eq!(value_after_key("End", false, v, 50, 20, 80), Some(80));
        // Up/Down belong to a horizontal bar.
        assert_eq!(value_after_key("ArrowUp", false, v, 50, 20, 80), None);
        let h = Orientation::Horizontal;
        assert_eq!(value_after_key("ArrowUp", false, h, 50, 20, 80), Some(48));
        assert_eq!(value_after_key("ArrowDown", false, h, 50, 20, 80), Some(52));
        assert_eq!(value_after_key("Enter", false, h, 50, 20, 80), None);
    }
}
