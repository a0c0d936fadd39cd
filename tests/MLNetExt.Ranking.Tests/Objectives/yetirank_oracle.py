# Offline oracle for YetiRankObjectiveTests and the pairwise leaf tests (python3 + numpy; not run by the tests).
# Independent float64 port of CatBoost's yetirank_helpers.cpp @e377cfa (TYetiRankPairWeightsCalcer) + PairLogit.
import numpy as np
labels=np.array([2,0,1,0],float); scores=np.array([0.5,0.2,-0.3,0.1])
U=np.array([[0.62,0.15,0.83,0.40],[0.05,0.71,0.33,0.92],[0.48,0.48,0.90,0.11]])
def perms(scores,U):
    out=[]
    for u in U:
        v=np.exp(scores)*u/(1.000001-u)
        out.append(sorted(range(len(v)),key=lambda i:(-v[i],i)))
    return out
def weights(labels,perm_list,mode='Classic',decay=0.85,top=None,nn=1,gain='Base',den='Log'):
    n=len(labels); W=np.zeros((n,n)); top=top if top is not None else 10**9
    def num(r): return r if gain=='Base' else 2**r-1
    def dd(p): return 1/(p+1) if den=='Pos' else 1/np.log2(p+2)
    def dcg(r,p): return num(r)*dd(p) if p<top else 0.0
    def add(a,b,w,Wp):
        if labels[a]>labels[b]: Wp[a,b]+=w
        elif labels[a]<labels[b]: Wp[b,a]+=w
    ideal=sorted(labels,reverse=True); idcg=sum(dcg(ideal[p],p) for p in range(n))
    for perm in perm_list:
        Wp=np.zeros((n,n))
        T=min(top,n)
        if mode=='Classic':
            c=1.0
            for t in range(1,n):
                a,b=perm[t-1],perm[t]; add(a,b,0.15*c*abs(labels[a]-labels[b]),Wp); c*=decay
        elif mode in('DCG','NDCG'):
            coef=1.0 if mode=='DCG' else 1/idcg
            for t in range(1,T+1):
                bound=n if nn==-1 else min(n,t+nn)
                for u in range(t+1,bound+1):
                    a,b=perm[t-1],perm[u-1]
                    w=coef*(dcg(labels[a],t-1)+dcg(labels[b],u-1)-dcg(labels[a],u-1)-dcg(labels[b],t-1))
                    add(a,b,abs(w),Wp)
        elif mode=='MRR':
            was=False; t=1
            while t<=T and not was:
                a=perm[t-1]; ra=labels[a]>0
                bound=n if nn==-1 else min(n,t+nn)
                for u in range(t+1,bound+1):
                    b=perm[u-1]; rb=labels[b]>0
                    if ra!=rb: add(a,b,1/t-1/u,Wp)
                was|=ra; t+=1
        elif mode=='ERR':
            pf=1.0
            for t in range(1,T+1):
                a=perm[t-1]; pm=1.0; mrr=0.0
                bound=n if nn==-1 else min(n,t+nn)
                for u in range(t+1,bound+1):
                    b=perm[u-1]; la,lb=labels[a],labels[b]
                    w=pf*((la-lb)/t+mrr*(lb-la)+pm*(lb-la)/u); add(a,b,abs(w),Wp)
                    mrr+=pm*lb/u; pm*=(1-lb)
                pf*=1-labels[a]
        elif mode=='MAP':
            for t in range(1,T+1):
                a=perm[t-1]; ra=labels[a]>0; s=1/t
                bound=n if nn==-1 else min(n,t+nn)
                for u in range(t+1,bound+1):
                    b=perm[u-1]; rb=labels[b]>0
                    add(a,b,s if ra!=rb else 0.0,Wp)
                    if rb: s+=1/u
        W+=Wp
    return W/len(perm_list)
def pairlogit(W,s):
    n=len(s); g=np.zeros(n); h=np.zeros(n)
    for a in range(n):
        for b in range(n):
            if W[a,b]>0:
                p=1/(1+np.exp(s[a]-s[b])); g[a]-=W[a,b]*p; g[b]+=W[a,b]*p; h[a]+=W[a,b]*p*(1-p); h[b]+=W[a,b]*p*(1-p)
    return g,h
P=perms(scores,U); print('perms',P)
def show(name,W,s=scores):
    g,h=pairlogit(W,s)
    nz={(a,b):round(W[a,b],12) for a in range(len(s)) for b in range(len(s)) if W[a,b]!=0}
    print(name,nz); print('  g',np.array2string(g,precision=12,separator=', ')); print('  h',np.array2string(h,precision=12,separator=', '))
show('Classic',weights(labels,P))
show('NDCG nn1',weights(labels,P,'NDCG'))
show('NDCG nn-1',weights(labels,P,'NDCG',nn=-1))
show('DCG Exp top2',weights(labels,P,'DCG',top=2,gain='Exp'))
show('DCG Pos nn2 top3',weights(labels,P,'DCG',top=3,nn=2,den='Pos'))
show('MRR nn-1',weights(labels,P,'MRR',nn=-1))
show('MAP nn-1',weights(labels,P,'MAP',nn=-1))
lab2=np.array([0.8,0.1,0.5,0.0])
show('ERR nn-1 labels .8 .1 .5 0',weights(lab2,P,'ERR',nn=-1))
# pairwise leaf system (own case)
W=weights(labels,P); g,h=pairlogit(W,scores)
leaf=[0,1,2,1]; M=3; A=np.zeros((M,M)); b=np.zeros(M)
for i in range(4): b[leaf[i]]-=g[i]
for a in range(4):
    for c in range(4):
        if W[a,c]>0 and leaf[a]!=leaf[c]:
            la,lc=leaf[a],leaf[c]; A[la,lc]-=W[a,c]; A[lc,la]-=W[a,c]; A[la,la]+=W[a,c]; A[lc,lc]+=W[a,c]
def solve(A,b,l2,bayes):
    M=len(b); cp=1/M; nd=-bayes*cp; d=bayes*(1-cp)+l2
    S=A[:M-1,:M-1]+nd; 
    for i in range(M-1): S[i,i]=A[i,i]+d
    x=np.linalg.solve(S,b[:M-1]); x=np.append(x,0); return x-x.mean()
print('b',b,'A',A)
x=solve(A,b,1e-20,0.1); print('leaf',x, 'score', sum(x[m]*(b[m]-0.5*(A[m]@x)) for m in range(M)))
print('UT2',solve(np.array([[5.,-5],[-5,5]]),np.array([-2.,2]),0.3,0.1))
print('UT4',solve(np.array([[2.,-2,0,0],[-2,3,-1,0],[0,-1,5,-4],[0,0,-4,4]]),np.array([16.,-32,32,-16]),0.3,0.1))
lab3=np.array([0.75,0.125,0.5,0.0])
show('ERR nn-1 labels .75 .125 .5 0',weights(lab3,P,'ERR',nn=-1))
show('ERR nn1 top2 labels .75 .125 .5 0',weights(lab3,P,'ERR',nn=1,top=2))
show('MRR nn1',weights(labels,P,'MRR'))
# fractional labels, Classic
lab4=np.array([1.5,0.25,0.75,0.0])
show('Classic fractional 1.5 .25 .75 0',weights(lab4,P))
