#include "common/ThreadName.h"

#include <pthread.h>

#include <cstring>

namespace callwarden {

void nameCurrentThread(const char* name) {
  char cut[16] = {};
  std::strncpy(cut, name, sizeof cut - 1);
  (void)pthread_setname_np(pthread_self(), cut);
}

}  // namespace callwarden
