//! The address classifier, range by range (both edges of each), the allow list and URL checks.

use std::net::{IpAddr, SocketAddr};

use super::{Forbidden, Net, OutboundPolicy, Refused, classify};

fn check(address: &str, expected: Option<Forbidden>) {
    let ip: IpAddr = address.parse().unwrap();
    assert_eq!(classify(ip), expected, "{address}");
}

#[test]
fn ipv4_ranges_are_classified_at_both_edges() {
    use Forbidden::*;
    let cases: &[(&str, Option<Forbidden>)] = &[
        ("0.0.0.0", Some(Unspecified)),
        ("0.255.255.255", Some(Unspecified)),
        ("1.0.0.0", None),
        ("9.255.255.255", None),
        ("10.0.0.0", Some(Private)),
        ("10.255.255.255", Some(Private)),
        ("11.0.0.0", None),
        ("100.63.255.255", None),
        ("100.64.0.0", Some(SharedAddressSpace)),
        ("100.127.255.255", Some(SharedAddressSpace)),
        ("100.128.0.0", None),
        ("126.255.255.255", None),
        ("127.0.0.0", Some(Loopback)),
        ("127.0.0.1", Some(Loopback)),
        ("127.255.255.255", Some(Loopback)),
        ("128.0.0.0", None),
        ("169.253.255.255", None),
        ("169.254.0.0", Some(LinkLocal)),
        ("169.254.169.254", Some(LinkLocal)),
        ("169.254.255.255", Some(LinkLocal)),
        ("169.255.0.0", None),
        ("172.15.255.255", None),
        ("172.16.0.0", Some(Private)),
        ("172.31.255.255", Some(Private)),
        ("172.32.0.0", None),
        ("192.0.0.0", Some(Reserved)),
        ("192.0.0.255", Some(Reserved)),
        ("192.0.1.0", None),
        ("192.0.2.0", Some(Reserved)),
        ("192.0.2.255", Some(Reserved)),
        ("192.0.3.0", None),
        ("192.88.99.1", Some(Reserved)),
        ("192.167.255.255", None),
        ("192.168.0.0", Some(Private)),
        ("192.168.255.255", Some(Private)),
        ("192.169.0.0", None),
        ("198.17.255.255", None),
        ("198.18.0.0", Some(Reserved)),
        ("198.19.255.255", Some(Reserved)),
        ("198.20.0.0", None),
        ("198.51.100.7", Some(Reserved)),
        ("203.0.113.7", Some(Reserved)),
        ("203.0.114.0", None),
        ("223.255.255.255", None),
        ("224.0.0.0", Some(Multicast)),
        ("239.255.255.255", Some(Multicast)),
        ("240.0.0.0", Some(Reserved)),
        ("255.255.255.254", Some(Reserved)),
        ("255.255.255.255", Some(Broadcast)),
        ("8.8.8.8", None),
        ("93.184.216.34", None),
    ];
    for (address, expected) in cases {
        check(address, *expected);
    }
}

#[test]
fn ipv6_ranges_are_classified_at_both_edges() {
    use Forbidden::*;
    let cases: &[(&str, Option<Forbidden>)] = &[
        ("::", Some(Unspecified)),
        ("::1", Some(Loopback)),
        ("::2", Some(Unspecified)),
        ("fe80::", Some(LinkLocal)),
        ("fe80::1", Some(LinkLocal)),
        ("febf:ffff::", Some(LinkLocal)),
        ("fec0::1", Some(UniqueLocal)),
        ("fc00::", Some(UniqueLocal)),
        ("fd12:3456::1", Some(UniqueLocal)),
        ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(UniqueLocal)),
        ("fbff:ffff::", None),
        ("fe00::", None),
        ("ff00::", Some(Multicast)),
        ("ff02::1", Some(Multicast)),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Multicast)),
        ("2001:db8::1", Some(Reserved)),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Some(Tunnel)),
        ("100::1", Some(Reserved)),
        ("100:0:0:1::", None),
        ("2606:4700:4700::1111", None),
        ("2a00:1450:4001::1", None),
    ];
    for (address, expected) in cases {
        check(address, *expected);
    }
}

#[test]
fn ipv6_forms_carrying_ipv4_addresses_are_classified_by_the_ipv4_address() {
    use Forbidden::*;
    let cases: &[(&str, Option<Forbidden>)] = &[
        // IPv4-mapped.
        ("::ffff:127.0.0.1", Some(Loopback)),
        ("::ffff:10.1.2.3", Some(Private)),
        ("::ffff:169.254.169.254", Some(LinkLocal)),
        ("::ffff:100.64.0.1", Some(SharedAddressSpace)),
        ("::ffff:0.0.0.0", Some(Unspecified)),
        ("::ffff:224.0.0.1", Some(Multicast)),
        ("::ffff:8.8.8.8", None),
        // IPv4-compatible (deprecated, still routable by some stacks).
        ("::127.0.0.1", Some(Loopback)),
        ("::192.168.1.1", Some(Private)),
        ("::8.8.8.8", None),
        // NAT64.
        ("64:ff9b::10.0.0.1", Some(Private)),
        ("64:ff9b::127.0.0.1", Some(Loopback)),
        ("64:ff9b::8.8.8.8", None),
        // 6to4: 2002:AABB:CCDD:: embeds AA.BB.CC.DD.
        ("2002:7f00:1::", Some(Loopback)),
        ("2002:c0a8:101::", Some(Private)),
        ("2002:0808:0808::", None),
    ];
    for (address, expected) in cases {
        check(address, *expected);
    }
}

#[test]
fn nets_parse_and_contain() {
    let net: Net = "127.0.0.1/32".parse().unwrap();
    assert!(net.contains("127.0.0.1".parse().unwrap()));
    assert!(!net.contains("127.0.0.2".parse().unwrap()));
    assert!(net.contains("::ffff:127.0.0.1".parse().unwrap()));
    let net: Net = "10.0.0.0/8".parse().unwrap();
    assert!(net.contains("10.200.3.4".parse().unwrap()));
    assert!(!net.contains("11.0.0.0".parse().unwrap()));
    let net: Net = "fd00::/8".parse().unwrap();
    assert!(net.contains("fd12::1".parse().unwrap()));
    assert!(!net.contains("fc00::1".parse().unwrap()));
    assert!(!net.contains("10.0.0.1".parse().unwrap()));
    let all: Net = "0.0.0.0/0".parse().unwrap();
    assert!(all.contains("192.168.1.1".parse().unwrap()));
    let bare: Net = "::1".parse().unwrap();
    assert_eq!(bare.to_string(), "::1/128");
    for bad in [
        "",
        "10.0.0.0/33",
        "::/129",
        "localhost",
        "10.0.0/8",
        "1.2.3.4/x",
    ] {
        assert!(bad.parse::<Net>().is_err(), "{bad}");
    }
}

#[test]
fn the_policy_refuses_forbidden_addresses_unless_their_net_is_allowed() {
    let strict = OutboundPolicy::default();
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    assert_eq!(
        strict.check_ip(loopback),
        Err(Refused::Address(loopback, Forbidden::Loopback))
    );
    assert!(strict.check_ip("8.8.8.8".parse().unwrap()).is_ok());
    let allowed = OutboundPolicy {
        allowed_nets: vec!["127.0.0.1/32".parse().unwrap()],
        allow_http: true,
    };
    assert!(allowed.check_ip(loopback).is_ok());
    assert!(allowed.check_ip("127.0.0.2".parse().unwrap()).is_err());
    assert!(
        allowed
            .check_ip("::ffff:127.0.0.1".parse().unwrap())
            .is_ok()
    );
}

#[test]
fn urls_are_checked_for_scheme_credentials_and_literal_addresses() {
    let strict = OutboundPolicy::default();
    assert!(strict.check_url("https://hooks.example.com/wa").is_ok());
    assert_eq!(
        strict.check_url("http://hooks.example.com/wa"),
        Err(Refused::Scheme)
    );
    assert_eq!(strict.check_url("ftp://example.com/"), Err(Refused::Scheme));
    assert_eq!(strict.check_url("not a url"), Err(Refused::Invalid));
    assert_eq!(
        strict.check_url("https://user:pw@example.com/"),
        Err(Refused::Credentials)
    );
    // Literal addresses, however spelled.
    for url in [
        "https://127.0.0.1/",
        "https://127.1/",
        "https://2130706433/",
        "https://0x7f.0.0.1/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/",
        "https://10.0.0.5:8443/",
        "https://0.0.0.0/",
    ] {
        assert!(
            matches!(strict.check_url(url), Err(Refused::Address(..))),
            "{url}"
        );
    }
    let lenient = OutboundPolicy {
        allowed_nets: vec!["127.0.0.1/32".parse().unwrap()],
        allow_http: true,
    };
    assert!(lenient.check_url("http://127.0.0.1:8080/hook").is_ok());
    assert!(lenient.check_url("http://[::1]/").is_err());
}

#[test]
fn resolved_names_keep_only_allowed_addresses() {
    let strict = OutboundPolicy::default();
    let private: SocketAddr = "10.0.0.1:0".parse().unwrap();
    let public: SocketAddr = "93.184.216.34:0".parse().unwrap();
    assert_eq!(
        strict.filter("rebind.example", [private]),
        Err(Refused::Name("rebind.example".to_owned()))
    );
    assert_eq!(
        strict.filter("mixed.example", [private, public]).unwrap(),
        vec![public]
    );
}

#[tokio::test]
async fn the_client_refuses_a_name_that_resolves_to_loopback() {
    let client = super::client(
        std::sync::Arc::new(OutboundPolicy {
            allowed_nets: Vec::new(),
            allow_http: true,
        }),
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    // `localhost` resolves locally (no network), to loopback only: the resolver drops it all.
    let error = client
        .get("http://localhost:9/")
        .send()
        .await
        .expect_err("localhost is loopback");
    assert!(error.is_connect() || error.is_request(), "{error:?}");
    let chain = crate::http::error::error_chain(&error);
    assert!(chain.contains("resolves only to addresses"), "{chain}");
}
