//! 码上问卷 over the API: the builder's checks, one answer per verified phone or device,
//! 代填 recorded and still one per phone, questions locked after the first answer, answers
//! refused after close, live results and the xlsx export.

use crate::common::{TestApp, error_code};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shanzhi_domain::case::Day;

const COMMUNITY: &str = "450802001001";

fn survey(app: &TestApp, mode: &str) -> Value {
    let closes = Day::of(app.now_ms() + 14 * 86_400_000).to_string();
    json!({"node": COMMUNITY, "title": "老旧小区加装电梯意见征集", "intro": "请每户填写一次",
           "mode": mode, "closes": closes,
           "questions": [
             {"kind": "single", "title": "您支持本栋加装电梯吗？", "options": ["支持", "不支持", "无所谓"], "required": true},
             {"kind": "multiple", "title": "您关心哪些问题？", "options": ["费用分摊", "采光", "噪音"]},
             {"kind": "rating", "title": "对目前出行便利程度打分", "required": true},
             {"kind": "text", "title": "其他意见"}]})
}

async fn public(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, path, None, Some(body)).await
}

#[tokio::test]
async fn a_phone_survey_takes_one_verified_answer_per_phone_and_tallies_live() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let mut bad = survey(&app, "phone");
    bad["questions"][0]["options"] = json!(["支持"]);
    let (s, e) = app.post("/api/v1/surveys", &officer, bad).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_survey")
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("第 1 题"),
        "{e}"
    );
    let (s, sv) = app
        .post("/api/v1/surveys", &officer, survey(&app, "phone"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sv}");
    let id = sv["survey"]["id"].as_i64().unwrap();
    let base = format!("/api/v1/public/surveys/{id}");

    // A resident gets a code and answers once.
    let answers = json!([0, [0, 2], 4, "希望尽快开工"]);
    let (s, _) = public(
        &app,
        &format!("{base}/codes"),
        json!({"phone": "13977581234"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = public(
        &app,
        &format!("{base}/codes"),
        json!({"phone": "13977581234"}),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "one code a minute per phone"
    );
    let code = app.code_sent_to("13977581234");
    let (s, e) = public(
        &app,
        &format!("{base}/answers"),
        json!({"phone": "13977581234", "code": "000000", "answers": answers}),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_code")
    );
    let (s, e) = public(
        &app,
        &format!("{base}/answers"),
        json!({"phone": "13977581234", "code": "000000", "answers": [null, null, 4, null]}),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_code"),
        "the code is checked before the answers"
    );
    let (s, e) = public(
        &app,
        &format!("{base}/answers"),
        json!({"phone": "13977581234", "code": code, "answers": [null, null, 4, null]}),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_answer"),
        "question 1 is required"
    );
    // The refused answers leave the right code good for the corrected try (below).
    let (s, e) = public(
        &app,
        &format!("{base}/answers"),
        json!({"device": "abcdefghijklmnopqrstuvwxyz", "answers": answers}),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "phone_required")
    );
    let (s, b) = public(
        &app,
        &format!("{base}/answers"),
        json!({"phone": "13977581234", "code": code, "answers": answers}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // The questions are now locked.
    let (s, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/surveys/{id}"),
            Some(&officer),
            Some(survey(&app, "phone")),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // A grid worker enters an elderly resident's answers (代填): recorded, still one per phone.
    let worker = app.token("wg0101").await;
    let proxy = format!("/api/v1/surveys/{id}/proxy-answers");
    let (s, b) = app
        .post(
            &proxy,
            &worker,
            json!({"phone": "13877580099", "answers": [1, null, 2, null]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, _) = app
        .post(
            &proxy,
            &worker,
            json!({"phone": "138 7758 0099", "answers": [0, null, 5, null]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one answer per phone, 代填 or not");
    let (s, _) = app
        .post(
            &proxy,
            &worker,
            json!({"phone": "13977581234", "answers": [0, null, 5, null]}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "the resident answered themselves already"
    );
    let other = app.token("wg0201").await;
    let (s, _) = app
        .post(
            &proxy,
            &other,
            json!({"phone": "13877580100", "answers": [0, null, 5, null]}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another community's worker");

    // Live results.
    let (s, r) = app
        .get(&format!("/api/v1/surveys/{id}/results"), &officer)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["responses"].as_u64(), r["by_proxy"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        r["questions"][0]["counts"],
        json!([["支持", 1], ["不支持", 1], ["无所谓", 0]])
    );
    assert_eq!(r["questions"][2]["mean"], 3.0);
    let resp = app
        .client
        .get(format!("{}/api/v1/surveys/{id}/answers.xlsx", app.base))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = calamine::Reader::worksheet_range_at(&mut book, 0)
        .unwrap()
        .unwrap();
    assert_eq!(sheet.height(), 3, "a header and two responses");
    let cells: Vec<String> = sheet.rows().flatten().map(|c| c.to_string()).collect();
    assert!(cells.iter().any(|c| c == "支持"), "{cells:?}");
    assert!(cells.iter().any(|c| c == "费用分摊、噪音"), "{cells:?}");
    assert!(
        cells.iter().any(|c| c.contains("网格员")),
        "the 代填 is named: {cells:?}"
    );

    // After closing, answers are refused.
    let (s, _) = app
        .post(&format!("/api/v1/surveys/{id}/close"), &officer, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app
        .post(
            &proxy,
            &worker,
            json!({"phone": "13877580101", "answers": [0, null, 5, null]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("已结束"),
        "{e}"
    );
}

#[tokio::test]
async fn a_device_survey_takes_one_answer_per_device() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let (s, sv) = app
        .post("/api/v1/surveys", &officer, survey(&app, "device"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sv}");
    let path = format!("/api/v1/public/surveys/{}/answers", sv["survey"]["id"]);
    let body = |device: &str| json!({"device": device, "answers": [2, [1], 3, null]});
    let (s, _) = public(&app, &path, body("device-token-0001-abcdef")).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = public(&app, &path, body("device-token-0001-abcdef")).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = public(&app, &path, body("device-token-0002-abcdef")).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = public(&app, &path, body("short")).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_device")
    );
    let volunteer = app.token("zy01").await;
    let (s, _) = app
        .post("/api/v1/surveys", &volunteer, survey(&app, "device"))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_opinion_is_answered_or_becomes_a_case_and_the_sender_reads_the_outcome() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let send = |content: &str| json!({"community": "450802001001001", "content": content, "name": "韦大爷", "phone": "13977580077"});
    let (s, e) = public(
        &app,
        "/api/v1/public/opinions",
        json!({"community": COMMUNITY, "content": "  "}),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_field")
    );
    let (s, first) = public(
        &app,
        "/api/v1/public/opinions",
        send("建议小区增设电动车充电桩"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (_, second) = public(
        &app,
        "/api/v1/public/opinions",
        send("北门路灯坏了一个月，晚上很黑"),
    )
    .await;
    let (_, list) = app
        .get(&format!("/api/v1/opinions?node={COMMUNITY}"), &officer)
        .await;
    let id_of = |content: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|o| o["content"] == content)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (answer_id, case_id) = (
        id_of("建议小区增设电动车充电桩"),
        id_of("北门路灯坏了一个月，晚上很黑"),
    );
    assert_eq!(list[0]["phone_masked"], "139****0077");

    let worker = app.token("wg0101").await;
    let triage = |id: i64| format!("/api/v1/opinions/{id}/triage");
    let (s, _) = app
        .post(
            &triage(answer_id),
            &worker,
            json!({"action": "answer", "answer": "好"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, o) = app
        .post(
            &triage(answer_id),
            &officer,
            json!({"action": "answer", "answer": "已列入下季度民生实事，届时公示选址"}),
        )
        .await;
    assert_eq!(
        (s, o["status"].as_str()),
        (StatusCode::OK, Some("answered")),
        "{o}"
    );
    let (s, _) = app
        .post(
            &triage(answer_id),
            &officer,
            json!({"action": "answer", "answer": "再答一次"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, o) = app
        .post(
            &triage(case_id),
            &officer,
            json!({"action": "case", "category": "0201", "title": "北门路灯损坏"}),
        )
        .await;
    assert_eq!(
        (s, o["status"].as_str()),
        (StatusCode::OK, Some("case")),
        "{o}"
    );
    let case = o["case_id"].as_i64().expect("a case was opened");
    let (s, c) = app.get(&format!("/api/v1/cases/{case}"), &officer).await;
    assert_eq!(
        (s, c["case"]["source"].as_str()),
        (StatusCode::OK, Some("opinion")),
        "{c}"
    );

    // The sender is told by text of each outcome, with the page that shows it.
    let code = first["tracking_code"].as_str().unwrap();
    let answered = app.texted("13977580077", "社区已答复").await;
    assert!(answered.contains(&format!("/ot/{code}")), "{answered}");
    let taken_up = app.texted("13977580077", "已转为事件办理").await;
    let second_code = second["tracking_code"].as_str().unwrap();
    assert!(
        taken_up.contains(&format!("/ot/{second_code}")),
        "{taken_up}"
    );
    let (s, t) = app
        .call(
            Method::GET,
            &format!("/api/v1/public/opinions/{code}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        (s, t["answer"].as_str()),
        (StatusCode::OK, Some("已列入下季度民生实事，届时公示选址"))
    );
    let code = second["tracking_code"].as_str().unwrap();
    let (_, t) = app
        .call(
            Method::GET,
            &format!("/api/v1/public/opinions/{code}"),
            None,
            None,
        )
        .await;
    assert_eq!(t["case_id"], case);
    // Another community's officer does not see the box.
    let other = app.token("sq02").await;
    let (s, _) = app
        .post(
            &triage(case_id),
            &other,
            json!({"action": "answer", "answer": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn texts_are_limited_per_phone_and_address_and_counted_for_the_administrator() {
    let config = shanzhi_app::AppConfig {
        device_answers_per_hour: 3,
        ..Default::default()
    };
    let app = TestApp::demo_with(config, Default::default()).await;
    let officer = app.token("sq01").await;
    let (_, sv) = app
        .post("/api/v1/surveys", &officer, survey(&app, "phone"))
        .await;
    let codes = format!("/api/v1/public/surveys/{}/codes", sv["survey"]["id"]);
    // One phone: five codes an hour, one a minute.
    for i in 0..5 {
        let (s, e) = public(&app, &codes, json!({"phone": "13977581111"})).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "code {i}: {e}");
        app.state().clock().advance(61_000);
    }
    let (s, e) = public(&app, &codes, json!({"phone": "13977581111"})).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "the sixth in an hour"
    );
    // One address: thirty requests an hour, whatever numbers it types (six made above).
    for i in 0..24 {
        let (s, e) = public(&app, &codes, json!({"phone": format!("1397759{i:04}")})).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "number {i}: {e}");
    }
    let (s, _) = public(&app, &codes, json!({"phone": "13977599999"})).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "an address pumping texts");
    // The administrator sees how many went out.
    let (admin, _) = crate::pages::logged_in(&app, "admin").await;
    let (_, html) = crate::common::fetch(&app, &admin, "/admin/calendar").await;
    assert!(html.contains("最近一小时 29 条"), "{html}");

    // A device survey takes a few answers per address in an hour, however many tokens.
    let (_, dv) = app
        .post("/api/v1/surveys", &officer, survey(&app, "device"))
        .await;
    let answers = format!("/api/v1/public/surveys/{}/answers", dv["survey"]["id"]);
    for i in 0..3 {
        let body =
            json!({"device": format!("fresh-device-token-{i:04}"), "answers": [2, [1], 3, null]});
        assert_eq!(public(&app, &answers, body).await.0, StatusCode::CREATED);
    }
    let body = json!({"device": "fresh-device-token-9999", "answers": [2, [1], 3, null]});
    assert_eq!(
        public(&app, &answers, body).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}
