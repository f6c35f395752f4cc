//! Renders every screen of the app to `docs/screenshots/`, headless, with Slint's software
//! renderer: a phone (360×800 logical pixels at scale 2) and a desktop window (1024×700), and
//! the app icon to `assets/pocketpass.png` (256 px) and `assets/icons/hicolor/` (the other sizes
//! the Debian package installs).
//!
//! `cargo run --release --example screenshots` (the one command; no display needed); with
//! `-- --icons`, only the icons.
//!
//! It drives the real app through its adapters, with a real vault in a temporary folder (real
//! key derivation) and a fixed clock, so the screenshots show what users see.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use pocketpass::ui::{
    App, Config, HelpAdapter, IconWindow, ImportRequest, InstallAdapter, Nav, NewPin, OtherExport,
    PinAdapter, Screen, SettingsAdapter, TokensAdapter, TransferAdapter,
};
use slint::platform::software_renderer::{
    MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType,
};
use slint::platform::{Platform, WindowAdapter, WindowEvent};
use slint::{ComponentHandle, Rgb8Pixel, SharedPixelBuffer};

// A portal-like time source whose clock is ahead, for the "Code not accepted?" page (the
// tests' own, so the screenshots show what the tests check).
#[allow(dead_code)]
#[path = "../tests/common/time_sources.rs"]
mod time_sources;

/// 2026-11-28 12:00:10 UTC: twenty seconds left in the period.
const NOW: u64 = 1_795_867_210;

/// A platform whose every window is an off-screen software-rendered buffer.
struct Headless {
    latest: RefCell<Option<Rc<MinimalSoftwareWindow>>>,
    start: Instant,
}

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        *self.latest.borrow_mut() = Some(window.clone());
        Ok(window)
    }

    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
}

fn latest_window(platform: &Rc<Headless>) -> Rc<MinimalSoftwareWindow> {
    platform
        .latest
        .borrow()
        .clone()
        .expect("a window was created")
}

struct Shooter {
    out: PathBuf,
    suffix: &'static str,
    window: Rc<MinimalSoftwareWindow>,
    count: usize,
}

impl Shooter {
    /// Renders the window as it is now to `<out>/<name>-<suffix>.png`.
    fn shot(&mut self, name: &str) -> Result<()> {
        slint::platform::update_timers_and_animations();
        self.window.request_redraw();
        let size = self.window.size();
        let (w, h) = (size.width as usize, size.height as usize);
        let mut buffer = vec![Rgb8Pixel::default(); w * h];
        self.window.draw_if_needed(|renderer| {
            renderer.render(&mut buffer, w);
        });
        let bytes: Vec<u8> = buffer.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
        let path = self.out.join(format!("{name}-{}.png", self.suffix));
        image::save_buffer(&path, &bytes, w as u32, h as u32, image::ColorType::Rgb8)
            .with_context(|| format!("writing {}", path.display()))?;
        self.count += 1;
        println!("{}", path.display());
        Ok(())
    }
}

/// A camera frame: a QR code on a softly lit desk.
fn camera_frame(text: &str) -> SharedPixelBuffer<Rgb8Pixel> {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("fits in a QR code");
    let modules = code.width();
    let colors = code.to_colors();
    let (w, h) = (480usize, 480usize);
    let scale = 300 / (modules + 8);
    let size = (modules + 8) * scale;
    let (x0, y0) = ((w - size) / 2, (h - size) / 2);
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(w as u32, h as u32);
    for (i, px) in buffer.make_mut_slice().iter_mut().enumerate() {
        let (x, y) = (i % w, i / w);
        let light = 90 + ((x + y) * 60 / (w + h)) as u8;
        let mut v = light;
        if (x0..x0 + size).contains(&x) && (y0..y0 + size).contains(&y) {
            let (mx, my) = ((x - x0) / scale, (y - y0) / scale);
            let dark = (4..modules + 4).contains(&mx)
                && (4..modules + 4).contains(&my)
                && colors[(my - 4) * modules + mx - 4] == qrcode::Color::Dark;
            v = if dark { 25 } else { 230 };
        }
        *px = Rgb8Pixel {
            r: v,
            g: v,
            b: v.saturating_add(6),
        };
    }
    buffer
}

/// A PIN typed twice, as Choose a PIN hands it over.
fn new_pin(pin: &str) -> NewPin {
    NewPin {
        pin: pin.into(),
        again: pin.into(),
    }
}

/// The portal's link for token `name`; each name gets its own (made-up) secret, so each
/// token shows its own code.
fn link(name: &str, expires: &str) -> String {
    let secret = data_encoding::BASE32_NOPAD.encode(format!("{name:-<20}").as_bytes());
    format!(
        "otpauth://totp/HPC%20Centre:{name}?secret={secret}\
         &issuer=HPC%20Centre&algorithm=SHA1&digits=6&period=30&expires={expires}"
    )
}

fn settle(app: &App) -> Result<()> {
    anyhow::ensure!(
        app.wait_for_worker(Duration::from_secs(120)),
        "the worker did not answer"
    );
    slint::platform::update_timers_and_animations();
    Ok(())
}

fn run_size(
    platform: &Rc<Headless>,
    out: &Path,
    suffix: &'static str,
    (width, height, scale): (f32, f32, f32),
) -> Result<usize> {
    let dir = tempfile::tempdir()?;
    let clock = Arc::new(AtomicU64::new(NOW));
    let mut config = Config::new(dir.path().to_owned());
    let c = clock.clone();
    config.clock = Arc::new(move || c.load(Ordering::SeqCst));
    // The phone's screens as phones get them (the number keyboard for PINs, touch-sized
    // buttons, the camera started as Scan barcode opens); its camera shows nothing here, and
    // the picture of one is set below.
    config.desktop = suffix == "desktop";
    config.open_camera = Arc::new(|| {
        Ok(Box::new(pocketpass::scan::PlaybackSource::new(Vec::new()))
            as Box<dyn pocketpass::scan::FrameSource>)
    });
    let app = pocketpass::ui::init(config)?;
    let ui = app.window();
    let slint_window = ui.window();
    slint_window.dispatch_event(WindowEvent::ScaleFactorChanged {
        scale_factor: scale,
    });
    slint_window.set_size(slint::LogicalSize::new(width, height));
    ui.show()?;
    let mut s = Shooter {
        out: out.to_owned(),
        suffix,
        window: latest_window(platform),
        count: 0,
    };
    settle(&app)?;
    s.shot("01-welcome")?;

    let install = ui.global::<InstallAdapter>();
    install.invoke_install_key();
    install.set_camera_on(true);
    install.set_camera_frame(slint::Image::from_rgb8(camera_frame(&link(
        "Pocket Pass 1",
        "2028-11-28",
    ))));
    install.set_status("Looking for a code…".into());
    s.shot("02-scan-barcode")?;
    install.set_camera_on(false);

    install.invoke_paste_link(link("Pocket Pass 1", "2028-11-28").into());
    s.shot("03-key-found")?;
    install.invoke_confirm();
    let pin = ui.global::<PinAdapter>();
    pin.invoke_choose(new_pin("1234"));
    s.shot("04-choose-pin-refused")?;
    pin.invoke_choose(new_pin("482916"));
    s.shot("05-protecting-key")?;
    settle(&app)?;
    s.shot("06-key-installed")?;
    let tokens = ui.global::<TokensAdapter>();
    tokens.invoke_continue_to_code();
    s.shot("07-code")?;
    clock.store(NOW + 17, Ordering::SeqCst);
    app.tick();
    s.shot("08-code-next-code")?;
    clock.store(NOW, Ordering::SeqCst);

    for (name, expires) in [("workstation", "2028-03-01"), ("laptop", "2026-12-10")] {
        install.invoke_install_key();
        install.invoke_paste_link(link(name, expires).into());
        install.invoke_confirm();
        settle(&app)?;
        tokens.invoke_continue_to_code();
    }
    s.shot("09-expiry-notice")?;
    ui.global::<Nav>().invoke_back();
    app.tick();
    s.shot("10-tokens")?;
    tokens.invoke_settings();
    ui.global::<SettingsAdapter>().set_message("".into());
    s.shot("11-settings")?;

    // Import from another app: a file of links (one installed already, one unreadable).
    let export = dir.path().join("other-app-export.txt");
    std::fs::write(
        &export,
        format!(
            "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub\n\
             otpauth://hotp/Work%20VPN:alice?secret=KRUGKIDROVUWG2ZAMJZG653OEBTG66BANJ2W24DT&counter=3\n\
             {}\n\
             otpauth://yubikey/alice?secret=JBSWY3DPEHPK3PXP\n",
            link("workstation", "2028-03-01")
        ),
    )?;
    let settings = ui.global::<SettingsAdapter>();
    let transfer = ui.global::<TransferAdapter>();
    settings.invoke_import_other();
    let path: slint::SharedString = export.display().to_string().into();
    transfer.set_import_file(path.clone());
    transfer.invoke_preview(ImportRequest {
        file: path,
        password: "".into(),
    });
    settle(&app)?;
    anyhow::ensure!(ui.global::<Nav>().get_screen() == Screen::ImportOther);
    s.shot("12-import-preview")?;
    ui.global::<Nav>().invoke_back();
    settings.invoke_export_other();
    transfer.set_export_format(1);
    transfer.invoke_export(OtherExport {
        format: 1,
        file: "".into(),
        password: "".into(),
        again: "".into(),
        pin: "".into(),
    });
    settle(&app)?;
    anyhow::ensure!(ui.global::<Nav>().get_screen() == Screen::ExportQr);
    s.shot("13-export-google-qr")?;
    ui.global::<Nav>().invoke_back();

    // Code not accepted?: a key just installed from a portal whose clock is 63 s ahead.
    let portal = time_sources::http_time_source(63);
    install.invoke_install_key();
    install.invoke_paste_link(
        format!(
            "{}{}",
            link("cluster", "2027-11-28"),
            time_sources::time_param(&portal)
        )
        .into(),
    );
    install.invoke_confirm();
    settle(&app)?;
    tokens.invoke_continue_to_code();
    tokens.invoke_help();
    settle(&app)?;
    anyhow::ensure!(ui.global::<Nav>().get_screen() == Screen::Help);
    s.shot("16-code-not-accepted")?;
    ui.global::<HelpAdapter>().invoke_set_corrected(true);
    ui.global::<Nav>().invoke_back();
    app.tick();
    s.shot("17-corrected-time")?;
    tokens.invoke_correction_off();
    ui.global::<Nav>().set_toast("".into());
    // A phone sent to the background (its home button): covered and locked. Desktops hear
    // of no such thing (a minimised window locks at the next tick, and shows nothing anyway).
    if suffix == "phone" {
        pocketpass::ui::lifecycle_event(pocketpass::ui::Lifecycle::Background);
        settle(&app)?;
        s.shot("18-away")?;
        pocketpass::ui::lifecycle_event(pocketpass::ui::Lifecycle::Foreground);
        settle(&app)?;
    }
    tokens.invoke_lock();
    settle(&app)?;
    ui.global::<Nav>().set_toast("".into());
    pin.invoke_unlock("000000".into());
    settle(&app)?;
    s.shot("14-enter-pin-wrong")?;
    for _ in 1..pocketpass::vault::MAX_ATTEMPTS {
        pin.invoke_unlock("000000".into());
        settle(&app)?;
    }
    anyhow::ensure!(ui.global::<Nav>().get_screen() == Screen::Wiped);
    s.shot("15-keys-wiped")?;
    Ok(s.count)
}

/// Renders the app icon at `size` × `size` pixels: the same 256-pixel drawing at scale
/// `size / 256`, so each size is drawn sharp rather than resized from another.
fn render_icon(platform: &Rc<Headless>, path: &Path, size: u32) -> Result<()> {
    let icon = IconWindow::new()?;
    icon.window()
        .dispatch_event(WindowEvent::ScaleFactorChanged {
            scale_factor: size as f32 / 256.0,
        });
    icon.show()?;
    let window = latest_window(platform);
    window.set_size(slint::PhysicalSize::new(size, size));
    slint::platform::update_timers_and_animations();
    window.request_redraw();
    let mut buffer = vec![PremultipliedRgbaColor::default(); (size * size) as usize];
    window.draw_if_needed(|renderer| {
        renderer.render(&mut buffer, size as usize);
    });
    let bytes: Vec<u8> = buffer
        .iter()
        .flat_map(|p| {
            let un = |c: u8| {
                if p.alpha == 0 {
                    0
                } else {
                    (c as u32 * 255 / p.alpha as u32).min(255) as u8
                }
            };
            [un(p.red), un(p.green), un(p.blue), p.alpha]
        })
        .collect();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    image::save_buffer(path, &bytes, size, size, image::ColorType::Rgba8)
        .with_context(|| format!("writing {}", path.display()))?;
    println!("{}", path.display());
    Ok(())
}

fn main() -> Result<()> {
    let platform = Rc::new(Headless {
        latest: RefCell::new(None),
        start: Instant::now(),
    });
    struct Shared(Rc<Headless>);
    impl Platform for Shared {
        fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
            self.0.create_window_adapter()
        }
        fn duration_since_start(&self) -> Duration {
            self.0.duration_since_start()
        }
    }
    slint::platform::set_platform(Box::new(Shared(platform.clone())))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("docs/screenshots");
    std::fs::create_dir_all(&out)?;
    let mut count = 0;
    if !std::env::args().any(|a| a == "--icons") {
        count += run_size(&platform, &out, "phone", (360.0, 800.0, 2.0))?;
        count += run_size(&platform, &out, "desktop", (1024.0, 700.0, 1.0))?;
    }
    // The window's icon, and the sizes of the hicolor icon theme the Debian package installs
    // (scripts/package-deb.sh; 256 is the window's icon).
    render_icon(&platform, &root.join("assets/pocketpass.png"), 256)?;
    for size in [16, 22, 24, 32, 48, 64, 128, 512] {
        let path = format!("assets/icons/hicolor/{size}x{size}/apps/pocketpass.png");
        render_icon(&platform, &root.join(path), size)?;
    }
    println!("{count} screenshots in {}", out.display());
    Ok(())
}
