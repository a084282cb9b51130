"""Where SQL text written so far stands: in code, in a quoted string or identifier, or in a
comment. The renderer feeds it what it writes (a param may not be written inside quotes); the
analysis feeds it a template's text (a param written inside a comment filters nothing).
"""
from __future__ import annotations

import re

CODE = "code"
COMMENTS = frozenset({"--", "/*"})

_CODE_RE = re.compile(r"['\"`]|--|/\*")
_QUOTE_END_RE = {q: re.compile(r"\\.|" + re.escape(q), re.S) for q in "'\"`"}


class SqlState:
    def __init__(self, state: str = CODE) -> None:
        self.state = state  # code, ', ", `, --, /*

    def feed(self, text: str) -> None:
        pos, n = 0, len(text)
        while pos < n:
            if self.state == CODE:
                match = _CODE_RE.search(text, pos)
                if match is None:
                    return
                self.state = match.group(0)
                pos = match.end()
            elif self.state == "--":
                end = text.find("\n", pos)
                if end < 0:
                    return
                self.state, pos = CODE, end + 1
            elif self.state == "/*":
                end = text.find("*/", pos)
                if end < 0:
                    return
                self.state, pos = CODE, end + 2
            else:
                quote = self.state
                while True:
                    match = _QUOTE_END_RE[quote].search(text, pos)
                    if match is None:
                        # a backslash at the very end escapes what the next piece starts with
                        return
                    pos = match.end()
                    if match.group(0) == quote:
                        self.state = CODE
                        break
