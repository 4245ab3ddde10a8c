// jinja2's compiler rejects unknown filters and tests unless they sit in an
// {% if %} (test and bodies) or an inline if-expression; there they fail
// only when evaluated. Loop, macro, call, filter, with and set-block bodies
// start a strict scope again.
#include "jinja/builtins.h"
#include "jinja/parser_internal.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

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
        for (const auto& [target, value] : w.assignments)
          SHIMMY_JINJA_CHECK(Check(value.get(), soft));
        return CheckBody(w.body, false);
      }
      case StmtKind::kScope:
        return CheckBody(static_cast<const ScopeStmt&>(s).body, false);
    }
    return {};
  }
};

}  // namespace

Status CheckFilterAndTestNames(const Body& body) {
  NameChecker checker;
  return checker.CheckBody(body, false);
}

}  // namespace shimmy::jinja
