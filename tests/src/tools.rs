//! External tools the tests drive (the venv's Python, `promtool`, `chromium`), found
//! through the `RG_E2E_*` variables that `scripts/test` exports after installing them.
//! A test that needs one fails with a message saying how to get it: it never skips.

use std::path::PathBuf;

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

/// `RG_E2E_CHROMIUM`: Debian's `chromium`, run headless.
pub fn chromium() -> PathBuf {
    required("RG_E2E_CHROMIUM", "Debian's chromium browser")
}

/// `RG_E2E_PROMTOOL`: Prometheus' `promtool`.
pub fn promtool() -> PathBuf {
    required("RG_E2E_PROMTOOL", "Prometheus' promtool")
}
