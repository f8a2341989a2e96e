//! A SCIM listing request (RFC 7644 §3.4.2 and §3.4.3), from a query string or a
//! `SearchRequest` body, read into the domain's [`UserQuery`] and the response's projection:
//! `filter` through [`super::filter`], `sortBy`/`sortOrder`, and the 1-based `startIndex`
//! with `count`.
//!
//! Paging follows the RFC's leniency: a `startIndex` below 1 reads as 1, a negative `count`
//! as 0 (a page with no resources, only `totalResults`), a `count` above
//! [`PageRequest::MAX_LIMIT`] as that limit (the `filter.maxResults` of the service provider
//! configuration); without `count` a page holds [`DEFAULT_COUNT`] resources.

use super::filter::{FilterError, member, parse_filter, sort_field, to_listing};
use super::resource::Projection;
use crate::error::Problem;
use rollcall_domain::listing::{
    Direction, FilterExpr, ListingError, PageRequest, SortKey, SortOrder, UserQuery,
};
use serde_json::Value;

/// The schema URN of a list.
pub(crate) const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The schema URN of a search body.
pub(crate) const SEARCH_REQUEST_SCHEMA: &str =
    "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A listing request before it is read.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ListParams {
    /// `filter`.
    pub filter: Option<String>,
    /// `sortBy`.
    pub sort_by: Option<String>,
    /// `sortOrder`.
    pub sort_order: Option<String>,
    /// `startIndex`, as written.
    pub start_index: Option<String>,
    /// `count`, as written.
    pub count: Option<String>,
    /// `attributes`, comma-separated.
    pub attributes: Option<String>,
    /// `excludedAttributes`, comma-separated.
    pub excluded_attributes: Option<String>,
}

impl ListParams {
    /// The parameters of a query string (names case-insensitive; the first of a repeated one
    /// counts).
    pub(crate) fn from_query(query_string: &str) -> Self {
        let mut params = Self::default();
        for (name, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
            let slot = match name.to_ascii_lowercase().as_str() {
                "filter" => &mut params.filter,
                "sortby" => &mut params.sort_by,
                "sortorder" => &mut params.sort_order,
                "startindex" => &mut params.start_index,
                "count" => &mut params.count,
                "attributes" => &mut params.attributes,
                "excludedattributes" => &mut params.excluded_attributes,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        params
    }

    /// The parameters of a `SearchRequest` body (RFC 7644 §3.4.3): `attributes` and
    /// `excludedAttributes` are arrays of strings, `startIndex` and `count` numbers.
    ///
    /// # Errors
    /// [`Problem::Refused`] `invalidSyntax` for a body that is not an object or whose members
    /// have the wrong types; `invalidValue` when `schemas` does not name `SearchRequest`.
    pub(crate) fn from_search_body(body: &Value) -> Result<Self, Problem> {
        let syntax = |message: String| Problem::Refused {
            rule: "invalidSyntax",
            message,
        };
        let Value::Object(map) = body else {
            return Err(syntax("The request body must be a JSON object.".into()));
        };
        let get = |name: &str| member(map, name).filter(|v| !v.is_null());
        let names_search = get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(SEARCH_REQUEST_SCHEMA)));
        if !names_search {
            return Err(Problem::Refused {
                rule: "invalidValue",
                message: format!("schemas must contain {SEARCH_REQUEST_SCHEMA}."),
            });
        }
        let text = |name: &str| -> Result<Option<String>, Problem> {
            match get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(syntax(format!("{name} must be a string."))),
            }
        };
        let number = |name: &str| -> Result<Option<String>, Problem> {
            match get(name) {
                None => Ok(None),
                // An integral number written with a fraction (`978.0`) is that integer.
                Some(Value::Number(n)) => match n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                        .map(|f| f as i64)
                }) {
                    Some(i) => Ok(Some(i.to_string())),
                    None => Err(syntax(format!("{name} must be an integer."))),
                },
                Some(_) => Err(syntax(format!("{name} must be an integer."))),
            }
        };
        let list = |name: &str| -> Result<Option<String>, Problem> {
            match get(name) {
                None => Ok(None),
                Some(Value::Array(items)) => {
                    let mut names = Vec::with_capacity(items.len());
                    for item in items {
                        match item.as_str() {
                            Some(s) => names.push(s),
                            None => {
                                return Err(syntax(format!("{name} must be an array of strings.")));
                            }
                        }
                    }
                    Ok(Some(names.join(",")))
                }
                Some(_) => Err(syntax(format!("{name} must be an array of strings."))),
            }
        };
        Ok(Self {
            filter: text("filter")?,
            sort_by: text("sortBy")?,
            sort_order: text("sortOrder")?,
            start_index: number("startIndex")?,
            count: number("count")?,
            attributes: list("attributes")?,
            excluded_attributes: list("excludedAttributes")?,
        })
    }
}

/// A listing request, read.
#[derive(Debug)]
pub(crate) struct ListRequest {
    /// The domain query: the page starts at `query.page.start_index()`.
    pub query: UserQuery,
    /// How many of the page's resources to show: 0 when `count` is 0 (only `totalResults`).
    pub shown: u32,
    /// Which attributes to return.
    pub projection: Projection,
}

/// A filter error as the SCIM refusal it is.
pub(crate) fn filter_problem(e: FilterError) -> Problem {
    let rule = match e {
        FilterError::Invalid(_) => "invalidFilter",
        FilterError::TooMany(_) => "tooMany",
        FilterError::InvalidPath(_) => "invalidPath",
    };
    Problem::Refused {
        rule,
        message: e.to_string(),
    }
}

fn invalid_value(message: String) -> Problem {
    Problem::Refused {
        rule: "invalidValue",
        message,
    }
}

/// Reads a listing request.
///
/// # Errors
/// [`Problem::Refused`]: `invalidFilter` for a filter the grammar or the mapping refuses,
/// `tooMany` beyond the listing's or the projection's bounds, `invalidValue` for a bad `sortBy`, `sortOrder`,
/// `startIndex` or `count`.
pub(crate) fn list_request(params: &ListParams) -> Result<ListRequest, Problem> {
    let filter = match params.filter.as_deref().map(str::trim) {
        None | Some("") => FilterExpr::always(),
        Some(raw) => {
            to_listing(&parse_filter(raw).map_err(filter_problem)?).map_err(filter_problem)?
        }
    };
    let direction = match params.sort_order.as_deref().map(str::trim) {
        None | Some("") => Direction::Asc,
        Some(s) if s.eq_ignore_ascii_case("ascending") => Direction::Asc,
        Some(s) if s.eq_ignore_ascii_case("descending") => Direction::Desc,
        Some(_) => {
            return Err(invalid_value(
                "sortOrder must be ascending or descending.".into(),
            ));
        }
    };
    let sort = match params.sort_by.as_deref().map(str::trim) {
        None | Some("") => SortOrder::default(),
        Some(path) => {
            let field = sort_field(path).ok_or_else(|| {
                invalid_value(format!(
                    "sortBy names no attribute that can be sorted on: {}.",
                    super::filter::excerpt(path)
                ))
            })?;
            SortOrder::new(vec![SortKey { field, direction }])
        }
    };
    let (page, shown) =
        PageRequest::from_start_index(params.start_index.as_deref(), params.count.as_deref())
            .map_err(|e| invalid_value(format!("{e}.")))?;
    let query = UserQuery::matching(filter, sort, page).map_err(|errors| {
        let message = errors
            .iter()
            .map(ListingError::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        Problem::Refused {
            rule: "tooMany",
            message,
        }
    })?;
    Ok(ListRequest {
        query,
        shown,
        projection: Projection::read(
            params.attributes.as_deref(),
            params.excluded_attributes.as_deref(),
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_domain::listing::UserField;
    use serde_json::json;

    fn rule(p: Problem) -> &'static str {
        match p {
            Problem::Refused { rule, .. } => rule,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paging_edges_read_leniently() {
        let read = |q: &str| list_request(&ListParams::from_query(q)).unwrap();
        let r = read("");
        assert_eq!(
            (r.query.page.start_index(), r.query.page.limit(), r.shown),
            (1, 100, 100)
        );
        let r = read("startIndex=0&count=-5");
        assert_eq!(
            (r.query.page.start_index(), r.query.page.offset(), r.shown),
            (1, 0, 0)
        );
        let r = read("StartIndex=11&COUNT=5000");
        assert_eq!((r.query.page.offset(), r.query.page.limit()), (10, 1000));
        assert_eq!(
            rule(list_request(&ListParams::from_query("count=ten")).unwrap_err()),
            "invalidValue"
        );
    }

    #[test]
    fn sorting_and_filters_map_to_the_domain() {
        let r = list_request(&ListParams::from_query(
            "sortBy=name.familyName&sortOrder=Descending&filter=userName%20sw%20%22a%22",
        ))
        .unwrap();
        assert_eq!(
            r.query.sort.keys(),
            [SortKey {
                field: UserField::LastName,
                direction: Direction::Desc
            }]
        );
        assert_eq!(r.query.filter.tests()[0].field, UserField::Username);
        let refused = |q: &str| rule(list_request(&ListParams::from_query(q)).unwrap_err());
        assert_eq!(refused("sortBy=password"), "invalidValue");
        assert_eq!(refused("sortOrder=up"), "invalidValue");
        assert_eq!(refused("filter=userName%20xx%20%22a%22"), "invalidFilter");
        assert_eq!(refused("filter=nickName%20eq%20%22a%22"), "invalidFilter");
    }

    #[test]
    fn search_bodies_read_like_query_strings() {
        let params = ListParams::from_search_body(&json!({
            "schemas": [SEARCH_REQUEST_SCHEMA], "attributes": ["userName", "emails"],
            "filter": "active eq true", "startIndex": 2, "count": 3
        }))
        .unwrap();
        assert_eq!(params.attributes.as_deref(), Some("userName,emails"));
        assert_eq!(params.start_index.as_deref(), Some("2"));
        let r = list_request(&params).unwrap();
        assert_eq!((r.query.page.offset(), r.query.page.limit()), (1, 3));
        let integral = ListParams::from_search_body(&json!({
            "schemas": [SEARCH_REQUEST_SCHEMA], "startIndex": -25.0, "count": 978.0
        }))
        .unwrap();
        assert_eq!(
            (integral.start_index.as_deref(), integral.count.as_deref()),
            (Some("-25"), Some("978"))
        );
        assert!(
            ListParams::from_search_body(
                &json!({"schemas": [SEARCH_REQUEST_SCHEMA], "count": 1.5})
            )
            .is_err()
        );
        assert_eq!(
            rule(ListParams::from_search_body(&json!({"filter": "x"})).unwrap_err()),
            "invalidValue"
        );
        assert_eq!(
            rule(
                ListParams::from_search_body(
                    &json!({"schemas": [SEARCH_REQUEST_SCHEMA], "count": "3"})
                )
                .unwrap_err()
            ),
            "invalidSyntax"
        );
    }
}
