use super::*;
use crate::test_support::*;
use cqrs_es::test::TestFramework;

type Test = TestFramework<User>;

fn hash(salt: &str) -> PasswordHash {
    PasswordHash::parse(&format!("$argon2id$v=19$m=19456,t=2,p=1${salt}$aGFzaA")).unwrap()
}

fn name(text: &str) -> PersonName {
    PersonName::parse(text).unwrap()
}

fn roles(list: &[Role]) -> BTreeSet<Role> {
    list.iter().copied().collect()
}

fn registered() -> UserEvent {
    UserEvent::UserRegistered {
        user_id: user(1),
        email: Email::parse("ann@example.com").unwrap(),
        name: name("Ann"),
        password_hash: hash("c2FsdA"),
        roles: roles(&[Role::Customer]),
    }
}

fn register_command(with: BTreeSet<Role>) -> UserCommand {
    let UserEvent::UserRegistered {
        user_id,
        email,
        name,
        password_hash,
        roles: _,
    } = registered()
    else {
        unreachable!()
    };
    UserCommand::Register {
        user_id,
        email,
        name,
        password_hash,
        roles: with,
    }
}

fn deactivated() -> UserEvent {
    UserEvent::UserDeactivated {
        reason: reason("asked to leave"),
    }
}

#[test]
fn registering_records_the_user_with_its_roles() {
    Test::with(())
        .given_no_previous_events()
        .when(register_command(roles(&[Role::Customer])))
        .then_expect_events(vec![registered()]);
}

#[test]
fn registering_twice_is_refused() {
    Test::with(())
        .given(vec![registered()])
        .when(register_command(roles(&[Role::Customer])))
        .then_expect_error(UserError::AlreadyExists);
}

#[test]
fn registering_without_roles_is_refused() {
    Test::with(())
        .given_no_previous_events()
        .when(register_command(BTreeSet::new()))
        .then_expect_error(UserError::NoRoles);
}

#[test]
fn commands_on_a_missing_user_are_not_found() {
    for command in [
        UserCommand::ChangeProfile {
            name: Some(name("Bo")),
            address: None,
        },
        UserCommand::ChangePassword {
            password_hash: hash("bmV3"),
        },
        UserCommand::SetRoles {
            roles: roles(&[Role::Admin]),
        },
        UserCommand::Deactivate {
            reason: reason("x"),
        },
    ] {
        Test::with(())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(UserError::NotFound);
    }
}

#[test]
fn a_deactivated_user_accepts_no_command_at_all() {
    for command in [
        register_command(roles(&[Role::Customer])),
        UserCommand::ChangeProfile {
            name: Some(name("Bo")),
            address: None,
        },
        UserCommand::ChangePassword {
            password_hash: hash("bmV3"),
        },
        UserCommand::SetRoles {
            roles: roles(&[Role::Admin]),
        },
        UserCommand::Deactivate {
            reason: reason("again"),
        },
    ] {
        Test::with(())
            .given(vec![registered(), deactivated()])
            .when(command)
            .then_expect_error(UserError::Deactivated);
    }
}

#[test]
fn changing_the_profile_records_the_full_new_profile() {
    Test::with(())
        .given(vec![registered()])
        .when(UserCommand::ChangeProfile {
            name: None,
            address: Some(address()),
        })
        .then_expect_events(vec![UserEvent::UserProfileChanged {
            name: name("Ann"),
            address: Some(address()),
        }]);
}

#[test]
fn changing_the_name_keeps_the_address() {
    Test::with(())
        .given(vec![
            registered(),
            UserEvent::UserProfileChanged {
                name: name("Ann"),
                address: Some(address()),
            },
        ])
        .when(UserCommand::ChangeProfile {
            name: Some(name("Ann Lee")),
            address: None,
        })
        .then_expect_events(vec![UserEvent::UserProfileChanged {
            name: name("Ann Lee"),
            address: Some(address()),
        }]);
}

#[test]
fn changing_the_profile_to_the_same_values_records_nothing() {
    for (new_name, new_address) in [(None, None), (Some(name("Ann")), None)] {
        Test::with(())
            .given(vec![registered()])
            .when(UserCommand::ChangeProfile {
                name: new_name,
                address: new_address,
            })
            .then_expect_events(vec![]);
    }
}

#[test]
fn changing_the_password_always_records_the_new_hash() {
    for new_hash in [hash("bmV3"), hash("c2FsdA")] {
        Test::with(())
            .given(vec![registered()])
            .when(UserCommand::ChangePassword {
                password_hash: new_hash.clone(),
            })
            .then_expect_events(vec![UserEvent::UserPasswordChanged {
                password_hash: new_hash,
            }]);
    }
}

#[test]
fn setting_roles_records_the_new_set() {
    Test::with(())
        .given(vec![registered()])
        .when(UserCommand::SetRoles {
            roles: roles(&[Role::Customer, Role::Admin]),
        })
        .then_expect_events(vec![UserEvent::UserRolesChanged {
            roles: roles(&[Role::Admin, Role::Customer]),
        }]);
}

#[test]
fn setting_the_same_roles_records_nothing() {
    Test::with(())
        .given(vec![registered()])
        .when(UserCommand::SetRoles {
            roles: roles(&[Role::Customer]),
        })
        .then_expect_events(vec![]);
}

#[test]
fn setting_no_roles_is_refused() {
    Test::with(())
        .given(vec![registered()])
        .when(UserCommand::SetRoles {
            roles: BTreeSet::new(),
        })
        .then_expect_error(UserError::NoRoles);
}

#[test]
fn deactivating_records_the_reason() {
    Test::with(())
        .given(vec![registered()])
        .when(UserCommand::Deactivate {
            reason: reason("asked to leave"),
        })
        .then_expect_events(vec![deactivated()]);
}

#[test]
fn events_shape_the_state_and_deactivation_keeps_it() {
    let mut user_agg = User::default();
    for event in [
        registered(),
        UserEvent::UserProfileChanged {
            name: name("Ann Lee"),
            address: Some(address()),
        },
        UserEvent::UserPasswordChanged {
            password_hash: hash("bmV3"),
        },
        UserEvent::UserRolesChanged {
            roles: roles(&[Role::Auditor]),
        },
        deactivated(),
    ] {
        crate::Decider::evolve(&mut user_agg, event);
    }
    assert!(matches!(user_agg, User::Deactivated(_)));
    let state = user_agg.state().unwrap();
    assert_eq!(state.name, name("Ann Lee"));
    assert_eq!(state.address, Some(address()));
    assert_eq!(state.password_hash, hash("bmV3"));
    assert_eq!(state.password_version, 1, "one password change");
    assert_eq!(state.roles, roles(&[Role::Auditor]));
}

#[test]
fn refusals_map_to_their_kinds() {
    use crate::{Refusal, RefusalKind};
    assert_eq!(UserError::NotFound.kind(), RefusalKind::NotFound);
    assert_eq!(UserError::AlreadyExists.kind(), RefusalKind::AlreadyExists);
    assert_eq!(UserError::Deactivated.kind(), RefusalKind::Rejected);
    assert_eq!(UserError::NoRoles.kind(), RefusalKind::Rejected);
}
