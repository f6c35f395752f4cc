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
use std::time::{Duration, Instant};

use pocketpass::ui::{Config, Nav, PinAdapter, Screen};
use slint::ComponentHandle;

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
    let app = pocketpass::ui::init(Config::new(dir))?;
    // Slint's software renderer has no rendering notifier, so the first frame is taken as the
    // first turn of the event loop that runs timers: winit creates the window, and delivers
    // its first redraw (which the software renderer draws and presents), before that turn
    // ends. The same holds for the code screen after Unlock.
    let weak = app.window().as_weak();
    let first = slint::Timer::default();
    let poll = Rc::new(slint::Timer::default());
    let poll2 = poll.clone();
    first.start(slint::TimerMode::SingleShot, Duration::ZERO, move || {
        let first_frame_ms = start.elapsed().as_secs_f64() * 1000.0;
        let Some(w) = weak.upgrade() else { return };
        let Some(pin) = pin.clone() else {
            println!("{{\"first_frame_ms\": {first_frame_ms:.1}}}");
            let _ = slint::quit_event_loop();
            return;
        };
        // The probe of the data folder runs on the worker: wait for the Enter PIN screen.
        let unlock_started = Rc::new(Cell::new(None::<Instant>));
        let weak = w.as_weak();
        poll2.start(
            slint::TimerMode::Repeated,
            Duration::from_millis(1),
            move || {
                let Some(w) = weak.upgrade() else { return };
                match (w.global::<Nav>().get_screen(), unlock_started.get()) {
                    (Screen::Unlock, None) => {
                        unlock_started.set(Some(Instant::now()));
                        w.global::<PinAdapter>().invoke_unlock(pin.clone().into());
                    }
                    (Screen::Token | Screen::Tokens, Some(t)) => {
                        println!(
                        "{{\"first_frame_ms\": {first_frame_ms:.1}, \"unlock_to_code_ms\": {:.1}}}",
                        t.elapsed().as_secs_f64() * 1000.0
                    );
                        let _ = slint::quit_event_loop();
                    }
                    (Screen::Welcome | Screen::Wiped, _) => {
                        eprintln!("no vault to unlock in this folder");
                        let _ = slint::quit_event_loop();
                    }
                    _ => {}
                }
            },
        );
    });
    app.window().run()?;
    Ok(())
}
