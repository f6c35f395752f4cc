//! `HelpAdapter`: the "Code not accepted?" page, its clock check, time server and corrected
//! time, with the flow's checks (`flow/help.rs`) put into words through `Texts`.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::super::controller::Controller;
use super::super::flow::{Flow, HelpTopic};
use super::super::{messages, AppWindow, HelpAdapter, HelpRow, Texts};
use crate::clock::diagnose::{ClockCheck, Expires, Installed, Verdict};
use crate::clock::Source;

pub(crate) fn connect(window: &AppWindow, c: &Rc<Controller>) {
    let help = window.global::<HelpAdapter>();
    help.on_check_again(callback!(c, |c| c.act(Flow::check_clock_again)));
    help.on_set_time_server(callback!(c, |c, typed| c.act(|f| f.set_time_server(&typed))));
    help.on_set_corrected(callback!(c, |c, on| c.act(|f| f.set_corrected(on))));
}

pub(crate) fn show(window: &AppWindow, flow: &Flow) {
    let help = window.global::<HelpAdapter>();
    let texts = window.global::<Texts>();
    let shown = flow.help();
    help.set_name(shown.name.as_str().into());
    let rows: Vec<HelpRow> = shown
        .items
        .iter()
        .map(|(verdict, topic)| row(&texts, *verdict, topic))
        .collect();
    help.set_measuring(shown.items.iter().any(|(_, topic)| {
        matches!(
            topic,
            HelpTopic::Clock {
                check: ClockCheck::NotMeasured,
                ..
            }
        )
    }));
    help.set_rows(ModelRc::new(VecModel::from(rows)));
    help.set_can_correct(shown.can_correct.is_some());
    help.set_corrected(shown.corrected.is_some());
    help.set_uses_time_server(shown.uses_time_server);
    help.set_time_server(shown.time_server.as_str().into());
    help.set_server_error(messages::maybe(&texts, shown.server_error.as_ref()));
}

/// One reason in words, with what to do.
fn row(texts: &Texts<'_>, verdict: Verdict, topic: &HelpTopic) -> HelpRow {
    let (text, advice) = match topic {
        HelpTopic::Installed(Installed::Unknown) => (
            texts.invoke_help_installed_unknown(),
            texts.invoke_help_installed_unknown_advice(),
        ),
        HelpTopic::Installed(Installed::At { ago, .. }) if verdict == Verdict::Possible => (
            texts.invoke_help_installed_recently(span(texts, *ago)),
            texts.invoke_help_finish_activation(),
        ),
        HelpTopic::Installed(Installed::At { ago, .. }) => (
            texts.invoke_help_installed_long_ago(span(texts, *ago)),
            SharedString::new(),
        ),
        HelpTopic::Expires(Expires::Expired(date)) => (
            texts.invoke_help_expired(messages::shown(date)),
            texts.invoke_help_expired_advice(),
        ),
        HelpTopic::Expires(Expires::Soon { date, days }) => (
            texts.invoke_help_valid_until(messages::shown(date)),
            texts.invoke_expires_in(*days as i32),
        ),
        HelpTopic::Expires(Expires::Until(date)) => (
            texts.invoke_help_valid_until(messages::shown(date)),
            SharedString::new(),
        ),
        HelpTopic::Expires(Expires::NoDate) => (
            texts.invoke_help_no_expiry(),
            texts.invoke_help_no_expiry_advice(),
        ),
        HelpTopic::Clock {
            check,
            source,
            unusable,
        } => {
            let source = match source {
                Source::Http { url, .. } => texts.invoke_source_portal(messages::shown(url)),
                Source::Ntp(server) => texts.invoke_source_ntp(messages::shown(server)),
            };
            let (text, advice) = match check {
                ClockCheck::NotMeasured => (
                    texts.invoke_help_clock_measuring(source),
                    SharedString::new(),
                ),
                ClockCheck::Failed(e) => (
                    texts.invoke_help_clock_failed(messages::clock(texts, e)),
                    texts.invoke_help_clock_failed_advice(),
                ),
                ClockCheck::Offset(n) if verdict == Verdict::Problem && *n > 0 => (
                    texts.invoke_help_clock_behind(super::seconds(*n), source),
                    texts.invoke_help_clock_behind_advice(super::seconds(*n)),
                ),
                ClockCheck::Offset(n) if verdict == Verdict::Problem => (
                    texts.invoke_help_clock_ahead(super::seconds(*n), source),
                    texts.invoke_help_clock_ahead_advice(super::seconds(*n)),
                ),
                ClockCheck::Offset(n) => (
                    texts.invoke_help_clock_fine(source, super::seconds(*n).max(1)),
                    SharedString::new(),
                ),
            };
            let text = match unusable {
                Some(why) => {
                    let note = texts.invoke_help_portal_address_unusable(messages::shown(why));
                    format!("{text} {note}").into()
                }
                None => text,
            };
            (text, advice)
        }
        HelpTopic::Reused { seconds_left } => (
            texts.invoke_help_reused(),
            texts.invoke_help_reused_advice(*seconds_left as i32),
        ),
        HelpTopic::Hotp { counter } => (
            texts.invoke_help_hotp(counter.to_string().into()),
            texts.invoke_help_hotp_advice(),
        ),
    };
    HelpRow {
        verdict: texts.invoke_help_verdict(match verdict {
            Verdict::Problem => 0,
            Verdict::Possible => 1,
            Verdict::Unknown => 2,
            Verdict::Fine => 3,
        }),
        problem: verdict == Verdict::Problem,
        fine: verdict == Verdict::Fine,
        text,
        advice,
        clock: matches!(topic, HelpTopic::Clock { .. }),
    }
}

/// A span of seconds in words, to the second, minute, hour or day.
fn span(texts: &Texts<'_>, seconds: u64) -> SharedString {
    let n = |unit: u64| i32::try_from(seconds / unit).unwrap_or(i32::MAX);
    match seconds {
        s if s < 120 => texts.invoke_span_seconds(n(1)),
        s if s < 2 * 3600 => texts.invoke_span_minutes(n(60)),
        s if s < 2 * 86_400 => texts.invoke_span_hours(n(3600)),
        _ => texts.invoke_span_days(n(86_400)),
    }
}
