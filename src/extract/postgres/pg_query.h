// Queries with typed, possibly binary parameters and binary results: the CDC look-up of values
// by key, whose parameters are key values exactly as pgoutput sent them (send/recv format) and
// whose results are decoded by the same PgValueDecoders as COPY's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "extract/postgres/pg_connection.h"

namespace nilus {

struct PgParam {
  std::optional<std::string> value;  // nullopt: NULL
  uint32_t type_oid = 0;             // 0: let the server infer it (text parameters only)
  bool binary = false;               // value in the type's send/recv format
};

// Runs `sql` with `params` ($1, $2, ...). With `binary_results`, PgRows::Get returns each
// cell in its type's send/recv format. Errors as PgConnection::Query.
Result<PgRows> PgQueryParams(PgConnection* conn, const std::string& sql,
                             const std::vector<PgParam>& params, bool binary_results);

}  // namespace nilus
