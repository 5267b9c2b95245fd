//! Headless Chromium (Debian's, `RG_E2E_CHROMIUM`, installed by `scripts/test`) for
//! the tests that render an HTML page: run it on a file, collect the page's errors from
//! its log, screenshot the page and dump its DOM, or leave it open on a page that
//! reports over HTTP, and check that a screenshot is a real
//! picture. Pages and screenshots are kept under `target/report-artifacts/`. A missing
//! Chromium fails the test (see [`crate::tools::chromium`]); it never skips.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test harness: failing loudly is the point"
)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::tools::chromium;
use crate::workspace;

/// Where the page and its screenshot are kept.
pub fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let dir = target.join("report-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// How every test runs Chromium: headless, without anything a test did not ask for.
const HEADLESS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// Opens `url` in headless Chromium and leaves it running until the returned child is
/// dropped: for pages that act on their own and report what they see over HTTP.
pub fn open(url: &str, profile: &Path) -> tokio::process::Child {
    tokio::process::Command::new(chromium())
        .args(HEADLESS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Runs headless Chromium on `page` with `extra` arguments; it must succeed and the page
/// must log no error.
pub async fn run_chromium(page: &Path, profile: &Path, extra: &[String]) -> Output {
    let mut command = tokio::process::Command::new(chromium());
    command
        .args(HEADLESS)
        .args(["--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .kill_on_drop(true);
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), command.output())
        .await
        .expect("chromium finished within two minutes")
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "chromium failed: {log}");
    let errors = page_errors(&log);
    assert!(errors.is_empty(), "the page logged errors: {errors:?}");
    output
}

/// Lines of Chromium's log that report a problem with the page itself.
pub fn page_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| {
            line.contains("CONSOLE")
                || line.contains("Refused to")
                || line.contains("Uncaught")
                || line.contains("ERR_FILE_NOT_FOUND")
                || line.contains("net::ERR_")
        })
        .collect()
}

/// A page as Chromium rendered it.
pub struct Rendered {
    /// The screenshot (PNG, 1280×2000).
    pub png: Vec<u8>,
    /// The DOM after loading.
    pub dom: String,
}

/// Writes `html` as `<name>.html` among the artifacts, screenshots it (kept as
/// `<name>.png`) and dumps its DOM (`<name>.dom.html`); both runs must succeed without
/// any error from the page.
pub async fn render(name: &str, html: &str) -> Rendered {
    let dir = artifacts();
    let page = dir.join(format!("{name}.html"));
    let screenshot = dir.join(format!("{name}.png"));
    std::fs::write(&page, html).unwrap();
    let _ = std::fs::remove_file(&screenshot);
    let profile = tempfile::tempdir().unwrap();
    let shot = run_chromium(
        &page,
        profile.path(),
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,2000".to_owned(),
        ],
    )
    .await;
    let png = std::fs::read(&screenshot).unwrap_or_else(|e| {
        panic!(
            "no screenshot at {} ({e}): {}",
            screenshot.display(),
            String::from_utf8_lossy(&shot.stderr)
        )
    });
    let dom = run_chromium(&page, profile.path(), &["--dump-dom".to_owned()]).await;
    let dom = String::from_utf8(dom.stdout).unwrap();
    std::fs::write(dir.join(format!("{name}.dom.html")), &dom).unwrap();
    Rendered { png, dom }
}

/// Panics unless `png` is a 1280×2000 picture of more than a few colours.
pub fn assert_real_picture(png: &[u8]) {
    assert!(
        png.len() > 20_000,
        "a real page, not a blank one: {} bytes",
        png.len()
    );
    let picture = Picture::of(png);
    assert_eq!((picture.width, picture.height), (1280, 2000));
    assert!(
        picture.colours > 50,
        "{} colours: the page did not render",
        picture.colours
    );
}

/// What a screenshot shows, roughly: its size and how many colours it has (a blank or
/// an error screen has a handful).
pub struct Picture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Distinct colours.
    pub colours: usize,
}

impl Picture {
    /// Decodes a PNG.
    pub fn of(png: &[u8]) -> Picture {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        let channels = frame.color_type.samples();
        let colours: HashSet<&[u8]> = pixels[..frame.buffer_size()].chunks(channels).collect();
        Picture {
            width: frame.width,
            height: frame.height,
            colours: colours.len(),
        }
    }
}
