//! Replays the committed seed corpus of the `testkit_token_endpoint` fuzz target on stable Rust,
//! with the target's own assertion: no panic, and only statuses the token endpoint can send.

use std::path::PathBuf;

use grantwire_testkit::harness::token_endpoint_input;

#[test]
fn testkit_token_endpoint_corpus() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/testkit_token_endpoint");
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display()));
    let mut ok = 0;
    let mut seen = std::collections::BTreeSet::new();
    for entry in entries {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let status = token_endpoint_input(&data);
        assert!(
            matches!(status.as_u16(), 200 | 400 | 401 | 405),
            "{}: unexpected status {status}",
            path.display()
        );
        if status == 200 {
            ok += 1;
        }
        seen.insert(status.as_u16());
    }
    // The seeds reach past client authentication into the grants, and into the failures.
    assert!(ok >= 7, "only {ok} seeds were accepted");
    assert!(
        seen.contains(&401) && seen.contains(&400) && seen.contains(&405),
        "{seen:?}"
    );
}
