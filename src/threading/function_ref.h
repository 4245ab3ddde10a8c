// A non-owning reference to a callable: two pointers, no allocation, no
// virtual call. ParallelFor hands one to its workers so that dispatching a
// lambda costs nothing beyond an indirect call per chunk (std::function may
// allocate and copies its target).
//
// Lifetime: the referenced callable must outlive every call through the ref;
// ThreadPool guarantees this by not returning until all workers are done.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace shimmy {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>)
      FunctionRef(F&& f)  // NOLINT: implicit, like a reference
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace shimmy
