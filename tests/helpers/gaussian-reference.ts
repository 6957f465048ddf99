// Float64 Gaussian densities shared by the GMM and HMM references: the Cholesky factor of a
// covariance, and log N(x | mean, L Lᵀ) by forward substitution (never an explicit inverse).

export function cholesky(a: number[][]): number[][] {
  const d = a.length;
  const l = a.map(() => new Array<number>(d).fill(0));
  for (let j = 0; j < d; j++) {
    let s = a[j][j];
    for (let m = 0; m < j; m++) s -= l[j][m] ** 2;
    if (!(s > 0)) throw new Error('reference cholesky: not positive definite');
    l[j][j] = Math.sqrt(s);
    for (let i = j + 1; i < d; i++) {
      let v = a[i][j];
      for (let m = 0; m < j; m++) v -= l[i][m] * l[j][m];
      l[i][j] = v / l[j][j];
    }
  }
  return l;
}

/** log N(x | mean, L Lᵀ), solving L y = x - mean. */
export function logGaussian(x: number[], mean: number[], l: number[][]): number {
  const d = x.length;
  const y = new Array<number>(d).fill(0);
  let maha = 0;
  let logDet = 0;
  for (let i = 0; i < d; i++) {
    let v = x[i] - mean[i];
    for (let m = 0; m < i; m++) v -= l[i][m] * y[m];
    y[i] = v / l[i][i];
    maha += y[i] ** 2;
    logDet += Math.log(l[i][i]);
  }
  return -0.5 * d * Math.log(2 * Math.PI) - logDet - 0.5 * maha;
}
