//! Decide and evolve: the two pure functions behind every aggregate.
//!
//! Each aggregate implements [`Decider`]; the [`aggregate!`](crate::aggregate) macro turns that
//! into a cqrs-es [`Aggregate`](cqrs_es::Aggregate), so the framework, its `TestFramework` and
//! the audit replay all run the same code.

/// An aggregate as two pure functions over its state.
pub trait Decider: Default {
    /// What may be asked.
    type Command;
    /// What happened.
    type Event;
    /// Why a command was refused.
    type Error;

    /// Reads state and a command; returns the events to append or a refusal. An empty list
    /// means the command is already satisfied (idempotent), not an error.
    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Evolves state by one event. No checks here: the event already happened.
    fn evolve(&mut self, event: Self::Event);
}

/// How a refusal maps to a client: the resource is missing, already there, or the request is
/// refused by a business rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The aggregate does not exist.
    NotFound,
    /// The aggregate already exists.
    AlreadyExists,
    /// A business rule refused the command.
    Rejected,
}

/// Implemented by every aggregate's error type.
pub trait Refusal: std::error::Error {
    /// The kind of refusal, for the status code.
    fn kind(&self) -> RefusalKind;
}

/// The version of an aggregate's state layout, stored with its snapshots. A snapshot taken
/// at another version is ignored, and a new one is built from the log.
///
/// Bump it whenever the state changes what it holds or how it is serialized. A field that is
/// renamed, retyped or added without a default already fails to read back, and such a
/// snapshot is ignored as well; the bump covers what still reads but means something else.
pub trait StateVersion {
    /// The current layout.
    const STATE_VERSION: u32;
}

/// Implements `cqrs_es::Aggregate` for a [`Decider`] whose events implement `DomainEvent`,
/// and [`StateVersion`] with the state layout's version.
#[macro_export]
macro_rules! aggregate {
    ($ty:ty, $name:literal, state_version = $state:literal) => {
        impl $crate::StateVersion for $ty {
            const STATE_VERSION: u32 = $state;
        }

        impl cqrs_es::Aggregate for $ty {
            const TYPE: &'static str = $name;
            type Command = <$ty as $crate::Decider>::Command;
            type Event = <$ty as $crate::Decider>::Event;
            type Error = <$ty as $crate::Decider>::Error;
            type Services = ();

            async fn handle(
                &mut self,
                command: Self::Command,
                _services: &Self::Services,
                sink: &cqrs_es::event_sink::EventSink<Self>,
            ) -> Result<(), Self::Error> {
                let events = $crate::Decider::decide(self, command)?;
                for event in events {
                    sink.write(event, self).await;
                }
                Ok(())
            }

            fn apply(&mut self, event: Self::Event) {
                $crate::Decider::evolve(self, event)
            }
        }
    };
}

/// Implements `cqrs_es::DomainEvent` from a list of `Variant => schema_version`.
#[macro_export]
macro_rules! domain_event {
    ($ty:ty { $($variant:ident => $version:literal),+ $(,)? }) => {
        impl cqrs_es::DomainEvent for $ty {
            fn event_type(&self) -> String {
                match self {
                    $(Self::$variant { .. } => stringify!($variant).to_owned(),)+
                }
            }

            fn event_version(&self) -> String {
                match self {
                    $(Self::$variant { .. } => $version.to_string(),)+
                }
            }
        }

        impl $ty {
            /// Every event type of this aggregate with its current schema version.
            pub const SCHEMAS: &'static [(&'static str, u32)] =
                &[$((stringify!($variant), $version)),+];
        }
    };
}
