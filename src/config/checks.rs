//! The checks particular settings need beyond their shape, and how
//! `config check` hides a database password.

/// An origin as browsers send it: scheme and host (and port), no path, and
/// never the wildcard (an auth service must not be callable from any site).
pub fn cors_origin(s: &str) -> Result<String, String> {
    let err = |reason: &str| format!("`{s}`: {reason}");
    if s == "*" {
        return Err(err("a wildcard is not allowed; list the origins"));
    }
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| err("an origin starts with https:// or http://"))?;
    if rest.is_empty() || rest.contains('/') {
        return Err(err("an origin has no path, e.g. https://app.example.com"));
    }
    Ok(s.to_owned())
}

/// A path prefix: `/`, or non-empty segments of letters, digits and
/// `- . _ ~` between slashes, starting and ending with one.
pub fn path_prefix(s: &str) -> Result<(), String> {
    if s == "/" {
        return Ok(());
    }
    let inner = s
        .strip_prefix('/')
        .and_then(|r| r.strip_suffix('/'))
        .ok_or_else(|| format!("`{s}`: start and end the prefix with `/`, e.g. `/api/v1/`"))?;
    let segment_ok = |seg: &str| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    };
    if inner.split('/').all(segment_ok) {
        Ok(())
    } else {
        Err(format!(
            "`{s}`: use segments of letters, digits and `- . _ ~` between single slashes"
        ))
    }
}

/// A webhook URL: absolute `https://` or `http://` (for a receiver on the
/// same host or network), with a host, no credentials (they would show in
/// `config check`) and no fragment.
pub fn webhook_url(s: &str) -> Result<String, String> {
    let err = |reason: &str| format!("`{}`: {reason}", redact_webhook_url(&s.to_owned()));
    let url = reqwest::Url::parse(s).map_err(|e| err(&e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(err("use an https:// (or http://) URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(err("the URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err(
            "put no credentials in the URL: receivers check the signature",
        ));
    }
    if url.fragment().is_some() || s.len() > 2048 {
        return Err(err("no fragment, at most 2048 characters"));
    }
    // As the URL parser writes it (scheme and host in lower case, an empty
    // path as `/`), so that one receiver has one spelling everywhere.
    Ok(url.as_str().to_owned())
}

/// A webhook URL as `config check` and errors show it: its scheme, host
/// and port only (a receiver's token often rides in its path or query).
#[allow(clippy::ptr_arg)] // the shape `List::show` takes for a list of `String`s
pub fn redact_webhook_url(url: &String) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<redacted>".into();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let more = if rest.len() > authority.len() {
        "/<redacted>"
    } else {
        ""
    };
    format!("{scheme}://{host}{more}")
}

/// An event type named in `GATEHOUSE_WEBHOOK_EVENTS`.
pub fn event_kind(s: &str) -> Result<crate::event_kind::EventKind, String> {
    crate::event_kind::EventKind::from_name(s).ok_or_else(|| {
        let all: Vec<&str> = crate::event_kind::EventKind::ALL
            .iter()
            .map(|k| k.name())
            .collect();
        format!("`{s}` is no event type; the types are {}", all.join(", "))
    })
}

/// A Standard Webhooks secret: `whsec_` and 24 to 64 bytes in base64. The
/// reason never shows the value.
pub fn webhook_secret(value: &str) -> Result<String, String> {
    use base64::Engine as _;
    let v = value.trim();
    let bytes = v
        .strip_prefix("whsec_")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .ok_or("use `whsec_` followed by base64 (e.g. `whsec_$(openssl rand -base64 32)`)")?;
    if !(24..=64).contains(&bytes.len()) {
        return Err("the secret must be 24 to 64 bytes (32 from `openssl rand -base64 32`)".into());
    }
    Ok(v.to_owned())
}

/// The bearer token `/metrics` asks for: long enough not to be guessed, and
/// sendable in a header as it is. The reason never shows the value.
pub fn metrics_token(value: &str) -> Result<String, String> {
    let token = value.trim();
    if token.len() < 16 {
        return Err("use at least 16 characters (e.g. `openssl rand -hex 32`)".into());
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("use printable ASCII characters without spaces".into());
    }
    Ok(token.to_owned())
}

/// A supplied signing key read from a file must be a PASERK secret key (a
/// file that is not one is a configuration error, exit 2; the reason never
/// shows its content). One given directly is checked by the key ring.
pub fn signing_key(text: &str, path: Option<&str>) -> Result<(), String> {
    use pasetors::keys::AsymmetricSecretKey;
    use pasetors::version4::V4;
    match path {
        Some(path) if AsymmetricSecretKey::<V4>::try_from(text.trim()).is_err() => Err(format!(
            "{path} does not hold a PASERK k4.secret key (make one with `gatehouse keys generate`)"
        )),
        _ => Ok(()),
    }
}

/// A key-encryption key, wherever it came from, must have its format (the
/// reason never shows the value).
pub fn encryption_key(text: &str, _: Option<&str>) -> Result<(), String> {
    crate::auth::keys::EncryptionKey::parse(text)
        .map(drop)
        .map_err(Into::into)
}

/// A database URL with its password hidden: everything between the user
/// name and the *last* `@` (a password may hold `@`, `/` or `?`; cutting at
/// the last `@` errs towards hiding more), and any `password=` query
/// parameter.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (credentials, host) = match rest.rsplit_once('@') {
        Some((c, h)) => (Some(c), h),
        None => (None, rest),
    };
    let credentials = credentials.map(|c| match c.split_once(':') {
        Some((user, _)) => format!("{user}:<redacted>@"),
        None => format!("{c}@"),
    });
    let host = match host.split_once('?') {
        Some((h, q)) => {
            let q: Vec<String> = q
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => {
                        format!("{k}=<redacted>")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{h}?{}", q.join("&"))
        }
        None => host.to_owned(),
    };
    format!("{scheme}://{}{host}", credentials.unwrap_or_default())
}
