// sim::Task<T>: the coroutine type every model operation is written in.
//
// A Task is lazy: it starts when awaited (`co_await child()`), runs on the same
// simulated thread as its caller, and resumes the caller by symmetric transfer when
// it finishes. Only scheduling points (sim/core/sync.h) suspend a simulated thread
// back to its driver: the controlled driver (ControlledDriver,
// sim/core/controlled_driver.h) resumes exactly one thread per step; the
// free-running driver (FreeRunner, sim/core/free_runner.h) never suspends, so
// the same code runs straight through on a real (TBB) thread.
//
// Frames come from a per-OS-thread free list (FrameArena) so that re-executing a
// schedule does not hit the general-purpose allocator on every op.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace vfiosim::sim {

class Thread;

// Size-class free lists for coroutine frames (16-byte classes up to 4 KiB).
class FrameArena {
 public:
  static void* Allocate(std::size_t n);
  static void Free(void* p, std::size_t n) noexcept;
};

struct PromiseBase {
  Thread* thread = nullptr;
  std::coroutine_handle<> continuation;

  static void* operator new(std::size_t n) { return FrameArena::Allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { FrameArena::Free(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      std::coroutine_handle<> c = h.promise().continuation;
      return c ? c : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  // An exception (std::bad_alloc, say) ends the coroutine and is rethrown where
  // it is awaited, up to the driver, which rethrows it from the root task
  // (RethrowIfFailed): out of memory in the model is a clean error, not a crash.
  void unhandled_exception() noexcept { error = std::current_exception(); }
  std::exception_ptr error;
};

template <class T>
class Task;

// The promise of Task<T>: PromiseBase plus where the result goes.
template <class T>
struct TaskPromise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object();
  template <class U>
  void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
};

template <>
struct TaskPromise<void> : PromiseBase {
  Task<void> get_return_object();
  void return_void() {}
};

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = TaskPromise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~Task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> caller) noexcept {
    h_.promise().thread = caller.promise().thread;
    h_.promise().continuation = caller;
    return h_;
  }
  T await_resume() {
    RethrowIfFailed();
    if constexpr (!std::is_void_v<T>) return std::move(*h_.promise().value);
  }

  // For drivers, on a finished root task: rethrows what it threw.
  void RethrowIfFailed() const {
    if (h_ && h_.done() && h_.promise().error) std::rethrow_exception(h_.promise().error);
  }

  Handle handle() const { return h_; }

 private:
  friend struct TaskPromise<T>;
  explicit Task(Handle h) : h_(h) {}
  Handle h_;
};

template <class T>
Task<T> TaskPromise<T>::get_return_object() {
  return Task<T>(Task<T>::Handle::from_promise(*this));
}

inline Task<void> TaskPromise<void>::get_return_object() { return Task<void>(Task<void>::Handle::from_promise(*this)); }

}  // namespace vfiosim::sim
