//! Properties of every syntax type: display then parse is the identity, writing matches
//! `encoded_len`, and no input makes a parser panic.

mod syntax_common;

use std::fmt::{Debug, Display};
use std::str::FromStr;

use proptest::prelude::*;
use smtp_proto::syntax::{
    AddressEncoding, AddressLiteral, ClientId, Domain, ForwardPath, Host, LocalPart, Mailbox,
    ReversePath,
};
use syntax_common::*;

fn round_trips<T>(value: &T) -> Result<(), TestCaseError>
where
    T: FromStr + Display + PartialEq + Debug + Clone,
    T::Err: Debug,
{
    let shown = value.to_string();
    let parsed = shown.parse::<T>();
    prop_assert!(
        parsed.as_ref().ok() == Some(value),
        "{shown:?} -> {parsed:?}"
    );
    let via_string = T::from_str(&shown.clone());
    prop_assert!(via_string.ok().as_ref() == Some(value));
    Ok(())
}

fn written(write: impl Fn(&mut Vec<u8>, AddressEncoding), enc: AddressEncoding) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, enc);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn domain_round_trips(d in domain()) {
        round_trips(&d)?;
        prop_assert_eq!(Domain::try_from(d.to_string()), Ok(d.clone()));
        let ascii = d.to_ascii();
        prop_assert!(ascii.is_ascii());
        let back: Domain = ascii.parse().unwrap();
        prop_assert!(back.eq_ignore_case(&d));
        prop_assert_eq!(written(|o, e| d.write_to(o, e), AddressEncoding::Ascii), ascii.as_bytes());
        prop_assert_eq!(written(|o, e| d.write_to(o, e), AddressEncoding::Utf8), d.as_str().as_bytes());
    }

    #[test]
    fn address_literal_round_trips(l in address_literal()) {
        round_trips(&l)?;
        if let AddressLiteral::General(g) = &l {
            round_trips(g)?;
        }
        let mut out = Vec::new();
        l.write_to(&mut out);
        prop_assert_eq!(out.len(), l.encoded_len());
        prop_assert_eq!(out, l.to_string().into_bytes());
    }

    #[test]
    fn ipv6_display_is_always_an_rfc_5321_form(a in ipv6()) {
        let lit = AddressLiteral::Ipv6(a);
        prop_assert_eq!(lit.to_string().parse::<AddressLiteral>(), Ok(lit));
    }

    #[test]
    fn local_part_round_trips(v in local_value()) {
        if let Ok(l) = LocalPart::from_value(&v) {
            round_trips(&l)?;
            prop_assert_eq!(l.value(), v.as_str());
            prop_assert_eq!(l.needs_smtputf8(), !v.is_ascii());
        } else {
            prop_assert!(v.len() > 62, "{:?} refused", v);
        }
    }

    #[test]
    fn host_and_mailbox_round_trip(h in host(), m in mailbox()) {
        round_trips(&h)?;
        round_trips(&m)?;
        for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
            let out = written(|o, e| m.write_to(o, e), enc);
            prop_assert_eq!(out.len(), m.encoded_len(enc));
        }
        let utf8 = written(|o, e| m.write_to(o, e), AddressEncoding::Utf8);
        prop_assert_eq!(utf8, m.to_string().into_bytes());
        // The ASCII form is ASCII unless the local part needs SMTPUTF8.
        let ascii = written(|o, e| m.write_to(o, e), AddressEncoding::Ascii);
        prop_assert_eq!(ascii.is_ascii(), !m.needs_smtputf8());
        let reparsed: Mailbox = String::from_utf8(ascii).unwrap().parse().unwrap();
        prop_assert_eq!(reparsed.local_part(), m.local_part());
    }

    #[test]
    fn paths_round_trip(r in reverse_path(), f in forward_path()) {
        round_trips(&r)?;
        round_trips(&f)?;
        for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
            prop_assert_eq!(written(|o, e| r.write_to(o, e), enc).len(), r.encoded_len(enc));
            prop_assert_eq!(written(|o, e| f.write_to(o, e), enc).len(), f.encoded_len(enc));
        }
        prop_assert_eq!(written(|o, e| f.write_to(o, e), AddressEncoding::Utf8), f.to_string().into_bytes());
        prop_assert!(f.encoded_len(AddressEncoding::Ascii) <= 256);
    }

    #[test]
    fn client_id_round_trips(c in client_id()) {
        round_trips(&c)?;
        let mut out = Vec::new();
        c.write_to(&mut out);
        prop_assert!(out.is_ascii());
        prop_assert_eq!(out.len(), c.encoded_len());
        prop_assert_eq!(out, c.to_string().into_bytes());
    }

    #[test]
    fn parsers_never_panic(s in prop_oneof![any::<String>(), tricky_string()]) {
        let _ = s.parse::<Domain>();
        let _ = s.parse::<AddressLiteral>();
        let _ = s.parse::<Host>();
        let _ = s.parse::<LocalPart>();
        let _ = s.parse::<Mailbox>();
        let _ = s.parse::<ReversePath>();
        let _ = s.parse::<ForwardPath>();
        let _ = s.parse::<ClientId>();
        let _ = ClientId::from_host_name(&s);
        let _ = LocalPart::from_value(&s);
        let _ = Domain::from_unchecked(s.as_str());
        let _ = Mailbox::from_unchecked(&s);
        let _ = AddressLiteral::from_unchecked(&s);
        let _ = ClientId::from_unchecked(&s);
    }

    #[test]
    fn bracketed_inputs_never_panic(s in tricky_string()) {
        let _ = format!("<{s}>").parse::<ReversePath>();
        let _ = format!("<@{s}>").parse::<ForwardPath>();
        let _ = format!("[{s}]").parse::<AddressLiteral>();
        let _ = format!("[IPv6:{s}]").parse::<AddressLiteral>();
        let _ = format!("{s}@example.com").parse::<Mailbox>();
        let _ = format!("\"{s}\"@x").parse::<Mailbox>();
    }
}
