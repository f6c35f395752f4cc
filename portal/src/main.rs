//! `pocketpass-portal`: starts the mock self-service portal. All behaviour lives in the library;
//! this file reads the command line, opens the database, seeds users and serves.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::builder::TypedValueParser as _;
use clap::Parser;
use pocketpass_portal::config::{OtpAlgorithm, OtpParams, PublicUrl, Window, DEFAULT_HASH_QUEUE};
use pocketpass_portal::service::{demo_user, key_path_for};
use pocketpass_portal::{serve, users_file, Clock, Config, Portal};

/// The mock self-service portal Pocket Pass pairs with: log in with password and SMS code,
/// activate a Pocket Pass token by QR code, check logins.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address and port to listen on (port 0 picks a free port).
    #[arg(
        long,
        env = "POCKETPASS_PORTAL_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    listen: SocketAddr,
    /// SQLite database file (`:memory:` for a throw-away one). Default: portal.sqlite3 in the
    /// user's data directory. The server key is kept beside it as FILE.key.
    #[arg(long, env = "POCKETPASS_PORTAL_DB", value_name = "FILE")]
    db: Option<String>,
    /// TOML file of users to add when missing (username, full_name, password, phone, email).
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Issuer shown in the authenticator app.
    #[arg(long, default_value = "Pocket Pass Portal")]
    issuer: String,
    /// Days a token stays valid after activation.
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(i64).range(1..=36_500))]
    token_validity_days: i64,
    /// Active tokens one user may hold at once.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=100))]
    max_tokens: u16,
    /// HMAC algorithm of new tokens: SHA1, SHA256 or SHA512.
    #[arg(long, default_value = "SHA1")]
    algorithm: String,
    /// Digits per code of new tokens (6–8).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(6..=8))]
    digits: u32,
    /// Seconds per code of new tokens.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(10..=300))]
    period: u32,
    /// Time steps before the current one whose codes are accepted (a device whose clock is
    /// behind), at most 10.
    #[arg(long, value_name = "N", default_value_t = 1)]
    window_past: u32,
    /// Time steps after the current one whose codes are accepted (a device whose clock is
    /// ahead), at most 10.
    #[arg(long, value_name = "N", default_value_t = 1)]
    window_future: u32,
    /// Enable /_test/sms (SMS outbox), /_test/clock (clock offset), /_test/users and
    /// /_test/attempts (code attempts). Never on a portal real people use.
    #[arg(long)]
    test_api: bool,
    /// Mark cookies Secure and name the session cookie __Host-pp_session (when a TLS proxy
    /// serves the portal; implied by an https --public-url).
    #[arg(long)]
    secure_cookies: bool,
    /// The URL people reach the portal at, when it is not the listen address (a proxy, a host
    /// name), e.g. https://portal.example.org. Requests are answered only when their Host is
    /// the listen address, localhost on its port, or this URL's host and port; API requests
    /// with an Origin only from these.
    #[arg(long, env = "POCKETPASS_PORTAL_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Password hashes that may wait or run at once; beyond it requests are answered 503 with
    /// Retry-After instead of queueing.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_HASH_QUEUE, value_parser = clap::value_parser!(u32).range(1..=100_000).map(|n| n as usize))]
    hash_queue: usize,
    /// Do not rate-limit passwords and SMS (for load tests only).
    #[arg(long, hide = true)]
    no_rate_limits: bool,
}

fn default_db() -> Result<String> {
    let dirs = directories::ProjectDirs::from("org", "pocketpass", "pocketpass-portal")
        .context("cannot find your data directory; pass --db FILE")?;
    let dir = dirs.data_dir();
    // The folder holds the database and its key: readable by the user alone when we make it.
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}; pass --db FILE", dir.display()))?;
    Ok(dir.join("portal.sqlite3").to_string_lossy().into_owned())
}

fn config(a: &Args) -> Result<Config> {
    let Some(algorithm) = OtpAlgorithm::parse(&a.algorithm) else {
        bail!(
            "--algorithm must be SHA1, SHA256 or SHA512, not {:?}",
            a.algorithm
        )
    };
    let public_url = a
        .public_url
        .as_deref()
        .map(PublicUrl::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let window = Window::new(a.window_past, a.window_future).map_err(anyhow::Error::msg)?;
    let c = Config {
        issuer: a.issuer.clone(),
        window,
        token_validity_days: a.token_validity_days,
        max_tokens_per_user: usize::from(a.max_tokens),
        otp: OtpParams {
            algorithm,
            digits: a.digits,
            period: a.period,
        },
        test_api: a.test_api,
        secure_cookies: a.secure_cookies,
        public_url,
        hash_queue_limit: a.hash_queue,
        sms_to_stdout: true,
        ..Config::default()
    };
    Ok(if a.no_rate_limits {
        c.without_rate_limits()
    } else {
        c
    })
}

#[tokio::main]
async fn main() {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_max_level(tracing::Level::INFO)
        .init();
    if let Err(e) = run(Args::parse()).await {
        eprintln!("pocketpass-portal: {e:#}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let config = config(&args)?;
    let db = match &args.db {
        Some(d) => d.clone(),
        None => default_db()?,
    };
    let portal = Portal::open(config, &db, Clock::system())?;
    let demo = demo_user();
    let (demo_name, demo_password) = (demo.username.clone(), demo.password.expose().to_owned());
    portal
        .add_user(demo)
        .await
        .map_err(|e| anyhow::anyhow!("cannot add the demo user: {e}"))?;
    if let Some(path) = &args.users {
        for u in users_file::load(path)? {
            let name = u.username.clone();
            portal
                .add_user(u)
                .await
                .map_err(|e| anyhow::anyhow!("{}: user {name}: {e}", path.display()))?;
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await.with_context(|| {
        format!("cannot listen on {}: is another program using that port? Pick another with --listen", args.listen)
    })?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}/");
    println!("Pocket Pass portal: {url}");
    println!("Demo user: {demo_name}  password: {demo_password}");
    if db == ":memory:" {
        println!("Database: in memory (gone when the portal stops)");
    } else {
        println!(
            "Database: {db} (server key: {})",
            key_path_for(&db).display()
        );
    }
    if args.test_api {
        println!(
            "Simulated SMS: printed here as \"SMS to <phone>: ...\" and listed at {url}_test/sms"
        );
    } else {
        println!("Simulated SMS: printed here as \"SMS to <phone>: ...\"");
    }
    serve(listener, portal, shutdown())
        .await
        .context("the server stopped")?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
