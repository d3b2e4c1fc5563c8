// Hashes behind the _nilus_id linking columns. HashParts reads each part as its length followed
// by its bytes in little-endian 8-byte words (the last one zero-padded), folding each word into
// a 64-bit state with a multiply-xorshift mixer, and ends with the SplitMix64 finalizer; the
// result is rendered as 16 lower-case hex digits. The algorithm is part of the on-disk contract
// (ids of rows with a primary key must not change between runs), so it must not change.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace nilus::normalize {

uint64_t HashParts(std::initializer_list<std::string_view> parts);
// 16 lower-case hex digits, most significant first.
std::string HashToHex(uint64_t h);
// Writes the 16 hex digits to out[0..16).
void HashToHex(uint64_t h, char* out);

// The id hash of list element `index` (0-based) of the row whose id hash is `parent`, in the
// child table whose name hashes to `table_hash` (= HashParts({name})): the three 64-bit words
// folded with the same mixer and finalizer as HashParts. Cheap, so that child rows cost no
// string hashing.
uint64_t ChildHash(uint64_t parent, uint64_t table_hash, int64_t index);
// Reads 16 hex digits (as HashToHex writes them); false for anything else.
bool ParseHashHex(std::string_view hex, uint64_t* out);
// The _nilus_id of list element `index` of the row `parent_id` in child table `table`:
// HashToHex(ChildHash(parsed parent_id, HashParts({table}), index)). "" when parent_id is not
// 16 hex digits.
std::string ChildRowId(std::string_view parent_id, std::string_view table, int64_t index);

}  // namespace nilus::normalize
