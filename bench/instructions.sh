#!/bin/sh
# Instructions per parse, this crate vs Stalwart's smtp-proto 0.2, counted with callgrind
# (deterministic, unlike wall-clock time on a shared machine). Run from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cargo build --quiet --release --example instructions --manifest-path "$here/Cargo.toml"
bin="$here/target/release/examples/instructions"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=${N:-20000}

count() { # CASE SIDE
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$1" "$2" "$n" 2>"$out/log" >/dev/null
    sed -n 's/^.*Collected : \([0-9]*\)$/\1/p' "$out/log"
}

printf '%-20s %12s %12s %8s\n' case ours stalwart speedup
for case in one_line ehlo_12_lines multiline_64_lines; do
    base=$(count "$case" none)
    ours=$(( ($(count "$case" ours) - base) / n ))
    theirs=$(( ($(count "$case" stalwart) - base) / n ))
    awk -v c="$case" -v o="$ours" -v t="$theirs" 'BEGIN { printf "%-20s %12d %12d %7.2fx\n", c, o, t, t / o }'
done
