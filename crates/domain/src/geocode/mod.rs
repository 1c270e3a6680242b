//! Address → grid (地址定位): a gazetteer of the district's own names — its regions, the
//! estates and blocks of the residents register, its places and their addresses, and road
//! number ranges — that reads a free-text Chinese address and answers the best node with a
//! confidence, the parts it matched, and the other candidates when it cannot choose.
//!
//! Every name is one pattern of an Aho–Corasick automaton, so an address is read in one pass
//! whatever the size of the district; what follows a road or an estate (a number and 号 or
//! 栋) picks the house or the block.

pub mod address;
pub mod roads;

use crate::register::labels::labelled;
use address::{leading_number, read};
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;

/// Below this an answer is a guess: the report waits for a person to place it (待定位).
pub const CONFIDENT: f64 = 0.7;

labelled! {
    /// Which house numbers of a road a range holds.
    Side {
        /// Both sides.
        Both = "both", "全部" | "双侧" | "全";
        /// Odd numbers (单号).
        Odd = "odd", "单号" | "单";
        /// Even numbers (双号).
        Even = "even", "双号" | "双";
    }
}

impl Side {
    /// Whether house number `n` is on this side.
    pub fn holds(self, n: u32) -> bool {
        match self {
            Side::Both => true,
            Side::Odd => n % 2 == 1,
            Side::Even => n.is_multiple_of(2),
        }
    }
}

/// What an answer points at.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A block of the residents register.
    Building,
    /// A place of the places register.
    Place,
    /// A house-number range of a road.
    Road,
    /// An estate (小区) in one grid.
    Estate,
    /// A region named in the address.
    Region,
}

/// One thing an address may mean.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Target {
    /// The node it lies in.
    pub code: String,
    /// What it is.
    pub kind: TargetKind,
    /// The building's or place's id.
    pub id: Option<i64>,
    /// Its name as registered.
    pub name: String,
}

/// The answer for an address.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Geocoded {
    /// The node: a grid (or micro-grid) when sure, else the lowest node holding every
    /// candidate; empty when nothing matched.
    pub code: String,
    /// How sure, 0–1; at [`CONFIDENT`] or above a report is placed without a person.
    pub confidence: f64,
    /// The building or place it is, when it is one.
    pub target: Option<Target>,
    /// The parts of the address that matched, in order.
    pub parts: Vec<String>,
    /// Whether the address named a landmark word (附近, 对面 …).
    pub near: bool,
    /// What else it could be, when more than one thing fits best.
    pub candidates: Vec<Target>,
}

/// A registered building or place: id, node, name, address.
pub type Row<'a> = (i64, &'a str, &'a str, &'a str);

/// A road's house numbers in one node: road, first, last, which side, node.
pub type RoadRange<'a> = (&'a str, u32, u32, Side, &'a str);

/// What a name in the automaton stands for.
#[derive(Debug, Clone)]
enum Key {
    Region(Vec<String>),
    Estate(String),
    Place(Target),
    Road(String),
}

/// The district's names, ready to read addresses.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    matcher: Option<AhoCorasick>,
    keys: Vec<Key>,
    /// Every building and place once; the maps below hold indices into it (a city has about
    /// a million buildings, each reachable three ways).
    targets: Vec<Target>,
    blocks: HashMap<(String, u32), Vec<u32>>,
    community_blocks: HashMap<(String, u32), Vec<u32>>,
    estates: HashMap<String, Vec<String>>,
    houses: HashMap<(String, u32), Vec<u32>>,
    ranges: HashMap<String, Vec<(u32, u32, Side, String)>>,
}

/// A block's name split into its estate and number: `金港花园5栋` → (`金港花园`, 5).
fn block_of(name: &str) -> Option<(String, u32)> {
    let t = read(name).text;
    let body = t.strip_suffix('栋')?;
    let digits = body.chars().rev().take_while(char::is_ascii_digit).count();
    let (estate, n) = body.split_at(body.len() - digits);
    Some((estate.to_owned(), n.parse().ok()?)).filter(|(e, _)| e.chars().count() >= 2)
}

/// An address's road and house number: `港北区金港大道170号` → (`金港大道`, 170). The road is
/// what stands before the number, after any 街道, 社区 or 镇 named first.
fn house_of(address: &str) -> Option<(String, u32)> {
    let t = read(address).text;
    let start = t.find(|c: char| c.is_ascii_digit())?;
    let (n, rest) = leading_number(&t[start..])?;
    if !rest.starts_with('号') {
        return None;
    }
    let mut road = &t[..start];
    for cut in ["街道", "社区", "镇", "乡"] {
        if let Some(i) = road.rfind(cut) {
            road = &road[i + cut.len()..];
        }
    }
    (road.chars().count() >= 2).then(|| (road.to_owned(), n))
}

/// The lowest node holding every code: their common prefix, cut to a level's length.
fn common_node(codes: &[&str]) -> String {
    let Some(first) = codes.first() else {
        return String::new();
    };
    let mut len = codes
        .iter()
        .map(|c| {
            c.bytes()
                .zip(first.bytes())
                .take_while(|(a, b)| a == b)
                .count()
        })
        .min()
        .unwrap_or(0);
    while len > 0 && crate::region::Level::from_code_len(len).is_none() {
        len -= 1;
    }
    first[..len].to_owned()
}

/// Collects the names while the gazetteer is built.
struct Builder {
    names: HashMap<String, usize>,
    g: Gazetteer,
}

impl Builder {
    /// Adds `name` to the automaton standing for `k`, unless it is too short to mean anything
    /// or already there (the first meaning stays).
    fn key(&mut self, name: String, k: Key) {
        if name.chars().count() < 2 || self.names.contains_key(&name) {
            return;
        }
        self.names.insert(name, self.g.keys.len());
        self.g.keys.push(k);
    }

    /// Keeps a building or place; gives its index.
    fn target(&mut self, t: Target) -> u32 {
        self.g.targets.push(t);
        u32::try_from(self.g.targets.len() - 1).unwrap_or(u32::MAX)
    }

    /// Indexes what stands at `address` (a road and number).
    fn house(&mut self, address: &str, t: u32) {
        if let Some((road, n)) = house_of(address) {
            self.g.houses.entry((road.clone(), n)).or_default().push(t);
            self.key(road.clone(), Key::Road(road));
        }
    }

    fn finish(mut self) -> Gazetteer {
        let mut patterns: Vec<(&String, usize)> = self.names.iter().map(|(n, i)| (n, *i)).collect();
        patterns.sort_by_key(|(_, i)| *i);
        self.g.matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(patterns.iter().map(|(n, _)| n.as_str()))
            .ok();
        self.g
    }
}

impl Gazetteer {
    /// Builds the gazetteer: `regions` as (code, name) for streets, communities and grids;
    /// the buildings and places registered; the road ranges imported.
    pub fn new(
        regions: &[(&str, &str)],
        buildings: &[Row<'_>],
        places: &[Row<'_>],
        roads: &[RoadRange<'_>],
    ) -> Gazetteer {
        let mut b = Builder {
            names: HashMap::new(),
            g: Gazetteer {
                matcher: None,
                keys: Vec::new(),
                targets: Vec::new(),
                blocks: HashMap::new(),
                community_blocks: HashMap::new(),
                estates: HashMap::new(),
                houses: HashMap::new(),
                ranges: HashMap::new(),
            },
        };
        let mut region_codes: HashMap<String, Vec<String>> = HashMap::new();
        for (code, name) in regions {
            region_codes
                .entry(read(name).text)
                .or_default()
                .push((*code).to_owned());
        }
        let mut region_codes: Vec<_> = region_codes.into_iter().collect();
        region_codes.sort();
        for (name, codes) in region_codes {
            b.key(name, Key::Region(codes));
        }
        for &(id, code, name, address) in places {
            let t = Target {
                code: code.to_owned(),
                kind: TargetKind::Place,
                id: Some(id),
                name: name.to_owned(),
            };
            b.key(read(name).text, Key::Place(t.clone()));
            let i = b.target(t);
            b.house(address, i);
        }
        for &(id, code, name, address) in buildings {
            let t = Target {
                code: code.to_owned(),
                kind: TargetKind::Building,
                id: Some(id),
                name: name.to_owned(),
            };
            let i = b.target(t);
            if let Some((estate, n)) = block_of(name) {
                let g = &mut b.g;
                g.blocks.entry((estate.clone(), n)).or_default().push(i);
                if let Some(community) = code.get(..12) {
                    g.community_blocks
                        .entry((community.to_owned(), n))
                        .or_default()
                        .push(i);
                }
                let grids = g.estates.entry(estate.clone()).or_default();
                if !grids.iter().any(|c| c == code) {
                    grids.push(code.to_owned());
                }
                b.key(estate.clone(), Key::Estate(estate));
            }
            b.house(address, i);
        }
        for &(road, from, to, side, code) in roads {
            let road = read(road).text;
            b.g.ranges.entry(road.clone()).or_default().push((
                from.min(to),
                from.max(to),
                side,
                code.to_owned(),
            ));
            b.key(road.clone(), Key::Road(road));
        }
        b.finish()
    }

    /// How many names it knows.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it knows no name at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Reads `address`.
    pub fn locate(&self, address: &str) -> Geocoded {
        let a = read(address);
        let t = a.text.as_str();
        let mut parts: Vec<(usize, String)> = Vec::new();
        let mut regions: Vec<&str> = Vec::new();
        // (target, score)
        let mut found: Vec<(Target, f64)> = Vec::new();
        let matches = self
            .matcher
            .as_ref()
            .map(|m| m.find_overlapping_iter(t).collect::<Vec<_>>())
            .unwrap_or_default();
        for m in &matches {
            let Some(key) = self.keys.get(m.pattern().as_usize()) else {
                continue;
            };
            let name = &t[m.start()..m.end()];
            let after = &t[m.end()..];
            let numbered =
                |unit: char| leading_number(after).filter(|(_, rest)| rest.starts_with(unit));
            match key {
                Key::Region(codes) => {
                    regions.extend(codes.iter().map(String::as_str));
                    parts.push((m.start(), name.to_owned()));
                }
                Key::Place(target) => {
                    found.push((target.clone(), 0.9));
                    parts.push((m.start(), name.to_owned()));
                }
                Key::Estate(estate) => match numbered('栋') {
                    Some((n, _)) => {
                        for b in self.blocks.get(&(estate.clone(), n)).into_iter().flatten() {
                            found.push((self.targets[*b as usize].clone(), 0.95));
                        }
                        parts.push((m.start(), format!("{name}{n}栋")));
                    }
                    None => {
                        for code in self.estates.get(estate).into_iter().flatten() {
                            let target = Target {
                                code: code.clone(),
                                kind: TargetKind::Estate,
                                id: None,
                                name: estate.clone(),
                            };
                            found.push((target, 0.8));
                        }
                        parts.push((m.start(), name.to_owned()));
                    }
                },
                Key::Road(road) => {
                    let Some((n, _)) = numbered('号') else {
                        parts.push((m.start(), name.to_owned()));
                        continue;
                    };
                    parts.push((m.start(), format!("{name}{n}号")));
                    let houses = self.houses.get(&(road.clone(), n));
                    for h in houses.into_iter().flatten() {
                        found.push((self.targets[*h as usize].clone(), 0.92));
                    }
                    for (from, to, side, code) in self.ranges.get(road).into_iter().flatten() {
                        if (*from..=*to).contains(&n) && side.holds(n) {
                            let target = Target {
                                code: code.clone(),
                                kind: TargetKind::Road,
                                id: None,
                                name: format!("{road}{from}—{to}号"),
                            };
                            found.push((target, 0.85));
                        }
                    }
                }
            }
        }
        // A block number after a community's name: the blocks of that number there.
        if found.is_empty() {
            for m in &matches {
                if let Some(Key::Region(codes)) = self.keys.get(m.pattern().as_usize())
                    && let Some((n, rest)) = leading_number(&t[m.end()..])
                    && rest.starts_with('栋')
                {
                    for code in codes.iter().filter(|c| c.len() == 12) {
                        for b in self
                            .community_blocks
                            .get(&(code.clone(), n))
                            .into_iter()
                            .flatten()
                        {
                            found.push((self.targets[*b as usize].clone(), 0.85));
                        }
                    }
                    parts.push((m.end(), format!("{n}栋")));
                }
            }
        }
        parts.sort();
        parts.dedup();
        let parts: Vec<String> = parts.into_iter().map(|(_, p)| p).collect();
        // What the address says of its region holds the rest to it, when anything fits.
        let region = deepest(&regions);
        if let Some(r) = region {
            let inside: Vec<_> = found
                .iter()
                .filter(|(t, _)| t.code.starts_with(r) || r.starts_with(&t.code))
                .cloned()
                .collect();
            if !inside.is_empty() {
                found = inside;
            }
        }
        let near = a.near;
        let penalty = if near { 0.1 } else { 0.0 };
        let best = found.iter().map(|(_, s)| *s).fold(0.0, f64::max);
        let mut top: Vec<Target> = found
            .into_iter()
            .filter(|(_, s)| *s >= best && best > 0.0)
            .map(|(t, _)| t)
            .collect();
        top.dedup_by(|a, b| a.code == b.code && a.id == b.id && a.kind == b.kind);
        let codes: Vec<&str> = top.iter().map(|t| t.code.as_str()).collect();
        let same = codes.windows(2).all(|w| w[0] == w[1]);
        match (top.first(), same) {
            (Some(first), true) => Geocoded {
                code: first.code.clone(),
                confidence: best - penalty,
                target: matches!(first.kind, TargetKind::Building | TargetKind::Place)
                    .then(|| first.clone()),
                parts,
                near,
                candidates: Vec::new(),
            },
            (Some(_), false) => Geocoded {
                code: common_node(&codes),
                confidence: 0.4 - penalty,
                target: None,
                parts,
                near,
                candidates: top,
            },
            (None, _) => {
                let code = region.unwrap_or_default().to_owned();
                let confidence = match code.len() {
                    15.. => 0.75,
                    12 => 0.5,
                    9 => 0.3,
                    _ => 0.0,
                };
                Geocoded {
                    code,
                    confidence: (confidence - penalty).max(0.0),
                    target: None,
                    parts,
                    near,
                    candidates: Vec::new(),
                }
            }
        }
    }
}

/// The region the address names most precisely: the code with the most other named codes
/// above it (a grid's name is common to many communities; with its community named, it is
/// one), then the longest.
fn deepest<'a>(codes: &[&'a str]) -> Option<&'a str> {
    codes.iter().copied().max_by_key(|c| {
        let above = codes
            .iter()
            .filter(|o| o.len() < c.len() && c.starts_with(**o))
            .count();
        (above, c.len(), std::cmp::Reverse(*c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: &str = "450802001001";
    const G1: &str = "450802001001001";
    const G2: &str = "450802001001002";
    const G3: &str = "450802001002001";

    fn district() -> Gazetteer {
        Gazetteer::new(
            &[
                (C1, "东湖社区"),
                ("450802001002", "西江社区"),
                (G1, "第一网格"),
                (G2, "第二网格"),
                (G3, "第一网格"),
            ],
            &[
                (1, G1, "金港花园5栋", "港北区金港大道170号"),
                (2, G2, "金港花园9栋", "港北区金港大道172号"),
                (3, G3, "荷城小区5栋", "港北区荷城路12号"),
            ],
            &[(7, G2, "华联超市", "港北区中山路88号")],
            &[
                ("建设路", 1, 99, Side::Odd, G3),
                ("建设路", 2, 98, Side::Even, G1),
            ],
        )
    }

    #[test]
    fn an_address_is_placed_by_its_block_house_place_or_road_range() {
        let g = district();
        let a = g.locate("广西贵港市港北区金港花园五号楼");
        assert_eq!((a.code.as_str(), a.confidence), (G1, 0.95));
        assert_eq!(a.target.map(|t| t.id), Some(Some(1)));
        assert_eq!(a.parts, ["金港花园5栋"]);
        let a = g.locate("贵港市港北区中山路８８号对面");
        assert_eq!(a.code, G2, "{a:?}");
        assert!(a.near && a.confidence < 0.9 && a.confidence >= CONFIDENT);
        assert_eq!(g.locate("华联超市门口").code, G2);
        assert_eq!(g.locate("建设路37号").code, G3, "odd side");
        assert_eq!(g.locate("建设路38号").code, G1, "even side");
        assert_eq!(g.locate("金港大道172号").code, G2);
    }

    #[test]
    fn a_community_and_a_block_number_are_enough() {
        let g = district();
        let a = g.locate("东湖社区5栋楼下");
        assert_eq!(a.code, G1, "{a:?}");
        assert!(a.confidence >= CONFIDENT);
        let a = g.locate("西江社区第一网格");
        assert_eq!(a.code, G3, "the grid of that community: {a:?}");
    }

    #[test]
    fn what_cannot_be_chosen_is_left_with_its_candidates() {
        let g = district();
        // 金港花园 spans two grids of one community.
        let a = g.locate("金港花园");
        assert_eq!(a.code, C1);
        assert!(a.confidence < CONFIDENT);
        assert_eq!(a.candidates.len(), 2);
        // 5栋 in two estates of two communities: the street holds both.
        let a = g.locate("5栋");
        assert_eq!(a.code, "");
        let a = g.locate("贵港市港北区人民路3号");
        assert_eq!((a.code.as_str(), a.confidence), ("", 0.0));
        assert_eq!(g.locate("东湖社区").code, C1);
    }
}
