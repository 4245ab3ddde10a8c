// JSON output modes as grammars (grammar.h): any JSON object (OpenAI's
// response_format json_object, Ollama's format "json") and a subset of JSON
// Schema (response_format json_schema, Ollama's format {schema}).
//
//   auto g = JsonSchemaGrammar(nlohmann::ordered_json::parse(schema_text));
//   if (!g) return g.error();   // "unsupported JSON schema keyword 'pattern'"
//
// Supported: type (object, array, string, number, integer, boolean, null,
// or a list of them), properties, required, additionalProperties (false,
// true/absent, or a schema), enum, const, items, minItems, maxItems,
// minLength, maxLength, anyOf, oneOf (not exclusive: any branch), allOf with
// one schema, $ref to "#" or inside the document ("#/$defs/x",
// "#/definitions/x"), minimum 0 or 1 and exclusiveMinimum 0 on integers
// (minimum 0 on numbers). Annotations (title, description, default,
// examples, format, $schema, $id, ...) are ignored. Keywords that would
// narrow what is valid but are not supported (pattern, maximum, uniqueItems,
// not, if, ...) give an Error naming the keyword, so output never claims to
// follow a schema it ignores.
//
// Choices (documented because they shape the output):
//  - listed properties come in the schema's order (ordered_json keeps it),
//    required ones always, optional ones maybe; extra keys (when allowed)
//    follow them - and, as a grammar cannot cheaply exclude names, an extra
//    key may repeat a listed one;
//  - whitespace is optional and bounded (one space, or a newline and up to
//    20 spaces, between tokens; one optional leading space for vocabularies
//    that glue a space onto the first word), so a model cannot loop in it;
//  - numbers have at most 16 integer digits, 16 fraction digits and a 2-digit
//    exponent, so that every value ends (and fits a double: strict parsers
//    reject 1e400);
//  - strings are UTF-8 without control characters; escapes include \uXXXX
//    with surrogates only in valid pairs (what strict JSON parsers accept).
// A $ref cycle that consumes no input (a schema that is itself) is an Error.
//
// Cost: linear in the schema (compiling, then parsing the grammar text). The
// returned Grammar is immutable and shareable; servers may cache it by
// schema text. JsonObjectGrammar() is parsed once per process and shared.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "sampling/grammar.h"

namespace shimmy {

// Grammar text for any JSON object.
std::string JsonObjectGbnf();
// Grammar text for values valid under `schema`.
Result<std::string> JsonSchemaToGbnf(const nlohmann::ordered_json& schema);

Result<std::shared_ptr<const Grammar>> JsonObjectGrammar();
Result<std::shared_ptr<const Grammar>> JsonSchemaGrammar(const nlohmann::ordered_json& schema);

}  // namespace shimmy
