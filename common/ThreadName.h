#pragma once
// Names the calling thread, so that `top -H`, `perf` and a debugger tell the service's
// threads apart (the audit syncer from a request thread, say).

namespace callwarden {

/// `name` is cut to 15 characters, the kernel's limit. Best effort: a failure changes nothing.
void nameCurrentThread(const char* name);

}  // namespace callwarden
