#include "storage/memory_file_io.h"

#include <fmt/format.h>

namespace nilus {

class MemoryOutputStream : public OutputStream {
 public:
  MemoryOutputStream(MemoryFileIO* io, std::string path, CreateMode mode)
      : io_(io), path_(std::move(path)), mode_(mode) {}

  Status Write(const void* data, size_t size) override {
    if (done_) return Status::IOError(fmt::format("write to '{}' after Close() or Abort()", path_));
    contents_.append(static_cast<const char*>(data), size);
    return Status::OK();
  }
  int64_t Tell() const override { return static_cast<int64_t>(contents_.size()); }
  Status Close() override {
    if (done_) return Status::IOError(fmt::format("close '{}' after Close() or Abort()", path_));
    done_ = true;
    return io_->Publish(path_, std::move(contents_), mode_);
  }
  void Abort() override {
    done_ = true;
    contents_.clear();
  }
  const std::string& path() const override { return path_; }

 private:
  MemoryFileIO* io_;
  std::string path_;
  CreateMode mode_;
  std::string contents_;
  bool done_ = false;
};

namespace {

class MemoryInputFile : public InputFile {
 public:
  MemoryInputFile(std::string path, std::shared_ptr<const std::string> contents)
      : path_(std::move(path)), contents_(std::move(contents)) {}

  Result<int64_t> Size() const override { return static_cast<int64_t>(contents_->size()); }
  Status ReadAt(int64_t offset, size_t size, void* out) const override {
    if (offset < 0) {
      return Status::Invalid(fmt::format("read '{}' at negative offset {}", path_, offset));
    }
    const auto file_size = contents_->size();
    if (static_cast<uint64_t>(offset) > file_size || size > file_size - offset) {
      return Status::Corruption(
          fmt::format("'{}' is too short: read of {} bytes at offset {} (file size {})", path_,
                      size, offset, file_size));
    }
    if (size) contents_->copy(static_cast<char*>(out), size, static_cast<size_t>(offset));
    return Status::OK();
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::shared_ptr<const std::string> contents_;
};

}  // namespace

Result<std::unique_ptr<OutputStream>> MemoryFileIO::NewOutputStream(const std::string& path,
                                                                    CreateMode mode) {
  if (path.empty()) return Status::Invalid("output path is empty");
  if (mode == CreateMode::kExclusive) {
    std::lock_guard<std::mutex> lock(mu_);
    if (files_.count(path))
      return Status::AlreadyExists(fmt::format("create '{}': file exists", path));
  }
  return std::unique_ptr<OutputStream>(new MemoryOutputStream(this, path, mode));
}

Status MemoryFileIO::Publish(const std::string& path, std::string contents, CreateMode mode) {
  auto data = std::make_shared<const std::string>(std::move(contents));
  std::lock_guard<std::mutex> lock(mu_);
  if (mode == CreateMode::kExclusive) {
    if (!files_.emplace(path, std::move(data)).second) {
      return Status::AlreadyExists(fmt::format("create '{}': file exists", path));
    }
  } else {
    files_[path] = std::move(data);
  }
  return Status::OK();
}

Result<std::unique_ptr<InputFile>> MemoryFileIO::OpenInputFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return Status::NotFound(fmt::format("open '{}': no such file", path));
  return std::unique_ptr<InputFile>(new MemoryInputFile(path, it->second));
}

Result<bool> MemoryFileIO::Exists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return files_.count(path) > 0;
}

Status MemoryFileIO::Delete(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.erase(path) == 0)
    return Status::NotFound(fmt::format("delete '{}': no such file", path));
  return Status::OK();
}

Result<std::vector<FileInfo>> MemoryFileIO::List(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FileInfo> out;
  for (auto it = files_.lower_bound(prefix); it != files_.end() && it->first.starts_with(prefix);
       ++it) {
    out.push_back({it->first, static_cast<int64_t>(it->second->size())});
  }
  return out;
}

size_t MemoryFileIO::num_files() const {
  std::lock_guard<std::mutex> lock(mu_);
  return files_.size();
}

int64_t MemoryFileIO::total_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t total = 0;
  for (const auto& [path, contents] : files_) total += static_cast<int64_t>(contents->size());
  return total;
}

}  // namespace nilus
