//! Prometheus metrics: the metric families every service records into, and their text
//! encoding for `GET /metrics` (built with `prometheus-client`, the official Rust client).
//!
//! - this file: [`Metrics`] (the registry and its families), the process-wide [`global`]
//!   instance, and the recording API;
//! - `labels`: the label sets, and the closed sets their values come from;
//! - [`store`]: [`MeteredEventStore`], an event store decorator that times every append;
//! - the HTTP side (the request middleware and the `/metrics` handler) is in
//!   [`crate::http`].
//!
//! Families (all prefixed `ecommerce_`):
//!
//! | name | type | labels | what |
//! | --- | --- | --- | --- |
//! | `http_requests_total` | counter | `method`, `route`, `status` | answered requests |
//! | `http_request_duration_seconds` | histogram | `method`, `route` | time to answer |
//! | `commands_total` | counter | `aggregate`, `command`, `outcome` | commands run |
//! | `event_store_append_duration_seconds` | histogram | `outcome` | time of one append |
//! | `event_store_append_batch_size` | histogram | | events written per append |
//! | `projection_position` | gauge | `projection` | position applied |
//! | `projection_lag_events` | gauge | `projection` | head − position |
//! | `projection_lag_seconds` | gauge | `projection` | age of the oldest unapplied event |
//! | `projection_parked` | gauge | `projection` | events parked (it cannot apply them) |
//!
//! The checkout process reports its checkpoint under `projection="checkout"`.
//!
//! Every label value comes from a closed set (route templates, status codes, command names,
//! outcome words, projection names), never from ids, paths or tokens, so the number of series
//! stays bounded.
//!
//! ## One instance per process
//!
//! Requests, commands and appends are recorded deep in code that is built in many places
//! (every executor, every store, every router, tests and benches). Threading a handle through
//! each constructor would touch most of the workspace for no gain: a process serves one
//! `/metrics`, and Prometheus itself identifies the process (its target). So the figures live
//! in one process-wide [`Metrics`], created on first use ([`global`]). [`Metrics::new`] still
//! builds independent instances, for unit tests of the recording API.

mod labels;
mod store;

pub use labels::{AppendStatus, command_name};
pub use store::MeteredEventStore;

use labels::*;

use prometheus_client::encoding::{prometheus_text, text as openmetrics_text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// The label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Latency buckets, seconds: 0.5 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Events per append: one command usually writes one or a few, imports write many.
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Which text format to answer a scrape in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The Prometheus text format 0.0.4 (what most tools read).
    Prometheus,
    /// OpenMetrics 1.0 text (what Prometheus asks for first in its `Accept` header).
    OpenMetrics,
}

impl Format {
    /// The format an `Accept` header asks for: OpenMetrics when it names it, else Prometheus.
    pub fn from_accept(accept: Option<&str>) -> Format {
        match accept {
            Some(accept) if accept.contains("application/openmetrics-text") => Format::OpenMetrics,
            _ => Format::Prometheus,
        }
    }

    /// The `Content-Type` of an answer in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => prometheus_text::CONTENT_TYPE,
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// The metric registry and its families. See the module docs for the list.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http_requests: Family<RequestLabels, Counter>,
    http_duration: HistogramFamily<RouteLabels>,
    commands: Family<CommandLabels, Counter>,
    append_duration: HistogramFamily<OutcomeLabels>,
    append_batch: Histogram,
    projection_position: Family<ProjectionLabels, Gauge>,
    projection_lag_events: Family<ProjectionLabels, Gauge>,
    projection_lag_seconds: Family<ProjectionLabels, Gauge<f64, AtomicU64>>,
    projection_parked: Family<ProjectionLabels, Gauge>,
}

/// The process-wide instance (see the module docs for why there is one).
pub fn global() -> &'static Metrics {
    static GLOBAL: OnceLock<Metrics> = OnceLock::new();
    GLOBAL.get_or_init(Metrics::new)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every family registered (and no samples yet).
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("ecommerce");
        let http_requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route template and status",
            http_requests.clone(),
        );
        let http_duration = HistogramFamily::new_with_constructor(latency_histogram as fn() -> _);
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer, by method and route template",
            Unit::Seconds,
            http_duration.clone(),
        );
        let commands = Family::default();
        registry.register(
            "commands",
            "Commands run against aggregates, by aggregate, command and outcome",
            commands.clone(),
        );
        let append_duration = HistogramFamily::new_with_constructor(latency_histogram as fn() -> _);
        registry.register_with_unit(
            "event_store_append_duration",
            "Time of one event store append, including its durable commit, by outcome",
            Unit::Seconds,
            append_duration.clone(),
        );
        let append_batch = Histogram::new(BATCH_BUCKETS);
        registry.register(
            "event_store_append_batch_size",
            "Events written by one successful append",
            append_batch.clone(),
        );
        let projection_position = Family::default();
        registry.register(
            "projection_position",
            "Global log position a projection has applied",
            projection_position.clone(),
        );
        let projection_lag_events = Family::default();
        registry.register(
            "projection_lag_events",
            "Events in the log that a projection has not applied yet",
            projection_lag_events.clone(),
        );
        let projection_lag_seconds = Family::default();
        registry.register_with_unit(
            "projection_lag",
            "Age of the oldest event a projection has not applied yet (0 when caught up)",
            Unit::Seconds,
            projection_lag_seconds.clone(),
        );
        let projection_parked = Family::default();
        registry.register(
            "projection_parked",
            "Events a projection has parked because it cannot apply them (0 when healthy)",
            projection_parked.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            commands,
            append_duration,
            append_batch,
            projection_position,
            projection_lag_events,
            projection_lag_seconds,
            projection_parked,
        }
    }

    /// Records an answered request. `route` is the matched route template (such as
    /// `/api/orders/{id}`) or [`UNMATCHED_ROUTE`], never the raw path.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        self.http_requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabels {
                method,
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Records a command run: the aggregate type (such as `order`), the command's name in
    /// snake case (such as `cancel`, see [`command_name`]) and its outcome word.
    pub fn command(&self, aggregate: &'static str, command: &str, outcome: &'static str) {
        self.commands
            .get_or_create(&CommandLabels {
                aggregate,
                command: command.to_owned(),
                outcome,
            })
            .inc();
    }

    /// Records an append: how it ended, how long it took, and how many events it wrote
    /// (only successful appends that wrote something count in the batch sizes).
    pub fn append(&self, outcome: AppendStatus, events: usize, elapsed: Duration) {
        self.append_duration
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .observe(elapsed.as_secs_f64());
        if outcome == AppendStatus::Ok {
            self.append_batch.observe(events as f64);
        }
    }

    /// The gauges of projection `name` (its stable name, such as `catalog`), to set after
    /// each look at where it stands:
    ///
    /// ```
    /// infra::metrics::global()
    ///     .projection("catalog")
    ///     .set(120, 3, 0.25, 0);
    /// ```
    pub fn projection(&self, name: &str) -> ProjectionGauges<'_> {
        ProjectionGauges {
            metrics: self,
            labels: ProjectionLabels {
                projection: name.to_owned(),
            },
        }
    }

    /// Every family in `format`.
    pub fn encode(&self, format: Format) -> Result<String, fmt::Error> {
        let mut text = String::new();
        match format {
            Format::Prometheus => prometheus_text::encode(&mut text, &self.registry)?,
            Format::OpenMetrics => openmetrics_text::encode(&mut text, &self.registry)?,
        }
        Ok(text)
    }
}

/// The projection gauges of one projection; see [`Metrics::projection`].
#[derive(Debug)]
pub struct ProjectionGauges<'a> {
    metrics: &'a Metrics,
    labels: ProjectionLabels,
}

impl ProjectionGauges<'_> {
    /// Sets where the projection stands: the `position` it has applied, how many events of
    /// the log it has not (`lag_events`, head − position), the age in seconds of the oldest
    /// of those (`lag_seconds`, 0 when caught up), and how many events it has `parked`
    /// because it cannot apply them (0 when healthy; a projector that stops at the first
    /// such event reports 0 or 1).
    pub fn set(&self, position: u64, lag_events: u64, lag_seconds: f64, parked: u64) {
        let m = self.metrics;
        m.projection_position
            .get_or_create(&self.labels)
            .set(saturate(position));
        m.projection_lag_events
            .get_or_create(&self.labels)
            .set(saturate(lag_events));
        m.projection_lag_seconds
            .get_or_create(&self.labels)
            .set(lag_seconds.max(0.0));
        m.projection_parked
            .get_or_create(&self.labels)
            .set(saturate(parked));
    }
}

fn saturate(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_gauges_are_encoded_with_their_name() {
        let metrics = Metrics::new();
        metrics.projection("catalog").set(120, 3, 0.25, 1);
        let text = metrics.encode(Format::Prometheus).unwrap_or_default();
        for line in [
            "ecommerce_projection_position{projection=\"catalog\"} 120",
            "ecommerce_projection_lag_events{projection=\"catalog\"} 3",
            "ecommerce_projection_lag_seconds{projection=\"catalog\"} 0.25",
            "ecommerce_projection_parked{projection=\"catalog\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }

    #[test]
    fn openmetrics_answers_end_with_eof() {
        let text = Metrics::new()
            .encode(Format::OpenMetrics)
            .unwrap_or_default();
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert_eq!(
            Format::from_accept(Some(
                "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"
            )),
            Format::OpenMetrics
        );
        assert_eq!(Format::from_accept(None), Format::Prometheus);
    }
}
