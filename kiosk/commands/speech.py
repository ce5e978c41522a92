"""`kiosk speech`: the technician's check of spoken prompts.

kiosk speech status          where speech would play, or why it is silent
kiosk speech say TEXT        speak TEXT now (--language zh-Hans | zh-Hant | en)
kiosk speech wav DIR         every prompt in every language to DIR/<language>/<key>.wav,
                             with its duration measured by sox (--json for machines)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.commands import config_from, print_json

if TYPE_CHECKING:
    from kiosk.speech import Speaker


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("speech", help="spoken prompts: status, say, render WAV files")
    ssub = p.add_subparsers(dest="speech_command", metavar="ACTION", required=True)
    ssub.add_parser("status", help="where speech plays, or why not").set_defaults(
        handler=handle_status
    )
    say = ssub.add_parser("say", help="speak a text now")
    say.add_argument("text")
    say.add_argument("--language", default="zh-Hans", choices=("zh-Hans", "zh-Hant", "en"))
    say.set_defaults(handler=handle_say)
    wav = ssub.add_parser("wav", help="render every prompt to WAV files, with durations")
    wav.add_argument("out", metavar="DIR")
    wav.add_argument("--json", action="store_true", help="machine-readable output")
    wav.set_defaults(handler=handle_wav)


def _speaker(args: argparse.Namespace) -> Speaker:
    from kiosk.speech import Speaker

    ui = config_from(args).ui
    return Speaker("always", ui.speech_rate, variant=ui.traditional_variant)


def handle_status(args: argparse.Namespace) -> int:
    speaker = _speaker(args)
    print(speaker.status)
    return 0 if speaker.available else 1


def handle_say(args: argparse.Namespace) -> int:
    speaker = _speaker(args)
    speaker.say(args.text, args.language)
    speaker.settle()  # started on the speech thread
    while speaker.speaking():
        time.sleep(0.1)
    speaker.close()
    print(speaker.status)
    return 0 if speaker.available else 1


def handle_wav(args: argparse.Namespace) -> int:
    from kiosk import i18n
    from kiosk.speech import PROMPTS, render_wav, voice_for

    ui = config_from(args).ui
    i18n.configure(ui.traditional_variant)
    out = Path(args.out)
    rows = []
    spoken: dict[str, list[float]] = {}  # seconds of speech per prompt, by language
    for language in i18n.LANGUAGES:
        voice = voice_for(language, ui.traditional_variant)
        (out / language).mkdir(parents=True, exist_ok=True)
        for key, values in PROMPTS.items():
            text = i18n.t(key, language, **values)
            done = render_wav(text, voice, out / language / f"{key}.wav", ui.speech_rate)
            spoken.setdefault(language, []).append(done.seconds)
            rows.append(
                {"language": language, "voice": voice, "key": key, "seconds": round(done.seconds, 3),
                 "chars": len(text), "path": str(done.path)}
            )  # fmt: skip
    if args.json:
        print_json({"prompts": rows})
        return 0
    for row in rows:
        print(f"{row['language']:8} {row['voice']:16} {row['seconds']:6.2f} s  {row['key']}")
    for language in i18n.LANGUAGES:
        mine = spoken.get(language, [0.0])
        print(
            f"{language:8} {len(mine)} prompts, {sum(mine):.1f} s in all, longest {max(mine):.1f} s"
        )
    return 0
