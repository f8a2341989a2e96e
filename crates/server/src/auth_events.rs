//! Authentication events: each lock-out of the login throttle logged once (without the login,
//! which may be a mistyped password, only its digest's first characters), and everything the
//! domain reports counted for `/metrics`: throttled attempts and lock-outs, password checks by
//! outcome, Basic credential-cache hits and misses, sessions issued, API keys used.

use rollcall_domain::ports::{AuthEvents, ThrottleScope};
use rollcall_domain::values::{ClientAddress, LoginKey};
use rollcall_http_actix::{Metrics, current_request_id};

/// A counter per throttle scope: `[login and address, address]`.
type PerScope = [metrics::Counter; 2];

/// Logs lock-outs and counts every event in the server's [`Metrics`].
pub(crate) struct AuthMetrics {
    lockouts: PerScope,
    throttled: PerScope,
    checks: [metrics::Counter; 3],
    cache: [metrics::Counter; 2],
    sessions: metrics::Counter,
    api_keys: metrics::Counter,
}

fn slot(scope: ThrottleScope) -> (usize, &'static str) {
    match scope {
        ThrottleScope::LoginFromAddress => (0, "login_address"),
        ThrottleScope::Address => (1, "address"),
    }
}

impl AuthMetrics {
    /// Registers the series in `metrics`.
    pub(crate) fn new(metrics: &Metrics) -> Self {
        let per_scope = |name, help| {
            [ThrottleScope::LoginFromAddress, ThrottleScope::Address]
                .map(|scope| metrics.counter(name, help, &[("scope", slot(scope).1)]))
        };
        let checks = "rollcall_password_checks_total";
        let checks_help = "Password checks: success and failure ran Argon2id; throttled were refused without checking.";
        let cache = "rollcall_credential_cache_total";
        let cache_help = "Basic verifications looked up in the credential cache, by result.";
        Self {
            lockouts: per_scope(
                "rollcall_login_lockouts_total",
                "Times a login and address, or an address, reached the throttle's threshold.",
            ),
            throttled: per_scope(
                "rollcall_login_throttled_total",
                "Password attempts refused by the login throttle without checking the password.",
            ),
            checks: ["success", "failure", "throttled"]
                .map(|outcome| metrics.counter(checks, checks_help, &[("outcome", outcome)])),
            cache: ["hit", "miss"]
                .map(|result| metrics.counter(cache, cache_help, &[("result", result)])),
            sessions: metrics.counter(
                "rollcall_sessions_issued_total",
                "Sessions issued by a password sign-in.",
                &[],
            ),
            api_keys: metrics.counter(
                "rollcall_api_key_uses_total",
                "Requests authenticated by an API key.",
                &[],
            ),
        }
    }
}

impl AuthEvents for AuthMetrics {
    fn locked_out(&self, scope: ThrottleScope, login: &LoginKey, address: &ClientAddress) {
        let (i, name) = slot(scope);
        self.lockouts[i].increment(1);
        let request_id = current_request_id();
        match scope {
            ThrottleScope::LoginFromAddress => tracing::warn!(
                request_id = request_id.as_ref().map(tracing::field::display),
                scope = name,
                %address,
                login_key = &login.as_str()[..12],
                "login throttled: too many failed password checks for one login from one address"
            ),
            ThrottleScope::Address => tracing::warn!(
                request_id = request_id.as_ref().map(tracing::field::display),
                scope = name,
                %address,
                "login throttled: too many failed password checks from one address"
            ),
        }
    }

    fn throttled(&self, scope: ThrottleScope) {
        self.throttled[slot(scope).0].increment(1);
        self.checks[2].increment(1);
    }

    fn password_checked(&self, matched: bool) {
        self.checks[usize::from(!matched)].increment(1);
    }

    fn credential_cache(&self, hit: bool) {
        self.cache[usize::from(!hit)].increment(1);
    }

    fn session_issued(&self) {
        self.sessions.increment(1);
    }

    fn api_key_used(&self) {
        self.api_keys.increment(1);
    }
}
