"""coarsepde.plotting: the helpers figures share (periodic segments, padded axis limits)."""

import numpy as np

from coarsepde.plotting import padded_range, periodic_segment

L = 2 * np.pi
X = np.arange(64) * L / 64


def test_periodic_segment_across_the_ends_is_one_increasing_curve():
    xs, seg = periodic_segment(X, {"u": np.sin(X), "c": np.cos(X)}, L, -0.5, 0.5)
    assert np.all(np.diff(xs) > 0) and xs[0] >= -0.5 and xs[-1] <= 0.5
    np.testing.assert_allclose(seg["u"], np.sin(xs), atol=1e-12)  # the values follow their shifted abscissae
    np.testing.assert_allclose(seg["c"], np.cos(xs), atol=1e-12)
    # every sample within half a unit of 0 (mod L), once each
    assert xs.size == np.count_nonzero(np.minimum(X, L - X) <= 0.5)


def test_periodic_segment_inside_one_period_and_beyond_two():
    xs, seg = periodic_segment(X, {"u": np.sin(X)}, L, 1.0, 2.0)
    inside = (X >= 1.0) & (X <= 2.0)
    np.testing.assert_array_equal(xs, X[inside])
    np.testing.assert_array_equal(seg["u"], np.sin(X)[inside])
    xs, seg = periodic_segment(X, {"u": np.sin(X)}, L, 2 * L - 1.0, 3 * L + 1.0)  # over a whole period and more
    assert xs.size == 64 + np.count_nonzero(X <= 1.0) + np.count_nonzero(X >= L - 1.0)
    np.testing.assert_allclose(seg["u"], np.sin(xs), atol=1e-12)


def test_padded_range():
    assert padded_range([1.0, -1.0, 0.5], 0.1) == (-1.2, 1.2)
    lo, hi = padded_range([3.0, 3.0], 0.1)  # a flat curve still gets a non-empty range
    assert lo < 3.0 < hi
