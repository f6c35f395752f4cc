//! The TOKENS tab: listing, activating (name, QR code, first code from the app) and revoking
//! Pocket Pass tokens, and the code check with its replay and lockout rules.

use std::sync::Arc;

use rusqlite::TransactionBehavior;
use tracing::{info, warn};

use super::{Accepted, Entered, NewToken, Outcome, Place, Portal, Refusal, TokenState, TokenView};
use crate::clock::{format_date, format_datetime};
use crate::config::{OtpAlgorithm, OtpParams};
use crate::crypto::SecretBytes;
use crate::error::StoreError;
use crate::otp;
use crate::store::{self, TokenRow, User};

impl Portal {
    pub(super) fn state_of(&self, t: &TokenRow, now: i64) -> TokenState {
        match t.state.as_str() {
            "revoked" => TokenState::Revoked,
            "pending" if now < t.created_at + self.config.pending_ttl_secs => TokenState::Pending,
            "active" if t.expires_at.is_some_and(|e| now < e) => TokenState::Active,
            _ => TokenState::Expired,
        }
    }

    fn view(&self, t: &TokenRow, now: i64) -> TokenView {
        TokenView {
            id: t.id,
            name: t.name.clone(),
            state: self.state_of(t, now),
            locked: t.failures >= self.config.max_token_failures,
            created: format_datetime(t.created_at),
            activated: t.activated_at.map(format_datetime),
            expires: t.expires_at.map(format_datetime),
            last_used: t.last_used_at.map(format_datetime),
            revoked: t.revoked_at.map(format_datetime),
            expires_unix: t.expires_at,
        }
    }

    /// The user's tokens.
    pub async fn tokens(&self, user_id: i64) -> Outcome<Vec<TokenView>> {
        let rows = self
            .store
            .run(move |c| store::tokens_of(c, user_id))
            .await?;
        let now = self.now();
        Ok(rows.iter().map(|t| self.view(t, now)).collect())
    }

    /// One of the user's tokens.
    pub async fn token(&self, user_id: i64, id: i64) -> Outcome<TokenView> {
        let row = self
            .store
            .run(move |c| store::token_of(c, user_id, id))
            .await?
            .ok_or(Refusal::TokenNotFound)?;
        Ok(self.view(&row, self.now()))
    }

    pub(super) fn params_of(t: &TokenRow) -> OtpParams {
        OtpParams {
            algorithm: OtpAlgorithm::parse(&t.algorithm).unwrap_or(OtpAlgorithm::Sha1),
            digits: t.digits,
            period: t.period,
        }
    }

    fn new_token(&self, user: &User, t: &TokenRow, secret: &SecretBytes) -> Outcome<NewToken> {
        let expected_expiry = format_date(t.created_at + self.config.token_validity_days * 86_400);
        let uri = otp::otpauth_uri(
            &otp::UriFields {
                issuer: &self.config.issuer,
                token_name: &t.name,
                username: &user.username,
                params: Self::params_of(t),
                expires: &expected_expiry,
                time_source: self.base_url().as_deref(),
            },
            secret,
        );
        let qr_png =
            otp::qr_png(&uri).map_err(|e| StoreError::Task(format!("QR rendering failed: {e}")))?;
        Ok(NewToken {
            id: t.id,
            name: t.name.clone(),
            otpauth_uri: uri,
            qr_png,
            state: TokenState::Pending,
        })
    }

    /// "Activate Pocket Pass": creates a pending token named `name`, or resumes the pending one
    /// of the same name (so a double-click or a reload never creates two).
    pub async fn create_token(self: &Arc<Self>, user_id: i64, name: &str) -> Outcome<NewToken> {
        let user = self.user(user_id).await?;
        if self.reset_in_progress(user_id) {
            warn!(username = %user.username, "activation refused: a password reset is in progress for this user");
            return Err(Refusal::CheckYourDetails);
        }
        let name = validate_token_name(name)?;
        let now = self.now();
        let me = Arc::clone(self);
        let (row, secret) = self
            .store
            .run(
                move |c| -> Result<Outcome<(TokenRow, SecretBytes)>, StoreError> {
                    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    store::abandon_stale_pending(&tx, user_id, now - me.config.pending_ttl_secs)?;
                    let rows = store::tokens_of(&tx, user_id)?;
                    if let Some(p) = rows.iter().find(|t| t.state == "pending") {
                        if p.name != name {
                            return Ok(Err(Refusal::PendingExists(p.name.clone())));
                        }
                        let secret = me.key.open(user_id, &p.secret_enc)?;
                        tx.commit()?;
                        return Ok(Ok((p.clone(), secret)));
                    }
                    let live = rows
                        .iter()
                        .filter(|t| me.state_of(t, now) == TokenState::Active)
                        .count();
                    if live >= me.config.max_tokens_per_user {
                        return Ok(Err(Refusal::TokenLimit(me.config.max_tokens_per_user)));
                    }
                    let secret = SecretBytes::generate(otp::SECRET_LEN)?;
                    let p = me.config.otp;
                    let mut row = TokenRow {
                        id: 0,
                        user_id,
                        name,
                        state: "pending".into(),
                        secret_enc: me.key.seal(user_id, &secret)?,
                        algorithm: p.algorithm.as_str().into(),
                        digits: p.digits,
                        period: p.period,
                        created_at: now,
                        activated_at: None,
                        expires_at: None,
                        last_used_at: None,
                        revoked_at: None,
                        last_step: None,
                        failures: 0,
                    };
                    row.id = store::insert_pending_token(&tx, &row)?;
                    tx.commit()?;
                    Ok(Ok((row, secret)))
                },
            )
            .await??;
        info!(username = %user.username, token = row.id, "activation started");
        self.new_token(&user, &row, &secret)
    }

    /// The QR of a pending token again ("Continue" from the list). Refused once it is active.
    pub async fn pending_token(&self, user_id: i64, id: i64) -> Outcome<NewToken> {
        let user = self.user(user_id).await?;
        let row = self
            .store
            .run(move |c| store::token_of(c, user_id, id))
            .await?
            .ok_or(Refusal::TokenNotFound)?;
        match self.state_of(&row, self.now()) {
            TokenState::Pending => {}
            _ if row.state == "pending" || row.state == "abandoned" => {
                return Err(Refusal::PendingExpired)
            }
            _ => return Err(Refusal::NotPending),
        }
        let secret = self.key.open(user_id, &row.secret_enc)?;
        self.new_token(&user, &row, &secret)
    }

    /// The last activation step: the first code from the app turns the token active. The
    /// attempt goes into the token's history (see [`Place::Activation`]); `addr` is the
    /// client's. Returns the token and the offset of the step the code matched.
    pub async fn activate_token(
        self: &Arc<Self>,
        user_id: i64,
        id: i64,
        code: &str,
        addr: &str,
    ) -> Outcome<(TokenView, Accepted)> {
        let code = code.trim().replace(' ', "");
        let now = self.now();
        let me = Arc::clone(self);
        let addr = addr.to_owned();
        let (row, accepted) = self
            .store
            .run(
                move |c| -> Result<Outcome<(TokenRow, Accepted)>, StoreError> {
                    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    // Another user's token is not found, and gets nothing in its history.
                    let Some(t) = store::token_of(&tx, user_id, id)? else {
                        return Ok(Err(Refusal::TokenNotFound));
                    };
                    let (outcome, offset) = me.activation_check(&tx, &t, &code, now)?;
                    let refused = outcome.as_ref().err();
                    let entered = Entered {
                        place: Place::Activation,
                        client: &addr,
                        now,
                    };
                    me.record_attempt(&tx, entered, t.id, refused, offset)?;
                    tx.commit()?;
                    let m = match outcome {
                        Ok(m) => m,
                        Err(r) => return Ok(Err(r)),
                    };
                    let accepted = Accepted {
                        token_id: t.id,
                        offset: m.offset,
                        period: t.period,
                    };
                    Ok(store::token_of(c, user_id, id)?
                        .map(|row| (row, accepted))
                        .ok_or(Refusal::TokenNotFound))
                },
            )
            .await??;
        info!(
            token = row.id,
            user_id,
            offset = accepted.offset,
            "token activated"
        );
        Ok((self.view(&row, now), accepted))
    }

    /// The activation's rules for pending token `t`, inside transaction `tx`: turns it active
    /// on a right code, gives it up after too many wrong ones. Returns the verdict and the
    /// offset of the step the code matched, if any (a used code matches one too).
    fn activation_check(
        &self,
        tx: &rusqlite::Connection,
        t: &TokenRow,
        code: &str,
        now: i64,
    ) -> Result<(Outcome<otp::Match>, Option<i64>), StoreError> {
        match self.state_of(t, now) {
            TokenState::Pending => {}
            _ if t.state == "pending" || t.state == "abandoned" => {
                return Ok((Err(Refusal::PendingExpired), None))
            }
            _ => return Ok((Err(Refusal::NotPending), None)),
        }
        let params = Self::params_of(t);
        if !otp::well_formed(code, params) {
            return Ok((Err(Refusal::CodeMalformed(params.digits)), None));
        }
        let (outcome, offset) = self.check_code(tx, t, code, now)?;
        if outcome.is_ok() {
            let expires = now + self.config.token_validity_days * 86_400;
            store::activate(tx, t.id, now, expires)?;
        } else if t.failures + 1 >= self.config.max_token_failures {
            // A pending token that met too many wrong codes is given up: start again.
            tx.execute(
                "UPDATE tokens SET state = 'abandoned' WHERE id = ?1",
                [t.id],
            )?;
        }
        Ok((outcome, offset))
    }

    /// Revokes one of the user's tokens.
    pub async fn revoke_token(&self, user_id: i64, id: i64) -> Outcome<TokenView> {
        let now = self.now();
        let row = self
            .store
            .run(move |c| {
                store::revoke(c, id_owned(c, user_id, id)?, now)?;
                store::token_of(c, user_id, id)
            })
            .await?
            .ok_or(Refusal::TokenNotFound)?;
        info!(token = id, user_id, "token revoked");
        Ok(self.view(&row, now))
    }

    /// Checks `code` against token `t` inside a transaction, applying the replay and lockout
    /// rules and the configured window; records the result on the token. Returns the verdict
    /// and the offset of the step the code matched, if any (a used code matches one too).
    pub(super) fn check_code(
        &self,
        tx: &rusqlite::Connection,
        t: &TokenRow,
        code: &str,
        now: i64,
    ) -> Result<(Outcome<otp::Match>, Option<i64>), StoreError> {
        if t.failures >= self.config.max_token_failures {
            return Ok((Err(Refusal::Locked), None));
        }
        let secret = self.key.open(t.user_id, &t.secret_enc)?;
        let window = self.config.window;
        match otp::matching_step(&secret, Self::params_of(t), window, code, now) {
            Some(m) if t.last_step.is_none_or(|last| m.step > last) => {
                store::record_success(tx, t.id, m.step, now)?;
                Ok((Ok(m), Some(m.offset)))
            }
            // A replay of an accepted code is refused but not counted as a failure: it is what a
            // double-click or a retried request looks like, and it proves the user has the key.
            Some(m) => Ok((Err(Refusal::CodeUsed), Some(m.offset))),
            None => {
                let failures = store::record_failure(tx, t.id)?;
                if failures == self.config.max_token_failures {
                    warn!(
                        token = t.id,
                        "token locked after {failures} consecutive wrong codes"
                    );
                }
                Ok((Err(Refusal::WrongCode), None))
            }
        }
    }
}

/// Returns `id` when `user_id` owns it; otherwise an id that matches nothing.
fn id_owned(c: &rusqlite::Connection, user_id: i64, id: i64) -> Result<i64, StoreError> {
    Ok(store::token_of(c, user_id, id)?.map(|t| t.id).unwrap_or(-1))
}

/// Checks a token name: 1–40 characters, no control characters, no colon (the colon separates
/// issuer and name in the `otpauth://` label).
pub fn validate_token_name(name: &str) -> Outcome<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Refusal::BadName(
            "Give the token a name; it is displayed on your device.".into(),
        ));
    }
    if name.chars().count() > 40 {
        return Err(Refusal::BadName(
            "The token name must have at most 40 characters.".into(),
        ));
    }
    if name.chars().any(|c| c.is_control() || c == ':') {
        return Err(Refusal::BadName(
            "The token name must not contain a colon or control characters.".into(),
        ));
    }
    Ok(name.to_owned())
}
