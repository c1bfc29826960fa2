import { tinyClipModel } from './models';

/** Generates the tiny CLIP model before any test file runs. */
export default function setup(): void {
  tinyClipModel();
}
