// FaultInjectionFileIO: wraps another FileIO and makes chosen operations fail, the way
// LevelDB's fault-injecting Env tests crash recovery.
//
// Write calls are numbered 1, 2, ... across all streams this FileIO created, and output
// streams are numbered the same way in creation order. Arm a fault, run the code under test,
// and check that it returned the error and left no file that looks valid:
//
//   MemoryFileIO mem;
//   FaultInjectionFileIO io(&mem);
//   io.FailWrite(3);  // the third Write call fails
//
// After an injected write fault the stream behaves like a real one after a failed write:
// later Write and Close calls fail, and Close aborts the underlying stream so nothing is
// published. Faults fire once; counters keep counting.
//
// Thread-safe. The wrapped FileIO is not owned and must outlive this object and its streams.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/file_io.h"

namespace nilus {

class FaultInjectionFileIO : public FileIO {
 public:
  explicit FaultInjectionFileIO(FileIO* base) : base_(base) {}

  // The nth Write call returns a retryable IOError and writes nothing.
  void FailWrite(int64_t n);
  // The nth Write call passes only its first `keep_bytes` bytes (at most all of them) to the
  // underlying stream, then returns a non-retryable IOError: a torn write.
  void TruncateWrite(int64_t n, size_t keep_bytes);
  // Close() of the nth output stream aborts it and returns a retryable IOError.
  void FailClose(int64_t n);
  // While set, NewOutputStream / OpenInputFile return a retryable IOError.
  void set_fail_new_output_stream(bool fail);
  void set_fail_open_input_file(bool fail);
  // Disarms every fault; counters keep their values.
  void Disarm();

  // Write calls so far, failed ones included.
  int64_t num_writes() const;
  // Output streams created so far.
  int64_t num_streams() const;
  // Faults that fired so far.
  int64_t num_faults() const;

  Result<std::unique_ptr<OutputStream>> NewOutputStream(
      const std::string& path, CreateMode mode = CreateMode::kOverwrite) override;
  Result<std::unique_ptr<InputFile>> OpenInputFile(const std::string& path) override;
  Result<bool> Exists(const std::string& path) override { return base_->Exists(path); }
  Status Delete(const std::string& path) override { return base_->Delete(path); }
  Result<std::vector<FileInfo>> List(const std::string& prefix) override {
    return base_->List(prefix);
  }

 private:
  friend class FaultInjectionOutputStream;
  enum class WriteFault { kNone, kFail, kTruncate };
  struct WriteDecision {
    WriteFault fault = WriteFault::kNone;
    int64_t number = 0;  // the Write call's number
    size_t keep_bytes = 0;
  };
  // Counts one Write call and says whether it must fail.
  WriteDecision NextWrite();
  // Whether Close() of stream `stream_number` must fail; counts the fault when it does.
  bool ShouldFailClose(int64_t stream_number);

  FileIO* base_;
  mutable std::mutex mu_;
  int64_t writes_ = 0;
  int64_t streams_ = 0;
  int64_t faults_ = 0;
  int64_t fail_write_ = 0;      // 0 = disarmed
  int64_t truncate_write_ = 0;  // 0 = disarmed
  size_t truncate_keep_ = 0;
  int64_t fail_close_ = 0;  // 0 = disarmed
  bool fail_new_output_stream_ = false;
  bool fail_open_input_file_ = false;
};

}  // namespace nilus
