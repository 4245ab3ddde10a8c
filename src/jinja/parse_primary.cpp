// Primary expressions and what binds to them: literals, names, displays,
// postfix access (.attr, [index], [a:b:c], calls), filters and tests.
#include "jinja/parser_internal.h"
#include "jinja/try.h"

namespace shimmy::jinja {

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
  ChainGuard chain(depth_);
  while (true) {
    if (!chain.Link()) return Fail(Peek(), "expression nested too deeply");
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
  ChainGuard chain(depth_);
  while (true) {
    if (!chain.Link()) return Fail(Peek(), "expression nested too deeply");
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
  ChainGuard chain(depth_);
  while (IsOp("|") || start_inline) {
    if (!chain.Link()) return Fail(Peek(), "expression nested too deeply");
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
