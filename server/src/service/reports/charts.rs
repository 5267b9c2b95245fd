//! The report's charts as inline SVG, drawn with `plotters`' SVG backend: the share of
//! everyone served the released variant over time, with the stages labelled, the
//! pauses shaded and the rollback marked; and each health check over time — treatment
//! against control, with its bound, or "no data" written across an empty chart. Time runs from the release's start, so
//! the charts line up one under the other.
//!
//! Only numbers and fixed words are drawn as SVG text (plotters escapes them anyway);
//! names chosen by users are written by the HTML around the charts.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use time::OffsetDateTime;

use super::model::{HealthPoint, HealthSeries, Report};
use super::text;

/// Width and height of every chart, in pixels.
const SIZE: (u32, u32) = (960, 300);
const TREATMENT: RGBColor = RGBColor(214, 39, 40);
const CONTROL: RGBColor = RGBColor(31, 119, 180);
const ROLLOUT: RGBColor = RGBColor(44, 160, 44);
const BOUNDARY: RGBColor = RGBColor(150, 150, 150);
const PAUSED: RGBColor = RGBColor(180, 180, 180);
const ROLLBACK: RGBColor = RGBColor(214, 39, 40);
/// Above this many intervals, a health chart draws lines without point markers.
const MAX_MARKERS: usize = 200;

type Drawn = Result<(), Box<dyn std::error::Error>>;
/// Which value of a point an arm draws.
type Value = fn(&HealthPoint) -> Option<f64>;

/// The time axis shared by the charts of a report: from the start to the end (or the
/// report's time), at least one second long.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Axis {
    start: OffsetDateTime,
    length: f64,
}

impl Axis {
    /// The axis of `report`, if the release started.
    pub(crate) fn of(report: &Report) -> Option<Axis> {
        let start = report.dates.started_at?;
        let end = report.dates.ended_at.unwrap_or(report.generated_at);
        let mut length = (end - start).as_seconds_f64();
        for point in report.health.iter().flat_map(|h| &h.points) {
            length = length.max((point.at - start).as_seconds_f64());
        }
        Some(Axis {
            start,
            length: length.max(1.0),
        })
    }

    fn x(&self, at: OffsetDateTime) -> f64 {
        (at - self.start).as_seconds_f64().clamp(0.0, self.length)
    }
}

/// Seconds since the start as `+1h 5m`.
fn elapsed(seconds: &f64) -> String {
    format!("+{}", text::duration(seconds.max(0.0).round() as u64))
}

/// The share of everyone served the released variant over time, each step labelled
/// with its stage, audience and percentage, the pauses shaded and the rollback marked
/// in red — with a dashed line where each stage opened.
pub(crate) fn rollout(report: &Report, axis: Axis) -> String {
    let mut svg = String::new();
    if let Err(error) = draw_rollout(&mut svg, report, axis) {
        tracing::warn!(%error, "rollout chart not drawn");
        return String::new();
    }
    svg
}

fn draw_rollout(svg: &mut String, report: &Report, axis: Axis) -> Drawn {
    let mut steps: Vec<(f64, f64)> = Vec::new();
    for point in &report.rollout {
        let x = axis.x(point.at);
        if let Some(&(_, previous)) = steps.last() {
            steps.push((x, previous));
        }
        steps.push((x, point.everyone));
    }
    if let Some(&(_, last)) = steps.last() {
        steps.push((axis.length, last));
    }
    let frame = Frame {
        axis,
        low: 0.0,
        high: 105.0,
        y_desc: "% of everyone (at least)",
        legend: SeriesLabelPosition::MiddleRight,
    };
    draw(svg, report, &frame, |chart| {
        for (index, pause) in report.pauses.iter().enumerate() {
            let from = axis.x(pause.from);
            let until = pause.until.map_or(axis.length, |until| axis.x(until));
            let shade = chart.draw_series(std::iter::once(Rectangle::new(
                [(from, frame.low), (until.max(from), frame.high)],
                PAUSED.mix(0.35).filled(),
            )))?;
            if index == 0 {
                shade.label("paused").legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 20, y + 5)], PAUSED.mix(0.35).filled())
                });
            }
        }
        chart
            .draw_series(LineSeries::new(steps, ROLLOUT.stroke_width(3)))?
            .label("share of everyone")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], ROLLOUT.stroke_width(3)));
        for (index, point) in report.rollout.iter().enumerate() {
            let x = axis.x(point.at);
            if point.event == "rolled_back" {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, frame.low), (x, frame.high)],
                        ROLLBACK.stroke_width(3),
                    )))?
                    .label("rollback")
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], ROLLBACK.stroke_width(3))
                    });
            }
            let label = match point.stage {
                Some(stage) => format!(
                    "{} {} {}",
                    stage + 1,
                    point.audience,
                    text::percent(point.percent)
                ),
                None if point.event == "rolled_back" => "rollback".to_owned(),
                None => point.event.replace('_', " "),
            };
            // Staggered, so the labels of stages close in time stay apart; pulled in
            // from the right edge, so the last one is not cut off.
            let y = (point.everyone + 4.0 + (index % 3) as f64 * 8.0).min(frame.high - 8.0);
            let x = x.min(axis.length * 0.9);
            chart.draw_series(std::iter::once(Text::new(
                label,
                (x, y),
                ("sans-serif", 13).into_font().color(&BLACK),
            )))?;
        }
        Ok(())
    })
}

/// Does `series` have a value in any interval, for either arm?
pub(crate) fn has_data(series: &HealthSeries) -> bool {
    series
        .points
        .iter()
        .any(|p| p.treatment.is_some() || p.control.is_some())
}

/// One health check over time: treatment, control and the bound(s).
pub(crate) fn health(report: &Report, series: &HealthSeries, axis: Axis) -> String {
    let mut svg = String::new();
    if let Err(error) = draw_health(&mut svg, report, series, axis) {
        tracing::warn!(%error, check = series.check, "health chart not drawn");
        return String::new();
    }
    svg
}

fn draw_health(svg: &mut String, report: &Report, series: &HealthSeries, axis: Axis) -> Drawn {
    let values = series
        .points
        .iter()
        .flat_map(|p| [p.treatment, p.control])
        .chain([series.max, series.min])
        .flatten()
        .filter(|v| v.is_finite());
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (low, high) = if low.is_finite() {
        let pad = ((high - low) * 0.1).max(high.abs() * 0.05).max(1e-9);
        let floor = if low >= 0.0 {
            (low - pad).max(0.0)
        } else {
            low - pad
        };
        (floor, high + pad)
    } else {
        (0.0, 1.0)
    };
    let frame = Frame {
        axis,
        low,
        high,
        y_desc: "",
        legend: SeriesLabelPosition::UpperLeft,
    };
    let empty = !has_data(series);
    draw(svg, report, &frame, |chart| {
        if empty {
            chart.draw_series(std::iter::once(Text::new(
                "no data",
                (axis.length / 2.0, (low + high) / 2.0),
                ("sans-serif", 28).into_font().color(&BOUNDARY),
            )))?;
        }
        for bound in [series.max, series.min].into_iter().flatten() {
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, bound), (axis.length, bound)],
                    8,
                    6,
                    BLACK.stroke_width(2),
                ))?
                .label(format!("bound {}", text::number(Some(bound))))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2))
                });
        }
        let arms: [(&str, RGBColor, Value); 2] = [
            ("treatment", TREATMENT, |p| p.treatment),
            ("control", CONTROL, |p| p.control),
        ];
        for (name, color, value) in arms {
            let points: Vec<Option<(f64, f64)>> = series
                .points
                .iter()
                .map(|p| value(p).map(|v| (axis.x(p.at), v)))
                .collect();
            // A gap (no data) breaks the line.
            for segment in points.split(Option::is_none) {
                let segment: Vec<(f64, f64)> = segment.iter().flatten().copied().collect();
                chart.draw_series(LineSeries::new(segment, color.stroke_width(2)))?;
            }
            // Markers only while they can be told apart (and keep the page light).
            let markers = points.len() <= MAX_MARKERS;
            chart
                .draw_series(
                    points
                        .iter()
                        .flatten()
                        .filter(|_| markers)
                        .map(|&p| Circle::new(p, 3, color.filled())),
                )?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        Ok(())
    })
}

/// The axes and legend of a chart.
struct Frame {
    axis: Axis,
    low: f64,
    high: f64,
    y_desc: &'static str,
    legend: SeriesLabelPosition,
}

/// A chart's drawing area.
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws the frame every chart shares (time axis, stage boundaries, legend) around
/// what `series` draws.
fn draw(
    svg: &mut String,
    report: &Report,
    frame: &Frame,
    series: impl FnOnce(&mut Chart<'_, '_>) -> Drawn,
) -> Drawn {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(72)
        .build_cartesian_2d(0f64..frame.axis.length, frame.low..frame.high)?;
    chart
        .configure_mesh()
        .x_desc("time since start")
        .y_desc(frame.y_desc)
        .x_label_formatter(&elapsed)
        .y_label_formatter(&|y| text::number(Some(*y)))
        .draw()?;
    boundaries(&mut chart, report, frame)?;
    series(&mut chart)?;
    chart
        .configure_series_labels()
        .position(frame.legend.clone())
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// A dashed vertical line where each stage opened, numbered like the stage table.
fn boundaries(chart: &mut Chart<'_, '_>, report: &Report, frame: &Frame) -> Drawn {
    for stage in &report.stages {
        let Some(opened) = stage.opened_at else {
            continue;
        };
        let x = frame.axis.x(opened);
        chart.draw_series(DashedLineSeries::new(
            [(x, frame.low), (x, frame.high)],
            4,
            4,
            BOUNDARY.stroke_width(1),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{}", stage.index + 1),
            (x, frame.high),
            ("sans-serif", 14).into_font().color(&BLACK),
        )))?;
    }
    Ok(())
}
