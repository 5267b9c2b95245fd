//! The HTML report renders in a real browser: headless Chromium (Debian's, installed by
//! `scripts/test`) screenshots the page the server served and dumps its DOM. The page
//! must load without console errors or refused resources, the screenshot must be a
//! real picture (not one colour), and the DOM must hold the SVG charts. The page and
//! the screenshot are kept under `target/report-artifacts/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: failing loudly is the point"
)]

mod releases_support;
mod reports_support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use reports_support::{desk_with_prometheus, rolled_back_by_hand, view};
use rollgate_e2e::tools::chromium;
use rollgate_e2e::workspace;

/// Where the page and its screenshot are kept.
fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let dir = target.join("report-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs headless Chromium on `page` with `extra` arguments.
async fn run_chromium(page: &Path, profile: &Path, extra: &[String]) -> Output {
    let mut command = tokio::process::Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .kill_on_drop(true);
    tokio::time::timeout(std::time::Duration::from_secs(120), command.output())
        .await
        .expect("chromium finished within two minutes")
        .unwrap()
}

/// Lines of Chromium's log that report a problem with the page itself.
fn page_errors(stderr: &str) -> Vec<&str> {
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

#[tokio::test]
async fn the_html_report_renders_in_headless_chromium() {
    let (desk, _stub) = desk_with_prometheus().await;
    let id = rolled_back_by_hand(&desk).await;
    let html = view(
        &desk,
        &format!("/api/v1/releases/{id}/report"),
        Some("text/html"),
    )
    .await;
    assert_eq!(html.status, reqwest::StatusCode::OK);
    let dir = artifacts();
    let page = dir.join("rolled-back-by-hand.html");
    let screenshot = dir.join("rolled-back-by-hand.png");
    std::fs::write(&page, &html.text).unwrap();
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
    let log = String::from_utf8_lossy(&shot.stderr);
    assert!(shot.status.success(), "chromium failed: {log}");
    assert!(
        page_errors(&log).is_empty(),
        "the page logged errors: {:?}",
        page_errors(&log)
    );
    let png = std::fs::read(&screenshot)
        .unwrap_or_else(|e| panic!("no screenshot at {} ({e}): {log}", screenshot.display()));
    assert!(
        png.len() > 20_000,
        "a real page, not a blank one: {} bytes",
        png.len()
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(&png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), (1280, 2000));
    let channels = frame.color_type.samples();
    let colours: HashSet<&[u8]> = pixels[..frame.buffer_size()].chunks(channels).collect();
    assert!(
        colours.len() > 50,
        "{} colours: the page did not render",
        colours.len()
    );

    let dom = run_chromium(&page, profile.path(), &["--dump-dom".to_owned()]).await;
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(dom.status.success(), "chromium failed: {log}");
    assert!(
        page_errors(&log).is_empty(),
        "the page logged errors: {:?}",
        page_errors(&log)
    );
    let dom = String::from_utf8(dom.stdout).unwrap();
    std::fs::write(dir.join("rolled-back-by-hand.dom.html"), &dom).unwrap();
    assert!(dom.contains("<figure class=\"chart\" id=\"chart-rollout\">"));
    assert!(dom.contains("<svg"), "the chart is SVG in the page");
    assert!(
        dom.contains("<polyline") || dom.contains("<path"),
        "the chart has a line"
    );
    assert!(dom.contains("Validation report: Checkout v2 2.4.0"));
    assert!(dom.contains("payment provider timeouts"));
}
