# shellcheck shell=bash
# Sourced by the throughput scripts: the message Postfix's smtp-source sends with -l 1024,
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
