//! "Why was my code refused?": the history of code attempts on each token, and what it says
//! about the device's clock.
//!
//! Every code checked against a token (the login check page, `/api/validate`, activation) is
//! recorded in the same transaction as the check: when, where, accepted or the refusal's
//! reason, the matched step offset, and the client's address. Never the code itself. A request
//! refused at the password (or before, at the rate limits) names no token and is not recorded.

use serde::Serialize;

use super::{Outcome, Portal, Refusal};
use crate::clock::format_datetime;
use crate::error::StoreError;
use crate::store::{self, attempts::AttemptRow};

/// Attempts the More page shows; the API gives all that are kept.
pub const SHOWN_ON_PAGE: u32 = 20;

/// Accepted codes in a row that must all lie on the same side of the portal's step before the
/// More page says the device's clock seems off: one could be a code typed as it changed, three
/// in a row is the clock.
pub const CLOCK_HINT_AFTER: usize = 3;

/// Where a code was entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The login check page, `/check`.
    Check,
    /// The JSON API's `/api/validate`.
    Api,
    /// The last step of an activation (page or API).
    Activation,
}

impl Place {
    /// The name stored and shown: `check`, `api` or `activation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Check => "check",
            Place::Api => "api",
            Place::Activation => "activation",
        }
    }
}

/// An accepted code: the token it belongs to and the step it matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// The token whose code it was.
    pub token_id: i64,
    /// Matched step minus the portal's current step (`-2`: a code from two steps ago).
    pub offset: i64,
    /// The token's step length in seconds.
    pub period: u32,
}

impl Accepted {
    /// The offset in the user's words, e.g. "The code matched 2 steps (60 s) before the
    /// portal's time: the device's clock may be behind."
    pub fn describe(&self) -> String {
        describe_offset(self.offset, self.period)
    }
}

/// Says where a code's step lay from the portal's current one, in the user's words.
pub fn describe_offset(offset: i64, period: u32) -> String {
    let n = offset.unsigned_abs();
    let steps = if n == 1 { "step" } else { "steps" };
    let secs = n * u64::from(period);
    match offset {
        0 => "The code matched the portal's current time step.".to_owned(),
        o if o < 0 => format!(
            "The code matched {n} {steps} ({secs} s) before the portal's time: the device's clock may be behind."
        ),
        _ => format!(
            "The code matched {n} {steps} ({secs} s) after the portal's time: the device's clock may be ahead."
        ),
    }
}

/// One attempt as the owner and testers see it.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptView {
    /// The token the code was checked against.
    pub token_id: i64,
    /// When (RFC 3339, UTC, the portal's clock).
    pub at: String,
    /// When, in Unix seconds.
    pub at_unix: i64,
    /// `check`, `api` or `activation`.
    pub place: String,
    /// `accepted` or `refused`.
    pub result: &'static str,
    /// The refusal's reason (as `/api/validate` names it) when refused.
    pub reason: Option<String>,
    /// Matched step minus the portal's step, when the code matched one (a used code too).
    pub offset: Option<i64>,
    /// The client's address (an IPv6 client as its /64 network).
    pub client: String,
}

impl AttemptView {
    fn of(a: &AttemptRow) -> Self {
        AttemptView {
            token_id: a.token_id,
            at: format_datetime(a.at),
            at_unix: a.at,
            place: a.place.clone(),
            result: if a.accepted { "accepted" } else { "refused" },
            reason: a.reason.clone(),
            offset: a.offset,
            client: a.client.clone(),
        }
    }

    /// The offset for the page's table: `–` when no step matched, else e.g. `-2`, `+1`.
    pub fn offset_text(&self) -> String {
        match self.offset {
            None => "–".to_owned(),
            Some(0) => "0".to_owned(),
            Some(o) => format!("{o:+}"),
        }
    }
}

/// Where and when a code was entered, and from which client: what every attempt it makes on a
/// token shares.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entered<'a> {
    /// Where.
    pub place: Place,
    /// The client's address as the rate limits key it.
    pub client: &'a str,
    /// When (the portal's clock).
    pub now: i64,
}

/// What the latest accepted codes say about the device's clock.
#[derive(Debug, Clone, Serialize)]
pub struct ClockHint {
    /// About how far the device's clock is from the portal's, in seconds (negative: behind).
    pub seconds: i64,
    /// "this device's clock seems about 60 s behind".
    pub message: String,
}

/// Looks at the latest accepted attempts in `attempts` (newest first): when the last
/// [`CLOCK_HINT_AFTER`] all matched a step on the same side of the portal's, the device's clock
/// is about their median offset × `period` off.
pub fn clock_hint(attempts: &[AttemptView], period: u32) -> Option<ClockHint> {
    let mut offsets: Vec<i64> = attempts
        .iter()
        .filter(|a| a.result == "accepted")
        .filter_map(|a| a.offset)
        .take(CLOCK_HINT_AFTER)
        .collect();
    if offsets.len() < CLOCK_HINT_AFTER
        || !(offsets.iter().all(|&o| o < 0) || offsets.iter().all(|&o| o > 0))
    {
        return None;
    }
    offsets.sort_unstable();
    let seconds = offsets[offsets.len() / 2] * i64::from(period);
    let side = if seconds < 0 { "behind" } else { "ahead" };
    Some(ClockHint {
        seconds,
        message: format!(
            "this device's clock seems about {} s {side}",
            seconds.unsigned_abs()
        ),
    })
}

/// A token's history as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct TokenAttempts {
    /// The token.
    pub token_id: i64,
    /// Its latest attempts, newest first.
    pub attempts: Vec<AttemptView>,
    /// What they say about the device's clock, when they say something.
    pub clock_hint: Option<ClockHint>,
}

impl Portal {
    /// Records one attempt on `token_id` inside the check's transaction `tx`: accepted when
    /// `refused` is `None`; `offset` when the code matched a step.
    pub(super) fn record_attempt(
        &self,
        tx: &rusqlite::Connection,
        entered: Entered<'_>,
        token_id: i64,
        refused: Option<&Refusal>,
        offset: Option<i64>,
    ) -> Result<(), StoreError> {
        let row = AttemptRow {
            id: 0,
            token_id,
            at: entered.now,
            place: entered.place.as_str().to_owned(),
            accepted: refused.is_none(),
            reason: refused.map(|r| r.reason().to_owned()),
            offset,
            client: entered.client.to_owned(),
        };
        store::attempts::insert(tx, &row, self.config.attempts_kept_per_token)
    }

    /// The latest `limit` attempts on one of the user's tokens, with the clock hint. Another
    /// user's token is [`Refusal::TokenNotFound`], as if it did not exist.
    pub async fn token_attempts(
        &self,
        user_id: i64,
        token_id: i64,
        limit: u32,
    ) -> Outcome<TokenAttempts> {
        let (token, rows) = self
            .store
            .run(move |c| {
                let Some(t) = store::token_of(c, user_id, token_id)? else {
                    return Ok(None);
                };
                Ok(Some((t, store::attempts::of_token(c, token_id, limit)?)))
            })
            .await?
            .ok_or(Refusal::TokenNotFound)?;
        let attempts: Vec<AttemptView> = rows.iter().map(AttemptView::of).collect();
        Ok(TokenAttempts {
            token_id,
            clock_hint: clock_hint(&attempts, token.period),
            attempts,
        })
    }

    /// Every kept attempt on the tokens of `username`, newest first (the test API).
    pub async fn attempts_of_username(&self, username: &str) -> Outcome<Vec<AttemptView>> {
        let name = username.to_owned();
        let rows = self
            .store
            .run(move |c| match store::user_by_name(c, &name)? {
                Some(u) => Ok(Some(store::attempts::of_user(c, u.id)?)),
                None => Ok(None),
            })
            .await?
            .ok_or(Refusal::UserNotFound)?;
        Ok(rows.iter().map(AttemptView::of).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(offset: i64) -> AttemptView {
        AttemptView {
            token_id: 1,
            at: String::new(),
            at_unix: 0,
            place: "api".into(),
            result: "accepted",
            reason: None,
            offset: Some(offset),
            client: String::new(),
        }
    }

    #[test]
    fn offsets_read_as_before_or_after_the_portals_time() {
        assert_eq!(
            describe_offset(-2, 30),
            "The code matched 2 steps (60 s) before the portal's time: the device's clock may be behind."
        );
        assert!(describe_offset(1, 30).starts_with("The code matched 1 step (30 s) after"));
        assert!(describe_offset(0, 30).contains("current time step"));
    }

    #[test]
    fn the_clock_hint_needs_three_accepted_codes_on_one_side() {
        let h = clock_hint(&[accepted(-2), accepted(-1), accepted(-2)], 30).unwrap();
        assert_eq!(h.seconds, -60);
        assert_eq!(h.message, "this device's clock seems about 60 s behind");
        let h = clock_hint(&[accepted(1), accepted(1), accepted(1), accepted(0)], 30).unwrap();
        assert_eq!(h.message, "this device's clock seems about 30 s ahead");
        assert!(clock_hint(&[accepted(-1), accepted(-1)], 30).is_none());
        assert!(clock_hint(&[accepted(-1), accepted(0), accepted(-1)], 30).is_none());
    }
}
