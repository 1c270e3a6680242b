//! What the SMS gateway posts back (回执与上行): status reports saying whether each text
//! reached the handset, and residents' replies, of which 退订 stops notices to that phone.
//! Gateways differ in shape, so both read the common ones: a JSON array of objects, one
//! object, or an object holding the array under `reports`, `data` or `list`; field names as
//! Aliyun, Tencent Cloud and the CMPP-bridging gateways write them.

use crate::sms::text_of;
use crate::{App, AppError};
use serde_json::Value;
use shanzhi_domain::texts::Receipt;
use shanzhi_store::sms as store;

/// What a callback did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Handled {
    /// Items in the body.
    pub items: usize,
    /// Receipts recorded, or replies that opted out.
    pub applied: u64,
}

/// The items of a callback body.
fn items(body: &Value) -> Vec<&Value> {
    match body {
        Value::Array(all) => all.iter().collect(),
        Value::Object(map) => ["reports", "data", "list"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_array))
            .map_or_else(|| vec![body], |all| all.iter().collect()),
        _ => Vec::new(),
    }
}

/// The first of `keys` the item has, as text.
fn field(item: &Value, keys: &[&str], flags: bool) -> Option<String> {
    keys.iter()
        .find_map(|k| item.get(*k).and_then(|v| text_of(v, flags)))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Reads one status report: the gateway's message id and what became of it. A `success`
/// flag wins over a status word (Aliyun sends both).
fn receipt_of(item: &Value) -> Option<(String, Receipt)> {
    let id = field(
        item,
        &[
            "biz_id",
            "BizId",
            "bizId",
            "message_id",
            "msgid",
            "msg_id",
            "SerialNo",
            "sid",
            "id",
        ],
        false,
    )?;
    let receipt = match item.get("success").and_then(Value::as_bool) {
        Some(true) => Receipt::Delivered,
        Some(false) => Receipt::Undelivered,
        None => Receipt::from_gateway(&field(
            item,
            &["report_status", "err_code", "status", "stat", "Status"],
            true,
        )?),
    };
    Some((id, receipt))
}

/// Records the gateway's status reports; an item without a message id or a status is
/// skipped (the gateway would only post it again).
pub async fn receipts(state: &App, body: &Value) -> Result<Handled, AppError> {
    let all = items(body);
    let now = state.now_ms();
    // One transaction: each report with its grid's count, or none of them.
    let mut tx = state.store().begin().await?;
    let mut applied = 0;
    for (id, receipt) in all.iter().filter_map(|item| receipt_of(item)) {
        applied += store::receipt(&mut tx, &id, receipt, now).await?;
    }
    tx.commit().await?;
    Ok(Handled {
        items: all.len(),
        applied,
    })
}

/// Reads one reply: the phone it came from and its text.
fn reply_of(item: &Value) -> Option<(String, String)> {
    let phone = field(
        item,
        &[
            "phone_number",
            "phone",
            "mobile",
            "src_id",
            "from",
            "PhoneNumber",
        ],
        false,
    )?;
    let text = field(
        item,
        &["content", "text", "msg", "message", "Content"],
        false,
    )?;
    Some((phone, text))
}

/// Acts on residents' replies: 退订 and the like stop notices to that phone. A reply from a
/// number that is no phone is skipped, not refused, so one bad item does not hold back the
/// rest of the batch.
pub async fn replies(state: &App, body: &Value) -> Result<Handled, AppError> {
    let all = items(body);
    let mut applied = 0;
    for (phone, text) in all.iter().filter_map(|item| reply_of(item)) {
        match crate::notices::reply(state, &phone, &text).await {
            Ok(stopped) => applied += u64::from(stopped),
            Err(AppError::BadRequest { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Handled {
        items: all.len(),
        applied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_reports_are_read_in_the_common_shapes() {
        let aliyun = json!([{"phone_number": "13800000000", "success": true,
            "err_code": "DELIVERED", "biz_id": "932702304080415357^0"},
            {"phone_number": "13800000001", "success": false, "err_code": "MK:0001",
            "biz_id": "932702304080415358^0"}]);
        let read: Vec<_> = items(&aliyun).into_iter().filter_map(receipt_of).collect();
        assert_eq!(
            read,
            vec![
                ("932702304080415357^0".into(), Receipt::Delivered),
                ("932702304080415358^0".into(), Receipt::Undelivered)
            ]
        );
        let cmpp = json!({"reports": [{"msgid": 77, "stat": "DELIVRD"}]});
        assert_eq!(
            items(&cmpp)
                .into_iter()
                .filter_map(receipt_of)
                .collect::<Vec<_>>(),
            vec![("77".into(), Receipt::Delivered)]
        );
        assert_eq!(receipt_of(&json!({"status": "DELIVRD"})), None, "no id");
        assert_eq!(receipt_of(&json!({"id": "1"})), None, "no status");
    }

    #[test]
    fn replies_are_read_with_their_phone() {
        let one = json!({"phone_number": "13800000000", "content": "TD", "sign_name": "善治"});
        assert_eq!(
            items(&one)
                .into_iter()
                .filter_map(reply_of)
                .collect::<Vec<_>>(),
            vec![("13800000000".into(), "TD".into())]
        );
        assert_eq!(reply_of(&json!({"content": "TD"})), None);
    }
}
