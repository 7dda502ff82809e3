//! `save_contacts`, `delete_contacts`, `list_contacts` on the in-memory contact store.

use crate::contacts::{delete_contacts, list_contacts};
use crate::error::BroadcastError;
use crate::input::DeleteContacts;
use crate::replies::SeedAddresses;
use crate::store::memory::MemoryBroadcastStore;

use super::fixture::{tenant, user, World, TWO_CONTACTS};

fn seed(telegram: &str, whatsapp: &str, viber: &str) -> SeedAddresses {
    SeedAddresses {
        telegram: telegram.into(),
        whatsapp: whatsapp.into(),
        viber: viber.into(),
    }
}

#[tokio::test]
async fn saved_contacts_are_listed_with_the_zone_and_counted() {
    let w = World::new();
    let acme = tenant("acme");

    let saved = w
        .save(
            &acme,
            r#"{"user_name": "ops", "time_zone": "Europe/Moscow", "contacts": [
                {"name": "Artem", "messangers": {"telegram": "-100123", "whatsApp": "+7 992 008-28-615"}},
                {"name": "Lera", "messangers": {"viber": "lera01"}}]}"#,
        )
        .await
        .unwrap();

    assert!(saved.success);
    assert_eq!(saved.time_zone.map(|z| z.name()), Some("Europe/Moscow"));
    let list = list_contacts(&w.store.contacts, &acme, &user("ops"))
        .await
        .unwrap();
    assert_eq!(list.contacts.len(), 2);
    assert_eq!(
        list.contacts["Artem"],
        seed("-100123", "+799200828615", ""),
        "stored normalised; an unset messenger shows as \"\""
    );
    assert_eq!(list.contacts["Lera"], seed("", "", "lera01"));
    assert_eq!(list.time_zone.map(|z| z.name()), Some("Europe/Moscow"));
    assert_eq!(w.store.contacts.count(&acme), 2);
}

#[tokio::test]
async fn saving_again_replaces_a_contact_whole_and_counts_only_new_ones() {
    let w = World::new();
    let acme = tenant("acme");
    w.save(&acme, TWO_CONTACTS).await.unwrap();
    w.save(&acme, r#"{"user_name": "ops", "time_zone": "Asia/Tokyo"}"#)
        .await
        .unwrap();

    w.save(
        &acme,
        r#"{"user_name": "ops", "contacts": [
            {"name": "Artem", "messangers": {"telegram": "12345"}},
            {"name": "Vasya", "messangers": {"telegram": "67890"}}]}"#,
    )
    .await
    .unwrap();

    let list = list_contacts(&w.store.contacts, &acme, &user("ops"))
        .await
        .unwrap();
    assert_eq!(list.contacts["Artem"], seed("12345", "", ""));
    assert_eq!(list.contacts["Vasya"], seed("67890", "", ""));
    assert_eq!(list.contacts.len(), 3);
    assert_eq!(
        list.time_zone.map(|z| z.name()),
        Some("Asia/Tokyo"),
        "a save without a zone keeps the user's"
    );
    assert_eq!(
        w.store.contacts.count(&acme),
        3,
        "Artem was replaced, not added"
    );
}

#[tokio::test]
async fn new_contacts_past_the_quota_are_refused_together() {
    let mut w = World::new();
    w.store = MemoryBroadcastStore::default().with_max_contacts(3);
    let acme = tenant("acme");
    w.save(&acme, TWO_CONTACTS).await.unwrap();

    // Two new ones (and one replaced) do not fit in the one place left: none is stored.
    let err = w
        .save(
            &acme,
            r#"{"user_name": "ops", "contacts": [
                {"name": "Artem", "messangers": {"telegram": "11111"}},
                {"name": "Vasya", "messangers": {"telegram": "22222"}},
                {"name": "Olga", "messangers": {"telegram": "33333"}}]}"#,
        )
        .await
        .unwrap_err();

    let BroadcastError::Quota(over) = err else {
        panic!("expected the contacts quota, got {err:?}");
    };
    assert_eq!(
        over.message,
        "this tenant has reached its quota of 3 contacts; delete some first"
    );
    let list = list_contacts(&w.store.contacts, &acme, &user("ops"))
        .await
        .unwrap();
    assert_eq!(list.contacts.keys().collect::<Vec<_>>(), ["Artem", "Lera"]);
    assert_eq!(list.contacts["Artem"].telegram, "-100123", "not replaced");
    assert_eq!(w.store.contacts.count(&acme), 2);

    // One new one fits; another user of the tenant then has no place left.
    w.save(
        &acme,
        r#"{"user_name": "ops", "contact": {"name": "Vasya", "messangers": {"telegram": "22222"}}}"#,
    )
    .await
    .unwrap();
    let full = w
        .save(
            &acme,
            r#"{"user_name": "dev", "contact": {"name": "Olga", "messangers": {"telegram": "33333"}}}"#,
        )
        .await;
    assert!(matches!(full, Err(BroadcastError::Quota(_))), "{full:?}");
    assert_eq!(w.store.contacts.count(&acme), 3);
    // Another tenant counts its own.
    w.save(&tenant("globex"), TWO_CONTACTS).await.unwrap();
    assert_eq!(w.store.contacts.count(&tenant("globex")), 2);
}

#[tokio::test]
async fn a_contact_with_an_admin_address_refuses_the_whole_save() {
    let w = World::new();
    let acme = tenant("acme");

    // The admin's chat -100999, spelt with a leading zero.
    let err = w
        .save(
            &acme,
            r#"{"user_name": "ops", "contacts": [
                {"name": "Artem", "messangers": {"telegram": "-100123"}},
                {"name": "Boss", "messangers": {"telegram": "-0100999"}}]}"#,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, BroadcastError::Reserved(_)), "{err:?}");
    let list = list_contacts(&w.store.contacts, &acme, &user("ops"))
        .await
        .unwrap();
    assert!(list.contacts.is_empty());
    assert_eq!(w.store.contacts.count(&acme), 0);
}

#[tokio::test]
async fn deleting_reports_the_names_that_were_not_contacts_and_frees_places() {
    let w = World::new();
    let acme = tenant("acme");
    w.save(&acme, TWO_CONTACTS).await.unwrap();
    let input = DeleteContacts::from_json(
        br#"{"user_name": "ops", "contacts": ["Ghost", "Artem", "Nobody"]}"#,
    )
    .unwrap();

    let deleted = delete_contacts(&w.store.contacts, &acme, &input)
        .await
        .unwrap();

    assert!(deleted.success);
    let missing: Vec<&str> = deleted.not_found.iter().map(|n| n.as_str()).collect();
    assert_eq!(missing, ["Ghost", "Nobody"]);
    let list = list_contacts(&w.store.contacts, &acme, &user("ops"))
        .await
        .unwrap();
    assert_eq!(list.contacts.keys().collect::<Vec<_>>(), ["Lera"]);
    assert_eq!(w.store.contacts.count(&acme), 1);

    // Deleted again: not found, and the count stays.
    let again = delete_contacts(&w.store.contacts, &acme, &input)
        .await
        .unwrap();
    assert_eq!(again.not_found.len(), 3);
    assert_eq!(w.store.contacts.count(&acme), 1);
}

#[tokio::test]
async fn contacts_belong_to_one_tenant_and_user() {
    let w = World::new();
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    w.save(&acme, TWO_CONTACTS).await.unwrap();

    let other_tenant = list_contacts(&w.store.contacts, &globex, &user("ops"))
        .await
        .unwrap();
    let other_user = list_contacts(&w.store.contacts, &acme, &user("dev"))
        .await
        .unwrap();
    let input = DeleteContacts::from_json(br#"{"user_name": "ops", "contact": "Artem"}"#).unwrap();
    let deleted = delete_contacts(&w.store.contacts, &globex, &input)
        .await
        .unwrap();

    assert!(other_tenant.contacts.is_empty() && other_tenant.time_zone.is_none());
    assert!(other_user.contacts.is_empty());
    assert_eq!(deleted.not_found.len(), 1, "globex has no Artem");
    let mine = list_contacts(&w.store.contacts, &acme, &user("ops"))
        .await
        .unwrap();
    assert_eq!(mine.contacts.len(), 2);
    assert_eq!(
        (
            w.store.contacts.count(&acme),
            w.store.contacts.count(&globex)
        ),
        (2, 0)
    );
}
