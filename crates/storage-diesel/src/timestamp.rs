//! Timestamps in both backends: one SQL type, [`UtcTimestamp`], that is `timestamptz` on
//! PostgreSQL and fixed-width UTC text (`YYYY-MM-DDTHH:MM:SS.ffffffZ`) on SQLite, and one Rust
//! type, [`DbTimestamp`], that binds and loads it. Both backends keep microseconds: values are
//! truncated to the microsecond before they are written, so what is read back equals what was
//! written. On SQLite the fixed width makes text order equal time order, so comparisons and
//! sorting behave as on PostgreSQL.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::query_builder::QueryId;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{SqlType, Text, Timestamptz};
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
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        let at = DateTime::parse_from_rfc3339(&text)
            .map_err(|e| format!("invalid stored timestamp {text:?}: {e}"))?;
        Ok(Self::new(at.with_timezone(&Utc)))
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
    fn sub_microseconds_are_truncated() {
        let at = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::nanoseconds(1_999);
        assert_eq!(
            DbTimestamp::new(at).get(),
            at - chrono::Duration::nanoseconds(999)
        );
    }
}
