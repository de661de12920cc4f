//! The debugging page of `grantwire serve`: the server's recent client authentications, newest
//! first, at `/debug` (plain server-rendered HTML, no script, no external asset, every server
//! text HTML-escaped) and as JSON at `/debug/events`; `?client=ID` keeps one client's.
//!
//! The events come from [`AuthServer::auth_events`]: they hold no secret, assertion or token.

use grantwire_testkit::{AuthEvent, AuthServer};
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

/// The path of the page.
pub(crate) const PAGE: &str = "/debug";
/// The path of the JSON events.
pub(crate) const EVENTS: &str = "/debug/events";

/// A `client` filter longer than this is cut (it is echoed on the page).
const MAX_FILTER: usize = 256;

/// Answers `/debug` and `/debug/events`; `None` for every other path.
pub(crate) fn route(request: &Request<Vec<u8>>, server: &AuthServer) -> Option<Response<Vec<u8>>> {
    let path = request.uri().path();
    if path != PAGE && path != EVENTS {
        return None;
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut r = respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            b"use GET".to_vec(),
        );
        r.headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Some(r);
    }
    let filter = client_filter(request.uri().query());
    let events = server.auth_events().filter(|e| {
        filter
            .as_deref()
            .is_none_or(|c| e.client_id.as_deref() == Some(c))
    });
    Some(if path == EVENTS {
        let events: Vec<Value> = events.map(AuthEvent::to_json).collect();
        let body = serde_json::to_vec(&json!({ "events": events })).unwrap_or_default();
        respond(StatusCode::OK, "application/json", body)
    } else {
        let html = render(events, filter.as_deref(), server.issuer());
        respond(
            StatusCode::OK,
            "text/html; charset=utf-8",
            html.into_bytes(),
        )
    })
}

fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Nothing but the page itself: no script, no outside resource, no framing.
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The `client` query parameter, when present and not empty (form-decoded, bounded).
fn client_filter(query: Option<&str>) -> Option<String> {
    let pairs = grantwire::form::parse(query?.as_bytes()).ok()?;
    let (_, value) = pairs.into_iter().find(|(name, _)| name == "client")?;
    if value.is_empty() {
        return None;
    }
    Some(value.chars().take(MAX_FILTER).collect())
}

/// `text` with `& < > " '` escaped, for HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC` (proleptic Gregorian calendar).
pub(crate) fn utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The page: a filter form and one table row per event.
fn render<'a>(
    events: impl Iterator<Item = &'a AuthEvent>,
    filter: Option<&str>,
    issuer: &str,
) -> String {
    let mut rows = String::new();
    let mut count = 0usize;
    for e in events {
        count += 1;
        let outcome = if e.accepted() { "accepted" } else { "rejected" };
        let cause = e
            .cause
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr class=\"{outcome}\"><td>{}</td><td class=\"client\">{}</td><td>{}</td><td>{}</td>\
             <td class=\"outcome\">{outcome}</td><td class=\"cause\">{}</td><td class=\"id\">{}</td></tr>\n",
            utc(e.at),
            escape(e.client_id.as_deref().unwrap_or("")),
            escape(e.method.unwrap_or("")),
            escape(e.endpoint.path()),
            escape(&cause),
            escape(e.client_auth_id.as_deref().unwrap_or("")),
        ));
    }
    let shown = match filter {
        Some(c) => format!(
            "{count} event(s) of client <b>{}</b> · <a href=\"{PAGE}\">all clients</a>",
            escape(c)
        ),
        None => format!("{count} event(s), newest first"),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>grantwire serve: client authentications</title>\
         <style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}\
         tr.rejected td.outcome{{color:#b00}}tr.accepted td.outcome{{color:#070}}\
         td.id{{font-family:monospace}}</style></head>\n<body>\
         <h1>Client authentications</h1><p>Server {issuer} · JSON: <a href=\"{EVENTS}\">{EVENTS}</a></p>\
         <form method=\"get\" action=\"{PAGE}\"><label>Client <input name=\"client\" value=\"{value}\"></label> \
         <button type=\"submit\">Filter</button></form><p id=\"shown\">{shown}</p>\n\
         <table id=\"events\"><thead><tr><th>Time</th><th>Client</th><th>Method</th><th>Endpoint</th>\
         <th>Outcome</th><th>Cause</th><th>client_auth_id</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\
         </body></html>\n",
        issuer = escape(issuer),
        value = escape(filter.unwrap_or("")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_html_metacharacter() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn formats_utc_times() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn the_filter_is_decoded_and_bounded() {
        assert_eq!(client_filter(Some("client=a%20b")).as_deref(), Some("a b"));
        assert_eq!(client_filter(Some("client=")), None);
        assert_eq!(client_filter(None), None);
        let long = format!("client={}", "x".repeat(1000));
        assert_eq!(
            client_filter(Some(&long)).map(|c| c.len()),
            Some(MAX_FILTER)
        );
    }
}
