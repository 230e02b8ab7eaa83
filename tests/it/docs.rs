//! The results tables in the README and docs/results.md are what `vae-lab report` prints from
//! the shipped metrics files: a retrained model or an edited table fails here until the two agree.

use crate::common;

use vae_lab::train::report::markdown_table;

const BEGIN: &str = "<!-- results table:";
const END: &str = "<!-- end of the results table -->";

/// The table between the markers of `doc` (relative to the repository).
fn table_in(doc: &str) -> String {
    let text = std::fs::read_to_string(common::root().join(doc)).unwrap_or_else(|e| panic!("{doc}: {e}"));
    let start = text.find(BEGIN).unwrap_or_else(|| panic!("{doc} has no results table marker"));
    let body = &text[start..];
    let body = &body[body.find('\n').expect("a line after the marker") + 1..];
    body[..body.find(END).unwrap_or_else(|| panic!("{doc}: the results table has no end marker"))].to_string()
}

#[test]
fn the_results_tables_are_what_report_prints() {
    let printed = markdown_table(&common::root().join("www/models")).expect("the shipped metrics read");
    assert!(printed.lines().count() >= 2 + 5, "a row per study variant at least:\n{printed}");
    for doc in ["README.md", "docs/results.md"] {
        assert_eq!(table_in(doc), printed, "{doc}'s table differs from `cargo run --release -- report`; paste its output");
    }
}
