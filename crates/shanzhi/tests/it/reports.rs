//! The monthly report: xlsx and PDF over the API and from the command line, with the same
//! figures as the dashboard; bad formats and future months refused.

use crate::common::{TestApp, error_code};
use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
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
    let app = TestApp::demo().await;
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
    let trend = book.worksheet_range("每日趋势").unwrap();
    let days = Day::parse(&format!("{month}-01")).unwrap();
    assert_eq!(trend.height(), 1 + d["trend"].as_array().unwrap().len());
    assert_eq!(
        trend.get((1, 0)).map(ToString::to_string),
        Some(days.to_string())
    );

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
        &app.token("wg0201").await,
        &format!("node=450802001001&month={month}"),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "out of scope");

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
        &[],
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
