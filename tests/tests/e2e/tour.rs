//! The README's five-minute tour runs exactly as written. Its shell blocks are read
//! from README.md, the credentials a real `rollgate serve --demo` printed are put where
//! the tour says to take them (`rg_adm_…`, `rg_sdk_…`), the address where it says
//! `localhost:8070`, and the blocks run, in order, as one bash script (`set -e`: every
//! command must succeed) with this build's `rollgate` first on the `PATH`. A comment
//! line right under a command is what the README says it prints: each must be found in
//! that command's output, in order, with `…` standing for anything.

use std::path::Path;
use std::time::Duration;

use rollgate_e2e::{Options, Server, binary, wait, workspace};

/// One command of the tour and the output the README shows for it.
#[derive(Debug)]
struct Step {
    command: String,
    expected: Vec<String>,
}

/// The `sh` blocks of the README section headed `heading`, up to the next section.
fn blocks(readme: &str, heading: &str) -> Vec<String> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in README.md"));
    let section = &readme[start + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .split("```sh\n")
        .skip(1)
        .map(|block| block[..block.find("```").unwrap()].to_owned())
        .collect()
}

/// Splits a block into commands (a command goes on over `\` line ends, open single
/// quotes and here-documents) with the comment lines that follow each.
fn steps(block: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut lines = block.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.trim_start().strip_prefix('#') {
            let step = steps.last_mut().expect("a comment before any command");
            step.expected.push(comment.trim().to_owned());
            continue;
        }
        let mut command = line.to_owned();
        let heredoc = line
            .split("<<'")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .map(str::to_owned);
        loop {
            let open_quotes = in_single_quotes(&command);
            let continued = command.trim_end().ends_with('\\');
            let in_heredoc = heredoc.as_deref().is_some_and(|end| {
                command.lines().last() != Some(end) || command.lines().count() == 1
            });
            if !(open_quotes || continued || in_heredoc) {
                break;
            }
            let next = lines.next().expect("the command ends in its block");
            command.push('\n');
            command.push_str(next);
        }
        steps.push(Step {
            command,
            expected: Vec::new(),
        });
    }
    steps
}

/// Does `command` end inside a single-quoted string (comments, double quotes and
/// escapes taken into account, as bash reads them)?
fn in_single_quotes(command: &str) -> bool {
    let (mut single, mut double, mut comment, mut escaped) = (false, false, false, false);
    let mut previous = '\n';
    for c in command.chars() {
        if comment {
            comment = c != '\n';
        } else if escaped {
            escaped = false;
        } else if single {
            single = c != '\'';
        } else {
            match c {
                '\\' => escaped = true,
                '"' => double = !double,
                '\'' if !double => single = true,
                '#' if !double && previous.is_whitespace() => comment = true,
                _ => {}
            }
        }
        previous = c;
    }
    single
}

/// Does `output` hold `patterns` in order, each a line with `…` for anything?
fn find_in_order(output: &str, patterns: &[String]) -> Result<(), String> {
    let mut at = 0;
    for pattern in patterns {
        let start = at;
        for piece in pattern.split('…').map(str::trim).filter(|p| !p.is_empty()) {
            let Some(found) = output[at..].find(piece) else {
                return Err(format!(
                    "{piece:?} (of {pattern:?}) not found after byte {start}"
                ));
            };
            at += found + piece.len();
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_tour_runs_as_written() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let tour: Vec<Step> = blocks(&readme, "## A five-minute tour")
        .iter()
        .flat_map(|block| steps(block))
        .collect();
    assert!(tour.len() > 20, "the tour's commands: {tour:#?}");

    let server = Server::start_with(Options {
        args: vec!["--demo".into()],
        no_admin_token: true,
        ..Options::default()
    })
    .await;
    let (admin, sdk) = wait::until(Duration::from_secs(30), "the demo credentials", || async {
        let found = || {
            Some((
                server.printed("admin token:")?,
                server.printed("SDK key (production):")?,
            ))
        };
        found().ok_or_else(|| format!("{:?} {:?}", server.banner, server.stdout()))
    })
    .await;
    let address = server.url.trim_start_matches("http://").to_owned();
    let local = |text: &str| {
        text.replace("rg_adm_…", &admin)
            .replace("rg_sdk_…", &sdk)
            .replace("localhost:8070", &address)
            .replace("127.0.0.1:8070", &address)
    };

    let mut script = String::from("set -euo pipefail\n");
    for (index, step) in tour.iter().enumerate() {
        script.push_str(&format!("printf '\\n@@@ {index}\\n'\n"));
        script.push_str(&local(&step.command));
        script.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tour.sh"), &script).unwrap();
    let bin_dir = binary().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new("bash")
            .arg("tour.sh")
            .current_dir(dir.path())
            .env("PATH", path)
            .env_remove("ROLLGATE_URL")
            .env_remove("ROLLGATE_TOKEN")
            .output(),
    )
    .await
    .expect("the tour ends within two minutes")
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the tour stopped ({}):\n{stdout}\n{stderr}",
        output.status
    );
    for (index, step) in tour.iter().enumerate() {
        let marker = format!("\n@@@ {index}\n");
        let from = stdout
            .find(&marker)
            .unwrap_or_else(|| panic!("step {index} ran"))
            + marker.len();
        let to = stdout[from..]
            .find("\n@@@ ")
            .map_or(stdout.len(), |end| from + end);
        let printed = &stdout[from..to];
        let expected: Vec<String> = step.expected.iter().map(|e| local(e)).collect();
        if let Err(why) = find_in_order(printed, &expected) {
            panic!(
                "README says `{}` prints\n{}\nbut it printed\n{printed}\n({why})",
                step.command,
                expected.join("\n")
            );
        }
    }
    assert!(
        Path::new(&dir.path().join("report.html")).is_file(),
        "the HTML report was saved"
    );
}
