// libFuzzer target for the replication framing and the pgoutput decoder
// (src/extract/postgres/pgoutput.h). Built and run by run_fuzz.sh.
//
// Each input is tried three ways:
//   1. as one CopyData message (ParseReplicationMessage), an XLogData's payload then decoded;
//   2. as one pgoutput message for protocol versions 1 to 4, outside and inside a stream block;
//   3. split on kDelimiter into a sequence of messages fed to one decoder per version, so
//      StreamStart/StreamStop state and the xid that depends on it are exercised.
// Besides the sanitizers' checks, results must keep the header's promises: tuple values lie
// inside their tuple's bytes, errors are Corruption (or NotImplemented for two-phase
// messages), and a failed Decode leaves the stream state as it was. A broken promise traps.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "extract/postgres/pgoutput.h"

namespace {

using namespace nilus::pgoutput;

// Separates the messages of a sequence input (also in pgoutput.dict; unlikely inside a message).
constexpr std::string_view kDelimiter("\xfe\xfe\xfe\xfe", 4);

void Require(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckTuple(const Tuple& t) {
  for (size_t i = 0; i < t.values.size(); ++i) {
    const TupleValue& v = t.values[i];
    const bool has_bytes = v.kind == TupleValue::Kind::kText || v.kind == TupleValue::Kind::kBinary;
    Require(has_bytes || v.length == 0);
    Require(static_cast<size_t>(v.offset) + v.length <= t.bytes.size());
    Require(t.ValueBytes(i).size() == v.length);
  }
}

void CheckMsg(const Msg& msg) {
  Require(!MsgName(msg).empty());
  if (const auto* m = std::get_if<Insert>(&msg)) CheckTuple(m->new_tuple);
  if (const auto* m = std::get_if<Update>(&msg)) {
    Require(m->old_kind == 0 || m->old_kind == 'K' || m->old_kind == 'O');
    CheckTuple(m->old_tuple);
    CheckTuple(m->new_tuple);
  }
  if (const auto* m = std::get_if<Delete>(&msg)) {
    Require(m->old_kind == 'K' || m->old_kind == 'O');
    CheckTuple(m->old_tuple);
  }
}

void DecodeOne(PgOutputDecoder* decoder, std::string_view payload) {
  const bool before = decoder->in_stream();
  auto msg = decoder->Decode(payload);
  if (msg.ok()) {
    CheckMsg(*msg);
    return;
  }
  Require(decoder->in_stream() == before);
  const nilus::StatusCode code = msg.status().code();
  Require(code == nilus::StatusCode::kCorruption || code == nilus::StatusCode::kNotImplemented);
  Require(!msg.status().message().empty());
}

void ParseFrame(std::string_view bytes, PgOutputDecoder* decoder) {
  auto frame = ParseReplicationMessage(bytes);
  if (!frame.ok()) {
    Require(frame.status().code() == nilus::StatusCode::kCorruption);
    return;
  }
  if (const auto* w = std::get_if<XLogData>(&*frame)) {
    // The payload is a view into the input.
    Require(w->payload.data() >= bytes.data() &&
            w->payload.data() + w->payload.size() == bytes.data() + bytes.size());
    DecodeOne(decoder, w->payload);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  PgOutputDecoder framed(2);
  ParseFrame(input, &framed);

  for (int version = 1; version <= 4; ++version) {
    PgOutputDecoder outside(version);
    DecodeOne(&outside, input);
    PgOutputDecoder inside(version);
    Require(inside.Decode(std::string_view("S\0\0\0\1\1", 6)).ok());
    DecodeOne(&inside, input);
  }

  // Sequences: every version sees the same messages in order; each piece is also a frame.
  if (input.find(kDelimiter) != std::string_view::npos) {
    PgOutputDecoder decoders[] = {PgOutputDecoder(1), PgOutputDecoder(2), PgOutputDecoder(3),
                                  PgOutputDecoder(4)};
    PgOutputDecoder frames(2);
    std::string_view rest = input;
    while (true) {
      const size_t cut = rest.find(kDelimiter);
      const std::string_view piece = rest.substr(0, cut);
      for (PgOutputDecoder& d : decoders) DecodeOne(&d, piece);
      ParseFrame(piece, &frames);
      if (cut == std::string_view::npos) break;
      rest.remove_prefix(cut + kDelimiter.size());
    }
  }

  // Encoding never fails; its size is fixed.
  Require(EncodeStandbyStatus(size, size, size, static_cast<int64_t>(size) - 1, size % 2).size() ==
          34);
  return 0;
}
