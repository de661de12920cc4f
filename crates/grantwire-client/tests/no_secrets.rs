//! No token, refresh token or client secret reaches an event, an error or a `tracing` field.

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use grantwire::lifecycle::{LifecycleConfig, TransportError};
use grantwire_client::{SendResult, TransportFailure};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

const ACCESS: &str = "CANARY-ACCESS-9d2c";
const REFRESH: &str = "CANARY-REFRESH-41aa";

/// A subscriber that writes every span and event field it sees into one string.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Writer<'a>(&'a mut String);
impl Visit for Writer<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut out = self.0.lock().unwrap();
        let _ = write!(out, "\nspan {}", span.metadata().name());
        span.record(&mut Writer(&mut out));
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Writer(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut out = self.0.lock().unwrap();
        let _ = write!(out, "\nevent");
        event.record(&mut Writer(&mut out));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn events_errors_and_traces_carry_no_secret() {
    let capture = Capture::default();
    let log = Arc::clone(&capture.0);
    tracing::subscriber::with_default(capture, || {
        let source = source(LifecycleConfig {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            ..LifecycleConfig::default()
        });
        let events = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&events);
        source.on_event(move |e| {
            let _ = writeln!(sink.lock().unwrap(), "{e:?}");
        });
        let mut errors = String::new();
        // A transport failure whose source names the secret (a careless adapter).
        let refuse = |_r: grantwire::SecretRequest| -> SendResult {
            Err(TransportFailure::new(
                TransportError::Connect,
                Some(format!("refused {CLIENT_SECRET}").into()),
            ))
        };
        let e = source.token_blocking(&refuse).unwrap_err();
        let _ = write!(errors, "{e} {e:?}");
        std::thread::sleep(Duration::from_millis(5));
        let good = |_r: grantwire::SecretRequest| -> SendResult {
            let body = format!(
                r#"{{"access_token":"{ACCESS}","token_type":"Bearer","expires_in":1,"refresh_token":"{REFRESH}"}}"#
            );
            Ok(http::Response::new(body.into_bytes()))
        };
        let token = source.token_blocking(&good).unwrap();
        assert_eq!(
            token.access_token().secret(),
            ACCESS,
            "the canary went through"
        );
        assert!(source.invalidate(token.access_token()));
        // Refreshed with the refresh token, then the server refuses it.
        source.token_blocking(&good).unwrap();
        source.invalidate(token.access_token());
        let refused =
            |_r: grantwire::SecretRequest| -> SendResult { Ok(oauth_error(400, "invalid_client")) };
        let e = source.token_blocking(&refused).unwrap_err();
        let _ = write!(errors, "{e} {e:?}");
        let events = events.lock().unwrap().clone();
        assert!(
            events.contains("Obtained")
                && events.contains("Refreshed")
                && events.contains("Failed")
                && events.contains("Invalidated"),
            "{events}"
        );
        let traces = log.lock().unwrap().clone();
        assert!(traces.contains("access token obtained"), "{traces}");
        for (what, text) in [
            ("events", &events),
            ("errors", &errors),
            ("traces", &traces),
        ] {
            for canary in [ACCESS, REFRESH, CLIENT_SECRET] {
                assert!(!text.contains(canary), "{canary} in {what}: {text}");
            }
        }
    });
}
