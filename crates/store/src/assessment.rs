//! What the monthly assessment reads and the evaluations it keeps: residents' ratings of their
//! grid worker, peer and organisation evaluations, and per-worker counts for a month.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::assessment::Weights;

/// A grid worker under assessment.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkerRow {
    /// Account.
    pub account_id: i64,
    /// Name.
    pub name: String,
    /// Their grid.
    pub grid: String,
    /// The grid's name.
    pub grid_name: String,
}

/// Grid workers bound to grids under `root`, in grid order.
pub async fn workers(ex: &mut impl Exec, root: &str) -> Result<Vec<WorkerRow>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT a.id AS account_id, a.display_name AS name, a.node_code AS grid, n.name AS grid_name \
             FROM accounts a JOIN region_nodes n ON n.code = a.node_code \
             WHERE a.role = 'grid_worker' AND n.level = 'grid' AND a.node_code >= ? AND a.node_code < ? \
             ORDER BY a.node_code, a.id",
        )
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Stores a resident's rating; false when this phone already rated this worker this month.
pub async fn rate(
    ex: &mut impl Exec,
    account_id: i64,
    month: &str,
    phone_index: &[u8],
    stars: i16,
    comment: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new(
                "INSERT INTO worker_ratings (account_id, month, phone_index, stars, comment, at) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, month, phone_index) DO NOTHING",
            )
            .bind(account_id)
            .bind(month)
            .bind(phone_index.to_vec())
            .bind(stars)
            .bind(comment)
            .bind(at),
        )
        .await?;
    Ok(n == 1)
}

/// Residents' ratings of the workers under `root` in `month`: (account, average stars, count).
pub async fn ratings(
    ex: &mut impl Exec,
    root: &str,
    month: &str,
) -> Result<Vec<(i64, f64, i64)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT r.account_id, CAST(AVG(r.stars) AS DOUBLE PRECISION), COUNT(*) FROM worker_ratings r \
             JOIN accounts a ON a.id = r.account_id \
             WHERE r.month = ? AND a.node_code >= ? AND a.node_code < ? GROUP BY r.account_id",
        )
        .bind(month)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Enters (or corrects) a peer or organisation evaluation.
pub async fn evaluate(
    ex: &mut impl Exec,
    (account_id, month, kind): (i64, &str, &str),
    score: f64,
    note: &str,
    (by, at): (i64, i64),
) -> Result<(), StoreError> {
    ex.exec(
        Sql::new(
            "INSERT INTO worker_evaluations (account_id, month, kind, score, note, by_account, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, month, kind) DO UPDATE SET \
             score = excluded.score, note = excluded.note, by_account = excluded.by_account, at = excluded.at",
        )
        .bind(account_id)
        .bind(month)
        .bind(kind)
        .bind(score)
        .bind(note)
        .bind(by)
        .bind(at),
    )
    .await?;
    Ok(())
}

/// Peer and organisation evaluations of workers under `root` in `month`: (account, kind, score).
pub async fn evaluations(
    ex: &mut impl Exec,
    root: &str,
    month: &str,
) -> Result<Vec<(i64, String, f64)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT e.account_id, e.kind, e.score FROM worker_evaluations e \
             JOIN accounts a ON a.id = e.account_id \
             WHERE e.month = ? AND a.node_code >= ? AND a.node_code < ?",
        )
        .bind(month)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Cases reported by each account under `root` in `[from, to)`: (account, cases).
pub async fn found(
    ex: &mut impl Exec,
    root: &str,
    (from, to): (i64, i64),
) -> Result<Vec<(i64, i64)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT reporter_account, COUNT(*) FROM cases WHERE created_at >= ? AND created_at < ? \
             AND node_code >= ? AND node_code < ? AND reporter_account IS NOT NULL \
             AND stage <> 'merged' GROUP BY reporter_account",
        )
        .bind(from)
        .bind(to)
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// Households under `root` with a visit-tagged member, by grid and their tightest frequency:
/// (grid, days between visits, households).
pub async fn visit_duty(
    ex: &mut impl Exec,
    root: &str,
) -> Result<Vec<(String, i32, i64)>, StoreError> {
    ex.all(
        Sql::new(
            "SELECT grid, every, COUNT(*) FROM (\
               SELECT substr(MIN(p.node_code), 1, 15) AS grid, MIN(k.visit_days) AS every \
               FROM person_tags t JOIN tag_kinds k ON k.code = t.tag JOIN persons p ON p.id = t.person_id \
               WHERE k.visit_days IS NOT NULL AND p.moved_out IS NULL \
               AND p.node_code >= ? AND p.node_code < ? GROUP BY p.household_id) h \
             GROUP BY grid, every",
        )
        .bind(root)
        .bind(format!("{root}:")),
    )
    .await
}

/// The weights `district` entered, if any.
pub async fn weights(ex: &mut impl Exec, district: &str) -> Result<Option<Weights>, StoreError> {
    type Row = (f64, f64, f64, f64, f64, f64, f64, f64, i64);
    let rows: Vec<Row> = ex
        .all(
            Sql::new(
                "SELECT found, on_time, patrol, visits, satisfaction, mass, peer, org, found_target \
                 FROM assessment_weights WHERE district_code = ?",
            )
            .bind(district),
        )
        .await?;
    Ok(rows.first().map(|r| Weights {
        found: r.0,
        on_time: r.1,
        patrol: r.2,
        visits: r.3,
        satisfaction: r.4,
        mass: r.5,
        peer: r.6,
        org: r.7,
        found_target: r.8,
    }))
}

/// Sets `district`'s weights (checked by the caller), by `by` at `at`.
pub async fn set_weights(
    ex: &mut impl Exec,
    district: &str,
    w: &Weights,
    (by, at): (i64, i64),
) -> Result<(), StoreError> {
    let mut q = Sql::new(
        "INSERT INTO assessment_weights (district_code, found, on_time, patrol, visits, \
         satisfaction, mass, peer, org, found_target, by_account, at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (district_code) DO UPDATE SET found = excluded.found, \
         on_time = excluded.on_time, patrol = excluded.patrol, visits = excluded.visits, \
         satisfaction = excluded.satisfaction, mass = excluded.mass, peer = excluded.peer, \
         org = excluded.org, found_target = excluded.found_target, \
         by_account = excluded.by_account, at = excluded.at",
    )
    .bind(district);
    for v in w.all() {
        q = q.bind(v);
    }
    ex.exec(q.bind(w.found_target).bind(by).bind(at)).await?;
    Ok(())
}
