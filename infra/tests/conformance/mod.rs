//! The event store conformance suite, written once and run against every backend.
//!
//! A backend's test file implements [`Harness`] and calls [`conformance_suite!`] with an
//! async function that returns a harness around a fresh, empty store.

#![allow(dead_code)]

pub mod aggregates;
pub mod checks;
pub mod processes;
pub mod snapshots;
pub mod support;
pub mod verify;
pub mod windows;

use async_trait::async_trait;
use infra::event_store::stored::StoredEvent;
use infra::event_store::{EventStore, Position};
use std::sync::Arc;

/// A fresh store plus the backdoors the suite needs to act "behind the store's back".
#[async_trait]
pub trait Harness: Send + Sync {
    /// The store under test.
    fn store(&self) -> Arc<dyn EventStore>;
    /// True when positions are 1, 2, 3, ... without gaps.
    fn dense_positions(&self) -> bool;
    /// True when the backend keeps snapshots (KurrentDB's adapter does not yet).
    fn keeps_snapshots(&self) -> bool;
    /// The store URL a child process opens to append to this same store (see
    /// `examples/append_until_killed.rs`), or `None` when processes cannot share it.
    fn child_store(&self) -> Option<String>;
    /// Overwrites one stored payload directly in the backend; false when the backend's
    /// storage cannot be edited at all (KurrentDB).
    async fn tamper_payload(&self, position: Position, payload: &str) -> bool;
    /// Deletes one stored event directly in the backend, leaving its stream's head as it
    /// was; false when the backend's storage cannot be edited at all (KurrentDB).
    async fn delete_event(&self, position: Position) -> bool;
    /// Writes an event row exactly as given, as an older build would have stored it, and
    /// moves its stream's head to it.
    async fn insert_raw(&self, event: &StoredEvent);
}

/// Generates one `#[tokio::test]` per check for a backend.
#[macro_export]
macro_rules! conformance_suite {
    ($fresh:path) => {
        $crate::conformance_suite!(@tests $fresh;
            appended_events_read_back_with_their_metadata,
            a_stale_expected_version_conflicts_and_writes_nothing,
            an_append_after_an_event_needs_the_stream_to_end_with_it,
            any_and_exact_expected_versions_append,
            an_append_with_one_bad_event_writes_none_of_it,
            a_retried_command_id_appends_nothing,
            invalid_appends_are_refused,
            the_global_log_reads_in_batches_and_streams_from_a_version,
            concurrent_writers_and_a_tailing_subscriber_agree,
            a_subscriber_wakes_on_commit_without_polling,
            an_event_edited_behind_the_stores_back_fails_verify,
            the_last_event_deleted_behind_the_stores_back_fails_verify,
            an_unreadable_event_is_named_by_its_global_position,
            a_stored_v1_event_upcasts_and_replays_like_v2,
            cqrs_framework_commits_and_loads_aggregates,
            a_stale_aggregate_commit_is_a_conflict,
            stats_count_events_and_streams,
            several_processes_append_while_a_subscriber_tails,
            a_filtered_read_covers_every_position_and_returns_only_its_types,
            a_snapshot_is_kept_only_with_the_event_it_was_taken_at,
            a_long_stream_loads_from_its_snapshot_like_a_full_replay,
            a_snapshot_of_another_layout_is_passed_over_and_rebuilt,
        );
    };
    (@tests $fresh:path; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                let Some(harness) = $fresh().await else { return };
                $crate::conformance::checks::$check(&harness).await;
            }
        )+
    };
}
