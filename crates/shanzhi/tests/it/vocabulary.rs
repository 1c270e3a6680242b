//! The stored vocabularies (`domain::vocab`): every value goes into the database under test as
//! its text form and decodes back into the same value; and every text literal that SQL —
//! migrations and triggers, the store's queries, the seeding — compares a column against is
//! one of those forms, so a renamed value cannot leave a trigger counting the old spelling.

use crate::common::{FreshDb, backend};
use shanzhi_domain::vocab;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

#[tokio::test]
async fn every_value_of_every_vocabulary_round_trips_through_the_database() {
    let db = FreshDb::new().await;
    shanzhi_store::Store::open(&db.opts).await.expect("migrate");
    let values: Vec<(&str, &str)> = vocab::every()
        .into_iter()
        .flat_map(|(name, forms)| forms.into_iter().map(move |f| (name, f)))
        .collect();
    assert!(values.len() > 150, "{} values", values.len());
    // The same statements on either driver (only the placeholders differ).
    macro_rules! probe {
        ($pool:expr, $insert:literal) => {{
            let pool = $pool;
            sqlx::query("CREATE TABLE vocab_probe (name TEXT NOT NULL, text TEXT NOT NULL)")
                .execute(&pool)
                .await
                .expect("create");
            for (name, text) in &values {
                sqlx::query($insert)
                    .bind(name)
                    .bind(text)
                    .execute(&pool)
                    .await
                    .expect("insert");
            }
            let rows = sqlx::query("SELECT name, text FROM vocab_probe")
                .fetch_all(&pool)
                .await
                .expect("select");
            rows.iter().map(check).sum::<usize>()
        }};
    }
    let checked = if backend() == "postgres" {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
        probe!(pool, "INSERT INTO vocab_probe (name, text) VALUES ($1, $2)")
    } else {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("connect");
        probe!(pool, "INSERT INTO vocab_probe (name, text) VALUES (?, ?)")
    };
    assert_eq!(checked, values.len());
}

/// Decodes the row's text as its vocabulary and checks it comes back as the same form.
fn check<R: sqlx::Row>(row: &R) -> usize
where
    for<'a> &'a str: sqlx::Decode<'a, R::Database> + sqlx::ColumnIndex<R>,
    str: sqlx::Type<R::Database>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let name: String = row.try_get("name").expect("name");
    let text: String = row.try_get("text").expect("text");
    let back = vocab::decode(row, "text", &name)
        .unwrap_or_else(|| panic!("no vocabulary {name}"))
        .unwrap_or_else(|e| panic!("{name} “{text}” does not decode: {e}"));
    assert_eq!(back, text, "{name}");
    1
}

/// Literals SQL compares against that are not stored vocabularies, and why.
const NOT_VOCABULARY: [(&str, &str); 9] = [
    ("", "an empty text column"),
    ("?", "the dialect's placeholder, rewritten for PostgreSQL"),
    ("BEFORE", "PL/pgSQL's TG_WHEN"),
    ("INSERT", "PL/pgSQL's TG_OP"),
    ("index", "SQLite's catalogue"),
    ("persons", "a table name, in SQLite's catalogue"),
    ("households", "a table name, in SQLite's catalogue"),
    ("none", "an FTS5 option"),
    (
        "basicallysatisfied",
        "the wrong spelling migration 0023 repairs",
    ),
];

/// Every 'literal' compared with `=`, `<>`, `!=` or listed in `IN (…)` in SQL text.
fn compared_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(off) = text[i..].find('\'') {
        let start = i + off;
        let Some(len) = text[start + 1..].find('\'') else {
            break;
        };
        let end = start + 1 + len;
        let literal = &text[start + 1..end];
        let before = text[..start].trim_end();
        let compared = before.ends_with('=')
            || before.ends_with("<>")
            || before.ends_with("!=")
            || in_list(before);
        // Skip Rust char literals ('\'' , 'x') and lifetimes: SQL literals here are words.
        if compared
            && literal
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '?')
        {
            out.push(literal.to_owned());
        }
        i = end + 1;
        if i >= bytes.len() {
            break;
        }
    }
    out
}

/// Whether the text before a literal leaves it inside `IN (…, `.
fn in_list(before: &str) -> bool {
    let Some(open) = before.rfind('(') else {
        return false;
    };
    before[..open]
        .trim_end()
        .to_ascii_uppercase()
        .ends_with(" IN")
        && !before[open..].contains(')')
}

#[test]
fn every_literal_sql_compares_against_is_a_stored_form() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let forms: HashSet<&str> = vocab::every()
        .into_iter()
        .flat_map(|(_, forms)| forms)
        .collect();
    let tags = seeded_tag_codes(&root.join("store/migrations/sqlite/0013_registers.sql"));
    let mut allowed: HashSet<&str> = NOT_VOCABULARY.iter().map(|(l, _)| *l).collect();
    // Tag codes are rows of tag_kinds (a district may add its own), not an enum: literals
    // naming them must be codes the seed wrote.
    allowed.extend(tags.iter().map(String::as_str));
    let mut unknown: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen = 0;
    let dirs = [
        "store/migrations/sqlite",
        "store/migrations/postgres",
        "store/src",
        "app/src",
        "app/src/seed",
    ];
    for dir in dirs {
        for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
            let path = entry.expect("entry").path();
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("sql" | "rs")
            ) {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            for literal in compared_literals(&text) {
                seen += 1;
                if !forms.contains(literal.as_str()) && !allowed.contains(literal.as_str()) {
                    unknown
                        .entry(literal)
                        .or_default()
                        .push(path.display().to_string());
                }
            }
        }
    }
    assert!(
        seen > 50,
        "only {seen} literals found: is the scan still reading SQL?"
    );
    assert!(unknown.is_empty(), "not a stored form: {unknown:?}");
}

/// The codes the migration seeding `tag_kinds` writes: the first literal of each row.
fn seeded_tag_codes(migration: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(migration).expect("read");
    let Some((_, rows)) = text.split_once("INSERT INTO tag_kinds") else {
        panic!("{} no longer seeds tag_kinds", migration.display());
    };
    let rows = rows.split(';').next().unwrap_or_default();
    let codes: Vec<String> = rows
        .lines()
        .filter_map(|l| l.trim().strip_prefix("('"))
        .filter_map(|l| l.split_once('\'').map(|(code, _)| code.to_owned()))
        .collect();
    assert!(codes.len() >= 10, "tag seed not read: {codes:?}");
    codes
}

#[test]
fn the_literal_scan_finds_what_it_should() {
    let found = compared_literals(
        "WHERE stage IN ('reported', 'accepted') AND role = 'grid_worker' AND x <> 'merged' \
         AND tag = 'elderly_alone' ORDER BY 1; SELECT 'not compared'",
    );
    assert_eq!(
        found,
        [
            "reported",
            "accepted",
            "grid_worker",
            "merged",
            "elderly_alone"
        ]
    );
}
