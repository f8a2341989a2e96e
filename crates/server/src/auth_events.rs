//! The login throttle's events: each lock-out logged once (without the login, which may be a
//! mistyped password, only its digest's first characters), and every refusal counted for
//! `/metrics`.

use rollcall_domain::ports::{AuthEvents, ThrottleScope};
use rollcall_domain::values::{ClientAddress, LoginKey};
use rollcall_http_actix::{MetricsSource, current_request_id};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Logs lock-outs and counts them and the refused attempts.
#[derive(Debug, Default)]
pub(crate) struct ThrottleEvents {
    lockouts: [AtomicU64; 2],
    throttled: [AtomicU64; 2],
}

fn slot(scope: ThrottleScope) -> (usize, &'static str) {
    match scope {
        ThrottleScope::LoginFromAddress => (0, "login_address"),
        ThrottleScope::Address => (1, "address"),
    }
}

impl AuthEvents for ThrottleEvents {
    fn locked_out(&self, scope: ThrottleScope, login: &LoginKey, address: &ClientAddress) {
        let (i, name) = slot(scope);
        self.lockouts[i].fetch_add(1, Ordering::Relaxed);
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
        self.throttled[slot(scope).0].fetch_add(1, Ordering::Relaxed);
    }
}

impl MetricsSource for ThrottleEvents {
    fn render(&self, out: &mut String) {
        out.push_str(
            "# HELP rollcall_login_throttled_total Password attempts refused by the login throttle without checking the password.\n\
             # TYPE rollcall_login_throttled_total counter\n",
        );
        for scope in [ThrottleScope::LoginFromAddress, ThrottleScope::Address] {
            let (i, name) = slot(scope);
            let _ = writeln!(
                out,
                "rollcall_login_throttled_total{{scope=\"{name}\"}} {}",
                self.throttled[i].load(Ordering::Relaxed)
            );
        }
        out.push_str(
            "# HELP rollcall_login_lockouts_total Times a login and address, or an address, reached the throttle's threshold.\n\
             # TYPE rollcall_login_lockouts_total counter\n",
        );
        for scope in [ThrottleScope::LoginFromAddress, ThrottleScope::Address] {
            let (i, name) = slot(scope);
            let _ = writeln!(
                out,
                "rollcall_login_lockouts_total{{scope=\"{name}\"}} {}",
                self.lockouts[i].load(Ordering::Relaxed)
            );
        }
    }
}
