//! Where a request comes from and where this server is, as far as headers can be
//! trusted — which is not far: `Host`, `Forwarded` and `X-Forwarded-*` are written by
//! whoever sends the request.
//!
//! - [`client_address`]: the connection's peer; behind a proxy listed in
//!   `trusted_proxies`, the last address it forwarded that is not itself a trusted proxy.
//!   Authentication failures are counted per client address.
//! - [`absolute_url`]: the base of every absolute URL the server hands out (the OFREP
//!   `eventStreams` URL carries the stream credential, so a forged host would send it
//!   elsewhere): `public_url` when set; else what a trusted proxy says the client asked
//!   for; else the `Host` the client sent only if it names this server (the address
//!   the connection reached, or `localhost` on loopback), and the reached address
//!   otherwise.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap};
use ipnet::IpNet;

use crate::infra::config::Settings;

/// The local address of a connection, recorded when it is accepted (the listener's
/// address is `0.0.0.0` when it listens on every interface).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LocalAddress(pub SocketAddr);

/// The address authentication failures are counted for (see the module doc).
pub(crate) fn client_address(req: &HttpRequest, trusted: &[IpNet]) -> IpAddr {
    let peer = peer(req);
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let mut hops: Vec<IpAddr> = forwarded_elements(req.headers())
        .filter_map(|element| parameter(element, "for").and_then(node_address))
        .collect();
    if hops.is_empty() {
        hops = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|hop| node_address(hop.trim()))
            .collect();
    }
    // Each proxy appends the address it heard from: walk back from the nearest.
    hops.iter()
        .rev()
        .copied()
        .find(|hop| !is_trusted(*hop, trusted))
        .or_else(|| hops.first().copied())
        .unwrap_or(peer)
}

/// `scheme://host[:port][/prefix]` (no trailing slash) under which the client reaches
/// this server (see the module doc); append a path starting with `/`.
pub(crate) fn absolute_url(req: &HttpRequest, settings: &Settings) -> String {
    if let Some(public) = &settings.public_url {
        return public.as_str().trim_end_matches('/').to_owned();
    }
    if is_trusted(peer(req), &settings.trusted_proxies)
        && let Some(base) = forwarded_base(req.headers())
    {
        return base;
    }
    let local = req
        .conn_data::<LocalAddress>()
        .map_or(settings.bind, |local| local.0);
    match req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
    {
        Some(host) if names(host, local) => format!("http://{host}"),
        _ => format!("http://{local}"),
    }
}

/// The connection's peer (unspecified when unknown, which no proxy list contains).
fn peer(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |peer| peer.ip())
}

fn is_trusted(address: IpAddr, trusted: &[IpNet]) -> bool {
    let address = canonical(address);
    trusted.iter().any(|net| net.contains(&address))
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
pub(crate) fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// Does `host` (a `Host` header) name the server listening at `local`?
fn names(host: &str, local: SocketAddr) -> bool {
    let Ok(url) = url::Url::parse(&format!("http://{host}/")) else {
        return false;
    };
    if url.path() != "/" || !url.username().is_empty() || url.query().is_some() {
        return false;
    }
    if url.port_or_known_default() != Some(local.port()) {
        return false;
    }
    match url.host() {
        Some(url::Host::Ipv4(v4)) => canonical(local.ip()) == IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => local.ip() == IpAddr::V6(v6),
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost") && local.ip().is_loopback()
        }
        None => false,
    }
}

/// What a trusted proxy says the client asked for: `Forwarded` (its first element,
/// which the proxy nearest the client wrote), else `X-Forwarded-Proto`/`-Host`/`-Port`.
fn forwarded_base(headers: &HeaderMap) -> Option<String> {
    let (proto, host) = match forwarded_elements(headers).next() {
        Some(element) => (
            parameter(element, "proto").map(str::to_owned),
            parameter(element, "host").map(str::to_owned),
        ),
        None => {
            let first = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(',').next())
                    .map(|v| v.trim().to_owned())
            };
            let host = first("x-forwarded-host").map(|host| match first("x-forwarded-port") {
                Some(port) if !host.contains(':') || host.ends_with(']') => {
                    format!("{host}:{port}")
                }
                _ => host,
            });
            (first("x-forwarded-proto"), host)
        }
    };
    let host = host?;
    let scheme = match proto.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("http") => "http",
        Some("https") => "https",
        Some(_) => return None,
    };
    let url = url::Url::parse(&format!("{scheme}://{host}/")).ok()?;
    if url.path() != "/" || !url.username().is_empty() || url.query().is_some() {
        return None;
    }
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

/// The elements of every `Forwarded` header (RFC 7239), in order.
fn forwarded_elements(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::FORWARDED)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
}

/// The value of `name=` in one `Forwarded` element, unquoted.
fn parameter<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"'))
    })
}

/// The address of a forwarded node: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`
/// or `2001:db8::1`; `None` for `unknown` and obfuscated names.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    node.parse::<SocketAddr>()
        .ok()
        .map(|socket| canonical(socket.ip()))
        .or_else(|| {
            let bracketed = node.strip_prefix('[')?.split(']').next()?;
            bracketed.parse().ok().map(canonical)
        })
}

#[cfg(test)]
mod tests;
