#!/bin/sh
# Certificates for the TLS tests, made fresh at test time so that nothing
# private is committed (ctest runs this once, as the fixture
# unit.tls_make_certs, and hands DIR to the tests in MS_TLS_CERTS):
#   tests/tls/make-certs.sh DIR
# DIR then holds, all PEM, with P-256 keys:
#   ca.pem ca.key                    the test CA
#   server.pem server.key            CN localhost, SAN DNS:localhost,
#                                    IP:127.0.0.1, IP:::1, signed by the CA
#   client.pem client.key            a client certificate signed by the CA
#   rogue-ca.pem rogue-ca.key        an unrelated CA
#   rogue-server.pem rogue-server.key  the same names, signed by the rogue CA
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
cd "$1"

key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# ca NAME COMMON-NAME
ca() {
	key "$1.key"
	openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 3650 -out "$1.pem" \
		-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign
}

# leaf NAME CA COMMON-NAME EXTENSIONS...
leaf() {
	name=$1 issuer=$2 cn=$3
	shift 3
	key "$name.key"
	openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr"
	printf '%s\n' basicConstraints=CA:false keyUsage=critical,digitalSignature "$@" >"$name.ext"
	openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" -CAcreateserial \
		-CAserial "$issuer.srl" -days 3650 -extfile "$name.ext" -out "$name.pem" 2>/dev/null
	rm -f "$name.csr" "$name.ext"
}

san=subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
ca ca "moonsip test CA"
leaf server ca localhost extendedKeyUsage=serverAuth "$san"
leaf client ca "moonsip test client" extendedKeyUsage=clientAuth
ca rogue-ca "moonsip rogue CA"
leaf rogue-server rogue-ca localhost extendedKeyUsage=serverAuth "$san"
rm -f ca.srl rogue-ca.srl
