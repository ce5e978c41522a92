"""Spoken prompts through espeak-ng, in the resident's language: Mandarin for 简体 and Taiwan
繁體, Cantonese for Hong Kong 繁體, English for English.

Speech is a child process, started and killed by a thread of its own, so the UI thread never
waits for it; a new prompt (or a step change) stops the one playing. A terminal with no audio device, or without espeak-ng, is
silent: `status` says why for the technician; the resident never sees an error.
Headless: no Textual here.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from kiosk.hant import Variant

log = logging.getLogger(__name__)

SpeechMode = Literal["elder", "always", "off"]
# espeak-ng's plain "cmn" voice reads the pinyin its dictionary gives as English letters and
# digits ("ni3" → "en ai three"); the "latin as pinyin" variant reads them as Mandarin.
MANDARIN, CANTONESE, ENGLISH = "cmn-latn-pinyin", "yue", "en"


def voice_for(language: str, variant: Variant = "zh-TW") -> str:
    if language == "en":
        return ENGLISH
    if language == "zh-Hant" and variant == "zh-HK":
        return CANTONESE
    return MANDARIN


def audio_device(environ: Mapping[str, str] | None = None, dev: str = "/dev/snd") -> str:
    """Where speech would play ("" when there is nowhere): a PulseAudio / PipeWire server or
    an ALSA playback device."""
    env = os.environ if environ is None else environ
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if env.get("PULSE_SERVER"):
        return f"PulseAudio {env['PULSE_SERVER']}"
    for name in ("pulse/native", "pipewire-0"):
        if runtime and os.path.exists(os.path.join(runtime, name)):
            return f"{name.split('/')[0]} in {runtime}"
    playback = sorted(glob.glob(os.path.join(dev, "pcmC*D*p")))
    return f"ALSA {playback[0]}" if playback else ""


def espeak_command(text: str, voice: str, rate: int, wav: Path | None = None) -> list[str]:
    out = ["-w", str(wav)] if wav is not None else []
    return ["espeak-ng", "-v", voice, "-s", str(rate), *out, "--", text]


@dataclass(frozen=True)
class Rendered:
    path: Path
    seconds: float


def render_wav(text: str, voice: str, path: Path, rate: int = 150) -> Rendered:
    """Speak `text` into a WAV file and measure it with sox (`soxi -D`)."""
    subprocess.run(espeak_command(text, voice, rate, path), check=True, capture_output=True)
    seconds = subprocess.run(
        ["soxi", "-D", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return Rendered(path, float(seconds))


class Speaker:
    """Says one prompt at a time; `say` replaces what is playing, `stop` silences it."""

    def __init__(
        self,
        mode: SpeechMode = "elder",
        rate: int = 150,
        *,
        variant: Variant = "zh-TW",
        device: str | None = None,
        player: Sequence[str] | None = None,
    ) -> None:
        """`player`: a command that plays a WAV from its standard input (e.g. `aplay -q`);
        by default espeak-ng plays on the default audio device itself."""
        self.mode, self.rate, self.variant = mode, rate, variant
        self._player = list(player) if player else None
        self._device = audio_device() if device is None else device
        self._lock = threading.Lock()
        self._procs: list[subprocess.Popen[bytes]] = []
        # Requests to the speech thread: the latest wins; `_done` catches up with `_asked`.
        self._wake = threading.Condition()
        self._wanted: tuple[str, str] | None = None
        self._asked = self._done = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self.last: tuple[str, str] | None = None
        if mode == "off":
            self.status = "speech off (ui.speech = off)"
        elif shutil.which("espeak-ng") is None:
            self.status = "speech off: espeak-ng is not installed (apt-get install espeak-ng)"
        elif not self._device and self._player is None:
            self.status = "speech off: no audio device (no /dev/snd playback, no sound server)"
        else:
            self.status = f"speech on: espeak-ng to {self._device or ' '.join(self._player or [])}"

    @property
    def available(self) -> bool:
        return self.status.startswith("speech on")

    def wanted(self, elder: bool) -> bool:
        return self.mode == "always" or (self.mode == "elder" and elder)

    def say(self, text: str, language: str) -> None:
        """Start speaking `text` (stopping what was playing); returns at once."""
        text = " ".join(text.split())
        if not text:
            return
        self.last = (text, language)
        if not self.available:
            self.stop()
            return
        self._request((text, language))

    def repeat(self) -> None:
        """The 🔊 重听 button: say the last prompt again."""
        if self.last is not None:
            self.say(*self.last)

    def speaking(self) -> bool:
        with self._lock:
            return any(p.poll() is None for p in self._procs)

    def stop(self) -> None:
        """Silence what is playing; returns at once (the speech thread kills it)."""
        if self._thread is None:
            self._kill(self._take_procs())  # never spoke: nothing to wait for
            return
        self._request(None)

    def settle(self, timeout: float = 5.0) -> bool:
        """Wait until the speech thread has carried out every say / stop asked so far."""
        with self._wake:
            return self._wake.wait_for(lambda: self._done == self._asked, timeout)

    def close(self) -> None:
        """The kiosk is leaving: silence now, and end the speech thread."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(1)  # bounded: the exit has its own deadline
        self._kill(self._take_procs())

    # Killing a prompt waits for its process (up to a second) and starting one forks: both
    # on one thread of their own, so a step change never waits for them on the UI thread.
    def _request(self, wanted: tuple[str, str] | None) -> None:
        with self._wake:
            if self._closed:
                return
            self._wanted, self._asked = wanted, self._asked + 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._closed or self._done != self._asked)
                if self._closed:
                    return
                wanted, asked = self._wanted, self._asked
            self._kill(self._take_procs())
            if wanted is not None:
                self._start(*wanted)
            with self._wake:
                self._done = asked
                self._wake.notify_all()

    def _take_procs(self) -> list[subprocess.Popen[bytes]]:
        with self._lock:
            procs, self._procs = self._procs, []
        return procs

    @staticmethod
    def _kill(procs: list[subprocess.Popen[bytes]]) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for proc in procs:
            try:
                proc.wait(1)
            except subprocess.TimeoutExpired:
                log.warning("speech process did not stop", extra={"pid": proc.pid})

    def _start(self, text: str, language: str) -> None:
        command = espeak_command(text, voice_for(language, self.variant), self.rate)
        try:
            if self._player is None:
                procs = [_spawn(command)]
            else:
                synth = _spawn([*command[:-2], "--stdout", *command[-2:]], stdout=True)
                play = _spawn(self._player, stdin=synth.stdout or subprocess.DEVNULL)
                if synth.stdout is not None:
                    synth.stdout.close()  # the player holds the pipe now
                procs = [synth, play]
        except OSError as exc:  # never the resident's problem
            self.status = f"speech failed: {exc}"
            log.warning("speech failed", extra={"error": str(exc)})
            return
        with self._lock:
            self._procs = procs


def _spawn(
    command: Sequence[str], *, stdout: bool = False, stdin: IO[bytes] | int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        list(command),
        stdin=stdin,
        stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # ALSA chatter; status says what matters
        start_new_session=True,  # a terminal's ^C or SIGHUP is the kiosk's business, not speech's
    )


# Each step's main prompt, the errors a resident can meet, and the countdown: the texts the
# kiosk speaks (i18n keys, with sample values for their placeholders).
PROMPTS: dict[str, dict[str, object]] = {
    "home.hint": {},
    "idcard.prompt": {},
    "idcard.reading": {},
    "idcard.take_card": {},
    "idcard.card_left": {},
    "idcard.err.no_card": {},
    "idcard.err.read_failed": {},
    "idcard.err.device": {},
    "scan.prompt": {},
    "scan.no_code": {},
    "guide.title": {},
    "face.prompt": {},
    "face.no_face": {},
    "form.missing": {"fields": "联系电话"},
    "form.failed": {},
    "submitted.printed": {},
    "submitted.kept": {},
    "record.printed": {},
    "record.offline": {},
    "rating.title": {},
    "rating.thanks": {},
    "ticket.title": {},
    "progress.prompt": {},
    "progress.not_found": {},
    "idle.title": {},
    "idle.body": {"s": 30},
    "chrome.staff_called": {},
}
