//! Tamper evidence: edits and deletions made behind the store's back fail `verify`, and an
//! event that can no longer be read is named by its global position.

use super::Harness;
use super::support::*;
use infra::event_store::{ExpectedVersion, StoreError};

pub async fn an_event_edited_behind_the_stores_back_fails_verify(h: &impl Harness) {
    let store = h.store();
    let (s, untouched) = (stream("thing"), stream("thing"));
    store
        .append(append(&s, ExpectedVersion::NoStream, 3))
        .await
        .unwrap();
    store
        .append(append(&untouched, ExpectedVersion::NoStream, 2))
        .await
        .unwrap();
    assert!(store.verify(&s).await.unwrap().intact());
    let victim = store.read_stream(&s, 2).await.unwrap()[0].clone();
    if !h
        .tamper_payload(victim.position, r#"{"n":1,"text":"refund me twice"}"#)
        .await
    {
        eprintln!("skipped: this backend's stored events cannot be edited");
        return;
    }
    let report = store.verify(&s).await.unwrap();
    let broken = report.first_broken.expect("the edit was caught");
    assert_eq!(broken.version, 2);
    assert_eq!(broken.position, victim.position);
    assert_eq!(broken.event_id, victim.event_id);
    assert!(store.verify(&untouched).await.unwrap().intact());
}

pub async fn the_last_event_deleted_behind_the_stores_back_fails_verify(h: &impl Harness) {
    let store = h.store();
    let s = stream("thing");
    store
        .append(append(&s, ExpectedVersion::NoStream, 3))
        .await
        .unwrap();
    let events = store.read_stream(&s, 1).await.unwrap();
    if !h.delete_event(events[2].position).await {
        eprintln!("skipped: this backend's stored events cannot be edited");
        return;
    }
    let report = store.verify(&s).await.unwrap();
    let broken = report.first_broken.expect("the deletion was caught");
    assert_eq!(broken.version, 2, "{}", broken.reason);
    assert_eq!(broken.event_id, events[1].event_id);
    assert!(broken.reason.contains("missing"), "{}", broken.reason);
}

pub async fn an_unreadable_event_is_named_by_its_global_position(h: &impl Harness) {
    let store = h.store();
    let (other, s) = (stream("thing"), stream("thing"));
    // Another stream first, so the victim's position differs from its version.
    store
        .append(append(&other, ExpectedVersion::NoStream, 2))
        .await
        .unwrap();
    store
        .append(append(&s, ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    let victim = store.read_stream(&s, 1).await.unwrap()[0].clone();
    assert_ne!(victim.position, victim.version);
    if !h.tamper_payload(victim.position, "not json").await {
        eprintln!("skipped: this backend's stored events cannot be edited");
        return;
    }
    for read in [
        store.read_payloads(&s, 1).await.map(drop),
        store.read_stream(&s, 1).await.map(drop),
    ] {
        match read {
            Err(StoreError::Corrupt { position, .. }) => assert_eq!(position, victim.position),
            other => panic!("expected a corrupt event, got {other:?}"),
        }
    }
}
