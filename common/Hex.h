#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callwarden {

std::string toHex(const uint8_t* data, size_t n);
inline std::string toHex(const std::vector<uint8_t>& v) {
  return toHex(v.data(), v.size());
}
/// Lower- or upper-case hex; nullopt on odd length or a non-hex character.
std::optional<std::vector<uint8_t>> fromHex(std::string_view hex);

}  // namespace callwarden
