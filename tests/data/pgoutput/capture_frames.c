/* Prints the raw CopyData messages of a real START_REPLICATION stream as "copydata <hex>"
 * lines, for the golden files beside this file; capture.sh builds and runs it. Plain libpq and
 * nothing of Nilus, so the captured bytes do not depend on the code they test.
 *
 *   capture_frames CONNINFO SLOT PUBLICATION SQL
 *
 * CONNINFO must allow replication (replication=database is added). Creates a temporary
 * logical slot, runs SQL on a second, normal connection, then streams (proto_version 1) until
 * it has printed the XLogData message holding the first Commit and at least one keepalive, or
 * 20 seconds passed. Exits non-zero on any error. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(PGconn* conn, const char* what) {
  fprintf(stderr, "capture_frames: %s: %s\n", what, conn ? PQerrorMessage(conn) : "");
  exit(1);
}

static void exec_ok(PGconn* conn, const char* sql, ExecStatusType want) {
  PGresult* res = PQexec(conn, sql);
  if (PQresultStatus(res) != want) die(conn, sql);
  PQclear(res);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: capture_frames CONNINFO SLOT PUBLICATION SQL\n");
    return 2;
  }
  const char* keys[] = {"dbname", "replication", NULL};
  const char* values[] = {argv[1], "database", NULL};
  PGconn* repl = PQconnectdbParams(keys, values, 1);
  if (PQstatus(repl) != CONNECTION_OK) die(repl, "replication connection");
  PGconn* sql = PQconnectdb(argv[1]);
  if (PQstatus(sql) != CONNECTION_OK) die(sql, "connection");

  char cmd[512];
  snprintf(cmd, sizeof cmd, "CREATE_REPLICATION_SLOT %s TEMPORARY LOGICAL pgoutput", argv[2]);
  exec_ok(repl, cmd, PGRES_TUPLES_OK);
  exec_ok(sql, "SET synchronous_commit = on", PGRES_COMMAND_OK);
  exec_ok(sql, argv[4], PGRES_COMMAND_OK);
  snprintf(cmd, sizeof cmd,
           "START_REPLICATION SLOT %s LOGICAL 0/0 (proto_version '1', publication_names '%s')",
           argv[2], argv[3]);
  exec_ok(repl, cmd, PGRES_COPY_BOTH);

  int seen_commit = 0, seen_keepalive = 0;
  time_t start = time(NULL);
  while (!(seen_commit && seen_keepalive) && time(NULL) - start < 20) {
    char* buf = NULL;
    int len = PQgetCopyData(repl, &buf, 1);
    if (len == 0) {
      struct timespec pause = {0, 10 * 1000 * 1000};
      nanosleep(&pause, NULL);
      if (!PQconsumeInput(repl)) die(repl, "read");
      continue;
    }
    if (len < 0) die(repl, "stream ended");
    printf("copydata ");
    for (int i = 0; i < len; ++i) printf("%02x", (unsigned char)buf[i]);
    printf("\n");
    if (buf[0] == 'k') seen_keepalive = 1;
    /* XLogData: 'w' and three Int64s, then the pgoutput message. */
    if (buf[0] == 'w' && len > 25 && buf[25] == 'C') seen_commit = 1;
    PQfreemem(buf);
  }
  if (!(seen_commit && seen_keepalive)) {
    fprintf(stderr, "capture_frames: no commit and keepalive within 20 seconds\n");
    return 1;
  }
  PQfinish(repl);
  PQfinish(sql);
  return 0;
}
