//! Proptest generators of valid syntax values, shared by the syntax property tests.

#![allow(dead_code)]

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use smtp_proto::syntax::{
    AddressLiteral, ClientId, Domain, ForwardPath, GeneralLiteral, Host, LocalPart, Mailbox,
    ReversePath,
};

/// Lower-case letters of scripts without Bidi or joiner rules, all PVALID in IDNA2008.
const UNICODE_LETTERS: &str =
    "äöüßéèçñøåæœαβγδεζηθικλμνξοπρστυφχψωабвгдежзийклмнопрстуфхцчшщ例子用户测试中文网";

pub(crate) fn ldh_label() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?".prop_filter("not an A-label prefix", |l| {
        !l.to_ascii_lowercase().starts_with("xn--") && l.get(2..4) != Some("--")
    })
}

pub(crate) fn u_label() -> impl Strategy<Value = String> {
    let unicode: Vec<char> = UNICODE_LETTERS.chars().collect();
    (
        proptest::sample::select(unicode.clone()),
        proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(unicode),
                proptest::char::range('a', 'z'),
                proptest::char::range('0', '9'),
            ],
            0..10,
        ),
    )
        .prop_map(|(first, rest)| std::iter::once(first).chain(rest).collect())
}

pub(crate) fn domain_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![3 => ldh_label(), 1 => u_label()], 1..5)
        .prop_map(|labels| labels.join("."))
}

pub(crate) fn domain() -> impl Strategy<Value = Domain> {
    domain_text().prop_map(|s| s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}")))
}

pub(crate) fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    proptest::array::uniform8(prop_oneof![
        3 => Just(0u16),
        1 => Just(0xffffu16),
        2 => any::<u16>(),
    ])
    .prop_map(Ipv6Addr::from)
}

pub(crate) fn general_literal() -> impl Strategy<Value = GeneralLiteral> {
    (
        "[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?",
        "[!-Z^-~]{1,20}",
    )
        .prop_filter("IPv6 is reserved", |(t, _)| !t.eq_ignore_ascii_case("ipv6"))
        .prop_map(|(t, c)| GeneralLiteral::new(&t, &c).unwrap())
}

pub(crate) fn address_literal() -> impl Strategy<Value = AddressLiteral> {
    prop_oneof![
        any::<u32>().prop_map(|a| AddressLiteral::Ipv4(Ipv4Addr::from(a))),
        ipv6().prop_map(AddressLiteral::Ipv6),
        general_literal().prop_map(AddressLiteral::General),
    ]
}

pub(crate) fn host() -> impl Strategy<Value = Host> {
    prop_oneof![
        3 => domain().prop_map(Host::Domain),
        1 => address_literal().prop_map(Host::Literal),
    ]
}

/// A local part's content: printable ASCII, spaces and some non-ASCII letters.
pub(crate) fn local_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~.-]{1,20}",
        "[ -~]{0,20}",
        "[a-zäöü用户δ\" \\\\.@]{0,15}",
    ]
}

pub(crate) fn local_part() -> impl Strategy<Value = LocalPart> {
    local_value().prop_filter_map("too long", |v| LocalPart::from_value(&v).ok())
}

pub(crate) fn mailbox() -> impl Strategy<Value = Mailbox> {
    (local_part(), host()).prop_filter_map("path too long", |(l, h)| Mailbox::new(l, h).ok())
}

pub(crate) fn reverse_path() -> impl Strategy<Value = ReversePath> {
    prop_oneof![
        1 => Just(ReversePath::Null),
        5 => mailbox().prop_map(ReversePath::Mailbox),
    ]
}

pub(crate) fn forward_path() -> impl Strategy<Value = ForwardPath> {
    prop_oneof![
        1 => Just(ForwardPath::Postmaster),
        5 => mailbox().prop_map(ForwardPath::Mailbox),
    ]
}

pub(crate) fn client_id() -> impl Strategy<Value = ClientId> {
    host().prop_map(ClientId::from)
}

/// Strings over the characters that matter to the grammars, to reach deep parser states.
pub(crate) fn tricky_string() -> impl Strategy<Value = String> {
    "[<>@\\[\\]:.,\"\\\\ a-cxnIPv6Ü例0-9\\-_\r\n\0\t\u{7f}\u{85}]{0,40}"
}
