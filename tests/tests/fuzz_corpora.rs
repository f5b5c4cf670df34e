//! Replays every committed fuzz corpus (`fuzz/corpus/<target>/`) through the same entry
//! points the cargo-fuzz targets call, so that stable CI exercises what the fuzzers found.

use std::fs;
use std::path::PathBuf;

fn replay(target: &str, entry: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "corpus {} is empty", dir.display());
    for path in &entries {
        let input = fs::read(path).expect("corpus file");
        entry(&input);
    }
}

macro_rules! corpus_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target), smtp_proto::fuzzing::$target);
            }
        )*

        /// A corpus directory (a new fuzz target) that no test above replays is an error.
        #[test]
        fn every_corpus_is_replayed() {
            let replayed = [$(stringify!($target)),*];
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
            for dir in fs::read_dir(&root).expect("fuzz/corpus") {
                let name = dir.expect("corpus dir").file_name();
                let name = name.to_string_lossy();
                assert!(replayed.contains(&name.as_ref()), "fuzz/corpus/{name} is not replayed");
            }
            let targets = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/fuzz_targets");
            for file in fs::read_dir(&targets).expect("fuzz/fuzz_targets") {
                let path = file.expect("target file").path();
                let stem = path.file_stem().expect("file name").to_string_lossy().into_owned();
                assert!(replayed.contains(&stem.as_str()), "fuzz target {stem} has no replayed corpus");
            }
        }
    };
}

corpus_tests!(
    reply,
    ehlo,
    syntax,
    esmtp,
    data_encoder,
    bdat,
    sasl,
    client,
    server
);
