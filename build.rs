//! Finds the report's translations: every `src/report/lang/*.json` is built in, so a new language
//! is a new file and nothing else.

use std::fmt::Write as _;

fn main() {
    let dir = "src/report/lang";
    println!("cargo:rerun-if-changed={dir}");
    let mut codes: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_suffix(".json").map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    codes.sort();
    let mut out = String::from("/// Every built-in translation: (language code, JSON text).\n");
    out.push_str("pub(crate) const LANGS: &[(&str, &str)] = &[\n");
    for code in &codes {
        let _ = writeln!(
            out,
            "    ({code:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{dir}/{code}.json\"))),"
        );
    }
    out.push_str("];\n");
    let target =
        std::path::Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("langs.rs");
    if let Err(e) = std::fs::write(&target, out) {
        panic!("cannot write {}: {e}", target.display());
    }
}
