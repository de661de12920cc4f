// Shared by the `lifecycle` fuzz target (fuzz/fuzz_targets/lifecycle.rs) and the stable corpus
// replay (tests/fuzz_corpus_introspection_metadata_lifecycle.rs), through `include!`: arbitrary bytes become a schedule of
// callers, answers, transport failures, clock jumps (forwards and backwards, monotonic and wall
// clock) and wrong readings, and every invariant of the token lifecycle is checked with a
// panic, which the fuzzer reports.

/// Runs the schedule encoded in `data` and panics if an invariant breaks: a token handed out at
/// an instant its lifetime or more away from the instant it was received, two requests in
/// flight, a wait for a request that is not in flight, a deadline in the past, a request or
/// token without a deadline, or a fetch not justified by an expiry, a failure, an invalidation
/// or a resume. Returns how many requests were sent and how many tokens were handed out.
///
/// Ops (two bytes: op, arg): `op % 8` picks 0 poll (bit 16: at a wrong instant months away,
/// bit 32 backwards), 1 move the instant (bit 8: minutes, bit 16: backwards), 2 token answer,
/// 3 503 answer (bit 16: a transport failure instead), 4 OAuth error, 5 raw body, 6 timeout,
/// 7 resume (bit 8) or invalidate (bit 16: step the wall clock instead, bit 32 backwards).
pub fn drive_lifecycle(data: &[u8]) -> (u64, u64) {
    use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
    use grantwire::lifecycle::{
        Event, LifecycleConfig, Next, RequestId, TokenLifecycle, TransportError, WaitFor,
    };
    use grantwire::{
        AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic,
        Context, Endpoint,
    };
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    const CODES: [&str; 6] = [
        "invalid_grant",
        "invalid_client",
        "server_error",
        "temporarily_unavailable",
        "unauthorized_client",
        "slow_down",
    ];
    const TRANSPORT: [TransportError; 4] = [
        TransportError::Connect,
        TransportError::Send,
        TransportError::Receive,
        TransportError::TimedOut,
    ];
    fn apart(a: Instant, b: Instant) -> Duration {
        if a >= b {
            a - b
        } else {
            b - a
        }
    }
    let endpoint = match Endpoint::parse("https://as.example/token") {
        Ok(e) => AuthorizationServer::new(e),
        Err(e) => panic!("fixed endpoint: {e}"),
    };
    let config = LifecycleConfig {
        default_lifetime: Duration::from_secs(700),
        ..LifecycleConfig::default()
    };
    let mut lc = TokenLifecycle::new(match Client::new(endpoint, ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s"))) {
        Ok(c) => c,
        Err(e) => panic!("fixed client: {e}"),
    }, ClientCredentials::new(), config);
    let mut json = HeaderMap::new();
    json.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Far from the boot-time origin of `Instant`, so schedules can step back for years.
    let origin = Instant::now() + Duration::from_secs(100 * 365 * 86_400);
    let mut now = origin;
    let mut wall: SystemTime = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut outstanding: Option<RequestId> = None;
    // Every token the server issued: name, the instant it was fed in, its lifetime.
    let mut issued: Vec<(String, Instant, Duration)> = Vec::new();
    let mut credits: u64 = 1;
    let mut serial: u64 = 0;
    let (mut sends, mut readies) = (0u64, 0u64);
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        let arg = data.get(i + 1).copied().unwrap_or(0);
        i += 2;
        let mut answer: Option<(StatusCode, HeaderMap, Vec<u8>)> = None;
        let mut transport: Option<TransportError> = None;
        let mut raw = false;
        match op % 8 {
            0 => {
                let skew = Duration::from_secs(u64::from(arg) * 30 * 86_400);
                let at = match (op & 16 != 0, op & 32 != 0) {
                    (false, _) => now,
                    (true, false) => now + skew,
                    (true, true) => now.checked_sub(skew).unwrap_or(now),
                };
                for _ in 0..=(arg % 4) {
                    match lc.poll(at) {
                        Next::Send(id) => {
                            assert!(outstanding.is_none(), "two requests in flight");
                            assert!(credits > 0, "fetch not justified");
                            credits -= 1;
                            sends += 1;
                            let mut rng = |b: &mut [u8]| b.fill(arg);
                            if lc.request(id, &mut Context::new(wall, &mut rng)).is_ok() {
                                outstanding = Some(id);
                            }
                        }
                        Next::Ready(tok) => {
                            readies += 1;
                            let secret = tok.access_token().secret();
                            let issue = issued.iter().find(|(s, _, _)| s == secret);
                            let fresh = issue.is_some_and(|(_, r, l)| apart(at, *r) < *l);
                            assert!(fresh, "token handed out at or past its lifetime");
                            assert!(tok.is_valid(at));
                        }
                        Next::Wait { until, reason } => {
                            assert!(until >= at, "wait deadline in the past");
                            if let WaitFor::Response(id) = reason {
                                let flight = lc.in_flight().map(|(f, _)| f);
                                assert_eq!(flight, Some(id), "waits for a request not in flight");
                            }
                        }
                        Next::Failed(e) => assert!(e.needs_human()),
                    }
                }
            }
            1 => {
                let step =
                    Duration::from_secs(u64::from(arg) * if op & 8 != 0 { 60 } else { 1 });
                now = if op & 16 != 0 {
                    now.checked_sub(step).unwrap_or(now)
                } else {
                    now + step
                };
            }
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
                        issued.push((name, now, Duration::from_secs(l)));
                    }
                }
                answer = Some((StatusCode::OK, json.clone(), body.into_bytes()));
            }
            3 if op & 16 != 0 => transport = Some(TRANSPORT[usize::from(arg) % TRANSPORT.len()]),
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
            _ if op & 16 != 0 => {
                // The wall clock steps (NTP): it may only change what is reported.
                let step = Duration::from_secs(u64::from(arg) * 86_400);
                wall = if op & 32 != 0 {
                    wall.checked_sub(step).unwrap_or(wall)
                } else {
                    wall + step
                };
            }
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
        if let Some(error) = transport {
            if let Some(id) = outstanding.take() {
                let handled = lc.handle_transport_error(id, error, now);
                assert_eq!(handled, grantwire::lifecycle::Handled::Failed);
            }
        }
        if let Some((status, headers, body)) = answer {
            if let Some(id) = outstanding.take() {
                let handled = lc.handle_response(id, status, &headers, &body, now);
                // A raw body that parsed into a token: record it from the machine's own view
                // (received now, expires_in or the default lifetime).
                if raw && handled == grantwire::lifecycle::Handled::Token {
                    if let Some(t) = lc.token() {
                        assert_eq!(t.received(), now);
                        issued.push((t.access_token().secret().to_owned(), now, t.lifetime()));
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
        if lc.in_flight().is_some() || lc.token().is_some() {
            assert!(lc.poll_timeout().is_some(), "no deadline scheduled");
        }
    }
    (sends, readies)
}
