//! "Code not accepted?": the help page for the token on the code screen, the clock check that
//! runs for it off the UI thread, the time server, and the corrected time.
//!
//! The checks are [`crate::clock::diagnose`]'s, as for `pocketpass doctor`. The correction
//! lives in [`DeviceClock`] (this device's `clock.json`): off by default, shown on the code
//! screens while on, and following the latest measurement, so a clock fixed later does not
//! leave the codes wrong the other way.

use super::shown::{shown, HelpTopic};
use super::{Effect, Flow, HelpShown, Note, Screen};
use crate::clock::device::{DeviceClock, DeviceClockError};
use crate::clock::diagnose::{diagnose, time_source, ClockCheck, Diagnosis, Verdict};
use crate::clock::{ClockError, Source};

/// The help page's state while it is open.
pub(super) struct Help {
    /// The vault position of the token it is about.
    index: usize,
    /// Its clock is [`ClockCheck::NotMeasured`] exactly while a measurement of
    /// `time_source` runs: the page starts one as it opens.
    diagnosis: Diagnosis,
    /// Why the time server typed last cannot be used.
    server_error: Option<ClockError>,
}

impl Flow {
    /// The time the codes are for: the clock's, corrected when the user chose so.
    pub(super) fn code_time(&self) -> u64 {
        self.device_clock.code_time(self.now())
    }

    /// This device's clock settings as read at start (the controller reads the file). A
    /// damaged file is said once and the defaults are used; it is left alone until a setting
    /// changes.
    pub(crate) fn set_device_clock(&mut self, settings: Result<DeviceClock, DeviceClockError>) {
        match settings {
            Ok(settings) => self.device_clock = settings,
            Err(e) => {
                tracing::warn!("clock settings: {e}");
                self.toast(Note::ClockSettings(e));
            }
        }
    }

    /// "Code not accepted?" on the code screen: the checks for its token, the clock's
    /// measured on a thread of its own.
    pub(crate) fn open_help(&mut self) {
        let Some(account) = self.accounts.get(self.current) else {
            return;
        };
        let diagnosis = diagnose(account, self.now(), &self.device_clock.fallback_source());
        self.help = Some(Help {
            index: self.current,
            diagnosis,
            server_error: None,
        });
        self.measure_clock();
        self.go(Screen::Help);
    }

    /// "Check again": measures the clock once more, unless a measurement runs already.
    pub(crate) fn check_clock_again(&mut self) {
        let running = self
            .help
            .as_ref()
            .is_some_and(|h| matches!(h.diagnosis.clock, Some(ClockCheck::NotMeasured)));
        if !running {
            self.measure_clock();
        }
    }

    /// Asks for a measurement of the page's time source (none for an HOTP key).
    fn measure_clock(&mut self) {
        let Some(help) = self.help.as_mut() else {
            return;
        };
        if help.diagnosis.clock.is_none() {
            return;
        }
        help.diagnosis.clock = Some(ClockCheck::NotMeasured);
        let source = help.diagnosis.time_source.clone();
        self.ask(Effect::MeasureClock(source));
    }

    /// A clock measurement came back (see [`Effect::MeasureClock`]).
    pub(crate) fn clock_measured(&mut self, source: Source, result: Result<i64, ClockError>) {
        if !self.unlocked {
            return;
        }
        // Only the answer of the source the page asks now counts (not one replaced since).
        let Some(help) = self.help.as_mut() else {
            return;
        };
        if help.diagnosis.time_source != source {
            return;
        }
        let follow = match (&result, self.device_clock.corrected_seconds) {
            // The correction follows the clock: fixed later, the codes stay right.
            (Ok(n), Some(on)) if *n != on => Some(*n),
            _ => None,
        };
        help.diagnosis.clock = Some(match result {
            Ok(n) => ClockCheck::Offset(n),
            Err(e) => ClockCheck::Failed(e),
        });
        if let Some(n) = follow {
            self.device_clock.corrected_seconds = Some(n);
            self.save_device_clock();
            self.ask(Effect::Tick);
        }
    }

    /// The time server for keys that name no portal, as typed on the help page; measured
    /// again at once when this token uses it.
    pub(crate) fn set_time_server(&mut self, typed: &str) {
        if self.help.is_none() {
            return;
        }
        let mut settings = self.device_clock.clone();
        if let Err(e) = settings.set_fallback(typed) {
            if let Some(help) = self.help.as_mut() {
                help.server_error = Some(e);
            }
            return;
        }
        self.device_clock = settings;
        self.save_device_clock();
        let fallback = self.device_clock.fallback_source();
        let Some(help) = self.help.as_mut() else {
            return;
        };
        help.server_error = None;
        let Some(account) = self.accounts.get(help.index) else {
            return;
        };
        let (source, unusable) = time_source(account, &fallback);
        if help.diagnosis.time_source != source {
            help.diagnosis.time_source = source;
            help.diagnosis.time_source_unusable = unusable;
            self.measure_clock();
        }
    }

    /// "Show codes for the corrected time": on with the measured offset, or off.
    pub(crate) fn set_corrected(&mut self, on: bool) {
        let offset = self.help.as_ref().and_then(|h| match h.diagnosis.clock {
            Some(ClockCheck::Offset(n)) => Some(n),
            _ => None,
        });
        let wanted = if on { offset } else { None };
        if on && wanted.is_none() {
            return;
        }
        if self.device_clock.corrected_seconds != wanted {
            self.device_clock.corrected_seconds = wanted;
            self.save_device_clock();
            self.ask(Effect::Tick);
        }
    }

    /// "Turn off" on the code screens' corrected-time notice.
    pub(crate) fn correction_off(&mut self) {
        if self.device_clock.corrected_seconds.take().is_some() {
            self.save_device_clock();
            self.ask(Effect::Tick);
            self.toast(Note::CorrectionOff);
        }
    }

    fn save_device_clock(&mut self) {
        let settings = self.device_clock.clone();
        self.ask(Effect::SaveClock(settings));
    }

    /// Closes the help page (back, lock, the token gone).
    pub(super) fn close_help(&mut self) {
        self.help = None;
    }

    /// The help page at the clock's current time.
    pub(crate) fn help(&self) -> HelpShown {
        let Some(help) = self.help.as_ref() else {
            return HelpShown::default();
        };
        let d = &help.diagnosis;
        let name = self
            .accounts
            .get(help.index)
            .map(|a| shown(&a.display_name()))
            .unwrap_or_default();
        let mut items = vec![
            (
                d.installed_verdict(),
                HelpTopic::Installed(d.installed.clone()),
            ),
            (d.expires_verdict(), HelpTopic::Expires(d.expires.clone())),
        ];
        if let (Some(verdict), Some(check)) = (d.clock_verdict(), d.clock.clone()) {
            items.push((
                verdict,
                HelpTopic::Clock {
                    check,
                    source: d.time_source.clone(),
                    unusable: d.time_source_unusable.clone(),
                },
            ));
        }
        if d.seconds_left.is_some() {
            // The countdown runs while the page is open.
            let left = self
                .accounts
                .get(help.index)
                .and_then(|a| a.seconds_left(self.code_time()))
                .unwrap_or(0);
            items.push((Verdict::Unknown, HelpTopic::Reused { seconds_left: left }));
        }
        if let Some(counter) = d.hotp_counter {
            items.push((Verdict::Unknown, HelpTopic::Hotp { counter }));
        }
        // What is wrong first; the order above (the centre's) otherwise.
        items.sort_by_key(|(verdict, _)| *verdict);
        let uses_time_server =
            d.clock.is_some() && d.time_source == self.device_clock.fallback_source();
        HelpShown {
            name,
            items,
            can_correct: d.clock_off_by(),
            corrected: self.device_clock.corrected_seconds,
            uses_time_server,
            time_server: self.device_clock.fallback.clone().unwrap_or_default(),
            server_error: help.server_error.clone().map(Note::Clock),
        }
    }
}
