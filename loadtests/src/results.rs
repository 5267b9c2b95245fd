//! From the measurements of a run to what is quoted: medians over the rounds, ratios to
//! the baseline (the median of the per-round ratios, since both sides of a round ran on
//! the same machine moments apart), the targets of loadtests/README.md met or not; written as
//! `results/<date>.json` and as the generated section of `RESULTS.md`, which is the
//! only part of that file a run rewrites.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::scenarios::Scenario;
use crate::suite::{Measurement, Run, Side};

/// Marks the start of the generated section of `RESULTS.md`.
pub const BEGIN: &str =
    "<!-- BEGIN loadtest all: generated, a run rewrites everything down to the END mark -->";
/// Marks its end.
pub const END: &str = "<!-- END loadtest all -->";

/// The median (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut values: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    })
}

/// One server's medians for one scenario.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SideSummary {
    /// Requests per second at max.
    pub requests_per_s: Option<f64>,
    /// Server CPU µs per request at max.
    pub cpu_us_per_request: Option<f64>,
    /// p99 latency at half load, µs.
    pub p99_half_load_us: Option<f64>,
    /// p50 latency at half load, µs.
    pub p50_half_load_us: Option<f64>,
    /// Errors over every round and run of the scenario.
    pub errors: u64,
    /// Reads-during-writes: reads per second without the writes.
    pub reads_alone_per_s: Option<f64>,
    /// Reads-during-writes: the drop of reads per second the writes caused (0.1 = 10 %).
    pub drop: Option<f64>,
    /// Reads-during-writes: writes per second achieved.
    pub writes_per_s: Option<f64>,
    /// Reads-during-writes: server CPU µs per read without writes.
    pub reads_alone_cpu_us_per_request: Option<f64>,
    /// Reads-during-writes: how much more server CPU a read costs while the writes run
    /// (their own CPU included; 0.1 = 10 %).
    pub cpu_increase: Option<f64>,
}

/// One scenario's figures.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioSummary {
    /// The scenario.
    pub scenario: Scenario,
    /// What it sends.
    pub description: &'static str,
    /// Rollgate's medians.
    pub rollgate: SideSummary,
    /// The baseline's medians.
    pub baseline: SideSummary,
    /// Rollgate req/s ÷ baseline req/s (median of the rounds).
    pub ratio: Option<f64>,
    /// Rollgate CPU per request ÷ the baseline's (median of the rounds).
    pub cpu_ratio: Option<f64>,
}

fn side_summary(measurements: &[&Measurement]) -> SideSummary {
    let of =
        |f: &dyn Fn(&Measurement) -> Option<f64>| median(measurements.iter().filter_map(|m| f(m)));
    SideSummary {
        requests_per_s: of(&|m| Some(m.max.requests_per_s)),
        cpu_us_per_request: of(&|m| Some(m.server_cpu_us_per_request)),
        p99_half_load_us: of(&|m| m.half_load.as_ref().map(|h| h.latency_us.p99 as f64)),
        p50_half_load_us: of(&|m| m.half_load.as_ref().map(|h| h.latency_us.p50 as f64)),
        errors: measurements
            .iter()
            .map(|m| {
                m.max.error_count()
                    + m.half_load.as_ref().map_or(0, |o| o.error_count())
                    + m.reads_alone.as_ref().map_or(0, |o| o.error_count())
                    + m.writes.as_ref().map_or(0, |o| o.error_count())
            })
            .sum(),
        reads_alone_per_s: of(&|m| m.reads_alone.as_ref().map(|r| r.requests_per_s)),
        drop: of(&|m| {
            let alone = m.reads_alone.as_ref()?.requests_per_s;
            (alone > 0.0).then(|| 1.0 - m.max.requests_per_s / alone)
        }),
        writes_per_s: of(&|m| m.writes.as_ref().map(|w| w.requests_per_s)),
        reads_alone_cpu_us_per_request: of(&|m| m.reads_alone_cpu_us_per_request),
        cpu_increase: of(&|m| {
            let alone = m.reads_alone_cpu_us_per_request?;
            (alone > 0.0).then(|| m.server_cpu_us_per_request / alone - 1.0)
        }),
    }
}

/// The per-scenario summaries of a run.
pub fn summarize(run: &Run) -> Vec<ScenarioSummary> {
    let mut summaries = Vec::new();
    for scenario in &run.settings.scenarios {
        if run.not_available.contains_key(scenario) {
            continue;
        }
        let of = |side: Side| -> Vec<&Measurement> {
            run.measurements
                .iter()
                .filter(|m| m.scenario == *scenario && m.side == side)
                .collect()
        };
        let (rollgate, baseline) = (of(Side::Rollgate), of(Side::Baseline));
        let per_round = |f: &dyn Fn(&Measurement) -> f64| {
            median(rollgate.iter().filter_map(|r| {
                let b = baseline.iter().find(|b| b.round == r.round)?;
                let (r, b) = (f(r), f(b));
                (b > 0.0).then(|| r / b)
            }))
        };
        summaries.push(ScenarioSummary {
            scenario: *scenario,
            description: scenario.describe(),
            rollgate: side_summary(&rollgate),
            baseline: side_summary(&baseline),
            ratio: per_round(&|m| m.max.requests_per_s),
            cpu_ratio: per_round(&|m| m.server_cpu_us_per_request),
        });
    }
    summaries
}

/// A target of loadtests/README.md and whether this run met it.
#[derive(Clone, Debug, Serialize)]
pub struct TargetCheck {
    /// The target as loadtests/README.md states it.
    pub target: String,
    /// What this run measured.
    pub measured: String,
    /// Met, not met, or not measured (`None`).
    pub met: Option<bool>,
}

/// Unleash Edge's req/s as a fraction of the bare limit, from the reference figures of
/// loadtests/README.md (bare actix-web 78 000/s on this kind of machine): the peer comparisons
/// below are ratios of ratios.
const EDGE_ALL_FLAGS: f64 = 11_600.0 / 78_000.0;
const EDGE_RULESET: f64 = 9_500.0 / 78_000.0;

/// Checks the targets this run measures.
pub fn check_targets(run: &Run, summaries: &[ScenarioSummary]) -> Vec<TargetCheck> {
    let find = |s: Scenario| summaries.iter().find(|x| x.scenario == s);
    let mut checks = Vec::new();
    let mut ratio = |scenario: Scenario, target: &str, at_least: f64| {
        let ratio = find(scenario).and_then(|s| s.ratio);
        checks.push(TargetCheck {
            target: target.to_owned(),
            measured: ratio.map_or_else(
                || format!("{} not measured", scenario.name()),
                |r| format!("{r:.2} × bare"),
            ),
            met: ratio.map(|r| r >= at_least),
        });
    };
    ratio(Scenario::OfrepFlag, "OFREP single flag ≥ 0.85 × bare", 0.85);
    ratio(
        Scenario::OfrepBulk,
        "OFREP bulk (50 flags) ≥ 0.5 × bare",
        0.5,
    );
    ratio(
        Scenario::OfrepBulk,
        "OFREP bulk ≥ 3 × Unleash Edge's all-flags endpoint (≥ 0.45 × bare, from the reference figures)",
        3.0 * EDGE_ALL_FLAGS,
    );
    ratio(
        Scenario::Ruleset,
        "ruleset download ≥ 3 × Unleash Edge's (≥ 0.37 × bare, from the reference figures)",
        3.0 * EDGE_RULESET,
    );
    ratio(Scenario::Ruleset304, "ruleset 304 path ≥ 0.9 × bare", 0.9);
    let p99 = find(Scenario::OfrepFlag).and_then(|s| s.rollgate.p99_half_load_us);
    checks.push(TargetCheck {
        target: "OFREP single flag p99 ≤ 1 ms at half load".to_owned(),
        measured: p99.map_or_else(|| "not measured".to_owned(), |p| format!("p99 {:.0} µs", p)),
        met: p99.map(|p| p <= 1000.0),
    });
    let drop = find(Scenario::ReadsDuringWrites).and_then(|s| s.rollgate.drop);
    checks.push(TargetCheck {
        target: "OFREP throughput drops ≤ 10 % while 50 admin writes/s run".to_owned(),
        measured: drop.map_or_else(
            || "not measured".to_owned(),
            |d| format!("{:.1} % drop", d * 100.0),
        ),
        met: drop.map(|d| d <= 0.10),
    });
    let loaded = run.memory.loaded.map(|m| m.rss_kib);
    checks.push(TargetCheck {
        target: format!("≤ 64 MB RSS with {} flags", run.memory.flags),
        measured: loaded.map_or_else(
            || "not measured".to_owned(),
            |k| format!("{:.1} MB", k as f64 / 1024.0),
        ),
        met: loaded.map(|k| k <= 64 * 1024),
    });
    checks
}

/// What `results/<date>.json` holds.
#[derive(Serialize)]
pub struct Report<'a> {
    /// When the run ended (UTC, RFC 3339).
    pub date: String,
    /// The command that made it.
    pub command: String,
    /// The commit of the sources (with `+dirty` for local changes).
    pub commit: String,
    /// Medians and ratios.
    pub summary: &'a [ScenarioSummary],
    /// Targets met or not.
    pub targets: &'a [TargetCheck],
    /// Everything measured.
    pub run: &'a Run,
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.decimals$}"))
}

fn thousands(value: Option<f64>) -> String {
    let Some(value) = value else {
        return "–".to_owned();
    };
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn mb(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "–".to_owned(),
        |k| format!("{:.1} MB", k as f64 / 1024.0),
    )
}

/// The generated section of `RESULTS.md`, marks included.
pub fn markdown(report: &Report<'_>, json_file: &str) -> String {
    let run = report.run;
    let settings = &run.settings;
    let loads: Vec<f64> = run.measurements.iter().map(|m| m.load_average[0]).collect();
    let (low, high) = loads
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}\n");
    let _ = writeln!(out, "## Throughput, latency and memory (generated)\n");
    let _ = writeln!(
        out,
        "Run of {} at commit `{}`, {:.0} s: `{}`. All figures of every round: [`{json_file}`]({json_file}).\n",
        report.date, report.commit, run.seconds, report.command
    );
    let pinning = settings.pinning.as_ref().map_or_else(
        || "none (servers and load generator share every CPU)".to_owned(),
        |(server, generator)| {
            format!("servers on CPU {server}, load generator on CPU {generator} (`taskset`)")
        },
    );
    let _ = writeln!(
        out,
        "- Machine: {} × {}, Linux {}; load average (1 min) {:.2} at the start, {:.2}–{:.2} during the run.",
        run.machine.nproc,
        run.machine.cpu_model,
        run.machine.kernel,
        run.load_average_start[0],
        if low.is_finite() { low } else { 0.0 },
        high
    );
    let _ = writeln!(
        out,
        "- Method: keep-alive HTTP/1.1 on loopback, {} connections, {} rounds alternating the order of the servers, {} s per measurement after {} s of warm-up; the load generator has {} thread(s); pinning: {pinning}.",
        settings.connections,
        settings.rounds,
        settings.duration.as_secs_f64(),
        settings.warmup.as_secs_f64(),
        settings.generator_threads
    );
    let _ = writeln!(
        out,
        "- Max = closed loop; latency = open loop at 50 % of that server's max in the same round, measured from each request's intended send time. Figures are medians of the rounds; a ratio is the median of the per-round ratios. CPU = server utime + stime (`/proc/<pid>/stat`) ÷ requests.\n"
    );
    let _ = writeln!(
        out,
        "| scenario | rollgate req/s | baseline req/s | ratio | rollgate CPU µs/req | baseline CPU µs/req | rollgate p50 / p99 at half load | baseline p50 / p99 at half load | errors (rollgate / baseline) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for s in report.summary {
        let latency = |side: &SideSummary| {
            if side.p99_half_load_us.is_none() {
                return "–".to_owned();
            }
            format!(
                "{} / {} µs",
                number(side.p50_half_load_us, 0),
                number(side.p99_half_load_us, 0)
            )
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | **{}** | {} | {} | {} | {} | {} / {} |",
            s.scenario.name(),
            thousands(s.rollgate.requests_per_s),
            thousands(s.baseline.requests_per_s),
            number(s.ratio, 2),
            number(s.rollgate.cpu_us_per_request, 1),
            number(s.baseline.cpu_us_per_request, 1),
            latency(&s.rollgate),
            latency(&s.baseline),
            s.rollgate.errors,
            s.baseline.errors
        );
    }
    for (scenario, why) in &run.not_available {
        let _ = writeln!(
            out,
            "| {} | not available: {why} | | | | | | | |",
            scenario.name()
        );
    }
    if let Some(s) = report
        .summary
        .iter()
        .find(|s| s.scenario == Scenario::ReadsDuringWrites)
    {
        let _ = writeln!(
            out,
            "\nReads during writes ({} admin writes/s requested; {} pairs of slices, reads alone then with writes, alternating): rollgate {} reads/s alone, {} with writes ({} writes/s done), a drop of **{} %**; server CPU per read {} → {} µs ({} %, the writes' own CPU included). Baseline: {} → {} reads/s ({} %).",
            settings.write_rate,
            crate::suite::WRITE_SLICES,
            thousands(s.rollgate.reads_alone_per_s),
            thousands(s.rollgate.requests_per_s),
            number(s.rollgate.writes_per_s, 1),
            number(s.rollgate.drop.map(|d| d * 100.0), 1),
            number(s.rollgate.reads_alone_cpu_us_per_request, 1),
            number(s.rollgate.cpu_us_per_request, 1),
            number(s.rollgate.cpu_increase.map(|d| d * 100.0), 1),
            thousands(s.baseline.reads_alone_per_s),
            thousands(s.baseline.requests_per_s),
            number(s.baseline.drop.map(|d| d * 100.0), 1),
        );
    }
    let _ = writeln!(out, "\nScenarios:\n");
    for s in report.summary {
        let _ = writeln!(out, "- `{}`: {}", s.scenario.name(), s.description);
    }
    let memory = &run.memory;
    let _ = writeln!(out, "\n| memory (VmRSS) | rollgate |");
    let _ = writeln!(out, "|---|---:|");
    let _ = writeln!(
        out,
        "| fresh server, no flags | {} |",
        mb(memory.empty.map(|m| m.rss_kib))
    );
    let _ = writeln!(
        out,
        "| {} flags written through the admin API ({:.0} s) | {} (peak {}) |",
        memory.flags,
        memory.seed_seconds,
        mb(memory.loaded.map(|m| m.rss_kib)),
        mb(memory.loaded.map(|m| m.peak_kib))
    );
    let _ = writeln!(
        out,
        "| the same store, server restarted (flags loaded at startup) | {} (peak {}) |",
        mb(memory.restarted.map(|m| m.rss_kib)),
        mb(memory.restarted.map(|m| m.peak_kib))
    );
    let _ = writeln!(
        out,
        "| after the rounds (demo data + 50 flags) | {} (peak {}); baseline {} |",
        mb(memory.after_rounds.map(|m| m.rss_kib)),
        mb(memory.after_rounds.map(|m| m.peak_kib)),
        mb(memory.baseline_after_rounds.map(|m| m.rss_kib))
    );
    let _ = writeln!(out, "\n| target (README.md, Targets) | measured | met |");
    let _ = writeln!(out, "|---|---|---|");
    for check in report.targets {
        let met = match check.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "not measured",
        };
        let _ = writeln!(out, "| {} | {} | {met} |", check.target, check.measured);
    }
    let _ = writeln!(out, "\n{END}");
    out
}

/// Replaces the generated section of the file at `path` (or appends it).
pub fn update_results_md(path: &Path, section: &str) -> std::io::Result<()> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    let updated = match (current.find(BEGIN), current.find(END)) {
        (Some(begin), Some(end)) if end > begin => {
            format!(
                "{}{}{}",
                &current[..begin],
                section.trim_end(),
                &current[end + END.len()..]
            )
        }
        _ if current.is_empty() => format!("# Rollgate load test results\n\n{section}"),
        _ => format!("{}\n\n{section}", current.trim_end()),
    };
    std::fs::write(path, updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median([3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median([4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median([f64::NAN]), None);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(Some(78_123.4)), "78 123");
        assert_eq!(thousands(Some(999.0)), "999");
        assert_eq!(thousands(None), "–");
    }

    #[test]
    fn only_the_generated_section_is_replaced() {
        let dir = tempfile::tempdir().ok();
        let path = dir
            .as_ref()
            .map(|d| d.path().join("RESULTS.md"))
            .unwrap_or_default();
        let before =
            format!("# Results\n\nhand-written\n\n{BEGIN}\nold\n{END}\n\n## Propagation\n\nkept\n");
        assert!(std::fs::write(&path, before).is_ok());
        assert!(update_results_md(&path, &format!("{BEGIN}\nnew\n{END}\n")).is_ok());
        let after = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            after,
            format!("# Results\n\nhand-written\n\n{BEGIN}\nnew\n{END}\n\n## Propagation\n\nkept\n")
        );
    }
}
