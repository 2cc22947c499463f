#!/bin/sh
# Create a throw-away CA and a server certificate for 127.0.0.1 / ::1 /
# localhost (TLS for WSS and the WWSF demo in tests and 'make run').
# Never committed: generated into a build directory at test/run time.
#
# Usage: scripts/mkcerts.sh DIR     (reuses DIR's files when still valid)
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

# Reuse what is there if the server certificate is valid for another day.
if [ -f server.crt ] && [ -f server.key ] && [ -f ca.crt ] &&
	openssl x509 -in server.crt -noout -checkend 86400 >/dev/null 2>&1; then
	exit 0
fi

umask 077
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout ca.key -out ca.crt -days 30 -sha256 \
	-subj "/O=eP-CSCF modules test/CN=eP-CSCF test CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout server.key -out server.csr \
	-subj "/O=eP-CSCF modules test/CN=localhost" 2>/dev/null
cat > server.ext <<'X'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
X
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	-out server.crt -days 30 -sha256 -extfile server.ext 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 644 ca.crt server.crt
