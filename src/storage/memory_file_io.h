// MemoryFileIO: FileIO over a map in memory, for tests.
//
// Paths are opaque keys: there are no directories, and List(prefix) returns every file whose
// path starts with `prefix`. Streams publish at Close() like the other backends, and an input
// file reads the contents as they were when it was opened.
//
// Thread-safe. The MemoryFileIO must outlive its output streams.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/file_io.h"

namespace nilus {

class MemoryFileIO : public FileIO {
 public:
  MemoryFileIO() = default;

  Result<std::unique_ptr<OutputStream>> NewOutputStream(
      const std::string& path, CreateMode mode = CreateMode::kOverwrite) override;
  Result<std::unique_ptr<InputFile>> OpenInputFile(const std::string& path) override;
  Result<bool> Exists(const std::string& path) override;
  Status Delete(const std::string& path) override;
  Result<std::vector<FileInfo>> List(const std::string& prefix) override;

  // Published files.
  size_t num_files() const;
  // The sum of the sizes of the published files.
  int64_t total_bytes() const;

 private:
  friend class MemoryOutputStream;
  // Publishes `contents` under `path`; AlreadyExists when kExclusive and the path exists.
  Status Publish(const std::string& path, std::string contents, CreateMode mode);

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::string>> files_;
};

}  // namespace nilus
