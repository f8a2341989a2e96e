//! The application family's query strings, read the way Pterodactyl's query builder reads
//! them: `filter[email|uuid|username|external_id]` (case-insensitive substring, `%` and `_`
//! literal; an empty value is no filter), `sort` (`id`, `-id`, `uuid`, `-uuid`, several
//! separated by commas), `page`/`per_page`, `include` (`servers`); and the absolute links of
//! a page, which keep every parameter of the request but `page`.
//!
//! A filter or sort the family does not know is refused with 400, as Pterodactyl's query
//! builder does; a bad `page`/`per_page`, a filter value holding a NUL and a request beyond
//! the domain's bounds (more than 32 filters or 8 sort keys, a filter value over 256
//! characters) are a 422 naming the parameter (`filter`, `sort`, `filter[<name>]`) and the
//! limit (rule `max`). Other parameters are ignored.

use crate::error::{InvalidField, Problem};
use rollcall_domain::listing::{
    Direction, ListingError, PageError, PageRequest, SortKey, SortOrder, UserField, UserQuery,
    contains_filter,
};
use rollcall_domain::values::Violation;
use std::borrow::Cow;

/// The filters the family knows, in the order its refusal names them.
const ALLOWED_FILTERS: &str = "email, uuid, username, external_id";
/// The sorts the family knows.
const ALLOWED_SORTS: &str = "id, uuid";

/// The decoded pairs of a query string, in order, duplicates kept.
fn pairs(query_string: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    url::form_urlencoded::parse(query_string.as_bytes())
}

/// True when `include` (a comma-separated list) asks for the user's servers.
pub(crate) fn includes_servers(query_string: &str) -> bool {
    pairs(query_string)
        .filter(|(name, _)| name == "include")
        .any(|(_, value)| value.split(',').any(|item| item.trim() == "servers"))
}

/// A parsed list request.
#[derive(Debug)]
pub(crate) struct ListRequest {
    /// What to ask the directory for.
    pub query: UserQuery,
    /// `include=servers`.
    pub include_servers: bool,
}

/// Reads a list request's query string.
///
/// # Errors
/// [`Problem::BadRequest`] for an unknown filter or sort; [`Problem::InvalidFields`] for a
/// bad `page`/`per_page`, a filter value holding a NUL or too long, too many filters or too
/// many sort keys.
pub(crate) fn list_request(query_string: &str) -> Result<ListRequest, Problem> {
    let mut page = None;
    let mut per_page = None;
    let mut sort = SortOrder::default();
    let mut bad_sort = None;
    let mut filters = Vec::new();
    let mut unknown_filters = Vec::new();
    let mut invalid = Vec::new();
    for (name, value) in pairs(query_string) {
        match name.as_ref() {
            "page" => page = Some(value.into_owned()),
            "per_page" => per_page = Some(value.into_owned()),
            "sort" => match parse_sort(&value) {
                Some(order) => sort = order,
                None => bad_sort = Some(value.into_owned()),
            },
            other => {
                let Some(field) = other
                    .strip_prefix("filter[")
                    .and_then(|rest| rest.strip_suffix(']'))
                else {
                    continue;
                };
                if value.is_empty() {
                    continue;
                }
                let Some(field) = filter_field(field) else {
                    unknown_filters.push(field.to_owned());
                    continue;
                };
                match contains_filter(field, &value) {
                    Ok(filter) => filters.push(filter),
                    Err(e) => invalid.push(InvalidField {
                        field: other.to_owned(),
                        violation: e.violation(),
                        value: None,
                        message: e.to_string(),
                    }),
                }
            }
        }
    }
    if !unknown_filters.is_empty() {
        return Err(Problem::BadRequest(format!(
            "Requested filter(s) `{}` are not allowed. Allowed filter(s) are `{ALLOWED_FILTERS}`.",
            unknown_filters.join(", ")
        )));
    }
    if let Some(raw) = bad_sort {
        return Err(Problem::BadRequest(format!(
            "Requested sort(s) `{raw}` is not allowed. Allowed sort(s) are `{ALLOWED_SORTS}`."
        )));
    }
    let page = PageRequest::from_page(page.as_deref(), per_page.as_deref());
    let query = UserQuery::new(
        filters,
        sort,
        page.as_ref()
            .copied()
            .unwrap_or_else(|_| PageRequest::first()),
    );
    if let Err(exceeded) = &query {
        invalid.extend(exceeded.iter().map(bound_field));
    }
    if let Err(e) = &page {
        invalid.push(page_field(e));
    }
    match query {
        Ok(query) if invalid.is_empty() => Ok(ListRequest {
            query,
            include_servers: includes_servers(query_string),
        }),
        _ => Err(Problem::InvalidFields(invalid)),
    }
}

/// A bound of the whole query exceeded, as the parameter it concerns: `filter` for the
/// number of filters, `sort` for the number of sort keys.
fn bound_field(e: &ListingError) -> InvalidField {
    let field = match e {
        ListingError::TooManyFilters => "filter".to_owned(),
        ListingError::TooManySortKeys => "sort".to_owned(),
        other => other.field_name(),
    };
    InvalidField {
        field,
        violation: e.violation(),
        value: None,
        message: e.to_string(),
    }
}

/// The field of `filter[name]`: a case-insensitive substring match in which `%` and `_`
/// match literally, on `email`, `uuid`, `username` and `external_id` only.
fn filter_field(name: &str) -> Option<UserField> {
    match name {
        "email" => Some(UserField::Email),
        "uuid" => Some(UserField::Uuid),
        "username" => Some(UserField::Username),
        "external_id" => Some(UserField::ExternalId),
        _ => None,
    }
}

/// `sort`: comma-separated `id`, `-id`, `uuid`, `-uuid`; empty is the default order. `None`
/// when any item is unknown.
fn parse_sort(raw: &str) -> Option<SortOrder> {
    let mut keys = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (name, direction) = match item.strip_prefix('-') {
            Some(rest) => (rest, Direction::Desc),
            None => (item, Direction::Asc),
        };
        let field = match name {
            "id" => UserField::Id,
            "uuid" => UserField::Uuid,
            _ => return None,
        };
        keys.push(SortKey { field, direction });
    }
    Some(SortOrder::new(keys))
}

/// A page error as the parameter it concerns.
fn page_field(e: &PageError) -> InvalidField {
    let (field, violation) = match e {
        PageError::NotANumber(name) => ((*name).to_owned(), Violation::WrongType),
        PageError::PerPageTooSmall | PageError::LimitTooSmall => {
            ("per_page".to_owned(), Violation::TooSmall { min: 1 })
        }
        PageError::NegativeOffset => ("page".to_owned(), Violation::TooSmall { min: 1 }),
    };
    InvalidField {
        field,
        violation,
        value: None,
        message: e.to_string(),
    }
}

/// The absolute URL of the same request on another page: every parameter kept as the client
/// wrote it, every `page` replaced (or one added).
pub(crate) fn page_url(base: &str, path: &str, query_string: &str, page: u64) -> String {
    let mut replaced = false;
    let mut parts: Vec<String> = query_string
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let is_page = pairs(pair).next().is_some_and(|(name, _)| name == "page");
            if is_page {
                replaced = true;
                format!("page={page}")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    if !replaced {
        parts.push(format!("page={page}"));
    }
    format!("{base}{path}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_domain::listing::{Condition, Direction, UserField};

    fn fields(p: Problem) -> Vec<(String, Violation)> {
        match p {
            Problem::InvalidFields(f) => f.into_iter().map(|f| (f.field, f.violation)).collect(),
            other => panic!("not invalid fields: {other:?}"),
        }
    }

    fn bad_request(p: Problem) -> String {
        match p {
            Problem::BadRequest(m) => m,
            other => panic!("not a bad request: {other:?}"),
        }
    }

    #[test]
    fn filters_sort_paging_and_include() {
        let r = list_request(
            "filter%5Busername%5D=a_b&filter[email]=&sort=-uuid&page=2&per_page=5000&include=servers,other",
        )
        .unwrap();
        assert_eq!(
            r.query.filter.tests().len(),
            1,
            "an empty filter is no filter"
        );
        assert_eq!(r.query.filter.tests()[0].field, UserField::Username);
        assert_eq!(
            r.query.filter.tests()[0].condition,
            Condition::Like(r"%a\_b%".into())
        );
        assert_eq!(r.query.sort.keys()[0].field, UserField::Uuid);
        assert_eq!(r.query.sort.keys()[0].direction, Direction::Desc);
        assert_eq!(
            (r.query.page.limit(), r.query.page.page_number()),
            (1000, 2)
        );
        assert!(r.include_servers);
        let r = list_request("page=0&sort=&unrelated=1").unwrap();
        assert_eq!(r.query.page.page_number(), 1, "page below 1 reads as 1");
        assert_eq!(r.query.sort, SortOrder::default());
        assert!(!r.include_servers);
        let r = list_request("sort=uuid,-id").unwrap();
        assert_eq!(r.query.sort.keys().len(), 2);
    }

    #[test]
    fn unknown_filters_and_sorts_are_400() {
        assert_eq!(
            bad_request(list_request("filter[first_name]=x&filter[2fa]=1").unwrap_err()),
            "Requested filter(s) `first_name, 2fa` are not allowed. Allowed filter(s) are `email, uuid, username, external_id`."
        );
        assert_eq!(
            bad_request(list_request("sort=username").unwrap_err()),
            "Requested sort(s) `username` is not allowed. Allowed sort(s) are `id, uuid`."
        );
        assert!(list_request("sort=id,name").is_err());
    }

    #[test]
    fn bad_paging_is_422_naming_the_parameter() {
        assert_eq!(
            fields(list_request("per_page=0").unwrap_err()),
            [("per_page".to_owned(), Violation::TooSmall { min: 1 })]
        );
        assert_eq!(
            fields(list_request("page=x&filter[email]=a%00").unwrap_err()),
            [
                ("filter[email]".to_owned(), Violation::Invalid),
                ("page".to_owned(), Violation::WrongType)
            ]
        );
    }

    #[test]
    fn bounds_are_422_naming_the_parameter_and_the_limit() {
        let query = format!(
            "{}&sort={}&filter[uuid]={}",
            vec!["filter[email]=a"; 40].join("&"),
            ["id"; 9].join(","),
            "u".repeat(257)
        );
        assert_eq!(
            fields(list_request(&query).unwrap_err()),
            [
                ("filter[uuid]".to_owned(), Violation::TooLong { max: 256 }),
                ("filter".to_owned(), Violation::TooMany { max: 32 }),
                ("sort".to_owned(), Violation::TooMany { max: 8 }),
            ]
        );
        let at_caps = format!(
            "{}&sort={}&filter[uuid]={}",
            vec!["filter[email]=a"; 31].join("&"),
            ["-uuid"; 8].join(","),
            "u".repeat(256)
        );
        assert!(list_request(&at_caps).is_ok());
    }

    #[test]
    fn page_urls_keep_every_other_parameter() {
        assert_eq!(
            page_url("http://h", "/api/application/users", "", 2),
            "http://h/api/application/users?page=2"
        );
        assert_eq!(
            page_url(
                "https://x.org",
                "/u",
                "filter%5Bemail%5D=a%40b&page=1&per_page=5&flag",
                3
            ),
            "https://x.org/u?filter%5Bemail%5D=a%40b&page=3&per_page=5&flag"
        );
        assert_eq!(page_url("b", "/p", "pa%67e=9&x=1", 4), "b/p?page=4&x=1");
    }
}
