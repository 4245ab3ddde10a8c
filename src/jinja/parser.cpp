#include "jinja/parser.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "jinja/builtins.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

template <class T>
std::unique_ptr<T> MakeNode(const Token& at) {
  auto node = std::make_unique<T>();
  node->line = at.line;
  node->column = at.column;
  return node;
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kText: return "template text";
    case TokenKind::kVarBegin: return "'{{'";
    case TokenKind::kVarEnd: return "end of print statement";
    case TokenKind::kBlockBegin: return "'{%'";
    case TokenKind::kBlockEnd: return "end of statement block";
    case TokenKind::kName: return "'" + t.text + "'";
    case TokenKind::kString: return "string literal";
    case TokenKind::kInt: return "integer";
    case TokenKind::kFloat: return "float";
    case TokenKind::kOperator: return "'" + t.text + "'";
    case TokenKind::kEof: return "end of template";
  }
  return "token";
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<Body> ParseTemplate() {
    std::string end;
    return ParseBody({}, &end);
  }

 private:
  // RAII nesting counter shared by statements and expressions.
  class DepthGuard {
   public:
    explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
    ~DepthGuard() { --depth_; }
    bool exceeded() const { return depth_ > kMaxParseDepth; }

   private:
    int& depth_;
  };

  const Token& Peek(size_t ahead = 0) const {
    const size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool IsOp(std::string_view op, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == TokenKind::kOperator && t.text == op;
  }
  bool IsName(std::string_view name, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == TokenKind::kName && t.text == name;
  }
  Error Fail(const Token& at, const std::string& message) const {
    return Error("line " + std::to_string(at.line) + ", column " + std::to_string(at.column) +
                 ": " + message);
  }
  Error Unexpected(const Token& at, std::string_view expected) const {
    return Fail(at, "unexpected " + Describe(at) + ", expected " + std::string(expected));
  }
  Status ExpectOp(std::string_view op) {
    if (!IsOp(op)) return Unexpected(Peek(), "'" + std::string(op) + "'");
    Next();
    return {};
  }
  Status ExpectBlockEnd() {
    if (Peek().kind != TokenKind::kBlockEnd) return Unexpected(Peek(), "end of statement block");
    Next();
    return {};
  }
  Result<std::string> ExpectName() {
    if (Peek().kind != TokenKind::kName) return Unexpected(Peek(), "a name");
    return Next().text;
  }

  Result<Body> ParseBody(std::initializer_list<std::string_view> end_names, std::string* found);
  Result<StmtPtr> ParseStatement();
  Result<StmtPtr> ParseIf(const Token& at);
  Result<StmtPtr> ParseFor(const Token& at);
  Result<StmtPtr> ParseSet(const Token& at);
  Result<StmtPtr> ParseMacro(const Token& at);
  Result<StmtPtr> ParseCallBlock(const Token& at);
  Result<StmtPtr> ParseFilterBlock(const Token& at);
  Result<StmtPtr> ParseWith(const Token& at);
  Result<StmtPtr> ParseScope(const Token& at, std::string_view end_name);
  // Parses `{% endNAME %}` after ParseBody stopped at it.
  Status FinishEnd() {
    Next();  // the end name
    return ExpectBlockEnd();
  }
  Status ParseSignature(MacroDef& def);
  Result<ExprPtr> ParseAssignTarget(bool allow_namespace, std::string_view end_name);

  Result<ExprPtr> ParseTuple(bool with_condexpr, std::initializer_list<std::string_view> end_names,
                             bool explicit_parens);
  Result<ExprPtr> ParseExpression(bool with_condexpr = true);
  Result<ExprPtr> ParseOr();
  Result<ExprPtr> ParseAnd();
  Result<ExprPtr> ParseNot();
  Result<ExprPtr> ParseCompare();
  Result<ExprPtr> ParseMath1();
  Result<ExprPtr> ParseConcat();
  Result<ExprPtr> ParseMath2();
  Result<ExprPtr> ParsePow();
  Result<ExprPtr> ParseUnary(bool with_filter);
  Result<ExprPtr> ParsePrimary();
  Result<ExprPtr> ParsePostfix(ExprPtr node);
  Result<ExprPtr> ParseFilterExpr(ExprPtr node);
  Result<ExprPtr> ParseSubscript(ExprPtr node);
  Result<ExprPtr> ParseSubscribed();
  Status ParseCallArgs(Args& args);
  Result<ExprPtr> ParseFilter(ExprPtr node, bool start_inline);
  Result<ExprPtr> ParseTest(ExprPtr node);
  ExprPtr MakeName(const Token& at, std::string name);
  Result<ExprPtr> MakeBinary(const Token& at, BinaryOp op, ExprPtr left, ExprPtr right) {
    auto node = MakeNode<BinaryExpr>(at);
    node->op = op;
    node->left = std::move(left);
    node->right = std::move(right);
    return ExprPtr(std::move(node));
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::vector<MacroDef*> macro_stack_;  // macros being parsed, innermost last
  int loop_depth_ = 0;                  // enclosing for bodies (reset in macros)
  std::vector<ForStmt*> for_stack_;     // for statements being parsed
};

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
  std::vector<ForStmt*> saved_for_stack = std::exchange(for_stack_, {});
  std::string found;
  auto body = ParseBody({"endmacro"}, &found);
  loop_depth_ = saved_loop_depth;
  for_stack_ = std::move(saved_for_stack);
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

Result<ExprPtr> Parser::ParseTuple(bool with_condexpr,
                                   std::initializer_list<std::string_view> end_names,
                                   bool explicit_parens) {
  const Token& at = Peek();
  auto tuple = MakeNode<SequenceExpr>(at);
  tuple->seq = SeqKind::kTuple;
  bool is_tuple = false;
  while (true) {
    if (!tuple->items.empty()) SHIMMY_JINJA_CHECK(ExpectOp(","));
    const Token& t = Peek();
    bool at_end = t.kind == TokenKind::kVarEnd || t.kind == TokenKind::kBlockEnd || IsOp(")");
    for (std::string_view end : end_names) at_end = at_end || IsName(end);
    if (at_end) break;
    ExprPtr item;
    SHIMMY_JINJA_ASSIGN(item, ParseExpression(with_condexpr));
    tuple->items.push_back(std::move(item));
    if (!IsOp(",")) break;
    is_tuple = true;
  }
  if (!is_tuple) {
    if (!tuple->items.empty()) return std::move(tuple->items.front());
    if (!explicit_parens) return Unexpected(Peek(), "an expression");
  }
  return ExprPtr(std::move(tuple));
}

Result<ExprPtr> Parser::ParseExpression(bool with_condexpr) {
  DepthGuard guard(depth_);
  if (guard.exceeded()) return Fail(Peek(), "expression nested too deeply");
  ExprPtr node;
  SHIMMY_JINJA_ASSIGN(node, ParseOr());
  if (!with_condexpr) return node;
  while (IsName("if")) {
    auto cond = MakeNode<CondExpr>(Next());
    cond->then_expr = std::move(node);
    SHIMMY_JINJA_ASSIGN(cond->test, ParseOr());
    if (IsName("else")) {
      Next();
      SHIMMY_JINJA_ASSIGN(cond->else_expr, ParseExpression(true));
    }
    node = std::move(cond);
  }
  return node;
}

Result<ExprPtr> Parser::ParseOr() {
  ExprPtr left;
  SHIMMY_JINJA_ASSIGN(left, ParseAnd());
  while (IsName("or")) {
    const Token& at = Next();
    ExprPtr right;
    SHIMMY_JINJA_ASSIGN(right, ParseAnd());
    SHIMMY_JINJA_ASSIGN(left, MakeBinary(at, BinaryOp::kOr, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParseAnd() {
  ExprPtr left;
  SHIMMY_JINJA_ASSIGN(left, ParseNot());
  while (IsName("and")) {
    const Token& at = Next();
    ExprPtr right;
    SHIMMY_JINJA_ASSIGN(right, ParseNot());
    SHIMMY_JINJA_ASSIGN(left, MakeBinary(at, BinaryOp::kAnd, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParseNot() {
  if (IsName("not")) {
    DepthGuard guard(depth_);
    if (guard.exceeded()) return Fail(Peek(), "expression nested too deeply");
    auto node = MakeNode<UnaryExpr>(Next());
    node->op = UnaryOp::kNot;
    SHIMMY_JINJA_ASSIGN(node->operand, ParseNot());
    return ExprPtr(std::move(node));
  }
  return ParseCompare();
}

Result<ExprPtr> Parser::ParseCompare() {
  const Token& at = Peek();
  ExprPtr first;
  SHIMMY_JINJA_ASSIGN(first, ParseMath1());
  auto node = MakeNode<CompareExpr>(at);
  while (true) {
    CompareOp op;
    const Token& t = Peek();
    if (t.kind == TokenKind::kOperator && t.text == "==") {
      op = CompareOp::kEq;
    } else if (t.kind == TokenKind::kOperator && t.text == "!=") {
      op = CompareOp::kNe;
    } else if (t.kind == TokenKind::kOperator && t.text == "<") {
      op = CompareOp::kLt;
    } else if (t.kind == TokenKind::kOperator && t.text == "<=") {
      op = CompareOp::kLe;
    } else if (t.kind == TokenKind::kOperator && t.text == ">") {
      op = CompareOp::kGt;
    } else if (t.kind == TokenKind::kOperator && t.text == ">=") {
      op = CompareOp::kGe;
    } else if (IsName("in")) {
      op = CompareOp::kIn;
    } else if (IsName("not") && IsName("in", 1)) {
      Next();
      op = CompareOp::kNotIn;
    } else {
      break;
    }
    Next();
    ExprPtr operand;
    SHIMMY_JINJA_ASSIGN(operand, ParseMath1());
    node->rest.emplace_back(op, std::move(operand));
  }
  if (node->rest.empty()) return first;
  node->first = std::move(first);
  return ExprPtr(std::move(node));
}

Result<ExprPtr> Parser::ParseMath1() {
  ExprPtr left;
  SHIMMY_JINJA_ASSIGN(left, ParseConcat());
  while (IsOp("+") || IsOp("-")) {
    const Token& at = Next();
    ExprPtr right;
    SHIMMY_JINJA_ASSIGN(right, ParseConcat());
    const BinaryOp op = at.text == "+" ? BinaryOp::kAdd : BinaryOp::kSub;
    SHIMMY_JINJA_ASSIGN(left, MakeBinary(at, op, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParseConcat() {
  ExprPtr left;
  SHIMMY_JINJA_ASSIGN(left, ParseMath2());
  while (IsOp("~")) {
    const Token& at = Next();
    ExprPtr right;
    SHIMMY_JINJA_ASSIGN(right, ParseMath2());
    SHIMMY_JINJA_ASSIGN(left, MakeBinary(at, BinaryOp::kConcat, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParseMath2() {
  ExprPtr left;
  SHIMMY_JINJA_ASSIGN(left, ParsePow());
  while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
    const Token& at = Next();
    ExprPtr right;
    SHIMMY_JINJA_ASSIGN(right, ParsePow());
    const BinaryOp op = at.text == "*"   ? BinaryOp::kMul
                        : at.text == "/" ? BinaryOp::kDiv
                        : at.text == "%" ? BinaryOp::kMod
                                         : BinaryOp::kFloorDiv;
    SHIMMY_JINJA_ASSIGN(left, MakeBinary(at, op, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParsePow() {
  ExprPtr left;
  SHIMMY_JINJA_ASSIGN(left, ParseUnary(true));
  while (IsOp("**")) {
    const Token& at = Next();
    ExprPtr right;
    SHIMMY_JINJA_ASSIGN(right, ParseUnary(true));
    SHIMMY_JINJA_ASSIGN(left, MakeBinary(at, BinaryOp::kPow, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParseUnary(bool with_filter) {
  DepthGuard guard(depth_);
  if (guard.exceeded()) return Fail(Peek(), "expression nested too deeply");
  ExprPtr node;
  if (IsOp("-") || IsOp("+")) {
    auto unary = MakeNode<UnaryExpr>(Peek());
    unary->op = Next().text == "-" ? UnaryOp::kNeg : UnaryOp::kPos;
    SHIMMY_JINJA_ASSIGN(unary->operand, ParseUnary(false));
    node = std::move(unary);
  } else {
    SHIMMY_JINJA_ASSIGN(node, ParsePrimary());
  }
  SHIMMY_JINJA_ASSIGN(node, ParsePostfix(std::move(node)));
  if (with_filter) {
    SHIMMY_JINJA_ASSIGN(node, ParseFilterExpr(std::move(node)));
  }
  return node;
}

ExprPtr Parser::MakeName(const Token& at, std::string name) {
  if (!macro_stack_.empty()) {
    MacroDef* def = macro_stack_.back();
    if (name == "varargs") def->uses_varargs = true;
    if (name == "kwargs") def->uses_kwargs = true;
    if (name == "caller") def->uses_caller = true;
  }
  if (name == "loop" && !for_stack_.empty()) {
    // Only loop.<attribute> reads that need no look-ahead stay lazy.
    static constexpr std::string_view kLazy[] = {"index", "index0", "first", "previtem",
                                                 "depth", "depth0", "cycle", "changed"};
    const bool lazy = IsOp(".") && Peek(1).kind == TokenKind::kName &&
                      std::find(std::begin(kLazy), std::end(kLazy), Peek(1).text) != std::end(kLazy);
    if (!lazy) for_stack_.back()->needs_lookahead = true;
  }
  auto node = MakeNode<NameExpr>(at);
  node->name = std::move(name);
  return node;
}

Result<ExprPtr> Parser::ParsePrimary() {
  const Token& t = Peek();
  switch (t.kind) {
    case TokenKind::kName: {
      Next();
      auto literal = MakeNode<LiteralExpr>(t);
      if (t.text == "true" || t.text == "True") {
        literal->value = Value(true);
      } else if (t.text == "false" || t.text == "False") {
        literal->value = Value(false);
      } else if (t.text == "none" || t.text == "None") {
        literal->value = Value::None();
      } else {
        return MakeName(t, t.text);
      }
      return ExprPtr(std::move(literal));
    }
    case TokenKind::kString: {
      auto literal = MakeNode<LiteralExpr>(t);
      std::string text;
      while (Peek().kind == TokenKind::kString) text += Next().text;
      literal->value = Value(std::move(text));
      return ExprPtr(std::move(literal));
    }
    case TokenKind::kInt:
    case TokenKind::kFloat: {
      auto literal = MakeNode<LiteralExpr>(t);
      literal->value = t.kind == TokenKind::kInt ? Value(t.int_value) : Value(t.float_value);
      Next();
      return ExprPtr(std::move(literal));
    }
    case TokenKind::kOperator:
      break;
    default:
      return Unexpected(t, "an expression");
  }
  if (t.text == "(") {
    Next();
    ExprPtr inner;
    SHIMMY_JINJA_ASSIGN(inner, ParseTuple(true, {}, true));
    SHIMMY_JINJA_CHECK(ExpectOp(")"));
    return inner;
  }
  if (t.text == "[") {
    auto list = MakeNode<SequenceExpr>(Next());
    while (!IsOp("]")) {
      if (!list->items.empty()) SHIMMY_JINJA_CHECK(ExpectOp(","));
      if (IsOp("]")) break;
      ExprPtr item;
      SHIMMY_JINJA_ASSIGN(item, ParseExpression());
      list->items.push_back(std::move(item));
    }
    Next();
    return ExprPtr(std::move(list));
  }
  if (t.text == "{") {
    auto dict = MakeNode<DictExpr>(Next());
    while (!IsOp("}")) {
      if (!dict->entries.empty()) SHIMMY_JINJA_CHECK(ExpectOp(","));
      if (IsOp("}")) break;
      ExprPtr key, value;
      SHIMMY_JINJA_ASSIGN(key, ParseExpression());
      SHIMMY_JINJA_CHECK(ExpectOp(":"));
      SHIMMY_JINJA_ASSIGN(value, ParseExpression());
      dict->entries.emplace_back(std::move(key), std::move(value));
    }
    Next();
    return ExprPtr(std::move(dict));
  }
  return Unexpected(t, "an expression");
}

Result<ExprPtr> Parser::ParsePostfix(ExprPtr node) {
  while (true) {
    if (IsOp(".") || IsOp("[")) {
      SHIMMY_JINJA_ASSIGN(node, ParseSubscript(std::move(node)));
    } else if (IsOp("(")) {
      auto call = MakeNode<CallExpr>(Peek());
      call->line = node->line;
      call->column = node->column;
      call->callee = std::move(node);
      SHIMMY_JINJA_CHECK(ParseCallArgs(call->args));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

Result<ExprPtr> Parser::ParseFilterExpr(ExprPtr node) {
  while (true) {
    if (IsOp("|")) {
      Next();
      SHIMMY_JINJA_ASSIGN(node, ParseFilter(std::move(node), true));
    } else if (IsName("is")) {
      SHIMMY_JINJA_ASSIGN(node, ParseTest(std::move(node)));
    } else if (IsOp("(")) {
      auto call = MakeNode<CallExpr>(Peek());
      call->callee = std::move(node);
      SHIMMY_JINJA_CHECK(ParseCallArgs(call->args));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

Result<ExprPtr> Parser::ParseSubscript(ExprPtr node) {
  // The node is reported at the start of the object it subscripts.
  Token at = Next();
  at.line = node->line;
  at.column = node->column;
  if (at.text == ".") {
    const Token& attr = Peek();
    if (attr.kind == TokenKind::kName) {
      auto expr = MakeNode<AttrExpr>(at);
      expr->object = std::move(node);
      expr->name = Next().text;
      return ExprPtr(std::move(expr));
    }
    if (attr.kind == TokenKind::kInt) {
      auto expr = MakeNode<ItemExpr>(at);
      expr->object = std::move(node);
      auto index = MakeNode<LiteralExpr>(attr);
      index->value = Value(Next().int_value);
      expr->index = std::move(index);
      return ExprPtr(std::move(expr));
    }
    return Unexpected(attr, "an attribute name");
  }
  // "[": one subscript, a slice, or a tuple of them.
  std::vector<ExprPtr> items;
  while (!IsOp("]")) {
    if (!items.empty()) {
      SHIMMY_JINJA_CHECK(ExpectOp(","));
      if (IsOp("]")) break;
    }
    ExprPtr item;
    SHIMMY_JINJA_ASSIGN(item, ParseSubscribed());
    items.push_back(std::move(item));
    if (!IsOp(",")) break;
  }
  const bool tuple = items.size() != 1 || IsOp(",");
  SHIMMY_JINJA_CHECK(ExpectOp("]"));
  ExprPtr index;
  if (tuple) {
    auto seq = MakeNode<SequenceExpr>(at);
    seq->seq = SeqKind::kTuple;
    seq->items = std::move(items);
    index = std::move(seq);
  } else {
    index = std::move(items.front());
  }
  if (index->kind == ExprKind::kSlice) {
    auto* slice = static_cast<SliceExpr*>(index.get());
    slice->object = std::move(node);
    return index;
  }
  auto expr = MakeNode<ItemExpr>(at);
  expr->object = std::move(node);
  expr->index = std::move(index);
  return ExprPtr(std::move(expr));
}

Result<ExprPtr> Parser::ParseSubscribed() {
  const Token& at = Peek();
  ExprPtr start;
  if (!IsOp(":")) {
    SHIMMY_JINJA_ASSIGN(start, ParseExpression());
    if (!IsOp(":")) return start;
  }
  Next();  // ":"
  auto slice = MakeNode<SliceExpr>(at);
  slice->start = std::move(start);
  if (!IsOp(":") && !IsOp("]") && !IsOp(",")) {
    SHIMMY_JINJA_ASSIGN(slice->stop, ParseExpression());
  }
  if (IsOp(":")) {
    Next();
    if (!IsOp("]") && !IsOp(",")) {
      SHIMMY_JINJA_ASSIGN(slice->step, ParseExpression());
    }
  }
  return ExprPtr(std::move(slice));
}

Status Parser::ParseCallArgs(Args& args) {
  SHIMMY_JINJA_CHECK(ExpectOp("("));
  bool first = true;
  while (!IsOp(")")) {
    if (!first) {
      SHIMMY_JINJA_CHECK(ExpectOp(","));
      if (IsOp(")")) break;
    }
    first = false;
    if (IsOp("*")) {
      Next();
      SHIMMY_JINJA_ASSIGN(args.star_args, ParseExpression());
    } else if (IsOp("**")) {
      Next();
      SHIMMY_JINJA_ASSIGN(args.star_kwargs, ParseExpression());
    } else if (Peek().kind == TokenKind::kName && IsOp("=", 1)) {
      std::string name = Next().text;
      Next();  // "="
      ExprPtr value;
      SHIMMY_JINJA_ASSIGN(value, ParseExpression());
      args.keywords.emplace_back(std::move(name), std::move(value));
    } else {
      if (!args.keywords.empty()) return Fail(Peek(), "positional argument follows keyword argument");
      ExprPtr value;
      SHIMMY_JINJA_ASSIGN(value, ParseExpression());
      args.positional.push_back(std::move(value));
    }
  }
  Next();  // ")"
  return {};
}

Result<ExprPtr> Parser::ParseFilter(ExprPtr node, bool start_inline) {
  while (IsOp("|") || start_inline) {
    if (!start_inline) Next();
    start_inline = false;
    const Token& at = Peek();
    std::string name;
    SHIMMY_JINJA_ASSIGN(name, ExpectName());
    while (IsOp(".")) {
      Next();
      std::string part;
      SHIMMY_JINJA_ASSIGN(part, ExpectName());
      name += "." + part;
    }
    auto filter = MakeNode<FilterExpr>(at);
    filter->operand = std::move(node);
    filter->name = std::move(name);
    if (IsOp("(")) SHIMMY_JINJA_CHECK(ParseCallArgs(filter->args));
    node = std::move(filter);
  }
  return node;
}

Result<ExprPtr> Parser::ParseTest(ExprPtr node) {
  const Token& at = Next();  // "is"
  auto test = MakeNode<TestExpr>(at);
  if (IsName("not")) {
    Next();
    test->negated = true;
  }
  SHIMMY_JINJA_ASSIGN(test->name, ExpectName());
  while (IsOp(".")) {
    Next();
    std::string part;
    SHIMMY_JINJA_ASSIGN(part, ExpectName());
    test->name += "." + part;
  }
  const Token& t = Peek();
  if (IsOp("(")) {
    SHIMMY_JINJA_CHECK(ParseCallArgs(test->args));
  } else if ((t.kind == TokenKind::kName || t.kind == TokenKind::kString ||
              t.kind == TokenKind::kInt || t.kind == TokenKind::kFloat || IsOp("[") ||
              IsOp("{")) &&
             !IsName("else") && !IsName("or") && !IsName("and")) {
    if (IsName("is")) return Fail(t, "you cannot chain multiple tests with is");
    ExprPtr arg;
    SHIMMY_JINJA_ASSIGN(arg, ParsePrimary());
    SHIMMY_JINJA_ASSIGN(arg, ParsePostfix(std::move(arg)));
    test->args.positional.push_back(std::move(arg));
  }
  test->operand = std::move(node);
  return ExprPtr(std::move(test));
}

// ---- Compile-time check of filter and test names ----------------------------

class NameChecker {
 public:
  Status CheckBody(const Body& body, bool soft) {
    for (const auto& stmt : body) SHIMMY_JINJA_CHECK(CheckStmt(*stmt, soft));
    return {};
  }

 private:
  Status CheckArgs(const Args& args, bool soft) {
    for (const auto& e : args.positional) SHIMMY_JINJA_CHECK(Check(e.get(), soft));
    for (const auto& [name, e] : args.keywords) SHIMMY_JINJA_CHECK(Check(e.get(), soft));
    SHIMMY_JINJA_CHECK(Check(args.star_args.get(), soft));
    return Check(args.star_kwargs.get(), soft);
  }

  Status Check(const Expr* e, bool soft) {
    if (e == nullptr) return {};
    auto fail = [&](const std::string& what, const std::string& name) {
      return Error("line " + std::to_string(e->line) + ", column " + std::to_string(e->column) +
                   ": no " + what + " named '" + name + "'");
    };
    switch (e->kind) {
      case ExprKind::kLiteral:
      case ExprKind::kName:
        return {};
      case ExprKind::kSequence:
        for (const auto& item : static_cast<const SequenceExpr*>(e)->items) {
          SHIMMY_JINJA_CHECK(Check(item.get(), soft));
        }
        return {};
      case ExprKind::kDict:
        for (const auto& [k, v] : static_cast<const DictExpr*>(e)->entries) {
          SHIMMY_JINJA_CHECK(Check(k.get(), soft));
          SHIMMY_JINJA_CHECK(Check(v.get(), soft));
        }
        return {};
      case ExprKind::kAttr:
        return Check(static_cast<const AttrExpr*>(e)->object.get(), soft);
      case ExprKind::kItem: {
        const auto* item = static_cast<const ItemExpr*>(e);
        SHIMMY_JINJA_CHECK(Check(item->object.get(), soft));
        return Check(item->index.get(), soft);
      }
      case ExprKind::kSlice: {
        const auto* slice = static_cast<const SliceExpr*>(e);
        SHIMMY_JINJA_CHECK(Check(slice->object.get(), soft));
        SHIMMY_JINJA_CHECK(Check(slice->start.get(), soft));
        SHIMMY_JINJA_CHECK(Check(slice->stop.get(), soft));
        return Check(slice->step.get(), soft);
      }
      case ExprKind::kCall: {
        const auto* call = static_cast<const CallExpr*>(e);
        SHIMMY_JINJA_CHECK(Check(call->callee.get(), soft));
        return CheckArgs(call->args, soft);
      }
      case ExprKind::kFilter: {
        const auto* filter = static_cast<const FilterExpr*>(e);
        if (!soft && FindFilter(filter->name) == nullptr) return fail("filter", filter->name);
        SHIMMY_JINJA_CHECK(Check(filter->operand.get(), soft));
        return CheckArgs(filter->args, soft);
      }
      case ExprKind::kTest: {
        const auto* test = static_cast<const TestExpr*>(e);
        if (!soft && FindTest(test->name) == nullptr) return fail("test", test->name);
        SHIMMY_JINJA_CHECK(Check(test->operand.get(), soft));
        return CheckArgs(test->args, soft);
      }
      case ExprKind::kUnary:
        return Check(static_cast<const UnaryExpr*>(e)->operand.get(), soft);
      case ExprKind::kBinary: {
        const auto* bin = static_cast<const BinaryExpr*>(e);
        SHIMMY_JINJA_CHECK(Check(bin->left.get(), soft));
        return Check(bin->right.get(), soft);
      }
      case ExprKind::kCompare: {
        const auto* cmp = static_cast<const CompareExpr*>(e);
        SHIMMY_JINJA_CHECK(Check(cmp->first.get(), soft));
        for (const auto& [op, operand] : cmp->rest) SHIMMY_JINJA_CHECK(Check(operand.get(), soft));
        return {};
      }
      case ExprKind::kCond: {
        const auto* cond = static_cast<const CondExpr*>(e);
        SHIMMY_JINJA_CHECK(Check(cond->test.get(), true));
        SHIMMY_JINJA_CHECK(Check(cond->then_expr.get(), true));
        return Check(cond->else_expr.get(), true);
      }
    }
    return {};
  }

  Status CheckStmt(const Stmt& s, bool soft) {
    switch (s.kind) {
      case StmtKind::kText:
      case StmtKind::kBreak:
      case StmtKind::kContinue:
        return {};
      case StmtKind::kPrint:
        return Check(static_cast<const PrintStmt&>(s).expr.get(), soft);
      case StmtKind::kIf:
        for (const auto& [cond, body] : static_cast<const IfStmt&>(s).branches) {
          SHIMMY_JINJA_CHECK(Check(cond.get(), true));
          SHIMMY_JINJA_CHECK(CheckBody(body, true));
        }
        return CheckBody(static_cast<const IfStmt&>(s).else_body, true);
      case StmtKind::kFor: {
        const auto& f = static_cast<const ForStmt&>(s);
        SHIMMY_JINJA_CHECK(Check(f.iter.get(), soft));
        SHIMMY_JINJA_CHECK(Check(f.filter.get(), false));
        SHIMMY_JINJA_CHECK(CheckBody(f.body, false));
        return CheckBody(f.else_body, false);
      }
      case StmtKind::kSet: {
        const auto& set = static_cast<const SetStmt&>(s);
        return Check(set.value.get(), soft);
      }
      case StmtKind::kSetBlock: {
        const auto& set = static_cast<const SetBlockStmt&>(s);
        SHIMMY_JINJA_CHECK(Check(set.filter.get(), false));
        return CheckBody(set.body, false);
      }
      case StmtKind::kMacro: {
        const auto& def = *static_cast<const MacroStmt&>(s).def;
        for (const auto& d : def.defaults) SHIMMY_JINJA_CHECK(Check(d.get(), false));
        return CheckBody(def.body, false);
      }
      case StmtKind::kCallBlock: {
        const auto& call = static_cast<const CallBlockStmt&>(s);
        SHIMMY_JINJA_CHECK(Check(call.call.get(), soft));
        return CheckBody(call.caller->body, false);
      }
      case StmtKind::kFilterBlock: {
        const auto& f = static_cast<const FilterBlockStmt&>(s);
        SHIMMY_JINJA_CHECK(Check(f.filter.get(), soft));
        return CheckBody(f.body, false);
      }
      case StmtKind::kWith: {
        const auto& w = static_cast<const WithStmt&>(s);
        for (const auto& [target, value] : w.assignments) SHIMMY_JINJA_CHECK(Check(value.get(), soft));
        return CheckBody(w.body, false);
      }
      case StmtKind::kScope:
        return CheckBody(static_cast<const ScopeStmt&>(s).body, false);
    }
    return {};
  }
};

}  // namespace

Result<Body> Parse(std::vector<Token> tokens) {
  Parser parser(std::move(tokens));
  auto body = parser.ParseTemplate();
  if (!body) return body.error();
  NameChecker checker;
  SHIMMY_JINJA_CHECK(checker.CheckBody(*body, false));
  return body;
}

}  // namespace shimmy::jinja
