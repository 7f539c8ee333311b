//! The README never lies: its examples are tests, its figures are the corpus's, and `.ci/run`
//! runs the commands it gives. (Its other Rust blocks run as doctests of this crate.)

use std::collections::BTreeMap;

use ssewire_conformance::Case;

const README: &str = include_str!("../../README.md");

#[test]
fn the_readme_runner_example_is_the_test_file_that_runs_it() {
    let file = include_str!("readme_runner.rs");
    let example = file.split_once('\n').unwrap().1;
    assert!(
        README.contains(example),
        "README and tests/readme_runner.rs differ"
    );
}

#[test]
fn the_readme_case_counts_are_the_corpus() {
    let mut areas: BTreeMap<String, usize> = BTreeMap::new();
    for case in Case::all() {
        *areas
            .entry(case.name.split('/').next().unwrap().to_owned())
            .or_default() += 1;
    }
    for (area, count) in &areas {
        let cell = format!("| `{area}/` | {count} |");
        assert!(README.contains(&cell), "README should say {cell}");
    }
    let total = Case::all().len();
    assert!(README.contains(&format!("| **total** | **{total}** |")));
    assert!(README.contains(&format!("{total} language-neutral cases")));
}

#[test]
fn ci_runs_the_readme_set_up_commands() {
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/run")).unwrap();
    let set_up = README.split("## Set-up on a fresh machine").nth(1).unwrap();
    let set_up = set_up.split("\n## ").next().unwrap();
    let commands: Vec<&str> = set_up
        .split("```sh\n")
        .skip(1)
        .map(|block| block.split("\n```").next().unwrap().trim())
        .collect();
    assert_eq!(commands.len(), 2, "the set-up is two commands");
    for command in commands {
        assert!(
            ci.lines().any(|line| line.trim() == command),
            ".ci/run must run `{command}`"
        );
    }
}
