//! The demo district: a deterministic, realistic synthetic 港北区 (贵港市, 广西) with three
//! streets/towns, twelve communities and villages, 84 comprehensive grids tiling them exactly,
//! dedicated grids (商圈、园区、学校), micro-grids, departments and staff for every role.

pub mod cases;
mod lattice;
pub(crate) mod names;
pub mod patrols;
pub(crate) mod registers;
pub mod texts;

pub use lattice::{Lattice, LatticeSpec};

use geo::{MultiPolygon, Polygon};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use shanzhi_domain::auth::Role;
use shanzhi_domain::geo::Boundary;

/// The password of every demo account (shown on the login page in demo mode only).
pub const DEMO_PASSWORD: &str = "Shanzhi2026";

/// A demo department.
pub struct DemoDepartment {
    /// Name.
    pub name: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Jurisdiction code.
    pub node: String,
    /// Login of its handler.
    pub username: String,
}

/// A demo account.
pub struct DemoAccount {
    /// Login.
    pub username: String,
    /// Real name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Bound node (None: deployment-wide).
    pub node: Option<String>,
    /// Index into the departments, for department handlers.
    pub department: Option<usize>,
    /// Whether the login page lists it.
    pub listed: bool,
}

/// Everything the demo writes.
pub struct Demo {
    /// The region tree as an import FeatureCollection.
    pub tree: Value,
    /// Departments.
    pub departments: Vec<DemoDepartment>,
    /// Accounts.
    pub accounts: Vec<DemoAccount>,
}

struct Street {
    code: &'static str,
    name: &'static str,
    communities: [(&'static str, &'static str); 4],
}

const DISTRICT: (&str, &str) = ("450802", "港北区");
const STREETS: [Street; 3] = [
    Street {
        code: "450802001",
        name: "贵城街道",
        communities: [
            ("001", "东湖社区"),
            ("002", "西江社区"),
            ("003", "仙衣社区"),
            ("004", "南山社区"),
        ],
    },
    Street {
        code: "450802002",
        name: "港城街道",
        communities: [
            ("001", "石羊塘社区"),
            ("002", "金港社区"),
            ("003", "港城社区"),
            ("004", "中和社区"),
        ],
    },
    Street {
        code: "450802100",
        name: "大圩镇",
        communities: [
            ("001", "大圩社区"),
            ("201", "龙井村"),
            ("202", "鲤鱼江村"),
            ("203", "新马村"),
        ],
    },
];

/// Lattice: 12 × 7 cells over about 10 km × 9 km north of the Xun River.
const COLS: usize = 12;
const ROWS: usize = 7;

fn feature(
    code: &str,
    name: &str,
    level: &str,
    shape: Option<&Polygon<f64>>,
    extra: Value,
) -> Value {
    feature_multi(
        code,
        name,
        level,
        shape.map(|p| MultiPolygon::new(vec![p.clone()])),
        extra,
    )
}

fn feature_multi(
    code: &str,
    name: &str,
    level: &str,
    shape: Option<MultiPolygon<f64>>,
    extra: Value,
) -> Value {
    let mut props = json!({ "code": code, "name": name, "level": level, "class": "comprehensive" });
    // Explicit parent codes, as exports carry them, so export → import → export is stable.
    if let Some(parent) = shanzhi_domain::region::RegionCode::parse(code)
        .ok()
        .and_then(|c| c.implied_parent())
        && level != "district"
    {
        props["parent_code"] = json!(parent.as_str());
    }
    if let (Some(p), Some(x)) = (props.as_object_mut(), extra.as_object()) {
        p.extend(x.clone());
    }
    let geometry = shape.map_or(Value::Null, |p| Boundary::from_shape(p).to_geojson());
    json!({ "type": "Feature", "properties": props, "geometry": geometry })
}

/// A small axis-aligned rectangle polygon (dedicated grids: a mall, a park, a school).
fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
    geo::Rect::new(geo::coord! { x: x0, y: y0 }, geo::coord! { x: x1, y: y1 }).to_polygon()
}

/// Splits a lattice cell into 2 × 2 micro-grids that tile it exactly.
fn quarters(l: &Lattice, c: usize, r: usize) -> Vec<MultiPolygon<f64>> {
    let cell = l.cell(c, r);
    let Some(b) = geo::BoundingRect::bounding_rect(&cell) else {
        return Vec::new();
    };
    let (mx, my) = ((b.min().x + b.max().x) / 2.0, (b.min().y + b.max().y) / 2.0);
    // Clip the cell by the four quadrants of its bounding box: pieces tile the cell exactly.
    use geo::BooleanOps;
    [
        (b.min().x, b.min().y, mx, my),
        (mx, b.min().y, b.max().x, my),
        (b.min().x, my, mx, b.max().y),
        (mx, my, b.max().x, b.max().y),
    ]
    .into_iter()
    .map(|(x0, y0, x1, y1)| cell.intersection(&rect(x0, y0, x1, y1)))
    .filter(|m| !m.0.is_empty())
    .collect()
}

/// Builds the demo district. Deterministic: the same every time.
pub fn district() -> Demo {
    let mut rng = ChaCha8Rng::seed_from_u64(450802);
    let lattice = Lattice::new(&LatticeSpec {
        cols: COLS,
        rows: ROWS,
        origin: (109.555, 23.085),
        cell: (0.0082, 0.0118),
        points_per_edge: 3,
        seed: 450802,
    });
    let mut features = vec![feature(
        DISTRICT.0,
        DISTRICT.1,
        "district",
        Some(&lattice.block(0, 0, COLS, ROWS)),
        json!({}),
    )];
    let mut accounts = vec![
        DemoAccount {
            username: "admin".into(),
            name: "系统管理员".into(),
            role: Role::Admin,
            node: None,
            department: None,
            listed: true,
        },
        DemoAccount {
            username: "aq01".into(),
            name: "安全管理员".into(),
            role: Role::SecurityAdmin,
            node: None,
            department: None,
            listed: true,
        },
        DemoAccount {
            username: "sj01".into(),
            name: "审计管理员".into(),
            role: Role::AuditAdmin,
            node: None,
            department: None,
            listed: true,
        },
        DemoAccount {
            username: "zhzx".into(),
            name: "港北区综治中心".into(),
            role: Role::CommandCentre,
            node: Some(DISTRICT.0.into()),
            department: None,
            listed: true,
        },
    ];
    let departments = vec![
        DemoDepartment {
            name: "港北区城市管理局",
            kind: "城管",
            node: DISTRICT.0.into(),
            username: "cg01".into(),
        },
        DemoDepartment {
            name: "港北区消防救援大队",
            kind: "消防",
            node: DISTRICT.0.into(),
            username: "xf01".into(),
        },
        DemoDepartment {
            name: "港北区民政局",
            kind: "民政",
            node: DISTRICT.0.into(),
            username: "mz01".into(),
        },
        DemoDepartment {
            name: "港北区医疗保障局",
            kind: "医保",
            node: DISTRICT.0.into(),
            username: "yb01".into(),
        },
        DemoDepartment {
            name: "贵城派出所",
            kind: "派出所",
            node: "450802001".into(),
            username: "pcs01".into(),
        },
        DemoDepartment {
            name: "贵城司法所",
            kind: "司法所",
            node: "450802001".into(),
            username: "sfs01".into(),
        },
    ];
    for (i, d) in departments.iter().enumerate() {
        accounts.push(DemoAccount {
            username: d.username.clone(),
            name: format!("{}·{}", d.name, names::person(&mut rng)),
            role: Role::DepartmentHandler,
            node: Some(d.node.clone()),
            department: Some(i),
            // 城管 (cases), 民政 and 派出所 (people by duty) show the three kinds of reach.
            listed: matches!(d.kind, "城管" | "民政" | "派出所"),
        });
    }
    let mut community_no = 0;
    for (si, street) in STREETS.iter().enumerate() {
        let c0 = si * 4;
        features.push(feature(
            street.code,
            street.name,
            "street",
            Some(&lattice.block(c0, 0, c0 + 4, ROWS)),
            json!({}),
        ));
        accounts.push(DemoAccount {
            username: format!("jd{:02}", si + 1),
            name: format!("{}综治中心", street.name),
            role: Role::CommandCentre,
            node: Some(street.code.into()),
            department: None,
            listed: si == 0,
        });
        let rural = street.name.ends_with('镇');
        for (ci, (suffix, cname)) in street.communities.iter().enumerate() {
            community_no += 1;
            let code = format!("{}{}", street.code, suffix);
            // Two columns × two row bands per street: blocks of 2×4 and 2×3 cells.
            let (bc0, br0, br1) = (
                c0 + (ci % 2) * 2,
                if ci < 2 { 0 } else { 4 },
                if ci < 2 { 4 } else { ROWS },
            );
            features.push(feature(
                &code,
                cname,
                "community",
                Some(&lattice.block(bc0, br0, bc0 + 2, br1)),
                json!({}),
            ));
            accounts.push(DemoAccount {
                username: format!("sq{community_no:02}"),
                name: names::person(&mut rng),
                role: Role::CommunityOfficer,
                node: Some(code.clone()),
                department: None,
                listed: community_no == 1,
            });
            accounts.push(DemoAccount {
                username: format!("zy{community_no:02}"),
                name: names::person(&mut rng),
                role: Role::Volunteer,
                node: Some(code.clone()),
                department: None,
                listed: community_no == 1,
            });
            let mut grid_no = 0;
            for r in br0..br1 {
                for c in bc0..bc0 + 2 {
                    grid_no += 1;
                    let gcode = format!("{code}{grid_no:03}");
                    let gname = format!("{cname}第{}网格", names::numeral(grid_no));
                    let feat = names::FEATURES[(community_no + grid_no) % names::FEATURES.len()];
                    features.push(feature(
                        &gcode,
                        &gname,
                        "grid",
                        Some(&lattice.cell(c, r)),
                        json!({ "feature": feat }),
                    ));
                    for (mi, q) in quarters(&lattice, c, r).iter().enumerate() {
                        let mname = if rural {
                            format!(
                                "{cname}第{}村民小组",
                                names::numeral((grid_no - 1) * 4 + mi + 1)
                            )
                        } else {
                            format!("{}栋片区", (grid_no - 1) * 4 + mi + 1)
                        };
                        features.push(feature_multi(
                            &format!("{gcode}{:03}", mi + 1),
                            &mname,
                            "micro_grid",
                            Some(q.clone()),
                            json!({}),
                        ));
                    }
                    if grid_no == 1 {
                        accounts.push(DemoAccount {
                            username: format!("wgz{community_no:02}"),
                            name: names::person(&mut rng),
                            role: Role::GridLeader,
                            node: Some(gcode.clone()),
                            department: None,
                            listed: community_no == 1,
                        });
                    }
                    accounts.push(DemoAccount {
                        username: format!("wg{community_no:02}{grid_no:02}"),
                        name: names::person(&mut rng),
                        role: Role::GridWorker,
                        node: Some(gcode),
                        department: None,
                        listed: community_no == 1 && grid_no <= 2,
                    });
                }
            }
        }
    }
    // Dedicated grids (专属网格), lying across comprehensive grids of their community.
    let cell = |c: usize, r: usize| geo::BoundingRect::bounding_rect(&lattice.cell(c, r));
    let dedicated = [
        (
            "450802001001901",
            "东湖万达商圈专属网格",
            "business_district",
            (1, 1),
        ),
        (
            "450802100201901",
            "贵港产业园专属网格",
            "industrial_park",
            (10, 1),
        ),
        (
            "450802002003901",
            "港北区第二中学专属网格",
            "school",
            (4, 5),
        ),
    ];
    for (code, name, kind, (c, r)) in dedicated {
        if let Some(b) = cell(c, r) {
            let (w, h) = (b.width(), b.height());
            // Straddles this grid and the one north of it, inside the same community.
            let shape = rect(
                b.min().x + 0.25 * w,
                b.min().y + 0.55 * h,
                b.max().x - 0.25 * w,
                b.max().y + 0.35 * h,
            );
            features.push(feature(
                code,
                name,
                "grid",
                Some(&shape),
                json!({ "class": "dedicated", "kind": kind }),
            ));
        }
    }
    Demo {
        tree: json!({ "type": "FeatureCollection", "features": features }),
        departments,
        accounts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shanzhi_domain::geo::Crs;
    use shanzhi_domain::region::{ImportPlan, Level, parse_import};
    use std::collections::HashMap;

    #[test]
    fn demo_tree_imports_cleanly_with_the_promised_shape() {
        let demo = district();
        let nodes = parse_import(&demo.tree, Crs::Wgs84).expect("every feature valid");
        let plan = ImportPlan::check(nodes, &HashMap::new()).expect("tree rules hold");
        let count = |l: Level| {
            plan.nodes
                .iter()
                .filter(|n| n.draft.code.level() == l)
                .count()
        };
        assert_eq!(count(Level::District), 1);
        assert_eq!(count(Level::Street), 3);
        assert_eq!(count(Level::Community), 12);
        assert_eq!(count(Level::Grid), 84 + 3);
        assert!(count(Level::MicroGrid) >= 300);
        for role in Role::ALL {
            assert!(demo.accounts.iter().any(|a| a.role == role), "{role:?}");
        }
    }

    #[test]
    fn demo_is_deterministic() {
        assert_eq!(district().tree, district().tree);
    }
}
