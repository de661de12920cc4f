//! The middleware and the layer pass the same 401 test as the token client: through a real
//! reqwest client (`reqwest_middleware::ClientWithMiddleware`) and a real hyper client
//! (hyper-util's legacy client under `tower::ServiceBuilder`).
#![cfg(all(feature = "middleware", feature = "tower"))]

mod common;

use bytes::Bytes;
use grantwire::RevocationRequest;
use grantwire_reqwest::{AuthLayer, GrantwireMiddleware, TokenClient};
use grantwire_testkit::{EndpointKind, LoopbackServer};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use tower::{Service, ServiceBuilder, ServiceExt};

/// A token client whose current token the server has just revoked, with counters reset.
async fn revoked(lo: &LoopbackServer) -> (TokenClient, String) {
    let tokens = TokenClient::builder(common::client(lo)).build().unwrap();
    let old = tokens.token().await.unwrap();
    let _ = tokens
        .revoke(RevocationRequest::access_token(old.access_token()))
        .await
        .unwrap();
    lo.lock().reset_counters();
    (tokens, old.access_token().secret().to_owned())
}

fn assert_one_refresh_one_retry(lo: &LoopbackServer) {
    let counters = lo.lock().counters().clone();
    assert_eq!(counters.endpoint(EndpointKind::Token), 1, "{counters:?}");
    assert_eq!(counters.endpoint(EndpointKind::Resource), 2, "{counters:?}");
}

#[tokio::test]
async fn the_middleware_refreshes_and_retries_once_after_invalid_token() {
    let lo = common::server();
    let (tokens, old) = revoked(&lo).await;
    let api = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(GrantwireMiddleware::new(tokens.clone()))
        .build();
    let response = api
        .post(format!("{}/resource", lo.issuer()))
        .body("replayable")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_one_refresh_one_retry(&lo);
    assert_ne!(tokens.token().await.unwrap().access_token().secret(), old);

    // With a fresh token: one call, no refresh.
    lo.lock().reset_counters();
    let response = api
        .get(format!("{}/resource", lo.issuer()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Resource), 1);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 0);
}

#[tokio::test]
async fn the_middleware_does_not_replay_a_stream_body() {
    let lo = common::server();
    let (tokens, _) = revoked(&lo).await;
    let api = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(GrantwireMiddleware::new(tokens))
        .build();
    let body = reqwest::Body::wrap(Full::new(Bytes::from_static(b"stream")));
    let response = api
        .post(format!("{}/resource", lo.issuer()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Resource), 1);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 0);
}

#[tokio::test]
async fn the_layer_refreshes_and_retries_once_after_invalid_token() {
    let lo = common::server();
    let (tokens, old) = revoked(&lo).await;
    let hyper = HyperClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut service = ServiceBuilder::new()
        .layer(AuthLayer::new(tokens.clone()))
        .service(hyper);
    let request = http::Request::post(format!("{}/resource", lo.issuer()))
        .body(Full::new(Bytes::from_static(b"replayable")))
        .unwrap();
    let response = service.ready().await.unwrap().call(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["client_id"], common::CLIENT_ID);
    assert_one_refresh_one_retry(&lo);
    assert_ne!(tokens.token().await.unwrap().access_token().secret(), old);
}

#[tokio::test]
async fn the_layer_marks_the_header_sensitive() {
    // An inner service that only records what it was given.
    let lo = common::server();
    let tokens = TokenClient::builder(common::client(&lo)).build().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let record = std::sync::Arc::clone(&seen);
    let inner = tower::service_fn(move |request: http::Request<String>| {
        let record = std::sync::Arc::clone(&record);
        async move {
            *record.lock().unwrap() = request.headers().get(http::header::AUTHORIZATION).cloned();
            Ok::<_, std::convert::Infallible>(http::Response::new(()))
        }
    });
    let mut service = ServiceBuilder::new()
        .layer(AuthLayer::new(tokens.clone()))
        .service(inner);
    let request = http::Request::get("http://127.0.0.1/")
        .body(String::new())
        .unwrap();
    service.ready().await.unwrap().call(request).await.unwrap();
    let value = seen.lock().unwrap().clone().unwrap();
    assert!(value.is_sensitive());
    let token = tokens.token().await.unwrap();
    assert_eq!(value, format!("Bearer {}", token.access_token().secret()));
}
