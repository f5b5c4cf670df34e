//! The contract's rules for reply objects and EHLO capabilities (CLI.md "JSON output").

use serde_json::{Map, Value, json};
use smtp_proto::response::{EnhancedStatus, Response};

/// `{"code", "enhanced", "lines"}`.
///
/// `enhanced`: an RFC 3463 code at the start of the first line's text, followed by a space
/// or the end of the line, whose class is the reply code's first digit; it is then removed
/// (with the one space after it) from every line that begins with it. Lines are the text
/// after the code and separator as received, invalid UTF-8 as U+FFFD.
pub(crate) fn reply(reply: &Response) -> Value {
    let code = reply.code().get();
    let first = reply.first_line().text();
    let enhanced = EnhancedStatus::parse_prefix(first)
        .filter(|(status, _)| u16::from(status.class()) == code / 100)
        .and_then(|(status, used)| {
            let text = first.get(..used)?;
            let code_text = text.strip_suffix(b" ").unwrap_or(text);
            Some((status, code_text))
        });
    let lines: Vec<Value> = reply
        .lines()
        .map(|line| {
            let text = line.text();
            let text = match enhanced {
                Some((_, code_text)) => strip_code(text, code_text),
                None => text,
            };
            Value::String(String::from_utf8_lossy(text).into_owned())
        })
        .collect();
    json!({
        "code": code,
        // As it appears in the line (`2.01.0` stays so), not re-rendered.
        "enhanced": enhanced.map(|(_, code_text)| String::from_utf8_lossy(code_text).into_owned()),
        "lines": lines,
    })
}

/// `text` without a leading `code` followed by a space (removed too) or the line end.
fn strip_code<'a>(text: &'a [u8], code: &[u8]) -> &'a [u8] {
    match text.strip_prefix(code) {
        Some([]) => &[],
        Some([b' ', rest @ ..]) => rest,
        _ => text,
    }
}

/// The optional reply as a value (null when absent).
pub(crate) fn optional(response: Option<&Response>) -> Value {
    response.map_or(Value::Null, reply)
}

/// `ehlo.domain`: the first word of the first line (`""` if none).
pub(crate) fn domain(response: &Response) -> String {
    let first = response.first_line().text();
    let word = first
        .split(|&b| b == b' ')
        .find(|w| !w.is_empty())
        .unwrap_or_default();
    String::from_utf8_lossy(word).into_owned()
}

/// `ehlo.capabilities`: keyword (upper case) -> parameters, per the contract's rules.
pub(crate) fn capabilities(response: &Response) -> Map<String, Value> {
    let mut map: Map<String, Value> = Map::new();
    for line in response.lines().skip(1) {
        let text = String::from_utf8_lossy(line.text());
        let mut words = text.split(' ').filter(|w| !w.is_empty());
        let Some(first) = words.next() else {
            continue;
        };
        let (keyword, value) = match first.split_once('=') {
            Some((keyword, value)) => (keyword, Some(value)),
            None => (first, None),
        };
        if keyword.is_empty() {
            continue;
        }
        let entry = map
            .entry(keyword.to_ascii_uppercase())
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(params) = entry else {
            continue;
        };
        for param in value.into_iter().chain(words) {
            let param = Value::String(param.to_owned());
            if !params.contains(&param) {
                params.push(param);
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Response {
        Response::parse(text).unwrap()
    }

    #[test]
    fn enhanced_codes_are_removed_where_they_lead() {
        let value = reply(&parse(b"250-2.1.5 Ok\r\n250-2.1.5\r\n250 other text\r\n"));
        assert_eq!(
            value,
            json!({"code": 250, "enhanced": "2.1.5", "lines": ["Ok", "", "other text"]})
        );
    }

    #[test]
    fn enhanced_code_needs_a_matching_class_and_a_boundary() {
        let value = reply(&parse(b"550 2.1.5 odd\r\n"));
        assert_eq!(value["enhanced"], Value::Null);
        assert_eq!(value["lines"], json!(["2.1.5 odd"]));
        let value = reply(&parse(b"250 2.1.5.1 x\r\n"));
        assert_eq!(value["enhanced"], Value::Null);
        let value = reply(&parse(b"250 2.0.0\r\n"));
        assert_eq!(
            value,
            json!({"code": 250, "enhanced": "2.0.0", "lines": [""]})
        );
        // The code as the server wrote it, leading zeros included.
        let value = reply(&parse(b"220 2.01.0 ready\r\n"));
        assert_eq!(value["enhanced"], "2.01.0");
        assert_eq!(value["lines"], json!(["ready"]));
    }

    #[test]
    fn lines_keep_their_spaces_and_replace_bad_utf8() {
        let value = reply(&parse(b"220  mx \xff \r\n"));
        assert_eq!(value["lines"], json!([" mx \u{fffd} "]));
    }

    #[test]
    fn capabilities_follow_the_rules() {
        let ehlo = parse(
            b"250-mx.example Hello\r\n250-PIPELINING\r\n250-size  10485760 \r\n\
              250-AUTH=LOGIN\r\n250-AUTH LOGIN PLAIN PLAIN\r\n250- \r\n250 8BITMIME\r\n",
        );
        assert_eq!(domain(&ehlo), "mx.example");
        let caps = Value::Object(capabilities(&ehlo));
        assert_eq!(
            caps,
            json!({"PIPELINING": [], "SIZE": ["10485760"], "AUTH": ["LOGIN", "PLAIN"], "8BITMIME": []})
        );
        let keys: Vec<_> = capabilities(&ehlo).keys().cloned().collect();
        assert_eq!(keys, ["PIPELINING", "SIZE", "AUTH", "8BITMIME"]);
        assert_eq!(domain(&parse(b"250 \r\n")), "");
    }
}
