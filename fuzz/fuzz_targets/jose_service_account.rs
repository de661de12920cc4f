#![no_main]
//! Arbitrary bytes as a Google service-account key file.
use grantwire_jose::{BearerAssertion, ServiceAccountKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sa) = ServiceAccountKey::from_json(data) {
        let _ = sa.authorization_server();
        let _ = BearerAssertion::from_service_account(&sa);
    }
});
