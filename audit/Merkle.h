#pragma once
// RFC 6962 Merkle tree hashing (section 2.1):
//   MTH({})    = SHA-256()
//   leaf(d)    = SHA-256(0x00 || d)
//   node(l, r) = SHA-256(0x01 || l || r)
//   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n.
// The writer and the verifier both keep a CompactRange: the O(log n) roots of the perfect
// subtrees covering [0, n), so the root at any size costs at most log2(n) node hashes.

#include <cstdint>
#include <string_view>
#include <vector>

#include "audit/Crypto.h"

namespace callwarden::audit {

Hash leafHash(Sha256& h, std::string_view data);
Hash nodeHash(Sha256& h, const Hash& left, const Hash& right);
Hash emptyRoot();

/// Not thread-safe; owned by one writer or one verifier.
class CompactRange {
 public:
  uint64_t size() const { return size_; }
  void append(Sha256& h, const Hash& leaf);
  /// The RFC 6962 root of leaves [0, size()).
  Hash root(Sha256& h) const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> stack_;  // perfect subtree roots, largest (leftmost) first
};

/// The textbook recursive definition, used by tests to cross-check CompactRange.
Hash referenceRoot(Sha256& h, const std::vector<Hash>& leaves, size_t begin, size_t end);

}  // namespace callwarden::audit
