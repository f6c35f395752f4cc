//! A real browser: Debian's headless Chromium, driven over WebDriver by its own chromedriver
//! on a free loopback port. Blocking calls (each one a WebDriver command), so the test reads
//! like the steps a person takes; the app under test stays on the test's thread.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;

/// Where Debian's packages put the browser and its WebDriver server.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The browser window: wide enough for the portal's desktop layout and tall enough that the
/// QR code page fits whole.
const WINDOW: (u32, u32) = (1000, 1000);

/// A headless Chromium session; closing it (on drop) ends the browser and chromedriver.
pub struct Browser {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    base: String,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium (a new profile in a temporary folder)
    /// for the site at `base` (e.g. `http://127.0.0.1:41234`).
    pub fn start(base: &str) -> Result<Browser> {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            if !Path::new(path).exists() {
                bail!(
                    "{path} is missing: the end-to-end test needs Debian's {package} package. \
                     Run scripts/install-deps.sh (as root or with sudo), which installs it"
                );
            }
        }
        let port = free_port()?;
        // Its own process group, so that the browser it starts can be ended with it.
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {CHROMEDRIVER}"))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let profile = tempfile::tempdir()?;
        let mut browser = Browser {
            rt,
            client: None,
            driver,
            base: base.trim_end_matches('/').to_owned(),
            _profile: profile,
        };
        let user_data = format!("--user-data-dir={}", browser._profile.path().display());
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    "--force-device-scale-factor=1",
                    format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                    user_data,
                ],
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            // chromedriver takes a moment to listen; the browser a moment more to start.
            let attempt = browser.rt.block_on(
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&url),
            );
            match attempt {
                Ok(client) => break client,
                Err(e) if started.elapsed() < Duration::from_secs(60) => {
                    if let Ok(Some(status)) = browser.driver.try_wait() {
                        bail!("{CHROMEDRIVER} exited ({status}) before a session started: {e}");
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => bail!("no browser session from {CHROMEDRIVER} within a minute: {e}"),
            }
        };
        browser.client = Some(client);
        Ok(browser)
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a session until drop")
    }

    /// Opens `path` on the site.
    pub fn goto(&self, path: &str) -> Result<()> {
        let url = format!("{}{path}", self.base);
        self.rt
            .block_on(self.client().goto(&url))
            .with_context(|| format!("opening {path}"))
    }

    /// The path of the page shown now.
    pub fn path(&self) -> Result<String> {
        Ok(self
            .rt
            .block_on(self.client().current_url())?
            .path()
            .to_owned())
    }

    /// Types `text` into the field with id `id`, replacing what it held.
    pub fn fill(&self, id: &str, text: &str) -> Result<()> {
        self.rt
            .block_on(async {
                let field = self.client().find(Locator::Id(id)).await?;
                field.clear().await?;
                field.send_keys(text).await
            })
            .with_context(|| format!("typing into the field #{id} on {}", self.where_()))
    }

    /// Presses the button or link whose text is `text` (in the page, the header or the tabs),
    /// and waits for the page it leads to (every button and link of the portal leads to one).
    pub fn press(&self, text: &str) -> Result<()> {
        let xpath = format!(
            "//main//*[(self::button or self::a) and normalize-space()={}] | \
             //header//*[(self::button or self::a) and normalize-space()={0}] | \
             //nav//a[normalize-space()={0}]",
            xpath_string(text)
        );
        self.rt
            .block_on(async {
                let target = self.client().find(Locator::XPath(&xpath)).await?;
                let old_page = self.client().find(Locator::Css("html")).await?;
                target.click().await?;
                // The click may return before the new page replaced the old one: wait until
                // the old document is gone and the new one has loaded.
                let started = Instant::now();
                loop {
                    let gone = old_page.tag_name().await.is_err();
                    let loaded = self
                        .client()
                        .execute("return document.readyState", Vec::new())
                        .await
                        .is_ok_and(|state| state == "complete");
                    if gone && loaded {
                        return Ok(());
                    }
                    if started.elapsed() > Duration::from_secs(30) {
                        bail!("no new page within 30 seconds");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
            .with_context(|| format!("pressing {text:?} on {}", self.where_()))
    }

    /// The page's main heading.
    pub fn heading(&self) -> Result<String> {
        self.text_of("main h1")
    }

    /// The error the page shows (`role="alert"`, or a refused login check), if any.
    pub fn error(&self) -> Result<Option<String>> {
        let found = self
            .rt
            .block_on(self.client().find_all(Locator::Css("main .error")))?;
        match found.first() {
            Some(e) => Ok(Some(self.rt.block_on(e.text())?)),
            None => Ok(None),
        }
    }

    /// The text of the first element matching the CSS selector `css`.
    pub fn text_of(&self, css: &str) -> Result<String> {
        self.rt
            .block_on(async { self.client().find(Locator::Css(css)).await?.text().await })
            .with_context(|| format!("reading {css:?} on {}", self.where_()))
    }

    /// The visible text of the page's main part.
    pub fn main_text(&self) -> Result<String> {
        self.text_of("main")
    }

    /// The definition list of a facts page ("More"): (term, value) pairs.
    pub fn facts(&self) -> Result<Vec<(String, String)>> {
        self.rt
            .block_on(async {
                let terms = self.client().find_all(Locator::Css("dl.facts dt")).await?;
                let values = self.client().find_all(Locator::Css("dl.facts dd")).await?;
                let mut out = Vec::new();
                for (t, v) in terms.iter().zip(&values) {
                    out.push((t.text().await?, v.text().await?));
                }
                Ok::<_, fantoccini::error::CmdError>(out)
            })
            .with_context(|| format!("reading the facts on {}", self.where_()))
    }

    /// A screenshot of the window (PNG).
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        self.rt
            .block_on(self.client().screenshot())
            .context("taking a screenshot")
    }

    /// Where the browser is, for error messages: the path and the heading.
    fn where_(&self) -> String {
        let path = self.path().unwrap_or_else(|e| format!("(no page: {e})"));
        let heading = self
            .rt
            .block_on(async {
                self.client()
                    .find(Locator::Css("main h1"))
                    .await?
                    .text()
                    .await
            })
            .unwrap_or_default();
        format!("{path} ({heading:?})")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Ending the session makes chromedriver close the browser.
            let _ = self.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), client.close()).await
            });
        }
        // Then chromedriver, and whatever it started that is still there: its process group.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A loopback port free at the time of asking.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `text` as an XPath string literal (XPath 1.0 has no escapes: use the other quote).
fn xpath_string(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
