//! Seeding a database: the first administrator, and the demo district.

use crate::demo::{self, DEMO_PASSWORD};
use anyhow::Context;
use shanzhi_domain::geo::Crs;
use shanzhi_domain::region::{ImportPlan, parse_import};
use shanzhi_store::accounts::{self, NewAccount};
use shanzhi_store::{Store, regions};
use shanzhi_web::DemoLogin;
use shanzhi_web::auth::{hash_password, new_secret};
use shanzhi_web::services::accounts::{NewAccountInput, create};

/// What every deployment has from its first start: the standard category list (事项清单).
pub async fn baseline(store: &Store) -> anyhow::Result<()> {
    shanzhi_web::services::cases::seed_categories(store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Creates the deployment-wide `admin` if there are no accounts yet. The password comes from
/// `SHANZHI_ADMIN_PASSWORD`, or is random and returned so it can be printed once.
pub async fn first_admin(
    store: &Store,
    password: Option<String>,
) -> anyhow::Result<Option<String>> {
    if accounts::count(&mut store.conn().await?).await? > 0 {
        return Ok(None);
    }
    // 24 url-safe characters with letters and digits mixed in, always meeting the policy.
    let password = password
        .unwrap_or_else(|| format!("{}9a", new_secret("").chars().take(22).collect::<String>()));
    let input = NewAccountInput {
        username: "admin".into(),
        display_name: "系统管理员".into(),
        role: shanzhi_domain::auth::Role::Admin,
        node_code: None,
        department_id: None,
        password: password.clone(),
    };
    create(store, None, input)
        .await
        .map_err(|e| anyhow::anyhow!("创建管理员失败：{e}"))?;
    Ok(Some(password))
}

/// Writes the demo district into an empty database in one transaction (no-op if any region
/// exists) and returns the logins to show on the login page.
pub async fn demo(store: &Store) -> anyhow::Result<Vec<DemoLogin>> {
    let demo = demo::district();
    let names: std::collections::HashMap<&str, &str> = demo.tree["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some((
                f["properties"]["code"].as_str()?,
                f["properties"]["name"].as_str()?,
            ))
        })
        .collect();
    let logins = demo
        .accounts
        .iter()
        .filter(|a| a.listed)
        .map(|a| DemoLogin {
            username: a.username.clone(),
            password: DEMO_PASSWORD.into(),
            role: a.role.label().into(),
            place: a
                .node
                .as_deref()
                .and_then(|c| names.get(c))
                .map_or_else(|| "全域".to_owned(), |n| (*n).to_owned()),
        })
        .collect();
    if !regions::children(&mut store.conn().await?, None)
        .await?
        .is_empty()
    {
        return Ok(logins);
    }
    let nodes =
        parse_import(&demo.tree, Crs::Wgs84).map_err(|e| anyhow::anyhow!("演示数据无效：{e:?}"))?;
    let plan = ImportPlan::check(nodes, &Default::default())
        .map_err(|e| anyhow::anyhow!("演示数据无效：{e:?}"))?;
    // One hash for all demo accounts: they share a password, and hashing ~200 times would only
    // slow the start.
    let hash = hash_password(DEMO_PASSWORD.into())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tx = store.begin().await?;
    regions::insert_plan(&mut tx, &plan, None).await?;
    let mut dep_ids = Vec::new();
    for d in &demo.departments {
        dep_ids.push(accounts::insert_department(&mut tx, d.name, d.kind, &d.node).await?);
    }
    let existing_admin = accounts::by_username(&mut tx, "admin").await?;
    for a in &demo.accounts {
        if a.username == "admin"
            && let Some(admin) = &existing_admin
        {
            // An earlier start made the admin; in demo mode it takes the demo password, which
            // the login page shows.
            accounts::set_password(&mut tx, admin.id, &hash).await?;
            continue;
        }
        let new = NewAccount {
            username: &a.username,
            display_name: &a.name,
            role: a.role.as_str(),
            node_code: a.node.as_deref(),
            department_id: a.department.and_then(|i| dep_ids.get(i).copied()),
            password_hash: &hash,
        };
        accounts::insert(&mut tx, new)
            .await
            .with_context(|| format!("演示账号 {}", a.username))?;
    }
    tx.commit().await?;
    Ok(logins)
}
