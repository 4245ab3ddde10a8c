// Finds stop strings in a stream of decoded text and decides what may be
// shown to the client now.
//
//   StopMatcher stops({"\nUser:", "</s>"});
//   for (each decoded piece) {
//     StopMatcher::Output out = stops.Feed(piece);
//     Send(out.text);                  // safe: can never become part of a stop
//     if (out.stopped) break;          // out.text is everything before the stop
//   }
//   Send(stops.Flush());               // generation ended without a stop
//
// A stop string may span any number of pieces; text that could still be the
// start of one is held back until it either completes the stop (then it is
// dropped with the stop) or stops matching (then it is released), so a stop
// string is never partially emitted. When several stop strings occur, the one
// that starts earliest wins.
//
// UTF-8: pieces must consist of whole characters (the detokenizer holds back
// incomplete sequences). Then every cut made here is at a character boundary,
// because a stop string starts with a lead byte, which never matches a
// continuation byte.
//
// Thread-safety: none; one per sequence. Cost: per Feed, O(held + piece)
// times the total length of the stop strings; the held text is shorter than
// the longest stop string.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shimmy {

class StopMatcher {
 public:
  struct Output {
    std::string text;      // text that may be emitted now
    bool stopped = false;  // a stop string was found; `text` ends just before it
    int stop_index = -1;   // which stop string (index into the constructor list)
  };

  // Empty stop strings are ignored (they would match everywhere).
  explicit StopMatcher(std::vector<std::string> stops = {});

  // Appends a piece. After a stop has been found, returns stopped = true with
  // no text and ignores the input.
  Output Feed(std::string_view piece);

  // End of generation: returns the held-back text (empty after a stop).
  std::string Flush();

  bool stopped() const { return stop_index_ >= 0; }
  const std::vector<std::string>& stops() const { return stops_; }

 private:
  // Length of the longest suffix of held_ that is a proper prefix of a stop.
  size_t PartialMatchLength() const;

  std::vector<std::string> stops_;  // as given, empty ones included (indices)
  std::string held_;
  int stop_index_ = -1;
};

}  // namespace shimmy
