#!/usr/bin/env python3
"""Smoke test for the running loopback SMTP test servers (stdlib only).

    smoke.py [NAME...]        default: every server CI starts

For each listener: the greeting is 220, EHLO answers 250 with the keywords
the README promises, TLS (STARTTLS or implicit) completes with full
certificate verification against tls/ca.pem for the name "localhost" (and
once for the IP address 127.0.0.1), and AUTH PLAIN with the test credentials
answers 235 where AUTH is offered.  XOAUTH2 is checked on smtp-server.
No mail is sent.

Prints one "ok"/"FAIL" line per listener and ends with "smoke: N passed,
M failed"; exits 1 if anything failed, 2 on usage errors.  Takes about a
second; CI runs it right after `servers.sh start`.
"""
import base64
import os
import socket
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CA = os.path.join(HERE, "tls", "ca.pem")
HOST = "127.0.0.1"
USER = os.environ.get("SMTP_TEST_USER", "testuser")
PASS = os.environ.get("SMTP_TEST_PASS", "testpass")
TOKEN = os.environ.get("SMTP_TEST_TOKEN", "testtoken")
TIMEOUT = 10

# Keywords every listener must announce (a subset of ehlo/NAME.txt), before
# and after TLS.  Mode: starttls | implicit | plain | broken-tls | noesmtp.
# auth: AUTH PLAIN must succeed (after TLS where there is TLS).
COMMON_PF = {"PIPELINING", "SIZE", "8BITMIME", "SMTPUTF8", "CHUNKING", "DSN", "ENHANCEDSTATUSCODES"}
COMMON_EX = {"PIPELINING", "SIZE", "8BITMIME", "SMTPUTF8", "CHUNKING", "DSN", "PRDR"}
COMMON_AIO = {"SIZE", "8BITMIME", "SMTPUTF8"}
COMMON_NM = {"PIPELINING", "SIZE", "8BITMIME", "SMTPUTF8", "DSN", "ENHANCEDSTATUSCODES"}
LISTENERS = {
    "postfix": [
        (2525, "starttls", COMMON_PF | {"AUTH"}, True),
        (2526, "starttls", COMMON_PF, True),
        (2527, "implicit", COMMON_PF | {"AUTH"}, True),
    ],
    "exim": [
        (2528, "starttls", COMMON_EX | {"AUTH"}, True),
        (2529, "implicit", COMMON_EX | {"AUTH"}, True),
    ],
    "aiosmtpd": [
        (2530, "starttls", COMMON_AIO | {"PIPELINING", "AUTH"}, True),
        (2531, "implicit", COMMON_AIO | {"PIPELINING", "AUTH"}, True),
        (2532, "starttls", COMMON_AIO, True),
    ],
    "smtp-server": [
        (2533, "starttls", COMMON_NM | {"AUTH"}, True),
        (2534, "implicit", COMMON_NM | {"AUTH", "REQUIRETLS"}, True),
    ],
    "opensmtpd": [
        (2535, "plain", {"SIZE", "8BITMIME", "DSN", "ENHANCEDSTATUSCODES"}, False),
        (2536, "broken-tls", {"STARTTLS"}, False),
    ],
    "smtp-sink": [(2537, "plain", {"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN"}, False)],
    "smtp-sink-noesmtp": [(2538, "noesmtp", set(), False)],
    "smtp-sink-bare": [(2539, "bare", set(), False)],
}
DEFAULT = list(LISTENERS)


class Fail(Exception):
    pass


class Conn:
    def __init__(self, port, tls_ctx=None, server_hostname="localhost"):
        raw = socket.create_connection((HOST, port), timeout=TIMEOUT)
        self.sock = tls_ctx.wrap_socket(raw, server_hostname=server_hostname) if tls_ctx else raw
        self.buf = b""

    def reply(self):
        """One (possibly multi-line) reply -> (code, [text after the code])."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise Fail("connection closed by server")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            if len(line) < 3 or not line[:3].isdigit():
                raise Fail(f"malformed reply line {line!r}")
            lines.append(line[4:].decode("utf-8", "replace"))
            if line[3:4] != b"-":
                return int(line[:3]), lines

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()

    def expect(self, text, want, what=None):
        code, lines = self.cmd(text)
        if code != want:
            raise Fail(f"{what or text}: got {code} {lines[-1] if lines else ''}, want {want}")
        return lines

    def starttls(self, ctx, server_hostname="localhost"):
        self.expect("STARTTLS", 220)
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)

    def close(self):
        try:
            self.sock.sendall(b"QUIT\r\n")
            self.reply()
        except (OSError, Fail):
            pass
        self.sock.close()


def keywords(lines):
    return {ln.split(" ", 1)[0].upper() for ln in lines[1:] if ln.strip()}


def need(kw, wanted, when):
    missing = wanted - kw
    if missing:
        raise Fail(f"EHLO {when} lacks {' '.join(sorted(missing))}")


def verified_ctx():
    ctx = ssl.create_default_context(cafile=CA)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def tls_desc(sock):
    return f"{sock.version()} {sock.cipher()[0]}"


def auth_plain(c):
    tok = base64.b64encode(f"\0{USER}\0{PASS}".encode()).decode()
    c.expect(f"AUTH PLAIN {tok}", 235, "AUTH PLAIN testuser")


def check(name, port, mode, wanted, auth, ctx, hostname="localhost"):
    notes = []
    c = Conn(port, ctx if mode == "implicit" else None, hostname)
    try:
        if c.reply()[0] != 220:
            raise Fail("greeting is not 220")
        if mode == "noesmtp":
            code, _ = c.cmd("EHLO smoke.example")
            if code != 500:
                raise Fail(f"EHLO got {code}, want 500 (HELO-only server)")
            c.expect("HELO smoke.example", 250)
            return "EHLO 500, HELO 250"
        kw = keywords(c.expect("EHLO smoke.example", 250))
        if mode == "bare":
            if kw:
                raise Fail(f"EHLO announced {' '.join(sorted(kw))}, want nothing")
            return "EHLO 250 without extensions"
        if mode == "implicit":
            notes.append(f"implicit TLS {tls_desc(c.sock)} verified for {hostname}")
        if mode in ("starttls", "broken-tls"):
            if "STARTTLS" not in kw:
                raise Fail("STARTTLS not announced")
            need(kw, wanted - {"REQUIRETLS"}, "before TLS")
            if mode == "broken-tls":
                c.expect("STARTTLS", 220)
                try:
                    ctx.wrap_socket(c.sock, server_hostname=hostname).close()
                except (ssl.SSLError, OSError):
                    return "STARTTLS announced, handshake fails as documented"
                raise Fail("TLS handshake succeeded; README says it always fails here")
            c.starttls(ctx, hostname)
            notes.append(f"STARTTLS {tls_desc(c.sock)} verified for {hostname}")
            kw = keywords(c.expect("EHLO smoke.example", 250))
            if "STARTTLS" in kw:
                raise Fail("STARTTLS still announced after TLS")
            need(kw, wanted, "after TLS")
        else:
            need(kw, wanted, "")
        if auth:
            if "AUTH" not in kw:
                raise Fail("AUTH not announced")
            auth_plain(c)
            notes.append("AUTH PLAIN 235")
        return ", ".join(notes) or f"EHLO 250 ({len(kw)} keywords)"
    finally:
        c.close()


def check_xoauth2(ctx):
    c = Conn(2534, ctx)
    try:
        c.reply()
        c.expect("EHLO smoke.example", 250)
        tok = base64.b64encode(f"user={USER}\x01auth=Bearer {TOKEN}\x01\x01".encode()).decode()
        c.expect(f"AUTH XOAUTH2 {tok}", 235, "AUTH XOAUTH2")
        return "AUTH XOAUTH2 235"
    finally:
        c.close()


def main(argv):
    names = argv or DEFAULT
    unknown = [n for n in names if n not in LISTENERS]
    if unknown:
        print(f"smoke.py: unknown server(s) {' '.join(unknown)}; known: {' '.join(LISTENERS)}", file=sys.stderr)
        return 2
    if not os.path.exists(CA):
        print(f"smoke.py: {CA} missing (run install.sh)", file=sys.stderr)
        return 2
    ctx = verified_ctx()
    npass = nfail = 0
    t0 = time.monotonic()
    jobs = [(n, p, m, w, a, "localhost") for n in names for (p, m, w, a) in LISTENERS[n]]
    if "postfix" in names:
        jobs.append(("postfix", 2527, "implicit", COMMON_PF, False, "127.0.0.1"))
    for name, port, mode, wanted, auth, hostname in jobs:
        try:
            msg = check(name, port, mode, wanted, auth, ctx, hostname)
            npass += 1
            print(f"ok    {name:<18} {port}  {msg}")
        except (Fail, OSError, ssl.SSLError) as e:
            nfail += 1
            print(f"FAIL  {name:<18} {port}  {e}")
    if "smtp-server" in names:
        try:
            msg = check_xoauth2(ctx)
            npass += 1
            print(f"ok    {'smtp-server':<18} 2534  {msg}")
        except (Fail, OSError, ssl.SSLError) as e:
            nfail += 1
            print(f"FAIL  {'smtp-server':<18} 2534  {e}")
    print(f"smoke: {npass} passed, {nfail} failed ({time.monotonic() - t0:.1f} s, CA {CA})")
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
