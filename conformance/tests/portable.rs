//! The library builds wherever Rust does: no Unix-only API in its sources (these machines have
//! no other target installed, so this reads the sources instead of cross-compiling), and no
//! runtime among its dependencies (`.ci/run` checks `cargo tree` for tokio and hyper too).

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_library_uses_no_platform_specific_api() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("build.rs"));
    assert!(files.len() >= 8, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for needle in [
            "std::os::",
            "libc::",
            "cfg(unix)",
            "cfg(windows)",
            "target_os",
        ] {
            assert!(
                !text.contains(needle),
                "{} uses {needle}: the conformance library must build on every platform",
                file.display()
            );
        }
    }
}

#[test]
fn the_library_depends_on_no_runtime() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    for runtime in ["tokio", "hyper", "ssewire-http", "futures"] {
        assert!(
            !manifest.contains(runtime),
            "Cargo.toml names {runtime}: the library is for any crate's dev-dependencies"
        );
    }
}
