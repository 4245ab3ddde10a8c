#include "sampling/json_schema.h"

#include <set>
#include <unordered_map>
#include <vector>

namespace shimmy {
namespace {

using Json = nlohmann::ordered_json;

// The JSON building blocks every generated grammar shares. Bounded
// whitespace and digit runs make every value finite (see the header).
constexpr const char* kJsonRules = R"(ws ::= ( " " | "\n" " "{0,20} )?
json-hex ::= [0-9a-fA-F]
json-hex4 ::= [0-9a-cA-Ce-fE-F] json-hex json-hex json-hex | [dD] [0-7] json-hex json-hex
  | [dD] [89abAB] json-hex json-hex "\\u" [dD] [c-fC-F] json-hex json-hex
json-char ::= [^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" json-hex4 )
json-string ::= "\"" json-char* "\""
json-uint ::= "0" | [1-9] [0-9]{0,15}
json-int ::= "-"? json-uint
json-unumber ::= json-uint ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,2} )?
json-number ::= "-"? json-unumber
json-bool ::= "true" | "false"
json-null ::= "null"
json-value ::= json-object | json-array | json-string | json-number | json-bool | json-null
json-object ::= "{" ws ( json-member ( "," ws json-member )* )? "}"
json-member ::= json-string ws ":" ws json-value ws
json-array ::= "[" ws ( json-value ws ( "," ws json-value ws )* )? "]"
)";

constexpr int kMaxDepth = 64;
constexpr uint64_t kMaxCount = 100000;

// Keywords that narrow validity and are not implemented.
const std::set<std::string>& Unsupported() {
  static const std::set<std::string> k = {"pattern",
                                          "patternProperties",
                                          "propertyNames",
                                          "minProperties",
                                          "maxProperties",
                                          "dependentRequired",
                                          "dependentSchemas",
                                          "dependencies",
                                          "if",
                                          "then",
                                          "else",
                                          "not",
                                          "contains",
                                          "minContains",
                                          "maxContains",
                                          "prefixItems",
                                          "unevaluatedProperties",
                                          "unevaluatedItems",
                                          "multipleOf",
                                          "maximum",
                                          "exclusiveMaximum",
                                          "$dynamicRef",
                                          "$recursiveRef",
                                          "additionalItems"};
  return k;
}

// A GBNF literal matching exactly `bytes`.
std::string Lit(const std::string& bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string Repeat(uint64_t min, uint64_t max, bool unbounded) {
  if (unbounded) return min == 0 ? "*" : "{" + std::to_string(min) + ",}";
  return "{" + std::to_string(min) + "," + std::to_string(max) + "}";
}

class SchemaCompiler {
 public:
  explicit SchemaCompiler(const Json& root) : root_(root) {}

  Result<std::string> Run() {
    auto top = Ref("#", 0);
    if (!top) return top;
    return "root ::= \" \"? " + *top + "\n" + rules_ + kJsonRules;
  }

 private:
  std::string NewRule(const std::string& hint, const std::string& body) {
    std::string base;
    for (char c : hint.substr(0, 40)) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      base += ok ? c : '-';
    }
    std::string name = "s-" + base;
    for (int i = 2; !names_.insert(name).second; ++i) name = "s-" + base + "-" + std::to_string(i);
    if (!body.empty()) rules_ += name + " ::= " + body + "\n";
    return name;
  }

  Result<std::string> Ref(const std::string& ref, int depth) {
    if (auto it = refs_.find(ref); it != refs_.end()) return it->second;
    if (ref.empty() || ref[0] != '#') {
      return Error("$ref '" + ref + "': only references inside the schema (#/...) are supported");
    }
    const Json* target = nullptr;
    try {
      target = &root_.at(Json::json_pointer(ref.substr(1)));
    } catch (const Json::exception&) {
      return Error("$ref '" + ref + "' does not point into the schema");
    }
    const std::string hint = ref == "#" ? "root" : ref.substr(ref.find_last_of('/') + 1);
    const std::string name = NewRule(hint, "");
    refs_[ref] = name;  // before compiling: recursive references find it
    auto body = Value(*target, name, depth + 1);
    if (!body) return body;
    rules_ += name + " ::= " + *body + "\n";
    return name;
  }

  // A GBNF expression for the values `schema` accepts.
  Result<std::string> Value(const Json& schema, const std::string& hint, int depth) {
    if (depth > kMaxDepth) return Error("the schema is nested too deeply");
    if (schema.is_boolean()) {
      if (schema.get<bool>()) return std::string("json-value");
      return Error("schema 'false' accepts nothing");
    }
    if (!schema.is_object()) return Error("a schema must be an object or a boolean");
    for (const auto& [key, v] : schema.items()) {
      if (Unsupported().count(key) != 0)
        return Error("unsupported JSON schema keyword '" + key + "'");
      if (key == "uniqueItems" && v.is_boolean() && v.get<bool>()) {
        return Error("unsupported JSON schema keyword 'uniqueItems'");
      }
    }
    if (schema.contains("$ref")) {
      if (!schema["$ref"].is_string()) return Error("$ref must be a string");
      return Ref(schema["$ref"].get<std::string>(), depth);
    }
    if (schema.contains("const")) return Lit(Dump(schema["const"]));
    if (schema.contains("enum")) {
      const Json& e = schema["enum"];
      if (!e.is_array() || e.empty()) return Error("enum must be a non-empty array");
      std::string body;
      for (const Json& v : e) body += (body.empty() ? "" : " | ") + Lit(Dump(v));
      return NewRule(hint, body);
    }
    for (const char* key : {"anyOf", "oneOf", "allOf"}) {
      if (!schema.contains(key)) continue;
      const Json& list = schema[key];
      if (!list.is_array() || list.empty())
        return Error(std::string(key) + " must be a non-empty array");
      if (std::string(key) == "allOf" && list.size() != 1) {
        return Error("unsupported JSON schema keyword 'allOf' (with more than one schema)");
      }
      std::string body;
      for (size_t i = 0; i < list.size(); ++i) {
        auto alt = Value(list[i], hint + "-" + std::to_string(i), depth + 1);
        if (!alt) return alt;
        body += (body.empty() ? "" : " | ") + *alt;
      }
      return NewRule(hint, body);
    }

    std::vector<std::string> types;
    if (schema.contains("type")) {
      const Json& t = schema["type"];
      if (t.is_string()) types.push_back(t.get<std::string>());
      if (t.is_array()) {
        for (const Json& x : t) {
          if (!x.is_string()) return Error("type must be a string or an array of strings");
          types.push_back(x.get<std::string>());
        }
      }
      if (types.empty()) return Error("type must be a string or a non-empty array of strings");
    } else if (schema.contains("properties") || schema.contains("required") ||
               schema.contains("additionalProperties")) {
      types.push_back("object");
    } else if (schema.contains("items") || schema.contains("minItems") ||
               schema.contains("maxItems")) {
      types.push_back("array");
    } else if (schema.contains("minLength") || schema.contains("maxLength")) {
      types.push_back("string");
    } else if (schema.contains("minimum") || schema.contains("exclusiveMinimum")) {
      return Error("unsupported JSON schema keyword 'minimum' (without a type)");
    } else {
      return std::string("json-value");
    }
    std::string body;
    for (const std::string& t : types) {
      auto alt = Typed(schema, t, hint, depth);
      if (!alt) return alt;
      body += (body.empty() ? "" : " | ") + *alt;
    }
    return types.size() == 1 ? body : NewRule(hint, body);
  }

  // A bound keyword as a count: absent -> `fallback`.
  Result<uint64_t> Count(const Json& schema, const char* key, uint64_t fallback) {
    if (!schema.contains(key)) return fallback;
    const Json& v = schema[key];
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
      return Error(std::string(key) + " must be a non-negative integer");
    }
    const uint64_t n = v.get<uint64_t>();
    if (n > kMaxCount)
      return Error(std::string(key) + " over " + std::to_string(kMaxCount) + " is not supported");
    return n;
  }

  Result<std::string> Typed(const Json& schema, const std::string& type, const std::string& hint,
                            int depth) {
    if (type == "boolean") return std::string("json-bool");
    if (type == "null") return std::string("json-null");
    if (type == "string") {
      auto min = Count(schema, "minLength", 0);
      auto max = Count(schema, "maxLength", kMaxCount + 1);
      if (!min) return min.error();
      if (!max) return max.error();
      if (*min > *max) return Error("minLength > maxLength");
      if (*min == 0 && *max > kMaxCount) return std::string("json-string");
      return NewRule(hint,
                     "\"\\\"\" json-char" + Repeat(*min, *max, *max > kMaxCount) + " \"\\\"\"");
    }
    if (type == "integer" || type == "number") return NumberRule(schema, type == "integer");
    if (type == "array") return Array(schema, hint, depth);
    if (type == "object") return Object(schema, hint, depth);
    return Error("unknown type '" + type + "'");
  }

  Result<std::string> NumberRule(const Json& schema, bool integer) {
    const std::string any = integer ? "json-int" : "json-number";
    const std::string unsigned_any = integer ? "json-uint" : "json-unumber";
    const bool has_min = schema.contains("minimum"), has_xmin = schema.contains("exclusiveMinimum");
    if (!has_min && !has_xmin) return any;
    const Json& v = has_min ? schema["minimum"] : schema["exclusiveMinimum"];
    if (has_min && has_xmin)
      return Error("unsupported JSON schema keyword 'exclusiveMinimum' (with minimum)");
    if (v.is_number() && v.get<double>() == 0 && has_min) return unsigned_any;
    if (integer && v.is_number() &&
        ((has_min && v.get<double>() == 1) || (has_xmin && v.get<double>() == 0))) {
      return std::string("[1-9] [0-9]{0,15}");
    }
    return Error(std::string("unsupported JSON schema keyword '") +
                 (has_min ? "minimum" : "exclusiveMinimum") + "' (only minimum 0" +
                 (integer ? ", minimum 1 or exclusiveMinimum 0" : "") + " is supported)");
  }

  Result<std::string> Array(const Json& schema, const std::string& hint, int depth) {
    std::string item = "json-value";
    if (schema.contains("items")) {
      auto v = Value(schema["items"], hint + "-item", depth + 1);
      if (!v) return v;
      item = *v;
    }
    auto min = Count(schema, "minItems", 0);
    auto max = Count(schema, "maxItems", kMaxCount + 1);
    if (!min) return min.error();
    if (!max) return max.error();
    if (*min > *max) return Error("minItems > maxItems");
    if (*max == 0) return NewRule(hint, "\"[\" ws \"]\"");
    const bool unbounded = *max > kMaxCount;
    const std::string more = "( \",\" ws " + item + " ws )";
    if (*min == 0) {
      return NewRule(hint, "\"[\" ws ( " + item + " ws " + more + Repeat(0, *max - 1, unbounded) +
                               " )? \"]\"");
    }
    return NewRule(hint, "\"[\" ws " + item + " ws " + more +
                             Repeat(*min - 1, *max - 1, unbounded) + " \"]\"");
  }

  // Listed properties in order, then extra members when allowed. F(i): the
  // members from property i on with none written yet; S(i): the same after
  // at least one (so each is preceded by a comma).
  Result<std::string> Object(const Json& schema, const std::string& hint, int depth) {
    struct Prop {
      std::string name;
      const Json* schema;
      bool required = false;
    };
    static const Json kAny = true;
    std::vector<Prop> props;
    if (schema.contains("properties")) {
      if (!schema["properties"].is_object()) return Error("properties must be an object");
      for (const auto& [k, v] : schema["properties"].items()) props.push_back({k, &v});
    }
    std::string extra;
    const Json addl = schema.value("additionalProperties", Json(true));
    if (!(addl.is_boolean() && !addl.get<bool>())) {
      std::string value = "json-value";
      if (!addl.is_boolean()) {
        auto v = Value(schema["additionalProperties"], hint + "-extra", depth + 1);
        if (!v) return v;
        value = *v;
      }
      extra = NewRule(hint + "-kv", "json-string ws \":\" ws " + value + " ws");
    }
    if (schema.contains("required")) {
      if (!schema["required"].is_array()) return Error("required must be an array");
      for (const Json& r : schema["required"]) {
        if (!r.is_string()) return Error("required must list strings");
        const std::string name = r.get<std::string>();
        bool found = false;
        for (Prop& p : props) {
          if (p.name == name) p.required = found = true;
        }
        if (found) continue;
        if (extra.empty())
          return Error("required property '" + name + "' is not allowed by additionalProperties");
        props.push_back({name, &kAny, true});
      }
    }
    std::string s_next = extra.empty() ? "" : "( \",\" ws " + extra + " )*";
    std::string f_next = extra.empty() ? "" : "( " + extra + " ( \",\" ws " + extra + " )* )?";
    for (size_t i = props.size(); i-- > 0;) {
      auto v = Value(*props[i].schema, hint + "-" + props[i].name, depth + 1);
      if (!v) return v;
      const std::string member =
          NewRule(hint + "-" + props[i].name + "-kv",
                  Lit(Dump(Json(props[i].name))) + " ws \":\" ws " + *v + " ws");
      std::string s, f;
      if (props[i].required) {
        s = "\",\" ws " + member + " " + s_next;
        f = member + " " + s_next;
      } else {
        s = "( \",\" ws " + member + " )? " + s_next;
        f = member + " " + s_next + " | " + (f_next.empty() ? "\"\"" : f_next);
      }
      s_next = NewRule(hint + "-after", s);
      f_next = NewRule(hint + "-from", f);
    }
    return NewRule(hint, "\"{\" ws " + f_next + " \"}\"");
  }

  const Json& root_;
  std::string rules_;
  std::set<std::string> names_;
  std::unordered_map<std::string, std::string> refs_;
};

}  // namespace

std::string JsonObjectGbnf() { return std::string("root ::= \" \"? json-object\n") + kJsonRules; }

Result<std::string> JsonSchemaToGbnf(const nlohmann::ordered_json& schema) {
  auto text = SchemaCompiler(schema).Run();
  if (!text) return text.error().Context("JSON schema");
  return text;
}

Result<std::shared_ptr<const Grammar>> JsonObjectGrammar() {
  // Parsed once per process: the grammar is immutable and shared.
  static const Result<std::shared_ptr<const Grammar>> kGrammar = Grammar::Parse(JsonObjectGbnf());
  return kGrammar;
}

Result<std::shared_ptr<const Grammar>> JsonSchemaGrammar(const nlohmann::ordered_json& schema) {
  auto text = JsonSchemaToGbnf(schema);
  if (!text) return text.error();
  auto g = Grammar::Parse(*text);
  if (!g) return g.error().Context("JSON schema");
  return g;
}

}  // namespace shimmy
