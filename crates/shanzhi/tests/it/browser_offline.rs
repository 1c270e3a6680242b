//! A grid worker's day in 外勤 with the signal dropped, in headless Chromium at 375 px: a patrol
//! finding with a photo, a visit and a case step made offline, the app closed and opened again
//! offline, the signal restored; the server holds each once with its field time, and a step on
//! a case that moved on meanwhile is shown to the worker, not dropped.

use crate::browser::{browser, driver, fill, login, network, place_phone, shot, wait_text};
use crate::common::{TestApp, photo_png, step};
use crate::offline::{GRID, dispatched_case, due_household};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use shanzhi_store::{Exec, Sql};
use std::time::Duration;

async fn count(app: &TestApp, sql: Sql) -> i64 {
    let mut conn = app.state().store().conn().await.unwrap();
    let (n,): (i64,) = conn.one(sql).await.unwrap();
    n
}

/// Clicks what `css` selects once it is there (the app redraws its lists as the queue
/// changes, so the element is looked up at the moment of the click).
async fn click(c: &Client, css: &str) {
    let script = "var e = document.querySelector(arguments[0]); if (!e) return false; e.click(); return true;";
    for _ in 0..100 {
        if c.execute(script, vec![json!(css)]).await.ok() == Some(Value::Bool(true)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{css} never appeared: {}",
        c.source().await.unwrap_or_default()
    );
}

/// Waits until the app has read what it keeps and the service worker holds the page.
async fn ready(c: &Client, controlled: bool) {
    let check = if controlled {
        "return !!document.documentElement.getAttribute('data-ready') && !!navigator.serviceWorker.controller"
    } else {
        "return !!document.documentElement.getAttribute('data-ready')"
    };
    for _ in 0..150 {
        if c.execute(check, vec![]).await.ok() == Some(Value::Bool(true)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "the app never became ready: {}",
        c.source().await.unwrap_or_default()
    );
}

#[tokio::test]
async fn a_grid_workers_day_without_a_signal_reaches_the_server_once_when_it_returns() {
    let app = TestApp::demo_on_wall_clock().await;
    let (wg, sq) = (app.token("wg0101").await, app.token("sq01").await);
    let household = due_household(&app, &wg).await;
    let case = dispatched_case(&app, &wg, &sq, "金港花园楼道堆物").await;
    let moved = dispatched_case(&app, &wg, &sq, "金港花园电动车楼道充电").await;
    let (s, patrol) = app
        .post("/api/v1/patrols", &wg, json!({"grid": GRID}))
        .await;
    assert!(s.is_success(), "{patrol}");
    let patrol = patrol["id"].as_i64().unwrap();
    let (lon, lat) = crate::api_cases::point_in_own_grid(&app, &wg).await;

    let d = driver().await;
    let c = browser(&d, 375, 812).await;
    login(&c, &app, "wg0101").await;
    place_phone(&c, &app.base, lon, lat).await;
    c.goto(&format!("{}/app", app.base)).await.unwrap();
    ready(&c, true).await;
    wait_text(&c, "sync", "已同步").await;
    wait_text(&c, "patrol-state", "巡查进行中").await;
    shot(&c, "field-app-online-375").await;
    // The shell is light: everything the first load fetched, compressed, under 150 KB.
    let bytes = c
        .execute(
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
               .reduce(function (n, e) { return n + (e.transferSize || 0); }, 0)",
            vec![],
        )
        .await
        .unwrap();
    let bytes = bytes.as_f64().unwrap();
    assert!(bytes > 0.0 && bytes < 150_000.0, "first load {bytes} bytes");

    // The signal drops in the stairwell.
    network(&c, true).await;
    let started_offline = app.now_ms();

    // A finding on the patrol, with a photo.
    c.goto(&format!("{}/app#report", app.base)).await.unwrap();
    let photo = std::env::temp_dir().join(format!("field-{}.png", std::process::id()));
    std::fs::write(&photo, photo_png(1200, 900)).unwrap();
    c.find(Locator::Css("#report-form select[name=category]"))
        .await
        .unwrap()
        .select_by_value("0403")
        .await
        .unwrap();
    fill(
        &c,
        "#report-form textarea[name=description]",
        "5栋门口井盖松动，有人差点踩空",
    )
    .await;
    fill(
        &c,
        "#report-form input[name=photos]",
        photo.to_str().unwrap(),
    )
    .await;
    click(&c, "#report-form button[type=submit]").await;
    wait_text(&c, "outbox", "有 1 项待发送").await;

    // A visit to the old lady due one.
    c.goto(&format!("{}/app#visit", app.base)).await.unwrap();
    ready(&c, false).await;
    click(&c, &format!("button[data-household='{household}']")).await;
    c.find(Locator::Css("#visit-form select[name=purpose]"))
        .await
        .unwrap()
        .select_by_value("care")
        .await
        .unwrap();
    fill(
        &c,
        "#visit-form textarea[name=notes]",
        "老人身体还好，药按时吃",
    )
    .await;
    click(&c, "#visit-form button[type=submit]").await;
    wait_text(&c, "outbox", "有 2 项待发送").await;

    // Two cases started: one of them is started from another phone meanwhile.
    c.goto(&format!("{}/app#todo", app.base)).await.unwrap();
    ready(&c, false).await;
    click(&c, &format!("#case-{case} button[data-action=start]")).await;
    wait_text(&c, "outbox", "有 3 项待发送").await;
    click(&c, &format!("#case-{moved} button[data-action=start]")).await;
    wait_text(&c, "outbox", "有 4 项待发送").await;
    step(&app, &wg, moved, json!({"action": "start"})).await;

    // The app is closed and opened again, still without a signal: the same four wait.
    // (A reload: the page and everything in its memory are gone, IndexedDB and the service
    // worker stay; a trip through about:blank would change renderer and lose the emulation.)
    c.goto(&format!("{}/app", app.base)).await.unwrap();
    c.refresh().await.unwrap();
    ready(&c, false).await;
    wait_text(&c, "outbox", "有 4 项待发送").await;
    wait_text(&c, "sync", "当前无信号").await;
    assert!(
        c.find(Locator::Id(&format!("case-{case}"))).await.is_ok(),
        "the cases are kept"
    );
    shot(&c, "field-app-offline-375").await;
    assert_eq!(
        count(&app, Sql::new("SELECT COUNT(*) FROM field_receipts")).await,
        0,
        "nothing reached the server while offline"
    );

    // The signal returns; the worker taps 立即发送 (again, if the first tap came too soon).
    network(&c, false).await;
    let sent = "return document.getElementById('outbox').hidden && !document.getElementById('problems').hidden";
    for _ in 0..100 {
        if c.execute(sent, vec![]).await.ok() == Some(Value::Bool(true)) {
            break;
        }
        let tap = "var b = document.querySelector('#outbox button'); if (b) b.click();";
        let _ = c.execute(tap, vec![]).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    wait_text(&c, "problem-list", "已变为「处置」").await;
    shot(&c, "field-app-back-online-375").await;

    // Each once, with the field time kept beside the arrival.
    // (The patrol's fixes, queued once a minute, may have gone up too: they are not counted.)
    let receipts = count(
        &app,
        Sql::new("SELECT COUNT(*) FROM field_receipts WHERE kind <> 'fixes'"),
    )
    .await;
    assert_eq!(
        receipts, 3,
        "finding, visit, step; the conflict left no receipt"
    );
    let plausible = count(
        &app,
        Sql::new("SELECT COUNT(*) FROM field_receipts WHERE kind <> 'fixes' AND made_at >= ? AND made_at <= arrived_at AND counted_at = made_at")
            .bind(started_offline - 5_000),
    )
    .await;
    assert_eq!(plausible, 3);
    let findings = count(
        &app,
        Sql::new("SELECT COUNT(*) FROM patrol_notes WHERE patrol_id = ? AND finding = ? AND case_id IS NOT NULL")
            .bind(patrol)
            .bind(true),
    )
    .await;
    assert_eq!(findings, 1);
    let photos = count(
        &app,
        Sql::new("SELECT COUNT(*) FROM case_photos p JOIN field_receipts r ON r.target_id = p.case_id AND r.kind = 'finding'"),
    )
    .await;
    assert_eq!(photos, 1, "the finding's photo, shrunk on the phone");
    let visits = count(
        &app,
        Sql::new("SELECT COUNT(*) FROM visits WHERE household_id = ?").bind(household),
    )
    .await;
    assert_eq!(visits, 1);
    let starts = count(
        &app,
        Sql::new("SELECT COUNT(*) FROM case_events WHERE case_id = ? AND action = 'start'")
            .bind(case),
    )
    .await;
    assert_eq!(starts, 1);
    let starts = count(
        &app,
        Sql::new("SELECT COUNT(*) FROM case_events WHERE case_id = ? AND action = 'start'")
            .bind(moved),
    )
    .await;
    assert_eq!(starts, 1, "the late start was not applied on top");
    std::fs::remove_file(&photo).ok();
}
