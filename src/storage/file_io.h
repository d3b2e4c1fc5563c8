// FileIO: every byte Nilus reads or writes goes through this interface (LevelDB's Env), so that
// tests can swap in an in-memory backend or one that injects faults.
//
// Writes are published atomically: an OutputStream writes to a hidden temporary and the file
// appears under its name only when Close() succeeds. A stream destroyed without a successful
// Close() leaves nothing behind, so a failed writer never produces a file that looks valid.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace nilus {

class OutputStream {
 public:
  virtual ~OutputStream() = default;
  virtual Status Write(const void* data, size_t size) = 0;
  Status Write(std::string_view s) { return Write(s.data(), s.size()); }
  // Bytes written so far.
  virtual int64_t Tell() const = 0;
  // Makes the data durable and publishes it under the stream's path. Calling Close twice, or
  // after a failed Write, returns an error.
  virtual Status Close() = 0;
  // Discards everything written; the path is left as it was. Safe to call at any time.
  virtual void Abort() = 0;
  virtual const std::string& path() const = 0;
};

class InputFile {
 public:
  virtual ~InputFile() = default;
  virtual Result<int64_t> Size() const = 0;
  // Reads exactly `size` bytes at `offset`; a short file is a Corruption error.
  virtual Status ReadAt(int64_t offset, size_t size, void* out) const = 0;
  Result<std::string> ReadAt(int64_t offset, size_t size) const;
  virtual const std::string& path() const = 0;
};

struct FileInfo {
  std::string path;
  int64_t size = 0;
};

enum class CreateMode {
  kOverwrite,  // replace an existing file atomically
  kExclusive,  // fail with AlreadyExists when the path exists (e.g. Iceberg metadata files)
};

// Thread-safe: one FileIO may serve many concurrent streams.
class FileIO {
 public:
  virtual ~FileIO() = default;

  virtual Result<std::unique_ptr<OutputStream>> NewOutputStream(
      const std::string& path, CreateMode mode = CreateMode::kOverwrite) = 0;
  virtual Result<std::unique_ptr<InputFile>> OpenInputFile(const std::string& path) = 0;
  virtual Result<bool> Exists(const std::string& path) = 0;
  // Deleting a missing file is NotFound.
  virtual Status Delete(const std::string& path) = 0;
  // Files whose path starts with `prefix`, sorted by path. For the local backend the prefix is
  // a directory and the listing is recursive.
  virtual Result<std::vector<FileInfo>> List(const std::string& prefix) = 0;

  // Convenience: the whole file.
  Result<std::string> ReadFile(const std::string& path);
  // Convenience: write `contents` and publish, atomically.
  Status WriteFile(const std::string& path, std::string_view contents,
                   CreateMode mode = CreateMode::kOverwrite);
};

}  // namespace nilus
