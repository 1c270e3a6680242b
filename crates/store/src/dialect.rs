//! The differences between the two SQL dialects, kept in one place.

use crate::Backend;

/// Rewrites `?` placeholders to `$1, $2, …` for PostgreSQL; SQLite takes them as written.
/// Placeholders inside single-quoted literals are left alone.
pub fn placeholders(sql: &str, backend: Backend) -> std::borrow::Cow<'_, str> {
    if backend == Backend::Sqlite || !sql.contains('?') {
        return sql.into();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let (mut n, mut quoted) = (0, false);
    for ch in sql.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                out.push(ch);
            }
            '?' if !quoted => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(ch),
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_for_postgres_only() {
        let q = "SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)";
        assert_eq!(placeholders(q, Backend::Sqlite), q);
        assert_eq!(
            placeholders(q, Backend::Postgres),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)"
        );
    }
}
