//! User profiles: what `/api/users/me` shows. Never the password hash.

use super::common::AddressDoc;
use crate::runtime::{ApplyError, Docs, Key, Projection, decode, stream_id};
use domain::user::UserEvent;
use infra::event_store::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The collection.
pub const USERS: &str = "users";

/// A user's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserDoc {
    /// Id.
    pub id: String,
    /// Email (normalised).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Default address.
    pub address: Option<AddressDoc>,
    /// `active` or `deactivated`.
    pub status: String,
    /// When the user registered.
    pub registered_at: String,
    /// When the profile last changed.
    pub updated_at: String,
    /// How many times the password was changed; access tokens of an older generation are
    /// refused.
    #[serde(default)]
    pub password_version: u32,
}

/// The user profiles projection.
pub struct Users;

impl Projection for Users {
    fn name(&self) -> &'static str {
        "users"
    }

    /// 2: documents carry `password_version`.
    fn version(&self) -> u32 {
        2
    }

    fn collections(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![(USERS, vec!["email", "status"])]
    }

    fn event_types(&self) -> Vec<&'static str> {
        UserEvent::SCHEMAS.iter().map(|(name, _)| *name).collect()
    }

    fn keys(&self, event: &RecordedEvent) -> Vec<Key> {
        vec![(USERS, stream_id(event).to_owned())]
    }

    fn apply(&self, event: &RecordedEvent, docs: &mut Docs) -> Result<(), ApplyError> {
        let id = stream_id(event);
        let at = event.recorded_at.to_rfc3339();
        let event = decode::<UserEvent>(event)?;
        if let UserEvent::UserRegistered {
            email, name, roles, ..
        } = &event
        {
            let doc = UserDoc {
                id: id.to_owned(),
                email: email.to_string(),
                name: name.to_string(),
                roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
                address: None,
                status: "active".into(),
                registered_at: at.clone(),
                updated_at: at,
                password_version: 0,
            };
            return docs.put(USERS, id, &doc);
        }
        docs.update(USERS, id, |doc: &mut UserDoc| {
            match event {
                UserEvent::UserProfileChanged { name, address } => {
                    doc.name = name.into();
                    doc.address = address.map(Into::into);
                }
                UserEvent::UserRolesChanged { roles } => {
                    doc.roles = roles.iter().map(|r| r.as_str().to_owned()).collect();
                }
                UserEvent::UserDeactivated { .. } => doc.status = "deactivated".into(),
                UserEvent::UserPasswordChanged { .. } => {
                    doc.password_version = doc.password_version.saturating_add(1);
                }
                UserEvent::UserRegistered { .. } => {}
            }
            doc.updated_at = at;
        })
    }
}
