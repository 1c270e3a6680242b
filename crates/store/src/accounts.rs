//! Staff accounts and departments.

use crate::{Exec, Sql, StoreError};
use shanzhi_domain::auth::Role;

const COLUMNS: &str = "id, username, display_name, role, node_code, department_id, password_hash, active, \
                       created_at, updated_at";

/// A stored account.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AccountRow {
    /// Id.
    pub id: i64,
    /// Login name (lower case).
    pub username: String,
    /// Real name shown in the UI.
    pub display_name: String,
    /// Role (stored name).
    pub role: Role,
    /// Bound node (None: deployment-wide admin).
    pub node_code: Option<String>,
    /// Department, for department handlers.
    pub department_id: Option<i64>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether the account may log in.
    pub active: bool,
    /// Created (ms).
    pub created_at: i64,
    /// Updated (ms).
    pub updated_at: i64,
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// Login name.
    pub username: &'a str,
    /// Real name.
    pub display_name: &'a str,
    /// Role (stored name).
    pub role: Role,
    /// Bound node.
    pub node_code: Option<&'a str>,
    /// Department.
    pub department_id: Option<i64>,
    /// argon2id PHC string.
    pub password_hash: &'a str,
}

/// Inserts an account; a taken username is a [`StoreError::Conflict`].
pub async fn insert(ex: &mut impl Exec, a: NewAccount<'_>, now: i64) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new(
                "INSERT INTO accounts (username, display_name, role, node_code, department_id, password_hash, \
                 active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, TRUE, ?, ?) RETURNING id",
            )
            .bind(a.username.trim().to_lowercase())
            .bind(a.display_name.trim())
            .bind(a.role.as_str())
            .bind(a.node_code)
            .bind(a.department_id)
            .bind(a.password_hash)
            .bind(now)
            .bind(now),
        )
        .await?;
    Ok(id)
}

/// An account by login name (case-insensitive).
pub async fn by_username(
    ex: &mut impl Exec,
    username: &str,
) -> Result<Option<AccountRow>, StoreError> {
    ex.opt(
        Sql::new(format!("SELECT {COLUMNS} FROM accounts WHERE username = ?"))
            .bind(username.trim().to_lowercase()),
    )
    .await
}

/// An account by id.
pub async fn by_id(ex: &mut impl Exec, id: i64) -> Result<Option<AccountRow>, StoreError> {
    ex.opt(Sql::new(format!("SELECT {COLUMNS} FROM accounts WHERE id = ?")).bind(id))
        .await
}

/// A page of accounts bound inside `root` (all when None), by id.
pub async fn page(
    ex: &mut impl Exec,
    root: Option<&str>,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<AccountRow>, StoreError> {
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM accounts WHERE id > ?"));
    q = q.bind(after.unwrap_or(0));
    if let Some(r) = root {
        q.push_bind(" AND node_code >= ?", r)
            .push_bind(" AND node_code < ?", format!("{r}:"));
    }
    q.push_bind(" ORDER BY id LIMIT ?", i64::from(limit));
    ex.all(q).await
}

/// Accounts bound exactly at `code`, by role then name.
pub async fn at_node(ex: &mut impl Exec, code: &str) -> Result<Vec<AccountRow>, StoreError> {
    ex.all(
        Sql::new(format!(
            "SELECT {COLUMNS} FROM accounts WHERE node_code = ? ORDER BY role, display_name"
        ))
        .bind(code),
    )
    .await
}

/// Replaces a password hash and ends the account's sessions and tokens.
pub async fn set_password(
    ex: &mut impl Exec,
    id: i64,
    hash: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = ex
        .exec(
            Sql::new("UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?")
                .bind(hash)
                .bind(now)
                .bind(id),
        )
        .await?;
    ex.exec(Sql::new("DELETE FROM sessions WHERE account_id = ?").bind(id))
        .await?;
    ex.exec(Sql::new("DELETE FROM api_tokens WHERE account_id = ?").bind(id))
        .await?;
    Ok(n == 1)
}

/// Changes an account's role. Sessions and tokens stay: the next request reads the new role.
pub async fn set_role(ex: &mut impl Exec, id: i64, role: Role, now: i64) -> Result<(), StoreError> {
    ex.exec(
        Sql::new("UPDATE accounts SET role = ?, updated_at = ? WHERE id = ?")
            .bind(role.as_str())
            .bind(now)
            .bind(id),
    )
    .await?;
    Ok(())
}

/// Number of accounts (to know whether this is a first start).
pub async fn count(ex: &mut impl Exec) -> Result<i64, StoreError> {
    let (n,): (i64,) = ex.one(Sql::new("SELECT count(*) FROM accounts")).await?;
    Ok(n)
}

/// A stored department (职能部门).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DepartmentRow {
    /// Id.
    pub id: i64,
    /// Name, e.g. 港北区城管局.
    pub name: String,
    /// Kind, e.g. 城管, 派出所.
    pub kind: String,
    /// Jurisdiction node.
    pub node_code: String,
}

/// Creates a department.
pub async fn insert_department(
    ex: &mut impl Exec,
    name: &str,
    kind: &str,
    node_code: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .one(
            Sql::new("INSERT INTO departments (name, kind, node_code, created_at) VALUES (?, ?, ?, ?) RETURNING id")
                .bind(name.trim())
                .bind(kind.trim())
                .bind(node_code)
                .bind(now),
        )
        .await?;
    Ok(id)
}

/// A department by id.
pub async fn department(ex: &mut impl Exec, id: i64) -> Result<Option<DepartmentRow>, StoreError> {
    ex.opt(Sql::new("SELECT id, name, kind, node_code FROM departments WHERE id = ?").bind(id))
        .await
}

/// Departments whose jurisdiction lies inside `root` (all when None).
pub async fn departments(
    ex: &mut impl Exec,
    root: Option<&str>,
) -> Result<Vec<DepartmentRow>, StoreError> {
    let mut q = Sql::new("SELECT id, name, kind, node_code FROM departments");
    if let Some(r) = root {
        q.push_bind(" WHERE node_code >= ?", r)
            .push_bind(" AND node_code < ?", format!("{r}:"));
    }
    q.push(" ORDER BY id");
    ex.all(q).await
}
