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
      if (!args.keywords.empty())
        return Fail(Peek(), "positional argument follows keyword argument");
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
              t.kind == TokenKind::kInt || t.kind == TokenKind::kFloat || IsOp("[") || IsOp("{")) &&
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

}  // namespace shimmy::jinja
