#pragma once
// A mutex that spins briefly before it sleeps, for locks usually held a few microseconds.
//
// On the two-core VM the service was measured on, a futex sleep and its wake-up cost more
// than the critical section they wait for (each system call ~1 µs, plus a context switch).
// glibc's adaptive mutex spins up to a bounded count first (glibc.pthread.mutex_spin_count),
// then sleeps like a plain one, so a rare long hold (the audit log's checkpointNow() waits for
// a flush under it) costs each waiter only that bounded spin.

#include <pthread.h>

namespace callwarden {

class SpinThenWaitMutex {
 public:
  SpinThenWaitMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&mu_, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~SpinThenWaitMutex() { pthread_mutex_destroy(&mu_); }
  SpinThenWaitMutex(const SpinThenWaitMutex&) = delete;
  SpinThenWaitMutex& operator=(const SpinThenWaitMutex&) = delete;

  void lock() { pthread_mutex_lock(&mu_); }
  bool try_lock() { return pthread_mutex_trylock(&mu_) == 0; }
  void unlock() { pthread_mutex_unlock(&mu_); }

 private:
  pthread_mutex_t mu_;
};

}  // namespace callwarden
