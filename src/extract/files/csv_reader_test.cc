#include "extract/files/csv_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "storage/memory_file_io.h"

namespace nilus {
namespace {

std::string ReadFixture(const std::string& name) {
  const auto path =
      std::filesystem::path(__FILE__).parent_path() / "../../../tests/data/files" / name;
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

using Cells = std::vector<std::optional<std::string>>;

struct RowOut {
  int64_t line;
  Cells cells;
  bool operator==(const RowOut&) const = default;
};

void PrintTo(const RowOut& r, std::ostream* os) {
  *os << r.line << ":";
  for (const auto& c : r.cells) *os << " [" << (c ? *c : "NULL") << "]";
}

struct CsvOut {
  std::vector<std::string> names;
  std::vector<RowOut> rows;
  std::vector<BadRecord> bad;
  size_t batches = 0;
  int64_t bad_seen = 0;
  size_t peak = 0;
};

Result<CsvOut> ReadAll(FileIO* io, const std::string& path, const CsvReadOptions& options) {
  NILUS_ASSIGN_OR_RAISE(auto reader, CsvFileReader::Open(io, path, options));
  CsvOut out;
  out.names = reader->column_names();
  while (true) {
    NILUS_ASSIGN_OR_RAISE(auto batch, reader->Next());
    if (batch == nullptr) break;
    ++out.batches;
    EXPECT_EQ(batch->source, path);
    EXPECT_EQ(batch->column_names, out.names);
    EXPECT_TRUE(batch->rows() > 0 || !batch->bad_records.empty());
    EXPECT_LE(batch->rows(), options.max_batch_records);
    EXPECT_EQ(batch->cells.size(), batch->rows() * batch->columns());
    EXPECT_EQ(batch->nulls.size(), batch->cells.size());
    for (size_t r = 0; r < batch->rows(); ++r) {
      RowOut row{batch->lines[r], {}};
      for (size_t c = 0; c < batch->columns(); ++c) {
        if (batch->IsNull(r, c)) {
          EXPECT_TRUE(batch->Cell(r, c).empty());
          row.cells.push_back(std::nullopt);
        } else {
          row.cells.push_back(std::string(batch->Cell(r, c)));
        }
      }
      out.rows.push_back(std::move(row));
    }
    for (auto& b : batch->bad_records) out.bad.push_back(b);
  }
  NILUS_ASSIGN_OR_RAISE(auto again, reader->Next());
  EXPECT_EQ(again, nullptr);
  out.bad_seen = reader->bad_records_seen();
  out.peak = reader->peak_buffer_bytes();
  return out;
}

CsvReadOptions WithChunk(size_t chunk) {
  CsvReadOptions o;
  o.chunk_size = chunk;
  return o;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

class CsvReaderTest : public ::testing::Test {
 protected:
  void Put(const std::string& path, const std::string& contents) {
    ASSERT_TRUE(io_.WriteFile(path, contents).ok());
  }
  MemoryFileIO io_;
};

// tests/data/files/quoting.csv, row by row.
std::vector<RowOut> QuotingExpected(const std::string& eol) {
  return {
      {2, {"1", "plain", std::nullopt, "10"}},
      {3, {"2", "quoted, with comma", "say \"hi\"", "20"}},
      {4, {"3", "multi" + eol + "line", "x", "30"}},
      // line 6 is blank
      {7, {"4", "", "   ", "40"}},
      {8, {"5", "a\"\"b", "\"", std::nullopt}},
      {9, {"6", "ok;not a delimiter", "tab\there", "60"}},
  };
}

TEST_F(CsvReaderTest, QuotingFixture) {
  Put("quoting.csv", ReadFixture("quoting.csv"));
  auto out = ReadAll(&io_, "quoting.csv", {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->names, (std::vector<std::string>{"id", "name", "note", "amount"}));
  EXPECT_EQ(out->rows, QuotingExpected("\n"));
}

TEST_F(CsvReaderTest, EveryChunkSizeGivesTheSameRows) {
  const std::string lf = ReadFixture("quoting.csv");
  const std::string crlf = ReplaceAll(lf, "\n", "\r\n");
  const std::string bom = "\xEF\xBB\xBF" + crlf + "\r\n";  // and a final line end
  struct Variant {
    const char* name;
    std::string contents;
    std::string eol;
  };
  for (const Variant& v : {Variant{"lf.csv", lf, "\n"}, Variant{"crlf.csv", crlf, "\r\n"},
                           Variant{"bom.csv", bom, "\r\n"}}) {
    SCOPED_TRACE(v.name);
    Put(v.name, v.contents);
    for (size_t chunk = 1; chunk <= v.contents.size() + 1; ++chunk) {
      SCOPED_TRACE(chunk);
      auto out = ReadAll(&io_, v.name, WithChunk(chunk));
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      EXPECT_EQ(out->names, (std::vector<std::string>{"id", "name", "note", "amount"}));
      EXPECT_EQ(out->rows, QuotingExpected(v.eol));
    }
    CsvReadOptions one;
    one.max_batch_records = 1;
    auto singles = ReadAll(&io_, v.name, one);
    ASSERT_TRUE(singles.ok());
    EXPECT_EQ(singles->rows, QuotingExpected(v.eol));
    EXPECT_EQ(singles->batches, 6u);
  }
}

TEST_F(CsvReaderTest, QuotingEdgeCases) {
  struct Case {
    const char* contents;
    std::vector<RowOut> rows;
  };
  const Case cases[] = {
      // Quoted empty is the empty string; unquoted empty is null; a lone trailing delimiter
      // makes an empty last field.
      {"a,b\n\"\",\n", {{2, {"", std::nullopt}}}},
      // Only doubled quotes.
      {"a,b\n\"\"\"\"\"\",\"\"\"\"\n", {{2, {"\"\"", "\""}}}},
      // Delimiter, CR, LF and CRLF inside quotes.
      {"a,b\n\"x,y\",\"1\r2\n3\r\n4\"\n", {{2, {"x,y", "1\r2\n3\r\n4"}}}},
      // A quote inside an unquoted field is an ordinary character.
      {"a,b\nsay \"hi\",5\"\n", {{2, {"say \"hi\"", "5\""}}}},
      // No line end after the last row; a last row ending in a quoted field.
      {"a,b\n1,2", {{2, {"1", "2"}}}},
      {"a,b\n1,\"2\"", {{2, {"1", "2"}}}},
      {"a,b\r\n1,\"2\"\r\n", {{2, {"1", "2"}}}},
      // A CR not followed by LF inside an unquoted field stays.
      {"a,b\n1\r1,2\n", {{2, {"1\r1", "2"}}}},
      // Blank lines are skipped, including CRLF ones and one at the end.
      {"a,b\n\n1,2\r\n\r\n3,4\n\n", {{3, {"1", "2"}}, {5, {"3", "4"}}}},
      // A quoted field spanning lines moves the line count of later rows.
      {"a,b\n\"x\n\ny\",1\n2,3\n", {{2, {"x\n\ny", "1"}}, {5, {"2", "3"}}}},
      // Spaces are data.
      {"a,b\n \"x\" , y \n", {{2, {" \"x\" ", " y "}}}},
  };
  for (const Case& c : cases) {
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{1000}}) {
      SCOPED_TRACE(testing::PrintToString(std::string(c.contents)) + " chunk " +
                   std::to_string(chunk));
      Put("e.csv", c.contents);
      auto out = ReadAll(&io_, "e.csv", WithChunk(chunk));
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      EXPECT_EQ(out->rows, c.rows);
    }
  }
}

TEST_F(CsvReaderTest, DelimitersQuoteCharAndNulls) {
  for (char delim : {';', '\t', '|'}) {
    std::string contents = "a;b\n1;\"x;y\"\n";
    for (char& ch : contents) {
      if (ch == ';') ch = delim;
    }
    Put("d.csv", contents);
    CsvReadOptions o;
    o.delimiter = delim;
    auto out = ReadAll(&io_, "d.csv", o);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->names, (std::vector<std::string>{"a", "b"}));
    const std::string xy = std::string("x") + delim + "y";
    EXPECT_EQ(out->rows, (std::vector<RowOut>{{2, {"1", xy}}}));
  }
  // Another quote character; '"' is then ordinary.
  Put("q.csv", "a,b\n'it''s, ok',\"x\"\n");
  CsvReadOptions single;
  single.quote = '\'';
  auto out = ReadAll(&io_, "q.csv", single);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->rows, (std::vector<RowOut>{{2, {"it's, ok", "\"x\""}}}));
  // No quoting at all.
  CsvReadOptions none;
  none.quote = '\0';
  Put("n.csv", "a,b\n\"x,y\n");
  out = ReadAll(&io_, "n.csv", none);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->rows, (std::vector<RowOut>{{2, {"\"x", "y"}}}));
  // Empty fields as empty strings.
  CsvReadOptions keep;
  keep.empty_is_null = false;
  Put("k.csv", "a,b\n,\n");
  out = ReadAll(&io_, "k.csv", keep);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->rows, (std::vector<RowOut>{{2, {"", ""}}}));
  // Bad options.
  CsvReadOptions bad;
  bad.delimiter = '"';
  EXPECT_EQ(CsvFileReader::Open(&io_, "k.csv", bad).status().code(), StatusCode::kInvalidArgument);
  bad.delimiter = '\n';
  EXPECT_EQ(CsvFileReader::Open(&io_, "k.csv", bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CsvReaderTest, HeaderOptions) {
  Put("h.csv", "x,,\"y,z\"\n1,2,3\n");
  auto out = ReadAll(&io_, "h.csv", {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->names, (std::vector<std::string>{"x", "column_2", "y,z"}));

  // No header: generated names, the first row is data.
  CsvReadOptions no_header;
  no_header.has_header = false;
  out = ReadAll(&io_, "h.csv", no_header);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->names, (std::vector<std::string>{"column_1", "column_2", "column_3"}));
  EXPECT_EQ(out->rows,
            (std::vector<RowOut>{{1, {"x", std::nullopt, "y,z"}}, {2, {"1", "2", "3"}}}));

  // Given names replace the header row...
  CsvReadOptions given;
  given.column_names = {"p", "q", "r"};
  out = ReadAll(&io_, "h.csv", given);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->names, given.column_names);
  EXPECT_EQ(out->rows, (std::vector<RowOut>{{2, {"1", "2", "3"}}}));
  // ...or name a file without one.
  given.has_header = false;
  out = ReadAll(&io_, "h.csv", given);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->rows.size(), 2u);

  // Duplicates are an error naming both columns.
  Put("dup.csv", "id,name,id\n1,2,3\n");
  auto dup = CsvFileReader::Open(&io_, "dup.csv", {});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "dup.csv:1: duplicate column name 'id' (columns 1 and 3)");
  CsvReadOptions dup_given;
  dup_given.column_names = {"a", "a"};
  EXPECT_FALSE(CsvFileReader::Open(&io_, "h.csv", dup_given).ok());

  // An empty file has no header.
  Put("empty.csv", "");
  auto empty = CsvFileReader::Open(&io_, "empty.csv", {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  // A header and no rows is fine.
  Put("only_header.csv", "a,b\r\n");
  out = ReadAll(&io_, "only_header.csv", {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->rows.empty());
  EXPECT_EQ(out->batches, 0u);
}

TEST_F(CsvReaderTest, SingleColumnKeepsEmptyLines) {
  Put("one.csv", "v\na\n\nb\n");
  auto out = ReadAll(&io_, "one.csv", {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->rows, (std::vector<RowOut>{{2, {"a"}}, {3, {std::nullopt}}, {4, {"b"}}}));
}

const char kBadRows[] =
    "id,a,b,c\n"
    "1,x,y,z\n"
    "2,x,y,z,extra\n"    // line 3: too many
    "3,\"q\nq\",y\n"     // line 4: too few (spans two lines)
    "4,x,y,z\n"          // line 6
    "5,\"x\"junk,y,z\n"  // line 7: text after a closing quote
    "6,x,y,z\r\n";       // line 8

TEST_F(CsvReaderTest, BadRowsFailByDefault) {
  Put("orders.csv", kBadRows);
  auto out = ReadAll(&io_, "orders.csv", WithChunk(4));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "orders.csv:3: 5 fields, expected 4");
}

TEST_F(CsvReaderTest, BadRowsSkippedOrQuarantined) {
  Put("orders.csv", kBadRows);
  const std::vector<RowOut> good = {
      {2, {"1", "x", "y", "z"}}, {6, {"4", "x", "y", "z"}}, {8, {"6", "x", "y", "z"}}};
  for (size_t chunk : {size_t{1}, size_t{4}, size_t{7}, size_t{1000}}) {
    SCOPED_TRACE(chunk);
    CsvReadOptions o;
    o.chunk_size = chunk;
    o.on_bad_row = OnBadRow::kSkip;
    auto skipped = ReadAll(&io_, "orders.csv", o);
    ASSERT_TRUE(skipped.ok()) << skipped.status().ToString();
    EXPECT_EQ(skipped->rows, good);
    EXPECT_TRUE(skipped->bad.empty());
    EXPECT_EQ(skipped->bad_seen, 3);

    o.on_bad_row = OnBadRow::kQuarantine;
    auto q = ReadAll(&io_, "orders.csv", o);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    EXPECT_EQ(q->rows, good);
    ASSERT_EQ(q->bad.size(), 3u);
    EXPECT_EQ(q->bad[0].source, "orders.csv");
    EXPECT_EQ(q->bad[0].line, 3);
    EXPECT_EQ(q->bad[0].raw, "2,x,y,z,extra");
    EXPECT_EQ(q->bad[0].reason, "5 fields, expected 4");
    EXPECT_EQ(q->bad[1].line, 4);
    EXPECT_EQ(q->bad[1].raw, "3,\"q\nq\",y");
    EXPECT_EQ(q->bad[1].reason, "3 fields, expected 4");
    EXPECT_EQ(q->bad[2].line, 7);
    EXPECT_EQ(q->bad[2].raw, "5,\"x\"junk,y,z");
    EXPECT_EQ(q->bad[2].reason, "unexpected 'j' after a closing quote");
  }
  EXPECT_EQ(ParseOnBadRow("quarantine").ValueOr(OnBadRow::kFail), OnBadRow::kQuarantine);
  EXPECT_FALSE(ParseOnBadRow("ignore").ok());
}

TEST_F(CsvReaderTest, UnterminatedQuoteAndLongRows) {
  Put("open.csv", "a,b\n1,2\n3,\"never closed\n4,5\n");
  auto out = ReadAll(&io_, "open.csv", WithChunk(3));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "open.csv:3: unterminated quoted field (the file ends inside it)");

  CsvReadOptions o;
  o.chunk_size = 4;
  o.max_record_bytes = 16;
  Put("long.csv", "a,b\n1,2\n3,\"" + std::string(100, 'x') + "\"\n");
  out = ReadAll(&io_, "long.csv", o);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(out.status().message().starts_with("long.csv:3: row longer than 16 bytes"))
      << out.status().message();
}

TEST_F(CsvReaderTest, InvalidUtf8NamesLineAndOffset) {
  // "id,name\n" is 8 bytes, "1,ok\n" 5, "2,caf" 5: the Latin-1 byte is at offset 18, line 3.
  const std::string contents = "id,name\n1,ok\n2,caf\xE9\n3,x\n";
  for (size_t chunk : {size_t{1}, size_t{6}, size_t{1000}}) {
    for (OnBadRow policy : {OnBadRow::kFail, OnBadRow::kSkip}) {
      Put("latin1.csv", contents);
      CsvReadOptions o;
      o.chunk_size = chunk;
      o.on_bad_row = policy;
      auto out = ReadAll(&io_, "latin1.csv", o);
      ASSERT_FALSE(out.ok());
      EXPECT_TRUE(out.status().message().starts_with(
          "latin1.csv:3: invalid UTF-8 at byte offset 18 (byte 0xE9)"))
          << out.status().message();
    }
  }
  // After an unescaped quoted cell earlier in the same batch, offsets are still file offsets.
  Put("q.csv", "a,b\n\"x\"\"\n\"\"y\",1\n2,\xFF\n");
  auto out = ReadAll(&io_, "q.csv", {});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(out.status().message().starts_with("q.csv:4: invalid UTF-8 at byte offset 18"))
      << out.status().message();
  // In the header too.
  Put("h.csv", "a,\xC3\n");
  EXPECT_TRUE(CsvFileReader::Open(&io_, "h.csv", {})
                  .status()
                  .message()
                  .starts_with("h.csv:1: invalid UTF-8 at byte offset 2"));
  // Multi-byte characters cut by a chunk end are fine.
  Put("ok.csv", "a\n\xF0\x9F\x98\x80\xE2\x82\xAC\n");
  for (size_t chunk = 1; chunk < 12; ++chunk) {
    auto ok = ReadAll(&io_, "ok.csv", WithChunk(chunk));
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    EXPECT_EQ(ok->rows, (std::vector<RowOut>{{2, {"\xF0\x9F\x98\x80\xE2\x82\xAC"}}}));
  }
}

// Random CSV with every awkward construct, written from known cells: reading it back at many
// chunk sizes gives the cells back.
TEST_F(CsvReaderTest, RandomRoundTrip) {
  std::mt19937 rng(42);
  const std::string alphabet = "ab,\"\n\r ;x\xC3\xA9";
  const size_t cols = 4;
  std::vector<RowOut> expected;
  std::string contents = "c1,c2,c3,c4\r\n";
  int64_t line = 2;
  for (int r = 0; r < 200; ++r) {
    RowOut row{line, {}};
    std::string text;
    for (size_t c = 0; c < cols; ++c) {
      if (c > 0) text += ',';
      const int kind = static_cast<int>(rng() % 4);
      if (kind == 0) {
        row.cells.push_back(std::nullopt);  // empty, unquoted
        continue;
      }
      std::string cell;
      const size_t len = rng() % 6;
      for (size_t i = 0; i < len; ++i) {
        // Whole two-byte characters only.
        size_t k = rng() % (alphabet.size() - 1);
        if (alphabet[k] == '\xC3') {
          cell += "\xC3\xA9";
        } else {
          cell += alphabet[k];
        }
      }
      const bool needs_quotes = cell.empty() || cell.find_first_of(",\"\n\r") != std::string::npos;
      if (needs_quotes || kind == 1) {
        text += '"' + ReplaceAll(cell, "\"", "\"\"") + '"';
      } else {
        text += cell;
      }
      row.cells.push_back(cell);
    }
    line += std::count(text.begin(), text.end(), '\n') + 1;
    contents += text + (r % 2 ? "\n" : "\r\n");
    expected.push_back(std::move(row));
  }
  Put("rand.csv", contents);
  for (size_t chunk :
       {size_t{1}, size_t{7}, size_t{13}, size_t{64}, size_t{4096}, contents.size()}) {
    SCOPED_TRACE(chunk);
    auto out = ReadAll(&io_, "rand.csv", WithChunk(chunk));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->rows, expected);
    if (chunk >= 64) {
      EXPECT_LT(out->peak, 2 * chunk + 1024);
    }
  }
}

// Random bytes full of quotes, delimiters and line ends: whatever the reader makes of them
// (rows, quarantined rows or an error) must not depend on where the chunks end.
TEST_F(CsvReaderTest, GarbageGivesTheSameOutcomeAtEveryChunkSize) {
  std::mt19937 rng(1234);
  const std::string alphabet[] = {"a", ",", "\"", "\n", "\r", "\r\n", "\"\"", "\xC3\xA9", "\xFF"};
  for (int round = 0; round < 300; ++round) {
    std::string contents = "x,y\n";
    const size_t len = rng() % 40;
    for (size_t i = 0; i < len; ++i) {
      // Invalid UTF-8 only now and then, so that most rounds get past it.
      size_t k = rng() % std::size(alphabet);
      if (k == std::size(alphabet) - 1 && rng() % 8 != 0) k = 0;
      contents += alphabet[k];
    }
    Put("g.csv", contents);
    for (OnBadRow policy : {OnBadRow::kFail, OnBadRow::kSkip, OnBadRow::kQuarantine}) {
      CsvReadOptions whole_opts;
      whole_opts.on_bad_row = policy;
      auto whole = ReadAll(&io_, "g.csv", whole_opts);
      for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}}) {
        SCOPED_TRACE(testing::PrintToString(contents) + " chunk " + std::to_string(chunk));
        CsvReadOptions o = whole_opts;
        o.chunk_size = chunk;
        auto part = ReadAll(&io_, "g.csv", o);
        ASSERT_EQ(part.ok(), whole.ok()) << (part.ok() ? whole : part).status().ToString();
        if (!whole.ok()) {
          EXPECT_EQ(part.status().message(), whole.status().message());
          continue;
        }
        EXPECT_EQ(part->rows, whole->rows);
        ASSERT_EQ(part->bad.size(), whole->bad.size());
        for (size_t i = 0; i < whole->bad.size(); ++i) {
          EXPECT_EQ(part->bad[i].line, whole->bad[i].line);
          EXPECT_EQ(part->bad[i].raw, whole->bad[i].raw);
          EXPECT_EQ(part->bad[i].reason, whole->bad[i].reason);
        }
      }
    }
  }
}

}  // namespace
}  // namespace nilus
