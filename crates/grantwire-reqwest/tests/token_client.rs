//! The token client against the testkit's loopback server: single flight, `Retry-After`,
//! recovery after a refused connection, the one 401 retry, `invalid_client`, the body cap and
//! redirects, introspection, revocation and discovery.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use grantwire::lifecycle::TransportError;
use grantwire::{
    Client, IntrospectionRequest, Issuer, LifecycleConfig, RevocationOutcome, RevocationRequest,
};
use grantwire_reqwest::{BodyTooLarge, Error, TokenClient, TokenError};
use grantwire_testkit::{AuthServer, EndpointKind, Fault, LoopbackServer, ServerConfig};

fn config() -> LifecycleConfig {
    LifecycleConfig {
        initial_backoff: Duration::from_millis(200),
        ..LifecycleConfig::default()
    }
}

fn token_client(client: Client) -> TokenClient {
    TokenClient::builder(client)
        .config(config())
        .build()
        .unwrap()
}

fn token_requests(lo: &LoopbackServer) -> u64 {
    lo.lock().counters().endpoint(EndpointKind::Token)
}

fn unavailable(result: Result<impl std::fmt::Debug, Error>) -> TokenError {
    match result {
        Err(Error::Token(e @ TokenError::Unavailable { .. })) => e,
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

async fn sleep_until(at: Instant) {
    tokio::time::sleep_until(at.into()).await;
}

async fn thousand_callers(tokens: &TokenClient) -> Vec<String> {
    let barrier = Arc::new(tokio::sync::Barrier::new(1000));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let tokens = tokens.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                let token = tokens.token().await.unwrap();
                token.access_token().secret().to_owned()
            })
        })
        .collect();
    let mut out = Vec::with_capacity(1000);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_at_expiry_cause_one_token_request() {
    let lo = common::server_with(Duration::from_secs(3));
    let tokens = token_client(common::client(&lo));

    // No token yet: one request for all.
    let first = thousand_callers(&tokens).await;
    assert_eq!(token_requests(&lo), 1);
    assert!(first.iter().all(|t| t == &first[0]));

    // At expiry: one request again, and every caller gets the new token.
    let due = tokens.token().await.unwrap().valid_until();
    sleep_until(due + Duration::from_millis(50)).await;
    let second = thousand_callers(&tokens).await;
    assert_eq!(token_requests(&lo), 2);
    assert!(second.iter().all(|t| t == &second[0]));
    assert_ne!(first[0], second[0]);
}

#[tokio::test]
async fn a_503_with_retry_after_is_honoured() {
    let lo = common::server();
    lo.lock().inject(
        EndpointKind::Token,
        Fault::ServiceUnavailable {
            retry_after: Some(Duration::from_secs(2)),
        },
    );
    let tokens = token_client(common::client(&lo));
    let before = Instant::now();
    let err = unavailable(tokens.token().await);
    let retry_at = err.retry_at().unwrap();
    assert!(
        retry_at >= before + Duration::from_secs(2),
        "retry in {:?}",
        retry_at - before
    );
    // Nothing is sent before the server's time.
    unavailable(tokens.token().await);
    sleep_until(retry_at - Duration::from_millis(300)).await;
    unavailable(tokens.token().await);
    assert_eq!(token_requests(&lo), 1);
    sleep_until(retry_at).await;
    tokens.token().await.unwrap();
    assert_eq!(token_requests(&lo), 2);
}

#[tokio::test]
async fn a_refused_connection_backs_off_and_recovers_when_the_server_returns() {
    // A port nothing listens on (bound, then released), and the server as it will be there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = ServerConfig::new("https://placeholder.example").unwrap();
    let mut planned = AuthServer::new(config.clone(), common::registry());
    planned
        .set_issuer(&format!("http://127.0.0.1:{port}"))
        .unwrap();
    let client = Client::new(
        planned.authorization_server().unwrap(),
        grantwire::ClientSecretPost::new(
            grantwire::ClientId::new(common::CLIENT_ID),
            grantwire::ClientSecret::new(common::SECRET),
        ),
    )
    .unwrap();
    let tokens = token_client(client);

    let err = unavailable(tokens.token().await);
    assert_eq!(
        err.transport().map(|t| t.kind()),
        Some(TransportError::Connect)
    );
    let retry_at = err.retry_at().unwrap();
    // During the backoff nothing is tried, even once the server is back.
    let lo =
        LoopbackServer::start_on_port(AuthServer::new(config, common::registry()), port).unwrap();
    if Instant::now() < retry_at {
        unavailable(tokens.token().await);
        assert_eq!(token_requests(&lo), 0);
    }
    sleep_until(retry_at).await;
    tokens.token().await.unwrap();
    assert_eq!(token_requests(&lo), 1);
}

#[tokio::test]
async fn a_401_invalid_token_causes_one_refresh_and_one_retry() {
    let lo = common::server();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let tokens = TokenClient::builder(common::client(&lo))
        .config(config())
        .on_event(move |e| sink.lock().unwrap().push(format!("{e:?}")))
        .build()
        .unwrap();
    let resource = format!("{}/resource", lo.issuer());
    let http = reqwest::Client::new();

    let ok = tokens
        .send(http.get(&resource).build().unwrap())
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // The server forgets the token (revoked): the next call is refused once, then succeeds.
    let old = tokens.token().await.unwrap();
    let revoked = tokens
        .revoke(RevocationRequest::access_token(old.access_token()))
        .await
        .unwrap();
    assert_eq!(revoked, RevocationOutcome::Revoked);
    lo.lock().reset_counters();

    let ok = tokens
        .send(http.get(&resource).build().unwrap())
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(token_requests(&lo), 1);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Resource), 2);
    assert_ne!(
        tokens.token().await.unwrap().access_token(),
        old.access_token()
    );
    assert!(events.lock().unwrap().iter().any(|e| e == "Invalidated"));
    for e in events.lock().unwrap().iter() {
        assert!(!e.contains(old.access_token().secret()), "{e}");
    }

    // Refused every time: retried exactly once, then the 401 is returned.
    let current = tokens.token().await.unwrap();
    let _ = tokens
        .revoke(RevocationRequest::access_token(current.access_token()))
        .await
        .unwrap();
    lo.lock().reset_counters();
    lo.lock().inject(
        EndpointKind::Resource,
        Fault::Status(http::StatusCode::UNAUTHORIZED),
    );
    let refused = tokens
        .send(http.get(&resource).build().unwrap())
        .await
        .unwrap();
    // The injected 401 has no challenge: not an invalid_token refusal, not retried.
    assert_eq!(refused.status(), 401);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Resource), 1);
    assert_eq!(token_requests(&lo), 0);
}

#[tokio::test]
async fn a_request_whose_body_cannot_be_replayed_is_not_retried() {
    let lo = common::server();
    let tokens = token_client(common::client(&lo));
    let old = tokens.token().await.unwrap();
    let _ = tokens
        .revoke(RevocationRequest::access_token(old.access_token()))
        .await
        .unwrap();
    lo.lock().reset_counters();
    let mut request = reqwest::Client::new()
        .post(format!("{}/resource", lo.issuer()))
        .build()
        .unwrap();
    *request.body_mut() = Some(reqwest::Body::wrap(http_body_util::Full::new(
        bytes::Bytes::from_static(b"stream"),
    )));
    assert!(request.try_clone().is_none());
    let response = tokens.send(request).await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Resource), 1);
    assert_eq!(token_requests(&lo), 0);
}

#[tokio::test]
async fn invalid_client_is_never_retried() {
    let lo = common::server();
    let tokens = token_client(common::client_with(&lo, "wrong", "not-the-secret"));
    for _ in 0..3 {
        match tokens.token().await {
            Err(Error::Token(e)) => {
                assert!(e.needs_human(), "{e:?}");
                assert_eq!(
                    e.fetch_error().code().map(|c| c.as_str()),
                    Some("invalid_client")
                );
            }
            other => panic!("{other:?}"),
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // past any backoff
    assert!(tokens.token().await.is_err());
    assert_eq!(token_requests(&lo), 1);
}

#[tokio::test]
async fn a_ten_mib_token_response_and_a_redirect_are_refused() {
    let lo = common::server();
    let elsewhere = common::server();
    let tokens = token_client(common::client(&lo));
    lo.lock()
        .inject(EndpointKind::Token, Fault::Oversized(10 * 1024 * 1024));
    let err = unavailable(tokens.token().await);
    assert!(
        err.transport().and_then(BodyTooLarge::find).is_some(),
        "{err:?}"
    );

    sleep_until(err.retry_at().unwrap()).await;
    lo.lock().inject(
        EndpointKind::Token,
        Fault::Redirect(elsewhere.token_endpoint()),
    );
    let err = unavailable(tokens.token().await);
    assert!(err.transport().is_none(), "{err:?}");
    assert_eq!(elsewhere.lock().counters().total(), 0);

    sleep_until(err.retry_at().unwrap()).await;
    tokens.token().await.unwrap();
    assert_eq!(token_requests(&lo), 3);
}

#[tokio::test]
async fn introspects_revokes_and_discovers() {
    let lo = common::server();
    let tokens = token_client(common::client(&lo));
    let token = tokens.token().await.unwrap();
    let active = tokens
        .introspect(IntrospectionRequest::access_token(token.access_token()))
        .await
        .unwrap();
    assert!(active.is_active());
    assert_eq!(
        tokens
            .revoke(RevocationRequest::access_token(token.access_token()))
            .await
            .unwrap(),
        RevocationOutcome::Revoked
    );
    let inactive = tokens
        .introspect(IntrospectionRequest::access_token(token.access_token()))
        .await
        .unwrap();
    assert!(!inactive.is_active());

    let metadata = tokens
        .discover(Issuer::parse(&lo.issuer()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        metadata.token_endpoint().map(|e| e.as_str().to_owned()),
        Some(lo.token_endpoint())
    );
}

#[test]
fn the_client_is_send_sync_clone_and_has_no_type_parameters() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<TokenClient>();
}
