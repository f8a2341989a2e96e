//! `GET /metrics` through the `metrics` facade and `metrics-exporter-prometheus`: one
//! [`Metrics`] per server (its own recorder, never a process-global one, so that servers in
//! one process count apart), rendered by our own handler so the metrics token check stays.
//!
//! The HTTP layer records `rollcall_http_request_duration_seconds`, a histogram labelled by
//! family, route pattern, method and status class; the rest of the server registers its own
//! counters, gauges and histograms here ([`Metrics::counter`], …) and refreshes gauges that
//! are read rather than counted ([`MetricsSource`]) just before each scrape. No label holds
//! user data: route patterns (`/api/v2/users/{user_ref}`), never paths.

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Metadata, Recorder, SharedString};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thread_local::ThreadLocal;

/// Bucket bounds of every histogram, in seconds: from half a millisecond (a cached read) to
/// ten seconds (far past any deadline).
const BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The request histogram's name.
const REQUEST_SECONDS: &str = "rollcall_http_request_duration_seconds";

/// A gauge, counter or histogram read from outside the HTTP layer just before each scrape
/// (the hashing queue's depth, the database pool).
pub trait MetricsSource: Send + Sync + 'static {
    /// Brings the source's gauges (and any counters kept elsewhere) up to date.
    fn sample(&self);
}

/// The request histograms one thread has looked up: by route pattern, then by family,
/// method and status class. Lookups borrow the pattern, so recording allocates nothing once
/// a series exists.
type RequestSeries =
    HashMap<Box<str>, Vec<((&'static str, &'static str, &'static str), Histogram)>>;

/// The metrics of one server process.
pub struct Metrics {
    started: Instant,
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    uptime: Gauge,
    sources: Vec<Arc<dyn MetricsSource>>,
    requests: ThreadLocal<RefCell<RequestSeries>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("sources", &self.sources.len())
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh set of series.
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new();
        // The bounds are fixed, sorted and non-empty; should the builder still refuse them,
        // histograms are rendered as summaries instead.
        let builder = match builder.set_buckets(BUCKETS) {
            Ok(with_buckets) => with_buckets,
            Err(_) => PrometheusBuilder::new(),
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let metrics = Self {
            started: Instant::now(),
            uptime: Gauge::noop(),
            recorder,
            handle,
            sources: Vec::new(),
            requests: ThreadLocal::new(),
        };
        metrics.describe(
            REQUEST_SECONDS,
            "Time to answer a request, by API family, route pattern, method and status class.",
        );
        Self {
            uptime: metrics.gauge(
                "rollcall_uptime_seconds",
                "Seconds since the server started.",
                &[],
            ),
            ..metrics
        }
    }

    /// Adds a source refreshed before each scrape.
    #[must_use]
    pub fn with_source(mut self, source: Arc<dyn MetricsSource>) -> Self {
        self.sources.push(source);
        self
    }

    fn describe(&self, name: &'static str, help: &'static str) {
        // The recorder keeps the first description of a name; describing again is harmless.
        self.recorder.describe_counter(
            KeyName::from_const_str(name),
            None,
            SharedString::const_str(help),
        );
    }

    fn key(name: &'static str, labels: &[(&'static str, &'static str)]) -> Key {
        let labels: Vec<Label> = labels.iter().map(|(k, v)| Label::new(*k, *v)).collect();
        Key::from_parts(name, labels)
    }

    /// The counter `name{labels}`, described by `help`; it shows in every scrape from now on,
    /// at 0 until counted.
    pub fn counter(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &'static str)],
    ) -> Counter {
        self.describe(name, help);
        let counter = self
            .recorder
            .register_counter(&Self::key(name, labels), &metadata());
        counter.increment(0);
        counter
    }

    /// The gauge `name{labels}`, described by `help`.
    pub fn gauge(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &'static str)],
    ) -> Gauge {
        self.describe(name, help);
        let gauge = self
            .recorder
            .register_gauge(&Self::key(name, labels), &metadata());
        gauge.set(0.0);
        gauge
    }

    /// The histogram `name{labels}` (in seconds, with the buckets above), described by `help`.
    pub fn histogram(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &'static str)],
    ) -> Histogram {
        self.describe(name, help);
        self.recorder
            .register_histogram(&Self::key(name, labels), &metadata())
    }

    /// Records one answered request. `route` is the matched route pattern, `None` for a path
    /// no route matched.
    pub(crate) fn record_request(
        &self,
        family: &'static str,
        route: Option<&str>,
        method: &str,
        status: u16,
        took: Duration,
    ) {
        // Only standard methods become labels, so clients cannot grow the series at will.
        let method = match method {
            "GET" => "GET",
            "POST" => "POST",
            "PUT" => "PUT",
            "PATCH" => "PATCH",
            "DELETE" => "DELETE",
            "HEAD" => "HEAD",
            "OPTIONS" => "OPTIONS",
            _ => "OTHER",
        };
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let route = route.unwrap_or("unmatched");
        let mut series = self.requests.get_or_default().borrow_mut();
        let labels = (family, method, class);
        let found = series
            .get(route)
            .and_then(|by| by.iter().find(|(l, _)| *l == labels))
            .map(|(_, h)| h.clone());
        let histogram = match found {
            Some(histogram) => histogram,
            None => {
                let key = Key::from_parts(
                    REQUEST_SECONDS,
                    vec![
                        Label::new("family", family),
                        Label::new("route", route.to_owned()),
                        Label::new("method", method),
                        Label::new("status_class", class),
                    ],
                );
                let histogram = self.recorder.register_histogram(&key, &metadata());
                series
                    .entry(route.into())
                    .or_default()
                    .push((labels, histogram.clone()));
                histogram
            }
        };
        histogram.record(took.as_secs_f64());
    }

    /// Folds the values recorded since the last call into the histograms (bounded memory
    /// between scrapes); the server calls it every few seconds.
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The exposition text.
    pub(crate) fn render(&self) -> String {
        for source in &self.sources {
            source.sample();
        }
        self.uptime.set(self.started.elapsed().as_secs_f64());
        self.handle.render()
    }
}

/// The metadata of every series (the Prometheus recorder ignores it).
fn metadata() -> Metadata<'static> {
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_histograms_by_family_route_method_and_class() {
        let m = Metrics::new();
        m.record_request(
            "v2",
            Some("/api/v2/users"),
            "GET",
            200,
            Duration::from_millis(5),
        );
        m.record_request(
            "v2",
            Some("/api/v2/users"),
            "GET",
            204,
            Duration::from_millis(7),
        );
        m.record_request("application", None, "BREW", 405, Duration::from_millis(1));
        // Counts from other threads add up.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                m.record_request(
                    "v2",
                    Some("/api/v2/users"),
                    "GET",
                    200,
                    Duration::from_secs(3),
                );
            });
        });
        let text = m.render();
        let series = "rollcall_http_request_duration_seconds_count{family=\"v2\",route=\"/api/v2/users\",method=\"GET\",status_class=\"2xx\"} 3";
        assert!(text.contains(series), "{text}");
        assert!(text.contains(
            "rollcall_http_request_duration_seconds_bucket{family=\"v2\",route=\"/api/v2/users\",method=\"GET\",status_class=\"2xx\",le=\"0.01\"} 2"
        ), "{text}");
        assert!(text.contains("route=\"unmatched\",method=\"OTHER\",status_class=\"4xx\""));
        assert!(text.contains("# TYPE rollcall_http_request_duration_seconds histogram"));
        assert!(text.contains("# TYPE rollcall_uptime_seconds gauge"));
    }

    #[test]
    fn registered_counters_show_at_zero_and_sources_are_sampled() {
        struct Source(Gauge);
        impl MetricsSource for Source {
            fn sample(&self) {
                self.0.set(7.0);
            }
        }
        let m = Metrics::new();
        let c = m.counter("rollcall_test_total", "A test counter.", &[("kind", "a")]);
        let gauge = m.gauge("rollcall_test_depth", "A test gauge.", &[]);
        let m = m.with_source(Arc::new(Source(gauge)));
        assert!(m.render().contains("rollcall_test_total{kind=\"a\"} 0"));
        c.increment(2);
        let text = m.render();
        assert!(text.contains("rollcall_test_total{kind=\"a\"} 2"), "{text}");
        assert!(text.contains("rollcall_test_depth 7"), "{text}");
        assert!(text.contains("# HELP rollcall_test_total A test counter."));
    }
}
