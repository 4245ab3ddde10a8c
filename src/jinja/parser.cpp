#include "jinja/parser.h"

#include <algorithm>
#include <utility>

#include "jinja/parser_internal.h"
#include "jinja/try.h"

namespace shimmy::jinja {

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kText:
      return "template text";
    case TokenKind::kVarBegin:
      return "'{{'";
    case TokenKind::kVarEnd:
      return "end of print statement";
    case TokenKind::kBlockBegin:
      return "'{%'";
    case TokenKind::kBlockEnd:
      return "end of statement block";
    case TokenKind::kName:
      return "'" + t.text + "'";
    case TokenKind::kString:
      return "string literal";
    case TokenKind::kInt:
      return "integer";
    case TokenKind::kFloat:
      return "float";
    case TokenKind::kOperator:
      return "'" + t.text + "'";
    case TokenKind::kEof:
      return "end of template";
  }
  return "token";
}

Result<Body> Parser::ParseBody(std::initializer_list<std::string_view> end_names,
                               std::string* found) {
  Body body;
  while (true) {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kText: {
        auto stmt = MakeNode<TextStmt>(t);
        stmt->text = Next().text;
        body.push_back(std::move(stmt));
        break;
      }
      case TokenKind::kVarBegin: {
        auto stmt = MakeNode<PrintStmt>(Next());
        SHIMMY_JINJA_ASSIGN(stmt->expr, ParseTuple(true, {}, false));
        if (Peek().kind != TokenKind::kVarEnd) return Unexpected(Peek(), "end of print statement");
        Next();
        body.push_back(std::move(stmt));
        break;
      }
      case TokenKind::kBlockBegin: {
        const Token& name = Peek(1);
        if (name.kind == TokenKind::kName) {
          for (std::string_view end : end_names) {
            if (name.text == end) {
              Next();  // "{%"; the caller consumes the name
              *found = name.text;
              return body;
            }
          }
        }
        Next();
        StmtPtr stmt;
        SHIMMY_JINJA_ASSIGN(stmt, ParseStatement());
        body.push_back(std::move(stmt));
        break;
      }
      case TokenKind::kEof: {
        if (end_names.size() == 0) return body;
        std::string expected;
        for (std::string_view end : end_names) {
          expected += expected.empty() ? "'" : " or '";
          expected += end;
          expected += "'";
        }
        return Fail(t, "unexpected end of template, expected " + expected);
      }
      default:
        return Unexpected(t, "template text or a tag");
    }
  }
}

Result<StmtPtr> Parser::ParseStatement() {
  DepthGuard guard(depth_);
  const Token& at = Peek();
  if (guard.exceeded()) return Fail(at, "blocks nested too deeply");
  if (at.kind != TokenKind::kName) return Unexpected(at, "a statement name");
  const std::string name = Next().text;
  if (name == "if") return ParseIf(at);
  if (name == "for") return ParseFor(at);
  if (name == "set") return ParseSet(at);
  if (name == "macro") return ParseMacro(at);
  if (name == "call") return ParseCallBlock(at);
  if (name == "filter") return ParseFilterBlock(at);
  if (name == "with") return ParseWith(at);
  if (name == "generation") return ParseScope(at, "endgeneration");
  if (name == "break" || name == "continue") {
    if (loop_depth_ == 0) return Fail(at, "'" + name + "' outside loop");
    SHIMMY_JINJA_CHECK(ExpectBlockEnd());
    if (name == "break") return StmtPtr(MakeNode<BreakStmt>(at));
    return StmtPtr(MakeNode<ContinueStmt>(at));
  }
  return Fail(at, "encountered unknown tag '" + name + "'");
}

Result<StmtPtr> Parser::ParseIf(const Token& at) {
  auto stmt = MakeNode<IfStmt>(at);
  std::string found = "if";
  while (true) {
    ExprPtr cond;
    SHIMMY_JINJA_ASSIGN(cond, ParseTuple(false, {}, false));
    SHIMMY_JINJA_CHECK(ExpectBlockEnd());
    Body body;
    SHIMMY_JINJA_ASSIGN(body, ParseBody({"elif", "else", "endif"}, &found));
    stmt->branches.emplace_back(std::move(cond), std::move(body));
    if (found == "elif") {
      Next();
      continue;
    }
    if (found == "else") {
      SHIMMY_JINJA_CHECK(FinishEnd());
      SHIMMY_JINJA_ASSIGN(stmt->else_body, ParseBody({"endif"}, &found));
    }
    SHIMMY_JINJA_CHECK(FinishEnd());
    return StmtPtr(std::move(stmt));
  }
}

Result<StmtPtr> Parser::ParseFor(const Token& at) {
  auto stmt = MakeNode<ForStmt>(at);
  SHIMMY_JINJA_ASSIGN(stmt->target, ParseAssignTarget(false, "in"));
  if (!IsName("in")) return Unexpected(Peek(), "'in'");
  Next();
  SHIMMY_JINJA_ASSIGN(stmt->iter, ParseTuple(false, {"recursive"}, false));
  if (IsName("if")) {
    Next();
    SHIMMY_JINJA_ASSIGN(stmt->filter, ParseExpression());
  }
  if (IsName("recursive")) {
    Next();
    stmt->recursive = true;
  }
  SHIMMY_JINJA_CHECK(ExpectBlockEnd());
  std::string found;
  ++loop_depth_;
  for_stack_.push_back(stmt.get());
  auto body = ParseBody({"endfor", "else"}, &found);
  for_stack_.pop_back();
  --loop_depth_;
  if (!body) return body.error();
  stmt->body = std::move(*body);
  if (found == "else") {
    SHIMMY_JINJA_CHECK(FinishEnd());
    SHIMMY_JINJA_ASSIGN(stmt->else_body, ParseBody({"endfor"}, &found));
  }
  SHIMMY_JINJA_CHECK(FinishEnd());
  return StmtPtr(std::move(stmt));
}

Result<StmtPtr> Parser::ParseSet(const Token& at) {
  ExprPtr target;
  SHIMMY_JINJA_ASSIGN(target, ParseAssignTarget(true, ""));
  if (IsOp("=")) {
    Next();
    auto stmt = MakeNode<SetStmt>(at);
    stmt->target = std::move(target);
    SHIMMY_JINJA_ASSIGN(stmt->value, ParseTuple(true, {}, false));
    SHIMMY_JINJA_CHECK(ExpectBlockEnd());
    return StmtPtr(std::move(stmt));
  }
  auto stmt = MakeNode<SetBlockStmt>(at);
  stmt->target = std::move(target);
  if (IsOp("|")) {
    Next();
    SHIMMY_JINJA_ASSIGN(stmt->filter, ParseFilter(nullptr, true));
  }
  SHIMMY_JINJA_CHECK(ExpectBlockEnd());
  std::string found;
  SHIMMY_JINJA_ASSIGN(stmt->body, ParseBody({"endset"}, &found));
  SHIMMY_JINJA_CHECK(FinishEnd());
  return StmtPtr(std::move(stmt));
}

Status Parser::ParseSignature(MacroDef& def) {
  SHIMMY_JINJA_CHECK(ExpectOp("("));
  while (!IsOp(")")) {
    if (!def.params.empty()) SHIMMY_JINJA_CHECK(ExpectOp(","));
    if (IsOp(")")) break;  // trailing comma
    std::string name;
    SHIMMY_JINJA_ASSIGN(name, ExpectName());
    ExprPtr default_value;
    if (IsOp("=")) {
      Next();
      SHIMMY_JINJA_ASSIGN(default_value, ParseExpression());
    } else if (!def.defaults.empty() && def.defaults.back() != nullptr) {
      return Fail(Peek(), "non-default argument follows default argument");
    }
    def.params.push_back(std::move(name));
    def.defaults.push_back(std::move(default_value));
  }
  Next();  // ")"
  return {};
}

Result<StmtPtr> Parser::ParseMacro(const Token& at) {
  auto def = std::make_shared<MacroDef>();
  SHIMMY_JINJA_ASSIGN(def->name, ExpectName());
  SHIMMY_JINJA_CHECK(ParseSignature(*def));
  SHIMMY_JINJA_CHECK(ExpectBlockEnd());
  macro_stack_.push_back(def.get());
  const int saved_loop_depth = std::exchange(loop_depth_, 0);
  std::string found;
  auto body = ParseBody({"endmacro"}, &found);
  loop_depth_ = saved_loop_depth;
  macro_stack_.pop_back();
  if (!body) return body.error();
  def->body = std::move(*body);
  SHIMMY_JINJA_CHECK(FinishEnd());
  auto stmt = MakeNode<MacroStmt>(at);
  stmt->def = std::move(def);
  return StmtPtr(std::move(stmt));
}

Result<StmtPtr> Parser::ParseCallBlock(const Token& at) {
  auto def = std::make_shared<MacroDef>();
  def->name = "caller";
  if (IsOp("(")) SHIMMY_JINJA_CHECK(ParseSignature(*def));
  auto stmt = MakeNode<CallBlockStmt>(at);
  SHIMMY_JINJA_ASSIGN(stmt->call, ParseExpression());
  if (stmt->call->kind != ExprKind::kCall) return Fail(at, "expected a call after {% call %}");
  SHIMMY_JINJA_CHECK(ExpectBlockEnd());
  macro_stack_.push_back(def.get());
  const int saved_loop_depth = std::exchange(loop_depth_, 0);
  std::string found;
  auto body = ParseBody({"endcall"}, &found);
  loop_depth_ = saved_loop_depth;
  macro_stack_.pop_back();
  if (!body) return body.error();
  def->body = std::move(*body);
  SHIMMY_JINJA_CHECK(FinishEnd());
  stmt->caller = std::move(def);
  return StmtPtr(std::move(stmt));
}

Result<StmtPtr> Parser::ParseFilterBlock(const Token& at) {
  auto stmt = MakeNode<FilterBlockStmt>(at);
  SHIMMY_JINJA_ASSIGN(stmt->filter, ParseFilter(nullptr, true));
  SHIMMY_JINJA_CHECK(ExpectBlockEnd());
  std::string found;
  SHIMMY_JINJA_ASSIGN(stmt->body, ParseBody({"endfilter"}, &found));
  SHIMMY_JINJA_CHECK(FinishEnd());
  return StmtPtr(std::move(stmt));
}

Result<StmtPtr> Parser::ParseWith(const Token& at) {
  auto stmt = MakeNode<WithStmt>(at);
  while (Peek().kind != TokenKind::kBlockEnd) {
    if (!stmt->assignments.empty()) SHIMMY_JINJA_CHECK(ExpectOp(","));
    ExprPtr target, value;
    SHIMMY_JINJA_ASSIGN(target, ParseAssignTarget(false, ""));
    SHIMMY_JINJA_CHECK(ExpectOp("="));
    SHIMMY_JINJA_ASSIGN(value, ParseExpression());
    stmt->assignments.emplace_back(std::move(target), std::move(value));
  }
  Next();
  std::string found;
  SHIMMY_JINJA_ASSIGN(stmt->body, ParseBody({"endwith"}, &found));
  SHIMMY_JINJA_CHECK(FinishEnd());
  return StmtPtr(std::move(stmt));
}

Result<StmtPtr> Parser::ParseScope(const Token& at, std::string_view end_name) {
  auto stmt = MakeNode<ScopeStmt>(at);
  SHIMMY_JINJA_CHECK(ExpectBlockEnd());
  std::string found;
  SHIMMY_JINJA_ASSIGN(stmt->body, ParseBody({end_name}, &found));
  SHIMMY_JINJA_CHECK(FinishEnd());
  return StmtPtr(std::move(stmt));
}

// Targets: `name`, `ns.attr` (set only), or names separated by commas,
// optionally parenthesised.
Result<ExprPtr> Parser::ParseAssignTarget(bool allow_namespace, std::string_view end_name) {
  const Token& at = Peek();
  if (allow_namespace && at.kind == TokenKind::kName && IsOp(".", 1)) {
    auto attr = MakeNode<AttrExpr>(at);
    attr->object = MakeName(at, Next().text);
    Next();  // "."
    SHIMMY_JINJA_ASSIGN(attr->name, ExpectName());
    return ExprPtr(std::move(attr));
  }
  auto tuple = MakeNode<SequenceExpr>(at);
  tuple->seq = SeqKind::kTuple;
  bool is_tuple = false;
  while (true) {
    if (!tuple->items.empty()) {
      if (!IsOp(",")) break;
      Next();
      is_tuple = true;
      if ((Peek().kind != TokenKind::kName && !IsOp("(")) || IsName(end_name)) break;
    }
    if (IsOp("(")) {
      Next();
      ExprPtr inner;
      SHIMMY_JINJA_ASSIGN(inner, ParseAssignTarget(false, ""));
      SHIMMY_JINJA_CHECK(ExpectOp(")"));
      tuple->items.push_back(std::move(inner));
      continue;
    }
    std::string name;
    SHIMMY_JINJA_ASSIGN(name, ExpectName());
    tuple->items.push_back(MakeName(at, std::move(name)));
  }
  if (!is_tuple) return std::move(tuple->items.front());
  return ExprPtr(std::move(tuple));
}

Result<Body> Parse(std::vector<Token> tokens) {
  Parser parser(std::move(tokens));
  auto body = parser.ParseTemplate();
  if (!body) return body.error();
  SHIMMY_JINJA_CHECK(CheckFilterAndTestNames(*body));
  return body;
}

}  // namespace shimmy::jinja
