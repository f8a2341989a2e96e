//! The application bodies, shaped as Pterodactyl's Fractal transformers write them: a user
//! item `{"object": "user", "attributes": {…}}` (with `attributes.relationships` when
//! `include=servers`: Pterodactyl's serializer merges includes into the transformed data
//! before wrapping it, so they sit inside `attributes`, where py-dactyl reads them),
//! a list `{"object": "list", "data": [...], "meta": {"pagination": {…}}}`, and — for the
//! OpenAPI document only — the request body.

use chrono::{DateTime, SecondsFormat, Utc};
use rollcall_domain::entities::User;
use rollcall_domain::listing::PageRequest;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// A user's attributes as the application family shows them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationUserAttributes {
    /// Assigned id.
    pub id: i64,
    /// Identifier in an external system.
    pub external_id: Option<String>,
    /// Assigned UUID.
    pub uuid: Uuid,
    /// Login name (lower case when written through this family).
    #[schema(example = "test-user")]
    pub username: String,
    /// E-mail address (null for users made through another family without one).
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Language.
    #[schema(example = "en")]
    pub language: String,
    /// Admin flag.
    pub root_admin: bool,
    /// Two-factor authentication: always false (not supported yet).
    #[serde(rename = "2fa")]
    pub two_factor: bool,
    /// Creation instant, seconds and `+00:00`.
    #[schema(format = DateTime, example = "2022-09-15T17:33:34+00:00")]
    pub created_at: String,
    /// Last change instant, seconds and `+00:00`.
    #[schema(format = DateTime, example = "2022-09-15T17:33:35+00:00")]
    pub updated_at: String,
    /// With `include=servers` only: the user's related objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationships: Option<ApplicationUserRelationships>,
}

/// The application family's timestamp format: seconds and `+00:00`
/// (`2022-09-15T17:33:34+00:00`).
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

impl From<&User> for ApplicationUserAttributes {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.get(),
            external_id: u.external_id.as_ref().map(|e| e.as_str().to_owned()),
            uuid: u.uuid,
            username: u.username.as_str().to_owned(),
            email: u.email.as_ref().map(|e| e.as_str().to_owned()),
            first_name: u.first_name.as_ref().map(|n| n.as_str().to_owned()),
            last_name: u.last_name.as_ref().map(|n| n.as_str().to_owned()),
            language: u.language.as_str().to_owned(),
            root_admin: u.is_admin,
            two_factor: false,
            created_at: timestamp(u.created_at),
            updated_at: timestamp(u.updated_at),
            relationships: None,
        }
    }
}

/// An empty list of related objects (`{"object": "list", "data": []}`).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationEmptyList {
    /// Always `list`.
    #[schema(example = "list")]
    pub object: &'static str,
    /// Always empty.
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<Value>,
}

/// A user's relationships, present with `include=servers`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationUserRelationships {
    /// The user's servers: always none (this product manages no servers).
    pub servers: ApplicationEmptyList,
}

/// One user.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationUserItem {
    /// Always `user`.
    #[schema(example = "user")]
    pub object: &'static str,
    /// The user (and, with `include=servers`, its relationships).
    pub attributes: ApplicationUserAttributes,
}

impl ApplicationUserItem {
    /// The item of a user, with the `servers` relationship when it was asked for.
    pub(crate) fn new(user: &User, include_servers: bool) -> Self {
        let mut attributes = ApplicationUserAttributes::from(user);
        attributes.relationships = include_servers.then(|| ApplicationUserRelationships {
            servers: ApplicationEmptyList {
                object: "list",
                data: Vec::new(),
            },
        });
        Self {
            object: "user",
            attributes,
        }
    }
}

/// `POST`'s answer: the item plus where it lives.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationCreatedUser {
    /// The new user.
    #[serde(flatten)]
    pub item: ApplicationUserItem,
    /// Its address.
    pub meta: ApplicationResourceMeta,
}

/// The address of a created resource.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationResourceMeta {
    /// The absolute URL of the user.
    #[schema(example = "https://panel.example.com/api/application/users/4")]
    pub resource: String,
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationUserList {
    /// Always `list`.
    #[schema(example = "list")]
    pub object: &'static str,
    /// The page.
    pub data: Vec<ApplicationUserItem>,
    /// Paging.
    pub meta: ApplicationListMeta,
}

/// A list's `meta`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationListMeta {
    /// Paging.
    pub pagination: ApplicationPagination,
}

/// Where a page lies in the whole list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationPagination {
    /// Users matching the filters.
    pub total: u64,
    /// Users on this page.
    pub count: usize,
    /// Page size.
    pub per_page: u32,
    /// This page's number, from 1.
    pub current_page: u64,
    /// How many pages the matches fill (at least 1).
    pub total_pages: u64,
    /// The neighbouring pages that exist.
    pub links: ApplicationPageLinks,
}

impl ApplicationPagination {
    /// Where `page` lies among `total` matches, `count` of them on it; `link` gives the
    /// absolute URL of a page number. `previous` is there when the previous page exists,
    /// `next` when the next one does.
    pub(crate) fn new(
        page: PageRequest,
        total: u64,
        count: usize,
        link: impl Fn(u64) -> String,
    ) -> Self {
        let current = page.page_number();
        let total_pages = page.total_pages(total);
        Self {
            total,
            count,
            per_page: page.limit(),
            current_page: current,
            total_pages,
            links: ApplicationPageLinks {
                previous: (current > 1 && current - 1 <= total_pages).then(|| link(current - 1)),
                next: (current < total_pages).then(|| link(current + 1)),
            },
        }
    }
}

/// Absolute URLs of the neighbouring pages; `{}` when there are none.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationPageLinks {
    /// The previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// The next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_seconds_with_an_offset() {
        let at = DateTime::parse_from_rfc3339("2025-11-05T15:50:35.879+01:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(timestamp(at), "2025-11-05T14:50:35+00:00");
    }

    fn links(page: u64, per_page: u32, total: u64) -> (Option<String>, Option<String>, u64) {
        let request =
            PageRequest::from_page(Some(&page.to_string()), Some(&per_page.to_string())).unwrap();
        let p = ApplicationPagination::new(request, total, 0, |n| format!("p{n}"));
        (p.links.previous, p.links.next, p.total_pages)
    }

    #[test]
    fn links_point_at_pages_that_exist() {
        assert_eq!(links(1, 50, 0), (None, None, 1));
        assert_eq!(links(1, 50, 120), (None, Some("p2".into()), 3));
        assert_eq!(links(2, 50, 120), (Some("p1".into()), Some("p3".into()), 3));
        assert_eq!(links(3, 50, 120), (Some("p2".into()), None, 3));
        assert_eq!(links(4, 50, 120), (Some("p3".into()), None, 3));
        assert_eq!(
            links(9, 50, 120),
            (None, None, 3),
            "page 8 does not exist either"
        );
    }
}

/// The body of `POST` and `PATCH /api/application/users…` (documentation only: handlers read
/// it field by field). `PATCH` takes the same required fields as `POST`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub(crate) struct ApplicationUserRequest {
    /// Required; a valid address, unique.
    #[schema(example = "example@example.com")]
    pub email: String,
    /// Required; stored in lower case, unique.
    #[schema(example = "test-user")]
    pub username: String,
    /// Required.
    pub first_name: String,
    /// Required.
    pub last_name: String,
    /// Optional; unique when given.
    pub external_id: Option<String>,
    /// Optional; without it nobody can sign in as the user until one is set. On `PATCH`, null
    /// or empty leaves it unchanged.
    #[schema(format = Password)]
    pub password: Option<String>,
    /// Optional, default `en`.
    pub language: Option<String>,
    /// Optional, default false; also `1`/`0`/`"1"`/`"0"`.
    pub root_admin: Option<bool>,
}
