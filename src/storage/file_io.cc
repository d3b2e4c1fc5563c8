#include "storage/file_io.h"

namespace nilus {

Result<std::string> InputFile::ReadAt(int64_t offset, size_t size) const {
  std::string out(size, '\0');
  NILUS_RETURN_NOT_OK(ReadAt(offset, size, out.data()));
  return out;
}

Result<std::string> FileIO::ReadFile(const std::string& path) {
  NILUS_ASSIGN_OR_RAISE(auto file, OpenInputFile(path));
  NILUS_ASSIGN_OR_RAISE(int64_t size, file->Size());
  return file->ReadAt(0, static_cast<size_t>(size));
}

Status FileIO::WriteFile(const std::string& path, std::string_view contents, CreateMode mode) {
  NILUS_ASSIGN_OR_RAISE(auto out, NewOutputStream(path, mode));
  Status st = out->Write(contents);
  if (!st.ok()) {
    out->Abort();
    return st;
  }
  return out->Close();
}

}  // namespace nilus
