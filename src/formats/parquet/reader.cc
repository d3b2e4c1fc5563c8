#include "formats/parquet/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include "formats/parquet/decompression.h"
#include "formats/parquet/rle_decoder.h"
#include "formats/parquet/rle_encoder.h"

namespace nilus::parquet {

namespace {

// A page larger than this is taken as corrupt rather than allocated.
constexpr int64_t kMaxPageBytes = int64_t{1} << 30;

// How the physical values of a leaf become the Iceberg layout of its Column.
enum class Conv {
  kBool,           // BOOLEAN (bit-packed) -> 1 byte
  kInt32,          // INT32 -> int32
  kInt32ToInt64,   // INT32 -> int64 (promotion)
  kInt64,          // INT64 -> int64, times mul or divided by div (time units)
  kFloat,          // FLOAT -> float
  kFloatToDouble,  // FLOAT -> double (promotion)
  kDouble,         // DOUBLE -> double
  kInt32ToDecimal,
  kInt64ToDecimal,
  kFlbaToDecimal,  // big-endian two's complement -> __int128
  kFlba,           // fixed bytes, copied
  kBytes,          // BYTE_ARRAY -> offsets + arena
};

struct LeafConv {
  Conv kind = Conv::kInt32;
  int in_width = 0;   // bytes per PLAIN value (0 for BOOLEAN and BYTE_ARRAY)
  int out_width = 0;  // bytes per Column value (0 for BYTE_ARRAY)
  int64_t mul = 1;
  int64_t div = 1;
};

// Decoded non-null values of a leaf, already in the Column layout.
struct DenseValues {
  Buffer fixed;                     // fixed-width values
  Buffer arena;                     // BYTE_ARRAY bytes
  std::vector<int64_t> offsets{0};  // BYTE_ARRAY: count + 1 offsets into the arena
  int64_t count = 0;
};

// Levels (and optionally values) of one column chunk.
struct DecodedChunk {
  std::vector<uint16_t> def;
  std::vector<uint16_t> rep;
  bool has_values = false;
  DenseValues values;
};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

void ConvertOne(const LeafConv& cv, const uint8_t* in, uint8_t* out) {
  switch (cv.kind) {
    case Conv::kInt32:
    case Conv::kFloat:
      std::memcpy(out, in, 4);
      break;
    case Conv::kInt32ToInt64: {
      int32_t v;
      std::memcpy(&v, in, 4);
      int64_t w = v;
      std::memcpy(out, &w, 8);
      break;
    }
    case Conv::kInt64: {
      int64_t v;
      std::memcpy(&v, in, 8);
      if (cv.mul != 1) v = static_cast<int64_t>(static_cast<uint64_t>(v) * cv.mul);
      if (cv.div != 1) v = FloorDiv(v, cv.div);
      std::memcpy(out, &v, 8);
      break;
    }
    case Conv::kFloatToDouble: {
      float v;
      std::memcpy(&v, in, 4);
      double d = v;
      std::memcpy(out, &d, 8);
      break;
    }
    case Conv::kDouble:
      std::memcpy(out, in, 8);
      break;
    case Conv::kInt32ToDecimal: {
      int32_t v;
      std::memcpy(&v, in, 4);
      __int128 w = v;
      std::memcpy(out, &w, 16);
      break;
    }
    case Conv::kInt64ToDecimal: {
      int64_t v;
      std::memcpy(&v, in, 8);
      __int128 w = v;
      std::memcpy(out, &w, 16);
      break;
    }
    case Conv::kFlbaToDecimal: {
      // Sign-extend the big-endian bytes.
      unsigned __int128 u = (in[0] & 0x80) ? ~static_cast<unsigned __int128>(0) : 0;
      for (int i = 0; i < cv.in_width; ++i) u = (u << 8) | in[i];
      __int128 w = static_cast<__int128>(u);
      std::memcpy(out, &w, 16);
      break;
    }
    case Conv::kFlba:
      std::memcpy(out, in, static_cast<size_t>(cv.in_width));
      break;
    case Conv::kBool:
    case Conv::kBytes:
      break;
  }
}

// Decodes n PLAIN values from p[0..size) and appends them to `out`.
Status DecodePlain(const LeafConv& cv, const uint8_t* p, size_t size, int64_t n, DenseValues* out) {
  if (n < 0) return Status::Corruption("negative value count");
  if (cv.kind == Conv::kBool) {
    if (static_cast<uint64_t>(n + 7) / 8 > size) {
      return Status::Corruption(fmt::format("{} booleans need more than {} bytes", n, size));
    }
    size_t start = out->fixed.size();
    out->fixed.Resize(start + static_cast<size_t>(n));
    uint8_t* dst = out->fixed.data() + start;
    for (int64_t i = 0; i < n; ++i) dst[i] = (p[i >> 3] >> (i & 7)) & 1;
  } else if (cv.kind == Conv::kBytes) {
    size_t pos = 0;
    out->offsets.reserve(out->offsets.size() + static_cast<size_t>(std::min<int64_t>(n, size / 4)));
    for (int64_t i = 0; i < n; ++i) {
      if (size - pos < 4) return Status::Corruption("BYTE_ARRAY value length past the page end");
      uint32_t len;
      std::memcpy(&len, p + pos, 4);
      pos += 4;
      if (len > size - pos) {
        return Status::Corruption(
            fmt::format("BYTE_ARRAY value of {} bytes past the page end", len));
      }
      out->arena.Append(p + pos, len);
      out->offsets.push_back(static_cast<int64_t>(out->arena.size()));
      pos += len;
    }
  } else {
    if (static_cast<uint64_t>(n) * static_cast<uint64_t>(cv.in_width) > size) {
      return Status::Corruption(
          fmt::format("{} values of {} bytes do not fit in {} bytes", n, cv.in_width, size));
    }
    size_t start = out->fixed.size();
    out->fixed.Resize(start + static_cast<size_t>(n) * static_cast<size_t>(cv.out_width));
    uint8_t* dst = out->fixed.data() + start;
    for (int64_t i = 0; i < n; ++i) {
      ConvertOne(cv, p + i * cv.in_width, dst + i * cv.out_width);
    }
  }
  out->count += n;
  return Status::OK();
}

// Decodes n dictionary indices (bit width byte + RLE hybrid) and appends the values they
// name.
Status DecodeDictIndices(const LeafConv& cv, const DenseValues& dict, const uint8_t* p, size_t size,
                         int64_t n, DenseValues* out) {
  if (n == 0) return Status::OK();
  if (size < 1) return Status::Corruption("dictionary-encoded page without a bit width");
  int bw = p[0];
  if (bw > 32) return Status::Corruption(fmt::format("dictionary index bit width {}", bw));
  RleBitPackedDecoder dec(p + 1, size - 1, bw);
  std::vector<uint32_t> idx(1024);
  for (int64_t done = 0; done < n;) {
    int64_t k = std::min<int64_t>(n - done, static_cast<int64_t>(idx.size()));
    if (!dec.GetBatch(idx.data(), k)) {
      return Status::Corruption("dictionary indices end before the page's values");
    }
    for (int64_t i = 0; i < k; ++i) {
      if (idx[i] >= static_cast<uint64_t>(dict.count)) {
        return Status::Corruption(
            fmt::format("dictionary index {} beyond the dictionary of {}", idx[i], dict.count));
      }
    }
    if (cv.kind == Conv::kBytes) {
      for (int64_t i = 0; i < k; ++i) {
        int64_t b = dict.offsets[idx[i]], e = dict.offsets[idx[i] + 1];
        out->arena.Append(dict.arena.data() + b, static_cast<size_t>(e - b));
        out->offsets.push_back(static_cast<int64_t>(out->arena.size()));
      }
    } else {
      size_t w = static_cast<size_t>(cv.out_width);
      size_t start = out->fixed.size();
      out->fixed.Resize(start + static_cast<size_t>(k) * w);
      uint8_t* dst = out->fixed.data() + start;
      for (int64_t i = 0; i < k; ++i) {
        std::memcpy(dst + i * w, dict.fixed.data() + idx[i] * w, w);
      }
    }
    out->count += k;
    done += k;
  }
  return Status::OK();
}

// Decodes n RLE-encoded booleans (a 4-byte length, then the hybrid with bit width 1), as
// data page v2 writers use.
Status DecodeRleBooleans(const uint8_t* p, size_t size, int64_t n, DenseValues* out) {
  uint32_t len;
  if (size < 4) return Status::Corruption("RLE booleans without their length");
  std::memcpy(&len, p, 4);
  // The values end the page, so a length past its end (hyparquet-writer stores the value
  // count there) is clamped rather than rejected.
  RleBitPackedDecoder dec(p + 4, std::min<size_t>(len, size - 4), 1);
  size_t start = out->fixed.size();
  std::vector<uint32_t> bits(static_cast<size_t>(n));
  if (!dec.GetBatch(bits.data(), n)) {
    return Status::Corruption("RLE booleans end before the page's values");
  }
  out->fixed.Resize(start + static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out->fixed.data()[start + i] = static_cast<uint8_t>(bits[i]);
  out->count += n;
  return Status::OK();
}

// Decodes n levels of the RLE hybrid at p[0..size), each at most max_level.
Status DecodeLevels(const uint8_t* p, size_t size, int64_t n, int16_t max_level, const char* what,
                    std::vector<uint16_t>* out) {
  size_t start = out->size();
  out->resize(start + static_cast<size_t>(n));
  RleBitPackedDecoder dec(p, size, BitWidth(static_cast<uint64_t>(max_level)));
  if (!dec.GetBatch(out->data() + start, n)) {
    return Status::Corruption(fmt::format("{} levels end before the page's {} values", what, n));
  }
  for (size_t i = start; i < out->size(); ++i) {
    if ((*out)[i] > max_level) {
      return Status::Corruption(
          fmt::format("{} level {} above the maximum {}", what, (*out)[i], max_level));
    }
  }
  return Status::OK();
}

// The file's schema as a tree, with the levels of every node.
struct FileNode {
  const SchemaElement* elem = nullptr;
  std::vector<int> children;
  int16_t def = 0;  // definition level when this node is present
  int16_t rep = 0;
  int leaf = -1;        // leaf column index, for primitives
  int first_leaf = -1;  // the first leaf below (or at) this node
};

// One Iceberg field bound to the file.
struct FieldPlan {
  const NestedField* field = nullptr;
  int node = -1;          // file node; -1 when the file lacks the field
  int16_t def_slot = 0;   // an entry with def >= def_slot holds a slot of this field
  int16_t rep_slot = 0;   // an entry with rep <= rep_slot starts a new slot
  int16_t def_valid = 0;  // the slot is non-null when def >= def_valid
  int levels_leaf = -1;   // the leaf whose levels give this field's structure
  LeafConv conv;          // primitives
  std::vector<FieldPlan> children;
};

}  // namespace

struct ParquetReader::Impl {
  FileIO* io = nullptr;
  std::string path;
  SchemaPtr schema;
  std::unique_ptr<ParquetFileReader> file;
  std::unique_ptr<InputFile> input;
  std::vector<FileNode> nodes;
  bool file_has_ids = false;
  std::vector<FieldPlan> plans;

  // Per ReadRowGroup call.
  int row_group = 0;
  std::map<int, DecodedChunk> chunks;

  Status BuildTree() {
    const auto& schema_elems = file->metadata().schema;
    nodes.resize(schema_elems.size());
    int next = 0;
    int leaf = 0;
    // Depth-first, the same walk as BuildLeafColumns (which already checked the shape).
    std::function<Status(int, int16_t, int16_t)> walk = [&](int idx, int16_t def,
                                                            int16_t rep) -> Status {
      if (idx >= static_cast<int>(schema_elems.size())) {
        return Status::Corruption(fmt::format("{}: schema ends early", path));
      }
      FileNode& n = nodes[static_cast<size_t>(idx)];
      n.elem = &schema_elems[static_cast<size_t>(idx)];
      if (idx > 0) {
        Repetition r = n.elem->repetition_type.value_or(Repetition::kRequired);
        if (r != Repetition::kRequired) ++def;
        if (r == Repetition::kRepeated) ++rep;
        if (n.elem->field_id) file_has_ids = true;
      }
      n.def = def;
      n.rep = rep;
      next = idx + 1;
      int kids = n.elem->num_children.value_or(0);
      if (kids == 0 && idx > 0) {
        n.leaf = n.first_leaf = leaf++;
        return Status::OK();
      }
      for (int c = 0; c < kids; ++c) {
        int child = next;
        nodes[static_cast<size_t>(idx)].children.push_back(child);
        NILUS_RETURN_NOT_OK(walk(child, def, rep));
        if (c == 0)
          nodes[static_cast<size_t>(idx)].first_leaf = nodes[static_cast<size_t>(child)].first_leaf;
      }
      return Status::OK();
    };
    NILUS_RETURN_NOT_OK(walk(0, 0, 0));
    if (leaf != static_cast<int>(file->leaf_columns().size())) {
      return Status::Corruption(fmt::format("{}: schema leaves do not add up", path));
    }
    return Status::OK();
  }

  // Finds the child of file group `parent` that holds `field`.
  int FindChild(int parent, const NestedField& field) const {
    for (int c : nodes[static_cast<size_t>(parent)].children) {
      const SchemaElement* e = nodes[static_cast<size_t>(c)].elem;
      if (file_has_ids ? (e->field_id && *e->field_id == field.id) : e->name == field.name) {
        return c;
      }
    }
    return -1;
  }

  Status Mismatch(const NestedField& f, const FileNode& n, const std::string& why) const {
    return Status::Invalid(
        fmt::format("{}: field '{}' ({}) cannot be read from Parquet column "
                    "'{}': {}",
                    path, f.name, f.type->ToString(), n.elem->name, why));
  }

  Status BindPrimitive(const NestedField& f, const FileNode& n, LeafConv* cv) const {
    if (n.leaf < 0) return Mismatch(f, n, "it is a group");
    const SchemaElement& e = *n.elem;
    PhysicalType p = *e.type;
    const Type& t = *f.type;
    auto is = [&](PhysicalType want) { return p == want; };
    switch (t.id()) {
      case TypeId::kBoolean:
        if (is(PhysicalType::kBoolean)) *cv = {Conv::kBool, 0, 1};
        break;
      case TypeId::kInt:
      case TypeId::kDate:
        if (is(PhysicalType::kInt32)) *cv = {Conv::kInt32, 4, 4};
        break;
      case TypeId::kLong:
        if (is(PhysicalType::kInt64)) *cv = {Conv::kInt64, 8, 8};
        if (is(PhysicalType::kInt32)) *cv = {Conv::kInt32ToInt64, 4, 8};
        break;
      case TypeId::kTime:
      case TypeId::kTimestamp:
      case TypeId::kTimestampTz:
        if (is(PhysicalType::kInt64)) {
          *cv = {Conv::kInt64, 8, 8};
          TimeUnit unit = TimeUnit::kMicros;
          if (e.logical_type && (e.logical_type->kind == LogicalType::kTimestamp ||
                                 e.logical_type->kind == LogicalType::kTime)) {
            unit = e.logical_type->unit;
          } else if (e.converted_type == ConvertedType::kTimestampMillis) {
            unit = TimeUnit::kMillis;
          }
          if (unit == TimeUnit::kMillis) cv->mul = 1000;
          if (unit == TimeUnit::kNanos) cv->div = 1000;
        }
        break;
      case TypeId::kFloat:
        if (is(PhysicalType::kFloat)) *cv = {Conv::kFloat, 4, 4};
        break;
      case TypeId::kDouble:
        if (is(PhysicalType::kDouble)) *cv = {Conv::kDouble, 8, 8};
        if (is(PhysicalType::kFloat)) *cv = {Conv::kFloatToDouble, 4, 8};
        break;
      case TypeId::kDecimal: {
        int scale = e.scale.value_or(e.logical_type && e.logical_type->kind == LogicalType::kDecimal
                                         ? e.logical_type->decimal_scale
                                         : t.scale());
        if (scale != t.scale()) return Mismatch(f, n, fmt::format("the file's scale is {}", scale));
        int precision =
            e.precision.value_or(e.logical_type && e.logical_type->kind == LogicalType::kDecimal
                                     ? e.logical_type->decimal_precision
                                     : t.precision());
        // Iceberg only widens decimals; a wider file value might not fit.
        if (precision > t.precision()) {
          return Mismatch(f, n, fmt::format("the file's precision is {}", precision));
        }
        if (is(PhysicalType::kInt32)) *cv = {Conv::kInt32ToDecimal, 4, 16};
        if (is(PhysicalType::kInt64)) *cv = {Conv::kInt64ToDecimal, 8, 16};
        if (is(PhysicalType::kFixedLenByteArray) && e.type_length && *e.type_length >= 1 &&
            *e.type_length <= 16) {
          *cv = {Conv::kFlbaToDecimal, *e.type_length, 16};
        }
        break;
      }
      case TypeId::kString:
      case TypeId::kBinary:
        if (is(PhysicalType::kByteArray)) *cv = {Conv::kBytes, 0, 0};
        break;
      case TypeId::kUuid:
      case TypeId::kFixed:
        if (is(PhysicalType::kFixedLenByteArray) && e.type_length &&
            *e.type_length == t.fixed_length()) {
          *cv = {Conv::kFlba, t.fixed_length(), t.fixed_length()};
        }
        break;
      default:
        break;
    }
    if (cv->in_width == 0 && cv->out_width == 0 && cv->kind != Conv::kBytes) {
      return Mismatch(f, n, fmt::format("physical type {}", PhysicalTypeName(p)));
    }
    return Status::OK();
  }

  // Binds `field` to file node `node` (or -1), where slots of the field exist at def >=
  // def_slot and start at rep <= rep_slot.
  Status Bind(const NestedField& field, int node, int16_t def_slot, int16_t rep_slot,
              FieldPlan* plan) {
    plan->field = &field;
    plan->node = node;
    plan->def_slot = def_slot;
    plan->rep_slot = rep_slot;
    if (node < 0) return Status::OK();
    const FileNode& n = nodes[static_cast<size_t>(node)];
    if (n.elem->repetition_type == Repetition::kRepeated) {
      return Mismatch(field, n, "legacy repeated fields are not supported");
    }
    plan->def_valid = n.def;
    plan->levels_leaf = n.first_leaf;
    const Type& t = *field.type;
    if (t.is_primitive()) return BindPrimitive(field, n, &plan->conv);
    if (n.leaf >= 0 || n.first_leaf < 0) return Mismatch(field, n, "it is not a group");
    if (t.id() == TypeId::kStruct) {
      plan->children.resize(t.fields().size());
      for (size_t i = 0; i < t.fields().size(); ++i) {
        NILUS_RETURN_NOT_OK(Bind(t.fields()[i], FindChild(node, t.fields()[i]), def_slot, rep_slot,
                                 &plan->children[i]));
      }
      return Status::OK();
    }
    // List or map: one repeated group holding the element, or the key and the value.
    size_t want = t.id() == TypeId::kList ? 1 : 2;
    if (n.children.size() != 1) return Mismatch(field, n, "not a 3-level list or map");
    const FileNode& g = nodes[static_cast<size_t>(n.children[0])];
    if (g.elem->repetition_type != Repetition::kRepeated || g.children.size() != want) {
      return Mismatch(field, n, "not a 3-level list or map");
    }
    plan->children.resize(want);
    for (size_t i = 0; i < want; ++i) {
      NILUS_RETURN_NOT_OK(Bind(t.fields()[i], g.children[i], g.def, g.rep, &plan->children[i]));
    }
    return Status::OK();
  }

  std::string Where(int leaf) const {
    return fmt::format("{}: row group {} column '{}'", path, row_group,
                       file->leaf_columns()[static_cast<size_t>(leaf)].path);
  }

  Status DecodeChunk(int leaf, const LeafConv* cv, DecodedChunk* out) {
    const ColumnDescriptor& desc = file->leaf_columns()[static_cast<size_t>(leaf)];
    const RowGroup& rg = file->metadata().row_groups[static_cast<size_t>(row_group)];
    const ColumnChunk& chunk = rg.columns[static_cast<size_t>(leaf)];
    NILUS_ASSIGN_OR_RAISE(std::vector<PageInfo> pages, file->ReadPageHeaders(row_group, leaf));
    const ColumnMetaData& cm = *chunk.meta_data;  // ReadPageHeaders checked it is there
    const int16_t max_def = desc.max_definition_level;
    const int16_t max_rep = desc.max_repetition_level;
    const int64_t level_cap = max_rep == 0 ? rg.num_rows : cm.num_values;
    DenseValues dict;
    bool have_dict = false;
    std::string compressed;
    Buffer page;
    int64_t levels = 0;
    out->has_values = cv != nullptr;
    for (const PageInfo& info : pages) {
      const PageHeader& h = info.header;
      if (h.type == PageType::kIndexPage) continue;
      if (h.uncompressed_page_size < 0 || h.uncompressed_page_size > kMaxPageBytes) {
        return Status::Corruption(fmt::format("page at offset {} declares {} uncompressed bytes",
                                              info.offset, h.uncompressed_page_size));
      }
      NILUS_ASSIGN_OR_RAISE(compressed, input->ReadAt(info.offset + info.header_size,
                                                      static_cast<size_t>(h.compressed_page_size)));
      const auto* cdata = reinterpret_cast<const uint8_t*>(compressed.data());
      const size_t csize = compressed.size();
      const size_t usize = static_cast<size_t>(h.uncompressed_page_size);

      if (h.type == PageType::kDictionaryPage) {
        if (have_dict || levels > 0 || !h.dictionary_page_header) {
          return Status::Corruption(
              fmt::format("unexpected dictionary page at offset {}", info.offset));
        }
        const DictionaryPageHeader& dh = *h.dictionary_page_header;
        if (dh.encoding != Encoding::kPlain && dh.encoding != Encoding::kPlainDictionary) {
          return Status::NotImplemented(
              fmt::format("dictionary page encoding {}", EncodingName(dh.encoding)));
        }
        have_dict = true;
        if (!cv) continue;
        page.Resize(usize);
        NILUS_RETURN_NOT_OK(Decompress(cm.codec, cdata, csize, page.data(), usize));
        NILUS_RETURN_NOT_OK(DecodePlain(*cv, page.data(), usize, dh.num_values, &dict));
        continue;
      }

      // Data page v1 or v2: levels, then values.
      int32_t num_values = 0;
      Encoding encoding = Encoding::kPlain;
      const uint8_t* p = nullptr;
      size_t size = 0;
      const uint8_t* rep_p = nullptr;
      size_t rep_size = 0;
      const uint8_t* def_p = nullptr;
      size_t def_size = 0;
      if (h.type == PageType::kDataPage) {
        if (!h.data_page_header) return Status::Corruption("data page without its header");
        const DataPageHeader& dh = *h.data_page_header;
        num_values = dh.num_values;
        encoding = dh.encoding;
        page.Resize(usize);
        NILUS_RETURN_NOT_OK(Decompress(cm.codec, cdata, csize, page.data(), usize));
        p = page.data();
        size = usize;
        // v1 levels carry a 4-byte length prefix.
        auto take_levels = [&](const uint8_t** lp, size_t* ls, Encoding enc) -> Status {
          if (enc != Encoding::kRle) {
            return Status::NotImplemented(fmt::format("level encoding {}", EncodingName(enc)));
          }
          uint32_t len;
          if (size < 4) return Status::Corruption("levels past the page end");
          std::memcpy(&len, p, 4);
          if (len > size - 4) return Status::Corruption("levels past the page end");
          *lp = p + 4;
          *ls = len;
          p += 4 + len;
          size -= 4 + len;
          return Status::OK();
        };
        if (max_rep > 0)
          NILUS_RETURN_NOT_OK(take_levels(&rep_p, &rep_size, dh.repetition_level_encoding));
        if (max_def > 0)
          NILUS_RETURN_NOT_OK(take_levels(&def_p, &def_size, dh.definition_level_encoding));
      } else if (h.type == PageType::kDataPageV2) {
        if (!h.data_page_header_v2) return Status::Corruption("data page v2 without its header");
        const DataPageHeaderV2& dh = *h.data_page_header_v2;
        num_values = dh.num_values;
        encoding = dh.encoding;
        int64_t rl = dh.repetition_levels_byte_length, dl = dh.definition_levels_byte_length;
        if (rl < 0 || dl < 0 || rl + dl > static_cast<int64_t>(csize) ||
            rl + dl > static_cast<int64_t>(usize)) {
          return Status::Corruption("data page v2 level lengths exceed the page");
        }
        size_t lsize = static_cast<size_t>(rl + dl);
        page.Resize(usize);
        std::memcpy(page.data(), cdata, lsize);
        if (dh.is_compressed.value_or(true)) {
          NILUS_RETURN_NOT_OK(Decompress(cm.codec, cdata + lsize, csize - lsize,
                                         page.data() + lsize, usize - lsize));
        } else {
          NILUS_RETURN_NOT_OK(Decompress(CompressionCodec::kUncompressed, cdata + lsize,
                                         csize - lsize, page.data() + lsize, usize - lsize));
        }
        rep_p = page.data();
        rep_size = static_cast<size_t>(rl);
        def_p = page.data() + rl;
        def_size = static_cast<size_t>(dl);
        p = page.data() + lsize;
        size = usize - lsize;
      } else {
        return Status::Corruption(fmt::format("unknown page type {} at offset {}",
                                              static_cast<int>(h.type), info.offset));
      }
      if (num_values < 0 || num_values > level_cap - levels) {
        return Status::Corruption(
            fmt::format("page at offset {} holds {} values, more than the column chunk's {}",
                        info.offset, num_values, level_cap));
      }
      size_t first = out->def.size();
      if (max_rep > 0) {
        NILUS_RETURN_NOT_OK(
            DecodeLevels(rep_p, rep_size, num_values, max_rep, "repetition", &out->rep));
      } else {
        out->rep.resize(first + static_cast<size_t>(num_values), 0);
      }
      int64_t present = num_values;
      if (max_def > 0) {
        NILUS_RETURN_NOT_OK(
            DecodeLevels(def_p, def_size, num_values, max_def, "definition", &out->def));
        present = std::count(out->def.begin() + static_cast<ptrdiff_t>(first), out->def.end(),
                             static_cast<uint16_t>(max_def));
      } else {
        out->def.resize(first + static_cast<size_t>(num_values), 0);
      }
      levels += num_values;
      if (!cv) continue;
      if (encoding == Encoding::kPlain) {
        NILUS_RETURN_NOT_OK(DecodePlain(*cv, p, size, present, &out->values));
      } else if (encoding == Encoding::kRle && cv->kind == Conv::kBool) {
        NILUS_RETURN_NOT_OK(DecodeRleBooleans(p, size, present, &out->values));
      } else if (encoding == Encoding::kRleDictionary || encoding == Encoding::kPlainDictionary) {
        if (!have_dict) return Status::Corruption("dictionary-encoded page without a dictionary");
        NILUS_RETURN_NOT_OK(DecodeDictIndices(*cv, dict, p, size, present, &out->values));
      } else {
        return Status::NotImplemented(fmt::format("value encoding {}", EncodingName(encoding)));
      }
    }
    if (levels != cm.num_values) {
      return Status::Corruption(
          fmt::format("the pages hold {} values, the column chunk says {}", levels, cm.num_values));
    }
    return Status::OK();
  }

  Result<DecodedChunk*> GetChunk(int leaf, const LeafConv* cv) {
    auto it = chunks.find(leaf);
    if (it != chunks.end() && (it->second.has_values || !cv)) return &it->second;
    DecodedChunk decoded;
    Status st = DecodeChunk(leaf, cv, &decoded);
    if (!st.ok()) {
      if (st.code() == StatusCode::kIOError || st.code() == StatusCode::kNotFound) return st;
      // ReadPageHeaders names the place itself.
      if (st.message().find(path) != std::string::npos) return st;
      return st.WithContext(Where(leaf));
    }
    chunks[leaf] = std::move(decoded);
    return &chunks[leaf];
  }

  Status Inconsistent(const FieldPlan& plan, const std::string& why) const {
    return Status::Corruption(
        fmt::format("{}: row group {} column '{}': {}", path, row_group,
                    file->leaf_columns()[static_cast<size_t>(plan.levels_leaf)].path, why));
  }

  // Builds the Column of `plan` with `expected` slots. The levels come from the chunk cache;
  // building a child may replace a cache entry, so `def` and `rep` are not read after the
  // children are built.
  Result<std::unique_ptr<Column>> Build(const FieldPlan& plan, int64_t expected) {
    const NestedField& f = *plan.field;
    auto col = Column::Make(f.type);
    if (plan.node < 0) {
      if (f.required) {
        return Status::Invalid(
            fmt::format("{}: required field '{}' (id {}) is not in the file", path, f.name, f.id));
      }
      for (int64_t i = 0; i < expected; ++i) col->AppendNull();
      return col;
    }
    const Type& t = *f.type;
    NILUS_ASSIGN_OR_RAISE(DecodedChunk * chunk,
                          GetChunk(plan.levels_leaf, t.is_primitive() ? &plan.conv : nullptr));
    const uint16_t* def = chunk->def.data();
    const uint16_t* rep = chunk->rep.data();
    const int64_t n = static_cast<int64_t>(chunk->def.size());
    std::vector<int64_t> nulls;
    int64_t slots = 0;

    if (t.is_primitive()) {
      DenseValues& vals = chunk->values;
      int64_t valid = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (def[i] < plan.def_slot) continue;
        if (def[i] >= plan.def_valid) {
          ++valid;
        } else {
          nulls.push_back(slots);
        }
        ++slots;
      }
      if (slots != expected || valid != vals.count) {
        return Inconsistent(plan, fmt::format("{} entries with {} values, expected {} entries",
                                              slots, vals.count, expected));
      }
      if (plan.conv.kind == Conv::kBytes) {
        auto* offsets = col->mutable_offsets();
        offsets->resize(static_cast<size_t>(slots) + 1);
        int64_t k = 0, s = 0;
        (*offsets)[0] = 0;
        size_t ni = 0;
        for (; s < slots; ++s) {
          if (ni < nulls.size() && nulls[ni] == s) {
            ++ni;
          } else {
            ++k;
          }
          (*offsets)[static_cast<size_t>(s) + 1] = vals.offsets[static_cast<size_t>(k)];
        }
        *col->mutable_values() = std::move(vals.arena);
      } else {
        size_t w = static_cast<size_t>(plan.conv.out_width);
        Buffer* out = col->mutable_values();
        if (nulls.empty()) {
          *out = std::move(vals.fixed);
        } else {
          out->ResizeZeroed(static_cast<size_t>(slots) * w);
          int64_t k = 0;
          size_t ni = 0;
          for (int64_t s = 0; s < slots; ++s) {
            if (ni < nulls.size() && nulls[ni] == s) {
              ++ni;
              continue;
            }
            std::memcpy(out->data() + s * w, vals.fixed.data() + k * w, w);
            ++k;
          }
        }
      }
    } else if (t.id() == TypeId::kStruct) {
      for (int64_t i = 0; i < n; ++i) {
        if (def[i] < plan.def_slot || rep[i] > plan.rep_slot) continue;
        if (def[i] < plan.def_valid) nulls.push_back(slots);
        ++slots;
      }
      if (slots != expected) {
        return Inconsistent(plan, fmt::format("{} entries, expected {}", slots, expected));
      }
      for (size_t c = 0; c < plan.children.size(); ++c) {
        NILUS_ASSIGN_OR_RAISE(auto child, Build(plan.children[c], slots));
        *col->mutable_child(static_cast<int>(c)) = std::move(*child);
      }
    } else {
      // List or map: count the elements of each slot.
      const int16_t elem_def = plan.children[0].def_slot;
      const int16_t elem_rep = plan.children[0].rep_slot;
      auto* offsets = col->mutable_offsets();
      int64_t elems = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (rep[i] <= plan.rep_slot) {
          if (def[i] < plan.def_slot) continue;
          if (def[i] < plan.def_valid) nulls.push_back(slots);
          if (slots > 0) offsets->push_back(elems);
          ++slots;
          if (def[i] >= elem_def) ++elems;
        } else if (rep[i] <= elem_rep) {
          if (slots == 0 || def[i] < elem_def) {
            return Inconsistent(plan, "a repeated entry continues an empty or null list");
          }
          ++elems;
        }
      }
      if (slots > 0) offsets->push_back(elems);
      if (slots != expected) {
        return Inconsistent(plan, fmt::format("{} entries, expected {}", slots, expected));
      }
      for (size_t c = 0; c < plan.children.size(); ++c) {
        NILUS_ASSIGN_OR_RAISE(auto child, Build(plan.children[c], elems));
        *col->mutable_child(static_cast<int>(c)) = std::move(*child);
      }
    }
    if (t.is_primitive()) {
      // The values now belong to the column; a second use must decode them again.
      chunk->has_values = false;
      chunk->values = DenseValues();
    }
    col->SetLengthAllValid(slots);
    for (int64_t s : nulls) col->SetNull(s);
    return col;
  }
};

ParquetReader::ParquetReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ParquetReader::~ParquetReader() = default;

Result<std::unique_ptr<ParquetReader>> ParquetReader::Open(FileIO* io, const std::string& path,
                                                           SchemaPtr schema) {
  auto impl = std::make_unique<Impl>();
  impl->io = io;
  impl->path = path;
  impl->schema = std::move(schema);
  NILUS_ASSIGN_OR_RAISE(impl->file, ParquetFileReader::Open(io, path));
  NILUS_ASSIGN_OR_RAISE(impl->input, io->OpenInputFile(path));
  NILUS_RETURN_NOT_OK(impl->BuildTree());
  const auto& fields = impl->schema->fields();
  impl->plans.resize(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    NILUS_RETURN_NOT_OK(
        impl->Bind(fields[i], impl->FindChild(0, fields[i]), 0, 0, &impl->plans[i]));
  }
  return std::unique_ptr<ParquetReader>(new ParquetReader(std::move(impl)));
}

int ParquetReader::num_row_groups() const {
  return static_cast<int>(impl_->file->metadata().row_groups.size());
}

int64_t ParquetReader::num_rows() const { return impl_->file->metadata().num_rows; }

const ParquetFileReader& ParquetReader::file() const { return *impl_->file; }

Result<std::unique_ptr<ColumnBatch>> ParquetReader::ReadRowGroup(int i) {
  if (i < 0 || i >= num_row_groups()) {
    return Status::Invalid(fmt::format("{}: row group {} out of range (the file has {})",
                                       impl_->path, i, num_row_groups()));
  }
  const RowGroup& rg = impl_->file->metadata().row_groups[static_cast<size_t>(i)];
  if (rg.num_rows < 0) {
    return Status::Corruption(
        fmt::format("{}: row group {} has {} rows", impl_->path, i, rg.num_rows));
  }
  impl_->row_group = i;
  impl_->chunks.clear();
  auto batch = std::make_unique<ColumnBatch>(impl_->schema);
  for (size_t c = 0; c < impl_->plans.size(); ++c) {
    auto col = impl_->Build(impl_->plans[c], rg.num_rows);
    if (!col.ok()) {
      impl_->chunks.clear();
      return col.status();
    }
    *batch->mutable_column(static_cast<int>(c)) = std::move(*std::move(col).value());
  }
  impl_->chunks.clear();
  Status st = batch->Validate();
  if (!st.ok()) {
    return Status::Corruption(
        fmt::format("{}: row group {} does not fit the schema: {}", impl_->path, i, st.message()));
  }
  return batch;
}

}  // namespace nilus::parquet
