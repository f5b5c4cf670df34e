//! Display (or wire form) then parse is the identity for the reply vocabulary and for SASL
//! mechanism names.

use proptest::prelude::*;
use smtp_proto::auth::Mechanism;
use smtp_proto::response::{EnhancedStatus, ReplyCode, Response};

proptest! {
    #[test]
    fn enhanced_status_display_then_parse(
        class in prop::sample::select(vec![2u8, 4, 5]),
        subject in 0u16..=999,
        detail in 0u16..=999,
    ) {
        let status = EnhancedStatus::new(class, subject, detail).unwrap();
        let shown = status.to_string();
        prop_assert_eq!(shown.parse::<EnhancedStatus>().unwrap(), status);
        let prefixed = format!("{shown} rest");
        prop_assert_eq!(
            EnhancedStatus::parse_prefix(prefixed.as_bytes()),
            Some((status, shown.len() + 1))
        );
    }

    #[test]
    fn reply_code_through_u16(code in 200u16..=599) {
        match ReplyCode::try_from(code) {
            Ok(parsed) => prop_assert_eq!(u16::from(parsed), code),
            // Second digits above 5 are outside RFC 5321 §4.2's grammar.
            Err(_) => prop_assert!((code / 10) % 10 > 5),
        }
    }

    #[test]
    fn response_wire_form_then_parse(
        code in prop::sample::select(vec![220u16, 250, 354, 421, 452, 550, 554]),
        lines in prop::collection::vec("[ -~]{0,40}", 1..6),
    ) {
        let mut wire = String::new();
        for (i, text) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            wire.push_str(&format!("{code}{sep}{text}\r\n"));
        }
        let reply = Response::parse(wire.as_bytes()).unwrap();
        prop_assert_eq!(reply.as_bytes(), wire.as_bytes());
        prop_assert_eq!(Response::parse(reply.as_bytes()).unwrap(), reply.clone());
        prop_assert_eq!(u16::from(reply.code()), code);
        let texts: Vec<&[u8]> = reply.text_lines().collect();
        let expected: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        prop_assert_eq!(texts, expected);
    }

    #[test]
    fn mechanism_display_then_parse(name in "[A-Za-z0-9_-]{1,20}") {
        let mechanism: Mechanism = name.parse().unwrap();
        prop_assert_eq!(mechanism.as_str(), name.to_ascii_uppercase());
        prop_assert_eq!(mechanism.to_string().parse::<Mechanism>().unwrap(), mechanism);
    }
}
