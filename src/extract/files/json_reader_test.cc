#include "extract/files/json_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "storage/local_file_io.h"
#include "storage/memory_file_io.h"

namespace nilus {
namespace {

std::string FixturePath(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / "../../../tests/data/files" / name)
      .string();
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct DocOut {
  int64_t line;
  std::string text;
  bool operator==(const DocOut&) const = default;
};

void PrintTo(const DocOut& d, std::ostream* os) { *os << d.line << ":" << d.text; }

struct ReadOut {
  std::vector<DocOut> docs;
  std::vector<BadRecord> bad;
  size_t batches = 0;
  size_t peak = 0;
  JsonFileFormat format = JsonFileFormat::kAuto;
};

bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Reads every batch and checks the layout promises of DocumentBatch on each.
Result<ReadOut> ReadAll(FileIO* io, const std::string& path, const JsonReadOptions& options) {
  NILUS_ASSIGN_OR_RAISE(auto reader, JsonFileReader::Open(io, path, options));
  ReadOut out;
  while (true) {
    NILUS_ASSIGN_OR_RAISE(auto batch, reader->Next());
    if (batch == nullptr) break;
    ++out.batches;
    EXPECT_EQ(batch->source, path);
    EXPECT_TRUE(batch->size() > 0 || !batch->bad_records.empty());
    EXPECT_LE(batch->size(), options.max_batch_records);
    const std::string& buf = batch->buffer;
    EXPECT_GE(buf.size(), DocumentBatch::kPadding);
    EXPECT_EQ(buf.substr(buf.size() - DocumentBatch::kPadding),
              std::string(DocumentBatch::kPadding, '\0'));
    size_t prev_end = 0;
    for (size_t i = 0; i < batch->size(); ++i) {
      const auto& d = batch->docs[i];
      EXPECT_GE(d.offset, prev_end);
      for (size_t k = prev_end; k < d.offset; ++k) {
        EXPECT_TRUE(IsJsonSpace(buf[k])) << "byte " << k << " between docs: " << int(buf[k]);
      }
      EXPECT_GE(batch->DocCapacity(i), d.length + DocumentBatch::kPadding);
      prev_end = d.offset + d.length;
      out.docs.push_back({d.line, std::string(batch->DocText(i))});
    }
    for (size_t k = prev_end; k + DocumentBatch::kPadding < buf.size(); ++k) {
      EXPECT_TRUE(IsJsonSpace(buf[k])) << "byte " << k << " after the last doc";
    }
    for (auto& b : batch->bad_records) out.bad.push_back(b);
  }
  // Finished readers stay finished.
  NILUS_ASSIGN_OR_RAISE(auto again, reader->Next());
  EXPECT_EQ(again, nullptr);
  out.peak = reader->peak_buffer_bytes();
  out.format = reader->format();
  return out;
}

JsonReadOptions WithChunk(size_t chunk) {
  JsonReadOptions o;
  o.chunk_size = chunk;
  return o;
}

class JsonReaderTest : public ::testing::Test {
 protected:
  void Put(const std::string& path, const std::string& contents) {
    ASSERT_TRUE(io_.WriteFile(path, contents).ok());
  }
  MemoryFileIO io_;
};

TEST_F(JsonReaderTest, JsonLinesFixtureWithBlankLines) {
  Put("events.jsonl", ReadFixture("events.jsonl"));
  auto out = ReadAll(&io_, "events.jsonl", {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->format, JsonFileFormat::kLines);
  const std::vector<DocOut> expected = {
      {1, R"({"id":1,"name":"a"})"},
      {3, R"({"id":2,"nested":{"x":[1,2,{"y":"}"}]}})"},
      {5, R"({"id":3,"s":"line\nbreak \"quoted\" [not a bracket"})"},
      {6, "{\"id\":4,\"u\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}"},
  };
  EXPECT_EQ(out->docs, expected);
  EXPECT_EQ(out->batches, 1u);

  // Under a name that does not say JSON Lines, the first byte ('{') decides.
  Put("events.json", ReadFixture("events.jsonl"));
  auto detected = ReadAll(&io_, "events.json", {});
  ASSERT_TRUE(detected.ok()) << detected.status().ToString();
  EXPECT_EQ(detected->format, JsonFileFormat::kLines);
  EXPECT_EQ(detected->docs, expected);
}

TEST_F(JsonReaderTest, EveryChunkSizeGivesTheSameDocuments) {
  for (const char* name : {"events.jsonl", "array.json"}) {
    SCOPED_TRACE(name);
    const std::string contents = ReadFixture(name);
    Put(name, contents);
    auto whole = ReadAll(&io_, name, WithChunk(contents.size() + 1));
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    ASSERT_FALSE(whole->docs.empty());
    for (size_t chunk = 1; chunk <= contents.size(); ++chunk) {
      SCOPED_TRACE(chunk);
      auto part = ReadAll(&io_, name, WithChunk(chunk));
      ASSERT_TRUE(part.ok()) << part.status().ToString();
      EXPECT_EQ(part->docs, whole->docs);
    }
    // Batches limited by count rather than bytes.
    JsonReadOptions one;
    one.max_batch_records = 1;
    auto singles = ReadAll(&io_, name, one);
    ASSERT_TRUE(singles.ok());
    EXPECT_EQ(singles->docs, whole->docs);
    EXPECT_EQ(singles->batches, whole->docs.size());
  }
}

TEST_F(JsonReaderTest, JsonArrayFixture) {
  Put("array.json", ReadFixture("array.json"));
  auto out = ReadAll(&io_, "array.json", WithChunk(7));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->format, JsonFileFormat::kArray);
  const std::vector<DocOut> expected = {
      {2, R"({"id": 1, "s": "]}[{,", "e": "\"", "b": "\\"})"},
      {3, R"([1, [2, [3]], "x]"])"},
      {4, R"("top \" string ]")"},
      {5, "42"},
      {6, "true"},
      {7, "{\"deep\": {\"a\": [{\"b\": \"c\\\\\\\"\"}]},\n   \"next\": \"line 8\"}"},
  };
  EXPECT_EQ(out->docs, expected);
}

TEST_F(JsonReaderTest, CrlfAndBom) {
  Put("crlf.jsonl", "\xEF\xBB\xBF{\"a\":1}\r\n\r\n  {\"a\":2}  \r\n{\"a\":3}");
  auto out = ReadAll(&io_, "crlf.jsonl", WithChunk(3));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::vector<DocOut> expected = {{1, R"({"a":1})"}, {3, R"({"a":2})"}, {4, R"({"a":3})"}};
  EXPECT_EQ(out->docs, expected);

  Put("bom.json", "\xEF\xBB\xBF [ {\"a\":1} ,\r\n{\"a\":2}]\r\n");
  auto arr = ReadAll(&io_, "bom.json", WithChunk(2));
  ASSERT_TRUE(arr.ok()) << arr.status().ToString();
  EXPECT_EQ(arr->format, JsonFileFormat::kArray);
  const std::vector<DocOut> expected_arr = {{1, R"({"a":1})"}, {2, R"({"a":2})"}};
  EXPECT_EQ(arr->docs, expected_arr);
}

TEST_F(JsonReaderTest, EmptyAndWhitespaceFiles) {
  for (const char* contents : {"", "\n\n  \n", "[]", " [ \n ] \n"}) {
    SCOPED_TRACE(contents);
    Put("e.json", contents);
    auto out = ReadAll(&io_, "e.json", WithChunk(2));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_TRUE(out->docs.empty());
    EXPECT_EQ(out->batches, 0u);
  }
}

TEST_F(JsonReaderTest, DocumentLongerThanManyChunks) {
  std::string big = "{\"k\":\"" + std::string(10000, 'x') + "\"}";
  Put("big.jsonl", "{}\n" + big + "\n{}\n");
  auto out = ReadAll(&io_, "big.jsonl", WithChunk(64));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::vector<DocOut> expected = {{1, "{}"}, {2, big}, {3, "{}"}};
  EXPECT_EQ(out->docs, expected);
  // The buffer grew for the long document, but only by chunks beyond it.
  EXPECT_LT(out->peak, 2 * big.size() + 1024);

  Put("big.json", "[{}," + big + ",{}]");
  auto arr = ReadAll(&io_, "big.json", WithChunk(64));
  ASSERT_TRUE(arr.ok()) << arr.status().ToString();
  ASSERT_EQ(arr->docs.size(), 3u);
  EXPECT_EQ(arr->docs[1].text, big);

  JsonReadOptions small;
  small.chunk_size = 64;
  small.max_record_bytes = 1000;
  auto too_long = ReadAll(&io_, "big.jsonl", small);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("big.jsonl:2: line longer than 1000 bytes"),
            std::string::npos)
      << too_long.status().message();
}

TEST_F(JsonReaderTest, MalformedLineIsReportedWithItsLineNumber) {
  std::string contents;
  for (int i = 1; i <= 1300; ++i) {
    if (i == 1234) {
      contents += "{\"id\": 1234, \"oops\": }\n";
    } else if (i % 100 == 0) {
      contents += "\n";  // blank lines still count
    } else {
      contents += "{\"id\": " + std::to_string(i) + "}\n";
    }
  }
  Put("events.jsonl", contents);
  JsonReadOptions o;
  o.chunk_size = 100;
  o.validate_json = true;
  auto out = ReadAll(&io_, "events.jsonl", o);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.status().message().starts_with("events.jsonl:1234: malformed JSON: "))
      << out.status().message();

  // Without validation the document is passed on with its line for Normalize to report.
  o.validate_json = false;
  auto passed = ReadAll(&io_, "events.jsonl", o);
  ASSERT_TRUE(passed.ok()) << passed.status().ToString();
  bool found = false;
  for (const auto& d : passed->docs) {
    if (d.text == "{\"id\": 1234, \"oops\": }") {
      EXPECT_EQ(d.line, 1234);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(passed->docs.size(), 1300u - 13u);

  // skip drops it; quarantine hands it back with file, line, raw text and reason.
  o.validate_json = true;
  o.on_bad_row = OnBadRow::kSkip;
  auto skipped = ReadAll(&io_, "events.jsonl", o);
  ASSERT_TRUE(skipped.ok()) << skipped.status().ToString();
  EXPECT_EQ(skipped->docs.size(), 1300u - 13u - 1u);
  EXPECT_TRUE(skipped->bad.empty());

  o.on_bad_row = OnBadRow::kQuarantine;
  auto quarantined = ReadAll(&io_, "events.jsonl", o);
  ASSERT_TRUE(quarantined.ok()) << quarantined.status().ToString();
  EXPECT_EQ(quarantined->docs.size(), 1300u - 13u - 1u);
  ASSERT_EQ(quarantined->bad.size(), 1u);
  EXPECT_EQ(quarantined->bad[0].source, "events.jsonl");
  EXPECT_EQ(quarantined->bad[0].line, 1234);
  EXPECT_EQ(quarantined->bad[0].raw, "{\"id\": 1234, \"oops\": }");
  EXPECT_TRUE(quarantined->bad[0].reason.starts_with("malformed JSON"))
      << quarantined->bad[0].reason;
}

TEST_F(JsonReaderTest, ValidationAcceptsTheFixtures) {
  for (const char* name : {"events.jsonl", "array.json"}) {
    Put(name, ReadFixture(name));
    JsonReadOptions o;
    o.chunk_size = 5;
    o.validate_json = true;
    auto out = ReadAll(&io_, name, o);
    ASSERT_TRUE(out.ok()) << name << ": " << out.status().ToString();
    EXPECT_TRUE(out->bad.empty());
  }
}

TEST_F(JsonReaderTest, InvalidUtf8NamesLineAndOffset) {
  // Line 3 holds a Latin-1 'e acute' (0xE9), at byte offset 8 + 8 + 9.
  const std::string contents = "{\"a\":1}\n{\"a\":2}\n{\"a\":\"caf\xE9\"}\n{\"a\":4}\n";
  for (const char* name : {"latin1.jsonl"}) {
    Put(name, contents);
    for (size_t chunk : {size_t{1}, size_t{4}, size_t{1000}}) {
      for (OnBadRow policy : {OnBadRow::kFail, OnBadRow::kQuarantine}) {
        JsonReadOptions o;
        o.chunk_size = chunk;
        o.on_bad_row = policy;
        auto out = ReadAll(&io_, name, o);
        ASSERT_FALSE(out.ok());
        EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
        EXPECT_TRUE(out.status().message().starts_with(
            "latin1.jsonl:3: invalid UTF-8 at byte offset 25 (byte 0xE9)"))
            << out.status().message();
      }
    }
  }
  // A multi-byte character cut by every possible chunk end is fine.
  Put("ok.jsonl", "{\"a\":\"\xF0\x9F\x98\x80\xE2\x82\xAC\"}\n");
  for (size_t chunk = 1; chunk < 20; ++chunk) {
    auto out = ReadAll(&io_, "ok.jsonl", WithChunk(chunk));
    ASSERT_TRUE(out.ok()) << chunk << ": " << out.status().ToString();
    EXPECT_EQ(out->docs.size(), 1u);
  }
  // Overlong forms and surrogates are rejected too.
  for (std::string bad : {std::string("\xC0\xAF"), std::string("\xED\xA0\x80"),
                          std::string("\xF4\x90\x80\x80"), std::string("\x80")}) {
    Put("bad.jsonl", "{\"a\":\"" + bad + "\"}\n");
    auto out = ReadAll(&io_, "bad.jsonl", {});
    ASSERT_FALSE(out.ok());
    EXPECT_TRUE(out.status().message().starts_with("bad.jsonl:1: invalid UTF-8 at byte offset 6"))
        << out.status().message();
  }
}

TEST_F(JsonReaderTest, MalformedArraysFail) {
  struct Case {
    const char* contents;
    const char* message;
  };
  const Case cases[] = {
      {"[{\"a\":1} {\"a\":2}]",
       "x.json:1: malformed JSON array: expected ',' or ']' after an "
       "element, found '{'"},
      {"[{\"a\":1},\n]", "x.json:2: malformed JSON array: a ',' before the closing ']'"},
      {"[{\"a\":[1}]", "x.json:1: malformed JSON array: '}' closes '[' of the element at line 1"},
      {"[{\"a\":1}", "x.json:1: malformed JSON array: the file ends before the closing ']'"},
      {"[\n{\"a\":\"1}]\n",
       "x.json:3: malformed JSON array: the file ends inside the element "
       "that starts at line 2"},
      {"[1]\n[2]\n", "x.json:2: malformed JSON array: '[' after the closing ']'"},
      {"[,1]", "x.json:1: malformed JSON array: unexpected ','"},
  };
  for (const Case& c : cases) {
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{100}}) {
      SCOPED_TRACE(std::string(c.contents) + " chunk " + std::to_string(chunk));
      Put("x.json", c.contents);
      auto out = ReadAll(&io_, "x.json", WithChunk(chunk));
      ASSERT_FALSE(out.ok());
      EXPECT_TRUE(out.status().message().starts_with(c.message)) << out.status().message();
    }
  }
  // Forcing the array format on a JSON Lines file names the problem.
  Put("x.jsonl", "{\"a\":1}\n");
  JsonReadOptions o;
  o.format = JsonFileFormat::kArray;
  auto out = ReadAll(&io_, "x.jsonl", o);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(out.status().message().starts_with(
      "x.jsonl:1: malformed JSON array: expected '[', found '{'"))
      << out.status().message();
  // A file of one-line arrays reads as JSON Lines when told so, or when its name says so.
  Put("rows.txt", "[1,2]\n[3,4]\n");
  Put("rows.jsonl", "[1,2]\n[3,4]\n");
  Put("rows.ndjson", "[1,2]\n[3,4]\n");
  o.format = JsonFileFormat::kLines;
  const std::vector<DocOut> expected = {{1, "[1,2]"}, {2, "[3,4]"}};
  for (const char* name : {"rows.txt", "rows.jsonl", "rows.ndjson"}) {
    auto lines = ReadAll(&io_, name, name == std::string("rows.txt") ? o : JsonReadOptions{});
    ASSERT_TRUE(lines.ok()) << name << ": " << lines.status().ToString();
    EXPECT_EQ(lines->format, JsonFileFormat::kLines);
    EXPECT_EQ(lines->docs, expected);
  }
}

TEST_F(JsonReaderTest, ErrorsAreSticky) {
  Put("x.json", "[1 2]");
  auto reader = JsonFileReader::Open(&io_, "x.json", {});
  ASSERT_TRUE(reader.ok());
  auto first = (*reader)->Next();
  ASSERT_FALSE(first.ok());
  auto second = (*reader)->Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(first.status().message(), second.status().message());
}

TEST_F(JsonReaderTest, MissingFileIsNotFound) {
  auto reader = JsonFileReader::Open(&io_, "nope.jsonl", {});
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kNotFound);
}

// A random JSON value whose strings are full of brackets, commas, quotes and escapes.
std::string RandomJson(std::mt19937& rng, int depth) {
  static const char* const kStrings[] = {
      R"("plain")", R"("]")",     R"("}{][,:")", R"("\"")",        R"("\\")",
      R"("\\\"]")", R"("a\nb")",  R"("\u005D")", R"("caf\u00e9")", "\"\xC3\xA9\"",
      R"("")",      R"("[1,2]")", R"(",")",
  };
  const int kind = static_cast<int>(rng() % (depth > 3 ? 4 : 6));
  switch (kind) {
    case 0:
      return kStrings[rng() % std::size(kStrings)];
    case 1:
      return std::to_string(static_cast<int>(rng() % 2000) - 1000);
    case 2:
      return rng() % 2 ? "true" : "null";
    case 3:
      return "-1.5e3";
    case 4: {
      std::string out = "[";
      const size_t n = rng() % 4;
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) out += rng() % 2 ? "," : " ,\n ";
        out += RandomJson(rng, depth + 1);
      }
      return out + "]";
    }
    default: {
      std::string out = "{";
      const size_t n = rng() % 4;
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) out += ",";
        out += std::string(kStrings[rng() % std::size(kStrings)]) + (rng() % 2 ? ":" : " : ");
        out += RandomJson(rng, depth + 1);
      }
      return out + "}";
    }
  }
}

TEST_F(JsonReaderTest, RandomArraysAndLinesAtManyChunkSizes) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    std::vector<DocOut> expected;
    std::string array = rng() % 2 ? "[" : "\r\n [\n";
    std::string lines;
    int64_t array_line = 1 + std::count(array.begin(), array.end(), '\n');
    int64_t lines_line = 1;
    const size_t n = 1 + rng() % 30;
    for (size_t i = 0; i < n; ++i) {
      std::string doc = RandomJson(rng, 0);
      if (i > 0) {
        const std::string sep = rng() % 2 ? "," : "\n ,\t\r\n";
        array += sep;
        array_line += std::count(sep.begin(), sep.end(), '\n');
      }
      expected.push_back({array_line, doc});
      array += doc;
      array_line += std::count(doc.begin(), doc.end(), '\n');
      // JSON Lines needs one line per document.
      std::string one_line = doc;
      std::replace(one_line.begin(), one_line.end(), '\n', ' ');
      if (rng() % 4 == 0) {
        lines += "\r\n";
        ++lines_line;
      }
      lines += one_line + (rng() % 2 ? "\n" : "\r\n");
      ++lines_line;
    }
    array += rng() % 2 ? "]" : "\n]\n";
    Put("r.json", array);
    Put("r.jsonl", lines);
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{8}, size_t{13},
                         size_t{64}, array.size()}) {
      SCOPED_TRACE(chunk);
      JsonReadOptions o;
      o.chunk_size = chunk;
      o.validate_json = true;  // the generator writes valid JSON; the reader must agree
      auto out = ReadAll(&io_, "r.json", o);
      ASSERT_TRUE(out.ok()) << out.status().ToString() << "\n" << array;
      EXPECT_EQ(out->docs, expected) << array;
      auto jl = ReadAll(&io_, "r.jsonl", o);
      ASSERT_TRUE(jl.ok()) << jl.status().ToString();
      ASSERT_EQ(jl->docs.size(), expected.size());
      EXPECT_EQ(jl->docs.back().line, lines_line - 1);
    }
  }
}

// A ~200 MB JSON Lines file read with 1 MiB chunks: the reader's buffers stay near the chunk
// size however large the file is.
TEST(JsonReaderLargeFileTest, MemoryStaysBounded) {
  const std::string path = ::testing::TempDir() + "/nilus_json_reader_large.jsonl";
  int64_t lines_written = 0;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    std::string block;
    for (int i = 0; i < 1000; ++i) {
      block +=
          R"({"id":)" + std::to_string(i) +
          R"(,"name":"customer","tags":["a","b"],"address":{"city":"Zürich","zip":"8000"},)"
          R"("note":"........................................................................"})";
      block += '\n';
    }
    while (static_cast<int64_t>(block.size()) * (lines_written / 1000) < (int64_t{200} << 20)) {
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
      lines_written += 1000;
    }
    ASSERT_TRUE(out.good());
  }
  LocalFileIO io;
  JsonReadOptions o;
  o.chunk_size = size_t{1} << 20;
  auto reader = JsonFileReader::Open(&io, path, o);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  int64_t docs = 0;
  int64_t last_line = 0;
  size_t max_batch_buffer = 0;
  while (true) {
    auto batch = (*reader)->Next();
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    if (*batch == nullptr) break;
    docs += static_cast<int64_t>((*batch)->size());
    EXPECT_EQ((*batch)->docs.front().line, last_line + 1);
    last_line = (*batch)->docs.back().line;
    max_batch_buffer = std::max(max_batch_buffer, (*batch)->buffer.capacity());
  }
  EXPECT_EQ(docs, lines_written);
  EXPECT_EQ(last_line, lines_written);
  EXPECT_EQ((*reader)->bytes_read(), static_cast<int64_t>(std::filesystem::file_size(path)));
  EXPECT_GE((*reader)->bytes_read(), int64_t{200} << 20);
  // The counter is live (it saw a full chunk) and bounded.
  EXPECT_GE((*reader)->peak_buffer_bytes(), size_t{1} << 20);
  EXPECT_LT((*reader)->peak_buffer_bytes(), size_t{3} << 20);
  EXPECT_LT(max_batch_buffer, size_t{3} << 20);
  std::filesystem::remove(path);
}

// Random bytes full of brackets, quotes and escapes: documents or an error, the same at every
// chunk size.
TEST_F(JsonReaderTest, GarbageGivesTheSameOutcomeAtEveryChunkSize) {
  std::mt19937 rng(99);
  const std::string alphabet[] = {"[", "]", "{", "}", "\"", "\\", ",", " ", "\n", "1", "\r\n"};
  for (int round = 0; round < 400; ++round) {
    std::string contents = round % 2 ? "[" : "";
    const size_t len = rng() % 30;
    for (size_t i = 0; i < len; ++i) contents += alphabet[rng() % std::size(alphabet)];
    for (const char* name : {"g.json", "g.jsonl"}) {
      Put(name, contents);
      auto whole = ReadAll(&io_, name, {});
      for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}}) {
        SCOPED_TRACE(testing::PrintToString(contents) + " " + name + " chunk " +
                     std::to_string(chunk));
        auto part = ReadAll(&io_, name, WithChunk(chunk));
        ASSERT_EQ(part.ok(), whole.ok()) << (part.ok() ? whole : part).status().ToString();
        if (!whole.ok()) {
          EXPECT_EQ(part.status().message(), whole.status().message());
          continue;
        }
        EXPECT_EQ(part->docs, whole->docs);
      }
    }
  }
}

}  // namespace
}  // namespace nilus
