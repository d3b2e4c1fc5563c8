#include "pipeline/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <initializer_list>
#include <set>
#include <utility>

#include "pipeline/duration.h"
#include "pipeline/env_expand.h"
#include "storage/local_file_io.h"

namespace nilus::pipeline {

std::string_view SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kPostgres:
      return "postgres";
    case SourceKind::kSqlite:
      return "sqlite";
    case SourceKind::kCsv:
      return "csv";
    case SourceKind::kJsonl:
      return "jsonl";
  }
  return "?";
}

std::string_view WriteDispositionName(WriteDisposition d) {
  switch (d) {
    case WriteDisposition::kAppend:
      return "append";
    case WriteDisposition::kReplace:
      return "replace";
    case WriteDisposition::kMerge:
      return "merge";
  }
  return "?";
}

std::string_view ContractModeName(ContractMode mode) {
  switch (mode) {
    case ContractMode::kEvolve:
      return "evolve";
    case ContractMode::kFreeze:
      return "freeze";
    case ContractMode::kDiscardRow:
      return "discard_row";
    case ContractMode::kDiscardValue:
      return "discard_value";
  }
  return "?";
}

std::string_view BadRowPolicyName(BadRowPolicy policy) {
  return policy == BadRowPolicy::kFail ? "fail" : "quarantine";
}

std::string_view NumericNanPolicyName(NumericNanPolicy policy) {
  return policy == NumericNanPolicy::kNull ? "null" : "string";
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions, the usual
// typos in a key.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The closest candidate when it is close enough to be a typo; empty otherwise.
std::string_view Suggest(std::string_view word, std::initializer_list<std::string_view> options) {
  std::string_view best;
  size_t best_d = SIZE_MAX;
  std::string lower = Lower(word);
  for (std::string_view o : options) {
    size_t d = EditDistance(lower, o);
    if (d < best_d) {
      best_d = d;
      best = o;
    }
  }
  if (best_d <= 2 || best_d * 3 <= word.size()) return best;
  return {};
}

std::string Join(std::initializer_list<std::string_view> items, std::string_view sep) {
  std::string out;
  for (std::string_view s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

// "Shop-EU" -> "shop_eu": the default namespace and slot names derive from the pipeline name.
std::string ToIdentifier(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
               : '_';
  }
  if (!out.empty() && std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(0, "_");
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  s = Trim(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

// ---------------------------------------------------------------------------------------------
// The parse context: where errors go, and the environment.

class Parser {
 public:
  Parser(const EnvLookup& env) : env_(env) {}

  // A variable of the environment the file is read with.
  std::optional<std::string> Env(const std::string& name) const { return env_(name); }

  std::vector<ConfigError>& errors() { return errors_; }

  void Error(const YAML::Mark& mark, std::string path, std::string message) {
    ConfigError e;
    e.path = std::move(path);
    if (!mark.is_null()) {
      e.line = mark.line + 1;
      e.column = mark.column + 1;
    }
    e.message = std::move(message);
    errors_.push_back(std::move(e));
  }
  // Messages quote what the file says: a value that came from ${VAR} is shown as "${VAR}",
  // so that a secret read from the environment is never printed.
  void Error(const YAML::Node& node, std::string path, std::string message) {
    if (node.IsScalar() && node.Scalar().find("${") != std::string::npos) {
      std::optional<std::string> value = Substitute(node, path, /*report=*/false);
      if (value && !value->empty()) {
        size_t pos = 0;
        while ((pos = message.find(*value, pos)) != std::string::npos) {
          message.replace(pos, value->size(), node.Scalar());
          pos += node.Scalar().size();
        }
      }
    }
    Error(node.Mark(), std::move(path), std::move(message));
  }

  // A scalar's text with ${VAR} substituted. nullopt (after reporting) when the node is not a
  // scalar or a variable is unset. A YAML null is the empty string.
  std::optional<std::string> Scalar(const YAML::Node& node, const std::string& path) {
    if (node.IsNull()) return std::string();
    if (!node.IsScalar()) {
      Error(node, path,
            node.IsMap() ? "expected a single value, not a mapping"
                         : "expected a single value, not a list");
      return std::nullopt;
    }
    return Substitute(node, path, /*report=*/true);
  }

 private:
  // With report=false, failures return nullopt without recording errors.
  std::optional<std::string> Substitute(const YAML::Node& node, const std::string& path,
                                        bool report) {
    Result<std::string> out = ExpandEnvReferences(node.Scalar(), env_);
    if (!out.ok()) {
      if (report) Error(node.Mark(), path, out.status().message());
      return std::nullopt;
    }
    return std::move(out).value();
  }

  const EnvLookup& env_;
  std::vector<ConfigError> errors_;
};

// A mapping being read: checks for unknown and duplicate keys up front, then hands out values.
class MapReader {
 public:
  // Reports (once) when `node` is not a mapping; a null node reads as an empty mapping.
  MapReader(Parser* p, const YAML::Node& node, std::string path,
            std::initializer_list<std::string_view> keys)
      : p_(p), node_(node), path_(std::move(path)) {
    if (node.IsNull()) return;
    if (!node.IsMap()) {
      p->Error(node, path_, "expected a mapping (key: value lines)");
      valid_ = false;
      return;
    }
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      YAML::Node key = it->first;  // a copy: the iterator hands out a temporary
      if (!key.IsScalar()) {
        p->Error(key, path_, "keys must be plain names");
        continue;
      }
      const std::string& k = key.Scalar();
      std::string kpath = Child(k);
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
        std::string_view hint = Suggest(k, keys);
        p->Error(key, kpath,
                 hint.empty() ? fmt::format("unknown key (expected one of: {})", Join(keys, ", "))
                              : fmt::format("unknown key; did you mean '{}'?", hint));
        continue;
      }
      if (!seen.insert(k).second) {
        p->Error(key, kpath, "duplicate key");
        continue;
      }
      values_.emplace_back(k, it->second);
      key_marks_.emplace_back(k, key.Mark());
    }
  }

  bool valid() const { return valid_; }
  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  std::string Child(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  }

  // The value of `key`, or nullopt when absent. A key with an empty (null) value counts as
  // absent, so that `url:` reads as "no url".
  std::optional<YAML::Node> Get(std::string_view key) const {
    for (const auto& [k, v] : values_) {
      if (k == key) return v.IsNull() ? std::nullopt : std::optional<YAML::Node>(v);
    }
    return std::nullopt;
  }
  // Whether the key is written at all, even with an empty value.
  bool Has(std::string_view key) const {
    return std::any_of(values_.begin(), values_.end(),
                       [&](const auto& kv) { return kv.first == key; });
  }
  // Where to point for `key`: its key's position when written, else the mapping's.
  YAML::Mark MarkOf(std::string_view key) const {
    for (const auto& [k, m] : key_marks_) {
      if (k == key) return m;
    }
    return node_.Mark();
  }

  void Missing(std::string_view key, std::string_view why = {}) const {
    p_->Error(MarkOf(key), Child(key),
              why.empty() ? std::string("required") : fmt::format("required {}", why));
  }

  std::optional<std::string> String(std::string_view key) const {
    auto v = Get(key);
    if (!v) return std::nullopt;
    return p_->Scalar(*v, Child(key));
  }

  // One of `options` (exact, lower-case); reports the others with a suggestion.
  template <typename Enum>
  std::optional<Enum> Choice(std::string_view key,
                             std::initializer_list<std::pair<std::string_view, Enum>> options) {
    auto v = Get(key);
    if (!v) return std::nullopt;
    return ChoiceOf(p_, *v, Child(key), options);
  }

  template <typename Enum>
  static std::optional<Enum> ChoiceOf(
      Parser* p, const YAML::Node& node, const std::string& path,
      std::initializer_list<std::pair<std::string_view, Enum>> options) {
    auto text = p->Scalar(node, path);
    if (!text) return std::nullopt;
    std::vector<std::string_view> names;
    for (const auto& [name, value] : options) {
      if (*text == name) return value;
      names.push_back(name);
    }
    std::string list;
    for (size_t i = 0; i < names.size(); ++i) {
      list += i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ");
      list += names[i];
    }
    std::string msg = fmt::format("'{}' is not one of {}", *text, list);
    std::string_view best;
    size_t best_d = SIZE_MAX;
    for (std::string_view n : names) {
      size_t d = EditDistance(Lower(*text), n);
      if (d < best_d) best_d = d, best = n;
    }
    if (!text->empty() && (best_d <= 2 || best_d * 3 <= text->size())) {
      msg += fmt::format("; did you mean '{}'?", best);
    }
    p->Error(node, path, std::move(msg));
    return std::nullopt;
  }

  std::optional<bool> Bool(std::string_view key) const {
    auto v = Get(key);
    if (!v) return std::nullopt;
    auto text = p_->Scalar(*v, Child(key));
    if (!text) return std::nullopt;
    std::string t = Lower(*text);
    if (t == "true") return true;
    if (t == "false") return false;
    p_->Error(*v, Child(key), fmt::format("'{}' is not true or false", *text));
    return std::nullopt;
  }

  std::optional<int64_t> Int(std::string_view key, int64_t min, int64_t max) const {
    auto v = Get(key);
    if (!v) return std::nullopt;
    auto text = p_->Scalar(*v, Child(key));
    if (!text) return std::nullopt;
    int64_t value = 0;
    if (!ParseInt64(*text, &value)) {
      p_->Error(*v, Child(key), fmt::format("'{}' is not a whole number", *text));
      return std::nullopt;
    }
    if (value < min || value > max) {
      p_->Error(*v, Child(key), fmt::format("{} is outside {}..{}", value, min, max));
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::chrono::milliseconds> Duration(std::string_view key) const {
    auto v = Get(key);
    if (!v) return std::nullopt;
    auto text = p_->Scalar(*v, Child(key));
    if (!text) return std::nullopt;
    Result<std::chrono::milliseconds> d = ParseDuration(*text);
    if (!d.ok()) {
      p_->Error(*v, Child(key), d.status().message());
      return std::nullopt;
    }
    return *d;
  }

  std::optional<int64_t> Size(std::string_view key, int64_t min) const {
    auto v = Get(key);
    if (!v) return std::nullopt;
    auto text = p_->Scalar(*v, Child(key));
    if (!text) return std::nullopt;
    Result<int64_t> size = ParseByteSize(*text);
    if (!size.ok()) {
      p_->Error(*v, Child(key), size.status().message());
      return std::nullopt;
    }
    if (*size < min) {
      p_->Error(*v, Child(key),
                fmt::format("{} is below the minimum of {}", *text, FormatByteSize(min)));
      return std::nullopt;
    }
    return *size;
  }

  // A list of names, or one name as shorthand for a list of one.
  std::optional<std::vector<std::string>> StringList(std::string_view key) const {
    auto v = Get(key);
    if (!v) return std::nullopt;
    std::vector<std::string> out;
    std::string path = Child(key);
    if (v->IsSequence()) {
      bool ok = true;
      for (size_t i = 0; i < v->size(); ++i) {
        std::string item_path = fmt::format("{}[{}]", path, i);
        auto s = p_->Scalar((*v)[i], item_path);
        if (!s) {
          ok = false;
        } else if (Trim(*s).empty()) {
          p_->Error((*v)[i], item_path, "must not be empty");
          ok = false;
        } else {
          out.push_back(*s);
        }
      }
      if (!ok) return std::nullopt;
      return out;
    }
    auto s = p_->Scalar(*v, path);
    if (!s) return std::nullopt;
    out.push_back(*s);
    return out;
  }

 private:
  Parser* p_;
  YAML::Node node_;
  std::string path_;
  bool valid_ = true;
  std::vector<std::pair<std::string, YAML::Node>> values_;
  std::vector<std::pair<std::string, YAML::Mark>> key_marks_;
};

// ---------------------------------------------------------------------------------------------
// Sections.

const std::initializer_list<std::pair<std::string_view, ContractMode>> kContractModes = {
    {"evolve", ContractMode::kEvolve},
    {"freeze", ContractMode::kFreeze},
    {"discard_row", ContractMode::kDiscardRow},
    {"discard_value", ContractMode::kDiscardValue}};

const std::initializer_list<std::pair<std::string_view, BadRowPolicy>> kBadRowPolicies = {
    {"fail", BadRowPolicy::kFail}, {"quarantine", BadRowPolicy::kQuarantine}};

// `contracts: freeze` (all three) or `contracts: { tables: ..., columns: ..., data_type: ... }`.
ContractConfig ReadContracts(Parser* p, const YAML::Node& node, const std::string& path) {
  ContractConfig out;
  if (node.IsScalar()) {
    auto mode = MapReader::ChoiceOf(p, node, path, kContractModes);
    if (mode) out.tables = out.columns = out.data_type = *mode;
    return out;
  }
  MapReader m(p, node, path, {"tables", "columns", "data_type"});
  out.tables = m.Choice("tables", kContractModes);
  out.columns = m.Choice("columns", kContractModes);
  out.data_type = m.Choice("data_type", kContractModes);
  return out;
}

// "decimal(12, 2)" / "fixed[16]": the name and the numbers inside the brackets.
bool SplitCall(std::string_view text, char open, char close, std::string* name,
               std::vector<std::string>* args) {
  size_t o = text.find(open);
  if (o == std::string_view::npos) {
    *name = std::string(Trim(text));
    return true;
  }
  if (text.back() != close) return false;
  *name = std::string(Trim(text.substr(0, o)));
  std::string_view inner = text.substr(o + 1, text.size() - o - 2);
  args->clear();
  size_t start = 0;
  while (true) {
    size_t comma = inner.find(',', start);
    args->emplace_back(Trim(inner.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

std::optional<PartitionFieldConfig> ParsePartition(std::string_view raw, std::string* error) {
  std::string_view text = Trim(raw);
  PartitionFieldConfig out;
  out.text = std::string(text);
  std::string name;
  std::vector<std::string> args;
  const char* kHelp =
      "use identity(col), year(col), month(col), day(col), hour(col), bucket(N, col), "
      "truncate(W, col) or a bare column name";
  if (text.empty() || !SplitCall(text, '(', ')', &name, &args)) {
    *error = fmt::format("'{}' is not a partition transform: {}", raw, kHelp);
    return std::nullopt;
  }
  if (text.find('(') == std::string_view::npos) {
    out.transform = "identity";
    out.column = name;
    return out;
  }
  name = Lower(name);
  auto column_ok = [&](const std::string& c) {
    if (c.empty()) *error = fmt::format("'{}': the column name is missing", raw);
    return !c.empty();
  };
  if (name == "identity" || name == "year" || name == "month" || name == "day" || name == "hour" ||
      name == "void") {
    if (args.size() != 1) {
      *error = fmt::format("'{}': {} takes one column", raw, name);
      return std::nullopt;
    }
    if (!column_ok(args[0])) return std::nullopt;
    out.transform = name;
    out.column = args[0];
    return out;
  }
  if (name == "bucket" || name == "truncate") {
    int64_t n = 0;
    if (args.size() != 2 || !ParseInt64(args[0], &n) || n < 1 || n > INT32_MAX) {
      *error = fmt::format("'{}': {} takes a positive number and a column, e.g. {}(16, id)", raw,
                           name, name);
      return std::nullopt;
    }
    if (!column_ok(args[1])) return std::nullopt;
    out.argument = static_cast<int32_t>(n);
    out.transform = fmt::format("{}[{}]", name, n);
    out.column = args[1];
    return out;
  }
  *error = fmt::format("'{}' is not a partition transform: {}", raw, kHelp);
  return std::nullopt;
}

void ReadColumnHint(Parser* p, const YAML::Node& node, const std::string& path, ColumnHint* hint) {
  std::optional<std::string> type_text;
  std::optional<int64_t> precision, scale;
  YAML::Mark type_mark = node.Mark();
  std::string type_path = path;
  if (node.IsScalar()) {  // shorthand: `amount: decimal(12,2)`
    type_text = p->Scalar(node, path);
  } else {
    MapReader m(p, node, path, {"type", "precision", "scale", "nullable"});
    type_text = m.String("type");
    if (auto t = m.Get("type")) type_mark = t->Mark();
    type_path = m.Child("type");
    precision = m.Int("precision", 1, 38);
    scale = m.Int("scale", 0, 38);
    hint->nullable = m.Bool("nullable");
    if ((precision || scale) && type_text && !type_text->empty()) {
      std::string t = Lower(Trim(*type_text));
      if (t != "decimal") {
        p->Error(
            m.MarkOf(precision ? "precision" : "scale"), m.Child(precision ? "precision" : "scale"),
            fmt::format("only a decimal takes precision and scale (type is '{}')", *type_text));
        return;
      }
    }
    if (scale && !precision) {
      p->Error(m.MarkOf("scale"), m.Child("scale"), "scale needs a precision");
      return;
    }
    if (precision) {
      int64_t s = scale.value_or(0);
      if (s > *precision) {
        p->Error(m.MarkOf("scale"), m.Child("scale"),
                 fmt::format("scale {} is larger than the precision {}", s, *precision));
        return;
      }
      hint->type_text = fmt::format("decimal({},{})", *precision, s);
      hint->type = Type::Decimal(static_cast<int>(*precision), static_cast<int>(s));
      return;
    }
  }
  if (!type_text || type_text->empty()) return;
  if (Lower(Trim(*type_text)) == "decimal") {
    p->Error(type_mark, type_path, "decimal needs a precision: decimal(P,S) or precision: P");
    return;
  }
  Result<TypePtr> type = ParseIcebergPrimitiveType(*type_text);
  if (!type.ok()) {
    p->Error(type_mark, type_path, type.status().message());
    return;
  }
  hint->type = *type;
  hint->type_text = *type_text;
}

void ReadCsv(Parser* p, const YAML::Node& node, const std::string& path, CsvOptions* csv) {
  MapReader m(p, node, path, {"delimiter", "quote", "header", "schema", "on_bad_row"});
  // True when the key is absent or holds a usable character.
  auto one_char = [&](std::string_view key, char* out) {
    auto s = m.String(key);
    if (!s) return !m.Get(key);
    if (s->size() != 1) {
      p->Error(*m.Get(key), m.Child(key),
               fmt::format("'{}' is not a single character (quote it: \"\\t\" for a tab)", *s));
      return false;
    }
    if ((*s)[0] == '\n' || (*s)[0] == '\r') {
      p->Error(*m.Get(key), m.Child(key), "a line break cannot be a delimiter or quote");
      return false;
    }
    *out = (*s)[0];
    return true;
  };
  bool delimiter_ok = one_char("delimiter", &csv->delimiter);
  bool quote_ok = one_char("quote", &csv->quote);
  if (delimiter_ok && quote_ok && csv->delimiter == csv->quote) {
    bool quote_given = m.Get("quote").has_value();
    p->Error(m.MarkOf(quote_given ? "quote" : "delimiter"),
             m.Child(quote_given ? "quote" : "delimiter"),
             "the delimiter and the quote character must differ");
  }
  if (auto h = m.Bool("header")) csv->header = *h;
  csv->on_bad_row = m.Choice("on_bad_row", kBadRowPolicies);
  if (auto schema = m.Get("schema")) {
    std::string spath = m.Child("schema");
    if (!schema->IsMap()) {
      p->Error(*schema, spath, "expected a mapping of column: type, in file order");
    } else {
      std::set<std::string> names;
      for (auto it = schema->begin(); it != schema->end(); ++it) {
        const std::string col = it->first.Scalar();
        std::string cpath = fmt::format("{}.{}", spath, col);
        if (!names.insert(col).second) {
          p->Error(it->first, cpath, "duplicate column");
          continue;
        }
        auto text = p->Scalar(it->second, cpath);
        if (!text) continue;
        Result<TypePtr> type = ParseIcebergPrimitiveType(*text);
        if (!type.ok()) {
          p->Error(it->second, cpath, type.status().message());
          continue;
        }
        csv->schema.push_back({col, *type, *text});
      }
    }
  }
}

std::optional<IncrementalConfig> ReadIncremental(Parser* p, const YAML::Node& node,
                                                 const std::string& path) {
  IncrementalConfig inc;
  if (node.IsScalar()) {  // shorthand: `incremental: updated_at`
    auto c = p->Scalar(node, path);
    if (!c) return std::nullopt;
    inc.cursor = *c;
    return inc;
  }
  MapReader m(p, node, path, {"cursor", "initial_value", "end_value", "lag"});
  if (!m.valid()) return std::nullopt;
  auto cursor = m.String("cursor");
  if (!cursor || cursor->empty()) {
    if (!m.Get("cursor")) m.Missing("cursor", "(the column that orders new rows)");
  } else {
    inc.cursor = *cursor;
  }
  inc.initial_value = m.String("initial_value");
  inc.end_value = m.String("end_value");
  if (auto lag_node = m.Get("lag")) {
    auto text = p->Scalar(*lag_node, m.Child("lag"));
    if (text) {
      CursorLag lag;
      lag.text = *text;
      double number = 0;
      std::string_view t = Trim(*text);
      auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), number);
      if (ec == std::errc() && ptr == t.data() + t.size() && !t.empty()) {
        if (number < 0) {
          p->Error(*lag_node, m.Child("lag"), "must not be negative");
        } else {
          lag.kind = CursorLag::Kind::kNumber;
          lag.number = number;
          inc.lag = lag;
        }
      } else if (Result<std::chrono::milliseconds> d = ParseDuration(t); d.ok()) {
        lag.kind = CursorLag::Kind::kDuration;
        lag.duration = *d;
        inc.lag = lag;
      } else {
        p->Error(*lag_node, m.Child("lag"),
                 fmt::format("'{}' is neither a duration (10m, 1h) nor a number", *text));
      }
    }
  }
  return inc;
}

TableConfig ReadTable(Parser* p, SourceKind kind, bool kind_known, const YAML::Node& node,
                      const std::string& path) {
  TableConfig t;
  if (node.IsScalar()) {  // shorthand: `- public.customers`
    if (auto n = p->Scalar(node, path)) t.name = *n;
    if (kind_known && (kind == SourceKind::kCsv || kind == SourceKind::kJsonl)) {
      p->Error(node, path,
               fmt::format("a {} table needs a path: write it as a mapping with name "
                           "and path",
                           SourceKindName(kind)));
    }
    return t;
  }
  MapReader m(p, node, path,
              {"name", "path", "primary_key", "write_disposition", "incremental", "delete_marker",
               "columns", "partition", "contracts", "csv", "json"});
  if (!m.valid()) return t;
  bool files = kind == SourceKind::kCsv || kind == SourceKind::kJsonl;

  auto name = m.String("name");
  if (name) t.name = std::string(Trim(*name));
  if (t.name.empty() && (!m.Get("name") || name)) m.Missing("name");

  if (auto pth = m.String("path")) t.path = *pth;
  if (kind_known && files && t.path.empty() && !m.Get("path")) {
    m.Missing("path", fmt::format("for a {} table (a file or a glob)", SourceKindName(kind)));
  }
  if (kind_known && !files && m.Get("path")) {
    p->Error(m.MarkOf("path"), m.Child("path"),
             fmt::format("only csv and jsonl tables take a path; a {} table is read from the "
                         "source's {}",
                         SourceKindName(kind), kind == SourceKind::kSqlite ? "path" : "url"));
  }

  if (auto pk = m.StringList("primary_key")) t.primary_key = *pk;
  if (auto wd =
          m.Choice<WriteDisposition>("write_disposition", {{"append", WriteDisposition::kAppend},
                                                           {"replace", WriteDisposition::kReplace},
                                                           {"merge", WriteDisposition::kMerge}})) {
    t.write_disposition = *wd;
  }
  if (auto inc = m.Get("incremental"))
    t.incremental = ReadIncremental(p, *inc, m.Child("incremental"));

  if (auto dm = m.Get("delete_marker")) {
    std::string dpath = m.Child("delete_marker");
    DeleteMarker marker;
    if (dm->IsScalar()) {  // shorthand: `delete_marker: _deleted` (= true)
      if (auto c = p->Scalar(*dm, dpath)) marker.column = *c;
    } else {
      MapReader d(p, *dm, dpath, {"column", "value"});
      if (auto c = d.String("column")) marker.column = *c;
      if (marker.column.empty() && d.valid()) d.Missing("column");
      if (auto v = d.String("value")) marker.value = *v;
    }
    if (!marker.column.empty()) t.delete_marker = marker;
    if (t.write_disposition != WriteDisposition::kMerge) {
      p->Error(m.MarkOf("delete_marker"), dpath, "a delete marker needs write_disposition: merge");
    }
  }

  if (auto cols = m.Get("columns")) {
    std::string cpath = m.Child("columns");
    if (!cols->IsMap()) {
      p->Error(*cols, cpath, "expected a mapping of column: hint");
    } else {
      std::set<std::string> seen;
      for (auto it = cols->begin(); it != cols->end(); ++it) {
        const std::string col = it->first.Scalar();
        std::string hpath = fmt::format("{}.{}", cpath, col);
        if (!seen.insert(col).second) {
          p->Error(it->first, hpath, "duplicate column");
          continue;
        }
        ColumnHint hint;
        ReadColumnHint(p, it->second, hpath, &hint);
        t.columns[col] = std::move(hint);
      }
    }
  }

  if (auto part = m.Get("partition")) {
    std::string ppath = m.Child("partition");
    std::vector<std::pair<YAML::Node, std::string>> items;
    if (part->IsSequence()) {
      for (size_t i = 0; i < part->size(); ++i) {
        items.emplace_back((*part)[i], fmt::format("{}[{}]", ppath, i));
      }
    } else {
      items.emplace_back(*part, ppath);
    }
    for (const auto& [item, ipath] : items) {
      auto text = p->Scalar(item, ipath);
      if (!text) continue;
      std::string error;
      if (auto f = ParsePartition(*text, &error)) {
        t.partition.push_back(std::move(*f));
      } else {
        p->Error(item, ipath, error);
      }
    }
  }

  if (auto c = m.Get("contracts")) t.contracts = ReadContracts(p, *c, m.Child("contracts"));

  if (auto csv = m.Get("csv")) {
    if (kind_known && kind != SourceKind::kCsv) {
      p->Error(m.MarkOf("csv"), m.Child("csv"), "csv options need a csv source");
    } else {
      ReadCsv(p, *csv, m.Child("csv"), &t.csv);
    }
  }
  if (auto json = m.Get("json")) {
    if (kind_known && kind != SourceKind::kJsonl) {
      p->Error(m.MarkOf("json"), m.Child("json"), "json options need a jsonl source");
    } else {
      MapReader j(p, *json, m.Child("json"), {"max_nesting"});
      if (auto n = j.Int("max_nesting", 0, 64)) t.json.max_nesting = static_cast<int>(*n);
    }
  }

  // Cross-field rules of one table.
  if (t.write_disposition == WriteDisposition::kMerge && t.primary_key.empty() && kind_known &&
      files && !m.Get("primary_key")) {
    p->Error(m.MarkOf("write_disposition"), m.Child("write_disposition"),
             "merge needs a primary_key (files have no key of their own)");
  }
  if (t.incremental && t.write_disposition == WriteDisposition::kReplace) {
    p->Error(m.MarkOf("incremental"), m.Child("incremental"),
             "incremental loading with write_disposition replace would keep only the rows of "
             "the last run; use append or merge");
  }
  return t;
}

bool IsLocalPath(std::string_view s) {
  size_t colon = s.find("://");
  return colon == std::string_view::npos || StartsWith(s, "file://");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string TableConfig::DestinationName() const {
  size_t dot = name.rfind('.');
  return Lower(dot == std::string::npos ? name : name.substr(dot + 1));
}

std::string SourceConfig::RedactedUrl() const { return RedactUrl(url); }
std::string DestinationConfig::RedactedCatalog() const { return RedactUrl(catalog); }
std::string PipelineConfig::RedactedManager() const { return RedactUrl(manager); }

EffectiveContract PipelineConfig::ContractFor(const TableConfig& table) const {
  EffectiveContract out;
  out.tables = table.contracts.tables.value_or(contracts.tables.value_or(ContractMode::kEvolve));
  out.columns = table.contracts.columns.value_or(contracts.columns.value_or(ContractMode::kEvolve));
  out.data_type =
      table.contracts.data_type.value_or(contracts.data_type.value_or(ContractMode::kEvolve));
  return out;
}

BadRowPolicy PipelineConfig::OnBadRowFor(const TableConfig& table) const {
  return table.csv.on_bad_row.value_or(options.on_bad_row);
}

std::optional<int> PipelineConfig::MaxNestingFor(const TableConfig& table) const {
  return table.json.max_nesting ? table.json.max_nesting : options.max_nesting;
}

std::string ConfigError::ToString(std::string_view source_name) const {
  std::string out(source_name);
  if (line > 0) out += fmt::format(":{}:{}", line, column);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    size_t start = scheme_end + 3;
    size_t authority_end = out.find_first_of("/?#", start);
    if (authority_end == std::string::npos) authority_end = out.size();
    // The last '@' of the authority: a password may itself hold '@' when not percent-encoded.
    size_t at = out.rfind('@', authority_end);
    if (at != std::string::npos && at >= start) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // Keyword style: a URL query ("?password=...") or a libpq conninfo ("password=... ").
  size_t pos = 0;
  while ((pos = out.find("password=", pos)) != std::string::npos) {
    size_t value_start = pos + 9;
    size_t value_end = out.find_first_of("& ", value_start);
    if (value_end == std::string::npos) value_end = out.size();
    out.replace(value_start, value_end - value_start, "***");
    pos = value_start + 3;
  }
  return out;
}

Result<TypePtr> ParseIcebergPrimitiveType(std::string_view raw) {
  std::string text = Lower(Trim(raw));
  static const std::pair<std::string_view, TypePtr (*)()> kSimple[] = {
      {"boolean", &Type::Boolean},
      {"int", &Type::Int},
      {"long", &Type::Long},
      {"float", &Type::Float},
      {"double", &Type::Double},
      {"date", &Type::Date},
      {"time", &Type::Time},
      {"timestamp", &Type::Timestamp},
      {"timestamptz", &Type::TimestampTz},
      {"string", &Type::String},
      {"uuid", &Type::Uuid},
      {"binary", &Type::Binary}};
  for (const auto& [name, make] : kSimple) {
    if (text == name) return make();
  }
  std::string name;
  std::vector<std::string> args;
  if (StartsWith(text, "decimal") && SplitCall(text, '(', ')', &name, &args) && name == "decimal" &&
      args.size() == 2) {
    int64_t precision = 0, scale = 0;
    if (ParseInt64(args[0], &precision) && ParseInt64(args[1], &scale) && precision >= INT32_MIN &&
        precision <= INT32_MAX && scale >= INT32_MIN && scale <= INT32_MAX) {
      return Type::MakeDecimal(static_cast<int>(precision), static_cast<int>(scale));
    }
  }
  if (StartsWith(text, "fixed") && SplitCall(text, '[', ']', &name, &args) && name == "fixed" &&
      args.size() == 1) {
    int64_t length = 0;
    if (ParseInt64(args[0], &length) && length >= 1 && length <= INT32_MAX) {
      return Type::Fixed(static_cast<int32_t>(length));
    }
  }
  std::string msg = fmt::format(
      "'{}' is not an Iceberg type (boolean, int, long, float, double, decimal(P,S), date, time, "
      "timestamp, timestamptz, string, uuid, fixed[L] or binary)",
      raw);
  std::string_view hint =
      Suggest(text, {"boolean", "int", "long", "float", "double", "date", "time", "timestamp",
                     "timestamptz", "string", "uuid", "binary"});
  if (!hint.empty() && text.find_first_of("([") == std::string::npos) {
    msg += fmt::format("; did you mean '{}'?", hint);
  }
  return Status::Invalid(std::move(msg));
}

namespace {

void ReadPipeline(Parser* p, const YAML::Node& root, PipelineConfig* cfg) {
  MapReader top(p, root, "",
                {"name", "source", "destination", "cdc", "manager", "manager_token",
                 "manager_flush_timeout", "contracts", "resources", "options"});
  if (!top.valid()) return;

  // name
  if (auto name = top.String("name")) {
    cfg->name = *name;
    bool ok = !name->empty() && std::isalnum(static_cast<unsigned char>((*name)[0])) &&
              std::all_of(name->begin(), name->end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
              });
    if (!ok) {
      p->Error(*top.Get("name"), "name",
               fmt::format("'{}' is not a valid pipeline name (letters, digits, _ and -)", *name));
    }
  } else if (!top.Get("name")) {
    top.Missing("name");
  }

  // source
  bool kind_known = false;
  if (auto src = top.Get("source")) {
    MapReader s(p, *src, "source", {"kind", "url", "path", "tables"});
    if (s.valid()) {
      auto kind = s.Choice<SourceKind>("kind", {{"postgres", SourceKind::kPostgres},
                                                {"sqlite", SourceKind::kSqlite},
                                                {"csv", SourceKind::kCsv},
                                                {"jsonl", SourceKind::kJsonl}});
      if (kind) {
        cfg->source.kind = *kind;
        kind_known = true;
      } else if (!s.Get("kind")) {
        s.Missing("kind", "(postgres, sqlite, csv or jsonl)");
      }
      if (auto url = s.String("url")) cfg->source.url = *url;
      if (auto path = s.String("path")) cfg->source.path = *path;
      SourceKind k = cfg->source.kind;
      if (kind_known && k == SourceKind::kPostgres) {
        if (cfg->source.url.empty() && !s.Get("url")) {
          s.Missing("url", "for a postgres source (postgresql://user:${PASSWORD}@host/db)");
        } else if (!cfg->source.url.empty() && !StartsWith(cfg->source.url, "postgresql://") &&
                   !StartsWith(cfg->source.url, "postgres://")) {
          p->Error(*s.Get("url"), "source.url",
                   fmt::format("'{}' is not a postgresql:// URL", RedactUrl(cfg->source.url)));
        }
        if (s.Get("path")) {
          p->Error(s.MarkOf("path"), "source.path", "a postgres source takes url, not path");
        }
      }
      if (kind_known && k == SourceKind::kSqlite) {
        if (cfg->source.path.empty() && !s.Get("path")) {
          s.Missing("path", "for a sqlite source (the database file)");
        }
        if (s.Get("url")) {
          p->Error(s.MarkOf("url"), "source.url", "a sqlite source takes path, not url");
        }
      }
      if (kind_known && (k == SourceKind::kCsv || k == SourceKind::kJsonl)) {
        for (std::string_view key : {"url", "path"}) {
          if (s.Get(key)) {
            p->Error(s.MarkOf(key), s.Child(key),
                     fmt::format("a {} source names its files per table: give each table a path",
                                 SourceKindName(k)));
          }
        }
      }

      // tables
      auto tables = s.Get("tables");
      if (!tables) {
        s.Missing("tables", "(a list of tables)");
      } else if (!tables->IsSequence()) {
        p->Error(*tables, "source.tables", "expected a list of tables");
      } else if (tables->size() == 0) {
        p->Error(*tables, "source.tables", "lists no table");
      } else {
        std::map<std::string, std::pair<std::string, int>> by_name, by_dest;
        for (size_t i = 0; i < tables->size(); ++i) {
          std::string tpath = fmt::format("source.tables[{}]", i);
          YAML::Node tn = (*tables)[i];
          TableConfig t = ReadTable(p, cfg->source.kind, kind_known, tn, tpath);
          if (!t.name.empty()) {
            int line = tn.Mark().line + 1;
            std::string key = Lower(t.name);
            if (auto it = by_name.find(key); it != by_name.end()) {
              p->Error(tn, tpath + ".name",
                       fmt::format("duplicate table '{}' (first at line {})", t.name,
                                   it->second.second));
            } else {
              by_name[key] = {t.name, line};
              std::string dest = t.DestinationName();
              if (auto d = by_dest.find(dest); d != by_dest.end()) {
                p->Error(tn, tpath + ".name",
                         fmt::format("'{}' and '{}' (line {}) would both load into table '{}'",
                                     t.name, d->second.first, d->second.second, dest));
              } else {
                by_dest[dest] = {t.name, line};
              }
            }
          }
          cfg->source.tables.push_back(std::move(t));
        }
      }
    }
  } else {
    top.Missing("source");
  }

  // destination
  if (auto dst = top.Get("destination")) {
    MapReader d(p, *dst, "destination", {"warehouse", "catalog", "namespace"});
    if (d.valid()) {
      DestinationConfig& dc = cfg->destination;
      if (auto w = d.String("warehouse")) dc.warehouse = *w;
      if (dc.warehouse.empty()) {
        if (!d.Get("warehouse")) d.Missing("warehouse", "(a directory or file:// URI)");
      } else if (!IsLocalPath(dc.warehouse)) {
        p->Error(*d.Get("warehouse"), "destination.warehouse",
                 fmt::format("'{}' is not a local path or file:// URI (object stores come later)",
                             RedactUrl(dc.warehouse)));
      }
      if (auto c = d.String("catalog")) dc.catalog = *c;
      if (dc.catalog.empty() && !dc.warehouse.empty() && IsLocalPath(dc.warehouse)) {
        std::string dir =
            StartsWith(dc.warehouse, "file://") ? dc.warehouse.substr(7) : dc.warehouse;
        while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
        dc.catalog = "sqlite:///" + dir + "/catalog.db";
      } else if (!dc.catalog.empty() && !StartsWith(dc.catalog, "sqlite:///") &&
                 !StartsWith(dc.catalog, "postgresql://") &&
                 !StartsWith(dc.catalog, "postgres://")) {
        p->Error(*d.Get("catalog"), "destination.catalog",
                 fmt::format("'{}' is not a catalog URI: use sqlite:///PATH or postgresql://...",
                             RedactUrl(dc.catalog)));
      }
      if (auto ns = d.String("namespace")) {
        dc.ns = *ns;
        bool ok = !ns->empty();
        size_t start = 0;
        while (ok) {
          size_t dot = ns->find('.', start);
          ok = IsIdentifier(std::string_view(*ns).substr(
              start, dot == std::string::npos ? std::string::npos : dot - start));
          if (dot == std::string::npos) break;
          start = dot + 1;
        }
        if (!ok) {
          p->Error(*d.Get("namespace"), "destination.namespace",
                   fmt::format("'{}' is not a valid namespace: lower-case letters, digits and _, "
                               "not starting with a digit, dots between levels",
                               *ns));
        }
      } else if (!cfg->name.empty()) {
        dc.ns = ToIdentifier(cfg->name);
        if (!IsIdentifier(dc.ns)) {
          d.Missing("namespace", "(the pipeline name is too long to serve as one)");
        }
      }
    }
  } else {
    top.Missing("destination");
  }

  // cdc
  if (top.Has("cdc")) {
    CdcConfig cdc;
    std::string base = ToIdentifier(cfg->name.empty() ? "pipeline" : cfg->name);
    cdc.slot = "nilus_" + base;
    cdc.publication = "nilus_" + base;
    YAML::Node node = top.Get("cdc").value_or(YAML::Node());
    MapReader c(p, node, "cdc",
                {"slot", "publication", "flush_interval", "heartbeat", "metrics_port",
                 "changelog_partition"});
    if (kind_known && cfg->source.kind != SourceKind::kPostgres) {
      p->Error(
          top.MarkOf("cdc"), "cdc",
          fmt::format("CDC needs a postgres source, not {}", SourceKindName(cfg->source.kind)));
    }
    for (std::string_view key : {"slot", "publication"}) {
      if (auto v = c.String(key)) {
        if (!IsIdentifier(*v)) {
          p->Error(*c.Get(key), c.Child(key),
                   fmt::format("'{}' is not a valid {} name: lower-case letters, digits and _, "
                               "at most 63 characters",
                               *v, key));
        }
        (key == "slot" ? cdc.slot : cdc.publication) = *v;
      }
    }
    if (auto f = c.Duration("flush_interval")) {
      if (f->count() <= 0) {
        p->Error(*c.Get("flush_interval"), "cdc.flush_interval", "must be longer than 0");
      } else {
        cdc.flush_interval = *f;
      }
    }
    if (auto h = c.Duration("heartbeat")) {
      if (h->count() <= 0) {
        p->Error(*c.Get("heartbeat"), "cdc.heartbeat",
                 "must be longer than 0 (leave it out to turn heartbeats off)");
      } else {
        cdc.heartbeat = *h;
      }
    }
    for (std::string_view key : {"slot", "publication"}) {
      if (!c.Get(key) && !IsIdentifier(key == "slot" ? cdc.slot : cdc.publication)) {
        c.Missing(key, "(the pipeline name is too long to make the default)");
      }
    }
    if (auto port = c.Int("metrics_port", 1, 65535)) cdc.metrics_port = static_cast<int>(*port);
    if (auto part = c.String("changelog_partition")) {
      if (*part == "none") {
        cdc.changelog_partition.clear();
      } else if (*part == "hour" || *part == "day" || *part == "month" || *part == "year") {
        cdc.changelog_partition = *part;
      } else {
        p->Error(*c.Get("changelog_partition"), "cdc.changelog_partition",
                 fmt::format("'{}' is not one of none, hour, day, month, year", *part));
      }
    }
    bool postgres = !kind_known || cfg->source.kind == SourceKind::kPostgres;
    for (size_t i = 0; postgres && i < cfg->source.tables.size(); ++i) {
      if (cfg->source.tables[i].incremental) {
        YAML::Node tables = (*top.Get("source"))["tables"];
        p->Error(tables[i]["incremental"], fmt::format("source.tables[{}].incremental", i),
                 "a CDC pipeline streams changes from the WAL; incremental is for batch runs");
      }
    }
    cfg->cdc = cdc;
  }

  // manager
  if (auto m = top.String("manager")) {
    cfg->manager = *m;
    if (!StartsWith(*m, "http://") && !StartsWith(*m, "https://")) {
      p->Error(*top.Get("manager"), "manager",
               fmt::format("'{}' is not an http:// or https:// URL", RedactUrl(*m)));
    }
  }
  // The token goes into an HTTP header: no whitespace or control characters. Messages never
  // quote it.
  auto bad_token = [](const std::string& t) {
    return std::any_of(t.begin(), t.end(), [](char c) {
      return std::iscntrl(static_cast<unsigned char>(c)) ||
             std::isspace(static_cast<unsigned char>(c));
    });
  };
  if (auto t = top.String("manager_token")) {
    cfg->manager_token = *t;
    if (bad_token(*t)) {
      p->Error(top.MarkOf("manager_token"), "manager_token",
               "must not contain spaces or control characters");
    }
  }
  if (cfg->manager_token.empty()) {
    if (std::optional<std::string> t = p->Env("NILUS_MANAGER_TOKEN")) {
      cfg->manager_token = *t;
      if (bad_token(*t)) {
        p->Error(top.MarkOf("manager_token"), "manager_token",
                 "the NILUS_MANAGER_TOKEN environment variable must not contain spaces or control "
                 "characters");
      }
    }
  }
  if (auto f = top.Duration("manager_flush_timeout")) {
    if (*f > std::chrono::hours(1)) {
      p->Error(*top.Get("manager_flush_timeout"), "manager_flush_timeout",
               fmt::format("{} is longer than 1h", FormatDuration(*f)));
    } else {
      cfg->manager_flush_timeout = *f;
    }
  }

  if (auto c = top.Get("contracts")) cfg->contracts = ReadContracts(p, *c, "contracts");

  // resources
  if (auto r = top.Get("resources")) {
    MapReader m(p, *r, "resources",
                {"memory_budget", "target_file_size", "row_group_size", "worker_threads",
                 "pg_connections"});
    ResourceConfig& rc = cfg->resources;
    if (auto v = m.Size("memory_budget", int64_t{16} << 20)) rc.memory_budget = *v;
    if (auto v = m.Size("target_file_size", int64_t{1} << 20)) rc.target_file_size = *v;
    if (auto v = m.Size("row_group_size", int64_t{64} << 10)) rc.row_group_size = *v;
    if (auto v = m.Int("worker_threads", 0, 1024)) rc.worker_threads = static_cast<int>(*v);
    if (auto v = m.Int("pg_connections", 1, 64)) rc.pg_connections = static_cast<int>(*v);
    if (rc.row_group_size > rc.target_file_size) {
      p->Error(m.MarkOf("row_group_size"), "resources.row_group_size",
               fmt::format("{} is larger than target_file_size ({})",
                           FormatByteSize(rc.row_group_size), FormatByteSize(rc.target_file_size)));
    }
    if (rc.row_group_size > rc.memory_budget / 2) {
      p->Error(m.MarkOf("memory_budget"), "resources.memory_budget",
               fmt::format("{} leaves no room for two row groups of {}",
                           FormatByteSize(rc.memory_budget), FormatByteSize(rc.row_group_size)));
    }
  }

  // options
  if (auto o = top.Get("options")) {
    MapReader m(p, *o, "options", {"on_bad_row", "numeric_nan", "max_nesting"});
    if (auto v = m.Choice("on_bad_row", kBadRowPolicies)) cfg->options.on_bad_row = *v;
    if (auto v = m.Choice<NumericNanPolicy>(
            "numeric_nan",
            {{"null", NumericNanPolicy::kNull}, {"string", NumericNanPolicy::kString}})) {
      cfg->options.numeric_nan = *v;
    }
    if (auto v = m.Int("max_nesting", 0, 64)) cfg->options.max_nesting = static_cast<int>(*v);
  }
}

}  // namespace

Result<PipelineConfig> ParsePipelineConfig(std::string_view text, std::string_view source_name,
                                           const EnvLookup& env, std::vector<ConfigError>* errors) {
  Parser p(env);
  PipelineConfig cfg;
  // yaml-cpp reports by exception; they stop here.
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsDefined() || root.IsNull()) {
      p.Error(YAML::Mark(), "", "the file is empty: expected name, source and destination");
    } else {
      ReadPipeline(&p, root, &cfg);
    }
  } catch (const YAML::Exception& e) {
    p.Error(e.mark, "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    p.Error(YAML::Mark::null_mark(), "", e.what());
  }
  std::vector<ConfigError>& found = p.errors();
  std::stable_sort(found.begin(), found.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  if (errors != nullptr) errors->insert(errors->end(), found.begin(), found.end());
  if (found.empty()) return cfg;
  std::string msg =
      fmt::format("{}: {} error{}", source_name, found.size(), found.size() == 1 ? "" : "s");
  for (const ConfigError& e : found) msg += "\n" + e.ToString(source_name);
  return Status::Invalid(std::move(msg));
}

Result<PipelineConfig> LoadPipelineConfig(FileIO* io, const std::string& path, const EnvLookup& env,
                                          std::vector<ConfigError>* errors) {
  Result<std::string> text = io->ReadFile(path);
  if (!text.ok()) return text.status().WithContext("cannot read pipeline file " + path);
  return ParsePipelineConfig(*text, path, env, errors);
}

Result<PipelineConfig> LoadPipelineConfig(const std::string& path, const EnvLookup& env,
                                          std::vector<ConfigError>* errors) {
  return LoadPipelineConfig(LocalFileIO::Make().get(), path, env, errors);
}

}  // namespace nilus::pipeline
