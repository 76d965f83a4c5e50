"""The languages of the documents the service writes (exports, reports, the fault report).

Rules: every file the service renders for people is written in Chinese (`zh`, the customer's
and the plan's language) or English (`en`); column and section titles come in both.
"""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    EN = "en"
    ZH = "zh"
