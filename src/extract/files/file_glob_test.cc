#include "extract/files/file_glob.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "storage/local_file_io.h"
#include "storage/memory_file_io.h"

namespace nilus {
namespace {

TEST(FileGlobTest, Match) {
  struct Case {
    const char* pattern;
    const char* path;
    bool match;
  };
  const Case cases[] = {
      {"data/*.jsonl", "data/a.jsonl", true},
      {"data/*.jsonl", "data/.hidden.jsonl", true},
      {"data/*.jsonl", "data/a.json", false},
      {"data/*.jsonl", "data/sub/a.jsonl", false},  // '*' stops at '/'
      {"data/*", "data/sub/a.jsonl", false},
      {"data/**/*.jsonl", "data/a.jsonl", true},  // '**' may be no directory at all
      {"data/**/*.jsonl", "data/x/y/z/a.jsonl", true},
      {"data/**", "data/x/y/a.csv", true},
      {"**/a.csv", "x/y/a.csv", true},
      {"**/a.csv", "a.csv", true},
      {"data/**/b/*.csv", "data/x/b/1.csv", true},
      {"data/**/b/*.csv", "data/x/c/1.csv", false},
      {"d?ta/part-??.csv", "data/part-07.csv", true},
      {"d?ta/part-??.csv", "data/part-7.csv", false},
      {"part-[0-9][!a-z].csv", "part-12.csv", true},
      {"part-[0-9][!a-z].csv", "part-1a.csv", false},
      {"part-[^a-z].csv", "part-x.csv", false},
      {"part-[abc].csv", "part-b.csv", true},
      {"part-[].csv", "part-].csv", false},  // unclosed bracket: '[' is literal
      {"part-\\*.csv", "part-*.csv", true},
      {"part-\\*.csv", "part-1.csv", false},
      {"*a*b*c", "xxaxxbxxc", true},
      {"*a*b*c", "xxaxxbxxcx", false},
      {"*", "", true},
      {"/abs/*.csv", "/abs/x.csv", true},
      {"file:///w/*.csv", "file:///w/x.csv", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.path), c.match) << c.pattern << " vs " << c.path;
  }
  EXPECT_TRUE(HasGlobWildcard("a/*.csv"));
  EXPECT_TRUE(HasGlobWildcard("a/[ab].csv"));
  EXPECT_FALSE(HasGlobWildcard("a/b.csv"));
}

std::vector<std::string> Paths(const std::vector<FileInfo>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.path);
  return out;
}

TEST(FileGlobTest, ExpandOverMemoryFileIO) {
  MemoryFileIO io;
  for (const char* p :
       {"data/events/2024-02.jsonl", "data/events/2024-01.jsonl", "data/events/readme.txt",
        "data/events/old/2023-12.jsonl", "data/events2/2024-03.jsonl"}) {
    ASSERT_TRUE(io.WriteFile(p, "{}\n").ok());
  }
  auto files = ExpandFileGlob(&io, "data/events/*.jsonl");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(Paths(*files),
            (std::vector<std::string>{"data/events/2024-01.jsonl", "data/events/2024-02.jsonl"}));
  EXPECT_EQ((*files)[0].size, 3);

  files = ExpandFileGlob(&io, "data/events/**/*.jsonl");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(Paths(*files),
            (std::vector<std::string>{"data/events/2024-01.jsonl", "data/events/2024-02.jsonl",
                                      "data/events/old/2023-12.jsonl"}));

  files = ExpandFileGlob(&io, "data/events/2024-01.jsonl");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(Paths(*files), (std::vector<std::string>{"data/events/2024-01.jsonl"}));

  auto none = ExpandFileGlob(&io, "data/events/*.csv");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(none.status().message(), "no file matches 'data/events/*.csv'");

  auto missing = ExpandFileGlob(&io, "data/nope.jsonl");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("data/nope.jsonl"), std::string::npos);

  auto dir = ExpandFileGlob(&io, "data/events");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kNotFound);
  EXPECT_NE(dir.status().message().find("is a directory"), std::string::npos);
}

TEST(FileGlobTest, ExpandOverLocalFileIO) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(::testing::TempDir()) / "nilus_glob_test";
  fs::remove_all(root);
  fs::create_directories(root / "events" / "sub");
  for (const char* p : {"events/b.jsonl", "events/a.jsonl", "events/c.csv", "events/sub/d.jsonl"}) {
    std::ofstream(root / p) << "{}\n";
  }
  LocalFileIO io;
  const std::string base = root.string();
  auto files = ExpandFileGlob(&io, base + "/events/*.jsonl");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(Paths(*files),
            (std::vector<std::string>{base + "/events/a.jsonl", base + "/events/b.jsonl"}));
  files = ExpandFileGlob(&io, base + "/**/*.jsonl");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 3u);
  files = ExpandFileGlob(&io, base + "/events/c.csv");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 1u);
  auto none = ExpandFileGlob(&io, base + "/missing/*.jsonl");
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);

  // A relative pattern with no directory part lists the working directory.
  const fs::path cwd = fs::current_path();
  fs::current_path(root / "events");
  files = ExpandFileGlob(&io, "*.jsonl");
  fs::current_path(cwd);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(Paths(*files), (std::vector<std::string>{"a.jsonl", "b.jsonl"}));
  fs::remove_all(root);
}

}  // namespace
}  // namespace nilus
