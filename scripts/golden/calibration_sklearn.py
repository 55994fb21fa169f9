"""Golden Platt and isotonic calibration of scikit-learn, for Tests/LeadScoringTests/GoldenCalibrationAndSHAPTests.swift.

Inputs: 50 fixed (probability, outcome) pairs, written as literals here and in the Swift test
(an overconfident model's probabilities rounded to 2 decimals, so many are tied).

Platt: leadscore's `Calibration.fitPlatt(p, y)` is σ(a·logit(p) + b) fitted on Platt's smoothed
targets, i.e. scikit-learn's `_sigmoid_calibration` (the `method="sigmoid"` of
`CalibratedClassifierCV`) with decision values f = logit(p). scikit-learn returns (A, B) of
σ(−(A·f + B)), so leadscore's a = −A, b = −B. scikit-learn stops L-BFGS-B at gtol 1e-6 on the
summed gradient, so its (A, B) are that loose; the script also prints the exact minimiser of the
same objective (scikit-learn's own loss, refined by Newton's method to machine precision).

Isotonic: scikit-learn `IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1,
increasing=True)`. Both pool tied probabilities and run pool-adjacent-violators; they differ in
the curve drawn through the blocks (see the printed comments).

Run: python scripts/golden/calibration_sklearn.py  (needs numpy, scipy and scikit-learn)
"""
import numpy as np
import scipy
import sklearn
from scipy.special import expit, logit
from sklearn.calibration import _sigmoid_calibration, _SigmoidCalibration
from sklearn.isotonic import IsotonicRegression

P = [0.04, 0.01, 0.35, 0.85, 0.27, 0.02, 0.01, 0.4, 0.65, 0.95, 0.85, 0.02, 0.96, 0.95, 0.04, 0.71, 0.01,
     0.02, 0.12, 0.03, 0.88, 0.93, 0.65, 0.13, 0.02, 0.02, 0.83, 0.64, 0.01, 0.38, 0.18, 0.94, 0.84, 0.65,
     0.54, 0.98, 0.98, 0.15, 0.07, 0.91, 0.01, 0.18, 0.02, 0.13, 0.02, 0.1, 0.91, 0.97, 0.91, 0.56]
Y = [0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1,
     1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
# Probabilities to evaluate the calibrators at: below, inside and above the data, on data points
# and between them.
QUERY = [0.001, 0.01, 0.015, 0.03, 0.05, 0.1, 0.125, 0.2, 0.3, 0.39, 0.5, 0.6, 0.645, 0.7, 0.8, 0.86,
         0.9, 0.95, 0.975, 0.98, 0.999]

p = np.array(P, dtype=float)
y = np.array(Y, dtype=float)
q = np.array(QUERY, dtype=float)
assert len(p) == len(y) == 50

def lits(v):
    return "[" + ", ".join(repr(float(x)) for x in v) + "]"

# ---------------------------------------------------------------- Platt
f = logit(p)
A, B = _sigmoid_calibration(f, y)
sig = _SigmoidCalibration().fit(f, y)
assert (sig.a_, sig.b_) == (A, B)
skl_platt = sig.predict(logit(q))

# The exact minimiser of the same objective: scikit-learn's smoothed targets and log loss.
prior1 = y.sum(); prior0 = len(y) - prior1
T = np.where(y > 0, (prior1 + 1) / (prior1 + 2), 1 / (prior0 + 2))
ab = np.array([-A, -B])  # leadscore's convention: σ(a·f + b)
for _ in range(50):
    m = ab[0] * f + ab[1]
    s = expit(m)
    r = s - T
    w = s * (1 - s)
    g = np.array([r @ f, r.sum()])
    H = np.array([[w @ (f * f), w @ f], [w @ f, w.sum()]])
    ab = ab - np.linalg.solve(H, g)
m = ab[0] * f + ab[1]
g = np.array([(expit(m) - T) @ f, (expit(m) - T).sum()])
print(f"# scikit-learn _sigmoid_calibration: A={float(A)!r} B={float(B)!r}  (σ(−(A·f + B)))")
print(f"# exact optimum, gradient {np.abs(g).max():.1e}; |sklearn − exact| a: {abs(-A - ab[0]):.2e}, b: {abs(-B - ab[1]):.2e}")
print(f"static let sklearnPlatt = (a: {float(-A)!r}, b: {float(-B)!r})")
print(f"static let exactPlatt = (a: {float(ab[0])!r}, b: {float(ab[1])!r})")
print("static let sklearnPlattAtQuery: [Double] =", lits(skl_platt))
print(f"# max |sklearn predict − σ(exact)| at the queries: {np.abs(skl_platt - expit(ab[0] * logit(q) + ab[1])).max():.2e}")

# ---------------------------------------------------------------- isotonic
iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1, increasing=True).fit(p, y)
fitted = iso.predict(p)
print("static let sklearnIsotonicThresholdsX: [Double] =", lits(iso.X_thresholds_))
print("static let sklearnIsotonicThresholdsY: [Double] =", lits(iso.y_thresholds_))
print("static let sklearnIsotonicAtQuery: [Double] =", lits(iso.predict(q)))
# The blocks (runs of equal fitted value over the sorted data): their value, their lowest and
# highest probability, and their mean probability (leadscore's knot, each lead weighing one).
values = np.unique(fitted)
lo = np.array([p[fitted == v].min() for v in values])
hi = np.array([p[fitted == v].max() for v in values])
centroid = np.array([p[fitted == v].mean() for v in values])
print("static let sklearnBlockValues: [Double] =", lits(values))
print("static let sklearnBlockLow: [Double] =", lits(lo))
print("static let sklearnBlockHigh: [Double] =", lits(hi))
print("static let sklearnBlockMeanP: [Double] =", lits(centroid))
# leadscore's convention, from scikit-learn's blocks: knots at the blocks' mean probabilities,
# values clamped to [1e-4, 1 − 1e-4], linear between knots and flat beyond the outer ones.
curve = np.interp(q, centroid, np.clip(values, 1e-4, 1 - 1e-4))
print("static let centroidCurveAtQuery: [Double] =", lits(curve))
# At each block's mean probability scikit-learn's curve is flat (the mean lies inside the block).
assert np.array_equal(iso.predict(centroid), values)
same = np.abs(curve - iso.predict(q)) < 1e-12
print("static let queriesWhereTheCurvesAgree: [Int] =", np.flatnonzero(same).tolist())
print(f"# largest difference between the curves at the queries: {np.abs(curve - iso.predict(q)).max():.4f}"
      f" at p = {q[np.argmax(np.abs(curve - iso.predict(q)))]}")
print(f"# numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}")
