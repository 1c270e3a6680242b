//! The monthly report: xlsx and PDF over the API and from the command line, with the same
//! figures as the dashboard; bad formats and future months refused.

use crate::common::{TestApp, carry_to_closed, error_code, step};
use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::json;
use shanzhi_domain::case::Day;

fn last_month(app: &TestApp) -> String {
    let today = app.today().to_string();
    let first = Day::parse(&format!("{}-01", &today[..7])).unwrap();
    first.plus(-1).to_string()[..7].to_owned()
}

pub async fn download(app: &TestApp, token: &str, query: &str) -> (StatusCode, String, Vec<u8>) {
    let r = app
        .client
        .get(format!("{}/api/v1/reports/monthly?{query}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, r.bytes().await.unwrap().to_vec())
}

/// The cells of the 月报 sheet of a node's report for `month`, row by row.
pub async fn report_sheet(app: &TestApp, token: &str, node: &str, month: &str) -> Vec<Vec<String>> {
    let (s, _, xlsx) = download(
        app,
        token,
        &format!("node={node}&month={month}&format=xlsx"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&xlsx));
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("月报").unwrap();
    sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// The value and note beside a figure's name in the report.
pub fn figure<'a>(rows: &'a [Vec<String>], name: &str) -> (&'a str, &'a str) {
    let row = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == name))
        .unwrap_or_else(|| panic!("no row {name}"));
    (
        row.get(1).map_or("", String::as_str),
        row.get(2).map_or("", String::as_str),
    )
}

/// Pages in a PDF (each page object is written once).
fn pdf_pages(pdf: &[u8]) -> usize {
    pdf.windows(10).filter(|w| w == b"/Type/Page").count()
        - pdf.windows(11).filter(|w| w == b"/Type/Pages").count()
}

#[tokio::test]
async fn the_monthly_report_comes_as_xlsx_and_pdf_with_the_dashboards_figures() {
    let keys = shanzhi_store::vault::Vault::generate();
    let app = TestApp::demo_with_keys(&keys).await;
    let centre = app.token("zhzx").await;
    let month = last_month(&app);
    let (_, d) = app
        .get(
            &format!("/api/v1/dashboard?node=450802&month={month}"),
            &centre,
        )
        .await;

    let (s, kind, xlsx) = download(
        &app,
        &centre,
        &format!("node=450802&month={month}&format=xlsx"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&xlsx));
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("月报").unwrap();
    let cell = |r: usize, c: usize| {
        sheet
            .get((r, c))
            .cloned()
            .unwrap_or(Data::Empty)
            .to_string()
    };
    assert_eq!(cell(0, 0), format!("港北区 {month} 网格化服务管理月报"));
    let row = (0..sheet.height())
        .find(|r| cell(*r, 0) == "事件受理")
        .expect("事件受理 row");
    assert_eq!(cell(row, 1), d["cases"]["received"].to_string());
    let children: Vec<String> = (0..sheet.height()).map(|r| cell(r, 0)).collect();
    for street in ["贵城街道", "港城街道", "大圩镇"] {
        assert!(
            children.iter().any(|c| c == street),
            "{street} in the per-child table"
        );
    }
    // Rates are numbers (a fraction shown as a percentage), so Excel can sort and chart them.
    let rate_row = (0..sheet.height())
        .find(|r| cell(*r, 0) == "满意率")
        .expect("满意率 row");
    match sheet.get((rate_row, 1)) {
        Some(Data::Float(v)) => assert!((0.0..=1.0).contains(v), "{v}"),
        Some(Data::String(s)) => assert_eq!(s, "—", "no ratings: a dash"),
        other => panic!("满意率 is {other:?}"),
    }
    let trend = book.worksheet_range("每日趋势").unwrap();
    assert_eq!(trend.height(), 1 + d["trend"].as_array().unwrap().len());
    // Days are date cells: the first is the month's first day.
    let first = time::Date::parse(
        &format!("{month}-01"),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap();
    let serial = (first - time::macros::date!(1899 - 12 - 30)).whole_days() as f64;
    match trend.get((1, 0)) {
        Some(Data::DateTime(d)) => assert_eq!(d.as_f64(), serial),
        other => panic!("the trend's day is {other:?}"),
    }

    let (s, kind, pdf) = download(
        &app,
        &centre,
        &format!("node=450802&month={month}&format=pdf"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(kind, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        pdf_pages(&pdf) >= 2,
        "figures, trend, tables and ranking over pages"
    );

    for (query, code) in [
        (
            format!("node=450802&month={month}&format=doc"),
            "invalid_format",
        ),
        ("node=450802&month=2999-01".to_owned(), "future_period"),
    ] {
        let (s, _, body) = download(&app, &centre, &query).await;
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (s, error_code(&body)),
            (StatusCode::BAD_REQUEST, code),
            "{query}"
        );
    }
    let (s, _, _) = download(
        &app,
        &app.token("sq02").await,
        &format!("node=450802001001&month={month}"),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "out of scope");
    let (s, _, _) = download(
        &app,
        &app.token("zy01").await,
        &format!("node=450802001001&month={month}"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a volunteer has no figures");

    // The command line writes both files.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (ok, said) = crate::cli::shanzhi_beside(
        &[
            "report",
            "--node",
            "450802001",
            "--month",
            &month,
            "--as",
            "zhzx",
            "--out",
            out,
        ],
        app.db_url(),
        "",
        &[("SHANZHI_KEYS", keys.as_str())],
    )
    .await;
    assert!(ok, "{said}");
    for ext in ["xlsx", "pdf"] {
        let path = dir.path().join(format!("贵城街道-{month}-月报.{ext}"));
        assert!(
            std::fs::metadata(&path)
                .map(|m| m.len() > 1000)
                .unwrap_or(false),
            "{}",
            path.display()
        );
    }
}

/// Cases under `root` open at the instant `at`, and of those overdue then, recounted from the
/// rows: each case's stage is that of its last timeline entry before `at`; its deadlines and
/// suspension, those of its last deadline record before `at`.
async fn open_at(app: &TestApp, root: &str, at: i64) -> (Vec<i64>, Vec<i64>) {
    use shanzhi_domain::case::Stage;
    use shanzhi_store::{Exec, Sql};
    let mut conn = app.state().store().conn().await.unwrap();
    let cases: Vec<(i64,)> = conn
        .all(
            Sql::new(
                "SELECT id FROM cases WHERE node_code >= ? AND node_code < ? AND created_at < ?",
            )
            .bind(root)
            .bind(format!("{root}:"))
            .bind(at),
        )
        .await
        .unwrap();
    let (mut open, mut overdue) = (Vec::new(), Vec::new());
    for (id,) in cases {
        let events: Vec<(i64, i64, String)> = conn
            .all(Sql::new("SELECT id, at, to_stage FROM case_events WHERE case_id = ?").bind(id))
            .await
            .unwrap();
        let Some((_, _, stage)) = events
            .into_iter()
            .filter(|e| e.1 < at)
            .max_by_key(|e| (e.1, e.0))
        else {
            continue;
        };
        let stage: Stage = stage.parse().unwrap();
        if !matches!(
            stage,
            Stage::Reported | Stage::Accepted | Stage::Dispatched | Stage::InProgress
        ) {
            continue;
        }
        open.push(id);
        let deadlines: Vec<(i64, i64, i64, i64, Option<i64>)> = conn
            .all(
                Sql::new(
                    "SELECT id, at, accept_due, handle_due, suspended_at FROM case_deadlines \
                     WHERE case_id = ?",
                )
                .bind(id),
            )
            .await
            .unwrap();
        let (_, _, accept_due, handle_due, suspended) = deadlines
            .into_iter()
            .filter(|d| d.1 < at)
            .max_by_key(|d| (d.1, d.0))
            .expect("deadlines");
        let due = if stage == Stage::Reported {
            accept_due
        } else {
            handle_due
        };
        if suspended.unwrap_or(at) > due {
            overdue.push(id);
        }
    }
    (open, overdue)
}

#[tokio::test]
async fn a_month_that_has_ended_reports_what_was_open_at_its_end() {
    use shanzhi_app::boot::Demo;
    use shanzhi_app::{AppConfig, Clock};
    use shanzhi_domain::case::Day;
    let oct30 = Day::parse("2026-10-30").unwrap().start_ms() + 10 * 3_600_000;
    let app = TestApp::start(
        Demo::Registers,
        AppConfig {
            clock: Clock::starting_at(oct30),
            ..Default::default()
        },
        Default::default(),
    )
    .await;
    let centre = app.token("zhzx").await;
    let officer = app.token("sq01").await;
    let worker = app.token("wg0102").await;
    let file = |title: &'static str| {
        let (app, worker) = (&app, &worker);
        async move {
            let (s, c) = app
                .post(
                    "/api/v1/cases",
                    worker,
                    json!({"category": "03", "title": title, "description": title,
                           "node_code": "450802001001002"}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{c}");
            c["id"].as_i64().unwrap()
        }
    };
    // Waits unaccepted past its 24-hour accept deadline: open and overdue at the month's end.
    let waiting = file("垃圾桶满溢无人清运").await;
    // Under way, within its handle deadline.
    let working = file("楼道堆放杂物").await;
    step(&app, &officer, working, json!({"action": "accept"})).await;
    let dispatch = json!({"action": "dispatch", "to": "grid"});
    step(&app, &officer, working, dispatch).await;
    step(&app, &worker, working, json!({"action": "start"})).await;
    // Handled and closed in October.
    let done = file("路灯不亮").await;
    carry_to_closed(&app, &officer, &worker, done).await;

    // November: the waiting case is taken on and closed, so today nothing of it is open.
    app.state().clock().advance(4 * 86_400_000);
    carry_to_closed(&app, &officer, &worker, waiting).await;

    let month_end = Day::parse("2026-11-01").unwrap().start_ms();
    let (open, overdue) = open_at(&app, "450802", month_end).await;
    assert!(open.contains(&waiting) && open.contains(&working) && !open.contains(&done));
    assert!(overdue.contains(&waiting) && !overdue.contains(&working));
    let rows = report_sheet(&app, &centre, "450802", "2026-10").await;
    let (value, note) = figure(&rows, "月末在办");
    assert_eq!(value, open.len().to_string());
    assert_eq!(note, format!("其中超期 {}", overdue.len()));

    // Today's figures differ: the waiting case is closed now.
    let (_, d) = app
        .get("/api/v1/dashboard?node=450802&month=2026-11", &centre)
        .await;
    let (now_open, _) = open_at(&app, "450802", app.now_ms()).await;
    assert!(!now_open.contains(&waiting));
    assert_eq!(d["open_now"].as_i64(), Some(now_open.len() as i64));
    // The month under way says 当前, not 月末.
    let rows = report_sheet(&app, &centre, "450802", "2026-11").await;
    assert_eq!(figure(&rows, "当前在办").0, now_open.len().to_string());

    // Visits: everyone tagged was due at October's end (no visit yet); a November visit to one
    // household takes its people off today's list but not off October's.
    let due_on = |day: &'static str| {
        let app = &app;
        async move {
            use shanzhi_store::{Exec, Sql};
            let mut conn = app.state().store().conn().await.unwrap();
            let (n,): (i64,) = conn
                .one(
                    Sql::new(
                        "SELECT COUNT(*) FROM person_tags t JOIN tag_kinds k ON k.code = t.tag \
                         JOIN persons p ON p.id = t.person_id WHERE k.visit_days IS NOT NULL \
                         AND p.node_code LIKE '450802%' AND p.moved_out IS NULL AND NOT EXISTS \
                         (SELECT 1 FROM visits v WHERE v.household_id = p.household_id \
                          AND v.day <= ?)",
                    )
                    .bind(day),
                )
                .await
                .unwrap();
            n
        }
    };
    let household: i64 = {
        use shanzhi_store::{Exec, Sql};
        let mut conn = app.state().store().conn().await.unwrap();
        let (h,): (i64,) = conn
            .one(Sql::new(
                "SELECT p.household_id FROM person_tags t JOIN tag_kinds k ON k.code = t.tag \
                 JOIN persons p ON p.id = t.person_id WHERE k.visit_days IS NOT NULL \
                 AND p.node_code LIKE '450802001001002%' ORDER BY p.id LIMIT 1",
            ))
            .await
            .unwrap();
        h
    };
    let (s, v) = app
        .post(
            "/api/v1/visits",
            &worker,
            json!({"household_id": household, "purpose": "关爱走访", "notes": "上门看望，身体尚好"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let at_october_end = due_on("2026-10-31").await;
    assert!(
        at_october_end > due_on("2026-12-31").await,
        "the visit counts from November"
    );
    let rows = report_sheet(&app, &centre, "450802", "2026-10").await;
    assert_eq!(
        figure(&rows, "走访").1,
        format!("月末待走访 {at_october_end} 人")
    );
    let rows = report_sheet(&app, &centre, "450802", "2026-11").await;
    assert!(figure(&rows, "走访").1.starts_with("当前待走访"));
}
