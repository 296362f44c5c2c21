#pragma once
// The history store's on-disk format (DURABILITY.md "Data directory layout"): keys that sort
// a channel's events by seq, and compact length-prefixed values. Pure, no RocksDB, no CAF.
//
// Keys (channel names never contain a NUL byte, see valid_channel_name):
//   e<channel>\0<seq: 8 bytes big-endian>  -> event       (one prefix walk = the channel in order)
//   m<channel>                             -> meta        (epoch, next seq)
//   k<channel>\0<idempotency key>          -> receipt     (what a duplicate reply needs + expiry)
//   r<room>                                -> room        (version, state, metadata of room R)
//   v                                      -> format name (format_marker)
// Values start with a version byte; integers are LEB128 varints (signed ones zigzag), strings
// and lists are length-prefixed. The event's channel is its key's; everything else is stored.
#include <cstdint>
#include <string>
#include <string_view>

#include "schema/event.hpp"
#include "schema/store_types.hpp"

namespace sy::store_codec {

constexpr char event_tag = 'e';
constexpr char meta_tag = 'm';
constexpr char receipt_tag = 'k';
// A room's record is apart from its channel room.R's keys: a channel's drop (a new epoch)
// leaves the room's state alone.
constexpr char room_tag = 'r';
constexpr std::string_view format_key = "v";
/// Written once into a new store; a directory holding anything else is refused as corrupt.
constexpr std::string_view format_marker = "switchyard-store 1";

// -- keys --

std::string event_prefix(std::string_view channel);
std::string event_key(std::string_view channel, std::uint64_t seq);
std::string meta_key(std::string_view channel);
std::string receipt_prefix(std::string_view channel);
std::string receipt_key(std::string_view channel, std::string_view key);
std::string room_key(std::string_view room);
/// The smallest key greater than every key that starts with `prefix` (an exclusive bound).
std::string prefix_end(std::string prefix);
/// The seq of an event key whose channel prefix is `prefix_size` bytes; false if malformed.
bool seq_of_event_key(std::string_view key, std::size_t prefix_size, std::uint64_t& seq);

// -- values --

void append_event_value(std::string& out, const event& e);
/// Decodes a value written by append_event_value; `channel` comes from its key.
bool parse_event_value(std::string_view in, std::string_view channel, event& out);

std::string meta_value(const store_channel_meta& m);
bool parse_meta_value(std::string_view in, store_channel_meta& out);

std::string receipt_value(const store_receipt& r);
/// `key` is the idempotency key (the part of the store key after the channel).
bool parse_receipt_value(std::string_view in, std::string_view key, store_receipt& out);
std::string room_value(const store_room& r);
/// Decodes a value written by room_value; `found` is set.
bool parse_room_value(std::string_view in, store_room& out);

/// The expiry of a receipt value without decoding the rest; false if malformed.
bool receipt_expiry(std::string_view in, std::int64_t& expires_ms);

} // namespace sy::store_codec
