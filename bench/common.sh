# shellcheck shell=bash
# Sourced by the throughput scripts. The message Postfix's smtp-source sends with -l 1024,
# so that every client sends the same octets. Its four header fields, an empty line,
# twelve lines "1XXX...X" (78 octets and CRLF), then 64 X and CRLF (its 1 024 octets and
# the CRLF it ends the last line with).
write_message() { # FILE
    {
        printf 'From: <a@example.org>\r\nTo: <b@example.org>\r\n'
        printf 'Date: Sun, 29 Nov 2026 15:56:49 +0000 (UTC)\r\nMessage-Id: <4a86.0003.0000@vm>\r\n\r\n'
        awk 'BEGIN { for (i = 1; i <= 12; i++) { s = i % 10; for (j = 2; j <= 78; j++) s = s "X"; printf "%s\r\n", s }
            s = ""; for (j = 1; j <= 64; j++) s = s "X"; printf "%s\r\n", s }'
    } >"$1"
}

# Starts (or restarts) smtp-sink on 127.0.0.1:PORT, on one CPU when PIN is yes, and waits
# until it accepts. Uses the caller's $sink (the binary), $work (its output goes to
# $work/sink.out) and $sink_pid (set here, for the caller's cleanup).
start_sink() { # PORT PIN (yes|no)
    if [[ -n "$sink_pid" ]]; then
        kill "$sink_pid" 2>/dev/null || true
        wait "$sink_pid" 2>/dev/null || true
    fi
    local prefix=()
    [[ $2 == yes ]] && prefix=(taskset -c 0)
    : >"$work/sink.out"
    # -c: counters; -a: no AUTH offered; -u nobody: smtp-sink refuses to run as root.
    "${prefix[@]}" "$sink" -c -a -u nobody "127.0.0.1:$1" 256 >"$work/sink.out" 2>&1 &
    sink_pid=$!
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "smtp-sink did not start on port $1" >&2
    cat "$work/sink.out" >&2
    exit 1
}
