//! The session actions: hello, STARTTLS, AUTH, the setup, the one-line commands, XCLIENT.

use crate::auth::{Credentials, Mechanism, SaslParams};
use crate::command::{
    Authenticate, Ehlo, Establish, Established, Expn, Hello, Help, Noop, TextArgument, TlsPolicy,
    Vrfy, XattrValue, Xclient, XclientAttribute, Xforward, XforwardAttribute,
};
use crate::syntax::ClientId;

use super::script::Action;

/// `ehlo NAME [fallback=no]`.
pub(crate) fn ehlo(action: &Action) -> Result<Ehlo, String> {
    let ehlo = Ehlo::new(client_id(action)?).map_err(|e| e.to_string())?;
    Ok(match action.text("fallback").as_deref() {
        Some("no") => ehlo.without_helo_fallback(),
        _ => ehlo,
    })
}

/// The first positional argument as a client identity (`client.example`, `[192.0.2.1]`).
pub(crate) fn client_id(action: &Action) -> Result<ClientId, String> {
    let name = action
        .arg(0)
        .or_else(|| action.text("name"))
        .ok_or_else(|| format!("{} needs a client name", action.name))?;
    name.parse().map_err(|e| format!("client name {name}: {e}"))
}

/// `ok 250 ehlo` or `ok 250 helo` (after the fallback).
pub(crate) fn render_hello(hello: &Hello) -> Vec<String> {
    let kind = match hello {
        Hello::Ehlo(_) => "ehlo",
        Hello::Helo(_) => "helo",
    };
    vec![format!("ok {} {kind}", hello.response().code().get())]
}

/// `auth user=U pass=P` or `auth user=U token=T`, with `mechanisms=PLAIN,LOGIN`,
/// `nonce=N` (SCRAM), `authzid=A`, `plaintext=yes`, `max-challenges=N`.
pub(crate) fn authenticate(action: &Action) -> Result<Authenticate, String> {
    let user = action
        .text("user")
        .ok_or_else(|| format!("{} needs user=", action.name))?;
    let credentials = match (action.text("pass"), action.text("token")) {
        (Some(pass), None) => Credentials::password(user, pass),
        (None, Some(token)) => Credentials::oauth2(user, token),
        _ => return Err("auth needs pass= or token=".into()),
    };
    let mut auth = Authenticate::new(credentials);
    if let Some(list) = action.text("mechanisms") {
        let preference = list
            .split(',')
            .map(|name| {
                name.parse::<Mechanism>()
                    .map_err(|e| format!("mechanism {name}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        auth = auth.preference(preference);
    }
    let mut params = SaslParams::new();
    if let Some(nonce) = action.text("nonce") {
        params = params.client_nonce(nonce);
    }
    if let Some(authzid) = action.text("authzid") {
        params = params.authzid(authzid);
    }
    auth = auth.params(params);
    if action.text("plaintext").as_deref() == Some("yes") {
        auth = auth.allow_plaintext(true);
    }
    if let Some(max) = action.text("max-challenges") {
        auth = auth.max_challenges(max.parse().map_err(|_| format!("max-challenges={max}"))?);
    }
    Ok(auth)
}

/// `establish NAME [tls=required|opportunistic|disabled] [fallback=no]` and, to
/// authenticate, the `auth` arguments.
pub(crate) fn establish(action: &Action) -> Result<Establish, String> {
    let policy = match action.text("tls").as_deref() {
        None | Some("required") => TlsPolicy::Required,
        Some("opportunistic") => TlsPolicy::Opportunistic,
        Some("disabled") => TlsPolicy::Disabled,
        Some(other) => return Err(format!("unknown TLS policy {other:?}")),
    };
    let mut setup = Establish::new(client_id(action)?)
        .map_err(|e| e.to_string())?
        .tls(policy)
        .helo_fallback(action.text("fallback").as_deref() != Some("no"));
    if action.value("user").is_some() {
        setup = setup.authenticate(authenticate(action)?);
    }
    Ok(setup)
}

/// `ok ehlo|helo tls yes|no auth MECH|none`.
pub(crate) fn render_established(established: &Established) -> Vec<String> {
    let hello = match established.hello {
        Hello::Ehlo(_) => "ehlo",
        Hello::Helo(_) => "helo",
    };
    let tls = if established.tls { "yes" } else { "no" };
    let auth = established
        .authenticated
        .as_ref()
        .map_or_else(|| "none".to_owned(), ToString::to_string);
    vec![format!("ok {hello} tls {tls} auth {auth}")]
}

/// The words after the action name as one text argument (`noop`, `help`).
fn text(action: &Action) -> Result<Option<TextArgument>, String> {
    let words: Vec<String> = (0..action.positional.len())
        .filter_map(|i| action.arg(i))
        .collect();
    if words.is_empty() {
        return Ok(None);
    }
    let joined = words.join(" ");
    joined
        .parse()
        .map(Some)
        .map_err(|e| format!("{} argument {joined:?}: {e}", action.name))
}

/// `noop [TEXT]`.
pub(crate) fn noop(action: &Action) -> Result<Noop, String> {
    Noop::new(text(action)?).map_err(|e| e.to_string())
}

/// `help [TEXT]`.
pub(crate) fn help(action: &Action) -> Result<Help, String> {
    Help::new(text(action)?).map_err(|e| e.to_string())
}

/// `vrfy TEXT [smtputf8=yes]`.
pub(crate) fn vrfy(action: &Action) -> Result<Vrfy, String> {
    let argument = text(action)?.ok_or("vrfy needs an argument")?;
    Vrfy::new(argument, action.text("smtputf8").as_deref() == Some("yes"))
        .map_err(|e| e.to_string())
}

/// `expn TEXT [smtputf8=yes]`.
pub(crate) fn expn(action: &Action) -> Result<Expn, String> {
    let argument = text(action)?.ok_or("expn needs an argument")?;
    Expn::new(argument, action.text("smtputf8").as_deref() == Some("yes"))
        .map_err(|e| e.to_string())
}

/// `xclient NAME=VALUE ...` (`[UNAVAILABLE]`, `[TEMPUNAVAIL]` as such).
pub(crate) fn xclient(action: &Action) -> Result<Xclient, String> {
    let attrs = attributes(action, |name| {
        Some(match name {
            "NAME" => XclientAttribute::Name,
            "ADDR" => XclientAttribute::Addr,
            "PORT" => XclientAttribute::Port,
            "PROTO" => XclientAttribute::Proto,
            "HELO" => XclientAttribute::Helo,
            "LOGIN" => XclientAttribute::Login,
            "DESTADDR" => XclientAttribute::DestAddr,
            "DESTPORT" => XclientAttribute::DestPort,
            _ => return None,
        })
    })?;
    Xclient::new(attrs).map_err(|e| e.to_string())
}

/// `xforward NAME=VALUE ...`.
pub(crate) fn xforward(action: &Action) -> Result<Xforward, String> {
    let attrs = attributes(action, |name| {
        Some(match name {
            "NAME" => XforwardAttribute::Name,
            "ADDR" => XforwardAttribute::Addr,
            "PORT" => XforwardAttribute::Port,
            "PROTO" => XforwardAttribute::Proto,
            "HELO" => XforwardAttribute::Helo,
            "IDENT" => XforwardAttribute::Ident,
            "SOURCE" => XforwardAttribute::Source,
            _ => return None,
        })
    })?;
    Xforward::new(attrs).map_err(|e| e.to_string())
}

fn attributes<A>(
    action: &Action,
    attribute: impl Fn(&str) -> Option<A>,
) -> Result<Vec<(A, XattrValue)>, String> {
    action
        .named
        .iter()
        .map(|(name, value)| {
            let attr = attribute(name).ok_or_else(|| format!("unknown attribute {name}"))?;
            let value = String::from_utf8_lossy(value).into_owned();
            let value = match value.as_str() {
                "[UNAVAILABLE]" => XattrValue::Unavailable,
                "[TEMPUNAVAIL]" => XattrValue::TempUnavailable,
                _ => XattrValue::Value(value),
            };
            Ok((attr, value))
        })
        .collect()
}
