//! `db_bench`'s header (`PrintHeader` and `PrintWarnings`).

use crate::db_bench::config::Config;
use crate::db_bench::keys::KEY_BYTES;
use std::fmt::Write as _;

/// The lines `db_bench` prints on stdout before the first benchmark: key
/// and value sizes, entries, estimated raw and file sizes, warnings, and
/// the dashed rule. `snappy_enabled` false adds Snappy's warning, as
/// `db_bench` prints it when LevelDB is built without Snappy.
pub fn header(config: &Config, snappy_enabled: bool) -> String {
    let key = KEY_BYTES as f64;
    let value = config.value_size as f64;
    let num = f64::from(config.num);
    let mut out = String::new();
    let _ = writeln!(out, "Keys:       {KEY_BYTES} bytes each");
    let _ = writeln!(
        out,
        "Values:     {} bytes each ({} bytes after compression)",
        config.value_size,
        // static_cast<int>(x + 0.5): round half up for non-negative x.
        (value * config.compression_ratio + 0.5) as i64
    );
    let _ = writeln!(out, "Entries:    {}", config.num);
    let _ = writeln!(
        out,
        "RawSize:    {:.1} MB (estimated)",
        (key + value) * num / 1_048_576.0
    );
    let _ = writeln!(
        out,
        "FileSize:   {:.1} MB (estimated)",
        (key + value * config.compression_ratio) * num / 1_048_576.0
    );
    for warning in warnings(snappy_enabled) {
        let _ = writeln!(out, "{warning}");
    }
    out.push_str("------------------------------------------------\n");
    out
}

/// `PrintWarnings`: an unoptimised build (here: debug assertions on, which
/// in Cargo's profiles goes with opt-level 0) and a missing compressor.
pub fn warnings(snappy_enabled: bool) -> Vec<&'static str> {
    let mut lines = Vec::new();
    if cfg!(debug_assertions) {
        lines.push("WARNING: Optimization is disabled: benchmarks unnecessarily slow");
        lines.push("WARNING: Assertions are enabled; benchmarks unnecessarily slow");
    }
    if !snappy_enabled {
        lines.push("WARNING: Snappy compression is not enabled");
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_header_matches_published_sizes() {
        let text = header(&Config::default(), true);
        assert!(text.starts_with("Keys:       16 bytes each\n"));
        assert!(text.contains("Values:     100 bytes each (50 bytes after compression)\n"));
        assert!(text.contains("Entries:    1000000\n"));
        assert!(text.contains("RawSize:    110.6 MB (estimated)\n"));
        assert!(text.contains("FileSize:   62.9 MB (estimated)\n"));
        assert!(!text.contains("Snappy"));
        assert!(text.ends_with("------------------------------------------------\n"));
        assert!(header(&Config::default(), false)
            .contains("WARNING: Snappy compression is not enabled\n"));
    }
}
