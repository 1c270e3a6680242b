//! The `shanzhi` command line: user management against the same database the server uses.

use crate::common::FreshDb;
use std::io::Write;
use std::process::{Command, Stdio};

fn shanzhi(args: &[&str], db: &str, stdin: &str) -> (bool, String) {
    shanzhi_with(args, db, stdin, &[])
}

/// Runs the binary on `db` with extra environment variables; returns success and its output.
pub fn shanzhi_with(args: &[&str], db: &str, stdin: &str, env: &[(&str, &str)]) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shanzhi"))
        .args(["--database-url", db])
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shanzhi");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// [`shanzhi_with`] beside a live test server: the test runtime has one thread, and blocking
/// it while the command runs would freeze the server mid-transaction, holding SQLite's write
/// lock against the very command being waited for.
pub async fn shanzhi_beside(
    args: &[&str],
    db: &str,
    stdin: &str,
    env: &[(&str, &str)],
) -> (bool, String) {
    let own = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let (args, db, stdin) = (own(args), db.to_owned(), stdin.to_owned());
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        shanzhi_with(&args, &db, &stdin, &env)
    })
    .await
    .expect("command thread")
}

#[tokio::test]
async fn user_add_and_passwd_work_on_the_servers_database() {
    let fresh = FreshDb::new().await;
    let db = fresh.url.as_str();
    let (ok, out) = shanzhi(&["migrate"], db, "");
    assert!(ok, "{out}");
    let (ok, out) = shanzhi(
        &[
            "user",
            "add",
            "--username",
            "ops",
            "--name",
            "运维管理员",
            "--role",
            "admin",
        ],
        db,
        "Ops2026secret\n",
    );
    assert!(ok, "{out}");
    assert!(out.contains("已创建账号 ops"));
    // 三员分立: the other two administrators are made here too, and only here.
    for (username, role, label) in [
        ("sec", "security_admin", "安全管理员"),
        ("aud", "audit_admin", "审计管理员"),
    ] {
        let (ok, out) = shanzhi(
            &[
                "user",
                "add",
                "--username",
                username,
                "--name",
                label,
                "--role",
                role,
            ],
            db,
            "Ops2026secret\n",
        );
        assert!(
            ok && out.contains(&format!("已创建账号 {username}（{label}）")),
            "{out}"
        );
    }
    let (ok, out) = shanzhi(
        &[
            "user",
            "add",
            "--username",
            "ops2",
            "--name",
            "x",
            "--role",
            "admin",
        ],
        db,
        "short\n",
    );
    assert!(!ok && out.contains("密码至少 10 个字符"), "{out}");
    let (ok, out) = shanzhi(
        &[
            "user",
            "add",
            "--username",
            "wk1",
            "--name",
            "x",
            "--role",
            "grid_worker",
            "--node",
            "450802001001001",
        ],
        db,
        "Ops2026secret\n",
    );
    assert!(!ok && out.contains("不存在"), "{out}");
    let (ok, out) = shanzhi(
        &["user", "passwd", "--username", "ops"],
        db,
        "Changed2026pw\n",
    );
    assert!(ok, "{out}");

    let store = shanzhi_store::Store::open(&fresh.opts).await.unwrap();
    let mut conn = store.conn().await.unwrap();
    let a = shanzhi_store::accounts::by_username(&mut conn, "ops")
        .await
        .unwrap()
        .unwrap();
    assert!(
        shanzhi_app::auth::verify_password("Changed2026pw".into(), Some(a.password_hash.clone()))
            .await
    );
    assert!(
        !shanzhi_app::auth::verify_password("Ops2026secret".into(), Some(a.password_hash)).await
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_and_its_directory_are_the_servers_alone() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().expect("dir");
    let data = root.path().join("data/shanzhi");
    let db = data.join("shanzhi.db");
    let (ok, out) = shanzhi(&["migrate"], &db.display().to_string(), "");
    assert!(ok, "{out}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root.path().join("data")), 0o700);
    assert_eq!(mode(&data), 0o700);
    for f in ["shanzhi.db", "shanzhi.db-wal", "shanzhi.db-shm"] {
        let p = data.join(f);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{f}");
        }
    }
}

/// `shanzhi user add` of an administrator `username` on `db`, with the keys `keys`.
fn add_admin(db: &str, username: &str, keys: &str) -> (bool, String) {
    shanzhi_with(
        &[
            "user",
            "add",
            "--username",
            username,
            "--name",
            "运维",
            "--role",
            "admin",
        ],
        db,
        "Ops2026secret\n",
        &[("SHANZHI_KEYS", keys)],
    )
}

#[tokio::test]
async fn a_process_with_other_keys_refuses_to_start() {
    let fresh = FreshDb::new().await;
    let db = fresh.url.as_str();
    let ours = shanzhi_store::vault::Vault::generate();
    let theirs = shanzhi_store::vault::Vault::generate();
    let add = |keys: &str, username: &str| add_admin(db, username, keys);
    let (ok, out) = add(&ours, "ops");
    assert!(ok, "the first start keeps the keys' check value: {out}");
    let (ok, out) = add(&theirs, "ops2");
    assert!(
        !ok && out.contains("个人信息密钥与数据库不符") && out.contains("SHANZHI_KEYS"),
        "{out}"
    );
    let (ok, out) = add(&ours, "ops3");
    assert!(ok, "the deployment's own keys still start: {out}");
}

#[test]
fn processes_creating_the_key_file_at_once_agree_on_one() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("keys.txt");
    let made: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || shanzhi_store::vault::Vault::open_or_create(&path))
        })
        .collect();
    let vaults: Vec<_> = made
        .into_iter()
        .map(|t| t.join().expect("thread").expect("keys"))
        .collect();
    assert_eq!(vaults.iter().filter(|(_, created)| *created).count(), 1);
    let (index, sealed) = vaults[0].0.check_value();
    assert!(vaults.iter().all(|(v, _)| v.matches(&index, &sealed)));
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_database_and_never_over_data_unasked() {
    let keys = shanzhi_store::vault::Vault::generate();
    let env = [("SHANZHI_KEYS", keys.as_str())];
    let add = |db: &str, username: &str| add_admin(db, username, &keys);
    let source = FreshDb::new().await;
    let (ok, out) = add(&source.url, "before");
    assert!(ok, "{out}");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("shanzhi.backup");
    let file_arg = file.display().to_string();
    let (ok, out) = shanzhi_with(&["backup", "--out", &file_arg], &source.url, "", &env);
    assert!(ok && out.contains("已备份到"), "{out}");
    let (ok, out) = shanzhi_with(&["backup", "--out", &file_arg], &source.url, "", &env);
    assert!(
        !ok && out.contains("已存在"),
        "a backup never overwrites: {out}"
    );
    // Written after the backup: a restore brings the database back to before it.
    let (ok, out) = add(&source.url, "after");
    assert!(ok, "{out}");

    let target = FreshDb::new().await;
    let (ok, out) = shanzhi_with(&["restore", "--from", &file_arg], &target.url, "", &env);
    assert!(ok && out.contains("恢复数据库"), "{out}");
    let usernames = async |opts: &shanzhi_store::StoreOptions| {
        let store = shanzhi_store::Store::open(opts).await.expect("open");
        let mut conn = store.conn().await.expect("conn");
        let mut found = Vec::new();
        for name in ["before", "after"] {
            if shanzhi_store::accounts::by_username(&mut conn, name)
                .await
                .expect("read")
                .is_some()
            {
                found.push(name);
            }
        }
        drop(conn);
        store.close().await;
        found
    };
    assert_eq!(usernames(&target.opts).await, ["before"]);
    // The restored database runs: its audit chain checks out and it takes new writes.
    let (ok, out) = shanzhi_with(&["audit", "verify"], &target.url, "", &env);
    assert!(ok && out.contains("审计日志完整"), "{out}");
    let (ok, out) = add(&target.url, "later");
    assert!(ok, "{out}");

    // Over a database with data only when asked.
    let (ok, out) = shanzhi_with(&["restore", "--from", &file_arg], &source.url, "", &env);
    assert!(!ok && out.contains("--force"), "{out}");
    assert_eq!(usernames(&source.opts).await, ["before", "after"]);
    let (ok, out) = shanzhi_with(
        &["restore", "--from", &file_arg, "--force"],
        &source.url,
        "",
        &env,
    );
    assert!(ok, "{out}");
    assert_eq!(usernames(&source.opts).await, ["before"]);
    let missing = dir.path().join("none.backup").display().to_string();
    let (ok, out) = shanzhi_with(&["restore", "--from", &missing], &target.url, "", &env);
    assert!(!ok && out.contains("找不到备份文件"), "{out}");
}
