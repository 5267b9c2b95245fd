//! The state every request handler and background task shares.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::infra::auth::TokenIndex;
use crate::infra::clock::{Clock, ManualClock};
use crate::infra::config::Settings;
use crate::infra::hub::Hub;
use crate::infra::metrics::Metrics;
use crate::infra::store::Store;
use crate::infra::wake::Wake;
use crate::service::reports::cache::KpiCache;

/// Shared server state, built once by [`crate::lifecycle::run`].
pub(crate) struct App {
    /// The settings the server runs with.
    pub settings: Settings,
    /// Where documents live.
    pub store: Arc<dyn Store>,
    /// Compiled snapshots and the in-memory catalog.
    pub hub: Arc<Hub>,
    /// Token records for authentication.
    pub tokens: Arc<TokenIndex>,
    /// The server's own metrics registry and the handles the services count with.
    pub metrics: Metrics,
    /// Where every "now" comes from: the system clock, or the manual one in tests.
    pub clock: Arc<dyn Clock>,
    /// The test-only manual clock (`testing.manual_clock_start`), when it is the clock.
    pub manual_clock: Option<Arc<ManualClock>>,
    /// Nudges for the scheduler and the webhook sender.
    pub wake: Arc<Wake>,
    /// The KPIs of interim reports, measured at most once per analysis interval.
    pub kpis: KpiCache,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("bind", &self.settings.bind)
            .finish_non_exhaustive()
    }
}

impl App {
    /// How long a background task sleeps when it is next due at `next`: until then, at
    /// most `idle` (a nudge ends the sleep earlier). On the manual clock time moves only
    /// when a test moves it, which nudges the tasks, so they sleep `idle`.
    pub(crate) fn sleep_until(&self, next: Option<OffsetDateTime>, idle: Duration) -> Duration {
        match next {
            Some(_) if self.manual_clock.is_some() => idle,
            Some(at) => Duration::try_from(at - self.clock.now())
                .unwrap_or(Duration::ZERO)
                .min(idle),
            None => idle,
        }
    }
}
