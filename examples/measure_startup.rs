//! Measures the app's start on a real window (winit, software renderer): the time from
//! `main` to the first frame, and, given a PIN, from pressing Unlock to the code on screen.
//! Prints one JSON line and exits.
//!
//! `cargo run --release --example measure_startup -- --data-dir DIR [--pin-stdin]`
//! (under `xvfb-run -a` when there is no display). Process start to `main` is not included:
//! time the whole command for that.

use std::cell::Cell;
use std::io::BufRead;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use pocketpass::ui::{Config, Nav, PinAdapter, Screen};
use slint::{ComponentHandle, RenderingState};

fn main() -> anyhow::Result<()> {
    let start = Instant::now();
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut pin = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data-dir" => dir = args.next().map(PathBuf::from),
            "--pin-stdin" => {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                pin = Some(line.trim().to_owned());
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let dir = dir.ok_or_else(|| anyhow::anyhow!("give --data-dir DIR"))?;
    let app = Rc::new(pocketpass::ui::init(Config::new(dir))?);
    let first_frame = Rc::new(Cell::new(None::<f64>));
    let unlock_started = Rc::new(Cell::new(None::<Instant>));
    let weak = app.window().as_weak();
    let (ff, us) = (first_frame.clone(), unlock_started.clone());
    app.window()
        .window()
        .set_rendering_notifier(move |state, _| {
            if !matches!(state, RenderingState::AfterRendering) {
                return;
            }
            let Some(w) = weak.upgrade() else { return };
            let screen = w.global::<Nav>().get_screen();
            if ff.get().is_none() {
                ff.set(Some(start.elapsed().as_secs_f64() * 1000.0));
            }
            match (screen, &pin, us.get()) {
                (Screen::Unlock, Some(pin), None) => {
                    us.set(Some(Instant::now()));
                    // Not from inside the renderer's callback: on the next turn of the loop.
                    let (w, pin) = (w.as_weak(), pin.clone());
                    slint::Timer::single_shot(std::time::Duration::ZERO, move || {
                        if let Some(w) = w.upgrade() {
                            w.global::<PinAdapter>().invoke_unlock(pin.into());
                        }
                    });
                }
                (Screen::Token | Screen::Tokens, _, Some(t)) => {
                    println!(
                        "{{\"first_frame_ms\": {:.1}, \"unlock_to_code_ms\": {:.1}}}",
                        ff.get().unwrap_or(0.0),
                        t.elapsed().as_secs_f64() * 1000.0
                    );
                    let _ = slint::quit_event_loop();
                }
                (Screen::Welcome | Screen::Unlock | Screen::Wiped, None, _) => {
                    println!("{{\"first_frame_ms\": {:.1}}}", ff.get().unwrap_or(0.0));
                    let _ = slint::quit_event_loop();
                }
                _ => {}
            }
        })
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    app.window().run()?;
    Ok(())
}
