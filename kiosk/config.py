"""Kiosk configuration: a schema, a TOML loader, environment overrides, clear errors.

Order of precedence: embedded defaults < the TOML file (--config or $KIOSK_CONFIG)
< environment variables named KIOSK_<SECTION>__<KEY> (e.g. KIOSK_DEVICES__PRINTER__MODE).
Every error names the file, the key and what is wrong; the CLI prints it without a traceback.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "KIOSK_"
ENV_CONFIG_FILE = "KIOSK_CONFIG"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TerminalConfig(_Section):
    id: str = Field("KIOSK-DEMO-0001", min_length=1, max_length=64)
    name: str = "示范政务服务一体机"
    location: str = "示范服务大厅"
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
    idle_timeout_s: float = Field(60, ge=10, le=3600)
    elder_idle_timeout_s: float = Field(120, ge=10, le=3600)
    countdown_s: float = Field(30, ge=20, le=300)  # the resident gets at least 20 s
    mouse: bool = True


class StaffConfig(_Section):
    # PBKDF2-SHA256 of the staff PIN, "salt_hex:hash_hex"; the default PIN is 2468.
    pin_hash: str = (
        "6b696f736b2d64656d6f2d73616c74:"
        "9396939adec55d0c9525fe851c5d832e1a978dc5f4351bd01d9506ba9dd84076"
    )
    card_numbers: list[str] = []


class IdCardConfig(_Section):
    mode: Literal["emulated", "serial", "off"] = "emulated"
    port: str = "/dev/ttyUSB0"
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 115200
    poll_interval_s: float = Field(0.5, gt=0, le=10)
    timeout_s: float = Field(3.0, gt=0, le=30)
    reconnect_interval_s: float = Field(1.0, gt=0, le=60)
    read_fingerprints: bool = False  # 30 10 instead of 30 01
    read_appended_address: bool = True  # 30 03 (追加住址) after the main read
    emulator_pace: bool = True  # emulated mode: pace replies to the baud rate like a UART
    # emulated mode: a synthetic card already on the reader at start ("" = none)
    demo_card: Literal["", "resident", "hk_mo_tw_permit", "foreign_2017", "foreign_2023"] = ""


class SmartCardConfig(_Section):
    mode: Literal["emulated", "pcsc", "off"] = "emulated"
    reader: str = ""  # substring of the PC/SC reader name; empty takes the first
    start_pcscd: bool = True  # start `pcscd --foreground` if none runs (needs root)
    vpcd_port: int = Field(35963, ge=1, le=65535)  # emulated: vpcd slot 0 = 35963, 1 = 35964
    read_timeout_s: float = Field(10.0, gt=0, le=60)
    # emulated mode: a synthetic card already in the slot at start ("" = none)
    demo_card: Literal["", "social_security", "bank", "foreign"] = ""


class PrinterConfig(_Section):
    mode: Literal["emulated", "network", "serial", "usb", "off"] = "emulated"
    host: str = "127.0.0.1"
    port: int = Field(9100, ge=1, le=65535)
    device: str = "/dev/ttyS0"
    baudrate: int = Field(115200, gt=0)
    usb_vendor: int = 0
    usb_product: int = 0
    profile: str = "default"
    width_chars: int = Field(32, ge=24, le=64)  # 58 mm paper: 32, 80 mm paper: 48
    timeout_s: float = Field(5.0, gt=0, le=60)
    poll_interval_s: float = Field(2.0, gt=0, le=60)  # background DLE EOT status poll
    job_timeout_s: float = Field(30.0, gt=0, le=600)  # wait for the end-of-job acknowledgement
    confirm_printed: bool = True  # GS r 1 after each job; off for printers that never answer it
    dsrdtr: bool = False  # serial hardware flow control (DSR/DTR)


class CameraConfig(_Section):
    mode: Literal["emulated", "v4l2", "file", "off"] = "emulated"
    source: str = "0"  # V4L2 index, device path, video file or image folder
    width: int = Field(640, ge=160, le=3840)
    height: int = Field(480, ge=120, le=2160)
    fps: float = Field(15, gt=0, le=60)
    reconnect_s: float = Field(2.0, gt=0, le=60)  # retry interval while the camera is away
    # What the emulated camera shows: a face for 3 s then a QR code for 2 s, or one of them.
    emulated_scene: Literal["mixed", "face", "qr"] = "mixed"
    emulated_qr_text: str = Field("KIOSK-DEMO-QR-0001", min_length=1, max_length=500)
    # Face quality rules (see kiosk/devices/camera/face.py for why these defaults).
    face_min_width_ratio: float = Field(0.20, gt=0, lt=1)
    face_max_centre_offset: float = Field(0.20, gt=0, le=0.5)
    face_min_sharpness: float = Field(40.0, ge=0)
    face_min_brightness: float = Field(50.0, ge=0, le=255)


class DevicesConfig(_Section):
    idcard: IdCardConfig = IdCardConfig()
    smartcard: SmartCardConfig = SmartCardConfig()
    printer: PrinterConfig = PrinterConfig()
    camera: CameraConfig = CameraConfig()


class PlatformConfig(_Section):
    mode: Literal["builtin", "remote"] = "builtin"
    url: str = ""  # remote mode: https://… (TLS verification always on)
    ca_file: Path | None = None  # extra CA bundle for a private PKI
    terminal_secret: str = "demo-terminal-secret-change-me"
    secret_file: Path | None = None  # preferred over terminal_secret when set
    public_key_file: Path | None = None  # platform's X25519 key for outbox encryption
    timeout_s: float = Field(10, gt=0, le=120)
    heartbeat_s: float = Field(60, ge=5, le=3600)
    # The reference server (`kiosk platform serve`, and the built-in mode's embedded copy).
    server_data_dir: Path | None = None  # default: <terminal data_dir>/platform
    database_url: str = ""  # empty: SQLite in server_data_dir; postgresql://… for a fleet
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(8700, ge=0, le=65535)

    def server_data_path(self, terminal_data: Path) -> Path:
        return (self.server_data_dir or terminal_data / "platform").expanduser()

    @field_validator("url")
    @classmethod
    def _https_only(cls, url: str) -> str:
        if url and not url.startswith("https://"):
            host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
            if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
                raise ValueError("must start with https:// (plain http only on loopback)")
        return url


class OutboxConfig(_Section):
    path: Path | None = None  # default: <data_dir>/outbox.sqlite3
    batch_max_items: int = Field(100, ge=1, le=5000)
    batch_max_bytes: int = Field(1_000_000, ge=10_000)
    retention_days: float = Field(30, ge=0)
    backoff_base_s: float = Field(1.0, gt=0)
    backoff_cap_s: float = Field(300, gt=0)


class KioskConfig(_Section):
    terminal: TerminalConfig = TerminalConfig()
    ui: UiConfig = UiConfig()
    staff: StaffConfig = StaffConfig()
    devices: DevicesConfig = DevicesConfig()
    platform: PlatformConfig = PlatformConfig()
    outbox: OutboxConfig = OutboxConfig()
    source: str = Field("embedded defaults", exclude=True)


class ConfigError(Exception):
    """A configuration problem, worded for the technician who has to fix it."""


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
        raise ConfigError(_describe(exc, source, from_env)) from None
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


def _describe(exc: ValidationError, source: str, from_env: dict[str, str]) -> str:
    lines = [f"config error in {source}:"]
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = ".".join(loc)
        if err["type"] == "extra_forbidden":
            msg = f"unknown key '{key}'"
            hint = _suggest(loc)
            if hint:
                msg += f" (did you mean '{hint}'?)"
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict) else f" (got {got!r})"
            msg = f"{key}: {err['msg']}{shown}"
        if key in from_env:
            msg += f" [set by environment variable {from_env[key]}]"
        lines.append(f"  {msg}")
    return "\n".join(lines)


def _suggest(loc: list[str]) -> str | None:
    model: type[BaseModel] = KioskConfig
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        if field is None or not isinstance(field.annotation, type):
            return None
        model = field.annotation
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
    return ".".join([*loc[:-1], close[0]]) if close else None
