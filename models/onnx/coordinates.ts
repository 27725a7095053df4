import type { GraphBuilder } from "./graph-builder.ts";

export interface Grid {
  /** Height and width of `x` as int64 tensors of shape [1]. */
  height: string;
  width: string;
  /** Row coordinate, shape [1, 1, H, 1]; column coordinate, shape [1, 1, 1, W]. */
  rows: string;
  cols: string;
}

/**
 * Coordinates of the spatial dims of an NCHW tensor, computed in the graph so every size works
 * without re-exporting. `normalised` gives pixel centres in (0, 1); otherwise pixel indices.
 */
export function spatialGrid(g: GraphBuilder, x: string, normalised: boolean): Grid {
  const height = g.dim(x, 2);
  const width = g.dim(x, 3);
  const axis = (size: string, shape: number[]): string => {
    const count = g.op("Squeeze", [size, g.constant([0], [1], "int64")]);
    const index = g.op("Cast", [g.op("Range", [g.scalar(0, "int64"), count, g.scalar(1, "int64")])], {
      to: 1,
    });
    const coordinate = normalised
      ? g.div(g.add(index, g.scalar(0.5)), g.op("Cast", [size], { to: 1 }))
      : index;
    return g.reshape(coordinate, shape);
  };
  return { height, width, rows: axis(height, [1, 1, -1, 1]), cols: axis(width, [1, 1, 1, -1]) };
}
