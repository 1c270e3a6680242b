//! The demo's participation: in the first street's communities, 双报到 members (the
//! community's volunteer login among them) and co-building units with their 三张清单,
//! declared service (verified and waiting), a stocked 爱心超市 with redemptions, wishes in
//! every state; and in the first community topics at every stage, a survey with answers and
//! an opinion box with letters. Points move only through ledger postings, so the demo's books reconcile.

use super::Result;
use super::broken;
use crate::AppError;
use crate::demo::names;
use rand::{Rng, SeedableRng};
use shanzhi_domain::participation::points::{self as rules, service_points};
use shanzhi_domain::participation::topic::{Choice, Disposition, Scale, Side, TopicStage};
use shanzhi_domain::participation::{
    AccountKind, MemberKind, PostingKind, ServiceCategory, Standing, WishStage,
};
use shanzhi_domain::personal::mask_phone;
use shanzhi_store::members::{self, NewMember};
use shanzhi_store::points::{self, NewPosting, Posted, StockMove};
use shanzhi_store::vault::{Field, Vault};
use shanzhi_store::wishes::{self, NewWish, WishChange};
use shanzhi_store::{Exec, Sql, Store, Tx};

/// The communities that get participation data (the first street's).
const COMMUNITIES: [&str; 4] = [
    "450802001001",
    "450802001002",
    "450802001003",
    "450802001004",
];

/// Co-building units (共建单位) and what each puts on its lists.
const UNITS: [(&str, &str, ServiceCategory, &str); 4] = [
    (
        "港北区财政局机关党支部",
        "每季度到社区开展一次政策宣讲",
        ServiceCategory::Civility,
        "党员志愿服务队 12 人",
    ),
    (
        "贵港市人民医院党委",
        "每月一次上门义诊",
        ServiceCategory::Health,
        "每月义诊 1 次、慢病随访",
    ),
    (
        "港北区司法局",
        "每周一次法律咨询",
        ServiceCategory::Legal,
        "律师值班、人民调解员",
    ),
    (
        "港城供电所党支部",
        "老旧线路排查",
        ServiceCategory::Repair,
        "电工 4 人，可上门检修线路",
    ),
];

/// Goods on the 爱心超市's shelf: (name, points, stock).
const GOODS: [(&str, i64, i64); 6] = [
    ("牙膏", 10, 40),
    ("毛巾", 15, 30),
    ("洗衣粉 1kg", 20, 25),
    ("花生油 1L", 40, 12),
    ("大米 5kg", 60, 10),
    ("保温杯", 80, 5),
];

/// Wishes: (category, title, detail, requester).
const WISHES: [(ServiceCategory, &str, &str, &str); 8] = [
    (
        ServiceCategory::Elderly,
        "帮忙更换厨房灯泡",
        "独居老人，够不着灯座",
        "李阿姨",
    ),
    (
        ServiceCategory::Study,
        "孩子暑假想学书法",
        "留守儿童，每周一次即可",
        "覃奶奶",
    ),
    (
        ServiceCategory::Repair,
        "楼道声控灯坏了",
        "3 栋 2 单元，晚上上楼看不见",
        "黄师傅",
    ),
    (
        ServiceCategory::Health,
        "想请医生上门量血压",
        "腿脚不便，行动困难",
        "韦大爷",
    ),
    (
        ServiceCategory::Goods,
        "需要一台旧轮椅",
        "老伴术后出院",
        "梁阿婆",
    ),
    (
        ServiceCategory::Legal,
        "咨询赡养纠纷怎么办",
        "子女不给生活费",
        "陆大娘",
    ),
    (
        ServiceCategory::Environment,
        "小区门口垃圾堆清理",
        "堆了一个多星期",
        "莫先生",
    ),
    (
        ServiceCategory::Elderly,
        "陪老人去银行办业务",
        "不会用自助机",
        "甘阿姨",
    ),
];

const DAY: i64 = 86_400_000;

/// Writes it all in one transaction; a no-op once any member is registered.
pub async fn demo_participation(store: &Store, vault: &Vault, now: i64) -> Result<()> {
    let mut tx = store.begin().await?;
    let (n,): (i64,) = tx.one(Sql::new("SELECT COUNT(*) FROM members")).await?;
    if n > 0 {
        return Ok(());
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2027);
    for (ci, community) in COMMUNITIES.iter().enumerate() {
        let officer: Option<(i64,)> = tx
            .opt(
                Sql::new(
                    "SELECT id FROM accounts WHERE role = 'community_officer' AND node_code = ?",
                )
                .bind(*community),
            )
            .await?;
        let Some((officer,)) = officer else { continue };
        let volunteer: Option<(i64,)> = tx
            .opt(
                Sql::new("SELECT id FROM accounts WHERE role = 'volunteer' AND node_code = ?")
                    .bind(*community),
            )
            .await?;
        let mut book = Books {
            community,
            officer,
            label: "社区干部（演示）".to_owned(),
            issuer: points::system_account(&mut tx, community, AccountKind::Issuer).await?,
            shop: points::system_account(&mut tx, community, AccountKind::Store).await?,
            now,
            postings: 0,
        };
        let members =
            write_members(&mut tx, vault, &mut rng, &book, ci, volunteer.map(|v| v.0)).await?;
        write_units(&mut tx, vault, community, ci, now).await?;
        write_services(&mut tx, &mut rng, &mut book, &members).await?;
        write_shop(&mut tx, &mut rng, &mut book, &members).await?;
        write_wishes(&mut tx, vault, &mut rng, &mut book, &members, ci).await?;
        if ci == 0 {
            write_topics(&mut tx, vault, community, officer, now).await?;
            write_survey(&mut tx, &mut rng, community, officer, now).await?;
            write_opinions(&mut tx, community, officer, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// One community's ledger while seeding.
struct Books<'a> {
    community: &'a str,
    officer: i64,
    label: String,
    issuer: i64,
    shop: i64,
    now: i64,
    postings: u32,
}

impl Books<'_> {
    /// Moves points; the demo never overdraws, so a short posting is a bug here.
    #[allow(clippy::too_many_arguments)]
    async fn post(
        &mut self,
        tx: &mut Tx,
        kind: PostingKind,
        source: &str,
        note: &str,
        from: i64,
        to: i64,
        amount: i64,
        at: i64,
    ) -> Result<i64> {
        self.postings += 1;
        let key = format!("demo:{}:{}", self.community, self.postings);
        let p = NewPosting {
            community: self.community,
            kind,
            key: &key,
            source,
            reverses: None,
            operator_id: Some(self.officer),
            operator_label: &self.label,
            note,
            at,
        };
        let lines = rules::transfer(from, to, amount).map_err(broken)?;
        match points::post(tx, &p, &lines).await? {
            Posted::New(id) => Ok(id),
            other => Err(AppError::Internal(format!("演示积分 {key}：{other:?}"))),
        }
    }
}

/// A confirmed member: (member id, points account).
type Member = (i64, i64);

async fn write_members(
    tx: &mut Tx,
    vault: &Vault,
    rng: &mut impl Rng,
    book: &Books<'_>,
    ci: usize,
    login: Option<i64>,
) -> Result<Vec<Member>> {
    let employers = [
        "港北区财政局",
        "贵港市人民医院",
        "港北区教育局",
        "港城供电所",
        "港北区司法局",
        "贵港市税务局",
    ];
    let mut out = Vec::new();
    for i in 0..10 {
        let phone = format!("1387751{ci}{i:03}");
        let sealed = vault.protect(Field::Phone, &phone, mask_phone(&phone));
        let party = i % 3 != 2;
        let skills: Vec<&str> = ServiceCategory::ALL
            .iter()
            .skip(i % 4)
            .step_by(3)
            .map(|c| c.as_str())
            .collect();
        // The last two wait for the community's confirmation.
        let standing = if i >= 8 {
            Standing::Pending
        } else {
            Standing::Confirmed
        };
        let name = names::person(rng);
        let m = members::insert(
            tx,
            &NewMember {
                community: book.community,
                kind: if party {
                    MemberKind::PartyMember
                } else {
                    MemberKind::Volunteer
                },
                name: &name,
                phone: &sealed,
                employer: if party {
                    employers[(i + ci) % employers.len()]
                } else {
                    ""
                },
                skills: &skills.join(","),
                commitment: "每年至少下沉社区服务一次，认领一个志愿服务岗",
                account_id: if i == 0 { login } else { None },
                standing,
                at: book.now - (120 - i as i64) * DAY,
            },
        )
        .await?;
        if standing == Standing::Confirmed {
            let account = points::member_account(tx, book.community, m.id).await?;
            out.push((m.id, account));
        }
    }
    Ok(out)
}

async fn write_units(
    tx: &mut Tx,
    vault: &Vault,
    community: &str,
    ci: usize,
    now: i64,
) -> Result<()> {
    for (ui, (name, commitment, category, resource)) in UNITS.iter().enumerate() {
        let phone = format!("1397750{ci}{ui:03}");
        let sealed = vault.protect(Field::Phone, &phone, mask_phone(&phone));
        let unit = members::insert_unit(
            tx,
            community,
            name,
            "党建联络员",
            &sealed,
            commitment,
            "confirmed",
            now - 200 * DAY,
        )
        .await?;
        members::add_listing(
            tx,
            unit.id,
            "resource",
            category.as_str(),
            resource,
            "",
            now,
        )
        .await?;
        members::add_listing(
            tx,
            unit.id,
            "need",
            ServiceCategory::Civility.as_str(),
            "需要社区提供志愿服务岗位",
            "每季度安排党员到岗",
            now,
        )
        .await?;
        if ui % 2 == 0 {
            members::add_listing(
                tx,
                unit.id,
                "problem",
                category.as_str(),
                "居民反映服务时间与上班冲突",
                "建议改到周末",
                now,
            )
            .await?;
        }
    }
    Ok(())
}

async fn write_services(
    tx: &mut Tx,
    rng: &mut impl Rng,
    book: &mut Books<'_>,
    members: &[Member],
) -> Result<()> {
    let activities = [
        "楼道清理",
        "政策宣讲",
        "上门义诊",
        "法律咨询",
        "垃圾分类引导",
        "防火巡查",
        "助老送餐",
    ];
    for (mi, (member, account)) in members.iter().enumerate() {
        // Every confirmed member but the last served this year; the last has not (双报告's
        // "未达标" line).
        let count = if mi + 1 == members.len() {
            0
        } else {
            rng.random_range(2..6)
        };
        for k in 0..count {
            let served = book.now - rng.random_range(3..150) * DAY;
            let day = shanzhi_domain::case::Day::of(served).to_string();
            let minutes = [60, 90, 120, 180][rng.random_range(0..4)];
            let category = ServiceCategory::ALL[rng.random_range(0..ServiceCategory::ALL.len())];
            let activity = activities[rng.random_range(0..activities.len())];
            let id = members::declare(
                tx,
                *member,
                category.as_str(),
                activity,
                &day,
                minutes,
                served,
            )
            .await?;
            if k == 0 && mi % 3 == 1 {
                continue; // waiting in the 汇总 for the community to verify
            }
            let pts = service_points(minutes).map_err(broken)?;
            let posting = book
                .post(
                    tx,
                    PostingKind::Service,
                    &format!("service:{id}"),
                    &format!("{day} {activity}"),
                    book.issuer,
                    *account,
                    pts,
                    served + DAY,
                )
                .await?;
            members::decide_service(
                tx,
                id,
                "verified",
                Some(pts),
                Some(posting),
                "",
                book.officer,
                served + DAY,
            )
            .await?;
        }
    }
    Ok(())
}

async fn write_shop(
    tx: &mut Tx,
    rng: &mut impl Rng,
    book: &mut Books<'_>,
    members: &[Member],
) -> Result<()> {
    let mut items = Vec::new();
    for (name, price, stock) in GOODS {
        let item = points::add_item(tx, book.community, name, price, book.now - 100 * DAY).await?;
        let label = book.label.clone();
        let m = StockMove {
            item: item.id,
            delta: stock,
            posting: None,
            reason: "入库",
            operator_id: Some(book.officer),
            operator_label: &label,
            at: book.now - 100 * DAY,
        };
        points::move_stock(tx, &m).await?;
        items.push(item);
    }
    // Members spend some of what they earned on the cheaper goods.
    for (_, account) in members {
        let balance = points::balance(tx, *account).await?;
        let item = &items[rng.random_range(0..3)];
        if balance < item.price || rng.random_bool(0.3) {
            continue;
        }
        let at = book.now - rng.random_range(1..20) * DAY;
        let posting = book
            .post(
                tx,
                PostingKind::Redemption,
                &format!("item:{}x1", item.id),
                &format!("{} × 1", item.name),
                *account,
                book.shop,
                item.price,
                at,
            )
            .await?;
        let label = book.label.clone();
        let m = StockMove {
            item: item.id,
            delta: -1,
            posting: Some(posting),
            reason: "兑换",
            operator_id: Some(book.officer),
            operator_label: &label,
            at,
        };
        points::move_stock(tx, &m).await?;
    }
    Ok(())
}

async fn write_wishes(
    tx: &mut Tx,
    vault: &Vault,
    rng: &mut impl Rng,
    book: &mut Books<'_>,
    members: &[Member],
    ci: usize,
) -> Result<()> {
    // Stages in turn, so each community has wishes in every state.
    let stages = [
        WishStage::Submitted,
        WishStage::Declined,
        WishStage::Published,
        WishStage::Claimed,
        WishStage::Done,
        WishStage::Confirmed,
        WishStage::Confirmed,
        WishStage::Published,
    ];
    for (wi, ((category, title, detail, name), stage)) in WISHES.iter().zip(stages).enumerate() {
        let phone = format!("1367759{ci}{wi:03}");
        let sealed = vault.protect(Field::Phone, &phone, mask_phone(&phone));
        let created = book.now - rng.random_range(5..40) * DAY;
        let grid = format!("{}{:03}", book.community, wi % 4 + 1);
        let w = wishes::insert(
            tx,
            &NewWish {
                community: book.community,
                grid: Some(&grid),
                category: *category,
                title,
                detail,
                requester_name: name,
                phone_sealed: &sealed.sealed,
                phone_masked: &sealed.masked,
                tracking_code: &format!("WDEMO{ci}{wi:03}"),
                entered_by: None,
                at: created,
            },
        )
        .await?;
        wishes::log(tx, w.id, "提交心愿", "居民", "", created).await?;
        let (member, account) = members[wi % members.len()];
        let reward = [10, 20, 30][wi % 3];
        let mut c = WishChange::to(stage);
        let mut log: Vec<(&str, String)> = Vec::new();
        if stage == WishStage::Declined {
            c.decline_reason = Some("属于物业服务范围，已转物业公司办理".into());
            log.push(("不予采纳", "属于物业服务范围，已转物业公司办理".into()));
        }
        if !matches!(stage, WishStage::Submitted | WishStage::Declined) {
            c.points = Some(reward);
            c.deadline_at = Some(book.now + 10 * DAY);
            log.push(("派单", format!("奖励 {reward} 分")));
        }
        if matches!(
            stage,
            WishStage::Claimed | WishStage::Done | WishStage::Confirmed
        ) {
            c.claimant = Some(Some(member));
            c.claim = Some(Some((created + DAY, book.now + 2 * DAY)));
            log.push(("接单", String::new()));
        }
        if matches!(stage, WishStage::Done | WishStage::Confirmed) {
            c.done = Some(("已上门办好，老人很满意".into(), created + 2 * DAY));
            log.push(("完成", "已上门办好，老人很满意".into()));
        }
        if stage == WishStage::Confirmed {
            let posting = book
                .post(
                    tx,
                    PostingKind::Wish,
                    &format!("wish:{}", w.id),
                    title,
                    book.issuer,
                    account,
                    reward,
                    created + 3 * DAY,
                )
                .await?;
            c.confirmed = Some((created + 3 * DAY, posting));
            log.push(("确认圆梦", format!("奖励 {reward} 分已计入")));
        }
        wishes::change(tx, w.id, w.version, &c).await?;
        for (i, (action, note)) in log.into_iter().enumerate() {
            wishes::log(
                tx,
                w.id,
                action,
                &book.label,
                &note,
                created + i as i64 * DAY / 2,
            )
            .await?;
        }
    }
    Ok(())
}

/// Topics at every stage: (title, detail, scale, stage, proposer).
const TOPICS: [(&str, &str, Scale, TopicStage, &str); 5] = [
    (
        "吉祥苑 8 栋老楼漏雨维修",
        "顶楼漏雨严重，物业服务期将满，维修资金如何分摊需要商量",
        Scale::Major,
        TopicStage::Done,
        "韩家威",
    ),
    (
        "奥威花园垃圾日产日清",
        "垃圾桶满溢，清运不及时",
        Scale::Minor,
        TopicStage::Implementing,
        "左大林",
    ),
    (
        "小区加装电梯意见征集",
        "老人上下楼难，想加装电梯",
        Scale::Major,
        TopicStage::Consulting,
        "覃阿姨",
    ),
    (
        "暴雨前疏通北门排水沟",
        "天气预报明天暴雨，排水沟堵塞",
        Scale::Urgent,
        TopicStage::Proposed,
        "莫先生",
    ),
    (
        "广场舞音响时间",
        "希望调整广场舞时间，与已有议题重复",
        Scale::Minor,
        TopicStage::Declined,
        "梁阿婆",
    ),
];

async fn write_topics(
    tx: &mut Tx,
    vault: &Vault,
    community: &str,
    officer: i64,
    now: i64,
) -> Result<()> {
    use shanzhi_store::topics::{self as t, NewTopic};
    let label = "社区干部（演示）";
    for (i, (title, detail, scale, stage, proposer)) in TOPICS.iter().enumerate() {
        let created = now - (60 - 10 * i as i64) * DAY;
        let phone = format!("1377750{i:04}");
        let sealed = vault.protect(Field::Phone, &phone, mask_phone(&phone));
        let id = t::insert(
            tx,
            &NewTopic {
                node: community,
                title,
                detail,
                scale: *scale,
                proposer,
                phone: Some((&sealed.sealed, &sealed.masked)),
                tracking: &format!("TDEMO{i:06}"),
                by: None,
                deadline: (*scale == Scale::Urgent).then_some(now + DAY),
                at: created,
            },
        )
        .await?;
        t::log(tx, id, "提出议题", proposer, "", created).await?;
        if *stage == TopicStage::Proposed {
            continue;
        }
        if *stage == TopicStage::Declined {
            t::set_stage(
                tx,
                id,
                TopicStage::Proposed,
                TopicStage::Declined,
                Some("与已有议题重复，已并入“奥威花园垃圾日产日清”"),
                created + DAY,
            )
            .await?;
            t::log(tx, id, "不予受理", label, "与已有议题重复", created + DAY).await?;
            continue;
        }
        t::set_stage(
            tx,
            id,
            TopicStage::Proposed,
            TopicStage::Consulting,
            None,
            created + DAY,
        )
        .await?;
        t::log(tx, id, "协商中", label, "已受理，进入协商", created + DAY).await?;
        let meeting = t::add_meeting(
            tx,
            id,
            "现场",
            "8 栋庭院",
            created + 3 * DAY,
            "四方共同商议，物业承诺投入资金",
            officer,
            created + 3 * DAY,
        )
        .await?;
        let people = [
            ("黄春萍", Side::Committee, true),
            (*proposer, Side::Owners, true),
            ("李经理", Side::Property, true),
            ("蒙大姐", Side::Resident, true),
            ("陆先生", Side::Resident, false),
        ];
        let mut ids = Vec::new();
        for (name, side, present) in people {
            ids.push((
                t::add_participant(tx, meeting, name, side, present).await?,
                present,
            ));
        }
        t::log(
            tx,
            id,
            "召开协商会议",
            label,
            "现场·8 栋庭院，5 人（居委会、业委会、物业、居民）",
            created + 3 * DAY,
        )
        .await?;
        if *stage == TopicStage::Consulting {
            continue;
        }
        for (n, (pid, present)) in ids.iter().enumerate() {
            if *present {
                t::vote(
                    tx,
                    meeting,
                    *pid,
                    if n == 2 { Choice::Abstain } else { Choice::For },
                    created + 3 * DAY,
                )
                .await?;
            }
        }
        let rid = t::add_resolution(
            tx,
            id,
            Some(meeting),
            "物业出资维修，月底前完工，维修基金补足差额",
            created + 4 * DAY,
        )
        .await?;
        let done = *stage == TopicStage::Done;
        for (text, disposition, owner) in [
            ("屋面防水施工", Disposition::Adopted, "港城物业"),
            (
                "统筹老旧小区屋面改造资金",
                Disposition::Upward,
                "港北区政协",
            ),
        ] {
            let sid = t::add_suggestion(tx, rid, text, disposition, owner, None, created + 4 * DAY)
                .await?;
            let (progress, evidence, at) = if done {
                (100, "已完工，验收照片存档", Some(created + 20 * DAY))
            } else {
                (40, "", None)
            };
            t::set_suggestion_progress(tx, sid, 0, progress, evidence, at).await?;
        }
        t::set_stage(
            tx,
            id,
            TopicStage::Consulting,
            TopicStage::Implementing,
            None,
            created + 4 * DAY,
        )
        .await?;
        t::log(
            tx,
            id,
            "形成决议",
            label,
            "物业出资维修，月底前完工",
            created + 4 * DAY,
        )
        .await?;
        let progress = if done { 100 } else { 40 };
        t::set_resolution_progress(tx, rid, progress).await?;
        t::set_progress(tx, id, progress).await?;
        if done {
            t::set_stage(
                tx,
                id,
                TopicStage::Implementing,
                TopicStage::Done,
                None,
                created + 20 * DAY,
            )
            .await?;
            t::log(
                tx,
                id,
                "跟踪问效",
                label,
                "全部建议已落实，议题办结",
                created + 20 * DAY,
            )
            .await?;
        }
    }
    Ok(())
}

async fn write_survey(
    tx: &mut Tx,
    rng: &mut impl Rng,
    community: &str,
    officer: i64,
    now: i64,
) -> Result<()> {
    use shanzhi_domain::participation::survey::{Answer, parse_lines};
    use shanzhi_store::surveys::{self as s, NewSurvey};
    let questions = parse_lines(
        "单选* 您支持本栋加装电梯吗？|支持|不支持|无所谓\n多选 您最关心哪些问题？|费用分摊|采光|噪音|施工期间出行\n评分* 对目前出行便利程度打分\n简答 其他意见",
    )
    .map_err(broken)?;
    let id = s::insert(
        tx,
        &NewSurvey {
            node: community,
            title: "老旧小区加装电梯意见征集",
            intro: "每户限填一份，结果将在协商议事会上通报",
            mode: shanzhi_domain::participation::Mode::Phone,
            opens_at: now - 10 * DAY,
            closes_at: now + 20 * DAY,
            questions: &serde_json::to_string(&questions).map_err(broken)?,
            by: officer,
            at: now - 10 * DAY,
        },
    )
    .await?;
    let notes = [
        "希望尽快开工",
        "一楼住户有顾虑",
        "",
        "费用按楼层分摊比较公平",
    ];
    for n in 0..60u32 {
        let answers = vec![
            // Most support it, as in the field reports' compounds that went ahead.
            Some(Answer::Number(
                [0, 0, 0, 0, 0, 1, 1, 2][rng.random_range(0..8)],
            )),
            Some(Answer::Choices(vec![
                rng.random_range(0..2),
                2 + rng.random_range(0..2),
            ])),
            Some(Answer::Number(rng.random_range(1..=5))),
            Some(notes[n as usize % notes.len()])
                .filter(|t| !t.is_empty())
                .map(|t| Answer::Text(t.into())),
        ];
        shanzhi_domain::participation::survey::check_answers(&questions, &answers)
            .map_err(broken)?;
        let respondent = format!("demo-respondent-{n}");
        let proxy = (n % 7 == 0).then_some((officer, "社区干部（演示）代填"));
        s::answer(
            tx,
            id,
            respondent.as_bytes(),
            &serde_json::to_string(&answers).map_err(broken)?,
            proxy,
            now - rng.random_range(0..9) * DAY,
        )
        .await?;
    }
    Ok(())
}

async fn write_opinions(tx: &mut Tx, community: &str, officer: i64, now: i64) -> Result<()> {
    use shanzhi_store::surveys as s;
    let letters = [
        (
            "建议小区增设电动车充电桩，免得有人飞线充电",
            Some("已列入下季度民生实事，届时公示选址"),
        ),
        ("北门口早高峰车辆乱停，孩子上学不安全", None),
        (
            "感谢网格员帮忙联系维修水管",
            Some("谢谢您的肯定，我们会继续努力"),
        ),
    ];
    for (i, (content, answer)) in letters.iter().enumerate() {
        let id = s::add_opinion(
            tx,
            community,
            content,
            "",
            None,
            &format!("YDEMO{i:06}"),
            now - (5 - i as i64) * DAY,
        )
        .await?;
        if let Some(a) = answer {
            s::handle_opinion(
                tx,
                id,
                shanzhi_domain::participation::OpinionStatus::Answered,
                a,
                None,
                (officer, "社区干部（演示）"),
                now - DAY,
            )
            .await?;
        }
    }
    Ok(())
}
