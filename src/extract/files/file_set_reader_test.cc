#include "extract/files/file_set_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/memory_file_io.h"

namespace nilus {
namespace {

TEST(FileSetReaderTest, JsonFilesInPathOrder) {
  MemoryFileIO io;
  ASSERT_TRUE(io.WriteFile("in/b.jsonl", "{\"f\":\"b\",\"n\":1}\n{\"f\":\"b\",\"n\":2}\n").ok());
  ASSERT_TRUE(io.WriteFile("in/a.jsonl", "{\"f\":\"a\",\"n\":1}\n").ok());
  ASSERT_TRUE(io.WriteFile("in/empty.jsonl", "").ok());
  ASSERT_TRUE(io.WriteFile("in/c.json", "[{\"f\":\"c\",\"n\":1}]").ok());
  ASSERT_TRUE(io.WriteFile("in/skip.txt", "not json").ok());
  JsonReadOptions options;
  options.max_batch_records = 1;
  auto reader = JsonFileSetReader::Open(&io, "in/*.json*", options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->files().size(), 4u);
  EXPECT_EQ((*reader)->files_opened(), 0u);  // nothing opened before the first Next()
  std::vector<std::string> seen;
  while (true) {
    auto batch = (*reader)->Next();
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    if (*batch == nullptr) break;
    for (size_t i = 0; i < (*batch)->size(); ++i) {
      seen.push_back((*batch)->source + " " + std::to_string((*batch)->docs[i].line) + " " +
                     std::string((*batch)->DocText(i)));
    }
  }
  const std::vector<std::string> expected = {
      "in/a.jsonl 1 {\"f\":\"a\",\"n\":1}",
      "in/b.jsonl 1 {\"f\":\"b\",\"n\":1}",
      "in/b.jsonl 2 {\"f\":\"b\",\"n\":2}",
      "in/c.json 1 {\"f\":\"c\",\"n\":1}",
  };
  EXPECT_EQ(seen, expected);
  EXPECT_EQ((*reader)->records_read(), 4);
  EXPECT_EQ((*reader)->bytes_read(), (*reader)->total_bytes());
  EXPECT_EQ((*reader)->files_opened(), 4u);
  auto again = (*reader)->Next();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, nullptr);
}

TEST(FileSetReaderTest, CsvFilesKeepTheirOwnHeaders) {
  MemoryFileIO io;
  ASSERT_TRUE(io.WriteFile("orders/2024-01.csv", "id,amount\n1,10\n").ok());
  ASSERT_TRUE(io.WriteFile("orders/2024-02.csv", "amount,id,note\n20,2,x\n").ok());
  auto reader = CsvFileSetReader::Open(&io, "orders/*.csv", {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<std::vector<std::string>> names;
  while (true) {
    auto batch = (*reader)->Next();
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    if (*batch == nullptr) break;
    names.push_back((*batch)->column_names);
  }
  EXPECT_EQ(names,
            (std::vector<std::vector<std::string>>{{"id", "amount"}, {"amount", "id", "note"}}));
  EXPECT_EQ((*reader)->records_read(), 2);
}

TEST(FileSetReaderTest, ErrorsNameTheFileAndStick) {
  MemoryFileIO io;
  ASSERT_TRUE(io.WriteFile("d/1.csv", "a,b\n1,2\n").ok());
  ASSERT_TRUE(io.WriteFile("d/2.csv", "a,b\n1,2\n3,4,5\n").ok());
  auto reader = CsvFileSetReader::Open(&io, "d/*.csv", {});
  ASSERT_TRUE(reader.ok());
  auto first = (*reader)->Next();
  ASSERT_TRUE(first.ok());
  ASSERT_NE(*first, nullptr);
  EXPECT_EQ((*first)->source, "d/1.csv");
  auto second = (*reader)->Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "d/2.csv:3: 3 fields, expected 2");
  auto third = (*reader)->Next();
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().message(), second.status().message());

  // Quarantine counts add up across files.
  CsvReadOptions quarantine;
  quarantine.on_bad_row = OnBadRow::kQuarantine;
  ASSERT_TRUE(io.WriteFile("d/3.csv", "a,b\n9\n").ok());
  auto q = CsvFileSetReader::Open(&io, "d/*.csv", quarantine);
  ASSERT_TRUE(q.ok());
  size_t quarantined = 0;
  while (true) {
    auto batch = (*q)->Next();
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    if (*batch == nullptr) break;
    quarantined += (*batch)->bad_records.size();
  }
  EXPECT_EQ(quarantined, 2u);
  EXPECT_EQ((*q)->bad_records_seen(), 2);
  EXPECT_EQ((*q)->records_read(), 2);

  auto none = JsonFileSetReader::Open(&io, "d/*.jsonl", {});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace nilus
