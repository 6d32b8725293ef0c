//! The documents stay true: the table of finding codes in docs/FORMAT.md §8 lists exactly the
//! codes earwitness has, with the same severities.

use std::collections::BTreeMap;

#[test]
fn format_md_lists_exactly_the_finding_codes() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md"))
        .expect("docs/FORMAT.md");
    let start = text.find("\n## 8. Finding codes").expect("section 8");
    let end = start + text[start + 1..].find("\n## ").expect("a section after 8") + 1;
    let mut documented = BTreeMap::new();
    for line in text[start..end].lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || !cells[1].starts_with('`') {
            continue;
        }
        let code = cells[1].trim_matches('`').to_string();
        let previous = documented.insert(code.clone(), cells[2].to_string());
        assert!(previous.is_none(), "{code} is listed twice");
    }
    let known: BTreeMap<String, String> = earwitness::finding::code::ALL
        .iter()
        .map(|(c, s)| (c.to_string(), s.as_str().to_string()))
        .collect();
    assert_eq!(
        documented, known,
        "docs/FORMAT.md §8 and finding::code::ALL differ"
    );
}

#[test]
fn every_code_constant_is_in_the_list() {
    // Each `pub const X: &str = "a.b";` in src/finding.rs must appear in ALL.
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/finding.rs"))
        .expect("src/finding.rs");
    let all: Vec<&str> = earwitness::finding::code::ALL
        .iter()
        .map(|(c, _)| *c)
        .collect();
    let mut n = 0;
    for line in source.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("pub const ")
            && rest.contains(": &str = \"")
        {
            let value = rest.split('"').nth(1).expect("a string constant");
            assert!(all.contains(&value), "{value} is missing from code::ALL");
            n += 1;
        }
    }
    assert_eq!(n, all.len(), "code::ALL lists codes that are not constants");
}
