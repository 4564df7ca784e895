#!/usr/bin/env bash
# init-databases.sh: one database and one login role per Stadskamer service, each role owning
# only its own database and no other role able to connect to it (no domain reads another's).
# Run once by the postgres image on first start (/docker-entrypoint-initdb.d), in compose and
# in the dev overlay. The password of service S comes from PG_PASSWORD_<S> (upper case).
set -euo pipefail

for service in pseudonyms consent contacts complaints surveys audit; do
  variable="PG_PASSWORD_${service^^}"
  password="${!variable:?$variable is required}"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
  echo "created database and role $service"
done
