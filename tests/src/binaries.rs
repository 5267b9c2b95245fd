//! The binaries under test: `rollgate` (or `$ROLLGATE_BIN`) and the workspace's other
//! binaries, each refused when it is older than the sources it was built from, so a test
//! never passes against stale code.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `rollgate` binary under test, checked to be newer than the sources.
pub fn binary() -> PathBuf {
    match std::env::var_os("ROLLGATE_BIN") {
        Some(path) => fresh(
            PathBuf::from(path),
            "rollgate-server",
            &["core/src", "server/src"],
        ),
        None => built("rollgate", "rollgate-server", &["core/src", "server/src"]),
    }
}

/// A binary of the workspace (`target/debug/<name>`, built by package `package`),
/// checked to be newer than every file under `sources` (paths in the workspace).
pub fn built(name: &str, package: &str, sources: &[&str]) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    fresh(target.join("debug").join(name), package, sources)
}

fn fresh(path: PathBuf, package: &str, sources: &[&str]) -> PathBuf {
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is missing: run scripts/test, or `cargo build -p {package}` first",
                path.display()
            )
        });
    // Cargo's dep-info beside the binary lists exactly the files it was built from; a
    // source the binary does not read (a `#[cfg(test)]` module) must not make it stale.
    let newest = match built_from(&path) {
        Some(files) => files.iter().map(|file| modified(file)).max(),
        None => sources
            .iter()
            .map(|dir| newest_file(&workspace().join(dir)))
            .max(),
    }
    .unwrap_or(SystemTime::UNIX_EPOCH);
    assert!(
        built >= newest,
        "{} is older than the sources: run `cargo build -p {package}` (scripts/test does)",
        path.display()
    );
    path
}

/// The files a binary was built from, from cargo's `<binary>.d` (`target: dep dep…`,
/// spaces in paths escaped as `\ `); `None` without one (a binary from elsewhere).
fn built_from(binary: &Path) -> Option<Vec<PathBuf>> {
    let mut name = binary.as_os_str().to_owned();
    name.push(".d");
    let text = std::fs::read_to_string(PathBuf::from(name)).ok()?;
    let (_, deps) = text.lines().next()?.split_once(": ")?;
    let mut files = Vec::new();
    let mut current = String::new();
    let mut chars = deps.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ' ' => files
                .extend((!current.is_empty()).then(|| PathBuf::from(std::mem::take(&mut current)))),
            other => current.push(other),
        }
    }
    files.extend((!current.is_empty()).then(|| PathBuf::from(current)));
    Some(files)
}

/// When a file was last changed; a file that is gone counts as changed now (the binary
/// was built from something that no longer exists).
fn modified(file: &Path) -> SystemTime {
    std::fs::metadata(file)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| SystemTime::now())
}

fn newest_file(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_file(&path)
        } else {
            entry.metadata().unwrap().modified().unwrap()
        };
        newest = newest.max(time);
    }
    newest
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::built_from;

    #[test]
    fn the_files_a_binary_was_built_from_are_read_from_its_dep_info() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("app");
        std::fs::write(
            dir.path().join("app.d"),
            "/t/app: /w/core/src/lib.rs /w/my\\ dir/main.rs\n\n/w/core/src/lib.rs:\n",
        )
        .unwrap();
        assert_eq!(
            built_from(&binary),
            Some(vec![
                PathBuf::from("/w/core/src/lib.rs"),
                PathBuf::from("/w/my dir/main.rs")
            ])
        );
        assert_eq!(built_from(&dir.path().join("other")), None);
    }
}
