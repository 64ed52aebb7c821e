//! The label sets of the metric families, and the closed sets their values come from:
//! append outcomes, HTTP methods and command names.

use prometheus_client::encoding::EncodeLabelSet;
use std::fmt;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RequestLabels {
    pub(super) method: &'static str,
    pub(super) route: String,
    pub(super) status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RouteLabels {
    pub(super) method: &'static str,
    pub(super) route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct CommandLabels {
    pub(super) aggregate: &'static str,
    pub(super) command: String,
    pub(super) outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct OutcomeLabels {
    pub(super) outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ProjectionLabels {
    pub(super) projection: String,
}

/// How an append ended, for `event_store_append_duration_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendStatus {
    /// New events were written.
    Ok,
    /// A retried command id: nothing new was written.
    Deduplicated,
    /// The stream was not at the expected version.
    Conflict,
    /// The store was unreachable or busy.
    Unavailable,
    /// Any other failure.
    Error,
}

impl AppendStatus {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            AppendStatus::Ok => "ok",
            AppendStatus::Deduplicated => "deduplicated",
            AppendStatus::Conflict => "conflict",
            AppendStatus::Unavailable => "unavailable",
            AppendStatus::Error => "error",
        }
    }
}

/// The method label: the standard methods by name, anything else as `other`, so a client
/// inventing methods cannot add series.
pub(super) fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("other")
}

/// The name of an enum value's variant in snake case, from its derived `Debug` output:
/// `OrderCommand::Cancel { .. }` is `cancel`, `CartCommand::AddItem { .. }` is `add_item`.
/// Formatting stops at the first character after the name, so the fields are never
/// formatted (they may hold personal data, and they would cost time).
pub fn command_name(command: &impl fmt::Debug) -> String {
    struct Name(String);
    impl fmt::Write for Name {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for c in s.chars() {
                if !c.is_ascii_alphanumeric() && c != '_' {
                    return Err(fmt::Error);
                }
                if c.is_ascii_uppercase() {
                    if !self.0.is_empty() {
                        self.0.push('_');
                    }
                    self.0.push(c.to_ascii_lowercase());
                } else {
                    self.0.push(c);
                }
            }
            Ok(())
        }
    }
    let mut name = Name(String::new());
    // The error is ours: it stops the formatting at the end of the name.
    let _ = fmt::write(&mut name, format_args!("{command:?}"));
    if name.0.is_empty() {
        "unknown".to_owned()
    } else {
        name.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    #[allow(dead_code)]
    enum Sample {
        Cancel { reason: String },
        AddItem(u32),
        Deactivate,
    }

    #[test]
    fn command_names_are_variant_names_in_snake_case() {
        let cancel = Sample::Cancel {
            reason: "secret".into(),
        };
        assert_eq!(command_name(&cancel), "cancel");
        assert_eq!(command_name(&Sample::AddItem(3)), "add_item");
        assert_eq!(command_name(&Sample::Deactivate), "deactivate");
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("BREW"), "other");
    }
}
