//! Passes the workspace's version (which ssewire-parser and ssewire-encoder inherit) to the
//! wrappers, so reports name the version measured.
fn main() {
    let manifest = std::fs::read_to_string("../Cargo.toml").expect("the workspace manifest");
    let version = manifest
        .split("[workspace.package]")
        .nth(1)
        .and_then(|section| {
            section
                .lines()
                .find(|l| l.trim_start().starts_with("version"))
        })
        .and_then(|line| line.split('"').nth(1))
        .expect("a version in [workspace.package]");
    println!("cargo:rustc-env=SSEWIRE_VERSION={version}");
    println!("cargo:rerun-if-changed=../Cargo.toml");
}
