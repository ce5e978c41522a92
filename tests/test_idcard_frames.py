"""SAM framing: the published frames, the streaming deframer, the SW3 table."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices.idcard import frames as fr
from kiosk.devices.idcard.commands import (
    BAUD_CODES,
    Command,
    baud_frame,
    build_read_payload,
    format_sam_id,
    parse_read_payload,
)
from kiosk.devices.idcard.synthetic import demo_card

# Frames from devices.md; † = also verbatim in a public source.
REFERENCE_FRAMES = {
    Command.RESET: "AA AA AA 96 69 00 03 10 FF EC",  # †
    Command.SAM_STATUS: "AA AA AA 96 69 00 03 11 FF ED",  # †
    Command.SAM_ID: "AA AA AA 96 69 00 03 12 FF EE",
    Command.FIND: "AA AA AA 96 69 00 03 20 01 22",  # †
    Command.SELECT: "AA AA AA 96 69 00 03 20 02 21",  # †
    Command.READ: "AA AA AA 96 69 00 03 30 01 32",  # †
    Command.READ_ADDRESS: "AA AA AA 96 69 00 03 30 03 30",  # †
    Command.READ_FINGERPRINTS: "AA AA AA 96 69 00 03 30 10 23",  # †
}

FIND_OK = bytes.fromhex("AAAAAA9669 0008 00009F 00000000 97")
SAM_STATUS_OK = bytes.fromhex("AAAAAA9669 0004 000090 94")


@pytest.mark.parametrize("command", list(REFERENCE_FRAMES), ids=lambda c: c.name)
def test_command_frames_match_the_reference(command: Command) -> None:
    assert command.frame == bytes.fromhex(REFERENCE_FRAMES[command])


def test_baud_frames() -> None:
    assert baud_frame(115200) == bytes.fromhex("AAAAAA9669 0003 6000 63")
    assert baud_frame(9600) == bytes.fromhex("AAAAAA9669 0003 6004 67")
    assert {baud_frame(b)[8] for b in BAUD_CODES} == {0, 1, 2, 3, 4}
    with pytest.raises(ValueError, match="9600"):
        baud_frame(4800)


def test_short_replies_have_the_published_shape() -> None:
    assert fr.build_reply(0x90) == SAM_STATUS_OK
    assert fr.build_reply(0x9F, bytes(4)) == FIND_OK and len(FIND_OK) == 15
    select = fr.build_reply(0x90, bytes(8))
    assert select[5:7] == b"\x00\x0c" and len(select) == 19


def test_read_replies_have_the_published_sizes() -> None:
    card = demo_card("resident", fingerprints=2)
    plain = fr.build_reply(0x90, card.read_data(False))
    assert len(plain) == 1295
    assert plain[:14] == bytes.fromhex("AAAAAA9669 0508 000090 0100 0400")
    with_fp = fr.build_reply(0x90, card.read_data(True))
    assert len(with_fp) == 2321 and with_fp[5:10] == bytes.fromhex("090A000090")
    no_fp = fr.build_reply(0x90, build_read_payload(card.text, card.photo, b""))
    assert len(no_fp) == 1297 and no_fp[5:7] == b"\x05\x0a"


def test_deframer_assembles_a_reply_fed_byte_by_byte() -> None:
    deframer = fr.Deframer()
    got = []
    for byte in FIND_OK:
        deframer.feed(bytes([byte]))
        frame = deframer.next_frame()
        if frame:
            got.append(frame)
    assert len(got) == 1
    reply = fr.Reply.from_frame(got[0])
    assert (reply.sw3, reply.data, reply.ok) == (0x9F, bytes(4), True)


def test_deframer_skips_garbage_and_keeps_trailing_bytes() -> None:
    deframer = fr.Deframer()
    # Garbage that even contains a partial preamble, then two frames split mid-preamble.
    stream = b"\x01\xaa\xaa\x96" + FIND_OK + SAM_STATUS_OK + b"\xaa\xaa"
    deframer.feed(stream[:7])
    assert deframer.next_frame() is None
    deframer.feed(stream[7:])
    first, second = deframer.next_frame(), deframer.next_frame()
    assert first is not None and first.raw == FIND_OK
    assert second is not None and second.raw == SAM_STATUS_OK
    assert deframer.next_frame() is None
    assert deframer.skipped == 4
    assert deframer.take_rest() == b"\xaa\xaa"


def test_bad_checksum_is_reported_and_the_stream_carries_on() -> None:
    broken = FIND_OK[:-1] + b"\x00"
    deframer = fr.Deframer()
    deframer.feed(broken + SAM_STATUS_OK)
    with pytest.raises(fr.ChecksumError, match="0x00.*0x97"):
        deframer.next_frame()
    frame = deframer.next_frame()
    assert frame is not None and frame.raw == SAM_STATUS_OK


@pytest.mark.parametrize("length", [0, 1, 2, fr.MAX_LEN + 1, 0xFFFF])
def test_impossible_lengths_are_rejected_at_once(length: int) -> None:
    deframer = fr.Deframer()
    deframer.feed(fr.PREAMBLE + length.to_bytes(2, "big") + b"\x00" * 10)
    with pytest.raises(fr.LengthError, match="impossible frame length"):
        deframer.next_frame()


def test_split_frames_names_a_short_frame_and_garbage() -> None:
    with pytest.raises(fr.ShortFrameError, match="9 of 15"):
        fr.split_frames(FIND_OK[:9])
    with pytest.raises(fr.NoFrameError):
        fr.split_frames(b"\x00\x01\x02")
    frames, skipped, rest = fr.split_frames(b"\x00" + FIND_OK + b"\x42")
    assert [f.raw for f in frames] == [FIND_OK] and skipped + len(rest) == 2


# Every SW3 code in the reference table, with its meaning.
REFERENCE_SW3 = {
    0x90: "OK", 0x9F: "find card OK", 0x91: "no such item", 0x10: "checksum",
    0x11: "length", 0x21: "command error", 0x23: "unauthorised", 0x24: "unknown error",
    0x31: "card-to-SAM", 0x32: "SAM-to-card", 0x33: "verification", 0x40: "unrecognised card",
    0x41: "read failed", 0x47: "random", 0x60: "self-test", 0x66: "not authorised",
    0x80: "no card", 0x81: "select card failed",
}  # fmt: skip


@pytest.mark.parametrize("code", sorted(REFERENCE_SW3))
def test_every_sw3_code_has_a_meaning_in_both_languages(code: int) -> None:
    assert REFERENCE_SW3[code] in fr.describe_sw3(code)
    zh = fr.describe_sw3(code, "zh")
    assert zh and "unknown status" not in zh and any("\u4e00" <= c <= "\u9fff" for c in zh)


def test_unknown_sw3_is_named_as_such() -> None:
    assert fr.describe_sw3(0x77) == "unknown status 0x77"
    assert fr.Reply.from_frame(fr.split_frames(fr.build_reply(0x77))[0][0]).ok is False


def test_sam_id_formatting() -> None:
    data = bytes([5, 0, 1, 0]) + (20101118).to_bytes(4, "little") + (7).to_bytes(4, "little")
    assert format_sam_id(data + (9).to_bytes(4, "little")) == "05.01-20101118-000000007-000000009"
    with pytest.raises(fr.LengthError):
        format_sam_id(data)


# Properties --------------------------------------------------------------------------------

VALID_STREAM = (
    FIND_OK
    + fr.build_reply(0x90, bytes(8))
    + fr.build_reply(0x90, demo_card("foreign_2023").read_data(False))
    + SAM_STATUS_OK
)


def drain(deframer: fr.Deframer) -> list[fr.Frame]:
    """All frames a deframer gives, with typed errors as the only allowed failures."""
    out = []
    for _ in range(10_000):
        try:
            frame = deframer.next_frame()
        except fr.FrameError:
            continue
        if frame is None:
            return out
        out.append(frame)
    raise AssertionError("deframer did not settle")


@given(st.lists(st.integers(1, 300), min_size=1, max_size=60))
def test_any_chunking_gives_the_same_frames(cuts: list[int]) -> None:
    deframer = fr.Deframer()
    got: list[fr.Frame] = []
    at = 0
    for size in cuts * 20:
        if at >= len(VALID_STREAM):
            break
        deframer.feed(VALID_STREAM[at : at + size])
        at += size
        got += drain(deframer)
    deframer.feed(VALID_STREAM[at:])
    got += drain(deframer)
    assert b"".join(f.raw for f in got) == VALID_STREAM


@settings(max_examples=300)
@given(st.binary(max_size=600))
def test_random_bytes_raise_only_typed_errors(data: bytes) -> None:
    deframer = fr.Deframer()
    deframer.feed(data)
    for frame in drain(deframer):
        assert fr.checksum(frame.raw[5:-1]) == frame.raw[-1]
    with contextlib.suppress(fr.FrameError):
        fr.split_frames(data)


@settings(max_examples=300)
@given(st.data())
def test_mutated_frames_raise_only_typed_errors(data: st.DataObject) -> None:
    stream = bytearray(VALID_STREAM)
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        at = data.draw(st.integers(0, len(stream) - 1))
        if op == "flip":
            stream[at] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            stream[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del stream[at : at + data.draw(st.integers(1, 8))]
    deframer = fr.Deframer()
    deframer.feed(bytes(stream))
    for frame in drain(deframer):
        assert fr.checksum(frame.raw[5:-1]) == frame.raw[-1]
        if not frame.is_command:
            reply = fr.Reply.from_frame(frame)
            with contextlib.suppress(fr.LengthError):
                parse_read_payload(reply.data)
