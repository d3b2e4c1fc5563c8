// SchemaUpdate: evolves the current schema of an Iceberg table (spec "Schema Evolution"), in the
// style of Java's UpdateSchema. Only changes that keep every existing data file readable are
// allowed:
//   - add an optional column (top level or inside a struct);
//   - rename a column (its field id, and so partition specs, sort orders and data files that
//     refer to it, stay valid);
//   - widen a primitive type: int -> long, float -> double, decimal(P,S) -> decimal(P2,S), P2 > P;
//   - make a required column optional.
// Refused, with an error naming the table and the column: adding a required column (existing
// rows have no value for it), making a column required (existing files may hold nulls), any
// other type change (narrowing, changing the kind or the decimal scale, changing a struct, list
// or map), making an identifier field optional, and name clashes.
//
// Usage:
//   auto update = SchemaUpdate::For(table);
//   update.AddColumn("email", Type::String()).RenameColumn("qty", "quantity");
//   NILUS_RETURN_NOT_OK(update.Commit());
//
// Column paths join names with '.': "address.city" is field "city" of struct "address". The
// element of a list is "element" and the key and value of a map are "key" and "value", so a
// struct inside a list is reached as "points.element.x" and one in a map value as
// "attrs.value.x". A name that itself contains '.' cannot be addressed, so new names may not
// contain one. Names are case-sensitive.
//
// Operations are recorded by the builder methods and run, in call order, when the update is
// applied: each sees the schema as the previous ones left it (RenameColumn("a", "b") then
// UpdateColumnType("b", ...) works). They are resolved by path against the metadata they are
// applied to, so an update re-applied after another writer's commit either still fits or fails
// clearly (NotFound when a column it names was renamed or dropped meanwhile).
//
// Not thread-safe; one update belongs to one thread, like the Table it was made for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "iceberg/table_metadata.h"

namespace nilus::iceberg {

class Table;

class SchemaUpdate {
 public:
  // An update of `table`, committed by Commit(). `table` is not owned and must outlive the
  // update. Does no I/O.
  static SchemaUpdate For(Table* table);
  // An update without a table, for Apply() only (planning, tests); `table_name` names the
  // table in error messages. Commit() on it is an InvalidArgument error.
  static SchemaUpdate ForTableName(std::string table_name);

  // Adds an optional top-level column. `type` may be nested; its field ids are replaced by fresh
  // ones: the new column takes last-column-id + 1 and the fields inside its type the following
  // ids (breadth-first, as Java assigns them). Refused when a sibling has the same name.
  SchemaUpdate& AddColumn(std::string name, TypePtr type, std::string doc = {});
  // Adds an optional column to the struct at `parent` ("address", "points.element").
  SchemaUpdate& AddColumn(std::string parent, std::string name, TypePtr type, std::string doc = {});
  // Always refused (InvalidArgument): rows written before the change have no value for it.
  // Kept so that a caller mapping a NOT NULL source column gets that explanation.
  SchemaUpdate& AddRequiredColumn(std::string name, TypePtr type);

  // Renames the column at `path` to `new_name`, keeping its field id. Renaming to its own name
  // is a no-op. List elements and map keys/values cannot be renamed.
  SchemaUpdate& RenameColumn(std::string path, std::string new_name);

  // Widens the primitive column at `path` (see the file comment for the allowed promotions).
  // The same type is a no-op. Other changes are TypeError; a non-primitive new type or a
  // column that is a struct, list or map is TypeError too. Map keys cannot change.
  SchemaUpdate& UpdateColumnType(std::string path, TypePtr new_type);

  // Makes the required column at `path` optional (a no-op when it is optional already).
  // Refused for identifier fields (schema identifier-field-ids) and map keys.
  SchemaUpdate& MakeOptional(std::string path);
  // Always refused for an optional column (existing files may hold nulls); a no-op for a
  // required one.
  SchemaUpdate& MakeRequired(std::string path);

  // Whether no operation was recorded.
  bool empty() const { return ops_.empty(); }

  // Builds the next metadata from `base` without I/O: a schema holding the changes becomes
  // current. When a schema with the same fields and identifier fields already exists in
  // `base.schemas` (say, a rename undone), its id is reused, as Java does; otherwise the new
  // schema gets the highest schema id + 1 and is appended. last-column-id grows by the ids
  // added columns took. Everything else is copied from `base`. Errors (prefixed with
  // "schema update of <table>: ", naming the column): InvalidArgument for refused changes,
  // TypeError for refused type changes, NotFound for a missing column.
  Result<TableMetadata> Apply(const TableMetadata& base) const;

  // Commits Apply() through Table::CommitMetadataChange, re-applied on fresh metadata when
  // another writer committed first. On success the table holds the new metadata. An update
  // with no operation commits nothing. Errors: those of Apply (nothing is written), and the
  // commit errors of CommitMetadataChange.
  Status Commit();

 private:
  enum class OpKind { kAdd, kAddRequired, kRename, kUpdateType, kMakeOptional, kMakeRequired };
  struct Op {
    OpKind kind;
    std::string path;  // the column; for adds, the parent struct ("" for top level)
    std::string name;  // adds: the new column's name; renames: the new name
    TypePtr type;      // adds and type updates
    std::string doc;   // adds
  };

  SchemaUpdate(Table* table, std::string table_name)
      : table_(table), table_name_(std::move(table_name)) {}
  SchemaUpdate& Record(Op op);
  // Apply without the table-name prefix (CommitMetadataChange adds its own).
  Result<TableMetadata> ApplyChanges(const TableMetadata& base) const;

  Table* table_;
  std::string table_name_;
  std::vector<Op> ops_;
};

}  // namespace nilus::iceberg
