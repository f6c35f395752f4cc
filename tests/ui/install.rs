//! First start: from Install key to the rolling code, as the centre's instructions tell it.

use super::support::*;
use pocketpass::scan::SourceError;
use pocketpass::ui::Screen;
use pocketpass::vault;

/// RFC 6238, appendix B: at T = 59 the SHA-1 test key gives 94287082; six digits: 287082.
/// (<https://www.rfc-editor.org/rfc/rfc6238#appendix-B>)
const RFC_T: u64 = 59;
const RFC_CODE: &str = "287 082";
/// The start of the next period (step 2), whose code the test takes from the otp module;
/// the RFC vector above checks that module independently.
const NEXT_STEP_T: u64 = 60;

#[test]
fn installing_a_key_from_the_portals_qr_shows_its_code() {
    let link = portal_link("Pocket Pass 1", "2028-11-28");
    // The scanner spreads its costlier attempts over frames, as a camera sends many.
    let mut frames = vec![empty_frame()];
    frames.extend(std::iter::repeat_with(|| qr_frame(&link)).take(12));
    let h = Harness::new(RFC_T, frames);
    assert_eq!(h.screen(), Screen::Welcome);

    h.press("Install key");
    assert_eq!(h.screen(), Screen::Add);
    h.press("Use camera");

    // The portal named the token; the QR carried the issuer and the expiry.
    assert_eq!(h.screen(), Screen::Found, "labels: {:?}", h.labels());
    assert!(h.has("Token name: Pocket Pass 1"));
    assert!(h.has("Issued by HPC Centre") || h.labels().iter().any(|l| l.contains("HPC Centre")));
    h.press("Install this key");

    // Choose a PIN: refused with the rule, then accepted.
    assert_eq!(h.screen(), Screen::ChoosePin);
    h.type_into("New PIN", "1234");
    h.type_into("Confirm PIN", "1234");
    h.press("Protect key");
    assert_eq!(h.screen(), Screen::ChoosePin);
    assert_eq!(
        h.notices(),
        vec!["A PIN needs at least 6 digits.".to_owned()]
    );
    h.type_into("New PIN", "123456");
    h.type_into("Confirm PIN", "123456");
    h.press("Protect key");
    assert!(
        h.notices()[0].contains("first ones anyone would try"),
        "{:?}",
        h.notices()
    );
    h.type_into("New PIN", "482916");
    h.type_into("Confirm PIN", "482961");
    h.press("Protect key");
    assert!(h.notices()[0].contains("differ"), "{:?}", h.notices());
    h.type_into("New PIN", "482916");
    h.type_into("Confirm PIN", "482916");
    h.press("Protect key");

    assert_eq!(h.screen(), Screen::Installed, "labels: {:?}", h.labels());
    assert!(vault::exists(h.dir.path()), "the vault file was written");
    h.press("Continue");

    assert_eq!(h.screen(), Screen::Token);
    assert!(h.has(&code_label(RFC_CODE)), "labels: {:?}", h.labels());
    assert!(h.has("1 second left"), "labels: {:?}", h.labels());
    assert!(h.has("Token Pocket Pass 1"));
}

#[test]
fn the_code_rolls_over_with_the_clock_and_the_next_code_shows_in_the_last_seconds() {
    let link = portal_link("Pocket Pass 1", "2028-11-28");
    let h = Harness::with_vault(RFC_T - 10, "482916", std::slice::from_ref(&link));
    h.type_into("PIN", "482916");
    h.press("Unlock");
    assert_eq!(h.screen(), Screen::Token, "labels: {:?}", h.labels());
    // T = 49: eleven seconds left of the RFC's step, no next code yet.
    assert!(h.has("11 seconds left"), "labels: {:?}", h.labels());
    assert!(h.has(&code_label(RFC_CODE)), "labels: {:?}", h.labels());
    assert!(!h.labels().iter().any(|l| l.starts_with("Next code")));
    let next = account(&link).code_at(NEXT_STEP_T).grouped();
    assert_ne!(next, RFC_CODE);

    // Five seconds before the change, the next code shows beside the current one.
    h.wait(6);
    assert!(h.has("5 seconds left"), "labels: {:?}", h.labels());
    assert!(
        h.has(&format!("Next code: {next}")),
        "labels: {:?}",
        h.labels()
    );
    // At T = 60 the new period starts: the next code is now the code, with a full ring.
    h.wait(5);
    assert!(h.has(&code_label(&next)), "labels: {:?}", h.labels());
    assert!(h.has("30 seconds left"), "labels: {:?}", h.labels());
}

#[test]
fn a_pasted_link_installs_and_a_web_address_is_explained() {
    let h = Harness::new(RFC_T, Vec::new());
    h.press("Install key");
    h.press("Paste link");
    h.type_into("Key link", "https://portal.example.org/tokens");
    h.press("Use link");
    assert_eq!(
        h.screen(),
        Screen::Add,
        "a web address is not a key: the screen stays"
    );
    let notices = h.notices();
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0].contains("not an authenticator key"),
        "{notices:?}"
    );

    h.type_into("Key link", &portal_link("laptop", "2028-11-28"));
    h.press("Use link");
    assert_eq!(h.screen(), Screen::Found);
    assert!(h.has("Token name: laptop"));
}

#[test]
fn a_qr_code_that_is_not_a_key_is_named_and_the_camera_keeps_looking() {
    let link = portal_link("Pocket Pass 1", "2028-11-28");
    let h = Harness::new(
        RFC_T,
        std::iter::repeat_with(|| qr_frame("https://portal.example.org/login"))
            .take(12)
            .chain(std::iter::repeat_with(|| qr_frame(&link)).take(12))
            .collect(),
    );
    h.press("Install key");
    h.press("Use camera");
    // The camera read both codes; the web address was explained, then the key was taken.
    assert_eq!(h.screen(), Screen::Found, "labels: {:?}", h.labels());
    assert!(h.has("Token name: Pocket Pass 1"));
}

#[test]
fn a_camera_that_shows_no_code_says_so_and_offers_the_other_ways() {
    let h = Harness::new(RFC_T, vec![empty_frame(), empty_frame()]);
    h.press("Install key");
    h.press("Use camera");
    assert_eq!(h.screen(), Screen::Add);
    let preview = h.find("Camera preview");
    let status = preview.accessible_description().unwrap_or_default();
    assert!(status.contains("camera stopped"), "{status}");
    assert_other_sources_offered(&h);
}

#[test]
fn a_key_typed_in_by_hand_is_checked_like_a_scanned_one() {
    let h = Harness::new(RFC_T, Vec::new());
    h.press("Install key");
    h.press("Enter key manually");
    assert_eq!(h.screen(), Screen::Manual);
    h.type_into("Name", "workstation");
    h.type_into("Secret key", "not base32!");
    h.press("Add key");
    assert_eq!(h.screen(), Screen::Manual);
    assert!(h.notices()[0].contains("base32"), "{:?}", h.notices());
    h.type_into("Secret key", &RFC_SECRET.to_lowercase());
    h.press("Add key");
    assert_eq!(h.screen(), Screen::Found);
    assert!(h.has("Token name: workstation"));
}

#[test]
fn an_open_image_that_cannot_be_read_says_why() {
    let h = Harness::new(RFC_T, Vec::new());
    h.press("Install key");
    h.press("Open image");
    let missing = h.dir.path().join("no-such-qr.png");
    h.type_into("Image file", &missing.display().to_string());
    h.press("Open the image file");
    assert_eq!(h.screen(), Screen::Add);
    assert!(
        h.notices()[0].contains("no-such-qr.png"),
        "{:?}",
        h.notices()
    );
}

#[test]
fn a_missing_or_refused_camera_is_explained_and_the_other_ways_stay_offered() {
    type MakeError = fn() -> SourceError;
    let cases: [(MakeError, &str); 3] = [
        (|| SourceError::NoCamera, "No camera was found"),
        (
            || SourceError::PermissionDenied,
            "may not use the camera. Allow camera access",
        ),
        // Android's dialog is up: answer it, then try again (not: go to the settings).
        (
            || SourceError::PermissionAsked,
            "Android asks whether Pocket Pass may use the camera. Allow it, then tap Use camera.",
        ),
    ];
    for (error, expected) in cases {
        let h = Harness::camera_fails(RFC_T, error);
        h.press("Install key");
        if !h.has("Stop camera") && h.has("Use camera") {
            h.press("Use camera");
        }
        assert_eq!(h.screen(), Screen::Add, "the scan screen stays");
        let shown = h.notices().join(" ") + " " + &h.labels().join(" ");
        assert!(shown.contains(expected), "{expected:?} not in {shown:?}");
        assert_other_sources_offered(&h);
        // And another way works: the portal's link, pasted.
        h.press("Paste link");
        h.type_into("Key link", &portal_link("laptop", "2028-11-28"));
        h.press("Use link");
        assert_eq!(h.screen(), Screen::Found);
    }
}

/// Without a camera, every other way to install a key stays on the scan screen.
fn assert_other_sources_offered(h: &Harness) {
    for other in [
        "Scan screen",
        "Open image",
        "Paste link",
        "Enter key manually",
    ] {
        assert!(h.has(other), "{other} is still offered");
    }
}

/// The text a field labelled `label` holds now.
fn field_text(h: &Harness, label: &str) -> String {
    h.all(label)
        .into_iter()
        .find(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::TextInput))
        .and_then(|e| e.accessible_value())
        .unwrap_or_else(|| panic!("no text field labelled {label:?}; labels: {:?}", h.labels()))
        .to_string()
}

/// Issue 12, item 1: a Google export with no accounts (`data=` empty) panicked the UI thread,
/// which indexed the first account of an empty list. It is refused with the reason, and the
/// screen stays.
#[test]
fn pasting_a_google_export_with_no_accounts_explains_and_does_not_panic() {
    let h = Harness::new(RFC_T, Vec::new());
    h.press("Install key");
    h.press("Paste link");
    h.type_into("Key link", "otpauth-migration://offline?data=");
    h.press("Use link");
    assert_eq!(h.screen(), Screen::Add);
    let notices = h.notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("Google Authenticator export with no accounts"),
        "{notices:?}"
    );
    assert!(!vault::exists(h.dir.path()), "nothing was created");
}

/// Issue 12, item 2: an export claiming 4,294,967,295 parts made the window list every missing
/// part number (gigabytes). It is refused at once.
#[test]
fn an_export_claiming_four_billion_parts_is_refused() {
    let h = Harness::new(RFC_T, Vec::new());
    h.press("Install key");
    h.press("Paste link");
    h.type_into("Key link", "otpauth-migration://offline?data=GP////8P");
    h.press("Use link");
    assert_eq!(h.screen(), Screen::Add);
    let notices = h.notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("cannot be used"), "{notices:?}");
}

/// Issue 12, item 6: the pasted link (which holds the key) stayed in its field after use.
#[test]
fn the_pasted_link_leaves_its_field_once_used() {
    let h = Harness::new(RFC_T, Vec::new());
    h.press("Install key");
    h.press("Paste link");
    h.type_into("Key link", "https://portal.example.org/tokens");
    h.press("Use link");
    assert_eq!(h.screen(), Screen::Add);
    assert_eq!(field_text(&h, "Key link"), "");
}

/// Issue 12, item 6: a refused PIN stayed in the Choose-PIN fields for the next person at the
/// screen.
#[test]
fn a_refused_pin_leaves_the_choose_pin_fields() {
    let h = Harness::new(RFC_T, Vec::new());
    h.press("Install key");
    h.press("Paste link");
    h.type_into("Key link", &portal_link("laptop", "2028-11-28"));
    h.press("Use link");
    h.press("Install this key");
    assert_eq!(h.screen(), Screen::ChoosePin);
    h.type_into("New PIN", "482916");
    h.type_into("Confirm PIN", "482961");
    h.press("Protect key");
    assert!(h.notices()[0].contains("differ"), "{:?}", h.notices());
    assert_eq!(field_text(&h, "New PIN"), "");
    assert_eq!(field_text(&h, "Confirm PIN"), "");
}

/// Issue 12, item 5: a label carrying terminal control characters is shown with them escaped,
/// on Key found and on the code screen.
#[test]
fn control_characters_in_a_label_are_shown_escaped() {
    let link = "otpauth://totp/%1B%5D0%3Bpwned%07laptop?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
                &issuer=HPC%0ACentre";
    let h = Harness::new(RFC_T, Vec::new());
    h.press("Install key");
    h.press("Paste link");
    h.type_into("Key link", link);
    h.press("Use link");
    assert_eq!(h.screen(), Screen::Found, "{:?}", h.notices());
    let labels = h.labels();
    assert!(
        labels
            .iter()
            .any(|l| l.contains("\\u{1b}]0;pwned\\u{7}laptop")),
        "{labels:?}"
    );
    assert!(
        labels.iter().all(|l| !l.chars().any(|c| c.is_control())),
        "a control character reached the screen: {labels:?}"
    );
}
