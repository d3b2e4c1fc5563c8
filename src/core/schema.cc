#include "core/schema.h"

#include <fmt/format.h>

#include <set>
#include <unordered_set>

namespace nilus {

namespace {

template <typename Fn>
const NestedField* VisitFields(const std::vector<NestedField>& fields, const Fn& fn) {
  for (const auto& f : fields) {
    if (fn(f)) return &f;
    if (f.type && f.type->is_nested()) {
      if (const auto* hit = VisitFields(f.type->fields(), fn)) return hit;
    }
  }
  return nullptr;
}

Status ValidateFields(const std::vector<NestedField>& fields, const std::string& path,
                      std::set<int32_t>* ids) {
  std::unordered_set<std::string> names;
  for (const auto& f : fields) {
    std::string where = path.empty() ? f.name : path + "." + f.name;
    if (!f.type) return Status::Invalid(fmt::format("field '{}' has no type", where));
    if (f.id <= 0)
      return Status::Invalid(fmt::format("field '{}' has id {} (must be > 0)", where, f.id));
    if (!ids->insert(f.id).second) {
      return Status::Invalid(fmt::format("field '{}' reuses field id {}", where, f.id));
    }
    if (!names.insert(f.name).second) {
      return Status::Invalid(fmt::format("duplicate field name '{}'", where));
    }
    if (f.type->id() == TypeId::kDecimal) {
      NILUS_RETURN_NOT_OK_CTX(Type::MakeDecimal(f.type->precision(), f.type->scale()).status(),
                              where);
    }
    if (f.type->id() == TypeId::kFixed && f.type->fixed_length() <= 0) {
      return Status::Invalid(fmt::format("field '{}': fixed length must be > 0", where));
    }
    if (f.type->id() == TypeId::kMap) {
      const auto& key = f.type->key();
      if (!key.required) return Status::Invalid(fmt::format("map '{}' has an optional key", where));
      if (key.type->id() == TypeId::kList || key.type->id() == TypeId::kMap) {
        return Status::Invalid(fmt::format("map '{}' has a {} key", where, key.type->ToString()));
      }
    }
    if (f.type->is_nested()) NILUS_RETURN_NOT_OK(ValidateFields(f.type->fields(), where, ids));
  }
  return Status::OK();
}

}  // namespace

Schema::Schema(std::vector<NestedField> fields, int32_t schema_id,
               std::vector<int32_t> identifier_field_ids)
    : fields_(std::move(fields)),
      schema_id_(schema_id),
      identifier_field_ids_(std::move(identifier_field_ids)) {}

Status Schema::Validate() const {
  std::set<int32_t> ids;
  NILUS_RETURN_NOT_OK(ValidateFields(fields_, "", &ids));
  for (int32_t id : identifier_field_ids_) {
    if (!ids.count(id))
      return Status::Invalid(fmt::format("identifier field id {} is not in the schema", id));
  }
  return Status::OK();
}

const NestedField* Schema::FindFieldById(int32_t id) const {
  return VisitFields(fields_, [id](const NestedField& f) { return f.id == id; });
}

int Schema::FindTopLevelIndex(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int32_t Schema::HighestFieldId() const {
  int32_t highest = 0;
  VisitFields(fields_, [&highest](const NestedField& f) {
    highest = std::max(highest, f.id);
    return false;
  });
  return highest;
}

std::string Schema::ToString() const { return Type::Struct(fields_)->ToString(); }

bool Schema::Equals(const Schema& other) const {
  return schema_id_ == other.schema_id_ && identifier_field_ids_ == other.identifier_field_ids_ &&
         Type::Struct(fields_)->Equals(*Type::Struct(other.fields_));
}

}  // namespace nilus
