//! Rollcall's HTTP adapter on actix-web: the API families of `api.md`, one authentication
//! extractor, the family error envelopes and the operations routes. The production adapters
//! of the domain's ports (password hasher, credential cache, …) live in `rollcall-system`.
//!
//! Handlers parse, check their route's scope in one line, call one
//! [`Directory`](rollcall_domain::services::Directory) use case and render; every business rule
//! lives in the domain.
//!
//! Layout (module imports form no cycle; `scripts/module-cycles.py` checks it in CI):
//! - `state`: what handlers share ([`AppState`], [`HttpSettings`], [`Readiness`]).
//! - `error`: the family-neutral `Problem`, the `Family` trait every family implements to
//!   word it, and the `FamilyError` every handler returns. It knows no family.
//! - `auth`: the one extractor turning credentials into a domain `Principal`, generic over
//!   the family whose envelope its 401 uses.
//! - `body`: reading JSON and form bodies after authentication, and mapping JSON fields.
//! - `routes`: mounting a family's handlers at the paths and methods of their
//!   `#[utoipa::path]` (one source for each route), with 405 `Allow` lists computed from them.
//! - `v2`, `v1`, `application`, `ops`: the families (Nodeum + Empire; Unryo; Pterodactyl,
//!   admin-only; the operations routes). Each has a `family` module (marker type, envelope
//!   choice, the domain rules it selects), handlers, DTOs and its OpenAPI operations.
//! - `families`: the registry, the one list of families.
//! - `openapi`: the OpenAPI 3.1 document, merged from every family's operations.
//! - `request_log`: what the log records of a request (its span, the event of a failed one),
//!   every request-derived string escaped by `escape_for_log`.
//! - `app`: [`build_app`] and the middleware around every route.
//!
//! Adding a family: a module with its handlers, DTOs, envelope renderer and a marker type
//! implementing `error::Family` and `routes::Mounted` (its errors are
//! `error::FamilyError<Marker>`, its principal `auth::Authenticated<Marker>`); then one entry
//! in the `families!` list of `families`.

mod app;
mod application;
mod auth;
mod body;
mod client;
mod error;
mod families;
mod metrics;
mod openapi;
mod openapi_rules;
mod ops;
mod request_log;
mod routes;
mod scim;
mod state;
mod v1;
mod v2;

pub use app::build_app;
pub use metrics::{Metrics, MetricsSource};
pub use openapi::openapi;
pub use request_log::{RequestId, current_request_id};
pub use state::{AppState, HttpSettings, Readiness};
