#!/usr/bin/env python3
"""A port of the authors' DW-GCS, run on the splits the C# suite 'covariateshift-reference' writes.

Method: Segovia-Martin, Mazuelas, Liu, "Double-Weighting for Covariate Shift Adaptation", ICML 2023 (arXiv 2305.08637).
This file follows the authors' reference DWGCS/DWGCS.py of github.com/MachineLearningBCAM/MRCs-for-Covariate-Shift-Adaptation
(DWKMM, the lambda LP, the 0-1 MRC learning problem and the deterministic prediction; the feature map of
Auxiliary_Functions/phi.py 'linear': Phi(x, y) = e_y kron x, no intercept) and the settings of its Experiments_Paper
scripts (linear features, no intercept, 0-1 loss, deterministic rule, D = 1/(1-l)^2 for l = 0, 0.1, ..., 0.9, D chosen
by the smallest R(U), sigma = mean distance to the 49th other neighbour over the whole normalized data set).
It is our own code, written for this repository; none of the authors' code is copied. The reference solves every
problem with cvxpy + MOSEK, which is not available here; the substitutions:
  - DW-KMM (a QP with box, slab and second-order-cone constraints): cvxopt's coneqp (the objective scaled by a
    constant for conditioning, which does not move the minimizer); D = 1, where the cone constraint forces alpha = 1,
    is solved as the QP in beta alone (coneqp needs a strictly feasible cone);
  - the lambda LP and the 0-1 MRC problem (an LP in epigraph form): HiGHS through scipy.optimize.linprog. The lambda
    LP's optimum is not unique; HiGHS returns a vertex, MOSEK an interior-point solution, so R(U) differs between the
    two within that spread.
Labels are 0/1 (class 1 = the C# side's positive label).

Usage: python3 dwgcs_reference.py DIR
DIR holds manifest.csv (lines "set,shift,rep"), <set>_whole.csv (the whole z-scored set, one row per line, label
last) and <set>_<shift>_<rep>.train.csv / .test.csv (features..., label). Output, one line each, space-separated:
  ready numpy <v> scipy <v> cvxopt <v> sklearn <v|none>
  sigma <set> <sigma>
  rep <set> <shift> <rep> <n> <t> <D> <error> <expected error> <R(U)> <sklearn LR error|nan> <seconds>
  done
error = deterministic rule's error on the target rows; expected error = mean of 1 - h(y_j | x_j) of the paper's
probabilistic rule with the target weights alpha_j; sklearn LR = LogisticRegression(C=1) unweighted.
If a module is missing the script prints "missing <module>" and exits with code 3.
"""
import os
import sys
import time

try:
    import numpy as np
    import scipy
    from scipy.optimize import linprog
    import cvxopt
    from cvxopt import matrix, solvers
except ImportError as error:  # the C# side prints the apt-get line
    print('missing', getattr(error, 'name', None) or str(error), flush=True)
    sys.exit(3)
try:
    import sklearn
    from sklearn.linear_model import LogisticRegression
except ImportError:
    sklearn = None

K = 2
B = 1000.0
DELTA = 1e-6
D_GRID = 1.0 / np.square(1.0 - np.arange(0.0, 1.0, 0.1))
solvers.options['show_progress'] = False
solvers.options['maxiters'] = 200


def whole_set_sigma(x):
    """Mean over rows of the distance to the 49th other row (column 49 of a 50-NN query that includes the row itself)."""
    sq = np.sum(x * x, axis=1)
    dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * (x @ x.T), 0.0))
    np.fill_diagonal(dist, 0.0)
    return float(np.mean(np.sort(dist, axis=1)[:, 49]))


def gram(x, sigma):
    sq = np.sum(x * x, axis=1)
    return np.exp(-np.maximum(sq[:, None] + sq[None, :] - 2.0 * (x @ x.T), 0.0) / (2.0 * sigma * sigma))


def coneqp(P, q, G, h, dims=None):
    """cvxopt coneqp, tightest tolerance that reports 'optimal' (1e-10 down to 1e-7)."""
    for tol in (1e-10, 1e-9, 1e-8, 1e-7):
        solvers.options['abstol'] = tol
        solvers.options['reltol'] = tol
        solvers.options['feastol'] = min(tol, 1e-8)
        try:
            sol = solvers.coneqp(P, q, G, h, dims=dims) if dims else solvers.coneqp(P, q, G, h)
        except (ValueError, ArithmeticError):
            continue
        if sol['status'] == 'optimal':
            return np.array(sol['x']).ravel()
    raise RuntimeError('coneqp did not reach an optimal solution')


def dwkmm(xtr, xte, sigma, D):
    """min v'Kv, v = [beta/n; -alpha/t], s.t. 0 <= beta <= B/sqrt(D), 0 <= alpha <= 1,
    |mean(beta) - mean(alpha)| <= 1 - 1/sqrt(n), ||alpha - 1|| <= (1 - 1/sqrt(D)) sqrt(t)."""
    n, t = len(xtr), len(xte)
    eps = 1.0 - 1.0 / np.sqrt(n)
    s = np.concatenate([np.full(n, 1.0 / n), np.full(t, -1.0 / t)])
    M = gram(np.vstack([xtr, xte]), sigma) * np.outer(s, s)
    scale = 1.0 / max(float(M.sum()), 1e-3)
    cap = B / np.sqrt(D)
    radius = (1.0 - 1.0 / np.sqrt(D)) * np.sqrt(t)
    if radius <= 1e-12:  # D = 1: alpha = 1
        P = matrix(2.0 * scale * M[:n, :n])
        q = matrix(2.0 * scale * M[:n, n:].sum(axis=1))
        G = np.vstack([-np.eye(n), np.eye(n), np.full((1, n), 1.0 / n), np.full((1, n), -1.0 / n)])
        h = np.concatenate([np.zeros(n), np.full(n, cap), [1.0 + eps], [eps - 1.0]])
        return coneqp(P, q, matrix(G), matrix(h)), np.ones(t)
    N = n + t
    G_lin = np.vstack([-np.eye(N),
                       np.hstack([np.eye(n), np.zeros((n, t))]),
                       np.hstack([np.zeros((t, n)), np.eye(t)]),
                       s[None, :], -s[None, :]])
    h_lin = np.concatenate([np.zeros(N), np.full(n, cap), np.ones(t), [eps, eps]])
    # second-order cone: (radius, 1 - alpha) in Q^{t+1}
    G_soc = np.vstack([np.zeros((1, N)), np.hstack([np.zeros((t, n)), -np.eye(t)])])
    h_soc = np.concatenate([[radius], -np.ones(t)])
    z = coneqp(matrix(2.0 * scale * M), matrix(np.zeros(N)), matrix(np.vstack([G_lin, G_soc])),
               matrix(np.concatenate([h_lin, h_soc])), dims={'l': G_lin.shape[0], 'q': [t + 1], 's': []})
    return z[:n], z[n:]


def phi(x, y):
    """Rows Phi(x_i, y_i) = e_{y_i} kron x_i (length K d)."""
    n, d = x.shape
    out = np.zeros((n, K * d))
    for k in range(K):
        out[y == k, k * d:(k + 1) * d] = x[y == k]
    return out


def smallest_lambda(tau, xte, alpha):
    """min sum(lambda) s.t. tau - lambda + delta <= sum_{j,y} p_jy alpha_j Phi(x_j, y) <= tau + lambda - delta,
    p >= 0, sum_y p_jy = 1/t; returns max(lambda, 0)."""
    t, d = xte.shape
    m = K * d
    A = np.zeros((m, t * K))  # column j K + y = alpha_j Phi(x_j, y)
    for y in range(K):
        A[y * d:(y + 1) * d, y::K] = (alpha[:, None] * xte).T
    c = np.concatenate([np.ones(m), np.zeros(t * K)])
    I = np.eye(m)
    A_ub = np.vstack([np.hstack([-I, -A]), np.hstack([-I, A])])
    b_ub = np.concatenate([-tau - DELTA, tau - DELTA])
    A_eq = np.zeros((t, m + t * K))
    for j in range(t):
        A_eq[j, m + j * K:m + (j + 1) * K] = 1.0
    r = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=np.full(t, 1.0 / t), bounds=[(0, None)] * (m + t * K), method='highs')
    if r.status != 0:
        raise RuntimeError('lambda LP: ' + r.message)
    return np.maximum(r.x[:m], 0.0)


SUBSETS = [[0], [1], [0, 1]]


def mrc01(tau, lam, xte, alpha):
    """R(U) = min_mu 1 - tau'mu + lambda'|mu| + mean_j max_S (sum_{y in S} alpha_j Phi(x_j, y)'mu - 1)/|S|,
    as an LP in (mu, |mu| bound u, epigraph e_j)."""
    t, d = xte.shape
    m = K * d
    nv = 2 * m + t
    c = np.concatenate([-tau, lam, np.full(t, 1.0 / t)])
    I = np.eye(m)
    blocks = [np.hstack([I, -I, np.zeros((m, t))]), np.hstack([-I, -I, np.zeros((m, t))])]
    rhs = [np.zeros(m), np.zeros(m)]
    ax = alpha[:, None] * xte
    for S in SUBSETS:
        block = np.zeros((t, nv))
        for y in S:
            block[:, y * d:(y + 1) * d] += ax / len(S)
        block[np.arange(t), 2 * m + np.arange(t)] = -1.0
        blocks.append(block)
        rhs.append(np.full(t, 1.0 / len(S)))
    r = linprog(c, A_ub=np.vstack(blocks), b_ub=np.concatenate(rhs), bounds=[(None, None)] * nv, method='highs')
    if r.status != 0:
        raise RuntimeError('MRC LP: ' + r.message)
    return r.x[:m], 1.0 + r.fun


def scores(mu, x):
    d = x.shape[1]
    return np.stack([x @ mu[y * d:(y + 1) * d] for y in range(K)], axis=1)


def expected_error(mu, xte, yte, alpha):
    """The probabilistic rule h(y|x_j) = max(alpha_j v_y - varphi, 0) (uniform when all are 0), mean of 1 - h(y_j|x_j)."""
    V = alpha[:, None] * scores(mu, xte)
    varphi = np.max(np.stack([(V[:, S].sum(axis=1) - 1.0) / len(S) for S in SUBSETS], axis=1), axis=1)
    H = np.maximum(V - varphi[:, None], 0.0)
    total = H.sum(axis=1, keepdims=True)
    H = np.where(total > 0, H / np.where(total > 0, total, 1.0), 1.0 / K)
    return float(np.mean(1.0 - H[np.arange(len(yte)), yte]))


def dwgcs(xtr, ytr, xte, yte, sigma):
    """Every D of the grid; the D with the smallest R(U): (D, error, expected error, R(U))."""
    best = None
    for D in D_GRID:
        beta, alpha = dwkmm(xtr, xte, sigma, D)
        tau = (beta[:, None] * phi(xtr, ytr)).mean(axis=0)
        lam = smallest_lambda(tau, xte, alpha)
        mu, bound = mrc01(tau, lam, xte, alpha)
        if best is None or bound < best[3]:
            error = float(np.mean(np.argmax(scores(mu, xte), axis=1) != yte))
            best = (D, error, expected_error(mu, xte, yte, alpha), bound)
    return best


def load(path):
    a = np.loadtxt(path, delimiter=',', ndmin=2)
    return a[:, :-1], a[:, -1].astype(int)


def main(directory):
    print('ready numpy', np.__version__, 'scipy', scipy.__version__, 'cvxopt', cvxopt.__version__,
          'sklearn', sklearn.__version__ if sklearn else 'none', flush=True)
    sigma = {}
    with open(os.path.join(directory, 'manifest.csv')) as manifest:
        jobs = [line.strip().split(',') for line in manifest if line.strip()]
    for name, shift, rep in jobs:
        if name not in sigma:
            sigma[name] = whole_set_sigma(load(os.path.join(directory, name + '_whole.csv'))[0])
            print('sigma', name, repr(sigma[name]), flush=True)
        start = time.perf_counter()
        key = os.path.join(directory, f'{name}_{shift}_{rep}')
        xtr, ytr = load(key + '.train.csv')
        xte, yte = load(key + '.test.csv')
        D, error, expected, bound = dwgcs(xtr, ytr, xte, yte, sigma[name])
        lr = float('nan')
        if sklearn is not None:
            lr = float(np.mean(LogisticRegression(C=1.0, max_iter=5000).fit(xtr, ytr).predict(xte) != yte))
        print('rep', name, shift, rep, len(ytr), len(yte), repr(float(D)), repr(error), repr(expected), repr(float(bound)),
              repr(lr), f'{time.perf_counter() - start:.2f}', flush=True)
    print('done', flush=True)


if __name__ == '__main__':
    main(sys.argv[1])
