//! v2 query strings: `limit`/`offset` paging, and for the user list `sort_by` plus Nodeum
//! filters under any other parameter name. Every bad parameter is reported at once (422).

use super::filters::{parse_filter, parse_sort_by};
use crate::error::{InvalidField, Problem};
use rollcall_domain::listing::{ListingError, PageError, PageRequest, SortOrder, UserQuery};
use rollcall_domain::values::Violation;
use std::borrow::Cow;

/// The decoded pairs of a query string, in order, duplicates kept.
fn pairs(query_string: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    url::form_urlencoded::parse(query_string.as_bytes())
}

/// A page error as the field it concerns.
fn page_field(e: &PageError, limit: Option<&str>, offset: Option<&str>) -> InvalidField {
    let message = e.to_string();
    match e {
        PageError::LimitTooSmall => InvalidField {
            field: "limit".into(),
            violation: Violation::TooSmall { min: 1 },
            value: None,
            message,
        },
        PageError::NegativeOffset => InvalidField {
            field: "offset".into(),
            violation: Violation::TooSmall { min: 0 },
            value: None,
            message,
        },
        PageError::NotANumber(name) => {
            let value = if *name == "offset" { offset } else { limit };
            InvalidField::invalid(*name, value.map(str::to_owned), message)
        }
        PageError::PerPageTooSmall => InvalidField {
            field: "per_page".into(),
            violation: Violation::TooSmall { min: 1 },
            value: None,
            message,
        },
    }
}

/// `limit` (default 50, max 1000, larger values clamp) and `offset`; other parameters are
/// ignored.
///
/// # Errors
/// [`Problem::InvalidFields`] naming `limit` or `offset`.
pub(crate) fn page(query_string: &str) -> Result<PageRequest, Problem> {
    let mut limit = None;
    let mut offset = None;
    for (name, value) in pairs(query_string) {
        match name.as_ref() {
            "limit" => limit = Some(value.into_owned()),
            "offset" => offset = Some(value.into_owned()),
            _ => {}
        }
    }
    PageRequest::from_limit_offset(limit.as_deref(), offset.as_deref()).map_err(|e| {
        Problem::InvalidFields(vec![page_field(&e, limit.as_deref(), offset.as_deref())])
    })
}

/// The user list's query: paging, `sort_by`, and a Nodeum filter for every other parameter
/// (all must hold), within the domain's bounds on the number of filters and sort keys.
///
/// # Errors
/// [`Problem::InvalidFields`] naming every unknown field, operator or malformed value, and
/// every bound exceeded (`filters` or `sort_by`, `too_long` with the bound as `count`).
pub(crate) fn user_query(query_string: &str) -> Result<UserQuery, Problem> {
    let mut limit = None;
    let mut offset = None;
    let mut sort = SortOrder::default();
    let mut filters = Vec::new();
    let mut errors = Vec::new();
    for (name, value) in pairs(query_string) {
        match name.as_ref() {
            "limit" => limit = Some(value.into_owned()),
            "offset" => offset = Some(value.into_owned()),
            "sort_by" => match parse_sort_by(&value) {
                Ok(s) => sort = s,
                Err(e) => errors.push(InvalidField {
                    field: "sort_by".into(),
                    ..filter_field(&e, &value)
                }),
            },
            field => match parse_filter(field, &value) {
                Ok(filter) => filters.push(filter),
                Err(e) => errors.push(filter_field(&e, &value)),
            },
        }
    }
    let page = PageRequest::from_limit_offset(limit.as_deref(), offset.as_deref());
    let query = UserQuery::new(
        filters,
        sort,
        page.as_ref()
            .copied()
            .unwrap_or_else(|_| PageRequest::first()),
    );
    if let Err(exceeded) = &query {
        errors.extend(exceeded.iter().map(|e| filter_field(e, "")));
    }
    if let Err(e) = &page {
        errors.push(page_field(e, limit.as_deref(), offset.as_deref()));
    }
    match query {
        Ok(query) if errors.is_empty() => Ok(query),
        _ => Err(Problem::InvalidFields(errors)),
    }
}

/// A filter or sort error as the parameter it concerns: `invalid` echoing the value as
/// given, or a bound exceeded (`too_long` with the bound as `count`, no echo).
fn filter_field(e: &ListingError, raw: &str) -> InvalidField {
    let violation = e.violation();
    let value = (violation == Violation::Invalid).then(|| raw.to_owned());
    InvalidField {
        field: e.field_name(),
        violation,
        value,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_domain::listing::{Condition, Direction, FilterValue, UserField};

    fn fields(p: Problem) -> Vec<InvalidField> {
        match p {
            Problem::InvalidFields(f) => f,
            other => panic!("not invalid fields: {other:?}"),
        }
    }

    #[test]
    fn paging_defaults_and_clamps() {
        let p = page("").unwrap();
        assert_eq!((p.limit(), p.offset()), (50, 0));
        let p = page("limit=5000&offset=3&other=x").unwrap();
        assert_eq!((p.limit(), p.offset()), (1000, 3));
        let f = fields(page("limit=0").unwrap_err());
        assert_eq!(
            (
                f[0].field.as_str(),
                f[0].violation.code(),
                f[0].violation.count()
            ),
            ("limit", "greater_than_or_equal_to", Some(1))
        );
        let f = fields(page("offset=abc").unwrap_err());
        assert_eq!(
            (f[0].field.as_str(), f[0].value.as_deref()),
            ("offset", Some("abc"))
        );
    }

    #[test]
    fn filters_sort_and_paging_parse_together() {
        let q =
            user_query("username=~al%25&id=%3E%3D2&is_admin=true&sort_by=username:desc&limit=10")
                .unwrap();
        assert_eq!(q.page.limit(), 10);
        assert_eq!(q.filter.tests().len(), 3);
        assert_eq!(q.filter.tests()[0].field, UserField::Username);
        assert_eq!(q.filter.tests()[0].condition, Condition::Like("al%".into()));
        assert_eq!(
            q.filter.tests()[1].condition,
            Condition::Ge(FilterValue::Integer(2))
        );
        assert_eq!(q.sort.keys()[0].direction, Direction::Desc);
    }

    #[test]
    fn every_bad_parameter_is_reported() {
        let f = fields(user_query("colour=red&id=abc&sort_by=password&limit=-1").unwrap_err());
        let names: Vec<&str> = f.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, vec!["colour", "id", "sort_by", "limit"]);
        assert!(f.iter().all(|f| !f.message.is_empty()));
        assert_eq!(f[0].value.as_deref(), Some("red"));
    }

    #[test]
    fn bounds_are_too_long_with_the_bound_and_no_echo() {
        let many = vec!["enabled=1"; 33].join("&");
        let keys = ["id"; 9].join("%7C");
        let long = "a".repeat(257);
        let query = format!("{many}&sort_by={keys}&username=~{long}&limit=0");
        let f = fields(user_query(&query).unwrap_err());
        let got: Vec<(&str, &str, Option<i64>, Option<&str>)> = f
            .iter()
            .map(|f| {
                (
                    f.field.as_str(),
                    f.violation.code(),
                    f.violation.count(),
                    f.value.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("username", "too_long", Some(256), None),
                ("filters", "too_long", Some(32), None),
                ("sort_by", "too_long", Some(8), None),
                ("limit", "greater_than_or_equal_to", Some(1), None),
            ]
        );
        assert_eq!(f[1].message, "At most 32 filters are allowed.");
        assert!(user_query(&vec!["enabled=1"; 32].join("&")).is_ok());
    }

    #[test]
    fn nul_in_a_filter_is_invalid_not_a_crash() {
        let f = fields(user_query("username=a%00b").unwrap_err());
        assert_eq!(f[0].field, "username");
    }
}
