#!/usr/bin/env bash
# Writes the secrets the compose files read (deploy/secrets/, which git ignores), each once: an existing file is
# kept, so running it again changes nothing. Passwords and API keys are 24 random bytes in hex (openssl).
# The folder is the owner's alone (700); the files in it are readable (644) because Compose mounts each secret
# file as it is, and the containers read them as their own users (node, eventstore: not the host's owner).
#   deploy/make-secrets.sh            for docker-compose.yml (hosts eventstore and mongo)
#   deploy/make-secrets.sh cluster    for deploy/compose.cluster.yml (three nodes of each)
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-single}"
mkdir -p secrets
chmod 700 secrets

secret() { openssl rand -hex 24; }
keep() { # keep FILE CONTENT: writes CONTENT to secrets/FILE unless it exists
  if [ ! -s "secrets/$1" ]; then
    (umask 022 && printf '%s\n' "$2" >"secrets/$1")
    echo "wrote deploy/secrets/$1"
  fi
}

keep eventstore_admin_password "$(secret)"
keep mongo_root_password "$(secret)"
keep mongo_app_password "$(secret)"
keep crm_api_keys "ingest:till-1:$(secret),analyst:reports:$(secret),auditor:audit:$(secret),admin:ops:$(secret)"

es_pw="$(cat secrets/eventstore_admin_password)"
mongo_pw="$(cat secrets/mongo_app_password)"
if [ "$mode" = cluster ]; then
  es_url="esdb+discover://admin:${es_pw}@es1:2113,es2:2113,es3:2113?tls=true&tlsCAFile=/certs/ca/ca.crt&nodePreference=leader"
  mongo_url="mongodb://crm_app:${mongo_pw}@mongo1:27017,mongo2:27017,mongo3:27017/crm?replicaSet=rs0&authSource=crm&w=majority"
  file=crm_app_env_cluster
else
  es_url="esdb://admin:${es_pw}@eventstore:2113?tls=true&tlsCAFile=/certs/ca/ca.crt"
  mongo_url="mongodb://crm_app:${mongo_pw}@mongo:27017/crm?authSource=crm"
  file=crm_app_env
fi
keep "$file" "$(printf 'EVENTSTORE_URL=%s\nMONGODB_URL=%s\nMONGODB_DB=crm\nCRM_API_KEYS=%s' \
  "$es_url" "$mongo_url" "$(cat secrets/crm_api_keys)")"
