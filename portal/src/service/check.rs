//! The login check of the centre's services (SSH, ThinLinc): password, then a code from any of
//! the user's active tokens.

use std::sync::Arc;

use rusqlite::TransactionBehavior;
use tracing::info;

use super::{Outcome, Portal, Refusal, TokenState};
use crate::clock::format_datetime;
use crate::error::StoreError;
use crate::otp;
use crate::password::Password;
use crate::store::{self, TokenRow};

impl Portal {
    /// The login check of the centre's services (SSH, ThinLinc): password, then the Pocket Pass
    /// code from any of the user's active tokens.
    pub async fn validate(
        self: &Arc<Self>,
        username: &str,
        password: Password,
        code: &str,
        addr: &str,
    ) -> Outcome<()> {
        let user = self.attempt_password(username, password, addr).await?;
        let code = code.trim().replace(' ', "");
        let me = Arc::clone(self);
        let user_id = user.id;
        let result = self
            .store
            .run(move |c| -> Result<Outcome<()>, StoreError> {
                let now = me.now();
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let rows = store::tokens_of(&tx, user_id)?;
                let max = me.config.max_token_failures;
                let usable: Vec<&TokenRow> = rows
                    .iter()
                    .filter(|t| me.state_of(t, now) == TokenState::Active && t.failures < max)
                    .collect();
                if usable.is_empty() {
                    let states: Vec<TokenState> =
                        rows.iter().map(|t| me.state_of(t, now)).collect();
                    let refusal = if rows
                        .iter()
                        .any(|t| me.state_of(t, now) == TokenState::Active)
                    {
                        Refusal::Locked
                    } else if let Some(t) = rows
                        .iter()
                        .filter(|t| t.state == "active")
                        .max_by_key(|t| t.expires_at)
                    {
                        Refusal::Expired(t.expires_at.map(format_datetime).unwrap_or_default())
                    } else if states.contains(&TokenState::Pending) {
                        Refusal::NotActivated
                    } else if states.contains(&TokenState::Revoked) {
                        Refusal::Revoked
                    } else {
                        Refusal::NoToken
                    };
                    return Ok(Err(refusal));
                }
                if let Some(t) = usable
                    .iter()
                    .find(|t| !otp::well_formed(&code, Self::params_of(t)))
                {
                    return Ok(Err(Refusal::CodeMalformed(t.digits)));
                }
                // Try the tokens one by one; a match on any wins. Failures are counted only
                // when no token accepted the code.
                let mut used = false;
                let mut wrong = Vec::new();
                for t in &usable {
                    let secret = me.key.open(t.user_id, &t.secret_enc)?;
                    match otp::matching_step(&secret, Self::params_of(t), &code, now) {
                        Some(step) if t.last_step.is_none_or(|last| step > last) => {
                            store::record_success(&tx, t.id, step, now)?;
                            tx.commit()?;
                            return Ok(Ok(()));
                        }
                        Some(_) => used = true,
                        None => wrong.push(*t),
                    }
                }
                if used {
                    return Ok(Err(Refusal::CodeUsed));
                }
                for t in wrong {
                    me.check_code(&tx, t, &code, now)?.ok();
                }
                tx.commit()?;
                Ok(Err(Refusal::WrongCode))
            })
            .await?;
        match &result {
            Ok(()) => info!(username = %user.username, %addr, "login check passed"),
            Err(r) => {
                info!(username = %user.username, %addr, reason = r.reason(), "login check refused")
            }
        }
        result
    }
}
