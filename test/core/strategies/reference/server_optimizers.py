# Independent reference for the expected values in fed-opt.test.ts and fed-avgm.test.ts:
# the formulas of Reddi et al. 2021 (Algorithm 2) and Hsu et al. 2019 in float64 per element,
# stored as float32, written without looking at the TypeScript. Run: python3 server_optimizers.py (numpy).
import math, hashlib
import numpy as np
f32 = lambda x: float(np.float32(x))
def sign(x): return (x > 0) - (x < 0)

def fedopt(variant, eta, b1, b2, tau, x, deltas):
    n = len(x)
    x = [f32(a) for a in x]
    m = [0.0]*n
    v = [f32(tau*tau)]*n
    out = []
    for d in deltas:
        d = [f32(a) for a in d]
        nm, nv, nx = [], [], []
        for i in range(n):
            mi = f32(b1*m[i] + (1-b1)*d[i])
            d2 = d[i]*d[i]
            if variant == 'adagrad': vi = v[i] + d2
            elif variant == 'adam': vi = b2*v[i] + (1-b2)*d2
            else: vi = v[i] - (1-b2)*d2*sign(v[i]-d2)
            vi = f32(vi)
            nm.append(mi); nv.append(vi)
            nx.append(f32(x[i] + (eta*mi)/(math.sqrt(vi)+tau)))
        m, v, x = nm, nv, nx
        out.append((list(x), list(m), list(v)))
    return out

def avgm(eta, beta, x, deltas):
    n=len(x); x=[f32(a) for a in x]; mom=[0.0]*n; out=[]
    for d in deltas:
        d=[f32(a) for a in d]
        mom=[f32(beta*mom[i]+d[i]) for i in range(n)]
        x=[f32(x[i]+eta*mom[i]) for i in range(n)]
        out.append((list(x), list(mom)))
    return out

def r32(a): return '[' + ', '.join(repr(np.float32(v)).replace('np.float32(','').rstrip(')') for v in a) + ']'

x0=[0.5, -0.25, 0.0, 1.0]
D=[[0.1, -0.02, 0.0, 0.5],[0.05, 0.03, 0.0, 0.01],[-0.08, 0.01, 0.0, 0.01]]
print('adam flower (eta .1,b1 .9,b2 .99,tau 1e-9)')
for t in fedopt('adam', 0.1, 0.9, 0.99, 1e-9, x0, D): print(' x', r32(t[0]), 'm', r32(t[1]), 'v', r32(t[2]))
print('yogi (eta .01, .9, .99, 1e-3)')
for t in fedopt('yogi', 0.01, 0.9, 0.99, 1e-3, x0, D): print(' x', r32(t[0]), 'm', r32(t[1]), 'v', r32(t[2]))
print('adagrad (eta .1, b1 0.5, tau 1e-3)')
for t in fedopt('adagrad', 0.1, 0.5, 0.0, 1e-3, x0, D): print(' x', r32(t[0]), 'm', r32(t[1]), 'v', r32(t[2]))
print('adagrad pyth (eta 1, b1 0, tau 3) x0=[1,-2] D=[4,0],[12,0],[-84,0]')
for t in fedopt('adagrad', 1, 0.0, 0.0, 3, [1,-2], [[4,0],[12,0],[-84,0]]): print(' x', r32(t[0]), 'm', r32(t[1]), 'v', r32(t[2]))
print('avgm (eta 1, beta .9)')
for t in avgm(1.0, 0.9, x0, D): print(' x', r32(t[0]), 'mom', r32(t[1]))

# A larger run for the bit-identity hash.
def deltas_for(n, rounds, scale):
    return [[((i*7919 + r*104729) % 2001 - 1000) / 1000 * scale for i in range(n)] for r in range(1, rounds+1)]
def x_init(n): return [((i*31) % 17 - 8) / 16 for i in range(n)]
def h(a): return hashlib.sha256(np.array(a, dtype=np.float32).tobytes()).hexdigest()
N, R = 1000, 5
DD = deltas_for(N, R, 0.01); X = x_init(N)
print('hash adam', h(fedopt('adam', 0.1, 0.9, 0.99, 1e-9, X, DD)[-1][0]))
print('hash yogi', h(fedopt('yogi', 0.01, 0.9, 0.99, 1e-3, X, DD)[-1][0]))
print('hash adagrad', h(fedopt('adagrad', 0.1, 0.0, 0.0, 1e-9, X, DD)[-1][0]))
print('hash avgm', h(avgm(1.0, 0.9, X, DD)[-1][0]))
