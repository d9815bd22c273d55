"""Message templates: variables in braces ({姓名}, {支部}), the signature and the opt-out hint.

The signature in 【】 heads every message: Chinese carriers refuse bulk messages without a registered signature
(工业和信息化部《通信短信息服务管理规定》第十八条 requires the sender to be identified). Non-mandatory messages
end with the opt-out hint, since the same rules (第十九条) require a way to refuse further messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dangjian.services.sms import conf
from dangjian.services.sms.segments import Segments, split

VARIABLE = re.compile(r"\{([^{}\s]{1,10})\}")
#: The variables a template may use, with an example for the preview.
VARIABLES = {"姓名": "张三", "支部": "上坑村党支部", "单位": "文武坝镇"}
OPT_OUT_HINT = "回TD退订"


def signature() -> str:
    return conf.text("DANGJIAN_SMS_SIGNATURE", "【会昌组工】")


def variables_in(body: str) -> set[str]:
    return set(VARIABLE.findall(body))


def check(body: str) -> None:
    """Refuse an empty body and unknown variables, with the names the user can fix."""
    if not body.strip():
        raise ValidationError(_("The message is empty."))
    unknown = sorted(variables_in(body) - set(VARIABLES))
    if unknown:
        raise ValidationError(
            _("Unknown variables: %(names)s. Known: %(known)s.")
            % {"names": ", ".join(f"{{{n}}}" for n in unknown), "known": ", ".join(f"{{{n}}}" for n in VARIABLES)}
        )


def render(body: str, values: dict[str, str], *, mandatory: bool) -> str:
    text = VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), body.strip())
    sign = signature()
    if sign and not text.startswith(sign):
        text = sign + text
    if not mandatory:
        text += OPT_OUT_HINT
    return text


@dataclass(frozen=True)
class Preview:
    text: str
    segments: Segments


def preview(body: str, *, mandatory: bool) -> Preview:
    """What one recipient would receive, with the example values: the length and segment count shown while typing."""
    text = render(body, VARIABLES, mandatory=mandatory)
    return Preview(text, split(text))
