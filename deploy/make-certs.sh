#!/bin/sh
# Makes the TLS certificates compose's NATS cluster uses (deploy/nats/certs, not committed):
# a CA of our own, and one key and certificate for the nodes, valid for their names on
# compose's network. The nodes present it to clients (who trust only this CA:
# SWITCHBOARD_NATS_CA_FILE) and to each other: routes between nodes need a certificate this
# CA signed (mutual TLS), so nothing else can join the cluster. The CA's key is not mounted
# anywhere; keep it (or delete it and run this again to replace everything).
#
#   deploy/make-certs.sh [directory]     (default: deploy/nats/certs)
set -eu
dir=${1:-"$(dirname "$0")/nats/certs"}
days=${CERT_DAYS:-825}
mkdir -p "$dir"
cd "$dir"
umask 077
if [ ! -f ca-key.pem ]; then
  openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 3650 -subj "/CN=Switchboard NATS CA" \
    -keyout ca-key.pem -out ca.pem 2>/dev/null
fi
cat > node.ext <<EXT
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:nats-1, DNS:nats-2, DNS:nats-3, DNS:localhost, IP:127.0.0.1
EXT
openssl req -newkey rsa:3072 -sha256 -nodes -subj "/CN=nats" -keyout nats-key.pem \
  -out nats.csr 2>/dev/null
openssl x509 -req -in nats.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" \
  -sha256 -extfile node.ext -out nats.pem 2>/dev/null
rm -f nats.csr node.ext ca.srl
# The nats image runs as root and the services' image as an unprivileged user: the
# certificates are readable by all (they are public), the node's key by its owner only
# (docker compose mounts it into the NATS containers alone).
chmod 644 ca.pem nats.pem
chmod 600 ca-key.pem nats-key.pem
echo "certificates in $dir"
