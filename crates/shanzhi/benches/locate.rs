//! Benchmark: point location over a generated city (33,000 grids) and province (400,000
//! grids), beside PostGIS `ST_Contains` with a GiST index on the same polygons and points; and
//! subtree listing of a community under a 400,000-node tree. Run through `bench/locate.sh`,
//! which installs PostGIS and records the machine.
//!
//! Environment: `SHANZHI_BENCH_PG_URL` (an admin URL; PostGIS and PostgreSQL listing are skipped
//! without it), `SHANZHI_BENCH_SCALES` (default `city,province`).

use shanzhi_app::demo::{Lattice, LatticeSpec};
use shanzhi_domain::geo::{IndexItem, LocateIndex};
use shanzhi_domain::region::{GridClass, Level, RegionCode};
use shanzhi_store::{Exec, Sql, Store, StoreOptions, regions};
use sqlx::Connection;
use std::hint::black_box;
use std::time::{Duration, Instant};

struct Scale {
    name: &'static str,
    cols: usize,
    rows: usize,
    cell: (f64, f64),
}

const CITY: Scale = Scale {
    name: "city",
    cols: 200,
    rows: 165,
    cell: (0.0055, 0.005),
};
const PROVINCE: Scale = Scale {
    name: "province",
    cols: 640,
    rows: 625,
    cell: (0.0125, 0.011),
};
const ORIGIN: (f64, f64) = (105.0, 21.5);

/// Resident set size of this process, bytes.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// A deterministic stream of points spread over the scale's extent.
fn points(s: &Scale, n: usize) -> Vec<(f64, f64)> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        // splitmix64: cheap, deterministic, good enough to spread query points.
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let (w, h) = (s.cols as f64 * s.cell.0, s.rows as f64 * s.cell.1);
    (0..n)
        .map(|_| (ORIGIN.0 + next() * w, ORIGIN.1 + next() * h))
        .collect()
}

fn grid_code(i: usize) -> String {
    // 15-digit grid codes under synthetic communities of 50 grids.
    format!("45{:010}{:03}", i / 50 + 1, i % 50 + 1)
}

struct LocateResult {
    polygons: usize,
    vertices: f64,
    build: Duration,
    index_mb: f64,
    lookups_per_s: f64,
    rate_range: (f64, f64),
    hit_rate: f64,
}

fn bench_locate(
    s: &Scale,
    queries: &[(f64, f64)],
) -> (LocateResult, Vec<(String, geo::Polygon<f64>)>) {
    let lattice = Lattice::new(&LatticeSpec {
        cols: s.cols,
        rows: s.rows,
        origin: ORIGIN,
        cell: s.cell,
        points_per_edge: 6,
        seed: 2026,
    });
    let mut polys = Vec::with_capacity(s.cols * s.rows);
    for r in 0..s.rows {
        for c in 0..s.cols {
            polys.push((grid_code(r * s.cols + c), lattice.cell(c, r)));
        }
    }
    drop(lattice);
    let vertices = polys
        .iter()
        .map(|(_, p)| p.exterior().0.len())
        .sum::<usize>() as f64
        / polys.len() as f64;
    let before = rss();
    let items: Vec<IndexItem> = polys
        .iter()
        .map(|(code, p)| IndexItem {
            code: code.clone(),
            level: Level::Grid,
            class: GridClass::Comprehensive,
            shape: geo::MultiPolygon::new(vec![p.clone()]),
        })
        .collect();
    let t = Instant::now();
    let index = LocateIndex::build(items);
    let build = t.elapsed();
    let index_mb = rss().saturating_sub(before) as f64 / 1e6;

    // Warm up, then time on this one thread.
    for &(x, y) in queries.iter().take(10_000) {
        black_box(index.locate(x, y));
    }
    // Five rounds over the same points; the median is reported, since this machine's CPU is
    // shared and single rounds vary by ±20%.
    let mut hits = 0usize;
    let mut rates = Vec::new();
    for _ in 0..5 {
        hits = 0;
        let t = Instant::now();
        for &(x, y) in queries {
            hits += usize::from(
                black_box(index.locate(black_box(x), black_box(y)))
                    .comprehensive()
                    .is_some(),
            );
        }
        rates.push(queries.len() as f64 / t.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let result = LocateResult {
        polygons: polys.len(),
        vertices,
        build,
        index_mb,
        lookups_per_s: rates[2],
        rate_range: (rates[0], rates[4]),
        hit_rate: hits as f64 / queries.len() as f64,
    };
    (result, polys)
}

async fn admin_conn(url: &str) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(url)
        .await
        .expect("PostgreSQL reachable")
}

fn db_url(admin: &str, db: &str) -> String {
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{db}")
}

async fn recreate_db(admin: &str, db: &str) -> String {
    let mut c = admin_conn(admin).await;
    for sql in [
        format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
        format!(
            "CREATE DATABASE {db} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
        ),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .expect("database admin");
    }
    db_url(admin, db)
}

/// PostGIS single-client rate: the same polygons, a GiST index, the same points.
async fn bench_postgis(
    admin: &str,
    scale: &str,
    polys: &[(String, geo::Polygon<f64>)],
    queries: &[(f64, f64)],
) -> (f64, Duration) {
    let url = recreate_db(admin, &format!("sz_bench_postgis_{scale}")).await;
    let mut c = admin_conn(&url).await;
    sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS postgis; CREATE TABLE grids (code text, geom geometry(Polygon, 4326))")
        .execute(&mut c)
        .await
        .expect("postgis extension (install the postgis package)");
    let t = Instant::now();
    let mut copy = c
        .copy_in_raw("COPY grids (code, geom) FROM STDIN")
        .await
        .expect("copy");
    let mut buf = String::with_capacity(1 << 22);
    for (code, p) in polys {
        buf.push_str(code);
        buf.push_str("\tSRID=4326;POLYGON((");
        for (i, v) in p.exterior().0.iter().enumerate() {
            if i > 0 {
                buf.push(',');
            }
            buf.push_str(&format!("{} {}", v.x, v.y));
        }
        buf.push_str("))\n");
        if buf.len() > (1 << 21) {
            copy.send(buf.as_bytes()).await.expect("copy data");
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await.expect("copy data");
    copy.finish().await.expect("copy finish");
    sqlx::raw_sql("CREATE INDEX grids_geom ON grids USING gist (geom); ANALYZE grids")
        .execute(&mut c)
        .await
        .expect("index");
    let load = t.elapsed();
    let q =
        "SELECT code FROM grids WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))";
    for &(x, y) in queries.iter().take(500) {
        let _: Vec<(String,)> = sqlx::query_as(q)
            .bind(x)
            .bind(y)
            .fetch_all(&mut c)
            .await
            .expect("query");
    }
    let t = Instant::now();
    let mut n = 0;
    for &(x, y) in queries.iter().skip(500) {
        let _: Vec<(String,)> = sqlx::query_as(q)
            .bind(x)
            .bind(y)
            .fetch_all(&mut c)
            .await
            .expect("query");
        n += 1;
        if t.elapsed() > Duration::from_secs(10) {
            break;
        }
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    drop(c);
    let mut a = admin_conn(admin).await;
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS sz_bench_postgis_{scale} WITH (FORCE)"
    )))
    .execute(&mut a)
    .await;
    (rate, load)
}

/// Writes a province-sized tree: 1 province, 14 cities, 112 districts, 1,344 streets, 8,064
/// communities with 48 grids each — 396,607 nodes. Returns the community codes.
async fn write_tree(store: &Store) -> Vec<String> {
    let mut rows: Vec<(String, Option<String>, Level)> = vec![("45".into(), None, Level::Province)];
    let mut communities = Vec::new();
    for city in 1..=14 {
        let c = format!("45{city:02}");
        rows.push((c.clone(), Some("45".into()), Level::City));
        for d in 1..=8 {
            let dc = format!("{c}{d:02}");
            rows.push((dc.clone(), Some(c.clone()), Level::District));
            for s in 1..=12 {
                let sc = format!("{dc}{s:03}");
                rows.push((sc.clone(), Some(dc.clone()), Level::Street));
                for m in 1..=6 {
                    let mc = format!("{sc}{m:03}");
                    rows.push((mc.clone(), Some(sc.clone()), Level::Community));
                    for g in 1..=48 {
                        rows.push((format!("{mc}{g:03}"), Some(mc.clone()), Level::Grid));
                    }
                    communities.push(mc);
                }
            }
        }
    }
    let mut tx = store.begin().await.expect("tx");
    for chunk in rows.chunks(400) {
        let mut q = Sql::new(
            "INSERT INTO region_nodes (code, parent_code, name, level, depth, class, created_at, updated_at) VALUES ",
        );
        for (i, (code, parent, level)) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.push_bind("?", code.as_str())
                .push_bind(", ?", parent.clone())
                .push_bind(", ?", format!("节点{code}"))
                .push_bind(", ?", level.as_str())
                .push_bind(", ?", level.depth())
                .push_bind(", ?", "comprehensive")
                .push_bind(", ?", 0i64)
                .push_bind(", ?", 0i64)
                .push(")");
        }
        tx.exec(q).await.expect("insert");
    }
    tx.commit().await.expect("commit");
    communities
}

/// p50 and p99 of listing a community's grids (about 48 rows), warm.
async fn bench_subtree(store: &Store, communities: &[String]) -> (Duration, Duration, usize) {
    let mut conn = store.conn().await.expect("conn");
    let mut samples = Vec::with_capacity(3000);
    let mut rows = 0;
    for (i, c) in communities
        .iter()
        .step_by(communities.len() / 3000 + 1)
        .cycle()
        .take(3500)
        .enumerate()
    {
        let code = RegionCode::parse(c).expect("code");
        let t = Instant::now();
        let page = regions::subtree_page(&mut conn, Some(&code), Some(Level::Grid), None, 100)
            .await
            .expect("list");
        let d = t.elapsed();
        if i >= 500 {
            samples.push(d);
            rows = page.len();
        }
    }
    samples.sort();
    (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
        rows,
    )
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let pg = std::env::var("SHANZHI_BENCH_PG_URL").ok();
    let scales = std::env::var("SHANZHI_BENCH_SCALES").unwrap_or_else(|_| "city,province".into());
    println!("## locate (one core)\n");
    println!(
        "| scale | polygons | vertices/polygon | index build | index RSS | Shanzhi lookups/s (median of 5 rounds) | min–max | hit rate | PostGIS lookups/s (1 client) | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for s in [CITY, PROVINCE]
        .into_iter()
        .filter(|s| scales.contains(s.name))
    {
        let queries = points(&s, 2_000_000);
        let (r, polys) = bench_locate(&s, &queries);
        let (postgis, note) = match &pg {
            Some(url) => {
                let (rate, load) = bench_postgis(url, s.name, &polys, &queries).await;
                (
                    format!("{rate:.0}"),
                    format!("{:.0}×", r.lookups_per_s / rate)
                        + &format!(" (PostGIS load+index {:.1} s)", load.as_secs_f64()),
                )
            }
            None => ("—".into(), "—".into()),
        };
        println!(
            "| {} | {} | {:.1} | {:.2} s | {:.0} MB | {:.0} | {:.0}–{:.0} | {:.3} | {} | {} |",
            s.name,
            r.polygons,
            r.vertices,
            r.build.as_secs_f64(),
            r.index_mb,
            r.lookups_per_s,
            r.rate_range.0,
            r.rate_range.1,
            r.hit_rate,
            postgis,
            note
        );
    }

    println!(
        "\n## subtree listing: a community's grids under a 396,607-node tree (warm, 3,000 calls)\n"
    );
    println!("| backend | p50 | p99 | rows per call |");
    println!("|---|---|---|---|");
    let dir = tempfile::tempdir().expect("tmp");
    let sqlite = Store::open(&StoreOptions::Sqlite(dir.path().join("bench.db")))
        .await
        .expect("sqlite");
    let communities = write_tree(&sqlite).await;
    let (p50, p99, rows) = bench_subtree(&sqlite, &communities).await;
    println!("| SQLite | {} | {} | {rows} |", ms(p50), ms(p99));
    if let Some(url) = &pg {
        let db = recreate_db(url, "sz_bench_subtree").await;
        let store = Store::open(&StoreOptions::Postgres(db)).await.expect("pg");
        let communities = write_tree(&store).await;
        sqlx::raw_sql("ANALYZE")
            .execute(&mut admin_conn(&db_url(url, "sz_bench_subtree")).await)
            .await
            .expect("analyze");
        let (p50, p99, rows) = bench_subtree(&store, &communities).await;
        println!("| PostgreSQL | {} | {} | {rows} |", ms(p50), ms(p99));
        store.close().await;
        let mut a = admin_conn(url).await;
        let _ = sqlx::raw_sql("DROP DATABASE IF EXISTS sz_bench_subtree WITH (FORCE)")
            .execute(&mut a)
            .await;
    }
}
