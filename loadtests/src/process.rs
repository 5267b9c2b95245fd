//! Servers as child processes, and what `/proc` says about them and the machine: CPU
//! time (utime + stime from `/proc/<pid>/stat`), resident memory (`VmRSS`, `VmHWM` from
//! `/proc/<pid>/status`), the processor, the load average.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a server may take to print its `listening on` line.
const STARTUP: Duration = Duration::from_secs(30);

/// A running server; killed when dropped.
pub struct Server {
    /// What it is (`rollgate`, `baseline`).
    pub name: String,
    /// Where it listens.
    pub address: SocketAddr,
    /// Lines it printed on stdout after the `listening on` line, up to the first blank
    /// line or the start timeout (the demo credentials of `rollgate --demo`).
    pub banner: Vec<String>,
    child: Child,
}

impl Server {
    /// Starts `command` (stdout piped, stderr inherited) and waits for its line
    /// `… listening on http://ADDR`.
    pub async fn start(name: &str, mut command: Command) -> anyhow::Result<Server> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {name}: {command:?}"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("{name}: no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let address = tokio::time::timeout(STARTUP, async {
            while let Some(line) = lines.next_line().await? {
                if let Some((_, url)) = line.split_once("listening on http://") {
                    return Ok(url.trim().parse::<SocketAddr>()?);
                }
            }
            bail!("{name} exited before it listened")
        })
        .await
        .map_err(|_| anyhow!("{name} did not listen within {STARTUP:?}"))??;
        let mut banner = Vec::new();
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_millis(200), lines.next_line()).await
        {
            banner.push(line);
        }
        // Keep reading stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server {
            name: name.to_owned(),
            address,
            banner,
            child,
        })
    }

    /// The process id.
    pub fn pid(&self) -> anyhow::Result<u32> {
        self.child
            .id()
            .ok_or_else(|| anyhow!("{} has exited", self.name))
    }

    /// CPU time used so far, user + system, all threads.
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        cpu_time(self.pid()?)
    }

    /// Resident memory now and at its peak.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        memory(self.pid()?)
    }

    /// Stops the server: SIGTERM, then SIGKILL if it has not exited within 10 s.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id().and_then(|id| i32::try_from(id).ok()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
            if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
                .await
                .is_ok()
            {
                return;
            }
        }
        let _ = self.child.kill().await;
    }
}

/// A command that runs `program` pinned to `cpus` (a `taskset` CPU list such as `0`
/// or `0-1`) when given.
pub fn command(program: &Path, cpus: Option<&str>) -> Command {
    match cpus {
        Some(cpus) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(cpus).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// Pins this process (every thread it has and will start) to `cpus`.
pub fn pin_self(cpus: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .context("cannot run taskset (util-linux)")?;
    if !status.success() {
        bail!("taskset -a -p -c {cpus} failed: {status}");
    }
    Ok(())
}

/// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .filter(|ticks| *ticks > 0)
            .unwrap_or(100)
    })
}

/// CPU time of process `pid` (utime + stime of all its threads).
pub fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
    parse_cpu_ticks(&stat)
        .map(|ticks| Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64))
        .ok_or_else(|| anyhow!("unexpected /proc/{pid}/stat: {stat}"))
}

/// utime + stime, in clock ticks, from the text of `/proc/<pid>/stat`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces: count from the
    // last `)`. Then field 3 (state) is index 0, utime (14) index 11, stime (15) index 12.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Resident memory of a process, in kibibytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the peak.
    pub peak_kib: u64,
}

/// `VmRSS` and `VmHWM` of process `pid`.
pub fn memory(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Ok(Memory {
        rss_kib: field("VmRSS:").ok_or_else(|| anyhow!("no VmRSS for {pid}"))?,
        peak_kib: field("VmHWM:").unwrap_or_default(),
    })
}

/// The 1-, 5- and 15-minute load averages.
pub fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut fields = text.split_whitespace().map(|f| f.parse().unwrap_or(0.0));
    [(); 3].map(|_| fields.next().unwrap_or(0.0))
}

/// The machine a run was made on.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Machine {
    /// CPUs this process may use (`nproc`).
    pub nproc: usize,
    /// `model name` of `/proc/cpuinfo`.
    pub cpu_model: String,
    /// `uname -r`.
    pub kernel: String,
}

impl Machine {
    /// Reads the machine's description.
    pub fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map_or_else(
                || "unknown".to_owned(),
                |(_, model)| model.trim().to_owned(),
            );
        Machine {
            nproc: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".to_owned(), |k| k.trim().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_counted_after_a_command_name_with_spaces() {
        let stat = "4242 (tokio (rt) 1) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 5 0";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let pid = std::process::id();
        let spent = (0..200_000u64).fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(b));
        assert_ne!(spent, 1);
        assert!(cpu_time(pid).is_ok());
        let memory = memory(pid).unwrap_or_default();
        assert!(memory.rss_kib > 0 && memory.peak_kib >= memory.rss_kib);
    }
}
