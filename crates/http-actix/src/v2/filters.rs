//! The Nodeum filter and sort syntax of the v2 user list: `?field=<op><value>` with the
//! operators `= != > >= < <= >< !>< ~ !~` and `sort_by=field[:asc|:desc]|…`, read into the
//! domain's listing model.

use rollcall_domain::listing::{
    Condition, Direction, FieldKind, Filter, ListingError, SortKey, SortOrder, UserField,
    parse_list, parse_pattern, parse_value,
};

/// The fields of the v2 (Nodeum) filter and sort convention; `uuid` is not one of them.
pub(crate) const FILTERABLE: [UserField; 12] = [
    UserField::Id,
    UserField::Username,
    UserField::Email,
    UserField::ExternalId,
    UserField::IsAdmin,
    UserField::Enabled,
    UserField::SourceType,
    UserField::UserId,
    UserField::GroupId,
    UserField::CreatedAt,
    UserField::UpdatedAt,
    UserField::ExpiredAt,
];

/// The field of a v2 filter or sort name.
fn field_named(name: &str) -> Option<UserField> {
    FILTERABLE.into_iter().find(|f| f.as_str() == name)
}

/// The operators of the Nodeum convention, longest first so that prefixes parse right.
const OPERATORS: [(&str, Op); 10] = [
    ("!><", Op::NotIn),
    ("><", Op::In),
    ("!=", Op::Ne),
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("!~", Op::NotLike),
    (">", Op::Gt),
    ("<", Op::Lt),
    ("~", Op::Like),
    ("=", Op::Eq),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Like,
    NotLike,
}

impl Op {
    fn symbol(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("=", |(s, _)| s)
    }
}

/// Parses one v2 filter, `?field=<op><value>`: `field` must be one of [`FILTERABLE`], the operator one of `= != > >= < <= >< !>< ~ !~`
/// (`=` when absent), and the value of the field's type (`null` tests for null), read by the
/// domain's parsers and so within its bounds on lists and lengths.
///
/// # Errors
/// [`ListingError`] for an unknown field, an operator that does not apply, a bad value, a
/// list or a value beyond the domain's bounds.
pub(crate) fn parse_filter(field: &str, raw: &str) -> Result<Filter, ListingError> {
    let field = field_named(field).ok_or_else(|| ListingError::UnknownField(field.to_owned()))?;
    let (op, value) = OPERATORS
        .iter()
        .find_map(|(sym, op)| raw.strip_prefix(sym).map(|rest| (*op, rest)))
        .unwrap_or((Op::Eq, raw));
    let condition = match op {
        Op::Eq | Op::Ne if value == "null" => {
            if op == Op::Eq {
                Condition::IsNull
            } else {
                Condition::IsNotNull
            }
        }
        Op::Like | Op::NotLike => {
            if field.kind() != FieldKind::Text {
                return Err(ListingError::OperatorNotApplicable {
                    field,
                    operator: op.symbol(),
                });
            }
            let pattern = parse_pattern(field, value)?;
            if op == Op::Like {
                Condition::Like(pattern)
            } else {
                Condition::NotLike(pattern)
            }
        }
        Op::In | Op::NotIn => {
            let values = parse_list(field, value.split('|'))?;
            if op == Op::In {
                Condition::In(values)
            } else {
                Condition::NotIn(values)
            }
        }
        Op::Gt | Op::Ge | Op::Lt | Op::Le if field.kind() == FieldKind::Boolean => {
            return Err(ListingError::OperatorNotApplicable {
                field,
                operator: op.symbol(),
            });
        }
        _ => {
            let v = parse_value(field, value)?;
            match op {
                Op::Eq => Condition::Eq(v),
                Op::Ne => Condition::Ne(v),
                Op::Gt => Condition::Gt(v),
                Op::Ge => Condition::Ge(v),
                Op::Lt => Condition::Lt(v),
                _ => Condition::Le(v),
            }
        }
    };
    Ok(Filter { field, condition })
}

/// v2's `sort_by=field[:asc|:desc]|…`; empty is the default order.
///
/// # Errors
/// [`ListingError`] for an unknown field or direction.
pub(crate) fn parse_sort_by(raw: &str) -> Result<SortOrder, ListingError> {
    let mut keys = Vec::new();
    for item in raw.split('|').filter(|s| !s.is_empty()) {
        let (name, dir) = item.split_once(':').unwrap_or((item, "asc"));
        let field = field_named(name).ok_or_else(|| ListingError::UnknownField(name.to_owned()))?;
        let direction = match dir {
            "asc" => Direction::Asc,
            "desc" => Direction::Desc,
            _ => return Err(ListingError::InvalidSort(item.to_owned())),
        };
        keys.push(SortKey { field, direction });
    }
    Ok(SortOrder::new(keys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_domain::listing::FilterValue;

    #[test]
    fn nodeum_operators_parse() {
        let f = |raw| parse_filter("id", raw).unwrap().condition;
        assert_eq!(f("5"), Condition::Eq(FilterValue::Integer(5)));
        assert_eq!(f("=5"), Condition::Eq(FilterValue::Integer(5)));
        assert_eq!(f("!=5"), Condition::Ne(FilterValue::Integer(5)));
        assert_eq!(f(">5"), Condition::Gt(FilterValue::Integer(5)));
        assert_eq!(f(">=5"), Condition::Ge(FilterValue::Integer(5)));
        assert_eq!(f("<5"), Condition::Lt(FilterValue::Integer(5)));
        assert_eq!(f("<=5"), Condition::Le(FilterValue::Integer(5)));
        assert_eq!(
            f("><1|2"),
            Condition::In(vec![FilterValue::Integer(1), FilterValue::Integer(2)])
        );
        assert_eq!(f("!><3"), Condition::NotIn(vec![FilterValue::Integer(3)]));
        let like = parse_filter("username", "~al%").unwrap();
        assert_eq!(like.condition, Condition::Like("al%".into()));
        let unlike = parse_filter("email", "!~%@x.org").unwrap();
        assert_eq!(unlike.condition, Condition::NotLike("%@x.org".into()));
        assert_eq!(
            parse_filter("expired_at", "null").unwrap().condition,
            Condition::IsNull
        );
        assert_eq!(
            parse_filter("email", "!=null").unwrap().condition,
            Condition::IsNotNull
        );
    }
    #[test]
    fn nodeum_filters_refuse_bad_input() {
        assert!(matches!(
            parse_filter("password", "x"),
            Err(ListingError::UnknownField(_))
        ));
        assert!(matches!(
            parse_filter("uuid", "x"),
            Err(ListingError::UnknownField(_))
        ));
        assert!(matches!(
            parse_filter("id", "~1%"),
            Err(ListingError::OperatorNotApplicable { .. })
        ));
        assert!(matches!(
            parse_filter("id", "abc"),
            Err(ListingError::InvalidValue { .. })
        ));
        assert!(matches!(
            parse_filter("enabled", "yes"),
            Err(ListingError::InvalidValue { .. })
        ));
        assert!(matches!(
            parse_filter("enabled", ">true"),
            Err(ListingError::OperatorNotApplicable { .. })
        ));
        assert!(matches!(
            parse_filter("created_at", ">yesterday"),
            Err(ListingError::InvalidValue { .. })
        ));
        assert!(matches!(
            parse_filter("username", "a\0"),
            Err(ListingError::InvalidValue { .. })
        ));
    }
    #[test]
    fn lists_and_values_are_bounded() {
        let list = |n: usize| format!("><{}", vec!["1"; n].join("|"));
        assert!(parse_filter("id", &list(100)).is_ok());
        assert_eq!(
            parse_filter("id", &list(101)),
            Err(ListingError::TooManyValues(UserField::Id))
        );
        assert_eq!(
            parse_filter("source_type", &format!("!><{}", "w".repeat(257))),
            Err(ListingError::ValueTooLong(UserField::SourceType))
        );
        for op in ["~", "!~", "", "!=", ">"] {
            assert_eq!(
                parse_filter("email", &format!("{op}{}", "%".repeat(257))),
                Err(ListingError::ValueTooLong(UserField::Email)),
                "{op}"
            );
            assert!(parse_filter("email", &format!("{op}{}", "%".repeat(256))).is_ok());
        }
    }

    #[test]
    fn booleans_and_timestamps_parse() {
        assert_eq!(
            parse_filter("enabled", "1").unwrap().condition,
            Condition::Eq(FilterValue::Boolean(true))
        );
        assert_eq!(
            parse_filter("is_admin", "false").unwrap().condition,
            Condition::Eq(FilterValue::Boolean(false))
        );
        let t = parse_filter("created_at", ">=2025-11-05T15:50:35.879+01:00").unwrap();
        let Condition::Ge(FilterValue::Timestamp(at)) = t.condition else {
            panic!("not a timestamp")
        };
        assert_eq!(
            at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "2025-11-05T14:50:35.879Z"
        );
    }

    #[test]
    fn sort_by_parses_fields_and_directions() {
        let s = parse_sort_by("username:desc|created_at").unwrap();
        let keys = s.keys_with_tiebreak();
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[0].direction, Direction::Desc);
        assert_eq!(keys[2].field, UserField::Id);
        assert!(parse_sort_by("username:up").is_err());
        assert!(parse_sort_by("password").is_err());
        assert!(parse_sort_by("uuid").is_err());
        assert_eq!(parse_sort_by("").unwrap(), SortOrder::default());
    }
}
