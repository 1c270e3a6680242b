//! `shanzhi`: serve, migrate, manage users, write the demo district.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use shanzhi::server::{self, Launch};
use shanzhi::{keys, operator_error};
use shanzhi_app::accounts::{NewAccountInput, create, set_password};
use shanzhi_app::boot::{Demo, boot, migrate};
use shanzhi_app::keys::Vault;
use shanzhi_app::sms::{HttpGateway, Sms};
use shanzhi_app::{App, AppConfig, StoreOptions};
use shanzhi_domain::auth::Role;
use shanzhi_web::WebConfig;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// mimalloc instead of glibc's malloc: many small allocations cross the runtime's and the
/// database connections' threads, where glibc spent an eighth of the intake's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// 善治 Shanzhi — 网格化基层治理平台.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Data directory for the embedded SQLite database.
    #[arg(long, global = true, env = "SHANZHI_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Database URL: postgres://… for PostgreSQL, or a SQLite file path; default: DATA_DIR/shanzhi.db.
    #[arg(long, global = true, env = "SHANZHI_DATABASE_URL")]
    database_url: Option<String>,
    /// Key file for personal data (created on first start; keep it apart from the database and
    /// its backups); default: DATA_DIR/keys.txt. SHANZHI_KEYS may hold the keys themselves.
    #[arg(long, global = true, env = "SHANZHI_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Append-only file the audit chain's head is written to every minute, for `audit verify`
    /// to hold the database to; default: DATA_DIR/audit-anchor.log.
    #[arg(long, global = true, env = "SHANZHI_AUDIT_ANCHOR")]
    audit_anchor: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// How texts reach residents' phones, and how the gateway reports back.
#[derive(clap::Args)]
struct SmsArgs {
    /// The SMS gateway texts are POSTed to (none: texts only go to the log, as in the demo).
    #[arg(long, env = "SHANZHI_SMS_URL")]
    sms_url: Option<String>,
    /// The gateway's key, sent as a bearer token.
    #[arg(long, env = "SHANZHI_SMS_KEY", hide_env_values = true)]
    sms_key: Option<String>,
    /// The signature (签名) registered with the gateway (default 善治).
    #[arg(long, env = "SHANZHI_SMS_SIGN")]
    sms_sign: Option<String>,
    /// The templates registered with the gateway, as kind=id pairs separated by commas
    /// (kinds: code, filed, accepted, rejected, closed, reopened, opinion_answered,
    /// opinion_case, wish_published, wish_declined, wish_done, topic_news, notice); kinds without
    /// one go as free text.
    #[arg(long, env = "SHANZHI_SMS_TEMPLATES", default_value = "")]
    sms_templates: String,
    /// The key the SMS gateway sends (as a bearer token) with its status reports to
    /// /api/v1/sms/receipts and residents' replies to /api/v1/sms/replies; without one
    /// those callbacks are off.
    #[arg(long, env = "SHANZHI_SMS_CALLBACK_KEY", hide_env_values = true)]
    sms_callback_key: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (creating and migrating the database on first start).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "SHANZHI_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Load the demo district into an empty database and show demo logins.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (set when served over HTTPS).
        #[arg(long, env = "SHANZHI_SECURE_COOKIES")]
        secure_cookies: bool,
        /// The address residents reach the server at, for QR codes (default: the request's).
        #[arg(long, env = "SHANZHI_PUBLIC_URL")]
        public_url: Option<String>,
        /// The SMS gateway.
        #[command(flatten)]
        sms: Box<SmsArgs>,
        /// Seconds between runs of the deadline scheduler (automatic escalation of overdue cases).
        #[arg(long, env = "SHANZHI_ESCALATION_INTERVAL", default_value_t = 60)]
        escalation_interval: u64,
        /// Intake writers on PostgreSQL (default 4): each commits everything waiting for it in
        /// one transaction. Processes sharing one database share them (2 processes: 2 each).
        #[arg(long, env = "SHANZHI_INTAKE_WRITERS")]
        intake_writers: Option<usize>,
        /// How likely a suggested category must be (0–1) for a 12345 order that names none to
        /// be filed under it without a person; the rest wait in 待定位.
        #[arg(long, env = "SHANZHI_AUTO_CATEGORY", default_value_t = 0.6)]
        auto_category: f64,
        /// How many hours old work sent from the field app after a dropped signal may be for
        /// the time it was made on the phone to count; older work counts from its arrival.
        #[arg(long, env = "SHANZHI_FIELD_HOURS", default_value_t = 72)]
        field_hours: u32,
        /// Largest photo accepted, in megabytes (phones take 3–8 MB photos).
        #[arg(long, env = "SHANZHI_PHOTO_MAX_MB", default_value_t = 10)]
        photo_max_mb: usize,
        /// Survey answers accepted per client address per minute (a shared network may carry a
        /// whole meeting hall).
        #[arg(long, env = "SHANZHI_SURVEY_ANSWERS_PER_MINUTE", default_value_t = 600)]
        survey_answers_per_minute: usize,
        /// A URL the audit chain's head is also posted to every minute (a log server kept by
        /// someone else), as JSON {"seq","hash","at"}.
        #[arg(long, env = "SHANZHI_AUDIT_ANCHOR_URL")]
        audit_anchor_url: Option<String>,
        /// Official base-map tiles under the maps residents and staff point at, as a URL
        /// template in longitude and latitude tiles with {z}, {x} and {y} (天地图:
        /// https://t0.tianditu.gov.cn/vec_c/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=c&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=<key>);
        /// without one the maps draw the stored boundaries alone.
        #[arg(long, env = "SHANZHI_BASEMAP_URL")]
        basemap_url: Option<String>,
        /// The token a Prometheus scraper sends (`Authorization: Bearer …`) for /metrics;
        /// without one, /metrics answers only this machine.
        #[arg(long, env = "SHANZHI_METRICS_TOKEN")]
        metrics_token: Option<String>,
        /// A reverse proxy (address or CIDR) whose X-Forwarded-For/-Proto/-Host or Forwarded
        /// headers are believed; repeat for several, or comma-separate in the environment.
        #[arg(
            long = "trusted-proxy",
            env = "SHANZHI_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<String>,
        /// Serve everything under this sub-path (e.g. /shanzhi), for a portal that proxies it
        /// there; links, redirects, cookies and QR codes follow.
        #[arg(long, env = "SHANZHI_BASE_PATH", default_value = "")]
        base_path: String,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Write a backup of the database: SQLite copies itself while the server keeps serving
    /// (VACUUM INTO); PostgreSQL is dumped with `pg_dump --format=custom --no-owner`. The key
    /// file is not in it: keep that apart.
    Backup {
        /// The backup file to write (must not exist yet).
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup in place of the database (SQLite: stop the server first; PostgreSQL:
    /// `pg_restore --clean --if-exists`), then migrate it to this version.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Overwrite a database that already holds data.
        #[arg(long)]
        force: bool,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage Open311 client applications and their api_keys.
    Open311 {
        #[command(subcommand)]
        action: Open311Action,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Import a register sheet (CSV, xlsx, xls or ods) as an account: every row checked first, then all
    /// written in one transaction, or nothing.
    Import {
        /// residents, places or staff.
        register: String,
        /// The file.
        #[arg(long)]
        file: PathBuf,
        /// The account to import as (its scope applies; the audit trail names it).
        #[arg(long = "as")]
        username: String,
        /// Only check; write nothing.
        #[arg(long)]
        check_only: bool,
        /// Headers the guess gets wrong: name:名字,id_number:证件号.
        #[arg(long)]
        mapping: Option<String>,
        /// The header's row number, when the guess (the row naming most columns) is wrong.
        #[arg(long)]
        header_row: Option<u32>,
        /// Refresh (residents): people already registered are compared by ID number and
        /// updated; with --check-only, list what would change.
        #[arg(long)]
        update: bool,
        /// With --update: also list who is registered in the file's grids but not in it.
        #[arg(long)]
        missing: bool,
        /// The grid of rows without one (a grid's own register has no 网格编码 column).
        #[arg(long)]
        grid: Option<String>,
    },
    /// Write a node's monthly report (月报) as xlsx and PDF.
    Report {
        /// Node code (district, street, community or grid).
        #[arg(long)]
        node: String,
        /// Month, 2026-10.
        #[arg(long)]
        month: String,
        /// The account whose scope applies.
        #[arg(long = "as", default_value = "admin")]
        username: String,
        /// Folder to write into.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Personal-data keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Write the demo district's region tree as GeoJSON.
    Demo {
        /// Output file ("-" for standard output).
        #[arg(long, default_value = "-")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create an account; the password is read from standard input.
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Real name.
        #[arg(long)]
        name: String,
        /// Role: admin, security_admin, audit_admin, command_centre, community_officer, grid_leader, grid_worker, department_handler, volunteer.
        #[arg(long)]
        role: String,
        /// Bound node code (omit for a deployment-wide administrator).
        #[arg(long)]
        node: Option<String>,
        /// Department id (department handlers).
        #[arg(long)]
        department: Option<i64>,
    },
    /// Set an account's password, read from standard input; ends its sessions.
    Passwd {
        /// Login name.
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Add a new encryption key to the key file and re-seal every stored ID and phone
    /// number under it (old keys stay in the file for backups made before).
    Rotate,
    /// Re-seal values still under an older key (resumes an interrupted rotation).
    Reseal,
}

#[derive(Subcommand)]
enum AuditAction {
    /// Re-check every hash of the chain, the order of its records, its head and every anchor;
    /// fails naming what is missing, inserted or changed.
    Verify,
    /// Print the chain's head (position and hash), to note down elsewhere.
    Head,
}

#[derive(Subcommand)]
enum Open311Action {
    /// Register a client application and print its api_key (shown this once).
    AddClient {
        /// The application's name.
        #[arg(long)]
        name: String,
    },
    /// List the registered clients.
    Clients,
    /// Revoke a client's api_key.
    Revoke {
        /// Client id.
        #[arg(long)]
        id: i64,
    },
}

fn read_password() -> anyhow::Result<String> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprint!("密码：");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    if pw.is_empty() {
        bail!("未读到密码：请从标准输入提供");
    }
    Ok(pw)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    // JSON lines for log collectors; readable text otherwise.
    if std::env::var("SHANZHI_LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let cli = Cli::parse();
    let opts = StoreOptions::from_config(cli.database_url.as_deref(), &cli.data_dir);
    let key_file = cli
        .key_file
        .clone()
        .unwrap_or_else(|| cli.data_dir.join("keys.txt"));
    let audit_anchor = cli
        .audit_anchor
        .clone()
        .unwrap_or_else(|| cli.data_dir.join("audit-anchor.log"));
    // Every command but `serve` runs as the operator and starts no workers: the application is
    // booted as `serve` boots it, then one operation is called.
    let app = async |vault: Vault| -> anyhow::Result<App> {
        let config = AppConfig {
            vault: Arc::new(vault),
            audit_anchor: Some(audit_anchor.clone()),
            upload_dir: cli.data_dir.join("uploads"),
            ..Default::default()
        };
        Ok(boot(&opts, config, Demo::Off, None)
            .await
            .map_err(operator_error)?
            .app)
    };
    match cli.command {
        Command::Serve {
            bind,
            demo,
            secure_cookies,
            public_url,
            sms,
            escalation_interval,
            intake_writers,
            auto_category,
            field_hours,
            photo_max_mb,
            survey_answers_per_minute,
            audit_anchor_url,
            metrics_token,
            basemap_url,
            trusted_proxies,
            base_path,
        } => {
            let basemap = basemap_url
                .as_deref()
                .map(shanzhi_web::basemap::Basemap::parse)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let base_path =
                shanzhi_web::base::BasePath::parse(&base_path).map_err(anyhow::Error::msg)?;
            let trusted_proxies = trusted_proxies
                .iter()
                .map(|p| proxy_net(p))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let SmsArgs {
                sms_url,
                sms_key,
                sms_sign,
                sms_templates,
                sms_callback_key,
            } = *sms;
            let sms = match sms_url {
                Some(url) => Sms(Arc::new(
                    HttpGateway::new(&url, sms_key, sms_sign, &sms_templates)
                        .map_err(anyhow::Error::msg)?,
                )),
                None => Sms::default(),
            };
            let running = server::launch(Launch {
                store: opts.clone(),
                app: AppConfig {
                    photo_max_bytes: photo_max_mb.max(1) * 1024 * 1024,
                    vault: Arc::new(keys::load(&key_file)?),
                    audit_anchor: Some(audit_anchor.clone()),
                    audit_anchor_url,
                    upload_dir: cli.data_dir.join("uploads"),
                    intake_writers,
                    auto_category: auto_category.clamp(0.0, 1.0),
                    field_hours: field_hours.max(1),
                    sms,
                    public_url: public_url.clone(),
                    ..Default::default()
                },
                web: WebConfig {
                    secure_cookies,
                    public_url,
                    survey_answers_per_minute,
                    metrics_token,
                    sms_callback_key,
                    trusted_proxies,
                    base_path,
                    basemap,
                    ..Default::default()
                },
                demo: if demo { Demo::Everything } else { Demo::Off },
                admin_password: std::env::var("SHANZHI_ADMIN_PASSWORD").ok(),
                bind,
                escalation_every: Duration::from_secs(escalation_interval.max(1)),
            })
            .await?;
            if let Some(pw) = &running.admin_password {
                println!("已创建管理员账号 admin，初始密码（只显示这一次）：{pw}");
            }
            println!("善治已启动：http://{}", running.addr);
            if demo {
                println!(
                    "Open311 演示：http://{}/open311/v2/discovery.json，api_key={}",
                    running.addr,
                    shanzhi_app::open311::DEMO_KEY
                );
            }
            tokio::signal::ctrl_c().await?;
            running.stop().await?;
        }
        Command::Audit {
            action: AuditAction::Verify,
        } => {
            let app = app(keys::load(&key_file)?).await?;
            match shanzhi_app::audit::check(&app, None).await {
                Ok(v) => println!(
                    "审计日志完整：共 {} 条，与 {} 个链外锚定一致，链尾校验值 {}{}",
                    v.checked,
                    v.anchors,
                    v.head,
                    if v.unsealed > 0 {
                        format!(
                            "；另有 {} 条记录待封存（运行中的服务随即封存，旧版本留下的在下次启动时封存）",
                            v.unsealed
                        )
                    } else {
                        String::new()
                    }
                ),
                Err(e) => bail!("审计日志校验失败：{}", operator_error(e)),
            }
        }
        Command::Audit {
            action: AuditAction::Head,
        } => {
            let app = app(keys::load(&key_file)?).await?;
            let h = shanzhi_app::audit::head(app.store())
                .await
                .map_err(operator_error)?;
            println!("{} {} {}", h.seq, h.hash, h.at);
        }
        Command::Report {
            node,
            month,
            username,
            out,
        } => {
            let app = app(keys::load(&key_file)?).await?;
            for path in shanzhi::reports::monthly(&app, &username, &node, &month, &out).await? {
                println!("已生成 {}", path.display());
            }
        }
        Command::Import {
            register,
            file,
            username,
            check_only,
            mapping,
            header_row,
            update,
            missing,
            grid,
        } => {
            let app = app(keys::load(&key_file)?).await?;
            let mapping = mapping
                .unwrap_or_default()
                .split([',', '，'])
                .filter_map(|p| p.split_once([':', '：']))
                .map(|(k, h)| (k.trim().to_owned(), h.trim().to_owned()))
                .collect();
            shanzhi::sheets::import(
                &app,
                shanzhi::sheets::ImportJob {
                    register,
                    file,
                    username,
                    check_only,
                    reading: shanzhi_app::registers::import::Reading {
                        header_row,
                        mapping,
                        update,
                        missing,
                        grid,
                    },
                },
            )
            .await?;
        }
        Command::Keys { action } => {
            let vault = match action {
                KeysAction::Rotate => {
                    if std::env::var("SHANZHI_KEYS").is_ok() {
                        bail!(
                            "密钥来自 SHANZHI_KEYS：请在其中追加新密钥行后运行 shanzhi keys reseal"
                        );
                    }
                    let v = Vault::rotate_file(&key_file)?;
                    println!("已在 {} 中添加密钥 {}", key_file.display(), v.current_key());
                    v
                }
                KeysAction::Reseal => keys::load(&key_file)?,
            };
            let key = vault.current_key();
            let app = app(vault).await?;
            let done = shanzhi_app::keys::reseal_all(&app)
                .await
                .map_err(operator_error)?;
            println!(
                "已检查 {} 个加密值，其中 {} 个改用密钥 {key} 重新加密",
                done.checked, done.resealed,
            );
        }
        Command::Migrate => {
            migrate(&opts).await.map_err(operator_error)?;
            println!("数据库已是最新版本");
        }
        Command::Backup { out } => {
            shanzhi_app::backup::backup(&opts, &out)
                .await
                .map_err(operator_error)?;
            println!("已备份到 {}（密钥文件不在其中，请另行保管）", out.display());
        }
        Command::Restore { from, force } => {
            shanzhi_app::backup::restore(&opts, &from, force)
                .await
                .map_err(operator_error)?;
            println!("已从 {} 恢复数据库", from.display());
        }
        Command::User { action } => {
            let app = app(keys::load(&key_file)?).await?;
            match action {
                UserAction::Add {
                    username,
                    name,
                    role,
                    node,
                    department,
                } => {
                    let role = role
                        .parse::<Role>()
                        .ok()
                        .with_context(|| format!("未知角色 {role}"))?;
                    let input = NewAccountInput {
                        username,
                        display_name: name,
                        role,
                        node_code: node,
                        department_id: department,
                        password: read_password()?,
                    };
                    let a = create(&app, None, input).await.map_err(operator_error)?;
                    println!("已创建账号 {}（{}）", a.username, role.label());
                }
                UserAction::Passwd { username } => {
                    set_password(&app, None, &username, read_password()?)
                        .await
                        .map_err(operator_error)?;
                    println!("已更新 {username} 的密码，原有登录已失效");
                }
            }
        }
        Command::Open311 { action } => {
            let app = app(keys::load(&key_file)?).await?;
            match action {
                Open311Action::AddClient { name } => {
                    let issued = shanzhi_app::open311::register(&app, None, &name)
                        .await
                        .map_err(operator_error)?;
                    println!(
                        "已登记客户端 {}（id {}），api_key（只显示这一次）：{}",
                        issued.client.name, issued.client.id, issued.api_key
                    );
                }
                Open311Action::Clients => {
                    let clients = shanzhi_app::open311::list(&app, None)
                        .await
                        .map_err(operator_error)?;
                    for c in clients {
                        let state = if c.revoked_at.is_some() {
                            "已吊销"
                        } else {
                            "有效"
                        };
                        println!("{}\t{}\t{state}", c.id, c.name);
                    }
                }
                Open311Action::Revoke { id } => {
                    shanzhi_app::open311::revoke(&app, None, id)
                        .await
                        .map_err(operator_error)?;
                    println!("已吊销客户端 {id} 的 api_key");
                }
            }
        }
        Command::Demo { out } => {
            let doc = serde_json::to_string_pretty(&shanzhi_app::demo::district().tree)?;
            if out.as_os_str() == "-" {
                println!("{doc}");
            } else {
                std::fs::write(&out, doc).with_context(|| format!("无法写入 {}", out.display()))?;
            }
        }
    }
    Ok(())
}

/// A trusted proxy as written: `10.0.0.5` or `10.0.0.0/8`.
fn proxy_net(text: &str) -> anyhow::Result<ipnet::IpNet> {
    let t = text.trim();
    t.parse::<ipnet::IpNet>()
        .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .with_context(|| {
            format!("--trusted-proxy “{t}”不是地址或网段（如 10.0.0.5 或 10.0.0.0/8）")
        })
}
