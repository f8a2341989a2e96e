//! Timestamps in both backends: one SQL type, [`UtcTimestamp`], that is `timestamptz` on
//! PostgreSQL and fixed-width UTC text (`YYYY-MM-DDTHH:MM:SS.ffffffZ`) on SQLite, and one Rust
//! type, [`DbTimestamp`], that binds and loads it. Both backends keep microseconds: values are
//! truncated to the microsecond before they are written, so what is read back equals what was
//! written. On SQLite the fixed width makes text order equal time order, so comparisons and
//! sorting behave as on PostgreSQL.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, SubsecRound, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::query_builder::QueryId;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{SqlType, Timestamptz};
use diesel::sqlite::{Sqlite, SqliteValue};

/// The SQL type of every timestamp column: `timestamptz` (OID 1184) on PostgreSQL, `TEXT` on
/// SQLite.
#[derive(Debug, Clone, Copy, Default, QueryId, SqlType)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct UtcTimestamp;

/// A UTC instant with microsecond precision, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = UtcTimestamp)]
pub struct DbTimestamp(DateTime<Utc>);

impl DbTimestamp {
    /// The instant, truncated to the microsecond.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(at.trunc_subsecs(6))
    }

    /// The instant.
    pub fn get(self) -> DateTime<Utc> {
        self.0
    }

    /// The SQLite storage form: RFC 3339, UTC, six fractional digits, `Z`.
    fn to_sqlite_text(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// Reads the SQLite storage form. The fixed-width form this module writes is read
    /// directly (every authenticated request loads several timestamps); anything else, such
    /// as a value written by hand with an offset, goes through chrono's RFC 3339 parser.
    fn from_sqlite_text(text: &str) -> Result<Self, String> {
        if let Some(at) = Self::from_fixed_width(text.as_bytes()) {
            return Ok(Self(at));
        }
        DateTime::parse_from_rfc3339(text)
            .map(|at| Self::new(at.with_timezone(&Utc)))
            .map_err(|e| format!("invalid stored timestamp {text:?}: {e}"))
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, exactly; `None` for any other text.
    fn from_fixed_width(b: &[u8]) -> Option<DateTime<Utc>> {
        if b.len() != 27
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'.'
            || b[26] != b'Z'
        {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            b[range].iter().try_fold(0u32, |n, &d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })
        };
        let date = NaiveDate::from_ymd_opt(
            i32::try_from(number(0..4)?).ok()?,
            number(5..7)?,
            number(8..10)?,
        )?;
        let time = NaiveTime::from_hms_micro_opt(
            number(11..13)?,
            number(14..16)?,
            number(17..19)?,
            number(20..26)?,
        )?;
        Some(date.and_time(time).and_utc())
    }
}

impl From<DateTime<Utc>> for DbTimestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Self::new(at)
    }
}

impl ToSql<UtcTimestamp, Pg> for DbTimestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<UtcTimestamp, Pg> for DbTimestamp {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<Timestamptz, Pg>>::from_sql(bytes).map(Self::new)
    }
}

impl ToSql<UtcTimestamp, Sqlite> for DbTimestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.to_sqlite_text());
        Ok(IsNull::No)
    }
}

impl FromSql<UtcTimestamp, Sqlite> for DbTimestamp {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let mut value = value;
        Ok(Self::from_sqlite_text(value.read_text())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sqlite_text_is_fixed_width_and_sorts_like_time() {
        let whole = DbTimestamp::new(Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap());
        let later = DbTimestamp::new(whole.get() + chrono::Duration::microseconds(1));
        assert_eq!(whole.to_sqlite_text(), "2025-01-02T03:04:05.000000Z");
        assert_eq!(later.to_sqlite_text(), "2025-01-02T03:04:05.000001Z");
        assert!(whole.to_sqlite_text() < later.to_sqlite_text());
    }

    #[test]
    fn the_fixed_width_form_reads_back_what_was_written() {
        let at = DbTimestamp::new(
            Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 58).unwrap()
                + chrono::Duration::microseconds(123_456),
        );
        let text = at.to_sqlite_text();
        assert_eq!(
            DbTimestamp::from_fixed_width(text.as_bytes()),
            Some(at.get())
        );
        assert_eq!(DbTimestamp::from_sqlite_text(&text), Ok(at));
    }

    #[test]
    fn other_rfc3339_forms_still_read_and_nonsense_is_refused() {
        let at = Utc.with_ymd_and_hms(2025, 1, 2, 1, 4, 5).unwrap();
        for text in ["2025-01-02T03:04:05+02:00", "2025-01-02T01:04:05Z"] {
            assert_eq!(DbTimestamp::from_fixed_width(text.as_bytes()), None);
            assert_eq!(
                DbTimestamp::from_sqlite_text(text),
                Ok(DbTimestamp::new(at))
            );
        }
        for text in [
            "2025-02-30T03:04:05.000000Z",
            "2025-01-02T24:04:05.000000Z",
            "2025-01-02T03:04:05.00000xZ",
            "",
        ] {
            assert_eq!(
                DbTimestamp::from_fixed_width(text.as_bytes()),
                None,
                "{text}"
            );
            assert!(DbTimestamp::from_sqlite_text(text).is_err(), "{text}");
        }
    }

    #[test]
    fn sub_microseconds_are_truncated() {
        let at = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::nanoseconds(1_999);
        assert_eq!(
            DbTimestamp::new(at).get(),
            at - chrono::Duration::nanoseconds(999)
        );
    }
}
