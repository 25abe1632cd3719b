"""Refusal: the one base of every "no" the portal says to a person in plain words.

A service refuses (not on your care team, nothing typed, someone saved first, the record is final) by raising
a subclass of Refusal whose `message` is the sentence to show, as it stands: it names nothing the person may
not see. A page then catches `Refusal` once and shows `message` (components.refusals.show); only a refusal
the screen handles differently (a stale version shown beside the person's own text) is caught by its own
class, before that.

It lives in auth/ because auth/ is the lowest layer that refuses people (AccessDenied, AdminError) and
services/, interop/, portal/, components/ and pages/ all sit above it. clinical/ and db/ do not refuse
people: clinical/ raises ValueError for values code should never pass (a score of 11, a naive datetime),
which the services turn into refusals worded for the screen, so a UI concept stays out of the domain words.
media/ imports nothing of ours, so its ControlRefused (a video control someone may not use) stays its own.
"""

from __future__ import annotations


class Refusal(Exception):
    """A request refused in plain words; `message` is safe to show to the person who asked, as written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
