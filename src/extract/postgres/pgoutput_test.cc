// The pgoutput decoder and the replication framing.
//
// Most cases are golden files in tests/data/pgoutput/ (format in its README.md): hex byte
// streams, hand-made and captured from a real PostgreSQL 15, each followed by the expected
// decoded text or error. PgOutputGolden checks them; PgOutputGoldenProperties checks that no
// proper prefix of a valid message and no message with a byte appended decodes. The live test
// at the end needs NILUS_TEST_PG_URL and skips without it.
#include "extract/postgres/pgoutput.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "extract/postgres/pg_connection.h"

namespace nilus::pgoutput {
namespace {

namespace fs = std::filesystem;

fs::path DataDir() { return fs::path(__FILE__).parent_path() / "../../../tests/data/pgoutput"; }

// ---- Describing decoded messages as one line of text (the golden files' "=" lines) ---------

std::string Escape(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    auto b = static_cast<uint8_t>(c);
    if (b >= 0x20 && b < 0x7f && c != '\'' && c != '\\') {
      out.push_back(c);
    } else {
      out += fmt::format("\\x{:02x}", b);
    }
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  std::string out;
  for (char c : bytes) out += fmt::format("{:02x}", static_cast<uint8_t>(c));
  return out;
}

// Long values are cut to their first 16 bytes and their length, to keep lines readable.
std::string DescribeValue(const Tuple& t, size_t i) {
  const TupleValue& v = t.values[i];
  std::string_view bytes = t.ValueBytes(i);
  std::string_view shown = bytes.substr(0, bytes.size() > 32 ? 16 : bytes.size());
  std::string more = shown.size() < bytes.size() ? fmt::format("...({} bytes)", bytes.size()) : "";
  switch (v.kind) {
    case TupleValue::Kind::kNull:
      return "n";
    case TupleValue::Kind::kUnchanged:
      return "u";
    case TupleValue::Kind::kText:
      return fmt::format("t'{}'{}", Escape(shown), more);
    case TupleValue::Kind::kBinary:
      return fmt::format("b'{}'{}", Hex(shown), more);
  }
  return "?";
}

std::string DescribeTuple(const Tuple& t) {
  std::string out = "(";
  for (size_t i = 0; i < t.values.size(); ++i) {
    if (i > 0) out += ", ";
    out += DescribeValue(t, i);
  }
  return out + ")";
}

// " xid=N" inside a stream, else nothing.
std::string Xid(uint32_t xid) { return xid == 0 ? "" : fmt::format(" xid={}", xid); }

std::string Describe(const Msg& msg) {
  struct Visitor {
    std::string operator()(const Begin& m) {
      return fmt::format("Begin final_lsn={} commit_time_us={} xid={}", LsnToString(m.final_lsn),
                         m.commit_time_us, m.xid);
    }
    std::string operator()(const Commit& m) {
      return fmt::format("Commit flags={} commit_lsn={} end_lsn={} commit_time_us={}", m.flags,
                         LsnToString(m.commit_lsn), LsnToString(m.end_lsn), m.commit_time_us);
    }
    std::string operator()(const Origin& m) {
      return fmt::format("Origin commit_lsn={} name='{}'", LsnToString(m.commit_lsn),
                         Escape(m.name));
    }
    std::string operator()(const Relation& m) {
      std::string cols;
      for (const RelationColumn& c : m.columns) {
        if (!cols.empty()) cols += ", ";
        cols += fmt::format("{}{}:{}:{}", c.is_key ? "*" : "", Escape(c.name), c.type_oid,
                            c.type_modifier);
      }
      return fmt::format("Relation{} oid={} schema='{}' name='{}' replica_identity={} columns=[{}]",
                         Xid(m.xid), m.oid, Escape(m.schema), Escape(m.name), m.replica_identity,
                         cols);
    }
    std::string operator()(const Type& m) {
      return fmt::format("Type{} oid={} schema='{}' name='{}'", Xid(m.xid), m.oid, Escape(m.schema),
                         Escape(m.name));
    }
    std::string operator()(const Insert& m) {
      return fmt::format("Insert{} rel={} new={}", Xid(m.xid), m.relation_oid,
                         DescribeTuple(m.new_tuple));
    }
    std::string operator()(const Update& m) {
      std::string old = m.old_kind == 0 ? ""
                                        : fmt::format(" old_kind={} old={}", m.old_kind,
                                                      DescribeTuple(m.old_tuple));
      return fmt::format("Update{} rel={}{} new={}", Xid(m.xid), m.relation_oid, old,
                         DescribeTuple(m.new_tuple));
    }
    std::string operator()(const Delete& m) {
      return fmt::format("Delete{} rel={} old_kind={} old={}", Xid(m.xid), m.relation_oid,
                         m.old_kind, DescribeTuple(m.old_tuple));
    }
    std::string operator()(const Truncate& m) {
      return fmt::format("Truncate{} options={} rels=[{}]", Xid(m.xid), m.options,
                         fmt::join(m.relation_oids, ", "));
    }
    std::string operator()(const Message& m) {
      return fmt::format("Message{} transactional={} lsn={} prefix='{}' content='{}'", Xid(m.xid),
                         m.transactional ? 1 : 0, LsnToString(m.lsn), Escape(m.prefix),
                         Escape(m.content));
    }
    std::string operator()(const StreamStart& m) {
      return fmt::format("StreamStart xid={} first_segment={}", m.xid, m.first_segment ? 1 : 0);
    }
    std::string operator()(const StreamStop&) { return "StreamStop"; }
    std::string operator()(const StreamCommit& m) {
      return fmt::format("StreamCommit xid={} flags={} commit_lsn={} end_lsn={} commit_time_us={}",
                         m.xid, m.flags, LsnToString(m.commit_lsn), LsnToString(m.end_lsn),
                         m.commit_time_us);
    }
    std::string operator()(const StreamAbort& m) {
      return fmt::format("StreamAbort xid={} subxid={} abort_lsn={} abort_time_us={}", m.xid,
                         m.subxid, LsnToString(m.abort_lsn), m.abort_time_us);
    }
  };
  return std::visit(Visitor{}, msg);
}

// ---- Golden files ----------------------------------------------------------------------------

std::string FromHex(std::string_view hex, bool* ok) {
  std::string out;
  int hi = -1;
  *ok = true;
  for (char c : hex) {
    if (c == ' ') continue;
    int v = std::isxdigit(static_cast<unsigned char>(c)) == 0 ? -1
            : c <= '9'                                        ? c - '0'
                                                              : (std::tolower(c) - 'a' + 10);
    if (v < 0) {
      *ok = false;
      return {};
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0) *ok = false;
  return out;
}

// One input line of a golden file and what it must decode to.
struct GoldenCase {
  int line = 0;
  int proto_version = 1;
  bool copy_data = false;  // "copydata": a CopyData message; else "pgoutput": a payload
  std::string bytes;
  bool expect_ok = true;
  std::string expected;  // the description, or a substring of the error's ToString()
};

// Cases in file order; each case runs on the decoder of the "proto" line before it, after the
// cases before it (so stream state carries over).
std::vector<GoldenCase> LoadGolden(const fs::path& path) {
  std::vector<GoldenCase> cases;
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::string line;
  int line_no = 0;
  int proto = 1;
  bool pending = false;  // the last case still waits for its "=" or "!" line
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto starts = [&](std::string_view p) { return line.rfind(p, 0) == 0; };
    if (pending && !starts("= ") && !starts("! ")) {
      ADD_FAILURE() << path.filename() << ":" << cases.back().line << ": no '=' or '!' line";
      pending = false;
    }
    if (starts("proto ")) {
      proto = std::atoi(line.c_str() + 6);
    } else if (starts("pgoutput ") || starts("copydata ")) {
      GoldenCase c;
      c.line = line_no;
      c.proto_version = proto;
      c.copy_data = starts("copydata ");
      bool ok = false;
      c.bytes = FromHex(std::string_view(line).substr(9), &ok);
      EXPECT_TRUE(ok) << path.filename() << ":" << line_no << ": bad hex";
      cases.push_back(std::move(c));
      pending = true;
    } else if (pending && (starts("= ") || starts("! "))) {
      cases.back().expect_ok = line[0] == '=';
      cases.back().expected = line.substr(2);
      pending = false;
    } else {
      ADD_FAILURE() << path.filename() << ":" << line_no << ": cannot parse: " << line;
    }
  }
  if (pending) ADD_FAILURE() << path.filename() << ": the last case has no '=' or '!' line";
  return cases;
}

// Decodes one case: "<description>" or "error: <status>". A CopyData XLogData's payload goes
// through `decoder` too.
std::pair<bool, std::string> RunCase(const GoldenCase& c, PgOutputDecoder* decoder) {
  if (!c.copy_data) {
    auto msg = decoder->Decode(c.bytes);
    if (!msg.ok()) return {false, msg.status().ToString()};
    return {true, Describe(*msg)};
  }
  auto frame = ParseReplicationMessage(c.bytes);
  if (!frame.ok()) return {false, frame.status().ToString()};
  if (const auto* k = std::get_if<Keepalive>(&*frame)) {
    return {true,
            fmt::format("Keepalive wal_end={} send_time_us={} reply_requested={}",
                        LsnToString(k->wal_end), k->send_time_us, k->reply_requested ? 1 : 0)};
  }
  const auto& w = std::get<XLogData>(*frame);
  std::string head = fmt::format("XLogData wal_start={} wal_end={} send_time_us={}",
                                 LsnToString(w.wal_start), LsnToString(w.wal_end), w.send_time_us);
  auto msg = decoder->Decode(w.payload);
  if (!msg.ok()) return {false, head + " | " + msg.status().ToString()};
  return {true, head + " | " + Describe(*msg)};
}

std::vector<std::string> GoldenFiles() {
  std::vector<std::string> names;
  std::error_code ec;  // a missing folder shows up as no cases, not as an exception
  for (const auto& e : fs::directory_iterator(DataDir(), ec)) {
    if (e.path().extension() == ".txt") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(PgOutput, GoldenFilesArePresent) { EXPECT_GE(GoldenFiles().size(), 5u) << DataDir(); }

class PgOutputGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(PgOutputGolden, DecodesAsExpected) {
  const fs::path path = DataDir() / (GetParam() + ".txt");
  std::vector<GoldenCase> cases = LoadGolden(path);
  ASSERT_FALSE(cases.empty()) << path;
  PgOutputDecoder decoder(1);
  int proto = -1;
  for (const GoldenCase& c : cases) {
    if (c.proto_version != proto) {
      proto = c.proto_version;
      decoder = PgOutputDecoder(proto);
    }
    const bool was_in_stream = decoder.in_stream();
    auto [ok, actual] = RunCase(c, &decoder);
    const std::string where = fmt::format("{}:{}", path.filename().string(), c.line);
    if (c.expected == "?") {
      // A new case whose description is still to be written: show it, to be checked by hand.
      ADD_FAILURE() << where << ": " << (ok ? "= " : "! ") << actual;
    } else if (c.expect_ok) {
      EXPECT_TRUE(ok) << where << ": " << actual;
      EXPECT_EQ(actual, c.expected) << where;
    } else {
      EXPECT_FALSE(ok) << where << ": decoded as " << actual;
      EXPECT_NE(actual.find(c.expected), std::string::npos)
          << where << ": error '" << actual << "' lacks '" << c.expected << "'";
      EXPECT_EQ(decoder.in_stream(), was_in_stream) << where << ": an error changed the state";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(PgOutputFiles, PgOutputGolden, ::testing::ValuesIn(GoldenFiles()),
                         [](const auto& info) { return info.param; });

// Every golden message that decodes must fail when cut short or given one byte more: the
// decoder checks each length against the message. The one exception is the protocol version
// 4 StreamAbort, whose last 16 bytes are optional.
class PgOutputGoldenProperties : public ::testing::TestWithParam<std::string> {};

TEST_P(PgOutputGoldenProperties, PrefixesAndTrailingBytesAreCorrupt) {
  const fs::path path = DataDir() / (GetParam() + ".txt");
  PgOutputDecoder decoder(1);
  int proto = -1;
  int checked = 0;
  for (const GoldenCase& c : LoadGolden(path)) {
    if (c.proto_version != proto) {
      proto = c.proto_version;
      decoder = PgOutputDecoder(proto);
    }
    const PgOutputDecoder before = decoder;
    auto [ok, actual] = RunCase(c, &decoder);
    if (!ok || c.bytes.size() > 4096) continue;  // long values add time, not coverage
    const std::string where = fmt::format("{}:{}", path.filename().string(), c.line);
    const bool optional_tail = !c.copy_data && c.bytes[0] == 'A' && proto >= 4;
    for (size_t n = 0; n < c.bytes.size(); ++n) {
      PgOutputDecoder d = before;
      GoldenCase cut = c;
      cut.bytes.resize(n);
      auto [cut_ok, cut_actual] = RunCase(cut, &d);
      if (optional_tail && n == 9) continue;
      EXPECT_FALSE(cut_ok) << where << ": the first " << n << " bytes decoded as " << cut_actual;
      EXPECT_NE(cut_actual.find("Corruption: "), std::string::npos) << where << ": " << cut_actual;
      EXPECT_EQ(d.in_stream(), before.in_stream()) << where;
    }
    PgOutputDecoder d = before;
    GoldenCase longer = c;
    longer.bytes.push_back('\0');
    auto [long_ok, long_actual] = RunCase(longer, &d);
    EXPECT_FALSE(long_ok) << where << ": decoded with a byte appended as " << long_actual;
    EXPECT_NE(long_actual.find("trailing bytes"), std::string::npos)
        << where << ": " << long_actual;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(PgOutputFiles, PgOutputGoldenProperties,
                         ::testing::ValuesIn(GoldenFiles()),
                         [](const auto& info) { return info.param; });

// ---- Unit tests --------------------------------------------------------------------------------

TEST(PgOutput, EncodeStandbyStatus) {
  // 2024-01-01T00:00:00Z is 1704067200 s since 1970, 757382400 s since 2000.
  std::string bytes = EncodeStandbyStatus(0x0000000100000002ULL, 0x0000000300000004ULL,
                                          0x0000000500000006ULL, 1704067200000000LL, true);
  ASSERT_EQ(bytes.size(), 34u);
  EXPECT_EQ(Hex(bytes),
            "72"                // 'r'
            "0000000100000002"  // written
            "0000000300000004"  // flushed
            "0000000500000006"  // applied
            "0002b0d5d4e94000"  // 757382400000000 us since 2000-01-01
            "01");              // reply requested
  EXPECT_EQ(Hex(EncodeStandbyStatus(0, 0, 0, 946684800000000LL, false)),
            "72" + std::string(64, '0') + "00");
}

TEST(PgOutput, TimesSaturateInsteadOfOverflowing) {
  // A keepalive whose clock is PostgreSQL's +infinity (INT64_MAX).
  auto k = ParseReplicationMessage(
      std::string("k\0\0\0\0\0\0\0\1\x7f\xff\xff\xff\xff\xff\xff\xff\0", 18));
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(std::get<Keepalive>(*k).send_time_us, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(std::get<Keepalive>(*k).wal_end, 1u);
  std::string low = EncodeStandbyStatus(0, 0, 0, std::numeric_limits<int64_t>::min(), false);
  EXPECT_EQ(Hex(low.substr(25, 8)), "8000000000000000");
}

TEST(PgOutput, MsgNameCoversEveryAlternative) {
  EXPECT_EQ(MsgName(Begin{}), "Begin");
  EXPECT_EQ(MsgName(Commit{}), "Commit");
  EXPECT_EQ(MsgName(Origin{}), "Origin");
  EXPECT_EQ(MsgName(Relation{}), "Relation");
  EXPECT_EQ(MsgName(Type{}), "Type");
  EXPECT_EQ(MsgName(Insert{}), "Insert");
  EXPECT_EQ(MsgName(Update{}), "Update");
  EXPECT_EQ(MsgName(Delete{}), "Delete");
  EXPECT_EQ(MsgName(Truncate{}), "Truncate");
  EXPECT_EQ(MsgName(Message{}), "Message");
  EXPECT_EQ(MsgName(StreamStart{}), "StreamStart");
  EXPECT_EQ(MsgName(StreamStop{}), "StreamStop");
  EXPECT_EQ(MsgName(StreamCommit{}), "StreamCommit");
  EXPECT_EQ(MsgName(StreamAbort{}), "StreamAbort");
}

TEST(PgOutput, TupleValuesOwnTheirBytes) {
  PgOutputDecoder decoder(1);
  // Insert into relation 16384: ('ab', NULL, 0x01ff, unchanged).
  std::string payload("I\0\0\x40\0N\0\4t\0\0\0\2abnb\0\0\0\2\x01\xffu", 24);
  auto msg = decoder.Decode(payload);
  payload.assign(payload.size(), 'X');  // the network buffer is reused
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  const Tuple& t = std::get<Insert>(*msg).new_tuple;
  ASSERT_EQ(t.values.size(), 4u);
  EXPECT_EQ(t.ValueBytes(0), "ab");
  EXPECT_EQ(t.values[1].kind, TupleValue::Kind::kNull);
  EXPECT_EQ(t.ValueBytes(2), std::string_view("\x01\xff", 2));
  EXPECT_EQ(t.values[3].kind, TupleValue::Kind::kUnchanged);
  EXPECT_EQ(t.bytes.size(), 4u);
}

TEST(PgOutput, StreamStateDecidesWhetherDmlCarriesAnXid) {
  PgOutputDecoder decoder(2);
  const std::string insert_in_stream("I\0\0\0\x07\0\0\x40\0N\0\0", 12);
  // Outside a stream the xid would be read as the relation oid and the oid's first byte as the
  // 'N' marker.
  auto outside = decoder.Decode(insert_in_stream);
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().code(), StatusCode::kCorruption);
  ASSERT_TRUE(decoder.Decode(std::string("S\0\0\0\x07\x01", 6)).ok());
  EXPECT_TRUE(decoder.in_stream());
  auto inside = decoder.Decode(insert_in_stream);
  ASSERT_TRUE(inside.ok()) << inside.status().ToString();
  EXPECT_EQ(std::get<Insert>(*inside).xid, 7u);
  EXPECT_EQ(std::get<Insert>(*inside).relation_oid, 16384u);
  ASSERT_TRUE(decoder.Decode("E").ok());
  EXPECT_FALSE(decoder.in_stream());
}

TEST(PgOutput, ProtoVersionIsClamped) {
  // A StreamAbort with the 16 version-4 bytes: version 9 decodes them as version 4 does,
  // version 0 as version 1 (where they are trailing bytes).
  std::string abort_v4("A\0\0\0\1\0\0\0\1", 9);
  abort_v4 += std::string(16, '\0');
  auto v9 = PgOutputDecoder(9).Decode(abort_v4);
  ASSERT_TRUE(v9.ok()) << v9.status().ToString();
  EXPECT_EQ(std::get<StreamAbort>(*v9).abort_time_us, 946684800000000LL);
  EXPECT_FALSE(PgOutputDecoder(0).Decode(abort_v4).ok());
}

// Random and mutated bytes: errors, never a crash (the fuzzer goes further; this runs in every
// unit test run, under the sanitizers of a sanitized build).
TEST(PgOutput, RandomBytesNeverCrash) {
  std::mt19937 rng(20240101);
  const std::string alphabet("BCORYIUDTMSEcAkwnutbNKO\0\1\xff", 26);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (char& c : bytes) {
      c = (rng() % 2 == 0) ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng());
    }
    PgOutputDecoder decoder(1 + static_cast<int>(rng() % 4));
    if (rng() % 2 == 0) (void)decoder.Decode(std::string("S\0\0\0\1\1", 6));
    auto msg = decoder.Decode(bytes);
    if (msg.ok()) {
      ++decoded;
      (void)MsgName(*msg);
    } else {
      EXPECT_TRUE(msg.status().code() == StatusCode::kCorruption ||
                  msg.status().code() == StatusCode::kNotImplemented)
          << msg.status().ToString();
    }
    auto frame = ParseReplicationMessage(bytes);
    if (!frame.ok()) {
      EXPECT_EQ(frame.status().code(), StatusCode::kCorruption);
    }
  }
  EXPECT_GT(decoded, 0);
}

// ---- Against a real server (skipped without NILUS_TEST_PG_URL) -------------------------------

// The same messages as the golden captures, fresh from the server under test: whatever
// version it is, its pgoutput output must decode, and the values must be those written.
TEST(PgOutputLive, DecodesWhatTheServerSends) {
  const char* url = std::getenv("NILUS_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    GTEST_SKIP() << "NILUS_TEST_PG_URL is not set; run scripts/test or export "
                    "NILUS_TEST_PG_URL=$(scripts/pg start DIR)";
  }
  auto opened = PgConnection::Open(url);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  PgConnection& conn = **opened;
  ASSERT_TRUE(conn.Exec("SET client_min_messages = warning").ok());
  auto exec = [&](const std::string& sql) {
    Status st = conn.Exec(sql);
    ASSERT_TRUE(st.ok()) << sql << ": " << st.ToString();
  };
  const std::string slot = "nilus_pgoutput_live";
  exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" +
       slot + "'");
  exec("DROP PUBLICATION IF EXISTS nilus_pgoutput_live; DROP TABLE IF EXISTS pgoutput_live");
  exec("CREATE TABLE pgoutput_live (id int PRIMARY KEY, name text, n bigint)");
  exec("CREATE PUBLICATION nilus_pgoutput_live FOR TABLE pgoutput_live");
  exec("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
  exec("SET synchronous_commit = on");
  exec("INSERT INTO pgoutput_live VALUES (1, 'one', 10), (2, NULL, -2)");
  exec("UPDATE pgoutput_live SET n = 11 WHERE id = 1");
  exec("DELETE FROM pgoutput_live WHERE id = 2");

  for (const bool binary : {false, true}) {
    auto rows = conn.Query(
        "SELECT encode(data, 'hex') FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, "
        "'proto_version', '1', 'publication_names', 'nilus_pgoutput_live', 'binary', $2)",
        {slot, binary ? "true" : "false"});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    PgOutputDecoder decoder(1);
    std::vector<std::string> seen;
    for (int r = 0; r < rows->num_rows(); ++r) {
      bool hex_ok = false;
      std::string payload = FromHex(rows->Get(r, 0), &hex_ok);
      ASSERT_TRUE(hex_ok);
      auto msg = decoder.Decode(payload);
      ASSERT_TRUE(msg.ok()) << msg.status().ToString();
      seen.push_back(std::string(MsgName(*msg)));
      if (const auto* ins = std::get_if<Insert>(&*msg)) {
        const Tuple& t = ins->new_tuple;
        ASSERT_EQ(t.values.size(), 3u);
        if (binary) {
          EXPECT_EQ(t.values[0].kind, TupleValue::Kind::kBinary);
          EXPECT_EQ(t.ValueBytes(0).size(), 4u);  // int4 send format
        } else {
          EXPECT_EQ(t.values[0].kind, TupleValue::Kind::kText);
          EXPECT_TRUE(t.ValueBytes(0) == "1" || t.ValueBytes(0) == "2") << t.ValueBytes(0);
        }
      }
      if (const auto* rel = std::get_if<Relation>(&*msg)) {
        EXPECT_EQ(rel->schema, "public");
        EXPECT_EQ(rel->name, "pgoutput_live");
        ASSERT_EQ(rel->columns.size(), 3u);
        EXPECT_TRUE(rel->columns[0].is_key);
        EXPECT_EQ(rel->columns[2].type_oid, 20u);  // int8
      }
    }
    EXPECT_EQ(fmt::format("{}", fmt::join(seen, " ")),
              "Begin Relation Insert Insert Commit Begin Update Commit Begin Delete Commit");
  }
  exec("SELECT pg_drop_replication_slot('" + slot + "')");
  exec("DROP PUBLICATION nilus_pgoutput_live; DROP TABLE pgoutput_live");
}

}  // namespace
}  // namespace nilus::pgoutput
