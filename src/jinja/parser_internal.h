// The recursive-descent parser behind Parse() (parser.h), shared by
// parser.cpp (statements) and parse_expr.cpp (expressions). Internal to
// src/jinja.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "jinja/ast.h"
#include "jinja/lexer.h"
#include "jinja/parser.h"

namespace shimmy::jinja {

template <class T>
std::unique_ptr<T> MakeNode(const Token& at) {
  auto node = std::make_unique<T>();
  node->line = at.line;
  node->column = at.column;
  return node;
}

// How an error message names a token: "'if'", "end of template", ...
std::string Describe(const Token& t);

// jinja2's compile-time check: filters and tests named outside {% if %}
// bodies and inline ifs must exist.
Status CheckFilterAndTestNames(const Body& body);

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

  // Left-associative chains (a + b + c, x.a.b, x|f|g) nest one node per
  // link; each link counts as a level until the chain's parse returns.
  class ChainGuard {
   public:
    explicit ChainGuard(int& depth) : depth_(depth) {}
    ~ChainGuard() { depth_ -= links_; }
    // Adds a link; false when the tree got too deep.
    bool Link() {
      ++depth_;
      ++links_;
      return depth_ <= kMaxParseDepth;
    }

   private:
    int& depth_;
    int links_ = 0;
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
  // For statements being parsed, innermost last. Not reset inside macros: a
  // macro defined in a loop body may read that loop's `loop`.
  std::vector<ForStmt*> for_stack_;
};

}  // namespace shimmy::jinja
