// Thrift compact decoding of the Parquet metadata structs (reader side; metadata_serialize.cc
// is the other direction). Unknown fields are skipped so files from newer writers still open;
// a known field with the wrong wire type, or a missing required field, is corruption.
#include <fmt/format.h>

#include <algorithm>
#include <bitset>
#include <string>
#include <utility>

#include "formats/parquet/parquet_metadata.h"
#include "formats/parquet/thrift_compact_reader.h"

namespace nilus::parquet {

namespace {

using R = ThriftCompactReader;
using FH = ThriftCompactReader::FieldHeader;

constexpr uint32_t kMaxListReserve = 1024;

// Puts a path segment (a field name or "[index]") in front of an error, so that messages read
// "row_groups[0].columns[3].meta_data: thrift: <what> at byte N". Free when `st` is OK.
Status Ctx(Status st, std::string_view segment) {
  if (st.ok()) return st;
  const std::string& msg = st.message();
  const std::string_view sep = msg.rfind("thrift:", 0) == 0 ? ": "
                               : msg.rfind('[', 0) == 0     ? ""
                                                            : ".";
  std::string out(segment);
  out += sep;
  out += msg;
  return Status(st.code(), std::move(out), st.retryable());
}

Status WrongType(R& r, const FH& f, std::string_view expected) {
  return r.Corrupt(fmt::format("field {} has wire type {}, expected {}", f.id,
                               ThriftTypeName(f.type), expected));
}

Status ReadI8Field(R& r, const FH& f, int8_t* out) {
  if (f.type != ThriftType::kByte) return WrongType(r, f, "i8");
  return r.ReadI8(out);
}
Status ReadI16Field(R& r, const FH& f, int16_t* out) {
  if (f.type != ThriftType::kI16) return WrongType(r, f, "i16");
  return r.ReadI16(out);
}
Status ReadI32Field(R& r, const FH& f, int32_t* out) {
  if (f.type != ThriftType::kI32) return WrongType(r, f, "i32");
  return r.ReadI32(out);
}
Status ReadI64Field(R& r, const FH& f, int64_t* out) {
  if (f.type != ThriftType::kI64) return WrongType(r, f, "i64");
  return r.ReadI64(out);
}
Status ReadBoolField(R& r, const FH& f, bool* out) {
  if (f.type != ThriftType::kBoolTrue && f.type != ThriftType::kBoolFalse) {
    return WrongType(r, f, "bool");
  }
  *out = R::FieldBool(f.type);
  return Status::OK();
}
Status ReadBinaryField(R& r, const FH& f, std::string* out) {
  if (f.type != ThriftType::kBinary) return WrongType(r, f, "binary");
  return r.ReadBinary(out);
}
// Thrift enums travel as i32; values this build does not know are kept as they are.
template <typename E>
Status ReadEnumField(R& r, const FH& f, E* out) {
  int32_t v;
  NILUS_RETURN_NOT_OK(ReadI32Field(r, f, &v));
  *out = static_cast<E>(v);
  return Status::OK();
}
template <typename T>
Status ReadOptional(Status (*read)(R&, const FH&, T*), R& r, const FH& f, std::optional<T>* out) {
  T v{};
  NILUS_RETURN_NOT_OK(read(r, f, &v));
  *out = std::move(v);
  return Status::OK();
}
Status ExpectStruct(R& r, const FH& f) {
  return f.type == ThriftType::kStruct ? Status::OK() : WrongType(r, f, "struct");
}
// Reads a list field's header and checks its element type (any type is fine when empty).
Status ReadListField(R& r, const FH& f, ThriftType elem, uint32_t* size) {
  if (f.type != ThriftType::kList && f.type != ThriftType::kSet) return WrongType(r, f, "list");
  R::ListHeader h;
  NILUS_RETURN_NOT_OK(r.ReadListHeader(&h));
  if (h.size > 0 && h.elem_type != elem) {
    return r.Corrupt(fmt::format("list of {}, expected a list of {}", ThriftTypeName(h.elem_type),
                                 ThriftTypeName(elem)));
  }
  *size = h.size;
  return Status::OK();
}

// Tracks which field ids were seen, to report missing required fields.
class Seen {
 public:
  void Mark(int16_t id) {
    if (id >= 0 && id < 64) bits_.set(static_cast<size_t>(id));
  }
  // `required` lists the ids that must have been seen.
  Status Check(R& r, std::string_view struct_name,
               std::initializer_list<std::pair<int, std::string_view>> required) const {
    for (const auto& [id, name] : required) {
      if (!bits_.test(static_cast<size_t>(id))) {
        return r.Corrupt(
            fmt::format("{} is missing required field {} ({})", struct_name, id, name));
      }
    }
    return Status::OK();
  }

 private:
  std::bitset<64> bits_;
};

// Reads one struct: calls on_field(header) for each field, which must consume the value (or
// skip it). Marks every field id in *seen when given.
template <typename F>
Status ReadStruct(R& r, F&& on_field, Seen* seen = nullptr) {
  NILUS_RETURN_NOT_OK(r.StructBegin());
  for (;;) {
    FH f;
    NILUS_RETURN_NOT_OK(r.ReadFieldHeader(&f));
    if (f.type == ThriftType::kStop) break;
    NILUS_RETURN_NOT_OK(on_field(f));
    if (seen) seen->Mark(f.id);
  }
  return r.StructEnd();
}

// Reads a list<struct> field into *out, element by element.
template <typename T, typename ReadElem>
Status ReadStructList(R& r, const FH& f, std::vector<T>* out, ReadElem&& read_elem) {
  uint32_t n;
  NILUS_RETURN_NOT_OK(ReadListField(r, f, ThriftType::kStruct, &n));
  out->clear();
  // Reserve no more than a small start: a decoded element is far larger than its encoding, so a
  // long declared length must not allocate before its elements are actually read.
  out->reserve(std::min<uint32_t>(n, kMaxListReserve));
  for (uint32_t i = 0; i < n; ++i) {
    T elem{};
    Status st = read_elem(r, &elem);
    if (!st.ok()) return Ctx(std::move(st), fmt::format("[{}]", i));
    out->push_back(std::move(elem));
  }
  return Status::OK();
}

Status ReadStatistics(R& r, Statistics* s) {
  return ReadStruct(r, [&](const FH& f) -> Status {
    switch (f.id) {
      case 1:
        return Ctx(ReadOptional(ReadBinaryField, r, f, &s->max), "max");
      case 2:
        return Ctx(ReadOptional(ReadBinaryField, r, f, &s->min), "min");
      case 3:
        return Ctx(ReadOptional(ReadI64Field, r, f, &s->null_count), "null_count");
      case 4:
        return Ctx(ReadOptional(ReadI64Field, r, f, &s->distinct_count), "distinct_count");
      case 5:
        return Ctx(ReadOptional(ReadBinaryField, r, f, &s->max_value), "max_value");
      case 6:
        return Ctx(ReadOptional(ReadBinaryField, r, f, &s->min_value), "min_value");
      case 7:
        return Ctx(ReadOptional(ReadBoolField, r, f, &s->is_max_value_exact), "is_max_value_exact");
      case 8:
        return Ctx(ReadOptional(ReadBoolField, r, f, &s->is_min_value_exact), "is_min_value_exact");
      case 9:
        return Ctx(ReadOptional(ReadI64Field, r, f, &s->nan_count), "nan_count");
      default:
        return r.Skip(f.type);
    }
  });
}

Status ReadKeyValue(R& r, KeyValue* kv) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadBinaryField(r, f, &kv->key), "key");
          case 2:
            return Ctx(ReadOptional(ReadBinaryField, r, f, &kv->value), "value");
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "KeyValue", {{1, "key"}});
}

// TimeUnit is a union of empty structs; the member's id is the unit.
Status ReadTimeUnit(R& r, TimeUnit* unit) {
  int members = 0;
  NILUS_RETURN_NOT_OK(ReadStruct(r, [&](const FH& f) -> Status {
    NILUS_RETURN_NOT_OK(ExpectStruct(r, f));
    *unit = static_cast<TimeUnit>(f.id);
    ++members;
    return r.Skip(f.type);
  }));
  if (members != 1) return r.Corrupt(fmt::format("TimeUnit union has {} members", members));
  return Status::OK();
}

// The body of one LogicalType member, whose kind is already set.
Status ReadLogicalTypeMember(R& r, LogicalType* lt) {
  Seen seen;
  switch (lt->kind) {
    case LogicalType::kDecimal:
      NILUS_RETURN_NOT_OK(ReadStruct(
          r,
          [&](const FH& f) -> Status {
            switch (f.id) {
              case 1:
                return Ctx(ReadI32Field(r, f, &lt->decimal_scale), "scale");
              case 2:
                return Ctx(ReadI32Field(r, f, &lt->decimal_precision), "precision");
              default:
                return r.Skip(f.type);
            }
          },
          &seen));
      return seen.Check(r, "DecimalType", {{1, "scale"}, {2, "precision"}});
    case LogicalType::kTime:
    case LogicalType::kTimestamp:
      NILUS_RETURN_NOT_OK(ReadStruct(
          r,
          [&](const FH& f) -> Status {
            switch (f.id) {
              case 1:
                return Ctx(ReadBoolField(r, f, &lt->is_adjusted_to_utc), "isAdjustedToUTC");
              case 2:
                NILUS_RETURN_NOT_OK(Ctx(ExpectStruct(r, f), "unit"));
                return Ctx(ReadTimeUnit(r, &lt->unit), "unit");
              default:
                return r.Skip(f.type);
            }
          },
          &seen));
      return seen.Check(r, lt->kind == LogicalType::kTime ? "TimeType" : "TimestampType",
                        {{1, "isAdjustedToUTC"}, {2, "unit"}});
    case LogicalType::kInteger:
      NILUS_RETURN_NOT_OK(ReadStruct(
          r,
          [&](const FH& f) -> Status {
            switch (f.id) {
              case 1:
                return Ctx(ReadI8Field(r, f, &lt->bit_width), "bitWidth");
              case 2:
                return Ctx(ReadBoolField(r, f, &lt->is_signed), "isSigned");
              default:
                return r.Skip(f.type);
            }
          },
          &seen));
      return seen.Check(r, "IntType", {{1, "bitWidth"}, {2, "isSigned"}});
    default:
      // Empty structs (STRING, DATE, UUID, ...) and members newer than this build.
      return r.Skip(ThriftType::kStruct);
  }
}

Status ReadLogicalType(R& r, std::optional<LogicalType>* out) {
  LogicalType lt;
  int members = 0;
  NILUS_RETURN_NOT_OK(ReadStruct(r, [&](const FH& f) -> Status {
    NILUS_RETURN_NOT_OK(ExpectStruct(r, f));
    ++members;
    lt.kind = static_cast<LogicalType::Kind>(f.id);
    return ReadLogicalTypeMember(r, &lt);
  }));
  if (members > 1) return r.Corrupt(fmt::format("LogicalType union has {} members", members));
  if (members == 1) *out = lt;
  return Status::OK();
}

Status ReadSchemaElement(R& r, SchemaElement* e) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadOptional(ReadEnumField<PhysicalType>, r, f, &e->type), "type");
          case 2:
            return Ctx(ReadOptional(ReadI32Field, r, f, &e->type_length), "type_length");
          case 3:
            return Ctx(ReadOptional(ReadEnumField<Repetition>, r, f, &e->repetition_type),
                       "repetition_type");
          case 4:
            return Ctx(ReadBinaryField(r, f, &e->name), "name");
          case 5:
            return Ctx(ReadOptional(ReadI32Field, r, f, &e->num_children), "num_children");
          case 6:
            return Ctx(ReadOptional(ReadEnumField<ConvertedType>, r, f, &e->converted_type),
                       "converted_type");
          case 7:
            return Ctx(ReadOptional(ReadI32Field, r, f, &e->scale), "scale");
          case 8:
            return Ctx(ReadOptional(ReadI32Field, r, f, &e->precision), "precision");
          case 9:
            return Ctx(ReadOptional(ReadI32Field, r, f, &e->field_id), "field_id");
          case 10:
            NILUS_RETURN_NOT_OK(Ctx(ExpectStruct(r, f), "logicalType"));
            return Ctx(ReadLogicalType(r, &e->logical_type), "logicalType");
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "SchemaElement", {{4, "name"}});
}

Status ReadPageEncodingStats(R& r, PageEncodingStats* s) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadEnumField(r, f, &s->page_type), "page_type");
          case 2:
            return Ctx(ReadEnumField(r, f, &s->encoding), "encoding");
          case 3:
            return Ctx(ReadI32Field(r, f, &s->count), "count");
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "PageEncodingStats", {{1, "page_type"}, {2, "encoding"}, {3, "count"}});
}

Status ReadColumnMetaData(R& r, ColumnMetaData* m) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadEnumField(r, f, &m->type), "type");
          case 2: {
            uint32_t n;
            NILUS_RETURN_NOT_OK(Ctx(ReadListField(r, f, ThriftType::kI32, &n), "encodings"));
            m->encodings.resize(n);
            for (uint32_t i = 0; i < n; ++i) {
              int32_t v;
              NILUS_RETURN_NOT_OK(Ctx(r.ReadI32(&v), "encodings"));
              m->encodings[i] = static_cast<Encoding>(v);
            }
            return Status::OK();
          }
          case 3: {
            uint32_t n;
            NILUS_RETURN_NOT_OK(
                Ctx(ReadListField(r, f, ThriftType::kBinary, &n), "path_in_schema"));
            m->path_in_schema.clear();
            m->path_in_schema.reserve(std::min<uint32_t>(n, kMaxListReserve));
            for (uint32_t i = 0; i < n; ++i) {
              std::string part;
              NILUS_RETURN_NOT_OK(Ctx(r.ReadBinary(&part), "path_in_schema"));
              m->path_in_schema.push_back(std::move(part));
            }
            return Status::OK();
          }
          case 4:
            return Ctx(ReadEnumField(r, f, &m->codec), "codec");
          case 5:
            return Ctx(ReadI64Field(r, f, &m->num_values), "num_values");
          case 6:
            return Ctx(ReadI64Field(r, f, &m->total_uncompressed_size), "total_uncompressed_size");
          case 7:
            return Ctx(ReadI64Field(r, f, &m->total_compressed_size), "total_compressed_size");
          case 8:
            return Ctx(ReadStructList(r, f, &m->key_value_metadata, ReadKeyValue),
                       "key_value_metadata");
          case 9:
            return Ctx(ReadI64Field(r, f, &m->data_page_offset), "data_page_offset");
          case 10:
            return Ctx(ReadOptional(ReadI64Field, r, f, &m->index_page_offset),
                       "index_page_offset");
          case 11:
            return Ctx(ReadOptional(ReadI64Field, r, f, &m->dictionary_page_offset),
                       "dictionary_page_offset");
          case 12: {
            NILUS_RETURN_NOT_OK(Ctx(ExpectStruct(r, f), "statistics"));
            m->statistics.emplace();
            return Ctx(ReadStatistics(r, &*m->statistics), "statistics");
          }
          case 13:
            return Ctx(ReadStructList(r, f, &m->encoding_stats, ReadPageEncodingStats),
                       "encoding_stats");
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "ColumnMetaData",
                    {{1, "type"},
                     {2, "encodings"},
                     {3, "path_in_schema"},
                     {4, "codec"},
                     {5, "num_values"},
                     {6, "total_uncompressed_size"},
                     {7, "total_compressed_size"},
                     {9, "data_page_offset"}});
}

Status ReadColumnChunk(R& r, ColumnChunk* c) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadOptional(ReadBinaryField, r, f, &c->file_path), "file_path");
          case 2:
            return Ctx(ReadI64Field(r, f, &c->file_offset), "file_offset");
          case 3: {
            NILUS_RETURN_NOT_OK(Ctx(ExpectStruct(r, f), "meta_data"));
            c->meta_data.emplace();
            return Ctx(ReadColumnMetaData(r, &*c->meta_data), "meta_data");
          }
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "ColumnChunk", {{2, "file_offset"}});
}

Status ReadRowGroup(R& r, RowGroup* rg) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadStructList(r, f, &rg->columns, ReadColumnChunk), "columns");
          case 2:
            return Ctx(ReadI64Field(r, f, &rg->total_byte_size), "total_byte_size");
          case 3:
            return Ctx(ReadI64Field(r, f, &rg->num_rows), "num_rows");
          case 5:
            return Ctx(ReadOptional(ReadI64Field, r, f, &rg->file_offset), "file_offset");
          case 6:
            return Ctx(ReadOptional(ReadI64Field, r, f, &rg->total_compressed_size),
                       "total_compressed_size");
          case 7:
            return Ctx(ReadOptional(ReadI16Field, r, f, &rg->ordinal), "ordinal");
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "RowGroup", {{1, "columns"}, {2, "total_byte_size"}, {3, "num_rows"}});
}

// ColumnOrder is a union; member 1 is the empty TypeDefinedOrder.
Status ReadColumnOrders(R& r, const FH& f, int32_t* type_defined) {
  uint32_t n;
  NILUS_RETURN_NOT_OK(ReadListField(r, f, ThriftType::kStruct, &n));
  *type_defined = 0;
  for (uint32_t i = 0; i < n; ++i) {
    NILUS_RETURN_NOT_OK(ReadStruct(r, [&](const FH& m) -> Status {
      if (m.id == 1 && m.type == ThriftType::kStruct) ++*type_defined;
      return r.Skip(m.type);
    }));
  }
  return Status::OK();
}

Status ReadFileMetaData(R& r, FileMetaData* md) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadI32Field(r, f, &md->version), "version");
          case 2:
            return Ctx(ReadStructList(r, f, &md->schema, ReadSchemaElement), "schema");
          case 3:
            return Ctx(ReadI64Field(r, f, &md->num_rows), "num_rows");
          case 4:
            return Ctx(ReadStructList(r, f, &md->row_groups, ReadRowGroup), "row_groups");
          case 5:
            return Ctx(ReadStructList(r, f, &md->key_value_metadata, ReadKeyValue),
                       "key_value_metadata");
          case 6:
            return Ctx(ReadOptional(ReadBinaryField, r, f, &md->created_by), "created_by");
          case 7:
            return Ctx(ReadColumnOrders(r, f, &md->num_type_defined_column_orders),
                       "column_orders");
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "FileMetaData",
                    {{1, "version"}, {2, "schema"}, {3, "num_rows"}, {4, "row_groups"}});
}

Status ReadDataPageHeader(R& r, DataPageHeader* d) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadI32Field(r, f, &d->num_values), "num_values");
          case 2:
            return Ctx(ReadEnumField(r, f, &d->encoding), "encoding");
          case 3:
            return Ctx(ReadEnumField(r, f, &d->definition_level_encoding),
                       "definition_level_encoding");
          case 4:
            return Ctx(ReadEnumField(r, f, &d->repetition_level_encoding),
                       "repetition_level_encoding");
          case 5: {
            NILUS_RETURN_NOT_OK(Ctx(ExpectStruct(r, f), "statistics"));
            d->statistics.emplace();
            return Ctx(ReadStatistics(r, &*d->statistics), "statistics");
          }
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "DataPageHeader",
                    {{1, "num_values"},
                     {2, "encoding"},
                     {3, "definition_level_encoding"},
                     {4, "repetition_level_encoding"}});
}

Status ReadDictionaryPageHeader(R& r, DictionaryPageHeader* d) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadI32Field(r, f, &d->num_values), "num_values");
          case 2:
            return Ctx(ReadEnumField(r, f, &d->encoding), "encoding");
          case 3:
            return Ctx(ReadOptional(ReadBoolField, r, f, &d->is_sorted), "is_sorted");
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "DictionaryPageHeader", {{1, "num_values"}, {2, "encoding"}});
}

Status ReadDataPageHeaderV2(R& r, DataPageHeaderV2* d) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadI32Field(r, f, &d->num_values), "num_values");
          case 2:
            return Ctx(ReadI32Field(r, f, &d->num_nulls), "num_nulls");
          case 3:
            return Ctx(ReadI32Field(r, f, &d->num_rows), "num_rows");
          case 4:
            return Ctx(ReadEnumField(r, f, &d->encoding), "encoding");
          case 5:
            return Ctx(ReadI32Field(r, f, &d->definition_levels_byte_length),
                       "definition_levels_byte_length");
          case 6:
            return Ctx(ReadI32Field(r, f, &d->repetition_levels_byte_length),
                       "repetition_levels_byte_length");
          case 7:
            return Ctx(ReadOptional(ReadBoolField, r, f, &d->is_compressed), "is_compressed");
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "DataPageHeaderV2",
                    {{1, "num_values"},
                     {2, "num_nulls"},
                     {3, "num_rows"},
                     {4, "encoding"},
                     {5, "definition_levels_byte_length"},
                     {6, "repetition_levels_byte_length"}});
}

Status ReadPageHeader(R& r, PageHeader* h) {
  Seen seen;
  NILUS_RETURN_NOT_OK(ReadStruct(
      r,
      [&](const FH& f) -> Status {
        switch (f.id) {
          case 1:
            return Ctx(ReadEnumField(r, f, &h->type), "type");
          case 2:
            return Ctx(ReadI32Field(r, f, &h->uncompressed_page_size), "uncompressed_page_size");
          case 3:
            return Ctx(ReadI32Field(r, f, &h->compressed_page_size), "compressed_page_size");
          case 4:
            return Ctx(ReadOptional(ReadI32Field, r, f, &h->crc), "crc");
          case 5: {
            NILUS_RETURN_NOT_OK(Ctx(ExpectStruct(r, f), "data_page_header"));
            h->data_page_header.emplace();
            return Ctx(ReadDataPageHeader(r, &*h->data_page_header), "data_page_header");
          }
          case 7: {
            NILUS_RETURN_NOT_OK(Ctx(ExpectStruct(r, f), "dictionary_page_header"));
            h->dictionary_page_header.emplace();
            return Ctx(ReadDictionaryPageHeader(r, &*h->dictionary_page_header),
                       "dictionary_page_header");
          }
          case 8: {
            NILUS_RETURN_NOT_OK(Ctx(ExpectStruct(r, f), "data_page_header_v2"));
            h->data_page_header_v2.emplace();
            return Ctx(ReadDataPageHeaderV2(r, &*h->data_page_header_v2), "data_page_header_v2");
          }
          default:
            return r.Skip(f.type);
        }
      },
      &seen));
  return seen.Check(r, "PageHeader",
                    {{1, "type"}, {2, "uncompressed_page_size"}, {3, "compressed_page_size"}});
}

}  // namespace

Result<FileMetaData> DeserializeFileMetaData(const uint8_t* data, size_t size) {
  R r(data, size);
  FileMetaData md;
  NILUS_RETURN_NOT_OK_CTX(ReadFileMetaData(r, &md), "Parquet FileMetaData");
  return md;
}

Result<PageHeader> DeserializePageHeader(const uint8_t* data, size_t size, size_t* consumed) {
  R r(data, size);
  PageHeader h;
  NILUS_RETURN_NOT_OK_CTX(ReadPageHeader(r, &h), "Parquet PageHeader");
  if (consumed) *consumed = r.position();
  return h;
}

}  // namespace nilus::parquet
