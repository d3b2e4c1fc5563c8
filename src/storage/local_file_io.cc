#include "storage/local_file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>

namespace nilus {

namespace fs = std::filesystem;

std::string_view LocalPathOf(std::string_view path) {
  if (path.starts_with("file://")) return path.substr(7);
  if (path.starts_with("file:")) return path.substr(5);
  return path;
}

Status PosixError(int err, std::string_view what, std::string_view path) {
  std::string msg = fmt::format("{} '{}': {}", what, path, std::generic_category().message(err));
  switch (err) {
    case ENOENT:
      return Status::NotFound(std::move(msg));
    case EEXIST:
      return Status::AlreadyExists(std::move(msg));
    case EINTR:
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EBUSY:
    case ETIMEDOUT:
    case ENOBUFS:
    case ESTALE:
      return Status::IOError(std::move(msg), /*retryable=*/true);
    default:
      return Status::IOError(std::move(msg));
  }
}

namespace {

constexpr std::string_view kTempMarker = ".tmp-";

bool IsTemporaryName(std::string_view name) {
  return name.starts_with('.') && name.find(kTempMarker) != std::string_view::npos;
}

std::string RandomSuffix() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{:016x}", rng());
}

// fsync a directory so that a rename or link inside it survives a crash.
Status SyncDirectory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return PosixError(errno, "open directory", dir.native());
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::OK() : PosixError(err, "fsync directory", dir.native());
}

class LocalOutputStream : public OutputStream {
 public:
  LocalOutputStream(std::string path, fs::path target, fs::path temp, int fd, CreateMode mode)
      : path_(std::move(path)),
        target_(std::move(target)),
        temp_(std::move(temp)),
        fd_(fd),
        mode_(mode) {}
  ~LocalOutputStream() override { Abort(); }

  Status Write(const void* data, size_t size) override {
    if (state_ != State::kOpen) return NotOpen("write to");
    const char* p = static_cast<const char*>(data);
    if (!buffer_) buffer_ = std::make_unique_for_overwrite<char[]>(LocalFileIO::kWriteBufferSize);
    if (buffered_ + size <= LocalFileIO::kWriteBufferSize) {
      if (size) std::memcpy(buffer_.get() + buffered_, p, size);
      buffered_ += size;
    } else {
      NILUS_RETURN_NOT_OK(Check(FlushBuffer()));
      if (size >= LocalFileIO::kWriteBufferSize) {
        NILUS_RETURN_NOT_OK(Check(WriteAll(p, size)));
      } else {
        std::memcpy(buffer_.get(), p, size);
        buffered_ = size;
      }
    }
    position_ += static_cast<int64_t>(size);
    return Status::OK();
  }

  int64_t Tell() const override { return position_; }

  Status Close() override {
    if (state_ != State::kOpen) {
      Status st = NotOpen("close");
      Abort();
      return st;
    }
    Status st = Publish();
    if (!st.ok()) {
      Abort();
      return st;
    }
    state_ = State::kClosed;
    return Status::OK();
  }

  void Abort() override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (!temp_.empty()) {
      ::unlink(temp_.c_str());
      temp_.clear();
    }
    if (state_ == State::kOpen) state_ = State::kAborted;
    buffer_.reset();
  }

  const std::string& path() const override { return path_; }

 private:
  enum class State { kOpen, kFailed, kAborted, kClosed };

  Status NotOpen(std::string_view op) const {
    const char* why = state_ == State::kFailed   ? "a failed write"
                      : state_ == State::kClosed ? "Close()"
                                                 : "Abort()";
    return Status::IOError(fmt::format("{} '{}' after {}", op, path_, why));
  }

  // Poisons the stream on error: what reached the temporary is unknown.
  Status Check(Status st) {
    if (!st.ok()) state_ = State::kFailed;
    return st;
  }

  Status WriteAll(const char* p, size_t size) {
    while (size > 0) {
      ssize_t n = ::write(fd_, p, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError(errno, "write", path_);
      }
      p += n;
      size -= static_cast<size_t>(n);
    }
    return Status::OK();
  }

  Status FlushBuffer() {
    Status st = WriteAll(buffer_.get(), buffered_);
    buffered_ = 0;
    return st;
  }

  Status Publish() {
    if (buffered_ > 0) NILUS_RETURN_NOT_OK(FlushBuffer());
    if (::fsync(fd_) != 0) return PosixError(errno, "fsync", path_);
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return PosixError(errno, "close", path_);
    if (mode_ == CreateMode::kOverwrite) {
      if (::rename(temp_.c_str(), target_.c_str()) != 0)
        return PosixError(errno, "rename to", path_);
    } else {
      // link() fails with EEXIST instead of replacing, which rename() would do silently.
      if (::link(temp_.c_str(), target_.c_str()) != 0) return PosixError(errno, "create", path_);
      ::unlink(temp_.c_str());
    }
    temp_.clear();
    return SyncDirectory(target_.parent_path());
  }

  std::string path_;
  fs::path target_;
  fs::path temp_;  // empty once published or removed
  int fd_;
  CreateMode mode_;
  State state_ = State::kOpen;
  std::unique_ptr<char[]> buffer_;
  size_t buffered_ = 0;
  int64_t position_ = 0;
};

class LocalInputFile : public InputFile {
 public:
  LocalInputFile(std::string path, int fd, int64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~LocalInputFile() override { ::close(fd_); }

  Result<int64_t> Size() const override { return size_; }

  Status ReadAt(int64_t offset, size_t size, void* out) const override {
    if (offset < 0) {
      return Status::Invalid(fmt::format("read '{}' at negative offset {}", path_, offset));
    }
    char* p = static_cast<char*>(out);
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::pread(fd_, p + done, size - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError(errno, "read", path_);
      }
      if (n == 0) {
        return Status::Corruption(
            fmt::format("'{}' is too short: read of {} bytes at offset {} "
                        "got {} bytes (file size {})",
                        path_, size, offset, done, size_));
      }
      done += static_cast<size_t>(n);
    }
    return Status::OK();
  }

  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  int64_t size_;
};

}  // namespace

Result<std::unique_ptr<OutputStream>> LocalFileIO::NewOutputStream(const std::string& path,
                                                                   CreateMode mode) {
  fs::path target(LocalPathOf(path));
  if (!target.has_filename()) {
    return Status::Invalid(fmt::format("output path '{}' does not name a file", path));
  }
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return PosixError(ec.value(), "create directory", dir.native());
  // Fail early; link() at Close() still decides a race.
  if (mode == CreateMode::kExclusive && ::access(target.c_str(), F_OK) == 0) {
    return Status::AlreadyExists(fmt::format("create '{}': file exists", path));
  }
  for (int attempt = 0;; ++attempt) {
    fs::path temp =
        dir / fmt::format(".{}{}{}", target.filename().native(), kTempMarker, RandomSuffix());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      return std::unique_ptr<OutputStream>(
          new LocalOutputStream(path, std::move(target), std::move(temp), fd, mode));
    }
    if (errno != EEXIST || attempt >= 3) return PosixError(errno, "create temporary for", path);
  }
}

Result<std::unique_ptr<InputFile>> LocalFileIO::OpenInputFile(const std::string& path) {
  std::string local(LocalPathOf(path));
  int fd = ::open(local.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PosixError(errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return PosixError(err, "stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::IOError(fmt::format("open '{}': not a regular file", path));
  }
  return std::unique_ptr<InputFile>(new LocalInputFile(path, fd, st.st_size));
}

Result<bool> LocalFileIO::Exists(const std::string& path) {
  std::string local(LocalPathOf(path));
  struct stat st;
  if (::stat(local.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return PosixError(errno, "stat", path);
}

Status LocalFileIO::Delete(const std::string& path) {
  std::string local(LocalPathOf(path));
  if (::unlink(local.c_str()) != 0) return PosixError(errno, "delete", path);
  return Status::OK();
}

Result<std::vector<FileInfo>> LocalFileIO::List(const std::string& prefix) {
  fs::path root(LocalPathOf(prefix));
  std::vector<FileInfo> out;
  std::error_code ec;
  auto root_status = fs::status(root, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return out;
    return PosixError(ec.value(), "list", prefix);
  }
  if (fs::is_regular_file(root_status)) {
    auto size = fs::file_size(root, ec);
    if (ec) return PosixError(ec.value(), "stat", prefix);
    out.push_back({prefix, static_cast<int64_t>(size)});
    return out;
  }
  const std::string base = prefix.ends_with('/') ? prefix : prefix + "/";
  fs::recursive_directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    if (IsTemporaryName(entry.path().filename().native())) continue;
    std::error_code entry_ec;
    if (!entry.is_regular_file(entry_ec)) continue;
    auto size = entry.file_size(entry_ec);
    // A file deleted while we list is simply not listed.
    if (entry_ec) continue;
    out.push_back(
        {base + entry.path().lexically_relative(root).native(), static_cast<int64_t>(size)});
  }
  if (ec) return PosixError(ec.value(), "list", prefix);
  std::sort(out.begin(), out.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
  return out;
}

}  // namespace nilus
