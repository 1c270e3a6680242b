//! The demo's four registers: buildings and about 5,000 households with 12,000 residents
//! (valid synthetic ID numbers of 港北区, 450802), tags in proportions a county-level town
//! reports (独居老人 about 3 %, 残疾人 6 %, 留守儿童 in the villages), key places and staff for
//! every grid, and the grid facts. Deterministic: the same every time.

use super::{Demo, names};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shanzhi_domain::auth::Role;
use shanzhi_domain::personal::IdNumber;
use shanzhi_domain::register::vocab::{Attention, PlaceKind, Relation, Residence, Risk, StaffRole};
use std::collections::HashSet;
use time::{Date, Month};

/// A person of a demo household.
pub struct DemoPerson {
    /// Name.
    pub name: String,
    /// A valid ID number.
    pub id_number: String,
    /// Phone, if they gave one.
    pub phone: Option<String>,
    /// Relation to the head.
    pub relation: Relation,
    /// Residence status.
    pub status: Residence,
    /// Moved in (floating residents).
    pub moved_in: Option<Date>,
    /// Tags: kind code and level.
    pub tags: Vec<(&'static str, Attention)>,
}

/// A demo household.
pub struct DemoHousehold {
    /// Grid.
    pub grid: String,
    /// Building.
    pub building: String,
    /// Address of the building.
    pub address: String,
    /// Unit.
    pub unit: String,
    /// Floor.
    pub floor: i32,
    /// Room.
    pub room: String,
    /// 户编号.
    pub reference: String,
    /// Members, head first.
    pub members: Vec<DemoPerson>,
}

/// A demo place.
pub struct DemoPlace {
    /// Grid.
    pub grid: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: PlaceKind,
    /// Address.
    pub address: String,
    /// Position.
    pub lon_lat: (f64, f64),
    /// Person in charge.
    pub contact: String,
    /// Their phone.
    pub phone: String,
    /// Risk.
    pub risk: Risk,
    /// Inspections: day, result, hazards.
    pub inspections: Vec<(Date, &'static str, &'static str)>,
}

/// A demo staff record.
pub struct DemoStaff {
    /// The grids served.
    pub grids: Vec<String>,
    /// Name.
    pub name: String,
    /// Role.
    pub role: StaffRole,
    /// Their demo login, if they have one.
    pub username: Option<String>,
    /// Phone.
    pub phone: String,
    /// Whether they agreed to show the phone to residents (grid staff with accounts do, as
    /// on the 网格公示牌; the volunteers at the building level do not).
    pub phone_public: bool,
    /// Party member.
    pub party_member: bool,
    /// Duties.
    pub duties: &'static str,
}

/// A grid's facts.
pub struct DemoFacts {
    /// Grid.
    pub grid: String,
    /// Area (km²).
    pub area_km2: f64,
    /// Party branch.
    pub party_branch: String,
    /// Secretary.
    pub party_secretary: String,
    /// Members.
    pub party_members: i32,
}

/// Everything the demo's registers hold.
pub struct DemoRegisters {
    /// Households.
    pub households: Vec<DemoHousehold>,
    /// Places.
    pub places: Vec<DemoPlace>,
    /// Staff.
    pub staff: Vec<DemoStaff>,
    /// Grid facts.
    pub facts: Vec<DemoFacts>,
}

const TODAY: Date = time::macros::date!(2026 - 11 - 01);
const ESTATES: [&str; 8] = [
    "金港花园",
    "荷城小区",
    "南江新村",
    "东湖苑",
    "桂林路小区",
    "港城御景",
    "园博新居",
    "西江苑",
];
const ROADS: [&str; 6] = [
    "金港大道",
    "中山路",
    "民主路",
    "荷城路",
    "江北大道",
    "建设路",
];

/// A valid ID number of 港北区 for someone born on `birth`, unique within `used`.
fn id_number(rng: &mut impl Rng, birth: Date, male: bool, used: &mut HashSet<String>) -> String {
    loop {
        let seq = rng.random_range(0..500u32) * 2 + u32::from(male);
        let first17 = format!(
            "450802{:04}{:02}{:02}{:03}",
            birth.year(),
            birth.month() as u8,
            birth.day(),
            seq
        );
        let check = shanzhi_domain::personal::check_char(first17.as_bytes()) as char;
        let id = format!("{first17}{check}");
        if used.insert(id.clone()) {
            debug_assert!(IdNumber::parse(&id, TODAY).is_ok());
            return id;
        }
    }
}

fn birth(rng: &mut impl Rng, age: i32) -> Date {
    let month = Month::try_from(rng.random_range(1..=12u8)).unwrap_or(Month::January);
    let d = Date::from_calendar_date(TODAY.year() - age, month, rng.random_range(1..=28))
        .unwrap_or(TODAY);
    // Those aged 0 are born before today, not later this year.
    d.min(TODAY - time::Duration::days(1))
}

fn phone(rng: &mut impl Rng) -> String {
    let prefix = [
        "138", "139", "135", "136", "150", "151", "152", "158", "177", "180", "186", "189", "199",
    ];
    format!(
        "{}{:08}",
        prefix.choose(rng).copied().unwrap_or("138"),
        rng.random_range(0..100_000_000u32)
    )
}

fn surname(name: &str) -> String {
    name.chars().next().map(String::from).unwrap_or_default()
}

/// A person of `age`; tags follow age and chance.
fn person(
    rng: &mut impl Rng,
    name: String,
    age: i32,
    relation: Relation,
    status: Residence,
    rural: bool,
    used: &mut HashSet<String>,
) -> DemoPerson {
    let male = rng.random_bool(0.5);
    let b = birth(rng, age);
    let mut tags = Vec::new();
    if rng.random_bool(0.06) {
        tags.push((
            "disabled",
            if rng.random_bool(0.3) {
                Attention::Watch
            } else {
                Attention::Normal
            },
        ));
    }
    if age >= 18 && rng.random_bool(0.03) {
        tags.push(("low_income", Attention::Watch));
    }
    if (20..60).contains(&age) && male && rng.random_bool(0.03) {
        tags.push(("veteran", Attention::Normal));
    }
    if (18..60).contains(&age) && rng.random_bool(0.003) {
        tags.push(("mental_illness", Attention::Close));
    }
    if (18..60).contains(&age) && rng.random_bool(0.002) {
        tags.push(("released", Attention::Watch));
    }
    if (18..50).contains(&age) && rng.random_bool(0.001) {
        tags.push(("community_correction", Attention::Close));
    }
    if age < 16 && rural && rng.random_bool(0.15) {
        tags.push(("left_behind_child", Attention::Watch));
    }
    DemoPerson {
        name,
        id_number: id_number(rng, b, male, used),
        phone: (age >= 16 && rng.random_bool(0.7)).then(|| phone(rng)),
        relation,
        status,
        moved_in: (status != Residence::Registered)
            .then(|| TODAY - time::Duration::days(rng.random_range(30..3000))),
        tags,
    }
}

/// A name in the family `family`.
fn given(rng: &mut impl Rng, family: &str) -> String {
    let n = names::person(rng);
    format!("{family}{}", n.chars().skip(1).collect::<String>())
}

/// A household: an elder living alone, an elderly couple, or a family.
fn household(rng: &mut impl Rng, rural: bool, used: &mut HashSet<String>) -> Vec<DemoPerson> {
    let status = match rng.random_range(0..100) {
        0..70 => Residence::Registered,
        70..85 => Residence::Resident,
        _ => Residence::Floating,
    };
    let head_name = names::person(rng);
    let family = surname(&head_name);
    let kind = rng.random_range(0..100);
    if kind < 8 && status == Residence::Registered {
        let age = rng.random_range(70..92);
        let mut p = person(rng, head_name, age, Relation::Head, status, rural, used);
        p.tags.push((
            "elderly_alone",
            if rng.random_bool(0.4) {
                Attention::Close
            } else {
                Attention::Watch
            },
        ));
        return vec![p];
    }
    if kind < 18 && status == Residence::Registered {
        let age = rng.random_range(62..85);
        let mut head = person(rng, head_name, age, Relation::Head, status, rural, used);
        let spouse_name = names::person(rng);
        let spouse_age = age - rng.random_range(0..4);
        let mut spouse = person(
            rng,
            spouse_name,
            spouse_age,
            Relation::Spouse,
            status,
            rural,
            used,
        );
        head.tags.push(("empty_nest", Attention::Normal));
        spouse.tags.push(("empty_nest", Attention::Normal));
        return vec![head, spouse];
    }
    let age = rng.random_range(28..60);
    let mut members = vec![person(
        rng,
        head_name,
        age,
        Relation::Head,
        status,
        rural,
        used,
    )];
    if rng.random_bool(0.75) {
        let spouse_name = names::person(rng);
        let spouse_age = age - rng.random_range(-3..5);
        members.push(person(
            rng,
            spouse_name,
            spouse_age,
            Relation::Spouse,
            status,
            rural,
            used,
        ));
    }
    let children = if rural {
        rng.random_range(0..3)
    } else {
        rng.random_range(0..2)
    };
    for _ in 0..children {
        let child_age = (age - rng.random_range(22..34)).max(0);
        let name = given(rng, &family);
        members.push(person(
            rng,
            name,
            child_age,
            Relation::Child,
            status,
            rural,
            used,
        ));
    }
    if rng.random_bool(0.1) {
        let name = given(rng, &family);
        let parent_age = age + rng.random_range(24..32);
        members.push(person(
            rng,
            name,
            parent_age,
            Relation::Parent,
            status,
            rural,
            used,
        ));
    }
    members
}

/// The grid's centre and half its size, from its outline.
fn centre(feature: &serde_json::Value) -> Option<((f64, f64), (f64, f64))> {
    // The outer ring: of a Polygon's first ring list, or of a MultiPolygon's first polygon.
    let coords = &feature["geometry"]["coordinates"];
    let ring = if coords[0][0][0].is_array() {
        &coords[0][0]
    } else {
        &coords[0]
    }
    .as_array()?;
    let pts: Vec<(f64, f64)> = ring
        .iter()
        .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
        .collect();
    if pts.is_empty() {
        return None;
    }
    let n = pts.len() as f64;
    let (sx, sy) = pts.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
    let (minx, maxx) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.0), a.1.max(p.0)));
    let (miny, maxy) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.1), a.1.max(p.1)));
    Some(((sx / n, sy / n), ((maxx - minx) / 2.0, (maxy - miny) / 2.0)))
}

const PLACES: [(PlaceKind, &str, Risk); 8] = [
    (PlaceKind::NineSmall, "小食店", Risk::Medium),
    (PlaceKind::NineSmall, "五金店", Risk::Low),
    (PlaceKind::NineSmall, "小旅馆", Risk::High),
    (PlaceKind::Shop, "便利店", Risk::Low),
    (PlaceKind::Rental, "出租屋", Risk::Medium),
    (PlaceKind::Clinic, "诊所", Risk::Medium),
    (PlaceKind::Hazardous, "液化气站", Risk::High),
    (PlaceKind::School, "幼儿园", Risk::Medium),
];
const HAZARDS: [(&str, &str); 4] = [
    ("合格", ""),
    ("合格", ""),
    ("限期整改", "灭火器过期，疏散通道堆放杂物"),
    ("限期整改", "电线私拉乱接"),
];

/// Builds the demo's registers from its district.
pub fn registers(demo: &Demo) -> DemoRegisters {
    let mut rng = ChaCha8Rng::seed_from_u64(4_508_024);
    let mut used = HashSet::new();
    let grids: Vec<&serde_json::Value> = demo.tree["features"]
        .as_array()
        .into_iter()
        .flatten()
        // Comprehensive grids only: dedicated grids (9xx) hold no households.
        .filter(|f| {
            f["properties"]["level"] == "grid"
                && f["properties"]["code"]
                    .as_str()
                    .is_some_and(|c| c.len() == 15 && !c[12..].starts_with('9'))
        })
        .collect();
    let mut out = DemoRegisters {
        households: Vec::new(),
        places: Vec::new(),
        staff: Vec::new(),
        facts: Vec::new(),
    };
    let per_grid = 5_000 / grids.len().max(1);
    for (gi, g) in grids.iter().enumerate() {
        let code = g["properties"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let gname = g["properties"]["name"].as_str().unwrap_or_default();
        let rural = gname.contains('村');
        let estate = ESTATES[gi % ESTATES.len()];
        let road = ROADS[gi % ROADS.len()];
        let households_here = per_grid + usize::from(gi < 5_000 % grids.len());
        for h in 0..households_here {
            let (building, unit, floor, room) = if rural {
                (
                    format!("{}组", h / 12 + 1),
                    String::new(),
                    1,
                    format!("{}号", h + 1),
                )
            } else {
                // Six-storey blocks, two units, two flats a landing: 24 flats a block.
                let block = h / 24 + 1;
                let unit = (h % 24) / 12 + 1;
                let floor = (h % 12) / 2 + 1;
                (
                    format!("{estate}{block}栋"),
                    unit.to_string(),
                    floor as i32,
                    format!("{floor}0{}", h % 2 + 1),
                )
            };
            let address = if rural {
                gname.to_owned()
            } else {
                format!("港北区{road}{}号", 100 + gi * 2)
            };
            out.households.push(DemoHousehold {
                grid: code.clone(),
                building,
                address,
                unit,
                floor,
                room,
                reference: format!("{}-{:04}", &code[6..], h + 1),
                members: household(&mut rng, rural, &mut used),
            });
        }
        if let Some(((cx, cy), (hx, hy))) = centre(g) {
            for (i, (kind, what, risk)) in
                PLACES.iter().enumerate().filter(|(i, _)| (gi + i) % 3 != 0)
            {
                let owner = names::person(&mut rng);
                let day = TODAY - time::Duration::days(rng.random_range(3..120));
                let (result, hazards) = *HAZARDS.choose(&mut rng).unwrap_or(&HAZARDS[0]);
                out.places.push(DemoPlace {
                    grid: code.clone(),
                    name: if matches!(kind, PlaceKind::School | PlaceKind::Clinic) {
                        format!("{estate}{what}")
                    } else {
                        format!("{}记{what}", surname(&owner))
                    },
                    kind: *kind,
                    address: format!("港北区{road}{}号", 200 + gi * 10 + i),
                    lon_lat: (
                        cx + hx * rng.random_range(-0.4..0.4),
                        cy + hy * rng.random_range(-0.4..0.4),
                    ),
                    contact: owner,
                    phone: phone(&mut rng),
                    risk: *risk,
                    inspections: vec![(day, result, hazards)],
                });
            }
            out.facts.push(DemoFacts {
                grid: code.clone(),
                area_km2: (hx * 2.0 * 102.0 * hy * 2.0 * 111.0 * 100.0).round() / 100.0,
                party_branch: format!("{gname}党支部"),
                party_secretary: names::person(&mut rng),
                party_members: rng.random_range(12..48),
            });
        }
        for _ in 0..2 {
            out.staff.push(DemoStaff {
                grids: vec![code.clone()],
                name: names::person(&mut rng),
                role: if rural {
                    StaffRole::MicroLiaison
                } else {
                    StaffRole::BuildingHead
                },
                username: None,
                phone: phone(&mut rng),
                phone_public: false,
                party_member: rng.random_bool(0.6),
                duties: if rural {
                    "村民小组信息收集、矛盾纠纷排查"
                } else {
                    "楼栋信息更新、邻里矛盾劝解"
                },
            });
        }
    }
    for a in &demo.accounts {
        let (role, duties) = match a.role {
            Role::GridLeader => (StaffRole::Leader, "统筹网格工作、研判风险、督促网格员"),
            Role::GridWorker => (
                StaffRole::FullTime,
                "巡查走访、信息采集、事件上报、矛盾调解",
            ),
            _ => continue,
        };
        if let Some(node) = &a.node {
            out.staff.push(DemoStaff {
                grids: vec![node.clone()],
                name: a.name.clone(),
                role,
                username: Some(a.username.clone()),
                phone: phone(&mut rng),
                phone_public: true,
                party_member: rng.random_bool(0.7),
                duties,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_five_thousand_households_with_valid_unique_ids_and_realistic_tags() {
        let r = registers(&super::super::district());
        let people: Vec<&DemoPerson> = r.households.iter().flat_map(|h| &h.members).collect();
        assert!(
            (4_900..=5_100).contains(&r.households.len()),
            "{}",
            r.households.len()
        );
        assert!(
            (10_000..=14_000).contains(&people.len()),
            "{}",
            people.len()
        );
        let mut ids = HashSet::new();
        for p in &people {
            assert!(
                IdNumber::parse(&p.id_number, TODAY).is_ok(),
                "{}",
                p.id_number
            );
            assert!(ids.insert(&p.id_number), "duplicate {}", p.id_number);
        }
        let share = |tag: &str| {
            people
                .iter()
                .filter(|p| p.tags.iter().any(|t| t.0 == tag))
                .count() as f64
                / people.len() as f64
        };
        assert!(
            (0.01..0.06).contains(&share("elderly_alone")),
            "{}",
            share("elderly_alone")
        );
        assert!((0.04..0.08).contains(&share("disabled")));
        for h in &r.households {
            let heads = h
                .members
                .iter()
                .filter(|m| m.relation == Relation::Head)
                .count();
            assert_eq!(heads, 1);
        }
        assert!(r.places.len() > 300 && r.staff.len() > 200);
    }
}
