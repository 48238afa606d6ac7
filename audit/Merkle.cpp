#include "audit/Merkle.h"

namespace callwarden::audit {

Hash leafHash(Sha256& h, std::string_view data) {
  const uint8_t prefix = 0x00;
  h.update(&prefix, 1);
  h.update(data.data(), data.size());
  return h.finish();
}

Hash nodeHash(Sha256& h, const Hash& left, const Hash& right) {
  const uint8_t prefix = 0x01;
  h.update(&prefix, 1);
  h.update(left.data(), left.size());
  h.update(right.data(), right.size());
  return h.finish();
}

Hash emptyRoot() {
  Sha256 h;
  return h.finish();
}

void CompactRange::append(Sha256& h, const Hash& leaf) {
  // Merge equal-sized subtrees like a binary counter: the number of trailing one bits of the
  // old size is the number of merges.
  Hash cur = leaf;
  for (uint64_t s = size_; (s & 1) != 0; s >>= 1) {
    cur = nodeHash(h, stack_.back(), cur);
    stack_.pop_back();
  }
  stack_.push_back(cur);
  ++size_;
}

Hash CompactRange::root(Sha256& h) const {
  if (stack_.empty()) return emptyRoot();
  // Subtree sizes decrease to the right, so folding right-to-left reproduces RFC 6962's split
  // at the largest power of two.
  Hash acc = stack_.back();
  for (size_t i = stack_.size() - 1; i-- > 0;) acc = nodeHash(h, stack_[i], acc);
  return acc;
}

Hash referenceRoot(Sha256& h, const std::vector<Hash>& leaves, size_t begin, size_t end) {
  size_t n = end - begin;
  if (n == 0) return emptyRoot();
  if (n == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(h, referenceRoot(h, leaves, begin, begin + k),
                  referenceRoot(h, leaves, begin + k, end));
}

}  // namespace callwarden::audit
