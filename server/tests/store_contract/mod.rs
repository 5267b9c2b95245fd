//! The contract every store backend passes: one `pub async fn` per behaviour, taking a
//! fresh, empty store. A backend's test file runs them all with
//! `store_contract_tests!(fresh)`, where `fresh(retention)` is an async function that
//! opens an empty store keeping `retention` changes and returns a [`Fresh`].

pub mod audit;
pub mod copy;
pub mod documents;
pub mod feed;
pub mod model;

use std::any::Any;
use std::sync::Arc;

use rollgate_server::infra::store::{Change, Commit, Document, Expect, Kind, Store, Write};
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::datetime;

/// The retention a store is opened with for most cases: more than any case commits.
pub const RETENTION: u64 = 10_000;

/// The retention for the cases about pruning.
pub const SMALL_RETENTION: u64 = 3;

/// An empty store for one case, and whatever must outlive it (a temporary directory,
/// a Redis database to flush…).
pub struct Fresh {
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// Dropped after the case.
    pub keep: Box<dyn Any + Send + Sync>,
}

/// Expands into one `#[tokio::test]` per contract case, each on a store from
/// `$fresh(retention).await`.
macro_rules! store_contract_tests {
    ($fresh:path) => {
        $crate::store_contract::store_contract_tests!(@cases $fresh,
            $crate::store_contract::RETENTION;
            documents::an_empty_store_has_revision_zero_and_nothing_in_it,
            documents::created_documents_read_back_and_list_in_key_order,
            documents::versions_start_at_one_and_grow_by_one_per_write,
            documents::expect_absent_conflicts_when_present_and_writes_nothing,
            documents::expect_present_conflicts_when_absent,
            documents::expect_version_conflicts_on_any_other_version,
            documents::a_failing_write_leaves_the_whole_commit_unwritten,
            documents::checks_guard_documents_the_commit_does_not_write,
            documents::expect_revision_refuses_a_commit_once_the_store_moved_on,
            documents::delete_removes_and_reports_the_deleted_version,
            documents::deleting_an_absent_document_takes_a_revision_without_entries,
            documents::writes_to_one_document_in_one_commit_apply_in_order,
            documents::an_empty_commit_is_refused_without_a_revision,
            documents::a_body_that_is_not_json_is_refused,
            documents::each_commit_takes_exactly_the_next_revision,
            documents::concurrent_compare_and_set_has_one_winner_per_version,
            feed::subscribers_see_one_change_per_commit_in_revision_order,
            feed::changes_since_returns_exactly_the_changes_after_a_revision,
            feed::a_subscriber_resuming_from_a_revision_misses_and_repeats_nothing,
            audit::audit_records_before_and_after_newest_first,
            audit::audit_pages_backwards_with_before_revision,
            audit::audit_filters_by_kind_and_key,
            audit::unaudited_commits_leave_no_audit_events,
            model::random_commits_agree_with_a_model,
            copy::a_dump_holds_every_document_the_audit_trail_and_the_revision,
            copy::restore_leaves_a_store_that_is_not_empty_as_it_is,
            copy::a_restored_store_reads_like_its_source_and_goes_on_from_its_revision,
        );
        $crate::store_contract::store_contract_tests!(@cases $fresh,
            $crate::store_contract::SMALL_RETENTION;
            feed::changes_since_is_too_old_once_the_next_change_was_pruned,
        );
    };
    (@cases $fresh:path, $retention:expr; $($module:ident :: $case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let $crate::store_contract::Fresh { store, keep } = $fresh($retention).await;
                $crate::store_contract::$module::$case(store).await;
                drop(keep);
            }
        )+
    };
}
pub(crate) use store_contract_tests;

/// The time every test commit claims.
pub const AT: OffsetDateTime = datetime!(2025-03-01 12:00 UTC);

/// A put of `value` as JSON.
pub fn put(kind: Kind, key: &str, expect: Expect, value: Value) -> Write {
    Write::put(kind, key, expect, serde_json::to_vec(&value).unwrap())
}

/// An audited commit by `actor`.
pub fn commit_by(actor: &str, action: &str, writes: Vec<Write>) -> Commit {
    Commit {
        actor: actor.to_owned(),
        action: action.to_owned(),
        at: AT,
        writes,
        checks: Vec::new(),
        audited: true,
        expect_revision: None,
    }
}

/// An audited commit by the test.
pub fn commit(writes: Vec<Write>) -> Commit {
    commit_by("tester", "test.write", writes)
}

/// Commits one unconditional put.
pub async fn put_one(store: &dyn Store, kind: Kind, key: &str, value: Value) -> Arc<Change> {
    store
        .commit(commit(vec![put(kind, key, Expect::Any, value)]))
        .await
        .unwrap()
}

/// A document's body as JSON.
pub fn body(document: &Document) -> Value {
    serde_json::from_slice(&document.body).unwrap()
}

/// The revisions of some changes.
pub fn revisions(changes: &[Arc<Change>]) -> Vec<u64> {
    changes.iter().map(|c| c.revision).collect()
}
