"""What a PDF may not carry into the county's offices: scripts, or actions that start programs or send data.

Shared by the uploads that keep a PDF for people to open (the education library, a citizen's letter): a document
is read, not run. The reader's decompression is capped, so a document made to unpack to gigabytes costs little.
"""

from __future__ import annotations

import io
import struct
from typing import Any

#: PDF actions that run code or reach outside the document (ISO 32000-1:2008 §12.6.4, "Action types"; §12.6.4.16
#: for JavaScript actions).
ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/Rendition", "/RichMediaExecute"})
#: The most one stream of a PDF may unpack to while it is read here.
MAX_STREAM = 8 * 1024 * 1024
#: What pypdf raises for a file it cannot read (besides its own errors).
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, struct.error, OSError)


def limits(limit: int = MAX_STREAM) -> dict[str, Any]:
    """pypdf's per-filter output caps, for `pypdf.apply_configuration`."""
    return {f"{name}_maximum_output_length": limit for name in ("zlib", "lzw", "brotli", "run_length", "jbig2")}


def has_active_content(reader) -> bool:
    """Whether the document has scripts of its own (the /JavaScript name tree, an XFA form) or an action of
    `ACTIVE_ACTIONS` on opening, on a page or on an annotation (following each action's /Next chain)."""
    root = reader.trailer["/Root"].get_object()
    names, form = root.get("/Names"), root.get("/AcroForm")
    if names is not None and "/JavaScript" in names.get_object():
        return True
    if form is not None and "/XFA" in form.get_object():
        return True
    pending = [root.get("/OpenAction"), *(root.get("/AA") or {}).values()]
    for page in reader.pages:
        pending += list((page.get("/AA") or {}).values())
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            pending += [annotation.get("/A"), *(annotation.get("/AA") or {}).values()]
    seen = 0
    while pending and seen < 10_000:  # a bound for a chain of actions that loops
        action = pending.pop()
        action = action.get_object() if action is not None else None
        seen += 1
        if isinstance(action, list):
            pending += action
        elif isinstance(action, dict):
            if action.get("/S") in ACTIVE_ACTIONS:
                return True
            pending.append(action.get("/Next"))
    return False


def problem(data: bytes) -> str:
    """ "" for a PDF that can be opened safely; else "encrypted", "damaged" (it cannot be read, so nothing can be
    said of what it carries) or "active" (`has_active_content`)."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import PyPdfError

    try:
        with apply_configuration(**limits()):
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                return "encrypted"
            if not reader.pages:
                return "damaged"
            return "active" if has_active_content(reader) else ""
    except (PyPdfError, *UNREADABLE):
        return "damaged"
