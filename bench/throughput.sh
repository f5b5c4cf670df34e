#!/usr/bin/env bash
# Mails per second against Postfix's smtp-sink: Postfix's smtp-source (C, the reference
# load generator) and our client, runs alternating, 1 KiB messages to one recipient.
#
#   bench/throughput.sh            (RUNS=5 MAILS=20000 PORT=2600 by default)
#
# Two configurations, each RUNS repetitions of (smtp-source, ours) in alternating order:
#   1 connection, PINNED: smtp-sink and the client both under `taskset -c 0` (one CPU);
#   8 connections, UNPINNED: smtp-source -s 8 -m MAILS sends MAILS in total, so ours sends
#     MAILS/8 on each of 8 connections (--count MAILS/8 --connections 8).
# smtp-source runs with -d (every mail on the same connection; without it, it opens a
# connection per mail) and speaks HELO, MAIL, RCPT, DATA without pipelining; the time of
# each run is the wall clock of the whole client process, connect to QUIT, for both.
# smtp-sink (-c counts the mails; run as nobody) offers PIPELINING and 8BITMIME, no AUTH,
# no CHUNKING, no TLS; each run must leave exactly MAILS more mails counted.
#
# Our client is the `smtp` command (`smtp-cli`, release build, built here), called as
#   smtp send --server 127.0.0.1:PORT --tls none --from a@example.org
#     --to b@example.org --body-file F --count N --connections C --json
# SMTP_CLIENT_CMD replaces it (called the same way), e.g. bench's throughput_client, the
# same session without the CLI around it. lettre_client and mail_send_client (the other Rust
# libraries, bench/src/bin) take the same command line; bench/compare_clients.sh runs them
# all, with smtp-source, and counts their instructions per mail.
# BASELINE_CLIENT_CMD (optional): another build of our client, called the same way, run in
# the same alternation (before/after comparisons in one invocation).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${RUNS:-5}
mails=${MAILS:-20000}
port=${PORT:-2600}
sink=${SMTP_SINK:-/usr/sbin/smtp-sink}
source=${SMTP_SOURCE:-/usr/sbin/smtp-source}
if [[ -z "${SMTP_CLIENT_CMD:-}" ]]; then
    cargo build --quiet --release -p smtp-cli --manifest-path "$here/../Cargo.toml"
    SMTP_CLIENT_CMD="$here/../target/release/smtp"
fi
work=$(mktemp -d)
sink_pid=
cleanup() {
    if [[ -n "$sink_pid" ]]; then kill "$sink_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# smtp-source -l 1024's message and start_sink (bench/common.sh).
# shellcheck source=bench/common.sh
source "$here/common.sh"
write_message "$work/body.eml"

# Mails the sink counted so far (its -c display: "sess=S quit=Q mesg=M", rewritten in place).
counted() {
    tr '\r' '\n' <"$work/sink.out" | grep -o 'mesg=[0-9]*' | tail -n 1 | cut -d= -f2 || echo 0
}

run() { # NAME PIN CONNECTIONS -> one line "NAME mails_per_s"
    local name=$1 pin=$2 connections=$3 cmd before after t0 t1
    local taskset=()
    [[ $pin == yes ]] && taskset=(taskset -c 0)
    local client=$SMTP_CLIENT_CMD
    [[ $name == baseline ]] && client=$BASELINE_CLIENT_CMD
    if [[ $name == source ]]; then
        cmd=("$source" -d -l 1024 -m "$mails" -s "$connections" -f a@example.org -t b@example.org "127.0.0.1:$port")
    else
        # shellcheck disable=SC2206 # the command may carry arguments
        cmd=($client send --server "127.0.0.1:$port" --tls none --from a@example.org
            --to b@example.org --body-file "$work/body.eml" --count $((mails / connections))
            --connections "$connections" --json)
    fi
    before=$(counted)
    t0=$(date +%s%N)
    "${taskset[@]}" "${cmd[@]}" >"$work/client.out" 2>&1 || {
        echo "$name failed:" >&2
        cat "$work/client.out" >&2
        exit 1
    }
    t1=$(date +%s%N)
    sleep 0.05 # the sink's counter after the last QUIT
    after=$(counted)
    if ((after - before != mails)); then
        echo "$name: the sink counted $((after - before)) mails, expected $mails" >&2
        exit 1
    fi
    awk -v n="$mails" -v ns=$((t1 - t0)) -v name="$name" 'BEGIN { printf "%s %.0f\n", name, n / (ns / 1e9) }'
}

summary() { # FILE NAME -> "median [min-max]"
    grep "^$2 " "$1" | cut -d' ' -f2 | sort -n |
        awk '{ v[NR] = $1 } END { printf "%d [%d-%d]", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'
}

configuration() { # LABEL PIN CONNECTIONS
    local label=$1 pin=$2 connections=$3 results="$work/results.$3"
    start_sink "$port" "$pin"
    echo "== $label: $mails mails of 1 KiB, $connections connection(s), client and sink $(
        [[ $pin == yes ]] && echo 'PINNED to CPU 0 (taskset -c 0)' || echo 'UNPINNED')"
    : >"$results"
    for rep in $(seq "$runs"); do
        # Rotate which client goes first, so none always follows another.
        local order=(source ours)
        [[ -n "${BASELINE_CLIENT_CMD:-}" ]] && order+=(baseline)
        local shift=$(((rep - 1) % ${#order[@]}))
        order=("${order[@]:shift}" "${order[@]:0:shift}")
        for name in "${order[@]}"; do
            line=$(run "$name" "$pin" "$connections")
            echo "   run $rep: $line mails/s"
            echo "$line" >>"$results"
        done
    done
    local s o
    s=$(summary "$results" source)
    o=$(summary "$results" ours)
    echo "   smtp-source: $s mails/s (median [min-max] of $runs)"
    echo "   ours:        $o mails/s"
    awk -v s="${s%% *}" -v o="${o%% *}" 'BEGIN { printf "   ratio of medians ours/smtp-source: %.2fx\n", o / s }'
    if [[ -n "${BASELINE_CLIENT_CMD:-}" ]]; then
        local b
        b=$(summary "$results" baseline)
        echo "   baseline:    $b mails/s"
        awk -v s="${s%% *}" -v b="${b%% *}" -v o="${o%% *}" 'BEGIN {
            printf "   ratio of medians baseline/smtp-source: %.2fx, ours/baseline: %.2fx\n", b / s, o / b }'
    fi
}

[[ -n "${BASELINE_CLIENT_CMD:-}" ]] && echo "baseline: $BASELINE_CLIENT_CMD"
echo "client: $SMTP_CLIENT_CMD; machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
configuration "one connection" yes 1
configuration "eight connections" no 8
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
