//! Benchmark: address → grid over a generated city — 33,000 grids in 3,000 communities, two
//! estates of fifteen blocks per grid (990,000 buildings, each with its road and house
//! number), 3,000 roads — building the gazetteer, then reading 200,000 addresses as people
//! write them (prefixes, 号楼, full-width digits, 对面/楼下, a community and a block number,
//! and some that name nothing) on one thread. Run through `bench/geocode.sh`.

use shanzhi_domain::geocode::Gazetteer;
use std::hint::black_box;
use std::time::Instant;

const A: &str = "金银铜铁锦绣华丽祥瑞安康福寿东南西北春夏秋冬桂荷梅兰竹菊江河湖海山林泉石";
const B: &str = "城港湾岸园苑庭阁轩居府邸台坊里巷堤岭峰谷田桥亭塘洲溪滨湖苑庄街寨坪墩";
const ESTATE: [&str; 5] = ["花园", "小区", "家园", "新村", "雅苑"];
const GRIDS: usize = 33_000;
const BLOCKS: u32 = 15;

/// Resident set size of this process, bytes.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// The `i`-th name of two or three characters from the lists.
fn name(i: usize, len: usize) -> String {
    let (a, b): (Vec<char>, Vec<char>) = (A.chars().collect(), B.chars().collect());
    let mut s = String::new();
    s.push(a[i % a.len()]);
    s.push(b[(i / a.len()) % b.len()]);
    if len > 2 {
        s.push(a[(i / (a.len() * b.len())) % a.len()]);
    }
    s
}

fn main() {
    let t = Instant::now();
    let mut regions = Vec::new();
    let mut buildings = Vec::new();
    for g in 0..GRIDS {
        let community = g / 11;
        let street = community / 20;
        let c_code = format!("4509{:03}{:03}{:02}", street % 1000, community % 1000, 0);
        let c_code = &c_code[..12];
        let grid = format!("{c_code}{:03}", g % 11 + 1);
        if g % 11 == 0 {
            regions.push((c_code.to_owned(), format!("{}社区", name(community, 3))));
        }
        regions.push((grid.clone(), format!("第{}网格", g % 11 + 1)));
        let road = format!("{}路", name(g / 11, 3));
        for e in 0..2 {
            let estate = format!("{}{}", name(g * 2 + e, 3), ESTATE[(g + e) % ESTATE.len()]);
            for b in 1..=BLOCKS {
                let number = (g % 11) as u32 * 80 + e as u32 * 40 + b * 2;
                buildings.push((
                    (g * 30 + e * 15 + b as usize) as i64,
                    grid.clone(),
                    format!("{estate}{b}栋"),
                    format!("贵港市港北区{road}{number}号"),
                ));
            }
        }
    }
    let generated = t.elapsed();
    let regions_ref: Vec<(&str, &str)> = regions
        .iter()
        .map(|(c, n)| (c.as_str(), n.as_str()))
        .collect();
    let rows: Vec<(i64, &str, &str, &str)> = buildings
        .iter()
        .map(|(id, c, n, a)| (*id, c.as_str(), n.as_str(), a.as_str()))
        .collect();
    let before = rss();
    let t = Instant::now();
    let g = Gazetteer::new(&regions_ref, &rows, &[], &[]);
    let built = t.elapsed();
    let memory = rss().saturating_sub(before);
    eprintln!(
        "{} grids, {} buildings generated in {:.1} s; gazetteer of {} names built in {:.1} s, {} MB",
        GRIDS,
        buildings.len(),
        generated.as_secs_f64(),
        g.len(),
        built.as_secs_f64(),
        memory / 1_048_576
    );

    // Addresses as people write them, from the generated register.
    let wide = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .collect()
    };
    let n = 200_000;
    let mut queries = Vec::with_capacity(n);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let (_, grid, bname, address) = &buildings[(x >> 33) as usize % buildings.len()];
        let community = regions
            .iter()
            .find(|(c, _)| grid.starts_with(c.as_str()) && c.len() == 12)
            .map_or("", |(_, n)| n.as_str());
        queries.push(match i % 5 {
            0 => format!("广西壮族自治区{}", bname.replace('栋', "号楼")),
            1 => format!("{}对面", wide(address)),
            2 => format!("{community}{}楼下", &bname[bname.len() - 4..]),
            3 => format!("港北区{}附近", bname),
            _ => format!("贵港市港北区人民大道{}号", i % 900 + 1),
        });
    }
    let mut times = Vec::with_capacity(n);
    let mut placed = 0usize;
    let t = Instant::now();
    for q in &queries {
        let s = Instant::now();
        let a = black_box(g.locate(q));
        times.push(s.elapsed());
        placed += usize::from(a.confidence >= shanzhi_domain::geocode::CONFIDENT);
    }
    let total = t.elapsed();
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "| read {n} addresses, one thread | {:.0} addresses/s | p50 {:.3} ms, p99 {:.3} ms | {placed} placed with confidence |",
        n as f64 / total.as_secs_f64(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
    );
    println!(
        "| build the gazetteer ({} names from {} buildings) | {:.1} s | {} MB | |",
        g.len(),
        buildings.len(),
        built.as_secs_f64(),
        memory / 1_048_576
    );
}
