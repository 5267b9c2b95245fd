//! A chart per health check on a release page: treatment against control with the
//! check's bound, drawn as inline SVG by the server with the same code as the
//! validation report's charts, so the page and the report never disagree. The charts
//! are part of the page's live part: they move when the controller records an
//! analysis.

/// One check's chart.
#[derive(Clone, Debug, Default)]
pub struct CheckChart {
    /// The check's name.
    pub check: String,
    /// Its bound, in words (`≤ 0.05`).
    pub bound: String,
    /// Did any interval have data?
    pub has_data: bool,
    /// How many intervals the chart shows (the latest).
    pub shown: usize,
    /// How many intervals were recorded.
    pub recorded: usize,
    /// The chart: an SVG document made by the server from numbers and fixed words
    /// only (no text anyone typed), printed as markup.
    pub svg: String,
}
