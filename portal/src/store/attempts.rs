//! The history of code attempts on each token (schema version 2): when, where, the verdict and
//! its reason, the matched step offset and the client's address. Never the code typed: a code
//! is a secret for its 30 seconds, and the history is for telling why one was refused.
//!
//! Each token keeps its latest attempts only; [`insert`] prunes older ones in the same
//! transaction, so the table stays bounded whatever clients send.

use rusqlite::{params, Connection, Row};

use crate::error::StoreError;

/// The table, added by schema version 2.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS attempts (
    id          INTEGER PRIMARY KEY,
    token_id    INTEGER NOT NULL REFERENCES tokens(id),
    at          INTEGER NOT NULL,
    place       TEXT NOT NULL CHECK (place IN ('check', 'api', 'activation')),
    accepted    INTEGER NOT NULL CHECK (accepted IN (0, 1)),
    reason      TEXT,
    step_offset INTEGER,
    client      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_token ON attempts(token_id, id);
";

/// One attempt as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    /// Row id; later attempts have higher ids.
    pub id: i64,
    /// The token the code was checked against.
    pub token_id: i64,
    /// Unix seconds (the portal's clock) of the attempt.
    pub at: i64,
    /// Where the code was entered: `check`, `api` or `activation`.
    pub place: String,
    /// Whether the code was accepted.
    pub accepted: bool,
    /// The refusal's reason (`wrong_code`, `code_used`, ...) when refused.
    pub reason: Option<String>,
    /// Matched step minus the portal's current step, when the code matched a step.
    pub offset: Option<i64>,
    /// The client's address as the rate limits key it (an IPv6 client by its /64).
    pub client: String,
}

const COLS: &str = "id, token_id, at, place, accepted, reason, step_offset, client";

fn from_row(r: &Row<'_>) -> rusqlite::Result<AttemptRow> {
    Ok(AttemptRow {
        id: r.get(0)?,
        token_id: r.get(1)?,
        at: r.get(2)?,
        place: r.get(3)?,
        accepted: r.get(4)?,
        reason: r.get(5)?,
        offset: r.get(6)?,
        client: r.get(7)?,
    })
}

/// Records `a` (its `id` is ignored) and prunes the token's history to its latest `keep`.
pub fn insert(conn: &Connection, a: &AttemptRow, keep: u32) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO attempts (token_id, at, place, accepted, reason, step_offset, client)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        a.token_id, a.at, a.place, a.accepted, a.reason, a.offset, a.client
    ])?;
    // Everything at or below the id of the (keep+1)-th newest goes; the index makes it a seek.
    conn.prepare_cached(
        "DELETE FROM attempts WHERE token_id = ?1 AND id <= (
             SELECT id FROM attempts WHERE token_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![a.token_id, keep])?;
    Ok(())
}

/// The latest `limit` attempts on token `token_id`, newest first.
pub fn of_token(
    conn: &Connection,
    token_id: i64,
    limit: u32,
) -> Result<Vec<AttemptRow>, StoreError> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM attempts WHERE token_id = ?1 ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = st.query_map(params![token_id, limit], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The attempts on every token of user `user_id`, newest first.
pub fn of_user(conn: &Connection, user_id: i64) -> Result<Vec<AttemptRow>, StoreError> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {} FROM attempts a JOIN tokens t ON t.id = a.token_id
         WHERE t.user_id = ?1 ORDER BY a.id DESC",
        COLS.split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    let rows = st.query_map([user_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn inserting_past_the_bound_keeps_the_latest_per_token() {
        let s = Store::open(":memory:").unwrap();
        s.run_blocking(|c| {
            c.execute_batch(
                "INSERT INTO users VALUES (1, 'a', 'A', '1', 'a@x', 'h', 0);
                 INSERT INTO tokens (id, user_id, name, state, secret_enc, algorithm, digits, period, created_at)
                 VALUES (1, 1, 'x', 'active', x'00', 'SHA1', 6, 30, 0),
                        (2, 1, 'y', 'active', x'00', 'SHA1', 6, 30, 0);",
            )?;
            let attempt = |token_id, at| AttemptRow {
                id: 0,
                token_id,
                at,
                place: "api".into(),
                accepted: false,
                reason: Some("wrong_code".into()),
                offset: None,
                client: "192.0.2.7".into(),
            };
            insert(c, &attempt(2, 0), 200)?;
            for at in 1..=205 {
                insert(c, &attempt(1, at), 200)?;
            }
            let kept = of_token(c, 1, 1000)?;
            assert_eq!(kept.len(), 200);
            assert_eq!((kept[0].at, kept[199].at), (205, 6), "newest first, oldest pruned");
            assert_eq!(of_token(c, 2, 1000)?.len(), 1, "other tokens keep theirs");
            assert_eq!(of_user(c, 1)?.len(), 201);
            Ok(())
        })
        .unwrap();
    }
}
