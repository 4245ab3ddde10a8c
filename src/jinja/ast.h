// The parsed form of a template: expression and statement nodes. The tree is
// immutable after parsing and owned by its Template; nodes keep the line and
// column of the token they start at for error messages.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jinja/value.h"

namespace shimmy::jinja {

struct Node {
  int line = 0;
  int column = 0;
};

// ---- Expressions ------------------------------------------------------------

enum class ExprKind : uint8_t {
  kLiteral,
  kName,
  kSequence,  // list or tuple display
  kDict,
  kAttr,     // obj.name
  kItem,     // obj[index]
  kSlice,    // obj[start:stop:step]
  kCall,     // callee(args)
  kFilter,   // operand | name(args)
  kTest,     // operand is [not] name(args)
  kUnary,    // -x, +x, not x
  kBinary,   // arithmetic, ~, and, or
  kCompare,  // a < b == c, in, not in
  kCond,     // a if test else b
};

struct Expr : Node {
  explicit Expr(ExprKind k) : kind(k) {}
  virtual ~Expr() = default;
  ExprKind kind;
};
using ExprPtr = std::unique_ptr<Expr>;

struct Args {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
  ExprPtr star_args;    // *args
  ExprPtr star_kwargs;  // **kwargs
};

struct LiteralExpr : Expr {
  LiteralExpr() : Expr(ExprKind::kLiteral) {}
  Value value;
};

struct NameExpr : Expr {
  NameExpr() : Expr(ExprKind::kName) {}
  std::string name;
};

struct SequenceExpr : Expr {
  SequenceExpr() : Expr(ExprKind::kSequence) {}
  SeqKind seq = SeqKind::kList;  // kList or kTuple
  std::vector<ExprPtr> items;
};

struct DictExpr : Expr {
  DictExpr() : Expr(ExprKind::kDict) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> entries;
};

struct AttrExpr : Expr {
  AttrExpr() : Expr(ExprKind::kAttr) {}
  ExprPtr object;
  std::string name;
};

struct ItemExpr : Expr {
  ItemExpr() : Expr(ExprKind::kItem) {}
  ExprPtr object;
  ExprPtr index;
};

struct SliceExpr : Expr {
  SliceExpr() : Expr(ExprKind::kSlice) {}
  ExprPtr object;
  ExprPtr start, stop, step;  // each may be null
};

struct CallExpr : Expr {
  CallExpr() : Expr(ExprKind::kCall) {}
  ExprPtr callee;
  Args args;
};

// In {% filter %} blocks and {% set x | f %} the innermost operand is null
// and stands for the rendered body.
struct FilterExpr : Expr {
  FilterExpr() : Expr(ExprKind::kFilter) {}
  ExprPtr operand;
  std::string name;
  Args args;
};

struct TestExpr : Expr {
  TestExpr() : Expr(ExprKind::kTest) {}
  ExprPtr operand;
  std::string name;
  Args args;
  bool negated = false;
};

enum class UnaryOp : uint8_t { kNeg, kPos, kNot };

struct UnaryExpr : Expr {
  UnaryExpr() : Expr(ExprKind::kUnary) {}
  UnaryOp op = UnaryOp::kNeg;
  ExprPtr operand;
};

enum class BinaryOp : uint8_t {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kFloorDiv,
  kMod,
  kPow,
  kConcat,
  kAnd,
  kOr,
};

struct BinaryExpr : Expr {
  BinaryExpr() : Expr(ExprKind::kBinary) {}
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr left, right;
};

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

// Python-style chained comparison: first op0 e0 op1 e1 ...
struct CompareExpr : Expr {
  CompareExpr() : Expr(ExprKind::kCompare) {}
  ExprPtr first;
  std::vector<std::pair<CompareOp, ExprPtr>> rest;
};

struct CondExpr : Expr {
  CondExpr() : Expr(ExprKind::kCond) {}
  ExprPtr test, then_expr, else_expr;  // else_expr may be null
};

// ---- Statements -------------------------------------------------------------

enum class StmtKind : uint8_t {
  kText,
  kPrint,
  kIf,
  kFor,
  kSet,
  kSetBlock,
  kMacro,
  kCallBlock,
  kFilterBlock,
  kWith,
  kBreak,
  kContinue,
  kScope,  // a body with its own variable scope ({% generation %})
};

struct Stmt : Node {
  explicit Stmt(StmtKind k) : kind(k) {}
  virtual ~Stmt() = default;
  StmtKind kind;
};
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct TextStmt : Stmt {
  TextStmt() : Stmt(StmtKind::kText) {}
  std::string text;
};

struct PrintStmt : Stmt {
  PrintStmt() : Stmt(StmtKind::kPrint) {}
  ExprPtr expr;
};

struct IfStmt : Stmt {
  IfStmt() : Stmt(StmtKind::kIf) {}
  std::vector<std::pair<ExprPtr, Body>> branches;  // if, elif...
  Body else_body;
};

struct ForStmt : Stmt {
  ForStmt() : Stmt(StmtKind::kFor) {}
  ExprPtr target;  // NameExpr or tuple of NameExpr
  ExprPtr iter;
  ExprPtr filter;  // `for x in y if cond`; may be null
  Body body;
  Body else_body;
  bool recursive = false;
  // The body reads loop.length/last/revindex/revindex0/nextitem (or uses
  // `loop` as a whole), which with a filter needs every item filtered first.
  bool needs_lookahead = false;
  // The body mentions `loop` at all; otherwise no loop object is built.
  bool uses_loop = false;
};

// Assignment target: a name, a tuple of names, or ns.attr.
struct SetStmt : Stmt {
  SetStmt() : Stmt(StmtKind::kSet) {}
  ExprPtr target;
  ExprPtr value;
};

struct SetBlockStmt : Stmt {
  SetBlockStmt() : Stmt(StmtKind::kSetBlock) {}
  ExprPtr target;
  ExprPtr filter;  // FilterExpr chain with a null innermost operand; may be null
  Body body;
};

// A macro's signature and body; also the body of a {% call %} block.
struct MacroDef {
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // parallel to params; null = no default
  Body body;
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool uses_caller = false;
};

struct MacroStmt : Stmt {
  MacroStmt() : Stmt(StmtKind::kMacro) {}
  std::shared_ptr<const MacroDef> def;
};

struct CallBlockStmt : Stmt {
  CallBlockStmt() : Stmt(StmtKind::kCallBlock) {}
  ExprPtr call;                            // a CallExpr
  std::shared_ptr<const MacroDef> caller;  // the block body, named "caller"
};

struct FilterBlockStmt : Stmt {
  FilterBlockStmt() : Stmt(StmtKind::kFilterBlock) {}
  ExprPtr filter;  // FilterExpr chain with a null innermost operand
  Body body;
};

struct WithStmt : Stmt {
  WithStmt() : Stmt(StmtKind::kWith) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> assignments;
  Body body;
};

struct BreakStmt : Stmt {
  BreakStmt() : Stmt(StmtKind::kBreak) {}
};

struct ContinueStmt : Stmt {
  ContinueStmt() : Stmt(StmtKind::kContinue) {}
};

struct ScopeStmt : Stmt {
  ScopeStmt() : Stmt(StmtKind::kScope) {}
  Body body;
};

}  // namespace shimmy::jinja
