#!/usr/bin/env bash
# Streams a generated 100 MiB body through smtp-tokio's send_mail_streamed to an smtp-sink
# (plaintext) and the same octets through a raw loopback socket, RUNS times (default 3);
# prints each run and the medians. Peak RSS growth of the client is measured inside the
# process (VmHWM after the mail minus the RSS before it, the peak reset through
# /proc/self/clear_refs); /usr/bin/time adds the whole process's maximum RSS.
#
#   bench/stream.sh [HOST:PORT] [MIB]      (default 127.0.0.1:2537, 100)
#
# Each run also sends the same mail to an SMTP sink in a thread of the client process that
# reads in 64 KiB blocks (smtp_bulk_sink_mib_s): the client's own ceiling. Note that the
# test servers' smtp-sink on 2537 stores every message (-d): each run leaves a 100 MiB
# file in its mail directory.
set -euo pipefail
cd "$(dirname "$0")/.."
address=${1:-127.0.0.1:2537}
mib=${2:-100}
runs=${RUNS:-3}
cargo build --quiet --release -p smtp-tokio --example stream_bench
bin=target/release/examples/stream_bench
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for run in $(seq "$runs"); do
    line=$(/usr/bin/time -f 'process_max_rss_kib=%M' "$bin" "$address" "$mib" 2>&1 | tr '\n' ' ')
    echo "run $run: $line"
    echo "$line" >>"$out"
done
median() {
    grep -o "$1=[0-9.]*" "$out" | cut -d= -f2 | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}
echo "median of $runs runs ($mib MiB to $address):"
for key in smtp_mib_s smtp_bulk_sink_mib_s raw_mib_s smtp_s smtp_client_cpu_s bulk_cpu_s raw_s rss_peak_growth_kib process_max_rss_kib; do
    echo "  $key=$(median "$key")"
done
