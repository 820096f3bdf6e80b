//! A tiny W3C WebDriver client on reqwest, driving headless Chromium through `chromedriver`
//! (Debian's `chromium` and `chromium-driver`; `make test` installs them). One chromedriver on
//! a free port per test; it dies with the `Browser`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: std::process::Child,
    base: String,
    session: String,
    http: reqwest::Client,
    /// Put before screenshot names, so runs of one test on two backends keep both.
    artifact_prefix: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Where screenshots go: `target/browser-artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
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
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let mut browser = Browser { driver, base, session: String::new(), http, artifact_prefix: String::new() };
        let v = browser.call(reqwest::Method::POST, "/session", Some(caps)).await;
        browser.session = v["sessionId"].as_str().expect("a session id").to_owned();
        browser
    }

    /// Screenshots are saved as `<prefix><name>.png`.
    pub fn with_artifact_prefix(mut self, prefix: &str) -> Browser {
        self.artifact_prefix = prefix.to_owned();
        self
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = self.http.request(method.clone(), &url);
        let req = match body {
            Some(b) => req.json(&b),
            None if method == reqwest::Method::POST => req.json(&json!({})),
            None => req,
        };
        let r = req.send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert!(status.is_success(), "webdriver {method} {path}: {status} {v}");
        v["value"].clone()
    }

    async fn session_call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body).await
    }

    pub async fn goto(&self, url: &str) {
        self.session_call(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    pub async fn url(&self) -> String {
        self.session_call(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_owned()
    }

    pub async fn find(&self, css: &str) -> String {
        let v = self
            .session_call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})))
            .await;
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {v}")).to_owned()
    }

    pub async fn find_all(&self, css: &str) -> Vec<String> {
        let v = self
            .session_call(reqwest::Method::POST, "/elements", Some(json!({"using": "css selector", "value": css})))
            .await;
        v.as_array().unwrap().iter().map(|e| e[ELEMENT].as_str().unwrap().to_owned()).collect()
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.session_call(reqwest::Method::POST, &format!("/element/{el}/click"), None).await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.session_call(reqwest::Method::POST, &format!("/element/{el}/clear"), None).await;
        self.session_call(reqwest::Method::POST, &format!("/element/{el}/value"), Some(json!({"text": text}))).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.session_call(reqwest::Method::GET, &format!("/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its result.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.session_call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": args}))).await
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
        let all = self.session_call(reqwest::Method::GET, "/cookie", None).await;
        all.as_array()?.iter().find(|c| c["name"] == name).and_then(|c| c["value"].as_str()).map(str::to_owned)
    }

    /// Saves a PNG of the viewport as `target/browser-artifacts/<prefix><name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let v = self.session_call(reqwest::Method::GET, "/screenshot", None).await;
        let png = decode_base64(v.as_str().unwrap());
        std::fs::write(artifacts_dir().join(format!("{}{name}.png", self.artifact_prefix)), png).unwrap();
    }

    /// The browser console since the last call.
    pub async fn console(&self) -> Vec<Value> {
        let v = self.session_call(reqwest::Method::POST, "/se/log", Some(json!({"type": "browser"}))).await;
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

    pub async fn quit(self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    fn val(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
