//! Request counters for `GET /metrics`, in the Prometheus text exposition format: requests by
//! family, method and status, with the time spent answering them. The counters live in
//! [`AppState`](crate::AppState) so every worker of one server adds to the same numbers; they
//! hold no user data (no paths, no names), only counts. Each thread counts in a table of its
//! own (no lock shared between the HTTP workers on the hot path); `render` adds them up.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use thread_local::ThreadLocal;

/// One series' labels: family, method, status.
type Labels = (&'static str, &'static str, u16);

/// One series: how many requests and how long they took in all.
#[derive(Debug, Clone, Copy, Default)]
struct Series {
    count: u64,
    seconds: f64,
}

/// More series from outside the HTTP layer (the password hasher's queue, the login throttle),
/// appended to the exposition text as they are.
pub trait MetricsSource: Send + Sync + 'static {
    /// Appends complete `# HELP`/`# TYPE`/sample lines to `out`.
    fn render(&self, out: &mut String);
}

/// The counters of one server process.
pub struct RequestMetrics {
    started: Instant,
    series: ThreadLocal<Mutex<BTreeMap<Labels, Series>>>,
    sources: Vec<Arc<dyn MetricsSource>>,
}

impl std::fmt::Debug for RequestMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestMetrics")
            .field("sources", &self.sources.len())
            .finish_non_exhaustive()
    }
}

impl Default for RequestMetrics {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            series: ThreadLocal::new(),
            sources: Vec::new(),
        }
    }
}

impl RequestMetrics {
    /// Adds a source whose series `/metrics` shows after the request counters.
    #[must_use]
    pub fn with_source(mut self, source: Arc<dyn MetricsSource>) -> Self {
        self.sources.push(source);
        self
    }

    /// Counts one answered request.
    pub(crate) fn record(&self, family: &'static str, method: &str, status: u16, took: Duration) {
        // Only standard methods become labels, so clients cannot grow the map at will.
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
        let mut series = self
            .series
            .get_or_default()
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = series.entry((family, method, status)).or_default();
        entry.count += 1;
        entry.seconds += took.as_secs_f64();
    }

    /// The exposition text.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let mut series = BTreeMap::<Labels, Series>::new();
        for table in &self.series {
            let table = table.lock().unwrap_or_else(PoisonError::into_inner);
            for (labels, s) in table.iter() {
                let total = series.entry(*labels).or_default();
                total.count += s.count;
                total.seconds += s.seconds;
            }
        }
        out.push_str(
            "# HELP rollcall_http_requests_total Requests answered, by API family, method and status.\n\
             # TYPE rollcall_http_requests_total counter\n",
        );
        for ((family, method, status), s) in &series {
            let _ = writeln!(
                out,
                "rollcall_http_requests_total{{family=\"{family}\",method=\"{method}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str(
            "# HELP rollcall_http_request_seconds_total Time spent answering requests, by API family, method and status.\n\
             # TYPE rollcall_http_request_seconds_total counter\n",
        );
        for ((family, method, status), s) in &series {
            let _ = writeln!(
                out,
                "rollcall_http_request_seconds_total{{family=\"{family}\",method=\"{method}\",status=\"{status}\"}} {:.6}",
                s.seconds
            );
        }
        let _ = write!(
            out,
            "# HELP rollcall_uptime_seconds Seconds since the server started.\n\
             # TYPE rollcall_uptime_seconds gauge\n\
             rollcall_uptime_seconds {:.3}\n",
            self.started.elapsed().as_secs_f64()
        );
        for source in &self.sources {
            source.render(&mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_renders_series() {
        let m = RequestMetrics::default();
        m.record("v2", "GET", 200, Duration::from_millis(5));
        m.record("v2", "GET", 200, Duration::from_millis(7));
        m.record("application", "BREW", 405, Duration::from_millis(1));
        let text = m.render();
        assert!(text.contains(
            "rollcall_http_requests_total{family=\"v2\",method=\"GET\",status=\"200\"} 2\n"
        ));
        assert!(text.contains(
            "rollcall_http_request_seconds_total{family=\"v2\",method=\"GET\",status=\"200\"} 0.012000\n"
        ));
        assert!(text.contains("method=\"OTHER\",status=\"405\"} 1\n"));
        // Counts from other threads add up.
        std::thread::scope(|scope| {
            scope.spawn(|| m.record("v2", "GET", 200, Duration::from_millis(3)));
        });
        assert!(m.render().contains(
            "rollcall_http_requests_total{family=\"v2\",method=\"GET\",status=\"200\"} 3\n"
        ));
        assert!(text.contains("# TYPE rollcall_uptime_seconds gauge\nrollcall_uptime_seconds "));
    }
}
