//! XCLIENT and XFORWARD: the exact bytes of the Postfix README examples and the refusals.

use smtp_proto::command::*;

fn bytes(f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    f(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn postfix_xclient_xforward() {
    let x = Xclient::new(vec![
        (
            XclientAttribute::Name,
            XattrValue::Value("spike.porcupine.org".into()),
        ),
        (
            XclientAttribute::Addr,
            XattrValue::Value("168.100.189.2".into()),
        ),
    ])
    .unwrap();
    assert_eq!(
        bytes(|o| x.encode(o)),
        "XCLIENT NAME=spike.porcupine.org ADDR=168.100.189.2\r\n"
    );
    let f = Xforward::new(vec![
        (
            XforwardAttribute::Name,
            XattrValue::Value("spike.porcupine.org".into()),
        ),
        (
            XforwardAttribute::Addr,
            XattrValue::Value("168.100.189.2".into()),
        ),
        (XforwardAttribute::Proto, XattrValue::Value("ESMTP".into())),
        (XforwardAttribute::Helo, XattrValue::TempUnavailable),
    ])
    .unwrap();
    assert_eq!(
        bytes(|o| f.encode(o)),
        "XFORWARD NAME=spike.porcupine.org ADDR=168.100.189.2 PROTO=ESMTP HELO=[TEMPUNAVAIL]\r\n"
    );
    assert_eq!(
        Xclient::new(vec![(
            XclientAttribute::Login,
            XattrValue::Value("a b=c".into())
        )])
        .map(|x| bytes(|o| x.encode(o))),
        Ok("XCLIENT LOGIN=a+20b+3Dc\r\n".to_owned())
    );
    assert_eq!(
        Xclient::new(vec![
            (XclientAttribute::Port, XattrValue::Value("25".into())),
            (XclientAttribute::Port, XattrValue::Value("26".into())),
        ]),
        Err(CommandError::DuplicateAttribute { name: "PORT" })
    );
    // The reserved values, in any case, only as `XattrValue::Unavailable`/`TempUnavailable`.
    for (text, value) in [
        ("[unavailable]", "[UNAVAILABLE]"),
        ("[TempUnavail]", "[TEMPUNAVAIL]"),
    ] {
        let refused = CommandError::ReservedValue { value };
        let text = XattrValue::Value(text.into());
        assert_eq!(
            Xclient::new(vec![(XclientAttribute::Name, text.clone())]),
            Err(refused.clone())
        );
        assert_eq!(
            Xforward::new(vec![(XforwardAttribute::Helo, text)]),
            Err(refused)
        );
    }
    assert_eq!(
        Xforward::new(vec![]),
        Err(CommandError::Empty {
            what: "attribute list"
        })
    );
}
