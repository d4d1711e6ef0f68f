"""Put the learner's pieces into minigrad, take them out, and switch references off.

One process has one engine: ``BOARD`` remembers which pieces are installed
and exactly what each installation replaced, so that every change can be
undone. Three ways to use it:

* ``BOARD.install(piece_id, obj)`` / ``BOARD.remove(piece_id)``: what
  ``setup(chapter)`` does, for the rest of the notebook;
* ``with BOARD.only({...}):`` runs code on exactly these pieces (``{}``: the
  reference engine), then puts everything back;
* ``with BOARD.trial(piece_id, obj):`` is how a piece is checked: the piece is
  installed and minigrad's own code for it is *switched off* (its functions
  raise), so an answer that calls the reference fails.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
import types

from .inspection import functions_of
from .plugs import PLUGS

SWITCHED_OFF = (
    "minigrad's own code for this piece is switched off while your piece is checked; "
    "your piece must not call it"
)


def _switched_off(*args, **kwargs):
    # Only builtins here: this body runs with the globals of the minigrad module it replaces.
    raise RuntimeError(
        "minigrad's own code for this piece is switched off while your piece is checked; "
        "your piece must not call it"
    )


_MISSING = object()


class Switchboard:
    def __init__(self):
        self.installed = {}  # piece id -> the learner's object, in the order installed
        self._undo = {}  # piece id -> [(owner, attribute, previous value or _MISSING)]

    def install(self, piece_id, obj):
        """Put ``obj`` at every site of the piece (replacing an earlier version of it)."""
        if piece_id in self.installed:
            self.remove(piece_id)
        undo = []
        try:
            for owner, attribute, value in PLUGS[piece_id].sites(obj):
                undo.append((owner, attribute, vars(owner).get(attribute, _MISSING)))
                setattr(owner, attribute, value)
        except BaseException:
            _restore(undo)
            raise
        self.installed[piece_id] = obj
        self._undo[piece_id] = undo

    def remove(self, piece_id):
        """Put minigrad's own code back at the piece's sites."""
        if piece_id not in self.installed:
            return
        _restore(self._undo.pop(piece_id))
        del self.installed[piece_id]

    def remove_all(self):
        for piece_id in reversed(list(self.installed)):
            self.remove(piece_id)

    @contextlib.contextmanager
    def only(self, pieces):
        """Run with exactly ``pieces`` ({piece id: object}) installed; restore afterwards."""
        before = dict(self.installed)
        self.remove_all()
        try:
            for piece_id, obj in pieces.items():
                self.install(piece_id, obj)
            yield self
        finally:
            self.remove_all()
            for piece_id, obj in before.items():
                self.install(piece_id, obj)

    @contextlib.contextmanager
    def trial(self, piece_id, obj, copies=()):
        """Install ``obj`` with minigrad's own code for the piece switched off (and
        ``copies`` of it: :func:`copies_of`)."""
        previous = self.installed.get(piece_id, _MISSING)
        self.install(piece_id, obj)
        switched = switch_off(PLUGS[piece_id].references(), copies)
        try:
            yield self
        finally:
            _switch_on(switched)
            self.remove(piece_id)
            if previous is not _MISSING:
                self.install(piece_id, previous)


def _restore(undo):
    for owner, attribute, previous in reversed(undo):
        if previous is _MISSING:
            delattr(owner, attribute)
        else:
            setattr(owner, attribute, previous)


def switch_off(references, copies=()):
    """Make minigrad's own functions for a piece raise, wherever they are called from.

    The function objects themselves get a body that raises, so even a name the
    learner kept for them (``ref = minigrad.scalar.topological_order``) stops
    working; so do ``copies`` of them (:func:`copies_of`). Returns what
    ``_switch_on`` needs to undo it.
    """
    switched = [(function, function.__code__) for function in [*_own(references), *copies]]
    for function, _ in switched:
        function.__code__ = _switched_off.__code__
    return switched


def _own(references):
    return [
        function
        for reference in references
        for function in functions_of(reference)
        if not function.__code__.co_freevars  # a closure's body cannot be swapped; its
        # sites are replaced anyway
    ]


def copies_of(references):
    """Other function objects with the code of one of minigrad's own functions for a piece
    (``type(f)(f.__code__, ...)``, kept anywhere): Python keeps no list of them, but each
    refers to its code. Searched once per check (a search walks every object)."""
    functions = _own(references)
    if all(sys.getrefcount(function.__code__) <= _held_by_one() for function in functions):
        return []  # nothing but its function holds each code: no copy, no search
    codes = {id(function.__code__) for function in functions}
    originals = {id(function) for function in functions}
    return [
        other
        for other in gc.get_referrers(*(function.__code__ for function in functions))
        if type(other) is types.FunctionType
        and id(other) not in originals
        and id(other.__code__) in codes
        and not other.__code__.co_freevars
    ]


@functools.cache
def _held_by_one() -> int:
    """What ``sys.getrefcount`` says of a code object that only its function holds."""
    alone = types.FunctionType(_switched_off.__code__.replace(), {})
    return sys.getrefcount(alone.__code__)


def _switch_on(switched):
    for function, code in reversed(switched):
        function.__code__ = code


BOARD = Switchboard()
