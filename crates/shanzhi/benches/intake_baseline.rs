//! Baseline for the intake load test: plain single-row autocommit INSERTs of report rows into
//! the same database the server used, from one process, with the same durability settings
//! (SQLite WAL, synchronous=NORMAL; PostgreSQL synchronous_commit=on), for a fixed time. Run by
//! `bench/intake.sh` after the server has stopped.
//!
//! Environment: `SHANZHI_BENCH_DB` (a SQLite file path or a postgres:// URL),
//! `SHANZHI_BENCH_SECONDS` (default 20).

use shanzhi_store::{Exec, Sql, Store, StoreOptions};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Ok(db) = std::env::var("SHANZHI_BENCH_DB") else {
        eprintln!("SHANZHI_BENCH_DB not set; run bench/intake.sh");
        return Ok(());
    };
    let seconds: u64 = std::env::var("SHANZHI_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let store = Store::open(&StoreOptions::from_config(
        Some(&db),
        std::path::Path::new("."),
    ))
    .await?;
    let mut conn = store.conn().await?;
    let (mut latencies, start) = (Vec::new(), Instant::now());
    let mut i = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        i += 1;
        let t = Instant::now();
        let now = shanzhi_app::Clock::system().now_ms();
        conn.exec(
            Sql::new(
                "INSERT INTO cases (tracking_code, source, category_code, title, description, node_code, lon, lat, \
                 stage, tier, holder_code, accept_due, handle_due, created_at, updated_at, clock) \
                 VALUES (?, 'api', '03', '压测上报', '压力测试：小区门口垃圾满溢', '450802001001001001', 109.6, 23.1, \
                 'reported', 'grid', '450802001001001', ?, ?, ?, ?, 'natural')",
            )
            .bind(format!("BASE{i:06}{}", now % 100_000))
            .bind(now + 3_600_000)
            .bind(now + 86_400_000)
            .bind(now)
            .bind(now),
        )
        .await?;
        latencies.push(t.elapsed());
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "| baseline: single-row autocommit INSERT, 1 connection | {:.0} rows/s | {:.2} ms | {:.2} ms |",
        latencies.len() as f64 / elapsed,
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0
    );
    Ok(())
}
