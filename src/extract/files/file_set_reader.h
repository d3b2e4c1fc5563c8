// FileSetReader: the batches of every file a path or glob names, file after file, in path
// order. One file is open at a time, so memory is that of a single reader.
//
//   NILUS_ASSIGN_OR_RAISE(auto reader,
//                         JsonFileSetReader::Open(io, "./data/events/*.jsonl", options));
//   while (true) {
//     NILUS_ASSIGN_OR_RAISE(auto batch, reader->Next());
//     if (batch == nullptr) break;  // every file read
//     ...  // batch->source names the file the batch came from
//   }
//
// Each batch comes from one file. CSV files are read with their own headers: a batch's
// column_names are those of its file (Normalize matches columns by name).
//
// Not thread-safe: one thread calls Next() at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "extract/files/csv_reader.h"
#include "extract/files/file_glob.h"
#include "extract/files/json_reader.h"
#include "storage/file_io.h"

namespace nilus {

// Reader: JsonFileReader or CsvFileReader (a static Open(FileIO*, path, Options) and Next()).
template <typename Reader, typename Options, typename Batch>
class FileSetReader {
 public:
  // Expands `pattern` (see ExpandFileGlob: NotFound when nothing matches). No file is opened
  // yet. `io` must outlive the reader.
  static Result<std::unique_ptr<FileSetReader>> Open(FileIO* io, std::string_view pattern,
                                                     const Options& options) {
    NILUS_ASSIGN_OR_RAISE(auto files, ExpandFileGlob(io, pattern));
    return std::unique_ptr<FileSetReader>(new FileSetReader(io, std::move(files), options));
  }

  // The next batch of the current file, opening the next file when one ends; nullptr after the
  // last file. Errors are those of the file readers and name the file. After an error the
  // reader is finished: further calls return the same error.
  Result<std::unique_ptr<Batch>> Next() {
    if (!error_.ok()) return error_;
    while (true) {
      if (current_ == nullptr) {
        if (next_file_ >= files_.size()) return std::unique_ptr<Batch>();
        auto opened = Reader::Open(io_, files_[next_file_].path, options_);
        if (!opened.ok()) return Fail(opened.status());
        current_ = std::move(opened).value();
        ++next_file_;
      }
      auto batch = current_->Next();
      if (!batch.ok()) return Fail(batch.status());
      if (*batch != nullptr) {
        records_read_ += static_cast<int64_t>(RecordsIn(**batch));
        return batch;
      }
      bytes_done_ += current_->bytes_read();
      bad_records_done_ += current_->bad_records_seen();
      current_.reset();
    }
  }

  // The matched files, sorted by path, with their sizes at Open().
  const std::vector<FileInfo>& files() const { return files_; }
  // The sum of the files' sizes, for progress and ETA.
  int64_t total_bytes() const {
    int64_t total = 0;
    for (const FileInfo& f : files_) total += f.size;
    return total;
  }
  int64_t bytes_read() const {
    return bytes_done_ + (current_ != nullptr ? current_->bytes_read() : 0);
  }
  int64_t records_read() const { return records_read_; }
  int64_t bad_records_seen() const {
    return bad_records_done_ + (current_ != nullptr ? current_->bad_records_seen() : 0);
  }
  // The number of files opened so far (the current one included).
  size_t files_opened() const { return next_file_; }

 private:
  FileSetReader(FileIO* io, std::vector<FileInfo> files, const Options& options)
      : io_(io), files_(std::move(files)), options_(options) {}

  static size_t RecordsIn(const DocumentBatch& b) { return b.size(); }
  static size_t RecordsIn(const TextBatch& b) { return b.rows(); }

  Status Fail(Status st) {
    error_ = std::move(st);
    current_.reset();
    return error_;
  }

  FileIO* io_;
  std::vector<FileInfo> files_;
  Options options_;
  size_t next_file_ = 0;
  std::unique_ptr<Reader> current_;
  Status error_;
  int64_t bytes_done_ = 0;
  int64_t records_read_ = 0;
  int64_t bad_records_done_ = 0;
};

using JsonFileSetReader = FileSetReader<JsonFileReader, JsonReadOptions, DocumentBatch>;
using CsvFileSetReader = FileSetReader<CsvFileReader, CsvReadOptions, TextBatch>;

}  // namespace nilus
