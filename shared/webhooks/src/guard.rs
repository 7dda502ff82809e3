//! The SSRF guard. A webhook URL is a tenant's secret and a tenant's choice: without a guard a
//! tenant could make Lookout's functions call the instance metadata service
//! (169.254.169.254), a VPC-internal service or localhost, and read a bit of the answer back
//! through the delivery's status. So a URL is taken only when it is `https` on a public
//! address: [`check_url`] parses it as a client would (WHATWG: `https://0x7f.1/` is
//! 127.0.0.1) and refuses literal non-public addresses, [`resolve_public`] resolves a host
//! name and refuses it when any address is not public, and the sender then connects only to
//! the addresses checked here (pinned, so a DNS answer changed between check and connect,
//! "DNS rebinding", cannot redirect it).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::{Host, Position, Url};

use crate::text::chars;

/// Longest URL taken.
pub const MAX_URL_LEN: usize = 2048;
/// How long resolving a host may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the guard lets through besides public `https` URLs.
///
/// Production never sets anything here: the default refuses every non-public address and
/// every scheme but `https`. Tests and the local emulator set
/// [`allow_http_loopback`](Self::allow_http_loopback) to reach a server on this machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Also take `http://127.0.0.1[:port]` (that literal address only: not `localhost`, not
    /// other loopback addresses, not `https`).
    pub allow_http_loopback: bool,
}

/// Why a webhook URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    #[error("not a URL")]
    Invalid,
    #[error("only https URLs are taken")]
    NotHttps,
    #[error("URLs with a user name or password are not taken")]
    UserInfo,
    #[error("URL has no host")]
    NoHost,
    /// The address is loopback, private, link-local, reserved, …; for a host name, the first
    /// such address it resolved to.
    #[error("{0} is not a public address")]
    NotPublic(IpAddr),
    /// The host name could not be resolved (may pass later).
    #[error("host cannot be resolved: {0}")]
    Unresolvable(String),
    #[error("host resolves to no address")]
    NoAddress,
}

impl UrlError {
    /// Whether the same URL may pass later (a DNS failure), rather than never.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unresolvable(_))
    }
}

/// The host of a [`Target`].
#[derive(Clone, PartialEq, Eq)]
enum TargetHost {
    /// A name, lower case, IDNA as punycode.
    Domain(String),
    /// A literal address, already checked.
    Ip(IpAddr),
}

/// A URL the guard took: [`check_url`]'s answer, for [`resolve_public`] and the sender.
/// Its `Debug` shows the [`mask`]ed URL only.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    url: Url,
    host: TargetHost,
    port: u16,
    /// Taken under [`Policy::allow_http_loopback`].
    loopback: bool,
}

impl Target {
    /// The whole URL, secret included: for the request only, never for logs.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The host name to pin resolved addresses to; `None` for a literal address.
    pub fn domain(&self) -> Option<&str> {
        match &self.host {
            TargetHost::Domain(d) => Some(d),
            TargetHost::Ip(_) => None,
        }
    }

    /// The port connected to (443 unless the URL says otherwise).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether it is `http://127.0.0.1`, taken under [`Policy::allow_http_loopback`].
    pub fn is_loopback_exception(&self) -> bool {
        self.loopback
    }

    /// The URL fit for logs ([`mask`]).
    pub fn masked(&self) -> String {
        mask(self.url.as_str())
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Target").field(&self.masked()).finish()
    }
}

/// [`check_url_with`] under the default [`Policy`], as production checks a URL.
pub fn check_url(url: &str) -> Result<Target, UrlError> {
    check_url_with(url, Policy::default())
}

/// Takes `url` if it is `https` (or `http://127.0.0.1` when `policy` allows it), at most
/// [`MAX_URL_LEN`] characters, without user name or password, with a host that is a name or
/// a public address. A name is only resolved later ([`resolve_public`]).
pub fn check_url_with(url: &str, policy: Policy) -> Result<Target, UrlError> {
    if chars(url) > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    let parsed = Url::parse(url).map_err(|_| UrlError::Invalid)?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(UrlError::NotHttps);
    }
    let host = match parsed.host() {
        None => return Err(UrlError::NoHost),
        Some(Host::Domain("")) => return Err(UrlError::NoHost),
        Some(Host::Domain(d)) => TargetHost::Domain(d.to_owned()),
        Some(Host::Ipv4(ip)) => TargetHost::Ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => TargetHost::Ip(IpAddr::V6(ip)),
    };
    let loopback = policy.allow_http_loopback
        && parsed.scheme() == "http"
        && host == TargetHost::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if parsed.scheme() != "https" && !loopback {
        return Err(UrlError::NotHttps);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlError::UserInfo);
    }
    if let TargetHost::Ip(ip) = host {
        if !loopback && !is_public(ip) {
            return Err(UrlError::NotPublic(ip));
        }
    }
    let port = parsed.port_or_known_default().ok_or(UrlError::Invalid)?;
    Ok(Target {
        url: parsed,
        host,
        port,
        loopback,
    })
}

/// Whether `ip` may be reached: not unspecified, loopback, private (RFC 1918, unique-local
/// `fc00::/7`), shared (CGNAT `100.64.0.0/10`), link-local (`169.254.0.0/16` with the metadata
/// service, `fe80::/10`), multicast, broadcast or reserved, not in a documentation or
/// benchmarking range, and not an IPv6 form of such an IPv4 address (IPv4-mapped, NAT64
/// `64:ff9b::/96`, 6to4 `2002::/16`). IPv6 outside global unicast `2000::/3` is refused whole.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", incl. 0.0.0.0
        || a == 10 // private
        || a == 127 // loopback
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local, the metadata service
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation (TEST-NET-1)
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || (a == 192 && b == 168) // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation (TEST-NET-2)
        || (a == 203 && b == 0 && c == 113) // documentation (TEST-NET-3)
        || a >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (well-known prefix): the embedded IPv4 address is what is reached.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(v4_from(s[6], s[7]));
    }
    // 6to4: the IPv4 address in bits 16..48.
    if s[0] == 0x2002 {
        return is_public_v4(v4_from(s[1], s[2]));
    }
    // Only global unicast; this leaves out ::, ::1, IPv4-compatible ::a.b.c.d, fc00::/7,
    // fe80::/10, fec0::/10, ff00::/8, 100::/64 and the local-use NAT64 64:ff9b:1::/48.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    let refused = match s[0] {
        // IETF protocol assignments (Teredo among them), and documentation.
        0x2001 => s[1] < 0x0200 || s[1] == 0x0db8,
        // Documentation (RFC 9637).
        0x3fff => s[1] < 0x1000,
        _ => false,
    };
    !refused
}

fn v4_from(high: u16, low: u16) -> Ipv4Addr {
    Ipv4Addr::from((u32::from(high) << 16) | u32::from(low))
}

/// The addresses to connect to for `target`: its literal address, or every address its host
/// name resolves to. Refused when any of them is not public (a name with one private address
/// among public ones is refused: which one a client picks is not ours to choose).
pub async fn resolve_public(target: &Target) -> Result<Vec<SocketAddr>, UrlError> {
    let name = match &target.host {
        TargetHost::Ip(ip) if target.loopback || is_public(*ip) => {
            return Ok(vec![SocketAddr::new(*ip, target.port)]);
        }
        TargetHost::Ip(ip) => return Err(UrlError::NotPublic(*ip)),
        TargetHost::Domain(name) => name,
    };
    let found = tokio::time::timeout(
        RESOLVE_TIMEOUT,
        tokio::net::lookup_host((name.as_str(), target.port)),
    )
    .await
    .map_err(|_| UrlError::Unresolvable("timed out".into()))?
    .map_err(|e| UrlError::Unresolvable(e.to_string()))?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for addr in found {
        if !is_public(addr.ip()) {
            return Err(UrlError::NotPublic(addr.ip()));
        }
        if !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    if addrs.is_empty() {
        return Err(UrlError::NoAddress);
    }
    Ok(addrs)
}

/// `url` fit for logs: scheme, host and port, and of the rest (path and query, where the
/// secret is) only the last 4 characters, and nothing of it when it is shorter than 12
/// (`https://hooks.slack.com/…XyZ9`). User name and password are left out.
pub fn mask(url: &str) -> String {
    let Ok(parsed) = Url::parse(url) else {
        return "<not a URL>".to_owned();
    };
    let host = parsed.host_str().unwrap_or_default();
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    let rest = &parsed[Position::BeforePath..];
    let tail = match chars(rest) {
        0 | 1 => "/".to_owned(),
        n if n < 12 => "/…".to_owned(),
        n => {
            let last: String = rest.chars().skip(n - 4).collect();
            format!("/…{last}")
        }
    };
    format!("{}://{host}{port}{tail}", parsed.scheme())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn non_public_addresses_are_refused() {
        for addr in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "169.254.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "fe80::1",
            "fec0::1",
            "fc00::1",
            "fd00::1",
            "fd00:ec2::254",
            "ff02::1",
            "ff05::2",
            "100::1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2001:db8::1",
            "2001::1",
            "3fff::1",
        ] {
            assert!(!is_public(ip(addr)), "{addr} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for addr in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "169.253.1.1",
            "192.169.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "2a00:1450:4001::200e",
            "::ffff:1.1.1.1",
            "64:ff9b::101:101",
            "2002:101:101::1",
        ] {
            assert!(is_public(ip(addr)), "{addr} must pass");
        }
    }

    #[test]
    fn takes_https_urls_on_names_and_public_addresses() -> Result<(), UrlError> {
        let t = check_url("https://hooks.slack.com/services/T0/B0/secret")?;
        assert_eq!(t.domain(), Some("hooks.slack.com"));
        assert_eq!(t.port(), 443);
        assert!(!t.is_loopback_exception());
        let t = check_url("https://Example.COM:8443/hook?x=1")?;
        assert_eq!(t.domain(), Some("example.com"), "names are lower-cased");
        assert_eq!(t.port(), 8443);
        let t = check_url("https://1.1.1.1/x")?;
        assert_eq!(t.domain(), None);
        let t = check_url("https://[2606:4700::1111]/x")?;
        assert_eq!(t.domain(), None);
        Ok(())
    }

    #[test]
    fn refuses_other_schemes_userinfo_private_literals_and_long_urls() {
        let cases: [(&str, UrlError); 17] = [
            ("http://example.com/hook", UrlError::NotHttps),
            ("ftp://example.com/hook", UrlError::NotHttps),
            ("file:///etc/passwd", UrlError::NotHttps),
            ("not a url", UrlError::Invalid),
            ("https://", UrlError::Invalid),
            ("https://user:pw@example.com/", UrlError::UserInfo),
            ("https://user@example.com/", UrlError::UserInfo),
            ("https://127.0.0.1/", UrlError::NotPublic(ip("127.0.0.1"))),
            ("https://[::1]/", UrlError::NotPublic(ip("::1"))),
            (
                "https://[::ffff:127.0.0.1]/",
                UrlError::NotPublic(ip("::ffff:127.0.0.1")),
            ),
            ("https://[fe80::1]/", UrlError::NotPublic(ip("fe80::1"))),
            (
                "https://169.254.169.254/latest/meta-data/",
                UrlError::NotPublic(ip("169.254.169.254")),
            ),
            ("https://10.0.0.1/", UrlError::NotPublic(ip("10.0.0.1"))),
            // Other spellings of loopback a client would read as such.
            ("https://0x7f.1/", UrlError::NotPublic(ip("127.0.0.1"))),
            ("https://2130706433/", UrlError::NotPublic(ip("127.0.0.1"))),
            ("https://0/", UrlError::NotPublic(ip("0.0.0.0"))),
            (
                &format!("https://example.com/{}", "a".repeat(MAX_URL_LEN)),
                UrlError::TooLong,
            ),
        ];
        for (url, want) in cases {
            assert_eq!(check_url(url).map(|_| ()), Err(want), "{url}");
        }
    }

    #[test]
    fn the_loopback_exception_takes_http_127_0_0_1_only() {
        let allow = Policy {
            allow_http_loopback: true,
        };
        assert_eq!(
            Policy::default(),
            Policy {
                allow_http_loopback: false
            }
        );
        let t = check_url_with("http://127.0.0.1:8081/slack/x", allow);
        assert!(t.as_ref().is_ok_and(Target::is_loopback_exception), "{t:?}");
        assert_eq!(t.map(|t| t.port()), Ok(8081));
        assert_eq!(
            check_url("http://127.0.0.1:8081/slack/x").map(|_| ()),
            Err(UrlError::NotHttps),
            "not without the policy"
        );
        for refused in [
            "http://localhost:8081/",
            "http://127.0.0.2:8081/",
            "http://[::1]:8081/",
            "http://10.0.0.1/",
            "https://127.0.0.1:8081/",
        ] {
            assert!(check_url_with(refused, allow).is_err(), "{refused}");
        }
    }

    #[tokio::test]
    async fn resolving_refuses_names_with_non_public_addresses() {
        // `localhost` resolves to 127.0.0.1 (and ::1): a name for a private address.
        let t = check_url("https://localhost:8443/hook");
        assert!(t.is_ok(), "a name passes the first check");
        if let Ok(t) = t {
            let got = resolve_public(&t).await;
            assert!(
                matches!(got, Err(UrlError::NotPublic(a)) if a.is_loopback()),
                "{got:?}"
            );
        }
        let t = check_url("https://1.1.1.1:8443/x");
        if let Ok(t) = t {
            assert_eq!(
                resolve_public(&t).await,
                Ok(vec![SocketAddr::new(ip("1.1.1.1"), 8443)]),
                "a literal is not resolved"
            );
        }
        let t = check_url_with(
            "http://127.0.0.1:9/x",
            Policy {
                allow_http_loopback: true,
            },
        );
        if let Ok(t) = t {
            assert_eq!(
                resolve_public(&t).await,
                Ok(vec![SocketAddr::new(ip("127.0.0.1"), 9)])
            );
        }
        let t = check_url("https://no-such-host.invalid/x");
        if let Ok(t) = t {
            let got = resolve_public(&t).await;
            assert!(got.as_ref().is_err_and(UrlError::is_transient), "{got:?}");
        }
    }

    #[test]
    fn masks_all_but_the_hosts_and_the_last_characters() {
        assert_eq!(
            mask("https://hooks.slack.com/services/T000/B000/XXXXsecretabcd"),
            "https://hooks.slack.com/…abcd"
        );
        assert_eq!(
            mask("https://discord.com/api/webhooks/123/tok?wait=true"),
            "https://discord.com/…true"
        );
        assert_eq!(
            mask("https://user:pw@example.com:8443/"),
            "https://example.com:8443/"
        );
        assert_eq!(mask("https://example.com/short"), "https://example.com/…");
        assert_eq!(mask("http://[::1]:80/"), "http://[::1]/");
        assert_eq!(mask("nope"), "<not a URL>");
        let t = check_url("https://hooks.slack.com/services/T000/B000/XXXXsecretabcd");
        assert_eq!(
            t.map(|t| format!("{t:?}")),
            Ok("Target(\"https://hooks.slack.com/…abcd\")".to_owned())
        );
    }
}
