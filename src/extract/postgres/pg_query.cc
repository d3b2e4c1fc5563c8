#include "extract/postgres/pg_query.h"

#include <fmt/format.h>
#include <libpq-fe.h>

namespace nilus {

Result<PgRows> PgQueryParams(PgConnection* conn, const std::string& sql,
                             const std::vector<PgParam>& params, bool binary_results) {
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  std::vector<Oid> types;
  for (const auto& p : params) {
    values.push_back(p.value ? p.value->data() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.binary ? 1 : 0);
    types.push_back(p.type_oid);
  }
  pg_conn* raw = conn->raw();
  PgRows rows(PQexecParams(raw, sql.c_str(), static_cast<int>(params.size()), types.data(),
                           values.data(), lengths.data(), formats.data(), binary_results ? 1 : 0));
  // PgRows owns the result; inspect it through libpq for the status.
  const pg_result* res = rows.raw();
  if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK) {
    return rows;
  }
  const std::string what = sql.size() > 120 ? sql.substr(0, 120) + "..." : sql;
  return PgResultError(raw, res, what, conn->description());
}

}  // namespace nilus
