//! The login check of the centre's services (SSH, ThinLinc): password, then a code from any of
//! the user's active tokens.

use std::sync::Arc;

use rusqlite::TransactionBehavior;
use tracing::info;

use super::{Accepted, Entered, Outcome, Place, Portal, Refusal, TokenState};
use crate::clock::format_datetime;
use crate::error::StoreError;
use crate::otp;
use crate::password::Password;
use crate::store::{self, TokenRow};

/// What one login check concluded, and which tokens it concerned (each with the offset of the
/// step the code matched on it, if any): those get the attempt in their history.
type Concluded = (Outcome<Accepted>, Vec<(i64, Option<i64>)>);

impl Portal {
    /// The login check of the centre's services (SSH, ThinLinc): password, then the Pocket Pass
    /// code from any of the user's active tokens. The attempt goes into the history of the
    /// tokens it concerned, as entered at `place` from `addr`; one refused at the password
    /// concerns no token and is not recorded.
    pub async fn validate(
        self: &Arc<Self>,
        username: &str,
        password: Password,
        code: &str,
        addr: &str,
        place: Place,
    ) -> Outcome<Accepted> {
        let user = self.attempt_password(username, password, addr).await?;
        let code = code.trim().replace(' ', "");
        let me = Arc::clone(self);
        let user_id = user.id;
        let client = addr.to_owned();
        let result = self
            .store
            .run(move |c| -> Result<Outcome<Accepted>, StoreError> {
                let now = me.now();
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let (outcome, concerned) = me.check_tokens(&tx, user_id, &code, now)?;
                let refused = outcome.as_ref().err();
                for (token_id, offset) in concerned {
                    let entered = Entered {
                        place,
                        client: &client,
                        now,
                    };
                    me.record_attempt(&tx, entered, token_id, refused, offset)?;
                }
                tx.commit()?;
                Ok(outcome)
            })
            .await?;
        match &result {
            Ok(a) => {
                info!(username = %user.username, %addr, token = a.token_id, offset = a.offset, "login check passed")
            }
            Err(r) => {
                info!(username = %user.username, %addr, reason = r.reason(), "login check refused")
            }
        }
        result
    }

    /// The code rules of the login check against the tokens of `user_id`, inside `tx`.
    fn check_tokens(
        &self,
        tx: &rusqlite::Connection,
        user_id: i64,
        code: &str,
        now: i64,
    ) -> Result<Concluded, StoreError> {
        let rows = store::tokens_of(tx, user_id)?;
        let max = self.config.max_token_failures;
        let usable: Vec<&TokenRow> = rows
            .iter()
            .filter(|t| self.state_of(t, now) == TokenState::Active && t.failures < max)
            .collect();
        if usable.is_empty() {
            return Ok(self.why_no_usable_token(&rows, now));
        }
        let tried = || usable.iter().map(|t| (t.id, None)).collect::<Vec<_>>();
        if let Some(t) = usable
            .iter()
            .find(|t| !otp::well_formed(code, Self::params_of(t)))
        {
            return Ok((Err(Refusal::CodeMalformed(t.digits)), tried()));
        }
        // Try the tokens one by one; a match on any wins. Failures are counted only when no
        // token accepted the code.
        let mut used = Vec::new();
        let mut wrong = Vec::new();
        for t in &usable {
            let secret = self.key.open(t.user_id, &t.secret_enc)?;
            let params = Self::params_of(t);
            match otp::matching_step(&secret, params, self.config.window, code, now) {
                Some(m) if t.last_step.is_none_or(|last| m.step > last) => {
                    store::record_success(tx, t.id, m.step, now)?;
                    let accepted = Accepted {
                        token_id: t.id,
                        offset: m.offset,
                        period: t.period,
                    };
                    return Ok((Ok(accepted), vec![(t.id, Some(m.offset))]));
                }
                Some(m) => used.push((t.id, Some(m.offset))),
                None => wrong.push(*t),
            }
        }
        if !used.is_empty() {
            return Ok((Err(Refusal::CodeUsed), used));
        }
        for t in &wrong {
            let _ = self.check_code(tx, t, code, now)?;
        }
        Ok((Err(Refusal::WrongCode), tried()))
    }

    /// Why none of `rows` can take a code, and the tokens that explain it.
    fn why_no_usable_token(&self, rows: &[TokenRow], now: i64) -> Concluded {
        let in_state = |s: TokenState| -> Vec<(i64, Option<i64>)> {
            rows.iter()
                .filter(|t| self.state_of(t, now) == s)
                .map(|t| (t.id, None))
                .collect()
        };
        let locked = in_state(TokenState::Active);
        if !locked.is_empty() {
            return (Err(Refusal::Locked), locked);
        }
        if let Some(t) = rows
            .iter()
            .filter(|t| t.state == "active")
            .max_by_key(|t| t.expires_at)
        {
            let when = t.expires_at.map(format_datetime).unwrap_or_default();
            return (Err(Refusal::Expired(when)), vec![(t.id, None)]);
        }
        let pending = in_state(TokenState::Pending);
        if !pending.is_empty() {
            return (Err(Refusal::NotActivated), pending);
        }
        if let Some(t) = rows
            .iter()
            .filter(|t| t.state == "revoked")
            .max_by_key(|t| t.revoked_at)
        {
            return (Err(Refusal::Revoked), vec![(t.id, None)]);
        }
        (Err(Refusal::NoToken), Vec::new())
    }
}
