#!/usr/bin/env bash
# Our client against the other Rust SMTP client libraries, lettre 0.11 and mail-send 0.7, and
# Postfix's smtp-source, end to end against Postfix's smtp-sink on 127.0.0.1: 1 KiB
# messages (the one bench/throughput.sh sends) to one recipient, the same count for all.
#
#   bench/compare_clients.sh   (RUNS=3 MAILS=5000 PORT=2600, N1=2000 N2=6000, SLOW_MAILS=200)
#
# Clients (the Rust ones are bench/src/bin/*, release build, built here; each takes the
# command line of bench/throughput.sh's SMTP_CLIENT_CMD):
#   ours       throughput_client: smtp-tokio's Connection, send_all_mails, QUIT
#   cli        the `smtp` command (smtp-cli, release build of ../; SMTP_CLI overrides it)
#   lettre     lettre_client --api connection --nodelay on: lettre's AsyncSmtpConnection
#              on a TcpStream with TCP_NODELAY, `send(&envelope, body)` per mail
#   mail-send  mail_send_client --nodelay on: SmtpClientBuilder...connect_plain(), then
#              TCP_NODELAY on its socket, `send(Message)` per mail
#   source     smtp-source -d (one connection, no pipelining)
# Both libraries as released leave Nagle's algorithm on and write the end of data apart
# from the body, so each mail waits for the server's delayed ACK (about 40 ms): those
# runs ("as shipped": lettre's pooled AsyncSmtpTransport, lettre's AsyncSmtpConnection and
# mail-send without TCP_NODELAY) get SLOW_MAILS mails, one run each, one connection.
#
# Part 1, mails/s: two configurations as bench/throughput.sh's, RUNS repetitions each of
# all clients in rotating order; the time of a run is the wall clock of the client process
# (start, connect, every mail, QUIT). 1 connection: client and sink PINNED to CPU 0
# (taskset -c 0); 8 connections: unpinned, MAILS in total (MAILS/8 per connection).
# After every run the sink's counters (smtp-sink -c) must show exactly the mails the run
# sent, and as many sessions as connections (the pooled lettre transport may open more:
# printed, not checked).
# Part 2, instructions per mail: callgrind, user-space instructions of the client process,
# one connection, (I(N2) - I(N1)) / (N2 - N1) (bench/instructions_per_mail.sh's method),
# with a sink of its own on PORT+1; the pooled lettre transport with SLOW_N1/SLOW_N2
# (default 100/300) mails, since each mail waits 40 ms.
# Ratios are to ours (throughput_client): ours/X for mails/s, X/ours for instructions.
# OUT=dir keeps the callgrind profiles (NAME.N.cg) for callgrind_annotate.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${RUNS:-3}
mails=${MAILS:-5000}
slow_mails=${SLOW_MAILS:-200}
port=${PORT:-2600}
n1=${N1:-2000}
n2=${N2:-6000}
slow_n1=${SLOW_N1:-100}
slow_n2=${SLOW_N2:-300}
sink=${SMTP_SINK:-/usr/sbin/smtp-sink}
source=${SMTP_SOURCE:-/usr/sbin/smtp-source}
cargo build --quiet --release --manifest-path "$here/Cargo.toml" \
    --bin throughput_client --bin lettre_client --bin mail_send_client
bin="$here/target/release"
if [[ -z "${SMTP_CLI:-}" ]]; then
    cargo build --quiet --release -p smtp-cli --manifest-path "$here/../Cargo.toml"
    SMTP_CLI="$here/../target/release/smtp"
fi
work=$(mktemp -d)
out=${OUT:-$work}
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


# The sink's counter FIELD (sess, quit or mesg) so far; its -c display is rewritten in
# place ("sess=S quit=Q mesg=M"). The probe connection of start_sink counts as a session.
counter() {
    tr '\r' '\n' <"$work/sink.out" | grep -o "$1=[0-9]*" | tail -n 1 | cut -d= -f2 || echo 0
}

command_of() { # NAME PORT COUNT CONNECTIONS -> the command line, one word a line
    local name=$1 port=$2 count=$3 connections=$4 common
    common=(send --server "127.0.0.1:$port" --tls none --from a@example.org --to b@example.org
        --body-file "$work/body.eml" --count "$count" --connections "$connections" --json)
    case $name in
    source) printf '%s\n' "$source" -d -l 1024 -m $((count * connections)) -s "$connections" \
        -f a@example.org -t b@example.org "127.0.0.1:$port" ;;
    ours) printf '%s\n' "$bin/throughput_client" "${common[@]}" ;;
    cli) printf '%s\n' "$SMTP_CLI" "${common[@]}" ;;
    lettre) printf '%s\n' "$bin/lettre_client" "${common[@]}" --api connection --nodelay on ;;
    mail-send) printf '%s\n' "$bin/mail_send_client" "${common[@]}" --nodelay on ;;
    lettre-pool) printf '%s\n' "$bin/lettre_client" "${common[@]}" --api transport ;;
    lettre-nagle) printf '%s\n' "$bin/lettre_client" "${common[@]}" --api connection ;;
    mail-send-nagle) printf '%s\n' "$bin/mail_send_client" "${common[@]}" ;;
    *) echo "unknown client $name" >&2 && exit 1 ;;
    esac
}

run() { # NAME PIN MAILS CONNECTIONS -> one line "NAME mails_per_s sessions"
    local name=$1 pin=$2 connections=$4 cmd mails0 sess0 quit0 mails1 sess1 quit1 t0 t1
    local total=$(($3 / connections * connections)) taskset=()
    [[ $pin == yes ]] && taskset=(taskset -c 0)
    mapfile -t cmd < <(command_of "$name" "$port" $((total / connections)) "$connections")
    mails0=$(counter mesg) sess0=$(counter sess) quit0=$(counter quit)
    t0=$(date +%s%N)
    "${taskset[@]}" "${cmd[@]}" >"$work/client.out" 2>&1 || {
        echo "$name failed:" >&2
        cat "$work/client.out" >&2
        exit 1
    }
    t1=$(date +%s%N)
    sleep 0.05 # the sink's counters after the last QUIT
    mails1=$(counter mesg) sess1=$(counter sess) quit1=$(counter quit)
    if ((mails1 - mails0 != total)); then
        echo "$name: the sink counted $((mails1 - mails0)) mails, expected $total" >&2
        exit 1
    fi
    if ((quit1 - quit0 != sess1 - sess0)); then
        echo "$name: $((sess1 - sess0)) sessions but $((quit1 - quit0)) QUITs" >&2
        exit 1
    fi
    if [[ $name != lettre-pool ]] && ((sess1 - sess0 != connections)); then
        echo "$name: $((sess1 - sess0)) sessions, expected $connections" >&2
        exit 1
    fi
    awk -v n="$total" -v ns=$((t1 - t0)) -v name="$name" -v s=$((sess1 - sess0)) \
        'BEGIN { printf "%s %.0f %d\n", name, n / (ns / 1e9), s }'
}

median() { # FILE NAME -> "median [min-max]"
    grep "^$2 " "$1" | cut -d' ' -f2 | sort -n |
        awk '{ v[NR] = $1 } END { printf "%d [%d-%d]", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'
}

clients=(ours cli lettre mail-send source)

configuration() { # LABEL PIN CONNECTIONS
    local label=$1 pin=$2 connections=$3 results="$work/results.$3"
    start_sink "$port" "$pin"
    echo "== $label: $mails mails of 1 KiB, $connections connection(s), client and sink $(
        [[ $pin == yes ]] && echo 'PINNED to CPU 0 (taskset -c 0)' || echo 'UNPINNED')"
    : >"$results"
    for rep in $(seq "$runs"); do
        # Rotate which client goes first, so none always follows another.
        local order=("${clients[@]}") shift=$(((rep - 1) % ${#clients[@]}))
        order=("${order[@]:shift}" "${order[@]:0:shift}")
        local line=() out r
        for name in "${order[@]}"; do
            out=$(run "$name" "$pin" "$mails" "$connections")
            read -r -a r <<<"$out"
            line+=("${r[0]} ${r[1]}")
            echo "${r[0]} ${r[1]}" >>"$results"
        done
        echo "   run $rep (mails/s): $(IFS=,; echo "${line[*]}" | sed 's/,/, /g')"
    done
    local ours m
    ours=$(median "$results" ours)
    for name in "${clients[@]}"; do
        m=$(median "$results" "$name")
        awk -v name="$name" -v m="$m" -v o="${ours%% *}" -v x="${m%% *}" 'BEGIN {
            printf "   %-10s %-24s mails/s   ours/%s: %.2fx\n", name, m, name, o / x }'
    done
}

as_shipped() {
    start_sink "$port" yes
    echo "== as shipped (Nagle on): $slow_mails mails, 1 connection, PINNED, one run each"
    local out r
    for name in lettre-pool lettre-nagle mail-send-nagle; do
        out=$(run "$name" yes "$slow_mails" 1)
        read -r -a r <<<"$out"
        echo "   ${r[0]}: ${r[1]} mails/s over ${r[2]} connection(s)"
    done
}

count() { # NAME N -> instructions
    local name=$1 n=$2 cmd
    mapfile -t cmd < <(command_of "$name" $((port + 1)) "$n" 1)
    local before after
    before=$(counter mesg)
    valgrind --tool=callgrind --callgrind-out-file="$out/$name.$n.cg" "${cmd[@]}" \
        >"$work/client.out" 2>"$work/valgrind.log" || {
        echo "$name failed:" >&2
        cat "$work/client.out" "$work/valgrind.log" >&2
        exit 1
    }
    sleep 0.05
    after=$(counter mesg)
    if ((after - before != n)); then
        echo "$name under callgrind: the sink counted $((after - before)) mails, expected $n" >&2
        exit 1
    fi
    sed -n 's/^.*Collected : \([0-9]*\)$/\1/p' "$work/valgrind.log"
}

instructions() {
    start_sink $((port + 1)) no
    echo "== instructions per mail (callgrind, one connection, unpinned)"
    printf '   %-12s %7s %7s %14s %14s %10s %10s\n' client N1 N2 'I(N1)' 'I(N2)' 'per mail' 'X/ours'
    local ours=
    for spec in "ours $n1 $n2" "cli $n1 $n2" "lettre $n1 $n2" "mail-send $n1 $n2" \
        "source $n1 $n2" "lettre-pool $slow_n1 $slow_n2"; do
        read -r name a b <<<"$spec"
        local ia ib per
        ia=$(count "$name" "$a")
        ib=$(count "$name" "$b")
        per=$(((ib - ia) / (b - a)))
        [[ $name == ours ]] && ours=$per
        awk -v name="$name" -v a="$a" -v b="$b" -v ia="$ia" -v ib="$ib" -v p="$per" -v o="$ours" \
            'BEGIN { printf "   %-12s %7d %7d %14d %14d %10d %9.2fx\n", name, a, b, ia, ib, p, p / o }'
    done
}

echo "ours: $bin/throughput_client; cli: $SMTP_CLI"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
configuration "one connection" yes 1
configuration "eight connections" no 8
as_shipped
instructions
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[[ -n "${OUT:-}" ]] && echo "profiles: $out/*.cg (callgrind_annotate FILE)"
exit 0
