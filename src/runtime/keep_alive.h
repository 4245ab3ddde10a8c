// keep_alive values as Ollama accepts them: how long a model stays loaded
// after its last request. Used for a request's "keep_alive" field and for
// the SHIMMY_KEEP_ALIVE environment variable.
//
//   ParseKeepAlive(300)       -> 300 s        ParseKeepAlive("5m")    -> 5 min
//   ParseKeepAlive(-1)        -> forever      ParseKeepAlive("1h30m") -> 90 min
//   ParseKeepAlive("3600")    -> 3600 s       ParseKeepAlive("0")     -> 0 (unload now)
//
// Forever is any negative value (kKeepAliveForever is the canonical one);
// zero means "unload as soon as the last request ends". A value too large
// to count in milliseconds (hundreds of years) is taken as forever too.
// Pure functions: thread-safe.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>

#include "base/result.h"

namespace shimmy::runtime {

inline constexpr std::chrono::milliseconds kKeepAliveForever{-1};

inline bool IsForever(std::chrono::milliseconds keep_alive) { return keep_alive.count() < 0; }

// A JSON keep_alive: a number of seconds (integer or fraction; negative =
// forever), a Go duration string ("5m", "1h30m", "1.5h", "300ms", "-1m",
// "0") or a number as a string ("3600", seconds). null, booleans, objects
// and arrays are errors (a caller treats an absent or null field as "the
// default" before asking). Errors name the bad value.
Result<std::chrono::milliseconds> ParseKeepAlive(const nlohmann::json& value);

// The same for text (SHIMMY_KEEP_ALIVE): a Go duration or a number of
// seconds; surrounding spaces are ignored.
Result<std::chrono::milliseconds> ParseKeepAliveText(std::string_view text);

}  // namespace shimmy::runtime
