//! The dashboard's running tallies always equal a recount from the raw rows: the case tallies
//! after reports, every kind of transition and direct edits, before and after the fold; the
//! patrol tallies against the domain's daily rule over every grid-day, and after a rebuild.

use crate::api_cases::point_in_own_grid;
use crate::common::{TestApp, act, exec_sql, version};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shanzhi_domain::patrol::{DailyRule, PatrolSpan, day_coverage};
use shanzhi_domain::region::Level;
use shanzhi_store::{Exec, Sql};
use std::collections::BTreeMap;

type Key = (i64, String, i64, String);
type TallyRow = (
    i64,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

/// The tallies as the dashboard reads them: folded rows plus unfolded changes (made at a case's
/// node, counted at every level above it), zeros dropped.
async fn tallied(app: &TestApp) -> BTreeMap<Key, [i64; 9]> {
    let mut conn = app.state().store().conn().await.unwrap();
    let sums = "received, rejected, closed, handled, handled_on_time, handled_late, rated, \
                satisfied, closed_on";
    let cols = format!(
        "depth, area, day, category, {sums} FROM case_tallies UNION ALL \
         SELECT d.depth, substr(c.area, 1, d.depth), day, category, {sums} \
         FROM case_tally_changes c JOIN tally_depths d ON d.depth <= length(c.area)"
    );
    let rows: Vec<TallyRow> =
        conn.all(Sql::new(format!(
            "SELECT CAST(depth AS BIGINT), area, day, category, CAST(SUM(received) AS BIGINT), CAST(SUM(rejected) AS BIGINT), \
             CAST(SUM(closed) AS BIGINT), CAST(SUM(handled) AS BIGINT), CAST(SUM(handled_on_time) AS BIGINT), CAST(SUM(handled_late) AS BIGINT), CAST(SUM(rated) AS BIGINT), \
             CAST(SUM(satisfied) AS BIGINT), CAST(SUM(closed_on) AS BIGINT) FROM (SELECT {cols}) t \
             GROUP BY 1, 2, 3, 4"
        )))
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| {
            let v = [r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12];
            ((r.0, r.1, r.2, r.3), v)
        })
        .filter(|(_, v)| *v != [0; 9])
        .collect()
}

/// The same counted afresh in Rust from every case row, independently of the SQL that keeps
/// the tallies.
async fn recounted(app: &TestApp) -> BTreeMap<Key, [i64; 9]> {
    let mut conn = app.state().store().conn().await.unwrap();
    type Case = (
        String,
        String,
        i64,
        String,
        Option<i64>,
        i64,
        Option<i64>,
        Option<String>,
    );
    let cases: Vec<Case> = conn
        .all(Sql::new(
            "SELECT node_code, category_code, created_at, stage, handled_at, handle_due, \
             closed_at, satisfaction FROM cases",
        ))
        .await
        .unwrap();
    let day = |ms: i64| (ms + 8 * 3_600_000).div_euclid(86_400_000);
    let mut out: BTreeMap<Key, [i64; 9]> = BTreeMap::new();
    for (node, category, created, stage, handled, due, closed, satisfaction) in cases {
        let top = category[..2].to_owned();
        let reported = [
            i64::from(stage != "merged"),
            i64::from(stage == "rejected"),
            i64::from(closed.is_some()),
            i64::from(handled.is_some()),
            i64::from(handled.is_some_and(|h| h <= due)),
            i64::from(handled.is_some_and(|h| h > due)),
            i64::from(satisfaction.is_some()),
            i64::from(matches!(
                satisfaction.as_deref(),
                Some("satisfied" | "basically_satisfied")
            )),
            0,
        ];
        for level in Level::ALL {
            let depth = level.code_len();
            if depth > node.len() {
                continue;
            }
            let area = node[..depth].to_owned();
            let row = out
                .entry((depth as i64, area.clone(), day(created), top.clone()))
                .or_default();
            for (a, b) in row.iter_mut().zip(reported) {
                *a += b;
            }
            if let Some(at) = closed {
                out.entry((depth as i64, area, day(at), top.clone()))
                    .or_default()[8] += 1;
            }
        }
    }
    out.retain(|_, v| *v != [0; 9]);
    out
}

type OpenKey = (i64, String, String);

/// The open cases as tallied: per level, area and top-level category, zeros dropped.
async fn open_tallied(app: &TestApp) -> BTreeMap<OpenKey, i64> {
    let mut conn = app.state().store().conn().await.unwrap();
    let rows: Vec<(i64, String, String, i64)> = conn
        .all(Sql::new(
            "SELECT CAST(depth AS BIGINT), area, category, CAST(SUM(open) AS BIGINT) FROM \
             (SELECT depth, area, category, open FROM case_open_tallies UNION ALL \
              SELECT d.depth, substr(c.area, 1, d.depth), category, open \
              FROM case_tally_changes c JOIN tally_depths d ON d.depth <= length(c.area)) t \
             GROUP BY 1, 2, 3",
        ))
        .await
        .unwrap();
    rows.into_iter()
        .filter(|r| r.3 != 0)
        .map(|(depth, area, category, open)| ((depth, area, category), open))
        .collect()
}

/// The open cases counted afresh from every case row.
async fn open_recounted(app: &TestApp) -> BTreeMap<OpenKey, i64> {
    let mut conn = app.state().store().conn().await.unwrap();
    let cases: Vec<(String, String, String)> = conn
        .all(Sql::new(
            "SELECT node_code, category_code, stage FROM cases",
        ))
        .await
        .unwrap();
    let mut out: BTreeMap<OpenKey, i64> = BTreeMap::new();
    for (node, category, stage) in cases {
        let open = matches!(
            stage.as_str(),
            "reported" | "accepted" | "dispatched" | "in_progress"
        );
        for depth in Level::ALL.map(Level::code_len) {
            if open && depth <= node.len() {
                let key = (
                    depth as i64,
                    node[..depth].to_owned(),
                    category[..2].to_owned(),
                );
                *out.entry(key).or_default() += 1;
            }
        }
    }
    out
}

async fn assert_tallies_exact(app: &TestApp, when: &str) {
    let (open, open_recount) = (open_tallied(app).await, open_recounted(app).await);
    assert_eq!(
        open, open_recount,
        "{when}: open cases tallied vs recounted"
    );
    let (t, r) = (tallied(app).await, recounted(app).await);
    assert!(!r.is_empty());
    let differ: Vec<_> = r
        .iter()
        .filter(|(k, v)| t.get(*k) != Some(*v))
        .map(|(k, v)| (k, v, t.get(k)))
        .take(5)
        .collect();
    assert!(differ.is_empty(), "{when}: recount vs tally {differ:?}");
    assert_eq!(t.len(), r.len(), "{when}: tally rows nothing explains");
}

#[tokio::test]
async fn case_tallies_equal_a_recount_after_every_kind_of_change() {
    let app = TestApp::demo().await;
    assert_tallies_exact(&app, "after the demo").await;

    let (worker, leader, officer) = (
        app.token("wg0101").await,
        app.token("wgz01").await,
        app.token("sq01").await,
    );
    let (lon, lat) = point_in_own_grid(&app, &worker).await;
    let mut ids = Vec::new();
    for title in ["楼道堆物", "路灯不亮", "井盖破损", "楼道堆物（重复）"] {
        let (s, c) = app
            .post(
                "/api/v1/cases",
                &worker,
                json!({"category": "0201", "title": title, "description": format!("{title}，请处理"), "lon": lon, "lat": lat}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        ids.push(c["id"].as_i64().unwrap());
    }
    let steps: [(&str, Value); 6] = [
        (&leader, json!({"action": "accept"})),
        (&leader, json!({"action": "dispatch", "to": "grid"})),
        (&worker, json!({"action": "start"})),
        (&worker, json!({"action": "handle", "result": "已清理"})),
        (&officer, json!({"action": "verify_pass"})),
        (&officer, json!({"action": "close"})),
    ];
    for (token, mut body) in steps {
        body["version"] = json!(version(&app, token, ids[0]).await);
        let (s, out) = act(&app, token, ids[0], body).await;
        assert_eq!(s, StatusCode::OK, "{out}");
    }
    let (s, out) = act(
        &app,
        &leader,
        ids[1],
        json!({"action": "reject", "reason": "不属于本平台受理范围", "version": 1}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    let (s, out) = act(
        &app,
        &leader,
        ids[3],
        json!({"action": "merge", "into": ids[0], "reason": "同一处楼道", "version": 1}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_tallies_exact(&app, "after transitions").await;

    // Any write counts, not only the service's: a rating, a moved case, a new deadline.
    exec_sql(
        &app,
        Sql::new("UPDATE cases SET satisfaction = 'satisfied', stage = 'rated' WHERE id = ?")
            .bind(ids[0]),
    )
    .await;
    exec_sql(
        &app,
        Sql::new(
            "UPDATE cases SET node_code = '450802002001001', category_code = '0402' WHERE id = ?",
        )
        .bind(ids[2]),
    )
    .await;
    exec_sql(
        &app,
        Sql::new("UPDATE cases SET handle_due = handled_at - 1 WHERE handled_at IS NOT NULL"),
    )
    .await;
    assert_tallies_exact(&app, "after direct edits").await;

    shanzhi_store::dashboard::fold(app.state().store())
        .await
        .unwrap();
    let mut conn = app.state().store().conn().await.unwrap();
    let (left,): (i64,) = conn
        .one(Sql::new("SELECT COUNT(*) FROM case_tally_changes"))
        .await
        .unwrap();
    assert_eq!(left, 0, "the fold takes every change");
    drop(conn);
    assert_tallies_exact(&app, "after the fold").await;
}

#[tokio::test]
async fn patrol_tallies_follow_the_daily_rule_on_every_grid_day() {
    let app = TestApp::demo_with_history().await;
    let mut conn = app.state().store().conn().await.unwrap();
    let rule = DailyRule::default();
    let check = |spans: Vec<(String, String, i64, Option<i64>)>,
                 tallies: Vec<(i64, String, String, i64)>| {
        let mut by_day: BTreeMap<(String, String), Vec<PatrolSpan>> = BTreeMap::new();
        for (grid, day, start_ms, end_ms) in spans {
            by_day
                .entry((grid, day))
                .or_default()
                .push(PatrolSpan { start_ms, end_ms });
        }
        let mut expected: BTreeMap<(i64, String, String), i64> = BTreeMap::new();
        for ((grid, day), spans) in &by_day {
            let met = i64::from(day_coverage(spans, &rule).met());
            for level in Level::ALL
                .into_iter()
                .filter(|l| l.code_len() <= grid.len())
            {
                let area = grid[..level.code_len()].to_owned();
                *expected
                    .entry((level.code_len() as i64, area, day.clone()))
                    .or_default() += met;
            }
        }
        let got: BTreeMap<(i64, String, String), i64> = tallies
            .into_iter()
            .map(|(depth, area, day, met)| ((depth, area, day), met))
            .collect();
        assert!(expected.values().filter(|m| **m > 0).count() > 1_000);
        assert_eq!(got, expected);
    };
    let spans = || {
        Sql::new(
            "SELECT node_code, day, started_at, ended_at FROM patrols WHERE ended_at IS NOT NULL",
        )
    };
    let tallies = || Sql::new("SELECT CAST(depth AS BIGINT), area, day, met FROM patrol_tallies");
    check(
        conn.all(spans()).await.unwrap(),
        conn.all(tallies()).await.unwrap(),
    );

    // Tallies lost (as before they existed) are rebuilt the same by the startup pass.
    conn.exec(Sql::new("DELETE FROM patrol_tallies"))
        .await
        .unwrap();
    let n = shanzhi_store::patrols::tally_untallied(&mut conn, &rule)
        .await
        .unwrap();
    assert!(n > 1_000, "{n} grid-days");
    check(
        conn.all(spans()).await.unwrap(),
        conn.all(tallies()).await.unwrap(),
    );
    drop(conn);

    // The dashboard's coverage is the community's coverage list, day by day.
    let centre = app.token("zhzx").await;
    let today = app.today();
    let period = format!("from={}&to={}", today.plus(-40), today.plus(-10));
    let (s, d) = app
        .get(
            &format!("/api/v1/dashboard?node=450802001001&{period}"),
            &centre,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let (s, list) = app
        .get(
            &format!("/api/v1/patrol-coverage?node=450802001001&{period}"),
            &centre,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap();
    let met = list
        .iter()
        .filter(|g| g["counted"].as_i64() >= g["needed"].as_i64())
        .count() as i64;
    assert_eq!(d["patrols"]["met"].as_i64(), Some(met), "{}", d["patrols"]);
    assert_eq!(
        d["patrols"]["grid_days"].as_i64(),
        Some(list.len() as i64),
        "past days are all finished"
    );
}
