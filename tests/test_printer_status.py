"""DLE EOT status bytes: documented values, the 0xx1xx10 check, and random input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.base import DeviceState, PaperState
from kiosk.devices.printer.status import StatusError, check_reply, parse_status, status_bytes


def test_documented_bytes():
    assert status_bytes() == {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
    out = status_bytes(paper="out")
    assert (out[1], out[2], out[4]) == (0x1A, 0x32, 0x7E)
    assert status_bytes(paper="low")[4] == 0x1E
    assert status_bytes(cover_open=True)[2] & 0x04


def test_out_of_paper_example_decodes():
    status = parse_status({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E})
    assert status.offline and status.paper is PaperState.OUT and status.problem == "paper_out"
    assert status.device_state is DeviceState.USER_ERROR


def test_near_end_is_low_not_a_problem():
    status = parse_status({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E})
    assert status.paper is PaperState.LOW and status.problem is None
    assert status.device_state is DeviceState.ONLINE


@pytest.mark.parametrize("reply", [b"", b"\x12\x12", b"\x00", b"\x11", b"\x13", b"\x10", b"\xff"])
def test_bad_replies_are_refused(reply):
    with pytest.raises(StatusError) as err:
        check_reply(1, reply)
    assert err.value.code == "bad_status_reply"


@given(st.integers(1, 4), st.binary(max_size=4))
def test_random_replies_only_typed_errors(n, reply):
    try:
        value = check_reply(n, reply)
    except StatusError:
        assert len(reply) != 1 or reply[0] & 0x93 != 0x12
    else:
        assert len(reply) == 1 and value & 0x93 == 0x12


@given(st.dictionaries(st.integers(-2, 6), st.one_of(st.integers(0, 255), st.binary(max_size=3))))
def test_parse_status_random(raw):
    try:
        status = parse_status(raw)
    except StatusError:
        return
    assert status.device_state in DeviceState
    assert status.paper in (PaperState.FULL, PaperState.LOW, PaperState.OUT)
    assert (status.problem is None) == (status.device_state is DeviceState.ONLINE)
