// Gathering rows: copies selected entries of a Column or ColumnBatch into new storage, used to
// split one batch across partitions (each partition's rows become a batch of their own).
//
// Row indices are taken in the order given and may repeat. Every type is supported: nested
// lists and maps copy the child ranges of the selected entries, structs gather each child.
// Validity is kept (a null stays null, with the layout column_batch.h describes). Pure
// functions; thread-safe for distinct destinations.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/column_batch.h"
#include "core/result.h"

namespace nilus {

// Appends src's entries rows[0..n) to `dst`, which must have src's type and may already hold
// entries. Errors: InvalidArgument for a type mismatch or a row outside [0, src.length());
// nothing is appended then.
Status TakeInto(const Column& src, const int64_t* rows, int64_t n, Column* dst);

// A new batch of batch's schema holding the selected rows. Errors as TakeInto (also when a
// column's type differs from its schema field).
Result<std::unique_ptr<ColumnBatch>> TakeRows(const ColumnBatch& batch,
                                              const std::vector<int64_t>& rows);

}  // namespace nilus
