//! The warning benchmark (issue #22), run by `bench/notices.sh`: adds the generated city (4509,
//! SZ_GRIDS 33,000 grids) with SZ_HOUSEHOLDS (1,350,000) households of two residents each —
//! one household in ten with someone carrying a vulnerable tag, one in four with a phone opted
//! in to its grid's notices — to a database the demo was seeded in; then times a 预警 for the
//! whole city as the server writes it (the notice, its grids, its 叫应 calls and its texts, in
//! one transaction), and the progress view (叫应 and texts rolled up to the area's children) of
//! the city, a street and a community, warm. Prints Markdown rows.
//!
//! Environment: `SHANZHI_BENCH_DB` (SQLite file or postgres:// URL), `SZ_GRIDS`,
//! `SZ_HOUSEHOLDS`, `SZ_ROUNDS` (20, each after one warm-up round).

use rand::{Rng, SeedableRng};
use shanzhi_app::Clock;
use shanzhi_domain::notice::{NoticeLevel, WarningColor};
use shanzhi_store::bulk::{Cell, insert_rows};
use shanzhi_store::notices::{self, NewNotice};
use shanzhi_store::{Exec, Sql, Store};
use std::time::Instant;

#[path = "common/city.rs"]
mod city;
use city::{CITY, env};

/// Rows written per transaction while generating.
const BATCH: usize = 50_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some((store, grids)) = city::open("bench/notices.sh").await? else {
        return Ok(());
    };
    let t = Instant::now();
    let (households, vulnerable, phones) =
        households(&store, &grids, env("SZ_HOUSEHOLDS", 1_350_000)).await?;
    eprintln!(
        "{} grids, {households} households ({vulnerable} with someone vulnerable, {phones} phones opted in) in {:.0} s",
        grids.len(),
        t.elapsed().as_secs_f64()
    );
    let mut conn = store.conn().await?;
    conn.exec(Sql::new(match store.backend() {
        shanzhi_store::Backend::Sqlite => "PRAGMA wal_checkpoint(TRUNCATE)",
        shanzhi_store::Backend::Postgres => "VACUUM ANALYZE",
    }))
    .await?;
    drop(conn);

    let now = Clock::system().now_ms();
    let t = Instant::now();
    let mut tx = store.begin().await?;
    let warning = NewNotice {
        root_code: CITY,
        level: NoticeLevel::Warning,
        color: Some(WarningColor::Red),
        title: "暴雨红色预警",
        body: "市气象台发布暴雨红色预警信号：未来3小时全市将出现100毫米以上降雨。",
        starts_at: now,
        ends_at: now + 86_400_000,
        respond_by: Some(now + 3_600_000),
        created_by: None,
        created_label: "压测",
        cap_identifier: None,
    };
    let id = notices::insert(&mut tx, &warning, now).await?;
    let covered = notices::cover_all(&mut tx, id, CITY).await?;
    let calls = notices::call_vulnerable(&mut tx, id).await?;
    let texts = notices::queue_texts(&mut tx, id, "红色预警：暴雨红色预警", now, now).await?;
    tx.commit().await?;
    println!(
        "| 预警 for the whole city, one transaction: the notice, {covered} grids, {calls} 叫应 calls, {texts} texts | 1 | {:.1} s | |",
        t.elapsed().as_secs_f64()
    );
    let rounds = env("SZ_ROUNDS", 20);
    let mut conn = store.conn().await?;
    let (street, community) = (grids[0][..9].to_owned(), grids[0][..12].to_owned());
    // Each area rolled up to its children, as the notice's page shows it.
    for (label, root, parts) in [
        ("city", CITY, 6),
        ("street", street.as_str(), 12),
        ("community", community.as_str(), 15),
    ] {
        let mut times = Vec::with_capacity(rounds);
        let mut shown = 0;
        for _ in 0..=rounds {
            let t = Instant::now();
            shown = notices::progress(&mut conn, id, root, parts).await?.len();
            notices::texts(&mut conn, id, root, parts).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let mut times = times.split_off(1);
        times.sort_by(f64::total_cmp);
        let p = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "| 叫应 and texts progress, {label} {root} ({shown} parts) | {rounds} | {:.1} ms | {:.1} ms |",
            p(0.5),
            p(0.95)
        );
    }
    Ok(())
}

/// `count` households spread evenly over `grids`, each in a house of one building per grid,
/// with a head and a spouse; about one in ten with a vulnerable tag on its head, one in four
/// with the head's phone opted in to the grid's notices (kept if the city has households
/// already). Gives (households, with a vulnerable tag, phones opted in).
async fn households(
    store: &Store,
    grids: &[String],
    count: usize,
) -> anyhow::Result<(i64, i64, i64)> {
    let mut conn = store.conn().await?;
    let counted = |table: &str, filter: &str| {
        Sql::new(format!(
            "SELECT COUNT(*) FROM {table} WHERE {filter} >= ? AND {filter} < ?"
        ))
        .bind(CITY)
        .bind(format!("{CITY}:"))
    };
    let (have,): (i64,) = conn.one(counted("households", "node_code")).await?;
    if have > 0 {
        let (tagged,): (i64,) = conn
            .one(
                Sql::new(
                    "SELECT COUNT(DISTINCT p.household_id) FROM person_tags t JOIN persons p ON \
                     p.id = t.person_id WHERE p.node_code >= ? AND p.node_code < ?",
                )
                .bind(CITY)
                .bind(format!("{CITY}:")),
            )
            .await?;
        let (phones,): (i64,) = conn.one(counted("notice_subscribers", "node_code")).await?;
        return Ok((have, tagged, phones));
    }
    drop(conn);
    let now = Clock::system().now_ms();
    let per_grid = count.div_ceil(grids.len().max(1));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(22);
    let mut buildings: Vec<i64> = Vec::with_capacity(grids.len());
    let mut tx = store.begin().await?;
    for chunk in grids.chunks(BATCH) {
        let rows: Vec<[Cell<'_>; 4]> = chunk
            .iter()
            .map(|g| {
                [
                    Cell::Text(Some(g)),
                    Cell::Text(Some("压测小区1栋")),
                    Cell::Text(Some("压测市压测路1号")),
                    Cell::Int(Some(now)),
                ]
            })
            .collect();
        buildings.extend(
            insert_rows(
                &mut tx,
                (
                    "INSERT INTO buildings (node_code, name, address, created_at) VALUES ",
                    "(?, ?, ?, ?)",
                    "",
                ),
                &rows,
                true,
            )
            .await?,
        );
    }
    tx.commit().await?;
    // (grid index, room number) of every household.
    let all: Vec<(usize, usize)> = (0..count).map(|i| (i / per_grid, i % per_grid)).collect();
    let (mut tagged, mut phones) = (0, 0);
    for chunk in all.chunks(BATCH) {
        let mut tx = store.begin().await?;
        let rooms: Vec<String> = chunk.iter().map(|(_, r)| format!("{}", 101 + r)).collect();
        let houses: Vec<[Cell<'_>; 3]> = chunk
            .iter()
            .zip(&rooms)
            .map(|((g, _), room)| {
                [
                    Cell::Int(Some(buildings[*g])),
                    Cell::Text(Some("1")),
                    Cell::Text(Some(room)),
                ]
            })
            .collect();
        let house_ids = insert_rows(
            &mut tx,
            (
                "INSERT INTO houses (building_id, unit, room, use_kind) VALUES ",
                "(?, ?, ?, 'residence')",
                "",
            ),
            &houses,
            true,
        )
        .await?;
        let homes: Vec<[Cell<'_>; 4]> = chunk
            .iter()
            .zip(&house_ids)
            .map(|((g, _), h)| {
                [
                    Cell::Int(Some(*h)),
                    Cell::Text(Some(&grids[*g])),
                    Cell::Int(Some(now)),
                    Cell::Int(Some(now)),
                ]
            })
            .collect();
        let household_ids = insert_rows(
            &mut tx,
            (
                "INSERT INTO households (house_id, node_code, kind, note, created_at, updated_at) \
                 VALUES ",
                "(?, ?, 'family', '', ?, ?)",
                "",
            ),
            &homes,
            true,
        )
        .await?;
        let mut heads = Vec::new();
        for relation in ["head", "spouse"] {
            let people: Vec<[Cell<'_>; 6]> = chunk
                .iter()
                .zip(&household_ids)
                .map(|((g, _), h)| {
                    [
                        Cell::Int(Some(*h)),
                        Cell::Text(Some(&grids[*g])),
                        Cell::Text(Some(&grids[*g][..12])),
                        Cell::Text(Some(relation)),
                        Cell::Int(Some(now)),
                        Cell::Int(Some(now)),
                    ]
                })
                .collect();
            let ids = insert_rows(
                &mut tx,
                (
                    "INSERT INTO persons (household_id, node_code, community_code, name, relation, \
                     status, note, created_at, updated_at) VALUES ",
                    "(?, ?, ?, '压测居民', ?, 'registered', '', ?, ?)",
                    "",
                ),
                &people,
                relation == "head",
            )
            .await?;
            if relation == "head" {
                heads = ids;
            }
        }
        let mut tags: Vec<[Cell<'_>; 1]> = Vec::new();
        let mut subscribers: Vec<(usize, Vec<u8>, Vec<u8>)> = Vec::new();
        for ((g, _), head) in chunk.iter().zip(&heads) {
            if rng.random_bool(0.1) {
                tags.push([Cell::Int(Some(*head))]);
            }
            if rng.random_bool(0.25) {
                let sealed: Vec<u8> = (0..40).map(|_| rng.random()).collect();
                let index: Vec<u8> = (0..32).map(|_| rng.random()).collect();
                subscribers.push((*g, sealed, index));
            }
        }
        tagged += tags.len() as i64;
        phones += subscribers.len() as i64;
        insert_rows(
            &mut tx,
            (
                "INSERT INTO person_tags (person_id, tag, level, note) VALUES ",
                "(?, 'elderly_alone', 'close', '')",
                "",
            ),
            &tags,
            false,
        )
        .await?;
        let rows: Vec<[Cell<'_>; 4]> = subscribers
            .iter()
            .map(|(g, sealed, index)| {
                [
                    Cell::Text(Some(&grids[*g])),
                    Cell::Blob(Some(sealed)),
                    Cell::Blob(Some(index)),
                    Cell::Int(Some(now)),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            (
                "INSERT INTO notice_subscribers (node_code, phone_sealed, phone_index, \
                 phone_masked, created_at) VALUES ",
                "(?, ?, ?, '139****0000', ?)",
                "",
            ),
            &rows,
            false,
        )
        .await?;
        tx.commit().await?;
    }
    Ok((count as i64, tagged, phones))
}
