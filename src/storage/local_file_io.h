// LocalFileIO: FileIO over the local POSIX file system.
//
// Paths are plain paths or file:// URIs ("file:///data/x" and "file:/data/x" name "/data/x").
// An OutputStream writes to a hidden temporary beside its target (".<name>.tmp-<random>"),
// creating parent directories as needed; Close() fsyncs and then publishes with rename()
// (CreateMode::kOverwrite) or link() (CreateMode::kExclusive, so an existing target gives
// AlreadyExists). List() skips these temporaries.
//
// Errors name the path and the errno text. EINTR/EAGAIN-like failures are retryable, the rest
// (ENOSPC, EACCES, ...) are not; ENOENT maps to NotFound and EEXIST to AlreadyExists.
//
// Thread-safe: LocalFileIO holds no state. Each stream or input file is used by one thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file_io.h"

namespace nilus {

class LocalFileIO : public FileIO {
 public:
  LocalFileIO() = default;
  static std::unique_ptr<LocalFileIO> Make() { return std::make_unique<LocalFileIO>(); }

  Result<std::unique_ptr<OutputStream>> NewOutputStream(
      const std::string& path, CreateMode mode = CreateMode::kOverwrite) override;
  Result<std::unique_ptr<InputFile>> OpenInputFile(const std::string& path) override;
  // True for anything at `path`, a directory included.
  Result<bool> Exists(const std::string& path) override;
  Status Delete(const std::string& path) override;
  // `prefix` names a directory, listed recursively; a missing directory lists as empty and a
  // regular file lists as itself. Returned paths are spelled as `prefix` joined with the
  // relative path, so they can be passed back to this FileIO.
  Result<std::vector<FileInfo>> List(const std::string& prefix) override;

  // Buffer size of an OutputStream: smaller writes are gathered before reaching the kernel.
  static constexpr size_t kWriteBufferSize = 1 << 20;
};

// "file:///a/b" and "file:/a/b" -> "/a/b"; anything else is returned unchanged.
std::string_view LocalPathOf(std::string_view path);

// The Status for a failed system call: "<what> '<path>': <errno text>", with the code and
// retryable flag derived from `err`.
Status PosixError(int err, std::string_view what, std::string_view path);

}  // namespace nilus
