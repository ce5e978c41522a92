"""Kiosk configuration: a schema, a TOML loader, environment overrides, clear errors.

Order of precedence: embedded defaults < the TOML file (--config or $KIOSK_CONFIG)
< environment variables named KIOSK_<SECTION>__<KEY> (e.g. KIOSK_DEVICES__PRINTER__MODE).
Every error names the file, the key and what is wrong; the CLI prints it without a traceback.

The schema is plain standard library: importing pydantic cost 150-250 ms of startup. A section
is a class of annotated fields (`Field()` adds limits); values are checked and coerced when a
section is built, assigned or copied with updates, worded as pydantic did ("Input should be
...") and with the pydantic method names the rest of the code uses (model_validate, model_dump,
model_copy).
"""

import copy
import os
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple, Self, dataclass_transform

from kiosk.demo import DEMO_PIN_HASH, DEMO_TERMINAL_SECRET

ENV_PREFIX = "KIOSK_"
ENV_CONFIG_FILE = "KIOSK_CONFIG"

# The strings pydantic accepted for a bool (environment variables often say yes/no, on/off).
_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}
_MISSING: Any = object()  # "no valid value": the problem is already recorded


class ConfigError(Exception):
    """A configuration problem, worded for the technician who has to fix it."""


class Problem(NamedTuple):
    loc: tuple[str | int, ...]  # e.g. ("devices", "printer", "port")
    msg: str
    input: Any
    unknown_key: bool = False


class ValidationError(ConfigError, ValueError):
    """Values that do not fit the schema; `problems` lists all of them, not just the first."""

    def __init__(self, title: str, problems: list[Problem], root: "type[_Section]") -> None:
        self.problems = problems
        super().__init__(_describe(problems, f"invalid {title} values", {}, root))


# ---------------------------------------------------------------------------- the schema kit


class _Field:
    """A field's default and limits; the type comes from the annotation."""

    def __init__(self, default: Any, **options: Any) -> None:
        self.default = default
        self.type: Any = None  # filled in by _Section.__init_subclass__
        self.ge = options.get("ge")
        self.gt = options.get("gt")
        self.le = options.get("le")
        self.lt = options.get("lt")
        self.min_length = options.get("min_length")
        self.max_length = options.get("max_length")
        self.check: Callable[[Any], Any] | None = options.get("check")
        self.exclude: bool = options.get("exclude", False)

    def new_default(self) -> Any:
        # Lists and sections are copied so that instances never share them (pydantic did too).
        if isinstance(self.default, list | _Section):
            return copy.deepcopy(self.default)
        return self.default

    def validate(self, value: Any, loc: tuple[str | int, ...], problems: list[Problem]) -> Any:
        """The coerced value, or _MISSING after appending why it does not fit to problems."""
        before = len(problems)
        result = _coerce(self.type, value, loc, problems)
        if len(problems) > before:
            return _MISSING
        why = self._outside_limits(result)
        if why is None and self.check is not None:
            try:
                result = self.check(result)
            except ValueError as exc:
                why = f"Value error, {exc}"
        if why is not None:
            problems.append(Problem(loc, why, value))
            return _MISSING
        return result

    def _outside_limits(self, value: Any) -> str | None:
        # `not value >= x` rather than `value < x`, so that NaN is refused as well.
        if self.ge is not None and not value >= self.ge:
            return f"Input should be greater than or equal to {self.ge}"
        if self.gt is not None and not value > self.gt:
            return f"Input should be greater than {self.gt}"
        if self.le is not None and not value <= self.le:
            return f"Input should be less than or equal to {self.le}"
        if self.lt is not None and not value < self.lt:
            return f"Input should be less than {self.lt}"
        if self.min_length is not None and len(value) < self.min_length:
            return f"String should have at least {_count(self.min_length, 'character')}"
        if self.max_length is not None and len(value) > self.max_length:
            return f"String should have at most {_count(self.max_length, 'character')}"
        return None


def Field(
    default: Any,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    check: Callable[[Any], Any] | None = None,  # raises ValueError to refuse a value
    exclude: bool = False,  # left out of model_dump()
) -> Any:
    """A field with limits, named and used like pydantic's Field."""
    return _Field(
        default, ge=ge, gt=gt, le=le, lt=lt, min_length=min_length, max_length=max_length,
        check=check, exclude=exclude,
    )  # fmt: skip


def _coerce(tp: Any, value: Any, loc: tuple[str | int, ...], problems: list[Problem]) -> Any:
    """value as type tp (pydantic's lax mode, minus bool-as-number and str-as-number)."""

    def refuse(msg: str) -> Any:
        problems.append(Problem(loc, msg, value))
        return _MISSING

    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, _Section):
        if isinstance(value, tp):
            return value
        if isinstance(value, Mapping):
            return tp._build(value, loc, problems)
        return refuse(f"Input should be a valid dictionary or instance of {tp.__name__}")
    if origin is Literal:
        choices = typing.get_args(tp)
        for choice in choices:  # 1 == True in Python, but not in a config file
            if value == choice and isinstance(value, bool) == isinstance(choice, bool):
                return choice
        return refuse(f"Input should be {_one_of(choices)}")
    if origin is types.UnionType:  # only `X | None` occurs
        if value is None:
            return None
        (inner,) = (arg for arg in typing.get_args(tp) if arg is not type(None))
        return _coerce(inner, value, loc, problems)
    if origin is list:
        if not isinstance(value, list | tuple):
            return refuse("Input should be a valid list")
        (item_type,) = typing.get_args(tp)
        return [_coerce(item_type, item, (*loc, i), problems) for i, item in enumerate(value)]
    if tp is bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1) and isinstance(value, int):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        return refuse("Input should be a valid boolean")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, float):
            return refuse("Input should be a valid integer, got a number with a fractional part")
        return refuse("Input should be a valid integer")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return refuse("Input should be a valid number")
    if tp is str:
        return value if isinstance(value, str) else refuse("Input should be a valid string")
    if tp is Path:
        if not isinstance(value, str | os.PathLike):
            return refuse("Input is not a valid path")
        why = _path_problem(Path(value))
        return refuse(why) if why else Path(value)
    raise TypeError(f"config schema: unsupported field type {tp!r}")


@dataclass_transform(kw_only_default=True, field_specifiers=(Field,))
class _Section:
    """A config section: typed fields with defaults, checked on creation and on assignment."""

    _fields: ClassVar[dict[str, _Field]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields = {}
        # No `from __future__ import annotations` in this module: the annotations are types
        # already, so reading them costs nothing at startup.
        for name, tp in typing.get_type_hints(cls).items():
            if name.startswith("_"):
                continue
            if name not in cls.__dict__:
                raise TypeError(f"config schema: {cls.__name__}.{name} needs a default")
            spec = cls.__dict__[name]
            spec = spec if isinstance(spec, _Field) else _Field(spec)
            spec.type = tp
            cls._fields[name] = spec

    def __init__(self, **values: Any) -> None:
        problems: list[Problem] = []
        self.__dict__.update(self._values(values, (), problems))
        if problems:
            raise ValidationError(type(self).__name__, problems, type(self))

    @classmethod
    def _values(
        cls, data: Mapping[Any, Any], loc: tuple[str | int, ...], problems: list[Problem]
    ) -> dict[str, Any]:
        values = {}
        for name, spec in cls._fields.items():
            if name in data:
                values[name] = spec.validate(data[name], (*loc, name), problems)
            else:
                values[name] = spec.new_default()
        for key in data:
            if key not in cls._fields:
                problems.append(Problem((*loc, str(key)), "unknown key", data[key], True))
        return values

    @classmethod
    def _build(
        cls, data: Mapping[Any, Any], loc: tuple[str | int, ...], problems: list[Problem]
    ) -> Self:
        section = object.__new__(cls)
        section.__dict__.update(cls._values(data, loc, problems))
        return section

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """A section from a (nested) dict, e.g. parsed TOML; all problems reported at once."""
        problems: list[Problem] = []
        section = _coerce(cls, data, (), problems)
        if problems:
            raise ValidationError(cls.__name__, problems, cls)
        return section

    def model_dump(self) -> dict[str, Any]:
        """Plain nested dicts (Path values stay Path objects, as pydantic's python mode)."""
        return {
            name: _dump(getattr(self, name))
            for name, spec in self._fields.items()
            if not spec.exclude
        }

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; the updated values are checked like assignments (pydantic did not)."""
        clone = copy.deepcopy(self) if deep else copy.copy(self)
        if update:
            clone._assign(update)
        return clone

    def __setattr__(self, name: str, value: Any) -> None:
        self._assign({name: value})

    def _assign(self, updates: Mapping[str, Any]) -> None:
        problems: list[Problem] = []
        values = {}
        for name, value in updates.items():
            spec = self._fields.get(name)
            if spec is None:
                problems.append(Problem((name,), "unknown key", value, True))
            else:
                values[name] = spec.validate(value, (name,), problems)
        if problems:
            raise ValidationError(type(self).__name__, problems, type(self))
        self.__dict__.update(values)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:  # mutable, like pydantic models: never a dict key
        raise TypeError(f"unhashable type: {type(self).__name__!r}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"


def _dump(value: Any) -> Any:
    if isinstance(value, _Section):
        return value.model_dump()
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value


def _one_of(choices: tuple[Any, ...]) -> str:
    shown = [repr(choice) for choice in choices]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# ------------------------------------------------------------------------------- the schema


def _path_problem(path: Path) -> str | None:
    """Why a configured path can never work, found at load rather than at first use."""
    if "\x00" in str(path):
        return "Input is not a valid path (NUL byte)"
    try:
        path.expanduser()
    except RuntimeError:  # "~nosuchuser/x": Python cannot tell where that is
        return f"Input is not a valid path: {str(path).split('/')[0]!r} names no user here"
    return None


_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_HOST_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-")


def _region_code(code: str) -> str:
    """GB/T 2260 行政区划 code of the terminal's place (or a prefix of one): the operators'
    console picks the locality's 差评 deadlines by it."""
    if code and not (code.isdigit() and 2 <= len(code) <= 12):
        raise ValueError("must be a 行政区划 code: 2 to 12 digits, e.g. 440204")
    return code


def _https_only(url: str) -> str:
    """A platform URL parsed as a URL (not by splitting strings): https, a plain host name or
    IP address, a numeric port, no user:password@ (which hid the real host before), no
    query or fragment. Plain http only to a loopback address."""
    if not url:
        return url
    import ipaddress
    from urllib.parse import urlsplit  # only when a URL is configured

    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError("must be https://host[:port][/path]")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise ValueError("must not carry user:password@ (it hides which host is reached)")
    if parts.query or parts.fragment or any(c.isspace() or ord(c) < 32 for c in url):
        raise ValueError("must be https://host[:port][/path], no query, fragment or spaces")
    try:
        ipaddress.ip_address(host)
    except ValueError:  # a name: letters, digits, dots and hyphens only (no IDN tricks)
        if not set(host) <= _HOST_CHARS or ".." in host or host.startswith((".", "-")):
            raise ValueError(f"host {host!r} is not a valid host name") from None
    if port == 0:
        raise ValueError("port 0 is not a port to connect to")
    if parts.scheme == "http" and host not in _LOOPBACK:
        raise ValueError("must start with https:// (plain http only on loopback)")
    return url


class TerminalConfig(_Section):
    id: str = Field(default="KIOSK-DEMO-0001", min_length=1, max_length=64)
    name: str = "示范政务服务一体机"
    name_en: str = "Demo Government Services Kiosk"  # shown to English-speaking residents
    location: str = "示范服务大厅"
    region: str = Field(
        default="", check=_region_code
    )  # 行政区划 code, e.g. "440204"; console deadlines
    # Shown on the 暂停服务 screen when the kiosk cannot start (deploy/out_of_service.py).
    maintainer_phone: str = Field(default="", max_length=40)
    data_dir: Path = Path("~/.local/share/kiosk")
    log_dir: Path | None = None  # default: <data_dir>/logs

    @property
    def data_path(self) -> Path:
        return self.data_dir.expanduser()

    @property
    def log_path(self) -> Path:
        return (self.log_dir or self.data_dir / "logs").expanduser()


class UiConfig(_Section):
    language: Literal["zh-Hans", "zh-Hant", "en"] = "zh-Hans"
    elder_mode: bool = False
    idle_timeout_s: float = Field(default=60, ge=10, le=3600)
    elder_idle_timeout_s: float = Field(default=120, ge=10, le=3600)
    countdown_s: float = Field(default=30, ge=20, le=300)  # the resident gets at least 20 s
    mouse: bool = True
    traditional_variant: Literal["zh-TW", "zh-HK"] = "zh-TW"  # 繁體: Taiwan or Hong Kong forms
    speech: Literal["elder", "always", "off"] = "elder"  # spoken prompts: on in 长辈模式 by default
    speech_rate: int = Field(default=150, ge=80, le=300)  # espeak-ng words per minute
    font_control: Literal["auto", "kitty", "xterm", "none"] = "auto"  # how 长辈模式 enlarges cells
    font_size: float = Field(default=14, ge=6, le=96)  # terminal font size in normal mode (points)
    elder_font_size: float = Field(
        default=34, ge=6, le=160
    )  # the same in 长辈模式: ~70x20 cells at 1080p


class StaffConfig(_Section):
    # PBKDF2-SHA256 of the staff PIN, "salt_hex:hash_hex"; the default is the demo PIN 2468,
    # which the staff screen refuses unless the built-in (demo) platform runs.
    pin_hash: str = DEMO_PIN_HASH
    card_numbers: list[str] = []  # copied per instance (_Field.new_default)


class IdCardConfig(_Section):
    mode: Literal["emulated", "serial", "off"] = "emulated"
    port: str = "/dev/ttyUSB0"
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 115200
    poll_interval_s: float = Field(default=0.5, gt=0, le=10)
    timeout_s: float = Field(default=3.0, gt=0, le=30)
    reconnect_interval_s: float = Field(default=1.0, gt=0, le=60)
    read_fingerprints: bool = False  # 30 10 instead of 30 01
    read_appended_address: bool = True  # 30 03 (追加住址) after the main read
    emulator_pace: bool = True  # emulated mode: pace replies to the baud rate like a UART
    # emulated mode: a synthetic card already on the reader at start ("" = none)
    demo_card: Literal["", "resident", "hk_mo_tw_permit", "foreign_2017", "foreign_2023"] = ""


class SmartCardConfig(_Section):
    mode: Literal["emulated", "pcsc", "off"] = "emulated"
    reader: str = ""  # substring of the PC/SC reader name; empty takes the first
    start_pcscd: bool = True  # start `pcscd --foreground` if none runs (needs root)
    vpcd_port: int = Field(
        default=35963, ge=1, le=65535
    )  # emulated: vpcd slot 0 = 35963, 1 = 35964
    read_timeout_s: float = Field(default=10.0, gt=0, le=60)
    # emulated mode: a synthetic card already in the slot at start ("" = none)
    demo_card: Literal["", "social_security", "bank", "foreign"] = ""


class PrinterConfig(_Section):
    mode: Literal["emulated", "network", "serial", "usb", "off"] = "emulated"
    host: str = "127.0.0.1"
    port: int = Field(default=9100, ge=1, le=65535)
    device: str = "/dev/ttyS0"
    baudrate: int = Field(default=115200, gt=0)
    usb_vendor: int = 0
    usb_product: int = 0
    profile: str = "default"
    width_chars: int = Field(default=32, ge=24, le=64)  # 58 mm paper: 32, 80 mm paper: 48
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    poll_interval_s: float = Field(default=2.0, gt=0, le=60)  # background DLE EOT status poll
    job_timeout_s: float = Field(
        default=30.0, gt=0, le=600
    )  # wait for the end-of-job acknowledgement
    confirm_printed: bool = True  # GS r 1 after each job; off for printers that never answer it
    dsrdtr: bool = False  # serial hardware flow control (DSR/DTR)


class CameraConfig(_Section):
    mode: Literal["emulated", "v4l2", "file", "off"] = "emulated"
    source: str = "0"  # V4L2 index, device path, video file or image folder
    width: int = Field(default=640, ge=160, le=3840)
    height: int = Field(default=480, ge=120, le=2160)
    fps: float = Field(default=15, gt=0, le=60)
    reconnect_s: float = Field(default=2.0, gt=0, le=60)  # retry interval while the camera is away
    # What the emulated camera shows: a face for 3 s then a QR code for 2 s, or one of them.
    emulated_scene: Literal["mixed", "face", "qr"] = "mixed"
    emulated_qr_text: str = Field(default="KIOSK-DEMO-QR-0001", min_length=1, max_length=500)
    # Face quality rules (see kiosk/devices/camera/face.py for why these defaults).
    face_min_width_ratio: float = Field(default=0.20, gt=0, lt=1)
    face_max_centre_offset: float = Field(default=0.20, gt=0, le=0.5)
    face_min_sharpness: float = Field(default=40.0, ge=0)
    face_min_brightness: float = Field(default=50.0, ge=0, le=255)


class A4PrinterConfig(_Section):
    # emulated: a private cupsd with a cups-pdf queue (Debian cups, printer-driver-cups-pdf);
    # cups: a queue on a CUPS server (the system's is 127.0.0.1:631).
    mode: Literal["emulated", "cups", "off"] = "emulated"
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)  # 0 with emulated: a free loopback port
    queue: str = Field(default="kiosk-a4", min_length=1, max_length=127)
    poll_interval_s: float = Field(default=5.0, gt=0, le=300)
    job_timeout_s: float = Field(default=120.0, gt=0, le=1800)  # a job held longer is cancelled


class DocCamConfig(_Section):
    mode: Literal["emulated", "v4l2", "off"] = "emulated"  # 高拍仪: a UVC document camera
    source: str = "1"  # V4L2 index or device path
    width: int = Field(default=1600, ge=640, le=6000)
    height: int = Field(default=1200, ge=480, le=4000)
    max_kib: int = Field(
        default=600, ge=50, le=8192
    )  # one page image, as attached to an application


class DevicesConfig(_Section):
    idcard: IdCardConfig = IdCardConfig()
    smartcard: SmartCardConfig = SmartCardConfig()
    printer: PrinterConfig = PrinterConfig()
    camera: CameraConfig = CameraConfig()
    a4printer: A4PrinterConfig = A4PrinterConfig()
    doccam: DocCamConfig = DocCamConfig()


class PlatformConfig(_Section):
    mode: Literal["builtin", "remote"] = "builtin"
    url: str = Field(
        default="", check=_https_only
    )  # remote mode: https://… (TLS verification always on)
    ca_file: Path | None = None  # extra CA bundle for a private PKI
    terminal_secret: str = DEMO_TERMINAL_SECRET  # demo platforms only (serve --demo)
    secret_file: Path | None = None  # preferred over terminal_secret when set
    # The terminal's Ed25519 signing key (kiosk platform terminal-key; enrolled with kiosk
    # platform enroll). Default <data_dir>/terminal_ed25519.key; when it exists it is used
    # instead of any shared secret.
    key_file: Path | None = None
    # "gm": 国密 on the link (SM2 signatures, SM3 digests, SM2 + SM4-GCM sealing; kiosk/gm.py)
    crypto: Literal["standard", "gm"] = "standard"
    public_key_file: Path | None = None  # platform's X25519 key for outbox encryption
    timeout_s: float = Field(default=10, gt=0, le=120)
    heartbeat_s: float = Field(default=60, ge=5, le=3600)
    # The reference server (`kiosk platform serve`, and the built-in mode's embedded copy).
    server_data_dir: Path | None = None  # default: <terminal data_dir>/platform
    database_url: str = ""  # empty: SQLite in server_data_dir; postgresql://… for a fleet
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8700, ge=0, le=65535)

    def server_data_path(self, terminal_data: Path) -> Path:
        return (self.server_data_dir or terminal_data / "platform").expanduser()


class OutboxConfig(_Section):
    path: Path | None = None  # default: <data_dir>/outbox.sqlite3
    batch_max_items: int = Field(default=1000, ge=1, le=1000)  # the platform takes up to 1000
    batch_max_bytes: int = Field(
        default=4_000_000, ge=10_000, le=8_000_000
    )  # its body limit: 8 MiB
    retention_days: float = Field(default=30, ge=0)
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_cap_s: float = Field(default=300, gt=0)


class KioskConfig(_Section):
    terminal: TerminalConfig = TerminalConfig()
    ui: UiConfig = UiConfig()
    staff: StaffConfig = StaffConfig()
    devices: DevicesConfig = DevicesConfig()
    platform: PlatformConfig = PlatformConfig()
    outbox: OutboxConfig = OutboxConfig()
    source: str = Field(default="embedded defaults", exclude=True)


# ------------------------------------------------------------------------------- the loader


def load_config(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> KioskConfig:
    environ = dict(os.environ if environ is None else environ)
    if path is None and environ.get(ENV_CONFIG_FILE):
        path = environ[ENV_CONFIG_FILE]
    data: dict[str, Any] = {}
    source = "embedded defaults"
    if path is not None:
        path = Path(path)
        source = str(path)
        data = _read_toml(path)
    from_env = _apply_env(data, environ)
    try:
        config = KioskConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            _describe(exc.problems, f"config error in {source}", from_env, KioskConfig)
        ) from None
    config.source = source
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: not found") from None
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: not valid TOML: {exc}") from None


def _apply_env(data: dict[str, Any], environ: dict[str, str]) -> dict[str, str]:
    """Merge KIOSK_A__B=value into data; return {"a.b": variable name} for error messages."""
    origins: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_CONFIG_FILE or "__" not in name:
            continue
        keys = name[len(ENV_PREFIX) :].lower().split("__")
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"environment {name}: {key} is not a section")
        node[keys[-1]] = _env_value(value)
        origins[".".join(keys)] = name
    return origins


def _env_value(value: str) -> Any:
    """Parse an environment value as a TOML scalar when it is one, else keep the string."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def _describe(
    problems: list[Problem], title: str, from_env: dict[str, str], root: type[_Section]
) -> str:
    lines = [f"{title}:"]
    for problem in problems:
        loc = [str(part) for part in problem.loc]
        key = ".".join(loc)
        if problem.unknown_key:
            msg = f"unknown key '{key}'"
            hint = _suggest(root, loc)
            if hint:
                msg += f" (did you mean '{hint}'?)"
        else:
            shown = "" if isinstance(problem.input, dict) else f" (got {problem.input!r})"
            msg = f"{key}: {problem.msg}{shown}" if key else f"{problem.msg}{shown}"
        # A list item's problem (staff.card_numbers.1) was still set by staff.card_numbers.
        for depth in range(len(loc), 0, -1):
            variable = from_env.get(".".join(loc[:depth]))
            if variable:
                msg += f" [set by environment variable {variable}]"
                break
        lines.append(f"  {msg}")
    return "\n".join(lines)


def _suggest(root: type[_Section], loc: list[str]) -> str | None:
    import difflib  # only on the error path

    section = root
    for part in loc[:-1]:
        spec = section._fields.get(part)
        if spec is None or not (isinstance(spec.type, type) and issubclass(spec.type, _Section)):
            return None
        section = spec.type
    close = difflib.get_close_matches(loc[-1], list(section._fields), n=1)
    return ".".join([*loc[:-1], close[0]]) if close else None
