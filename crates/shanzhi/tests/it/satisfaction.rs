//! 满意率 as leaders are ranked by it: residents rate closed cases on their tracking page and
//! through the API with each of the three verdicts, and the dashboard, the monthly report and
//! the assessment all equal a recount from the case rows — each stored rating decoded as a
//! `Satisfaction` and counted by the domain's own rule, not by a copy of the trigger's SQL.

use crate::common::{TestApp, carry_to_closed, exec_sql, version};
use crate::pages::{browser_client, csrf_of};
use crate::pages_public::submit;
use crate::reports::{figure, report_sheet};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;
use shanzhi_app::assessment::MonthAssessment;
use shanzhi_app::dashboard::Dashboard;
use shanzhi_domain::case::{Day, Satisfaction};
use shanzhi_store::{Exec, Sql};

const GRID: &str = "450802001001002";
const COMMUNITY: &str = "450802001001";

/// A resident reports through the grid's QR page; returns the tracking code.
async fn report(app: &TestApp, c: &reqwest::Client, text: &str) -> String {
    let resp = submit(app, c, &[("category", "03"), ("description", text)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    crate::pages_public::tracking_of(&resp)
}

async fn id_of(app: &TestApp, tracking: &str) -> i64 {
    let mut conn = app.state().store().conn().await.unwrap();
    let (id,): (i64,) = conn
        .one(Sql::new("SELECT id FROM cases WHERE tracking_code = ?").bind(tracking))
        .await
        .unwrap();
    id
}

/// Rates on the tracking page, as a resident's phone would.
pub(crate) async fn rate_on_page(
    app: &TestApp,
    c: &reqwest::Client,
    tracking: &str,
    verdict: Satisfaction,
) {
    let html = c
        .get(format!("{}/t/{tracking}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let resp = c
        .post(format!("{}/t/{tracking}/rate", app.base))
        .form(&[
            ("_csrf", csrf_of(&html).as_str()),
            ("version", version.as_str()),
            ("satisfaction", verdict.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let to = resp.headers()[LOCATION].to_str().unwrap();
    assert!(to.contains("notice="), "{verdict:?} refused: {to}");
}

/// Rates through the JSON API with the tracking code.
async fn rate_by_api(app: &TestApp, tracking: &str, id: i64, verdict: Satisfaction) {
    let v = version(app, &app.token("sq01").await, id).await;
    let (s, out) = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/public/cases/{tracking}/rating"),
            None,
            Some(json!({"satisfaction": verdict, "version": v})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
}

/// (rated, satisfied) among the cases reported under `root` in the month, from the rows.
async fn recount(app: &TestApp, root: &str, month: &str) -> (i64, i64) {
    let first = Day::parse(&format!("{month}-01")).unwrap();
    let next = Day::parse(&format!("{}-01", &first.plus(31).to_string()[..7])).unwrap();
    let mut conn = app.state().store().conn().await.unwrap();
    let rows: Vec<(Option<String>,)> = conn
        .all(
            Sql::new(
                "SELECT satisfaction FROM cases WHERE node_code >= ? AND node_code < ? \
                 AND created_at >= ? AND created_at < ? AND stage <> 'merged'",
            )
            .bind(root)
            .bind(format!("{root}:"))
            .bind(first.start_ms())
            .bind(next.start_ms()),
        )
        .await
        .unwrap();
    let verdicts: Vec<Satisfaction> = rows
        .into_iter()
        .filter_map(|(s,)| s)
        .map(|s| s.parse().unwrap_or_else(|e| panic!("stored rating: {e}")))
        .collect();
    let satisfied = verdicts.iter().filter(|v| v.is_satisfied()).count();
    (verdicts.len() as i64, satisfied as i64)
}

#[tokio::test]
async fn every_rating_counts_alike_in_the_dashboard_the_report_and_the_assessment() {
    let app = TestApp::demo().await;
    let c = browser_client();
    let month = app.today().to_string()[..7].to_owned();
    let (rated_before, _) = recount(&app, GRID, &month).await;
    let (officer, worker) = (app.token("sq01").await, app.token("wg0102").await);
    for (i, verdict) in Satisfaction::ALL
        .iter()
        .chain(Satisfaction::ALL.iter())
        .enumerate()
    {
        let tracking = report(&app, &c, &format!("第{i}次：小区东门垃圾桶满溢")).await;
        let id = id_of(&app, &tracking).await;
        carry_to_closed(&app, &officer, &worker, id).await;
        if i < 3 {
            rate_on_page(&app, &c, &tracking, *verdict).await;
        } else {
            rate_by_api(&app, &tracking, id, *verdict).await;
        }
    }
    let (rated, satisfied) = recount(&app, GRID, &month).await;
    assert_eq!(rated, rated_before + 6, "six ratings were stored");

    // The dashboard, from the tallies the triggers keep.
    let centre = app.token("zhzx").await;
    for root in ["450802", COMMUNITY, GRID] {
        let (s, d) = app
            .get(
                &format!("/api/v1/dashboard?node={root}&month={month}"),
                &centre,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let d: Dashboard = serde_json::from_value(d).unwrap();
        let (rated, satisfied) = recount(&app, root, &month).await;
        assert_eq!(
            (d.cases.counts.rated, d.cases.counts.satisfied),
            (rated, satisfied),
            "{root}"
        );
        assert_eq!(
            d.cases.satisfaction_rate,
            (rated > 0).then(|| satisfied as f64 / rated as f64),
            "{root}"
        );
    }
    // Folded tallies say the same.
    shanzhi_store::dashboard::fold(app.state().store())
        .await
        .unwrap();
    let (_, d) = app
        .get(
            &format!("/api/v1/dashboard?node={GRID}&month={month}"),
            &centre,
        )
        .await;
    let d: Dashboard = serde_json::from_value(d).unwrap();
    assert_eq!(
        (d.cases.counts.rated, d.cases.counts.satisfied),
        (rated, satisfied)
    );

    // The monthly report.
    let rows = report_sheet(&app, &centre, GRID, &month).await;
    let (rate, note) = figure(&rows, "满意率");
    // A number cell: the rate as shown (to a tenth of a percent).
    let rate: f64 = rate.parse().expect("a number");
    assert!(
        (rate - satisfied as f64 / rated as f64).abs() < 0.0005 + 1e-9,
        "{rate} against {satisfied}/{rated}"
    );
    assert_eq!(note, format!("已评价 {rated}"));

    // The assessment: the grid's worker is measured on the same ratings.
    let (s, a) = app
        .get(
            &format!("/api/v1/assessment?node={COMMUNITY}&month={month}"),
            &app.token("sq01").await,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let a: MonthAssessment = serde_json::from_value(a).unwrap();
    let worker = a
        .workers
        .iter()
        .find(|w| w.grid == GRID)
        .expect("the grid's worker");
    assert_eq!(
        (worker.measured.rated, worker.measured.satisfied),
        (rated, satisfied)
    );
}

#[tokio::test]
async fn ratings_stored_in_the_old_spelling_are_repaired_by_the_migration() {
    // The repair is plain SQL in migration 0023; run it again on a row written the old way.
    let app = TestApp::demo().await;
    let mut conn = app.state().store().conn().await.unwrap();
    let (id,): (i64,) = conn
        .one(Sql::new(
            "SELECT id FROM cases WHERE satisfaction IS NOT NULL ORDER BY id LIMIT 1",
        ))
        .await
        .unwrap();
    drop(conn);
    exec_sql(
        &app,
        Sql::new("UPDATE cases SET satisfaction = 'basicallysatisfied' WHERE id = ?").bind(id),
    )
    .await;
    let migration = include_str!("../../../store/migrations/sqlite/0023_month_end.sql");
    let repair = migration
        .lines()
        .find(|l| l.starts_with("UPDATE cases SET satisfaction"))
        .expect("the repair statement");
    exec_sql(&app, Sql::new(repair.trim_end_matches(';'))).await;
    let (_, d) = app
        .get(&format!("/api/v1/cases/{id}"), &app.token("zhzx").await)
        .await;
    assert_eq!(d["case"]["satisfaction"], "basically_satisfied");
}
