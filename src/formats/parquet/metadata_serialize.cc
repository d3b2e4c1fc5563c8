// Thrift compact encoding of the Parquet metadata structs (writer side).
#include "formats/parquet/parquet_metadata.h"
#include "formats/parquet/thrift_compact_writer.h"

namespace nilus::parquet {

namespace {

using W = ThriftCompactWriter;

void WriteStatistics(W& w, const Statistics& s) {
  if (s.max) w.FieldBinary(1, *s.max);
  if (s.min) w.FieldBinary(2, *s.min);
  if (s.null_count) w.FieldI64(3, *s.null_count);
  if (s.distinct_count) w.FieldI64(4, *s.distinct_count);
  if (s.max_value) w.FieldBinary(5, *s.max_value);
  if (s.min_value) w.FieldBinary(6, *s.min_value);
  if (s.is_max_value_exact) w.FieldBool(7, *s.is_max_value_exact);
  if (s.is_min_value_exact) w.FieldBool(8, *s.is_min_value_exact);
  if (s.nan_count) w.FieldI64(9, *s.nan_count);
}

void WriteKeyValues(W& w, int16_t id, const std::vector<KeyValue>& kvs) {
  if (kvs.empty()) return;
  w.FieldListBegin(id, ThriftType::kStruct, static_cast<uint32_t>(kvs.size()));
  for (const auto& kv : kvs) {
    w.StructBegin();
    w.FieldBinary(1, kv.key);
    if (kv.value) w.FieldBinary(2, *kv.value);
    w.StructEnd();
  }
}

void WriteTimeUnit(W& w, TimeUnit unit) {
  w.FieldStructBegin(2);
  w.FieldStructBegin(static_cast<int16_t>(unit));  // MILLIS=1, MICROS=2, NANOS=3: empty structs
  w.StructEnd();
  w.StructEnd();
}

void WriteLogicalType(W& w, const LogicalType& lt) {
  w.FieldStructBegin(10);
  w.FieldStructBegin(static_cast<int16_t>(lt.kind));
  switch (lt.kind) {
    case LogicalType::kDecimal:
      w.FieldI32(1, lt.decimal_scale);
      w.FieldI32(2, lt.decimal_precision);
      break;
    case LogicalType::kTime:
    case LogicalType::kTimestamp:
      w.FieldBool(1, lt.is_adjusted_to_utc);
      WriteTimeUnit(w, lt.unit);
      break;
    case LogicalType::kInteger:
      w.FieldI8(1, lt.bit_width);
      w.FieldBool(2, lt.is_signed);
      break;
    default:
      break;  // the other members are empty structs
  }
  w.StructEnd();
  w.StructEnd();
}

void WriteSchemaElement(W& w, const SchemaElement& e) {
  w.StructBegin();
  if (e.type) w.FieldI32(1, static_cast<int32_t>(*e.type));
  if (e.type_length) w.FieldI32(2, *e.type_length);
  if (e.repetition_type) w.FieldI32(3, static_cast<int32_t>(*e.repetition_type));
  w.FieldBinary(4, e.name);
  if (e.num_children) w.FieldI32(5, *e.num_children);
  if (e.converted_type) w.FieldI32(6, static_cast<int32_t>(*e.converted_type));
  if (e.scale) w.FieldI32(7, *e.scale);
  if (e.precision) w.FieldI32(8, *e.precision);
  if (e.field_id) w.FieldI32(9, *e.field_id);
  if (e.logical_type) WriteLogicalType(w, *e.logical_type);
  w.StructEnd();
}

void WriteColumnMetaData(W& w, const ColumnMetaData& m) {
  w.FieldI32(1, static_cast<int32_t>(m.type));
  w.FieldListBegin(2, ThriftType::kI32, static_cast<uint32_t>(m.encodings.size()));
  for (auto e : m.encodings) w.I32(static_cast<int32_t>(e));
  w.FieldListBegin(3, ThriftType::kBinary, static_cast<uint32_t>(m.path_in_schema.size()));
  for (const auto& p : m.path_in_schema) w.Binary(p);
  w.FieldI32(4, static_cast<int32_t>(m.codec));
  w.FieldI64(5, m.num_values);
  w.FieldI64(6, m.total_uncompressed_size);
  w.FieldI64(7, m.total_compressed_size);
  WriteKeyValues(w, 8, m.key_value_metadata);
  w.FieldI64(9, m.data_page_offset);
  if (m.index_page_offset) w.FieldI64(10, *m.index_page_offset);
  if (m.dictionary_page_offset) w.FieldI64(11, *m.dictionary_page_offset);
  if (m.statistics) {
    w.FieldStructBegin(12);
    WriteStatistics(w, *m.statistics);
    w.StructEnd();
  }
  if (!m.encoding_stats.empty()) {
    w.FieldListBegin(13, ThriftType::kStruct, static_cast<uint32_t>(m.encoding_stats.size()));
    for (const auto& s : m.encoding_stats) {
      w.StructBegin();
      w.FieldI32(1, static_cast<int32_t>(s.page_type));
      w.FieldI32(2, static_cast<int32_t>(s.encoding));
      w.FieldI32(3, s.count);
      w.StructEnd();
    }
  }
}

void WriteRowGroup(W& w, const RowGroup& rg) {
  w.StructBegin();
  w.FieldListBegin(1, ThriftType::kStruct, static_cast<uint32_t>(rg.columns.size()));
  for (const auto& c : rg.columns) {
    w.StructBegin();
    if (c.file_path) w.FieldBinary(1, *c.file_path);
    w.FieldI64(2, c.file_offset);
    if (c.meta_data) {
      w.FieldStructBegin(3);
      WriteColumnMetaData(w, *c.meta_data);
      w.StructEnd();
    }
    w.StructEnd();
  }
  w.FieldI64(2, rg.total_byte_size);
  w.FieldI64(3, rg.num_rows);
  if (rg.file_offset) w.FieldI64(5, *rg.file_offset);
  if (rg.total_compressed_size) w.FieldI64(6, *rg.total_compressed_size);
  if (rg.ordinal) w.FieldI16(7, *rg.ordinal);
  w.StructEnd();
}

}  // namespace

void SerializeFileMetaData(const FileMetaData& md, Buffer* out) {
  W w(out);
  w.StructBegin();
  w.FieldI32(1, md.version);
  w.FieldListBegin(2, ThriftType::kStruct, static_cast<uint32_t>(md.schema.size()));
  for (const auto& e : md.schema) WriteSchemaElement(w, e);
  w.FieldI64(3, md.num_rows);
  w.FieldListBegin(4, ThriftType::kStruct, static_cast<uint32_t>(md.row_groups.size()));
  for (const auto& rg : md.row_groups) WriteRowGroup(w, rg);
  WriteKeyValues(w, 5, md.key_value_metadata);
  if (md.created_by) w.FieldBinary(6, *md.created_by);
  if (md.num_type_defined_column_orders > 0) {
    // ColumnOrder is a union whose member 1 is the empty TypeDefinedOrder struct.
    w.FieldListBegin(7, ThriftType::kStruct,
                     static_cast<uint32_t>(md.num_type_defined_column_orders));
    for (int i = 0; i < md.num_type_defined_column_orders; ++i) {
      w.StructBegin();
      w.FieldStructBegin(1);
      w.StructEnd();
      w.StructEnd();
    }
  }
  w.StructEnd();
}

void SerializePageHeader(const PageHeader& h, Buffer* out) {
  W w(out);
  w.StructBegin();
  w.FieldI32(1, static_cast<int32_t>(h.type));
  w.FieldI32(2, h.uncompressed_page_size);
  w.FieldI32(3, h.compressed_page_size);
  if (h.crc) w.FieldI32(4, *h.crc);
  if (h.data_page_header) {
    const auto& d = *h.data_page_header;
    w.FieldStructBegin(5);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    w.FieldI32(3, static_cast<int32_t>(d.definition_level_encoding));
    w.FieldI32(4, static_cast<int32_t>(d.repetition_level_encoding));
    if (d.statistics) {
      w.FieldStructBegin(5);
      WriteStatistics(w, *d.statistics);
      w.StructEnd();
    }
    w.StructEnd();
  }
  if (h.dictionary_page_header) {
    const auto& d = *h.dictionary_page_header;
    w.FieldStructBegin(7);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    if (d.is_sorted) w.FieldBool(3, *d.is_sorted);
    w.StructEnd();
  }
  if (h.data_page_header_v2) {
    const auto& d = *h.data_page_header_v2;
    w.FieldStructBegin(8);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, d.num_nulls);
    w.FieldI32(3, d.num_rows);
    w.FieldI32(4, static_cast<int32_t>(d.encoding));
    w.FieldI32(5, d.definition_levels_byte_length);
    w.FieldI32(6, d.repetition_levels_byte_length);
    if (d.is_compressed) w.FieldBool(7, *d.is_compressed);
    w.StructEnd();
  }
  w.StructEnd();
}

}  // namespace nilus::parquet
