//! Rollcall's HTTP adapter on actix-web: the API families of `api.md`, one authentication
//! extractor, the family error envelopes and the operations routes. The production adapters
//! of the domain's ports (password hasher, credential cache, …) live in `rollcall-system`.
//!
//! Handlers parse, check their route's scope in one line, call one
//! [`Directory`](rollcall_domain::services::Directory) use case and render; every business rule
//! lives in the domain.
//!
//! Layout:
//! - `app`: [`build_app`], the state it serves ([`AppState`], [`HttpSettings`],
//!   [`Readiness`]) and the middleware around every route.
//! - `auth`: the one extractor turning credentials into a domain `Principal`.
//! - `body`: reading JSON and form bodies after authentication, and mapping JSON fields.
//! - `error`: the family-neutral `Problem`, which family a path belongs to, the
//!   `FamilyError` every handler returns, 404/405 answers.
//! - `v2`: the Nodeum + Empire family (`/api/v2/…`, `POST /token`).
//! - `v1`: the Unryo family (`/api/v1/users…`), errors as Go-validator-style strings.
//! - `application`: the Pterodactyl family (`/api/application/users…`), admin-only.
//! - `ops`: `/healthz`, `/readyz`, `/openapi.json`, `/docs`.
//! - `openapi`: the generated OpenAPI 3.1 document.
//!
//! Adding a family: a module with its handlers, DTOs, envelope renderer and a marker type
//! implementing `error::InFamily` (its errors are `error::FamilyError<Marker>`); a `Family`
//! variant with its prefix, no-credential challenges and renderer in `error`; its `configure`
//! in `build_app`; its handlers in the `paths(...)` of `openapi::ApiDoc`.

mod app;
mod application;
mod auth;
mod body;
mod error;
mod metrics;
mod openapi;
mod ops;
mod v1;
mod v2;

pub use app::{AppState, HttpSettings, Readiness, build_app};
pub use metrics::RequestMetrics;
pub use openapi::openapi;
