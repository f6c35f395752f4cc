//! The app as a phone runs it (issue 16): leaving the foreground locks and covers, PIN fields
//! ask for the number keyboard and show dots, buttons are a finger high on a 360-wide phone, nothing
//! sits in the safe-area insets, Back goes back a screen (and out, locked, from the code
//! screen), and Scan barcode starts the camera as it opens.
//!
//! The system's pauses and resumes come in through `pocketpass::ui::lifecycle_event`, the call
//! the Android and iOS glue makes; Back and taps are the testing backend's window events.

use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementRoot};
use i_slint_core::items::{InputType, TextInput};
use i_slint_core::lengths::LogicalEdges;
use i_slint_core::window::WindowInner;
use pocketpass::ui::{lifecycle_event, Lifecycle, Screen};
use slint::platform::{Key, WindowEvent};
use slint::ComponentHandle;

use super::support::*;

const NOW: u64 = 1_795_000_000;
const PIN: &str = "482916";

fn one_token() -> Vec<String> {
    vec![portal_link("Pocket Pass 1", "2028-11-28")]
}

fn two_tokens() -> Vec<String> {
    vec![
        portal_link("workstation", "2028-11-28"),
        portal_link("laptop", "2028-11-28"),
    ]
}

/// A phone unlocked on a vault holding `links`.
fn unlocked_phone(links: &[String]) -> Harness {
    let h = Harness::phone_with_vault(NOW, PIN, links);
    h.type_into("PIN", PIN);
    h.press("Unlock");
    h
}

/// The keyboard the focused text field asks the system for: its input type, which Slint hands
/// to Android's and iOS's keyboards as the field takes the focus. None without a focused field.
fn keyboard(h: &Harness) -> Option<InputType> {
    let inner = WindowInner::from_pub(h.app.window().window());
    let item = inner.focus_item.borrow().upgrade()?;
    let input = item.downcast::<TextInput>()?;
    Some(
        TextInput::FIELD_OFFSETS
            .input_type()
            .apply_pin(input.as_pin_ref())
            .get(),
    )
}

/// The accessible value of the PIN field labelled `label` (what a screen reader reads out).
fn pin_value(h: &Harness, label: &str) -> String {
    h.all(label)
        .into_iter()
        .find(|e| e.accessible_role() == Some(AccessibleRole::TextInput))
        .and_then(|e| e.accessible_value())
        .unwrap_or_else(|| panic!("no field {label:?}; labels: {:?}", h.labels()))
        .to_string()
}

/// The phone's Back key, pressed and released.
fn press_back(h: &Harness) {
    let window = h.app.window().window();
    window.dispatch_event(WindowEvent::KeyPressed {
        text: Key::Back.into(),
    });
    window.dispatch_event(WindowEvent::KeyReleased {
        text: Key::Back.into(),
    });
    h.settle();
}

/// Every button on the screen now, with its label, top and height (logical pixels).
fn buttons(h: &Harness) -> Vec<(String, f32, f32)> {
    h.app
        .window()
        .root_element()
        .query_descendants()
        .match_accessible_role(AccessibleRole::Button)
        .find_all()
        .into_iter()
        .filter(|b| b.size().height > 0.0)
        .map(|b: ElementHandle| {
            (
                b.accessible_label().unwrap_or_default().to_string(),
                b.absolute_position().y,
                b.size().height,
            )
        })
        .collect()
}

/// What the cover says to a screen reader.
const COVER: &str = "Pocket Pass is hidden while it is not in front.";

/// The system takes the app away with `event`; the cover is seen up; then the app is back in
/// front. (Each step settled, so the screens really are hidden in between.)
fn away_and_back(h: &Harness, event: Lifecycle) {
    lifecycle_event(event);
    h.settle();
    assert!(h.has(COVER), "the cover is up: {:?}", h.labels());
    lifecycle_event(Lifecycle::Foreground);
    h.settle();
}

fn any_code_shown(h: &Harness) -> bool {
    h.labels().iter().any(|l| l.starts_with("Code "))
}

#[test]
fn leaving_the_foreground_locks_and_clears_the_codes() {
    let h = unlocked_phone(&one_token());
    assert_eq!(h.screen(), Screen::Token);
    assert!(any_code_shown(&h));
    assert!(lifecycle_event(Lifecycle::Background), "the app hears it");
    h.settle();
    assert_eq!(h.screen(), Screen::Unlock);
    assert!(!any_code_shown(&h));
    assert!(h.has(COVER), "the cover is up: {:?}", h.labels());
    assert!(!h.has("Unlock"), "nothing of the screen behind is shown");
    lifecycle_event(Lifecycle::Foreground);
    h.settle();
    assert!(!h.has(COVER));
    assert_eq!(h.screen(), Screen::Unlock, "locked until the PIN is typed");
    h.type_into("PIN", PIN);
    h.press("Unlock");
    assert!(any_code_shown(&h));
}

#[test]
fn a_half_typed_pin_is_gone_when_the_app_comes_back() {
    let h = Harness::phone_with_vault(NOW, PIN, &one_token());
    h.type_into("PIN", "482");
    assert_eq!(pin_value(&h, "PIN"), "3 digits");
    away_and_back(&h, Lifecycle::Background);
    assert_eq!(pin_value(&h, "PIN"), "");
    // The caret is back in the field, with the number keyboard.
    assert_eq!(keyboard(&h), Some(InputType::Number));
}

/// The cover used to take the keyboard focus with it: back in front, nothing had the focus,
/// so a phone's Back went nowhere (Android then closes the app) instead of a screen back.
#[test]
fn the_focus_comes_back_when_the_cover_goes() {
    let h = Harness::phone(NOW, Vec::new());
    h.press("Install key");
    h.press("Paste link");
    h.type_into("Key link", &one_token()[0]);
    h.press("Use link");
    assert_eq!(h.screen(), Screen::Found);
    away_and_back(&h, Lifecycle::Interrupted);
    press_back(&h);
    assert_eq!(h.screen(), Screen::Add, "Back went a screen back");
}

#[test]
fn the_permission_dialog_covers_the_code_and_the_user_comes_back_to_it() {
    let h = unlocked_phone(&one_token());
    let code = h.shown_code();
    lifecycle_event(Lifecycle::Interrupted);
    h.settle();
    assert!(!any_code_shown(&h), "covered: {:?}", h.labels());
    lifecycle_event(Lifecycle::Foreground);
    h.settle();
    assert_eq!(h.screen(), Screen::Token);
    assert_eq!(h.shown_code(), code);
}

#[test]
fn an_app_left_away_longer_than_the_auto_lock_is_locked_on_return() {
    let h = unlocked_phone(&one_token());
    lifecycle_event(Lifecycle::Interrupted);
    h.settle();
    h.wait(121);
    lifecycle_event(Lifecycle::Foreground);
    h.settle();
    assert_eq!(h.screen(), Screen::Unlock);
    assert!(!any_code_shown(&h));
}

#[test]
fn pin_fields_ask_for_the_number_keyboard_on_phones_and_show_dots_until_asked() {
    let h = Harness::phone_with_vault(NOW, PIN, &one_token());
    assert_eq!(h.screen(), Screen::Unlock);
    // Enter PIN puts the caret in its field as it opens: the system shows the number pad.
    assert_eq!(keyboard(&h), Some(InputType::Number));
    h.type_into("PIN", PIN);
    assert_eq!(pin_value(&h, "PIN"), "6 digits", "dots, not digits");
    h.press("Show PIN");
    assert_eq!(pin_value(&h, "PIN"), PIN, "shown when asked");
    h.press("Hide PIN");
    assert_eq!(pin_value(&h, "PIN"), "6 digits");
    h.press("Unlock");
    assert_eq!(h.screen(), Screen::Token);

    // Choose a PIN (a first start) does the same for both fields.
    let h = Harness::phone(NOW, Vec::new());
    h.press("Install key");
    h.press("Paste link");
    h.type_into("Key link", &one_token()[0]);
    h.press("Use link");
    h.press("Install this key");
    assert_eq!(h.screen(), Screen::ChoosePin);
    assert_eq!(
        keyboard(&h),
        Some(InputType::Number),
        "New PIN has the caret"
    );
    h.type_into("New PIN", PIN);
    h.type_into("Confirm PIN", PIN);
    assert_eq!(pin_value(&h, "New PIN"), "6 digits");
    assert_eq!(pin_value(&h, "Confirm PIN"), "6 digits");
}

#[test]
fn desktop_pin_fields_stay_password_fields() {
    let h = Harness::with_vault(NOW, PIN, &one_token());
    assert_eq!(keyboard(&h), Some(InputType::Password));
    h.type_into("PIN", PIN);
    assert_eq!(pin_value(&h, "PIN"), "6 digits");
}

#[test]
fn every_button_is_a_finger_high_on_a_360_wide_phone() {
    // 360 wide as a phone; taller than one so that no button is scrolled out of reach (a
    // button's height does not depend on the window's).
    let tall = |h: &Harness| {
        h.app
            .window()
            .window()
            .set_size(slint::LogicalSize::new(360.0, 3000.0));
        h.settle();
    };
    let h = Harness::phone(NOW, Vec::new());
    tall(&h);
    let mut seen = Vec::new();
    let mut check = |h: &Harness, screen: &str| {
        let found = buttons(h);
        assert!(!found.is_empty(), "{screen}: no buttons");
        for (label, _, height) in found {
            assert!(height >= 48.0, "{screen}: {label:?} is {height} px high");
            seen.push(format!("{screen}: {label}"));
        }
    };
    check(&h, "Welcome");
    h.press("Install key");
    check(&h, "Scan barcode");
    h.press("Enter key manually");
    check(&h, "Enter key manually");
    h.press("Back");
    h.press("Paste link");
    h.type_into("Key link", &two_tokens()[0]);
    h.press("Use link");
    check(&h, "Key found");
    h.press("Install this key");
    check(&h, "Choose a PIN");
    h.type_into("New PIN", PIN);
    h.type_into("Confirm PIN", PIN);
    h.press("Protect key");
    check(&h, "Key installed");
    h.press("Continue");
    check(&h, "code");
    h.press("Lock");
    check(&h, "Enter PIN");

    let h = unlocked_phone(&two_tokens());
    tall(&h);
    assert_eq!(h.screen(), Screen::Tokens);
    check(&h, "list");
    h.press("Settings");
    check(&h, "Settings");
    h.press("Import from another app");
    check(&h, "Import from another app");
    h.press("Back");
    h.press("Export for another app");
    check(&h, "Export for another app");
    assert!(seen.len() > 10, "{seen:?}");
}

#[test]
fn nothing_is_placed_in_the_safe_area_insets() {
    let h = unlocked_phone(&two_tokens());
    // A notch at the top, the gesture bar at the bottom, as Android and iOS report them.
    WindowInner::from_pub(h.app.window().window())
        .set_window_item_safe_area(LogicalEdges::new(44.0, 34.0, 0.0, 0.0));
    h.settle();
    for screen in ["list", "Settings"] {
        // The screen's frame (title bar and scrolling content) lies between the two.
        let frames = h
            .app
            .window()
            .root_element()
            .query_descendants()
            .match_inherits("Page")
            .find_all();
        assert_eq!(frames.len(), 1, "{screen}: one screen shows");
        let (y, height) = (frames[0].absolute_position().y, frames[0].size().height);
        assert_eq!((y, y + height), (44.0, 800.0 - 34.0), "{screen}");
        for (label, y, _) in buttons(&h) {
            assert!(y >= 44.0, "{screen}: {label:?} at y {y}, under the notch");
        }
        if screen == "list" {
            h.press("Settings");
        }
    }
}

#[test]
fn back_goes_back_a_screen_and_from_the_code_screen_leaves_locked() {
    let h = unlocked_phone(&one_token());
    h.press("Add another key");
    assert_eq!(h.screen(), Screen::Add);
    // A system dialog came and went (the camera permission's): Back still reaches the app.
    away_and_back(&h, Lifecycle::Interrupted);
    assert!(h.has("Paste link"), "{:?}", h.labels());
    press_back(&h);
    assert_eq!(h.screen(), Screen::Token, "a screen back");
    assert!(any_code_shown(&h));
    // Nothing behind the code screen: Back leaves the app to the system, locked first.
    press_back(&h);
    assert_eq!(h.screen(), Screen::Unlock);
    assert!(!any_code_shown(&h));
}

#[test]
fn scan_barcode_starts_the_camera_as_it_opens_on_a_phone() {
    let link = &one_token()[0];
    // The scanner spreads its costlier attempts over frames, as a camera sends many.
    let mut frames = vec![empty_frame()];
    frames.extend(std::iter::repeat_with(|| qr_frame(link)).take(12));
    let h = Harness::phone(NOW, frames);
    // No Use camera: opening Scan barcode starts the camera, and the code in view is read.
    h.press("Install key");
    assert_eq!(h.screen(), Screen::Found, "labels: {:?}", h.labels());
    assert!(h.has("Token name: Pocket Pass 1"), "{:?}", h.labels());
}
