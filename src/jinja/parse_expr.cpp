// Expression grammar of the parser, with jinja2's precedence:
// if-else < or < and < not < comparisons < + - < ~ < * / // % < ** < unary
// minus/plus < primary with postfix (.attr, [index], (call)), filters, tests.
#include <algorithm>
#include <iterator>

#include "jinja/parser_internal.h"
#include "jinja/try.h"

namespace shimmy::jinja {

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
  ChainGuard chain(depth_);
  while (IsName("if")) {
    if (!chain.Link()) return Fail(Peek(), "expression nested too deeply");
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
  ChainGuard chain(depth_);
  while (IsName("or")) {
    if (!chain.Link()) return Fail(Peek(), "expression nested too deeply");
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
  ChainGuard chain(depth_);
  while (IsName("and")) {
    if (!chain.Link()) return Fail(Peek(), "expression nested too deeply");
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
  ChainGuard chain(depth_);
  while (IsOp("+") || IsOp("-")) {
    if (!chain.Link()) return Fail(Peek(), "expression nested too deeply");
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
  ChainGuard chain(depth_);
  while (IsOp("~")) {
    if (!chain.Link()) return Fail(Peek(), "expression nested too deeply");
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
  ChainGuard chain(depth_);
  while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
    if (!chain.Link()) return Fail(Peek(), "expression nested too deeply");
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
  ChainGuard chain(depth_);
  while (IsOp("**")) {
    if (!chain.Link()) return Fail(Peek(), "expression nested too deeply");
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
    for_stack_.back()->uses_loop = true;
    // Only loop.<attribute> reads that need no look-ahead stay lazy.
    static constexpr std::string_view kLazy[] = {"index", "index0", "first", "previtem",
                                                 "depth", "depth0", "cycle", "changed"};
    const bool lazy =
        IsOp(".") && Peek(1).kind == TokenKind::kName &&
        std::find(std::begin(kLazy), std::end(kLazy), Peek(1).text) != std::end(kLazy);
    if (!lazy) for_stack_.back()->needs_lookahead = true;
  }
  auto node = MakeNode<NameExpr>(at);
  node->name = std::move(name);
  return node;
}

}  // namespace shimmy::jinja
