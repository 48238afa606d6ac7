# Every target of ours gets the same warning set; CI turns them into errors.
add_library(callwarden_warnings INTERFACE)
target_compile_options(callwarden_warnings INTERFACE -Wall -Wextra -Wpedantic)
if(CALLWARDEN_WERROR)
  target_compile_options(callwarden_warnings INTERFACE -Werror)
endif()
