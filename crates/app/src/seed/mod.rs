//! Seeding a database: the first administrator, and the demo district.

mod history;
mod participation;

pub use history::demo_history;
pub use participation::demo_participation;

/// Seeding fails only on a broken database or demo data that breaks its own rules.
type Result<T> = std::result::Result<T, AppError>;

use crate::AppError;
use crate::accounts::{NewAccountInput, create_in};
use crate::auth::{hash_password, new_secret};
use crate::demo::{self, DEMO_PASSWORD};
use shanzhi_domain::geo::Crs;
use shanzhi_domain::region::{ImportPlan, parse_import};
use shanzhi_store::accounts::{self, NewAccount};
use shanzhi_store::vault::Vault;
use shanzhi_store::{Store, regions};

/// Demo data that breaks the rules it is meant to show: a bug in the generator.
fn broken(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("演示数据无效：{e}"))
}

/// A demo account shown on the login page in demo mode only.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Role, in Chinese.
    pub role: String,
    /// Where the account is bound, in Chinese.
    pub place: String,
    /// What the role may do, as the access policy says it.
    pub may: String,
}

/// What every deployment has from its first start: the standard category list (事项清单) and
/// China's holiday calendar.
pub async fn baseline(store: &Store) -> Result<()> {
    crate::cases::seed_baseline(store).await
}

/// Creates the deployment-wide `admin` if there are no accounts yet. The password comes from
/// `SHANZHI_ADMIN_PASSWORD`, or is random and returned so it can be printed once.
pub async fn first_admin(
    store: &Store,
    password: Option<String>,
    now: i64,
) -> Result<Option<String>> {
    if accounts::count(&mut store.conn().await?).await? > 0 {
        return Ok(None);
    }
    // 24 url-safe characters with letters and digits mixed in, always meeting the policy.
    let password = password
        .unwrap_or_else(|| format!("{}9a", new_secret("").chars().take(22).collect::<String>()));
    let input = NewAccountInput {
        username: "admin".into(),
        display_name: "系统管理员".into(),
        role: shanzhi_domain::auth::Role::Admin,
        node_code: None,
        department_id: None,
        password: password.clone(),
    };
    create_in(store, None, input, now)
        .await
        .map_err(|e| AppError::Internal(format!("创建管理员失败：{e}")))?;
    Ok(Some(password))
}

/// Writes the demo district into an empty database in one transaction (no-op if any region
/// exists) and returns the logins to show on the login page.
pub async fn demo(store: &Store, now: i64) -> Result<Vec<DemoLogin>> {
    let demo = demo::district();
    let names: std::collections::HashMap<&str, &str> = demo.tree["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some((
                f["properties"]["code"].as_str()?,
                f["properties"]["name"].as_str()?,
            ))
        })
        .collect();
    let logins = demo
        .accounts
        .iter()
        .filter(|a| a.listed)
        .map(|a| DemoLogin {
            username: a.username.clone(),
            password: DEMO_PASSWORD.into(),
            role: match a.department.and_then(|i| demo.departments.get(i)) {
                Some(d) => format!("{}（{}）", a.role.label(), d.kind),
                None => a.role.label().into(),
            },
            place: a
                .node
                .as_deref()
                .and_then(|c| names.get(c))
                .map_or_else(|| "全域".to_owned(), |n| (*n).to_owned()),
            may: crate::policy::summary(a.role),
        })
        .collect();
    if !regions::children(&mut store.conn().await?, None)
        .await?
        .is_empty()
    {
        return Ok(logins);
    }
    let nodes = parse_import(&demo.tree, Crs::Wgs84)
        .map_err(|e| AppError::Internal(format!("演示数据无效：{e:?}")))?;
    let plan = ImportPlan::check(nodes, &Default::default())
        .map_err(|e| AppError::Internal(format!("演示数据无效：{e:?}")))?;
    // One hash for all demo accounts: they share a password, and hashing ~200 times would only
    // slow the start.
    let hash = hash_password(DEMO_PASSWORD.into()).await?;
    let mut tx = store.begin().await?;
    regions::insert_plan(&mut tx, &plan, None, now).await?;
    let mut dep_ids = Vec::new();
    for d in &demo.departments {
        dep_ids.push(accounts::insert_department(&mut tx, d.name, d.kind, &d.node, now).await?);
    }
    let existing_admin = accounts::by_username(&mut tx, "admin").await?;
    for a in &demo.accounts {
        if a.username == "admin"
            && let Some(admin) = &existing_admin
        {
            // An earlier start made the admin; in demo mode it takes the demo password, which
            // the login page shows.
            accounts::set_password(&mut tx, admin.id, &hash, now).await?;
            // Its sessions ended: a process already serving forgets them.
            tx.publish(shanzhi_domain::notify::FeedKind::Accounts, "{}".into(), now);
            continue;
        }
        let new = NewAccount {
            username: &a.username,
            display_name: &a.name,
            role: a.role,
            node_code: a.node.as_deref(),
            department_id: a.department.and_then(|i| dep_ids.get(i).copied()),
            password_hash: &hash,
        };
        accounts::insert(&mut tx, new, now)
            .await
            .map_err(|e| AppError::Internal(format!("演示账号 {}：{e}", a.username)))?;
    }
    let grids: Vec<String> = plan
        .nodes
        .iter()
        .filter(|n| {
            n.draft.code.level() == shanzhi_domain::region::Level::Grid
                && n.draft.class == shanzhi_domain::region::GridClass::Comprehensive
        })
        .map(|n| n.draft.code.to_string())
        .collect();
    let departments: Vec<(i64, &str, &str)> = demo
        .departments
        .iter()
        .zip(&dep_ids)
        .map(|(d, id)| (*id, d.kind, d.node.as_str()))
        .collect();
    let recent = demo::cases::Span {
        count: 320,
        from_hours_ago: 24.0 * 60.0,
        to_hours_ago: 1.0,
        stall: true,
    };
    write_demo_cases(&mut tx, &grids, &departments, recent, 12345, now).await?;
    // A fixed, published key, so a newcomer can point an Open311 client at the demo at once.
    shanzhi_store::open311::insert(
        &mut tx,
        "演示客户端（Open311）",
        &crate::auth::hash_secret(crate::open311::DEMO_KEY),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(logins)
}

/// Writes the demo's cases, each moved along its path by the real workflow rules.
async fn write_demo_cases(
    tx: &mut shanzhi_store::Tx,
    grids: &[String],
    departments: &[(i64, &str, &str)],
    span: demo::cases::Span,
    seed: u64,
    now: i64,
) -> Result<()> {
    use rand::{Rng, SeedableRng};
    use shanzhi_domain::auth::Role;
    use shanzhi_domain::case::holder_of;
    use shanzhi_domain::case::{
        Action, CaseFacts, Party, Relation, STANDARD_CATEGORIES, Source, Stage, Tier, apply,
    };
    use shanzhi_store::cases::{CaseUpdate, NewCase, NewEvent, PastCase, insert_past};

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let calendar = shanzhi_domain::case::Calendar::china();
    // A grid's worker reports what they find on patrol.
    let workers: std::collections::HashMap<String, i64> = shanzhi_store::Exec::all::<(String, i64)>(
        tx,
        shanzhi_store::Sql::new(
            "SELECT node_code, id FROM accounts WHERE role = 'grid_worker' AND node_code IS NOT NULL",
        ),
    )
    .await?
    .into_iter()
    .collect();
    let hour = 3_600_000.0;
    for (i, c) in demo::cases::generate(grids, span, &mut rng)
        .into_iter()
        .enumerate()
    {
        let Some(cat) = STANDARD_CATEGORIES.iter().find(|x| x.code == c.category) else {
            continue;
        };
        let created = now - (c.hours_ago * hour) as i64;
        let mut facts = CaseFacts {
            stage: Stage::Reported,
            tier: cat.tier,
            reopened: 0,
            grid_duty: cat.grid_duty,
            onsite_check: true,
        };
        let mut holder = holder_of(&c.node, cat.tier).unwrap_or_else(|| c.node.clone());
        let mut department = None;
        let mut satisfaction = None;
        let mut steps = Vec::new();
        for (h, action) in c.steps {
            let at = created + (h * hour) as i64;
            if at > now {
                break;
            }
            let action = match action {
                // Dispatch where the matter belongs: a grid if it may, else its department.
                Action::Dispatch { .. } if !cat.grid_duty => {
                    match departments.iter().find(|(_, kind, node)| {
                        Some(*kind) == cat.department_kind && c.node.starts_with(*node)
                    }) {
                        Some((id, _, _)) => {
                            department = Some(*id);
                            Action::Dispatch {
                                to: Tier::Department,
                            }
                        }
                        None => Action::Dispatch {
                            to: Tier::Community,
                        },
                    }
                }
                other => other,
            };
            let (party, label) = match &action {
                Action::Start | Action::Handle { .. } if facts.tier == Tier::Department => (
                    Party::Staff {
                        role: Role::DepartmentHandler,
                        relation: Relation::Assignee,
                    },
                    "职能部门",
                ),
                Action::Start | Action::Handle { .. } => (
                    Party::Staff {
                        role: Role::GridWorker,
                        relation: Relation::Assignee,
                    },
                    "网格员",
                ),
                Action::Rate { .. } => (Party::Reporter, "居民"),
                _ => (
                    Party::Staff {
                        role: Role::CommandCentre,
                        relation: Relation::Above,
                    },
                    "综治中心",
                ),
            };
            let Ok(change) = apply(facts, party, &action) else {
                break;
            };
            let from = facts.stage;
            facts.stage = change.to;
            facts.reopened += u8::from(change.reopens);
            if let Some(t) = change.tier {
                facts.tier = t;
                holder = match (t, department) {
                    (Tier::Department, Some(d)) => departments
                        .iter()
                        .find(|x| x.0 == d)
                        .map_or(holder, |x| x.2.to_owned()),
                    _ => holder_of(&c.node, t).unwrap_or(holder),
                };
                if t != Tier::Department {
                    department = None;
                }
            }
            if let Action::Rate { satisfaction: s } = &action {
                satisfaction = Some(*s);
            }
            let note = match &action {
                Action::Handle { result } => result.clone(),
                Action::FollowUp { note } => note.clone(),
                Action::Reject { reason } => reason.clone(),
                _ => String::new(),
            };
            steps.push((
                at,
                action.name(),
                action.is_public(),
                from,
                change.to,
                label,
                note,
            ));
        }
        let tracking: String = (0..10)
            .map(|_| b"ABCDEFGHJKMNPQRSTUVWXYZ23456789"[rng.random_range(0..31)] as char)
            .collect();
        let (clock, cal) = (cat.clock(), &calendar);
        let accept_due = cal.due(clock, created, cat.accept_hours.into());
        let handle_due = cal.due(clock, created, cat.handle_hours.into());
        let reporter = match c.source {
            Source::ResidentQr => "居民",
            Source::Mobile => "移动网格员",
            Source::Hotline => "12345热线",
            _ => "网格员",
        };
        let past = PastCase {
            case: NewCase {
                tracking_code: &tracking,
                source: c.source,
                category_code: c.category,
                title: &c.title,
                description: &c.description,
                node_code: &c.node,
                lon_lat: None,
                address: None,
                tier: cat.tier,
                holder_code: &holder_of(&c.node, cat.tier).unwrap_or_else(|| c.node.clone()),
                reporter_account: (c.source == Source::GridPatrol)
                    .then(|| workers.get(c.node.get(..15).unwrap_or(&c.node)).copied())
                    .flatten(),
                reporter_name: (i % 3 == 0).then_some("王阿姨"),
                accept_due,
                handle_due,
                clock,
                client_id: None,
                hotline_order: None,
                reporter_phone: None,
                reported_at: None,
                urgency: Default::default(),
            },
            now: CaseUpdate {
                stage: facts.stage,
                tier: facts.tier,
                holder_code: &holder,
                department_id: department,
                reopened: i16::from(facts.reopened),
                merged_into: None,
                satisfaction,
                accept_due,
                handle_due,
                suspended_at: None,
                extensions: 0,
            },
            created_at: created,
            steps: steps
                .iter()
                .map(|(at, action, public, from, to, label, note)| {
                    (
                        *at,
                        NewEvent {
                            actor_id: None,
                            actor_label: label,
                            action,
                            from_stage: Some(*from),
                            to_stage: *to,
                            note,
                            public: *public,
                        },
                    )
                })
                .collect(),
        };
        let report = NewEvent {
            actor_id: None,
            actor_label: reporter,
            action: "report",
            from_stage: None,
            to_stage: Stage::Reported,
            note: "",
            public: true,
        };
        let id = insert_past(tx, &past, report).await?;
        if cat.dispute
            && matches!(
                facts.stage,
                Stage::InProgress
                    | Stage::Handled
                    | Stage::Verified
                    | Stage::Closed
                    | Stage::Rated
                    | Stage::FollowedUp
            )
        {
            write_demo_mediation(tx, id, cat.name, created, facts.stage, &mut rng, now).await?;
        }
    }
    Ok(())
}

/// A demo dispute's mediation: parties, mediators, one or two sittings, and for handled cases
/// the outcome (mostly settled, as in the field reports) and a follow-up.
async fn write_demo_mediation(
    tx: &mut shanzhi_store::Tx,
    case_id: i64,
    kind: &str,
    created: i64,
    stage: shanzhi_domain::case::Stage,
    rng: &mut impl rand::Rng,
    now: i64,
) -> Result<()> {
    use shanzhi_domain::case::{MediatorKind, OutcomeKind, PartySide, Referral};
    use shanzhi_store::disputes::{self, Conclusion, MediatorRow, PartyRow};
    let hour = 3_600_000;
    let party = |name: String, side: PartySide| PartyRow {
        name,
        side,
        note: String::new(),
    };
    let parties = [
        party(demo::names::person(rng), PartySide::Applicant),
        party(demo::names::person(rng), PartySide::Respondent),
    ];
    let mediators = [
        MediatorRow {
            kind: MediatorKind::GridWorker,
            name: demo::names::person(rng),
        },
        MediatorRow {
            kind: [
                MediatorKind::PeoplesMediator,
                MediatorKind::CommunityPolice,
                MediatorKind::LegalAdviser,
            ][rng.random_range(0..3)],
            name: demo::names::person(rng),
        },
    ];
    let amount = (rng.random_range(0..3) == 0).then(|| rng.random_range(5..500) * 10_000);
    disputes::set_facts(
        tx,
        case_id,
        kind,
        amount,
        &parties,
        &mediators,
        created + 3 * hour,
    )
    .await?;
    let places = ["社区调解室", "当事人家中", "小区凉亭", "村委会议室"];
    for n in 1..=rng.random_range(1..=2) {
        let notes = if n == 1 {
            "听取双方陈述，查明事实"
        } else {
            "再次协商，双方各退一步"
        };
        let at = (created + i64::from(n) * 20 * hour).min(now);
        disputes::add_session(
            tx,
            case_id,
            at,
            places[rng.random_range(0..places.len())],
            notes,
            None,
            at,
        )
        .await?;
    }
    if stage == shanzhi_domain::case::Stage::InProgress {
        return Ok(());
    }
    let at = (created + 48 * hour).min(now);
    let settled = rng.random_range(0..10) < 8;
    let conclusion = if settled {
        Conclusion {
            outcome: OutcomeKind::Settled,
            agreement: Some("双方达成调解协议，当场履行"),
            referral: None,
            note: None,
        }
    } else {
        Conclusion {
            outcome: OutcomeKind::Referred,
            agreement: None,
            referral: Some(Referral::JusticeOffice),
            note: Some("分歧较大，引导至司法所"),
        }
    };
    disputes::conclude(tx, case_id, &conclusion, None, at).await?;
    if at + 7 * 24 * hour > now {
        return Ok(());
    }
    disputes::add_followup(
        tx,
        case_id,
        at + 7 * 24 * hour,
        "回访双方，情绪稳定，未再发生冲突",
        true,
        None,
    )
    .await?;
    Ok(())
}

/// Writes the demo's four registers (households and residents, places, staff, grid facts) in
/// one transaction, sealing ID and phone numbers with `vault`; a no-op if anyone is registered.
/// Kept apart from [`demo`] so tests of other features start without 12,000 residents.
pub async fn demo_registers(store: &Store, vault: &Vault, now: i64) -> Result<()> {
    use shanzhi_domain::personal::{mask_id_number, mask_phone};
    use shanzhi_store::residents::{self as r, NewPerson, NewTag};
    use shanzhi_store::vault::Field;
    use shanzhi_store::{Exec, Sql, grid_facts, places, staff};
    let mut tx = store.begin().await?;
    let (n,): (i64,) = tx.one(Sql::new("SELECT COUNT(*) FROM persons")).await?;
    if n > 0 {
        return Ok(());
    }
    let data = demo::registers::registers(&demo::district());
    let mut buildings = std::collections::HashMap::new();
    for h in &data.households {
        if let std::collections::hash_map::Entry::Vacant(e) =
            buildings.entry((h.grid.clone(), h.building.clone()))
        {
            e.insert(r::building(&mut tx, &h.grid, &h.building, &h.address, now).await?);
        }
    }
    let house_keys: Vec<r::HouseKey> = data
        .households
        .iter()
        .map(|h| {
            (
                buildings[&(h.grid.clone(), h.building.clone())],
                h.unit.clone(),
                Some(h.floor),
                h.room.clone(),
            )
        })
        .collect();
    // One house per demo household, so the keys never repeat.
    let houses = r::houses(&mut tx, &house_keys).await?;
    let new_households: Vec<r::NewHousehold<'_>> = data
        .households
        .iter()
        .zip(houses)
        .map(|(h, house)| (house, h.grid.as_str(), h.reference.as_str(), ""))
        .collect();
    let household_ids = r::insert_households(&mut tx, &new_households, now).await?;
    let sealed: Vec<_> = data
        .households
        .iter()
        .zip(&household_ids)
        .flat_map(|(h, hid)| h.members.iter().map(move |m| (*hid, h, m)))
        .map(|(hid, h, m)| {
            let id = vault.protect(Field::IdNumber, &m.id_number, mask_id_number(&m.id_number));
            let phone = m
                .phone
                .as_ref()
                .map(|p| vault.protect(Field::Phone, p, mask_phone(p)));
            let parsed = shanzhi_domain::personal::IdNumber::parse(
                &m.id_number,
                time::macros::date!(2026 - 11 - 01),
            );
            (hid, h, m, id, phone, parsed)
        })
        .collect();
    let mut persons = Vec::with_capacity(sealed.len());
    for (hid, h, m, id, phone, parsed) in &sealed {
        let parsed = parsed
            .as_ref()
            .map_err(|e| AppError::Internal(format!("演示身份证号无效：{e}")))?;
        persons.push(NewPerson {
            household_id: *hid,
            node_code: &h.grid,
            name: &m.name,
            id,
            birth_date: parsed.birth_date.to_string(),
            sex: parsed.sex.as_str(),
            phone: phone.as_ref(),
            relation: m.relation.as_str(),
            status: m.status.as_str(),
            moved_in: m.moved_in.map(|d| d.to_string()),
            moved_out: None,
            note: "",
        });
    }
    let ids = r::insert_persons(&mut tx, &persons, now).await?;
    let tags: Vec<NewTag<'_>> = sealed
        .iter()
        .zip(&ids)
        .flat_map(|((_, _, m, ..), pid)| {
            m.tags.iter().map(move |(tag, level)| NewTag {
                person_id: *pid,
                tag,
                level: level.as_str(),
                carer_account_id: None,
                next_visit: None,
                note: "",
            })
        })
        .collect();
    r::put_tags(&mut tx, &tags).await?;
    let phones: Vec<_> = data
        .places
        .iter()
        .map(|p| vault.protect(Field::Phone, &p.phone, mask_phone(&p.phone)))
        .collect();
    let new_places: Vec<places::NewPlace<'_>> = data
        .places
        .iter()
        .zip(&phones)
        .map(|(p, ph)| places::NewPlace {
            node_code: &p.grid,
            name: &p.name,
            kind: p.kind.as_str(),
            address: &p.address,
            lon_lat: Some(p.lon_lat),
            contact: &p.contact,
            contact_phone: Some(ph),
            risk: p.risk.as_str(),
            note: "",
        })
        .collect();
    let place_ids = places::insert(&mut tx, &new_places, now).await?;
    for (id, p) in place_ids.iter().zip(&data.places) {
        for (day, result, hazards) in &p.inspections {
            places::inspect(
                &mut tx,
                *id,
                &day.to_string(),
                (None, "网格员"),
                result,
                hazards,
            )
            .await?;
        }
    }
    for s in &data.staff {
        let account_id = match &s.username {
            Some(u) => accounts::by_username(&mut tx, u).await?.map(|a| a.id),
            None => None,
        };
        let phone = vault.protect(Field::Phone, &s.phone, mask_phone(&s.phone));
        staff::insert(
            &mut tx,
            &staff::NewStaff {
                node_code: &s.grids[0][..12],
                account_id,
                name: &s.name,
                role: s.role.as_str(),
                phone: Some(&phone),
                public_phone: s.phone_public.then_some(s.phone.as_str()),
                party_member: s.party_member,
                duties: s.duties,
                grids: &s.grids,
            },
            now,
        )
        .await?;
    }
    for f in &data.facts {
        grid_facts::put(
            &mut tx,
            &f.grid,
            &grid_facts::GridFacts {
                area_km2: Some(f.area_km2),
                party_branch: f.party_branch.clone(),
                party_secretary: f.party_secretary.clone(),
                party_members: Some(f.party_members),
                note: String::new(),
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
