#!/usr/bin/env bash
# Captures real pgoutput messages from a PostgreSQL server for the golden files beside this
# script (see README.md). Not run by the tests: the golden files are checked in.
#
#   tests/data/pgoutput/capture.sh URL > capture.txt
#
# URL is a superuser connection with wal_level=logical (e.g. the one `scripts/pg start`
# prints). The script creates and drops its own tables, publication and slots (all named
# golden_*), and prints one "pgoutput <hex>" line per message, each after a comment with the
# slot's LSN and xid for that message, in three sections:
#   1. proto_version 1, text values: small transactions of every kind;
#   2. proto_version 2, binary values, streaming on, logical_decoding_work_mem at its 64kB
#      minimum: the transactions of section 1 again, then a large committed transaction with
#      a rolled-back savepoint and a large rolled-back one, so both are streamed;
#   3. "copydata <hex>" lines: the raw CopyData messages of START_REPLICATION (built from
#      capture_frames.c, which needs a C compiler and libpq's headers).
# Facts to check the decoded output against independently (xids, oids) are printed as
# comments too.
set -euo pipefail

url="${1:?usage: capture.sh URL}"
q() { psql "${url}" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q <<'SQL'
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
  WHERE slot_name IN ('golden_v1', 'golden_v2');
DROP PUBLICATION IF EXISTS golden_pub;
DROP TABLE IF EXISTS golden_items, golden_full;
DROP TYPE IF EXISTS golden_mood;
SELECT pg_replication_origin_drop('golden_origin')
  FROM pg_replication_origin WHERE roname = 'golden_origin';

CREATE TYPE golden_mood AS ENUM ('sad', 'happy');
CREATE TABLE golden_items (id int PRIMARY KEY, name text, price numeric(10, 2),
                           mood golden_mood, big text, created timestamptz);
-- Out of line and uncompressed, so an UPDATE that leaves it alone sends 'u' (unchanged TOAST).
ALTER TABLE golden_items ALTER COLUMN big SET STORAGE EXTERNAL;
CREATE TABLE golden_full (id int, note varchar(20));
ALTER TABLE golden_full REPLICA IDENTITY FULL;
CREATE PUBLICATION golden_pub FOR TABLE golden_items, golden_full;
SELECT 'slot' FROM pg_create_logical_replication_slot('golden_v1', 'pgoutput');
SELECT 'slot' FROM pg_create_logical_replication_slot('golden_v2', 'pgoutput');
SELECT pg_replication_origin_create('golden_origin');
SQL

echo "# facts: golden_items oid $(q -c "SELECT 'golden_items'::regclass::oid")," \
  "golden_full oid $(q -c "SELECT 'golden_full'::regclass::oid")," \
  "golden_mood oid $(q -c "SELECT 'golden_mood'::regtype::oid")"

# Section 1: one transaction per statement unless BEGIN says otherwise; each prints its xid.
# synchronous_commit: the SQL decoding functions stop at the flushed WAL position, and a test
# cluster may run with asynchronous commits.
q <<'SQL' | sed 's/^/# facts: /'
SET synchronous_commit = on;
BEGIN;
SELECT 'insert xid ' || txid_current();
INSERT INTO golden_items VALUES
  (1, 'apple', 1.50, 'happy', NULL, '2024-01-02 03:04:05.678901+00'),
  (2, NULL, 2.00, 'sad', repeat('x', 2500), NULL);
COMMIT;
BEGIN;
SELECT 'update toast xid ' || txid_current();
UPDATE golden_items SET price = 1.75 WHERE id = 2;
COMMIT;
BEGIN;
SELECT 'update key xid ' || txid_current();
UPDATE golden_items SET id = 3 WHERE id = 1;
DELETE FROM golden_items WHERE id = 3;
COMMIT;
BEGIN;
SELECT 'full xid ' || txid_current();
INSERT INTO golden_full VALUES (7, 'it''s');
UPDATE golden_full SET note = 'new' WHERE id = 7;
DELETE FROM golden_full;
COMMIT;
SELECT 'message lsn ' || pg_logical_emit_message(false, 'nilus', 'non-transactional');
BEGIN;
SELECT 'message xid ' || txid_current();
SELECT 'message lsn ' || pg_logical_emit_message(true, 'nilus', E'\\x00ff'::bytea);
COMMIT;
BEGIN;
SELECT 'truncate xid ' || txid_current();
TRUNCATE golden_full, golden_items RESTART IDENTITY CASCADE;
COMMIT;
SELECT '' FROM pg_replication_origin_session_setup('golden_origin');
BEGIN;
SELECT 'origin xid ' || txid_current();
SELECT '' FROM pg_replication_origin_xact_setup('0/1234ABCD', '2024-01-01 00:00:00+00');
INSERT INTO golden_full VALUES (8, 'from origin');
COMMIT;
SELECT '' FROM pg_replication_origin_session_reset();
SQL

echo "# section 1: proto_version 1, text"
q -F ' ' -c "SELECT '# lsn ' || lsn || ' xid ' || xid, 'pgoutput ' || encode(data, 'hex')
             FROM pg_logical_slot_get_binary_changes('golden_v1', NULL, NULL,
               'proto_version', '1', 'publication_names', 'golden_pub', 'messages', 'true')" |
  sed 's/ pgoutput /\npgoutput /'
q -c "SELECT '' FROM pg_drop_replication_slot('golden_v1')" >/dev/null

# Section 2: large transactions; the decoding session's 64kB work memory makes them stream.
q <<'SQL' | sed 's/^/# facts: /'
SET synchronous_commit = on;
BEGIN;
SELECT 'streamed commit xid ' || txid_current();
INSERT INTO golden_full SELECT g, 'row ' || g FROM generate_series(1, 1500) g;
SAVEPOINT s;
INSERT INTO golden_full SELECT g, 'sub ' || g FROM generate_series(1, 1500) g;
ROLLBACK TO s;
INSERT INTO golden_full VALUES (9999, 'last');
COMMIT;
BEGIN;
SELECT 'streamed abort xid ' || txid_current();
INSERT INTO golden_full SELECT g, 'gone ' || g FROM generate_series(1, 1500) g;
ROLLBACK;
-- Commits are synchronous, aborts are not: a checkpoint flushes the abort record too.
CHECKPOINT;
SQL

echo "# section 2: proto_version 2, binary, streaming"
q -F ' ' <<'SQL' | sed 's/ pgoutput /\npgoutput /'
SET logical_decoding_work_mem = '64kB';
SELECT '# lsn ' || lsn || ' xid ' || xid, 'pgoutput ' || encode(data, 'hex')
  FROM pg_logical_slot_get_binary_changes('golden_v2', NULL, NULL,
    'proto_version', '2', 'publication_names', 'golden_pub', 'binary', 'true',
    'streaming', 'on', 'messages', 'true');
SQL

# Section 3: the CopyData framing of a real START_REPLICATION stream (XLogData and keepalive).
echo "# section 3: START_REPLICATION CopyData, proto_version 1, text"
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
cc -O1 -o "${tmp}/capture_frames" "$(dirname "${BASH_SOURCE[0]}")/capture_frames.c" \
  $(pkg-config --cflags --libs libpq)
"${tmp}/capture_frames" "${url}" golden_frames golden_pub \
  "INSERT INTO golden_items (id, name) VALUES (42, 'framed')"

q <<'SQL'
SELECT '' FROM pg_drop_replication_slot('golden_v2');
SELECT pg_replication_origin_drop('golden_origin');
DROP PUBLICATION golden_pub;
DROP TABLE golden_items, golden_full;
DROP TYPE golden_mood;
SQL
