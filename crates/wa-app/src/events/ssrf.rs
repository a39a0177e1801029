//! The SSRF guard: tenants choose the URLs wa posts to, so the outbound client must never reach
//! into wa's own network (cloud metadata at 169.254.169.254, the database, admin ports).
//!
//! Every address is checked where the connection is made: the client's DNS resolver
//! ([`GuardedResolver`]) resolves the host and drops every address [`classify`] forbids, so a
//! name that resolves to a public address when the endpoint is created and to a private one
//! later (DNS rebinding) is still refused; a URL with a literal IP, which the client does not
//! resolve, is checked by [`OutboundPolicy::check_url`] before each post. The client follows no
//! redirects and ignores proxy variables, so neither can route around the check.
//!
//! Forbidden: private (RFC 1918), loopback, link-local, unique-local, CGNAT (100.64/10),
//! multicast, broadcast, unspecified, documentation and benchmarking ranges, other reserved
//! IPv4 space, and any IPv6 form that carries such an IPv4 address (IPv4-mapped, -compatible,
//! NAT64, 6to4) or tunnels to one (Teredo). `WA_EVENT_ALLOWED_NETS` lets listed blocks through
//! (the tests allow `127.0.0.1/32`).

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    str::FromStr,
    sync::Arc,
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16`.
    Private,
    /// `169.254/16`, `fe80::/10`.
    LinkLocal,
    /// `fc00::/7` (and the deprecated site-local `fec0::/10`).
    UniqueLocal,
    /// `100.64.0.0/10`, carrier-grade NAT.
    SharedAddressSpace,
    /// `224/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// Documentation, benchmarking, protocol-assignment and future-use ranges.
    Reserved,
    /// Teredo (`2001::/32`): the IPv4 address it reaches cannot be checked.
    Tunnel,
}

impl fmt::Display for Forbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "an unspecified address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::LinkLocal => "a link-local address",
            Self::UniqueLocal => "a unique-local address",
            Self::SharedAddressSpace => "a carrier-grade NAT address",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "the broadcast address",
            Self::Reserved => "a reserved address",
            Self::Tunnel => "a tunnelled address",
        })
    }
}

/// Why the address may not be called, or `None` for a public address.
pub fn classify(ip: IpAddr) -> Option<Forbidden> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Forbidden> {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, _, _) => Some(Forbidden::Unspecified),
        (127, _, _) => Some(Forbidden::Loopback),
        (10, _, _) | (192, 168, _) => Some(Forbidden::Private),
        (172, 16..=31, _) => Some(Forbidden::Private),
        (169, 254, _) => Some(Forbidden::LinkLocal),
        (100, 64..=127, _) => Some(Forbidden::SharedAddressSpace),
        (224..=239, _, _) => Some(Forbidden::Multicast),
        _ if ip == Ipv4Addr::BROADCAST => Some(Forbidden::Broadcast),
        // 240/4 (future use), 192.0.0/24 (protocol assignments), 192.0.2/24, 198.51.100/24,
        // 203.0.113/24 (documentation), 198.18/15 (benchmarking), 192.88.99/24 (6to4 relay).
        (240..=255, _, _)
        | (192, 0, 0 | 2)
        | (198, 51, 100)
        | (203, 0, 113)
        | (198, 18 | 19, _)
        | (192, 88, 99) => Some(Forbidden::Reserved),
        _ => None,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<Forbidden> {
    if ip.is_unspecified() {
        return Some(Forbidden::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Forbidden::Loopback);
    }
    let segments = ip.segments();
    let octets = ip.octets();
    let embedded =
        |at: usize| Ipv4Addr::new(octets[at], octets[at + 1], octets[at + 2], octets[at + 3]);
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible): the IPv4 address is what is reached.
    if segments[..5] == [0, 0, 0, 0, 0] && (segments[5] == 0xffff || segments[5] == 0) {
        return classify_v4(embedded(12));
    }
    // 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64): translated to the embedded IPv4 address.
    if segments[0] == 0x64 && segments[1] == 0xff9b {
        return classify_v4(embedded(12));
    }
    match segments[0] {
        // 2002::/16 (6to4): bits 16..48 are the IPv4 address.
        0x2002 => return classify_v4(embedded(2)),
        // 2001::/32 (Teredo): the client's address is obfuscated; refuse outright.
        0x2001 if segments[1] == 0 => return Some(Forbidden::Tunnel),
        // 2001:db8::/32 (documentation).
        0x2001 if segments[1] == 0x0db8 => return Some(Forbidden::Reserved),
        _ => {}
    }
    if segments[0] & 0xffc0 == 0xfe80 {
        return Some(Forbidden::LinkLocal);
    }
    if segments[0] & 0xfe00 == 0xfc00 || segments[0] & 0xffc0 == 0xfec0 {
        return Some(Forbidden::UniqueLocal);
    }
    if segments[0] & 0xff00 == 0xff00 {
        return Some(Forbidden::Multicast);
    }
    // 100::/64 (discard-only).
    if segments[..4] == [0x0100, 0, 0, 0] {
        return Some(Forbidden::Reserved);
    }
    None
}

/// An address block, `127.0.0.1/32` or `fd00::/8`; a bare address is a block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

/// A text that is not an address block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an address or CIDR block")]
pub struct InvalidNet;

impl FromStr for Net {
    type Err = InvalidNet;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| InvalidNet)?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().map_err(|_| InvalidNet)?,
            None => max,
        };
        if prefix > max {
            return Err(InvalidNet);
        }
        Ok(Self { addr, prefix })
    }
}

impl Net {
    /// Whether `ip` is inside the block (an IPv4-mapped IPv6 address counts as its IPv4 form).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// What the outbound client may call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// `WA_EVENT_ALLOWED_NETS`: blocks let through although [`classify`] forbids them.
    pub allowed_nets: Vec<Net>,
    /// `WA_EVENT_ALLOW_HTTP`: accept `http://` endpoints (default: `https://` only).
    pub allow_http: bool,
}

/// The longest endpoint URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL or an address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not a URL.
    #[error("not a valid URL")]
    Invalid,
    /// Longer than [`MAX_URL_LEN`].
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    /// Neither `https` nor (when allowed) `http`.
    #[error("the URL must use https (http only when WA_EVENT_ALLOW_HTTP is set)")]
    Scheme,
    /// A user name or password in the URL.
    #[error("the URL must not carry a user name or password")]
    Credentials,
    /// No host.
    #[error("the URL has no host")]
    NoHost,
    /// The address is forbidden.
    #[error("{0} is {1}, which wa does not call (see WA_EVENT_ALLOWED_NETS)")]
    Address(IpAddr, Forbidden),
    /// The name resolved to forbidden addresses only.
    #[error("{0} resolves only to addresses wa does not call (see WA_EVENT_ALLOWED_NETS)")]
    Name(String),
}

impl OutboundPolicy {
    /// Whether the address may be called.
    ///
    /// # Errors
    /// [`Refused::Address`] naming why not.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        if self.allowed_nets.iter().any(|net| net.contains(ip)) {
            return Ok(());
        }
        match classify(ip) {
            Some(reason) => Err(Refused::Address(ip, reason)),
            None => Ok(()),
        }
    }

    /// Checks a URL's form: scheme, no credentials, a host, and a literal IP host's address.
    /// Names are checked when they are resolved ([`GuardedResolver`]).
    ///
    /// # Errors
    /// A [`Refused`] naming what is wrong.
    pub fn check_url(&self, url: &str) -> Result<reqwest::Url, Refused> {
        if url.len() > MAX_URL_LEN {
            return Err(Refused::TooLong);
        }
        let parsed = reqwest::Url::parse(url).map_err(|_| Refused::Invalid)?;
        match parsed.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            _ => return Err(Refused::Scheme),
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Refused::Credentials);
        }
        // The URL parser has already normalised odd IPv4 spellings (`0x7f.1`, `2130706433`)
        // to dotted form, so a literal address is recognised however it was written.
        let host = parsed.host_str().ok_or(Refused::NoHost)?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            self.check_ip(ip)?;
        }
        Ok(parsed)
    }

    /// At creation, a host name must resolve to some address that may be called, as a literal
    /// address must be one. A name that does not resolve (yet) is accepted: every post
    /// resolves it again through [`GuardedResolver`], which drops forbidden addresses.
    ///
    /// # Errors
    /// [`Refused::Name`] when the name resolves only to forbidden addresses.
    pub async fn check_name(&self, url: &reqwest::Url) -> Result<(), Refused> {
        let Some(url::Host::Domain(name)) = url.host() else {
            return Ok(());
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let lookup = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tokio::net::lookup_host((name, port)),
        )
        .await;
        let Ok(Ok(found)) = lookup else {
            return Ok(());
        };
        let found: Vec<SocketAddr> = found.collect();
        if found.is_empty() {
            return Ok(());
        }
        self.filter(name, found).map(|_| ())
    }

    /// The addresses of a resolved name that may be called.
    ///
    /// # Errors
    /// [`Refused::Name`] when none may.
    pub fn filter(
        &self,
        name: &str,
        addrs: impl IntoIterator<Item = SocketAddr>,
    ) -> Result<Vec<SocketAddr>, Refused> {
        let allowed: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|addr| self.check_ip(addr.ip()).is_ok())
            .collect();
        if allowed.is_empty() {
            return Err(Refused::Name(name.to_owned()));
        }
        Ok(allowed)
    }
}

/// The outbound client's resolver: the system's, with forbidden addresses removed.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: Arc<OutboundPolicy>,
}

impl GuardedResolver {
    /// A resolver enforcing `policy`.
    pub fn new(policy: Arc<OutboundPolicy>) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed = policy.filter(&host, found)?;
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The outbound client: guarded resolver, no redirects, no proxies, the given timeouts.
///
/// # Errors
/// When the TLS backend cannot be initialised.
pub fn client(
    policy: Arc<OutboundPolicy>,
    connect_timeout: std::time::Duration,
    request_timeout: std::time::Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .dns_resolver(GuardedResolver::new(policy))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(connect_timeout)
        .timeout(request_timeout)
        .user_agent(concat!("wa-events/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests;
