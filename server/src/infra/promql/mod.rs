//! Prometheus as a source of measurements: the query client and the PromQL templates of
//! a release's checks and KPIs. Both the canary controller and the validation reports
//! query through here, so what "no data" or "a query error" means is decided once.

pub(crate) mod client;
pub(crate) mod endpoints;
pub(crate) mod template;
