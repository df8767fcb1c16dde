//! The two databases a run store can live in, behind one set of queries: a SQLite file (the
//! embedded default) and a PostgreSQL server (a team's shared store, reachable from every
//! host of a distributed run).
//!
//! Queries are written once, with SQLite's numbered parameters (`?1`); for PostgreSQL they
//! become `$1`. Both databases see the same tables, with 64-bit integers and text only, so a
//! value is an [`Sql`] either way.

use std::fmt;

/// A parameter or a cell: the only types the store's tables hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Sql {
    Int(i64),
    Text(String),
    Null,
}

impl Sql {
    pub(crate) fn int(&self) -> i64 {
        match self {
            Self::Int(i) => *i,
            _ => 0,
        }
    }

    pub(crate) fn opt_int(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub(crate) fn text(&self) -> String {
        self.opt_text().unwrap_or_default()
    }

    pub(crate) fn opt_text(&self) -> Option<String> {
        match self {
            Self::Text(t) => Some(t.clone()),
            _ => None,
        }
    }
}

impl From<i64> for Sql {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<&str> for Sql {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<&String> for Sql {
    fn from(v: &String) -> Self {
        Self::Text(v.clone())
    }
}

impl From<std::borrow::Cow<'_, str>> for Sql {
    fn from(v: std::borrow::Cow<'_, str>) -> Self {
        Self::Text(v.into_owned())
    }
}

impl From<String> for Sql {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl<T: Into<Sql>> From<Option<T>> for Sql {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// The parameters of a query, each converted to [`Sql`].
macro_rules! sql_params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::db::Sql::from($value)),*]
    };
}
pub(crate) use sql_params;

impl rusqlite::ToSql for Sql {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Self::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Self::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Self::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

impl postgres::types::ToSql for Sql {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::{IsNull, Type};
        match self {
            Self::Null => Ok(IsNull::Yes),
            Self::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Self::Int(i) => i.to_sql(ty, out),
            Self::Text(t) => t.as_str().to_sql(ty, out),
        }
    }

    fn accepts(ty: &postgres::types::Type) -> bool {
        use postgres::types::Type;
        [Type::INT8, Type::INT4, Type::TEXT, Type::VARCHAR].contains(ty)
    }

    postgres::types::to_sql_checked!();
}

/// An open connection to either database.
pub(crate) enum Db {
    Sqlite(rusqlite::Connection),
    /// The client, and the URL it connects to again when the connection is lost.
    Postgres(Box<postgres::Client>, String),
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite(_) => "Db::Sqlite",
            Self::Postgres(..) => "Db::Postgres",
        })
    }
}

/// `sql` with SQLite's `?N` parameters written as PostgreSQL's `$N`.
fn numbered_for_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

impl Db {
    /// Runs a statement; how many rows it changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Sql]) -> Result<usize, String> {
        match self {
            Self::Sqlite(c) => c
                .execute(sql, rusqlite::params_from_iter(params.iter()))
                .map_err(|e| e.to_string()),
            Self::Postgres(client, url) => {
                let (sql, refs) = (numbered_for_postgres(sql), postgres_params(params));
                reconnecting(client, url, |c| c.execute(sql.as_str(), &refs)).map(|n| n as usize)
            }
        }
    }

    /// Runs a query; its rows, each a cell per column.
    pub(crate) fn query(&mut self, sql: &str, params: &[Sql]) -> Result<Vec<Vec<Sql>>, String> {
        match self {
            Self::Sqlite(c) => {
                let run = || -> rusqlite::Result<Vec<Vec<Sql>>> {
                    let mut stmt = c.prepare(sql)?;
                    let columns = stmt.column_count();
                    let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| {
                        (0..columns)
                            .map(|i| {
                                use rusqlite::types::ValueRef;
                                Ok(match r.get_ref(i)? {
                                    ValueRef::Integer(v) => Sql::Int(v),
                                    ValueRef::Text(t) => {
                                        Sql::Text(String::from_utf8_lossy(t).into_owned())
                                    }
                                    ValueRef::Real(v) => Sql::Int(v as i64),
                                    ValueRef::Blob(_) | ValueRef::Null => Sql::Null,
                                })
                            })
                            .collect()
                    })?;
                    rows.collect()
                };
                run().map_err(|e| e.to_string())
            }
            Self::Postgres(client, url) => {
                let (sql, refs) = (numbered_for_postgres(sql), postgres_params(params));
                let rows = reconnecting(client, url, |c| c.query(sql.as_str(), &refs))?;
                rows.iter()
                    .map(|row| {
                        (0..row.len())
                            .map(|i| postgres_cell(row, i).map_err(|e| postgres_error(&e)))
                            .collect()
                    })
                    .collect()
            }
        }
    }

    /// The first row of a query, if any.
    pub(crate) fn row(&mut self, sql: &str, params: &[Sql]) -> Result<Option<Vec<Sql>>, String> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// The parameters as the PostgreSQL client takes them.
fn postgres_params(params: &[Sql]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

/// Runs `call` on the connection; when the connection was lost (a server restart, a
/// failover, a dropped idle connection), connects again and runs it once more: each statement
/// is one statement, guarded by its own conditions, so running it again is safe.
fn reconnecting<T>(
    client: &mut postgres::Client,
    url: &str,
    call: impl Fn(&mut postgres::Client) -> Result<T, postgres::Error>,
) -> Result<T, String> {
    if client.is_closed() {
        *client = crate::postgres::connect(url)?;
    }
    match call(client) {
        Err(_) if client.is_closed() => {
            *client = crate::postgres::connect(url)?;
            call(client).map_err(|e| postgres_error(&e))
        }
        other => other.map_err(|e| postgres_error(&e)),
    }
}

fn postgres_cell(row: &postgres::Row, i: usize) -> Result<Sql, postgres::Error> {
    use postgres::types::Type;
    let ty = row.columns()[i].type_();
    Ok(if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?.into()
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?.map(i64::from).into()
    } else {
        row.try_get::<_, Option<String>>(i)?.into()
    })
}

/// What the server said (its message and detail), not only that it failed.
pub(crate) fn postgres_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_owned(),
        },
        None => e.to_string(),
    }
}
