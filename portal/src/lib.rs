//! The mock self-service portal that Pocket Pass pairs with.
//!
//! It reproduces the centre's flow: log in with username, password and an SMS code; on the
//! TOKENS tab activate Pocket Pass (name the token, scan the QR code, enter the first code from
//! the app); afterwards services check the password and the code. Testers drive the same flow
//! through a JSON API and, with `--test-api`, read the simulated SMS and move the clock.
//!
//! Reading order: [`config`] (what can be set), [`clock`], [`service`] (what the portal does),
//! [`store`] (SQLite), [`crypto`] and [`password`] (keys and hashes), [`otp`] (URIs, QR, codes),
//! [`session`] (sessions, SMS), [`limits`] (rate limits), then `web` (the Host and Origin
//! checks, HTML pages, JSON API) and [`app`].

pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod limits;
pub mod otp;
pub mod password;
pub mod service;
pub mod session;
pub mod store;
pub mod users_file;
mod web;

use std::sync::Arc;

pub use clock::Clock;
pub use config::Config;
pub use error::StoreError;
pub use service::{Portal, Refusal};

/// The state every handler shares.
pub type AppState = Arc<Portal>;

/// The portal's HTTP routes: HTML pages, the JSON API, and the test API when configured.
///
/// Tests call it with `tower::ServiceExt::oneshot`, no socket needed. To see client addresses
/// (for rate limits), serve it with `into_make_service_with_connect_info::<SocketAddr>()`.
/// Requests are answered only when their `Host` names the portal: its listen address (which
/// [`serve`] records, or [`Portal::set_listen_addr`]) or [`Config::public_url`].
pub fn app(state: AppState) -> axum::Router {
    web::router(state)
}

/// Serves the portal on `listener` until `shutdown` completes, with client addresses available
/// to the rate limits. The binary uses this; so can end-to-end tests that want a real socket:
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use pocketpass_portal::{serve, Clock, Config, Portal};
/// let portal = Portal::open(Config { test_api: true, ..Config::default() }, ":memory:", Clock::system())
///     .expect("portal");
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// println!("portal at http://{}/", listener.local_addr()?);
/// serve(listener, portal, std::future::pending()).await
/// # }
/// ```
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.set_listen_addr(listener.local_addr()?);
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}
