//! `InstallAdapter`: Scan barcode (camera, screen, image, link), Enter key manually, Key found.

use std::path::PathBuf;
use std::rc::Rc;

use slint::{ComponentHandle, Image, ModelRc, Rgb8Pixel, SharedPixelBuffer, SharedString};

use super::super::controller::Controller;
use super::super::flow::Flow;
use super::super::{messages, AppWindow, InstallAdapter, ManualKeyForm, Texts};
use crate::otp::{self, Algorithm, ManualKey, ManualKind};
use crate::scan::{LumaFrame, Source};

pub(crate) fn connect(window: &AppWindow, c: &Rc<Controller>) {
    let install = window.global::<InstallAdapter>();
    install.set_desktop(c.desktop());
    // The manual form offers what the key rules allow, in their order: its indexes come back
    // in `manual_key`.
    let algorithms: Vec<SharedString> = Algorithm::ALL.iter().map(|a| a.as_str().into()).collect();
    install.set_algorithms(ModelRc::from(algorithms.as_slice()));
    let digits: Vec<SharedString> = otp::DIGITS.iter().map(|d| d.to_string().into()).collect();
    install.set_digit_choices(ModelRc::from(digits.as_slice()));

    install.on_install_key(callback!(c, |c| c.act(Flow::install_key)));
    install.on_start_camera(callback!(c, |c| c.act(Flow::start_camera)));
    install.on_stop_camera(callback!(c, |c| c.act(Flow::stop_camera)));
    install.on_scan_screen(callback!(c, |c| c.act(|f| f.scan(Source::Screen))));
    install.on_choose_image(callback!(c, |c| c.act(Flow::open_image)));
    install.on_open_image(callback!(c, |c, path| {
        c.act(|f| f.scan(Source::File(PathBuf::from(path.trim()))))
    }));
    install.on_paste_image(callback!(c, |c| c.act(|f| f.scan(Source::Clipboard))));
    install.on_paste_link(callback!(c, |c, link| c.act(|f| f.paste_link(&link))));
    install.on_show_manual(callback!(c, |c| c.act(Flow::show_manual)));
    install.on_manual_entry(callback!(c, |c, form| {
        let key = manual_key(&form);
        c.act(|f| f.manual_entry(&key))
    }));
    install.on_confirm(callback!(c, |c| c.act(Flow::confirm)));
}

pub(crate) fn show(window: &AppWindow, flow: &Flow) {
    let install = window.global::<InstallAdapter>();
    let texts = window.global::<Texts>();
    let shown = &flow.install;
    install.set_error(messages::maybe(&texts, shown.error.as_ref()));
    install.set_status(messages::maybe(&texts, shown.status.as_ref()));
    install.set_camera_on(shown.camera_on);
    install.set_typed_path(shown.typed_path);
    install.set_found_name(shown.found.name.as_str().into());
    install.set_found_issuer(shown.found.issuer.as_str().into());
    install.set_found_expiry(shown.found.expiry.as_str().into());
    install.set_found_count(if shown.found.count > 1 {
        texts.invoke_keys_count(shown.found.count as i32)
    } else {
        SharedString::new()
    });
    install.set_has_vault(shown.has_vault);
}

/// Shows a camera frame in the preview.
pub(crate) fn show_frame(window: &AppWindow, frame: &LumaFrame) {
    let mut buffer =
        SharedPixelBuffer::<Rgb8Pixel>::new(frame.width() as u32, frame.height() as u32);
    for (px, &v) in buffer.make_mut_slice().iter_mut().zip(frame.data()) {
        *px = Rgb8Pixel { r: v, g: v, b: v };
    }
    window
        .global::<InstallAdapter>()
        .set_camera_frame(Image::from_rgb8(buffer));
}

/// The manual form as the key rules take it; its choices are indexes into the lists
/// `connect` offered (anything else falls back to the first, the default).
fn manual_key(form: &ManualKeyForm) -> ManualKey {
    let pick = |i: i32| usize::try_from(i).unwrap_or(0);
    ManualKey {
        name: form.name.to_string(),
        issuer: form.issuer.to_string(),
        secret: form.secret.to_string(),
        algorithm: Algorithm::ALL
            .get(pick(form.algorithm))
            .copied()
            .unwrap_or_default(),
        digits: otp::DIGITS
            .get(pick(form.digits))
            .copied()
            .unwrap_or(otp::DIGITS[0]),
        kind: if form.hotp {
            ManualKind::Hotp
        } else {
            ManualKind::Totp {
                period: form.period.to_string(),
            }
        },
    }
}
