#include "iceberg/manifest.h"

#include <avro.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "iceberg/avro_container_internal.h"
#include "iceberg/conversions.h"

namespace nilus::iceberg {

namespace avro_internal {
namespace {

Status AvroError(const char* what, int rc) {
  return Status::Internal(std::string("avro-c: ") + what + " failed (" + std::to_string(rc) +
                          "): " + avro_strerror());
}

#define NILUS_AVRO_TRY(expr)                                              \
  do {                                                                    \
    if (int avro_rc_ = (expr); avro_rc_ != 0) {                           \
      return ::nilus::iceberg::avro_internal::AvroError(#expr, avro_rc_); \
    }                                                                     \
  } while (0)

// Avro "long" varint with zig-zag encoding.
void PutLong(std::string* out, int64_t v) {
  uint64_t n = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (n >= 0x80) {
    out->push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
}

void PutBytes(std::string* out, std::string_view s) {
  PutLong(out, static_cast<int64_t>(s.size()));
  out->append(s);
}

class HeaderParser {
 public:
  explicit HeaderParser(std::string_view data) : data_(data) {}
  bool Long(int64_t* v) {
    uint64_t n = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      n |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = static_cast<int64_t>(n >> 1) ^ -static_cast<int64_t>(n & 1);
        return true;
      }
    }
    return false;
  }
  bool Bytes(std::string* s) {
    int64_t len;
    if (!Long(&len) || len < 0 || static_cast<uint64_t>(len) > data_.size() - pos_) return false;
    s->assign(data_.substr(pos_, static_cast<size_t>(len)));
    pos_ += static_cast<size_t>(len);
    return true;
  }
  bool Skip(size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  bool Raw(size_t n, std::string* s) {
    if (n > data_.size() - pos_) return false;
    s->assign(data_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  size_t pos() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

constexpr std::string_view kMagic("Obj\x01", 4);

// Parses magic, metadata map and sync marker; `*header_end` is where the blocks start.
Status ParseHeader(const std::string& path, std::string_view data,
                   std::map<std::string, std::string>* metadata, std::string* sync,
                   size_t* header_end) {
  auto bad = [&](const char* why) {
    return Status::Corruption("Avro file '" + path + "': " + why);
  };
  if (data.substr(0, 4) != kMagic) return bad("not an Avro object container (bad magic)");
  HeaderParser p(data.substr(4));
  while (true) {
    int64_t count;
    if (!p.Long(&count)) return bad("truncated header");
    if (count == 0) break;
    if (count < 0) {
      int64_t block_bytes;
      if (!p.Long(&block_bytes)) return bad("truncated header");
      count = -count;
    }
    for (int64_t i = 0; i < count; ++i) {
      std::string key, value;
      if (!p.Bytes(&key) || !p.Bytes(&value)) return bad("truncated header metadata");
      (*metadata)[key] = std::move(value);
    }
  }
  if (!p.Raw(16, sync)) return bad("truncated sync marker");
  *header_end = 4 + p.pos();
  return Status::OK();
}

// Picks the union branch of an optional field.
Status OptBranch(avro_value_t* field, bool present, avro_value_t* out) {
  if (avro_value_get_type(field) != AVRO_UNION) {
    if (!present) return Status::Invalid("null for a required Avro field");
    *out = *field;
    return Status::OK();
  }
  NILUS_AVRO_TRY(avro_value_set_branch(field, present ? 1 : 0, out));
  if (!present) NILUS_AVRO_TRY(avro_value_set_null(out));
  return Status::OK();
}

Status GetField(avro_value_t* rec, const char* name, avro_value_t* out) {
  if (avro_value_get_by_name(rec, name, out, nullptr) != 0) {
    return Status::Corruption(std::string("Avro record has no field '") + name + "'");
  }
  return Status::OK();
}

}  // namespace

Status SetOptField(avro_value* rec, const char* name, bool present, avro_value* out) {
  avro_value_t field;
  NILUS_RETURN_NOT_OK(GetField(rec, name, &field));
  return OptBranch(&field, present, out);
}

Status SetInt(avro_value* rec, const char* name, int32_t v) {
  avro_value_t f;
  NILUS_RETURN_NOT_OK(GetField(rec, name, &f));
  NILUS_AVRO_TRY(avro_value_set_int(&f, v));
  return Status::OK();
}
Status SetLong(avro_value* rec, const char* name, int64_t v) {
  avro_value_t f;
  NILUS_RETURN_NOT_OK(GetField(rec, name, &f));
  NILUS_AVRO_TRY(avro_value_set_long(&f, v));
  return Status::OK();
}
Status SetString(avro_value* rec, const char* name, const std::string& v) {
  avro_value_t f;
  NILUS_RETURN_NOT_OK(GetField(rec, name, &f));
  // avro-c string lengths count the terminating NUL.
  NILUS_AVRO_TRY(avro_value_set_string_len(&f, v.c_str(), v.size() + 1));
  return Status::OK();
}
Status SetOptBool(avro_value* rec, const char* name, std::optional<bool> v) {
  avro_value_t b;
  NILUS_RETURN_NOT_OK(SetOptField(rec, name, v.has_value(), &b));
  if (v) NILUS_AVRO_TRY(avro_value_set_boolean(&b, *v ? 1 : 0));
  return Status::OK();
}
Status SetOptInt(avro_value* rec, const char* name, std::optional<int32_t> v) {
  avro_value_t b;
  NILUS_RETURN_NOT_OK(SetOptField(rec, name, v.has_value(), &b));
  if (v) NILUS_AVRO_TRY(avro_value_set_int(&b, *v));
  return Status::OK();
}
Status SetOptLong(avro_value* rec, const char* name, std::optional<int64_t> v) {
  avro_value_t b;
  NILUS_RETURN_NOT_OK(SetOptField(rec, name, v.has_value(), &b));
  if (v) NILUS_AVRO_TRY(avro_value_set_long(&b, *v));
  return Status::OK();
}
Status SetOptBytes(avro_value* rec, const char* name, const std::optional<std::string>& v) {
  avro_value_t b;
  NILUS_RETURN_NOT_OK(SetOptField(rec, name, v.has_value(), &b));
  if (v) NILUS_AVRO_TRY(avro_value_set_bytes(&b, const_cast<char*>(v->data()), v->size()));
  return Status::OK();
}
Status SetOptString(avro_value* rec, const char* name, const std::optional<std::string>& v) {
  avro_value_t b;
  NILUS_RETURN_NOT_OK(SetOptField(rec, name, v.has_value(), &b));
  if (v) NILUS_AVRO_TRY(avro_value_set_string_len(&b, v->c_str(), v->size() + 1));
  return Status::OK();
}

Result<bool> GetOptField(avro_value* rec, const char* name, avro_value* out) {
  avro_value_t field;
  if (avro_value_get_by_name(rec, name, &field, nullptr) != 0) return false;
  if (avro_value_get_type(&field) == AVRO_UNION) {
    NILUS_AVRO_TRY(avro_value_get_current_branch(&field, out));
    return avro_value_get_type(out) != AVRO_NULL;
  }
  if (avro_value_get_type(&field) == AVRO_NULL) return false;
  *out = field;
  return true;
}

namespace {
Status RequireField(avro_value* rec, const char* name, avro_value_t* out) {
  NILUS_ASSIGN_OR_RAISE(bool present, GetOptField(rec, name, out));
  if (!present)
    return Status::Corruption(std::string("required Avro field '") + name + "' is null");
  return Status::OK();
}
Result<std::string> ReadStringValue(avro_value_t* v) {
  const char* p = nullptr;
  size_t size = 0;
  NILUS_AVRO_TRY(avro_value_get_string(v, &p, &size));
  return std::string(p, size > 0 ? size - 1 : 0);
}
Result<std::string> ReadBytesValue(avro_value_t* v) {
  const void* p = nullptr;
  size_t size = 0;
  if (avro_value_get_type(v) == AVRO_FIXED) {
    NILUS_AVRO_TRY(avro_value_get_fixed(v, &p, &size));
  } else {
    NILUS_AVRO_TRY(avro_value_get_bytes(v, &p, &size));
  }
  return std::string(static_cast<const char*>(p), size);
}
}  // namespace

Result<bool> GetBool(avro_value* rec, const char* name) {
  avro_value_t v;
  NILUS_RETURN_NOT_OK(RequireField(rec, name, &v));
  int b = 0;
  NILUS_AVRO_TRY(avro_value_get_boolean(&v, &b));
  return b != 0;
}
Result<int32_t> GetInt(avro_value* rec, const char* name) {
  avro_value_t v;
  NILUS_RETURN_NOT_OK(RequireField(rec, name, &v));
  int32_t i = 0;
  NILUS_AVRO_TRY(avro_value_get_int(&v, &i));
  return i;
}
Result<int64_t> GetLong(avro_value* rec, const char* name) {
  avro_value_t v;
  NILUS_RETURN_NOT_OK(RequireField(rec, name, &v));
  int64_t i = 0;
  NILUS_AVRO_TRY(avro_value_get_long(&v, &i));
  return i;
}
Result<std::string> GetString(avro_value* rec, const char* name) {
  avro_value_t v;
  NILUS_RETURN_NOT_OK(RequireField(rec, name, &v));
  return ReadStringValue(&v);
}
Result<std::optional<bool>> GetOptBool(avro_value* rec, const char* name) {
  avro_value_t v;
  NILUS_ASSIGN_OR_RAISE(bool present, GetOptField(rec, name, &v));
  if (!present) return std::optional<bool>();
  int b = 0;
  NILUS_AVRO_TRY(avro_value_get_boolean(&v, &b));
  return std::optional<bool>(b != 0);
}
Result<std::optional<int32_t>> GetOptInt(avro_value* rec, const char* name) {
  avro_value_t v;
  NILUS_ASSIGN_OR_RAISE(bool present, GetOptField(rec, name, &v));
  if (!present) return std::optional<int32_t>();
  int32_t i = 0;
  NILUS_AVRO_TRY(avro_value_get_int(&v, &i));
  return std::optional<int32_t>(i);
}
Result<std::optional<int64_t>> GetOptLong(avro_value* rec, const char* name) {
  avro_value_t v;
  NILUS_ASSIGN_OR_RAISE(bool present, GetOptField(rec, name, &v));
  if (!present) return std::optional<int64_t>();
  int64_t i = 0;
  NILUS_AVRO_TRY(avro_value_get_long(&v, &i));
  return std::optional<int64_t>(i);
}
Result<std::optional<std::string>> GetOptBytes(avro_value* rec, const char* name) {
  avro_value_t v;
  NILUS_ASSIGN_OR_RAISE(bool present, GetOptField(rec, name, &v));
  if (!present) return std::optional<std::string>();
  NILUS_ASSIGN_OR_RAISE(std::string s, ReadBytesValue(&v));
  return std::optional<std::string>(std::move(s));
}
Result<std::optional<std::string>> GetOptString(avro_value* rec, const char* name) {
  avro_value_t v;
  NILUS_ASSIGN_OR_RAISE(bool present, GetOptField(rec, name, &v));
  if (!present) return std::optional<std::string>();
  NILUS_ASSIGN_OR_RAISE(std::string s, ReadStringValue(&v));
  return std::optional<std::string>(std::move(s));
}

// ---------------------------------------------------------------------------------------------
// Container writer

struct ContainerWriter::Rep {
  std::string schema_json;
  avro_schema_t schema = nullptr;
  avro_value_iface_t* iface = nullptr;
  avro_value_t value{};
  bool value_made = false;
  char* buf = nullptr;
  size_t buf_size = 0;
  FILE* fp = nullptr;
  avro_file_writer_t writer = nullptr;

  ~Rep() {
    // The writer owns and closes fp.
    if (writer != nullptr) {
      avro_file_writer_close(writer);
    } else if (fp != nullptr) {
      fclose(fp);
    }
    free(buf);
    if (value_made) avro_value_decref(&value);
    if (iface != nullptr) avro_value_iface_decref(iface);
    if (schema != nullptr) avro_schema_decref(schema);
  }
};

ContainerWriter::ContainerWriter(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
ContainerWriter::~ContainerWriter() = default;

Result<std::unique_ptr<ContainerWriter>> ContainerWriter::Make(const std::string& schema_json,
                                                               AvroCodec codec) {
  auto rep = std::make_unique<Rep>();
  rep->schema_json = schema_json;
  if (avro_schema_from_json_length(schema_json.data(), schema_json.size(), &rep->schema) != 0) {
    return Status::Invalid(std::string("avro-c rejected the schema: ") + avro_strerror());
  }
  rep->iface = avro_generic_class_from_schema(rep->schema);
  if (rep->iface == nullptr) return AvroError("avro_generic_class_from_schema", -1);
  NILUS_AVRO_TRY(avro_generic_value_new(rep->iface, &rep->value));
  rep->value_made = true;
  // Blocks are produced in memory; the header is rewritten in Finish().
  rep->fp = open_memstream(&rep->buf, &rep->buf_size);
  if (rep->fp == nullptr) return Status::IOError("open_memstream failed");
  const char* codec_name = codec == AvroCodec::kDeflate ? "deflate" : "null";
  if (int rc = avro_file_writer_create_with_codec_fp(rep->fp, "memory", /*should_close=*/1,
                                                     rep->schema, &rep->writer, codec_name,
                                                     /*block_size=*/1 << 20);
      rc != 0) {
    rep->writer = nullptr;
    return AvroError("avro_file_writer_create_with_codec_fp", rc);
  }
  return std::unique_ptr<ContainerWriter>(new ContainerWriter(std::move(rep)));
}

avro_value* ContainerWriter::record() { return &rep_->value; }

Status ContainerWriter::Append() {
  if (rep_->writer == nullptr) return Status::Invalid("Avro writer already finished");
  NILUS_AVRO_TRY(avro_file_writer_append_value(rep_->writer, &rep_->value));
  NILUS_AVRO_TRY(avro_value_reset(&rep_->value));
  return Status::OK();
}

Result<std::string> ContainerWriter::Finish(const std::map<std::string, std::string>& metadata) {
  if (rep_->writer == nullptr) return Status::Invalid("Avro writer already finished");
  int rc = avro_file_writer_close(rep_->writer);  // also closes fp, which settles buf
  rep_->writer = nullptr;
  rep_->fp = nullptr;
  if (rc != 0) return AvroError("avro_file_writer_close", rc);
  std::string_view produced(rep_->buf, rep_->buf_size);
  std::map<std::string, std::string> avro_meta;
  std::string sync;
  size_t header_end = 0;
  NILUS_RETURN_NOT_OK(ParseHeader("memory", produced, &avro_meta, &sync, &header_end));

  // avro-c drops unknown schema attributes (field-id ...) when it writes avro.schema, so the
  // header carries our schema text instead; the blocks and sync marker are kept as written.
  std::map<std::string, std::string> meta = metadata;
  meta["avro.schema"] = rep_->schema_json;
  meta["avro.codec"] = avro_meta.count("avro.codec") ? avro_meta["avro.codec"] : "null";
  std::string out(kMagic);
  PutLong(&out, static_cast<int64_t>(meta.size()));
  for (const auto& [k, v] : meta) {
    PutBytes(&out, k);
    PutBytes(&out, v);
  }
  PutLong(&out, 0);
  out += sync;
  out.append(produced.substr(header_end));
  return out;
}

Status ReadContainer(const std::string& path, std::string bytes,
                     std::map<std::string, std::string>* metadata,
                     const std::function<Status(avro_value*)>& visit) {
  std::string sync;
  size_t header_end = 0;
  NILUS_RETURN_NOT_OK(ParseHeader(path, bytes, metadata, &sync, &header_end));
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("Avro file '" + path + "': " + why + ": " + avro_strerror());
  };
  // avro-c leaks on some malformed-block paths of avro_file_reader_fp, so the block framing is
  // checked here first: count, byte size, data, then the header's sync marker, to the end.
  HeaderParser blocks(std::string_view(bytes).substr(header_end));
  while (blocks.pos() < bytes.size() - header_end) {
    int64_t count = 0, size = 0;
    std::string marker;
    if (!blocks.Long(&count) || !blocks.Long(&size) || count < 0 || size < 0 ||
        !blocks.Skip(static_cast<size_t>(size)) || !blocks.Raw(16, &marker)) {
      return Status::Corruption("Avro file '" + path + "': truncated data block");
    }
    if (marker != sync) return Status::Corruption("Avro file '" + path + "': bad sync marker");
  }
  FILE* fp = fmemopen(bytes.data(), bytes.size(), "rb");
  if (fp == nullptr) return Status::IOError("fmemopen failed for '" + path + "'");
  avro_file_reader_t reader = nullptr;
  if (avro_file_reader_fp(fp, path.c_str(), /*should_close=*/0, &reader) != 0) {
    Status st = corrupt("cannot open");
    fclose(fp);
    return st;
  }
  avro_schema_t schema = avro_file_reader_get_writer_schema(reader);
  avro_value_iface_t* iface = avro_generic_class_from_schema(schema);
  avro_value_t value;
  Status st;
  if (iface == nullptr || avro_generic_value_new(iface, &value) != 0) {
    st = corrupt("cannot build a value for the writer schema");
  } else {
    while (st.ok()) {
      int rc = avro_file_reader_read_value(reader, &value);
      if (rc == EOF) break;
      if (rc != 0) {
        st = corrupt("cannot decode a record");
        break;
      }
      st = visit(&value);
    }
    avro_value_decref(&value);
  }
  if (iface != nullptr) avro_value_iface_decref(iface);
  avro_schema_decref(schema);
  avro_file_reader_close(reader);
  fclose(fp);
  return st;
}

// ---------------------------------------------------------------------------------------------
// Types and bounds

namespace {
int DecimalBytes(int precision) {
  for (int n = 1; n < 16; ++n) {
    // Largest positive n-byte two's complement value: 2^(8n-1) - 1.
    __int128 max = (static_cast<__int128>(1) << (8 * n - 1)) - 1;
    if (MaxDecimalUnscaled(precision) <= max) return n;
  }
  return 16;
}

std::string BigEndian(__int128 v, int n) {
  std::string out(static_cast<size_t>(n), '\0');
  for (int i = n - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint8_t>(v & 0xff));
    v >>= 8;  // arithmetic shift keeps the sign
  }
  return out;
}

}  // namespace

Result<std::string> PrimitiveAvroType(const Type& type, const std::string& name_hint) {
  using nlohmann::ordered_json;
  switch (type.id()) {
    case TypeId::kBoolean:
      return std::string("\"boolean\"");
    case TypeId::kInt:
      return std::string("\"int\"");
    case TypeId::kLong:
      return std::string("\"long\"");
    case TypeId::kFloat:
      return std::string("\"float\"");
    case TypeId::kDouble:
      return std::string("\"double\"");
    case TypeId::kString:
      return std::string("\"string\"");
    case TypeId::kBinary:
      return std::string("\"bytes\"");
    case TypeId::kDate:
      return std::string(R"({"type":"int","logicalType":"date"})");
    case TypeId::kTime:
      return std::string(R"({"type":"long","logicalType":"time-micros"})");
    case TypeId::kTimestamp:
      return std::string(
          R"({"type":"long","logicalType":"timestamp-micros","adjust-to-utc":false})");
    case TypeId::kTimestampTz:
      return std::string(
          R"({"type":"long","logicalType":"timestamp-micros","adjust-to-utc":true})");
    case TypeId::kUuid:
      return ordered_json{
          {"type", "fixed"}, {"name", "uuid_" + name_hint}, {"size", 16}, {"logicalType", "uuid"}}
          .dump();
    case TypeId::kFixed:
      return ordered_json{
          {"type", "fixed"}, {"name", "fixed_" + name_hint}, {"size", type.fixed_length()}}
          .dump();
    case TypeId::kDecimal:
      return ordered_json{{"type", "fixed"},
                          {"name", "decimal_" + name_hint},
                          {"size", DecimalBytes(type.precision())},
                          {"logicalType", "decimal"},
                          {"precision", type.precision()},
                          {"scale", type.scale()}}
          .dump();
    default:
      return Status::Invalid("no Avro primitive for Iceberg type " + type.ToString());
  }
}

}  // namespace avro_internal

// ---------------------------------------------------------------------------------------------
// Manifest schema

namespace {

using avro_internal::GetInt;
using avro_internal::GetLong;
using avro_internal::GetOptBytes;
using avro_internal::GetOptField;
using avro_internal::GetOptInt;
using avro_internal::GetOptLong;
using avro_internal::GetOptString;
using avro_internal::GetString;
using avro_internal::RequireField;
using avro_internal::SetInt;
using avro_internal::SetLong;
using avro_internal::SetOptBytes;
using avro_internal::SetOptField;
using avro_internal::SetOptInt;
using avro_internal::SetOptLong;
using avro_internal::SetOptString;
using avro_internal::SetString;
using nlohmann::ordered_json;

using avro_internal::Optional;
using avro_internal::Required;
// Iceberg's Avro form of a map with non-string keys: an array of key/value records.
ordered_json IntKeyMap(const char* value_type, int key_id, int value_id) {
  std::string rec = "k" + std::to_string(key_id) + "_v" + std::to_string(value_id);
  return ordered_json{
      {"type", "array"},
      {"items",
       {{"type", "record"},
        {"name", rec},
        {"fields", ordered_json::array({Required("key", "int", key_id),
                                        Required("value", value_type, value_id)})}}},
      {"logicalType", "map"},
      {"key-id", key_id},
      {"value-id", value_id}};
}
ordered_json List(const char* element_type, int element_id) {
  return ordered_json{{"type", "array"}, {"items", element_type}, {"element-id", element_id}};
}

Result<std::string> ManifestSchemaJson(const std::vector<ManifestPartitionField>& fields) {
  ordered_json partition_fields = ordered_json::array();
  for (const auto& f : fields) {
    if (!f.result_type || !f.result_type->is_primitive()) {
      return Status::Invalid("partition field '" + f.name + "' needs a primitive result type");
    }
    NILUS_ASSIGN_OR_RAISE(std::string t, avro_internal::PrimitiveAvroType(
                                             *f.result_type, "p" + std::to_string(f.field_id)));
    ordered_json field = Optional(f.name.c_str(), ordered_json::parse(t), f.field_id);
    partition_fields.push_back(std::move(field));
  }
  ordered_json data_file = {
      {"type", "record"},
      {"name", "r2"},
      {"fields",
       ordered_json::array({
           Required("content", "int", 134),
           Required("file_path", "string", 100),
           Required("file_format", "string", 101),
           Required("partition",
                    {{"type", "record"}, {"name", "r102"}, {"fields", partition_fields}}, 102),
           Required("record_count", "long", 103),
           Required("file_size_in_bytes", "long", 104),
           Optional("column_sizes", IntKeyMap("long", 117, 118), 108),
           Optional("value_counts", IntKeyMap("long", 119, 120), 109),
           Optional("null_value_counts", IntKeyMap("long", 121, 122), 110),
           Optional("nan_value_counts", IntKeyMap("long", 138, 139), 137),
           Optional("lower_bounds", IntKeyMap("bytes", 126, 127), 125),
           Optional("upper_bounds", IntKeyMap("bytes", 129, 130), 128),
           Optional("key_metadata", "bytes", 131),
           Optional("split_offsets", List("long", 133), 132),
           Optional("equality_ids", List("int", 136), 135),
           Optional("sort_order_id", "int", 140),
           Optional("referenced_data_file", "string", 143),
       })}};
  ordered_json entry = {{"type", "record"},
                        {"name", "manifest_entry"},
                        {"fields", ordered_json::array({
                                       Required("status", "int", 0),
                                       Optional("snapshot_id", "long", 1),
                                       Optional("sequence_number", "long", 3),
                                       Optional("file_sequence_number", "long", 4),
                                       Required("data_file", data_file, 2),
                                   })}};
  return entry.dump();
}

// The Iceberg type of a partition field's Avro type (the inverse of PrimitiveAvroType).
Result<TypePtr> TypeFromAvroJson(const nlohmann::json& t) {
  if (t.is_array()) {
    for (const auto& b : t) {
      if (!(b.is_string() && b.get<std::string>() == "null")) return TypeFromAvroJson(b);
    }
    return Status::Corruption("partition field union without a value branch");
  }
  if (t.is_string()) {
    std::string s = t.get<std::string>();
    if (s == "boolean") return Type::Boolean();
    if (s == "int") return Type::Int();
    if (s == "long") return Type::Long();
    if (s == "float") return Type::Float();
    if (s == "double") return Type::Double();
    if (s == "string") return Type::String();
    if (s == "bytes") return Type::Binary();
    return Status::Corruption("unsupported partition Avro type '" + s + "'");
  }
  if (!t.is_object() || !t.contains("type")) {
    return Status::Corruption("malformed partition Avro type " + t.dump());
  }
  std::string base = t["type"].is_string() ? t["type"].get<std::string>() : "";
  std::string logical = t.value("logicalType", std::string());
  if (base == "int" && logical == "date") return Type::Date();
  if (base == "long" && logical == "time-micros") return Type::Time();
  if (base == "long" && logical == "timestamp-micros") {
    return t.value("adjust-to-utc", false) ? Type::TimestampTz() : Type::Timestamp();
  }
  if (base == "fixed") {
    if (logical == "decimal") {
      return Type::MakeDecimal(t.value("precision", 0), t.value("scale", 0));
    }
    if (logical == "uuid") return Type::Uuid();
    return Type::Fixed(t.value("size", 0));
  }
  if (base == "int" || base == "long" || base == "string" || base == "bytes" || base == "boolean" ||
      base == "float" || base == "double") {
    return TypeFromAvroJson(nlohmann::json(base));
  }
  return Status::Corruption("unsupported partition Avro type " + t.dump());
}

Result<std::vector<ManifestPartitionField>> PartitionFieldsFromSchema(const std::string& json) {
  nlohmann::json root = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return Status::Corruption("manifest avro.schema is not valid JSON");
  }
  auto find_field = [](const nlohmann::json& rec, const char* name) -> const nlohmann::json* {
    if (!rec.is_object() || !rec.contains("fields") || !rec["fields"].is_array()) return nullptr;
    for (const auto& f : rec["fields"]) {
      if (f.is_object() && f.value("name", std::string()) == name) return &f;
    }
    return nullptr;
  };
  const nlohmann::json* df = find_field(root, "data_file");
  const nlohmann::json* part = df ? find_field((*df)["type"], "partition") : nullptr;
  if (part == nullptr) return Status::Corruption("manifest schema has no data_file.partition");
  std::vector<ManifestPartitionField> out;
  for (const auto& f : (*part)["type"].value("fields", nlohmann::json::array())) {
    ManifestPartitionField pf;
    pf.name = f.value("name", std::string());
    pf.field_id = f.value("field-id", 0);
    NILUS_ASSIGN_OR_RAISE(pf.result_type, TypeFromAvroJson(f["type"]));
    out.push_back(std::move(pf));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding entries

bool HoldsFor(const Value& v, TypeId id) {
  switch (id) {
    case TypeId::kBoolean:
      return std::holds_alternative<bool>(v.v);
    case TypeId::kInt:
    case TypeId::kDate:
      return std::holds_alternative<int32_t>(v.v);
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return std::holds_alternative<int64_t>(v.v);
    case TypeId::kFloat:
      return std::holds_alternative<float>(v.v);
    case TypeId::kDouble:
      return std::holds_alternative<double>(v.v);
    case TypeId::kDecimal:
      return std::holds_alternative<__int128>(v.v);
    default:
      return std::holds_alternative<std::string>(v.v);
  }
}

Status SetPrimitive(avro_value_t* out, const Type& type, const Value& v) {
  switch (type.id()) {
    case TypeId::kBoolean:
      NILUS_AVRO_TRY(avro_value_set_boolean(out, v.get<bool>() ? 1 : 0));
      break;
    case TypeId::kInt:
    case TypeId::kDate:
      NILUS_AVRO_TRY(avro_value_set_int(out, v.get<int32_t>()));
      break;
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      NILUS_AVRO_TRY(avro_value_set_long(out, v.get<int64_t>()));
      break;
    case TypeId::kFloat:
      NILUS_AVRO_TRY(avro_value_set_float(out, v.get<float>()));
      break;
    case TypeId::kDouble:
      NILUS_AVRO_TRY(avro_value_set_double(out, v.get<double>()));
      break;
    case TypeId::kString: {
      const std::string& s = v.get<std::string>();
      NILUS_AVRO_TRY(avro_value_set_string_len(out, s.c_str(), s.size() + 1));
      break;
    }
    case TypeId::kBinary: {
      const std::string& s = v.get<std::string>();
      NILUS_AVRO_TRY(avro_value_set_bytes(out, const_cast<char*>(s.data()), s.size()));
      break;
    }
    case TypeId::kUuid:
    case TypeId::kFixed: {
      const std::string& s = v.get<std::string>();
      if (static_cast<int32_t>(s.size()) != type.fixed_length()) {
        return Status::Invalid("partition value of " + type.ToString() + " has " +
                               std::to_string(s.size()) + " bytes");
      }
      NILUS_AVRO_TRY(avro_value_set_fixed(out, const_cast<char*>(s.data()), s.size()));
      break;
    }
    case TypeId::kDecimal: {
      std::string s = avro_internal::BigEndian(v.get<__int128>(),
                                               avro_internal::DecimalBytes(type.precision()));
      NILUS_AVRO_TRY(avro_value_set_fixed(out, s.data(), s.size()));
      break;
    }
    default:
      return Status::Invalid("unsupported partition type " + type.ToString());
  }
  return Status::OK();
}

Result<Value> GetPrimitive(avro_value_t* in, const TypePtr& type) {
  Value out{type, {}};
  switch (type->id()) {
    case TypeId::kBoolean: {
      int b = 0;
      NILUS_AVRO_TRY(avro_value_get_boolean(in, &b));
      out.v = b != 0;
      break;
    }
    case TypeId::kInt:
    case TypeId::kDate: {
      int32_t i = 0;
      NILUS_AVRO_TRY(avro_value_get_int(in, &i));
      out.v = i;
      break;
    }
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz: {
      int64_t i = 0;
      NILUS_AVRO_TRY(avro_value_get_long(in, &i));
      out.v = i;
      break;
    }
    case TypeId::kFloat: {
      float f = 0;
      NILUS_AVRO_TRY(avro_value_get_float(in, &f));
      out.v = f;
      break;
    }
    case TypeId::kDouble: {
      double d = 0;
      NILUS_AVRO_TRY(avro_value_get_double(in, &d));
      out.v = d;
      break;
    }
    case TypeId::kString: {
      NILUS_ASSIGN_OR_RAISE(std::string s, avro_internal::ReadStringValue(in));
      out.v = std::move(s);
      break;
    }
    case TypeId::kBinary:
    case TypeId::kUuid:
    case TypeId::kFixed: {
      NILUS_ASSIGN_OR_RAISE(std::string s, avro_internal::ReadBytesValue(in));
      out.v = std::move(s);
      break;
    }
    case TypeId::kDecimal: {
      NILUS_ASSIGN_OR_RAISE(std::string s, avro_internal::ReadBytesValue(in));
      if (s.empty() || s.size() > 16) return Status::Corruption("bad decimal partition value");
      __int128 v = static_cast<int8_t>(s[0]);  // sign-extends
      for (size_t i = 1; i < s.size(); ++i) v = v * 256 + static_cast<uint8_t>(s[i]);
      out.v = v;
      break;
    }
    default:
      return Status::Corruption("unsupported partition type " + type->ToString());
  }
  return out;
}

template <typename V, typename SetFn>
Status SetIntKeyMap(avro_value_t* rec, const char* name, const std::map<int32_t, V>& m,
                    SetFn set_value) {
  avro_value_t arr;
  NILUS_RETURN_NOT_OK(SetOptField(rec, name, !m.empty(), &arr));
  for (const auto& [k, v] : m) {
    avro_value_t item, key, val;
    NILUS_AVRO_TRY(avro_value_append(&arr, &item, nullptr));
    NILUS_AVRO_TRY(avro_value_get_by_name(&item, "key", &key, nullptr));
    NILUS_AVRO_TRY(avro_value_get_by_name(&item, "value", &val, nullptr));
    NILUS_AVRO_TRY(avro_value_set_int(&key, k));
    NILUS_RETURN_NOT_OK(set_value(&val, v));
  }
  return Status::OK();
}

Status SetLongMap(avro_value_t* rec, const char* name, const std::map<int32_t, int64_t>& m) {
  return SetIntKeyMap(rec, name, m, [](avro_value_t* val, int64_t v) -> Status {
    NILUS_AVRO_TRY(avro_value_set_long(val, v));
    return Status::OK();
  });
}
Status SetBytesMap(avro_value_t* rec, const char* name, const std::map<int32_t, std::string>& m) {
  return SetIntKeyMap(rec, name, m, [](avro_value_t* val, const std::string& v) -> Status {
    NILUS_AVRO_TRY(avro_value_set_bytes(val, const_cast<char*>(v.data()), v.size()));
    return Status::OK();
  });
}

template <typename V, typename GetFn>
Status GetIntKeyMap(avro_value_t* rec, const char* name, std::map<int32_t, V>* out,
                    GetFn get_value) {
  avro_value_t arr;
  NILUS_ASSIGN_OR_RAISE(bool present, GetOptField(rec, name, &arr));
  if (!present) return Status::OK();
  size_t n = 0;
  NILUS_AVRO_TRY(avro_value_get_size(&arr, &n));
  for (size_t i = 0; i < n; ++i) {
    avro_value_t item, key, val;
    NILUS_AVRO_TRY(avro_value_get_by_index(&arr, i, &item, nullptr));
    NILUS_AVRO_TRY(avro_value_get_by_name(&item, "key", &key, nullptr));
    NILUS_AVRO_TRY(avro_value_get_by_name(&item, "value", &val, nullptr));
    int32_t k = 0;
    NILUS_AVRO_TRY(avro_value_get_int(&key, &k));
    NILUS_ASSIGN_OR_RAISE((*out)[k], get_value(&val));
  }
  return Status::OK();
}

Status GetLongMap(avro_value_t* rec, const char* name, std::map<int32_t, int64_t>* out) {
  return GetIntKeyMap(rec, name, out, [](avro_value_t* val) -> Result<int64_t> {
    int64_t v = 0;
    NILUS_AVRO_TRY(avro_value_get_long(val, &v));
    return v;
  });
}
Status GetBytesMap(avro_value_t* rec, const char* name, std::map<int32_t, std::string>* out) {
  return GetIntKeyMap(rec, name, out,
                      [](avro_value_t* val) { return avro_internal::ReadBytesValue(val); });
}

Status EncodeEntry(const ManifestEntry& e, const std::vector<ManifestPartitionField>& fields,
                   avro_value_t* rec) {
  const DataFile& f = e.data_file;
  NILUS_RETURN_NOT_OK(SetInt(rec, "status", static_cast<int32_t>(e.status)));
  NILUS_RETURN_NOT_OK(SetOptLong(rec, "snapshot_id", e.snapshot_id));
  NILUS_RETURN_NOT_OK(SetOptLong(rec, "sequence_number", e.sequence_number));
  NILUS_RETURN_NOT_OK(SetOptLong(rec, "file_sequence_number", e.file_sequence_number));
  avro_value_t df, part;
  NILUS_AVRO_TRY(avro_value_get_by_name(rec, "data_file", &df, nullptr));
  NILUS_RETURN_NOT_OK(SetInt(&df, "content", static_cast<int32_t>(f.content)));
  NILUS_RETURN_NOT_OK(SetString(&df, "file_path", f.file_path));
  NILUS_RETURN_NOT_OK(SetString(&df, "file_format", f.file_format));
  NILUS_AVRO_TRY(avro_value_get_by_name(&df, "partition", &part, nullptr));
  for (size_t i = 0; i < fields.size(); ++i) {
    const Value& v = f.partition[i];
    avro_value_t b;
    NILUS_RETURN_NOT_OK(SetOptField(&part, fields[i].name.c_str(), !v.is_null(), &b));
    if (!v.is_null()) NILUS_RETURN_NOT_OK(SetPrimitive(&b, *fields[i].result_type, v));
  }
  NILUS_RETURN_NOT_OK(SetLong(&df, "record_count", f.record_count));
  NILUS_RETURN_NOT_OK(SetLong(&df, "file_size_in_bytes", f.file_size_in_bytes));
  NILUS_RETURN_NOT_OK(SetLongMap(&df, "column_sizes", f.column_sizes));
  NILUS_RETURN_NOT_OK(SetLongMap(&df, "value_counts", f.value_counts));
  NILUS_RETURN_NOT_OK(SetLongMap(&df, "null_value_counts", f.null_value_counts));
  NILUS_RETURN_NOT_OK(SetLongMap(&df, "nan_value_counts", f.nan_value_counts));
  NILUS_RETURN_NOT_OK(SetBytesMap(&df, "lower_bounds", f.lower_bounds));
  NILUS_RETURN_NOT_OK(SetBytesMap(&df, "upper_bounds", f.upper_bounds));
  NILUS_RETURN_NOT_OK(SetOptBytes(&df, "key_metadata", f.key_metadata));
  avro_value_t arr;
  NILUS_RETURN_NOT_OK(SetOptField(&df, "split_offsets", !f.split_offsets.empty(), &arr));
  for (int64_t off : f.split_offsets) {
    avro_value_t el;
    NILUS_AVRO_TRY(avro_value_append(&arr, &el, nullptr));
    NILUS_AVRO_TRY(avro_value_set_long(&el, off));
  }
  NILUS_RETURN_NOT_OK(SetOptField(&df, "equality_ids", !f.equality_ids.empty(), &arr));
  for (int32_t id : f.equality_ids) {
    avro_value_t el;
    NILUS_AVRO_TRY(avro_value_append(&arr, &el, nullptr));
    NILUS_AVRO_TRY(avro_value_set_int(&el, id));
  }
  NILUS_RETURN_NOT_OK(SetOptInt(&df, "sort_order_id", f.sort_order_id));
  NILUS_RETURN_NOT_OK(SetOptString(&df, "referenced_data_file", f.referenced_data_file));
  return Status::OK();
}

Result<ManifestEntry> DecodeEntry(avro_value_t* rec,
                                  const std::vector<ManifestPartitionField>& fields) {
  ManifestEntry e;
  NILUS_ASSIGN_OR_RAISE(int32_t status, GetInt(rec, "status"));
  if (status < 0 || status > 2) return Status::Corruption("bad manifest entry status");
  e.status = static_cast<ManifestEntryStatus>(status);
  NILUS_ASSIGN_OR_RAISE(e.snapshot_id, GetOptLong(rec, "snapshot_id"));
  NILUS_ASSIGN_OR_RAISE(e.sequence_number, GetOptLong(rec, "sequence_number"));
  NILUS_ASSIGN_OR_RAISE(e.file_sequence_number, GetOptLong(rec, "file_sequence_number"));
  avro_value_t df, part;
  NILUS_RETURN_NOT_OK(RequireField(rec, "data_file", &df));
  DataFile& f = e.data_file;
  NILUS_ASSIGN_OR_RAISE(std::optional<int32_t> content, GetOptInt(&df, "content"));
  int32_t c = content.value_or(0);  // v1 files have no content field: data
  if (c < 0 || c > 2) return Status::Corruption("bad data_file content");
  f.content = static_cast<DataFileContent>(c);
  NILUS_ASSIGN_OR_RAISE(f.file_path, GetString(&df, "file_path"));
  NILUS_ASSIGN_OR_RAISE(f.file_format, GetString(&df, "file_format"));
  NILUS_RETURN_NOT_OK(RequireField(&df, "partition", &part));
  for (const auto& pf : fields) {
    avro_value_t b;
    NILUS_ASSIGN_OR_RAISE(bool present, GetOptField(&part, pf.name.c_str(), &b));
    if (!present) {
      f.partition.push_back(Value{pf.result_type, {}});
    } else {
      NILUS_ASSIGN_OR_RAISE(Value v, GetPrimitive(&b, pf.result_type));
      f.partition.push_back(std::move(v));
    }
  }
  NILUS_ASSIGN_OR_RAISE(f.record_count, GetLong(&df, "record_count"));
  NILUS_ASSIGN_OR_RAISE(f.file_size_in_bytes, GetLong(&df, "file_size_in_bytes"));
  NILUS_RETURN_NOT_OK(GetLongMap(&df, "column_sizes", &f.column_sizes));
  NILUS_RETURN_NOT_OK(GetLongMap(&df, "value_counts", &f.value_counts));
  NILUS_RETURN_NOT_OK(GetLongMap(&df, "null_value_counts", &f.null_value_counts));
  NILUS_RETURN_NOT_OK(GetLongMap(&df, "nan_value_counts", &f.nan_value_counts));
  NILUS_RETURN_NOT_OK(GetBytesMap(&df, "lower_bounds", &f.lower_bounds));
  NILUS_RETURN_NOT_OK(GetBytesMap(&df, "upper_bounds", &f.upper_bounds));
  NILUS_ASSIGN_OR_RAISE(f.key_metadata, GetOptBytes(&df, "key_metadata"));
  avro_value_t arr;
  size_t n = 0;
  NILUS_ASSIGN_OR_RAISE(bool has_offsets, GetOptField(&df, "split_offsets", &arr));
  if (has_offsets) {
    NILUS_AVRO_TRY(avro_value_get_size(&arr, &n));
    for (size_t i = 0; i < n; ++i) {
      avro_value_t el;
      int64_t v = 0;
      NILUS_AVRO_TRY(avro_value_get_by_index(&arr, i, &el, nullptr));
      NILUS_AVRO_TRY(avro_value_get_long(&el, &v));
      f.split_offsets.push_back(v);
    }
  }
  NILUS_ASSIGN_OR_RAISE(bool has_eq, GetOptField(&df, "equality_ids", &arr));
  if (has_eq) {
    NILUS_AVRO_TRY(avro_value_get_size(&arr, &n));
    for (size_t i = 0; i < n; ++i) {
      avro_value_t el;
      int32_t v = 0;
      NILUS_AVRO_TRY(avro_value_get_by_index(&arr, i, &el, nullptr));
      NILUS_AVRO_TRY(avro_value_get_int(&el, &v));
      f.equality_ids.push_back(v);
    }
  }
  NILUS_ASSIGN_OR_RAISE(f.sort_order_id, GetOptInt(&df, "sort_order_id"));
  NILUS_ASSIGN_OR_RAISE(f.referenced_data_file, GetOptString(&df, "referenced_data_file"));
  return e;
}

// -0.0 sorts before +0.0 (IEEE totalOrder), as the spec asks of bounds.
template <typename F>
bool FloatLess(F a, F b) {
  if (a == b) return std::signbit(a) && !std::signbit(b);
  return a < b;
}

bool ValueLess(const Value& a, const Value& b) {
  switch (a.type->id()) {
    case TypeId::kBoolean:
      return !a.get<bool>() && b.get<bool>();
    case TypeId::kInt:
    case TypeId::kDate:
      return a.get<int32_t>() < b.get<int32_t>();
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return a.get<int64_t>() < b.get<int64_t>();
    case TypeId::kFloat:
      return FloatLess(a.get<float>(), b.get<float>());
    case TypeId::kDouble:
      return FloatLess(a.get<double>(), b.get<double>());
    case TypeId::kDecimal:
      return a.get<__int128>() < b.get<__int128>();
    default: {
      // Unsigned byte order: code point order for UTF-8 strings.
      const std::string& x = a.get<std::string>();
      const std::string& y = b.get<std::string>();
      return std::lexicographical_compare(
          x.begin(), x.end(), y.begin(), y.end(),
          [](char p, char q) { return static_cast<uint8_t>(p) < static_cast<uint8_t>(q); });
    }
  }
}

bool IsNaN(const Value& v) {
  if (std::holds_alternative<float>(v.v)) return std::isnan(v.get<float>());
  if (std::holds_alternative<double>(v.v)) return std::isnan(v.get<double>());
  return false;
}

struct SummaryAcc {
  bool contains_null = false;
  bool contains_nan = false;
  std::optional<Value> lower, upper;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// ManifestWriter

struct ManifestWriter::Rep {
  FileIO* io = nullptr;
  std::string path;
  ManifestWriterOptions options;
  std::unique_ptr<avro_internal::ContainerWriter> container;
  ManifestFile summary;
  std::vector<SummaryAcc> acc;
  std::optional<int64_t> min_seq;
  bool closed = false;
};

ManifestWriter::ManifestWriter(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
ManifestWriter::~ManifestWriter() = default;

Result<std::unique_ptr<ManifestWriter>> ManifestWriter::Make(FileIO* io, std::string path,
                                                             ManifestWriterOptions options) {
  if (io == nullptr) return Status::Invalid("ManifestWriter needs a FileIO");
  if (path.empty()) return Status::Invalid("ManifestWriter needs a path");
  NILUS_ASSIGN_OR_RAISE(std::string schema, ManifestSchemaJson(options.partition_fields));
  auto rep = std::make_unique<Rep>();
  NILUS_ASSIGN_OR_RAISE(rep->container,
                        avro_internal::ContainerWriter::Make(schema, options.codec));
  rep->io = io;
  rep->path = std::move(path);
  rep->acc.resize(options.partition_fields.size());
  rep->summary.manifest_path = rep->path;
  rep->summary.partition_spec_id = options.partition_spec_id;
  rep->summary.content = options.content;
  rep->summary.added_snapshot_id = options.snapshot_id.value_or(kUnassignedSnapshotId);
  rep->options = std::move(options);
  return std::unique_ptr<ManifestWriter>(new ManifestWriter(std::move(rep)));
}

Status ManifestWriter::AddFile(DataFile file) {
  ManifestEntry e;
  e.status = ManifestEntryStatus::kAdded;
  e.data_file = std::move(file);
  return Add(e);
}

Status ManifestWriter::Add(const ManifestEntry& entry_in) {
  Rep& r = *rep_;
  if (r.closed) return Status::Invalid("ManifestWriter for '" + r.path + "' is closed");
  const DataFile& f = entry_in.data_file;
  const auto& fields = r.options.partition_fields;
  bool is_delete = f.content != DataFileContent::kData;
  if (is_delete != (r.options.content == ManifestContent::kDeletes)) {
    return Status::Invalid(
        "'" + f.file_path + "': " +
        (is_delete ? "a delete file in a data manifest" : "a data file in a delete manifest"));
  }
  if (f.content == DataFileContent::kEqualityDeletes && f.equality_ids.empty()) {
    return Status::Invalid("'" + f.file_path + "': equality delete file without equality_ids");
  }
  if (f.partition.size() != fields.size()) {
    return Status::Invalid("'" + f.file_path + "': " + std::to_string(f.partition.size()) +
                           " partition values for a spec with " + std::to_string(fields.size()) +
                           " fields");
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    const Value& v = f.partition[i];
    if (!v.is_null() && !HoldsFor(v, fields[i].result_type->id())) {
      return Status::Invalid("'" + f.file_path + "': partition value for '" + fields[i].name +
                             "' does not hold a " + fields[i].result_type->ToString());
    }
  }
  ManifestEntry entry = entry_in;
  if (entry.status != ManifestEntryStatus::kAdded &&
      (!entry.sequence_number || !entry.file_sequence_number)) {
    return Status::Invalid("'" + f.file_path +
                           "': EXISTING and DELETED entries must carry both sequence numbers");
  }
  if (!entry.snapshot_id && entry.status != ManifestEntryStatus::kExisting) {
    entry.snapshot_id = r.options.snapshot_id;
  }
  if (entry.status == ManifestEntryStatus::kExisting && !entry.snapshot_id) {
    return Status::Invalid("'" + f.file_path + "': EXISTING entry without a snapshot id");
  }

  NILUS_RETURN_NOT_OK(EncodeEntry(entry, fields, r.container->record()));
  NILUS_RETURN_NOT_OK(r.container->Append());

  ManifestFile& s = r.summary;
  switch (entry.status) {
    case ManifestEntryStatus::kAdded:
      ++s.added_files_count;
      s.added_rows_count += f.record_count;
      break;
    case ManifestEntryStatus::kExisting:
      ++s.existing_files_count;
      s.existing_rows_count += f.record_count;
      break;
    case ManifestEntryStatus::kDeleted:
      ++s.deleted_files_count;
      s.deleted_rows_count += f.record_count;
      break;
  }
  // Live entries only; ADDED ones without a number inherit the (larger) snapshot number.
  if (entry.status != ManifestEntryStatus::kDeleted && entry.sequence_number) {
    r.min_seq = std::min(r.min_seq.value_or(*entry.sequence_number), *entry.sequence_number);
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    const Value& v = f.partition[i];
    SummaryAcc& a = r.acc[i];
    if (v.is_null()) {
      a.contains_null = true;
    } else if (IsNaN(v)) {
      a.contains_nan = true;
    } else {
      if (!a.lower || ValueLess(v, *a.lower)) a.lower = v;
      if (!a.upper || ValueLess(*a.upper, v)) a.upper = v;
    }
  }
  return Status::OK();
}

Result<ManifestFile> ManifestWriter::Close() {
  Rep& r = *rep_;
  if (r.closed) return Status::Invalid("ManifestWriter for '" + r.path + "' is closed");
  r.closed = true;
  ManifestFile s = r.summary;
  s.min_sequence_number = r.min_seq.value_or(kUnassignedSequenceNumber);
  for (size_t i = 0; i < r.acc.size(); ++i) {
    const SummaryAcc& a = r.acc[i];
    PartitionFieldSummary fs;
    fs.contains_null = a.contains_null;
    fs.contains_nan = a.contains_nan;
    if (a.lower) {
      NILUS_ASSIGN_OR_RAISE(fs.lower_bound, ToBinary(*a.lower));
    }
    if (a.upper) {
      NILUS_ASSIGN_OR_RAISE(fs.upper_bound, ToBinary(*a.upper));
    }
    s.partitions.push_back(std::move(fs));
  }
  std::map<std::string, std::string> meta = {
      {"schema", r.options.schema_json},
      {"schema-id", std::to_string(r.options.schema_id)},
      {"partition-spec", r.options.partition_spec_json},
      {"partition-spec-id", std::to_string(r.options.partition_spec_id)},
      {"format-version", "2"},
      {"content", r.options.content == ManifestContent::kDeletes ? "deletes" : "data"},
  };
  NILUS_ASSIGN_OR_RAISE(std::string bytes, r.container->Finish(meta));
  r.container.reset();
  NILUS_RETURN_NOT_OK(r.io->WriteFile(r.path, bytes));
  s.manifest_length = static_cast<int64_t>(bytes.size());
  return s;
}

// ---------------------------------------------------------------------------------------------
// Reading

Result<ManifestContents> ReadManifestFile(FileIO* io, const std::string& path) {
  NILUS_ASSIGN_OR_RAISE(std::string bytes, io->ReadFile(path));
  ManifestContents out;
  bool fields_known = false;
  Status st = avro_internal::ReadContainer(
      path, std::move(bytes), &out.metadata, [&](avro_value* rec) -> Status {
        if (!fields_known) {
          NILUS_ASSIGN_OR_RAISE(out.partition_fields,
                                PartitionFieldsFromSchema(out.metadata["avro.schema"]));
          fields_known = true;
        }
        NILUS_ASSIGN_OR_RAISE(ManifestEntry e, DecodeEntry(rec, out.partition_fields));
        out.entries.push_back(std::move(e));
        return Status::OK();
      });
  if (!st.ok()) {
    return Status(st.code(), "manifest '" + path + "': " + st.message());
  }
  if (!fields_known && out.metadata.count("avro.schema")) {
    NILUS_ASSIGN_OR_RAISE(out.partition_fields,
                          PartitionFieldsFromSchema(out.metadata["avro.schema"]));
  }
  return out;
}

Result<std::vector<ManifestEntry>> ReadManifest(FileIO* io, const ManifestFile& manifest) {
  NILUS_ASSIGN_OR_RAISE(ManifestContents contents, ReadManifestFile(io, manifest.manifest_path));
  for (ManifestEntry& e : contents.entries) {
    if (!e.snapshot_id && manifest.added_snapshot_id != kUnassignedSnapshotId) {
      e.snapshot_id = manifest.added_snapshot_id;
    }
    // Only ADDED entries inherit sequence numbers (spec "Sequence Number Inheritance").
    if (e.status == ManifestEntryStatus::kAdded &&
        manifest.sequence_number != kUnassignedSequenceNumber) {
      if (!e.sequence_number) e.sequence_number = manifest.sequence_number;
      if (!e.file_sequence_number) e.file_sequence_number = manifest.sequence_number;
    }
  }
  return std::move(contents.entries);
}

}  // namespace nilus::iceberg
