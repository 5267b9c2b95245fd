//! Requests the server sends to addresses people chose — webhook receivers — go to
//! public addresses only, so that an admin token cannot make the server reach what
//! only its network position reaches (the cloud metadata service, the store, an
//! internal admin page).
//!
//! - At creation, a URL whose host is a literal address is checked ([`check_target`]):
//!   the URL standard reads `2130706433`, `0x7f000001`, `0177.1` and `127.1` all as
//!   127.0.0.1, and the `url` crate parses exactly as it does, so every spelling lands
//!   on the same address. A host name is accepted: it may not resolve yet.
//! - At every delivery the name is resolved by [`PublicResolver`], which hands the
//!   connector only the public addresses it found (and fails, with the reason, when
//!   there are none): the connection goes to an address that was checked, so a name
//!   that resolves publicly when created and privately later (DNS rebinding) gets
//!   nowhere. Literal addresses are checked again before each delivery, redirects are
//!   not followed and no proxy is used, since either would connect elsewhere.
//! - `webhooks.allow_private_hosts` names the hosts an operator allows anyway
//!   (on-premise receivers): a name there may resolve to anything.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether requests may go to `address`: not loopback, private, link-local,
/// unique-local, unspecified, shared (carrier NAT, where some clouds keep their
/// metadata service), multicast, reserved or documentation space — in IPv4, or in IPv6
/// including the IPv6 forms that carry an IPv4 address.
pub(crate) fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    !(a == 0                                   // "this network", 0.0.0.0
        || a == 10                             // private
        || a == 127                            // loopback
        || (a == 100 && (64..128).contains(&b)) // shared (carrier NAT)
        || (a == 169 && b == 254)              // link-local, metadata services
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0)      // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)      // documentation
        || (a == 192 && b == 168)              // private
        || (a == 198 && (b == 18 || b == 19))  // benchmarking
        || (a == 198 && b == 51 && c == 100)   // documentation
        || (a == 203 && b == 0 && c == 113)    // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = v6.segments();
    let embedded = |high: u16, low: u16| {
        Ipv4Addr::new(
            (high >> 8) as u8,
            (high & 0xff) as u8,
            (low >> 8) as u8,
            (low & 0xff) as u8,
        )
    };
    match segments {
        // NAT64 (64:ff9b::/96) reaches the IPv4 address it carries.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => is_public_v4(embedded(high, low)),
        // 6to4 (2002::/16) likewise.
        [0x2002, high, low, ..] => is_public_v4(embedded(high, low)),
        // Unspecified, loopback, IPv4-compatible (deprecated).
        [0, 0, 0, 0, 0, 0, _, _] => false,
        // Discard-only, local-use NAT64, Teredo, documentation.
        [0x100, 0, 0, 0, ..] | [0x64, 0xff9b, 1, ..] | [0x2001, 0, ..] | [0x2001, 0xdb8, ..] => {
            false
        }
        [first, ..] => {
            !((first & 0xfe00) == 0xfc00      // unique-local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (first & 0xff00) == 0xff00) // multicast
        }
    }
}

/// The hosts `webhooks.allow_private_hosts` allows, as the URL standard writes them
/// (lowercase names, IPv4 in dotted decimal, IPv6 in brackets), so that a setting
/// matches a URL however either was spelled.
#[derive(Clone, Debug, Default)]
pub(crate) struct AllowedHosts(Arc<[String]>);

impl AllowedHosts {
    /// The hosts of `entries`; an entry that is no host is left out (the settings
    /// refuse those at start).
    pub(crate) fn new(entries: &[String]) -> AllowedHosts {
        AllowedHosts(entries.iter().filter_map(|e| normalize_host(e)).collect())
    }

    fn allows(&self, host: &str) -> bool {
        self.0
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(host))
    }
}

/// `entry` (`receiver.internal`, `10.0.0.5`, `::1`, `[::1]`) as the URL standard writes
/// a host; `None` when it is not one.
pub(crate) fn normalize_host(entry: &str) -> Option<String> {
    let entry = entry.trim();
    let bracketed = match entry.parse::<Ipv6Addr>() {
        Ok(v6) => format!("[{v6}]"),
        Err(_) => entry.to_owned(),
    };
    let url = url::Url::parse(&format!("http://{bracketed}/")).ok()?;
    (url.path() == "/" && url.port().is_none() && url.username().is_empty())
        .then(|| url.host_str().map(str::to_ascii_lowercase))
        .flatten()
}

/// Why a webhook URL may not be posted to: not `http`/`https`, no host, or a literal
/// address that is not public (unless allowed).
pub(crate) fn check_target(url: &url::Url, allowed: &AllowedHosts) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme {:?} is not http or https",
            url.scheme()
        ));
    }
    let address = match url.host() {
        None => return Err("the URL has no host".to_owned()),
        Some(url::Host::Domain(_)) => return Ok(()),
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    if is_public(address) || url.host_str().is_some_and(|host| allowed.allows(host)) {
        Ok(())
    } else {
        Err(format!(
            "{address} is not a public address (loopback, private, link-local, unique-local, \
             unspecified or reserved); webhooks reach public addresses, or hosts named in \
             webhooks.allow_private_hosts"
        ))
    }
}

/// The resolver of webhook deliveries: a name's public addresses only (all of them
/// for a name in `webhooks.allow_private_hosts`), or an error saying why none.
#[derive(Clone, Debug)]
pub(crate) struct PublicResolver {
    allowed: AllowedHosts,
}

impl PublicResolver {
    /// A resolver allowing `allowed` to resolve privately.
    pub(crate) fn new(allowed: AllowedHosts) -> PublicResolver {
        PublicResolver { allowed }
    }
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.allowed.allows(name.as_str());
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let (public, private): (Vec<SocketAddr>, Vec<SocketAddr>) = found
                .into_iter()
                .partition(|address| allowed || is_public(address.ip()));
            if public.is_empty() {
                let private: Vec<String> = private.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!(
                    "{name} resolves only to addresses that are not public ({}); webhooks \
                     reach public addresses, or hosts named in webhooks.allow_private_hosts",
                    private.join(", ")
                )
                .into());
            }
            let addresses: Addrs = Box::new(public.into_iter());
            Ok(addresses)
        })
    }
}

/// An error and its causes, in one line: reqwest's own message ("error sending request
/// for url") says nothing of the resolver's refusal or the connection's failure.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn target(url: &str, allowed: &[&str]) -> Result<(), String> {
        let allowed: Vec<String> = allowed.iter().map(|a| (*a).to_owned()).collect();
        check_target(&url::Url::parse(url).unwrap(), &AllowedHosts::new(&allowed))
    }

    #[test]
    fn every_spelling_of_a_private_address_is_refused() {
        for url in [
            "http://169.254.169.254/",
            "http://2852039166/",
            "http://0xa9fea9fe/",
            "http://0251.0376.0251.0376/",
            "http://169.254.43518/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:a9fe:a9fe::1]/",
            "http://127.1/",
            "http://0x7f000001/",
            "http://017700000001/",
            "http://0/",
            "http://[::]/",
            "http://[::1]/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1%25eth0]/",
            "http://10.0.0.1/",
            "http://100.100.100.200/",
            "http://224.0.0.1/",
        ] {
            if let Ok(parsed) = url::Url::parse(url) {
                assert!(
                    check_target(&parsed, &AllowedHosts::default()).is_err(),
                    "{url} → {:?}",
                    parsed.host()
                );
            }
        }
    }

    #[test]
    fn public_addresses_and_names_pass_and_allowed_hosts_whatever_their_spelling() {
        for url in [
            "https://hooks.example.com/x",
            "http://93.184.216.34/",
            "http://[2606:2800:220:1:248:1893:25c8:1946]/",
            "http://localhost:9/",
        ] {
            assert_eq!(target(url, &[]), Ok(()), "{url}");
        }
        assert_eq!(target("http://0x7f000001:8080/", &["127.0.0.1"]), Ok(()));
        assert_eq!(target("http://[::1]/", &["::1"]), Ok(()));
        assert!(target("http://127.0.0.2/", &["127.0.0.1"]).is_err());
        assert!(target("ftp://hooks.example.com/", &[]).is_err());
        assert!(target("file:///etc/passwd", &[]).is_err());
    }

    #[tokio::test]
    async fn the_resolver_hands_over_public_addresses_only_unless_the_name_is_allowed() {
        let refusing = PublicResolver::new(AllowedHosts::default());
        let error = match refusing.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost resolved"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("127.0.0.1"), "{error}");
        assert!(error.contains("webhooks.allow_private_hosts"), "{error}");
        let allowing = PublicResolver::new(AllowedHosts::new(&["LOCALHOST".to_owned()]));
        let found: Vec<SocketAddr> = allowing
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(found.iter().any(|a| a.ip().is_loopback()), "{found:?}");
    }
}
