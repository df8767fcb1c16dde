//! Where a run store is: a SQLite file (the embedded default) or a PostgreSQL database, told
//! apart by the text that names it (`postgresql://…` or `postgres://…` is a server, anything
//! else a path).

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a run store is.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL database, by its connection URL.
    Postgres(String),
}

impl StoreLocation {
    /// `text` as a location: a PostgreSQL URL as it is, a path relative to `base`. Anything
    /// else with a `scheme://` (a misspelt scheme) is refused, so that each host never gets a
    /// file store of its own named after the URL: the error is `text`, its password hidden.
    pub fn parse(text: &str, base: &Path) -> Result<Self, String> {
        if Self::is_postgres_url(text) {
            Ok(Self::Postgres(text.to_owned()))
        } else if text.contains("://") || text.to_ascii_lowercase().starts_with("postgres") {
            Err(without_password(text))
        } else {
            Ok(Self::File(base.join(text)))
        }
    }

    /// Whether `text` names a PostgreSQL server.
    pub fn is_postgres_url(text: &str) -> bool {
        text.starts_with("postgresql://") || text.starts_with("postgres://")
    }

    /// The file, for a SQLite store.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::File(path) => Some(path),
            Self::Postgres(_) => None,
        }
    }
}

/// The path, or the URL with its password hidden (it appears in errors and logs).
impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => f.write_str(&without_password(url)),
        }
    }
}

/// As displayed: never the password.
impl fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreLocation({self})")
    }
}

/// `url` with every password hidden: in the user part (which ends at the last `@` before the
/// path, as the PostgreSQL client reads it, so a password may hold `/` or `?`) and in a
/// `password=` parameter.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return hide_parameter(url);
    };
    let masked = match rest.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    hide_parameter(&masked)
}

/// `text` with the value of a `password=` parameter hidden.
fn hide_parameter(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.to_ascii_lowercase().find("password=") {
        let value = at + "password=".len();
        out.push_str(&rest[..value]);
        out.push_str("***");
        let end = rest[value..]
            .find(['&', ' '])
            .map_or(rest.len(), |e| value + e);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_a_server_and_its_password_is_never_shown() {
        let base = Path::new("/project");
        let parse = |text: &str| StoreLocation::parse(text, base);
        assert_eq!(
            parse("state/runs.db").unwrap(),
            StoreLocation::File("/project/state/runs.db".into())
        );
        let server = parse("postgresql://kedrust:s3cret@db:5432/runs").unwrap();
        assert_eq!(server.to_string(), "postgresql://kedrust:***@db:5432/runs");
        assert_eq!(
            format!("{server:?}"),
            "StoreLocation(postgresql://kedrust:***@db:5432/runs)"
        );
        assert!(server.file().is_none());
        let no_password = parse("postgres://root@127.0.0.1/test?sslmode=disable").unwrap();
        assert_eq!(
            no_password.to_string(),
            "postgres://root@127.0.0.1/test?sslmode=disable"
        );
        // A password the client reads up to the last '@', and one given as a parameter.
        let slashed = parse("postgresql://k:ab/cd?e@db/runs").unwrap();
        assert_eq!(slashed.to_string(), "postgresql://k:***@db/runs");
        let parameter = parse("postgresql://db/runs?user=k&password=s3cret&x=1").unwrap();
        assert_eq!(
            parameter.to_string(),
            "postgresql://db/runs?user=k&password=***&x=1"
        );
        // A misspelt scheme is refused, its password hidden.
        assert_eq!(
            parse("postgresq://k:s3cret@db/runs").unwrap_err(),
            "postgresq://k:***@db/runs"
        );
    }
}
