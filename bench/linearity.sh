#!/bin/sh
# Counts the instructions the reply parser needs for the same input fed whole and one byte
# at a time (10 MiB), and for 1 MiB vs 10 MiB one byte at a time, with callgrind. The
# input-building baseline (mode `none`) is subtracted. Run from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cargo build --quiet --release --example linearity --manifest-path "$here/Cargo.toml"
bin="$here/target/release/examples/linearity"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

instructions() { # MIB MODE
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$1" "$2" 2>"$out/log" >/dev/null
    sed -n 's/^.*Collected : \([0-9]*\)$/\1/p' "$out/log"
}

base10=$(instructions 10 none)
whole10=$(( $(instructions 10 whole) - base10 ))
byte10=$(( $(instructions 10 byte) - base10 ))
base1=$(instructions 1 none)
byte1=$(( $(instructions 1 byte) - base1 ))
# Appending one byte at a time to the buffer costs the same with any parser: subtract it
# to see the parser's own work per byte.
feed10=$(( $(instructions 10 feed) - base10 ))
parser10=$(( byte10 - feed10 ))

echo "instructions (input building subtracted):"
echo "  10 MiB whole:           $whole10"
echo "  10 MiB byte at a time:  $byte10"
echo "   1 MiB byte at a time:  $byte1"
echo "  10 MiB byte at a time, parser only (buffer appends subtracted): $parser10"
awk -v w="$whole10" -v b="$byte10" -v s="$byte1" -v p="$parser10" 'BEGIN {
    printf "  byte-at-a-time / whole (10 MiB): %.2f (parser only: %.2f)\n", b / w, p / w
    printf "  10 MiB / 1 MiB (byte at a time): %.2f (linear: 10)\n", b / s
}'
