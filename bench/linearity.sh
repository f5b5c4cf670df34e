#!/bin/sh
# Counts the instructions the reply parser needs for the same input fed whole and one byte
# at a time (10 MiB), and for 1 MiB vs 10 MiB one byte at a time, with callgrind; then the
# same comparison for Stalwart's smtp-proto 0.2 parser on replies it accepts (under 4 KiB).
# The input building (mode `none`) is subtracted from every count; "parser only" also
# subtracts putting the bytes into the read buffer (`copy` whole, `feed` byte by byte).
# Run from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cargo build --quiet --release --example linearity --manifest-path "$here/Cargo.toml"
bin="$here/target/release/examples/linearity"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

instructions() { # MIB MODE [LINES]
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$@" 2>"$out/log" >/dev/null
    sed -n 's/^.*Collected : \([0-9]*\)$/\1/p' "$out/log"
}
bytes() { # MIB LINES: the input's length
    "$bin" "$1" whole "$2" 2>&1 | sed -n 's/^whole: \([0-9]*\) bytes.*$/\1/p'
}

base10=$(instructions 10 none)
whole10=$(( $(instructions 10 whole) - base10 ))
byte10=$(( $(instructions 10 byte) - base10 ))
copy10=$(( $(instructions 10 copy) - base10 ))
feed10=$(( $(instructions 10 feed) - base10 ))
base1=$(instructions 1 none)
byte1=$(( $(instructions 1 byte) - base1 ))
n10=$(bytes 10 100)

echo "10 MiB of 101-line replies ($n10 bytes), instructions (input building subtracted):"
awk -v n="$n10" -v w="$whole10" -v b="$byte10" -v c="$copy10" -v f="$feed10" -v s="$byte1" 'BEGIN {
    printf "  whole:                 %12d (%.2f per byte)\n", w, w / n
    printf "  byte at a time:        %12d (%.2f per byte)\n", b, b / n
    printf "  whole, parser only:    %12d (%.2f per byte)\n", w - c, (w - c) / n
    printf "  byte, parser only:     %12d (%.2f per byte)\n", b - f, (b - f) / n
    printf "  byte at a time / whole: %.2fx (parser only: %.2fx)\n", b / w, (b - f) / (w - c)
    printf "  10 MiB / 1 MiB (byte at a time): %.2f (linear: 10)\n", b / s
}'

# The ratio depends on the line length: the per-line work is the same both ways, the
# per-call cost is per byte. Real servers' lines (the EHLO corpus), then 38 to 498 bytes.
echo "10 MiB by continuation line length, parser only, instructions per byte:"
printf '  %-26s %8s %8s %8s\n' "" whole byte ratio
for shape in "$here/../smtp-proto/tests/data/ehlo" "100 0" "100 20" "100 60" "100 460"; do
    # shellcheck disable=SC2086 # two arguments, or a path without spaces
    n=$("$bin" 10 whole $shape 2>&1 | sed -n 's/^whole: \([0-9]*\) bytes.*$/\1/p')
    # shellcheck disable=SC2086
    w=$(( $(instructions 10 whole $shape) - $(instructions 10 copy $shape) ))
    # shellcheck disable=SC2086
    b=$(( $(instructions 10 byte $shape) - $(instructions 10 feed $shape) ))
    case $shape in
    */*) label="EHLO corpus (mean 20 bytes)" ;;
    *) label="$(( 38 + ${shape#* } ))-byte lines" ;;
    esac
    awk -v l="$label" -v n="$n" -v w="$w" -v b="$b" \
        'BEGIN { printf "  %-26s %8.2f %8.2f %7.2fx\n", l, w / n, b / n, b / w }'
done

# Stalwart's receiver keeps its own state and reads from a slice: no buffer to fill.
base=$(instructions 10 none 39)
n=$(bytes 10 39)
ours_whole=$(( $(instructions 10 whole 39) - $(instructions 10 copy 39) ))
ours_byte=$(( $(instructions 10 byte 39) - $(instructions 10 feed 39) ))
theirs_whole=$(( $(instructions 10 stalwart-whole 39) - base ))
theirs_byte=$(( $(instructions 10 stalwart-byte 39) - base ))
echo "10 MiB of 40-line replies ($n bytes), parser only, instructions per byte:"
awk -v n="$n" -v ow="$ours_whole" -v ob="$ours_byte" -v tw="$theirs_whole" -v tb="$theirs_byte" 'BEGIN {
    printf "  %-22s %8s %8s %8s\n", "", "whole", "byte", "ratio"
    printf "  %-22s %8.2f %8.2f %7.2fx\n", "ours", ow / n, ob / n, ob / ow
    printf "  %-22s %8.2f %8.2f %7.2fx\n", "Stalwart smtp-proto 0.2", tw / n, tb / n, tb / tw
}'
