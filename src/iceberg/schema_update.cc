#include "iceberg/schema_update.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <utility>

#include "core/schema.h"
#include "iceberg/table.h"

namespace nilus::iceberg {

namespace {

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

// "a.b.c" -> {"a", "b", "c"}. An empty path or an empty component is refused.
Result<std::vector<std::string>> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) {
      return Status::Invalid(fmt::format("malformed column path {}", Quoted(path)));
    }
    parts.push_back(std::move(part));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

Status CheckNewName(const std::string& name) {
  if (name.empty()) return Status::Invalid("a column name may not be empty");
  if (name.find('.') != std::string::npos) {
    return Status::Invalid(fmt::format(
        "column name {} contains '.', which column paths use as the separator", Quoted(name)));
  }
  return Status::OK();
}

// The nested type of kind `id` with `children` as its fields (for a list its element, for a
// map its key and value).
TypePtr Rebuild(TypeId id, std::vector<NestedField> children) {
  switch (id) {
    case TypeId::kList:
      return Type::List(children[0].id, children[0].type, children[0].required);
    case TypeId::kMap:
      return Type::Map(children[0].id, children[0].type, children[1].id, children[1].type,
                       children[1].required);
    default:
      return Type::Struct(std::move(children));
  }
}

// Called on the field a path names: its siblings, its index among them, and the kind of type
// that holds them (kStruct at the top level).
using FieldEdit =
    std::function<Status(std::vector<NestedField>* siblings, size_t index, TypeId container)>;

// Finds the field `path[depth..]` names below `fields` and runs `edit` on it, rebuilding the
// nested types that hold it (types are immutable).
Status EditField(std::vector<NestedField>* fields, TypeId container,
                 const std::vector<std::string>& path, size_t depth, const FieldEdit& edit) {
  auto joined = [&path](size_t upto) {
    std::string out = path[0];
    for (size_t i = 1; i <= upto; ++i) out += "." + path[i];
    return out;
  };
  auto it = std::find_if(fields->begin(), fields->end(),
                         [&](const NestedField& f) { return f.name == path[depth]; });
  if (it == fields->end()) {
    if (depth == 0) return Status::NotFound("no such column " + Quoted(path[0]));
    return Status::NotFound(
        fmt::format("{} has no field {}", Quoted(joined(depth - 1)), Quoted(path[depth])));
  }
  if (depth + 1 == path.size()) {
    return edit(fields, static_cast<size_t>(it - fields->begin()), container);
  }
  const Type& type = *it->type;
  if (!type.is_nested()) {
    return Status::NotFound(fmt::format("{} is {}, which has no field {}", Quoted(joined(depth)),
                                        type.ToString(), Quoted(path[depth + 1])));
  }
  std::vector<NestedField> children = type.fields();
  NILUS_RETURN_NOT_OK(EditField(&children, type.id(), path, depth + 1, edit));
  it->type = Rebuild(type.id(), std::move(children));
  return Status::OK();
}

// A copy of `type` whose field ids are taken from ++*last_id: the fields of a nested type
// first, then the fields inside them (breadth-first, as Java's AssignFreshIds does).
TypePtr AssignFreshIds(const TypePtr& type, int32_t* last_id) {
  if (!type->is_nested()) return type;
  std::vector<NestedField> children = type->fields();
  for (auto& child : children) child.id = ++*last_id;
  for (auto& child : children) child.type = AssignFreshIds(child.type, last_id);
  return Rebuild(type->id(), std::move(children));
}

// Iceberg's allowed primitive promotions for format version 2.
bool IsPromotionAllowed(const Type& from, const Type& to) {
  switch (from.id()) {
    case TypeId::kInt:
      return to.id() == TypeId::kLong;
    case TypeId::kFloat:
      return to.id() == TypeId::kDouble;
    case TypeId::kDecimal:
      return to.id() == TypeId::kDecimal && to.scale() == from.scale() &&
             to.precision() > from.precision();
    default:
      return false;
  }
}

// Type::Equals plus field docs: a schema is reused only when it would be written identically.
bool SameFields(const std::vector<NestedField>& a, const std::vector<NestedField>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].doc != b[i].doc || a[i].id != b[i].id || a[i].name != b[i].name ||
        a[i].required != b[i].required || !a[i].type->Equals(*b[i].type)) {
      return false;
    }
    if (a[i].type->is_nested() && !SameFields(a[i].type->fields(), b[i].type->fields())) {
      return false;
    }
  }
  return true;
}

}  // namespace

SchemaUpdate SchemaUpdate::For(Table* table) { return SchemaUpdate(table, table->FullName()); }

SchemaUpdate SchemaUpdate::ForTableName(std::string table_name) {
  return SchemaUpdate(nullptr, std::move(table_name));
}

SchemaUpdate& SchemaUpdate::Record(Op op) {
  ops_.push_back(std::move(op));
  return *this;
}

SchemaUpdate& SchemaUpdate::AddColumn(std::string name, TypePtr type, std::string doc) {
  return Record({OpKind::kAdd, "", std::move(name), std::move(type), std::move(doc)});
}

SchemaUpdate& SchemaUpdate::AddColumn(std::string parent, std::string name, TypePtr type,
                                      std::string doc) {
  return Record(
      {OpKind::kAdd, std::move(parent), std::move(name), std::move(type), std::move(doc)});
}

SchemaUpdate& SchemaUpdate::AddRequiredColumn(std::string name, TypePtr type) {
  return Record({OpKind::kAddRequired, "", std::move(name), std::move(type), {}});
}

SchemaUpdate& SchemaUpdate::RenameColumn(std::string path, std::string new_name) {
  return Record({OpKind::kRename, std::move(path), std::move(new_name), nullptr, {}});
}

SchemaUpdate& SchemaUpdate::UpdateColumnType(std::string path, TypePtr new_type) {
  return Record({OpKind::kUpdateType, std::move(path), {}, std::move(new_type), {}});
}

SchemaUpdate& SchemaUpdate::MakeOptional(std::string path) {
  return Record({OpKind::kMakeOptional, std::move(path), {}, nullptr, {}});
}

SchemaUpdate& SchemaUpdate::MakeRequired(std::string path) {
  return Record({OpKind::kMakeRequired, std::move(path), {}, nullptr, {}});
}

Result<TableMetadata> SchemaUpdate::Apply(const TableMetadata& base) const {
  auto next = ApplyChanges(base);
  if (!next.ok()) return next.status().WithContext("schema update of " + table_name_);
  return next;
}

Result<TableMetadata> SchemaUpdate::ApplyChanges(const TableMetadata& base) const {
  const Schema* current = base.CurrentSchema();
  if (current == nullptr) {
    return Status::Invalid(
        fmt::format("the current schema id {} names no schema", base.current_schema_id));
  }
  std::vector<NestedField> fields = current->fields();
  const std::vector<int32_t>& identifiers = current->identifier_field_ids();
  int32_t last_id = std::max(base.last_column_id, current->HighestFieldId());

  for (const Op& op : ops_) {
    switch (op.kind) {
      case OpKind::kAddRequired:
        return Status::Invalid(fmt::format(
            "cannot add required column {}: rows written before the change have no value for "
            "it; add it as an optional column",
            Quoted(op.name)));

      case OpKind::kAdd: {
        const std::string path = op.path.empty() ? op.name : op.path + "." + op.name;
        auto add_to = [&](std::vector<NestedField>* siblings) -> Status {
          NILUS_RETURN_NOT_OK(CheckNewName(op.name));
          if (op.type == nullptr) return Status::Invalid("the new column has no type");
          for (const auto& f : *siblings) {
            if (f.name == op.name) {
              return Status::Invalid(fmt::format("a column named {} already exists{}",
                                                 Quoted(op.name),
                                                 op.path.empty() ? "" : " in " + Quoted(op.path)));
            }
          }
          NestedField added;
          added.id = ++last_id;
          added.name = op.name;
          added.type = AssignFreshIds(op.type, &last_id);
          added.required = false;
          added.doc = op.doc;
          siblings->push_back(std::move(added));
          return Status::OK();
        };
        Status st;
        if (op.path.empty()) {
          st = add_to(&fields);
        } else {
          auto parent = SplitPath(op.path);
          st = parent.status();
          if (st.ok()) {
            st = EditField(
                &fields, TypeId::kStruct, *parent, 0,
                [&](std::vector<NestedField>* siblings, size_t i, TypeId) -> Status {
                  NestedField& p = (*siblings)[i];
                  if (p.type->id() != TypeId::kStruct) {
                    return Status::Invalid(fmt::format(
                        "parent {} is {}, not a struct{}", Quoted(op.path), p.type->ToString(),
                        p.type->id() == TypeId::kList
                            ? " (a struct element is reached as '" + op.path + ".element')"
                            : ""));
                  }
                  std::vector<NestedField> children = p.type->fields();
                  NILUS_RETURN_NOT_OK(add_to(&children));
                  p.type = Type::Struct(std::move(children));
                  return Status::OK();
                });
          }
        }
        NILUS_RETURN_NOT_OK_CTX(st, fmt::format("cannot add column {}", Quoted(path)));
        break;
      }

      case OpKind::kRename: {
        auto edit = [&](std::vector<NestedField>* siblings, size_t i, TypeId container) -> Status {
          if (container != TypeId::kStruct) {
            return Status::Invalid("list elements and map keys and values have fixed names");
          }
          NILUS_RETURN_NOT_OK(CheckNewName(op.name));
          if ((*siblings)[i].name == op.name) return Status::OK();
          for (const auto& f : *siblings) {
            if (f.name == op.name) {
              return Status::Invalid(
                  fmt::format("a column named {} already exists there", Quoted(op.name)));
            }
          }
          (*siblings)[i].name = op.name;
          return Status::OK();
        };
        auto parts = SplitPath(op.path);
        Status st =
            parts.ok() ? EditField(&fields, TypeId::kStruct, *parts, 0, edit) : parts.status();
        NILUS_RETURN_NOT_OK_CTX(
            st, fmt::format("cannot rename column {} to {}", Quoted(op.path), Quoted(op.name)));
        break;
      }

      case OpKind::kUpdateType: {
        std::string new_type = op.type ? op.type->ToString() : "<none>";
        std::string old_type;
        auto edit = [&](std::vector<NestedField>* siblings, size_t i, TypeId container) -> Status {
          NestedField& f = (*siblings)[i];
          old_type = f.type->ToString();
          if (op.type == nullptr) return Status::Invalid("no new type given");
          if (container == TypeId::kMap && i == 0) {
            return Status::Invalid("map keys cannot change");
          }
          if (f.type->Equals(*op.type)) return Status::OK();
          if (!f.type->is_primitive() || !op.type->is_primitive()) {
            return Status::TypeError(
                "only primitive types can be widened; structs, lists and maps change through "
                "their fields");
          }
          if (!IsPromotionAllowed(*f.type, *op.type)) {
            return Status::TypeError(
                "the allowed widenings are int to long, float to double and decimal(P,S) to "
                "decimal(P2,S) with P2 > P; other changes would make existing data files "
                "unreadable");
          }
          f.type = op.type;
          return Status::OK();
        };
        auto parts = SplitPath(op.path);
        Status st =
            parts.ok() ? EditField(&fields, TypeId::kStruct, *parts, 0, edit) : parts.status();
        NILUS_RETURN_NOT_OK_CTX(
            st, old_type.empty() ? fmt::format("cannot change the type of column {} to {}",
                                               Quoted(op.path), new_type)
                                 : fmt::format("cannot change the type of column {} from {} to {}",
                                               Quoted(op.path), old_type, new_type));
        break;
      }

      case OpKind::kMakeOptional:
      case OpKind::kMakeRequired: {
        const bool to_optional = op.kind == OpKind::kMakeOptional;
        auto edit = [&](std::vector<NestedField>* siblings, size_t i, TypeId container) -> Status {
          NestedField& f = (*siblings)[i];
          if (f.required != to_optional) return Status::OK();  // already as asked
          if (!to_optional) {
            return Status::Invalid(
                "existing data files may hold nulls in it; only required -> optional is allowed");
          }
          if (container == TypeId::kMap && i == 0) {
            return Status::Invalid("map keys are always required");
          }
          if (std::find(identifiers.begin(), identifiers.end(), f.id) != identifiers.end()) {
            return Status::Invalid(fmt::format(
                "field id {} is an identifier field (schema identifier-field-ids), which must "
                "stay required",
                f.id));
          }
          f.required = false;
          return Status::OK();
        };
        auto parts = SplitPath(op.path);
        Status st =
            parts.ok() ? EditField(&fields, TypeId::kStruct, *parts, 0, edit) : parts.status();
        NILUS_RETURN_NOT_OK_CTX(st, fmt::format("cannot make column {} {}", Quoted(op.path),
                                                to_optional ? "optional" : "required"));
        break;
      }
    }
  }

  TableMetadata next = base;
  next.last_column_id = last_id;
  const Schema* same = nullptr;
  int32_t highest_schema_id = -1;
  for (const SchemaPtr& s : base.schemas) {
    highest_schema_id = std::max(highest_schema_id, s->schema_id());
    if (same == nullptr && s->identifier_field_ids() == identifiers &&
        SameFields(s->fields(), fields)) {
      same = s.get();
    }
  }
  if (same != nullptr) {
    next.current_schema_id = same->schema_id();
  } else {
    auto schema =
        std::make_shared<const Schema>(std::move(fields), highest_schema_id + 1, identifiers);
    NILUS_RETURN_NOT_OK(schema->Validate());
    next.current_schema_id = schema->schema_id();
    next.schemas.push_back(std::move(schema));
  }
  NILUS_RETURN_NOT_OK(next.Validate());
  return next;
}

Status SchemaUpdate::Commit() {
  if (ops_.empty()) return Status::OK();  // nothing to change: no new metadata version
  if (table_ == nullptr) {
    return Status::Invalid(fmt::format(
        "schema update of {}: made with ForTableName, so there is no table to commit to",
        table_name_));
  }
  return table_->CommitMetadataChange(
      "schema update of", [this](const TableMetadata& base) { return ApplyChanges(base); });
}

}  // namespace nilus::iceberg
