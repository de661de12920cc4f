#![no_main]
//! Arbitrary requests into the testkit's token endpoint (flag byte, header, body: see
//! `grantwire_testkit::harness::token_endpoint_input`) never panic and always answer a status
//! the endpoint can send.
use grantwire_testkit::harness::token_endpoint_input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let status = token_endpoint_input(data);
    assert!(
        matches!(status.as_u16(), 200 | 400 | 401 | 405),
        "unexpected status {status}"
    );
});
