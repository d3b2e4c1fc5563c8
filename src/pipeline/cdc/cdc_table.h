// CdcTable: one published source table in a CDC run. It maps pgoutput Relation columns onto the
// table's PostgreSQL description, keeps the changes received since the last push as raw tuples,
// resolves values pgoutput did not send (unchanged TOAST), and builds the two batches the sinks
// receive: the mirror's rows (with a delete marker) and the change log's rows.
//
// Unchanged TOAST values ('u' in the tuple) are never written as placeholders. They are taken
// from the old tuple when pgoutput sent the whole old row (REPLICA IDENTITY FULL), otherwise
// read from the source by primary key in batches at push time. The source may be ahead of the
// stream then; a later change of the same key, already in the WAL, overwrites the value again,
// so the mirror converges to the source (docs/cdc.md, "Unchanged TOAST values"). The same
// look-up serves columns whose type is read as text (enums excepted, whose binary form is their
// label): inet, money and the like arrive in a binary form we do not decode.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "core/lsn.h"
#include "core/result.h"
#include "extract/postgres/pg_types.h"
#include "extract/postgres/pgoutput.h"
#include "pipeline/config.h"

namespace nilus {
class PgConnection;
}

namespace nilus::pipeline {

// The mirror's delete marker column (never part of the Iceberg table).
inline constexpr std::string_view kCdcDeletedColumn = "_nilus_deleted";

// One row change, as received. The tuples are in the order of the Relation's columns.
struct CdcChange {
  char op = 'c';  // c insert, u update, d delete
  Lsn lsn = 0;    // the change record's own WAL position
  Lsn commit_lsn = 0;
  int64_t commit_time_us = 0;
  uint32_t xid = 0;
  int64_t seq = 0;    // the change's index inside its transaction
  char old_kind = 0;  // 'K' key, 'O' whole old row, 0 none
  pgoutput::Tuple old_tuple;
  bool has_new = false;
  pgoutput::Tuple new_tuple;
  // After a crash between the change log's commit and the mirror's, one of them may already
  // hold the change: it then goes only to the other.
  bool to_mirror = true;
  bool to_changelog = true;
};

// The change log's schema: operation, before, after, lsn, commit_lsn, commit_time, txid, seq.
SchemaPtr ChangelogSchema();

// Appends one change-log row to `batch` (of ChangelogSchema()). Nullable numbers are given as
// optionals; before/after as JSON text or nullopt.
void AppendChangelogRow(ColumnBatch* batch, char op, const std::optional<std::string>& before,
                        const std::optional<std::string>& after, Lsn lsn, Lsn commit_lsn,
                        int64_t commit_time_us, std::optional<int64_t> txid,
                        std::optional<int64_t> seq);

class CdcTable {
 public:
  // `desc` comes from DescribePgTable; `key` names the columns that identify a row in the
  // mirror (the primary key, or every column under REPLICA IDENTITY FULL: `full_row_key`, whose
  // key columns may be null); empty: the table gets only a change log.
  //
  // `data_type` is the table's schema contract for a column whose type changes in a way Iceberg
  // cannot widen (numeric -> text): evolve writes it to "<column>__v_<type>" from then on,
  // freeze stops with a TypeError, discard_value and discard_row drop the column's values (a
  // change always reaches the change log).
  CdcTable(std::string source_name, PgTableDesc desc, std::vector<std::string> key,
           PgTypePolicy policy, bool full_row_key = false,
           ContractMode data_type = ContractMode::kEvolve);

  const std::string& source_name() const { return source_name_; }
  uint32_t oid() const { return desc_.oid; }
  bool mirrored() const { return !key_.empty(); }
  bool full_row_key() const { return full_row_key_; }
  const std::vector<std::string>& key() const { return key_; }

  // The mirror batch schema for the current relation: the mapped columns (the key required,
  // the rest optional) and the delete marker.
  const SchemaPtr& mirror_schema() const { return mirror_schema_; }

  // Adopts a Relation message. Columns the description lacks are looked up again in the
  // catalog through `catalog` (an added column); columns the relation lacks are no longer
  // written (a dropped column: null from now on). Callers push the pending changes first,
  // since they were sent under the previous relation. Returns whether the column set changed.
  Result<bool> OnRelation(const pgoutput::Relation& rel, PgConnection* catalog);
  bool has_relation() const { return has_relation_; }

  // Takes each column's type from the existing mirror table (`schema`), so a type that changed
  // at the source while Nilus was stopped is still recognised as a change.
  void SetBaseTypes(const Schema& schema) {
    for (const auto& f : schema.fields()) base_types_[f.name] = f.type;
  }

  // Buffers a change (received under the current relation).
  void Add(CdcChange change);
  // Drops the buffered changes (after a lost connection: the slot sends them again).
  void DiscardPending() {
    pending_.clear();
    pending_bytes_ = 0;
  }
  int64_t pending_changes() const { return static_cast<int64_t>(pending_.size()); }
  int64_t pending_bytes() const { return pending_bytes_; }
  // The position of the newest buffered change.
  Lsn pending_commit_lsn() const { return pending_.empty() ? 0 : pending_.back().commit_lsn; }
  int64_t pending_seq() const { return pending_.empty() ? 0 : pending_.back().seq; }

  // Resolves missing values (see the file comment) through `lookup` and turns the buffered
  // changes into batches: `mirror` (null for an unmirrored table or no rows) and `changelog`.
  // Clears the buffer. Errors: Corruption or TypeError from decoding (naming the table and
  // column), the look-up query's errors.
  Status Build(PgConnection* lookup, std::unique_ptr<ColumnBatch>* mirror,
               std::unique_ptr<ColumnBatch>* changelog);

  // Values filled from the source by key since the start, and those whose row was gone.
  int64_t values_looked_up() const { return values_looked_up_; }
  int64_t values_unresolved() const { return values_unresolved_; }

 private:
  struct ColumnMap {
    int desc_index = -1;  // into desc_.columns; -1: not mapped (ignored)
    uint32_t type_oid = 0;
    bool read_as_text = false;  // decode only through a text look-up
    bool discarded = false;     // a type change the contract discards
  };
  Status RebuildSchema();
  // Whether value `j` of `t` must be looked up before decoding.
  bool NeedsLookup(const pgoutput::Tuple& t, size_t j) const;
  Status ResolveMissing(PgConnection* lookup);
  // Decodes `t` into the row at the end of `out` (mirror layout); `deleted` sets the marker.
  Status DecodeRow(const pgoutput::Tuple& t, bool key_only, bool deleted, ColumnBatch* out);
  std::string KeyBytes(const pgoutput::Tuple& t) const;

  std::string source_name_;
  PgTableDesc desc_;
  std::vector<std::string> key_;
  PgTypePolicy policy_;
  bool full_row_key_ = false;
  ContractMode data_type_contract_ = ContractMode::kEvolve;
  // Each column's type when first seen, to tell a widening from a type change.
  std::map<std::string, TypePtr> base_types_;
  bool has_relation_ = false;
  std::vector<ColumnMap> columns_;     // per relation column
  std::vector<int> key_relation_idx_;  // relation column indexes of the key
  SchemaPtr mirror_schema_;
  std::vector<CdcChange> pending_;
  int64_t pending_bytes_ = 0;
  int64_t values_looked_up_ = 0;
  int64_t values_unresolved_ = 0;
  PgDecodeContext decode_ctx_;
};

}  // namespace nilus::pipeline
