#include "common/PhoneMask.h"

namespace callwarden {

std::string maskPhone(std::string_view phone) {
  if (phone.size() < 5) return std::string(phone.size(), '*');
  std::string s(phone);
  for (size_t i = s.size() - 4; i < s.size(); ++i) s[i] = '*';
  return s;
}

}  // namespace callwarden
