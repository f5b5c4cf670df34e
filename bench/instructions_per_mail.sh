#!/usr/bin/env bash
# User-space instructions per mail of the client process, counted with callgrind
# (deterministic, unlike wall-clock time on a shared machine): smtp-source and our client,
# one connection to smtp-sink, 1 KiB messages to one recipient (as bench/throughput.sh).
# Each client runs twice, N1 and N2 mails; (I(N2) - I(N1)) / (N2 - N1) is the cost per
# mail without the fixed cost of starting, connecting and quitting.
#
#   bench/instructions_per_mail.sh      (N1=2000 N2=6000 PORT=2601 by default)
#
# SMTP_CLIENT_CMD as in bench/throughput.sh (default: the `smtp` command, release build;
# bench's throughput_client is the same session without the CLI, and for it
# CLIENT_ARGS="--runtime multi" compares tokio's multi-thread runtime). Writes the
# callgrind profiles to $OUT (default: a temporary directory, removed) for
# callgrind_annotate.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n1=${N1:-2000}
n2=${N2:-6000}
port=${PORT:-2601}
if [[ -z "${SMTP_CLIENT_CMD:-}" ]]; then
    cargo build --quiet --release -p smtp-cli --manifest-path "$here/../Cargo.toml"
    SMTP_CLIENT_CMD="$here/../target/release/smtp"
fi
work=$(mktemp -d)
out=${OUT:-$work}
sink_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    if [[ -n "$sink_pid" ]]; then kill "$sink_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
# smtp-source -l 1024's message and start_sink (bench/common.sh).
# shellcheck source=bench/common.sh
source "$here/common.sh"
write_message "$work/body.eml"
/usr/sbin/smtp-sink -a -u nobody "127.0.0.1:$port" 256 >"$work/sink.out" 2>&1 &
sink_pid=$!
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

count() { # NAME N -> instructions
    local name=$1 n=$2 cmd
    if [[ $name == smtp-source ]]; then
        cmd=(/usr/sbin/smtp-source -d -l 1024 -m "$n" -s 1 -f a@example.org -t b@example.org "127.0.0.1:$port")
    else
        # shellcheck disable=SC2206 # SMTP_CLIENT_CMD and CLIENT_ARGS may carry arguments
        cmd=($SMTP_CLIENT_CMD send --server "127.0.0.1:$port" --tls none --from a@example.org
            --to b@example.org --body-file "$work/body.eml" --count "$n" --connections 1
            --json ${CLIENT_ARGS:-})
    fi
    valgrind --tool=callgrind --callgrind-out-file="$out/$name.$n.cg" "${cmd[@]}" \
        >"$work/client.out" 2>"$work/valgrind.log" || {
        echo "$name failed:" >&2
        cat "$work/client.out" "$work/valgrind.log" >&2
        exit 1
    }
    sed -n 's/^.*Collected : \([0-9]*\)$/\1/p' "$work/valgrind.log"
}

printf '%-12s %14s %14s %16s\n' client "I($n1)" "I($n2)" "per mail"
for name in smtp-source ours; do
    a=$(count "$name" "$n1")
    b=$(count "$name" "$n2")
    printf '%-12s %14d %14d %16d\n' "$name" "$a" "$b" $(((b - a) / (n2 - n1)))
done
[[ -n "${OUT:-}" ]] && echo "profiles: $out/*.cg (callgrind_annotate FILE)"
exit 0
