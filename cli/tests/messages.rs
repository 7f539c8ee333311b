//! The command line as a new user meets it: every message for a wrong invocation, and
//! `--help` on every subcommand, as reviewed snapshots (`tests/snapshots/*.snap`).

use std::fmt::Write as _;
use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sse-conformance"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_usage_error_message() {
    let mut text = String::new();
    for args in [
        &["frobnicate"][..],
        &["adapter", "--chunk-size", "0"],
        &["adapter", "--chunk-size", "x"],
        &["adapter", "--bogus"],
        &["run", "--chunk-sizes", "1,0"],
        &["run", "--timeout", "-1"],
        &["run", "--timeout", "nan"],
        &["run", "--timeout", "1e30"],
        &["run", "--run", "no-such-area/"],
        &["list", "nosuch/"],
        &["show"],
        &["show", "no/such-case"],
        &["matrix"],
        &["serve", "--segmentations", "sideways"],
    ] {
        let out = run(args);
        let _ = writeln!(
            text,
            "sse-conformance {}: exit {:?}\n{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    for items in [
        "{\"data\":1}",
        "{\"comment\":\"c\",\"id\":\"1\"}",
        "not json",
        "{\"data\":\"x\",\"event\":\"a\\rb\"}",
    ] {
        let mut out = Vec::new();
        let err = sse_conformance::adapter::encode(items.as_bytes(), &mut out).unwrap_err();
        let _ = writeln!(text, "adapter --encode {items}: {err}");
    }
    insta::assert_snapshot!("usage-errors", text);
}

#[test]
fn every_subcommand_answers_help() {
    for subcommand in [
        "adapter", "run", "matrix", "serve", "list", "show", "protocol",
    ] {
        let out = run(&[subcommand, "--help"]);
        let help = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{subcommand}: {help}");
        assert!(
            help.contains("Usage: sse-conformance"),
            "{subcommand}: {help}"
        );
        insta::assert_snapshot!(format!("help-{subcommand}"), help);
    }
}

#[test]
fn protocol_prints_the_adapter_protocol() {
    let out = run(&["protocol"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        ssewire_conformance::PROTOCOL
    );
}
