//! Accounts: creating them with a valid binding, passwords, logins, sessions and tokens.

use crate::auth::{hash_password, hash_secret, new_secret, verify_password};
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use crate::{audit, regions};
use shanzhi_domain::auth::Actor;
use shanzhi_domain::auth::{Binding, Role, check_binding, check_password_policy};
use shanzhi_domain::notify::FeedKind;
use shanzhi_store::accounts::{self, NewAccount};
pub use shanzhi_store::accounts::{AccountRow, DepartmentRow};
use shanzhi_store::{Tx, regions as region_store, sessions};

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

fn check_username(u: &str) -> Result<(), AppError> {
    let ok = (3..=32).contains(&u.len())
        && u.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(AppError::bad(
            "invalid_username",
            "用户名须为 3–32 位小写字母、数字、下划线、点或连字符",
        ))
    }
}

/// Creates an account. `by` is the acting admin, or None for the CLI.
pub async fn create(
    state: &App,
    by: Option<&Actor>,
    input: NewAccountInput,
) -> Result<AccountRow, AppError> {
    create_in(state.store(), by, input, state.now_ms()).await
}

/// Creates an account in `store` (the first administrator is made before the state exists).
pub(crate) async fn create_in(
    store: &shanzhi_store::Store,
    by: Option<&Actor>,
    input: NewAccountInput,
    now: i64,
) -> Result<AccountRow, AppError> {
    if let Some(a) = by {
        a.may(Resource::Account, Verb::Write)?;
        if input.role.administers() {
            return Err(AppError::Forbidden(
                "系统管理员、安全管理员和审计管理员账号只能在服务器上用命令行创建".into(),
            ));
        }
        match &input.node_code {
            Some(c) if a.sees(c) => {}
            // Outside the admin's own scope the node does not exist for them.
            Some(_) => return Err(AppError::bad("unknown_node", "绑定的节点不存在")),
            None if a.scope_root().is_none() => {}
            None => return Err(AppError::Forbidden("只有全域管理员可以创建全域账号".into())),
        }
    }
    let username = input.username.trim().to_lowercase();
    check_username(&username)?;
    if input.display_name.trim().is_empty() {
        return Err(AppError::bad("invalid_name", "姓名不能为空"));
    }
    check_password_policy(&input.password)
        .map_err(|e| AppError::bad("weak_password", e.to_string()))?;
    let mut conn = store.conn().await?;
    let level = match &input.node_code {
        Some(c) => {
            let node = region_store::get(&mut conn, c)
                .await?
                .filter(|n| n.retired_at.is_none());
            Some(
                node.ok_or_else(|| {
                    AppError::bad("unknown_node", format!("绑定的节点 {c} 不存在或已撤销"))
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
    .map_err(|e| AppError::bad("invalid_binding", e.to_string()))?;
    if let Some(d) = input.department_id {
        let dep = accounts::department(&mut conn, d)
            .await?
            .ok_or_else(|| AppError::bad("unknown_department", "部门不存在"))?;
        if input.node_code.as_deref() != Some(dep.node_code.as_str()) {
            return Err(AppError::bad(
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
        role: input.role,
        node_code: input.node_code.as_deref(),
        department_id: input.department_id,
        password_hash: &hash,
    };
    let id = accounts::insert(&mut tx, new, now)
        .await
        .map_err(|e| match e {
            shanzhi_store::StoreError::Conflict(_) => {
                AppError::Conflict(format!("用户名 {username} 已被使用"))
            }
            other => other.into(),
        })?;
    let row = accounts::by_id(&mut tx, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(row)
}

/// Sets a password. `by` is None for the CLI; otherwise an admin (in scope) or the account itself.
pub async fn set_password(
    state: &App,
    by: Option<&Actor>,
    username: &str,
    password: String,
) -> Result<(), AppError> {
    check_password_policy(&password).map_err(|e| AppError::bad("weak_password", e.to_string()))?;
    let account = accounts::by_username(&mut state.store().conn().await?, username)
        .await?
        .ok_or_else(AppError::not_found)?;
    if let Some(a) = by {
        let own = a.account_id == account.id;
        let admin_in_scope = a.can(Resource::Account, Verb::Write)
            && account.node_code.as_deref().is_none_or(|c| a.sees(c));
        let unbound_target_needs_root = account.node_code.is_none() && a.scope_root().is_some();
        if !own && (!admin_in_scope || unbound_target_needs_root) {
            return Err(AppError::not_found());
        }
    }
    let hash = hash_password(password).await?;
    let mut tx = state.store().begin().await?;
    accounts::set_password(&mut tx, account.id, &hash, state.now_ms()).await?;
    callers_changed(state, tx).await
}

/// Checks a login from the client at `ip`. Failures are counted per account and address and
/// per address (in the database, shared by every process): after a few, each next try from
/// that address waits longer, then the pair or a spraying address is locked for a while —
/// never the account itself, so its owner signs in from anywhere else.
pub async fn login(
    state: &App,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<AccountRow, AppError> {
    let name = login_name(username);
    let rule = state.config().login_rule;
    let now = state.now_ms();
    let since = now - rule.window.as_millis() as i64;
    let failures =
        shanzhi_store::limits::failures(&mut state.store().conn().await?, &name, ip, since).await?;
    rule.check(&failures, now)
        .map_err(|wait| AppError::RateLimited(wait.as_secs().max(1)))?;
    let result = authenticate(state, &name, password).await;
    let mut conn = state.store().conn().await?;
    match &result {
        Ok(_) if failures.pair > 0 => {
            shanzhi_store::limits::clear_failures(&mut conn, &name, ip).await?;
        }
        Ok(_) => {}
        Err(_) => shanzhi_store::limits::record_failure(&mut conn, &name, ip, now).await?,
    }
    result
}

/// Checks a password. Unknown and inactive accounts cost the same time as a wrong password
/// and get the same answer.
pub async fn authenticate(
    state: &App,
    username: &str,
    password: &str,
) -> Result<AccountRow, AppError> {
    let username = login_name(username);
    let account = accounts::by_username(&mut state.store().conn().await?, &username).await?;
    let hash = account
        .as_ref()
        .filter(|a| a.active)
        .map(|a| a.password_hash.clone());
    if verify_password(password.to_owned(), hash).await
        && let Some(a) = account
    {
        return Ok(a);
    }
    Err(AppError::Unauthorized("用户名或密码错误".into()))
}

/// A login name as accounts are stored and throttled: trimmed, lower case.
pub fn login_name(typed: &str) -> String {
    typed.trim().to_lowercase()
}

/// The caller behind a session cookie's value, while the session lasts.
pub async fn by_session(state: &App, secret: &str) -> Result<Option<Principal>, AppError> {
    held_by(state, Secret::Session, secret).await
}

/// The caller behind an API token, while it lasts.
pub async fn by_token(state: &App, secret: &str) -> Result<Option<Principal>, AppError> {
    held_by(state, Secret::Token, secret).await
}

/// What a presented secret is.
#[derive(Clone, Copy)]
enum Secret {
    Session,
    Token,
}

/// The caller behind a secret: every request asks, so who holds it is kept in memory until
/// something changes who may log in ([`callers_changed`]).
async fn held_by(state: &App, kind: Secret, secret: &str) -> Result<Option<Principal>, AppError> {
    let hash = hash_secret(secret);
    let key = match kind {
        Secret::Session => format!("s{hash}"),
        Secret::Token => format!("t{hash}"),
    };
    let now = state.now_ms();
    let read = async {
        let mut conn = state.store().conn().await?;
        Ok::<_, AppError>(match kind {
            Secret::Session => sessions::session_account(&mut conn, &hash, now).await?,
            Secret::Token => sessions::token_account(&mut conn, &hash, now).await?,
        })
    };
    let holder = state.callers().get_or_read(&key, read).await?;
    holder
        .filter(|h| h.expires_at > now)
        .map(|h| Principal::of(h.account))
        .transpose()
}

/// Commits a change to who may log in, as what, with its change-feed entry: this process and
/// every other forget the callers they knew.
pub(crate) async fn callers_changed(state: &App, mut tx: Tx) -> Result<(), AppError> {
    tx.publish(FeedKind::Accounts, "{}".into(), state.now_ms());
    tx.commit().await?;
    state.announced();
    state.callers().forget();
    Ok(())
}

/// Starts a web session; returns the cookie value.
pub async fn start_session(state: &App, account_id: i64) -> Result<String, AppError> {
    let token = new_secret("s_");
    let expires = state.now_ms() + state.config().session_ttl.as_millis() as i64;
    sessions::create_session(
        &mut state.store().conn().await?,
        &hash_secret(&token),
        account_id,
        expires,
        state.now_ms(),
    )
    .await?;
    Ok(token)
}

/// Issues an API token; returns it (shown once) and its expiry (ms).
pub async fn issue_token(
    state: &App,
    account_id: i64,
    name: &str,
) -> Result<(String, i64), AppError> {
    let token = new_secret("sz_");
    let expires = state.now_ms() + state.config().token_ttl.as_millis() as i64;
    sessions::create_token(
        &mut state.store().conn().await?,
        &hash_secret(&token),
        account_id,
        name,
        expires,
        state.now_ms(),
    )
    .await?;
    Ok((token, expires))
}

/// The Chinese description of where an account is bound.
pub async fn place_of(state: &App, a: &AccountRow) -> Result<String, AppError> {
    let Some(code) = &a.node_code else {
        return Ok("全域".into());
    };
    let node = region_store::get(&mut state.store().conn().await?, code).await?;
    Ok(node.map_or_else(
        || code.clone(),
        |n| format!("{}（{}）", n.name, n.level.label()),
    ))
}

/// Accounts bound inside the administrator's scope, by id after `after`.
pub async fn page(
    state: &App,
    actor: &Actor,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<AccountRow>, AppError> {
    actor.may(Resource::Account, Verb::List)?;
    Ok(accounts::page(
        &mut state.store().conn().await?,
        actor.scope_root(),
        after,
        limit,
    )
    .await?)
}

/// Departments whose jurisdiction lies in the caller's scope.
pub async fn departments(state: &App, actor: &Actor) -> Result<Vec<DepartmentRow>, AppError> {
    actor.may(Resource::Department, Verb::List)?;
    Ok(accounts::departments(&mut state.store().conn().await?, actor.scope_root()).await?)
}

/// Creates a department (职能部门) with its jurisdiction in the administrator's scope.
pub async fn create_department(
    state: &App,
    actor: &Actor,
    name: &str,
    kind: &str,
    node_code: &str,
) -> Result<DepartmentRow, AppError> {
    actor.may(Resource::Department, Verb::Write)?;
    let (name, kind) = (name.trim(), kind.trim());
    if name.is_empty() || kind.is_empty() {
        return Err(AppError::bad(
            "invalid_department",
            "部门名称和类型不能为空",
        ));
    }
    regions::visible(state, actor, node_code)
        .await
        .map_err(|_| AppError::bad("unknown_node", "辖区节点不存在"))?;
    let mut tx = state.store().begin().await?;
    let id = accounts::insert_department(&mut tx, name, kind, node_code, state.now_ms()).await?;
    tx.commit().await?;
    Ok(DepartmentRow {
        id,
        name: name.into(),
        kind: kind.into(),
        node_code: node_code.into(),
    })
}

/// Gives the account `username` another role (安全管理员 only, in scope). The binding must
/// still hold for the new role; the three administrators' roles are changed on the server
/// only. Sessions stay open: the account's next request is asked of the new role. Audited.
pub async fn set_role(
    state: &App,
    by: &Principal,
    username: &str,
    role: Role,
) -> Result<AccountRow, AppError> {
    by.may(Resource::Grant, Verb::Write)?;
    let mut tx = state.store().begin().await?;
    let account = accounts::by_username(&mut tx, &login_name(username))
        .await?
        .filter(|a| a.node_code.as_deref().is_none_or(|c| by.actor.sees(c)))
        .ok_or_else(AppError::not_found)?;
    if account.role.administers() || role.administers() {
        return Err(AppError::Forbidden(
            "系统管理员、安全管理员和审计管理员的角色只能在服务器上用命令行变更".into(),
        ));
    }
    let level = match &account.node_code {
        Some(c) => region_store::get(&mut tx, c).await?.map(|n| n.level()),
        None => None,
    };
    check_binding(&Binding {
        role,
        level,
        department_id: account.department_id,
    })
    .map_err(|e| AppError::bad("invalid_binding", e.to_string()))?;
    let now = state.now_ms();
    accounts::set_role(&mut tx, account.id, role, now).await?;
    let record = audit::entry(
        now,
        &audit::Actor::of(by),
        "account.role",
        format!("account:{}", account.id),
        account.node_code.as_deref(),
        serde_json::json!({"username": account.username, "before": account.role, "after": role}),
    );
    audit::record(&mut tx, [record]);
    let row = accounts::by_id(&mut tx, account.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    callers_changed(state, tx).await?;
    Ok(row)
}

/// Ends the API token `secret` (logging out of the API).
pub async fn revoke_token(state: &App, secret: &str) -> Result<(), AppError> {
    let mut tx = state.store().begin().await?;
    sessions::delete_token(&mut tx, &hash_secret(secret.trim())).await?;
    callers_changed(state, tx).await
}

/// Ends the web session whose cookie holds `secret` (logging out).
pub async fn end_session(state: &App, secret: &str) -> Result<(), AppError> {
    let mut tx = state.store().begin().await?;
    sessions::delete_session(&mut tx, &hash_secret(secret)).await?;
    callers_changed(state, tx).await
}

/// Deletes expired sessions and tokens; returns how many went.
pub async fn purge_expired(state: &App) -> Result<u64, AppError> {
    Ok(sessions::purge_expired(&mut state.store().conn().await?, state.now_ms()).await?)
}

/// The caller a command-line operation runs as: the account named `username` (its scope and
/// role apply, and the audit trail names it).
pub async fn acting_as(state: &App, username: &str) -> Result<Principal, AppError> {
    let account = accounts::by_username(&mut state.store().conn().await?, &login_name(username))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("没有用户名为 {username} 的账号")))?;
    Principal::of(account)
}
