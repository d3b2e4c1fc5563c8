// The binary COPY stream parser, fed hand-built streams (no server needed): valid streams in
// chunks of every size, and corrupt ones, which must fail with Corruption naming the table and
// the byte offset.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "extract/postgres/pg_copy_reader.h"

namespace nilus {
namespace {

struct Stream {
  std::string s;
  Stream& I16(int16_t v) {
    s.push_back(static_cast<char>((v >> 8) & 0xff));
    s.push_back(static_cast<char>(v & 0xff));
    return *this;
  }
  Stream& I32(int32_t v) {
    for (int sh = 24; sh >= 0; sh -= 8) s.push_back(static_cast<char>((v >> sh) & 0xff));
    return *this;
  }
  Stream& Raw(std::string_view r) {
    s.append(r);
    return *this;
  }
  Stream& Header(int32_t flags = 0, std::string_view ext = {}) {
    s.append("PGCOPY\n\xff\r\n", 10);
    s.push_back('\0');
    I32(flags).I32(static_cast<int32_t>(ext.size()));
    return Raw(ext);
  }
  // A tuple (int4 id, text name); name == nullptr is NULL.
  Stream& Row(int32_t id, const char* name) {
    I16(2).I32(4).I32(id);
    if (name == nullptr) return I32(-1);
    return I32(static_cast<int32_t>(std::string_view(name).size())).Raw(name);
  }
  Stream& Trailer() { return I16(-1); }
};

std::vector<std::shared_ptr<const PgValueDecoder>> Decoders() {
  auto id = std::make_shared<PgValueDecoder>();
  id->kind = PgWireKind::kInt4;
  id->target = Type::Int();
  id->column = "id";
  auto name = std::make_shared<PgValueDecoder>();
  name->kind = PgWireKind::kText;
  name->target = Type::String();
  name->column = "name";
  return {id, name};
}

SchemaPtr TestSchema() {
  return std::make_shared<Schema>(
      std::vector<NestedField>{NestedField::Required(1, "id", Type::Int()),
                               NestedField::Optional(2, "name", Type::String())});
}

// Feeds `stream` in chunks of `chunk` bytes and decodes everything; returns the final status.
Status ParseAll(const std::string& stream, size_t chunk, ColumnBatch* batch,
                int64_t* offset = nullptr) {
  PgCopyParser p("public.people", Decoders());
  for (size_t pos = 0; pos < stream.size(); pos += chunk) {
    const size_t n = std::min(chunk, stream.size() - pos);
    p.Feed(reinterpret_cast<const uint8_t*>(stream.data()) + pos, static_cast<int64_t>(n));
    Result<int64_t> rows = p.Decode(batch, 1 << 20, 1 << 30);
    if (!rows.ok()) return rows.status();
  }
  if (offset) *offset = p.stream_offset();
  return p.Finish();
}

TEST(PgCopyParserTest, ValidStreamInEveryChunkSize) {
  Stream s;
  s.Header(0, "xyz")
      .Row(1, "ann")
      .Row(2, nullptr)
      .Row(-7, "")
      .Row(3, "\xc3\xa9t\xc3\xa9")
      .Trailer();
  for (size_t chunk : {1, 2, 3, 5, 7, 19, 64, 100000}) {
    SCOPED_TRACE(chunk);
    ColumnBatch batch(TestSchema());
    ASSERT_TRUE(ParseAll(s.s, chunk, &batch).ok());
    ASSERT_EQ(batch.num_rows(), 4);
    ASSERT_TRUE(batch.Validate().ok());
    EXPECT_EQ(batch.column(0).Value<int32_t>(0), 1);
    EXPECT_EQ(batch.column(0).Value<int32_t>(2), -7);
    EXPECT_EQ(batch.column(1).Bytes(0), "ann");
    EXPECT_TRUE(batch.column(1).IsNull(1));
    EXPECT_TRUE(batch.column(1).IsValid(2));
    EXPECT_EQ(batch.column(1).Bytes(2), "");
    EXPECT_EQ(batch.column(1).Bytes(3), "\xc3\xa9t\xc3\xa9");
  }
}

TEST(PgCopyParserTest, DecodeStopsAtRowAndByteLimits) {
  Stream s;
  s.Header();
  for (int i = 0; i < 10; ++i) s.Row(i, "abcdefgh");
  s.Trailer();
  PgCopyParser p("t", Decoders());
  p.Feed(reinterpret_cast<const uint8_t*>(s.s.data()), static_cast<int64_t>(s.s.size()));
  ColumnBatch a(TestSchema());
  Result<int64_t> n = p.Decode(&a, 3, 1 << 30);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  ColumnBatch b(TestSchema());
  n = p.Decode(&b, 100, 1);  // one row at least reaches one byte
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(b.column(0).Value<int32_t>(0), 3);
  ColumnBatch c(TestSchema());
  n = p.Decode(&c, 100, 1 << 30);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6);
  EXPECT_TRUE(p.saw_trailer());
  EXPECT_TRUE(p.Finish().ok());
}

struct BadCase {
  const char* name;
  std::string stream;
  int64_t offset;  // where the problem is
  const char* what;
};

TEST(PgCopyParserTest, CorruptStreamsNameTableAndOffset) {
  const size_t header = 19;
  const size_t row1 = 2 + 8 + 4 + 3;  // Row(1, "ann")
  std::vector<BadCase> cases;
  {
    Stream s;
    s.Raw("PGCOPY\n\xff\r\n").Raw(std::string(1, '\x01')).I32(0).I32(0);
    cases.push_back({"signature", s.s, 0, "signature"});
  }
  {
    Stream s;
    s.Header(1 << 16).Trailer();
    cases.push_back({"oid flag", s.s, 11, "flags"});
  }
  {
    Stream s;
    s.Header().Row(1, "ann").I16(3).I32(4).I32(1).I32(-1).I32(-1).Trailer();
    cases.push_back({"field count", s.s, static_cast<int64_t>(header + row1), "3 fields"});
  }
  {
    Stream s;
    s.Header().Row(1, "ann").I16(2).I32(4).I32(1).I32(-5).Trailer();
    cases.push_back(
        {"field length", s.s, static_cast<int64_t>(header + row1 + 2 + 8), "field length -5"});
  }
  {
    Stream s;
    s.Header().Row(1, "ann").I16(2).I32(3).Raw("abc").I32(-1).Trailer();
    cases.push_back({"int4 of 3 bytes", s.s, static_cast<int64_t>(header + row1 + 2), "int4"});
  }
  {
    Stream s;
    s.Header().Row(1, "ann").Trailer().Raw("junk");
    cases.push_back(
        {"after trailer", s.s, static_cast<int64_t>(header + row1 + 2), "after the COPY trailer"});
  }
  {
    Stream s;
    s.Header().Row(1, "ann").Row(2, "bob");
    s.s.resize(s.s.size() - 2);
    cases.push_back({"truncated tuple", s.s, static_cast<int64_t>(s.s.size()), "inside a tuple"});
  }
  {
    Stream s;
    s.Header().Row(1, "ann");
    cases.push_back({"no trailer", s.s, static_cast<int64_t>(s.s.size()), "without the trailer"});
  }
  {
    Stream s;
    s.Raw("PGCOPY");
    cases.push_back({"short header", s.s, 0, "before header"});
  }
  for (const auto& c : cases) {
    for (size_t chunk : {1, 4096}) {
      SCOPED_TRACE(std::string(c.name) + " chunk " + std::to_string(chunk));
      ColumnBatch batch(TestSchema());
      Status st = ParseAll(c.stream, chunk, &batch);
      ASSERT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
      EXPECT_NE(st.message().find("public.people"), std::string::npos) << st.message();
      EXPECT_NE(st.message().find("byte offset " + std::to_string(c.offset)), std::string::npos)
          << st.message();
      EXPECT_NE(st.message().find(c.what), std::string::npos) << st.message();
    }
  }
}

}  // namespace
}  // namespace nilus
