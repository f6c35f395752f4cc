//! `TransferAdapter`: Import from another app (with the preview), Export for another app, and
//! the Google Authenticator QR pages.

use std::rc::Rc;

use slint::{ComponentHandle, Image, Model, ModelRc, SharedPixelBuffer, SharedString};

use super::super::controller::Controller;
use super::super::flow::{ExportForm, Flow};
use super::super::messages::{self, shown};
use super::super::worker::transfer::OtherApp;
use super::super::{AppWindow, ImportRow, Texts, TransferAdapter};
use crate::transfer::{Format, Status};
use zeroize::Zeroizing;

pub(crate) fn connect(window: &AppWindow, c: &Rc<Controller>) {
    let transfer = window.global::<TransferAdapter>();
    let texts = window.global::<Texts>();
    transfer.set_supported(Format::supported().join(", ").into());
    let formats: Vec<SharedString> = (0..OtherApp::ALL.len())
        .map(|i| texts.invoke_export_format(i as i32))
        .collect();
    transfer.set_export_formats(ModelRc::from(formats.as_slice()));
    transfer.set_export_format(0);
    transfer.set_import_file(SharedString::new());
    transfer.set_export_file(SharedString::new());

    transfer.on_preview(callback!(c, |c, request| {
        c.act(|f| f.preview_import(&request.file, &request.password))
    }));
    transfer.on_toggle(callback!(c, |c, index| {
        if let Ok(i) = usize::try_from(index) {
            c.act(|f| f.toggle_row(i))
        }
    }));
    transfer.on_import_chosen(callback!(c, |c| c.act(Flow::import_chosen)));
    transfer.on_export(callback!(c, |c, form| {
        let form = ExportForm {
            app: usize::try_from(form.format).unwrap_or(0),
            file: form.file.to_string(),
            password: form.password.to_string(),
            again: form.again.to_string(),
            pin: form.pin.to_string(),
        };
        c.act(|f| f.export_other(&form))
    }));
    transfer.on_next_qr(callback!(c, |c| c.act(Flow::next_qr)));
}

pub(crate) fn show(window: &AppWindow, flow: &Flow) {
    let adapter = window.global::<TransferAdapter>();
    let texts = window.global::<Texts>();
    let transfer = &flow.transfer;
    adapter.set_import_title(transfer.title.as_str().into());
    let rows: Vec<ImportRow> = transfer
        .rows
        .iter()
        .map(|row| ImportRow {
            label: shown(&row.label),
            status: match &row.status {
                Status::New => texts.invoke_row_new(),
                Status::AlreadyHere(name) => texts.invoke_row_already_here(shown(name)),
                Status::NotImportable(why) => texts.invoke_row_not_importable(shown(why)),
            },
            selectable: !matches!(row.status, Status::NotImportable(_)),
            selected: row.selected,
        })
        .collect();
    // The rows change only when a file is read or a tick changes: a new model each time would
    // rebuild the list at every action elsewhere.
    let current = adapter.get_rows();
    if rows.len() != current.row_count()
        || rows
            .iter()
            .enumerate()
            .any(|(i, r)| current.row_data(i).as_ref() != Some(r))
    {
        adapter.set_rows(ModelRc::from(rows.as_slice()));
    }
    let chosen = flow.chosen_rows();
    adapter.set_import_button(if chosen > 0 {
        texts.invoke_import_button(chosen as i32)
    } else {
        SharedString::new()
    });
    adapter.set_import_notes(shown(&transfer.notes.join(" ")));
    adapter.set_import_error(messages::maybe(&texts, transfer.import_error.as_ref()));
    adapter.set_export_error(messages::maybe(&texts, transfer.export_error.as_ref()));
    adapter.set_skipped(if transfer.skipped.is_empty() {
        SharedString::new()
    } else {
        let names: Vec<String> = transfer
            .skipped
            .iter()
            .map(|(name, why)| format!("{name} ({why})"))
            .collect();
        texts.invoke_left_out(shown(&names.join(", ")))
    });
    let total = transfer.qr.len();
    let page = if total > 0 {
        texts.invoke_qr_page(transfer.qr_index as i32 + 1, total as i32)
    } else {
        SharedString::new()
    };
    // The page's text changes exactly when the code shown must (another page, another export,
    // none any more): only then is a PNG decoded, not at every action and tick. Leaving the
    // pages empties the text, and so drops the picture, which holds keys.
    if page != adapter.get_qr_page() {
        adapter.set_qr(
            transfer
                .qr
                .get(transfer.qr_index)
                .and_then(|png| qr_image(png))
                .unwrap_or_default(),
        );
        adapter.set_qr_page(page);
    }
    adapter.set_qr_last(transfer.qr_index + 1 >= total);
}

/// A QR code's PNG as an image for the window. The pixels hold keys: Slint keeps its own copy
/// for as long as the page shows; the decoded ones here are wiped at once.
fn qr_image(png: &[u8]) -> Option<Image> {
    let decoded = image::load_from_memory_with_format(png, image::ImageFormat::Png).ok()?;
    let (width, height) = (decoded.width(), decoded.height());
    let rgb = Zeroizing::new(decoded.to_rgb8().into_raw());
    drop(Zeroizing::new(decoded.into_bytes()));
    Some(Image::from_rgb8(SharedPixelBuffer::clone_from_slice(
        &rgb, width, height,
    )))
}
