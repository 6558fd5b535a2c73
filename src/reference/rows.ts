// Row gather and scatter through an index list: the CPU twins of shaders/rows.wgsl.

/** out[r, :] = inp[indices[r], :] for r < rows; overwrites those rows of out. */
export function gatherRows(
  out: Float64Array, // (rows,C)
  inp: Float64Array, // (N,C)
  indices: ArrayLike<number>, // (≥ rows)
  { rows, C }: { rows: number; C: number },
): void {
  for (let r = 0; r < rows; r++) {
    const src = indices[r] * C;
    if (!(src >= 0 && src + C <= inp.length)) throw new Error(`gatherRows: index ${indices[r]} at ${r} is out of range`);
    for (let c = 0; c < C; c++) out[r * C + c] = inp[src + c];
  }
}

/** out[indices[r], :] = inp[r, :] for r < rows; other rows of out keep their values. */
export function scatterRows(
  out: Float64Array, // (N,C)
  inp: Float64Array, // (rows,C)
  indices: ArrayLike<number>, // (≥ rows), distinct
  { rows, C }: { rows: number; C: number },
): void {
  for (let r = 0; r < rows; r++) {
    const dst = indices[r] * C;
    if (!(dst >= 0 && dst + C <= out.length)) throw new Error(`scatterRows: index ${indices[r]} at ${r} is out of range`);
    for (let c = 0; c < C; c++) out[dst + c] = inp[r * C + c];
  }
}

/** means[r] = mean of row r of values (rows,C): a sequence's mean token loss. */
export function rowMeans(
  means: Float64Array, // (rows)
  values: Float64Array, // (rows,C)
  { rows, C }: { rows: number; C: number },
): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < C; c++) sum += values[r * C + c];
    means[r] = sum / C;
  }
}
