// The FileIO contract, checked against every backend, plus LocalFileIO specifics.
#include "storage/file_io.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <ostream>
#include <string>
#include <thread>

#include "storage/local_file_io.h"
#include "storage/memory_file_io.h"

namespace nilus {
namespace {

namespace fs = std::filesystem;

// A fresh temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "nilus-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A backend under test: a FileIO and a root under which tests put their files.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual FileIO& io() = 0;
  virtual std::string Root() const = 0;
};

class LocalBackend : public Backend {
 public:
  FileIO& io() override { return io_; }
  std::string Root() const override { return dir_.path() + "/"; }

 private:
  TempDir dir_;
  LocalFileIO io_;
};

class MemoryBackend : public Backend {
 public:
  FileIO& io() override { return io_; }
  std::string Root() const override { return "mem://bucket/"; }

 private:
  MemoryFileIO io_;
};

struct BackendParam {
  const char* name;
  std::unique_ptr<Backend> (*make)();
};

void PrintTo(const BackendParam& param, std::ostream* os) { *os << param.name; }

class FileIOContractTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override { backend_ = GetParam().make(); }
  FileIO& io() { return backend_->io(); }
  std::string P(const std::string& name) const { return backend_->Root() + name; }
  std::vector<std::string> ListPaths(const std::string& prefix) {
    auto listed = io().List(prefix);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    std::vector<std::string> paths;
    if (listed.ok()) {
      for (const auto& f : *listed) paths.push_back(f.path);
    }
    return paths;
  }

  std::unique_ptr<Backend> backend_;
};

INSTANTIATE_TEST_SUITE_P(
    Backends, FileIOContractTest,
    ::testing::Values(
        BackendParam{"Local", [] { return std::unique_ptr<Backend>(new LocalBackend); }},
        BackendParam{"Memory", [] { return std::unique_ptr<Backend>(new MemoryBackend); }}),
    [](const ::testing::TestParamInfo<BackendParam>& info) {
      return std::string(info.param.name);
    });

TEST_P(FileIOContractTest, PublishesAtClose) {
  const std::string path = P("t/data.bin");
  auto out = io().NewOutputStream(path);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_TRUE((*out)->Write("hello ").ok());
  ASSERT_TRUE((*out)->Write("world").ok());
  EXPECT_EQ((*out)->Tell(), 11);
  EXPECT_EQ((*out)->path(), path);
  EXPECT_FALSE(*io().Exists(path));
  EXPECT_TRUE(ListPaths(P("t/")).empty());
  ASSERT_TRUE((*out)->Close().ok());
  EXPECT_TRUE(*io().Exists(path));
  auto contents = io().ReadFile(path);
  ASSERT_TRUE(contents.ok()) << contents.status().ToString();
  EXPECT_EQ(*contents, "hello world");
}

TEST_P(FileIOContractTest, ManySmallAndLargeWrites) {
  const std::string path = P("big");
  std::string expected;
  auto out = io().NewOutputStream(path);
  ASSERT_TRUE(out.ok());
  for (int i = 0; i < 100000; ++i) {
    std::string piece = std::to_string(i) + ",";
    ASSERT_TRUE((*out)->Write(piece).ok());
    expected += piece;
  }
  std::string large(3 << 20, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 31 + 7);
  ASSERT_TRUE((*out)->Write(large).ok());
  expected += large;
  ASSERT_TRUE((*out)->Write("tail").ok());
  expected += "tail";
  EXPECT_EQ((*out)->Tell(), static_cast<int64_t>(expected.size()));
  ASSERT_TRUE((*out)->Close().ok());
  auto contents = io().ReadFile(path);
  ASSERT_TRUE(contents.ok());
  EXPECT_TRUE(*contents == expected)
      << "contents differ; size " << contents->size() << " vs " << expected.size();
}

TEST_P(FileIOContractTest, EmptyFile) {
  const std::string path = P("empty");
  ASSERT_TRUE(io().WriteFile(path, "").ok());
  auto file = io().OpenInputFile(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*(*file)->Size(), 0);
  EXPECT_EQ(*io().ReadFile(path), "");
}

TEST_P(FileIOContractTest, AbortLeavesNothing) {
  const std::string path = P("a/aborted");
  auto out = io().NewOutputStream(path);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("partial").ok());
  (*out)->Abort();
  (*out)->Abort();  // idempotent
  EXPECT_FALSE((*out)->Close().ok());
  EXPECT_FALSE((*out)->Write("more").ok());
  EXPECT_FALSE(*io().Exists(path));
  EXPECT_TRUE(ListPaths(P("a/")).empty());
}

TEST_P(FileIOContractTest, DestroyedWithoutCloseLeavesNothing) {
  const std::string path = P("a/dropped");
  {
    auto out = io().NewOutputStream(path);
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE((*out)->Write(std::string(2 << 20, 'x')).ok());
  }
  EXPECT_FALSE(*io().Exists(path));
  EXPECT_TRUE(ListPaths(P("a/")).empty());
}

TEST_P(FileIOContractTest, AbortKeepsPreviousVersion) {
  const std::string path = P("kept");
  ASSERT_TRUE(io().WriteFile(path, "v1").ok());
  auto out = io().NewOutputStream(path);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("v2").ok());
  (*out)->Abort();
  EXPECT_EQ(*io().ReadFile(path), "v1");
}

TEST_P(FileIOContractTest, CloseTwiceFails) {
  auto out = io().NewOutputStream(P("twice"));
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Close().ok());
  EXPECT_FALSE((*out)->Close().ok());
  EXPECT_FALSE((*out)->Write("x").ok());
  EXPECT_EQ(*io().ReadFile(P("twice")), "");
}

TEST_P(FileIOContractTest, OverwriteReplaces) {
  const std::string path = P("over");
  ASSERT_TRUE(io().WriteFile(path, "first version").ok());
  ASSERT_TRUE(io().WriteFile(path, "second").ok());
  EXPECT_EQ(*io().ReadFile(path), "second");
}

TEST_P(FileIOContractTest, ExclusiveCreateConflicts) {
  const std::string path = P("meta/00001.metadata.json");
  ASSERT_TRUE(io().WriteFile(path, "one", CreateMode::kExclusive).ok());
  Status st = io().WriteFile(path, "two", CreateMode::kExclusive);
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists) << st.ToString();
  EXPECT_EQ(*io().ReadFile(path), "one");
}

TEST_P(FileIOContractTest, ExclusiveRaceHasOneWinner) {
  const std::string path = P("meta/race.json");
  auto a = io().NewOutputStream(path, CreateMode::kExclusive);
  auto b = io().NewOutputStream(path, CreateMode::kExclusive);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Write("from a").ok());
  ASSERT_TRUE((*b)->Write("from b").ok());
  ASSERT_TRUE((*b)->Close().ok());
  Status st = (*a)->Close();
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists) << st.ToString();
  EXPECT_EQ(*io().ReadFile(path), "from b");
  EXPECT_EQ(ListPaths(P("meta/")), std::vector<std::string>{path});
}

TEST_P(FileIOContractTest, ReadAt) {
  const std::string path = P("r");
  ASSERT_TRUE(io().WriteFile(path, "0123456789").ok());
  auto file = io().OpenInputFile(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->path(), path);
  EXPECT_EQ(*(*file)->Size(), 10);
  EXPECT_EQ(*(*file)->ReadAt(3, 4), "3456");
  EXPECT_EQ(*(*file)->ReadAt(6, 4), "6789");
  EXPECT_EQ(*(*file)->ReadAt(10, 0), "");
  EXPECT_EQ((*file)->ReadAt(6, 5).status().code(), StatusCode::kCorruption);
  EXPECT_EQ((*file)->ReadAt(11, 1).status().code(), StatusCode::kCorruption);
  EXPECT_EQ((*file)->ReadAt(-1, 1).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(FileIOContractTest, OpenMissingIsNotFound) {
  auto file = io().OpenInputFile(P("missing"));
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  EXPECT_NE(file.status().message().find("missing"), std::string::npos);
  EXPECT_FALSE(*io().Exists(P("missing")));
}

TEST_P(FileIOContractTest, Delete) {
  const std::string path = P("d");
  ASSERT_TRUE(io().WriteFile(path, "x").ok());
  ASSERT_TRUE(io().Delete(path).ok());
  EXPECT_FALSE(*io().Exists(path));
  EXPECT_EQ(io().Delete(path).code(), StatusCode::kNotFound);
}

TEST_P(FileIOContractTest, ListIsRecursiveAndSorted) {
  for (const char* name : {"tbl/data/b.parquet", "tbl/data/a.parquet", "tbl/metadata/v1.json",
                           "tbl/data/part=1/c.parquet", "other/x"}) {
    ASSERT_TRUE(io().WriteFile(P(name), name).ok());
  }
  auto listed = io().List(P("tbl/"));
  ASSERT_TRUE(listed.ok());
  std::vector<std::string> paths;
  for (const auto& f : *listed) {
    paths.push_back(f.path);
    EXPECT_EQ(f.size, static_cast<int64_t>(f.path.size() - P("").size())) << f.path;
  }
  EXPECT_EQ(paths,
            (std::vector<std::string>{P("tbl/data/a.parquet"), P("tbl/data/b.parquet"),
                                      P("tbl/data/part=1/c.parquet"), P("tbl/metadata/v1.json")}));
  EXPECT_EQ(ListPaths(P("tbl/data/part=1/")).size(), 1u);
  EXPECT_TRUE(ListPaths(P("nothing/")).empty());
  // Listed paths can be opened.
  for (const auto& p : paths) EXPECT_TRUE(io().OpenInputFile(p).ok()) << p;
}

TEST_P(FileIOContractTest, ConcurrentWriters) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 20; ++i) {
        std::string name = "c/" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(io().WriteFile(P(name), name).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto paths = ListPaths(P("c/"));
  ASSERT_EQ(paths.size(), 80u);
  for (const auto& p : paths) EXPECT_EQ(*io().ReadFile(p), p.substr(P("").size()));
}

// --- LocalFileIO specifics ---

TEST(LocalFileIOTest, FileUris) {
  TempDir dir;
  LocalFileIO io;
  const std::string plain = dir.path() + "/u/x.txt";
  ASSERT_TRUE(io.WriteFile("file://" + plain, "via uri").ok());
  EXPECT_EQ(*io.ReadFile(plain), "via uri");
  EXPECT_EQ(*io.ReadFile("file:" + plain), "via uri");
  EXPECT_TRUE(*io.Exists("file://" + plain));
  auto listed = io.List("file://" + dir.path() + "/u");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].path, "file://" + plain);
  ASSERT_TRUE(io.Delete("file://" + plain).ok());
  EXPECT_FALSE(fs::exists(plain));
  EXPECT_EQ(LocalPathOf("file:///a/b"), "/a/b");
  EXPECT_EQ(LocalPathOf("/a/b"), "/a/b");
}

TEST(LocalFileIOTest, TemporaryIsHiddenAndRemoved) {
  TempDir dir;
  LocalFileIO io;
  const std::string path = dir.path() + "/deep/er/file.parquet";
  auto out = io.NewOutputStream(path);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("abc").ok());
  // The temporary sits beside the target, hidden, and List() does not show it.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path() + "/deep/er")) {
    names.push_back(e.path().filename().string());
  }
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].rfind(".file.parquet.tmp-", 0), 0u) << names[0];
  EXPECT_TRUE(io.List(dir.path())->empty());
  ASSERT_TRUE((*out)->Close().ok());
  names.clear();
  for (const auto& e : fs::directory_iterator(dir.path() + "/deep/er")) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"file.parquet"});

  auto aborted = io.NewOutputStream(dir.path() + "/deep/other");
  ASSERT_TRUE(aborted.ok());
  (*aborted)->Abort();
  EXPECT_EQ(
      std::distance(fs::directory_iterator(dir.path() + "/deep/er"), fs::directory_iterator()), 1);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path() + "/deep"), fs::directory_iterator()),
            1);  // only "er"
}

TEST(LocalFileIOTest, ErrorsNameThePath) {
  TempDir dir;
  LocalFileIO io;
  const std::string file = dir.path() + "/plain";
  ASSERT_TRUE(io.WriteFile(file, "x").ok());
  // A regular file cannot be a parent directory.
  auto out = io.NewOutputStream(file + "/child");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kIOError);
  EXPECT_FALSE(out.status().retryable());
  EXPECT_NE(out.status().message().find(file), std::string::npos) << out.status().ToString();

  auto in = io.OpenInputFile(dir.path());
  EXPECT_FALSE(in.ok());
  EXPECT_NE(in.status().message().find(dir.path()), std::string::npos);
  EXPECT_FALSE(io.NewOutputStream(dir.path() + "/ends-with-slash/").ok());
}

TEST(LocalFileIOTest, ListOfAFileIsThatFile) {
  TempDir dir;
  LocalFileIO io;
  ASSERT_TRUE(io.WriteFile(dir.path() + "/f", "1234").ok());
  auto listed = io.List(dir.path() + "/f");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].size, 4);
}

TEST(LocalFileIOTest, PosixErrorClassification) {
  Status nospace = PosixError(ENOSPC, "write", "/x/y");
  EXPECT_EQ(nospace.code(), StatusCode::kIOError);
  EXPECT_FALSE(nospace.retryable());
  EXPECT_NE(nospace.message().find("/x/y"), std::string::npos);
  EXPECT_NE(nospace.message().find("write"), std::string::npos);
  EXPECT_NE(nospace.message().find("No space left on device"), std::string::npos)
      << nospace.message();
  for (int err : {EINTR, EAGAIN, EBUSY, ETIMEDOUT}) {
    Status st = PosixError(err, "write", "/x");
    EXPECT_EQ(st.code(), StatusCode::kIOError);
    EXPECT_TRUE(st.retryable()) << err;
  }
  EXPECT_EQ(PosixError(ENOENT, "open", "/x").code(), StatusCode::kNotFound);
  EXPECT_EQ(PosixError(EEXIST, "create", "/x").code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(PosixError(EACCES, "open", "/x").retryable());
}

// --- MemoryFileIO specifics ---

TEST(MemoryFileIOTest, CountsAndSnapshots) {
  MemoryFileIO io;
  EXPECT_EQ(io.num_files(), 0u);
  ASSERT_TRUE(io.WriteFile("a", "12345").ok());
  ASSERT_TRUE(io.WriteFile("b", "678").ok());
  EXPECT_EQ(io.num_files(), 2u);
  EXPECT_EQ(io.total_bytes(), 8);
  // An open input file keeps reading what it opened.
  auto in = io.OpenInputFile("a");
  ASSERT_TRUE(in.ok());
  ASSERT_TRUE(io.WriteFile("a", "replaced").ok());
  EXPECT_EQ(*(*in)->ReadAt(0, 5), "12345");
  EXPECT_EQ(*io.ReadFile("a"), "replaced");
  // Prefix listing is by string, not by directory.
  ASSERT_TRUE(io.WriteFile("ab", "").ok());
  EXPECT_EQ(io.List("a")->size(), 2u);
}

}  // namespace
}  // namespace nilus
