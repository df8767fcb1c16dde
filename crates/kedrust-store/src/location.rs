//! Where a run store is: a SQLite file (the embedded default) or a PostgreSQL database, told
//! apart by the text that names it (`postgresql://…` or `postgres://…` is a server, anything
//! else a path).

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a run store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL database, by its connection URL.
    Postgres(String),
}

impl StoreLocation {
    /// `text` as a location: a PostgreSQL URL as it is, a path relative to `base`.
    pub fn parse(text: &str, base: &Path) -> Self {
        if Self::is_postgres_url(text) {
            Self::Postgres(text.to_owned())
        } else {
            Self::File(base.join(text))
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

/// `url` with the password of its user part, if any, replaced by `***`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_a_server_and_its_password_is_never_shown() {
        let base = Path::new("/project");
        assert_eq!(
            StoreLocation::parse("state/runs.db", base),
            StoreLocation::File("/project/state/runs.db".into())
        );
        let server = StoreLocation::parse("postgresql://kedrust:s3cret@db:5432/runs", base);
        assert_eq!(server.to_string(), "postgresql://kedrust:***@db:5432/runs");
        let no_password =
            StoreLocation::parse("postgres://root@127.0.0.1/test?sslmode=disable", base);
        assert_eq!(
            no_password.to_string(),
            "postgres://root@127.0.0.1/test?sslmode=disable"
        );
        assert!(server.file().is_none());
    }
}
