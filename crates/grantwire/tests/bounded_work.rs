//! Issue 8, defect 1: every parser's work on a large adversarial input stays near-linear.
//! Each test times one parse of a body close to the 1 MiB limit against a generous bound; the
//! quadratic scope handling this replaces took seconds on the same inputs (see docs/core.md,
//! "Bounded work"). Only the public parsing API is used, so the tests run against any version.

use std::time::{Duration, Instant, UNIX_EPOCH};

use grantwire::challenge::{parse_retry_after, parse_www_authenticate};
use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::introspection::IntrospectionResponse;
use grantwire::{parse_error_response, ParseOptions, Profile, Scope, TokenResponse};

/// Generous: the linear code needs a few milliseconds for each input even in a debug build,
/// the quadratic code it replaces needed well over a second in a release build.
const BOUND: Duration = Duration::from_millis(1500);

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < BOUND, "{what} took {took:?}, more than {BOUND:?}");
    out
}

fn now() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn json() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h
}

/// `n` distinct 96-byte scope tokens sharing a 90-byte prefix (so every comparison of two
/// tokens reads ~90 bytes), plus `dup` repeats of the first: ~1 MiB for n near the cap.
fn tokens(n: usize, dup: usize) -> Vec<String> {
    let prefix = "p".repeat(90);
    (0..n)
        .map(|i| format!("{prefix}{i:06}"))
        .chain((0..dup).map(|_| format!("{prefix}{:06}", 0)))
        .collect()
}

const NEAR_CAP: usize = 9_998;

fn token_body(scope_json: &str) -> Vec<u8> {
    format!(r#"{{"access_token":"a","token_type":"Bearer","scope":{scope_json}}}"#).into_bytes()
}

#[test]
fn scope_near_the_cap_distinct_and_with_a_duplicate() {
    for (n, dup) in [(NEAR_CAP + 1, 0), (NEAR_CAP, 1)] {
        let body = token_body(&format!("\"{}\"", tokens(n, dup).join(" ")));
        assert!(body.len() < 1024 * 1024);
        for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
            let opts = ParseOptions::with_profile(profile);
            let t = timed(&format!("{n}+{dup} tokens, {profile:?}"), || {
                TokenResponse::parse_with((StatusCode::OK, &json(), &body), now(), &opts)
            })
            .unwrap();
            assert_eq!(t.scope().unwrap().len(), n);
        }
    }
}

#[test]
fn scope_with_runs_of_spaces_takes_the_general_path() {
    // Double spaces make the scope "not normalized": the full parser runs, same bound.
    let s = tokens(NEAR_CAP, 1).join("  ");
    let scope = timed("Scope::parse, double spaces", || Scope::parse(&s)).unwrap();
    assert_eq!(scope.len(), NEAR_CAP);
    let other = timed("Scope::parse, reversed", || {
        Scope::parse(
            &tokens(NEAR_CAP, 0)
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join(" "),
        )
    })
    .unwrap();
    assert!(timed("set_eq", || scope.set_eq(&other)));
}

#[test]
fn lenient_scope_array_and_comma_list() {
    let list = tokens(NEAR_CAP, 1);
    let array = format!("[\"{}\"]", list.join("\",\""));
    let comma = format!("\"{}\"", list.join(","));
    let opts = ParseOptions::with_profile(Profile::Lenient);
    for scope in [array, comma] {
        let body = token_body(&scope);
        let t = timed("lenient scope", || {
            TokenResponse::parse_with((StatusCode::OK, &json(), &body), now(), &opts)
        })
        .unwrap();
        assert_eq!(t.scope().unwrap().len(), NEAR_CAP);
    }
}

#[test]
fn introspection_scope() {
    let body = format!(
        r#"{{"active":true,"scope":"{}"}}"#,
        tokens(NEAR_CAP, 1).join(" ")
    );
    let r = timed("introspection scope", || {
        IntrospectionResponse::parse((StatusCode::OK, &json(), body.as_bytes()), now())
    })
    .unwrap();
    assert_eq!(r.active().unwrap().scope().unwrap().len(), NEAR_CAP);
}

#[test]
fn many_members_with_a_duplicate_at_the_end() {
    // ~60,000 unknown members, then a repeat of the first: found by one sort, in every parser.
    let mut body = String::from(r#"{"access_token":"a","token_type":"Bearer","active":true"#);
    for i in 0..60_000 {
        body.push_str(&format!(r#","m{i:07}":1"#));
    }
    body.push_str(r#","m0000000":2}"#);
    assert!(body.len() < 1024 * 1024);
    for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
        let opts = ParseOptions::with_profile(profile);
        let r = timed("token, many members", || {
            TokenResponse::parse_with((StatusCode::OK, &json(), body.as_bytes()), now(), &opts)
        });
        assert!(r.is_err(), "a duplicate member must be refused");
        let r = timed("introspection, many members", || {
            IntrospectionResponse::parse_with(
                (StatusCode::OK, &json(), body.as_bytes()),
                now(),
                &opts,
            )
        });
        assert!(r.is_err(), "a duplicate member must be refused");
    }
    // Many members that are all error members repeated.
    let mut body = String::from(r#"{"error":"invalid_grant""#);
    while body.len() < 1000 * 1024 {
        body.push_str(r#","error_description":"x""#);
    }
    body.push('}');
    let r = timed("error body, repeated description", || {
        parse_error_response(
            (StatusCode::BAD_REQUEST, &json(), body.as_bytes()),
            now(),
            &ParseOptions::default(),
        )
    });
    assert!(r.is_err());
}

#[test]
fn lenient_form_body() {
    let mut form = HeaderMap::new();
    form.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let mut body = String::from("access_token=a&token_type=Bearer&scope=");
    body.push_str(&tokens(NEAR_CAP, 1).join("+"));
    for i in 0..5_000 {
        body.push_str(&format!("&k{i}=v"));
    }
    assert!(body.len() < 1024 * 1024);
    let opts = ParseOptions::with_profile(Profile::Lenient);
    let t = timed("lenient form body", || {
        TokenResponse::parse_with((StatusCode::OK, &form, body.as_bytes()), now(), &opts)
    })
    .unwrap();
    assert_eq!(t.scope().unwrap().len(), NEAR_CAP);
}

#[test]
fn www_authenticate_and_retry_after() {
    // The challenge parser reads at most 8 KiB; the worst shapes for its look-aheads are long
    // runs of separators and parameters.
    let mut commas = String::from("Bearer a=b");
    while commas.len() < 8 * 1024 - 8 {
        commas.push_str(" ,\t");
    }
    let mut params = String::from("Bearer ");
    for i in 0..31 {
        params.push_str(&format!("p{i}=\"{}\", ", "\\x".repeat(120)));
    }
    let spaces = format!("Basic{}", " ".repeat(8 * 1024 - 6));
    for value in [commas, params, spaces] {
        assert!(value.len() <= 8 * 1024);
        for _ in 0..100 {
            let _ = timed("www-authenticate", || parse_www_authenticate(&value));
        }
    }
    let digits = "9".repeat(1024 * 1024);
    let r = timed("retry-after, 1 MiB of digits", || {
        parse_retry_after(&digits, now())
    });
    if let Ok(d) = r {
        assert!(std::time::Instant::now().checked_add(d).is_some());
    }
}
