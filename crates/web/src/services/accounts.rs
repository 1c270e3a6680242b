//! Accounts: creating them with a valid binding, passwords, logins, sessions and tokens.

use crate::auth::{Actor, hash_password, hash_secret, new_secret, verify_password};
use crate::{ApiError, AppState};
use shanzhi_domain::auth::{Binding, Role, check_binding, check_password_policy};
use shanzhi_domain::region::Level;
use shanzhi_store::accounts::{self, AccountRow, NewAccount};
use shanzhi_store::{Store, now_ms, regions, sessions};
use std::time::Instant;

/// What is needed to create an account (also the API's request body).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewAccountInput {
    /// Login name: 3–32 of a–z, 0–9, `_`, `.`, `-`.
    pub username: String,
    /// Real name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Bound node (None: deployment-wide, admins only).
    pub node_code: Option<String>,
    /// Department, for department handlers.
    pub department_id: Option<i64>,
    /// Initial password (≥ 10 characters, letters and digits).
    pub password: String,
}

fn check_username(u: &str) -> Result<(), ApiError> {
    let ok = (3..=32).contains(&u.len())
        && u.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad(
            "invalid_username",
            "用户名须为 3–32 位小写字母、数字、下划线、点或连字符",
        ))
    }
}

/// Creates an account. `by` is the acting admin, or None for the CLI and first start.
pub async fn create(
    store: &Store,
    by: Option<&Actor>,
    input: NewAccountInput,
) -> Result<AccountRow, ApiError> {
    if let Some(a) = by {
        if !a.may_manage_accounts() {
            return Err(ApiError::Forbidden("只有系统管理员可以管理账号".into()));
        }
        match &input.node_code {
            Some(c) if a.sees(c) => {}
            // Outside the admin's own scope the node does not exist for them.
            Some(_) => return Err(ApiError::bad("unknown_node", "绑定的节点不存在")),
            None if a.scope_root().is_none() => {}
            None => return Err(ApiError::Forbidden("只有全域管理员可以创建全域账号".into())),
        }
    }
    let username = input.username.trim().to_lowercase();
    check_username(&username)?;
    if input.display_name.trim().is_empty() {
        return Err(ApiError::bad("invalid_name", "姓名不能为空"));
    }
    check_password_policy(&input.password)
        .map_err(|e| ApiError::bad("weak_password", e.to_string()))?;
    let mut conn = store.conn().await?;
    let level = match &input.node_code {
        Some(c) => {
            let node = regions::get(&mut conn, c)
                .await?
                .filter(|n| n.retired_at.is_none());
            Some(
                node.ok_or_else(|| {
                    ApiError::bad("unknown_node", format!("绑定的节点 {c} 不存在或已撤销"))
                })?
                .level(),
            )
        }
        None => None,
    };
    check_binding(&Binding {
        role: input.role,
        level,
        department_id: input.department_id,
    })
    .map_err(|e| ApiError::bad("invalid_binding", e.to_string()))?;
    if let Some(d) = input.department_id {
        let dep = accounts::department(&mut conn, d)
            .await?
            .ok_or_else(|| ApiError::bad("unknown_department", "部门不存在"))?;
        if input.node_code.as_deref() != Some(dep.node_code.as_str()) {
            return Err(ApiError::bad(
                "invalid_binding",
                "职能部门账号必须绑定到部门的辖区节点",
            ));
        }
    }
    drop(conn);
    let hash = hash_password(input.password).await?;
    let mut tx = store.begin().await?;
    let new = NewAccount {
        username: &username,
        display_name: &input.display_name,
        role: input.role.as_str(),
        node_code: input.node_code.as_deref(),
        department_id: input.department_id,
        password_hash: &hash,
    };
    let id = accounts::insert(&mut tx, new).await.map_err(|e| match e {
        shanzhi_store::StoreError::Conflict(_) => {
            ApiError::Conflict(format!("用户名 {username} 已被使用"))
        }
        other => other.into(),
    })?;
    let row = accounts::by_id(&mut tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(row)
}

/// Sets a password. `by` is None for the CLI; otherwise an admin (in scope) or the account itself.
pub async fn set_password(
    store: &Store,
    by: Option<&Actor>,
    username: &str,
    password: String,
) -> Result<(), ApiError> {
    check_password_policy(&password).map_err(|e| ApiError::bad("weak_password", e.to_string()))?;
    let account = accounts::by_username(&mut store.conn().await?, username)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Some(a) = by {
        let own = a.account_id == account.id;
        let admin_in_scope =
            a.may_manage_accounts() && account.node_code.as_deref().is_none_or(|c| a.sees(c));
        let unbound_target_needs_root = account.node_code.is_none() && a.scope_root().is_some();
        if !own && (!admin_in_scope || unbound_target_needs_root) {
            return Err(ApiError::not_found());
        }
    }
    let hash = hash_password(password).await?;
    let mut tx = store.begin().await?;
    accounts::set_password(&mut tx, account.id, &hash).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks a login, with throttling per account and per client address.
pub async fn authenticate(
    state: &AppState,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<AccountRow, ApiError> {
    let username = username.trim().to_lowercase();
    if let Err(wait) = state.with_throttle(|t| t.check(&username, ip, Instant::now())) {
        return Err(ApiError::RateLimited(wait.as_secs().max(1)));
    }
    let account = accounts::by_username(&mut state.store().conn().await?, &username).await?;
    let hash = account
        .as_ref()
        .filter(|a| a.active)
        .map(|a| a.password_hash.clone());
    if verify_password(password.to_owned(), hash).await
        && let Some(a) = account
    {
        state.with_throttle(|t| t.record_success(&username));
        return Ok(a);
    }
    state.with_throttle(|t| t.record_failure(&username, ip, Instant::now()));
    Err(ApiError::Unauthorized("用户名或密码错误".into()))
}

/// Starts a web session; returns the cookie value.
pub async fn start_session(state: &AppState, account_id: i64) -> Result<String, ApiError> {
    let token = new_secret("s_");
    let expires = now_ms() + state.config().session_ttl.as_millis() as i64;
    sessions::create_session(
        &mut state.store().conn().await?,
        &hash_secret(&token),
        account_id,
        expires,
    )
    .await?;
    Ok(token)
}

/// Issues an API token; returns it (shown once) and its expiry (ms).
pub async fn issue_token(
    state: &AppState,
    account_id: i64,
    name: &str,
) -> Result<(String, i64), ApiError> {
    let token = new_secret("sz_");
    let expires = now_ms() + state.config().token_ttl.as_millis() as i64;
    sessions::create_token(
        &mut state.store().conn().await?,
        &hash_secret(&token),
        account_id,
        name,
        expires,
    )
    .await?;
    Ok((token, expires))
}

/// The Chinese description of where an account is bound.
pub async fn place_of(store: &Store, a: &AccountRow) -> Result<String, ApiError> {
    let Some(code) = &a.node_code else {
        return Ok("全域".into());
    };
    let node = regions::get(&mut store.conn().await?, code).await?;
    Ok(node.map_or_else(
        || code.clone(),
        |n| {
            format!(
                "{}（{}）",
                n.name,
                Level::parse(&n.level).map_or("", Level::label)
            )
        },
    ))
}
