#!/bin/bash
# Run once by the official mongo image on its first start (/docker-entrypoint-initdb.d), after it created the root
# user from MONGO_INITDB_ROOT_USERNAME / MONGO_INITDB_ROOT_PASSWORD_FILE, while it listens on 127.0.0.1 only.
set -euo pipefail
mongosh --quiet --host 127.0.0.1 \
  --username "$MONGO_INITDB_ROOT_USERNAME" --password "$MONGO_INITDB_ROOT_PASSWORD" \
  --authenticationDatabase admin admin --file /deploy/mongo/app-user.js
