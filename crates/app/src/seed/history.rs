//! The demo's months of history, so every chart and ranking means something out of the box:
//! ninety days of patrols by every grid worker, four more months of cases run their course, and
//! visits to the tagged residents at their tags' frequencies (some fallen behind), and a past
//! rainstorm warning with its 叫应 done in most grids beside two notices valid now.

use super::Result;
use super::write_demo_cases;
use crate::demo;
use rand::{Rng, SeedableRng};
use shanzhi_domain::case::Day;
use shanzhi_domain::patrol::{DailyRule, TrackRules, clean, next_due};
use shanzhi_store::patrols::{self, FixRow};
use shanzhi_store::visits::{self, NewVisit};
use shanzhi_store::{Exec, Sql, Store, Tx};

/// Days of patrols and visits written.
const DAYS: i64 = 90;

/// Writes the history in one transaction; a no-op once any patrol is stored. Needs
/// [`super::demo`] (and, for visits, [`super::demo_registers`]) first.
pub async fn demo_history(store: &Store, now: i64) -> Result<()> {
    let mut tx = store.begin().await?;
    let (n,): (i64,) = tx.one(Sql::new("SELECT COUNT(*) FROM patrols")).await?;
    if n > 0 {
        return Ok(());
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let today = Day::of(now);
    write_patrols(&mut tx, today, &mut rng).await?;
    write_cases(&mut tx, now).await?;
    write_visits(&mut tx, today, &mut rng).await?;
    write_evaluations(&mut tx, today, &mut rng).await?;
    write_notices(&mut tx, now, &mut rng).await?;
    tx.commit().await?;
    Ok(())
}

async fn write_patrols(tx: &mut Tx, today: Day, rng: &mut impl Rng) -> Result<()> {
    let workers: Vec<(i64, String, String)> = tx
        .all(Sql::new(
            "SELECT a.id, a.display_name, a.node_code FROM accounts a \
             JOIN region_nodes n ON n.code = a.node_code \
             WHERE a.role = 'grid_worker' AND n.level = 'grid' ORDER BY a.id",
        ))
        .await?;
    for (account, name, grid) in workers {
        let Some(shape) = shanzhi_store::regions::get(tx, &grid)
            .await?
            .and_then(|n| n.boundary().ok().flatten())
        else {
            continue;
        };
        let label = format!("{name}（网格员）");
        for back in (1..=DAYS).rev() {
            let day = today.plus(-back);
            for p in demo::patrols::day_patrols(shape.shape(), day.start_ms(), rng) {
                let id = patrols::start(tx, &grid, (account, &label), &day.to_string(), p.start_ms)
                    .await?;
                let rows: Vec<FixRow> = p.fixes.iter().map(FixRow::from).collect();
                patrols::add_fixes(tx, id, &rows).await?;
                let track = clean(&p.fixes, p.start_ms, p.end_ms, &TrackRules::default());
                patrols::set_track(tx, id, track.metres, track.kept.len(), track.dropped.len())
                    .await?;
                patrols::end(tx, id, p.end_ms, p.summary, &DailyRule::default()).await?;
            }
        }
    }
    Ok(())
}

/// Four more months of cases before the recent sixty days, all run their course.
async fn write_cases(tx: &mut Tx, now: i64) -> Result<()> {
    let grids: Vec<(String,)> = tx
        .all(Sql::new(
            "SELECT code FROM region_nodes WHERE level = 'grid' AND class = 'comprehensive' \
             AND retired_at IS NULL ORDER BY code",
        ))
        .await?;
    let grids: Vec<String> = grids.into_iter().map(|(c,)| c).collect();
    let departments: Vec<(i64, String, String)> = tx
        .all(Sql::new(
            "SELECT id, kind, node_code FROM departments ORDER BY id",
        ))
        .await?;
    let departments: Vec<(i64, &str, &str)> = departments
        .iter()
        .map(|(id, kind, node)| (*id, kind.as_str(), node.as_str()))
        .collect();
    let older = demo::cases::Span {
        count: 1_200,
        from_hours_ago: 24.0 * 180.0,
        to_hours_ago: 24.0 * 60.0,
        stall: false,
    };
    write_demo_cases(tx, &grids, &departments, older, 180, now).await
}

/// Visits to every household with a visit-tagged member, at the tightest of its tags'
/// frequencies give or take a day or two; one household in six has fallen behind.
async fn write_visits(tx: &mut Tx, today: Day, rng: &mut impl Rng) -> Result<()> {
    let households: Vec<(i64, String, i32)> = tx
        .all(Sql::new(
            "SELECT p.household_id, MIN(p.node_code), MIN(k.visit_days) FROM person_tags t \
             JOIN tag_kinds k ON k.code = t.tag JOIN persons p ON p.id = t.person_id \
             WHERE k.visit_days IS NOT NULL AND p.moved_out IS NULL \
             GROUP BY p.household_id ORDER BY p.household_id",
        ))
        .await?;
    let workers: std::collections::HashMap<String, (i64, String)> = tx
        .all::<(String, i64, String)>(Sql::new(
            "SELECT node_code, id, display_name FROM accounts WHERE role = 'grid_worker' \
             AND node_code IS NOT NULL ORDER BY id DESC",
        ))
        .await?
        .into_iter()
        .map(|(grid, id, name)| (grid, (id, format!("{name}（网格员）"))))
        .collect();
    const NOTES: &[(&str, &str)] = &[
        ("care", "老人身体状况良好，已提醒冬季用电和燃气安全"),
        ("care", "帮老人预约了社区卫生服务中心的上门体检"),
        ("verify", "核实家庭成员和联系方式，无变化"),
        ("safety", "检查电动车充电情况，未发现入户充电"),
        ("policy", "宣传医保缴费和反诈知识"),
        ("help", "协助办理高龄津贴申领"),
    ];
    for (household, node, every) in households {
        let grid: String = node.chars().take(15).collect();
        let Some((account, label)) = workers.get(&grid) else {
            continue;
        };
        let every = i64::from(every.max(1));
        let behind = rng.random_range(0..6) == 0;
        let mut day = today.plus(-DAYS + rng.random_range(0..every));
        let mut last = None;
        while day < today && !(behind && today.since(day) < 2 * every) {
            let (purpose, notes) = NOTES[rng.random_range(0..NOTES.len())];
            let at = day.start_ms() + rng.random_range(9..17) * 3_600_000;
            visits::insert(
                tx,
                &NewVisit {
                    node_code: &node,
                    household_id: Some(household),
                    place_id: None,
                    visitor: (*account, label),
                    day: &day.to_string(),
                    at,
                    purpose,
                    notes,
                    findings: "",
                },
            )
            .await?;
            last = Some(day);
            day = day.plus(every + rng.random_range(-1..=1));
        }
        if let Some(last) = last {
            for (person, tag, days, _) in visits::household_tags(tx, household).await? {
                let due = next_due(Some(last), last, u32::try_from(days).unwrap_or(0));
                visits::set_next_visit(tx, person, &tag, &due.to_string()).await?;
            }
        }
    }
    Ok(())
}

/// Three months of residents' ratings (mostly four and five stars) and, for the finished
/// months, the community's peer and organisation evaluations.
async fn write_evaluations(tx: &mut Tx, today: Day, rng: &mut impl Rng) -> Result<()> {
    let workers: Vec<(i64, String)> = tx
        .all(Sql::new(
            "SELECT a.id, a.node_code FROM accounts a WHERE a.role = 'grid_worker' \
             AND a.node_code IS NOT NULL ORDER BY a.id",
        ))
        .await?;
    let officers: std::collections::HashMap<String, i64> = tx
        .all::<(String, i64)>(Sql::new(
            "SELECT node_code, id FROM accounts WHERE role = 'community_officer' AND node_code IS NOT NULL",
        ))
        .await?
        .into_iter()
        .collect();
    let this_month = Day::parse(&format!("{}-01", &today.to_string()[..7])).unwrap_or(today);
    let mut first = this_month;
    for _ in 0..3 {
        first = Day::parse(&format!("{}-01", &first.plus(-1).to_string()[..7])).unwrap_or(first);
        let month = &first.to_string()[..7];
        for (account, grid) in &workers {
            // A steady worker keeps a steady reputation: the worker's own level, give or take.
            let level = 3.6 + (*account % 7) as f64 * 0.2;
            for n in 0..rng.random_range(3..15) {
                let stars = (level + rng.random_range(-1.0..1.0_f64))
                    .round()
                    .clamp(1.0, 5.0) as i16;
                let phone = format!("demo-{account}-{month}-{n}");
                let at = first.start_ms() + rng.random_range(1..27) * 86_400_000;
                shanzhi_store::assessment::rate(
                    tx,
                    *account,
                    month,
                    phone.as_bytes(),
                    stars,
                    "",
                    at,
                )
                .await?;
            }
            let Some(by) = officers.get(grid.get(..12).unwrap_or(grid)) else {
                continue;
            };
            for kind in ["peer", "org"] {
                let score = (70.0 + level * 5.0 + rng.random_range(-4.0..4.0_f64))
                    .clamp(0.0, 100.0)
                    .round();
                shanzhi_store::assessment::evaluate(
                    tx,
                    (*account, month, kind),
                    score,
                    "",
                    (*by, first.plus(32).start_ms()),
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Three days ago the district's command centre relayed the meteorological office's rainstorm
/// warning (网格+气象): the grid workers called the vulnerable households within two hours, most
/// were reached or moved to safety, a few were not and the note says what was tried. Two
/// ordinary notices of the kind grid groups carry (上传下达) are valid now.
async fn write_notices(tx: &mut Tx, now: i64, rng: &mut impl Rng) -> Result<()> {
    use shanzhi_domain::notice::{CallOutcome, NoticeLevel, WarningColor};
    use shanzhi_store::notices::{self, NewNotice};
    const HOUR: i64 = 3_600_000;
    let Some((district, centre, centre_name)): Option<(String, i64, String)> = tx
        .opt(Sql::new(
            "SELECT a.node_code, a.id, a.display_name FROM accounts a JOIN region_nodes n ON \
             n.code = a.node_code WHERE a.role = 'command_centre' AND n.level = 'district' \
             ORDER BY a.id LIMIT 1",
        ))
        .await?
    else {
        return Ok(());
    };
    let starts = now - 3 * 24 * HOUR - 6 * HOUR;
    let label = format!("{centre_name}（综治中心）");
    let warning = NewNotice {
        root_code: &district,
        level: NoticeLevel::Warning,
        color: Some(WarningColor::Orange),
        title: "暴雨橙色预警：今夜有大暴雨",
        body: "区气象台发布暴雨橙色预警信号：预计今天夜间到明天上午全区有大暴雨，局地特大暴雨。\
               请低洼地带、危旧房屋和临河住户做好转移准备，独居老人、残疾人家庭由网格员逐户叫应。",
        starts_at: starts,
        ends_at: starts + 24 * HOUR,
        respond_by: Some(starts + 2 * HOUR),
        created_by: Some(centre),
        created_label: &label,
        cap_identifier: None,
    };
    // Most residents with a phone agreed to notices by text when the register was taken.
    tx.exec(
        Sql::new(
            "UPDATE persons SET notice_consent_at = ? WHERE phone_sealed IS NOT NULL \
             AND moved_out IS NULL AND id % 5 < 3",
        )
        .bind(starts - 60 * 24 * HOUR),
    )
    .await?;
    let id = notices::insert(tx, &warning, starts).await?;
    notices::cover_all(tx, id, &district).await?;
    notices::call_vulnerable(tx, id).await?;
    notices::queue_texts(tx, id, warning.title, starts, starts).await?;
    // The warning's texts went out that night: the carriers reported one in twenty-five
    // undelivered (phones off for days), and two in three links were opened.
    tx.exec(
        Sql::new(
            "UPDATE sms_outbox SET status = 'delivered', attempts = 1, sent_at = ?, \
             gateway_ref = 'demo-' || code, receipt = CASE WHEN id % 25 = 0 THEN 'undelivered' \
             ELSE 'delivered' END, receipt_at = ?, read_at = CASE WHEN id % 3 = 0 OR \
             id % 25 = 0 THEN NULL ELSE ? END WHERE notice_id = ?",
        )
        .bind(starts + 60_000)
        .bind(starts + 90_000)
        .bind(starts + 20 * 60_000)
        .bind(id),
    )
    .await?;
    notices::recount_texts(tx, id).await?;
    let calls: Vec<(i64, String)> = tx
        .all(
            Sql::new("SELECT id, node_code FROM notice_calls WHERE notice_id = ? ORDER BY id")
                .bind(id),
        )
        .await?;
    let workers: std::collections::HashMap<String, (i64, String)> = tx
        .all::<(String, i64, String)>(Sql::new(
            "SELECT node_code, id, display_name FROM accounts WHERE role = 'grid_worker' ORDER BY id",
        ))
        .await?
        .into_iter()
        .map(|(node, id, name)| (node, (id, format!("{name}（网格员）"))))
        .collect();
    for (call, grid) in calls {
        let Some((worker, name)) = workers.get(&grid) else {
            continue;
        };
        let roll: f64 = rng.random();
        let (outcome, note) = if roll < 0.84 {
            (CallOutcome::Reached, "电话告知，本人已知晓")
        } else if roll < 0.96 {
            (CallOutcome::Moved, "已协助转移到社区避险点")
        } else {
            (
                CallOutcome::Unreached,
                "电话三次未接通，上门无人，已托邻居留意",
            )
        };
        let at = starts + rng.random_range(10..110) * 60_000;
        notices::record(
            tx,
            call,
            (id, &grid, CallOutcome::Pending),
            outcome,
            note,
            (*worker, name),
            at,
        )
        .await?;
    }
    for (root, level, title, body) in [
        (
            "450802001",
            NoticeLevel::Normal,
            "流感疫苗免费接种",
            "本周六上午8:30—11:30，社区卫生服务站为60岁以上老人免费接种流感疫苗，请带身份证和医保卡。",
        ),
        (
            "450802001001",
            NoticeLevel::Important,
            "周二停水检修",
            "因供水管网检修，本周二8:00—18:00东湖社区各小区停水，请提前储水。咨询电话见网格公示牌。",
        ),
    ] {
        let notice = NewNotice {
            root_code: root,
            level,
            color: None,
            title,
            body,
            starts_at: now - 24 * HOUR,
            ends_at: now + 7 * 24 * HOUR,
            respond_by: None,
            created_by: Some(centre),
            created_label: &label,
            cap_identifier: None,
        };
        let id = notices::insert(tx, &notice, now - 24 * HOUR).await?;
        notices::cover_all(tx, id, root).await?;
    }
    Ok(())
}
