//! The count test under simulated canaries, as docs/canary-analysis.md states its expected
//! behaviour: seeded random traffic, 1 % base error rate, the canary ramped
//! 1 → 5 → 20 → 50 % (ten intervals per stage), 2 000 requests per interval, α = 0.05.
//!
//! - a healthy canary is rolled back in under 5 % of 500 runs;
//! - a canary with twice the error rate is caught in every run, typically within 20
//!   intervals; five times the error rate within 5.
//!
//! The detection intervals are printed (`cargo test -- --nocapture`) for the record.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rollgate_core::analysis::CountTest;

const STAGES: [f64; 4] = [0.01, 0.05, 0.20, 0.50];
const INTERVALS_PER_STAGE: usize = 10;
const REQUESTS_PER_INTERVAL: f64 = 2_000.0;
const BASE_ERROR_RATE: f64 = 0.01;
const RUNS: usize = 500;

/// Poisson sample: by inversion for small means, by its normal approximation for large
/// ones (where `exp(-mean)` would underflow).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    if mean > 100.0 {
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0);
    }
    let limit = (-mean).exp();
    let mut product: f64 = rng.random();
    let mut count = 0.0;
    while product > limit {
        product *= rng.random::<f64>();
        count += 1.0;
    }
    count
}

/// Runs one canary through every stage; returns the interval (1-based) at which the
/// test rejected, or `None` if the release completed.
fn run(rng: &mut ChaCha8Rng, treatment_factor: f64) -> Option<usize> {
    let mut test = CountTest::new(0.05, 0.0);
    let mut interval = 0;
    for share in STAGES {
        for _ in 0..INTERVALS_PER_STAGE {
            interval += 1;
            let treatment = REQUESTS_PER_INTERVAL * share;
            let control = REQUESTS_PER_INTERVAL - treatment;
            let treatment_errors = poisson(rng, treatment * BASE_ERROR_RATE * treatment_factor);
            let control_errors = poisson(rng, control * BASE_ERROR_RATE);
            test.observe(treatment, treatment_errors, control, control_errors);
            if test.evidence().rejected() {
                return Some(interval);
            }
        }
    }
    None
}

fn detections(seed: u64, factor: f64) -> Vec<Option<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..RUNS).map(|_| run(&mut rng, factor)).collect()
}

fn percentile(sorted: &[usize], q: f64) -> usize {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[test]
fn a_healthy_canary_is_rolled_back_in_under_five_percent_of_runs() {
    let rolled_back = detections(7, 1.0).iter().filter(|d| d.is_some()).count();
    eprintln!("healthy: rolled back in {rolled_back} of {RUNS} runs");
    assert!(
        rolled_back * 100 < RUNS * 5,
        "{rolled_back} of {RUNS} healthy canaries rolled back"
    );
}

/// Runs `RUNS` canaries with `factor` times the base error rate; every one must be
/// caught. Returns (median, p90, max) of the detection interval.
fn detection_intervals(seed: u64, factor: f64) -> (usize, usize, usize) {
    let mut caught: Vec<usize> = detections(seed, factor)
        .into_iter()
        .map(|d| d.unwrap_or_else(|| panic!("a {factor}x canary completed")))
        .collect();
    caught.sort_unstable();
    let summary = (
        percentile(&caught, 0.5),
        percentile(&caught, 0.9),
        caught[caught.len() - 1],
    );
    eprintln!(
        "{factor}x error rate: caught at interval median {}, p90 {}, max {}",
        summary.0, summary.1, summary.2
    );
    summary
}

#[test]
fn twice_the_error_rate_is_caught_in_every_run_typically_within_twenty_intervals() {
    let (median, _, _) = detection_intervals(11, 2.0);
    assert!(median <= 20, "median detection at interval {median}");
}

#[test]
fn five_times_the_error_rate_is_caught_within_five_intervals() {
    let (median, _, _) = detection_intervals(13, 5.0);
    assert!(median <= 5, "median detection at interval {median}");
}

/// A standard normal sample (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let (u, v): (f64, f64) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Runs the mean test for 40 intervals of a latency-like metric (200 ms ± 20 ms per
/// interval in each arm); returns whether it rejected.
fn mean_run(rng: &mut ChaCha8Rng, shift: f64) -> Option<usize> {
    let mut test = rollgate_core::analysis::MeanTest::new(0.05, 0.0);
    for interval in 1..=40 {
        test.observe(
            0.200 + shift + 0.020 * normal(rng),
            0.200 + 0.020 * normal(rng),
        );
        if test.evidence().rejected() {
            return Some(interval);
        }
    }
    None
}

#[test]
fn the_mean_test_keeps_false_alarms_rare_and_catches_a_real_shift() {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let false_alarms = (0..RUNS)
        .filter(|_| mean_run(&mut rng, 0.0).is_some())
        .count();
    let caught: Vec<usize> = (0..RUNS)
        .filter_map(|_| mean_run(&mut rng, 0.030))
        .collect();
    eprintln!(
        "mean test: {false_alarms} false alarms in {RUNS}; a +30 ms shift caught in {} runs",
        caught.len()
    );
    assert!(false_alarms * 100 < RUNS * 5, "{false_alarms} false alarms");
    assert!(
        caught.len() * 100 >= RUNS * 95,
        "a 1.5-sigma shift caught in only {} runs",
        caught.len()
    );
}

#[test]
fn the_sample_ratio_test_flags_a_broken_split_and_not_a_fair_one() {
    use rollgate_core::analysis::SampleRatioTest;
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let mut flagged = |true_share: f64| {
        (0..RUNS)
            .filter(|_| {
                let mut test = SampleRatioTest::new(0.01, 0.10);
                (0..20).any(|_| {
                    let treatment = poisson(&mut rng, 200.0 * true_share / 0.10);
                    let control = poisson(&mut rng, 1_800.0);
                    test.observe(treatment, control);
                    test.mismatch()
                })
            })
            .count()
    };
    let fair = flagged(0.10);
    let broken = flagged(0.13);
    eprintln!(
        "sample ratio: fair split flagged in {fair} of {RUNS}, a 13 % split (10 % planned) in {broken}"
    );
    assert!(fair * 100 < RUNS, "{fair} fair splits flagged");
    assert_eq!(broken, RUNS, "a broken split went unnoticed");
}
