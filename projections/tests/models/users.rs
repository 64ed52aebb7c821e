//! The user profiles model.

use super::*;
use projections::models::users;

#[test]
fn user_profiles_never_hold_the_password_hash() {
    let mut log = Log::default();
    let u = format!("user-{}", id(1));
    let hash = PasswordHash::parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").unwrap();
    log.add(
        u.clone(),
        UserEvent::UserRegistered {
            user_id: id(1).into(),
            email: Email::parse("ann@example.com").unwrap(),
            name: PersonName::parse("Ann").unwrap(),
            password_hash: hash.clone(),
            roles: BTreeSet::from([Role::Customer]),
        },
        at(1, 9),
    )
    .add(
        u.clone(),
        UserEvent::UserProfileChanged {
            name: PersonName::parse("Ann Lee").unwrap(),
            address: Some(address()),
        },
        at(1, 10),
    )
    .add(
        u.clone(),
        UserEvent::UserRolesChanged {
            roles: BTreeSet::from([Role::Customer, Role::Auditor]),
        },
        at(1, 11),
    )
    .add(
        u.clone(),
        UserEvent::UserPasswordChanged {
            password_hash: hash,
        },
        at(1, 12),
    )
    .add(
        u,
        UserEvent::UserDeactivated {
            reason: Reason::parse("fraud").unwrap(),
        },
        at(1, 13),
    );
    let users = run(&users::Users, &log.0);
    let ann = doc(&users, users::USERS, 1);
    assert_eq!(ann["name"], "Ann Lee");
    assert_eq!(ann["roles"], json!(["customer", "auditor"]));
    assert_eq!(ann["address"]["city"], "Berlin");
    assert_eq!(ann["status"], "deactivated");
    assert!(!ann.to_string().contains("argon2"));
}
