#include "storage/fault_injection_file_io.h"

#include <fmt/format.h>

#include <algorithm>

namespace nilus {

class FaultInjectionOutputStream : public OutputStream {
 public:
  FaultInjectionOutputStream(FaultInjectionFileIO* io, std::unique_ptr<OutputStream> base,
                             int64_t number)
      : io_(io), base_(std::move(base)), number_(number) {}

  Status Write(const void* data, size_t size) override {
    if (failed_) {
      return Status::IOError(fmt::format("write to '{}' after a failed write", path()));
    }
    auto decision = io_->NextWrite();
    switch (decision.fault) {
      case FaultInjectionFileIO::WriteFault::kNone:
        return base_->Write(data, size);
      case FaultInjectionFileIO::WriteFault::kFail:
        failed_ = true;
        return Status::IOError(
            fmt::format("injected fault: write #{} to '{}' failed", decision.number, path()),
            /*retryable=*/true);
      case FaultInjectionFileIO::WriteFault::kTruncate: {
        failed_ = true;
        size_t keep = std::min(size, decision.keep_bytes);
        NILUS_RETURN_NOT_OK(base_->Write(data, keep));
        return Status::IOError(
            fmt::format("injected fault: write #{} to '{}' torn after {} of "
                        "{} bytes",
                        decision.number, path(), keep, size));
      }
    }
    return Status::Internal("unreachable");
  }

  int64_t Tell() const override { return base_->Tell(); }

  Status Close() override {
    if (failed_) {
      base_->Abort();
      return Status::IOError(fmt::format("close '{}' after a failed write", path()));
    }
    if (io_->ShouldFailClose(number_)) {
      base_->Abort();
      return Status::IOError(
          fmt::format("injected fault: close of stream #{} ('{}') failed", number_, path()),
          /*retryable=*/true);
    }
    return base_->Close();
  }

  void Abort() override { base_->Abort(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectionFileIO* io_;
  std::unique_ptr<OutputStream> base_;
  int64_t number_;
  bool failed_ = false;
};

void FaultInjectionFileIO::FailWrite(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_write_ = n;
}

void FaultInjectionFileIO::TruncateWrite(int64_t n, size_t keep_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  truncate_write_ = n;
  truncate_keep_ = keep_bytes;
}

void FaultInjectionFileIO::FailClose(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_close_ = n;
}

void FaultInjectionFileIO::set_fail_new_output_stream(bool fail) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_new_output_stream_ = fail;
}

void FaultInjectionFileIO::set_fail_open_input_file(bool fail) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_open_input_file_ = fail;
}

void FaultInjectionFileIO::Disarm() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_write_ = truncate_write_ = fail_close_ = 0;
  fail_new_output_stream_ = fail_open_input_file_ = false;
}

int64_t FaultInjectionFileIO::num_writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writes_;
}

int64_t FaultInjectionFileIO::num_streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_;
}

int64_t FaultInjectionFileIO::num_faults() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_;
}

FaultInjectionFileIO::WriteDecision FaultInjectionFileIO::NextWrite() {
  std::lock_guard<std::mutex> lock(mu_);
  WriteDecision d;
  d.number = ++writes_;
  if (d.number == fail_write_) {
    d.fault = WriteFault::kFail;
  } else if (d.number == truncate_write_) {
    d.fault = WriteFault::kTruncate;
    d.keep_bytes = truncate_keep_;
  }
  if (d.fault != WriteFault::kNone) ++faults_;
  return d;
}

bool FaultInjectionFileIO::ShouldFailClose(int64_t stream_number) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stream_number != fail_close_) return false;
  ++faults_;
  return true;
}

Result<std::unique_ptr<OutputStream>> FaultInjectionFileIO::NewOutputStream(const std::string& path,
                                                                            CreateMode mode) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_new_output_stream_) {
      ++faults_;
      return Status::IOError(fmt::format("injected fault: create '{}' failed", path),
                             /*retryable=*/true);
    }
  }
  NILUS_ASSIGN_OR_RAISE(auto base, base_->NewOutputStream(path, mode));
  int64_t number;
  {
    std::lock_guard<std::mutex> lock(mu_);
    number = ++streams_;
  }
  return std::unique_ptr<OutputStream>(
      new FaultInjectionOutputStream(this, std::move(base), number));
}

Result<std::unique_ptr<InputFile>> FaultInjectionFileIO::OpenInputFile(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_open_input_file_) {
      ++faults_;
      return Status::IOError(fmt::format("injected fault: open '{}' failed", path),
                             /*retryable=*/true);
    }
  }
  return base_->OpenInputFile(path);
}

}  // namespace nilus
