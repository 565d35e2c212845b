//! Writes every target's seeds (made by the project's own encoders, see
//! `strata_fuzz_targets::seeds`) into `fuzz/corpus/<target>/seed-*`.
//!
//! `cargo run -p strata-fuzz-targets --example write_seeds`

use std::path::Path;

fn main() -> std::io::Result<()> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    for (target, name, bytes) in strata_fuzz_targets::seeds::all() {
        let dir = corpus.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(&name), &bytes)?;
        println!("{target}/{name}: {} bytes", bytes.len());
    }
    Ok(())
}
