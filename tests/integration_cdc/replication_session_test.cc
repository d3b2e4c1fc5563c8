// CDC integration tier: ReplicationSession against the PostgreSQL test cluster that scripts/pg
// starts (wal_level=logical, a superuser role with REPLICATION): prerequisite checks,
// publications, slots and their exported snapshot, and the START_REPLICATION stream decoded with
// pgoutput.h.
//
// The cluster's URL comes from NILUS_TEST_PG_URL; scripts/test sets it. Without it every test
// fails, as in tests/integration: a silently skipped tier would look green in CI.
#include "extract/postgres/replication_session.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "extract/postgres/pg_connection.h"
#include "extract/postgres/pgoutput.h"

namespace nilus {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const ::nilus::Status _st = (expr);                       \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st.ToString(); \
  } while (false)

// Names unique to this process (ctest runs each test in its own), so parallel runs and
// leftovers of a crashed run do not collide.
std::string UniqueName(const std::string& stem) {
  static int counter = 0;
  return "nilus_cdc_" + stem + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// `url` as a key=value conninfo string with `overrides` applied: lets a test log in as another
// role, and exercises the conninfo form of ReplicationSession::Open.
std::string ToConninfo(const std::string& url,
                       const std::vector<std::pair<std::string, std::string>>& overrides) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &err);
  if (options == nullptr) {
    PQfreemem(err);
    return "";
  }
  auto quote = [](const std::string& v) {
    std::string q = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') q += '\\';
      q += c;
    }
    return q + "'";
  };
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    std::string value = o->val ? o->val : "";
    for (const auto& [key, v] : overrides) {
      if (key == o->keyword) value = v;
    }
    if (!value.empty()) out += std::string(o->keyword) + "=" + quote(value) + " ";
  }
  PQconninfoFree(options);
  return out;
}

// What a test read from the stream: each XLogData payload decoded, and its type byte.
struct Received {
  std::vector<pgoutput::Msg> msgs;
  std::string types;  // the first byte of each XLogData payload: "BRIIC", ...
  int keepalives = 0;
};

// Reads until `done` holds or `limit` passes, answering keepalives that ask for a reply (the
// server drops a client that stays silent past wal_sender_timeout).
Status ReadUntil(ReplicationSession* session, pgoutput::PgOutputDecoder* decoder, Received* out,
                 const std::function<bool(const Received&)>& done, seconds limit = seconds(15)) {
  const auto deadline = steady_clock::now() + limit;
  while (!done(*out)) {
    if (steady_clock::now() > deadline) {
      return Status::IOError("timed out; payload types so far: '" + out->types + "'");
    }
    NILUS_ASSIGN_OR_RAISE(std::optional<std::string_view> data, session->Read(milliseconds(200)));
    if (!data) continue;
    NILUS_ASSIGN_OR_RAISE(pgoutput::ReplicationMessage message,
                          pgoutput::ParseReplicationMessage(*data));
    if (const auto* k = std::get_if<pgoutput::Keepalive>(&message)) {
      ++out->keepalives;
      if (k->reply_requested) NILUS_RETURN_NOT_OK(session->SendStatus(k->wal_end, 0, 0));
      continue;
    }
    const auto& xlog = std::get<pgoutput::XLogData>(message);
    if (xlog.payload.empty()) return Status::Corruption("empty XLogData payload");
    out->types += xlog.payload[0];
    NILUS_ASSIGN_OR_RAISE(pgoutput::Msg msg, decoder->Decode(xlog.payload));
    out->msgs.push_back(std::move(msg));
  }
  return Status::OK();
}

bool EndsWithCommit(const Received& r) {
  return !r.msgs.empty() && std::holds_alternative<pgoutput::Commit>(r.msgs.back());
}

int ExpectedProtoVersion(int server_version_num) {
  if (server_version_num >= 160000) return 4;
  if (server_version_num >= 150000) return 3;
  if (server_version_num >= 140000) return 2;
  return 1;
}

class ReplicationSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("NILUS_TEST_PG_URL");
    ASSERT_TRUE(url != nullptr && *url != '\0')
        << "NILUS_TEST_PG_URL is not set. Run scripts/test, which starts a PostgreSQL test "
           "cluster and sets it, or run `export NILUS_TEST_PG_URL=$(scripts/pg start)` first.";
    url_ = url;
    Result<std::unique_ptr<PgConnection>> sql = PgConnection::Open(url_);
    ASSERT_TRUE(sql.ok()) << sql.status().ToString();
    sql_ = std::move(*sql);
  }

  // Best effort: a failed test must not leave a slot behind, which would hold WAL forever.
  void TearDown() override {
    if (!sql_) return;
    for (const std::string& slot : slots_) DropSlotEventually(slot);
    for (const std::string& pub : publications_)
      (void)sql_->Exec("DROP PUBLICATION IF EXISTS " + pub);
    for (const std::string& table : tables_) (void)sql_->Exec("DROP TABLE IF EXISTS " + table);
    for (const std::string& role : roles_) (void)sql_->Exec("DROP ROLE IF EXISTS " + role);
  }

  // A walsender whose client went away may hold its slot for a moment.
  void DropSlotEventually(const std::string& slot) {
    const auto deadline = steady_clock::now() + seconds(10);
    while (steady_clock::now() < deadline) {
      Result<PgRows> rows =
          sql_->Query("SELECT active FROM pg_replication_slots WHERE slot_name = $1", {slot});
      if (!rows.ok() || rows->num_rows() == 0) return;
      if (rows->Get(0, 0) == "f") {
        (void)sql_->Query("SELECT pg_drop_replication_slot($1)", {slot});
        return;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
  }

  std::unique_ptr<ReplicationSession> OpenSession() {
    Result<std::unique_ptr<ReplicationSession>> s = ReplicationSession::Open(url_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Creates public.<unique name> with `definition` ("(id int PRIMARY KEY)") and returns the
  // unqualified name.
  std::string MakeTable(const std::string& stem, const std::string& definition) {
    std::string name = UniqueName(stem);
    tables_.push_back(name);
    Status st = sql_->Exec("CREATE TABLE public." + name + " " + definition);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return name;
  }
  std::string SlotName(const std::string& stem) {
    slots_.push_back(UniqueName(stem));
    return slots_.back();
  }
  std::string PublicationName(const std::string& stem) {
    publications_.push_back(UniqueName(stem));
    return publications_.back();
  }

  // The single cell `sql` returns, "" on error (the test then fails).
  std::string Scalar(const std::string& sql,
                     const std::vector<std::optional<std::string>>& p = {}) {
    Result<PgRows> rows = sql_->Query(sql, p);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->num_rows() != 1) return "";
    return std::string(rows->Get(0, 0));
  }

  std::string url_;
  std::unique_ptr<PgConnection> sql_;
  std::vector<std::string> slots_, publications_, tables_, roles_;
};

TEST_F(ReplicationSessionTest, IdentifySystem) {
  auto s = OpenSession();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->server_version_num(), std::stoi(Scalar("SHOW server_version_num")));
  EXPECT_NE(s->description().find(Scalar("SELECT current_database()")), std::string::npos);

  Result<PgSystemInfo> info = s->IdentifySystem();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->system_id, Scalar("SELECT system_identifier::text FROM pg_control_system()"));
  EXPECT_GE(info->timeline, 1);
  EXPECT_EQ(info->dbname, Scalar("SELECT current_database()"));
  Result<Lsn> now = ParseLsn(Scalar("SELECT pg_current_wal_lsn()"));
  ASSERT_TRUE(now.ok());
  EXPECT_GT(info->xlog_pos, 0u);
  EXPECT_LE(info->xlog_pos, *now);
}

TEST_F(ReplicationSessionTest, OpenAcceptsKeyValueConninfo) {
  const std::string conninfo = ToConninfo(url_, {});
  ASSERT_FALSE(conninfo.empty());
  Result<std::unique_ptr<ReplicationSession>> s = ReplicationSession::Open(conninfo);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Result<PgSystemInfo> info = (*s)->IdentifySystem();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_FALSE(info->dbname.empty());  // a logical walsender is bound to a database
}

TEST_F(ReplicationSessionTest, OpenRefusesRoleWithoutReplicationAndHidesPassword) {
  const std::string role = UniqueName("norepl");
  roles_.push_back(role);
  ASSERT_OK(sql_->Exec("CREATE ROLE " + role + " LOGIN PASSWORD 'Sekr1t-pw'"));
  // The cluster trusts loopback, so the password is only there to prove it is never echoed.
  const std::string conninfo = ToConninfo(url_, {{"user", role}, {"password", "Sekr1t-pw"}});
  Result<std::unique_ptr<ReplicationSession>> s = ReplicationSession::Open(conninfo);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIOError) << s.status().ToString();
  EXPECT_FALSE(s.status().retryable());
  EXPECT_NE(s.status().message().find("REPLICATION"), std::string::npos) << s.status().ToString();
  EXPECT_NE(s.status().message().find(role), std::string::npos) << s.status().ToString();
  EXPECT_EQ(s.status().message().find("Sekr1t-pw"), std::string::npos) << s.status().ToString();
}

TEST_F(ReplicationSessionTest, CheckPrerequisitesDescribesTables) {
  const std::string with_pk = MakeTable("pk", "(a int, b text, c int, PRIMARY KEY (c, a))");
  const std::string no_pk = MakeTable("logs", "(at timestamptz, line text)");
  const std::string full = MakeTable("full", "(x int, y text)");
  ASSERT_OK(sql_->Exec("ALTER TABLE public." + full + " REPLICA IDENTITY FULL"));
  const std::string by_index = MakeTable("idx", "(id int NOT NULL, v text)");
  ASSERT_OK(sql_->Exec("CREATE UNIQUE INDEX " + by_index + "_u ON public." + by_index + " (id)"));
  ASSERT_OK(sql_->Exec("ALTER TABLE public." + by_index + " REPLICA IDENTITY USING INDEX " +
                       by_index + "_u"));
  const std::string nothing = MakeTable("nothing", "(id int PRIMARY KEY)");
  ASSERT_OK(sql_->Exec("ALTER TABLE public." + nothing + " REPLICA IDENTITY NOTHING"));

  auto s = OpenSession();
  ASSERT_NE(s, nullptr);
  // `no_pk` unqualified: a bare name means the public schema.
  Result<PgCdcPrerequisites> report = s->CheckPrerequisites(
      {"public." + with_pk, no_pk, "public." + full, "public." + by_index, "public." + nothing});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->server_version_num, s->server_version_num());
  EXPECT_GT(report->max_replication_slots, 0);
  EXPECT_GE(report->replication_slots_used, 0);
  ASSERT_EQ(report->tables.size(), 5u);

  const PgCdcTableInfo& pk = report->tables[0];
  EXPECT_EQ(pk.qualified_name, "public." + with_pk);
  EXPECT_EQ(std::to_string(pk.oid), Scalar("SELECT 'public." + with_pk + "'::regclass::oid"));
  EXPECT_EQ(pk.replica_identity, 'd');
  EXPECT_EQ(pk.primary_key, (std::vector<std::string>{"c", "a"}));  // the key's order
  EXPECT_EQ(pk.identity_columns, pk.primary_key);
  EXPECT_TRUE(pk.mirrorable);
  EXPECT_TRUE(pk.note.empty()) << pk.note;

  const PgCdcTableInfo& logs = report->tables[1];
  EXPECT_EQ(logs.qualified_name, "public." + no_pk);
  EXPECT_EQ(logs.replica_identity, 'd');
  EXPECT_TRUE(logs.primary_key.empty());
  EXPECT_FALSE(logs.mirrorable);
  EXPECT_NE(logs.note.find("no primary key"), std::string::npos) << logs.note;
  EXPECT_NE(logs.note.find("ALTER TABLE public." + no_pk + " REPLICA IDENTITY FULL"),
            std::string::npos)
      << logs.note;

  const PgCdcTableInfo& f = report->tables[2];
  EXPECT_EQ(f.replica_identity, 'f');
  EXPECT_TRUE(f.mirrorable);
  EXPECT_TRUE(f.primary_key.empty());
  EXPECT_TRUE(f.identity_columns.empty());

  const PgCdcTableInfo& idx = report->tables[3];
  EXPECT_EQ(idx.replica_identity, 'i');
  EXPECT_TRUE(idx.mirrorable);
  EXPECT_TRUE(idx.primary_key.empty());
  EXPECT_EQ(idx.identity_columns, (std::vector<std::string>{"id"}));

  const PgCdcTableInfo& n = report->tables[4];
  EXPECT_EQ(n.replica_identity, 'n');
  EXPECT_FALSE(n.mirrorable);
  EXPECT_EQ(n.primary_key, (std::vector<std::string>{"id"}));
  EXPECT_NE(n.note.find("REPLICA IDENTITY DEFAULT"), std::string::npos) << n.note;
}

TEST_F(ReplicationSessionTest, CheckPrerequisitesNamesMissingTable) {
  const std::string present = MakeTable("present", "(id int PRIMARY KEY)");
  auto s = OpenSession();
  ASSERT_NE(s, nullptr);
  const std::string missing = UniqueName("missing");
  Result<PgCdcPrerequisites> report =
      s->CheckPrerequisites({present, "public." + missing, "nosuchschema.t"});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kNotFound);
  EXPECT_NE(report.status().message().find("public." + missing), std::string::npos)
      << report.status().ToString();
  EXPECT_NE(report.status().message().find("nosuchschema.t"), std::string::npos)
      << report.status().ToString();
  EXPECT_EQ(report.status().message().find(present), std::string::npos)
      << report.status().ToString();
}

TEST_F(ReplicationSessionTest, EnsurePublicationCreatesThenAddsTables) {
  const std::string a = MakeTable("pub_a", "(id int PRIMARY KEY)");
  const std::string b = MakeTable("pub_b", "(line text)");
  const std::string pub = PublicationName("pub");
  auto s = OpenSession();
  ASSERT_NE(s, nullptr);
  const std::string count_sql =
      "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables "
      "WHERE pubname = $1";

  ASSERT_OK(s->EnsurePublication(pub, {"public." + a}));
  EXPECT_EQ(Scalar(count_sql, {pub}), a);
  ASSERT_OK(s->EnsurePublication(pub, {"public." + a, b}));
  EXPECT_EQ(Scalar(count_sql, {pub}), a + "," + b);
  ASSERT_OK(s->EnsurePublication(pub, {b}));  // never removes a table
  EXPECT_EQ(Scalar(count_sql, {pub}), a + "," + b);

  // Why CheckPrerequisites warns about tables without a replica identity: once published,
  // PostgreSQL refuses UPDATE and DELETE on them.
  Status update = sql_->Exec("UPDATE public." + b + " SET line = 'x'");
  EXPECT_FALSE(update.ok());
  EXPECT_NE(update.message().find("replica identity"), std::string::npos) << update.ToString();

  Status missing = s->EnsurePublication(pub, {"public." + UniqueName("absent")});
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
}

TEST_F(ReplicationSessionTest, CreatedSlotExportsSnapshotAtCreation) {
  const std::string table = MakeTable("snap", "(id int PRIMARY KEY)");
  ASSERT_OK(sql_->Exec("INSERT INTO public." + table + " SELECT generate_series(1, 3)"));
  const std::string slot = SlotName("snap");
  auto s = OpenSession();
  ASSERT_NE(s, nullptr);

  Result<PgCreatedSlot> created = s->CreateSlot(slot);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_GT(created->consistent_point, 0u);
  ASSERT_FALSE(created->snapshot_name.empty());

  // Rows committed after the slot's consistent point are not in the snapshot.
  ASSERT_OK(sql_->Exec("INSERT INTO public." + table + " VALUES (4), (5)"));
  Result<std::unique_ptr<PgConnection>> copier = PgConnection::Open(url_);
  ASSERT_TRUE(copier.ok()) << copier.status().ToString();
  ASSERT_OK((*copier)->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  Result<std::string> snap = (*copier)->QuoteLiteral(created->snapshot_name);
  ASSERT_TRUE(snap.ok());
  ASSERT_OK((*copier)->Exec("SET TRANSACTION SNAPSHOT " + *snap));
  Result<PgRows> rows =
      (*copier)->Query("SELECT string_agg(id::text, ',' ORDER BY id) FROM public." + table);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), "1,2,3");
  ASSERT_OK((*copier)->Exec("COMMIT"));

  Result<std::optional<PgSlotInfo>> info = s->GetSlot(slot);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(info->has_value());
  const PgSlotInfo& got = **info;
  EXPECT_EQ(got.name, slot);
  EXPECT_EQ(got.plugin, "pgoutput");
  EXPECT_EQ(got.database, Scalar("SELECT current_database()"));
  EXPECT_FALSE(got.active);
  EXPECT_EQ(got.confirmed_flush_lsn, created->consistent_point);
  EXPECT_GT(got.restart_lsn, 0u);
  EXPECT_LE(got.restart_lsn, got.confirmed_flush_lsn);
  EXPECT_EQ(got.wal_status, "reserved");
  EXPECT_FALSE(got.invalidated);

  Result<PgCreatedSlot> again = s->CreateSlot(slot);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists) << again.status().ToString();

  ASSERT_OK(s->DropSlot(slot));
  Result<std::optional<PgSlotInfo>> gone = s->GetSlot(slot);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_FALSE(gone->has_value());
  ASSERT_OK(s->DropSlot(slot));  // dropping a missing slot is fine
}

TEST_F(ReplicationSessionTest, GetSlotRejectsForeignSlots) {
  auto s = OpenSession();
  ASSERT_NE(s, nullptr);
  Result<std::optional<PgSlotInfo>> none = s->GetSlot(UniqueName("never"));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());

  const std::string other_plugin = SlotName("testdec");
  ASSERT_OK(
      sql_->Query("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", {other_plugin})
          .status());
  Result<std::optional<PgSlotInfo>> got = s->GetSlot(other_plugin);
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << got.status().ToString();
  EXPECT_NE(got.status().message().find("test_decoding"), std::string::npos);

  const std::string physical = SlotName("phys");
  ASSERT_OK(sql_->Query("SELECT pg_create_physical_replication_slot($1)", {physical}).status());
  got = s->GetSlot(physical);
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << got.status().ToString();
  EXPECT_NE(got.status().message().find("physical"), std::string::npos);
}

TEST_F(ReplicationSessionTest, RejectsBadSlotNamesAndOptions) {
  auto s = OpenSession();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->CreateSlot("Bad-Name").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->DropSlot("x; DROP TABLE y").code(), StatusCode::kInvalidArgument);

  const std::string slot = SlotName("opts");
  const std::string pub = PublicationName("opts");
  ASSERT_OK(s->EnsurePublication(pub, {}));
  Status st = s->StartReplication({.slot = slot, .publication = pub});
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();  // no such slot yet

  ASSERT_TRUE(s->CreateSlot(slot).ok());
  // A missing publication is reported at once, not at the first change.
  st = s->StartReplication({.slot = slot, .publication = UniqueName("nopub")});
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  st = s->StartReplication({.slot = slot, .publication = pub, .proto_version = 9});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(s->Read(milliseconds(0)).status().code(), StatusCode::kInvalidArgument);

  // An older protocol on request; streaming needs version 2, so it is dropped.
  ASSERT_OK(s->StartReplication({.slot = slot, .publication = pub, .proto_version = 1}));
  EXPECT_EQ(s->proto_version(), 1);
  EXPECT_FALSE(s->streams_transactions());
  ASSERT_OK(s->EndStream());
  EXPECT_EQ(s->SendStatus(1, 1, 1).code(), StatusCode::kInvalidArgument);
  ASSERT_OK(s->EndStream());  // not streaming: nothing to end
  ASSERT_OK(s->DropSlot(slot));
}

TEST_F(ReplicationSessionTest, StreamsTransactionsAndConfirmsFlush) {
  const std::string table = MakeTable("stream", "(id int PRIMARY KEY, name text)");
  const std::string pub = PublicationName("stream");
  const std::string slot = SlotName("stream");
  auto s = OpenSession();
  ASSERT_NE(s, nullptr);
  ASSERT_OK(s->EnsurePublication(pub, {table}));
  Result<PgCreatedSlot> created = s->CreateSlot(slot);
  ASSERT_TRUE(created.ok()) << created.status().ToString();

  ASSERT_OK(sql_->Exec("INSERT INTO public." + table + " VALUES (1, 'one'), (2, 'two')"));
  ASSERT_OK(s->StartReplication(
      {.slot = slot, .start_lsn = created->consistent_point, .publication = pub}));
  EXPECT_EQ(s->proto_version(), ExpectedProtoVersion(s->server_version_num()));
  EXPECT_EQ(s->binary(), s->server_version_num() >= 140000);
  EXPECT_EQ(s->streams_transactions(), s->proto_version() >= 2);

  // While streaming, only Read, SendStatus and EndStream may be called.
  EXPECT_EQ(s->GetSlot(slot).status().code(), StatusCode::kInvalidArgument);

  pgoutput::PgOutputDecoder decoder(s->proto_version());
  Received got;
  ASSERT_OK(ReadUntil(s.get(), &decoder, &got, EndsWithCommit));
  EXPECT_EQ(got.types, "BRIIC");
  const auto& begin = std::get<pgoutput::Begin>(got.msgs.front());
  const auto& relation = std::get<pgoutput::Relation>(got.msgs[1]);
  EXPECT_EQ(relation.name, table);
  EXPECT_EQ(relation.schema, "public");
  ASSERT_EQ(relation.columns.size(), 2u);
  EXPECT_TRUE(relation.columns[0].is_key);
  const auto& insert = std::get<pgoutput::Insert>(got.msgs[2]);
  EXPECT_EQ(insert.relation_oid, relation.oid);
  ASSERT_EQ(insert.new_tuple.values.size(), 2u);
  if (s->binary()) {
    EXPECT_EQ(insert.new_tuple.values[0].kind, pgoutput::TupleValue::Kind::kBinary);
    EXPECT_EQ(insert.new_tuple.ValueBytes(0), std::string("\0\0\0\1", 4));  // int4 send format
  }
  EXPECT_EQ(insert.new_tuple.ValueBytes(1), "one");
  const auto& commit = std::get<pgoutput::Commit>(got.msgs.back());
  EXPECT_EQ(commit.commit_lsn, begin.final_lsn);
  EXPECT_GT(commit.end_lsn, created->consistent_point);

  ASSERT_OK(s->SendStatus(commit.end_lsn, commit.end_lsn, commit.end_lsn));
  ASSERT_OK(s->EndStream());
  // The session takes commands again, and the server kept the feedback.
  Result<std::optional<PgSlotInfo>> info = s->GetSlot(slot);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->confirmed_flush_lsn, commit.end_lsn)
      << LsnToString((*info)->confirmed_flush_lsn) << " vs " << LsnToString(commit.end_lsn);
  EXPECT_FALSE((*info)->active);
  ASSERT_OK(s->DropSlot(slot));
}

TEST_F(ReplicationSessionTest, ResumesFromConfirmedFlushAfterClose) {
  const std::string table = MakeTable("resume", "(id int PRIMARY KEY)");
  const std::string pub = PublicationName("resume");
  const std::string slot = SlotName("resume");
  {
    auto s = OpenSession();
    ASSERT_NE(s, nullptr);
    ASSERT_OK(s->EnsurePublication(pub, {table}));
    ASSERT_TRUE(s->CreateSlot(slot).ok());
    ASSERT_OK(sql_->Exec("INSERT INTO public." + table + " VALUES (1)"));
    ASSERT_OK(s->StartReplication({.slot = slot, .publication = pub}));  // from the slot
    pgoutput::PgOutputDecoder decoder(s->proto_version());
    Received got;
    ASSERT_OK(ReadUntil(s.get(), &decoder, &got, EndsWithCommit));
    const Lsn end = std::get<pgoutput::Commit>(got.msgs.back()).end_lsn;
    ASSERT_OK(s->SendStatus(end, end, end));
    // Closed without EndStream, as a crashing process would.
  }
  ASSERT_OK(sql_->Exec("INSERT INTO public." + table + " VALUES (2)"));

  auto s = OpenSession();
  ASSERT_NE(s, nullptr);
  // The old walsender may not have noticed yet that its client is gone: retryable.
  Status st;
  const auto deadline = steady_clock::now() + seconds(10);
  do {
    st = s->StartReplication({.slot = slot, .publication = pub});
    if (st.ok() || !st.retryable()) break;
    std::this_thread::sleep_for(milliseconds(100));
  } while (steady_clock::now() < deadline);
  ASSERT_OK(st);
  pgoutput::PgOutputDecoder decoder(s->proto_version());
  Received got;
  ASSERT_OK(ReadUntil(s.get(), &decoder, &got, EndsWithCommit));
  // Only the second transaction: the first was confirmed before the close.
  EXPECT_EQ(got.types, "BRIC");
  const auto& insert = std::get<pgoutput::Insert>(got.msgs[2]);
  if (s->binary()) {
    EXPECT_EQ(insert.new_tuple.ValueBytes(0), std::string("\0\0\0\2", 4));
  }
  ASSERT_OK(s->EndStream());
}

TEST_F(ReplicationSessionTest, ServerAnswersReplyRequestWithKeepalive) {
  const std::string pub = PublicationName("keepalive");
  const std::string slot = SlotName("keepalive");
  auto s = OpenSession();
  ASSERT_NE(s, nullptr);
  ASSERT_OK(s->EnsurePublication(pub, {}));
  ASSERT_TRUE(s->CreateSlot(slot).ok());
  ASSERT_OK(s->StartReplication({.slot = slot, .publication = pub}));
  Result<std::optional<std::string_view>> first = s->Read(milliseconds(0));  // does not wait
  EXPECT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_OK(s->SendStatus(0, 0, 0, /*reply_requested=*/true));
  pgoutput::PgOutputDecoder decoder(s->proto_version());
  Received got;
  ASSERT_OK(ReadUntil(
      s.get(), &decoder, &got, [](const Received& r) { return r.keepalives > 0; }, seconds(5)));
  EXPECT_TRUE(got.msgs.empty());
  ASSERT_OK(s->EndStream());
  ASSERT_OK(s->DropSlot(slot));
}

TEST_F(ReplicationSessionTest, TerminatedWalsenderIsRetryable) {
  const std::string pub = PublicationName("term");
  const std::string slot = SlotName("term");
  auto s = OpenSession();
  ASSERT_NE(s, nullptr);
  ASSERT_OK(s->EnsurePublication(pub, {}));
  ASSERT_TRUE(s->CreateSlot(slot).ok());
  ASSERT_OK(s->StartReplication({.slot = slot, .publication = pub}));
  EXPECT_EQ(Scalar("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                   "WHERE slot_name = $1",
                   {slot}),
            "t");

  Status st;
  const auto deadline = steady_clock::now() + seconds(10);
  while (st.ok() && steady_clock::now() < deadline) {
    Result<std::optional<std::string_view>> r = s->Read(milliseconds(200));
    st = r.status();
  }
  ASSERT_FALSE(st.ok()) << "Read kept succeeding after pg_terminate_backend";
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_TRUE(st.retryable());
  EXPECT_NE(st.message().find("terminating connection"), std::string::npos) << st.ToString();
  // The stream is over: Read says so, EndStream has nothing left to do.
  EXPECT_EQ(s->Read(milliseconds(0)).status().code(), StatusCode::kInvalidArgument);
  Status end = s->EndStream();
  EXPECT_TRUE(end.ok()) << end.ToString();
}

}  // namespace
}  // namespace nilus
