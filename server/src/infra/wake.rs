//! Wake-ups between request handlers and the background tasks: a handler that changes a
//! release nudges the scheduler, the canary controller and the webhook sender instead of
//! leaving them to find out on their next timer, and a test that moves the manual clock
//! can wait until the scheduler has acted at the new time.

use time::OffsetDateTime;
use tokio::sync::{Notify, watch};

/// The nudges the background tasks listen to.
#[derive(Debug)]
pub(crate) struct Wake {
    /// Something the scheduler may act on changed (a release, the clock).
    pub scheduler: Notify,
    /// New webhook deliveries may be pending.
    pub deliveries: Notify,
    /// Something the canary controller may act on changed (a release, the clock).
    pub controller: Notify,
    /// The latest time up to which the scheduler has done everything due.
    scheduled: watch::Sender<OffsetDateTime>,
}

impl Default for Wake {
    fn default() -> Wake {
        Wake {
            scheduler: Notify::new(),
            deliveries: Notify::new(),
            controller: Notify::new(),
            scheduled: watch::channel(OffsetDateTime::UNIX_EPOCH).0,
        }
    }
}

impl Wake {
    /// Releases or deliveries changed: nudge the background tasks. A nudge sent while a
    /// task is busy is kept until it waits again, so none is lost.
    pub(crate) fn changed(&self) {
        self.scheduler.notify_one();
        self.deliveries.notify_one();
        self.controller.notify_one();
    }

    /// The scheduler did everything due up to `at`.
    pub(crate) fn scheduled_up_to(&self, at: OffsetDateTime) {
        self.scheduled.send_if_modified(|current| {
            let moved = at > *current;
            if moved {
                *current = at;
            }
            moved
        });
    }

    /// Waits until the scheduler has done everything due up to `at`.
    pub(crate) async fn until_scheduled(&self, at: OffsetDateTime) {
        let mut scheduled = self.scheduled.subscribe();
        let _ = scheduled.wait_for(|done| *done >= at).await;
    }
}
