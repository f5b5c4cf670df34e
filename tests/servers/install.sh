#!/usr/bin/env bash
# Install everything the loopback SMTP test servers need, from scratch, on a
# Debian 12 (bookworm) machine of this project's kind.  Idempotent: re-running
# only does what is missing.  Run as root.
#
#   Debian: postfix (MTA + smtp-sink), swaks, sasl2-bin (saslpasswd2), Cyrus
#           SASL plugins, openssl, iproute2 (ss), procps (pgrep), libraries
#           for exim; exim4-daemon-light is NOT installed (it conflicts with
#           postfix): its .deb is downloaded and unpacked into opt/exim4;
#           the same for opensmtpd (opt/opensmtpd).
#   Users:  Debian-exim (exim's deliveries), opensmtpd + opensmtpq (smtpd privsep),
#           plus the dir /var/lib/opensmtpd/empty (smtpd's compiled-in chroot).
#   PyPI:   aiosmtpd (pinned in aiosmtpd/requirements.txt) in ./venv
#   npm:    smtp-server (pinned in smtp-server/package*.json) in ./smtp-server/node_modules
#   TLS:    tls/ca.pem + tls/server.{pem,key} (private CA, generated once)
#   State:  opt/, tls/ and var/ are symlinks to a per-checkout folder under
#           /var/lib/smtp-test-servers/ (see lib/common.sh: the unprivileged
#           server users must reach them); folders of deleted checkouts are
#           removed here.
#
# Nothing is started, and the system-wide postfix instance is never configured
# to run (debconf "No configuration" on a fresh install).
set -euo pipefail

TOOLDIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
export TOOLDIR
[[ $EUID -eq 0 ]] || { echo "install.sh: run as root" >&2; exit 1; }
# shellcheck source=lib/common.sh
source "$TOOLDIR/lib/common.sh"
ensure_state
# Forget the state of checkouts that no longer exist (CI clones), unless a
# server of theirs is still running.
for st in "$STATE_ROOT"/*/; do
    [[ -s "$st/checkout" && ! -d "$(cat "$st/checkout")" ]] || continue
    live=0
    for pf in "$st"var/*/pid; do
        [[ -s "$pf" ]] && read -r pid _ < "$pf" && pid_alive "$pid" && live=1
    done
    (( live )) || rm -rf "$st"
done
export DEBIAN_FRONTEND=noninteractive

say() { printf '[install %2ss] %s\n' "$SECONDS" "$*"; }

APT_PKGS=(postfix swaks sasl2-bin libsasl2-modules libsasl2-modules-db openssl
          iproute2 procps ca-certificates
          # swaks TLS support
          libnet-ssleay-perl libio-socket-ssl-perl
          # exim4-daemon-light 4.96 runtime libraries
          libc6 libcrypt1 libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0
          libnsl2 libpcre2-8-0
          # opensmtpd 6.8.0p2 runtime libraries
          libevent-2.1-7 libpam0g libssl3 zlib1g)

missing=()
for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
apt_updated=0
apt_update_once() { (( apt_updated )) || { say "apt-get update"; apt-get update -qq; apt_updated=1; }; }
# apt-get download PKG into dir DIR: with the package lists already on the
# machine first (saves the update in CI's fresh clones), else after an update.
apt_download() { # pkg dir
    ( cd "$2" && apt-get download -qq "$1" >/dev/null 2>&1 ) && return 0
    apt_update_once
    ( cd "$2" && apt-get download "$1" )
}
if (( ${#missing[@]} )); then
    apt_update_once
    # Do not let the postfix package configure (and start) a system-wide MTA.
    if ! dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q 'install ok installed'; then
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    fi
    say "apt-get install ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# exim4-daemon-light, unpacked privately (conflicts with postfix as a package).
EXIM_DIR="$OPT/exim4"
if [[ ! -x "$EXIM_DIR/usr/sbin/exim4" ]]; then
    tmp="$(mktemp -d)"; chmod 755 "$tmp"
    say "downloading exim4-daemon-light .deb"
    apt_download exim4-daemon-light "$tmp"
    rm -rf "$EXIM_DIR"; mkdir -p "$EXIM_DIR"
    dpkg -x "$tmp"/exim4-daemon-light_*.deb "$EXIM_DIR"
    rm -rf "$tmp"
    say "exim unpacked: $("$EXIM_DIR/usr/sbin/exim4" -C /dev/null -bV 2>&1 | grep -m1 '^Exim version' || true)"
fi
if ! getent passwd Debian-exim >/dev/null; then
    say "creating system user Debian-exim"
    getent group Debian-exim >/dev/null || groupadd --system Debian-exim
    useradd --system --gid Debian-exim --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin Debian-exim
fi

# opensmtpd, unpacked privately (conflicts with postfix as a package).  smtpd
# has compiled-in system paths: it needs users opensmtpd + opensmtpq, the
# chroot dir /var/lib/opensmtpd/empty, and creates /var/spool/smtpd itself.
OSMTPD_DIR="$OPT/opensmtpd"
if [[ ! -x "$OSMTPD_DIR/usr/sbin/smtpd" ]]; then
    tmp="$(mktemp -d)"; chmod 755 "$tmp"
    say "downloading opensmtpd .deb"
    apt_download opensmtpd "$tmp"
    rm -rf "$OSMTPD_DIR"; mkdir -p "$OSMTPD_DIR"
    dpkg -x "$tmp"/opensmtpd_*.deb "$OSMTPD_DIR"
    rm -rf "$tmp"
fi
for u in opensmtpd opensmtpq; do
    getent group "$u" >/dev/null || groupadd --system "$u"
    getent passwd "$u" >/dev/null || { say "creating system user $u"; useradd --system --gid "$u" \
        --home-dir /var/lib/opensmtpd/empty --no-create-home --shell /usr/sbin/nologin "$u"; }
done
mkdir -p /var/lib/opensmtpd/empty

# aiosmtpd in a private virtualenv.
PY="${PYTHON:-python3}"
if ! "$TOOLDIR/venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
        apt_update_once; apt-get install -y -qq python3-venv >/dev/null; PY=/usr/bin/python3
    fi
    say "creating venv + pip install aiosmtpd"
    rm -rf "$TOOLDIR/venv"
    pipflags=(-q --disable-pip-version-check --root-user-action=ignore -r "$TOOLDIR/aiosmtpd/requirements.txt")
    # A venv without its own pip, filled by the interpreter's pip, takes a
    # third of the time (ensurepip is the slow part); else the classic way.
    if ! { "$PY" -m venv --without-pip "$TOOLDIR/venv" \
           && "$PY" -m pip --python "$TOOLDIR/venv/bin/python" install "${pipflags[@]}"; } 2>/dev/null; then
        rm -rf "$TOOLDIR/venv"
        "$PY" -m venv "$TOOLDIR/venv"
        "$TOOLDIR/venv/bin/pip" install "${pipflags[@]}"
    fi
fi

# nodemailer smtp-server (needs Node.js >= 20; the machine ships Node 20).
if [[ ! -d "$TOOLDIR/smtp-server/node_modules/smtp-server" ]]; then
    if ! command -v node >/dev/null; then
        apt_update_once; apt-get install -y -qq nodejs npm >/dev/null
    fi
    say "npm ci (smtp-server)"
    ( cd "$TOOLDIR/smtp-server" && npm ci --no-audit --no-fund --loglevel=error )
fi

# TLS material.
gen_certs

say "done. Try: $TOOLDIR/servers.sh start all && $TOOLDIR/verify.sh"
