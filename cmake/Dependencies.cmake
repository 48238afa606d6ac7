# All dependencies come from Debian packages (see scripts/deps); nothing is downloaded.
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(date REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Poco REQUIRED COMPONENTS Foundation Util JSON Net NetSSL Crypto Data DataSQLite)
find_library(PHONENUMBER_LIB phonenumber REQUIRED)
find_path(PHONENUMBER_INCLUDE phonenumbers/phonenumberutil.h REQUIRED)
add_library(libphonenumber INTERFACE)
target_link_libraries(libphonenumber INTERFACE ${PHONENUMBER_LIB})
target_include_directories(libphonenumber SYSTEM INTERFACE ${PHONENUMBER_INCLUDE})
# The daemon's allocator. With one thread per connection, glibc malloc's arenas and
# consolidation took about a sixth of a call check's CPU; tcmalloc's per-thread caches cut a
# check's CPU by about a tenth (docs/PERFORMANCE.md). ASan brings its own allocator.
if(CALLWARDEN_TCMALLOC AND NOT CALLWARDEN_SANITIZE)
  find_library(TCMALLOC_LIB tcmalloc_minimal REQUIRED)
endif()
if(CALLWARDEN_TESTS)
  find_package(GTest REQUIRED)
endif()
if(CALLWARDEN_BENCH)
  find_package(benchmark REQUIRED)
endif()

# callwarden_module(NAME SOURCES... [DEPS ...]): one library per module folder.
# Headers sit beside sources and are included as "module/Header.h" from the project root.
function(callwarden_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT M_SOURCES)
    # A module with no sources yet is header-only; keep the target so dependants link.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(${name} STATIC ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${M_DEPS} PRIVATE callwarden_warnings)
endfunction()
