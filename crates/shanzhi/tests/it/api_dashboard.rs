//! The dashboard's figures against raw counts taken straight from the case table and the
//! timeline, at the district, a street and a grid; the parts add up to the whole; bad periods.

use crate::common::{TestApp, error_code};
use reqwest::StatusCode;
use serde_json::Value;
use shanzhi_domain::case::Day;
use shanzhi_store::{Exec, Sql};

/// Counts by hand, the plain way: one query per figure over the raw rows and the timeline.
async fn by_hand(app: &TestApp, root: &str, from: i64, to: i64) -> [i64; 6] {
    let mut conn = app.state().store().conn().await.unwrap();
    let scope = "created_at >= ? AND created_at < ? AND node_code >= ? AND node_code < ?";
    let count = |cond: &str| {
        Sql::new(format!(
            "SELECT COUNT(*) FROM cases c WHERE {scope} AND {cond}"
        ))
        .bind(from)
        .bind(to)
        .bind(root)
        .bind(format!("{root}:"))
    };
    let mut out = [0; 6];
    let conds = [
        "stage <> 'merged'",
        "stage = 'rejected'",
        "EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.to_stage = 'closed') \
         AND stage IN ('closed', 'rated', 'followed_up')",
        "stage IN ('handled', 'verified', 'closed', 'rated', 'followed_up')",
        "satisfaction IS NOT NULL",
        "satisfaction IN ('satisfied', 'basically_satisfied')",
    ];
    for (slot, cond) in out.iter_mut().zip(conds) {
        let (n,): (i64,) = conn.one(count(cond)).await.unwrap();
        *slot = n;
    }
    out
}

/// Open cases under `root` now, and of those past their deadline, counted from the case rows.
async fn open_by_hand(app: &TestApp, root: &str) -> (i64, i64) {
    let mut conn = app.state().store().conn().await.unwrap();
    let now = app.now_ms();
    let (open, late): (i64, i64) = conn
        .one(
            Sql::new(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN COALESCE(suspended_at, ?) > \
                 CASE WHEN stage = 'reported' THEN accept_due ELSE handle_due END \
                 THEN 1 ELSE 0 END), 0) FROM cases \
                 WHERE stage IN ('reported', 'accepted', 'dispatched', 'in_progress') \
                 AND node_code >= ? AND node_code < ?",
            )
            .bind(now)
            .bind(root)
            .bind(format!("{root}:")),
        )
        .await
        .unwrap();
    (open, late)
}

fn figures(v: &Value) -> [i64; 6] {
    [
        "received",
        "rejected",
        "closed",
        "handled",
        "rated",
        "satisfied",
    ]
    .map(|k| v[k].as_i64().unwrap_or_else(|| panic!("{k}: {v}")))
}

#[tokio::test]
async fn dashboard_figures_match_raw_counts_at_every_level() {
    let app = TestApp::demo().await;
    let centre = app.token("zhzx").await;
    let today = app.today();
    let from = today.plus(-59);
    let (start, end) = (from.start_ms(), today.plus(1).start_ms());
    // A report placed at a community itself, not in one of its grids: it counts for the
    // community (and above) but for none of its grids.
    let (s, c) = app
        .post(
            "/api/v1/cases",
            &app.token("sq01").await,
            serde_json::json!({"category": "03", "title": "社区广场路灯不亮",
                "description": "社区广场三盏路灯不亮", "node_code": "450802001001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    // Two days on, some open cases are past their deadlines.
    app.state().clock().advance(2 * 86_400_000);
    for node in ["450802", "450802001", "450802001001", "450802001001001"] {
        let (s, d) = app
            .get(
                &format!("/api/v1/dashboard?node={node}&from={from}&to={today}"),
                &centre,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let hand = by_hand(&app, node, start, end).await;
        assert_eq!(figures(&d["cases"]), hand, "{node}");
        if node == "450802" {
            assert!(
                hand[0] > 100 && hand[2] > 0 && hand[4] > 0,
                "the demo has cases: {hand:?}"
            );
        }
        // Rates are the domain's, from these counts.
        let c = &d["cases"];
        let closed = c["closed"].as_f64().unwrap();
        let accepted = c["received"].as_f64().unwrap() - c["rejected"].as_f64().unwrap();
        if accepted > 0.0 {
            assert!((c["disposal_rate"].as_f64().unwrap() - closed / accepted).abs() < 1e-9);
        }
        // Open now and late now, against the case rows; the children's add up to them but
        // for cases placed at the node itself.
        let (open, late) = open_by_hand(&app, node).await;
        assert!(open > 0, "{node} has open cases");
        assert_eq!(
            (d["open_now"].as_i64(), d["overdue_now"].as_i64()),
            (Some(open), Some(late)),
            "{node}"
        );
        let children = d["children"].as_array().unwrap();
        let mut own = (open, late);
        for ch in children {
            let (o, l) = open_by_hand(&app, ch["code"].as_str().unwrap()).await;
            assert_eq!(
                (ch["open_now"].as_i64(), ch["overdue_now"].as_i64()),
                (Some(o), Some(l)),
                "{ch}"
            );
            own = (own.0 - o, own.1 - l);
        }
        if !children.is_empty() {
            let mut conn = app.state().store().conn().await.unwrap();
            let (at_node,): (i64,) = conn
                .one(
                    Sql::new(
                        "SELECT COUNT(*) FROM cases WHERE node_code = ? \
                         AND stage IN ('reported', 'accepted', 'dispatched', 'in_progress')",
                    )
                    .bind(node),
                )
                .await
                .unwrap();
            assert_eq!(own.0, at_node, "{node}: open at the node itself");
        }
        let expected_own = i64::from(node == "450802001001");
        // The children and the trend add up to the whole.
        if node != "450802001001001" {
            assert!(!children.is_empty());
            let sum: i64 = children
                .iter()
                .map(|ch| ch["figures"]["received"].as_i64().unwrap())
                .sum();
            assert_eq!(sum + expected_own, hand[0], "{node} children");
        }
        let trend = d["trend"].as_array().unwrap();
        assert_eq!(trend.len(), 60);
        let sum: i64 = trend.iter().map(|t| t["received"].as_i64().unwrap()).sum();
        assert_eq!(sum, hand[0], "{node} trend");
        let by_category: i64 = d["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["figures"]["received"].as_i64().unwrap())
            .sum();
        assert_eq!(by_category, hand[0], "{node} categories");
    }

    // Out of scope is not found; a month in the future, a bad month, a reversed period: 400.
    let (s, _) = app
        .get(
            "/api/v1/dashboard?node=450802001001",
            &app.token("wg0201").await,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for (q, code) in [
        ("month=2999-01", "future_period"),
        ("month=2026-13", "invalid_month"),
        ("from=2026-10-10&to=2026-10-01", "invalid_period"),
    ] {
        let (s, e) = app
            .get(&format!("/api/v1/dashboard?node=450802&{q}"), &centre)
            .await;
        assert_eq!((s, error_code(&e)), (StatusCode::BAD_REQUEST, code), "{q}");
    }
    let today = app.today();
    let month = today.to_string()[..7].to_owned();
    let (s, d) = app
        .get(
            &format!("/api/v1/dashboard?node=450802&month={month}"),
            &centre,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(
        d["to"],
        today.to_string(),
        "the current month runs to today"
    );
}

#[tokio::test]
async fn the_demo_history_makes_every_figure_meaningful() {
    let started = std::time::Instant::now();
    let app = TestApp::demo_with_history().await;
    eprintln!("demo with history seeded in {:?}", started.elapsed());
    let centre = app.token("zhzx").await;
    let today = app.today();
    // Last month, whole.
    let first_of_this = Day::parse(&format!("{}-01", &today.to_string()[..7])).unwrap();
    let month = first_of_this.plus(-1).to_string()[..7].to_owned();
    let (s, d) = app
        .get(
            &format!("/api/v1/dashboard?node=450802&month={month}"),
            &centre,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let c = &d["cases"];
    assert!(c["received"].as_i64().unwrap() > 150, "{c}");
    for rate in ["disposal_rate", "on_time_rate", "satisfaction_rate"] {
        let r = c[rate].as_f64().unwrap_or_else(|| panic!("{rate}: {c}"));
        assert!(r > 0.3 && r <= 1.0, "{rate} {r}");
    }
    let coverage = d["patrols"]["coverage_rate"].as_f64().unwrap();
    assert!(
        (0.6..0.95).contains(&coverage),
        "一日双巡 mostly met: {coverage}"
    );
    assert!(
        d["visits"]["done"].as_i64().unwrap() > 100,
        "{}",
        d["visits"]
    );
    let quiet_days = d["trend"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["received"] == 0)
        .count();
    assert!(quiet_days < 5, "cases nearly every day: {quiet_days}");
    // Some tagged residents are overdue, most are not.
    let due = d["visits"]["due_now"].as_i64().unwrap();
    assert!(due > 0, "some households fell behind");
    let (_, listed) = app
        .get(
            "/api/v1/visits/due?node=450802001001",
            &app.token("sq01").await,
        )
        .await;
    assert!(!listed.as_array().unwrap().is_empty());

    // The past rainstorm warning: its 叫应 done in most households, a few not reached.
    let (_, notices) = app.get("/api/v1/notices?node=450802", &centre).await;
    let warning = notices
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["level"] == "warning")
        .expect("a past warning");
    assert!(notices.as_array().unwrap().len() >= 3, "{notices}");
    let (_, progress) = app
        .get(
            &format!("/api/v1/notices/{}/progress", warning["id"]),
            &centre,
        )
        .await;
    let sum = |k: &str| {
        progress["grids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g[k].as_i64().unwrap())
            .sum::<i64>()
    };
    let (total, done, unreached) = (
        sum("total"),
        sum("reached") + sum("moved"),
        sum("unreached"),
    );
    assert!(total > 50, "{total} vulnerable households called");
    assert!(
        unreached > 0 && done * 10 > total * 8,
        "{done}/{total}, {unreached} not reached"
    );
    // Its texts went to those who agreed; the carriers' reports and the opened links counted.
    let texts = |k: &str| {
        progress["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g[k].as_i64().unwrap())
            .sum::<i64>()
    };
    let (sent, delivered, failed, read) = (
        texts("total"),
        texts("delivered"),
        texts("failed"),
        texts("read"),
    );
    assert!(sent > 100, "{sent} texts");
    assert!(
        failed > 0 && delivered + failed == sent && read > 0 && read < delivered,
        "{delivered} delivered, {failed} failed, {read} read of {sent}"
    );

    // Last month's assessment ranks every grid worker and names 红旗网格员.
    let (s, a) = app
        .get(
            &format!("/api/v1/assessment?node=450802&month={month}"),
            &centre,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let workers = a["workers"].as_array().unwrap();
    assert!(workers.len() >= 80, "{}", workers.len());
    let flags = workers.iter().filter(|w| w["red_flag"] == true).count();
    assert!(flags >= 1, "at least one 红旗网格员");
    assert!(
        workers
            .iter()
            .all(|w| w["measured"]["patrol_days"].as_i64() > Some(20))
    );

    // The quarter of that month: every community scored and placed within its street.
    let month_no: u32 = month[5..7].parse().unwrap();
    let quarter = format!("{}-Q{}", &month[..4], (month_no - 1) / 3 + 1);
    let (s, units) = app
        .get(
            &format!("/api/v1/assessment/units?node=450802&quarter={quarter}"),
            &centre,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{units}");
    let units = units.as_array().unwrap();
    assert_eq!(units.len(), 12, "every community and village");
    for street in ["450802001", "450802002", "450802100"] {
        let mine: Vec<&Value> = units
            .iter()
            .filter(|u| u["code"].as_str().unwrap().starts_with(street))
            .collect();
        assert!(mine.iter().any(|u| u["street_place"] == 1), "{street}");
        // Communities tied at the top share the 红旗单位.
        assert!(mine.iter().any(|u| u["red_flag"] == true), "{street}");
        assert!(
            mine.iter()
                .all(|u| u["red_flag"] == false || u["street_place"] == 1)
        );
        assert!(mine.iter().all(|u| u["score"].as_f64().is_some()));
    }
    let (s, e) = app
        .get(
            "/api/v1/assessment/units?node=450802&quarter=2026-Q5",
            &centre,
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_quarter")
    );
}

/// The quarter's communities as the API ranks them, typed.
async fn units(app: &TestApp, quarter: &str) -> Vec<shanzhi_app::assessment::UnitScore> {
    let (s, u) = app
        .get(
            &format!("/api/v1/assessment/units?node=450802&quarter={quarter}"),
            &app.token("zhzx").await,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    serde_json::from_value(u).unwrap()
}

/// The grid workers a community's monthly assessment ranks.
async fn workers(app: &TestApp, community: &str) -> usize {
    let month = app.today().to_string()[..7].to_owned();
    let (s, a) = app
        .get(
            &format!("/api/v1/assessment?node={community}&month={month}"),
            &app.token("zhzx").await,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let a: shanzhi_app::assessment::MonthAssessment = serde_json::from_value(a).unwrap();
    a.workers.len()
}

/// A demo district with months of history, its clock at `instant` (RFC 3339).
async fn history_at(instant: &str) -> TestApp {
    let t = time::OffsetDateTime::parse(instant, &time::format_description::well_known::Rfc3339)
        .unwrap();
    let config = shanzhi_app::AppConfig {
        clock: shanzhi_app::Clock::starting_at((t.unix_timestamp_nanos() / 1_000_000) as i64),
        ..Default::default()
    };
    TestApp::start(shanzhi_app::boot::Demo::History, config, Default::default()).await
}

#[tokio::test]
async fn a_quarter_on_its_last_day_is_scored_on_the_months_that_have_ended() {
    let app = history_at("2026-12-31T20:00:00+08:00").await;
    let units = units(&app, "2026-Q4").await;
    assert_eq!(units.len(), 12);
    for street in ["450802001", "450802002", "450802100"] {
        let mine: Vec<_> = units
            .iter()
            .filter(|u| u.code.starts_with(street))
            .collect();
        assert_eq!(mine.iter().filter(|u| u.red_flag).count(), 1, "{street}");
        // October and November, not the December still under way: two months per worker.
        for u in &mine {
            assert_eq!(u.scored, 2 * workers(&app, &u.code).await, "{}", u.code);
        }
    }
}

#[tokio::test]
async fn a_quarter_on_its_first_day_ranks_its_first_month_so_far_and_the_last_quarter_in_full() {
    let app = history_at("2026-10-01T09:00:00+08:00").await;
    // Nothing of Q4 has ended: its first day is shown as it stands, one month per worker.
    let q4 = units(&app, "2026-Q4").await;
    assert_eq!(q4.len(), 12);
    assert!(q4.iter().all(|u| u.scored > 0));
    // Q3 ended yesterday: every street has its 红旗单位 (communities tied at the top share
    // it), scored on three months.
    let q3 = units(&app, "2026-Q3").await;
    for street in ["450802001", "450802002", "450802100"] {
        let mine: Vec<_> = q3.iter().filter(|u| u.code.starts_with(street)).collect();
        assert!(mine.iter().any(|u| u.red_flag), "{street}");
        assert!(mine.iter().all(|u| !u.red_flag || u.street_place == 1));
        for u in &mine {
            let first = q4
                .iter()
                .find(|x| x.code == u.code)
                .expect("in both quarters");
            assert_eq!(first.scored, workers(&app, &u.code).await, "{}", u.code);
            assert_eq!(u.scored, 3 * first.scored, "{}", u.code);
        }
    }
}
