//! The read store conformance suite, written once and run against every backend.
//! A backend's test file calls [`read_store_suite!`] with an async function returning
//! `Option<(Arc<dyn ReadStore>, Guard)>`: the store, and whatever must live as long as the
//! test (a temporary folder, a database to drop). None: the backend is not configured, and
//! the tests skip.

#![allow(dead_code)]

pub mod checks;

/// Kept alive for the length of one test.
pub type Guard = Box<dyn std::any::Any + Send>;

/// Generates one `#[tokio::test]` per check.
#[macro_export]
macro_rules! read_store_suite {
    ($fresh:path) => {
        $crate::read_store_suite!(@tests $fresh;
            documents_round_trip_with_their_position,
            older_or_equal_positions_do_not_overwrite,
            a_replayed_batch_changes_nothing,
            checkpoints_start_at_zero_and_never_move_back,
            filters_select_by_equality_range_and_membership,
            sorting_breaks_ties_by_id_and_pages_cover_everything_once,
            pagination_stays_stable_while_documents_arrive,
            invalid_queries_are_refused,
            one_owner_holds_a_lease_until_it_expires,
            a_dropped_collection_is_gone,
        );
    };
    (@tests $fresh:path; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let Some((store, _guard)) = $fresh().await else { return };
                $crate::read_store_conformance::checks::$check(store).await;
            }
        )+
    };
}
