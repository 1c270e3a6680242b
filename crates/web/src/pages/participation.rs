//! Participation pages: the member's own (我的积分: register, declare service, claim and
//! complete wishes, spend points) and the community's desk (confirm registrations, verify
//! service, review and publish wishes, keep the 爱心超市, reverse postings, reconcile, and the
//! year's 双报到 record).

use super::registers::back;
use super::{Chrome, Flash, PageError, beijing, form_photos, render};
use crate::WebState;
use crate::assets::STYLE_PATH;
use crate::auth::{CsrfForm, CsrfMultipart, PageUser, Principal, csrf_token, new_secret};
use crate::download;
use crate::pages::{Path, Query};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use shanzhi_app::members::{self, ListKind, ListingInput, Registration, ServiceInput, UnitInput};
use shanzhi_app::members::{ListingRow, MemberRow, ServiceRow, UnitRow};
use shanzhi_app::opinions::OpinionRow;
use shanzhi_app::opinions::{self, Triage};
use shanzhi_app::points::{self, ItemInput, RedeemInput};
use shanzhi_app::points::{ItemRow, PostingRow, Reconciliation, StatementRow};
use shanzhi_app::policy::{Ask, Reach, Resource, Verb};
use shanzhi_app::wishes::{self, Acting, WishStep, WishView};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::participation::{
    MemberKind, OpinionStatus, PostingKind, ServiceCategory, ServiceStage, Standing, WishStage,
};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/me", get(me))
        .route("/me/register", post(register))
        .route("/me/services", post(declare))
        .route("/me/wishes/{id}", post(member_step))
        .route(
            "/me/wishes/{id}/complete",
            post(complete).layer(DefaultBodyLimit::disable()),
        )
        .route("/me/redeem", post(redeem_own))
        .route("/participation", get(desk))
        .route("/participation/members/{id}", post(decide))
        .route("/participation/services/{id}", post(verify))
        .route("/participation/wishes/{id}", post(staff_step))
        .route("/participation/items", post(add_item))
        .route("/participation/items/{id}/stock", post(restock))
        .route("/participation/redemptions", post(redeem_counter))
        .route("/participation/postings/{id}/reversal", post(reverse))
        .route("/participation/report.xlsx", get(report_xlsx))
        .route("/participation/opinions/{id}", post(triage))
        .route("/participation/units", post(add_unit))
        .route("/participation/wishes/{id}/photo", get(wish_photo))
        .route("/participation/units/{id}/listings", post(add_listing))
}

/// A suggested category: its code, and its likelihood as a percentage to show.
type Suggested = (String, String);

fn categories() -> Vec<(&'static str, &'static str)> {
    ServiceCategory::ALL
        .iter()
        .map(|c| (c.as_str(), c.label()))
        .collect()
}

/// A fresh idempotency key for a form: a resubmitted page posts once.
fn form_key() -> String {
    new_secret("f")
}

/// A wish as the pages list it.
struct WishLine {
    id: i64,
    title: String,
    category: &'static str,
    stage: WishStage,
    stage_label: &'static str,
    requester: String,
    phone: String,
    points: Option<i64>,
    deadline: String,
    done_note: String,
    has_photo: bool,
    /// Co-building units' resources that could meet it (三张清单 matching).
    resources: Vec<String>,
}

impl From<WishView> for WishLine {
    fn from(v: WishView) -> Self {
        let w = v.wish;
        WishLine {
            id: w.id,
            category: w.category.label(),
            stage: v.stage,
            stage_label: v.stage_label,
            requester: w.requester_name,
            phone: w.phone_masked,
            points: w.points,
            deadline: w
                .deadline_at
                .map(|d| beijing(d - 60_000))
                .unwrap_or_default(),
            done_note: w.done_note,
            has_photo: w.has_photo,
            resources: v
                .resources
                .into_iter()
                .map(|r| format!("{}：{}", r.unit_name, r.title))
                .collect(),
            title: w.title,
        }
    }
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    style: &'static str,
    chrome: Chrome,
    member: Option<MemberRow>,
    kind: &'static str,
    standing: &'static str,
    communities: Vec<(String, String)>,
    balance: i64,
    entries: Vec<(String, &'static str, String, String)>,
    open: Vec<WishLine>,
    mine: Vec<WishLine>,
    items: Vec<ItemRow>,
    categories: Vec<(&'static str, &'static str)>,
    today: String,
    key: String,
    flash: Flash,
}

/// 我的积分: a member's own page.
async fn me(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    if p.may(Resource::Participation, Verb::Read)? != Reach::Own {
        // “我的积分” is a member's own page; staff work the community's desk.
        return Ok((
            jar,
            axum::response::IntoResponse::into_response(Redirect::to("/participation")),
        ));
    }
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let member = members::own(&state, &p).await?;
    let mut page = MemberPage {
        style: STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        kind: "",
        standing: "",
        communities: Vec::new(),
        balance: 0,
        entries: Vec::new(),
        open: Vec::new(),
        mine: Vec::new(),
        items: Vec::new(),
        categories: categories(),
        today: state.clock().today().to_string(),
        key: form_key(),
        flash,
        member: None,
    };
    match member {
        None => {
            page.communities = members::communities_near(&state, &p).await?;
        }
        Some(m) => {
            page.kind = m.kind.label();
            page.standing = m.standing.label();
            if m.standing == Standing::Confirmed {
                let st = points::statement(&state, &p, None).await?;
                page.balance = st.balance;
                page.entries = statement_lines(st.entries);
                let (_, open, mine) = wishes::for_member(&state, &p).await?;
                page.open = open.into_iter().map(WishLine::from).collect();
                page.mine = mine.into_iter().map(WishLine::from).collect();
                page.items = points::items(&state, &p, None).await?;
            }
            page.member = Some(m);
        }
    }
    Ok((jar, render(&page)))
}

/// (when, kind, note, signed points).
fn statement_lines(rows: Vec<StatementRow>) -> Vec<(String, &'static str, String, String)> {
    rows.into_iter()
        .map(|e| {
            let amount = if e.amount > 0 {
                format!("+{}", e.amount)
            } else {
                e.amount.to_string()
            };
            (beijing(e.at), e.kind.label(), e.note, amount)
        })
        .collect()
}

#[derive(Deserialize)]
struct RegisterForm {
    community: String,
    kind: String,
    name: String,
    phone: String,
    #[serde(default)]
    employer: String,
    #[serde(default)]
    skills: String,
    commitment: String,
}

async fn register(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<RegisterForm>,
) -> Result<Redirect, PageError> {
    let r = Registration {
        community: f.community,
        kind: f
            .kind
            .parse::<MemberKind>()
            .ok()
            .unwrap_or(MemberKind::Volunteer),
        name: f.name,
        phone: f.phone,
        employer: f.employer,
        skills: f
            .skills
            .parse::<ServiceCategory>()
            .ok()
            .into_iter()
            .collect(),
        commitment: f.commitment,
    };
    let result = members::register(&state, &p, &r)
        .await
        .map(|_| "已报到，等待社区确认".to_owned());
    back("/me", result)
}

#[derive(Deserialize)]
struct ServiceForm {
    #[serde(default)]
    member_id: String,
    category: String,
    activity: String,
    served_on: String,
    minutes: String,
}

async fn declare(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<ServiceForm>,
) -> Result<Redirect, PageError> {
    let to = if p.may(Resource::Participation, Verb::Write)? == Reach::Own {
        "/me".to_owned()
    } else {
        "/participation".to_owned()
    };
    let input = ServiceInput {
        member_id: f.member_id.trim().parse().ok(),
        category: f
            .category
            .parse::<ServiceCategory>()
            .ok()
            .ok_or_else(|| PageError::BadRequest("请选择服务类别".into()))?,
        activity: f.activity,
        served_on: f.served_on,
        minutes: f.minutes.trim().parse().unwrap_or(0),
    };
    let result = members::declare(&state, &p, &input)
        .await
        .map(|_| "已申报，社区核实后积分到账".to_owned());
    back(&to, result)
}

#[derive(Deserialize)]
struct StepForm {
    action: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    reason: String,
}

impl StepForm {
    fn step(self) -> Result<WishStep, PageError> {
        Ok(match self.action.as_str() {
            "publish" => WishStep::Publish {
                points: self
                    .points
                    .trim()
                    .parse()
                    .map_err(|_| PageError::BadRequest("奖励积分须为整数".into()))?,
                deadline: self.deadline,
            },
            "decline" => WishStep::Decline {
                reason: self.reason,
            },
            "claim" => WishStep::Claim,
            "release" => WishStep::Release,
            "confirm" => WishStep::Confirm,
            "reopen" => WishStep::Reopen {
                reason: self.reason,
            },
            _ => return Err(PageError::BadRequest("未知的操作".into())),
        })
    }
}

fn done_message(step: &WishStep) -> &'static str {
    match step {
        WishStep::Publish { .. } => "已发布，等待党员志愿者认领",
        WishStep::Decline { .. } => "已不予采纳，居民可凭查询码看到原因",
        WishStep::Claim => "已认领，请在期限内完成",
        WishStep::Release => "已放弃认领，心愿重新开放",
        WishStep::Complete { .. } => "已提交完成，等待居民确认",
        WishStep::Confirm => "已确认，积分已发放",
        WishStep::Reopen { .. } => "已退回给志愿者",
    }
}

async fn step(
    state: &WebState,
    p: &Principal,
    id: i64,
    step: WishStep,
    to: &str,
) -> Result<Redirect, PageError> {
    let result = wishes::act(state, Acting::Account(p), id, &step, None)
        .await
        .map(|_| done_message(&step).to_owned());
    back(to, result)
}

async fn member_step(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StepForm>,
) -> Result<Redirect, PageError> {
    step(&state, &p, id, f.step()?, "/me").await
}

#[derive(Deserialize)]
struct CompleteForm {
    note: String,
}

async fn complete(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    upload: CsrfMultipart<CompleteForm>,
) -> Result<Redirect, PageError> {
    let photo = match form_photos(&state, &upload).await {
        Ok(mut photos) => photos.drain(..).next().map(|ph| ph.jpeg),
        Err(e) => return back("/me", Err(e)),
    };
    let s = WishStep::Complete {
        note: upload.form.note,
    };
    let result = wishes::act(&state, Acting::Account(&p), id, &s, photo)
        .await
        .map(|_| done_message(&s).to_owned());
    back("/me", result)
}

#[derive(Deserialize)]
struct RedeemForm {
    #[serde(default)]
    member_id: String,
    item_id: String,
    quantity: String,
    key: String,
}

async fn redeem(
    state: &WebState,
    p: &Principal,
    f: RedeemForm,
    to: &str,
) -> Result<Redirect, PageError> {
    let r = RedeemInput {
        member_id: f.member_id.trim().parse().ok(),
        item_id: f.item_id.trim().parse().unwrap_or(0),
        quantity: f.quantity.trim().parse().unwrap_or(0),
    };
    let result = points::redeem(state, p, &r, &f.key).await.map(|rc| {
        format!(
            "已兑换 {} × {}，扣 {} 分，余额 {} 分",
            rc.item.name, rc.quantity, rc.points, rc.balance
        )
    });
    back(to, result)
}

async fn redeem_own(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<RedeemForm>,
) -> Result<Redirect, PageError> {
    redeem(&state, &p, f, "/me").await
}

#[derive(Template)]
#[template(path = "participation.html")]
struct DeskPage {
    style: &'static str,
    chrome: Chrome,
    code: String,
    name: String,
    runs: bool,
    pending: Vec<MemberRow>,
    members: Vec<(MemberRow, &'static str, i64, i64, i64, bool)>,
    services: Vec<(ServiceRow, &'static str)>,
    wishes: Vec<WishLine>,
    items: Vec<ItemRow>,
    postings: Vec<(PostingRow, &'static str, String)>,
    books: Reconciliation,
    /// Opinions, each with when and, while new, the suggested category.
    opinions: Vec<(OpinionRow, String, Option<Suggested>)>,
    case_categories: Vec<(String, String)>,
    units: Vec<UnitLine>,
    categories: Vec<(&'static str, &'static str)>,
    year: i32,
    today: String,
    key: String,
    flash: Flash,
}

#[derive(Deserialize)]
struct DeskQuery {
    node: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

/// 群众参与: the community's desk.
async fn desk(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<DeskQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let asked = q
        .node
        .clone()
        .or_else(|| p.account.node_code.clone())
        .unwrap_or_default();
    let community = members::community_of(&state, &members::anywhere(&p.actor), &asked).await?;
    // Grid staff see their community's desk for the wishes of their grids.
    let seen = if p.actor.sees(&community.code) {
        community.code.clone()
    } else {
        asked.clone()
    };
    shanzhi_app::regions::visible(&state, &p.actor, &seen).await?;
    let code = community.code.clone();
    let year: i32 = members::this_year(state.clock().today());
    let runs = p.can(Resource::ParticipationDesk, Verb::Write);
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let report = if p.can(Resource::ParticipationDesk, Verb::Export) {
        members::year_report(&state, &p.actor, &seen, year).await?
    } else {
        Vec::new()
    };
    let page = DeskPage {
        style: STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        name: community.name,
        runs,
        pending: members::list(&state, &p.actor, &seen, Some(Standing::Pending)).await?,
        members: report
            .into_iter()
            .map(|l| {
                let kind = l.member.kind.label();
                (
                    l.member,
                    kind,
                    l.record.wishes,
                    l.record.activities,
                    l.record.minutes / 60,
                    l.met_minimum,
                )
            })
            .collect(),
        services: members::services(&state, &p.actor, &seen, Some(ServiceStage::Declared))
            .await?
            .into_iter()
            .map(|s| {
                let c = s.category.label();
                (s, c)
            })
            .collect(),
        wishes: matched(
            &state,
            &p.actor,
            wishes::list(&state, &p, &seen, None).await?,
        )
        .await?,
        items: if p.actor.sees(&code) {
            points::items(&state, &p, Some(&code)).await?
        } else {
            Vec::new()
        },
        postings: if runs {
            points::postings(&state, &p.actor, &code)
                .await?
                .into_iter()
                .take(50)
                .map(|r| {
                    let (k, at) = (r.kind.label(), beijing(r.at));
                    (r, k, at)
                })
                .collect()
        } else {
            Vec::new()
        },
        books: if runs {
            points::reconcile(&state, &p.actor, &code).await?
        } else {
            Reconciliation::default()
        },
        opinions: if runs {
            let choosable = shanzhi_app::cases::choosable(&state.categories().await?);
            let mut rows = Vec::new();
            for o in opinions::list(&state, &p.actor, &code).await? {
                let at = beijing(o.created_at);
                // The likeliest category, preselected for 转为事件 (the officer may change it).
                let suggested = match o.status {
                    OpinionStatus::New => shanzhi_app::suggest::suggest(&state, &p, &o.content)
                        .await
                        .ok()
                        .and_then(|s| {
                            s.categories
                                .into_iter()
                                .find(|g| choosable.iter().any(|(c, _)| *c == g.code))
                        })
                        .map(|g| (g.code, format!("{:.0}%", g.likelihood * 100.0))),
                    _ => None,
                };
                rows.push((o, at, suggested));
            }
            rows
        } else {
            Vec::new()
        },
        units: if runs {
            units_of(&state, &p.actor, &code).await?
        } else {
            Vec::new()
        },
        categories: categories(),
        case_categories: if runs {
            shanzhi_app::cases::choosable(&state.categories().await?)
        } else {
            Vec::new()
        },
        code,
        year,
        today: state.clock().today().plus(7).to_string(),
        key: form_key(),
        flash: Flash {
            notice: q.notice,
            error: q.error,
        },
    };
    Ok((jar, render(&page)))
}

fn desk_url(community: &str) -> String {
    format!("/participation?node={community}")
}

#[derive(Deserialize)]
struct DecideForm {
    confirm: String,
}

async fn decide(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<DecideForm>,
) -> Result<Redirect, PageError> {
    let m = members::decide(&state, &p.actor, id, f.confirm == "1").await;
    let to = m.as_ref().map_or_else(
        |_| "/participation".to_owned(),
        |m| desk_url(&m.community_code),
    );
    back(
        &to,
        m.map(|m| format!("{}：{}", m.name, m.standing.label())),
    )
}

#[derive(Deserialize)]
struct VerifyForm {
    approve: String,
    #[serde(default)]
    note: String,
    community: String,
}

async fn verify(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<VerifyForm>,
) -> Result<Redirect, PageError> {
    let result = members::verify(&state, &p, id, f.approve == "1", &f.note)
        .await
        .map(|s| match s.points {
            Some(pts) => format!("已核实，{} 获得 {pts} 积分", s.member_name),
            None => "已退回申报".to_owned(),
        });
    back(&desk_url(&f.community), result)
}

#[derive(Deserialize)]
struct StaffStepForm {
    community: String,
    #[serde(flatten)]
    step: StepForm,
}

async fn staff_step(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StaffStepForm>,
) -> Result<Redirect, PageError> {
    step(&state, &p, id, f.step.step()?, &desk_url(&f.community)).await
}

#[derive(Deserialize)]
struct ItemForm {
    community: String,
    name: String,
    price: String,
    stock: String,
}

async fn add_item(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<ItemForm>,
) -> Result<Redirect, PageError> {
    let i = ItemInput {
        community: f.community.clone(),
        name: f.name,
        price: f.price.trim().parse().unwrap_or(0),
        stock: f.stock.trim().parse().unwrap_or(-1),
    };
    let result = points::add_item(&state, &p, &i)
        .await
        .map(|i| format!("已上架：{}", i.name));
    back(&desk_url(&f.community), result)
}

#[derive(Deserialize)]
struct StockForm {
    community: String,
    delta: String,
    reason: String,
}

async fn restock(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<StockForm>,
) -> Result<Redirect, PageError> {
    let delta = f.delta.trim().parse().unwrap_or(0);
    let result = points::restock(&state, &p, id, delta, &f.reason)
        .await
        .map(|i| format!("{} 库存 {}", i.name, i.stock));
    back(&desk_url(&f.community), result)
}

#[derive(Deserialize)]
struct CounterForm {
    community: String,
    #[serde(flatten)]
    redeem: RedeemForm,
}

async fn redeem_counter(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<CounterForm>,
) -> Result<Redirect, PageError> {
    redeem(&state, &p, f.redeem, &desk_url(&f.community)).await
}

#[derive(Deserialize)]
struct ReverseForm {
    community: String,
    reason: String,
}

async fn reverse(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ReverseForm>,
) -> Result<Redirect, PageError> {
    let result = points::reverse(&state, &p, id, &f.reason)
        .await
        .map(|r| format!("已冲正（流水 {}）", r.id));
    back(&desk_url(&f.community), result)
}

#[derive(Deserialize)]
struct ReportQuery {
    node: Option<String>,
    year: Option<i32>,
}

/// The year's 双报到 record as a sheet for the members' employers (双报告).
async fn report_xlsx(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let node = p.node_or_own(q.node.as_deref())?;
    let year = q
        .year
        .unwrap_or_else(|| members::this_year(state.clock().today()));
    let lines = members::year_report(&state, &p.actor, &node, year).await?;
    let bytes = members::report_sheet(&lines, year)?;
    Ok(download::file(
        &format!("双报到服务台账-{node}-{year}.xlsx"),
        download::XLSX,
        bytes,
    ))
}

#[derive(Deserialize)]
struct TriageForm {
    community: String,
    action: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: String,
}

/// Answers an opinion, or turns it into a case.
async fn triage(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<TriageForm>,
) -> Result<Redirect, PageError> {
    let t = if f.action == "case" {
        Triage::Case {
            category: f.category,
            title: f.title,
            node: None,
        }
    } else {
        Triage::Answer { answer: f.answer }
    };
    let result = opinions::triage(&state, &p, id, &t)
        .await
        .map(|o| match o.case_id {
            Some(c) => format!("已转为事件（编号 {c}）"),
            None => "已答复，居民可凭查询码查看".to_owned(),
        });
    back(&desk_url(&f.community), result)
}

/// A co-building unit with its lists' entries: (list name, category, entry).
type UnitLine = (UnitRow, Vec<(&'static str, &'static str, ListingRow)>);

/// The community's co-building units, each with its lists' entries.
async fn units_of(
    state: &WebState,
    actor: &Actor,
    community: &str,
) -> Result<Vec<UnitLine>, PageError> {
    let members::Units { units, listings } = members::units(state, actor, community).await?;
    Ok(units
        .into_iter()
        .map(|u| {
            let mine = listings
                .iter()
                .filter(|l| l.unit_id == u.id)
                .map(|l| (l.list.label(), l.category.label(), l.clone()))
                .collect();
            (u, mine)
        })
        .collect())
}

#[derive(Deserialize)]
struct UnitForm {
    community: String,
    name: String,
    contact: String,
    phone: String,
    commitment: String,
}

/// Registers a co-building unit (the 共建协议 is signed in person).
async fn add_unit(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<UnitForm>,
) -> Result<Redirect, PageError> {
    let u = UnitInput {
        community: f.community.clone(),
        name: f.name,
        contact: f.contact,
        phone: f.phone,
        commitment: f.commitment,
    };
    let result = members::add_unit(&state, &p.actor, &u)
        .await
        .map(|u| format!("已登记共建单位：{}", u.name));
    back(&desk_url(&f.community), result)
}

#[derive(Deserialize)]
struct ListingForm {
    community: String,
    list: String,
    category: String,
    title: String,
    #[serde(default)]
    detail: String,
}

/// Adds an entry to a unit's 三张清单.
async fn add_listing(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ListingForm>,
) -> Result<Redirect, PageError> {
    let list = f.list.parse().unwrap_or(ListKind::Resource);
    let category = f
        .category
        .parse::<ServiceCategory>()
        .ok()
        .ok_or_else(|| PageError::BadRequest("请选择类别".into()))?;
    let l = ListingInput {
        list,
        category,
        title: f.title,
        detail: f.detail,
    };
    let result = members::add_listing(&state, &p.actor, id, &l)
        .await
        .map(|_| "已加入清单".to_owned());
    back(&desk_url(&f.community), result)
}

/// The desk's wishes, those still to be met carrying the units' resources of their category.
async fn matched(
    state: &WebState,
    actor: &Actor,
    views: Vec<WishView>,
) -> Result<Vec<WishLine>, PageError> {
    let mut found: std::collections::HashMap<(String, ServiceCategory), Vec<ListingRow>> =
        Default::default();
    let mut out = Vec::with_capacity(views.len());
    for mut v in views {
        if matches!(v.stage, WishStage::Submitted | WishStage::Published) {
            let key = (v.wish.community_code.clone(), v.wish.category);
            if !found.contains_key(&key) {
                let rows = members::resources_for(state, actor, &key.0, key.1.as_str()).await?;
                found.insert(key.clone(), rows);
            }
            v.resources = found.get(&key).cloned().unwrap_or_default();
        }
        out.push(WishLine::from(v));
    }
    Ok(out)
}

/// A wish's completion photo, for staff who see the wish and the member who took it.
async fn wish_photo(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    Ok(crate::api::photos::jpeg(
        wishes::photo(&state, &p, id).await?,
    )?)
}
