//! No binary floating point anywhere in the product's code: money is `Decimal` end to end,
//! stored as scaled integers. A float type appearing in a source file fails this test (metrics
//! excepted: the Prometheus format is floats).

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
fn no_source_file_uses_f32_or_f64() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "api/src", "entity/src", "migration/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "found the sources");
    // Prometheus samples are floats by definition; no amount of money passes through there.
    let exempt = root.join("api/src/telemetry/metrics.rs");
    let offenders: Vec<String> = files
        .iter()
        .filter(|file| **file != exempt)
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            text.lines()
                .enumerate()
                .filter(|(_, line)| !line.trim_start().starts_with("//"))
                .filter(|(_, line)| {
                    line.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                        .any(|token| token == "f32" || token == "f64")
                })
                .map(|(n, line)| format!("{}:{}: {}", file.display(), n + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(offenders.is_empty(), "floats found:\n{}", offenders.join("\n"));
}
