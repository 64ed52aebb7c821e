//! Namespaces: several stores (shops, or tests) can share one KurrentDB server. A store
//! opened with `namespace=NAME` in its connection string keeps its streams as `NAME/stream`
//! and reads only those in the global log.

use super::convert::{COMMAND_STREAM_PREFIX, hidden};
use kurrentdb::SubscriptionFilter;

/// The query parameter that names a namespace; removed before the client sees the string.
pub const NAMESPACE_PARAMETER: &str = "namespace";

/// Stream names of one store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    prefix: String,
}

impl Names {
    /// Splits `namespace=NAME` off a connection string: the client's string and the names.
    pub fn from_url(url: &str) -> (String, Names) {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_owned(), Names::default());
        };
        let mut prefix = String::new();
        let rest: Vec<&str> = query
            .split('&')
            .filter(|pair| match pair.split_once('=') {
                Some((key, value)) if key.eq_ignore_ascii_case(NAMESPACE_PARAMETER) => {
                    prefix = format!("{value}/");
                    false
                }
                _ => true,
            })
            .collect();
        let client = if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        (client, Names { prefix })
    }

    /// The server's name of a stream.
    pub fn physical(&self, stream: &str) -> String {
        format!("{}{stream}", self.prefix)
    }

    /// The port's name of a server stream, if it belongs to this store.
    pub fn logical<'a>(&self, stream: &'a str) -> Option<&'a str> {
        stream.strip_prefix(self.prefix.as_str())
    }

    /// True when the global log shows this server event.
    pub fn visible(&self, stream: &str, event_type: &str) -> bool {
        self.logical(stream)
            .is_some_and(|s| !hidden(s, event_type) && !s.starts_with(COMMAND_STREAM_PREFIX))
    }

    /// The server-side filter of the global log: the namespace's streams, or every
    /// non-system event.
    pub fn filter(&self) -> SubscriptionFilter {
        if self.prefix.is_empty() {
            SubscriptionFilter::on_event_type().exclude_system_events()
        } else {
            SubscriptionFilter::on_stream_name().add_prefix(&self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_namespace_parameter_is_split_off_and_prefixes_streams() {
        let (client, names) = Names::from_url("esdb://h:2113?tls=false&namespace=shop1");
        assert_eq!(client, "esdb://h:2113?tls=false");
        assert_eq!(names.physical("order-1"), "shop1/order-1");
        assert_eq!(names.logical("shop1/order-1"), Some("order-1"));
        assert_eq!(names.logical("shop2/order-1"), None);
        assert!(names.visible("shop1/order-1", "OrderPlaced"));
        assert!(!names.visible("shop1/ecommerce-command-x", "CommandRecorded"));
        assert!(!names.visible("shop2/order-1", "OrderPlaced"));

        let (client, names) = Names::from_url("kurrentdb://h:2113?namespace=t");
        assert_eq!(
            (client.as_str(), names.physical("s")),
            ("kurrentdb://h:2113", "t/s".into())
        );
        let (client, names) = Names::from_url("esdb://h");
        assert_eq!(
            (client.as_str(), names.physical("s")),
            ("esdb://h", "s".into())
        );
        assert!(!names.visible("$stats", "x"));
    }
}
