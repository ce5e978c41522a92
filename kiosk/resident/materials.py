"""Which of a service's 所需材料 the terminal asks the resident to put under the document
camera (高拍仪), and the pages taken so far. No Textual.

The guide lists everything the service needs; some of it the terminal already has (the ID
card is read by the reader, the face by the camera, a promise is signed on screen) and some
is not paper (a bank card). The rest is photographed, one or more pages each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.offline.attachments import Attachment
from kiosk.resident.service import Service

# Words that mark a listed material as one the terminal does not photograph.
NOT_PHOTOGRAPHED = ("居民身份证原件", "原居民身份证", "刷卡读取", "人脸识别", "本机在线签署",
                    "银行借记卡", "银行账户", "现场采集", "现场拍摄", "可电子上传", "双方居民身份证",
                    "夫妻双方居民身份证", "父母居民身份证", "买卖双方居民身份证")  # fmt: skip


def required_materials(service: Service) -> tuple[str, ...]:
    return tuple(m for m in service.guide.materials if not any(w in m for w in NOT_PHOTOGRAPHED))


@dataclass
class CapturedPage:
    material: str
    jpeg: bytes
    sharpness: float


@dataclass
class MaterialPages:
    """The pages taken for the current application, by material (one page each here)."""

    wanted: tuple[str, ...]
    pages: dict[str, CapturedPage] = field(default_factory=dict)
    phone: dict[str, str] = field(default_factory=dict)  # material -> platform upload id

    @property
    def complete(self) -> bool:
        return all(m in self.pages or m in self.phone for m in self.wanted)

    def missing(self) -> list[str]:
        return [m for m in self.wanted if m not in self.pages and m not in self.phone]

    def phone_uploads(self) -> list[str]:
        """Uploads already at the platform: the application names them, it does not carry them."""
        return [self.phone[m] for m in self.wanted if m in self.phone and m not in self.pages]

    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(Attachment(m, "image/jpeg", self.pages[m].jpeg) for m in self.wanted
                     if m in self.pages)  # fmt: skip

    def wipe(self) -> None:
        self.pages.clear()
        self.phone.clear()
