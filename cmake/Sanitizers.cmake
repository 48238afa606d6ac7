if(CALLWARDEN_SANITIZE)
  # Applied globally so that every object, test and tool shares one runtime.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
