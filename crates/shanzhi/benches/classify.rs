//! Benchmark: the category suggestions (issue #23), run by `bench/intake_text.sh`.
//!
//! 1. Accuracy on the demo's own history: the demo (with its months of history) is seeded in
//!    a fresh SQLite file; the cases closed in the last month are held out and classified by
//!    a model that learned from those closed before — with all of them, and with only the
//!    latest 0 (the seeded keywords alone), 100, 300 and 1,000, to show how accuracy grows
//!    with history. The demo's texts come from templates with noise, so this flatters.
//! 2. Accuracy on `bench/heldout_texts.tsv`, texts written by hand apart from the templates,
//!    by the model learned from the whole history: the honest figure.
//! 3. Calibration: of the held-out suggestions at or above the 12345 import's threshold, how
//!    many were right.
//! 4. Address → grid on the demo district (its registers' buildings, written two ways);
//!    the generated city is `bench/geocode.sh`.
//! 5. Speed: learning both models from 200,000 generated cases, and suggesting for 100,000
//!    texts on one thread.

use shanzhi_app::boot::Demo;
use shanzhi_app::demo::texts;
use shanzhi_app::suggest::{held_out_from, learn, score};
use shanzhi_app::{AppConfig, Clock};
use shanzhi_store::classifier::{Learned, closed_cases};
use std::hint::black_box;
use std::time::Instant;

fn pct(right: i64, of: i64) -> String {
    format!("{:.1}%", 100.0 * right as f64 / of.max(1) as f64)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("demo.db");
    let opts = shanzhi_store::StoreOptions::from_config(
        Some(&format!("sqlite://{}", db.display())),
        dir.path(),
    );
    let config = AppConfig {
        clock: Clock::system(),
        upload_dir: dir.path().join("uploads"),
        ..AppConfig::default()
    };
    let t = Instant::now();
    let booted = shanzhi_app::boot::boot(&opts, config, Demo::History, None).await?;
    eprintln!(
        "demo with history seeded in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let app = booted.app;
    let now = app.now_ms();
    let mut conn = app.store().conn().await?;
    let buildings = shanzhi_store::gazetteer::buildings(&mut conn).await?;
    let cases = closed_cases(&mut conn, now).await?;
    let categories = shanzhi_store::cases::categories(&mut conn).await?;
    drop(conn);
    let split = held_out_from(&cases, now);
    let (past, month) = cases.split_at(split);
    println!(
        "| demo history, last month held out ({} cases; {} before) | top-1 | top-3 |",
        month.len(),
        past.len()
    );
    println!("|---|---|---|");
    for n in [0, 100, 300, 1_000, past.len()] {
        let n = n.min(past.len());
        let model = learn(&categories, &past[past.len() - n..]).0;
        let (of, top1, top3) = score(&model, month);
        let label = if n == 0 {
            "keywords only (cold start)".to_owned()
        } else {
            format!("latest {n} closed cases")
        };
        println!("| {label} | {} | {} |", pct(top1, of), pct(top3, of));
    }

    // Texts written apart from the templates, by the model of the whole history.
    let model = learn(&categories, &cases).0;
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/heldout_texts.tsv");
    let written: Vec<Learned> = std::fs::read_to_string(file)?
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (code, text) = l.split_once('\t')?;
            Some((String::new(), text.to_owned(), code.to_owned(), None, 0))
        })
        .collect();
    let (of, top1, top3) = score(&model, &written);
    println!();
    println!("| texts written by hand apart from the templates ({of}) | top-1 | top-3 |");
    println!("|---|---|---|");
    println!(
        "| model of the whole demo history | {} | {} |",
        pct(top1, of),
        pct(top3, of)
    );

    // Calibration at the 12345 import's threshold.
    let threshold = shanzhi_app::hotline::AUTO_CATEGORY;
    let past_model = learn(&categories, past).0;
    let mut sets = [(0i64, 0i64), (0, 0)];
    for (set, rows) in [month, written.as_slice()].into_iter().enumerate() {
        for (title, description, code, _, _) in rows {
            let s = past_model.suggest(&format!("{title} {description}"), 1);
            if let Some(g) = s.guesses.first().filter(|g| g.likelihood >= threshold) {
                sets[set].0 += 1;
                sets[set].1 += i64::from(&g.label == code);
            }
        }
    }
    println!();
    println!(
        "| filed without a person (likelihood ≥ {threshold}) | share filed | right when filed |"
    );
    println!("|---|---|---|");
    println!(
        "| demo's last month | {} | {} |",
        pct(sets[0].0, month.len() as i64),
        pct(sets[0].1, sets[0].0)
    );
    println!(
        "| hand-written texts | {} | {} |",
        pct(sets[1].0, written.len() as i64),
        pct(sets[1].1, sets[1].0)
    );

    // Address → grid on the demo district: each building's address with the city in front
    // and 对面, and its name with 号楼 for 栋, through the server's own copy of the gazetteer.
    shanzhi_app::geocode::locate(&app, "东湖社区").await?;
    let written: Vec<String> = buildings
        .iter()
        .flat_map(|(_, _, name, address)| {
            [
                format!("广西贵港市{address}对面"),
                name.replace('栋', "号楼"),
            ]
        })
        .collect();
    let (mut latencies, mut sure) = (Vec::with_capacity(written.len()), 0);
    let t = Instant::now();
    for a in &written {
        let one = Instant::now();
        let found = shanzhi_app::geocode::locate(&app, a).await?;
        latencies.push(one.elapsed().as_secs_f64());
        sure += usize::from(found.confidence >= shanzhi_app::geocode::CONFIDENT);
    }
    let took = t.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    println!();
    println!(
        "| address → grid, demo district ({} buildings) | figure |",
        buildings.len()
    );
    println!("|---|---|");
    println!(
        "| {} addresses read, one task | {:.0}/s, p99 {:.3} ms, {sure} placed with confidence |",
        written.len(),
        written.len() as f64 / took,
        latencies[latencies.len() * 99 / 100] * 1000.0
    );

    // Speed: 200,000 generated cases learned; 100,000 texts suggested for on one thread.
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(7);
    let codes: Vec<&str> = texts::categories().collect();
    let generated: Vec<Learned> = (0..200_000)
        .map(|i| {
            let code = codes[i % codes.len()];
            let (title, description) = texts::story(code, &mut rng);
            let kind = (i % 3 == 0).then(|| "城管".to_owned());
            (title, description, code.to_owned(), kind, i as i64)
        })
        .collect();
    let t = Instant::now();
    let (category, department) = learn(&categories, &generated);
    let trained = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut latencies = Vec::with_capacity(100_000);
    for (title, description, _, _, _) in generated.iter().take(100_000) {
        let one = Instant::now();
        black_box(category.suggest(&format!("{title} {description}"), 3));
        latencies.push(one.elapsed().as_secs_f64());
    }
    let took = t.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let p99 = latencies[latencies.len() * 99 / 100] * 1000.0;
    println!();
    println!("| speed | figure | target |");
    println!("|---|---|---|");
    println!(
        "| learning both models from 200,000 cases | {trained:.2} s ({} features) | < 30 s |",
        category.features()
    );
    println!(
        "| suggesting a category, one thread | {:.0} texts/s, p99 {p99:.3} ms | ≥ 50,000/s |",
        100_000.0 / took
    );
    black_box(department);
    Ok(())
}
