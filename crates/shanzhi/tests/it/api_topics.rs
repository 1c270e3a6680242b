//! 协商议事 over the API: a resident proposes, the community accepts, a 大事 meeting of the
//! four parties votes (participants only, once each), the resolution yields adopted, case and
//! upward suggestions, progress rolls up to done with evidence, and the proposer and followers
//! are texted at each step.

use crate::common::{TestApp, error_code};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const COMMUNITY: &str = "450802001001";

async fn public(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, path, None, Some(body)).await
}

#[tokio::test]
async fn a_major_topic_goes_from_proposal_through_a_vote_to_done() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let topic = json!({"node": COMMUNITY, "title": "吉祥苑 8 栋老楼漏雨维修", "detail": "顶楼漏雨严重，物业服务期将满，维修资金如何分摊需要商量",
                       "scale": "major", "name": "韩家威", "phone": "13877510008"});
    let mut urgent = topic.clone();
    urgent["scale"] = json!("urgent");
    urgent["hours"] = json!(100);
    let (s, e) = public(&app, "/api/v1/public/topics", urgent).await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_deadline")
    );
    let (s, p) = public(&app, "/api/v1/public/topics", topic).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = p["id"].as_i64().unwrap();
    let code = p["tracking_code"].as_str().unwrap().to_owned();
    let (s, _) = public(
        &app,
        &format!("/api/v1/public/topics/{id}/followers"),
        json!({"phone": "13977580021"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);

    // Accepted: the proposer and the follower are texted.
    let (s, _) = app
        .post(
            &format!("/api/v1/topics/{id}/decision"),
            &app.token("wg0101").await,
            json!({"accept": true}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "grid workers do not run consultations"
    );
    let (s, d) = app
        .post(
            &format!("/api/v1/topics/{id}/decision"),
            &officer,
            json!({"accept": true}),
        )
        .await;
    assert_eq!(
        (s, d["topic"]["stage"].as_str()),
        (StatusCode::OK, Some("consulting")),
        "{d}"
    );
    for phone in ["13877510008", "13977580021"] {
        let text = app.texted(phone, "已受理").await;
        assert!(text.contains("/pt/"), "the text links to the topic: {text}");
    }

    // A meeting of the four parties in the courtyard, with a vote.
    let parties = json!([
        {"name": "黄春萍", "side": "committee", "present": true},
        {"name": "韩家威", "side": "owners", "present": true},
        {"name": "李经理", "side": "property", "present": true},
        {"name": "覃阿姨", "side": "resident", "present": true},
        {"name": "莫先生", "side": "resident", "present": false}]);
    let (s, d) = app
        .post(&format!("/api/v1/topics/{id}/meetings"), &officer,
              json!({"format": "现场", "place": "8 栋庭院", "minutes": "物业承诺投入维修资金，不足部分由维修基金列支", "participants": parties}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let meeting = &d["meetings"][0];
    let mid = meeting["meeting"]["id"].as_i64().unwrap();
    let pid = |name: &str| {
        meeting["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let votes = format!("/api/v1/meetings/{mid}/votes");

    // 大事 cannot be resolved before the vote passes.
    let resolution = json!({"meeting_id": mid, "text": "物业出资维修 8 栋屋面，月底前完工", "suggestions": [
        {"text": "物业公司负责屋面防水施工", "disposition": "adopted", "owner": "港城物业"},
        {"text": "楼道墙皮脱落一并处理", "disposition": "case", "category": "0201"},
        {"text": "建议区里统筹老旧小区屋面改造资金", "disposition": "upward", "owner": "港北区政协"}]});
    let (s, _) = app
        .post(
            &format!("/api/v1/topics/{id}/resolutions"),
            &officer,
            resolution.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    for (name, choice) in [("黄春萍", "for"), ("韩家威", "for"), ("李经理", "abstain")] {
        let (s, v) = app
            .post(
                &votes,
                &officer,
                json!({"participant_id": pid(name), "choice": choice}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, _) = app
        .post(
            &votes,
            &officer,
            json!({"participant_id": pid("韩家威"), "choice": "against"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one vote each");
    let (s, e) = app
        .post(
            &votes,
            &officer,
            json!({"participant_id": pid("莫先生"), "choice": "for"}),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "not_present")
    );
    let (s, e) = app
        .post(
            &votes,
            &officer,
            json!({"participant_id": 999_999, "choice": "for"}),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "not_a_participant")
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/topics/{id}/resolutions"),
            &officer,
            resolution.clone(),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "2 of 4 present is not more than half"
    );
    let (s, v) = app
        .post(
            &votes,
            &officer,
            json!({"participant_id": pid("覃阿姨"), "choice": "for"}),
        )
        .await;
    assert_eq!(
        (s, v["passed"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );

    let (s, d) = app
        .post(
            &format!("/api/v1/topics/{id}/resolutions"),
            &officer,
            resolution,
        )
        .await;
    assert_eq!(
        (s, d["topic"]["stage"].as_str()),
        (StatusCode::CREATED, Some("implementing")),
        "{d}"
    );
    let suggestions = d["resolutions"][0]["suggestions"]
        .as_array()
        .unwrap()
        .clone();
    let case = suggestions[1]["case_id"]
        .as_i64()
        .expect("the case suggestion opened a case");
    let (s, _) = app.get(&format!("/api/v1/cases/{case}"), &officer).await;
    assert_eq!(s, StatusCode::OK);
    app.texted("13977580021", "形成决议").await;

    // 跟踪问效: progress forward only, done with evidence, rolled up.
    let progress = |sid: &Value| format!("/api/v1/suggestions/{sid}/progress");
    let (s, d) = app
        .post(
            &progress(&suggestions[0]["id"]),
            &officer,
            json!({"progress": 60}),
        )
        .await;
    assert_eq!(
        (s, d["topic"]["progress"].as_i64()),
        (StatusCode::OK, Some(20)),
        "{d}"
    );
    let (s, _) = app
        .post(
            &progress(&suggestions[0]["id"]),
            &officer,
            json!({"progress": 40}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "never backwards");
    let (s, e) = app
        .post(
            &progress(&suggestions[0]["id"]),
            &officer,
            json!({"progress": 100}),
        )
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_progress"),
        "done needs evidence"
    );
    for sg in &suggestions {
        let (s, d) = app
            .post(
                &progress(&sg["id"]),
                &officer,
                json!({"progress": 100, "evidence": "已完成，验收照片存档"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
    }
    let (_, t) = app
        .call(
            Method::GET,
            &format!("/api/v1/public/topics/tracking/{code}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        (
            t["topic"]["stage"].as_str(),
            t["topic"]["progress"].as_i64()
        ),
        (Some("done"), Some(100)),
        "{t}"
    );
    assert!(t["adoption_to_done_days"].as_f64().is_some(), "{t}");
    assert_eq!(
        t["topic"]["proposer_phone_masked"], "",
        "the public never sees the phone"
    );
    app.texted("13877510008", "办结").await;
    let (_, list) = app
        .call(
            Method::GET,
            &format!("/api/v1/public/topics?node={COMMUNITY}"),
            None,
            None,
        )
        .await;
    assert!(list.as_array().unwrap().iter().any(|x| x["id"] == id));
}

#[tokio::test]
async fn a_minor_topic_is_resolved_without_a_vote_and_a_declined_one_stops() {
    let app = TestApp::demo().await;
    let officer = app.token("sq01").await;
    let (s, p) = app
        .post("/api/v1/topics", &officer, json!({"node": "450802001001001", "title": "楼道堆物清理", "detail": "3 栋楼道纸箱多", "scale": "minor"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = p["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/topics/{id}/decision"),
        &officer,
        json!({"accept": true}),
    )
    .await;
    let (s, d) = app
        .post(&format!("/api/v1/topics/{id}/resolutions"), &officer,
              json!({"text": "周六集中清理", "suggestions": [{"text": "网格员组织清理", "disposition": "adopted", "owner": "第一网格"}]}))
        .await;
    assert_eq!(
        (s, d["topic"]["stage"].as_str()),
        (StatusCode::CREATED, Some("implementing")),
        "{d}"
    );
    let (_, p2) = app
        .post(
            "/api/v1/topics",
            &officer,
            json!({"node": COMMUNITY, "title": "重复议题", "detail": "同上", "scale": "minor"}),
        )
        .await;
    let id2 = p2["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/topics/{id2}/decision"),
            &officer,
            json!({"accept": false}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a reason is needed");
    let (s, d) = app
        .post(
            &format!("/api/v1/topics/{id2}/decision"),
            &officer,
            json!({"accept": false, "reason": "与已有议题重复"}),
        )
        .await;
    assert_eq!(
        (s, d["topic"]["stage"].as_str()),
        (StatusCode::OK, Some("declined"))
    );
    let (s, _) = app
        .post(&format!("/api/v1/topics/{id2}/meetings"), &officer,
              json!({"format": "线上", "place": "微信群", "minutes": "", "participants": [{"name": "甲", "side": "resident", "present": true}]}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
}
