//! Survey pages: the resident's form reached by QR code (/s/{id}: a one-time code for phone
//! surveys, a device cookie for device surveys), and the staff's list, builder, live results
//! with charts, QR poster, 代填 form and export.

use super::charts::bars_svg;
use super::poster::{qr, svg_of};
use super::registers::back;
use super::{Chrome, Flash, PageError, beijing, render};
use crate::assets::STYLE_PATH;
use crate::auth::{CsrfForm, PageUser, csrf_token, new_secret};
use crate::pages::{Path, Query};
use crate::{WebState, download};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use shanzhi_app::AppError;
use shanzhi_app::surveys::{self as svc, Mode, Respondent, SurveyInput, SurveyView};
use shanzhi_domain::case::Day;
use shanzhi_domain::participation::survey::{
    Answer, Question, QuestionKind, parse_lines, to_lines,
};
use std::collections::HashMap;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/s/{id}", get(form).post(submit))
        .route("/s/{id}/code", post(code))
        .route("/surveys", get(list).post(create))
        .route("/surveys/{id}", get(detail))
        .route("/surveys/{id}/questions", post(edit))
        .route("/surveys/{id}/close", post(close))
        .route("/surveys/{id}/proxy", post(proxy))
        .route("/surveys/{id}/answers.xlsx", get(export))
}

/// The cookie that makes a device's answer one per device.
const DEVICE_COOKIE: &str = "sz_device";

/// A question as the forms draw it: its number, kind and options, and what was answered when
/// the form comes back (a wrong code, a code just sent), so nothing typed is lost.
struct Field {
    n: usize,
    q: Question,
    given: Option<Answer>,
}

impl Field {
    /// Whether option (or rating) `i` was chosen.
    fn chose(&self, i: &usize) -> bool {
        match &self.given {
            Some(Answer::Number(n)) => n == i,
            Some(Answer::Choices(c)) => c.contains(i),
            _ => false,
        }
    }

    /// The text typed.
    fn typed(&self) -> &str {
        match &self.given {
            Some(Answer::Text(t)) => t,
            _ => "",
        }
    }
}

fn fields(questions: Vec<Question>, given: Vec<Option<Answer>>) -> Vec<Field> {
    let mut given = given.into_iter();
    questions
        .into_iter()
        .enumerate()
        .map(|(n, q)| Field {
            n,
            q,
            given: given.next().flatten(),
        })
        .collect()
}

/// Reads the answers out of a form's `q{n}` (and `q{n}_{option}` for multiple choice) fields.
fn answers_of(questions: &[Question], form: &HashMap<String, String>) -> Vec<Option<Answer>> {
    questions
        .iter()
        .enumerate()
        .map(|(n, q)| {
            let value = form
                .get(&format!("q{n}"))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty());
            match q.kind {
                QuestionKind::Single | QuestionKind::Rating => {
                    value.and_then(|v| v.parse().ok()).map(Answer::Number)
                }
                QuestionKind::Multiple => {
                    let chosen: Vec<usize> = (0..q.options.len())
                        .filter(|o| form.contains_key(&format!("q{n}_{o}")))
                        .collect();
                    (!chosen.is_empty()).then_some(Answer::Choices(chosen))
                }
                QuestionKind::Text => value.map(|v| Answer::Text(v.to_owned())),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    style: &'static str,
    csrf: String,
    survey: SurveyView,
    fields: Vec<Field>,
    phone_mode: bool,
    phone: String,
    window: String,
    /// Whom to call instead of typing.
    contacts: Vec<super::contacts::Contact>,
    flash: Flash,
    /// Answered: the thanks, without the form.
    done: bool,
    /// A code was sent: the form asks for it, as typed so far.
    code_sent: bool,
    code: String,
}

fn window_text(v: &SurveyView) -> String {
    format!(
        "{} 至 {}",
        beijing(v.survey.opens_at),
        beijing(v.survey.closes_at - 60_000)
    )
}

/// What the resident's form page shows: the answers and phone as typed (`typed`), and the
/// outcome of what was just done.
struct Shown {
    typed: HashMap<String, String>,
    flash: Flash,
    done: bool,
    code_sent: bool,
}

/// The resident's page, with a device cookie for one-answer-per-device surveys. Everything is
/// answered on this page (never by a redirect), so a refused code keeps every answer and the
/// phone number stays out of the address bar.
async fn survey_page(
    state: &WebState,
    jar: CookieJar,
    survey: SurveyView,
    shown: Shown,
) -> Result<(CookieJar, Response), AppError> {
    let (mut jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    if jar.get(DEVICE_COOKIE).is_none() {
        let c = Cookie::build((DEVICE_COOKIE, new_secret("d")))
            .path("/s")
            .http_only(true)
            .secure(state.settings().secure_cookies)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::days(365))
            .build();
        jar = jar.add(c);
    }
    let given = if shown.done {
        Vec::new()
    } else {
        answers_of(&survey.questions, &shown.typed)
    };
    let page = SurveyPage {
        contacts: super::contacts::of(state, &survey.survey.node_code).await?,
        style: STYLE_PATH.as_str(),
        csrf,
        phone_mode: survey.survey.mode == Mode::Phone,
        window: window_text(&survey),
        fields: fields(survey.questions.clone(), given),
        survey,
        phone: shown.typed.get("phone").cloned().unwrap_or_default(),
        code: shown.typed.get("code").cloned().unwrap_or_default(),
        flash: shown.flash,
        done: shown.done,
        code_sent: shown.code_sent,
    };
    Ok((jar, render(&page)))
}

async fn form(
    State(state): State<WebState>,
    jar: CookieJar,
    Path(id): Path<i64>,
) -> Result<(CookieJar, Response), PageError> {
    let survey = svc::public(&state, id).await?;
    let shown = Shown {
        typed: HashMap::new(),
        flash: Flash::default(),
        done: false,
        code_sent: false,
    };
    Ok(survey_page(&state, jar, survey, shown).await?)
}

async fn throttled(state: &WebState, addr: &crate::client::Client) -> Result<(), PageError> {
    state
        .allow_survey(&addr.ip().to_string())
        .await
        .map_err(Into::into)
}

/// 获取验证码, pressed inside the answer form: the page comes back with everything typed.
async fn code(
    State(state): State<WebState>,
    addr: crate::client::Client,
    jar: CookieJar,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> Result<(CookieJar, Response), PageError> {
    throttled(&state, &addr).await?;
    let survey = svc::public(&state, id).await?;
    let phone = f.get("phone").cloned().unwrap_or_default();
    let (flash, code_sent) = match svc::send_code(&state, id, &phone, &addr.ip().to_string()).await
    {
        Ok(()) => (
            Flash::said("验证码已发送，请查看短信，填好后点“提交”"),
            true,
        ),
        Err(AppError::RateLimited(s)) => (
            Flash::failed(format!("验证码已发送，请 {s} 秒后再获取")),
            true,
        ),
        Err(e) => (Flash::failed(e.to_string()), false),
    };
    let shown = Shown {
        typed: f,
        flash,
        done: false,
        code_sent,
    };
    Ok(survey_page(&state, jar, survey, shown).await?)
}

async fn submit(
    State(state): State<WebState>,
    addr: crate::client::Client,
    jar: CookieJar,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> Result<(CookieJar, Response), PageError> {
    throttled(&state, &addr).await?;
    let survey = svc::public(&state, id).await?;
    let answers = answers_of(&survey.questions, &f);
    let phone = f.get("phone").cloned().unwrap_or_default();
    let code = f.get("code").cloned().unwrap_or_default();
    let device = jar
        .get(DEVICE_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let from = addr.ip().to_string();
    let who = if survey.survey.mode == Mode::Phone {
        Respondent::Phone {
            phone: &phone,
            code: &code,
        }
    } else {
        Respondent::Device {
            token: &device,
            from: &from,
        }
    };
    let shown = match svc::answer(&state, id, who, &answers).await {
        Ok(_) => Shown {
            typed: HashMap::new(),
            flash: Flash::said("提交成功，感谢您的参与！"),
            done: true,
            code_sent: false,
        },
        Err(e) => {
            // A stale code is the commonest refusal after a long form: say the answers wait.
            let said = match &e {
                AppError::BadRequest { code, .. } if *code == "invalid_code" => {
                    "验证码不对或已过期。您填写的答案都还在：请点“重新获取验证码”，收到新的验证码后填入再提交"
                        .to_owned()
                }
                _ => e.to_string(),
            };
            Shown {
                code_sent: f.contains_key("code"),
                typed: f,
                flash: Flash::failed(said),
                done: false,
            }
        }
    };
    Ok(survey_page(&state, jar, survey, shown).await?)
}

#[derive(Template)]
#[template(path = "surveys.html")]
struct ListPage {
    style: &'static str,
    chrome: Chrome,
    node: String,
    surveys: Vec<(SurveyView, String)>,
    closes: String,
    flash: Flash,
}

#[derive(Deserialize)]
struct ListQuery {
    node: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn list(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    jar: CookieJar,
    Query(q): Query<ListQuery>,
) -> Result<(CookieJar, Response), PageError> {
    let node = p.node_or_own(q.node.as_deref())?;
    let surveys = svc::list(&state, &p, &node)
        .await?
        .into_iter()
        .map(|v| {
            let w = window_text(&v);
            (v, w)
        })
        .collect();
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = ListPage {
        style: STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        node,
        surveys,
        closes: state.clock().today().plus(14).to_string(),
        flash: Flash {
            notice: q.notice,
            error: q.error,
        },
    };
    Ok((jar, render(&page)))
}

#[derive(Deserialize)]
struct BuilderForm {
    node: String,
    title: String,
    #[serde(default)]
    intro: String,
    mode: String,
    closes: String,
    questions: String,
}

async fn create(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    CsrfForm(f): CsrfForm<BuilderForm>,
) -> Result<Redirect, PageError> {
    let back_to = format!("/surveys?node={}", f.node);
    let questions = match parse_lines(&f.questions) {
        Ok(q) => q,
        Err(e) => {
            return back(
                &back_to,
                Err(AppError::bad("invalid_survey", e.to_string())),
            );
        }
    };
    let input = SurveyInput {
        node: f.node,
        title: f.title,
        intro: f.intro,
        mode: if f.mode == "phone" {
            Mode::Phone
        } else {
            Mode::Device
        },
        opens: None,
        closes: f.closes,
        questions,
    };
    match svc::create(&state, &p, &input).await {
        Ok(v) => back(
            &format!("/surveys/{}", v.survey.id),
            Ok("问卷已发布，可打印二维码张贴".into()),
        ),
        Err(e) => back(&back_to, Err(e)),
    }
}

#[derive(Template)]
#[template(path = "survey_results.html")]
struct ResultsPage {
    style: &'static str,
    chrome: Chrome,
    survey: SurveyView,
    window: String,
    url: String,
    qr: String,
    responses: u64,
    by_proxy: u64,
    charts: Vec<(String, &'static str, u64, String, Option<String>)>,
    fields: Vec<Field>,
    lines: String,
    closes: String,
    flash: Flash,
}

async fn detail(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    client: crate::client::Client,
    jar: CookieJar,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Result<(CookieJar, Response), PageError> {
    let r = svc::results(&state, &p, id).await?;
    let url = format!("{}/s/{id}", state.public_base(&client));
    let (jar, csrf) = csrf_token(jar, state.settings().secure_cookies);
    let page = ResultsPage {
        style: STYLE_PATH.as_str(),
        chrome: Chrome::new(&p, csrf),
        window: window_text(&r.survey),
        qr: svg_of(&qr(&url)?),
        url,
        responses: r.responses,
        by_proxy: r.by_proxy,
        charts: r
            .questions
            .into_iter()
            .map(|q| {
                let chart = if q.counts.is_empty() {
                    String::new()
                } else {
                    bars_svg(&q.counts)
                };
                (
                    q.title,
                    q.kind.label(),
                    q.answered,
                    chart,
                    q.mean.map(|m| format!("{m:.2}")),
                )
            })
            .collect(),
        fields: fields(r.survey.questions.clone(), Vec::new()),
        lines: to_lines(&r.survey.questions),
        closes: Day::of(r.survey.survey.closes_at - 60_000).to_string(),
        survey: r.survey,
        flash,
    };
    Ok((jar, render(&page)))
}

#[derive(Deserialize)]
struct EditForm {
    closes: String,
    questions: String,
}

async fn edit(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<EditForm>,
) -> Result<Redirect, PageError> {
    let to = format!("/surveys/{id}");
    let current = svc::visible(&state, &p, id).await?;
    let questions = match parse_lines(&f.questions) {
        Ok(q) => q,
        Err(e) => return back(&to, Err(AppError::bad("invalid_survey", e.to_string()))),
    };
    let s = current.survey;
    let input = SurveyInput {
        node: s.node_code,
        title: s.title,
        intro: s.intro,
        mode: if s.mode == Mode::Phone {
            Mode::Phone
        } else {
            Mode::Device
        },
        opens: Some(Day::of(s.opens_at).to_string()),
        closes: f.closes,
        questions,
    };
    back(
        &to,
        svc::update(&state, &p, id, &input)
            .await
            .map(|_| "已保存".to_owned()),
    )
}

async fn close(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> Result<Redirect, PageError> {
    back(
        &format!("/surveys/{id}"),
        svc::close(&state, &p, id)
            .await
            .map(|_| "问卷已结束".to_owned()),
    )
}

async fn proxy(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> Result<Redirect, PageError> {
    let survey = svc::visible(&state, &p, id).await?;
    let answers = answers_of(&survey.questions, &f);
    let phone = f.get("phone").cloned().unwrap_or_default();
    let who = Respondent::Proxy {
        by: &p,
        phone: &phone,
    };
    back(
        &format!("/surveys/{id}"),
        svc::answer(&state, id, who, &answers)
            .await
            .map(|_| "已代填一份".to_owned()),
    )
}

async fn export(
    State(state): State<WebState>,
    PageUser(p): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (name, bytes) = svc::export(&state, &p, id).await?;
    Ok(download::file(&name, download::XLSX, bytes))
}
