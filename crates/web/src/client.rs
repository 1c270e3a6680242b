//! Who is on the other end of a request. Behind a reverse proxy — how counties deploy — the
//! socket's address is the proxy's: the client's address, and the scheme and host it reached
//! us by, come from the proxy's `X-Forwarded-For` / `X-Forwarded-Proto` / `X-Forwarded-Host`
//! (or `Forwarded`) headers, but only when the socket is a proxy the deployment trusts
//! (`--trusted-proxy`); anyone else could write those headers.

use crate::WebState;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The client of a request: its address and how it reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    ip: IpAddr,
    /// `http` or `https`.
    pub scheme: String,
    /// The host (and port) the client asked for, if it said.
    pub host: Option<String>,
}

impl Client {
    /// The client's address (limits count per this).
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// `scheme://host` as the client reached the server.
    pub fn origin(&self) -> String {
        format!(
            "{}://{}",
            self.scheme,
            self.host.as_deref().unwrap_or("127.0.0.1:8080")
        )
    }
}

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|n| n.contains(&ip))
}

/// The first value of a header, trimmed.
fn first<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// An address as a proxy writes it: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:80`, `"…"`.
fn address(text: &str) -> Option<IpAddr> {
    let t = text.trim().trim_matches('"');
    t.parse()
        .ok()
        .or_else(|| t.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            t.strip_prefix('[')
                .and_then(|r| r.split(']').next())
                .and_then(|r| r.parse().ok())
        })
}

/// `Forwarded: for=…;proto=…;host=…` (RFC 7239), as (for-list, proto, host) of its elements.
fn forwarded(headers: &HeaderMap) -> Option<(Vec<IpAddr>, Option<String>, Option<String>)> {
    let value = headers.get(header::FORWARDED)?.to_str().ok()?;
    let (mut fors, mut proto, mut host) = (Vec::new(), None, None);
    for element in value.split(',') {
        for pair in element.split(';') {
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"').to_owned();
            match k.trim().to_ascii_lowercase().as_str() {
                "for" => fors.extend(address(&v)),
                "proto" if proto.is_none() => proto = Some(v),
                "host" if host.is_none() => host = Some(v),
                _ => {}
            }
        }
    }
    Some((fors, proto, host))
}

/// Who sent a request that reached us from `peer` with `headers`, given the trusted proxies.
pub fn client_of(peer: IpAddr, headers: &HeaderMap, proxies: &[IpNet]) -> Client {
    let own_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let direct = Client {
        ip: peer,
        scheme: "http".into(),
        host: own_host.clone(),
    };
    if !trusted(peer, proxies) {
        return direct;
    }
    let (chain, proto, host) = match forwarded(headers) {
        Some(f) => f,
        None => {
            let chain = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(address)
                .collect();
            (
                chain,
                first(headers, "x-forwarded-proto").map(str::to_owned),
                first(headers, "x-forwarded-host").map(str::to_owned),
            )
        }
    };
    // The client is the last address not itself a trusted proxy (proxies append, so the
    // right-most entries are the ones a trusted proxy wrote).
    let ip = chain
        .iter()
        .rev()
        .copied()
        .find(|ip| !trusted(*ip, proxies))
        .or_else(|| chain.first().copied())
        .unwrap_or(peer);
    Client {
        ip,
        scheme: match proto.as_deref() {
            Some("https") => "https".into(),
            _ => "http".into(),
        },
        host: host.or(own_host),
    }
}

/// Middleware: works out the client once, for the handlers, the limits and the audit trail.
pub async fn identify(State(state): State<WebState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
    let client = client_of(peer, req.headers(), &state.settings().trusted_proxies);
    req.extensions_mut().insert(client);
    next.run(req).await
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Client>().cloned().unwrap_or(Client {
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip()),
            scheme: "http".into(),
            host: parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_proxy() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers(&[
            ("host", "10.0.0.2:8080"),
            ("x-forwarded-for", "203.0.113.7, 10.0.0.9"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "shanzhi.example.gov.cn"),
        ]);
        let c = client_of("10.0.0.2".parse().unwrap(), &h, &proxies);
        assert_eq!(c.ip(), "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_eq!(c.origin(), "https://shanzhi.example.gov.cn");
        // The same headers from anyone else are ignored.
        let c = client_of("198.51.100.1".parse().unwrap(), &h, &proxies);
        assert_eq!(c.ip(), "198.51.100.1".parse::<IpAddr>().unwrap());
        assert_eq!(c.origin(), "http://10.0.0.2:8080");
    }

    #[test]
    fn a_spoofed_left_entry_does_not_win() {
        let proxies: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        // The client wrote its own X-Forwarded-For; the proxy appended the real address.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9")]);
        let c = client_of("127.0.0.1".parse().unwrap(), &h, &proxies);
        assert_eq!(c.ip(), "203.0.113.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn rfc_7239_forwarded_is_read() {
        let proxies: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        let h = headers(&[(
            "forwarded",
            "for=\"[2001:db8::7]:4711\";proto=https;host=gb.example",
        )]);
        let c = client_of("127.0.0.1".parse().unwrap(), &h, &proxies);
        assert_eq!(c.ip(), "2001:db8::7".parse::<IpAddr>().unwrap());
        assert_eq!(c.origin(), "https://gb.example");
    }
}
