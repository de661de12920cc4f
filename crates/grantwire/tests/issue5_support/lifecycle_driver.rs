// Shared by the `lifecycle` fuzz target (fuzz/fuzz_targets/lifecycle.rs) and the stable corpus
// replay (tests/fuzz_corpus_issue5.rs), through `include!`: arbitrary bytes become a schedule of
// callers, answers, failures and clock jumps, and every invariant of the token lifecycle is
// checked with a panic, which the fuzzer reports.

/// Runs the schedule encoded in `data` and panics if an invariant breaks: an expired token
/// handed out, two requests in flight, a deadline before the machine's clock, or a fetch not
/// justified by an expiry, a failure, an invalidation or a resume. Returns how many requests
/// were sent and how many tokens were handed out.
pub fn drive_lifecycle(data: &[u8]) -> (u64, u64) {
    use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
    use grantwire::lifecycle::{Event, LifecycleConfig, Poll, RequestId, TokenLifecycle};
    use grantwire::{
        ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, Context, TokenEndpoint,
    };
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    const CODES: [&str; 6] = [
        "invalid_grant",
        "invalid_client",
        "server_error",
        "temporarily_unavailable",
        "unauthorized_client",
        "slow_down",
    ];
    let endpoint = match TokenEndpoint::parse("https://as.example/token") {
        Ok(e) => e,
        Err(e) => panic!("fixed endpoint: {e}"),
    };
    let config = LifecycleConfig {
        default_lifetime: Duration::from_secs(700),
        ..LifecycleConfig::default()
    };
    let mut lc = TokenLifecycle::new(
        endpoint,
        ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s")),
        ClientCredentials::new(),
        config,
    );
    let mut json = HeaderMap::new();
    json.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let mut now: SystemTime = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut outstanding: Option<RequestId> = None;
    let mut expiry_of: Vec<(String, SystemTime)> = Vec::new();
    let mut credits: u64 = 1;
    let mut serial: u64 = 0;
    let (mut sends, mut readies) = (0u64, 0u64);
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        let arg = data.get(i + 1).copied().unwrap_or(0);
        i += 2;
        let mut answer: Option<(StatusCode, HeaderMap, Vec<u8>)> = None;
        let mut raw = false;
        match op % 8 {
            0 => {
                for _ in 0..=(arg % 4) {
                    match lc.poll(now) {
                        Poll::Send(id) => {
                            assert!(outstanding.is_none(), "two requests in flight");
                            assert!(credits > 0, "fetch not justified");
                            credits -= 1;
                            sends += 1;
                            let mut rng = |b: &mut [u8]| b.fill(arg);
                            if lc.request(id, &mut Context::new(now, &mut rng)).is_ok() {
                                outstanding = Some(id);
                            }
                        }
                        Poll::Ready(tok) => {
                            readies += 1;
                            let secret = tok.access_token().secret();
                            let real = expiry_of.iter().find(|(s, _)| s == secret).map(|(_, e)| *e);
                            assert!(real.is_some_and(|e| now < e), "expired token handed out");
                            assert!(now < tok.expires_at());
                        }
                        Poll::Wait { until } => assert!(until >= now, "wait deadline in the past"),
                        Poll::Failed(e) => assert!(e.needs_human()),
                    }
                }
            }
            1 => now += Duration::from_secs(u64::from(arg) * if op & 8 != 0 { 60 } else { 1 }),
            2 => {
                serial += 1;
                let name = format!("tok{serial}");
                let expires_in = u64::from(arg) * 30;
                let mut body = format!(r#"{{"access_token":"{name}","token_type":"Bearer""#);
                let life = if op & 16 != 0 {
                    Some(700)
                } else {
                    body += &format!(r#","expires_in":{expires_in}"#);
                    (expires_in > 0).then_some(expires_in)
                };
                if op & 8 != 0 {
                    body += &format!(r#","refresh_token":"rt{serial}""#);
                }
                body.push('}');
                if outstanding.is_some() {
                    if let Some(l) = life {
                        expiry_of.push((name, now + Duration::from_secs(l)));
                    }
                }
                answer = Some((StatusCode::OK, json.clone(), body.into_bytes()));
            }
            3 => {
                let mut h = json.clone();
                if op & 8 != 0 {
                    if let Ok(v) = HeaderValue::from_str(&arg.to_string()) {
                        h.insert(header::RETRY_AFTER, v);
                    }
                }
                answer = Some((StatusCode::SERVICE_UNAVAILABLE, h, b"{}".to_vec()));
            }
            4 => {
                let code = CODES[usize::from(arg) % CODES.len()];
                let body = format!(r#"{{"error":"{code}"}}"#).into_bytes();
                answer = Some((StatusCode::BAD_REQUEST, json.clone(), body));
            }
            5 => {
                // Raw bytes from the input as the response body (tokens from it are never
                // registered, so they must never be handed out unless they parse with an expiry
                // the check below records).
                let start = i.min(data.len());
                let len = usize::from(arg).min(data.len() - start);
                let body = data[start..start + len].to_vec();
                i = start + len;
                raw = true;
                answer = Some((StatusCode::OK, json.clone(), body));
            }
            6 => lc.handle_timeout(now),
            _ => {
                if op & 8 != 0 {
                    if lc.halted().is_some() {
                        credits += 1;
                    }
                    lc.resume();
                } else if let Some(tok) = lc.token().map(|t| t.access_token().clone()) {
                    if lc.invalidate(&tok) {
                        credits += 1;
                    }
                }
            }
        }
        if let Some((status, headers, body)) = answer {
            if let Some(id) = outstanding.take() {
                let handled = lc.handle_response(id, status, &headers, &body, now);
                // A raw body that parsed into a token: record its expiry from the machine's own
                // view (received now + expires_in, or the default lifetime), which must be ahead.
                if raw && handled == grantwire::lifecycle::Handled::Token {
                    if let Some(t) = lc.token() {
                        assert!(t.expires_at() > now);
                        expiry_of.push((t.access_token().secret().to_owned(), t.expires_at()));
                    }
                }
            }
        }
        while let Some(ev) = lc.poll_event() {
            match ev {
                Event::Failed { id, .. } => {
                    credits += 1;
                    if outstanding == Some(id) {
                        outstanding = None;
                    }
                }
                _ => credits += 1,
            }
        }
        if let Some((id, _)) = lc.in_flight() {
            assert_eq!(
                outstanding,
                Some(id),
                "machine and driver disagree on the flight"
            );
        }
        if let Some(next) = lc.poll_timeout() {
            assert!(next >= lc.now(), "deadline before the machine's clock");
        }
    }
    (sends, readies)
}
