//! Category and department suggestions for a report's text, learned from the district's own
//! closed cases (`shanzhi_domain::classify`): their final category after any 改类 — so a
//! human's choice is what is learned — and the kind of department that held them at closing.
//! A district with no history yet starts from the categories' names and seeded keywords,
//! which stay in the model as a light prior.
//!
//! Retraining is recorded as a run (nightly, or when an administrator asks) with the cutoff
//! it learned to; every process keeps its own copy of the models (`kept`) and rebuilds it
//! from the same rows when it sees a newer run, so all processes suggest the same.

use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use shanzhi_domain::case::keywords;
use shanzhi_domain::classify::{Model, Trainer};
use shanzhi_store::cases::CategoryRow;
pub use shanzhi_store::classifier::Run;
use shanzhi_store::classifier::{self as store, Learned};
use std::sync::Arc;

/// The month each run holds out to measure itself on.
const HELD_OUT_MS: i64 = 30 * 24 * 3_600_000;
/// How often the models are retrained without being asked.
const NIGHTLY_MS: i64 = 24 * 3_600_000;
/// Who the nightly run is recorded as.
const NIGHTLY: &str = "每日自动";
/// What the department model answers for a matter a grid or community handles itself.
const NO_DEPARTMENT: &str = "";

/// The models a process suggests with, and the run they come from (None: cold start).
pub struct Models {
    run: Option<Run>,
    category: Model,
    department: Model,
}

/// Where a process keeps its models.
pub type Slot = crate::kept::Kept<Models>;

/// Learns both models — category, department — from the categories' keywords and `cases`.
pub fn learn(categories: &[CategoryRow], cases: &[Learned]) -> (Model, Model) {
    let (mut category, mut department) = (Trainer::new(), Trainer::new());
    for c in categories {
        let kind = c.department_kind.as_deref().unwrap_or(NO_DEPARTMENT);
        for word in std::iter::once(c.name.as_str()).chain(keywords(&c.code).split_whitespace()) {
            category.add(word, &c.code, 1.0);
            department.add(word, kind, 1.0);
        }
    }
    for (title, description, code, kind, _) in cases {
        let text = format!("{title} {description}");
        category.add(&text, code, 1.0);
        department.add(&text, kind.as_deref().unwrap_or(NO_DEPARTMENT), 1.0);
    }
    (category.finish(), department.finish())
}

/// How a category model does on `cases` it has not seen: (cases, first right, one of three
/// right).
pub fn score(model: &Model, cases: &[Learned]) -> (i64, i64, i64) {
    let (mut top1, mut top3) = (0, 0);
    for (title, description, code, _, _) in cases {
        let s = model.suggest(&format!("{title} {description}"), 3);
        top1 += i64::from(s.guesses.first().is_some_and(|g| &g.label == code));
        top3 += i64::from(s.guesses.iter().any(|g| &g.label == code));
    }
    (cases.len() as i64, top1, top3)
}

/// The cases (oldest first) closed in the month before `cutoff`: where a run's held-out month
/// begins.
pub fn held_out_from(cases: &[Learned], cutoff: i64) -> usize {
    cases.partition_point(|c| c.4 <= cutoff - HELD_OUT_MS)
}

/// How a model learned from the cases closed before the last month does on that month:
/// (held out, first right, one of three right).
fn measure(categories: &[CategoryRow], cases: &[Learned], cutoff: i64) -> (i64, i64, i64) {
    let split = held_out_from(cases, cutoff);
    score(&learn(categories, &cases[..split]).0, &cases[split..])
}

/// Runs `work` on a blocking thread: training a city's history takes seconds.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// The current models.
async fn models(state: &App) -> Result<Arc<Models>, AppError> {
    let latest =
        || async { Ok::<_, AppError>(store::latest(&mut state.store().conn().await?).await?) };
    state
        .suggest_slot()
        .get(
            || async { Ok(vec![latest().await?.map_or(0, |r| r.id)]) },
            |_| async {
                let run = latest().await?;
                let cases = match &run {
                    Some(r) => {
                        store::closed_cases(&mut state.store().conn().await?, r.cutoff).await?
                    }
                    None => Vec::new(),
                };
                let categories = state.categories().await?;
                let (category, department) = blocking(move || learn(&categories, &cases)).await?;
                tracing::info!(cases = category.learned_from(), "suggestion models learned");
                Ok(Models {
                    run,
                    category,
                    department,
                })
            },
        )
        .await
}

/// Retrains on every case closed until now, measuring on the last month first; records the
/// run (other processes pick it up within seconds).
async fn retrain_as(state: &App, who: Option<crate::audit::Actor>) -> Result<Run, AppError> {
    let requested_by = who.as_ref().map_or(NIGHTLY, |w| w.label.as_str());
    let now = state.now_ms();
    let cases = store::closed_cases(&mut state.store().conn().await?, now).await?;
    let categories = state.categories().await?;
    let count = cases.len() as i64;
    let (held_out, top1, top3) = blocking(move || measure(&categories, &cases, now)).await?;
    let mut run = Run {
        id: 0,
        cutoff: now,
        cases: count,
        held_out,
        top1,
        top3,
        requested_by: requested_by.to_owned(),
        created_at: now,
    };
    let mut tx = state.store().begin().await?;
    run.id = store::insert(&mut tx, &run).await?;
    if let Some(who) = &who {
        let entry = crate::audit::entry(
            now,
            who,
            "classifier.retrain",
            format!("classifier_run:{}", run.id),
            None,
            serde_json::json!({"cases": count, "held_out": held_out, "top1": top1, "top3": top3}),
        );
        crate::audit::record(&mut tx, [entry]);
    }
    tx.commit().await?;
    state.suggest_slot().recheck();
    models(state).await?;
    Ok(run)
}

/// `POST /api/v1/classifier/retrain`: an administrator retrains now.
pub async fn retrain(state: &App, k: &Principal) -> Result<Run, AppError> {
    k.may(Resource::Category, Verb::Write)?;
    retrain_as(state, Some(crate::audit::Actor::of(k))).await
}

/// The nightly retraining, when the last run is a day old (or there is none); the worker
/// calls it every hour, and several processes calling it at once at worst train twice.
pub async fn retrain_if_due(state: &App) -> Result<Option<Run>, AppError> {
    let latest = store::latest(&mut state.store().conn().await?).await?;
    if latest.is_some_and(|r| r.created_at > state.now_ms() - NIGHTLY_MS) {
        return Ok(None);
    }
    retrain_as(state, None).await.map(Some)
}

/// `GET /api/v1/classifier`: the latest run (None before the first).
pub async fn latest_run(state: &App, k: &Principal) -> Result<Option<Run>, AppError> {
    k.may(Resource::Category, Verb::Read)?;
    Ok(models(state).await?.run.clone())
}

/// A suggested category.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CategoryGuess {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Likelihood, 0 to 1.
    pub likelihood: f64,
}

/// A suggested department kind.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DepartmentGuess {
    /// The kind (城管, 派出所 …); None: the grid or community handles it.
    pub kind: Option<String>,
    /// Likelihood, 0 to 1.
    pub likelihood: f64,
}

/// The suggestions for one text, with why.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Suggested {
    /// The three likeliest categories, best first.
    pub categories: Vec<CategoryGuess>,
    /// The three likeliest departments, best first.
    pub departments: Vec<DepartmentGuess>,
    /// The text's words that weighed most for the first category.
    pub words: Vec<String>,
    /// How many closed cases the models learned from (0: the seeded keywords only).
    pub learned_from: i64,
}

/// Suggests for a text with the current models; categories no longer listed are left out.
/// Only the first 2,000 characters are read: what decides the kind of matter comes early, and
/// a case's description may be twice that long.
pub(crate) async fn for_text(state: &App, text: &str) -> Result<Suggested, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::bad("invalid_text", "请填写事项内容"));
    }
    let text: String = text.chars().take(2_000).collect();
    let models = models(state).await?;
    let listed = state.categories().await?;
    let found = models.category.suggest(&text, listed.len());
    let categories = found
        .guesses
        .iter()
        .filter_map(|g| {
            listed
                .iter()
                .find(|c| c.code == g.label)
                .map(|c| CategoryGuess {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    likelihood: g.likelihood,
                })
        })
        .take(3)
        .collect();
    let departments = models
        .department
        .suggest(&text, 3)
        .guesses
        .into_iter()
        .map(|g| DepartmentGuess {
            kind: Some(g.label).filter(|k| k != NO_DEPARTMENT),
            likelihood: g.likelihood,
        })
        .collect();
    Ok(Suggested {
        categories,
        departments,
        words: found.words,
        learned_from: models.run.as_ref().map_or(0, |r| r.cases),
    })
}

/// `GET /api/v1/classify`: suggestions for staff who file or sort cases.
pub async fn suggest(state: &App, k: &Principal, text: &str) -> Result<Suggested, AppError> {
    k.may(Resource::Case, Verb::Write)?;
    for_text(state, text).await
}

/// The resident page's suggestions: the categories only (what departments the district
/// uses is not the public's business), under the page's own rate limit.
pub async fn suggest_public(state: &App, text: &str) -> Result<Vec<CategoryGuess>, AppError> {
    Ok(for_text(state, text).await?.categories)
}
