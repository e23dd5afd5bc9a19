/**
 * A sigma.js edge program that draws nothing, for the edges the reducers hide (filtered out, the
 * namespace view, or not the selection's). Sigma keeps a hidden edge in its program's buffers as
 * zeroed vertices and still runs the vertex shader on them at every frame: with 32,000 edges and
 * one selection's few dozen shown, that is most of a frame's cost on a software renderer
 * (SwiftShader: about 0.7 s per frame against 0.05 s without them). Edges typed "hidden" go here
 * instead, so the arrow program holds (and draws) only the edges actually shown.
 */
import type { EdgeProgramType } from "sigma/rendering";

export const HIDDEN_EDGE_TYPE = "hidden";

/** Sigma's edge program shape (constructor: WebGL context, picking framebuffer, renderer), with nothing to keep or draw. */
export const HiddenEdgeProgram: EdgeProgramType = class {
  drawLabel = undefined;
  kill(): void {}
  reallocate(): void {}
  process(): void {}
  render(): void {}
};
