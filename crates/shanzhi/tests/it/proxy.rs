//! Behind the real nginx, configured as the README's site (TLS terminated in front of it): the
//! resident's report page, the per-resident limit, logging in and the QR code all work, and
//! the QR code points residents at the public HTTPS address.

use crate::common::{PASSWORD, TestApp};
use crate::pages::csrf_of;
use reqwest::StatusCode;
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// An nginx in front of the test server, stopped on drop.
pub struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    /// nginx serving the test server at `location` (`/` or a sub-path like `/shanzhi/`).
    async fn start(app: &TestApp, location: &str) -> Nginx {
        Nginx::over(&[app.base.trim_start_matches("http://")], location).await
    }

    /// nginx balancing `servers` (`host:port`) round robin at `location`, as a city's
    /// deployment runs several processes.
    pub async fn over(servers: &[&str], location: &str) -> Nginx {
        let dir = tempfile::tempdir().expect("dir");
        // Workers run as an unprivileged user: let them write their temporary files.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
                .expect("chmod");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let upstream: String = servers
            .iter()
            .map(|s| format!("server {s} max_fails=0;\n"))
            .collect();
        let d = dir.path().display();
        let conf = format!(
            "daemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n\
             access_log off;\nclient_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\nuwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n\
             upstream shanzhi {{\n{upstream}}}\n\
             server {{\nlisten 127.0.0.1:{port};\nclient_max_body_size 64m;\n\
             location {location} {{\nproxy_pass http://shanzhi;\n\
             proxy_next_upstream error timeout http_502 http_503;\n\
             proxy_set_header Host $http_host;\n\
             proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
             proxy_set_header X-Forwarded-Proto https;\n\
             proxy_set_header X-Forwarded-Host $http_host;\n\
             proxy_http_version 1.1;\nproxy_set_header Connection \"\";\nproxy_buffering off;\n\
             }}\n}}\n}}\n"
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("conf");
        // Owned by the guard at once, so it is stopped on every path.
        let nginx = Nginx {
            child: Command::new("/usr/sbin/nginx")
                .arg("-c")
                .arg(&conf_path)
                .arg("-p")
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start nginx ({e}); scripts/test installs it")),
            port,
            _dir: dir,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return nginx;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nginx did not start");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A browser at `from` (a loopback address of its own, as a resident's phone would have).
fn browser_at(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from.parse::<IpAddr>().ok())
        .build()
        .unwrap()
}

/// Signs in as sq01 through the login page at `base` (the proxy's address, with any
/// sub-path), asking to go on to `next`; the login's answer.
async fn sign_in(client: &reqwest::Client, base: &str, next: &str) -> reqwest::Response {
    let html = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    client
        .post(format!("{base}/login"))
        .form(&[
            ("_csrf", csrf_of(&html).as_str()),
            ("username", "sq01"),
            ("password", PASSWORD),
            ("next", next),
        ])
        .send()
        .await
        .unwrap()
}

/// Files a report on the grid's public page through nginx; returns the answer's status.
async fn report(nginx: &Nginx, from: &reqwest::Client) -> StatusCode {
    let page = format!("{}/r/450802001001001", nginx.base());
    let html = from.get(&page).send().await.unwrap().text().await.unwrap();
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf_of(&html))
        .text("category", "03")
        .text("description", "楼下垃圾桶满了，三天没人清运");
    from.post(&page)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_server_works_behind_nginx() {
    let web = shanzhi_web::WebConfig {
        // nginx reaches the server from here.
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        public_reports_per_hour: 2,
        ..Default::default()
    };
    let app = TestApp::demo_with(Default::default(), web).await;
    let nginx = Nginx::start(&app, "/").await;

    // Residents report through the proxy, each held to their own limit.
    let (one, two) = (browser_at("127.0.0.2"), browser_at("127.0.0.3"));
    assert_eq!(report(&nginx, &one).await, StatusCode::SEE_OTHER);
    assert_eq!(report(&nginx, &one).await, StatusCode::SEE_OTHER);
    assert_eq!(report(&nginx, &one).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        report(&nginx, &two).await,
        StatusCode::SEE_OTHER,
        "a neighbour is not held to the first resident's limit"
    );

    // Staff log in through the proxy and print the grid's QR code: it points residents at
    // the public HTTPS address they reach, not at the server behind the proxy.
    let staff = browser_at("127.0.0.4");
    let r = sign_in(&staff, &nginx.base(), "/regions/450802001001001/poster").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let poster = staff
        .get(format!("{}/regions/450802001001001/poster", nginx.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(poster.status(), StatusCode::OK);
    let html = poster.text().await.unwrap();
    let public = format!("https://127.0.0.1:{}/r/450802001001001", nginx.port);
    assert!(html.contains(&public), "{public} not on the poster: {html}");
    // The audit trail names the staff member's own address, not the proxy's.
    let mut conn = app.state().store().conn().await.unwrap();
    let rows: Vec<(String,)> = shanzhi_store::Exec::all(
        &mut conn,
        shanzhi_store::Sql::new(
            "SELECT actor_label FROM audit_log WHERE action = 'POST /r/{code}' ORDER BY id",
        ),
    )
    .await
    .unwrap();
    assert!(
        rows.iter().any(|(l,)| l.contains("127.0.0.2")),
        "the resident's address is on record: {rows:?}"
    );
}

#[tokio::test]
async fn the_server_works_under_a_sub_path() {
    let web = shanzhi_web::WebConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        base_path: shanzhi_web::base::BasePath::parse("/shanzhi").unwrap(),
        ..Default::default()
    };
    let app = TestApp::demo_with(Default::default(), web).await;
    let nginx = Nginx::start(&app, "/shanzhi/").await;
    let base = format!("{}/shanzhi", nginx.base());

    // The resident's page, its style sheet and its form all live under the sub-path.
    let resident = browser_at("127.0.0.2");
    let html = resident
        .get(format!("{base}/r/450802001001001"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("action=\"/shanzhi/r/450802001001001\""),
        "{html}"
    );
    let css = html
        .split("href=\"")
        .find(|s| s.starts_with("/shanzhi/assets/style-"))
        .and_then(|s| s.split('"').next())
        .expect("the style sheet under the sub-path");
    let r = resident
        .get(format!("{}{css}", nginx.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf_of(&html))
        .text("category", "03")
        .text("description", "楼下垃圾桶满了，三天没人清运");
    let r = resident
        .post(format!("{base}/r/450802001001001"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/shanzhi/t/"), "{to}");
    let tracked = resident
        .get(format!("{}{to}", nginx.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(tracked.status(), StatusCode::OK);

    // Staff sign in there; the session belongs to the sub-path; the QR code points to it.
    let staff = browser_at("127.0.0.4");
    let r = sign_in(&staff, &base, "/regions/450802001001001").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/shanzhi/regions/450802001001001");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sz_session="))
        .expect("session")
        .to_owned();
    assert!(cookie.contains("Path=/shanzhi"), "{cookie}");
    let html = staff
        .get(format!("{base}/regions/450802001001001/poster"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let public = format!("https://127.0.0.1:{}/shanzhi/r/450802001001001", nginx.port);
    assert!(html.contains(&public), "{public} not on the poster");
}
