#!/usr/bin/env bash
# make_certs.sh DIR -- throwaway certificates for the TLS tests, made with
# the openssl command into DIR (created if needed):
#   ca.pem, ca.key            a test CA
#   server.pem, server.key    for localhost (SAN DNS:localhost,
#                             IP:127.0.0.1, IP:::1), signed by ca
#   other-ca.pem              another CA, trusted by nobody
#   other.pem, other.key      for localhost too, signed by other-ca
# EC P-256 keys: quick to make and to use.  Valid for a day.
set -euo pipefail
[[ $# == 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
mkdir -p "$dir"
cd "$dir"
command -v openssl >/dev/null || { echo "openssl not found (install Debian's openssl)" >&2; exit 77; }

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # NAME SUBJECT
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 1 \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem"
}

leaf() { # NAME CA
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=localhost" -out "$1.csr"
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
        "basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth,clientAuth" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
        -days 1 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

ca ca "asyncc test CA"
leaf server ca
ca other-ca "asyncc other CA"
leaf other other-ca
