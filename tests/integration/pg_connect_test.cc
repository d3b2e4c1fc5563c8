// Integration tier: the PostgreSQL test cluster started by scripts/pg is reachable through libpq
// and configured the way the extract and CDC code need it (PostgreSQL 15, wal_level=logical, a
// role that may create pgoutput slots).
//
// The cluster's URL comes from NILUS_TEST_PG_URL; scripts/test sets it. Without it every test
// here fails (on purpose: a silently skipped tier would look green in CI).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace nilus {
namespace {

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultClearer {
  void operator()(PGresult* res) const { PQclear(res); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultClearer>;

// A result's cells in text format, with a separate null flag per cell.
struct Rows {
  std::vector<std::vector<std::string>> values;
  std::vector<std::vector<bool>> is_null;
};

// Opens a connection. With `replication` set, opens a logical replication connection
// (replication=database), the kind the CDC reader uses.
Result<ConnPtr> Connect(const std::string& url, bool replication = false) {
  const char* keys[] = {"dbname", replication ? "replication" : nullptr, nullptr};
  const char* values[] = {url.c_str(), replication ? "database" : nullptr, nullptr};
  ConnPtr conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (conn == nullptr) return Status::Internal("libpq could not allocate a connection");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::Unavailable("connecting to " + url + ": " + PQerrorMessage(conn.get()));
  }
  return conn;
}

Rows ToRows(const PGresult* res) {
  Rows rows;
  for (int r = 0; r < PQntuples(res); ++r) {
    rows.values.emplace_back();
    rows.is_null.emplace_back();
    for (int c = 0; c < PQnfields(res); ++c) {
      rows.values.back().emplace_back(PQgetvalue(res, r, c));
      rows.is_null.back().push_back(PQgetisnull(res, r, c) == 1);
    }
  }
  return rows;
}

Result<Rows> Check(PgResultPtr res, const std::string& what) {
  const ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    return Status::IOError(what + ": " + PQresultErrorMessage(res.get()));
  }
  return ToRows(res.get());
}

// Runs SQL with optional text parameters (nullptr = NULL) and returns the rows it produced.
Result<Rows> Query(PGconn* conn, const std::string& sql,
                   const std::vector<const char*>& params = {}) {
  return Check(PgResultPtr(PQexecParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                        params.data(), nullptr, nullptr,
                                        /*resultFormat=*/0)),
               sql);
}

// Runs a command on a replication connection, which accepts only the simple query protocol.
Result<Rows> ReplicationCommand(PGconn* conn, const std::string& command) {
  return Check(PgResultPtr(PQexec(conn, command.c_str())), command);
}

// Names unique to this process, so that tests running in parallel do not collide.
std::string UniqueName(const std::string& stem) {
  return "nilus_it_" + stem + "_" + std::to_string(getpid());
}

class PgConnectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("NILUS_TEST_PG_URL");
    ASSERT_TRUE(url != nullptr && *url != '\0')
        << "NILUS_TEST_PG_URL is not set. Run scripts/test, which starts a PostgreSQL test "
           "cluster and sets it, or run `export NILUS_TEST_PG_URL=$(scripts/pg start)` first.";
    url_ = url;
    Result<ConnPtr> conn = Connect(url_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(*conn);
  }

  std::string url_;
  ConnPtr conn_;
};

TEST_F(PgConnectTest, ServerIsPostgres15) {
  Result<Rows> rows = Query(conn_.get(), "SELECT current_setting('server_version_num')::int");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  const int version = std::stoi(rows->values.at(0).at(0));
  EXPECT_GE(version, 150000);
  EXPECT_LT(version, 160000);
  // libpq's view of the same number must agree with the server's.
  EXPECT_EQ(PQserverVersion(conn_.get()), version);
}

TEST_F(PgConnectTest, WalLevelIsLogical) {
  Result<Rows> rows = Query(conn_.get(), "SHOW wal_level");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->values.at(0).at(0), "logical");
}

TEST_F(PgConnectTest, RoleCanCreateAndDropPgoutputSlot) {
  const std::string slot = UniqueName("slot");
  Result<Rows> created =
      Query(conn_.get(), "SELECT slot_name FROM pg_create_logical_replication_slot($1, 'pgoutput')",
            {slot.c_str()});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->values.at(0).at(0), slot);

  Result<Rows> listed =
      Query(conn_.get(), "SELECT plugin, slot_type FROM pg_replication_slots WHERE slot_name = $1",
            {slot.c_str()});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->values.size(), 1u);
  EXPECT_EQ(listed->values[0][0], "pgoutput");
  EXPECT_EQ(listed->values[0][1], "logical");

  Result<Rows> dropped = Query(conn_.get(), "SELECT pg_drop_replication_slot($1)", {slot.c_str()});
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  Result<Rows> left =
      Query(conn_.get(), "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1",
            {slot.c_str()});
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_EQ(left->values.at(0).at(0), "0");
}

// The CDC reader talks the replication protocol, not SQL: check that pg_hba.conf lets a
// replication connection in over loopback and that it can create a pgoutput slot.
TEST_F(PgConnectTest, ReplicationConnectionCreatesPgoutputSlot) {
  Result<ConnPtr> repl = Connect(url_, /*replication=*/true);
  ASSERT_TRUE(repl.ok()) << repl.status().ToString();

  Result<Rows> system = ReplicationCommand(repl->get(), "IDENTIFY_SYSTEM");
  ASSERT_TRUE(system.ok()) << system.status().ToString();
  ASSERT_EQ(system->values.size(), 1u);
  EXPECT_EQ(system->values[0].at(3), "nilus");  // dbname column: logical, so bound to a db

  const std::string slot = UniqueName("repl_slot");
  Result<Rows> created = ReplicationCommand(
      repl->get(), "CREATE_REPLICATION_SLOT " + slot + " LOGICAL pgoutput (SNAPSHOT 'nothing')");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_EQ(created->values.size(), 1u);
  EXPECT_EQ(created->values[0].at(0), slot);
  EXPECT_EQ(created->values[0].at(3), "pgoutput");  // output_plugin

  Result<Rows> dropped = ReplicationCommand(repl->get(), "DROP_REPLICATION_SLOT " + slot);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
}

TEST_F(PgConnectTest, CreateInsertSelectRoundTrip) {
  const std::string table = UniqueName("round_trip");
  Result<Rows> created = Query(conn_.get(), "CREATE TABLE " + table +
                                                " (id int PRIMARY KEY, name text, amount "
                                                "numeric(38, 9), at timestamptz, payload bytea)");
  ASSERT_TRUE(created.ok()) << created.status().ToString();

  // Text parameters cover a 4-byte UTF-8 character, a negative P=38 decimal, microseconds and
  // NULLs; the server must hand back exactly what went in.
  const std::vector<std::vector<const char*>> inserted = {
      {"1", "plain", "123.456000000", "2024-02-29 23:59:59.123456+00", "\\x00ff"},
      {"2", "emoji \xF0\x9F\x98\x80", "-12345678901234567890123456789.123456789",
       "1969-07-20 20:17:40.000001+00", "\\x"},
      {"3", nullptr, nullptr, nullptr, nullptr},
  };
  for (const auto& row : inserted) {
    Result<Rows> ins =
        Query(conn_.get(), "INSERT INTO " + table + " VALUES ($1, $2, $3, $4, $5)", row);
    ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  }

  ASSERT_TRUE(Query(conn_.get(), "SET TIME ZONE 'UTC'").ok());
  Result<Rows> read =
      Query(conn_.get(), "SELECT id, name, amount, at, payload FROM " + table + " ORDER BY id");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->values.size(), inserted.size());
  for (size_t r = 0; r < inserted.size(); ++r) {
    for (size_t c = 0; c < inserted[r].size(); ++c) {
      SCOPED_TRACE("row " + std::to_string(r) + " column " + std::to_string(c));
      if (inserted[r][c] == nullptr) {
        EXPECT_TRUE(read->is_null[r][c]);
      } else {
        EXPECT_FALSE(read->is_null[r][c]);
        EXPECT_EQ(read->values[r][c], inserted[r][c]);
      }
    }
  }

  Result<Rows> dropped = Query(conn_.get(), "DROP TABLE " + table);
  EXPECT_TRUE(dropped.ok()) << dropped.status().ToString();
}

}  // namespace
}  // namespace nilus
