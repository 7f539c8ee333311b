//! Embeds every `cases/**/*.json` file in the library, so the corpus travels with the crate.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("cases");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    let mut named: Vec<(String, &PathBuf)> = files
        .iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .unwrap()
                .with_extension("")
                .to_str()
                .expect("case paths are UTF-8")
                .replace('\\', "/");
            (name, path)
        })
        .collect();
    // Sorted by case name, which is how reports list them.
    named.sort();
    let mut table = String::from("&[\n");
    for (name, path) in named {
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            table,
            "    ({name:?}, include_bytes!({:?})),",
            path.display()
        )
        .unwrap();
    }
    table.push(']');
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("case_files.rs");
    fs::write(out, table).unwrap();
}
