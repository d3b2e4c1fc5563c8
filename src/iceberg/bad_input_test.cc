// Bad input: a missing table, a broken metadata file, an unreachable catalog, an unknown
// partition transform and a missing or corrupt manifest list or manifest each give an error
// that says what failed and names the table and, where a file is at fault, the file; and
// nothing already committed is touched (the catalog pointer and every committed file stay as
// they were, and the table reads as before once the damage is repaired).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "formats/parquet/writer.h"
#include "iceberg/file_writers.h"
#include "iceberg/maintenance.h"
#include "iceberg/manifest.h"
#include "iceberg/manifest_list.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "iceberg/table_metadata.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg {
namespace {

// Passes when `st` failed with `code` and its message contains every part.
::testing::AssertionResult FailsWith(const Status& st, StatusCode code,
                                     std::initializer_list<std::string> parts) {
  if (st.ok()) return ::testing::AssertionFailure() << "succeeded";
  if (st.code() != code) {
    return ::testing::AssertionFailure() << "code " << StatusCodeName(st.code()) << ", expected "
                                         << StatusCodeName(code) << ": " << st.ToString();
  }
  for (const std::string& part : parts) {
    if (st.message().find(part) == std::string::npos) {
      return ::testing::AssertionFailure() << "message lacks '" << part << "': " << st.ToString();
    }
  }
  return ::testing::AssertionSuccess();
}

SchemaPtr BadInputSchema() {
  return std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "id", Type::Long()),
      NestedField::Optional(2, "region", Type::String()),
  });
}

OrphanFileOptions AnyAge() {
  OrphanFileOptions o;
  o.older_than = std::chrono::milliseconds(0);
  return o;
}

class IcebergBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nilus_ibad_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = SqlCatalogStore::Open("sqlite:///" + dir_ + "/catalog.db", "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store.MoveValue();
    ASSERT_TRUE(store_->CreateNamespace("db").ok());
    auto c = Catalog::Make(store_.get(), &io_, dir_ + "/warehouse");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = c.MoveValue();
  }
  void TearDown() override {
    catalog_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // db.events with `commits` appends of 4 rows each.
  std::unique_ptr<Table> CreateEvents(int commits,
                                      const PartitionSpec& spec = PartitionSpec::Unpartitioned()) {
    auto t = catalog_->CreateTable("db", "events", *BadInputSchema(), spec);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (!t.ok()) return nullptr;
    for (int i = 0; i < commits; ++i) {
      Status st = Append(
          t->get(), spec.fields.empty() ? std::vector<Value>{} : std::vector<Value>{Region("eu")});
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return t.MoveValue();
  }

  static Value Region(const std::string& r) { return Value{Type::String(), r}; }

  Status Append(Table* table, std::vector<Value> partition = {}) {
    SchemaPtr schema = table->metadata().schemas.at(0);
    const std::string path =
        table->metadata().location + "/data/f" + std::to_string(next_file_++) + ".parquet";
    NILUS_ASSIGN_OR_RAISE(auto writer, parquet::ParquetWriter::Open(&io_, path, schema));
    ColumnBatch batch(schema);
    for (int i = 0; i < 4; ++i) {
      batch.mutable_column(0)->AppendInt64(i);
      batch.mutable_column(1)->AppendBytes("eu");
    }
    NILUS_RETURN_NOT_OK(writer->Write(batch));
    NILUS_ASSIGN_OR_RAISE(auto metrics, writer->Close());
    NILUS_ASSIGN_OR_RAISE(
        DataFile file, DataFileFromParquet(metrics, DataFileContent::kData, std::move(partition)));
    auto append = table->NewFastAppend();
    append->AppendFile(std::move(file));
    return append->Commit();
  }

  // Every file under the table with its contents.
  std::map<std::string, std::string> FileContents(const Table& table) {
    std::map<std::string, std::string> out;
    auto files = io_.List(table.metadata().location);
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    if (!files.ok()) return out;
    for (const FileInfo& f : *files) out[f.path] = *io_.ReadFile(f.path);
    return out;
  }

  // The table as the catalog now shows it: its metadata file and live-file totals.
  struct State {
    std::string metadata_location;
    int64_t data_files = -1;
    int64_t records = -1;
  };
  State Current() {
    State s;
    auto t = catalog_->LoadTable("db", "events");
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (!t.ok()) return s;
    s.metadata_location = (*t)->metadata_location();
    const auto* snapshot = (*t)->metadata().CurrentSnapshot();
    if (snapshot == nullptr) return s;
    auto counts = CountLiveFiles(&io_, *snapshot);
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    if (counts.ok()) {
      s.data_files = counts->data_files;
      s.records = counts->data_records;
    }
    return s;
  }
  // Rows a scan of the table returns (deletes applied), or -1 on error.
  int64_t ScannedRows(const Table& table) {
    auto batches = ScanTable(table);
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    if (!batches.ok()) return -1;
    int64_t rows = 0;
    for (const auto& b : *batches) rows += b->num_rows();
    return rows;
  }
  void ExpectState(const State& want) {
    State got = Current();
    EXPECT_EQ(got.metadata_location, want.metadata_location);
    EXPECT_EQ(got.data_files, want.data_files);
    EXPECT_EQ(got.records, want.records);
  }

  std::string dir_;
  LocalFileIO io_;
  std::unique_ptr<SqlCatalogStore> store_;
  std::unique_ptr<Catalog> catalog_;
  int next_file_ = 0;
};

TEST_F(IcebergBadInputTest, MissingTableIsNotFoundNamingIt) {
  auto t = catalog_->LoadTable("db", "nope");
  EXPECT_TRUE(FailsWith(t.status(), StatusCode::kNotFound, {"db.nope"}));
  auto ns = catalog_->LoadTable("nowhere", "nope");
  EXPECT_TRUE(FailsWith(ns.status(), StatusCode::kNotFound, {"nowhere.nope"}));
  // Nothing was registered or created on the way.
  EXPECT_TRUE(store_->ListTables("db")->empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/warehouse/db/nope"));
}

TEST_F(IcebergBadInputTest, BrokenMetadataJsonIsCorruptionNamingTableAndFile) {
  auto table = CreateEvents(2);
  ASSERT_NE(table, nullptr);
  // A second writer whose metadata will be stale when the file breaks.
  auto stale = catalog_->LoadTable("db", "events");
  ASSERT_TRUE(stale.ok());
  ASSERT_TRUE(Append(table.get()).ok());
  const State before = Current();
  ASSERT_EQ(before.records, 12);
  const std::string md_path = table->metadata_location();
  const std::string good = *io_.ReadFile(md_path);
  const auto files_before = FileContents(*table);

  for (const std::string& broken : {good.substr(0, good.size() / 2), std::string("{\"format-")}) {
    SCOPED_TRACE(broken.size());
    ASSERT_TRUE(io_.WriteFile(md_path, broken).ok());
    auto loaded = catalog_->LoadTable("db", "events");
    EXPECT_TRUE(FailsWith(loaded.status(), StatusCode::kCorruption, {"db.events", md_path}));

    // A refresh fails the same way and leaves the table object as it was.
    EXPECT_TRUE(FailsWith(table->Refresh(), StatusCode::kCorruption, {"db.events", md_path}));
    EXPECT_EQ(table->metadata_location(), md_path);

    // A commit that must reload (its metadata is stale) fails cleanly: the pointer does not
    // move and the files it prepared are gone (only its caller's data file is left).
    auto append_files_before = io_.List((*stale)->metadata().location + "/metadata");
    ASSERT_TRUE(append_files_before.ok());
    auto stale_again = catalog_->LoadTable("db", "events");
    EXPECT_FALSE(stale_again.ok());
    Status st = Append(stale->get());
    EXPECT_TRUE(FailsWith(st, StatusCode::kCorruption, {"db.events", md_path}));
    EXPECT_EQ(*store_->LoadTable("db", "events"), md_path);
    auto append_files_after = io_.List((*stale)->metadata().location + "/metadata");
    ASSERT_TRUE(append_files_after.ok());
    EXPECT_EQ(append_files_after->size(), append_files_before->size());
  }

  // Repaired, the table is intact: same metadata, same files, same rows.
  ASSERT_TRUE(io_.WriteFile(md_path, good).ok());
  ExpectState(before);
  for (const auto& [path, contents] : files_before) {
    auto now = io_.ReadFile(path);
    ASSERT_TRUE(now.ok()) << path;
    EXPECT_TRUE(*now == contents) << "changed: " << path;
  }
  ASSERT_TRUE(table->Refresh().ok());
  ASSERT_TRUE(Append(table.get()).ok());
  EXPECT_EQ(Current().records, 16);
}

TEST_F(IcebergBadInputTest, MissingMetadataFileIsNamed) {
  auto table = CreateEvents(1);
  ASSERT_NE(table, nullptr);
  const std::string md_path = table->metadata_location();
  const std::string good = *io_.ReadFile(md_path);
  ASSERT_TRUE(io_.Delete(md_path).ok());
  auto loaded = catalog_->LoadTable("db", "events");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("db.events"), std::string::npos)
      << loaded.status().ToString();
  EXPECT_NE(loaded.status().message().find(md_path), std::string::npos)
      << loaded.status().ToString();
  ASSERT_TRUE(io_.WriteFile(md_path, good).ok());
  EXPECT_TRUE(catalog_->LoadTable("db", "events").ok());
}

// Returns a loopback port nobody listens on (bound, then released).
int ClosedLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

TEST_F(IcebergBadInputTest, UnreachableCatalogIsUnavailableNamingIt) {
  const int port = ClosedLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string host = "127.0.0.1:" + std::to_string(port);
  auto pg = SqlCatalogStore::Open("postgresql://nilus:secret-pw@" + host + "/lake", "test");
  EXPECT_TRUE(FailsWith(pg.status(), StatusCode::kUnavailable, {"postgresql", host}));
  EXPECT_TRUE(pg.status().retryable()) << pg.status().ToString();
  // The password never appears in messages.
  EXPECT_EQ(pg.status().message().find("secret-pw"), std::string::npos) << pg.status().ToString();

  const std::string missing_dir = dir_ + "/nonexistent-dir";
  auto sqlite = SqlCatalogStore::Open("sqlite:///" + missing_dir + "/x.db", "test");
  EXPECT_TRUE(FailsWith(sqlite.status(), StatusCode::kUnavailable, {missing_dir + "/x.db"}));
  EXPECT_FALSE(std::filesystem::exists(missing_dir));
}

TEST_F(IcebergBadInputTest, UnknownPartitionTransformNamesTransformTableAndFile) {
  PartitionSpec spec;
  spec.fields.push_back(PartitionField{2, kPartitionDataIdStart, "region", Transform::Identity()});
  auto table = CreateEvents(1, spec);
  ASSERT_NE(table, nullptr);
  const State before = Current();
  ASSERT_EQ(before.records, 4);
  const std::string good_path = table->metadata_location();
  const std::string good = *io_.ReadFile(good_path);
  const auto files_before = FileContents(*table);

  // A newer writer's metadata with a transform Nilus does not know, published as the next
  // version (the committed files stay as they are).
  std::string json = good;
  const std::string from = "\"transform\": \"identity\"";
  const size_t at = json.find(from);
  ASSERT_NE(at, std::string::npos) << json;
  ASSERT_EQ(json.find(from, at + 1), std::string::npos) << "one partition field expected";
  json.replace(at, from.size(), "\"transform\": \"zorder[3]\"");
  const std::string zorder_path = NewMetadataFilePath(table->metadata().location, 2);
  ASSERT_TRUE(io_.WriteFile(zorder_path, json, CreateMode::kExclusive).ok());
  ASSERT_TRUE(store_->SwapMetadataLocation("db", "events", good_path, zorder_path).ok());

  auto loaded = catalog_->LoadTable("db", "events");
  EXPECT_TRUE(
      FailsWith(loaded.status(), StatusCode::kCorruption, {"zorder[3]", "db.events", zorder_path}));
  // The parser alone names the document it was given.
  auto parsed = TableMetadataFromJson(json, "some.metadata.json");
  EXPECT_TRUE(
      FailsWith(parsed.status(), StatusCode::kCorruption, {"zorder[3]", "some.metadata.json"}));
  // Writers cannot commit on top of it either; nothing moves.
  EXPECT_FALSE(table->Refresh().ok());
  EXPECT_EQ(*store_->LoadTable("db", "events"), zorder_path);

  // Back to the last good version: everything as before.
  ASSERT_TRUE(store_->SwapMetadataLocation("db", "events", zorder_path, good_path).ok());
  ExpectState(before);
  for (const auto& [path, contents] : files_before) {
    auto now = io_.ReadFile(path);
    ASSERT_TRUE(now.ok()) << path;
    EXPECT_TRUE(*now == contents) << "changed: " << path;
  }
}

// Damage to a manifest list or manifest, each repaired before the next: reading the table's
// files fails naming the file, orphan removal refuses to delete anything, a commit that needs
// the file fails without moving the pointer, and after the repair the table is as before.
TEST_F(IcebergBadInputTest, MissingOrCorruptManifestListOrManifestIsNamed) {
  auto table = CreateEvents(2);
  ASSERT_NE(table, nullptr);
  const State before = Current();
  ASSERT_EQ(before.records, 8);
  const auto files_before = FileContents(*table);
  const iceberg::Snapshot current = *table->metadata().CurrentSnapshot();
  const std::string list_path = current.manifest_list;
  auto manifests = ReadManifestList(&io_, list_path);
  ASSERT_TRUE(manifests.ok()) << manifests.status().ToString();
  ASSERT_EQ(manifests->size(), 2u);
  const std::string manifest_path = (*manifests)[0].manifest_path;

  struct Damage {
    const char* what;
    std::string path;
    bool remove;  // or overwrite with garbage / a truncated copy
    std::string contents;
    StatusCode code;
  };
  const std::string list_bytes = files_before.at(list_path);
  const std::string manifest_bytes = files_before.at(manifest_path);
  const std::vector<Damage> damages = {
      {"manifest list missing", list_path, true, "", StatusCode::kNotFound},
      {"manifest list truncated", list_path, false, list_bytes.substr(0, list_bytes.size() / 2),
       StatusCode::kCorruption},
      {"manifest list garbage", list_path, false, "not an avro file", StatusCode::kCorruption},
      {"manifest missing", manifest_path, true, "", StatusCode::kNotFound},
      {"manifest truncated", manifest_path, false,
       manifest_bytes.substr(0, manifest_bytes.size() / 2), StatusCode::kCorruption},
      {"manifest garbage", manifest_path, false, "Obj\x01 garbage", StatusCode::kCorruption},
  };
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.what);
    const std::string original = *io_.ReadFile(d.path);
    if (d.remove) {
      ASSERT_TRUE(io_.Delete(d.path).ok());
    } else {
      ASSERT_TRUE(io_.WriteFile(d.path, d.contents).ok());
    }

    // Reading the table's files names the damaged file.
    auto counts = CountLiveFiles(&io_, current);
    EXPECT_TRUE(FailsWith(counts.status(), d.code, {d.path}));
    auto scanned = ScanTable(*table);
    EXPECT_TRUE(FailsWith(scanned.status(), d.code, {d.path}));
    auto reachable = ReachableFiles(*table);
    EXPECT_TRUE(FailsWith(reachable.status(), d.code, {d.path}));
    // Reachability unknown: orphan removal deletes nothing.
    auto removed = RemoveOrphanFiles(*table, AnyAge());
    EXPECT_TRUE(FailsWith(removed.status(), d.code, {d.path}));
    for (const auto& [path, contents] : files_before) {
      if (path != d.path) {
        EXPECT_TRUE(*io_.Exists(path)) << "deleted: " << path;
      }
    }
    // The metadata itself still loads: the damage is below it.
    auto loaded = catalog_->LoadTable("db", "events");
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    // An append reads the manifest list (to keep the parent's manifests): with the list
    // damaged it fails naming the table and the list, and the pointer stays.
    if (d.path == list_path) {
      Status st = Append(loaded->get());
      EXPECT_TRUE(FailsWith(st, d.code, {"db.events", d.path}));
      EXPECT_EQ(*store_->LoadTable("db", "events"), before.metadata_location);
    }

    ASSERT_TRUE(io_.WriteFile(d.path, original).ok());
    ExpectState(before);
    EXPECT_EQ(ScannedRows(*table), 8);
  }
  // Every committed file is as it was.
  for (const auto& [path, contents] : files_before) {
    auto now = io_.ReadFile(path);
    ASSERT_TRUE(now.ok()) << path;
    EXPECT_TRUE(*now == contents) << "changed: " << path;
  }
}

// A data file missing or corrupt: a scan fails naming it; repaired, the scan reads every row.
TEST_F(IcebergBadInputTest, MissingOrCorruptDataFileIsNamed) {
  auto table = CreateEvents(2);
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(ScannedRows(*table), 8);
  const std::string data_path = table->metadata().location + "/data/f0.parquet";
  const std::string original = *io_.ReadFile(data_path);
  for (bool remove : {true, false}) {
    SCOPED_TRACE(remove ? "missing" : "corrupt");
    if (remove) {
      ASSERT_TRUE(io_.Delete(data_path).ok());
    } else {
      ASSERT_TRUE(io_.WriteFile(data_path, original.substr(0, original.size() / 2)).ok());
    }
    auto scanned = ScanTable(*table);
    ASSERT_FALSE(scanned.ok());
    EXPECT_NE(scanned.status().message().find(data_path), std::string::npos)
        << scanned.status().ToString();
    ASSERT_TRUE(io_.WriteFile(data_path, original).ok());
    EXPECT_EQ(ScannedRows(*table), 8);
  }
}

}  // namespace
}  // namespace nilus::iceberg
