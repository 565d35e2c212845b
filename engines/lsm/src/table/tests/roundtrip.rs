//! Random sorted entry sets through builder and reader.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Keys over a small alphabet so that neighbours share prefixes; values
/// sometimes repetitive (compressible), sometimes empty.
fn entries_strategy() -> impl Strategy<Value = Entries> {
    let key = proptest::collection::vec(
        prop_oneof![Just(b'a'), Just(b'b'), Just(b'c'), any::<u8>()],
        0..12,
    );
    let value = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        (any::<u8>(), 0..200usize).prop_map(|(b, n)| vec![b; n]),
    ];
    proptest::collection::btree_map(key, value, 0..150).prop_map(|m| m.into_iter().collect())
}

fn config_strategy() -> impl Strategy<Value = TableOptions> {
    (
        prop_oneof![1..300usize, Just(4096usize)],
        1..20usize,
        prop_oneof![Just(CompressionType::None), Just(CompressionType::Snappy)],
        prop_oneof![Just(0usize), Just(10usize), 1..4usize],
    )
        .prop_map(|(block, restart, compression, bloom)| {
            options(block, restart, compression, bloom)
        })
}

/// The first entry at or after `target`, by the model.
fn model_seek<'a>(
    model: &'a BTreeMap<Vec<u8>, Vec<u8>>,
    target: &[u8],
) -> Option<(&'a Vec<u8>, &'a Vec<u8>)> {
    model.range(target.to_vec()..).next()
}

fn check_table(entries: &Entries, opts: &TableOptions, cached: bool) -> Result<(), TestCaseError> {
    let env = MemEnv::new();
    let size = write_table(&env, "/p.ldb", opts, entries);
    let cache = cached.then(|| Arc::new(BlockCache::new(64 << 10)));
    let table = open_table(&env, "/p.ldb", opts, size, cache).expect("open");
    let model: BTreeMap<Vec<u8>, Vec<u8>> = entries.iter().cloned().collect();

    let mut it = table.iter(true, cached);
    let (fwd, status) = scan_forward(&mut *it);
    status.expect("forward scan");
    prop_assert_eq!(&fwd, entries);
    let (bwd, status) = scan_backward(&mut *it);
    status.expect("backward scan");
    prop_assert_eq!(&bwd, entries);

    // Seek to every key, just after it, and step both ways from there.
    let mut targets: Vec<Vec<u8>> = Vec::new();
    for (k, _) in entries {
        targets.push(k.clone());
        let mut after = k.clone();
        after.push(0);
        targets.push(after);
        if let Some((&last, prefix)) = k.split_last() {
            if last > 0 {
                let mut before = prefix.to_vec();
                before.push(last - 1);
                targets.push(before);
            }
        }
    }
    targets.push(Vec::new());
    targets.push(vec![0xff; 13]);
    for t in &targets {
        it.seek(t);
        match model_seek(&model, t) {
            Some((k, v)) => {
                prop_assert!(it.valid());
                prop_assert_eq!(it.key(), k.as_slice());
                prop_assert_eq!(it.value(), v.as_slice());
                let prev = model.range(..k.clone()).next_back();
                it.prev();
                match prev {
                    Some((pk, _)) => prop_assert_eq!(it.key(), pk.as_slice()),
                    None => prop_assert!(!it.valid()),
                }
                it.seek(t);
                let next = model.range(k.clone()..).nth(1);
                it.next();
                match next {
                    Some((nk, _)) => prop_assert_eq!(it.key(), nk.as_slice()),
                    None => prop_assert!(!it.valid()),
                }
            }
            None => prop_assert!(!it.valid()),
        }
        it.status().expect("seek");
    }

    // Point reads: present keys are always found; for others, anything
    // reported is the model's next entry.
    for t in &targets {
        let mut got = None;
        let read = table
            .internal_get(true, cached, t, &mut |k, v| {
                got = Some((k.to_vec(), v.to_vec()))
            })
            .expect("get");
        if let Some(v) = model.get(t) {
            prop_assert!(read, "filter hid a present key");
            prop_assert_eq!(got, Some((t.clone(), v.clone())));
        } else if let Some((k, v)) = got {
            prop_assert_eq!(model_seek(&model, t), Some((&k, &v)));
        }
    }

    // Approximate offsets grow with the key and stay inside the file.
    let mut last = 0;
    for (k, _) in entries {
        let off = table.approximate_offset_of(k);
        prop_assert!(off >= last && off <= size);
        last = off;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn builder_reader_round_trip(entries in entries_strategy(), opts in config_strategy(), cached in any::<bool>()) {
        check_table(&entries, &opts, cached)?;
    }
}

#[test]
fn every_compression_bloom_and_block_size_combination() {
    let entries: Entries = (0..400u32)
        .map(|i| {
            (
                format!("{:04}key{}", i * 3, i % 10).into_bytes(),
                vec![(i % 251) as u8; (i % 37) as usize],
            )
        })
        .collect();
    for compression in [CompressionType::None, CompressionType::Snappy] {
        for bloom in [0, 10] {
            for block in [1, 64, 4096] {
                for cached in [false, true] {
                    let opts = options(block, 16, compression, bloom);
                    check_table(&entries, &opts, cached).expect("round trip");
                }
            }
        }
    }
}
