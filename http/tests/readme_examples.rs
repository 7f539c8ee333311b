//! The README's client excerpts are the examples' code: each lies between `// README: begin`
//! and `// README: end` in its example, and must appear in the README as is (dedented).

const README: &str = include_str!("../../README.md");

/// The marked part of `example`, without the function body's indent.
fn excerpt(example: &str) -> String {
    let start = example.find("// README: begin\n").expect("no begin marker");
    let rest = &example[start + "// README: begin\n".len()..];
    let end = rest.find("    // README: end").expect("no end marker");
    rest[..end]
        .lines()
        .map(|line| line.strip_prefix("    ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_readme_shows_the_examples_client_code_as_it_is() {
    for (name, example) in [
        ("post_stream", include_str!("../examples/post_stream.rs")),
        ("https_stream", include_str!("../examples/https_stream.rs")),
    ] {
        let code = excerpt(example);
        assert!(
            README.contains(&format!("```rust,ignore\n{code}\n```")),
            "README and examples/{name}.rs differ:\n{code}"
        );
        let command = format!("cargo run -p ssewire-http --example {name}");
        assert!(README.contains(&command), "README should say `{command}`");
    }
}
