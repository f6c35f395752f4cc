//! Which requests the portal answers at all.
//!
//! - **Host**: every request must name the portal by one of its own names: the address it
//!   listens on (`127.0.0.1:8080`; any IP literal on that port when it listens on all
//!   interfaces), `localhost` on that port, or the authority of `--public-url`. A DNS-rebinding
//!   page reaches the portal's address under the attacker's host name, which is refused here,
//!   before any route (the test API's SMS outbox included) can answer it.
//! - **Origin**, for the JSON API and the test API: a request whose `Origin` is not one of the
//!   portal's own origins is refused. A state-changing request (any method but GET, HEAD and
//!   OPTIONS) without an `Origin` must carry a header no page of another site can send without
//!   the portal's consent (a CORS preflight, which the portal never grants): `X-Requested-With`
//!   (any value), or a JSON `Content-Type`. Scripts send one of them; browsers send `Origin`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::api::ApiError;
use crate::config::{Authority, PublicUrl};
use crate::AppState;

/// The default port of `scheme`.
fn default_port(scheme: &str) -> u16 {
    if scheme == "https" {
        443
    } else {
        80
    }
}

/// The names the portal answers to.
#[derive(Debug, Clone)]
pub struct Names<'a> {
    /// `--public-url`, when given.
    pub public: Option<&'a PublicUrl>,
    /// The address `serve` listens on, once known.
    pub listen: Option<SocketAddr>,
}

impl Names<'_> {
    /// Whether `a` names the portal, reached with `scheme` (`None` for a `Host` header, which
    /// does not say the scheme).
    pub fn matches(&self, scheme: Option<&str>, a: &Authority) -> bool {
        if let Some(u) = self.public {
            let port = a.port.unwrap_or_else(|| default_port(&u.scheme));
            if scheme.is_none_or(|s| s == u.scheme) && a.host == u.host && port == u.port {
                return true;
            }
        }
        if let Some(l) = self.listen {
            // The portal itself speaks plain HTTP only.
            if scheme.is_none_or(|s| s == "http") && a.port.unwrap_or(80) == l.port() {
                if a.host == "localhost" {
                    return true;
                }
                if let Ok(ip) = a.host.parse::<IpAddr>() {
                    // A rebinding page always sends a host *name*: any IP literal of this
                    // machine is fine when the portal listens on all of them.
                    return l.ip().is_unspecified() || ip == l.ip();
                }
            }
        }
        false
    }

    /// Whether `origin` (`scheme://authority`) is one of the portal's own.
    pub fn origin_matches(&self, origin: &str) -> bool {
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        matches!(scheme, "http" | "https")
            && Authority::parse(authority).is_some_and(|a| self.matches(Some(scheme), &a))
    }

    /// The portal's addresses, for messages: `http://127.0.0.1:8080 or https://portal.example.org`.
    pub fn describe(&self) -> String {
        let mut names = Vec::new();
        if let Some(l) = self.listen {
            names.push(format!("http://{l}"));
            names.push(format!("http://localhost:{}", l.port()));
        }
        if let Some(u) = self.public {
            names.push(u.origin());
        }
        match names.len() {
            0 => "no address yet (serve it with pocketpass_portal::serve, or set a public URL)"
                .to_owned(),
            _ => names.join(" or "),
        }
    }
}

/// Whether the request's path belongs to the JSON API or the test API (answered in JSON).
fn is_api(path: &str) -> bool {
    ["/api", "/_test"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// Refuses requests whose `Host` is not one of the portal's names (421 Misdirected Request).
pub async fn check_host(State(p): State<AppState>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        // HTTP/2 carries it in the request line instead.
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()));
    let names = super::names(&p);
    if host
        .as_deref()
        .and_then(Authority::parse)
        .is_some_and(|a| names.matches(None, &a))
    {
        return next.run(req).await;
    }
    let shown = host.as_deref().unwrap_or("(none)");
    tracing::warn!(
        host = shown,
        "request refused: not addressed to one of the portal's names"
    );
    let message = format!(
        "This portal answers only at {}, not at host {shown:?}. If it is served under that name, start it with --public-url URL.",
        names.describe()
    );
    if is_api(req.uri().path()) {
        ApiError::Body(StatusCode::MISDIRECTED_REQUEST, "wrong_host", message).into_response()
    } else {
        (StatusCode::MISDIRECTED_REQUEST, message).into_response()
    }
}

/// Whether the request carries a JSON `Content-Type` (`application/json`, `application/*+json`).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

/// The API's Origin rule (see the module documentation).
pub async fn check_origin(State(p): State<AppState>, req: Request, next: Next) -> Response {
    let names = super::names(&p);
    let headers = req.headers();
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !names.origin_matches(origin) {
            tracing::warn!(%origin, "API request refused: foreign Origin");
            return ApiError::Body(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "The request came from another site ({origin:?}); this portal takes API requests only from {}.",
                    names.describe()
                ),
            )
            .into_response();
        }
        return next.run(req).await;
    }
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || headers.contains_key("x-requested-with") || is_json(headers) {
        return next.run(req).await;
    }
    if headers.contains_key(CONTENT_TYPE) {
        return ApiError::Body(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The API takes JSON: send the body with Content-Type: application/json.".into(),
        )
        .into_response();
    }
    tracing::warn!(
        path = req.uri().path(),
        "API request refused: no Origin and no X-Requested-With"
    );
    ApiError::Body(
        StatusCode::FORBIDDEN,
        "forbidden",
        "A request that changes something must come from the portal's own pages (Origin) or carry an X-Requested-With header (any value), e.g. curl -H 'X-Requested-With: curl'.".into(),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Authority {
        Authority::parse(s).unwrap_or_else(|| panic!("{s} parses"))
    }

    #[test]
    fn the_listen_address_localhost_and_the_public_url_are_the_portals_names() {
        let public = PublicUrl::parse("https://portal.example.org").unwrap();
        let n = Names {
            public: Some(&public),
            listen: Some("127.0.0.1:8080".parse().unwrap()),
        };
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "portal.example.org",
            "portal.example.org:443",
        ] {
            assert!(n.matches(None, &a(ok)), "{ok}");
        }
        for no in [
            "127.0.0.1:8081",
            "127.0.0.2:8080",
            "evil.example:8080",
            "portal.example.org:8080",
            "portal.example.org.evil.example",
        ] {
            assert!(!n.matches(None, &a(no)), "{no}");
        }
        assert!(n.origin_matches("https://portal.example.org"));
        assert!(n.origin_matches("http://127.0.0.1:8080"));
        assert!(
            !n.origin_matches("http://portal.example.org"),
            "scheme differs"
        );
        assert!(
            !n.origin_matches("https://127.0.0.1:8080"),
            "the portal has no TLS"
        );
        assert!(!n.origin_matches("null"));
        let everywhere = Names {
            public: None,
            listen: Some("0.0.0.0:8080".parse().unwrap()),
        };
        assert!(everywhere.matches(None, &a("192.168.1.20:8080")));
        assert!(!everywhere.matches(None, &a("rebind.example:8080")));
        let nothing = Names {
            public: None,
            listen: None,
        };
        assert!(!nothing.matches(None, &a("localhost:8080")));
    }
}
