#include "extract/sqlite/sqlite_table_reader.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "extract/files/chunked_input.h"

namespace nilus {

namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string UpperHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

const char* StorageClassName(int type) {
  switch (type) {
    case SQLITE_INTEGER:
      return "INTEGER";
    case SQLITE_FLOAT:
      return "REAL";
    case SQLITE_TEXT:
      return "TEXT";
    case SQLITE_BLOB:
      return "BLOB";
    default:
      return "NULL";
  }
}

std::string_view ColumnText(sqlite3_stmt* stmt, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt, i)))
           : std::string_view();
}

std::string_view ColumnBlob(sqlite3_stmt* stmt, int i) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt, i)))
           : std::string_view();
}

// A value for messages: numbers as they are, text quoted and cut at 64 bytes, blobs as hex.
std::string Preview(sqlite3_stmt* stmt, int i) {
  const int type = sqlite3_column_type(stmt, i);
  switch (type) {
    case SQLITE_INTEGER:
      return std::to_string(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
      return SqliteFormatDouble(sqlite3_column_double(stmt, i));
    case SQLITE_TEXT: {
      std::string_view t = ColumnText(stmt, i);
      if (t.size() <= 64) return fmt::format("'{}'", t);
      return fmt::format("'{}...' ({} bytes)", t.substr(0, 64), t.size());
    }
    case SQLITE_BLOB: {
      std::string_view b = ColumnBlob(stmt, i);
      return fmt::format("x'{}{}' ({} bytes)", UpperHex(b.substr(0, 16)),
                         b.size() > 16 ? "..." : "", b.size());
    }
    default:
      return "NULL";
  }
}

// Maps a SQLite result code to a Status. Locks are worth a retry; a file that is not a database
// is the caller's mistake.
Status SqliteStatus(int rc, sqlite3* db, const std::string& path, const std::string& what) {
  const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(
          fmt::format("SQLite database '{}' is locked ({}): {}", path, what, msg));
    case SQLITE_NOTADB:
      return Status::Invalid(fmt::format("'{}' is not a SQLite database ({})", path, msg));
    case SQLITE_CORRUPT:
      return Status::Corruption(
          fmt::format("SQLite database '{}' is damaged ({}): {}", path, what, msg));
    case SQLITE_CANTOPEN:
      return Status::IOError(fmt::format("cannot open SQLite database '{}': {}", path, msg));
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
      return Status::IOError(fmt::format("SQLite database '{}' ({}): {}", path, what, msg), true);
    default:
      return Status::Invalid(fmt::format("SQLite database '{}' ({}): {}", path, what, msg));
  }
}

// A prepared statement that finalizes itself.
struct SqliteStmtGuard {
  sqlite3_stmt* stmt = nullptr;
  ~SqliteStmtGuard() { sqlite3_finalize(stmt); }
};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

struct SqliteTableReader::Rep {
  std::string path;
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
  SqliteTableReadOptions options;
  SourceTableInfo info;
  std::vector<SqliteColumnDesc> columns;
  std::vector<TypePtr> types;
  std::string schema_name;
  std::string table_name;
  std::string sql;

  // How a row is named in errors: by rowid, by primary-key values, or by position.
  enum class Locator { kRowid, kPrimaryKey, kOrdinal } locator = Locator::kOrdinal;
  int locator_first = 0;  // statement column of the first locator value
  std::vector<std::string> locator_names;

  // Temporal cursor: rows are dropped whose exact value is not past the bound.
  int cursor_column = -1;
  bool cursor_exact_filter = false;
  int64_t cursor_bound_micros = 0;
  bool cursor_inclusive = false;

  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t ordinal = 0;  // rows stepped, including dropped ones
  SqliteReadStats stats;
  bool done = false;
  Status error;

  ~Rep() {
    sqlite3_finalize(stmt);
    if (db != nullptr && !sqlite3_get_autocommit(db)) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    sqlite3_close_v2(db);
  }

  Status Error(int rc, const std::string& what) const { return SqliteStatus(rc, db, path, what); }

  Result<sqlite3_stmt*> Prepare(const std::string& text) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db, text.c_str(), static_cast<int>(text.size()), &s, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s);
      return Error(rc, "preparing " + text);
    }
    return s;
  }

  std::string FromClause() const { return QuoteIdent(schema_name) + "." + QuoteIdent(table_name); }

  std::string RowName() const {
    switch (locator) {
      case Locator::kRowid:
        return fmt::format("rowid {}", sqlite3_column_int64(stmt, locator_first));
      case Locator::kPrimaryKey: {
        std::string out = "primary key (";
        for (size_t k = 0; k < locator_names.size(); ++k) {
          if (k > 0) out += ", ";
          out += locator_names[k] + "=" + Preview(stmt, locator_first + static_cast<int>(k));
        }
        return out + ")";
      }
      default:
        return fmt::format("row {} of the result", ordinal);
    }
  }

  Status Mismatch(int i, std::string_view why) const {
    const SqliteColumnDesc& c = columns[i];
    return Status::TypeError(fmt::format(
        "SQLite table {} in '{}', column '{}' ({}, read as {}), {}: {} value {} {}; list the "
        "column in as_string_columns to read it as a string",
        info.qualified_name, path, c.name,
        c.declared_type.empty() ? "no declared type" : "declared " + c.declared_type,
        SqliteValueKindName(c.kind, types[i].get()), RowName(),
        StorageClassName(sqlite3_column_type(stmt, i)), Preview(stmt, i), why));
  }

  // Date/time storage forms -> microseconds since 1970-01-01 (UTC). False when the value has
  // none of the three forms.
  bool TemporalMicros(int i, int64_t* micros) const {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_TEXT: {
        bool had_offset = false;
        return ParseSqliteDateTimeText(ColumnText(stmt, i), micros, &had_offset);
      }
      case SQLITE_FLOAT:
        return SqliteJulianToMicros(sqlite3_column_double(stmt, i), micros);
      case SQLITE_INTEGER:
        return SqliteIntegerTimeToMicros(sqlite3_column_int64(stmt, i), options.types.integer_time,
                                         micros);
      default:
        return false;
    }
  }

  Status AppendString(int i, Column* col, bool lenient) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_TEXT: {
        std::string_view t = ColumnText(stmt, i);
        const size_t bad = FindInvalidUtf8(t);
        if (bad != t.size()) {
          if (lenient) {
            col->AppendBytes(UpperHex(t));
            return Status::OK();
          }
          return Mismatch(i, fmt::format("is not valid UTF-8 (at byte {})", bad));
        }
        col->AppendBytes(t);
        return Status::OK();
      }
      case SQLITE_INTEGER:
        col->AppendBytes(std::to_string(sqlite3_column_int64(stmt, i)));
        return Status::OK();
      case SQLITE_FLOAT:
        col->AppendBytes(SqliteFormatDouble(sqlite3_column_double(stmt, i)));
        return Status::OK();
      default:
        if (lenient) {
          col->AppendBytes(UpperHex(ColumnBlob(stmt, i)));
          return Status::OK();
        }
        return Mismatch(i, "is not text");
    }
  }

  Status AppendValue(int i, Column* col) {
    const int type = sqlite3_column_type(stmt, i);
    if (type == SQLITE_NULL) {
      if (columns[i].not_null) {
        return Status::TypeError(
            fmt::format("SQLite table {} in '{}', column '{}', {}: NULL in a "
                        "NOT NULL column",
                        info.qualified_name, path, columns[i].name, RowName()));
      }
      col->AppendNull();
      return Status::OK();
    }
    bytes += (type == SQLITE_TEXT || type == SQLITE_BLOB) ? sqlite3_column_bytes(stmt, i) : 8;
    switch (columns[i].kind) {
      case SqliteValueKind::kLong:
        if (type != SQLITE_INTEGER) return Mismatch(i, "is not an integer");
        col->AppendInt64(sqlite3_column_int64(stmt, i));
        return Status::OK();
      case SqliteValueKind::kDouble:
        if (type == SQLITE_FLOAT) {
          col->AppendDouble(sqlite3_column_double(stmt, i));
          return Status::OK();
        }
        if (type == SQLITE_INTEGER) {
          const int64_t v = sqlite3_column_int64(stmt, i);
          constexpr int64_t kExact = int64_t{1} << 53;
          if (v > kExact || v < -kExact) return Mismatch(i, "does not fit a double exactly");
          col->AppendDouble(static_cast<double>(v));
          return Status::OK();
        }
        return Mismatch(i, "is not a number");
      case SqliteValueKind::kBoolean:
        if (type == SQLITE_INTEGER) {
          const int64_t v = sqlite3_column_int64(stmt, i);
          if (v == 0 || v == 1) {
            col->AppendBool(v == 1);
            return Status::OK();
          }
        } else if (type == SQLITE_TEXT) {
          std::string_view t = ColumnText(stmt, i);
          if (EqualsNoCase(t, "true") || EqualsNoCase(t, "false")) {
            col->AppendBool(EqualsNoCase(t, "true"));
            return Status::OK();
          }
        }
        return Mismatch(i, "is not a boolean (0, 1, 'true' or 'false')");
      case SqliteValueKind::kDecimal: {
        std::string text;
        if (type == SQLITE_INTEGER) {
          text = std::to_string(sqlite3_column_int64(stmt, i));
        } else if (type == SQLITE_FLOAT) {
          text = SqliteFormatDouble(sqlite3_column_double(stmt, i));
        } else if (type == SQLITE_TEXT) {
          text = std::string(ColumnText(stmt, i));
        } else {
          return Mismatch(i, "is not a number");
        }
        const Type& t = *types[i];
        __int128 unscaled = 0;
        bool rounded = false;
        if (!ParseSqliteDecimal(text, t.precision(), t.scale(), &unscaled, &rounded)) {
          return Mismatch(i, "does not fit " + t.ToString());
        }
        if (rounded) ++stats.decimals_rounded;
        col->AppendDecimal(unscaled);
        return Status::OK();
      }
      case SqliteValueKind::kString:
        return AppendString(i, col, false);
      case SqliteValueKind::kLenientString:
        return AppendString(i, col, true);
      case SqliteValueKind::kBinary:
        if (type == SQLITE_BLOB) {
          col->AppendBytes(ColumnBlob(stmt, i));
        } else if (type == SQLITE_TEXT) {
          col->AppendBytes(ColumnText(stmt, i));
        } else {
          return Mismatch(i, "is not a BLOB or TEXT");
        }
        return Status::OK();
      case SqliteValueKind::kDate: {
        int64_t micros = 0;
        if (!TemporalMicros(i, &micros)) {
          return Mismatch(i, "is not a date (ISO 8601 text, julian day REAL or unix INTEGER)");
        }
        constexpr int64_t kDay = 86400000000LL;
        if (micros % kDay != 0) return Mismatch(i, "has a time of day, which a date cannot hold");
        const int64_t days = micros / kDay;
        col->AppendInt32(static_cast<int32_t>(days));
        return Status::OK();
      }
      case SqliteValueKind::kTime: {
        int64_t micros = 0;
        if (type != SQLITE_TEXT || !ParseSqliteTimeText(ColumnText(stmt, i), &micros)) {
          return Mismatch(i, "is not a time of day (HH:MM[:SS[.fff]])");
        }
        col->AppendInt64(micros);
        return Status::OK();
      }
      case SqliteValueKind::kTimestamp:
      case SqliteValueKind::kTimestampTz: {
        int64_t micros = 0;
        if (!TemporalMicros(i, &micros)) {
          return Mismatch(i, "is not a date/time (ISO 8601 text, julian day REAL or unix INTEGER)");
        }
        col->AppendInt64(micros);
        return Status::OK();
      }
      case SqliteValueKind::kUntyped:
        break;
    }
    return Status::Internal("unresolved SQLite column kind");
  }

  // False when the row is below a temporal cursor and must be skipped.
  bool PassesCursor() const {
    if (!cursor_exact_filter) return true;
    int64_t micros = 0;
    // A value that is no date at all is kept, so that reading it reports the mismatch.
    if (!TemporalMicros(cursor_column, &micros)) return true;
    return cursor_inclusive ? micros >= cursor_bound_micros : micros > cursor_bound_micros;
  }

  Result<std::unique_ptr<ColumnBatch>> ReadBatch() {
    auto batch = std::make_unique<ColumnBatch>(info.schema);
    const int n = static_cast<int>(columns.size());
    const int64_t start_bytes = bytes;
    int64_t count = 0;
    while (count < options.batch_rows && bytes - start_bytes < options.batch_bytes) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) {
        done = true;
        break;
      }
      if (rc != SQLITE_ROW) return Error(rc, "reading table " + info.qualified_name);
      ++ordinal;
      if (!PassesCursor()) continue;
      for (int i = 0; i < n; ++i) {
        NILUS_RETURN_NOT_OK(AppendValue(i, batch->mutable_column(i)));
      }
      ++count;
    }
    if (done) {
      sqlite3_finalize(stmt);
      stmt = nullptr;
      // The read transaction is over; end it so writers are not held back.
      int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) return Error(rc, "ending the read transaction");
    }
    if (count == 0) return std::unique_ptr<ColumnBatch>();
    rows += count;
    return batch;
  }

  Status BindCursor(int index, const SqliteColumnDesc& c, const Value& v) {
    const TypeId vt = v.type ? v.type->id() : TypeId::kString;
    auto bad = [&] {
      return Status::Invalid(fmt::format(
          "incremental cursor on column '{}' (read as {}): the start value has type {}", c.name,
          SqliteValueKindName(c.kind, types[index].get()), v.type ? v.type->ToString() : "?"));
    };
    int rc = SQLITE_OK;
    switch (c.kind) {
      case SqliteValueKind::kLong:
        if (vt == TypeId::kLong) {
          rc = sqlite3_bind_int64(stmt, 1, v.get<int64_t>());
        } else if (vt == TypeId::kInt) {
          rc = sqlite3_bind_int64(stmt, 1, v.get<int32_t>());
        } else {
          return bad();
        }
        break;
      case SqliteValueKind::kDouble:
        if (vt == TypeId::kDouble) {
          rc = sqlite3_bind_double(stmt, 1, v.get<double>());
        } else if (vt == TypeId::kFloat) {
          rc = sqlite3_bind_double(stmt, 1, v.get<float>());
        } else if (vt == TypeId::kLong) {
          rc = sqlite3_bind_double(stmt, 1, static_cast<double>(v.get<int64_t>()));
        } else {
          return bad();
        }
        break;
      case SqliteValueKind::kDecimal: {
        if (vt != TypeId::kDecimal) return bad();
        const std::string text = DecimalToString(v.get<__int128>(), v.type->scale());
        rc = sqlite3_bind_text(stmt, 1, text.data(), static_cast<int>(text.size()),
                               SQLITE_TRANSIENT);
        break;
      }
      case SqliteValueKind::kString:
      case SqliteValueKind::kLenientString: {
        if (vt != TypeId::kString) return bad();
        const std::string& s = v.get<std::string>();
        rc = sqlite3_bind_text(stmt, 1, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
        break;
      }
      case SqliteValueKind::kBoolean:
        if (vt != TypeId::kBoolean) return bad();
        rc = sqlite3_bind_int(stmt, 1, v.get<bool>() ? 1 : 0);
        break;
      case SqliteValueKind::kBinary: {
        if (vt != TypeId::kBinary) return bad();
        const std::string& s = v.get<std::string>();
        rc = sqlite3_bind_blob(stmt, 1, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
        break;
      }
      case SqliteValueKind::kDate:
      case SqliteValueKind::kTimestamp:
      case SqliteValueKind::kTimestampTz: {
        if (vt == TypeId::kDate) {
          cursor_bound_micros = int64_t{v.get<int32_t>()} * 86400000000LL;
        } else if (vt == TypeId::kTimestamp || vt == TypeId::kTimestampTz) {
          cursor_bound_micros = v.get<int64_t>();
        } else {
          return bad();
        }
        cursor_exact_filter = true;
        // Every stored form's millisecond is at or above the bound's floored millisecond when
        // its exact value passes; PassesCursor() then drops the rest.
        rc = sqlite3_bind_int64(stmt, 1, FloorDiv(cursor_bound_micros, 1000));
        break;
      }
      default:
        return bad();
    }
    if (rc != SQLITE_OK) return Error(rc, "binding the cursor value");
    return Status::OK();
  }
};

namespace {

// Unix milliseconds of a date/time column in any of its three storage forms, in SQL.
std::string TemporalMillisSql(const std::string& col, SqliteTypePolicy::IntegerTime unit) {
  std::string integer;
  switch (unit) {
    case SqliteTypePolicy::IntegerTime::kUnixSeconds:
      integer = col + " * 1000";
      break;
    case SqliteTypePolicy::IntegerTime::kUnixMillis:
      integer = col;
      break;
    case SqliteTypePolicy::IntegerTime::kUnixMicros:
      integer = fmt::format("(({0} - (({0} % 1000) + 1000) % 1000) / 1000)", col);
      break;
  }
  return fmt::format(
      "CASE typeof({0}) WHEN 'integer' THEN {1} WHEN 'real' THEN CAST(round(({0} - 2440587.5) * "
      "86400000.0) AS INTEGER) ELSE CAST(round((julianday({0}) - 2440587.5) * 86400000.0) AS "
      "INTEGER) END",
      col, integer);
}

std::string DatabasePath(const std::string& database) {
  const std::string prefix = "sqlite:///";
  if (database.rfind(prefix, 0) == 0) return database.substr(prefix.size());
  return database;
}

}  // namespace

SqliteTableReader::SqliteTableReader(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
SqliteTableReader::~SqliteTableReader() = default;

Result<std::unique_ptr<SqliteTableReader>> SqliteTableReader::Open(
    const std::string& database, const std::string& table, const SqliteTableReadOptions& options) {
  if (options.batch_rows < 1 || options.batch_bytes < 1) {
    return Status::Invalid("SQLite reader: batch_rows and batch_bytes must be at least 1");
  }
  auto rep = std::make_unique<Rep>();
  rep->options = options;
  rep->path = DatabasePath(database);
  if (rep->path.empty()) return Status::Invalid("SQLite database URL has no path: " + database);
  const bool uri = rep->path.rfind("file:", 0) == 0;
  if (!uri && rep->path != ":memory:") {
    std::error_code ec;
    if (!std::filesystem::exists(rep->path, ec)) {
      return Status::NotFound(fmt::format("SQLite database '{}' does not exist", rep->path));
    }
    if (std::filesystem::is_directory(rep->path, ec)) {
      return Status::Invalid(fmt::format("SQLite database '{}' is a directory", rep->path));
    }
  }
  int rc = sqlite3_open_v2(rep->path.c_str(), &rep->db,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return rep->Error(rc, "opening");
  sqlite3_extended_result_codes(rep->db, 1);
  sqlite3_busy_timeout(rep->db, options.busy_timeout_ms);
  // One read transaction from the schema to the last row: a consistent view throughout.
  rc = sqlite3_exec(rep->db, "BEGIN", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return rep->Error(rc, "beginning a read transaction");

  // "main.t" / "temp.t" name a schema; anything else is a table name in main.
  std::string name = table;
  rep->schema_name = "main";
  if (size_t dot = table.find('.'); dot != std::string::npos) {
    std::string prefix = table.substr(0, dot);
    if (EqualsNoCase(prefix, "main") || EqualsNoCase(prefix, "temp")) {
      rep->schema_name = EqualsNoCase(prefix, "main") ? "main" : "temp";
      name = table.substr(dot + 1);
    }
  }
  bool is_table = false;
  {
    NILUS_ASSIGN_OR_RAISE(sqlite3_stmt * s,
                          rep->Prepare("SELECT name, type FROM " + QuoteIdent(rep->schema_name) +
                                       ".sqlite_master WHERE type IN ('table', 'view') AND "
                                       "name = ?1 COLLATE NOCASE"));
    SqliteStmtGuard guard{s};
    sqlite3_bind_text(s, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      return Status::NotFound(fmt::format("SQLite table '{}' not found in '{}'", table, rep->path));
    }
    if (rc != SQLITE_ROW) return rep->Error(rc, "looking up table " + table);
    rep->table_name = std::string(ColumnText(s, 0));
    is_table = ColumnText(s, 1) == "table";
  }
  rep->info.qualified_name = rep->schema_name + "." + rep->table_name;

  // All columns of the table, in table order.
  std::vector<SqliteColumnDesc> all;
  {
    NILUS_ASSIGN_OR_RAISE(
        sqlite3_stmt * s,
        rep->Prepare("SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1, ?2)"));
    SqliteStmtGuard guard{s};
    sqlite3_bind_text(s, 1, rep->table_name.data(), static_cast<int>(rep->table_name.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, rep->schema_name.data(), static_cast<int>(rep->schema_name.size()),
                      SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      // hidden 1: a virtual table's hidden column; 2 and 3 are generated columns, kept.
      if (sqlite3_column_int(s, 4) == 1) continue;
      SqliteColumnDesc c;
      c.name = std::string(ColumnText(s, 0));
      c.declared_type = std::string(ColumnText(s, 1));
      c.not_null = sqlite3_column_int(s, 2) != 0;
      c.pk_position = sqlite3_column_int(s, 3);
      all.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) return rep->Error(rc, "reading the columns of " + table);
  }
  if (all.empty()) {
    return Status::NotFound(
        fmt::format("SQLite table '{}' in '{}' has no columns", table, rep->path));
  }

  // A rowid to name rows by, unless the table is WITHOUT ROWID (or a view).
  std::string rowid_alias;
  if (is_table) {
    for (const char* alias : {"rowid", "_rowid_", "oid"}) {
      bool taken = std::any_of(all.begin(), all.end(), [&](const SqliteColumnDesc& c) {
        return EqualsNoCase(c.name, alias);
      });
      if (taken) continue;
      sqlite3_stmt* probe = nullptr;
      const std::string q =
          std::string("SELECT ") + alias + " FROM " + rep->FromClause() + " LIMIT 0";
      if (sqlite3_prepare_v2(rep->db, q.c_str(), -1, &probe, nullptr) == SQLITE_OK) {
        rowid_alias = alias;
      }
      sqlite3_finalize(probe);
      break;
    }
  }
  const bool without_rowid = is_table && rowid_alias.empty();

  std::vector<const SqliteColumnDesc*> pk;
  for (const auto& c : all) {
    if (c.pk_position > 0) pk.push_back(&c);
  }
  std::sort(pk.begin(), pk.end(), [](const SqliteColumnDesc* a, const SqliteColumnDesc* b) {
    return a->pk_position < b->pk_position;
  });
  // Key columns that can never be NULL: a WITHOUT ROWID table's, or an INTEGER PRIMARY KEY
  // (the rowid itself). Other rowid tables allow NULL in key columns unless declared NOT NULL.
  const bool rowid_alias_pk =
      !without_rowid && pk.size() == 1 && EqualsNoCase(pk[0]->declared_type, "INTEGER") && is_table;
  for (auto& c : all) {
    if (c.pk_position > 0 && (without_rowid || rowid_alias_pk)) c.not_null = true;
  }

  // The selected columns.
  if (options.columns.empty()) {
    rep->columns = all;
  } else {
    for (const auto& want : options.columns) {
      auto it = std::find_if(all.begin(), all.end(),
                             [&](const SqliteColumnDesc& c) { return EqualsNoCase(c.name, want); });
      if (it == all.end()) {
        return Status::NotFound(fmt::format("column '{}' not found in SQLite table {} in '{}'",
                                            want, rep->info.qualified_name, rep->path));
      }
      rep->columns.push_back(*it);
    }
  }
  for (const auto& want : options.as_string_columns) {
    bool found = std::any_of(rep->columns.begin(), rep->columns.end(),
                             [&](const SqliteColumnDesc& c) { return EqualsNoCase(c.name, want); });
    if (!found) {
      return Status::NotFound(
          fmt::format("as_string_columns: column '{}' is not read from SQLite table {} in '{}'",
                      want, rep->info.qualified_name, rep->path));
    }
  }

  // Types: declared mapping, the as-string escape hatch, then inference for untyped columns.
  const int n = static_cast<int>(rep->columns.size());
  rep->types.resize(n);
  std::vector<int> untyped;
  for (int i = 0; i < n; ++i) {
    SqliteColumnDesc& c = rep->columns[i];
    const bool as_string =
        std::any_of(options.as_string_columns.begin(), options.as_string_columns.end(),
                    [&](const std::string& s) { return EqualsNoCase(s, c.name); });
    SqliteTypeMapping m = MapSqliteDeclaredType(c.declared_type, options.types);
    if (as_string || (m.kind == SqliteValueKind::kUntyped &&
                      options.types.untyped == SqliteTypePolicy::Untyped::kString)) {
      m = {Type::String(), SqliteValueKind::kLenientString};
    }
    if (m.kind == SqliteValueKind::kUntyped) untyped.push_back(i);
    c.kind = m.kind;
    rep->types[i] = m.type;
  }
  if (!untyped.empty()) {
    std::string q = "SELECT ";
    for (size_t k = 0; k < untyped.size(); ++k) {
      const std::string col = QuoteIdent(rep->columns[untyped[k]].name);
      if (k > 0) q += ", ";
      q += fmt::format(
          "max(typeof({0}) = 'integer'), max(typeof({0}) = 'real'), max(typeof({0}) = 'text'), "
          "max(typeof({0}) = 'blob'), max(typeof({0}) = 'integer' AND ({0} > 9007199254740992 "
          "OR {0} < -9007199254740992))",
          col);
    }
    q += " FROM " + rep->FromClause();
    NILUS_ASSIGN_OR_RAISE(sqlite3_stmt * s, rep->Prepare(q));
    SqliteStmtGuard guard{s};
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) return rep->Error(rc, "inferring the types of untyped columns");
    for (size_t k = 0; k < untyped.size(); ++k) {
      const int b = static_cast<int>(k) * 5;
      const bool has_int = sqlite3_column_int(s, b) != 0;
      const bool has_real = sqlite3_column_int(s, b + 1) != 0;
      const bool has_text = sqlite3_column_int(s, b + 2) != 0;
      const bool has_blob = sqlite3_column_int(s, b + 3) != 0;
      const bool big_int = sqlite3_column_int(s, b + 4) != 0;
      SqliteTypeMapping m{Type::String(), SqliteValueKind::kLenientString};
      if (has_int && !has_real && !has_text && !has_blob) {
        m = {Type::Long(), SqliteValueKind::kLong};
      } else if (has_real && !has_text && !has_blob && !big_int) {
        m = {Type::Double(), SqliteValueKind::kDouble};
      } else if (has_text && !has_int && !has_real && !has_blob) {
        m = {Type::String(), SqliteValueKind::kString};
      } else if (has_blob && !has_int && !has_real && !has_text) {
        m = {Type::Binary(), SqliteValueKind::kBinary};
      }
      rep->columns[untyped[k]].kind = m.kind;
      rep->types[untyped[k]] = m.type;
    }
  }

  // Schema: field ids 1..n; the key becomes the identifier fields when every key column is
  // read and can never be NULL.
  std::vector<NestedField> fields;
  for (int i = 0; i < n; ++i) {
    const SqliteColumnDesc& c = rep->columns[i];
    fields.push_back(c.not_null ? NestedField::Required(i + 1, c.name, rep->types[i])
                                : NestedField::Optional(i + 1, c.name, rep->types[i]));
    rep->info.source_types.push_back(c.declared_type);
  }
  std::vector<int32_t> identifier_ids;
  bool key_usable = !pk.empty();
  for (const SqliteColumnDesc* k : pk) {
    auto it = std::find_if(rep->columns.begin(), rep->columns.end(),
                           [&](const SqliteColumnDesc& c) { return c.name == k->name; });
    if (it == rep->columns.end()) {
      key_usable = false;
      break;
    }
    rep->info.primary_key.push_back(k->name);
    if (it->not_null) identifier_ids.push_back(static_cast<int32_t>(it - rep->columns.begin()) + 1);
  }
  if (!key_usable) rep->info.primary_key.clear();
  if (!key_usable || identifier_ids.size() != pk.size()) identifier_ids.clear();
  rep->info.schema = std::make_shared<Schema>(std::move(fields), 0, std::move(identifier_ids));

  // Row-count estimate: ANALYZE's statistics, else the largest rowid.
  {
    sqlite3_stmt* s = nullptr;
    const std::string q = "SELECT stat FROM " + QuoteIdent(rep->schema_name) +
                          ".sqlite_stat1 WHERE tbl = ?1 COLLATE NOCASE LIMIT 1";
    if (sqlite3_prepare_v2(rep->db, q.c_str(), -1, &s, nullptr) == SQLITE_OK) {
      sqlite3_bind_text(s, 1, rep->table_name.data(), static_cast<int>(rep->table_name.size()),
                        SQLITE_TRANSIENT);
      if (sqlite3_step(s) == SQLITE_ROW) rep->info.estimated_rows = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    if (rep->info.estimated_rows < 0 && !rowid_alias.empty()) {
      const std::string m = "SELECT max(" + rowid_alias + ") FROM " + rep->FromClause();
      if (sqlite3_prepare_v2(rep->db, m.c_str(), -1, &s, nullptr) == SQLITE_OK &&
          sqlite3_step(s) == SQLITE_ROW) {
        rep->info.estimated_rows = sqlite3_column_int64(s, 0);
      }
      sqlite3_finalize(s);
    }
  }

  // The SELECT: the columns, then what names a row in errors.
  std::string select;
  for (int i = 0; i < n; ++i) {
    if (i > 0) select += ", ";
    select += QuoteIdent(rep->columns[i].name);
  }
  rep->locator_first = n;
  if (!rowid_alias.empty()) {
    rep->locator = Rep::Locator::kRowid;
    select += ", " + rowid_alias;
  } else if (!pk.empty()) {
    rep->locator = Rep::Locator::kPrimaryKey;
    for (const SqliteColumnDesc* k : pk) {
      select += ", " + QuoteIdent(k->name);
      rep->locator_names.push_back(k->name);
    }
  }
  rep->sql = "SELECT " + select + " FROM " + rep->FromClause();

  const SqliteCursorFilter& cursor = options.cursor;
  auto it = std::find_if(rep->columns.begin(), rep->columns.end(), [&](const SqliteColumnDesc& c) {
    return EqualsNoCase(c.name, cursor.column);
  });
  if (!cursor.column.empty() && it == rep->columns.end()) {
    return Status::NotFound(
        fmt::format("incremental cursor column '{}' is not read from SQLite table {} in '{}'",
                    cursor.column, rep->info.qualified_name, rep->path));
  }
  const bool filtered = !cursor.column.empty() && !cursor.after.is_null();
  if (filtered) {
    rep->cursor_column = static_cast<int>(it - rep->columns.begin());
    rep->cursor_inclusive = cursor.inclusive;
    const std::string col = QuoteIdent(it->name);
    const char* op = cursor.inclusive ? ">=" : ">";
    switch (it->kind) {
      case SqliteValueKind::kDate:
      case SqliteValueKind::kTimestamp:
      case SqliteValueKind::kTimestampTz:
        // An unreadable value passes (coalesce), so that reading it reports the mismatch.
        rep->sql += fmt::format(" WHERE coalesce(({}) >= ?1, {} IS NOT NULL)",
                                TemporalMillisSql(col, options.types.integer_time), col);
        break;
      default:
        rep->sql += fmt::format(" WHERE {} {} ?1", col, op);
    }
  }
  NILUS_ASSIGN_OR_RAISE(rep->stmt, rep->Prepare(rep->sql));
  if (filtered) {
    NILUS_RETURN_NOT_OK(
        rep->BindCursor(rep->cursor_column, rep->columns[rep->cursor_column], cursor.after));
  }
  return std::unique_ptr<SqliteTableReader>(new SqliteTableReader(std::move(rep)));
}

SchemaPtr SqliteTableReader::schema() const { return rep_->info.schema; }

Result<std::unique_ptr<ColumnBatch>> SqliteTableReader::Next() {
  if (!rep_->error.ok()) return rep_->error;
  if (rep_->done) return std::unique_ptr<ColumnBatch>();
  auto batch = rep_->ReadBatch();
  if (!batch.ok()) {
    rep_->error = batch.status();
    rep_->done = true;
    sqlite3_finalize(rep_->stmt);
    rep_->stmt = nullptr;
    return rep_->error;
  }
  return batch;
}

int64_t SqliteTableReader::bytes_read() const { return rep_->bytes; }
int64_t SqliteTableReader::rows_read() const { return rep_->rows; }
const SourceTableInfo& SqliteTableReader::info() const { return rep_->info; }
const std::vector<SqliteColumnDesc>& SqliteTableReader::columns() const { return rep_->columns; }
const std::string& SqliteTableReader::sql() const { return rep_->sql; }
SqliteReadStats SqliteTableReader::stats() const { return rep_->stats; }

}  // namespace nilus
