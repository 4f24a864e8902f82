"""The 18-term dictionary of the sparse-regression baselines (DC-RNN Examples 6.6, 6.7, 6.9).

Compositions of the basic operators A = v d_x (centred) and P = <.>: every word over {A, P} of length <= 3 on
g and <= 5 on rho that is not identically zero on the symmetric Gauss-Legendre quadrature and not equal to a
shorter word (P P = P, P rho = rho); the paper lists only the four true terms and "14 others built by
compositions of advection and projection", the list is the reference notes' [CHOICE], Sect. 6.1:

    on g   (10): g, Ag, Pg, AAg, APg, PAg, AAAg, AAPg, APAg, PAAg
    on rho  (8): rho, A rho, AA rho, PAA rho (= <v^2> D1^2 rho), AAA rho, APAA rho, AAAA rho, PAAAA rho

(words act right to left: "PA" on g is <v d_x g>). PA rho (<v> = 0) and PAAA rho (<v^3> = 0) vanish exactly
and are excluded (:data:`VANISHING_RHO_WORDS`). The four physical terms are the
:data:`~coarsepde.kinetic.scoring.PHYSICAL_TERMS` g, Ag, PAg, A rho.
"""

from __future__ import annotations

from coarsepde.kinetic.polynomial import Term, reduce_word
from coarsepde.kinetic.scoring import PHYSICAL_TERMS

__all__ = ["DICTIONARY_G", "DICTIONARY_RHO", "DICTIONARY", "VANISHING_RHO_WORDS", "term_name"]

_G_WORDS = ("", "A", "P", "AA", "AP", "PA", "AAA", "AAP", "APA", "PAA")
_RHO_WORDS = ("", "A", "AA", "PAA", "AAA", "APAA", "AAAA", "PAAAA")

#: The 10 words on g (reference Sect. 6.1 [CHOICE]); Term(("P", "A"), "g") is <v d_x g>.
DICTIONARY_G: tuple[Term, ...] = tuple(Term(tuple(w), "g") for w in _G_WORDS)
#: The 8 words on rho.
DICTIONARY_RHO: tuple[Term, ...] = tuple(Term(tuple(w), "rho") for w in _RHO_WORDS)
#: The 18-term dictionary of Examples 6.6, 6.7, 6.9: g words first, then rho words.
DICTIONARY: tuple[Term, ...] = DICTIONARY_G + DICTIONARY_RHO
#: Words over {A, P} on rho that vanish identically for the centred stencil (odd moments of v).
VANISHING_RHO_WORDS: tuple[Term, ...] = (Term(("P", "A"), "rho"), Term(("P", "A", "A", "A"), "rho"))

assert all(reduce_word(t.word, t.field) == t.word for t in DICTIONARY)  # irreducible, nonzero
assert all(reduce_word(t.word, t.field) is None for t in VANISHING_RHO_WORDS)
assert all(t in DICTIONARY for t in PHYSICAL_TERMS.values())


def term_name(term: Term) -> str:
    """Compact name of a dictionary term: the word and the field, e.g. "PA g", "AA rho", "g"."""
    w = "".join(term.word)
    return f"{w} {term.field}" if w else str(term.field)
