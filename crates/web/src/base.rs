//! Serving under a sub-path (`--base-path /shanzhi`), as a county's portal often requires: the
//! server answers under the prefix, and what it sends back points under it too — links, form
//! targets and sources in pages, redirects, cookie paths. Pages and handlers keep writing
//! root-relative paths (`/cases`); this one place adds the prefix on the way out, so no page
//! can forget it.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// A checked base path: empty, or `/a/b` (no trailing slash).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BasePath(String);

impl BasePath {
    /// Reads `--base-path`: empty or `/`, or a path of plain segments.
    pub fn parse(text: &str) -> Result<BasePath, String> {
        let t = text.trim().trim_end_matches('/');
        if t.is_empty() {
            return Ok(BasePath::default());
        }
        let ok = t.starts_with('/')
            && t[1..].split('/').all(|s| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            });
        if ok {
            Ok(BasePath(t.to_owned()))
        } else {
            Err(format!(
                "--base-path “{text}”无效：应形如 /shanzhi（字母、数字、-、_、.）"
            ))
        }
    }

    /// The prefix (`""` when served at the root).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the server is at the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// `path` (root-relative) under the prefix.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// Root-relative references in a page, put under the prefix: the values of `href`, `action`,
/// `src` and `xlink:href` that start with one `/` (not `//`, another host), and the
/// `data-base` the scripts read. One pass over the page.
fn rewrite_html(html: &str, base: &str) -> String {
    const ATTRS: [&str; 5] = ["href", "action", "src", "xlink:href", "data-base"];
    let mut out = String::with_capacity(html.len() + 256);
    let mut done = 0;
    for (at, _) in html.match_indices("=\"") {
        let name = html[..at]
            .rsplit(|c: char| c.is_whitespace() || c == '<')
            .next()
            .unwrap_or_default();
        if !ATTRS.contains(&name) {
            continue;
        }
        let value = &html[at + 2..];
        let root_relative = value.starts_with('/') && !value.starts_with("//");
        if name == "data-base" || root_relative {
            out.push_str(&html[done..at + 2]);
            out.push_str(base);
            done = at + 2;
        }
    }
    out.push_str(&html[done..]);
    out
}

/// A `Set-Cookie` whose path is put under the prefix (`Path=/` becomes the prefix itself).
fn rewrite_cookie(cookie: &str, base: &str) -> String {
    cookie
        .split(';')
        .map(|part| match part.trim().strip_prefix("Path=") {
            Some("/") => format!(" Path={base}"),
            Some(path) if path.starts_with('/') => format!(" Path={base}{path}"),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Middleware: puts what a response points to under the prefix.
pub async fn outgoing(State(base): State<BasePath>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if base.is_root() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    if let Some(loc) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        && loc.starts_with('/')
        && !loc.starts_with("//")
        && let Ok(v) = HeaderValue::from_str(&base.join(loc))
    {
        parts.headers.insert(header::LOCATION, v);
    }
    let cookies: Vec<String> = parts
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|c| rewrite_cookie(c, base.as_str()))
        .collect();
    if !cookies.is_empty() {
        parts.headers.remove(header::SET_COOKIE);
        for c in cookies {
            if let Ok(v) = HeaderValue::from_str(&c) {
                parts.headers.append(header::SET_COOKIE, v);
            }
        }
    }
    let html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html"));
    if !html {
        return Response::from_parts(parts, body);
    }
    let bytes = match axum::body::to_bytes(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    let page = rewrite_html(&String::from_utf8_lossy(&bytes), base.as_str());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_are_checked() {
        assert_eq!(BasePath::parse("").unwrap(), BasePath::default());
        assert_eq!(BasePath::parse("/").unwrap(), BasePath::default());
        assert_eq!(BasePath::parse("/shanzhi/").unwrap().as_str(), "/shanzhi");
        assert_eq!(BasePath::parse("/a/b-c").unwrap().as_str(), "/a/b-c");
        for bad in ["shanzhi", "/a//b", "/a b", "/中文"] {
            assert!(BasePath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn root_relative_references_go_under_the_prefix() {
        let html = r##"<html data-base=""><a href="/cases">x</a><a href="//cdn.example/x">y</a><a href="https://e/x">z</a><form action="/login"><img src="/assets/a.png"><svg><a xlink:href="/regions/1"/></svg><a href="#top">t</a>"##;
        assert_eq!(
            rewrite_html(html, "/sz"),
            r##"<html data-base="/sz"><a href="/sz/cases">x</a><a href="//cdn.example/x">y</a><a href="https://e/x">z</a><form action="/sz/login"><img src="/sz/assets/a.png"><svg><a xlink:href="/sz/regions/1"/></svg><a href="#top">t</a>"##
        );
    }

    #[test]
    fn cookies_are_scoped_to_the_prefix() {
        assert_eq!(
            rewrite_cookie("sz_session=abc; HttpOnly; SameSite=Lax; Path=/", "/sz"),
            "sz_session=abc; HttpOnly; SameSite=Lax; Path=/sz"
        );
        assert_eq!(
            rewrite_cookie("sz_csrf=; Path=/; Max-Age=0", "/sz"),
            "sz_csrf=; Path=/sz; Max-Age=0"
        );
    }
}
