//! Headless Chromium through `chromedriver` (Debian's `chromium` and `chromium-driver`; `make test`
//! installs them), driven with the `thirtyfour` WebDriver client. One chromedriver on a free port
//! per test; it dies with the `Browser`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use thirtyfour::common::command::FormatRequestData;
use thirtyfour::{By, Capabilities, RequestData, SessionId, WebDriver, WebElement};

pub struct Browser {
    driver: std::process::Child,
    session: Option<WebDriver>,
    /// Put before screenshot names, so runs of one test on two backends keep both.
    artifact_prefix: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// chromedriver's browser log (`/se/log`), which the W3C protocol has no command for.
#[derive(Debug)]
struct BrowserLog;

impl FormatRequestData for BrowserLog {
    fn format_request(&self, session_id: &SessionId) -> RequestData {
        RequestData::new(reqwest::Method::POST, format!("session/{session_id}/se/log"))
            .add_body(json!({"type": "browser"}))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Where screenshots go: `target/browser-artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session `width` × `height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        let port = free_port();
        let driver = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium chromium-driver; `make test` does it)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut options = json!({
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                     format!("--window-size={width},{height}")],
        });
        // Chromium's windows are at least ~500 px wide: a phone is emulated instead.
        if width < 500 {
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}});
        }
        if std::path::Path::new("/usr/bin/chromium").exists() {
            options["binary"] = json!("/usr/bin/chromium");
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let caps: Capabilities = caps.as_object().unwrap().clone().into();
        let mut browser = Browser { driver, session: None, artifact_prefix: String::new() };
        browser.session = Some(WebDriver::new(base, caps).await.expect("a WebDriver session"));
        browser
    }

    /// Screenshots are saved as `<prefix><name>.png`.
    pub fn with_artifact_prefix(mut self, prefix: &str) -> Browser {
        self.artifact_prefix = prefix.to_owned();
        self
    }

    fn session(&self) -> &WebDriver {
        self.session.as_ref().expect("a session until quit")
    }

    pub async fn goto(&self, url: &str) {
        self.session().goto(url).await.unwrap();
    }

    pub async fn url(&self) -> String {
        self.session().current_url().await.unwrap().to_string()
    }

    pub async fn find(&self, css: &str) -> WebElement {
        self.session().find(By::Css(css)).await.unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub async fn find_all(&self, css: &str) -> Vec<WebElement> {
        self.session().find_all(By::Css(css)).await.unwrap()
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Runs `script` (a function body; `arguments` are `args`, a JSON array) and returns its result.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        let args = args.as_array().cloned().unwrap_or_default();
        self.session().execute(script, args).await.unwrap().json().clone()
    }

    /// Polls `script` until it returns true.
    pub async fn wait_for(&self, what: &str, script: &str, timeout: Duration) {
        let started = Instant::now();
        loop {
            if self.execute(script, json!([])).await == json!(true) {
                return;
            }
            assert!(started.elapsed() < timeout, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn cookie(&self, name: &str) -> Option<String> {
        let all = self.session().get_all_cookies().await.unwrap();
        all.into_iter().find(|c| c.name == name).map(|c| c.value)
    }

    /// Saves a PNG of the viewport as `target/browser-artifacts/<prefix><name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.session().screenshot_as_png().await.unwrap();
        std::fs::write(artifacts_dir().join(format!("{}{name}.png", self.artifact_prefix)), png).unwrap();
    }

    /// The browser console since the last call.
    pub async fn console(&self) -> Vec<Value> {
        let v = self.session().cmd(BrowserLog).await.unwrap().value_json().unwrap();
        v.as_array().cloned().unwrap_or_default()
    }

    /// Fails on any SEVERE console entry (a JavaScript error, a failed resource, a CSP refusal).
    pub async fn assert_no_console_errors(&self, page: &str) {
        let severe: Vec<Value> = self.console().await.into_iter().filter(|e| e["level"] == "SEVERE").collect();
        assert!(severe.is_empty(), "console errors on {page}: {severe:#?}");
    }

    /// Every page: `<html lang>`, a `<title>`, a label for every form control.
    pub async fn assert_accessible_basics(&self, page: &str) {
        let problems = self
            .execute(
                r#"
                const out = [];
                if (!document.documentElement.getAttribute("lang")) out.push("html has no lang");
                if (!document.title || !document.title.trim()) out.push("no title");
                document.querySelectorAll("input, select, textarea").forEach(function (c) {
                    const t = (c.getAttribute("type") || "").toLowerCase();
                    if (["hidden", "submit", "button", "reset", "image"].includes(t)) return;
                    const labelled = (c.labels && c.labels.length > 0) || c.getAttribute("aria-label");
                    if (!labelled) out.push("unlabelled " + c.tagName + " name=" + c.name + " id=" + c.id);
                });
                return out;
                "#,
                json!([]),
            )
            .await;
        assert_eq!(problems, json!([]), "accessibility basics on {page}");
    }

    /// Screenshot + labels/title/lang + no console errors: what every page visit checks.
    pub async fn check_page(&self, name: &str) {
        self.assert_accessible_basics(name).await;
        self.screenshot(name).await;
        self.assert_no_console_errors(name).await;
    }

    pub async fn quit(mut self) {
        if let Some(session) = self.session.take() {
            let _ = session.quit().await;
        }
    }
}
