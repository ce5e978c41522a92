"""Synthetic card applications for the virtual card: the card side of the APDU dialogue.

Each application answers C-APDUs with R-APDUs exactly as the readers in ssc.py and emv.py
expect from a real card, including the awkward parts (T=0 `61xx` + GET RESPONSE, `6Cxx`
wrong-Le, `6A82` for an unknown application). All personal data here is invented.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from kiosk import idnumber
from kiosk.devices.smartcard import apdu
from kiosk.devices.smartcard.apdu import Command, Response, tlv

SSSE_NAME = "sx1.sh.社会保障".encode("gbk")  # 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF
PSE_NAME = b"1PAY.SYS.DDF01"
PPSE_NAME = b"2PAY.SYS.DDF01"
AID_UNIONPAY_DEBIT = bytes.fromhex("A000000333010101")
AID_UNIONPAY_CREDIT = bytes.fromhex("A000000333010102")


gb11643_check_char = idnumber.check_digit
gb11643_valid = idnumber.is_valid


def luhn_check_digit(digits: str) -> str:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str(-total % 10)


def luhn_valid(number: str) -> bool:
    return len(number) >= 12 and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def bcd(digits: str) -> bytes:
    return bytes.fromhex(digits)


def _atr_t0(historical: bytes) -> bytes:
    # TS=3B (direct), T0 = TB1+TC1 present + K historical bytes; no TD1 => only T=0, no TCK.
    return bytes([0x3B, 0x60 | len(historical), 0x00, 0x00]) + historical


def _atr_t1(historical: bytes) -> bytes:
    # TD1=80 -> TD2 follows, T=0 offered; TD2=01 -> T=1. T=1 present => TCK required.
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return bytes([0x3B]) + body + bytes([tck])


class CardApplication(ABC):
    """A card as the virtual card thread sees it: an ATR and an APDU handler.

    With `t0=True` the card behaves like a T=0 card: replies that carry data come back as
    `61 xx` and the reader must fetch them with GET RESPONSE (00 C0 00 00 xx).
    """

    historical = b"KIOSK-CARD"

    def __init__(self, *, t0: bool = False) -> None:
        self.t0 = t0
        self._pending = b""
        self.get_responses = 0  # GET RESPONSE commands served (T=0 path taken)
        self.power_on()

    @property
    def atr(self) -> bytes:
        return _atr_t0(self.historical) if self.t0 else _atr_t1(self.historical)

    def power_on(self) -> None:
        """Cold or warm reset: forget selections."""
        self._pending = b""
        self.reset_state()

    def reset_state(self) -> None:  # noqa: B027 - optional hook for subclasses with state
        pass

    def process(self, raw: bytes) -> bytes:
        try:
            cmd = Command.parse(raw)
        except apdu.ApduError:
            return Response(b"", apdu.SW_WRONG_LENGTH).to_bytes()
        if cmd.ins == 0xC0 and cmd.cla & 0xFC == 0x00:
            return self._get_response(cmd).to_bytes()
        self._pending = b""
        reply = self.handle(cmd)
        if reply.data and reply.ok:
            if self.t0:
                self._pending = reply.data
                return Response(b"", 0x6100 | (len(reply.data) & 0xFF)).to_bytes()
            if cmd.le is not None and cmd.le < len(reply.data):
                return Response(b"", 0x6C00 | (len(reply.data) & 0xFF)).to_bytes()
        return reply.to_bytes()

    def _get_response(self, cmd: Command) -> Response:
        self.get_responses += 1
        if not self._pending:
            return Response(b"", apdu.SW_CONDITIONS)
        want = cmd.le or 256
        out, self._pending = self._pending[:want], self._pending[want:]
        if self._pending:
            return Response(out, 0x6100 | (len(self._pending) & 0xFF))
        return Response(out, apdu.SW_OK)

    @abstractmethod
    def handle(self, cmd: Command) -> Response: ...


# --- social security card ---------------------------------------------------------------


@dataclass(frozen=True)
class SscHolder:
    """What a synthetic social security card (社会保障卡) carries. All invented."""

    card_number: str  # 9 characters
    id_number: str  # 18 characters, GB 11643
    name: str
    sex: str = "1"  # GB/T 2261.1: 1 male, 2 female
    nation: int = 1  # GB 3304: 01 Han
    birthplace: str = "110105"  # region code, 6 digits
    birth_date: str = "19800101"  # YYYYMMDD
    issue_date: str = "20200615"
    expiry_date: str = "20300615"
    identification_code: str = "110000D156000005"  # 16 characters


def synthetic_id_number(region: str, birth_date: str, sequence: str) -> str:
    first17 = f"{region}{birth_date}{sequence}"
    return first17 + gb11643_check_char(first17)


def sample_ssc_holder() -> SscHolder:
    """The demo resident: 林晓梅, born 1985-03-12. Not a real person."""
    return SscHolder(
        card_number="A98765432",
        id_number=synthetic_id_number("110105", "19850312", "042"),
        name="林晓梅",
        sex="2",
        nation=1,
        birthplace="110105",
        birth_date="19850312",
    )


class SocialSecurityCardApp(CardApplication):
    """The SSSE application ("sx1.sh.社会保障"): EF05 (card facts), EF06 (holder).

    Records are addressed by record identifier (`00 B2 id 00 Le`) or by number with an SFI
    (`00 B2 n (sfi<<3|4) Le`); each answers `TAG LEN VALUE` with fixed field lengths.
    """

    historical = b"KIOSK-SSC-3"

    def __init__(self, holder: SscHolder | None = None, *, t0: bool = False) -> None:
        self.holder = holder or sample_ssc_holder()
        h = self.holder
        name = h.name.encode("gbk")[:30].ljust(30, b"\x00")
        self.files: dict[int, dict[int, bytes]] = {
            0xEF05: {
                0x01: h.identification_code.encode("ascii")[:16].ljust(16, b" "),
                0x03: b"3.00",
                0x05: bcd(h.issue_date),
                0x06: bcd(h.expiry_date),
                0x07: h.card_number.encode("ascii")[:9].ljust(9, b" "),
            },
            0xEF06: {
                0x08: h.id_number.encode("ascii")[:18].ljust(18, b" "),
                0x09: name,
                0x0A: h.sex.encode("ascii")[:1],
                0x0B: bytes([h.nation]),
                0x0C: bytes.fromhex(h.birthplace.ljust(6, "F")[:6]),
                0x0D: bcd(h.birth_date),
            },
        }
        super().__init__(t0=t0)

    def reset_state(self) -> None:
        self.selected = False
        self.current_ef: int | None = None

    def handle(self, cmd: Command) -> Response:
        if cmd.cla != 0x00:
            return Response(b"", apdu.SW_CLA_NOT_SUPPORTED)
        if cmd.ins == 0xA4:
            return self._select(cmd)
        if cmd.ins == 0xB2:
            return self._read_record(cmd)
        return Response(b"", apdu.SW_INS_NOT_SUPPORTED)

    def _select(self, cmd: Command) -> Response:
        if cmd.p1 == 0x04:
            if cmd.data != SSSE_NAME:
                return Response(b"", apdu.SW_FILE_NOT_FOUND)
            self.selected, self.current_ef = True, None
            return Response(tlv(0x6F, tlv(0x84, SSSE_NAME)), apdu.SW_OK)
        if cmd.p1 in (0x00, 0x02) and len(cmd.data) == 2:
            fid = int.from_bytes(cmd.data, "big")
            if not self.selected or fid not in self.files:
                return Response(b"", apdu.SW_FILE_NOT_FOUND)
            self.current_ef = fid
            return Response(b"", apdu.SW_OK)
        return Response(b"", apdu.SW_WRONG_P1P2)

    def _read_record(self, cmd: Command) -> Response:
        mode, sfi = cmd.p2 & 0x07, cmd.p2 >> 3
        if mode not in (0x00, 0x04):
            return Response(b"", apdu.SW_WRONG_P1P2)
        ef = (0xEF00 | sfi) if sfi else self.current_ef
        if not self.selected or ef is None:
            return Response(b"", 0x6986)  # no current EF
        records = self.files.get(ef)
        if records is None:
            return Response(b"", apdu.SW_FILE_NOT_FOUND)
        value = records.get(cmd.p1)
        if value is None:
            return Response(b"", apdu.SW_RECORD_NOT_FOUND)
        return Response(bytes([cmd.p1, len(value)]) + value, apdu.SW_OK)


# --- bank card (PBOC 3.0 / EMV) ------------------------------------------------------------


@dataclass(frozen=True)
class BankAccount:
    """A synthetic UnionPay debit card. The PAN passes Luhn; the BIN is made up."""

    pan: str
    expiry: str = "3012"  # YYMM
    effective: str = "2001"  # YYMM
    service_code: str = "220"
    pan_sequence: int = 1
    aid: bytes = AID_UNIONPAY_DEBIT
    label: str = "PBOC DEBIT"


def synthetic_pan(prefix: str = "621799", length: int = 19, serial: int = 1234567) -> str:
    body = prefix + str(serial).zfill(length - len(prefix) - 1)
    return body + luhn_check_digit(body)


def sample_bank_account() -> BankAccount:
    return BankAccount(pan=synthetic_pan())


def track2(account: BankAccount) -> bytes:
    digits = f"{account.pan}D{account.expiry}{account.service_code}0000000000"
    if len(digits) % 2:
        digits += "F"
    return bytes.fromhex(digits)


# PDOL a qPBOC card typically asks for: TTQ, amount, other amount, country, TVR, currency,
# date, type, unpredictable number.
DEFAULT_PDOL = bytes.fromhex("9F66049F02069F03069F1A0295055F2A029A039C019F3704")


class BankCardApp(CardApplication):
    """PBOC/EMV debit application with a PSE (contact) and a PPSE (contactless) directory.

    Flow a reader must follow: SELECT PSE -> READ RECORD of the SFI in tag 88 (or SELECT
    PPSE -> directory in BF0C) -> SELECT AID -> GPO (80 A8, PDOL data in tag 83) -> READ
    RECORD per the AFL. SFI 1 holds track-2 equivalent data (57), SFI 2 the PAN (5A) and
    expiry (5F24). `gpo_format` 1 answers tag 80, 2 answers tag 77.
    """

    historical = b"KIOSK-PBOC"

    def __init__(
        self,
        account: BankAccount | None = None,
        *,
        pse: bool = True,
        ppse: bool = True,
        pdol: bytes = DEFAULT_PDOL,
        gpo_format: int = 2,
        pan_in_5a: bool = True,
        t0: bool = False,
    ) -> None:
        self.account = account or sample_bank_account()
        self.pse, self.ppse, self.pdol = pse, ppse, pdol
        self.gpo_format, self.pan_in_5a = gpo_format, pan_in_5a
        a = self.account
        self.afl = bytes.fromhex("0801010010010201")
        sfi2 = tlv(0x5F24, bcd(a.expiry + "31")) + tlv(0x5F25, bcd(a.effective + "01"))
        if pan_in_5a:
            pan = a.pan + ("F" if len(a.pan) % 2 else "")
            sfi2 = tlv(0x5A, bytes.fromhex(pan)) + sfi2
        sfi2 += tlv(0x5F34, bytes([a.pan_sequence])) + tlv(0x5F28, bcd("0156"))
        self.records: dict[tuple[int, int], bytes] = {
            (1, 1): tlv(0x70, tlv(0x57, track2(a)) + tlv(0x5F20, b" /")),
            (2, 1): tlv(0x70, sfi2),
            (2, 2): tlv(
                0x70, tlv(0x8C, bytes.fromhex("9F02069F03069F1A0295055F2A029A039C019F3704"))
            ),
        }
        super().__init__(t0=t0)

    def reset_state(self) -> None:
        self.selected: str | None = None  # "pse", "ppse" or "app"
        self.gpo_done = False

    def _directory_entry(self) -> bytes:
        a = self.account
        return tlv(0x61, tlv(0x4F, a.aid) + tlv(0x50, a.label.encode()) + tlv(0x87, b"\x01"))

    def handle(self, cmd: Command) -> Response:
        if cmd.cla == 0x00 and cmd.ins == 0xA4:
            return self._select(cmd)
        if cmd.cla == 0x00 and cmd.ins == 0xB2:
            return self._read_record(cmd)
        if cmd.cla == 0x80 and cmd.ins == 0xA8:
            return self._gpo(cmd)
        if cmd.cla not in (0x00, 0x80):
            return Response(b"", apdu.SW_CLA_NOT_SUPPORTED)
        return Response(b"", apdu.SW_INS_NOT_SUPPORTED)

    def _select(self, cmd: Command) -> Response:
        if cmd.p1 != 0x04:
            return Response(b"", apdu.SW_FILE_NOT_FOUND)
        a = self.account
        self.gpo_done = False
        if cmd.data == PSE_NAME and self.pse:
            self.selected = "pse"
            prop = tlv(0x88, b"\x01") + tlv(0x5F2D, b"zhen")
            return Response(tlv(0x6F, tlv(0x84, PSE_NAME) + tlv(0xA5, prop)), apdu.SW_OK)
        if cmd.data == PPSE_NAME and self.ppse:
            self.selected = "ppse"
            prop = tlv(0xBF0C, self._directory_entry())
            return Response(tlv(0x6F, tlv(0x84, PPSE_NAME) + tlv(0xA5, prop)), apdu.SW_OK)
        if len(cmd.data) >= 5 and a.aid.startswith(cmd.data):  # partial AID selection allowed
            self.selected = "app"
            prop = tlv(0x50, a.label.encode()) + tlv(0x87, b"\x01") + tlv(0x5F2D, b"zhen")
            if self.pdol:
                prop += tlv(0x9F38, self.pdol)
            return Response(tlv(0x6F, tlv(0x84, a.aid) + tlv(0xA5, prop)), apdu.SW_OK)
        self.selected = None
        return Response(b"", apdu.SW_FILE_NOT_FOUND)

    def _gpo(self, cmd: Command) -> Response:
        if self.selected != "app":
            return Response(b"", apdu.SW_CONDITIONS)
        want = sum(n for _tag, n in apdu.parse_dol(self.pdol)) if self.pdol else 0
        if cmd.data[:1] != b"\x83" or len(cmd.data) < 2 or cmd.data[1] != want:
            return Response(b"", apdu.SW_WRONG_LENGTH)
        if len(cmd.data) != 2 + want:
            return Response(b"", apdu.SW_WRONG_LENGTH)
        self.gpo_done = True
        aip = b"\x7c\x00"
        if self.gpo_format == 1:
            return Response(tlv(0x80, aip + self.afl), apdu.SW_OK)
        return Response(tlv(0x77, tlv(0x82, aip) + tlv(0x94, self.afl)), apdu.SW_OK)

    def _read_record(self, cmd: Command) -> Response:
        if cmd.p2 & 0x07 != 0x04:
            return Response(b"", apdu.SW_WRONG_P1P2)
        sfi = cmd.p2 >> 3
        if self.selected == "pse" and sfi == 1:
            if cmd.p1 == 1:
                return Response(tlv(0x70, self._directory_entry()), apdu.SW_OK)
            return Response(b"", apdu.SW_RECORD_NOT_FOUND)
        if self.selected != "app":
            return Response(b"", apdu.SW_CONDITIONS)
        if not self.gpo_done:
            return Response(b"", apdu.SW_CONDITIONS)
        record = self.records.get((sfi, cmd.p1))
        if record is None:
            return Response(b"", apdu.SW_RECORD_NOT_FOUND)
        return Response(record, apdu.SW_OK)


# --- a card that is neither ---------------------------------------------------------------


class ForeignCardApp(CardApplication):
    """A card from another scheme (a transit or hotel card): knows none of our AIDs."""

    historical = b"KIOSK-OTHER"

    def handle(self, cmd: Command) -> Response:
        if cmd.ins == 0xA4:
            return Response(b"", apdu.SW_FILE_NOT_FOUND)
        if cmd.ins == 0xB2:
            return Response(b"", 0x6986)
        return Response(b"", apdu.SW_INS_NOT_SUPPORTED)


DEMO_CARDS = ("social_security", "bank", "foreign")


def demo_card(kind: str) -> CardApplication:
    """A synthetic card for the demo and `kiosk smartcard read` in emulated mode."""
    if kind == "social_security":
        return SocialSecurityCardApp()
    if kind == "bank":
        return BankCardApp()
    if kind == "foreign":
        return ForeignCardApp()
    raise ValueError(f"unknown demo card {kind!r}; choose from {', '.join(DEMO_CARDS)}")
